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
from abcresearch.reports.sections import methods as sections

__all__ = ["MethodsReport"]


class MethodsReport(MethodsContext):
    """The methods appendix under one scoring scheme (build it with :meth:`load`)."""

    def cover(self) -> SectionResult:
        """The title block."""
        return self._keep(sections.cover(self))

    def instrument(self, *, capitals: Sequence[str] | None = None) -> SectionResult:
        """The codebook of the household items, capital by capital, and the roster.

        Parameters
        ----------
        capitals : sequence of str, optional
            Only the items of these capitals.
        """
        return self._keep(sections.instrument(self, capitals=capitals))

    def scoring_scheme(self) -> SectionResult:
        """Item rules and weights, level bands, the overall level and tracks, AF."""
        return self._keep(sections.scoring_scheme(self))

    def statistics(self) -> SectionResult:
        """The statistical method in words."""
        return self._keep(sections.statistics(self))
