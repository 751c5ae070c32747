"""Area indicators that decide the grades, with design-based SEs where they are sampled.

Per area (village or tambon): the share of level-1 households and the mean capital scores
(ratios of weighted totals in every area at once, through the linearisation core
:func:`abcresearch.stats.domain_ratios`), the Alkire-Foster M0 over the capitals, and from the
village form organisation strength and the master-plan step (no sampling error).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from abcresearch.errors import InputError
from abcresearch.scoring.alkire_foster import deprivation_scores
from abcresearch.scoring.grade_rules import GradeRules, load_grade_rules
from abcresearch.stats.core import SurveyDesignBase
from abcresearch.stats.domains import domain_ratios, group_codes
from abcresearch.stats.results import estimate_table

if TYPE_CHECKING:
    from abcresearch.scoring.households import HouseholdScores

__all__ = ["area_indicators", "organisation_strength"]


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def organisation_strength(villages: pd.DataFrame, area: str = "village_code",
                          rules: GradeRules | str | Path | None = None) -> pd.DataFrame:
    """Organisation strength (0-100) and master-plan step per area from the village form.

    Parameters
    ----------
    villages : pandas.DataFrame
        Village-form rows (``vil_households``, ``vil_population``, ``vil_groups``,
        ``vil_welfare_members``, ``vil_forums_year``, ``vil_process_step``) with ``area``.
    area : str
        ``village_code`` or ``tambon_code`` (pooled: groups and members summed, forums and
        process step averaged over villages).
    rules : GradeRules, path or None
        Grade rules (component weights and "full" values).

    Returns
    -------
    pandas.DataFrame
        Index ``area``; ``groups_per_100hh``, ``welfare_share``, ``forums_year``,
        ``org_strength``, ``process_step``, ``n_villages``.
    """
    gr = load_grade_rules(rules)
    v = villages.copy()
    if area not in v.columns:
        if area == "tambon_code" and "village_code" in v.columns:
            v["tambon_code"] = v["village_code"].astype(str).str[:6]
        else:
            raise InputError(f"village table has no {area!r} column")
    v["_hh"] = _num(v, "vil_households")
    v["_pop"] = _num(v, "vil_population")
    v["_groups"] = _num(v, "vil_groups")
    v["_welfare"] = _num(v, "vil_welfare_members")
    v["_forums"] = _num(v, "vil_forums_year")
    v["_step"] = _num(v, "vil_process_step")
    # a ratio pools numerator and denominator over the same villages (both answered)
    both_g = v["_groups"].notna() & v["_hh"].notna()
    both_w = v["_welfare"].notna() & v["_pop"].notna()
    v["_groups_b"], v["_hh_b"] = v["_groups"].where(both_g), v["_hh"].where(both_g)
    v["_welfare_b"], v["_pop_b"] = v["_welfare"].where(both_w), v["_pop"].where(both_w)
    g = v.groupby(area, sort=True)
    out = pd.DataFrame({
        "groups_per_100hh": 100 * g["_groups_b"].sum(min_count=1)
        / g["_hh_b"].sum(min_count=1),
        "welfare_share": (g["_welfare_b"].sum(min_count=1)
                          / g["_pop_b"].sum(min_count=1)).clip(upper=1),
        "forums_year": g["_forums"].mean(),
        "process_step": g["_step"].mean(),
        "n_villages": g.size(),
    })
    idx = np.zeros(len(out))
    for name, c in gr.org_components.items():
        idx = idx + float(c["weight"]) * np.minimum(out[name].to_numpy() / float(c["full"]), 1)
    out.insert(3, "org_strength", 100 * idx)
    out.index.name = area
    return out


def area_indicators(design: SurveyDesignBase, scores: HouseholdScores, area: str,
                    villages: pd.DataFrame | None = None,
                    rules: GradeRules | str | Path | None = None,
                    level: float = 0.95) -> pd.DataFrame:
    """The indicators that decide the grades, one row per area, with SEs where design-based.

    Parameters
    ----------
    design : SurveyDesign
        Design on the scored household rows.
    scores : HouseholdScores
        Household scores, on the index of ``design.data`` (aligned; a mismatching index is an
        error).
    area : str
        Column of ``design.data`` naming the area (``village_code``, ``tambon_code``).
    villages : pandas.DataFrame, optional
        Village-form rows for organisation strength and process step (missing otherwise).
    rules : GradeRules, path or None
        Grade rules.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Index ``area``: ``n_households``, ``share_level1`` (+ ``_se``, ``_ci_low``,
        ``_ci_high``), ``mean_<capital>`` (+ ``_se``), ``mean_score``, ``H``, ``m0``
        (+ ``_se``), ``org_strength``, ``process_step`` and the strength components.
    """
    sch = scores.scheme
    codes, grp = group_codes(design, area)
    labels = pd.Index([], name=area) if grp is None else grp
    n_dom = len(labels)
    ov = design.align(scores.overall_level.astype("float64"), "scores.overall_level")
    ov = np.asarray(ov, dtype=float)
    S = np.asarray(design.align(scores.scores[list(sch.capital_ids)].astype("float64"),
                                "scores.scores"), dtype=float)
    # one pass: share of level-1 households and the capital means, each over the households
    # with that value present (ratio sum w y 1[present] / sum w 1[present] = domain mean)
    present = np.column_stack([~np.isnan(ov), ~np.isnan(S)]).astype(float)
    Y = np.column_stack([(ov == 1).astype(float), np.where(np.isnan(S), 0.0, S)])
    r = domain_ratios(design, Y, present, design.partition(codes, n_dom))
    lv_codes = np.where(np.isnan(ov), -1, codes)
    df1 = design.domain_df(lv_codes, n_dom)
    n1 = np.bincount(lv_codes[lv_codes >= 0], minlength=n_dom)
    t1 = estimate_table(r["estimate"][:, 0], r["se"][:, 0], df1, n1, labels, level=level,
                        statistic="share_level1", interval="logit")
    out = pd.DataFrame(index=labels)
    out["n_households"] = np.bincount(codes[codes >= 0], minlength=n_dom)
    out["share_level1"] = t1["estimate"]
    out["share_level1_se"] = t1["se"]
    out["share_level1_ci_low"] = t1["ci_low"]
    out["share_level1_ci_high"] = t1["ci_high"]
    for j, cap in enumerate(sch.capital_ids):
        out[f"mean_{cap}"] = r["estimate"][:, 1 + j]
        out[f"mean_{cap}_se"] = r["se"][:, 1 + j]
    out["mean_score"] = out[[f"mean_{c}" for c in sch.capital_ids]].mean(axis=1)
    # Alkire-Foster H and M0 over the capitals: the means of 1[poor] and c(k) over the
    # households with every capital scored, as capital_deprivation(by=area) computes them
    # (the same operations, so the same numbers), without its indicator tables
    sch_w = np.array(list(sch.af_weights.values()))
    G = np.asarray(design.align(scores.deprivation[[f"dep_{c}" for c in sch.af_weights]]
                                .astype("float64"), "scores.deprivation"), dtype=float)
    c, poor = deprivation_scores(G, sch_w, sch.af_k)
    af_codes = np.where(np.isnan(c), -1, codes)
    pf = poor.astype(float)
    af = domain_ratios(design, np.column_stack([pf, np.where(np.isnan(c), 0.0, c) * pf]), None,
                       design.partition(af_codes, n_dom))
    out["H"] = af["estimate"][:, 0]
    out["m0"] = af["estimate"][:, 1]
    out["m0_se"] = af["se"][:, 1]
    if villages is not None:
        org = organisation_strength(villages, area, rules)
        out = out.join(org, how="left")
    else:
        for c in ("groups_per_100hh", "welfare_share", "forums_year", "org_strength",
                  "process_step"):
            out[c] = np.nan
    out.index.name = area
    return out
