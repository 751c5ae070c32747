"""Warm Jupyter kernels for batch reports: a papermill engine that reuses a pre-imported kernel.

A stock papermill run starts a kernel, imports pandas/matplotlib/scipy and shuts the kernel
down again for every report; for a tambon report that is about three quarters of the time
(measured on a 2-core machine: kernel start 0.9 s and imports 1.2 s of 3.8 s; see
``benchmarks/bench_report.py``). The engine registered here as ``abcresearch_warm`` keeps one
kernel per worker thread alive, with the heavy libraries already imported, and *resets* it between
notebooks.

How a warm kernel is reset (and why that is safe)
-------------------------------------------------
Right after start-up the kernel imports :data:`WARM_IMPORTS` and takes a snapshot
(:func:`abcresearch.batch.kernel_state.snapshot`) of the process state that a notebook can
change. Between notebooks :func:`abcresearch.batch.kernel_state.reset` runs *silently* (no
history, no execution count) and puts back what follows. It is sent as soon as a notebook ends,
so it runs in the kernel while the worker typesets that notebook's PDF; the next notebook waits
for its answer (a failed reset means a fresh kernel) and starts only after it:

* the IPython namespace and history: ``InteractiveShell.reset(new_session=True)``; user variables,
  ``In``/``Out``/``_`` are gone and the execution counter restarts at 1, as in a new kernel;
* matplotlib: every figure closed, ``rcParams`` restored from the snapshot (undoing
  ``seaborn.set_theme``, ``plt.style.use`` ...), the inline backend's figure formats and the
  IPython display formatters restored;
* random state: ``random`` and NumPy's legacy global generator reseeded from OS entropy, exactly
  what a new process does;
* the working directory, ``os.environ``, ``sys.path``, ``warnings`` filters, NumPy error and print
  options, pandas options, root logger handlers/level;
* every ``functools`` cache in ``abcresearch.*`` modules is cleared, so a cached object mutated by
  one notebook cannot reach the next (library caches may hold mutable DataFrames).

Modules stay imported: importing is idempotent, and module state of third-party libraries that a
notebook could change beyond the list above is not reset. Two safety nets cover the rest: the
kernel is replaced by a fresh one after :attr:`WarmKernel.max_reports` notebooks or when its
resident memory passes :attr:`WarmKernel.max_rss` (measured after the reset that follows a
notebook, which frees what the notebook left in its namespace, before the next one), and after any
failure that is not an ordinary cell error (kernel death, timeout, failed reset).
``tests/test_runner.py`` checks that a warm run gives the same outputs as a cold (stock
papermill) run, and that variables, figures, rcParams, cwd, environment and random state do not
leak from one notebook into the next.

On POSIX systems a warm kernel talks to its worker over local (IPC) sockets in a private
temporary folder rather than TCP ports on localhost: no other process on the machine can connect
to a kernel holding survey data, and ipykernel has no reason to warn about unencrypted TCP.
The folder is removed when the kernel stops; its name carries the process id of its owner, so a
folder left behind by a process that was killed (``kill -9``, a crashed worker) is removed by the
next kernel start on the machine (:func:`remove_stale_socket_folders`).

The engine is registered in papermill's registry on import of this module (the runner imports it
when asked for ``engine="abcresearch_warm"``). It is deliberately not declared as a
``papermill.engine`` entry point: papermill loads those while it is itself being imported, which
would make importing this module (it subclasses papermill's ``Engine``) circular.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from papermill.engines import Engine, papermill_engines

logger = logging.getLogger(__name__)

ENGINE_NAME = "abcresearch_warm"
"""Name of the warm engine in papermill's engine registry."""

WARM_IMPORTS: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
    "IPython.display",
    "abcresearch",
    "abcresearch.survey.areas",
    "abcresearch.labels",
    "abcresearch.store.read",
    "scipy.sparse",  # the estimators import these where they use them
    "scipy.special",
    "abcresearch.stats",
    "abcresearch.scoring",
    "abcresearch.reports.area",
    "abcresearch.reports.province",
    "abcresearch.reports.render.display",
    "abcresearch.reports.render.fonts",
    "abcresearch.batch.runner",
)
"""Modules imported once per warm kernel (missing ones are skipped): what the shipped report
notebooks use. seaborn, statsmodels.api and scipy.stats are left out (about 3 s of start-up and
90 MB per kernel for the first two, 0.65 s for scipy.stats, and no shipped report uses them), and
so is matplotlib.pyplot (0.25 s; the shipped reports' charts are Typst's, and a notebook that
uses pyplot sets it up as in a new kernel, see :func:`.kernel_state.keep_inline_backend`): a
notebook that imports them pays that once per kernel, since modules stay imported across
resets; ``ABCRESEARCH_WARM_IMPORTS`` (comma-separated names) replaces the list for a batch of
notebooks that need others."""

REPORT_IMPORTS: tuple[str, ...] = (
    "numpy",
    "pandas",
    "scipy.sparse",
    "scipy.special",
    "abcresearch.reports.area",
    "abcresearch.reports.render.display",
)
"""Modules imported for one command-line report before its notebook runs in the command's process
(what the report notebook needs; no seaborn, statsmodels or scipy.stats, which it does not use:
scipy.stats alone is about 1 s; no matplotlib, 0.3 s, which a notebook drawing a figure imports
itself, as in a kernel), and by a kernel started with :func:`start_soon`."""

def warm_imports(imports: Iterable[str] = WARM_IMPORTS) -> tuple[str, ...]:
    """Return the modules to import once per warm process.

    That is ``imports``, or for the default list the names in ``ABCRESEARCH_WARM_IMPORTS``
    (comma-separated) when that variable is set.
    """
    env = os.environ.get("ABCRESEARCH_WARM_IMPORTS")
    if env is not None and imports is WARM_IMPORTS:
        return tuple(m.strip() for m in env.split(",") if m.strip())
    return tuple(imports)


DEFAULT_MAX_REPORTS = 200
"""Notebooks a warm kernel runs before it is replaced by a fresh one."""

DEFAULT_MAX_RSS = 1_000_000_000
"""Resident memory (bytes) above which a warm kernel is replaced after a notebook and a reset."""


class KernelResetError(RuntimeError):
    """A warm kernel could not be prepared (start-up, warm-up or reset failed)."""


# --------------------------------------------------------------------------------------------
# Kernel management in the papermill process
# --------------------------------------------------------------------------------------------


class WarmKernel:
    """One long-lived kernel with pre-imported libraries, reset between notebooks.

    All calls must come from one thread at a time; :class:`KernelPool` hands out one kernel per
    thread. The kernel runs on this object's own asyncio loop, so it works in any thread (a dask
    worker's executor thread, a process-pool worker) whatever that thread's current loop is.

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel spec name.
    imports : iterable of str
        Modules to pre-import (default :data:`WARM_IMPORTS`, or the comma-separated list in
        the environment variable ``ABCRESEARCH_WARM_IMPORTS``).
    max_reports : int
        Notebooks run before the kernel is replaced.
    max_rss : int
        Resident memory (bytes) above which the kernel is replaced (measured after the reset
        that follows a notebook, before the next one).
    startup_timeout : float
        Seconds to wait for the kernel to start.
    """

    def __init__(
        self,
        kernel_name: str = "python3",
        imports: Iterable[str] = WARM_IMPORTS,
        max_reports: int = DEFAULT_MAX_REPORTS,
        max_rss: int = DEFAULT_MAX_RSS,
        startup_timeout: float = 60,
    ) -> None:
        self.kernel_name = kernel_name
        self.imports = warm_imports(imports)
        self.max_reports = max_reports
        self.max_rss = max_rss
        self.startup_timeout = startup_timeout
        self.loop = asyncio.new_event_loop()
        self.km: Any = None
        self.kc: Any = None
        self._ipc_dir: str | None = None
        self._starting: threading.Thread | None = None
        self._start_task: asyncio.Task[None] | None = None
        self._pending_reset: tuple[str, str] | None = None
        self.reports = 0
        self.starts = 0

    # -- life cycle ----------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        """Whether a kernel process is running."""
        return self.km is not None and self.loop.run_until_complete(self.km.is_alive())

    @property
    def pid(self) -> int | None:
        """Process id of the kernel, if running."""
        provisioner = getattr(self.km, "provisioner", None)
        return getattr(provisioner, "pid", None) if provisioner is not None else None

    def start(self) -> None:
        """Start (or restart) the kernel and warm it up."""
        self.shutdown()
        self.loop.run_until_complete(self._start())

    def start_in_background(self) -> None:
        """Start the kernel in a helper thread and return at once.

        The next :meth:`execute` waits for the start to finish; a start that failed is retried
        there, so its error reaches the report like any other. :meth:`shutdown` cancels it.
        """
        if self.km is not None or self._starting is not None:
            return
        task = self._start_task = self.loop.create_task(self._start())

        def start() -> None:
            try:
                self.loop.run_until_complete(task)
            except BaseException:  # noqa: BLE001 - execute() starts again and reports the error
                logger.debug("background kernel start failed or was cancelled", exc_info=True)

        self._starting = threading.Thread(target=start, name="abcresearch-kernel-start",
                                          daemon=True)
        self._starting.start()

    def _wait_for_start(self, cancel: bool = False) -> None:
        starting, self._starting = self._starting, None
        task, self._start_task = self._start_task, None
        if starting is None:
            return
        if cancel and task is not None:
            # a kernel being started for nothing (the command failed its checks, the process
            # is stopping): stop waiting for it; the shutdown then stops whatever was launched
            self.loop.call_soon_threadsafe(task.cancel)
        starting.join()

    async def _start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager

        options: dict[str, Any] = {}
        if os.name == "posix":
            # local sockets in a private folder, not TCP ports on localhost: nothing else on the
            # machine can connect, and the kernel does not warn about unencrypted TCP
            import tempfile

            remove_stale_socket_folders()
            self._ipc_dir = tempfile.mkdtemp(prefix=f"{SOCKET_FOLDER_PREFIX}{os.getpid()}-")
            options = {"transport": "ipc", "ip": os.path.join(self._ipc_dir, "k")}
        self.km = AsyncKernelManager(kernel_name=self.kernel_name, **options)
        # no history database: a report's cells do not belong in the user's IPython history
        await self.km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
        self.kc = self.km.client()
        # No heartbeat channel: liveness is asked of the kernel manager (the process), as the
        # client itself does when it has one. The heartbeat thread of jupyter_client 8 has a
        # race: stopped before its first socket is made, it never sees the stop, pings in a
        # tight loop, opens a socket for every missed beat and ends only when the process runs
        # out of file descriptors ("Too many open files"), which is what a start cancelled at
        # once (a report command that fails its checks) can hit on a loaded machine.
        self.kc.start_channels(hb=False)
        try:
            await self.kc.wait_for_ready(timeout=self.startup_timeout)
            await self._silent(
                "import abcresearch.batch.kernel_state as __abc_k\n"
                f"__abc_k.warm({list(self.imports)!r})\n"
                "del __abc_k\n"
            )
        except BaseException:  # also cancelled (shutdown() while it starts)
            await self._shutdown()
            raise
        self.reports = 0
        self.starts += 1

    def shutdown(self) -> None:
        """Stop the kernel if it runs (a start in the background is cancelled)."""
        self._wait_for_start(cancel=True)
        if self.km is not None and not self.loop.is_closed():
            self.loop.run_until_complete(self._shutdown())

    async def _shutdown(self) -> None:
        km, kc = self.km, self.kc
        self.km = self.kc = None
        self._pending_reset = None
        if kc is not None:
            kc.stop_channels()
        if km is not None:
            try:
                await km.shutdown_kernel(now=True)
            except Exception:  # pragma: no cover - best effort on a dying kernel
                logger.debug("warm kernel shutdown failed", exc_info=True)
        if self._ipc_dir is not None:
            import shutil

            shutil.rmtree(self._ipc_dir, ignore_errors=True)
            self._ipc_dir = None

    def close(self) -> None:
        """Stop the kernel and close the event loop."""
        self.shutdown()
        if not self.loop.is_closed():
            self.loop.close()

    # -- execution -----------------------------------------------------------------------------
    async def _send(self, code: str) -> str:
        """Send code to run silently; return its message id.

        Called on this kernel's own loop: the client's sockets belong to it, whatever loop the
        calling thread has (a Dask executor thread has none).
        """
        return str(self.kc.execute(code, silent=True, store_history=False, allow_stdin=False))

    async def _silent(self, code: str, timeout: float = 120) -> None:
        """Run code silently; raise :class:`KernelResetError` if it fails."""
        await self._wait(await self._send(code), timeout)

    async def _wait(self, msg_id: str, timeout: float = 120) -> None:
        """Wait for the reply to silent code sent earlier; raise if it failed.

        A kernel that dies meanwhile (killed for memory during a reset, crashed while it
        imports), before or after its reply, is noticed within about a second, not at the
        timeout.
        """
        deadline = time.monotonic() + timeout
        reply = None
        idle = False
        while reply is None or not idle:
            left = deadline - time.monotonic()
            if left <= 0:
                raise KernelResetError(f"warm kernel did not answer within {timeout} s")
            if reply is None:
                try:
                    msg = await self.kc.get_shell_msg(timeout=min(left, 0.5))
                    if msg["parent_header"].get("msg_id") == msg_id:
                        reply = msg
                except Exception:  # queue.Empty
                    await self._raise_if_dead()
            if not idle:
                try:
                    msg = await self.kc.get_iopub_msg(timeout=min(left, 0.05 if reply else 0.5))
                    if (msg["parent_header"].get("msg_id") == msg_id
                            and msg["msg_type"] == "status"
                            and msg["content"].get("execution_state") == "idle"):
                        idle = True
                except Exception:  # queue.Empty
                    await self._raise_if_dead()
        content = reply["content"]
        if content.get("status") != "ok":
            raise KernelResetError(
                f"warm kernel code failed: {content.get('ename')}: {content.get('evalue')}"
            )

    async def _raise_if_dead(self) -> None:
        if self.km is not None and not await self.km.is_alive():
            raise KernelResetError("warm kernel died before it finished")

    def _rss(self) -> int:
        pid = self.pid
        if pid is None:
            return 0
        try:
            import psutil

            return int(psutil.Process(pid).memory_info().rss)
        except Exception:  # pragma: no cover - process gone or psutil missing
            return 0

    def execute(self, nb_man: Any, cwd: str | None = None, **client_kwargs: Any) -> Any:
        """Reset the kernel and execute a papermill-managed notebook in it.

        Parameters
        ----------
        nb_man : papermill.engines.NotebookExecutionManager
            The notebook and papermill's execution bookkeeping.
        cwd : str, optional
            Working directory of the notebook (default: the current one).
        **client_kwargs
            Options for :class:`papermill.clientwrap.PapermillNotebookClient` (``timeout``,
            ``log_output``, ``stdout_file`` ...).

        Returns
        -------
        nbformat.NotebookNode
            The executed notebook (also in ``nb_man.nb``).
        """
        self._wait_for_start()
        if self.km is None or not self.alive:
            self.start()
        cwd = cwd or os.getcwd()
        try:
            self._finish_reset(cwd)
        except Exception:
            # one retry on a fresh kernel: a reset failure is the kernel's fault, not the area's
            self.start()
            self._finish_reset(cwd)
        if self._rss() > self.max_rss:
            # what a notebook left in its namespace is freed by the reset (the province
            # overview leaves about 1 GB, half of it after the reset): measured only now
            self.start()
            self._finish_reset(cwd)
        clean = False
        try:
            nb = self.loop.run_until_complete(self._execute(nb_man, **client_kwargs))
            clean = True
            return nb
        finally:
            self.reports += 1
            if not clean or self.reports >= self.max_reports:
                self.shutdown()
            else:
                # the next notebook's reset runs now, in the kernel, while this process
                # typesets the PDF; the next execute() waits for it and checks its answer
                try:
                    msg_id = self.loop.run_until_complete(self._send(self._reset_code(cwd)))
                    self._pending_reset = (msg_id, cwd)
                except Exception:  # noqa: BLE001 - the notebook ran; a new kernel next time
                    logger.debug("could not send the reset to the warm kernel", exc_info=True)
                    self.shutdown()

    @staticmethod
    def _reset_code(cwd: str) -> str:
        return ("import abcresearch.batch.kernel_state as __abc_k\n"
                f"__abc_k.reset({cwd!r})\n")

    def _finish_reset(self, cwd: str) -> None:
        """Wait for the reset sent after the last notebook (or reset now) and enter ``cwd``."""
        pending, self._pending_reset = self._pending_reset, None
        if pending is None:
            self.loop.run_until_complete(self._silent(self._reset_code(cwd)))
            return
        msg_id, reset_cwd = pending
        self.loop.run_until_complete(self._wait(msg_id))
        if reset_cwd != cwd:  # no name is left in the notebook's namespace
            self.loop.run_until_complete(self._silent(f"__import__('os').chdir({cwd!r})\n"))

    async def _execute(self, nb_man: Any, **client_kwargs: Any) -> Any:
        from nbclient.exceptions import CellExecutionError
        from papermill.clientwrap import PapermillNotebookClient

        client = PapermillNotebookClient(nb_man, km=self.km, kernel_name=self.kernel_name,
                                         **client_kwargs)
        client.kc = self.kc
        client.reset_execution_trackers()
        # Not inside client.async_setup_kernel(): the kernel and its client are this object's,
        # and that context registers, for every notebook, an atexit hook holding the client
        # (and so the executed notebook) and SIGINT/SIGTERM handlers on the event loop. In a
        # worker or a report server that runs hundreds of notebooks, the hooks pile up and the
        # process's own SIGTERM handling is replaced.
        for index, cell in enumerate(client.nb.cells):
            try:
                nb_man.cell_start(cell, index)
                await client.async_execute_cell(cell, index)
            except CellExecutionError as ex:
                nb_man.cell_exception(client.nb.cells[index], cell_index=index, exception=ex)
                break
            finally:
                nb_man.cell_complete(client.nb.cells[index], cell_index=index)
        info = await client.async_wait_for_reply(self.kc.kernel_info())
        if info is not None:
            client.nb.metadata["language_info"] = info["content"]["language_info"]
        client.set_widgets_metadata()
        return client.nb


SOCKET_FOLDER_PREFIX = "abcresearch-kernel-"
"""Start of the name of a warm kernel's socket folder; the owner's process id and ``-`` follow."""


def remove_stale_socket_folders(folder: str | os.PathLike[str] | None = None) -> list[str]:
    """Remove the socket folders of warm kernels whose owner process is gone.

    A process killed outright (``SIGKILL``, out of memory) cannot remove the private folder of
    its kernel's sockets; its kernel exits when its parent does. Folders whose name carries the
    id of a process still running (or of another user's process) are left alone, as are
    folders named otherwise.

    Parameters
    ----------
    folder : path-like, optional
        Where the folders are (default: :func:`tempfile.gettempdir`).

    Returns
    -------
    list of str
        The folders removed.
    """
    import re
    import shutil
    import tempfile
    from pathlib import Path

    removed = []
    pattern = re.compile(re.escape(SOCKET_FOLDER_PREFIX) + r"(\d+)-")
    for path in Path(folder or tempfile.gettempdir()).glob(SOCKET_FOLDER_PREFIX + "*-*"):
        match = pattern.match(path.name)
        if match is None or not path.is_dir() or _process_alive(int(match.group(1))):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(str(path))
    return removed


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return True  # not a process id this module wrote: leave the folder alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # another user's process, or a question the system does not answer
    return True


class KernelPool:
    """Warm kernels of this process, one per (thread, kernel name).

    Kernels are stopped when the process exits, also in ``multiprocessing`` children and dask
    workers (which skip :mod:`atexit`).
    """

    def __init__(self) -> None:
        self._kernels: dict[tuple[int, str], WarmKernel] = {}
        self._lock = threading.Lock()
        self._finalizer_registered = False
        self.keep_warm = False
        """Keep the kernels between commands (a report server, see :mod:`abcresearch.server`)."""

    def get(self, kernel_name: str = "python3") -> WarmKernel:
        """Return this thread's warm kernel for ``kernel_name`` (created lazily, not started)."""
        key = (threading.get_ident(), kernel_name)
        with self._lock:
            kernel = self._kernels.get(key)
            if kernel is None:
                kernel = self._kernels[key] = WarmKernel(kernel_name)
                self._register_cleanup()
        return kernel

    def _register_cleanup(self) -> None:
        if self._finalizer_registered:
            return
        import multiprocessing.util

        atexit.register(self.close)
        multiprocessing.util.Finalize(self, KernelPool.close, args=(self,), exitpriority=10)
        self._finalizer_registered = True

    def release(self) -> None:
        """Stop every kernel after a command, unless :attr:`keep_warm` (a report server)."""
        if not self.keep_warm:
            self.close()

    def close(self) -> None:
        """Stop every kernel of this process."""
        with self._lock:
            kernels = list(self._kernels.values())
            self._kernels.clear()
        for kernel in kernels:
            try:
                kernel.close()
            except Exception:  # pragma: no cover - best effort at exit
                logger.debug("closing warm kernel failed", exc_info=True)


POOL = KernelPool()
"""The warm kernels of this process."""


def start_soon(kernel_name: str = "python3", imports: Iterable[str] = REPORT_IMPORTS
               ) -> WarmKernel:
    """Start this thread's warm kernel in the background and return it at once.

    For a single report (``abcresearch report``): the kernel starts and imports ``imports``
    while the command checks the area and builds the report's inputs; the report then runs
    with ``engine=ENGINE_NAME`` in that kernel. A kernel already started is left as it is.
    """
    kernel = POOL.get(kernel_name)
    if kernel.km is None:
        kernel.imports = tuple(imports)
        kernel.start_in_background()
    return kernel


def warm_up(kernel_name: str = "python3", background: bool = False) -> WarmKernel:
    """Start this thread's warm kernel (e.g. in a worker initialiser) and return it.

    Parameters
    ----------
    kernel_name : str
        Jupyter kernel spec name.
    background : bool
        Return at once and let the kernel start in a helper thread (the first notebook waits
        for it); a batch worker meanwhile warms up its own PDF step.
    """
    kernel = POOL.get(kernel_name)
    if kernel.km is None:
        if background:
            kernel.start_in_background()
        else:
            kernel.start()
    return kernel


class WarmKernelEngine(Engine):
    """papermill engine ``abcresearch_warm``: run notebooks in this thread's warm kernel.

    Same interface and outputs as papermill's default ``nbclient`` engine; the kernel is reset
    between notebooks instead of being started and stopped (see the module docstring).
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Execute ``nb_man.nb`` in the warm kernel; see :meth:`WarmKernel.execute`."""
        kwargs.pop("input_path", None)
        kwargs.pop("output_path", None)
        timeout = execution_timeout if execution_timeout else kwargs.pop("timeout", None)
        kernel = POOL.get(kernel_name or "python3")
        kernel.startup_timeout = start_timeout
        return kernel.execute(
            nb_man,
            cwd=os.getcwd(),
            timeout=timeout,
            startup_timeout=start_timeout,
            log=logging.getLogger("papermill"),
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            **kwargs,
        )


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
