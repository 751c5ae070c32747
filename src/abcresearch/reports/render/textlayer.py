"""Give Typst's PDFs a text layer that copies out as the text that was typeset, Thai included.

The problem
-----------
Typst writes PDFs through krilla. For every embedded font krilla's ``/ToUnicode`` maps a glyph to
the text of the *first* cluster it was seen in (the base consonant of "น้ำ" maps to "น้ำ", a mark
glyph often to nothing), and wherever that is wrong for a later cluster it wraps the glyphs in a
marked-content span with ``/ActualText`` (typst/typst#7610, #4225). Tools that ignore ActualText
(pypdf, many PDF-to-text converters) extract garbled Thai. Tools that honour it (pdfium, as in
Chrome; poppler) still duplicate clusters: when a mark sits a little above or below the others
(a tone mark over an upper vowel), krilla draws it in a separate text object carrying the same
ActualText again ("ไม่ใช่ข้ ช่ อมูล", "มั่นมั่"), and pdfium orders text objects of one line by
their x position, so the separated mark also lands in the wrong place.

What this module does
---------------------
:func:`fix_text_layer` rewrites the PDF once, after Typst, so that every drawn glyph carries its
own characters and no ActualText is needed:

* each glyph's characters come from its name in the embedded font (``uni0E49.small`` -> "้",
  ``f_i`` -> "fi", following the Adobe Glyph List rules through :mod:`fontTools.agl`); the
  subset fonts krilla embeds keep their ``post`` names;
* Thai (and Lao) sara am, which shaping splits into nikhahit + sara aa with the nikhahit moved
  before any tone mark, maps back to the one character ำ: the sara aa glyph carries "ำ" and the
  nikhahit becomes silent;
* every combining mark gives its characters to the glyph drawn before it and becomes silent
  ("ผ" of "ผู้" carries "ผู้"): a zero-width mark drawn where the next letter starts is read in
  the wrong place by tools that order characters by position (poppler), and krilla draws marks
  shifted up or down as text objects of their own;
* a silent glyph is drawn as a filled outline (the same outline from the same embedded font, at
  the same place, in the same colour) instead of as text, so it adds nothing to the text layer
  (form XObjects would be smaller, but pypdf ends a line of text at every ``Do``);
* a glyph whose text differs from its name's text in one place (sara aa as "ำ", a consonant
  carrying its marks) gets an extra character code that maps, through a ``/CIDToGIDMap``
  stream, to the same glyph; ``/ToUnicode`` is rewritten for every code and ``/W`` extended to
  the new codes;
* the ActualText spans are removed (those around glyphs of fonts this module could not handle
  stay), and the runs of a line are joined into one ``TJ``;
* a no-break space (U+00A0, a line-break hint too) copies out as a plain space;
* U+200B, U+200C, U+2060 and U+2063 (the line-break hints of :mod:`abcresearch.reports.render.thai`,
  which Typst draws as nothing) are removed from bookmark titles and structure-tag titles.

Text objects are drawn relative to the graphics state set before them, so the same bytes
recur in a PDF (table cells, labels, repeated words); each is read once, and written once for
each way :func:`_assign_texts` changed it (what marks drawn after it gave it, whether its own
marks were silenced), always within one PDF and the same fonts.

The result copies out as the typeset text in pdfium-, pypdf- and poppler-based tools. Only fonts
that are ``Type0``/``Identity-H`` with an embedded TrueType program (``CIDFontType2``) and glyph
names are changed; everything else in the file is copied byte for byte. The PDF is written
again with a fresh cross-reference table (no incremental update, no dead objects).

Only Typst's own output is supported: a single classic cross-reference table and no object
streams. Anything else is returned unchanged with a warning.
"""

from __future__ import annotations

import functools
import gc
import io
import re
import struct
import unicodedata
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from abcresearch.errors import AbcResearchWarning

__all__ = ["fix_text_layer"]

_SARA_AM = {"\u0e4d": ("\u0e32", "\u0e33"), "\u0ecd": ("\u0eb2", "\u0eb3")}
"""Nikhahit -> (sara aa, sara am), for Thai and Lao."""

_TONE_MARKS = frozenset("\u0e48\u0e49\u0e4a\u0e4b\u0ec8\u0ec9\u0eca\u0ecb")
"""Marks that shaping may put between the nikhahit and the sara aa of a sara am."""

_LIGATURE_FORMS = re.compile("[\ufb00-\ufb06]")
"""Latin presentation-form ligatures (ﬁ, ﬂ, ...): written out as their letters."""

_ZLIB_LEVEL = 3
"""Compression of rewritten streams: pages with charts hold megabytes of path data; level 3
costs a third of level 6 and makes the file a few per cent larger."""

_WS = b" \t\r\n\f\x00"
_BEFORE_TOKEN = frozenset(_WS + b")]>}")
_AFTER_TOKEN = frozenset(_WS + b"[(</%")
_NUMBER = rb"[-+]?(?:\d+\.?\d*|\.\d+)"
# A literal string, with balanced parentheses one level deep (krilla writes glyph codes 0x28 and
# 0x29 unescaped when they pair up). Possessive quantifiers: no backtracking on a mismatch.
_LITERAL = rb"\((?:[^\\()]++|\\.|\((?:[^\\()]++|\\.)*+\))*+\)"
_HEX = rb"<[0-9A-Fa-f\s]*>"


# krilla writes every text run as: [ActualText span] Tr, Tf, Tm, one TJ or Tj, [end of span].
# _FAST_RUN reads one such run (groups: span, state, Tr, font, size, linear part of Tm, e, f,
# operand); a text object made of such runs only is read run by run. Text objects of any other
# form are read token by token (slower, same result). Every quantifier is possessive: what
# follows each one cannot start with what it consumes, so giving back never helps a match, and
# not trying saves a third of the time.
_NUMBER_POSSESSIVE = rb"[-+]?+(?:\d++\.?+\d*+|\.\d++)"


def _run_pattern() -> bytes:
    ws, opt, num = rb"\s++", rb"\s*+", _NUMBER_POSSESSIVE
    span = (
        rb"/Span" + opt + rb"<<" + opt + rb"/ActualText" + opt
        + rb"(?:" + _HEX + rb"|" + _LITERAL + rb")" + opt + rb">>" + opt + rb"BDC"
    )
    state = (
        rb"(" + opt + rb"(\d++)" + ws + rb"Tr" + opt + rb"/([^\s/\[\]()<>{}%]++)" + ws
        + rb"(" + num + rb")" + ws + rb"Tf" + opt + rb"((?:" + num + ws + rb"){4})"
        + rb"(" + num + rb")" + ws + rb"(" + num + rb")" + ws + rb"Tm)"
    )
    show = opt + rb"(\[(?:[^\[\]()]++|" + _LITERAL + rb")*+\]|" + _LITERAL + rb")" + opt + rb"T[Jj]"
    end_span = rb"(?(span)" + opt + rb"EMC)"
    return rb"(?:" + opt + rb"(?P<span>" + span + rb"))?" + state + show + end_span


_FAST_RUN = re.compile(_run_pattern(), re.DOTALL)
_END = re.compile(rb"\s*ET(?![^\s\[\(</%])")
_ARRAY_ITEM = re.compile(_LITERAL + rb"|" + _HEX + rb"|" + _NUMBER, re.DOTALL)
_SIMPLE_STRING = re.compile(_LITERAL, re.DOTALL)
_ESCAPE = re.compile(rb"\\(\r\n|[0-7]{1,3}|.)", re.DOTALL)
_ESCAPES = {
    ord("n"): b"\n",
    ord("r"): b"\r",
    ord("t"): b"\t",
    ord("b"): b"\b",
    ord("f"): b"\f",
    ord("("): b"(",
    ord(")"): b")",
    ord("\\"): b"\\",
    ord("\n"): b"",
    ord("\r"): b"",
}
_TOKEN = re.compile(
    rb"""
    (?P<ws>\s+)
    |(?P<str>\()
    |(?P<hex><(?!<)[0-9A-Fa-f\s]*>)
    |(?P<dict><<|>>)
    |(?P<arr>[\[\]])
    |(?P<name>/[^\s/\[\]()<>{}%]*)
    |(?P<num>[+-]?(?:\d+\.?\d*|\.\d+))
    |(?P<op>[A-Za-z'"*][A-Za-z0-9'"*]*)
    |(?P<comment>%[^\r\n]*)
    """,
    re.VERBOSE,
)
_STATE_OPS = frozenset({b"Tf", b"Tm", b"Tr", b"Tc", b"Tz", b"Ts", b"TL", b"Td", b"TD", b"T*"})
_SHOW_OPS = frozenset({b"Tj", b"TJ", b"'", b'"'})
_COLOUR_OPS = frozenset({b"cs", b"sc", b"scn", b"g", b"rg", b"k", b"gs"})
"""Operators inside a text object that change how a silent glyph's outline is filled."""


class _Unsupported(Exception):
    """The PDF is not of the form this module rewrites; it is returned unchanged."""


# --------------------------------------------------------------------------------------------
# Strings


def _string_end(data: bytes, start: int) -> int:
    """Return the index just past the literal string that opens at ``data[start]``."""
    m = _SIMPLE_STRING.match(data, start)
    if m:
        return m.end()
    depth = 0
    i = start
    while i < len(data):
        c = data[i]
        if c == 0x5C:  # backslash
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise _Unsupported("unterminated string in a content stream")


def _unescape(m: re.Match[bytes]) -> bytes:
    esc = m.group(1)
    c = esc[0]
    if 0x30 <= c <= 0x37:
        return bytes((int(esc, 8) & 0xFF,))
    if esc == b"\r\n":
        return b""
    return _ESCAPES.get(c, esc)


def _string_bytes(raw: bytes) -> bytes:
    """Return the bytes of a string token, literal ``(...)`` or hexadecimal ``<...>``."""
    if raw[:1] == b"<":
        digits = re.sub(rb"\s", b"", raw[1:-1])
        if len(digits) % 2:
            digits += b"0"
        return bytes.fromhex(digits.decode("ascii"))
    body = raw[1:-1]
    return _ESCAPE.sub(_unescape, body) if b"\\" in body else body


# --------------------------------------------------------------------------------------------
# Fonts


@functools.cache
def _pen_class() -> type:
    """Return a fontTools pen class that writes outlines as PDF path operators (font units)."""
    from fontTools.pens.basePen import BasePen

    class Pen(BasePen):
        def __init__(self, glyph_set: Any) -> None:
            super().__init__(glyphSet=glyph_set)
            self.parts: list[str] = []

        # Font units, to a tenth: far finer than any output device.
        def _moveTo(self, pt: tuple[float, float]) -> None:
            self.parts.append(f"{_num(pt[0], 1)} {_num(pt[1], 1)} m")

        def _lineTo(self, pt: tuple[float, float]) -> None:
            self.parts.append(f"{_num(pt[0], 1)} {_num(pt[1], 1)} l")

        def _curveToOne(self, p1: Any, p2: Any, p3: Any) -> None:
            self.parts.append(
                f"{_num(p1[0], 1)} {_num(p1[1], 1)} {_num(p2[0], 1)} {_num(p2[1], 1)} "
                f"{_num(p3[0], 1)} {_num(p3[1], 1)} c"
            )

        def _closePath(self) -> None:
            self.parts.append("h")

        def _endPath(self) -> None:
            self.parts.append("h")

    return Pen


def _num(value: float, digits: int = 4) -> str:
    """Format a number for a content stream: short, no exponent, no ``-0``."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


@functools.lru_cache(maxsize=4096)
def _glyph_text(name: str) -> str:
    """Return the characters a glyph name stands for (empty if the name says nothing)."""
    from fontTools import agl

    if not name or name.startswith(".") or name.startswith("glyph"):
        return ""
    # a no-break space (which keeps "ระดับ" with its "1" on one line) copies out as a space
    text = agl.toUnicode(name).replace("\u00a0", " ")
    if _LIGATURE_FORMS.search(text):
        text = _LIGATURE_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return text


def _is_mark(text: str) -> bool:
    return bool(text) and unicodedata.category(text[0]) in ("Mn", "Me")


_OUTLINES: dict[bytes, str] = {}
"""Outlines of simple glyphs by their raw ``glyf`` data, shared by every PDF of the process."""


@dataclass(eq=False)
class _Font:
    """A Type0 font of the PDF that this module rewrites, and what it learned about it."""

    ref: Any
    type0: Any
    cidfont: Any
    cidfont_ref: Any
    tt: Any
    texts: list[str]
    marks: list[bool]
    widths: dict[int, float]
    default_width: float
    upem: int
    key: int = 0  # the font's object number, to key caches
    extra: dict[tuple[int, str], int] = field(default_factory=dict)
    outlines: dict[int, bytes] = field(default_factory=dict)

    @property
    def n_glyphs(self) -> int:
        return len(self.texts)

    def width(self, cid: int) -> float:
        return self.widths.get(cid, self.default_width)

    def code_for(self, gid: int, text: str) -> int:
        """Return the character code that draws glyph ``gid`` and reads as ``text``."""
        if text == self.texts[gid]:
            return gid
        key = (gid, text)
        code = self.extra.get(key)
        if code is None:
            code = self.n_glyphs + len(self.extra)
            if code > 0xFFFF:
                raise _Unsupported("too many character codes for a two-byte encoding")
            self.extra[key] = code
        return code

    def outline(self, gid: int) -> bytes:
        """Return the glyph's outline as PDF path operators in font units (cached)."""
        path = self.outlines.get(gid)
        if path is not None:
            return path
        name = self.tt.getGlyphOrder()[gid]
        glyf = self.tt["glyf"]
        raw = getattr(glyf.glyphs.get(name), "data", None)
        simple = raw is not None and len(raw) >= 2 and raw[:2] != b"\xff\xff"
        text = _OUTLINES.get(raw) if simple and raw else None
        if text is None:
            glyph_set = self.tt.getGlyphSet()
            pen = _pen_class()(glyph_set)
            glyph_set[name].draw(pen)
            text = " ".join(pen.parts)
            if simple and raw:
                _OUTLINES[raw] = text
        path = text.encode("ascii")
        self.outlines[gid] = path
        return path


def _parse_widths(w: Any) -> dict[int, float]:
    widths: dict[int, float] = {}
    if w is None:
        return widths
    items = [x.get_object() if hasattr(x, "get_object") else x for x in w.get_object()]
    i = 0
    while i + 1 < len(items):
        first = int(items[i])
        nxt = items[i + 1]
        if isinstance(nxt, list):
            for k, value in enumerate(nxt):
                widths[first + k] = float(value)
            i += 2
        else:
            if i + 2 >= len(items):
                break
            for cid in range(first, int(nxt) + 1):
                widths[cid] = float(items[i + 2])
            i += 3
    return widths


_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")
_BFRANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def _read_cmap(data: bytes) -> dict[int, str]:
    """Return code -> text of a /ToUnicode CMap (bfchar and simple bfrange entries)."""
    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for code, text in _BFCHAR.findall(block):
            out[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for lo, hi, start in _BFRANGE.findall(block):
            first = int.from_bytes(bytes.fromhex(start.decode()), "big")
            for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(first + k) if first + k < 0x110000 else ""
    return out


def _load_font(ref: Any) -> _Font | None:
    """Return the font behind ``ref`` if it is one this module can rewrite, else None."""
    from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

    if not isinstance(ref, IndirectObject):
        return None
    font = ref.get_object()
    if not isinstance(font, DictionaryObject):
        return None
    if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
        return None
    descendants = font.get("/DescendantFonts")
    if descendants is None:
        return None
    descendants = descendants.get_object()
    if len(descendants) != 1 or not isinstance(descendants[0], IndirectObject):
        return None
    cid_ref = descendants[0]
    cidfont = cid_ref.get_object()
    if not isinstance(cidfont, DictionaryObject) or cidfont.get("/Subtype") != "/CIDFontType2":
        return None
    if cidfont.get("/CIDToGIDMap", "/Identity") != "/Identity":
        return None
    descriptor = cidfont.get("/FontDescriptor")
    descriptor = None if descriptor is None else descriptor.get_object()
    if not isinstance(descriptor, DictionaryObject) or "/FontFile2" not in descriptor:
        return None
    font_file = descriptor["/FontFile2"]
    if not isinstance(font_file, StreamObject):
        return None
    program = font_file.get_data()
    from fontTools.ttLib import TTFont, TTLibError

    try:
        tt = TTFont(io.BytesIO(program), lazy=True)
        names = tt.getGlyphOrder()
        upem = int(tt["head"].unitsPerEm)
        has_names = "post" in tt and "glyf" in tt
    except (TTLibError, KeyError, ValueError, AssertionError, IndexError, struct.error):
        return None
    if not has_names:
        return None
    texts = [_glyph_text(name) for name in names]
    if not any(texts):
        return None
    # A glyph whose name says nothing keeps what the PDF's own /ToUnicode says of it.
    to_unicode = font["/ToUnicode"] if not all(texts[1:]) and "/ToUnicode" in font else None
    if isinstance(to_unicode, StreamObject):
        old = _read_cmap(to_unicode.get_data())
        texts = [t or (old.get(gid, "") if gid else "") for gid, t in enumerate(texts)]
    return _Font(
        ref=ref,
        type0=font,
        cidfont=cidfont,
        cidfont_ref=cid_ref,
        tt=tt,
        texts=texts,
        marks=[_is_mark(t) for t in texts],
        widths=_parse_widths(cidfont.get("/W")),
        default_width=float(cidfont.get("/DW", 1000)),
        upem=upem,
        key=ref.idnum,
    )


# --------------------------------------------------------------------------------------------
# Text objects


@dataclass(slots=True, eq=False)
class _Run:
    """What one show operand holds; shared by every show with the same operand and font."""

    items: tuple[Any, ...]  # int = glyph id, float = TJ adjustment
    glyphs: tuple[int, ...]  # positions of the glyph ids in ``items``
    marks: bool  # holds a combining mark
    spaces: bool  # holds glyphs, all of them white space
    units: float  # advance in thousandths of the font size, without character spacing
    body: bytes  # the operand as written, without the brackets of an array
    plans: dict[Any, Any] = field(default_factory=dict)  # see _plan


@dataclass(slots=True, eq=False)
class _Show:
    """One ``Tj``/``TJ`` of a rewritable font, the text state it draws in, and its changes."""

    font: _Font
    size: float
    abcd: tuple[float, ...]  # the text matrix: linear part ...
    e: float  # ... and translation
    f: float
    run: _Run
    render: int
    char_space: float = 0.0
    scale: float = 1.0
    rise: float = 0.0
    colour: tuple[bytes, ...] = ()
    texts: dict[int, str] | None = None  # item position -> text, where not the glyph's own
    silent: set[int] | None = None  # item positions drawn as outlines

    def matrix(self) -> tuple[float, ...]:
        return (*self.abcd, self.e, self.f)

    def text(self, k: int) -> str:
        texts = self.texts
        if texts is not None and k in texts:
            return texts[k]
        return self.font.texts[self.run.items[k]]

    def set_text(self, k: int, text: str) -> None:
        if self.texts is None:
            self.texts = {}
        self.texts[k] = text

    def silence(self, k: int) -> None:
        if self.silent is None:
            self.silent = set()
        self.silent.add(k)

    def advance(self) -> float:
        """Horizontal advance in text space."""
        run = self.run
        return (run.units / 1000 * self.size + self.char_space * len(run.glyphs)) * self.scale


# Elements of a text object, in order. RAW is copied as it is; STATE (text-state operators)
# may be dropped when two shows merge; SPAN (begin or end of an ActualText span around
# rewritten shows only) is dropped; SHOW is rewritten.
RAW, STATE, SPAN, SHOW = range(4)

_Runs = dict[tuple[int, bytes], "_Run | None"]


def _run(arg: bytes, font: _Font, runs: _Runs) -> _Run | None:
    """Return the run of show operand ``arg`` (``[...]`` or a string) in ``font``."""
    key = (font.key, arg)
    if key in runs:
        return runs[key]
    is_array = arg[:1] == b"["
    tokens = _ARRAY_ITEM.findall(arg) if is_array else [arg]
    items: list[Any] = []
    glyphs: list[int] = []
    n = font.n_glyphs
    width = font.width
    units = 0.0
    for token in tokens:
        first = token[0]
        if first != 0x28 and first != 0x3C:  # a number: neither ( nor <
            value = float(token)
            items.append(value)
            units -= value
            continue
        data = _string_bytes(token)
        if len(data) % 2:
            runs[key] = None
            return None
        for gid in struct.unpack(f">{len(data) // 2}H", data):
            if gid >= n:
                runs[key] = None
                return None
            glyphs.append(len(items))
            items.append(gid)
            units += width(gid)
    marks = font.marks
    result = _Run(
        items=tuple(items),
        glyphs=tuple(glyphs),
        marks=any(marks[items[k]] for k in glyphs),
        spaces=bool(glyphs) and all(font.texts[items[k]].isspace() for k in glyphs),
        units=units,
        body=arg[1:-1] if is_array else arg,
    )
    runs[key] = result
    return result


def _matmul(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    """Product of two PDF matrices ``[a b c d e f]`` (``a`` applied first)."""
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    )


class _FastObject:
    """A text object in krilla's form: its runs as (text-state operators, show)."""

    __slots__ = ("runs", "key")

    def __init__(self, runs: list[tuple[bytes, _Show]], key: Any = None) -> None:
        self.runs = runs
        self.key = key  # (fonts, bytes of the object) when the same bytes may come again


def _parse_fast(
    data: bytes, start: int, fonts: dict[bytes, _Font | None], runs: _Runs
) -> tuple[_FastObject, int] | None:
    """Read the text object at ``start`` if it has krilla's form; else return None."""
    pos = start + 2
    found: list[tuple[bytes, _Show]] = []
    append = found.append
    linear = _LINEAR
    get_run = runs.get
    match = _FAST_RUN.match
    while (m := match(data, pos)) is not None:
        _, state, tr, name, size, abcd, e, f, arg = m.groups()
        font = fonts.get(name)
        if font is None:
            return None
        run = get_run((font.key, arg)) or _run(arg, font, runs)
        if run is None:
            return None
        matrix = linear.get(abcd)
        if matrix is None:
            matrix = linear[abcd] = tuple(map(float, abcd.split()))
        append((state, _Show(font, float(size), matrix, float(e), float(f), run, int(tr))))
        pos = m.end()
    end = _END.match(data, pos)
    if end is None:
        return None
    return _FastObject(found), end.end()


def _serialize_fast(obj: _FastObject, paths: _Outlines) -> bytes:
    """Return a rewritten krilla text object (``BT ... ET``) after its silent outlines.

    Runs that continue one another on the same baseline, in the same font and state, are
    joined into one ``TJ`` (krilla starts a new one at every ActualText span): pdfium drops a
    text object that draws nothing (a lone space) and guesses a page's writing direction from
    its first text object; one run per line reads best in every tool.
    """
    paths.calls = []
    out = [b"BT"]
    array = _Array()
    previous: _Show | None = None
    state = b""

    def close() -> None:
        if array.glyphs:
            array._write_number()  # the text position after the run stays exact
            out.append(state if state[:1].isspace() else b" " + state)
        out.append(array.take(False))

    for run_state, show in obj.runs:
        if previous is not None:
            gap = _gap_fast(previous, show)
            if gap is not None:
                array.pending += gap
                if show.texts is None and show.silent is None:
                    if show.run.body:
                        array.body(show.run.body)
                else:
                    _show_parts(show, array, paths)
                previous = show
                continue
            close()
        state = run_state
        _show_parts(show, array, paths)
        previous = show if array.glyphs else None
    if previous is not None:
        close()
    if len(out) == 1:
        return b"".join(paths.calls)
    out.append(b"\nET")
    return b"".join(paths.calls) + b"".join(out)


_LINEAR: dict[bytes, tuple[float, ...]] = {}
"""Linear parts of text matrices as written (krilla writes one or two), parsed once."""


def _parse_slow(
    data: bytes, start: int, fonts: dict[bytes, _Font | None], runs: _Runs
) -> tuple[list[tuple[int, Any]], int]:
    """Read the text object at ``start`` token by token (any well-formed content)."""
    ops: list[tuple[bytes, list[Any], bytes]] = []
    stack: list[list[Any]] = []
    operands: list[Any] = []
    op_start = start + 2
    tokens = _tokens(data, op_start)
    end = -1
    for kind, raw, token_end in tokens:
        if kind == "op":
            if stack:
                raise _Unsupported("operator inside an array")
            ops.append((raw, operands, data[op_start:token_end]))
            operands = []
            op_start = token_end
            if raw == b"ET":
                end = token_end
                break
            if raw in (b"BI", b"BT"):
                raise _Unsupported(f"{raw.decode()} inside a text object")
        elif kind == "arr":
            if raw == b"[":
                stack.append([])
            else:
                if not stack:
                    raise _Unsupported("unbalanced array")
                arr = stack.pop()
                (stack[-1] if stack else operands).append(arr)
        elif kind == "dict":
            if raw == b">>":
                raise _Unsupported("unbalanced dictionary")
            depth = 1
            dict_start = token_end - 2
            for kind2, raw2, end2 in tokens:
                if kind2 == "dict":
                    depth += 1 if raw2 == b"<<" else -1
                    if depth == 0:
                        value = ("dict", data[dict_start:end2])
                        (stack[-1] if stack else operands).append(value)
                        break
            else:
                raise _Unsupported("unterminated dictionary")
        else:
            (stack[-1] if stack else operands).append((kind, raw))
    if end < 0:
        raise _Unsupported("text object without ET")
    return _elements(ops, fonts, runs), end


def _tokens(data: bytes, pos: int) -> Iterator[tuple[str, bytes, int]]:
    """Yield ``(kind, raw, end)`` tokens of a content stream from ``pos``."""
    n = len(data)
    while pos < n:
        m = _TOKEN.match(data, pos)
        if m is None:
            raise _Unsupported(f"cannot read content stream at byte {pos}")
        kind = m.lastgroup or ""
        if kind == "str":
            end = _string_end(data, pos)
            yield "str", data[pos:end], end
            pos = end
            continue
        pos = m.end()
        if kind in ("ws", "comment"):
            continue
        yield kind, m.group(), pos


def _numbers(operands: list[Any], count: int) -> list[float] | None:
    if len(operands) != count:
        return None
    if any(not (isinstance(o, tuple) and o[0] == "num") for o in operands):
        return None
    return [float(o[1]) for o in operands]


def _elements(
    ops: list[tuple[bytes, list[Any], bytes]], fonts: dict[bytes, _Font | None], runs: _Runs
) -> list[tuple[int, Any]]:
    """Turn the operators of a text object into elements, following the text state."""
    font: _Font | None = None
    size = leading = char_space = rise = 0.0
    matrix: tuple[float, ...] = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    line = matrix
    scale = 1.0
    render = 0
    colour: list[bytes] = []
    elements: list[tuple[int, Any]] = []
    spans: list[int | None] = []  # element that opened each open marked-content sequence
    droppable: dict[int, bool] = {}  # ActualText span -> every show inside is rewritten
    for name, args, raw in ops:
        kind: int = RAW
        payload: Any = raw
        if name == b"Tf" and len(args) == 2 and args[0][0] == "name":
            font = fonts.get(args[0][1][1:])
            size = float(args[1][1]) if args[1][0] == "num" else 0.0
        elif name == b"Tm" and (values := _numbers(args, 6)) is not None:
            matrix = line = tuple(values)
        elif name in (b"Td", b"TD") and (values := _numbers(args, 2)) is not None:
            if name == b"TD":
                leading = -values[1]
            matrix = line = _matmul((1, 0, 0, 1, values[0], values[1]), line)
        elif name == b"T*":
            matrix = line = _matmul((1, 0, 0, 1, 0, -leading), line)
        elif name == b"TL" and (values := _numbers(args, 1)):
            leading = values[0]
        elif name == b"Tc" and (values := _numbers(args, 1)):
            char_space = values[0]
        elif name == b"Tz" and (values := _numbers(args, 1)):
            scale = values[0] / 100
        elif name == b"Ts" and (values := _numbers(args, 1)):
            rise = values[0]
        elif name == b"Tr" and (values := _numbers(args, 1)):
            render = int(values[0])
        elif name in _COLOUR_OPS:
            colour.append(raw.strip())
        if name in _STATE_OPS:
            kind = STATE
        elif name in (b"BDC", b"BMC"):
            actual = (
                name == b"BDC"
                and len(args) == 2
                and args[1][0] == "dict"
                and b"/ActualText" in args[1][1]
            )
            spans.append(len(elements) if actual else None)
            if actual:
                droppable[len(elements)] = True
                kind, payload = SPAN, (raw, len(elements))
        elif name == b"EMC" and spans:
            opened = spans.pop()
            if opened is not None:
                kind, payload = SPAN, (raw, opened)
        elif name in (b"Tj", b"TJ") and font is not None and len(args) == 1:
            arg = args[0]
            if isinstance(arg, list) and all(
                isinstance(a, tuple) and a[0] in ("str", "hex", "num") for a in arg
            ):
                text: bytes | None = b"[" + b" ".join(a[1] for a in arg) + b"]"
            elif isinstance(arg, tuple) and arg[0] in ("str", "hex"):
                text = arg[1]
            else:
                text = None
            run = _run(text, font, runs) if text is not None else None
            if run is not None:
                show = _Show(
                    font,
                    size,
                    matrix[:4],
                    matrix[4],
                    matrix[5],
                    run,
                    render,
                    char_space,
                    scale,
                    rise,
                    tuple(colour),
                )
                kind, payload = SHOW, show
                matrix = _matmul((1, 0, 0, 1, show.advance(), 0), matrix)
        if name in _SHOW_OPS and kind != SHOW:
            for opened in spans:
                if opened is not None:
                    droppable[opened] = False
        elements.append((kind, payload))
    for i, (kind, payload) in enumerate(elements):
        if kind == SPAN:
            raw, opened = payload
            elements[i] = (SPAN, raw) if droppable.get(opened) else (RAW, raw)
    return elements


def _baseline_shift(prev: _Show, show: _Show) -> float | None:
    """Return how far (in text space) ``show`` starts along ``prev``'s baseline, or None.

    None when the text matrix is degenerate or ``show`` is not on the same baseline.
    """
    a, b = show.abcd[0], show.abcd[1]
    if abs(a) > 1e-9:
        dx = (show.e - prev.e) / a
    elif abs(b) > 1e-9:
        dx = (show.f - prev.f) / b
    else:
        return None
    if abs(prev.e + dx * a - show.e) > 1e-3 or abs(prev.f + dx * b - show.f) > 1e-3:
        return None  # not on the same baseline
    return dx


def _gap(prev: _Show, show: _Show) -> float | None:
    """Return the TJ adjustment that joins ``show`` to ``prev``, or None if they cannot join."""
    if (
        show.font is not prev.font
        or show.size != prev.size
        or show.abcd != prev.abcd
        or show.render != prev.render
        or show.char_space != prev.char_space
        or show.scale != prev.scale
        or show.rise != prev.rise
        or show.colour != prev.colour
        or not show.size
        or not show.scale
    ):
        return None
    dx = _baseline_shift(prev, show)
    if dx is None:
        return None
    return (prev.advance() - dx) * 1000 / (show.size * show.scale)


def _gap_fast(prev: _Show, show: _Show) -> float | None:
    """:func:`_gap` for two shows of krilla's form (no spacing, scaling, rise or colour)."""
    size = show.size
    abcd = show.abcd
    if (
        show.font is not prev.font
        or size != prev.size
        or abcd != prev.abcd
        or show.render != prev.render
        or not size
    ):
        return None
    dx = _baseline_shift(prev, show)
    if dx is None:
        return None
    return (prev.run.units / 1000 * prev.size - dx) * 1000 / size


class _Outlines:
    """The outlines that draw the silent glyphs of a text object (filled paths)."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def call(self, show: _Show, gid: int, x: float) -> None:
        """Fill glyph ``gid``'s outline where ``show`` would have drawn it, at ``x``.

        Filled paths rather than form XObjects: pypdf ends a line of text at every ``Do``.
        """
        font = show.font
        path = font.outline(gid)
        if not path:
            return
        s = show.size / font.upem
        m = _matmul((s * show.scale, 0, 0, s, x, show.rise), show.matrix())
        colour = b" ".join(show.colour) + b" " if show.colour else b""
        a, b, c, d, e, f = m
        self.calls.append(b"q %s%.5f %.5f %.5f %.5f %.3f %.3f cm %s f Q\n"
                          % (colour, a, b, c, d, e, f, path))


class _Array:
    """The array of a ``TJ`` being written: strings and adjustments, adjustments summed."""

    __slots__ = ("parts", "pending", "glyphs")

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.pending = 0.0  # adjustment not written yet (thousandths of the font size)
        self.glyphs = False

    def number(self, value: float) -> None:
        self.pending += value

    def _write_number(self) -> None:
        # Rounded to 1/100 unit (well below a thousandth of a point); the rest is carried on.
        pending = self.pending
        if -0.004 < pending < 0.004:  # rounds to zero: nothing to write
            return
        value = round(pending, 2)
        if value:
            self.parts.append(_num(value).encode())
            self.pending -= value

    def body(self, body: bytes) -> None:
        self._write_number()
        self.parts.append(body)
        self.glyphs = True

    def take(self, keep_position: bool) -> bytes:
        """Return ``[...]TJ`` (empty if it draws nothing and the position does not matter)."""
        if keep_position:
            self._write_number()
        parts = self.parts
        self.parts = []
        self.pending = 0.0
        glyphs = self.glyphs
        self.glyphs = False
        if not parts or (not glyphs and not keep_position):
            return b""
        return b"[" + b" ".join(parts) + b"]TJ"


_POSITION_OPS = (b"Tm", b"Td", b"TD", b"T*")


def _serialize(elements: list[tuple[int, Any]], paths: _Outlines) -> bytes:
    """Return the rewritten text object (``BT ... ET``) after the outlines of its silent glyphs.

    Shows that continue one another on the same baseline, in the same font and state, are
    merged into one ``TJ`` (krilla starts a new one at every ActualText span): text extractors
    then see one run instead of fragments that they reorder, space out or drop.
    """
    # Whether the text position after each element still matters (a later show uses it).
    position_used = [False] * len(elements)
    used = False
    for i in range(len(elements) - 1, -1, -1):
        kind, payload = elements[i]
        position_used[i] = used
        if kind == SHOW:
            used = True
        elif kind == STATE and any(op in payload for op in _POSITION_OPS):
            used = False
        elif kind == RAW and payload.rstrip().endswith((b"'", b'"')):
            used = True
    paths.calls = []
    out: list[bytes] = [b"BT"]
    array = _Array()
    last: _Show | None = None
    last_index = 0
    held: list[bytes] = []

    def emit(piece: bytes) -> None:
        if piece and out[-1][-1:].isalnum() and piece[:1].isalnum():
            out.append(b" ")  # keep two tokens apart where a dropped operator stood
        out.append(piece)

    def flush() -> None:
        nonlocal last
        if last is not None:
            emit(array.take(position_used[last_index]))
        last = None
        for piece in held:
            emit(piece)
        held.clear()

    for i, (kind, payload) in enumerate(elements):
        if kind == SHOW:
            gap = _gap(last, payload) if last is not None else None
            if gap is None:
                flush()
            else:
                held.clear()
                array.number(gap)
            _show_parts(payload, array, paths)
            last, last_index = payload, i
        elif kind == STATE:
            if last is not None:
                held.append(payload)
            else:
                emit(payload)
        elif kind == RAW:
            flush()
            emit(payload)
        # SPAN: dropped
    flush()
    out.append(b"\nET")
    return b"".join(paths.calls) + b"".join(out)


_Plan = tuple[tuple[tuple[bool, Any], ...], tuple[tuple[int, float], ...]]


def _plan(show: _Show) -> _Plan:
    """Return how ``show``'s run is rewritten: array items, and the glyphs to outline.

    Array items are ``(True, hex string)`` or ``(False, adjustment)``; outlines are
    ``(glyph id, x in thousandths of the font size)``. The same run with the same changes
    (the usual case: a cluster met again) is planned once.
    """
    run = show.run
    key = (
        frozenset(show.silent) if show.silent else None,
        tuple(sorted(show.texts.items())) if show.texts else None,
    )
    plans = run.plans
    plan = plans.get(key)
    if plan is not None:
        return plan
    font = show.font
    width = font.width
    silent = show.silent or ()
    items: list[tuple[bool, Any]] = []
    outlines: list[tuple[int, float]] = []
    x = 0.0
    codes: list[int] = []
    for k, item in enumerate(run.items):
        if isinstance(item, float):
            if codes:
                items.append((True, _hex(codes)))
                codes = []
            items.append((False, item))
            x -= item
            continue
        advance = width(item)
        if k in silent:
            # Not text any more: drawn as an outline, the next glyph kept in place.
            if codes:
                items.append((True, _hex(codes)))
                codes = []
            items.append((False, -advance))
            outlines.append((item, x))
            x += advance
            continue
        codes.append(font.code_for(item, show.text(k)))
        x += advance
    if codes:
        items.append((True, _hex(codes)))
    plan = plans[key] = (tuple(items), tuple(outlines))
    return plan


def _show_parts(show: _Show, array: _Array, paths: _Outlines) -> None:
    """Add the glyphs of ``show`` to ``array``; collect the outlines of its silent glyphs."""
    run = show.run
    if show.texts is None and show.silent is None:
        if run.body:
            array.body(run.body)
        return
    if show.char_space:  # glyph positions depend on the spacing: not planned
        _show_parts_spaced(show, array, paths)
        return
    items, outlines = _plan(show)
    for is_codes, value in items:
        if is_codes:
            array.body(value)
        else:
            array.number(value)
    unit = show.size * show.scale / 1000
    for gid, x in outlines:
        paths.call(show, gid, x * unit)


def _show_parts_spaced(show: _Show, array: _Array, paths: _Outlines) -> None:
    """:func:`_show_parts` for a show drawn with character spacing."""
    run = show.run
    font = show.font
    width = font.width
    silent = show.silent or ()
    unit = show.size * show.scale / 1000  # text-space length of one TJ unit
    x = 0.0
    codes: list[int] = []
    for k, item in enumerate(run.items):
        if isinstance(item, float):
            if codes:
                array.body(_hex(codes))
                codes = []
            array.number(item)
            x -= item * unit
            continue
        advance = (width(item) / 1000 * show.size + show.char_space) * show.scale
        if k in silent:
            if codes:
                array.body(_hex(codes))
                codes = []
            if unit:
                array.number(-advance / unit)
            paths.call(show, item, x)
            x += advance
            continue
        codes.append(font.code_for(item, show.text(k)))
        x += advance
    if codes:
        array.body(_hex(codes))


def _hex(codes: list[int]) -> bytes:
    return b"<" + struct.pack(f">{len(codes)}H", *codes).hex().upper().encode() + b">"


def _assign_texts(shows: list[_Show]) -> None:
    """Decide which glyphs are silent and which carry more than their own characters.

    Works on the glyphs of one content stream in drawing order, which is the text's order
    except that shaping moves the nikhahit of sara am before the tone marks of its cluster.
    Every combining mark gives its characters to the glyph drawn before it and becomes silent:
    a zero-width mark drawn where the next letter starts is otherwise read in the wrong place
    by tools that order characters by position (poppler), and krilla draws marks that are
    shifted up or down as runs of their own.
    """
    prev_show: _Show | None = None  # where the last glyph that carries text is
    prev_k = -1
    sara_am: dict[tuple[int, int], str] = {}  # (id(show), position) of a sara aa -> sara am
    for s, show in enumerate(shows):
        run = show.run
        if not run.marks and not sara_am:
            if run.glyphs:
                prev_show, prev_k = show, run.glyphs[-1]
            continue
        font = show.font
        items = run.items
        fill = show.render == 0
        for k in run.glyphs:
            if sara_am and (id(show), k) in sara_am:
                show.set_text(k, sara_am.pop((id(show), k)))
                prev_show, prev_k = show, k
                continue
            gid = items[k]
            if not font.marks[gid] or not fill or prev_show is None or prev_show.font is not font:
                prev_show, prev_k = show, k
                continue
            show.silence(k)
            text = font.texts[gid]
            if text in _SARA_AM:
                aa = _after_tone_marks(shows, s, k, _SARA_AM[text][0])
                if aa is not None:
                    sara_am[aa] = _SARA_AM[text][1]
                    continue
            prev_show.set_text(prev_k, prev_show.text(prev_k) + text)


def _after_tone_marks(shows: list[_Show], s: int, k: int, aa: str) -> tuple[int, int] | None:
    """Find the sara aa that follows glyph ``k`` of show ``s`` after tone marks only."""
    font = shows[s].font
    seen = 0
    for j in range(s, min(s + 4, len(shows))):
        show = shows[j]
        if show.font is not font:
            return None
        for pos in show.run.glyphs:
            if j == s and pos <= k:
                continue
            text = font.texts[show.run.items[pos]]
            if text == aa:
                return (id(show), pos)
            seen += 1
            if text not in _TONE_MARKS or seen > 3:
                return None
    return None


# --------------------------------------------------------------------------------------------
# Content streams


_Template = list[tuple[bytes, _Font, float, tuple[float, ...], float, float, int, _Run]]


class _Memo:
    """What one PDF's text objects taught: parsed objects and rewritten ones, by their bytes.

    A text object is drawn relative to the graphics state set before it, so the same bytes
    recur (table cells, repeated labels, page furniture). Keys hold the page's fonts as well.
    """

    __slots__ = ("runs", "parsed", "written")

    def __init__(self) -> None:
        self.runs: _Runs = {}
        self.parsed: dict[Any, _Template] = {}
        self.written: dict[Any, bytes] = {}


def _fonts_key(fonts: dict[bytes, _Font | None]) -> tuple[tuple[bytes, int], ...]:
    return tuple(sorted((name, -1 if f is None else f.key) for name, f in fonts.items()))


def _parse_known(
    data: bytes, bt: int, fonts: dict[bytes, _Font | None], memo: _Memo, fonts_key: Any
) -> tuple[_FastObject, int] | None:
    """:func:`_parse_fast` through the memo of objects met before in the same fonts."""
    # krilla ends a text object with "\nET"; a candidate end found inside a string is never
    # a key (the object parsed from those bytes did not end there).
    cand = data.find(b"\nET", bt)
    key = None
    if cand > 0:
        end = cand + 3
        if end == len(data) or data[end] in _AFTER_TOKEN:
            key = (fonts_key, data[bt:end])
            template = memo.parsed.get(key)
            if template is not None:
                return _FastObject(
                    [
                        (state, _Show(font, size, abcd, e, f, run, tr))
                        for state, font, size, abcd, e, f, tr, run in template
                    ],
                    key,
                ), end
    fast = _parse_fast(data, bt, fonts, memo.runs)
    if fast is not None and key is not None and fast[1] == cand + 3:
        obj = fast[0]
        obj.key = key
        memo.parsed[key] = [
            (state, s.font, s.size, s.abcd, s.e, s.f, s.render, s.run) for state, s in obj.runs
        ]
    return fast


def _changes(obj: _FastObject) -> tuple[Any, ...]:
    """Return what :func:`_assign_texts` changed in the shows of ``obj`` (a memo key)."""
    changes: list[Any] = []
    for i, (_, s) in enumerate(obj.runs):
        if s.silent is not None or s.texts is not None:
            changes.append(i)
            changes.append(None if s.silent is None else frozenset(s.silent))
            changes.append(None if s.texts is None else frozenset(s.texts.items()))
    return tuple(changes)


def _rewrite_content(
    data: bytes, fonts: dict[bytes, _Font | None], memo: _Memo | None = None
) -> bytes | None:
    """Return the content stream with its text objects rewritten, or None if none changed."""
    if not any(fonts.values()):
        return None
    if memo is None:
        memo = _Memo()
    runs = memo.runs
    fonts_key = _fonts_key(fonts)
    pieces: list[Any] = []
    shows: list[_Show] = []
    pos = last = 0
    n = len(data)
    while True:
        bt = data.find(b"BT", pos)
        if bt < 0:
            break
        # A string or comment before it may hide "BT" and must be skipped whole.
        paren = data.find(b"(", pos, bt)
        percent = data.find(b"%", pos, bt)
        if paren >= 0 or percent >= 0:
            k = min(i for i in (paren, percent) if i >= 0)
            if data[k] == 0x28:
                pos = _string_end(data, k)
            else:
                eol = min(
                    (i for i in (data.find(b"\n", k), data.find(b"\r", k)) if i >= 0), default=n
                )
                pos = eol
            continue
        if (bt and data[bt - 1] not in _BEFORE_TOKEN) or (
            bt + 2 < n and data[bt + 2] not in _AFTER_TOKEN
        ):
            pos = bt + 2
            continue
        fast = _parse_known(data, bt, fonts, memo, fonts_key)
        if fast is not None:
            obj, end = fast
            object_shows = [show for _, show in obj.runs]
            piece: Any = obj
        else:
            elements, end = _parse_slow(data, bt, fonts, runs)
            object_shows = [payload for kind, payload in elements if kind == SHOW]
            piece = elements
        if object_shows:
            pieces.append(data[last:bt])
            pieces.append(piece)
            shows.extend(object_shows)
            last = end
        pos = end
    if not shows:
        return None
    pieces.append(data[last:])
    _assign_texts(shows)
    paths = _Outlines()
    out = []
    for piece in pieces:
        if isinstance(piece, bytes):
            out.append(piece)
        elif isinstance(piece, _FastObject):
            if piece.key is None:
                out.append(_serialize_fast(piece, paths))
                continue
            key = (piece.key, _changes(piece))
            written = memo.written.get(key)
            if written is None:
                written = memo.written[key] = _serialize_fast(piece, paths)
            out.append(written)
        else:
            out.append(_serialize(piece, paths))
    return b"".join(out)


# --------------------------------------------------------------------------------------------
# The file


def _to_unicode_cmap(font: _Font) -> bytes:
    entries: list[tuple[int, str]] = [(gid, t) for gid, t in enumerate(font.texts) if t]
    entries += [(code, text) for (_, text), code in font.extra.items() if text]
    entries.sort()
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for k in range(0, len(entries), 100):
        chunk = entries[k : k + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [
            f"<{code:04X}> <{text.encode('utf-16-be').hex().upper()}>" for code, text in chunk
        ]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def _pdf_value(obj: Any) -> bytes:
    buf = io.BytesIO()
    obj.write_to_stream(buf)
    return buf.getvalue()


def _stream_object(num: int, data: bytes, extra: bytes = b"") -> bytes:
    packed = zlib.compress(data, _ZLIB_LEVEL)
    return (
        f"{num} 0 obj\n<</Length {len(packed)}/Filter/FlateDecode".encode()
        + extra
        + b">>\nstream\n"
        + packed
        + b"\nendstream\nendobj\n"
    )


_TEXT_STRING = re.compile(rb"<FEFF((?:[0-9A-Fa-f]{4})*)>")
_HIDDEN: dict[int, str | None] = {0x200B: None, 0x200C: None, 0x2060: None, 0x2063: None,
                                  0x2064: None, 0xA0: " "}
"""Characters Typst typesets as nothing (line-break hints); they never belong in PDF text."""


def _clean_string(m: re.Match[bytes]) -> bytes:
    text = bytes.fromhex(m.group(1).decode("ascii")).decode("utf-16-be", "surrogatepass")
    clean = text.translate(_HIDDEN)
    if clean == text:
        return m.group()
    return b"<FEFF" + clean.encode("utf-16-be", "surrogatepass").hex().upper().encode() + b">"


def _clean_strings(blob: bytes) -> bytes:
    """Remove U+200B, U+200C, U+2060 and U+2063 from the text strings of an object's dictionary.

    Typst copies heading text, line-break hints included, into bookmarks (/Outlines titles)
    and the tag tree (/T of structure elements); copied from there they would carry invisible
    characters. Only hexadecimal UTF-16 strings (the form Typst writes) are looked at.
    """
    head = blob.find(b"stream")
    head = len(blob) if head < 0 else head
    if blob.find(b"<FEFF", 0, head) < 0:
        return blob
    return _TEXT_STRING.sub(_clean_string, blob[:head]) + blob[head:]


class _Document:
    """The PDF being rewritten: its objects' places, and their replacements."""

    def __init__(self, pdf: bytes) -> None:
        from pypdf import PdfReader

        self.data = pdf
        start = pdf.rfind(b"startxref")
        if start < 0:
            raise _Unsupported("no startxref")
        try:
            self.xref_at = int(pdf[start + 9 : start + 40].split()[0])
        except (ValueError, IndexError) as exc:
            raise _Unsupported("unreadable startxref") from exc
        if pdf[self.xref_at : self.xref_at + 4] != b"xref":
            raise _Unsupported("cross-reference stream")
        self.reader = PdfReader(io.BytesIO(pdf), strict=True)
        trailer = self.reader.trailer
        if "/Prev" in trailer or "/XRefStm" in trailer or self.reader.xref_objStm:
            raise _Unsupported("incremental update or object streams")
        if "/Encrypt" in trailer:
            raise _Unsupported("encrypted")
        offsets = dict(self.reader.xref.get(0, {}))
        if not offsets or set(self.reader.xref) - {0, 65535}:
            raise _Unsupported("objects with generation numbers")
        self.offsets = offsets
        n_objects = trailer["/Size"] if "/Size" in trailer else None
        if not isinstance(n_objects, int):
            raise _Unsupported("no /Size in the trailer")
        self.size: int = int(n_objects)
        self.replaced: dict[int, bytes] = {}
        self.added: dict[int, bytes] = {}

    def new_number(self) -> int:
        num = self.size
        self.size += 1
        return num

    def replace_stream(self, ref: Any, data: bytes) -> None:
        """Give stream object ``ref`` new (decoded) data, keeping its other dictionary entries."""
        obj = ref.get_object()
        keep = b"".join(
            key.encode() + b" " + _pdf_value(value)
            for key, value in obj.items()
            if key not in ("/Length", "/Filter", "/DecodeParms")
        )
        self.replaced[ref.idnum] = _stream_object(ref.idnum, data, keep)

    def replace_object(self, ref: Any, obj: Any) -> None:
        self.replaced[ref.idnum] = f"{ref.idnum} 0 obj\n".encode() + _pdf_value(obj) + b"\nendobj\n"

    def add_stream(self, data: bytes) -> int:
        num = self.new_number()
        self.added[num] = _stream_object(num, data)
        return num

    def write(self) -> bytes:
        """Return the whole file: objects in their old order, replaced ones rewritten."""
        order = sorted(self.offsets.items(), key=lambda kv: kv[1])
        ends = [off for _, off in order[1:]] + [self.xref_at]
        out = bytearray(self.data[: order[0][1]])
        positions: dict[int, int] = {}
        for (num, off), end in zip(order, ends, strict=True):
            positions[num] = len(out)
            blob = self.replaced.get(num)
            if blob is None:
                blob = _clean_strings(self.data[off:end])
            out += blob
        for num, blob in self.added.items():
            positions[num] = len(out)
            out += blob
        xref_at = len(out)
        out += f"xref\n0 {self.size}\n0000000000 65535 f \n".encode()
        for num in range(1, self.size):
            out += (
                f"{positions[num]:010d} 00000 n \n" if num in positions else "0000000000 65535 f \n"
            ).encode()
        end = self.data.rfind(b"startxref")
        trailer = self.data[self.data.rfind(b"trailer", 0, end) : end]
        out += re.sub(rb"/Size\s+\d+", f"/Size {self.size}".encode(), trailer, count=1)
        if not trailer.endswith(b"\n"):
            out += b"\n"
        out += f"startxref\n{xref_at}\n%%EOF\n".encode()
        return bytes(out)


def _font_map(resources: Any, cache: dict[int, _Font | None]) -> dict[bytes, _Font | None]:
    fonts: dict[bytes, _Font | None] = {}
    if resources is None:
        return fonts
    font_dict = resources.get_object().get("/Font")
    if font_dict is None:
        return fonts
    for name, ref in font_dict.get_object().items():
        key = getattr(ref, "idnum", None)
        label = str(name)[1:].encode("latin-1")
        if key is None:
            fonts[label] = None
            continue
        if key not in cache:
            cache[key] = _load_font(ref)
        fonts[label] = cache[key]
    return fonts


def _content_refs(page: Any) -> list[Any]:
    contents = page.get("/Contents")
    if contents is None:
        return []
    if hasattr(contents, "idnum") and not isinstance(contents.get_object(), list):
        return [contents]
    refs = list(contents.get_object())
    if not all(hasattr(r, "idnum") for r in refs):
        raise _Unsupported("direct content streams")
    return refs


def _forms(resources: Any, seen: set[int]) -> Iterator[Any]:
    """Yield the indirect form XObjects reachable from ``resources`` (each once)."""
    if resources is None:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        if not hasattr(ref, "idnum") or ref.idnum in seen:
            continue
        seen.add(ref.idnum)
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Form":
            yield ref
            yield from _forms(obj.get("/Resources"), seen)


def _rewrite(pdf: bytes) -> bytes:
    doc = _Document(pdf)
    cache: dict[int, _Font | None] = {}
    memo = _Memo()
    changed = False
    seen_forms: set[int] = set()
    for page in doc.reader.pages:
        resources = page.get("/Resources")
        fonts = _font_map(resources, cache)
        refs = _content_refs(page)
        if refs and any(fonts.values()):
            data = b"\n".join(r.get_object().get_data() for r in refs)
            new = _rewrite_content(data, fonts, memo)
            if new is not None:
                changed = True
                doc.replace_stream(refs[0], new)
                for ref in refs[1:]:
                    doc.replace_stream(ref, b"")
        for form_ref in _forms(resources, seen_forms):
            form = form_ref.get_object()
            form_fonts = _font_map(form.get("/Resources"), cache)
            new = _rewrite_content(form.get_data(), form_fonts, memo)
            if new is not None:
                changed = True
                doc.replace_stream(form_ref, new)
    if not changed:
        return pdf
    from pypdf.generic import ArrayObject, FloatObject, IndirectObject, NameObject, NumberObject

    for font in cache.values():
        if font is None:
            continue
        cmap = _to_unicode_cmap(font)
        tu = font.type0.get("/ToUnicode")
        if isinstance(tu, IndirectObject):
            doc.replaced[tu.idnum] = _stream_object(tu.idnum, cmap)
        else:
            font.type0[NameObject("/ToUnicode")] = IndirectObject(
                doc.add_stream(cmap), 0, doc.reader
            )
            doc.replace_object(font.ref, font.type0)
        if not font.extra:
            continue
        codes = sorted((code, gid) for (gid, _), code in font.extra.items())
        mapping = struct.pack(
            f">{font.n_glyphs + len(codes)}H", *range(font.n_glyphs), *(gid for _, gid in codes)
        )
        widths = ArrayObject(list(font.cidfont.get("/W", ArrayObject()).get_object()))
        widths.append(NumberObject(codes[0][0]))
        widths.append(
            ArrayObject(
                NumberObject(int(w)) if float(w).is_integer() else FloatObject(w)
                for w in (font.width(gid) for _, gid in codes)
            )
        )
        font.cidfont[NameObject("/W")] = widths
        font.cidfont[NameObject("/CIDToGIDMap")] = IndirectObject(
            doc.add_stream(mapping), 0, doc.reader
        )
        doc.replace_object(font.cidfont_ref, font.cidfont)
    return doc.write()


def fix_text_layer(pdf: bytes) -> bytes:
    """Return a Typst PDF whose text extracts as the text that was typeset.

    See the module documentation for what is rewritten and why. The pages look the same; the
    same input gives the same output.

    Parameters
    ----------
    pdf : bytes
        A PDF written by Typst.

    Returns
    -------
    bytes
        The rewritten PDF; ``pdf`` itself when it holds no font this function rewrites, or
        (with an :class:`~abcresearch.errors.AbcResearchWarning`) when it is not of the form
        Typst writes.
    """
    from pypdf.errors import PyPdfError

    # The rewrite makes some hundred thousand short-lived tuples and no reference cycles worth
    # collecting on the way; the cyclic collector would walk them again and again.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _rewrite(pdf)
    except (_Unsupported, PyPdfError) as exc:
        warnings.warn(
            f"PDF text layer left as Typst wrote it: {exc}", AbcResearchWarning, stacklevel=2
        )
        return pdf
    finally:
        if collecting:
            gc.enable()


# caches that batch.kernel_state.reset keeps between notebooks run in one process (see
# abcresearch.batch.inprocess): what they hold is derived from files and not changed
_pen_class.cache_safe = True  # type: ignore[attr-defined]  # a class
_glyph_text.cache_safe = True  # type: ignore[attr-defined]  # str in, str out
