"""Benchmark: report charts drawn by matplotlib, and drawn by Typst as the reports draw them.

Usage::

    make demo                                       # the sample province store
    python benchmarks/bench_chart_routes.py [--store data/store] [--round 2549] \
        [--within 8001] [--limit 6] [--repeat 3]
        [--chart levels|contribution|profile|income|readiness|all]

Issue 16 asks for about 1.0 CPU-s a tambon report in a batch worker; a report cost about 1.4
(``docs/SCALING.md``), and its five charts about 0.4 of it: matplotlib builds each figure,
draws it as SVG with its text as glyph outlines, and Typst reads that SVG back as an image.
The reports now draw all five of a tambon report's charts with Typst's own shapes: the
levels chart (stacked bars of the households at each level, one bar per village, hatched for
black-and-white print), the capitals' contributions to M0 (``contribution``), the capital
profile (``profile``: scores with their intervals, the amphoe and province as markers), the
income chart (``income``: the income bands with the poverty line, and the Lorenz curve; these
four are in every tambon and village report) and the need x readiness chart (``readiness``:
each village's level-1 share with its interval against its readiness grade, labelled; tambon,
amphoe and province reports). This script measures both routes for each.

For each of the first ``--limit`` tambons of ``--within``, each chart's inputs are taken from
the report's own section (:meth:`~abcresearch.reports.area.AreaReport.levels_and_tracks`,
``deprivation``, ``capital_profile``, ``income``, ``readiness``), through a wrapper of the
``*_typst`` function the section calls, so they are the published figures after disclosure
control; then the chart is made both ways:

* **matplotlib** (the route before, and a notebook's own figures): the chart's matplotlib
  function in :mod:`abcresearch.reports.charts` (``build``),
  :func:`abcresearch.reports.render.display.figure_svg` (``svg``), and Typst's compile of a
  page holding that SVG as an image (``typst_svg``);
* **Typst** (the reports' route): the ``*_typst`` function (``markup``), Typst's compile of a
  page holding it (``typst_native``), and the SVG of it that the notebook carries for
  JupyterLab (:func:`abcresearch.reports.render.pdf.typst_svg`, ``notebook_svg``).

``typst_*`` is the compile of the page with the chart less the compile of the same page
without it, in the same compiler. Each repeat moves the chart by a hundredth of a point, so
Typst's memo cache does not serve a chart it laid out before. Figures are CPU milliseconds
(``time.process_time``, Typst's threads included), the minimum over ``--repeat`` runs; the
load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


#: chart -> (the function the section calls, the matplotlib function, the section)
CHARTS = {
    "levels": ("levels_chart_typst", "levels_chart", "levels_and_tracks"),
    "contribution": ("contribution_chart_typst", "contribution_chart", "deprivation"),
    "profile": ("capital_profile_chart_typst", "capital_profile_chart", "capital_profile"),
    "income": ("income_chart_typst", "income_chart", "income"),
    "readiness": ("need_readiness_chart_typst", "need_readiness_chart", "readiness"),
}


def _chart_inputs(chart: str, codes: list[str], survey_round: int, store: Path
                  ) -> list[tuple[str, Any]]:
    """The arguments each tambon's report passes to the chart's ``*_typst`` function."""
    from abcresearch.reports import charts
    from abcresearch.reports.area import AreaReport

    name, _, section = CHARTS[chart]
    captured: list[Any] = []
    original = getattr(charts, name)

    def keep(*args: Any, **kwargs: Any) -> Any:
        captured.append((args, kwargs))
        return original(*args, **kwargs)

    setattr(charts, name, keep)
    found = []
    try:
        for code in codes:
            captured.clear()
            report = AreaReport.load(code, survey_round, store=store)
            getattr(report, section)()
            if captured:
                found.append((code, captured[0]))
    finally:
        setattr(charts, name, original)
    return found


def _page(body: str) -> bytes:
    return ('#set page(width: 210mm, height: 297mm, margin: 15mm)\n'
            '#set text(font: "Noto Sans Thai", lang: "th", size: 10pt)\n'
            f"A chart\n\n{body}\n").encode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=ROOT / "data" / "store")
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--within", default="8001", help="amphoe or province code (default 8001)")
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chart", choices=[*CHARTS, "all"], default="all")
    args = ap.parse_args(argv)
    if not args.store.is_dir():
        print(f"no store at {args.store}: run `make demo` first", file=sys.stderr)
        return 2

    import matplotlib.pyplot as plt
    import typst

    from abcresearch.reports import charts
    from abcresearch.reports.render.display import figure_svg
    from abcresearch.reports.render.pdf import typst_fonts, typst_svg
    from abcresearch.survey.areas import tambons

    print(f"load average before: {_load()}")
    codes = list(tambons(args.within)["code"])[: args.limit]
    build_dir = Path(tempfile.mkdtemp(prefix="abc-chart-routes-"))
    compiler = typst.Compiler(root=str(build_dir), font_paths=typst_fonts(),
                              ignore_system_fonts=True)

    def compile_ms(source: bytes) -> float:
        start = time.process_time()
        compiler.compile(source, format="pdf")
        return 1000 * (time.process_time() - start)

    compile_ms(_page(""))  # fonts and the compiler's first-run costs
    saved = 0.0
    for chart in CHARTS if args.chart == "all" else [args.chart]:
        typst_name, mpl_name, _ = CHARTS[chart]
        inputs = _chart_inputs(chart, codes, args.survey_round, args.store)
        if not inputs:
            print(f"no tambon of {args.within} has a {chart} chart in round "
                  f"{args.survey_round}", file=sys.stderr)
            continue
        rows = []
        for code, (call_args, call_kwargs) in inputs:
            best: dict[str, float] = {}

            def keep(name: str, value: float, best: dict[str, float] = best) -> None:
                best[name] = min(best.get(name, float("inf")), value)

            for rep in range(args.repeat):
                start = time.process_time()
                drawn = getattr(charts, mpl_name)(*call_args, **call_kwargs)
                fig = getattr(drawn, "figure", drawn)
                built = time.process_time()
                svg = figure_svg(fig)
                done = time.process_time()
                plt.close(fig)
                keep("build", 1000 * (built - start))
                keep("svg", 1000 * (done - built))
                name = f"{chart}-{code}-{rep}.svg"
                (build_dir / name).write_text(svg.replace("<svg", f"<!-- {rep} --><svg", 1),
                                              encoding="utf-8")
                empty = compile_ms(_page(""))
                keep("typst_svg", compile_ms(_page(f'#image("{name}", width: 100%)')) - empty)
                start = time.process_time()
                markup = getattr(charts, typst_name)(*call_args, **call_kwargs)
                keep("markup", 1000 * (time.process_time() - start))
                moved = f"#move(dx: {rep / 100}pt)[{markup}]"
                empty = compile_ms(_page(""))
                keep("typst_native", compile_ms(_page(moved)) - empty)
                start = time.process_time()
                typst_svg(moved)
                keep("notebook_svg", 1000 * (time.process_time() - start))
            rows.append({"tambon": code, **best})
        table = pd.DataFrame(rows).set_index("tambon")
        table["matplotlib"] = table["build"] + table["svg"] + table["typst_svg"]
        table["typst"] = table["markup"] + table["typst_native"] + table["notebook_svg"]
        with pd.option_context("display.float_format", "{:.1f}".format, "display.width", 120):
            print(f"\nthe {chart} chart of {len(table)} tambon reports of {args.within}, CPU ms, "
                  f"min of {args.repeat}:")
            print(table[["build", "svg", "typst_svg", "matplotlib", "markup", "typst_native",
                         "notebook_svg", "typst"]].to_string())
        mean = table.mean(numeric_only=True)
        saved += mean["matplotlib"] - mean["typst"]
        print(f"mean: matplotlib route {mean['matplotlib']:.1f} ms (build {mean['build']:.1f}, "
              f"SVG {mean['svg']:.1f}, Typst's image {mean['typst_svg']:.1f}); drawn by Typst "
              f"{mean['typst']:.1f} ms (markup {mean['markup']:.1f}, compile "
              f"{mean['typst_native']:.1f}, the notebook's SVG {mean['notebook_svg']:.1f}); "
              f"saved {mean['matplotlib'] - mean['typst']:.1f} ms a chart")
    print(f"\nsaved a tambon report by the charts measured: {saved:.1f} CPU-ms")
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
