"""The pseudonymised analysis store: stage 2 of the data path.

Owns the on-disk layout (versioned round folders of Hive-partitioned Parquet per amphoe and
tambon, a ``CURRENT`` pointer swapped atomically, locks: :mod:`~abcresearch.store.layout`),
writing a round (:mod:`~abcresearch.store.write`) and reading it back
(:mod:`~abcresearch.store.read`). Public entry points:

* ``load(survey_round, area=None, store=None, table="households", columns=None)``: the tables
  ``households``, ``members``, ``villages``, ``frame`` (the round's village sampling frame) and
  ``auxiliary`` (the จปฐ.-style village table);
* ``manifest(survey_round, store=None)``: the one manifest reader; ``rounds``, ``issues``,
  ``named_area``, ``village_names``, ``tambons_with_data``, ``has_data``, ``linkable``,
  ``surveyed`` (villages and households surveyed per area of a level);
* ``round_folder(survey_round, store=None)`` and ``cache_folder(survey_round, key, store=None)``:
  the live version of a round and the analysis cache folder inside it; ``prune_caches`` removes
  a version's older analysis caches;
* ``store_lock(store=None, shared=True)`` (readers and cache writers) and ``ingest_lock``.

It may import the core modules and :mod:`abcresearch.survey` (area codes); it knows nothing of
exports, scoring or reports.
"""

from __future__ import annotations

from abcresearch.store.layout import (
    StoreBusyError,
    cache_folder,
    ingest_lock,
    prune_caches,
    round_folder,
    store_lock,
)
from abcresearch.store.read import (
    has_data,
    issues,
    linkable,
    load,
    manifest,
    named_area,
    rounds,
    surveyed,
    tambons_with_data,
    village_names,
)

__all__ = ["StoreBusyError", "cache_folder", "has_data", "ingest_lock", "issues", "linkable",
           "load", "manifest", "named_area", "prune_caches", "round_folder", "rounds", "store_lock",
           "surveyed", "tambons_with_data", "village_names"]
