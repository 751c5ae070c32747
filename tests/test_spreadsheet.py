"""``<code>.xlsx`` beside the PDF: one sheet per published table, values as printed."""

from __future__ import annotations

import re

import pytest

from abcresearch.reports.area import AreaReport
from abcresearch.reports.spreadsheet import table_specs, write_tables


@pytest.fixture(scope="module")
def tambon(sample_store) -> AreaReport:
    report = AreaReport.load("801501", 2549, store=sample_store)
    report.levels_and_tracks()
    report.villages()
    report.income()
    report.what_to_do()  # its gaps to the province print as "+18*"
    return report


def _shown(value: float, number_format: str) -> str:
    """What a spreadsheet shows for a number under the formats the workbook uses."""
    m = re.fullmatch(r'(\+?)#,##0(?:\.(0+))?("\*")?', number_format)
    assert m, number_format
    sign = "-" if value < 0 else m.group(1)
    return f"{sign}{abs(value):,.{len(m.group(2) or '')}f}" + ("*" if m.group(3) else "")


def test_one_sheet_per_table_with_the_printed_values(tambon, tmp_path) -> None:
    from openpyxl import load_workbook

    from abcresearch.labels import label
    from abcresearch.reports.disclosure import SECONDARY, SUPPRESSED

    specs = table_specs(tambon.results)
    path = write_tables(tambon.results, tmp_path / "801501.xlsx")
    wb = load_workbook(path)
    assert len(wb.sheetnames) == len(specs) and wb.sheetnames[0] == "ตารางที่ 1"
    markers = numbers = signed = ends = 0

    def check(printed, cell) -> None:
        nonlocal markers, numbers, signed
        value = cell.value
        if printed is None or printed in ("", "–"):
            assert value is None
        elif printed in (SUPPRESSED, SECONDARY):
            assert value == printed  # hidden cells keep their marker
            markers += 1
        elif isinstance(value, int | float):
            # a number as a number, shown as the PDF prints it ("+18*" too: it was text, which
            # neither sorts nor sums, written "'+18*")
            assert _shown(value, cell.number_format) == printed
            numbers += 1
            signed += printed.startswith("+") or printed.endswith("*")
        else:
            assert value == printed

    for ws, spec in zip(wb.worksheets, specs, strict=True):
        assert ws.cell(1, 1).value == spec["caption"]
        header = [c.value for c in ws[3]]
        at = 0  # the sheet's column of the spec's column
        for j, name in enumerate(spec["columns"]):
            printed = [row[j] for row in spec["rows"]]
            with_ends = [name, label("sheet.interval_low", column=name),
                         label("sheet.interval_high", column=name)]
            alone = [label("sheet.low", column=name), label("sheet.high", column=name)]
            cells = [list(ws[4 + i]) for i in range(len(printed))]
            if header[at:at + 3] == with_ends:
                # an estimate and its interval, "56.8 (56.3–57.2)": three numbers
                for text, row in zip(printed, cells, strict=True):
                    m = re.fullmatch(r"(.+) \((.+)–(.+)\)", text or "")
                    parts = m.groups() if m else (text, None, None)
                    for part, cell in zip(parts, row[at:at + 3], strict=True):
                        check(part, cell)
                    ends += m is not None
                at += 3
            elif header[at:at + 2] == alone:
                for text, row in zip(printed, cells, strict=True):
                    m = re.fullmatch(r"(.+)–(.+)", text or "")
                    for part, cell in zip(m.groups() if m else (text, None), row[at:at + 2],
                                          strict=True):
                        check(part, cell)
                    ends += m is not None
                at += 2
            else:
                assert header[at] == name
                for text, row in zip(printed, cells, strict=True):
                    check(text, row[at])
                at += 1
        assert header[at:] == [None] * len(header[at:])
    assert markers and numbers and signed and ends
    # the weighted household counts are numbers with a thousands-separator format
    levels = wb.worksheets[0]
    assert any(c.number_format == "#,##0" for row in levels.iter_rows(min_row=4) for c in row
               if isinstance(c.value, int))


def test_estimates_with_intervals_are_numbers_in_columns_of_their_own() -> None:
    """A reviewer's walk-through: "56.8 (56.3–57.2)" was one text cell, nothing to compute with."""
    from abcresearch.reports.spreadsheet import table_values

    spec = {"columns": ["ทุน", "พื้นที่นี้", "ช่วงความเชื่อมั่น 95%", "อายุ"],
            "rows": [["ทุนมนุษย์", "56.8 (56.3–57.2)", "1,160–1,230", "0-14"],
                     ["ทุนเงินตรา", "61.0", "–", "15-59"],
                     ["ทุนสังคม", "<5", "1,200–1,300", ""]]}
    columns, rows, formats = table_values(spec, "en")
    assert columns == ["ทุน", "พื้นที่นี้", "พื้นที่นี้: interval, low", "พื้นที่นี้: interval, high",
                       "ช่วงความเชื่อมั่น 95%: low", "ช่วงความเชื่อมั่น 95%: high", "อายุ"]
    assert rows[0] == ["ทุนมนุษย์", 56.8, 56.3, 57.2, 1160, 1230, "0-14"]
    # printed without brackets: no interval is made up for it (it may have none)
    assert rows[1] == ["ทุนเงินตรา", 61.0, None, None, None, None, "15-59"]
    assert rows[2] == ["ทุนสังคม", "<5", None, None, 1200, 1300, None]
    assert formats[0][1:6] == ["#,##0.0"] * 3 + ["#,##0"] * 2
    # a minus sign as printed (U+2212) is a number too; a row longer than its heading is kept
    columns, rows, _ = table_values({"columns": ["x", "y"],
                                     "rows": [["\u22124.0 (\u22125.1\u2013\u22122.9)", "a", "b"],
                                              ["\u22123.0", "c", "d"]]}, "en")
    assert rows == [[-4.0, -5.1, -2.9, "a", "b"], [-3.0, None, None, "c", "d"]]


def test_no_table_no_file(sample_store, tmp_path) -> None:
    report = AreaReport.load("801501", 2549, store=sample_store)
    report.cover()
    assert write_tables(report.results, tmp_path / "x.xlsx") is None
    assert not (tmp_path / "x.xlsx").exists()


def test_the_same_report_gives_the_same_workbook_bytes(tambon, monkeypatch) -> None:
    # no write time inside the workbook (as in the PDF): a rebuilt report is byte-identical,
    # and SOURCE_DATE_EPOCH sets the time it carries
    import io
    import time
    import zipfile

    from openpyxl import load_workbook

    from abcresearch.reports.spreadsheet import tables_workbook

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = tables_workbook(tambon.results)
    time.sleep(2.1)  # zip times have a 2-second resolution
    assert tables_workbook(tambon.results) == first
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {
        (1980, 1, 1, 0, 0, 0)}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01 00:00 UTC
    stamped = tables_workbook(tambon.results)
    assert {i.date_time for i in zipfile.ZipFile(io.BytesIO(stamped)).infolist()} == {
        (2025, 1, 1, 0, 0, 0)}
    assert load_workbook(io.BytesIO(stamped)).properties.created.year == 2025


def test_a_synthetic_report_says_so_on_every_sheet(tambon) -> None:
    """The PDF carries the synthetic-data label on every page; the workbook beside it on every
    sheet and in its properties (a table copied out of it would otherwise pass for real).
    The batch hands it the executed notebook, whose page header says whether the data are
    synthetic."""
    import io
    import json

    from openpyxl import load_workbook

    from abcresearch.labels import label
    from abcresearch.reports.render import TABLE_MIME
    from abcresearch.reports.render.typst import HEADER_MIME
    from abcresearch.reports.spreadsheet import tables_workbook

    specs = table_specs(tambon.results)

    def notebook(synthetic: bool) -> dict:
        header = {"title": "ตำบล", "subtitle": "รอบการสำรวจ 2549", "synthetic": synthetic,
                  "lang": "th"}
        outputs = [{"output_type": "display_data", "metadata": {},
                    "data": {HEADER_MIME: header, "text/plain": ""}}]
        outputs += [{"output_type": "display_data", "metadata": {},
                     "data": {TABLE_MIME: json.dumps(spec), "text/plain": ""}} for spec in specs]
        return {"cells": [{"cell_type": "code", "source": "", "metadata": {},
                           "execution_count": 1, "outputs": outputs}], "metadata": {}}

    banner = label("synthetic.banner", "th")
    made_up = load_workbook(io.BytesIO(tables_workbook(notebook(True))))
    assert len(made_up.worksheets) == len(specs)
    for ws, spec in zip(made_up.worksheets, specs, strict=True):
        assert ws["A1"].value == banner and ws["A1"].font.b
        assert ws["A2"].value == (spec.get("caption") or spec["columns"][0])
    assert made_up.properties.keywords == "synthetic" and made_up.properties.description == banner
    real = load_workbook(io.BytesIO(tables_workbook(notebook(False))))
    assert all(ws["A1"].value != banner for ws in real.worksheets)
    assert real.properties.keywords is None
    # section results carry no header: the caller says (the default reads them as real)
    told = load_workbook(io.BytesIO(tables_workbook(tambon.results, synthetic=True)))
    assert told.worksheets[0]["A1"].value == banner
