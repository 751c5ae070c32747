"""A synthetic province in the shape of real exports, for the demo, tests and benchmarks.

Owns, one job per module: the village frame (``frame``), random streams and links (``draws``),
the population model of households, members and villages (``population``), formatting as Kobo
exports (``kobo``), injected data-entry errors (``errors``), the writers (``writers``), the
village selection and ``frame.csv`` (``sampling``), the จปฐ.-style ``bmn.csv`` (``auxiliary``),
the finite-population truth (``truth``) and the orchestration :func:`synthesize` (``generate``).
It may import the core modules, ``survey`` (areas, instrument), ``stats`` (the poverty line) and
``scoring`` (the truth is scored as the reports score), never ``store``, ``ingest`` or
``reports``: what it writes is read back through ``ingest`` like any export.
"""

from __future__ import annotations

from abcresearch.synth.auxiliary import bmn_table
from abcresearch.synth.generate import SynthResult, synthesize, village_frame
from abcresearch.synth.sampling import Selection, select
from abcresearch.synth.truth import area_truth

__all__ = ["Selection", "SynthResult", "area_truth", "bmn_table", "select", "synthesize",
           "village_frame"]
