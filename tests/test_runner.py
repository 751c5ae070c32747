"""Tests of the single-report runner and the warm papermill engine (abcresearch.batch.runner,
abcresearch.batch.kernels).

The notebooks are small fixtures in ``tests/notebooks/``; the store is a fake one holding a
``manifest.json`` and one JSON file per area, enough for the runner's checks and fingerprints.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from fixtures.fake_store import ROUND, make_store

from abcresearch.batch import inprocess, kernels
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
    """Outputs of every code cell, without timing and execution metadata.

    Consecutive stream outputs of one stream are joined, as the PDF renderer joins them: a
    kernel on a loaded machine can flush one ``print`` as two messages (its text, then the
    newline), which is timing, not content (a clean-clone CI run failed on exactly that).
    """
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        joined: list[dict] = []
        for out in cell.outputs:
            out = dict(out)
            out.pop("metadata", None)
            if (out.get("output_type") == "stream" and joined
                    and joined[-1].get("output_type") == "stream"
                    and joined[-1].get("name") == out.get("name")):
                joined[-1] = {**joined[-1], "text": joined[-1]["text"] + out["text"]}
            else:
                joined.append(out)
        outs = [json.dumps(out, sort_keys=True) for out in joined]
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
    # (and the published tables as <code>.xlsx when the report has tables)
    xlsx = [paths.pdf.with_suffix(".xlsx")] if paths.pdf.with_suffix(".xlsx").exists() else []
    assert sorted(p.name for p in paths.pdf.parent.iterdir()) == sorted(
        p.name for p in (paths.pdf, paths.ipynb, paths.summary, paths.inputs, *xlsx))


@pytest.mark.parametrize("engine", [inprocess.ENGINE_NAME, kernels.ENGINE_NAME])
@pytest.mark.parametrize("code, reads", [("800101", 0), ("800103", 1)])
def test_the_executed_notebook_is_read_back_only_after_a_failure(
        store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: str,
        reads: int, engine: str) -> None:
    """papermill returns the notebook it ran: a report uses it (about 25 ms a report); only a
    failed run's notebook, with papermill's error banner, is read from the file it wrote."""
    calls: list[object] = []
    real = nbformat.read

    def counted(*args, **kwargs):
        if str(args[0]).endswith(".tmp.ipynb"):  # the file papermill wrote (not the input)
            calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(nbformat, "read", counted)
    outcome = run_report(code, ROUND, store=store, out=tmp_path, notebook=TINY, engine=engine)
    assert outcome.status == ("ok" if reads == 0 else "failed")
    assert len(calls) == reads
    monkeypatch.setattr(nbformat, "read", real)
    nb = nbformat.read(outcome.paths.ipynb, as_version=4)
    assert nb.metadata.abcresearch.header["title"]
    if reads == 0:  # the notebook's own path, not the temporary file's
        assert nb.metadata.papermill.output_path.endswith("2568/tambon/800101.ipynb")
    else:
        assert "papermill-error-cell-tag" in nb.cells[0].metadata.get("tags", [])


@pytest.mark.parametrize("engine", [kernels.ENGINE_NAME, inprocess.ENGINE_NAME])
def test_a_report_serialises_its_notebook_once_and_runs_it_as_papermill_does(
        store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: str) -> None:
    """papermill.execute_notebook wrote the executed notebook, which the runner then wrote
    again with its metadata (0.015-0.02 s a report): the runner runs papermill's steps without
    that write, and the notebook is papermill's (the same cells, parameters and outputs)."""
    import papermill
    import papermill.iorw

    from abcresearch.batch import runner

    written: list[object] = []
    real = papermill.iorw.write_ipynb
    monkeypatch.setattr(papermill.iorw, "write_ipynb",
                        lambda nb, path: written.append(path) or real(nb, path))
    monkeypatch.setattr("papermill.execute.write_ipynb", papermill.iorw.write_ipynb)
    given: list[dict] = []
    run = runner.execute_notebook
    monkeypatch.setattr(runner, "execute_notebook",
                        lambda nb, failed, parameters, *a: given.append(dict(parameters))
                        or run(nb, failed, parameters, *a))
    outcome = run_report("800101", ROUND, store=store, out=tmp_path / "a", notebook=TINY,
                         engine=engine)
    assert outcome.status == "ok", outcome.error
    assert written == [] and len(given) == 1
    ours = nbformat.read(outcome.paths.ipynb, as_version=4)
    parameters = given[0]
    theirs = papermill.execute_notebook(str(TINY), str(tmp_path / "papermill.ipynb"),
                                        parameters=dict(parameters), engine_name=engine,
                                        progress_bar=False, cwd=str(TINY.parent))
    assert comparable(ours) == comparable(theirs)
    assert ([c.metadata.get("tags", []) for c in ours.cells]
            == [c.metadata.get("tags", []) for c in theirs.cells])
    assert set(ours.metadata.papermill) >= set(theirs.metadata.papermill) - {"duration"}


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
    assert not outcome.paths.pdf.with_suffix(".xlsx").exists()
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


@pytest.mark.parametrize("engine", [kernels.ENGINE_NAME, inprocess.ENGINE_NAME])
def test_warm_equals_cold_and_nothing_leaks(store: Path, tmp_path: Path, engine: str) -> None:
    cold = run_report("800102", ROUND, store=store, out=tmp_path / "cold", notebook=TINY)
    # the warm kernel (or this process) first runs other areas, one of which fails mid-way;
    # every run leaves variables, a figure, rcParams, an environment variable, a cwd and a
    # seed behind
    for code in ("800101", "800103", "800101"):
        run_report(code, ROUND, store=store, out=tmp_path / "other", notebook=TINY,
                   engine=engine)
    warm = run_report("800102", ROUND, store=store, out=tmp_path / "warm", notebook=TINY,
                      engine=engine)
    assert cold.status == warm.status == "ok", warm.error
    nb_cold = nbformat.read(cold.paths.ipynb, as_version=4)
    nb_warm = nbformat.read(warm.paths.ipynb, as_version=4)
    assert comparable(nb_cold) == comparable(nb_warm)
    probe = json.loads(nb_warm.cells[4].outputs[0]["text"])
    assert probe == {"leaked_variable": False, "open_figures": 0, "rc_lines_linewidth": 1.5,
                     "env": None, "cwd_is_notebook_dir": True, "execution_count_start": 5}
    assert any("image/png" in o.get("data", {}) for o in nb_warm.cells[5].outputs)
    assert cold.summary == warm.summary
    assert cold.paths.pdf.read_bytes() == warm.paths.pdf.read_bytes()


def test_warm_reports_leave_no_exit_hooks_and_keep_the_processs_signal_handlers(
        store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a batch worker or a report server runs hundreds of notebooks in one process: none may
    # leave an exit hook behind (nbclient's would hold the client and its notebook) or replace
    # the process's SIGTERM handler (the report server stops on it)
    import atexit
    import signal

    hooks: list[object] = []
    monkeypatch.setattr(atexit, "register", lambda fn, *a, **k: hooks.append(fn) or fn)

    def handler(signum, frame):  # pragma: no cover - never called
        pass

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        for code in ("800101", "800102"):
            outcome = run_report(code, ROUND, store=store, out=tmp_path, notebook=TINY,
                                 engine=kernels.ENGINE_NAME)
            assert outcome.status == "ok", outcome.error
        assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert not [h for h in hooks if "nbclient" in repr(h) or "NotebookClient" in repr(h)]


def test_memory_a_notebook_leaves_in_its_namespace_does_not_replace_the_kernel(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the province overview leaves about 1 GB in its namespace, half of which the reset frees:
    # the kernel is measured after the reset and kept; memory the reset cannot free (here
    # parked in builtins) still gets the kernel replaced before the next notebook
    import papermill

    kernel = kernels.warm_up()
    pid = kernel.pid
    monkeypatch.setattr(kernel, "max_rss", kernel._rss() + 150_000_000)

    def run(code: str) -> None:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        path = tmp_path / "memory.ipynb"
        nbformat.write(nb, path)
        papermill.execute_notebook(str(path), str(path), engine_name=kernels.ENGINE_NAME,
                                   progress_bar=False)

    run("import numpy as np\nbig = np.ones(40_000_000)  # 320 MB, freed by the reset")
    assert kernel.pid == pid and kernel.alive
    run("import builtins, numpy as np\nbuiltins.abc_test_parked = np.ones(40_000_000)")
    assert kernel.pid == pid  # measured after the reset that freed the first notebook's array
    run("import builtins\nassert not hasattr(builtins, 'abc_test_parked')")
    assert kernel.alive and kernel.pid != pid


def test_a_kernel_stopped_while_it_starts_is_cancelled_and_leaves_no_process() -> None:
    # a batch with nothing to do stops its workers while their kernels are still starting:
    # the start is cancelled (not waited for) and nothing it launched keeps running
    import time

    import psutil

    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    kernel = kernels.WarmKernel()
    try:
        kernel.start_in_background()
        deadline = time.monotonic() + 30
        while kernel.pid is None and time.monotonic() < deadline:  # launched, not yet warm
            time.sleep(0.01)
        launched = kernel.pid
        kernel.shutdown()
        assert launched is not None and kernel.starts == 0 and kernel.km is None
        assert not psutil.pid_exists(launched) or psutil.Process(launched).status() == "zombie"
        left = {p.pid for p in me.children(recursive=True)} - before
        assert not [p for p in left if psutil.pid_exists(p)
                    and psutil.Process(p).status() != "zombie"]
        kernel.start_in_background()  # and the kernel can be started again
        kernel.shutdown()
        left = {p.pid for p in me.children(recursive=True)} - before
        assert not [p for p in left if psutil.pid_exists(p)
                    and psutil.Process(p).status() != "zombie"]
    finally:
        kernel.close()


def test_warm_notebooks_in_a_plain_thread_and_each_in_its_own_folder(tmp_path: Path) -> None:
    # a Dask worker runs reports in executor threads without an event loop of their own: the
    # warm engine works there too (the reset sent after each notebook goes out on the kernel's
    # own loop), and a notebook run from another folder than the one before runs in its own
    # folder, although the reset after the first one entered the first folder
    import threading

    import papermill

    folders = [tmp_path / "a", tmp_path / "b"]
    seen: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for folder in folders:
                folder.mkdir()
                nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
                    "import os\nprint(os.getcwd())")])
                nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                             "language": "python"}
                path = folder / "where.ipynb"
                nbformat.write(nb, path)
                out = papermill.execute_notebook(str(path), None, cwd=str(folder),
                                                 engine_name=kernels.ENGINE_NAME,
                                                 progress_bar=False)
                seen.append(out.cells[0].outputs[0]["text"].strip())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            kernels.POOL.close()  # the pool's kernels, this thread's among them

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert not errors, errors
    assert seen == [str(f) for f in folders]


def test_warm_engine_is_registered() -> None:
    from papermill.engines import papermill_engines

    assert papermill_engines.get_engine(kernels.ENGINE_NAME) is kernels.WarmKernelEngine


def test_executed_notebook_has_no_absolute_paths_and_pdf_permissions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9 item 11: the store is recorded relative to the project; modes like the PDF's."""
    from abcresearch.paths import project_path, project_root

    project = tmp_path / "project"
    project.mkdir()
    (project / "params").symlink_to(project_root() / "params", target_is_directory=True)
    store = make_store(project / "data", ["800101"])
    monkeypatch.setenv("ABCRESEARCH_ROOT", str(project))  # the kernel inherits it
    outcome = run_report("800101", ROUND, store=store, out=tmp_path / "reports", notebook=TINY)
    assert outcome.status == "ok", outcome.error
    text = outcome.paths.ipynb.read_text(encoding="utf-8")
    assert str(tmp_path) not in text
    nb = nbformat.read(outcome.paths.ipynb, as_version=4)
    assert nb.metadata.papermill.parameters["store"] == "data/store"
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'store = "data/store"' in injected.source
    for key in ("input_path", "output_path"):
        assert not Path(nb.metadata.papermill[key]).is_absolute()
    modes = {p.name: p.stat().st_mode for p in (outcome.paths.pdf, outcome.paths.ipynb,
                                                 outcome.paths.summary, outcome.paths.inputs)}
    assert len(set(modes.values())) == 1, modes

    # a store outside the project is spelled relative to it too, and reads back to itself
    monkeypatch.delenv("ABCRESEARCH_ROOT")
    elsewhere = make_store(tmp_path / "elsewhere", ["800101"])
    outcome = run_report("800101", ROUND, store=elsewhere, out=tmp_path / "r2", notebook=TINY)
    assert outcome.status == "ok", outcome.error
    recorded = nbformat.read(outcome.paths.ipynb, as_version=4).metadata.papermill.parameters
    assert not Path(recorded["store"]).is_absolute()
    assert project_path(recorded["store"]).resolve() == elsewhere.resolve()


def test_scheme_is_a_parameter_with_its_own_folder(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    default = run_report("800101", ROUND, store=store, out=out, notebook=TINY, scheme="scoring")
    assert default.paths.pdf == out / "2568" / "tambon" / "800101.pdf"
    assert "scheme" not in json.loads(default.paths.inputs.read_text())
    slf5 = run_report("800101", ROUND, store=store, out=out, notebook=TINY, scheme="slf5")
    assert slf5.status == "ok", slf5.error
    assert slf5.paths.pdf == out / "2568" / "scoring_slf5" / "tambon" / "800101.pdf"
    assert slf5.paths.pdf.is_file() and default.paths.pdf.is_file()
    nb = nbformat.read(slf5.paths.ipynb, as_version=4)
    assert nb.metadata.papermill.parameters["scheme"] == "scoring_slf5"
    assert "scheme scoring_slf5:" in nb.cells[3].outputs[0]["text"]
    assert "scheme" in json.loads(slf5.paths.inputs.read_text())


def test_an_english_report_has_its_own_folder_and_leaves_the_thai_one(store: Path,
                                                                      tmp_path: Path) -> None:
    # an English report of an area overwrote its Thai PDF, workbook and summary, which the
    # round's index page links to
    out = tmp_path / "reports"
    thai = run_report("800101", ROUND, store=store, out=out, notebook=TINY)
    before = thai.paths.pdf.read_bytes()
    english = run_report("800101", ROUND, store=store, out=out, notebook=TINY, lang="en")
    assert english.status == "ok", english.error
    assert english.paths.pdf == out / "2568" / "en" / "tambon" / "800101.pdf"
    assert english.paths.pdf.is_file() and thai.paths.pdf.read_bytes() == before
    slf5 = run_report("800101", ROUND, store=store, out=out, notebook=TINY, scheme="slf5",
                      lang="en")
    assert slf5.paths.pdf == out / "2568" / "scoring_slf5" / "en" / "tambon" / "800101.pdf"


def test_scheme_errors_before_any_kernel(store: Path, tmp_path: Path, capsys,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from abcresearch.cli import main
    from abcresearch.errors import ParamsError

    started: list[str] = []
    monkeypatch.setattr(kernels, "start_soon", lambda *a, **k: started.append("kernel"))
    monkeypatch.setattr(inprocess.NOTEBOOKS, "start", lambda *a, **k: started.append("shell"))

    with pytest.raises(ParamsError, match="no_such_scheme"):
        run_report("800101", ROUND, store=store, out=tmp_path, notebook=TINY,
                   scheme="no_such_scheme")
    with pytest.raises(ReportError, match="scheme"):  # a notebook without the parameter
        run_report("800101", ROUND, store=store, out=tmp_path,
                   notebook=NOTEBOOKS / "tiny_province.ipynb", scheme="slf5")
    code = main(["report", "--area", "800101", "--round", str(ROUND), "--store", str(store),
                 "--out", str(tmp_path), "--scheme", "no_such_scheme"])
    assert code == 2 and "no_such_scheme" in capsys.readouterr().err
    assert not (tmp_path / "2568").exists()
    # the command's notebook shell (or a kernel) starts only once its arguments are checked
    assert started == []


def test_a_failed_rerun_never_deletes_the_good_report(store: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 9 item 9: ``--force`` reruns a current report; if that run fails (here the
    typesetting), the good PDF and its side files stay; a stale report is still removed."""
    from abcresearch.reports.render import pdf

    out = tmp_path / "reports"
    good = run_report("800101", ROUND, store=store, out=out, notebook=TINY,
                      engine=kernels.ENGINE_NAME)
    assert good.status == "ok", good.error
    paths = good.paths
    before = {p: p.read_bytes() for p in (paths.pdf, paths.ipynb, paths.summary, paths.inputs)}

    def broken(*args, **kwargs):
        raise RuntimeError("typesetting crashed")

    monkeypatch.setattr(pdf, "compile_pdf", broken)
    forced = run_report("800101", ROUND, store=store, out=out, notebook=TINY,
                        engine=kernels.ENGINE_NAME)
    assert forced.status == "failed" and "typesetting crashed" in forced.error
    assert {p: p.read_bytes() for p in before} == before  # the good report is untouched
    assert "typesetting crashed" in paths.error.read_text()
    assert paths.failed_notebook.is_file()  # the failed run, beside the good one
    assert not list(paths.pdf.parent.glob(".*tmp*"))

    # a report whose inputs changed is stale: a failed run removes it, so it cannot look current
    paths.inputs.write_text(paths.inputs.read_text().replace("fp-800101", "fp-older"))
    stale = run_report("800101", ROUND, store=store, out=out, notebook=TINY,
                       engine=kernels.ENGINE_NAME)
    assert stale.status == "failed"
    assert not paths.pdf.exists() and not paths.inputs.exists() and not paths.summary.exists()
    assert paths.ipynb.is_file() and not paths.failed_notebook.exists()

    monkeypatch.undo()
    again = run_report("800101", ROUND, store=store, out=out, notebook=TINY,
                       engine=kernels.ENGINE_NAME)
    assert again.status == "ok", again.error
    assert not paths.error.exists() and not paths.failed_notebook.exists()


def test_report_command_runs_the_notebook_in_its_own_process(
        sample_store: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """``abcresearch report`` runs the notebook in its own process, with no kernel (issue 16
    item 3: cheaper than a kernel started beside its checks), writes the same files as
    ``run_report`` and leaves no process running."""
    import psutil

    from abcresearch.cli import main

    def no_kernel(*args, **kwargs):
        raise AssertionError("the report command started a kernel")

    monkeypatch.setattr(kernels, "WarmKernel", no_kernel)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    code = main(["report", "--area", "801501", "--round", "2549", "--store", str(sample_store),
                 "--out", str(tmp_path)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    paths = ReportPaths.for_area("801501", 2549, tmp_path)
    assert paths.pdf.read_bytes().startswith(b"%PDF") and paths.inputs.is_file()
    nb = nbformat.read(paths.ipynb, as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"][:2] == [1, 2]
    assert str(paths.pdf) in printed.out
    # the tables workbook it wrote is named too (a user's walk-through saw two of its files)
    assert str(paths.pdf.with_suffix(".xlsx")) in printed.out
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before
            and p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == []


def test_report_command_inside_an_ipython_session_runs_the_notebook_in_a_kernel(
        sample_store: Path, tmp_path: Path) -> None:
    """In someone's IPython session (a notebook calling the command's ``main``) the process's
    one shell is taken: the report runs in a warm kernel, and the session's matplotlib backend
    is left alone (the command used to fail with ``MultipleInstanceError``)."""
    import subprocess
    import sys

    script = tmp_path / "session.py"
    script.write_text(
        "import sys, matplotlib\n"
        "matplotlib.use('agg')\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "InteractiveShell.instance()\n"
        "from abcresearch.cli import main\n"
        f"code = main(['report', '--area', '801501', '--round', '2549', '--store', "
        f"{str(sample_store)!r}, '--out', {str(tmp_path / 'out')!r}])\n"
        "print('code', code, 'backend', matplotlib.get_backend())\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=Path(__file__).resolve().parent.parent)
    assert "code 0 backend agg" in proc.stdout, proc.stderr[-2000:]
    assert ReportPaths.for_area("801501", 2549, tmp_path / "out").pdf.is_file()


def test_a_kernel_that_dies_while_it_resets_is_noticed_at_once(tmp_path: Path,
                                                               monkeypatch) -> None:
    # a kernel killed (for memory, say) while it runs the reset sent after a notebook: the
    # wait for its answer ends within a second, not at the 120 s timeout, and the next
    # notebook runs on a fresh kernel
    import threading
    import time

    import papermill

    kernel = kernels.WarmKernel(imports=())
    try:
        kernel.start()
        # liveness comes from the process, not from a heartbeat thread (see WarmKernel._start)
        assert getattr(kernel.kc, "_hb_channel", None) is None
        msg_id = kernel.loop.run_until_complete(
            kernel._send("import os, time\ntime.sleep(0.5)\nos._exit(9)"))
        start = time.monotonic()
        with pytest.raises(kernels.KernelResetError, match="died"):
            kernel.loop.run_until_complete(kernel._wait(msg_id, timeout=60))
        assert time.monotonic() - start < 10
    finally:
        kernel.close()

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "answer.ipynb"
    nbformat.write(nb, path)
    monkeypatch.setenv("ABCRESEARCH_WARM_IMPORTS", "")  # kernels that start fast
    seen: list[tuple[str, int | None, float]] = []
    errors: list[BaseException] = []
    reset_errors: list[BaseException] = []
    finish_reset = kernels.WarmKernel._finish_reset

    def recorded(self, cwd):  # the next notebook finds the death while it waits for the reset
        try:
            return finish_reset(self, cwd)
        except Exception as exc:
            reset_errors.append(exc)
            raise

    monkeypatch.setattr(kernels.WarmKernel, "_finish_reset", recorded)

    def work() -> None:  # a thread of its own: its own pooled kernel
        try:
            for dies in (False, True):
                pooled = kernels.POOL.get("python3")
                if dies:  # the reset sent after the first notebook dies while it runs
                    pooled._pending_reset = (pooled.loop.run_until_complete(pooled._send(
                        "import os, time\ntime.sleep(3)\nos._exit(9)")), str(tmp_path))
                begin = time.monotonic()
                out = papermill.execute_notebook(str(path), None, cwd=str(tmp_path),
                                                 engine_name=kernels.ENGINE_NAME,
                                                 progress_bar=False)
                seen.append((out.cells[0].outputs[0]["text"].strip(), pooled.pid,
                             time.monotonic() - begin))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            kernels.POOL.close()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert not errors, errors
    (first, pid1, _), (second, pid2, took) = seen
    assert first == second == "42"
    assert pid1 != pid2  # a fresh kernel
    assert [type(e) for e in reset_errors] == [kernels.KernelResetError]
    assert "died" in str(reset_errors[0])
    assert took < 60  # a new kernel's start, not the 120 s wait


def test_socket_folders_of_killed_processes_are_removed_and_live_ones_kept(
        tmp_path: Path) -> None:
    # a worker killed outright (kill -9) cannot remove its kernel's socket folder; the next
    # kernel start removes it, and never the folder of a process still running
    import os
    import subprocess
    import sys

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead_pid = int(child.stdout)
    prefix = kernels.SOCKET_FOLDER_PREFIX
    dead = tmp_path / f"{prefix}{dead_pid}-abc123"
    live = tmp_path / f"{prefix}{os.getpid()}-def456"
    old_style = tmp_path / f"{prefix}xyz789"  # no owner in the name: left alone
    not_a_folder = tmp_path / f"{prefix}{dead_pid}-file"
    for folder in (dead, live, old_style):
        folder.mkdir()
        (folder / "k-1").write_text("")
    not_a_folder.write_text("")
    removed = kernels.remove_stale_socket_folders(tmp_path)
    assert removed == [str(dead)]
    assert not dead.exists() and live.is_dir() and old_style.is_dir() and not_a_folder.exists()
    assert kernels.remove_stale_socket_folders(tmp_path) == []


def test_one_cells_printed_lines_are_one_output_whatever_the_flush_timing(
        store: Path, tmp_path: Path) -> None:
    """A busy kernel can send a print's text and its newline as two messages; the executed
    notebook then differed by machine load (a clean-clone CI run failed on it). Consecutive
    stream outputs are joined, as JupyterLab and nbconvert show them."""
    nb = nbformat.read(TINY, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import sys\nprint('a', flush=True)\nsys.stdout.flush()\nprint('b', flush=True)"))
    path = tmp_path / "tiny_flush.ipynb"
    nbformat.write(nb, path)
    outcome = run_report("800101", ROUND, store=store, out=tmp_path / "out", notebook=path,
                         engine=kernels.ENGINE_NAME)
    assert outcome.status == "ok", outcome.error
    done = nbformat.read(outcome.paths.ipynb, as_version=4)
    outputs = done.cells[-1].outputs
    assert [(o.output_type, o.name, o.text) for o in outputs] == [("stream", "stdout", "a\nb\n")]


def test_stream_outputs_are_merged_as_nbconvert_merges_them() -> None:
    """The runner's own merge of stream outputs (nbconvert is not imported to make a report)
    against nbconvert's ``CoalesceStreamsPreprocessor``, the reference."""
    import copy

    import nbformat
    from nbconvert.preprocessors.coalescestreams import CoalesceStreamsPreprocessor
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from abcresearch.batch.runner import coalesce_streams

    def stream(name: str, text: str) -> nbformat.NotebookNode:
        return new_output("stream", name=name, text=text)

    nb = new_notebook(cells=[
        new_markdown_cell("# title"),
        new_code_cell("x", outputs=[]),
        new_code_cell("x", outputs=[stream("stdout", "a"), stream("stdout", "b\n"),
                                    stream("stderr", "warn\n"), stream("stdout", "c\n")]),
        new_code_cell("x", outputs=[stream("stdout", "10%\r50%\r100%\n"),
                                    new_output("display_data", data={"text/plain": "t"}),
                                    stream("stdout", "x\r"), stream("stdout", "y\n")]),
        new_code_cell("x", outputs=[new_output("execute_result", data={"text/plain": "1"},
                                               execution_count=1)]),
    ])
    ours = coalesce_streams(copy.deepcopy(nb))
    reference, _ = CoalesceStreamsPreprocessor().preprocess(copy.deepcopy(nb), {})
    assert nbformat.writes(ours) == nbformat.writes(reference)
    assert [o.text for o in ours.cells[2].outputs if o.output_type == "stream"] == \
        ["ab\n", "warn\n", "c\n"]
    assert ours.cells[3].outputs[0].text == "100%\n" and ours.cells[3].outputs[2].text == "y\n"


def test_a_report_is_made_without_importing_nbconvert(store: Path, tmp_path: Path) -> None:
    """Half a second of a cold ``abcresearch report`` and of each batch worker's start."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from abcresearch.batch import inprocess, kernels\n"
        "from abcresearch.batch.runner import run_report\n"
        "inprocess.NOTEBOOKS.start(imports=kernels.REPORT_IMPORTS)\n"
        f"o = run_report('800101', {ROUND}, store={str(store)!r}, out={str(tmp_path)!r}, "
        f"notebook={str(TINY)!r}, engine=inprocess.ENGINE_NAME)\n"
        "assert o.status == 'ok' and o.paths.pdf.is_file(), o.error\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'nbconvert')\n"
        "assert not bad, bad[:5]\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
