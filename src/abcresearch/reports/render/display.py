"""Display helpers for report notebooks: emit the mimetypes that the Thai PDF exporter typesets.

Each helper sends a mime bundle with a rich part for the PDF (table spec, Typst markup, SVG) and
fallbacks (HTML, Markdown, plain text) so JupyterLab still shows something sensible.

Besides content, a report notebook publishes two invisible bundles:

* the page header (:func:`page_header`, mimetype
  :data:`~abcresearch.reports.render.typst.HEADER_MIME`): area, round and the synthetic-data
  label on every page, the same whether the notebook is exported from JupyterLab or run by the
  command line (the runner builds its header with the same :func:`report_header`);
* the key figures (:func:`write_summary`, mimetype :data:`SUMMARY_MIME`) that the runner copies
  into ``<code>.summary.json``.

:func:`brief_errors` makes abcresearch's user errors (no store yet, an unknown area code) show
as one sentence in the notebook instead of a traceback, still as an error output, so papermill
and the batch record the failure.

This module imports pandas lazily and matplotlib only to save figures; it is meant to be imported
in the kernel, never by the exporter.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from abcresearch.errors import AbcResearchError, ReportError, StoreError
from abcresearch.labels import HalfUp, format_half_up, round_half_up
from abcresearch.reports.render.typst import HEADER_MIME, LANGUAGES, TABLE_MIME, TYPST_MIME

SUMMARY_MIME = "application/vnd.abcresearch.summary+json"
"""Mimetype of the key-figure bundle that :func:`write_summary` displays (the PDF ignores it)."""

NumberFormat = str | Callable[[Any], str] | Mapping[str, "str | Callable[[Any], str]"] | None


def _display(bundle: dict[str, Any]) -> None:
    from IPython.display import display

    display(bundle, raw=True)


#: Write a number with thousands separators, rounded half up (the reports' one rounding rule:
#: :func:`abcresearch.labels.round_half_up`, which label templates use too).
format_number = round_half_up


def _formatter(spec: str | Callable[[Any], str] | None, decimals: int) -> Callable[[Any], str]:
    if callable(spec):
        return spec
    if isinstance(spec, str):  # a float's fixed-point spec rounds half up (HalfUp)
        if "{" in spec:
            return lambda v: spec.format(HalfUp(v) if isinstance(v, float) else v)
        return lambda v: format_half_up(v, spec)

    def default(value: Any) -> str:
        if isinstance(value, int):
            return f"{value:,}"
        return format_number(value, decimals)

    return default


_FIGURE = r"[<>]?[+\-−]?\d[\d,]*(?:\.\d+)?%?\*?"

#: A cell that is a number written as text: a marker ("<5", "×", "–"), or a number with an
#: optional sign, percent sign and star ("+9*", "1,234.5"), an interval ("65–71") or a figure
#: or interval in brackets after it ("56 (54–59)", "3 (2)").
_NUMBER_TEXT = re.compile(
    rf"^(?:{_FIGURE}(?:\s*[–-]\s*{_FIGURE})?"
    r"(?:\s*\([+\-−]?\d[\d,.]*(?:\s*[–-]\s*[+\-−]?\d[\d,.]*)?\))?\*?|×|–)$")


def _numbers_as_text(column: Any) -> bool:
    """Whether every written cell of a text column is a number or a marker, one not "–".

    "<5" (a count under five) and "×" (a figure withheld) stand only for figures; a column of
    nothing but "–" may be text with nothing to say, and is told by the caller (``numeric``).
    """
    cells = [str(v).strip() for v in column if isinstance(v, str | int | float)
             and not (isinstance(v, float) and math.isnan(v)) and str(v).strip()]
    return bool(cells) and all(_NUMBER_TEXT.match(c) for c in cells) \
        and any(c != "–" for c in cells)


def table_spec(
    df: Any,
    caption: str | None = None,
    notes: str | None = None,
    number_format: NumberFormat = None,
    decimals: int = 2,
    index: bool | None = None,
    numeric: Iterable[str] = (),
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
    numeric : iterable of str
        Labels (as shown) of columns the caller knows to hold figures, right-aligned whatever
        their cells are. A column of figures written as text ("1,250", "2547") is told by its
        cells, but one with no figure to show (every cell "–", a blank form's year in each
        village) cannot be, and was set on the left beside the numbers.

    Returns
    -------
    dict
        ``{"caption", "columns", "rows", "align", "notes"}``; cells are strings, missing values
        are None; numeric columns, and those declared ``numeric``, are right-aligned. (A
        :class:`~abcresearch.reports.results.Table` adds ``"grouped"`` where its first column
        groups the rows.)

    Raises
    ------
    ReportError
        If a column declared ``numeric`` is not in the table (a misspelt label).
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
    number_dtype = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        for c in frame.columns
    ]
    # a column of numbers written as text ("56 (54–59)", "65–71", "3 (2)", "+9*", "×", "<5",
    # "2547") lines up on the right like the numbers beside it
    written = [not n and _numbers_as_text(frame.iloc[:, j])
               for j, n in enumerate(number_dtype)]
    declared = set(numeric)
    if declared - set(columns):
        raise ReportError(f"columns declared numeric are not in the table: "
                          f"{sorted(declared - set(columns))}; its columns: {columns}")
    if isinstance(number_format, Mapping):
        formats = [_formatter(number_format.get(name), decimals) for name in columns]
    else:
        formats = [_formatter(number_format, decimals) for _ in columns]
    rows: list[list[str | None]] = []
    for values in frame.itertuples(index=False, name=None):
        row: list[str | None] = []
        for j, value in enumerate(values):
            if value is None or value is pd.NA or value is pd.NaT or (
                isinstance(value, float) and math.isnan(value)
            ):
                row.append(None)
            elif number_dtype[j]:
                number = value.item() if hasattr(value, "item") else value
                row.append(formats[j](number))
            else:
                row.append(str(value))
        rows.append(row)
    return {
        "caption": caption,
        "columns": columns,
        "rows": rows,
        "align": ["right" if n or w or name in declared else "left"
                  for n, w, name in zip(number_dtype, written, columns, strict=True)],
        "notes": notes,
    }


def show_table(
    df: Any,
    caption: str | None = None,
    notes: str | None = None,
    number_format: NumberFormat = None,
    decimals: int = 2,
    index: bool | None = None,
    numeric: Iterable[str] = (),
) -> None:
    """Display a DataFrame as a report table (typeset as a real table in the PDF).

    Parameters are those of :func:`table_spec`. The bundle also carries ``text/html`` and
    ``text/plain`` renderings of the formatted table for JupyterLab.
    """
    import pandas as pd

    spec = table_spec(df, caption, notes, number_format, decimals, index, numeric)
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
        Typst markup, inserted into the report with the Thai line-break marks written into its
        text (:func:`abcresearch.reports.render.typst.mark_markup`; it may use the template's
        functions ``abc-table``, ``abc-image``, ``abc-pre``).
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
    import re

    import matplotlib
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import RendererSVG

    from abcresearch.reports.render.fonts import SVG_HASHSALT, svg_metadata
    from abcresearch.reports.render.textpaths import text_to_path

    # as fig.savefig(buf, format="svg", bbox_inches="tight") (FigureCanvasSVG.print_svg), but
    # drawn once: savefig's tight box costs a second, undisplayed draw; here the box is measured
    # after the one draw with the same renderer (its text sizes cached) and the SVG's viewport
    # is set to it, padded as savefig pads it
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": SVG_HASHSALT}):
        dpi = fig.dpi
        fig.dpi = 72
        try:
            width, height = fig.get_size_inches()
            svg_renderer = RendererSVG(width * 72, height * 72, buf, image_dpi=dpi,
                                       metadata=svg_metadata())
            # text laid out and measured once per process, not once per figure (the renderer
            # makes its own TextToPath; the SVG is the same, see textpaths)
            svg_renderer._text2path = text_to_path()
            renderer = MixedModeRenderer(fig, width, height, dpi, svg_renderer)
            fig.draw(renderer)
            renderer.finalize()
            box = fig.get_tightbbox(renderer).padded(matplotlib.rcParams["savefig.pad_inches"])
        finally:
            fig.dpi = dpi
    x, y, w, h = 72 * box.x0, 72 * (height - box.y1), 72 * box.width, 72 * box.height
    return re.sub(r'width="[^"]*" height="[^"]*" viewBox="[^"]*"',
                  f'width="{w:f}pt" height="{h:f}pt" viewBox="{x:f} {y:f} {w:f} {h:f}"',
                  buf.getvalue(), count=1)


def svg_img(svg: str, caption: str | None = None) -> str:
    """Return HTML that shows ``svg`` as an image, from a ``data:`` URI, with its caption.

    JupyterLab does not render SVG, nor SVG inside HTML, in a notebook it does not trust, and
    every notebook that papermill runs is untrusted (it signs nothing), so the charts of an
    executed report would not show there. It does render an ``<img>`` whose source is a
    ``data:`` URI. The URI is base64 (1.33 times the SVG's size): percent-encoding would be
    about 1.15 times but takes 30 ms of Python per report, base64 under 1 ms.

    Parameters
    ----------
    svg : str
        The SVG.
    caption : str, optional
        Shown below the image (escaped) and used as its ``alt`` text.

    Returns
    -------
    str
        ``<figure><img src="data:image/svg+xml;base64,..." alt="..."/>`` and, with a caption,
        ``<figcaption>``, then ``</figure>``.
    """
    import base64
    import html

    alt = html.escape(caption or "")
    cap = f"<figcaption>{alt}</figcaption>" if caption else ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{alt}"/>{cap}</figure>'


def figure(fig: Any, close: bool = True) -> None:
    """Display a matplotlib figure as SVG (sharp and deterministic in the PDF).

    The bundle also carries the SVG as an HTML image (:func:`svg_img`), which JupyterLab shows
    in an untrusted notebook too.

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
    _display({"image/svg+xml": svg, "text/html": svg_img(svg)})


# --------------------------------------------------------------------------------------------
# Page header and key figures


def beside_thai(area: Any, labelled: bool = True) -> str:
    """Return an area's English name as printed beside its Thai name: a village's number alone.

    A village has no English name of its own: it is "Village 3 บ้านบางเคี่ยม"
    (:func:`abcresearch.labels.village_name`), which beside "หมู่ที่ 3 บ้านบางเคี่ยม" said the
    name twice (the cover and every page's header of a Thai report); "Village 3" is left, the
    official list's name of the village, whatever script its own name is in (cutting the name
    at its first Thai word left "Village 5 KM.5" of "Village 5 KM.5 บ้านใหม่").

    Parameters
    ----------
    area : abcresearch.survey.areas.Area
        The area, a village named from its form or not.
    labelled : bool
        With the level's word, as :meth:`~abcresearch.survey.areas.Area.label` gives it
        ("Khanom Subdistrict"); else the name alone (``name_en``, "Khanom").

    Returns
    -------
    str
        The English name; for a village, the official ``"Village N"``.
    """
    if area.level == "village":
        from abcresearch.survey.areas import get_area

        area = get_area(area.code)
    return str(area.label("en") if labelled else area.name_en)


def report_header(area: Any, survey_round: int, lang: str, synthetic: bool,
                  names: Iterable[str] = ()) -> dict[str, Any]:
    """Return the page header of an area's report.

    Parameters
    ----------
    area : abcresearch.survey.areas.Area
        The area (its ``label(lang)`` gives the name with its level).
    survey_round : int
        Buddhist-era year of the round.
    lang : {"th", "en"}
        Report language: its name comes first.
    synthetic : bool
        Whether the round's data are synthetic (the label then shows on every page).
    names : iterable of str
        Proper names the report prints (its villages' names), kept whole across the PDF's line
        breaks; given, they are the header's ``names`` (sorted, each once).

    Returns
    -------
    dict
        ``{"title", "subtitle", "synthetic", "lang"}`` and, with names, ``"names"``, e.g.
        ``{"title": "ตำบลขนอม · Khanom Subdistrict", "subtitle": "รอบการสำรวจ 2549",
        "synthetic": True, "lang": "th"}``.
    """
    from abcresearch.labels import label

    if lang not in LANGUAGES:
        raise ReportError(f"language {lang!r} is not supported; use one of "
                          f"{', '.join(LANGUAGES)}")
    other = "en" if lang == "th" else "th"
    shown = {k: area.label(k) if k == "th" else beside_thai(area) for k in (lang, other)}
    header: dict[str, Any] = {"title": f"{shown[lang]} · {shown[other]}",
                              "subtitle": f"{label('round', lang)} {int(survey_round)}",
                              "synthetic": bool(synthetic), "lang": lang}
    kept = sorted({n.strip() for n in names if isinstance(n, str) and n.strip()})
    if kept:
        header["names"] = kept
    return header


def header_bundle(header: Mapping[str, Any]) -> dict[str, Any]:
    """Return the mime bundle that sets the PDF's page header (and shows nothing in JupyterLab).

    A result object may merge it into its own ``_repr_mimebundle_`` (e.g. a report's cover).
    """
    return {HEADER_MIME: dict(header), "text/plain": ""}


def page_header(report: Any) -> None:
    """Display a report's page header: area, round and the synthetic label on every PDF page.

    Parameters
    ----------
    report : AreaReport or ProvinceReport
        Anything with ``area`` (or ``province``), ``survey_round``, ``lang`` and
        ``analysis.synthetic``.
    """
    area = getattr(report, "area", None) or getattr(report, "province", None)
    if area is None:
        raise ReportError(f"{type(report).__name__} has no area to name in the page header")
    header = report_header(area, report.survey_round, report.lang,
                           bool(getattr(report.analysis, "synthetic", False)))
    _display(header_bundle(header))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if value is None or isinstance(value, str | bool | int | float):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _jsonable(item())
    raise ReportError(f"summary value {value!r} of type {type(value).__name__} is not JSON data")


def write_summary(summary: Mapping[str, Any]) -> None:
    """Publish a report's key figures (call once from the report notebook).

    Parameters
    ----------
    summary : mapping
        JSON-like values; the index page shows ``grade``, ``households``, ``m0`` and
        ``share_level1``. NumPy scalars are converted; NaN becomes null.

    Raises
    ------
    ReportError
        If a value is not JSON data.
    """
    _display({SUMMARY_MIME: _jsonable(summary), "text/plain": ""})  # plain: nothing to show


# --------------------------------------------------------------------------------------------
# User errors in one sentence


def error_lines(error: BaseException, lang: str = "en") -> list[str]:
    """Return what a notebook shows for an abcresearch user error: one sentence, maybe a hint.

    Parameters
    ----------
    error : AbcResearchError
        The error.
    lang : {"th", "en"}
        Language of the hint (the error sentence itself is the library's).

    Returns
    -------
    list of str
        ``["StoreError: <sentence>"]``, plus for a store error one sentence on how to make a
        store (``params/labels/notebook.yaml``).
    """
    text = " ".join(str(error).split())
    lines = [f"\x1b[1;31m{type(error).__name__}\x1b[0m: {text}"]
    if isinstance(error, StoreError):
        from abcresearch.labels import label

        lines.append(label("notebook.store_hint", lang if lang in LANGUAGES else "en"))
    return lines


_BRIEF = {"lang": "en"}


def _one_sentence(shell: Any, etype: type, value: BaseException, tb: Any,
                  tb_offset: int | None = None) -> list[str]:
    stb = error_lines(value, _BRIEF["lang"])
    # IPython discards what a custom handler returns; IPython's own protocol for exceptions
    # that render themselves (``_render_traceback_``) makes showtraceback publish the short
    # text as the error output, with the exception's name and message
    value._render_traceback_ = lambda: stb  # type: ignore[attr-defined]
    shell.showtraceback((etype, value, tb))
    return stb


def brief_errors(lang: str = "en") -> None:
    """Show abcresearch's user errors in this kernel as one sentence instead of a traceback.

    The cell still fails with an error output (name, message and the short text as its
    traceback), so Run All stops there, papermill raises and the batch records the failure.
    Other exceptions (bugs) keep their full traceback. Does nothing outside IPython; calling it
    again only updates the language.

    Parameters
    ----------
    lang : {"th", "en"}
        Language of hints such as how to make a store.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return
    shell = get_ipython()
    if shell is None:
        return
    _BRIEF["lang"] = lang
    shell.set_custom_exc((AbcResearchError,), _one_sentence)
