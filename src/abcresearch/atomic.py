"""Safe file writes: atomic (temporary file, then ``os.replace``) and formula-safe spreadsheets.

Nothing is ever half-written under its final name. Every CSV or XLSX the tool writes goes
through :func:`neutralise_frame` (or :func:`atomic_write_csv`, which applies it), so that a text
cell typed as ``=HYPERLINK(...)``, ``+cmd``, ``-2+3``, ``@SUM(...)`` or starting with a tab or
carriage return opens as text, not as a formula (the OWASP CSV-injection rule): such a cell gets
a leading apostrophe. Numbers stay numbers, negative ones included, whether they are stored as
numbers or as text that reads as a number (``"-5"``, ``"-1.5e3"``).

Import-light on purpose (the PDF exporter uses it without pulling in pandas; pandas is imported
only by the table functions).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: What is put before such a cell.
FORMULA_ESCAPE = "'"
_NUMBER_RE = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")


def build_timestamp() -> int:
    """Return the time stamped into files the tool builds: ``SOURCE_DATE_EPOCH``, else 0.

    The same report then gives the same bytes on every run (reproducible builds); a file's
    modification time on disk still says when it was written.
    """
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return int(value) if value and value.strip().isdigit() else 0


def _umask() -> int:
    """Return the process's umask without changing it where the system can tell it (Linux).

    ``os.umask`` can only read the mask by setting it, which for a moment changes it for every
    thread of the process (Dask workers write from threads); it is the fallback elsewhere.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and os.replace.

    The file gets the permissions an ordinary write would give it (``0o666`` less the umask), not
    the temporary file's private ``0o600``: reports, spreadsheets and notebooks are meant to be
    shared as the folder's other files are.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, value: Any) -> None:
    """Write JSON (UTF-8, sorted keys) atomically."""
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` safe to open in a spreadsheet.

    Text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe, unless
    the whole text reads as a number (``"-5"`` stays ``"-5"``). Anything that is not text
    (numbers, dates, missing values) is returned unchanged.

    Examples
    --------
    >>> neutralise_cell("=1+1"), neutralise_cell("-5"), neutralise_cell(-5), neutralise_cell("ok")
    ("'=1+1", '-5', -5, 'ok')
    >>> neutralise_cell("@SUM(A1)"), neutralise_cell("\\tx"), neutralise_cell("+66812345678")
    ("'@SUM(A1)", "'\\tx", '+66812345678')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        if _NUMBER_RE.match(value.strip()) and value[0] not in ("\t", "\r"):
            return value
        return FORMULA_ESCAPE + value
    return value


def neutralise_frame(frame: Any) -> Any:
    """Return a copy of a DataFrame with every risky text cell neutralised (see above).

    Column names are neutralised too. Numeric, boolean and date columns are left as they are;
    only text (``str`` / ``object``) columns are scanned (vectorised), and only the cells that
    need it change.
    """
    import pandas as pd

    out = frame.copy()
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    pattern = "^[" + "".join(re.escape(c) for c in FORMULA_PREFIXES) + "]"
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if pd.api.types.is_string_dtype(col.dtype) and not pd.api.types.is_object_dtype(
                col.dtype):
            risky = col.str.match(pattern).fillna(False).to_numpy(dtype=bool)
        elif pd.api.types.is_object_dtype(col.dtype):
            risky = col.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES)
                            ).to_numpy(dtype=bool)
        else:
            continue
        if risky.any():
            text = col.astype(object)
            text[risky] = [neutralise_cell(v) for v in text[risky]]
            out.isetitem(i, text.astype(col.dtype) if col.dtype != object else text)
    return out


def atomic_write_csv(path: Path, frame: Any, encoding: str = "utf-8-sig", **kwargs: Any) -> None:
    """Write a DataFrame as CSV (formula-safe, UTF-8 with BOM for Excel by default) atomically.

    Parameters
    ----------
    path : path
        Destination file.
    frame : pandas.DataFrame
        The table; text cells are neutralised with :func:`neutralise_frame`.
    encoding : str
        Text encoding (``utf-8-sig`` so that Excel opens Thai text correctly).
    **kwargs
        Passed to :meth:`pandas.DataFrame.to_csv` (``index=False`` by default).
    """
    kwargs.setdefault("index", False)
    text = neutralise_frame(frame).to_csv(**kwargs)
    atomic_write_bytes(Path(path), text.encode(encoding))


def atomic_write_xlsx(path: Path, sheets: dict[str, Any]) -> None:
    """Write DataFrames as the sheets of one XLSX workbook (formula-safe) atomically.

    Parameters
    ----------
    path : path
        Destination file.
    sheets : dict
        Sheet name -> DataFrame; text cells are neutralised with :func:`neutralise_frame`.
    """
    import io

    import pandas as pd

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, frame in sheets.items():
            neutralise_frame(frame).to_excel(xw, sheet_name=str(name)[:31], index=False)
    atomic_write_bytes(Path(path), buf.getvalue())
