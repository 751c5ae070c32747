"""Household capital scores (0-100), levels per capital, overall level and development track.

Everything is vectorised over the household table: select questions are factorised once and
their (few) distinct answers scored in Python, numeric rules are numpy expressions.

Missing-answer rule (stated in the scheme's ``missing.min_share_items``): a capital is scored when
at least that share of its items is answered; the weights of the answered items are re-scaled to
add up to 1. Items the form's skip logic did not ask count as answered with their
``if_not_relevant`` score. Otherwise the capital score is missing and ``missing_reason`` records
how many items were answered and how many were needed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import InputError
from abcresearch.scoring.scheme import ItemRule, Scheme
from abcresearch.scoring.scheme_file import load_scheme

__all__ = [
    "HouseholdScores",
    "capital_levels",
    "capital_scores",
    "deprivation_matrix",
    "development_tracks",
    "item_scores",
    "overall_levels",
    "score_households",
]


# ---------------------------------------------------------------------------------- item rules
def _int8(arr: np.ndarray) -> pd.arrays.IntegerArray:
    """Nullable Int8 array from an int array where 0 means missing."""
    a = np.asarray(arr, dtype=np.int8)
    return pd.arrays.IntegerArray(a, a == 0)


def _numeric(df: pd.DataFrame, col: str) -> np.ndarray:
    s = df[col]
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        s = pd.to_numeric(s, errors="coerce")
    return s.to_numpy(dtype=float, na_value=np.nan)


def _as_choice_text(v: Any) -> str | None:
    """Turn one stored answer into its choice name (ints and floats like 3.0 become '3')."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    text = str(v).strip()
    return text or None


def _factor_scores(series: pd.Series, fn: Any) -> np.ndarray:
    """Apply ``fn(text or None) -> float`` to each distinct value of ``series``."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.array([fn(_as_choice_text(u)) for u in uniques] + [fn(None)], dtype=float)
    return table[np.where(codes < 0, len(uniques), codes)]


def _unknown(item: str, values: set[str], allowed: Sequence[str]) -> InputError:
    return InputError(
        f"column {item}: answers {sorted(values)[:10]} are not choices of the item's list "
        f"(allowed: {list(allowed)}); validate the data against the instrument first"
    )


def _score_rule(df: pd.DataFrame, rule: ItemRule) -> np.ndarray:
    """Score one item for every household: float array in [0, 1], NaN when unanswered."""
    item = rule.item
    o = rule.options
    if item not in df.columns:
        return np.full(len(df), np.nan)
    kind = rule.kind
    if kind in ("yes", "no", "map"):
        if kind == "map":
            mapping = dict(o["map"])
        else:
            mapping = {"yes": 1.0, "no": 0.0} if kind == "yes" else {"yes": 0.0, "no": 1.0}
        bad: set[str] = set()

        def f(t: str | None) -> float:
            if t is None:
                return np.nan
            if t not in mapping:
                bad.add(t)
                return np.nan
            return mapping[t]

        out = _factor_scores(df[item], f)
        if bad:
            raise _unknown(item, bad, list(mapping))
    elif kind in ("linear", "log_linear"):
        x = _numeric(df, item)
        with np.errstate(divide="ignore", invalid="ignore"):
            if o.get("per"):
                x = x / np.where(_numeric(df, o["per"]) > 0, _numeric(df, o["per"]), np.nan) \
                    if o["per"] in df.columns else np.full(len(df), np.nan)
            if o.get("divide_by"):
                d = (_numeric(df, o["divide_by"]) if o["divide_by"] in df.columns
                     else np.full(len(df), np.nan))
                # x/0 = inf (clipped to hi), 0/0 = 0
                x = np.where(x == 0, 0.0, x / d)
            lo, hi = float(o["lo"]), float(o["hi"])
            if kind == "log_linear":
                x, lo, hi = np.log1p(np.maximum(x, 0)), math.log1p(lo), math.log1p(hi)
            out = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        if o.get("reverse"):
            out = 1.0 - out
    else:
        chosen = set(o["choices"])
        cap = float(o.get("cap") or 1.0)
        rev = bool(o.get("reverse"))
        valid: set[str] | None = None
        if rule.list_name:
            from abcresearch.survey import instrument

            valid = set(instrument.choices(rule.list_name)["name"])
        bad = set()

        def g(t: str | None) -> float:
            if t is None:
                return np.nan
            parts = set(t.split())
            if valid is not None and not parts <= valid:
                bad.update(parts - valid)
            hits = len(parts & chosen)
            if kind == "count_selected":
                s = min(hits / cap, 1.0)
                return 1.0 - s if rev else s
            if kind == "selected_any":
                return float(hits > 0)
            return float(hits == 0)

        out = _factor_scores(df[item], g)
        if bad:
            raise _unknown(item, bad, sorted(valid or ()))
    if rule.relevant_question is not None and rule.if_not_relevant is not None:
        q = rule.relevant_question
        if q in df.columns:
            qv = _factor_scores(df[q], lambda t: np.nan if t is None
                                else float(t == rule.relevant_value))
            out = np.where(qv == 0, rule.if_not_relevant, out)
            # asked but unanswered stays missing; question itself unanswered -> missing
            out = np.where(np.isnan(qv), np.nan, out)
    return out


def item_scores(data: pd.DataFrame, scheme: Scheme | str | None = None) -> pd.DataFrame:
    """Return the 0-1 score of every scheme item for every household.

    Parameters
    ----------
    data : pandas.DataFrame
        Household rows with the instrument's leaf item columns (select_multiple answers as
        space-separated choice names). Items absent from ``data`` score as missing.
    scheme : Scheme, str or None
        Scoring scheme (default ``params/scoring.yaml``).

    Returns
    -------
    pandas.DataFrame
        One float column per item (NaN = not answered), index of ``data``.

    Raises
    ------
    InputError
        When a select answer is not a choice of the item's list.
    """
    sch = load_scheme(scheme)
    cols = {r.item: _score_rule(data, r) for r in sch.items}
    return pd.DataFrame(cols, index=data.index)


# ---------------------------------------------------------------------------------- capitals
def _capital_matrix(items: pd.DataFrame, sch: Scheme) -> tuple[np.ndarray, np.ndarray]:
    """Return (scores 0-100 with NaN, items answered) arrays of shape (n, n_capitals)."""
    n = len(items)
    scores = np.full((n, len(sch.capitals)), np.nan)
    present = np.zeros((n, len(sch.capitals)), dtype=np.int16)
    for j, cap in enumerate(sch.capitals):
        S = items[list(cap.item_names)].to_numpy(dtype=float)
        w = np.array([r.weight for r in cap.items])
        ok = ~np.isnan(S)
        k = ok.sum(axis=1)
        need = _needed(len(cap.items), sch.min_share_items)
        wsum = ok @ w
        num = np.where(ok, S, 0.0) @ w
        with np.errstate(invalid="ignore", divide="ignore"):
            sc = 100.0 * num / wsum
        scores[:, j] = np.where(k >= need, np.clip(sc, 0.0, 100.0), np.nan)
        present[:, j] = k
    return scores, present


def _needed(m: int, share: float) -> int:
    """Smallest number of answered items that reaches ``share`` of ``m`` items."""
    return int(math.ceil(share * m - 1e-9))


def capital_scores(data: pd.DataFrame, scheme: Scheme | str | None = None) -> pd.DataFrame:
    """Return each household's capital scores on 0-100 (NaN when too few items answered).

    Parameters
    ----------
    data : pandas.DataFrame
        Household rows with item columns.
    scheme : Scheme, str or None
        Scoring scheme.

    Returns
    -------
    pandas.DataFrame
        One column per capital, index of ``data``.
    """
    sch = load_scheme(scheme)
    s, _ = _capital_matrix(item_scores(data, sch), sch)
    return pd.DataFrame(s, index=data.index, columns=list(sch.capital_ids))


def _levels_array(scores: np.ndarray, sch: Scheme) -> np.ndarray:
    lev = np.zeros(scores.shape, dtype=np.int8)
    for j, cap in enumerate(sch.capitals):
        edges = np.array([b[1] for b in cap.bands[1:]])
        ids = np.array([b[0] for b in cap.bands], dtype=np.int8)
        x = scores[:, j]
        lev[:, j] = np.where(np.isnan(x), 0, ids[np.searchsorted(edges, x, side="right")])
    return lev  # 0 = missing


def capital_levels(scores: pd.DataFrame, scheme: Scheme | str | None = None) -> pd.DataFrame:
    """Return the level (1, 2, 3, ...) of each capital score from the scheme's bands.

    Parameters
    ----------
    scores : pandas.DataFrame
        Capital scores as returned by :func:`capital_scores`.
    scheme : Scheme, str or None
        Scoring scheme.

    Returns
    -------
    pandas.DataFrame
        Nullable ``Int8`` levels, missing where the score is missing.
    """
    sch = load_scheme(scheme)
    lev = _levels_array(scores[list(sch.capital_ids)].to_numpy(dtype=float), sch)
    return pd.DataFrame({c: _int8(lev[:, j]) for j, c in enumerate(sch.capital_ids)},
                        index=scores.index)


def _overall_array(lev: np.ndarray, sch: Scheme) -> np.ndarray:
    cap_ids = list(sch.capital_ids)
    scored = (lev > 0).sum(axis=1)
    out = np.zeros(len(lev), dtype=np.int8)
    decided = np.zeros(len(lev), dtype=bool)
    counts = {L: (lev == L).sum(axis=1) for L in sch.levels}
    for rule in sch.overall["rules"]:
        if rule.get("otherwise"):
            hit = np.ones(len(lev), dtype=bool)
        else:
            mode = "any" if "any" in rule else "all"
            parts = []
            for cond in rule[mode]:
                if "count_at_level" in cond:
                    c = counts[cond["count_at_level"]]
                    parts.append(c >= cond["at_least"] if "at_least" in cond
                                 else c <= cond["at_most"])
                else:
                    idx = [cap_ids.index(c) for c in cond["any_of"]]
                    parts.append((lev[:, idx] == cond["at_level"]).any(axis=1))
            hit = np.logical_or.reduce(parts) if mode == "any" else np.logical_and.reduce(parts)
        new = hit & ~decided
        out[new] = rule["level"]
        decided |= hit
    out[scored < sch.overall["min_capitals_scored"]] = 0
    return out


def overall_levels(levels: pd.DataFrame, scheme: Scheme | str | None = None) -> pd.Series:
    """Return each household's overall level from its capital levels (rules in the scheme).

    The scheme's ordered ``overall_level.rules`` are tried in turn and the first that holds
    gives the level; households with fewer than ``min_capitals_scored`` scored capitals get a
    missing level. Conditions count only scored capitals.

    Parameters
    ----------
    levels : pandas.DataFrame
        Capital levels as returned by :func:`capital_levels`.
    scheme : Scheme, str or None
        Scoring scheme.

    Returns
    -------
    pandas.Series
        Nullable ``Int8`` named ``overall_level``.
    """
    sch = load_scheme(scheme)
    lev = levels[list(sch.capital_ids)].fillna(0).to_numpy(dtype=np.int8)
    out = _overall_array(lev, sch)
    return pd.Series(_int8(out), index=levels.index, name="overall_level")


def _track_codes(overall: np.ndarray, sch: Scheme) -> np.ndarray:
    code = np.full(len(overall), -1, dtype=np.int16)
    for i in range(len(sch.tracks) - 1, -1, -1):  # first match wins: assign in reverse
        code[np.isin(overall, sch.tracks[i]["overall_levels"])] = i
    return code


def development_tracks(overall: pd.Series, scheme: Scheme | str | None = None) -> pd.Series:
    """Return each household's development track id from its overall level.

    Parameters
    ----------
    overall : pandas.Series
        Overall levels (:func:`overall_levels`).
    scheme : Scheme, str or None
        Scoring scheme.

    Returns
    -------
    pandas.Series
        Categorical of track ids (missing where the overall level is missing), named ``track``.
    """
    sch = load_scheme(scheme)
    codes = _track_codes(overall.fillna(0).to_numpy(dtype=np.int16), sch)
    cats = [t["id"] for t in sch.tracks]
    return pd.Series(pd.Categorical.from_codes(codes, categories=cats), index=overall.index,
                     name="track")


def deprivation_matrix(scores: pd.DataFrame, scheme: Scheme | str | None = None) -> pd.DataFrame:
    """Return the 0/1 deprivation matrix: score below the capital's deprivation cut-off.

    Parameters
    ----------
    scores : pandas.DataFrame
        Capital scores (0-100).
    scheme : Scheme, str or None
        Scoring scheme (cut-offs from ``capitals.<id>.deprivation_cutoff``).

    Returns
    -------
    pandas.DataFrame
        Float columns ``dep_<capital>`` with 1.0 (deprived), 0.0, or NaN when the score is
        missing.
    """
    sch = load_scheme(scheme)
    out = {}
    for cap in sch.capitals:
        x = scores[cap.id].to_numpy(dtype=float)
        out[f"dep_{cap.id}"] = np.where(np.isnan(x), np.nan, (x < cap.deprivation_cutoff) * 1.0)
    return pd.DataFrame(out, index=scores.index)


# ---------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class HouseholdScores:
    """Scores, levels, overall level and track of every household under one scheme.

    Attributes
    ----------
    scheme : Scheme
        The scheme used.
    scores : pandas.DataFrame
        Capital scores 0-100 (NaN when missing), one column per capital.
    levels : pandas.DataFrame
        Capital levels (nullable Int8).
    items_answered : pandas.DataFrame
        Number of answered items per capital.
    missing_reason : pandas.DataFrame
        Per capital (categorical): missing when scored, otherwise the reason in words (English).
    overall_level : pandas.Series
        Nullable Int8.
    track : pandas.Series
        Categorical development track id.
    focus_capital : pandas.Series
        The household's lowest-scoring capital (ties: scheme order), the capital to work on.
    item_scores : pandas.DataFrame or None
        Item scores 0-1 (kept when ``keep_items=True``).
    """

    scheme: Scheme = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    levels: pd.DataFrame = field(repr=False)
    items_answered: pd.DataFrame = field(repr=False)
    missing_reason: pd.DataFrame = field(repr=False)
    overall_level: pd.Series = field(repr=False)
    track: pd.Series = field(repr=False)
    focus_capital: pd.Series = field(repr=False)
    item_scores: pd.DataFrame | None = field(repr=False, default=None)

    def __repr__(self) -> str:
        return (f"HouseholdScores(scheme={self.scheme.scheme_id!r} "
                f"v{self.scheme.scheme_version}, households={len(self.scores)}, "
                f"capitals={list(self.scheme.capital_ids)})")

    @property
    def deprivation(self) -> pd.DataFrame:
        """The 0/1 deprivation matrix over the capitals (see :func:`deprivation_matrix`)."""
        return deprivation_matrix(self.scores, self.scheme)

    def to_frame(self) -> pd.DataFrame:
        """Return one wide table.

        ``score_<cap>``, ``level_<cap>``, ``dep_<cap>``, ``overall_level``, ``track``,
        ``focus_capital``, ``n_capitals_scored``.
        """
        parts = [self.scores.add_prefix("score_"), self.levels.add_prefix("level_"),
                 self.deprivation, self.overall_level, self.track, self.focus_capital,
                 self.scores.notna().sum(axis=1).rename("n_capitals_scored")]
        return pd.concat(parts, axis=1)

    def summary(self, lang: str = "en") -> pd.DataFrame:
        """Return unweighted sample distributions.

        per capital the mean score, share missing and share at each level; plus the overall level
        (row ``overall``).
        """
        rows = []
        for cap in self.scheme.capitals:
            s = self.scores[cap.id]
            lv = self.levels[cap.id]
            row = {"capital": cap.id, "label": cap.label(lang), "mean_score": s.mean(),
                   "share_missing": s.isna().mean()}
            for L in self.scheme.levels:
                row[f"share_level_{L}"] = (lv == L).sum() / max(lv.notna().sum(), 1)
            rows.append(row)
        ov = self.overall_level
        row = {"capital": "overall", "label": "overall" if lang == "en" else "ภาพรวม",
               "mean_score": self.scores.mean(axis=1).mean(), "share_missing": ov.isna().mean()}
        for L in self.scheme.levels:
            row[f"share_level_{L}"] = (ov == L).sum() / max(ov.notna().sum(), 1)
        rows.append(row)
        return pd.DataFrame(rows).set_index("capital")


def score_households(data: pd.DataFrame, scheme: Scheme | str | None = None,
                     keep_items: bool = False) -> HouseholdScores:
    """Score every household: capital scores, levels, overall level, track and focus capital.

    Parameters
    ----------
    data : pandas.DataFrame
        Household rows (``abcresearch.store.read.load(..., table="households")``) with the item
        columns and ``hh_size``.
    scheme : Scheme, str or None
        Scoring scheme (default ``params/scoring.yaml``; ``"slf5"`` for the alternative).
    keep_items : bool, default False
        Keep the 0-1 item scores in the result.

    Returns
    -------
    HouseholdScores

    Examples
    --------
    >>> import pandas as pd
    >>> hs = score_households(pd.DataFrame({"hh_size": [3], "hum_literacy": ["yes"]}))
    >>> hs.missing_reason.loc[0, "human"]
    '1 of 8 items answered; at least 6 needed'
    """
    sch = load_scheme(scheme)
    items = item_scores(data, sch)
    s, present = _capital_matrix(items, sch)
    lev = _levels_array(s, sch)
    overall = _overall_array(lev, sch)
    idx = data.index
    caps = list(sch.capital_ids)
    reasons = {}
    for j, cap in enumerate(sch.capitals):
        m = len(cap.items)
        need = _needed(m, sch.min_share_items)
        k = present[:, j]
        uniq = np.unique(k[k < need])
        rcodes = np.full(len(k), -1, dtype=np.int8)
        cats = [f"{u} of {m} items answered; at least {need} needed" for u in uniq]
        for i, u in enumerate(uniq):
            rcodes[k == u] = i
        texts = pd.Categorical.from_codes(rcodes, categories=cats)
        reasons[cap.id] = texts
    filled = np.where(np.isnan(s), np.inf, s)
    focus_code = np.where(np.isnan(s).all(axis=1), -1, np.argmin(filled, axis=1))
    return HouseholdScores(
        scheme=sch,
        scores=pd.DataFrame(s, index=idx, columns=caps),
        levels=pd.DataFrame({c: _int8(lev[:, j]) for j, c in enumerate(caps)}, index=idx),
        items_answered=pd.DataFrame(present, index=idx, columns=caps),
        missing_reason=pd.DataFrame(reasons, index=idx),
        overall_level=pd.Series(_int8(overall), index=idx, name="overall_level"),
        track=pd.Series(pd.Categorical.from_codes(_track_codes(overall, sch),
                                                  categories=[t["id"] for t in sch.tracks]),
                        index=idx, name="track"),
        focus_capital=pd.Series(pd.Categorical.from_codes(focus_code, categories=caps),
                                index=idx, name="focus_capital"),
        item_scores=items if keep_items else None,
    )
