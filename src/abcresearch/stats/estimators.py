"""Design-based estimators: means, totals, proportions, ratios, quantiles, logit CIs.

:func:`mean_each` and :func:`ciprop_each` estimate many variables of one design in one pass
(each with its own missing values), as R's ``svyby`` estimates many domains in one call.

Each estimator returns a tidy :class:`pandas.DataFrame` with the columns
``estimate, se, ci_low, ci_high, df, n`` (some add ``deff``). Without ``by`` the index is the
variable name (categories for :func:`proportion`); with ``by`` it is the group value(s), the
index name(s) being the ``by`` column(s). The confidence level and the statistic are recorded
in ``DataFrame.attrs`` (never in a column name).

Conventions (all checked against R's survey package 4.x, see ``tests/reference``):

* Domains (``by=``) keep the whole design, as ``svyby``/``subset.survey.design2`` do.
* ``df`` is the design degrees of freedom of the observations used for the row:
  #PSUs minus #strata among the rows in the domain with a non-missing value, i.e.
  ``degf(subset(design, <domain> & !is.na(var)))`` in R.
* Intervals are ``estimate -/+ qt(1 - (1-level)/2, df) * se`` (R's ``confint(x, df=df)``);
  :func:`ciprop` gives ``svyciprop(method="logit")`` intervals and :func:`quantile` gives
  ``svyquantile(..., qrule="math", interval.type="mean")`` (Woodruff) intervals.
* ``na_rm=False`` with missing values in a domain gives NaN for that domain (R's ``NA``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError
from abcresearch.stats.core import LonelyPSU, SurveyDesignBase
from abcresearch.stats.domains import By, Domains, domain_ratios, group_codes
from abcresearch.stats.results import estimate_table, logit_interval, tcrit

__all__ = ["ciprop", "ciprop_each", "mean", "mean_each", "proportion", "quantile", "ratio",
           "total"]


def _svyvar(design: SurveyDesignBase, y: np.ndarray, dom: Domains, mean_d: np.ndarray,
            wsum: np.ndarray) -> np.ndarray:
    """R's ``svyvar`` per domain: weighted variance with the n/(n-1) factor."""
    w = design.weights
    dev = np.where(dom.used, y - mean_d[np.maximum(dom.codes, 0)], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return dom.sum(w * dev * dev) / wsum * dom.n / (dom.n - 1)


def mean(
    design: SurveyDesignBase,
    var: str,
    by: By = None,
    na_rm: bool = False,
    level: float = 0.95,
    deff: bool = False,
) -> pd.DataFrame:
    """Weighted mean of ``var`` (R's ``svymean``/``svyby(..., svymean)``).

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    var : str
        Numeric column.
    by : str or list of str, optional
        Domain column(s); domains keep the full design for variance.
    na_rm : bool, default False
        Drop missing values of ``var``; otherwise a domain with missing values gets NaN.
    level : float, default 0.95
        Confidence level of the t interval with design df.
    deff : bool, default False
        Add a ``deff`` column: design variance / SRS-without-replacement variance, as R's
        ``svymean(..., deff=TRUE)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, se, ci_low, ci_high, df, n`` (and ``deff``).
    """
    y = design.values(var)
    dom = Domains(design, by, np.isnan(y), na_rm)
    r = domain_ratios(design, y, None, dom.partition)
    est, se = dom.finish(r["estimate"], r["var"])
    extra = {}
    if deff:
        wsum = r["den"]
        s2 = _svyvar(design, y, dom, r["estimate"], wsum)
        with np.errstate(divide="ignore", invalid="ignore"):
            vsrs = s2 * (wsum - dom.n) / (wsum * dom.n)
            vsrs = np.where(wsum < dom.n, np.nan, vsrs)
            extra["deff"] = np.where(dom.nan_dom, np.nan, r["var"] / vsrs)
    return estimate_table(est, se, r["df"], dom.n, dom.index(var), level=level,
                          statistic="mean", variable=var, extra=extra)


def total(
    design: SurveyDesignBase,
    var: str,
    by: By = None,
    na_rm: bool = False,
    level: float = 0.95,
    deff: bool = False,
) -> pd.DataFrame:
    """Weighted total of ``var`` (R's ``svytotal``); arguments as :func:`mean`.

    ``deff`` compares with SRS without replacement of the same size from a population of
    ``sum(weights)`` units, as R's ``svytotal(..., deff=TRUE)``.
    """
    y = design.values(var)
    dom = Domains(design, by, np.isnan(y), na_rm)
    w = design.weights
    wz = np.where(dom.used, w * np.where(dom.used, y, 0.0), 0.0)
    est = dom.sum(wz)
    part = dom.partition
    v = part.var(wz)
    est_f, se = dom.finish(est, v)
    extra = {}
    if deff:
        wsum = dom.sum(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = est / wsum
            s2 = _svyvar(design, y, dom, m, wsum)
            vsrs = s2 * wsum**2 * (wsum - dom.n) / (wsum * dom.n)
            extra["deff"] = np.where(dom.nan_dom, np.nan, v / vsrs)
    return estimate_table(est_f, se, part.df, dom.n, dom.index(var), level=level,
                          statistic="total", variable=var, extra=extra)


def ratio(
    design: SurveyDesignBase,
    num: str,
    den: str,
    by: By = None,
    na_rm: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Ratio of weighted totals ``sum(w num) / sum(w den)`` (R's ``svyratio``).

    Rows where either variable is missing are dropped together when ``na_rm=True``. Without
    ``by`` the index is ``"num/den"``.
    """
    y = design.values(num)
    x = design.values(den)
    dom = Domains(design, by, np.isnan(y) | np.isnan(x), na_rm)
    r = domain_ratios(design, y, x, dom.partition)
    est, se = dom.finish(r["estimate"], r["var"])
    name = f"{num}/{den}"
    return estimate_table(est, se, r["df"], dom.n, dom.index(name), level=level,
                          statistic="ratio", variable=name)


def proportion(
    design: SurveyDesignBase,
    var: str,
    by: By = None,
    na_rm: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of each category of ``var`` (R's ``svymean(~factor(var))``).

    Returns one row per category (index = category, index name = ``var``); with ``by`` the
    index is (by values..., category). Categories are the sorted non-missing values of ``var``
    in the domain. Intervals are Wald t intervals; see :func:`ciprop` for logit intervals.
    ``n`` counts the non-missing observations of the domain.
    """
    if var not in design.data.columns:
        raise DesignError(f"variable {var!r} not found in the design's data")
    s = design.data[var]
    missing = s.isna().to_numpy()
    cat_codes, cats = pd.factorize(s, sort=True)
    dom = Domains(design, by, missing, na_rm)
    n_cat = len(cats)
    Y = (cat_codes[:, None] == np.arange(n_cat)[None, :]).astype(float)
    r = domain_ratios(design, Y, None, dom.partition)  # all categories and domains at once
    est_m, se_m = dom.finish(r["estimate"], r["var"])
    est = est_m.ravel()
    se = se_m.ravel()
    degf = np.repeat(r["df"], n_cat)
    n = np.repeat(dom.n, n_cat)
    cat_index = pd.Index(cats, name=var)
    if dom.labels is None:
        index: pd.Index = cat_index
    else:
        frame = dom.labels.to_frame(index=False).loc[np.repeat(np.arange(dom.n_dom), n_cat)]
        frame = frame.reset_index(drop=True)
        frame[var] = np.tile(np.asarray(cats), dom.n_dom)
        index = pd.MultiIndex.from_frame(frame)
    return estimate_table(est, se, degf, n, index, level=level, statistic="proportion",
                          variable=var)


def ciprop(
    design: SurveyDesignBase,
    var: str,
    by: By = None,
    method: str = "logit",
    na_rm: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Proportion of a 0/1 variable with a logit interval (R's ``svyciprop``).

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    var : str
        Column of 0/1 (or boolean) values.
    by : str or list of str, optional
        Domain column(s).
    method : {"logit", "mean"}, default "logit"
        ``"logit"``: ``expit(logit(p) -/+ qt(df) * se / (p (1 - p)))`` as
        ``svyciprop(method="logit")``; ``"mean"``: the Wald t interval.
    na_rm : bool, default False
        Drop missing values.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``estimate`` is the proportion and ``se`` its linearised SE (as ``SE(svyciprop)``);
        ``ci_low``/``ci_high`` from the chosen method with design df.
    """
    if method not in ("logit", "mean"):
        raise DesignError(f"method={method!r} is not supported; choose 'logit' or 'mean'")
    y = design.values(var)
    vals = np.unique(y[~np.isnan(y)])
    if not np.all(np.isin(vals, [0.0, 1.0])):
        raise DesignError(
            f"ciprop needs a 0/1 variable; {var!r} has values {list(vals[:6])}; "
            "use proportion() for categorical variables"
        )
    out = mean(design, var, by=by, na_rm=na_rm, level=level)
    if method == "logit":
        lo, hi = logit_interval(out["estimate"].to_numpy(), out["se"].to_numpy(),
                                out["df"].to_numpy(), level)
        out["ci_low"], out["ci_high"] = lo, hi
    out.attrs.update({"statistic": "ciprop", "method": method,
                      "interval": "logit" if method == "logit" else "wald"})
    return out


def _each(design: SurveyDesignBase, variables: Sequence[str], by: By, na_rm: bool, level: float,
          statistic: str, interval: str) -> pd.DataFrame:
    """:func:`mean` of each variable (its own missing rows), all in one pass of the design.

    One partition of the domains serves every variable: a variable's missing rows enter as
    zeros with a zero denominator, which leaves its domain totals, and so its estimate, exactly
    as :func:`mean` computes them; its variance adds the same terms in another order (the
    centred square of an empty unit inside the sum rather than after it), and its df and n are
    counted on its own rows. The ``average`` lonely-PSU rule counts the strata present in each
    domain, which a variable's missing rows change, so under it each variable is estimated on
    its own (:func:`mean`).
    """
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names or len(set(names)) != len(names):
        raise DesignError(f"variables must be distinct column names, found {names!r}")
    Y = np.column_stack([design.values(v) for v in names])
    if statistic == "ciprop":
        for j, v in enumerate(names):
            vals = np.unique(Y[~np.isnan(Y[:, j]), j])
            if not np.all(np.isin(vals, [0.0, 1.0])):
                raise DesignError(
                    f"ciprop needs a 0/1 variable; {v!r} has values {list(vals[:6])}; "
                    "use proportion() for categorical variables"
                )
    if design.lonely_psu is LonelyPSU.AVERAGE:
        parts = [mean(design, v, by=by, na_rm=na_rm, level=level) for v in names]
        est, se, degf, n = (np.concatenate([p[c].to_numpy() for p in parts])
                            for c in ("estimate", "se", "df", "n"))
        labels = None if by is None else parts[0].index
        n_dom = 1 if labels is None else len(labels)
        est_m, se_m = est.reshape(len(names), n_dom), se.reshape(len(names), n_dom)
        df_m, n_m = degf.reshape(len(names), n_dom), n.reshape(len(names), n_dom)
    else:
        codes, labels = group_codes(design, by)
        n_dom = 1 if labels is None else len(labels)
        part = design.partition(codes, n_dom)
        missing = np.isnan(Y)
        kept = ~missing[part.rows]
        X = (~missing).astype(float)
        r = domain_ratios(design, np.where(missing, 0.0, Y), X, part)
        den = r["den"]
        # a domain where a variable is all missing: no row, as mean() has it (NaN, SE 0)
        var = np.where(den == 0, 0.0, r["var"])
        n_m = np.rint(part.sum(kept.astype(float))).astype(np.int64).reshape(n_dom, -1)
        df_m = part.df_each(kept)
        nan_dom = np.zeros((n_dom, len(names)), dtype=bool)
        if not na_rm:
            nan_dom = part.sum((~kept).astype(float)).reshape(n_dom, -1) > 0
        est_m = np.where(nan_dom, np.nan, r["estimate"]).T
        se_m = np.where(nan_dom, np.nan, np.sqrt(np.maximum(var, 0.0))).T
        df_m, n_m = df_m.T, n_m.T
    var_index = pd.Index(names, name="variable")
    if labels is None:
        index: pd.Index = var_index
    else:
        frame = labels.to_frame(index=False)
        frame = frame.loc[np.tile(np.arange(n_dom), len(names))].reset_index(drop=True)
        frame.insert(0, "variable", np.repeat(np.asarray(names, dtype=object), n_dom))
        index = pd.MultiIndex.from_frame(frame)
    out = estimate_table(est_m.ravel(), se_m.ravel(), df_m.ravel(), n_m.ravel(), index,
                         level=level, statistic=statistic, interval=interval,
                         attrs={"variables": names})
    if statistic == "ciprop":
        out.attrs["method"] = "logit" if interval == "logit" else "mean"
    return out


def mean_each(
    design: SurveyDesignBase,
    variables: Sequence[str],
    by: By = None,
    na_rm: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted mean of each of several variables, each with its own missing values.

    The same numbers as calling :func:`mean` once per variable (R: ``svymean(~y, design,
    na.rm=)`` or ``svyby(~y, ~g, design, svymean, na.rm=)`` per variable; not
    ``svymean(~y1 + y2, na.rm=TRUE)``, which drops a row missing in any of them), computed in
    one pass: one design, one partition of its domains, every variable a column.

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    variables : sequence of str
        Numeric columns (distinct).
    by : str or list of str, optional
        Domain column(s), as :func:`mean`.
    na_rm : bool, default False
        Drop each variable's missing values; otherwise a domain where a variable has missing
        values gets NaN for that variable.
    level : float, default 0.95
        Confidence level of the t interval with design df.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, se, ci_low, ci_high, df, n``; index ``variable`` (with ``by``: the
        levels ``variable`` and the ``by`` column(s)), in the order given. Estimates equal
        :func:`mean`'s exactly; standard errors to rounding (about 1e-15 relative).
    """
    return _each(design, variables, by, na_rm, level, "mean", "wald")


def ciprop_each(
    design: SurveyDesignBase,
    variables: Sequence[str],
    by: By = None,
    method: str = "logit",
    na_rm: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Proportion of each of several 0/1 variables with its interval, in one pass.

    The same numbers as :func:`ciprop` called once per variable (R: ``svyciprop`` per
    variable), computed as :func:`mean_each`.

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    variables : sequence of str
        Columns of 0/1 (or boolean) values (distinct).
    by : str or list of str, optional
        Domain column(s).
    method : {"logit", "mean"}, default "logit"
        Interval, as :func:`ciprop`.
    na_rm : bool, default False
        Drop each variable's missing values.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        As :func:`mean_each`; ``ci_low``/``ci_high`` from the chosen method.
    """
    if method not in ("logit", "mean"):
        raise DesignError(f"method={method!r} is not supported; choose 'logit' or 'mean'")
    return _each(design, variables, by, na_rm, level, "ciprop",
                 "logit" if method == "logit" else "wald")


def quantile(
    design: SurveyDesignBase,
    var: str,
    q: float | Sequence[float] = 0.5,
    by: By = None,
    na_rm: bool = False,
    level: float = 0.95,
) -> pd.DataFrame:
    """Weighted quantiles with Woodruff intervals (R's default ``svyquantile`` in survey 4.x).

    The point estimate uses ``qrule="math"``: the smallest sorted value ``x_(k)`` whose
    cumulative weight share reaches ``q`` (with R's tie rule: if the share at ``x_(k)`` equals
    ``q`` exactly, that value, else the next one). The interval is
    ``interval.type="mean"``: a t interval (design df) for the CDF at the estimate, mapped
    back through the same rule; ``se = (ci_high - ci_low) / (2 qt)`` as R reports it.

    Parameters
    ----------
    design : SurveyDesign
        The survey design.
    var : str
        Numeric column.
    q : float or sequence of float, default 0.5
        Probabilities in [0, 1]. With several, the index gains a last level ``q``.
    by : str or list of str, optional
        Domain column(s).
    na_rm : bool, default False
        Drop missing values (otherwise a domain with missing values gives NaN).
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, se, ci_low, ci_high, df, n``.
    """
    qs = [float(q)] if isinstance(q, int | float | np.number) else [float(v) for v in q]
    if any(not 0 <= p <= 1 for p in qs):
        raise DesignError(f"quantile probabilities must be in [0, 1], found {qs}")
    y = design.values(var)
    dom = Domains(design, by, np.isnan(y), na_rm)
    nd = dom.n_dom
    w = design.weights
    u = np.flatnonzero(dom.used)
    order = np.lexsort((y[u], dom.codes[u]))
    ys = y[u][order]
    ws = w[u][order]
    ds = dom.codes[u][order]
    size = dom.n
    start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
    # R accumulates cumsum() and sum() in long double and rounds each partial sum to double;
    # ties between a cumulative share and q (common with equal weights) are decided on those
    # exact values, so we do the same. Only this accumulation loops over domains.
    cumw = np.empty(len(ws))
    wtot = np.full(nd, np.nan)
    wl = ws.astype(np.longdouble)
    for d_i in np.flatnonzero(size > 0):
        sl = slice(start[d_i], start[d_i] + size[d_i])
        cs = np.cumsum(wl[sl])
        cumw[sl] = cs.astype(np.float64)
        wtot[d_i] = float(cs[-1])

    def qrule(p_d: np.ndarray) -> np.ndarray:
        """R's qrule_math for one probability per domain (NaN p -> NaN)."""
        ok = ~np.isnan(p_d) & (size > 0)
        target = (np.where(ok, p_d, 0.0) * wtot)[ds]
        cnt = np.bincount(ds, weights=(cumw <= target), minlength=nd).astype(np.int64)
        pos = start + np.maximum(cnt, 1) - 1
        nxt = np.where(np.maximum(cnt, 1) == size, pos, pos + 1)
        pos_c = np.minimum(pos, max(len(ys) - 1, 0))
        nxt_c = np.minimum(nxt, max(len(ys) - 1, 0))
        if len(ys) == 0:
            return np.full(nd, np.nan)
        wlow = p_d - cumw[pos_c] / wtot
        res = np.where(wlow == 0, ys[pos_c], ys[nxt_c])
        return np.where(ok, res, np.nan)

    rows = []
    for p in qs:
        qhat = qrule(np.full(nd, p))
        ind = np.where(dom.used, (y <= qhat[np.maximum(dom.codes, 0)]).astype(float), 0.0)
        rr = domain_ratios(design, ind, None, dom.partition)
        pm, degf = rr["estimate"], rr["df"]
        tq = tcrit(level, degf)
        pse = rr["se"]
        lo_p = pm - tq * pse
        hi_p = pm + tq * pse
        lo = qrule(np.where(np.isnan(lo_p) | (lo_p < 0), np.nan, lo_p))
        hi = qrule(np.where(np.isnan(hi_p) | (hi_p > 1), np.nan, hi_p))
        se = (hi - lo) / (2 * tq)
        est, se = np.where(dom.nan_dom, np.nan, qhat), np.where(dom.nan_dom, np.nan, se)
        lo, hi = np.where(dom.nan_dom, np.nan, lo), np.where(dom.nan_dom, np.nan, hi)
        rows.append((est, se, lo, hi, degf))
    base = dom.index(var)
    if len(qs) == 1:
        est, se, lo, hi, degf = rows[0]
        index = base
    else:
        est, se, lo, hi, degf = (np.column_stack([r[i] for r in rows]).ravel() for i in range(5))
        frame = base.to_frame(index=False)
        if dom.labels is None:
            frame = pd.DataFrame({"variable": [var]})
        frame = frame.loc[np.repeat(np.arange(len(frame)), len(qs))].reset_index(drop=True)
        frame["q"] = np.tile(qs, nd)
        if dom.labels is None:
            frame = frame[["q"]]
        index = pd.MultiIndex.from_frame(frame) if frame.shape[1] > 1 else pd.Index(
            frame["q"], name="q")
    n = dom.n if len(qs) == 1 else np.repeat(dom.n, len(qs))
    return estimate_table(est, se, degf, n, index, level=level, statistic="quantile",
                          variable=var, interval=(lo, hi),
                          attrs={"q": qs, "qrule": "math", "interval_type": "mean"})
