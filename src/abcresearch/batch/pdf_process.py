"""A single report's PDF typeset in a process of its own, on the machine's other core.

``abcresearch report`` makes one report in a fresh process. Its PDF step has one-off costs
(importing Typst, pypdf and the text-layer code, building the font book, reading the Thai word
list, Typst's first compile) that a helper thread paid beside the report's own imports and
cells, holding Python's lock for most of it. A helper *process* (started by the console script
where two or more CPUs are free) pays them on the other core while the command checks the area
and runs the notebook. As each cell with outputs finishes, the command sends the helper the
cells run since the last one (:class:`PartialSender`), and the helper lays the pages so far out
in a thread of its own (Typst's query: no PDF written), the latest first, skipping any that a
later one overtook. The notebook is rendered for it as one Typst file per cell
(``render_notebook(parts=True)``), so Typst's memo cache keeps each cell's layout and the
executed notebook's compile lays out only what is new (0.06-0.09 s instead of about 0.3 s for a
tambon report); that compile runs at once in the helper's main thread, beside a layout still
running. The report's wait after its last cell is the helper's render, that compile and the
text layer (``benchmarks/bench_cli_report.py``, ``docs/SCALING.md``).

The PDF is the one the command's own process makes from the same notebook (the parts give the
same bytes as the single source, and a notebook whose Typst could differ as parts is rendered
as one file; the notebook's JSON is the one written beside the PDF). Where the helper is
missing, has died, fails on a notebook, answers with anything but a well-formed reply, or takes
longer than :data:`TYPESET_TIMEOUT`, :meth:`PdfProcess.typeset` returns ``None`` and the caller
typesets in its own process, which raises the error a report run would (a notebook that Typst
cannot typeset is typeset twice; nothing else is). A layout made ahead that fails costs
nothing but the helper's time.

The protocol, on the helper's standard input and output: a request is one byte, ``P`` (cells
run so far: no reply) or ``T`` (typeset), then its UTF-8 JSON after its length (8 bytes,
big-endian); the reply to ``T`` is :data:`REPLY_MAGIC`, a JSON header after its length (its
``ok`` flag and the warnings raised while typesetting, as ``["module:Class", message]``), then
the PDF after its length (empty when not ``ok``). The helper ends when its input ends (the
command has exited) and ignores Ctrl-C, which the command handles; the command reaps it.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from typing import IO, Any

__all__ = ["MAX_REPLY", "REPLY_MAGIC", "TYPESET_TIMEOUT", "PartialSender", "PdfProcess",
           "active", "free_cpus", "main", "start", "stop"]

_LENGTH = struct.Struct(">Q")
_FIRST_PAGES = b"P"
_TYPESET = b"T"

REPLY_MAGIC = b"ABCPDF1\n"
"""The first bytes of each reply: anything else on the helper's output is not a reply."""

MAX_REPLY = 1 << 31
"""The longest header or PDF a reply may announce (2 GiB); a longer length is not a reply."""

TYPESET_TIMEOUT = 300.0
"""Seconds the command waits for the helper's PDF before it typesets the report itself."""


def _frame(kind: bytes, data: bytes) -> bytes:
    return kind + _LENGTH.pack(len(data)) + data


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(_frame(b"", data))


def _read_exactly(read: Callable[[int], bytes], size: int) -> bytes | None:
    """Read ``size`` bytes with ``read`` (which may return fewer); ``None`` at the end."""
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(stream: IO[bytes]) -> bytes | None:
    """Read one length-prefixed message; ``None`` at the end of the stream or if too long."""
    head = _read_exactly(stream.read, _LENGTH.size)
    if head is None:
        return None
    (size,) = _LENGTH.unpack(head)
    return _read_exactly(stream.read, size) if size <= MAX_REPLY else None


def _read_reply(stream: IO[bytes]) -> tuple[dict[str, Any], bytes] | None:
    """Read one reply to ``T``: its header and PDF, or ``None`` if it is not a well-formed one."""
    if _read_exactly(stream.read, len(REPLY_MAGIC)) != REPLY_MAGIC:
        return None
    header = _receive(stream)
    pdf = _receive(stream) if header is not None else None
    if header is None or pdf is None:
        return None
    try:
        reply = json.loads(header)
    except ValueError:
        return None
    return (reply, pdf) if isinstance(reply, dict) else None


class PdfProcess:
    """A helper process that typesets notebooks into PDFs (see the module documentation)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._used = False
        # requests are written by a thread of their own: a first-pages notebook waits in the
        # pipe while the helper compiles, never in the notebook's run
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._writer: threading.Thread | None = None

    def start(self) -> PdfProcess:
        """Start the helper (it warms up at once); a helper that cannot start is left off.

        Returns
        -------
        PdfProcess
            This helper (:attr:`running` says whether it started).
        """
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(  # noqa: S603 - this interpreter, this module
                    # -P: not the working directory first on sys.path (a typst.py there)
                    [sys.executable, "-P", "-c", f"from {__name__} import main; main()"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    close_fds=True,
                )
            except OSError:
                self._proc = None
        return self

    @property
    def running(self) -> bool:
        """Whether the helper was started and has not exited."""
        return self._proc is not None and self._proc.poll() is None

    def _put(self, message: bytes) -> None:
        if self._writer is None:
            assert self._proc is not None and self._proc.stdin is not None  # noqa: S101 - running
            self._writer = threading.Thread(target=_write_all,
                                            args=(self._proc.stdin, self._outbox),
                                            name="abcresearch-pdf-requests", daemon=True)
            self._writer.start()
        self._outbox.put(message)

    def prepare(self, cells_json: bytes) -> None:
        """Send the cells run since the last call, for the helper to lay out the pages so far.

        Parameters
        ----------
        cells_json : bytes
            JSON of ``{"start": index of the first cell, "cells": [...]}`` and, the first
            time, the notebook's ``metadata``, ``nbformat`` and ``nbformat_minor``
            (:class:`PartialSender` makes it).
        """
        if self.running:
            self._put(_frame(_FIRST_PAGES, cells_json))

    def typeset(self, notebook_json: bytes) -> bytes | None:
        """Return the PDF of an executed notebook, or ``None`` if the helper cannot make it.

        Parameters
        ----------
        notebook_json : bytes
            The notebook as :func:`abcresearch.batch.files.notebook_bytes` writes it.

        Returns
        -------
        bytes or None
            The PDF; ``None`` when the helper is not running, has died, or failed on this
            notebook (the caller then typesets it in its own process). The warnings the
            helper's typesetting raised are raised again here.
        """
        with self._lock:
            proc = self._proc
            if proc is None or proc.stdout is None or proc.poll() is not None:
                return None
            self._used = True
            self._put(_frame(_TYPESET, notebook_json))
            got: list[tuple[dict[str, Any], bytes] | None] = []
            stdout = proc.stdout

            def read() -> None:
                try:
                    got.append(_read_reply(stdout))
                except (OSError, ValueError):
                    got.append(None)

            # read in a thread of its own: a helper that hangs costs TYPESET_TIMEOUT, no more
            reader = threading.Thread(target=read, name="abcresearch-pdf-reply", daemon=True)
            reader.start()
            reader.join(TYPESET_TIMEOUT)
            answer = got[0] if got else None
            if answer is None:
                self.stop(wait=False)
                return None
        reply, pdf = answer
        for category, message in reply.get("warnings", []):
            warnings.warn(str(message), _category(str(category)), stacklevel=2)
        return pdf if reply.get("ok") else None

    def stop(self, wait: bool = True) -> None:
        """Stop the helper and reap it (no process left behind, its CPU counted as a child's).

        Parameters
        ----------
        wait : bool
            Let a helper that typeset a report exit by itself (its input closed, it exits at
            once; up to a second). A helper that never typeset one (the command failed first,
            it may still be warming up), or any helper when ``wait`` is false (the command was
            interrupted: it may be typesetting), is killed.
        """
        proc, self._proc = self._proc, None
        writer, outbox, used = self._writer, self._outbox, self._used
        self._writer, self._outbox, self._used = None, queue.Queue(), False  # a fresh start
        if proc is None:
            return
        if writer is not None:
            outbox.put(None)  # the writer closes the helper's input after the requests
        elif proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=1 if wait and used else 0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if writer is not None:
            writer.join(timeout=1)
        if proc.stdout is not None:
            proc.stdout.close()


class PartialSender:
    """Send a helper each cell of a running notebook once it has run (with its outputs).

    Called after each cell (:func:`abcresearch.batch.inprocess.after_each_cell`) with the
    notebook and the cell's index. A cell without outputs waits and goes with the next one
    that has some, so the helper lays out only when there is something new to lay out.

    Parameters
    ----------
    helper : PdfProcess
        The helper that will typeset the executed notebook.
    """

    def __init__(self, helper: PdfProcess) -> None:
        self.helper = helper
        self.next = 0  # the first cell not sent yet

    def __call__(self, nb: Any, index: int) -> None:
        """Send the cells up to ``index`` if cell ``index`` has outputs."""
        cells = nb.get("cells", [])
        if index >= len(cells) or not cells[index].get("outputs"):
            return
        message: dict[str, Any] = {"start": self.next, "cells": cells[self.next:index + 1]}
        if self.next == 0:
            message.update({k: nb.get(k) for k in ("metadata", "nbformat", "nbformat_minor")})
        self.next = index + 1
        self.helper.prepare(json.dumps(message).encode("utf-8"))


def _write_all(stdin: IO[bytes], outbox: queue.Queue[bytes | None]) -> None:
    """Write the queued requests to a helper; close its input at the end (``None``).

    The queue is the one the writer was started with: a helper started again gets a writer and
    a queue of its own.
    """
    try:
        while (message := outbox.get()) is not None:
            stdin.write(message)
            stdin.flush()
    except (OSError, ValueError):  # the helper has gone: its reply ends, typeset says so
        pass
    finally:
        with contextlib.suppress(OSError):
            stdin.close()


def _category(name: str) -> type[Warning]:
    """Return the warning class the helper named (``module:Class``), if this process has it.

    Only modules already imported here are looked in (a name from the helper imports nothing);
    anything else is a :class:`UserWarning`.
    """
    module, _, qualname = name.rpartition(":")
    found: Any = sys.modules.get(module or "builtins")
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if isinstance(found, type) and issubclass(found, Warning) else UserWarning


def _category_name(category: type[Warning]) -> str:
    return f"{category.__module__}:{category.__qualname__}"


_ACTIVE: PdfProcess | None = None


def free_cpus() -> int:
    """Return how many CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def start() -> PdfProcess:
    """Start this process's PDF helper (once) and make it the one :func:`active` returns.

    Not started on a single CPU, where its warm-up and layouts would compete with the report
    instead of running beside it.

    Returns
    -------
    PdfProcess
        The helper (not running on a single CPU).
    """
    global _ACTIVE
    if _ACTIVE is None:
        _ACTIVE = PdfProcess().start() if free_cpus() >= 2 else PdfProcess()
    return _ACTIVE


def active() -> PdfProcess | None:
    """Return this process's running PDF helper, if a command started one."""
    return _ACTIVE if _ACTIVE is not None and _ACTIVE.running else None


def stop(wait: bool = True) -> None:
    """Stop this process's PDF helper, if one was started (see :meth:`PdfProcess.stop`).

    Parameters
    ----------
    wait : bool
        As :meth:`PdfProcess.stop` (false after an interrupted or failed command).
    """
    global _ACTIVE
    helper, _ACTIVE = _ACTIVE, None
    if helper is not None:
        helper.stop(wait=wait)


def _waiting(stream: IO[bytes]) -> bool:
    """Whether more input is waiting (``False`` where pipes cannot be polled, as on Windows)."""
    try:
        return bool(select.select([stream], [], [], 0)[0])
    except (OSError, ValueError):
        return False


class _Layouts:
    """Lay out the latest notebook so far in a thread of the helper's own, one at a time.

    The executed notebook's compile runs in the main thread meanwhile, beside a layout still
    running (Typst releases the GIL): it waits at most for a layout's rendering to Typst.
    """

    def __init__(self, lay: Callable[[dict[str, Any]], None]) -> None:
        self._lay = lay
        self._latest: dict[str, Any] | None = None
        self._ready = threading.Condition()
        threading.Thread(target=self._run, name="abcresearch-layouts", daemon=True).start()

    def submit(self, nb: dict[str, Any] | None) -> None:
        """Lay ``nb`` out next, instead of any waiting one (``None``: drop the waiting one)."""
        with self._ready:
            self._latest = nb
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                while self._latest is None:
                    self._ready.wait()
                nb, self._latest = self._latest, None
            # (no warnings.catch_warnings here: it changes the process's filters, which the
            # main thread's typesetting records with meanwhile; a layout raises none of its own)
            try:
                self._lay(nb)
            except Exception:  # noqa: BLE001, S110 - only a head start; the full run says
                pass


def main() -> None:
    """Run as the helper: warm up, then lay out or typeset each notebook until input ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command handles Ctrl-C and then exits
    requests = os.fdopen(sys.stdin.fileno(), "rb", buffering=0)  # select sees what is unread
    # nothing but replies on the protocol's stream, whatever writes to the standard output
    # (Python or a library's own code): replies go to a copy of it, and it goes to stderr
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    from abcresearch.reports.render.pdf import compile_pdf, lay_out, typst_document, warm_up

    try:
        warm_up()
    except Exception:  # noqa: BLE001 - a warm-up only: the notebook's own PDF says what fails
        pass
    from nbformat import from_dict

    so_far: dict[str, Any] = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    # Python's part of the typesetting (the notebook to Typst: the Markdown parser, the Thai
    # segmenter's caches) runs in one thread at a time; Typst's layout and compile run side by
    # side. The executed notebook's typesetting holds the lock throughout, so no layout's
    # warnings reach the warnings it records.
    rendering = threading.Lock()

    def lay(nb: dict[str, Any]) -> None:
        with rendering:
            doc = typst_document(from_dict(nb), parts=True)
        lay_out(doc)

    layouts = _Layouts(lay)
    while (kind := _read_exactly(requests.read, 1)) is not None:
        data = _receive(requests)
        if data is None:
            break
        if kind == _FIRST_PAGES:
            try:
                part = json.loads(data)
                so_far.update({k: part[k] for k in ("metadata", "nbformat", "nbformat_minor")
                               if k in part})
                so_far["cells"][part["start"]:] = part["cells"]
            except (ValueError, KeyError, TypeError):
                continue
            if not _waiting(requests):  # else more has arrived: lay out with it
                layouts.submit({**so_far, "cells": list(so_far["cells"])})
            continue
        layouts.submit(None)  # the executed notebook is here: no more first pages
        so_far["cells"] = []  # a next report starts afresh
        pdf = b""
        caught: list[Any] = []
        with rendering:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    # the JSON the command wrote (it read the notebook it made: no validation)
                    pdf = compile_pdf(typst_document(from_dict(json.loads(data)), parts=True))
                ok = True
            except Exception:  # noqa: BLE001 - the command typesets again and raises it there
                ok = False
        notes = [[_category_name(w.category), str(w.message)] for w in caught] if ok else []
        replies.write(REPLY_MAGIC)
        _send(replies, json.dumps({"ok": ok, "warnings": notes}).encode("utf-8"))
        _send(replies, pdf if ok else b"")
        replies.flush()
    os._exit(0)
