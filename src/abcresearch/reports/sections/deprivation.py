"""Multidimensional deprivation.

Alkire-Foster H, A and M0 with intervals, and each capital's censored headcount and contribution to
M0, every number through the disclosure step.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.labels import HalfUp
from abcresearch.reports import charts, estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher, Shown
from abcresearch.reports.results import Figure, SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["af_cut_count", "af_cut_text", "af_published", "deprivation", "deprivation_cut_text"]

POOR = (("poor", "poor"),)
IDENTIFIED = (("poor", "poor"), ("poor", "nonpoor"))


def af_published(report: AreaContext, pub: Publisher) -> dict[str, Any]:
    """Publish the area's Alkire-Foster measures (the one way every section writes them).

    H is a share of the households whose deprivations are all known; A (the poor households'
    mean deprivation) is hidden whenever H is, or the poor households are too few (M0 / A would
    give H back); M0 is a mean over the households. A capital's censored headcount is a share
    like H; its contribution to M0 is hidden whenever its censored headcount is (contribution x
    M0 / weight gives it back).

    Returns
    -------
    dict
        ``H``, ``A``, ``M0`` (:class:`~abcresearch.reports.disclosure.Shown`), ``censored`` and
        ``contribution`` (capital -> Shown) and ``top`` (the capitals the poor households lack
        most often: the largest published censored headcount and all those printed equal to it,
        in the scheme's order; None when the largest is hidden or nothing is poor).
    """
    af = report.af_result
    code = report.area.code
    thr = pub.threshold
    h, a, m0 = (getattr(af, m).iloc[0] for m in ("H", "A", "M0"))
    shown_h = pub.share(code, POOR, IDENTIFIED, h["estimate"], h["ci_low"], h["ci_high"])
    n_poor = pub.pattern.count("poor", code, "poor")
    poor_marker = pub.small_marker("poor", code, "poor")
    shown_a = pub.derived("intensity", "A", code, a["estimate"],
                          shown_h.hidden or n_poor < thr, "percent", POOR, a["ci_low"],
                          a["ci_high"], marker=poor_marker if n_poor < thr else shown_h.text)
    shown_m0 = pub.mean("m0", code, m0["estimate"], m0["ci_low"], m0["ci_high"], kind="index")
    contrib = af.contribution["estimate"].rename(lambda s: str(s).removeprefix("dep_"))
    cens = af.censored_headcount["estimate"].rename(lambda s: str(s).removeprefix("dep_"))
    censored, contribution = {}, {}
    for cap in report.capitals:
        m = f"cens:{cap}"
        base = ((m, "dep"), (m, "nodep"), ("poor", "nonpoor"))
        censored[cap] = pub.share(code, ((m, "dep"),), base, float(cens.get(cap, np.nan)))
        hide_by = poor_marker if n_poor < thr else (
            censored[cap].text if censored[cap].hidden else shown_m0.text)
        contribution[cap] = pub.derived(
            "contribution", cap, code, float(contrib.get(cap, np.nan)),
            censored[cap].hidden or shown_m0.hidden or n_poor < thr, "percent", ((m, "dep"),),
            marker=hide_by)
    # the capitals the poor households lack most often (largest censored headcount), every one
    # printed equal to the largest: "most often: natural capital" stood beside wisdom capital's
    # equal 17 (a reader review)
    top: tuple[str, ...] | None = None
    if n_poor > 0 and len(cens.dropna()):
        best = str(cens.idxmax())
        if best in censored and not censored[best].hidden:
            top = tuple(cap for cap in report.capitals if cap in censored
                        and not censored[cap].hidden
                        and censored[cap].text == censored[best].text)
    return {"H": shown_h, "A": shown_a, "M0": shown_m0, "censored": censored,
            "contribution": contribution, "top": top}


def af_cut_text(t: Any, af: Any) -> str:
    """Say the multidimensional cut-off in words: "3 of 7 capitals" with equal weights.

    Else the share of the weighted capitals ("33% of the weighted capitals").
    """
    fewest = af_cut_count(af)
    if fewest is not None:
        return t("find.measures.cut_count", k=fewest, dims=len(af.weights))
    return t("find.measures.cut_share", k=af.k)


def deprivation_cut_text(t: Any, scheme: Any) -> str:
    """Say below what a capital's score counts as lacking it.

    "ต่ำกว่า 40 คะแนน (เส้นเดียวกับระดับ 1 ของด้านนั้น)" where every capital has the same
    cut-off (and it is the top of each capital's level 1); else "ต่ำกว่าเกณฑ์ของด้านนั้น".
    """
    cuts = {float(v) for v in scheme.deprivation_cutoffs.values()}
    if len(cuts) != 1:
        return t("intro.deprivation.below_own")
    cut = cuts.pop()
    level1 = {float(scheme.capital(c).bands[0][2]) for c in scheme.capital_ids}
    return t("intro.deprivation.below_level1" if level1 == {cut} else "intro.deprivation.below",
             cut=f"{cut:g}")


def af_cut_count(af: Any) -> int | None:
    """Return the fewest capitals a poor household lacks, where every capital weighs the same.

    ``ceil(k × d)`` of the ``d`` capitals; None where the weights differ (the cut-off is then
    a share of the weighted capitals).
    """
    weights = af.weights.to_numpy(dtype=float)
    if not len(weights) or not np.allclose(weights, weights[0]):
        return None
    return math.ceil(af.k * len(weights) - 1e-9)


def deprivation(report: AreaContext) -> SectionResult:
    """Return H, A and M0, and each capital's censored headcount and contribution.

    A table of H, A and M0, then a chart and a table of the capitals.
    """
    t = report.t
    k = report.af_result.k  # the k the cut-off in words is read from (af_cut_text)
    pub = Publisher(report, "deprivation")
    k_text = pub.public("af_k", 100 * k, "whole").text + "%"
    out = SectionBuilder("deprivation", report.words)
    out.heading("section.deprivation")
    # the capitals' cut-off in points where they share one ("ต่ำกว่าเกณฑ์ของด้านนั้น" was
    # defined nowhere, a reader review), and that it is the level-1 line where it is
    below = deprivation_cut_text(t, report.analysis.scheme)
    fewest = af_cut_count(report.af_result) or 0
    dims = len(report.af_result.weights)
    short = f"{HalfUp(100 * (fewest - 1) / dims):.0f}%" if fewest >= 2 else None
    if short is not None and short != k_text:
        # "3 of 7" beside "k = 33%" read as two numbers that disagree (3/7 is 43%; a reader
        # review): say that each capital weighs the same and that one fewer falls short of k
        # (not where one fewer prints as k itself, "43% short of k = 43%")
        out.text(pub.record_numbers(t(
            "intro.deprivation_equal", k=k_text, cut=af_cut_text(t, report.af_result),
            fewer=fewest - 1, dims=dims, short=short, below=below, fewest=fewest,
            reach=f"{HalfUp(100 * fewest / dims):.0f}%"),
            "the poverty cut-off in words"))
    else:
        out.text(pub.record_numbers(t("intro.deprivation", k=k_text, below=below,
                                      cut=af_cut_text(t, report.af_result)),
                                    "the poverty cut-off in words"))
    af = report.af_result
    shown = af_published(report, pub)
    def interval(s: Shown) -> str:
        if s.hidden or s.low is None:
            return s.text
        # not "45 45–45" (a reader review): an interval narrower than the digits says so
        return t("ci.narrower_cell") if s.with_ci == s.text else f"{s.low}–{s.high}"

    rows = [{t("col.measure"): t(f"m.{m}"), t("col.estimate"): shown[m].text,
             t("col.ci"): interval(shown[m])} for m in ("H", "A", "M0")]
    out.table(pd.DataFrame(rows), t("af.caption", k=k_text),
              f"{t('af.notes')} · {t('suppressed.note')}")
    labels = [report.capital_label(c) for c in report.capitals]
    contrib = pd.Series([shown["contribution"][c].value for c in report.capitals],
                        index=labels, dtype=float)
    # drawn by Typst's own shapes, as charts.contribution_chart draws it in matplotlib
    markup = charts.contribution_chart_typst(100 * contrib, xlabel=t("chart.share_m0"),
                                             hidden_label=t("chart.hidden"))
    out.parts.append(Figure.from_typst(markup, caption=t("af.chart_caption"),
                                       data=contrib.to_frame("contribution")))
    ct = pd.DataFrame({
        t("col.capital"): labels,
        t("col.censored"): [shown["censored"][c].text for c in report.capitals],
        t("col.contribution"): [shown["contribution"][c].text for c in report.capitals],
    })
    # printed whole, the shares may add up to 102: said where every share is printed
    printed = [shown["contribution"][c].text for c in report.capitals]
    total = sum(int(x) for x in printed) if all(x.isdigit() for x in printed) else 100
    rounding = "" if total == 100 else t("af.contrib_rounding", total=total) + " · "
    if rounding:  # a sum of printed shares, recorded as printed
        pub.record_numbers(rounding, "contribution total (sum of the printed shares)")
    out.table(ct, t("af.contrib_caption"), rounding + t("suppressed.note"))
    measures = pd.DataFrame({m: getattr(af, m).iloc[0][["estimate", "se", "ci_low", "ci_high"]]
                             for m in ("H", "A", "M0")}).T.astype(float)
    n_poor, n_base, censored = estimates.poor_counts(af, report.households, report.capitals)
    return out.result(estimates=measures, published=tuple(pub.entries),
                      details={"af": af, "n_poor": n_poor, "n_base": n_base,
                               "censored_counts": censored})
