"""Statistical disclosure control for published tables (threshold from ``params/design.yaml``).

Rules (see ``shared/ecosystem.md`` section 5):

1. primary suppression: a household count of 1 to ``threshold - 1`` is suppressed (zeros are shown);
2. a share, mean or grade whose base is fewer than ``threshold`` households is suppressed;
3. secondary suppression: in any row or column of a count table where exactly one cell is
   suppressed, the next-smallest non-zero cell is suppressed too, so totals cannot give it back.
"""

from __future__ import annotations

import math
import re
import sys
import threading
import weakref
from collections import deque
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from abcresearch.reports.render.display import format_number
from abcresearch.scoring.grade_rules import SNAP_DECIMALS, load_grade_rules


def marker(threshold: int = 5) -> str:
    """Return the text shown in place of a small (primary-suppressed) cell, e.g. ``"<5"``."""
    return f"<{threshold}"


#: Marker of a small cell under the default threshold of 5.
SUPPRESSED = marker(5)
#: Marker of a cell hidden only so that a small cell cannot be recovered from totals.
SECONDARY = "×"
#: Printed for a figure with nothing to rest on (no household in its base), not hidden.
NO_DATA = "–"
#: A number as a report prints it ("1,234", "12.5").
_NUMBER_TEXT = re.compile(r"\d[\d,]*(?:\.\d+)?")


def primary_mask(counts: pd.DataFrame, threshold: int = 5) -> pd.DataFrame:
    """Return True where a count is between 1 and ``threshold - 1``."""
    c = counts.apply(pd.to_numeric, errors="coerce")
    return (c > 0) & (c < threshold)


def secondary_mask(counts: pd.DataFrame, mask: pd.DataFrame, threshold: int = 5
                   ) -> pd.DataFrame:
    """Extend a suppression mask so that no row, column or the table's total gives a cell back.

    No row or column keeps exactly one suppressed cell (each gets its smallest non-zero
    neighbour). The whole table's total is printed (the change section's matched
    households), so its suppressed cells, read with what their markers say ("<5": 1 to
    ``threshold - 1``, "×": at least ``threshold``), must leave every small cell its range
    (:func:`keeps_marker_ranges`); the cell hidden next is then the smallest one that covers
    what is short, else the largest.

    Parameters
    ----------
    counts : pandas.DataFrame
        The published counts (numeric).
    mask : pandas.DataFrame
        Cells already suppressed (the small ones).
    threshold : int
        Smallest publishable count.

    Returns
    -------
    pandas.DataFrame
        The extended mask; repeated until stable (:func:`protected_table` says whether it
        protects).
    """
    values = _numeric(counts)
    small = mask.to_numpy(dtype=bool).copy()
    m = small.copy()
    lines, whole = _table_sums(values.shape)
    for _ in range(values.size + 1):
        changed = False
        for cells in [*lines, whole]:
            hidden = [(values[c], "primary" if small[c] else "secondary") for c in cells if m[c]]
            if not hidden:
                continue
            if cells is whole:
                if keeps_marker_ranges(hidden, threshold):
                    continue
                at_least = marker_shortfall(hidden, threshold)
            elif len(hidden) == 1:
                at_least = 0.0
            else:
                continue
            visible = [c for c in cells if not m[c] and values[c] > 0]
            if not visible:
                continue
            enough = [c for c in visible if values[c] >= at_least]
            pick = min(enough, key=lambda c: values[c]) if enough \
                else max(visible, key=lambda c: values[c])
            m[pick] = True
            changed = True
        if not changed:
            break
    return pd.DataFrame(m, index=mask.index, columns=mask.columns)


def _numeric(counts: pd.DataFrame) -> np.ndarray:
    """Return a table's counts as floats (what is not a number as 0)."""
    return np.nan_to_num(counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float))


def _table_sums(shape: tuple[int, ...]) -> tuple[list[list[tuple[int, int]]],
                                                 list[tuple[int, int]]]:
    """Return the cells of each row and column of a table of ``shape``, and of the whole."""
    rows, cols = shape
    lines = [[(i, j) for j in range(cols)] for i in range(rows)] + \
        [[(i, j) for i in range(rows)] for j in range(cols)]
    return lines, [(i, j) for i in range(rows) for j in range(cols)]


def suppress_counts(counts: pd.DataFrame, threshold: int = 5,
                    secondary: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the counts as display values with small cells replaced by ``"<5"``.

    Parameters
    ----------
    counts : pandas.DataFrame
        Household counts.
    threshold : int, default 5
        Smallest publishable count.
    secondary : bool, default True
        Apply secondary suppression within rows and columns and under the table's printed
        total (:func:`secondary_mask`).

    Returns
    -------
    shown : pandas.DataFrame
        Object frame: integers, ``"<5"`` where a count is small, ``"×"`` where a cell is hidden
        only to protect a small one (secondary suppression).
    mask : pandas.DataFrame
        True where suppressed (either way).

    Examples
    --------
    >>> counts = pd.DataFrame({"a": [3, 20], "b": [40, 30], "c": [50, 60]})
    >>> shown, mask = suppress_counts(counts)
    >>> shown.to_numpy().tolist()
    [['<5', '×', 50], ['×', '×', 60]]
    """
    primary = primary_mask(counts, threshold)
    mask = secondary_mask(counts, primary, threshold) if secondary else primary
    shown = counts.astype(object).where(~primary, marker(threshold)).where(
        ~(mask & ~primary), SECONDARY)
    return shown, mask


def protected_table(counts: pd.DataFrame, mask: pd.DataFrame, threshold: int = 5) -> bool:
    """Whether a table masked by :func:`suppress_counts` protects its small cells.

    No row or column has exactly one suppressed cell with another non-zero cell beside it,
    and the suppressed cells under the table's printed total keep every small cell its range
    (:func:`keeps_marker_ranges`). A table that does not is left out (the change section).
    """
    values = _numeric(counts)
    small = primary_mask(counts, threshold).to_numpy(dtype=bool)
    m = mask.to_numpy(dtype=bool)
    lines, whole = _table_sums(values.shape)
    for cells in lines:
        if sum(m[c] for c in cells) == 1 and any(not m[c] and values[c] > 0 for c in cells):
            return False
    return keeps_marker_ranges([(values[c], "primary" if small[c] else "secondary")
                                for c in whole if m[c]], threshold)


def share_mask(count: pd.Series | np.ndarray, base: pd.Series | np.ndarray,
               threshold: int = 5) -> np.ndarray:
    """Return true where a share must not be published (rule 2 with its complement).

    A share ``count / base`` gives its count back whenever the base is published (and within a
    village, where weights are equal, a weighted share is the unweighted one). So a share is
    suppressed when its base is 1 to ``threshold - 1``, or when the households it counts, or the
    households it leaves out, number 1 to ``threshold - 1``.

    Parameters
    ----------
    count, base : array-like
        Unweighted household counts of the numerator and of the base.
    threshold : int
        Smallest publishable count.

    Examples
    --------
    >>> share_mask(np.array([3, 70, 147, 0]), np.array([150, 150, 150, 150])).tolist()
    [True, False, True, False]
    """
    c = np.asarray(count, dtype=float)
    b = np.asarray(base, dtype=float)

    def small(x: np.ndarray) -> np.ndarray:
        return (x > 0) & (x < threshold)

    return small(b) | small(c) | small(b - c)


def is_small(count: pd.Series | np.ndarray | float, threshold: int = 5) -> np.ndarray:
    """Return true where a household count is 1 to ``threshold - 1`` (rule 1; zeros are shown)."""
    c = np.asarray(count, dtype=float)
    return (c > 0) & (c < threshold)


def suppress_shares(shares: pd.DataFrame | pd.Series, count: pd.DataFrame | pd.Series | np.ndarray,
                    base: pd.DataFrame | pd.Series | np.ndarray,
                    threshold: int = 5) -> pd.DataFrame | pd.Series:
    """Blank (NaN) every share that :func:`share_mask` hides (rule 2 with its complement).

    Parameters
    ----------
    shares : pandas.DataFrame or Series
        The shares (or percentages) to publish.
    count, base : array-like
        Unweighted households counted by each share and in its base, of the same shape (a base
        may also be one value per row of a frame).
    threshold : int
        Smallest publishable count.

    Examples
    --------
    >>> suppress_shares(pd.Series([0.02, 0.5]), np.array([3, 75]), np.array([150, 150])).tolist()
    [nan, 0.5]
    """
    c = np.asarray(count, dtype=float)
    b = np.asarray(base, dtype=float)
    if isinstance(shares, pd.DataFrame) and b.ndim == 1:
        b = np.repeat(b[:, None], shares.shape[1], axis=1)
    return shares.mask(share_mask(c, b, threshold))


def suppress_histogram(count: np.ndarray | None, weighted: np.ndarray | None, total: int,
                       threshold: int = 5) -> np.ndarray | None:
    """Return the bar heights of a histogram that may be drawn.

    Parameters
    ----------
    count, weighted : numpy.ndarray or None
        Households (unweighted) and weighted households per bin.
    total : int
        Households in the histogram.
    threshold : int
        Smallest publishable count.

    Returns
    -------
    numpy.ndarray or None
        ``weighted`` with bins of 1 to ``threshold - 1`` households set to 0; None (draw nothing)
        when ``total`` is below the threshold.
    """
    if count is None or weighted is None or total < threshold:
        return None
    out = np.asarray(weighted, dtype=float).copy()
    out[is_small(count, threshold)] = 0.0
    return out


def af_publishable(n_poor: float, n_base: float, n_households: float,
                   threshold: int = 5) -> dict[str, bool]:
    """Which Alkire-Foster measures of an area may be published.

    H is a share of households (rule 2 with its complement: the poor and the non-poor must both
    be 0 or at least ``threshold``); A is a mean over the poor households only (at least
    ``threshold`` of them); M0 needs the area to have at least ``threshold`` households. H and A
    also need the area to be publishable.

    Parameters
    ----------
    n_poor, n_base : float
        Households identified as poor; households whose deprivations are all known.
    n_households : float
        Households of the area.
    threshold : int
        Smallest publishable count.

    Returns
    -------
    dict
        ``{"H": bool, "A": bool, "M0": bool}``.

    Examples
    --------
    >>> af_publishable(27, 30, 30)
    {'H': False, 'A': True, 'M0': True}
    """
    area = bool(n_households >= threshold)
    h = not bool(share_mask(np.array([n_poor]), np.array([n_base]), threshold)[0])
    return {"H": h and area, "A": bool(n_poor >= threshold) and area, "M0": area}


def suppress_by_base(values: pd.DataFrame | pd.Series, base: pd.Series | np.ndarray,
                     threshold: int = 5) -> pd.DataFrame | pd.Series:
    """Blank (NaN) every value whose base count is between 1 and ``threshold - 1``."""
    b = np.asarray(base, dtype=float)
    small = (b > 0) & (b < threshold)
    if isinstance(values, pd.DataFrame):
        return values.mask(np.repeat(small[:, None], values.shape[1], axis=1))
    return values.mask(small)


# ============================================================================================
# The one disclosure step for everything published
# ============================================================================================
#
# A report never decides on its own what may be published. Every area's numbers come from
# one suppression pattern of the whole round (:class:`SuppressionPattern`), built once from the
# round's households over every village, tambon, amphoe and the province, so that a cell
# hidden in one report is hidden in every report that could give it back (the village's own
# report, its tambon's table of villages, its amphoe's table of tambons, the province
# overview). Sections write each number through a :class:`Publisher`, which rounds it
# (``params/publication.yaml``), hides it when the pattern says so, and records what was
# published in a ledger of :class:`Published` entries kept by the section's result; the
# disclosure test (:mod:`abcresearch.reports.disclosure_audit`) attacks that ledger.

#: Marker of a cell hidden only so that a hidden cell cannot be recovered (alias).
COMPLEMENT = SECONDARY


@dataclass(frozen=True)
class PublicationRules:
    """How published numbers are written and protected (``params/publication.yaml``)."""

    digits: Mapping[str, int]
    weighted_count_base: int
    income_bins: tuple[float, ...]
    lorenz_points: int
    protection_relative: float
    protection_absolute: float
    verified: bool
    source: str
    complement_last: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    small_score_gap: float = 0.0


_DIGIT_KINDS = ("percent", "score", "index", "gini", "money")

MEAN_RANGES: dict[str, tuple[float, float]] = {"score": (0.0, 100.0), "index": (0.0, 1.0),
                                               "money": (0.0, math.inf), "gini": (0.0, 1.0)}
"""The values a statistic of each kind can take: a mean's or a derived statistic's printed
interval stops at them (a Wald interval of a score on two villages printed "35.0 (-0.7–70.7)"
on a 0–100 scale, and an income's "0–210,000" read as a joke at a forum; a reader review)."""


def _within_range(kind: str, low: float | None, high: float | None
                  ) -> tuple[float | None, float | None]:
    """Return an interval's ends stopped at the values a statistic of ``kind`` can take."""
    floor, ceiling = MEAN_RANGES.get(kind, (-math.inf, math.inf))
    if low is not None and np.isfinite(low):
        low = max(low, floor)
    if high is not None and np.isfinite(high):
        high = min(high, ceiling)
    return low, high


def change_limits(kind: str, cells: Sequence[tuple[str, str]]) -> tuple[float, float]:
    """Return the least and most a change between rounds of a share or mean can be.

    A share (0-1) or M0 (0-1) changes by at most 1 either way and a mean capital score
    (0-100) by at most 100 (:data:`MEAN_RANGES`): a change's printed interval stops there
    ("-8.3 (-106.6 ถึง 90.1)" on a share of households; a reader review). Unbounded for a mean
    of another kind.

    Parameters
    ----------
    kind : str
        ``"share"`` or ``"mean"``, as a change's :class:`Published` ``name``.
    cells : sequence of (measure, category)
        What it counts (a mean's measure: ``"m0"`` or ``"score:<capital>"``).
    """
    measure = cells[0][0] if cells else ""
    low, high = ((0.0, 1.0) if kind == "share" else MEAN_RANGES["index"] if measure == "m0"
                 else MEAN_RANGES["score"] if measure.startswith("score:")
                 else (-math.inf, math.inf))
    return low - high, high - low


#: What ``complement_last`` may name: the overall and each capital's level.
_COMPLEMENT_LAST = {"level": ("1", "2", "3")}


def parse_publication_rules(raw: Mapping[str, Any], path: Path) -> PublicationRules:
    """Parse ``params/publication.yaml`` (every problem reported at once)."""
    from abcresearch.params import Problems, language_text

    pr = Problems(path)
    digits = raw.get("digits") or {}
    if not isinstance(digits, Mapping):
        pr.add("digits", "must be a mapping of kind -> decimals")
        digits = {}
    for kind in _DIGIT_KINDS:
        v = digits.get(kind)
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 6:
            pr.add(f"digits.{kind}", "must be a whole number 0-6")
    base = raw.get("weighted_count_base")
    if not isinstance(base, int) or isinstance(base, bool) or base < 1:
        pr.add("weighted_count_base", "must be a whole number >= 1")
    bins = raw.get("income_bins")
    if (not isinstance(bins, list) or len(bins) < 2
            or not all(isinstance(b, int | float) for b in bins)
            or any(b >= c for b, c in zip(bins, bins[1:], strict=False)) or bins[0] != 0):
        pr.add("income_bins", "must be increasing numbers starting at 0")
        bins = [0, 1]
    points = raw.get("lorenz_points")
    if not isinstance(points, int) or isinstance(points, bool) or points < 2:
        pr.add("lorenz_points", "must be a whole number >= 2")
    prot = raw.get("protection") or {}
    for key in ("relative", "absolute"):
        v = prot.get(key) if isinstance(prot, Mapping) else None
        if not isinstance(v, int | float) or not 0 <= v < 1:
            pr.add(f"protection.{key}", "must be a number in [0, 1)")
    if not isinstance(raw.get("verified"), bool):
        pr.add("verified", "must be true or false")
    last = raw.get("complement_last") or {}
    if not isinstance(last, Mapping) or any(
            k not in _COMPLEMENT_LAST or not isinstance(v, list)
            or not all(isinstance(c, str | int) and str(c) in _COMPLEMENT_LAST[k] for c in v)
            for k, v in last.items()):
        pr.add("complement_last", "must map " + " / ".join(
            f"{k} to a list of {', '.join(v)}" for k, v in _COMPLEMENT_LAST.items()))
        last = {}
    gap = raw.get("small_score_gap", 0)
    if not isinstance(gap, int | float) or isinstance(gap, bool) or not 0 <= gap <= 100:
        pr.add("small_score_gap", "must be a number of points 0-100 (0: never said)")
        gap = 0
    pr.raise_if_any()  # base and points are whole numbers from here on
    return PublicationRules(digits={k: int(digits[k]) for k in _DIGIT_KINDS},
                            weighted_count_base=int(cast(int, base)),
                            income_bins=tuple(map(float, bins)),
                            lorenz_points=int(cast(int, points)),
                            protection_relative=float(prot["relative"]),
                            protection_absolute=float(prot["absolute"]),
                            verified=bool(raw["verified"]), source=language_text(raw.get("source")),
                            complement_last={k: tuple(str(c) for c in v)
                                             for k, v in last.items()},
                            small_score_gap=float(gap))


def publication_rules(path: str | Path | None = None) -> PublicationRules:
    """Load ``params/publication.yaml`` (or ``path``)."""
    from abcresearch.params import load

    return load(path or "publication", parse_publication_rules)


# --------------------------------------------------------------------------------------------
# Cells, relations and the suppression pattern

Cell = tuple[str, str, str]
"""``(measure, area code, category)``; means use the category ``"mean"``; the area's sample
size is ``("n", area, "all")``."""

MEAN = "mean"

MASKED = "masked"
"""Status of a small count cell printed "×" instead of "<5": an area's cell of 1 to
``threshold - 1`` households over as many small cells of the areas within it as it can hold
(a tambon's 4 households, one in each of four villages), or over such a cell. Printed "<5", it
would pin each of them (the total at most 4, each part at least 1); printed "×", a reader knows
only that it is at least ``threshold - 1``, and :func:`build_pattern` keeps it able to reach
``threshold`` in every sum it is part of."""


@dataclass
class _Relation:
    total: Cell
    parts: tuple[Cell, ...]
    kind: str  # "sum" (counts) or "mean" (a parent's mean from its children's)


def parent_code(code: str) -> str | None:
    """Return the code of the area containing ``code`` (None for a province)."""
    return code[:-2] if len(code) > 2 else None


@dataclass
class SuppressionPattern:
    """Which cells of a round may be published, for every area of the round at once.

    Built by :func:`build_pattern`. A cell is hidden as ``"primary"`` (it counts 1 to
    ``threshold - 1`` households, or its area or base has fewer than ``threshold``), as
    ``"masked"`` (a small count cell printed "×", :data:`MASKED`) or as ``"secondary"``
    (hidden so that no sum over a row, a category split, or the areas within an area can give
    a hidden cell back; see :func:`build_pattern`).

    Attributes
    ----------
    threshold : int
        Smallest publishable count.
    counts : dict
        Unweighted households of each count cell.
    sizes : dict
        ``(observed households, weight)`` of each mean cell.
    n : dict
        Households (sample size) of each area.
    status : dict
        Hidden cells: ``"primary"``, ``"secondary"`` or ``"masked"`` (:data:`MASKED`: small,
        printed "×").
    """

    threshold: int
    counts: dict[Cell, int]
    sizes: dict[Cell, tuple[int, float]]
    n: dict[str, int]
    status: dict[Cell, str]
    measures: dict[str, Any] = field(default_factory=dict)
    ratios: dict[tuple[Any, Any], str] = field(default_factory=dict)
    floors: dict[Cell, int] = field(default_factory=dict)
    """The least a reader knows a hidden count cell holds from the areas within it: for a "<5",
    what the "<5" cells within it hold (at most ``threshold - 1``); for an "×", its shown parts
    there and the least of its hidden ones, kept up to date as they are hidden (what it holds
    to a reader is this floor where it is ``threshold`` or more)."""
    ceilings: dict[Cell, float] = field(default_factory=dict)
    """The most a reader knows a hidden count cell holds from the areas within it, where that
    is bounded: its shown parts there and the most of its hidden ones, when each of those is a
    "<5" (``threshold - 1``; a small area's cell, its households) or an "×" bounded so in turn
    (an "×" of 8 made only of two villages' "<5" holds at most 8). Kept for an "×" and a masked
    cell, and for a "<5" where it is less than ``threshold - 1`` (over a small village's cell
    and zeros); absent, an "×" is unbounded above and a "<5" holds at most ``threshold - 1``.
    Kept up to date as parts are hidden."""
    unsatisfied: list[Cell] = field(default_factory=list)
    """Totals of sums whose hidden parts the rules could not protect (nothing was left to
    hide), and "<5" cells the areas within them give away (over a village of one household and
    zeros): none on the sample province (measured) nor on the attack test's store (asserted in
    ``tests/test_disclosure_recovery.py``). Read by the tests and the audit scripts, and a
    batch lists them (:func:`abcresearch.batch.incomplete.unprotected_sums`). The rule for a sum
    of "<5" cells alone counts every such sum as narrowed, even one that is not (two "<5" adding
    up to 5 can each still be 1 to 4), so stores of few households a village name many here."""

    def hidden(self, measure: str, area: str, category: str = MEAN) -> bool:
        """Whether a cell is hidden (a cell of an area not in the round is hidden too)."""
        cell = (measure, area, category)
        if cell in self.status:
            return True
        if area not in self.n:
            return True
        return False

    def marker(self, measure: str, area: str, category: str = MEAN) -> str | None:
        """Return the marker printed for a hidden cell (``"<5"`` or ``"×"``), None when shown."""
        if not self.hidden(measure, area, category):
            return None
        return SECONDARY if self.status.get((measure, area, category)) in ("secondary", MASKED) \
            else marker(self.threshold)

    def publishable(self, area: str) -> bool:
        """Return whether the area has at least ``threshold`` households.

        Else it publishes nothing about its households.
        """
        return self.n.get(area, 0) >= self.threshold

    def count(self, measure: str, area: str, category: str) -> int:
        """Unweighted households of a count cell (0 when none)."""
        return int(self.counts.get((measure, area, category), 0))

    def union_hidden(self, measure: str, area: str, categories: Sequence[str]) -> bool:
        """Whether households in any of ``categories`` of a count measure are hidden together.

        A union with a hidden cell is shown when every *other* category of the measure is
        shown: it is then the area's households less published cells, something a reader
        works out already, and the hidden cells inside it stay hidden (two or more of them,
        since a relation never keeps one alone). Level 3 hidden as below the threshold and
        level 2 hidden beside it publish "levels 2-3" this way when level 1 and the missing
        levels are shown. The whole partition is never hidden in a publishable area.

        A reader also knows what the markers say: "<5" is 1 to ``threshold - 1`` households,
        "×" at least ``threshold`` (a cell hidden beside another is never a small one), or
        ``threshold - 1`` where it is masked (:data:`MASKED`), and what the areas within a
        hidden cell hold (:attr:`floors`, :attr:`ceilings`). So the union is shown only when,
        with those ranges, it leaves every small cell inside it its whole range and pins no
        hidden cell (:func:`keeps_marker_ranges`): at least one "×" cell inside, and the hidden
        households at least ``threshold - 1`` for the small cell plus the least the others can
        be (1 for each other "<5", ``threshold`` or its floor for each "×"), and no more than
        the others can take up. Two small cells alone, or a "×" cell of 5 beside a small one of
        1 (a union of 6), stay hidden.
        """
        if not self.publishable(area):
            return True
        inside = [c for c in categories if self.hidden(measure, area, c)]
        if not inside:
            return False
        measure_def = self.measures.get(measure)
        # only a partition of the area's households published cell by cell (a category not
        # published as a cell is never marked hidden, and a refining measure's total may be)
        if measure_def is None or getattr(measure_def, "refines", True) is not None \
                or set(measure_def.cells) != set(measure_def.categories):
            return True
        others = [k for k in measure_def.categories if k not in set(categories)]
        if any(self.hidden(measure, area, k) for k in others):
            return True
        return not keeps_marker_ranges([self.marked((measure, area, c)) for c in inside],
                                       self.threshold)

    def marked(self, cell: Cell) -> tuple[int, str, int, float]:
        """Return a hidden count cell as :func:`keeps_marker_ranges` reads it.

        ``(households, status, floor, ceiling)``: what it holds, how it is hidden, and the
        least and most a reader knows it holds from the areas within it.
        """
        return (self.count(*cell), self.status.get(cell, ""), self.floors.get(cell, 1),
                self.ceilings.get(cell, math.inf))

    def share_hidden(self, area: str, numerator: Sequence[tuple[str, str]],
                     base: Sequence[tuple[str, str]]) -> bool:
        """Whether a share of ``numerator`` cells over ``base`` cells of an area is hidden.

        It is hidden when its area is not publishable, a numerator cell is hidden, the
        households it counts or leaves out of its base number 1 to ``threshold - 1``, or
        exactly one cell of its base is hidden (the share would give that cell back from the
        others).
        """
        if not self.publishable(area):
            return True
        ratio = self.ratios.get((tuple(numerator), tuple(base)))
        if ratio is not None:
            return (ratio, area, "share") in self.status
        if any(self.hidden(m, area, c) for m, c in numerator) and not \
                self._shown_union_share(area, numerator, base):
            return True
        num = sum(self.count(m, area, c) for m, c in numerator)
        den = sum(self.count(m, area, c) for m, c in base)
        thr = self.threshold
        if 0 < num < thr or 0 < den - num < thr or 0 < den < thr:
            return True
        return sum(self.hidden(m, area, c) for m, c in base) == 1

    def _shown_union_share(self, area: str, numerator: Sequence[tuple[str, str]],
                           base: Sequence[tuple[str, str]]) -> bool:
        """Whether a share with hidden numerator cells is worked out from published counts.

        True when numerator and base are categories of one count measure, the base holds the
        numerator and :meth:`union_hidden` shows the numerator: every category outside it is
        shown, so both the numerator and the base are the area's households less shown cells.
        """
        measures = {m for m, _c in (*numerator, *base)}
        if len(measures) != 1 or not {c for _m, c in numerator} <= {c for _m, c in base}:
            return False
        (measure,) = measures
        return not self.union_hidden(measure, area, [c for _m, c in numerator])


def keeps_marker_ranges(hidden: Sequence[tuple[Any, ...]], threshold: int) -> bool:
    """Whether hidden parts whose sum a reader knows leave each small part its whole range.

    A reader knows that "<5" (primary) is 1 to ``threshold - 1`` households and "×"
    (secondary) at least ``threshold``. Given the sum of the hidden parts, a small part can
    still be any of 1 to ``threshold - 1`` when at least one "×" part is among them (it
    takes up any rest) and the sum is at least ``threshold - 1`` for the small part plus the
    least the others can be (1 for each other small part, ``threshold`` for each "×"), and no
    more than the small part's least plus the most the others can be (an "×" is unbounded
    unless made only of small cells and shown parts: its ceiling).
    A masked part (:data:`MASKED`: small, printed "×") is at least ``threshold - 1`` to a
    reader and must be able to reach ``threshold`` (else the small parts within it are pinned),
    and every "×" must be able to hold more than its least (``threshold``, or its floor where
    that is more: an "×" pinned there is no cover in the other sums it is part of; two "×" of
    5 in a row of 10 pinned a village's "<5" through its tambon's column, a review); an "×" with
    a ceiling must be able to hold less than it (else the small cells within it are pinned at
    ``threshold - 1``).

    Parameters
    ----------
    hidden : sequence of (households, status[, floor[, ceiling]])
        The hidden parts (of areas with enough households) and their status; a part's floor
        and ceiling are the least and most a reader knows it holds from the areas within it
        (:attr:`SuppressionPattern.floors`, :attr:`SuppressionPattern.ceilings`; absent, 1
        and unbounded).
    threshold : int
        Smallest publishable count.
    """
    small, x_parts, total, needed, most = _marker_sums(hidden, threshold)
    if small + x_parts == 0:
        return True
    if small and not x_parts:
        return False
    return needed <= total <= most


def _marker_sums(hidden: Sequence[tuple[Any, ...]], threshold: int
                 ) -> tuple[int, int, float, float, float]:
    """Return what hidden parts must hold for a reader to pin none of them.

    Returns the number of small ("<5") parts, of "×" parts (masked ones, :data:`MASKED`,
    included; bounded or not), their households, the least they must hold together and the
    most they may: enough for each small part to reach ``threshold - 1`` and for an "×" to
    hold one more than its least while the rest hold their least (at its least an "×" is
    pinned, and so is an "×" whose floor is ``threshold`` or more, made of parts a reader adds
    up to that much); no more than lets each small part hold its least and each part with a
    ceiling one less than it while the rest hold their most (:func:`keeps_marker_ranges`).

    The least a reader knows a part holds (:func:`_least_of`): for a "<5", 1 or the floor
    given as its third item (what the "<5" cells within it hold); ``threshold - 1`` for a
    masked part; for an "×", ``threshold`` or its floor where that is more (an "×" over a
    masked 4 and a "<5" holds 5). The most: ``threshold - 1`` for a "<5" (or its ceiling, the
    fourth item, where that is less), the ceiling for an "×" (unbounded when not given).
    """
    small = x_parts = 0
    total = 0.0
    held = 0.0
    room = 0.0
    bounded = False
    small_least: list[float] = []
    for part in hidden:
        value, status = float(part[0]), part[1]
        floor = int(part[2]) if len(part) > 2 else 0
        ceiling = float(part[3]) if len(part) > 3 else math.inf
        total += value
        least = float(_least_of(status, floor, threshold))
        if status == "primary":
            small += 1
            small_least.append(least)
            room += min(threshold - 1.0, ceiling)
        else:
            x_parts += 1
            bounded = bounded or ceiling < math.inf
            room += ceiling
        held += least
    needed = 0.0
    most = math.inf
    if small:  # the small part a reader knows least of must still reach threshold - 1 ...
        needed = (threshold - 1) + held - min(small_least)
        # ... and hold its least while the others hold the rest
        most = room - (threshold - 1) + min(small_least)
    if x_parts:  # an "×" must be able to hold more than its least (there, it is pinned)
        needed = max(needed, held + 1.0)
    if bounded:  # an "×" with a ceiling must hold less than it
        most = min(most, room - 1.0)
    return small, x_parts, total, needed, most


def marker_shortfall(hidden: Sequence[tuple[Any, ...]], threshold: int) -> float:
    """Households a further "×" part must hold for :func:`keeps_marker_ranges` to hold.

    ``threshold`` (any part large enough to be hidden beside) when nothing small is among the
    parts or their sum is enough; more by what their sum falls short. Where they hold more
    than their ceilings let them, no value is enough: the part must raise the ceilings by more
    than it raises their sum. ``build_pattern`` then hides the smallest part of ``threshold``
    or more and reads the sum again until one does (an "×" unbounded above always does), which
    may hide more than needed.
    """
    if keeps_marker_ranges(hidden, threshold):
        return float(threshold)
    _small, _x_parts, total, needed, _most = _marker_sums(hidden, threshold)
    # one more "×" part of v: the sum gains v, what is needed gains threshold (and an "×"
    # unbounded above lifts the most they may hold)
    return float(max(threshold, needed + threshold - total))


def _least_of(status: str | None, floor: int, threshold: int) -> int:
    """Return the least a reader knows a hidden count cell holds (see :func:`_marker_sums`).

    1 or its floor for a "<5", ``threshold - 1`` for a masked cell, ``threshold`` or its floor
    for an "×".
    """
    if status == "primary":
        return max(1, floor)
    if status == MASKED:
        return threshold - 1
    return max(threshold, floor)


def _pinned_by_sums(a_eq: Any, b_eq: np.ndarray, bounds: Sequence[tuple[float, float]],
                    targets: Sequence[int]) -> list[int]:
    """Return which ``targets`` (columns) a reader of ``a_eq x = b_eq`` within ``bounds`` pins.

    Linear programming (HiGHS, through :func:`scipy.optimize.linprog`): four solutions (the
    targets' sum least and most, two random signs; seeded, so the result is the same each run)
    first; a target two solutions put at two whole numbers is not pinned; each other one gets
    its own least and most, whose solutions join the rest. Pinned: no two whole numbers
    between least and most (rounded inwards), or a solve that fails (the safe side: a cell is
    hidden beside it, or it is named). The sums of areas and categories alone form a network
    matrix, whose ends are whole numbers; the households below the income line as the sum of
    the income bins below it (``CountMeasure.sums_of``) can make them fractions, which the
    rounding reads as a reader of whole households would.
    """
    from scipy.optimize import linprog

    width = a_eq.shape[1]
    at = np.asarray(targets, dtype=int)
    seen: list[np.ndarray] = []

    def solve(objective: np.ndarray) -> float | None:
        res = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status != 0:
            return None
        seen.append(res.x[at])
        return float(res.fun)

    rng = np.random.default_rng(width)
    for weights in (np.ones(len(at)), -np.ones(len(at)), rng.choice([-1.0, 1.0], len(at)),
                    rng.choice([-1.0, 1.0], len(at))):
        objective = np.zeros(width)
        objective[at] = weights
        solve(objective)
    pinned = []
    for t, column in enumerate(at):
        values = [x[t] for x in seen]
        if values and np.ptp(values) >= 1 - 1e-6 and all(
                abs(v - round(v)) < 1e-6 for v in (min(values), max(values))):
            continue  # two solutions put it at two whole numbers
        objective = np.zeros(width)
        objective[column] = 1.0
        least, most = solve(objective), solve(-objective)
        # (a failed solve: pinned)
        if least is None or most is None or \
                np.floor(-most + 1e-6) - np.ceil(least - 1e-6) < 1:
            pinned.append(t)
    return pinned


def _smallest_visible(parts: Sequence[Cell], value: Callable[[Cell], float],
                      status: Mapping[Cell, str], headline: Set[tuple[str, str]] = frozenset(),
                      at_least: float = 0.0) -> Cell | None:
    """Return the visible part with the smallest non-zero value, a headline part last.

    With ``at_least``, the smallest part of at least that value (a headline part last), or
    when none is that large the largest (a headline part last): the part that protects most.
    """
    visible = [p for p in parts if p not in status and value(p) > 0]
    if not visible:
        return None
    enough = [p for p in visible if value(p) >= at_least]
    if enough:
        return min(enough, key=lambda p: ((p[0], p[2]) in headline, value(p)))
    return min(visible, key=lambda p: ((p[0], p[2]) in headline, -value(p)))


def build_pattern(households: pd.DataFrame, categories: pd.DataFrame, values: pd.DataFrame,
                  count_measures: Sequence[Any], mean_measures: Sequence[Any], threshold: int,
                  extra_counts: Mapping[str, Mapping[str, int]] | None = None,
                  secondary: bool = True, ratio_measures: Sequence[Any] = (),
                  fine_below: int = 0) -> SuppressionPattern:
    """Build the suppression pattern of a round.

    Rules (``shared/ecosystem.md`` section 5, applied over the whole area hierarchy):

    1. **primary**: a published count cell of 1 to ``threshold - 1`` households; every cell
       (zeros included) of an area with fewer than ``threshold`` households; a mean whose
       observed households are fewer than ``threshold``; a share (ratio measure) whose
       households counted, left out or in its base number 1 to ``threshold - 1``;
       of these, a count cell whose small cells in the areas within it hold at least
       ``threshold - 1`` households to a reader (1 each, or what the small cells within them
       hold) is **masked** (:data:`MASKED`): printed "×" ("<5" would pin them), and the rules
       below keep it able to reach ``threshold`` in the sums it is part of;
    2. **secondary**, repeated until nothing changes, over every *relation*:

       * count cells: an area's published categories adding up to its households (or to the
         category they split), a category adding up the categories of another measure that
         hold the same households (``sums_of``: the households below the income line, the
         income bins below it), and an area's cell adding up its children's cells (village ->
         tambon -> amphoe -> province). A relation with exactly one hidden member gets a second
         one, its smallest non-zero visible part (a headline category of the measure, such as
         level 1, only when no other part can be or none other is large enough to protect; the
         total only when no part can be hidden);
         a relation whose total is shown and whose hidden parts add up to 1 to ``threshold -
         1`` households gets another hidden part (the complement rule), as does one whose
         hidden parts' sum, read with what the markers say ("<5": 1 to ``threshold - 1``,
         "×": at least ``threshold``, or what a reader adds up within it where that is more:
         its shown parts in the areas within it and the least of its hidden ones, kept up to
         date as they are hidden; and at most what those parts hold at most, where each is
         bounded: an "×" made only of "<5" cells and shown parts), narrows a small part or
         pins an "×" at either end (:func:`keeps_marker_ranges`). A hidden cell of an area
         with fewer than ``threshold`` households is no cover for another (it spans no more
         than its households), and a hidden total a reader knows exactly from the areas within
         it (its least and its ceiling meet) is read, once the rules have settled, as if it
         were shown. A sum nothing is left to protect is named
         (:attr:`SuppressionPattern.unsatisfied`), and what it may give away (all its hidden
         cells, though a reader may only narrow some of them; or the cells above a small area
         whose row they fill) is then read as shown by every other sum, until nothing more is
         given away. Last, every sum is read at once, each narrowing its members' ranges by
         what the others can hold until nothing changes, then, where hidden cells form a
         cycle of sums (two villages' rows and two columns pin a cell by their differences
         alone), by linear programming: a small cell pinned so gets a shown cell near it
         hidden (in its sums, else in those of the hidden cells in them, up to three sums
         away, never one left alone in its other sums) and the rules run again; one still
         pinned when nothing near it can be hidden, or after five cells hidden for it, is named
         (the cells hidden for it stay hidden);
       * means and shares: an area's value is a weighted combination of its children's. When
         exactly one member is hidden, the visible child whose households weigh most towards
         protecting it is hidden too (its weight times its room to the ends of the measure's
         range). A share of published count cells of one measure (the share below the income
         line) is not related so: it is hidden wherever one of its cells is, and their sums
         protect it.

    The area's sample size (``n``) is design information and never hidden by a relation.

    Parameters
    ----------
    households : pandas.DataFrame
        The round's scored households, with the area code columns and ``weight``.
    categories, values : pandas.DataFrame
        :func:`~abcresearch.reports.estimates.household_categories` and
        :func:`~abcresearch.reports.estimates.household_values` of them.
    count_measures, mean_measures : sequence
        The measures (:class:`~abcresearch.reports.estimates.CountMeasure`,
        :class:`~abcresearch.reports.estimates.MeanMeasure`).
    threshold : int
        Smallest publishable count.
    extra_counts : mapping, optional
        ``{measure: {area code: count}}``: counts of areas that are not a partition of the
        households (rows rejected at ingest, ...); related only through the area hierarchy
        (category ``"all"``).
    secondary : bool
        Apply secondary suppression (False only to show what it prevents).
    ratio_measures : sequence, optional
        Shares published for every area whose cells are not
        (:class:`~abcresearch.reports.estimates.RatioMeasure`); their cells are
        ``(id, area, "share")``.
    fine_below : int
        An area with fewer households than this publishes shares finer than ``threshold``
        households (a printed step of its percentages is less than ``threshold`` of its
        households). Its cells
        would give back, by subtracting the areas within it, hidden cells of those areas even
        when a second cell of them is hidden (the households' weights differ, so one whole
        solution is left); so a cell of such an area is hidden whenever a cell it adds up is
        (rule 2, the total hidden instead of a second part). 0 switches the rule off.

    Returns
    -------
    SuppressionPattern
    """
    thr = int(threshold)
    cols = [c for c in ("village_code", "tambon_code", "amphoe_code", "province_code")
            if c in households]
    n: dict[str, int] = {}
    children: dict[str, list[str]] = {}
    level_codes = []
    for col in cols:
        idx, uniq = pd.factorize(households[col].astype(str), sort=True)
        codes = [str(u) for u in uniq]
        level_codes.append((idx, codes))
        sizes_ = np.bincount(idx, minlength=len(codes))
        for code, size in zip(codes, sizes_, strict=True):
            n[code] = int(size)
    for code in sorted(n):
        p = parent_code(code)
        if p is not None and p in n:
            children.setdefault(p, []).append(code)
    w = households["weight"].to_numpy(dtype=float)
    counts: dict[Cell, int] = {}
    wsum: dict[Cell, float] = {}
    for m in count_measures:
        k_of = {k: j for j, k in enumerate(m.categories)}
        cat = categories[m.id].map(k_of).to_numpy()
        ok = ~pd.isna(cat)
        cat_i = np.where(ok, cat, 0).astype(int)
        K = len(m.categories)
        for idx, codes in level_codes:
            slot = idx[ok] * K + cat_i[ok]
            tab = np.bincount(slot, minlength=len(codes) * K).reshape(-1, K)
            wtab = np.bincount(slot, weights=w[ok], minlength=len(codes) * K).reshape(-1, K)
            for a, code in enumerate(codes):
                for j, k in enumerate(m.categories):
                    counts[(m.id, code, k)] = int(tab[a, j])
                    wsum[(m.id, code, k)] = float(wtab[a, j])
    sizes: dict[Cell, tuple[int, float]] = {}
    means: dict[Cell, float] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for mm in mean_measures:
        ranges[mm.id] = (mm.low, mm.high)
        v = values[mm.id].to_numpy(dtype=float)
        ok = np.isfinite(v)
        for idx, codes in level_codes:
            nobs = np.bincount(idx, weights=ok.astype(float), minlength=len(codes))
            ws = np.bincount(idx, weights=np.where(ok, w, 0.0), minlength=len(codes))
            wv = np.bincount(idx, weights=np.where(ok, w * np.where(ok, v, 0.0), 0.0),
                             minlength=len(codes))
            for a, code in enumerate(codes):
                sizes[(mm.id, code, MEAN)] = (int(nobs[a]), float(ws[a]))
                means[(mm.id, code, MEAN)] = float(wv[a] / ws[a]) if ws[a] > 0 else np.nan
    ratio_cells: dict[Cell, tuple[int, int]] = {}
    for rm in ratio_measures:
        ranges[rm.id] = (0.0, 1.0)
        for code in n:
            num = sum(counts.get((m, code, c), 0) for m, c in rm.numerator)
            den = sum(counts.get((m, code, c), 0) for m, c in rm.base)
            wnum = sum(wsum.get((m, code, c), 0.0) for m, c in rm.numerator)
            wden = sum(wsum.get((m, code, c), 0.0) for m, c in rm.base)
            cell = (rm.id, code, "share")
            ratio_cells[cell] = (num, den)
            sizes[cell] = (den, wden)
            means[cell] = wnum / wden if wden > 0 else np.nan
    extra_cells: dict[Cell, int] = {}
    for name, per_area in (extra_counts or {}).items():
        for code, count in per_area.items():
            extra_cells[(name, str(code), "all")] = int(count)
    counts.update(extra_cells)

    relations: list[_Relation] = []
    measure_ids = {m.id for m in count_measures}
    for code in n:
        for m in count_measures:
            if not m.cells:
                continue
            if m.refines is not None:
                total = (m.refines[0], code, m.refines[1])
            elif set(m.cells) == set(m.categories):
                total = ("n", code, "all")
            else:
                total = ("n", code, m.id)  # households with a published category: never hidden
            relations.append(_Relation(total, tuple((m.id, code, k) for k in m.cells), "sum"))
            # a category that holds exactly some categories of another measure (the
            # households below the income line, of the bins below it): a reader of both
            # subtracts one from the other
            for k, other, cats in getattr(m, "sums_of", ()):
                if other in measure_ids:
                    relations.append(_Relation((m.id, code, k),
                                               tuple((other, code, c) for c in cats), "sum"))
    # a share of published count cells of one measure (the share below the income line, of
    # the households with an income) says what they say: it is hidden wherever one of them
    # is (below), and their own sums protect it, not a mean of its own over the areas
    of_counts = [rm for rm in ratio_measures if _share_of_published(rm, count_measures)]
    averaged = [(mm.id, MEAN) for mm in mean_measures] + [(rm.id, "share")
                                                          for rm in ratio_measures
                                                          if rm not in of_counts]
    for parent, kids in children.items():
        for m in count_measures:
            for k in m.cells:
                relations.append(_Relation((m.id, parent, k),
                                           tuple((m.id, c, k) for c in kids), "sum"))
        for mid, cat in averaged:
            relations.append(_Relation((mid, parent, cat), tuple((mid, c, cat) for c in kids),
                                       "mean"))
    # a share that is a weighted mean of other shares of the same area (the share of all
    # households in a welfare fund, of each level's): one hidden among them gets another
    # (a part with no household in its base says nothing and is left out)
    for rm in ratio_measures:
        if rm.parts:
            for code in n:
                parts = tuple((p, code, "share") for p in rm.parts
                              if sizes.get((p, code, "share"), (0, 0.0))[0] > 0)
                if parts:
                    relations.append(_Relation((rm.id, code, "share"), parts, "mean"))
    extra_areas: dict[str, set[str]] = {}
    for name, code, _ in extra_cells:
        extra_areas.setdefault(name, set()).add(code)
    for name, areas in extra_areas.items():
        kids_of: dict[str, list[str]] = {}
        for area in sorted(areas):
            kids_of.setdefault(str(parent_code(area)), []).append(area)
        for parent in sorted(areas):
            kids = kids_of.get(parent, [])
            if kids:
                relations.append(_Relation((name, parent, "all"),
                                           tuple((name, c, "all") for c in kids), "sum"))

    status: dict[Cell, str] = {}
    for cell, count in counts.items():
        if 0 < count < thr:
            status[cell] = "primary"
    for cell, (obs, _w) in sizes.items():
        if cell in ratio_cells:
            num, den = ratio_cells[cell]
            if 0 < num < thr or 0 < den - num < thr or den < thr:
                status[cell] = "primary"
        elif obs < thr:
            status[cell] = "primary"
    small_areas = {code for code, size in n.items() if size < thr}
    if small_areas:
        for cell in list(counts) + list(sizes):
            if cell[1] in small_areas and cell[0] not in extra_areas:
                status[cell] = "primary"
    floor: dict[Cell, int] = {}
    ceiling: dict[Cell, float] = {}
    if secondary:
        # a small cell over as many small cells of the areas within it as it can hold (a
        # tambon's 4 households, one in each of four villages) pins each to 1 when printed
        # "<5": "<5" says at most threshold - 1, and a reader adds up the least each "<5"
        # within it holds (1, or what the "<5" cells within that one add up to). Such a cell
        # prints "×" (MASKED) and holds threshold - 1 to a reader; every count measure, also
        # one published only as shares (the poor: H's "<5"); the deepest areas first
        for cell in sorted((c for c, st in status.items() if st == "primary" and c in counts),
                           key=lambda c: -len(c[1])):
            m, area, k = cell
            if area in small_areas and m not in extra_areas:
                continue  # it publishes nothing about its households
            below = sum(floor.get((m, kid, k), 0) for kid in children.get(area, ()))
            if below >= thr - 1:
                status[cell] = MASKED
            floor[cell] = min(max(1, below), thr - 1)

    def value(cell: Cell) -> float:
        if cell[0] == "n":
            return float(n.get(cell[1], 0))
        return float(counts.get(cell, 0))

    def mass(cell: Cell) -> float:
        _obs, wt = sizes.get(cell, (0, 0.0))
        lo, hi = ranges[cell[0]]
        mu = means.get(cell, np.nan)
        if not np.isfinite(mu):
            return 0.0
        room = min(mu - lo, hi - mu) if np.isfinite(hi) else mu - lo
        return wt * max(room, 0.0)

    headline = {(m.id, k) for m in count_measures for k in m.headline}
    # a count cell and its cells in the areas within it (the same measure and category): a
    # reader knows a hidden cell holds at least its shown parts and the least of its hidden
    # ones (a tambon's "×" over villages "<5", "<5" and "×" holds at least 1 + 1 + 5)
    within: dict[Cell, tuple[Cell, ...]] = {}
    above: dict[Cell, Cell] = {}
    for r in relations:
        if r.kind == "sum" and r.parts and r.parts[0][1] != r.total[1]:
            within[r.total] = r.parts
            for part in r.parts:
                above[part] = r.total

    # hidden cells a reader works out all the same: the parts of sums the rules could not
    # protect (named on the pattern); every other sum reads them as shown
    exposed: set[Cell] = set()

    def least_known(cell: Cell) -> int:
        """Return the least a reader knows ``cell``'s parts in the areas within it hold."""
        held = 0
        for p in within.get(cell, ()):
            if p not in status or p in exposed:
                held += int(value(p))
            elif p[1] not in small_areas or p[0] in extra_areas:
                # (a small area's cells print "<5", zeros too: they hold at least nothing)
                held += _least_of(status[p], floor.get(p, 0), thr)
        return held

    def most_known(cell: Cell) -> float:
        """Return the most a reader knows ``cell``'s parts in the areas within it hold.

        Unbounded when it has none, or when one of them is an "×" unbounded in turn.
        """
        parts = within.get(cell, ())
        if not parts:
            return math.inf
        return sum(most_of(p) for p in parts)

    def most_of(p: Cell) -> float:
        """Return the most a reader knows a cell holds (its value where it is shown)."""
        if p not in status or p in exposed:
            return value(p)
        if p[1] in small_areas and p[0] not in extra_areas:
            return min(thr - 1, n[p[1]])  # (its "<5" are no more than its households)
        if status[p] == "primary":
            return min(thr - 1.0, ceiling.get(p, math.inf))
        return ceiling.get(p, math.inf)

    def hide(cell: Cell) -> None:
        """Hide ``cell`` as secondary and bring the floors and ceilings above it up to date.

        A part hidden is known only by its least and its most, no more than its value and no
        less, so the floors of the hidden cells above it come down and their ceilings go up to
        what a reader now knows. No relation needs reading again for it: a lower floor or a
        higher ceiling only widens what a reader knows, so a sum that kept its parts' ranges
        still does.
        """
        status[cell] = "secondary"
        at: Cell | None = cell
        while at is not None and status.get(at) == "secondary":
            if at in within:
                before = (floor.get(at), ceiling.get(at, math.inf))
                set_bounds(at)
                if at != cell and (floor.get(at), ceiling.get(at, math.inf)) == before:
                    break
            at = above.get(at)

    def set_bounds(at: Cell) -> None:
        """Set a hidden cell's floor and ceiling to what a reader knows of the areas within it."""
        least, most = least_known(at), most_known(at)
        if status[at] == "primary":
            floor[at] = min(max(1, least), thr - 1)
            if most < thr - 1:
                ceiling[at] = most
            return
        if status[at] == "secondary":
            floor[at] = least
        if most < math.inf:
            ceiling[at] = most
        else:
            ceiling.pop(at, None)

    def pinned(cell: Cell) -> bool:
        """Whether a reader knows a hidden count cell of an area with enough households exactly.

        Its least (:func:`_least_of`) and its most (its ceiling) from the areas within it meet,
        or it is exposed (a sum the rules could not protect gives it away).
        """
        return cell in status and cell in counts and cell[1] not in small_areas and (
            cell in exposed
            or ceiling.get(cell, math.inf) <= _least_of(status[cell], floor.get(cell, 0), thr))

    def refresh(cell: Cell) -> list[Cell]:
        """Bring the floors and ceilings above a newly exposed cell up to date; return them."""
        changed = []
        at = above.get(cell)
        while at is not None and at in status and at not in exposed:
            set_bounds(at)
            changed.append(at)
            at = above.get(at)
        return changed

    def given_away() -> tuple[list[Cell], set[Cell]]:
        """Return the sums the rules could not protect and the cells a reader may work out there.

        The sums are named by their totals (a "<5" that the areas within it give away by
        itself); the cells are their hidden parts and totals, not yet exposed.
        """
        named: list[Cell] = []
        given: set[Cell] = set()
        for r in relations:
            if r.kind != "sum" or (r.total[0] != "n" and r.total in status
                                   and not pinned(r.total)):
                continue
            parts = [p for p in r.parts if p in status and p[1] not in small_areas
                     and p not in exposed]
            hidden = [marked(p) for p in parts]
            tiny = sum(p in status and p[1] in small_areas for p in r.parts)
            alone = len(hidden) == 1
            # (a small area's own sums protect nothing: it publishes nothing about its
            # households)
            # (nor does a sum of none: its parts are all none, which the rules publish)
            if (not hidden and tiny > 0 and r.total[1] not in small_areas
                    and value(r.total) > 0) or hidden and (
                    alone or not keeps_marker_ranges(hidden, thr)):
                named.append(r.total)
                given.update(parts)
                if r.total in status:
                    given.add(r.total)
        # a "<5" whose cells in the areas within it give its value away: over a village of
        # one household (its "<5" at most 1) and zeros, it can only be 1 (a review). Nothing a
        # sum hides protects it (the small village's households are published): named
        for cell, st in status.items():
            if st == "primary" and cell[1] not in small_areas and cell not in exposed \
                    and min(thr - 1.0, ceiling.get(cell, math.inf)) <= max(1, floor.get(cell, 0)):
                named.append(cell)
                given.add(cell)
        # a small area's row: its cells add up to what it shows (its households), and a cell
        # above one of them that the other areas within cannot fill to its least takes the
        # rest from it; where those rests use up the row, each is what it must be (a village
        # of 2 households, 1 at level 3 and 1 without a level, under a tambon whose other
        # villages show 0 for both: the tambon's two "<5" are 1 each; a review)
        for r in relations:
            if r.kind != "sum" or r.total[0] != "n" or r.total[1] not in small_areas:
                continue
            forced: dict[Cell, float] = {}
            for part in r.parts:
                up = above.get(part)
                if up is None or up not in status or up in exposed or up[1] in small_areas:
                    continue
                rest = _least_of(status[up], floor.get(up, 0), thr) \
                    - sum(most_of(p) for p in within[up] if p != part)
                if rest > 0:
                    forced[up] = rest
            if forced and sum(forced.values()) >= sum(value(p) for p in r.parts):
                named.append(r.total)
                given.update(forced)
        return named, given

    # every sum of counts (not the rows rejected at ingest and such, related only by areas)
    count_sums = [i for i, r in enumerate(relations)
                  if r.kind == "sum" and r.total[0] not in extra_areas]

    def sum_value(r: _Relation) -> float:
        """Return a sum's total (households with a published category: what its parts hold)."""
        if r.total[0] == "n" and r.total[2] != "all":
            return float(sum(counts.get(p, 0) for p in r.parts))
        return value(r.total)

    def hidden_sums() -> list[tuple[int, list[Cell], Cell | None, float, float]]:
        """Return every sum of counts with a hidden member, as a reader reads it.

        Each as (relation index, its hidden parts, its total where hidden, what its shown
        parts hold, its total where shown). Cells a named sum gives away (``exposed``) count
        as hidden: a reader sees their markers.
        """
        found = []
        for i in count_sums:
            r = relations[i]
            members = [p for p in r.parts if p in status]
            total_hidden = r.total[0] != "n" and r.total in status
            if members or total_hidden:
                found.append((i, members, r.total if total_hidden else None,
                              sum(value(p) for p in r.parts if p not in status),
                              0.0 if total_hidden else sum_value(r)))
        return found

    def reader_ranges() -> dict[Cell, list[float]]:
        """Return what a reader works out of each hidden count cell from every sum at once.

        Each hidden cell starts from what its marker says ("<5": 1 to ``threshold - 1``, a
        small area's 0 to its households or fewer; a masked "×" at least ``threshold - 1``,
        any other at least ``threshold``; none more than its area's households); then each sum
        narrows its members by what the others can hold, and its hidden total by what they
        hold together, until nothing changes (bounds propagation). A cell pinned only by
        reading a village's row and a tambon's column together, which each sum alone leaves
        its range, is pinned here. Cells a named sum gives away (``exposed``) are read by their
        markers, as a reader sees them: the named sum itself is among the sums read. The counts
        of rows rejected at ingest and such (related only by areas) are not read.
        """
        ranges: dict[Cell, list[float]] = {}

        def start(c: Cell) -> None:
            if c not in ranges:
                size = float(n.get(c[1], 0))
                if c[1] in small_areas:
                    ranges[c] = [0.0, min(thr - 1.0, size)]
                elif status[c] == "primary":
                    ranges[c] = [1.0, min(thr - 1.0, size)]
                else:
                    ranges[c] = [thr - 1.0 if status[c] == MASKED else float(thr), size]

        sums = hidden_sums()
        for _i, members, total, _known, _value in sums:
            for p in (*members, *([total] if total is not None else [])):
                start(p)
        for _ in range(200):  # (each pass narrows a whole number, or stops)
            changed = False
            for _i, members, total, known, total_value in sums:
                low = known + sum(ranges[p][0] for p in members)
                high = known + sum(ranges[p][1] for p in members)
                if total is None:
                    t_low = t_high = total_value
                else:
                    t = ranges[total]
                    if low > t[0]:
                        t[0], changed = low, True
                    if high < t[1]:
                        t[1], changed = high, True
                    t_low, t_high = t
                for p in members:
                    b = ranges[p]
                    least, most = t_low - (high - b[1]), t_high - (low - b[0])
                    if least > b[0]:
                        b[0], changed = least, True
                    if most < b[1]:
                        b[1], changed = most, True
            if not changed:
                break
        return ranges

    def reader_pins() -> list[Cell]:
        """Return the small cells of areas with enough households a reader pins (all sums)."""
        ranges = reader_ranges()
        return sorted(c for c, (low, high) in ranges.items()
                      if low >= high and c in counts and 0 < counts[c] < thr and c not in exposed
                      and c[1] not in small_areas and status.get(c) in ("primary", MASKED))

    read_before: dict[tuple[tuple[Cell, ...], tuple[int, ...]], list[Cell]] = {}

    def combined_pins() -> list[Cell]:
        """Return the small cells a reader pins by combining sums (linear programming).

        The hidden cells fall into groups that share sums; a group whose sums form no cycle is
        read exactly by :func:`reader_ranges`. In each other group the reader's least and most
        of every small cell are worked out by linear programming (HiGHS, through
        :func:`scipy.optimize.linprog`; the sums of areas and categories are a network matrix
        with whole-number ends, and the income line's tie to the bins can make them
        fractions, rounded inwards, see :func:`_pinned_by_sums`): solutions that put a cell at
        two whole numbers show it is not pinned, and the cells no solution has moved get their
        own least and most.
        A group read before and unchanged since is not read again (its pins are remembered).
        """
        import scipy.sparse as sp

        ranges = reader_ranges()
        root: dict[Cell, Cell] = {}

        def find(x: Cell) -> Cell:
            while root.setdefault(x, x) != x:
                root[x] = root[root[x]]
                x = root[x]
            return x

        rows: list[tuple[list[Cell], list[float], float]] = []
        row_of: list[int] = []
        for i, members, total, known, total_value in hidden_sums():
            cells = members + ([total] if total is not None else [])
            rows.append((cells, [1.0] * len(members) + ([-1.0] if total is not None else []),
                         total_value - known))
            row_of.append(i)
            first = find(cells[0])
            for c in cells[1:]:
                other = find(c)
                if other != first:
                    root[other] = first
        groups: dict[Cell, list[int]] = {}
        for j, (cells, _coefs, _rhs) in enumerate(rows):
            groups.setdefault(find(cells[0]), []).append(j)
        pins: list[Cell] = []
        for js in groups.values():
            group = sorted({c for j in js for c in rows[j][0]})
            if sum(len(rows[j][0]) for j in js) <= len(group) + len(js) - 1:
                continue  # no cycle
            key = (tuple(group), tuple(row_of[j] for j in js))
            if key in read_before:
                pins += read_before[key]
                continue
            read_before[key] = []
            targets = [c for c in group if c in counts and 0 < counts[c] < thr
                       and c[1] not in small_areas and status.get(c) in ("primary", MASKED)
                       and c not in exposed and ranges[c][0] < ranges[c][1]]
            if not targets:
                continue
            col = {c: k for k, c in enumerate(group)}
            data, row_index, col_index = [], [], []
            for row, j in enumerate(js):
                for c, a in zip(rows[j][0], rows[j][1], strict=True):
                    data.append(a)
                    row_index.append(row)
                    col_index.append(col[c])
            a_eq = sp.csr_matrix((data, (row_index, col_index)), shape=(len(js), len(group)))
            pinned_at = _pinned_by_sums(a_eq, np.array([rows[j][2] for j in js]),
                                        [(ranges[c][0], ranges[c][1]) for c in group],
                                        [col[c] for c in targets])
            read_before[key] = [targets[t] for t in pinned_at]
            pins += read_before[key]
        return sorted(pins)

    def lone(p: Cell, but: int) -> bool:
        """Whether hiding ``p`` leaves it alone and unprotectable in a sum other than ``but``."""
        for j in by_cell.get(p, ()):
            r = relations[j]
            if j == but or r.kind != "sum":
                continue
            members = (*r.parts, r.total)
            if any(q != p and q in status and q not in exposed and q[0] != "n"
                   for q in members):
                continue
            if not any(q != p and q not in status and q[0] != "n" and value(q) > 0
                       for q in members):
                return True
        return False

    def cover_for(cell: Cell) -> Cell | None:
        """Return a shown cell to hide so that a reader no longer pins ``cell``, or None.

        The sums of ``cell`` first, then those of the hidden cells in them (up to three sums
        away): in the first ring with a shown part of more than nothing that would not be left
        alone in its other sums, the smallest (a headline category last).
        """
        seen_sums: set[int] = set()
        seen = {cell}
        ring = [cell]
        for _ in range(3):
            found: list[Cell] = []
            nxt: list[Cell] = []
            for c in ring:
                for i in by_cell.get(c, ()):
                    r = relations[i]
                    if i in seen_sums or r.kind != "sum" or r.total[0] in extra_areas:
                        continue
                    seen_sums.add(i)
                    found += [p for p in (*r.parts, r.total) if p not in status
                              and p[0] != "n" and value(p) > 0 and not lone(p, i)]
                    for p in (*r.parts, r.total):
                        if p in status and p not in exposed and p not in seen:
                            seen.add(p)
                            nxt.append(p)
            if found:
                return min(found, key=lambda p: ((p[0], p[2]) in headline, value(p), p))
            ring = nxt
        return None

    def marked(cell: Cell) -> tuple[float, str, int, float]:
        """Return a hidden cell as :func:`keeps_marker_ranges` reads it (as the pattern does)."""
        return (value(cell), status[cell], floor.get(cell, 1), ceiling.get(cell, math.inf))

    # a small cell is bounded above by the areas within it as well (a tambon's "<5" over a
    # small village's cell and zeros holds no more than that village's households), and so is
    # a masked one (a tambon's 4 over four villages' "<5" holds at most 16); deepest first
    for cell in sorted((c for c, st in status.items() if st in ("primary", MASKED)
                        and c in counts and c in within), key=lambda c: -len(c[1])):
        most = most_known(cell)
        if most < (thr - 1 if status[cell] == "primary" else math.inf):
            ceiling[cell] = most

    by_cell: dict[Cell, list[int]] = {}
    for i, r in enumerate(relations):
        for c in (r.total, *r.parts):
            by_cell.setdefault(c, []).append(i)
    if secondary:
        # the rules are read until nothing changes, then again with a hidden total a reader
        # knows exactly from the areas within it read as shown (while the rules work, such a
        # total is often pinned only for a while: a tambon's "×" over villages all shown, until
        # one of them is hidden beside it; reading it then hid more than needed), then again
        # each time the sums they could not protect give more cells away (below)
        named: list[Cell] = []
        tries: dict[Cell, int] = {}
        todo = sorted({i for c in status for i in by_cell.get(c, ())})
        read_pinned = False
        while True:
            queue = deque(todo)
            queued = set(todo)
            while queue:
                i = queue.popleft()
                queued.discard(i)
                r = relations[i]
                hidden_parts = [p for p in r.parts if p in status and p not in exposed]
                total_hidden = r.total[0] != "n" and r.total in status
                # a hidden total a reader knows exactly from the areas within it (its least and
                # most meet: a tambon's "×" over villages' "<5" of 4 and a village of one
                # household holds 5 and no more), or works out from a sum the rules could not
                # protect, protects none of its parts: they are read as under a shown total
                total_known = not total_hidden \
                    or (read_pinned and r.kind == "sum" and pinned(r.total))
                members_hidden = len(hidden_parts) + int(total_hidden)
                if members_hidden == 0:
                    continue
                # a hidden cell of an area below the threshold (all of whose cells are hidden)
                # is no cover for another: it spans no more than its households (beside a
                # village of one household, a tambon's "×" is known to within 1, and with it
                # whatever that "×" was hidden to protect), and its row can give it away; safe,
                # if it hides a cell more than needed where the area has 3 or 4 households
                real = [p for p in hidden_parts if p[1] not in small_areas]
                if total_hidden and r.total[1] not in small_areas:
                    real.append(r.total)
                tiny = members_hidden - len(real)
                unprotected = len(real) == 1 or (not real and tiny > 0) \
                    or (total_hidden and total_known and len(real) <= 2)  # (the total and a part)
                new: Cell | None = None
                parent_rel = bool(r.parts) and r.parts[0][1] != r.total[1]
                if r.kind == "sum" and parent_rel and hidden_parts and not total_hidden \
                        and r.total[0] != "n" and n.get(r.total[1], 0) < fine_below \
                        and value(r.total) > 0:
                    new = r.total
                elif r.kind == "sum":
                    need = unprotected
                    at_least = 0.0
                    if total_known:
                        parts_read = [marked(p) for p in real if p != r.total]
                        if not need:
                            s = sum(value(p) for p in hidden_parts)
                            need = 0 < s < thr or not keeps_marker_ranges(parts_read, thr)
                        if need:  # what the part hidden next must hold to cover the shortfall
                            at_least = marker_shortfall(parts_read, thr)
                    if need:
                        new = _smallest_visible(r.parts, value, status, headline, at_least)
                        if new is None and not total_hidden and r.total[0] != "n" \
                                and value(r.total) > 0:
                            new = r.total  # (an "×" made only of hidden cells: its floor is
                            # what they hold, and pinned there, it pins them; see hide)
                elif unprotected:
                    visible = [p for p in r.parts if p not in status and mass(p) > 0]
                    if visible:
                        new = max(visible, key=mass)
                    elif not parent_rel and not total_hidden:
                        # shares of one area whose visible parts are all 0 or 1 (they blur
                        # nothing): the share they make up is hidden instead
                        new = r.total
                if new is not None:
                    hide(new)
                    for j in by_cell.get(new, ()):
                        if j not in queued:
                            queue.append(j)
                            queued.add(j)
                    if i not in queued:
                        queue.append(i)
                        queued.add(i)
            if not read_pinned:
                read_pinned = True
                todo = [i for i, r in enumerate(relations) if r.kind == "sum" and pinned(r.total)]
                continue
            # what the sums the rules could not protect give away is read as shown elsewhere
            # (a tambon of 7 households in villages of 1 and 2 whose row gives its cells away
            # is no cover in the amphoe's sums), until that gives nothing more away
            found, given = given_away()
            for cell in found:
                if cell not in named:
                    named.append(cell)
            fresh = given - exposed
            if fresh:
                exposed.update(fresh)
                touched = set(fresh)
                for cell in fresh:
                    touched.update(refresh(cell))
                todo = sorted({i for c in touched for i in by_cell.get(c, ())})
                continue
            # last, every sum read at once: a small cell a reader pins so gets a cell hidden
            # near it (its sums, then theirs), and the rules run again; one still pinned when
            # nothing near it can be hidden, or hiding has not helped after a few tries, is named
            pins = sorted(set(reader_pins()) | set(combined_pins()))
            hidden_now: list[Cell] = []
            for cell in pins:
                tries[cell] = tries.get(cell, 0) + 1
                cover = cover_for(cell) if tries[cell] <= 5 else None
                if cover is not None and cover not in status:
                    hide(cover)
                    hidden_now.append(cover)
            if not hidden_now:
                named.extend(c for c in pins if c not in named)
                break
            todo = sorted({i for c in hidden_now for i in by_cell.get(c, ())})
    for rm in of_counts:
        for code in n:
            cell = (rm.id, code, "share")
            if cell not in status and any((m, code, k) in status
                                          for m, k in (*rm.numerator, *rm.base)):
                status[cell] = "secondary"
    pattern = SuppressionPattern(thr, counts, sizes, n, status, floors=floor, ceilings=ceiling)
    if secondary:  # sums the rules could not protect (nothing left to hide): named, not silent
        pattern.unsatisfied.extend(named)
    pattern.measures = {m.id: m for m in (*count_measures, *mean_measures)}
    pattern.ratios = {(rm.numerator, rm.base): rm.id for rm in ratio_measures}
    return pattern


def _share_of_published(ratio: Any, count_measures: Sequence[Any]) -> bool:
    """Whether a ratio measure's numerator and base are published cells of one count measure."""
    cells = (*ratio.numerator, *ratio.base)
    ids = {m for m, _k in cells}
    if len(ids) != 1:
        return False
    (mid,) = ids
    measure = next((m for m in count_measures if m.id == mid), None)
    return measure is not None and {k for _m, k in cells} <= set(measure.cells)


_PATTERNS: dict[tuple[Any, ...], SuppressionPattern] = {}
_PATTERNS_LOCK = threading.Lock()
_CATEGORIES: dict[int, tuple[weakref.ref[Any], pd.DataFrame]] = {}
""":func:`report_categories` of the reports alive, by the report object's identity (a weak
reference: an entry goes with its report; holding the report kept each report's objects alive
and made the garbage collector's full passes of a batch worker ten times longer)."""


def extra_counts(survey_round: int, store: Any, households: pd.DataFrame
                 ) -> dict[str, dict[str, int]]:
    """Return counts of the data-quality table that are not a partition of the scored households.

    Returns
    -------
    dict
        ``{"unweighted": {area: households stored but not scored}, "rejected": {area: household
        rows rejected at ingest}}`` for every area (rejected rows are known by tambon and up).
    """
    from abcresearch.errors import StoreError
    from abcresearch.store import read as data_mod

    out: dict[str, dict[str, int]] = {}
    try:
        stored = data_mod.load(survey_round, store=store, columns=["village_code"])
    except StoreError:
        stored = pd.DataFrame({"village_code": pd.Series(dtype=str)})
    scored = households["village_code"].value_counts()
    per_village = stored["village_code"].value_counts().sub(scored, fill_value=0).clip(lower=0)
    unweighted: dict[str, int] = {}
    for code, v in per_village.items():
        code = str(code)
        for size in (8, 6, 4, 2):
            unweighted[code[:size]] = unweighted.get(code[:size], 0) + int(v)
    for code in households["village_code"].unique():  # villages with none
        for size in (8, 6, 4, 2):
            unweighted.setdefault(str(code)[:size], 0)
    out["unweighted"] = unweighted
    try:
        found = data_mod.issues(survey_round, store)
    except StoreError:
        found = pd.DataFrame(columns=["severity", "table", "file", "row", "rule",
                                      "tambon_code"])
    from abcresearch.survey.validate import households_lost

    errors = households_lost(found)  # a later exact copy of a stored row loses no household
    tambon = errors["tambon_code"].fillna("").astype(str)
    rejected: dict[str, int] = {}
    for code in households["tambon_code"].unique():
        for size in (6, 4, 2):
            rejected.setdefault(str(code)[:size], 0)
    for code in tambon:
        if len(code) == 6 and code.isdigit():
            for size in (6, 4, 2):
                rejected[code[:size]] = rejected.get(code[:size], 0) + 1
    out["rejected"] = rejected
    return out


@dataclass(frozen=True)
class RoundMeasures:
    """The cells a round's reports publish, as the disclosure pattern and its audit see them.

    Attributes
    ----------
    counts, means, ratios : tuple
        Count, mean and ratio measures (:mod:`abcresearch.reports.estimates`): levels,
        Alkire-Foster, income, the share of households failing each "what to do" item and the
        share in a community welfare fund (of each overall level and of all).
    line : float or None
        The round's income line.
    bins : tuple of float
        Income bin edges (``params/publication.yaml``).
    scheme : Scheme
        The scoring scheme (Alkire-Foster k and weights).
    item_rules : ActionRules
        The item rules (``params/actions.yaml``) the item measures come from.
    """

    counts: tuple[Any, ...]
    means: tuple[Any, ...]
    ratios: tuple[Any, ...]
    line: float | None
    bins: tuple[float, ...]
    scheme: Any = field(repr=False)
    item_rules: Any = None

    def categories(self, households: pd.DataFrame) -> pd.DataFrame:
        """Each household's category in each count measure (items flagged by their rules)."""
        from abcresearch.reports import estimates
        from abcresearch.reports.item_rules import failing_flags

        flags = failing_flags(households, self.item_rules) if self.item_rules else None
        return estimates.household_categories(households, self.scheme, self.counts, self.line,
                                              self.bins, flags)


def round_measures(scheme: Any, survey_round: int) -> RoundMeasures:
    """Return the measures of a round's disclosure pattern (see :class:`RoundMeasures`)."""
    from abcresearch.reports import estimates
    from abcresearch.reports.item_rules import load_action_rules

    rules = publication_rules()
    line = estimates.poverty_line_value(survey_round)
    item_rules = load_action_rules()
    items = tuple(r.item for r in item_rules.items)
    caps = scheme.capital_ids
    return RoundMeasures(estimates.count_measures(caps, line, rules.income_bins, items,
                                                  welfare=True, headline_levels=rules
                                                  .complement_last.get("level", ())),
                         estimates.mean_measures(caps),
                         estimates.ratio_measures(caps, line, items, welfare=True), line,
                         tuple(rules.income_bins), scheme, item_rules)


def round_pattern(analysis: Any, threshold: int, store: Any = None,
                  secondary: bool = True) -> SuppressionPattern:
    """Return the suppression pattern of a round's analysis (built once per process and round).

    Parameters
    ----------
    analysis : RoundAnalysis
        The round (its households over the whole province).
    threshold : int
        Smallest publishable count.
    store : path, optional
        The store, for the data-quality counts (rows rejected at ingest, households without a
        village form).
    secondary : bool
        Secondary suppression (False only to show what it prevents).
    """
    key = _pattern_key(analysis, threshold, store, secondary)
    if key in _PATTERNS:
        return _PATTERNS[key]
    rules = publication_rules()
    measures = round_measures(analysis.scheme, analysis.survey_round)
    # the pattern of the round's cached analysis is cached beside it (a worker's kernel is reset
    # or replaced between reports; building it takes ~10 s and ~0.8 GB on the sample province)
    file = _pattern_file(analysis, (key[2:], store is None, rules, measures))
    if file is not None and (pattern := _read_pattern_file(file)) is not None:
        _keep_pattern(key, pattern)
        return pattern
    return _build_round_pattern(analysis, threshold, store, secondary, rules, measures, file)


def ensure_round_pattern(analysis: Any, threshold: int, store: Any = None,
                         secondary: bool = True) -> None:
    """Build the suppression pattern of a round's analysis and cache it, unless it is cached.

    As :func:`round_pattern`, but a pattern already in its cache file is not read (0.1 s on
    the sample province): a batch makes sure the file is there before its workers start, and
    the workers read it. A file that does not look whole (not a pickle from its first byte to its
    last) is read as :func:`round_pattern` reads it, and built again where it cannot be.

    Parameters
    ----------
    analysis, threshold, store, secondary
        As :func:`round_pattern`.
    """
    key = _pattern_key(analysis, threshold, store, secondary)
    if key in _PATTERNS:
        return
    rules = publication_rules()
    measures = round_measures(analysis.scheme, analysis.survey_round)
    file = _pattern_file(analysis, (key[2:], store is None, rules, measures))
    if file is not None and _looks_whole(file):
        return
    round_pattern(analysis, threshold, store, secondary)


def _looks_whole(file: Path) -> bool:
    """Whether ``file`` holds a whole pickle of protocol 2 or later (its first and last byte).

    The file is written atomically, so a whole one is the one written; a damaged one (cut short,
    overwritten) fails this where it would fail to load.
    """
    try:
        with file.open("rb") as fh:
            first = fh.read(1)
            fh.seek(-1, 2)
            last = fh.read(1)
    except OSError:  # missing, unreadable, or shorter than one byte
        return False
    return first == b"\x80" and last == b"."


def _pattern_key(analysis: Any, threshold: int, store: Any, secondary: bool
                 ) -> tuple[Any, ...]:
    return (getattr(analysis, "key", id(analysis)), str(store), int(threshold), bool(secondary))


def _build_round_pattern(analysis: Any, threshold: int, store: Any, secondary: bool,
                         rules: Any, measures: Any, file: Path | None) -> SuppressionPattern:
    """Build the pattern (see :func:`round_pattern`), write its file and keep it."""
    from abcresearch.reports import estimates

    scheme = analysis.scheme
    cms, mms, rms = measures.counts, measures.means, measures.ratios
    hh = analysis.households
    cats = measures.categories(hh)
    vals = estimates.household_values(hh, scheme)
    extra = extra_counts(analysis.survey_round, store, hh) if store is not None else None
    # one printed step of a share (digits.percent) is fewer than `threshold` households below
    # this: subtracting the areas within would leave too few whole solutions
    fine = int(threshold) * 10 ** (rules.digits["percent"] + 2)
    pattern = build_pattern(hh, cats, vals, cms, mms, threshold, extra, secondary=secondary,
                            ratio_measures=rms, fine_below=fine)
    if file is not None:
        _write_pattern_file(file, pattern)
    _keep_pattern(_pattern_key(analysis, threshold, store, secondary), pattern)
    return pattern


def _keep_pattern(key: tuple[Any, ...], pattern: SuppressionPattern) -> None:
    """Keep ``pattern`` in this process (the four latest).

    Under a lock: a batch reads its round's pattern in a thread while the caller's own code
    may read another.
    """
    with _PATTERNS_LOCK:
        if key not in _PATTERNS and len(_PATTERNS) >= 4:
            _PATTERNS.pop(next(iter(_PATTERNS)))
        _PATTERNS[key] = pattern


def _pattern_file(analysis: Any, inputs: tuple[Any, ...]) -> Path | None:
    """Where the pattern of ``analysis`` built from ``inputs`` is cached (None: no cache).

    The file sits in the round analysis's cache folder (keyed by the round's data, scheme, rules
    and software version); its name hashes the pattern's own inputs and the source of this module
    and of :mod:`abcresearch.reports.estimates` and :mod:`abcresearch.reports.item_rules`, so a
    change of any builds it again.
    """
    import hashlib

    from abcresearch.reports import estimates, item_rules

    folder = getattr(analysis, "cache_dir", None)
    if folder is None or not Path(folder).is_dir():
        return None
    h = hashlib.sha256(repr(inputs).encode())
    # and the libraries whose objects the pickle holds: one written under other versions may
    # not load, and a batch checks only that the file is whole (ensure_round_pattern)
    h.update(f"{sys.version_info[:2]} {np.__version__} {pd.__version__}".encode())
    for source in (__file__, estimates.__file__, item_rules.__file__):
        h.update(Path(source).read_bytes())
    return Path(folder) / f"suppression-{h.hexdigest()[:16]}.pickle"


def _read_pattern_file(file: Path) -> SuppressionPattern | None:
    import pickle

    try:
        with file.open("rb") as fh:
            pattern = pickle.load(fh)  # written by _write_pattern_file into the store's cache
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None
    return pattern if isinstance(pattern, SuppressionPattern) else None


def _write_pattern_file(file: Path, pattern: SuppressionPattern) -> None:
    import os
    import pickle
    import tempfile

    try:  # atomically: a reader sees no file or the whole file; a read-only store keeps none
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".suppression-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(pattern, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.chmod(tmp, 0o644)  # as the cache's other files (mkstemp makes it 0600)
            os.replace(tmp, file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


def pattern_for(report: Any) -> SuppressionPattern:
    """Return the suppression pattern of a report's round (see :func:`round_pattern`)."""
    return round_pattern(report.analysis, report.threshold, getattr(report, "store", None),
                         secondary=SECONDARY_SUPPRESSION)


#: Secondary suppression on (switched off only by the disclosure test's leaky variant).
SECONDARY_SUPPRESSION = True


# --------------------------------------------------------------------------------------------
# The ledger of what was published


@dataclass(frozen=True)
class Published:
    """One number a report published (or hid), with what it describes.

    Parameters
    ----------
    section : str
        Section that published it.
    kind : str
        ``"n"`` (sample size of the area), ``"count"`` (unweighted households), ``"weighted"``
        (population estimate of households), ``"share"`` (design-weighted share of ``cells``
        over ``base``, 0-1), ``"mean"`` (design-weighted mean of a mean measure),
        ``"intensity"`` (Alkire-Foster A), ``"contribution"`` (a capital's share of M0),
        ``"change"`` (the later round's share or mean minus the earlier one's, ``rounds``),
        ``"transition"`` (households matched across ``rounds`` counted by their earlier and
        later category, ``cells``), ``"public"`` (not about households: village forms,
        rules) or ``"other"`` (a statistic the disclosure test does not attack: median, Gini,
        standard errors).
    area : str
        Area code whose households it describes.
    cells, base : tuple of (measure, category)
        What it counts (numerator) and, for shares, the base.
    text : str
        As printed (the marker when hidden).
    value : float, optional
        The printed number in the natural unit (a share as 0-1); None when hidden.
    bounds : (float, float), optional
        Where the unrounded value lies given the printed one.
    ci : ((float, float), (float, float)), optional
        Bounds of the printed interval's low and high ends.
    ci_text : (str, str), optional
        The interval's ends as printed.
    name : str
        What it is, for ``"public"`` and ``"other"`` entries; for a ``"change"``, the kind of
        the value that changed (``"share"`` or ``"mean"``); for a ``"transition"``, the
        households matched in the area.
    rounds : tuple of int
        The survey rounds whose households it describes: empty for the report's own round;
        one round for a value of another round printed beside the report's own (a change
        table's earlier value); ``(earlier, later)`` for a ``"change"`` or ``"transition"``.
    """

    section: str
    kind: str
    area: str
    cells: tuple[tuple[str, str], ...] = ()
    base: tuple[tuple[str, str], ...] = ()
    text: str = ""
    value: float | None = None
    bounds: tuple[float, float] | None = None
    ci: tuple[tuple[float, float], tuple[float, float]] | None = None
    ci_text: tuple[str, str] | None = None
    name: str = ""
    rounds: tuple[int, ...] = ()

    @property
    def hidden(self) -> bool:
        """Whether the number was hidden (its marker printed instead)."""
        return self.value is None and self.kind not in ("public",)

    def texts(self) -> tuple[str, ...]:
        """Every piece of text it printed (the number and its interval's ends)."""
        return (self.text, *(self.ci_text or ()))


@dataclass(frozen=True)
class Shown:
    """A published number: its text, and its interval's text when it has one."""

    text: str
    value: float | None = None
    low: str | None = None
    high: str | None = None

    @property
    def hidden(self) -> bool:
        """Whether a marker is printed instead of the number."""
        return self.value is None

    @property
    def with_ci(self) -> str:
        """``"51.2 (48.0–54.4)"``, the number alone, or the marker.

        The number alone when it has no interval, or one narrower than the digits shown
        (not ``"30 (30–30)"``).
        """
        if self.hidden or self.low is None or self.high is None \
                or self.low == self.high == self.text:
            return self.text
        return f"{self.text} ({self.low}–{self.high})"

    def __str__(self) -> str:
        return self.text


def _bounds(printed: float, digits: int, scale: float = 1.0) -> tuple[float, float]:
    half = 0.5 * 10.0 ** (-digits) / scale
    eps = 1e-9 * max(1.0, abs(printed))
    return printed - half - eps, printed + half + eps


def report_categories(report: Any) -> pd.DataFrame:
    """Each household's category in each count measure, for a report's households.

    Computed once per report (:func:`~abcresearch.reports.estimates.household_categories` with
    the round's income line and the publication rules' bins): a report's households are fixed
    for its life, though a province's ``households`` is a new shallow copy at each call (a
    memo by the frame's identity missed every time, and the overview paid for the categories
    of 230,000 households three times).
    """
    from abcresearch.reports import estimates

    key = id(report)
    hit = _CATEGORIES.get(key)
    if hit is not None and hit[0]() is report:
        return hit[1]
    hh = report.households
    analysis = report.analysis
    rules = publication_rules()
    line = estimates.poverty_line_value(analysis.survey_round)
    cms = estimates.count_measures(analysis.scheme.capital_ids, line, rules.income_bins)
    cats = estimates.household_categories(hh, analysis.scheme, cms, line, rules.income_bins)
    # the oldest out, at most eight kept (another thread's finalizer may have removed one)
    for old in list(_CATEGORIES)[:-7]:
        _CATEGORIES.pop(old, None)
    _CATEGORIES[key] = (weakref.ref(report), cats)
    weakref.finalize(report, _CATEGORIES.pop, key, None)
    return cats


#: The grade and need rules' sampled indicators (:data:`~abcresearch.scoring.grade_rules.
#: SAMPLED_INDICATORS`) as a :class:`Publisher` meets them: a share by its (numerator, base)
#: cells; a mean by its measure (:func:`_mean_indicator`). Their numbers are written on their
#: own side of the rules' thresholds (:meth:`Publisher._printed`).
_SHARE_INDICATORS: dict[tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]], str] = {
    ((("overall_level", "1"),), tuple(("overall_level", k) for k in ("1", "2", "3"))):
        "share_level1"}


def _mean_indicator(measure: str) -> str:
    """Return the grade rules' name of a mean measure (``score:human`` is ``mean_human``)."""
    return "mean_" + measure.split(":", 1)[1] if measure.startswith("score:") else measure


class Publisher:
    """Writes a section's numbers through the one disclosure step and keeps its ledger.

    Every number a section shows (in a table, a chart, a sentence or the summary) is made
    here: rounded by ``params/publication.yaml``, replaced by its marker when the round's
    :class:`SuppressionPattern` hides it, and recorded as a :class:`Published` entry. The
    section passes :attr:`entries` to its result (``builder.result(published=pub.entries)``).

    Parameters
    ----------
    report : AreaContext or ProvinceContext
        The report (its round, threshold and store).
    section : str
        Section id.
    """

    def __init__(self, report: Any, section: str) -> None:
        self.report = report
        self.section = section
        cached = getattr(report, "cached", None)  # read once per report
        self.rules = cached(("publication_rules",), publication_rules) if cached else \
            publication_rules()
        self.threshold = int(report.threshold)
        self.pattern = pattern_for(report)
        self.entries: list[Published] = []
        self._cut_cache: dict[str, tuple[tuple[float, bool], ...]] = {}

    @property
    def categories(self) -> pd.DataFrame:
        """Each household's category in each count measure (see :func:`report_categories`)."""
        return report_categories(self.report)

    # ------------------------------------------------------------------ formatting
    def digits(self, kind: str) -> int:
        """Decimals of a kind of number (``percent``, ``score``, ``index``, ``gini``, ``money``.

        ``whole``: none).
        """
        return 0 if kind == "whole" else self.rules.digits[kind]

    def fmt(self, kind: str, value: float) -> str:
        """Write a number of a kind (``percent`` takes a 0-1 share)."""
        scale = 100.0 if kind == "percent" else 1.0
        return format_number(value, self.digits(kind), scale)

    def _cuts(self, indicator: str) -> tuple[tuple[float, bool], ...]:
        """Return the grade and need rules' thresholds of ``indicator`` (``GradeRules.cuts``)."""
        cuts = self._cut_cache.get(indicator)
        if cuts is None:
            cuts = self._cut_cache[indicator] = load_grade_rules().cuts(indicator)
        return cuts

    def _printed(self, kind: str, value: float, unit: float | None = None,
                 cuts: Sequence[tuple[float, bool]] = ()
                 ) -> tuple[str, float, tuple[float, float]]:
        """Print ``value`` with the decimals of ``kind``; with ``unit``, to a multiple of it.

        With ``cuts`` (thresholds of the grade and need rules, :meth:`GradeRules.cuts`), a
        value is never printed on the other side of one: 39.8% short of a threshold of 40% is
        "39.8", not "40" (which meets it), with up to three more decimals, then rounded
        towards its own side ("an interval 29-40" read as reaching a need threshold its
        upper bound, 39.77, does not reach; a reader review).

        Returns the text, the value it states and the bounds the true value lies in.
        """
        scale = 100.0 if kind == "percent" else 1.0
        d = self.digits(kind)
        if unit is not None and unit > 10.0 ** (-d) / scale:  # coarser than the decimals
            rounded = unit * np.floor(value / unit + 0.5)
            text = format_number(rounded, d, scale)
            printed = float(text.replace(",", "")) / scale
            eps = 1e-9 * max(1.0, abs(printed))
            return text, printed, (printed - unit / 2 - eps, printed + unit / 2 + eps)

        def side(x: float, cut: float, upper_has_it: bool) -> bool:
            x = round(x, SNAP_DECIMALS)  # as the grade rules compare: 6.8/17 is at 0.4
            return x >= cut if upper_has_it else x > cut

        for extra in range(4 if cuts and np.isfinite(value) else 1):
            text = format_number(value, d + extra, scale)
            printed = float(text.replace(",", "")) / scale
            if all(side(printed, c, u) == side(value, c, u) for c, u in cuts):
                lo, hi = _bounds(printed, d + extra, scale)
                for c, u in cuts:  # a reader who knows the rule knows the side too
                    eps = 1e-9 * max(1.0, abs(c))
                    lo, hi = ((max(lo, c - eps), hi) if side(printed, c, u)
                              else (lo, min(hi, c + eps)))
                return text, printed, (lo, hi)
        # still on the other side with three more decimals: towards the value's own side
        step = 10.0 ** (-(d + 3)) / scale
        wrong_up = any(side(printed, c, u) and not side(value, c, u) for c, u in cuts)
        rounded = (np.floor if wrong_up else np.ceil)(value / step) * step
        text = format_number(rounded, d + 3, scale)
        printed = float(text.replace(",", "")) / scale
        eps = 1e-9 * max(1.0, abs(printed))
        return text, printed, ((printed - eps, printed + step + eps) if wrong_up
                               else (printed - step - eps, printed + eps))

    def _interval(self, kind: str, low: float | None, high: float | None,
                  unit: float | None = None, cuts: Sequence[tuple[float, bool]] = ()
                  ) -> tuple[tuple[tuple[float, float], tuple[float, float]] | None,
                             tuple[str, str] | None, str | None, str | None]:
        """Print an interval as the report does: (bounds, texts, low text, high text)."""
        if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
            return None, None, None, None
        lo_t, _, lo_b = self._printed(kind, low, unit, cuts)
        hi_t, _, hi_b = self._printed(kind, high, unit, cuts)
        return (lo_b, hi_b), (lo_t, hi_t), lo_t, hi_t

    @property
    def marker(self) -> str:
        """Marker of a small cell (``<5``)."""
        return marker(self.threshold)

    def count_unit(self, uncertainty: float = 0.0, value: float | None = None) -> int:
        """Return what an estimated count is rounded to.

        ``weighted_count_base``, or a larger power of ten where the count's ``uncertainty`` (in
        households) reaches it: with a base of 10, 10 for an uncertainty of 75 households, 100
        for 150, 1,000 for 2,130. Never a power of ten above the count ``value`` itself (when
        given): 400 households known to about 2,130 print "400", not "1,000", which would
        misstate their order of magnitude.
        """
        base = self.rules.weighted_count_base
        unit = base
        if np.isfinite(uncertainty):
            while unit * 10 <= uncertainty:
                unit *= 10
        if value is not None and np.isfinite(value) and value > 0:
            while unit > base and unit > value:
                unit //= 10
        return unit

    def count_uncertainty(self, households: float, low: float | None = None,
                          high: float | None = None) -> float:
        """How far, in households, a count worked out from a printed share may be from the truth.

        ``households`` times the share's half-interval (``low``, ``high``: 0-1) where it has
        one, and at least half the printed share's last digit: a share printed "30" of 425,974
        households knows them to about 2,130.
        """
        half = 0.5 * 10.0 ** -self.digits("percent") / 100.0
        if low is not None and high is not None and np.isfinite(low) and np.isfinite(high):
            half = max(half, (high - low) / 2)
        return households * half if np.isfinite(households) else 0.0

    def rounded_count(self, value: float, unit: int | None = None) -> int:
        """Round an estimated count of households to ``unit`` (half up).

        ``unit`` is ``weighted_count_base`` by default. A positive estimate never prints 0: it
        prints the unit.
        """
        if value <= 0:
            return 0
        base = self.rules.weighted_count_base if unit is None else unit
        return int(base * np.floor(value / base + 0.5)) or base

    def count_of_share(self, name: str, area: str, share: float, households: float,
                       low: float | None = None, high: float | None = None) -> str:
        """Write about how many households a printed share of ``households`` is.

        ``share`` (the printed value, 0-1) times ``households``, rounded to the unit the
        share's interval (``low``, ``high``; at least its printed last digit) reaches in
        households (:meth:`count_unit`, :meth:`count_uncertainty`): nothing a reader could not
        work out from the printed share and the households, so it is recorded as a figure the
        attack leaves alone (``kind="other"``). The one rule for "about N households" beside
        a share (the "what to do" table, the welfare fund's level-1 households outside it).
        """
        value = share * households
        rounded = self.rounded_count(value, self.count_unit(
            self.count_uncertainty(households, low, high), value))
        return self.record(f"{rounded:,}", name, area, kind="other").text

    def small_marker(self, measure: str, area: str, category: str) -> str:
        """Marker of a figure hidden because a count cell is below the threshold.

        ``"<5"``, or ``"×"`` where the cell is masked (:data:`MASKED`: "<5" would bound it,
        and with it the small cells of the areas within it). For a figure whose own cell
        the section does not publish, such as the intensity A of the poor.
        """
        if self.pattern.status.get((measure, area, category)) == MASKED:
            return SECONDARY
        return self.marker

    def _add(self, entry: Published) -> None:
        self.entries.append(entry)

    def _marker_of(self, cells: Sequence[tuple[str, str]], area: str,
                   base: Sequence[tuple[str, str]] | None = None) -> str:
        ratio = self.pattern.ratios.get((tuple(cells), tuple(base))) if base else None
        status = self.pattern.status
        if any(status.get((m, area, c)) == MASKED for m, c in (*cells, *(base or ()))):
            # "<5" over it, or over what it leaves out, would bound it (also in an area of
            # fewer than threshold households: a data-quality count's "<5" there is 1-4)
            return SECONDARY
        if not self.pattern.publishable(area):
            return self.marker
        if ratio is not None:
            cells = ((ratio, "share"),)
        if len(cells) > 1 and len({m for m, _c in cells}) == 1:
            # households in any of several categories: "<5" only when they (or, for a share,
            # the households of its base left out) are that few: levels 2-3 holding a small
            # level 3 may be hundreds of households
            count = self.pattern.count
            together = sum(count(m, area, c) for m, c in cells)
            left_out = sum(count(m, area, c) for m, c in base) - together if base else 0
            return self.marker if 0 < together < self.threshold \
                or 0 < left_out < self.threshold else SECONDARY
        kinds = [self.pattern.status.get((m, area, c)) for m, c in cells]
        if "primary" in kinds:
            return self.marker
        return SECONDARY

    # ------------------------------------------------------------------ counts
    def n(self, area: str, value: int | None = None) -> Shown:
        """Return the area's sample size (households surveyed and scored).

        the marker below the threshold.
        """
        size = int(self.pattern.n.get(area, 0) if value is None else value)
        if size < self.threshold and size > 0:
            self._add(Published(self.section, "n", area, text=self.marker, name="n"))
            return Shown(self.marker)
        text = f"{size:,}"
        self._add(Published(self.section, "n", area, text=text, value=float(size),
                            bounds=(size, size), name="n"))
        return Shown(text, float(size))

    def weighted(self, measure: str, area: str, categories: Sequence[str], value: float,
                 uncertainty: float = 0.0) -> Shown:
        """Return a population estimate of households in ``categories`` of ``measure``.

        Rounded to a multiple of ``weighted_count_base`` households (a non-zero estimate never
        prints 0), or of the power of ten its ``uncertainty`` reaches; hidden when one of its
        cells is, unless every other category of the measure is shown
        (:meth:`SuppressionPattern.union_hidden`: the whole partition, the area's estimated
        households, or "levels 2-3" beside a shown level 1).

        Parameters
        ----------
        measure : str
            The measure.
        area : str
            The area.
        categories : sequence of str
            The categories counted together.
        value : float
            The estimate.
        uncertainty : float
            How far, in households, the estimate may be from the truth as the report says it
            (half its interval, or of the printed share's rounding): "about 128,090" claims
            ten households of precision where the share beside it knows two thousand, so the
            count is rounded to :meth:`count_unit` of it ("about 128,000").
        """
        cells = tuple((measure, c) for c in categories)
        whole = set(categories) == set(self.pattern.measures[measure].categories) \
            if measure in self.pattern.measures else False
        hide = not self.pattern.publishable(area) or (
            not whole and self.pattern.union_hidden(measure, area, categories))
        if hide:
            text = self._marker_of(cells, area)
            self._add(Published(self.section, "weighted", area, cells, text=text))
            return Shown(text)
        base = self.count_unit(uncertainty, value)
        rounded = self.rounded_count(value, base)
        bounds = (0.0, 0.0) if value <= 0 else (0.0, 1.5 * base) \
            if rounded == base and value < base / 2 else (rounded - base / 2, rounded + base / 2)
        text = f"{rounded:,}"
        self._add(Published(self.section, "weighted", area, cells, text=text,
                            value=float(rounded), bounds=bounds))
        return Shown(text, float(rounded))

    def count(self, measure: str, area: str, category: str = "all",
              value: int | None = None) -> Shown:
        """Return an unweighted count of households of one cell (data-quality counts)."""
        v = int(self.pattern.count(measure, area, category) if value is None else value)
        if self.pattern.hidden(measure, area, category) and (v != 0 or not
                                                              self.pattern.publishable(area)):
            text = self._marker_of(((measure, category),), area)
            self._add(Published(self.section, "count", area, ((measure, category),), text=text))
            return Shown(text)
        text = f"{v:,}"
        self._add(Published(self.section, "count", area, ((measure, category),), text=text,
                            value=float(v), bounds=(v, v)))
        return Shown(text, float(v))

    # ------------------------------------------------------------------ shares and means
    def share(self, area: str, numerator: Sequence[tuple[str, str]],
              base: Sequence[tuple[str, str]], value: float, low: float | None = None,
              high: float | None = None) -> Shown:
        """Return a design-weighted share (0-1) of households, written as a percentage.

        Parameters
        ----------
        area : str
            The area.
        numerator, base : sequence of (measure, category)
            Cells counted and cells of the base.
        value : float
            The unrounded share.
        low, high : float, optional
            Its interval.
        """
        num, den = tuple(numerator), tuple(base)
        # no household in its base (a published area): nothing to hide, nothing to show
        empty = not np.isfinite(value) and self.pattern.publishable(area)
        hidden = not empty and self.pattern.share_hidden(area, num, den)
        if hidden or not np.isfinite(value):
            text = self._marker_of(num, area, den) if hidden else NO_DATA
            self._add(Published(self.section, "share", area, num, den, text=text))
            return Shown(text)
        indicator = _SHARE_INDICATORS.get((tuple((m, k) for m, k in num),
                                           tuple((m, k) for m, k in den)))
        cuts = self._cuts(indicator) if indicator else ()
        text, printed, bounds = self._printed("percent", value, cuts=cuts)
        ci, ci_text, lo_t, hi_t = self._interval("percent", low, high, cuts=cuts)
        self._add(Published(self.section, "share", area, num, den, text=text, value=printed,
                            bounds=bounds, ci=ci, ci_text=ci_text))
        return Shown(text, printed, lo_t, hi_t)

    def mean(self, measure: str, area: str, value: float, low: float | None = None,
             high: float | None = None, kind: str = "score", unit: float | None = None
             ) -> Shown:
        """Return a design-weighted mean of a mean measure (``kind`` gives its decimals).

        With ``unit``, the mean and its interval are printed to a multiple of it (an amount
        to the thousand baht its interval supports), and the ledger knows they were.
        """
        empty = not np.isfinite(value) and self.pattern.publishable(area)  # no observation
        hidden = not empty and self.pattern.hidden(measure, area)
        if hidden or not np.isfinite(value):
            text = self._marker_of(((measure, MEAN),), area) if hidden else NO_DATA
            self._add(Published(self.section, "mean", area, ((measure, MEAN),), text=text))
            return Shown(text)
        cuts = self._cuts(_mean_indicator(measure))
        text, printed, bounds = self._printed(kind, value, unit, cuts)
        low, high = _within_range(kind, low, high)
        ci, ci_text, lo_t, hi_t = self._interval(kind, low, high, unit, cuts)
        self._add(Published(self.section, "mean", area, ((measure, MEAN),), text=text,
                            value=printed, bounds=bounds, ci=ci, ci_text=ci_text))
        return Shown(text, printed, lo_t, hi_t)

    def derived(self, kind: str, name: str, area: str, value: float, hidden: bool,
                fmt: str, cells: Sequence[tuple[str, str]] = (), low: float | None = None,
                high: float | None = None, marker: str | None = None,
                unit: float | None = None) -> Shown:
        """Return a statistic derived from several cells, or one the attack leaves alone.

        Derived: ``"intensity"``, ``"contribution"``; not attacked by the disclosure test:
        ``"other"`` (median, Gini, standard errors).

        Parameters
        ----------
        kind : str
            Ledger kind.
        name : str
            What it is.
        area : str
            The area.
        value : float
            Unrounded value.
        hidden : bool
            Whether the section's rule hides it (an unpublishable area always does).
        fmt : str
            Kind of number for its decimals (``percent``, ``score``, ``index``, ``gini``,
            ``money``).
        cells : sequence of (measure, category)
            What it rests on (for ``"contribution"``: the capital's censored cell).
        low, high : float, optional
            Its interval.
        marker : str, optional
            Marker when hidden (default ``<5``; ``×`` when hidden only to protect another
            figure).
        unit : float, optional
            Print the value and its interval to a multiple of it (see :meth:`mean`).
        """
        if hidden or not self.pattern.publishable(area) or not np.isfinite(value):
            text = self.marker if marker is None or not self.pattern.publishable(area) \
                else marker
            self._add(Published(self.section, kind, area, tuple(cells), text=text, name=name))
            return Shown(text)
        low, high = _within_range(fmt, low, high)
        text, printed, bounds = self._printed(fmt, value, unit)
        ci, ci_text, lo_t, hi_t = self._interval(fmt, low, high, unit)
        self._add(Published(self.section, kind, area, tuple(cells), text=text, value=printed,
                            bounds=bounds, ci=ci, ci_text=ci_text, name=name))
        return Shown(text, printed, lo_t, hi_t)

    def record(self, text: str, name: str, area: str = "", kind: str = "public") -> Shown:
        """Record a number not about households exactly as a section printed it.

        For figures written in a section's own format (money to the satang, rates per 1,000,
        numbers inside a rule's sentence), where :meth:`public` would write the digits of
        ``params/publication.yaml``. ``kind``: ``"public"`` (village forms, rules, years) or
        ``"other"`` (a statistic the disclosure test does not attack).
        """
        value = float(text.replace(",", ""))
        self._add(Published(self.section, kind, area, text=text, value=value, name=name))
        return Shown(text, value)

    def record_numbers(self, text: str, name: str, area: str = "") -> str:
        """Record every number written in a public text (a rule's sentence, a label) as printed.

        Returns ``text`` unchanged.
        """
        for m in _NUMBER_TEXT.finditer(text):
            self.record(m.group(), name, area)
        return text

    def public(self, name: str, value: float, kind: str = "count", area: str = "",
               indicator: str | None = None) -> Shown:
        """Return a number not about households (village forms, rules, years): shown as is.

        With ``indicator`` (a grade rule's, e.g. ``process_step``), a number of another kind
        than ``count`` is written on its own side of that indicator's thresholds, as
        :meth:`_printed` writes the rules' sampled indicators (a mean step of 3.96 is not
        "4.0" beside "step 4 not reached").
        """
        if kind == "count":
            text = format_number(value, 0)
            printed = float(text.replace(",", ""))
        else:
            text, printed, _ = self._printed(kind, value,
                                             cuts=self._cuts(indicator) if indicator else ())
        self._add(Published(self.section, "public", area, text=text, value=printed, name=name))
        return Shown(text, printed)
