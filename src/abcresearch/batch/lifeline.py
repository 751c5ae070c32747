"""Make a batch's worker processes end when the batch process that started them dies.

A local batch runs its reports in ``multiprocessing`` workers (:mod:`abcresearch.batch.run`).
When the batch process is killed (``kill -9``, out of memory, a closed terminal), nothing tells
those workers: they would wait on their task queue for ever, each keeping its warm kernel alive.
:func:`exit_with_parent`, called first in every worker, fixes that:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGTERM)`` through :mod:`ctypes`: the kernel sends the
  worker SIGTERM the moment its parent dies (the worker dies at once, as SIGTERM's default
  action; the batch's workers are started from the thread that runs the batch, which lives as
  long as the pool);
* elsewhere, a daemon thread that checks every second whether the parent is still the same
  process, and ends the worker when it is not.

Either way the check is made once right away, so a parent that died while the worker was
starting is noticed too.

Where the workers are forked by a fork server (:mod:`multiprocessing.forkserver`, as the local
batch's are), a worker's parent is the fork server, which outlives the batch process as long as
any worker does (each worker holds its end of the server's "alive" pipe). Such a worker watches
the batch process itself from a daemon thread: through a pidfd (``os.pidfd_open``, Linux 5.3 and
later), which wakes the thread the moment the process ends, or else by checking every second.
The thread needs the interpreter lock to end the process, so a worker inside a long C call that
holds it ends when that call returns. Warm kernels need nothing more: jupyter_client gives
each kernel its worker's process id (``JPY_PARENT_PID``) and ipykernel ends the kernel within a
second of that process's death.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
"""``prctl`` option: signal to receive when the parent dies (``<linux/prctl.h>``)."""

POLL_SECONDS = 1.0
"""How often the fallback thread checks the parent."""


def _parent_gone(parent_pid: int) -> bool:
    return os.getppid() != parent_pid


def _prctl_deathsig(sig: int) -> bool:
    """Ask Linux to send ``sig`` to this process when its parent dies; True if it worked."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while not _parent_gone(parent_pid):
        time.sleep(POLL_SECONDS)
    os._exit(1)


def _watch_batch(pid: int) -> None:
    import select

    try:
        fd = os.pidfd_open(pid)
        poller = select.poll()  # (select.select fails for a descriptor number past 1023)
        poller.register(fd, select.POLLIN)
        poller.poll()  # readable once the process has ended
    except Exception:  # noqa: BLE001 - not Linux 5.3+, gone already, or no poll: check often
        while not _gone(pid):
            time.sleep(POLL_SECONDS)
    os._exit(1)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, but another user's (a reused id): not the batch process
        return True
    return False


def exit_with_parent(parent_pid: int, forked_by_server: bool = False) -> str:
    """End this process when ``parent_pid`` (its parent, the batch process) dies.

    Parameters
    ----------
    parent_pid : int
        Process id of the batch process, as the parent saw it (``os.getpid()`` there).
    forked_by_server : bool
        This process was forked by the batch process's fork server (its parent): watch the
        batch process from a thread instead (see the module docstring).

    Returns
    -------
    str
        ``"prctl"`` or ``"thread"``: how the parent is watched.
    """
    if forked_by_server:
        threading.Thread(target=_watch_batch, args=(parent_pid,), name="abcresearch-lifeline",
                         daemon=True).start()
        if _gone(parent_pid):  # died before the watch was set up
            os._exit(1)
        return "thread"
    if _prctl_deathsig(signal.SIGTERM):
        how = "prctl"
    else:
        threading.Thread(target=_watch, args=(parent_pid,), name="abcresearch-lifeline",
                         daemon=True).start()
        how = "thread"
    if _parent_gone(parent_pid):  # died before the watch was set up
        os._exit(1)
    return how


__all__ = ["PR_SET_PDEATHSIG", "exit_with_parent"]
