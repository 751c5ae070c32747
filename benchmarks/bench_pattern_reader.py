"""Benchmark: the round's suppression pattern, its build time, and what an exact reader pins.

Usage::

    make demo                                               # the sample province store
    python benchmarks/bench_pattern_reader.py               # overall, cultural, financial levels
    python benchmarks/bench_pattern_reader.py --measures overall_level level:human

What is measured (printed honestly):

* **build**: :func:`abcresearch.reports.disclosure.round_pattern` of the round, built afresh
  (the pattern's cache file beside the round analysis is not read or written), wall seconds;
  then its secondary, masked and named (``unsatisfied``) cells.
* **exact reader**: for each measure, a reader who knows every area's households, that an
  area's categories add up to them and its cells add up its villages', and what each marker
  says ("<5": 1 to 4, a small area's 0 to its households; "×": at least 5, or 4 where it may
  stand for a small cell over "<5" cells within; as the tests' integer-programming reader,
  ``tests/test_disclosure.py::_reader_ranges``; only categories reports publish as cells
  count, and a measure that splits another's category, such as the capitals' deprivation of
  the poor, adds up to that cell where it is shown), works out the least and most of every hidden
  small cell of an area with at least 5 households by linear programming (HiGHS through
  :func:`scipy.optimize.linprog`; the sums are two nested families, a network matrix, so its
  ends are whole numbers). A cell whose least and most meet is **pinned**.

The exact reader takes minutes a measure on the province: it is a check of the pattern, not
part of it (``docs/ARCHITECTURE.md``, disclosure).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

ROOT = Path(__file__).resolve().parents[1]


class _Uncached:
    """The round analysis without its cache folder: the pattern is built, not read."""

    def __init__(self, analysis: Any) -> None:
        self._analysis = analysis
        self.key = ("uncached", time.time())
        self.cache_dir = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._analysis, name)


def pinned_cells(pattern: Any, measure: str) -> tuple[int, list[tuple[str, str, int]]]:
    """Return the hidden small cells of ``measure`` and those the exact reader pins."""
    cats = list(pattern.measures[measure].categories)
    areas = sorted(pattern.n)
    villages = [a for a in areas if len(a) == 8]
    index = {(v, k): i for i, (v, k) in enumerate((v, k) for v in villages for k in cats)}
    kids: dict[str, list[str]] = {}
    for a in areas:
        if len(a) > 2:
            kids.setdefault(a[:-2], []).append(a)
    within = {a: [v for v in villages if v.startswith(a)] for a in areas}
    memo: dict[tuple[str, str], int] = {}

    def floor(area: str, k: str) -> int:  # the least the "<5" within it hold together
        if (area, k) not in memo:
            total = 0
            for c in kids.get(area, []):
                mark = pattern.marker(measure, c, k)
                if mark == "<5":
                    total += floor(c, k) if pattern.n[c] < 5 else max(1, floor(c, k))
                elif mark == "×" and floor(c, k) >= 4:
                    total += 4
            memo[(area, k)] = min(total, 4)
        return memo[(area, k)]

    rows: list[int] = []
    cols: list[int] = []
    lows: list[float] = []
    highs: list[float] = []
    cells = set(pattern.measures[measure].cells)
    refines = pattern.measures[measure].refines
    for area in areas:
        for k in [None, *cats]:
            if k is not None and k not in cells:
                continue  # not published as a cell: a reader has no count of it
            idx = [index[(v, c)] for v in within[area] for c in (cats if k is None else [k])]
            if k is None and refines is not None:
                # the measure splits another's category: its total is that cell, where shown
                known = (refines[1] in pattern.measures[refines[0]].cells
                         and pattern.marker(refines[0], area, refines[1]) is None)
                span = ((float(pattern.count(refines[0], area, refines[1])),) * 2 if known
                        else (0.0, float(pattern.n[area])))
            elif k is None:
                span = (float(pattern.n[area]),) * 2
            else:
                mark = pattern.marker(measure, area, k)
                if mark is None:
                    span = (float(pattern.count(measure, area, k)),) * 2
                elif mark == "<5":
                    span = (0.0, float(min(4, pattern.n[area]))) if pattern.n[area] < 5 \
                        else (1.0, 4.0)
                else:
                    span = (4.0 if floor(area, k) >= 4 else 5.0, np.inf)
            rows += [len(lows)] * len(idx)
            cols += idx
            lows.append(span[0])
            highs.append(span[1])
    a_eq = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(lows), len(index)))
    low, high = np.array(lows), np.array(highs)
    finite = np.isfinite(high)
    a_ub = sp.vstack([a_eq[finite], -a_eq]).tocsr()
    b_ub = np.concatenate([high[finite], -low])
    bounds = [(0, pattern.n[v]) for v, _k in index]
    small = 0
    pins = []
    for area in areas:
        if pattern.n[area] < 5:
            continue
        for k in cats:
            value = pattern.count(measure, area, k)
            if not 0 < value < 5 or not pattern.hidden(measure, area, k):
                continue
            small += 1
            target = np.zeros(len(index))
            target[[index[(v, k)] for v in within[area]]] = 1.0
            ends = []
            for sign in (1.0, -1.0):
                res = linprog(sign * target, A_ub=a_ub, b_ub=b_ub, bounds=bounds,
                              method="highs")
                if res.status != 0:
                    raise SystemExit(f"{measure} {area} {k}: {res.message}")
                ends.append(sign * res.fun)
            if ends[1] - ends[0] < 0.5:
                pins.append((area, k, value))
    return small, pins


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=str(ROOT / "data" / "store"))
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--measures", nargs="*",
                    default=["overall_level", "level:cultural", "level:financial"])
    args = ap.parse_args(argv)

    from abcresearch.analysis.round import round_analysis
    from abcresearch.reports.disclosure import SECONDARY_SUPPRESSION, round_pattern

    analysis = round_analysis(args.survey_round, args.store, None)
    t = time.perf_counter()
    pattern = round_pattern(_Uncached(analysis), analysis.design.suppression_threshold,
                            args.store, secondary=SECONDARY_SUPPRESSION)
    build = time.perf_counter() - t
    kinds = [s for s in pattern.status.values()]
    print(f"pattern of round {args.survey_round}: built in {build:.1f} s; "
          f"{kinds.count('secondary'):,} secondary, {kinds.count('masked'):,} masked, "
          f"{len(pattern.unsatisfied):,} named")
    for measure in args.measures:
        if not pattern.measures[measure].cells:
            print(f"  {measure}: no category is published as a cell (only shares of it, not "
                  "read here)")
            continue
        t = time.perf_counter()
        small, pins = pinned_cells(pattern, measure)
        shown = ", ".join(f"{a} {k} ({v})" for a, k, v in pins[:10])
        print(f"  {measure}: {small} hidden small cells, {len(pins)} pinned by the exact reader"
              f"{': ' + shown if pins else ''} ({time.perf_counter() - t:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
