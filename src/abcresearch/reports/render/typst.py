"""Convert an executed notebook (nbformat) into Typst source for a Thai PDF report.

What goes into the report
-------------------------
* Markdown cells, parsed with mistune into an AST and written as Typst markup (headings,
  paragraphs, bold, italic, strike-through, inline code, code blocks, lists, block quotes, tables,
  links, thematic breaks, images from cell attachments). Raw HTML tags are dropped.
* Outputs of code cells, never their source. For each output the first available mimetype of
  :data:`OUTPUT_PREFERENCE` is used.
* Raw cells whose ``raw_mimetype``/``format`` is ``text/x-typst`` or :data:`TYPST_MIME` go in
  verbatim (Thai in their code, such as a ``show`` rule's text, must stay as written), typeset
  under the report's own language (Typst breaks their Thai itself; see :data:`BREAK_LANG`);
  other raw cells are dropped. :data:`TYPST_MIME` outputs, which abcresearch makes, get the Thai
  line-break marks of :func:`abcresearch.reports.render.thai.mark_breaks`.

Cells tagged with one of :data:`SKIP_CELL_TAGS` (among them papermill's ``parameters`` and
``injected-parameters``) are left out; cells tagged ``remove-output``/``hide-output`` lose their
outputs. Standard error streams are dropped; errors are shown in a red box.

Page header
-----------
Every page carries the report's title and subtitle (area and round) and, when the data are
synthetic, the synthetic-data label. They come from, first match wins:

1. the last output of mimetype :data:`HEADER_MIME` in the notebook (displayed by the report
   itself in the kernel, see :func:`abcresearch.reports.render.display.page_header`), so a
   notebook run in JupyterLab exports with the same header as one run by the command line;
2. notebook metadata ``metadata.abcresearch`` (written by the runner)::

    {"header": {"title": "ตำบลในเมือง · Nai Mueang", "subtitle": "รอบ 2568",
                "synthetic": true},
     "lang": "th"}

3. ``metadata.title``, the first Markdown heading, or the file name (title only).

The rendered document is a :class:`TypstDocument`: the source plus the image files it refers to
(relative names, to be written into the compile root).
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from abcresearch.errors import ReportError
from abcresearch.labels import round_half_up
from abcresearch.reports.render.thai import (
    TYPST_PART_BOXES,
    drop_thai_joiners,
    keep_names_whole,
    mark_breaks,
)

TYPST_MIME = "application/vnd.abcresearch.typst"
"""Raw Typst markup made by abcresearch objects (see ``display.show_typst``)."""

TABLE_MIME = "application/vnd.abcresearch.table+json"
"""A table spec: ``{"caption", "columns", "rows", "align", "notes", "decimals"}`` and, where
the first column groups the rows, ``"grouped": true`` (see :func:`table_to_typst`)."""

BREAK_LANG: str | None = "zh"
"""The language Typst typesets a report under, when it is not the report's own.

Every break opportunity in a report's Thai is decided by abcresearch
(:func:`~abcresearch.reports.render.thai.mark_breaks` writes them into the source), so Typst's
own Thai segmenter, a neural model that costs a fifth to a third of a report's compile, has
nothing to add. Typst uses it for any language but Chinese and Japanese, for which it uses a
dictionary that has no Thai: under ``"zh"`` a Thai run is one unbreakable word except at the
marks, and the lines come out as under ``"th"`` (but that ๆ and ฯ stay with the word before
them, where Typst's Thai rules broke before them). The words that depend on the language (the
caption separator, the quotes) are set by the template; curly quotes, which the Chinese rules
break around, get word joiners (:data:`~abcresearch.reports.render.thai.CURLY_QUOTES`); a
researcher's raw Typst cells are typeset under the report's language. The PDF's language tags
are set back to the report's language after the compile
(:func:`~abcresearch.reports.render.pdf.retag_language`). ``None`` typesets under the
report's language (the tests compare the two).
"""

HEADER_MIME = "application/vnd.abcresearch.header+json"
"""The page header of a report: ``{"title", "subtitle", "synthetic", "lang"}`` (shows nothing).

It may also carry ``"names"``: the report's proper names (its villages' names), which the PDF
then keeps whole across line breaks (see :func:`abcresearch.reports.render.thai.keep_names_whole`).

An output may carry it beside other mimetypes (e.g. in a cover's bundle): it sets the header and
does not change how that output is rendered.
"""

OUTPUT_PREFERENCE = (
    TYPST_MIME,
    TABLE_MIME,
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/plain",
)
"""Mimetypes that the renderer understands, best first."""

SKIP_CELL_TAGS = frozenset(
    {
        "remove",
        "hide",
        "remove-cell",
        "remove_cell",
        "hide-cell",
        "parameters",
        "injected-parameters",
    }
)
"""Cells with any of these tags are not rendered at all."""

SKIP_OUTPUT_TAGS = frozenset({"remove-output", "remove_output", "hide-output"})
"""Cells with any of these tags are rendered without their outputs."""

LANGUAGES = ("th", "en")

_IMAGE_EXT = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}

LABEL_KEYS = {
    "page": "page",
    "page.of": "of",
    "synthetic.banner": "synthetic",
    "table": "table",
    "table.continued": "continued",
    "table.continues": "continues",
    "figure": "figure",
    "error": "error",
}
"""Keys of ``params/labels.yaml`` used for page furniture, and their names in the template.

A key missing from the file keeps the template's built-in word.
"""

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

_BYTES_LITERAL = re.compile(r'bytes\("(?:[^"\\]++|\\.)*+"\)')
"""A file's bytes in Typst markup, as :meth:`Figure.typst` embeds a chart's SVG."""

_MARKUP_SPECIAL = re.compile(r"([\\#$*_@<>`\[\]~/=\-+\"'])")
_LEADING_ENUM = re.compile(r"^(\d+)\.")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_HTML_TAG = re.compile(r"<[^>]*>")
_BR_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
# Plain reprs that say nothing to a reader (and hold memory addresses, which change every run).
_USELESS_PLAIN = (
    re.compile(r"^<Figure size [\d.]+x[\d.]+ with \d+ Axes>$"),
    re.compile(r"^<(Axes|Figure)\b.*>$", re.DOTALL),
    re.compile(r"\bat 0x[0-9a-fA-F]+>"),
    re.compile(r"^(Text|Annotation)\(.*\)$", re.DOTALL),
)


@dataclass
class TypstDocument:
    """Typst source of a report and the files it refers to.

    Attributes
    ----------
    source : str
        Complete Typst source (template included).
    files : dict of str to bytes
        Images referenced by the source, by relative file name.
    title : str or None
        Title used in the page header and PDF metadata.
    lang : str
        ``"th"`` or ``"en"``.
    break_lang : str or None
        The language Typst typesets under when it is not ``lang`` (see :data:`BREAK_LANG`);
        the PDF's language tags are then set back to ``lang``.
    """

    source: str
    files: dict[str, bytes] = field(default_factory=dict)
    title: str | None = None
    lang: str = "th"
    break_lang: str | None = None


# --------------------------------------------------------------------------------------------
# Typst literals


def mark_markup(markup: str) -> str:
    """Return Typst markup with the Thai break marks written into its text (:func:`mark_breaks`).

    The bytes of an embedded file (a chart's SVG, ``bytes("...")``) are not text and are kept
    as they are: a chart's SVG is most of a section's markup (up to 170,000 characters), and
    marking it cost a village report 0.03 s for nothing.

    Parameters
    ----------
    markup : str
        Typst markup (a section's ``text/x-typst`` output).

    Returns
    -------
    str
        The markup, its text marked.
    """
    out = []
    at = 0
    for m in _BYTES_LITERAL.finditer(markup):
        out += [mark_breaks(markup[at:m.start()]), m.group()]
        at = m.end()
    out.append(mark_breaks(markup[at:]))
    return "".join(out)


def typst_string(value: str) -> str:
    """Return ``value`` as a Typst string literal (double-quoted, escaped).

    Parameters
    ----------
    value : str
        Any text.

    Returns
    -------
    str
        A literal such as ``"ก \\"x\\""`` that Typst reads back as ``value``.
    """
    out = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
        .replace("\t", "\\t")
    )
    out = _CONTROL.sub(lambda m: f"\\u{{{ord(m.group()):x}}}", out)
    return f'"{out}"'


def escape_markup(text: str) -> str:
    """Escape text for Typst markup mode so that it is shown literally.

    Parameters
    ----------
    text : str
        Plain text (no markup).

    Returns
    -------
    str
        The text with every character that has a meaning in Typst markup backslash-escaped, and
        a leading ``"12."`` protected from becoming a numbered list.
    """
    text = _CONTROL.sub("", text)
    text = _MARKUP_SPECIAL.sub(r"\\\1", text)
    return _LEADING_ENUM.sub(r"\1\\.", text)


def typst_array(items: Iterable[str]) -> str:
    """Return a Typst array literal of already-rendered Typst expressions."""
    items = list(items)
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return typst_string(str(value))


def _join_text(value: Any) -> str:
    """Return notebook text that may be stored as a list of lines as one string."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)


# --------------------------------------------------------------------------------------------
# Markdown


@functools.cache
def _markdown_parser() -> Any:
    import mistune

    return mistune.create_markdown(renderer=None, plugins=["table", "strikethrough", "url"])


class _MarkdownRenderer:
    """Walk a mistune AST and write Typst markup."""

    def __init__(self, files: dict[str, bytes], attachments: Mapping[str, Any], stem: str) -> None:
        self.files = files
        self.attachments = attachments
        self.stem = stem
        self.n_images = 0
        self.depth = 0  # lists open around the one being rendered

    # blocks -------------------------------------------------------------------------------
    def blocks(self, tokens: list[dict[str, Any]], tight: bool = False) -> str:
        rendered = [(t["type"], self.block(t, tight)) for t in tokens]
        rendered = [(kind, p) for kind, p in rendered if p]
        # a short paragraph that introduces the list after it stays on the list's page ("What
        # would bring the tambon to group A (all of these)" was left alone at a page's foot),
        # and so does a list item's first line with its own list ("Bang Chak: group B" ended
        # a page, its reasons on the next)
        # (in a tight list the line keeps the list's line spacing to its own items, not a
        # paragraph's)
        keep = ("#context block(sticky: true, below: par.leading)" if tight
                else "#block(sticky: true)")
        parts = [f"{keep}[{p}]"
                 if kind == ("block_text" if tight else "paragraph") and k + 1 < len(rendered)
                 and rendered[k + 1][0] == "list" and "\n\n" not in p
                 and len(_INVISIBLE.sub("", p)) <= _INTRO_MAX else p
                 for k, (kind, p) in enumerate(rendered)]
        return ("\n" if tight else "\n\n").join(parts)

    def block(self, tok: dict[str, Any], tight: bool = False) -> str:
        kind = tok["type"]
        children = tok.get("children", [])
        if kind in ("paragraph", "block_text"):
            return self.inlines(children).strip()
        if kind == "heading":
            level = min(int(tok.get("attrs", {}).get("level", 1)), 6)
            body = self.inlines(children).replace("\n", " ").strip()
            return "=" * level + " " + body
        if kind == "list":
            return self.list(tok)
        if kind == "block_quote":
            return "#quote(block: true)[" + self.blocks(children) + "]"
        if kind == "block_code":
            info = (tok.get("attrs", {}).get("info") or "").split()
            lang = f"lang: {typst_string(info[0])}, " if info else ""
            code = mark_breaks(tok.get("raw", "").rstrip())
            return f"#abc-pre(raw(block: true, {lang}{typst_string(code)}))"
        if kind == "thematic_break":
            return "#line(length: 100%, stroke: 0.5pt + luma(160))"
        if kind == "table":
            return self.table(tok)
        if kind == "block_html":
            text = _HTML_TAG.sub("", _BR_TAG.sub("\n", tok.get("raw", ""))).strip()
            return escape_markup(mark_breaks(text)).replace("\n", " #linebreak() ") if text else ""
        if kind == "blank_line":
            return ""
        # Unknown block: render its text, if any.
        if children:
            return self.inlines(children)
        return escape_markup(mark_breaks(tok["raw"])) if tok.get("raw") else ""

    def list(self, tok: dict[str, Any]) -> str:
        attrs = tok.get("attrs", {})
        ordered = bool(attrs.get("ordered"))
        number = int(attrs.get("start") or 1)
        tight = bool(tok.get("tight", True))
        items = tok.get("children", [])
        lines = []
        self.depth += 1
        try:
            for item in items:
                marker = f"{number}." if ordered else "-"
                number += 1
                body = self.blocks(item.get("children", []), tight=tight)
                pad = " " * (len(marker) + 1)
                body = body.replace("\n", "\n" + pad)
                # Blank lines must stay blank (no trailing spaces) but keep the item together.
                body = re.sub(r"\n[ ]+\n", "\n\n", body)
                lines.append(f"{marker} {body}")
        finally:
            self.depth -= 1
        joined = ("\n" if tight else "\n\n").join(lines)
        if self.depth and len(items) <= _NESTED_WHOLE[0] \
                and len(_INVISIBLE.sub("", joined)) <= _NESTED_WHOLE[1]:
            # a short list inside an item stays on one page: the last of a village's reasons
            # stood alone at the top of a page, cut off from the village (a reader review);
            # the item's first line is kept with it (``blocks``)
            # (at the list's own spacing: a block's is a paragraph's)
            return (f"#context block(breakable: false, above: par.leading, below: par.leading)"
                    f"[\n{joined}\n]")
        return joined

    def table(self, tok: dict[str, Any]) -> str:
        head: list[str] = []
        aligns: list[str] = []
        rows: list[list[str]] = []
        for part in tok.get("children", []):
            if part["type"] == "table_head":
                for cell in part.get("children", []):
                    head.append("[" + self.inlines(cell.get("children", [])) + "]")
                    aligns.append(cell.get("attrs", {}).get("align") or "left")
            elif part["type"] == "table_body":
                for row in part.get("children", []):
                    rows.append(
                        ["[" + self.inlines(c.get("children", [])) + "]" for c in row["children"]]
                    )
        n = len(head)
        rows = [(r + ["[]"] * n)[:n] for r in rows]
        return (
            f"#abc-table(columns: {typst_array(head)}, "
            f"aligns: {typst_array(aligns)}, "
            f"rows: {typst_array(typst_array(r) for r in rows)})"
        )

    # inlines ------------------------------------------------------------------------------
    def inlines(self, tokens: Sequence[dict[str, Any]]) -> str:
        return "".join(self.inline(t) for t in tokens)

    def inline(self, tok: dict[str, Any]) -> str:
        kind = tok["type"]
        children = tok.get("children", [])
        if kind == "text":
            return escape_markup(mark_breaks(tok.get("raw", "")))
        if kind == "softbreak":
            return " "
        if kind == "linebreak":
            return " #linebreak() "
        if kind == "strong":
            return "#strong[" + self.inlines(children) + "]"
        if kind == "emphasis":
            return "#emph[" + self.inlines(children) + "]"
        if kind == "strikethrough":
            return "#strike[" + self.inlines(children) + "]"
        if kind == "codespan":
            return "#raw(" + typst_string(mark_breaks(tok.get("raw", ""))) + ")"
        if kind == "link":
            url = tok.get("attrs", {}).get("url", "")
            return f"#link({typst_string(url)})[" + self.inlines(children) + "]"
        if kind == "image":
            return self.image(tok)
        if kind == "inline_html":
            return " #linebreak() " if _BR_TAG.fullmatch(tok.get("raw", "").strip()) else ""
        if children:
            return self.inlines(children)
        return escape_markup(mark_breaks(tok.get("raw", "")))

    def image(self, tok: dict[str, Any]) -> str:
        url = tok.get("attrs", {}).get("url", "")
        alt = self.inlines(tok.get("children", []))
        if url.startswith("attachment:"):
            bundle = self.attachments.get(url[len("attachment:") :], {})
            for mime, ext in _IMAGE_EXT.items():
                if mime in bundle:
                    self.n_images += 1
                    name = f"{self.stem}-att{self.n_images}.{ext}"
                    self.files[name] = _image_bytes(mime, bundle[mime])
                    return f"#abc-image({typst_string(name)})"
        # External images are not fetched (no network): show the alternative text.
        return "#emph[" + alt + "]" if alt else ""


def markdown_to_typst(
    text: str,
    files: dict[str, bytes] | None = None,
    attachments: Mapping[str, Any] | None = None,
    stem: str = "md",
) -> str:
    """Convert Markdown to Typst markup.

    Parameters
    ----------
    text : str
        Markdown (CommonMark with GFM tables, strike-through and bare URLs).
    files : dict, optional
        Receives images from ``attachments`` referenced as ``attachment:NAME``.
    attachments : mapping, optional
        A notebook cell's ``attachments`` (name to mime bundle).
    stem : str
        Prefix of image file names written to ``files``.

    Returns
    -------
    str
        Typst markup; needs the report template (``abc-table``, ``abc-image``, ``abc-pre``).
    """
    tokens = _markdown_parser()(text)
    renderer = _MarkdownRenderer({} if files is None else files, attachments or {}, stem)
    return renderer.blocks(tokens)


def _plain_heading(text: str) -> str | None:
    """Return the text of the first Markdown heading in ``text``, without markup."""
    for tok in _markdown_parser()(text):
        if tok["type"] == "heading":
            return _plain(tok.get("children", [])).strip() or None
    return None


def _plain(tokens: list[dict[str, Any]]) -> str:
    out = []
    for tok in tokens:
        if "raw" in tok and tok["type"] in ("text", "codespan"):
            out.append(tok["raw"])
        elif tok["type"] in ("softbreak", "linebreak"):
            out.append(" ")
        else:
            out.append(_plain(tok.get("children", [])))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Tables


def _format_number(value: float | int, decimals: int) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if value != value or value in (float("inf"), float("-inf")):
        return "–"
    return round_half_up(value, decimals)  # half up, as every published number


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def table_to_typst(spec: Mapping[str, Any]) -> str:
    """Render a :data:`TABLE_MIME` table spec as a Typst table call.

    Parameters
    ----------
    spec : mapping
        ``columns`` (list of str), ``rows`` (list of lists of str, number or None), and optional
        ``caption`` (str), ``notes`` (str), ``grouped`` (bool: the first column groups the
        rows, "Human capital" over two items, and gives way like the others where the table is
        wider than the line, instead of staying on one line as a row's name does), ``align``
        (list of ``"left"``, ``"right"``, ``"center"``; default right for columns holding only
        numbers) and ``decimals`` (int, digits for float cells, default 2). None cells show as
        an en dash.

    Returns
    -------
    str
        A ``#abc-table(...)`` call; the header row repeats on every page the table spans.

    Raises
    ------
    ReportError
        If the spec is malformed (no columns, a row of the wrong length, a bad alignment).
    """
    columns = spec.get("columns")
    rows = spec.get("rows", [])
    if not isinstance(columns, list) or not columns:
        raise ReportError("table spec needs a non-empty list 'columns'")
    if not isinstance(rows, list):
        raise ReportError("table spec 'rows' must be a list of lists")
    n = len(columns)
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != n:
            raise ReportError(f"table spec row {i} has {len(row)} cells, expected {n} columns")
    decimals = int(spec.get("decimals", 2))
    align = spec.get("align")
    if align is None:
        align = [
            "right"
            if any(r[j] is not None for r in rows)
            and all(_is_number(r[j]) for r in rows if r[j] is not None)
            else "left"
            for j in range(n)
        ]
    short = {"l": "left", "r": "right", "c": "center"}
    align = [short.get(str(a), str(a)) for a in align]
    if len(align) != n or any(a not in ("left", "right", "center") for a in align):
        raise ReportError(f"table spec 'align' must give left/right/center for {n} columns")

    def cell(value: Any) -> str:
        if value is None:
            return typst_string("–")
        if _is_number(value):
            return typst_string(_format_number(value, decimals))
        return typst_string(mark_breaks(str(value)))

    args = [
        f"columns: {typst_array(typst_string(mark_breaks(str(c), heading=True)) for c in columns)}",
        f"aligns: {typst_array(align)}",
        "rows: (\n  "
        + ",\n  ".join(typst_array(cell(v) for v in row) for row in rows)
        + (",\n)" if len(rows) == 1 else "\n)"),
    ]
    if spec.get("caption"):
        args.append(f"caption: {typst_string(mark_breaks(str(spec['caption'])))}")
    if spec.get("notes"):
        args.append(f"notes: {typst_string(mark_breaks(str(spec['notes'])))}")
    if spec.get("grouped"):  # its first column groups the rows: no column is kept on one line
        args.append("key: none")
    return "#abc-table(" + ", ".join(args) + ")"


# --------------------------------------------------------------------------------------------
# Outputs and cells


def _image_bytes(mime: str, data: Any) -> bytes:
    text = _join_text(data)
    if mime == "image/svg+xml":
        return text.encode("utf-8")
    return base64.b64decode(text)


def _useless_plain(text: str) -> bool:
    stripped = text.strip()
    return not stripped or any(p.search(stripped) for p in _USELESS_PLAIN)


def _pre(text: str) -> str:
    return f"#abc-pre(raw(block: true, {typst_string(mark_breaks(text.rstrip()))}))"


def render_output(output: Mapping[str, Any], files: dict[str, bytes], stem: str) -> str:
    """Render one output of a code cell as Typst (empty string if nothing to show).

    Parameters
    ----------
    output : mapping
        An nbformat output (``stream``, ``display_data``, ``execute_result`` or ``error``).
    files : dict
        Receives image files; names start with ``stem``.
    stem : str
        Unique, deterministic prefix for image file names of this output.

    Returns
    -------
    str
        Typst markup.
    """
    kind = output.get("output_type")
    if kind == "stream":
        if output.get("name") == "stderr":
            return ""
        text = _ANSI.sub("", _join_text(output.get("text")))
        return _pre(text) if text.strip() else ""
    if kind == "error":
        title = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        trace = _ANSI.sub("", "\n".join(_join_text(t) for t in output.get("traceback", [])))
        return (f"#abc-error({typst_string(mark_breaks(title))}, "
                f"{typst_string(mark_breaks(trace.rstrip()))})")
    if kind not in ("display_data", "execute_result"):
        return ""
    data = output.get("data", {})
    for mime in OUTPUT_PREFERENCE:
        if mime not in data:
            continue
        value = data[mime]
        if mime == TYPST_MIME:  # Thai in markup (text and strings) gets its break marks too
            return mark_markup(_join_text(value).strip())
        if mime == TABLE_MIME:
            spec = json.loads(value) if isinstance(value, str) else value
            return table_to_typst(spec)
        if mime.startswith("image/"):
            name = f"{stem}.{_IMAGE_EXT[mime]}"
            files[name] = _image_bytes(mime, value)
            return f"#abc-image({typst_string(name)})"
        if mime == "text/markdown":
            return markdown_to_typst(_join_text(value), files, stem=stem)
        if mime == "text/plain":
            text = _ANSI.sub("", _join_text(value))
            return "" if _useless_plain(text) else _pre(text)
    return ""


def _tags(cell: Mapping[str, Any]) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


_CARRIAGE_RETURN = re.compile(r".*\r(?=[^\n])")


def coalesce_streams(outputs: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return a cell's outputs with consecutive outputs of one stream merged, as Jupyter shows them.

    What nbconvert's ``CoalesceStreamsPreprocessor`` does to a cell (a test checks they agree):
    one print is one output (a kernel on a busy machine can flush a print's text and its newline
    as two messages), and text a carriage return overwrote is dropped, as a terminal shows it.
    The outputs given are not changed.
    """
    merged: list[Mapping[str, Any]] = []
    for out in outputs:
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream"
                and merged[-1].get("name") == out.get("name")):
            merged[-1] = {**merged[-1], "text": _join_text(merged[-1].get("text"))
                          + _join_text(out.get("text"))}
        else:
            merged.append(out)
    return [{**out, "text": _CARRIAGE_RETURN.sub("", _join_text(out.get("text")))}
            if out.get("output_type") == "stream" and "\r" in _join_text(out.get("text"))
            else out for out in merged]


def render_cell(cell: Mapping[str, Any], index: int, files: dict[str, bytes],
                lang: str = "th", break_lang: str | None = None, *,
                drop_joiners: bool = True) -> str:
    """Render one notebook cell (never the source of a code cell).

    Parameters
    ----------
    cell : mapping
        An nbformat cell.
    index : int
        Position of the cell in the notebook, used to name its image files.
    files : dict
        Receives image files.
    lang, break_lang : str
        The report's language and the one it is typeset under (:data:`BREAK_LANG`): a raw
        Typst cell goes in verbatim under ``lang``, so Typst breaks its Thai itself; under
        ``break_lang`` the word joiners inside Thai are dropped where they change no line
        (:func:`_under_break_lang`). ``None``: keep them.
    drop_joiners : bool
        Drop them under ``break_lang`` (``False``: a notebook with a researcher's own Typst,
        whose rules may match the marked text; see :func:`render_notebook`).

    Returns
    -------
    str
        Typst markup, possibly empty.
    """
    tags = _tags(cell)
    if tags & SKIP_CELL_TAGS:
        return ""
    kind = cell.get("cell_type")
    stem = f"c{index:03d}"
    if kind == "markdown":
        return _under_break_lang(markdown_to_typst(
            _join_text(cell.get("source")), files, cell.get("attachments") or {}, stem
        ), break_lang if drop_joiners else None)
    if kind == "raw":
        if not _own_typst(cell):  # other raw cells are dropped
            return ""
        source = _join_text(cell.get("source")).strip()  # a researcher's own Typst: as written
        if break_lang:
            source = (f"#set text(lang: {typst_string(lang)})\n{source}\n"
                      f"#set text(lang: {typst_string(break_lang)})")
        return source
    if kind != "code" or tags & SKIP_OUTPUT_TAGS:
        return ""
    parts = [
        render_output(out, files, f"{stem}-o{j:02d}")
        for j, out in enumerate(coalesce_streams(cell.get("outputs", [])))
    ]
    parts = [_under_break_lang(p, break_lang if drop_joiners else None) for p in parts if p]
    # a short paragraph that introduces the table or chart after it stays on its page, and so
    # does a line all in bold (a run-in heading) with whatever follows it
    parts = [f"#block(sticky: true)[{p}]" if k + 1 < len(parts)
             and (_introduces(p, parts[k + 1]) or _run_in_heading(p))
             else p for k, p in enumerate(parts)]
    # a short note in italics that closes the cell (the methods' provenance line) stays on the
    # page of the paragraph before it: it stood alone on an English report's last page
    if len(parts) >= 2 and _closing_note(parts[-1]) and not parts[-2].startswith(
            _NOT_A_PARAGRAPH):
        parts[-2] = f"#block(sticky: true)[{parts[-2]}]"
    return "\n\n".join(parts)


def _under_break_lang(markup: str, break_lang: str | None) -> str:
    """``markup`` without the word joiners inside Thai where it is typeset under ``break_lang``.

    Under :data:`BREAK_LANG` they change no line (:func:`drop_thai_joiners`), but only in a
    paragraph all of whose text is in that language: Typst picks its Chinese segmenter for a
    paragraph only then, and otherwise breaks Thai with its own, inside words wherever no
    joiner stands. Raw text is English in Typst (``raw`` sets the language), so markup with
    raw text (a code span beside Thai prose, in ``#raw`` or between backticks, printed output,
    a traceback) keeps its joiners, as does markup that sets a language of its own.
    """
    if not break_lang or any(k in markup for k in _OTHER_LANGUAGE):
        return markup
    # (the plain search first: the expression alone took 2 ms over a chart's SVG)
    if "`" in markup and _BACKTICK.search(markup):
        return markup
    return drop_thai_joiners(markup)


_OWN_TYPST = ("text/x-typst", TYPST_MIME)
"""The formats of a raw cell that holds a researcher's own Typst."""


def _own_typst(cell: Mapping[str, Any]) -> bool:
    """Whether ``cell`` is a raw cell of a researcher's own Typst (rendered as written)."""
    if (cell.get("cell_type") != "raw" or _tags(cell) & SKIP_CELL_TAGS
            or not _join_text(cell.get("source")).strip()):
        return False
    meta = cell.get("metadata", {})
    return (meta.get("raw_mimetype") or meta.get("format") or "") in _OWN_TYPST


_OTHER_LANGUAGE = ("raw(", "raw.", "abc-error(", "lang:")
"""Markup that puts text of another language into a paragraph (see :func:`_under_break_lang`)."""

_BACKTICK = re.compile(r"(?<!\\)`")
"""A backtick that Typst reads as raw text (one escaped by :func:`escape_markup` is text)."""


def _run_in_heading(part: str) -> bool:
    """Whether ``part`` is one short line all in bold, a heading of what follows.

    "จากแบบสำรวจครัวเรือน (ค่าประมาณจากครัวเรือนตัวอย่าง มีช่วงความเชื่อมั่น)" stood alone
    at the foot of the province's welfare page, its paragraph and table on the next (a reader
    review).
    """
    if (not part.startswith("#strong[") or "\n" in part
            or len(_INVISIBLE.sub("", part)) > _INTRO_MAX):
        return False
    # the bracket that closes "#strong[" must end the line ("**Note:** see ..." is not a
    # heading; a code review)
    depth, k = 0, len("#strong")
    while k < len(part):
        c = part[k]
        if c == "\\":
            k += 2
            continue
        depth += (c == "[") - (c == "]")
        if depth == 0:
            return k == len(part) - 1
        k += 1
    return False


def _closing_note(part: str) -> bool:
    """Whether ``part`` is one short paragraph all in italics."""
    return (part.startswith("#emph[") and part.endswith("]") and "\n\n" not in part
            and len(_INVISIBLE.sub("", part)) <= _INTRO_MAX)


def kept_blocks(blocks: Sequence[str]) -> list[str]:
    """Return the non-empty blocks (one a cell), with a chart after a heading marked ``keep``.

    Marked are the charts that follow a heading or a kept introduction. Such a chart moves with
    them to the next page, at its size, where it does not fit: the template's ``abc-chart``
    would otherwise set it smaller on this page or leave them behind (a heading stood alone at
    a page foot). What comes before a chart is the last block of the text before it, in its
    cell or an earlier one (a heading in a Markdown cell of its own).

    Parameters
    ----------
    blocks : sequence of str
        Rendered Typst, in order (empty ones are left out).

    Returns
    -------
    list of str
        The blocks, to be joined by blank lines (or set as parts of their own).
    """
    out: list[str] = []
    for block in (b for b in blocks if b):
        parts = block.split("\n\n" + _CHART)
        for k in range(1, len(parts)):  # a chart inside the block, after a blank line
            if parts[k - 1].rsplit("\n\n", 1)[-1].lstrip().startswith(_KEPT_BEFORE) \
                    and not parts[k].startswith(_KEEP):
                parts[k] = _KEEP + parts[k]
        block = ("\n\n" + _CHART).join(parts)
        if block.startswith(_CHART) and not block.startswith(_CHART + _KEEP) and out and \
                out[-1].rsplit("\n\n", 1)[-1].lstrip().startswith(_KEPT_BEFORE):
            block = block.replace(_CHART, _CHART + _KEEP, 1)
        out.append(block)
    return out


_TOP_LEVEL_RULE = re.compile(r"\s*#(?:set|show|let|import|include)\b")


def _scoped_alike(block: str) -> bool:
    """Whether ``block`` typesets the same as a part of its own as inline in one file.

    False when a line starting with a set or show rule, a ``let``, an ``import`` or an
    ``include`` stands at the block's top level (outside every ``[...]``) or inside what reads
    as a string: in one file it would reach the blocks after it. Counts unescaped brackets
    outside strings; a researcher's own Typst (a raw cell, :func:`.display.show_typst`) that
    confuses the count is judged not alike, which only costs the head start.
    """
    depth, in_string = 0, False
    for line in block.split("\n"):
        if (depth <= 0 or in_string) and _TOP_LEVEL_RULE.match(line):
            return False
        escaped = False
        for ch in line:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = not in_string
            elif not in_string and ch == "[":
                depth += 1
            elif not in_string and ch == "]":
                depth -= 1
    return True


PARTS_DEFS = "abc-defs.typ"
"""The template's file in a document rendered in parts (``render_notebook(parts=True)``)."""

_IMPORT_DEFS = f'#import "{PARTS_DEFS}": *'


def part_file(index: int) -> str:
    """Return the file name of a rendered document's ``index``-th part.

    Parameters
    ----------
    index : int
        The part's place among the notebook's non-empty cells (from 0).

    Returns
    -------
    str
        The name the main source includes (``abc-part-007.typ``).
    """
    return f"abc-part-{index:03d}.typ"


_CHART = "#abc-chart("
_KEEP = "keep: true, "
_KEPT_BEFORE = ("=", "#block(sticky: true)")
_FLOATS = ("#abc-table(", "#abc-image(", _CHART, "#{", "#figure(")
_NOT_A_PARAGRAPH = ("=", "-", "+", "/", "#block", "#abc-", "#{", "#figure", "#table", "#grid")
_INTRO_MAX = 400
"""Longest introduction (visible characters) kept with the table or chart that follows it."""
_NESTED_WHOLE = (8, 1200)
"""Most items, and visible characters, of a list inside a list item that stays on one page."""
_INVISIBLE = re.compile("[\u200b\u200c\u2060\u2063\u2064]")


def _introduces(part: str, following: str) -> bool:
    """Whether ``part`` is a short single paragraph and ``following`` a table or chart."""
    return (following.startswith(_FLOATS) and "\n\n" not in part
            and not part.startswith(_NOT_A_PARAGRAPH)
            and len(_INVISIBLE.sub("", part)) <= _INTRO_MAX)


# --------------------------------------------------------------------------------------------
# Whole notebook


@functools.cache
def template_source() -> str:
    """Return the Typst report template (``templates/report.typ``)."""
    return (
        resources.files("abcresearch.reports.render")
        .joinpath("templates/report.typ")
        .read_text(encoding="utf-8")
    )


def header_from_outputs(nb: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the last :data:`HEADER_MIME` value among the notebook's outputs, or None.

    Parameters
    ----------
    nb : mapping
        The notebook.

    Returns
    -------
    dict or None
        ``{"title", "subtitle", "synthetic", "lang"}`` as displayed by the report.
    """
    found = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []) or []:
            value = (output.get("data") or {}).get(HEADER_MIME)
            if isinstance(value, str):
                value = json.loads(value)
            if isinstance(value, Mapping):
                found = dict(value)
    return found


def has_run(nb: Mapping[str, Any]) -> bool:
    """Return whether a notebook was executed: it has no code cell, or one with a count or output.

    Parameters
    ----------
    nb : mapping
        The notebook.
    """
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    return not code or any(c.get("execution_count") is not None or c.get("outputs")
                           for c in code)


def header_info(nb: Mapping[str, Any], fallback_title: str | None = None) -> dict[str, Any]:
    """Return the page-header settings of a notebook (see the module docstring).

    Parameters
    ----------
    nb : mapping
        The notebook.
    fallback_title : str, optional
        Used when neither metadata nor a Markdown heading gives a title (e.g. the file name).

    Returns
    -------
    dict
        ``title`` (str or None), ``subtitle`` (str or None), ``synthetic`` (bool), ``lang``
        (``"th"`` or ``"en"``) and ``names`` (list of str, the proper names to keep whole; empty
        when the header names none). The header displayed by the report (:data:`HEADER_MIME`) wins
        over ``metadata.abcresearch``; the title falls back to ``metadata.title``, the first
        Markdown heading, then ``fallback_title``.

    Raises
    ------
    ReportError
        If the language is neither ``"th"`` nor ``"en"``.
    """
    meta = nb.get("metadata", {}) or {}
    abc = meta.get("abcresearch", {}) or {}
    shown = header_from_outputs(nb)
    header = shown if shown is not None else (abc.get("header", {}) or {})
    lang = str(header.get("lang") or abc.get("lang") or "th")
    if lang not in LANGUAGES:
        raise ReportError(f"the report language must be one of {LANGUAGES}, got {lang!r}")
    title = header.get("title") or meta.get("title")
    if not title:
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "markdown" and not (_tags(cell) & SKIP_CELL_TAGS):
                title = _plain_heading(_join_text(cell.get("source")))
                if title:
                    break
    return {
        "title": str(title) if title else fallback_title,
        "subtitle": str(header["subtitle"]) if header.get("subtitle") else None,
        "synthetic": bool(header.get("synthetic", False)),
        "lang": lang,
        "names": [str(n) for n in header.get("names") or [] if isinstance(n, str)],
    }


def page_labels(lang: str) -> dict[str, str]:
    """Return the page-furniture words found in ``params/labels.yaml`` (see :data:`LABEL_KEYS`).

    Parameters
    ----------
    lang : {"th", "en"}
        Report language.

    Returns
    -------
    dict
        Template word name to text, for the keys the label file has; empty if it has none or
        cannot be read (the template then uses its built-in words).
    """
    from abcresearch.errors import ParamsError
    from abcresearch.labels import label

    words: dict[str, str] = {}
    for key, name in LABEL_KEYS.items():
        try:
            words[name] = label(key, lang)
        except ParamsError:
            continue
    return words


def render_notebook(nb: Mapping[str, Any], fallback_title: str | None = None,
                    own_lang: bool = False, parts: bool = False) -> TypstDocument:
    """Convert a notebook into a complete Typst document.

    Parameters
    ----------
    nb : mapping
        An nbformat v4 notebook (``nbformat.NotebookNode`` or plain dict).
    fallback_title : str, optional
        Header title when the notebook names none (see :func:`header_info`).
    own_lang : bool
        Typeset under the report's own language instead of :data:`BREAK_LANG` (the same lines,
        Typst's Thai segmenter runs; for source that is compiled outside abcresearch, whose
        PDF would otherwise keep the other language's tags).
    parts : bool
        Put the template and each cell's Typst in files of their own (:data:`PARTS_DEFS`,
        :func:`part_file`) that the source includes, for the same PDF: a compile after one of
        the notebook's first cells reuses Typst's memoised layout of the cells they share
        (:mod:`abcresearch.batch.pdf_process`).

    Returns
    -------
    TypstDocument
        Source (template included) and image files. The same notebook gives the same source.
    """
    info = header_info(nb, fallback_title)
    break_lang = None if own_lang or BREAK_LANG == info["lang"] else BREAK_LANG
    files: dict[str, bytes] = {}
    # a researcher's own Typst (a show rule on a Thai word, a label) may match the text as
    # marked: the whole notebook keeps its word joiners then, so that it reads the same
    # everywhere (a block with raw text keeps them in any case, see _under_break_lang)
    drop = not any(_own_typst(cell) for cell in nb.get("cells", []))
    dropped = break_lang if drop else None
    with keep_names_whole(info["names"]):  # the report's village names: no break inside one
        body = [render_cell(cell, i, files, info["lang"], break_lang, drop_joiners=drop)
                for i, cell in enumerate(nb.get("cells", []))]
        subtitle = info["subtitle"] and _under_break_lang(mark_breaks(info["subtitle"]),
                                                          dropped)
        header_title = info["title"] and _under_break_lang(mark_breaks(info["title"]),
                                                           dropped)
    words = page_labels(info["lang"])
    labels = ("(" + ", ".join(
        f"{k}: {typst_string(_under_break_lang(mark_breaks(v), dropped))}"
        for k, v in words.items()) + ")")
    show = (
        "#show: report.with("
        f"title: {_value(info['title'])}, "
        f"header-title: {_value(header_title)}, "
        f"subtitle: {_value(subtitle)}, "
        f"synthetic: {_value(info['synthetic'])}, lang: {_value(info['lang'])}, "
        + (f"break-lang: {_value(break_lang)}, " if break_lang else "")
        + f"labels: {labels if words else '(:)'})"
    )
    # the template's tables box long words through abc-part-boxes, defined before it
    template = "\n\n".join([TYPST_PART_BOXES, template_source().rstrip()])
    blocks = kept_blocks(body)
    # a set or show rule, definition or import at a block's top level would reach only its own
    # part (an included file is a scope of its own): such a notebook is rendered as one file
    if parts and all(map(_scoped_alike, blocks)):
        files[PARTS_DEFS] = f"{template}\n".encode()
        for i, block in enumerate(blocks):
            files[part_file(i)] = f"{_IMPORT_DEFS}\n{block}\n".encode()
        source = "\n\n".join([_IMPORT_DEFS, show, *(
            f'#include "{part_file(i)}"' for i in range(len(blocks)))])
    else:
        source = "\n\n".join([template, show, "\n\n".join(blocks)])
    source += "\n"
    return TypstDocument(source=source, files=files, title=info["title"], lang=info["lang"],
                         break_lang=break_lang)

# caches that batch.kernel_state.reset keeps between notebooks run in one process (see
# abcresearch.batch.inprocess): what they hold is derived from files and not changed
_markdown_parser.cache_safe = True  # type: ignore[attr-defined]  # a parser, no state between parses
template_source.cache_safe = True  # type: ignore[attr-defined]  # a packaged file
