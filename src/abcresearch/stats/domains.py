"""Domains (``by=``) of an estimator call and ratio estimation in every domain at once.

* :func:`group_codes` turns ``by`` — column name(s) of the design's data, a pandas Series
  (aligned on the data index), or an array in row order — into a domain code per row.
* :class:`Domains` adds the missing-value handling of an estimator call (``na_rm``) and the
  reusable :class:`~abcresearch.stats.core.DomainPartition`.
* :func:`domain_ratios` estimates many ratios of weighted totals
  :math:`R_d = \\sum_{i \\in d} w_i y_i / \\sum_{i \\in d} w_i x_i` in many domains with their
  linearised SEs: the variance is that of the domain total of
  :math:`z_i = (y_i - R_d x_i) / \\hat X_d` (R's ``svyby`` + ``svyratio``/``svymean``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError
from abcresearch.stats.core import DomainPartition, SurveyDesignBase

__all__ = ["By", "Domains", "domain_ratios", "group_codes"]

#: What ``by=`` accepts: column name(s), a Series aligned on the data index, or an array.
By: TypeAlias = str | Sequence[str] | pd.Series | np.ndarray | None


def _is_names(by: Any) -> bool:
    return isinstance(by, str) or (
        isinstance(by, list | tuple) and len(by) > 0 and all(isinstance(b, str) for b in by))


def group_codes(design: SurveyDesignBase, by: By) -> tuple[np.ndarray, pd.Index | None]:
    """Domain code of every row of ``design.data`` (-1 outside) and the domain labels.

    Parameters
    ----------
    design : SurveyDesign
        The design (its domain restricts the rows).
    by : str, list of str, pandas.Series, array-like or None
        Column name(s) of ``design.data``; or a Series aligned on the data index (labels in
        any order; a mismatching index is an error); or an array in row order. None gives one
        domain (code 0) and labels None.

    Returns
    -------
    codes : numpy.ndarray of int
        -1 outside the design's domain or where a ``by`` value is missing.
    labels : pandas.Index or None
        Sorted domain labels present in the domain (a MultiIndex for several columns), named
        after the column(s) or the Series.

    Raises
    ------
    DesignError
        For unknown columns, a wrong length or a Series whose index does not match.
    """
    dom = design.domain
    if by is None:
        return np.where(dom, 0, -1).astype(np.int64), None
    if _is_names(by):
        cols = [by] if isinstance(by, str) else list(by)
        for c in cols:
            if c not in design.data.columns:
                raise DesignError(f"by column {c!r} not found in the design's data")
        # factorised once per design and columns (text codes are slow to factorise)
        codes, index = design.cached(("group_codes", tuple(cols)),
                                     lambda: _codes_of(design, design.data[cols], cols))
        return codes.copy(), index
    else:
        name = by.name if isinstance(by, pd.Series) else None
        vals = design.align(by, "by")
        if vals.ndim != 1:
            raise DesignError(f"by must be one value per row of data, found shape {vals.shape}")
        cols = [name]
        frame = pd.DataFrame({0: vals})
    return _codes_of(design, frame, cols)


def _codes_of(design: SurveyDesignBase, frame: pd.DataFrame, cols: list[Any]
              ) -> tuple[np.ndarray, pd.Index]:
    """Domain codes (-1 outside the domain or missing) and labels of the columns of ``frame``."""
    dom = design.domain
    if frame.shape[1] == 1:
        codes, labels = pd.factorize(frame.iloc[:, 0], sort=True)
        index: pd.Index = pd.Index(labels, name=cols[0])
    else:
        g = frame.groupby(cols, sort=True, dropna=True, observed=True)
        codes = g.ngroup().to_numpy()
        codes = np.where(np.isnan(codes.astype(float)), -1, codes)
        index = pd.MultiIndex.from_frame(g.size().reset_index()[cols])
    codes = np.where(dom, np.asarray(codes, dtype=np.int64), -1)
    present = np.bincount(codes[codes >= 0], minlength=len(index)) > 0
    if not present.all():  # drop groups with no rows in the domain
        remap = np.cumsum(present) - 1
        codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
        index = index[present]
    return codes.astype(np.int64), index


class Domains:
    """The domains of one estimator call: codes of the rows used, NaN domains, counts.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    by : see :func:`group_codes`
        Domains.
    missing : numpy.ndarray of bool
        Rows with a missing analysis value.
    na_rm : bool
        Drop the missing rows (otherwise a domain with missing values gives NaN).

    Attributes
    ----------
    codes : numpy.ndarray of int
        Domain code of the rows used (in the domain, non-missing), -1 elsewhere.
    labels : pandas.Index or None
        Domain labels (None without ``by``).
    n_dom : int
        Number of domains.
    nan_dom : numpy.ndarray of bool
        Domains with missing values and ``na_rm=False``.
    used : numpy.ndarray of bool
        Rows used.
    n : numpy.ndarray of int
        Rows used per domain.
    """

    def __init__(self, design: SurveyDesignBase, by: By, missing: np.ndarray, na_rm: bool) -> None:
        codes, labels = group_codes(design, by)
        self.design = design
        self.labels = labels
        self.n_dom = 1 if labels is None else len(labels)
        in_dom = codes >= 0
        self.nan_dom = np.bincount(codes[in_dom & missing], minlength=self.n_dom) > 0
        if na_rm:
            self.nan_dom[:] = False
        self.codes = np.where(in_dom & ~missing, codes, -1)
        self.used = self.codes >= 0
        self.n = np.bincount(self.codes[self.used], minlength=self.n_dom)
        self._partition: DomainPartition | None = None

    @property
    def partition(self) -> DomainPartition:
        """The design's :class:`~abcresearch.stats.core.DomainPartition` of the used rows."""
        if self._partition is None:
            self._partition = self.design.partition(self.codes, self.n_dom)
        return self._partition

    def index(self, name: str) -> pd.Index:
        """Row labels of a result: the domain labels, or ``[name]`` without ``by``."""
        return pd.Index([name]) if self.labels is None else self.labels

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-domain sums of ``values`` over the rows used."""
        return np.bincount(self.codes[self.used], weights=np.asarray(values)[self.used],
                           minlength=self.n_dom)

    def finish(self, est: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Estimates and SEs with NaN for domains with missing values (R's ``NA``)."""
        bad = self.nan_dom if np.ndim(est) == 1 else self.nan_dom[:, None]
        return (np.where(bad, np.nan, est),
                np.where(bad, np.nan, np.sqrt(np.maximum(var, 0.0))))


def domain_ratios(design: SurveyDesignBase, Y: np.ndarray, X: np.ndarray | None,
                  partition: DomainPartition, block: int | None = None
                  ) -> dict[str, np.ndarray]:
    """Many ratios of weighted totals in many domains, with linearised variances.

    Parameters
    ----------
    design : SurveyDesign
        The design.
    Y : numpy.ndarray, shape (n,) or (n, m)
        Numerators per row of ``design.data`` (values of unused rows are ignored).
    X : numpy.ndarray of the same shape, or None
        Denominators (None: x = 1, i.e. domain means).
    partition : DomainPartition
        The domains (``design.partition(codes, n_dom)``).
    block : int, optional
        Columns processed at a time (bounds the memory of n x block temporaries); by default
        as many as keep a temporary under about 4 million values (at least 4).

    Returns
    -------
    dict
        ``estimate``, ``var``, ``se`` and ``den`` (denominator totals) of shape (n_dom, m) —
        or (n_dom,) for 1-D ``Y`` — and ``df``, ``n`` of shape (n_dom,) from the partition.
    """
    one = np.ndim(Y) == 1
    # C order throughout: frames give column-major arrays, and mixing orders (or handing
    # scipy.sparse a column-major operand, which it copies) is slow
    Y2 = np.ascontiguousarray(np.asarray(Y, dtype=float).reshape(len(Y), -1))
    X2 = None if X is None else np.ascontiguousarray(
        np.asarray(X, dtype=float).reshape(len(X), -1))
    m = Y2.shape[1]
    rows = partition.rows
    if block is None:
        block = max(4, 4_000_000 // max(rows.size, 1))
    every = rows.size == partition.n_all  # all rows used: slices instead of fancy indexing
    cu = partition.codes[rows]
    nd = partition.n_dom
    wu = design.weights[rows][:, None]
    est = np.empty((nd, m))
    var = np.empty((nd, m))
    den = np.empty((nd, m))
    wsum = partition.sum(wu)
    # weighted domain sums without an n x m temporary: a sparse (domain x row) matrix of w
    from scipy import sparse  # here: importing scipy costs a batch's planning 0.08 s

    Sw = sparse.csr_matrix((wu[:, 0], (cu, np.arange(rows.size))), shape=(nd, rows.size))
    with np.errstate(divide="ignore", invalid="ignore"):
        w_over_wsum = wu / wsum[cu]  # (n, 1): the mean's w / W_d, shared by every column
    for s in range(0, m, block):
        sl = slice(s, min(s + block, m))
        Yu = Y2[:, sl] if every else Y2[rows, sl]
        Xu = None if X2 is None else (X2[:, sl] if every else X2[rows, sl])
        num = np.asarray(Sw @ Yu)
        dn = np.repeat(wsum, Yu.shape[1], axis=1) if Xu is None else np.asarray(Sw @ Xu)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = num / dn
            if Xu is None:  # z = (y - R_d) w / W_d
                zu = Yu - r[cu]
                zu *= w_over_wsum
            else:  # z = (y - R_d x) w / X_d
                zu = r[cu]
                zu *= Xu
                np.subtract(Yu, zu, out=zu)
                zu *= wu / dn[cu]
        est[:, sl], den[:, sl] = r, dn
        var[:, sl] = partition.var(zu)
    se = np.sqrt(np.maximum(var, 0.0))
    if one:
        est, var, se, den = est[:, 0], var[:, 0], se[:, 0], den[:, 0]
    return {"estimate": est, "var": var, "se": se, "den": den, "df": partition.df,
            "n": partition.n}

