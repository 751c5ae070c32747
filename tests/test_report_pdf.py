"""The real report notebooks, run through papermill and exported to PDF (issue: Thai PDF reports).

Text is extracted with pdfium (pypdfium2): Typst's PDF writer gives Thai text that pypdf cannot
extract reliably (see tests/test_report_export.py), while pdfium reads the marked-content text.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from abcresearch.batch.runner import run_report
from abcresearch.survey.pseudonyms import find_personal_data

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 comes with the dev extra")


def _pdf_text(path) -> tuple[str, int]:
    pdf = pdfium.PdfDocument(str(path))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    return text, len(pdf)


def _names(export) -> list[str]:
    hh = pd.read_csv(export / "household.csv", sep=";", dtype=str)
    mem = pd.read_csv(export / "member.csv", sep=";", dtype=str)
    return list(hh["hh/head_name"].dropna()) + list(mem["member/m_name"].dropna())


@pytest.fixture(scope="module")
def thai_report(sample_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    outcome = run_report("801501", 2549, store=sample_store, lang="th", out=out)
    assert outcome.status == "ok", outcome.error
    return outcome


def test_thai_pdf_has_area_capitals_and_grade(thai_report) -> None:
    text, pages = _pdf_text(thai_report.paths.pdf)
    assert 4 <= pages <= 20  # cover, summary, sections, what to do, welfare, methods
    assert "ขนอม" in text and "Khanom" in text
    for capital in ("ทุนมนุษย์", "ทุนเงินตรา", "ทุนภูมิปัญญา"):
        assert capital in text
    grade = thai_report.summary["grade"]
    from abcresearch.scoring.grades import load_grade_rules

    label = load_grade_rules().grade_labels[grade]["th"]
    # pdfium may add a space where Typst broke a line: compare without white space
    assert re.sub(r"\s", "", label) in re.sub(r"\s", "", text)
    assert "หน้า" in text


def test_no_personal_data_in_pdf_or_executed_notebook(thai_report, sample_export) -> None:
    names = _names(sample_export)
    text, _ = _pdf_text(thai_report.paths.pdf)
    assert find_personal_data(text, names=names) == []
    nb = nbformat.read(thai_report.paths.ipynb, as_version=4)
    # figures are SVG glyph outlines (numbers only): scan everything but the image payloads
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for mime in ("image/svg+xml", "image/png"):
                out.get("data", {}).pop(mime, None)
    assert find_personal_data(nbformat.writes(nb), names=names) == []


def test_first_page_renders(thai_report) -> None:
    pdf = pdfium.PdfDocument(str(thai_report.paths.pdf))
    img = np.asarray(pdf[0].render(scale=0.5).to_pil().convert("L"))
    assert img.std() > 10  # not a blank page
    assert (img < 128).mean() > 0.01  # there is ink


def test_english_report(sample_store, tmp_path) -> None:
    outcome = run_report("801501", 2549, store=sample_store, lang="en", out=tmp_path)
    assert outcome.status == "ok", outcome.error
    text, _ = _pdf_text(outcome.paths.pdf)
    assert "Khanom" in text and "Human capital" in text and "Page" in text
    assert "SYNTHETIC DATA" in text


def test_province_overview_and_index(sample_store, tmp_path) -> None:
    outcome = run_report("80", 2549, store=sample_store, lang="th", out=tmp_path)
    assert outcome.status == "ok", outcome.error
    text, _ = _pdf_text(outcome.paths.pdf)
    assert "นครศรีธรรมราช" in text and "ขนอม" in text


def test_the_cover_lists_each_section_on_the_page_it_starts(thai_report) -> None:
    """The cover was two-thirds empty: it lists the report's sections with their pages, the
    one-page summary first, each on the page the list names (a printed copy at a forum is read
    by turning to "what to do")."""
    pdf = pdfium.PdfDocument(str(thai_report.paths.pdf))
    cover = pdf[0].get_textpage().get_text_range()
    assert "สารบัญ" in cover
    entries = [(m.group(1).strip(), int(m.group(2))) for m in
               re.finditer(r"^(\S[^\n.]*?)\s*(?:\.\s*){3,}(\d+)\s*$",
                           cover.split("สารบัญ", 1)[1], flags=re.M)]
    names = [name for name, _ in entries]
    assert names[0] == "สรุปหนึ่งหน้า" and "สิ่งที่ควรทำ" in names and len(entries) >= 8
    pages = [page for _, page in entries]
    assert pages == sorted(pages) and pages[0] == 2 and pages[-1] <= len(pdf)
    for name, page in entries:
        text = pdf[page - 1].get_textpage().get_text_range()
        assert re.sub(r"\s", "", name) in re.sub(r"\s", "", text), (name, page)
