"""Design-based survey statistics that agree with R's survey package.

Build one :class:`SurveyDesign` and pass it to every estimator (or call the estimator
methods on it). Estimators return tidy DataFrames with the columns
``estimate, se, ci_low, ci_high, df, n`` (confidence level in ``DataFrame.attrs``).

Modules: :mod:`~abcresearch.stats.design` (the design, ``total_vcov``, ``subset``),
:mod:`~abcresearch.stats.estimators` (mean, total, ratio, proportion, ciprop, quantile),
:mod:`~abcresearch.stats.compare` (mean_diff, chisq, glm), :mod:`~abcresearch.stats.inequality`
(gini, lorenz), :mod:`~abcresearch.stats.poverty` (BMN income headcount),
:mod:`~abcresearch.stats.scales` (Cronbach's alpha, item-rest, factor check).
"""

from __future__ import annotations

from abcresearch.stats.compare import chisq, glm, mean_diff
from abcresearch.stats.design import LonelyPSU, SurveyDesign
from abcresearch.stats.estimators import ciprop, mean, proportion, quantile, ratio, total
from abcresearch.stats.inequality import gini, lorenz
from abcresearch.stats.poverty import PovertyLine, headcount, load_poverty_lines, poverty_line
from abcresearch.stats.scales import cronbach_alpha, factor_check, item_rest
from abcresearch.stats.smallarea import FayHerriotResults, fay_herriot

__all__ = [
    "FayHerriotResults",
    "LonelyPSU",
    "PovertyLine",
    "SurveyDesign",
    "chisq",
    "ciprop",
    "cronbach_alpha",
    "factor_check",
    "fay_herriot",
    "gini",
    "glm",
    "headcount",
    "item_rest",
    "load_poverty_lines",
    "lorenz",
    "mean",
    "mean_diff",
    "poverty_line",
    "proportion",
    "quantile",
    "ratio",
    "total",
]
