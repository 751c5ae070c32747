"""Tests of the PDF text layer fix (abcresearch.reports.render.textlayer).

Typst's own text layer garbles Thai in pypdf and duplicates clusters in pdfium; after
``fix_text_layer`` both extract exactly the typeset Thai, and the pages look the same.
Poppler's ``pdftotext`` was checked by hand (the suite does not need poppler).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
import typst
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from abcresearch.errors import AbcResearchWarning
from abcresearch.reports.render import fonts
from abcresearch.reports.render.display import table_spec
from abcresearch.reports.render.pdf import compile_pdf
from abcresearch.reports.render.textlayer import fix_text_layer
from abcresearch.reports.render.typst import TABLE_MIME, render_notebook

# Tone marks on consonants and on upper vowels, sara am (with and without a tone mark), upper
# and lower vowels, letters with descenders (ญ ฐ ฏ), ฤ, Thai digits, ๆ and ฯ.
SENTENCES = [
    "น้ำใจของชุมชนยังคงเข้มแข็ง",
    "ผู้ใหญ่บ้านกำลังสำรวจครัวเรือน",
    "ก๊วยเตี๋ยวร้านนี้อร่อยที่สุด",
    "ปฏิบัติงานตามฤดูกาล ๒๕๖๘",
    "เชื่อมั่นร้อยละ 95 ค่ำคืนนี้ซ้ำแล้วซ้ำเล่า",
    "ญาติพี่น้องปีนี้ตั้งใจมาก ๆ ฯลฯ",
    "ฐานข้อมูลนี้ไม่ใช่ข้อมูลจริง",
    # a village's word and number, kept together by a no-break space or a word joiner
    "หมู่ที่ 4 บ้านหนองบัว หมู่ที่12 ม. 3 · Village 12",
]
CELLS = ["บ้านหนองบัวแดง", "ความคลาดเคลื่อน", "ที่นี่มีน้ำใจ"]
CAPTION = "ตารางที่ทดสอบคำไทย"
NOTES = "หมายเหตุ: ค่ำ ซ้ำ ปี่"
SUBTITLE = "รอบสำรวจ ๒๕๖๘"
INVISIBLE = re.compile("[\u200b\u200c\u2060\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")


def _notebook() -> object:
    nb = new_notebook()
    nb.metadata["abcresearch"] = {
        "header": {"title": "ตำบลน้ำใจ · ทดสอบ", "subtitle": SUBTITLE, "synthetic": True},
        "lang": "th",
    }
    import pandas as pd

    frame = pd.DataFrame({"ชื่อ": CELLS, "ค่า": [1.5, 22.25, 333.0]})
    nb.cells = [
        new_markdown_cell("# รายงานทดสอบภาษาไทย\n\n" + "\n\n".join(SENTENCES)),
        new_code_cell(
            "show_table(df)",
            outputs=[
                new_output(
                    "display_data",
                    data={TABLE_MIME: table_spec(frame, caption=CAPTION, notes=NOTES)},
                )
            ],
        ),
    ]
    return nb


@pytest.fixture(scope="module")
def doc() -> object:
    return render_notebook(_notebook())


@pytest.fixture(scope="module")
def pdf(doc: object) -> bytes:
    return compile_pdf(doc)


@pytest.fixture(scope="module")
def typst_pdf(doc: object) -> bytes:
    """The same document as Typst writes it, before the text layer is fixed."""
    from abcresearch.reports.render import textlayer

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(textlayer, "fix_text_layer", lambda pdf: pdf)
        return compile_pdf(doc)


def _pdfium_text(pdf: bytes) -> str:
    d = pdfium.PdfDocument(pdf)
    return "\n".join(d[i].get_textpage().get_text_range() for i in range(len(d)))


def _pypdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("extract", [_pdfium_text, _pypdf_text], ids=["pdfium", "pypdf"])
def test_thai_extracts_exactly(pdf: bytes, extract) -> None:
    text = extract(pdf)
    lines = {line.strip() for line in re.split("\r\n|\n", text)}
    for sentence in SENTENCES:
        assert sentence in lines, (sentence, text)
    for expected in [*CELLS, "รายงานทดสอบภาษาไทย", NOTES, SUBTITLE]:
        assert expected in text
    assert CAPTION in text
    assert not INVISIBLE.search(text), INVISIBLE.findall(text)


def test_typst_alone_garbles_thai(typst_pdf: bytes) -> None:
    """The problem the module fixes is real: without it pypdf reads garbled Thai."""
    text = _pypdf_text(typst_pdf)
    assert sum(s in text for s in SENTENCES) < len(SENTENCES) / 2


def test_no_actual_text_left(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        assert b"/ActualText" not in page.get_contents().get_data()


def test_pages_look_the_same(pdf: bytes, typst_pdf: bytes) -> None:
    a, b = pdfium.PdfDocument(typst_pdf), pdfium.PdfDocument(pdf)
    assert len(a) == len(b)
    for i in range(len(a)):
        x = np.asarray(a[i].render(scale=2).to_numpy(), dtype=int)
        y = np.asarray(b[i].render(scale=2).to_numpy(), dtype=int)
        diff = np.abs(x - y).max(axis=-1)
        # Marks are filled outlines now: only anti-aliased edge pixels may differ.
        assert (diff > 64).mean() < 0.001
        ink_x, ink_y = (x.min(axis=-1) < 128).sum(), (y.min(axis=-1) < 128).sum()
        assert abs(ink_x - ink_y) <= 0.01 * ink_x


def test_bookmarks_and_tags_hold_no_hints(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    titles = [item["/Title"] for item in reader.outline]
    assert titles == ["รายงานทดสอบภาษาไทย"]
    raw = pdf.decode("latin-1")
    for hint in ("200B", "200C", "2060"):
        for string in re.findall(r"<FEFF([0-9A-F]*)>", raw):
            assert hint not in [string[k : k + 4] for k in range(0, len(string), 4)]


def test_same_input_same_output(typst_pdf: bytes) -> None:
    assert fix_text_layer(typst_pdf) == fix_text_layer(typst_pdf)


def test_svg_text_in_charts(tmp_path) -> None:
    """Charts keep text as outlines (svg.fonttype "path"); SVG text, if used, reads right."""
    import matplotlib
    from matplotlib.figure import Figure

    fonts.register_thai_font()
    fig = Figure(figsize=(4, 2))
    ax = fig.subplots()
    ax.bar(["ผู้ใหญ่บ้าน", "หมู่ 1"], [1, 2])
    ax.set_title("ไม่ใช่ข้อมูลจริง", family=fonts.THAI_FAMILY)
    for label in ax.get_xticklabels():
        label.set_fontfamily(fonts.THAI_FAMILY)
    svg = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "t"}):
        fig.savefig(svg, format="svg", metadata={"Date": None})
    (tmp_path / "c.svg").write_text(svg.getvalue(), encoding="utf-8")
    source = '#set text(font: "Noto Sans Thai")\n#image("c.svg")\n'
    compiler = typst.Compiler(
        root=str(tmp_path), font_paths=fonts.font_paths(), ignore_system_fonts=True
    )
    text = _pypdf_text(fix_text_layer(compiler.compile(source.encode(), format="pdf")))
    for expected in ("ไม่ใช่ข้อมูลจริง", "ผู้ใหญ่บ้าน", "หมู่ 1"):
        assert expected in text


def test_unsupported_pdf_is_returned_unchanged() -> None:
    not_typst = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
    with pytest.warns(AbcResearchWarning, match="left as Typst wrote it"):
        assert fix_text_layer(not_typst) == not_typst


def test_pdf_without_thai_fonts_is_unchanged() -> None:
    pdf = typst.compile(b"Hello", font_paths=fonts.font_paths(), ignore_system_fonts=True)
    # The embedded Latin font has glyph names too: the layer is rewritten but reads the same.
    fixed = fix_text_layer(pdf)
    assert "Hello" in _pypdf_text(fixed) and "Hello" in _pdfium_text(fixed)


def test_fonts_with_many_glyphs() -> None:
    """Glyph codes such as 0x28, 0x29 and 0x5D are written raw in strings; all read right."""
    ascii_line = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in "\\#$*_@<>`[]~/=+\"'-")
    thai_lines = [
        "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรฤลฦวศษสหฬอฮ",
        "ะาำิีึืุูเแโใไๅๆ็่้๊๋์ ๐๑๒๓๔๕๖๗๘๙ ฯ",
        *SENTENCES,
    ]
    source = (
        '#set text(lang: "th", font: "Noto Sans Thai", size: 9pt)\n'
        + "\n\n".join([ascii_line, *thai_lines])
        + "\n"
    )
    from abcresearch.reports.render.typst import TypstDocument

    pdf = compile_pdf(TypstDocument(source=source))
    for text in (_pypdf_text(pdf), _pdfium_text(pdf)):
        lines = {line.strip() for line in re.split("\r\n|\n", text)}
        assert ascii_line in lines
        for sentence in SENTENCES:
            assert sentence in lines


def test_memo_of_repeated_text_objects_changes_nothing(monkeypatch) -> None:
    """Text objects met again (same bytes, same fonts) are read and written once per PDF.

    The PDF holds repeated cells and words with marks in several contexts (after a mark, at the
    start of a line, bold and regular, sara am with and without a tone mark); the rewrite with
    the memo must give exactly the bytes of the rewrite without it.
    """
    from abcresearch.reports.render import textlayer
    from abcresearch.reports.render.typst import TypstDocument

    # "ที" and "ที่", "ปี" and "ปี่": krilla draws a raised tone mark as a text object of its
    # own, so the same object ("ที") carries different text depending on what follows it.
    words = ["น้ำ", "ผู้ใหญ่บ้าน", "ซ้ำ", "×", "<5", "ที่", "ที", "ก๊วยเตี๋ยว", "ค่ำ", "ปี", "ปี่"]
    cells = ", ".join(f'"{w}"' for w in words * 6)
    source = (
        '#set text(lang: "th", font: "Noto Sans Thai", size: 9pt)\n'
        + f"#table(columns: 4, {cells})\n\n"
        + " ".join(f"{w} *{w}* {w}{w}" for w in words * 3 if w not in ("×", "<5"))
        + "\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(textlayer, "fix_text_layer", lambda pdf: pdf)
        raw = compile_pdf(TypstDocument(source=source))
    parsed: list[int] = []
    real = textlayer._parse_known

    def counting(data, bt, fonts, memo, fonts_key):  # type: ignore[no-untyped-def]
        before = len(memo.parsed)
        found = real(data, bt, fonts, memo, fonts_key)
        parsed.append(len(memo.parsed) == before and found is not None)
        return found

    monkeypatch.setattr(textlayer, "_parse_known", counting)
    with_memo = fix_text_layer(raw)
    assert sum(parsed) > len(parsed) / 3  # the memo is used: a third of the objects are repeats
    monkeypatch.setattr(
        textlayer, "_parse_known", lambda data, bt, fonts, memo, key: textlayer._parse_fast(
            data, bt, fonts, memo.runs)
    )
    assert fix_text_layer(raw) == with_memo
    text = _pypdf_text(with_memo)
    for word in ("น้ำ", "ผู้ใหญ่บ้าน", "ก๊วยเตี๋ยว", "ค่ำ", "ที่ *", "ปี่"):
        assert word.rstrip(" *") in text


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_state_is_restored(typst_pdf: bytes, enabled: bool) -> None:
    """The rewrite pauses the cyclic garbage collector and leaves it as it found it."""
    import gc

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        fix_text_layer(typst_pdf)
        assert gc.isenabled() is enabled
        with pytest.warns(AbcResearchWarning):
            fix_text_layer(b"%PDF-1.7\ntrailer\n<<>>\n%%EOF\n")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_memo_keys_hold_what_the_context_changed(typst_pdf: bytes, monkeypatch) -> None:
    """The same text object gets the marks drawn after it only where they follow it.

    krilla draws some marks as text objects of their own; such a mark gives its characters to
    the glyph drawn before it, in another object. Here "ที" is drawn twice with the same bytes,
    once followed by a lone mai ek: the first reads "ที่", the second "ที", as without the memo.
    """
    from abcresearch.reports.render import textlayer

    page = PdfReader(io.BytesIO(typst_pdf)).pages[0]
    fonts_map = textlayer._font_map(page["/Resources"], {})
    name, font = next(
        (n, f) for n, f in fonts_map.items() if f and {"ท", "ี", "่"} <= set(f.texts)
    )
    codes = [font.texts.index(t) for t in ("ท", "ี", "่")]

    def show(*gids: int) -> bytes:
        hexes = "".join(f"{g:04X}" for g in gids)
        return b"BT 0 Tr/" + name + b" 9 Tf 1 0 0 -1 0 0 Tm[<" + hexes.encode() + b">]TJ\nET"

    data = b"\n".join([
        b"q 1 0 0 -1 10 10 cm", show(codes[0], codes[1]), b"Q",
        b"q 1 0 0 -1 19 8 cm", show(codes[2]), b"Q",
        b"q 1 0 0 -1 10 40 cm", show(codes[0], codes[1]), b"Q",
    ])
    # A memo shared by pages whose font names stand for other fonts keeps them apart.
    other = next(f for f in fonts_map.values() if f is not None and f is not font)
    memo = textlayer._Memo()
    with_memo = textlayer._rewrite_content(data, fonts_map, memo)
    swapped = {**fonts_map, name: other}
    assert textlayer._rewrite_content(data, swapped, memo) == textlayer._rewrite_content(
        data, swapped
    )
    monkeypatch.setattr(
        textlayer, "_parse_known", lambda data, bt, fonts, memo, key: textlayer._parse_fast(
            data, bt, fonts, memo.runs)
    )
    without = textlayer._rewrite_content(data, fonts_map)
    assert with_memo == without
    first, _, second = with_memo.partition(b"Q\nq 1 0 0 -1 19 8 cm")
    assert first.count(b"BT") == 1 and second.count(b"BT") == 1
    texts = {text for (_, text) in font.extra}
    assert "ที่" in texts or "ี่" in texts  # the first "ที" carries the mark


def test_symbols_the_thai_font_lacks_are_set_in_dejavu_sans_and_extract_exactly() -> None:
    """Noto Sans Thai has no ‣ (Typst's second-level list marker), ▲ ▼ → ≥ ≤, Σ or
    subscripts; without a fallback family Typst set them in its serif Libertinus. They are set
    in DejaVu Sans (``fonts.TEXT_FAMILIES``, matplotlib's copy) and copy out as typed."""
    from fontTools.ttLib import TTFont

    symbols = "‣ ▲ ▼ → ≥ ≤ Σ Nₜ₋₁ F₀ F′"
    thai = set(TTFont(str(fonts.font_files()[0])).getBestCmap())
    assert not any(ord(c) in thai for c in "‣▲▼→≥≤Σₜ₋₁₀′")  # the case is real
    assert fonts.symbol_font_folder() is not None
    template = (Path(fonts.__file__).parent / "templates" / "report.typ").read_text("utf-8")
    assert f"#let abc-font = {fonts.TYPST_TEXT_FONTS}" in template  # as fonts says
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
    nb.cells = [new_markdown_cell(f"- ระดับหนึ่ง\n  - ระดับสอง\n\nสัญลักษณ์ {symbols} จบ")]
    out = compile_pdf(render_notebook(nb))
    base_fonts = {str(f["/BaseFont"]) for page in PdfReader(io.BytesIO(out)).pages
                  for f in page["/Resources"]["/Font"].values()}
    assert any("DejaVuSans" in f for f in base_fonts), base_fonts
    assert not any("Libertinus" in f for f in base_fonts), base_fonts
    for extract in (_pdfium_text, _pypdf_text):
        text = extract(out)
        assert f"สัญลักษณ์ {symbols} จบ" in text, text
        assert "‣ ระดับสอง" in text, text
