"""Capital scores and levels, development tracks, Alkire-Foster deprivation, community grades.

Rules live in ``params/scoring*.yaml`` (scoring schemes) and ``params/grades.yaml`` (grade rules);
every function here is a pure function of (data, scheme) or of a survey design.
"""

from __future__ import annotations

from abcresearch.scoring.households import (
    HouseholdScores,
    capital_levels,
    capital_scores,
    deprivation_matrix,
    development_tracks,
    item_scores,
    overall_levels,
    score_households,
)
from abcresearch.scoring.scheme import Capital, ItemRule, Scheme, available_schemes, load_scheme

__all__ = [
    "Capital",
    "HouseholdScores",
    "ItemRule",
    "Scheme",
    "available_schemes",
    "capital_levels",
    "capital_scores",
    "deprivation_matrix",
    "development_tracks",
    "item_scores",
    "load_scheme",
    "overall_levels",
    "score_households",
]
