"""The areas within (villages of a tambon, tambons of an amphoe): support band, readiness group,
need and organisation strength, then the reasons for each as a list."""

from __future__ import annotations

import numpy as np
import pandas as pd

from abcresearch.reports.context import CHILD_COLUMN, AreaContext
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder, check_limit
from abcresearch.reports.sections.readiness import (
    grade_legend_text,
    grade_text,
    need_text,
    published_rows,
)
from abcresearch.scoring.grade_rules import load_grade_rules

__all__ = ["villages"]


def villages(report: AreaContext, *, limit: int | None = None) -> SectionResult:
    """Table of the areas within in support-band order, then the reasons in words.

    Each row shows the support band (need x readiness; areas within a band are not ranked),
    the sampled households, the share at level 1 and M0 (need), the need class, the readiness
    group (กลุ่ม A/B/C; "ใกล้เกณฑ์" when an interval of a sampled indicator that decides it
    straddles a threshold) and the organisation strength from the village form.

    Parameters
    ----------
    report : AreaContext
        The area.
    limit : int, optional
        List only the first ``limit`` areas in priority order (default: all).
    """
    check_limit(limit)
    t = report.t
    lang = report.lang
    rules = load_grade_rules()
    out = SectionBuilder("villages", report.words, {"limit": limit})
    out.heading("section.villages")
    rows = report.children
    if report.level == "village":
        rows = rows[rows["code"] == report.area.code]
    if limit is not None:
        rows = rows.head(limit)
    rows = rows.reset_index(drop=True)
    child_col = "col.tambon" if report.level == "amphoe" else "col.village"
    n = rows["n_households"].to_numpy()
    # disclosure: a row resting on fewer households than the threshold publishes nothing but
    # its name and its village-form figures; a level-1 share (and the need class read from it)
    # is hidden when its count or complement is small
    small, hidden = published_rows(rows, report.households, CHILD_COLUMN[report.level],
                                   report.threshold)
    names = [report.child_name(c) for c in rows["code"]]
    grades = [report.marker if s else grade_text(t, g, near)
              for g, near, s in zip(rows["grade"], rows["near_threshold"], small, strict=True)]
    needs = [report.marker if h else need_text(t, rules, lang, nd, near)
             for nd, near, h in zip(rows["need"], rows["need_near_threshold"], hidden,
                                    strict=True)]
    bands = [report.marker if h else ("" if pd.isna(b) else int(b))
             for b, h in zip(rows["priority_band"], hidden, strict=True)]
    shown = pd.DataFrame({
        t("readiness.col.band"): pd.Series(bands, dtype=object).to_numpy(),
        t(child_col): names,
        t("col.households"): np.where(small, report.marker, n).astype(object),
        t("col.share_level1"): (100 * rows["share_level1"]).mask(hidden).to_numpy(),
        "M0": rows["m0"].mask(small).to_numpy(),
        t("readiness.col.need"): needs,
        t("readiness.col.grade"): grades,
        t("readiness.col.org_strength"): rows["org_strength"].to_numpy(),
    })
    out.table(shown, t("readiness.villages.caption"),
              t("readiness.villages.notes", legend=grade_legend_text(t, rules, lang)),
              decimals=1, number_format={"M0": ",.2f"})
    # the reasons, as a list a forum can read aloud: readiness conditions, then need
    items = []
    for i, name in enumerate(names):
        if small[i]:
            continue
        head = f"- **{name}**: {grades[i]}"
        if not hidden[i]:
            head += f" · {needs[i]}"
        sub = [r for r in str(rows.loc[i, f"reason_{lang}"] or "").split("; ") if r]
        if not hidden[i]:
            sub += [t("readiness.reason.need", reason=r)
                    for r in str(rows.loc[i, f"need_reason_{lang}"] or "").split("; ") if r]
        items.append("\n".join([head] + [f"  - {s}" for s in sub]))
    if items:
        out.text(f"**{t('readiness.reasons')}**\n\n" + "\n".join(items))
    return out.result(estimates=rows, details={"small": small, "share_hidden": hidden})
