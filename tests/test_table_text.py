"""plain_table_text writes a table's HTML and text exactly as pandas does, or defers to it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abcresearch.reports.results import plain_table_text, table_bundle

ALPHABET = list("abcXYZ019,.%()–×<>&\"'/:") + ["<5", "ก", "ข", "ม", "่", "้", "ั", "ี", "ุ",
                                               "ำ", "เ", "ไ", " ", "  ", "\t", "\n", "\xa0"]


def _pandas(columns: list[str], rows: list[list[str]]) -> tuple[str, str]:
    shown = pd.DataFrame(rows, columns=columns)
    return shown.to_html(index=False, escape=True, border=0), shown.to_string(index=False)


ODD = {" ", "  ", "\t", "\n", "\xa0"}
WEIGHTS = np.array([0.08 if a in ODD else 1.0 for a in ALPHABET])


def _text(rng: np.random.Generator, most: int) -> str:
    size = int(rng.integers(0, most + 1))
    return "".join(rng.choice(ALPHABET, size=size, p=WEIGHTS / WEIGHTS.sum()))


@pytest.mark.parametrize("seed", range(6))
def test_random_tables_match_pandas(seed: int) -> None:
    """Random text tables (Thai with marks, markers, entities, odd spaces): pandas' strings."""
    rng = np.random.default_rng(seed)
    fast = 0
    for _ in range(150):
        n_col, n_row = int(rng.integers(1, 5)), int(rng.integers(0, 5))
        columns = [_text(rng, 6) or "c" for _ in range(n_col)]
        if n_col > 1 and rng.random() < 0.2:
            columns[1] = columns[0]  # duplicate column names
        rows = [[_text(rng, 12) for _ in range(n_col)] for _ in range(n_row)]
        got = plain_table_text(columns, rows)
        if got is not None:
            fast += 1
            assert got == _pandas(columns, rows), (columns, rows)
    assert fast > 20  # the direct path is taken for ordinary tables, not only the fallback


def test_report_tables_take_the_direct_path() -> None:
    """Tables like the reports' (Thai labels, numbers, markers) are written directly."""
    columns = ["ทุน", "ครัวเรือน", "สัดส่วน (%)"]
    rows = [["ทุนมนุษย์", "1,250", "<5"], ["ทุนกายภาพ", "×", "12.5"], ["รวม", "–", "100"]]
    got = plain_table_text(columns, rows)
    assert got is not None and got == _pandas(columns, rows)
    spec = {"caption": "ตาราง", "columns": columns, "rows": [*rows, ["ไม่ทราบ", None, "0"]],
            "align": ["left", "right", "right"], "notes": "หมายเหตุ <5"}
    bundle = table_bundle(spec)
    html, text = _pandas(columns, [*rows, ["ไม่ทราบ", "–", "0"]])
    assert bundle["text/plain"] == f"ตาราง\n{text}\nหมายเหตุ <5"
    assert bundle["text/html"] == ("<p><strong>ตาราง</strong></p>" + html
                                   + "<p><small>หมายเหตุ &lt;5</small></p>")


def test_defers_to_pandas() -> None:
    """No rows, non-text cells, tabs, edge or doubled spaces, other display options: None."""
    assert plain_table_text(["a"], []) is None
    assert plain_table_text(["a"], [[1]]) is None
    for cell in ("a\tb", " a", "a ", "a  b", "a\nb"):
        assert plain_table_text(["a"], [[cell]]) is None
    with pd.option_context("display.colheader_justify", "left"):
        assert plain_table_text(["a"], [["x"]]) is None
    with pd.option_context("display.unicode.east_asian_width", True):
        assert plain_table_text(["a"], [["x"]]) is None
