"""Benchmark: a report chart drawn by matplotlib, against a sketch of it drawn by Typst itself.

Usage::

    make demo                                       # the sample province store
    python benchmarks/bench_chart_routes.py [--store data/store] [--round 2549] \
        [--within 8001] [--limit 6] [--repeat 3]

Issue 16 asks for about 1.0 CPU-s a tambon report in a batch worker; a report costs about
1.4 (``docs/SCALING.md``), and its five charts about 0.4 of it: matplotlib builds each figure,
draws it as SVG with its text as glyph outlines, and Typst reads that SVG back as an image.
This script measures what drawing a chart with Typst's own shapes would save, on the chart
drawn most often, the levels chart (stacked bars of the households at each level, one bar per
village, hatched for black-and-white print; every tambon and village report has one).

For each of the first ``--limit`` tambons of ``--within``, the chart's inputs are taken from
the report's own section (:meth:`abcresearch.reports.area.AreaReport.levels_and_tracks`,
through a wrapper of :func:`abcresearch.reports.charts.levels_chart`, so they are the
published shares after disclosure control), and the chart is made both ways:

* **matplotlib** (the reports' route): :func:`~abcresearch.reports.charts.levels_chart`
  (``build``), :func:`abcresearch.reports.render.display.figure_svg` (``svg``), and Typst's
  compile of a page holding that SVG as an image (``typst``);
* **Typst** (a sketch for measuring, not product code): :func:`typst_levels_sketch` writes Typst
  markup drawing the same segments (rectangles, tiling patterns for the hatching), the area
  names, the axis with its ticks and the legend (``markup``), and Typst's compile of a page
  holding it (``typst``). Its look is close to the chart's, not the same: the point is what the
  drawing costs.

``typst`` is the compile of the page with the chart less the compile of the same page without
it, in the same compiler. Each repeat varies the chart by a hundredth of a point, so Typst's
memo cache does not serve a chart it laid out before. Figures are CPU milliseconds
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

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

#: Hatching of the levels (as :data:`abcresearch.reports.charts.LEVEL_HATCHES`) as Typst
#: tilings: none, dots, diagonal lines, none.
_DOTS = ("tiling(size: (3pt, 3pt))[#place(dx: 1pt, dy: 1pt, "
         "circle(radius: 0.45pt, fill: white))]")
_LINES = ("tiling(size: (3pt, 3pt))[#place(line(start: (0pt, 3pt), end: (3pt, 0pt), "
          "stroke: 0.5pt + white))]")
_CROSS = ("tiling(size: (3pt, 3pt))[#place(line(start: (0pt, 3pt), end: (3pt, 0pt), "
          "stroke: 0.4pt + rgb(\"#616161\")))#place(line(start: (0pt, 0pt), end: (3pt, 3pt), "
          "stroke: 0.4pt + rgb(\"#616161\")))]")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _escape(text: str) -> str:
    """Text as Typst markup (the reports' own escaping)."""
    from abcresearch.reports.render.typst import escape_markup

    return str(escape_markup(text))


def typst_levels_sketch(shares: pd.DataFrame, hidden_label: str = "",
                        joined: pd.Series | None = None, joined_columns: tuple[int, ...] = (1, 2),
                        nudge: float = 0.0) -> str:
    """Return Typst markup drawing the levels chart of ``shares`` (the arguments of
    :func:`abcresearch.reports.charts.levels_chart`) with Typst's own shapes.

    The segments are computed as ``levels_chart`` computes them (shown, joined, the hidden
    rest; scaled to 100 where nothing is hidden). ``nudge`` (points) moves the chart, so that
    each repeat of the benchmark is a chart Typst has not laid out before.
    """
    from abcresearch.reports.charts import JOINED_COLOUR, LEVEL_COLOURS, WIDTH

    n = len(shares)
    values = shares.to_numpy(dtype=float)
    hidden = np.isnan(values)
    together = np.zeros(n)
    if joined is not None:
        j_values = joined.reindex(shares.index).to_numpy(dtype=float)
        use = np.isfinite(j_values) & hidden[:, list(joined_columns)].all(axis=1)
        together = np.where(use, j_values, 0.0)
        hidden[np.ix_(use, list(joined_columns))] = False
    shown = np.where(hidden, 0.0, np.nan_to_num(values))
    total = shown.sum(axis=1) + together
    rest = np.where(hidden.any(axis=1), np.clip(100.0 - total, 0.0, 100.0), 0.0)
    scale = np.where(hidden.any(axis=1) | (total <= 0), 1.0,
                     100.0 / np.where(total > 0, total, 1.0))

    width = WIDTH * 72
    label_width, row = 120.0, 0.32 * 72
    plot = width - label_width - 12
    bar = 0.7 * row
    fills = [f'rgb("{c}")' for c in LEVEL_COLOURS]
    tilings = [None, _DOTS, _LINES, None]
    columns = list(shares.columns)
    out: list[str] = []
    legend: list[tuple[str, str | None, str]] = []
    for i in range(n):
        y = i * row + (row - bar) / 2 + 16
        out.append(f"#place(dx: {nudge:.3f}pt, dy: {i * row + 18:.2f}pt, box(width: "
                   f"{label_width - 6:.1f}pt, align(right, text(size: 8pt)["
                   f"{_escape(str(shares.index[i]))}])))")
        left = 0.0
        parts: list[tuple[float, str, str | None, str]] = []
        for j, name in enumerate(columns):
            if joined is not None and together.any() and j == joined_columns[0]:
                parts.append((together[i] * scale[i], f'rgb("{JOINED_COLOUR}")', _LINES,
                              str(joined.name)))
            parts.append((shown[i, j] * scale[i], fills[j % len(fills)],
                          tilings[j % len(tilings)], str(name)))
        if rest[i] > 0:
            parts.append((rest[i], "white", _CROSS, hidden_label))
        for value, fill, tiling, name in parts:
            if value <= 0:
                continue
            if (fill, tiling, name) not in legend:
                legend.append((fill, tiling, name))
            x = label_width + plot * left / 100 + nudge
            w = plot * value / 100
            out.append(f"#place(dx: {x:.2f}pt, dy: {y:.2f}pt, rect(width: {w:.2f}pt, "
                       f"height: {bar:.2f}pt, fill: {fill}, stroke: 0.5pt + white))")
            if tiling is not None:
                out.append(f"#place(dx: {x:.2f}pt, dy: {y:.2f}pt, rect(width: {w:.2f}pt, "
                           f"height: {bar:.2f}pt, fill: {tiling}))")
            left += value
    axis = n * row + 18
    out.append(f"#place(dx: {label_width + nudge:.2f}pt, dy: {axis:.2f}pt, "
               f"line(length: {plot:.2f}pt, stroke: 0.8pt))")
    out.append(f"#place(dx: {label_width + nudge:.2f}pt, dy: 16pt, "
               f"line(length: {axis - 16:.2f}pt, angle: 90deg, stroke: 0.8pt))")
    for tick in range(0, 101, 20):
        x = label_width + plot * tick / 100 + nudge
        out.append(f"#place(dx: {x:.2f}pt, dy: {axis:.2f}pt, line(length: 3.5pt, "
                   f"angle: 90deg, stroke: 0.8pt))")
        out.append(f"#place(dx: {x - 12:.2f}pt, dy: {axis + 5:.2f}pt, box(width: 24pt, "
                   f"align(center, text(size: 8pt)[{tick}%])))")
    edge = '0.5pt + rgb("#616161")'
    keys = " #h(8pt) ".join(
        f"#box(width: 12pt, height: 7pt, fill: {fill}, "
        f"stroke: {edge if fill == 'white' else 'none'})"
        + (f"#h(-12pt)#box(width: 12pt, height: 7pt, fill: {tiling})" if tiling else "")
        + f" {_escape(name)}" for fill, tiling, name in legend if name)
    return (f"#block(width: {width:.1f}pt, height: {axis + 20:.1f}pt)[\n"
            f"#place(dx: {nudge:.3f}pt, dy: 0pt, box(width: {width:.1f}pt, "
            f"align(center, text(size: 8pt)[{keys}])))\n" + "\n".join(out) + "\n]")


def _levels_inputs(codes: list[str], survey_round: int, store: Path) -> list[tuple[str, Any]]:
    """The arguments each tambon's report passes to ``levels_chart``."""
    import matplotlib.pyplot as plt

    from abcresearch.reports import charts
    from abcresearch.reports.area import AreaReport

    captured: list[Any] = []
    original = charts.levels_chart

    def keep(*args: Any, **kwargs: Any) -> Any:
        captured.append((args, kwargs))
        return original(*args, **kwargs)

    charts.levels_chart = keep  # type: ignore[assignment]
    found = []
    try:
        for code in codes:
            captured.clear()
            report = AreaReport.load(code, survey_round, store=store)
            report.levels_and_tracks()
            plt.close("all")
            if captured:
                found.append((code, captured[0]))
    finally:
        charts.levels_chart = original  # type: ignore[assignment]
    return found


def _page(body: str) -> bytes:
    return ('#set page(width: 210mm, height: 297mm, margin: 15mm)\n'
            '#set text(font: "Noto Sans Thai", lang: "th", size: 10pt)\n'
            f"Levels chart\n\n{body}\n").encode()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=ROOT / "data" / "store")
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--within", default="8001", help="amphoe or province code (default 8001)")
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    if not args.store.is_dir():
        print(f"no store at {args.store}: run `make demo` first", file=sys.stderr)
        return 2

    import matplotlib.pyplot as plt
    import typst

    from abcresearch.reports import charts
    from abcresearch.reports.render.display import figure_svg
    from abcresearch.reports.render.pdf import typst_fonts
    from abcresearch.survey.areas import tambons

    print(f"load average before: {_load()}")
    codes = list(tambons(args.within)["code"])[: args.limit]
    inputs = _levels_inputs(codes, args.survey_round, args.store)
    if not inputs:
        print(f"no tambon of {args.within} has a levels chart in round {args.survey_round}",
              file=sys.stderr)
        return 2
    build_dir = Path(tempfile.mkdtemp(prefix="abc-chart-routes-"))
    compiler = typst.Compiler(root=str(build_dir), font_paths=typst_fonts(),
                              ignore_system_fonts=True)

    def compile_ms(source: bytes) -> float:
        start = time.process_time()
        compiler.compile(source, format="pdf")
        return 1000 * (time.process_time() - start)

    compile_ms(_page(""))  # fonts and the compiler's first-run costs
    rows = []
    for code, (call_args, call_kwargs) in inputs:
        best: dict[str, float] = {}

        def keep(name: str, value: float, best: dict[str, float] = best) -> None:
            best[name] = min(best.get(name, float("inf")), value)

        for rep in range(args.repeat):
            start = time.process_time()
            ax = charts.levels_chart(*call_args, **call_kwargs)
            built = time.process_time()
            svg = figure_svg(ax.figure)
            drawn = time.process_time()
            plt.close(ax.figure)
            keep("build", 1000 * (built - start))
            keep("svg", 1000 * (drawn - built))
            name = f"levels-{code}-{rep}.svg"
            (build_dir / name).write_text(svg.replace("<svg", f"<!-- {rep} --><svg", 1),
                                          encoding="utf-8")
            empty = compile_ms(_page(""))
            keep("typst_svg", compile_ms(_page(f'#image("{name}", width: 100%)')) - empty)
            start = time.process_time()
            markup = typst_levels_sketch(*call_args, nudge=rep / 100, **call_kwargs)
            keep("markup", 1000 * (time.process_time() - start))
            empty = compile_ms(_page(""))
            keep("typst_native", compile_ms(_page(markup)) - empty)
        rows.append({"tambon": code, "bars": len(call_args[0]), **best})
    table = pd.DataFrame(rows).set_index("tambon")
    table["matplotlib"] = table["build"] + table["svg"] + table["typst_svg"]
    table["typst"] = table["markup"] + table["typst_native"]
    with pd.option_context("display.float_format", "{:.1f}".format, "display.width", 120):
        print(f"\nthe levels chart of {len(table)} tambon reports of {args.within}, CPU ms, "
              f"min of {args.repeat}:")
        print(table[["bars", "build", "svg", "typst_svg", "matplotlib", "markup",
                     "typst_native", "typst"]].to_string())
    mean = table.mean(numeric_only=True)
    print(f"\nmean: matplotlib route {mean['matplotlib']:.1f} ms (build {mean['build']:.1f}, "
          f"SVG {mean['svg']:.1f}, Typst's image {mean['typst_svg']:.1f}); drawn by Typst "
          f"{mean['typst']:.1f} ms (markup {mean['markup']:.1f}, compile "
          f"{mean['typst_native']:.1f}); saved {mean['matplotlib'] - mean['typst']:.1f} ms "
          "a chart")
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
