"""A warm report server: ``abcresearch serve`` keeps a kernel warm for ``abcresearch report``.

A new ``abcresearch report`` process pays, before its report, for a kernel's start and imports,
its own imports, Typst's fonts and the first use of each library: about three quarters of its
wall time on two cores. A researcher making one report after another can leave
``abcresearch serve`` running in a terminal: each ``abcresearch report`` started from the same
project, with the same abcresearch and environment, then hands its arguments to the server,
which makes the report in its warm kernel (reset before each report, as a batch worker does)
and sends back the command's output and exit status. Nothing else changes: the same files, the
same checks, the same one-sentence errors.

When is the server used? Only when it is *the same setup* as the command (:func:`identity`): the
same Python, the same abcresearch files (name, size and modification time of every file of the
package), the same project folder and ``params/`` files, and the same ``ABCRESEARCH_*``
environment variables. An edited module, a changed parameter file or another project makes the
command run in its own process, as it does when no server runs or the server does not answer.
``ABCRESEARCH_NO_SERVER=1`` makes it always run in its own process. Data are read fresh for every
report (the round's analysis is keyed by the store's version), so a store ingested again while
the server runs is seen by the next report.

Where does it listen? On a Unix socket named by the identity, in a folder only the user can
enter (``<cache>/serve/``, the cache being ``$ABCRESEARCH_CACHE`` or ``~/.cache/abcresearch``):
no TCP port, no other user. The server stops after ``--idle-minutes`` without a request
(default 30), on Ctrl-C or ``kill``, or when its socket file is removed; one report runs at a
time (a second command waits for the first).

This module imports only the standard library (and :mod:`abcresearch.paths`): the client side
runs in every ``abcresearch report`` before anything heavy is imported. What the server does
with a command (:data:`Handler`) and how it warms up are given by :mod:`abcresearch.cli`.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

NO_SERVER_ENV = "ABCRESEARCH_NO_SERVER"
"""Set to ``1`` to make ``abcresearch report`` run in its own process even if a server runs."""

CACHE_ENV = "ABCRESEARCH_CACHE"
"""Cache folder (the same variable the parsed-form cache uses)."""

OTHER_ENV = ("SOURCE_DATE_EPOCH", "TZ")
"""Other environment variables a report depends on (the PDF's date, local time)."""

DEFAULT_IDLE_MINUTES = 30.0
"""Minutes without a request after which a server stops."""

Handler = Callable[[Sequence[str], str], tuple[int, str, str]]
"""What a server does with one command: ``(argv, cwd) -> (exit status, stdout, stderr)``."""


@dataclass(frozen=True)
class Reply:
    """A command's result as the server sends it back."""

    code: int
    stdout: str
    stderr: str
    pid: int = 0
    """Process id of the server."""


def _file_stats(folder: Path) -> list[str]:
    rows = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            st = path.stat()
            rows.append(f"{path.relative_to(folder).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}")
    return rows


def identity() -> str:
    """Return what a server and a command must share for the server to run the command.

    A hash of: the Python executable; name, size and modification time of every file of the
    abcresearch package and of the project's ``params/`` folder; the project folder; every
    ``ABCRESEARCH_*`` environment variable (other than :data:`NO_SERVER_ENV`) and those of
    :data:`OTHER_ENV`. Computed from
    file metadata only (a few milliseconds).

    Returns
    -------
    str
        Hex digest.
    """
    from abcresearch.paths import PACKAGE_DIR, params_dir, project_root

    h = hashlib.sha256()
    h.update(sys.executable.encode())
    for row in _file_stats(PACKAGE_DIR):
        h.update(b"pkg\0" + row.encode())
    try:
        root, params = str(project_root()), params_dir()
    except Exception:  # noqa: BLE001 - no project: the command reports that itself
        root, params = "", None
    h.update(b"root\0" + root.encode())
    if params is not None and params.is_dir():
        for row in _file_stats(params):
            h.update(b"params\0" + row.encode())
    for key in sorted(os.environ):
        if (key.startswith("ABCRESEARCH_") and key != NO_SERVER_ENV) or key in OTHER_ENV:
            h.update(f"env\0{key}\0{os.environ[key]}".encode())
    return h.hexdigest()


def socket_dir() -> Path:
    """Return the folder of server sockets (``<cache>/serve``)."""
    base = os.environ.get(CACHE_ENV)
    if base:
        return Path(base) / "serve"
    user_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(user_cache) / "abcresearch" / "serve"


MAX_SOCKET_PATH = 100
"""Longest socket path used (Linux allows 107 bytes); a longer one moves to the temp folder."""


def socket_path(ident: str) -> Path:
    """Return the socket of the server for ``ident`` (see :func:`identity`).

    In :func:`socket_dir`, or, when that path would be too long for a Unix socket, in
    ``<temp>/abcresearch-<uid>/``.
    """
    name = f"{ident[:24]}.sock"
    path = socket_dir() / name
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        import tempfile

        path = Path(tempfile.gettempdir()) / f"abcresearch-{os.getuid()}" / name
    return path


def _private_folder(folder: Path) -> bool:
    """Whether ``folder`` belongs to this user and nobody else may enter it."""
    st = folder.stat()
    return st.st_uid == os.getuid() and not st.st_mode & 0o077


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def request(argv: Sequence[str], timeout: float | None = None) -> Reply | None:
    """Hand a command to the server of this setup, if one runs; return its result.

    Parameters
    ----------
    argv : sequence of str
        The command's arguments (without the program name).
    timeout : float, optional
        Seconds to wait for the result (default: as long as the report takes).

    Returns
    -------
    Reply or None
        None when no server of this setup runs, ``ABCRESEARCH_NO_SERVER`` is set, or the
        server did not give a result (then the command runs in its own process).
    """
    if os.environ.get(NO_SERVER_ENV, "").strip() not in ("", "0"):
        return None
    ident = identity()
    path = socket_path(ident)
    if not path.exists() or not _private_folder(path.parent):
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5.0)
            conn.connect(str(path))
            conn.settimeout(timeout)
            conn.sendall(json.dumps({"argv": list(argv), "cwd": os.getcwd(),
                                     "identity": ident}).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            data = json.loads(_read_all(conn).decode("utf-8"))
        return Reply(int(data["code"]), str(data["stdout"]), str(data["stderr"]),
                     int(data.get("pid", 0)))
    except (OSError, ValueError, KeyError, TypeError):
        # no server (a stale socket file), or it stopped mid-way: run in this process
        return None


def serve(handler: Handler, idle_minutes: float = DEFAULT_IDLE_MINUTES,
          warm: Callable[[], None] | None = None,
          announce: Callable[[str], None] | None = None) -> int:
    """Run a report server until it is idle for ``idle_minutes``, interrupted or its socket goes.

    Parameters
    ----------
    handler : callable
        Runs one command: ``handler(argv, cwd) -> (exit status, stdout, stderr)``.
    idle_minutes : float
        Stop after this long without a request.
    warm : callable, optional
        Called once before the server listens (start the kernel, import, warm the PDF step).
    announce : callable, optional
        Receives one line when the server is ready (default: printed to stdout).

    Returns
    -------
    int
        0 when it stopped by itself or on Ctrl-C.

    Raises
    ------
    abcresearch.errors.InputError
        If a server of the same setup already answers on the socket.
    """
    from abcresearch.errors import InputError

    ident = identity()
    path = socket_path(ident)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.parent.stat().st_uid != os.getuid():
        raise InputError(f"the server folder {path.parent} belongs to another user")
    os.chmod(path.parent, 0o700)  # only this user can reach the socket
    if path.exists():
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(2.0)
                probe.connect(str(path))
            raise InputError(f"a report server for this project and setup already runs "
                             f"(socket {path})")
        except OSError:
            path.unlink(missing_ok=True)  # left by a server that was killed
    if warm is not None:
        warm()
    import signal
    import threading

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # `kill` stops it as Ctrl-C does: socket removed, kernel stopped

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, stop) if main_thread else None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(path))
        os.chmod(path, 0o600)
        listener.listen(8)
        listener.settimeout(min(60.0, idle_minutes * 60))
        (announce or print)(f"abcresearch serve: ready (pid {os.getpid()}, socket {path}); "
                            f"stops after {idle_minutes:g} minutes without a report, or Ctrl-C")
        sys.stdout.flush()
        idle = 0.0
        try:
            while path.exists():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    idle += listener.gettimeout() or 0.0
                    if idle >= idle_minutes * 60:
                        break
                    continue
                idle = 0.0
                with conn:
                    _answer(conn, ident, handler)
        except KeyboardInterrupt:
            pass
        finally:
            path.unlink(missing_ok=True)
            if main_thread:
                signal.signal(signal.SIGTERM, previous)
    return 0


def _answer(conn: socket.socket, ident: str, handler: Handler) -> None:
    conn.settimeout(30.0)
    try:
        req = json.loads(_read_all(conn).decode("utf-8"))
        argv, cwd = [str(a) for a in req["argv"]], str(req["cwd"])
        if req.get("identity") != ident:
            return  # another setup: closing without a result makes it run in its own process
    except (OSError, ValueError, KeyError, TypeError):
        return
    conn.settimeout(None)
    here = os.getcwd()
    try:
        os.chdir(cwd)
        code, out, err = handler(argv, cwd)
    except BaseException as exc:  # noqa: BLE001 - the command's own errors are in its output
        if isinstance(exc, KeyboardInterrupt):
            raise
        code, out, err = 1, "", f"abcresearch serve: the report server failed: {exc}\n"
    finally:
        os.chdir(here)
    try:
        conn.sendall(json.dumps({"code": code, "stdout": out, "stderr": err,
                                 "pid": os.getpid()}).encode())
    except OSError:
        pass  # the command was interrupted; its files are written atomically in any case
