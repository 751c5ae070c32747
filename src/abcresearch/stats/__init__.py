"""Design-based survey statistics that agree with R's survey package.

Owns the survey design and every design-based estimator; imports only the core modules
(``abcresearch.errors``, ``paths``, ``params``, ``labels``) and numpy, pandas, scipy and
statsmodels, never scoring, store or reports. Build one :class:`SurveyDesign` (single or
two-stage) and pass it to every estimator, or call the estimator methods on it:
``abcresearch.stats.mean(design, "y")`` and ``design.mean("y")`` are the same call. Estimators
return tidy DataFrames with the columns ``estimate, se, ci_low, ci_high, df, n`` (level,
statistic and interval in ``DataFrame.attrs``).

Modules, bottom up: :mod:`~abcresearch.stats.core` (the design and its variance engine:
``total_vcov``, ``domain_var``, ``domain_df``, stages, lonely-PSU rule),
:mod:`~abcresearch.stats.results` (the result table, t quantiles, logit interval),
:mod:`~abcresearch.stats.domains` (``by=`` domains, ratios in every domain at once),
:mod:`~abcresearch.stats.estimators` (mean, total, ratio, proportion, ciprop, quantile, and
``mean_each``/``ciprop_each`` for many variables in one pass),
:mod:`~abcresearch.stats.compare` (mean_diff, chisq, glm), :mod:`~abcresearch.stats.change`
(change between rounds on stacked samples), :mod:`~abcresearch.stats.inequality` (gini, lorenz),
:mod:`~abcresearch.stats.poverty` (BMN income headcount), :mod:`~abcresearch.stats.scales`
(Cronbach's alpha, item-rest, factor check), :mod:`~abcresearch.stats.smallarea` (Fay-Herriot
area-level model, generalised variance function, benchmarking), and
:mod:`~abcresearch.stats.design` (:class:`SurveyDesign`: the core plus estimator methods).
"""

from __future__ import annotations

from abcresearch.stats.change import change
from abcresearch.stats.compare import chisq, glm, mean_diff
from abcresearch.stats.core import DomainPartition, LonelyPSU
from abcresearch.stats.design import SurveyDesign
from abcresearch.stats.domains import Domains, domain_ratios, group_codes
from abcresearch.stats.estimators import (
    ciprop,
    ciprop_each,
    mean,
    mean_each,
    proportion,
    quantile,
    ratio,
    total,
)
from abcresearch.stats.inequality import gini, lorenz
from abcresearch.stats.poverty import PovertyLine, headcount, load_poverty_lines, poverty_line
from abcresearch.stats.results import estimate_table, logit_interval, tcrit
from abcresearch.stats.scales import cronbach_alpha, factor_check, item_rest
from abcresearch.stats.smallarea import FayHerriotResults, fay_herriot

__all__ = [
    "DomainPartition",
    "Domains",
    "FayHerriotResults",
    "LonelyPSU",
    "PovertyLine",
    "SurveyDesign",
    "change",
    "chisq",
    "ciprop",
    "ciprop_each",
    "cronbach_alpha",
    "domain_ratios",
    "estimate_table",
    "factor_check",
    "fay_herriot",
    "gini",
    "glm",
    "group_codes",
    "headcount",
    "item_rest",
    "load_poverty_lines",
    "logit_interval",
    "lorenz",
    "mean",
    "mean_each",
    "mean_diff",
    "poverty_line",
    "proportion",
    "quantile",
    "ratio",
    "tcrit",
    "total",
]
