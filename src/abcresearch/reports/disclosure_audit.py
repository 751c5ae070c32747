"""Try to recover every hidden figure from everything published (the disclosure test).

The attacker knows every village's sample size and weight, reads every number a set of reports
published (their ledgers, :class:`~abcresearch.reports.disclosure.Published`: tables, charts,
sentences, intervals, weighted counts, the summary figures) for villages, tambons, amphoes and
the province, and works out what the hidden figures can be:

* **counts**: the households of each village in each category of each measure are unknown
  whole numbers; every published count, weighted count, share (with its interval), mean, and
  the Alkire-Foster identities (H = M0 / A; a capital's censored headcount = its contribution x
  M0 / its weight) bound them, within their rounding. Integer programming (``scipy.optimize.
  milp``, HiGHS) then finds the smallest and largest value each hidden count can take. A hidden
  count is **recovered** when only one whole number is left.
* **means**: each village's sum of a household value is unknown (within the value's range);
  published means bound sums of them. A hidden mean is **recovered** when its feasible range is
  narrower than its true value +- max(relative x |value|, absolute x range) (``protection`` in
  ``params/publication.yaml``).

Before attacking, every published constraint is checked against the true households: a ledger
entry that does not hold for the truth misdescribes what was printed, and is reported as
inconsistent. Statistics the attacker cannot use linearly (medians, Gini coefficients, standard
errors, Lorenz points) are not attacked; they are published only for areas with enough
households.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.reports import estimates
from abcresearch.reports.disclosure import (
    MEAN,
    SECONDARY,
    Published,
    publication_rules,
    round_measures,
)
from abcresearch.reports.disclosure import marker as small_marker

__all__ = ["AuditResult", "Recovery", "audit", "round_entries"]

_TOL = 1e-7


@dataclass(frozen=True)
class Recovery:
    """A hidden figure the attacker can work out.

    Attributes
    ----------
    area : str
        Area code.
    cells : tuple of (measure, category)
        What the hidden figure counts (or ``((mean measure, "mean"),)``).
    truth : float
        Its true value (a count of households, or a mean).
    low, high : float
        The attacker's range.
    sections : tuple of str
        Sections that hid it.
    """

    area: str
    cells: tuple[tuple[str, str], ...]
    truth: float
    low: float
    high: float
    sections: tuple[str, ...]


@dataclass
class AuditResult:
    """What the attack found.

    Attributes
    ----------
    recovered : list of Recovery
        Hidden figures worked out.
    inconsistent : list of (Published, str)
        Ledger entries that do not hold for the true households (a bug: the ledger must say
        what was printed).
    implied : list of Recovery
        Hidden figures of an area below the threshold that follow from the sample sizes and a
        published exact zero of an area containing it alone (e.g. the tambon has no household
        without a level, so neither has the village): not disclosures.
    targets : int
        Hidden figures attacked.
    constraints : int
        Published numbers used.
    marked : int
        Of them, hidden counts read from their markers ("<5": 1 to threshold - 1, "×": at
        least threshold).
    """

    recovered: list[Recovery] = field(default_factory=list)
    inconsistent: list[tuple[Published, str]] = field(default_factory=list)
    implied: list[Recovery] = field(default_factory=list)
    targets: int = 0
    constraints: int = 0
    marked: int = 0

    @property
    def clean(self) -> bool:
        """True when nothing was recovered and every entry is consistent."""
        return not self.recovered and not self.inconsistent


def _logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return float(np.log(p / (1 - p)))


def _expit(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


def _ci_centre(ci: tuple[tuple[float, float], tuple[float, float]], share: bool
               ) -> tuple[float, float]:
    """Bounds of an interval's centre (symmetric, and for a share also logit) from its ends."""
    (lo_a, lo_b), (hi_a, hi_b) = ci
    lows = [(lo_a + hi_a) / 2]
    highs = [(lo_b + hi_b) / 2]
    if share and lo_a > 0 and hi_b < 1:
        lows.append(_expit((_logit(max(lo_a, 1e-9)) + _logit(max(hi_a, 1e-9))) / 2))
        highs.append(_expit((_logit(min(lo_b, 1 - 1e-9)) + _logit(min(hi_b, 1 - 1e-9))) / 2))
    return min(lows), max(highs)


class _Model:
    """Linear constraints over the count variables (or the mean sums) of one group."""

    def __init__(self, names: list[tuple[Any, ...]], lower: np.ndarray, upper: np.ndarray,
                 truth: np.ndarray, integer: bool) -> None:
        self.names = names
        self.index = {nm: i for i, nm in enumerate(names)}
        self.lower, self.upper, self.truth = lower, upper, truth
        self.integer = integer
        self.rows: list[np.ndarray] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.sources: list[Published | None] = []

    def vec(self, coefs: dict[tuple[Any, ...], float]) -> np.ndarray:
        v = np.zeros(len(self.names))
        for nm, c in coefs.items():
            v[self.index[nm]] += c
        return v

    def add(self, row: np.ndarray, lo: float, hi: float, source: Published | None) -> str | None:
        """Add ``lo <= row @ x <= hi``; return a message if the truth breaks it."""
        val = float(row @ self.truth)
        scale = max(1.0, float(np.abs(row).sum()))
        if val < lo - _TOL * scale or val > hi + _TOL * scale:
            return f"true value {val:.6g} outside [{lo:.6g}, {hi:.6g}]"
        self.rows.append(row)
        self.lo.append(lo)
        self.hi.append(hi)
        self.sources.append(source)
        return None

    def _solve(self, objective: np.ndarray, extra: tuple[np.ndarray, float, float] | None,
               integer: bool) -> Any:
        from scipy.optimize import Bounds, LinearConstraint, milp

        rows, lo, hi = list(self.rows), list(self.lo), list(self.hi)
        if extra is not None:
            rows.append(extra[0])
            lo.append(extra[1])
            hi.append(extra[2])
        cons = [LinearConstraint(np.vstack(rows), np.array(lo), np.array(hi))] if rows else []
        integrality = np.full(len(self.names), 1.0 if integer else 0.0)
        return milp(objective, constraints=cons, integrality=integrality,
                    bounds=Bounds(self.lower, self.upper), options={"time_limit": 30})

    def extent(self, target: np.ndarray) -> tuple[float, float]:
        """Smallest and largest value of ``target @ x`` subject to the constraints."""
        out = []
        for sign in (1.0, -1.0):
            res = self._solve(sign * target, None, self.integer)
            if res.x is None:  # infeasible or unbounded: no information
                out.append(-np.inf if sign > 0 else np.inf)
            else:
                out.append(float(target @ res.x))
        return out[0], out[1]

    def pinned(self, target: np.ndarray, truth: float) -> tuple[bool, float, float]:
        """Whether ``target @ x`` (whole numbers) can only take its true value.

        Returns ``(pinned, low, high)``: ``low``/``high`` are a value below/above the truth
        that the published numbers allow (the truth itself when none).
        """
        zero = np.zeros(len(self.names))
        found = []
        for lo, hi in ((-np.inf, truth - 1), (truth + 1, np.inf)):
            relaxed = self._solve(zero, (target, lo, hi), integer=False)
            if relaxed.x is None:
                found.append(truth)
                continue
            res = self._solve(zero, (target, lo, hi), integer=True)
            if res.x is None and res.status == 1:  # time limit: assume not pinned
                found.append(hi if np.isfinite(hi) else lo)
            elif res.x is None:
                found.append(truth)
            else:
                found.append(float(target @ res.x))
        low, high = found
        return low == truth and high == truth, low, high


def _groups(count_measures: Sequence[Any]) -> list[list[Any]]:
    """Measures that constraints can tie together (refinements with what they refine)."""
    root_of: dict[str, str] = {}
    for m in count_measures:  # a measure summing another's categories goes with that one
        tied = [other for _k, other, _cats in getattr(m, "sums_of", ())]
        root_of[m.id] = m.refines[0] if m.refines else (tied[0] if tied else m.id)
    groups: dict[str, list[Any]] = {}
    for m in count_measures:
        root = root_of[m.id]
        while root_of.get(root, root) != root:
            root = root_of[root]
        groups.setdefault(root, []).append(m)
    return list(groups.values())


def audit(published: Iterable[Published], households: pd.DataFrame, scheme: Any,
          survey_round: int, threshold: int,
          extra_truth: dict[str, dict[str, int]] | None = None,
          known_households: Mapping[str, float] | None = None) -> AuditResult:
    """Attack every hidden figure with everything published.

    Parameters
    ----------
    published : iterable of Published
        The ledgers of every report of the family (every section's ``result.published``).
    households : pandas.DataFrame
        The true scored households of the round (at least every village the reports cover).
    scheme : Scheme
        The scoring scheme.
    survey_round : int
        Buddhist-era year (income line).
    threshold : int
        Smallest publishable count: a hidden figure is sensitive when it counts 1 to
        ``threshold - 1`` households or its area has fewer households (a figure hidden only to
        protect another one is attacked through the one it protects).
    extra_truth : dict, optional
        True values of the data-quality counts (``{measure: {area: count}}``), as
        :func:`~abcresearch.reports.disclosure.extra_counts` gives them.
    known_households : mapping, optional
        In a round that samples villages, the frame's households each area's weighted counts
        are calibrated to (``households_in_surveyed_strata`` of the areas table; see
        :attr:`abcresearch.reports.context.AreaContext.calibrated`): a weighted cell of area
        ``a`` is then ``N_a / sum_a(w)`` times its weighted sum (for a village, its own
        households). The attacker knows both (the frame's counts are published, the weights
        are the design's).

    Returns
    -------
    AuditResult
    """
    rules = publication_rules()
    # what other rounds' reports printed about their own households is for their audit
    entries = [e for e in published if _of_round(e, survey_round)]
    measures = round_measures(scheme, survey_round)
    cms, mms = measures.counts, measures.means
    cats = measures.categories(households)
    vals = estimates.household_values(households, scheme)
    villages = sorted(households["village_code"].astype(str).unique())
    vcode = households["village_code"].astype(str)
    weight = households.groupby(vcode)["weight"].mean().reindex(villages).to_numpy(dtype=float)
    n_v = vcode.value_counts().reindex(villages).to_numpy(dtype=float)
    w_of = dict(zip(villages, weight, strict=True))
    result = AuditResult()
    measure_of = {m.id: m for m in cms}
    # M0 and A of each area, for the Alkire-Foster identities
    m0: dict[str, tuple[float, float]] = {}
    for e in entries:  # the tightest of what each area printed (a change bounds it too)
        if e.kind == "mean" and e.cells == (("m0", MEAN),) and e.bounds is not None:
            m0[e.area] = _intersect(m0.get(e.area), e.bounds)
    cap_weight = {c: scheme.af_weights[c] for c in scheme.capital_ids}


    factor: dict[str, float] = {}
    for area, known in (known_households or {}).items():
        mass = sum(w_of[v] * n_v[i] for i, v in enumerate(villages) if v.startswith(str(area)))
        if known and mass > 0 and np.isfinite(known):
            factor[str(area)] = float(known) / mass
    attack = _Attack(entries, villages, vcode, n_v, w_of, int(threshold), result, m0,
                     cap_weight, measure_of, (rules.protection_relative,
                                              rules.protection_absolute), factor,
                     frozenset((tuple(rm.numerator), tuple(rm.base)) for rm in measures.ratios))
    for group in _groups(cms):
        attack.counts(group, cats)
    for mm in mms:
        attack.mean(mm, vals)
    for name, per_area in (extra_truth or {}).items():
        attack.extra(name, per_area)
    return result


def _of_round(e: Published, survey_round: int) -> bool:
    """Whether a round's report's entry describes that round's households alone."""
    return e.rounds in ((), (survey_round,)) and e.kind not in ("change", "transition")


def _intersect(a: tuple[float, float] | None, b: tuple[float, float]) -> tuple[float, float]:
    return b if a is None else (max(a[0], b[0]), min(a[1], b[1]))


def _own_entries(ledgers: Mapping[int, Sequence[Published]], survey_round: int
                 ) -> list[Published]:
    """Return every entry about one round's households.

    Its reports' own, and its values printed in other rounds' reports (a change table's
    earlier value).
    """
    out = [e for e in ledgers.get(survey_round, ()) if _of_round(e, survey_round)]
    out += [e for r, entries in ledgers.items() if r != survey_round for e in entries
            if e.rounds == (survey_round,)]
    return out


def _value_bounds(entries: Iterable[Published]) -> dict[tuple[Any, ...], tuple[float, float]]:
    """Return the tightest published bounds of each area's share or mean."""
    out: dict[tuple[Any, ...], tuple[float, float]] = {}
    for e in entries:
        if e.kind not in ("share", "mean") or e.bounds is None:
            continue
        # (not its interval: a share's or M0's interval need not be centred on it)
        key = (e.area, e.kind, e.cells, e.base)
        out[key] = _intersect(out.get(key), e.bounds)
    return out


def round_entries(ledgers: Mapping[int, Sequence[Published]], survey_round: int,
                  households: pd.DataFrame, threshold: int) -> list[Published]:
    """Everything published about one round's households, across every round's reports.

    The disclosure test across rounds: a report of a later round prints changes since an
    earlier one (its change section, the province's list of tambons that changed) and the
    moves of the households matched across the two, and a change beside one round's
    published value bounds the other round's. This gathers, for :func:`audit` of
    ``survey_round``:

    * the round's own reports' entries and its values printed in other rounds' reports;
    * for each printed change (``kind="change"``, its interval's centre too) whose other
      round's value is published, bounds on this round's value: the other value minus (or
      plus) the change;
    * for each table of matched households' moves (``kind="transition"``), bounds on the
      area's count in each level of this round: the sum of its row (earlier round) or column
      (later round), each hidden cell read as its marker says ("<5": 1 to ``threshold`` - 1,
      otherwise 0 to all matched), plus at most the area's households outside the table
      (not matched, or without a level in either round).

    A change whose other round's value is hidden adds nothing here (a joint model of both
    rounds' households would tie the two hidden values together; this one does not). The
    change tables print a change only where both rounds' reports publish the value
    (:func:`abcresearch.reports.sections.change.hidden_in_either_round`), so none is missed
    while that rule holds.

    Parameters
    ----------
    ledgers : mapping of int to sequence of Published
        Each round's reports' entries (every section's ``result.published``).
    survey_round : int
        The round to audit.
    households : pandas.DataFrame
        That round's households (each area's sample size, known to the attacker).
    threshold : int
        Smallest publishable count.

    Returns
    -------
    list of Published
        Entries for :func:`audit` (derived ones name their section with "(change)" or
        "(transition)").
    """
    own = _own_entries(ledgers, survey_round)
    others = {r: _value_bounds(_own_entries(ledgers, r)) for r in ledgers if r != survey_round}
    out = list(own)
    vcode = households["village_code"].astype(str)
    small = small_marker(threshold)

    def size(area: str) -> int:
        return int(vcode.str.startswith(area).sum())

    moves: dict[tuple[str, tuple[int, ...], str, str], list[Published]] = {}
    # the least each table holds: its households with a level in both rounds, fewer than
    # the households matched (a level may be missing in either round)
    table_low: dict[tuple[str, tuple[int, ...]], float] = {}
    for entries in ledgers.values():
        for e in entries:
            if e.kind == "change" and len(e.rounds) == 2 and survey_round in e.rounds \
                    and e.bounds is not None:
                earlier, later = e.rounds
                other = later if survey_round == earlier else earlier
                b = others.get(other, {}).get((e.area, e.name, e.cells, e.base))
                if b is None:
                    continue
                d = e.bounds
                if e.ci is not None:  # the interval is centred on the change
                    (lo_a, lo_b), (hi_a, hi_b) = e.ci
                    d = (max(d[0], (lo_a + hi_a) / 2), min(d[1], (lo_b + hi_b) / 2))
                bounds = (b[0] - d[1], b[1] - d[0]) if other == later else \
                    (b[0] + d[0], b[1] + d[1])
                out.append(Published(f"{e.section} (change)", e.name, e.area, e.cells, e.base,
                                     value=(bounds[0] + bounds[1]) / 2, bounds=bounds,
                                     rounds=(survey_round,)))
            elif e.kind == "transition" and len(e.rounds) == 2 and survey_round in e.rounds:
                # a row of the table (earlier round) or a column (later round)
                side = 0 if survey_round == e.rounds[0] else 1
                moves.setdefault((e.area, e.rounds, e.cells[side][0], e.cells[side][1]),
                                 []).append(e)
                table_low[(e.area, e.rounds)] = table_low.get((e.area, e.rounds), 0.0) + (
                    e.bounds[0] if e.bounds is not None else 1.0 if e.text == small else 0.0)
    for (area, rounds, measure, category), cells in moves.items():
        matched = max(int(float(c.name or 0)) for c in cells)
        low = high = 0.0
        for c in cells:
            if c.bounds is not None:
                low, high = low + c.bounds[0], high + c.bounds[1]
            elif c.text == small:
                low, high = low + 1, high + threshold - 1
            else:
                high += matched
        n = size(area)
        # the level's households outside the table: the area's less those in the table
        bounds = (low, min(high + max(n - table_low[(area, rounds)], 0), n))
        out.append(Published(f"{cells[0].section} (transition)", "count", area,
                             ((measure, category),), value=(bounds[0] + bounds[1]) / 2,
                             bounds=bounds, rounds=(survey_round,)))
    return out


@dataclass
class _Attack:
    """Shared state of one audit (see :func:`audit`)."""

    entries: list[Published]
    villages: list[str]
    vcode: pd.Series
    n_v: np.ndarray
    w_of: dict[str, float]
    threshold: int
    result: AuditResult
    m0: dict[str, tuple[float, float]]
    cap_weight: dict[str, float]
    measure_of: dict[str, Any]
    protection: tuple[float, float]
    factor: dict[str, float] = field(default_factory=dict)
    """Calibration factor of each area's weighted cells (``audit``'s ``known_households``)."""
    ratios: frozenset[tuple[Any, Any]] = frozenset()
    """``(numerator, base)`` of the shares published as cells of their own (whose "<5" may
    stand for the households they leave out)."""

    def in_area(self, area: str) -> list[str]:
        return [v for v in self.villages if v.startswith(area)]

    def area_n(self, area: str) -> float:
        return float(sum(self.n_v[i] for i, v in enumerate(self.villages) if v.startswith(area)))

    def counts(self, group: list[Any], cats: pd.DataFrame) -> None:
        """Attack the hidden counts of one group of count measures."""
        entries, villages, vcode, n_v, w_of = (self.entries, self.villages, self.vcode,
                                               self.n_v, self.w_of)
        result, threshold, in_area, area_n = (self.result, self.threshold, self.in_area,
                                              self.area_n)
        m0, cap_weight, measure_of = self.m0, self.cap_weight, self.measure_of
        ids = {m.id for m in group}
        names = [(m.id, v, k) for m in group for v in villages for k in m.categories]
        # every village, also one with no household in a measure's categories (a level's
        # membership measure counts only that level's households)
        tabs = {m.id: pd.crosstab(vcode, cats[m.id]).reindex(villages, fill_value=0)
                for m in group}
        truth = np.array([float(tabs[m].at[v, k]) if k in tabs[m].columns else 0.0
                          for m, v, k in names])
        upper = np.array([n_v[villages.index(v)] for _m, v, _k in names])
        model = _Model(names, np.zeros(len(names)), upper, truth, integer=True)
        for m in group:
            for i, v in enumerate(villages):
                row = model.vec({(m.id, v, k): 1.0 for k in m.categories})
                if m.refines is None:
                    model.add(row, n_v[i], n_v[i], None)
                else:
                    row = row - model.vec({(m.refines[0], v, m.refines[1]): 1.0})
                    model.add(row, 0.0, 0.0, None)
                for k, other, cats in getattr(m, "sums_of", ()):
                    if other in ids:  # the households below the income line: its bins below it
                        row = model.vec({(m.id, v, k): 1.0}) - model.vec(
                            {(other, v, c): 1.0 for c in cats})
                        model.add(row, 0.0, 0.0, None)

        def cell_row(area: str, cells: Sequence[tuple[str, str]], weighted: bool) -> np.ndarray:
            coefs: dict[tuple[Any, ...], float] = {}
            g = self.factor.get(area, 1.0) if weighted else 1.0
            for v in in_area(area):
                for mm, k in cells:
                    key = (mm, v, k)
                    coefs[key] = coefs.get(key, 0.0) + (w_of[v] * g if weighted else 1.0)
            return model.vec(coefs)

        def usable(cells: Sequence[tuple[str, str]]) -> bool:
            return bool(cells) and all(mm in ids for mm, _ in cells)

        def add_share(e: Published, lo: float, hi: float, num: Sequence[tuple[str, str]],
                      base: Sequence[tuple[str, str]]) -> None:
            N, B = cell_row(e.area, num, True), cell_row(e.area, base, True)
            for row, lo_, hi_ in ((N - lo * B, 0.0, np.inf), (N - hi * B, -np.inf, 0.0)):
                msg = model.add(row, lo_, hi_, e)
                if msg:
                    result.inconsistent.append((e, msg))

        # the cells each area prints with a marker (one cell each), for what an "x" says
        small_text = small_marker(threshold)

        def one_cell(e: Published) -> bool:
            """Whether ``e`` is hidden with the marker of one count cell.

            A count, or a share of one cell (not a share published as a cell of its own).
            """
            return e.bounds is None and len(e.cells) == 1 and (
                e.kind in ("count", "weighted")
                or e.kind == "share" and (tuple(e.cells), tuple(e.base)) not in self.ratios)

        marks: dict[tuple[str, tuple[str, str]], set[str]] = {}
        for e in entries:
            if usable(e.cells) and one_cell(e):
                marks.setdefault((e.area, e.cells[0]), set()).add(e.text or "")

        @functools.cache
        def kids(area: str) -> list[str]:
            return sorted({v[:len(area) + 2] for v in in_area(area) if len(v) > len(area)})

        @functools.cache
        def floor(area: str, cell: tuple[str, str]) -> int:
            """Return the least a reader knows the areas within ``area`` hold together.

            1 for each printed "<5" (or what the "<5" within it hold), threshold - 1 for each
            "x" that may be masked.
            """
            total = 0
            for k in kids(area):
                if small_text in marks.get((k, cell), ()) and area_n(k) >= threshold:
                    total += max(1, floor(k, cell))
                elif SECONDARY in marks.get((k, cell), ()) and may_be_small(k, cell):
                    total += threshold - 1
            return min(total, threshold - 1)

        def may_be_small(area: str, cell: tuple[str, str]) -> bool:
            """Whether an "x" of ``area`` may be a small cell printed "x".

            A masked cell (:data:`abcresearch.reports.disclosure.MASKED`) is one whose small
            cells within it hold ``threshold - 1`` households to a reader.
            """
            return floor(area, cell) >= threshold - 1

        targets: dict[tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]],
                      list[str]] = {}
        for e in entries:
            if e.kind in ("count", "weighted") and usable(e.cells):
                if e.bounds is None:
                    targets.setdefault((e.area, e.cells, ()), []).append(e.section)
                    # what the marker tells a reader: "<5" 1 to threshold - 1 households, "x"
                    # (hidden beside another) at least threshold, or threshold - 1 where it may
                    # be a masked small cell, in an area with enough households (in a smaller
                    # one every cell prints "<5", zeros too)
                    least = threshold - 1.0 if any(may_be_small(e.area, c) for c in e.cells) \
                        else float(threshold)
                    marked = {small_text: (1.0, threshold - 1.0),
                              SECONDARY: (least, np.inf)}.get(e.text or "")
                    if marked is not None and area_n(e.area) >= threshold:
                        msg = model.add(cell_row(e.area, e.cells, False), *marked, e)
                        if msg:
                            result.inconsistent.append((e, msg))
                        else:
                            result.marked += 1
                    continue
                msg = model.add(cell_row(e.area, e.cells, e.kind == "weighted"), e.bounds[0],
                                e.bounds[1], e)
                if msg:
                    result.inconsistent.append((e, msg))
            elif e.kind == "share" and usable(e.cells) and usable(e.base):
                if e.bounds is None:
                    targets.setdefault((e.area, e.cells, ()), []).append(e.section)
                    # a share's "<5" on one cell says what the cell's own "<5" says (its "x"
                    # says nothing: the share may be hidden for its base)
                    if one_cell(e) and e.text == small_text and area_n(e.area) >= threshold:
                        msg = model.add(cell_row(e.area, e.cells, False), 1.0,
                                        threshold - 1.0, e)
                        if msg:
                            result.inconsistent.append((e, msg))
                        else:
                            result.marked += 1
                    rest = tuple(c for c in e.base if c not in e.cells)
                    if rest:  # the households the share leaves out
                        targets.setdefault((e.area, rest, ()), []).append(e.section)
                    continue
                add_share(e, e.bounds[0], e.bounds[1], e.cells, e.base)
                if e.ci is not None:
                    lo, hi = _ci_centre(e.ci, share=True)
                    add_share(e, min(lo, e.bounds[0]), max(hi, e.bounds[1]), e.cells, e.base)
            elif e.kind == "intensity" and "poor" in ids and e.bounds is not None \
                    and e.area in m0 and e.bounds[0] > 0:
                lo = m0[e.area][0] / e.bounds[1]
                hi = m0[e.area][1] / e.bounds[0]
                add_share(e, lo, hi, (("poor", "poor"),), (("poor", "poor"), ("poor", "nonpoor")))
            elif e.kind == "contribution" and "poor" in ids and e.bounds is not None \
                    and e.area in m0:
                cap = e.name
                wc = cap_weight.get(cap)
                if wc:
                    lo = e.bounds[0] * m0[e.area][0] / wc
                    hi = e.bounds[1] * m0[e.area][1] / wc
                    add_share(e, max(lo, 0.0), min(hi, 1.0), ((f"cens:{cap}", "dep"),),
                              ((f"cens:{cap}", "dep"), (f"cens:{cap}", "nodep"),
                               ("poor", "nonpoor")))
        result.constraints += len(model.rows)
        # what a published exact zero of an area says about every area within it (none of its
        # households is in the category) is not a disclosure about the smaller area
        # (a share printed as 0 whose households in the category are truly none is such a zero:
        # the rules publish zeros)
        zeros = {(mm, v, k) for e in entries
                 if e.kind in ("weighted", "count") and e.value == 0 and e.bounds == (0.0, 0.0)
                 and len(e.cells) == 1 and e.cells[0][0] in ids
                 for mm, k in e.cells for v in in_area(e.area)}
        zeros |= {(mm, v, k) for e in entries
                  if e.kind == "share" and e.value == 0 and usable(e.cells)
                  and float(cell_row(e.area, e.cells, False) @ model.truth) == 0.0
                  for mm, k in e.cells for v in in_area(e.area)}
        baseline = _Model(names, np.zeros(len(names)),
                          np.array([0.0 if nm in zeros else u for nm, u in zip(names, upper,
                                                                               strict=True)]),
                          truth, integer=True)
        # the baseline attacker knows the sample sizes (row totals) and those zeros only
        baseline.rows = [r for r, src in zip(model.rows, model.sources, strict=True)
                         if src is None]
        baseline.lo = [lo for lo, src in zip(model.lo, model.sources, strict=True) if src is None]
        baseline.hi = [hi for hi, src in zip(model.hi, model.sources, strict=True) if src is None]
        for (area, cells, _), sections in targets.items():
            if not in_area(area) or not all(mm in measure_of for mm, _ in cells):
                continue
            target = cell_row(area, cells, False)
            true = float(target @ model.truth)
            if not (0 < true < threshold or area_n(area) < threshold):
                continue  # hidden only to protect another figure: not itself sensitive
            result.targets += 1
            pinned, low, high = model.pinned(target, round(true))
            if pinned and baseline.pinned(target, round(true))[0]:
                result.implied.append(Recovery(area, cells, true, low, high,
                                               tuple(sorted(set(sections)))))
            elif pinned:
                result.recovered.append(Recovery(area, cells, true, low, high,
                                                 tuple(sorted(set(sections)))))


    def mean(self, mm: Any, vals: pd.DataFrame) -> None:
        """Attack the hidden means of one mean measure."""
        entries, villages, vcode, w_of = self.entries, self.villages, self.vcode, self.w_of
        result, threshold, in_area, area_n = (self.result, self.threshold, self.in_area,
                                              self.area_n)
        relative, absolute = self.protection
        v_arr = vals[mm.id].to_numpy(dtype=float)
        ok = np.isfinite(v_arr)
        obs = pd.Series(ok.astype(float)).groupby(vcode.to_numpy()).sum().reindex(
            villages, fill_value=0.0).to_numpy()
        sums = pd.Series(np.where(ok, v_arr, 0.0)).groupby(vcode.to_numpy()).sum().reindex(
            villages, fill_value=0.0).to_numpy()
        names = [(mm.id, v) for v in villages]
        hi_val = mm.high if np.isfinite(mm.high) else 1e12
        model = _Model(names, mm.low * obs, hi_val * obs, sums, integer=False)

        def mean_row(area: str) -> tuple[np.ndarray, float]:
            coefs = {(mm.id, v): w_of[v] for v in in_area(area)}
            denom = sum(w_of[v] * obs[villages.index(v)] for v in in_area(area))
            return model.vec(coefs), denom

        mean_targets: dict[str, list[str]] = {}
        for e in entries:
            if e.kind != "mean" or e.cells != ((mm.id, MEAN),):
                continue
            if e.bounds is None:
                mean_targets.setdefault(e.area, []).append(e.section)
                continue
            row, denom = mean_row(e.area)
            if denom <= 0:
                continue
            lo, hi = e.bounds
            if e.ci is not None:
                c_lo, c_hi = _ci_centre(e.ci, share=False)
                lo, hi = max(lo, min(c_lo, lo)), min(hi, max(c_hi, hi))
            msg = model.add(row, lo * denom, hi * denom, e)
            if msg:
                result.inconsistent.append((e, msg))
        result.constraints += len(model.rows)
        for area, sections in mean_targets.items():
            if not in_area(area):
                continue
            row, denom = mean_row(area)
            n_obs = sum(obs[villages.index(v)] for v in in_area(area))
            if denom <= 0 or (n_obs >= threshold and area_n(area) >= threshold):
                continue  # hidden only to protect another figure
            result.targets += 1
            true = float(row @ sums) / denom
            low, high = (x / denom for x in model.extent(row))
            span = (mm.high - mm.low) if np.isfinite(mm.high) else 0.0
            d = max(relative * abs(true), absolute * span)
            need_lo = max(true - d, mm.low)
            need_hi = min(true + d, mm.high) if np.isfinite(mm.high) else true + d
            if low > need_lo + _TOL or high < need_hi - _TOL:
                result.recovered.append(Recovery(area, ((mm.id, MEAN),), true, low, high,
                                                 tuple(sorted(set(sections)))))


    def extra(self, name: str, per_area: dict[str, int]) -> None:
        """Attack the hidden data-quality counts of one measure."""
        entries, result, threshold = self.entries, self.result, self.threshold
        leaves = sorted(a for a in per_area if not any(
            b != a and b.startswith(a) for b in per_area))
        names = [(name, a) for a in leaves]
        truth = np.array([float(per_area[a]) for a in leaves])
        model = _Model(names, np.zeros(len(names)), np.full(len(names), 1e9), truth,
                       integer=True)
        targets_x: dict[str, list[str]] = {}
        # what the markers say (data-quality counts print their zeros, also in a small area):
        # "<5" 1 to threshold - 1, "x" at least threshold - 1 (it may be a masked small cell)
        marked = {small_marker(threshold): (1.0, threshold - 1.0),
                  SECONDARY: (threshold - 1.0, np.inf)}
        for e in entries:
            if e.kind != "count" or e.cells != ((name, "all"),):
                continue
            row = model.vec({(name, a): 1.0 for a in leaves if a.startswith(e.area)})
            if e.bounds is None:
                targets_x.setdefault(e.area, []).append(e.section)
                if row.any() and (e.text or "") in marked:
                    msg = model.add(row, *marked[e.text or ""], e)
                    if msg:
                        result.inconsistent.append((e, msg))
                    else:
                        result.marked += 1
                continue
            if not row.any():
                continue
            msg = model.add(row, e.bounds[0], e.bounds[1], e)
            if msg:
                result.inconsistent.append((e, msg))
        result.constraints += len(model.rows)
        for area, sections in targets_x.items():
            row = model.vec({(name, a): 1.0 for a in leaves if a.startswith(area)})
            if not row.any() or not 0 < float(row @ truth) < threshold:
                continue
            result.targets += 1
            pinned, low, high = model.pinned(row, round(float(row @ truth)))
            if pinned:
                result.recovered.append(Recovery(area, ((name, "all"),),
                                                 float(row @ truth), low, high,
                                                 tuple(sorted(set(sections)))))
