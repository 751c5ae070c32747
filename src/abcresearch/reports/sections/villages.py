"""The areas within (villages of a tambon, tambons of an amphoe) with grade, reason and priority."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abcresearch.reports import estimates
from abcresearch.reports.context import CHILD_COLUMN, AreaContext
from abcresearch.reports.disclosure import is_small, suppress_shares
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder, check_limit

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
    thr = report.threshold
    out = SectionBuilder("villages", report.words, {"limit": limit})
    out.heading("section.villages")
    rows = report.children
    if report.level == "village":
        rows = rows[rows["code"] == report.area.code]
    if limit is not None:
        rows = rows.head(limit)
    child_col = "col.tambon" if report.level == "amphoe" else "col.village"
    n = rows["n_households"].to_numpy()
    l1 = estimates.child_level1_counts(report.households, CHILD_COLUMN[report.level],
                                       rows["code"])
    # disclosure: a row resting on fewer households than the threshold publishes nothing but
    # its name; a level-1 share is hidden when its count or complement is small
    small = is_small(n, thr)
    share = suppress_shares(rows["share_level1"], l1["sum"].to_numpy(), l1["count"].to_numpy(),
                            thr)
    names = [report.child_name(c) for c in rows["code"]]
    grade_label = rows[f"grade_label_{report.lang}"].where(~small, report.marker)
    shown = pd.DataFrame({
        t("col.priority"): rows["priority_rank"].astype("Int64").to_numpy(),
        t(child_col): names,
        t("col.households"): np.where(small, report.marker, n).astype(object),
        t("col.share_level1"): (100 * share).mask(small).to_numpy(),
        "M0": rows["m0"].mask(small).to_numpy(),
        t("col.grade"): grade_label.to_numpy(),
    })
    out.table(shown, t("villages.caption"), decimals=1)
    # the reason for each grade, in words, as a list a forum can read aloud
    reasons = [f"- **{name}** ({g}): {r}" for name, g, r, hide in
               zip(names, grade_label, rows[f"reason_{report.lang}"], small, strict=True)
               if not hide and isinstance(r, str) and r]
    if reasons:
        out.text(f"**{t('col.reason')}**\n\n" + "\n".join(reasons))
    return out.result(estimates=rows.reset_index(drop=True), details={"level1_counts": l1})
