"""Area indicators of readiness and need, with design-based SEs and intervals where sampled.

Per area (village or tambon), from the household sample: the share of level-1 households, the
mean capital scores and the community capital (the households' mean over the social, cultural
and local-wisdom capitals), as ratios of weighted totals in every area at once through the
linearisation core :func:`abcresearch.stats.domain_ratios`, and the Alkire-Foster M0 over the
capitals; from the village form (no sampling error): organisation strength with the kinds of
groups, the master plan, forums and the step of the strong-community process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

__all__ = ["ORG_COMPONENT_COLUMNS", "UNANSWERED_OF", "area_indicators", "group_type_names",
           "org_strength_index", "organisation_strength"]

#: Village-form indicators a tambon averages or pools over its villages -> the columns behind
#: each; an area's ``<indicator>_unanswered`` counts its villages left out of it, whose form
#: has no usable answer to one of them (a ratio pools its numerator and denominator over the
#: villages with both: a blank household count leaves the village's groups out too).
UNANSWERED_OF: dict[str, tuple[str, ...]] = {
    "forums_year": ("_forums",), "process_step": ("_step",), "master_plan": ("_plan",),
    "groups_per_100hh": ("_groups", "_hh"), "welfare_share": ("_welfare", "_pop")}


def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def group_type_names() -> list[str]:
    """Names of the kinds of groups on the village form, in form order (``group_type`` list)."""
    from abcresearch.survey.instrument import choices

    return [str(x) for x in choices("group_type", form="village")["name"]]


def organisation_strength(villages: pd.DataFrame, area: str = "village_code",
                          rules: GradeRules | str | Path | None = None) -> pd.DataFrame:
    """Organisation strength (0-100), group types, master plan and process step per area.

    The index is ``100 x sum of weight x min(value / full, 1)`` over the components of
    ``org_strength`` in ``params/grades.yaml``: groups per 100 households, kinds of groups
    present, welfare-fund members as a share of the population, forums a year. A component an
    area has no answer for (e.g. a form without the group-types question) is left out and the
    other weights are rescaled to add up to 1; with none answered the index is missing.

    Parameters
    ----------
    villages : pandas.DataFrame
        Village-form rows (``vil_households``, ``vil_population``, ``vil_groups``,
        ``vil_group_types`` (space-separated kinds), ``vil_welfare_members``,
        ``vil_forums_year``, ``vil_process_step``, ``vil_master_plan``) with ``area``.
    area : str
        ``village_code`` or ``tambon_code`` (pooled: groups and members summed, kinds of groups,
        forums and process step averaged over villages; ``master_plan`` the share of villages
        with a plan; ``group_types`` the kinds present in any village).
    rules : GradeRules, path or None
        Grade rules (component weights and "full" values).

    Returns
    -------
    pandas.DataFrame
        Index ``area``; ``groups_per_100hh``, ``n_group_types``, ``welfare_share``,
        ``forums_year``, ``org_strength``, ``process_step``, ``master_plan``,
        ``group_types`` (space-separated kind names, form order), ``n_villages``, and for each
        indicator of :data:`UNANSWERED_OF` ``<indicator>_unanswered`` (villages left out of it:
        for ``groups_per_100hh`` and ``welfare_share``, those without a usable numerator or
        denominator).
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
    plan = (v["vil_master_plan"].astype("string").str.strip().str.lower()
            if "vil_master_plan" in v.columns else pd.Series(pd.NA, index=v.index,
                                                              dtype="string"))
    v["_plan"] = np.where(plan.isna().to_numpy(), np.nan,
                          plan.isin(["yes", "1", "true"]).to_numpy(dtype=float))
    kinds = group_type_names()
    if "vil_group_types" in v.columns:
        raw = v["vil_group_types"].astype("string")
        ticked = raw.fillna("").str.split()
        v["_ntypes"] = np.where(raw.isna().to_numpy(), np.nan,
                                [float(len(set(t))) for t in ticked])
        for k in kinds:
            v[f"_k_{k}"] = [k in t for t in ticked]
    else:
        v["_ntypes"] = np.nan
        for k in kinds:
            v[f"_k_{k}"] = False
    # a ratio pools numerator and denominator over the same villages (both answered)
    both_g = v["_groups"].notna() & v["_hh"].notna()
    both_w = v["_welfare"].notna() & v["_pop"].notna()
    v["_groups_b"], v["_hh_b"] = v["_groups"].where(both_g), v["_hh"].where(both_g)
    v["_welfare_b"], v["_pop_b"] = v["_welfare"].where(both_w), v["_pop"].where(both_w)
    g = v.groupby(area, sort=True)
    present = g[[f"_k_{k}" for k in kinds]].any()
    out = pd.DataFrame({
        "groups_per_100hh": 100 * g["_groups_b"].sum(min_count=1)
        / g["_hh_b"].sum(min_count=1),
        "n_group_types": g["_ntypes"].mean(),
        "welfare_share": (g["_welfare_b"].sum(min_count=1)
                          / g["_pop_b"].sum(min_count=1)).clip(upper=1),
        "forums_year": g["_forums"].mean(),
        "process_step": g["_step"].mean(),
        "master_plan": g["_plan"].mean(),
        "group_types": [" ".join(k for k, p in zip(kinds, row, strict=True) if p)
                        for row in present.to_numpy(dtype=bool)],
        "n_villages": g.size(),
    })
    # villages whose form left a figure blank (an unusable answer, the rest of the form kept):
    # a tambon's average or ratio rests on the others, and "no village held a forum" cannot
    # be said
    for name, cols in UNANSWERED_OF.items():
        out[f"{name}_unanswered"] = v[list(cols)].isna().any(axis=1).groupby(
            v[area], sort=True).sum()
    out.insert(4, "org_strength", org_strength_index(out, gr))
    out.index.name = area
    return out


#: The column of an area's indicators each organisation-strength component reads.
ORG_COMPONENT_COLUMNS = {"groups_per_100hh": "groups_per_100hh", "group_types": "n_group_types",
                         "welfare_share": "welfare_share", "forums_year": "forums_year"}


def org_strength_index(values: pd.DataFrame | Mapping[str, Any],
                       rules: GradeRules | str | Path | None = None) -> np.ndarray:
    """Return the organisation-strength index (0-100) of areas from their components' values.

    ``100 x sum of weight x min(value / full, 1)`` over the components of ``org_strength`` in
    ``params/grades.yaml``; a component an area has no value for is left out and the other
    weights rescaled to add up to 1 (none: missing). :func:`organisation_strength` computes
    it so; what would lift an area computes it again with one figure changed.

    Parameters
    ----------
    values : pandas.DataFrame or mapping
        Columns (or keys) of :data:`ORG_COMPONENT_COLUMNS`' values, one row (or a scalar each)
        per area.
    rules : GradeRules, path or None
        Grade rules.

    Returns
    -------
    numpy.ndarray
        One index per area.
    """
    gr = rules if isinstance(rules, GradeRules) else load_grade_rules(rules)
    present = [values[c] for c in ORG_COMPONENT_COLUMNS.values() if c in values]
    n = len(values) if isinstance(values, pd.DataFrame) else (
        max((np.size(v) for v in present), default=1))
    num = np.zeros(n)
    den = np.zeros(n)
    for name, c in gr.org_components.items():
        column = ORG_COMPONENT_COLUMNS[name]
        raw = values[column] if column in values else np.nan
        x = np.minimum(np.asarray(raw, dtype=float).reshape(-1) / float(c["full"]), 1)
        num += np.where(np.isnan(x), 0.0, float(c["weight"]) * x)
        den += np.where(np.isnan(x), 0.0, float(c["weight"]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100 * np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _villages_without_form(households: pd.DataFrame, villages: pd.DataFrame, area: str
                           ) -> pd.Series:
    """Count, per area, the surveyed villages (with households) that have no village-form row."""
    if "village_code" not in households.columns or "village_code" not in villages.columns \
            or area not in households.columns:
        return pd.Series(dtype=float)
    known = households[area].notna() & households["village_code"].notna()
    surveyed = pd.DataFrame({"area": households.loc[known, area].astype(str),
                             "village": households.loc[known, "village_code"].astype(str)}
                            ).drop_duplicates()
    lacking = ~surveyed["village"].isin(villages["village_code"].dropna().astype(str))
    return surveyed.loc[lacking].groupby("area").size().astype(float)


def area_indicators(design: SurveyDesignBase, scores: HouseholdScores, area: str,
                    villages: pd.DataFrame | None = None,
                    rules: GradeRules | str | Path | None = None,
                    level: float = 0.95, af_k: float | None = None) -> pd.DataFrame:
    """Return the indicators of readiness and need, one row per area, with intervals where sampled.

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
        Village-form rows for organisation strength, master plan, forums and process step
        (missing otherwise).
    rules : GradeRules, path or None
        Grade rules (``community_capitals``, organisation-strength components).
    level : float
        Confidence level of the intervals.
    af_k : float, optional
        Alkire-Foster poverty cut-off for ``H`` and ``m0`` (share; default the scheme's).

    Returns
    -------
    pandas.DataFrame
        Index ``area``: ``n_households``; sampled, each with ``_se``, ``_ci_low``,
        ``_ci_high``: ``share_level1`` (logit interval), ``mean_<capital>`` (Wald),
        ``community_capital`` (households' mean score over the rules' community capitals,
        Wald), ``m0`` (logit); ``mean_score``, ``H``; from the village form (no sampling
        error): the columns of :func:`organisation_strength`.
    """
    gr = load_grade_rules(rules)
    sch = scores.scheme
    codes, grp = group_codes(design, area)
    labels = pd.Index([], name=area) if grp is None else grp
    n_dom = len(labels)
    ov = design.align(scores.overall_level.astype("float64"), "scores.overall_level")
    ov = np.asarray(ov, dtype=float)
    S = np.asarray(design.align(scores.scores[list(sch.capital_ids)].astype("float64"),
                                "scores.scores"), dtype=float)
    comm = [j for j, c in enumerate(sch.capital_ids) if c in gr.community_capitals]
    # the household's mean over the community capitals (all of them scored), so that the
    # area's community_capital is one ratio with its own linearised SE
    cc = S[:, comm].mean(axis=1) if comm else np.empty((len(S), 0))
    # one pass: share of level-1 households, the capital means and the community capital,
    # each over the households with that value present (ratio sum w y 1[present] /
    # sum w 1[present] = domain mean)
    vals = np.column_stack([S, cc])
    present = np.column_stack([~np.isnan(ov), ~np.isnan(vals)]).astype(float)
    Y = np.column_stack([(ov == 1).astype(float), np.where(np.isnan(vals), 0.0, vals)])
    r = domain_ratios(design, Y, present, design.partition(codes, n_dom))
    out = pd.DataFrame(index=labels)
    out["n_households"] = np.bincount(codes[codes >= 0], minlength=n_dom)

    def put(name: str, j: int, ok: np.ndarray, interval: str) -> None:
        used = np.where(ok, codes, -1)
        t = estimate_table(r["estimate"][:, j], r["se"][:, j], design.domain_df(used, n_dom),
                           np.bincount(used[used >= 0], minlength=n_dom), labels, level=level,
                           statistic=name, interval=interval)
        out[name] = t["estimate"].to_numpy()
        for col in ("se", "ci_low", "ci_high"):
            out[f"{name}_{col}"] = t[col].to_numpy()

    put("share_level1", 0, ~np.isnan(ov), "logit")
    for j, cap in enumerate(sch.capital_ids):
        put(f"mean_{cap}", 1 + j, ~np.isnan(S[:, j]), "wald")
    out["mean_score"] = out[[f"mean_{c}" for c in sch.capital_ids]].mean(axis=1)
    if comm:
        put("community_capital", 1 + len(sch.capital_ids), ~np.isnan(cc), "wald")
    else:  # the scheme has none of the community capitals
        for col in ("", "_se", "_ci_low", "_ci_high"):
            out[f"community_capital{col}"] = np.nan
    # Alkire-Foster H and M0 over the capitals: the means of 1[poor] and c(k) over the
    # households with every capital scored, as capital_deprivation(by=area) computes them
    # (the same operations, so the same numbers), without its indicator tables
    sch_w = np.array(list(sch.af_weights.values()))
    G = np.asarray(design.align(scores.deprivation[[f"dep_{c}" for c in sch.af_weights]]
                                .astype("float64"), "scores.deprivation"), dtype=float)
    c, poor = deprivation_scores(G, sch_w, sch.af_k if af_k is None else af_k)
    af_codes = np.where(np.isnan(c), -1, codes)
    pf = poor.astype(float)
    af = domain_ratios(design, np.column_stack([pf, np.where(np.isnan(c), 0.0, c) * pf]), None,
                       design.partition(af_codes, n_dom))
    out["H"] = af["estimate"][:, 0]
    t0 = estimate_table(af["estimate"][:, 1], af["se"][:, 1], design.domain_df(af_codes, n_dom),
                        np.bincount(af_codes[af_codes >= 0], minlength=n_dom), labels,
                        level=level, statistic="M0", interval="logit")
    out["m0"] = t0["estimate"].to_numpy()
    out["m0_se"] = t0["se"].to_numpy()
    out["m0_ci_low"] = t0["ci_low"].to_numpy()
    out["m0_ci_high"] = t0["ci_high"].to_numpy()
    if villages is not None:
        org = organisation_strength(villages, area, gr)
        # the village-form figures are keyed by string codes (from village_code): matched on
        # the areas' codes as strings, whatever type the design's area column has
        out = pd.concat([out, org.reindex(out.index.astype(str)).set_axis(out.index)], axis=1)
        # a surveyed village with no form at all is left out of every village-form figure as
        # much as one whose form left it blank: "leaving out 2 villages" must count it
        no_form = _villages_without_form(design.data, villages, area)
        for name in UNANSWERED_OF:
            col = f"{name}_unanswered"
            out[col] = out[col].fillna(0) + no_form.reindex(out.index.astype(str),
                                                            fill_value=0).to_numpy()
    else:
        for col in ("groups_per_100hh", "n_group_types", "welfare_share", "forums_year",
                    "org_strength", "process_step", "master_plan"):
            out[col] = np.nan
        out["group_types"] = ""
    out.index.name = area
    return out
