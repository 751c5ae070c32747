"""Capital scores and levels, development tracks, Alkire-Foster deprivation, community grades.

Rules live in ``params/scoring*.yaml`` (scoring schemes) and ``params/grades.yaml`` (grade rules);
every function here is a pure function of (data, scheme) or of a survey design
(:class:`abcresearch.stats.SurveyDesign`).
"""

from __future__ import annotations

from abcresearch.scoring.alkire_foster import (
    AlkireFosterResult,
    alkire_foster,
    capital_deprivation,
    nested_weights,
)
from abcresearch.scoring.grades import (
    GradeRules,
    Grades,
    Typology,
    area_indicators,
    grade_tambons,
    grade_villages,
    load_grade_rules,
    organisation_strength,
    typology,
)
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
from abcresearch.scoring.rounds import (
    Transitions,
    independent_change,
    level_transitions,
    match_households,
    panel_change,
)
from abcresearch.scoring.scheme import Capital, ItemRule, Scheme, available_schemes, load_scheme

__all__ = [
    "AlkireFosterResult",
    "Capital",
    "GradeRules",
    "Grades",
    "HouseholdScores",
    "ItemRule",
    "Scheme",
    "Transitions",
    "Typology",
    "alkire_foster",
    "area_indicators",
    "available_schemes",
    "capital_deprivation",
    "capital_levels",
    "capital_scores",
    "deprivation_matrix",
    "development_tracks",
    "grade_tambons",
    "grade_villages",
    "independent_change",
    "item_scores",
    "level_transitions",
    "load_grade_rules",
    "load_scheme",
    "match_households",
    "nested_weights",
    "organisation_strength",
    "overall_levels",
    "panel_change",
    "score_households",
    "typology",
]
