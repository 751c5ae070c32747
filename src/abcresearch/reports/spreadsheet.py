"""Every published table of a report as a spreadsheet beside its PDF (``<code>.xlsx``).

For staff who plan in spreadsheets: one sheet per table, in report order, named like the PDF's
tables ("ตารางที่ 3" / "Table 3"), with the caption above and the notes below. Cells hold the
values as printed: a number as a number (rounded as in the PDF, with the same thousands
separators and decimals as its number format; a gap's "+18*" is the number 18 shown as
``+#,##0"*"``; an estimate printed with its interval, "56.8 (56.3–57.2)", as
three numbers in three columns: :func:`table_values`), a hidden cell as its marker (``<5``,
``×``), a dash or nothing as an empty cell, and text as text. Text that a spreadsheet would
read as a formula is neutralised (:func:`abcresearch.atomic.neutralise_cell`); the file is
written atomically.

The tables are read from the section results (``report.results``) or, without a kernel, from the
output bundles of an executed notebook (the batch runner's case), so the workbook holds exactly
what the reader sees, never the unrounded numbers behind it.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["table_specs", "table_values", "tables_workbook", "write_tables"]

_NUMBER = re.compile(r"^([+-]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?)(\*?)$")
"""A number as the reports print it: a sign (a gap prints "+18"), thousands separators, decimals
and a trailing ``*`` (a gap whose interval leaves out the comparison value)."""
_NUM = r"[+\-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_WITH_INTERVAL = re.compile(rf"^({_NUM}) \(({_NUM})\u2013({_NUM})\)$")
"""An estimate printed with its interval, "56.8 (56.3–57.2)" (an en dash between the ends)."""
_INTERVAL = re.compile(rf"^({_NUM})\u2013({_NUM})$")
"""An interval printed alone, "43–46" (age groups print "0-14", with a hyphen: not one)."""
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_ZIP_EPOCH = 315532800
"""1980-01-01 00:00 UTC, the earliest time a zip entry can carry."""


def table_specs(source: Any) -> list[dict[str, Any]]:
    """Return the published table specs of a report, in order.

    Parameters
    ----------
    source : mapping, iterable of SectionResult, or notebook
        ``report.results`` (a mapping of section results), an iterable of results, or an
        executed notebook (``nbformat.NotebookNode`` or a mapping with ``cells``).

    Returns
    -------
    list of dict
        :data:`~abcresearch.reports.render.TABLE_MIME` specs.
    """
    from abcresearch.reports.render import TABLE_MIME

    specs: list[dict[str, Any]] = []
    if isinstance(source, Mapping) and "cells" in source:
        for cell in source.get("cells", []):
            for output in cell.get("outputs", []) or []:
                data = output.get("data") or {}
                if TABLE_MIME in data:
                    value = data[TABLE_MIME]
                    specs.append(json.loads(value) if isinstance(value, str) else dict(value))
        return specs
    results = source.values() if isinstance(source, Mapping) else source
    for result in results:
        for bundle in result.bundles():
            if TABLE_MIME in bundle:
                specs.append(dict(bundle[TABLE_MIME]))
    return specs


def table_values(spec: Mapping[str, Any], lang: str = "th"
                 ) -> tuple[list[str], list[list[Any]], list[list[str | None]]]:
    """Return a table's cells as a spreadsheet holds them.

    A column of estimates printed with their intervals ("56.8 (56.3–57.2)") becomes three:
    the estimate and the interval's two ends, each a number; a column of intervals alone
    ("43–46") two. An estimate printed without brackets in such a column has its ends left
    empty: its interval may round to it, or it may have none (a missing bound), and the
    printed text does not say which. Text, markers and empty cells stay in the estimate's
    column, the ends left empty too.

    Parameters
    ----------
    spec : mapping
        A :data:`~abcresearch.reports.render.TABLE_MIME` spec.
    lang : {"th", "en"}
        Language of the added columns' headings (:func:`abcresearch.labels.label`).

    Returns
    -------
    columns : list of str
    rows : list of list
        ``int``/``float`` for a number as printed, ``str`` for text and markers, None for an
        empty or dashed cell.
    formats : list of list of str or None
        Each cell's Excel number format, None for text: the number's own decimals and, for a
        number printed with a sign or a ``*`` (``"+18*"``), those too (``+#,##0"*"``), so that
        every cell reads as printed (a column's largest decimals showed "168,246.00" for
        "168,246") and is still a number to sort and compute with.
    """
    from abcresearch.labels import label
    from abcresearch.reports.render.thai import strip_marks

    names = [strip_marks(str(c)) for c in spec["columns"]]
    texts = [[None if cell is None or cell in ("", "–") else strip_marks(str(cell))
              for cell in raw] for raw in spec["rows"]]
    # which columns hold intervals: "with" (estimate and ends), "alone" (two ends) or None
    kinds: list[str | None] = []
    for j in range(len(names)):
        cells = [c for row in texts if j < len(row) and (c := row[j]) is not None]
        if any(_WITH_INTERVAL.match(c) for c in cells):
            kinds.append("with")
        elif any(_INTERVAL.match(c) for c in cells) and not any(
                _cell(c)[1] for c in cells):  # intervals, markers and text only
            kinds.append("alone")
        else:
            kinds.append(None)
    columns: list[str] = []
    for name, kind in zip(names, kinds, strict=True):
        if kind == "with":
            columns += [name, label("sheet.interval_low", lang, column=name),
                        label("sheet.interval_high", lang, column=name)]
        elif kind == "alone":
            columns += [label("sheet.low", lang, column=name),
                        label("sheet.high", lang, column=name)]
        else:
            columns.append(name)
    rows: list[list[Any]] = []
    formats: list[list[str | None]] = []
    for raw in texts:
        row: list[Any] = []
        shown: list[str | None] = []
        for j, text in enumerate(raw):
            kind = kinds[j] if j < len(kinds) else None  # a row longer than its heading
            parts: list[str | None] = [text]
            if kind == "with":
                m = None if text is None else _WITH_INTERVAL.match(text)
                parts = list(m.groups()) if m else [text, None, None]
            elif kind == "alone":
                m = None if text is None else _INTERVAL.match(text)
                parts = list(m.groups()) if m else [text, None]
            for part in parts:
                value, number_format = _cell(part)
                row.append(value)
                shown.append(number_format)
        rows.append(row)
        formats.append(shown)
    return columns, rows, formats


def _cell(text: str | None) -> tuple[Any, str | None]:
    """Return a printed cell as a spreadsheet holds it: ``(value, number format or None)``."""
    m = None if text is None else _NUMBER.match(text.replace("\u2212", "-"))
    if m is None:
        return text, None
    sign, number, fraction, mark = m.groups()
    digits = len(fraction or "")
    value = float(number.replace(",", "")) * (-1 if sign == "-" else 1)
    # one section: a negative value gets Excel's own minus, a "+" is written out
    return (int(value) if digits == 0 else value,
            ("+" if sign == "+" else "") + ("#,##0" if digits == 0 else "#,##0." + "0" * digits)
            + ('"*"' if mark else ""))


def _sheet_name(i: int, lang: str, used: set[str]) -> str:
    base = f"{'ตารางที่' if lang == 'th' else 'Table'} {i}"
    name = _SHEET_BAD.sub(" ", base)[:31]
    while name in used:
        name = (name[:28] + "_" + str(len(used)))[:31]
    used.add(name)
    return name


def write_tables(source: Any, path: str | Path, lang: str = "th",
                 synthetic: bool | None = None) -> Path | None:
    """Write every published table of a report as one sheet of ``path`` (an ``.xlsx``).

    Parameters
    ----------
    source : mapping, iterable of SectionResult, or notebook
        See :func:`table_specs`.
    path : path
        The workbook (replaced atomically).
    lang : {"th", "en"}
        Language of the sheet names (the tables' own words are as printed).
    synthetic : bool, optional
        The report's data are synthetic: every sheet opens with the synthetic-data label, as
        every page of the PDF does, and the workbook's properties say so. Default: what an
        executed notebook's page header says (see :func:`tables_workbook`).

    Returns
    -------
    pathlib.Path or None
        The file written; None (and nothing written) when the report has no table.
    """
    from abcresearch.atomic import atomic_write_bytes

    data = tables_workbook(source, lang, synthetic)
    if data is None:
        return None
    out = Path(path)
    atomic_write_bytes(out, data)
    return out


def tables_workbook(source: Any, lang: str = "th",
                    synthetic: bool | None = None) -> bytes | None:
    """Return the ``.xlsx`` bytes that :func:`write_tables` writes (None: no table).

    Written with XlsxWriter (a third of openpyxl's time for a report's 20-odd small sheets;
    the workbook is made for every report of a batch). ``synthetic`` as in
    :func:`write_tables`; when None, an executed notebook's page header
    (:func:`abcresearch.reports.render.typst.header_info`) says whether its data are
    synthetic, and section results are taken as real (pass it for them).
    """
    import xlsxwriter

    from abcresearch.atomic import build_timestamp, neutralise_cell
    from abcresearch.labels import label
    from abcresearch.reports.render.thai import strip_marks

    specs = table_specs(source)
    if not specs:
        return None
    if synthetic is None:
        synthetic = False
        if isinstance(source, Mapping) and "cells" in source:
            from abcresearch.reports.render.typst import header_info

            synthetic = bool(header_info(source)["synthetic"])
    banner = label("synthetic.banner", lang) if synthetic else None
    # no write time inside the workbook (its properties, its zip entries), as in the PDF: the
    # same report gives the same bytes (SOURCE_DATE_EPOCH, else the earliest time zip can hold)
    stamp = datetime.fromtimestamp(max(build_timestamp(), _ZIP_EPOCH), tz=UTC)
    buf = io.BytesIO()
    # text stays text: no number, formula or link is read into a string cell
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    properties: dict[str, Any] = {"created": stamp.replace(tzinfo=None)}
    if banner:  # a table copied out of the file still came from made-up households
        properties.update({"comments": banner, "keywords": "synthetic"})
    wb.set_properties(properties)
    bold = wb.add_format({"bold": True})
    warning = wb.add_format({"bold": True, "font_color": "#B00020"})
    number_formats: dict[str, Any] = {}
    used: set[str] = set()
    for i, spec in enumerate(specs, start=1):
        ws = wb.add_worksheet(_sheet_name(i, lang, used))
        columns, rows, formats = table_values(spec, lang)
        r = 0  # rows and columns from 0 (A1 is 0, 0)
        if banner:
            ws.write_string(0, 0, banner, warning)
            r = 1
        caption = spec.get("caption")
        if caption:
            ws.write_string(r, 0, neutralise_cell(strip_marks(str(caption))), bold)
            r += 2
        for j, name in enumerate(columns):
            ws.write_string(r, j, neutralise_cell(name), bold)
        for row, row_formats in zip(rows, formats, strict=True):
            r += 1
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, j, neutralise_cell(value))
                    continue
                fmt = row_formats[j]
                if fmt and fmt not in number_formats:
                    number_formats[fmt] = wb.add_format({"num_format": fmt})
                ws.write_number(r, j, value, number_formats[fmt] if fmt else None)
        notes = spec.get("notes")
        if notes:
            ws.write_string(r + 2, 0, neutralise_cell(strip_marks(str(notes))))
        for j, name in enumerate(columns):
            width = max([len(str(name))] + [len(str(row[j])) for row in rows
                                             if row[j] is not None])
            ws.set_column(j, j, min(60, max(8, width + 2)))
    wb.close()
    data = buf.getvalue()
    if stamp.timestamp() <= _ZIP_EPOCH:
        return data  # XlsxWriter stamps every zip entry 1980-01-01 already
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            entry.compress_type = info.compress_type
            entry.external_attr = info.external_attr
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
