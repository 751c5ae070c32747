"""Comparisons on a survey design: domain mean differences, Rao-Scott tests, weighted regression.

* :func:`mean_diff` — difference of two domain means (areas, rounds) with the SE from their
  design covariance, as ``svycontrast(svyby(..., covmat=TRUE), c(1, -1))`` in R.
* :func:`chisq` — design-based test of independence in a two-way table, Rao-Scott second-order
  correction with an F reference distribution (``svychisq(statistic="F")``, R's default).
* :func:`glm` — linear regression with design-based (linearisation) standard errors, exactly
  ``svyglm(family=gaussian())``: coefficients from statsmodels WLS with the sampling weights,
  and the sandwich variance ``A^{-1} V(sum_i w_i x_i e_i) A^{-1}`` computed with
  :meth:`SurveyDesign.total_vcov`, so strata, fpc and lonely-PSU rules are honoured.
  (statsmodels' ``cov_type="cluster"`` alone cannot: it ignores strata and fpc and uses the
  factor ``G/(G-1) (N-1)/(N-K)`` where svyglm uses ``n_h/(n_h-1)`` per stratum.)

Design effects of means and totals are the ``deff=True`` option of
:func:`abcresearch.stats.estimators.mean` and :func:`~abcresearch.stats.estimators.total`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError
from abcresearch.stats.core import SurveyDesignBase
from abcresearch.stats.results import estimate_table, tcrit

__all__ = ["chisq", "glm", "mean_diff"]


def mean_diff(
    design: SurveyDesignBase,
    var: str,
    by: str,
    groups: Sequence[Any],
    na_rm: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference of two domain means, ``mean(var | by == a) - mean(var | by == b)``.

    Parameters
    ----------
    design : SurveyDesign
        The survey design (may be a subset design).
    var : str
        Numeric column.
    by : str
        Column defining the domains (e.g. tambon code or survey round).
    groups : (a, b)
        The two values of ``by`` to compare.
    na_rm : bool, default False
        Drop missing values of ``var`` (otherwise NaN if either domain has some).
    level : float, default 0.95
        Confidence level (t interval with the df of the two domains together).

    Returns
    -------
    pandas.DataFrame
        One row, index ``"a - b"`` named ``by``; columns ``estimate, se, ci_low, ci_high, df,
        n`` plus ``estimate_a``, ``estimate_b`` and ``cov_ab`` (covariance of the two means,
        non-zero when the domains share PSUs).
    """
    if len(groups) != 2:
        raise DesignError(f"groups must be two values of {by!r} (a, b), found {groups!r}")
    a, b = groups
    y = design.values(var)
    if by not in design.data.columns:
        raise DesignError(f"by column {by!r} not found in the design's data")
    g = design.data[by].to_numpy()
    dom = design.domain
    missing = np.isnan(y)
    cols = []
    ests = []
    n_missing = 0
    for val in (a, b):
        in_g = dom & (g == val)
        if not in_g.any():
            found = sorted(pd.unique(design.data.loc[dom, by].dropna()))[:20]
            raise DesignError(f"{by}={val!r} has no observations in the design; found {found}")
        n_missing += int((in_g & missing).sum())
        used = in_g & ~missing
        w = design.weights
        wsum = w[used].sum()
        m = (w[used] * y[used]).sum() / wsum
        cols.append(np.where(used, (np.where(used, y, 0.0) - m) / wsum, 0.0))
        ests.append(m)
    v = design.total_vcov(np.column_stack(cols))
    used_any = dom & np.isin(g, [a, b]) & ~missing
    degf = design.domain_df(np.where(used_any, 0, -1), 1)
    est = ests[0] - ests[1]
    se = float(np.sqrt(max(v[0, 0] + v[1, 1] - 2 * v[0, 1], 0.0)))
    if n_missing and not na_rm:
        est, se = np.nan, np.nan
    return estimate_table(
        [est], [se], degf, [used_any.sum()], pd.Index([f"{a} - {b}"], name=by), level=level,
        statistic="mean_diff", variable=var,
        extra={"estimate_a": ests[0], "estimate_b": ests[1], "cov_ab": v[0, 1]},
        attrs={"groups": (a, b)},
    )


def chisq(design: SurveyDesignBase, row: str, col: str) -> pd.DataFrame:
    """Rao-Scott second-order test of independence for a two-way table (``svychisq``, "F").

    Rows with a missing value in either variable are dropped (R's ``na.rm=TRUE``).

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    row, col : str
        The two categorical columns.

    Returns
    -------
    pandas.DataFrame
        One row indexed ``"row x col"`` with ``statistic`` (the F statistic: Pearson X^2 on the
        weighted table scaled to the sample size, divided by trace(Delta)), ``ndf`` (d0 =
        trace(Delta)^2 / trace(Delta^2)), ``ddf`` (d0 times the design df), ``p_value``,
        ``pearson`` (the unadjusted X^2) and ``df`` (design df).
    """
    for c in (row, col):
        if c not in design.data.columns:
            raise DesignError(f"column {c!r} not found in the design's data")
    data = design.data
    dom = design.domain
    ok = dom & data[row].notna().to_numpy() & data[col].notna().to_numpy()
    r_codes, r_lev = pd.factorize(data[row].where(ok), sort=True)
    c_codes, c_lev = pd.factorize(data[col].where(ok), sort=True)
    nr, nc = len(r_lev), len(c_lev)
    if nr < 2 or nc < 2:
        raise DesignError(
            f"chisq needs at least two categories in each variable; {row!r} has {nr}, "
            f"{col!r} has {nc}"
        )
    n_cells = nr * nc
    cell = np.where(ok, r_codes + nr * c_codes, -1)  # rows vary fastest, as R's interaction
    w = design.weights
    wsum = w[ok].sum()
    props = np.bincount(cell[ok], weights=w[ok], minlength=n_cells) / wsum
    ind = np.zeros((len(w), n_cells))
    ind[np.flatnonzero(ok), cell[ok]] = 1.0
    z = np.where(ok[:, None], (ind - props[None, :]) / wsum, 0.0)
    sub = design.subset(ok)
    V = sub.total_vcov(z)
    # R scales the table to nrow(design), the rows of the (physically subset) domain design;
    # the F statistic does not depend on it, the unadjusted Pearson X^2 does
    N = int(dom.sum())
    # Pearson X^2 on the weighted table scaled to N
    tab = (props * N).reshape(nc, nr).T
    expct = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    pearson = float(((tab - expct) ** 2 / expct).sum())
    # Rao-Scott design effect matrix
    rows_i = np.tile(np.arange(nr), nc)
    cols_i = np.repeat(np.arange(nc), nr)
    x1 = np.column_stack(
        [np.ones(n_cells)]
        + [(rows_i == i).astype(float) for i in range(1, nr)]
        + [(cols_i == j).astype(float) for j in range(1, nc)]
    )
    x_int = np.column_stack(
        [((rows_i == i) & (cols_i == j)).astype(float)
         for j in range(1, nc) for i in range(1, nr)]
    )
    beta, *_ = np.linalg.lstsq(x1, x_int, rcond=None)
    cmat = x_int - x1 @ beta
    inv_p = np.where(props == 0, 0.0, 1.0 / np.where(props == 0, 1.0, props))
    denom = cmat.T @ (np.diag(inv_p) / N) @ cmat
    numr = cmat.T @ np.diag(inv_p) @ V @ np.diag(inv_p) @ cmat
    delta = np.linalg.solve(denom, numr)
    tr = float(np.trace(delta))
    d0 = tr**2 / float(np.trace(delta @ delta))
    nu = design.degf
    stat = pearson / tr
    from scipy import special  # here: importing scipy costs a batch's planning 0.08 s

    p = float(special.fdtrc(d0, d0 * nu, max(stat, 0.0)))  # F upper tail (1 below 0)
    out = pd.DataFrame(
        {"statistic": [stat], "ndf": [d0], "ddf": [d0 * nu], "p_value": [p],
         "pearson": [pearson], "df": [nu]},
        index=pd.Index([f"{row} x {col}"], name="table"),
    )
    out.attrs.update({"statistic": "chisq", "method": "Rao-Scott second-order (F)"})
    return out


def glm(
    design: SurveyDesignBase,
    formula: str,
    level: float = 0.95,
    return_fit: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, Any]:
    """Weighted linear regression with design-based SEs, matching R's ``svyglm`` (gaussian).

    Parameters
    ----------
    design : SurveyDesign
        The survey design; a subset design fits the domain and keeps the full design for SEs.
    formula : str
        A statsmodels formula, e.g. ``"income ~ members + C(tambon)"``. Rows with missing
        values in the model variables are dropped (as ``svyglm`` does).
    level : float, default 0.95
        Confidence level.
    return_fit : bool, default False
        Also return the statsmodels WLS results object (its own SEs are model-based, not
        design-based; use the table's). Its attribute ``design_vcov`` holds the design-based
        covariance matrix of the coefficients.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, statsmodels results)
        Index = term (statsmodels names: ``Intercept``); columns ``estimate, se, ci_low,
        ci_high, df, n, t, p_value``. ``df`` is svyglm's residual df: design df of the rows
        used + 1 - number of coefficients; intervals and p-values use t with that df.
    """
    import statsmodels.formula.api as smf

    dom = design.domain
    data = design.data.loc[dom]
    wser = pd.Series(design.weights[dom], index=data.index)
    try:
        fit = smf.wls(formula, data=data, weights=wser, missing="drop").fit()
    except Exception as exc:  # formula errors from the formula engine
        raise DesignError(f"cannot fit {formula!r}: {exc}") from exc
    used_labels = fit.model.data.row_labels
    pos = design.data.index.get_indexer(used_labels)
    if (pos < 0).any() or design.data.index.has_duplicates:
        raise DesignError("glm needs a data index with unique labels")
    x = np.asarray(fit.model.exog, dtype=float)
    e = np.asarray(fit.model.endog, dtype=float) - x @ np.asarray(fit.params)
    w = design.weights[pos]
    a_inv = np.linalg.inv(x.T @ (x * w[:, None]))
    z = np.zeros((len(design.data), x.shape[1]))
    z[pos] = (x * e[:, None]) @ a_inv
    used = np.zeros(len(design.data), dtype=bool)
    used[pos] = True
    sub = design.subset(used)
    v = sub.total_vcov(z)
    se = np.sqrt(np.diag(v))
    df_res = sub.degf + 1 - x.shape[1]
    est = np.asarray(fit.params)
    tq = tcrit(level, np.full(len(est), df_res))
    tval = est / se
    from scipy import special  # here: importing scipy costs a batch's planning 0.08 s

    out = pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "ci_low": est - tq * se,
            "ci_high": est + tq * se,
            "df": df_res,
            "n": int(used.sum()),
            "t": tval,
            "p_value": 2 * special.stdtr(df_res, -np.abs(tval)) if df_res > 0 else np.nan,
        },
        index=pd.Index(fit.model.exog_names, name="term"),
    )
    out.attrs.update({"statistic": "glm", "family": "gaussian", "formula": formula,
                      "level": level})
    if return_fit:
        fit.design_vcov = pd.DataFrame(v, index=out.index, columns=out.index)
        return out, fit
    return out
