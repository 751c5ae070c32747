"""One round's analysis, computed once and shared by every report: stage 4 of the data path.

Owns the survey design declared in ``params/design.yaml`` and chosen per round from its frame
(:mod:`~abcresearch.analysis.design`), the round cache (``round=R/derived/<key>/``: scored
households per tambon, village and tambon grades, capital means, typology, the areas table;
:mod:`~abcresearch.analysis.round`), the status model (:mod:`~abcresearch.analysis.status`) and
change between rounds (:mod:`~abcresearch.analysis.change`). It may import the core modules,
``survey``, ``store``, ``stats`` and ``scoring``; reports read from it, never the other way round.
"""

from __future__ import annotations

from abcresearch.analysis.design import DesignSpec, area_design, choose_design, design_spec
from abcresearch.analysis.round import RoundAnalysis, round_analysis

__all__ = ["DesignSpec", "RoundAnalysis", "area_design", "choose_design", "design_spec",
           "round_analysis"]
