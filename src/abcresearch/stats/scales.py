"""Scale checks for capital items: Cronbach's alpha, item-rest correlations, factor structure.

These are sample (unweighted) psychometric checks on complete cases, as is usual for
instrument validation; they describe the items, not the population.

* :func:`cronbach_alpha` — raw alpha with Feldt's (1965) F-based confidence interval:
  :math:`(1-\\alpha)/(1-\\hat\\alpha) \\sim F(n-1, (n-1)(k-1))`, so the interval is
  :math:`[1-(1-\\hat\\alpha)F_{1-\\gamma/2},\\ 1-(1-\\hat\\alpha)F_{\\gamma/2}]`
  (the interval of ``psych::alpha.ci``).
* :func:`item_rest` — corrected item-total (item-rest) correlation and alpha if the item is
  dropped.
* :func:`factor_check` — exploratory factor analysis (statsmodels ``Factor``, principal
  axis by default, varimax or promax rotation) showing whether each item loads on the factor
  where most items of its capital load.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError

__all__ = ["cronbach_alpha", "factor_check", "item_rest"]


def _complete(items: pd.DataFrame, min_items: int = 2) -> np.ndarray:
    if not isinstance(items, pd.DataFrame) or items.shape[1] < min_items:
        raise DesignError(f"expected a DataFrame with at least {min_items} item columns")
    x = items.apply(pd.to_numeric, errors="coerce").dropna().to_numpy(dtype=float)
    if x.shape[0] < 3:
        raise DesignError(f"need at least 3 complete rows of items, found {x.shape[0]}")
    return x


def _alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    tot_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / tot_var))


def cronbach_alpha(items: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Cronbach's (raw) alpha of a set of items with Feldt's confidence interval.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item; rows with any missing item are dropped (complete cases).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row indexed ``"alpha"``: ``estimate, ci_low, ci_high, n`` (complete cases) and
        ``k`` (items). The interval method is recorded in ``attrs["method"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4], "c": [1, 2, 3, 4]})
    >>> float(cronbach_alpha(df)["estimate"].iloc[0])
    1.0
    """
    x = _complete(items)
    n, k = x.shape
    a = _alpha(x)
    g = 1 - level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    from scipy import special  # here: importing scipy costs a batch's planning 0.08 s

    lo = 1 - (1 - a) * special.fdtri(df1, df2, 1 - g / 2)  # F quantiles
    hi = 1 - (1 - a) * special.fdtri(df1, df2, g / 2)
    out = pd.DataFrame(
        {"estimate": [a], "ci_low": [lo], "ci_high": [hi], "n": [n], "k": [k]},
        index=pd.Index(["alpha"]),
    )
    out.attrs.update({"statistic": "cronbach_alpha", "level": level,
                      "method": "Feldt (1965) F interval"})
    return out


def item_rest(items: pd.DataFrame) -> pd.DataFrame:
    """Item-rest correlations and alpha-if-item-dropped, on complete cases.

    Returns
    -------
    pandas.DataFrame
        Index = item; columns ``item_rest_r`` (Pearson correlation of the item with the sum of
        the other items) and ``alpha_if_dropped``.
    """
    x = _complete(items, min_items=3)
    total = x.sum(axis=1)
    rest = total[:, None] - x
    xc = x - x.mean(axis=0)
    rc = rest - rest.mean(axis=0)
    r = (xc * rc).sum(axis=0) / np.sqrt((xc**2).sum(axis=0) * (rc**2).sum(axis=0))
    drop = [_alpha(np.delete(x, j, axis=1)) for j in range(x.shape[1])]
    return pd.DataFrame({"item_rest_r": r, "alpha_if_dropped": drop},
                        index=pd.Index(items.columns, name="item"))


def factor_check(
    items: pd.DataFrame,
    capitals: Mapping[str, str],
    n_factors: int | None = None,
    rotation: str | None = "varimax",
    method: str = "pa",
) -> pd.DataFrame:
    """Check by exploratory factor analysis that items load on the factor of their capital.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item; complete cases are used.
    capitals : mapping of item -> capital
        The capital each item is assigned to (every column of ``items`` must be mapped).
    n_factors : int, optional
        Number of factors; default the number of distinct capitals.
    rotation : {"varimax", "promax", None}, default "varimax"
        Rotation applied to the loadings (statsmodels ``FactorResults.rotate``).
    method : {"pa", "ml"}, default "pa"
        statsmodels extraction method (principal axis or maximum likelihood).

    Returns
    -------
    pandas.DataFrame
        Index = item. Columns ``factor_1 .. factor_m`` (rotated loadings), ``capital``,
        ``top_factor`` (factor with the largest absolute loading), ``capital_factor`` (the
        factor that is ``top_factor`` for most items of the capital; ties go to the factor
        with the larger summed absolute loading over the capital's items) and ``consistent``
        (``top_factor == capital_factor``).
    """
    from statsmodels.multivariate.factor import Factor

    missing = [c for c in items.columns if c not in capitals]
    if missing:
        raise DesignError(f"items without a capital in the mapping: {missing}")
    x = _complete(items, min_items=3)
    caps = pd.Series({c: capitals[c] for c in items.columns})
    m = n_factors if n_factors is not None else caps.nunique()
    if not 1 <= m < x.shape[1]:
        raise DesignError(f"n_factors must be between 1 and {x.shape[1] - 1}, found {m}")
    # standardise so loadings are on the correlation scale
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    res = Factor(z, n_factor=m, method=method).fit()
    if rotation is not None and m > 1:
        if rotation not in ("varimax", "promax"):
            raise DesignError(f"rotation must be 'varimax', 'promax' or None, found {rotation!r}")
        res.rotate(rotation)
    load = np.asarray(res.loadings)
    cols = [f"factor_{j + 1}" for j in range(m)]
    out = pd.DataFrame(load, index=pd.Index(items.columns, name="item"), columns=cols)
    out["capital"] = caps
    top = np.abs(load).argmax(axis=1) + 1
    out["top_factor"] = top
    cap_factor = {}
    for cap, sub in out.groupby("capital", sort=False):
        counts = sub["top_factor"].value_counts()
        best = counts[counts == counts.max()].index
        strength = {f: np.abs(sub[f"factor_{f}"]).sum() for f in best}
        cap_factor[cap] = int(max(best, key=lambda f: (strength[f], -f)))
    out["capital_factor"] = out["capital"].map(cap_factor).astype(int)
    out["consistent"] = out["top_factor"] == out["capital_factor"]
    out.attrs.update({"statistic": "factor_check", "method": method, "rotation": rotation,
                      "n": x.shape[0]})
    return out
