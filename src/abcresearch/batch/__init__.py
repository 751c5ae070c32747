"""Running reports, one at a time or many, locally or on Dask.

One report (:mod:`~abcresearch.batch.runner`, with its files and outcome in
:mod:`~abcresearch.batch.files`, notebook parameters in :mod:`~abcresearch.batch.parameters`,
input fingerprints in :mod:`~abcresearch.batch.fingerprints` and key figures in
:mod:`~abcresearch.batch.summary`), warm kernels (:mod:`~abcresearch.batch.kernels`, papermill
engine ``abcresearch_warm``), many reports locally or on dask (:mod:`~abcresearch.batch.run`) and
the reviewers' index page (:mod:`~abcresearch.batch.index_page`). It may import everything
below it, and only ``cli`` and ``demo`` import it.
"""

from __future__ import annotations

from abcresearch.batch.lightimports import skip_unused_format_checkers
from abcresearch.batch.run import (
    BatchPlan,
    BatchResult,
    ReportTask,
    available_areas,
    plan_batch,
    run_batch,
)
from abcresearch.batch.runner import ReportOutcome, ReportPaths, run_report

skip_unused_format_checkers()  # before anything imports nbformat (3.4 s of CPU otherwise)

__all__ = ["BatchPlan", "BatchResult", "ReportOutcome", "ReportPaths", "ReportTask",
           "available_areas", "plan_batch", "run_batch", "run_report"]
