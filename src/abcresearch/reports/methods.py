"""Methods appendix: the instrument's codebook, the scoring scheme and the statistical method.

Used by ``notebooks/methods.ipynb``. Everything shown is read from ``params/`` (the XLSForms, the
scoring scheme, the grade rules, the design and the poverty lines), so the appendix always
describes the rules actually in force. Each section returns a
:class:`~abcresearch.reports.results.SectionResult` (see :mod:`abcresearch.reports.area`); the
sections are in :mod:`abcresearch.reports.sections.methods`.
"""

from __future__ import annotations

from collections.abc import Sequence

from abcresearch.reports.context import MethodsContext
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import appendix
from abcresearch.reports.sections import methods as sections

__all__ = ["MethodsReport"]


class MethodsReport(MethodsContext):
    """The methods appendix under one scoring scheme (build it with :meth:`load`)."""

    def cover(self) -> SectionResult:
        """Return the title block."""
        return self._keep(sections.cover(self))

    def instrument(self, *, capitals: Sequence[str] | None = None) -> SectionResult:
        """Return the codebook of the household items, capital by capital, and the roster.

        Parameters
        ----------
        capitals : sequence of str, optional
            Only the items of these capitals.
        """
        return self._keep(sections.instrument(self, capitals=capitals))

    def scoring_scheme(self) -> SectionResult:
        """Item rules and weights, level bands, the overall level and tracks, AF."""
        return self._keep(sections.scoring_scheme(self))

    def statistics(self, survey_round: int | None = None, store: str | None = None
                   ) -> SectionResult:
        """Return the statistical method in words.

        Parameters
        ----------
        survey_round : int, optional
            The round the appendix goes with: a round that samples villages is described as
            its two-stage sample (default: the design in ``params/design.yaml`` alone).
        store : str, optional
            The analysis store of that round.
        """
        rd = sections.round_design(survey_round, store) if survey_round is not None else None
        return self._keep(sections.statistics(self, rd))

    # the stand-alone parts (abcresearch.reports.sections.appendix)
    def design_and_weights(self, survey_round: int | None = None, store: str | None = None
                           ) -> SectionResult:
        """Return the design, the weights and the disclosure rule (as :meth:`statistics`)."""
        rd = sections.round_design(survey_round, store) if survey_round is not None else None
        return self._keep(appendix.design_and_weights(self, rd))

    def score_bands(self) -> SectionResult:
        """Return the score band of each level and what it means."""
        return self._keep(appendix.score_bands(self))

    def overall_level(self) -> SectionResult:
        """Return the overall-level rule."""
        return self._keep(appendix.overall_level(self))

    def grade_rules(self) -> SectionResult:
        """Return the A/B/C rules with the reason for each."""
        return self._keep(appendix.grade_rules(self))

    def org_strength(self) -> SectionResult:
        """Return the organisation-strength formula."""
        return self._keep(appendix.org_strength(self))

    def capital_mapping(self) -> SectionResult:
        """Return the programme's four capitals against the seven analysed."""
        return self._keep(appendix.capital_mapping(self))

    def defaults_status(self) -> SectionResult:
        """Return the review status of every rules file."""
        return self._keep(appendix.defaults_status(self))

    def sensitivity(self, survey_round: int, store: str | None = None,
                    shift: float = 0.10) -> SectionResult:
        """Return how many areas of a round change group as the thresholds move.

        Each threshold moves by ``shift`` of its value; k is set to 25/33/40%.
        """
        from abcresearch.errors import StoreError

        try:
            table = appendix.round_sensitivity(survey_round, store, shift, scheme=self.scheme)
        except StoreError as exc:  # no store yet (JupyterLab before `make demo`): say so
            return self._keep(appendix.sensitivity_unavailable(self, survey_round, str(exc)))
        return self._keep(appendix.sensitivity(self, table, survey_round, shift))
