"""The in-process engine: the outputs a kernel gives, time limits, the caller's state kept,
a fallback to a warm kernel where the process cannot run notebooks, and a local batch that
goes on when a notebook kills its worker."""

from __future__ import annotations

import json
import os
import random
import re
import threading
from pathlib import Path
from typing import Any

import matplotlib as mpl
import nbformat
import papermill
import pytest
from fixtures.fake_store import ROUND, make_store

from abcresearch.batch import inprocess, kernels
from abcresearch.batch.run import run_batch

NOTEBOOKS = Path(__file__).parent / "notebooks"
TINY = NOTEBOOKS / "tiny_area.ipynb"
PROVINCE = NOTEBOOKS / "tiny_province.ipynb"


@pytest.fixture(scope="module", autouse=True)
def _stop_warm_kernels():
    yield
    kernels.POOL.close()


def _notebook(tmp_path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / "cells.ipynb"
    nbformat.write(nb, path)
    return path


def _outputs(nb: nbformat.NotebookNode) -> list:
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":  # papermill's error banner
            continue
        outs = []
        for out in cell.outputs:
            text = json.dumps(out, sort_keys=True)
            # a warning names the file a kernel's compiler wrote the cell to (its pid in it)
            outs.append(re.sub(r"ipykernel_\d+", "ipykernel_N", text))
        cells.append((cell.execution_count, outs))
    return cells


CELLS = (
    # (a kernel sends stdout and stderr as separately buffered streams: how they interleave
    # within one cell is timing there, so each cell here writes to one of them)
    "print('a')\nprint('b', end='')\nprint('c')",
    "import sys\nprint('to stderr', file=sys.stderr)",
    "from IPython.display import Markdown, clear_output, display\n"
    "handle = display(Markdown('first'), display_id=True)\n"
    "handle.update(Markdown('second'))\n"
    "display({'a': 1}, raw=False)\n"
    "import datetime, numpy as np\n"  # what JSON changes on the way, and what it keeps
    "display({'application/json': {'day': datetime.date(2026, 1, 2), 'n': np.int64(3)}},"
    " raw=True)\n"
    "display({'application/json': {'x': np.float64(0.1)}}, raw=True)\n"
    "display({'application/json': {7: True}}, raw=True)\n"
    "display({'text/plain': 'ไทย \\udcff'}, raw=True)\n"
    "display({'application/json': {'pair': (1, (2.5, None)), 'ทุน': 'ไทย', 'big': 10**30}},"
    " raw=True, metadata={'k': ('v',)})",
    "print('gone')\nclear_output(wait=True)\nprint('kept')",
    "import warnings\nwarnings.warn('careful')",
    "{'answer': 42, 'pi': 3.5}",
    "",  # an empty cell is not run (no execution count)
    "raise KeyError('missing')",
    "print('never runs')",
)


@pytest.mark.filterwarnings("default")  # the warnings filters of a worker, not pytest's errors
def test_outputs_are_those_a_fresh_kernel_gives(tmp_path: Path) -> None:
    path = _notebook(tmp_path, *CELLS)
    with pytest.raises(papermill.PapermillExecutionError):  # a fresh kernel: the reference
        papermill.execute_notebook(str(path), str(tmp_path / "cold.ipynb"), progress_bar=False)
    cold = nbformat.read(tmp_path / "cold.ipynb", as_version=4)
    with pytest.raises(papermill.PapermillExecutionError) as raised:
        papermill.execute_notebook(str(path), str(tmp_path / "in.ipynb"), progress_bar=False,
                                   engine_name=inprocess.ENGINE_NAME)
    assert raised.value.ename == "KeyError"
    mine = nbformat.read(tmp_path / "in.ipynb", as_version=4)
    assert _outputs(mine) == _outputs(cold)
    assert mine.metadata["language_info"] == cold.metadata["language_info"]
    # and what was shown is what a reader of the notebook sees
    code = [c for c in mine.cells if c.cell_type == "code"]
    assert code[0].outputs[0]["text"] == "a\nbc\n"
    assert code[2].outputs[0]["data"]["text/markdown"] == "second"
    assert [o["text"] for o in code[3].outputs] == ["kept\n"]
    assert "UserWarning: careful" in code[4].outputs[0]["text"]
    assert code[6].execution_count is None and code[6].outputs == []
    assert code[8].outputs == [] and code[8].execution_count is None


def test_display_data_comes_back_as_json_would_deliver_it() -> None:
    """The engine hands display data on as a kernel's JSON message would (a copy of JSON's own
    types, the rest through jupyter_client's packer), types included, not only its text."""
    import datetime
    import warnings

    import numpy as np
    from jupyter_client.session import json_packer, json_unpacker

    class Text(str):
        pass

    class Number(int):
        pass

    def typed(value: Any) -> Any:  # the value with the type of every part of it
        if isinstance(value, dict):
            return ("dict", [(type(k).__name__, repr(k), typed(v)) for k, v in value.items()])
        if isinstance(value, list | tuple):
            return (type(value).__name__, [typed(v) for v in value])
        return (type(value).__name__, repr(value))

    deep: Any = []
    for _ in range(600):
        deep = [deep]
    contents = [
        {"data": {"text/plain": "ทุน", "image/svg+xml": "<svg/>"}, "metadata": {}},
        {"data": {"a": (1, (2.5, None, True)), "big": 10**30, "z": -0.0, "l": [[1], ["x"]]},
         "metadata": {"k": ("v",)}},
        {"data": {"day": datetime.date(2026, 1, 2), "n": np.int64(3)}, "metadata": {}},
        {"data": {"x": np.float64(0.1)}, "metadata": {}},
        {"data": {"y": np.int8(-1)}, "metadata": {}},
        {"data": {"s": Text("sub")}, "metadata": {}},
        {"data": {"n": Number(5)}, "metadata": {}},
        {"data": {7: True, "ok": 1}, "metadata": {}},
        {"data": {"text/plain": "ไทย \udcff"}, "metadata": {}},
        {"data": {"ไทย \udcff": 1}, "metadata": {}},
        {"data": {"nan": float("nan")}, "metadata": {}},
        {"data": {"huge": 10**5000}, "metadata": {}},
    ]
    for content in contents:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # jupyter_client's about NaN
            try:
                expected = typed(json_unpacker(json_packer(content)))
            except ValueError as exc:  # an int too long for JSON's text
                expected = type(exc).__name__
            try:
                mine = inprocess._round_trip(content)
            except ValueError as exc:
                assert type(exc).__name__ == expected
                continue
        assert typed(mine) == expected
        assert mine["data"] is not content["data"]  # a copy the cell's later changes miss
    # nesting deeper than the copy's recursion goes in a worker's thread: JSON's result
    mine = inprocess._round_trip({"data": {"deep": deep}, "metadata": {}})["data"]["deep"]
    for _ in range(600):
        assert type(mine) is list and len(mine) == 1
        mine = mine[0]
    assert mine == []
    copied = inprocess._round_trip(contents[1])
    assert copied["data"]["l"] == [[1], ["x"]]
    assert copied["data"]["l"][0] is not contents[1]["data"]["l"][0]  # lists copied too


def test_a_cell_over_its_time_limit_fails_and_the_next_notebook_runs(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "import time\nfor _ in range(200):\n    time.sleep(0.05)")
    with pytest.raises(papermill.PapermillExecutionError) as raised:
        papermill.execute_notebook(str(path), None, progress_bar=False, execution_timeout=0.5,
                                   engine_name=inprocess.ENGINE_NAME)
    assert raised.value.ename == "CellTimeoutError"
    assert "timed out after 0.5 s" in raised.value.evalue
    path = _notebook(tmp_path, "print('after')")
    out = papermill.execute_notebook(str(path), None, progress_bar=False,
                                     execution_timeout=5, engine_name=inprocess.ENGINE_NAME)
    assert out.cells[0].outputs[0]["text"] == "after\n"


def test_the_callers_state_is_kept(tmp_path: Path) -> None:
    # the notebook changes what a careless notebook changes; the process running it (a batch
    # worker, or a program that makes a report) finds its own state again afterwards
    here = os.getcwd()
    rc = mpl.rcParams["lines.linewidth"]
    py_random = random.getstate()
    os.environ.pop("ABCRESEARCH_TEST_LEAK", None)
    path = _notebook(tmp_path, "import os, random, sys\nimport numpy as np\n"
                               "import matplotlib.pyplot as plt\n"
                               "os.environ['ABCRESEARCH_TEST_LEAK'] = '1'\nos.chdir('/')\n"
                               "sys.path.append('/nowhere')\nplt.rcParams['lines.linewidth'] = 9\n"
                               "random.seed(1)\nnp.random.seed(1)\nleft = 1")
    papermill.execute_notebook(str(path), None, progress_bar=False,
                               engine_name=inprocess.ENGINE_NAME)
    assert os.getcwd() == here
    assert "ABCRESEARCH_TEST_LEAK" not in os.environ
    assert "/nowhere" not in __import__("sys").path
    assert mpl.rcParams["lines.linewidth"] == rc
    assert random.getstate() == py_random  # numpy's: the autouse fixture of conftest
    # and the next notebook starts clean, with a fresh random state and a new kernel's
    # rcParams, whatever the process's own are (a chart drawn before with the Thai font)
    path = _notebook(tmp_path, "import numpy as np\nimport matplotlib as mpl\n"
                               "print('left' in globals(), "
                               "np.random.get_state()[1][0] != 1791095845, "
                               "mpl.rcParams['font.size'], mpl.get_backend())")
    with mpl.rc_context({"font.size": 31.0}):
        out = papermill.execute_notebook(str(path), None, progress_bar=False,
                                         engine_name=inprocess.ENGINE_NAME)
        assert mpl.rcParams["font.size"] == 31.0
    assert out.cells[0].outputs[0]["text"] == (
        f"False True {mpl.rcParamsOrig['font.size']} module://matplotlib_inline.backend_inline\n")


def _in_thread(fn, *args, **kwargs):
    """Run ``fn`` in a new thread; return its result or raise its exception."""
    box: dict = {}

    def work() -> None:
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(180)
    assert not thread.is_alive()
    if "error" in box:
        raise box["error"]
    return box["result"]


def _pid_seen(path: Path, **kwargs) -> str:
    out = papermill.execute_notebook(str(path), None, progress_bar=False,
                                     engine_name=inprocess.ENGINE_NAME, **kwargs)
    return out.cells[0].outputs[0]["text"].strip()


def test_in_a_thread_the_notebook_runs_in_a_warm_kernel(tmp_path: Path) -> None:
    # a Dask worker runs tasks in threads: a SIGALRM time limit and the one IPython shell of
    # the process are not available there, so the warm kernel runs the notebook
    path = _notebook(tmp_path, "import os\nprint(os.getpid())")
    try:
        assert _in_thread(_pid_seen, path) != str(os.getpid())
    finally:
        kernels.POOL.close()
    assert _pid_seen(path) == str(os.getpid())


def test_a_notebook_that_runs_a_report_itself_gets_a_warm_kernel_for_it(tmp_path: Path
                                                                       ) -> None:
    # one notebook at a time per process: the inner notebook would otherwise take the outer
    # one's shell, its outputs and, at its end, its namespace
    for folder in ("inner", "outer"):
        (tmp_path / folder).mkdir()
    inner = _notebook(tmp_path / "inner", "import os\nprint(os.getpid())")
    outer = tmp_path / "outer"
    path = _notebook(
        outer, "import os\nmarker = 'kept'",
        "import papermill\n"
        f"out = papermill.execute_notebook({str(inner)!r}, None, progress_bar=False,\n"
        f"                                 engine_name={inprocess.ENGINE_NAME!r})\n"
        "print(out.cells[0].outputs[0]['text'].strip() != str(os.getpid()))",
        "print(marker)")
    try:
        out = papermill.execute_notebook(str(path), None, progress_bar=False,
                                         engine_name=inprocess.ENGINE_NAME)
    finally:
        kernels.POOL.close()
    assert [c.outputs[0]["text"] for c in out.cells[1:]] == ["True\n", "kept\n"]


def test_a_notebook_that_kills_its_worker_fails_alone(tmp_path: Path) -> None:
    # the notebook of area 800103 ends its process; with 2 workers and 2 reports in flight
    # per worker, others share the dead worker's pool: they run again and succeed
    nb = nbformat.read(TINY, as_version=4)
    for cell in nb.cells:
        if "deliberate failure" in cell.source:
            cell.source = cell.source.replace(
                'raise ValueError(f"deliberate failure for area {area_code}")',
                "os._exit(3)")
    killer = tmp_path / "killer.ipynb"
    nbformat.write(nb, killer)
    codes = ["800101", "800102", "800103", "800106", "800107", "800108"]
    store = make_store(tmp_path, codes, fail=("800103",))
    result = run_batch(ROUND, "tambon", within="8001", store=store, out=tmp_path / "out",
                       notebook=killer, province_notebook=PROVINCE, progress=False,
                       workers=2)
    status = {o.area_code: o.status for o in result.outcomes}
    assert status == {**dict.fromkeys(codes, "ok"), "800103": "failed"}
    failed = next(o for o in result.outcomes if o.area_code == "800103")
    assert "worker process failed while it ran this report" in failed.error


def _timed_out(tmp_path: Path, *sources: str) -> tuple[Any, list[Any]]:
    """Run a notebook of ``sources`` with a 0.5 s time limit that fails it: (error, code cells)."""
    path = _notebook(tmp_path, *sources)
    with pytest.raises(papermill.PapermillExecutionError) as raised:
        papermill.execute_notebook(str(path), str(tmp_path / "out.ipynb"), progress_bar=False,
                                   execution_timeout=0.5, engine_name=inprocess.ENGINE_NAME)
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    return raised.value, [c for c in out.cells if c.cell_type == "code"]


def test_a_time_limit_ipython_catches_in_its_own_code_still_fails_the_cell(tmp_path: Path
                                                                           ) -> None:
    # the figure left open is drawn after the cell, by the inline backend's hook, where IPython
    # catches the timeout and goes on: the cell still fails and the later cells do not run
    error, code = _timed_out(
        tmp_path,
        "import time, matplotlib.pyplot as plt\nfrom matplotlib.artist import Artist\n"
        "class Slow(Artist):\n    def draw(self, renderer):\n        time.sleep(2)\n"
        "fig, ax = plt.subplots()\nax.add_artist(Slow())",
        "print('ran')")
    assert error.ename == "CellTimeoutError"
    assert code[1].outputs == []


# code that runs wherever a collection happens, where an exception cannot leave: the repeating
# alarm struck inside it, Python printed "Exception ignored" there (pytest fails the test on
# that) and, for an event loop's __del__ collected after a timed-out cell, left it unclosed
_COLLECTED_SLOWLY = {
    "finalizer": "import time\nclass Slow:\n    def __del__(self):\n        time.sleep(1.2)\n"
                 "x = Slow()\ndel x\ntime.sleep(5)\nprint('after')",
    # a collector callback (a profiler's, hypothesis's)
    "gc callback": "import gc, time\n"
                   "def slow(phase, info):\n    if phase == 'stop':\n        time.sleep(1.2)\n"
                   "gc.callbacks.append(slow)\n"
                   "try:\n    gc.collect()\n    time.sleep(5)\n    print('after')\n"
                   "finally:\n    gc.callbacks.remove(slow)",
}


@pytest.mark.parametrize("where", sorted(_COLLECTED_SLOWLY))
def test_a_time_limit_striking_where_it_cannot_be_raised_is_raised_out_of_it(
        tmp_path: Path, where: str) -> None:
    error, code = _timed_out(tmp_path, _COLLECTED_SLOWLY[where], "print('ran')")
    assert error.ename == "CellTimeoutError"
    assert [o for o in code[0].outputs if o.output_type == "stream"] == []  # no 'after'
    assert code[1].outputs == []


def test_report_cells_go_to_no_history_and_are_not_kept(tmp_path: Path) -> None:
    # the shell wrote every report cell to ~/.ipython's history database; without a database,
    # IPython never empties its write-out cache, so the reset does
    path = _notebook(tmp_path, "x = 1", "print(x)")
    for _ in range(3):
        papermill.execute_notebook(str(path), None, progress_bar=False,
                                   engine_name=inprocess.ENGINE_NAME)
    history = inprocess.NOTEBOOKS.shell.history_manager
    assert not history.enabled and history.save_thread is None
    assert history.db_input_cache == [] and history.db_output_cache == []


def test_a_gc_callback_of_any_callable_kind_counts_as_a_finalizer() -> None:
    import functools
    import gc
    import sys

    class Hook:
        def __call__(self, phase, info, frames=None):
            frames.append(sys._getframe())

    def hook(phase, info, frames=None):
        frames.append(sys._getframe())

    for make in (lambda f: functools.partial(hook, frames=f),
                 lambda f: functools.partial(Hook(), frames=f)):
        frames: list = []
        cb = make(frames)
        gc.callbacks.append(cb)
        try:
            gc.collect()
        finally:
            gc.callbacks.remove(cb)
        assert frames
        gc.callbacks.append(cb)  # registered again: its frame is a collector callback's
        try:
            assert inprocess._in_finalizer(frames[0])
        finally:
            gc.callbacks.remove(cb)


def test_a_timer_of_the_process_survives_a_cell_with_a_time_limit(tmp_path: Path) -> None:
    import signal

    path = _notebook(tmp_path, "print('quick')")
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        papermill.execute_notebook(str(path), None, progress_bar=False, execution_timeout=5,
                                   engine_name=inprocess.ENGINE_NAME)
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 90 < left <= 100
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def test_ctrl_c_in_a_cell_stops_the_run_instead_of_failing_the_report(tmp_path: Path) -> None:
    # a report server stops on SIGTERM by raising KeyboardInterrupt: IPython turned it into an
    # error output, and the report was recorded as failed instead of interrupted
    path = _notebook(tmp_path, "raise KeyboardInterrupt", "print('never')")
    with pytest.raises(KeyboardInterrupt):
        papermill.execute_notebook(str(path), None, progress_bar=False,
                                   engine_name=inprocess.ENGINE_NAME)


def test_ctrl_c_while_ipython_compiles_a_cell_stops_the_run(tmp_path: Path,
                                                            monkeypatch) -> None:
    # a report server's SIGTERM struck while IPython compiled a cell: IPython records that as
    # an error before the cell ran, and the report was recorded as failed ("KeyboardInterrupt
    # (in cell In [1])", a clean-clone run of the server's test) instead of interrupted
    from IPython.core.compilerop import CachingCompiler

    def struck(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(CachingCompiler, "__call__", struck)
    path = _notebook(tmp_path, "x = 1", "print('never')")
    with pytest.raises(KeyboardInterrupt):
        papermill.execute_notebook(str(path), None, progress_bar=False,
                                   engine_name=inprocess.ENGINE_NAME)


@pytest.mark.parametrize("event", ["pre_run_cell", "post_execute"])
def test_ctrl_c_in_an_ipython_event_callback_stops_the_run(tmp_path: Path, monkeypatch,
                                                           event: str) -> None:
    # a report server's SIGTERM struck while IPython ran its event callbacks around a cell
    # (matplotlib's figure flush after it, for one): IPython catches a KeyboardInterrupt there,
    # shows it as the cell's error and goes on, and the report was recorded as failed
    # ("801502 failed: KeyboardInterrupt (in cell In [1])", the server's test under make
    # test's load, its traceback only the server's signal handler) instead of interrupted
    from IPython.core.events import EventManager

    real = EventManager.trigger

    def struck(self, name, *args, **kwargs):
        real(self, name, *args, **kwargs)
        if name == event:  # IPython's own handling of a callback the signal struck in
            def strike(*_args, **_kwargs):
                raise KeyboardInterrupt

            saved = self.callbacks[name]
            self.callbacks[name] = [strike]
            try:
                real(self, name, *args, **kwargs)
            finally:
                self.callbacks[name] = saved

    monkeypatch.setattr(EventManager, "trigger", struck)
    path = _notebook(tmp_path, "x = 1", "print('never')")
    with pytest.raises(KeyboardInterrupt):
        papermill.execute_notebook(str(path), None, progress_bar=False,
                                   engine_name=inprocess.ENGINE_NAME)


def test_ctrl_c_as_the_time_limit_stops_gives_the_streams_back(tmp_path: Path,
                                                                monkeypatch) -> None:
    # a report server's SIGTERM struck while a cell's time limit was being stopped: the
    # KeyboardInterrupt (raised after the limit is off) left sys.stdout and sys.stderr on the
    # cell's outputs, and the command's "interrupted" went nowhere
    import sys

    real = inprocess._TimeLimit.stop_surely

    def struck(self) -> None:
        real(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(inprocess._TimeLimit, "stop_surely", struck)
    stdout, stderr = sys.stdout, sys.stderr
    path = _notebook(tmp_path, "print('a cell')")
    with pytest.raises(KeyboardInterrupt):
        papermill.execute_notebook(str(path), None, progress_bar=False,
                                   engine_name=inprocess.ENGINE_NAME)
    assert sys.stdout is stdout and sys.stderr is stderr


def test_a_notebook_that_switches_the_backend_does_not_take_the_next_ones_charts(
        tmp_path: Path) -> None:
    path = _notebook(tmp_path, "import matplotlib.pyplot as plt\nplt.switch_backend('agg')")
    papermill.execute_notebook(str(path), None, progress_bar=False,
                               engine_name=inprocess.ENGINE_NAME)
    path = _notebook(tmp_path, "import matplotlib.pyplot as plt\nplt.plot([1, 2])")
    out = papermill.execute_notebook(str(path), None, progress_bar=False,
                                     engine_name=inprocess.ENGINE_NAME)
    assert [o.output_type for o in out.cells[0].outputs][-1] == "display_data"


_STUCK = """
import sys
import nbformat, papermill
from abcresearch.batch import inprocess
inprocess.HARD_LIMIT_GRACE = 1.0
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("sum(range(10**11))")])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, sys.argv[1])
papermill.execute_notebook(sys.argv[1], None, progress_bar=False, execution_timeout=0.5,
                           engine_name=inprocess.ENGINE_NAME)
"""


def test_a_cell_stuck_in_c_code_ends_a_batch_worker_past_its_time_limit(tmp_path: Path
                                                                         ) -> None:
    # sum(range(...)) runs in C and never sees the SIGALRM limit; in a batch worker the
    # process ends itself the grace later, naming where it was, and the batch fails that
    # report alone (test_a_notebook_that_kills_its_worker_fails_alone)
    import subprocess
    import sys
    import time

    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _STUCK, str(tmp_path / "stuck.ipynb")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "Timeout" in proc.stderr and "Thread" in proc.stderr  # faulthandler's dump
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("strike", [inprocess.CellTimeoutError, KeyboardInterrupt])
def test_a_timeout_or_ctrl_c_inside_the_limits_stop_still_disarms_it(strike) -> None:
    # struck in the few bytecodes of stop() before it disarmed: the alarm used to stay armed,
    # repeating every second into whatever the worker did next
    import signal

    before = signal.getsignal(signal.SIGALRM)
    limit = inprocess._TimeLimit(5)
    limit.start()
    real_stop, struck = limit.stop, []

    def stop_struck_once() -> None:
        if not struck:
            struck.append(strike)
            raise strike()
        real_stop()

    limit.stop = stop_struck_once
    try:
        if strike is KeyboardInterrupt:  # Ctrl-C is not lost: raised once the limit is off
            with pytest.raises(KeyboardInterrupt):
                limit.stop_surely()
        else:
            limit.stop_surely()
        assert struck and not limit.running
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
        assert signal.getsignal(signal.SIGALRM) == before
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_what_the_first_notebook_leaves_alive_is_kept_out_of_later_collections(
        tmp_path: Path) -> None:
    # in a batch worker the caches every report fills once (the round's analysis, fonts, the
    # Thai dictionary) are made permanent after the first notebook, so each later notebook's
    # collections do not walk them again; what later notebooks keep is not frozen (once)
    import subprocess
    import sys

    path = _notebook(tmp_path, "import sys, types\n"
                               "cache = sys.modules.setdefault('abc_test_cache', "
                               "types.ModuleType('abc_test_cache'))\n"
                               "cache.__dict__.setdefault('kept', []).append([1, 2])")
    script = (
        "import gc, sys, papermill\n"
        "from abcresearch.batch import inprocess, kernel_state\n"
        "kernel_state.FREEZE_AFTER_FIRST_RESET = True  # as a batch worker sets it\n"
        "for _ in range(2):\n"
        f"    papermill.execute_notebook({str(path)!r}, None, progress_bar=False,\n"
        "                               engine_name=inprocess.ENGINE_NAME)\n"
        "tracked = {id(o) for o in gc.get_objects()}\n"
        "first, second = sys.modules['abc_test_cache'].kept\n"
        "print(id(first) in tracked, id(second) in tracked)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, check=True).stdout
    assert out.strip().splitlines()[-1] == "False True"



_LAZY_MATPLOTLIB = """
import json, sys
import nbformat, papermill
from abcresearch.batch import inprocess
inprocess.NOTEBOOKS.start(imports=("numpy",))  # as `abcresearch report` starts it: no pyplot
seen = []
def run(source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, sys.argv[1])
    out = papermill.execute_notebook(sys.argv[1], None, progress_bar=False,
                                     engine_name=inprocess.ENGINE_NAME)
    seen.append([(o.output_type, sorted(o.get("data", {})), o.get("text", "").strip())
                 for o in out.cells[0].outputs])
for source in json.loads(sys.argv[2]):
    run(source)
print(json.dumps(seen))
"""

FIGURE = "import matplotlib.pyplot as plt\nplt.plot([1, 2])"
SVG = "%config InlineBackend.figure_formats = ['svg']\n"
DISPLAYED = ("from IPython.display import display\nimport matplotlib.pyplot as plt\n"
             "fig = plt.figure()\nfig.add_subplot().plot([1])\ndisplay(fig)\nplt.close(fig)")
PNG = ("display_data", ["image/png", "text/plain"])


def _last(outputs: list) -> tuple:
    return tuple(outputs[-1][:2])


def _in_process(tmp_path: Path, *sources: str) -> list:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", _LAZY_MATPLOTLIB, str(tmp_path / "nb.ipynb"),
                           json.dumps(sources)],
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_notebook_gets_matplotlib_as_in_a_kernel_when_it_imports_it_itself(tmp_path: Path
                                                                             ) -> None:
    """The command-line report starts the engine without pyplot (0.25 s; a tambon report draws
    no matplotlib figure): a notebook that uses it sets it up on import, as in a kernel, and the
    notebooks after it show figures the same way, with a new kernel's settings."""
    ticks, pyplot, svg_only, first, svg, later, displayed, agg, after_agg = _in_process(
        tmp_path,
        "from matplotlib.ticker import MaxNLocator\nprint(MaxNLocator(5).tick_values(0, 1)[-1])",
        "import sys\nprint('matplotlib.pyplot' in sys.modules)",
        SVG + "print('no figure')",  # the notebook's own setting, even before pyplot is used
        "import matplotlib.pyplot as plt\nplt.rcParams['font.size'] = 30\nplt.plot([1, 2])",
        SVG + FIGURE,
        "import matplotlib.pyplot as plt\nprint(plt.rcParams['font.size'], plt.get_backend())\n"
        "plt.plot([1, 2])",
        DISPLAYED,
        "import matplotlib.pyplot as plt\nplt.switch_backend('agg')\nplt.plot([1, 2])",
        FIGURE)
    assert ticks == [["stream", [], "1.0"]] and pyplot == [["stream", [], "False"]]
    assert svg_only == [["stream", [], "no figure"]]
    assert _last(first) == PNG  # the earlier notebook's %config was its own
    assert _last(svg) == ("display_data", ["image/svg+xml", "text/plain"])
    # a new kernel's rcParams and backend, and figures as PNG again, left open or displayed
    assert later[0] == ["stream", [], f"{mpl.rcParamsOrig['font.size']} "
                                      "module://matplotlib_inline.backend_inline"]
    assert _last(later) == PNG
    assert displayed == [["display_data", ["image/png", "text/plain"], ""]]
    assert [o[0] for o in agg] == ["execute_result"] and _last(after_agg) == PNG


def test_a_notebook_that_first_uses_pyplot_on_agg_does_not_take_the_next_ones_figures(
        tmp_path: Path) -> None:
    """matplotlib first imported by a notebook that switches to agg: the next notebook still
    shows its figures (its backend set up from a new kernel's rcParams, not from agg)."""
    agg, after = _in_process(
        tmp_path, "import matplotlib\nmatplotlib.use('agg')\n" + FIGURE, FIGURE)
    assert [o[0] for o in agg] == ["execute_result"]
    assert _last(after) == PNG


def test_a_warm_kernel_keeps_showing_figures_after_the_notebook_that_first_used_pyplot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The warm kernels no longer import pyplot: the first notebook using it sets it up in the
    kernel, and the reset after it keeps that set-up (with a new kernel's settings) for the
    notebooks after it, as the in-process engine does (tests above)."""
    # matplotlib imported, pyplot not, as the warm imports have it: the kernel's snapshot holds
    # rcParams from before pyplot's first use
    monkeypatch.setenv("ABCRESEARCH_WARM_IMPORTS", "numpy,matplotlib")
    kernels.POOL.close()  # a kernel of its own
    try:
        outs = []
        for source in ("import sys\nprint('matplotlib.pyplot' in sys.modules)",
                       SVG + "print('no figure')", FIGURE, SVG + FIGURE, FIGURE, DISPLAYED,
                       "import matplotlib.pyplot as plt\nplt.switch_backend('agg')\n"
                       "plt.plot([1, 2])", FIGURE):
            out = papermill.execute_notebook(str(_notebook(tmp_path, source)), None,
                                             progress_bar=False,
                                             engine_name=kernels.ENGINE_NAME)
            outs.append([(o.output_type, sorted(o.get("data", {})), o.get("text", "").strip())
                         for o in out.cells[0].outputs])
    finally:
        kernels.POOL.close()
    pyplot, svg_only, first, svg, later, displayed, agg, after_agg = outs
    assert pyplot == [("stream", [], "False")] and svg_only == [("stream", [], "no figure")]
    assert _last(first) == PNG  # the earlier notebook's %config was its own
    assert _last(svg) == ("display_data", ["image/svg+xml", "text/plain"])
    assert _last(later) == PNG  # left open: shown (interactive), as PNG again
    assert displayed == [("display_data", ["image/png", "text/plain"], "")]
    assert [o[0] for o in agg] == ["execute_result"] and _last(after_agg) == PNG
