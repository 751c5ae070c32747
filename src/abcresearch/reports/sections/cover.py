"""The area report's cover: names, round, what the numbers rest on, grade, provenance.

The coverage line says how many of the area's villages and households (totals from the round's
village frame, or from the village forms for a round without one) were surveyed; the grade line
follows the status model (:mod:`abcresearch.analysis.status`): a withheld grade says why, and an
area whose estimates are flagged (few sampled villages, strata without a surveyed village)
carries its warning on the cover as beside every table.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from abcresearch.analysis.status import GradeStatus, load_status_rules
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.formatting import with_aside
from abcresearch.reports.render.display import beside_thai, report_header
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections.common import cover_block, within_words
from abcresearch.scoring.grade_rules import load_grade_rules
from abcresearch.survey.areas import get_area

__all__ = ["address", "coverage_text", "cover", "grade_text"]


def coverage_text(report: AreaContext, pub: Publisher | None = None) -> str:
    """Return the coverage line: "สำรวจ n จาก N หมู่บ้าน · n จาก N ครัวเรือน".

    The households surveyed are the area's sample size (through the disclosure step: a marker
    below the threshold); the totals come from the round's village frame or village forms, a
    register rather than the survey, and are published as they are. Words in
    ``params/labels/rollout.yaml``.
    """
    pub = pub or Publisher(report, "cover")
    c = report.status.coverage
    code = report.area.code
    if report.level == "village":
        return report.t("rollout.cover.coverage_village",
                        households=pub.n(code, c.households_surveyed).text,
                        households_total=pub.public("households_total", c.households_total,
                                                    area=code).text)
    return report.t("rollout.cover.coverage",
                    villages=pub.public("villages_surveyed", c.villages_surveyed, area=code).text,
                    villages_total=pub.public("villages_total", c.villages_total,
                                              area=code).text,
                    households=pub.n(code, c.households_surveyed).text,
                    households_total=pub.public("households_total", c.households_total,
                                                area=code).text)


def grade_text(report: AreaContext) -> str:
    """Return the cover's grade line.

    The area's published grade (with its status), the reason it is withheld, or the grade
    counts of the areas within.
    """
    row = report.grade_row
    if not report.publishable:
        return report.t("cover.grade", grade=report.marker)
    st = report.status
    if st.grade_status is GradeStatus.NOT_GRADED or (
            st.grade_status is GradeStatus.PROVISIONAL
            and (row is None or pd.isna(row.get("grade")))):
        # a model-based tambon has a provisional need class (its own section), no A/B/C grade
        why = report.t("grade_status.not_graded",
                       min_villages=load_status_rules().min_sampled_villages)
        return report.t("cover.grade", grade=why)
    asides = []  # what is said of the group: its status, and that its rules are a draft
    a = b = c = 0  # the groups of the areas within, where the area has none of its own
    if row is None or pd.isna(row.get("grade")):
        from abcresearch.reports.sections.readiness import child_group_counts

        # as the report's tables print them: those with the small marker counted apart
        g = child_group_counts(report)
        a, b, c, withheld = g["a"], g["b"], g["c"], g["withheld"]
        within = within_words(report)  # the areas within, named
        text = (report.t("rollout.cover.grade_counts_withheld", a=a, b=b, c=c, n=withheld,
                         within=within) if withheld
                else report.t("cover.grade_counts", a=a, b=b, c=c, within=within))
        if g["small"]:
            text += report.t("cover.grade_counts_small", k=g["small"])
    else:
        text = report.t("cover.grade", grade=row[f"grade_label_{report.lang}"])
        if st.grade_status in (GradeStatus.NEAR_THRESHOLD, GradeStatus.PROVISIONAL):
            asides.append(report.t("grade_status." + st.grade_status.value))
    # an area's own group and the groups of those within it rest on the same draft rules (the
    # province's cover counted groups without a word of it); the summary page says more
    if not load_grade_rules().verified and (row is not None and not pd.isna(row.get("grade"))
                                            or a + b + c > 0):
        asides.append(report.t("cover.grade_draft"))
    # after counts in brackets ("A 1 · B 11 · C 4 (draft rules, awaiting review)"); after a
    # group's own label in brackets, "กลุ่ม B (กำลังพัฒนา) · ใกล้เกณฑ์ · เกณฑ์ร่าง…"
    return with_aside(text, " · ".join(asides))


def address(report: Any) -> str:
    """Return the area's full name with the areas it lies in, as an address is written.

    ``ตำบลในเมือง อำเภอเมืองนครศรีธรรมราช จังหวัดนครศรีธรรมราช``; in English, comma-separated.
    (The cover read "ตำบล ในอำเภอเมืองนครศรีธรรมราช": the level word, a space, no province.)
    """
    named = getattr(report, "area_name", None)  # a village's own name from its form
    parts = []
    area = report.area
    while area is not None:
        parts.append(named(area) if named is not None else area.label(report.lang))
        area = get_area(area.parent) if area.parent else None
    return report.t("cover.address_sep").join(parts)


def cover(report: AreaContext) -> SectionResult:
    """Return the cover block (Typst), with the synthetic-data banner for synthetic data."""
    t = report.t
    a = report.area
    n_vil = report.households["village_code"].nunique()
    n_hh = len(report.households)
    pub = Publisher(report, "cover")
    lines = [
        address(report),
        report.words.round_years(report.survey_round),
        coverage_text(report, pub),
        f"**{grade_text(report)}**",
    ]
    lines += [f"**{w}**" for w in report.estimate_warnings]
    from abcresearch.reports.sections.smallarea import cover_lines  # basis `model`: provisional

    lines += cover_lines(report)
    if report.analysis.synthetic:
        lines.append(f"**{t('synthetic.banner')}**")
    # provenance (fingerprint, scheme, version) is in the methods note, not on the cover
    # under the Thai name: "Village 3", not its Thai name again. A tambon's or amphoe's name
    # with its level's word: "ในเมือง" alone, large on the cover, reads "in the town" (a Thai
    # reader's review); a village's name already starts "หมู่ที่"
    with_level = a.level in ("tambon", "amphoe")
    return cover_block(report.words, a.label("th") if with_level else a.name_th,
                       beside_thai(a, labelled=with_level), lines,
                       report.analysis.synthetic,
                       details={"villages": n_vil, "households": n_hh,
                                "coverage": report.status.coverage.as_dict(),
                                "grade_status": report.status.grade_status.value,
                                "estimate_basis": report.status.basis.value,
                                "design": report.analysis.design.name},
                       header=report_header(a, report.survey_round, report.lang,
                                            report.analysis.synthetic,
                                            names=report.village_names()),
                       published=tuple(pub.entries))
