"""Where a round lives in the store: versioned round folders, a ``CURRENT`` pointer, and locks.

Layout of one round (``<store>`` is ``data/store`` by default)::

    <store>/.ingest.lock             held by the one ingest writing this store
    <store>/.swap.lock               shared by readers, exclusive while a round is swapped
    <store>/round=2549/CURRENT       one line: the name of the live version folder
    <store>/round=2549/PREVIOUS      versions kept for readers that started before the swap
    <store>/round=2549/v-20261130T063600-3f9a1c/
        manifest.json, households/, members/, villages/, frame/, auxiliary/,
        rejects/, issues.csv, validation_summary.md,
        derived/<key>/               the analysis cache of this version (abcresearch.analysis)

An ingest writes a whole new version folder, then replaces ``CURRENT`` with :func:`os.replace`
(atomic): a reader sees the old round or the new one, whole, and there is never a moment without
a round. The old version is kept (``keep_previous_versions`` in ``params/ingest.yaml``) so that a
report that resolved it just before the swap can finish; older versions, and version folders of
ingests that were killed before their swap, are removed at the next ingest.

The analysis cache lives inside the version it was computed from (:func:`cache_folder`): it is
never read against other data, and it goes when its version goes.

Locks are ``flock`` locks (POSIX), released by the kernel when a process dies, so a killed ingest
never leaves a stale lock. :func:`ingest_lock` keeps a second ingest of the same store out (it
waits or fails with one sentence). :func:`store_lock` is a readers-writer lock: readers and
cache writers hold it shared while they read a version; the ingest holds it exclusively only for
the swap and the removal of old versions (milliseconds).

A round folder written by abcresearch before versioning (tables directly in ``round=R/``, no
``CURRENT``) is still read as it is, and is converted by its next ingest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

from abcresearch.atomic import atomic_write_bytes
from abcresearch.errors import StoreError
from abcresearch.paths import default_store

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows: no locking (documented)
    fcntl = None  # type: ignore[assignment]  # the module is absent there

#: Name of the pointer file to the live version of a round.
CURRENT = "CURRENT"
#: Name of the file listing the previous versions kept for readers.
PREVIOUS = "PREVIOUS"
#: Prefix of version folders.
VERSION_PREFIX = "v-"
#: Lock file of the one ingest writing a store.
INGEST_LOCK = ".ingest.lock"
#: Readers-writer lock file around swaps.
SWAP_LOCK = ".swap.lock"
#: What a round folder held directly before versioning (removed when such a round is converted).
LEGACY_ENTRIES = ("manifest.json", "households", "members", "villages", "frame", "auxiliary",
                  "rejects", "issues.csv", "validation_summary.md", "derived")

_ROUND_RE = re.compile(r"^round=(\d+)$")


class StoreBusyError(StoreError):
    """Another ingest is writing the store."""


def store_path(store: str | os.PathLike[str] | None = None) -> Path:
    """Return the store folder (``data/store`` by default, ``ABCRESEARCH_STORE`` overrides)."""
    return Path(store) if store is not None else default_store()


def round_root(store: str | os.PathLike[str] | None, survey_round: int) -> Path:
    """Return ``<store>/round=<R>``, the folder that holds a round's versions."""
    return store_path(store) / f"round={int(survey_round)}"


def _read_pointer(path: Path) -> str | None:
    try:
        name = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def live_version(store: str | os.PathLike[str] | None, survey_round: int) -> Path | None:
    """Return the live version folder of a round, or None when the round was never ingested.

    A round written before versioning (no ``CURRENT``, a ``manifest.json`` in ``round=R/``) is
    its own live version.
    """
    root = round_root(store, survey_round)
    name = _read_pointer(root / CURRENT)
    if name is not None:
        folder = root / name
        if not folder.is_dir():
            raise StoreError(f"the store's pointer {root / CURRENT} names {name}, which is "
                             "missing; the store was damaged outside abcresearch")
        return folder
    if (root / "manifest.json").is_file():
        return root
    return None


def round_folder(survey_round: int, store: str | os.PathLike[str] | None = None) -> Path:
    """Return the folder holding the live version of a round's tables, manifest and reports.

    Resolve it once and read everything from the folder returned, so that all files come from
    the same version even if an ingest swaps in a new one meanwhile.

    Parameters
    ----------
    survey_round : int
        The round (Buddhist-era year).
    store : path, optional
        The store (``data/store`` by default).

    Returns
    -------
    Path

    Raises
    ------
    StoreError
        The store does not exist or the round was never ingested.
    """
    root = store_path(store)
    if not root.is_dir():
        raise StoreError(f"the store {root} does not exist; run 'abcresearch ingest' first")
    folder = live_version(root, survey_round)
    if folder is None:
        present = rounds(root)
        have = ", ".join(map(str, present)) if present else "none"
        # a Christian-era year for a round (2006 for 2549) gets the hint ingest gives
        from abcresearch.survey.validate import round_year_problem

        problem = round_year_problem(survey_round)
        raise StoreError(f"round {survey_round} was never ingested into {root} "
                         f"(rounds present: {have})" + (f"; {problem}" if problem else ""))
    return folder


def cache_folder(survey_round: int, key: str, store: str | os.PathLike[str] | None = None,
                 version: Path | None = None) -> Path:
    """Return the folder of the analysis cache ``key`` of a round: ``<version>/derived/<key>``.

    The cache belongs to the version of the data it was computed from; pass ``version`` (a
    folder from :func:`round_folder`) to pin it, otherwise the live version is used.
    """
    if not key or "/" in key or key.startswith("."):
        raise StoreError(f"cache key {key!r} is not a plain folder name")
    base = Path(version) if version is not None else round_folder(survey_round, store)
    return base / "derived" / key


def rounds(store: str | os.PathLike[str] | None = None) -> list[int]:
    """Return the rounds present in the store (those with a live version), sorted."""
    root = store_path(store)
    if not root.is_dir():
        raise StoreError(f"the store {root} does not exist; run 'abcresearch ingest' first")
    out = []
    for p in root.iterdir():
        m = _ROUND_RE.match(p.name)
        if m and p.is_dir():
            with contextlib.suppress(StoreError):
                if live_version(root, int(m[1])) is not None:
                    out.append(int(m[1]))
    return sorted(out)


# --------------------------------------------------------------------------------------------
# locks


def _open_lock(path: Path, create: bool) -> int | None:
    try:
        return os.open(path, (os.O_RDWR | os.O_CREAT) if create else os.O_RDONLY, 0o644)
    except OSError:
        if create:
            with contextlib.suppress(OSError):
                return os.open(path, os.O_RDONLY)
        return None


@contextlib.contextmanager
def store_lock(store: str | os.PathLike[str] | None = None, shared: bool = True,
               wait: bool = True) -> Iterator[bool]:
    """Hold the store's readers-writer lock while reading a round (or swapping one).

    Readers (``load``, ``manifest``) and the analysis-cache writer hold it shared; an ingest holds
    it exclusively only while it swaps a round and removes old versions. Nested shared holds in
    one process are fine.

    Parameters
    ----------
    store : path, optional
        The store.
    shared : bool
        Shared (readers) or exclusive (the swap).
    wait : bool
        Wait for the lock; otherwise raise :class:`StoreBusyError` when it is taken.

    Yields
    ------
    bool
        Whether a lock is held (False for a store without a lock file that cannot be written,
        or on a system without ``flock``).
    """
    root = store_path(store)
    if fcntl is None or not root.is_dir():
        yield False
        return
    fd = _open_lock(root / SWAP_LOCK, create=not shared or os.access(root, os.W_OK))
    if fd is None:
        yield False
        return
    try:
        flags = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(fd, flags if wait else flags | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreBusyError(f"the store {root} is being swapped by an ingest; try again "
                                 "in a moment") from None
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return ""
    if not isinstance(info, dict) or not info.get("pid"):
        return ""
    what = f" of round {info['round']}" if info.get("round") else ""
    return (f" (process {info['pid']} on {info.get('host', '?')}, ingest{what} started "
            f"{info.get('started', '?')})")


@contextlib.contextmanager
def ingest_lock(store: str | os.PathLike[str] | None = None, wait: bool = False,
                survey_round: int | None = None) -> Iterator[None]:
    """Hold the store's ingest lock: one ingest at a time per store.

    Parameters
    ----------
    store : path, optional
        The store (created if needed).
    wait : bool
        Wait until the other ingest has finished; otherwise raise :class:`StoreBusyError`.
    survey_round : int, optional
        Recorded in the lock file so that a second ingest can say what is running.

    Raises
    ------
    StoreBusyError
        Another ingest holds the lock and ``wait`` is false.
    """
    root = store_path(store)
    if root.exists() and not root.is_dir():
        raise StoreError(f"the store {root} is a file, not a folder")
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    path = root / INGEST_LOCK
    while True:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreBusyError(
                f"another ingest is writing the store {root}{_holder(path)}; wait for it to "
                "finish, or run again with --wait to queue behind it") from None
        # the lock file a refused first ingest removed (below) while this one waited on it
        # locks nothing: take the lock again on the file now at its path
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    done = False
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "round": int(survey_round) if survey_round is not None else None,
                "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        yield
        done = True
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            if created and not done and [p.name for p in root.iterdir()] == [INGEST_LOCK]:
                # a refused first ingest leaves no store behind (only its lock file was made)
                path.unlink()
                root.rmdir()
        os.close(fd)


# --------------------------------------------------------------------------------------------
# versions (used by abcresearch.store.write under the ingest lock)


def _kept(root: Path) -> list[str]:
    text = _read_pointer(root / PREVIOUS) or ""
    return [n for n in text.split() if n.startswith(VERSION_PREFIX)]


def new_version(store: str | os.PathLike[str] | None, survey_round: int) -> Path:
    """Create and return an empty, unpublished version folder of a round."""
    root = round_root(store, survey_round)
    root.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    folder = root / f"{VERSION_PREFIX}{stamp}-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    return folder


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


def publish(store: str | os.PathLike[str] | None, survey_round: int, version: Path,
            keep: int = 1) -> None:
    """Make ``version`` the live version of its round (atomic), then remove what is not kept.

    The pointer is replaced under the exclusive store lock, so no reader is in the middle of a
    version that is removed. The version live until now is kept (``keep`` previous versions);
    older ones, unpublished folders and a pre-versioning layout are removed.
    """
    root = round_root(store, survey_round)
    version = Path(version)
    if version.parent != root or not version.is_dir():
        raise StoreError(f"{version} is not a version folder of round {survey_round}")
    with store_lock(store, shared=False):
        old = _read_pointer(root / CURRENT)
        legacy = old is None and (root / "manifest.json").is_file()
        kept = ([old] if old else []) + [n for n in _kept(root) if n != old]
        kept = [n for n in kept if n != version.name and (root / n).is_dir()][:max(keep, 0)]
        atomic_write_bytes(root / PREVIOUS, ("\n".join(kept) + "\n").encode())
        atomic_write_bytes(root / CURRENT, (version.name + "\n").encode())
        if legacy:
            for name in LEGACY_ENTRIES:
                _remove(root / name)
        _remove_unkept(root, {version.name, *kept})


KEEP_CACHES = 3
"""Analysis caches of a round version kept besides the one just built (the newest built first).

Each change of the code, the scoring scheme or the rules builds a cache of its own (about 60 MB
for the sample province); a batch still reading an older one (rules edited while it ran) finds
it if fewer than this many were built since."""


#: An analysis cache's folder name: ``<scheme>-<design>-<16 hex digits>`` (the scheme and design
#: as the cache key names them); a family is the caches of one scheme and design.
_CACHE_NAME = re.compile(r"(?P<family>[^.].*-)(?P<hash>[0-9a-f]{16})")


def prune_caches(cache: str | os.PathLike[str], store: str | os.PathLike[str] | None = None,
                 keep: int = KEEP_CACHES) -> list[str]:
    """Remove the older analysis caches of ``cache``'s family: all but it and the ``keep`` newest.

    Only the round-analysis caches of the same scheme and design (``<scheme>-<design>-<hash>``)
    and their killed builds' leftovers (``.<name>.tmp-*``, ``.<name>.stale-*``) are looked at:
    the small-area and change caches beside them, and other schemes', are their own. Under the
    store's exclusive lock, taken only if free at once (no reader or cache writer of any process
    holds it shared, this one included; with one about, nothing goes now and the next build
    tries again), each folder is renamed out of the way (``.<name>.stale-*``), so none is ever
    seen half-removed under its own name; they are deleted after the lock is released.

    Returns
    -------
    list of str
        The folders removed.
    """
    cache = Path(cache)
    derived = cache.parent
    own = _CACHE_NAME.fullmatch(cache.name)
    if own is None:
        return []
    family = own.group("family")

    def ours(name: str) -> bool:
        m = _CACHE_NAME.fullmatch(name)
        return m is not None and m.group("family") == family

    removed: list[str] = []
    doomed: list[Path] = []
    try:
        with store_lock(store, shared=False, wait=False) as held:
            if not held or not derived.is_dir():
                return removed
            built = []
            for p in derived.iterdir():
                if p == cache or not p.is_dir():
                    continue
                left = re.fullmatch(r"\.(.+)\.(?:tmp|stale)-[0-9a-f]{8}", p.name)
                if left is not None and ours(left.group(1)):
                    doomed.append(p)
                    removed.append(p.name)
                elif ours(p.name) and (p / "meta.json").is_file():
                    built.append(((p / "meta.json").stat().st_mtime_ns, p))
            for _, p in sorted(built, key=lambda b: b[0], reverse=True)[max(keep, 0):]:
                aside = p.with_name(f".{p.name}.stale-{uuid.uuid4().hex[:8]}")
                os.replace(p, aside)
                doomed.append(aside)
                removed.append(p.name)
    except StoreBusyError:
        pass
    for p in doomed:  # outside the lock: readers of the caches kept need not wait for this
        _remove(p)
    return sorted(removed)


def _remove_unkept(root: Path, keep: set[str]) -> list[str]:
    removed = []
    for p in root.iterdir():
        stale_tmp = p.name.startswith(".") and p.name.endswith(".tmp")
        if (p.name.startswith(VERSION_PREFIX) and p.name not in keep) or stale_tmp:
            _remove(p)
            removed.append(p.name)
    return sorted(removed)


def clean_leftovers(store: str | os.PathLike[str] | None,
                    survey_round: int | None = None) -> list[str]:
    """Remove version folders of killed ingests (neither live nor kept) and stale temp files.

    Call it holding the ingest lock. Returns what was removed (``round=R/<name>``).
    """
    root = store_path(store)
    if not root.is_dir():
        return []
    out = []
    targets = ([round_root(root, survey_round)] if survey_round is not None
               else [p for p in root.iterdir() if _ROUND_RE.match(p.name) and p.is_dir()])
    for rr in targets:
        if not rr.is_dir():
            continue
        live = _read_pointer(rr / CURRENT)
        keep = {n for n in [live, *_kept(rr)] if n}
        out += [f"{rr.name}/{n}" for n in _remove_unkept(rr, keep)]
    for p in root.iterdir():  # temp folders of the pre-versioning writer
        if p.name.startswith(".round=") and (".tmp-" in p.name or ".old-" in p.name):
            _remove(p)
            out.append(p.name)
    return out
