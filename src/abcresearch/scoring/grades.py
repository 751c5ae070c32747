"""Community grades กลุ่ม A/B/C (readiness) with need beside them, for villages and tambons.

Grading an area runs four jobs, each in its own module: the indicators
(:mod:`~abcresearch.scoring.indicators`: readiness from the village form -- organisation
strength with the kinds of groups, process step, master plan, forums -- and the households'
social, cultural and local-wisdom capitals; need -- share of level-1 households, M0 -- with
design-based intervals), the ordered rules of ``params/grades.yaml``
(:mod:`~abcresearch.scoring.grade_rules`: grade and need class with reasons in Thai and
English, priority bands), the near-threshold flags (:mod:`~abcresearch.scoring.readiness`) and
the k-means typology beside them (:mod:`~abcresearch.scoring.typology`). This module puts them
together; the names of those modules are re-exported here so older imports keep working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from abcresearch.labels import label, names_list
from abcresearch.scoring.grade_rules import (
    FORM_INDICATORS,
    INDICATORS,
    GradeRules,
    apply_rules,
    indicator_label,
    load_grade_rules,
    need_classes,
    priority_bands,
    priority_rank,
    undecided_by_missing,
)
from abcresearch.scoring.indicators import area_indicators, organisation_strength
from abcresearch.scoring.readiness import near_threshold
from abcresearch.scoring.typology import Typology, typology
from abcresearch.stats.core import SurveyDesignBase

if TYPE_CHECKING:
    from abcresearch.scoring.households import HouseholdScores

__all__ = [
    "INDICATORS",
    "GradeRules",
    "Grades",
    "Typology",
    "apply_rules",
    "area_indicators",
    "grade_tambons",
    "grade_villages",
    "load_grade_rules",
    "organisation_strength",
    "priority_rank",
    "typology",
]


@dataclass(frozen=True)
class Grades:
    """Grades of villages or tambons.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per area: the indicators (:func:`area_indicators`); the readiness grade
        ``grade``, ``grade_label_th/en``, ``reason_th/en`` ("; "-joined conditions),
        ``missing_indicators``, ``near_threshold`` (bool) and ``near_threshold_indicator``;
        need beside it: ``need`` (``high``/``low``), ``need_label_th/en``,
        ``need_reason_th/en``, ``need_near_threshold``, ``need_near_threshold_indicator``;
        priority: ``priority_band`` (1 = first; the need x grade cell), ``priority_cell``
        (``"<need>_<grade>"``), ``priority_rank`` (listing order only, not for publication);
        ``org_strength_rank`` (1 = strongest, ties share the best rank); ``cluster``.
    area : str
        The area column.
    rules : GradeRules
        The rules used.
    typology : Typology or None
        The data-driven typology and its cross-tab against the grades.
    """

    table: pd.DataFrame
    area: str
    rules: GradeRules = field(repr=False)
    typology: Typology | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return the grade table."""
        return self.table.copy()

    def summary(self) -> pd.DataFrame:
        """Return the number of areas per grade and their mean indicators."""
        cols = [c for c in INDICATORS if c in self.table]
        g = self.table.groupby("grade")
        out = g[cols].mean()
        out.insert(0, "n_areas", g.size())
        return out.reindex([x for x in self.rules.grade_order if x in out.index])

    def priority(self) -> pd.DataFrame:
        """Return the areas in priority order (band 1 first, listing order within a band)."""
        return self.table.sort_values("priority_rank")


def _grade(design: SurveyDesignBase, scores: HouseholdScores, area: str,
           villages: pd.DataFrame | None, rules: GradeRules | str | Path | None,
           with_typology: bool, level: float) -> Grades:
    gr = load_grade_rules(rules)
    kind = "tambon" if area == "tambon_code" else "village"
    ind = area_indicators(design, scores, area, villages, gr, level)
    res = apply_rules(ind, gr, level=kind)
    # a grade the missing figures decided is withheld: an area with none of the village-form
    # indicators (its form not sent, or rejected) fell through to B, every condition of group
    # C but one resting on the form ("กลุ่ม B" with only "no data" reasons, a review), and a
    # form kept with unusable answers (params/ingest.yaml) may leave C or A open the same way;
    # a condition met without them (community capital below C's threshold) still decides
    undecided, missing = undecided_by_missing(ind, gr)
    if undecided.any():
        formless = ind.reindex(columns=list(FORM_INDICATORS)).isna().all(axis=1).to_numpy()
        res["grade"] = res["grade"].astype(object).where(~undecided, None)
        for lang in ("th", "en"):
            res.loc[undecided, f"reason_{lang}"] = [
                label("grade.no_village_form", lang) if formless[i]
                else label("grade.undecided", lang, indicators=names_list(
                    partial(label, lang=lang), [indicator_label(m, lang) for m in missing[i]]))
                for i in np.flatnonzero(undecided)]
    table = ind.join(res)
    for lang in ("th", "en"):
        table[f"grade_label_{lang}"] = table["grade"].map(
            lambda g, lang=lang: gr.grade_labels[g][lang] if pd.notna(g)
            else label("rollout.grade_withheld", lang))
    table = table.join(near_threshold(ind, gr))
    table = table.join(need_classes(ind, gr, kind))
    table = table.join(priority_bands(ind, table["grade"], table["need"], gr))
    table["org_strength_rank"] = table["org_strength"].rank(
        ascending=False, method="min").astype("Int64")
    typ = None
    if with_typology and len(table) >= 4:
        typ = typology(ind, scores.scheme.capital_ids, table["grade"], gr)
        table["cluster"] = typ.cluster.reindex(table.index).astype("Int64")
    table.attrs.update({"grade_rules": f"{gr.scheme_id} v{gr.scheme_version}",
                        "scoring_scheme": f"{scores.scheme.scheme_id} "
                                          f"v{scores.scheme.scheme_version}",
                        "level": level})
    return Grades(table=table, area=area, rules=gr, typology=typ)


def grade_villages(design: SurveyDesignBase, scores: HouseholdScores,
                   villages: pd.DataFrame | None = None,
                   rules: GradeRules | str | Path | None = None, typology: bool = True,
                   level: float = 0.95) -> Grades:
    """Grade every village A/B/C by readiness, with need, reasons, priority bands and a typology.

    Parameters
    ----------
    design : SurveyDesign
        Design on the scored household rows (its data needs ``village_code``).
    scores : HouseholdScores
        Household scores.
    villages : pandas.DataFrame, optional
        Village-form rows (``abcresearch.store.read.load(round, table="villages")``).
    rules : GradeRules, path or None
        Grade rules (default ``params/grades.yaml``).
    typology : bool, default True
        Also cluster the villages on their capital profiles.
    level : float
        Confidence level.

    Returns
    -------
    Grades
    """
    return _grade(design, scores, "village_code", villages, rules, typology, level)


def grade_tambons(design: SurveyDesignBase, scores: HouseholdScores,
                  villages: pd.DataFrame | None = None,
                  rules: GradeRules | str | Path | None = None, typology: bool = True,
                  level: float = 0.95) -> Grades:
    """Grade every tambon A/B/C (households pooled over the tambon.

    see :func:`grade_villages` for the parameters; the design's data needs ``tambon_code``).
    """
    return _grade(design, scores, "tambon_code", villages, rules, typology, level)
