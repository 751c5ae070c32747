"""The report's key figures for the batch index page and the summary JSON (published values)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from abcresearch.reports.context import AreaContext
from abcresearch.reports.results import SummaryResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["DIGITS", "summary", "write_summary"]


#: Decimals of the published key figures: M0 as in the deprivation table, the share at level 1
#: to a tenth of a percent as on the index page.
DIGITS = {"m0": 3, "share_level1": 3}


def summary(report: AreaContext) -> dict[str, Any]:
    """Key figures of the area as published: rounded as printed, suppressed figures None.

    The unrounded numbers stay in the section results (``report.results``); only these leave
    the kernel (executed notebook, summary JSON, index page).
    """
    from abcresearch.reports.sections.common import key_figures

    row = report.grade_row
    pub = report.publishable
    figures, _ = key_figures(report)  # the one disclosure step: as the report prints them
    return {
        "area_code": report.area.code, "level": report.level,
        "name_th": report.area.name_th, "name_en": report.area.name_en,
        "grade": None if row is None or pd.isna(row.get("grade")) or not pub
        else str(row["grade"]),
        "households": figures["households"],
        "villages": int(report.households["village_code"].nunique()),
        "m0": figures["m0"],
        "share_level1": figures["share_level1"],
        "synthetic": report.analysis.synthetic,
    }


def write_summary(report: AreaContext) -> SummaryResult:
    """The key figures as a result that displays one summary bundle (nothing visible): the batch
    runner copies it beside the PDF."""
    from abcresearch.reports.sections.common import key_figures

    return SectionBuilder("write_summary", report.words).result(
        SummaryResult, summary=summary(report), published=key_figures(report)[1])
