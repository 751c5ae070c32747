"""Display helpers for report notebooks: emit the mimetypes that the Thai PDF exporter typesets.

Each helper sends a mime bundle with a rich part for the PDF (table spec, Typst markup, SVG) and
fallbacks (HTML, Markdown, plain text) so JupyterLab still shows something sensible.

This module imports pandas lazily and matplotlib only to save figures; it is meant to be imported
in the kernel, never by the exporter.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Mapping
from typing import Any

from abcresearch.reports.render.typst import TABLE_MIME, TYPST_MIME

NumberFormat = str | Callable[[Any], str] | Mapping[str, "str | Callable[[Any], str]"] | None


def _display(bundle: dict[str, Any]) -> None:
    from IPython.display import display

    display(bundle, raw=True)


def _formatter(spec: str | Callable[[Any], str] | None, decimals: int) -> Callable[[Any], str]:
    if callable(spec):
        return spec
    if isinstance(spec, str):
        return spec.format if "{" in spec else (lambda v: format(v, spec))

    def default(value: Any) -> str:
        if isinstance(value, int):
            return f"{value:,}"
        return f"{value:,.{decimals}f}"

    return default


def table_spec(
    df: Any,
    caption: str | None = None,
    notes: str | None = None,
    number_format: NumberFormat = None,
    decimals: int = 2,
    index: bool | None = None,
) -> dict[str, Any]:
    """Return the :data:`~abcresearch.reports.render.typst.TABLE_MIME` spec of a DataFrame.

    Parameters
    ----------
    df : pandas.DataFrame
        The table. Column labels are turned into strings (MultiIndex levels joined by " · ").
    caption : str, optional
        Caption above the table (numbered "ตารางที่ N" in the PDF).
    notes : str, optional
        Small print below the table (source, definitions).
    number_format : str, callable or mapping, optional
        Format of numeric cells: a format spec (``",.1f"``), a ``str.format`` pattern
        (``"{:.1%}"``), a callable, or a mapping column -> one of those. Default: integers with
        thousands separators, floats with ``decimals`` digits.
    decimals : int
        Digits of floats under the default format.
    index : bool, optional
        Include the index as leading column(s). Default: only if it is not a plain RangeIndex.

    Returns
    -------
    dict
        ``{"caption", "columns", "rows", "align", "notes"}``; cells are strings, missing values
        are None; numeric columns are right-aligned.
    """
    import pandas as pd

    frame = df
    if index is None:
        index = not (
            isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
        )
    if index:
        frame = frame.reset_index()
    columns = [
        " · ".join(str(p) for p in c) if isinstance(c, tuple) else str(c) for c in frame.columns
    ]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    per_column = isinstance(number_format, Mapping)
    formats = [
        _formatter(
            number_format.get(name) if per_column else number_format,  # type: ignore[union-attr]
            decimals,
        )
        for name in columns
    ]
    rows: list[list[str | None]] = []
    for values in frame.itertuples(index=False, name=None):
        row: list[str | None] = []
        for j, value in enumerate(values):
            if value is None or value is pd.NA or value is pd.NaT or (
                isinstance(value, float) and math.isnan(value)
            ):
                row.append(None)
            elif numeric[j]:
                number = value.item() if hasattr(value, "item") else value
                row.append(formats[j](number))
            else:
                row.append(str(value))
        rows.append(row)
    return {
        "caption": caption,
        "columns": columns,
        "rows": rows,
        "align": ["right" if n else "left" for n in numeric],
        "notes": notes,
    }


def show_table(
    df: Any,
    caption: str | None = None,
    notes: str | None = None,
    number_format: NumberFormat = None,
    decimals: int = 2,
    index: bool | None = None,
) -> None:
    """Display a DataFrame as a report table (typeset as a real table in the PDF).

    Parameters are those of :func:`table_spec`. The bundle also carries ``text/html`` and
    ``text/plain`` renderings of the formatted table for JupyterLab.
    """
    import pandas as pd

    spec = table_spec(df, caption, notes, number_format, decimals, index)
    shown = pd.DataFrame(
        [["–" if v is None else v for v in row] for row in spec["rows"]],
        columns=spec["columns"],
    )
    html = shown.to_html(index=False, escape=True, border=0)
    plain = shown.to_string(index=False)
    if caption:
        from html import escape

        html = f"<p><strong>{escape(caption)}</strong></p>{html}"
        plain = f"{caption}\n{plain}"
    if notes:
        from html import escape

        html += f"<p><small>{escape(notes)}</small></p>"
        plain += f"\n{notes}"
    _display({TABLE_MIME: spec, "text/html": html, "text/plain": plain})


def show_typst(markup: str, fallback_markdown: str) -> None:
    """Display raw Typst markup for the PDF, with Markdown for JupyterLab.

    Parameters
    ----------
    markup : str
        Typst markup, inserted verbatim into the report (it may use the template's functions
        ``abc-table``, ``abc-image``, ``abc-pre``).
    fallback_markdown : str
        What JupyterLab and other front-ends show instead.
    """
    _display(
        {TYPST_MIME: markup, "text/markdown": fallback_markdown, "text/plain": fallback_markdown}
    )


def figure_svg(fig: Any) -> str:
    """Return a matplotlib figure as deterministic SVG with text drawn as paths.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.

    Returns
    -------
    str
        SVG text: no date, fixed ids (``svg.hashsalt``), glyphs as paths so the PDF needs no font.
    """
    import matplotlib

    from abcresearch.reports.render.fonts import SVG_HASHSALT, svg_metadata

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": SVG_HASHSALT}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata=svg_metadata())
    return buf.getvalue()


def figure(fig: Any, close: bool = True) -> None:
    """Display a matplotlib figure as SVG (sharp and deterministic in the PDF).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    close : bool
        Close the figure afterwards, so the inline backend does not show it a second time.
    """
    svg = figure_svg(fig)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    _display({"image/svg+xml": svg})
