"""One round's analysis, computed once and shared by every report: stage 4 of the data path.

Owns the survey design declared in ``params/design.yaml`` and the round cache
(``round=R/derived/<key>/``: scored households per tambon, village and tambon grades, capital
means, typology). It may import the core modules, ``survey``, ``store``, ``stats`` and
``scoring``; reports read from it, never the other way round.
"""

from __future__ import annotations

from abcresearch.analysis.round import (
    DesignSpec,
    RoundAnalysis,
    area_design,
    design_spec,
    round_analysis,
)

__all__ = ["DesignSpec", "RoundAnalysis", "area_design", "design_spec", "round_analysis"]
