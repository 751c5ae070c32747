"""Tests of the single-report runner and the warm papermill engine (abcresearch.batch.runner, .kernels).

The notebooks are small fixtures in ``tests/notebooks/``; the store is a fake one holding a
``manifest.json`` and one JSON file per area, enough for the runner's checks and fingerprints.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from fixtures.fake_store import ROUND, make_store

from abcresearch.batch import kernels
from abcresearch.batch.runner import ReportPaths, run_report
from abcresearch.errors import AreaError, ReportError, StoreError

NOTEBOOKS = Path(__file__).parent / "notebooks"
TINY = NOTEBOOKS / "tiny_area.ipynb"


@pytest.fixture(scope="module", autouse=True)
def _stop_warm_kernels():
    yield
    kernels.POOL.close()


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return make_store(tmp_path, ["800101", "800102", "800103"], fail=("800103",))


def comparable(nb: nbformat.NotebookNode) -> list:
    """Outputs of every code cell, without timing and execution metadata."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs = []
        for out in cell.outputs:
            out = dict(out)
            out.pop("metadata", None)
            outs.append(json.dumps(out, sort_keys=True))
        cells.append((cell.source, cell.execution_count, outs))
    return cells


def test_report_files_and_metadata(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    outcome = run_report("800101", ROUND, store=store, out=out, notebook=TINY,
                         engine=kernels.ENGINE_NAME)
    assert outcome.status == "ok", outcome.error
    paths = ReportPaths.for_area("800101", ROUND, out)
    assert outcome.paths == paths
    assert paths.pdf == out / "2568" / "tambon" / "800101.pdf"
    assert paths.pdf.read_bytes().startswith(b"%PDF")
    nb = nbformat.read(paths.ipynb, as_version=4)
    header = nb.metadata.abcresearch.header
    assert header["synthetic"] is True and "2568" in header["subtitle"]
    assert "ตำบล" in header["title"]
    summary = json.loads(paths.summary.read_text())
    assert summary == nb.metadata.abcresearch.summary == outcome.summary
    assert summary["grade"] == "A" and summary["households"] == 100
    assert json.loads(paths.inputs.read_text())["data"] == "fp-800101"
    assert not paths.error.exists()
    # no temporary files left behind
    assert sorted(p.name for p in paths.pdf.parent.iterdir()) == sorted(
        p.name for p in (paths.pdf, paths.ipynb, paths.summary, paths.inputs))


def test_failure_keeps_notebook_with_banner_and_error_log(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    outcome = run_report("800103", ROUND, store=store, out=out, notebook=TINY,
                         engine=kernels.ENGINE_NAME)
    assert outcome.status == "failed"
    assert "deliberate failure" in outcome.error
    log = outcome.paths.error.read_text()
    assert "ValueError: deliberate failure for area 800103" in log
    assert "raise ValueError" in log  # the failing cell's source
    nb = nbformat.read(outcome.paths.ipynb, as_version=4)
    assert "papermill-error-cell-tag" in nb.cells[0].metadata.get("tags", [])
    assert not outcome.paths.pdf.exists() and not outcome.paths.inputs.exists()
    with pytest.raises(ReportError, match="800103 failed"):
        outcome.raise_for_status()


def test_checks_before_running(store: Path, tmp_path: Path) -> None:
    with pytest.raises(AreaError):
        run_report("809999", ROUND, store=store, out=tmp_path, notebook=TINY)
    with pytest.raises(AreaError):
        run_report("80x1", ROUND, store=store, out=tmp_path, notebook=TINY)
    with pytest.raises(StoreError, match="2500"):
        run_report("800101", 2500, store=store, out=tmp_path, notebook=TINY)
    with pytest.raises(ReportError, match="area_code"):
        run_report("800101", ROUND, store=store, out=tmp_path,
                   notebook=NOTEBOOKS / "wrong_parameters.ipynb")
    with pytest.raises(ReportError, match="colour"):
        run_report("800101", ROUND, store=store, out=tmp_path, notebook=TINY,
                   extra_parameters={"colour": "red"})
    with pytest.raises(ReportError, match="language"):
        run_report("800101", ROUND, store=store, out=tmp_path, notebook=TINY, lang="fr")
    assert not (tmp_path / "2568").exists()


def test_warm_equals_cold_and_nothing_leaks(store: Path, tmp_path: Path) -> None:
    cold = run_report("800102", ROUND, store=store, out=tmp_path / "cold", notebook=TINY)
    # the warm kernel first runs other areas, one of which fails mid-way; every run leaves
    # variables, a figure, rcParams, an environment variable, a cwd and a seed behind
    for code in ("800101", "800103", "800101"):
        run_report(code, ROUND, store=store, out=tmp_path / "other", notebook=TINY,
                   engine=kernels.ENGINE_NAME)
    warm = run_report("800102", ROUND, store=store, out=tmp_path / "warm", notebook=TINY,
                      engine=kernels.ENGINE_NAME)
    assert cold.status == warm.status == "ok"
    nb_cold = nbformat.read(cold.paths.ipynb, as_version=4)
    nb_warm = nbformat.read(warm.paths.ipynb, as_version=4)
    assert comparable(nb_cold) == comparable(nb_warm)
    probe = json.loads(nb_warm.cells[4].outputs[0]["text"])
    assert probe == {"leaked_variable": False, "open_figures": 0, "rc_lines_linewidth": 1.5,
                     "env": None, "cwd_is_notebook_dir": True, "execution_count_start": 5}
    assert any("image/png" in o.get("data", {}) for o in nb_warm.cells[5].outputs)
    assert cold.summary == warm.summary
    assert cold.paths.pdf.read_bytes() == warm.paths.pdf.read_bytes()


def test_warm_engine_is_registered() -> None:
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine(kernels.ENGINE_NAME) is kernels.WarmKernelEngine
