"""Read survey exports (Kobo / ODK Central CSV and XLSX) into text sheets with normalised headers.

Every cell is read as text: encoding by BOM -> ``utf-8-sig``, else strict UTF-8, else ``cp874``
(Thai Windows Excel); delimiter ``;``, ``,`` or tab from the header line. Each row keeps
``source_file`` and ``source_row`` (spreadsheet row, header = row 1). :func:`classify` tells the
household, member (roster) and village tables apart by their columns and :func:`normalise` maps
headers to the XLSForm leaf names.
"""

from __future__ import annotations

import codecs
import datetime as dt
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch.errors import InputError
from abcresearch.survey.instrument import REPEAT_TABLES, codebook

#: Table -> meta column (as exported) -> normalised name, in order of preference.
META = {
    "households": {"_uuid": "submission_uuid", "KEY": "submission_uuid",
                   "meta/instanceID": "submission_uuid", "meta-instanceID": "submission_uuid",
                   "instanceID": "submission_uuid", "_submission_time": "submitted_at",
                   "SubmissionDate": "submitted_at", "__version__": "form_version",
                   "FormVersion": "form_version", "_index": "_index"},
    "members": {"_submission__uuid": "submission_uuid", "PARENT_KEY": "submission_uuid",
                "_index": "_index", "_parent_index": "_parent_index"},
}
META["villages"] = META["households"]

#: ODK Central meta columns that are not stored (and not reported as unknown).
ODK_META = {"SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
            "ReviewState", "DeviceID", "Edits", "meta-instanceName", "meta/instanceName"}
#: Columns that mark a roster sheet.
ROSTER_SIGNATURE = {"_parent_index", "_submission__uuid", "PARENT_KEY", "_parent_table_name"}
#: A column whose leaf name marks the village form.
VILLAGE_SIGNATURE = "vil_households"
#: File suffixes read from an export folder.
SUFFIXES = {".csv", ".xlsx", ".xls", ".txt"}
_IGNORED_NAMES = {"synthetic.txt", "readme.txt", "readme.md"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_BOM = codecs.BOM_UTF8


@dataclass
class Sheet:
    """One table as read from a file: text cells with the original headers.

    Attributes
    ----------
    file : str
        Display name (``household.csv`` or ``household.xlsx[member]``).
    path : Path
        The file.
    frame : pandas.DataFrame
        Text cells (``str``, missing as NA) with the original headers.
    rows : numpy.ndarray
        Spreadsheet row of each record (header = row 1).
    encoding, delimiter : str or None
        What was detected (CSV only).
    table : str
        ``households``, ``members`` or ``villages`` (set by :func:`classify`).
    """

    file: str
    path: Path
    frame: pd.DataFrame
    rows: np.ndarray
    encoding: str | None = None
    delimiter: str | None = None
    table: str = ""
    personal: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# reading


def find_files(directory: Path) -> list[Path]:
    """Return the export files in ``directory`` (not recursive; ``_truth/`` etc. ignored)."""
    directory = Path(directory)
    if not directory.exists():
        raise InputError(f"the export folder {directory} does not exist")
    if not directory.is_dir():
        raise InputError(f"{directory} is not a folder; give the folder that holds the export")
    files = sorted(p for p in directory.iterdir()
                   if p.is_file() and not p.name.startswith((".", "~$", "_"))
                   and p.suffix.lower() in SUFFIXES and p.name.lower() not in _IGNORED_NAMES)
    if not files:
        raise InputError(f"the export folder {directory} holds no .csv or .xlsx file")
    return files


def _sniff_encoding(path: Path, data: bytes) -> tuple[str, bytes]:
    """Return (encoding, UTF-8 bytes without BOM)."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{path.name} is a binary file, not a CSV or XLSX export")
    if data.startswith(_BOM):
        body = data[len(_BOM):]
        try:
            _check_utf8(body)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path.name} starts with a UTF-8 mark but byte {exc.start + 3} is "
                             "not UTF-8; save it again as CSV UTF-8") from None
        return "utf-8-sig", body
    try:
        _check_utf8(data)
        return "utf-8", data
    except UnicodeDecodeError:
        pass
    try:
        return "cp874", data.decode("cp874").encode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is neither UTF-8 nor Thai Windows (CP874/TIS-620) text "
                         f"(byte {exc.start}); save it again as CSV UTF-8") from None


def _check_utf8(data: bytes, chunk: int = 1 << 24) -> None:
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    for i in range(0, len(data), chunk):
        try:
            dec.decode(data[i:i + chunk], final=i + chunk >= len(data))
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError("utf-8", data, i + exc.start, i + exc.end,
                                     exc.reason) from None


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _locate_bad_row(path: Path, text: str, delimiter: str, n_columns: int) -> str:
    for i, rec in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        if rec and len(rec) != n_columns:
            return (f"{path.name} row {i} has {len(rec)} cells but the header has {n_columns} "
                    "columns; the file cannot be read")
    return f"{path.name} cannot be read as CSV"


def read_csv(path: Path, data: bytes | None = None) -> Sheet:
    """Read one CSV export as text cells (encoding and delimiter sniffed)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = path.read_bytes() if data is None else data
    encoding, body = _sniff_encoding(path, data)
    end = body.find(b"\n")
    first = body[: end if end >= 0 else len(body)].decode("utf-8").rstrip("\r")
    if not first.strip():
        raise InputError(f"{path.name} is empty or its first line (the header) is blank")
    delimiter = _sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                             ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True))
    except (pa.ArrowInvalid, pa.ArrowException):
        raise InputError(_locate_bad_row(path, body.decode("utf-8"), delimiter,
                                         len(header))) from None
    frame = table.to_pandas()
    frame.columns = _unique_headers(header, path.name)
    frame = frame.astype("str")
    return Sheet(file=path.name, path=path, frame=frame,
                 rows=np.arange(2, len(frame) + 2, dtype=np.int64),
                 encoding=encoding, delimiter=delimiter)


def _unique_headers(header: list[str], file: str) -> list[str]:
    header = [str(h).strip() if h is not None else "" for h in header]
    seen: set[str] = set()
    for i, h in enumerate(header):
        if h == "":
            header[i] = h = f"(blank column {i + 1})"
        if h in seen:
            raise InputError(f"{file}: column {h} appears twice in the header row")
        seen.add(h)
    return header


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    text = str(v)
    return text if text != "" else None


def read_xlsx(path: Path) -> list[Sheet]:
    """Read every non-empty sheet of an XLSX export as text cells.

    Cells Excel typed as dates come as Christian-era dates (a Buddhist-era display is only
    formatting); numbers are written without a trailing ``.0``.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{path.name} is not a readable XLSX workbook ({type(exc).__name__})"
                         ) from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise InputError(f"{path.name} is not a readable XLSX workbook ({type(exc).__name__})"
                         ) from None
    sheets = []
    try:
        for ws in wb.worksheets:
            it = ws.iter_rows(values_only=True)
            header = next(it, None)
            if header is None or all(h is None for h in header):
                continue
            while header and header[-1] is None:
                header = header[:-1]
            n = len(header)
            records, rows = [], []
            for i, r in enumerate(it, start=2):
                cells = [_cell_text(v) for v in r[:n]]
                if all(c is None for c in cells):
                    continue
                records.append(cells + [None] * (n - len(cells)))
                rows.append(i)
            name = f"{path.name}[{ws.title}]"
            cols = _unique_headers(list(header), name)
            frame = pd.DataFrame(records, columns=cols, dtype="str") if records else \
                pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
            sheets.append(Sheet(file=name, path=path, frame=frame,
                                rows=np.asarray(rows, dtype=np.int64)))
    finally:
        wb.close()
    if not sheets:
        raise InputError(f"{path.name} has no sheet with a header row")
    return sheets


def read_file(path: Path) -> list[Sheet]:
    """Read one export file (CSV or XLSX, told by its first bytes) into sheets."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name} cannot be opened ({exc.strerror})") from None
    if data.startswith(_ZIP_MAGIC):
        return read_xlsx(path)
    if data.startswith(_OLE_MAGIC):
        raise InputError(f"{path.name} is an old Excel 97-2003 workbook; save it as .xlsx or "
                         "CSV UTF-8")
    if path.suffix.lower() == ".xlsx":
        raise InputError(f"{path.name} has the .xlsx extension but is not an XLSX workbook")
    if not data[:1 << 16].strip():
        raise InputError(f"{path.name} is empty")
    return [read_csv(path, data)]


# --------------------------------------------------------------------------------------------
# classify and normalise


def _leaf(header: str) -> str:
    return header.replace("-", "/").split("/")[-1]


def classify(sheet: Sheet) -> str:
    """Return the table a sheet holds: ``members``, ``villages`` or ``households``."""
    cols = set(sheet.frame.columns)
    if cols & ROSTER_SIGNATURE:
        return "members"
    leaves = {_leaf(c) for c in cols}
    if VILLAGE_SIGNATURE in leaves:
        return "villages"
    if leaves & set(codebook("households")["name"]):
        return "households"
    raise InputError(f"{sheet.file} has no column of the household, member or village form "
                     f"(first columns: {', '.join(list(sheet.frame.columns)[:3])})")


def _header_lookup(table: str) -> dict[str, str | None]:
    """Header as exported -> leaf name (None: a select_multiple dummy column to drop)."""
    cb = codebook(table)
    look: dict[str, str | None] = {}
    for q in cb.itertuples(index=False):
        header = q.header
        if table in REPEAT_TABLES.values():
            # ODK Central writes repeat columns relative to the repeat
            rel = header.split("/", 1)[1] if "/" in header else header
            variants = {header, header.replace("/", "-"), rel, rel.replace("/", "-"), q.name}
        else:
            variants = {header, header.replace("/", "-"), q.name}
        for v in variants:
            look[v] = q.name
        if q.type == "select_multiple":
            from abcresearch.survey.instrument import choices as _choices

            form = "village" if table == "villages" else "household"
            for c in _choices(q.list_name, form)["name"]:
                for v in variants:
                    look[f"{v}/{c}"] = None
                    look[f"{v}-{c}"] = None
    return look


def normalise(sheet: Sheet) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Return the sheet with leaf-name columns, meta columns mapped and source columns added.

    Returns
    -------
    frame : pandas.DataFrame
        Text cells; columns are codebook names, ``submission_uuid``, ``submitted_at``,
        ``form_version``, ``_index``, ``_parent_index``, ``source_file``, ``source_row``.
    ignored : list of str
        Columns that are neither questions nor known meta columns (kept only in rejects).
    personal : dict
        Original header -> personal class (``name``, ``national_id``, ``phone``).
    """
    table = sheet.table
    look = _header_lookup(table)
    cb = codebook(table)
    personal_of = dict(zip(cb["name"], cb["personal"], strict=True))
    meta = META[table]
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    personal: dict[str, str] = {}
    for col in sheet.frame.columns:
        if col in look:
            name = look[col]
            if name is None:
                continue
            if name in mapping.values():
                other = next(k for k, v in mapping.items() if v == name)
                raise InputError(f"{sheet.file}: columns {other} and {col} both hold question "
                                 f"{name}")
            mapping[col] = name
            if personal_of.get(name) in ("name", "national_id", "phone"):
                personal[col] = personal_of[name]
        elif col in meta:
            if meta[col] not in mapping.values():
                mapping[col] = meta[col]
        elif not (col.startswith("_") or col in ODK_META):
            ignored.append(col)
    frame = sheet.frame[list(mapping)].rename(columns=mapping)
    for q in cb.itertuples(index=False):
        if q.name in frame.columns:
            continue
        conditional = isinstance(q.relevant_question, str)
        if q.required and not conditional and q.type not in ("start", "end"):
            raise InputError(f"{sheet.file}: the column of required question {q.name} "
                             f"({q.header}) is missing, so no row can be read")
        frame[q.name] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame["source_file"] = sheet.file
    frame["source_row"] = sheet.rows
    return frame, ignored, personal


