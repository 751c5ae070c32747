"""The pseudonymised analysis store: stage 2 of the data path.

Owns the on-disk layout (Hive-partitioned Parquet per round, amphoe and tambon), writing a round
atomically (:mod:`~abcresearch.store.write`) and reading it back (:mod:`~abcresearch.store.read`:
``load``, ``manifest``, ``rounds``, ``issues``, ``named_area``). It may import the core modules
and :mod:`abcresearch.survey` (area codes); it knows nothing of exports, scoring or reports.
"""

from __future__ import annotations

from abcresearch.store.read import issues, load, manifest, named_area, rounds

__all__ = ["issues", "load", "manifest", "named_area", "rounds"]
