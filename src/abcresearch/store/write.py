"""The analysis store: Hive-partitioned Parquet by round, amphoe and tambon, versioned per ingest.

Layout of one version of a round (see :mod:`abcresearch.store.layout` for the versions, the
``CURRENT`` pointer and the locks)::

    <store>/round=2549/v-<time>-<id>/
        manifest.json                 sources (sha256, encoding), counts, fingerprints, versions
        households/amphoe=8001/tambon=800101/part-0.parquet
        members/amphoe=8001/tambon=800101/part-0.parquet
        villages/amphoe=8001/tambon=800101/part-0.parquet
        frame/part-0.parquet          the round's village sampling frame (when given)
        auxiliary/part-0.parquet      the auxiliary จปฐ.-style village table (when given)
        rejects/households.csv        rejected rows as read (personal cells pseudonymised/removed)
        rejects/members.csv, rejects/villages.csv, rejects/frame.csv, rejects/auxiliary.csv
        issues.csv                    every failure (file, row, column, value, rule, message)
        validation_summary.md         counts per rule and per area
        derived/<key>/                the analysis cache (abcresearch.analysis)

Partition keys are strings; the files also hold ``amphoe_code`` and ``tambon_code`` as ordinary
columns, so a partition file read on its own is complete. Files are zstd-compressed and their
rows sorted, so the same data always gives the same bytes (the manifest's per-tambon
fingerprints are the sha256 of those bytes, for incremental report builds). The frame and the
auxiliary table are round-wide inputs: each is one file, and its fingerprint entry under every
tambon with households is the sha256 of that whole file (a change anywhere in the frame changes
every tambon's inputs, as it changes coverage and province totals).

Every CSV written here is formula-safe (:func:`abcresearch.atomic.neutralise_frame`) and holds
no personal data (the ingest masks it first). Rows are keyed by ``submission_uuid``: writing a
round merges with what is there (:func:`merge`), so ingesting the same export twice gives the
same store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abcresearch.atomic import neutralise_frame
from abcresearch.errors import StoreError
from abcresearch.store import layout
from abcresearch.survey.validate import isin

if TYPE_CHECKING:
    import pyarrow as pa

#: Tables of a round.
TABLES = ("households", "members", "villages", "frame", "auxiliary")
#: Tables partitioned by amphoe and tambon.
PARTITIONED_TABLES = ("households", "members", "villages")
#: Round-wide tables stored as one file.
SINGLE_FILE_TABLES = ("frame", "auxiliary")
#: Export file each round-wide table is read from (for messages).
SOURCE_NAMES = {"frame": "frame.csv or frame.xlsx", "auxiliary": "bmn.csv or bmn.xlsx"}
#: Parquet compression.
COMPRESSION = "zstd"
#: Sort order of rows inside a partition file.
SORT_KEYS = {"households": ["village_code", "submission_uuid"],
             "members": ["village_code", "submission_uuid", "member_index"],
             "villages": ["village_code", "submission_uuid"],
             "frame": ["village_code"],
             "auxiliary": ["village_code"]}


def table_files(folder: Path, table: str) -> list[Path]:
    """Return every Parquet file of a table in a version folder, sorted."""
    base = Path(folder) / table
    if not base.exists():
        return []
    if table in SINGLE_FILE_TABLES:
        return sorted(base.glob("*.parquet"))
    return sorted(base.glob("amphoe=*/tambon=*/*.parquet"))


def read_round(store: str | os.PathLike[str], survey_round: int) -> dict[str, pd.DataFrame]:
    """Return every table of a stored round (empty dict when the round does not exist)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out: dict[str, pd.DataFrame] = {}
    with layout.store_lock(store):
        folder = layout.live_version(store, survey_round)
        if folder is None:
            return out
        for table in TABLES:
            files = table_files(folder, table)
            if files:
                out[table] = pa.concat_tables([pq.read_table(f) for f in files],
                                              promote_options="default").to_pandas()
    return out


def read_history(store: str | os.PathLike[str],
                 survey_round: int) -> tuple[pd.DataFrame | None, dict[str, pd.DataFrame]]:
    """Return the issue table and the reject tables of the live version of a round, as text.

    ``(None, {})`` when the round does not exist. Used to keep earlier exports' issues and
    rejects when another export of the same round is ingested.
    """
    with layout.store_lock(store):
        folder = layout.live_version(store, survey_round)
        if folder is None:
            return None, {}
        issues = None
        if (folder / "issues.csv").is_file():
            issues = pd.read_csv(folder / "issues.csv", dtype=str, encoding="utf-8-sig",
                                 keep_default_na=False, na_values=[""])
        rejects = {}
        for path in sorted((folder / "rejects").glob("*.csv")):
            rejects[path.stem] = pd.read_csv(path, dtype=str, encoding="utf-8-sig",
                                             keep_default_na=False, na_values=[""])
    return issues, rejects


def merge(previous: dict[str, pd.DataFrame],
          new: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Upsert ``new`` into ``previous``: rows with a submission id in ``new`` replace old ones.

    Members go with their household: a household in ``new`` replaces all its old roster rows
    when ``new`` has a roster table (an export with its member sheet). An export without one (the
    main sheet alone, sent again to correct an answer) keeps the stored roster rows. A village
    form in ``new`` also replaces an old form of the same village code. A frame or an auxiliary
    table in ``new`` replaces the old one whole.
    """
    out = dict(previous)
    for table, df in new.items():
        old = previous.get(table)
        if old is None or old.empty or table in SINGLE_FILE_TABLES:
            out[table] = df
            continue
        if table == "members":
            replaced = set(new.get("households", pd.DataFrame(columns=["submission_uuid"]))
                           ["submission_uuid"]) | set(df["submission_uuid"])
            keep = ~isin(old["submission_uuid"], replaced)
        else:
            keep = ~isin(old["submission_uuid"], df["submission_uuid"])
            if table == "villages":
                keep &= ~isin(old["village_code"], df["village_code"])
        old = old[keep]
        out[table] = pd.concat([old, df], ignore_index=True) if len(old) else df
    return out


def _sorted_table(df: pd.DataFrame, table: str, by_tambon: bool) -> pa.Table:
    import pyarrow as pa

    keys = [k for k in SORT_KEYS[table] if k in df.columns]
    sort_cols = (["tambon_code"] if by_tambon else []) + keys
    order = np.lexsort([pd.factorize(df[c], sort=True)[0] for c in reversed(sort_cols)])
    return pa.Table.from_pandas(df, preserve_index=False).take(order)


def _write_partitions(df: pd.DataFrame, table: str, base: Path) -> dict[str, str]:
    """Write one file per tambon; return tambon -> sha256 of the file bytes."""
    import pyarrow.parquet as pq

    if df.empty:
        return {}
    tab = _sorted_table(df, table, by_tambon=True)
    tambon = np.asarray(tab.column("tambon_code").to_numpy(zero_copy_only=False), dtype=object)
    starts = np.flatnonzero(np.r_[True, tambon[1:] != tambon[:-1]])
    ends = np.r_[starts[1:], len(tambon)]
    prints: dict[str, str] = {}
    for s, e in zip(starts, ends, strict=True):
        code = str(tambon[s])
        folder = base / f"amphoe={code[:4]}" / f"tambon={code}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "part-0.parquet"
        pq.write_table(tab.slice(s, e - s), path, compression=COMPRESSION)
        prints[code] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def _write_single(df: pd.DataFrame, table: str, base: Path) -> str:
    """Write a round-wide table as one file; return the sha256 of its bytes."""
    import pyarrow.parquet as pq

    base.mkdir(parents=True, exist_ok=True)
    path = base / "part-0.parquet"
    pq.write_table(_sorted_table(df, table, by_tambon=False), path, compression=COMPRESSION)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """Write a store CSV: formula-safe, UTF-8 with BOM (Excel opens Thai text correctly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")


def write_round(store: str | os.PathLike[str], survey_round: int, tables: dict[str, pd.DataFrame],
                rejects: dict[str, pd.DataFrame] | None = None, issues: pd.DataFrame | None = None,
                summary_md: str = "", manifest: dict[str, Any] | None = None,
                keep_previous: int = 1) -> Path:
    """Write a whole round as a new version and make it live atomically; return its folder.

    Call it holding :func:`abcresearch.store.layout.ingest_lock`.

    Parameters
    ----------
    store : path
        The store root (created if needed).
    survey_round : int
        The round.
    tables : dict
        Table -> DataFrame with ``tambon_code`` (already merged with the previous round).
    rejects : dict, optional
        Table -> rejected rows, written as ``rejects/<table>.csv`` (UTF-8 with BOM for Excel).
    issues : pandas.DataFrame, optional
        The failure table, written as ``issues.csv``.
    summary_md : str
        The readable summary, written as ``validation_summary.md``.
    manifest : dict, optional
        Extra manifest entries; row counts and fingerprints are added here.
    keep_previous : int
        Previous versions kept for readers that started before the swap.
    """
    store = Path(store)
    if store.exists() and not store.is_dir():
        raise StoreError(f"the store {store} is a file, not a folder")
    store.mkdir(parents=True, exist_ok=True)
    version = layout.new_version(store, survey_round)
    try:
        prints: dict[str, dict[str, str]] = {}
        rows: dict[str, int] = {}
        whole: dict[str, str] = {}
        for table, df in tables.items():
            if table in SINGLE_FILE_TABLES:
                whole[table] = _write_single(df, table, version / table)
            else:
                prints[table] = _write_partitions(df, table, version / table)
            rows[table] = len(df)
        surveyed = sorted(prints.get("households", {}))
        for table, digest in whole.items():
            prints[table] = {t: digest for t in surveyed}
        for table, df in (rejects or {}).items():
            if df is not None and len(df):
                write_csv(version / "rejects" / f"{table}.csv", df)
        if issues is not None:
            write_csv(version / "issues.csv", issues.drop(columns=["index"], errors="ignore"))
        (version / "validation_summary.md").write_text(summary_md, encoding="utf-8")
        man = dict(manifest or {})
        man.update({"round": int(survey_round), "rows": rows, "fingerprints": prints,
                    "table_sha256": whole, "version": version.name})
        (version / "manifest.json").write_text(
            json.dumps(man, ensure_ascii=False, indent=1, sort_keys=True, default=str),
            encoding="utf-8")
        layout.publish(store, survey_round, version, keep=keep_previous)
    except BaseException:
        live = None
        with contextlib.suppress(Exception):
            live = layout.live_version(store, survey_round)
        if live != version:
            shutil.rmtree(version, ignore_errors=True)
        raise
    return version
