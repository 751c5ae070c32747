"""Code that runs inside a warm kernel: warm-up imports, the state snapshot and the reset.

:mod:`abcresearch.batch.kernels` (in the papermill process) sends short code to the kernel that
imports this module and calls :func:`warm` once and :func:`reset` between notebooks; what
they restore, and why that is safe, is in that module's docstring. This module imports only the
standard library at import time, so a kernel does not load papermill, nbformat or jupyter_client
for the sake of its own reset.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, cast

SNAPSHOT: dict[str, Any] = {}


def warm(modules: Iterable[str]) -> list[str]:
    """Import ``modules`` in the kernel and take the reset snapshot (runs inside the kernel).

    Returns
    -------
    list of str
        The modules that could not be imported.
    """
    import importlib

    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    import sys

    if "matplotlib.pyplot" in sys.modules:
        # matplotlib resolves its backend lazily; resolve it now, so that the inline backend's
        # IPython integration (figure formatters, post-execute hook) is part of the snapshot
        plt = sys.modules["matplotlib.pyplot"]
        plt.close(plt.figure())
    snapshot()
    return missing


def snapshot(freeze: bool = True) -> None:
    """Record the process state that :func:`reset` restores (runs inside the kernel).

    Parameters
    ----------
    freeze : bool
        Move every object alive now to the garbage collector's permanent generation (after
        the warm-up imports; not for the snapshot an in-process run takes before each notebook).
    """
    import copy
    import logging as _logging
    import sys
    import warnings

    snap: dict[str, Any] = {
        "environ": dict(os.environ),
        "sys_path": list(sys.path),
        "warnings": list(warnings.filters),
        "root_level": _logging.getLogger().level,
        "root_handlers": list(_logging.getLogger().handlers),
    }
    try:
        from IPython import get_ipython

        ip = get_ipython()
    except ImportError:  # pragma: no cover - always there in a kernel
        ip = None
    if ip is not None:
        snap["formatters"] = {
            mime: (dict(f.type_printers), dict(f.deferred_printers))
            for mime, f in ip.display_formatter.formatters.items()
        }
        # what %config InlineBackend... writes there (dict.get: a Config makes a missing
        # section on asking)
        snap["inline_config"] = copy.deepcopy(dict.get(ip.config, "InlineBackend"))
    if "numpy" in sys.modules:
        import numpy as np

        snap["np_err"] = np.geterr()
        snap["np_print"] = np.get_printoptions()
    if "matplotlib" in sys.modules:
        import matplotlib as mpl

        snap["rc"] = copy.deepcopy(dict(mpl.rcParams))
    if "matplotlib_inline.backend_inline" in sys.modules:
        # only where it is loaded: importing it sets matplotlib up in the shell (pyplot
        # included), which a notebook that draws nothing does not need; where a notebook loads
        # it first, the reset keeps what it set up (keep_inline_backend)
        from matplotlib_inline.backend_inline import InlineBackend

        cfg = InlineBackend.instance()
        snap["inline"] = {
            "figure_formats": set(cfg.figure_formats),
            "print_figure_kwargs": dict(cfg.print_figure_kwargs),
            "close_figures": cfg.close_figures,
        }
    SNAPSHOT.clear()
    SNAPSHOT.update(snap)
    if not freeze:
        return
    import gc

    # the pre-imported libraries are permanent: keep them out of every later collection, so the
    # resets' full collections only walk what notebooks allocated (0.2 s -> a few ms)
    gc.collect()
    gc.freeze()


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
"""The matplotlib backend of a Jupyter kernel (figures shown after their cell)."""


def keep_inline_backend(ip: Any) -> None:
    """Keep what the inline backend set up in the shell when a notebook first loaded it.

    A kernel loads matplotlib's inline backend when a notebook first uses pyplot, and the
    backend then sets itself up for the kernel's life: the figure formatter, the hook that
    shows a cell's figures, its settings. A reset after that notebook puts back the state from
    before it, without them; this puts them back, with the settings a new kernel has (what the
    notebook changed with ``%config InlineBackend`` was its own), so every later notebook shows
    figures as the first one did (runs inside the kernel).

    Parameters
    ----------
    ip : IPython.core.interactiveshell.InteractiveShell
        The kernel's (or the in-process engine's) shell.
    """
    import copy

    import matplotlib
    from IPython.core.pylabtools import select_figure_formats
    from matplotlib_inline.backend_inline import InlineBackend, configure_inline_support

    # interactive, as the backend's first load left it (IPython's activate_matplotlib): a
    # figure a cell leaves open is shown after it; the rcParams put back were from before
    matplotlib.interactive(True)
    configure_inline_support(ip, INLINE_BACKEND)  # the hook is registered once
    cfg = InlineBackend.instance()
    # the kernel's own configuration (a profile's), else the defaults
    configured = dict.get(ip.config, "InlineBackend") or {}
    for name in ("figure_formats", "print_figure_kwargs", "close_figures"):
        setattr(cfg, name, copy.deepcopy(configured[name]) if name in configured
                else cfg.trait_defaults(name))
    select_figure_formats(ip, cfg.figure_formats, **cfg.print_figure_kwargs)


def fresh_rc_params() -> None:
    """Set matplotlib's rcParams to a new kernel's: as read at import, inline and interactive.

    A chart test or a report made earlier in the same process may have changed them (the
    report's Thai font, say); a notebook's figures must not depend on that. Nothing where
    matplotlib is not imported: imported later, it reads them afresh.
    """
    import sys

    if "matplotlib" not in sys.modules:
        return
    import matplotlib as mpl

    fresh: dict[str, Any] = {key: mpl.rcParamsOrig[key] for key in mpl.rcParamsOrig}
    # as IPython's activate_matplotlib leaves them in a kernel: a figure left open is shown
    fresh.update(backend=INLINE_BACKEND, interactive=True)
    put_rc_params(fresh)


def clear_library_caches() -> None:
    """Clear every ``functools`` cache of the ``abcresearch`` modules (runs inside the kernel)."""
    import sys

    for name, module in list(sys.modules.items()):
        if not (name == "abcresearch" or name.startswith("abcresearch.")) or module is None:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if getattr(value, "cache_safe", False):
                continue  # immutable values keyed by file identity (see analysis._scheme_cached)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


def put_rc_params(values: dict[str, Any]) -> None:
    """Replace matplotlib's rcParams by ``values`` as they are (no validation, no backend switch).

    Parameters
    ----------
    values : dict
        Every rcParam, as recorded by :func:`snapshot` or read from ``rcParamsOrig``.
    """
    import warnings

    import matplotlib as mpl

    rc: Any = mpl.rcParams
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc.clear()
        dict.update(rc, values)


FREEZE_AFTER_FIRST_RESET = False
"""Set in a batch worker: its first reset moves what the first notebook left alive to the
collector's permanent generation, once. Not in a long-lived process that may switch rounds
(``abcresearch serve``): a frozen object that later becomes cyclic garbage is never freed."""

_frozen = False


def reset(cwd: str, reseed: bool = True) -> None:
    """Put the kernel back into its post-warm-up state (runs inside the kernel).

    Parameters
    ----------
    cwd : str
        Working directory for the next notebook.
    reseed : bool
        Reseed ``random`` and NumPy's global generator from OS entropy, as a new process does
        (an in-process run restores the process's own generators instead).
    """
    global _frozen
    import copy
    import gc
    import logging as _logging
    import random
    import sys
    import warnings

    snap = SNAPSHOT
    from IPython import get_ipython

    ip = get_ipython()
    ip.reset(new_session=True)
    history = getattr(ip, "history_manager", None)
    if history is not None and not history.enabled:
        # without a history database nothing writes these out (and empties them): every
        # cell's source would stay for the life of the process
        history.db_input_cache.clear()
        history.db_output_cache.clear()
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    if "rc" in snap:
        put_rc_params(snap["rc"])
    elif "matplotlib" in sys.modules:  # the notebook imported it first: a new kernel's
        fresh_rc_params()
    if "inline" in snap:
        from matplotlib_inline.backend_inline import InlineBackend

        cfg = InlineBackend.instance()
        cfg.figure_formats = set(snap["inline"]["figure_formats"])
        cfg.print_figure_kwargs = dict(snap["inline"]["print_figure_kwargs"])
        cfg.close_figures = snap["inline"]["close_figures"]
    for mime, (types, deferred) in snap.get("formatters", {}).items():
        f = ip.display_formatter.formatters.get(mime)
        if f is not None:
            f.type_printers.clear()
            f.type_printers.update(types)
            f.deferred_printers.clear()
            f.deferred_printers.update(deferred)
    if "inline_config" in snap:  # a notebook's %config InlineBackend was its own
        if snap["inline_config"] is None:
            dict.pop(ip.config, "InlineBackend", None)
        else:
            dict.__setitem__(ip.config, "InlineBackend", copy.deepcopy(snap["inline_config"]))
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib as mpl

        if dict.get(mpl.rcParams, "backend") == INLINE_BACKEND:
            # pyplot keeps the backend a notebook switched to (agg, say) whatever rcParams
            # say: a later notebook's figures would not be shown
            sys.modules["matplotlib.pyplot"].switch_backend(INLINE_BACKEND)
    if "inline" not in snap and "matplotlib_inline.backend_inline" in sys.modules:
        keep_inline_backend(ip)
    os.chdir(cwd)
    if "environ" in snap:
        for key in set(os.environ) - set(snap["environ"]):
            del os.environ[key]
        for key, value in snap["environ"].items():
            if os.environ.get(key) != value:
                os.environ[key] = value
    if "sys_path" in snap:
        sys.path[:] = snap["sys_path"]
    if "warnings" in snap:
        cast(list[Any], warnings.filters)[:] = snap["warnings"]  # a list (typeshed: Sequence)
        warnings._filters_mutated()  # type: ignore[attr-defined]
    root = _logging.getLogger()
    root.setLevel(snap.get("root_level", _logging.WARNING))
    root.handlers[:] = snap.get("root_handlers", [])
    _logging.disable(_logging.NOTSET)
    if reseed:
        random.seed()
    if "numpy" in sys.modules:
        import numpy as np

        if reseed:
            np.random.seed(None)
        if "np_err" in snap:
            np.seterr(**snap["np_err"])
            np.set_printoptions(**snap["np_print"])
    if "pandas" in sys.modules:
        import pandas as pd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pd.reset_option("all")
    clear_library_caches()
    gc.collect()
    if FREEZE_AFTER_FIRST_RESET and not _frozen:
        # what the first notebook left alive is what every notebook fills once and keeps (the
        # round's analysis, fonts, the Thai dictionary, parameters): permanent too, so the
        # collections of every later notebook do not walk it again (about 0.05 s a report)
        gc.freeze()
        _frozen = True
    if "pyarrow" in sys.modules:
        # Arrow's allocator (mimalloc) keeps freed buffers for reuse: hand them back to the
        # system, so a kernel's resident memory between reports is what it still holds and
        # one large report (the province overview) does not raise every later report's peak
        sys.modules["pyarrow"].default_memory_pool().release_unused()
