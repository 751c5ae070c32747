"""Small-cell suppression with secondary suppression."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abcresearch.reports.disclosure import (
    SECONDARY,
    SUPPRESSED,
    af_publishable,
    is_small,
    suppress_by_base,
    suppress_counts,
    suppress_histogram,
    suppress_shares,
)


def test_primary_and_secondary_in_a_row() -> None:
    counts = pd.DataFrame({"l1": [3, 20], "l2": [40, 30], "l3": [50, 0]}, index=["v1", "v2"])
    shown, mask = suppress_counts(counts)
    # v1: 3 is primary; l2=40 is the next-smallest non-zero cell of that row -> secondary
    assert shown.loc["v1", "l1"] == SUPPRESSED
    assert shown.loc["v1", "l2"] == SECONDARY
    assert shown.loc["v1", "l3"] == 50
    # zeros are shown and never picked as the complementary cell
    assert shown.loc["v2", "l3"] == 0


def test_no_suppression_when_all_large_or_zero() -> None:
    counts = pd.DataFrame({"a": [0, 10], "b": [5, 6]})
    shown, mask = suppress_counts(counts)
    assert not mask.to_numpy().any()
    assert shown.equals(counts.astype(object))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), min_size=2, max_size=6))
def test_no_row_or_column_has_a_lone_suppressed_cell(rows: list[list[int]]) -> None:
    counts = pd.DataFrame(rows, columns=["a", "b", "c"])
    _, mask = suppress_counts(counts)
    m = mask.to_numpy()
    values = counts.to_numpy()
    assert not (m & (values == 0)).any()
    assert ((values > 0) & (values < 5) <= m).all()
    for line, vals in [(m[i], values[i]) for i in range(m.shape[0])] + [
            (m[:, j], values[:, j]) for j in range(m.shape[1])]:
        # a lone suppressed cell is allowed only when nothing else non-zero could hide it
        if line.sum() == 1:
            assert ((vals > 0) & ~line).sum() == 0


def _total_keeps_ranges(counts: pd.DataFrame, mask: pd.DataFrame) -> bool:
    """Independently of the code: every "<5" can still be 1 and 4, given the table's total,
    the shown cells and what the markers say ("<5": 1-4, "x": 5 or more)."""
    values, m = counts.to_numpy(), mask.to_numpy()
    small = (values > 0) & (values < 5)
    hidden_sum = int(values[m].sum())
    for cell in zip(*np.nonzero(small), strict=True):
        others = m.copy()
        others[cell] = False
        n_small = int((others & small).sum())
        n_big = int((others & ~small).sum())
        for x in (1, 4):
            rest = hidden_sum - x
            low = n_small + 5 * n_big
            high = np.inf if n_big else 4 * n_small
            if not low <= rest <= high:
                return False
    return True


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), min_size=2, max_size=5))
def test_a_table_keeps_every_small_cell_its_range(rows: list[list[int]]) -> None:
    """Under the table's printed total, read with what the markers say, every small cell can
    still be 1 and 4 (worked out here without the code's own rule), or the table says it is
    not protected (and the change section leaves it out)."""
    from abcresearch.reports.disclosure import protected_table

    counts = pd.DataFrame(rows, columns=["a", "b", "c"])
    _, mask = suppress_counts(counts)
    if protected_table(counts, mask):
        assert _total_keeps_ranges(counts, mask)
    else:  # only when nothing was left to hide
        assert (mask.to_numpy() | (counts.to_numpy() == 0)).all()


def test_a_transition_table_whose_total_pins_a_small_cell_hides_more() -> None:
    """A diff review: [[1, 5, 0], [5, 5, 0], [0, 0, 30]] printed "<5 x x x" beside its total
    of 46, so the hidden cells added up to 16 and the "<5" (at most 16 - 3 x 5) was 1: the
    30 is hidden too. [[1, 5, 0], [5, 0, 0], ...] has nothing more to hide: not protected."""
    from abcresearch.reports.disclosure import protected_table

    counts = pd.DataFrame([[1, 5, 0], [5, 5, 0], [0, 0, 30]])
    shown, mask = suppress_counts(counts)
    assert shown.to_numpy().tolist() == [["<5", "×", 0], ["×", "×", 0], [0, 0, "×"]]
    assert protected_table(counts, mask) and _total_keeps_ranges(counts, mask)
    counts = pd.DataFrame([[1, 5, 0], [5, 0, 0], [0, 0, 0]])
    _, mask = suppress_counts(counts)
    assert not protected_table(counts, mask) and not _total_keeps_ranges(counts, mask)


def test_shares_with_small_base_are_blanked() -> None:
    shares = pd.Series([0.5, 0.25, 0.1])
    out = suppress_by_base(shares, np.array([4, 5, 0]))
    assert np.isnan(out.iloc[0]) and out.iloc[1] == 0.25 and out.iloc[2] == 0.1


def test_is_small_keeps_zeros() -> None:
    assert is_small(np.array([0, 1, 4, 5, 30])).tolist() == [False, True, True, False, False]
    assert is_small(np.array([9]), threshold=10).tolist() == [True]


def test_shares_hide_small_counts_and_small_complements() -> None:
    shares = pd.DataFrame({1: [10.0, 2.0], 2: [80.0, 96.0], 3: [10.0, 2.0]}, index=["a", "b"])
    counts = np.array([[3, 24, 3], [6, 288, 6]])
    out = suppress_shares(shares, counts, np.array([30, 300]))  # one base per row
    assert out.loc["a"].isna().tolist() == [True, False, True]
    assert out.loc["b"].notna().all()
    # 27 of 30: the 3 left out are too few
    assert np.isnan(suppress_shares(pd.Series([0.9]), np.array([27]), np.array([30])).iloc[0])


def test_histogram_bars_of_few_households_are_not_drawn() -> None:
    n = np.array([0, 3, 12])
    w = np.array([0.0, 30.0, 120.0])
    assert suppress_histogram(n, w, total=15).tolist() == [0.0, 0.0, 120.0]
    assert w.tolist() == [0.0, 30.0, 120.0]  # the input is not changed
    assert suppress_histogram(n, w, total=4) is None
    assert suppress_histogram(None, None, total=100) is None


def test_alkire_foster_publication_rules() -> None:
    assert af_publishable(27, 30, 30) == {"H": False, "A": True, "M0": True}
    assert af_publishable(3, 30, 30) == {"H": False, "A": False, "M0": True}
    assert af_publishable(0, 30, 30) == {"H": True, "A": False, "M0": True}
    assert af_publishable(10, 30, 30) == {"H": True, "A": True, "M0": True}
    assert af_publishable(2, 4, 4) == {"H": False, "A": False, "M0": False}


def _level_pattern(headline: tuple[str, ...]):
    from abcresearch.reports.disclosure import build_pattern
    from abcresearch.reports.estimates import NA, CountMeasure

    # village A: 20 households at level 1, 27 at level 2, 3 at level 3 (too few to publish);
    # village B: 25 and 25
    levels = ["1"] * 20 + ["2"] * 27 + ["3"] * 3 + ["1"] * 25 + ["2"] * 25
    villages = ["80010101"] * 50 + ["80010102"] * 50
    hh = pd.DataFrame({"village_code": villages, "tambon_code": "800101",
                       "amphoe_code": "8001", "province_code": "80", "weight": 2.0})
    measure = CountMeasure("overall_level", ("1", "2", "3", NA), headline=headline)
    return build_pattern(hh, pd.DataFrame({"overall_level": levels}), pd.DataFrame(index=hh.index),
                         [measure], [], threshold=5)


def test_level_1_is_hidden_as_a_complement_only_when_nothing_else_can_be() -> None:
    """Level 1 is the reports' headline (need basic support first): a village's small level-3
    count is protected by hiding its level 2, not its level 1 (the smaller, which the plain
    smallest-part rule picks), so the village keeps its need figure and its place in the
    ranking by need."""
    plain = _level_pattern(())
    assert plain.hidden("overall_level", "80010101", "3")
    assert plain.hidden("overall_level", "80010101", "1")
    headline = _level_pattern(("1",))
    assert headline.hidden("overall_level", "80010101", "3")
    assert not headline.hidden("overall_level", "80010101", "1")
    assert headline.hidden("overall_level", "80010101", "2")
    # the tambon's small level-3 count (3 = village A's) is protected the same way
    assert headline.hidden("overall_level", "800101", "3")
    assert not headline.hidden("overall_level", "800101", "1")


def test_levels_hidden_together_are_shown_as_one_when_the_rest_is_shown() -> None:
    """A village's level 3 (3 households) and level 2 beside it are hidden, so a village
    committee could not read how many households are at level 2 (a reader review): their sum
    is the village's households less level 1 and the missing levels, both shown, so it is
    shown; the cells inside it stay hidden, and a union with a hidden cell outside it is
    not shown."""
    pattern = _level_pattern(("1",))
    a = "80010101"
    assert pattern.hidden("overall_level", a, "2") and pattern.hidden("overall_level", a, "3")
    assert not pattern.union_hidden("overall_level", a, ("2", "3"))
    assert pattern.union_hidden("overall_level", a, ("2",))
    assert pattern.union_hidden("overall_level", a, ("1", "2"))  # level 3 hidden outside it
    assert not pattern.union_hidden("overall_level", a, ("1", "2", "3", "na"))
    levels = [("overall_level", k) for k in ("1", "2", "3", "na")]
    assert not pattern.share_hidden(a, levels[1:3], levels)
    assert not pattern.share_hidden(a, levels[1:3], levels[:3])  # of those with a level
    assert pattern.share_hidden(a, levels[1:2], levels)
    assert not pattern.union_hidden("overall_level", "80010102", ("2",))  # nothing hidden
    assert pattern.union_hidden("overall_level", "8099", ("2", "3"))  # not in the round


@pytest.mark.parametrize(("level2", "level3", "shown"), [
    (27, 3, True),  # "x" and "<5" inside 30: level 3 can still be anything from 1 to 4
    (5, 1, False),  # a union of 6 beside "x" (5 or more) and "<5" pins level 3 to 1
    (6, 2, False),  # 8: level 3 at most 3 (level 1 is hidden beside it instead of level 2)
    (7, 2, True),  # 9: level 3 1-4, level 2 5-8
    (4, 4, False),  # two "<5" alone: a union of 8 pins both to 4
])
def test_a_union_is_shown_only_when_its_small_cells_keep_their_whole_range(
        level2: int, level3: int, shown: bool) -> None:
    """A reader knows that "<5" is 1-4 households and "x" at least 5 (a diff review): a union
    over a small cell is shown only when, with those ranges, the small cell can still be any
    of 1-4."""
    from abcresearch.reports.disclosure import build_pattern
    from abcresearch.reports.estimates import NA, CountMeasure

    levels = ["1"] * 20 + ["2"] * level2 + ["3"] * level3 + ["1"] * 25 + ["2"] * 25
    villages = ["80010101"] * (20 + level2 + level3) + ["80010102"] * 50
    hh = pd.DataFrame({"village_code": villages, "tambon_code": "800101",
                       "amphoe_code": "8001", "province_code": "80", "weight": 2.0})
    measure = CountMeasure("overall_level", ("1", "2", "3", NA), headline=("1",))
    pattern = build_pattern(hh, pd.DataFrame({"overall_level": levels}),
                            pd.DataFrame(index=hh.index), [measure], [], threshold=5)
    a = "80010101"
    assert pattern.hidden("overall_level", a, "3")
    assert pattern.hidden("overall_level", a, "2") or not shown
    assert pattern.union_hidden("overall_level", a, ("2", "3")) is not shown
    low, high = _reader_ranges(pattern)[(a, "3")]
    assert low <= level3 <= high and low < high
    # where levels 2 and 3 alone would pin level 3 down (from the village's households less
    # the shown levels), secondary suppression hides a third level
    assert pattern.hidden("overall_level", a, "1") is not shown


def _village_pattern(counts: dict[str, int]):
    from abcresearch.reports.disclosure import build_pattern
    from abcresearch.reports.estimates import NA, CountMeasure

    levels = [k for k, v in counts.items() for _ in range(v)] + ["1"] * 25 + ["2"] * 25
    villages = ["80010101"] * sum(counts.values()) + ["80010102"] * 50
    hh = pd.DataFrame({"village_code": villages, "tambon_code": "800101",
                       "amphoe_code": "8001", "province_code": "80", "weight": 2.0})
    measure = CountMeasure("overall_level", ("1", "2", "3", NA), headline=("1",))
    return build_pattern(hh, pd.DataFrame({"overall_level": levels}),
                         pd.DataFrame(index=hh.index), [measure], [], threshold=5)


def test_the_part_hidden_next_is_one_that_protects() -> None:
    """Level 3 of 1 beside level 2 of 5 ("x", at least 5) is pinned by their sum of 6: the
    next part hidden must hold enough to cover it. The 6 households with missing levels do
    not (hidden, they would leave level 3 at most 2 of 12 with another "x"), so level 1 is
    hidden instead of both (a diff review)."""
    pattern = _village_pattern({"1": 40, "2": 5, "3": 1, "na": 6})
    a = "80010101"
    hidden = [k for k in ("1", "2", "3", "na") if pattern.hidden("overall_level", a, k)]
    assert hidden == ["1", "2", "3"]
    assert pattern.unsatisfied == []


def test_when_no_part_is_large_enough_the_largest_is_hidden() -> None:
    """A village of 6, 5, 1 and 7 households (levels 1-3, missing): no single part covers
    what level 3's sum with level 2 leaves short, so the largest is hidden, then another, and
    the sum is protected (a diff review: nothing was hidden and level 3 read as 1)."""
    from abcresearch.reports.disclosure import keeps_marker_ranges

    pattern = _village_pattern({"1": 6, "2": 5, "3": 1, "na": 7})
    a = "80010101"
    hidden = [(pattern.count("overall_level", a, k), pattern.status[("overall_level", a, k)])
              for k in ("1", "2", "3", "na") if pattern.hidden("overall_level", a, k)]
    assert len(hidden) >= 3 and keeps_marker_ranges(hidden, 5)
    assert pattern.unsatisfied == []


def test_a_sum_the_rules_cannot_protect_is_named() -> None:
    """A village of 5, 5 and 1 households at levels 1-3 and none missing: with the three
    hidden, the village's 11 less two "x" (5 or more each) still leaves level 3 at most 1,
    and nothing is left to hide. The pattern names the sum instead of leaving it silently."""
    pattern = _village_pattern({"1": 5, "2": 5, "3": 1})
    assert ("n", "80010101", "all") in pattern.unsatisfied


def _amphoe_pattern(tambons: list[list[int]]):
    """An amphoe of tambons of villages of 41 households: 20 at level 1, the rest at level 2
    but for ``tambons[t][i]`` at level 3 in village ``i`` of tambon ``t``."""
    from abcresearch.reports.disclosure import build_pattern
    from abcresearch.reports.estimates import NA, CountMeasure

    levels, villages, tambon_codes = [], [], []
    for t, level3 in enumerate(tambons):
        tambon = f"8001{t + 1:02d}"
        for i, k in enumerate(level3):
            levels += ["1"] * 20 + ["2"] * (21 - k) + ["3"] * k
            villages += [f"{tambon}{i + 1:02d}"] * 41
            tambon_codes += [tambon] * 41
    hh = pd.DataFrame({"village_code": villages, "tambon_code": tambon_codes,
                       "amphoe_code": "8001", "province_code": "80", "weight": 2.0})
    measure = CountMeasure("overall_level", ("1", "2", "3", NA), headline=("1",))
    return build_pattern(hh, pd.DataFrame({"overall_level": levels}),
                         pd.DataFrame(index=hh.index), [measure], [], threshold=5)


def _reader_ranges(pattern, measure: str = "overall_level") -> dict:
    """What a reader of every printed cell of ``measure`` (every area) can work out of each
    hidden cell: its smallest and largest whole value, by integer programming (written apart
    from :mod:`abcresearch.reports.disclosure_audit`).

    The reader knows every area's households and that its categories add up to them, that
    an area's cell adds up its villages' cells, and what the markers say: "<5" is 1 to 4;
    "x" is at least 5, or at least 4 where it may stand for a small cell over "<5" cells of
    the areas within it that hold at least 4 (1 each, or what the "<5" within them hold; an
    "x" that may be one holds 4). A small area's "<5" is 0 to its households (its zeros
    print "<5" too)."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cats = list(pattern.measures[measure].categories)
    areas = sorted(pattern.n)
    villages = [a for a in areas if len(a) == 8]
    index = {(v, k): i for i, (v, k) in enumerate((v, k) for v in villages for k in cats)}
    lo = np.zeros(len(index))
    hi = np.array([float(pattern.n[v]) for v, _k in index])
    rows, lows, highs = [], [], []

    def row(area: str, k: str | None) -> np.ndarray:
        r = np.zeros(len(index))
        for (v, c), i in index.items():
            if v.startswith(area) and (k is None or c == k):
                r[i] = 1.0
        return r

    def kids(area: str) -> list[str]:
        return [a for a in areas if len(a) == len(area) + 2 and a.startswith(area)]

    def floor(area: str, k: str) -> int:  # the least the "<5" within it hold together
        total = 0
        for c in kids(area):
            mark = pattern.marker(measure, c, k)
            if mark == "<5":
                total += floor(c, k) if pattern.n[c] < 5 else max(1, floor(c, k))
            elif mark == "×" and may_be_masked(c, k):
                total += 4
        return min(total, 4)

    def may_be_masked(area: str, k: str) -> bool:
        return floor(area, k) >= 4

    for area in areas:
        rows.append(row(area, None))
        lows.append(pattern.n[area])
        highs.append(pattern.n[area])
        for k in cats:
            mark = pattern.marker(measure, area, k)
            if mark is None:
                value = pattern.count(measure, area, k)
                span = (value, value)
            elif mark == "<5":  # a small area's zeros print "<5" too
                span = (0, min(4, pattern.n[area])) if pattern.n[area] < 5 else (1, 4)
            else:
                span = (4 if may_be_masked(area, k) else 5, np.inf)
            rows.append(row(area, k))
            lows.append(span[0])
            highs.append(span[1])
    constraint = LinearConstraint(np.array(rows), lows, highs)
    ranges = {}
    for area in areas:
        for k in cats:
            if not pattern.hidden(measure, area, k):
                continue
            target = row(area, k)
            ends = []
            for sign in (1.0, -1.0):
                res = milp(sign * target, constraints=constraint,
                           integrality=np.ones(len(index)), bounds=Bounds(lo, hi))
                assert res.success
                ends.append(round(sign * res.fun))
            ranges[(area, k)] = tuple(ends)
    return ranges


@pytest.mark.parametrize(("tambons", "masked"), [
    ([[1, 1, 1, 1, 0, 0], [0, 0, 0]], ["800101", "8001", "80"]),
    ([[1, 1, 1, 1], [0, 0, 0]], ["800101", "8001", "80"]),
    ([[2, 1, 1, 0, 0], [0, 0, 0]], []),
    ([[1, 1, 0], [1, 1, 0]], ["8001", "80"]),
    ([[1, 1, 1, 0], [1, 0]], ["8001", "80"]),
    # an amphoe's 9 over a masked 4 and "<5" cells holding 2 and 3 to a reader (a review)
    ([[1, 1, 1, 1], [1, 1], [1, 1, 1]], ["800101"]),
    ([[1, 1], [1, 1, 1], [5]], []),
    # a tambon's "x" of 7 over villages "<5", "<5" and "x" 5 holds at least 7 to a reader:
    # beside a tambon "<5" of 2 in an amphoe's 9 it left 2 and pinned all five small cells
    # (a third review; the rules read an "x" only as at least 5)
    ([[1, 1, 5], [1, 1]], []),
    ([[1, 1, 6], [1, 1]], []),
    ([[1, 1, 5, 0], [1, 1, 0]], []),
    # a tambon's "x" of 8 made only of villages "<5" holds at most 4 + 4 to a reader: beside
    # a tambon "<5" in an amphoe's 12 it could only be 8, and pinned every small cell at 4
    # (the fourth review: the rules read an "x" as unbounded above)
    ([[4, 4], [4]], []),
    ([[4], [4, 4]], []),
    ([[4, 4], [3, 1]], []),
    ([[0, 5, 4, 6, 4], [1, 3]], []),
])
def test_an_area_small_cell_over_small_cells_pins_none_of_them(
        tambons: list[list[int]], masked: list[str]) -> None:
    """A tambon's 4 households at level 3, one in each of four villages: "<5" over four
    "<5" tells a reader each is 1 (a diff review), and so does an amphoe's "<5" over two
    tambons' "<5" over two villages' "<5" each, or over 3 + 1 (a second review). That cell
    prints "x" (masked) and stays able to reach 5, as do the cells above it, and no hidden
    small cell of any area is pinned; a tambon's cell of 4 over three small cells
    ([2, 1, 1]) keeps its "<5"."""
    from abcresearch.reports.disclosure import MASKED

    pattern = _amphoe_pattern(tambons)
    for area in ("800101", "800102", "800103", "8001", "80"):
        status = pattern.status.get(("overall_level", area, "3"))
        assert (status == MASKED) == (area in masked), (area, status)
        if status in ("primary", MASKED):
            assert pattern.marker("overall_level", area, "3") == \
                ("×" if area in masked else "<5"), area
    assert pattern.unsatisfied == []
    ranges = _reader_ranges(pattern)
    small = {(a, k): pattern.count("overall_level", a, k) for a, k in ranges
             if 0 < pattern.count("overall_level", a, k) < 5}
    assert small
    for cell, value in small.items():
        low, high = ranges[cell]
        assert low <= value <= high and low < high, (cell, value, ranges[cell])


@pytest.mark.parametrize("tambons", [
    [[4, 4], [4], [5, 5]], [[4, 4], [4], [5, 5], [9]], [[9], [4]], [[4, 4], [4], [5, 5], [2, 9]],
])
def test_a_sum_bounded_by_ceilings_pins_nothing(tambons: list[list[int]]) -> None:
    """Where hidden parts hold more than their ceilings let them, the rules hide more until the
    sum is unbounded enough (a review's cases: a tambon whose villages are all shown, hidden
    first, raises its ceiling as much as the sum and protects nothing; the rules then hide more
    than needed, up to 18 cells where 10 do, which is safe). No small cell is pinned."""
    pattern = _amphoe_pattern(tambons)
    assert pattern.unsatisfied == []
    ranges = _reader_ranges(pattern)
    for cell, (low, high) in ranges.items():
        value = pattern.count("overall_level", *cell)
        assert low <= value <= high
        if 0 < value < 5:
            assert low < high, (cell, value)


def _villages_pattern(villages: dict[str, tuple[int, int, int, int]]):
    """The pattern of villages (8-digit codes: amphoe, tambon and village from the code) whose
    households are ``(level 1, level 2, level 3, no level)``."""
    from abcresearch.reports.disclosure import build_pattern
    from abcresearch.reports.estimates import NA, CountMeasure

    levels, codes = [], []
    for code, counts in villages.items():
        for k, c in zip(("1", "2", "3", NA), counts, strict=True):
            levels += [k] * c
            codes += [code] * c
    hh = pd.DataFrame({"village_code": codes, "tambon_code": [c[:6] for c in codes],
                       "amphoe_code": [c[:4] for c in codes], "province_code": "80",
                       "weight": 2.0})
    measure = CountMeasure("overall_level", ("1", "2", "3", NA), headline=("1",))
    return build_pattern(hh, pd.DataFrame({"overall_level": levels}),
                         pd.DataFrame(index=hh.index), [measure], [], threshold=5)


def test_a_small_cell_over_a_one_household_village_and_zeros_is_named() -> None:
    """A tambon's level 3 of 1 over a village of one household (which publishes nothing but
    its households) and villages with no household at level 3: "<5" can only be 1 (a review).
    Nothing a sum hides protects it, so the pattern names it rather than pass it silently."""
    pattern = _villages_pattern({"80010101": (0, 0, 1, 0), "80010102": (20, 21, 0, 0),
                                 "80010103": (20, 21, 0, 0), "80010201": (20, 17, 4, 0),
                                 "80010202": (20, 12, 9, 0)})
    cell = ("overall_level", "800101", "3")
    assert pattern.status[cell] == "primary" and pattern.ceilings[cell] == 1
    assert cell in pattern.unsatisfied
    assert len(set(pattern.unsatisfied)) == len(pattern.unsatisfied)  # named once (a review)


def _small_pins(pattern) -> dict:
    """The hidden small cells of areas with enough households that :func:`_reader_ranges`
    pins to one value."""
    ranges = _reader_ranges(pattern)
    return {cell: span for cell, span in ranges.items()
            if 0 < pattern.count("overall_level", *cell) < 5 and pattern.n[cell[0]] >= 5
            and span[0] == span[1]}


def _unnamed_pins(pattern) -> set:
    """The pinned small cells (:func:`_small_pins`) the pattern does not name: neither the cell,
    nor its area's row, nor the cell above it (the sum it is a part of) is in ``unsatisfied``."""
    named = set(pattern.unsatisfied)
    return {(area, k) for area, k in _small_pins(pattern)
            if not {("overall_level", area, k), ("n", area, "all"),
                    ("overall_level", area[:-2], k)} & named}


@pytest.mark.parametrize("villages", [
    # a village of 2 households, 1 at level 3 and 1 without a level, under a tambon whose other
    # village shows 0 for both: the tambon's two "<5" are 1 each (so are the amphoe's and the
    # province's), and nothing was named (a review)
    {"80010101": (20, 21, 0, 0), "80010102": (0, 0, 1, 1)},
    {"80010101": (0, 0, 1, 1), "80010102": (20, 21, 0, 0), "80010201": (1, 2, 0, 1)},
    # a tambon of 7 households in villages of 1 and 2 whose row gives its cells away (1 + 1 + 5)
    # was still read as hidden, and so as cover, in the amphoe's level 2: with the row of
    # village 80010202 that pinned its level 3 at 4
    {"80010101": (0, 0, 1, 0), "80010102": (0, 0, 2, 0), "80010103": (1, 1, 0, 0),
     "80010104": (0, 0, 2, 0), "80010201": (20, 16, 5, 0), "80010202": (20, 17, 4, 0),
     "80010203": (20, 21, 0, 0)},
    # a village of 8 households whose row is named passed its cells through the tambon's
    # columns and pinned the level 3 of the villages beside it (a review)
    {"80010101": (20, 12, 4, 5), "80010102": (1, 2, 5, 0), "80010103": (20, 15, 1, 5)},
])
def test_what_an_unprotected_sum_gives_away_is_named_or_covered(villages: dict) -> None:
    """A sum the rules cannot protect is named, and what it gives away is read as shown by
    every other sum: no small cell is pinned outside what the pattern names."""
    pattern = _villages_pattern(villages)
    assert _unnamed_pins(pattern) == set()


def test_x_parts_at_their_least_are_no_cover() -> None:
    """Tambon 800103's level 3 and no-level cells, "×" both, are all its row hides; they add up
    to 10, so each is 5 to a reader. Read as cover, that let the amphoe's level 3 (9, the
    tambon's 5 beside tambon 800101's "<5" and a tambon with none) pin the "<5" at 4 (a second
    review). An "×" must be able to hold more than its least in every sum it is part of."""
    pattern = _villages_pattern({
        "80010101": (0, 2, 3, 5), "80010103": (1, 0, 1, 0), "80010201": (0, 0, 0, 3),
        "80010202": (8, 8, 0, 1), "80010301": (1, 8, 0, 0), "80010302": (8, 1, 1, 2),
        "80010303": (0, 0, 3, 1), "80010304": (0, 0, 1, 2)})
    assert pattern.unsatisfied == []
    assert _small_pins(pattern) == {}


def test_a_cell_pinned_by_a_row_and_a_column_together_is_covered() -> None:
    """Village 80010102's "<5" of 4 beside an "×" of 21 in its row of 25: the row says the "×"
    holds at least 21; tambon 800101's column (36 shown: 14 shown, that "×" and a "<5") says at
    most 21. Each sum alone leaves every small cell its range; read together they pin the "<5"
    at 4, and through the columns above it the tambon's, amphoe's and province's (an
    eleventh-session fuzz). The pattern reads every sum at once and hides a cell near it."""
    pattern = _villages_pattern({"80010101": (0, 0, 0, 14), "80010102": (0, 0, 4, 21),
                                 "80010103": (25, 9, 0, 1), "80010201": (0, 16, 0, 0),
                                 "80010202": (3, 3, 0, 0)})
    assert _small_pins(pattern) == {}


def test_a_cell_pinned_by_a_cycle_of_sums_is_covered() -> None:
    """Villages 80010101 (levels 1, 2, 3, none: "<5" a, "×" d, 0, "<5" e; 12 households) and
    80010102 ("×" b, "×" c, 0, 19; 63) in a tambon whose levels 1 and 2 are shown (37, 66; the
    third village shows 0 and 49): a + b = 37, b + c = 63 - 19 = 44 and d + c = 66 - 49 = 17
    give a + d = 10, so the first village's row gives e = 12 - 10 = 2, whatever the ranges.
    Narrowing each cell's range sum by sum does not see it; the pattern reads such a cycle by
    linear programming and hides a cell near it."""
    pattern = _villages_pattern({"80010101": (4, 6, 0, 2), "80010102": (33, 11, 0, 19),
                                 "80010103": (0, 49, 4, 21)})
    assert _unnamed_pins(pattern) == set()


_ROWS_OF_SMALL_CELLS = {
    "80010101": (26, 0, 0, 2), "80010102": (26, 0, 0, 2), "80010103": (4, 2, 0, 4),
    "80010104": (0, 0, 1, 0), "80010201": (17, 3, 2, 0), "80010202": (28, 0, 0, 0),
    "80010203": (0, 7, 30, 0), "80010204": (2, 0, 0, 18), "80020101": (3, 23, 0, 2),
    "80020102": (0, 0, 0, 4), "80020103": (4, 0, 0, 2)}
"""Amphoes 8001-8002 (a review): village 80010103's row of three "<5" (4, 2, 4) is named."""


def test_cells_a_named_sum_gives_away_are_read_by_their_markers() -> None:
    """Reading the cells of village 80010103's named row as exactly known, the pattern saw
    tambon 800101's level 2 pinned at 2 (a reader has 2 to 4) and hid five cells for nothing,
    the province's levels 1 and 2 among them (a review). A reader sees those cells' markers;
    the named row is among the sums read."""
    pattern = _villages_pattern(_ROWS_OF_SMALL_CELLS)
    assert _unnamed_pins(pattern) == set()
    assert not pattern.hidden("overall_level", "80", "1")
    assert not pattern.hidden("overall_level", "80", "2")
    assert ("overall_level", "800101", "2") not in pattern.unsatisfied


def test_a_cycle_pin_beside_a_pin_read_sum_by_sum_is_covered() -> None:
    """Amphoes 8005-8006 hold a cell pinned by a cycle of sums; beside amphoes 8001-8002, whose
    pins are found sum by sum, the cycles were not read in the round that named those, and the
    pin went unnamed (a review). Both readings run every round."""
    villages = {
        **_ROWS_OF_SMALL_CELLS,
        "80050101": (24, 3, 14, 22), "80050102": (15, 0, 0, 4), "80050103": (21, 0, 0, 21),
        "80050104": (0, 14, 0, 0), "80050201": (0, 24, 0, 21), "80050301": (1, 23, 18, 0),
        "80050302": (0, 10, 16, 5), "80060101": (0, 21, 17, 13), "80060102": (0, 0, 13, 8),
        "80060103": (0, 0, 14, 22), "80060201": (6, 22, 1, 0), "80060202": (18, 1, 0, 9),
        "80060301": (18, 12, 14, 0), "80060302": (0, 3, 0, 2)}
    assert _unnamed_pins(_villages_pattern(villages)) == set()


def test_a_small_area_hidden_beside_one_x_does_not_protect_it() -> None:
    """A tambon of one village of one household beside a tambon whose level 3 is "×": the
    amphoe's level 2 gave that "×" away to within the small tambon's one household, and with
    the village's row a village's "<5" of 4 (a review). A small area's hidden cells are too
    few to blur another cell: a second cell is hidden beside the "×"."""
    pattern = _villages_pattern({"80010101": (0, 0, 1, 0), "80010201": (20, 16, 5, 0),
                                 "80010202": (20, 15, 6, 0), "80010203": (20, 17, 4, 0),
                                 "80010204": (20, 21, 0, 0)})
    assert pattern.unsatisfied == []
    assert _small_pins(pattern) == {}


def test_a_hidden_total_a_reader_knows_exactly_is_read_as_shown() -> None:
    """A tambon's level 3 of 5 over a village's "<5" of 4, a village of one household and a
    village with none: its "×" holds at least 5 and at most 4 + 1, so a reader knows it and
    both parts. Nothing is left to hide (a zero cannot print "×"): the pattern names the cell
    instead of passing it silently, as it does every relation it cannot protect."""
    pattern = _villages_pattern({"80010101": (20, 17, 4, 0), "80010102": (20, 16, 5, 0),
                                 "80010201": (20, 21, 0, 0), "80010202": (20, 17, 4, 0),
                                 "80010203": (0, 0, 1, 0)})
    cell = ("overall_level", "800102", "3")
    assert pattern.status[cell] == "secondary" and pattern.ceilings[cell] == 5
    assert cell in pattern.unsatisfied
    assert _unnamed_pins(pattern) == set()


def test_a_total_pinned_only_for_a_while_hides_nothing_more() -> None:
    """Tambons of one village each: a tambon's "×" is pinned by its one village until that
    village's cell is hidden beside it. Read as known before then, the rules hid more and
    left sums unprotected."""
    pattern = _amphoe_pattern([[5], [9], [3]])
    assert pattern.unsatisfied == []
    assert _small_pins(pattern) == {}
    for cell, status in pattern.status.items():  # no "×" is left pinned by the cells within it
        if status == "secondary":
            assert pattern.ceilings.get(cell, math.inf) > max(5, pattern.floors.get(cell, 0))


def test_an_x_made_only_of_small_cells_is_not_pinned_at_what_they_hold() -> None:
    """An amphoe's level 3 of 5 over a masked tambon (4, one in each of four villages) and a
    tambon "<5" of 1 has nothing visible to hide beside them, so it is hidden itself ("x"); a
    reader knows it holds at least 5. Beside another "x" of 5 in a sum of 10 both were 5, and
    all six small cells were pinned (a second review). The rules read such an "x" as at least
    what its parts hold, and keep it able to reach more."""
    villages = {f"800101{i:02d}": (20, 10, 1, 0) for i in range(1, 5)}
    villages["80010201"] = (20, 10, 1, 5)
    pattern = _villages_pattern(villages)
    assert pattern.status[("overall_level", "8001", "3")] == "secondary"
    assert pattern.floors[("overall_level", "8001", "3")] == 5
    assert pattern.unsatisfied == []
    ranges = _reader_ranges(pattern)
    small = {c: pattern.count("overall_level", *c) for c in ranges
             if 0 < pattern.count("overall_level", *c) < 5}
    assert len(small) >= 6
    for cell, value in small.items():
        low, high = ranges[cell]
        assert low <= value <= high and low < high, (cell, value, ranges[cell])


def test_a_measure_published_only_as_shares_and_data_quality_counts_are_masked() -> None:
    """A small cell of a measure published only as shares (the poor: H prints "<5") and a
    data-quality count (printed as counts in every area, zeros too, also in areas with fewer
    than 5 households) are masked over four small cells as well (a second review)."""
    from abcresearch.reports.disclosure import MASKED, build_pattern
    from abcresearch.reports.estimates import CountMeasure

    poor = [["poor"] + ["nonpoor"] * 40 if i < 4 else ["nonpoor"] * 41 for i in range(6)]
    hh = pd.DataFrame({"village_code": [f"800101{i + 1:02d}" for i in range(6) for _ in range(41)],
                       "tambon_code": "800101", "amphoe_code": "8001", "province_code": "80",
                       "weight": 2.0})
    measure = CountMeasure("poor", ("poor", "nonpoor"), published=())
    rejected = {f"800101{i + 1:02d}": 1 if i < 4 else 0 for i in range(6)}
    rejected.update({"800101": 4, "8001": 4, "80": 4})
    pattern = build_pattern(hh, pd.DataFrame({"poor": sum(poor, [])}),
                            pd.DataFrame(index=hh.index), [measure], [], threshold=5,
                            extra_counts={"rejected": rejected})
    for area in ("800101", "8001", "80"):
        assert pattern.status[("poor", area, "poor")] == MASKED
        assert pattern.status[("rejected", area, "all")] == MASKED
        assert pattern.marker("rejected", area, "all") == "×"
    assert pattern.status[("rejected", "80010101", "all")] == "primary"
    # villages of 2 households (a data-quality count's "<5" there is still 1 to 4)
    small = hh.groupby("village_code").head(2).reset_index(drop=True)
    pattern = build_pattern(small, pd.DataFrame({"poor": ["nonpoor"] * len(small)}),
                            pd.DataFrame(index=small.index), [measure], [], threshold=5,
                            extra_counts={"rejected": rejected})
    assert not pattern.publishable("80010101")
    assert pattern.status[("rejected", "800101", "all")] == MASKED
    # and it prints "×" where it is printed, also in an area of fewer than 5 households (a
    # second review: the small area's "<5" came first, and a data-quality "<5" there is 1-4)
    from types import SimpleNamespace

    from abcresearch.reports import disclosure

    tiny = hh.groupby("village_code").head(1).reset_index(drop=True).iloc[:4]
    pattern = build_pattern(tiny, pd.DataFrame({"poor": ["nonpoor"] * len(tiny)}),
                            pd.DataFrame(index=tiny.index), [measure], [], threshold=5,
                            extra_counts={"rejected": {**{v: 1 for v in tiny["village_code"]},
                                                       "800101": 4, "8001": 4, "80": 4}})
    assert not pattern.publishable("800101")
    assert pattern.status[("rejected", "800101", "all")] == MASKED
    original = disclosure.pattern_for
    disclosure.pattern_for = lambda report: pattern
    try:
        pub = disclosure.Publisher(SimpleNamespace(threshold=5), "data_quality")
    finally:
        disclosure.pattern_for = original
    assert pub.count("rejected", "800101").text == "×"
    assert pub.count("rejected", "80010101").text == "<5"


def test_hidden_parts_keep_the_ranges_their_markers_give() -> None:
    from abcresearch.reports.disclosure import keeps_marker_ranges

    def keeps(*cells: tuple[int, str]) -> bool:
        return keeps_marker_ranges(cells, 5)

    assert keeps((70, "secondary"), (3, "primary"))
    assert keeps((5, "secondary"), (4, "primary"))  # 9: level 3 is 1-4, level 2 5-8
    assert not keeps((5, "secondary"), (3, "primary"))  # 8: at most 3
    assert not keeps((4, "primary"), (4, "primary"))  # "<5" and "<5" of 8: both 4
    assert not keeps((1, "primary"), (4, "primary"))
    assert keeps((5, "secondary"), (1, "primary"), (4, "primary"))  # 10 = 4 + 1 + 5
    assert not keeps((5, "secondary"), (1, "primary"), (3, "primary"))
    assert keeps((5, "secondary"), (6, "secondary"))  # nothing small to protect
    # ... but "×" parts at their least are each pinned (5 + 5 of 10; 7 + 5 of 12 where the
    # first holds at least 7 to a reader), and a pinned "×" is no cover in its other sums
    assert not keeps((5, "secondary"), (5, "secondary"))
    assert not keeps_marker_ranges([(7, "secondary", 7), (5, "secondary")], 5)
    assert keeps_marker_ranges([(7, "secondary", 6), (5, "secondary")], 5)


def test_a_union_of_a_measure_not_published_cell_by_cell_stays_hidden() -> None:
    """A category that is not published as a cell is never marked hidden, so "everything
    else is shown" would not mean the union is worked out already: such a measure's union
    with a hidden cell stays hidden."""
    from abcresearch.reports.disclosure import build_pattern
    from abcresearch.reports.estimates import CountMeasure

    flags = ["fail"] * 3 + ["pass"] * 47
    hh = pd.DataFrame({"village_code": "80010101", "tambon_code": "800101",
                       "amphoe_code": "8001", "province_code": "80", "weight": 2.0},
                      index=range(50))
    measure = CountMeasure("item:x", ("fail", "pass"), published=("fail",))
    pattern = build_pattern(hh, pd.DataFrame({"item:x": flags}), pd.DataFrame(index=hh.index),
                            [measure], [], threshold=5)
    assert pattern.hidden("item:x", "80010101", "fail")
    assert not pattern.hidden("item:x", "80010101", "pass")
    assert pattern.union_hidden("item:x", "80010101", ("fail",))


def test_complement_last_is_read_from_the_publication_rules() -> None:
    from abcresearch.reports.disclosure import publication_rules, round_measures
    from abcresearch.scoring import load_scheme

    assert publication_rules().complement_last == {"level": ("1",)}
    measures = round_measures(load_scheme(), 2549).counts
    heads = {m.id: m.headline for m in measures if m.id == "overall_level"
             or m.id.startswith("level:")}
    assert heads and set(heads.values()) == {("1",)}


def test_a_bad_complement_last_is_named(tmp_path) -> None:
    import pytest
    import yaml

    from abcresearch.errors import ParamsError
    from abcresearch.paths import params_dir
    from abcresearch.reports.disclosure import publication_rules

    raw = yaml.safe_load((params_dir() / "publication.yaml").read_text(encoding="utf-8"))
    raw["complement_last"] = {"level": ["4"]}
    bad = tmp_path / "publication.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError, match="complement_last"):
        publication_rules(bad)


def test_a_bad_small_score_gap_is_named_with_the_other_problems(tmp_path) -> None:
    import pytest
    import yaml

    from abcresearch.errors import ParamsError
    from abcresearch.paths import params_dir
    from abcresearch.reports.disclosure import publication_rules

    raw = yaml.safe_load((params_dir() / "publication.yaml").read_text(encoding="utf-8"))
    raw["small_score_gap"] = "five"
    raw["complement_last"] = {"level": ["4"]}
    bad = tmp_path / "publication.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError, match="small_score_gap") as err:
        publication_rules(bad)
    assert "complement_last" in str(err.value)  # every problem at once
    del raw["small_score_gap"], raw["complement_last"]  # left out: never said
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert publication_rules(bad).small_score_gap == 0


def test_published_numbers_round_half_up() -> None:
    """The methods say money is rounded half up; Python's formatting rounds a tie to even, so
    117,562.50 baht of one table was 117,562 in the next (and 170,887.50 became 170,888)."""
    from abcresearch.reports.formatting import fmt_ci
    from abcresearch.reports.render.display import format_number, table_spec

    assert format_number(117562.5) == "117,563" and format_number(170887.5) == "170,888"
    assert format_number(12.5) == "13" and format_number(0.125 * 100) == "13"
    assert format_number(-2.5) == "-3" and format_number(12.25, 1) == "12.3"
    assert format_number(1234567.891, 2) == "1,234,567.89"
    assert format_number(float("nan"), 1) == "nan"
    # a share scaled to percent in decimal: 29/200 is 14.5%, a tie (14.499999999999998 in binary)
    assert format_number(29 / 200, 0, scale=100) == "15"
    assert fmt_ci(29 / 200, 0.1, 0.2, digits=0, scale=100) == "15 (10–20)"
    assert format_number(1e27, 2).startswith("1,000,000,000,000,000,000,000,000,000.00")
    assert fmt_ci(0.125, 0.105, 0.15, digits=0, scale=100) == "13 (11–15)"
    assert table_spec(pd.DataFrame({"x": [117562.5]}), decimals=0)["rows"] == [["117,563"]]


def _open_publisher(monkeypatch: pytest.MonkeyPatch):
    """A Publisher over a pattern that hides nothing (the writing of numbers alone)."""
    from types import SimpleNamespace

    from abcresearch.reports import disclosure

    pattern = SimpleNamespace(publishable=lambda area: True, hidden=lambda *a: False,
                              share_hidden=lambda *a: False)
    monkeypatch.setattr(disclosure, "pattern_for", lambda report: pattern)
    return disclosure.Publisher(SimpleNamespace(threshold=5), "test")


LEVEL1 = (("overall_level", "1"),)
LEVELS = tuple(("overall_level", k) for k in ("1", "2", "3"))


def test_a_means_interval_stops_at_the_values_the_measure_can_take(monkeypatch) -> None:
    """"35.0 (-0.7–70.7)" on a 0–100 score and an income's interval below 0 (Wald intervals on
    two villages; a reader review): a mean's printed interval stops at its kind's range
    (``MEAN_RANGES``), the ledger records what is printed, and an interval inside the range
    prints as ever."""
    from abcresearch.reports.disclosure import MEAN_RANGES

    pub = _open_publisher(monkeypatch)
    score = pub.mean("score:cultural", "800101", 35.0, -0.7, 70.7)
    assert (score.text, score.low, score.high) == ("35.0", "0.0", "70.7")
    assert score.with_ci == "35.0 (0.0–70.7)"
    assert pub.entries[-1].ci_text == ("0.0", "70.7")
    assert pub.entries[-1].ci[0][0] >= -0.05 - 1e-6
    top = pub.mean("score:human", "800101", 96.0, 91.2, 100.8)
    assert top.high == "100.0"
    m0 = pub.mean("m0", "800101", 0.05, -0.02, 0.12, kind="index")
    assert float(m0.low) == 0.0 and m0.high == "0.120"
    money = pub.mean("income", "800101", 110_000.0, -12_000.0, 232_000.0, kind="money")
    assert float(money.low.replace(",", "")) == 0.0
    # a derived amount and a Gini stop there too (income per person printed "-29,000–133,000"
    # under a mean income clipped at 0; a code review)
    per_person = pub.derived("other", "mean_income_pc", "800101", 52_000.0, False, "money", (),
                             -29_000.0, 133_000.0)
    assert float(per_person.low.replace(",", "")) == 0.0
    gini = pub.derived("other", "gini", "800101", 0.9, False, "gini", (), 0.7, 1.1)
    assert float(gini.high) == 1.0
    inside = pub.mean("score:social", "800101", 50.0, 40.0, 60.0)
    assert (inside.low, inside.high) == ("40.0", "60.0")
    assert MEAN_RANGES["score"] == (0.0, 100.0)


def test_a_number_short_of_a_rules_threshold_never_prints_reaching_it(monkeypatch) -> None:
    """"34 (29–40)" under a need threshold of 40%: its upper bound was 39.77, which does not
    reach it, while the page read as if it did (a Thai reader's review). Numbers of the grade
    and need rules' indicators keep to their own side of each threshold."""
    pub = _open_publisher(monkeypatch)
    shown = pub.share("80011216", LEVEL1, LEVELS, 0.34, 0.286656, 0.397736)
    assert (shown.text, shown.low, shown.high) == ("34", "29", "39.8")
    entry = pub.entries[-1]
    assert entry.ci is not None and entry.ci[1][1] <= 0.40   # the ledger knows it is below
    # at or above the threshold (">=": 40 meets it) it prints as ever, and the ledger's
    # bounds say which side ("40" is 40.0-40.5, not 39.5-40.5)
    shown = pub.share("80010103", LEVEL1, LEVELS, 0.466667, 0.400221, 0.534317)
    assert (shown.text, shown.low, shown.high) == ("47", "40", "53")
    assert pub.entries[-1].ci[0][0] == pytest.approx(0.40)
    # M0 against its 0.38: 0.3796 is not "0.380"
    assert pub.mean("m0", "80010103", 0.3796, kind="index").text == "0.3796"
    assert pub.mean("m0", "80010103", 0.3804, kind="index").text == "0.380"
    # another share (not an indicator of the rules) rounds as ever
    other = pub.share("80010103", (("overall_level", "2"),), LEVELS, 0.3977)
    assert other.text == "40"
    # exactly 40% in floating point (4 of 10 households at weight 1.7: 6.8 / 17 is
    # 0.39999999999999997) is at the threshold, as the rules compare it: "40", not "39.999"
    # (a code review)
    at = pub.share("80010103", LEVEL1, LEVELS, 6.8 / 17, 0.3, 6.8 / 17)
    assert (at.text, at.high) == ("40", "40")
    from abcresearch.scoring.grade_rules import condition_holds

    # a village-form mean (an amphoe's tambons: the villages' mean process step) beside the
    # rules' "step 4": 3.96 is not "4.0"; 1.96 under "below step 2" is not "2.0"
    assert pub.public("step", 3.96, "score", indicator="process_step").text == "3.96"
    assert pub.public("step", 1.96, "score", indicator="process_step").text == "1.96"
    assert pub.public("step", 3.94, "score", indicator="process_step").text == "3.9"
    assert condition_holds([6.8 / 17], ">=", 0.40)[0]
    assert not condition_holds([0.3999999], ">=", 0.40)[0]


@settings(max_examples=300, deadline=None)
@given(st.floats(0.0, 1.0))
def test_a_share_of_level_1_is_written_on_its_side_and_within_its_bounds(value) -> None:
    with pytest.MonkeyPatch.context() as mp:
        pub = _open_publisher(mp)
        shown = pub.share("80010103", LEVEL1, LEVELS, value)
    entry = pub.entries[-1]
    lo, hi = entry.bounds
    assert lo <= value <= hi
    assert (shown.value >= 0.40) == (round(value, 12) >= 0.40)  # as the rules compare
