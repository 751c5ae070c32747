"""Alkire-Foster multidimensional deprivation (Alkire & Foster 2011) with design-based inference.

Notation follows Alkire, Foster, Seth, Santos, Roche and Ballón (2015), ch. 5: ``g0`` is the
n x d deprivation matrix (1 = deprived), ``w`` the indicator weights (adding up to 1),
``c = g0 @ w`` the deprivation score, a household is *identified as poor* iff ``c >= k``
(weak inequality, as mpitbR), ``c(k)`` is the censored score (c when poor, else 0) and
``g0(k)`` the censored matrix. With sampling weights:

* H = share poor; M0 = mean of c(k) = H x A; censored headcount h_j(k) = share poor and
  deprived in j; uncensored headcount h_j = share deprived in j. These are means of household
  variables: linearised SEs, and logit intervals with the design df (``svyciprop`` / mpitbR).
* A = sum w c(k) / sum w 1[poor]: a ratio (the mean of c over the poor domain), with
  ratio-linearised SE, logit interval and the df of the poor domain (as mpitbR, which takes
  ``svymean`` on ``subset(design, poor)``).
* Contribution of j = w_j h_j(k) / M0 (shares add up to 1): ratio of totals, linearised SE
  via the design; Wald t interval with the domain df (mpitbR reports no SE here), not
  clipped to [0, 1].
* With ``by=``: every measure per group (domain estimation, full design kept), plus population
  shares and each group's contribution (n_g/n) M0_g / M0 to the overall M0.

Floating point: c is compared with ``k - 1e-9`` so that, e.g., three indicators of weight 1/9
reach k = 1/3.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError
from abcresearch.stats.core import SurveyDesignBase
from abcresearch.stats.domains import domain_ratios, group_codes
from abcresearch.stats.results import estimate_table

if TYPE_CHECKING:
    from abcresearch.scoring.households import HouseholdScores

__all__ = ["AlkireFosterResult", "alkire_foster", "capital_deprivation", "deprivation_scores",
           "indicator_matrix", "indicator_weights", "nested_weights"]

_TOL = 1e-9


def deprivation_scores(G: np.ndarray, w: np.ndarray, k: float) -> tuple[np.ndarray, np.ndarray]:
    """Deprivation score ``c = G @ w`` and identification ``poor = c >= k`` (weak inequality).

    ``c`` is compared with ``k - 1e-9`` so that, e.g., three indicators of weight 1/9 reach
    k = 1/3. Rows with a missing indicator get ``c = NaN`` and ``poor = False``.

    Parameters
    ----------
    G : numpy.ndarray, shape (n, d)
        0/1 deprivation matrix (NaN = missing).
    w : numpy.ndarray, shape (d,)
        Indicator weights adding up to 1.
    k : float
        Poverty cut-off (share).

    Returns
    -------
    c, poor : numpy.ndarray
    """
    nan = np.isnan(G)
    missing = nan.any(axis=1)
    c = np.where(nan, 0.0, G) @ w
    poor = ~missing & (c >= k - _TOL)
    return np.where(missing, np.nan, c), poor


def nested_weights(dimensions: Mapping[str, Sequence[str]],
                   dimension_weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Nested weights: each dimension's weight split equally among its indicators.

    Parameters
    ----------
    dimensions : Mapping
        ``{dimension: [indicator, ...]}``.
    dimension_weights : Mapping, optional
        Weight per dimension (adding up to 1); equal when omitted.

    Returns
    -------
    dict
        ``{indicator: weight}`` adding up to 1.

    Examples
    --------
    >>> nested_weights({"health": ["a"], "living": ["b", "c"]})
    {'a': 0.5, 'b': 0.25, 'c': 0.25}
    """
    if not dimensions:
        raise DesignError("nested_weights needs at least one dimension")
    dw = dimension_weights or {d: 1 / len(dimensions) for d in dimensions}
    if set(dw) != set(dimensions):
        raise DesignError(f"dimension_weights {sorted(dw)} must name the dimensions "
                          f"{sorted(dimensions)}")
    if abs(sum(dw.values()) - 1) > 1e-6:
        raise DesignError(f"dimension weights add up to {sum(dw.values()):g}, not 1")
    out: dict[str, float] = {}
    for d, inds in dimensions.items():
        if not inds:
            raise DesignError(f"dimension {d!r} has no indicators")
        for i in inds:
            out[i] = dw[d] / len(inds)
    return out


@dataclass(frozen=True)
class AlkireFosterResult:
    """Alkire-Foster measures with design-based SEs and intervals.

    Attributes
    ----------
    H, A, M0 : pandas.DataFrame
        ``estimate, se, ci_low, ci_high, df, n``; one row (``"all"``) or one per group.
    censored_headcount, uncensored_headcount : pandas.DataFrame
        Same columns; index = indicator, or (group, indicator) with ``by``.
    contribution : pandas.DataFrame
        Each indicator's share of M0 (0-1, adding up to 1 per group) with SE and Wald interval;
        column ``absolute`` holds w_j h_j(k) (mpitbR's ``actb``).
    population_share : pandas.DataFrame or None
        With ``by``: each group's share of the (weighted) population (SE only for <= 20 groups).
    subgroup_contribution : pandas.Series or None
        With ``by``: (n_g/n) M0_g / M0 for each group (adds up to 1).
    overall : AlkireFosterResult or None
        With ``by``: the same measures for the whole domain.
    k : float
        Poverty cut-off (share).
    weights : pandas.Series
        Indicator weights.
    level : float
        Confidence level.
    by : str, list or None
        The grouping.
    household : pandas.DataFrame
        Per row of the design's data: ``score`` c, ``poor``, ``censored_score`` c(k)
        (NaN outside the domain or with missing indicators).
    """

    H: pd.DataFrame
    A: pd.DataFrame
    M0: pd.DataFrame
    censored_headcount: pd.DataFrame
    uncensored_headcount: pd.DataFrame
    contribution: pd.DataFrame
    k: float
    weights: pd.Series
    level: float
    by: Any = None
    population_share: pd.DataFrame | None = None
    subgroup_contribution: pd.Series | None = None
    overall: AlkireFosterResult | None = field(default=None, repr=False)
    household: pd.DataFrame | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (f"AlkireFosterResult(k={self.k:g}, indicators={list(self.weights.index)}, "
                f"groups={len(self.M0)}, level={self.level})")

    def to_frame(self) -> pd.DataFrame:
        """Return all measures in one long table.

        ``measure``, group keys, ``indicator``, ``estimate, se, ci_low, ci_high, df, n``.
        """
        parts = []
        for name in ("H", "A", "M0"):
            t = getattr(self, name).copy()
            t.insert(0, "indicator", "")
            t.insert(0, "measure", name)
            parts.append(t)
        for name, t0 in (("hd", self.uncensored_headcount), ("hdk", self.censored_headcount),
                         ("pctb", self.contribution.drop(columns="absolute"))):
            t = t0.reset_index(level="indicator")
            t.insert(0, "measure", name)
            parts.append(t)
        out = pd.concat(parts)
        out.attrs.update({"k": self.k, "level": self.level})
        return out

    def summary(self) -> pd.DataFrame:
        """Return a compact table: H, A and M0 estimates with their SEs, one row per group."""
        cols = {}
        for name in ("H", "A", "M0"):
            t = getattr(self, name)
            cols[name] = t["estimate"]
            cols[f"{name}_se"] = t["se"]
        out = pd.DataFrame(cols)
        if self.population_share is not None:
            out["population_share"] = self.population_share["estimate"]
            out["contribution_to_M0"] = self.subgroup_contribution
        out.attrs.update({"k": self.k, "level": self.level})
        return out


def indicator_matrix(design: SurveyDesignBase, indicators: Any) -> tuple[np.ndarray, list[str]]:
    """Return the 0/1 deprivation matrix (rows of ``design.data``) and indicator names.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    indicators : list of str or pandas.DataFrame
        Column names of ``design.data``, or a frame aligned on the data index (same labels in
        any order; a mismatching index is an error).

    Raises
    ------
    DesignError
        For unknown columns, a mismatching index, or values other than 0, 1 and missing.
    """
    data = design.data
    if isinstance(indicators, pd.DataFrame):
        names = [str(c) for c in indicators.columns]
        try:
            num = indicators.astype(float)
        except (TypeError, ValueError):
            raise DesignError("indicators must be 0/1 deprivation indicators (1 = deprived); "
                              "found non-numeric values") from None
        G = design.align(num, "indicators")
    else:
        names = [indicators] if isinstance(indicators, str) else list(indicators)
        bad = [c for c in names if c not in data.columns]
        if bad:
            raise DesignError(f"indicators {bad} are not columns of the design's data")
        G = data[names].astype(float).to_numpy(dtype=float, na_value=np.nan)
    if not names:
        raise DesignError("alkire_foster needs at least one indicator")
    bad = ~((G == 0) | (G == 1) | np.isnan(G))
    if bad.any():
        vals = np.unique(G[bad])
        raise DesignError(f"indicators must be 0/1 deprivation indicators (1 = deprived); "
                          f"found values {list(vals[:6])}")
    return G, names


def indicator_weights(weights: Any, names: list[str]) -> np.ndarray:
    """Return indicator weights as an array in the order of ``names`` (equal when None).

    Raises
    ------
    DesignError
        When the weights do not name exactly the indicators, or do not add up to 1.
    """
    d = len(names)
    if weights is None:
        return np.full(d, 1 / d)
    if isinstance(weights, Mapping):
        missing = [c for c in names if c not in weights]
        extra = [c for c in weights if c not in names]
        if missing or extra:
            raise DesignError(f"weights must name exactly the indicators {names}; missing "
                              f"{missing}, unknown {extra}")
        w = np.array([float(weights[c]) for c in names])
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (d,):
            raise DesignError(f"weights must have one value per indicator ({d}), found "
                              f"{w.shape}")
    if np.any(w < 0) or abs(w.sum() - 1) > 1e-6:
        raise DesignError(f"weights must be >= 0 and add up to 1; found sum {w.sum():g}")
    return w


def alkire_foster(
    design: SurveyDesignBase,
    indicators: Sequence[str] | pd.DataFrame,
    k: float,
    weights: Mapping[str, float] | Sequence[float] | None = None,
    by: Any = None,
    level: float = 0.95,
    na_rm: bool = False,
    overall: bool = True,
) -> AlkireFosterResult:
    """Alkire-Foster H, A, M0, indicator headcounts and contributions with design-based SEs.

    Parameters
    ----------
    design : SurveyDesign
        Survey design (:class:`abcresearch.stats.SurveyDesign`), possibly a domain
        (``design.subset(mask)``).
    indicators : list of str or pandas.DataFrame
        0/1 deprivation indicators (1 = deprived): column names of ``design.data``, or a frame
        aligned on the index of ``design.data``.
    k : float
        Poverty cut-off as a share in (0, 1]; poor iff deprivation score >= k. (mpitbR takes k
        in percent: k = 33 there is 0.33 here.)
    weights : Mapping or sequence, optional
        Indicator weights adding up to 1 (see :func:`nested_weights`); equal when None.
    by : str, list of str or pandas.Series, optional
        Subgroups (village, tambon, amphoe, sex of head, ...); a Series is aligned on the data
        index.
    level : float, default 0.95
        Confidence level.
    na_rm : bool, default False
        Drop households with a missing indicator (complete-case domain); otherwise missing
        indicators inside the domain raise an error.
    overall : bool, default True
        With ``by``: also estimate every measure for the whole domain (``result.overall``).

    Returns
    -------
    AlkireFosterResult

    Raises
    ------
    DesignError
        For non-0/1 indicators, weights that do not add up to 1, k outside (0, 1], or missing
        indicators without ``na_rm``.

    Examples
    --------
    >>> import pandas as pd
    >>> from abcresearch.stats import SurveyDesign
    >>> g = pd.DataFrame({"a": [0, 1, 1, 0], "b": [0, 0, 1, 1]})
    >>> r = alkire_foster(SurveyDesign(g), ["a", "b"], k=0.5)
    >>> float(r.M0["estimate"].iloc[0])
    0.5
    """
    if isinstance(k, bool) or not isinstance(k, int | float) or not 0 < k <= 1:
        raise DesignError(f"k must be a share in (0, 1] (mpitbR's k = 33 percent is 0.33 here); "
                          f"found {k!r}")
    G, names = indicator_matrix(design, indicators)
    w = indicator_weights(weights, names)
    codes, grp = group_codes(design, by)
    labels = pd.Index(["all"]) if grp is None else grp
    n_dom = len(labels)
    missing = np.isnan(G).any(axis=1)
    if (missing & (codes >= 0)).any():
        if not na_rm:
            raise DesignError(f"{int((missing & (codes >= 0)).sum())} households in the domain "
                              "have a missing indicator; pass na_rm=True to use complete cases")
        codes = np.where(missing, -1, codes)
    Gz = np.where(np.isnan(G), 0.0, G)
    c, poor = deprivation_scores(G, w, k)  # c is NaN where an indicator is missing
    pf = poor.astype(float)
    ck = np.where(missing, 0.0, c) * pf
    Gk = Gz * pf[:, None]

    d = len(names)
    # means of household variables: poor, c(k), g0_j, g0_j(k); one partition for all
    part = design.partition(codes, n_dom)
    means = domain_ratios(design, np.column_stack([pf, ck, Gz, Gk]), None, part)
    # ratios: A = sum c(k) / sum poor; contribution_j = w_j sum g0_j(k) / sum c(k)
    ratios = domain_ratios(design, np.column_stack([ck, Gk * w[None, :]]),
                           np.column_stack([pf] + [ck] * d), part)
    poor_codes = np.where(poor, codes, -1)
    df_poor = design.domain_df(poor_codes, n_dom)
    n_poor = np.bincount(poor_codes[poor_codes >= 0], minlength=n_dom)

    def table(r: dict[str, np.ndarray], j: int, index: pd.Index, interval: str,
              statistic: str, df: np.ndarray | None = None,
              n: np.ndarray | None = None) -> pd.DataFrame:
        return estimate_table(r["estimate"][:, j], r["se"][:, j],
                              r["df"] if df is None else df, r["n"] if n is None else n,
                              index, level=level, statistic=statistic, interval=interval)

    H = table(means, 0, labels, "logit", "H")
    M0 = table(means, 1, labels, "logit", "M0")
    A = table(ratios, 0, labels, "logit", "A", df_poor, n_poor)
    # indicator tables in one call each: rows group-major, indicators in the given order
    idx = _indicator_index(labels, names, by is not None)

    def block(r: dict[str, np.ndarray], first: int, interval: str, statistic: str,
              extra: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        cols = slice(first, first + d)
        return estimate_table(r["estimate"][:, cols].ravel(), r["se"][:, cols].ravel(),
                              np.repeat(r["df"], d), np.repeat(r["n"], d), idx, level=level,
                              statistic=statistic, interval=interval, extra=extra)

    hd = block(means, 2, "logit", "hd")
    hdk = block(means, 2 + d, "logit", "hdk")
    contribution = block(ratios, 1, "wald", "contribution",
                         {"absolute": (means["estimate"][:, 2 + d:2 + 2 * d]
                                       * w[None, :]).ravel()})

    pop_share = sub_contrib = whole = None
    if by is not None:
        pop_share = _population_share(design, codes, labels, level)
        used = codes >= 0
        wu = design.weights[used]
        m0_all = float(np.sum(wu * ck[used]) / np.sum(wu))
        with np.errstate(divide="ignore", invalid="ignore"):
            sub_contrib = pd.Series(pop_share["estimate"].to_numpy()
                                    * M0["estimate"].to_numpy() / m0_all,
                                    index=labels, name="contribution_to_M0")
        if overall:
            whole = alkire_foster(design, pd.DataFrame(np.where(used[:, None], Gz, np.nan),
                                                       index=design.data.index, columns=names),
                                  k, dict(zip(names, w, strict=True)), None, level, na_rm=True)

    in_dom = codes >= 0
    household = pd.DataFrame({"score": np.where(in_dom, c, np.nan),
                              "poor": pd.arrays.BooleanArray(poor & in_dom, ~in_dom),
                              "censored_score": np.where(in_dom, ck, np.nan)},
                             index=design.data.index)
    return AlkireFosterResult(
        H=H, A=A, M0=M0, censored_headcount=hdk, uncensored_headcount=hd,
        contribution=contribution, k=float(k), weights=pd.Series(w, index=names, name="weight"),
        level=level, by=by, population_share=pop_share, subgroup_contribution=sub_contrib,
        overall=whole, household=household,
    )


def _population_share(design: SurveyDesignBase, codes: np.ndarray, labels: pd.Index,
                      level: float) -> pd.DataFrame:
    """Share of each group in the domain's weighted population.

    SEs (ratio linearisation through ``design.total_vcov``) only for up to 20 groups (dense
    computation), NaN beyond.
    """
    n_dom = len(labels)
    w = design.weights
    used = codes >= 0
    tot = np.bincount(codes[used], weights=w[used], minlength=n_dom)
    big = tot.sum()
    est = tot / big
    se = np.full(n_dom, np.nan)
    if n_dom <= 20:
        Z = np.zeros((len(codes), n_dom))
        Z[np.flatnonzero(used), codes[used]] = 1.0
        Z = np.where(used[:, None], (Z - est[None, :]) / big, 0.0)
        se = np.sqrt(np.maximum(np.diag(design.total_vcov(Z)), 0.0))
    df = np.full(n_dom, design.domain_df(np.where(used, 0, -1), 1)[0])
    n = np.bincount(codes[used], minlength=n_dom)
    return estimate_table(est, se, df, n, labels, level=level, statistic="population_share",
                          interval="logit")


def _indicator_index(labels: pd.Index, names: list[str], grouped: bool) -> pd.Index:
    """Index of an indicator table: ``indicator``, or (group..., indicator) group-major."""
    if not grouped:
        return pd.Index(names, name="indicator")
    d = len(names)
    if isinstance(labels, pd.MultiIndex):
        arrays = [labels.get_level_values(i).repeat(d) for i in range(labels.nlevels)]
        lnames = list(labels.names)
    else:
        arrays, lnames = [labels.repeat(d)], [labels.name]
    return pd.MultiIndex.from_arrays([*arrays, np.tile(np.asarray(names, dtype=object),
                                                       len(labels))],
                                     names=[*lnames, "indicator"])


def capital_deprivation(design: SurveyDesignBase, scores: HouseholdScores, by: Any = None,
                        k: float | None = None, level: float = 0.95,
                        na_rm: bool = True, overall: bool = True) -> AlkireFosterResult:
    """Alkire-Foster measure over the capitals of a scoring scheme.

    A household is deprived in a capital when its score is below the capital's
    ``deprivation_cutoff``; capital weights and k come from the scheme's ``alkire_foster``
    section unless ``k`` is given.

    Parameters
    ----------
    design : SurveyDesign
        Design built on the same household rows that were scored.
    scores : HouseholdScores
        Output of :func:`~abcresearch.scoring.score_households`.
    by : str, list of str or pandas.Series, optional
        Subgroups.
    k : float, optional
        Overrides the scheme's k.
    level : float, default 0.95
        Confidence level.
    na_rm : bool, default True
        Complete cases only (households with every capital scored).
    overall : bool, default True
        With ``by``: also estimate the measures for the whole domain.

    Returns
    -------
    AlkireFosterResult
    """
    sch = scores.scheme
    dep = scores.deprivation
    w = {f"dep_{c}": v for c, v in sch.af_weights.items()}
    return alkire_foster(design, dep, sch.af_k if k is None else k, w, by=by, level=level,
                         na_rm=na_rm, overall=overall)
