"""Income: mean household income, median income per person, the Gini coefficient and the income
poverty headcount, with the income histogram and the Lorenz curve."""

from __future__ import annotations

import pandas as pd

from abcresearch.reports import charts, estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import suppress_histogram
from abcresearch.reports.formatting import fmt_ci
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["income"]


def income(report: AreaContext, *, bins: int = 29, lorenz_points: int = 21) -> SectionResult:
    """Histogram and Lorenz curve, then the table of income measures.

    Parameters
    ----------
    report : AreaContext
        The area.
    bins : int
        Bins of the income histogram (log scale); bins of fewer households than the threshold
        are not drawn.
    lorenz_points : int
        Points of the Lorenz curve.
    """
    t = report.t
    thr = report.threshold
    out = SectionBuilder("income", report.words, {"bins": bins, "lorenz_points": lorenz_points})
    out.heading("section.income")
    lvl = report.design_spec.level
    m = estimates.income_measures(report.design, lvl)
    pov = report.poverty  # published: hidden when the households below the line are few
    hidden = report.marker
    rows = [(t(key), m.loc[name, "estimate"], m.loc[name, "se"],
             fmt_ci(m.loc[name, "estimate"], m.loc[name, "ci_low"], m.loc[name, "ci_high"],
                    digits, hidden=hidden))
            for name, key, digits in (("mean", "m.income_mean", 0),
                                      ("median", "m.income_pc_median", 0),
                                      ("gini", "m.gini", 3))]
    notes = [t("cap.profile.notes")]
    if pov is not None:
        rows.append((t("m.poverty") + f" ({pov['line']:,.0f})", 100 * pov["estimate"],
                     100 * pov["se"], fmt_ci(pov["estimate"], pov["ci_low"], pov["ci_high"], 1,
                                             100, hidden=hidden)))
        if not pov["verified"]:
            notes.append(t("line.unverified"))
    table = pd.DataFrame(rows, columns=[t("col.measure"), t("col.estimate"), t("col.se"),
                                        t("col.ci")])
    if len(report.households) < thr:
        table = table.astype(object)
        table.iloc[:, 1:] = report.marker
    hist = estimates.income_histogram(report.households, bins)
    lor = estimates.lorenz_points(report.design, lorenz_points)
    heights = suppress_histogram(hist["n"], hist["weighted"], hist["n_positive"], thr)
    drawn = heights is not None
    fig = charts.income_chart(
        {"edges": hist["edges"] if drawn else None, "weights": heights,
         "line": pov["line"] if pov is not None else None,
         "xlabel": t("chart.income_pc"), "ylabel": t("col.households")},
        {"pop_share": lor["pop_share"] if drawn else None,
         "income_share": lor["income_share"] if drawn else None,
         "xlabel": t("chart.lorenz_x"), "ylabel": t("chart.lorenz_y")})
    out.figure(fig)
    out.table(table, t("income.caption"), " ".join(notes), decimals=2)
    return out.result(estimates=m, details={"poverty": report.poverty_estimate,
                                            "histogram": hist, "lorenz": lor})
