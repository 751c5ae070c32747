"""Keep heavy optional imports that reports never use out of the processes that run them.

``nbformat`` (read and write every notebook; papermill imports it) validates with
``jsonschema``, whose format module imports ``rfc3987_syntax`` when it is installed (JupyterLab's
``jupyter_events`` pulls it in through ``jsonschema[format-nongpl]``). That package compiles 41
Lark grammars on import: 3.4 s of CPU on the 2-core reference machine, more than the whole
analysis of a report, in the command line process and in every batch worker. It only serves
jsonschema's ``iri``/``iri-reference`` format checks, which no notebook schema uses.

:func:`skip_unused_format_checkers` loads ``jsonschema``'s format module once with that package
hidden, then unhides it: a later ``import rfc3987_syntax`` by other code works as usual; only
jsonschema's optional ``iri`` checks are left out of this process. ``abcresearch.batch`` calls it
on import. ``benchmarks/bench_profile.py`` shows the effect (``import nbformat + papermill``).
"""

from __future__ import annotations

import sys

SKIPPED = ("rfc3987_syntax",)
"""Optional modules hidden while ``jsonschema._format`` loads."""


def skip_unused_format_checkers() -> None:
    """Load ``jsonschema``'s format checkers without the slow optional ones (idempotent).

    Does nothing when ``jsonschema`` was imported already or is not installed, or when a
    skipped module is already imported (then there is nothing to save).
    """
    if "jsonschema" in sys.modules or any(name in sys.modules for name in SKIPPED):
        return
    for name in SKIPPED:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import jsonschema._format  # noqa: F401
    except ImportError:  # pragma: no cover - jsonschema not installed: nothing to do
        pass
    finally:
        for name in SKIPPED:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
