"""Writers of the synthetic export: Kobo CSV and XLSX, plain CSV tables, the SYNTHETIC note.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``) with
the permissions the user's umask gives a new file, and deterministically: same tables, same bytes.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch.synth.kobo import Table

__all__ = ["atomic_write_bytes", "write_csv", "write_kobo_csv", "write_xlsx"]


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, with the umask's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_kobo_csv(path: Path, t: Table, chunk: int = 20_000) -> None:
    """Kobo CSV: ``;``-separated, every field quoted, UTF-8 without BOM, CRLF."""
    headers = [h for h in t.cols if not h.startswith("_pid_all")]
    cols = [t.cols[h] for h in headers]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write('"' + '";"'.join(h.replace('"', '""') for h in headers) + '"\r\n')
            for lo in range(0, t.n, chunk):
                part = [c[lo:lo + chunk].tolist() for c in cols]
                text = '"' + '"\r\n"'.join(map('";"'.join, zip(*part, strict=True))) + '"\r\n'
                if text.count('"') != 2 * len(cols) * len(part[0]):  # a value holds a quote
                    text = "".join('"' + '";"'.join(v.replace('"', '""') for v in row) + '"\r\n'
                                   for row in zip(*part, strict=True))
                fh.write(text)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _xlsx_value(v: str, numeric: bool) -> Any:
    if v == "":
        return None
    if numeric and v.isascii():  # Thai digits stay text, as a Kobo user typed them
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if f.is_integer() and "." not in v else f
    return v


def write_xlsx(path: Path, sheets: list[tuple[str, Table]]) -> None:
    """Kobo-style XLSX through openpyxl write-only mode, with fixed zip timestamps."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    fixed = pd.Timestamp("2000-01-01").to_pydatetime()
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "abcresearch synth"
    for name, t in sheets:
        ws = wb.create_sheet(title=name[:31])
        headers = [h for h in t.cols if not h.startswith("_pid_all")]
        ws.append(headers)
        num = [h in t.numeric for h in headers]
        cols = [t.cols[h] for h in headers]
        for r in range(t.n):
            ws.append([_xlsx_value(c[r], nm) for c, nm in zip(cols, num, strict=True)])
    buf = io.BytesIO()
    wb.save(buf)
    # rewrite the zip with fixed timestamps so the bytes are deterministic
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<3>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, data)
    atomic_write_bytes(path, out.getvalue())


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """Write a plain CSV table (``,``, UTF-8, LF, no index) atomically."""
    atomic_write_bytes(path, df.to_csv(index=False, lineterminator="\n").encode("utf-8"))
