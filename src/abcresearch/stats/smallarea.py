"""Small-area estimates from the area-level (Fay-Herriot) model.

For tambons resting on fewer than two sampled villages, or on none, the direct estimate is
combined with census-like covariates (the จปฐ. village table, ``bmn.csv``) through

    y_i = theta_i + e_i,   theta_i = x_i' beta + u_i,   u_i ~ N(0, sigma2_u),  e_i ~ N(0, D_i),

with D_i the (known) sampling variance of the direct estimate y_i. The pieces:

* :func:`fay_herriot` fits the model (REML or ML by Fisher scoring, transcribed from R's
  ``sae::eblupFH``) and returns a :class:`FayHerriotResults` with the EBLUP of every area that
  has a direct estimate, the synthetic estimate x_i' beta of every area without one, their MSE
  (``sae::mseFH``'s g1 + g2 + 2 g3, ML adds its bias term) and fit diagnostics;
* :func:`fit_gvf` fits a generalised variance function on the areas whose direct variances can
  be trusted and predicts the sampling variance of the others;
* :meth:`FayHerriotResults.benchmark` makes household-weighted area estimates add up to a
  direct higher-level (province) estimate and states what that costs in MSE;
* :func:`small_area_estimates` runs the three with the settings of ``params/smallarea.yaml``
  (:func:`load_smallarea_settings`); :func:`area_covariates` aggregates ``bmn.csv`` to areas.

The methods, their formulas and assumptions are written out in ``docs/smallarea.md``; the
reference values (a transcription of sae's code run in R) are in ``tests/reference/fh_*``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError, InputError
from abcresearch.labels import label
from abcresearch.params import Problems, load
from abcresearch.paths import params_dir

__all__ = [
    "BenchmarkInfo",
    "FayHerriotResults",
    "FayHerriotSummary",
    "GVFResults",
    "SmallAreaSettings",
    "arcsine",
    "arcsine_variance",
    "area_covariates",
    "fay_herriot",
    "fit_gvf",
    "load_smallarea_settings",
    "parse_smallarea_settings",
    "small_area_estimates",
]

SETTINGS_FILE = "smallarea.yaml"
METHODS = ("REML", "ML")
TRANSFORMS = ("none", "arcsine")
BACK_TRANSFORMS = ("bias_corrected", "naive")
VARDIR_SCALES = ("original", "transformed")
GVF_TERMS = ("log_households", "log_villages", "log_pq")
GVF_REPLACE = ("untrusted", "all")
GVF_FITS = ("log_ols", "gamma")
BENCHMARK_METHODS = ("difference", "ratio")
ALLOCATIONS = ("uniform", "mse")
MEASURE_KINDS = ("mean", "share")
AREA_LEVELS = {"province": 2, "amphoe": 4, "tambon": 6, "village": 8}
BMN_FILE = "bmn.csv"
BMN_YEAR = "bmn_year"
BMN_HOUSEHOLDS = "bmn_households"
BMN_VILLAGE = "village_code"


# ---------------------------------------------------------------------------------------------
# Settings (params/smallarea.yaml)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmallAreaSettings:
    """The small-area settings of ``params/smallarea.yaml``, checked once when loaded.

    Attributes
    ----------
    covariate_year : int
        Buddhist-era year the covariates of ``bmn.csv`` refer to (its ``bmn_year``).
    covariates : tuple of str
        Columns of ``bmn.csv`` used as covariates (household-weighted means per area).
    method : {"REML", "ML"}
        Estimator of sigma2_u.
    level : float
        Confidence level of the intervals.
    tol, max_iter : float, int
        Fisher-scoring stopping rule (relative change of sigma2_u) and iteration cap.
    transform_mean, transform_share : str
        Transform of the direct estimates of means (``none``) and of shares (``none`` or
        ``arcsine``); see :meth:`transform_for`.
    back_transform : {"bias_corrected", "naive"}
        How arcsine-scale estimates are taken back to shares.
    gvf_min_villages : int
        Areas with at least this many sampled villages have trusted direct variances.
    gvf_terms_mean, gvf_terms_share : tuple of str
        GVF regressors for means and for shares (see :func:`fit_gvf`, :meth:`gvf_terms_for`).
    gvf_replace : {"untrusted", "all"}
        Which areas get the GVF variance.
    gvf_smearing : bool
        Multiply GVF predictions by Duan's smearing factor (``log_ols`` only).
    gvf_fit : {"log_ols", "gamma"}
        How the GVF is fitted (see :func:`fit_gvf`); ``gvf.fit`` in the file, optional
        (default ``log_ols``).
    benchmark_method : {"difference", "ratio"}
    benchmark_allocation : {"uniform", "mse"}
    source : str
        Where the settings come from (file path).
    """

    covariate_year: int
    covariates: tuple[str, ...]
    method: str
    level: float
    tol: float
    max_iter: int
    transform_mean: str
    transform_share: str
    back_transform: str
    gvf_min_villages: int
    gvf_terms_mean: tuple[str, ...]
    gvf_terms_share: tuple[str, ...]
    gvf_replace: str
    gvf_smearing: bool
    benchmark_method: str
    benchmark_allocation: str
    source: str = ""
    gvf_fit: str = "log_ols"

    def transform_for(self, kind: str) -> str:
        """Transform for a kind of measure (``mean`` or ``share``)."""
        return self.transform_share if kind == "share" else self.transform_mean

    def gvf_terms_for(self, kind: str) -> tuple[str, ...]:
        """GVF terms for a kind of measure (``mean`` or ``share``)."""
        return self.gvf_terms_share if kind == "share" else self.gvf_terms_mean


def _get(doc: Mapping[str, Any], path: str, problems: Problems) -> Any:
    cur: Any = doc
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            problems.add("", f"missing {path}")
            return None
        cur = cur[part]
    return cur


def parse_smallarea_settings(doc: Mapping[str, Any], path: Path) -> SmallAreaSettings:
    """Check the small-area settings (a parser for :func:`abcresearch.params.load`).

    Parameters
    ----------
    doc : Mapping
        The file's top-level mapping.
    path : Path
        The file (its name starts the error message; kept in ``source``).

    Returns
    -------
    SmallAreaSettings

    Raises
    ------
    ParamsError
        Listing every problem found, one sentence each.
    """
    problems = Problems(path)

    def pick(key: str, ok: Any, rule: str) -> Any:
        val = _get(doc, key, problems)
        if val is not None and not ok(val):
            problems.add(key, f"must be {rule}, found {val!r}")
            return None
        return val

    year = pick("covariates.year", lambda v: isinstance(v, int) and not isinstance(v, bool)
                and 2400 < v < 2700, "a Buddhist-era year such as 2549")
    cols = pick("covariates.columns", lambda v: isinstance(v, list) and v
                and all(isinstance(c, str) and c for c in v) and len(set(v)) == len(v),
                "a non-empty list of distinct column names of bmn.csv")
    method = pick("model.method", lambda v: v in METHODS, f"one of {list(METHODS)}")
    level = pick("model.level", lambda v: isinstance(v, float) and 0 < v < 1,
                 "a number between 0 and 1")
    tol = pick("model.tol", lambda v: isinstance(v, float) and 0 < v < 1e-2,
               "a small positive number such as 1.0e-10")
    max_iter = pick("model.max_iter", lambda v: isinstance(v, int) and v > 0,
                    "a positive integer")
    transform: dict[str, str] = {}
    terms: dict[str, tuple[str, ...]] = {}
    for kind in MEASURE_KINDS:
        allowed = TRANSFORMS if kind == "share" else ("none",)
        t = pick(f"transform.{kind}", lambda v, a=allowed: v in a, f"one of {list(allowed)}")
        if t is not None:
            transform[kind] = t
        tm = pick(f"gvf.terms.{kind}", lambda v: isinstance(v, list)
                  and all(x in GVF_TERMS for x in v) and len(set(v)) == len(v),
                  f"a list of distinct terms from {list(GVF_TERMS)}")
        if tm is not None:
            terms[kind] = tuple(tm)
            if "log_pq" in tm and (kind == "mean" or transform.get(kind) == "arcsine"):
                why = ("a mean is not a share" if kind == "mean" else
                       "on the arcsine scale the variance no longer depends on p")
                problems.add(f"gvf.terms.{kind}", f"may not use log_pq ({why})")
    back = pick("transform.back_transform", lambda v: v in BACK_TRANSFORMS,
                f"one of {list(BACK_TRANSFORMS)}")
    min_v = pick("gvf.min_villages", lambda v: isinstance(v, int) and not isinstance(v, bool)
                 and v >= 2, "an integer of at least 2")
    repl = pick("gvf.replace", lambda v: v in GVF_REPLACE, f"one of {list(GVF_REPLACE)}")
    smear = pick("gvf.smearing", lambda v: isinstance(v, bool), "true or false")
    gvf_sec = doc.get("gvf")
    gfit = gvf_sec.get("fit", "log_ols") if isinstance(gvf_sec, Mapping) else "log_ols"
    if gfit not in GVF_FITS:
        problems.add("gvf.fit", f"must be one of {list(GVF_FITS)}, found {gfit!r}")
    bm = pick("benchmark.method", lambda v: v in BENCHMARK_METHODS,
              f"one of {list(BENCHMARK_METHODS)}")
    ba = pick("benchmark.allocation", lambda v: v in ALLOCATIONS, f"one of {list(ALLOCATIONS)}")
    known: dict[str, set[str] | None] = {
        "scheme_version": None, "verified": None, "source": None,
        "covariates": {"year", "columns"},
        "model": {"method", "level", "tol", "max_iter"},
        "transform": {*MEASURE_KINDS, "back_transform"},
        "gvf": {"min_villages", "replace", "smearing", "terms", "fit"},
        "benchmark": {"method", "allocation"},
        "round": None}  # the round's settings: checked by abcresearch.analysis.smallarea
    for key, val in doc.items():
        if key not in known:
            problems.add("", f"unknown key {key!r}")
            continue
        subkeys = known[key]
        if subkeys is not None and isinstance(val, Mapping):
            extra = sorted(set(val) - subkeys)
            if extra:
                problems.add("", f"unknown key(s) {extra} under {key}")
    problems.raise_if_any()
    return SmallAreaSettings(
        covariate_year=int(year), covariates=tuple(cols), method=str(method), level=float(level),
        tol=float(tol), max_iter=int(max_iter), transform_mean=transform["mean"],
        transform_share=transform["share"],
        back_transform=str(back), gvf_min_villages=int(min_v),
        gvf_terms_mean=terms["mean"], gvf_terms_share=terms["share"],
        gvf_replace=str(repl), gvf_smearing=bool(smear), benchmark_method=str(bm),
        benchmark_allocation=str(ba), source=str(path), gvf_fit=str(gfit))


def load_smallarea_settings(path: str | Path | None = None) -> SmallAreaSettings:
    """Read and check ``params/smallarea.yaml`` (once per version of the file).

    Parameters
    ----------
    path : str or Path, optional
        The YAML file; default ``params/smallarea.yaml``.

    Returns
    -------
    SmallAreaSettings

    Raises
    ------
    ParamsError
        Listing every problem found, one sentence each.
    """
    p = Path(path) if path is not None else params_dir() / SETTINGS_FILE
    return load(p.absolute(), parse_smallarea_settings)


# ---------------------------------------------------------------------------------------------
# Covariates from bmn.csv
# ---------------------------------------------------------------------------------------------


def area_covariates(
    bmn: pd.DataFrame,
    level: str = "tambon",
    settings: SmallAreaSettings | None = None,
) -> pd.DataFrame:
    """Household-weighted covariates per area from the village table ``bmn.csv``.

    Parameters
    ----------
    bmn : pandas.DataFrame
        One row per village: ``village_code``, ``bmn_year``, ``bmn_households`` and the
        covariate columns (shares 0-1), as described in ``docs/INPUTS.md``.
    level : {"tambon", "amphoe", "village"}
        Areas to aggregate to (codes are the first 6, 4 or 8 digits of ``village_code``).
    settings : SmallAreaSettings, optional
        Default: :func:`load_smallarea_settings`. Its ``covariate_year`` selects the rows and its
        ``covariates`` the columns.

    Returns
    -------
    pandas.DataFrame
        ``area``, ``bmn_households`` (sum) and one column per covariate (the mean over the
        area's villages weighted by ``bmn_households``), sorted by area.

    Raises
    ------
    InputError
        One sentence naming ``bmn.csv``, the row and column, and the rule broken.
    """
    s = settings or load_smallarea_settings()
    if level not in AREA_LEVELS or level == "province":
        raise DesignError(f"level must be one of tambon, amphoe, village; found {level!r}")
    need = [BMN_VILLAGE, BMN_YEAR, BMN_HOUSEHOLDS, *s.covariates]
    missing = [c for c in need if c not in bmn.columns]
    if missing:
        raise InputError(f"{BMN_FILE}: column(s) {', '.join(missing)} missing (covariates are "
                         f"declared in params/{SETTINGS_FILE})")
    years = pd.to_numeric(bmn[BMN_YEAR], errors="coerce")
    rows = bmn.loc[years == s.covariate_year]
    if rows.empty:
        found = sorted({int(y) for y in years.dropna()})
        raise InputError(f"{BMN_FILE}: no rows with {BMN_YEAR} = {s.covariate_year} (the year "
                         f"set in params/{SETTINGS_FILE} covariates.year); years found: {found}")
    problems: list[str] = []
    for col in [BMN_HOUSEHOLDS, *s.covariates]:
        v = pd.to_numeric(rows[col], errors="coerce")
        lo, hi = (0.0, np.inf) if col == BMN_HOUSEHOLDS else (0.0, 1.0)
        bad = v.isna() | (v < lo) | (v > hi) | ((v <= 0) if col == BMN_HOUSEHOLDS else False)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            row = int(bmn.index.get_loc(rows.index[pos])) + 2
            rule = "a positive count" if col == BMN_HOUSEHOLDS else "a share between 0 and 1"
            val = rows[col].iloc[pos]
            val = val.item() if isinstance(val, np.generic) else val
            problems.append(f"{BMN_FILE} row {row}, column {col}: value "
                            f"{val!r} is not {rule}"
                            + (f" ({int(bad.sum())} rows in all)" if bad.sum() > 1 else ""))
    if problems:
        raise InputError("; ".join(problems))
    codes = rows[BMN_VILLAGE].astype(str).str.strip()
    w = pd.to_numeric(rows[BMN_HOUSEHOLDS]).to_numpy(dtype=float)
    frame = pd.DataFrame({"area": codes.str[:AREA_LEVELS[level]].to_numpy(),
                          BMN_HOUSEHOLDS: w})
    for col in s.covariates:
        frame[col] = pd.to_numeric(rows[col]).to_numpy(dtype=float) * w
    out = frame.groupby("area", sort=True).sum()
    for col in s.covariates:
        out[col] = out[col] / out[BMN_HOUSEHOLDS]
    out = out.reset_index()
    out.attrs.update({"bmn_year": s.covariate_year, "level": level})
    return out


# ---------------------------------------------------------------------------------------------
# Arcsine transform
# ---------------------------------------------------------------------------------------------


def arcsine(p: Any) -> np.ndarray:
    """Return arcsin(sqrt(p)), the variance-stabilising transform of a share p in [0, 1]."""
    return np.arcsin(np.sqrt(np.asarray(p, dtype=float)))


def arcsine_variance(p: Any, variance: Any) -> np.ndarray:
    """Delta-method variance of arcsin(sqrt(p_hat)): ``variance / (4 p (1 - p))``.

    Undefined (NaN) for p = 0 or 1, where a GVF on the arcsine scale must supply it.
    """
    p = np.asarray(p, dtype=float)
    v = np.asarray(variance, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = v / (4 * p * (1 - p))
    return np.where((p > 0) & (p < 1), out, np.nan)


def _back_arcsine(theta: np.ndarray, mse_t: np.ndarray, how: str, z: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shares from arcsine-scale estimates: T ~ N(theta, mse_t), p = sin^2(T).

    E sin^2 T = (1 - cos(2c) exp(-2 s2)) / 2 and Var sin^2 T = ((1 + exp(-8 s2) cos(4c)) / 2
    - exp(-4 s2) cos^2(2c)) / 4 with c = theta clipped to [0, pi/2] and s2 = mse_t.
    """
    c = np.clip(theta, 0.0, np.pi / 2)
    s2 = mse_t
    mean = (1 - np.cos(2 * c) * np.exp(-2 * s2)) / 2
    var = ((1 + np.exp(-8 * s2) * np.cos(4 * c)) / 2 - np.exp(-4 * s2) * np.cos(2 * c) ** 2) / 4
    var = np.maximum(var, 0.0)
    if how == "bias_corrected":
        est, mse = mean, var
    else:
        est = np.sin(c) ** 2
        mse = var + (mean - est) ** 2
    half = z * np.sqrt(mse_t)
    lo = np.sin(np.clip(c - half, 0.0, np.pi / 2)) ** 2
    hi = np.sin(np.clip(c + half, 0.0, np.pi / 2)) ** 2
    return est, mse, lo, hi


# ---------------------------------------------------------------------------------------------
# Fitting (transcription of sae 1.3 eblupFH / mseFH)
# ---------------------------------------------------------------------------------------------


def _score(A: float, y: np.ndarray, X: np.ndarray, D: np.ndarray, method: str
           ) -> tuple[float, float]:
    """Score and Fisher information of sigma2_u at A (sae's s and F), in O(m p^2)."""
    Vi = 1.0 / (A + D)
    XtVi = X.T * Vi
    Q = np.linalg.inv(XtVi @ X)
    beta = Q @ (XtVi @ y)
    Py = Vi * (y - X @ beta)  # P y with P = V^-1 - V^-1 X Q X' V^-1
    if method == "ML":
        return -0.5 * Vi.sum() + 0.5 * Py @ Py, 0.5 * (Vi**2).sum()
    XtV2X = (X.T * Vi**2) @ X
    XtV3X = (X.T * Vi**3) @ X
    QA = Q @ XtV2X
    trP = Vi.sum() - np.trace(QA)
    trPP = (Vi**2).sum() - 2 * np.trace(Q @ XtV3X) + np.trace(QA @ QA)
    return -0.5 * trP + 0.5 * Py @ Py, 0.5 * trPP


def _fit_sigma2(y: np.ndarray, X: np.ndarray, D: np.ndarray, method: str, tol: float,
                max_iter: int) -> tuple[float, float, int]:
    """Fisher scoring as sae::eblupFH: start median(D), stop when |dA| / A <= tol.

    Returns (max(A, 0), last iterate, iterations). One departure from sae: when a step goes
    below 0 and the score at A = 0 is not positive, the estimate is 0 at once (sae iterates on
    towards a negative stationary point, or the singularity at -min(D), and then truncates it
    to the same 0); when the score at 0 is positive and the step leaves the region
    A > -min(D) where V is positive definite, the scoring goes on from A = 0.
    """
    A = float(np.median(D))
    dmin = float(D.min())
    k = 0
    diff = tol + 1.0
    while diff > tol and k < max_iter:
        k += 1
        s, F = _score(A, y, X, D, method)
        A_new = A + s / F
        if A_new < 0:
            # the likelihood's maximum over A >= 0 is at 0 when its slope there is not positive
            s0, _ = _score(0.0, y, X, D, method)
            if s0 <= 0:
                return 0.0, A_new, k
            if A_new <= -dmin:  # V would not be positive definite: go on from the boundary
                A_new = 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            diff = abs((A_new - A) / A)
        if math.isnan(diff):
            diff = 0.0
        A = A_new
    if k >= max_iter and diff >= tol:
        raise DesignError(f"the {method} estimate of sigma2_u did not converge in {max_iter} "
                          f"iterations (relative change {diff:.3g} > tol {tol:g}); raise "
                          f"max_iter or check the direct estimates and their variances")
    return max(A, 0.0), A, k


def _adj_r2_ls(y: np.ndarray, X: np.ndarray, D: np.ndarray) -> float:
    """Lahiri and Suntornchost (2015) adjusted R2, as emdi's ``model_select`` computes it."""
    m, p = X.shape
    if m - p <= 0:
        return float("nan")
    XtX_inv = np.linalg.inv(X.T @ X)
    hii = np.einsum("ij,jk,ik->i", X, XtX_inv, X)
    resid = y - X @ (XtX_inv @ (X.T @ y))
    mse = (resid @ resid) / (m - p)
    mst = ((y - y.mean()) @ (y - y.mean())) / (m - 1)
    dw = ((1 - hii) * D).sum() / (m - p)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        h_mse = 2 * mse / (1 + np.exp(2 * dw / mse))
        h_mst = 2 * mst / (1 + np.exp(2 * D.mean() / mst))
        return float(1 - h_mse / h_mst)


def _shapiro(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if len(x) < 3 or np.ptp(x) <= 1e-12 * max(1.0, float(np.abs(x).max())):
        return float("nan"), float("nan")
    from scipy import stats

    r = stats.shapiro(x)
    return float(r.statistic), float(r.pvalue)


def _column(data: pd.DataFrame, name: str, what: str, problems: list[str]) -> pd.Series | None:
    if not isinstance(name, str) or name not in data.columns:
        problems.append(f"{what} column {name!r} is not a column of the data")
        return None
    return data[name]


def _areas_text(areas: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(a) for a in list(areas)[:limit])
    more = len(areas) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def fay_herriot(
    data: pd.DataFrame,
    direct: str,
    vardir: str,
    covariates: Sequence[str],
    area: str,
    method: str = "REML",
    *,
    transform: str = "none",
    vardir_scale: str = "original",
    back_transform: str = "bias_corrected",
    intercept: bool = True,
    level: float = 0.95,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> FayHerriotResults:
    """Fit the area-level Fay-Herriot model and predict every area of ``data``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area: areas with a direct estimate (EBLUP) and areas without one (missing
        ``direct``: synthetic estimate).
    direct : str
        Column of direct estimates (missing for areas without a sample).
    vardir : str
        Column of their sampling variances D_i, required and positive wherever ``direct`` is
        given (ignored elsewhere). Replace untrustworthy ones first (:func:`fit_gvf`).
    covariates : sequence of str
        Numeric covariate columns, complete for every area.
    area : str
        Column of area codes (unique).
    method : {"REML", "ML"}
        Estimator of sigma2_u (Fisher scoring as ``sae::eblupFH``).
    transform : {"none", "arcsine"}
        ``"arcsine"`` fits the model to arcsin(sqrt(direct)) (direct must be a share) and takes
        the estimates back to shares (see ``back_transform``).
    vardir_scale : {"original", "transformed"}
        With ``transform="arcsine"``: whether ``vardir`` is the variance of the share (converted
        by the delta method, ``D / (4 p (1 - p))``, undefined at p = 0 or 1) or already the
        variance on the arcsine scale (e.g. from :func:`fit_gvf` with ``transform="arcsine"``).
    back_transform : {"bias_corrected", "naive"}
        With ``transform="arcsine"``: the share estimate is E sin^2(T) (bias-corrected) or
        sin^2(theta) (naive) for T ~ N(theta, MSE) on the arcsine scale.
    intercept : bool
        Add an intercept column.
    level : float
        Confidence level of ``ci_low``/``ci_high``.
    tol, max_iter : float, int
        Stopping rule of the scoring: relative change of sigma2_u <= ``tol`` (sae's
        ``PRECISION``, whose default 1e-4 stops early), at most ``max_iter`` steps.

    Returns
    -------
    FayHerriotResults

    Raises
    ------
    DesignError
        One sentence per problem: a missing column, a duplicated or missing area code, a
        missing or non-numeric covariate value, a direct estimate without a positive variance,
        too few areas or collinear covariates, a share outside [0, 1], no convergence.

    Notes
    -----
    When sigma2_u is estimated at or below 0 it is truncated at 0 (as sae does): every
    shrinkage factor gamma is then 0 and every EBLUP equals its synthetic estimate, while the
    MSE keeps the g2 and g3 terms; ``sigma2_u_truncated`` is True and the summary says so.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"area": list("abcdef"), "y": [1.0, 2.1, 2.9, 4.2, 5.1, None],
    ...                   "v": [0.2, 0.3, 0.2, 0.4, 0.3, None], "x": [1, 2, 3, 4, 5, 6]})
    >>> r = fay_herriot(d, direct="y", vardir="v", covariates=["x"], area="area")
    >>> r.estimates[["area", "kind"]].tail(2).to_numpy().tolist()
    [['e', 'eblup'], ['f', 'synthetic']]
    """
    problems: list[str] = []
    if not isinstance(data, pd.DataFrame):
        raise DesignError(f"data must be a pandas DataFrame with one row per area, found "
                          f"{type(data).__name__}")
    if method not in METHODS:
        problems.append(f"method must be one of {list(METHODS)}, found {method!r}")
    if transform not in TRANSFORMS:
        problems.append(f"transform must be one of {list(TRANSFORMS)}, found {transform!r}")
    if vardir_scale not in VARDIR_SCALES:
        problems.append(f"vardir_scale must be one of {list(VARDIR_SCALES)}, found "
                        f"{vardir_scale!r}")
    if back_transform not in BACK_TRANSFORMS:
        problems.append(f"back_transform must be one of {list(BACK_TRANSFORMS)}, found "
                        f"{back_transform!r}")
    if not (isinstance(level, float) and 0 < level < 1):
        problems.append(f"level must be between 0 and 1 (e.g. 0.95), found {level!r}")
    if not (isinstance(tol, float) and tol > 0):
        problems.append(f"tol must be a positive number such as 1e-10, found {tol!r}")
    if not (isinstance(max_iter, int) and max_iter > 0):
        problems.append(f"max_iter must be a positive integer, found {max_iter!r}")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    n_before = len(problems)
    for what, name in (("area", area), ("direct", direct), ("vardir", vardir)):
        _column(data, name, what, problems)
    missing_cov = [c for c in covariates if c not in data.columns]
    if missing_cov:
        problems.append(f"covariate column(s) {', '.join(map(repr, missing_cov))} are not "
                        f"columns of the data")
    if not covariates and not intercept:
        problems.append("the model needs at least one covariate or the intercept")
    if len(problems) > n_before:
        raise DesignError("; ".join(problems))
    a_col, y_col, v_col = data[area], data[direct], data[vardir]
    areas = a_col.to_numpy()
    if a_col.isna().any():
        problems.append(f"area column {area!r} has {int(a_col.isna().sum())} missing code(s)")
    dup = a_col[a_col.duplicated()].unique()
    if len(dup):
        problems.append(f"area column {area!r} repeats the code(s) {_areas_text(dup)}; give "
                        f"one row per area")
    yv = pd.to_numeric(y_col, errors="coerce")
    bad_y = yv.isna() & y_col.notna()
    if bad_y.any():
        problems.append(f"direct column {direct!r} is not numeric for area(s) "
                        f"{_areas_text(areas[bad_y.to_numpy()])}")
    vv = pd.to_numeric(v_col, errors="coerce")
    X_cols = []
    for c in covariates:
        xc = pd.to_numeric(data[c], errors="coerce")
        bad = xc.isna() | ~np.isfinite(xc.fillna(0).to_numpy(dtype=float))
        if bad.any():
            problems.append(f"covariate {c!r} is missing or not numeric for area(s) "
                            f"{_areas_text(areas[bad.to_numpy()])}; every area needs every "
                            f"covariate")
        X_cols.append(xc.to_numpy(dtype=float, na_value=np.nan))
    has = yv.notna().to_numpy()
    y_all = yv.to_numpy(dtype=float, na_value=np.nan)
    v_all = vv.to_numpy(dtype=float, na_value=np.nan)
    no_v = has & ~np.isfinite(v_all)
    if no_v.any():
        problems.append(f"vardir {vardir!r} is missing for area(s) {_areas_text(areas[no_v])} "
                        f"that have a direct estimate; predict it with fit_gvf or drop their "
                        f"direct estimate")
    nonpos = has & np.isfinite(v_all) & (v_all <= 0)
    if nonpos.any():
        problems.append(f"vardir {vardir!r} must be positive where there is a direct estimate, "
                        f"found {v_all[nonpos][0]:g} for area(s) {_areas_text(areas[nonpos])} "
                        f"(a zero variance usually means one sampled village: replace it with "
                        f"fit_gvf)")
    if transform == "arcsine":
        out01 = has & ((y_all < 0) | (y_all > 1))
        if out01.any():
            problems.append(f"transform 'arcsine' needs shares between 0 and 1 in {direct!r}, "
                            f"found {y_all[out01][0]:g} for area(s) "
                            f"{_areas_text(areas[out01])}")
        elif vardir_scale == "original":
            edge = has & ((y_all == 0) | (y_all == 1))
            if edge.any():
                problems.append(f"the variance of a share of 0 or 1 cannot be put on the arcsine "
                                f"scale (area(s) {_areas_text(areas[edge])}); give vardir on "
                                f"the arcsine scale (vardir_scale='transformed', e.g. from "
                                f"fit_gvf with transform='arcsine')")
    if problems:
        raise DesignError("; ".join(problems))

    terms = (["intercept"] if intercept else []) + covariates
    cols = ([np.ones(len(data))] if intercept else []) + X_cols
    X_all = np.column_stack(cols)
    m, p = int(has.sum()), X_all.shape[1]
    if m <= p:
        raise DesignError(f"the model has {p} coefficients but only {m} area(s) have a direct "
                          f"estimate; it needs more areas than coefficients")
    X = X_all[has]
    rank = np.linalg.matrix_rank(X)
    if rank < p:
        raise DesignError(f"the covariates {covariates} are collinear on the {m} areas with a "
                          f"direct estimate (rank {rank} < {p} coefficients, intercept included)"
                          f"; drop one of them")

    if transform == "arcsine":
        y = arcsine(y_all[has])
        D = v_all[has] if vardir_scale == "transformed" else arcsine_variance(y_all[has],
                                                                               v_all[has])
    else:
        y = y_all[has]
        D = v_all[has]

    A, A_raw, iterations = _fit_sigma2(y, X, D, method, tol, max_iter)
    Vi = 1.0 / (A + D)
    XtVi = X.T * Vi
    Q = np.linalg.inv(XtVi @ X)
    beta = Q @ (XtVi @ y)
    se = np.sqrt(np.diag(Q))
    zval = beta / se
    resid = y - X @ beta
    loglike = float(-0.5 * (np.log(2 * np.pi * (A + D)) + resid**2 / (A + D)).sum())
    aic = -2 * loglike + 2 * (p + 1)
    bic = -2 * loglike + (p + 1) * math.log(m)
    B = D / (A + D)
    gamma = A * Vi
    sum_vi2 = float((Vi**2).sum())
    var_A = 2.0 / sum_vi2
    b_ml = (-np.trace(Q @ ((X.T * Vi**2) @ X)) / sum_vi2) if method == "ML" else 0.0

    # every area: synthetic part and g2 (x'Qx)
    syn_all = X_all @ beta
    h_all = np.einsum("ij,jk,ik->i", X_all, Q, X_all)
    n = len(data)
    est_t = syn_all.copy()
    g1 = np.full(n, A)
    g2 = h_all.copy()
    g3 = np.zeros(n)
    gam = np.zeros(n)
    ran = np.full(n, np.nan)
    stdres = np.full(n, np.nan)
    vard_t = np.full(n, np.nan)
    y_t = np.full(n, np.nan)
    est_t[has] = syn_all[has] + gamma * resid
    g1[has] = gamma * D  # = D (1 - B), without the cancellation of 1 - B for large D
    g2[has] = B**2 * h_all[has]
    g3[has] = B**2 * var_A / (A + D)
    gam[has] = gamma
    ran[has] = gamma * resid
    stdres[has] = resid / np.sqrt(A + D)
    vard_t[has] = D
    y_t[has] = y
    B_all = np.ones(n)
    B_all[has] = B
    mse_t = g1 + g2 + 2 * g3 - b_ml * B_all**2
    kind = np.where(has, "eblup", "synthetic")

    # R2: share of the area-effect variance explained by the covariates (intercept-only fit)
    r2 = float("nan")
    if intercept:
        try:
            A0 = A if p == 1 else _fit_sigma2(y, X[:, :1], D, method, tol, max_iter)[0]
        except DesignError:
            A0 = float("nan")
        if A0 > 0:
            r2 = 1.0 - A / A0
    adj_r2 = _adj_r2_ls(y, X, D)

    from scipy import special  # here: importing scipy costs a batch's planning 0.08 s

    z = float(special.ndtri(1 - (1 - level) / 2))
    if transform == "arcsine":
        est, mse, lo, hi = _back_arcsine(est_t, mse_t, back_transform, z)
        vard = np.where(has, v_all, np.nan)
        if vardir_scale == "transformed":
            vard = np.where(has, 4 * y_all * (1 - y_all) * v_all, np.nan)
    else:
        est, mse = est_t, mse_t
        half = z * np.sqrt(mse)
        lo, hi = est - half, est + half
        vard = np.where(has, v_all, np.nan)
    estimates = pd.DataFrame({
        "area": areas, "kind": kind, "direct": np.where(has, y_all, np.nan), "vardir": vard,
        "estimate": est, "mse": mse, "rmse": np.sqrt(mse), "ci_low": lo, "ci_high": hi,
        "gamma": gam})
    estimates.attrs.update({"level": level, "method": method, "transform": transform})
    model_scale = pd.DataFrame({
        "area": areas, "kind": kind, "y": y_t, "vardir": vard_t, "synthetic": syn_all,
        "random_effect": ran, "estimate": est_t, "g1": g1, "g2": g2, "g3": g3, "mse": mse_t,
        "gamma": gam, "std_residual": stdres})
    coef = pd.DataFrame({"estimate": beta, "se": se, "z": zval,
                         "p_value": 2 * special.ndtr(-np.abs(zval))}, index=pd.Index(terms,
                                                                                   name="term"))
    return FayHerriotResults(
        estimates=estimates, model_scale=model_scale, beta=coef,
        beta_cov=pd.DataFrame(Q, index=terms, columns=terms),
        sigma2_u=A, sigma2_u_se=math.sqrt(var_A), sigma2_u_truncated=A_raw <= 0,
        sigma2_u_raw=A_raw, method=method, transform=transform,
        back_transform=back_transform if transform == "arcsine" else "none", level=level,
        iterations=iterations, loglike=loglike, aic=aic, bic=bic, r2=r2, adj_r2=adj_r2,
        ml_bias=float(b_ml), covariates=tuple(covariates),
        design_matrix=pd.DataFrame(X_all, index=pd.Index(areas, name="area"), columns=terms))


# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkInfo:
    """How the estimates were benchmarked (see :meth:`FayHerriotResults.benchmark`).

    Attributes
    ----------
    method, allocation : str
        ``difference`` or ``ratio``; ``uniform`` or ``mse``.
    target, target_variance : float
        The direct higher-level estimate and its sampling variance.
    before : float
        The household-weighted mean of the published values before benchmarking.
    fixed : tuple
        Areas kept at their direct estimate.
    weights : pandas.Series
        The area weights (households, normalised to sum to 1), indexed by area.
    """

    method: str
    allocation: str
    target: float
    target_variance: float
    before: float
    fixed: tuple[Any, ...] = ()
    weights: pd.Series = field(default_factory=pd.Series, repr=False)


@dataclass(frozen=True)
class FayHerriotResults:
    """A fitted Fay-Herriot model; numbers unrounded, rendered by :meth:`summary`.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per area in the order of the data: ``area``, ``kind`` (``eblup`` or
        ``synthetic``; ``direct`` for areas kept at their direct estimate by
        :meth:`benchmark`), ``direct``, ``vardir`` (on the scale of the direct estimate),
        ``estimate``, ``mse``, ``rmse``, ``ci_low``, ``ci_high`` (at ``level``), ``gamma``
        (shrinkage factor sigma2_u / (sigma2_u + D_i), 0 for synthetic). After
        :meth:`benchmark` also ``estimate_unbenchmarked``, ``mse_unbenchmarked``,
        ``adjustment``.
    model_scale : pandas.DataFrame
        The model's own numbers (arcsine scale under that transform): ``y``, ``vardir``,
        ``synthetic`` (x'beta), ``random_effect``, ``estimate``, ``g1``, ``g2``, ``g3``, ``mse``,
        ``gamma``, ``std_residual`` ((y - x'beta) / sqrt(sigma2_u + D)). For synthetic rows
        g1 = sigma2_u, g2 = x'(X'V^-1X)^-1 x and g3 = 0.
    beta : pandas.DataFrame
        Index ``term``; ``estimate``, ``se``, ``z``, ``p_value`` (normal, as sae).
    beta_cov : pandas.DataFrame
        (X'V^-1X)^-1.
    sigma2_u, sigma2_u_se : float
        Area-effect variance (after truncation at 0) and its asymptotic SE sqrt(2 / sum V^-2).
    sigma2_u_truncated : bool
        True when the estimate was at or below 0 and set to 0.
    sigma2_u_raw : float
        The last scoring iterate before truncation.
    method, transform, back_transform : str
    level : float
    iterations : int
    loglike, aic, bic : float
        As ``sae::eblupFH`` reports them (the Gaussian log-likelihood at the estimates).
    r2 : float
        1 - sigma2_u / sigma2_u(intercept only): share of the between-area variance explained
        by the covariates (NaN without intercept or when the intercept-only sigma2_u is 0).
    adj_r2 : float
        Lahiri-Suntornchost (2015) adjusted R2 (emdi's ``AdjR2``).
    ml_bias : float
        Bias term b of the ML estimator of sigma2_u (0 for REML).
    covariates : tuple of str
    design_matrix : pandas.DataFrame
        X for every area (index area).
    benchmark_info : BenchmarkInfo or None
    gvf : GVFResults or None
        The variance function used to replace untrusted variances, if any.
    """

    estimates: pd.DataFrame
    model_scale: pd.DataFrame
    beta: pd.DataFrame
    beta_cov: pd.DataFrame
    sigma2_u: float
    sigma2_u_se: float
    sigma2_u_truncated: bool
    sigma2_u_raw: float
    method: str
    transform: str
    back_transform: str
    level: float
    iterations: int
    loglike: float
    aic: float
    bic: float
    r2: float
    adj_r2: float
    ml_bias: float
    covariates: tuple[str, ...]
    design_matrix: pd.DataFrame = field(repr=False)
    benchmark_info: BenchmarkInfo | None = None
    gvf: GVFResults | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        n = len(self.estimates)
        k = self.n_direct
        bm = f", benchmarked={self.benchmark_info.method}" if self.benchmark_info else ""
        return (f"FayHerriotResults(method={self.method}, areas={n}, direct={k}, "
                f"synthetic={n - k}, sigma2_u={self.sigma2_u:.6g}, "
                f"transform={self.transform}{bm})")

    @property
    def n_direct(self) -> int:
        """Number of areas with a direct estimate (the model was fitted on these)."""
        return int((self.model_scale["kind"] == "eblup").sum())

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`estimates` (level, method and transform in ``attrs``)."""
        out = self.estimates.copy()
        out.attrs.update(self.estimates.attrs)
        return out

    def diagnostics(self) -> pd.Series:
        """Fit measures: sigma2_u, R2, adjusted R2, log-likelihood, AIC, BIC, normality tests.

        Shapiro-Wilk tests are on the standardised residuals (y - x'beta) / sqrt(sigma2_u + D)
        and on the predicted random effects (NaN when fewer than 3 or all equal).
        """
        ms = self.model_scale
        res = ms["std_residual"].to_numpy(dtype=float)
        ran = ms["random_effect"].to_numpy(dtype=float)
        w_r, p_r = _shapiro(res)
        w_u, p_u = _shapiro(ran)
        g = ms.loc[ms["kind"] == "eblup", "gamma"]
        fin = res[np.isfinite(res)]
        return pd.Series({
            "sigma2_u": self.sigma2_u, "sigma2_u_se": self.sigma2_u_se,
            "sigma2_u_truncated": self.sigma2_u_truncated, "r2": self.r2,
            "adj_r2": self.adj_r2, "loglike": self.loglike, "aic": self.aic, "bic": self.bic,
            "iterations": self.iterations, "gamma_min": g.min(), "gamma_median": g.median(),
            "gamma_max": g.max(), "std_residual_sd": float(np.std(fin, ddof=1))
            if len(fin) > 1 else float("nan"),
            "std_residual_over_2": int((np.abs(fin) > 2).sum()),
            "shapiro_residual_w": w_r, "shapiro_residual_p": p_r,
            "shapiro_random_effect_w": w_u, "shapiro_random_effect_p": p_u})

    def prediction_error_cov(self) -> pd.DataFrame:
        """Approximate covariance matrix of the prediction errors, on the estimates' scale.

        Off the diagonal (1 - gamma_i)(1 - gamma_j) x_i'(X'V^-1X)^-1 x_j, the covariance that
        the shared beta-hat induces (sigma2_u taken as known); on the diagonal the MSE. Under
        the arcsine transform both are carried to shares by the delta method (derivative
        sin(2 theta)), the diagonal being the MSE of the share.
        """
        areas = self.estimates["area"].to_numpy()
        return pd.DataFrame(self._pe_cov(), index=areas, columns=areas)

    def _pe_cov(self) -> np.ndarray:
        ms = self.model_scale
        Xa = self.design_matrix.to_numpy(dtype=float)
        C = (1 - ms["gamma"].to_numpy(dtype=float))[:, None] * Xa
        Q = self.beta_cov.to_numpy(dtype=float)
        M = C @ Q @ C.T
        if self.transform == "arcsine":
            c = np.clip(ms["estimate"].to_numpy(dtype=float), 0.0, np.pi / 2)
            J = np.sin(2 * c)
            M = M * np.outer(J, J)
        np.fill_diagonal(M, self.estimates["mse"].to_numpy(dtype=float))
        return M

    def benchmark(
        self,
        weights: pd.Series | Mapping[Any, float],
        target: float,
        *,
        target_variance: float = 0.0,
        fixed: Sequence[Any] | None = None,
        method: str = "difference",
        allocation: str = "mse",
    ) -> FayHerriotResults:
        """Make the household-weighted estimates agree with a direct higher-level estimate.

        With w_i the area's share of households and T = sum w_i est_i, each adjustable
        estimate becomes est_i + a_i (target - T) with sum w_i a_i = 1, so that
        sum w_i est_i = target exactly:

        * ``difference``: a_i proportional to phi_i w_i, phi_i = 1 / w_i (``uniform``: the same
          shift for every area) or phi_i = MSE_i (``mse``: the least precise estimates move
          most); this minimises sum (est_i - new_i)^2 / phi_i under the constraint;
        * ``ratio``: every adjustable estimate is multiplied by the same factor (T_adj must be
          positive), i.e. a_i = est_i / T_adj.

        Areas in ``fixed`` keep their direct estimate (e.g. the tambons published with
        estimate basis ``direct``): their value in T is the direct estimate, their MSE its
        sampling variance, and they are not adjusted.

        MSE (first-order; ``docs/smallarea.md``): with M the covariance of the errors of the
        published values (:meth:`prediction_error_cov`, sampling variances on the diagonal of
        fixed areas and no covariance between two fixed areas) and the target's sampling error
        taken as independent of them, the benchmarked MSE is
        ``MSE_i + a_i^2 (w'Mw + target_variance) - 2 a_i (Mw)_i``; for ``ratio`` a_i is
        linearised at the estimates.

        Parameters
        ----------
        weights : pandas.Series or mapping
            Households (or any positive size) of every area of the results, keyed by area.
        target : float
            The direct estimate of the higher level (e.g. the province) on the same scale as
            the estimates.
        target_variance : float
            Its sampling variance (0: treated as exact).
        fixed : sequence, optional
            Areas (with a direct estimate) published with their direct estimate.
        method : {"difference", "ratio"}
        allocation : {"uniform", "mse"}
            For ``difference`` only.

        Returns
        -------
        FayHerriotResults
            A new object; in ``estimates`` fixed areas get ``kind = "direct"`` with their
            direct estimate and variance, and the table gains ``estimate_unbenchmarked``,
            ``mse_unbenchmarked`` and ``adjustment``; intervals are estimate +/- z rmse
            (clipped to [0, 1] for shares under the arcsine transform).
        """
        if self.benchmark_info is not None:
            raise DesignError("these estimates are already benchmarked; benchmark the "
                              "unbenchmarked results once")
        problems = []
        if method not in BENCHMARK_METHODS:
            problems.append(f"method must be one of {list(BENCHMARK_METHODS)}, found {method!r}")
        if allocation not in ALLOCATIONS:
            problems.append(f"allocation must be one of {list(ALLOCATIONS)}, found "
                            f"{allocation!r}")
        if not (isinstance(target, int | float) and math.isfinite(target)):
            problems.append(f"target must be a finite number, found {target!r}")
        if not (isinstance(target_variance, int | float) and target_variance >= 0):
            problems.append(f"target_variance must be a number >= 0, found {target_variance!r}")
        if problems:
            raise DesignError("; ".join(problems))
        e = self.estimates
        areas = e["area"].to_numpy()
        wser = pd.Series(weights, dtype=float) if not isinstance(weights, pd.Series) \
            else pd.to_numeric(weights, errors="coerce")
        known = set(wser.index)
        missing = [a for a in areas if a not in known]
        if missing:
            raise DesignError(f"weights are missing for area(s) {_areas_text(missing)}; "
                              f"benchmarking needs the households of every area")
        estimated = set(areas)
        extra = [a for a in wser.index if a not in estimated]
        if extra:
            raise DesignError(f"weights name area(s) {_areas_text(extra)} that the model did "
                              f"not estimate; the target must cover exactly the areas estimated")
        w = wser.reindex(areas).to_numpy(dtype=float)
        if not np.all(np.isfinite(w) & (w > 0)):
            bad = areas[~(np.isfinite(w) & (w > 0))]
            raise DesignError(f"weights must be positive, found "
                              f"{wser.reindex(bad).iloc[0]!r} for area(s) {_areas_text(bad)}")
        w = w / w.sum()
        fixed_set = set(fixed) if fixed is not None else set()
        unknown = [a for a in fixed_set if a not in estimated]
        if unknown:
            raise DesignError(f"fixed area(s) {_areas_text(sorted(map(str, unknown)))} are not "
                              f"areas of the results")
        fx = np.isin(areas, list(fixed_set)) if fixed_set else np.zeros(len(areas), bool)
        no_direct = fx & (e["kind"].to_numpy() != "eblup")
        if no_direct.any():
            raise DesignError(f"fixed area(s) {_areas_text(areas[no_direct])} have no direct "
                              f"estimate to keep")
        if fx.all():
            raise DesignError("every area is fixed; benchmarking needs areas to adjust")
        est = e["estimate"].to_numpy(dtype=float).copy()
        mse = e["mse"].to_numpy(dtype=float).copy()
        est[fx] = e["direct"].to_numpy(dtype=float)[fx]
        mse[fx] = e["vardir"].to_numpy(dtype=float)[fx]
        M = self._pe_cov()
        M[np.ix_(fx, fx)] = 0.0
        M[np.flatnonzero(fx), np.flatnonzero(fx)] = mse[fx]
        adj = ~fx
        before = float(w @ est)
        delta = float(target) - before
        a = np.zeros(len(w))
        if method == "ratio":
            t_adj = float(w[adj] @ est[adj])
            if t_adj <= 0:
                raise DesignError(f"ratio benchmarking needs a positive weighted mean of the "
                                  f"adjusted estimates, found {t_adj:g}; use "
                                  f"method='difference'")
            a[adj] = est[adj] / t_adj
        elif allocation == "uniform":
            a[adj] = 1.0 / w[adj].sum()
        else:
            a[adj] = mse[adj] * w[adj] / float((mse[adj] * w[adj] ** 2).sum())
        Mw = M @ w
        wMw = float(w @ Mw)
        new_est = est + a * delta
        new_mse = mse + a**2 * (wMw + float(target_variance)) - 2 * a * Mw
        new_mse[fx] = mse[fx]
        new_mse = np.maximum(new_mse, 0.0)
        from scipy import special  # here: importing scipy costs a batch's planning 0.08 s

        z = float(special.ndtri(1 - (1 - self.level) / 2))
        half = z * np.sqrt(new_mse)
        lo, hi = new_est - half, new_est + half
        if self.transform == "arcsine":
            lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
        out = e.assign(
            kind=np.where(fx, "direct", e["kind"].to_numpy()), estimate=new_est, mse=new_mse,
            rmse=np.sqrt(new_mse), ci_low=lo, ci_high=hi,
            gamma=np.where(fx, 1.0, e["gamma"].to_numpy(dtype=float)),
            estimate_unbenchmarked=e["estimate"].to_numpy(dtype=float),
            mse_unbenchmarked=e["mse"].to_numpy(dtype=float), adjustment=new_est - est)
        out.attrs.update(e.attrs)
        out.attrs["benchmark"] = method
        info = BenchmarkInfo(method=method, allocation=allocation if method == "difference"
                             else "ratio", target=float(target),
                             target_variance=float(target_variance), before=before,
                             fixed=tuple(areas[fx]),
                             weights=pd.Series(w, index=areas, name="weight"))
        return dc_replace(self, estimates=out, benchmark_info=info)

    def summary(self, lang: str = "en") -> FayHerriotSummary:
        """Return the rendered summary (text, HTML, Typst) in ``lang`` ("en" or "th")."""
        def L(key: str, **kw: Any) -> str:
            return label(f"smallarea.{key}", lang, **kw)

        d = self.diagnostics()
        n = len(self.estimates)
        k = self.n_direct
        header = [
            (L("model"), L(f"method.{self.method}")),
            (L("areas"), L("areas_value", total=n, direct=k, synthetic=n - k)),
            (L("sigma2_u"), f"{_fmt(self.sigma2_u)} ({L('se')} {_fmt(self.sigma2_u_se)})"),
            (L("iterations"), str(self.iterations)),
            (L("loglike"), f"{_fmt(self.loglike)}  AIC {_fmt(self.aic)}  BIC {_fmt(self.bic)}"),
            (L("r2"), _fmt(self.r2)),
            (L("adj_r2"), _fmt(self.adj_r2)),
            (L("gamma"), L("gamma_value", lo=_fmt(d["gamma_min"]), med=_fmt(d["gamma_median"]),
                            hi=_fmt(d["gamma_max"]))),
            (L("transform"), L(f"transform.{self.transform}")
             + (f" ({L(f'back.{self.back_transform}')})" if self.transform == "arcsine" else "")),
        ]
        coef = pd.DataFrame({
            L("term"): self.beta.index.astype(str),
            L("estimate"): [_fmt(v) for v in self.beta["estimate"]],
            L("se"): [_fmt(v) for v in self.beta["se"]],
            "z": [f"{v:.2f}" for v in self.beta["z"]],
            L("p_value"): [_fmt_p(v) for v in self.beta["p_value"]]})
        diag = [
            (L("std_residuals"), L("std_residuals_value", sd=_fmt(d["std_residual_sd"]),
                                   n=int(d["std_residual_over_2"]), m=k,
                                   p=_fmt_p(d["shapiro_residual_p"]))),
            (L("random_effects"), L("shapiro_value", p=_fmt_p(d["shapiro_random_effect_p"]))),
        ]
        notes = []
        if self.sigma2_u_truncated:
            notes.append(L("truncated"))
        if self.benchmark_info is not None:
            b = self.benchmark_info
            notes.append(L("benchmarked", method=L(f"benchmark.{b.method}"),
                           target=_fmt(b.target), before=_fmt(b.before)))
        if self.gvf is not None:
            notes.append(L("gvf_note", n=int((self.gvf.table["source"] == "gvf").sum()),
                           min_villages=self.gvf.min_villages))
        return FayHerriotSummary(title=L("title"), header=header, coefficients=coef,
                                 diagnostics=diag, notes=notes)

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def _fmt(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return "-"
    return f"{v:.4g}"


def _fmt_p(x: Any) -> str:
    v = float(x)
    if math.isnan(v):
        return "-"
    return "<0.001" if v < 0.001 else f"{v:.3f}"


@dataclass(frozen=True)
class FayHerriotSummary:
    """The rendered summary of a :class:`FayHerriotResults` (numbers already formatted)."""

    title: str
    header: list[tuple[str, str]]
    coefficients: pd.DataFrame
    diagnostics: list[tuple[str, str]]
    notes: list[str]

    def as_text(self) -> str:
        """Plain-text rendering."""
        width = max(len(k) for k, _ in self.header + self.diagnostics)
        lines = [self.title, "=" * len(self.title)]
        lines += [f"{k:<{width}}  {v}" for k, v in self.header]
        lines += ["", self.coefficients.to_string(index=False), ""]
        lines += [f"{k:<{width}}  {v}" for k, v in self.diagnostics]
        lines += [f"* {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def as_html(self) -> str:
        """HTML rendering (what Jupyter shows)."""
        e = html.escape

        def rows(pairs: list[tuple[str, str]]) -> str:
            return "".join(f"<tr><th style='text-align:left'>{e(k)}</th><td style='text-align:"
                           f"left'>{e(v)}</td></tr>" for k, v in pairs)
        coef = self.coefficients.to_html(index=False, escape=True, border=0)
        notes = "".join(f"<li>{e(n)}</li>" for n in self.notes)
        return (f"<div class='abcresearch-fh'><strong>{e(self.title)}</strong>"
                f"<table>{rows(self.header)}</table>{coef}<table>{rows(self.diagnostics)}"
                f"</table>" + (f"<ul>{notes}</ul>" if notes else "") + "</div>")

    def _repr_html_(self) -> str:
        return self.as_html()

    def as_typst(self) -> str:
        """Typst markup: the header and diagnostics as two-column tables and the coefficients."""
        def q(s: str) -> str:
            return "[" + s.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]") \
                .replace("#", "\\#").replace("*", "\\*").replace("_", "\\_") \
                .replace("$", "\\$").replace("<", "\\<").replace("@", "\\@") + "]"

        def pairs(ps: list[tuple[str, str]]) -> str:
            cells = ", ".join(f"{q(k)}, {q(v)}" for k, v in ps)
            return f"#table(columns: 2, stroke: none, {cells})"
        cols = list(self.coefficients.columns)
        cells = ", ".join([q(c) for c in cols] + [q(str(v)) for row in
                          self.coefficients.itertuples(index=False) for v in row])
        notes = "\n".join(f"- {q(n)[1:-1]}" for n in self.notes)
        return "\n\n".join([f"*{q(self.title)[1:-1]}*", pairs(self.header),
                            f"#table(columns: {len(cols)}, {cells})", pairs(self.diagnostics),
                            notes]).rstrip()


# ---------------------------------------------------------------------------------------------
# Generalised variance function
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GVFResults:
    """A generalised variance function log(D) = b0 + sum_k b_k term_k (OLS or gamma GLM).

    Attributes
    ----------
    coefficients : pandas.DataFrame
        Index ``term`` (``intercept`` and the terms); ``estimate``, ``se``.
    terms : tuple of str
    smearing : float
        Duan's smearing factor mean(exp(residual)) (1 when switched off).
    r2, residual_sd : float
        Of the log-scale regression (``log_ols``), or the deviance R2 and the square root of
        the dispersion (coefficient of variation) of the gamma GLM.
    n_fit : int
        Areas the function was fitted on (trusted: at least ``min_villages`` sampled villages,
        a positive variance and, for the arcsine scale or ``log_pq``, 0 < p < 1).
    min_villages : int
    transform : str
        ``arcsine``: the variances in ``table`` are those of arcsin(sqrt(p_hat)).
    fit : {"log_ols", "gamma"}
        How it was fitted (:func:`fit_gvf`).
    table : pandas.DataFrame
        One row per area: ``area``, ``villages``, ``households``, ``direct``, ``vardir`` (as
        given), ``vardir_model`` (on the model's scale), ``trusted``, ``vardir_gvf``
        (prediction, NaN where it cannot be made), ``vardir_used`` (what the model should
        use) and ``source`` (``direct``, ``gvf``, or ``none`` without a direct estimate).
    """

    coefficients: pd.DataFrame
    terms: tuple[str, ...]
    smearing: float
    r2: float
    residual_sd: float
    n_fit: int
    min_villages: int
    transform: str
    table: pd.DataFrame = field(repr=False)
    fit: str = "log_ols"

    def __repr__(self) -> str:
        n = int((self.table["source"] == "gvf").sum())
        return (f"GVFResults(terms={list(self.terms)}, fit={self.fit}, n_fit={self.n_fit}, "
                f"replaced={n}, r2={self.r2:.3g}, transform={self.transform})")

    def _repr_html_(self) -> str:
        c = self.coefficients.copy()
        return (f"<div><strong>GVF</strong> log(vardir) ~ "
                f"{html.escape(' + '.join(self.terms) or '1')}; n = {self.n_fit}, "
                f"R2 = {_fmt(self.r2)}, smearing = {_fmt(self.smearing)}"
                + c.to_html(float_format=lambda v: f"{v:.4g}", border=0) + "</div>")


def _gvf_matrix(terms: Sequence[str], households: np.ndarray, villages: np.ndarray,
                p: np.ndarray) -> np.ndarray:
    cols = [np.ones(len(households))]
    with np.errstate(divide="ignore", invalid="ignore"):
        for t in terms:
            if t == "log_households":
                cols.append(np.log(households))
            elif t == "log_villages":
                cols.append(np.log(villages))
            else:
                cols.append(np.log(p * (1 - p)))
    return np.column_stack(cols)


def fit_gvf(
    data: pd.DataFrame,
    *,
    area: str,
    direct: str,
    vardir: str,
    households: str,
    villages: str,
    terms: Sequence[str] = ("log_households",),
    min_villages: int = 2,
    transform: str = "none",
    replace: str = "untrusted",
    smearing: bool = True,
    fit: str = "log_ols",
) -> GVFResults:
    """Fit a generalised variance function on trusted areas; predict the others' variances.

    The direct variance of an area resting on fewer than ``min_villages`` sampled villages is
    understated (the between-village variance cannot be estimated from one village), so it is
    replaced by ``exp(b0 + sum b_k term_k)`` fitted on the areas with at least
    ``min_villages`` villages and a positive variance, either by OLS of log(vardir) (times
    Duan's smearing factor) or as a gamma GLM with log link (``fit="gamma"``), which models
    E[vardir] itself.

    Why ``gamma``: an estimated variance resting on k sampled villages is about
    D chi2_{k-1} / (k - 1); its log is biased by E log(chi2_nu / nu) (-1.27 for one degree of
    freedom, -0.27 for four), so with areas of 2 to 7 villages OLS on the log flattens the
    slope and a single smearing factor cannot undo a bias that depends on k. The GLM's
    estimating equations are unbiased for the mean whatever the spread, so its prediction is
    that of E[D] (no smearing needed). ``docs/smallarea.md`` section 6 gives the validation.

    Terms: ``log_households`` (log households sampled), ``log_villages`` (log villages sampled)
    and, for shares on their own scale, ``log_pq`` (log p(1 - p), p the direct share). For a
    mean or share from a cluster sample D ~ deff S^2 / n, so log D is linear in log n (slope
    near -1) and, for shares, in log p(1 - p) (slope near 1).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area.
    area, direct, vardir, households, villages : str
        Columns: area code, direct estimate (missing without a sample), its variance (on the
        share's own scale), households and villages sampled.
    terms : sequence of str
        Regressors (besides the intercept).
    min_villages : int
        Trusted areas have at least this many sampled villages.
    transform : {"none", "arcsine"}
        ``arcsine``: fit and predict the variance of arcsin(sqrt(p_hat)), using
        D / (4 p (1 - p)) for the trusted areas (``log_pq`` not allowed: the transform removes
        the dependence on p); the prediction then also exists for p_hat = 0 or 1.
    replace : {"untrusted", "all"}
        Replace only untrusted variances (and missing or non-positive ones), or every area's.
    smearing : bool
        Multiply predictions by Duan's smearing factor mean(exp(residual)), which corrects the
        retransformation bias of exp(fitted log variance) (``log_ols`` only).
    fit : {"log_ols", "gamma"}
        OLS of the log variance, or gamma GLM with log link of the variance.

    Returns
    -------
    GVFResults
        ``table["vardir_used"]`` is the variance to give :func:`fay_herriot` (with
        ``vardir_scale="transformed"`` under the arcsine transform).

    Raises
    ------
    DesignError
        Missing columns, unknown terms, too few trusted areas, or a prediction that cannot be
        made (e.g. ``log_pq`` for a share of 0 or 1).
    """
    problems: list[str] = []
    cols = {}
    for what, name in (("area", area), ("direct", direct), ("vardir", vardir),
                       ("households", households), ("villages", villages)):
        c = _column(data, name, what, problems)
        if c is not None:
            cols[what] = c
    terms = tuple(terms)
    bad_terms = [t for t in terms if t not in GVF_TERMS]
    if bad_terms:
        problems.append(f"GVF terms {bad_terms} are unknown; use some of {list(GVF_TERMS)}")
    if transform not in TRANSFORMS:
        problems.append(f"transform must be one of {list(TRANSFORMS)}, found {transform!r}")
    if transform == "arcsine" and "log_pq" in terms:
        problems.append("the GVF term log_pq cannot be used on the arcsine scale (the transform "
                        "removes the dependence of the variance on p)")
    if replace not in GVF_REPLACE:
        problems.append(f"replace must be one of {list(GVF_REPLACE)}, found {replace!r}")
    if fit not in GVF_FITS:
        problems.append(f"fit must be one of {list(GVF_FITS)}, found {fit!r}")
    if not (isinstance(min_villages, int) and min_villages >= 1):
        problems.append(f"min_villages must be a positive integer, found {min_villages!r}")
    if problems:
        raise DesignError("; ".join(problems))
    areas = cols["area"].to_numpy()
    y = pd.to_numeric(cols["direct"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    v = pd.to_numeric(cols["vardir"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    hh = pd.to_numeric(cols["households"], errors="coerce").to_numpy(dtype=float,
                                                                      na_value=np.nan)
    vil = pd.to_numeric(cols["villages"], errors="coerce").to_numpy(dtype=float,
                                                                     na_value=np.nan)
    has = np.isfinite(y)
    if transform == "arcsine":
        out01 = has & ((y < 0) | (y > 1))
        if out01.any():
            raise DesignError(f"transform 'arcsine' needs shares between 0 and 1 in {direct!r}, "
                              f"found {y[out01][0]:g} for area(s) {_areas_text(areas[out01])}")
        v_model = arcsine_variance(y, v)
    else:
        v_model = v
    need_p = transform == "arcsine" or "log_pq" in terms
    interior = (y > 0) & (y < 1)
    with np.errstate(invalid="ignore"):
        trusted = has & (vil >= min_villages) & np.isfinite(v_model) & (v_model > 0) \
            & np.isfinite(hh) & (hh > 0) & (interior if need_p else True)
    nb = len(terms) + 1
    if trusted.sum() < nb + 2:
        raise DesignError(f"the GVF needs at least {nb + 2} areas with {min_villages} or more "
                          f"sampled villages and a positive variance, found {int(trusted.sum())}"
                          f"; use fewer terms or pool more areas")
    Xg = _gvf_matrix(terms, hh, vil, y)
    import statsmodels.api as sm

    if fit == "gamma":
        model = sm.GLM(v_model[trusted], Xg[trusted],
                       family=sm.families.Gamma(sm.families.links.Log())).fit()
        smear = 1.0
        r2 = 1.0 - float(model.deviance) / float(model.null_deviance)
        resid_sd = float(np.sqrt(model.scale))
    else:
        model = sm.OLS(np.log(v_model[trusted]), Xg[trusted]).fit()
        resid = np.asarray(model.resid)
        smear = float(np.mean(np.exp(resid))) if smearing else 1.0
        r2, resid_sd = float(model.rsquared), float(np.sqrt(model.scale))
    with np.errstate(invalid="ignore", over="ignore"):
        pred = np.exp(Xg @ np.asarray(model.params)) * smear
    pred = np.where(np.all(np.isfinite(Xg), axis=1), pred, np.nan)
    if replace == "all":
        use_gvf = has.copy()
    else:
        with np.errstate(invalid="ignore"):
            untrusted = ~(vil >= min_villages) | ~np.isfinite(v_model) | ~(v_model > 0)
        use_gvf = has & untrusted
    cannot = use_gvf & ~np.isfinite(pred)
    if cannot.any():
        why = ("households and villages sampled must be positive"
               + ("; log_pq needs a share strictly between 0 and 1 (use transform 'arcsine')"
                  if "log_pq" in terms else ""))
        raise DesignError(f"the GVF cannot predict the variance of area(s) "
                          f"{_areas_text(areas[cannot])} ({why})")
    used = np.where(use_gvf, pred, np.where(has, v_model, np.nan))
    source = np.where(use_gvf, "gvf", np.where(has, "direct", "none"))
    table = pd.DataFrame({"area": areas, "villages": vil, "households": hh, "direct": y,
                          "vardir": v, "vardir_model": v_model, "trusted": trusted,
                          "vardir_gvf": pred, "vardir_used": used, "source": source})
    names = ["intercept", *terms]
    coef = pd.DataFrame({"estimate": np.asarray(model.params), "se": np.asarray(model.bse)},
                        index=pd.Index(names, name="term"))
    return GVFResults(coefficients=coef, terms=terms, smearing=smear, r2=r2,
                      residual_sd=resid_sd, n_fit=int(trusted.sum()),
                      min_villages=int(min_villages), transform=transform, table=table,
                      fit=fit)


# ---------------------------------------------------------------------------------------------
# The whole chain with params/smallarea.yaml
# ---------------------------------------------------------------------------------------------


def small_area_estimates(
    data: pd.DataFrame,
    *,
    area: str,
    direct: str,
    vardir: str,
    households: str,
    villages: str,
    kind: str = "mean",
    covariates: Sequence[str] | None = None,
    benchmark_weights: str | None = None,
    benchmark_target: float | None = None,
    benchmark_variance: float = 0.0,
    benchmark_fixed: Sequence[Any] | None = None,
    settings: SmallAreaSettings | None = None,
) -> FayHerriotResults:
    """GVF, Fay-Herriot model and (optionally) benchmarking with the settings of ``params/``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area of the higher level (e.g. every tambon of the province): the direct
        estimate (missing where no village was sampled), its variance, households and villages
        sampled, the covariates (e.g. merged from :func:`area_covariates`) and, for
        benchmarking, the households of the area.
    area, direct, vardir, households, villages : str
        Column names (see :func:`fit_gvf`).
    kind : {"mean", "share"}
        Chooses the transform and GVF terms of the settings.
    covariates : sequence of str, optional
        Default: the settings' covariates.
    benchmark_weights : str, optional
        Column of the areas' households (population); with ``benchmark_target`` the estimates
        are benchmarked to it (settings' method and allocation).
    benchmark_target, benchmark_variance : float
        The direct higher-level estimate and its sampling variance.
    benchmark_fixed : sequence, optional
        Areas published with their direct estimate (kept, not adjusted; see
        :meth:`FayHerriotResults.benchmark`).
    settings : SmallAreaSettings, optional
        Default: :func:`load_smallarea_settings`.

    Returns
    -------
    FayHerriotResults
        With ``gvf`` set (and ``benchmark_info`` when benchmarked).
    """
    s = settings or load_smallarea_settings()
    if kind not in MEASURE_KINDS:
        raise DesignError(f"kind must be one of {list(MEASURE_KINDS)}, found {kind!r}")
    transform = s.transform_for(kind)
    g = fit_gvf(data, area=area, direct=direct, vardir=vardir, households=households,
                villages=villages, terms=s.gvf_terms_for(kind), min_villages=s.gvf_min_villages,
                transform=transform, replace=s.gvf_replace, smearing=s.gvf_smearing,
                fit=s.gvf_fit)
    work = data.copy()
    col = "__vardir_used"
    work[col] = g.table["vardir_used"].to_numpy()
    res = fay_herriot(work, direct=direct, vardir=col,
                      covariates=list(covariates if covariates is not None else s.covariates),
                      area=area, method=s.method, transform=transform,
                      vardir_scale="transformed" if transform == "arcsine" else "original",
                      back_transform=s.back_transform, level=s.level, tol=s.tol,
                      max_iter=s.max_iter)
    res = dc_replace(res, gvf=g)
    if benchmark_target is not None:
        if benchmark_weights is None or benchmark_weights not in data.columns:
            raise DesignError(f"benchmarking needs benchmark_weights, a column of the areas' "
                              f"households; found {benchmark_weights!r}")
        wts = pd.Series(data[benchmark_weights].to_numpy(), index=data[area].to_numpy())
        res = res.benchmark(wts, benchmark_target, target_variance=benchmark_variance,
                            fixed=benchmark_fixed, method=s.benchmark_method,
                            allocation=s.benchmark_allocation)
    return res
