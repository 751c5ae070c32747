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


def _card_layout(pid: str) -> str:
    return f"{pid[0]}-{pid[1:5]}-{pid[5:10]}-{pid[10:12]}-{pid[12]}"


@pytest.mark.parametrize("text", [
    _card_layout(valid_pid(100100)),
    "".join("๐๑๒๓๔๕๖๗๘๙"[int(d)] for d in valid_pid(100100)),  # Thai digits
    "โทร 081-234-5678", "โทร.0812345678", "08-1234-5678", "+66 81 234 5678",
    "075-123-456",  # a provincial land line as written
    "+66 75 123 456", "02-123-4567",
])
def test_ids_and_phones_are_found_as_people_write_them(text):
    nb = _notebook(new_code_cell("print(...)", execution_count=1,
                                 outputs=[new_output("stream", name="stdout", text=text)]))
    assert [cell for cell, _ in personal_data_in(nb)] == [2]


@pytest.mark.parametrize("header", ["hh/head_name", "hh-phone", "member/m_pid", "head_pid"])
def test_identifying_columns_are_found_by_their_names(header):
    """ODK Central writes groups with "-" ("hh-phone"); Kobo with "/"."""
    nb = _notebook(_shown(_html_table([["x"]], [header])))
    assert personal_data_in(nb) == [(2, [f"column {header}"])]


def test_every_identifying_question_is_looked_for():
    """The scan reads the instrument only where an output holds one of the hints: a new
    identifying question whose name holds none of them would never be looked for."""
    from abcresearch.reports.render.publishable import _FIELD_HINTS
    from abcresearch.survey.instrument import IDENTIFYING, codebook

    cb = codebook()
    names = cb.loc[cb["personal"].isin(IDENTIFYING), "name"]
    assert len(names) and all(any(h in n for h in _FIELD_HINTS) for n in names)


def test_a_reports_own_figures_and_words_are_not_personal_data():
    """Rows of small numbers, money, codes, decimals, prose that names the columns it dropped,
    and an error that names one (it shows no values)."""
    html = _html_table([["หมู่ที่ 1", "70 70 0 0 140 30 50", "1,234,567", "80010101", "2549",
                         "0.0812345678", "0 70 0 140 30 0 0"]],
                       ["หมู่บ้าน", "ระดับ", "บาท", "รหัส", "ปี", "p", "n"])
    error = new_output("error", ename="KeyError", evalue="'head_name'",
                       traceback=["KeyError: 'head_name'"])
    nb = _notebook(_shown(html), new_code_cell("raw['head_name']", outputs=[error]),
                   new_markdown_cell("Names, national IDs and phone numbers are removed; "
                                     "the column head_name is dropped at ingest."),
                   new_code_cell('raw = raw.drop(columns=["hh/head_name", "hh/phone"])',
                                 execution_count=2))
    assert personal_data_in(nb) == []
    check_publishable(nb)


@pytest.mark.parametrize("with_ids", [True, False])
def test_the_exporter_refuses_and_names_the_cell_as_the_user_numbers_it(with_ids):
    """The exporter's preprocessors may drop cells from the copy it typesets (a tag of
    ``remove_cell_tags``); the message counts the cells of the user's notebook, found by their
    ids, or, in a notebook older than ids (nbformat 4.4), by their source."""
    from traitlets.config import Config

    from abcresearch.reports.render.exporter import ThaiPDFExporter

    pid = valid_pid(100100)
    hidden = new_markdown_cell("notes to self")
    hidden.metadata["tags"] = ["remove-cell"]
    nb = new_notebook(cells=[hidden, new_markdown_cell("# A report"),
                             _shown(_html_table([[pid]], ["id"]))])
    if not with_ids:
        nb.nbformat_minor = 4
        for cell in nb.cells:
            del cell["id"]
    config = Config({"TagRemovePreprocessor": {"remove_cell_tags": {"remove-cell"}}})
    exporter = ThaiPDFExporter(config=config)
    copy, _ = exporter._preprocess(nb, {})  # what the exporter typesets: one cell fewer
    assert len(copy.cells) == 2
    with pytest.raises(PersonalDataError, match="cell 3 "):
        exporter.from_notebook_node(nb)


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
    # named as the user's file numbers its cells (papermill's parameters cell is not in it)
    assert f"notebook tiny_raw shows personal data in cell {len(nb.cells)} " in outcome.error
    # neither the report nor the failed run's notebook: nothing that holds the ID is written
    assert not outcome.paths.pdf.exists() and not outcome.paths.ipynb.exists()
    assert not outcome.paths.failed_notebook.exists()
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert all(valid_pid(100100) not in p.read_text(errors="replace") for p in written)


def test_a_cell_failing_after_one_that_showed_personal_data_writes_none_of_it(tmp_path):
    """A run that failed wrote its notebook (banner and all) for the user to read; after a
    cell that showed the raw export, that notebook held the IDs (a code review)."""
    from abcresearch.batch import inprocess
    from abcresearch.batch.runner import run_report

    store = make_store(tmp_path, ["800101"])
    pid = valid_pid(100100)
    nb = nbformat.read(TINY, as_version=4)
    nb.cells.append(new_code_cell(f"print('head of household: {pid}')"))
    nb.cells.append(new_code_cell(f"raise ValueError('no row for {pid}')"))
    path = tmp_path / "tiny_raw_fails.ipynb"
    nbformat.write(nb, path)
    outcome = run_report("800101", ROUND, store=store, out=tmp_path / "out", notebook=path,
                         engine=inprocess.ENGINE_NAME)
    assert outcome.status == "failed" and "ValueError" in outcome.error
    assert pid not in outcome.error  # printed by the batch, listed on the index page
    assert not outcome.paths.ipynb.exists() and not outcome.paths.failed_notebook.exists()
    log = outcome.paths.error.read_text()
    assert "ValueError" in log and "<masked>" in log  # the log says what failed, masked
    written = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert written and all(pid not in p.read_text(errors="replace") for p in written)
