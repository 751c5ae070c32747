"""JupyterLab as a researcher uses it: a real server, the export menu's HTTP route, saving.

One JupyterLab server (the same ``jupyter lab`` that ``make lab`` starts) runs on a free port of
127.0.0.1 with a token, in a temporary root holding a project (``params/``, a copy of
``notebooks/``, ``data/store`` = the session's sample store). JupyterLab's *File > Save and Export
Notebook As > Thai_pdf* fetches ``GET /nbconvert/thai_pdf/<path>?download=true`` and its save is
``PUT /api/contents/<path>``: both are exercised over HTTP, no browser needed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import papermill
import pytest
from fixtures.notebook_checks import NB_DIR, structural_problems

from abcresearch.batch.runner import run_report
from abcresearch.paths import project_root
from abcresearch.reports.render.exporter import EXPORTER_NAME

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 comes with the dev extra")

TOKEN = "abcresearch-test-token"
AREA = "801501"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server and a small HTTP client for it."""

    def __init__(self, root: Path, port: int, proc: subprocess.Popen, log: Path) -> None:
        self.root, self.port, self.proc, self.log = root, port, proc, log
        self.base = f"http://127.0.0.1:{port}"

    def request(self, method: str, path: str, body: dict | None = None
                ) -> tuple[int, dict[str, str], bytes]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def save(self, path: str, nb: nbformat.NotebookNode) -> None:
        """Save a notebook the way JupyterLab does (contents API)."""
        status, _, body = self.request("PUT", f"/api/contents/{path}",
                                       {"type": "notebook", "format": "json", "content": nb})
        assert status in (200, 201), body[:500]


@pytest.fixture(scope="module")
def lab(sample_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """JupyterLab on a free local port, rooted in a temporary project; stopped afterwards."""
    root = tmp_path_factory.mktemp("lab-root")
    (root / "params").symlink_to(project_root() / "params", target_is_directory=True)
    shutil.copytree(NB_DIR, root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "data").mkdir()
    (root / "data" / "store").symlink_to(sample_store, target_is_directory=True)
    home = tmp_path_factory.mktemp("lab-home")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    port = _free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
           "--ip=127.0.0.1", f"--ServerApp.root_dir={root}",
           f"--IdentityProvider.token={TOKEN}", "--ServerApp.port_retries=0",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class="
           "jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = home / "lab.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Lab(root, port, proc, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, f"JupyterLab exited:\n{log.read_text()[-3000:]}"
            try:
                if server.request("GET", "/api/status")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"no JupyterLab in 90 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_lab_page_and_the_exporter_in_its_menu(lab: Lab) -> None:
    status, _, page = lab.request("GET", "/lab")
    assert status == 200 and b"JupyterLab" in page
    status, _, body = lab.request("GET", "/api/nbconvert")
    formats = json.loads(body)
    assert formats[EXPORTER_NAME]["output_mimetype"] == "application/pdf"
    # JupyterLab's menu label is the name with its first letter upper-cased: "Thai_pdf"
    assert EXPORTER_NAME[0].upper() + EXPORTER_NAME[1:] == "Thai_pdf"
    assert "abcresearch_pdf" not in formats


def _pages(pdf: bytes) -> list[str]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def test_export_through_the_server_equals_the_command_line_pdf(
        lab: Lab, sample_store: Path, tmp_path: Path) -> None:
    # the unedited notebook, run from its folder in the lab's project: only the area is set
    notebooks = lab.root / "notebooks"
    executed = papermill.execute_notebook(
        str(notebooks / "area_report.ipynb"), None, parameters={"area_code": AREA},
        cwd=str(notebooks), progress_bar=False)
    lab.save("notebooks/area_report.ipynb", executed)  # File > Save
    status, headers, pdf = lab.request(
        "GET", f"/nbconvert/{EXPORTER_NAME}/notebooks/area_report.ipynb?download=true")
    assert status == 200, pdf[:2000]
    assert headers["Content-Type"].startswith("application/pdf")
    assert "area_report.pdf" in headers["Content-Disposition"]

    cli = run_report(AREA, 2549, store=sample_store, out=tmp_path / "reports")
    assert cli.status == "ok", cli.error
    assert pdf == cli.paths.pdf.read_bytes()

    pages = _pages(pdf)
    first = pages[0].replace("\r\n", "\n")
    assert "ขนอม" in first and "Khanom" in first
    assert "ข้อมูลสังเคราะห์" in first
    for number, text in enumerate(pages, start=1):  # area, round and synthetic label on each
        flat = "".join(text.split())
        assert "ตำบลขนอม·KhanomSubdistrict" in flat, number
        assert "2549" in flat and "ข้อมูลสังเคราะห์" in flat, number
    image = pdfium.PdfDocument(pdf)[0].render(scale=0.5).to_numpy()
    assert image.std() > 10  # a page with ink, not blank

    # what JupyterLab saved (outputs, kernel metadata) keeps the structural checks green
    saved = lab.root / "notebooks" / "area_report.ipynb"
    assert any(c.get("outputs") for c in nbformat.read(saved, as_version=4).cells)
    assert structural_problems(saved) == []


def test_an_unexecuted_notebook_exports_with_a_clear_message(lab: Lab) -> None:
    # an unexecuted copy of its own: the shipped notebook may have been run and saved by a
    # researcher (the lab root copies the working tree's notebooks)
    nb = nbformat.read(lab.root / "notebooks" / "methods.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, lab.root / "notebooks" / "unexecuted_methods.ipynb")
    status, _, body = lab.request(
        "GET", f"/nbconvert/{EXPORTER_NAME}/notebooks/unexecuted_methods.ipynb?download=true")
    assert status == 500
    assert b"has not been run" in body and b"Run All Cells" in body
    assert not body.startswith(b"%PDF")
