"""The numbers of the area report: estimates from the design and counts of households.

Pure functions of the area's households, its :class:`~abcresearch.stats.SurveyDesign` and the
round's cached analysis. They return unrounded, unsuppressed numbers; what may be published is
decided by :mod:`abcresearch.reports.disclosure`, how it is written by
:mod:`abcresearch.reports.formatting`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import AbcResearchWarning

__all__ = [
    "LEVELS",
    "alkire_foster_measures",
    "capital_level_shares",
    "capital_means",
    "child_level1_counts",
    "income_histogram",
    "income_measures",
    "level_counts",
    "lorenz_points",
    "missing_shares",
    "poor_counts",
    "poverty_headcount",
    "quality_counts",
    "round_means",
    "track_counts",
]

#: Overall levels in table order; 0 stands for "not scored".
LEVELS = (1, 2, 3, 0)
_CI = ["estimate", "se", "ci_low", "ci_high"]


def capital_means(design: Any, capitals: Sequence[str], level: float) -> pd.DataFrame:
    """Design-based mean score of each capital with its interval.

    Parameters
    ----------
    design : SurveyDesign
        The area's households.
    capitals : sequence of str
        Capital ids (score columns).
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Index ``capital``; columns ``estimate, se, ci_low, ci_high, n`` (n: households scored).
    """
    rows = []
    for cap in capitals:
        m = design.mean(cap, na_rm=True, level=level).iloc[0]
        rows.append({"capital": cap, **{k: m[k] for k in _CI}, "n": m["n"]})
    return pd.DataFrame(rows, columns=["capital", *_CI, "n"]).set_index("capital")


def round_means(means: pd.DataFrame, capitals: Sequence[str], level: str,
                code: str | None = None) -> pd.Series:
    """Capital means of a larger area from the round's analysis (amphoe or province).

    Parameters
    ----------
    means : pandas.DataFrame
        :attr:`~abcresearch.analysis.round.RoundAnalysis.means`.
    capitals : sequence of str
        Capital ids.
    level : {"amphoe", "province"}
        Area level.
    code : str, optional
        Area code (None: any area of that level, for the round's one province).

    Returns
    -------
    pandas.Series
        Mean by capital; NaN where the round has none.
    """
    out = {}
    for cap in capitals:
        sel = (means["level"] == level) & (means["capital"] == cap)
        if code is not None:
            sel &= means["code"] == code
        hit = means.loc[sel, "estimate"]
        out[cap] = hit.iloc[0] if len(hit) else np.nan
    return pd.Series(out, dtype=float)


def level_counts(households: pd.DataFrame, by: str) -> pd.DataFrame:
    """Households by overall level (columns :data:`LEVELS`), one row per ``by`` area.

    The column 0 (not scored) is dropped when no household lacks a level.
    """
    lv = households["overall_level"].fillna(0).astype(int)
    counts = pd.crosstab(households[by], lv).reindex(columns=list(LEVELS), fill_value=0)
    return counts.loc[:, (counts.sum() > 0) | (counts.columns != 0)]


def capital_level_shares(design: Any, households: pd.DataFrame, capitals: Sequence[str],
                         level: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Design-based share of households at each level of each capital, with the counts.

    Returns
    -------
    shares : pandas.DataFrame
        Index capital, columns 1, 2, 3: weighted shares (0 where no household is at a level).
    counts : pandas.DataFrame
        The same shape: households at each level (unweighted).
    base : pandas.Series
        Households with a level of the capital.
    """
    shares, counts, base = {}, {}, {}
    for cap in capitals:
        p = design.proportion(f"level_{cap}", na_rm=True, level=level)
        est = p["estimate"]
        est.index = [int(float(i)) for i in est.index]
        lv = households[f"level_{cap}"].dropna()
        shares[cap] = [est.get(k, 0.0) for k in (1, 2, 3)]
        counts[cap] = [int((lv == k).sum()) for k in (1, 2, 3)]
        base[cap] = len(lv)
    cols = [1, 2, 3]
    return (pd.DataFrame.from_dict(shares, orient="index", columns=cols),
            pd.DataFrame.from_dict(counts, orient="index", columns=cols),
            pd.Series(base, dtype=float))


def track_counts(households: pd.DataFrame, track_ids: Sequence[str]) -> pd.Series:
    """Households on each development track (0 for a track nobody is on)."""
    tracks = households["track"].value_counts()
    return pd.Series([int(tracks.get(t, 0)) for t in track_ids], index=list(track_ids))


def alkire_foster_measures(design: Any, scheme: Any, capitals: Sequence[str],
                           level: float) -> Any:
    """Alkire-Foster H, A, M0 and contributions over the capitals, with the scheme's k and weights.

    Returns
    -------
    abcresearch.scoring.alkire_foster.AlkireFosterResult
    """
    from abcresearch.scoring.alkire_foster import alkire_foster

    ind = [f"dep_{c}" for c in capitals]
    weights = {f"dep_{c}": w for c, w in scheme.af_weights.items()}
    return alkire_foster(design, ind, k=scheme.af_k, weights=weights, na_rm=True, level=level)


def poor_counts(af: Any, households: pd.DataFrame,
                capitals: Sequence[str]) -> tuple[float, float, pd.Series]:
    """Households poor, households identified at all, and households poor and deprived per capital.

    Returns
    -------
    n_poor, n_base : float
        Poor households; households with every deprivation known.
    censored : pandas.Series
        By capital: households poor and deprived in it.
    """
    hhd = af.household
    poor = hhd["poor"].dropna().astype(bool)
    poor_mask = hhd["poor"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    censored = {}
    for cap in capitals:
        dep = households[f"dep_{cap}"].to_numpy()
        censored[cap] = float(np.nansum(dep[poor_mask] == 1))
    return float(poor.sum()), float(len(poor)), pd.Series(censored, dtype=float)


def poverty_headcount(design: Any, households: pd.DataFrame, survey_round: int,
                      level: float) -> dict[str, Any] | None:
    """Share of households below the BMN income line of the round's year.

    Returns
    -------
    dict or None
        ``estimate, se, ci_low, ci_high`` (unrounded), ``line`` (baht per person per year),
        ``verified`` (whether the line is from a checked source), ``warned`` (a warning was
        raised), ``n_below`` and ``n_base`` (households with income per person, unweighted).
        None when the round's year has no line.
    """
    from abcresearch.stats.poverty import headcount, poverty_line

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AbcResearchWarning)
        try:
            line = poverty_line(survey_round)
        except Exception:
            return None
        if line.value is None:
            return None
        r = headcount(design, "fin_income_year", "hh_size", survey_round, level=level).iloc[0]
    x = households["income_pc"].dropna()
    return {**{k: r[k] for k in _CI}, "line": line.value, "verified": line.verified,
            "warned": bool(caught), "n_below": int((x < line.value).sum()), "n_base": len(x)}


def income_measures(design: Any, level: float) -> pd.DataFrame:
    """Mean household income, median income per person and the Gini of income per person.

    Returns
    -------
    pandas.DataFrame
        Index ``mean, median, gini``; columns ``estimate, se, ci_low, ci_high``.
    """
    from abcresearch.stats.inequality import gini

    mean = design.mean("fin_income_year", na_rm=True, level=level).iloc[0]
    med = design.quantile("income_pc", 0.5, na_rm=True, level=level).iloc[0]
    g = gini(design, "income_pc", na_rm=True, level=level).iloc[0]
    return pd.DataFrame([[r[k] for k in _CI] for r in (mean, med, g)],
                        index=["mean", "median", "gini"], columns=_CI)


def lorenz_points(design: Any, points: int = 21) -> pd.DataFrame:
    """Return the Lorenz curve of income per person at ``points`` evenly spaced shares."""
    from abcresearch.stats.inequality import lorenz

    return lorenz(design, "income_pc", p=np.linspace(0, 1, points))


def income_histogram(households: pd.DataFrame, bins: int = 29,
                     floor: float = 1000.0) -> dict[str, Any]:
    """Households and weighted households in log-spaced bins of income per person.

    Parameters
    ----------
    households : pandas.DataFrame
        With ``income_pc`` and ``weight``.
    bins : int
        Number of bins, evenly spaced on a log scale from ``max(min income, floor)`` to the
        largest income.
    floor : float
        Lowest left edge.

    Returns
    -------
    dict
        ``edges`` (None without a positive income), ``n`` and ``weighted`` per bin, and
        ``n_positive`` (households with a positive income per person).
    """
    x = households["income_pc"].to_numpy(dtype=float)
    w = households["weight"].to_numpy(dtype=float)
    ok = np.isfinite(x) & (x > 0)
    if not ok.any():
        return {"edges": None, "n": None, "weighted": None, "n_positive": 0}
    edges = np.logspace(np.log10(max(x[ok].min(), floor)), np.log10(x[ok].max()), bins + 1)
    n_bin, _ = np.histogram(x[ok], bins=edges)
    w_bin, _ = np.histogram(x[ok], bins=edges, weights=w[ok])
    return {"edges": edges, "n": n_bin, "weighted": w_bin, "n_positive": int(ok.sum())}


def child_level1_counts(households: pd.DataFrame, by: str, codes: Sequence[str]) -> pd.DataFrame:
    """Per area within: households at level 1 (``sum``) and households with a level (``count``)."""
    hh = households[households["overall_level"].notna()]
    l1 = hh.groupby(by)["level1"].agg(["sum", "count"])
    return l1.reindex(list(codes)).fillna(0)


def missing_shares(households: pd.DataFrame, capitals: Sequence[str]) -> pd.Series:
    """Share of households (0-1) whose capital score is missing, by capital."""
    return pd.Series({c: households[c].isna().mean() for c in capitals}, dtype=float)


def quality_counts(survey_round: int, area_code: str, store: Any, households: pd.DataFrame,
                   village_forms: pd.DataFrame) -> dict[str, int]:
    """Return the counts of the data-quality table.

    Returns
    -------
    dict
        ``households_form`` (households on the village forms), ``households_surveyed`` (scored),
        ``households_unweighted`` (stored but not scored: no weight), ``members`` (roster rows),
        ``rejected_area`` (household rows of the area's tambon rejected at ingest) and
        ``rejected`` (rows rejected in the whole round).
    """
    from abcresearch.errors import StoreError
    from abcresearch.store import read as data_mod

    try:
        n_mem = len(data_mod.load(survey_round, area=area_code, store=store, table="members",
                                  columns=["submission_uuid"]))
    except StoreError:
        n_mem = 0
    stored = len(data_mod.load(survey_round, area=area_code, store=store,
                               columns=["submission_uuid"]))
    found = data_mod.issues(survey_round, store,
                            columns=["table", "file", "row", "severity", "tambon_code"])
    errors = found[found["severity"] == "error"]
    mine = errors[(errors["table"] == "households")
                  & errors["tambon_code"].fillna("").str.startswith(area_code[:6])]
    return {
        "households_form": int(village_forms["vil_households"].sum()),
        "households_surveyed": len(households),
        "households_unweighted": stored - len(households),
        "members": n_mem,
        "rejected_area": int(mine[["table", "file", "row"]].drop_duplicates().shape[0]),
        "rejected": int(errors[["table", "file", "row"]].drop_duplicates().shape[0]),
    }
