"""The survey design users build: :class:`SurveyDesign`, like R's ``svydesign``.

:class:`SurveyDesign` is the design of :mod:`abcresearch.stats.core` (construction, domains,
``total_vcov``, ``domain_var``; single or multistage, R's ``svyrecvar`` conventions) plus the
estimators as methods. The methods are thin delegates to the functions of
:mod:`~abcresearch.stats.estimators`, :mod:`~abcresearch.stats.compare` and
:mod:`~abcresearch.stats.inequality`, so both spellings work: ``design.mean("y")`` and
``abcresearch.stats.mean(design, "y")``. Those modules import only the core, never this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from abcresearch.stats import compare, estimators, inequality
from abcresearch.stats.core import LonelyPSU, SurveyDesignBase

__all__ = ["LonelyPSU", "SurveyDesign"]


class SurveyDesign(SurveyDesignBase):
    """A stratified, clustered, possibly two-stage survey design, like R's ``svydesign``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation. The design reads its own columns once; analysis variables are
        read from ``data`` when an estimator is called.
    weights : str or None
        Column of sampling weights (inverse inclusion probabilities, > 0). ``None`` gives equal
        weights of 1, or, when ``fpc`` is given, the product over stages of ``N / n`` as R
        derives them from the fpc.
    strata : str or None
        Column of (first-stage) stratum identifiers; ``None`` means one stratum.
    cluster : str, list of str or None
        Column of PSU (cluster) identifiers; ``None`` means every row is its own PSU. A list
        gives one column per sampling stage, e.g. ``["village_code", "hh_key"]`` as R's
        ``ids = ~village + household``; later-stage ids need only be unique within their
        parent unit.
    fpc : str, list of str or None
        Per stage, a column giving either the population number of units in the stratum
        (values > 1; at stage 2 the households of the village) or the sampling fraction (all
        values <= 1), as in R. Must be constant within a stratum (a parent unit at later
        stages). With several stages give one column per stage; then the variance is R's
        recursive multistage variance. Without an fpc only the first stage enters the
        variance (with-replacement "ultimate cluster" approximation).
    nest : bool, default False
        If True, cluster identifiers are only unique within strata (R's ``nest=TRUE``).
    lonely_psu : {"fail", "remove", "adjust", "certainty", "average"} or LonelyPSU
        Rule for strata with a single sampled unit at any stage (R's
        ``options(survey.lonely.psu=)``).

    Raises
    ------
    DesignError
        For missing columns, missing or non-positive weights, clusters that span strata
        (without ``nest=True``), an fpc that varies within a stratum, implies more than 100%
        sampling or is not given for every stage, and lonely units under ``lonely_psu="fail"``
        (the message lists the strata and names the options that resolve it).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [3.0, 1.0, 1.0, 3.0]})
    >>> d = SurveyDesign(df, weights="w")
    >>> float(d.mean("y")["estimate"].iloc[0])
    2.5

    A two-stage design (villages within amphoe strata, households within villages):

    >>> hh = pd.DataFrame({"amphoe": ["a"] * 4 + ["b"] * 4,
    ...                    "village": [1, 1, 2, 2, 3, 3, 4, 4], "hh": [1, 2] * 4,
    ...                    "N1": 10, "N2": 20, "y": [1.0, 2, 3, 4, 5, 6, 7, 9]})
    >>> d2 = SurveyDesign(hh, strata="amphoe", cluster=["village", "hh"], fpc=["N1", "N2"],
    ...                   nest=True)
    >>> d2.n_stages, float(d2.weights[0])
    (2, 50.0)
    """

    # ------------------------------------------------------------------ estimators
    def mean(self, var: str, by: Any = None, na_rm: bool = False, level: float = 0.95,
             deff: bool = False) -> pd.DataFrame:
        """Weighted mean; see :func:`abcresearch.stats.estimators.mean`."""
        return estimators.mean(self, var, by=by, na_rm=na_rm, level=level, deff=deff)

    def total(self, var: str, by: Any = None, na_rm: bool = False, level: float = 0.95,
              deff: bool = False) -> pd.DataFrame:
        """Weighted total; see :func:`abcresearch.stats.estimators.total`."""
        return estimators.total(self, var, by=by, na_rm=na_rm, level=level, deff=deff)

    def ratio(self, num: str, den: str, by: Any = None, na_rm: bool = False,
              level: float = 0.95) -> pd.DataFrame:
        """Ratio of totals; see :func:`abcresearch.stats.estimators.ratio`."""
        return estimators.ratio(self, num, den, by=by, na_rm=na_rm, level=level)

    def proportion(self, var: str, by: Any = None, na_rm: bool = False,
                   level: float = 0.95) -> pd.DataFrame:
        """Category shares; see :func:`abcresearch.stats.estimators.proportion`."""
        return estimators.proportion(self, var, by=by, na_rm=na_rm, level=level)

    def ciprop(self, var: str, by: Any = None, method: str = "logit", na_rm: bool = False,
               level: float = 0.95) -> pd.DataFrame:
        """Proportion of a 0/1 variable with logit CI; see :func:`estimators.ciprop`."""
        return estimators.ciprop(self, var, by=by, method=method, na_rm=na_rm, level=level)

    def mean_each(self, variables: Sequence[str], by: Any = None, na_rm: bool = False,
                  level: float = 0.95) -> pd.DataFrame:
        """Mean of each of several variables in one pass; see :func:`estimators.mean_each`."""
        return estimators.mean_each(self, variables, by=by, na_rm=na_rm, level=level)

    def ciprop_each(self, variables: Sequence[str], by: Any = None, method: str = "logit",
                    na_rm: bool = False, level: float = 0.95) -> pd.DataFrame:
        """Proportion of each of several 0/1 variables; see :func:`estimators.ciprop_each`."""
        return estimators.ciprop_each(self, variables, by=by, method=method, na_rm=na_rm,
                                      level=level)

    def quantile(self, var: str, q: float | Sequence[float] = 0.5, by: Any = None,
                 na_rm: bool = False, level: float = 0.95) -> pd.DataFrame:
        """Weighted quantiles with Woodruff CI; see :func:`estimators.quantile`."""
        return estimators.quantile(self, var, q=q, by=by, na_rm=na_rm, level=level)

    def mean_diff(self, var: str, by: str, groups: Sequence[Any], na_rm: bool = False,
                  level: float = 0.95) -> pd.DataFrame:
        """Difference of two domain means; see :func:`abcresearch.stats.compare.mean_diff`."""
        return compare.mean_diff(self, var, by, groups, na_rm=na_rm, level=level)

    def chisq(self, row: str, col: str) -> pd.DataFrame:
        """Rao-Scott F test of independence; see :func:`abcresearch.stats.compare.chisq`."""
        return compare.chisq(self, row, col)

    def glm(self, formula: str, level: float = 0.95, return_fit: bool = False) -> Any:
        """Linear regression like ``svyglm``; see :func:`abcresearch.stats.compare.glm`."""
        return compare.glm(self, formula, level=level, return_fit=return_fit)

    def gini(self, var: str, by: Any = None, na_rm: bool = False,
             level: float = 0.95) -> pd.DataFrame:
        """Gini coefficient as convey::svygini; see :func:`abcresearch.stats.inequality.gini`."""
        return inequality.gini(self, var, by=by, na_rm=na_rm, level=level)
