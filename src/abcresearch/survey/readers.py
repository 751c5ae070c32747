"""Read survey exports (Kobo / ODK Central CSV and XLSX) into text sheets with normalised headers.

Every cell is read as text: encoding by BOM -> ``utf-8-sig``, else strict UTF-8, else ``cp874``
(Thai Windows Excel; in a UTF-8 file, a line that is not UTF-8 is read as CP874 and named);
delimiter ``;``, ``,`` or tab from the header line. Each row keeps
``source_file`` and ``source_row`` (spreadsheet row, header = row 1). :func:`classify` tells the
household, member (roster) and village tables apart by their columns and :func:`normalise` maps
headers to the XLSForm leaf names.

A row whose cells do not line up with the header (too many or too few cells, or a stray quote
that would swallow the lines after it) is set aside as a :class:`MalformedRow`; the rows around
it are read. A file is refused as unreadable only when more than a set share of its rows are
malformed (``malformed_rows`` in ``params/ingest.yaml``). A file that ends in the middle of a
row is noted as cut short (:attr:`Sheet.truncated_at`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from abcresearch.errors import InputError
from abcresearch.survey.instrument import REPEAT_TABLES, codebook
from abcresearch.survey.settings import ingest_settings

if TYPE_CHECKING:
    import pyarrow as pa

#: Table -> meta column (as exported) -> normalised name, in order of preference.
META = {
    "households": {"_uuid": "submission_uuid", "KEY": "submission_uuid",
                   "meta/instanceID": "submission_uuid", "meta-instanceID": "submission_uuid",
                   "instanceID": "submission_uuid", "_submission_time": "submitted_at",
                   "SubmissionDate": "submitted_at", "__version__": "form_version",
                   "FormVersion": "form_version", "_index": "_index",
                   "_validation_status": "review_status", "ReviewState": "review_status"},
    "members": {"_submission__uuid": "submission_uuid", "PARENT_KEY": "submission_uuid",
                "_index": "_index", "KEY": "_index", "_parent_index": "_parent_index"},
}
# A roster row's own id in its export: Kobo's row number (``_index``) or ODK Central's and
# SurveyCTO's repeat key ("uuid:.../member[2]", ``KEY``). The same id with the same answers is
# one row read twice (see abcresearch.survey.validate), which is kept once.
META["villages"] = META["households"]

#: ODK Central meta columns that are not stored (and not reported as unknown).
ODK_META = {"SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected", "Status",
            "DeviceID", "Edits", "meta-instanceName", "meta/instanceName"}
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
        ``households``, ``members``, ``villages``, ``frame`` or ``auxiliary`` (set by
        :func:`classify`).
    personal : dict
        Original header -> personal class (set by :func:`normalise`).
    malformed : list of MalformedRow
        Rows set aside because their cells do not line up with the header.
    header : list of str
        The header as read.
    truncated_at : int or None
        The row at which the file ends in the middle of a row (it was cut short), if it does.
    recoded_lines : tuple of int
        Lines of a UTF-8 file that were not UTF-8 and were read as Thai Windows text (CP874).
    """

    file: str
    path: Path
    frame: pd.DataFrame
    rows: np.ndarray
    encoding: str | None = None
    delimiter: str | None = None
    table: str = ""
    personal: dict[str, str] = field(default_factory=dict)
    malformed: list[MalformedRow] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    truncated_at: int | None = None
    recoded_lines: tuple[int, ...] = ()

    @property
    def n_rows(self) -> int:
        """Rows of data read, malformed ones included."""
        return len(self.frame) + len(self.malformed)


@dataclass(frozen=True)
class MalformedRow:
    """A row whose cells do not line up with the header.

    Attributes
    ----------
    row : int
        Spreadsheet row (header = row 1), counted as the well-formed rows are.
    line : int
        Line of the file where the row starts.
    cells : tuple of str
        The cells as split (they may be misaligned; never shown unmasked).
    n_columns : int
        Columns of the header.
    """

    row: int
    line: int
    cells: tuple[str, ...]
    n_columns: int


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


def _without_cut_character(data: bytes) -> bytes:
    """Drop the part of a UTF-8 character that a cut-short file ends in.

    A download or copy cut off inside a Thai letter (three bytes in UTF-8) ends in one or two
    bytes of it; the file is otherwise UTF-8. Without them it is read as UTF-8 and its last,
    cut row is named as cut short like any other; with them it was refused as neither UTF-8
    nor CP874. Only the very end counts, and only when everything before it is UTF-8.
    """
    if not data or data.endswith(b"\n"):
        return data
    for i in range(len(data) - 1, max(len(data) - 4, -1), -1):
        byte = data[i]
        if byte & 0xC0 == 0x80:  # a continuation byte: look further back for the lead
            continue
        needed = 2 if 0xC0 <= byte < 0xE0 else 3 if 0xE0 <= byte < 0xF0 else 4 \
            if 0xF0 <= byte < 0xF8 else 1
        if len(data) - i >= needed:
            return data
        try:  # a cut character, if everything before it is UTF-8 (else: CP874 bytes)
            _check_utf8(data[:i])
        except UnicodeDecodeError:
            return data
        return data[:i]
    return data


def _sniff_encoding(path: Path, data: bytes) -> tuple[str, bytes, tuple[int, ...]]:
    """Return (encoding, UTF-8 bytes without BOM, lines read as CP874 in a UTF-8 file).

    A UTF-8 file (with Thai in UTF-8) in which a few lines are not UTF-8 is a row edited and
    saved again on a Thai Windows machine: each such line is read as CP874 and named, so that
    no row is lost and the user can check it. A line that is neither is refused, named.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode Text" (UTF-16 with its mark, tab-separated): read, not "binary"
        try:
            return "utf-16", data.decode("utf-16").encode("utf-8"), ()
        except UnicodeDecodeError as exc:  # counted from the file's start, its mark included
            raise InputError(f"{path.name} starts with a UTF-16 mark but byte {exc.start:,} "
                             "is not UTF-16; save it again as CSV UTF-8") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{path.name} is a binary file, not a CSV or XLSX export")
    data = _without_cut_character(data)
    if data.startswith(_BOM):
        body = data[len(_BOM):]
        try:
            _check_utf8(body)
        except UnicodeDecodeError as exc:
            raise InputError(f"{path.name} starts with a UTF-8 mark but byte {exc.start + 3} is "
                             "not UTF-8; save it again as CSV UTF-8") from None
        return "utf-8-sig", body, ()
    try:
        _check_utf8(data)
        return "utf-8", data, ()
    except UnicodeDecodeError as exc:
        bad_utf8 = exc.start
    good = data.rfind(b"\n", 0, bad_utf8) + 1  # whole lines before the first bad byte
    if _THAI_LETTER.search(data[:good].decode("utf-8")):
        # whole lines of UTF-8 Thai before a line that is not: an edited row saved in another
        # encoding (CP874 bytes can pass for UTF-8 in places, so only whole lines count)
        return ("utf-8", *_mixed_lines(path, data, good))
    try:
        return "cp874", data.decode("cp874").encode("utf-8"), ()
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{path.name} is neither UTF-8 nor Thai Windows (CP874/TIS-620) text "
                         f"(line {line:,}, byte {exc.start:,} of the file); save it again as "
                         "CSV UTF-8") from None


def _mixed_lines(path: Path, data: bytes, good: int) -> tuple[bytes, tuple[int, ...]]:
    """Read each line of a UTF-8 file that is not UTF-8 as CP874 (see :func:`_sniff_encoding`).

    The lines before byte ``good`` are known to be UTF-8 and are taken as they are.
    """
    first = data.count(b"\n", 0, good) + 1
    out, recoded = [data[:good]], []
    lines = data[good:].split(b"\n")
    for number, line in enumerate(lines, start=first):
        try:
            line.decode("utf-8")
            out.append(line)
            continue
        except UnicodeDecodeError as exc:
            bad = exc.start
        try:
            text = line.decode("cp874")
        except UnicodeDecodeError:
            raise InputError(
                f"{path.name} is UTF-8 text except line {number}, which is neither UTF-8 nor "
                f"Thai Windows (CP874) text (byte {bad + 1} of that line); save that row again "
                "as UTF-8 (or the file as CSV UTF-8)") from None
        out.append(text.encode("utf-8"))
        recoded.append(number)
    return out[0] + b"\n".join(out[1:]), tuple(recoded)


#: A Thai letter (U+0E01-U+0E5B): CP874 bytes read as UTF-8 give none, or other code points.
_THAI_LETTER = re.compile("[\u0e01-\u0e5b]")


def _check_utf8(data: bytes, chunk: int = 1 << 24) -> None:
    dec = codecs.getincrementaldecoder("utf-8")("strict")
    for i in range(0, len(data), chunk):
        try:
            dec.decode(data[i:i + chunk], final=i + chunk >= len(data))
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError("utf-8", data, i + exc.start, i + exc.end,
                                     exc.reason) from None


def _lf_line_ends(data: bytes) -> bytes:
    """Return ``data`` with each lone carriage return outside a quoted value read as a line end.

    Excel's "CSV (Macintosh)" ends its lines with a carriage return alone, and a row edited on
    such a machine may carry one; both readers split lines at ``\\n`` (a lone CR made the
    tolerant reader fail with Python's own error). A spreadsheet opens a lone CR as a line end
    too, so the row numbers in messages stay the rows a user sees. Inside a quoted value a lone
    CR is part of the value, as before: a file with line feeds is read quote by quote (its
    quotes counted up to each lone CR), a file without any (a Mac file) has every CR replaced.
    ASCII-compatible text only (UTF-8, CP874): never UTF-16 bytes.
    """
    n_cr = data.count(b"\r")
    if not n_cr or n_cr == data.count(b"\r\n"):
        return data
    if b"\n" not in data:  # a classic Mac file: every line ends in a CR alone
        return data.replace(b"\r", b"\n")
    out = bytearray(data)
    quotes, counted = 0, 0
    for m in re.finditer(rb"\r(?!\n)", data):
        quotes += data.count(b'"', counted, m.start())
        counted = m.start()
        if quotes % 2 == 0:  # outside a quoted value (a doubled quote counts twice)
            out[m.start()] = 0x0A
    return bytes(out)


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _split_line(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r")], delimiter=delimiter), [])


def _blank(cells: list[str]) -> bool:
    return not cells or all(not c.strip() for c in cells)


def parse_text_rows(text: str, delimiter: str, n_columns: int
                    ) -> tuple[list[list[str]], list[int], list[MalformedRow]]:
    """Split CSV text (header first) into rows, setting aside rows that do not fit the header.

    The tolerant reader used when the fast reader fails: Python's ``csv`` module, record by
    record. A record spanning several lines whose lines each make a whole row on their own is a
    stray quote that swallowed them: its lines are read one by one, so only the damaged line is
    lost. Blank lines and rows of empty cells are skipped, but counted in the row numbers.

    Returns
    -------
    rows : list of list of str
        Well-formed rows (``n_columns`` cells each).
    row_numbers : list of int
        Spreadsheet row of each (header = row 1).
    malformed : list of MalformedRow
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, len(text) + 1))
    try:
        reader = csv.reader((ln + "\n" for ln in lines), delimiter=delimiter)
        next(reader, None)  # the header
        prev = reader.line_num
        rows: list[list[str]] = []
        numbers: list[int] = []
        malformed: list[MalformedRow] = []
        ordinal = 1

        def take(cells: list[str], line: int) -> None:
            nonlocal ordinal
            ordinal += 1  # a blank line is a row of the spreadsheet too: counted, not kept
            if _blank(cells):
                return
            if len(cells) == n_columns:
                rows.append(cells)
                numbers.append(ordinal)
            else:
                malformed.append(MalformedRow(ordinal, line, tuple(cells), n_columns))

        while True:
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error:  # a CR left in an unquoted cell: the line as a spreadsheet shows it
                start, end = prev + 1, reader.line_num
                prev = end
                for ln in range(start, end + 1):
                    take(_split_line(lines[ln - 1].replace("\r", " "), delimiter), ln)
                continue
            start, end = prev + 1, reader.line_num
            prev = end
            if end > start:
                pieces = [(ln, _split_line(lines[ln - 1], delimiter))
                          for ln in range(start, end + 1)]
                if len(rec) != n_columns or any(len(c) == n_columns for _, c in pieces):
                    for ln, cells in pieces:
                        take(cells, ln)
                    continue
            take(rec, start)
    finally:
        csv.field_size_limit(old_limit)
    return rows, numbers, malformed


def check_malformed(file: str, n_rows: int, malformed: list[MalformedRow]) -> None:
    """Refuse a file whose structure is unreadable (too many malformed rows).

    Raises
    ------
    InputError
        More than ``malformed_rows.max_share`` of the rows (and more than
        ``malformed_rows.always_allowed``) do not line up with the header.
    """
    if not malformed:
        return
    rules = ingest_settings()
    allowed = max(rules.malformed_always_allowed, int(rules.malformed_max_share * n_rows))
    if len(malformed) <= allowed:
        return
    first = ", ".join(f"row {m.row} ({len(m.cells)} cells)"
                      for m in malformed[: min(5, rules.malformed_list)])
    raise InputError(
        f"{file}: {len(malformed):,} of its {n_rows:,} rows do not have the header's "
        f"{malformed[0].n_columns} cells ({first}, ...), more than the "
        f"{rules.malformed_max_share:.0%} allowed (malformed_rows in params/ingest.yaml), so its "
        "structure is unreadable (wrong delimiter or quoting?) and nothing was stored")


def _has_newline_values(table: pa.Table, body: bytes) -> bool:
    """Return whether some value holds a line break (the tolerant reader then looks for quotes).

    Counted on the bytes first: when the non-blank lines are exactly the header plus the rows
    read, no value spans lines and nothing else needs checking.
    """
    import pyarrow.compute as pc

    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    blank = body.count(b"\n\n") + body.count(b"\n\r\n")
    if lines - blank == table.num_rows + 1:
        return False
    for col in table.columns:
        if col.null_count == len(col):
            continue
        if pc.any(pc.match_substring(col, "\n")).as_py():
            return True
    return False


def _all_null_rows(table: pa.Table) -> np.ndarray | None:
    """Return a mask of the rows whose cells are all empty, or None when there is none."""
    import pyarrow.compute as pc

    if table.num_columns == 0 or table.num_rows == 0:
        return None
    empty = pc.is_null(table.column(0))
    for col in table.columns[1:]:
        if not pc.any(empty).as_py():
            return None
        empty = pc.and_(empty, pc.is_null(col))
    mask = empty.to_numpy(zero_copy_only=False).astype(bool)
    return mask if mask.any() else None


def read_csv(path: Path, data: bytes | None = None) -> Sheet:
    """Read one CSV export as text cells (encoding and delimiter sniffed).

    Rows that do not line up with the header are set aside (:attr:`Sheet.malformed`); the
    file is refused only when too many are (:func:`check_malformed`).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = path.read_bytes() if data is None else data
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = _lf_line_ends(data)  # before the encoding's lines are read
    encoding, body, recoded = _sniff_encoding(path, data)
    body = _lf_line_ends(body)  # UTF-16 text, now UTF-8 (a no-op for the others)
    end = body.find(b"\n")
    first = body[: end if end >= 0 else len(body)].decode("utf-8").rstrip("\r")
    if not first.strip():
        raise InputError(f"{path.name} is empty or its first line (the header) is blank")
    delimiter = _sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    cols = _unique_headers(header, path.name)
    names = [f"c{i}" for i in range(len(header))]
    table = None
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
        table = None
    # a blank line between rows: the fast reader skips it without counting it, so the rows
    # after it would be named one row too early in every message; the tolerant reader counts it
    blank_lines = False
    if b"\n\n" in body or b"\n\r\n" in body:  # blank lines after the last row do not count
        core = body.rstrip(b"\r\n")
        blank_lines = b"\n\n" in core or b"\n\r\n" in core
    if table is not None and not blank_lines and not _has_newline_values(table, body):
        row_numbers = np.arange(2, table.num_rows + 2, dtype=np.int64)
        empty = _all_null_rows(table)
        if empty is not None:  # rows of empty cells (";;;"): skipped as the tolerant reader does
            table, row_numbers = table.filter(~empty), row_numbers[~empty]
        frame = table.to_pandas()
        frame.columns = cols
        frame = frame.astype("str")
        return Sheet(file=path.name, path=path, frame=frame, rows=row_numbers,
                     encoding=encoding, delimiter=delimiter, header=cols,
                     recoded_lines=recoded)
    # the tolerant reader: malformed rows set aside, the others kept
    text = body.decode("utf-8")
    rows, numbers, malformed = parse_text_rows(text, delimiter, len(header))
    check_malformed(path.name, len(rows) + len(malformed), malformed)
    frame = pd.DataFrame(rows, columns=cols, dtype="str") if rows else \
        pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
    frame = frame.where(frame != "", None).astype("str")
    truncated = None
    last = malformed[-1] if malformed else None
    if (last is not None and (not numbers or last.row > numbers[-1])
            and not text.endswith("\n") and len(last.cells) < len(header)):
        truncated = last.row  # the file ends in the middle of its last row
    return Sheet(file=path.name, path=path, frame=frame, rows=np.asarray(numbers, dtype=np.int64),
                 encoding=encoding, delimiter=delimiter, malformed=malformed, header=cols,
                 truncated_at=truncated, recoded_lines=recoded)


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
            bad: list[MalformedRow] = []
            for i, r in enumerate(it, start=2):
                cells = [_cell_text(v) for v in r[:n]]
                extra = [_cell_text(v) for v in r[n:]]
                if any(c is not None for c in extra):  # cells beyond the header: shifted
                    full = [c or "" for c in cells + extra]
                    while full and not full[-1]:
                        full.pop()
                    bad.append(MalformedRow(i, i, tuple(full), n))
                    continue
                if all(c is None for c in cells):
                    continue
                records.append(cells + [None] * (n - len(cells)))
                rows.append(i)
            name = f"{path.name}[{ws.title}]"
            check_malformed(name, len(records) + len(bad), bad)
            cols = _unique_headers(list(header), name)
            frame = pd.DataFrame(records, columns=cols, dtype="str") if records else \
                pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
            sheets.append(Sheet(file=name, path=path, frame=frame,
                                rows=np.asarray(rows, dtype=np.int64), malformed=bad,
                                header=cols))
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
    """Return the table a sheet holds.

    ``frame`` and ``auxiliary`` (the round-wide tables of ``docs/INPUTS.md``) are told by their
    file name (``frame.csv``, ``bmn.csv``) or their columns; then ``members`` (a roster's
    parent-key columns), ``villages`` (``vil_households``) or ``households``.
    """
    from abcresearch.survey.validate import table_specs

    cols = set(sheet.frame.columns)
    lower = {str(c).strip().lower() for c in cols}
    stem = sheet.path.stem.lower()
    for table, spec in table_specs().items():
        if stem in spec.get("files", []) or set(spec.get("signature", ["?"])) <= lower:
            return table
    if cols & ROSTER_SIGNATURE:
        return "members"
    leaves = {_leaf(c) for c in cols}
    if VILLAGE_SIGNATURE in leaves:
        return "villages"
    if leaves & set(codebook("households")["name"]):
        return "households"
    raise InputError(f"{sheet.file} has no column of the household, member or village form "
                     f"(first columns: {', '.join(list(sheet.frame.columns)[:3])})")


PERSONAL_COLUMN_NOTE = "(national IDs or phone numbers: not stored)"
"""Said of an undeclared number column left out because it holds personal data."""

_PERSONAL_HEADER = re.compile(
    r"phone|tel|mobile|pid|citizen|national|id_?card|cid|โทร|บัตร|ประชาชน", re.IGNORECASE)


def looks_personal(header: str, values: pd.Series) -> bool:
    """Whether an undeclared number column holds national IDs or phone numbers.

    Its header names them, one value is a national ID (13 digits, valid check digit), or most
    values are mobile numbers (10 digits from 06, 08 or 09, or the 9 left when a spreadsheet
    dropped the leading 0).

    Parameters
    ----------
    header : str
        The column's name.
    values : pandas.Series
        Its cells as text with ASCII digits (blank cells as missing).
    """
    from stdnum.th import pin

    if _PERSONAL_HEADER.search(header):
        return True
    digits = values.dropna().astype(str).str.replace(r"\.0+$", "", regex=True)
    if not len(digits):
        return False
    if digits.map(lambda v: len(v) == 13 and pin.is_valid(v)).any():
        return True
    mobile = digits.str.fullmatch(r"0?[689]\d{8}")
    return bool(mobile.mean() >= 0.5)


def normalise_table(sheet: Sheet) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Return a round-wide table (frame, auxiliary) with its declared columns and source columns.

    Headers are matched case-insensitively. A column that is not declared is kept when every
    value in it is a number (a new covariate) and ignored otherwise.

    Returns
    -------
    frame : pandas.DataFrame
        Text cells; declared columns (missing optional ones added empty), kept extra columns,
        ``source_file``, ``source_row``.
    ignored : list of str
        Columns left out.
    extra : list of str
        Undeclared numeric columns kept.

    Raises
    ------
    InputError
        A required column is missing (one sentence naming the file and the columns).
    """
    from abcresearch.survey.validate import ascii_digits, table_codebook

    cb = table_codebook(sheet.table)
    by_lower = {str(c).strip().lower(): c for c in sheet.frame.columns}
    missing = [q.name for q in cb.itertuples(index=False)
               if q.required and q.name not in by_lower]
    if missing:
        raise InputError(f"{sheet.file}: the column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)} {'are' if len(missing) > 1 else 'is'} missing, "
                         f"so no row can be read (see docs/INPUTS.md for the {sheet.table} "
                         "columns)")
    declared = set(cb["name"])
    frame = pd.DataFrame(index=sheet.frame.index)
    for q in cb.itertuples(index=False):
        frame[q.name] = (sheet.frame[by_lower[q.name]] if q.name in by_lower
                         else pd.Series(pd.NA, index=sheet.frame.index, dtype="str"))
    ignored, extra = [], []
    for low, col in by_lower.items():
        if low in declared:
            continue
        text = ascii_digits(sheet.frame[col]).str.strip().replace("", None)
        num = pd.to_numeric(text, errors="coerce")
        if text.notna().any() and (num.notna() == text.notna()).all() and low.isidentifier():
            if looks_personal(low, text):  # a headman's ID or phone kept as a "covariate"
                ignored.append(f"{col} {PERSONAL_COLUMN_NOTE}")
                continue
            frame[low] = sheet.frame[col]
            extra.append(low)
        else:
            ignored.append(str(col))
    frame["source_file"] = sheet.file
    frame["source_row"] = sheet.rows
    return frame, ignored, extra


def header_lookup(table: str) -> dict[str, str | None]:
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
    look = header_lookup(table)
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
            # a renamed column is the likely cause: name the unknown column that resembles it
            import difflib

            # by the question's own name, not its group's ("financial/...") that all share
            leaves = {_leaf(c): c for c in ignored}
            near = difflib.get_close_matches(q.name, list(leaves), n=1, cutoff=0.75)
            hint = (f"; the export has an unknown column {leaves[near[0]]}, perhaps the "
                    f"question was renamed: give it its name in the form" if near else "")
            raise InputError(f"{sheet.file}: the column of required question {q.name} "
                             f"({q.header}) is missing, so no row can be read{hint}")
        frame[q.name] = pd.Series(pd.NA, index=frame.index, dtype="str")
    for col, kind in personal.items():
        name = mapping[col]
        if kind == "national_id" and frame[name].str.contains(".0", regex=False).any():
            # a 13-digit ID a spreadsheet kept as a number and wrote back with ".0"
            # ("3800101200002.0"): the same digits, read as the ID (3.80E+12 is not recoverable)
            frame[name] = frame[name].str.replace(r"^(\d{13})\.0+$", r"\1", regex=True)
    frame["source_file"] = sheet.file
    frame["source_row"] = sheet.rows
    return frame, ignored, personal


