"""What to do: items where an area is furthest below the province, actions and lead agencies.

The items where an area is furthest below the province, with an action per development path
and the agency that leads it.

Each item is a question of the household form with a rule (``params/actions.yaml``) saying which
answers count as *failing* it (no savings, an informal main lender, no health check, water short
in some season, ...). For an area the section estimates the design-based share of households
failing each item, with its interval, and compares it with the province's share (a point
estimate over the round's households of the province). Per capital it lists the items where the
area's share exceeds the province's the most, each with two actions: one for households at
overall level 1 (basic needs and welfare first) and one for households at level 2 (livelihood
and skills), each naming a lead agency. A second table traces every listed item to the
instrument: the question's name, its wording and the rule.

The same item table gives the one-page summary its three strengths and three gaps
(:func:`strengths_and_gaps`): items where the area does best and worst *relative to the
province*, not by their raw level.

The household items come from the round's analysis cache (``score_round`` keeps the raw answers
of the instrument's capital items). Rules, actions and agencies are data; nothing here holds a
cut-off.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from abcresearch.params import Problems, load
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import share_mask
from abcresearch.reports.formatting import fmt_ci
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = [
    "RULE_KINDS",
    "Action",
    "ActionRules",
    "ItemRule",
    "area_item_shares",
    "failing_flags",
    "item_shares_over",
    "load_action_rules",
    "parse_action_rules",
    "province_item_shares",
    "rule_text",
    "selected_items",
    "strengths_and_gaps",
    "what_to_do",
]

#: Rule kinds of ``params/actions.yaml`` and the item types each applies to.
RULE_KINDS = {
    "equals": ("select_one",),
    "in": ("select_one",),
    "selected_any_of": ("select_multiple",),
    "selected_none_of": ("select_multiple",),
    "at_most": ("integer", "decimal"),
    "below": ("integer", "decimal"),
}
PATHS = ("level1", "level2")
_CI = ["estimate", "se", "ci_low", "ci_high"]


@dataclass(frozen=True)
class Action:
    """One action for one development path: what to do and the lead agency (a key)."""

    agency: str
    th: str
    en: str

    def text(self, lang: str) -> str:
        """Return the action in ``lang``."""
        return self.th if lang == "th" else self.en


@dataclass(frozen=True)
class ItemRule:
    """An item of the household form, the answers that fail it, and its actions.

    Attributes
    ----------
    item : str
        The question's name in the instrument (``params/instrument/household.md``).
    capital : str
        Its capital (from the instrument's ``capital`` column).
    kind : str
        One of :data:`RULE_KINDS`.
    values : tuple of str
        Choices named by the rule (choice rules).
    number : float or None
        The cut-off of a numeric rule.
    if_not_asked : {"pass", "fail"} or None
        Treatment of households the form's skip logic did not ask (None: left out).
    text : mapping
        ``{"th", "en"}``: what failing means, in words.
    actions : mapping
        ``{"level1": Action, "level2": Action}``.
    question : mapping
        ``{"th", "en"}``: the question's wording in the instrument.
    item_type, list_name : str
        The question's XLSForm type and choice list.
    relevant_question, relevant_value : str or None
        The form's skip logic (asked only when ``relevant_question`` = ``relevant_value``).
    value_labels : mapping
        ``{choice: {"th", "en"}}``: the instrument's labels of the choices in ``values``, read
        with the rules (so writing a rule needs no second reading of the form).
    """

    item: str
    capital: str
    kind: str
    values: tuple[str, ...]
    number: float | None
    if_not_asked: str | None
    text: Mapping[str, str]
    actions: Mapping[str, Action]
    question: Mapping[str, str]
    item_type: str
    list_name: str | None = None
    relevant_question: str | None = None
    relevant_value: str | None = None
    value_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionRules:
    """The validated ``params/actions.yaml``."""

    scheme_id: str
    scheme_version: str
    items: tuple[ItemRule, ...]
    agencies: Mapping[str, Mapping[str, str]]
    items_per_capital: int
    min_share: float
    strengths: int
    gaps: int
    verified: bool
    source: str = ""
    path: Path | None = field(default=None, compare=False)

    def item(self, name: str) -> ItemRule:
        """Return the rule of one item."""
        for r in self.items:
            if r.item == name:
                return r
        raise KeyError(name)

    def agency(self, key: str, lang: str, short: bool = False) -> str:
        """Return an agency's name (``short``: its abbreviation) in ``lang``."""
        a = self.agencies[key]
        return str(a.get(f"short_{lang}") or a[lang]) if short else str(a[lang])


def _texts(pr: Problems, where: str, value: Any, keys: tuple[str, ...] = ("th", "en")
           ) -> dict[str, str]:
    if not isinstance(value, Mapping):
        pr.add(where, "must be a mapping with th and en texts")
        return {k: "" for k in keys}
    for k in keys:
        if not isinstance(value.get(k), str) or not value.get(k, "").strip():
            pr.add(f"{where}.{k}", "must be a non-empty text")
    return {k: str(value.get(k, "")) for k in keys}


def _whole(pr: Problems, raw: Mapping[str, Any], key: str, default: int, least: int) -> int:
    v = raw.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < least:
        pr.add(key, f"must be a whole number of at least {least}, found {v!r}")
        return default
    return int(v)


def parse_action_rules(raw: Mapping[str, Any], path: Path) -> ActionRules:
    """Parse and check ``params/actions.yaml`` (see :func:`abcresearch.params.load`).

    Every item must be a question of the household form that measures a capital; a choice rule
    may name only choices of the question's list, a numeric rule needs a numeric question; each
    item needs Thai and English texts and an action for both development paths, each naming a
    known agency.

    Raises
    ------
    ParamsError
        Listing every problem of the file.
    """
    from abcresearch.survey.instrument import choices, codebook

    pr = Problems(path)
    for key in ("scheme_id", "scheme_version"):
        if not raw.get(key):
            pr.add(key, "is missing")
    agencies_raw = raw.get("agencies") or {}
    agencies: dict[str, dict[str, str]] = {}
    if not isinstance(agencies_raw, Mapping) or not agencies_raw:
        pr.add("agencies", "must map agency keys to their th and en names")
        agencies_raw = {}
    for key, value in agencies_raw.items():
        agencies[str(key)] = {**_texts(pr, f"agencies.{key}", value),
                              **{k: str(v) for k, v in (value or {}).items()
                                 if k in ("short_th", "short_en")}}
    cb = codebook("households").set_index("name")
    items: list[ItemRule] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw.get("items") or []):
        w = f"items[{i}]"
        if not isinstance(entry, Mapping):
            pr.add(w, "must be a mapping")
            continue
        name = str(entry.get("item", ""))
        w = f"items[{i}] ({name})"
        if name not in cb.index or pd.isna(cb.loc[name, "capital"]):
            pr.add(w, "is not a capital question of the household form "
                      "(params/instrument/household.md)")
            continue
        if name in seen:
            pr.add(w, "is listed twice")
        seen.add(name)
        q = cb.loc[name]
        fails = entry.get("fails")
        if not isinstance(fails, Mapping) or len(fails) != 1:
            pr.add(f"{w}.fails", f"must give exactly one of {', '.join(RULE_KINDS)}")
            continue
        kind, arg = next(iter(fails.items()))
        if kind not in RULE_KINDS:
            pr.add(f"{w}.fails", f"unknown rule {kind!r}; expected one of {', '.join(RULE_KINDS)}")
            continue
        if q["type"] not in RULE_KINDS[kind]:
            pr.add(f"{w}.fails", f"rule {kind} needs a {' or '.join(RULE_KINDS[kind])} question, "
                                 f"{name} is {q['type']}")
            continue
        values: tuple[str, ...] = ()
        value_labels: dict[str, dict[str, str]] = {}
        number = None
        if kind in ("at_most", "below"):
            if isinstance(arg, bool) or not isinstance(arg, int | float):
                pr.add(f"{w}.fails.{kind}", "must be a number")
                continue
            number = float(arg)
        else:
            values = (str(arg),) if kind == "equals" else tuple(str(v) for v in (arg or ()))
            listed = choices(str(q["list_name"]), "household")
            known = set(listed["name"].astype(str))
            bad = [v for v in values if v not in known]
            if not values or bad:
                pr.add(f"{w}.fails.{kind}", f"must name choices of list {q['list_name']} "
                                            f"({', '.join(sorted(known))}); found "
                                            f"{', '.join(bad) or 'none'}")
                continue
            names = listed["name"].astype(str)
            value_labels = {v: {lang: dict(zip(names, listed[f"label_{lang}"], strict=True))[v]
                                for lang in ("th", "en")} for v in values}
        ask = entry.get("if_not_asked")
        if ask not in (None, "pass", "fail"):
            pr.add(f"{w}.if_not_asked", f"must be pass or fail, found {ask!r}")
            ask = None
        acts = {}
        for p in PATHS:
            a = entry.get(p)
            texts = _texts(pr, f"{w}.{p}", a)
            agency = str((a or {}).get("agency", "")) if isinstance(a, Mapping) else ""
            if agency not in agencies:
                pr.add(f"{w}.{p}.agency", f"{agency!r} is not a key of agencies "
                                          f"({', '.join(sorted(agencies))})")
            acts[p] = Action(agency=agency, th=texts["th"], en=texts["en"])
        rq = q["relevant_question"]
        items.append(ItemRule(
            item=name, capital=str(q["capital"]), kind=str(kind), values=values, number=number,
            if_not_asked=ask, text=_texts(pr, f"{w}.text", entry.get("text")), actions=acts,
            question={"th": str(q["label_th"]), "en": str(q["label_en"])},
            item_type=str(q["type"]),
            list_name=None if pd.isna(q["list_name"]) else str(q["list_name"]),
            relevant_question=None if pd.isna(rq) else str(rq),
            relevant_value=None if pd.isna(q["relevant_value"]) else str(q["relevant_value"]),
            value_labels=value_labels))
    if not items and not pr:
        pr.add("items", "must list at least one item")
    min_share = raw.get("min_share", 0.0)
    if isinstance(min_share, bool) or not isinstance(min_share, int | float) \
            or not 0 <= min_share < 1:
        pr.add("min_share", f"must be a share from 0 to below 1, found {min_share!r}")
        min_share = 0.0
    per_cap = _whole(pr, raw, "items_per_capital", 2, 1)
    n_str = _whole(pr, raw, "strengths", 3, 0)
    n_gap = _whole(pr, raw, "gaps", 3, 0)
    pr.raise_if_any()
    return ActionRules(scheme_id=str(raw["scheme_id"]), scheme_version=str(raw["scheme_version"]),
                       items=tuple(items), agencies=agencies, items_per_capital=per_cap,
                       min_share=float(min_share), strengths=n_str, gaps=n_gap,
                       verified=bool(raw.get("verified", False)),
                       source=str(raw.get("source", "")), path=path)


def load_action_rules(path: str | Path | None = None) -> ActionRules:
    """Load ``params/actions.yaml`` (or another file), validated once per file version."""
    return load(path or "actions", parse_action_rules)


# ---------------------------------------------------------------------- household flags
def _selected(series: pd.Series, values: tuple[str, ...]) -> np.ndarray:
    """For a select_multiple column (space-separated choice names): any of ``values`` chosen."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pattern = r"(?:^|\s)(?:" + "|".join(values) + r")(?:\s|$)"
    arr = pa.array(series.astype(object).where(series.notna(), None).to_numpy(), type=pa.string())
    hit = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _one_of(series: pd.Series, values: tuple[str, ...]) -> np.ndarray:
    """For a select_one column: the answer is one of ``values``."""
    return series.isin(values).fillna(False).to_numpy(bool)


def failing_flags(households: pd.DataFrame, rules: ActionRules) -> pd.DataFrame:
    """Whether each household fails each item: 1.0, 0.0, or NaN (not answered / not asked).

    Parameters
    ----------
    households : pandas.DataFrame
        Households with the raw item answers (the round's analysis households).
    rules : ActionRules
        The item rules.

    Returns
    -------
    pandas.DataFrame
        One column per item (its name), on the index of ``households``.
    """
    out = {}
    for r in rules.items:
        if r.item not in households:
            out[r.item] = np.full(len(households), np.nan)
            continue
        col = households[r.item]
        answered = col.notna().to_numpy(bool)
        if r.kind in ("at_most", "below"):
            x = pd.to_numeric(col, errors="coerce").to_numpy(float)
            with np.errstate(invalid="ignore"):
                fail = x <= r.number if r.kind == "at_most" else x < r.number
        elif r.kind in ("equals", "in"):
            fail = _one_of(col, r.values)
        else:
            chosen = _selected(col, r.values)
            fail = chosen if r.kind == "selected_any_of" else ~chosen
        flag = np.where(answered, fail.astype(float), np.nan)
        if r.relevant_question and r.relevant_question in households:
            gate = households[r.relevant_question]
            not_asked = (gate.notna().to_numpy(bool)
                         & ~_one_of(gate, (str(r.relevant_value),)))
            if r.if_not_asked is not None:
                flag = np.where(not_asked, 1.0 if r.if_not_asked == "fail" else 0.0, flag)
        out[r.item] = flag
    return pd.DataFrame(out, index=households.index)


# ---------------------------------------------------------------------- estimates
_PROVINCE_CACHE: dict[tuple[Any, ...], pd.DataFrame] = {}
_PROVINCE_LOCK = threading.Lock()


def item_shares_over(households: pd.DataFrame, rules: ActionRules) -> pd.DataFrame:
    """Weighted share of households failing each item (a point estimate), and counts.

    The share is the ratio of weighted sums the design's proportion uses, over the households
    that answered the item (``weight`` as stored).

    Returns
    -------
    pandas.DataFrame
        Index item (rules' order); ``share``, ``n_fail``, ``n_base``.
    """
    flags = failing_flags(households, rules)
    w = households["weight"].to_numpy(float)
    rows = {}
    for item in flags.columns:
        f = flags[item].to_numpy(float)
        ok = ~np.isnan(f) & ~np.isnan(w)
        rows[item] = {"share": float((w[ok] * f[ok]).sum() / w[ok].sum()) if ok.any() else np.nan,
                      "n_fail": int(f[ok].sum()), "n_base": int(ok.sum())}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["share", "n_fail", "n_base"])
    table.index.name = "item"
    return table


def _answer_columns(rules: ActionRules) -> list[str]:
    cols = {"weight", "village_code"}
    for r in rules.items:
        cols.add(r.item)
        if r.relevant_question:
            cols.add(r.relevant_question)
    return sorted(cols)


def province_item_shares(report: Any, rules: ActionRules) -> pd.DataFrame:
    """Return the province's share of households failing each item (see :func:`item_shares_over`).

    An area report reads only the answer columns of the province's households from the store
    (the same valid, weighted households the round's analysis cache is built from); the
    province overview uses its own households. Kept in memory per round version and rules, so a
    batch of reports reads them once per process.
    """
    from abcresearch.store import read as store_read

    code = report.area.code[:2] if hasattr(report, "area") else report.province.code
    key = (str(report.analysis.cache_dir), hashlib.sha256(repr(rules).encode()).hexdigest(),
           code)
    with _PROVINCE_LOCK:
        hit = _PROVINCE_CACHE.get(key)
    if hit is not None:
        return hit
    file = _province_shares_file(report.analysis, key) if hasattr(report, "area") else None
    table = _read_shares_file(file) if file is not None else None
    if table is None:
        if hasattr(report, "area"):
            hh = store_read.load(report.survey_round, area=code, store=report.store,
                                 columns=_answer_columns(rules))
            hh = hh[hh["weight"].notna()]
        else:
            hh = report.households
        table = item_shares_over(hh, rules)
        if file is not None:
            _write_shares_file(file, table)
    with _PROVINCE_LOCK:
        if len(_PROVINCE_CACHE) >= 8:
            _PROVINCE_CACHE.clear()
        _PROVINCE_CACHE[key] = table
    return table


_SOURCE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
"""This module's source as imported (a file edited later does not name what this code made)."""


def _province_shares_file(analysis: Any, key: tuple[str, str, str]) -> Path | None:
    """Where a province's item shares are kept between processes (None: nowhere).

    In the round analysis's cache folder (keyed by the round's data, scheme and design), named
    by the rules, the province and the source of this module, so a change of any reads the
    store again. A single ``abcresearch report`` then reads four small columns' table instead of
    the province's answers (about 1.5 s on a cold process).
    """
    folder = getattr(analysis, "cache_dir", None)
    if folder is None or not Path(folder).is_dir():
        return None
    h = hashlib.sha256(repr(key[1:]).encode())
    h.update(_SOURCE_HASH.encode())
    return Path(folder) / f"item-shares-{h.hexdigest()[:16]}.parquet"


def _read_shares_file(file: Path) -> pd.DataFrame | None:
    try:
        table = pd.read_parquet(file)
    except (OSError, ValueError):  # none yet, or unreadable: made again
        return None
    return table if list(table.columns) == ["share", "n_fail", "n_base"] else None


def _write_shares_file(file: Path, table: pd.DataFrame) -> None:
    import io

    from abcresearch.atomic import atomic_write_bytes

    buf = io.BytesIO()
    table.to_parquet(buf)
    try:  # a reader sees no file or the whole file; a read-only cache folder keeps none
        atomic_write_bytes(file, buf.getvalue())
    except OSError:
        pass


def area_item_shares(report: AreaContext, rules: ActionRules | None = None) -> pd.DataFrame:
    """Design-based share of the area's households failing each item, beside the province's.

    Made once per report and rules (the summary page and the "what to do" page show the same
    table; a copy each time).

    Returns
    -------
    pandas.DataFrame
        Index item, in the rules' order: ``capital``, ``estimate, se, ci_low, ci_high`` (the
        area's share and interval, unrounded, unsuppressed), ``n_fail``, ``n_base`` (households),
        ``province`` (the province's share), ``gap`` (area minus province), ``hidden`` (the
        area's share may not be published) and ``clear`` (the interval excludes the province's
        share).
    """
    ar = rules or load_action_rules()
    cached = getattr(report, "cached", None)
    if cached is None:
        return _area_item_shares(report, ar)
    # keyed by the rules object, which the entry holds (so its id stays its own)
    _, table = cached(("item_shares", id(ar)), lambda: (ar, _area_item_shares(report, ar)))
    return table.copy()


def _area_item_shares(report: AreaContext, rules: ActionRules) -> pd.DataFrame:
    from abcresearch.analysis.round import area_design

    hh = report.households
    flags = failing_flags(hh, rules)
    cols = {r.item: f"fail__{r.item}" for r in rules.items}
    design = area_design(pd.concat([hh, flags.rename(columns=cols)], axis=1),
                         report.design_spec)
    prov = province_item_shares(report, rules)
    n_base = flags.notna().sum()
    n_fail = flags.sum(skipna=True)
    asked = [r.item for r in rules.items if n_base[r.item]]
    # every item's share in one pass of the design (each item over its own answers)
    est = design.ciprop_each([cols[i] for i in asked], na_rm=True,
                             level=report.design_spec.level) if asked else None
    rows = []
    for r in rules.items:
        if n_base[r.item]:
            e = cast(pd.DataFrame, est).loc[cols[r.item]]
            vals = {k: float(e[k]) for k in _CI}
        else:
            vals = dict.fromkeys(_CI, np.nan)
        rows.append({"item": r.item, "capital": r.capital, **vals,
                     "n_fail": int(n_fail[r.item]), "n_base": int(n_base[r.item]),
                     "province": float(prov.loc[r.item, "share"])})
    out = pd.DataFrame(rows).set_index("item")
    out["gap"] = out["estimate"] - out["province"]
    out["hidden"] = share_mask(out["n_fail"].to_numpy(), out["n_base"].to_numpy(),
                               report.threshold) | (out["n_base"] == 0).to_numpy()
    out["clear"] = (out["ci_low"] > out["province"]) | (out["ci_high"] < out["province"])
    return out


def selected_items(shares: pd.DataFrame, rules: ActionRules, capitals: tuple[str, ...],
                   per_capital: int | None = None) -> list[str]:
    """Choose the items of the "what to do" page.

    Per capital (in scheme order), up to ``per_capital`` publishable items failed by at least
    ``min_share`` of the area's households, furthest above the province first (when none is
    above, those whose advantage is smallest).
    """
    n = per_capital or rules.items_per_capital
    ok = shares[~shares["hidden"] & (shares["estimate"] >= rules.min_share)
                & shares["gap"].notna()]
    out: list[str] = []
    caps = ok["capital"].to_numpy(dtype=object)
    gap = ok["gap"].to_numpy(dtype=float)
    for cap in capitals:
        # as sort_values("gap", ascending=False, kind="mergesort"): ties in table order
        pos = np.flatnonzero(caps == cap)
        order = pos[np.argsort(-gap[pos], kind="mergesort")]
        out.extend(ok.index[order[:n]])
    return out


def strengths_and_gaps(shares: pd.DataFrame, rules: ActionRules
                       ) -> tuple[list[str], list[str]]:
    """Find the items where the area does best and worst relative to the province.

    Returns
    -------
    strengths, gaps : list of str
        Up to ``rules.strengths`` publishable items with the area's failing share furthest
        *below* the province's (largest first), and up to ``rules.gaps`` furthest *above* it.
    """
    ok = shares[~shares["hidden"] & shares["gap"].notna()]
    good = ok[ok["gap"] < 0].sort_values("gap", kind="mergesort")
    bad = ok[ok["gap"] > 0].sort_values("gap", ascending=False, kind="mergesort")
    return list(good.index[:rules.strengths]), list(bad.index[:rules.gaps])


# ---------------------------------------------------------------------- words
def rule_text(rule: ItemRule, words: Any, lang: str) -> str:
    """Write the rule in words, with the instrument's choice labels (e.g. ``ตอบ "ไม่ใช่"``)."""
    from abcresearch.survey.instrument import choices

    if rule.kind in ("at_most", "below"):
        n = rule.number
        num = f"{n:g}" if n is not None else ""
        return words(f"actions.rule.{rule.kind}", value=num)
    if all(v in rule.value_labels for v in rule.values):  # read with the rules
        labels: Any = {v: rule.value_labels[v][lang] for v in rule.values}
    else:
        labels = choices(str(rule.list_name), "household").set_index("name")[f"label_{lang}"]
    names = [f"“{labels.get(v, v)}”" for v in rule.values]
    joined = words("actions.rule.or").join(names)
    text = words(f"actions.rule.{rule.kind}", choices=joined)
    if rule.relevant_question and rule.if_not_asked:
        text += words(f"actions.rule.not_asked_{rule.if_not_asked}")
    return text


def _pct(x: float) -> float:
    return 100 * x


def what_to_do(report: AreaContext, *, items_per_capital: int | None = None,
               rules: str | Path | ActionRules | None = None) -> SectionResult:
    """Build the "what to do" page.

    Per capital, the items where the area is furthest below the province, each with its share
    of failing households (and interval), the province's share, an action per development path
    with its lead agency, and the instrument question it rests on.

    Parameters
    ----------
    report : AreaContext
        The area.
    items_per_capital : int, optional
        Items per capital (default ``items_per_capital`` of ``params/actions.yaml``).
    rules : path or ActionRules, optional
        Another rules file.
    """
    from abcresearch.reports.sections import check_limit

    check_limit(items_per_capital)
    ar = rules if isinstance(rules, ActionRules) else load_action_rules(rules)
    t, lang = report.t, report.lang
    out = SectionBuilder("what_to_do", report.words, {"items_per_capital": items_per_capital,
                                                      "rules": ar.path})
    out.heading("section.what_to_do")
    shares = area_item_shares(report, ar)
    chosen = selected_items(shares, ar, report.capitals, items_per_capital)
    out.text(t("actions.intro", area=report.area_name()))
    if not chosen:
        out.text(t("actions.none"))
        return out.result(estimates=shares, details={"selected": (), "rules": ar})
    rows, acts, trace = [], [], []
    for item in chosen:
        r, s = ar.item(item), shares.loc[item]
        what = r.text[lang]
        rows.append({
            t("col.capital"): report.capital_label(r.capital),
            t("actions.col.item"): what,
            t("actions.col.area"): fmt_ci(s["estimate"], s["ci_low"], s["ci_high"], digits=0,
                                          scale=100, hidden=report.marker),
            t("col.province"): _pct(s["province"]),
            t("actions.col.gap"): f"{_pct(s['gap']):+.0f}" + ("*" if s["clear"] else ""),
        })
        acts.append({
            t("actions.col.item"): what,
            t("actions.col.level1"): f"{r.actions['level1'].text(lang)} "
                                     f"({ar.agency(r.actions['level1'].agency, lang, True)})",
            t("actions.col.level2"): f"{r.actions['level2'].text(lang)} "
                                     f"({ar.agency(r.actions['level2'].agency, lang, True)})",
        })
        trace.append({
            t("actions.col.item"): what,
            t("actions.col.question_id"): r.item,
            t("actions.col.question"): r.question[lang],
            t("actions.col.rule"): rule_text(r, report.words, lang),
        })
    out.table(pd.DataFrame(rows), t("actions.caption.items"), t("actions.notes.items"),
              decimals=0)
    used = sorted({ar.item(i).actions[p].agency for i in chosen for p in PATHS})
    legend = "; ".join(f"{ar.agency(a, lang, True)} = {ar.agency(a, lang)}" for a in used)
    unverified = "" if ar.verified else " " + t("actions.unverified")
    out.table(pd.DataFrame(acts), t("actions.caption.actions"),
              f"{legend}.{unverified}")
    out.table(pd.DataFrame(trace), t("actions.caption.trace"), t("actions.notes.trace"))
    return out.result(estimates=shares, details={"selected": tuple(chosen), "rules": ar})
