"""Community readiness beside need.

the need x readiness chart, the cell counts, what would lift the area, and the organisation-strength
ranking with the kinds of groups.

The grades (กลุ่ม A/B/C) rank readiness; need (level-1 share, M0) is beside them; the priority
order for support is a rule of both (``params/grades.yaml``, :mod:`abcresearch.scoring.
grade_rules`). :func:`readiness` is the area report's section (villages of a tambon, tambons of
an amphoe), :func:`province_readiness` the province overview's (its tambons). The helpers
:func:`grade_text`, :func:`need_text`, :func:`band_text`, :func:`published_level1`,
:func:`need_hidden` and :func:`need_markers` are shared with the villages section and the
province overview's tambon ranking and lead: every level-1 share of an area within goes through
the round's one disclosure step, so it is hidden (with the same marker) wherever the area's own
report hides it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import ParamsError
from abcresearch.labels import HalfUp, HalfUpBelow
from abcresearch.reports import charts, estimates
from abcresearch.reports.context import CHILD_COLUMN, AreaContext, ProvinceContext
from abcresearch.reports.disclosure import (
    Publisher,
    Shown,
    is_small,
    marker,
    publication_rules,
    share_mask,
)
from abcresearch.reports.render.display import format_number
from abcresearch.reports.results import Figure, SectionResult
from abcresearch.reports.sections import SectionBuilder, check_limit
from abcresearch.reports.sections.common import names_list, within_words
from abcresearch.reports.sections.levels import level1_share
from abcresearch.scoring.grade_rules import FORM_INDICATORS, OPS, GradeRules, load_grade_rules
from abcresearch.scoring.indicators import UNANSWERED_OF
from abcresearch.scoring.readiness import lift_conditions, merge_met

__all__ = ["band_in_tambon", "band_key_text", "band_text", "child_group_counts", "criterion_text",
           "grade_criteria", "grade_legend_text", "grade_text", "group_c_areas",
           "group_type_choices", "hidden_indicators", "high_need_outside_c", "high_need_ungraded",
           "in_published_order",
           "kinds_column", "kinds_missing_text", "lift_names_villages", "mask_figures",
           "need_hidden", "need_markers", "need_rule_text", "need_text", "none_in_group_c",
           "org_ranking_table", "printed_groups", "printed_rank", "province_readiness",
           "published_level1", "published_reason", "published_rows", "readiness",
           "readiness_table_notes", "reason_figures", "step_key_text"]


def grade_text(t: Callable[..., str], grade: Any, near: Any = False) -> str:
    """``กลุ่ม A`` (with ``(ใกล้เกณฑ์)`` when near a threshold).

    "ยังไม่จัดกลุ่ม" when the grade is withheld (``not_graded``:
    :func:`abcresearch.analysis.round.apply_status`).
    """
    if not isinstance(grade, str) or not grade:
        return t("rollout.grade_withheld")
    text = t("readiness.grade_short", grade=grade)
    return t("readiness.near", value=text) if bool(near) else text


def need_text(t: Callable[..., str], rules: GradeRules, lang: str, need: Any,
              near: Any = False, short: bool = False) -> str:
    """Return the need class in words (with ``(ใกล้เกณฑ์)`` when near its threshold).

    ``short``: the words under a "need" heading ("ไม่สูง" for "ความจำเป็นไม่สูง"), labels
    ``readiness.need_short.<class>``, the full words for a class without one. A province's
    table of 170 tambons took three lines a row for "ความจำเป็น / ไม่สูง (ใกล้ / เกณฑ์)" (a reader
    review).
    """
    if not isinstance(need, str) or not need:
        return ""
    text = str((rules.need_labels or {})[need][lang])
    if short:
        from abcresearch.errors import ParamsError

        try:
            text = t(f"readiness.need_short.{need}")
        except ParamsError:
            pass
    return t("readiness.near", value=text) if bool(near) else text


def band_text(t: Callable[..., str], rules: GradeRules, lang: str, band: Any, need: Any,
              grade: Any) -> str:
    """``ลำดับ 3: ความจำเป็นสูง กลุ่ม A``."""
    if pd.isna(band):
        return ""
    return t("readiness.band", band=int(band), need=(rules.need_labels or {})[need][lang],
             grade=grade)


def band_key_text(t: Callable[..., str], rules: GradeRules, lang: str) -> str:
    """Return ``1 = ความจำเป็นสูง กลุ่ม C; 2 = ...``: every support band, in order."""
    return "; ".join(t("readiness.band_key_item", band=i, grade=grade,
                       need=(rules.need_labels or {})[need][lang])
                     for i, (need, grade) in enumerate(rules.bands, start=1))


def step_key_text(t: Callable[..., str]) -> str:
    """Return ``1 = ความเป็นประชาคม; 2 = ...``: the strong-community steps (labels ``step.N``)."""
    from abcresearch.labels import labels

    steps = sorted(int(k.split(".")[1]) for k in labels() if re.fullmatch(r"step\.\d+", k))
    return "; ".join(t("readiness.step_key_item", step=n, name=t(f"step.{n}"))
                     for n in steps if n > 0)


def readiness_table_notes(t: Callable[..., str], rules: GradeRules, lang: str) -> str:
    """Return the notes of a readiness table: the groups, the bands and the steps in words.

    The tables print band numbers and the reasons "step 3.7, not yet step 4": an amphoe
    report explained band 1 only and named no step (a reader review).
    """
    return t("readiness.villages.notes", legend=grade_legend_text(t, rules, lang),
             bands=band_key_text(t, rules, lang), steps=step_key_text(t),
             need_rule=need_rule_text(t, rules, lang))


def need_rule_text(t: Callable[..., str], rules: GradeRules, lang: str) -> str:
    """Say when need is high, from the need rules ("ร้อยละครัวเรือนระดับ 1 ตั้งแต่ 40 หรือ M0 ตั้งแต่ 0.38").

    The conditions of the first class of ``need_order`` (high) joined by "or" (``any``) or
    "and" (``all``); a share is written as a percentage. The tables named the share and M0
    without the rule that reads them, while the reasons named one threshold each (a reader
    review).
    """
    high = rules.need_order[0] if rules.need_order else None
    first = next((r for r in rules.need_rules if r.get("grade", r.get("class")) == high
                  and ("any" in r or "all" in r)), None)
    if first is None:
        return ""
    mode = "any" if "any" in first else "all"
    return t(f"readiness.need_rule.{mode}").join(
        _condition_words(t, c, lang) for c in first.get(mode, ()))


def _condition_words(t: Callable[..., str], condition: Mapping[str, Any], lang: str) -> str:
    """Say one condition as its indicator's name, its operator and its threshold.

    "ร้อยละครัวเรือนระดับ 1 ตั้งแต่ 40": a share is written as a percentage.
    """
    from abcresearch.scoring.grade_rules import indicator_label

    share = condition["indicator"].startswith("share_")
    value = float(condition["value"]) * (100 if share else 1)
    op = {">=": "ge", ">": "gt", "<=": "le", "<": "lt"}[condition["op"]]
    return t(f"readiness.need_rule.{op}{'_pct' if share else ''}",
             indicator=indicator_label(condition["indicator"], lang),
             value=f"{round(value, 9):g}")  # 0.405 is 40.5, not 41


def criterion_text(t: Callable[..., str], condition: Mapping[str, Any], lang: str) -> str:
    """Say a grade or need condition as a tambon's criterion, in the rules' own words.

    The condition's ``criterion`` text in ``params/grades.yaml`` with ``{threshold}`` (and
    ``{threshold_pct}``, the threshold x 100) filled in: "หมู่บ้านอย่างน้อยร้อยละ 50 มีแผนแม่บท
    ชุมชน", not "แผนแม่บทชุมชน ตั้งแต่ 0.5"; a condition without one (a custom rules file) is
    said from its indicator's name, operator and threshold.
    """
    words = (condition.get("criterion") or {}).get(lang)
    if not words:
        return _condition_words(t, condition, lang)
    value = float(condition["value"])  # halves up, as every threshold the reports print
    return str(words).format(threshold=HalfUp(value), threshold_pct=HalfUp(value, 100))


def grade_criteria(t: Callable[..., str], rules: GradeRules, lang: str) -> pd.DataFrame:
    """Return the readiness groups' and the need classes' criteria, one row each, in order.

    The groups in the order their rules are tried (the first that holds sets the group), then
    the need classes; a rule's conditions joined under "any one of" or "all of", the last rule
    ("otherwise") as every other tambon. The province overview prints it under its readiness
    section: its readers saw each tambon's group and need without what they rest on, which only
    the methods appendix gave, in its indicators' own units ("แผนแม่บทชุมชน (1 = มี) ≥ 0.5").

    Returns
    -------
    pandas.DataFrame
        Columns: the group or need class (its label), its criteria in words.
    """
    rows = []
    labelled = [(r, rules.grade_labels) for r in rules.rules]
    labelled += [(r, rules.need_labels or {}) for r in rules.need_rules]
    for rule, names in labelled:
        if rule.get("otherwise"):
            words = t("readiness.criteria.otherwise")
        else:
            mode = "any" if "any" in rule else "all"
            words = t(f"readiness.criteria.{mode}", items=t("readiness.criteria.joiner").join(
                t("readiness.criteria.item", n=i, text=criterion_text(t, c, lang))
                for i, c in enumerate(rule[mode], start=1)))
        rows.append({t("readiness.criteria.col.class"): str(names[rule["grade"]][lang]),
                     t("readiness.criteria.col.rule"): words})
    return pd.DataFrame(rows)


def grade_legend_text(t: Callable[..., str], rules: GradeRules, lang: str) -> str:
    """Return ``A = พร้อมขับเคลื่อน...; B = ...; C = ...`` (the grade labels' words in brackets)."""
    items = []
    for g in reversed(rules.grade_order):  # A first
        full = str(rules.grade_labels[g][lang])
        words = full[full.find("(") + 1:full.rfind(")")] if "(" in full else full
        items.append(t("readiness.legend_item", grade=g, label=words))
    return "; ".join(items)


def group_type_choices(lang: str) -> pd.Series:
    """Return the labels of the village form's kinds of groups, by choice name, in ``lang``."""
    from abcresearch.survey.instrument import choices

    return choices("group_type", form="village").set_index("name")[f"label_{lang}"]


def published_rows(rows: pd.DataFrame, households: pd.DataFrame, by: str, threshold: int
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Which rows may show household-based figures.

    Returns
    -------
    small, share_hidden : numpy.ndarray of bool
        ``small``: the row rests on fewer households than the threshold (nothing but its name
        and its village-form figures is published); ``share_hidden``: its level-1 share (and
        so its need class and interval) is hidden (rule 2 with its complement).
    """
    n = rows["n_households"].to_numpy()
    small = is_small(n, threshold)
    l1 = estimates.child_level1_counts(households, by, rows["code"])
    hidden = share_mask(l1["sum"].to_numpy(), l1["count"].to_numpy(), threshold) | small
    return small, hidden


def published_level1(pub: Publisher, rows: pd.DataFrame, households: pd.DataFrame, by: str,
                     with_ci: bool = True) -> tuple[np.ndarray, np.ndarray, list[Shown]]:
    """Which rows may show household-based figures, and their level-1 shares as published.

    The shares go through the round's one disclosure step (:func:`~abcresearch.reports.sections.
    levels.level1_share`), so a share hidden anywhere (for instance in the levels table, where
    it protects a small level-3 cell of the same area) is hidden here too, with the same marker.

    Parameters
    ----------
    pub : Publisher
        The section's publisher (the shares go into its ledger).
    rows : pandas.DataFrame
        Grade rows (``code``, ``n_households``, ``share_level1`` and its interval).
    households : pandas.DataFrame
        The households of the rows.
    by : str
        The rows' area column in ``households``.
    with_ci : bool
        Whether the shares' intervals are published too (the chart draws them).

    Returns
    -------
    small, hidden : numpy.ndarray of bool
        As :func:`published_rows`; ``small`` also where the round's pattern publishes nothing
        of the area, ``hidden`` also where the level-1 share is hidden.
    shares : list of Shown
        Each row's level-1 share as printed (the marker where hidden).
    """
    small, hidden = published_rows(rows, households, by, pub.threshold)
    codes = [str(c) for c in rows["code"]]
    if with_ci:
        shares = [level1_share(pub, c, float(v), float(lo), float(hi)) for c, v, lo, hi in zip(
            codes, rows["share_level1"], rows["share_level1_ci_low"],
            rows["share_level1_ci_high"], strict=True)]
    else:
        shares = [level1_share(pub, c, float(v)) for c, v in zip(codes, rows["share_level1"],
                                                                  strict=True)]
    small = small | np.array([not pub.pattern.publishable(c) for c in codes], dtype=bool)
    hidden = hidden | small | np.array([s.hidden for s in shares], dtype=bool)
    return small, hidden, shares


def need_hidden(pub: Publisher, codes: Sequence[str] | pd.Series,
                hidden: Sequence[bool] | np.ndarray) -> np.ndarray:
    """Where an area's need class (and its band and reason) is hidden.

    The need class is read from the level-1 share and M0, and its reason prints both: hidden
    wherever either is (``hidden``: the shares :func:`published_level1` hides).
    """
    m0 = np.array([pub.pattern.hidden("m0", str(c)) for c in codes], dtype=bool)
    return np.asarray(hidden, dtype=bool) | m0


def in_published_order(report: AreaContext | ProvinceContext, rows: pd.DataFrame,
                       households: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return rows in priority order, those whose band is hidden after the others.

    A list in priority order (support band, then the level-1 share) would tell a hidden band,
    and roughly the hidden share, by where its row stands among the shown ones ("5, ×, ×, 5"):
    rows whose need is hidden come last, in code order.

    Parameters
    ----------
    report : AreaContext or ProvinceContext
        The report (its disclosure pattern).
    rows : pandas.DataFrame
        Grade rows in priority order, with ``code``.
    households, by
        As :func:`published_level1`.

    Returns
    -------
    pandas.DataFrame
        The same rows, reordered, with a fresh index.
    """
    probe = Publisher(report, "order")  # its ledger is not published: only what it hides counts
    _small, share_hidden, _shares = published_level1(probe, rows, households, by,
                                                    with_ci=False)
    codes = rows["code"].astype(str).to_numpy()
    hidden = need_hidden(probe, codes, share_hidden)
    last = np.flatnonzero(hidden)
    order = np.r_[np.flatnonzero(~hidden), last[np.argsort(codes[last], kind="stable")]]
    return rows.iloc[order].reset_index(drop=True)


def high_need_outside_c(report: AreaContext, pub: Publisher, limit: int,
                        kids: pd.DataFrame | None = None) -> str | None:
    """Name the areas one level down of high need outside group C, with their level-1 shares.

    The list of group C leaves them out, and a tambon whose need is not high can hold villages
    whose need is (villages at 46% of households at level 1 were on the villages' page only, a
    reader review). Only areas whose need is published (:func:`need_hidden`) are named, in
    priority order, each with its level-1 share as the villages' page prints it (through
    ``pub``, so into its ledger); ``limit`` names at most (one more where that is the last),
    then "and N more". ``kids``: the areas within already in published order and publishable
    (the key findings have them), else made here.

    Returns
    -------
    str or None
        ``"หมู่ที่ 9 บ้านบ่อตก (ครัวเรือนระดับ 1 ร้อยละ 46), ..."``; None where there is none
        to name (or the report has no areas below it).
    """
    if report.level not in ("tambon", "amphoe"):
        return None
    kids = _published_children(report, pub) if kids is None else kids
    # graded, outside C (an area without a grade, for want of its village form, may be C)
    high = kids[(kids["need"] == "high") & kids["grade"].notna() & (kids["grade"] != "C")]
    return _named_with_level1(report, pub, high, limit, need_named=True)


def high_need_ungraded(report: AreaContext, pub: Publisher, limit: int,
                       kids: pd.DataFrame | None = None) -> str | None:
    """Name the areas one level down of high need with no grade (as :func:`high_need_outside_c`).

    Without a grade (too few sampled villages, or no village form) an area has no band of
    support and may be in group C, so neither list names it: an amphoe counted "2 tambons of
    high need" and named one (a reader review).
    """
    if report.level not in ("tambon", "amphoe"):
        return None
    kids = _published_children(report, pub) if kids is None else kids
    return _named_with_level1(report, pub, kids[(kids["need"] == "high") & kids["grade"].isna()],
                              limit, need_named=True)


def none_in_group_c(report: AreaContext, pub: Publisher) -> bool:
    """Whether no area one level down is in group C, each of them graded and its group printed.

    An area without a grade (for want of its village form) may be C, and one whose group the
    villages' table hides (too few households, or not publishable) is not spoken of: either
    leaves the question open.

    Parameters
    ----------
    report : AreaContext
        The area (a tambon or an amphoe; other levels: False).
    pub : Publisher
        The section's publisher (its threshold and pattern).

    Returns
    -------
    bool
        True only where every area within is graded, printed and outside group C.
    """
    if report.level not in ("tambon", "amphoe") or report.children.empty:
        return False
    kids = report.children
    small = is_small(kids["n_households"].to_numpy(), pub.threshold)
    return bool(kids["grade"].notna().all() and not (kids["grade"] == "C").any()
                and not small.any()
                and all(pub.pattern.publishable(c) for c in kids["code"]))


def group_c_areas(report: AreaContext, pub: Publisher, limit: int,
                  kids: pd.DataFrame | None = None) -> str | None:
    """Name the areas one level down in group C, in priority order, with their level-1 shares.

    The areas to strengthen first, as the key findings name them, each with its level-1
    share and households where the levels table prints them (a name alone left a support team
    without a size to plan by; a reader review of an amphoe's one-page summary, which named
    only a high-need tambon outside C). As :func:`high_need_outside_c` otherwise; a hidden
    share leaves the name alone.
    """
    if report.level not in ("tambon", "amphoe"):
        return None
    kids = _published_children(report, pub) if kids is None else kids
    return _named_with_level1(report, pub, kids[kids["grade"] == "C"], limit, need_named=False)


def _published_children(report: AreaContext, pub: Publisher) -> pd.DataFrame:
    """Return the areas one level down, publishable, in published priority order."""
    kids = in_published_order(report, report.children.reset_index(drop=True),
                              report.households, CHILD_COLUMN[report.level])
    return kids[[pub.pattern.publishable(c) for c in kids["code"]]]


def _named_with_level1(report: AreaContext, pub: Publisher, rows: pd.DataFrame, limit: int,
                       need_named: bool) -> str | None:
    """Name ``rows`` (areas one level down) with their level-1 shares and households.

    ``need_named``: the list names their need (high need outside C), so an area whose need is
    hidden is left out and one near its threshold says so; otherwise (group C) every area is
    named, with its share where published, and one whose group is near a threshold says so.
    """
    if rows.empty:
        return None
    t = report.t
    _small, hid, shares = published_level1(pub, rows, report.households,
                                           CHILD_COLUMN[report.level], with_ci=False)
    if need_named:
        hid = need_hidden(pub, rows["code"], hid)
    # a need near its threshold says so, as the villages' table prints it ("สูง (ใกล้เกณฑ์)"),
    # where the summary named it bare beside one the table marked (a reader review)
    # ... and a group near its threshold, as the tables print "กลุ่ม C (ใกล้เกณฑ์)"
    near = rows["need_near_threshold" if need_named else "near_threshold"].fillna(
        False).astype(bool)
    suffix = t("find.near_suffix" if need_named else "find.grade_near_suffix")
    listed = [(c, sh, h, nr) for c, sh, h, nr in zip(rows["code"], shares, hid, near,
                                                    strict=True)
              if not (need_named and h)]
    named = listed[:limit + (len(listed) == limit + 1)]
    if not named:
        return None
    unit = within_words(report)
    # with its level-1 households as the levels table prints them (where it does): the share
    # alone left a reader to find which village holds the most households to reach first (a
    # reader review)
    w, _ = report.weighted_counts("overall_level", by=CHILD_COLUMN[report.level])

    def count(code: str) -> str:
        value = float(w.loc[code, "1"]) if code in w.index and "1" in w.columns else np.nan
        shown = pub.weighted("overall_level", code, ["1"], value) if np.isfinite(value) \
            else None
        return "" if shown is None or shown.hidden else t("find.level1_count", count=shown.text)

    def one(c: str, sh: Shown, h: bool, nr: bool) -> str:
        if h or sh.value is None:  # group C with its share hidden: the name alone
            return report.child_name(c)
        return (f"{report.child_name(c)} ({t('find.level1_of', share=sh.text)}{count(c)}"
                f"{suffix if nr else ''})")

    names = ", ".join(one(*x) for x in named)
    if len(listed) > len(named):
        names += t("find.priority_more", more=len(listed) - len(named), unit=unit)
    return names


def need_markers(report: AreaContext | ProvinceContext, pub: Publisher,
                 codes: Sequence[str] | pd.Series, small: Sequence[bool] | np.ndarray,
                 shares: Sequence[Shown]) -> list[str]:
    """Return the marker printed for each row's hidden need figures (class, band, reason).

    The small-cell marker (``"<5"``) where the row rests on too few households; else the
    level-1 share's own marker where the share is hidden (``"×"`` where it only protects
    another cell), else M0's where M0 is (see :func:`need_hidden`).
    """
    return [report.marker if sm else sh.text if sh.hidden
            else pub.pattern.marker("m0", str(c)) or report.marker
            for c, sm, sh in zip(codes, small, shares, strict=True)]


def _points(report: AreaContext | ProvinceContext, rows: pd.DataFrame, hidden: np.ndarray,
            small: np.ndarray, labels: list[str] | None, shares: list[Shown]) -> pd.DataFrame:
    """Return the chart's points: shares as printed (rounded as in the tables), hidden NaN."""

    def printed(text: str | None) -> float:
        return float(text.replace(",", "")) if text else np.nan

    pts = pd.DataFrame({
        "grade": rows["grade"].where(~small).to_numpy(),
        "estimate": [np.nan if h or s.value is None else 100 * s.value
                     for s, h in zip(shares, hidden, strict=True)],
        "ci_low": [np.nan if h else printed(s.low) for s, h in zip(shares, hidden, strict=True)],
        "ci_high": [np.nan if h else printed(s.high)
                    for s, h in zip(shares, hidden, strict=True)],
        # a hidden point is not drawn, and whether its need is near the threshold would say
        # something of its hidden share: no hollow-point legend for it
        "near": ((rows["near_threshold"].astype(bool)
                  | rows["need_near_threshold"].astype(bool)).to_numpy() & ~hidden),
    })
    if labels is not None:
        pts["label"] = labels
    return pts


def _plain_name(code: str, lang: str) -> str:
    """Return an area's name without its level's word ("ท่าวัง", "Tha Wang"), else its code."""
    from abcresearch.survey.areas import get_area

    try:
        area = get_area(code)
    except Exception:  # an unknown code is shown as is
        return code
    return str(area.name_th if lang == "th" else area.name_en)


def _chart(report: AreaContext | ProvinceContext, rules: GradeRules, pts: pd.DataFrame,
           caption: str) -> Figure:
    """Return the need x readiness chart of ``pts``, drawn by Typst's own shapes.

    The same chart as :func:`~abcresearch.reports.charts.need_readiness_chart` at about a
    tenth of its cost (``benchmarks/bench_chart_routes.py``); the figure's ``data`` holds the
    points, to draw it with matplotlib in a notebook.
    """
    t = report.t
    share_rule = next((c for c in rules.need_rules[0].get("any", rules.need_rules[0].get(
        "all", ())) if c["indicator"] == "share_level1"), None)
    thr = 100 * float(share_rule["value"]) if share_rule else float("nan")
    lang = report.lang
    need = rules.need_labels or {}
    markup = charts.need_readiness_chart_typst(
        pts, grade_order=list(rules.grade_order),
        grade_labels={g: t("readiness.grade_short", grade=g) for g in rules.grade_order},
        threshold=thr, xlabel=t("readiness.chart.x"), ylabel=t("readiness.chart.y"),
        threshold_label=t("readiness.chart.threshold", value=thr),
        need_labels=(str(need[rules.need_order[0]][lang]), str(need[rules.need_order[-1]][lang])),
        near_label=t("readiness.chart.near") if pts["near"].any() else "")
    return Figure.from_typst(markup, caption=caption, data=pts)


def _chart_caption(t: Callable[..., str], pts: pd.DataFrame, areas: str,
                   villages: bool = False) -> str:
    """Return the chart's caption, saying how many areas it does not draw (share hidden).

    ``villages``: the points are villages, whose own reports print an interval of their own
    (the households sampled within the village), which the caption points to where the chart
    has none: the tambon's report said no interval could be worked out beside the village's
    own report printing one (a reader review).
    """
    drawn = pts[pts["estimate"].notna()]
    # no point with an interval (a village is one PSU of a round that sampled villages): the
    # caption promised intervals the chart did not draw (a reader review)
    no_ci = not drawn.empty and drawn["ci_low"].isna().all()
    caption = t("readiness.chart.caption" + (".no_ci" if no_ci else ""), areas=areas,
                own=t("readiness.chart.own_reports") if no_ci and villages else "")
    missing = int(pts["estimate"].isna().sum())
    return caption + (t("readiness.chart.not_drawn", areas=areas, n=missing) if missing else "")


def _cells(report: AreaContext | ProvinceContext, rules: GradeRules, rows: pd.DataFrame,
           small: np.ndarray, hidden: np.ndarray, areas: str) -> tuple[pd.DataFrame, int]:
    """Return counts by need x grade of the rows whose grade and need are published."""
    t = report.t
    shown = rows[~(small | hidden)]
    ct = pd.crosstab(shown["need"], shown["grade"]).reindex(
        index=list(rules.need_order), columns=list(rules.grade_order), fill_value=0)
    band = {cell: i + 1 for i, cell in enumerate(rules.bands)}
    table = pd.DataFrame({t("readiness.col.need"): [str((rules.need_labels or {})[n][report.lang])
                                                     for n in ct.index]})
    for g in ct.columns:
        table[t("readiness.grade_short", grade=g)] = [f"{int(ct.loc[n, g])} ({band[(n, g)]})"
                                                       for n in ct.index]
    return table, int((small | hidden).sum())


def printed_rank(scores: pd.Series) -> pd.Series:
    """Rank scores as printed, highest first: two that print alike share a rank.

    ("53.5" was 18th and 19th when 53.46 and 53.54 were ranked.) Missing scores get no rank.
    """
    digits = publication_rules().digits["score"]
    return scores.map(lambda v: _as_printed(v, digits)).rank(ascending=False, method="min")


def _as_printed(score: Any, digits: int) -> float:
    """Return a score as printed to ``digits`` decimals, as a number (NaN where missing)."""
    return float(format_number(score, digits).replace(",", "")) if pd.notna(score) else np.nan


def _blank_note(t: Callable[..., str], table: pd.DataFrame) -> str:
    """Return the legend of "–" where the organisation table prints one (a form lacks it)."""
    cells = table.to_numpy(dtype=object).ravel()
    blank = any(v is None or (isinstance(v, float) and v != v) or str(v).strip() == "–"
                for v in cells)
    return " · " + t("readiness.org.blank") if blank else ""


def _org_order(rows: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Return the rows in the organisation ranking's order (strongest first), named in ``_name``."""
    return rows.assign(_name=names).sort_values("org_strength", ascending=False,
                                                na_position="last", kind="mergesort")


# Ratios a tambon pools over its villages that the organisation ranking prints (the welfare
# share) or scores (groups per 100 households, in organisation strength), in note order
_POOLED_RATIOS = ("welfare_share", "groups_per_100hh")


def _pooled_left_out_note(report: AreaContext | ProvinceContext, pub: Publisher,
                         rows: pd.DataFrame, names: list[str], shown: int | None = None
                         ) -> str:
    """Say which tambons' pooled ratios in the organisation ranking leave villages out.

    A tambon pools groups and households (welfare-fund members and population) over the
    villages whose form has both; a village with one of them blank (an unusable answer, the
    rest of the form kept) is left out of the ratio, which rests on the others
    (``<ratio>_unanswered`` of :func:`~abcresearch.scoring.indicators.organisation_strength`).
    Each count is a village-form count, public; it goes into the ledger as printed. A tambon
    whose welfare share rests on no village prints "–" (the table's blank note) and is not
    listed; one whose groups ratio rests on no village still prints a score (from the other
    components) and is listed with all its villages.

    Parameters
    ----------
    report : AreaContext or ProvinceContext
        The report.
    pub : Publisher
        The section's publisher.
    rows : pandas.DataFrame
        The tambons' grade rows (``code``, the ratios of :data:`_POOLED_RATIOS` and their
        ``_unanswered`` counts).
    names : list of str
        The rows' names, as the ranking prints them.
    shown : int, optional
        How many rows the ranking prints, strongest first (None: all).

    Returns
    -------
    str
        ``" · "`` and one sentence per ratio that leaves villages out, or ``""``.
    """
    t = report.t
    ordered = _org_order(rows, names)
    if shown is not None:
        ordered = ordered.head(shown)
    column = {"welfare_share": t("readiness.col.welfare_share"),
              "groups_per_100hh": t("readiness.col.org_strength")}
    notes = []
    for ratio in _POOLED_RATIOS:
        count = f"{ratio}_unanswered"
        if count not in ordered:
            continue
        areas = []
        for code, name, value, n, score in zip(ordered["code"], ordered["_name"], ordered[ratio],
                                               ordered[count], ordered["org_strength"],
                                               strict=True):
            # a welfare share resting on no village prints "–" (the blank note says why); the
            # groups ratio is not printed, and a score resting on the other components is
            if pd.isna(n) or not n or (pd.isna(value) and (ratio == "welfare_share"
                                                            or pd.isna(score))):
                continue
            printed = pub.public(count, float(n), "count", str(code))
            areas.append(t("readiness.org.left_out.area_all" if pd.isna(value)
                           else "readiness.org.left_out.area", area=name, n=printed.text))
        if areas:
            notes.append(t(f"readiness.org.left_out.{ratio}", column=column[ratio],
                           areas=names_list(t, areas)))
    return "".join(f" · {x}" for x in notes)


def child_group_counts(report: AreaContext) -> dict[str, int]:
    """Count the groups of the areas within as the report's own tables print them.

    An area within that rests on too few households prints its group as the small marker
    (:func:`printed_groups`): it is left out of the counts and counted apart (``small``), else
    the counts with the groups printed would give its group back (a code review).

    Returns
    -------
    dict
        ``a``, ``b``, ``c`` (areas in each group), ``withheld`` (printed as not graded yet)
        and ``small`` (printed with the marker).
    """
    rows = report.children
    probe = Publisher(report, "child_groups")  # nothing printed through it
    small, _hidden = published_rows(rows, report.households, CHILD_COLUMN[report.level],
                                    probe.threshold)
    small = small | np.array([not probe.pattern.publishable(str(c)) for c in rows["code"]],
                             dtype=bool)
    grades = rows["grade"][~small]
    counts = grades.value_counts()
    return {"a": int(counts.get("A", 0)), "b": int(counts.get("B", 0)),
            "c": int(counts.get("C", 0)), "withheld": int(grades.isna().sum()),
            "small": int(small.sum())}


def printed_groups(report: AreaContext | ProvinceContext, rows: pd.DataFrame,
                   small: Sequence[bool] | np.ndarray) -> list[str]:
    """Each row's readiness group as the tambon ranking prints it.

    The group with its "near the threshold" mark, or the small-area marker where the row may
    show no household-based figure (``small``, as :func:`published_rows`).
    """
    t = report.t
    return [marker(report.threshold) if s else grade_text(t, g, nr)
            for g, nr, s in zip(rows["grade"], rows["near_threshold"], small, strict=True)]


def kinds_column(report: AreaContext | ProvinceContext) -> str:
    """Return the village ranking's column of kinds of groups (how many of the form's kinds)."""
    return report.t("readiness.col.n_kinds", n=len(group_type_choices(report.lang)))


def kinds_missing_text(report: AreaContext, rows: pd.DataFrame, pub: Publisher) -> str:
    """Say which kinds of groups the villages lack, kind by kind, after their ranking.

    What a village lacks is what the tambon can help it form (and what lowers its score). A
    tambon's report lists each kind that some village lacks with the villages by number, the
    most often lacking first, then the kinds every village has; a village's report says which
    kinds it lacks. Villages whose form gave no answer are not counted (and are named). The
    kinds come from the village form (``group_type``); village-form figures are public.

    Parameters
    ----------
    report : AreaContext
        A tambon's or a village's report.
    rows : pandas.DataFrame
        The villages' grade rows (``code``, ``group_types``, ``n_group_types``).
    pub : Publisher
        The section's publisher (the counts are recorded as printed).

    Returns
    -------
    str
        Markdown; ``""`` at another level or where no village answered.
    """
    if report.level not in ("tambon", "village") or rows.empty:
        return ""
    t = report.t
    kinds = group_type_choices(report.lang)
    rows = rows.sort_values("code")  # the villages by number, not by their rank above
    answered = rows["n_group_types"].notna().to_numpy()
    if not answered.any():
        return ""
    codes = [str(c) for c in rows["code"]]
    present = [set(g.split()) if isinstance(g, str) else set() for g in rows["group_types"]]
    number = {c: str(int(c[-2:])) for c in codes}
    lacking = {word: [c for c, p, a in zip(codes, present, answered, strict=True)
                      if a and name not in p] for name, word in kinds.items()}
    if report.level == "village":
        missing = [str(w) for w, cs in lacking.items() if cs]
        has = [str(w) for w, cs in lacking.items() if not cs]
        text = (t("readiness.kinds.village", kinds=names_list(t, missing, commas=True),
                  present=t("readiness.kinds.village_present",
                            kinds=names_list(t, has, commas=True)) if has else "")
                if missing else t("readiness.kinds.village_all", n=len(kinds)))
        return pub.record_numbers(text, "kinds of groups the village lacks", report.area.code)
    n = int(answered.sum())
    lines = []
    for word, cs in sorted(lacking.items(), key=lambda kv: -len(kv[1])):  # stable: form order
        if not cs:
            continue
        lines.append(t("readiness.kinds.line_all", kind=word, n=n) if len(cs) == n else
                     t("readiness.kinds.line", kind=word, k=len(cs), n=n,
                       numbers=names_list(t, [number[c] for c in cs])))
    if not lines:
        text = t("readiness.kinds.none_missing", n=n)
    else:
        everywhere = [str(w) for w, cs in lacking.items() if not cs]
        # the kinds every village has after the list, not as one of the kinds lacking
        text = "\n".join([f"**{t('readiness.kinds.heading')}**", "",
                           *(f"- {x}" for x in lines),
                           *(["", t("readiness.kinds.everywhere", kinds=names_list(t, everywhere))]
                             if everywhere else [])])
    unanswered = [number[c] for c, a in zip(codes, answered, strict=True) if not a]
    if unanswered:
        text += "\n\n" + t("readiness.kinds.unanswered", numbers=names_list(t, unanswered))
    return pub.record_numbers(text, "kinds of groups the villages lack", report.area.code)


def org_ranking_table(report: AreaContext | ProvinceContext, rows: pd.DataFrame,
                      names: list[str], level: str,
                      groups: Sequence[str] | None = None) -> pd.DataFrame:
    """Organisation strength ranking (village-form figures: no suppression applies).

    Parameters
    ----------
    rows : pandas.DataFrame
        Grade rows (``org_strength``, ``groups_per_100hh``, ``n_group_types``,
        ``group_types``, ``welfare_share``, ``forums_year``, ``master_plan``).
    names : list of str
        The rows' names.
    level : {"village", "tambon"}
        What the rows are.
    groups : sequence of str, optional
        Each row's readiness group as the report prints it (:func:`printed_groups`), shown
        after the strength: a tambon 15th in strength and in group C read as a contradiction
        (a provincial committee's review); the group rests on more than the strength.
    """
    t = report.t
    if groups is not None:
        rows = rows.assign(_group=list(groups))
    r = _org_order(rows, names)
    rank = printed_rank(r["org_strength"]).astype("Int64")
    name_col = t("col.village") if level == "village" else t("col.tambon")
    out = pd.DataFrame({
        t("readiness.col.org_rank"): rank.to_numpy(),
        name_col: r["_name"].to_numpy(),
        t("readiness.col.org_strength"): r["org_strength"].to_numpy(),
        **({t("readiness.col.grade"): r["_group"].to_numpy()} if groups is not None else {}),
        t("readiness.col.welfare_share"): (100 * r["welfare_share"]).to_numpy(),
        t("col.forums"): r["forums_year"].to_numpy(),
    })
    if level == "village":
        # how many of the form's kinds; which ones a village lacks follow the table
        # (:func:`kinds_missing_text`): listed in a cell, the kinds made the table's tallest
        # rows (a reader review)
        out.insert(3 if groups is None else 4, kinds_column(report),
                   r["n_group_types"].to_numpy())
        out[t("readiness.col.has_plan")] = [t("readiness.yes") if p == 1 else t("readiness.no")
                                            if p == 0 else "–" for p in r["master_plan"]]
    else:  # every kind is present somewhere in most tambons: the mean per village says more
        out.insert(3 if groups is None else 4, t("readiness.col.n_group_types"),
                   r["n_group_types"].to_numpy())
        out[t("readiness.col.plan_share")] = (100 * r["master_plan"]).to_numpy()
    return out.reset_index(drop=True)


def hidden_indicators(pub: Publisher, code: str, capitals: Sequence[str],
                      rules: GradeRules) -> frozenset[str]:
    """Return the household indicators of grading that the round's pattern hides for an area.

    A grade's reasons and the conditions that would lift the area cite household figures: the
    community capital (the mean over the rules' community capitals), a capital's mean and the
    mean score. Each is the mean of published capital means, so where the pattern hides one of
    those capitals (e.g. to protect a small village beside it), printing it would give the
    hidden mean back; it is then masked (:func:`mask_figures`).
    """
    hidden = {c for c in capitals if pub.pattern.hidden(f"score:{c}", code)}
    if not pub.pattern.publishable(code):
        hidden = set(capitals)
    out = {f"mean_{c}" for c in hidden}
    if hidden:
        out.add("mean_score")
    if hidden & set(rules.community_capitals):
        out.add("community_capital")
    return frozenset(out)


def _conditions(rules: GradeRules) -> Iterator[Mapping[str, Any]]:
    """Every condition of the grade rules and the need rules."""
    for rule in (*rules.rules, *getattr(rules, "need_rules", ())):
        yield from (*rule.get("all", ()), *rule.get("any", ()))


def _value_prefixes(rules: GradeRules, indicators: frozenset[str]) -> dict[str, str]:
    """Text before the value in each reason template of ``indicators``: prefix -> indicator."""
    out: dict[str, str] = {}
    for cond in _conditions(rules):
        if cond.get("indicator") not in indicators:
            continue
        for key in ("reason", "reason_not", "reason_tambon", "reason_not_tambon",
                    "reason_none", "reason_not_none", "reason_tambon_none",
                    "reason_not_tambon_none"):
            for text in (cond.get(key) or {}).values():
                prefix = str(text).split("{")[0]
                if prefix.strip():
                    out[prefix] = cond["indicator"]
    return out


_LEADING_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?![\d.])")


def _thresholds(rules: GradeRules, indicator: str) -> set[float]:
    """Return the thresholds the grade and need rules compare ``indicator`` with."""
    return {float(cond["value"]) for cond in _conditions(rules)
            if cond.get("indicator") == indicator and "value" in cond}


def _mask_value(text: str, value: Any, marker: str, thresholds: Iterable[float] = (),
                leading: bool = False) -> str:
    """Replace the first printing of ``value`` in ``text`` by ``marker``.

    With ``leading``, the number that starts ``text`` (a reason's value follows its template's
    prefix). Otherwise the value as a template writes it: half up (:class:`HalfUp`) or, short
    of one of ``thresholds``, as :class:`HalfUpBelow` writes it, with 0 to 4 decimals, or as
    Python formats it; a match is never part of a longer number ("22" in "22.5").
    """
    if value is None or pd.isna(value):
        return text
    if leading and (m := _LEADING_NUMBER.match(text)) is not None:
        return marker + text[m.end():]
    x = float(value)
    shapes = [HalfUp(x), x, *(HalfUpBelow(x, t) for t in sorted(thresholds) if x < t)]
    for fmt in (".4f", ".3f", ".2f", ".1f", ".0f"):
        for shape in shapes:
            masked, found = re.subn(rf"(?<![\d.]){re.escape(format(shape, fmt))}(?!\.?\d)",
                                    marker, text, count=1)
            if found:
                return masked
    return text


def mask_figures(text: str, row: Mapping[str, Any] | pd.Series, hidden: frozenset[str],
                 rules: GradeRules, marker: str, indicator: str | None = None) -> str:
    """Write a grade reason or a lift condition with each hidden household figure masked.

    Parameters
    ----------
    text : str
        A reason ("; "-joined conditions) or, with ``indicator``, one lift condition.
    row : mapping or pandas.Series
        The area's grade row (the indicators' values).
    hidden : frozenset of str
        :func:`hidden_indicators`.
    rules : GradeRules
        The grade rules (their reason templates).
    marker : str
        Printed instead of the value.
    indicator : str, optional
        The indicator of a lift condition; None for a reason.
    """
    if not hidden:
        return text
    if indicator is not None:
        return (_mask_value(text, row.get(indicator), marker, _thresholds(rules, indicator))
                if indicator in hidden else text)
    prefixes = _value_prefixes(rules, hidden)
    parts = []
    for part in str(text).split("; "):
        for prefix, ind in prefixes.items():
            if part.startswith(prefix):
                part = prefix + _mask_value(part[len(prefix):], row.get(ind), marker,
                                            _thresholds(rules, ind), leading=True)
                break
        parts.append(part)
    return "; ".join(parts)


def reason_figures(pub: Publisher, row: Mapping[str, Any] | pd.Series, code: str,
                   hidden: frozenset[str] = frozenset()) -> None:
    """Put the figures a grade's reasons cite into the ledger, as the reasons print them.

    The reasons (and the conditions that would lift the area) cite the households'
    community-capital score and mean score (means over the area's households; an area is graded
    only with at least ``threshold`` of them), unless masked, and village-form figures (the
    master plan, the process step, forums, group types), which are public.

    Parameters
    ----------
    pub : Publisher
        The section's publisher.
    row : mapping or pandas.Series
        The area's grade row (:attr:`AreaContext.grade_row` or a row of its children).
    code : str
        The area's code.
    hidden : frozenset of str
        Indicators masked in the reasons (:func:`hidden_indicators`): not recorded.
    """
    for ind, kind in (("community_capital", "score"), ("mean_score", "score")):
        value = row.get(ind)
        if value is not None and pd.notna(value) and ind not in hidden:
            pub.derived("other", ind, code, float(value), False, kind)
    for ind, kind in (("process_step", "score"), ("forums_year", "score"),
                      ("n_group_types", "score"), ("master_plan", "index")):
        value = row.get(ind)
        if value is not None and pd.notna(value):
            pub.public(ind, float(value), kind, code)


def published_reason(pub: Publisher, row: Mapping[str, Any] | pd.Series, code: str,
                     report: AreaContext, rules: GradeRules) -> str:
    """Return an area's grade reason as printed: hidden household figures masked.

    The figures it cites go into the ledger (:func:`reason_figures`); a household figure whose
    capital means the pattern hides is masked (:func:`hidden_indicators`, :func:`mask_figures`).

    Parameters
    ----------
    pub : Publisher
        The section's publisher.
    row : mapping or pandas.Series
        The area's grade row.
    code : str
        The area's code.
    report : AreaContext
        The report (its capitals, marker and language).
    rules : GradeRules
        The grade rules.
    """
    masked = hidden_indicators(pub, code, report.capitals, rules)
    reason_figures(pub, row, code, masked)
    text = str(row.get(f"reason_{report.lang}") or "")
    used = {c.get("indicator") for c in _conditions(rules)}
    for ind in UNANSWERED_OF:  # "(leaving out 1 village without this figure)": a form count
        if ind not in used:  # a figure no rule reads is never in a reason
            continue
        left_out = row.get(f"{ind}_unanswered")
        if rules.partial_reason and left_out is not None and pd.notna(left_out) and left_out \
                and rules.partial_reason[report.lang].format(n=int(left_out)) in text:
            pub.public(f"{ind}_unanswered", float(left_out), "count", code)
    return mask_figures(text, row, masked, rules, report.marker)


def _publish_org_ranking(pub: Publisher, report: AreaContext | ProvinceContext,
                        org: pd.DataFrame, level: str, area: str = "") -> pd.DataFrame:
    """Write the organisation ranking's figures through the section's ledger, as printed.

    They are village-form figures (and a rank by one of them): public, no suppression. Call it
    on the rows that are printed (after any limit), and print the table with the digits of
    ``score`` in ``params/publication.yaml`` (one decimal; ranks and a village's forums are
    whole numbers).

    Parameters
    ----------
    pub : Publisher
        The section's publisher.
    report : AreaContext or ProvinceContext
        The report (its words).
    org : pandas.DataFrame
        The table of :func:`org_ranking_table`.
    level : {"village", "tambon"}
        What the rows are.
    area : str
        The code of the one area the rows are about, recorded with each figure ("": rows of
        several areas).

    Returns
    -------
    pandas.DataFrame
        The table with each figure as printed.
    """
    t = report.t
    kinds = {t("readiness.col.org_rank"): ("org_rank", "count"),
             t("readiness.col.org_strength"): ("org_strength", "score"),
             t("readiness.col.welfare_share"): ("welfare_share x 100", "score"),
             t("col.forums"): ("forums_year", "count" if level == "village" else "score"),
             t("readiness.col.n_group_types"): ("n_group_types", "score"),
             kinds_column(report): ("n_group_types", "count"),  # a village's own kinds
             t("readiness.col.plan_share"): ("master_plan x 100", "score")}
    out = org.copy()
    for col, (name, kind) in kinds.items():
        if col not in out:
            continue
        values = [None if pd.isna(v) else pub.public(name, float(v), kind, area).value
                  for v in out[col]]
        out[col] = pd.array([None if v is None else int(v) for v in values], dtype="Int64") \
            if kind == "count" else np.array([np.nan if v is None else v for v in values])
    return out


def _with_whole_tambon(report: AreaContext, pub: Publisher, org: pd.DataFrame,
                       row: pd.Series) -> tuple[pd.DataFrame, str]:
    """Add the tambon's own row under its villages' organisation ranking, as the province prints it.

    The province report ranks the tambon by its own score (``นาทราย … 41.7``), pooled over its
    villages (groups, households, fund members and people summed before dividing:
    :func:`~abcresearch.scoring.indicators.organisation_strength`), which the tambon report's
    village rows (49.1, 42.7, 34.9, 34.1) did not let a reader find (a reader review). The row
    (named as the levels table names its whole-area row, ``row.total``) has no rank and comes
    after the ranked rows: it is made and recorded by the province ranking's own steps
    (:func:`org_ranking_table` and :func:`_publish_org_ranking` on tambon rows), so its cells
    are the province's. Where the village table counts each village's kinds of groups and
    says whether it has a master plan, the row gives the tambon's kinds per village on
    average and the share of villages with a plan in words around the province's figures.
    The forums and kinds columns then hold text: the villages' whole numbers and the tambon's
    mean, as each is printed.

    Parameters
    ----------
    report : AreaContext
        A tambon's report.
    pub : Publisher
        The section's publisher.
    org : pandas.DataFrame
        The villages' ranking as printed (:func:`_publish_org_ranking`).
    row : pandas.Series
        The tambon's grade row (:attr:`AreaContext.grade_row`, the row of the province's
        :attr:`ProvinceContext.tambon_table`).

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        The table with the row appended, and the notes' addition (``" · "`` and the row's
        note, then the villages the tambon's pooled ratios leave out, if any).
    """
    t = report.t
    own = pd.DataFrame([row]).infer_objects().assign(code=report.area.code) \
        .reset_index(drop=True)
    name = t("row.total")
    rank_col, plan_col = t("readiness.col.org_rank"), t("readiness.col.has_plan")
    kinds_col, forums_col = kinds_column(report), t("col.forums")
    strength_col, welfare_col = t("readiness.col.org_strength"), t("readiness.col.welfare_share")
    # the tambon's group as the province's ranking prints it (the small-area marker where
    # it rests on too few households): "–" read as a figure the village form lacks
    group = printed_groups(report, own, is_small(own["n_households"].to_numpy(),
                                                 report.threshold))[0]
    shown = _publish_org_ranking(
        pub, report, org_ranking_table(report, own, [name], "tambon").drop(columns=rank_col),
        "tambon", report.area.code).iloc[0]
    digits = pub.digits("score")

    def text(value: Any) -> str | None:
        return None if pd.isna(value) else format_number(float(value), digits)

    kinds, plan = text(shown[t("readiness.col.n_group_types")]), \
        text(shown[t("readiness.col.plan_share")])
    # "1 จาก 4 หมู่บ้าน", the villages of the rows above, where they give the share printed:
    # plainer than "ร้อยละ 25.0 มีแผน" (a Thai reader's review); the share where they do not
    # (a village whose plan is not known, or a table limited to its first rows)
    answers = org[plan_col] if plan_col in org else pd.Series(dtype=object)
    k = int((answers == t("readiness.yes")).sum())
    n = int(answers.isin([t("readiness.yes"), t("readiness.no")]).sum())
    plan_text: str | None
    if plan is not None and n and len(answers) == n and text(100 * k / n) == plan:
        plan_text = t("readiness.org.whole.plan_count",
                      k=pub.public("villages_with_master_plan", k, area=report.area.code).text,
                      n=pub.public("villages_with_a_form", n, area=report.area.code).text)
    else:
        plan_text = None if plan is None else t("readiness.org.whole.plan", share=plan)
    whole = {rank_col: "", t("col.village"): name, strength_col: shown[strength_col],
             **({t("readiness.col.grade"): group} if t("readiness.col.grade") in org else {}),
             kinds_col: kinds,  # the mean per village (the note says so)
             welfare_col: shown[welfare_col], forums_col: text(shown[forums_col]),
             plan_col: plan_text}
    out = org.copy()
    out[rank_col] = out[rank_col].astype(object)
    for col in (forums_col, kinds_col):  # whole numbers above the tambon's mean
        if col in out:
            out[col] = [None if pd.isna(v) else format_number(float(v), 0) for v in out[col]]
    out = pd.concat([out, pd.DataFrame([whole])], ignore_index=True)
    notes = " · " + t("readiness.org.whole.note", row=name)
    return out, notes + _pooled_left_out_note(report, pub, own, [report.area_name()])


def _others_in_tambon(report: AreaContext, org: pd.DataFrame, pub: Publisher) -> pd.DataFrame:
    """Give a village report's own row the range of its tambon's other villages' scores.

    Ranked alone, every village was "อันดับ 1" in its own report (and 11th in its tambon's, a
    reader review); "11 จาก 11" in its place was blunt read aloud at a forum and said little
    more (another): the other surveyed villages' lowest and highest scores as printed say how
    far it has to go, beside the group A threshold in the steps above. Village-form scores
    are public.
    """
    t = report.t
    sib = report.analysis.villages
    sib = sib[sib["village_code"].str.startswith(report.area.code[:6])
              & (sib["village_code"] != report.area.code)]
    digits = pub.digits("score")
    scores = sorted(_as_printed(v, digits) for v in sib["org_strength"] if pd.notna(v))
    col = t("readiness.col.org_others_in_tambon")
    out = org.drop(columns=[t("readiness.col.org_rank")], errors="ignore")
    strength = t("readiness.col.org_strength")
    at = list(out.columns).index(strength) + 1 if strength in out else len(out.columns)
    if not scores:
        out.insert(at, col, "–")
        return out
    low, high = (format_number(v, digits) for v in (scores[0], scores[-1]))
    text = low if low == high else t("readiness.org.others_range", low=low, high=high)
    out.insert(at, col, pub.record_numbers(text, "org_strength of the tambon's other villages",
                                           report.area.code))
    return out


def band_in_tambon(report: AreaContext, pub: Publisher) -> str:
    """Say where a village's band of support stands among its tambon's villages.

    "ลำดับการสนับสนุนที่ 2 จาก 6" told a village committee nothing about whether it comes
    first in its tambon (a reader review: the tambon's only high-need village, no village in
    band 1). The tambon report prints every village's band; said here only where it prints
    each of them (none hidden with its need), so the count gives back nothing it hides.
    Empty for other reports, where the village's own band is not printed, or for a village
    alone in its tambon's round.

    Parameters
    ----------
    report : AreaContext
        A village's report (other levels: empty).
    pub : Publisher
        The summary's publisher (the sentence's numbers go into its ledger).

    Returns
    -------
    str
        The sentence, or empty.
    """
    if report.level != "village":
        return ""
    from abcresearch.survey.areas import get_area

    sib = report.analysis.villages
    sib = sib[sib["village_code"].astype(str).str.startswith(report.area.code[:6])]
    if len(sib) < 2 or "priority_band" not in sib or sib["priority_band"].isna().any():
        return ""
    codes = [str(c) for c in sib["village_code"]]
    # the tambon's villages table hides a village's band with its level-1 share or its M0
    probe = Publisher(report, "band_in_tambon_probe")
    shares = [level1_share(probe, c, float(v)) for c, v in zip(codes, sib["share_level1"],
                                                                strict=True)]
    hidden = need_hidden(pub, codes, [s.hidden for s in shares]) | is_small(
        sib["n_households"].to_numpy(), pub.threshold) | np.array(
        [not pub.pattern.publishable(c) for c in codes], dtype=bool)
    if hidden.any() or report.area.code not in codes:
        return ""
    bands = sib["priority_band"].astype(int).to_numpy()
    own = int(bands[codes.index(report.area.code)])
    before, same = int((bands < own).sum()), int((bands == own).sum()) - 1
    t = report.t
    key = ("readiness.band_in_tambon.before" if before else
           "readiness.band_in_tambon.first_with" if same else "readiness.band_in_tambon.first")
    # first in its tambon but not in band 1: the earlier bands are said to be empty
    earlier = "" if before or own == 1 else t(
        "readiness.band_in_tambon.earlier", bands="1" if own == 2 else f"1–{own - 1}")
    return pub.record_numbers(t(key + ("_after" if earlier else ""),
                                tambon=report.area_name(get_area(report.area.code[:6])),
                                k=before, same=same, n=len(codes), earlier=earlier),
                              "village bands of support in the tambon", report.area.code)


def _villages_short_of(report: AreaContext, condition: pd.Series) -> list[str]:
    """Return the codes of a tambon's villages whose village-form value misses a condition.

    "Master plans in at least 50% of villages (now 45%)" says how far the tambon is, not where
    to work: the villages without a plan are named beside it (:func:`_villages_short_text`).
    Village-form values are public (the villages table prints them); a village without the
    value is not named. Empty for any other level or indicator.
    """
    indicator = str(condition["indicator"])
    villages = report.analysis.villages
    if report.level != "tambon" or indicator not in FORM_INDICATORS \
            or indicator not in villages.columns or condition["op"] not in OPS:
        return []
    own = villages[villages["village_code"].str.startswith(report.area.code)]
    value = own[indicator].to_numpy(dtype=float)
    short = ~np.isnan(value) & ~OPS[condition["op"]](value, float(condition["threshold"]))
    return [str(c) for c in own["village_code"].to_numpy()[short]]


def _villages_short_text(report: AreaContext, condition: pd.Series, codes: list[str],
                         pub: Publisher, same_as: int | None = None) -> str:
    """Name the villages of :func:`_villages_short_of` after a condition of a tambon's grade.

    ``same_as``: the same villages were named after the condition of that number (1 for the
    first), and are given by their numbers and said to be those ("หมู่ที่ 1, 2, 3, 8, 10 และ
    11 (ชุดเดียวกับข้อ 1)") instead of named twice on one page (a reader review: six names
    read twice; then "6 villages as above" sent an officer back up the page for them).
    """
    if not codes:
        return ""
    indicator = str(condition["indicator"])
    t = report.t
    if same_as is None:
        names = names_list(t, [report.child_name(c) for c in codes])
    else:
        which = t("readiness.lift.same.nth", k=same_as)  # the list is numbered
        names = t("readiness.lift.villages.same",
                  numbers=names_list(t, [str(int(c[-2:])) for c in codes]), which=which)
    # in the condition's own words where it has them ("without a master plan", "not yet at
    # step 4"): a village cannot be "below" a rule on the share of villages
    fields = {"names": names, "threshold": HalfUp(float(condition["threshold"]))}
    if indicator == "process_step":
        # the step by its name: step 4 is the master plan, so the villages without a plan
        # and those short of step 4 are often one set, met by one action (a reader review)
        try:
            fields["step"] = t(f"step.{int(float(condition['threshold']))}")
        except ParamsError:  # a threshold between named steps
            fields["step"] = t("readiness.lift.step_unnamed")
    text = None
    if condition["op"] == ">=":
        try:
            text = report.t(f"readiness.lift.villages.{indicator}", **fields)
        except ParamsError:  # no words of its own for this condition
            text = None
    if text is None:
        text = report.t("readiness.lift.villages", **fields)
    return pub.record_numbers(text, f"lift.{indicator} (villages short of it)",
                              report.area.code)


def lift_names_villages(report: AreaContext) -> bool:
    """Whether the readiness section names villages short of a condition that would lift the area.

    It names them (:func:`_lift`) after each village-form condition some village of a tambon
    misses; the one-page summary points there only where it does.
    """
    row = report.grade_row
    if report.level != "tambon" or row is None or not isinstance(row.get("grade"), str):
        return False
    lift = lift_conditions(row, load_grade_rules(), level=report.level)
    return any(_villages_short_of(report, r) for _, r in lift.iterrows())


def _lift(report: AreaContext, rules: GradeRules, pub: Publisher) -> str | None:
    row = report.grade_row
    if row is None or not isinstance(row.get("grade"), str) or not report.publishable:
        return None
    t = report.t
    area = report.area_name()
    lift = merge_met(lift_conditions(row, rules, level=report.level), rules)
    if lift.empty:
        return t("readiness.lift.top", area=area, grade=grade_text(t, row["grade"]))
    target = lift["target_grade"].iloc[0]
    lines = [f"**{t('readiness.lift.heading', area=area, grade=grade_text(t, target))}** "
             f"({t('readiness.lift.' + lift['requirement'].iloc[0])})", ""]
    # a household figure (the community capital, a capital's mean) is masked where the
    # round's pattern hides a capital mean it averages, and recorded where it is printed
    masked = hidden_indicators(pub, report.area.code, report.capitals, rules)
    texts = [mask_figures(str(x), row, masked, rules, report.marker, indicator=str(ind))
             for x, ind in zip(lift[f"text_{report.lang}"], lift["indicator"], strict=True)]
    # numbered: a set of villages named once is referred to by its condition's number ("ชุด
    # เดียวกับข้อที่ 2"), which an unnumbered list did not print (a code review)
    named: list[list[str]] = []
    for k, (x, (_, r)) in enumerate(zip(texts, lift.iterrows(), strict=True), start=1):
        codes = _villages_short_of(report, r)
        same_as = named.index(codes) + 1 if codes in named else None
        lines.append(f"{k}. {x}{_villages_short_text(report, r, codes, pub, same_as)}")
        named.append(codes)
    # a condition on a village-form indicator prints its value and the rule's threshold:
    # public, into the ledger as printed
    for indicator, text, value in zip(lift["indicator"], texts, lift["value"], strict=True):
        if indicator not in FORM_INDICATORS and indicator not in masked and pd.notna(value):
            pub.derived("other", f"lift.{indicator}", report.area.code, float(value), False,
                        "score")
        if indicator in FORM_INDICATORS:
            pub.record_numbers(str(text), f"lift.{indicator}", report.area.code)
    return "\n".join(lines)


def readiness(report: AreaContext) -> SectionResult:
    """Need x readiness of the areas within (villages of a tambon, tambons of an amphoe).

    the chart, the counts per cell, what would lift the area itself, the organisation ranking.

    Parameters
    ----------
    report : AreaContext
        The area.
    """
    t = report.t
    rules = load_grade_rules()
    out = SectionBuilder("readiness", report.words)
    out.heading("section.readiness")
    if report.level == "village":  # no chart or list of villages follows in a village's report
        from abcresearch.survey.areas import get_area

        out.text(t("readiness.intro.village",
                   tambon=get_area(report.area.code[:6]).label(report.lang)))
    else:
        out.text(t("readiness.intro", priority=str((rules.priority_why or {})[report.lang])))
    rows = report.children
    if report.level == "village":
        rows = rows[rows["code"] == report.area.code]
    rows = rows.reset_index(drop=True)
    child = "village" if report.level in ("tambon", "village") else "tambon"
    pub = Publisher(report, "readiness")
    small, hidden, shares = published_level1(pub, rows, report.households,
                                             CHILD_COLUMN[report.level])
    names = [report.child_name(c) for c in rows["code"]]
    short = [n.split(" ")[0] + " " + n.split(" ")[1] if child == "village" and " " in n else ""
             for n in names]
    if child == "tambon" and report.level == "amphoe":
        # an amphoe's tambons by their names alone ("ท่าวัง"): unnamed points left the officer
        # unable to tell which tambon is which (a reader review); the province's 170 stay
        # unnamed (the ranking table names them)
        short = [_plain_name(str(c), report.lang) for c in rows["code"]]
    pts = _points(report, rows, hidden, small,
                  short if child == "village" or report.level == "amphoe" else None, shares)
    areas = t(f"readiness.areas.{child}")
    # a village's own report would draw one point: its share and group are on the summary page
    # (a whole chart for one point, a reader review)
    if pts["estimate"].notna().any() and report.level != "village":
        out.parts.append(_chart(report, rules, pts, _chart_caption(
            t, pts, areas, villages=child == "village")))
    cells, n_hidden = _cells(report, rules, rows, small,
                             need_hidden(pub, rows["code"], hidden), areas)
    if report.level != "village":  # one village counted in a table of 0s and a 1 says nothing
        out.table(cells, t("readiness.cells.caption", areas=areas),
                  t("readiness.cells.hidden", areas=areas, n=n_hidden) if n_hidden else None)
    # a village's steps are on its one-page summary, which the intro points to: read out twice
    # at a forum, word for word, they differed once one copy said more (reader reviews)
    lift = _lift(report, rules, pub) if report.level != "village" else None
    if lift:
        out.text(lift)
    org = _publish_org_ranking(pub, report, org_ranking_table(
        report, rows, names, child,
        groups=printed_groups(report, rows, small)), child)
    if report.level == "village":
        org = _others_in_tambon(report, org, pub)
    # a tambon's pooled ratios rest on the villages with both figures: say which leave some out
    pooled = _pooled_left_out_note(report, pub, rows, names) if child == "tambon" else ""
    # a tambon's own pooled row, as the province ranks it: a village's report is its one row,
    # and an amphoe has no organisation score of its own (none is graded or printed elsewhere)
    if report.level == "tambon" and report.grade_row is not None:
        org, whole = _with_whole_tambon(report, pub, org, report.grade_row)
        pooled += whole
    out.table(org, t("readiness.org.caption" + (".village" if report.level == "village" else "")),
              t("readiness.org.notes") + t(f"readiness.org.groups.{child}")
              + (t("readiness.org.others_in_tambon")
                 if t("readiness.col.org_others_in_tambon") in org else "")
              + _blank_note(t, org) + pooled,
              decimals=pub.digits("score"))
    kinds = kinds_missing_text(report, rows, pub) if child == "village" else ""
    if kinds:
        out.text(kinds)
    return out.result(estimates=rows, details={"points": pts, "cells": cells,
                                               "organisations": org},
                      published=tuple(pub.entries))


def province_readiness(report: ProvinceContext, *, limit: int | None = 20) -> SectionResult:
    """Return the province overview's need x readiness of its tambons.

    chart, counts per cell, and the organisation-strength ranking of tambons.

    Parameters
    ----------
    report : ProvinceContext
        The province.
    limit : int, optional
        List only the ``limit`` strongest tambons in the organisation ranking (default 20;
        None: all).
    """
    check_limit(limit)
    t = report.t
    rules = load_grade_rules()
    out = SectionBuilder("readiness", report.words, {"limit": limit})
    out.heading("section.readiness")
    out.text(t("readiness.intro", priority=str((rules.priority_why or {})[report.lang])))
    pub = Publisher(report, "readiness")
    if rules.rules:  # what the groups and the need rest on, before the areas in them
        criteria = grade_criteria(t, rules, report.lang)
        # the order they are tried matters where a later rule has conditions of its own
        later = [r for r in rules.rules[1:] if not r.get("otherwise")]
        order = t("readiness.criteria.order", first=rules.rules[0]["grade"],
                  second=later[0]["grade"]) if later else ""
        draft = "" if rules.verified else t("readiness.criteria.draft")
        out.text(pub.record_numbers("\n".join([
            f"**{t('readiness.criteria.caption', draft=draft)}**", "", *(
                t("readiness.criteria.line", name=name, rule=rule)
                for name, rule in criteria.itertuples(index=False)), "",
            t("readiness.criteria.notes", order=order)]), "params/grades.yaml criterion"))
    tt = report.tambon_table.assign(code=lambda d: d["tambon_code"])
    small, hidden, shares = published_level1(pub, tt, report.households, "tambon_code")
    pts = _points(report, tt, hidden, small, None, shares)
    areas = t("readiness.areas.tambon")
    if pts["estimate"].notna().any():
        out.parts.append(_chart(report, rules, pts, _chart_caption(t, pts, areas)))
    cells, n_hidden = _cells(report, rules, tt, small, need_hidden(pub, tt["code"], hidden),
                             areas)
    out.table(cells, t("readiness.cells.caption", areas=areas),
              t("readiness.cells.hidden", areas=areas, n=n_hidden) if n_hidden else None)
    names = [f"{a} ({b})" for a, b in zip(tt["tambon_name"], tt["amphoe_name"], strict=True)]
    org = org_ranking_table(report, tt, names, "tambon",
                            groups=printed_groups(report, tt, small))
    total = len(org)
    if limit is not None:
        org = org.head(limit)
    org = _publish_org_ranking(pub, report, org, "tambon")
    notes = t("readiness.org.notes") + t("readiness.org.groups.tambon")
    if len(org) < total:
        notes = f"{notes} {t('readiness.org.limited', n=len(org), total=total)}"
    out.table(org, t("readiness.org.caption"),
              notes + _blank_note(t, org) + _pooled_left_out_note(report, pub, tt, names,
                                                                  len(org)),
              decimals=pub.digits("score"))
    return out.result(estimates=tt, details={"points": pts, "cells": cells,
                                             "organisations": org},
                      published=tuple(pub.entries))
