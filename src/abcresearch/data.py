"""Old name of :mod:`abcresearch.store.read`, kept so existing notebooks and scripts work.

New code imports ``abcresearch.store`` (``from abcresearch.store import load``).
"""

from __future__ import annotations

from abcresearch.store.read import issues, load, manifest, named_area, rounds

__all__ = ["issues", "load", "manifest", "named_area", "rounds"]
