"""Old name of :mod:`abcresearch.reports.area`, kept because report notebooks import it.

``from abcresearch.area_report import AreaReport`` keeps working without a warning.
"""

from __future__ import annotations

from abcresearch.reports.area import AreaReport

__all__ = ["AreaReport"]
