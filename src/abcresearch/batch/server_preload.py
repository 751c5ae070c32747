"""The preload of a local batch's fork server: its imports, then the collector told to leave them.

:func:`abcresearch.batch.run.start_worker_server` names this module as the server's preload.
Importing it imports :mod:`abcresearch.batch.server_imports` (the workers' libraries and the
Thai word lists), then moves every object made so far into the garbage collector's permanent
generation (:func:`gc.freeze`), as Python's documentation advises for a process that forks
without exec.

Why: a forked worker shares the server's memory until it writes to a page, and a collection
writes to every object it walks (its collector header). A worker's first full collection (at
its start, :func:`abcresearch.batch.kernel_state.snapshot`) walked the 170,000 objects of the
imported libraries and so copied every page that holds them; frozen, no collection walks them.
The imports leave next to no garbage for a collection to free (20 objects), and the libraries
are never unloaded. A process that imports :mod:`~abcresearch.batch.server_imports` itself (a
test) is not frozen.
"""

from __future__ import annotations

import gc

from abcresearch.batch import server_imports

FROZEN: int = 0
"""Objects moved into the permanent generation (on import)."""


def freeze_for_workers() -> int:
    """Freeze what this process made so far (:func:`gc.freeze`); return the frozen count."""
    gc.freeze()
    return gc.get_freeze_count()


FROZEN = freeze_for_workers()
FAILED = server_imports.FAILED
"""The modules that failed to import in the server (see :data:`.server_imports.FAILED`)."""
