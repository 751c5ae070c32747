"""Income.

mean household income, median income per person, the Gini coefficient and the income poverty
headcount, with the share of households in fixed income bands and the Lorenz curve. Every number
goes through the disclosure step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.reports import charts, estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher, Shown
from abcresearch.reports.results import Figure, SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["income", "income_bands", "open_top_band", "poverty_published", "precision_unit"]

BELOW = estimates.BELOW_LINE
WITH_INCOME = estimates.WITH_INCOME


def poverty_published(report: AreaContext, pub: Publisher) -> Shown | None:
    """Publish the share of households below the round's BMN income line (None without a line).

    The one way every section writes it: a share of the households with a known income.
    """
    est = report.poverty_estimate
    if est is None:
        return None
    return pub.share(report.area.code, BELOW, WITH_INCOME, est["estimate"], est["ci_low"],
                     est["ci_high"])


def income_bands(bins: tuple[float, ...], lang: str) -> list[str]:
    """Labels of the income bands, with thousands separators (``"10,000–19,999"``).

    A band holds its lower edge and not its upper one (20,000 baht is in "20,000–39,999"):
    "10,000–20,000" beside "20,000–40,000" left the poverty line of 20,000 in both (a reader
    review). A whole-baht upper edge is written one baht less; another as it is.
    """
    def num(x: float) -> str:
        return f"{x:,.0f}" if float(x).is_integer() else f"{x:,g}"

    out = []
    for i, lo in enumerate(bins):
        if i + 1 < len(bins):
            hi = bins[i + 1]
            top = hi - 1 if float(hi).is_integer() and float(lo).is_integer() else hi
            out.append(f"{num(lo)}–{num(top)}")
        else:
            out.append(f"{num(lo)}+")
    return out


def open_top_band(shares: pd.Series, edges: Sequence[float], line: float | None = None
                  ) -> tuple[pd.Series, tuple[float, ...], float | None]:
    """Merge hidden income bands at the top of the scale into one open band.

    The top bands hidden one by one (a few households each, the highest incomes) left 13-15%
    of the households out of the chart (a reader review). Where two or more hidden bands end
    the scale and every band below is shown, they become one open band ("80,000+") whose
    height is the rest of the 100% the shown bands leave, drawn hatched as hidden (as the
    levels chart draws what disclosure control hides). The rest is read off the printed
    shares, so it tells a reader nothing the shown bands do not (and is as exact as their
    rounding: a point or two). Nothing is merged where the shown bands already print 100% or
    more (the rest would be drawn as no households), nor where the poverty line falls inside
    the merged band (the chart places it within its band).

    Parameters
    ----------
    shares : pandas.Series
        Printed shares (0-1) by band, NaN where hidden.
    edges : sequence of float
        Lower edges of the bands.
    line : float, optional
        The poverty line drawn on the chart.

    Returns
    -------
    shares, edges, rest
        The bands (the merged one NaN, a new RangeIndex), their lower edges, and the rest
        (0-1); unchanged with None where nothing is merged.
    """
    hidden_top = int(shares.iloc[::-1].isna().cumprod().sum())  # hidden bands on top
    first = len(shares) - hidden_top
    rest = 1.0 - float(shares.iloc[:first].sum()) if first else 0.0
    if hidden_top < 2 or first < 1 or shares.iloc[:first].isna().any() or rest <= 1e-9 \
            or (line is not None and line >= edges[first]):
        return shares.reset_index(drop=True), tuple(edges), None
    return (pd.Series([*shares.iloc[:first], np.nan], dtype=float), tuple(edges[:first + 1]),
            rest)


def precision_unit(low: float, high: float) -> float | None:
    """Return what an amount with the interval ``low``-``high`` is printed to.

    A tenth of the power of ten of the interval's half-width (half-width 13,706: the thousand,
    "119,000 (105,000–133,000)"; 2,300: the hundred), at least 1; None without a finite
    interval (the amount is then printed with the publication rules' decimals).
    """
    half = (float(high) - float(low)) / 2
    if not np.isfinite(half) or half <= 0:
        return None
    return 10.0 ** max(0, int(np.floor(np.log10(half))) - 1)


def income(report: AreaContext, *, bins: int | None = None,
           lorenz_points: int | None = None) -> SectionResult:
    """Return the income chart and the table of income measures.

    The chart shows the share of households by income band and the Lorenz curve.

    Parameters
    ----------
    report : AreaContext
        The area.
    bins : int, optional
        Kept for compatibility: the bands are the fixed ``income_bins`` of
        ``params/publication.yaml`` (bands from the data would publish single incomes).
    lorenz_points : int, optional
        Most points of the Lorenz curve (default ``lorenz_points`` of
        ``params/publication.yaml``); each segment covers at least the threshold of households.
    """
    t = report.t
    pub = Publisher(report, "income")
    code = report.area.code
    out = SectionBuilder("income", report.words, {"bins": bins, "lorenz_points": lorenz_points})
    out.heading("section.income")
    lvl = report.design_spec.level
    hh = report.households
    publishable = pub.pattern.publishable(code)
    m = estimates.income_measures(report.design, lvl) if publishable else pd.DataFrame(
        np.nan, index=list(estimates.INCOME_MEASURES),
        columns=["estimate", "se", "ci_low", "ci_high"])
    # "119,045 (105,339–132,751)" claimed baht where the interval knows thousands (a reader
    # review): each amount to the digits its interval supports
    mean = pub.mean("income", code, m.loc["mean", "estimate"], m.loc["mean", "ci_low"],
                    m.loc["mean", "ci_high"], kind="money",
                    unit=precision_unit(m.loc["mean", "ci_low"], m.loc["mean", "ci_high"]))
    # a ratio of weighted totals (income over members), published as the median beside it
    per_person = pub.derived("other", "mean_income_pc", code, m.loc["mean_pc", "estimate"],
                             not publishable, "money", (), m.loc["mean_pc", "ci_low"],
                             m.loc["mean_pc", "ci_high"],
                             unit=precision_unit(m.loc["mean_pc", "ci_low"],
                                                 m.loc["mean_pc", "ci_high"]))
    median = pub.derived("other", "median_income_pc", code, m.loc["median", "estimate"],
                         not publishable, "money", (), m.loc["median", "ci_low"],
                         m.loc["median", "ci_high"],
                         unit=precision_unit(m.loc["median", "ci_low"],
                                             m.loc["median", "ci_high"]))
    gini = pub.derived("other", "gini", code, m.loc["gini", "estimate"], not publishable, "gini",
                       (), m.loc["gini", "ci_low"], m.loc["gini", "ci_high"])
    rows = [(t("m.income_mean"), mean), (t("m.income_pc_mean"), per_person),
            (t("m.income_pc_median"), median), (t("m.gini"), gini)]
    notes = [t("income.notes"), t("income.notes.per_person")]
    gini_note = None if gini.hidden else len(notes)  # how to read it, once the curve is known
    if gini_note is not None:
        notes.append("")
    pov = poverty_published(report, pub)
    line = None
    if pov is not None and report.poverty_estimate is not None:
        line = report.poverty_estimate["line"]
        line_text = pub.public("poverty_line", line).text
        # the line inside the measure's words: "(%) (20,000)" read as two asides (a review)
        rows.append((t("m.poverty_below_line", line=line_text), pov))
        if not report.poverty_estimate["verified"]:
            notes.append(t("line.unverified"))
    table = pd.DataFrame({
        t("col.measure"): [r[0] for r in rows],
        t("col.estimate"): [r[1].text for r in rows],
        t("col.ci"): [f"{r[1].low}–{r[1].high}" if not r[1].hidden and r[1].low is not None
                      else r[1].text for r in rows]})
    # income bands: fixed edges, shares of the households with a known income
    edges = pub.rules.income_bins
    ids = estimates.income_bin_ids(edges)
    w, _n = report.weighted_counts("income_bin")
    w = w.reindex(columns=[*ids, estimates.NA], fill_value=0.0).iloc[0]
    known = float(w[list(ids)].sum())
    base = [("income_bin", b) for b in ids]
    band_shares = pd.Series({b: pub.share(code, [("income_bin", b)], base,
                                          w[b] / known if known > 0 else np.nan).value
                             for b in ids}, dtype=float)
    band_shares, chart_edges, rest = open_top_band(band_shares, edges, line)
    band_shares.index = income_bands(chart_edges, report.lang)
    # Lorenz curve: at most `lorenz_points` points, each segment over >= threshold households
    n_income = int(hh["income_pc"].notna().sum())
    points = min(lorenz_points or pub.rules.lorenz_points, n_income // pub.threshold + 1)
    lor = estimates.lorenz_points(report.design, points) if publishable and points >= 3 \
        else None
    lorenz = None
    if lor is not None:
        shown = [pub.derived("other", f"lorenz_{i}", code, 100 * v, False, "whole")
                 for i, v in enumerate(lor["income_share"])]
        lorenz = pd.DataFrame({"pop_share": 100 * lor["pop_share"].to_numpy(),
                               "income_share": [s.value for s in shown]})
    # drawn by Typst's own shapes, as charts.income_chart draws it in matplotlib
    markup = charts.income_chart_typst(
        {"shares": 100 * band_shares, "edges": chart_edges, "line": line,
         "rest": None if rest is None else 100 * rest, "rest_label": t("chart.hidden_rest"),
         "xlabel": t("chart.income_pc"), "ylabel": t("chart.share_households"),
         "hidden_label": t("chart.hidden")},
        {"pop_share": None if lorenz is None else lorenz["pop_share"],
         "income_share": None if lorenz is None else lorenz["income_share"],
         "xlabel": t("chart.lorenz_x"), "ylabel": t("chart.lorenz_y")})
    out.parts.append(Figure.from_typst(markup, caption=t("income.chart_caption"),
                                       data=band_shares.to_frame("share")))
    if gini_note is not None:  # the curve's half only where the chart draws it
        notes[gini_note] = t("income.notes.gini",
                             lorenz=t("income.notes.lorenz") if lor is not None else "")
    out.table(table, t("income.caption"), f"{' · '.join(notes)} · {t('suppressed.note')}")
    details: dict[str, Any] = {"poverty": report.poverty_estimate, "bands": w, "lorenz": lor}
    return out.result(estimates=m, details=details, published=tuple(pub.entries))
