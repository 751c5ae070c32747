"""A single report's PDF typeset in a process of its own, on the machine's other core.

``abcresearch report`` makes one report in a fresh process. Its PDF step has one-off costs
(importing Typst, pypdf and the text-layer code, building the font book, reading the Thai word
list, Typst's first compile: about 1.3 CPU-s in a process of their own) that a helper thread
paid beside the report's own imports and cells; the thread holds Python's lock for most of
that, so on two cores it delayed the report about as much as it saved. A helper *process*
pays them on the other core while the command checks the area and runs the notebook, then
typesets the executed notebook the command sends it: the report's wait loses the warm-up and
keeps only the helper's render, compile and text layer (``benchmarks/bench_cli_report.py``).

The same functions make the PDF as in the command's process
(:func:`abcresearch.reports.render.pdf.notebook_to_pdf_bytes` on the notebook's JSON as written
beside the PDF), so the bytes are the same. Where the helper is missing, has died or fails on a
notebook, :meth:`PdfProcess.typeset` returns ``None`` and the caller typesets in its own
process, which raises the error a report run would (a notebook that Typst cannot typeset is
typeset twice; nothing else is).

The protocol, on the helper's standard input and output: a request is the notebook's UTF-8
JSON after its length (8 bytes, big-endian); a reply is a JSON header after its length (its
``ok`` flag and the warnings raised while typesetting, as ``[category, message]``), then the
PDF after its length (empty when not ``ok``). The helper ends when its input ends (the command
has exited) and ignores Ctrl-C, which the command handles.
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import threading
import warnings
from typing import IO, Any

__all__ = ["PdfProcess", "active", "main", "start", "stop"]

_LENGTH = struct.Struct(">Q")


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)


def _receive(stream: IO[bytes]) -> bytes | None:
    """Read one length-prefixed message; ``None`` at the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    return data if len(data) == size else None


class PdfProcess:
    """A helper process that typesets notebooks into PDFs (see the module documentation)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._used = False

    def start(self) -> PdfProcess:
        """Start the helper (it warms up at once); a helper that cannot start is left off."""
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(  # noqa: S603 - this interpreter, this module
                    [sys.executable, "-c", f"from {__name__} import main; main()"],
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
            if proc is None or proc.stdin is None or proc.stdout is None or proc.poll() is not None:
                return None
            self._used = True
            try:
                _send(proc.stdin, notebook_json)
                proc.stdin.flush()
                header = _receive(proc.stdout)
                pdf = _receive(proc.stdout)
            except (OSError, ValueError):
                header = pdf = None
            if header is None or pdf is None:
                self.stop()
                return None
        reply = json.loads(header)
        for category, message in reply.get("warnings", []):
            warnings.warn(message, _category(category), stacklevel=2)
        return pdf if reply.get("ok") else None

    def stop(self) -> None:
        """Stop the helper and reap it (no process left behind, its CPU counted as a child's).

        A helper that typeset a report waits for the next one: its input closed, it exits at
        once. One that never got a notebook (the command failed first) may still be warming up
        and is killed.
        """
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=0 if not self._used else 1)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _category(name: str) -> type[Warning]:
    """Return the warning class of a name the helper sent (this package's or a built-in one)."""
    import builtins

    from abcresearch import errors

    found = getattr(errors, name, None) or getattr(builtins, name, None)
    return found if isinstance(found, type) and issubclass(found, Warning) else UserWarning


_ACTIVE: PdfProcess | None = None


def start() -> PdfProcess:
    """Start this process's PDF helper (once) and make it the one :func:`active` returns."""
    global _ACTIVE
    if _ACTIVE is None:
        _ACTIVE = PdfProcess().start()
    return _ACTIVE


def active() -> PdfProcess | None:
    """Return this process's running PDF helper, if a command started one."""
    return _ACTIVE if _ACTIVE is not None and _ACTIVE.running else None


def stop() -> None:
    """Stop this process's PDF helper, if one was started (see :meth:`PdfProcess.stop`)."""
    global _ACTIVE
    helper, _ACTIVE = _ACTIVE, None
    if helper is not None:
        helper.stop()


def main() -> None:
    """Run as the helper: warm up, then typeset each notebook received until input ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the command handles Ctrl-C and then exits
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but replies on the protocol's stream
    from abcresearch.reports.render.pdf import notebook_to_pdf_bytes, warm_up

    try:
        warm_up()
    except Exception:  # noqa: BLE001 - a warm-up only: the notebook's own PDF says what fails
        pass
    from nbformat import from_dict

    while (data := _receive(requests)) is not None:
        pdf = b""
        caught: list[Any] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                # the JSON the command wrote (it read the notebook it made: no validation)
                pdf = notebook_to_pdf_bytes(from_dict(json.loads(data)))
            ok = True
        except Exception:  # noqa: BLE001 - the command typesets again and raises it there
            ok = False
        notes = [[w.category.__name__, str(w.message)] for w in caught] if ok else []
        _send(replies, json.dumps({"ok": ok, "warnings": notes}).encode("utf-8"))
        _send(replies, pdf if ok else b"")
        replies.flush()
    os._exit(0)

