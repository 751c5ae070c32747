"""The fingerprint of abcresearch's own code, for results kept on disk.

The package's version number does not change with each edit of a checkout, so caches and
report inputs that named only the version could be read, or reports skipped, after the code
that makes them had changed. :func:`software_fingerprint` hashes the source of every module of
the package: the round analysis cache key, the small-area cache key, tables kept beside the
round analysis and the inputs recorded with every report take it.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from abcresearch import __version__

__all__ = ["fingerprint_of", "software_fingerprint", "software_label"]

_PACKAGE = Path(__file__).resolve().parent


def _stamps(folder: str) -> list[tuple[str, int, int]]:
    """Path, modification time and size of every ``.py`` file under ``folder``."""
    out = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                st = os.stat(path := os.path.join(top, name))
                out.append((path, st.st_mtime_ns, st.st_size))
    return out


@lru_cache(maxsize=1)
def software_fingerprint() -> str:
    """Return ``<version>+<hash>``: the version and a hash of every module's source.

    Taken once per process, at its first use: the code a long-lived process (``abcresearch
    serve``, a batch worker, a notebook's kernel) runs is the code it imported, even if the files
    change on disk afterwards.

    Returns
    -------
    str
        For example ``0.1.0+3f2a9c0d1e4b5a67``.
    """
    return fingerprint_of(_PACKAGE)


def fingerprint_of(package: Path) -> str:
    """Return ``<version>+<hash>`` for the ``.py`` files under ``package`` as they are now.

    The files are read again only when one's size or modification time changed.
    """
    return _hash_sources(str(package), tuple(sorted(_stamps(str(package)))))


def software_label() -> str:
    """Return the software as a report's provenance line names it: ``0.1.0+3f2a9c0d``.

    The version and the first eight hex digits of :func:`software_fingerprint`'s code hash, so
    a reader can tell two reports made by different code of the same version apart.
    """
    version, _, code = software_fingerprint().partition("+")
    return f"{version}+{code[:8]}"


@lru_cache(maxsize=4)
def _hash_sources(package: str, stamps: tuple[tuple[str, int, int], ...]) -> str:
    h = hashlib.sha256()
    for path, _, _ in stamps:
        h.update(os.path.relpath(path, package).encode())
        h.update(Path(path).read_bytes())
    return f"{__version__}+{h.hexdigest()[:16]}"


# kept between notebooks run in one process (abcresearch.batch.kernel_state): the process's code,
# and values keyed by the files' identities; str out
software_fingerprint.cache_safe = True  # type: ignore[attr-defined]
_hash_sources.cache_safe = True  # type: ignore[attr-defined]
