"""A notebook that shows names, national IDs or phone numbers becomes no report: not in
JupyterLab's Thai PDF export, nor from ``abcresearch report`` or ``batch``.

A researcher's walk-through displayed ten rows of the raw export in a cell of their own; the
exported PDF printed the household heads' names, IDs and phones.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from fixtures.fake_store import ROUND, make_store
from fixtures.kobo import valid_pid
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from abcresearch.errors import PersonalDataError
from abcresearch.reports.render.publishable import check_publishable, personal_data_in

TINY = Path(__file__).parent / "notebooks" / "tiny_area.ipynb"


def _html_table(rows: list[list[str]], header: list[str]) -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _notebook(*cells) -> nbformat.NotebookNode:
    return new_notebook(cells=[new_markdown_cell("# A report"), *cells])


def _shown(html: str, plain: str = "table") -> nbformat.NotebookNode:
    return new_code_cell("raw.head()", execution_count=1, outputs=[new_output(
        "execute_result", data={"text/html": html, "text/plain": plain}, execution_count=1)])


def test_a_raw_export_shown_in_a_cell_is_refused_naming_the_cell_masked():
    pid = valid_pid(100100)
    html = _html_table([["สมพงษ์ แก้วทอง", pid, "0812345678"]],
                       ["hh/head_name", "hh/head_pid", "hh/phone"])
    nb = _notebook(new_code_cell("x = 1", execution_count=1), _shown(html))
    found = personal_data_in(nb)
    assert [cell for cell, _ in found] == [3]
    what = found[0][1]
    assert f"national ID …{pid[-2:]}" in what and "phone number …78" in what
    assert {"column hh/head_name", "column hh/head_pid", "column hh/phone"} <= set(what)
    with pytest.raises(PersonalDataError) as err:
        check_publishable(nb, "my_tambon")
    said = str(err.value)
    assert "cell 3" in said and "เซลล์ที่ 3" in said and "my_tambon" in said
    assert "เลขประจำตัวประชาชน …" in said and "national ID …" in said  # both languages
    assert pid not in said and "0812345678" not in said  # the message masks what it names


@pytest.mark.parametrize("text", [
    "3-8001-00100-00-4",  # the card's layout (check digit below)
    "โทร 081-234-5678",
    "+66 81 234 5678",
])
def test_ids_and_phones_are_found_as_people_write_them(text):
    if text.startswith("3-"):
        digits = valid_pid(100100)
        text = f"{digits[0]}-{digits[1:5]}-{digits[5:10]}-{digits[10:12]}-{digits[12]}"
    nb = _notebook(new_code_cell("print(...)", execution_count=1,
                                 outputs=[new_output("stream", name="stdout", text=text)]))
    assert [cell for cell, _ in personal_data_in(nb)] == [2]


def test_a_reports_own_figures_and_words_are_not_personal_data():
    """Rows of small numbers, money, codes, and prose that names the columns it dropped."""
    html = _html_table([["หมู่ที่ 1", "70 70 0 0 140 30 50", "1,234,567", "80010101"]],
                       ["หมู่บ้าน", "ระดับ", "บาท", "รหัส"])
    nb = _notebook(_shown(html),
                   new_markdown_cell("Names, national IDs and phone numbers are removed; "
                                     "the column head_name is dropped at ingest."),
                   new_code_cell('raw = raw.drop(columns=["hh/head_name", "hh/phone"])',
                                 execution_count=2))
    assert personal_data_in(nb) == []
    check_publishable(nb)


def test_the_exporter_refuses_and_names_the_cell_as_the_user_numbers_it():
    from abcresearch.reports.render.exporter import ThaiPDFExporter

    pid = valid_pid(100100)
    hidden = new_markdown_cell("notes to self")
    hidden.metadata["tags"] = ["remove"]  # the exporter's preprocessors drop it from its copy
    nb = new_notebook(cells=[hidden, new_markdown_cell("# A report"),
                             _shown(_html_table([[pid]], ["id"]))])
    with pytest.raises(PersonalDataError, match="cell 3 "):
        ThaiPDFExporter().from_notebook_node(nb)


def test_a_report_of_a_notebook_showing_personal_data_fails_and_writes_nothing(tmp_path):
    from abcresearch.batch import inprocess
    from abcresearch.batch.runner import run_report

    store = make_store(tmp_path, ["800101"])
    nb = nbformat.read(TINY, as_version=4)
    nb.cells.append(new_code_cell(f"print('head of household: {valid_pid(100100)}')"))
    path = tmp_path / "tiny_raw.ipynb"
    nbformat.write(nb, path)
    outcome = run_report("800101", ROUND, store=store, out=tmp_path / "out", notebook=path,
                         engine=inprocess.ENGINE_NAME)
    assert outcome.status == "failed"
    assert "PersonalDataError" in outcome.error and "national ID" in outcome.error
    # neither the report nor the failed run's notebook: nothing that holds the ID is written
    assert not outcome.paths.pdf.exists() and not outcome.paths.ipynb.exists()
    assert not outcome.paths.failed_notebook.exists()
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert all(valid_pid(100100) not in p.read_text(errors="replace") for p in written)
