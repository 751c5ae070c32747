"""Readiness beside need: near-threshold grades, what would lift an area, the need x grade table.

* :func:`near_threshold` -- a grade (or need class) is near its threshold when the interval of
  a *sampled* indicator that decides it straddles a threshold, i.e. some value inside the
  interval would give another grade. Indicators from the village form have no sampling error
  and never make a grade near its threshold.
* :func:`lift_conditions` -- for one area, the conditions that stand between it and the next
  grade up, and how far it is from each.
* :func:`need_readiness_table` -- areas counted by need class x grade (the priority bands).

The rules are those of ``params/grades.yaml`` (:mod:`abcresearch.scoring.grade_rules`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.labels import HalfUp, HalfUpBelow, label, labels
from abcresearch.scoring.grade_rules import (
    SAMPLED_INDICATORS,
    SNAP_DECIMALS,
    GradeRules,
    condition_holds,
    indicator_label,
    load_grade_rules,
)

__all__ = ["classify", "lift_conditions", "merge_met", "near_threshold", "need_readiness_table",
           "sampled_indicators"]


def classify(ind: pd.DataFrame, rules: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Return the class each area gets from ordered rules (no reasons: fast, for re-runs).

    Parameters
    ----------
    ind : pandas.DataFrame
        Area indicators.
    rules : sequence of mapping
        Ordered rules (``gr.rules`` or ``gr.need_rules``).

    Returns
    -------
    numpy.ndarray of object
        The grade (or need class) per row of ``ind``.
    """
    n = len(ind)
    out = np.full(n, None, dtype=object)
    todo = np.ones(n, dtype=bool)
    for rule in rules:
        if rule.get("otherwise"):
            out[todo] = rule["grade"]
            break
        mode = "any" if "any" in rule else "all"
        held = [condition_holds(ind[c["indicator"]].to_numpy(dtype=float)
                                if c["indicator"] in ind else np.full(n, np.nan),
                                c["op"], float(c["value"])) for c in rule[mode]]
        hit = np.logical_or.reduce(held) if mode == "any" else np.logical_and.reduce(held)
        out[todo & hit] = rule["grade"]
        todo &= ~hit
    return out


def sampled_indicators(rules: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the sampled indicators the rules name (``SAMPLED_INDICATORS``, ``mean_<capital>``)."""
    names: list[str] = []
    for r in rules:
        for c in r.get("any", r.get("all", ())) or ():
            name = c["indicator"]
            if (name in SAMPLED_INDICATORS or name.startswith("mean_")) and name not in names:
                names.append(name)
    return names


def _near(ind: pd.DataFrame, rules: Sequence[Mapping[str, Any]]) -> tuple[np.ndarray, list[str]]:
    base = classify(ind, rules)
    n = len(ind)
    # per sampled indicator with an interval: the values to try (the interval's ends and both
    # sides of every threshold of the indicator inside it; the class is a step function of each
    # indicator, so it can change only there), and whether a threshold lies inside
    axes: list[tuple[str, list[np.ndarray]]] = []
    straddles: dict[str, np.ndarray] = {}
    for name in sampled_indicators(rules):
        lo_col, hi_col = f"{name}_ci_low", f"{name}_ci_high"
        if name not in ind or lo_col not in ind or hi_col not in ind:
            continue  # no interval: cannot be judged (e.g. mean_score)
        est = ind[name].to_numpy(dtype=float)
        lo = ind[lo_col].to_numpy(dtype=float)
        hi = ind[hi_col].to_numpy(dtype=float)
        ok = ~(np.isnan(est) | np.isnan(lo) | np.isnan(hi))
        values = [np.where(ok, lo, est), np.where(ok, hi, est)]
        inside_any = np.zeros(n, dtype=bool)
        for r in rules:
            for c in r.get("any", r.get("all", ())) or ():
                if c["indicator"] != name:
                    continue
                t = float(c["value"])
                inside = ok & (lo <= t) & (t <= hi)
                inside_any |= inside
                values += [np.where(inside, v, est)
                           for v in (t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf))]
        axes.append((name, values))
        straddles[name] = inside_any
    near = np.zeros(n, dtype=bool)
    if axes:
        # every sampled indicator anywhere inside its interval at once (their errors are
        # correlated: the level-1 share and M0 move together)
        grids = np.meshgrid(*[np.arange(len(v)) for _, v in axes], indexing="ij")
        for combo in zip(*[g.ravel() for g in grids], strict=True):
            moved = ind.copy(deep=False)
            for (name, values), k in zip(axes, combo, strict=True):
                moved[name] = values[k]
            near |= classify(moved, rules) != base
    names = [", ".join(name for name, _ in axes if straddles[name][i]) if near[i] else ""
             for i in range(n)]
    return near, names


def near_threshold(ind: pd.DataFrame, rules: GradeRules | str | Path | None = None
                   ) -> pd.DataFrame:
    """Flag grades and need classes whose deciding indicator's interval straddles a threshold.

    An area is near a threshold when some values of the sampled indicators the rules name
    (``share_level1``, ``m0``, ``community_capital``, ``mean_<capital>``), each inside its
    interval (``<name>_ci_low`` .. ``<name>_ci_high``), would change its grade; the
    indicators named are those whose interval holds one of their thresholds. Indicators from
    the village form (organisation strength, process step, master plan, forums) have no
    sampling error and never flag an area; nor does a sampled indicator whose threshold a form
    indicator makes irrelevant (e.g. group C by process step whatever the
    community capital).

    Parameters
    ----------
    ind : pandas.DataFrame
        Area indicators with intervals (:func:`~abcresearch.scoring.indicators.area_indicators`).
    rules : GradeRules, path or None
        Grade rules.

    Returns
    -------
    pandas.DataFrame
        Same index: ``near_threshold`` (bool), ``near_threshold_indicator`` (the indicators
        that make it so, ", "-joined; "" if none), ``need_near_threshold``,
        ``need_near_threshold_indicator`` (the same for the need class).
    """
    gr = load_grade_rules(rules)
    g, gi = _near(ind, gr.rules)
    nd, ni = _near(ind, gr.need_rules)
    return pd.DataFrame({"near_threshold": g, "near_threshold_indicator": gi,
                         "need_near_threshold": nd, "need_near_threshold_indicator": ni},
                        index=ind.index)


def _fewest(threshold: float, villages: float, op: str) -> int:
    """Return the least whole total over ``villages`` whose average meets ``op threshold``."""
    product = threshold * villages
    return math.floor(product + 1e-9) + 1 if op == ">" else math.ceil(product - 1e-9)


#: Village-form indicators whose village values are whole numbers (a step, forums held): a
#: tambon's average of them is lifted by a whole number of steps or forums in all.
WHOLE_PER_VILLAGE = ("process_step", "forums_year")


def _lift_text(name: str, direction: str, level: str, lang: str, **fields: Any) -> str:
    table = labels()
    if np.isnan(fields["value"]):
        return label("lift.missing", lang, indicator=indicator_label(name, lang))
    if name == "process_step" and f"step.{fields['threshold']:.0f}" in table:
        # the step's name beside its number: "from step 2 to step 4" beside "make a community
        # master plan" read as two tasks where step 4 is the master plan (a reader review)
        step = label(f"step.{fields['threshold']:.0f}", lang)
        fields = {**fields, "step": f" ({step[:1].lower() + step[1:] if lang == 'en' else step})"}
    else:
        fields = {"step": "", **fields}
    # a share of villages as villages where the share is a whole number of them ("at least 4
    # of 7 villages", not "at least 50% (now 0%)": a committee counts villages, a reader review)
    counted = (f"lift.{name}.{direction}.{level}_count",) if "villages" in fields else ()
    for key in (*counted, f"lift.{name}.{direction}.{level}", f"lift.{name}.{direction}",
                f"lift.other.{direction}"):
        if key in table:
            return label(key, lang, indicator=name, **fields)
    raise KeyError(name)  # pragma: no cover - lift.other.* ship with the package


def lift_conditions(row: pd.Series | Mapping[str, Any],
                    rules: GradeRules | str | Path | None = None,
                    level: str = "village") -> pd.DataFrame:
    """Return what would lift an area to the next grade: the conditions that fail, and by how much.

    The next grade is the one after the area's own in priority order (C -> B -> A by
    default). To reach it, every earlier rule of a lower grade that holds now must stop
    holding (each of its conditions that holds must fail), and the next grade's own rule must
    hold (every failing condition of an ``all`` rule; one of an ``any`` rule).

    Parameters
    ----------
    row : pandas.Series or mapping
        One area's indicators and ``grade`` (a row of the grade table).
    rules : GradeRules, path or None
        Grade rules.
    level : {"village", "tambon"}
        Which wording to use.

    Returns
    -------
    pandas.DataFrame
        One row per condition to meet: ``target_grade``, ``rule`` (the rule it comes from),
        ``requirement`` (``all``: every row must be met; ``any``: one of the rows marked so),
        ``indicator``, ``op`` (what must hold), ``threshold``, ``value`` (now; NaN if
        missing), ``gap`` (how far, in the indicator's units, always >= 0; NaN if missing),
        ``text_th``, ``text_en``, ``met_by`` (the indicator whose condition, once met, meets
        this one too, from the condition's ``met_with`` in ``params/grades.yaml``; "" for a
        condition that is a step of its own). Empty for the top grade.
    """
    gr = load_grade_rules(rules)
    cols = ["target_grade", "rule", "requirement", "indicator", "op", "threshold", "value",
            "gap", "text_th", "text_en", "met_by"]
    grade = row.get("grade")
    up = list(gr.grade_order)  # priority order: weakest (supported first) ... strongest
    if grade not in up or up.index(grade) == len(up) - 1:
        return pd.DataFrame(columns=cols)
    target = up[up.index(grade) + 1]
    rank = {g: i for i, g in enumerate(up)}
    flip = {">=": "<", ">": "<=", "<=": ">", "<": ">="}
    rows: list[dict[str, Any]] = []

    def add(rule_grade: str, requirement: str, cond: Mapping[str, Any], op: str) -> None:
        name = cond["indicator"]
        t = float(cond["value"])
        x = row.get(name, np.nan)
        v = float(x) if x is not None and not pd.isna(x) else float("nan")
        gap = abs(t - v) if not np.isnan(v) else float("nan")
        direction = "up" if op in (">=", ">") else "down"
        # short of a threshold it must reach: never written as reaching it ("from 34.9")
        short = direction == "up" and round(v, SNAP_DECIMALS) < t
        fields: dict[str, Any] = {
            "value": HalfUpBelow(v, t) if short else HalfUp(v), "threshold": HalfUp(t),
            "gap": HalfUp(gap), "value_pct": HalfUpBelow(v, t, 100) if short else HalfUp(v, 100),
            "threshold_pct": HalfUp(t, 100), "gap_pct": HalfUp(gap, 100)}
        n = row.get("n_villages")  # the village forms the share is over
        surveyed = row.get("villages_surveyed")
        # said in villages only where every surveyed village has its form: "4 of 7" read as
        # the tambon's villages where 8 were surveyed and one had no form (a review)
        every_form = surveyed is None or pd.isna(surveyed) or surveyed == n
        unanswered = row.get(f"{name}_unanswered", 0)
        whole = name in WHOLE_PER_VILLAGE
        # a whole number of villages (a share) or of steps or forums (an average) over the
        # tambon's villages, each village's form answering where it is an average
        villages = 0.0 if n is None or pd.isna(n) else float(n)
        counted = level == "tambon" and op in (">=", ">") and villages > 0 and every_form \
            and not np.isnan(v) and abs(v * villages - round(v * villages)) < 1e-6 and not (
                whole and unanswered is not None and not pd.isna(unanswered) and unanswered)
        if counted and not whole:
            # the share's villages, and the fewest that meet the threshold
            fields |= {"villages": int(villages), "villages_now": round(v * villages),
                       "villages_needed": min(int(villages), _fewest(t, villages, op))}
        elif counted:
            # an average of whole numbers (steps, forums): how many more in all, not every
            # village short of it ("from step 3.7 on average" listed six villages below step
            # 4 where three steps up in all were enough; a reader review)
            total = round(v * villages)
            fields |= {"villages": int(villages), "total_now": total,
                       "total_needed": max(_fewest(t, villages, op) - total, 0)}
        rows.append({"target_grade": target, "rule": rule_grade, "requirement": requirement,
                     "indicator": name, "op": op, "threshold": t, "value": v, "gap": gap,
                     **{f"text_{lang}": _lift_text(name, direction, level, lang, **fields)
                        for lang in ("th", "en")}, "met_by": ""})

    for rule in gr.rules:
        if rule["grade"] == target:
            if rule.get("otherwise"):
                break
            mode = "any" if "any" in rule else "all"
            for c in rule[mode]:
                x = row.get(c["indicator"], np.nan)
                v = np.array([np.nan if x is None or pd.isna(x) else float(x)])
                if not condition_holds(v, c["op"], float(c["value"]))[0]:
                    add(target, mode, c, c["op"])
            break
        if rank[rule["grade"]] >= rank[target] or rule.get("otherwise"):
            continue  # a rule of a grade at least as good does not stand in the way
        mode = "any" if "any" in rule else "all"
        held = []
        for c in rule[mode]:
            x = row.get(c["indicator"], np.nan)
            v = np.array([np.nan if x is None or pd.isna(x) else float(x)])
            held.append(bool(condition_holds(v, c["op"], float(c["value"]))[0]))
        if (mode == "any" and any(held)) or (mode == "all" and all(held)):
            for c, h in zip(rule[mode], held, strict=True):
                if h:  # any: every holding condition must fail; all: one failing is enough
                    add(rule["grade"], "all" if mode == "any" else "any", c, flip[c["op"]])
    _forums_lift_organisations(rows, row, gr, level)
    if level == "village":
        _met_with(rows, gr, target)
    return pd.DataFrame(rows, columns=cols)


def _met_with_conditions(gr: GradeRules, target: str) -> dict[str, Mapping[str, Any]]:
    """Return the ``met_with`` of each condition of the target grade's rule, by indicator.

    The target grade's first rule, as :func:`lift_conditions` reads it; grade_rules checks that
    a ``met_with`` stands on a ``>=`` or ``>`` condition of an ``all:`` rule naming the other
    indicator.
    """
    rule = next((r for r in gr.rules if r["grade"] == target), {})
    if rule.get("otherwise"):
        return {}
    return {c["indicator"]: c["met_with"] for c in rule.get("all", []) if c.get("met_with")}


def _met_with(rows: list[dict[str, Any]], gr: GradeRules, target: str) -> None:
    """Mark the conditions another one's meeting meets too (``met_by``).

    A condition of the target grade with ``met_with`` (step 4 of the process is the master
    plan itself) is met by meeting the other indicator's condition where the area is at
    ``from`` or beyond and short of both: one thing to do, not two (a reader review).
    """
    by_name = {r["indicator"]: r for r in rows if r["rule"] == target}
    for name, met in _met_with_conditions(gr, target).items():
        this, other = by_name.get(name), by_name.get(met["indicator"])
        if this is None or other is None or other["met_by"] \
                or np.isnan(this["value"]) or np.isnan(other["value"]) \
                or this["value"] < float(met["from"]):
            continue  # (a plan the form does not state: not known to be the one thing)
        this["met_by"] = met["indicator"]


def merge_met(lift: pd.DataFrame, rules: GradeRules | str | Path | None = None) -> pd.DataFrame:
    """Return the steps of a lift: each condition another one's meeting meets, folded into it.

    A row of :func:`lift_conditions` with ``met_by`` (step 4 of the process is the master plan)
    is dropped, and the row of the indicator it names says what it meets too (``met_with``'s
    ``also`` in ``params/grades.yaml``: "make a community master plan (which also reaches step
    4 ...)"). A village at step 3 with no plan then has one thing to do, on its own summary as
    in its tambon's list of villages one step short (a reader review and a code review).

    Parameters
    ----------
    lift : pandas.DataFrame
        :func:`lift_conditions`' result.
    rules : GradeRules, path or None
        Grade rules (the ``also`` words).

    Returns
    -------
    pandas.DataFrame
        The same columns, one row per thing to do.
    """
    if lift.empty or not (lift["met_by"] != "").any():
        return lift
    gr = load_grade_rules(rules)
    target = str(lift["target_grade"].iloc[0])
    also = {name: met["also"] for name, met in _met_with_conditions(gr, target).items()}
    out = lift.copy()
    for _, met in lift[lift["met_by"] != ""].iterrows():
        at = out.index[(out["indicator"] == met["met_by"]) & (out["met_by"] == "")]
        for lang in ("th", "en"):
            out.loc[at, f"text_{lang}"] = out.loc[at, f"text_{lang}"] + str(
                also[met["indicator"]][lang])
    return out[out["met_by"] == ""].reset_index(drop=True)


def _forums_lift_organisations(rows: list[dict[str, Any]], row: pd.Series | Mapping[str, Any],
                               gr: GradeRules, level: str = "village") -> None:
    """Say beside the organisation-strength step where holding the forums alone would meet it.

    The forums held a year are a component of the organisation-strength index: a village short
    of both (2 forums, strength 31.4 under 35) reaches both by holding 4 (35.6; a reader
    review). The index is recomputed with the forums at their threshold; said only where it
    then meets its own condition.
    """
    from abcresearch.scoring.indicators import ORG_COMPONENT_COLUMNS, org_strength_index

    need = {r["indicator"]: r for r in rows if r["op"] in (">=", ">")}
    forums, org = need.get("forums_year"), need.get("org_strength")
    if forums is None or org is None or np.isnan(forums["value"]) or np.isnan(org["value"]):
        return
    values = {c: row.get(c, np.nan) for c in ORG_COMPONENT_COLUMNS.values()}
    values["forums_year"] = forums["threshold"]
    after = float(org_strength_index({k: np.nan if v is None or pd.isna(v) else float(v)
                                      for k, v in values.items()}, gr)[0])
    if not condition_holds(np.array([after]), org["op"], org["threshold"])[0]:
        return
    for lang in ("th", "en"):
        # said once, beside the strength's own step: beside both read as two tasks (a reader
        # review), beside the forums' alone left the strength's step a task of its own
        # a tambon's forums are its villages' average
        org[f"text_{lang}"] += label("lift.org_strength.by_forums" + (
            ".tambon" if level == "tambon" else ""), lang,
                                     forums=HalfUp(forums["threshold"]), value=HalfUp(after))


def need_readiness_table(table: pd.DataFrame, rules: GradeRules | str | Path | None = None
                         ) -> pd.DataFrame:
    """Count areas by need class (rows) and grade (columns), in priority order.

    Parameters
    ----------
    table : pandas.DataFrame
        A grade table with ``need`` and ``grade``.
    rules : GradeRules, path or None
        Grade rules (the order of classes and grades).

    Returns
    -------
    pandas.DataFrame
        Index need class (``priority.need_order``), columns grades (``priority.grade_order``),
        counts (0 where none).
    """
    gr = load_grade_rules(rules)
    ct = pd.crosstab(table["need"], table["grade"])
    return ct.reindex(index=list(gr.need_order), columns=list(gr.grade_order),
                      fill_value=0).rename_axis(index="need", columns="grade")
