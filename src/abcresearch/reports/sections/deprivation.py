"""Multidimensional deprivation: Alkire-Foster H, A and M0 with intervals, and each capital's
censored headcount and contribution to M0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abcresearch.reports import charts, estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import af_publishable, share_mask
from abcresearch.reports.formatting import fmt_ci
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["deprivation"]


def deprivation(report: AreaContext) -> SectionResult:
    """Table of H, A and M0, chart and table of contributions by capital.

    H is a share of households (numerator rule); A is a mean over the poor households only (its
    base must reach the threshold); M0 needs the area to be publishable.
    """
    t = report.t
    thr = report.threshold
    k = report.analysis.scheme.af_k
    out = SectionBuilder("deprivation", report.words)
    out.heading("section.deprivation")
    out.text(t("intro.deprivation", k=k))
    af = report.af_result
    n_poor, n_base, censored = estimates.poor_counts(af, report.households, report.capitals)
    ok_m = af_publishable(n_poor, n_base, len(report.households), thr)
    rows = []
    for m in ("H", "A", "M0"):
        r = getattr(af, m).iloc[0]
        ok = ok_m[m]
        rows.append({t("col.measure"): t(f"m.{m}"),
                     t("col.estimate"): r["estimate"] if ok else np.nan,
                     t("col.se"): r["se"] if ok else np.nan,
                     t("col.ci"): fmt_ci(r["estimate"], r["ci_low"], r["ci_high"], 3,
                                         hidden=report.marker) if ok else report.marker})
    out.table(pd.DataFrame(rows), t("af.caption", k=k), decimals=3)
    contrib = af.contribution["estimate"].rename(lambda s: str(s).removeprefix("dep_"))
    cens = af.censored_headcount["estimate"].rename(lambda s: str(s).removeprefix("dep_"))
    # censored headcounts: households poor and deprived in the capital (numerator rule);
    # contributions rest on the poor households
    hidden = share_mask(censored.reindex(contrib.index).to_numpy(), np.full(len(contrib), n_base),
                        thr)
    cens = cens.reindex(contrib.index).mask(hidden)
    if n_poor < thr:
        contrib[:] = np.nan
    labels = [report.capital_label(c) for c in contrib.index]
    ax = charts.contribution_chart((100 * contrib).set_axis(labels),
                                   xlabel=t("chart.share_m0"))
    out.figure(ax.figure)
    ct = pd.DataFrame({
        t("col.capital"): labels,
        t("col.censored"): (100 * cens).to_numpy(),
        t("col.contribution"): (100 * contrib).to_numpy(),
    })
    out.table(ct, t("af.contrib_caption"), decimals=1)
    measures = pd.DataFrame({m: getattr(af, m).iloc[0][["estimate", "se", "ci_low", "ci_high"]]
                             for m in ("H", "A", "M0")}).T.astype(float)
    return out.result(estimates=measures, details={"af": af, "n_poor": n_poor, "n_base": n_base,
                               "censored_counts": censored})
