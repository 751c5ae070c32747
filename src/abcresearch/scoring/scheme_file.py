"""Reading a scoring scheme file (``params/scoring*.yaml``): find it, check it, load it.

:func:`load_scheme` reads a file once per version of it (through :func:`abcresearch.params.load`)
and returns the frozen :class:`~abcresearch.scoring.scheme.Scheme`.

:func:`parse_scheme` checks the whole file and raises one
:class:`~abcresearch.errors.ParamsError` that names every problem found (unknown items, choices
that are not in the item's list, weights that do not add up to 1, overlapping or gapped level
bands, unknown rule kinds, ...). What each rule kind accepts is a registry
(:data:`RULE_OPTION_CHECKS`), so adding a kind means adding one checker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch.errors import ParamsError
from abcresearch.params import load, read_yaml, unknown_keys
from abcresearch.paths import params_dir
from abcresearch.scoring.scheme import RULE_KINDS, RULE_OPTIONS, Capital, ItemRule, Scheme
from abcresearch.survey import instrument

__all__ = ["RULE_OPTION_CHECKS", "available_schemes", "load_scheme", "parse_scheme",
           "resolve_scheme"]

_WEIGHT_TOL = 1e-6
_LANGS = ("th", "en")
#: Top-level keys of a scheme file (``source``, ``verified``, ``description`` and ``notes`` are
#: for its readers); any other key is reported (a misspelt ``levels`` was reported only as
#: missing bands, with eight follow-on problems).
SCHEME_KEYS = ("scheme_id", "scheme_version", "title", "source", "verified", "description",
               "notes", "missing", "levels", "overall_level", "tracks", "alkire_foster",
               "capitals")


def _label_pair(obj: Any, where: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(obj, Mapping):
        problems.append(f"{where}: expected labels {{th: ..., en: ...}}, found {obj!r}")
        return {"th": "", "en": ""}
    out = {}
    for lang in _LANGS:
        v = obj.get(lang)
        if not v:
            problems.append(f"{where}: missing the {lang} label")
        out[lang] = str(v or "")
    return out


def _number(v: Any, where: str, problems: list[str]) -> float | None:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        problems.append(f"{where}: expected a number, found {v!r}")
        return None
    return float(v)


def _check_bands(bands: Any, where: str,
                 problems: list[str]) -> tuple[tuple[int, float, float], ...]:
    if not isinstance(bands, list) or not bands:
        problems.append(f"{where}: expected a list of [level, from, to] bands, found {bands!r}")
        return ()
    out: list[tuple[int, float, float]] = []
    for b in bands:
        if (not isinstance(b, list) or len(b) != 3 or isinstance(b[0], bool)
                or not isinstance(b[0], int)
                or any(isinstance(x, bool) or not isinstance(x, int | float) for x in b[1:])):
            problems.append(f"{where}: band {b!r} is not [level, from, to]")
            return ()
        out.append((int(b[0]), float(b[1]), float(b[2])))
    before = len(problems)
    for lev, lo, hi in out:
        if lo >= hi:
            problems.append(f"{where}: level {lev} band [{lo:g}, {hi:g}) is empty or reversed")
    srt = sorted(out, key=lambda b: b[1])
    if [b[0] for b in srt] != sorted(b[0] for b in out):
        problems.append(f"{where}: levels must rise with the score; found order "
                        f"{[b[0] for b in srt]}")
    if len({b[0] for b in out}) != len(out):
        problems.append(f"{where}: a level appears in more than one band")
    if srt[0][1] != 0 or srt[-1][2] != 100:
        problems.append(f"{where}: bands must cover 0 to 100, found {srt[0][1]:g} to "
                        f"{srt[-1][2]:g}")
    for (l1, _, h1), (l2, lo2, _) in zip(srt, srt[1:], strict=False):
        if lo2 < h1:
            problems.append(f"{where}: bands of levels {l1} and {l2} overlap "
                            f"({l1} ends at {h1:g}, {l2} starts at {lo2:g})")
        elif lo2 > h1:
            problems.append(f"{where}: gap between levels {l1} and {l2} ({h1:g} to {lo2:g})")
    del before
    return tuple(srt)


@dataclass(frozen=True)
class _RuleContext:
    """What a rule-kind checker needs to know about the item it checks."""

    where: str
    item: str
    list_name: str | None
    choice_names: list[str]
    questions: frozenset[str]
    problems: list[str]


def _choice_key(k: Any) -> str:
    return "yes" if k is True else "no" if k is False else str(k)  # YAML 1.1 reads yes as true


def _check_yes_no(spec: Mapping[str, Any], c: _RuleContext) -> tuple[dict[str, Any], bool]:
    kind = "yes" if spec.get("rule") in ("yes", True) else "no"
    if c.list_name and not {"yes", "no"} <= set(c.choice_names):
        c.problems.append(f"{c.where}: rule {kind!r} needs a yes/no question; {c.item!r} uses "
                          f"list {c.list_name!r}")
        return {}, False
    return {}, True


def _check_map(spec: Mapping[str, Any], c: _RuleContext) -> tuple[dict[str, Any], bool]:
    m = spec.get("map")
    if not isinstance(m, Mapping) or not m:
        c.problems.append(f"{c.where}: rule 'map' needs a map of choice -> score")
        return {}, False
    ok = True
    mm: dict[str, float] = {}
    for k, v in m.items():
        key = _choice_key(k)
        if key not in c.choice_names:
            c.problems.append(f"{c.where}: map has choice {key!r} which is not in list "
                              f"{c.list_name!r} ({c.choice_names})")
            ok = False
        sv = _number(v, f"{c.where}.map.{key}", c.problems)
        if sv is None or not 0 <= sv <= 1:
            if sv is not None:
                c.problems.append(f"{c.where}: score {sv:g} for {key!r} is outside [0, 1]")
            ok = False
        else:
            mm[key] = sv
    given = {_choice_key(k) for k in m}
    missing = [ch for ch in c.choice_names if ch not in mm and ch not in given]
    if missing:
        c.problems.append(f"{c.where}: map does not score choices {missing} of list "
                          f"{c.list_name!r}")
        ok = False
    return {"map": mm}, ok


def _check_linear(spec: Mapping[str, Any], c: _RuleContext) -> tuple[dict[str, Any], bool]:
    ok = True
    lo = _number(spec.get("lo"), f"{c.where}.lo", c.problems)
    hi = _number(spec.get("hi"), f"{c.where}.hi", c.problems)
    if lo is None or hi is None:
        ok = False
    elif hi <= lo:
        c.problems.append(f"{c.where}: hi ({hi:g}) must be above lo ({lo:g})")
        ok = False
    elif spec.get("rule") == "log_linear" and lo < 0:
        c.problems.append(f"{c.where}: log_linear needs lo >= 0, found {lo:g}")
        ok = False
    opts: dict[str, Any] = {"lo": lo, "hi": hi, "reverse": bool(spec.get("reverse", False))}
    for key in ("per", "divide_by"):
        col = spec.get(key)
        if col is None:
            continue
        if not isinstance(col, str) or col not in c.questions:
            c.problems.append(f"{c.where}: {key} {col!r} is not a household question")
            ok = False
        opts[key] = col
    return opts, ok


def _check_choices(spec: Mapping[str, Any], c: _RuleContext) -> tuple[dict[str, Any], bool]:
    kind = spec.get("rule")
    ok = True
    chs = spec.get("choices")
    if chs is not None:
        if not isinstance(chs, list) or not chs:
            c.problems.append(f"{c.where}: choices must be a non-empty list")
            ok = False
            chs = None
        else:
            bad = [ch for ch in chs if str(ch) not in c.choice_names]
            if bad:
                c.problems.append(f"{c.where}: choices {bad} are not in list {c.list_name!r} "
                                  f"({c.choice_names})")
                ok = False
            chs = [str(ch) for ch in chs]
    if chs is None:
        if kind == "selected_any":
            c.problems.append(f"{c.where}: rule 'selected_any' needs choices")
            ok = False
        chs = [ch for ch in c.choice_names if ch != "none"]
    opts: dict[str, Any] = {"choices": chs}
    if kind == "count_selected":
        cap = _number(spec.get("cap", len(chs)), f"{c.where}.cap", c.problems)
        if cap is None or cap <= 0:
            if cap is not None:
                c.problems.append(f"{c.where}: cap must be > 0")
            ok = False
        opts["cap"] = cap
        opts["reverse"] = bool(spec.get("reverse", False))
    return opts, ok


#: Rule kind -> checker of its options: ``checker(spec, context) -> (options, ok)``.
RULE_OPTION_CHECKS: dict[str, Callable[[Mapping[str, Any], _RuleContext],
                                       tuple[dict[str, Any], bool]]] = {
    "yes": _check_yes_no,
    "no": _check_yes_no,
    "map": _check_map,
    "linear": _check_linear,
    "log_linear": _check_linear,
    "count_selected": _check_choices,
    "selected_any": _check_choices,
    "not_selected": _check_choices,
}



def _parse_rule(spec: Any, cap_id: str, pos: int, cb: pd.DataFrame,
                lists: Mapping[str, pd.DataFrame], problems: list[str],
                equal: bool) -> ItemRule | None:
    where = f"capitals.{cap_id}.items[{pos}]"
    if not isinstance(spec, Mapping):
        problems.append(f"{where}: expected a mapping with item, rule, ... found {spec!r}")
        return None
    item = spec.get("item")
    kind = spec.get("rule")
    if kind is True:  # YAML 1.1 reads an unquoted yes as true
        kind = "yes"
    elif kind is False:
        kind = "no"
    where = f"capitals.{cap_id}.{item}"
    ok = True
    if not isinstance(item, str):
        problems.append(f"{where}: missing item name")
        return None
    row = cb[cb["name"] == item]
    if row.empty:
        problems.append(f"{where}: unknown item {item!r}: not a household question of the "
                        "instrument")
        return None
    r = row.iloc[0]
    if r["personal"] == "sensitive" or item == "cul_religion":
        problems.append(f"{where}: item {item!r} is sensitive personal data and may never be "
                        "scored")
        ok = False
    if pd.isna(r["capital"]) or not r["capital"]:
        problems.append(f"{where}: item {item!r} carries no capital in the instrument and "
                        "cannot be scored")
        ok = False
    if kind not in RULE_KINDS:
        problems.append(f"{where}: unknown rule kind {kind!r}; expected one of "
                        f"{sorted(RULE_KINDS)}")
        return None
    qtype = r["type"]
    if qtype not in RULE_KINDS[kind]:
        problems.append(f"{where}: rule {kind!r} needs a {' or '.join(RULE_KINDS[kind])} "
                        f"question, but {item!r} is {qtype}")
        ok = False
    allowed = RULE_OPTIONS[kind] | {"item", "rule", "weight", "if_not_relevant"}
    extra = sorted(set(spec) - allowed)
    if extra:
        problems.append(f"{where}: options {extra} are not used by rule {kind!r} "
                        f"(allowed: {sorted(RULE_OPTIONS[kind])})")
        ok = False
    weight = spec.get("weight")
    if equal:
        if weight is not None:
            problems.append(f"{where}: capital uses weights: equal, so items take no weight")
            ok = False
        w = math.nan
    else:
        if weight is None:
            problems.append(f"{where}: missing weight")
            w = math.nan
            ok = False
        else:
            wv = _number(weight, f"{where}.weight", problems)
            if wv is None or wv <= 0:
                if wv is not None:
                    problems.append(f"{where}: weight must be > 0, found {wv:g}")
                ok = False
                w = math.nan
            else:
                w = wv
    list_name = r["list_name"] if isinstance(r["list_name"], str) else None
    choice_names = list(lists[list_name]["name"]) if list_name else []
    ctx = _RuleContext(where=where, item=item, list_name=list_name, choice_names=choice_names,
                       questions=frozenset(cb["name"]), problems=problems)
    opts, opts_ok = RULE_OPTION_CHECKS[kind](spec, ctx)
    ok = ok and opts_ok
    inr = spec.get("if_not_relevant")
    rel_q = r["relevant_question"] if isinstance(r["relevant_question"], str) else None
    rel_v = r["relevant_value"] if isinstance(r["relevant_value"], str) else None
    if inr is not None:
        iv = _number(inr, f"{where}.if_not_relevant", problems)
        if iv is None or not 0 <= iv <= 1:
            if iv is not None:
                problems.append(f"{where}: if_not_relevant must be in [0, 1]")
            ok = False
        inr = iv
        if rel_q is None:
            problems.append(f"{where}: if_not_relevant given, but {item!r} has no skip logic")
            ok = False
    elif rel_q is not None:
        problems.append(f"{where}: {item!r} is only asked when {rel_q} = '{rel_v}'; give "
                        "if_not_relevant (the item score when it was not asked)")
        ok = False
    if not ok:
        return None
    return ItemRule(item=item, capital=cap_id, kind=kind, weight=w, options=opts,
                    if_not_relevant=inr, relevant_question=rel_q, relevant_value=rel_v,
                    list_name=list_name)


def _check_overall(spec: Any, cap_ids: list[str], levels: list[int],
                   problems: list[str]) -> dict[str, Any]:
    where = "overall_level"
    if not isinstance(spec, Mapping):
        problems.append(f"{where}: missing (min_capitals_scored and rules)")
        return {}
    mcs = spec.get("min_capitals_scored", len(cap_ids))
    if isinstance(mcs, bool) or not isinstance(mcs, int) or not 1 <= mcs <= len(cap_ids):
        problems.append(f"{where}.min_capitals_scored must be an integer 1..{len(cap_ids)}, "
                        f"found {mcs!r}")
    rules = spec.get("rules")
    if not isinstance(rules, list) or not rules:
        problems.append(f"{where}.rules: expected an ordered list of rules")
        return {}
    seen_otherwise = False
    for i, rule in enumerate(rules):
        w = f"{where}.rules[{i}]"
        if not isinstance(rule, Mapping) or rule.get("level") not in levels:
            problems.append(f"{w}: needs a level among {levels}")
            continue
        if rule.get("otherwise"):
            if i != len(rules) - 1:
                problems.append(f"{w}: 'otherwise' must be the last rule")
            seen_otherwise = True
            continue
        modes = [m for m in ("any", "all") if m in rule]
        if len(modes) != 1 or not isinstance(rule[modes[0]], list):
            problems.append(f"{w}: give exactly one of any: [...] or all: [...]")
            continue
        for j, cond in enumerate(rule[modes[0]]):
            cw = f"{w}.{modes[0]}[{j}]"
            if not isinstance(cond, Mapping):
                problems.append(f"{cw}: expected a condition mapping")
            elif "count_at_level" in cond:
                if cond["count_at_level"] not in levels:
                    problems.append(f"{cw}: count_at_level {cond['count_at_level']!r} is not a "
                                    f"level {levels}")
                if ("at_least" in cond) == ("at_most" in cond):
                    problems.append(f"{cw}: give exactly one of at_least or at_most")
            elif "any_of" in cond:
                bad = [c for c in cond.get("any_of") or [] if c not in cap_ids]
                if bad or not cond.get("any_of"):
                    problems.append(f"{cw}: any_of names unknown capitals {bad} "
                                    f"(capitals: {cap_ids})")
                if cond.get("at_level") not in levels:
                    problems.append(f"{cw}: at_level must be a level {levels}")
            else:
                problems.append(f"{cw}: unknown condition {dict(cond)!r}; use count_at_level "
                                "or any_of")
    if not seen_otherwise:
        problems.append(f"{where}.rules: the last rule must be 'otherwise: true' so every "
                        "household gets a level")
    return {"min_capitals_scored": mcs, "rules": rules}


def _check_tracks(spec: Any, levels: list[int], problems: list[str]) -> tuple[dict[str, Any], ...]:
    if not isinstance(spec, list) or not spec:
        problems.append("tracks: expected a list of tracks")
        return ()
    out = []
    covered: set[int] = set()
    for i, t in enumerate(spec):
        w = f"tracks[{i}]"
        if not isinstance(t, Mapping) or not isinstance(t.get("id"), str):
            problems.append(f"{w}: needs an id")
            continue
        lv = (t.get("when") or {}).get("overall_level")
        if not isinstance(lv, list) or not lv or any(x not in levels for x in lv):
            problems.append(f"{w} ({t['id']}): when.overall_level must list levels {levels}")
            lv = []
        covered |= set(lv)
        out.append({"id": t["id"], "overall_levels": tuple(lv),
                    "label": _label_pair(t.get("label"), f"{w}.label", problems)})
    if set(levels) - covered:
        problems.append(f"tracks: overall levels {sorted(set(levels) - covered)} lead to no track")
    ids = [t["id"] for t in out]
    if len(set(ids)) != len(ids):
        problems.append("tracks: track ids must be unique")
    return tuple(out)


def parse_scheme(raw: Mapping[str, Any], path: Path | None = None,
                 instrument_dir: Path | None = None) -> Scheme:
    """Validate a parsed scheme mapping and build a :class:`Scheme`.

    Parameters
    ----------
    raw : Mapping
        The YAML content.
    path : Path, optional
        Where it came from (used in messages).
    instrument_dir : Path, optional
        Folder of the XLSForms to check items against.

    Returns
    -------
    Scheme

    Raises
    ------
    ParamsError
        Naming every problem found, one per line.
    """
    problems: list[str] = []
    name = path.name if path else "scheme"
    if not isinstance(raw, Mapping):
        raise ParamsError(f"{name}: expected a YAML mapping at the top level")
    problems.extend(unknown_keys(raw, SCHEME_KEYS))
    for key in ("scheme_id", "scheme_version"):
        if not raw.get(key):
            problems.append(f"{key}: missing")
    title = _label_pair(raw.get("title"), "title", problems)
    cb = instrument.codebook("households", instrument_dir)
    form = instrument.load_form("household", instrument_dir)
    lists = form.choices

    missing = raw.get("missing") or {}
    msi = missing.get("min_share_items", 2 / 3) if isinstance(missing, Mapping) else None
    if isinstance(msi, bool) or not isinstance(msi, int | float) or not 0 < msi <= 1:
        problems.append(f"missing.min_share_items must be in (0, 1], found {msi!r}")
        msi = 2 / 3

    lv = raw.get("levels") or {}
    default_bands = _check_bands(lv.get("bands"), "levels.bands", problems)
    level_labels: dict[int, dict[str, str]] = {}
    labels_raw = lv.get("labels") or {}
    level_ids = sorted({b[0] for b in default_bands})
    for lev in level_ids:
        level_labels[lev] = _label_pair(labels_raw.get(lev), f"levels.labels.{lev}", problems)
    extra_labels = sorted(set(labels_raw) - set(level_ids))
    if extra_labels:
        problems.append(f"levels.labels: labels for unknown levels {extra_labels}")

    caps_raw = raw.get("capitals")
    if not isinstance(caps_raw, Mapping) or not caps_raw:
        problems.append("capitals: expected a mapping of capital id -> definition")
        caps_raw = {}
    af = raw.get("alkire_foster") or {}
    af_w = af.get("weights", "equal")
    af_k = af.get("k", 1 / 3)
    if isinstance(af_k, bool) or not isinstance(af_k, int | float) or not 0 < af_k <= 1:
        problems.append(f"alkire_foster.k must be a share in (0, 1] (mpitbR's 33 percent is "
                        f"0.33), found {af_k!r}")
        af_k = 1 / 3
    if af_w != "equal" and not isinstance(af_w, Mapping):
        problems.append("alkire_foster.weights must be 'equal' or a mapping capital -> weight")
        af_w = "equal"
    if isinstance(af_w, Mapping):
        bad = sorted(set(af_w) ^ set(caps_raw))
        if bad:
            problems.append(f"alkire_foster.weights: capitals {bad} do not match the scheme's "
                            "capitals")
        tot = sum(float(v) for v in af_w.values() if isinstance(v, int | float))
        if abs(tot - 1) > _WEIGHT_TOL:
            problems.append(f"alkire_foster.weights add up to {tot:g}, not 1")

    capitals: list[Capital] = []
    used: dict[str, str] = {}
    for cid, cdef in caps_raw.items():
        w = f"capitals.{cid}"
        if not isinstance(cdef, Mapping):
            problems.append(f"{w}: expected a mapping")
            continue
        label = _label_pair(cdef.get("label"), f"{w}.label", problems)
        equal = cdef.get("weights") == "equal"
        if "weights" in cdef and not equal:
            problems.append(f"{w}.weights: only 'equal' is allowed here (or give item weights)")
        items_raw = cdef.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            problems.append(f"{w}.items: expected a non-empty list")
            continue
        rules = []
        for pos, spec in enumerate(items_raw):
            rule = _parse_rule(spec, cid, pos, cb, lists, problems, equal)
            if rule is None:
                continue
            if rule.item in used:
                problems.append(f"{w}.{rule.item}: item is already scored in capital "
                                f"{used[rule.item]!r}")
                continue
            used[rule.item] = cid
            rules.append(rule)
        if equal and rules:
            rules = [ItemRule(**{**r.__dict__, "weight": 1 / len(rules)}) for r in rules]
        elif rules and len(rules) == len(items_raw):
            tot = sum(r.weight for r in rules)
            if abs(tot - 1) > _WEIGHT_TOL:
                problems.append(f"{w}: item weights add up to {tot:.6g}, not 1 "
                                f"({', '.join(f'{r.item}={r.weight:g}' for r in rules)})")
        bands = (_check_bands(cdef["levels"], f"{w}.levels", problems)
                 if "levels" in cdef else default_bands)
        if bands and {b[0] for b in bands} != set(level_ids):
            problems.append(f"{w}.levels: levels {[b[0] for b in bands]} differ from the "
                            f"scheme's levels {level_ids}")
        cut = _number(cdef.get("deprivation_cutoff"), f"{w}.deprivation_cutoff", problems)
        if cut is not None and not 0 < cut <= 100:
            problems.append(f"{w}.deprivation_cutoff must be in (0, 100], found {cut:g}")
        if isinstance(af_w, Mapping):
            v = af_w.get(cid)
            aw = float(v) if isinstance(v, int | float) else math.nan
        else:
            aw = 1 / len(caps_raw)
        capitals.append(Capital(id=str(cid), label_th=label["th"], label_en=label["en"],
                                items=tuple(rules), bands=bands,
                                deprivation_cutoff=cut if cut is not None else math.nan,
                                af_weight=aw))

    cap_ids = [str(c) for c in caps_raw]
    overall = _check_overall(raw.get("overall_level"), cap_ids, level_ids, problems)
    tracks = _check_tracks(raw.get("tracks"), level_ids, problems)
    if problems:
        raise ParamsError(f"{name}: {len(problems)} problem(s) in scoring scheme:\n  - "
                          + "\n  - ".join(problems))
    return Scheme(scheme_id=str(raw["scheme_id"]), scheme_version=str(raw["scheme_version"]),
                  title=title, path=path, capitals=tuple(capitals),
                  level_labels=level_labels, min_share_items=float(msi), overall=overall,
                  tracks=tracks, af_k=float(af_k), raw=dict(raw))




def parse_scheme_file(raw: Mapping[str, Any], path: Path) -> Scheme:
    """Parse a scheme file checked against the project's instrument (for :func:`params.load`).

    Parameters
    ----------
    raw : Mapping
        The file's top-level mapping.
    path : Path
        The file.

    Returns
    -------
    Scheme
    """
    return parse_scheme(raw, path)


# ---------------------------------------------------------------------------------- loading
def available_schemes(directory: Path | None = None) -> list[str]:
    """Return the scheme files (``scoring*.yaml``) in ``params/`` by stem."""
    d = Path(directory) if directory else params_dir()
    return sorted(p.stem for p in d.glob("scoring*.yaml"))


def resolve_scheme(scheme: str | Path | None) -> Path:
    """Return the file of a scheme given by name, path or None (the default scheme).

    Parameters
    ----------
    scheme : str, Path or None
        ``None`` for ``params/scoring.yaml``; a path; or a name such as ``"scoring_slf5"`` or
        ``"slf5"`` looked up in ``params/``.

    Returns
    -------
    Path

    Raises
    ------
    ParamsError
        If no such scheme exists (the message lists the available ones).
    """
    if scheme is None:
        return params_dir() / "scoring.yaml"
    p = Path(scheme)
    if p.suffix in (".yaml", ".yml") or p.exists():
        return p
    cand = params_dir() / f"{scheme}.yaml"
    if cand.exists():
        return cand
    cand = params_dir() / f"scoring_{scheme}.yaml"
    if cand.exists():
        return cand
    raise ParamsError(f"scoring scheme {scheme!r} not found; available in {params_dir()}: "
                      f"{available_schemes()}")


def load_scheme(scheme: str | Path | Scheme | None = None,
                instrument_dir: Path | None = None) -> Scheme:
    """Load and validate a scoring scheme.

    Parameters
    ----------
    scheme : str, Path, Scheme or None
        ``None`` for ``params/scoring.yaml``; a path; or a name such as ``"scoring_slf5"`` or
        ``"slf5"`` looked up in ``params/``. A :class:`Scheme` is returned as is.
    instrument_dir : Path, optional
        Folder of the XLSForms the items are checked against.

    Returns
    -------
    Scheme

    Raises
    ------
    ParamsError
        When the file is missing or invalid; the message names every problem.

    Examples
    --------
    >>> s = load_scheme()
    >>> s.capital_ids[:3]
    ('human', 'physical', 'financial')
    """
    if isinstance(scheme, Scheme):
        return scheme
    path = resolve_scheme(scheme)
    if not path.exists():
        raise ParamsError(f"scoring scheme file {path} does not exist")
    if instrument_dir is not None:  # checked against another instrument: not shared
        return parse_scheme(read_yaml(path), path, instrument_dir)
    return load(path, parse_scheme_file)
