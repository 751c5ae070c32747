"""Two survey rounds: matched households, level transitions, and changes in M0 with SEs.

Households are matched on ``hh_key`` (the keyed pseudonym of the head's national ID, stable
across rounds). Transition tables cross the overall level in round 1 with the level in round 2.
Changes in the Alkire-Foster measures come in two flavours:

* :func:`panel_change` on the matched households: one design over the panel rows (round-1
  weights and strata by default), the change in M0 (and H) is the mean of the per-household
  difference, so its SE accounts for the correlation between rounds;
* :func:`independent_change` for two separately drawn samples: difference of the two estimates,
  SE = sqrt(se1^2 + se2^2), Wald interval with min(df1, df2) degrees of freedom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abcresearch.errors import InputError
from abcresearch.scoring._linear import domain_ratios, frame, group_codes, tcrit
from abcresearch.scoring.alkire_foster import AlkireFosterResult, _weights

if TYPE_CHECKING:
    from abcresearch.stats import SurveyDesign

__all__ = ["Transitions", "independent_change", "level_transitions", "match_households",
           "panel_change"]


def match_households(round1: pd.DataFrame, round2: pd.DataFrame, key: str = "hh_key",
                     suffixes: tuple[str, str] = ("_r1", "_r2")) -> pd.DataFrame:
    """Match households surveyed in both rounds on their stable pseudonym.

    Parameters
    ----------
    round1, round2 : pandas.DataFrame
        Household rows of each round (with scores / levels joined), each with ``key``.
    key : str
        Matching column (``hh_key``).
    suffixes : tuple of str
        Suffixes for the columns of each round.

    Returns
    -------
    pandas.DataFrame
        One row per household found in both rounds; ``attrs`` records how many households of
        each round were not matched.

    Raises
    ------
    InputError
        When ``key`` is missing or duplicated within a round.
    """
    for name, df in (("round1", round1), ("round2", round2)):
        if key not in df.columns:
            raise InputError(f"{name} has no {key!r} column to match households on")
        dup = df[key].dropna().duplicated()
        if dup.any():
            raise InputError(f"{name}: {int(dup.sum())} duplicated {key} values, e.g. "
                             f"{list(df[key].dropna()[dup][:3])}")
    a = round1.add_suffix(suffixes[0]).rename(columns={key + suffixes[0]: key})
    b = round2.add_suffix(suffixes[1]).rename(columns={key + suffixes[1]: key})
    m = a.merge(b, on=key, how="inner")
    m.attrs.update({"unmatched_round1": int(len(round1) - len(m)),
                    "unmatched_round2": int(len(round2) - len(m))})
    return m


@dataclass(frozen=True)
class Transitions:
    """Level transition table (round-1 level by round-2 level).

    Attributes
    ----------
    counts : pandas.DataFrame
        Unweighted numbers of matched households.
    weighted : pandas.DataFrame
        Weighted totals (when weights were given; else equal to counts).
    row_shares : pandas.DataFrame
        Weighted shares within each round-1 level (rows add up to 1).
    """

    counts: pd.DataFrame
    weighted: pd.DataFrame
    row_shares: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Return the share of households that moved up, stayed, or moved down (weighted)."""
        W = self.weighted
        levels = [x for x in W.index if x in W.columns]
        tot = W.to_numpy().sum()
        up = sum(W.loc[i, j] for i in levels for j in levels if j > i)
        down = sum(W.loc[i, j] for i in levels for j in levels if j < i)
        same = sum(W.loc[i, i] for i in levels)
        return pd.DataFrame({"share": [up / tot, same / tot, down / tot]},
                            index=pd.Index(["up", "same", "down"], name="movement"))


def level_transitions(matched: pd.DataFrame, level1: str = "overall_level_r1",
                      level2: str = "overall_level_r2", weights: str | None = None,
                      levels: Sequence[int] = (1, 2, 3)) -> Transitions:
    """Cross-tabulate levels in round 1 and round 2 for matched households.

    Parameters
    ----------
    matched : pandas.DataFrame
        Output of :func:`match_households`.
    level1, level2 : str
        Level columns of each round.
    weights : str, optional
        Weight column (e.g. ``weight_r1``); unweighted when None.
    levels : sequence of int
        Levels to show (rows and columns), so empty levels still appear.

    Returns
    -------
    Transitions
    """
    for c in (level1, level2, *([weights] if weights else [])):
        if c not in matched.columns:
            raise InputError(f"matched table has no {c!r} column")
    ok = matched[level1].notna() & matched[level2].notna()
    m = matched[ok]
    l1 = pd.Categorical(m[level1].astype(int), categories=list(levels))
    l2 = pd.Categorical(m[level2].astype(int), categories=list(levels))
    counts = pd.crosstab(l1, l2, dropna=False).rename_axis(index="level_round1",
                                                           columns="level_round2")
    if weights:
        w = pd.to_numeric(m[weights], errors="coerce").fillna(0)
        weighted = pd.crosstab(l1, l2, values=w, aggfunc="sum", dropna=False).fillna(0.0)
        weighted = weighted.rename_axis(index="level_round1", columns="level_round2")
    else:
        weighted = counts.astype(float)
    rs = weighted.div(weighted.sum(axis=1).replace(0, np.nan), axis=0)
    return Transitions(counts=counts, weighted=weighted, row_shares=rs)


def panel_change(design: SurveyDesign, indicators1: Sequence[str] | pd.DataFrame,
                 indicators2: Sequence[str] | pd.DataFrame, k: float,
                 weights: Mapping[str, float] | Sequence[float] | None = None, by: Any = None,
                 level: float = 0.95) -> pd.DataFrame:
    """Change in H and M0 between rounds for matched households (round 2 minus round 1).

    Parameters
    ----------
    design : SurveyDesign
        Design over the matched rows (e.g. built on :func:`match_households` output with the
        round-1 weights and strata).
    indicators1, indicators2 : list of str or pandas.DataFrame
        The same 0/1 deprivation indicators in round 1 and round 2 (same order).
    k : float
        Poverty cut-off (share).
    weights : Mapping or sequence, optional
        Indicator weights (by position, or keyed by the round-1 names); equal when None.
    by : str, list of str or Series, optional
        Subgroups.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Rows ``(group, measure)`` for measure in ``H``, ``M0``: ``round1``, ``round2``,
        ``estimate`` (the change), ``se``, ``ci_low``, ``ci_high`` (Wald t), ``df``, ``n``.
    """
    from abcresearch.scoring.alkire_foster import _indicator_matrix

    G1, n1 = _indicator_matrix(design, indicators1)
    G2, _ = _indicator_matrix(design, indicators2)
    if G1.shape != G2.shape:
        raise InputError(f"round 1 has {G1.shape[1]} indicators, round 2 has {G2.shape[1]}")
    w = _weights(weights, n1)
    codes, labels = group_codes(design, by)
    miss = np.isnan(G1).any(axis=1) | np.isnan(G2).any(axis=1)
    codes = np.where(miss, -1, codes)
    c1 = np.nan_to_num(G1) @ w
    c2 = np.nan_to_num(G2) @ w
    p1 = (c1 >= k - 1e-9).astype(float)
    p2 = (c2 >= k - 1e-9).astype(float)
    Y = np.column_stack([p1, p2, p2 - p1, c1 * p1, c2 * p2, c2 * p2 - c1 * p1])
    r = domain_ratios(design, Y, None, codes, len(labels))
    parts = []
    for name, j in (("H", 0), ("M0", 3)):
        t = frame({"estimate": r["estimate"][:, j + 2], "se": r["se"][:, j + 2],
                   "df": r["df"], "n": r["n"]}, labels, level, "wald")
        t.insert(0, "round2", r["estimate"][:, j + 1])
        t.insert(0, "round1", r["estimate"][:, j])
        t["measure"] = name
        parts.append(t.set_index("measure", append=True))
    return pd.concat(parts).sort_index(level=0, sort_remaining=False)


def independent_change(before: AlkireFosterResult, after: AlkireFosterResult,
                       level: float = 0.95) -> pd.DataFrame:
    """Change in H, A and M0 between two independent samples (``after - before``).

    Parameters
    ----------
    before, after : AlkireFosterResult
        Results of :func:`~abcresearch.scoring.alkire_foster` on each round (same ``by``).
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Rows ``(group, measure)``: ``round1``, ``round2``, ``estimate`` (change), ``se``
        (sqrt(se1^2 + se2^2)), ``ci_low``, ``ci_high`` (Wald t with min(df1, df2)), ``df``.
    """
    parts = []
    for name in ("H", "A", "M0"):
        a, b = getattr(before, name), getattr(after, name)
        j = a.add_suffix("_1").join(b.add_suffix("_2"), how="inner")
        est = j["estimate_2"] - j["estimate_1"]
        se = np.sqrt(j["se_1"] ** 2 + j["se_2"] ** 2)
        df = np.minimum(j["df_1"], j["df_2"])
        tq = tcrit(level, df.to_numpy())
        t = pd.DataFrame({"round1": j["estimate_1"], "round2": j["estimate_2"], "estimate": est,
                          "se": se, "ci_low": est - tq * se, "ci_high": est + tq * se,
                          "df": df.astype(np.int64)}, index=j.index)
        t["measure"] = name
        parts.append(t.set_index("measure", append=True))
    out = pd.concat(parts).sort_index(level=0, sort_remaining=False)
    out.attrs["level"] = level
    return out
