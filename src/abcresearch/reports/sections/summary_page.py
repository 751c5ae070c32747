"""The one-page summary at the front of a village or tambon report, printable in black and white.

What a village committee or a TAO needs on one sheet: the grade and its reason, what would lift
the area to the next grade, the share of households at level 1, three strengths and three gaps
(items where the area does best and worst *relative to the province*, from
:mod:`~abcresearch.reports.sections.actions`), the first actions for those gaps, coverage (how
many villages and households the numbers rest on), the programme lists the area is in, and the
date of the forum where the results go back (``params/forums.csv``, ``docs/INPUTS.md``; blank
when unknown).

Two inputs come from other parts of the project through small interfaces, with a fallback here
until they exist:

* **what would lift the grade**: :func:`grade_lift` calls
  ``abcresearch.scoring.next_grade_steps(row, lang=...) -> (next_grade, [sentence, ...])`` when
  the scoring package provides it; otherwise it derives the steps from the ordered rules of
  ``params/grades.yaml`` (:func:`lift_from_rules`).
* **coverage and grade status**: :func:`area_coverage` uses the report's ``coverage`` (an
  :class:`~abcresearch.analysis.status.Coverage`) or ``status.coverage`` when the report context
  has one; otherwise it counts the round's village frame (or, without a frame, the village forms).

The page is Typst markup in black on white (boxes drawn with rules, no colour carries meaning)
with a Markdown twin for JupyterLab; it starts and ends with a page break.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.analysis.status import Coverage
from abcresearch.errors import InputError, StoreError
from abcresearch.paths import project_path
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import is_small
from abcresearch.reports.formatting import fmt_ci
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections import actions as actions_mod
from abcresearch.reports.sections.programmes import flag_text, flags

__all__ = ["DEFAULT_FORUMS", "Forum", "area_coverage", "format_date", "forum_dates",
           "grade_lift", "lift_from_rules", "read_forums", "summary_page"]

#: The forum-date file the notebooks pass by default (relative to the project).
DEFAULT_FORUMS = "params/forums.csv"
FORUM_COLUMNS = ("area_code", "survey_round", "forum_date", "venue")
_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
_NOT = {">=": "<", ">": "<=", "<=": ">", "<": ">="}


# ---------------------------------------------------------------------- forums
@dataclass(frozen=True)
class Forum:
    """A forum where an area's results go back (one row of the forum file)."""

    area_code: str
    survey_round: int
    date: dt.date | None
    venue: str


def read_forums(path: str | Path) -> list[Forum]:
    """Read a forum-date file (``docs/INPUTS.md``: ``area_code, survey_round, forum_date,
    venue``; CSV in UTF-8, UTF-8 with BOM or CP874; dates as ``YYYY-MM-DD`` or ``DD/MM/YYYY``,
    Christian or Buddhist era, Thai digits allowed; a blank date means not yet known).

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
    """The forums of an area in a round, earliest first; a village without a row of its own
    takes its tambon's. None, an empty path or a missing file give no forum."""
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
    (the status model, ``shared/report-status.md``); otherwise counts: surveyed = the area's
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


# ---------------------------------------------------------------------- next grade
def _cond_text(words: Any, cond: Mapping[str, Any], value: float, negate: bool) -> str:
    op = _NOT[cond["op"]] if negate else cond["op"]
    name = cond["indicator"]
    fields = {"op": words(f"lift.op.{_OP_KEYS[op]}"), "threshold": float(cond["value"]),
              "value": value, "threshold_pct": 100 * float(cond["value"]),
              "value_pct": 100 * value, "indicator": name}
    try:
        return words(f"lift.cond.{name}", **fields)
    except Exception:  # an indicator the words do not know yet
        return words("lift.cond.other", **fields)


_OP_KEYS = {">=": "ge", ">": "gt", "<=": "le", "<": "lt"}


def lift_from_rules(row: Mapping[str, Any], words: Any, rules: Any = None
                    ) -> tuple[str | None, list[str]]:
    """What would lift an area to the next grade, derived from the ordered grade rules.

    The next grade is the one after the area's in ``priority.grade_order`` (worst first). To get
    it, every earlier rule of a worse grade that holds now must stop holding (each of its
    holding conditions of an ``any`` rule reversed; one of the conditions of an ``all`` rule),
    and the next grade's own rule must hold (each failing condition of an ``all`` rule; one of
    the failing conditions of an ``any`` rule). A condition on a missing indicator is skipped.

    Returns
    -------
    next_grade, steps : str or None, list of str
        None and no steps at the best grade.
    """
    from abcresearch.scoring.grades import load_grade_rules

    gr = rules or load_grade_rules()
    grade = row.get("grade")
    order = list(gr.grade_order)
    if grade not in order or order.index(grade) == len(order) - 1:
        return None, []
    target = order[order.index(grade) + 1]
    worse = set(order[:order.index(target)])
    steps: list[str] = []

    def value(cond: Mapping[str, Any]) -> float:
        v = row.get(cond["indicator"])
        return float(v) if v is not None and not pd.isna(v) else np.nan

    def holds(cond: Mapping[str, Any]) -> bool:
        v = value(cond)
        return not np.isnan(v) and bool(_OPS[cond["op"]](v, cond["value"]))

    for rule in gr.rules:
        mode = "any" if "any" in rule else "all" if "all" in rule else None
        if rule["grade"] == target:
            if mode is None:
                break
            missing = [c for c in rule[mode] if not holds(c) and not np.isnan(value(c))]
            texts = [_cond_text(words, c, value(c), False) for c in missing]
            if mode == "any" and len(texts) > 1:
                steps.append(words("lift.one_of", items="; ".join(texts)))
            else:
                steps.extend(texts)
            break
        if rule["grade"] not in worse or mode is None:
            continue
        held = [c for c in rule[mode] if holds(c)]
        if mode == "any":
            steps.extend(_cond_text(words, c, value(c), True) for c in held)
        elif len(held) == len(rule[mode]):
            texts = [_cond_text(words, c, value(c), True) for c in held]
            steps.append(texts[0] if len(texts) == 1 else
                         words("lift.one_of", items="; ".join(texts)))
    return target, steps


def grade_lift(report: AreaContext) -> tuple[str | None, list[str]]:
    """What would lift the area to the next grade: the scoring package's
    ``next_grade_steps(row, lang=...)`` when it exists, else :func:`lift_from_rules`."""
    import abcresearch.scoring as scoring

    row = report.grade_row
    if row is None or pd.isna(row.get("grade")):
        return None, []
    provided = getattr(scoring, "next_grade_steps", None)
    if provided is not None:
        target, steps = provided(row, lang=report.lang)
        return target, list(steps)
    return lift_from_rules(row, report.words)


# ---------------------------------------------------------------------- the page
def _grade_label(grade: str, lang: str) -> str:
    from abcresearch.scoring.grades import load_grade_rules

    labels = load_grade_rules().grade_labels
    return str(labels[grade][lang]) if grade in labels else str(grade)


def _esc(text: str) -> str:
    from abcresearch.reports.render.typst import escape_markup

    return escape_markup(text)


def _box(title: str, lines: Sequence[str], empty: str) -> str:
    body = "\n".join(f"  - {_esc(x)}" for x in lines) if lines else \
        (f"  {_esc(empty)}" if empty else "")
    return ("#block(width: 100%, stroke: 0.8pt + black, inset: 7pt, radius: 0pt, "
            "breakable: false)[\n"
            f"  #text(weight: \"bold\")[{_esc(title)}]\n\n{body}\n]")


def summary_page(report: AreaContext, *, forums: str | Path | None = DEFAULT_FORUMS,
                 programmes: str | Path | None = None,
                 actions: str | Path | None = None) -> SectionResult:
    """The one-page summary: grade and reason, what would lift it, strengths and gaps relative
    to the province with the first actions, coverage, programme lists and the forum date.

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
    ar = actions_mod.load_action_rules(actions)
    pub = report.publishable
    row = report.grade_row
    # grade, reason, status
    if not pub:
        grade_line, reason = t("cover.grade", grade=report.marker), ""
    elif row is None or pd.isna(row.get("grade")):
        counts = report.children["grade"].value_counts()
        grade_line = t("cover.grade_counts", a=int(counts.get("A", 0)),
                       b=int(counts.get("B", 0)), c=int(counts.get("C", 0)))
        reason = ""
    else:
        grade_line = t("cover.grade", grade=row[f"grade_label_{lang}"])
        reason = str(row.get(f"reason_{lang}") or "")
    status = getattr(getattr(report, "status", None), "grade_status", None)
    status_text = ""
    if status:
        from abcresearch.analysis.status import load_status_rules

        status_text = t(f"grade_status.{getattr(status, 'value', status)}",
                        min_villages=load_status_rules().min_sampled_villages)
    target, steps = grade_lift(report) if pub else (None, [])
    # level-1 share
    l1_text = ""
    if report.level1_publishable:
        e = report.design.ciprop("level1", na_rm=True, level=report.design_spec.level).iloc[0]
        l1_text = t("summary.level1", share=fmt_ci(e["estimate"], e["ci_low"], e["ci_high"],
                                                   digits=0, scale=100))
    # strengths and gaps relative to the province
    shares = actions_mod.area_item_shares(report, ar) if pub else None
    good, bad = actions_mod.strengths_and_gaps(shares, ar) if shares is not None else ([], [])

    def item_line(item: str, key: str) -> str:
        r, s = ar.item(item), shares.loc[item]
        return t(key, what=r.text[lang], area=100 * s["estimate"],
                 province=100 * s["province"],
                 clear=t("summary.clear") if s["clear"] else "")

    strengths = [item_line(i, "summary.strength") for i in good]
    gaps = [item_line(i, "summary.gap") for i in bad]
    # the first actions: the "what to do" page's items furthest above the province
    chosen = actions_mod.selected_items(shares, ar, report.capitals) if shares is not None \
        else []
    lead = sorted(chosen, key=lambda i: -shares.loc[i, "gap"])[:ar.gaps]
    first = [t("summary.action", what=ar.item(i).text[lang],
               action=ar.item(i).actions[p].text(lang),
               agency=ar.agency(ar.item(i).actions[p].agency, lang, True),
               path=t(f"summary.path.{p}"))
             for i in lead for p in actions_mod.PATHS]
    # coverage, programmes, forum
    cov = area_coverage(report)
    hh_done = cov.households_surveyed
    cov_text = t("summary.coverage", v=cov.villages_surveyed, v_all=cov.villages_total,
                 h=f"{hh_done:,}" if not is_small(hh_done, report.threshold) else report.marker,
                 h_all=f"{cov.households_total:,}")
    progs = flags(report.area.code, programmes)
    prog_text = flag_text(progs, report.words, lang)
    found = forum_dates(forums, report.area.code, report.survey_round)
    dated = [f for f in found if f.date is not None]
    if dated:
        forum_text = "; ".join(format_date(f.date, report.words, lang)
                               + (f" ({f.venue})" if f.venue else "") for f in dated)
    else:
        forum_text = ""
    # the page
    title = t("summary.title", area=report.area_name())
    lift_title = (t("summary.lift", grade=_grade_label(target, lang)) if target
                  else t("summary.lift_top"))
    facts = [x for x in (l1_text, cov_text, prog_text) if x]
    forum_line = t("summary.forum", date=forum_text or "………………………………")
    md = [f"## {title}", f"**{grade_line}**" + (f" ({status_text})" if status_text else "")]
    if reason:
        md.append(t("summary.reason", reason=reason))
    md += [f"**{lift_title}**", *[f"- {s}" for s in steps or
                                  ([t("summary.lift_none")] if target else [])]]
    md += [f"- {x}" for x in facts]
    md += [f"**{t('summary.strengths', n=ar.strengths)}**", *[f"- {s}" for s in strengths or
                                              [t("summary.none")]]]
    md += [f"**{t('summary.gaps', n=ar.gaps)}**", *[f"- {s}" for s in gaps or [t("summary.none")]]]
    md += [f"**{t('summary.first_actions')}**", *[f"- {s}" for s in first or
                                                  [t("summary.none")]]]
    md += [forum_line, f"*{t('summary.note')}*"]
    typ = [
        "#pagebreak(weak: true)",
        f"#text(size: 16pt, weight: \"bold\")[{_esc(title)}]",
        "",
        "#block(width: 100%, stroke: 1.6pt + black, inset: 9pt, breakable: false)[",
        f"  #text(size: 14pt, weight: \"bold\")[{_esc(grade_line)}]"
        + (f" #h(6pt) #box(stroke: 0.6pt + black, inset: 2pt)[{_esc(status_text)}]"
           if status_text else "")
        + (f"\n\n  {_esc(t('summary.reason', reason=reason))}" if reason else ""),
        "]",
        _box(lift_title, steps, t("summary.lift_none") if target else ""),
        "#block(width: 100%, inset: (y: 2pt))[" + " \\\n".join(_esc(x) for x in facts) + "]",
        "#grid(columns: (1fr, 1fr), column-gutter: 8pt,",
        f"  [{_box(t('summary.strengths', n=ar.strengths), strengths, t('summary.none'))}],",
        f"  [{_box(t('summary.gaps', n=ar.gaps), gaps, t('summary.none'))}],",
        ")",
        _box(t("summary.first_actions"), first, t("summary.none")),
        "#block(width: 100%, stroke: (top: 0.8pt + black, bottom: 0.8pt + black), inset: 7pt)"
        f"[#text(weight: \"bold\")[{_esc(forum_line)}]]",
        f"#text(size: 8pt)[{_esc(t('summary.note'))}]",
        "#pagebreak(weak: true)",
    ]
    out.typst("\n".join(x for x in typ if x != ""), "\n\n".join(md))
    return out.result(estimates=shares, details={
        "grade": None if row is None or not pub else row.get("grade"), "next_grade": target,
        "steps": tuple(steps), "strengths": tuple(good), "gaps": tuple(bad),
        "first_actions": tuple(lead),
        "coverage": cov, "programmes": tuple(p.id for p in progs),
        "forums": tuple(found), "status": status})
