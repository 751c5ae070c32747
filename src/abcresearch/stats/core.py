"""The linearisation core: a (multistage) survey design and its variance engine, as R's survey.

Every estimator of :mod:`abcresearch.stats` and :mod:`abcresearch.scoring` reduces to the
design covariance of weighted totals of linearised values. This module computes them once:

* :meth:`SurveyDesignBase.total_vcov` — the dense covariance matrix of a few column totals;
* :meth:`SurveyDesignBase.domain_var` — the variance of every column total in every domain at
  once (one domain per row, many columns; vectorised, used by ``by=``), with the domain df;
* :class:`DomainPartition` — the grouping of rows into domains behind ``domain_var``, reusable
  across calls with the same domains.

Conventions follow R's survey package 4.x (``svydesign``, ``svyrecvar``, ``multistage``,
``onestage``, ``onestrat``) exactly:

* Stage 1: PSU totals :math:`z_{hi}` are centred at their stratum mean and stratum h contributes
  :math:`(1-f_h)\\,n_h/(n_h-1)\\sum_i (z_{hi}-\\bar z_h)^2`; strata with
  :math:`f_h < 10^{-7}` (every PSU taken) contribute zero.
* Later stages (only when an fpc is given for every stage, as R): stage-s strata are the
  stage-(s-1) units (R's ``strata[, s] = interaction(strata, ids[, s-1])``), stage-s units are
  nested in them, and each stage-s stratum's contribution, computed as at stage 1, is multiplied
  by the sampling fractions :math:`n/N` of all its ancestors' strata. So a stratum where every
  village was taken (stage-1 fpc = villages sampled) has no stage-1 variance and its variance
  comes from stage 2 (``svyrecvar``'s recursion). Without an fpc the design is the
  with-replacement "ultimate cluster" approximation: stage 1 only.
* Domains are handled like ``subset.survey.design2``: the full design is kept and values outside
  the domain are zero, so a unit without domain members still counts in its stratum.
* Lonely units (a stratum with one sampled unit at any stage, not a census) follow
  ``options(survey.lonely.psu=...)`` with ``survey.adjust.domain.lonely = FALSE``, one rule for
  every stage: ``remove``/``certainty`` centre the unit at itself (no contribution), ``adjust``
  centres it at zero, ``average`` drops the stratum and scales the other strata of the same
  ``onestage`` call (stage 1: the whole design; later stages: one parent unit) by
  #strata / #strata-with-more-than-one-unit, giving NaN when none is left (as R).

The estimator methods live on :class:`abcresearch.stats.SurveyDesign`, a thin subclass; this
module imports nothing else from :mod:`abcresearch.stats`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError

if TYPE_CHECKING:  # scipy is imported where a sparse matrix is made (0.08 s to import)
    from scipy import sparse

__all__ = ["CENSUS_TOL", "DomainPartition", "LonelyPSU", "SurveyDesignBase"]

#: R's threshold below which a stratum's fpc factor counts as a census (zero variance).
CENSUS_TOL = 1e-7

#: Domain partitions a design keeps for reuse (the most recent ones).
_PARTITIONS_KEPT = 16


class LonelyPSU(StrEnum):
    """How a stratum with a single sampled unit enters the variance (R's ``survey.lonely.psu``).

    The rule applies at every stage of a multistage design, as in R.

    Attributes
    ----------
    FAIL
        Raise :class:`~abcresearch.errors.DesignError` when the design is built.
    REMOVE
        The stratum contributes nothing to the variance (its unit is centred at itself).
    CERTAINTY
        The unit is treated as sampled with certainty: contributes nothing at its stage (same
        as ``remove``, as in R; later stages still contribute).
    ADJUST
        The lonely unit total is centred at zero instead of its stratum mean (conservative).
    AVERAGE
        The stratum is dropped and the variance of the other strata of the same stage (and
        parent unit) is scaled up by ``#strata / #strata-with-more-than-one-unit``.
    """

    FAIL = "fail"
    REMOVE = "remove"
    CERTAINTY = "certainty"
    ADJUST = "adjust"
    AVERAGE = "average"


def _column(data: pd.DataFrame, name: Any, role: str) -> pd.Series:
    if not isinstance(name, str) or name not in data.columns:
        raise DesignError(
            f"{role} column {name!r} not found in data; expected one of: "
            f"{', '.join(map(str, data.columns[:20]))}{' ...' if data.shape[1] > 20 else ''}"
        )
    return data[name]


def _names(arg: str | Sequence[str] | None, role: str) -> list[str] | None:
    if arg is None:
        return None
    if isinstance(arg, str):
        return [arg]
    if isinstance(arg, Sequence) and arg and all(isinstance(a, str) for a in arg):
        return list(arg)
    raise DesignError(f"{role} must be a column name or a list of column names (one per "
                      f"stage), found {arg!r}")


@dataclass(frozen=True)
class _Stage:
    """One sampling stage: units, their strata and each stratum's variance coefficient."""

    unit: np.ndarray          # (n,) unit code of every row, 0..U-1 (unique across strata)
    unit_is_row: bool         # every row is its own unit, in row order (unit == arange(n))
    unit_stratum: np.ndarray  # (U,) stratum code of every unit, 0..H-1
    n_h: np.ndarray           # (H,) sampled units per stratum
    coef_h: np.ndarray        # (H,) (1-f) n/(n-1) times the ancestors' fractions n/N; 0 = census
    lonely_h: np.ndarray      # (H,) one sampled unit and not a census
    call_h: np.ndarray        # (H,) the onestage() call a stratum belongs to (average rule)


class SurveyDesignBase:
    """A stratified, clustered, possibly multistage survey design, like R's ``svydesign``.

    Use :class:`abcresearch.stats.SurveyDesign` (this class plus its estimator methods); the
    parameters are documented there.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | None = None,
        strata: str | None = None,
        cluster: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
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
        clusters = _names(cluster, "cluster")
        fpcs = _names(fpc, "fpc")
        n_stages = 1 if clusters is None else len(clusters)
        if fpcs is not None and len(fpcs) != n_stages:
            raise DesignError(
                f"fpc must give one column per sampling stage: cluster has {n_stages} "
                f"stage(s) {clusters}, fpc has {len(fpcs)} {fpcs}"
            )
        self._data = data
        self._spec = {"weights": weights, "strata": strata, "cluster": cluster, "fpc": fpc,
                      "nest": nest}

        # stage-1 strata ------------------------------------------------------------------
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

        # units of every stage --------------------------------------------------------------
        units: list[np.ndarray] = []
        unit_strata: list[np.ndarray] = []
        stratum_row = s_codes
        for i in range(n_stages):
            if clusters is None:
                u = np.arange(n, dtype=np.int64)
            else:
                c = _column(data, clusters[i], "cluster")
                if c.isna().any():
                    raise DesignError(
                        f"cluster column {clusters[i]!r} has {int(c.isna().sum())} missing "
                        f"values; every row needs a unit at stage {i + 1}"
                    )
                if i == 0 and not nest:
                    codes, _ = pd.factorize(c, sort=True)
                else:  # nested in the stratum (stage 1, nest=True) or in the parent unit
                    # (stratum, unit) pairs in sorted order, on integer codes (the same order
                    # as factorising the pairs themselves, without building tuples)
                    c_codes, c_uniq = pd.factorize(c, sort=True)
                    key = stratum_row.astype(np.int64) * max(len(c_uniq), 1) + c_codes
                    codes, _ = pd.factorize(key, sort=True)
                u = codes.astype(np.int64)
            n_units = int(u.max()) + 1
            u_stratum = np.full(n_units, -1, dtype=np.int64)
            u_stratum[u] = stratum_row
            # only possible at stage 1 with cluster columns (otherwise every row is a unit)
            if clusters is not None and not np.array_equal(u_stratum[u], stratum_row):
                bad = np.unique(u[u_stratum[u] != stratum_row])
                c_lab = data[clusters[0]].to_numpy()
                ex = pd.unique(c_lab[np.isin(u, bad)])[:5]
                raise DesignError(
                    f"clusters are not nested in strata: cluster ids {list(ex)} occur in more "
                    f"than one stratum of {strata!r}; use nest=True if cluster ids repeat "
                    "across strata"
                )
            units.append(u)
            unit_strata.append(u_stratum)
            stratum_row = u  # the next stage's strata are this stage's units (R's nesting)

        n_h = [np.bincount(us).astype(np.float64) for us in unit_strata]
        stratum_of_row = [s_codes] + units[:-1]

        # fpc ----------------------------------------------------------------------------
        pop_h = [np.full(h.size, np.inf) for h in n_h]
        if fpcs is not None:
            vals = []
            for name in fpcs:
                fv = pd.to_numeric(_column(data, name, "fpc"), errors="coerce").to_numpy(float)
                if np.isnan(fv).any():
                    raise DesignError(f"fpc column {name!r} has missing or non-numeric values")
                vals.append(fv)
            allv = np.concatenate(vals)
            fractions = bool(np.all(allv <= 1))
            if n_stages > 1 and not fractions and np.any(allv < 1):
                raise DesignError(
                    f"fpc columns {fpcs} mix sampling fractions (< 1) and population sizes "
                    "(> 1); give all stages the same kind, as R requires"
                )
            for i, (name, fv) in enumerate(zip(fpcs, vals, strict=True)):
                h_row = stratum_of_row[i]
                n_str = n_h[i].size
                lo = np.full(n_str, np.inf)
                hi = np.full(n_str, -np.inf)
                np.minimum.at(lo, h_row, fv)
                np.maximum.at(hi, h_row, fv)
                varying = np.flatnonzero(lo != hi)
                where = "strata" if i == 0 else f"stage-{i + 1} strata (stage-{i} units)"
                if varying.size:
                    raise DesignError(
                        f"fpc column {name!r} varies within {where} "
                        f"{self._stratum_names(i, varying, s_labels, units, clusters)}; "
                        "it must be constant within a stratum"
                    )
                if fractions:
                    if np.any(lo <= 0):
                        raise DesignError(f"fpc column {name!r}: sampling fractions must be > 0")
                    pop = n_h[i] / lo
                else:
                    pop = lo
                over = np.flatnonzero(pop < n_h[i] * (1 - 1e-12))
                if over.size:
                    raise DesignError(
                        f"fpc column {name!r} implies more than 100% sampling in {where} "
                        f"{self._stratum_names(i, over, s_labels, units, clusters)} "
                        "(population units < sampled units)"
                    )
                pop_h[i] = pop
        f_h = [np.where(np.isinf(p), 1.0, (p - nh) / np.where(np.isinf(p), 1.0, p))
               for p, nh in zip(pop_h, n_h, strict=True)]

        # weights ------------------------------------------------------------------------
        if weights is None:
            w = np.ones(n)
            if fpcs is not None:  # R: probabilities from the fpc, product over stages
                for i in range(n_stages):
                    h_row = stratum_of_row[i]
                    w = w * (pop_h[i] / n_h[i])[h_row]
        else:
            wv = pd.to_numeric(_column(data, weights, "weights"), errors="coerce")
            w = wv.to_numpy(dtype=float)
            if np.isnan(w).any() or np.any(w <= 0) or np.isinf(w).any():
                bad_n = int((~(w > 0) | np.isinf(w) | np.isnan(w)).sum())
                raise DesignError(
                    f"weights column {weights!r}: expected finite weights > 0, found {bad_n} "
                    "rows with missing, zero, negative or infinite weights"
                )

        # stages entering the variance: all of them with an fpc, else stage 1 (R) ----------
        used = n_stages if fpcs is not None else 1
        stages: list[_Stage] = []
        mult = np.ones(n_h[0].size)
        for i in range(used):
            nh, fh = n_h[i], f_h[i]
            lonely = (nh == 1) & (fh >= CENSUS_TOL)
            if lonely.any() and self._lonely is LonelyPSU.FAIL:
                raise DesignError(self._lonely_message(i, np.flatnonzero(lonely), strata,
                                                       s_labels, units, clusters))
            scale = np.where(nh > 1, fh * nh / np.maximum(nh - 1, 1), fh)
            scale = np.where(fh < CENSUS_TOL, 0.0, scale)
            call = (np.zeros(nh.size, dtype=np.int64) if i == 0
                    else np.arange(nh.size, dtype=np.int64))
            is_row = units[i].size == unit_strata[i].size and bool(
                np.array_equal(units[i], np.arange(n)))
            stages.append(_Stage(unit=units[i], unit_is_row=is_row,
                                 unit_stratum=unit_strata[i], n_h=nh,
                                 coef_h=scale * mult, lonely_h=lonely, call_h=call))
            if i + 1 < used:
                # multiplier of the next stage's strata (= this stage's units): the ancestors'
                # fractions times this stage's n/N (R: multistage(...) * nPSU / fpc)
                frac = mult * nh / pop_h[i]
                mult = frac[unit_strata[i]]

        self._n_all = n
        self._w_full = np.asarray(w, dtype=float)
        self._strata = s_codes
        self._strata_labels = s_labels
        self._stages = tuple(stages)
        self._n_stages = n_stages
        self._domain = np.ones(n, dtype=bool)
        self._cache: dict[Any, Any] = {}

    # ------------------------------------------------------------------ messages
    def _stratum_names(self, stage: int, idx: np.ndarray, s_labels: pd.Index,
                       units: list[np.ndarray], clusters: list[str] | None) -> list[Any]:
        """Labels of strata ``idx`` at ``stage`` (0-based): stage-1 strata, or parent units."""
        if stage == 0:
            return list(s_labels[idx][:10])
        col = (clusters or [])[stage - 1]  # stages > 1 always have cluster columns
        rows = np.flatnonzero(np.isin(units[stage - 1], idx))
        return [f"{col}={v}" for v in pd.unique(self._data[col].to_numpy()[rows])[:10]]

    def _lonely_message(self, stage: int, idx: np.ndarray, strata: str | None,
                        s_labels: pd.Index, units: list[np.ndarray],
                        clusters: list[str] | None) -> str:
        opts = ("Pass lonely_psu='adjust' (conservative, centres the lonely unit at zero), "
                "'average', 'remove' or 'certainty' to resolve it")
        if stage == 0:
            labs = list(s_labels[idx])
            shown = ", ".join(map(str, labs[:20])) + (" ..." if len(labs) > 20 else "")
            return (f"{len(labs)} stratum/strata of {strata!r} have only one PSU, so their "
                    f"variance cannot be estimated: {shown}. {opts}, or merge these strata "
                    "with neighbours.")
        cols = clusters or []  # stages > 1 always have cluster columns
        shown = ", ".join(map(str, self._stratum_names(stage, idx, s_labels, units, cols)))
        return (f"{idx.size} unit(s) of {cols[stage - 1]!r} have only one sampled unit of "
                f"{cols[stage]!r} at stage {stage + 1} (and are not a census), so their "
                f"variance cannot be estimated: {shown}{' ...' if idx.size > 10 else ''}. "
                f"{opts}.")

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
    def n_stages(self) -> int:
        """Number of sampling stages declared (``len(cluster)``; 1 for a single-stage design)."""
        return self._n_stages

    @property
    def variance_stages(self) -> int:
        """Stages entering the variance: all with an fpc, else 1 (ultimate cluster), as R."""
        return len(self._stages)

    @property
    def n(self) -> int:
        """Number of observations (rows) in the domain."""
        return int(self._domain.sum())

    @property
    def n_strata(self) -> int:
        """Number of (stage-1) strata with at least one observation in the domain."""
        return int(np.unique(self._strata[self._domain]).size)

    @property
    def n_psu(self) -> int:
        """Number of PSUs (stage-1 units) with at least one observation in the domain."""
        return int(np.unique(self._stages[0].unit[self._domain]).size)

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
        return self._stages[0].unit.copy()

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in self._spec.items() if v not in (None, False)]
        sub = "" if self._domain.all() else f", domain n={self.n} of {self._n_all}"
        return (
            f"{type(self).__name__}({', '.join(parts)}, lonely_psu={self._lonely.value!r}: "
            f"{self.n_strata} strata, {self.n_psu} PSUs, degf={self.degf}{sub})"
        )

    # ------------------------------------------------------------------ derived designs
    def _copy(self, **attrs: Any) -> Any:
        new = copy.copy(self)
        new._cache = {}
        for k, v in attrs.items():
            setattr(new, k, v)
        return new

    def subset(self, mask: Any) -> Any:
        """Return the domain design for the rows where ``mask`` is True.

        Like R's ``subset.survey.design2``, the full design is kept for variance estimation:
        units without domain members still count in their stratum, so domain standard errors
        are correct. Missing mask values count as False.

        Parameters
        ----------
        mask : array-like of bool or pandas.Series
            One value per row of :attr:`data`; a Series is aligned on the data index (see
            :meth:`align`).

        Returns
        -------
        SurveyDesign
            A design of the same class whose domain is this design's domain and ``mask``.
        """
        arr = self.align(mask, "mask")
        if arr.dtype != bool:
            out = pd.Series(arr, dtype=object).where(pd.notna(arr), False).to_numpy()
            try:
                arr = out.astype(bool)
            except (TypeError, ValueError):
                raise DesignError("mask must be boolean (True = row in the domain)") from None
        return self._copy(_domain=self._domain & arr)

    def with_columns(self, **columns: Any) -> Any:
        """Return the same design over :attr:`data` plus derived columns (same rows, domain).

        Parameters
        ----------
        **columns : array-like or pandas.Series
            New columns, one value per row of :attr:`data` (Series aligned on the index).
        """
        vals = {k: self.align(v, f"column {k!r}") for k, v in columns.items()}
        return self._copy(_data=self._data.assign(**vals))

    def align(self, values: Any, what: str = "argument") -> np.ndarray:
        """Return ``values`` as an array with one entry per row of :attr:`data`.

        A pandas Series (or DataFrame) is aligned on the data index: the same labels in any
        order are reordered; missing or extra labels raise an error rather than silently
        giving NaN. Other array-likes are taken in row order and must have one entry per row.

        Parameters
        ----------
        values : pandas.Series, pandas.DataFrame or array-like
            The values to align.
        what : str
            What the values are (for the error message).

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)`` (or ``(n, k)`` for a DataFrame or 2-D array).

        Raises
        ------
        DesignError
            When the index does not match the data index, or the length is wrong.
        """
        idx = self._data.index
        if isinstance(values, pd.Series | pd.DataFrame):
            if not values.index.equals(idx):
                if (values.index.has_duplicates or idx.has_duplicates
                        or len(values) != len(idx)
                        or not values.index.isin(idx).all()):
                    missing = int((~idx.isin(values.index)).sum())
                    extra = int((~values.index.isin(idx)).sum())
                    dup = " (duplicated labels)" if (values.index.has_duplicates
                                                     or idx.has_duplicates) else ""
                    raise DesignError(
                        f"{what}: its index does not match the index of the design's data"
                        f"{dup}: {missing} data row(s) have no value and {extra} label(s) are "
                        "not data rows; pass values with the data's index (or a plain array "
                        "in row order)"
                    )
                values = values.reindex(idx)
            return values.to_numpy()
        arr = np.asarray(values)
        if arr.ndim == 0 or arr.shape[0] != self._n_all:
            raise DesignError(
                f"{what} must have one value per row of data ({self._n_all}), found shape "
                f"{arr.shape}"
            )
        return arr

    # ------------------------------------------------------------------ variables
    def values(self, var: str) -> np.ndarray:
        """Return a numeric (or boolean) column of :attr:`data` as floats (NaN = missing).

        Raises
        ------
        DesignError
            If the column does not exist or is not numeric.
        """
        if var not in self._data.columns:
            raise DesignError(f"variable {var!r} not found in the design's data")
        s = self._data[var]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise DesignError(
                f"variable {var!r} must be numeric for this estimator, found dtype {s.dtype}; "
                "use proportion() for categorical variables"
            )
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)

    # ------------------------------------------------------------------ variance engine
    def partition(self, codes: np.ndarray, n_dom: int | None = None) -> DomainPartition:
        """Group the rows into domains for :meth:`domain_var` (reusable across calls).

        Parameters
        ----------
        codes : numpy.ndarray of int, shape (n,)
            Domain code 0..n_dom-1 of each row of :attr:`data`, or -1 for rows not used (outside
            the domain, missing values). Rows outside this design's domain are never used.
        n_dom : int, optional
            Number of domains (default ``codes.max() + 1``).
        """
        c = self._codes(codes)
        # one partition per design (and domain) and codes, reused across measures and calls
        key = ("partition", None if n_dom is None else int(n_dom), c.tobytes())
        part = self._cache.get(key)
        if part is None:
            held = [k for k in self._cache if isinstance(k, tuple) and k[0] == "partition"]
            for k in held[:max(len(held) - _PARTITIONS_KEPT + 1, 0)]:  # oldest first
                del self._cache[k]
            part = self._cache[key] = DomainPartition(self, c, n_dom)
        return part

    def cached(self, key: Any, make: Any) -> Any:
        """Return ``make()`` computed once for this design (and domain) under ``key``.

        For values that depend only on the design's data and domain (e.g. the domain codes of
        a ``by`` column); a derived design (:meth:`subset`, :meth:`with_columns`) starts empty.
        """
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def domain_var(self, wz: np.ndarray, codes: np.ndarray,
                   n_dom: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Variances of per-domain weighted totals, many columns and domains at once.

        Parameters
        ----------
        wz : numpy.ndarray, shape (n,) or (n, m)
            Weighted linearised values (weight times linearised variable), one row per row of
            :attr:`data`; rows with code -1 are ignored.
        codes : numpy.ndarray of int, shape (n,)
            Domain code of each row, -1 = not used.
        n_dom : int, optional
            Number of domains.

        Returns
        -------
        var : numpy.ndarray, shape (n_dom,) or (n_dom, m)
            Variance of each domain total of each column (shape follows ``wz``).
        df : numpy.ndarray of int, shape (n_dom,)
            #PSUs minus #strata among the used rows of each domain (R's ``degf`` of the
            domain's subset design).
        """
        part = self.partition(codes, n_dom)
        return part.var(wz), part.df

    def domain_df(self, codes: np.ndarray, n_dom: int | None = None) -> np.ndarray:
        """Design df of each domain: #PSUs minus #strata among its used rows (R's ``degf``).

        Parameters
        ----------
        codes : numpy.ndarray of int, shape (n,)
            Domain code of each row, -1 = not used.
        n_dom : int, optional
            Number of domains.
        """
        c = self._codes(codes)
        nd = int(c.max()) + 1 if n_dom is None else int(n_dom)
        if nd == 0:
            return np.zeros(0, dtype=np.int64)
        u = np.flatnonzero(c >= 0)
        d = c[u]
        st = self._stages[0]
        cells = pd.unique(st.unit[u] * nd + d)
        groups = pd.unique(self._strata[u] * nd + d)
        return (np.bincount(cells % nd, minlength=nd)
                - np.bincount(groups % nd, minlength=nd)).astype(np.int64)

    def _codes(self, codes: np.ndarray) -> np.ndarray:
        c = np.asarray(codes)
        if c.shape != (self._n_all,):
            raise DesignError(f"domain codes must have one value per row of data "
                              f"({self._n_all}), found shape {c.shape}")
        return np.where(self._domain, c, -1).astype(np.int64)

    def total_vcov(self, Z: Any) -> np.ndarray:
        """Covariance matrix of the weighted totals :math:`\\sum_i w_i Z_i` under the design.

        This is the primitive every estimator builds on: to get the variance of a smooth
        statistic, pass its linearised values divided by the weights (or pass the values
        directly for a total). Strata, clusters, stages, fpc and the lonely-PSU rule are
        applied exactly as R's ``svyrecvar`` does.

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
        part = self._cache.get("whole")
        if part is None:
            part = self._cache["whole"] = DomainPartition(
                self, np.where(self._domain, 0, -1), 1)
        return part.cov(wz)


class _StagePart:
    """One stage of a :class:`DomainPartition`: (unit, domain) cells in (stratum, domain) groups.

    The lonely-PSU rule is applied here, once, for every stage and every estimator.
    """

    def __init__(self, stage: _Stage, rows: np.ndarray, d: np.ndarray, n_dom: int,
                 rule: LonelyPSU, n_used: int) -> None:
        key = stage.unit[rows] * n_dom + d
        if stage.unit_is_row:  # each used row is its own (unit, domain) cell
            cell_inv, cell_key = np.arange(rows.size), key
        else:
            cell_inv, cell_key = pd.factorize(key, sort=False)
        n_cells = cell_key.size
        self.identity = n_cells == n_used and (stage.unit_is_row or bool(
            np.array_equal(cell_inv, np.arange(n_cells))))
        self.C = None if self.identity else _indicator(cell_inv, n_cells)
        cell_d = cell_key % n_dom
        cell_h = stage.unit_stratum[cell_key // n_dom]
        g_inv, g_key = pd.factorize(cell_h * n_dom + cell_d, sort=False)
        g_h = g_key // n_dom
        g_d = g_key % n_dom
        n_groups = g_key.size
        self.g_inv = g_inv
        self.G = _indicator(g_inv, n_groups)
        self.pad = stage.n_h[g_h] - np.bincount(g_inv, minlength=n_groups)  # absent units
        self.n = stage.n_h[g_h]
        lonely = stage.lonely_h[g_h]
        coef = stage.coef_h[g_h].astype(float)
        # the lonely-PSU rule (R's onestrat/onestage), one place for all stages and estimators
        self.zero_centre = lonely if rule is LonelyPSU.ADJUST else np.zeros(n_groups, bool)
        if rule is LonelyPSU.AVERAGE:
            call_key, call_inv = np.unique(stage.call_h[g_h] * n_dom + g_d, return_inverse=True)
            n_present = np.bincount(call_inv, minlength=call_key.size)
            n_ok = np.bincount(call_inv[~lonely], minlength=call_key.size)
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(n_ok > 0, n_present / np.maximum(n_ok, 1), np.nan)
            coef = np.where(lonely, 0.0, coef) * factor[call_inv]
        self.coef = coef
        self.D = _indicator(g_d, n_dom)
        self.cell_d = cell_d
        self.g_d = g_d

    def totals(self, wzu: np.ndarray) -> np.ndarray:
        return wzu if self.identity else np.asarray(self.C @ wzu)

    def centred(self, wzu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return unit totals minus their stratum centre, the centres and the group totals."""
        T = self.totals(wzu)
        g_tot = np.asarray(self.G @ T)
        with np.errstate(divide="ignore", invalid="ignore"):
            centre = np.where(self.zero_centre[:, None], 0.0, g_tot / self.n[:, None])
        dev = centre[self.g_inv]
        np.subtract(T, dev, out=dev)
        return dev, centre, g_tot

    def var(self, wzu: np.ndarray) -> np.ndarray:
        dev, centre, _ = self.centred(wzu)
        np.square(dev, out=dev)
        ss = np.asarray(self.G @ dev) + self.pad[:, None] * centre**2
        return np.asarray(self.D @ (self.coef[:, None] * ss))

    def cov(self, wzu: np.ndarray) -> np.ndarray:
        dev, centre, _ = self.centred(wzu)
        with np.errstate(invalid="ignore"):
            a = dev * np.sqrt(self.coef)[self.g_inv][:, None]
            b = centre * np.sqrt(self.coef * self.pad)[:, None]
        return np.asarray(a.T @ a + b.T @ b)


def _indicator(rows: np.ndarray, n_rows: int) -> sparse.csr_matrix:
    """Sparse (n_rows x len(rows)) matrix summing entries into their row code."""
    from scipy import sparse

    return sparse.csr_matrix((np.ones(rows.size), (rows, np.arange(rows.size))),
                             shape=(n_rows, rows.size))


class DomainPartition:
    """Rows of a design grouped into domains, with the cell structure of every stage.

    Build it with :meth:`SurveyDesignBase.partition`; call :meth:`var` for the variances of
    per-domain totals of any number of columns (R's ``svyby`` on ``subset`` designs gives the
    same numbers), and read :attr:`df` and :attr:`n`.

    Attributes
    ----------
    codes : numpy.ndarray of int
        Domain code of each row of the design's data (-1 = not used).
    n_dom : int
        Number of domains.
    rows : numpy.ndarray of int
        Positions of the used rows.
    n : numpy.ndarray of int, shape (n_dom,)
        Used rows per domain.
    df : numpy.ndarray of int, shape (n_dom,)
        #PSUs minus #strata among each domain's used rows (R's ``degf`` of the subset).
    """

    def __init__(self, design: SurveyDesignBase, codes: np.ndarray,
                 n_dom: int | None = None) -> None:
        c = design._codes(codes)
        self.codes = c
        self.n_dom = int(c.max()) + 1 if n_dom is None else int(n_dom)
        if self.n_dom < 0 or (c.max() >= self.n_dom):
            raise DesignError(f"domain codes go up to {int(c.max())} but n_dom={self.n_dom}")
        self.rows = np.flatnonzero(c >= 0)
        self.n_all = c.size
        d = c[self.rows]
        self.n = np.bincount(d, minlength=self.n_dom).astype(np.int64)
        self._S: sparse.csr_matrix | None = None
        self._parts = [_StagePart(st, self.rows, d, max(self.n_dom, 1), design.lonely_psu,
                                  self.rows.size)
                       for st in design._stages] if self.rows.size else []
        if self._parts:
            p0 = self._parts[0]
            self.df = (np.bincount(p0.cell_d, minlength=self.n_dom)
                       - np.bincount(p0.g_d, minlength=self.n_dom)).astype(np.int64)
        else:
            self.df = np.zeros(self.n_dom, dtype=np.int64)
        for arr in (self.codes, self.rows, self.n, self.df):  # shared: reused by the design
            arr.setflags(write=False)

    def _used(self, wz: np.ndarray) -> np.ndarray:
        W = np.asarray(wz, dtype=float)
        W2 = W[:, None] if W.ndim == 1 else np.ascontiguousarray(W)
        if W.shape[0] == self.rows.size:  # already the used rows, in order
            return W2
        if W.shape[0] != self.n_all:
            raise DesignError(f"values must have one row per row of data ({self.n_all}) or "
                              f"per used row ({self.rows.size}), found shape {W.shape}")
        return W2[self.rows]

    def var(self, wz: np.ndarray) -> np.ndarray:
        """Variance of each domain total of each column of ``wz`` (weighted values).

        Parameters
        ----------
        wz : numpy.ndarray, shape (n,) or (n, m)
            Weighted linearised values per row of the design's data (unused rows ignored),
            or per used row (``len(rows)`` rows, in the order of :attr:`rows`).

        Returns
        -------
        numpy.ndarray, shape (n_dom,) or (n_dom, m)
        """
        W = np.asarray(wz)
        wzu = self._used(W)
        out = np.zeros((self.n_dom, wzu.shape[1]))
        for p in self._parts:
            out += p.var(wzu)
        return out[:, 0] if W.ndim == 1 else out

    def df_each(self, used: np.ndarray) -> np.ndarray:
        """Design df of each domain restricted, column by column, to the rows ``used`` marks.

        What :attr:`df` would be for the partition of the rows of a column that ``used`` keeps
        (e.g. the rows where one of several variables is not missing): #PSUs minus #strata
        among them (R's ``degf`` of the subset), for many columns at once.

        Parameters
        ----------
        used : numpy.ndarray of bool, shape (len(rows), m)
            Per used row of this partition (in the order of :attr:`rows`) and column, whether
            the row counts.

        Returns
        -------
        numpy.ndarray of int, shape (n_dom, m)
        """
        u = np.asarray(used, dtype=float)
        if u.ndim != 2 or u.shape[0] != self.rows.size:
            raise DesignError(f"used must have shape ({self.rows.size}, m), found {u.shape}")
        if not self._parts:
            return np.zeros((self.n_dom, u.shape[1]), dtype=np.int64)
        p0 = self._parts[0]
        cells = (p0.totals(u) > 0).astype(float)  # (unit, domain) cells with a row kept
        groups = (np.asarray(p0.G @ cells) > 0).astype(float)  # (stratum, domain) groups
        n_cells = np.asarray(_indicator(p0.cell_d, self.n_dom) @ cells)
        n_groups = np.asarray(p0.D @ groups)
        return np.rint(n_cells - n_groups).astype(np.int64)

    def cov(self, wz: np.ndarray) -> np.ndarray:
        """Covariance matrix of the column totals of ``wz`` (one domain only).

        Parameters
        ----------
        wz : numpy.ndarray, shape (n,) or (n, k)
            Weighted values per row of the design's data.

        Returns
        -------
        numpy.ndarray, shape (k, k)
        """
        if self.n_dom != 1:
            raise DesignError("cov() needs a partition with a single domain")
        wzu = self._used(np.asarray(wz))
        out = np.zeros((wzu.shape[1], wzu.shape[1]))
        for p in self._parts:
            out += p.cov(wzu)
        return out

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-domain sums of ``values`` over the used rows.

        Parameters
        ----------
        values : numpy.ndarray, shape (n,) or (n, m)
            One row per row of the design's data, or per used row (in the order of
            :attr:`rows`).

        Returns
        -------
        numpy.ndarray, shape (n_dom,) or (n_dom, m)
        """
        v = np.asarray(values, dtype=float)
        vu = self._used(v)
        if self._S is None:
            self._S = _indicator(self.codes[self.rows], self.n_dom)
        out = np.asarray(self._S @ vu)
        return out[:, 0] if v.ndim == 1 else out
