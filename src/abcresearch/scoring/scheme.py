"""Scoring schemes as data: the frozen :class:`Scheme` read from ``params/scoring*.yaml``.

A scheme says, for each capital, which household items it uses, how each answer becomes an item
score in [0, 1] (the *rule*), the item weights, the capital's level bands and its deprivation
cut-off for the Alkire-Foster measure; and how the overall level and the development track follow
from the capital levels. Reading, checking and loading a scheme file is
:mod:`abcresearch.scoring.scheme_file` (:func:`~abcresearch.scoring.scheme_file.load_scheme`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch.errors import ParamsError

__all__ = [
    "RULE_KINDS",
    "Capital",
    "ItemRule",
    "Scheme",
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
RULE_OPTIONS: dict[str, set[str]] = {
    "yes": set(),
    "no": set(),
    "map": {"map"},
    "linear": {"lo", "hi", "per", "divide_by", "reverse"},
    "log_linear": {"lo", "hi", "per", "divide_by", "reverse"},
    "count_selected": {"cap", "choices", "reverse"},
    "selected_any": {"choices"},
    "not_selected": {"choices"},
}


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
