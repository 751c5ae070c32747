"""The analysis store: Hive-partitioned Parquet by round, amphoe and tambon.

Layout (``<store>`` is ``data/store`` by default)::

    <store>/round=2549/
        manifest.json                 sources (sha256, encoding), counts, fingerprints, versions
        households/amphoe=8001/tambon=800101/part-0.parquet
        members/amphoe=8001/tambon=800101/part-0.parquet
        villages/amphoe=8001/tambon=800101/part-0.parquet
        rejects/households.csv        rejected rows as read (personal cells pseudonymised/removed)
        rejects/members.csv, rejects/villages.csv
        issues.csv                    every failure (file, row, column, value, rule, message)
        validation_summary.md         counts per rule and per area

Partition keys are strings; the files also hold ``amphoe_code`` and ``tambon_code`` as ordinary
columns, so a partition file read on its own is complete. Files are zstd-compressed and their
rows sorted, so the same data always gives the same bytes (the manifest's per-tambon
fingerprints are the sha256 of those bytes, for incremental report builds).

A round is written whole into a temporary folder inside the store and swapped in with
:func:`os.replace`; a failed write leaves the previous round untouched. Rows are keyed by
``submission_uuid``: writing a round merges with what is there (:func:`merge`), so ingesting the
same export twice gives the same store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import StoreError

#: Tables of a round.
TABLES = ("households", "members", "villages")
#: Parquet compression.
COMPRESSION = "zstd"
#: Sort order of rows inside a partition file.
SORT_KEYS = {"households": ["village_code", "submission_uuid"],
             "members": ["village_code", "submission_uuid", "member_index"],
             "villages": ["village_code", "submission_uuid"]}


def round_dir(store: Path | str, survey_round: int) -> Path:
    """Return ``<store>/round=<round>``."""
    return Path(store) / f"round={int(survey_round)}"


def partition_dir(store: Path | str, survey_round: int, table: str, tambon: str) -> Path:
    """Return the folder of one tambon of one table."""
    return round_dir(store, survey_round) / table / f"amphoe={tambon[:4]}" / f"tambon={tambon}"


def table_files(store: Path | str, survey_round: int, table: str) -> list[Path]:
    """Return every partition file of a table in a round, sorted."""
    base = round_dir(store, survey_round) / table
    return sorted(base.glob("amphoe=*/tambon=*/*.parquet")) if base.exists() else []


def read_round(store: Path | str, survey_round: int) -> dict[str, pd.DataFrame]:
    """Return every table of a stored round (empty dict when the round does not exist)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out: dict[str, pd.DataFrame] = {}
    if not round_dir(store, survey_round).exists():
        return out
    for table in TABLES:
        files = table_files(store, survey_round, table)
        if files:
            out[table] = pa.concat_tables([pq.read_table(f) for f in files]).to_pandas()
    return out


def merge(previous: dict[str, pd.DataFrame],
          new: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Upsert ``new`` into ``previous``: rows with a submission id in ``new`` replace old ones.

    Members go with their household: a household in ``new`` replaces all its old roster rows.
    A village form in ``new`` also replaces an old form of the same village code.
    """
    out = dict(previous)
    for table, df in new.items():
        old = previous.get(table)
        if old is None or old.empty:
            out[table] = df
            continue
        if table == "members":
            replaced = set(new.get("households", pd.DataFrame(columns=["submission_uuid"]))
                           ["submission_uuid"]) | set(df["submission_uuid"])
            keep = ~old["submission_uuid"].isin(replaced)
        else:
            keep = ~old["submission_uuid"].isin(df["submission_uuid"])
            if table == "villages":
                keep &= ~old["village_code"].isin(df["village_code"])
        old = old[keep]
        out[table] = pd.concat([old, df], ignore_index=True) if len(old) else df
    if "households" in new and "members" in previous and "members" not in new:
        replaced = set(new["households"]["submission_uuid"])
        out["members"] = previous["members"][
            ~previous["members"]["submission_uuid"].isin(replaced)].reset_index(drop=True)
    return out


def _write_partitions(df: pd.DataFrame, table: str, base: Path) -> dict[str, str]:
    """Write one file per tambon; return tambon -> sha256 of the file bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if df.empty:
        return {}
    keys = [k for k in SORT_KEYS[table] if k in df.columns]
    sort_cols = ["tambon_code", *keys]
    order = np.lexsort([pd.factorize(df[c], sort=True)[0] for c in reversed(sort_cols)])
    tab = pa.Table.from_pandas(df, preserve_index=False).take(order)
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


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_round(store: Path | str, survey_round: int, tables: dict[str, pd.DataFrame],
                rejects: dict[str, pd.DataFrame] | None = None, issues: pd.DataFrame | None = None,
                summary_md: str = "", manifest: dict[str, Any] | None = None) -> Path:
    """Write a whole round atomically and return its folder.

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
    """
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    final = round_dir(store, survey_round)
    tmp = store / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        prints: dict[str, dict[str, str]] = {}
        rows: dict[str, int] = {}
        for table, df in tables.items():
            prints[table] = _write_partitions(df, table, tmp / table)
            rows[table] = len(df)
        for table, df in (rejects or {}).items():
            if df is not None and len(df):
                path = tmp / "rejects" / f"{table}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                df.to_csv(path, index=False, encoding="utf-8-sig")
        if issues is not None:
            issues.drop(columns=["index"], errors="ignore").to_csv(
                tmp / "issues.csv", index=False, encoding="utf-8-sig")
        _write_text(tmp / "validation_summary.md", summary_md)
        man = dict(manifest or {})
        man.update({"round": int(survey_round), "rows": rows, "fingerprints": prints})
        _write_text(tmp / "manifest.json", json.dumps(man, ensure_ascii=False, indent=1,
                                                      sort_keys=True, default=str))
        _swap(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _swap(tmp: Path, final: Path) -> None:
    """Put ``tmp`` in place of ``final``; the old round is moved aside, then deleted."""
    if not final.exists():
        os.replace(tmp, final)
        return
    old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
    os.replace(final, old)
    try:
        os.replace(tmp, final)
    except BaseException:
        os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_manifest(store: Path | str, survey_round: int) -> dict[str, Any]:
    """Return the manifest of a round, or raise :class:`StoreError`."""
    path = round_dir(store, survey_round) / "manifest.json"
    if not path.exists():
        raise StoreError(f"round {survey_round} was never ingested into {store}")
    return json.loads(path.read_text(encoding="utf-8"))
