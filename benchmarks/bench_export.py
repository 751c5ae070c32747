"""Benchmark: Thai PDF export (Typst) of a representative executed report notebook.

Builds a ~8-page tambon report notebook in memory (Thai prose, 5 tables, 5 SVG charts, code
cells with outputs, papermill parameter cells), then prints the median of 5 runs of

* ``ThaiPDFExporter().from_notebook_node`` (in process, fresh exporter each run),
* its two stages (notebook -> Typst source, Typst -> PDF),
* nbconvert's ``HTMLExporter`` with input hidden (baseline, in process),
* the first export in a fresh process (import + fonts + compile), via ``jupyter nbconvert``.

Usage: ``python benchmarks/bench_export.py [--save DIR]`` (``--save`` keeps the notebook and PDF).
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

PROSE = (
    "ตำบลในเมืองมีครัวเรือนตัวอย่างทั้งหมด {n} ครัวเรือน กระจายอยู่ใน 12 หมู่บ้าน "
    "ผู้ใหญ่บ้านและคณะกรรมการหมู่บ้านร่วมกันเก็บข้อมูลทุนชุมชนทั้งห้าด้าน ได้แก่ ทุนมนุษย์ "
    "ทุนกายภาพ ทุนเศรษฐกิจ ทุนทรัพยากรธรรมชาติ และทุนทางสังคม ผลการสำรวจพบว่าครัวเรือนส่วนใหญ่"
    "มีรายได้หลักจากการเกษตรและการค้าขายเล็ก ๆ เช่น ร้านก๊วยเตี๋ยว ร้านขายของชำ และกลุ่มอาชีพ"
    "ทอผ้า ทุนชุมชนน้ำใจยังคงเข้มแข็ง โดยเฉพาะการช่วยเหลือกันในงานบุญและการลงแขก "
    "ค่าประมาณทั้งหมดถ่วงน้ำหนักตามแผนการสุ่มตัวอย่าง (weighted by the sampling design) "
    "และแสดงช่วงความเชื่อมั่นร้อยละ 95"
)


def _svg_chart(i: int) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from abcresearch.reports.render.display import figure_svg
    from abcresearch.reports.render.fonts import use_thai_font

    use_thai_font()
    rng = np.random.default_rng(i)
    villages = [f"หมู่ {k} บ้านน้ำใจ" for k in range(1, 9)]
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    values = rng.uniform(1, 5, len(villages))
    ax.barh(villages, values, color="#1f4e79")
    ax.set_xlabel("คะแนนทุนชุมชน (1–5)")
    ax.set_title(f"รูปแบบที่ {i + 1}: คะแนนทุนเฉลี่ยรายหมู่บ้าน ผู้ใหญ่บ้าน ก๊วยเตี๋ยว")
    svg = figure_svg(fig)
    plt.close(fig)
    return svg


def _table_spec(i: int, n_rows: int) -> dict[str, Any]:
    import numpy as np
    import pandas as pd

    from abcresearch.reports.render.display import table_spec

    rng = np.random.default_rng(100 + i)
    df = pd.DataFrame(
        {
            "หมู่บ้าน": [f"หมู่ {k} บ้านทุ่งน้ำใจ" for k in range(1, n_rows + 1)],
            "ครัวเรือน": rng.integers(40, 400, n_rows),
            "ค่าประมาณ": rng.uniform(0, 100, n_rows),
            "ความคลาดเคลื่อน": rng.uniform(0, 5, n_rows),
            "ระดับ": rng.choice(["ดีมาก", "ดี", "พอใช้", "ต้องพัฒนา"], n_rows),
        }
    )
    return table_spec(
        df,
        caption=f"ตารางสรุปทุนชุมชน ชุดที่ {i + 1} จำแนกตามหมู่บ้าน",
        notes="ที่มา: ข้อมูลสังเคราะห์ (synthetic) สำหรับทดสอบ",
    )


def build_notebook(n_tables: int = 5, n_charts: int = 5, table_rows: int = 24) -> Any:
    """Return a representative executed report notebook (outputs made without a kernel)."""
    nb = new_notebook()
    nb.metadata["abcresearch"] = {
        "header": {
            "title": "ตำบลในเมือง · Nai Mueang",
            "subtitle": "รอบสำรวจ 2568",
            "synthetic": True,
        },
        "lang": "th",
    }
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = new_code_cell("area = '800101'", metadata={"tags": ["parameters"]})
    nb.cells += [
        params,
        new_markdown_cell("# รายงานทุนชุมชน ตำบลในเมือง\n\n" + PROSE.format(n=1500)),
        new_code_cell(
            "import pandas as pd",
            execution_count=1,
            outputs=[new_output("stream", name="stdout", text="โหลดข้อมูล 1,500 ครัวเรือน\n")],
        ),
    ]
    for i in range(max(n_tables, n_charts)):
        nb.cells.append(
            new_markdown_cell(
                f"## {i + 1}. ทุนด้านที่ {i + 1}\n\n{PROSE.format(n=1500 + i)}\n\n"
                f"{PROSE.format(n=1400 + i)}\n\n"
                "- **ทุนมนุษย์**: การศึกษาและสุขภาพ\n- *ทุนทางสังคม*: กลุ่มและเครือข่าย\n"
            )
        )
        if i < n_tables:
            nb.cells.append(
                new_code_cell(
                    f"show_table(t{i})",
                    execution_count=10 + i,
                    outputs=[
                        new_output(
                            "display_data",
                            data={
                                "application/vnd.abcresearch.table+json": _table_spec(
                                    i, table_rows
                                ),
                                "text/plain": "table",
                            },
                        )
                    ],
                )
            )
        if i < n_charts:
            nb.cells.append(
                new_code_cell(
                    f"figure(fig{i})",
                    execution_count=20 + i,
                    outputs=[new_output("display_data", data={"image/svg+xml": _svg_chart(i)})],
                )
            )
    nbformat.validate(nb)
    return nb


def median_time(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, Any]:
    """Return the median wall time in seconds of ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", type=Path, help="folder to keep the notebook and the PDF in")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    from nbconvert import HTMLExporter

    from abcresearch.reports.render.exporter import ThaiPDFExporter
    from abcresearch.reports.render.pdf import compile_pdf
    from abcresearch.reports.render.typst import render_notebook

    import_s = time.perf_counter() - t0
    nb = build_notebook()

    def typst_export() -> bytes:
        return ThaiPDFExporter().from_notebook_node(nb)[0]

    def html_export() -> str:
        return HTMLExporter(exclude_input=True).from_notebook_node(nb)[0]

    first_t0 = time.perf_counter()
    pdf = typst_export()
    first_s = time.perf_counter() - first_t0
    pdf_s, pdf = median_time(typst_export)
    render_s, doc = median_time(lambda: render_notebook(nb))
    compile_s, _ = median_time(lambda: compile_pdf(doc))
    html_s, _ = median_time(html_export)

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.save or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        nb_path = folder / "bench_report.ipynb"
        nbformat.write(nb, nb_path)
        (folder / "bench_report_inprocess.pdf").write_bytes(pdf)
        cli = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "thai_pdf"]
        cli.append(str(nb_path))
        cli_s, proc = median_time(
            lambda: subprocess.run(cli, capture_output=True, text=True), repeat=3
        )
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)

    print(f"notebook: {len(nb.cells)} cells, 5 tables, 5 SVG charts -> {pages} pages, "
          f"{len(pdf) / 1024:.0f} KiB PDF")
    print(f"import nbconvert + exporter (once):          {import_s * 1000:7.1f} ms")
    print(f"first export in this process (font load):   {first_s * 1000:7.1f} ms")
    print(f"ThaiPDFExporter, median of 5:               {pdf_s * 1000:7.1f} ms")
    print(f"  of which notebook -> Typst source:        {render_s * 1000:7.1f} ms")
    print(f"  of which Typst compile to PDF:            {compile_s * 1000:7.1f} ms")
    print(f"HTMLExporter (exclude_input), median of 5:  {html_s * 1000:7.1f} ms")
    print(f"jupyter nbconvert --to thai_pdf, new process, median of 3: "
          f"{cli_s * 1000:.1f} ms")


if __name__ == "__main__":
    main()
