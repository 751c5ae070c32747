"""Item rules of the "what to do" page: which answers to a household question *fail* it.

``params/actions.yaml`` names, per item of the household form, the answers that count as failing
it (no savings, an informal main lender, no health check, ...), with an action per development
path and its lead agency. This module reads and checks those rules and flags each household's
items (:func:`failing_flags`). It sits below the report sections because the round's disclosure
pattern (:mod:`abcresearch.reports.disclosure`) suppresses the items' shares with the rest of the
round's cells; :mod:`abcresearch.reports.sections.actions` estimates and words them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.params import Problems, language_text, load

__all__ = [
    "PATHS",
    "RULE_KINDS",
    "Action",
    "ActionRules",
    "FormCheck",
    "ItemRule",
    "failing_flags",
    "load_action_rules",
    "parse_action_rules",
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
#: An agency's names besides ``th`` and ``en``: abbreviations, and names within a municipality.
_AGENCY_NAMES = ("short_th", "short_en", "urban_th", "urban_en", "urban_short_th",
                 "urban_short_en")
#: Keys an item of ``params/actions.yaml`` may have (another is a misspelling, named as one).
ITEM_KEYS = frozenset({"item", "fails", "if_not_asked", "text", "passes", *PATHS, "urban_note"})


@dataclass(frozen=True)
class Action:
    """One action for one development path: what to do and the lead agency (a key)."""

    agency: str
    th: str
    en: str
    urban: Mapping[str, str] | None = None
    """The action as said within a municipality, where it differs (``urban:`` in
    ``params/actions.yaml``: CODI's secure housing is "บ้านมั่นคง" in a city, "บ้านมั่นคงชนบท"
    outside); None where the same action holds."""

    def text(self, lang: str, urban: bool = False) -> str:
        """Return the action in ``lang``; ``urban``: as said within a municipality."""
        if urban and self.urban:
            return self.urban[lang]
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
    urban_note : mapping or None
        ``{"th", "en"}``: said beside the item's actions in an area within a municipality,
        where the item may not mean what it means in a village (farm land of one's own).
    passes : mapping or None
        ``{"th", "en"}``: what *passing* means, in words: every household of the item's base
        that does not fail it (with ``if_not_asked: pass``, those not asked too). A strength
        is said with it and the share that passes ("เคยเข้าร่วมเวทีประชาคม ร้อยละ 91 มากกว่า
        ทั้งจังหวัด") instead of a small failing share ("ไม่เคยเข้าร่วม... ร้อยละ 9 น้อยกว่า",
        a double negative to a reader).
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
    urban_note: Mapping[str, str] | None = None
    passes: Mapping[str, str] | None = None

    @property
    def counting(self) -> tuple[Any, ...]:
        """What decides which households fail the item (its words and actions do not)."""
        return (self.item, self.kind, self.values, self.number, self.if_not_asked,
                self.relevant_question, self.relevant_value)


@dataclass(frozen=True)
class FormCheck:
    """A village form's count checked against the households' answers to an item.

    Where the form's ``form_field`` is 0 and at least ``passing_at_least`` of the village's
    households pass ``item`` (they answer that they do what the form says nobody does), the
    village report's data-quality section asks for the form to be checked.
    """

    item: str
    form_field: str
    passing_at_least: float


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
    path: Path | None = field(default=None, compare=False, repr=False)
    min_gap: float = 0.0
    """Smallest difference from the province (a share) that counts as clear."""
    form_check: FormCheck | None = None
    """A village form's count of 0 set against its households' answers (``form_check``)."""

    def item(self, name: str) -> ItemRule:
        """Return the rule of one item."""
        for r in self.items:
            if r.item == name:
                return r
        raise KeyError(name)

    def agency(self, key: str, lang: str, short: bool = False, urban: bool = False) -> str:
        """Return an agency's name (``short``: its abbreviation) in ``lang``.

        ``urban``: as named within a municipality, where the agency has such a name
        (``urban_th``, ``urban_short_th``, ... in ``params/actions.yaml``: the municipality
        itself for "อบต./เทศบาล", its health centre for the rural health station).
        """
        a = self.agencies[key]
        pre = "urban_" if urban and a.get(f"urban_{lang}") else ""
        if short:
            return str(a.get(f"{pre}short_{lang}") or a[f"{pre}{lang}"])
        return str(a[f"{pre}{lang}"])


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
                                 if k in _AGENCY_NAMES}}
        if isinstance(value, Mapping) and any(k.startswith("urban_") for k in value):
            for k in ("urban_th", "urban_en"):  # both languages, or neither
                if not str(value.get(k) or "").strip():
                    pr.add(f"agencies.{key}.{k}", "must be a non-empty text where the agency "
                                                  "has an urban name")
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
        if unknown := sorted(set(map(str, entry)) - ITEM_KEYS):
            pr.add(w, f"has unknown key(s) {', '.join(unknown)} (known: "
                      f"{', '.join(sorted(ITEM_KEYS))})")
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
            town = a.get("urban") if isinstance(a, Mapping) else None
            acts[p] = Action(agency=agency, th=texts["th"], en=texts["en"],
                             urban=None if town is None else _texts(pr, f"{w}.{p}.urban", town))
        rq = q["relevant_question"]
        urban = entry.get("urban_note")
        urban_note = _texts(pr, f"{w}.urban_note", urban) if urban is not None else None
        passing = entry.get("passes")
        passes = _texts(pr, f"{w}.passes", passing) if passing is not None else None
        items.append(ItemRule(
            item=name, capital=str(q["capital"]), kind=str(kind), values=values, number=number,
            if_not_asked=ask, text=_texts(pr, f"{w}.text", entry.get("text")), actions=acts,
            question={"th": str(q["label_th"]), "en": str(q["label_en"])},
            item_type=str(q["type"]),
            list_name=None if pd.isna(q["list_name"]) else str(q["list_name"]),
            relevant_question=None if pd.isna(rq) else str(rq),
            relevant_value=None if pd.isna(q["relevant_value"]) else str(q["relevant_value"]),
            value_labels=value_labels, urban_note=urban_note, passes=passes))
    if not items and not pr:
        pr.add("items", "must list at least one item")
    min_share = _share(pr, raw, "min_share")
    min_gap = _share(pr, raw, "min_gap")
    form_check = _form_check(pr, raw.get("form_check"), {r.item for r in items})
    per_cap = _whole(pr, raw, "items_per_capital", 2, 1)
    n_str = _whole(pr, raw, "strengths", 3, 0)
    n_gap = _whole(pr, raw, "gaps", 3, 0)
    pr.raise_if_any()
    return ActionRules(scheme_id=str(raw["scheme_id"]), scheme_version=str(raw["scheme_version"]),
                       items=tuple(items), agencies=agencies, items_per_capital=per_cap,
                       min_share=min_share, min_gap=min_gap, form_check=form_check,
                       strengths=n_str, gaps=n_gap,
                       verified=bool(raw.get("verified", False)),
                       source=language_text(raw.get("source")), path=path)


def _form_check(pr: Any, raw: Any, items: set[str]) -> FormCheck | None:
    """Read ``form_check`` (optional); a bad one is reported on ``pr``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"item", "form_field", "passing_at_least"}:
        pr.add("form_check", "must map item, form_field and passing_at_least")
        return None
    if str(raw["item"]) not in items:
        pr.add("form_check.item", f"{raw['item']!r} is not an item of this file")
    share = _share(pr, raw, "passing_at_least")
    return FormCheck(item=str(raw["item"]), form_field=str(raw["form_field"]),
                     passing_at_least=share)


def _share(pr: Any, raw: Mapping[str, Any], key: str) -> float:
    """Read an optional share (0 to below 1, default 0); a bad one is reported on ``pr``."""
    value = raw.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
        pr.add(key, f"must be a share from 0 to below 1, found {value!r}")
        return 0.0
    return float(value)


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
