"""The one-page summary at the front of a village or tambon report, printable in black and white.

What a village committee or a TAO needs on one sheet: the grade and its reason, what would lift
the area to the next grade, the share of households at level 1, three strengths and three gaps
(items where the area does best and worst *relative to the province*, from
:mod:`~abcresearch.reports.sections.actions`), the first actions for those gaps, coverage (how
many villages and households the numbers rest on), the programme lists the area is in, the
welfare fund at a glance, the date of the forum where the results go back
(``params/forums.csv``, ``docs/INPUTS.md``; blank when unknown) and a blank line for the
coordinator's name and phone.

Three inputs come from other parts of the project:

* **readiness group, need and what would lift the group**: the grade row of
  :mod:`abcresearch.scoring.grades` (readiness group กลุ่ม A/B/C with its near-threshold mark,
  need class beside it, support band) and :func:`abcresearch.scoring.readiness.lift_conditions`
  (:func:`grade_lift`), in the words of the readiness section.
* **the welfare fund**: the welfare section's result (:func:`abcresearch.reports.sections.
  welfare.welfare_fund`, made once per report), each figure as its page prints it; a welfare
  file that does not load leaves the box out.
* **coverage and grade status**: :func:`area_coverage` uses the report's ``coverage`` (an
  :class:`~abcresearch.analysis.status.Coverage`) or ``status.coverage`` when the report context
  has one; otherwise it counts the round's village frame (or, without a frame, the village forms).

The page is Typst markup in black on white (boxes drawn with rules, no colour carries meaning)
with a Markdown twin for JupyterLab; it starts and ends with a page break, and the template's
``abc-fit`` sets it smaller (9.5 to 8 pt) where it would not fit one page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch.analysis.status import Coverage
from abcresearch.errors import InputError, ParamsError, StoreError
from abcresearch.paths import project_path
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher, is_small
from abcresearch.reports.item_rules import PATHS, load_action_rules
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections import actions as actions_mod
from abcresearch.reports.sections.common import within_words
from abcresearch.reports.sections.levels import level1_share
from abcresearch.reports.sections.programmes import flag_text, flags
from abcresearch.reports.sections.readiness import (
    band_in_tambon,
    grade_text,
    group_c_areas,
    hidden_indicators,
    high_need_outside_c,
    high_need_ungraded,
    lift_names_villages,
    mask_figures,
    need_text,
    none_in_group_c,
    published_reason,
)
from abcresearch.reports.sections.smallarea import model_headline
from abcresearch.reports.sections.smallarea import status_text as sa_status_text
from abcresearch.scoring.grade_rules import indicator_label, load_grade_rules

__all__ = ["DEFAULT_FORUMS", "Forum", "area_coverage", "format_date", "forum_dates",
           "grade_lift", "grade_near_note", "read_forums", "summary_page"]

#: The forum-date file the notebooks pass by default (relative to the project).
DEFAULT_FORUMS = "params/forums.csv"
FORUM_COLUMNS = ("area_code", "survey_round", "forum_date", "venue")


# ---------------------------------------------------------------------- forums
@dataclass(frozen=True)
class Forum:
    """A forum where an area's results go back (one row of the forum file)."""

    area_code: str
    survey_round: int
    date: dt.date | None
    venue: str


def read_forums(path: str | Path) -> list[Forum]:
    """Read a forum-date file.

    Columns as in ``docs/INPUTS.md``: ``area_code, survey_round, forum_date, venue``; CSV in
    UTF-8, UTF-8 with BOM or CP874; dates as ``YYYY-MM-DD`` or ``DD/MM/YYYY``, Christian or
    Buddhist era, Thai digits allowed; a blank date means not yet known.

    Raises
    ------
    InputError
        One sentence naming the file, row, column, value and rule of the first bad cell (and how
        many more there are), or the missing column.
    """
    from abcresearch.survey.areas import get_area
    from abcresearch.survey.readers import read_csv
    from abcresearch.survey.validate import parse_date_text

    p = Path(path)
    sheet = read_csv(p)
    frame = sheet.frame.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in FORUM_COLUMNS[:3] if c not in frame.columns]
    if missing:
        raise InputError(f"{p.name}: missing column {', '.join(missing)} (expected "
                         f"{', '.join(FORUM_COLUMNS)})")
    problems: list[str] = [f"{p.name} row {m.row}: the cells do not line up with the header "
                           f"(rule malformed_row)" for m in sheet.malformed]
    out: list[Forum] = []
    for row, rec in zip(sheet.rows, frame.to_dict("records"), strict=True):
        def bad(col: str, value: Any, rule: str, row: Any = row) -> None:
            problems.append(f"{p.name} row {row}, column {col}: value {value!r} breaks rule "
                            f"{rule}")

        code = str(rec.get("area_code") or "").strip()
        try:
            get_area(code)
        except Exception:
            bad("area_code", code, "area_code (an official 2, 4, 6 or 8-digit area code)")
            continue
        rnd = str(rec.get("survey_round") or "").strip()
        if not rnd.isdigit() or not 2400 <= int(rnd) <= 2700:
            bad("survey_round", rnd, "survey_round (a Buddhist-era year 2400-2700)")
            continue
        text = rec.get("forum_date")
        date = None
        if text is not None and not pd.isna(text) and str(text).strip():
            date = parse_date_text(str(text))
            if date is None:
                bad("forum_date", text, "forum_date (a date as YYYY-MM-DD or DD/MM/YYYY, "
                                        "Christian or Buddhist era; blank if unknown)")
                continue
        venue = rec.get("venue")
        out.append(Forum(code, int(rnd), date,
                         "" if venue is None or pd.isna(venue) else str(venue).strip()))
    if problems:
        more = f" ({len(problems) - 1} more problem(s) in the file)" if len(problems) > 1 else ""
        raise InputError(problems[0] + more)
    return out


def forum_dates(path: str | Path | None, area_code: str, survey_round: int) -> list[Forum]:
    """Return the forums of an area in a round, earliest first.

    A village without a row of its own takes its tambon's. None, an empty path or a missing
    file give no forum.
    """
    p = project_path(path) if path else None
    if p is None or not p.exists():
        return []
    forums = [f for f in read_forums(p) if f.survey_round == int(survey_round)]
    for code in (area_code, area_code[:6]) if len(area_code) == 8 else (area_code,):
        own = [f for f in forums if f.area_code == code]
        if own:
            return sorted(own, key=lambda f: (f.date is None, f.date or dt.date.max))
    return []


def format_date(date: dt.date, words: Any, lang: str) -> str:
    """``12 มีนาคม 2550`` (Buddhist era) in Thai, ``12 March 2007`` in English."""
    months = words("date.months").split(",")
    year = date.year + 543 if lang == "th" else date.year
    return f"{date.day} {months[date.month - 1].strip()} {year}"


# ---------------------------------------------------------------------- coverage
def area_coverage(report: AreaContext) -> Coverage:
    """Villages and households the area's numbers rest on, out of the area's totals.

    Uses the report's own ``coverage`` or ``status.coverage`` when the context provides one
    (the status model, ``docs/ARCHITECTURE.md``); otherwise counts: surveyed = the area's
    analysed households and their villages; totals from the round's village frame, or without a
    frame from the village forms (then every village of the area was surveyed).
    """
    for cand in (getattr(report, "coverage", None),
                 getattr(getattr(report, "status", None), "coverage", None)):
        if isinstance(cand, Coverage):
            return cand
    from abcresearch.store import read as store_read

    hh = report.households
    v_done, h_done = int(hh["village_code"].nunique()), int(len(hh))
    try:
        frame = store_read.load(report.survey_round, area=report.area.code, store=report.store,
                                table="frame")
    except StoreError:
        frame = None
    if frame is not None and len(frame):
        v_all = int(len(frame))
        h_all = int(pd.to_numeric(frame["households"], errors="coerce").sum())
    else:
        forms = report.village_forms
        v_all = max(int(forms["village_code"].nunique()), v_done)
        h_all = int(pd.to_numeric(forms["vil_households"], errors="coerce").sum())
    return Coverage(villages_surveyed=v_done, villages_total=v_all,
                    households_surveyed=h_done, households_total=max(h_all, h_done))


# ---------------------------------------------------------------------- next group
def grade_lift(report: AreaContext, pub: Publisher | None = None
               ) -> tuple[str | None, list[str], str, list[str]]:
    """Say what would lift the area to the next readiness group.

    The conditions come from :func:`abcresearch.scoring.readiness.lift_conditions` (the same
    as the readiness section's), in the report's language; a household figure the round's
    pattern hides is masked (:func:`~abcresearch.reports.sections.readiness.mask_figures`).

    Returns
    -------
    next_grade, steps, requirement, items : str or None, list of str, str, list of str
        The next group up (None at the top group or when the area is not graded), the
        conditions to meet in words, ``"all"`` (every one) or ``"any"`` (one of them), and
        each condition's household item (``household_item`` in ``params/grades.yaml``; ""
        where it has none).
    """
    from abcresearch.scoring.readiness import lift_conditions, merge_met

    row = report.grade_row
    if row is None or not isinstance(row.get("grade"), str):
        return None, [], "", []
    level = report.level if report.level in ("village", "tambon") else "village"
    # one thing to do per step: the plan and step 4 (which is the plan) are one (met_with)
    lift = merge_met(lift_conditions(row, None, level=level))
    if lift.empty:  # the top group (or no condition stands in the way: nothing to list)
        order = list(load_grade_rules().grade_order)
        up = order.index(row["grade"]) + 1 if row["grade"] in order else len(order)
        return (order[up] if up < len(order) else None), [], "", []
    rules = load_grade_rules()

    def item_of(grade: str, indicator: str) -> str:
        rule = next((r for r in rules.rules if r["grade"] == grade), {})
        conds = rule.get("all") or rule.get("any") or []
        return str(next((c.get("household_item") or "" for c in conds
                         if c.get("indicator") == indicator), ""))

    masked = hidden_indicators(pub or Publisher(report, "summary_page"), report.area.code,
                               report.capitals, rules)
    steps = [mask_figures(str(x), row, masked, rules, report.marker, indicator=str(ind))
             for x, ind in zip(lift[f"text_{report.lang}"], lift["indicator"], strict=True)]
    items = [item_of(str(g), str(i)) for g, i in zip(lift["rule"], lift["indicator"],
                                                      strict=True)]
    return str(lift["target_grade"].iloc[0]), steps, str(lift["requirement"].iloc[0]), items


def _welfare_details(report: AreaContext, programmes: str | Path | None) -> Mapping[str, Any]:
    """Return the welfare page's details (what it printed); empty where its rules are bad."""
    from abcresearch.reports.sections import welfare as welfare_mod

    try:
        return welfare_mod.welfare_fund(report, programmes=programmes).details
    except (InputError, ParamsError):  # a bad welfare.yaml: its own section says so
        return {}


def _level1_outside(report: AreaContext, programmes: str | Path | None) -> str | None:
    """Return the level-1 households outside a welfare fund as the welfare page prints them."""
    details = _welfare_details(report, programmes)
    outside = ((details.get("reach") or {}).get("1") or {}).get("outside")
    return str(outside) if outside else None


def _without_own_fund(report: AreaContext, programmes: str | Path | None) -> bool:
    """Whether a village's own form shows neither fund members nor money (no fund yet).

    As its welfare page counts it (``without_fund``: the villages without a fund, and the forms
    counted), so that the two pages say the same.
    """
    return report.level == "village" and \
        tuple(_welfare_details(report, programmes).get("without_fund", (0, 0))) == (1, 1)


# ---------------------------------------------------------------------- the page
def _esc(text: str) -> str:
    from abcresearch.reports.render.typst import escape_markup

    return escape_markup(text)


def _box(title: str, lines: Sequence[str], empty: str, numbered: bool = False) -> str:
    mark = "+" if numbered else "-"
    body = "\n".join(f"  {mark} {_esc(x)}" for x in lines) if lines else \
        (f"  {_esc(empty)}" if empty else "")
    return ("#block(width: 100%, stroke: 0.8pt + black, inset: 7pt, radius: 0pt, "
            "breakable: false)[\n"
            f"  #text(weight: \"bold\")[{_esc(title)}]\n\n{body}\n]")


def grade_near_note(t: Callable[..., str], rules: Any, row: Mapping[str, Any],
                    label_of: Callable[[str], str],
                    hidden: frozenset[str] = frozenset()) -> str:
    """Say which indicator puts an area's group near a threshold, and the group it may be in.

    Empty where the group is not near one. Each indicator named in ``near_threshold_indicator``
    is said with the group of the rule whose threshold its interval holds (the first rule
    naming it where the row has no interval): "may be in group C" where that is not the
    area's group, "may not be in group C" where it is. ``label_of`` names an indicator;
    indicators in ``hidden`` (masked for the area, :func:`~abcresearch.reports.sections.
    readiness.hidden_indicators`) are not named.
    """
    if not bool(row.get("near_threshold")):
        return ""
    names = [n.strip() for n in str(row.get("near_threshold_indicator") or "").split(",")
             if n.strip() and n.strip() not in hidden]
    def thresholds(rule: Mapping[str, Any], name: str) -> list[float]:
        return [float(c["value"]) for c in (*rule.get("any", ()), *rule.get("all", ()))
                if c.get("indicator") == name]

    parts = []
    for name in names:
        lo, hi = (row.get(f"{name}_ci_low"), row.get(f"{name}_ci_high"))
        naming = [r for r in rules.rules if not r.get("otherwise") and thresholds(r, name)]
        held = [r for r in naming if lo is not None and hi is not None and pd.notna(lo)
                and pd.notna(hi) and any(float(lo) <= v <= float(hi)
                                         for v in thresholds(r, name))]
        rule = (held or naming or [None])[0]
        if rule is None:
            continue
        group = rule["grade"]
        key = "summary.grade_near.not_in" if group == row.get("grade") else "summary.grade_near.in"
        parts.append(t(key, indicator=label_of(name), grade=grade_text(t, group)))
    return t("summary.grade_near", which=t("summary.grade_near.sep").join(parts)) if parts \
        else ""


def _indicator_words(report: AreaContext, name: str) -> str:
    """Name a grading indicator as a reader does (a capital's mean by its capital)."""
    if name.startswith("mean_") and name != "mean_score":
        return report.t("rollout.change.mean", capital=report.capital_label(name[5:]))
    return indicator_label(name, report.lang)


def _reason_parts(text: str) -> tuple[str, list[str]]:
    """Split "เหตุผล: a; b; c" into its label and its reasons (one reason: no list).

    The rules join an area's reasons with "; " (their texts may not hold one), which read as
    machine-made Thai in the box (a reader review): two or more are listed instead.
    """
    head, sep, rest = text.partition(": ")
    items = rest.split("; ") if sep else []
    return (head + sep.rstrip(), items) if len(items) > 1 else (text, [])


def _welfare_lines(report: AreaContext, ledger: Publisher,
                   programmes: str | Path | None = None, outside_said: bool = False
                   ) -> tuple[str, list[str]]:
    """Return the welfare box's title and lines (no lines: no box).

    The funds, the villages without one, the level-1 households in one, and a register the
    answers outrun. From the welfare section (made once per report, its own page below);
    the figures go into this page's ledger as printed, the share through the round's
    disclosure step as there.
    """
    from abcresearch.reports.estimates import welfare_share_cells
    from abcresearch.reports.sections import welfare as welfare_mod

    t, code = report.t, report.area.code
    try:
        details = welfare_mod.welfare_fund(report, programmes=programmes).details
    except (InputError, ParamsError):  # a bad welfare.yaml: its own section says so, in full
        return "", []
    tot = details.get("totals")
    if tot is None:  # no village form: the section says why
        return "", []
    # the forms the money rests on, where they are not every village's (a sampled round, a
    # form not sent or left blank): the welfare page says so, and so must the box (a review)
    forms = details.get("forms_used")
    villages = getattr(getattr(report.status, "coverage", None), "villages_total", None)
    partial = report.level != "village" and forms is not None and villages is not None \
        and forms < villages
    source = t("summary.welfare.forms_of", k=ledger.public(
        "village_forms.villages", float(forms or 0), area=code).text, n=ledger.public(
        "villages_total", float(villages or 0), area=code).text) if partial \
        else t("summary.welfare.forms")
    lines = [t("summary.welfare.money",
               money=ledger.public("village_forms.vil_welfare_money",
                                   float(tot["vil_welfare_money"]), area=code).text,
               members=ledger.public("village_forms.vil_welfare_members",
                                     float(tot["vil_welfare_members"]), area=code).text,
               source=source)]
    n, total = details.get("without_fund", (0, 0))
    if n and report.level != "village":
        line = t("summary.welfare.no_fund",
                 n=ledger.public("village_forms.villages_without_fund", n, area=code).text,
                 total=ledger.public("village_forms.villages", total, area=code).text)
        # a tambon's villages by name, as its welfare page names them: where to start a fund
        if names := details.get("without_fund_names"):
            line = t("summary.welfare.no_fund_names", line=line, names=ledger.record_numbers(
                names, "village names (village_forms.villages_without_fund)", code))
        lines.append(line)
    reach = details.get("reach") or {}

    def share(key: str | None) -> str | None:  # as the welfare page prints it, or None
        est = reach.get(key or "all")
        if est is None or est.get("hidden") or not est.get("n_base"):
            return None
        shown = ledger.share(code, *welfare_share_cells(key), est["estimate"], est["ci_low"],
                             est["ci_high"])
        return None if shown.hidden else shown.with_ci

    everyone = share(None)
    level1 = share("1")
    if level1 is not None:
        # the level-1 households outside a fund, as the welfare page counts them: whom to
        # invite first (a reader review worked the count out by hand)
        outside = None if outside_said else (reach.get("1") or {}).get("outside")
        if outside:
            ledger.record(outside, "welfare.level1_outside_fund", code, kind="other")
        lines.append(t("summary.welfare.level1", share=level1, all=t(
            "summary.welfare.all", share=everyone) if everyone is not None else "")
            + (t("summary.welfare.outside", count=outside) if outside else ""))
    mismatch = details.get("members_mismatch") or {}
    if mismatch and everyone is not None:
        for key in ("members", "at_most"):  # public figures, as the welfare page printed them
            ledger.record(mismatch[key], f"welfare_fund members_mismatch {key}", code)
        lines.append(t("summary.welfare.mismatch", share=everyone, members=mismatch["members"],
                       at_most=mismatch["at_most"]))
    section = t("section.welfare")
    title = t("summary.welfare.title_village", section=section) if report.level == "village" \
        else t("summary.welfare.title", section=section, years=ledger.public(
            "projection.years", details["rules"].years).text)
    return title, lines


def summary_page(report: AreaContext, *, forums: str | Path | None = DEFAULT_FORUMS,
                 programmes: str | Path | None = None,
                 actions: str | Path | None = None) -> SectionResult:
    """Build the one-page summary.

    Readiness group and reason, need beside it, what would lift the group, strengths and gaps
    relative to the province with the first actions, coverage, programme lists and the forum
    date.

    Parameters
    ----------
    report : AreaContext
        A village or tambon (amphoe reports work too; the grade is then the tambons' counts).
    forums : path, optional
        Forum-date file (default ``params/forums.csv``; a missing file: no date).
    programmes, actions : path, optional
        Other ``programmes.yaml`` / ``actions.yaml``.
    """
    t, lang = report.t, report.lang
    out = SectionBuilder("summary_page", report.words, {"forums": forums,
                                                        "programmes": programmes,
                                                        "actions": actions})
    ar = load_action_rules(actions)
    pub = report.publishable
    # the area's level-1 share through the round's one disclosure step, so that it is hidden
    # here wherever the levels table hides it (e.g. to protect a small level-3 cell)
    ledger = Publisher(report, "summary_page")
    l1_shown = None
    if pub:
        e = report.level1_estimate.iloc[0]
        l1_shown = level1_share(ledger, report.area.code, float(e["estimate"]),
                                float(e["ci_low"]), float(e["ci_high"]))
    l1_published = l1_shown is not None and not l1_shown.hidden
    row = report.grade_row
    # readiness group, reasons, need, status
    rules = load_grade_rules()
    graded = pub and row is not None and isinstance(row.get("grade"), str)
    counted = False  # the groups of the areas within, counted (an amphoe's, a province's)
    reasons: list[str] = []
    grade_parts = 1  # the reasons said before the need line: the group's, its near note
    need_line = band_line = ""
    if not pub:
        grade_line = t("summary.grade", grade=report.marker)
    elif report.level == "village" and row is not None and not graded:
        # a village without a group (its form missing): say so and why, not its own "0 A,
        # 0 B, 0 C" (a review)
        grade_line = t("summary.grade", grade=str(row.get(f"grade_label_{lang}") or ""))
        reasons.append(t("summary.reason", reason=str(row.get(f"reason_{lang}") or "")))
    elif row is None or not graded:
        from abcresearch.reports.sections.readiness import child_group_counts

        # as the cover counts them (those with the small marker apart), with those not graded
        # yet; the draft rules are said only where some area is graded by them (a code
        # review: "A 0 · B 0 · C 0" and the draft line for an amphoe whose tambons were all
        # withheld)
        g = child_group_counts(report)
        a, b, c, withheld = g["a"], g["b"], g["c"], g["withheld"]
        counted = a + b + c > 0
        grade_line = t("summary.grade_counts" + ("_withheld" if withheld else ""),
                       a=a, b=b, c=c, n=withheld, within=within_words(report))
        if g["small"]:
            grade_line += t("cover.grade_counts_small", k=g["small"])
    else:
        label = str(rules.grade_labels[row["grade"]][lang])
        if bool(row.get("near_threshold")):
            label = t("readiness.near", value=label)
        grade_line = t("summary.grade", grade=label)
        # a group given where no earlier rule holds ("otherwise", B) is said by what the
        # area misses of the rule above it: "why B" listed group A's conditions unnamed (a
        # reader review)
        own = next((r for r in rules.rules if r["grade"] == row["grade"]), {})
        better = [r for r in rules.rules if not r.get("otherwise")
                  and rules.grade_order.index(r["grade"]) > rules.grade_order.index(row["grade"])]
        key, above = ("summary.reason_short_of", better[0]["grade"]) \
            if own.get("otherwise") and better else ("summary.reason", "")
        reasons.append(t(key, reason=published_reason(ledger, row, report.area.code, report,
                                                      rules),
                         grade=grade_text(t, above) if above else ""))
        # which threshold the group is near, and which way it may go: "กลุ่ม B (ใกล้เกณฑ์)"
        # above reasons short of group A read as near A where the interval crossing a
        # threshold was group C's (a reader review)
        near_note = grade_near_note(
            t, rules, row, lambda name: _indicator_words(report, name),
            hidden_indicators(ledger, report.area.code, report.capitals,
                              rules))
        if near_note:
            reasons.append(near_note)
            grade_parts = 2
        # the need class and its reason print the level-1 share and M0: only where both are
        if l1_published and not ledger.pattern.hidden("m0", report.area.code) \
                and isinstance(row.get("need"), str):
            need_line = t("summary.need",
                          need=need_text(t, rules, lang, row["need"],
                                         row.get("need_near_threshold")),
                          band=int(row["priority_band"]), bands=len(rules.bands))
            need_line = need_line[:1].upper() + need_line[1:]  # "Lower need", a line's start
            reasons.append(t("summary.need_reason",
                             reason=str(row.get(f"need_reason_{lang}") or "")))
            # a need near its threshold: a note of its own after the reasons, not one of them
            if bool(row.get("need_near_threshold")):
                reasons.append(t("summary.need_near."
                                 + ("high" if row["need"] == "high" else "low")))
            # a village's band among its tambon's villages, under its band (a reader review:
            # "band 2 of 6" did not say it came first in its tambon)
            band_line = band_in_tambon(report, ledger)
    status = getattr(getattr(report, "status", None), "grade_status", None)
    status_text = ""
    # a final grade needs no remark; a near-threshold one is already marked on the grade line
    if status and getattr(status, "value", status) not in ("final", "near_threshold"):
        from abcresearch.analysis.status import load_status_rules

        value = getattr(status, "value", status)
        status_text = (sa_status_text(report, status) if value == "provisional" else
                       t(f"grade_status.{value}",
                         min_villages=load_status_rules().min_sampled_villages))
    target, steps, requirement, step_items = grade_lift(report, ledger) if graded else (
        None, [], "", [])
    # level-1 share
    l1_text = ""
    if l1_shown is not None and l1_published:
        has_ci = l1_shown.with_ci != l1_shown.text  # "48% (45–51%)" in English
        l1_text = t("summary.level1", share=l1_shown.text,
                    ci=t("summary.level1_ci", low=l1_shown.low, high=l1_shown.high)
                    if has_ci else "")
    # the villages (tambons) of high need outside group C, beside the area's own level-1 line:
    # the box above speaks of the area as a whole (a reader review)
    # the areas within in group C first (to strengthen first, in priority order): the page
    # named only a high-need area outside C while an amphoe's four first-band tambons were on
    # page 3 alone (a reader review)
    in_c = group_c_areas(report, ledger, 3)
    unit = within_words(report)
    c_text = ""
    if in_c is not None:
        c_text = t("summary.group_c", areas=in_c, areas_word=unit.capitalize())
    high = high_need_outside_c(report, ledger, 3)
    high_text = ""
    if high is not None:
        key = ("summary.high_need_no_c" if in_c is None and none_in_group_c(report, ledger)
               else "summary.high_need")
        high_text = t(key, areas=high, areas_word=unit.capitalize(), unit=unit)
    # and those without a group, so without a band (an amphoe counted two tambons of high
    # need and named one: a reader review)
    ungraded = high_need_ungraded(report, ledger, 3)
    ungraded_text = "" if ungraded is None else t(
        "summary.high_need_ungraded", areas=ungraded, areas_word=unit.capitalize())
    headline = model_headline(report)  # a tambon on too few villages: the model's figure
    if headline is not None and "share_level1" in headline:
        h = headline["share_level1"]
        code = report.area.code
        l1_text = t("summary.level1_model", **{
            k: ledger.record(str(h[k]), f"model.share_level1.{name}", code, "other").text
            for k, name in (("text", "estimate"), ("low", "ci_low"), ("high", "ci_high"))})
    # strengths and gaps relative to the province
    shares = actions_mod.area_item_shares(report, ar) if pub else None
    good: list[str] = []
    bad: list[str] = []
    strengths: list[str] = []
    gaps: list[str] = []
    lead: list[str] = []
    n_better = n_worse = 0  # the clear differences in all, of which the box lists the furthest
    strength_shares: dict[str, tuple[str, str]] = {}  # printed passing strengths
    passing = any(r.passes for r in ar.items)
    if shares is not None:
        # a strength, a gap or a first action only where the difference is clear as printed,
        # as the "what to do" page stars it: not where the area prints equal to the province
        # ("55 against 55") nor where its printed interval holds the printed province share (a
        # one-point difference within the margin of error is none of them)
        clear_items = actions_mod.clear_as_printed(report, shares, ar)
        good, bad = actions_mod.strengths_and_gaps(shares.loc[clear_items], ar)
        # strengths said as the share that passes where every listed one has passing words
        # (an empty box too, with rules that have them); the note says the same
        passing = passing and all(ar.item(i).passes for i in good)
        n_better = int((shares.loc[clear_items, "gap"] < 0).sum())
        n_worse = int((shares.loc[clear_items, "gap"] > 0).sum())

        households = actions_mod.area_households(report)

        def item_line(item: str, key: str) -> str:
            r, s = ar.item(item), shares.loc[item]
            # both shares as the "what to do" page prints them (the round's disclosure step)
            area = actions_mod.item_share(ledger, report.area.code, r, s["estimate"],
                                          s["ci_low"], s["ci_high"])
            province = actions_mod.item_share(ledger, report.area.code[:2], r, s["province"])
            # a gap with its households as the "what to do" table prints them: a size an อบต.
            # plans with (a reader review); a strength without
            extra = ""
            if key == "summary.gap" and not area.hidden:
                count = actions_mod.households_failing(ledger, report.area.code, item, area,
                                                       households, s["ci_low"], s["ci_high"])
                extra = t("summary.gap_households", count=count)
            if key == "summary.strength" and passing and r.passes:
                # the share that passes, 100 less each printed failing share (so the two add up
                # to 100 beside the "what to do" table), with the item's passing words
                area = actions_mod.passing_share(ledger, report.area.code, item, area)
                province = actions_mod.passing_share(ledger, report.area.code[:2], item,
                                                     province)
                if not area.hidden:
                    strength_shares[item] = (r.passes[lang], area.text)
                return t("summary.strength_passing", what=r.passes[lang], area=area.text,
                         province=province.text)
            # every listed difference is clear, which the box's title says once
            return t(key, what=r.text[lang], area=area.text, province=province.text,
                     households=extra)

        strengths = [item_line(i, "summary.strength") for i in good]
        # a misspelt household_item would switch the link off unseen: named as a params error
        unknown = sorted({i for i in step_items if i} - {r.item for r in ar.items})
        if unknown:
            raise ParamsError(f"grades.yaml: household_item {', '.join(unknown)} is not an "
                              "item of params/actions.yaml; use one of its item ids.")
        # a step whose household item is a printed strength says the community is ready for
        # it ("forums twice a year" beside "91% take part" unlinked: a village committee's
        # review)
        steps = [s + t("summary.lift_ready", what=strength_shares[i][0],
                       share=strength_shares[i][1]) if i in strength_shares else s
                 for s, i in zip(steps, step_items, strict=True)]
        gaps = [item_line(i, "summary.gap") for i in bad]
        # the first actions: the "what to do" page's items furthest above the province
        chosen = actions_mod.selected_items(shares, ar, report.capitals, clear=clear_items)
        above = [i for i in chosen if shares.loc[i, "gap"] > 0 and i in clear_items]
        # in the gaps box's order (every one of them clear)
        lead = actions_mod.strengths_and_gaps(shares.loc[above], ar)[1]
    # one line an item, its two paths' actions after it (the item printed twice, once a path,
    # read as two problems; a reader review)
    def path_actions(item: str) -> str:
        acts = ar.item(item).actions
        return t("summary.actions_sep").join(
            # its lead agency after it: "(พอช.)", or "· พอช." after a bracket of its own
            t("summary.path_action", path=t(f"summary.path.{p}"),
              action=actions_mod.action_with_agency(report, ar, acts[p])) for p in PATHS)

    first = [t("summary.action", what=ar.item(i).text[lang], actions=path_actions(i))
             for i in lead]
    # in a municipality, an item that may not mean there what it means in a village says so
    # under its actions, as the "what to do" page does (a code review: the page proposed
    # finding farm land for city households without it)
    # (an amphoe's names its tambons in a municipality; a reader review)
    notes = {i: n for i in lead if (n := actions_mod.urban_caution(report, ar.item(i)))}
    first += [t("summary.urban_note", what=ar.item(i).text[lang], note=n)
              for i, n in notes.items()]
    # a high-need area's first action is its level-1 households' welfare and basic needs, as
    # the levels say, before the items furthest from the province (a village of high need was
    # first told to take its children to temple festivals; a reader review)
    # (the highest need class of the rules; the count only where the welfare page prints it)
    high_need = bool(need_line) and row is not None and bool(rules.need_order) \
        and row.get("need") == rules.need_order[0]
    outside = _level1_outside(report, programmes) if high_need else None
    if high_need:
        # a village whose form shows no fund is told where its households can join (a
        # newcomer asked "into which fund?": the page also said 0 members and 0 baht)
        key = "summary.first_high_need" + (
            "_no_fund" if _without_own_fund(report, programmes) else "")
        first.insert(0, t(key, section=t("section.welfare"), count=(
            ledger.record(outside, "welfare.level1_outside_fund",
                          report.area.code, kind="other").text))
            if outside else t(key + "_nocount", section=t("section.welfare")))
    # coverage, programmes, forum
    cov = area_coverage(report)
    hh_done = cov.households_surveyed
    cov_text = t("summary.coverage_village" if report.level == "village" else "summary.coverage",
                 v=cov.villages_surveyed, v_all=cov.villages_total,
                 h=f"{hh_done:,}" if not is_small(hh_done, report.threshold) else report.marker,
                 h_all=f"{cov.households_total:,}")
    progs = flags(report.area.code, programmes)
    prog_text = flag_text(progs, report.words, lang)
    found = forum_dates(forums, report.area.code, report.survey_round)
    dated = [(f.date, f.venue) for f in found if f.date is not None]
    if dated:
        forum_text = "; ".join(format_date(day, report.words, lang)
                               + (f" ({venue})" if venue else "") for day, venue in dated)
    else:
        forum_text = ""
    # the page
    title = t("summary.title", area=report.area_name())
    if target:
        lift_title = t("summary.lift", grade=grade_text(t, target),
                       how=t("summary.lift_how", how=t(f"readiness.lift.{requirement}"))
                       if len(steps) > 1 else "")
        if steps and lift_names_villages(report):  # the villages short of them are named there
            lift_title += t("summary.lift_see", section=t("section.readiness"))
    elif graded and row is not None:
        lift_title = t("summary.lift_top", grade=grade_text(t, row["grade"]))
    else:
        lift_title = ""
    # a group set by rules nobody has reviewed yet is a draft, and the page says so once
    # (the groups counted of an amphoe's tambons too: only its cover said so; a reader review)
    draft = t("summary.grade_draft") if (graded or counted) and not rules.verified else ""
    facts = [x for x in (l1_text, c_text, high_text, ungraded_text, cov_text, prog_text, draft)
             if x]
    # no date known: a blank for the support team to fill in, said to be one (the only
    # "what happens next" line read as forgotten, a reader review)
    forum_line = t("summary.forum", date=forum_text) if forum_text else t("summary.forum_blank")
    md = [f"## {title}", f"**{grade_line}**" + (f" ({status_text})" if status_text else "")]
    def md_reason(text: str) -> list[str]:
        head, items = _reason_parts(text)
        return [head, *(f"- {i}" for i in items)] if items else [text]

    def typst_reason(text: str) -> str:
        head, items = _reason_parts(text)
        return f"\n\n  {_esc(head)}" + "".join(f"\n  - {_esc(i)}" for i in items)

    md += [line for x in reasons[:grade_parts] for line in md_reason(x)]
    md += ([f"**{need_line}**"] if need_line else []) + ([band_line] if band_line else [])
    md += [line for x in reasons[grade_parts:] for line in md_reason(x)]
    if lift_title:
        md += [f"**{lift_title}**", *[f"{k}. {s}" if len(steps) > 1 else f"- {s}"
                                      for k, s in enumerate(steps or ([t("summary.lift_none")]
                                                                      if target else []), 1)]]
    md += [f"- {x}" for x in facts]
    # a store of this area alone: its province is itself, and "nothing clearly worse than the
    # province" would be said of a comparison never made (a fresh user's walk-through)
    alone = report.alone_in("province")  # never at the province level
    none_good, none_bad, none_first = (
        (t("summary.alone"),) * 2 + (t("summary.first_alone"),) if alone else
        (t("summary.strengths_none", gap=f"{100 * ar.min_gap:g}"),
         t("summary.gaps_none", gap=f"{100 * ar.min_gap:g}"), t("summary.first_none")))
    # "clearly worse" over three items read as "three items are worse" where eight were (a
    # reader review): a gaps box listing fewer than there are says of how many (the "what to
    # do" page stars every one); a strengths box says it lists the furthest, without a count
    # that no page lets a reader check
    def of(key: str, listed: int, total: int) -> str:  # its counts in the ledger too
        return t(key, n=ledger.public(f"{key}.n", listed).text,
                 total=ledger.public(f"{key}.total", total).text)

    strengths_title = (t("summary.strengths_top",
                         n=ledger.public("summary.strengths_top.n", len(strengths)).text)
                       if n_better > len(strengths) else t("summary.strengths"))
    gaps_title = (of("summary.gaps_of", len(gaps), n_worse) if n_worse > len(gaps)
                  else t("summary.gaps"))
    md += [f"**{strengths_title}**", *[f"- {s}" for s in strengths or [none_good]]]
    md += [f"**{gaps_title}**", *[f"- {s}" for s in gaps or [none_bad]]]
    md += [f"**{t('summary.first_actions')}**", *[f"- {s}" for s in first or [none_first]]]
    # the count of level-1 households outside a fund once: in the first action where it is
    welfare_title, welfare_lines = _welfare_lines(report, ledger, programmes,
                                                  outside_said=outside is not None)
    if welfare_lines:
        md += [f"**{welfare_title}**", *[f"- {s}" for s in welfare_lines]]
    # "จุดร้อยละ" (percentage points) with an example: a committee reads "5 จุดร้อยละ" as 5%
    # of something unless shown two shares that far apart (a reader review)
    note = t("summary.note", gap=f"{100 * ar.min_gap:g}", example=f"{40 + 100 * ar.min_gap:g}",
             shares=t("summary.shares_passing" if passing else "summary.shares_failing"))
    # the first actions' agencies by their abbreviations ("(สนพ.)"), as the "what to do" page
    legend = actions_mod.agency_legend(
        ar, {ar.item(i).actions[p].agency for i in lead for p in PATHS}, lang,
        actions_mod.in_municipality(report)) if first else ""
    # the page's own words that the reader cannot look up elsewhere on it: "ใกล้เกณฑ์" where it
    # is printed, and the two paths of the first actions (a reader review: neither was
    # defined on the page a village committee reads)
    said = "\n".join(md)
    near_words = (t("grade_status.near_threshold"), t("find.near_suffix").strip(" ·"),
                  t("find.grade_near_suffix").strip(" ·"))
    extra = [t("summary.note_near")] if any(w in said for w in near_words) else []
    extra += [t("summary.note_paths")] if first else []
    if legend:
        extra.append(legend)
    if extra:
        note = f"{note.removesuffix('.')}; {'; '.join(extra)}" + ("." if note.endswith(".") else "")
    contact = t("summary.contact")
    md += [forum_line, contact, f"*{note}*"]
    typ = [
        "#pagebreak(weak: true)",
        # the cover's contents list this page too (a heading it does not show)
        f"#place(hide(heading(level: 2)[{_esc(t('summary.contents'))}]))",
        # the page must stay one page: the body is set a little smaller than the report's
        # text, and smaller still where it would not fit (abc-fit, the report template)
        "#abc-fit[",
        f"#text(size: 16pt, weight: \"bold\")[{_esc(title)}]",
        "",
        "#set par(leading: 0.55em)",
        "#block(width: 100%, stroke: 1.6pt + black, inset: 9pt, breakable: false)[",
        f"  #text(size: 14pt, weight: \"bold\")[{_esc(grade_line)}]"
        + (f" #h(6pt) #box(stroke: 0.6pt + black, inset: 2pt)[{_esc(status_text)}]"
           if status_text else "")
        + "".join(typst_reason(x) for x in reasons[:grade_parts])
        + (f"\n\n  #text(weight: \"bold\")[{_esc(need_line)}]" if need_line else "")
        + (f" \\\n  {_esc(band_line)}" if band_line else "")
        + "".join(typst_reason(x) for x in reasons[grade_parts:]),
        "]",
        # numbered as the readiness section numbers them ("ข้อ 1" is cited there)
        _box(lift_title, steps, t("summary.lift_none") if target else "",
             numbered=len(steps) > 1) if lift_title else "",
        # a list, as in the boxes: six facts as bare lines were hard to tell apart (a reader
        # review of an amphoe's page)
        "#block(width: 100%, inset: (y: 2pt))[\n" + "\n".join(f"  - {_esc(x)}" for x in facts)
        + "\n]" if facts else "",
        "#grid(columns: (1fr, 1fr), column-gutter: 8pt,",
        f"  [{_box(strengths_title, strengths, none_good)}],",
        f"  [{_box(gaps_title, gaps, none_bad)}],",
        ")",
        _box(t("summary.first_actions"), first, none_first),
        _box(welfare_title, welfare_lines, "") if welfare_lines else "",
        "#block(width: 100%, stroke: (top: 0.8pt + black, bottom: 0.8pt + black), inset: 7pt)"
        f"[#text(weight: \"bold\")[{_esc(forum_line)}] \\\n{_esc(contact)}]",
        # the note's fine print shrinks with the page (8pt beside a 9.5pt body): at a fixed
        # 8pt its longer definitions pushed two tambons' pages two lines over
        f"#text(size: 0.84em)[{_esc(note)}]",
        "]",
        "#pagebreak(weak: true)",
    ]
    out.typst("\n".join(x for x in typ if x != ""), "\n\n".join(md))
    return out.result(estimates=shares, details={
        "grade": row.get("grade") if graded and row is not None else None, "next_grade": target,
        "near_threshold": bool(row.get("near_threshold")) if graded and row is not None else None,
        "need": row.get("need") if need_line and row is not None else None,
        "steps": tuple(steps), "strengths": tuple(good), "gaps": tuple(bad),
        "first_actions": tuple(lead),
        "coverage": cov, "programmes": tuple(p.id for p in progs),
        "forums": tuple(found), "status": status}, published=tuple(ledger.entries))
