"""Vectorised domain ratio estimators on a :class:`~abcresearch.stats.SurveyDesign`.

Every measure of this package (Alkire-Foster H, A, M0, censored headcounts, contributions, shares
of level-1 households, mean capital scores) is a ratio of weighted totals
:math:`R_d = \\sum_{i \\in d} w_i y_i / \\sum_{i \\in d} w_i x_i` for each domain d. Its
linearised variance is the design variance of the total of
:math:`z_i = (y_i - R_d x_i) / \\hat X_d` over the domain, computed in one pass for all domains
by the design's per-domain variance routine (R's ``svyby`` + ``svyratio`` / ``svymean`` on
``subset`` designs give the same numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.stats as sps
from scipy import sparse

from abcresearch.errors import DesignError

if TYPE_CHECKING:
    from abcresearch.stats import SurveyDesign

COLUMNS = ["estimate", "se", "ci_low", "ci_high", "df", "n"]


def group_codes(design: SurveyDesign, by: Any) -> tuple[np.ndarray, pd.Index]:
    """Domain code of every row of ``design.data`` (-1 outside) and the domain labels.

    ``by`` is None (one domain, labelled ``"all"``), a column name or list of column names of
    ``design.data``, or a Series / array aligned with ``design.data``.
    """
    if by is None:
        codes, _ = design._groups(None)
        return codes, pd.Index(["all"])
    if isinstance(by, str) or (isinstance(by, Sequence) and not isinstance(by, pd.Series)
                               and all(isinstance(b, str) for b in by)):
        codes, labels = design._groups(by)
        return codes, labels
    s = pd.Series(by.to_numpy() if isinstance(by, pd.Series) else np.asarray(by))
    if len(s) != len(design.data):
        raise DesignError(f"by must have one value per row of the design's data "
                          f"({len(design.data)}), found {len(s)}")
    codes, labels = pd.factorize(s, sort=True)
    name = by.name if isinstance(by, pd.Series) else None
    codes = np.where(design.domain, codes, -1).astype(np.int64)
    present = np.bincount(codes[codes >= 0], minlength=len(labels)) > 0
    index = pd.Index(labels, name=name)
    if not present.all():
        remap = np.cumsum(present) - 1
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        index = index[present]
    return codes, index


def tcrit(level: float, df: np.ndarray) -> np.ndarray:
    """Two-sided t quantile for ``level`` at each df (NaN where df < 1)."""
    if not 0 < level < 1:
        raise DesignError(f"level must be between 0 and 1 (e.g. 0.95), found {level!r}")
    dfa = np.asarray(df, dtype=float)
    out = np.full(dfa.shape, np.nan)
    ok = dfa > 0
    out[ok] = sps.t.ppf(1 - (1 - level) / 2, dfa[ok])
    return out


def logit_ci(p: np.ndarray, se: np.ndarray, df: np.ndarray,
             level: float) -> tuple[np.ndarray, np.ndarray]:
    """``svyciprop(method="logit")`` interval: expit(logit p -/+ t * se / (p (1 - p))).

    At p = 0 or p = 1 the interval collapses to the point (R returns NaN or warns there).
    """
    tq = tcrit(level, df)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lp = np.log(p / (1 - p))
        sl = se / (p * (1 - p))
        lo = 1 / (1 + np.exp(-(lp - tq * sl)))
        hi = 1 / (1 + np.exp(-(lp + tq * sl)))
    edge = (p == 0) | (p == 1)
    return np.where(edge, p, lo), np.where(edge, p, hi)


def domain_ratio(design: SurveyDesign, y: np.ndarray, x: np.ndarray | None,
                 codes: np.ndarray, n_dom: int) -> dict[str, np.ndarray]:
    """Ratio of weighted totals per domain with linearised variance.

    Parameters
    ----------
    design : SurveyDesign
        The design (full rows).
    y, x : numpy.ndarray
        Numerator and denominator values per row (``x=None`` for a mean, i.e. x = 1).
    codes : numpy.ndarray of int
        Domain code per row (-1 = not used).
    n_dom : int
        Number of domains.

    Returns
    -------
    dict
        ``estimate``, ``se``, ``df`` (PSUs minus strata among rows with x != 0 in the domain,
        R's ``degf`` of the ``subset`` design), ``n`` (rows with x != 0), ``den`` (denominator
        total).
    """
    w = design._w_full
    used = codes >= 0
    c0 = np.maximum(codes, 0)
    yy = np.where(used, y, 0.0)
    xx = np.where(used, 1.0 if x is None else x, 0.0)
    num = np.bincount(codes[used], weights=(w * yy)[used], minlength=n_dom)
    den = np.bincount(codes[used], weights=(w * xx)[used], minlength=n_dom)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = num / den
        wz = np.where(used, w * (yy - est[c0] * xx) / den[c0], 0.0)
    # rows with x == 0 have z == 0; dropping them leaves the variance unchanged and gives the
    # df and n of the subset design (e.g. A is a mean over the poor only)
    sub = np.where(used & (xx != 0), codes, -1)
    var, degf = design._domain_var(np.where(sub >= 0, wz, 0.0), sub, n_dom)
    n = np.bincount(sub[sub >= 0], minlength=n_dom)
    return {"estimate": est, "se": np.sqrt(np.maximum(var, 0.0)), "df": degf, "n": n,
            "den": den}


def _indicator(rows: np.ndarray, n_rows: int) -> sparse.csr_matrix:
    """Sparse (n_rows x len(rows)) matrix summing entries into their row code."""
    return sparse.csr_matrix((np.ones(rows.size), (rows, np.arange(rows.size))),
                             shape=(n_rows, rows.size))


def _sum_by(codes: np.ndarray, n_groups: int, values: np.ndarray) -> np.ndarray:
    return np.asarray(_indicator(codes, n_groups) @ values)


def domain_var_multi(design: SurveyDesign, wz: np.ndarray, codes: np.ndarray,
                     n_dom: int, cache: dict[str, Any] | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Variances of per-domain weighted totals for several columns at once.

    The same computation as ``SurveyDesign._domain_var`` (R's ``svyrecvar`` on ``subset``
    designs: PSU totals centred at their stratum mean over *all* PSUs of the stratum, fpc,
    lonely-PSU rule), done for every column of ``wz`` with one grouping pass.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    wz : numpy.ndarray, shape (n, m)
        Weighted linearised values.
    codes : numpy.ndarray of int, shape (n,)
        Domain code per row (-1 = not used).
    n_dom : int
        Number of domains.
    cache : dict, optional
        Reused grouping of rows into (PSU, domain) and (stratum, domain) cells, for repeated
        calls with the same ``codes``.

    Returns
    -------
    var : numpy.ndarray, shape (n_dom, m)
    degf : numpy.ndarray of int, shape (n_dom,)
    """
    from abcresearch.stats import LonelyPSU

    c = cache if cache is not None else {}
    if not c:
        u = np.flatnonzero(codes >= 0)
        key = design._psu[u] * n_dom + codes[u].astype(np.int64)
        cell_inv, cell_key = pd.factorize(key, sort=False)
        n_cells = cell_key.size
        c["u"], c["n_cells"] = u, n_cells
        c["identity"] = n_cells == u.size and bool(np.array_equal(cell_inv,
                                                                  np.arange(n_cells)))
        c["C"] = None if c["identity"] else _indicator(cell_inv, n_cells)
        cell_d = cell_key % n_dom
        cell_h = design._psu_stratum[cell_key // n_dom]
        g_inv, g_key = pd.factorize(cell_h * n_dom + cell_d, sort=False)
        c["g_inv"], c["g_h"], c["g_d"] = g_inv, g_key // n_dom, g_key % n_dom
        c["G"] = _indicator(g_inv, g_key.size)
        c["g_cells"] = np.bincount(g_inv, minlength=g_key.size)
        c["D"] = _indicator(c["g_d"], n_dom)
        c["degf"] = (np.bincount(cell_d, minlength=n_dom)
                     - np.bincount(c["g_d"], minlength=n_dom)).astype(np.int64)
    u = c["u"]
    wzu = wz[u] if u.size < wz.shape[0] else wz
    T = wzu if c["identity"] else np.asarray(c["C"] @ wzu)
    g_inv, g_h, g_d, G, g_cells = c["g_inv"], c["g_h"], c["g_d"], c["G"], c["g_cells"]
    g_tot = np.asarray(G @ T)
    nh = design._n_h[g_h]
    g_mean = g_tot / nh[:, None]
    dev = T - g_mean[g_inv]
    ss = np.asarray(G @ (dev * dev)) + (nh - g_cells)[:, None] * g_mean**2
    scale = design._scale_h[g_h]
    contrib = scale[:, None] * ss
    g_lonely = design._lonely_h[g_h]
    factor = np.ones(n_dom)
    if design._lonely is LonelyPSU.ADJUST:
        contrib[g_lonely] = scale[g_lonely][:, None] * g_tot[g_lonely] ** 2
    elif design._lonely is LonelyPSU.AVERAGE:
        contrib[g_lonely] = 0.0
        n_present = np.bincount(g_d, minlength=n_dom)
        n_ok = np.bincount(g_d[~g_lonely], minlength=n_dom)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(n_ok > 0, n_present / np.maximum(n_ok, 1), np.nan)
    var = np.asarray(c["D"] @ contrib) * factor[:, None]
    return var, c["degf"]


def domain_ratios(design: SurveyDesign, Y: np.ndarray, X: np.ndarray | None,
                  codes: np.ndarray, n_dom: int, block: int = 4,
                  cache: dict[str, Any] | None = None) -> dict[str, np.ndarray]:
    """Several ratios of weighted totals per domain in one pass.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    Y : numpy.ndarray, shape (n, m)
        Numerators.
    X : numpy.ndarray, shape (n, m), or None
        Denominators (None: means, x = 1).
    codes : numpy.ndarray of int
        Domain code per row (-1 = not used).
    n_dom : int
        Number of domains.
    block : int, default 4
        Columns processed at a time (bounds the memory of n x block temporaries).

    Returns
    -------
    dict
        ``estimate`` and ``se`` of shape (n_dom, m); ``df`` and ``n`` (rows used) of shape
        (n_dom,) for the domains given by ``codes``; ``den`` (n_dom, m).
    """
    m = Y.shape[1]
    cache = {} if cache is None else cache
    if m > block:  # bound the memory of the n x m temporaries (national-scale data)
        parts = [domain_ratios(design, Y[:, i:i + block],
                               None if X is None else X[:, i:i + block], codes, n_dom, block,
                               cache)
                 for i in range(0, m, block)]
        return {"estimate": np.hstack([p["estimate"] for p in parts]),
                "se": np.hstack([p["se"] for p in parts]), "df": parts[0]["df"],
                "n": parts[0]["n"], "den": np.hstack([p["den"] for p in parts])}
    w = design._w_full
    used = codes >= 0
    all_used = bool(used.all())
    cu = codes if all_used else codes[used]
    wu = w if all_used else w[used]
    Yu = Y if all_used else Y[used]
    Xu = None if X is None else (X if all_used else X[used])
    S = _indicator(cu, n_dom)
    num = np.asarray(S @ (Yu * wu[:, None]))
    den = (np.repeat(np.bincount(cu, weights=wu, minlength=n_dom)[:, None], Y.shape[1], axis=1)
           if Xu is None else np.asarray(S @ (Xu * wu[:, None])))
    with np.errstate(divide="ignore", invalid="ignore"):
        est = num / den
        zu = (Yu - est[cu] * (1.0 if Xu is None else Xu)) * (wu[:, None] / den[cu])
    if all_used:
        WZ = zu
    else:
        WZ = np.zeros(Y.shape)
        WZ[used] = zu
    var, degf = domain_var_multi(design, WZ, codes, n_dom, cache)
    n = np.bincount(cu, minlength=n_dom)
    return {"estimate": est, "se": np.sqrt(np.maximum(var, 0.0)), "df": degf, "n": n,
            "den": den}


def frame(r: dict[str, np.ndarray], index: pd.Index, level: float,
          ci: str = "wald") -> pd.DataFrame:
    """Build the tidy result table (``estimate, se, ci_low, ci_high, df, n``)."""
    est, se, df = r["estimate"], r["se"], r["df"]
    if ci == "logit":
        lo, hi = logit_ci(est, se, df, level)
    else:
        tq = tcrit(level, df)
        lo, hi = est - tq * se, est + tq * se
    out = pd.DataFrame({"estimate": est, "se": se, "ci_low": lo, "ci_high": hi,
                        "df": np.asarray(df, dtype=np.int64),
                        "n": np.asarray(r["n"], dtype=np.int64)}, index=index)
    out.attrs.update({"level": level, "ci": ci})
    return out
