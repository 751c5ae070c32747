"""Survey rounds: matched households, level transitions, and change between rounds with SEs.

Households are matched on ``hh_key`` (the keyed pseudonym of the head's national ID, stable
across rounds). Transition tables cross the overall level in an earlier round with the level in
a later one (:func:`match_households`, :func:`level_transitions`).

Change (later minus earlier) of capital means, level shares, Alkire-Foster M0 and the
income-poverty headcount comes from :func:`round_change`, on the **stacked** rounds, as a
with-replacement (ultimate-cluster) design without fpc whose PSUs are carried across rounds
(:func:`change_design`): villages within amphoe strata where villages are sampled, households
(``hh_key``) within village strata where every village is surveyed. A village surveyed in both
rounds, or a household matched across rounds, then carries its covariance into the SE; an
fpc is left out because round-specific fpcs cannot share a stratum. The statistics are
:func:`abcresearch.stats.change`. :func:`panel_change` gives the change of H and M0 for
matched households on a design over the panel rows.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from abcresearch.errors import AbcResearchWarning, DesignError, InputError
from abcresearch.scoring.alkire_foster import (
    deprivation_scores,
    indicator_matrix,
    indicator_weights,
)
from abcresearch.scoring.scheme import Scheme
from abcresearch.scoring.scheme_file import load_scheme
from abcresearch.stats.change import change
from abcresearch.stats.core import SurveyDesignBase
from abcresearch.stats.design import SurveyDesign
from abcresearch.stats.domains import domain_ratios, group_codes
from abcresearch.stats.poverty import poverty_line
from abcresearch.stats.results import estimate_table

__all__ = ["Transitions", "change_attrs", "change_design", "change_measures",
           "level_transitions", "match_households", "panel_change", "round_change"]


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


def panel_change(design: SurveyDesignBase, indicators1: Sequence[str] | pd.DataFrame,
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
    G1, n1 = indicator_matrix(design, indicators1)
    G2, _ = indicator_matrix(design, indicators2)
    if G1.shape != G2.shape:
        raise InputError(f"round 1 has {G1.shape[1]} indicators, round 2 has {G2.shape[1]}")
    w = indicator_weights(weights, n1)
    codes, grp = group_codes(design, by)
    labels = pd.Index(["all"]) if grp is None else grp
    miss = np.isnan(G1).any(axis=1) | np.isnan(G2).any(axis=1)
    codes = np.where(miss, -1, codes)
    c1, poor1 = deprivation_scores(G1, w, k)
    c2, poor2 = deprivation_scores(G2, w, k)
    p1, p2 = poor1.astype(float), poor2.astype(float)
    ck1, ck2 = np.nan_to_num(c1) * p1, np.nan_to_num(c2) * p2
    Y = np.column_stack([p1, p2, p2 - p1, ck1, ck2, ck2 - ck1])
    r = domain_ratios(design, Y, None, design.partition(codes, len(labels)))
    parts = []
    for name, j in (("H", 0), ("M0", 3)):
        t = estimate_table(r["estimate"][:, j + 2], r["se"][:, j + 2], r["df"], r["n"], labels,
                           level=level, statistic="panel_change", variable=name)
        t.insert(0, "round2", r["estimate"][:, j + 1])
        t.insert(0, "round1", r["estimate"][:, j])
        t["measure"] = name
        parts.append(t.set_index("measure", append=True))
    return pd.concat(parts).sort_index(level=0, sort_remaining=False)


def change_design(stacked: pd.DataFrame, psu: Literal["village", "household"] = "village", *,
                  weights: str = "weight", amphoe: str = "amphoe_code",
                  village: str = "village_code", household: str = "hh_key",
                  lonely_psu: str = "adjust") -> SurveyDesign:
    """Return the with-replacement design over stacked rounds, with PSUs carried across rounds.

    Parameters
    ----------
    stacked : pandas.DataFrame
        Household rows of several rounds (one column naming the round).
    psu : {"village", "household"}
        ``"village"`` where villages are sampled: strata = amphoe, PSU = village (a village
        surveyed in two rounds is one PSU). ``"household"`` where every village is surveyed:
        strata = village, PSU = household ``hh_key`` (a household matched across rounds is
        one PSU; a household without a key is its own PSU).
    weights, amphoe, village, household : str
        Column names.
    lonely_psu : str, default "adjust"
        Rule for a stratum with one PSU (an amphoe with one sampled village, a village with
        one household).

    Returns
    -------
    SurveyDesign
        No fpc (ultimate-cluster variance): round-specific fpcs cannot share a stratum.
    """
    if psu == "village":
        return SurveyDesign(stacked, weights=weights, strata=amphoe, cluster=village, nest=True,
                            lonely_psu=lonely_psu)
    if psu != "household":
        raise DesignError(f"psu must be 'village' or 'household', found {psu!r}")
    if household not in stacked.columns:
        raise DesignError(f"stacked rounds have no {household!r} column to carry households "
                          "across rounds")
    key = stacked[household].astype("string")
    own = pd.Series([f"(no {household}) row {i}" for i in range(len(stacked))],
                    index=stacked.index, dtype="string")
    data = stacked.assign(psu_household=key.where(key.notna(), own))
    return SurveyDesign(data, weights=weights, strata=village, cluster="psu_household",
                        nest=True, lonely_psu=lonely_psu)


def round_change(
    stacked: pd.DataFrame,
    scheme: Scheme | str | Path | None = None,
    *,
    psu: Literal["village", "household"] = "village",
    round_col: str = "round",
    pairs: Sequence[tuple[Any, Any]] | None = None,
    by: Any = None,
    weights: str = "weight",
    income: str = "fin_income_year",
    members: str = "hh_size",
    poverty_lines: str | Path | None = None,
    lonely_psu: str = "adjust",
    level: float = 0.95,
    design: SurveyDesignBase | None = None,
    df_rule: str = "stacked",
) -> pd.DataFrame:
    """Change between rounds of capital means, level shares, M0 and income poverty, with SEs.

    Parameters
    ----------
    stacked : pandas.DataFrame
        The derived household tables of two or more rounds stacked, with a ``round_col``
        column (Buddhist-era year), ``weight``, area codes, ``hh_key``, the capital score
        columns (one per capital id), ``overall_level``, ``dep_<capital>``, and the income and
        household-size columns. Measures whose columns are absent are left out.
    scheme : Scheme, name or path, optional
        Scoring scheme (capitals, levels, Alkire-Foster k and weights).
    psu : {"village", "household"}
        PSU carried across rounds (see :func:`change_design`).
    round_col : str
        Column naming the round.
    pairs : sequence of (earlier, later), optional
        Rounds to compare; default every consecutive pair.
    by : str, list of str or pandas.Series, optional
        Areas (e.g. ``"tambon_code"``): the change within each.
    weights, income, members : str
        Column names.
    poverty_lines : path, optional
        Alternative ``poverty_lines.yaml`` (the BMN line of each round's year).
    lonely_psu : str
        Lonely-PSU rule of the stacked design.
    level : float
        Confidence level.
    design : SurveyDesign, optional
        A stacked design to use instead of :func:`change_design` (a researcher's override).
    df_rule : {"stacked", "smaller_round"}
        Degrees of freedom of the intervals (:func:`abcresearch.stats.change`).

    Returns
    -------
    pandas.DataFrame
        Tidy: the ``by`` column(s), ``measure`` (``mean_<capital>``, ``share_level<j>``,
        ``m0``, ``poverty_headcount``), ``round_from``, ``round_to``, ``estimate`` (later
        minus earlier), ``se``, ``ci_low``, ``ci_high``, ``df``, ``n``, ``estimate_from``,
        ``estimate_to``.

    Warns
    -----
    AbcResearchWarning
        When the poverty line of a round is marked ``verified: false``.
    """
    aug, names = change_measures(stacked, scheme, psu=psu, round_col=round_col,
                                 weights=weights, income=income, members=members,
                                 poverty_lines=poverty_lines, lonely_psu=lonely_psu,
                                 design=design)
    out = change(aug, {name: name for name in names}, over=round_col, pairs=pairs, by=by,
                 level=level, df_rule=df_rule)
    out.attrs.update(change_attrs(scheme, psu, design))
    return out


def change_attrs(scheme: Scheme | str | Path | None,
                 psu: Literal["village", "household"] = "village",
                 design: SurveyDesignBase | None = None) -> dict[str, str]:
    """Return the ``attrs`` :func:`round_change` adds to its table (``psu``, ``scheme``)."""
    sch = load_scheme(scheme)
    return {"psu": psu if design is None else "given",
            "scheme": f"{sch.scheme_id} v{sch.scheme_version}"}


def change_measures(
    stacked: pd.DataFrame,
    scheme: Scheme | str | Path | None = None,
    *,
    psu: Literal["village", "household"] = "village",
    round_col: str = "round",
    weights: str = "weight",
    income: str = "fin_income_year",
    members: str = "hh_size",
    poverty_lines: str | Path | None = None,
    lonely_psu: str = "adjust",
    design: SurveyDesignBase | None = None,
) -> tuple[SurveyDesignBase, list[str]]:
    """Return the stacked design with the measures of :func:`round_change`, and their names.

    Computed once, the design serves every ``by`` of
    :func:`abcresearch.stats.change` (``change(design, names, over=round_col, by=...)`` gives
    :func:`round_change`'s table, whose ``attrs`` add :func:`change_attrs`). Parameters as
    :func:`round_change`.

    Warns
    -----
    AbcResearchWarning
        When the poverty line of a round is marked ``verified: false``.
    """
    sch = load_scheme(scheme)
    d = design if design is not None else change_design(stacked, psu, weights=weights,
                                                       lonely_psu=lonely_psu)
    data = d.data
    if round_col not in data.columns:
        raise DesignError(f"stacked rounds have no {round_col!r} column")
    cols: dict[str, np.ndarray] = {}
    for cap in sch.capital_ids:
        if cap in data.columns:
            cols[f"mean_{cap}"] = d.values(cap)
    if "overall_level" in data.columns:
        ov = d.values("overall_level")
        for lv in sch.levels:
            cols[f"share_level{lv}"] = np.where(np.isnan(ov), np.nan, (ov == lv) * 1.0)
    dep = [f"dep_{c}" for c in sch.af_weights]
    if all(c in data.columns for c in dep):
        G = np.column_stack([d.values(c) for c in dep])
        c, poor = deprivation_scores(G, np.array(list(sch.af_weights.values())), sch.af_k)
        cols["m0"] = np.where(np.isnan(c), np.nan, c * poor)
    if income in data.columns and members in data.columns:
        inc, mem = d.values(income), d.values(members)
        rounds = data[round_col].to_numpy()
        line = np.full(len(data), np.nan)
        for r in pd.unique(rounds[d.domain & pd.notna(rounds)]):
            ln = poverty_line(int(r), poverty_lines)
            if not ln.verified:  # as stats.poverty.headcount says it
                warnings.warn(f"poverty line {ln.value:,.0f} baht for {r} is not verified "
                              f"({ln.source})", AbcResearchWarning, stacklevel=3)
            assert ln.value is not None, "poverty_line returns only lines whose value is set"
            line[rounds == r] = float(ln.value)
        with np.errstate(invalid="ignore", divide="ignore"):
            pc = inc / np.where(mem > 0, mem, np.nan)
        cols["poverty_headcount"] = np.where(np.isnan(pc) | np.isnan(line), np.nan,
                                             (pc < line) * 1.0)
    if not cols:
        raise DesignError("stacked rounds hold none of the change measures' columns "
                          "(capital scores, overall_level, dep_<capital>, income and members)")
    return d.with_columns(**cols), list(cols)
