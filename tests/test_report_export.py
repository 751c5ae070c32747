"""Tests of the Thai PDF export (Typst) of executed notebooks."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pypdfium2 as pdfium
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell
from pypdf import PdfReader

from abcresearch.errors import ReportError
from abcresearch.reports.render import fonts
from abcresearch.reports.render.display import figure_svg, show_table, show_typst, table_spec
from abcresearch.reports.render.exporter import EXPORTER_NAME, ThaiPDFExporter
from abcresearch.reports.render.pdf import notebook_to_pdf, notebook_to_pdf_bytes, notebook_to_typst
from abcresearch.reports.render.typst import (
    HEADER_MIME,
    TABLE_MIME,
    TYPST_MIME,
    escape_markup,
    header_info,
    render_notebook,
    table_to_typst,
)

THAI_WORDS = ["ทุนชุมชนน้ำใจ", "ผู้ใหญ่บ้าน", "ก๊วยเตี๋ยว"]
CODE_SOURCE = "secret_code_source_must_not_appear = 42"
PARAM_SOURCE = "param_cell_must_not_appear = 1"
SPECIAL = "Specials: # $ * _ @ < > ` [ ] \\ ~ // -- = + 'q' \"dq\" 12. end"


def _thai_svg() -> str:
    from matplotlib.figure import Figure

    fonts.register_thai_font()
    fig = Figure(figsize=(5, 3))
    ax = fig.subplots()
    ax.bar(["หมู่ 1", "หมู่ 2", "หมู่ 3"], [3.2, 4.1, 2.5], color="#1f4e79")
    ax.set_title("คะแนนทุนชุมชนน้ำใจ ผู้ใหญ่บ้าน", family=fonts.THAI_FAMILY)
    for label in ax.get_xticklabels():
        label.set_fontfamily(fonts.THAI_FAMILY)
    return figure_svg(fig)


def _table_frame(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "หมู่บ้าน": [f"บ้านก๊วยเตี๋ยว {i:02d}" for i in range(1, n + 1)],
            "ครัวเรือน": rng.integers(20, 3000, n),
            "ค่าประมาณ": rng.uniform(0, 100, n),
        }
    )


def build_notebook(lang: str = "th") -> nbformat.NotebookNode:
    """A small executed report notebook with every kind of content the renderer handles."""
    nb = new_notebook()
    nb.metadata["abcresearch"] = {
        "header": {"title": "ตำบลในเมือง · Nai Mueang", "subtitle": "รอบ 2568", "synthetic": True},
        "lang": lang,
    }
    nb.cells = [
        new_code_cell(PARAM_SOURCE, metadata={"tags": ["parameters"]}),
        new_code_cell(
            "area = '800101'",
            metadata={"tags": ["injected-parameters"]},
            outputs=[new_output("stream", name="stdout", text="injected_output_hidden\n")],
        ),
        new_markdown_cell(
            "# รายงานทุนชุมชน\n\n"
            + " ".join(THAI_WORDS)
            + " **ตัวหนา** *เอียง* `inline_code` [ลิงก์](https://example.org)\n\n"
            "- ข้อแรก\n- ข้อสอง\n  1. ย่อย\n\n> คำพูดอ้างอิง\n\n"
            "| ก | ข |\n|---|--:|\n| หนึ่ง | 1 |\n\n" + SPECIAL
        ),
        new_markdown_cell("hidden_markdown_cell", metadata={"tags": ["remove"]}),
        new_code_cell(
            CODE_SOURCE,
            execution_count=1,
            outputs=[
                new_output("stream", name="stdout", text="stdout_line_one\n"),
                new_output("stream", name="stdout", text="stdout_line_two\n"),
                new_output("stream", name="stderr", text="stderr_must_not_appear\n"),
            ],
        ),
        new_code_cell(
            "show_table(df)",
            execution_count=2,
            outputs=[
                new_output(
                    "display_data",
                    data={
                        TABLE_MIME: table_spec(
                            _table_frame(), caption="ตารางทดสอบ", notes="หมายเหตุ: สังเคราะห์"
                        ),
                        "text/html": "<table></table>",
                        "text/plain": "table_plain_fallback",
                    },
                )
            ],
        ),
        new_code_cell(
            "fig",
            execution_count=3,
            outputs=[
                new_output("display_data", data={"image/svg+xml": _thai_svg()}),
                new_output(
                    "execute_result",
                    data={"text/plain": "<Figure size 640x480 with 1 Axes>"},
                    execution_count=3,
                ),
            ],
        ),
        new_code_cell(
            "show_typst()",
            execution_count=4,
            outputs=[
                new_output(
                    "display_data",
                    data={TYPST_MIME: "#strong[typst_markup_ok]", "text/markdown": "md_fallback"},
                )
            ],
        ),
        new_code_cell(
            "1/0",
            execution_count=5,
            outputs=[
                new_output(
                    "error",
                    ename="ZeroDivisionError",
                    evalue="division by zero",
                    traceback=["\x1b[31mZeroDivisionError\x1b[0m: division by zero"],
                )
            ],
        ),
        new_raw_cell("#emph[raw_typst_ok]", metadata={"raw_mimetype": "text/x-typst"}),
    ]
    nbformat.validate(nb)
    return nb


def pdf_texts(pdf: bytes) -> list[str]:
    """Text of each page as pdfium extracts it (it honours /ActualText, like Chrome)."""
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return build_notebook()


@pytest.fixture(scope="module")
def pdf(notebook: nbformat.NotebookNode) -> bytes:
    return ThaiPDFExporter().from_notebook_node(notebook)[0]


def test_pdf_is_a_pdf_with_several_pages(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 2


def test_thai_words_survive(pdf: bytes) -> None:
    text = "".join(pdf_texts(pdf))
    for word in THAI_WORDS + ["ตารางทดสอบ", "บ้านก๊วยเตี๋ยว 30", "หมายเหตุ"]:
        assert word in text


def test_thai_words_in_pypdf_text(pdf: bytes) -> None:
    # Typst (krilla) maps Thai glyphs to whole clusters and relies on /ActualText, which pypdf
    # ignores (typst/typst#7610, #4225); render.textlayer rewrites the text layer after Typst.
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert all(word in text for word in THAI_WORDS)
    assert "ข้อมูลสังเคราะห์" in text and "บ้านก๊วยเตี๋ยว 30" in text


def test_hidden_things_are_absent(pdf: bytes) -> None:
    texts = "".join(pdf_texts(pdf)) + "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages
    )
    for hidden in (
        CODE_SOURCE,
        "secret_code_source",
        PARAM_SOURCE,
        "param_cell",
        "injected_output_hidden",
        "hidden_markdown_cell",
        "stderr_must_not_appear",
        "table_plain_fallback",
        "md_fallback",
        "Figure size",
    ):
        assert hidden not in texts


def test_outputs_are_typeset(pdf: bytes) -> None:
    text = "".join(pdf_texts(pdf))
    for shown in (
        "stdout_line_one",
        "stdout_line_two",
        "typst_markup_ok",
        "raw_typst_ok",
        "ZeroDivisionError: division by zero",
        "inline_code",
    ):
        assert shown in text
    assert "\x1b" not in text


def test_special_characters_are_shown_literally(pdf: bytes) -> None:
    text = " ".join("".join(pdf_texts(pdf)).split())
    assert " ".join(SPECIAL.split()) in text


def test_table_is_a_table_with_repeated_header(pdf: bytes) -> None:
    texts = pdf_texts(pdf)
    # Every row is text (not a picture), and numbers carry thousands separators.
    joined = "".join(texts)
    df = _table_frame()
    for name in df["หมู่บ้าน"]:
        assert name in joined
    big = int(df["ครัวเรือน"].max())
    assert f"{big:,}" in joined
    # The 30-row table spans a page break: its header row repeats on the next page.
    pages_with_rows = [i for i, t in enumerate(texts) if "บ้านก๊วยเตี๋ยว" in t]
    assert all("ค่าประมาณ" in texts[i] for i in pages_with_rows)


def test_header_and_page_numbers(pdf: bytes) -> None:
    texts = pdf_texts(pdf)
    n = len(texts)
    for i, text in enumerate(texts, start=1):
        assert "ตำบลในเมือง · Nai Mueang" in text
        assert f"หน้า {i} / {n}" in text
        assert "ข้อมูลสังเคราะห์" in text


def test_english_header() -> None:
    pdf = notebook_to_pdf_bytes(build_notebook(lang="en"))
    texts = pdf_texts(pdf)
    assert f"Page 1 of {len(texts)}" in texts[0]
    assert "SYNTHETIC DATA" in texts[0]


def test_first_page_is_not_blank(pdf: bytes) -> None:
    bitmap = pdfium.PdfDocument(pdf)[0].render(scale=1)
    pixels = np.asarray(bitmap.to_numpy())
    dark = (pixels[..., :3].min(axis=-1) < 128).mean()
    assert 0.005 < dark < 0.5


def test_figure_is_vector(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    curves = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        # Typst draws the SVG chart into the page (vector paths), never as a bitmap.
        assert all(x.get_object()["/Subtype"] != "/Image" for x in xobjects.values())
        curves += page.get_contents().get_data().split().count(b"c")
    # The Thai chart labels became paths (svg.fonttype="path"): many Bezier curves.
    assert curves > 200


def test_same_input_gives_same_pdf(notebook: nbformat.NotebookNode, pdf: bytes) -> None:
    again = ThaiPDFExporter().from_notebook_node(notebook)[0]
    assert again == pdf
    assert render_notebook(notebook).source == render_notebook(build_notebook()).source


def test_figure_svg_is_deterministic() -> None:
    assert _thai_svg() == _thai_svg()
    assert "<dc:date>" not in _thai_svg()


def test_exporter_is_registered() -> None:
    from nbconvert.exporters import get_export_names, get_exporter

    assert EXPORTER_NAME == "thai_pdf"
    assert get_exporter("thai_pdf") is ThaiPDFExporter
    names = get_export_names()
    assert "thai_pdf" in names and "abcresearch_pdf" not in names
    assert ThaiPDFExporter.output_mimetype == "application/pdf"
    assert ThaiPDFExporter.export_from_notebook == "Thai PDF (Typst)"
    assert ThaiPDFExporter().file_extension == ".pdf"


def test_nbconvert_command_line(tmp_path: Path, notebook: nbformat.NotebookNode) -> None:
    path = tmp_path / "executed.ipynb"
    nbformat.write(notebook, path)
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "thai_pdf", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "executed.pdf"
    assert out.read_bytes().startswith(b"%PDF-")
    assert "ผู้ใหญ่บ้าน" in "".join(pdf_texts(out.read_bytes()))


def test_notebook_to_pdf_writes_atomically(tmp_path: Path, notebook: nbformat.NotebookNode) -> None:
    nb_path = tmp_path / "area.ipynb"
    nbformat.write(notebook, nb_path)
    out = notebook_to_pdf(nb_path, tmp_path / "out" / "area.pdf")
    assert out.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in out.parent.iterdir()) == ["area.pdf"]


def test_notebook_to_typst_with_build_dir(tmp_path: Path, notebook: nbformat.NotebookNode) -> None:
    source = notebook_to_typst(notebook, build_dir=tmp_path)
    assert "#show: report.with(" in source
    assert CODE_SOURCE not in source
    images = list(tmp_path.glob("*.svg"))
    assert len(images) == 1
    assert images[0].name in source


def test_title_falls_back_to_first_heading() -> None:
    nb = new_notebook(cells=[new_markdown_cell("intro"), new_markdown_cell("## ตำบล *ทดสอบ*")])
    assert header_info(nb)["title"] == "ตำบล ทดสอบ"
    assert header_info(new_notebook(), "file-name")["title"] == "file-name"
    assert header_info(new_notebook())["lang"] == "th"
    with pytest.raises(ReportError):
        header_info(new_notebook(metadata={"abcresearch": {"lang": "fr"}}))


def test_escape_markup_protects_everything() -> None:
    assert escape_markup("#a") == "\\#a"
    assert escape_markup("12. x") == "12\\. x"
    assert escape_markup("ก๊วยเตี๋ยว") == "ก๊วยเตี๋ยว"


def test_table_spec_validation() -> None:
    with pytest.raises(ReportError):
        table_to_typst({"columns": ["a", "b"], "rows": [[1]]})
    with pytest.raises(ReportError):
        table_to_typst({"columns": []})
    with pytest.raises(ReportError):
        table_to_typst({"columns": ["a"], "rows": [[1]], "align": ["middle"]})
    out = table_to_typst({"columns": ["a", "b"], "rows": [["x", 1234.5], ["y", None]]})
    assert '"1,234.50"' in out
    assert "aligns: (left, right)" in out
    assert '"–"' in out


def test_a_number_format_rounds_half_up_as_every_printed_number() -> None:
    """A welfare projection printed 152,812.50 baht as 152,812 under a page that says numbers
    are rounded half up (Python's format() rounds a tie to the even digit)."""
    df = pd.DataFrame({"baht": [152812.5, 2.5], "rate": [0.25, 1.005], "n": [3, 4],
                       "share": [0.125, 0.145]})
    spec = table_spec(df, number_format={"baht": ",.0f", "rate": "{:,.1f} ต่อพัน", "n": "d",
                                         "share": "{:.0%}"})
    assert spec["rows"] == [["152,813", "0.3 ต่อพัน", "3", "13%"],
                            ["3", "1.0 ต่อพัน", "4", "15%"]]


def test_table_spec_from_dataframe() -> None:
    df = pd.DataFrame({"name": ["ก", None], "n": [1500, 2], "p": [0.123, float("nan")]})
    spec = table_spec(df, caption="c", number_format={"p": "{:.1%}"})
    assert spec["columns"] == ["name", "n", "p"]
    assert spec["rows"] == [["ก", "1,500", "12.3%"], [None, "2", None]]
    assert spec["align"] == ["left", "right", "right"]
    json.dumps(spec)  # the bundle must be JSON
    indexed = table_spec(df.set_index("name"))
    assert indexed["columns"][0] == "name"


def test_show_helpers_emit_bundles(monkeypatch: pytest.MonkeyPatch) -> None:
    from abcresearch.reports.render import display

    shown: list[dict[str, Any]] = []
    monkeypatch.setattr(display, "_display", shown.append)
    show_table(_table_frame(3), "ตาราง", "หมายเหตุ")
    show_typst("#strong[x]", "**x**")
    assert set(shown[0]) == {TABLE_MIME, "text/html", "text/plain"}
    assert len(shown[0][TABLE_MIME]["rows"]) == 3
    assert "ตาราง" in shown[0]["text/html"] and "หมายเหตุ" in shown[0]["text/plain"]
    assert shown[1][TYPST_MIME] == "#strong[x]"
    assert shown[1]["text/markdown"] == "**x**"


def test_figure_helper_displays_svg_and_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from abcresearch.reports.render import display

    shown: list[dict[str, Any]] = []
    monkeypatch.setattr(display, "_display", shown.append)
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    display.figure(fig)
    assert shown[0]["image/svg+xml"].lstrip().startswith("<?xml")
    assert not plt.fignum_exists(fig.number)


def test_fonts_come_from_the_font_package() -> None:
    files = fonts.font_files()
    assert files and all(p.is_file() for p in files)
    assert all("fontpkg_noto_sans_thai" in str(p) for p in files)
    rc = fonts.thai_rc()
    assert rc["font.sans-serif"][0] == "Noto Sans Thai"
    assert rc["svg.fonttype"] == "path"
    import matplotlib

    with matplotlib.rc_context():
        fonts.use_thai_font()
        assert matplotlib.rcParams["svg.hashsalt"] == fonts.SVG_HASHSALT
        from matplotlib import font_manager

        found = font_manager.findfont(font_manager.FontProperties(family="Noto Sans Thai"))
        assert "NotoSansThai" in found


@pytest.mark.parametrize(("module", "heavy"), [
    ("abcresearch.reports.render.exporter", ("pandas", "matplotlib")),
    # the batch and `abcresearch report` make PDFs without nbconvert (half a second to import)
    ("abcresearch.reports.render.pdf", ("pandas", "matplotlib", "nbconvert")),
])
def test_exporter_import_is_light(module: str, heavy: tuple[str, ...]) -> None:
    code = (
        f"import sys, {module}; "
        f"bad = [m for m in {heavy!r} if m in sys.modules]; "
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_bad_typst_markup_raises_report_error() -> None:
    nb = new_notebook(
        cells=[
            new_code_cell(
                "x",
                outputs=[new_output("display_data", data={TYPST_MIME: "#undefined-function()"})],
            )
        ]
    )
    with pytest.raises(ReportError, match="Typst"):
        notebook_to_pdf_bytes(nb)


def _never_run() -> nbformat.NotebookNode:
    nb = build_notebook()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def test_an_unexecuted_notebook_is_refused_not_typeset_empty(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="has not been run.*Run All Cells"):
        notebook_to_pdf_bytes(_never_run())
    with pytest.raises(ReportError, match="has not been run"):
        ThaiPDFExporter().from_notebook_node(_never_run())
    path = tmp_path / "fresh.ipynb"
    nbformat.write(_never_run(), path)
    proc = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "thai_pdf", str(path)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "has not been run" in proc.stderr
    assert not (tmp_path / "fresh.pdf").exists()
    # one sentence, what is wrong and what to do: nbconvert's 30-line traceback came first
    assert "Traceback" not in proc.stderr, proc.stderr
    said = [line for line in proc.stderr.splitlines() if "Converting notebook" not in line]
    assert len(said) == 1 and said[0].endswith(
        "notebook fresh has not been run, so it holds no report yet: run all cells "
        "(Run > Run All Cells), save, and export again (or export it from the command line "
        "with jupyter nbconvert --to thai_pdf --execute) · โน้ตบุ๊ก fresh ยังไม่ได้รันเซลล์ "
        "จึงยังไม่มีรายงาน เลือกเมนู Run > Run All Cells แล้วบันทึกและส่งออกอีกครั้ง "
        "(หรือส่งออกจากบรรทัดคำสั่งด้วย jupyter nbconvert --to thai_pdf --execute)"), proc.stderr
    # in Thai too: the exporter does not know whether its reader reads English
    with pytest.raises(ReportError, match="โน้ตบุ๊กนี้ยังไม่ได้รัน"):
        notebook_to_pdf_bytes(_never_run())
    # a notebook of Markdown only has nothing to run: it exports
    assert notebook_to_pdf_bytes(new_notebook(cells=[new_markdown_cell("# x")])).startswith(b"%PDF")


def test_header_shown_by_the_notebook_wins_over_metadata() -> None:
    nb = build_notebook(lang="th")  # metadata: ตำบลในเมือง, Thai
    shown = {"title": "Khanom Subdistrict · ตำบลขนอม", "subtitle": "Survey round 2549",
             "synthetic": True, "lang": "en"}
    nb.cells.insert(4, new_code_cell("page_header(report)", execution_count=1, outputs=[
        new_output("display_data", data={HEADER_MIME: shown, "text/plain": ""})]))
    info = header_info(nb)
    assert (info["title"], info["subtitle"], info["lang"]) == (
        shown["title"], "Survey round 2549", "en")
    texts = pdf_texts(notebook_to_pdf_bytes(nb))
    for i, text in enumerate(texts, start=1):
        assert "Khanom Subdistrict · ตำบลขนอม" in text and "Survey round 2549" in text
        assert f"Page {i} of {len(texts)}" in text and "SYNTHETIC DATA" in text
    assert "ตำบลในเมือง" not in "".join(texts)


def test_page_header_and_summary_bundles(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from abcresearch.reports.render import display
    from abcresearch.survey.areas import get_area

    shown: list[dict[str, Any]] = []
    monkeypatch.setattr(display, "_display", shown.append)
    report = SimpleNamespace(area=get_area("801501"), survey_round=2549, lang="en",
                             analysis=SimpleNamespace(synthetic=True))
    display.page_header(report)
    assert shown[0][HEADER_MIME] == {"title": "Khanom Subdistrict · ตำบลขนอม",
                                     "subtitle": "Survey round 2549", "synthetic": True,
                                     "lang": "en"}
    assert shown[0]["text/plain"] == ""
    display.write_summary({"grade": "B", "m0": np.float64(0.25), "share": float("nan")})
    assert shown[1][display.SUMMARY_MIME] == {"grade": "B", "m0": 0.25, "share": None}
    with pytest.raises(ReportError, match="not JSON"):
        display.write_summary({"x": object()})
    with pytest.raises(ReportError, match="language"):
        display.report_header(get_area("80"), 2549, "fr", False)


@pytest.mark.parametrize("name_en", ["Village 3 บ้านบางเคี่ยม", "Village 3 (บ้านบางเคี่ยม)"])
def test_a_village_name_is_not_said_twice_beside_the_thai_name(name_en: str) -> None:
    """A village's English name is "Village 3 บ้านบางเคี่ยม" (it was "Village 3 (บ้านบางเคี่ยม)");
    the header and cover of a Thai report read "หมู่ที่ 3 บ้านบางเคี่ยม · Village 3 (บ้านบางเคี่ยม)"
    (a reader's review): beside the Thai name the English name drops its Thai part, in both
    languages."""
    from dataclasses import replace

    from abcresearch.reports.formatting import Words
    from abcresearch.reports.render import display
    from abcresearch.reports.results import Typst
    from abcresearch.reports.sections.common import cover_block
    from abcresearch.survey.areas import get_area

    village = replace(get_area("80011203"), name_th="หมู่ที่ 3 บ้านบางเคี่ยม", name_en=name_en)
    assert display.report_header(village, 2549, "th", True)["title"] == \
        "หมู่ที่ 3 บ้านบางเคี่ยม · Village 3"
    assert display.report_header(village, 2549, "en", True)["title"] == \
        "Village 3 · หมู่ที่ 3 บ้านบางเคี่ยม"
    tambon = display.report_header(get_area("801501"), 2549, "th", True)["title"]
    assert tambon == "ตำบลขนอม · Khanom Subdistrict"
    # the area report's cover gives cover_block the English name as printed beside the Thai
    cover = cover_block(Words("th"), village.name_th, display.beside_thai(village, False), [],
                        False)
    (part,) = [p for p in cover.parts if isinstance(p, Typst)]
    for source in (part.markup, part.markdown):
        assert "Village 3" in source and source.count("บางเคี่ยม") == 1, source


def test_user_errors_in_one_sentence() -> None:
    from abcresearch.errors import AreaError, StoreError
    from abcresearch.reports.render.display import error_lines

    lines = error_lines(StoreError("the store data/store does not exist;\n run ingest"), "en")
    assert lines[0].endswith("StoreError\x1b[0m: the store data/store does not exist; run ingest")
    assert len(lines) == 2 and "make demo" in lines[1]
    assert "make demo" in error_lines(StoreError("x"), "th")[1]
    assert len(error_lines(AreaError("unknown area 809999"))) == 1


def test_warm_up_loads_what_the_first_pdf_needs_without_warnings() -> None:
    import warnings

    from abcresearch.reports.render import pdf, thai

    pdf.warm_up.cache_clear()  # an earlier report command in this process warmed it
    pdf.typst_fonts.cache_clear()
    # the word list is read through the segmenter's caches: an earlier test's Thai text may
    # have filled them (then the warm-up reads no list and the check below saw 0), the marked
    # texts' cache too (an earlier warm-up in the same process marked the same sentence)
    for cached in (thai._word_list, thai._bucket, thai._segment_run, thai._mark_word,
                   thai._marked):
        cached.cache_clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pdf.warm_up()
    assert pdf.typst_fonts.cache_info().currsize == 1
    assert thai._word_list.cache_info().currsize >= 1


def test_a_long_area_name_keeps_the_page_header_on_one_line() -> None:
    """An amphoe's header ("อำเภอเมืองนครศรีธรรมราช · Mueang Nakhon Si Thammarat District ·
    รอบการสำรวจ 2549") wrapped, breaking "รอบ|การสำรวจ": it is set smaller, the round whole."""
    nb = build_notebook(lang="th")
    shown = {"title": "อำเภอเมืองนครศรีธรรมราช · Mueang Nakhon Si Thammarat District",
             "subtitle": "รอบการสำรวจ 2549", "synthetic": True, "lang": "th"}
    nb.cells.insert(4, new_code_cell("page_header(report)", execution_count=1, outputs=[
        new_output("display_data", data={HEADER_MIME: shown, "text/plain": ""})]))
    doc = pdfium.PdfDocument(notebook_to_pdf_bytes(nb))
    page = doc[0].get_textpage()
    lines = [x for x in page.get_text_range().splitlines() if x.strip()]
    header = next(x for x in lines if "Mueang Nakhon Si Thammarat District" in x)
    assert "รอบการสำรวจ 2549" in header, lines[:3]


def test_numbers_written_as_text_line_up_on_the_right() -> None:
    """Shares with their interval, signed gaps with a star and years beside "–" were left-aligned
    beside right-aligned numbers."""
    frame = pd.DataFrame({"share": ["56 (54–59)", "×", "<5"], "gap": ["+9*", "-3", "+12*"],
                          "name": ["หมู่ที่ 1", "x", "y"], "year": ["2547", "–", "–"],
                          "dashes": ["–", "–", "–"], "n": [1, 2, 3]})
    assert table_spec(frame)["align"] == ["right", "right", "left", "right", "left", "right"]


def test_intervals_markers_and_bands_in_brackets_line_up_on_the_right() -> None:
    """Confidence intervals ("65–71", "0.386–0.427"), columns of only "<5" and "×" (no level-3
    household shown in any village) and counts with their support band in brackets ("3 (2)")
    were left-aligned beside right-aligned figures; a column of nothing but "–", and text,
    are not figures."""
    frame = pd.DataFrame({"ci": ["65–71", "0.386–0.427", "116,488–129,296"],
                          "level 3": ["<5", "<5", "×"], "withheld": ["×", "×", "×"],
                          "group A": ["1 (3)", "0 (6)", "12 (1)"],
                          "dashes": ["–", "–", "–"],
                          "name": ["หมู่ที่ 1 (บ้านนา)", "ปีละ 4 ครั้ง", "A–B"]})
    assert table_spec(frame)["align"] == ["right"] * 4 + ["left", "left"]


def test_a_figure_column_with_no_figure_to_show_stays_on_the_right() -> None:
    """A column of figures whose every cell is "–" (no village of a tambon has a master plan
    year) cannot be told from text by its cells and was set on the left beside the numbers; a
    column the caller declares numeric stays on the right, whatever it holds."""
    from abcresearch.reports.results import Table

    frame = pd.DataFrame({"village": ["หมู่ที่ 1", "หมู่ที่ 2"], "year": ["–", "–"],
                          "money": pd.Series([None, None], dtype=object),
                          "nan": [np.nan, np.nan], "text": ["–", "–"]})
    assert table_spec(frame)["align"] == ["left", "left", "left", "right", "left"]
    spec = table_spec(frame, numeric=["year", "money", "nan"])
    assert spec["align"] == ["left", "right", "right", "right", "left"]
    assert [row[1:3] for row in spec["rows"]] == [["–", None], ["–", None]]
    table = Table(frame, numeric=("year", "money"))
    assert table.spec["align"] == spec["align"]
    assert table.as_markdown().splitlines()[1] == "|:---|---:|---:|---:|:---|"
    # as printed: no figure in a figure column reads back as missing numbers
    assert table.to_frame()["year"].isna().all()
    with pytest.raises(ReportError, match="yaer"):
        table_spec(frame, numeric=["yaer"])


def test_a_table_row_is_never_split_across_pages() -> None:
    """A reader found one cell's last words alone at the top of a page (the rest of its row on
    the page before); a row now moves whole to the next page."""
    words = " ".join(["several words that wrap over a few lines of the narrow column"] * 9)
    df = pd.DataFrame({"what": [f"row{i}" for i in range(40)],
                       "rule": [f"start{i}x {words} end{i}x" for i in range(40)]})
    spec = table_spec(df, caption="A long table", notes="notes")
    nb = new_notebook(cells=[new_code_cell("table", execution_count=1, outputs=[
        new_output("display_data", data={TABLE_MIME: spec, "text/plain": "table"})])])
    texts = [t.replace("\r", " ").replace("\n", " ") for t in pdf_texts(
        notebook_to_pdf_bytes(nb))]
    assert len(texts) > 1, "the table spans pages"
    for i in range(40):
        pages = {p for p, t in enumerate(texts) if f"start{i}x" in t or f"end{i}x" in t}
        assert len(pages) == 1, (i, pages)


def _typst_notebook(*markups: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_code_cell("x", execution_count=1, outputs=[
        new_output("display_data", data={TYPST_MIME: m, "text/plain": ""})]) for m in markups])


def test_a_body_that_must_fit_the_page_is_set_smaller_until_it_does() -> None:
    """The one-page summary of a village ran four lines onto a second page: ``abc-fit`` sets
    its body at the first of its sizes at which it fits the page; a body that fits at the
    first size is set at that size."""
    line = "ครัวเรือนระดับ 1 เป็นสมาชิกกองทุนสวัสดิการชุมชน ร้อยละ 33 (29–38)"

    def pages(markup: str) -> int:
        return len(pdfium.PdfDocument(notebook_to_pdf_bytes(_typst_notebook(markup))))

    def size(markup: str) -> float:  # the font size the body's first word is set at
        import pypdfium2.raw as pdfium_raw

        text = pdfium.PdfDocument(notebook_to_pdf_bytes(_typst_notebook(markup)))[0].get_textpage()
        at = text.get_text_range().find("ครัวเรือนระดับ")
        return round(pdfium_raw.FPDFText_GetFontSize(text, at), 2)

    n = 30
    while pages("#[#set text(size: 9.5pt)\n" + "\n\n".join([line] * n) + "\n]") == 1:
        n += 2  # the fewest lines that run onto a second page at 9.5pt
    fitted = "#abc-fit[\n" + "\n\n".join([line] * n) + "\n]"
    assert pages(fitted) == 1
    assert 8.0 <= size(fitted) < 9.5  # set smaller ...
    assert size(f"#abc-fit[\n{line}\n]") == 9.5  # ... only where it must be
    # an English summary ran two lines over at 8pt (a reader review): 7.5pt is the last size;
    # one 1.7pt too tall at 8pt was set at 7.5pt, a tenth of its page blank (a reader review):
    # the sizes between are tried first
    while pages("#[#set text(size: 8pt)\n" + "\n\n".join([line] * n) + "\n]") == 1:
        n += 1
    fitted = "#abc-fit[\n" + "\n\n".join([line] * n) + "\n]"
    assert pages(fitted) == 1 and 7.5 < size(fitted) < 8.0
    while pages("#[#set text(size: 7.75pt)\n" + "\n\n".join([line] * n) + "\n]") == 1:
        n += 1
    fitted = "#abc-fit[\n" + "\n\n".join([line] * n) + "\n]"
    assert pages(fitted) == 1 and size(fitted) == 7.5


def test_a_table_of_few_rows_but_much_text_may_break_between_rows() -> None:
    """A 13-row table of long cells was kept whole as "short" and left half a page blank before
    it (a reader review): a table holding more than ``abc-keep-whole`` characters breaks
    between its rows, its header repeated; a small table stays whole."""
    cell = "ตรวจสิทธิและจัดหาที่ดินทำกินให้ครัวเรือนไร้ที่ดิน"  # 40-odd characters as read
    wordy = pd.DataFrame({"a": [cell] * 13, "b": [cell] * 13, "c": [cell] * 13})
    small = pd.DataFrame({"a": ["x"] * 3, "b": [1, 2, 3]})
    filler = "\n\n".join(["ข้อความเติมหน้า"] * 20)  # half a page

    def pages(df: pd.DataFrame) -> list[str]:
        from abcresearch.reports.render.display import TABLE_MIME
        nb = _typst_notebook(filler)
        nb.cells.append(new_code_cell("t", execution_count=2, outputs=[new_output(
            "display_data", data={TABLE_MIME: table_spec(df, caption="ตาราง"),
                                  "text/plain": ""})]))
        doc = pdfium.PdfDocument(notebook_to_pdf_bytes(nb))
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]

    wordy_pages = pages(wordy)
    # it starts under the filler, on the first page, and goes on on the next
    assert len(wordy_pages) == 2
    assert "ตรวจสิทธิ" in wordy_pages[0] and "ตรวจสิทธิ" in wordy_pages[1]
    assert len(pages(small)) == 1


def test_a_table_of_a_tambons_villages_breaks_where_moving_it_would_leave_a_gap() -> None:
    """A tambon's village tables (11-12 rows) moved whole to the next page and left up to a
    third of a page blank before them (a reader review): a table of more than
    ``abc-keep-rows`` rows starts on the page it comes to, its heading repeated on the next;
    a table of a few rows still moves whole."""
    from abcresearch.reports.render.display import TABLE_MIME

    def pages(rows: int, lines: int) -> list[str]:
        df = pd.DataFrame({"หมู่บ้าน": [f"หมู่ที่ {i + 1}" for i in range(rows)],
                           "ครัวเรือน": [100 + i for i in range(rows)]})
        nb = _typst_notebook("\n\n".join(["ข้อความเติมหน้า"] * lines))
        nb.cells.append(new_code_cell("t", execution_count=2, outputs=[new_output(
            "display_data", data={TABLE_MIME: table_spec(df, caption="ตารางหมู่บ้าน"),
                                  "text/plain": ""})]))
        doc = pdfium.PdfDocument(notebook_to_pdf_bytes(nb))
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]

    lines = 30
    while len(pages(6, lines)) == 1:
        lines += 1  # the fewest lines of text before it that a 6-row table no longer fits under
    few = pages(6, lines)  # moved whole to the next page, with its caption
    assert "หมู่ที่" not in few[0] and "ตารางหมู่บ้าน" in few[1] and "หมู่ที่ 6" in few[1]
    villages = pages(12, lines)  # at the same place: starts there
    assert len(villages) == 2
    first, second = villages
    # rows on both pages, the heading on both, the first two rows together with the caption
    assert "ตารางหมู่บ้าน" in first and "หมู่ที่ 1" in first and "หมู่ที่ 2" in first
    assert "หมู่ที่ 12" in second and not re.search(r"หมู่ที่ 1\s+100", second)
    assert re.search(r"หมู่ที่ 1\s+100", first)
    assert "ครัวเรือน" in first and "ครัวเรือน" in second


def test_a_closing_note_in_italics_stays_with_the_paragraph_before_it() -> None:
    """The methods' provenance line stood alone on an English report's last page (a reader
    review): a short italic note that closes a cell keeps the paragraph before it with it."""
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "Test"}, "lang": "en"}
    outputs = [new_output("display_data", data={"text/markdown": text, "text/plain": text})
               for text in ("Design of this round: every village.", "*Provenance: abc123*")]
    nb.cells = [new_code_cell("report.methods_note()", execution_count=1, outputs=outputs)]
    source = render_notebook(nb).source
    assert "#block(sticky: true)[Design of this round" in source
    # a note that is not the cell's last part, or not in italics, keeps nothing
    outputs.append(new_output("display_data", data={"text/markdown": "More.",
                                                    "text/plain": "More."}))
    assert "#block(sticky: true)[Design" not in render_notebook(nb).source


_MEMO_PROGRAM = '''
import sys, typst
from pathlib import Path
from abcresearch.reports.render.fonts import THAI_FAMILY
from abcresearch.reports.render.pdf import forget_compiles, typst_fonts
def rss(): return int(Path("/proc/self/statm").read_text().split()[1]) * 4096
body = "\\n\\n".join(f"= ส่วนที่ {i}\\n" + "ครัวเรือนในตำบลมีทุนมนุษย์และทุนทางสังคม " * 40 + f"{i}"
                     for i in range(40))
for k in range(12):
    # another size each time: nothing of one compile's layout serves the next (as reports)
    src = f'#set text(font: "{THAI_FAMILY}", size: {10 + k / 100}pt)\\n' + body
    typst.Compiler(root=".", font_paths=typst_fonts(), ignore_system_fonts=True).compile(
        src.encode(), format="pdf")
    if sys.argv[1] == "forget":
        forget_compiles()
    if k == 1:
        base = rss()
print(rss() - base)
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_forgetting_typst_compiles_keeps_a_process_that_makes_pdfs_from_growing(
        tmp_path: Path) -> None:
    """The Typst binding keeps what its last ten compiles used, so a process that compiles only
    PDFs (a Dask worker: its notebooks run in kernels) held ten reports' layouts, grew to
    1.2-1.3 GB over 16 tambon reports and was paused for good by Dask's memory limit (1.5 GB):
    the batch waited for ever. ``forget_compiles`` after each document keeps one's worth."""
    grown = {}
    for mode in ("keep", "forget"):
        out = subprocess.run([sys.executable, "-c", _MEMO_PROGRAM, mode], cwd=tmp_path,
                             capture_output=True, text=True, check=True, timeout=300)
        grown[mode] = int(out.stdout.split()[-1])
    assert grown["forget"] < 40e6, grown
    assert grown["keep"] - grown["forget"] > 50e6, grown  # what forgetting frees
