"""The papermill engine ``abcresearch_inprocess``: report notebooks in the worker's own process.

Why
---
A warm kernel (:mod:`abcresearch.batch.kernels`) saves a report the kernel's start and imports,
but every output still travels from the kernel to the worker as a Jupyter message: formatted,
serialised, signed, sent, received, parsed and checked, once per output (a tambon report has
about 60, three of them charts of 0.3-0.7 MB each). Measured on the 2-core machine
(``benchmarks/bench_profile.py``, warm tambon report 800101): the kernel spent 1.77 s of CPU per
report where the same sections take 1.3 s run in one process, and the worker another 0.4 s
receiving them. A batch worker on a dedicated core is CPU-bound, so that is a fifth of its
throughput.

This engine runs the notebook's cells in the worker process with an IPython
:class:`~IPython.core.interactiveshell.InteractiveShell` whose display publisher, display hook,
traceback printer and ``sys.stdout``/``sys.stderr`` write nbformat outputs straight into the
notebook. The outputs are the ones a kernel would give (each passes through
``jupyter_client``'s JSON packer and back, as a kernel's message does), the matplotlib backend
is the kernel's inline backend, and tracebacks are IPython's, as a kernel formats them.

Between notebooks the process is reset with :func:`abcresearch.batch.kernel_state.reset`, the
same reset a warm kernel gets (namespace, history and execution count, figures, rcParams,
working directory, environment, ``sys.path``, warnings filters, NumPy, pandas and logging
settings, random state, the library's ``functools`` caches that are not marked safe).

When it runs in a kernel instead
--------------------------------
In-process execution needs to own the process: its main thread (a cell's time limit is a
``SIGALRM`` timer) and the IPython shell singleton. Where either is taken, the notebook runs in
the warm kernel engine instead, with the same outputs:

* a Dask worker runs tasks in executor threads (one process, possibly several tasks at once);
* while another notebook runs in the process (a notebook that runs a report itself): one
  notebook at a time;
* a report run from inside a notebook or IPython session, whose shell is not this engine's.

What a kernel has of its own and a process shares with the notebook: the warnings filters and
logging handlers in force while it runs (a batch worker's are Python's defaults, as a kernel's
are), and output written by C code straight to the process's file descriptors, which stays on the
worker's console instead of becoming a stream output.

The cost of running in the worker's process: a notebook that kills its process (``os._exit``,
a crash in C code, the system's out-of-memory killer) takes the worker with it, where a kernel
would have died alone. The local batch then fails the reports that worker held and goes on with
a new worker (:class:`abcresearch.batch.run._LocalWorkers`). Memory a notebook parks where the
reset does not reach (``builtins``, another module's globals) stays for the next notebook, as in
a warm kernel; the local batch replaces a worker after
:data:`MAX_REPORTS_PER_WORKER` reports.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime
import io
import math
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from papermill.engines import Engine, papermill_engines

from abcresearch.batch import kernel_state

ENGINE_NAME = "abcresearch_inprocess"
"""Name of the in-process engine in papermill's engine registry."""

MAX_REPORTS_PER_WORKER = 200
"""Reports a local batch worker runs in its own process before it is replaced by a fresh one
(the same safety net as :data:`abcresearch.batch.kernels.DEFAULT_MAX_REPORTS`)."""

INLINE_BACKEND = kernel_state.INLINE_BACKEND

LANGUAGE_INFO: dict[str, Any] = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
"""The notebook's ``language_info`` as ipykernel reports it (the Python version is added)."""


class CellTimeoutError(TimeoutError):
    """A cell ran longer than the notebook's ``execution_timeout``."""


def _round_trip(content: dict[str, Any]) -> dict[str, Any]:
    """Return ``content`` as a kernel's message would deliver it (JSON out and back).

    Content made of JSON's own types only (str keys, finite floats, text that is valid
    UTF-8), which is what the reports display, comes back as a copy of its containers with the
    same values, tuples as lists: what JSON would give, without writing and reading the
    charts' megabytes of SVG text again. Anything else goes through jupyter_client's packer.
    """
    try:
        return _copy_plain(content)
    except (_NotPlain, RecursionError):  # JSON's encoder goes deeper, or says why it cannot
        from jupyter_client.session import json_packer, json_unpacker

        return json_unpacker(json_packer(content))


_INT_BITS = 14_000
"""Integers this long or longer go through JSON, whose text of an int has at most 4,300 digits
by default (``sys.set_int_max_str_digits``)."""


class _NotPlain(Exception):
    """A value that JSON would change (a date, a NaN, a non-string key, ...)."""


def _copy_plain(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        if not value.isascii() and not _valid_text(value):
            raise _NotPlain  # a lone surrogate: JSON would not give it back
        return value
    if kind is dict:
        copy = {}
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or _valid_text(key)):
                raise _NotPlain
            copy[key] = _copy_plain(item)
        return copy
    if kind is list or kind is tuple:
        return [_copy_plain(item) for item in value]
    if kind is bool or value is None or kind is int and value.bit_length() < _INT_BITS:
        return value
    if kind is float and math.isfinite(value):
        return value
    raise _NotPlain


def _valid_text(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Outputs:
    """Where the outputs of the cell being run go."""

    def __init__(self) -> None:
        self.outputs: list[Any] | None = None
        self.by_display_id: dict[str, list[Any]] = {}
        self.clear_on_next = False

    def add(self, output: dict[str, Any], display_id: str | None = None) -> None:
        import nbformat

        if self.outputs is None:  # outside a cell (the reset, the engine's own code)
            return
        self._clear_if_asked()
        node = nbformat.from_dict(output)
        self.outputs.append(node)
        if display_id:
            self.by_display_id.setdefault(display_id, []).append(node)

    def _clear_if_asked(self) -> None:
        """Clear the outputs now if ``clear_output(wait=True)`` asked for it."""
        if self.clear_on_next and self.outputs is not None:
            self.outputs.clear()
            self.clear_on_next = False

    def stream(self, name: str, text: str) -> None:
        if self.outputs is None or not text:
            return
        self._clear_if_asked()
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.get("output_type") == "stream" and last.get("name") == name:
            last["text"] += text
        else:
            self.add({"output_type": "stream", "name": name, "text": text})


class _StreamWriter(io.TextIOBase):
    """``sys.stdout``/``sys.stderr`` during a cell: text becomes a stream output."""

    def __init__(self, sink: _Outputs, name: str) -> None:
        super().__init__()
        self.sink = sink
        self.name_ = name

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.sink.stream(self.name_, text)
        return len(text)


def _shell_class() -> Any:
    """Build the shell classes on first use (IPython is imported only by this engine's runs)."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class NotebookDisplayPublisher(DisplayPublisher):
        """``display()``: a ``display_data`` output (or an update of an earlier one)."""

        sink: _Outputs

        def publish(self, data: dict[str, Any], metadata: dict[str, Any] | None = None,
                    source: Any = None, *, transient: dict[str, Any] | None = None,
                    update: bool = False, **kwargs: Any) -> None:
            sys.stdout.flush()
            sys.stderr.flush()
            content = _round_trip({"data": data, "metadata": metadata or {},
                                   "transient": transient or {}})
            display_id = (transient or {}).get("display_id")
            if update:
                for node in self.sink.by_display_id.get(display_id or "", []):
                    node["data"] = content["data"]
                    node["metadata"] = content["metadata"]
                return
            self.sink.add({"output_type": "display_data", "data": content["data"],
                           "metadata": content["metadata"]}, display_id)

        def clear_output(self, wait: bool = False) -> None:
            if wait:
                self.sink.clear_on_next = True
            elif self.sink.outputs is not None:
                self.sink.outputs.clear()

    class NotebookDisplayHook(DisplayHook):
        """A cell's last expression: an ``execute_result`` output."""

        sink: _Outputs

        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict: dict[str, Any],
                              md_dict: dict[str, Any] | None = None) -> None:
            content = _round_trip({"data": format_dict, "metadata": md_dict or {}})
            self.sink.add({"output_type": "execute_result", "data": content["data"],
                           "metadata": content["metadata"],
                           "execution_count": self.prompt_count})

        def finish_displayhook(self) -> None:
            sys.stdout.flush()
            sys.stderr.flush()

        def flush(self) -> None:
            # DisplayHook.flush (the shell's reset runs it) without its full garbage
            # collection: kernel_state.reset makes one right after
            shell: Any = self.shell
            for n in range(1, self.prompt_count + 1):
                shell.user_ns_hidden.pop(f"_{n}", None)
                shell.user_ns.pop(f"_{n}", None)
            if shell.user_ns.get("_oh") is not None:
                shell.user_ns["_oh"].clear()
            self._, self.__, self.___ = "", "", ""
            if "_" not in builtins.__dict__:
                shell.user_ns.update({"_": "", "__": "", "___": ""})

    class NotebookShell(InteractiveShell):
        """An IPython shell whose outputs are nbformat outputs of the cell being run."""

        displayhook_class = NotebookDisplayHook
        display_pub_class = NotebookDisplayPublisher

        def __init__(self, **kwargs: Any) -> None:
            self.sink = _Outputs()
            NotebookDisplayHook.sink = self.sink
            NotebookDisplayPublisher.sink = self.sink
            from ipykernel.compiler import XCachingCompiler

            # as ipykernel's shell: its compiler (cells cached as files, so tracebacks show
            # their source as a kernel's do), no autoindent
            super().__init__(autoindent=False, compiler_class=XCachingCompiler, **kwargs)

        def _showtraceback(self, etype: Any, evalue: Any, stb: list[str]) -> None:
            sys.stdout.flush()
            sys.stderr.flush()
            self.sink.add({"output_type": "error", "ename": str(etype.__name__),
                           "evalue": str(evalue), "traceback": list(stb)})
            self._last_traceback = stb

        def enable_gui(self, gui: str | None = None) -> None:
            if gui not in (None, "inline"):
                raise NotImplementedError(f"no GUI event loop in a batch report ({gui})")

    return NotebookShell


class InProcessNotebooks:
    """The process's notebook shell: started once, reset between notebooks."""

    def __init__(self) -> None:
        self.shell: Any = None
        self.reports = 0
        #: held while a notebook runs: one notebook at a time
        self.lock = threading.Lock()

    def usable(self) -> bool:
        """Whether notebooks can run in this process now (see the module docstring)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        from IPython.core.interactiveshell import InteractiveShell

        if self.shell is None:
            return not InteractiveShell.initialized()
        return InteractiveShell.initialized() and InteractiveShell.instance() is self.shell

    def start(self, imports: tuple[str, ...] | None = None) -> None:
        """Create the shell and import the report libraries (nothing where it is not usable)."""
        if self.shell is not None or not self.usable():
            return
        from abcresearch.batch.kernels import warm_imports

        # a kernel's matplotlib backend: figures left open show as PNG after their cell. As in
        # a kernel, matplotlib reads it from MPLBACKEND when a notebook first imports it, and
        # matplotlib_inline, imported as the backend by pyplot, sets itself up in the shell; a
        # report drawing no matplotlib figure (every chart of a tambon report is Typst's) does
        # not import pyplot (0.25 s of a command-line report). pyplot imported already (a batch
        # worker's preload, a test): set up now; matplotlib alone: its backend named now.
        os.environ["MPLBACKEND"] = INLINE_BACKEND
        main = sys.modules["__main__"]
        from traitlets.config import Config

        config = Config()
        # no history database: a report's cells do not belong in the user's IPython history
        # (~/.ipython), and no thread writes them to SQLite while reports run
        config.HistoryManager.enabled = False
        self.shell = _shell_class().instance(config=config)
        # the shell puts its namespace in sys.modules as "__main__": that is the notebook's
        # while it runs (see execute), the process's own otherwise (multiprocessing needs it)
        sys.modules["__main__"] = main
        if "matplotlib.pyplot" in sys.modules:
            self._set_up_matplotlib()
        elif "matplotlib" in sys.modules:  # read its rcParams before MPLBACKEND was set
            sys.modules["matplotlib"].use(INLINE_BACKEND)
        kernel_state.warm(imports if imports is not None else warm_imports())

    def _set_up_matplotlib(self) -> None:
        """Give matplotlib the kernel's inline backend and its IPython integration now."""
        import matplotlib

        matplotlib.use(INLINE_BACKEND)
        from matplotlib_inline.backend_inline import configure_inline_support

        configure_inline_support(self.shell, INLINE_BACKEND)

    def execute(self, nb_man: Any, timeout: float | None = None) -> Any:
        """Run the cells of a papermill-managed notebook in this process.

        Parameters
        ----------
        nb_man : papermill.engines.NotebookExecutionManager
            The notebook and papermill's execution bookkeeping.
        timeout : float, optional
            Seconds a cell may run (``None``: no limit).

        Returns
        -------
        nbformat.NotebookNode
            The executed notebook (also in ``nb_man.nb``).
        """
        import platform

        from nbclient.exceptions import CellExecutionError

        self.start()
        cwd = os.getcwd()
        # the process's own state, put back after the notebook (the worker's, or that of a
        # program that runs a report in its own process)
        kernel_state.snapshot(freeze=False)
        generators = _fresh_random_state()
        # a new kernel's rcParams, then its backend (a backend loaded first here reads them)
        kernel_state.fresh_rc_params()
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            # in case a notebook before switched it (a program's own, say)
            pyplot.switch_backend(INLINE_BACKEND)
        shell, sink = self.shell, self.shell.sink
        nb = nb_man.nb
        main = sys.modules["__main__"]
        sys.modules["__main__"] = shell.user_module
        try:
            for index, cell in enumerate(nb.cells):
                nb_man.cell_start(cell, index)
                try:
                    if cell.cell_type != "code" or not cell.source.strip():
                        continue  # as nbclient: an empty code cell is not run
                    error = self._run_cell(shell, sink, cell, timeout)
                    if error is not None:
                        exc = CellExecutionError.from_cell_and_msg(cell, error)
                        nb_man.cell_exception(cell, cell_index=index, exception=exc)
                        break
                finally:
                    nb_man.cell_complete(cell, cell_index=index)
                    for hook in tuple(_AFTER_CELL):
                        try:
                            hook(nb, index)
                        except Exception:  # noqa: BLE001, S110 - a watcher never fails a report
                            pass
        finally:
            sys.modules["__main__"] = main
            self.reports += 1
            sink.outputs = None
            sink.by_display_id.clear()
            # now: nothing the notebook changed reaches the process's own work (the PDF, the
            # next report's checks)
            # (a notebook that loaded the inline backend first: the reset keeps what it set up)
            kernel_state.reset(cwd, reseed=False)
            _restore_random_state(generators)
        nb.metadata["language_info"] = {**LANGUAGE_INFO, "version": platform.python_version()}
        return nb

    @staticmethod
    def _run_cell(shell: Any, sink: _Outputs, cell: Any, timeout: float | None
                  ) -> dict[str, Any] | None:
        """Run one code cell; return its error content (``ename``, ...) or None."""
        import nbformat

        cell.outputs = []
        sink.outputs = cell.outputs
        sink.clear_on_next = False
        stamp = _now()
        execution: dict[str, str] = {"iopub.status.busy": stamp, "iopub.execute_input": stamp}
        stdout, stderr = sys.stdout, sys.stderr
        show = warnings.showwarning
        limit = _TimeLimit(timeout)
        result = None
        try:
            sys.stdout, sys.stderr = _StreamWriter(sink, "stdout"), _StreamWriter(sink, "stderr")
            warnings.showwarning = _show_warning  # as printed in a kernel, whatever the hook
            limit.start()
            result = shell.run_cell(cell.source, store_history=True)
        except CellTimeoutError:
            if not limit.expired:
                raise
            # the limit struck after the cell, in IPython's or this engine's own code
        finally:
            # the streams back even when a Ctrl-C (a report server's SIGTERM) struck while the
            # limit was stopped, which stop_surely raises after: the command's "interrupted"
            # went into this cell's closed outputs, and the server's reply said nothing (a
            # test of the server, now and then under load)
            try:
                limit.stop_surely()
            finally:
                sys.stdout, sys.stderr = stdout, stderr
                warnings.showwarning = show
                sink.outputs = None
        execution["shell.execute_reply"] = execution["iopub.status.idle"] = _now()
        cell.metadata["execution"] = execution
        cell.execution_count = shell.execution_count - 1
        if result is not None and (isinstance(result.error_in_exec, KeyboardInterrupt)
                                   or isinstance(result.error_before_exec, KeyboardInterrupt)):
            # Ctrl-C or the server's SIGTERM: the run stops, as it does with a kernel, and is
            # not recorded as a failed report; also where it struck while IPython compiled the
            # cell, which IPython records as an error before the cell ran (a clean-clone run of
            # the server's test: "801502 failed: KeyboardInterrupt (in cell In [1])")
            raise KeyboardInterrupt
        if any(o.get("output_type") == "error" and o.get("ename") == KeyboardInterrupt.__name__
               for o in cell.outputs):
            # the same where it struck in one of IPython's event callbacks around the cell
            # (matplotlib's figure flush after it, for one): IPython catches a KeyboardInterrupt
            # there, shows it as the cell's error and goes on, so the cell even succeeds (the
            # server's test under load, its traceback only the server's signal handler)
            raise KeyboardInterrupt
        if limit.expired:  # also where IPython caught the timeout in its own code
            error = {"ename": CellTimeoutError.__name__, "evalue": limit.message,
                     "traceback": [limit.message]}
            if not any(o.get("ename") == error["ename"] for o in cell.outputs):
                cell.outputs.append(nbformat.from_dict({"output_type": "error", **error}))
            return error
        if result is None or result.success:
            return None
        for output in reversed(cell.outputs):
            if output.get("output_type") == "error":
                return {"ename": output["ename"], "evalue": output["evalue"],
                        "traceback": output["traceback"]}
        exc = result.error_in_exec or result.error_before_exec
        return {"ename": type(exc).__name__, "evalue": str(exc), "traceback": []}


def _fresh_random_state() -> tuple[Any, Any]:
    """Save ``random``'s and NumPy's global generators, then reseed them as a new process has."""
    import random

    import numpy as np

    saved = (random.getstate(), np.random.get_state())
    random.seed()
    np.random.seed(None)
    return saved


def _restore_random_state(saved: tuple[Any, Any]) -> None:
    import random

    import numpy as np

    random.setstate(saved[0])
    np.random.set_state(saved[1])


def _show_warning(message: Any, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Print a warning to ``sys.stderr`` (a stream output), as Python's own hook does."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


class _TimeLimit:
    """A cell's time limit: ``CellTimeoutError`` in the cell after ``seconds`` (main thread).

    The ``SIGALRM`` timer repeats every second after the limit, so a timeout that IPython
    catches in its own code (a figure drawn after the cell), or that strikes in a finalizer
    (where it is not raised, see :func:`_in_finalizer`), is raised again, and
    :attr:`expired` fails the cell whatever ``run_cell`` says. Code stuck in C never returns
    to Python to see it: where :data:`HARD_LIMIT_GRACE` is set (a batch worker), the process
    ends itself that much later, and the batch fails that report alone. A timer the process
    had running is put back when the cell ends.

    :meth:`stop_surely` calls :meth:`stop` until it has finished: a timeout or Ctrl-C that
    strikes inside it, before it disarmed the timer, would otherwise leave the alarm repeating.
    """

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.expired = False
        self.armed = False
        self.running = False
        self.message = f"Cell execution timed out after {seconds or 0:g} s"

    def _fire(self, signum: int, frame: Any) -> None:
        if self.armed:
            self.expired = True
            if not _in_finalizer(frame):  # there Python would only print it and go on
                raise CellTimeoutError(self.message)

    def start(self) -> None:
        """Start the limit (nothing without ``seconds``)."""
        if not self.seconds:
            return
        import faulthandler
        import time

        self.hard = False
        self.started = time.monotonic()
        self.host_timer = signal.getitimer(signal.ITIMER_REAL)
        self.previous: Callable[..., Any] | int | None = signal.getsignal(signal.SIGALRM)
        self.running = True  # from here stop() can put everything back
        if HARD_LIMIT_GRACE is not None and sys.__stderr__ is not None:
            try:  # the traceback goes to the worker's own stderr, not into the notebook
                self.hard = True  # (before it is armed: stop() must cancel it whatever comes)
                faulthandler.dump_traceback_later(self.seconds + HARD_LIMIT_GRACE, exit=True,
                                                  file=sys.__stderr__)
            except (OSError, ValueError):  # no usable stderr: the SIGALRM limit only
                self.hard = False
        signal.signal(signal.SIGALRM, self._fire)
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds, 1.0)

    def stop(self) -> None:
        """Stop the limit and put back the timer and handler it replaced."""
        if not self.running:
            return
        import faulthandler
        import time

        self.armed = False  # an alarm arriving now does nothing
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self.hard:
            faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, self.previous)
        delay, interval = self.host_timer
        if delay or interval:
            left = delay - (time.monotonic() - self.started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)
        self.running = False

    def stop_surely(self) -> None:
        """:meth:`stop`, again until it has finished; a Ctrl-C meanwhile is raised after."""
        interrupted: BaseException | None = None
        while self.running:
            try:
                self.stop()
            except CellTimeoutError:
                pass
            except KeyboardInterrupt as exc:
                interrupted = exc
        if interrupted is not None:
            raise interrupted


def _in_finalizer(frame: Any) -> bool:
    """Whether ``frame`` runs inside a ``__del__`` or a garbage-collector callback.

    Both run wherever a collection happens, and an exception raised in either cannot leave it:
    Python prints "Exception ignored in" and the finalizer's clean-up (an event loop left
    unclosed) or the callback's bookkeeping is skipped. The repeating alarm raises the time
    limit at its next strike instead, out of the finalizer or callback.
    """
    import gc

    callbacks = set()
    for cb in gc.callbacks:
        fn = getattr(cb, "func", cb)  # a functools.partial's function
        code = getattr(fn, "__code__", None) or getattr(type(fn).__call__, "__code__", None)
        if code is not None:
            callbacks.add(code)
    while frame is not None:
        if frame.f_code.co_name == "__del__" or frame.f_code in callbacks:
            return True
        frame = frame.f_back
    return False


HARD_LIMIT_GRACE: float | None = None
"""Seconds after a cell's time limit at which the process ends itself (``None``: never). Set in
local batch workers: code stuck in C never sees the ``SIGALRM`` time limit."""


NOTEBOOKS = InProcessNotebooks()
"""This process's in-process notebook shell."""

_AFTER_CELL: list[Callable[[Any, int], None]] = []


@contextlib.contextmanager
def after_each_cell(hook: Callable[[Any, int], None]) -> Iterator[None]:
    """Call ``hook(nb, index)`` after each cell of the notebooks run meanwhile in this process.

    For the PDF helper of ``abcresearch report``
    (:class:`abcresearch.batch.pdf_process.PartialSender`), which lays out a report's pages
    while the rest of its notebook runs. A hook's errors are ignored; it must not change the
    notebook.

    Parameters
    ----------
    hook : callable
        Called with the notebook being run and the index of the cell just finished (every
        cell, Markdown ones too).

    Yields
    ------
    None
        The hook is called while the block runs, and no more after it.
    """
    _AFTER_CELL.append(hook)
    try:
        yield
    finally:
        _AFTER_CELL.remove(hook)


class InProcessEngine(Engine):
    """papermill engine ``abcresearch_inprocess``: run notebooks in this process.

    Same interface and outputs as papermill's default engine; where the process cannot run
    notebooks itself (see the module docstring) the warm kernel engine runs them.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> Any:
        """Execute ``nb_man.nb`` in this process, or in a warm kernel where it cannot."""
        if ((kernel_name or "python3") in ("python3", "python") and NOTEBOOKS.usable()
                and NOTEBOOKS.lock.acquire(blocking=False)):
            try:
                timeout = kwargs.get("execution_timeout") or kwargs.get("timeout")
                return NOTEBOOKS.execute(nb_man, timeout=timeout)
            finally:
                NOTEBOOKS.lock.release()
        from abcresearch.batch.kernels import WarmKernelEngine

        return WarmKernelEngine.execute_managed_notebook(nb_man, kernel_name, **kwargs)


papermill_engines.register(ENGINE_NAME, InProcessEngine)
