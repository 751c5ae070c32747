"""The province overview: every amphoe and tambon side by side, rankings and the A/B/C grade map.

Used by ``notebooks/province_overview.ipynb``. Like :class:`~abcresearch.reports.area.AreaReport`,
each section returns a :class:`~abcresearch.reports.results.SectionResult` that renders itself
(the cell's last expression) and carries its numbers; ``overview.results`` keeps the latest of
each. The data are in :class:`~abcresearch.reports.context.ProvinceContext`, the sections in
:mod:`abcresearch.reports.sections.province`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from abcresearch.reports.charts import GRADE_COLOURS
from abcresearch.reports.context import ProvinceContext
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import common
from abcresearch.reports.sections import province as sections

__all__ = ["GRADE_COLOURS", "ProvinceReport"]


class ProvinceReport(ProvinceContext):
    """The province overview of one round (build it with :meth:`load`)."""

    def cover(self) -> SectionResult:
        """The cover: province, round, counts, grade counts, synthetic banner."""
        return self._keep(sections.cover(self))

    def grade_map(self, *, boundary_file: str | Path | None = None) -> SectionResult:
        """The A/B/C map: a boundary map when a GeoJSON is given, else a tile map.

        Parameters
        ----------
        boundary_file : path, optional
            GeoJSON of tambon boundaries (default: the one given to :meth:`load`).
        """
        return self._keep(sections.grade_map(self, boundary_file=boundary_file))

    def amphoe_table(self, *, capitals: Sequence[str] | None = None) -> SectionResult:
        """Every amphoe: households, share at level 1, M0 and its tambon grades.

        Parameters
        ----------
        capitals : sequence of str, optional
            Capitals of the amphoe capital-means table (default all).
        """
        return self._keep(sections.amphoe_table(self, capitals=capitals))

    def tambon_ranking(self, *, limit: int | None = None,
                       amphoe: str | None = None) -> SectionResult:
        """All tambons by support band with need, readiness group and organisation strength.

        Parameters
        ----------
        limit : int, optional
            Only the first ``limit`` tambons.
        amphoe : str, optional
            Only the tambons of this amphoe.
        """
        return self._keep(sections.tambon_ranking(self, limit=limit, amphoe=amphoe))

    def rules_vs_typology(self) -> SectionResult:
        """The data-driven typology next to the readiness groups and need classes."""
        return self._keep(sections.rules_vs_typology(self))

    def readiness(self, *, limit: int | None = 20) -> SectionResult:
        """Need x readiness of the province's tambons (chart, counts per cell) and the
        organisation-strength ranking of tambons.

        Parameters
        ----------
        limit : int, optional
            Only the ``limit`` strongest tambons in the ranking (default 20; None: all).
        """
        from abcresearch.reports.sections import readiness as readiness_section

        return self._keep(readiness_section.province_readiness(self, limit=limit))

    def methods_note(self) -> SectionResult:
        """The short methods note."""
        return self._keep(common.methods_note(self.words, self.survey_round,
                                              self.analysis.scheme))
