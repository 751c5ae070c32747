"""The area report's cover: names, round, households surveyed, grade, provenance."""

from __future__ import annotations

import pandas as pd

from abcresearch import __version__
from abcresearch.reports.context import AreaContext
from abcresearch.reports.formatting import scheme_version
from abcresearch.reports.render.display import report_header
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections.common import cover_block
from abcresearch.survey.areas import get_area

__all__ = ["cover", "grade_text"]


def grade_text(report: AreaContext) -> str:
    """The cover's grade line: the area's grade, or the grade counts of the areas within."""
    row = report.grade_row
    if not report.publishable:
        return report.t("cover.grade", grade=report.marker)
    if row is None or pd.isna(row.get("grade")):
        counts = report.children["grade"].value_counts()
        return report.t("cover.grade_counts", a=int(counts.get("A", 0)),
                        b=int(counts.get("B", 0)), c=int(counts.get("C", 0)))
    return report.t("cover.grade", grade=row[f"grade_label_{report.lang}"])


def cover(report: AreaContext) -> SectionResult:
    """The cover block (Typst), with the synthetic-data banner when the data are synthetic."""
    t = report.t
    a = report.area
    parent = t("cover.in", parent=report.area_name(get_area(a.parent))) if a.parent else ""
    n_vil = report.households["village_code"].nunique()
    n_hh = len(report.households)
    lines = [
        f"**{t('level.' + a.level)}** {parent}",
        report.words.round_years(report.survey_round),
        t("cover.surveyed", villages=f"{n_vil:,}", households=f"{n_hh:,}"),
        f"**{grade_text(report)}**",
    ]
    from abcresearch.reports.sections.smallarea import cover_lines  # basis `model`: provisional

    lines += cover_lines(report)
    if report.analysis.synthetic:
        lines.append(f"**{t('synthetic.banner')}**")
    lines.append(t("cover.provenance", fingerprint=report.fingerprint(),
                   scheme=scheme_version(report.analysis.scheme), version=__version__))
    return cover_block(report.words, a.name_th, a.name_en, lines, report.analysis.synthetic,
                       details={"villages": n_vil, "households": n_hh},
                       header=report_header(a, report.survey_round, report.lang,
                                            report.analysis.synthetic))
