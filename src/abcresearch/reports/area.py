"""The per-area report: one method per section, each returning a result that renders itself.

A report notebook stays thin; each cell's last expression is a section::

    report = AreaReport.load(area_code, survey_round, store=store, lang=lang)
    report.cover()

    report.capital_profile()                      # next cell
    report.capital_profile(compare=["province"])  # options as keyword arguments

A section returns a :class:`~abcresearch.reports.results.SectionResult` and displays nothing
itself: the notebook shows it because it is the cell's last expression. The result carries the
published tables (``result.table``, ``result.to_frame()``) and the unrounded numbers behind them
(``result.estimates``, ``result.details``), which never reach the executed notebook;
``report.results[<section>]`` keeps the latest result of each section called.

This class is the thin composition: the data it rests on are in
:class:`~abcresearch.reports.context.AreaContext`, and each section is a module of
:mod:`abcresearch.reports.sections` (estimation, disclosure, formatting and charts each in a
module of their own). Every number comes from the round's cached analysis
(:mod:`abcresearch.analysis.round`) and the design declared in ``params/design.yaml``; every word
from ``params/labels.yaml`` or the scheme's own labels, in Thai or English. No published cell
describes fewer than 5 households, and no personal data is ever loaded (the store holds none).
To add a section, see :mod:`abcresearch.reports.sections`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from abcresearch.reports.context import AreaContext
from abcresearch.reports.results import FindingsResult, SectionResult, SummaryResult
from abcresearch.reports.sections import actions as actions_section
from abcresearch.reports.sections import change as change_section
from abcresearch.reports.sections import cover as cover_section
from abcresearch.reports.sections import deprivation as deprivation_section
from abcresearch.reports.sections import findings as findings_section
from abcresearch.reports.sections import income as income_section
from abcresearch.reports.sections import levels as levels_section
from abcresearch.reports.sections import organisations as organisations_section
from abcresearch.reports.sections import profile as profile_section
from abcresearch.reports.sections import quality as quality_section
from abcresearch.reports.sections import rollout as rollout_section
from abcresearch.reports.sections import summary as summary_section
from abcresearch.reports.sections import summary_page as summary_page_section
from abcresearch.reports.sections import villages as villages_section
from abcresearch.reports.sections import welfare as welfare_section

__all__ = ["AreaReport"]


class AreaReport(AreaContext):
    """One area's report content for one round.

    Build it with :meth:`~abcresearch.reports.context.AreaContext.load`; call the sections in
    the order of the printed report.
    """

    def cover(self) -> SectionResult:
        """Return the cover block: names, round, counts, grade, synthetic banner, provenance."""
        return self._keep(cover_section.cover(self))

    def summary_page(self, *, forums: str | None = summary_page_section.DEFAULT_FORUMS,
                     programmes: str | None = None,
                     actions: str | None = None) -> SectionResult:
        """Show the one-page summary at the front.

        Readiness group and reason with need beside it, what would lift the group, strengths
        and gaps against the province, first actions, coverage, programme lists, forum date.

        Parameters
        ----------
        forums : str, optional
            Forum-date file (the notebook's ``forums`` parameter; a missing file: no date).
        programmes, actions : str, optional
            Other ``programmes.yaml`` / ``actions.yaml`` files.
        """
        return self._keep(summary_page_section.summary_page(self, forums=forums,
                                                            programmes=programmes,
                                                            actions=actions))

    def key_findings(self, *, priority_areas: int = 3) -> FindingsResult:
        """Plain-language findings generated from the estimates (``.findings``: the sentences).

        Parameters
        ----------
        priority_areas : int
            How many C-graded areas within to name as priorities (tambon and amphoe reports).
        """
        return self._keep(findings_section.key_findings(self, priority_areas=priority_areas))

    def capital_profile(self, *, compare: Sequence[str] = profile_section.DEFAULT_COMPARE,
                        capitals: Sequence[str] | None = None) -> SectionResult:
        """Capital profile chart and table (the area against its amphoe and the province).

        Parameters
        ----------
        compare : sequence of str
            Comparison areas: ``"amphoe"``, ``"province"`` or 4-digit amphoe codes.
        capitals : sequence of str, optional
            Capital ids to show (default all).
        """
        return self._keep(profile_section.capital_profile(self, compare=compare,
                                                          capitals=capitals))

    def profile_table(self, compare: Sequence[str] = profile_section.DEFAULT_COMPARE
                      ) -> Any:
        """Return the capital means of the area and of the comparison areas.

        A DataFrame indexed by capital id (``human``, ...), with CIs (blanked where the base is
        small). For a chart in the report's language, name the rows by their labels first.

        Examples
        --------
        In a report notebook::

            from abcresearch.reports.charts import capital_profile_chart
            table = report.profile_table().rename(index=report.capital_label)
            capital_profile_chart(table, area_label=report.area_name())
        """
        return profile_section.published_profile(
            self, profile_section.profile_estimates(self, compare))

    def levels_and_tracks(self, *, capitals: Sequence[str] | None = None) -> SectionResult:
        """Households by overall level and track, by village (or tambon).

        Parameters
        ----------
        capitals : sequence of str, optional
            Capitals of the capital-level table (default all).
        """
        return self._keep(levels_section.levels_and_tracks(self, capitals=capitals))

    def deprivation(self) -> SectionResult:
        """H, A and M0 with CIs and each capital's contribution."""
        return self._keep(deprivation_section.deprivation(self))

    def villages(self, *, limit: int | None = None) -> SectionResult:
        """Return the areas within (villages or tambons) by support band.

        With need, readiness group, organisation strength and the reasons.

        Parameters
        ----------
        limit : int, optional
            List only the first ``limit`` areas in priority order (default all).
        """
        return self._keep(villages_section.villages(self, limit=limit))

    def small_area(self) -> SectionResult:
        """Show a tambon's model-based estimates (basis ``model``) with RMSE; else nothing."""
        from abcresearch.reports.sections import smallarea as smallarea_section

        return self._keep(smallarea_section.small_area(self))

    def organisations(self) -> SectionResult:
        """Return groups, funds, master plans and process steps from the village form."""
        return self._keep(organisations_section.organisations(self))

    def readiness(self) -> SectionResult:
        """Return need x readiness of the areas within, and what would lift the area.

        The chart with counts per cell, what would lift the area to the next group, and the
        organisation-strength ranking with the kinds of groups.
        """
        from abcresearch.reports.sections import readiness as readiness_section

        return self._keep(readiness_section.readiness(self))

    def income(self, *, bins: int = 29, lorenz_points: int = 21) -> SectionResult:
        """Income distribution, Gini and the income poverty headcount.

        Parameters
        ----------
        bins : int
            Bins of the income histogram.
        lorenz_points : int
            Points of the Lorenz curve.
        """
        return self._keep(income_section.income(self, bins=bins, lorenz_points=lorenz_points))

    def data_quality(self, *, capitals: Sequence[str] | None = None) -> SectionResult:
        """Return counts, completeness and rejected rows.

        Parameters
        ----------
        capitals : sequence of str, optional
            Capitals of the missing-score table (default all).
        """
        return self._keep(quality_section.data_quality(self, capitals=capitals))

    def change(self, *, compare_round: int | None = None) -> SectionResult:
        """Change since an earlier round.

        capital means, level shares, M0 and income poverty with SEs and intervals, level transitions
        of matched households, sentences only where a change is beyond the noise (nothing shown when
        no earlier round holds the area).

        Parameters
        ----------
        compare_round : int, optional
            The earlier round (default: the latest earlier round in which the area has
            households).
        """
        return self._keep(change_section.change(self, compare_round=compare_round))

    def methods_note(self) -> SectionResult:
        """Return the short methods note: the design in force, where household counts come from."""
        return self._keep(rollout_section.methods_note(self.words, self.analysis,
                                                       self.area_row,
                                                       provenance=self.fingerprint(),
                                                       report=self))

    def what_to_do(self, *, items_per_capital: int | None = None,
                   rules: str | None = None) -> SectionResult:
        """Show the "what to do" page.

        Per capital, the items where the area is furthest below the province, with an action
        per development path and its lead agency (``params/actions.yaml``).

        Parameters
        ----------
        items_per_capital : int, optional
            Items per capital (default: ``items_per_capital`` of the rules).
        rules : str, optional
            Another rules file.
        """
        return self._keep(actions_section.what_to_do(self, items_per_capital=items_per_capital,
                                                     rules=rules))

    def welfare_fund(self, *, rules: str | None = None,
                     programmes: str | None = None) -> SectionResult:
        """Show the community welfare fund section.

        Members and money, level-1 households reached, the programme's figures and a five-year
        projection (``params/welfare.yaml``).

        Parameters
        ----------
        rules, programmes : str, optional
            Other ``welfare.yaml`` / ``programmes.yaml`` files.
        """
        return self._keep(welfare_section.welfare_fund(self, rules=rules,
                                                       programmes=programmes))

    def summary(self) -> dict[str, Any]:
        """Key figures for the batch index page (suppressed figures are None)."""
        return summary_section.summary(self)

    def write_summary(self) -> SummaryResult:
        """Publish :meth:`summary` for the batch index (no visible output)."""
        return self._keep(summary_section.write_summary(self))
