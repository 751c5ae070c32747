"""Where the project is, and how relative paths in parameters are resolved.

The *project* is the folder that holds ``params/`` (with ``params/labels.yaml`` in it): a clone of
this repository, or a researcher's own project folder. It is found, in this order:

1. ``ABCRESEARCH_ROOT``, the configured project (data) folder, when set;
2. the working directory or the nearest folder above it that holds ``params/labels.yaml`` (a
   notebook kernel runs in the notebook's folder, e.g. ``notebooks/``, so its project is found
   one level up; a copied notebook anywhere inside the project finds it too);
3. the source checkout this package was imported from, if it holds ``params/`` (an editable
   install used from outside any project).

Never the install location of a non-editable package (``site-packages`` has no ``params/``): then
:func:`project_root` raises a :class:`~abcresearch.errors.ParamsError` saying how to point at the
project. Relative paths in notebook parameters (``store``, ``boundary_file``, ...) resolve against
the project with :func:`project_path`, never against the notebook's folder (command-line options
keep the usual meaning: relative to the working directory).

Nothing here logs or touches the disk at import time.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from abcresearch.errors import ParamsError

PACKAGE_DIR = Path(__file__).resolve().parent

ROOT_ENV = "ABCRESEARCH_ROOT"
"""Environment variable naming the project folder (overrides the search from the working
directory)."""

MARKER = Path("params") / "labels.yaml"
"""A folder holding this file is an abcresearch project."""


def is_project(folder: str | os.PathLike[str]) -> bool:
    """Return whether ``folder`` is an abcresearch project (holds ``params/labels.yaml``)."""
    return (Path(folder) / MARKER).is_file()


def find_project(start: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the project that holds ``start`` (default: the working directory), or None.

    Parameters
    ----------
    start : path, optional
        Folder to search from, upward.

    Returns
    -------
    pathlib.Path or None
        The nearest folder at or above ``start`` holding ``params/labels.yaml``.
    """
    try:
        chain = _markers(Path(start).resolve() if start is not None else os.getcwd())
    except OSError:  # the working directory was deleted
        return None
    return next((folder for folder, marker in chain if os.path.isfile(marker)), None)


@functools.lru_cache(maxsize=16)
def _markers(folder: str | Path) -> tuple[tuple[Path, str], ...]:
    """Return ``folder`` resolved and each folder above it, with its marker's path as text.

    The project is looked up at every read of a parameter file (some 300 times a report), from
    the working directory: resolving it walks every folder of its path with a system call, and
    the marker's path is built anew; both are kept per spelling, and each lookup only asks
    whether the marker is there. A ``start`` given to :func:`find_project` is resolved at
    each call (its spelling may name another folder later).
    """
    here = Path(folder).resolve()
    return tuple((f, os.fspath(f / MARKER)) for f in (here, *here.parents))


def project_root() -> Path:
    """Return the project folder (see the module docstring for how it is found).

    Raises
    ------
    ParamsError
        If no project is found: not configured, none at or above the working directory, and the
        package is not a source checkout.
    """
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).expanduser().resolve()
    found = find_project()
    if found is not None:
        return found
    checkout = PACKAGE_DIR.parent.parent
    if is_project(checkout):
        return checkout
    raise ParamsError(
        f"no abcresearch project found at or above {os.getcwd()} (a folder holding "
        f"{MARKER.as_posix()}); start from inside the project or set {ROOT_ENV} to its folder")


def project_path(value: str | os.PathLike[str] | None) -> Path | None:
    """Resolve a path given in a parameter: relative paths are relative to the project.

    Parameters
    ----------
    value : str or path, optional
        ``"data/store"``, ``"~/exports/store"`` or an absolute path; ``""`` or None for "not
        given" (e.g. ``boundary_file = ""``).

    Returns
    -------
    pathlib.Path or None
        Absolute paths (after ``~`` expansion) unchanged; relative ones joined to
        :func:`project_root`, not to the working directory; None for an empty value.

    Examples
    --------
    >>> project_path("/srv/store").as_posix()
    '/srv/store'
    >>> project_path("data/store") == project_root() / "data" / "store"
    True
    >>> project_path("") is None
    True
    """
    if value is None or str(value).strip() == "":
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else project_root() / path


def relative_to_project(path: str | os.PathLike[str]) -> str:
    """Return ``path`` as a POSIX path relative to the project, for files that are published.

    An executed notebook, a sidecar or a log must not record where a user's home folder or a
    server's disks are: the project-relative spelling reads back through :func:`project_path`.
    A path outside the project is spelled with ``..`` steps.

    Parameters
    ----------
    path : str or path
        A file or folder (relative paths are taken as relative to the project already).

    Returns
    -------
    str
        E.g. ``"data/store"``; ``"."`` for the project itself.
    """
    target = Path(path).expanduser()
    if not target.is_absolute():
        return target.as_posix()
    root = project_root()
    return Path(os.path.relpath(target.resolve(), root.resolve())).as_posix()


def params_dir() -> Path:
    """Return the folder of parameter files (``ABCRESEARCH_PARAMS`` overrides)."""
    env = os.environ.get("ABCRESEARCH_PARAMS")
    return Path(env).resolve() if env else project_root() / "params"


def default_store() -> Path:
    """Return the default analysis store, ``data/store`` in the project.

    ``ABCRESEARCH_STORE`` overrides it.
    """
    env = os.environ.get("ABCRESEARCH_STORE")
    return Path(env).resolve() if env else project_root() / "data" / "store"


def reports_dir() -> Path:
    """Return the default reports folder, ``reports/`` in the project.

    ``ABCRESEARCH_REPORTS`` overrides it (the test suite points it at a folder of its own, so
    that no test writes into the project's reports).
    """
    env = os.environ.get("ABCRESEARCH_REPORTS")
    return Path(env).resolve() if env else project_root() / "reports"


#: File in ``reports/stores/<store folder>/`` naming the store whose reports the folder holds.
STORE_MARKER = "STORE.txt"


def store_reports_dir(store: str | os.PathLike[str] | None = None) -> Path:
    """Return the default reports folder of a store's reports.

    ``reports/`` for the default store (:func:`default_store`, or None), and
    ``reports/stores/<store folder>/`` for any other, so that a report made from another store
    never writes over the default store's report of the same area. That folder names its store
    in ``STORE.txt`` (:func:`claim_store_reports`, once a report is made there): two stores of
    one folder name (``/data/2549/store``, ``/data/2550/store``) would otherwise share it.

    Raises
    ------
    StoreError
        If the folder holds the reports of another store of the same name.
    """
    folder = _other_store_folder(store)
    if store is None or folder is None:
        return reports_dir()
    from abcresearch.errors import StoreError

    resolved = Path(store).resolve()
    marker = folder / STORE_MARKER
    if marker.is_file():
        named = marker.read_text(encoding="utf-8").strip()
        if named != str(resolved):
            raise StoreError(f"{folder} holds the reports of another store of the same name "
                             f"({named}): give --out for the reports of {resolved} (or, if "
                             f"that store was moved here, delete {marker})")
    return folder


def _other_store_folder(store: str | os.PathLike[str] | None) -> Path | None:
    """``reports/stores/<store folder>/`` for a store other than the default one, else None."""
    if store is None or Path(store).resolve() == default_store().resolve():
        return None
    return reports_dir() / "stores" / Path(store).resolve().name


def claim_store_reports(out: str | os.PathLike[str], store: str | os.PathLike[str] | None
                        ) -> None:
    """Name ``store`` in its reports folder's ``STORE.txt`` when ``out`` lies in that folder.

    Called when reports are about to be written (after every check of the command), so a
    command that fails leaves no folder behind. Nothing for the default store or an ``out``
    elsewhere.

    Raises
    ------
    StoreError
        If the folder holds the reports of another store of the same name.
    """
    folder = _other_store_folder(store)
    if store is None or folder is None:
        return
    try:
        Path(out).resolve().relative_to(folder.resolve())
    except ValueError:
        return
    store_reports_dir(store)  # StoreError if another store of the name has it
    marker = folder / STORE_MARKER
    if marker.is_file():
        return
    import tempfile

    # written whole under another name, then linked into place: a second command claiming the
    # folder at the same moment finds the marker (and is refused if its store is another)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, prefix=".STORE-",
                                     delete=False) as tmp:
        tmp.write(f"{Path(store).resolve()}\n")
    try:
        os.chmod(tmp.name, 0o644)
        os.link(tmp.name, marker)
    except FileExistsError:
        store_reports_dir(store)
    finally:
        os.unlink(tmp.name)


CACHE_ENV = "ABCRESEARCH_CACHE"
"""Environment variable naming abcresearch's cache folder."""


def cache_dir() -> Path:
    """Return abcresearch's cache folder (parsed forms, report-server sockets).

    Returns
    -------
    pathlib.Path
        ``$ABCRESEARCH_CACHE`` when set, else ``$XDG_CACHE_HOME/abcresearch``
        (``~/.cache/abcresearch``). Not created here.
    """
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    user_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(user_cache) / "abcresearch"


# kept by batch.kernel_state.reset between notebooks run in one process: a folder's resolved
# spelling does not change while the process runs
_markers.cache_safe = True  # type: ignore[attr-defined]
