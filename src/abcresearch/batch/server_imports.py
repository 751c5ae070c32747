"""What a local batch's fork server imports once for the workers it forks; importing runs it.

:func:`abcresearch.batch.run.start_worker_server` names this one module as the server's preload.
Importing it imports the notebooks' libraries (:func:`abcresearch.batch.kernels.warm_imports`)
and the worker's own (:data:`WORKER_IMPORTS`), each guarded: the standard library's fork server
survives only an ``ImportError`` while it preloads, and a module failing otherwise (a name in
``ABCRESEARCH_WARM_IMPORTS`` that raises on import) would end it, and every batch with it. A
module that fails here is imported again by the first report that needs it, which then says why.

Besides the imports it reads the Thai word lists (:func:`load_word_lists`), plain Python data
every report's text needs. Nothing here starts a thread of Typst's, a kernel or a pool (the
workers are forked from this state).
"""

from __future__ import annotations

import importlib

WORKER_IMPORTS: tuple[str, ...] = (
    "papermill",
    "nbformat",
    "abcresearch.batch.run",
    "abcresearch.batch.inprocess",
    "abcresearch.batch.kernel_state",
    "abcresearch.reports.render.pdf",
    "abcresearch.reports.render.textlayer",
    "pypdf",
    "pypdf.generic",
    "pypdf.errors",
    "typst",
)
"""Modules a worker needs to take a task and make its PDF (besides the notebooks' own)."""


def import_all() -> list[str]:
    """Import the workers' modules; return those that failed (never raises)."""
    failed = []
    try:
        from abcresearch.batch.kernels import warm_imports

        names = [*warm_imports(), *WORKER_IMPORTS]
    except Exception:  # noqa: BLE001 - the server must not end over its preload
        return ["abcresearch.batch.kernels"]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - see the module docstring
            failed.append(name)
    return failed


def load_word_lists() -> bool:
    """Read the Thai word lists once for every worker; return whether that worked (never raises).

    A worker read them (0.13 s) at its first Thai text otherwise; a failure here is met again,
    and reported, by the first report.
    """
    try:
        from abcresearch.reports.render.thai import load_word_lists as load

        load()
    except Exception:  # noqa: BLE001 - see the module docstring
        return False
    return True


FAILED: list[str] = import_all()
"""The modules that failed to import in this process (imported here once, on import)."""

WORD_LISTS: bool = load_word_lists()
"""Whether the word lists were read here (on import)."""
