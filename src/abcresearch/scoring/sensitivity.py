"""How many grades change when the rules move: thresholds by ±10 % and the Alkire-Foster k.

For the methods appendix: :func:`threshold_sensitivity` moves each threshold of the grade and
need rules of ``params/grades.yaml`` by a share of its value, one at a time, and counts the
village and tambon grades (and need classes, and priority bands) that change;
:func:`grade_sensitivity` does that and also recomputes M0 at other poverty cut-offs k. Both
return one tidy table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abcresearch.scoring.grade_rules import GradeRules, load_grade_rules
from abcresearch.scoring.indicators import area_indicators
from abcresearch.scoring.readiness import classify
from abcresearch.stats.core import SurveyDesignBase

if TYPE_CHECKING:
    from abcresearch.scoring.households import HouseholdScores

__all__ = ["COLUMNS", "grade_sensitivity", "neighbouring_cutoffs", "threshold_sensitivity"]

#: Columns of the sensitivity table, in order.
COLUMNS = ["level", "parameter", "rule_set", "rule", "indicator", "op", "value", "change",
           "new_value", "n_areas", "grades_changed", "need_changed", "bands_changed"]


def _moved(rules: Sequence[Mapping[str, Any]], rule: str, position: int,
           new_value: float) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for r in rules:
        if r["grade"] != rule or r.get("otherwise"):
            out.append(r)
            continue
        mode = "any" if "any" in r else "all"
        conds = [dict(c) for c in r[mode]]
        conds[position]["value"] = new_value
        out.append({**r, mode: conds})
    return out


def _band(grade: np.ndarray, need: np.ndarray, gr: GradeRules) -> np.ndarray:
    order = {cell: i for i, cell in enumerate(gr.bands)}
    return np.array([order.get((n, g), -1) for g, n in zip(grade, need, strict=True)])


def threshold_sensitivity(indicators: Mapping[str, pd.DataFrame],
                          rules: GradeRules | str | Path | None = None,
                          shift: float = 0.10) -> pd.DataFrame:
    """Count the grades that change when each threshold moves by ``±shift`` of its value.

    Each condition of the grade rules and of the need rules is moved on its own, down and up
    by ``shift`` times its value (so a threshold of 0 does not move), every other threshold
    as in the rules.

    Parameters
    ----------
    indicators : mapping
        Level name (``"village"``, ``"tambon"``) -> area indicators (one row per area, the
        columns the rules name; e.g. a grade table).
    rules : GradeRules, path or None
        Grade rules (default ``params/grades.yaml``).
    shift : float
        Relative move (0.10 = ±10 %).

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`: per level and moved threshold (``parameter`` like
        ``grade.C.any[0]``), ``change`` (``-10%``/``+10%``), ``value`` and ``new_value``, the
        number of areas, and how many areas change grade, need class and priority band.
    """
    gr = load_grade_rules(rules)
    rows = []
    for level, ind in indicators.items():
        base_g = classify(ind, gr.rules)
        base_n = classify(ind, gr.need_rules)
        base_b = _band(base_g, base_n, gr)
        for th in gr.thresholds():
            for sign in (-1, 1):
                new = th["value"] * (1 + sign * shift)
                g, nd = base_g, base_n
                if th["rule_set"] == "grade":
                    g = classify(ind, _moved(gr.rules, th["rule"], th["position"], new))
                else:
                    nd = classify(ind, _moved(gr.need_rules, th["rule"], th["position"], new))
                rows.append({
                    "level": level,
                    "parameter": f"{th['rule_set']}.{th['rule']}.{th['mode']}[{th['position']}]",
                    "rule_set": th["rule_set"], "rule": th["rule"], "indicator": th["indicator"],
                    "op": th["op"], "value": th["value"],
                    "change": f"{sign * shift:+.0%}", "new_value": new, "n_areas": len(ind),
                    "grades_changed": int((g != base_g).sum()),
                    "need_changed": int((nd != base_n).sum()),
                    "bands_changed": int((_band(g, nd, gr) != base_b).sum()),
                })
    return pd.DataFrame(rows, columns=COLUMNS)


def neighbouring_cutoffs(weights: Sequence[float], k: float) -> tuple[float, ...]:
    """Return the Alkire-Foster cut-offs next below and above the rule ``k`` makes.

    A deprivation score is a sum of capital weights, so it takes few values (with seven equal
    weights 0, 1/7, 2/7, ...), and every k between two of them identifies the same households:
    with equal weights k = 33% and k = 40% are both "deprived in 3 of 7 capitals or more", and
    comparing them shows nothing. The cut-offs returned are the score values just below and
    just above the least value that reaches ``k`` (2/7 and 4/7 for k = 1/3 over seven equal
    weights): the nearest other rules. One is left out where none exists (k at the least or
    the greatest score above 0).

    Parameters
    ----------
    weights : sequence of float
        The capitals' weights (adding up to 1).
    k : float
        The cut-off in use (a share).

    Returns
    -------
    tuple of float
        Up to two cut-offs, the lower first.
    """
    values = {0.0: 0.0}  # each score once (sums rounded to compare), at its exact value
    for w in weights:
        for v in list(values.values()):
            values.setdefault(round(v + float(w), 9), v + float(w))
    steps = sorted(v for v in values.values() if v > 1e-12)
    tol = 1e-9  # as deprivation_scores compares: three weights of 1/9 reach k = 1/3
    reached = [v for v in steps if v >= k - tol]
    if not reached:
        return ()
    at = steps.index(reached[0])
    return tuple(steps[i] for i in (at - 1, at + 1) if 0 <= i < len(steps))


def grade_sensitivity(design: SurveyDesignBase, scores: HouseholdScores,
                      villages: pd.DataFrame | None = None,
                      rules: GradeRules | str | Path | None = None, *, shift: float = 0.10,
                      ks: Sequence[float] | None = None, level: float = 0.95
                      ) -> pd.DataFrame:
    """Sensitivity of the village and tambon grades to the thresholds and to the AF cut-off k.

    Parameters
    ----------
    design : SurveyDesign
        Design on the scored household rows (its data need ``village_code`` and
        ``tambon_code``).
    scores : HouseholdScores
        Household scores.
    villages : pandas.DataFrame, optional
        Village-form rows.
    rules : GradeRules, path or None
        Grade rules.
    shift : float
        Relative move of each threshold (0.10 = ±10 %).
    ks : sequence of float, optional
        Alkire-Foster poverty cut-offs to compare with the scheme's (shares); by default the
        nearest other rules, :func:`neighbouring_cutoffs` (2/7 and 4/7 for k = 1/3 over seven
        equal weights: 25, 33 and 40% made one rule out of two of them).
    level : float
        Confidence level (intervals do not enter the counts).

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`; the threshold rows of :func:`threshold_sensitivity`, then one row per
        level and k with ``parameter`` ``"af_k"``, ``value`` the scheme's k, ``new_value`` k,
        ``change`` ``"k=29%"``: the areas whose grade, need class or band differ from those at
        the scheme's k.
    """
    gr = load_grade_rules(rules)
    areas = {"village": "village_code", "tambon": "tambon_code"}
    base = {lv: area_indicators(design, scores, col, villages, gr, level)
            for lv, col in areas.items()}
    out = [threshold_sensitivity(base, gr, shift)]
    k0 = float(scores.scheme.af_k)
    if ks is None:
        ks = neighbouring_cutoffs(list(scores.scheme.af_weights.values()), k0)
    rows = []
    for k in ks:
        for lv, col in areas.items():
            ind = area_indicators(design, scores, col, villages, gr, level, af_k=float(k))
            g0, n0 = classify(base[lv], gr.rules), classify(base[lv], gr.need_rules)
            g1, n1 = classify(ind, gr.rules), classify(ind, gr.need_rules)
            rows.append({"level": lv, "parameter": "af_k", "rule_set": "alkire_foster",
                         "rule": "", "indicator": "m0", "op": ">=", "value": k0,
                         "change": f"k={k:.0%}", "new_value": float(k), "n_areas": len(ind),
                         "grades_changed": int((g1 != g0).sum()),
                         "need_changed": int((n1 != n0).sum()),
                         "bands_changed": int((_band(g1, n1, gr) != _band(g0, n0, gr)).sum())})
    out.append(pd.DataFrame(rows, columns=COLUMNS))
    return pd.concat(out, ignore_index=True)
