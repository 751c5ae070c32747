"""Levels and tracks.

estimated households by overall level in each area within (with the sample size beside them), the
share of households at each level of each capital, and the estimated households on each development
track. Every number goes through the disclosure step
(:class:`~abcresearch.reports.disclosure.Publisher`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.labels import round_half_up
from abcresearch.reports import charts, estimates
from abcresearch.reports.context import CHILD_COLUMN, AreaContext
from abcresearch.reports.disclosure import Publisher, Shown
from abcresearch.reports.results import Figure, SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.profile import check_capitals

__all__ = ["LEVEL_CATEGORIES", "level1_households", "level1_share", "level_condition_text",
           "level1_printed", "levels_and_tracks", "levels_defined_text", "to_unit_of"]

#: Categories of the overall level, in table order (NA: not scored).
LEVEL_CATEGORIES = ("1", "2", "3", estimates.NA)
_LEVEL_KEYS = {"1": "col.level1", "2": "col.level2", "3": "col.level3",
               estimates.NA: "col.level_missing"}
LEVEL1 = (("overall_level", "1"),)
LEVEL_BASE = tuple(("overall_level", k) for k in ("1", "2", "3"))
#: Levels shown together where one of them is hidden and the rest of the area's levels are not
#: (:meth:`~abcresearch.reports.disclosure.SuppressionPattern.union_hidden`): a village with
#: three households at level 3 still tells how many are at levels 2-3.
JOINED_LEVELS = ("2", "3")


def _joined_needed(pub: Publisher, measure: str, area: str) -> bool:
    """Whether levels 2 and 3 of ``measure`` are shown together in ``area`` only (one hidden)."""
    pattern = pub.pattern
    return any(pattern.hidden(measure, area, k) for k in JOINED_LEVELS) \
        and not pattern.union_hidden(measure, area, JOINED_LEVELS)


def _joined_cell(pub: Publisher, measure: str, area: str) -> bool:
    """Whether a row of a table with the joined column prints a cell there.

    Where the union of levels 2 and 3 is shown and one of them is hidden (its value), and
    where both are hidden (the union's marker where it is hidden too: a blank beside "× ×"
    read as a figure left out; a reader review). Beside a level 2 or 3 that is shown, a
    hidden union stays blank (its marker would say nothing the row does not).
    """
    hidden = [pub.pattern.hidden(measure, area, k) for k in JOINED_LEVELS]
    return all(hidden) or _joined_needed(pub, measure, area)


def level_condition_text(t: Callable[..., str], cond: Mapping[str, Any],
                         label: Callable[[str], str]) -> str:
    """Say one condition of an overall-level rule of the scheme ("มีทุนระดับ 1 อย่างน้อย 4 ด้าน").

    ``label`` names a capital by its id.
    """
    if "count_at_level" in cond and cond.get("at_most") == 0:
        return t("appendix.rule.count_none", level=cond["count_at_level"])
    if "count_at_level" in cond:
        key = "appendix.rule.count_at_least" if "at_least" in cond else \
            "appendix.rule.count_at_most"
        return t(key, level=cond["count_at_level"],
                 n=cond.get("at_least", cond.get("at_most")))
    if "any_of" in cond:
        return t("appendix.rule.any_of", capitals=" / ".join(label(c) for c in cond["any_of"]),
                 level=cond["at_level"])
    return str(cond)


def levels_defined_text(report: AreaContext) -> str:
    """Say how a capital's level and a household's overall level are set, from the scheme.

    The score bands of the capitals (once where every capital shares them), the overall-level
    rules grouped by level in the order tried, and the fewest capitals a level needs. The
    levels section said only what each level should receive, so a forum could not tell its
    41% at level 1 from the 67% poor in many dimensions beside it (a reader review).
    """
    t, sch = report.t, report.analysis.scheme
    bands = {tuple(cap.bands) for cap in sch.capitals}
    parts = []
    if len(bands) == 1:
        (shared,) = bands
        said = []
        for i, (level, lo, hi) in enumerate(shared):
            key = "first" if i == 0 else "last" if i == len(shared) - 1 else "middle"
            said.append(t(f"levels.define.band.{key}", level=level, lo=f"{lo:g}", hi=f"{hi:g}"))
        parts.append(t("levels.define.bands", n=len(shared),
                       bands=t("levels.define.band.sep").join(said)))
    else:
        parts.append(t("levels.define.bands_own"))
    by_level: dict[int, list[str]] = {}
    otherwise = None
    for rule in sch.overall.get("rules", []):
        if rule.get("otherwise"):
            otherwise = int(rule["level"])
            continue
        joiner = t("levels.define.and") if "all" in rule else t("levels.define.or")
        by_level.setdefault(int(rule["level"]), []).append(joiner.join(
            level_condition_text(t, c, report.capital_label)
            for c in rule.get("all", rule.get("any", []))))
    rules = [t("levels.define.rule", level=level, conditions=t("levels.define.or").join(conds))
             for level, conds in by_level.items()]
    if otherwise is not None:
        rules.append(t("levels.define.otherwise", level=otherwise))
    parts.append(t("levels.define.overall", rules=t("levels.define.rule_sep").join(rules)))
    least, n = int(sch.overall.get("min_capitals_scored") or len(sch.capitals)), len(sch.capitals)
    missing = t(_LEVEL_KEYS[estimates.NA])
    parts.append(t("levels.define.min", min=least, n=n, missing=missing)
                 + (t("levels.define.min_partial", min=least, missing=missing)
                    if least < n else ""))
    return "\n".join([f"**{t('levels.define.head')}**", "", *(f"- {p}" for p in parts)])


def level1_share(pub: Publisher, area: str, value: float, low: float | None = None,
                 high: float | None = None) -> Shown:
    """Publish the share of households at overall level 1 among those with a level.

    The one way every section (levels table, villages table, key findings, summary) writes
    this share, so that it is hidden and rounded alike everywhere.

    Returns
    -------
    Shown
    """
    return pub.share(area, LEVEL1, LEVEL_BASE, value, low, high)


def level1_households(pub: Publisher, area: str, count: float, share: float,
                      low: float | None = None, high: float | None = None) -> Shown:
    """Publish the estimated households at level 1 said beside their share ("or about N").

    As precise as the share it is said with: rounded to the power of ten its interval (or the
    printed share's last digit) reaches in households
    (:meth:`~abcresearch.reports.disclosure.Publisher.count_uncertainty`), and hidden as every
    section hides it.

    Parameters
    ----------
    pub : Publisher
        The section's publisher.
    area : str
        The area.
    count : float
        The estimated households at level 1.
    share : float
        Their share (0-1) of the households with a level, as :func:`level1_share` publishes it;
        ``low``, ``high`` its interval.
    """
    households = count / share if share > 0 else 0.0
    return pub.weighted("overall_level", area, ["1"], count,
                        pub.count_uncertainty(households, low, high))


def level1_printed(report: AreaContext, code: str, count: float) -> Shown:
    """Return an area's level-1 households as the levels table prints them (or hidden).

    Read through a probe publisher (nothing goes into a section's ledger): what a sentence
    may add up or compare, where the table prints it.

    Parameters
    ----------
    report : AreaContext
        The report.
    code : str
        The area (the report's own or one within).
    count : float
        Its weighted level-1 households.
    """
    return Publisher(report, "levels_probe").weighted("overall_level", code, ["1"], count)


def to_unit_of(value: float, total: float) -> float:
    """Round a sum of printed counts to the unit a printed total is rounded to.

    The unit is the total's trailing zeros, at most a thousand ("about 40,000 of about
    128,000", not "40,270" beside it), rounded half up as every published number.

    Parameters
    ----------
    value : float
        The sum.
    total : float
        The printed total it is set beside.

    Returns
    -------
    float
        ``value`` to that unit.
    """
    unit = 1000
    while unit > 1 and int(total) % unit:
        unit //= 10
    return float(int(round_half_up(value, 0, 1 / unit, grouping="")) * unit)


def _rows(report: AreaContext) -> list[str]:
    """Areas of the level table: the areas within (numeric order), then the area itself."""
    hh = report.households
    child = CHILD_COLUMN[report.level]
    codes = sorted(hh[child].astype(str).unique())
    if report.level == "village":
        return codes
    return [*codes, report.area.code]


def levels_and_tracks(report: AreaContext, *,
                      capitals: Sequence[str] | None = None) -> SectionResult:
    """Return the estimated households by overall level, capital level and track.

    A chart and a table by overall level per village (or tambon), the capital-level table and
    the track table.

    Parameters
    ----------
    report : AreaContext
        The area.
    capitals : sequence of str, optional
        Capitals of the capital-level table, in order (default: all).
    """
    t = report.t
    caps = check_capitals(report, capitals)
    pub = Publisher(report, "levels_and_tracks")
    out = SectionBuilder("levels_and_tracks", report.words, {"capitals": caps})
    out.heading("section.levels")
    out.text(t("intro.levels"))
    out.text(pub.record_numbers(levels_defined_text(report),  # the scheme's, public
                                "params/scoring.yaml level bands and overall-level rules"))
    child = CHILD_COLUMN[report.level]
    by_child, n_child = report.weighted_counts("overall_level", child)
    whole, n_whole = report.weighted_counts("overall_level")
    weighted = pd.concat([by_child, whole.set_axis([report.area.code])]) \
        if report.level != "village" else by_child
    counts = pd.concat([n_child, n_whole.set_axis([report.area.code])]) \
        if report.level != "village" else n_child
    weighted = weighted.reindex(columns=list(LEVEL_CATEGORIES), fill_value=0.0)
    counts = counts.reindex(columns=list(LEVEL_CATEGORIES), fill_value=0)
    codes = _rows(report)
    weighted, counts = weighted.loc[codes], counts.loc[codes]
    names = [t("row.total") if c == report.area.code and report.level != "village"
             else report.child_name(c) for c in codes]
    level_cols = [t(_LEVEL_KEYS[k]) for k in LEVEL_CATEGORIES]
    joined_col = t("col.levels_joined")
    needed = {code: _joined_needed(pub, "overall_level", code) for code in codes}
    join = any(needed.values())
    all_cells = [("overall_level", k) for k in LEVEL_CATEGORIES]
    joined_cells = [("overall_level", k) for k in JOINED_LEVELS]
    rows, drawn, drawn_joined = [], [], []
    known = report.known_households(codes)

    estimated_totals: list[str] = []  # rows whose total is not the frame's count

    def total_text(code: str, total: float) -> str:
        # an estimate that is the village frame's count (every household of its surveyed
        # villages weighted up to it) prints that count, as the cover and the data-quality
        # table do, not the count rounded ("320" beside "324 households" a reader review found)
        frame = float(known.get(code, np.nan))
        if np.isfinite(frame) and abs(total - frame) < 0.5:
            return pub.public("households_total", int(frame), area=code).text
        estimated_totals.append(code)
        return pub.weighted("overall_level", code, list(LEVEL_CATEGORIES), total).text

    for code, name in zip(codes, names, strict=True):
        w = weighted.loc[code]
        total = float(w.sum())
        joined_value = float(w[list(JOINED_LEVELS)].sum())
        cells = {}
        for col, k in zip(level_cols, LEVEL_CATEGORIES, strict=True):
            cells[col] = pub.weighted("overall_level", code, [k], float(w[k])).text
            if join and k == JOINED_LEVELS[-1]:  # after level 3, before the missing levels;
                # only where it is needed (beside levels 2 and 3 shown it invites adding)
                cells[joined_col] = pub.weighted("overall_level", code, list(JOINED_LEVELS),
                                                 joined_value).text \
                    if _joined_cell(pub, "overall_level", code) else ""
        if join:
            drawn_joined.append(pub.share(code, joined_cells, all_cells,
                                          joined_value / total if total > 0 else np.nan).value
                                if needed[code] else np.nan)
        with_level = float(w[["1", "2", "3"]].sum())
        share = level1_share(pub, code, w["1"] / with_level if with_level > 0 else np.nan)
        rows.append({t(f"col.{'tambon' if child == 'tambon_code' else 'village'}"): name,
                     **cells,
                     t("col.estimated_total"): total_text(code, total),
                     t("col.surveyed"): pub.n(code).text,
                     t("col.share_level1"): share.text})
        drawn.append({k: pub.share(code, [("overall_level", k)], all_cells,
                                   w[k] / total if total > 0 else np.nan).value
                      for k in LEVEL_CATEGORIES})
    shares = pd.DataFrame(drawn, index=names).rename(columns=dict(zip(
        LEVEL_CATEGORIES, level_cols, strict=True)))
    joined = pd.Series(drawn_joined, index=names, name=joined_col, dtype=float) if join \
        else None
    # drawn by Typst's own shapes: the same chart as charts.levels_chart at about a seventh of
    # its cost (benchmarks/bench_chart_routes.py)
    markup = charts.levels_chart_typst(100 * shares, hidden_label=t("chart.hidden"),
                                       joined=None if joined is None else 100 * joined)
    # the cross-hatched "not shown" segment is named only where a bar has one: level 3 is
    # hatched too (for black-and-white print), and read as hidden under an unconditional note
    still_hidden = shares.isna()
    if joined is not None:  # shown only where levels 2 and 3 are both hidden (union_hidden)
        still_hidden.loc[joined.notna(), level_cols[1:3]] = False
    caption = t("levels.chart_caption") + (t("levels.chart_caption.hidden")
                                           if still_hidden.to_numpy().any() else "")
    data = shares if joined is None else shares.assign(**{joined_col: joined})
    out.parts.append(Figure.from_typst(markup, caption=caption, data=data))
    notes = f"{t('levels.notes', base=pub.rules.weighted_count_base)} · {t('suppressed.note')}"
    if join:
        notes += f" · {t('levels.joined_note')}"
    coverage = report.status.coverage
    area = report.area.code
    if child == "village_code" and coverage.villages_surveyed < coverage.villages_total:
        # the villages' rows count their own households; the area's row stands for its
        # unsurveyed villages too (a round that samples villages), scaled to the frame
        frame = coverage.households_total
        key = "levels.notes_villages"
        if report.calibrated:
            key = "levels.notes_villages_calibrated"
            frame = int(report.known_households([area]).iloc[0])
        notes += " · " + t(key,
                           unsurveyed=pub.public("villages_unsurveyed", coverage.villages_total
                                                 - coverage.villages_surveyed, area=area).text,
                           total=pub.public("villages_total", coverage.villages_total,
                                            area=area).text,
                           frame=pub.public("households_total", frame, area=area).text)
    elif child != "village_code" and report.calibrated:
        # every row is its area's frame count split by its own shares, the whole area's row
        # the area's count split by the area's shares: the rows need not add up to it (a
        # reader review found 7,390 level-1 households in the rows under a total of 7,070, and
        # a note saying the total could only be more); it also holds the areas within it that
        # no sampled village reached
        frame = int(report.known_households([area]).iloc[0])
        outside = frame - int(report.known_households([c for c in codes if c != area]).sum())
        # (where some areas within had no sampled village, the rows' totals leave their
        # households out: fewer by that many, not by chance; a code review)
        frame_text = pub.public("households_total", frame, area=area).text
        notes += " · " + (t("levels.notes_calibrated_outside", frame=frame_text, n=pub.public(
            "households_unsurveyed_areas", outside, area=area).text) if outside > 0
            else t("levels.notes_calibrated", frame=frame_text))
    # the total column says "estimated" where some row's total is not the frame's count (a
    # frame count was read as an estimate under "รวม (ประมาณ)": a reader review)
    table = pd.DataFrame(rows)
    if estimated_totals:
        table = table.rename(columns={t("col.estimated_total"): t("col.estimated_total.some")})
    out.table(table, t("levels.caption"), notes)
    # capital levels: share of all households at each level of each capital, area-wide
    area = report.area.code
    cap_rows = []
    cap_shares = {}
    cap_join = any(_joined_needed(pub, f"level:{cap}", area) for cap in caps)
    for cap in caps:
        m = f"level:{cap}"
        w, _n = report.weighted_counts(m)
        w = w.reindex(columns=list(LEVEL_CATEGORIES), fill_value=0.0).iloc[0]
        total = float(w.sum())
        base = [(m, k) for k in LEVEL_CATEGORIES]
        row = {t("col.capital"): report.capital_label(cap)}
        for k in LEVEL_CATEGORIES:
            value = w[k] / total if total > 0 else np.nan
            row[t(_LEVEL_KEYS[k])] = pub.share(area, [(m, k)], base, value).text
            if cap_join and k == JOINED_LEVELS[-1]:  # after level 3, before the missing
                value = float(w[list(JOINED_LEVELS)].sum()) / total if total > 0 else np.nan
                row[joined_col] = pub.share(area, [(m, j) for j in JOINED_LEVELS], base,
                                            value).text \
                    if _joined_cell(pub, m, area) else ""
        cap_shares[cap] = w / total if total > 0 else w * np.nan
        cap_rows.append(row)
    out.table(pd.DataFrame(cap_rows), t("levels.capital_caption"),
              f"{t('levels.capital_notes')} · {t('suppressed.note')}"
              + (f" · {t('levels.joined_note_share')}" if cap_join else ""))
    # tracks: the households of the overall levels each track takes
    sch = report.analysis.scheme
    w_area = weighted.loc[area] if area in weighted.index else whole.iloc[0].reindex(
        list(LEVEL_CATEGORIES), fill_value=0.0)
    tr_rows = []
    with_level = float(w_area[["1", "2", "3"]].sum())

    def track_row(label: str, cats: list[str]) -> dict[str, str]:
        value = float(w_area[cats].sum())
        # of the households with a level, as the levels table's "% at level 1" (the note says)
        return {t("col.track"): label,
                t("col.households"): pub.weighted("overall_level", area, cats, value).text,
                t("col.share"): pub.share(area, [("overall_level", c) for c in cats],
                                          LEVEL_BASE,
                                          value / with_level if with_level > 0 else np.nan).text}

    track_cats = [[str(lv) for lv in tr["overall_levels"]] for tr in sch.tracks]
    for tr, cats in zip(sch.tracks, track_cats, strict=True):
        tr_rows.append(track_row(sch.track_label(tr["id"], report.lang), cats))
    # levels 2-3 together where the area's are read together and no one track holds both
    track_join = _joined_needed(pub, "overall_level", area) \
        and not any(set(JOINED_LEVELS) <= set(cats) for cats in track_cats)
    if track_join:
        tr_rows.append(track_row(t("tracks.joined"), list(JOINED_LEVELS)))
    # (the levels table's note names its "surveyed" and "% at level 1" columns: not here)
    out.table(pd.DataFrame(tr_rows), t("tracks.caption"),
              f"{t('tracks.notes', base=pub.rules.weighted_count_base)} · "
              f"{t('suppressed.note')}"
              + (f" · {t('tracks.joined_note')}" if track_join else ""))
    return out.result(estimates=weighted, published=tuple(pub.entries),
                      details={"counts": counts, "capital_shares": pd.DataFrame(cap_shares).T,
                               "tracks": pd.DataFrame(tr_rows)})
