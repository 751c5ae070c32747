"""Scoring schemes as data: load ``params/scoring*.yaml`` and check it against the instrument.

A scheme says, for each capital, which household items it uses, how each answer becomes an item
score in [0, 1] (the *rule*), the item weights, the capital's level bands and its deprivation
cut-off for the Alkire-Foster measure; and how the overall level and the development track follow
from the capital levels. Loading validates the whole file and raises one
:class:`~abcresearch.errors.ParamsError` that names every problem found (unknown items, choices
that are not in the item's list, weights that do not add up to 1, overlapping or gapped level
bands, unknown rule kinds, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from abcresearch.errors import ParamsError
from abcresearch.paths import params_dir
from abcresearch.survey import instrument

__all__ = [
    "RULE_KINDS",
    "Capital",
    "ItemRule",
    "Scheme",
    "available_schemes",
    "load_scheme",
]

#: Rule kinds and the item types they accept.
RULE_KINDS: dict[str, tuple[str, ...]] = {
    "yes": ("select_one",),
    "no": ("select_one",),
    "map": ("select_one",),
    "linear": ("integer", "decimal"),
    "log_linear": ("integer", "decimal"),
    "count_selected": ("select_multiple",),
    "selected_any": ("select_multiple",),
    "not_selected": ("select_multiple",),
}

#: Options each rule kind accepts besides item, weight, rule and if_not_relevant.
_RULE_OPTIONS: dict[str, set[str]] = {
    "yes": set(),
    "no": set(),
    "map": {"map"},
    "linear": {"lo", "hi", "per", "divide_by", "reverse"},
    "log_linear": {"lo", "hi", "per", "divide_by", "reverse"},
    "count_selected": {"cap", "choices", "reverse"},
    "selected_any": {"choices"},
    "not_selected": {"choices"},
}

_WEIGHT_TOL = 1e-6
_LANGS = ("th", "en")


@dataclass(frozen=True)
class ItemRule:
    """How one item's answer becomes an item score in [0, 1].

    Attributes
    ----------
    item : str
        Leaf name of the household question.
    capital : str
        Capital the item scores towards in this scheme.
    kind : str
        One of :data:`RULE_KINDS`.
    weight : float
        Weight of the item inside its capital (the capital's weights add up to 1).
    options : Mapping
        Rule options (``map``, ``lo``, ``hi``, ``per``, ``divide_by``, ``reverse``, ``cap``,
        ``choices``).
    if_not_relevant : float or None
        Item score used when the form's skip logic did not ask the item.
    relevant_question, relevant_value : str or None
        The skip-logic condition from the instrument (item asked iff question == value).
    list_name : str or None
        Choice list of select items.
    """

    item: str
    capital: str
    kind: str
    weight: float
    options: Mapping[str, Any] = field(default_factory=dict)
    if_not_relevant: float | None = None
    relevant_question: str | None = None
    relevant_value: str | None = None
    list_name: str | None = None

    def describe(self, lang: str = "en") -> str:
        """Return the rule in words (for codebooks and reports)."""
        o = self.options
        if self.kind in ("yes", "no"):
            return f"'{self.kind}' -> 1, otherwise 0"
        if self.kind == "map":
            return ", ".join(f"{k} -> {v:g}" for k, v in o["map"].items())
        if self.kind in ("linear", "log_linear"):
            x = self.item
            if o.get("per"):
                x = f"{x} / {o['per']}"
            if o.get("divide_by"):
                x = f"{x} / {o['divide_by']}"
            if self.kind == "log_linear":
                x = f"log(1 + {x})"
            text = f"{x} from {o['lo']:g} (0) to {o['hi']:g} (1), clipped"
            return text + (", reversed" if o.get("reverse") else "")
        if self.kind == "count_selected":
            what = ", ".join(o["choices"]) if o.get("choices") else "choices other than 'none'"
            text = f"number of {what} selected / {o['cap']:g}, at most 1"
            return text + (", reversed" if o.get("reverse") else "")
        if self.kind == "selected_any":
            return f"1 if any of {', '.join(o['choices'])} is selected"
        return f"1 if none of {', '.join(o['choices'])} is selected"


@dataclass(frozen=True)
class Capital:
    """One capital of a scheme.

    Attributes
    ----------
    id : str
        Stable English id (``human``, ``financial`` ...).
    label_th, label_en : str
        Labels.
    items : tuple of ItemRule
        The capital's items.
    bands : tuple of (level, lo, hi)
        Level bands on the 0-100 score; ``lo`` inclusive, ``hi`` exclusive except at 100.
    deprivation_cutoff : float
        A household is deprived in the capital when its score is below this value.
    af_weight : float
        Weight of the capital in the Alkire-Foster deprivation score.
    """

    id: str
    label_th: str
    label_en: str
    items: tuple[ItemRule, ...]
    bands: tuple[tuple[int, float, float], ...]
    deprivation_cutoff: float
    af_weight: float

    def label(self, lang: str = "th") -> str:
        """Return the capital's label in ``lang``."""
        return self.label_th if lang == "th" else self.label_en

    @property
    def item_names(self) -> tuple[str, ...]:
        """Names of the capital's items."""
        return tuple(r.item for r in self.items)


@dataclass(frozen=True)
class Scheme:
    """A validated scoring scheme (see ``params/scoring.yaml``).

    Attributes
    ----------
    scheme_id, scheme_version : str
        Identify the scheme in outputs and manifests.
    title : dict
        ``{"th": ..., "en": ...}``.
    path : Path or None
        File it was read from.
    capitals : tuple of Capital
        In file order.
    level_labels : dict
        ``{level: {"th": ..., "en": ...}}``.
    min_share_items : float
        Share of a capital's items that must be answered for the capital to be scored.
    overall : dict
        The overall-level rule (``min_capitals_scored``, ``rules``).
    tracks : tuple of dict
        Ordered track rules ``{"id", "overall_levels", "label": {"th", "en"}}``.
    af_k : float
        Alkire-Foster poverty cut-off k as a share in (0, 1].
    raw : dict
        The parsed YAML, for manifests.
    """

    scheme_id: str
    scheme_version: str
    title: Mapping[str, str]
    path: Path | None
    capitals: tuple[Capital, ...]
    level_labels: Mapping[int, Mapping[str, str]]
    min_share_items: float
    overall: Mapping[str, Any]
    tracks: tuple[Mapping[str, Any], ...]
    af_k: float
    raw: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def capital_ids(self) -> tuple[str, ...]:
        """Ids of the capitals, in scheme order."""
        return tuple(c.id for c in self.capitals)

    @property
    def levels(self) -> tuple[int, ...]:
        """The level numbers, lowest first."""
        return tuple(sorted(self.level_labels))

    def capital(self, cid: str) -> Capital:
        """Return the capital with id ``cid``."""
        for c in self.capitals:
            if c.id == cid:
                return c
        raise ParamsError(f"scheme {self.scheme_id!r} has no capital {cid!r}; "
                          f"capitals are {list(self.capital_ids)}")

    @property
    def items(self) -> tuple[ItemRule, ...]:
        """All item rules, capital by capital."""
        return tuple(r for c in self.capitals for r in c.items)

    @property
    def af_weights(self) -> dict[str, float]:
        """Alkire-Foster weight of each capital (they add up to 1)."""
        return {c.id: c.af_weight for c in self.capitals}

    @property
    def deprivation_cutoffs(self) -> dict[str, float]:
        """Deprivation cut-off (0-100 score) of each capital."""
        return {c.id: c.deprivation_cutoff for c in self.capitals}

    def track_label(self, track_id: str, lang: str = "th") -> str:
        """Return the label of a development track."""
        for t in self.tracks:
            if t["id"] == track_id:
                return str(t["label"][lang])
        raise ParamsError(f"scheme {self.scheme_id!r} has no track {track_id!r}")

    def level_label(self, level: int, lang: str = "th") -> str:
        """Return the label of a level."""
        if level not in self.level_labels:
            raise ParamsError(f"scheme {self.scheme_id!r} has no level {level!r}")
        return str(self.level_labels[level][lang])

    def rules_table(self, lang: str = "en") -> pd.DataFrame:
        """Return one row per item: capital, item, rule kind, weight and the rule in words."""
        return pd.DataFrame(
            [{"capital": r.capital, "item": r.item, "rule": r.kind, "weight": r.weight,
              "if_not_relevant": r.if_not_relevant, "description": r.describe(lang)}
             for r in self.items]
        )


# ---------------------------------------------------------------------------------- loading
def available_schemes(directory: Path | None = None) -> list[str]:
    """Return the scheme files (``scoring*.yaml``) in ``params/`` by stem."""
    d = Path(directory) if directory else params_dir()
    return sorted(p.stem for p in d.glob("scoring*.yaml"))


def _resolve(scheme: str | Path | None) -> Path:
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
    allowed = _RULE_OPTIONS[kind] | {"item", "rule", "weight", "if_not_relevant"}
    extra = sorted(set(spec) - allowed)
    if extra:
        problems.append(f"{where}: options {extra} are not used by rule {kind!r} "
                        f"(allowed: {sorted(_RULE_OPTIONS[kind])})")
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
    opts: dict[str, Any] = {}
    if kind in ("yes", "no"):
        if list_name and not {"yes", "no"} <= set(choice_names):
            problems.append(f"{where}: rule {kind!r} needs a yes/no question; {item!r} uses "
                            f"list {list_name!r}")
            ok = False
    elif kind == "map":
        m = spec.get("map")
        if not isinstance(m, Mapping) or not m:
            problems.append(f"{where}: rule 'map' needs a map of choice -> score")
            ok = False
        else:
            mm: dict[str, float] = {}
            for k, v in m.items():
                key = "yes" if k is True else "no" if k is False else str(k)
                if key not in choice_names:
                    problems.append(f"{where}: map has choice {key!r} which is not in list "
                                    f"{list_name!r} ({choice_names})")
                    ok = False
                sv = _number(v, f"{where}.map.{key}", problems)
                if sv is None or not 0 <= sv <= 1:
                    if sv is not None:
                        problems.append(f"{where}: score {sv:g} for {key!r} is outside [0, 1]")
                    ok = False
                else:
                    mm[key] = sv
            missing = [c for c in choice_names if c not in mm and c not in
                       {("yes" if k is True else "no" if k is False else str(k)) for k in m}]
            if missing:
                problems.append(f"{where}: map does not score choices {missing} of list "
                                f"{list_name!r}")
                ok = False
            opts["map"] = mm
    elif kind in ("linear", "log_linear"):
        lo = _number(spec.get("lo"), f"{where}.lo", problems)
        hi = _number(spec.get("hi"), f"{where}.hi", problems)
        if lo is None or hi is None:
            ok = False
        elif hi <= lo:
            problems.append(f"{where}: hi ({hi:g}) must be above lo ({lo:g})")
            ok = False
        elif kind == "log_linear" and lo < 0:
            problems.append(f"{where}: log_linear needs lo >= 0, found {lo:g}")
            ok = False
        opts.update(lo=lo, hi=hi, reverse=bool(spec.get("reverse", False)))
        for key in ("per", "divide_by"):
            col = spec.get(key)
            if col is None:
                continue
            if not isinstance(col, str) or col not in set(cb["name"]):
                problems.append(f"{where}: {key} {col!r} is not a household question")
                ok = False
            opts[key] = col
    elif kind in ("count_selected", "selected_any", "not_selected"):
        chs = spec.get("choices")
        if chs is not None:
            if not isinstance(chs, list) or not chs:
                problems.append(f"{where}: choices must be a non-empty list")
                ok = False
                chs = None
            else:
                bad = [c for c in chs if str(c) not in choice_names]
                if bad:
                    problems.append(f"{where}: choices {bad} are not in list {list_name!r} "
                                    f"({choice_names})")
                    ok = False
                chs = [str(c) for c in chs]
        if chs is None:
            if kind == "selected_any":
                problems.append(f"{where}: rule 'selected_any' needs choices")
                ok = False
            chs = [c for c in choice_names if c != "none"]
        opts["choices"] = chs
        if kind == "count_selected":
            cap = _number(spec.get("cap", len(chs)), f"{where}.cap", problems)
            if cap is None or cap <= 0:
                if cap is not None:
                    problems.append(f"{where}: cap must be > 0")
                ok = False
            opts["cap"] = cap
            opts["reverse"] = bool(spec.get("reverse", False))
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
    path = _resolve(scheme)
    if not path.exists():
        raise ParamsError(f"scoring scheme file {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParamsError(f"{path.name}: not valid YAML: {exc}") from exc
    return parse_scheme(raw, path, instrument_dir)
