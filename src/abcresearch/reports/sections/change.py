"""Change since an earlier round: capital means, level shares, M0 and income poverty, with SEs.

The numbers come from :mod:`abcresearch.analysis.change` (change = later minus earlier, on the
stacked rounds with the design's PSUs carried across rounds, cached in the store). This module
decides what may be published:

* **disclosure**: each round's value is printed where that round's reports publish it, and a
  change only where both rounds' values may be published (a mean or M0 on at least
  ``threshold`` households in each round, a share whose count and complement are 0 or at least
  ``threshold`` in each round, neither hidden by its round's pattern: the earlier value is
  published in the earlier report, so a change would give the later one back);
* **noise**: where villages are the PSU, a tambon or amphoe resting on fewer sampled villages
  than ``params/status.yaml`` asks in either round has no between-village variance in its
  standard error; its change has no SE or interval ("not estimable") and is printed "–";
* **sentences**: a plain sentence is written only for a change whose interval excludes 0;
* **transitions**: overall levels of the households matched across the rounds (re-surveyed
  villages, linkable rounds only), counts suppressed and complemented as every count table.

An area with no earlier round in the store has no change section (the result is empty, so the
printed report is unchanged); an earlier round named by the researcher in which the area has no
households gets one line saying so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from abcresearch.analysis.change import ChangeAnalysis, load_change_rules
from abcresearch.analysis.status import load_status_rules
from abcresearch.labels import names_list
from abcresearch.reports import estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import (
    MEAN,
    Published,
    Publisher,
    SuppressionPattern,
    protected_table,
    round_pattern,
    share_mask,
    suppress_counts,
)
from abcresearch.reports.disclosure import change_limits as disclosure_change_limits
from abcresearch.reports.render.display import format_number
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.levels import LEVEL_BASE
from abcresearch.stats.poverty import poverty_line
from abcresearch.survey.areas import get_area

__all__ = ["DIGITS", "any_at_limits", "bound_digits", "change", "change_ledger",
           "change_limits", "change_records", "change_tables", "hidden_in_either_round",
           "hidden_in_round", "measure_cells", "measure_label", "measure_range_text",
           "publishable_measures", "published_change", "range_text", "within_change_limits"]

#: Decimals printed per kind of measure (shares printed as percentages of this many decimals).
DIGITS = {"mean": 1, "share": 1, "m0": 3}


def _kind(measure: str) -> str:
    if measure.startswith("mean_"):
        return "mean"
    if measure == "m0":
        return "m0"
    return "share"  # share_level<j>, poverty_headcount


def _scale(measure: str) -> float:
    return 100.0 if _kind(measure) == "share" else 1.0


def bound_digits(low: float, high: float, digits: int, scale: float = 1.0) -> int:
    """Decimals that keep an interval excluding 0 from printing a bound of 0.

    "-0.135 (-0.270 ถึง 0.000) ดีขึ้น" read as an interval touching 0 beside a verdict that it
    excludes 0 (a review): a bound on the far side of 0 gets up to two more decimals, until it
    is written as other than zero.
    """
    for extra in range(3):
        d = digits + extra
        if all(not (abs(float(format_number(b, d, scale=scale, grouping=""))) == 0 and b != 0)
               for b in (low, high) if pd.notna(b)):
            return d
    return digits + 2


def range_text(t: Any, estimate: float, low: float, high: float, digits: int,
               scale: float = 1.0) -> str:
    """Write a change and its interval as every change table does: "6.2 (1.1 ถึง 11.3)"."""
    d = bound_digits(low, high, digits, scale)
    return t("rollout.change.range", change=format_number(estimate, digits, scale=scale),
             low=format_number(low, d, scale=scale), high=format_number(high, d, scale=scale))


def measure_range_text(t: Any, row: pd.Series) -> str:
    """Write a change-table row's change and interval in its measure's unit and decimals.

    "–" where the change is not printed, and where it has no interval: a difference without
    its margin of error (two rounds that sampled different villages) read as a real fall of
    20 points under a heading that promises an interval (a reader review), and the table's
    notes say a dash is a change whose error cannot be estimated.
    """
    m = row["measure"]
    d, s = DIGITS[_kind(m)], _scale(m)
    if pd.isna(row["estimate"]) or pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return "–"
    return range_text(t, row["estimate"], row["ci_low"], row["ci_high"], d, s)


def _json_digits(measure: str) -> int:
    """Decimals of a published value in its own unit (a share printed as 12.3% is 0.123)."""
    k = _kind(measure)
    return DIGITS[k] + (2 if k == "share" else 0)


def publishable_measures(hh: pd.DataFrame, measures: pd.Series, rounds: tuple[int, ...],
                 threshold: int) -> pd.Series:
    """Whether each measure's value may be published in every one of ``rounds`` (disclosure)."""
    ok = pd.Series(True, index=measures.index)
    for r in rounds:
        sub = hh[hh["round"] == r]
        lev = sub["overall_level"] if "overall_level" in sub else pd.Series(dtype=float)
        try:
            line = poverty_line(int(r)).value
        except Exception:  # no line for the year: the measure is absent anyway
            line = None
        inc = sub["income_pc"].dropna() if "income_pc" in sub else pd.Series(dtype=float)
        for i, m in measures.items():
            if m.startswith("mean_"):
                base = int(sub[m[5:]].notna().sum()) if m[5:] in sub else 0
                good = base >= threshold
            elif m == "m0":
                good = len(sub) >= threshold
            elif m.startswith("share_level"):
                j = int(m[len("share_level"):])
                good = not share_mask(np.array([(lev == j).sum()]),
                                      np.array([lev.notna().sum()]), threshold)[0]
                good = good and lev.notna().sum() >= threshold
            elif m == "poverty_headcount" and line is not None:
                good = not share_mask(np.array([(inc < line).sum()]), np.array([len(inc)]),
                                      threshold)[0] and len(inc) >= threshold
            else:
                good = False
            ok[i] = ok[i] and bool(good)
    return ok


#: The round's pattern cells of each share measure of the change table (numerator, base).
_SHARE_CELLS = {
    "poverty_headcount": (estimates.BELOW_LINE, estimates.WITH_INCOME),
    **{f"share_level{k}": (((m, k),), LEVEL_BASE) for m, k in LEVEL_BASE},
}


def measure_cells(measure: str) -> tuple[str, tuple[tuple[str, str], ...],
                                          tuple[tuple[str, str], ...]]:
    """Return what a change-table measure is in the ledger: its kind, cells and base.

    ``("share", numerator, base)`` for a level's or the income line's share, ``("mean",
    ((measure, "mean"),), ())`` for a capital's mean score or M0, as each round's own reports
    record it (:class:`~abcresearch.reports.disclosure.Published`).
    """
    if measure in _SHARE_CELLS:
        num, base = _SHARE_CELLS[measure]
        return "share", tuple(num), tuple(base)
    if measure.startswith("mean_"):
        return "mean", ((f"score:{measure[5:]}", MEAN),), ()
    return "mean", ((measure, MEAN),), ()


def change_limits(measure: str) -> tuple[float, float]:
    """Return the least and most a change-table measure can change by between two rounds.

    A level's share and M0 by 1 (100 percentage points) either way, a capital's mean score by
    100 (:func:`abcresearch.reports.disclosure.change_limits`).
    """
    kind, cells, _ = measure_cells(measure)
    return disclosure_change_limits(kind, cells)


def within_change_limits(rows: pd.DataFrame) -> pd.DataFrame:
    """Return change rows whose intervals stop at the least and most each change can be.

    A t interval on a few villages passed them ("-8.3 (-106.6 ถึง 90.1)" on a share of
    households; a reader review). The estimate and its standard error are left as they are,
    and so is whether the interval excludes 0 (it stops beyond the estimate, never at 0).
    """
    if rows.empty:
        return rows
    limits = [change_limits(str(m)) for m in rows["measure"]]
    low = np.array([lim[0] for lim in limits])
    high = np.array([lim[1] for lim in limits])
    # (np.maximum keeps a NaN: no interval)
    return rows.assign(ci_low=np.maximum(rows["ci_low"].to_numpy(float), low),
                       ci_high=np.minimum(rows["ci_high"].to_numpy(float), high))


def any_at_limits(rows: pd.DataFrame) -> bool:
    """Whether a printed change's interval stops at the least or most its change can be.

    ``rows``: the change rows printed with their intervals; a table printing one says that
    such an interval is shown up to the limit only (``rollout.change.at_limits``).
    """
    return any(any(_at_limits(str(m), float(lo), float(hi))) for m, lo, hi in
               zip(rows["measure"], rows["ci_low"], rows["ci_high"], strict=True)
               if pd.notna(lo) and pd.notna(hi))


def _at_limits(measure: str, low: float, high: float) -> tuple[bool, bool]:
    """Whether a change interval's ends are where :func:`within_change_limits` stops them."""
    floor, ceiling = change_limits(measure)
    return bool(low <= floor), bool(high >= ceiling)


def _printed(value: float, digits: int, scale: float) -> tuple[str, float, tuple[float, float]]:
    """Print a number as a change table does: its text, value and where the unrounded one lies."""
    text = format_number(value, digits, scale=scale)
    shown = float(text.replace(",", "")) / scale
    half = 0.5 * 10.0 ** -digits / scale
    return text, shown, (shown - half, shown + half)


def change_ledger(section: str, rows: pd.DataFrame, area: str | None = None
                  ) -> list[Published]:
    """Record what a change table prints, for the disclosure test across rounds.

    Each round's value (``rounds=(round,)``: the earlier one is another round's households)
    and the change with its interval (``kind="change"``, ``rounds=(earlier, later)``), as
    :func:`_table` and :func:`measure_range_text` write them; rows whose change is not printed
    (hidden, or without an interval: "–") record only their rounds' values.

    Parameters
    ----------
    section : str
        The section printing them.
    rows : pandas.DataFrame
        Published change rows (:func:`published_change`), the printed ones only; without
        ``estimate_from`` and ``estimate_to`` (a list of changes), the changes alone.
    area : str, optional
        The area the rows describe (default: each row's ``area_code``).
    """
    out: list[Published] = []
    for _, r in rows.iterrows():
        m = str(r["measure"])
        kind, cells, base = measure_cells(m)
        d, s = DIGITS[_kind(m)], _scale(m)
        rounds = (int(r["round_from"]), int(r["round_to"]))
        code = str(r["area_code"]) if area is None else area
        if "estimate_from" in r.index:
            for be, col in zip(rounds, ("estimate_from", "estimate_to"), strict=True):
                if pd.notna(r[col]):
                    text, value, bounds = _printed(float(r[col]), d, s)
                    out.append(Published(section, kind, code, cells, base, text, value,
                                         bounds, rounds=(be,)))
        # a change is printed with its interval or not at all (measure_range_text)
        if pd.isna(r["estimate"]) or pd.isna(r["ci_low"]) or pd.isna(r["ci_high"]):
            continue
        text, value, bounds = _printed(float(r["estimate"]), d, s)
        dd = bound_digits(r["ci_low"], r["ci_high"], d, s)
        lo_text, _, lo_b = _printed(float(r["ci_low"]), dd, s)
        hi_text, _, hi_b = _printed(float(r["ci_high"]), dd, s)
        # an end stopped at the least or most the change can be (within_change_limits) says
        # only that the interval's end lies beyond it: the interval as printed is then not
        # centred on the change (the cross-round test takes the centre of one that is)
        low_open, high_open = _at_limits(m, float(r["ci_low"]), float(r["ci_high"]))
        if low_open:
            lo_b = (-np.inf, lo_b[1])
        if high_open:
            hi_b = (hi_b[0], np.inf)
        out.append(Published(section, "change", code, cells, base, text, value, bounds,
                             (lo_b, hi_b), (lo_text, hi_text), name=kind, rounds=rounds))
    return out


def hidden_in_either_round(ch: ChangeAnalysis, area: str, measures: pd.Series,
                           threshold: int, store: Any = None) -> pd.Series:
    """Whether either round's own suppression pattern hides each change-table measure of an area.

    Every table that prints a change (an area's change section, the province's list of tambons
    that changed) applies it: a change printed beside the later round's value gives back the
    earlier one, which that round's reports hid (a review found the province's list printing
    a tambon's level-1 change that its own report hid).

    Parameters
    ----------
    ch : ChangeAnalysis
        The two rounds.
    area : str
        The area's code.
    measures : pandas.Series
        Change-table measure names.
    threshold : int
        Smallest publishable count.
    store : path, optional
        The store (as :func:`~abcresearch.reports.disclosure.round_pattern`).

    Returns
    -------
    pandas.Series of bool
        Indexed as ``measures``.
    """
    from abcresearch.reports import disclosure

    hidden = pd.Series(False, index=measures.index)
    for analysis in (ch.earlier, ch.later):
        pattern = round_pattern(analysis, threshold, store,
                                secondary=disclosure.SECONDARY_SUPPRESSION)
        hidden |= measures.map(lambda m, p=pattern: hidden_in_round(p, area, m)).astype(bool)
    return hidden


def hidden_in_round(pattern: SuppressionPattern, area: str, measure: str) -> bool:
    """Whether a round's suppression pattern hides a change-table measure of an area.

    The change table prints each round's value of a share or mean; each round's own reports
    published it, or hid it, under that round's pattern (the share below the income line is
    hidden where its income bands would give a hidden one back), and the table must not print
    what they hid, at a finer precision at that.
    """
    if measure in _SHARE_CELLS:
        num, base = _SHARE_CELLS[measure]
        return pattern.share_hidden(area, num, base)
    if measure.startswith("mean_"):
        return pattern.hidden(f"score:{measure[5:]}", area, MEAN)
    if measure == "m0":
        return pattern.hidden("m0", area, MEAN)
    return False


def published_change(report: AreaContext, compare_round: int | None = None
                     ) -> tuple[ChangeAnalysis | None, pd.DataFrame]:
    """Return the area's change rows as published (disclosure and the noise rule applied).

    Parameters
    ----------
    report : AreaContext
        The area.
    compare_round : int, optional
        The earlier round (default: the latest earlier round in which the area has households).

    Returns
    -------
    analysis : ChangeAnalysis or None
        None when no earlier round holds the area.
    rows : pandas.DataFrame
        ``measure, round_from, round_to, estimate_from, estimate_to, estimate, se, ci_low,
        ci_high`` (unrounded; NaN where suppressed or not estimable), ``published`` (the
        disclosure rule), ``estimable`` (the SE and interval may be printed) and
        ``beyond_noise`` (the interval excludes 0).
    """
    # the key findings and the change section print the same rows: worked out once a report
    ch, rows = report.cached(("published_change", report.compare_round(compare_round)),
                             lambda: _published_change(report, compare_round))
    return ch, rows.copy()


def _published_change(report: AreaContext, compare_round: int | None
                      ) -> tuple[ChangeAnalysis | None, pd.DataFrame]:
    ch = report.change_analysis(compare_round)
    cols = ["measure", "round_from", "round_to", "estimate_from", "estimate_to", "estimate",
            "se", "ci_low", "ci_high", "published", "estimable", "beyond_noise"]
    if ch is None:
        return None, pd.DataFrame(columns=cols)
    rows = ch.area(report.area.code)
    if rows.empty or rows["estimate"].isna().all():
        return ch, pd.DataFrame(columns=cols)
    rows = rows[rows["estimate"].notna()].reset_index(drop=True)
    hh = ch.households(report.area.code)
    # each round's value as that round's reports publish it (the later round's share printed
    # "–" beside the 56% every other page of the report gave: a reader review), the change
    # only where both are: what either round's own pattern hides stays hidden
    from abcresearch.reports import disclosure  # its switch read at the call (the tests')

    store = getattr(report, "store", None)
    shown_in = []
    for be, analysis in ((ch.round_from, ch.earlier), (ch.round_to, ch.later)):
        pattern = round_pattern(analysis, report.threshold, store,
                                secondary=disclosure.SECONDARY_SUPPRESSION)
        shown_in.append(publishable_measures(hh, rows["measure"], (be,), report.threshold)
                        & ~rows["measure"].map(lambda m, p=pattern: hidden_in_round(
                            p, report.area.code, m)).astype(bool))
    pub = shown_in[0] & shown_in[1]
    msv = load_status_rules().min_sampled_villages
    thin = (report.level != "village" and ch.psu == "village"
            and (rows["villages_from"].min() < msv or rows["villages_to"].min() < msv))
    out = rows[["measure", "round_from", "round_to", "estimate_from", "estimate_to",
                "estimate", "se", "ci_low", "ci_high"]].copy()
    out["published"] = pub.to_numpy()
    # an interval to print (a df of 0 under the smaller round's rule has none; a code review)
    out["estimable"] = (out["published"] & (not thin) & out["se"].notna()
                        & out["ci_low"].notna() & out["ci_high"].notna())
    out.loc[~shown_in[0].to_numpy(), "estimate_from"] = np.nan
    out.loc[~shown_in[1].to_numpy(), "estimate_to"] = np.nan
    out.loc[~out["published"], "estimate"] = np.nan
    if not ch.same_poverty_line:  # each round's share stands; their difference is not a change
        moved = out["measure"] == "poverty_headcount"
        out.loc[moved, "estimate"] = np.nan
        out.loc[moved, "estimable"] = False
    for c in ("se", "ci_low", "ci_high"):
        out.loc[~out["estimable"], c] = np.nan
    out = within_change_limits(out)
    out["beyond_noise"] = out["estimable"] & ((out["ci_low"] > 0) | (out["ci_high"] < 0))
    return ch, out[cols]


def change_records(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the summary JSON's ``change`` entries.

    Published values rounded as printed (shares as fractions of the printed percentage's
    precision), None where suppressed or without an interval (printed "–").
    """
    out = []
    for _, r in rows.iterrows():
        d = _json_digits(r["measure"])

        def val(x: Any, d: int = d) -> float | None:
            return None if pd.isna(x) else round(float(x), d)

        # a change without its interval is not published, in the PDF or here
        bare = pd.isna(r["ci_low"]) or pd.isna(r["ci_high"])
        out.append({"measure": r["measure"], "round_from": int(r["round_from"]),
                    "round_to": int(r["round_to"]),
                    "estimate": None if bare else val(r["estimate"]),
                    "se": val(r["se"]), "ci_low": val(r["ci_low"]),
                    "ci_high": val(r["ci_high"])})
    return out


def measure_label(report: AreaContext, measure: str) -> str:
    """Name a change-table measure in the report's language."""
    if measure.startswith("mean_"):
        return report.t("rollout.change.mean", capital=report.capital_label(measure[5:]))
    if measure.startswith("share_level"):
        j = int(measure[len("share_level"):])
        return report.t("rollout.change.share_level", level=j,
                        label=report.analysis.scheme.level_label(j, report.lang))
    return report.t(f"rollout.change.{measure}")


def _table(report: AreaContext, rows: pd.DataFrame, ch: ChangeAnalysis) -> pd.DataFrame:
    """Return the change table: each round's value, the change and its interval in one column.

    (Seven columns of numbers, the change's standard error and bounds apart, left the
    measure's name a few letters wide; the standard errors stay in the section's estimates.)
    """
    t = report.t

    def printed(col: str) -> list[float]:
        # rounded half up in decimal, as every report prints the round's value (the value
        # scaled in binary first printed 0.0745 as 7.4 where the round's report printed 7.5)
        return [float(format_number(v, DIGITS[_kind(m)], scale=_scale(m), grouping=""))
                if pd.notna(v) else np.nan for m, v in zip(rows["measure"], rows[col],
                                                           strict=True)]

    return pd.DataFrame({
        t("col.measure"): [measure_label(report, m) for m in rows["measure"]],
        t("rollout.change.col_round", be=ch.round_from): printed("estimate_from"),
        t("rollout.change.col_round", be=ch.round_to): printed("estimate_to"),
        t("rollout.change.col_change_ci"): [measure_range_text(t, r) for _, r in rows.iterrows()],
    })


def _sentence(report: AreaContext, r: pd.Series, ch: ChangeAnalysis, see_table: bool = False
              ) -> str:
    """Write a change beyond the noise as a sentence.

    ``see_table``: the table of level changes is printed below, and a middle level's note
    points to it.
    """
    rules = load_change_rules()
    m = r["measure"]
    k = _kind(m)
    s = _scale(m)
    d = DIGITS[k]
    way = rules.direction(m) * (1 if r["estimate"] > 0 else -1)
    verdict = {1: report.t("rollout.change.better"), -1: report.t("rollout.change.worse"),
               0: ""}[way]
    levels = report.analysis.scheme.levels
    if m.startswith("share_level") and way == 0 and int(m[len("share_level"):]) not in (
            min(levels), max(levels)):
        # a middle level's share has no better way: "ระดับ 2 ลดลง" read as bad news where
        # households had moved up from it (a review)
        note = " " + report.t("rollout.change.middle_level", level=int(m[len("share_level"):]),
                              see=report.t("rollout.change.middle_level_see")
                              if see_table else "")
    else:
        note = ""
    return report.t(
        "rollout.change.sentence", measure=measure_label(report, m),
        direction=report.t("rollout.change.up" if r["estimate"] > 0 else "rollout.change.down"),
        amount=format_number(abs(r['estimate']), d, scale=s),
        unit=report.t(f"rollout.change.unit_{k}") if k != "m0" else "",
        verdict=verdict, be_from=ch.round_from, be_to=ch.round_to, note=note,
        low=format_number(r['ci_low'], bound_digits(r['ci_low'], r['ci_high'], d, s), scale=s),
        high=format_number(r['ci_high'], bound_digits(r['ci_low'], r['ci_high'], d, s),
                           scale=s)).replace("  ", " ")


def _transition_plan(report: AreaContext, ch: ChangeAnalysis) -> dict[str, Any]:
    """Decide whether the table of matched households' moves between levels is printed.

    Returns the section's details (``counts``, ``transitions``, ``suppressed``), with
    ``message``: the sentence printed instead of the table (None: the table is printed, or
    nothing is said), and the table's cells (``table``, ``shown``) when it is printed.
    """
    t = report.t
    tr, counts = ch.transitions(report.area.code)
    if not ch.linked:
        return {"counts": counts, "message": t("rollout.change.not_linkable",
                                                be_from=ch.round_from, be_to=ch.round_to)}
    if tr is None or counts["matched"] < report.threshold:
        return {"counts": counts, "message": None}
    levels = list(tr.counts.index)
    table = tr.counts.astype("int64")
    shown, mask = suppress_counts(table, report.threshold)
    if not protected_table(table, mask, report.threshold):
        # the printed total would give a small cell back whatever else is hidden
        return {"counts": counts, "transitions": tr, "suppressed": mask,
                "message": t("rollout.change.transitions_hidden")}
    # a level's households that either round's reports hid: the table's row or column (with
    # the households matched and the area's own) would give them back, as the disclosure test
    # across rounds found (a column of zeros beside the one household not matched)
    hid = hidden_in_either_round(ch, report.area.code,
                                 pd.Series([f"share_level{j}" for j in levels], index=levels),
                                 report.threshold, getattr(report, "store", None))
    if hid.any():
        joined = names_list(t, [str(j) for j in levels if hid[j]])
        return {"counts": counts, "transitions": tr, "suppressed": mask,
                "message": t("rollout.change.transitions_hidden_levels", be_from=ch.round_from,
                             be_to=ch.round_to,
                             levels=t("rollout.change.levels_named", levels=joined))}
    return {"counts": counts, "transitions": tr, "suppressed": mask, "message": None,
            "table": table, "shown": shown}


def _transitions(report: AreaContext, ch: ChangeAnalysis, out: SectionBuilder,
                 entries: list[Published], plan: dict[str, Any]) -> dict[str, Any]:
    """Print the matched households' moves between levels (:func:`_transition_plan`).

    Its cells are recorded in ``entries``.
    """
    t = report.t
    details = {k: v for k, v in plan.items() if k in ("counts", "transitions", "suppressed")}
    if plan["message"] is not None:
        out.text(plan["message"])
    if "table" not in plan:
        return details
    tr, counts, table, mask = plan["transitions"], plan["counts"], plan["table"], plan["suppressed"]
    shown_cells = plan["shown"]
    shown = shown_cells.copy()
    levels = list(tr.counts.index)
    lab = {j: report.analysis.scheme.level_label(j, report.lang) for j in levels}
    shown.index = [lab[j] for j in levels]
    shown.columns = [lab[j] for j in levels]
    shown = shown.reset_index(names=t("rollout.change.level_from", be=ch.round_from))
    c = table.to_numpy()
    base = int(c.sum())
    # a matched household without a level in a round is not in the table: the notes say so,
    # with the table's count only where the households left out are not a small count (the
    # two numbers side by side would print it)
    left_out = int(counts["matched"]) - base
    say_base = left_out == 0 or left_out >= report.threshold
    # a small count left out: the matched households are not printed either (beside the
    # cells, which add up to the table's count, they would give it back; a code review), the
    # notes count the table's households and say some matched ones are not in it
    notes = t("rollout.change.transitions_notes",
              matched=f"{counts['matched'] if say_base else base:,}",
              be_from=ch.round_from, be_to=ch.round_to)
    if left_out:
        notes += " " + (t("rollout.change.transitions_in_table", n=f"{base:,}") if say_base
                        else t("rollout.change.transitions_in_table_only"))
    out.text(f"### {t('rollout.change.transitions_heading')}")
    out.table(shown, t("rollout.change.transitions_caption", be_from=ch.round_from,
                       be_to=ch.round_to), notes, decimals=0)
    for (i, j), value in table.stack().items():
        cell_hidden = bool(mask.at[i, j])
        entries.append(Published(
            "change", "transition", report.area.code,
            (("overall_level", str(i)), ("overall_level", str(j))),
            text=str(shown_cells.at[i, j]) if cell_hidden else format_number(value, 0),
            value=None if cell_hidden else float(value),
            bounds=None if cell_hidden else (float(value), float(value)),
            name=str(counts["matched"]), rounds=(ch.round_from, ch.round_to)))
    if left_out and say_base:  # the table's own count, the sum of its cells
        entries.append(Published("change", "other", report.area.code, text=f"{base:,}",
                                 name="households in the table",
                                 rounds=(ch.round_from, ch.round_to)))
    up = int(np.triu(c, 1).sum())
    down = int(np.tril(c, -1).sum())
    hidden = share_mask(np.array([up, down]), np.array([base, base]), report.threshold)
    # the shares moving up and down add cells of the table: say them only when no cell they
    # add up was hidden, so they cannot give a hidden cell back
    off_diagonal = ~np.eye(len(levels), dtype=bool)
    if not hidden.any() and base and not mask.to_numpy()[off_diagonal].any():
        up_text, down_text = (format_number(x / base, 0, scale=100) for x in (up, down))
        out.text(t("rollout.change.moved", up=up_text, down=down_text, matched=f"{base:,}")
                 if say_base else t("rollout.change.moved_in_table", up=up_text,
                                    down=down_text))
        # sums of printed cells over their printed total: nothing the cells do not say
        entries += [Published("change", "other", report.area.code, text=x, name=name,
                              rounds=(ch.round_from, ch.round_to))
                    for x, name in ((up_text, "moved up"), (down_text, "moved down"))]
    return details


NAMED_VILLAGES = 8
"""A tambon's change section names each round's surveyed villages where neither round has
more ("หมู่ที่ 2" alone is a village of the tambon; an amphoe's would need its tambon too)."""


def _basis(report: AreaContext, ch: ChangeAnalysis, pub: Publisher, intervals: bool = True
           ) -> str:
    """Say what each round's numbers of the area rest on: its surveyed villages, both rounds'.

    ``pub`` records the counts of villages it prints. ``intervals``: whether the table shows
    any interval (an area on too few sampled villages has none, and the sentence said its
    intervals include the villages' sampling).
    """
    code = report.area.code
    later = set(report.households["village_code"].astype(str))
    earlier = set(ch.earlier.area_households(code, columns=["village_code"])["village_code"]
                  .astype(str))

    def shown(name: str, value: int) -> str:
        return pub.public(name, value, area=code).text

    total = shown("villages_total", report.status.coverage.villages_total)
    if earlier == later:
        return report.t("rollout.change.basis_same", n=shown("villages_surveyed", len(later)),
                        total=total)
    # which villages, by name, where they are few: "สองรอบนี้สำรวจ 1 หมู่บ้านที่สำรวจทั้งสองรอบ"
    # with no names left a committee guessing which village its numbers came from (a review)
    both = earlier & later
    named = report.level == "tambon" and max(len(earlier), len(later)) <= NAMED_VILLAGES

    def names(codes: set[str]) -> str:
        return ", ".join(get_area(c).label(report.lang) for c in sorted(codes))

    def listed(codes: set[str]) -> str:
        return report.t("rollout.change.basis_list", names=names(codes)) if named else ""

    if not both:
        both_text = report.t("rollout.change.basis_none")
    elif named:
        both_text = report.t("rollout.change.basis_both_named", names=names(both))
    else:
        both_text = report.t("rollout.change.basis_both",
                             both=shown("villages_surveyed_both", len(both)))
    return report.t("rollout.change.basis_differs", be_from=ch.round_from, be_to=ch.round_to,
                    n_from=shown("villages_surveyed_from", len(earlier)),
                    n_to=shown("villages_surveyed", len(later)), total=total,
                    list_from=listed(earlier), list_to=listed(later), both=both_text,
                    intervals=report.t("rollout.change.basis_intervals") if intervals else "")


def change_tables(report: AreaContext, ch: ChangeAnalysis, rows: pd.DataFrame,
                  out: SectionBuilder, see_table: bool = False, section: str = "change"
                  ) -> list[Published]:
    """Write an area's change tables and what they say into a section.

    The table of capital means and shares, the M0 table, a sentence for each change beyond
    the noise (or that none is), and why some changes have no interval or no change at all.
    The area's change section writes them, and the province overview writes the province's.

    Parameters
    ----------
    report : AreaContext
        The area.
    ch : ChangeAnalysis
        The two rounds.
    rows : pandas.DataFrame
        The area's published change rows (:func:`published_change`), not empty.
    out : SectionBuilder
        The section to write into.
    see_table : bool
        Whether the table of level changes is printed after them (a middle level's sentence
        points to it).
    section : str
        The section id recorded in the ledger.

    Returns
    -------
    list of Published
        What they print (:func:`change_ledger`).
    """
    t = report.t
    # what the tables and sentences print, for the disclosure test across rounds
    entries = change_ledger(section, rows[rows["published"] | rows["estimate_from"].notna()
                                          | rows["estimate_to"].notna()], report.area.code)
    main = rows[rows["measure"] != "m0"].reset_index(drop=True)
    m0 = rows[rows["measure"] == "m0"].reset_index(drop=True)
    notes = t("rollout.change.notes", be_from=ch.round_from, be_to=ch.round_to)
    if not ch.same_poverty_line and (main["published"]
                                     & (main["measure"] == "poverty_headcount")).any():
        # the row's dash is for the lines, not for the legend's reasons (a reader review)
        notes += t("rollout.change.notes_lines")
    if not main.empty:
        out.table(_table(report, main, ch), t("rollout.change.caption", be_from=ch.round_from,
                                              be_to=ch.round_to), notes,
                  decimals=DIGITS["mean"])
    if not m0.empty:
        out.table(_table(report, m0, ch), t("rollout.change.caption_m0",
                                            be_from=ch.round_from, be_to=ch.round_to),
                  t("rollout.change.notes_m0", be_from=ch.round_from, be_to=ch.round_to),
                  decimals=DIGITS["m0"])
    beyond = rows[rows["beyond_noise"]]
    if not beyond.empty:
        out.text("\n".join(f"- {_sentence(report, r, ch, see_table)}"
                           for _, r in beyond.iterrows()))
        # and the rest of the table is said too: a list of changes alone read as if nothing
        # else had been measured (a review)
        if (rows["estimable"] & ~rows["beyond_noise"]).any():
            out.text(t("rollout.change.rest_within_noise"))
    elif rows["estimable"].any():
        out.text(t("rollout.change.none_beyond_noise"))
    if any_at_limits(rows[rows["estimable"] & rows["published"]]):
        out.text(t("rollout.change.at_limits"))
    if ((rows["published"] & ~rows["estimable"]) & rows["estimate"].notna()).any():
        out.text(t("rollout.change.not_estimable",
                   min_villages=load_status_rules().min_sampled_villages))
    lines = ch.poverty_lines
    if (not ch.same_poverty_line and None not in lines
            and (rows["published"] & (rows["measure"] == "poverty_headcount")).any()):
        out.text(t("rollout.change.lines_differ", be_from=ch.round_from, be_to=ch.round_to,
                   line_from=f"{lines[0]:,.0f}", line_to=f"{lines[1]:,.0f}"))
    return entries


def change(report: AreaContext, *, compare_round: int | None = None) -> SectionResult:
    """Change since an earlier round (see the module docstring).

    Parameters
    ----------
    report : AreaContext
        The area.
    compare_round : int, optional
        The earlier round; None: the latest earlier round of the store in which the area has
        households (no section when there is none).

    Returns
    -------
    SectionResult
        Empty (nothing shown) when no earlier round holds the area. ``estimates``: the
        published rows, unrounded; ``details``: ``change`` (the area's unrounded,
        unsuppressed rows), ``records`` (the summary JSON entries), ``psu``, ``linked``.
    """
    t = report.t
    out = SectionBuilder("change", report.words, {"compare_round": compare_round})
    ch, rows = published_change(report, compare_round)
    if ch is None:
        return out.result(details={"records": []})
    out.text(f"## {t('rollout.change.heading', be=ch.round_from)}")
    pub = Publisher(report, "change")
    if report.level != "village" and not rows.empty:
        out.text(_basis(report, ch, pub, bool(rows["estimable"].any())))
    if rows.empty:
        out.text(t("rollout.change.not_in_round", area=report.area_name(), be=ch.round_from))
        return out.result(details={"records": [], "psu": ch.psu, "linked": ch.linked},
                          published=tuple(pub.entries))
    plan = _transition_plan(report, ch)
    entries = [*pub.entries, *change_tables(report, ch, rows, out, "table" in plan)]
    details = _transitions(report, ch, out, entries, plan)
    psu_note = ("rollout.change.psu_village_report" if report.level == "village"
                else "rollout.change.psu_household" if ch.psu == "household"
                else "rollout.change.psu_village")
    note = [t(psu_note), t("rollout.change.method",
                           df=t(f"rollout.change.df.{load_change_rules().interval_df}"))]
    if not ch.lines_verified:
        note.append(t("rollout.change.lines_unverified"))
    out.text(" ".join(note))
    records = change_records(rows)
    return out.result(estimates=rows, published=tuple(entries), details={
        "change": ch.area(report.area.code), "records": records, "psu": ch.psu,
        "linked": ch.linked, **details})
