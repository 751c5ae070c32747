"""The areas within (villages of a tambon, tambons of an amphoe) with grade, reason and priority."""

from __future__ import annotations

import pandas as pd

from abcresearch.reports import estimates
from abcresearch.reports.context import CHILD_COLUMN, AreaContext
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder, check_limit
from abcresearch.reports.sections.levels import level1_share

__all__ = ["villages"]


def villages(report: AreaContext, *, limit: int | None = None) -> SectionResult:
    """Table of the areas within in priority order, then the reason for each grade in words.

    Parameters
    ----------
    report : AreaContext
        The area.
    limit : int, optional
        List only the first ``limit`` areas in priority order (default: all).
    """
    check_limit(limit)
    t = report.t
    out = SectionBuilder("villages", report.words, {"limit": limit})
    out.heading("section.villages")
    rows = report.children
    if report.level == "village":
        rows = rows[rows["code"] == report.area.code]
    if limit is not None:
        rows = rows.head(limit)
    child_col = "col.tambon" if report.level == "amphoe" else "col.village"
    l1 = estimates.child_level1_counts(report.households, CHILD_COLUMN[report.level],
                                       rows["code"])
    # disclosure: every number through the round's one disclosure step (a row resting on
    # fewer households than the threshold publishes nothing but its name; a share or M0 hidden
    # in the area's own report is hidden here too); a reason is shown only when the numbers it
    # cites are
    pub = Publisher(report, "villages")
    names = [report.child_name(c) for c in rows["code"]]
    shown_rows, reasons = [], []
    for (_, r), name in zip(rows.iterrows(), names, strict=True):
        code = str(r["code"])
        ok = pub.pattern.publishable(code)
        share = level1_share(pub, code, float(r["share_level1"]))
        m0 = pub.mean("m0", code, float(r["m0"]), kind="index")
        grade = r[f"grade_label_{report.lang}"] if ok else pub.marker
        rank = r["priority_rank"]
        shown_rows.append({
            t("col.priority"): "–" if pd.isna(rank) else pub.public("rank", float(rank)).text,
            t(child_col): name,
            t("col.households"): pub.n(code).text,
            t("col.share_level1"): share.text,
            "M0": m0.text,
            t("col.grade"): grade,
        })
        reason = r[f"reason_{report.lang}"]
        if ok and not share.hidden and not m0.hidden and isinstance(reason, str) and reason:
            reasons.append(f"- **{name}** ({grade}): {reason}")
            for key in ("org_strength", "process_step"):
                if key in r and pd.notna(r[key]):
                    pub.public(key, float(r[key]), "score")
            if "mean_score" in r and pd.notna(r["mean_score"]):
                pub.derived("other", "mean_score", code, float(r["mean_score"]), False, "score")
    out.table(pd.DataFrame(shown_rows), t("villages.caption"), t("suppressed.note"))
    # the reason for each grade, in words, as a list a forum can read aloud
    if reasons:
        out.text(f"**{t('col.reason')}**\n\n" + "\n".join(reasons))
    return out.result(estimates=rows.reset_index(drop=True), details={"level1_counts": l1},
                      published=tuple(pub.entries))
