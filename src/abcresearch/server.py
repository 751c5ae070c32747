"""A warm report server: ``abcresearch serve`` keeps a warm process for ``abcresearch report``.

A new ``abcresearch report`` process pays, before its report, for a kernel's start and imports,
its own imports, Typst's fonts and the first use of each library: about three quarters of its
wall time on two cores. A researcher making one report after another can leave
``abcresearch serve`` running in a terminal: each ``abcresearch report`` started from the same
project, with the same abcresearch and environment, then hands its arguments to the server,
which runs the report's notebook in its own process, with the libraries already imported
(reset between reports, as a local batch worker does: :mod:`abcresearch.batch.inprocess`), and
sends back the command's output and exit status. Nothing else changes: the same files, the
same checks, the same one-sentence errors. A notebook that ends its process (a crash,
``os._exit``) stops the server; the next command then runs in its own process.

When is the server used? Only when it is *the same setup* as the command (:func:`identity`): the
same Python, the same abcresearch files (name, size and modification time of every file of the
package), the same project folder and ``params/`` files, and the same ``ABCRESEARCH_*``
environment variables. An edited module, a changed parameter file or another project makes the
command run in its own process, as it does when no server runs or the server does not answer.
``ABCRESEARCH_NO_SERVER=1`` makes it always run in its own process. The round's analysis is keyed
by the store's version (what the server keeps of it, by the identity of its files), so a store
ingested again while the server runs is seen by the next report.

Where does it listen? On a Unix socket named by the identity, in a folder only the user can
enter (``<cache>/serve-<uid>/``, the cache being ``$ABCRESEARCH_CACHE`` or
``~/.cache/abcresearch``; a real folder, not a link): no TCP port, and each end checks that the
other runs as the same user. The server stops after ``--idle-minutes`` without a request
(default 30), on Ctrl-C or ``kill``, or when its socket file is removed; one report runs at a
time (a second command waits for the first).

This module imports only the standard library (and :mod:`abcresearch.paths` and
:mod:`abcresearch.errors`): the client side runs in every ``abcresearch report`` before anything
heavy is imported. What the server does
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

OTHER_ENV = ("SOURCE_DATE_EPOCH", "TZ", "HOME", "JUPYTER_PATH", "JUPYTER_DATA_DIR",
             "PYTHONWARNINGS", "PYTHONPATH")
"""Other environment variables a report depends on (the PDF's date, local time, which kernel
runs, warnings, what Python imports)."""

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
        if (path.is_file() and "__pycache__" not in path.parts
                and not path.name.startswith((".", "#")) and not path.name.endswith("~")):
            st = path.stat()
            rows.append(f"{path.relative_to(folder).as_posix()}\0{st.st_size}\0{st.st_mtime_ns}")
    return rows


def identity() -> str:
    """Return what a server and a command must share for the server to run the command.

    A hash of: the Python executable and the modification time of its ``site-packages``
    (installing or upgrading a library changes it); name, size and
    modification time of every file of the abcresearch package and of the project's
    ``params/`` folder (editor back-up files aside); the project folder; the umask; every
    ``ABCRESEARCH_*`` environment variable (other than :data:`NO_SERVER_ENV`) and those of
    :data:`OTHER_ENV`. Computed from file metadata only (a few milliseconds).

    Returns
    -------
    str
        Hex digest.
    """
    import sysconfig

    from abcresearch.paths import PACKAGE_DIR, params_dir, project_root

    h = hashlib.sha256()
    h.update(sys.executable.encode())
    for kind in ("purelib", "platlib"):  # installing or upgrading a library changes them
        folder = sysconfig.get_paths()[kind]
        try:
            h.update(f"lib\0{folder}\0{os.stat(folder).st_mtime_ns}".encode())
        except OSError:
            continue
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
    mask = os.umask(0o022)
    os.umask(mask)
    h.update(f"umask\0{mask}".encode())
    for key in sorted(os.environ):
        if (key.startswith("ABCRESEARCH_") and key != NO_SERVER_ENV) or key in OTHER_ENV:
            h.update(f"env\0{key}\0{os.environ[key]}".encode())
    return h.hexdigest()


def socket_dir() -> Path:
    """Return this user's folder of server sockets.

    Returns
    -------
    pathlib.Path
        ``serve-<uid>`` in :func:`abcresearch.paths.cache_dir`: one folder per user, so a
        cache folder shared by a group still gives each user a private one.
    """
    from abcresearch.paths import cache_dir

    return cache_dir() / f"serve-{os.getuid()}"


MAX_SOCKET_PATH = 100
"""Longest socket path used (Linux allows 107 bytes); a longer one moves to the temp folder."""


def socket_path(ident: str) -> Path:
    """Return the socket of the server for a setup.

    Parameters
    ----------
    ident : str
        The setup (:func:`identity`).

    Returns
    -------
    pathlib.Path
        In :func:`socket_dir`, or, when that path would be too long for a Unix socket, in
        ``<temp>/abcresearch-serve-<uid>/``.
    """
    name = f"{ident[:24]}.sock"
    path = socket_dir() / name
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        import tempfile

        path = Path(tempfile.gettempdir()) / f"abcresearch-serve-{os.getuid()}" / name
    return path


def _private_folder(folder: Path) -> bool:
    """Whether ``folder`` is a real folder (not a link) of this user that nobody else may enter."""
    import stat

    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & 0o077)


def _same_user(conn: socket.socket) -> bool:
    """Whether the process at the other end of ``conn`` runs as this user (Linux: SO_PEERCRED)."""
    import struct

    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:  # pragma: no cover - not Linux: the private folder is the only guard
        return True
    try:
        _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option,
                                                        struct.calcsize("3i")))
    except OSError:
        return False
    return uid == os.getuid()


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
        None when no server of this setup runs, ``ABCRESEARCH_NO_SERVER`` is set, anything
        about the socket or its folder is not as a server of this user leaves it, or the
        server gave no result: then the command runs in its own process.
    """
    if os.environ.get(NO_SERVER_ENV, "").strip() not in ("", "0"):
        return None
    try:
        ident = identity()
        path = socket_path(ident)
        if not _private_folder(path.parent) or not path.exists():
            return None
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(5.0)
            conn.connect(str(path))
            if not _same_user(conn):
                return None
            conn.settimeout(timeout)
            conn.sendall(json.dumps({"argv": list(argv), "cwd": os.getcwd(),
                                     "identity": ident}).encode() + b"\n")
            conn.shutdown(socket.SHUT_WR)
            data = json.loads(_read_all(conn).decode("utf-8"))
        return Reply(int(data["code"]), str(data["stdout"]), str(data["stderr"]),
                     int(data.get("pid", 0)))
    except Exception:  # noqa: BLE001 - no server, a stale socket, a server that stopped
        return None  # mid-way, no home folder ...: the command runs in this process


def serve(handler: Handler, idle_minutes: float = DEFAULT_IDLE_MINUTES,
          warm: Callable[[], None] | None = None,
          announce: Callable[[str], None] | None = None) -> int:
    """Run a report server until it is idle for ``idle_minutes``, stopped, or its socket goes.

    Ctrl-C or SIGTERM stop it, also during a report (that command then ends with status 130,
    "interrupted", as it would in its own process).

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
        0 when it stopped by itself or was stopped.

    Raises
    ------
    abcresearch.errors.InputError
        If a server of the same setup already runs, or the socket's folder is not this
        user's own, or the socket cannot be made.
    """
    import signal
    import stat
    import threading

    from abcresearch.errors import InputError

    ident = identity()
    path = socket_path(ident)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.lstat(path.parent)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid():  # not through a link
            os.chmod(path.parent, 0o700)
    except OSError as exc:
        raise InputError(f"cannot make the report server's folder {path.parent}: "
                         f"{exc.strerror or exc}") from exc
    if not _private_folder(path.parent):
        raise InputError(f"the report server's folder {path.parent} is not a folder of this "
                         "user's that only this user may enter")
    if path.exists() or path.is_symlink():
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.settimeout(5.0)
                probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            path.unlink(missing_ok=True)  # left by a server that was killed
        except OSError as exc:
            raise InputError(f"a report server may already run for this project and setup "
                             f"(socket {path} does not answer: {exc}); stop it, or remove "
                             "the socket file if it does not run") from exc
        else:
            raise InputError(f"a report server for this project and setup already runs "
                             f"(socket {path})")
    if warm is not None:
        warm()
    stopping: list[int] = []

    def stop(signum: int, frame: object) -> None:
        # `kill` stops it as Ctrl-C does; a report under way ends as interrupted, then the
        # loop sees the flag, removes the socket and stops the kernel
        stopping.append(signum)
        raise KeyboardInterrupt

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, stop) if main_thread else None
    previous_int = signal.signal(signal.SIGINT, stop) if main_thread else None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        try:
            listener.bind(str(path))
            os.chmod(path, 0o600)
        except OSError as exc:
            raise InputError(f"cannot listen on {path}: {exc.strerror or exc} (is another "
                             "report server starting?)") from exc
        try:
            listener.listen(8)
            listener.settimeout(min(60.0, idle_minutes * 60))
            (announce or print)(f"abcresearch serve: ready (pid {os.getpid()}, socket {path}); "
                                f"stops after {idle_minutes:g} minutes without a report, or "
                                "Ctrl-C")
            sys.stdout.flush()
            idle = 0.0
            while path.exists() and not stopping:
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    idle += listener.gettimeout() or 0.0
                    if idle >= idle_minutes * 60:
                        break
                    continue
                idle = 0.0
                with conn:
                    if _same_user(conn):
                        _answer(conn, ident, handler)
        except KeyboardInterrupt:
            pass
        finally:
            path.unlink(missing_ok=True)
            if main_thread:
                signal.signal(signal.SIGTERM, previous)
                signal.signal(signal.SIGINT, previous_int)
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
    except Exception as exc:  # noqa: BLE001 - the command's own errors are in its output
        code, out, err = 1, "", f"abcresearch serve: the report server failed: {exc}\n"
    finally:
        os.chdir(here)
    try:
        conn.sendall(json.dumps({"code": code, "stdout": out, "stderr": err,
                                 "pid": os.getpid()}).encode())
    except OSError:
        pass  # the command was interrupted; its files are written atomically in any case
