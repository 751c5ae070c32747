"""Read validated survey data from the analysis store (what notebooks use).

Examples of use::

    from abcresearch.store import load, manifest, rounds
    hh = load(2549, area="800101")                      # one tambon's households
    members = load(2549, area="8001", table="members")
    frame = load(2549, table="frame")                   # the round's village sampling frame
    bmn = load(2549, area="8001", table="auxiliary")    # the จปฐ.-style village table
    manifest(2549)                                      # sources, counts, fingerprints
    rounds()                                            # [2549, ...]

One tambon is read straight from its partition file (a few milliseconds); an amphoe or the
province reads the files below it. Every read resolves the round's live version once and holds
the store's shared lock while it reads (see :mod:`abcresearch.store.layout`), so it never mixes
two versions and never sees a half-swapped round.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from abcresearch.errors import StoreError
from abcresearch.store import layout
from abcresearch.store import write as store_mod

if TYPE_CHECKING:
    import pyarrow as pa

_CODE_RE = re.compile(r"^[0-9]{2}(?:[0-9]{2}){0,3}$")


def _store(store: str | os.PathLike[str] | None) -> Path:
    return layout.store_path(store)


def rounds(store: str | os.PathLike[str] | None = None) -> list[int]:
    """Return the rounds present in the store, sorted."""
    return layout.rounds(store)


def manifest(survey_round: int, store: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Return the manifest of a round: the one manifest reader of abcresearch.

    Parameters
    ----------
    survey_round : int
        The round (Buddhist-era year).
    store : path, optional
        The store (``data/store`` by default).

    Returns
    -------
    dict
        ``round``, ``sources`` (files with sha256, encoding), ``rows`` per table,
        ``fingerprints`` (``{table: {tambon: sha256}}``), ``key_fingerprint``, ``synthetic``,
        ``frame`` (whether the round has a sampling frame), versions and the ingest history.

    Raises
    ------
    StoreError
        The store does not exist or the round was never ingested.
    """
    with layout.store_lock(store):
        folder = layout.round_folder(survey_round, store)
        return _manifest_in(folder, survey_round, store)


def _manifest_in(folder: Path, survey_round: int,
                 store: str | os.PathLike[str] | None) -> dict[str, Any]:
    path = folder / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"round {survey_round} of {_store(store)} has no manifest") from None
    except ValueError as exc:
        raise StoreError(f"the manifest of round {survey_round} in {_store(store)} is not "
                         f"valid JSON ({exc})") from None


def _check_round(survey_round: int, root: Path) -> None:
    layout.round_folder(survey_round, root)


@lru_cache(maxsize=4096)
def _read_file(path: str, mtime_ns: int, columns: tuple[str, ...] | None) -> pa.Table:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # ParquetFile.read, not read_table: read_table goes through the dataset API, about 1 ms
    # more per file (the province's 170 tambon files of a table: 0.38 s against 0.26 s for
    # the village forms), and the same table; it ignores a column the file lacks, which
    # read_table refuses, so that is checked here
    with pq.ParquetFile(path) as parquet:
        if columns:
            names = parquet.schema_arrow.names
            missing = [c for c in columns if c not in names]
            if missing:
                raise pa.ArrowInvalid(f"no column {missing[0]!r} in {path}")
        return parquet.read(columns=list(columns) if columns else None)


def _files(folder: Path, table: str, area: str | None) -> list[Path]:
    base = folder / table
    if table in store_mod.SINGLE_FILE_TABLES:
        return sorted(base.glob("*.parquet"))
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


def load(survey_round: int, area: str | None = None, store: str | os.PathLike[str] | None = None,
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
    table : {"households", "members", "villages", "frame", "auxiliary"}
        Which table: the three survey tables, the round's village sampling frame, or the
        auxiliary (จปฐ.-style) village table (see ``docs/INPUTS.md``).
    columns : sequence of str, optional
        Only these columns.

    Returns
    -------
    pandas.DataFrame
        Typed columns (integers ``Int64``, decimals ``float64``, dates as ``datetime.date``,
        answers as ``str``), area codes as strings; households carry ``weight`` (and, when the
        round has a frame, ``stratum``, ``village_prob``, ``village_households`` and
        ``stratum_villages``; see ``docs/ARCHITECTURE.md``).

    Raises
    ------
    StoreError
        The store, round or table does not exist, or the area has no rows in the round.
    """
    import pyarrow as pa

    if table not in store_mod.TABLES:
        raise StoreError(f"table {table!r} is not one of {', '.join(store_mod.TABLES)}")
    root = _store(store)
    if area is not None:
        area = str(area).strip()
        if not _CODE_RE.match(area):
            shown = area if len(area) <= 40 else area[:37] + "..."
            raise StoreError(f"area code {shown!r} is not 2, 4, 6 or 8 digits")
    cols = tuple(columns) if columns is not None else None
    filter_codes = area is not None and (len(area) == 8 or table in store_mod.SINGLE_FILE_TABLES)
    if cols is not None and filter_codes and "village_code" not in cols:
        cols = (*cols, "village_code")
    with layout.store_lock(store):
        folder = layout.round_folder(survey_round, root)
        files = _files(folder, table, area)
        if not files:
            if table in store_mod.SINGLE_FILE_TABLES:
                raise StoreError(f"round {survey_round} of {root} has no {table} table (it is "
                                 f"read from {store_mod.SOURCE_NAMES[table]} in the export)")
            where = f"area {area}" if area else "the store"
            raise StoreError(f"{where} has no {table} in round {survey_round} of {root}")
        try:
            tables = [_read_file(str(f), f.stat().st_mtime_ns, cols) for f in files]
        except (OSError, pa.ArrowInvalid) as exc:
            raise StoreError(f"cannot read {table} of round {survey_round} from {root}: {exc}"
                             ) from None
    tab = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
    df = tab.to_pandas()
    if filter_codes:
        df = df[df["village_code"].str.startswith(area)].reset_index(drop=True)
        if df.empty:
            raise StoreError(f"area {area} has no {table} in round {survey_round} of {root}")
        if columns is not None and "village_code" not in columns:
            df = df.drop(columns="village_code")
    return df


def tambons_with_data(survey_round: int, store: str | os.PathLike[str] | None = None) -> list[str]:
    """Return the tambon codes that have households in a round (from its manifest), sorted."""
    prints = manifest(survey_round, store).get("fingerprints", {})
    if isinstance(prints, dict) and isinstance(prints.get("households"), dict):
        return sorted(str(t) for t in prints["households"])
    # a manifest of another shape ({tambon: hash}); fall back to its keys
    return sorted(str(t) for t in prints if str(t).isdigit())


def has_data(survey_round: int, area: str, store: str | os.PathLike[str] | None = None) -> bool:
    """Whether an area (2, 4, 6 or 8 digits) has households in a round of the store."""
    code = str(area).strip()
    tambons = [t for t in tambons_with_data(survey_round, store) if t.startswith(code[:6])]
    if not tambons:
        return False
    if len(code) < 8:
        return True
    try:
        load(survey_round, area=code, store=store, columns=["village_code"])
    except StoreError:
        return False
    return True


def surveyed(survey_round: int, level: str, within: str | None = None,
             store: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Return what a round holds for each area of a level: villages and households surveyed.

    Parameters
    ----------
    survey_round : int
        The round (Buddhist-era year).
    level : {"province", "amphoe", "tambon", "village"}
        One row per area of this level with households in the round.
    within : str, optional
        Only areas inside this area code (2, 4, 6 or 8 digits).
    store : path, optional
        The store (``data/store`` by default).

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (sorted), with ``households`` (rows of the households table: the
        households surveyed and kept by the ingest), ``villages`` (villages with at least one of
        them) and, when the round has a village frame, ``frame_villages`` (the area's villages
        in the frame, surveyed or not). Empty when ``within`` has no households.

    Raises
    ------
    StoreError
        The store or round does not exist, or ``level`` is unknown.
    """
    from abcresearch.survey.areas import LEVELS

    digits_of = {name: digits for digits, name in LEVELS.items()}
    if level not in digits_of:
        raise StoreError(f"level {level!r} is not one of {', '.join(digits_of)}")
    digits = digits_of[level]
    try:
        codes = load(survey_round, area=within, store=store, columns=["village_code"])
    except StoreError:
        layout.round_folder(survey_round, store)  # a missing store or round says so itself
        codes = pd.DataFrame({"village_code": pd.Series([], dtype=str)})
    village = codes["village_code"].astype(str)
    out = (pd.DataFrame({"code": village.str[:digits], "village": village})
           .groupby("code").agg(households=("village", "size"), villages=("village", "nunique")))
    if manifest(survey_round, store).get("frame"):
        try:
            frame = load(survey_round, area=within, store=store, table="frame",
                         columns=["village_code"])["village_code"].astype(str)
        except StoreError:
            frame = pd.Series([], dtype=str)
        out["frame_villages"] = frame.str[:digits].value_counts().reindex(out.index) \
            .fillna(0).astype(int)
    return out.sort_index()


def linkable(round_a: int, round_b: int, store: str | os.PathLike[str] | None = None) -> bool:
    """Whether households of two rounds can be matched by ``hh_key`` (same pseudonym key).

    False when the rounds were pseudonymised with different keys (an ingest with
    ``--new-key``) or when either manifest predates key fingerprints; change between such
    rounds must be estimated as between independent samples.
    """
    fa = manifest(round_a, store).get("key_fingerprint")
    fb = manifest(round_b, store).get("key_fingerprint")
    return bool(fa) and fa == fb


def named_area(code: str, survey_round: int, store: str | os.PathLike[str] | None = None) -> Any:
    """Return the official area of ``code``; a village also gets its name from the village form.

    Villages are not in the official lists, so :func:`abcresearch.survey.areas.get_area` names them
    "หมู่ที่ N"; when the round's village form gives a name, it becomes "หมู่ที่ N บ้าน…"
    ("Village N บ้าน…", :func:`abcresearch.labels.village_name`).
    """
    from dataclasses import replace

    from abcresearch.labels import label, village_name
    from abcresearch.survey.areas import get_area

    area = get_area(code)
    if area.level != "village":
        return area
    name = village_names(survey_round, area.code, store).get(area.code)
    if not name:
        return area
    return replace(area,
                   name_th=village_name(partial(label, lang="th"), area.name_th, name),
                   name_en=village_name(partial(label, lang="en"), area.name_en, name))


def village_names(survey_round: int, within: str,
                  store: str | os.PathLike[str] | None = None,
                  forms: pd.DataFrame | None = None) -> dict[str, str]:
    """Return the own names of the villages within an area (village code to "บ้าน…").

    From the village forms. A name out of which the ingest masked personal data (a phone
    number or an ID typed beside it) is taken from the round's frame instead, and left out if
    the frame's is masked too: a report prints no "<masked>" in a village's name (a user's
    walk-through found "บ้านบางโพธิ์ ผญบ. โทร <masked>" in every page header).

    Parameters
    ----------
    survey_round : int
    within : str
        An area code (a village's own, or of an area above it).
    store : path, optional
    forms : pandas.DataFrame, optional
        The area's village forms, when already read (``village_code``, ``village_name``).

    Returns
    -------
    dict of str to str
        Only villages with a usable name; empty where the round has no village forms there.
    """
    from abcresearch.survey.pseudonyms import MASKED

    def named(table: str, rows: pd.DataFrame | None = None) -> dict[str, str]:
        if rows is None:
            try:
                rows = load(survey_round, area=within, store=store, table=table,
                            columns=["village_code", "village_name"])
            except StoreError:
                return {}
        if "village_name" not in rows:
            return {}
        return {str(c): str(n).strip() for c, n in zip(rows["village_code"],
                                                         rows["village_name"], strict=True)
                if isinstance(n, str) and n.strip()}

    names = named("villages", forms)
    masked = {c for c, n in names.items() if MASKED in n}
    if masked:
        frame = named("frame")
        for code in masked:
            if MASKED in frame.get(code, MASKED):
                del names[code]
            else:
                names[code] = frame[code]
    return names


#: Columns of ``issues.csv`` that :func:`issues` returns (``value`` is left out).
ISSUE_READ_COLUMNS = ["table", "file", "row", "column", "rule", "severity", "message",
                      "amphoe_code", "tambon_code"]


def issues(survey_round: int, store: str | os.PathLike[str] | None = None,
           columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Return the validation issues of the round (``issues.csv``), every ingest of it.

    Columns include ``table, file, row, column, rule, severity, message, amphoe_code,
    tambon_code`` and, for rounds ingested from several exports, ``batch_id``,
    ``batch_source`` and ``batch_time`` (which export each issue came from) and ``superseded``
    (``True`` where a later export stored a valid row with the same submission id). The
    ``value`` column is left out (raw answers). Empty when no ingest found anything.

    ``columns`` reads only those columns (a round's file holds every issue of the province, tens
    of MB: a report that counts errors by tambon reads a fifth of the parsing work).
    """
    with layout.store_lock(store):
        path = layout.round_folder(survey_round, store) / "issues.csv"
        if not path.is_file():
            return pd.DataFrame(columns=list(columns) if columns is not None
                                else ISSUE_READ_COLUMNS)
        usecols = [c for c in columns if c != "value"] if columns is not None else None
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False,
                            na_values=[""], usecols=usecols)
    if "superseded" in frame.columns:
        frame["superseded"] = frame["superseded"].str.lower().eq("true")
    return frame.drop(columns=["value"], errors="ignore")
