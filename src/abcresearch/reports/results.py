"""Result objects of report sections: they carry their numbers and render themselves.

A section method (``report.capital_profile()``) returns a :class:`SectionResult`. In a notebook
the result is the cell's last expression, so IPython shows it; nothing is displayed while the
section is computed, and nothing is shown twice.

What a result holds
-------------------
``parts``
    What the reader sees, in order: :class:`Markdown` (headings, prose), :class:`Table`,
    :class:`Figure` and :class:`Typst` blocks. Each part renders itself through
    ``_repr_mimebundle_`` with exactly the bundle the PDF exporter reads
    (:mod:`abcresearch.reports.render.typst`): a table spec (``TABLE_MIME``) with HTML and plain
    fallbacks, an SVG figure, Typst markup with a Markdown fallback, or Markdown. Every part
    holds **published** values only: suppressed, and numbers formatted as printed.
``table`` / ``to_frame()`` / ``tables``
    The published tables as data frames, cell for cell as printed (suppressed cells are the
    marker text or missing).
``estimates`` and ``details``
    The unrounded, unsuppressed numbers behind the section (design-based estimates, counts), for
    researchers and tests. They stay in the Python object: they are never part of a bundle, of
    ``repr()`` or of anything written to the executed notebook.

How a result is shown
---------------------
IPython asks the result to display itself (``_ipython_display_``), and the result sends one
display message per part, the same sequence the report sections sent before results existed, so
the executed notebook and the PDF read the same. ``_repr_mimebundle_`` of the whole result gives
one combined bundle (HTML, Markdown, plain text) for front-ends that want a single output; it
too holds published values only. :meth:`SectionResult.bundles` lists the per-part bundles
without a kernel.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from abcresearch.reports.render import TABLE_MIME, TYPST_MIME

__all__ = [
    "SUMMARY_MIME",
    "Figure",
    "FindingsResult",
    "Markdown",
    "PageHeader",
    "Part",
    "SectionResult",
    "SummaryResult",
    "Table",
    "Typst",
    "plain_table_text",
    "table_bundle",
]

_NUMBER = re.compile(r"^-?\d{1,3}(?:,\d{3})*(?:\.\d+)?$|^-?\d+(?:\.\d+)?$")
_MARKERS = frozenset({"×"}) | {f"<{k}" for k in range(2, 100)}

SUMMARY_MIME = "application/vnd.abcresearch.summary+json"
"""Mimetype of a report's key figures; the batch runner copies them beside the PDF (the PDF
renderer ignores it). Same value as ``abcresearch.batch.runner.SUMMARY_MIME``."""

MimeBundle = dict[str, Any]


def _filter(bundle: MimeBundle, include: Any = None, exclude: Any = None) -> MimeBundle:
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


class Part:
    """One displayed piece of a section (base class).

    Subclasses implement :meth:`bundle`, :meth:`as_markdown` and :meth:`as_html`.
    """

    def bundle(self) -> MimeBundle:
        """Return the mime bundle this part is displayed with."""
        raise NotImplementedError

    def as_markdown(self) -> str:
        """Return the part as Markdown (figures give an empty string)."""
        raise NotImplementedError

    def as_html(self) -> str:
        """Return the part as an HTML fragment."""
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> MimeBundle:
        return _filter(self.bundle(), include, exclude)


@dataclass(frozen=True, eq=False)
class Markdown(Part):
    """A heading or prose, in Markdown."""

    text: str

    def bundle(self) -> MimeBundle:
        """``text/markdown`` with the same text as plain fallback."""
        return {"text/markdown": self.text, "text/plain": self.text}

    def as_markdown(self) -> str:
        """Return the Markdown text."""
        return self.text

    def as_html(self) -> str:
        """Return the text escaped in a ``<div>`` (Markdown is not converted)."""
        return f"<div style=\"white-space: pre-wrap\">{html.escape(self.text)}</div>"


@dataclass(frozen=True, eq=False)
class Typst(Part):
    """Raw Typst markup for the PDF, with Markdown for JupyterLab."""

    markup: str
    markdown: str

    def bundle(self) -> MimeBundle:
        """``TYPST_MIME`` with ``text/markdown`` and ``text/plain`` fallbacks."""
        return {TYPST_MIME: self.markup, "text/markdown": self.markdown,
                "text/plain": self.markdown}

    def as_markdown(self) -> str:
        """Return the Markdown fallback."""
        return self.markdown

    def as_html(self) -> str:
        """Return the Markdown fallback escaped in a ``<div>``."""
        return Markdown(self.markdown).as_html()


#: Characters after which pandas writes a text cell differently from the text itself.
_PLAIN_UNSAFE = re.compile(r"[\t\r\n\x0b\x0c]|^\s|\s$|\s\s")
_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def plain_table_text(columns: Sequence[Any], rows: Sequence[Sequence[Any]]
                     ) -> tuple[str, str] | None:
    """Return ``(html, text)`` of a table of text cells as pandas writes them, or None.

    The same strings as ``DataFrame(rows, columns=columns).to_html(index=False,
    escape=True, border=0)`` and ``.to_string(index=False)`` under pandas' default display
    options, written directly (pandas' general formatter costs milliseconds per table). None
    when pandas would write something else than the cells themselves (no rows, a cell or
    column name that is not text or holds tabs, line breaks, leading, trailing or doubled
    spaces) or a display option is not its default; the caller then asks pandas.
    """
    if not rows or pd.get_option("display.unicode.east_asian_width") \
            or pd.get_option("display.colheader_justify") != "right" \
            or not pd.get_option("display.html.use_mathjax"):
        return None
    for text in (*columns, *(c for row in rows for c in row)):
        if not isinstance(text, str) or _PLAIN_UNSAFE.search(text):
            return None
    if any(len(row) != len(columns) for row in rows):
        return None
    widths = [max(len(h), *(len(row[j]) for row in rows)) for j, h in enumerate(columns)]
    lines = [" ".join(h.rjust(w) for h, w in zip(columns, widths, strict=True))]
    lines += [" ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    out = ['<table class="dataframe">', "  <thead>", '    <tr style="text-align: right;">']
    out += [f"      <th>{h.translate(_HTML_ESCAPES)}</th>" for h in columns]
    out += ["    </tr>", "  </thead>", "  <tbody>"]
    for row in rows:
        out.append("    <tr>")
        out += [f"      <td>{c.translate(_HTML_ESCAPES)}</td>" for c in row]
        out.append("    </tr>")
    out += ["  </tbody>", "</table>"]
    return "\n".join(out), "\n".join(lines)


def table_bundle(spec: Mapping[str, Any]) -> MimeBundle:
    """Return the display bundle of a table spec: the spec, HTML and plain text.

    Parameters
    ----------
    spec : mapping
        A :data:`~abcresearch.reports.render.TABLE_MIME` spec (see
        :func:`abcresearch.reports.render.display.table_spec`).

    Returns
    -------
    dict
        ``{TABLE_MIME: spec, "text/html": ..., "text/plain": ...}``, the bundle that
        :func:`~abcresearch.reports.render.display.show_table` displays.
    """
    cells = [["–" if v is None else v for v in row] for row in spec["rows"]]
    fast = plain_table_text(spec["columns"], cells)
    if fast is not None:
        body, plain = fast
    else:
        shown = pd.DataFrame(cells, columns=spec["columns"])
        body = shown.to_html(index=False, escape=True, border=0)
        plain = shown.to_string(index=False)
    caption, notes = spec.get("caption"), spec.get("notes")
    if caption:
        body = f"<p><strong>{html.escape(caption)}</strong></p>{body}"
        plain = f"{caption}\n{plain}"
    if notes:
        body += f"<p><small>{html.escape(notes)}</small></p>"
        plain += f"\n{notes}"
    return {TABLE_MIME: dict(spec), "text/html": body, "text/plain": plain}


@dataclass(frozen=True, eq=False)
class Table(Part):
    """A published table: typeset as a real table in the PDF.

    Parameters
    ----------
    data : pandas.DataFrame
        The table after disclosure control, before number formatting (column labels as
        shown). Numeric cells are formatted when rendered.
    caption, notes : str, optional
        Caption above and small print below.
    decimals : int
        Digits of float cells.
    number_format : optional
        Per-table or per-column format (see :func:`~abcresearch.reports.render.display.table_spec`).
    numeric : tuple of str
        Labels of the columns that hold figures, right-aligned even where none is shown (every
        cell "–"); see :func:`~abcresearch.reports.render.display.table_spec`.
    grouped : bool
        The first column groups the rows ("Human capital" over two items) rather than naming
        each: in the PDF it gives way like the other columns where the table is wider than the
        line (see :func:`~abcresearch.reports.render.typst.table_to_typst`).
    """

    data: pd.DataFrame = field(repr=False)
    caption: str | None = None
    notes: str | None = None
    decimals: int = 2
    number_format: Any = None
    numeric: tuple[str, ...] = ()
    grouped: bool = False

    @cached_property
    def spec(self) -> dict[str, Any]:
        """The :data:`~abcresearch.reports.render.TABLE_MIME` spec (cells as printed).

        Columns whose cells are all numbers as printed (``"1,250"``, ``"18"``, ``"65–71"``),
        markers of hidden cells (``"<5"``, ``"×"``, ``"–"``) or empty, one of them not ``"–"``,
        are right-aligned, like numeric columns; so are the columns declared :attr:`numeric`,
        whatever they hold.
        """
        from abcresearch.reports.render.display import table_spec

        spec = table_spec(self.data, self.caption, self.notes,
                          number_format=self.number_format, decimals=self.decimals,
                          numeric=self.numeric)
        align = list(spec["align"])
        for j in range(len(align)):
            cells = [row[j] for row in spec["rows"] if row[j] is not None]
            if cells and all(_NUMBER.match(c) or c in _MARKERS or c == "–" for c in cells) \
                    and any(_NUMBER.match(c) for c in cells):
                align[j] = "right"
        spec["align"] = align
        if self.grouped:
            spec["grouped"] = True
        return spec

    def bundle(self) -> MimeBundle:
        """Return the table spec with ``text/html`` and ``text/plain`` renderings."""
        return table_bundle(self.spec)

    def to_frame(self) -> pd.DataFrame:
        """Return the table as printed: numbers parsed back from their printed text.

        Right-aligned (numeric) columns hold the printed (rounded) numbers -- whole numbers as
        ``Int64`` when every number of the column is whole -- and the marker of a hidden cell
        (``"<5"``, ``"×"``) as text; missing (a dash in the PDF) is NA. Other columns, and
        right-aligned columns of numbers written with more than a number ("56 (54–59)",
        "+9*"), hold the printed text.
        """
        spec = self.spec
        out = {}
        for j, (name, align) in enumerate(zip(spec["columns"], spec["align"], strict=True)):
            cells = [row[j] for row in spec["rows"]]
            written = [c for c in cells if c is not None and c != "–"]
            plain = all(_NUMBER.match(c) or c in _MARKERS for c in written)
            if align == "right" and plain:
                values: list[Any] = [None if c is None or c == "–" else
                                     (float(c.replace(",", "")) if _NUMBER.match(c) else c)
                                     for c in cells]
                numbers = [v for v in values if isinstance(v, float)]
                whole = all(v.is_integer() for v in numbers) and not any(
                    "." in c for c in cells if c is not None and _NUMBER.match(c))
                markers = any(isinstance(v, str) for v in values)
                if markers:
                    col: Any = pd.array([int(v) if whole and isinstance(v, float) else v
                                         for v in values], dtype=object)
                elif whole:
                    col = pd.array([None if v is None else int(v) for v in values],
                                   dtype="Int64")
                else:
                    col = pd.array([math.nan if v is None else v for v in values], dtype=float)
                out[name] = col
            else:
                out[name] = pd.array(cells, dtype=object)
        return pd.DataFrame(out, columns=pd.Index(spec["columns"]))

    def as_markdown(self) -> str:
        """Return the table as a Markdown pipe table with its caption and notes."""
        spec = self.spec

        def cell(v: Any) -> str:
            return ("–" if v is None else str(v)).replace("|", "\\|").replace("\n", " ")

        lines = []
        if spec.get("caption"):
            lines += [f"**{spec['caption']}**", ""]
        lines.append("| " + " | ".join(cell(c) for c in spec["columns"]) + " |")
        lines.append("|" + "|".join("---:" if a == "right" else ":---"
                                    for a in spec["align"]) + "|")
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in spec["rows"]]
        if spec.get("notes"):
            lines += ["", f"*{spec['notes']}*"]
        return "\n".join(lines)

    def as_html(self) -> str:
        """Return the HTML rendering (caption, table, notes)."""
        return self.bundle()["text/html"]


@dataclass(frozen=True, eq=False)
class PageHeader(Part):
    """The PDF's running header (area, round, synthetic label); shows nothing in JupyterLab.

    Parameters
    ----------
    header : mapping
        ``{"title", "subtitle", "synthetic", "lang"}`` from
        :func:`~abcresearch.reports.render.display.report_header`.
    """

    header: Mapping[str, Any]

    def bundle(self) -> MimeBundle:
        """``HEADER_MIME`` with an empty plain-text fallback."""
        from abcresearch.reports.render.display import header_bundle

        return header_bundle(self.header)

    def as_markdown(self) -> str:
        """Return nothing: the header is not part of the text."""
        return ""

    def as_html(self) -> str:
        """Return nothing: the header is not part of the text."""
        return ""


@dataclass(frozen=True, eq=False)
class Figure(Part):
    """A figure as deterministic SVG, or drawn by Typst's own shapes, with its caption.

    Build it with :meth:`from_matplotlib` (text drawn as paths, so the PDF needs no font); the
    figure drawn is kept as ``figure`` (closed, so the inline backend does not show it a second
    time). Or with :meth:`from_typst`, from Typst markup that draws the chart (a report's levels
    chart, :func:`abcresearch.reports.charts.levels_chart_typst`): the PDF typesets that markup
    (its words are text, in the report's font), and JupyterLab shows Typst's SVG of it; there is
    no matplotlib figure (``figure`` is None: draw one from ``data`` with the matplotlib
    function of the chart to adapt it). With a ``caption`` the PDF numbers it as a figure
    ("ภาพที่ N: caption", the word from ``params/labels.yaml`` key ``figure``).

    Parameters
    ----------
    svg : str
        The SVG.
    figure : matplotlib.figure.Figure, optional
        The figure drawn.
    caption : str, optional
        Caption below the figure.
    data : pandas.DataFrame, optional
        The published values the figure draws (as printed; hidden values are markers), so that
        what a chart shows can be checked like a table.
    markup : str, optional
        Typst markup drawing the figure (content), which the PDF typesets instead of the SVG.
    """

    svg: str = field(repr=False)
    figure: Any = field(default=None, repr=False)
    caption: str | None = None
    data: pd.DataFrame | None = field(default=None, repr=False)
    markup: str | None = field(default=None, repr=False)

    @classmethod
    def from_matplotlib(cls, fig: Any, close: bool = True, caption: str | None = None,
                        data: pd.DataFrame | None = None) -> Figure:
        """Render a matplotlib figure to SVG, closing it in pyplot unless ``close`` is False."""
        from abcresearch.reports.render.display import figure_svg

        svg = figure_svg(fig)
        if close:
            import matplotlib.pyplot as plt

            plt.close(fig)
        return cls(svg=svg, figure=fig, caption=caption, data=data)

    @classmethod
    def from_typst(cls, markup: str, caption: str | None = None,
                   data: pd.DataFrame | None = None) -> Figure:
        """Make a figure from Typst markup that draws it (its SVG made by Typst, for JupyterLab).

        Parameters
        ----------
        markup : str
            Typst content drawing the chart at its natural size (as
            :func:`abcresearch.reports.charts.levels_chart_typst` returns).
        caption : str, optional
            Caption below the figure.
        data : pandas.DataFrame, optional
            The published values the figure draws.
        """
        from abcresearch.reports.render.pdf import typst_svg

        return cls(svg=typst_svg(markup), caption=caption, data=data, markup=markup)

    def typst(self) -> str:
        """Typst markup of a captioned figure (the template's ``abc-chart``).

        The figure's own Typst drawing where it has one, else its SVG embedded.
        """
        from abcresearch.reports.render.thai import mark_breaks
        from abcresearch.reports.render.typst import escape_markup, typst_string

        caption = escape_markup(mark_breaks(self.caption or ""))
        # the template's chart: shrunk to the text width, and a little more where that keeps
        # it on the page it starts on (abc-chart)
        body = "[" + self.markup + "]" if self.markup is not None else \
            "bytes(" + typst_string(self.svg) + ")"
        return "#abc-chart(" + body + ", caption: [" + caption + "])"

    def bundle(self) -> MimeBundle:
        """``image/svg+xml`` and ``text/html``; captioned, also the Typst figure and the caption.

        The HTML is the SVG as an image with its caption (:meth:`as_html`): JupyterLab shows it
        in an untrusted notebook, where it hides SVG. The PDF uses the Typst figure or the SVG.
        """
        if not self.caption:
            return {"image/svg+xml": self.svg, "text/html": self.as_html()}
        return {TYPST_MIME: self.typst(), "image/svg+xml": self.svg,
                "text/html": self.as_html(), "text/plain": self.caption}

    def as_markdown(self) -> str:
        """Figures have no Markdown form (the caption, in italics, when captioned)."""
        return f"*{self.caption}*" if self.caption else ""

    def as_html(self) -> str:
        """Return the SVG as an image from a ``data:`` URI, with its caption.

        Inline SVG would not show in an untrusted notebook (see
        :func:`~abcresearch.reports.render.display.svg_img`).
        """
        from abcresearch.reports.render.display import svg_img

        return svg_img(self.svg, self.caption)


@dataclass(frozen=True, eq=False, repr=False)
class SectionResult:
    """What one report section shows, and the numbers behind it.

    Parameters
    ----------
    name : str
        Section id (the method name, e.g. ``"capital_profile"``).
    parts : tuple of Part
        What is displayed, in order (published values only).
    estimates : pandas.DataFrame, optional
        The unrounded, unsuppressed numbers the section rests on (never rendered).
    details : mapping
        Further unrounded objects by name (e.g. ``"af"``: the Alkire-Foster result, ``"counts"``:
        raw household counts); never rendered.
    options : mapping
        The keyword options the section was called with (after defaults).
    published : tuple of Published
        The ledger of every number the section published or hid
        (:class:`~abcresearch.reports.disclosure.Published`), for the disclosure test.
    """

    name: str
    parts: tuple[Part, ...] = ()
    estimates: pd.DataFrame | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    published: tuple[Any, ...] = ()

    # ------------------------------------------------------------------ published content
    @property
    def tables(self) -> tuple[Table, ...]:
        """The published tables, in order."""
        return tuple(p for p in self.parts if isinstance(p, Table))

    @property
    def figures(self) -> tuple[Figure, ...]:
        """The figures, in order."""
        return tuple(p for p in self.parts if isinstance(p, Figure))

    def to_frame(self, which: int | str = 0) -> pd.DataFrame:
        """Return a published table as printed (see :meth:`Table.to_frame`).

        Parameters
        ----------
        which : int or str
            Position among the section's tables, or its caption (or the caption's start: a
            section may add what it found to its caption, as the province's ranking names a
            support band no tambon is in).
        """
        tables = self.tables
        if isinstance(which, str):
            found = ([t for t in tables if t.caption == which]
                     or [t for t in tables if str(t.caption or "").startswith(which + " (")])
            if not found:
                captions = [t.caption for t in tables]
                raise KeyError(f"no table captioned {which!r} in section {self.name!r}; "
                               f"captions: {captions}")
            return found[0].to_frame()
        if not tables:
            raise KeyError(f"section {self.name!r} has no table")
        return tables[which].to_frame()

    @property
    def table(self) -> pd.DataFrame:
        """The section's first published table, as printed."""
        return self.to_frame(0)

    @property
    def text(self) -> str:
        """All Markdown and Typst-fallback text of the section, in order."""
        return "\n\n".join(p.as_markdown() for p in self.parts
                           if isinstance(p, Markdown | Typst))

    # ------------------------------------------------------------------ rendering
    def bundles(self) -> list[MimeBundle]:
        """Return the bundles the section displays, one per part, in order."""
        return [p.bundle() for p in self.parts]

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for bundle in self.bundles():
            display(bundle, raw=True)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> MimeBundle:
        md = "\n\n".join(m for m in (p.as_markdown() for p in self.parts) if m)
        page = "\n".join(p.as_html() for p in self.parts)
        return _filter({"text/html": page, "text/markdown": md, "text/plain": md or repr(self)},
                       include, exclude)

    def __repr__(self) -> str:
        kinds = {"table": len(self.tables), "figure": len(self.figures)}
        what = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in kinds.items() if n)
        return f"<{type(self).__name__} {self.name}{': ' + what if what else ''}>"


@dataclass(frozen=True, eq=False, repr=False)
class FindingsResult(SectionResult):
    """Key findings: the sentences shown, as published."""

    findings: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False, repr=False)
class SummaryResult(SectionResult):
    """A report's key figures for the batch index page (published values only).

    Displayed as one :data:`SUMMARY_MIME` bundle with an empty plain part: nothing shows in
    JupyterLab or the PDF, and the batch runner copies the figures beside the PDF.
    """

    summary: Mapping[str, Any] = field(default_factory=dict)

    def bundles(self) -> list[MimeBundle]:
        """Return the one summary bundle (JSON values; NaN as null)."""
        return [{SUMMARY_MIME: _jsonable(dict(self.summary)), "text/plain": ""}]

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> MimeBundle:
        return _filter(self.bundles()[0], include, exclude)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item) and not isinstance(value, str | bytes):
        value = item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
