"""The areas within (villages of a tambon, tambons of an amphoe).

Support band, readiness group, need and organisation strength, then the reasons for each as a
list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from abcresearch.reports.context import CHILD_COLUMN, AreaContext
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder, check_limit
from abcresearch.reports.sections.common import within_words
from abcresearch.reports.sections.readiness import (
    grade_text,
    in_published_order,
    need_hidden,
    need_markers,
    need_text,
    published_level1,
    published_reason,
    readiness_table_notes,
)
from abcresearch.scoring.grade_rules import FORM_INDICATORS, load_grade_rules
from abcresearch.scoring.readiness import lift_conditions, merge_met
from abcresearch.survey.areas import get_area

__all__ = ["villages"]


def _one_step_short(report: AreaContext, pub: Publisher, rows: pd.DataFrame,
                    unshown: list[bool], names: list[str]) -> list[str]:
    """List the areas one village-form step short of the next group, with that step.

    From :func:`abcresearch.scoring.readiness.lift_conditions` (the steps a village's own
    summary lists): an area whose only step is a condition on a village-form figure, with the
    conditions its meeting meets too (``met_by``: step 4 of the process is the master plan),
    each public (its value goes into the ledger as printed). An area whose grade is not
    printed, or whose step rests on a household estimate, is left out.
    """
    if report.level not in ("tambon", "amphoe"):
        return []
    t = report.t
    rules = load_grade_rules()
    level = "tambon" if report.level == "amphoe" else "village"
    items = []
    for i, (_, row) in enumerate(rows.iterrows()):
        if unshown[i] or not isinstance(row.get("grade"), str):
            continue
        lift = lift_conditions(row, rules, level=level)
        # one thing to do: one condition, with those its meeting meets too, said beside it
        # ("make a master plan (which also reaches step 4)"; params/grades.yaml's met_with)
        steps = merge_met(lift, rules)
        if len(steps) != 1 or not lift["indicator"].isin(FORM_INDICATORS).all():
            continue
        step = str(steps[f"text_{report.lang}"].iloc[0])
        pub.record_numbers(step, f"lift.{steps['indicator'].iloc[0]}", str(row["code"]))
        items.append(t("readiness.one_step.item", name=names[i],
                       grade=grade_text(t, row["grade"]),
                       target=grade_text(t, steps["target_grade"].iloc[0]), step=step))
    return items


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
    rows = report.children
    if report.level == "village":
        # its own row alone, and its reasons a third time, told a village committee nothing
        # the summary had not (a Thai reader's review): where the villages of its tambon are
        # compared is said instead (the tambon's report, through the same disclosure step)
        out.heading("section.villages_of_tambon")
        tambon = get_area(report.area.code[:6])
        surveyed = int(report.analysis.villages["village_code"].str.startswith(
            tambon.code).sum())
        pub = Publisher(report, "villages")  # the count in the ledger, as every number
        n = pub.public("villages_surveyed", surveyed, area=tambon.code).text
        out.text(t("villages.see_tambon", n=n, tambon=tambon.label(lang),
                   heading=t("section.villages")) if surveyed > 1
                 else t("villages.only_one", tambon=tambon.label(lang)))
        return out.result(estimates=rows, published=tuple(pub.entries))
    # an amphoe's report lists its tambons: "villages of the area" over them misleads
    out.heading("section.tambons" if report.level == "amphoe" else "section.villages")
    # rows whose band is hidden come last: their place in the order would tell it
    rows = in_published_order(report, rows.reset_index(drop=True), report.households,
                              CHILD_COLUMN[report.level])
    if limit is not None:
        rows = rows.head(limit)
    child_col = "col.tambon" if report.level == "amphoe" else "col.village"
    # disclosure: every household figure through the round's one disclosure step (a row resting
    # on fewer households than the threshold publishes nothing but its name and its village-form
    # figures; a share or M0 hidden in the area's own report, or one that would give back a
    # hidden cell by differencing, is hidden here too, and so is the need class read from it)
    pub = Publisher(report, "villages")
    codes = [str(c) for c in rows["code"]]
    n_shown = [pub.n(c) for c in codes]
    small, hidden, share_shown = published_level1(pub, rows, report.households,
                                                  CHILD_COLUMN[report.level], with_ci=False)
    m0_shown = [pub.mean("m0", c, float(v), kind="index") for c, v in zip(codes, rows["m0"],
                                                                           strict=True)]
    # the need class, band and reason print the share and M0: hidden where either is, with
    # its marker ("×" where it only protects another cell: not to be read as "under 5%")
    share_hidden = hidden
    hidden = need_hidden(pub, codes, share_hidden)
    marks = need_markers(report, pub, codes, small, share_shown)
    names = [report.child_name(c) for c in rows["code"]]
    grades = [report.marker if s else grade_text(t, g, near)
              for g, near, s in zip(rows["grade"], rows["near_threshold"], small, strict=True)]
    # under the table's "need" heading the short words, in the reasons' sentences the full
    def needs_in(short: bool) -> list[str]:
        return [mk if h else need_text(t, rules, lang, nd, near, short=short)
                for nd, near, h, mk in zip(rows["need"], rows["need_near_threshold"], hidden,
                                           marks, strict=True)]

    needs, needs_said = needs_in(short=True), needs_in(short=False)
    bands = [mk if h else ("" if pd.isna(b) else int(b))
             for b, h, mk in zip(rows["priority_band"], hidden, marks, strict=True)]
    shown = pd.DataFrame({
        t("readiness.col.band"): pd.Series(bands, dtype=object).to_numpy(),
        t(child_col): names,
        t("col.sampled_households"): [s.text for s in n_shown],
        t("col.share_level1"): [report.marker if sm else s.text
                                for s, sm in zip(share_shown, small, strict=True)],
        "M0": [s.text for s in m0_shown],
        t("readiness.col.need"): needs,
        t("readiness.col.grade"): grades,
        # village-form figures: public, written through the step so the ledger has them
        t("readiness.col.org_strength"): [np.nan if pd.isna(v) else pub.public(
            "org_strength", float(v), "score").value for v in rows["org_strength"]],
    })
    # the markers' legend, as far as the table prints them ("<5" and "×" stand in the band and
    # need columns too)
    out.table(shown, t("readiness.villages.caption", within=within_words(report)),
              readiness_table_notes(t, rules, lang)
              + " · " + t("suppressed.note")
              # "<5" under "support band" read as "a band below 5" (a reader review)
              + (" · " + t("readiness.marker_in_band", threshold=report.threshold)
                 if any(hidden) else ""), decimals=1)
    # the reasons, as a list a forum can read aloud: readiness conditions, then need
    items = []
    for i, name in enumerate(names):
        if small[i]:
            continue
        head = f"- **{name}**: {grades[i]}"
        if not hidden[i]:
            head += f" · {needs_said[i]}"
        reason = published_reason(pub, rows.loc[i], codes[i], report, rules)
        sub = [r for r in reason.split("; ") if r]
        if not hidden[i]:
            sub += [t("readiness.reason.need", reason=r)
                    for r in str(rows.loc[i, f"need_reason_{lang}"] or "").split("; ") if r]
        items.append("\n".join([head] + [f"  - {s}" for s in sub]))
    if items:
        # a heading (kept with the list that follows it), not a bold line left at a page foot
        out.text(f"### {t('readiness.reasons')}\n\n" + "\n".join(items))
    one_step = _one_step_short(report, pub, rows, list(small), names)
    if one_step:
        unit = within_words(report)
        out.text(f"### {t('readiness.one_step.heading', areas_word=unit.capitalize())}\n\n"
                 + "\n".join(one_step))
    return out.result(estimates=rows, details={"small": small, "share_hidden": share_hidden,
                                               "need_hidden": hidden},
                      published=tuple(pub.entries))
