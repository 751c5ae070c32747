"""Single-stage survey design with Taylor-linearisation variances, mirroring R's ``svydesign``.

The design treats clusters as primary sampling units (PSUs) drawn with replacement within
strata (the "ultimate cluster" approximation R's survey package uses for the first stage),
with an optional finite population correction. Every estimator in :mod:`abcresearch.stats`
reduces to the covariance of weighted totals of linearised values, computed here by
:meth:`SurveyDesign.total_vcov` (dense, any number of columns) and by the vectorised
per-domain routine :meth:`SurveyDesign._domain_var` (one domain per row, used by ``by=``).

Conventions follow R's survey package 4.x (``svyrecvar``/``onestrat``) exactly:

* PSU totals :math:`z_{hi}` are centred at their stratum mean and the stratum contributes
  :math:`(1-f_h)\\,n_h/(n_h-1)\\sum_i (z_{hi}-\\bar z_h)^2`;
* strata with :math:`f_h < 10^{-7}` (census strata) contribute zero;
* domains are handled like ``subset.survey.design2``: the full design is kept and values
  outside the domain are zero, so a PSU without domain members still counts in its stratum;
* lonely PSUs (a stratum with one PSU) follow ``options(survey.lonely.psu=...)`` with
  ``survey.adjust.domain.lonely = FALSE``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from abcresearch.errors import DesignError

__all__ = ["LonelyPSU", "SurveyDesign"]

#: R's threshold below which a stratum's fpc factor counts as a census (zero variance).
_CENSUS_TOL = 1e-7


class LonelyPSU(str, Enum):
    """How a stratum with a single PSU enters the variance (R's ``survey.lonely.psu``).

    Attributes
    ----------
    FAIL
        Raise :class:`~abcresearch.errors.DesignError` when the design is built.
    REMOVE
        The stratum contributes nothing to the variance (its PSU is centred at itself).
    CERTAINTY
        The PSU is treated as sampled with certainty: contributes nothing (same as ``remove``
        for single-stage designs, as in R).
    ADJUST
        The lonely PSU total is centred at zero instead of its stratum mean (conservative).
    AVERAGE
        The stratum is dropped and the variance is scaled up by
        ``#strata / #strata-with-more-than-one-PSU``.
    """

    FAIL = "fail"
    REMOVE = "remove"
    CERTAINTY = "certainty"
    ADJUST = "adjust"
    AVERAGE = "average"


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in data.columns:
        raise DesignError(
            f"{role} column {name!r} not found in data; expected one of: "
            f"{', '.join(map(str, data.columns[:20]))}{' ...' if data.shape[1] > 20 else ''}"
        )
    return data[name]


class SurveyDesign:
    """A single-stage (stratified, clustered) survey design, like R's ``svydesign``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. The design reads its own columns once; analysis variables are
        read from ``data`` when an estimator is called.
    weights : str or None
        Column of sampling weights (inverse inclusion probabilities, > 0). ``None`` gives equal
        weights of 1, or, when ``fpc`` is given, ``N_h / n_h`` as R derives them from the fpc.
    strata : str or None
        Column of stratum identifiers; ``None`` means one stratum.
    cluster : str or None
        Column of PSU (cluster) identifiers; ``None`` means every row is its own PSU.
    fpc : str or None
        Column giving, per stratum, either the population number of PSUs (values > 1) or the
        sampling fraction (all values <= 1), as in R. Must be constant within a stratum.
    nest : bool, default False
        If True, cluster identifiers are only unique within strata (R's ``nest=TRUE``).
    lonely_psu : {"fail", "remove", "adjust", "certainty", "average"} or LonelyPSU
        Rule for strata with a single PSU (R's ``options(survey.lonely.psu=)``).

    Raises
    ------
    DesignError
        For missing columns, missing or non-positive weights, clusters that span strata
        (without ``nest=True``), an fpc that varies within a stratum or implies more than 100%
        sampling, and lonely PSUs under ``lonely_psu="fail"`` (the message lists the strata and
        names the options that resolve it).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [3.0, 1.0, 1.0, 3.0]})
    >>> d = SurveyDesign(df, weights="w")
    >>> float(d.mean("y")["estimate"].iloc[0])
    2.5
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | None = None,
        strata: str | None = None,
        cluster: str | None = None,
        fpc: str | None = None,
        nest: bool = False,
        lonely_psu: str | LonelyPSU = "fail",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise DesignError(f"data must be a pandas DataFrame, found {type(data).__name__}")
        try:
            self._lonely = LonelyPSU(lonely_psu)
        except ValueError:
            raise DesignError(
                f"lonely_psu={lonely_psu!r} is not allowed; choose one of "
                f"{', '.join(m.value for m in LonelyPSU)}"
            ) from None
        n = len(data)
        if n == 0:
            raise DesignError("data has no rows; a design needs at least one observation")
        self._data = data
        self._spec = {
            "weights": weights,
            "strata": strata,
            "cluster": cluster,
            "fpc": fpc,
            "nest": nest,
        }

        # strata -------------------------------------------------------------------------
        if strata is None:
            s_codes = np.zeros(n, dtype=np.int64)
            s_labels: pd.Index = pd.Index([1])
        else:
            s = _column(data, strata, "strata")
            if s.isna().any():
                raise DesignError(
                    f"strata column {strata!r} has {int(s.isna().sum())} missing values; "
                    "every row needs a stratum"
                )
            codes, s_labels = pd.factorize(s, sort=True)
            s_codes = codes.astype(np.int64)
        n_strata = len(s_labels)

        # clusters -----------------------------------------------------------------------
        if cluster is None:
            psu_codes = np.arange(n, dtype=np.int64)
        else:
            c = _column(data, cluster, "cluster")
            if c.isna().any():
                raise DesignError(
                    f"cluster column {cluster!r} has {int(c.isna().sum())} missing values; "
                    "every row needs a PSU"
                )
            if nest:
                key = pd.MultiIndex.from_arrays([s_codes, c.to_numpy()])
                codes, _ = pd.factorize(key, sort=True)
            else:
                codes, _ = pd.factorize(c, sort=True)
            psu_codes = codes.astype(np.int64)
        n_psu = int(psu_codes.max()) + 1
        # stratum of each PSU; check nesting
        psu_stratum = np.full(n_psu, -1, dtype=np.int64)
        psu_stratum[psu_codes] = s_codes
        if not np.array_equal(psu_stratum[psu_codes], s_codes):
            bad = np.unique(psu_codes[psu_stratum[psu_codes] != s_codes])
            c_lab = data[cluster].to_numpy()  # type: ignore[index]
            ex = pd.unique(c_lab[np.isin(psu_codes, bad)])[:5]
            raise DesignError(
                f"clusters are not nested in strata: cluster ids {list(ex)} occur in more than "
                f"one stratum of {strata!r}; use nest=True if cluster ids repeat across strata"
            )

        n_h = np.bincount(psu_stratum, minlength=n_strata).astype(np.float64)

        # fpc ----------------------------------------------------------------------------
        if fpc is None:
            f_h = np.ones(n_strata)
            pop_h = np.full(n_strata, np.inf)
        else:
            fv = pd.to_numeric(_column(data, fpc, "fpc"), errors="coerce").to_numpy(float)
            if np.isnan(fv).any():
                raise DesignError(f"fpc column {fpc!r} has missing or non-numeric values")
            lo = np.full(n_strata, np.inf)
            hi = np.full(n_strata, -np.inf)
            np.minimum.at(lo, s_codes, fv)
            np.maximum.at(hi, s_codes, fv)
            varying = np.flatnonzero(lo != hi)
            if varying.size:
                raise DesignError(
                    f"fpc column {fpc!r} varies within strata {list(s_labels[varying][:10])}; "
                    "it must be constant within a stratum"
                )
            if np.all(fv <= 1):
                if np.any(lo <= 0):
                    raise DesignError(f"fpc column {fpc!r}: sampling fractions must be > 0")
                pop_h = n_h / lo
            else:
                pop_h = lo
            over = np.flatnonzero(pop_h < n_h * (1 - 1e-12))
            if over.size:
                raise DesignError(
                    f"fpc column {fpc!r} implies more than 100% sampling in strata "
                    f"{list(s_labels[over][:10])} (population PSUs < sampled PSUs)"
                )
            f_h = np.where(np.isinf(pop_h), 1.0, (pop_h - n_h) / pop_h)

        # weights ------------------------------------------------------------------------
        if weights is None:
            w = pop_h[s_codes] / n_h[s_codes] if fpc is not None else np.ones(n)
        else:
            wv = pd.to_numeric(_column(data, weights, "weights"), errors="coerce")
            w = wv.to_numpy(dtype=float)
            if np.isnan(w).any() or np.any(w <= 0) or np.isinf(w).any():
                bad_n = int((~(w > 0) | np.isinf(w) | np.isnan(w)).sum())
                raise DesignError(
                    f"weights column {weights!r}: expected finite weights > 0, found {bad_n} "
                    "rows with missing, zero, negative or infinite weights"
                )

        # lonely PSUs --------------------------------------------------------------------
        lonely = (n_h == 1) & (f_h >= _CENSUS_TOL)
        if lonely.any() and self._lonely is LonelyPSU.FAIL:
            labs = list(s_labels[lonely])
            shown = ", ".join(map(str, labs[:20])) + (" ..." if len(labs) > 20 else "")
            raise DesignError(
                f"{len(labs)} stratum/strata of {strata!r} have only one PSU, so their variance "
                f"cannot be estimated: {shown}. Pass lonely_psu='adjust' (conservative, centres "
                "the lonely PSU at zero), 'average', 'remove' or 'certainty' to resolve it, or "
                "merge these strata with neighbours."
            )

        scale_h = np.where(n_h > 1, f_h * n_h / np.maximum(n_h - 1, 1), f_h)
        scale_h = np.where(f_h < _CENSUS_TOL, 0.0, scale_h)

        self._n_all = n
        self._w_full = np.asarray(w, dtype=float)
        self._strata = s_codes
        self._strata_labels = s_labels
        self._psu = psu_codes
        self._psu_stratum = psu_stratum
        self._n_h = n_h
        self._f_h = f_h
        self._scale_h = scale_h
        self._lonely_h = lonely
        self._domain = np.ones(n, dtype=bool)
        self._ind: sparse.csr_matrix | None = None

    # ------------------------------------------------------------------ public properties
    @property
    def data(self) -> pd.DataFrame:
        """The full data frame the design was built on (all rows, including out-of-domain)."""
        return self._data

    @property
    def domain(self) -> np.ndarray:
        """Boolean mask over the rows of :attr:`data`: rows in this (sub)design's domain."""
        return self._domain.copy()

    @property
    def weights(self) -> np.ndarray:
        """Sampling weights, one per row of :attr:`data`, zero outside the domain."""
        return np.where(self._domain, self._w_full, 0.0)

    @property
    def lonely_psu(self) -> LonelyPSU:
        """The lonely-PSU rule in force."""
        return self._lonely

    @property
    def n(self) -> int:
        """Number of observations (rows) in the domain."""
        return int(self._domain.sum())

    @property
    def n_strata(self) -> int:
        """Number of strata with at least one observation in the domain."""
        return int(np.unique(self._strata[self._domain]).size)

    @property
    def n_psu(self) -> int:
        """Number of PSUs with at least one observation in the domain."""
        return int(np.unique(self._psu[self._domain]).size)

    @property
    def degf(self) -> int:
        """Design degrees of freedom: #PSUs minus #strata in the domain (R's ``degf``)."""
        return self.n_psu - self.n_strata

    @property
    def strata_codes(self) -> np.ndarray:
        """Integer stratum code (0..H-1) of each row of :attr:`data`."""
        return self._strata.copy()

    @property
    def psu_codes(self) -> np.ndarray:
        """Integer PSU code (0..P-1, unique across strata) of each row of :attr:`data`."""
        return self._psu.copy()

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in self._spec.items() if v not in (None, False)]
        sub = "" if self._domain.all() else f", domain n={self.n} of {self._n_all}"
        return (
            f"SurveyDesign({', '.join(parts)}, lonely_psu={self._lonely.value!r}: "
            f"{self.n_strata} strata, {self.n_psu} PSUs, degf={self.degf}{sub})"
        )

    # ------------------------------------------------------------------ sub-designs
    def subset(self, mask: Any) -> SurveyDesign:
        """Return the domain design for the rows where ``mask`` is True.

        Like R's ``subset.survey.design2``, the full design is kept for variance estimation:
        PSUs without domain members still count in their stratum, so domain standard errors
        are correct. Missing mask values count as False.

        Parameters
        ----------
        mask : array-like of bool or pandas.Series
            One value per row of :attr:`data` (a Series is aligned on the data index).

        Returns
        -------
        SurveyDesign
            A design whose domain is this design's domain intersected with ``mask``.
        """
        m = self._as_mask(mask)
        new = object.__new__(SurveyDesign)
        new.__dict__.update(self.__dict__)
        new._domain = self._domain & m
        return new

    def _as_mask(self, mask: Any) -> np.ndarray:
        if isinstance(mask, pd.Series):
            mask = mask.reindex(self._data.index)
        arr = np.asarray(mask)
        if arr.shape != (self._n_all,):
            raise DesignError(
                f"mask must have one value per row of data ({self._n_all}), found shape "
                f"{arr.shape}"
            )
        if arr.dtype == bool:
            return arr
        out = pd.Series(arr).fillna(False).to_numpy()
        try:
            return out.astype(bool)
        except (TypeError, ValueError):
            raise DesignError("mask must be boolean (True = row in the domain)") from None

    # ------------------------------------------------------------------ variance engine
    def _indicator(self) -> sparse.csr_matrix:
        if self._ind is None:
            n_psu = self._psu_stratum.size
            self._ind = sparse.csr_matrix(
                (np.ones(self._n_all), (self._psu, np.arange(self._n_all))),
                shape=(n_psu, self._n_all),
            )
        return self._ind

    def total_vcov(self, Z: Any) -> np.ndarray:
        """Covariance matrix of the weighted totals :math:`\\sum_i w_i Z_i` under the design.

        This is the primitive every estimator builds on: to get the variance of a smooth
        statistic, pass its linearised values divided by the weights (or pass the values
        directly for a total). Strata, clusters, fpc and the lonely-PSU rule are applied
        exactly as R's ``svyrecvar`` does.

        Parameters
        ----------
        Z : array-like, shape (n,) or (n, k)
            Unweighted per-observation values, one row per row of :attr:`data` (rows outside
            the domain are ignored, i.e. treated as zero). NaN is not allowed in the domain.

        Returns
        -------
        numpy.ndarray, shape (k, k)
            Estimated covariance of the k weighted totals over the domain.

        Raises
        ------
        DesignError
            If ``Z`` has the wrong number of rows or NaN inside the domain.
        """
        Zm = np.asarray(Z, dtype=float)
        if Zm.ndim == 1:
            Zm = Zm[:, None]
        if Zm.ndim != 2 or Zm.shape[0] != self._n_all:
            raise DesignError(
                f"Z must have shape (n, k) with n = {self._n_all} rows (one per row of data), "
                f"found {Zm.shape}"
            )
        wz = Zm * self.weights[:, None]
        if np.isnan(wz[self._domain]).any():
            raise DesignError("Z has NaN values inside the domain; remove or impute them first")
        wz[~self._domain] = 0.0
        return self._vcov_weighted(wz, self._domain)

    def _vcov_weighted(self, wz: np.ndarray, used: np.ndarray) -> np.ndarray:
        """Covariance of column totals of already-weighted values ``wz`` (zero outside ``used``).

        ``used`` marks the observations actually present (for counting strata under the
        ``average`` rule, as R counts strata in the physically subset design).
        """
        k = wz.shape[1]
        t = np.asarray(self._indicator() @ wz)  # (P, k) PSU totals, all PSUs of the design
        h = self._psu_stratum
        n_strata = self._n_h.size
        s_tot = np.zeros((n_strata, k))
        np.add.at(s_tot, h, t)
        dev = t - (s_tot / self._n_h[:, None])[h]
        scale = self._scale_h[h].copy()
        lonely_psu = self._lonely_h[h]
        factor = 1.0
        if self._lonely is LonelyPSU.ADJUST:
            dev[lonely_psu] = t[lonely_psu]
        elif self._lonely is LonelyPSU.AVERAGE:
            present = np.zeros(n_strata, dtype=bool)
            present[self._strata[used]] = True
            n_ok = int((present & ~self._lonely_h).sum())
            n_present = int(present.sum())
            scale[lonely_psu] = 0.0
            factor = n_present / n_ok if n_ok > 0 else np.nan
        v = dev.T @ (dev * scale[:, None])
        return np.asarray(v * factor)

    def _domain_var(
        self, wz: np.ndarray, codes: np.ndarray, n_dom: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectorised variances of per-domain weighted totals (one domain per row).

        Parameters
        ----------
        wz : numpy.ndarray, shape (n,)
            Weighted linearised values.
        codes : numpy.ndarray of int, shape (n,)
            Domain code 0..n_dom-1 of each row, or -1 for rows not used (outside the domain,
            missing values).
        n_dom : int
            Number of domains.

        Returns
        -------
        var : numpy.ndarray, shape (n_dom,)
            Variance of each domain total of ``wz``.
        degf : numpy.ndarray of int, shape (n_dom,)
            #PSUs minus #strata among the used rows of each domain.
        """
        u = np.flatnonzero(codes >= 0)
        d = codes[u].astype(np.int64)
        psu = self._psu[u]
        # (PSU, domain) cells
        key = psu * n_dom + d
        cell_key, cell_inv = np.unique(key, return_inverse=True)
        t = np.bincount(cell_inv, weights=wz[u])
        cell_psu = cell_key // n_dom
        cell_d = cell_key % n_dom
        cell_h = self._psu_stratum[cell_psu]
        # (stratum, domain) groups
        hkey = cell_h * n_dom + cell_d
        g_key, g_inv = np.unique(hkey, return_inverse=True)
        g_h = g_key // n_dom
        g_d = g_key % n_dom
        g_tot = np.bincount(g_inv, weights=t)
        g_cells = np.bincount(g_inv)
        nh = self._n_h[g_h]
        g_mean = g_tot / nh
        dev = t - g_mean[g_inv]
        ss = np.bincount(g_inv, weights=dev * dev) + (nh - g_cells) * g_mean**2
        g_lonely = self._lonely_h[g_h]
        contrib = self._scale_h[g_h] * ss
        factor = np.ones(n_dom)
        if self._lonely is LonelyPSU.ADJUST:
            contrib[g_lonely] = self._scale_h[g_h][g_lonely] * g_tot[g_lonely] ** 2
        elif self._lonely is LonelyPSU.AVERAGE:
            contrib[g_lonely] = 0.0
            n_present = np.bincount(g_d, minlength=n_dom)
            n_ok = np.bincount(g_d[~g_lonely], minlength=n_dom)
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(n_ok > 0, n_present / np.maximum(n_ok, 1), np.nan)
        var = np.bincount(g_d, weights=contrib, minlength=n_dom) * factor
        degf = np.bincount(cell_d, minlength=n_dom) - np.bincount(g_d, minlength=n_dom)
        return var, degf.astype(np.int64)

    # ------------------------------------------------------------------ helpers for estimators
    def _values(self, var: str) -> np.ndarray:
        if var not in self._data.columns:
            raise DesignError(f"variable {var!r} not found in the design's data")
        s = self._data[var]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise DesignError(
                f"variable {var!r} must be numeric for this estimator, found dtype {s.dtype}; "
                "use proportion() for categorical variables"
            )
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    def _groups(self, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.Index | None]:
        """Domain codes (-1 outside the design domain or with missing by values) and labels."""
        if by is None:
            return np.where(self._domain, 0, -1).astype(np.int64), None
        cols = [by] if isinstance(by, str) else list(by)
        for c in cols:
            if c not in self._data.columns:
                raise DesignError(f"by column {c!r} not found in the design's data")
        sub = self._data[cols]
        if len(cols) == 1:
            codes, labels = pd.factorize(sub[cols[0]], sort=True)
            index: pd.Index = pd.Index(labels, name=cols[0])
        else:
            g = sub.groupby(cols, sort=True, dropna=True, observed=True)
            codes = g.ngroup().to_numpy()
            codes = np.where(np.isnan(codes.astype(float)), -1, codes)
            index = pd.MultiIndex.from_frame(g.size().reset_index()[cols])
        codes = np.asarray(codes, dtype=np.int64)
        codes = np.where(self._domain, codes, -1)
        # drop groups with no rows in the domain
        present = np.bincount(codes[codes >= 0], minlength=len(index)) > 0
        if not present.all():
            remap = np.cumsum(present) - 1
            codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            index = index[present]
        return codes, index

    # ------------------------------------------------------------------ estimators
    def mean(self, var: str, by: Any = None, na_rm: bool = False, level: float = 0.95,
             deff: bool = False) -> pd.DataFrame:
        """Weighted mean; see :func:`abcresearch.stats.estimators.mean`."""
        from abcresearch.stats import estimators

        return estimators.mean(self, var, by=by, na_rm=na_rm, level=level, deff=deff)

    def total(self, var: str, by: Any = None, na_rm: bool = False, level: float = 0.95,
              deff: bool = False) -> pd.DataFrame:
        """Weighted total; see :func:`abcresearch.stats.estimators.total`."""
        from abcresearch.stats import estimators

        return estimators.total(self, var, by=by, na_rm=na_rm, level=level, deff=deff)

    def ratio(self, num: str, den: str, by: Any = None, na_rm: bool = False,
              level: float = 0.95) -> pd.DataFrame:
        """Ratio of totals; see :func:`abcresearch.stats.estimators.ratio`."""
        from abcresearch.stats import estimators

        return estimators.ratio(self, num, den, by=by, na_rm=na_rm, level=level)

    def proportion(self, var: str, by: Any = None, na_rm: bool = False,
                   level: float = 0.95) -> pd.DataFrame:
        """Category shares; see :func:`abcresearch.stats.estimators.proportion`."""
        from abcresearch.stats import estimators

        return estimators.proportion(self, var, by=by, na_rm=na_rm, level=level)

    def ciprop(self, var: str, by: Any = None, method: str = "logit", na_rm: bool = False,
               level: float = 0.95) -> pd.DataFrame:
        """Proportion of a 0/1 variable with logit CI; see :func:`estimators.ciprop`."""
        from abcresearch.stats import estimators

        return estimators.ciprop(self, var, by=by, method=method, na_rm=na_rm, level=level)

    def quantile(self, var: str, q: float | Sequence[float] = 0.5, by: Any = None,
                 na_rm: bool = False, level: float = 0.95) -> pd.DataFrame:
        """Weighted quantiles with Woodruff CI; see :func:`estimators.quantile`."""
        from abcresearch.stats import estimators

        return estimators.quantile(self, var, q=q, by=by, na_rm=na_rm, level=level)

    def mean_diff(self, var: str, by: str, groups: Sequence[Any], na_rm: bool = False,
                  level: float = 0.95) -> pd.DataFrame:
        """Difference of two domain means; see :func:`abcresearch.stats.compare.mean_diff`."""
        from abcresearch.stats import compare

        return compare.mean_diff(self, var, by, groups, na_rm=na_rm, level=level)

    def chisq(self, row: str, col: str) -> pd.DataFrame:
        """Rao-Scott F test of independence; see :func:`abcresearch.stats.compare.chisq`."""
        from abcresearch.stats import compare

        return compare.chisq(self, row, col)

    def glm(self, formula: str, level: float = 0.95, return_fit: bool = False) -> Any:
        """Linear regression like ``svyglm``; see :func:`abcresearch.stats.compare.glm`."""
        from abcresearch.stats import compare

        return compare.glm(self, formula, level=level, return_fit=return_fit)

    def _with_columns(self, columns: dict[str, np.ndarray]) -> SurveyDesign:
        """Same design over ``data`` plus derived columns (for internal estimators)."""
        new = object.__new__(SurveyDesign)
        new.__dict__.update(self.__dict__)
        new._data = self._data.assign(**columns)
        return new

    def gini(self, var: str, by: Any = None, na_rm: bool = False,
             level: float = 0.95) -> pd.DataFrame:
        """Gini coefficient as convey::svygini; see :func:`abcresearch.stats.inequality.gini`."""
        from abcresearch.stats import inequality

        return inequality.gini(self, var, by=by, na_rm=na_rm, level=level)
