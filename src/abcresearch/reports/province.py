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
from abcresearch.reports.sections import overview_lead as lead_section
from abcresearch.reports.sections import province as sections
from abcresearch.reports.sections import rollout as rollout_section
from abcresearch.reports.sections import welfare as welfare_section

__all__ = ["GRADE_COLOURS", "ProvinceReport"]


class ProvinceReport(ProvinceContext):
    """The province overview of one round (build it with :meth:`load`)."""

    def cover(self) -> SectionResult:
        """Return the cover: province, round, counts, grade counts, synthetic banner."""
        return self._keep(sections.cover(self))

    def lead(self, *, programmes: str | None = None, actions: str | None = None,
             top_items: int = 3) -> SectionResult:
        """Show the lead: findings on the first page, then the capital heat map by amphoe.

        Also the tambons in programme lists; the findings count high-need tambons by readiness
        group (the chart is :meth:`readiness`, placed right after).

        Parameters
        ----------
        programmes, actions : str, optional
            Other ``programmes.yaml`` / ``actions.yaml`` files.
        top_items : int
            How many of the most common item-level problems to name.
        """
        return self._keep(lead_section.lead(self, programmes=programmes, actions=actions,
                                            top_items=top_items))

    def grade_map(self, *, boundary_file: str | Path | None = None,
                  programmes: str | None = None) -> SectionResult:
        """Show the readiness-group (A/B/C) map.

        A choropleth when a GeoJSON is given, else a tile map with names; tambons in a
        programme list outlined.

        Parameters
        ----------
        boundary_file : path, optional
            GeoJSON of tambon boundaries (default: the one given to :meth:`load`).
        programmes : str, optional
            Another ``programmes.yaml``.
        """
        return self._keep(sections.grade_map(self, boundary_file=boundary_file,
                                             programmes=programmes))

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

    def tambon_overview(self, *, store: str | Path | None = None,
                        limit: int | None = None) -> SectionResult:
        """List every tambon's level-1 share, direct or model-based (small-area), labelled."""
        from abcresearch.reports.sections import smallarea as smallarea_section

        return self._keep(smallarea_section.tambon_overview(self, store=store, limit=limit))

    def small_area_fit(self, *, store: str | Path | None = None) -> SectionResult:
        """Describe the small-area model and its fit (methods appendix); empty without one."""
        from abcresearch.reports.sections import smallarea as smallarea_section

        return self._keep(smallarea_section.model_fit(self, store=store))

    def rules_vs_typology(self) -> SectionResult:
        """Return the data-driven typology next to the readiness groups and need classes."""
        return self._keep(sections.rules_vs_typology(self))

    def rollout(self) -> SectionResult:
        """Return the cumulative rollout.

        villages surveyed per round (new, re-surveyed), villages covered so far and households
        surveyed.
        """
        return self._keep(rollout_section.rollout(self))

    def change_overview(self, *, compare_round: int | None = None) -> SectionResult:
        """Return the tambons that changed beyond the noise since an earlier round.

        Improved or declined; nothing is shown when there is no earlier round.

        Parameters
        ----------
        compare_round : int, optional
            The earlier round (default: the latest earlier round with data in the province).
        """
        return self._keep(rollout_section.change_overview(self, compare_round=compare_round))
    def welfare_fund(self, *, rules: str | None = None,
                     programmes: str | None = None) -> SectionResult:
        """Show the province's community welfare funds.

        Members and money by amphoe, level-1 households reached, the programme's figures and a
        five-year projection.

        Parameters
        ----------
        rules, programmes : str, optional
            Other ``welfare.yaml`` / ``programmes.yaml`` files.
        """
        return self._keep(welfare_section.welfare_fund(self, rules=rules,
                                                       programmes=programmes))

    def readiness(self, *, limit: int | None = 20) -> SectionResult:
        """Return need x readiness of the province's tambons and their organisation ranking.

        The chart with counts per cell, and the organisation-strength ranking of tambons.

        Parameters
        ----------
        limit : int, optional
            Only the ``limit`` strongest tambons in the ranking (default 20; None: all).
        """
        from abcresearch.reports.sections import readiness as readiness_section

        return self._keep(readiness_section.province_readiness(self, limit=limit))

    def methods_note(self) -> SectionResult:
        """Return the short methods note: the design in force, and the provenance line."""
        return self._keep(rollout_section.methods_note(
            self.words, self.analysis, provenance=self.fingerprint()))
