"""Data quality: households on the village forms and in the sample, roster rows, rejected rows,
and missing capital scores."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from abcresearch.reports import estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.profile import check_capitals

__all__ = ["data_quality"]


def data_quality(report: AreaContext, *, capitals: Sequence[str] | None = None) -> SectionResult:
    """Table of counts and table of the share of missing scores per capital.

    Parameters
    ----------
    report : AreaContext
        The area.
    capitals : sequence of str, optional
        Capitals of the missing-score table, in order (default: all).
    """
    t = report.t
    caps = check_capitals(report, capitals)
    out = SectionBuilder("data_quality", report.words, {"capitals": caps})
    out.heading("section.quality")
    q = estimates.quality_counts(report.survey_round, report.area.code, report.store,
                                 report.households, report.village_forms)
    keys = ["households_form", "households_surveyed", "households_unweighted", "members",
            "rejected_area", "rejected"]
    counts = pd.DataFrame({t("col.measure"): [t(f"m.{k}") for k in keys],
                           t("col.value"): [q[k] for k in keys]})
    out.table(counts, t("quality.caption"))
    miss = estimates.missing_shares(report.households, caps)
    out.table(pd.DataFrame({t("col.capital"): [report.capital_label(c) for c in caps],
                            t("col.missing"): (100 * miss).to_numpy()}),
              t("quality.missing_caption"), decimals=1)
    return out.result(estimates=miss.to_frame("missing"), details=q)
