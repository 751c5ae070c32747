"""Grade rules: loading and validating ``params/grades.yaml`` and applying them to areas.

The ordered rules give each area (village, tambon) a grade A/B/C and the reason in Thai and
English; :func:`priority_rank` orders areas for support (C first). The rules are data in
``params/grades.yaml``; nothing here holds a threshold. The indicators the rules read come from
:mod:`abcresearch.scoring.indicators`; grading a design end to end is
:mod:`abcresearch.scoring.grades`.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from abcresearch.errors import ParamsError
from abcresearch.paths import params_dir

__all__ = ["INDICATORS", "GradeRules", "apply_rules", "load_grade_rules", "priority_rank"]

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
INDICATORS = ("share_level1", "mean_score", "m0", "org_strength", "process_step")


@dataclass(frozen=True)
class GradeRules:
    """Validated grade rules (``params/grades.yaml``)."""

    scheme_id: str
    scheme_version: str
    rules: tuple[Mapping[str, Any], ...]
    grade_labels: Mapping[str, Mapping[str, str]]
    org_components: Mapping[str, Mapping[str, float]]
    missing_reason: Mapping[str, str]
    grade_order: tuple[str, ...]
    sort_by: tuple[Mapping[str, Any], ...]
    typology: Mapping[str, Any]
    path: Path | None = None


def load_grade_rules(path: str | Path | GradeRules | None = None) -> GradeRules:
    """Load and validate ``params/grades.yaml``; every problem is named in one ParamsError."""
    if isinstance(path, GradeRules):
        return path
    p = Path(path) if path else params_dir() / "grades.yaml"
    if not p.exists():
        raise ParamsError(f"grade rules file {p} does not exist")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: faster
    raw = yaml.load(p.read_text(encoding="utf-8"), Loader=loader) or {}  # noqa: S506
    problems: list[str] = []
    for key in ("scheme_id", "scheme_version"):
        if not raw.get(key):
            problems.append(f"{key}: missing")
    rules = raw.get("grades")
    if not isinstance(rules, list) or not rules:
        problems.append("grades: expected an ordered list of grade rules")
        rules = []
    labels = raw.get("grade_labels") or {}
    for i, r in enumerate(rules):
        w = f"grades[{i}]"
        if not isinstance(r, Mapping) or not r.get("grade"):
            problems.append(f"{w}: needs a grade")
            continue
        if r["grade"] not in labels:
            problems.append(f"{w}: grade {r['grade']!r} has no grade_labels entry")
        if r.get("otherwise"):
            if i != len(rules) - 1:
                problems.append(f"{w}: 'otherwise' must be the last rule")
            continue
        modes = [m for m in ("any", "all") if m in r]
        if len(modes) != 1:
            problems.append(f"{w}: give exactly one of any: or all:")
            continue
        for j, c in enumerate(r[modes[0]]):
            cw = f"{w}.{modes[0]}[{j}]"
            if c.get("indicator") not in INDICATORS:
                problems.append(f"{cw}: unknown indicator {c.get('indicator')!r}; expected one "
                                f"of {list(INDICATORS)}")
            if c.get("op") not in _OPS:
                problems.append(f"{cw}: op must be one of {list(_OPS)}")
            if isinstance(c.get("value"), bool) or not isinstance(c.get("value"), int | float):
                problems.append(f"{cw}: value must be a number")
            for key in ("reason", "reason_not"):
                t = c.get(key) or {}
                for lang in ("th", "en"):
                    if not t.get(lang):
                        problems.append(f"{cw}.{key}: missing {lang} text")
    if rules and not (isinstance(rules[-1], Mapping) and rules[-1].get("otherwise")):
        problems.append("grades: the last rule must be 'otherwise: true'")
    comps = (raw.get("org_strength") or {}).get("components") or {}
    known = {"groups_per_100hh", "welfare_share", "forums_year"}
    if set(comps) - known:
        problems.append(f"org_strength.components: unknown {sorted(set(comps) - known)}; "
                        f"known: {sorted(known)}")
    tot = sum(float(c.get("weight", 0)) for c in comps.values())
    if comps and abs(tot - 1) > 1e-6:
        problems.append(f"org_strength.components: weights add up to {tot:g}, not 1")
    for name, c in comps.items():
        if not isinstance(c.get("full"), int | float) or c["full"] <= 0:
            problems.append(f"org_strength.components.{name}.full must be > 0")
    pr = raw.get("priority") or {}
    order = tuple(pr.get("grade_order") or ())
    grades_named = {r.get("grade") for r in rules if isinstance(r, Mapping)}
    if set(order) != grades_named:
        problems.append(f"priority.grade_order {list(order)} must list the grades "
                        f"{sorted(g for g in grades_named if g)}")
    for s in pr.get("sort_by") or []:
        if s.get("indicator") not in INDICATORS:
            problems.append(f"priority.sort_by: unknown indicator {s.get('indicator')!r}")
    typ = raw.get("typology") or {}
    kr = typ.get("k_range", [2, 6])
    if not (isinstance(kr, list) and len(kr) == 2 and 2 <= kr[0] <= kr[1]):
        problems.append("typology.k_range must be [k_min, k_max] with 2 <= k_min <= k_max")
    if problems:
        raise ParamsError(f"{p.name}: {len(problems)} problem(s) in grade rules:\n  - "
                          + "\n  - ".join(problems))
    return GradeRules(
        scheme_id=str(raw["scheme_id"]), scheme_version=str(raw["scheme_version"]),
        rules=tuple(rules), grade_labels=labels, org_components=comps,
        missing_reason=raw.get("missing_reason") or {"th": "ไม่มีข้อมูล {indicator}",
                                                      "en": "no data for {indicator}"},
        grade_order=order, sort_by=tuple(pr.get("sort_by") or ()), typology=typ, path=p)


def _fmt(template: str, value: float, threshold: float, indicator: str) -> str:
    return template.format(value=value, threshold=threshold, value_pct=100 * value,
                           threshold_pct=100 * threshold, indicator=indicator)


def apply_rules(ind: pd.DataFrame, gr: GradeRules) -> pd.DataFrame:
    """Apply the ordered grade rules to area indicators.

    Parameters
    ----------
    ind : pandas.DataFrame
        One row per area with the indicator columns the rules name (``INDICATORS``).
    gr : GradeRules
        The rules (:func:`load_grade_rules`).

    Returns
    -------
    pandas.DataFrame
        Same index: ``grade``, ``reason_th``, ``reason_en`` (the conditions that decided it;
        for the fall-through grade, the conditions that failed) and ``missing_indicators``.
    """
    n = len(ind)
    grade = np.full(n, None, dtype=object)
    reason = {"th": np.full(n, "", dtype=object), "en": np.full(n, "", dtype=object)}
    failed: dict[str, list[list[str]]] = {"th": [[] for _ in range(n)],
                                          "en": [[] for _ in range(n)]}
    missing_used: list[set[str]] = [set() for _ in range(n)]
    for rule in gr.rules:
        todo = np.array([g is None for g in grade])
        if not todo.any():
            break
        if rule.get("otherwise"):
            for i in np.flatnonzero(todo):
                grade[i] = rule["grade"]
                for lang in ("th", "en"):
                    reason[lang][i] = "; ".join(failed[lang][i])
            continue
        mode = "any" if "any" in rule else "all"
        held = []
        for cond in rule[mode]:
            name = cond["indicator"]
            x = ind[name].to_numpy(dtype=float) if name in ind else np.full(n, np.nan)
            ok = _OPS[cond["op"]](np.nan_to_num(x, nan=np.inf if cond["op"] in ("<", "<=")
                                                else -np.inf), cond["value"]) & ~np.isnan(x)
            held.append((cond, x, ok))
        hit = (np.logical_or.reduce([h[2] for h in held]) if mode == "any"
               else np.logical_and.reduce([h[2] for h in held]))
        for i in np.flatnonzero(todo):
            for cond, x, ok in held:
                name = cond["indicator"]
                if np.isnan(x[i]):
                    missing_used[i].add(name)
                    texts = {lang: gr.missing_reason[lang].format(indicator=name)
                             for lang in ("th", "en")}
                else:
                    key = "reason" if ok[i] else "reason_not"
                    texts = {lang: _fmt(cond[key][lang], float(x[i]), float(cond["value"]), name)
                             for lang in ("th", "en")}
                if hit[i] and (ok[i] or mode == "all"):
                    for lang in ("th", "en"):
                        reason[lang][i] = (reason[lang][i] + "; " if reason[lang][i] else "") \
                            + texts[lang]
                elif not hit[i] and (mode == "any" or not ok[i]):
                    for lang in ("th", "en"):
                        failed[lang][i].append(texts[lang])
            if hit[i]:
                grade[i] = rule["grade"]
    return pd.DataFrame({"grade": grade, "reason_th": reason["th"], "reason_en": reason["en"],
                         "missing_indicators": [", ".join(sorted(m)) for m in missing_used]},
                        index=ind.index)


def priority_rank(ind: pd.DataFrame, grade: pd.Series, gr: GradeRules) -> pd.Series:
    """Rank areas for support: by grade (``priority.grade_order``), then ``priority.sort_by``.

    Returns
    -------
    pandas.Series
        ``priority_rank`` (1 = first) on the index of ``ind``.
    """
    order = {g: i for i, g in enumerate(gr.grade_order)}
    keys = pd.DataFrame({"_g": grade.map(order)}, index=ind.index)
    cols, asc = ["_g"], [True]
    for s in gr.sort_by:
        keys[s["indicator"]] = ind[s["indicator"]]
        cols.append(s["indicator"])
        asc.append(not s.get("descending", False))
    ranked = keys.sort_values(cols, ascending=asc, na_position="last", kind="mergesort")
    return pd.Series(np.arange(1, len(ranked) + 1), index=ranked.index,
                     name="priority_rank").reindex(ind.index)
