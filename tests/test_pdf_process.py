"""Tests of the PDF helper process of ``abcresearch report`` (abcresearch.batch.pdf_process).

The helper must make the same PDF bytes as the command's own process, pass Typst's warnings
back, and never cost a report: where it fails or has died, the runner typesets in its own
process. The console script's use of it (the same PDF as a report server's) is checked in
``test_server.py``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from fixtures.fake_store import ROUND, make_store
from test_report_export import build_notebook

from abcresearch.batch import inprocess, pdf_process
from abcresearch.batch.files import notebook_bytes
from abcresearch.batch.runner import run_report
from abcresearch.errors import AbcResearchWarning
from abcresearch.reports.render.pdf import notebook_to_pdf_bytes

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


def test_a_notebook_the_helper_cannot_typeset_or_a_dead_helper_gives_none(helper) -> None:
    assert helper.typeset(b"{not a notebook") is None
    assert helper.running  # a failed notebook does not stop it
    assert helper.typeset(notebook_bytes(build_notebook())) is not None
    assert helper._proc is not None
    helper._proc.kill()
    helper._proc.wait()
    assert helper.typeset(notebook_bytes(build_notebook())) is None


def test_an_unused_helper_is_killed_at_once_when_the_command_fails_first() -> None:
    helper = pdf_process.PdfProcess().start()
    proc = helper._proc
    helper.stop()  # it may still be warming up: not waited for
    assert proc is not None and proc.returncode is not None


def test_the_helpers_warnings_are_raised_again_in_the_command(tmp_path: Path) -> None:
    # a stand-in helper that answers by the protocol with two warnings and a "PDF"
    script = tmp_path / "fake_helper.py"
    script.write_text(textwrap.dedent("""
        import json, sys
        from abcresearch.batch import pdf_process as p
        while (data := p._receive(sys.stdin.buffer)) is not None:
            notes = [["AbcResearchWarning", "Typst: unknown font"], ["NoSuchWarning", "odd"]]
            p._send(sys.stdout.buffer, json.dumps({"ok": True, "warnings": notes}).encode())
            p._send(sys.stdout.buffer, b"%PDF-" + data)
            sys.stdout.buffer.flush()
    """), encoding="utf-8")
    helper = pdf_process.PdfProcess()
    helper._proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert helper.typeset(b"x" * 200_000) == b"%PDF-" + b"x" * 200_000
        assert [(w.category, str(w.message)) for w in caught] == [
            (AbcResearchWarning, "Typst: unknown font"), (UserWarning, "odd")]
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
        helped = run_report("800101", ROUND, store=store, out=tmp_path / "helped",
                            notebook=TINY, engine=inprocess.ENGINE_NAME)
        assert helped.status == "ok" and len(sent) == 1
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
