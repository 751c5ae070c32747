"""Grade rules: loading and validating ``params/grades.yaml`` and applying them to areas.

The ordered rules give each area (village, tambon) a readiness grade A/B/C with the reason in
Thai and English; the need rules give it a need class (high/low) beside the grade; the priority
rule orders areas for support by both (:func:`priority_bands`). The rules are data in
``params/grades.yaml``; nothing here holds a threshold. The indicators the rules read come from
:mod:`abcresearch.scoring.indicators`; grading a design end to end is
:mod:`abcresearch.scoring.grades`.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch import params
from abcresearch.labels import SNAP_DECIMALS, HalfUp, HalfUpBelow, labels
from abcresearch.params import Problems, unknown_keys

__all__ = ["FORM_INDICATORS", "INDICATORS", "OPS", "SAMPLED_INDICATORS", "SNAP_DECIMALS",
           "GradeRules",
           "apply_rules", "condition_holds", "grade_rules_from_mapping", "load_grade_rules",
           "need_classes", "priority_bands", "priority_rank", "undecided_by_missing"]

#: Comparison operators a condition may use.
OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
#: Indicators estimated from the household sample (they have a design-based interval).
SAMPLED_INDICATORS = ("share_level1", "m0", "community_capital", "mean_score")
#: Indicators from the village form (no sampling error).
FORM_INDICATORS = ("org_strength", "process_step", "master_plan", "forums_year",
                   "n_group_types", "groups_per_100hh", "welfare_share")
#: Every indicator a rule may name (besides ``mean_<capital>``, also sampled).
INDICATORS = SAMPLED_INDICATORS + FORM_INDICATORS
_MEAN = re.compile(r"^mean_[a-z][a-z0-9_]*$")
_ORG_COMPONENTS = ("groups_per_100hh", "group_types", "welfare_share", "forums_year")
LANGS = ("th", "en")


@dataclass(frozen=True)
class GradeRules:
    """Validated grade rules (``params/grades.yaml``).

    Attributes
    ----------
    rules : tuple of mapping
        The ordered readiness-grade rules (``grade``, ``why``, ``any``/``all``/``otherwise``).
    grade_labels : mapping
        Grade -> ``{"th", "en"}`` label ("กลุ่ม A (...)").
    need_rules : tuple of mapping
        The ordered need rules (``grade`` holds the class, ``high``/``low``).
    need_labels : mapping
        Need class -> ``{"th", "en"}``.
    need_why, priority_why : mapping
        Why need and the priority order are what they are (``{"th", "en"}``).
    need_order, grade_order : tuple of str
        Priority: need classes first to last, then grades first to last within a class.
    sort_by : tuple of mapping
        Listing order within a priority band (``indicator``, ``descending``).
    community_capitals : tuple of str
        Capitals averaged into ``community_capital``.
    org_components : mapping
        Organisation-strength components: ``weight`` and ``full`` value.
    """

    scheme_id: str
    scheme_version: str
    rules: tuple[Mapping[str, Any], ...]
    grade_labels: Mapping[str, Mapping[str, str]]
    org_components: Mapping[str, Mapping[str, float]]
    missing_reason: Mapping[str, str]
    grade_order: tuple[str, ...]
    sort_by: tuple[Mapping[str, Any], ...]
    typology: Mapping[str, Any]
    need_rules: tuple[Mapping[str, Any], ...] = ()
    need_labels: Mapping[str, Mapping[str, str]] | None = None
    need_why: Mapping[str, str] | None = None
    need_order: tuple[str, ...] = ()
    priority_why: Mapping[str, str] | None = None
    community_capitals: tuple[str, ...] = ()
    partial_reason: Mapping[str, str] | None = None
    verified: bool = False
    path: Path | None = None

    @property
    def bands(self) -> tuple[tuple[str, str], ...]:
        """The priority bands in order: ``(need_class, grade)``, band 1 first."""
        return tuple((n, g) for n in self.need_order for g in self.grade_order)

    def cuts(self, indicator: str) -> tuple[tuple[float, bool], ...]:
        """Where a number of ``indicator`` changes class, for writing it on its own side.

        Parameters
        ----------
        indicator : str
            An indicator the grade or need rules may name (``share_level1``, ``m0``, ...).

        Returns
        -------
        tuple of (float, bool)
            Each threshold of a condition on it, with whether the threshold itself belongs to
            the upper side (``>=`` and ``<``: a value at the threshold meets ``>=`` and fails
            ``<``) or to the lower one (``>`` and ``<=``), without repeats, in order.
        """
        out: list[tuple[float, bool]] = []
        for c in self.thresholds():
            cut = (c["value"], c["op"] in (">=", "<"))
            if c["indicator"] == indicator and cut not in out:
                out.append(cut)
        return tuple(out)

    def thresholds(self) -> list[dict[str, Any]]:
        """Every condition of the grade and need rules as a row (for sensitivity, methods).

        Returns
        -------
        list of dict
            ``rule_set`` (``grade``/``need``), ``rule`` (grade or class), ``mode``, ``position``
            (condition index), ``indicator``, ``op``, ``value``.
        """
        out = []
        for rule_set, rules in (("grade", self.rules), ("need", self.need_rules)):
            for r in rules:
                mode = "any" if "any" in r else "all" if "all" in r else None
                for j, c in enumerate(r.get(mode, ()) if mode else ()):
                    out.append({"rule_set": rule_set, "rule": r["grade"], "mode": mode,
                                "position": j, "indicator": c["indicator"], "op": c["op"],
                                "value": float(c["value"])})
        return out


def _texts(pr: Problems, where: str, t: Any, required: bool = True) -> None:
    if t is None and not required:
        return
    if not isinstance(t, Mapping):
        pr.add(where, "needs Thai and English text (th:, en:)")
        return
    for lang in LANGS:
        if not isinstance(t.get(lang), str) or not t.get(lang):
            pr.add(where, f"is missing {lang} text")
        elif ";" in t[lang] and ".reason" in where:
            pr.add(where, f"{lang} text must not contain ';' (it joins reasons)")


#: Keys of ``params/grades.yaml`` (top level, a rule, a condition and the sections), so that
#: a misspelt optional key is reported, not ignored: a misspelt ``reason_not_tambon`` left a
#: tambon with the village's wording ("no master plan yet", where a quarter of its villages
#: had one).
GRADES_KEYS = ("scheme_id", "scheme_version", "source", "verified", "notes", "org_strength",
               "community_capitals", "grades", "grade_labels", "missing_reason",
               "partial_reason", "need", "priority", "typology")
RULE_KEYS = ("grade", "class", "why", "any", "all", "otherwise")
CONDITION_KEYS = ("indicator", "op", "value", "reason", "reason_not", "reason_tambon",
                  "reason_not_tambon", "reason_none", "reason_not_none", "reason_tambon_none",
                  "reason_not_tambon_none", "criterion", "household_item", "met_with")
#: Keys of a condition's ``met_with``: the condition another one's meeting meets too, from
#: a value on (step 4 of the process is the master plan itself).
MET_WITH_KEYS = ("indicator", "from", "also")
SECTION_KEYS = {"need": ("why", "rules", "labels"), "org_strength": ("components",),
                "priority": ("why", "need_order", "grade_order", "sort_by"),
                "typology": ("k_range", "seed", "n_init", "silhouette_sample", "fit_sample",
                             "weak_silhouette")}
#: The range of each indicator's values: a threshold outside it can never hold (or always
#: does), like a share written as a percentage (50 for 0.5).
INDICATOR_RANGES: dict[str, tuple[float, float, str]] = {
    **{k: (0.0, 1.0, "a share from 0 to 1 (0.4 = 40%)")
       for k in ("share_level1", "m0", "master_plan", "welfare_share")},
    **{k: (0.0, 100.0, "a score from 0 to 100")
       for k in ("mean_score", "community_capital", "org_strength")},
    "process_step": (0.0, 6.0, "a step of the programme, 1 to 6"),
    **{k: (0.0, math.inf, "a count, 0 or more")
       for k in ("forums_year", "n_group_types", "groups_per_100hh")},
}


def _check_value(pr: Problems, where: str, name: Any, value: Any) -> None:
    """Report a threshold outside the values its indicator can take."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return
    rng = INDICATOR_RANGES.get(str(name))
    if rng is None and isinstance(name, str) and _MEAN.match(name):
        rng = (0.0, 100.0, "a score from 0 to 100")
    if rng is not None and not rng[0] <= float(value) <= rng[1]:
        pr.add(where, f"value {value!r} is outside what {name} can be: it is {rng[2]}")


def _check_met_with(pr: Problems, where: str, cond: Mapping[str, Any],
                    siblings: list[Any] | None) -> None:
    """Check a condition's ``met_with``: where it is read, another condition, a value, words.

    It is read on a ``>=`` or ``>`` condition of a grade's ``all:`` rule (``siblings``, None
    elsewhere) naming another condition of the same rule, ``from`` below the condition's value
    (the other condition's meeting brings the area from there to it).
    """
    met, name = cond["met_with"], cond.get("indicator")
    if not isinstance(met, Mapping):
        pr.add(where, "must be a mapping with indicator, from and also")
        return
    for problem in unknown_keys(met, MET_WITH_KEYS, where):
        pr.add("", problem)
    if siblings is None:
        pr.add(where, "is read only on a condition of a grade's all: rule")
    elif cond.get("op") not in (">=", ">"):
        pr.add(where, "is read only on a >= or > condition")
    other = met.get("indicator")
    names = [c.get("indicator") for c in siblings or [] if isinstance(c, Mapping)]
    if other == name or (siblings is not None and other not in names):
        pr.add(where, f"indicator must be another condition of the same rule ({names}), "
                      f"found {other!r}")
    start, value = met.get("from"), cond.get("value")
    if isinstance(start, bool) or not isinstance(start, int | float):
        pr.add(where, "from must be a number (the value on which meeting the other meets this)")
    else:
        _check_value(pr, f"{where}.from", name, start)
        if isinstance(value, int | float) and not isinstance(value, bool) and start >= value:
            pr.add(where, f"from ({start}) must be below the condition's value ({value})")
    _texts(pr, f"{where}.also", met.get("also"))


def _check_rules(pr: Problems, where: str, rules: Any, labels: Mapping[str, Any],
                 key: str) -> list[dict[str, Any]]:
    """Check an ordered rule list; return it with the class under ``grade``."""
    if not isinstance(rules, list) or not rules:
        pr.add(where, "must be an ordered list of rules")
        return []
    out: list[dict[str, Any]] = []
    for i, r in enumerate(rules):
        w = f"{where}[{i}]"
        if not isinstance(r, Mapping) or not r.get(key):
            pr.add(w, f"needs a {key}")
            continue
        for problem in unknown_keys(r, RULE_KEYS, w):
            pr.add("", problem)
        r = {**r, "grade": r[key]}
        out.append(r)
        if r["grade"] not in labels:
            pr.add(w, f"{key} {r['grade']!r} has no label")
        if key == "grade":
            _texts(pr, f"{w}.why", r.get("why"))
        if r.get("otherwise"):
            if i != len(rules) - 1:
                pr.add(w, "'otherwise' must be the last rule")
            continue
        modes = [m for m in ("any", "all") if m in r]
        if len(modes) != 1 or not isinstance(r[modes[0]], list) or not r[modes[0]]:
            pr.add(w, "give exactly one of any: or all: with a list of conditions")
            continue
        for j, c in enumerate(r[modes[0]]):
            cw = f"{w}.{modes[0]}[{j}]"
            if not isinstance(c, Mapping):
                pr.add(cw, "must be a mapping")
                continue
            name = c.get("indicator")
            if name not in INDICATORS and not (isinstance(name, str) and _MEAN.match(name)):
                pr.add(cw, f"unknown indicator {name!r}; expected one of {list(INDICATORS)} "
                           "or mean_<capital>")
            if c.get("op") not in OPS:
                pr.add(cw, f"op must be one of {list(OPS)}")
            if isinstance(c.get("value"), bool) or not isinstance(c.get("value"), int | float):
                pr.add(cw, "value must be a number")
            _check_value(pr, cw, name, c.get("value"))
            for problem in unknown_keys(c, CONDITION_KEYS, cw):
                pr.add("", problem)
            for k in ("reason", "reason_not"):
                _texts(pr, f"{cw}.{k}", c.get(k))
            for k in ("reason_tambon", "reason_not_tambon", "reason_none", "reason_not_none",
                      "reason_tambon_none", "reason_not_tambon_none", "criterion"):
                _texts(pr, f"{cw}.{k}", c.get(k), required=False)
            if "met_with" in c:
                _check_met_with(pr, f"{cw}.met_with", c, r[modes[0]] if modes[0] == "all"
                                and key == "grade" else None)
            item = c.get("household_item")
            if item is not None and (not isinstance(item, str) or not item.strip()):
                pr.add(f"{cw}.household_item", "must be an item id of params/actions.yaml "
                                               "(checked against it where a report uses it)")
            for lang, text in (c.get("criterion") or {}).items():
                try:  # its placeholders, now, not when the overview is typeset
                    str(text).format(threshold=1.0, threshold_pct=100.0)
                except (KeyError, IndexError, ValueError) as exc:
                    pr.add(f"{cw}.criterion.{lang}", "may use only {threshold} and "
                                                     f"{{threshold_pct}}, found {exc!r}")
    if out and not (isinstance(rules[-1], Mapping) and rules[-1].get("otherwise")):
        pr.add(where, "the last rule must be 'otherwise: true'")
    return out


def grade_rules_from_mapping(raw: Mapping[str, Any], path: Path) -> GradeRules:
    """Parse and validate the grade rules (the parser of :func:`abcresearch.params.load`).

    Raises
    ------
    ParamsError
        One error naming every problem of the file.
    """
    pr = Problems(path)
    for problem in unknown_keys(raw, GRADES_KEYS):
        pr.add("", problem)
    for section, keys in SECTION_KEYS.items():
        for problem in unknown_keys(raw.get(section), keys, section):
            pr.add("", problem)
    for key in ("scheme_id", "scheme_version"):
        if not raw.get(key):
            pr.add(key, "is missing")
    labels = raw.get("grade_labels") or {}
    for g, t in labels.items():
        _texts(pr, f"grade_labels.{g}", t)
    _texts(pr, "partial_reason", raw.get("partial_reason"), required=False)
    rules = _check_rules(pr, "grades", raw.get("grades"), labels, "grade")
    need = raw.get("need") or {}
    need_labels = need.get("labels") or {}
    for g, t in need_labels.items():
        _texts(pr, f"need.labels.{g}", t)
    _texts(pr, "need.why", need.get("why"))
    need_rules = _check_rules(pr, "need.rules", need.get("rules"), need_labels, "class")
    comps = (raw.get("org_strength") or {}).get("components") or {}
    if set(comps) - set(_ORG_COMPONENTS):
        pr.add("org_strength.components", f"has unknown {sorted(set(comps) - set(_ORG_COMPONENTS))}"
                                          f"; known: {sorted(_ORG_COMPONENTS)}")
    tot = sum(float(c.get("weight", 0)) for c in comps.values())
    if comps and abs(tot - 1) > 1e-6:
        pr.add("org_strength.components", f"weights add up to {tot:g}, not 1")
    for name, c in comps.items():
        if isinstance(c.get("full"), bool) or not isinstance(c.get("full"), int | float) \
                or c["full"] <= 0:
            pr.add(f"org_strength.components.{name}.full", "must be > 0")
    caps = raw.get("community_capitals") or []
    if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
        pr.add("community_capitals", "must be a list of capital ids")
        caps = []
    prio = raw.get("priority") or {}
    _texts(pr, "priority.why", prio.get("why"))
    order = tuple(prio.get("grade_order") or ())
    grades_named = {r["grade"] for r in rules}
    if set(order) != grades_named or len(order) != len(grades_named):
        pr.add("priority.grade_order", f"{list(order)} must list the grades "
                                       f"{sorted(grades_named)} once each")
    n_order = tuple(prio.get("need_order") or ())
    classes = {r["grade"] for r in need_rules}
    if set(n_order) != classes or len(n_order) != len(classes):
        pr.add("priority.need_order", f"{list(n_order)} must list the need classes "
                                      f"{sorted(classes)} once each")
    for s in prio.get("sort_by") or []:
        name = s.get("indicator") if isinstance(s, Mapping) else None
        if name not in INDICATORS and not (isinstance(name, str) and _MEAN.match(name)):
            pr.add("priority.sort_by", f"unknown indicator {name!r}")
    typ = raw.get("typology") or {}
    kr = typ.get("k_range", [2, 6])
    if not (isinstance(kr, list) and len(kr) == 2 and 2 <= kr[0] <= kr[1]):
        pr.add("typology.k_range", "must be [k_min, k_max] with 2 <= k_min <= k_max")
    weak = typ.get("weak_silhouette", 0.5)
    if isinstance(weak, bool) or not isinstance(weak, int | float) or not 0 < weak <= 1:
        pr.add("typology.weak_silhouette", f"must be a number above 0 and at most 1, "
                                           f"found {weak!r}")
    pr.raise_if_any()
    return GradeRules(
        scheme_id=str(raw["scheme_id"]), scheme_version=str(raw["scheme_version"]),
        rules=tuple(rules), grade_labels=labels, org_components=comps,
        missing_reason=raw.get("missing_reason") or {"th": "ไม่มีข้อมูล {indicator}",
                                                      "en": "no data for {indicator}"},
        grade_order=order, sort_by=tuple(prio.get("sort_by") or ()), typology=typ,
        need_rules=tuple(need_rules), need_labels=need_labels, need_why=need.get("why"),
        need_order=n_order, priority_why=prio.get("why"), community_capitals=tuple(caps),
        partial_reason=raw.get("partial_reason"), verified=bool(raw.get("verified", False)),
        path=path)


def load_grade_rules(path: str | Path | GradeRules | None = None) -> GradeRules:
    """Load and validate ``params/grades.yaml`` (once per version of the file).

    Parameters
    ----------
    path : path, GradeRules or None
        A rules file (default ``params/grades.yaml``), or rules already loaded.

    Raises
    ------
    ParamsError
        Missing or invalid file; every problem is named in one error.
    """
    if isinstance(path, GradeRules):
        return path
    return params.load(path or "grades", grade_rules_from_mapping)


def _fmt(template: str, value: float, threshold: float, indicator: str) -> str:
    # numbers written half up, as every printed number (a share scaled to percent in decimal);
    # a value short of its threshold never reads as reaching it ("34.9 (below 35)", not 35.0);
    # HalfUpBelow writes one at or above it as HalfUp does
    return template.format(
        value=HalfUpBelow(value, threshold),
        threshold=HalfUp(threshold),
        value_pct=HalfUpBelow(value, threshold, 100),
        threshold_pct=HalfUp(threshold, 100), indicator=indicator)


def indicator_label(name: str, lang: str = "th") -> str:
    """Return what a reader calls an indicator ("step of the strong-community process").

    Else its id. The texts are ``indicator.<name>`` in ``params/labels/grades.yaml``.
    """
    table = labels()
    key = f"indicator.{name}"
    return table[key][lang] if key in table else name


def condition_holds(x: np.ndarray, op: str, value: float) -> np.ndarray:
    """Where ``x op value`` holds (never where ``x`` is missing).

    ``x`` is compared at :data:`SNAP_DECIMALS` decimals, so that floating-point noise does
    not put a value exactly at a threshold on its other side.
    """
    x = np.round(np.asarray(x, dtype=float), SNAP_DECIMALS)
    filled = np.nan_to_num(x, nan=np.inf if op in ("<", "<=") else -np.inf)
    return OPS[op](filled, value) & ~np.isnan(x)


def undecided_by_missing(ind: pd.DataFrame, gr: GradeRules,
                         rules: Sequence[Mapping[str, Any]] | None = None
                         ) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Where an area's grade would be another had its missing figures been known.

    Rules are tried in order and a condition on a missing figure never holds
    (:func:`apply_rules`); read as true, false or unknown, a rule whose conditions leave it
    unknown, met before the rule that gives the grade, could have given another grade (a
    village whose form has no usable process step may be group C; one whose master plan,
    process step and forums are all unusable fell through to B on "no data" alone).

    Returns
    -------
    undecided : numpy.ndarray of bool
        One per area.
    missing : list of tuple of str
        Per area, the missing indicators of those unknown rules, in rule order.
    """
    rules = gr.rules if rules is None else rules
    n = len(ind)
    decided = np.zeros(n, dtype=bool)
    undecided = np.zeros(n, dtype=bool)
    missing: list[list[str]] = [[] for _ in range(n)]
    for rule in rules:
        if rule.get("otherwise"):
            break
        mode = "any" if "any" in rule else "all"
        held, unknown = [], []
        for cond in rule[mode]:
            x = (ind[cond["indicator"]].to_numpy(dtype=float) if cond["indicator"] in ind
                 else np.full(n, np.nan))
            held.append(condition_holds(x, cond["op"], float(cond["value"])))
            unknown.append(np.isnan(x))
        h, u = np.array(held), np.array(unknown)
        if mode == "any":
            true, false = h.any(axis=0), ~h.any(axis=0) & ~u.any(axis=0)
        else:
            true, false = h.all(axis=0), (~h & ~u).any(axis=0)
        open_ = ~decided & ~undecided
        unsure = open_ & ~true & ~false
        for i in np.flatnonzero(unsure):
            missing[i] += [c["indicator"] for c, un in zip(rule[mode], u[:, i], strict=True)
                           if un and c["indicator"] not in missing[i]]
        undecided |= unsure
        decided |= open_ & true
    return undecided, [tuple(m) for m in missing]


def apply_rules(ind: pd.DataFrame, gr: GradeRules,
                rules: Sequence[Mapping[str, Any]] | None = None,
                level: str = "village") -> pd.DataFrame:
    """Apply ordered rules (by default the readiness grades) to area indicators.

    Parameters
    ----------
    ind : pandas.DataFrame
        One row per area with the indicator columns the rules name.
    gr : GradeRules
        The rules (:func:`load_grade_rules`).
    rules : sequence of mapping, optional
        Another ordered rule list of ``gr`` (e.g. ``gr.need_rules``); default ``gr.rules``.
    level : {"village", "tambon"}
        Which reason texts to use (``reason_tambon`` where given for tambons).

    Returns
    -------
    pandas.DataFrame
        Same index: ``grade``, ``reason_th``, ``reason_en`` (the conditions that decided it,
        joined by "; "; for the fall-through grade, the conditions that failed) and
        ``missing_indicators``.
    """
    # the readiness grades have an order (weakest first): a fall-through grade's reason names
    # what keeps it from a better grade, not the conditions of a worse grade it escaped (those
    # are strengths, and read as reasons for the grade beside them)
    rank = {g: k for k, g in enumerate(gr.grade_order)} if rules is None else {}
    rules = gr.rules if rules is None else rules
    sfx = "_tambon" if level == "tambon" else ""
    n = len(ind)
    grade = np.full(n, None, dtype=object)
    reason = {"th": np.full(n, "", dtype=object), "en": np.full(n, "", dtype=object)}
    # per area, the failed conditions' texts by indicator: a later rule's text replaces an
    # earlier one's for the same indicator, so a fall-through grade names each indicator once
    failed: dict[str, list[dict[str, tuple[str, str]]]] = {"th": [{} for _ in range(n)],
                                                           "en": [{} for _ in range(n)]}
    missing_used: list[set[str]] = [set() for _ in range(n)]
    # a tambon's villages left out of a form figure it averages or pools
    # (organisation_strength)
    blank = {c.removesuffix("_unanswered"): ind[c].fillna(0).to_numpy()
             for c in ind.columns if level == "tambon" and str(c).endswith("_unanswered")}
    for rule in rules:
        todo = np.array([g is None for g in grade])
        if not todo.any():
            break
        if rule.get("otherwise"):
            g = rule["grade"]
            for i in np.flatnonzero(todo):
                grade[i] = g
                for lang in LANGS:
                    kept = list(failed[lang][i].values())
                    better = [x for r, x in kept if rank.get(r, -1) > rank.get(g, len(rank))]
                    reason[lang][i] = "; ".join(better or [x for _, x in kept])
            continue
        mode = "any" if "any" in rule else "all"
        held = []
        for cond in rule[mode]:
            name = cond["indicator"]
            x = ind[name].to_numpy(dtype=float) if name in ind else np.full(n, np.nan)
            held.append((cond, x, condition_holds(x, cond["op"], float(cond["value"]))))
        hit = (np.logical_or.reduce([h[2] for h in held]) if mode == "any"
               else np.logical_and.reduce([h[2] for h in held]))
        for i in np.flatnonzero(todo):
            for cond, x, ok in held:
                name = cond["indicator"]
                if np.isnan(x[i]):
                    missing_used[i].add(name)
                    texts = {lang: gr.missing_reason[lang].format(
                        indicator=indicator_label(name, lang)) for lang in LANGS}
                else:
                    key = "reason" if ok[i] else "reason_not"
                    # a "_none" text where the value is zero ("no village has a plan yet",
                    # not "only 0% of villages have a plan"); a tambon's villages without the
                    # figure are said to be left out ("no village held a forum" is of the rest)
                    left_out = int(blank[name][i]) if name in blank else 0
                    tmpl = (cond.get(key + sfx + "_none") if x[i] == 0 else None) \
                        or cond.get(key + sfx) or cond[key]
                    texts = {lang: _fmt(tmpl[lang], float(x[i]), float(cond["value"]), name)
                             + (gr.partial_reason[lang].format(n=left_out)
                                if left_out and gr.partial_reason else "")
                             for lang in LANGS}
                if hit[i] and (ok[i] or mode == "all"):
                    for lang in LANGS:
                        reason[lang][i] = (reason[lang][i] + "; " if reason[lang][i] else "") \
                            + texts[lang]
                elif not hit[i] and (mode == "any" or not ok[i]):
                    for lang in LANGS:
                        failed[lang][i].pop(name, None)
                        failed[lang][i][name] = (rule["grade"], texts[lang])
            if hit[i]:
                grade[i] = rule["grade"]
    return pd.DataFrame({"grade": grade, "reason_th": reason["th"], "reason_en": reason["en"],
                         "missing_indicators": [", ".join(sorted(m)) for m in missing_used]},
                        index=ind.index)


def need_classes(ind: pd.DataFrame, gr: GradeRules, level: str = "village") -> pd.DataFrame:
    """Classify areas by need (``need`` rules of ``params/grades.yaml``).

    Returns
    -------
    pandas.DataFrame
        Same index: ``need`` (class id), ``need_label_th``, ``need_label_en``,
        ``need_reason_th``, ``need_reason_en``.
    """
    res = apply_rules(ind, gr, gr.need_rules, level)
    labels = gr.need_labels or {}
    return pd.DataFrame({
        "need": res["grade"],
        "need_label_th": res["grade"].map(lambda c: labels[c]["th"]),
        "need_label_en": res["grade"].map(lambda c: labels[c]["en"]),
        "need_reason_th": res["reason_th"], "need_reason_en": res["reason_en"],
    }, index=ind.index)


def priority_bands(ind: pd.DataFrame, grade: pd.Series, need: pd.Series,
                   gr: GradeRules) -> pd.DataFrame:
    """Priority for support as a rule of need and readiness.

    Band 1 is the first need class with the first grade of ``priority.grade_order`` (by
    default high need and group C), and so on through every need x grade cell. Within a band,
    areas are listed by ``priority.sort_by``; that listing order (``priority_rank``) is kept for
    sorting only, since most neighbouring areas differ by less than their intervals.

    Returns
    -------
    pandas.DataFrame
        Same index: ``priority_band`` (1 = first), ``priority_cell`` (``"<need>_<grade>"``),
        ``priority_rank`` (listing order, 1 = first).
    """
    band_of = {cell: i + 1 for i, cell in enumerate(gr.bands)}
    band = pd.Series([band_of.get((n, g), np.nan) for n, g in zip(need, grade, strict=True)],
                     index=ind.index, dtype="float64")
    keys = pd.DataFrame({"_b": band}, index=ind.index)
    cols, asc = ["_b"], [True]
    for s in gr.sort_by:
        keys[s["indicator"]] = ind[s["indicator"]] if s["indicator"] in ind else np.nan
        cols.append(s["indicator"])
        asc.append(not s.get("descending", False))
    ranked = keys.sort_values(cols, ascending=asc, na_position="last", kind="mergesort")
    rank = pd.Series(np.arange(1, len(ranked) + 1), index=ranked.index).reindex(ind.index)
    return pd.DataFrame({"priority_band": band.astype("Int64"),
                         "priority_cell": [f"{n}_{g}" for n, g in zip(need, grade, strict=True)],
                         "priority_rank": rank.astype("int64")}, index=ind.index)


def priority_rank(ind: pd.DataFrame, grade: pd.Series, gr: GradeRules,
                  need: pd.Series | None = None) -> pd.Series:
    """Return listing order for support (1 = first): priority band, then ``priority.sort_by``.

    Parameters
    ----------
    ind : pandas.DataFrame
        Area indicators.
    grade : pandas.Series
        Readiness grades.
    gr : GradeRules
        Rules.
    need : pandas.Series, optional
        Need classes (computed from ``ind`` when not given).

    Returns
    -------
    pandas.Series
        ``priority_rank`` on the index of ``ind``.
    """
    if need is None:
        need = need_classes(ind, gr)["need"]
    return priority_bands(ind, grade, need, gr)["priority_rank"].rename("priority_rank")
