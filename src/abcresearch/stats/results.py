"""The result table every estimator returns, its t quantiles and its intervals.

One builder, :func:`estimate_table`, gives every estimator of :mod:`abcresearch.stats` and
:mod:`abcresearch.scoring` the same tidy frame: the fixed columns
``estimate, se, ci_low, ci_high, df, n`` (an estimator may add its own after them), the
confidence level, the statistic and the interval method in ``DataFrame.attrs`` (never in a
column name), numbers unrounded.

Intervals:

* ``"wald"``: ``estimate -/+ qt(1 - (1-level)/2, df) * se`` (R's ``confint(x, df=df)``);
* ``"logit"``: :func:`logit_interval`, R's ``svyciprop(method="logit")``. At p = 0 or 1 the
  interval collapses to the point [p, p], as R returns it (its glm stops at a fitted value a
  few 1e-12 from the bound, SE 0), instead of NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError

__all__ = ["COLUMNS", "estimate_table", "logit_interval", "tcrit"]

#: The fixed columns of every estimate table, in order.
COLUMNS = ("estimate", "se", "ci_low", "ci_high", "df", "n")


def tcrit(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided t quantile ``qt(1 - (1-level)/2, df)`` at each df (NaN where df < 1).

    Raises
    ------
    DesignError
        If ``level`` is not strictly between 0 and 1.
    """
    if not 0 < level < 1:
        raise DesignError(f"level must be between 0 and 1 (e.g. 0.95), found {level!r}")
    dfa = np.asarray(df, dtype=float)
    out = np.full(dfa.shape, np.nan)
    ok = dfa > 0
    from scipy import special  # here: importing scipy costs a batch's planning 0.08 s

    out[ok] = special.stdtrit(dfa[ok], 1 - (1 - level) / 2)  # t quantile
    return out


def logit_interval(p: np.ndarray, se: np.ndarray, df: np.ndarray,
                   level: float) -> tuple[np.ndarray, np.ndarray]:
    """``svyciprop(method="logit")`` interval: expit(logit p -/+ t * se / (p (1 - p))).

    At p = 0 or p = 1 the interval is the point itself, [p, p] (R gives the same to within
    1e-11; the formula alone would give NaN). Without design degrees of freedom (df < 1) there
    is no interval (NaN), as in R.

    Parameters
    ----------
    p, se : numpy.ndarray
        Proportions and their linearised standard errors.
    df : numpy.ndarray
        Design degrees of freedom.
    level : float
        Confidence level.

    Returns
    -------
    (ci_low, ci_high) : tuple of numpy.ndarray
    """
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    tq = tcrit(level, df)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lp = np.log(p / (1 - p))
        sl = se / (p * (1 - p))
        lo = 1 / (1 + np.exp(-(lp - tq * sl)))
        hi = 1 / (1 + np.exp(-(lp + tq * sl)))
    edge = ((p == 0) | (p == 1)) & ~np.isnan(tq)  # no interval at all without design df
    return np.where(edge, p, lo), np.where(edge, p, hi)


def estimate_table(
    estimate: Any,
    se: Any,
    df: Any,
    n: Any,
    index: pd.Index,
    *,
    level: float,
    statistic: str,
    variable: str | None = None,
    interval: str | tuple[Any, Any] = "wald",
    extra: Mapping[str, Any] | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Build the tidy result table of an estimator.

    Parameters
    ----------
    estimate, se, df, n : array-like
        One value per row (``df`` and ``n`` are stored as integers).
    index : pandas.Index
        Row labels (variable name, categories, or domain values named after the ``by``
        columns).
    level : float
        Confidence level.
    statistic : str
        What was estimated (``mean``, ``total``, ``ratio``, ``proportion``, ...).
    variable : str, optional
        The analysis variable.
    interval : {"wald", "logit"} or (ci_low, ci_high)
        How to form the interval, or the interval itself (e.g. Woodruff for quantiles).
    extra : Mapping, optional
        Further columns, placed after the fixed ones.
    attrs : Mapping, optional
        Further metadata for ``DataFrame.attrs``.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, se, ci_low, ci_high, df, n`` (+ ``extra``); ``attrs`` holds
        ``statistic``, ``variable``, ``level`` and ``interval``.
    """
    est = np.asarray(estimate, dtype=float)
    s = np.asarray(se, dtype=float)
    if isinstance(interval, tuple):
        lo, hi = (np.asarray(x, dtype=float) for x in interval)
        method = "given"
    elif interval == "logit":
        lo, hi = logit_interval(est, s, np.asarray(df), level)
        method = "logit"
    elif interval == "wald":
        tq = tcrit(level, df)
        lo, hi = est - tq * s, est + tq * s
        method = "wald"
    else:
        raise DesignError(f"interval={interval!r}: choose 'wald', 'logit' or (low, high)")
    cols: dict[str, Any] = {
        "estimate": est,
        "se": s,
        "ci_low": lo,
        "ci_high": hi,
        "df": np.asarray(df, dtype=np.int64),
        "n": np.asarray(n, dtype=np.int64),
    }
    if extra:
        cols.update(extra)
    out = pd.DataFrame(cols, index=index)
    out.attrs.update({"statistic": statistic, "variable": variable, "level": level,
                      "interval": method})
    if attrs:
        out.attrs.update(attrs)
    return out
