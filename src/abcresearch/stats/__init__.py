"""Design-based survey statistics that agree with R's survey package.

Build one :class:`SurveyDesign` and pass it to every estimator (or call the estimator
methods on it). All estimators return tidy DataFrames with the columns
``estimate, se, ci_low, ci_high, df, n``; see :mod:`abcresearch.stats.estimators`.
"""

from __future__ import annotations

from abcresearch.stats.compare import chisq, glm, mean_diff
from abcresearch.stats.design import LonelyPSU, SurveyDesign
from abcresearch.stats.estimators import ciprop, mean, proportion, quantile, ratio, total

__all__ = [
    "LonelyPSU",
    "SurveyDesign",
    "chisq",
    "ciprop",
    "glm",
    "mean",
    "mean_diff",
    "proportion",
    "quantile",
    "ratio",
    "total",
]
