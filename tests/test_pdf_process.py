"""Tests of the PDF helper process of ``abcresearch report`` (abcresearch.batch.pdf_process).

The helper must make the same PDF bytes as the command's own process, pass Typst's warnings
back, and never cost a report: where it fails or has died, the runner typesets in its own
process. The console script's use of it (the same PDF as a report server's) is checked in
``test_server.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import nbformat
import pytest
from fixtures.fake_store import ROUND, make_store
from test_report_export import build_notebook

from abcresearch.batch import inprocess, pdf_process
from abcresearch.batch.files import notebook_bytes
from abcresearch.batch.runner import run_report
from abcresearch.errors import AbcResearchWarning, ReportError
from abcresearch.reports.render.pdf import (
    compile_pdf,
    lay_out,
    notebook_to_pdf_bytes,
    typst_document,
)
from abcresearch.reports.render.typst import PARTS_DEFS, part_file

TINY = Path(__file__).parent / "notebooks" / "tiny_area.ipynb"


@pytest.fixture
def helper():
    started = pdf_process.PdfProcess().start()
    yield started
    started.stop()


def test_the_helper_makes_the_same_pdf_as_this_process_and_is_reaped(helper) -> None:
    nb = build_notebook(lang="th")
    assert helper.running
    made = helper.typeset(notebook_bytes(nb))
    assert made is not None and made.startswith(b"%PDF")
    assert made == notebook_to_pdf_bytes(nb)
    # one helper makes one report after another
    assert helper.typeset(notebook_bytes(build_notebook(lang="en"))) == notebook_to_pdf_bytes(
        build_notebook(lang="en"))
    proc = helper._proc
    helper.stop()
    assert proc is not None and proc.returncode == 0  # it exited when its input closed
    assert not helper.running and helper.typeset(notebook_bytes(nb)) is None


@pytest.mark.parametrize("lang", ["th", "en"])
def test_a_document_rendered_in_parts_is_the_same_pdf(lang: str) -> None:
    """The helper typesets the template and each cell as files of their own, which Typst's
    memo cache reuses between a notebook's first pages and the whole: the same bytes."""
    nb = _without_raw_typst(build_notebook(lang=lang))
    whole, parts = typst_document(nb), typst_document(nb, parts=True)
    assert PARTS_DEFS in parts.files and part_file(0) in parts.files
    assert f'#include "{part_file(0)}"' in parts.source and "#let abc-table" not in parts.source
    assert compile_pdf(parts) == compile_pdf(whole)


def test_the_first_pages_laid_out_ahead_leave_the_pdf_as_it_is(helper) -> None:
    """Cells sent as they run (a part without outputs waits for the next that has some), a
    broken part ignored: the PDF typeset after them is the one this process makes."""
    nb = build_notebook(lang="th")
    sender = pdf_process.PartialSender(helper)
    sent: list[dict] = []
    real = helper.prepare

    def keep(data: bytes) -> None:
        sent.append(json.loads(data))
        real(data)

    helper.prepare = keep  # type: ignore[method-assign]
    for index in range(len(nb.cells)):
        sender(nb, index)
    with_outputs = [i for i, c in enumerate(nb.cells) if c.get("outputs")]
    assert len(sent) == len(with_outputs) and "metadata" in sent[0] and "metadata" not in sent[-1]
    assert [m["start"] for m in sent] == [0] + [i + 1 for i in with_outputs[:-1]]
    assert sum(len(m["cells"]) for m in sent) == with_outputs[-1] + 1
    real(b"{not json")  # ignored by the helper
    assert helper.typeset(notebook_bytes(nb)) == notebook_to_pdf_bytes(nb)


def test_every_first_part_of_a_report_lays_out() -> None:
    """The helper lays out the notebook as far as it has run: every prefix is a document."""
    nb = build_notebook(lang="th")
    for k in range(1, len(nb.cells) + 1):
        part = nbformat.from_dict({**nb, "cells": nb.cells[:k]})
        if any(c.get("outputs") for c in part.cells):
            lay_out(typst_document(part, parts=True))


def test_typst_with_a_rule_for_what_follows_is_rendered_as_one_file() -> None:
    """Typst of a researcher's own (a raw cell, or markup a cell displays) with a set rule at
    its top level styles every cell after it in one file, only its own as a part: such a
    notebook is not split; the PDF is the same either way."""
    from abcresearch.reports.render import TYPST_MIME

    def with_markup(markup: str) -> nbformat.NotebookNode:
        nb = _without_raw_typst(build_notebook(lang="th"))
        nb.cells.insert(2, nbformat.v4.new_code_cell("show_typst(...)", execution_count=1,
                        outputs=[nbformat.v4.new_output("display_data", data={
                            TYPST_MIME: markup, "text/plain": ""})]))
        return nb

    red = '#set text(fill: rgb("#b00020"))'
    top = with_markup(f"{red}\nred from here on")
    parts = typst_document(top, parts=True)
    assert PARTS_DEFS not in parts.files and "#include" not in parts.source
    assert compile_pdf(parts) == compile_pdf(typst_document(top))
    inside = with_markup(f"#block[\n{red}\nred here only\n]")  # the rule stays in its block
    parts = typst_document(inside, parts=True)
    assert PARTS_DEFS in parts.files
    assert compile_pdf(parts) == compile_pdf(typst_document(inside))
    # a raw Typst cell of a Thai report is switched to Thai at its top level: one file
    raw = nbformat.v4.new_raw_cell("#block[ok]")
    raw.metadata["raw_mimetype"] = "text/x-typst"
    inside.cells.insert(3, raw)
    assert PARTS_DEFS not in typst_document(inside, parts=True).files


def test_lay_out_says_when_typst_fails() -> None:
    doc = typst_document(build_notebook(lang="th"), parts=True)
    lay_out(doc)  # a report lays out without writing a PDF
    broken = type(doc)(source=doc.source + "\n#undefined-function()\n", files=doc.files)
    with pytest.raises(ReportError, match="could not lay the report out"):
        lay_out(broken)


def test_a_hook_after_each_cell_sees_every_cell_and_never_fails_the_report(
        tmp_path: Path) -> None:
    store = make_store(tmp_path, ["800101"])
    seen: list[int] = []

    def hook(nb, index: int) -> None:
        seen.append(index)
        raise RuntimeError("a watcher's own error")

    with inprocess.after_each_cell(hook):
        outcome = run_report("800101", ROUND, store=store, out=tmp_path / "out", notebook=TINY,
                             engine=inprocess.ENGINE_NAME)
    assert outcome.status == "ok"
    cells = json.loads(outcome.paths.ipynb.read_text(encoding="utf-8"))["cells"]
    assert seen == list(range(len(cells)))
    run_report("800101", ROUND, store=store, out=tmp_path / "again", notebook=TINY,
               engine=inprocess.ENGINE_NAME)
    assert seen == list(range(len(cells)))  # removed when the block ends


def test_a_notebook_the_helper_cannot_typeset_or_a_dead_helper_gives_none(helper) -> None:
    assert helper.typeset(b"{not a notebook") is None
    assert helper.running  # a failed notebook does not stop it
    assert helper.typeset(notebook_bytes(build_notebook())) is not None
    assert helper._proc is not None
    helper._proc.kill()
    helper._proc.wait()
    assert helper.typeset(notebook_bytes(build_notebook())) is None


def test_an_unused_helper_is_stopped_and_reaped_when_the_command_fails_first() -> None:
    helper = pdf_process.PdfProcess().start()
    proc = helper._proc
    helper.stop()  # it may still be warming up: killed, not waited for
    assert proc is not None and proc.returncode is not None
    assert not helper.running and helper.typeset(b"{}") is None


def _stand_in(tmp_path: Path, answer: str) -> pdf_process.PdfProcess:
    """A helper process that answers each request with ``answer`` (Python writing to out)."""
    body = "\n".join("    " + line for line in textwrap.dedent(answer).strip().splitlines())
    script = tmp_path / "stand_in.py"
    script.write_text(
        "import json, sys\n"
        "from abcresearch.batch import pdf_process as p\n"
        "out = sys.stdout.buffer\n"
        "while sys.stdin.buffer.read(1) and (data := p._receive(sys.stdin.buffer)) is not None:\n"
        f"{body}\n"
        "    out.flush()\n", encoding="utf-8")
    helper = pdf_process.PdfProcess()
    helper._proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE)
    return helper


def _without_raw_typst(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The test notebook without its raw Typst cell (whose language switch is top-level)."""
    return nbformat.from_dict({**nb, "cells": [c for c in nb.cells if c.cell_type != "raw"]})


def test_the_helpers_warnings_are_raised_again_in_the_command(tmp_path: Path) -> None:
    helper = _stand_in(tmp_path, """
        notes = [["abcresearch.errors:AbcResearchWarning", "Typst: unknown font"],
                 ["no.such.module:OddWarning", "odd"], ["builtins:FutureWarning", "later"]]
        out.write(p.REPLY_MAGIC)
        p._send(out, json.dumps({"ok": True, "warnings": notes}).encode())
        p._send(out, b"%PDF-" + data)
    """)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert helper.typeset(b"x" * 200_000) == b"%PDF-" + b"x" * 200_000
        assert [(w.category, str(w.message)) for w in caught] == [
            (AbcResearchWarning, "Typst: unknown font"), (UserWarning, "odd"),
            (FutureWarning, "later")]
    finally:
        helper.stop()


@pytest.mark.parametrize("answer", [
    'out.write(b"Typst says hello\\n" * 3)',  # something else on its output
    'out.write(p.REPLY_MAGIC + b"\\xff" * 8)',  # a length no reply has
    'out.write(p.REPLY_MAGIC); p._send(out, b"{not json"); p._send(out, b"%PDF-")',
])
def test_a_reply_that_is_not_one_gives_none_and_stops_the_helper(tmp_path: Path,
                                                                  answer: str) -> None:
    helper = _stand_in(tmp_path, answer)
    try:
        assert helper.typeset(b"{}") is None  # the command then typesets it itself
        assert not helper.running
    finally:
        helper.stop()


def test_a_helper_that_does_not_answer_in_time_is_killed(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_process, "TYPESET_TIMEOUT", 0.5)
    helper = _stand_in(tmp_path, "import time; time.sleep(60)")
    proc = helper._proc
    assert helper.typeset(b"{}") is None
    assert proc is not None and proc.returncode is not None  # killed and reaped


def test_a_stopped_helper_starts_again() -> None:
    nb = build_notebook(lang="th")
    helper = pdf_process.PdfProcess().start()
    try:
        helper.prepare(json.dumps({"start": 0, "cells": []}).encode())  # its writer started
        assert helper.typeset(notebook_bytes(nb)) is not None
        helper.stop()
        helper.start()
        assert helper.running and helper.typeset(notebook_bytes(nb)) == notebook_to_pdf_bytes(nb)
    finally:
        helper.stop()


def test_the_runner_uses_the_commands_helper_and_typesets_itself_when_it_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = make_store(tmp_path, ["800101"])
    plain = run_report("800101", ROUND, store=store, out=tmp_path / "plain", notebook=TINY,
                       engine=inprocess.ENGINE_NAME)
    assert plain.status == "ok"
    monkeypatch.setattr(pdf_process, "_ACTIVE", None)
    sent: list[bytes] = []
    try:
        helper = pdf_process.start()
        real = helper.typeset

        def watched(data: bytes) -> bytes | None:
            sent.append(data)
            return real(data)

        monkeypatch.setattr(helper, "typeset", watched)
        prepared: list[bytes] = []
        real_prepare = helper.prepare

        def watched_prepare(data: bytes) -> None:
            prepared.append(data)
            real_prepare(data)

        monkeypatch.setattr(helper, "prepare", watched_prepare)
        helped = run_report("800101", ROUND, store=store, out=tmp_path / "helped",
                            notebook=TINY, engine=inprocess.ENGINE_NAME)
        assert helped.status == "ok" and len(sent) == 1
        # the cells went to the helper as they ran, for it to lay the pages out ahead
        assert prepared and json.loads(prepared[0])["start"] == 0
        # the helper got the notebook as written beside the PDF, and made the same PDF
        assert sent[0] == helped.paths.ipynb.read_bytes()
        assert helped.paths.pdf.read_bytes() == plain.paths.pdf.read_bytes()
        monkeypatch.setattr(helper, "typeset", lambda data: None)  # failed or died
        fallback = run_report("800101", ROUND, store=store, out=tmp_path / "fallback",
                              notebook=TINY, engine=inprocess.ENGINE_NAME)
        assert fallback.status == "ok"
        assert fallback.paths.pdf.read_bytes() == plain.paths.pdf.read_bytes()
    finally:
        pdf_process.stop()
    assert pdf_process.active() is None
