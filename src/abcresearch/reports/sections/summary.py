"""The report's key figures for the batch index page and the summary JSON (published values).

The record carries the keys of the status model (``docs/ARCHITECTURE.md``, built by
:func:`abcresearch.analysis.status.summary_record`): ``estimate_basis``, ``grade`` (null when
not graded, withheld or suppressed), ``grade_status``, ``coverage``, ``households_estimated``
and, where an earlier round holds the area, ``change``; and the index page's keys
(``households``, ``villages``, ``m0``, ``share_level1``), ``design`` and ``compare_round``.
A tambon whose basis is ``model`` (fewer sampled villages than the status rules ask) also
carries the small-area estimates its report prints, under ``model_estimates``: the index
page shows those, not the direct figures from its few villages; its ``share_level1`` and ``m0``
are the model's too, as its summary page leads with them. ``scheme``, ``grade_rules``,
``grade_rules_draft`` and
``rules_fingerprint`` say which rules the report was made under (as its provenance line).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from abcresearch.analysis.status import EstimateBasis, summary_record
from abcresearch.params import rules_fingerprint
from abcresearch.reports.context import AreaContext
from abcresearch.reports.formatting import scheme_version
from abcresearch.reports.results import SummaryResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.change import change_records, published_change
from abcresearch.reports.sections.smallarea import (
    MEASURE_FORMAT,
    area_estimates,
    hidden_measures,
    model_headline,
    printed_estimates,
)
from abcresearch.scoring.grade_rules import load_grade_rules

__all__ = ["DIGITS", "summary", "write_summary"]


#: Decimals of the published key figures: M0 as in the deprivation table, the share at level 1
#: to a tenth of a percent as on the index page; weighted households to whole households.
DIGITS = {"m0": 3, "share_level1": 3, "households_estimated": 0}


def summary(report: AreaContext, compare_round: int | None = None) -> dict[str, Any]:
    """Key figures of the area as published: rounded as printed, suppressed figures None.

    The unrounded numbers stay in the section results (``report.results``); only these leave
    the kernel (executed notebook, summary JSON, index page).

    Parameters
    ----------
    report : AreaContext
        The area.
    compare_round : int, optional
        The earlier round of ``change`` (default: that of the change section when it was
        called, else the latest earlier round in which the area has households).
    """
    from abcresearch.reports.sections.common import key_figures

    figures, _ = key_figures(report)  # the one disclosure step: as the report prints them
    w = report.households["weight"]
    pub = report.publishable
    status = report.status
    if not pub:
        status = replace(status, grade=None)
    est = ((float(w.sum()) * report.count_factor if report.calibrated  # its counts' total
            else float(report.area_row.get("households_estimated", w.sum()))) if pub else None)
    if compare_round is None and "change" in report.results:
        compare_round = report.results["change"].options.get("compare_round")
    ch, rows = published_change(report, compare_round)
    extra: dict[str, Any] = {}
    if status.basis is EstimateBasis.MODEL:  # its tambon figures are the model's (as printed)
        model_rows = area_estimates(report)
        if model_rows is not None:
            extra["model_estimates"] = printed_estimates(
                model_rows, hidden_measures(report, model_rows))  # as its PDF hides them
        headline = model_headline(report)  # its key figures as its summary page leads with
        for m, h in (headline or {}).items():
            scale = MEASURE_FORMAT.get(m, (1.0, 2))[0]
            figures[m] = round(float(str(h["text"]).replace(",", "")) / scale, 6)
    return summary_record(
        status, name_th=report.area.name_th, name_en=report.area.name_en,
        survey_round=report.survey_round, synthetic=report.analysis.synthetic,
        households_estimated=None if est is None else int(round(est)),
        change=change_records(rows) or None,
        households=figures["households"],
        villages=int(report.households["village_code"].nunique()),
        m0=figures["m0"], share_level1=figures["share_level1"],
        design=report.analysis.design.name,
        compare_round=None if ch is None or rows.empty else int(ch.round_from),
        scheme=scheme_version(report.analysis.scheme),
        grade_rules=scheme_version(load_grade_rules()),
        grade_rules_draft=not load_grade_rules().verified,
        rules_fingerprint=rules_fingerprint(report.analysis.scheme.path),
        **extra,
    )


def write_summary(report: AreaContext) -> SummaryResult:
    """Return the key figures as a result that displays one summary bundle (nothing visible).

    The batch runner copies it beside the PDF.
    """
    from abcresearch.reports.sections.common import key_figures

    return SectionBuilder("write_summary", report.words).result(
        SummaryResult, summary=summary(report), published=key_figures(report)[1])

