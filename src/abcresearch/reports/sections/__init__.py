"""Report sections: one module per section, each a function returning a result object.

A section function takes the report's context (an
:class:`~abcresearch.reports.context.AreaContext` for the area report) and keyword options, and
returns a :class:`~abcresearch.reports.results.SectionResult`. It does four jobs by calling the
module that owns each, and nothing else:

1. **estimation** -- :mod:`abcresearch.reports.estimates` (design-based numbers, counts);
2. **disclosure** -- :mod:`abcresearch.reports.disclosure` (what may be published);
3. **formatting** -- :mod:`abcresearch.reports.formatting` and ``report.t`` (words, numbers);
4. **charts** -- :mod:`abcresearch.reports.charts` (``ax=None`` functions).

It then collects what the reader sees with a :class:`SectionBuilder` (headings, prose, tables,
figures, Typst) and returns ``builder.result(estimates=..., details=...)``: the published parts
plus the unrounded numbers behind them (which never reach a bundle). A section never displays
anything itself: the notebook shows the result because it is the cell's last expression.

Adding a section (e.g. a welfare section)
-----------------------------------------
1. Write ``src/abcresearch/reports/sections/welfare.py`` with ``def welfare(report, *, option=
   default) -> SectionResult``; defaults reproduce the printed report. Put new words in a topic
   file ``params/labels/welfare.yaml`` (Thai and English), thresholds in ``params/``.
2. Add new estimators to :mod:`~abcresearch.reports.estimates` (or a module of their own) and
   suppress every published number through :mod:`~abcresearch.reports.disclosure`.
3. Add a thin method to :class:`~abcresearch.reports.area.AreaReport`::

       def welfare(self, *, option=default) -> SectionResult:
           \"\"\"One line saying what the section shows.\"\"\"
           return self._keep(welfare_section.welfare(self, option=option))

4. Test it in ``tests/test_report_results.py`` style: numbers from ``result.estimates``, published
   cells from ``result.table``, and no suppressed value in ``result.bundles()``.
5. Add one cell ``report.welfare()`` to ``notebooks/area_report.ipynb`` (save it in JupyterLab)
   and the call to ``SHIPPED`` in ``tests/fixtures/notebook_checks.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import ReportError
from abcresearch.reports.formatting import Words
from abcresearch.reports.results import (
    Figure,
    Markdown,
    PageHeader,
    Part,
    SectionResult,
    Table,
    Typst,
)

__all__ = ["SectionBuilder", "check_limit", "check_subset"]


def check_subset(option: str, given: str | Sequence[str] | None,
                 allowed: Sequence[str]) -> tuple[str, ...]:
    """Return the chosen items of an option (all of ``allowed`` when ``given`` is None).

    Raises
    ------
    ReportError
        One sentence naming the option, what it allows and what was given.
    """
    if given is None:
        return tuple(allowed)
    chosen = (given,) if isinstance(given, str) else tuple(given)
    unknown = [c for c in chosen if c not in allowed]
    if unknown or not chosen:
        raise ReportError(f"{option}: expected some of {', '.join(allowed)}, "
                          f"got {', '.join(map(str, unknown)) or 'none'}")
    return chosen


def check_limit(limit: int | None) -> int | None:
    """Check a ``limit`` option: a positive whole number or None (no limit)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                              or limit < 1):
        raise ReportError(f"limit: expected a positive whole number or None, got {limit!r}")
    return limit


def _says_percent(text: str) -> bool:
    lower = text.lower()
    return ("%" in text or "ร้อยละ" in text or text.startswith("สัดส่วน") or "percent" in lower
            or lower.startswith("share"))


def _in_percent_column(frame: Any, marker: str, caption: str = "") -> bool:
    """Whether ``marker`` is printed in a column of percentages.

    A column whose heading says so, or any column of a table whose caption says it holds
    percentages ("ร้อยละของครัวเรือนในแต่ละระดับ": a reader review took its "<5" for under
    5 percent).
    """
    if not isinstance(frame, pd.DataFrame):
        return False
    whole = _says_percent(caption)
    for col in frame.columns:
        if (whole or _says_percent(str(col))) and (
                frame[col].astype(str).str.strip() == marker).any():
            return True
    return False


class SectionBuilder:
    """Collects the parts of one section, in display order.

    Parameters
    ----------
    name : str
        Section id (the report method's name).
    words : Words
        The report's words (for headings).
    options : mapping, optional
        Keyword options the section was called with.
    """

    def __init__(self, name: str, words: Words, options: dict[str, Any] | None = None) -> None:
        self.name = name
        self.words = words
        self.options = dict(options or {})
        self.parts: list[Part] = []

    def heading(self, key: str) -> None:
        """Add a level-2 heading from a label key."""
        self.parts.append(Markdown(f"## {self.words(key)}"))

    def text(self, markdown: str) -> None:
        """Add prose (Markdown)."""
        self.parts.append(Markdown(markdown))

    def table(self, frame: Any, caption: str, notes: str | None = None, **fmt: Any) -> Table:
        """Add a published table (``fmt``: see :class:`~abcresearch.reports.results.Table`).

        ``fmt`` takes ``decimals``, ``number_format``, ``numeric`` and ``grouped``. The
        markers' legend (``suppressed.note``: "<5 = ...", "× = ...", "– = ...") in the notes
        keeps only the markers the table prints.
        """
        table = Table(frame, caption, self._marker_legend(frame, notes, caption), **fmt)
        self.parts.append(table)
        return table

    def _marker_legend(self, frame: Any, notes: str | None, caption: str = "") -> str | None:
        """Return ``notes`` with only the parts of the markers' legend the table prints.

        ``caption`` tells a table of percentages (:func:`_in_percent_column`).
        """
        legend = self.words("suppressed.note")
        if not notes or legend not in notes:
            return notes
        # a missing cell prints the dash
        cells = {"–" if v is None or (isinstance(v, float) and v != v) else str(v).strip()
                 for v in np.asarray(frame, dtype=object).ravel()}
        parts = legend.split(" · ")
        small = parts[0].split(" = ", 1)[0].strip()  # "<5"
        if small not in cells:  # "× = also not shown" would say "also" of nothing
            parts = [self.words("suppressed.note.cross_alone")
                     if p.split(" = ", 1)[0].strip() == "×" else p for p in parts]
        kept = " · ".join(p for p in parts if p.split(" = ", 1)[0].strip() in cells)
        if small in cells and _in_percent_column(frame, small, caption):
            # "<5" under a "%" heading reads as "under 5 percent"
            kept += " · " + self.words("suppressed.note.percent")
        if kept:
            return notes.replace(legend, kept)
        trimmed = notes.replace(" · " + legend, "").replace(legend, "").strip()
        return trimmed or None

    def figure(self, fig: Any, caption: str | None = None) -> None:
        """Add a matplotlib figure (rendered to SVG now and closed).

        With a ``caption`` it is a numbered figure ("ภาพที่ N: ..."), its caption kept with it.
        """
        self.parts.append(Figure.from_matplotlib(fig, caption=caption))

    def page_header(self, header: dict[str, Any]) -> None:
        """Add the PDF's running header (shows nothing in JupyterLab)."""
        self.parts.append(PageHeader(dict(header)))

    def typst(self, markup: str, markdown: str) -> None:
        """Add raw Typst markup with its Markdown fallback."""
        self.parts.append(Typst(markup, markdown))

    def result(self, cls: type[SectionResult] = SectionResult, **fields: Any) -> Any:
        """Return the section's result (``fields``: ``estimates``, ``details``, subclass fields)."""
        return cls(name=self.name, parts=tuple(self.parts), options=self.options, **fields)
