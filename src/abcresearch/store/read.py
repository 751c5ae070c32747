"""Read validated survey data from the analysis store (what notebooks use)::

    from abcresearch.store import read as data
    hh = data.load(2549, area="800101")                 # one tambon's households
    members = data.load(2549, area="8001", table="members")
    data.rounds()                                       # [2549, ...]

One tambon is read straight from its partition file (a few milliseconds); an amphoe or the
province reads the files below it. See :mod:`abcresearch.store.write` for the layout.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch.errors import StoreError
from abcresearch.paths import default_store
from abcresearch.store import write as store_mod

_CODE_RE = re.compile(r"^[0-9]{2}(?:[0-9]{2}){0,3}$")
_ROUND_RE = re.compile(r"^round=(\d+)$")


def _store(store: Path | str | None) -> Path:
    return Path(store) if store is not None else default_store()


def rounds(store: Path | str | None = None) -> list[int]:
    """Return the rounds present in the store, sorted."""
    root = _store(store)
    if not root.is_dir():
        raise StoreError(f"the store {root} does not exist; run 'abcresearch ingest' first")
    return sorted(int(m[1]) for p in root.iterdir()
                  if p.is_dir() and (m := _ROUND_RE.match(p.name)))


def manifest(survey_round: int, store: Path | str | None = None) -> dict[str, Any]:
    """Return the manifest of a round (sources, counts, fingerprints, versions)."""
    _check_round(survey_round, _store(store))
    return store_mod.read_manifest(_store(store), survey_round)


def _check_round(survey_round: int, root: Path) -> None:
    if not store_mod.round_dir(root, survey_round).is_dir():
        present = rounds(root)
        have = ", ".join(map(str, present)) if present else "none"
        raise StoreError(f"round {survey_round} was never ingested into {root} "
                         f"(rounds present: {have})")


@lru_cache(maxsize=4096)
def _read_file(path: str, mtime_ns: int, columns: tuple[str, ...] | None):
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=list(columns) if columns else None)


def _files(root: Path, survey_round: int, table: str, area: str | None) -> list[Path]:
    base = store_mod.round_dir(root, survey_round) / table
    if area is None or len(area) == 2:
        files = sorted(base.glob("amphoe=*/tambon=*/*.parquet"))
        if area is not None:
            files = [f for f in files if f.parent.parent.name.startswith(f"amphoe={area}")]
    elif len(area) == 4:
        files = sorted((base / f"amphoe={area}").glob("tambon=*/*.parquet"))
    else:
        tambon = area[:6]
        files = sorted((base / f"amphoe={tambon[:4]}" / f"tambon={tambon}").glob("*.parquet"))
    return files


def load(survey_round: int, area: str | None = None, store: Path | str | None = None,
         table: str = "households", columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Return validated rows of one area (or all) for one round.

    Parameters
    ----------
    survey_round : int
        The round (Buddhist-era year, e.g. 2549).
    area : str, optional
        A province (2 digits), amphoe (4), tambon (6) or village (8) code; all rows if omitted.
    store : path, optional
        The store (``data/store`` by default).
    table : {"households", "members", "villages"}
        Which table.
    columns : sequence of str, optional
        Only these columns.

    Returns
    -------
    pandas.DataFrame
        Typed columns (integers ``Int64``, decimals ``float64``, dates as ``datetime.date``,
        answers as ``str``), area codes as strings, ``weight`` for households.

    Raises
    ------
    StoreError
        The store, round or table does not exist, or the area has no rows in the round.
    """
    import pyarrow as pa

    if table not in store_mod.TABLES:
        raise StoreError(f"table {table!r} is not one of {', '.join(store_mod.TABLES)}")
    root = _store(store)
    if not root.is_dir():
        raise StoreError(f"the store {root} does not exist; run 'abcresearch ingest' first")
    _check_round(survey_round, root)
    if area is not None:
        area = str(area).strip()
        if not _CODE_RE.match(area):
            raise StoreError(f"area code {area!r} is not 2, 4, 6 or 8 digits")
    cols = tuple(columns) if columns is not None else None
    if cols is not None and area is not None and len(area) == 8 and "village_code" not in cols:
        cols = (*cols, "village_code")
    files = _files(root, survey_round, table, area)
    if not files:
        where = f"area {area}" if area else "the store"
        raise StoreError(f"{where} has no {table} in round {survey_round} of {root}")
    try:
        tables = [_read_file(str(f), f.stat().st_mtime_ns, cols) for f in files]
    except (OSError, pa.ArrowInvalid) as exc:
        raise StoreError(f"cannot read {table} of round {survey_round} from {root}: {exc}"
                         ) from None
    tab = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
    df = tab.to_pandas()
    if area is not None and len(area) == 8:
        df = df[df["village_code"] == area].reset_index(drop=True)
        if df.empty:
            raise StoreError(f"village {area} has no {table} in round {survey_round} of {root}")
        if columns is not None and "village_code" not in columns:
            df = df.drop(columns="village_code")
    return df


def named_area(code: str, survey_round: int, store: Path | str | None = None) -> Any:
    """Return the official area of ``code``; a village also gets its name from the village form.

    Villages are not in the official lists, so :func:`abcresearch.survey.areas.get_area` names them
    "หมู่ที่ N"; when the round's village form gives a name, it becomes "หมู่ที่ N บ้าน…".
    """
    from dataclasses import replace

    from abcresearch.survey.areas import get_area

    area = get_area(code)
    if area.level != "village":
        return area
    try:
        vil = load(survey_round, area=area.code, store=store, table="villages",
                   columns=["village_name"])
    except StoreError:
        return area
    names = vil["village_name"].dropna().astype(str)
    if names.empty or not names.iloc[0].strip():
        return area
    name = names.iloc[0].strip()
    return replace(area, name_th=f"{area.name_th} {name}",
                   name_en=f"{area.name_en} ({name})")


def issues(survey_round: int, store: Path | str | None = None) -> pd.DataFrame:
    """Return the validation issues of the round's last ingest (``issues.csv``).

    Columns include ``table, file, row, column, rule, severity, message, amphoe_code,
    tambon_code``; the ``value`` column is left out (it may hold raw answers). Empty when the
    last ingest found nothing.
    """
    root = _store(store)
    _check_round(survey_round, root)
    path = root / f"round={int(survey_round)}" / "issues.csv"
    if not path.is_file():
        return pd.DataFrame(columns=["table", "file", "row", "column", "rule", "severity",
                                     "message", "amphoe_code", "tambon_code"])
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    return frame.drop(columns=["value"], errors="ignore")
