"""Small-area estimates in the reports (issue 13, item 5).

A tambon resting on fewer than ``min_sampled_villages`` sampled villages (``params/status.yaml``)
has estimate basis ``model`` when the round has small-area estimates
(:func:`abcresearch.analysis.smallarea.round_small_area`), and grade status ``provisional``
(:mod:`abcresearch.analysis.status`). Its report then says, in plain words on the cover and in
:func:`small_area`, that its tambon figures are model estimates, what they rest on (the sampled
villages, the BMN data of every village, the relation fitted on the other tambons, the
benchmark to the province) and gives each measure with its RMSE and interval, and the need
class the model estimates give (provisional). :func:`tambon_overview` lists every tambon of the
round's universe with a direct or model-based estimate and says which is which.

Published values: model estimates are not cells of households. A synthetic estimate (no sampled
village) rests on no household of the tambon; an EBLUP is published only when the tambon's
sampled households are not a small count (:func:`abcresearch.reports.disclosure.is_small`).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.analysis.smallarea import (
    SmallAreaResult,
    SmallAreaUnavailable,
    round_small_area,
)
from abcresearch.analysis.status import (
    EstimateBasis,
    estimate_basis,
    grade_status,
    load_status_rules,
)
from abcresearch.reports.context import AreaContext, ProvinceContext
from abcresearch.reports.disclosure import Publisher, is_small
from abcresearch.reports.render.display import format_number
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder, check_limit
from abcresearch.reports.sections.levels import level1_share
from abcresearch.scoring.grade_rules import need_classes
from abcresearch.scoring.grades import load_grade_rules
from abcresearch.survey.areas import amphoes, tambons

__all__ = ["MEASURE_FORMAT", "area_estimates", "cover_lines", "hidden_measures", "model_fit",
           "model_headline", "printed_estimates", "small_area", "status_text", "tambon_overview"]

#: How each measure is printed: (scale, decimals).
MEASURE_FORMAT: dict[str, tuple[float, int]] = {"share_level1": (100.0, 1),
                                                "mean_score": (1.0, 1), "m0": (1.0, 3)}


def _result(survey_round: int, store: str | Path | None, scheme: Any
            ) -> SmallAreaResult | None:
    from abcresearch.paths import project_path

    try:  # a relative store is relative to the project, not to the notebook's folder
        return round_small_area(survey_round, project_path(store), scheme=scheme)
    except SmallAreaUnavailable:
        return None


def area_estimates(report: AreaContext, result: SmallAreaResult | None = None
                   ) -> pd.DataFrame | None:
    """Return the small-area rows of a tambon report's area (None when there are none).

    Parameters
    ----------
    report : AreaContext
        A tambon's report (other levels: None).
    result : SmallAreaResult, optional
        The round's small-area estimates (default: :func:`round_small_area`, cached per round;
        None when the round cannot have them).

    Returns
    -------
    pandas.DataFrame or None
        One row per measure (:class:`SmallAreaResult` ``estimates`` columns).
    """
    if report.level != "tambon":
        return None
    res = result if result is not None else _result(report.survey_round, report.store,
                                                     report.analysis.scheme)
    if res is None:
        return None
    rows = res.area(report.area.code)
    return rows if not rows.empty else None


def _status(report: AreaContext, rows: pd.DataFrame | None) -> tuple[EstimateBasis, Any, int]:
    rules = load_status_rules()
    n_vil = (int(rows["villages_sampled"].iloc[0]) if rows is not None
             else int(report.households["village_code"].nunique()))
    basis = estimate_basis(report.level, n_vil, model_available=rows is not None, rules=rules)
    return basis, grade_status(report.level, basis, n_vil, rules=rules), n_vil


def _direct_enough(report: AreaContext) -> bool:
    """Whether the area's own sample decides its basis (not a tambon, or enough villages)."""
    if report.level != "tambon":
        return True
    n_vil = int(report.households["village_code"].nunique())
    return n_vil >= load_status_rules().min_sampled_villages


def cover_lines(report: AreaContext, result: SmallAreaResult | None = None) -> list[str]:
    """Lines for the cover of a tambon whose estimates are model-based (else none).

    The grade status (``provisional``) in bold and one plain sentence; for :func:`cover`.
    """
    if _direct_enough(report):
        return []
    rows = area_estimates(report, result)
    if rows is None:
        return []
    basis, status, _ = _status(report, rows)
    if basis is not EstimateBasis.MODEL:
        return []
    line = report.t("smallarea.status_line", basis=report.t("basis.model"),
                    status=status_text(report, status))
    return [f"**{line}**"]


def model_headline(report: AreaContext) -> dict[str, dict[str, str | float]] | None:
    """Return the model estimates an area report leads with, as its model section prints them.

    For a tambon whose basis is ``model`` (fewer sampled villages than the status rules ask)
    the tambon's figures are the model's: its summary page, key findings and summary JSON
    lead with them (they led with its one village's direct figures, under "provisional,
    model-based"), while its tables describe the sampled villages and say so. None for any
    other area, and where the model section hides the figure (its direct part hidden).

    Returns
    -------
    dict or None
        By measure (``share_level1``, ``m0``): ``estimate``, ``ci_low``, ``ci_high`` (unrounded,
        0-1 for a share) and their printed texts ``text``, ``low``, ``high``.
    """
    if report.level != "tambon" or _direct_enough(report):
        return None
    rows = area_estimates(report)
    if rows is None:
        return None
    basis, _, _ = _status(report, rows)
    if basis is not EstimateBasis.MODEL:
        return None
    by_m = rows.set_index("measure")
    hidden = hidden_measures(report, rows)  # as the model section hides them
    out: dict[str, dict[str, str | float]] = {}
    for m in ("share_level1", "m0"):
        if m not in by_m.index or m in hidden:
            continue
        r = by_m.loc[m]
        if not all(np.isfinite(float(r[k])) for k in ("estimate", "ci_low", "ci_high")):
            continue  # no figure to lead with
        out[m] = {"estimate": float(r["estimate"]), "ci_low": float(r["ci_low"]),
                  "ci_high": float(r["ci_high"]), "text": _fmt(r["estimate"], m),
                  "low": _fmt(r["ci_low"], m), "high": _fmt(r["ci_high"], m)}
    return out or None


def status_text(report: Any, status: Any) -> str:
    """Return the words of a grade status; a provisional one with no group says so.

    A tambon the model estimates has a provisional need class but no A/B/C group: its cover
    read "not graded" and, one line below, "grade status: provisional (model-based)".
    """
    value = getattr(status, "value", status)
    if value == "provisional" and getattr(report.status, "grade", None) is None:
        return report.t("grade_status.provisional_ungraded")
    return report.t(f"grade_status.{value}")


def printed_estimates(rows: pd.DataFrame, hidden: Collection[str] = ()
                      ) -> list[dict[str, Any]]:
    """Return a tambon's small-area rows as its report prints them, for the summary JSON.

    One record per measure: ``measure, kind``, and ``estimate, rmse, ci_low, ci_high`` on the
    printed scale (``scale``: 100 for a share printed as a percentage) and rounded as printed
    (:data:`MEASURE_FORMAT`); None for a measure in ``hidden`` (its model section prints a
    marker: :func:`hidden_measures`) and for a missing value.
    """
    printed = []
    for r in rows.itertuples():
        scale, dec = MEASURE_FORMAT.get(str(r.measure), (1.0, 2))
        values = {k: float(getattr(r, k)) for k in ("estimate", "rmse", "ci_low", "ci_high")}
        printed.append({"measure": str(r.measure), "kind": str(r.kind),
                        **{k: None if str(r.measure) in hidden or not np.isfinite(v)
                           else float(_fmt(v, str(r.measure), k != "rmse").replace(",", ""))
                           for k, v in values.items()},
                        "scale": scale})
    return printed


def hidden_measures(report: AreaContext, rows: pd.DataFrame) -> set[str]:
    """Return the measures an area's model section prints as a marker.

    An EBLUP mixes in the tambon's direct estimate: where the round's disclosure step hides
    that (few households, or its level-1 share or M0 hidden), the EBLUP is hidden too.
    """
    kind = str(rows["kind"].iloc[0])
    if kind != "eblup":
        return set()
    measures = set(rows["measure"].astype(str))
    if bool(is_small(int(rows["households_sampled"].iloc[0]), report.threshold)):
        return measures
    pub = Publisher(report, "model_hidden")
    code = report.area.code
    out = set()
    if "share_level1" in measures and level1_share(
            pub, code, float(report.level1_estimate.iloc[0]["estimate"])).hidden:
        out.add("share_level1")
    if "m0" in measures and pub.pattern.marker("m0", code):
        out.add("m0")
    return out


def _fmt(value: float, measure: str, cut: bool = True) -> str:
    """Write a model estimate as the report prints it, on its own side of the rules' cuts.

    As :meth:`~abcresearch.reports.disclosure.Publisher.share` writes the direct estimates: a
    level-1 share of 39.96% under a need threshold of 40% is "39.96", not "40.0". ``cut``
    False for a number that is no value of the measure (its RMSE).
    """
    from abcresearch.labels import HalfUpBelow

    scale, dec = MEASURE_FORMAT.get(measure, (1.0, 2))
    if pd.isna(value):
        return "–"
    # the nearest threshold above (HalfUpBelow writes a value at it, to 12 decimals, as is)
    above = [c for c, upper in (load_grade_rules().cuts(measure) if cut else ())
             if upper and float(value) < c]
    if above:
        return format(HalfUpBelow(float(value), min(above), scale), f",.{dec}f")
    return format_number(value, dec, scale=scale)


def _bold_typst(markdown: str) -> str:
    from abcresearch.reports.render.typst import escape_markup as esc

    parts = markdown.split("**")
    return "".join(f"*{esc(p)}*" if i % 2 and p else esc(p) for i, p in enumerate(parts))


def small_area(report: AreaContext, *, result: SmallAreaResult | None = None) -> SectionResult:
    """Show the tambon's model-based estimates in plain words, with RMSE and intervals.

    Empty (no parts) unless the report's area is a tambon with estimate basis ``model``.

    Parameters
    ----------
    report : AreaContext
        The area's report.
    result : SmallAreaResult, optional
        The round's small-area estimates (default: read or computed for the round, cached).

    Returns
    -------
    SectionResult
        ``estimates``: the tambon's rows (unrounded); ``details``: basis, grade status, need
        class and the model's fit for the level-1 share.
    """
    out = SectionBuilder("small_area", report.words)
    if _direct_enough(report):  # basis `direct` whatever the model: nothing to compute
        basis, status, _ = _status(report, None)
        return out.result(details={"estimate_basis": basis.value, "grade_status": status.value})
    rows = area_estimates(report, result)
    if rows is None:
        return out.result(details={"estimate_basis": None})
    basis, status, n_vil = _status(report, rows)
    if basis is not EstimateBasis.MODEL:
        return out.result(estimates=rows, details={"estimate_basis": basis.value,
                                                   "grade_status": status.value})
    t = report.t
    res = result if result is not None else _result(report.survey_round, report.store,
                                                     report.analysis.scheme)
    assert res is not None
    kind = str(rows["kind"].iloc[0])
    n_hh = int(rows["households_sampled"].iloc[0])
    villages_total, villages_sampled = frame_villages(report)
    hidden = kind == "eblup" and bool(is_small(n_hh, report.threshold))
    level_pct = f"{100 * float(res.meta.get('level', 0.95)):g}"
    fit = res.fit.set_index("measure")
    fit1 = fit.loc["share_level1"] if "share_level1" in fit.index else fit.iloc[0]
    covs = ", ".join(t(f"smallarea.cov.{c}") for c in res.meta.get("covariates", []))
    universe = t("smallarea.universe.province" if len({a[:4] for a in res.tambons}) > 1
                 else "smallarea.universe.amphoe")

    out.heading("smallarea.section")
    status_line = t("smallarea.status_line", basis=t("basis.model"),
                    status=status_text(report, status))
    # a tambon whose sampled villages sent no form (yet) is not "a tambon nobody sampled"
    plain_key = ("smallarea.plain.synthetic_no_data" if kind == "synthetic" and villages_sampled
                 else f"smallarea.plain.{kind}")
    plain = t(plain_key, villages=n_vil, households=f"{n_hh:,}",
              villages_total=villages_total, sampled=villages_sampled)
    out.typst("#block(fill: rgb(\"#fff3cd\"), stroke: rgb(\"#b08800\"), inset: 8pt, "
              f"radius: 3pt, width: 100%)[*{_bold_typst(status_line)}* \\\n"
              f"{_bold_typst(plain)}]", f"**{status_line}**\n\n{plain}")
    by_m = rows.set_index("measure")
    measures = [m for m in res.measures if m in by_m.index]
    # an EBLUP mixes in the tambon's direct estimate (its weight is printed): where the round's
    # one disclosure step hides that direct figure, the EBLUP is hidden too, with its marker
    marks = {m: report.words.marker if hidden else None for m in measures}
    if kind == "eblup" and not hidden:
        pub = Publisher(report, "small_area")
        code = report.area.code
        if "share_level1" in marks:
            direct = level1_share(pub, code, float(report.level1_estimate.iloc[0]["estimate"]))
            marks["share_level1"] = direct.text if direct.hidden else None
        if "m0" in marks:
            marks["m0"] = pub.pattern.marker("m0", code)
    shown = pd.DataFrame({
        t("smallarea.col.measure"): [t(f"smallarea.measure.{m}") if m in MEASURE_FORMAT
                                     else m for m in measures],
        t("smallarea.col.estimate"): [marks[m] or _fmt(by_m.at[m, "estimate"], m)
                                      for m in measures],
        t("smallarea.col.rmse"): [marks[m] or _fmt(by_m.at[m, "rmse"], m, cut=False)
                                  for m in measures],
        t("smallarea.col.interval", level_pct=level_pct): [
            marks[m] or f"{_fmt(by_m.at[m, 'ci_low'], m)}–{_fmt(by_m.at[m, 'ci_high'], m)}"
            for m in measures],
        t("smallarea.col.weight"): [f"{format_number(float(by_m.at[m, 'gamma']), 0, scale=100)}%"
                                    for m in measures],
    })
    out.table(shown, t("smallarea.caption", level_pct=level_pct),
              t("smallarea.notes", year=res.meta.get("covariate_year", ""),
                min_villages=res.meta.get("min_sampled_villages", 2)))
    need: dict[str, Any] = {}
    if not hidden and {"share_level1", "m0"} <= set(by_m.index) \
            and not (marks["share_level1"] or marks["m0"]):
        ind = pd.DataFrame({"share_level1": [float(by_m.at["share_level1", "estimate"])],
                            "m0": [float(by_m.at["m0", "estimate"])]},
                           index=[report.area.code])
        rules = load_grade_rules()
        nc = need_classes(ind, rules, level="tambon").iloc[0]
        # near a threshold when some values inside the model's intervals would change the need
        # class (as a direct tambon's is flagged): 42 (21.6-62.5) against 40, unless M0 alone
        # decides it
        from abcresearch.scoring.readiness import near_threshold

        bounds = ind.assign(**{f"{m}_{b}": [float(by_m.at[m, b])]
                               for m in ("share_level1", "m0") for b in ("ci_low", "ci_high")})
        near = bool(near_threshold(bounds, rules)["need_near_threshold"].iloc[0])
        need = {"need": nc["need"], "label": nc[f"need_label_{report.lang}"],
                "near_threshold": bool(near)}
        out.text(t("smallarea.need_line", need=nc[f"need_label_{report.lang}"],
                   reason=nc[f"need_reason_{report.lang}"])
                 + (t("smallarea.need_near") if near else ""))
    r2 = float(fit1.get("r2", np.nan))
    out.text(t("smallarea.rests_on", year=res.meta.get("covariate_year", ""), covariates=covs,
               fitted=int(fit1.get("areas_fitted", 0)),
               r2="–" if np.isnan(r2) else format_number(r2, 0, scale=100), universe=universe))
    out.text(t("smallarea.how_to_read", level_pct=level_pct))
    if kind == "eblup":
        out.text(t("smallarea.other_sections.eblup", villages=n_vil))
    return out.result(estimates=rows, details={
        "estimate_basis": basis.value, "grade_status": status.value, "kind": kind,
        "need": need, "suppressed": hidden, "hidden_measures": tuple(m for m in measures
                                                                    if marks[m]),
        "fit": fit1.to_dict()})


def frame_villages(report: AreaContext) -> tuple[int, int]:
    """Villages of the tambon in the round's frame, and how many of them it marks sampled.

    Parameters
    ----------
    report : AreaContext
        A tambon's report.

    Returns
    -------
    tuple of int
        ``(villages, sampled)``; ``(0, 0)`` when the round has no frame.
    """
    from abcresearch.errors import StoreError
    from abcresearch.store import load

    try:
        frame = load(report.survey_round, store=report.store, table="frame")
    except StoreError:
        return 0, 0
    mine = frame[frame["village_code"].astype(str).str[:6] == report.area.code]
    sampled = (pd.to_numeric(mine["sampled"], errors="coerce") == 1 if "sampled" in mine
               else pd.Series(False, index=mine.index))
    return len(mine), int(sampled.sum())


def tambon_overview(report: ProvinceContext, *, store: str | Path | None = None,
                    result: SmallAreaResult | None = None, limit: int | None = None
                    ) -> SectionResult:
    """List every tambon of the universe with its level-1 share, direct or model-based.

    Sorted by the estimate, highest first; the basis column says which tambons rest on their
    own sample (direct), on one sampled village and the model (EBLUP) or on the model alone.
    Empty (no parts) when the round has no small-area estimates.

    Parameters
    ----------
    report : ProvinceContext
        The province.
    store : path, optional
        The analysis store (default: the report's), when ``result`` is not given.
    result : SmallAreaResult, optional
        The round's small-area estimates.
    limit : int, optional
        List only the first ``limit`` tambons.
    """
    check_limit(limit)
    out = SectionBuilder("tambon_overview", report.words, {"limit": limit})
    res = result if result is not None else _result(
        report.survey_round, store if store is not None else report.store,
        report.analysis.scheme)
    if res is None or "share_level1" not in res.measures:
        return out.result()
    t = report.t
    e = res.measure("share_level1")
    e = e[e["area"].str.startswith(report.province.code)]
    e = e.sort_values("estimate", ascending=False, kind="mergesort").reset_index(drop=True)
    counts = e["kind"].value_counts()
    if not counts.get("eblup", 0) and not counts.get("synthetic", 0):
        # every tambon estimated from its own sample: the table would repeat the ranking's
        out.heading("smallarea.overview_direct")  # not "direct and model-based": no model
        out.text(t("smallarea.overview_all_direct", direct=int(counts.get("direct", 0)),
                   min_villages=res.meta.get("min_sampled_villages", 2),
                   ranking=t("section.tambon_ranking")))
        return out.result(estimates=e, details={"counts": counts.to_dict()})
    # a tambon's own households (direct, or EBLUP from one sampled village) publish its share
    # only where its own report does: the round's one disclosure step decides, and its marker
    # is printed (× where the share only protects another cell of the tambon); a hidden share
    # is listed after the shown ones (in code order), or its place would bound it
    pub = Publisher(report, "tambon_overview")
    small = np.asarray(is_small(e["households_sampled"], report.threshold), dtype=bool)
    direct = [level1_share(pub, str(a), float(v)) if k != "synthetic" else None
              for a, v, k in zip(e["area"], e["estimate"], e["kind"], strict=True)]
    hidden = np.array([d is not None and (bool(sm) or d.hidden)
                       for d, sm in zip(direct, small, strict=True)], dtype=bool)
    last = np.flatnonzero(hidden)
    order = np.r_[np.flatnonzero(~hidden),
                  last[np.argsort(e["area"].astype(str).to_numpy()[last], kind="stable")]]
    order = order[:limit] if limit is not None else order
    e = e.iloc[order].reset_index(drop=True)
    small, hidden = small[order], hidden[order]
    direct = [direct[i] for i in order]
    mark = [report.marker if sm or d is None else d.text for d, sm in zip(direct, small,
                                                                          strict=True)]
    names = tambons(report.province.code).set_index("code")[f"name_{report.lang}"]
    amph = amphoes(report.province.code).set_index("code")[f"name_{report.lang}"]
    level_pct = f"{100 * float(res.meta.get('level', 0.95)):g}"
    kind_col = t("smallarea.col.kind")
    shown = pd.DataFrame({
        t("col.tambon"): e["area"].map(names).fillna(e["area"]).to_numpy(),
        t("col.amphoe"): e["area"].str[:4].map(amph).to_numpy(),
        t("smallarea.col.villages"): e["villages_sampled"].astype(int).to_numpy(),
        kind_col: [t(f"smallarea.short.{k}") for k in e["kind"]],
        # shares and intervals to whole percents, as the tambon reports print them (the
        # disclosure step's rounding); the RMSE, which gives no count back, to one decimal
        t("smallarea.measure.share_level1"): [m if h else format_number(v, 0, scale=100)
                                              for v, h, m in zip(e["estimate"], hidden, mark,
                                                                 strict=True)],
        t("smallarea.col.rmse"): [m if h else _fmt(v, "share_level1", cut=False)
                                  for v, h, m in zip(e["rmse"], hidden, mark, strict=True)],
        t("smallarea.col.interval", level_pct=level_pct): [
            m if h else f"{format_number(lo, 0, scale=100)}–{format_number(hi, 0, scale=100)}"
            for lo, hi, h, m in zip(e["ci_low"], e["ci_high"], hidden, mark, strict=True)],
    })
    out.heading("smallarea.overview")
    out.text(t("smallarea.overview_text", min_villages=res.meta.get("min_sampled_villages", 2),
               direct=int(counts.get("direct", 0)), eblup=int(counts.get("eblup", 0)),
               synthetic=int(counts.get("synthetic", 0))))
    out.table(shown, t("smallarea.overview_caption", kind_col=kind_col),
              t("smallarea.notes", year=res.meta.get("covariate_year", ""),
                min_villages=res.meta.get("min_sampled_villages", 2)))
    return out.result(estimates=e, details={"counts": counts.to_dict()})


def model_fit(report: Any, *, survey_round: int | None = None, store: str | Path | None = None,
              result: SmallAreaResult | None = None) -> SectionResult:
    """Describe the small-area model and its fit for the methods appendix.

    The model and what it rests on in words, then per measure the tambons by kind, R², the
    shrinkage factors, the standardised residuals, the GVF slope and the benchmark. Empty (no
    parts) when no model was fitted (every tambon direct, or no small-area estimates).

    Parameters
    ----------
    report : ReportBase
        Any report (its words and language).
    survey_round : int, optional
        The round, when ``result`` is not given (default: the report's ``survey_round``).
    store : path, optional
        The analysis store, when ``result`` is not given.
    result : SmallAreaResult, optional
        The round's small-area estimates.
    """
    out = SectionBuilder("small_area_fit", report.words)
    rnd = survey_round if survey_round is not None else getattr(report, "survey_round", None)
    res = result
    if res is None and rnd is not None:
        res = _result(int(rnd), store if store is not None else getattr(report, "store", None),
                      getattr(getattr(report, "analysis", None), "scheme", None))
    if res is None or res.fit.empty:
        return out.result()
    t = report.t
    f = res.fit.reset_index(drop=True)
    covs = ", ".join(t(f"smallarea.cov.{c}") for c in res.meta.get("covariates", []))
    out.heading("smallarea.fit_section")
    out.text(t("smallarea.fit_text", min_villages=res.meta.get("min_sampled_villages", 2),
               method=res.meta.get("method", "REML"), year=res.meta.get("covariate_year", ""),
               covariates=covs, gvf=str(f["gvf_fit"].iloc[0]) if "gvf_fit" in f else "–"))
    n_big = res.residuals.assign(big=res.residuals["std_residual"].abs() > 2).groupby(
        "measure")["big"].sum()
    shown = pd.DataFrame({
        t("smallarea.col.measure"): [t(f"smallarea.measure.{m}") if m in MEASURE_FORMAT
                                     else m for m in f["measure"]],
        t("smallarea.col.tambons"): [f"{r.direct} / {r.eblup} / {r.synthetic}"
                                     for r in f.itertuples()],
        t("smallarea.col.r2"): [format_number(v, 2) for v in f["r2"]],
        t("smallarea.col.gamma"): [
            f"{format_number(r.gamma_median, 2)} ({format_number(r.gamma_min, 2)}–"
            f"{format_number(r.gamma_max, 2)})" for r in f.itertuples()],
        t("smallarea.col.residual_sd"): [
            f"{format_number(r.std_residual_sd, 2)} ({int(n_big.get(r.measure, 0))})"
            for r in f.itertuples()],
        t("smallarea.col.gvf_slope"): [format_number(v, 2) for v in f["gvf_slope"]],
        t("smallarea.col.benchmark"): [
            f"{_fmt(r.benchmark_before, r.measure)} → {_fmt(r.benchmark_target, r.measure)}"
            for r in f.itertuples()],
    })
    out.table(shown, t("smallarea.fit_caption"), t("smallarea.fit_notes"))
    return out.result(estimates=f, details={"meta": dict(res.meta)})
