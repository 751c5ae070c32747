"""Read a round's partitioned tables whole, leaving out (and naming) damaged tambon partitions.

:func:`abcresearch.store.load` refuses a read when any file it needs is damaged: right for one
area, wrong for work that spans the round (the analysis of every area), where one corrupt
tambon file would stop every report. :func:`load_readable` reads every tambon partition of the
given tables on its own and returns the rows of the tambons that read cleanly, with an
:class:`UnreadablePartition` for each file that did not:

* the file cannot be read as Parquet (truncated, overwritten, unreadable from disk);
* its bytes differ from the sha256 recorded for it in the round's manifest at ingest (a file
  changed after ingest is not the data the round was validated with, even when it still parses);
* the manifest lists the tambon for that table but its file is missing.

A tambon with a damaged file in *any* of the tables read is left out of all of them, so the
tables stay consistent with each other (no households without their village form).
:func:`area_left_out` tells which areas rest on such a tambon; callers that report on an area
raise :class:`~abcresearch.errors.StoreError` for it (the area fails), and round-wide figures
state what they leave out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch.errors import StoreError
from abcresearch.store import layout
from abcresearch.store import read as read_mod
from abcresearch.store import write as write_mod

__all__ = ["ReadableRound", "UnreadablePartition", "area_left_out", "find_damaged",
           "load_readable", "recheck"]


@dataclass(frozen=True)
class UnreadablePartition:
    """A tambon partition file of a round that could not be used.

    Attributes
    ----------
    table : str
        ``households``, ``members`` or ``villages``.
    tambon_code : str
        The tambon whose file it is.
    path : str
        The file, relative to the round's version folder (``households/amphoe=8015/
        tambon=801502/part-0.parquet``).
    reason : str
        Why, in one clause (``not readable as Parquet: ...``, ``changed since ingest ...``,
        ``missing``).
    """

    table: str
    tambon_code: str
    path: str
    reason: str

    def sentence(self) -> str:
        """Return the problem as one sentence (for logs and error messages)."""
        return (f"the {self.table} file of tambon {self.tambon_code} ({self.path}) cannot be "
                f"used: {self.reason}")

    def as_dict(self) -> dict[str, str]:
        """Return the fields as a JSON-ready dict (see :meth:`from_dict`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> UnreadablePartition:
        """Build one from :meth:`as_dict` output."""
        return cls(str(value["table"]), str(value["tambon_code"]), str(value["path"]),
                   str(value["reason"]))


@dataclass(frozen=True)
class ReadableRound:
    """Tables of a round read by :func:`load_readable`.

    Attributes
    ----------
    frames : dict of str to pandas.DataFrame
        One frame per table asked for, without the rows of the tambons left out.
    excluded : tuple of UnreadablePartition
        Every damaged file found, sorted by tambon and table.
    """

    frames: dict[str, pd.DataFrame]
    excluded: tuple[UnreadablePartition, ...]

    @property
    def tambons_left_out(self) -> list[str]:
        """Codes of the tambons left out of every table, sorted."""
        return sorted({p.tambon_code for p in self.excluded})


def _expected_hashes(manifest: Mapping[str, Any], table: str) -> dict[str, str]:
    prints = manifest.get("fingerprints")
    per = prints.get(table) if isinstance(prints, Mapping) else None
    if not isinstance(per, Mapping):  # a manifest without per-table file hashes
        return {}
    return {str(t): str(h) for t, h in per.items()}


def _tambon_of(path: Path) -> str:
    return path.parent.name.split("=", 1)[-1]


def _read_one(path: Path, expected: str | None, columns: Sequence[str] | None
              ) -> tuple[Any, str | None]:
    """Return (pyarrow table or None, reason it cannot be used or None)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"cannot be read from disk ({exc.strerror or exc})"
    if expected is not None and hashlib.sha256(data).hexdigest() != expected:
        return None, "its bytes changed since ingest (sha256 differs from the manifest)"
    try:
        table = pq.read_table(pa.BufferReader(data),
                              columns=list(columns) if columns is not None else None)
    except (pa.ArrowException, OSError, ValueError) as exc:
        text = " ".join(str(exc).split())
        return None, f"not readable as Parquet ({text[:200]})"
    return table, None


def load_readable(survey_round: int, store: Path | str | None = None,
                  tables: Sequence[str] = ("households", "villages"),
                  columns: Mapping[str, Sequence[str]] | None = None) -> ReadableRound:
    """Read whole partitioned tables of a round, leaving out tambons with a damaged file.

    With no damaged file the frames equal ``abcresearch.store.load(survey_round, store=store,
    table=t)`` for each table ``t``.

    Parameters
    ----------
    survey_round : int
        The round (Buddhist-era year).
    store : path, optional
        The store (``data/store`` by default).
    tables : sequence of str
        Partitioned tables to read (``households``, ``members``, ``villages``).
    columns : mapping, optional
        Columns to read, by table (all by default).

    Returns
    -------
    ReadableRound

    Raises
    ------
    StoreError
        The store or round does not exist, a table is not partitioned, or a table has no
        readable file at all.
    """
    import pyarrow as pa

    bad = [t for t in tables if t not in write_mod.PARTITIONED_TABLES]
    if bad:
        raise StoreError(f"{', '.join(bad)} is not a partitioned table (one of "
                         f"{', '.join(write_mod.PARTITIONED_TABLES)})")
    root = layout.store_path(store)
    read: dict[str, dict[str, Any]] = {}
    excluded: list[UnreadablePartition] = []
    with layout.store_lock(store):
        folder = layout.round_folder(survey_round, root)
        manifest = read_mod.manifest(survey_round, store)
        for table in tables:
            expected = _expected_hashes(manifest, table)
            files = sorted((folder / table).glob("amphoe=*/tambon=*/*.parquet"))
            found = {_tambon_of(f) for f in files}
            for tambon in sorted(set(expected) - found):
                rel = f"{table}/amphoe={tambon[:4]}/tambon={tambon}/part-0.parquet"
                excluded.append(UnreadablePartition(table, tambon, rel, "missing"))
            cols = (columns or {}).get(table)
            per: dict[str, Any] = read.setdefault(table, {})
            for f in files:
                tambon = _tambon_of(f)
                tab, reason = _read_one(f, expected.get(tambon), cols)
                if reason is not None:
                    excluded.append(UnreadablePartition(
                        table, tambon, f.relative_to(folder).as_posix(), reason))
                else:
                    per.setdefault(tambon, []).append(tab)
    left_out = {p.tambon_code for p in excluded}
    frames: dict[str, pd.DataFrame] = {}
    for table in tables:
        parts = [t for tambon, tabs in sorted(read[table].items()) if tambon not in left_out
                 for t in tabs]
        if not parts:
            raise StoreError(f"round {survey_round} of {root} has no readable {table} file"
                             + (f" ({len(left_out)} tambon(s) damaged)" if left_out else ""))
        tab = parts[0] if len(parts) == 1 else pa.concat_tables(parts,
                                                                promote_options="default")
        frames[table] = tab.to_pandas()
    return ReadableRound(frames, tuple(sorted(excluded, key=lambda p: (p.tambon_code,
                                                                       p.table, p.path))))


def find_damaged(survey_round: int, store: Path | str | None = None,
                 tables: Sequence[str] = ("households", "villages"),
                 ) -> tuple[UnreadablePartition, ...]:
    """Return the damaged tambon files of a round without building any table from them.

    The same files, with the same reasons, that :func:`load_readable` leaves out, found by
    comparing each file's sha256 with the manifest (a file whose bytes are the ones ingest wrote
    and validated is readable); a file the manifest has no hash for is opened as Parquet. For a
    single report, which needs to know only whether its area rests on a damaged file, this
    costs a read of the files' bytes instead of the round's analysis.

    Parameters
    ----------
    survey_round : int
        The round.
    store : path, optional
        The store.
    tables : sequence of str
        Partitioned tables to check (those the round's analysis reads by default).
    """
    excluded: list[UnreadablePartition] = []
    with layout.store_lock(store):
        folder = layout.round_folder(survey_round, store)
        manifest = read_mod.manifest(survey_round, store)
        for table in tables:
            expected = _expected_hashes(manifest, table)
            files = sorted((folder / table).glob("amphoe=*/tambon=*/*.parquet"))
            for tambon in sorted(set(expected) - {_tambon_of(f) for f in files}):
                rel = f"{table}/amphoe={tambon[:4]}/tambon={tambon}/part-0.parquet"
                excluded.append(UnreadablePartition(table, tambon, rel, "missing"))
            for f in files:
                tambon = _tambon_of(f)
                reason = _check_one(f, expected.get(tambon))
                if reason is not None:
                    excluded.append(UnreadablePartition(
                        table, tambon, f.relative_to(folder).as_posix(), reason))
    return tuple(sorted(excluded, key=lambda p: (p.tambon_code, p.table, p.path)))


_VERIFIED: dict[tuple[Any, ...], str] = {}
"""Files whose bytes matched the manifest, by path, identity and times (see :func:`_check_one`)."""

_VERIFIED_MAX = 100_000


def _check_one(path: Path, expected: str | None) -> str | None:
    """Return why a partition file cannot be used, or None (no table built when hashed).

    A file whose sha256 matched is remembered by its path, inode, size, modification and
    status-change times: a batch worker checks each file once, not once per report (340 files,
    about 0.05 s a report on the sample province). Any write to the file, or a change of its
    times (``os.utime`` sets the status-change time as well), checks it again.
    """
    if expected is None:
        return _read_one(path, None, [])[1]
    try:
        st = path.stat()
        key = (str(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if _VERIFIED.get(key) == expected:
            return None
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot be read from disk ({exc.strerror or exc})"
    if hashlib.sha256(data).hexdigest() != expected:
        return "its bytes changed since ingest (sha256 differs from the manifest)"
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[key] = expected
    return None


def recheck(survey_round: int, excluded: Iterable[UnreadablePartition],
            store: Path | str | None = None) -> bool:
    """Whether every partition listed as damaged still is (False: read the round again).

    Parameters
    ----------
    survey_round : int
        The round.
    excluded : iterable of UnreadablePartition
        Files found damaged earlier in the round's live version.
    store : path, optional
        The store.
    """
    with layout.store_lock(store):
        folder = layout.round_folder(survey_round, store)
        manifest = read_mod.manifest(survey_round, store)
        for p in excluded:
            path = folder / p.path
            if not path.is_file():
                if p.reason == "missing":
                    continue
                return False
            expected = _expected_hashes(manifest, p.table).get(p.tambon_code)
            if _read_one(path, expected, None)[1] is None:
                return False
    return True


def area_left_out(area_code: str, excluded: Iterable[UnreadablePartition]) -> str | None:
    """Return why an area's data cannot be used, or None when it rests on no damaged tambon.

    A tambon, its villages and its amphoe rest on the tambon's files; the province and the whole
    round (``""`` or a 2-digit code) do not: their figures leave the tambon out, and say so.

    Parameters
    ----------
    area_code : str
        Area code (2, 4, 6 or 8 digits, or ``""``).
    excluded : iterable of UnreadablePartition
        Damaged files of the round.

    Returns
    -------
    str or None
        One sentence naming the damaged file(s) and what to do.
    """
    code = str(area_code).strip()
    if len(code) < 4:
        return None
    hits = [p for p in excluded if p.tambon_code.startswith(code[:6])]
    if not hits:
        return None
    return (f"area {code} cannot be reported: " + "; ".join(p.sentence() for p in hits)
            + " (ingest the round again from its export to repair the store)")
