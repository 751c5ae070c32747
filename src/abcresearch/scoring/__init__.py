"""Capital scores and levels, development tracks, Alkire-Foster deprivation, grades, rounds.

Owns everything computed from scored households under a scheme: pure functions of (data,
scheme) or of a survey design. May import ``abcresearch.stats`` (the design and its variance
core), ``survey.instrument`` (the forms' choice lists), ``errors``, ``paths``, ``params`` and
``labels``; never store, ingest, analysis or reports. Rules live
in ``params/scoring*.yaml`` (scoring schemes) and ``params/grades.yaml`` (grade rules).

Modules: :mod:`~abcresearch.scoring.scheme` (scheme loading), :mod:`~abcresearch.scoring.households`
(item and capital scores, levels, tracks), :mod:`~abcresearch.scoring.alkire_foster`,
:mod:`~abcresearch.scoring.indicators` (area indicators with SEs),
:mod:`~abcresearch.scoring.grade_rules` (readiness-grade, need and priority rules: loading and
application), :mod:`~abcresearch.scoring.readiness` (near-threshold grades, what would lift an
area, need x grade table), :mod:`~abcresearch.scoring.sensitivity` (grades under moved
thresholds and k), :mod:`~abcresearch.scoring.typology` (k-means typology),
:mod:`~abcresearch.scoring.grades` (grading villages and tambons end to end),
:mod:`~abcresearch.scoring.rounds` (matching, transitions, change between rounds) and
:mod:`~abcresearch.scoring.simulate` (test data).
"""

from __future__ import annotations

from abcresearch.scoring.alkire_foster import (
    AlkireFosterResult,
    alkire_foster,
    capital_deprivation,
    deprivation_scores,
    nested_weights,
)
from abcresearch.scoring.grade_rules import (
    GradeRules,
    apply_rules,
    load_grade_rules,
    need_classes,
    priority_bands,
    priority_rank,
)
from abcresearch.scoring.grades import Grades, grade_tambons, grade_villages
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
from abcresearch.scoring.indicators import area_indicators, organisation_strength
from abcresearch.scoring.readiness import lift_conditions, near_threshold, need_readiness_table
from abcresearch.scoring.rounds import (
    Transitions,
    change_design,
    level_transitions,
    match_households,
    panel_change,
    round_change,
)
from abcresearch.scoring.scheme import Capital, ItemRule, Scheme
from abcresearch.scoring.scheme_file import available_schemes, load_scheme, resolve_scheme
from abcresearch.scoring.sensitivity import grade_sensitivity, threshold_sensitivity
from abcresearch.scoring.typology import Typology, typology

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
    "apply_rules",
    "area_indicators",
    "available_schemes",
    "capital_deprivation",
    "capital_levels",
    "capital_scores",
    "change_design",
    "deprivation_matrix",
    "deprivation_scores",
    "development_tracks",
    "grade_sensitivity",
    "grade_tambons",
    "grade_villages",
    "item_scores",
    "level_transitions",
    "lift_conditions",
    "load_grade_rules",
    "load_scheme",
    "match_households",
    "near_threshold",
    "need_classes",
    "need_readiness_table",
    "nested_weights",
    "organisation_strength",
    "overall_levels",
    "panel_change",
    "priority_bands",
    "priority_rank",
    "round_change",
    "resolve_scheme",
    "score_households",
    "threshold_sensitivity",
    "typology",
]
