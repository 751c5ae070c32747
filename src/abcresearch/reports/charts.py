"""Report charts: each function draws the numbers it is given, on ``ax`` or on a new figure.

Every function takes the numbers it draws (already through disclosure control: a hidden value is
NaN and is not drawn) and the words it writes (already in the report's language), plus an
optional matplotlib ``ax``. It returns the Axes it drew on; :func:`income_chart`, which draws two
panels, returns the Figure. With ``ax=None`` a new pyplot figure of the report's size is made,
so in a notebook::

    from abcresearch.reports import charts
    res = report.capital_profile()
    ax = charts.capital_profile_chart(res.estimates.rename(index=report.capital_label),
                                      comparisons={"province": "Province"})

Fonts are set in one place, :func:`apply_style` (Noto Sans Thai from PyPI, deterministic SVG), which
every function here calls first. Colours are module constants.

The reports draw their charts with Typst's own shapes instead, at a fifth to a tenth of the cost
(``benchmarks/bench_chart_routes.py``): :func:`levels_chart_typst`,
:func:`contribution_chart_typst`, :func:`capital_profile_chart_typst`,
:func:`income_chart_typst`, :func:`need_readiness_chart_typst`, and for the province overview
:func:`capital_heatmap_typst` and :func:`grade_tiles_typst`, return Typst markup of the same
chart as :func:`levels_chart`, :func:`contribution_chart`, :func:`capital_profile_chart`,
:func:`income_chart`, :func:`need_readiness_chart`, :func:`capital_heatmap` and
:func:`grade_tiles` (the same segments, through :func:`level_series` for the levels, the same
points through one layout for the need chart, the same cells for the heat map, the same lines
of tiles for the map, colours, hatching, axes and legends, at the same size), which
:meth:`abcresearch.reports.results.Figure.from_typst` carries with Typst's SVG of it for
JupyterLab. Their words are text in the PDF; where words must be placed or fitted before Typst
sets them (the need chart's labels, the heat map's column names, the tiles' names), they are
measured in the font (:func:`abcresearch.reports.render.fonts.text_width`). To adapt such a
chart in a notebook, draw it with the matplotlib function from the figure's ``data``. A map
of tambon boundaries (:func:`grade_choropleth`, from a GeoJSON file) stays matplotlib's.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BarSeries",
    "COMPARISON_STYLES",
    "FLAG_MARK",
    "GRADE_COLOURS",
    "GRADE_HATCHES",
    "GRADE_MARKERS",
    "NO_DATA_COLOUR",
    "apply_style",
    "capital_heatmap",
    "capital_heatmap_typst",
    "capital_profile_chart",
    "capital_profile_chart_typst",
    "contribution_chart",
    "contribution_chart_typst",
    "grade_boundary_map",
    "grade_choropleth",
    "grade_legend",
    "grade_tile_map",
    "grade_tiles",
    "grade_tiles_typst",
    "heatmap_printed",
    "income_band_chart",
    "income_chart",
    "income_chart_typst",
    "income_histogram",
    "level_series",
    "levels_chart",
    "levels_chart_typst",
    "lorenz_chart",
    "need_readiness_chart",
    "need_readiness_chart_typst",
    "spread_labels",
]

#: Colours of the grades (A strong ... C weakest), also used by the index page.
GRADE_COLOURS = {"A": "#2e7d32", "B": "#f9a825", "C": "#c62828"}
#: Colour of an area without data on a map.
NO_DATA_COLOUR = "#e0e0e0"
#: Colours of the overall levels 1, 2, 3 and "not scored", in the order of the columns drawn.
LEVEL_COLOURS = ("#c62828", "#f9a825", "#2e7d32", "#9e9e9e")
#: Hatching of the overall levels (same order), so that the chart reads in black and white.
#: Level 2's dots are ".." (two rows to a bar): matplotlib writes a dot hatch as a circle for
#: every dot of its 1-inch tile, and "..." (324 circles, three rows) took Typst 1.5-2 times as
#: long as ".." (144) to place in a 14-village chart and made its PDF 14 KB larger.
LEVEL_HATCHES = ("", "..", "///", "")
#: Hatching of a segment hidden by disclosure control.
HIDDEN_HATCH = "xxx"
#: Colour and hatching of levels shown together ("levels 2-3") where each alone is hidden: between
#: the two levels' colours, with both their hatchings.
JOINED_COLOUR = "#9e9d24"
JOINED_HATCH = "..//"
#: Bar colour of the area's own estimates in the capital profile.
AREA_COLOUR = "#2e7d32"
#: Marker styles of the comparison areas in the capital profile, by comparison id; other ids
#: take :data:`EXTRA_COMPARISON_STYLES` in turn.
COMPARISON_STYLES: dict[str, dict[str, Any]] = {
    # the district's diamond over the province's line, edged in white: where the two were
    # equal the line hid the diamond (a reader review)
    "amphoe": {"marker": "D", "color": "#f9a825", "zorder": 5, "s": 40, "edgecolors": "white",
               "linewidths": 0.6},
    "province": {"marker": "|", "color": "#1a237e", "zorder": 4, "s": 260, "linewidths": 2.5},
}
EXTRA_COMPARISON_STYLES: tuple[dict[str, Any], ...] = (
    {"marker": "o", "color": "#6a1b9a", "zorder": 3, "s": 24},
    {"marker": "s", "color": "#00838f", "zorder": 3, "s": 22},
    {"marker": "^", "color": "#5d4037", "zorder": 3, "s": 26},
)
#: Colour of contributions to M0.
CONTRIBUTION_COLOUR = "#6a1b9a"
#: Colour of the income histogram and Lorenz curve, and of the poverty line.
INCOME_COLOUR = "#00838f"
POVERTY_LINE_COLOUR = "#c62828"
#: Width (points) of the white ground under the income histogram's dashed poverty line.
POVERTY_LINE_GROUND = 4.0
#: Width of report figures in inches (the text width of the PDF page).
WIDTH = 7.2
#: Height (inches) of a row of the capital heat map: 23 amphoe rows of 0.105 inch, with 6-point
#: type, were crowded in the province overview.
HEATMAP_ROW_IN = 0.18
#: Type size (points) of the heat map's numbers, row and column names and colour bar.
HEATMAP_FONT_SIZE = 7.0
#: Type size (points) of a tambon's name and grade on the tile map; a name too long for its tile
#: at that size is shrunk to fit it (5 pt before: too small on the committee's printed copy).
TILE_FONT_SIZE = 6.3


def apply_style() -> None:
    """Register the Thai font with matplotlib and make it the default.

    The one place fonts are set for report charts; see
    :func:`abcresearch.reports.render.fonts.use_thai_font`.
    """
    from abcresearch.reports.render.fonts import use_thai_font

    use_thai_font()


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, bool]:
    """Return ``(ax, made)``: the given Axes, or one on a new pyplot figure of ``figsize``."""
    apply_style()
    if ax is not None:
        return ax, False
    import matplotlib.pyplot as plt

    _fig, new = plt.subplots(figsize=figsize)
    return new, True


def _plain_spines(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)


def capital_profile_chart(profile: pd.DataFrame, *, comparisons: Mapping[str, str] | None = None,
                          area_label: str = "", xlabel: str = "", ax: Any = None) -> Any:
    """Draw capital scores with their intervals as bars, and comparison areas as markers.

    Parameters
    ----------
    profile : pandas.DataFrame
        One row per capital, top to bottom; the index holds the names written on the axis.
        Columns ``estimate``, ``ci_low``, ``ci_high`` (scores 0-100; NaN is not drawn) and one
        column per key of ``comparisons``.
    comparisons : mapping, optional
        Column -> legend text of comparison areas drawn as markers (styles from
        :data:`COMPARISON_STYLES` by column name).
    area_label, xlabel : str
        Legend text of the bars; axis title.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax, _ = _axes(ax, (WIDTH, 3.6))
    y = np.arange(len(profile))[::-1]
    est = profile["estimate"]
    err = np.vstack([est - profile["ci_low"], profile["ci_high"] - est])
    ax.barh(y, est, xerr=err, color=AREA_COLOUR, alpha=0.85, height=0.55, label=area_label,
            error_kw={"capsize": 3, "lw": 1})
    extra = iter(EXTRA_COMPARISON_STYLES * (1 + len(comparisons or {})))
    for col, text in (comparisons or {}).items():
        style = COMPARISON_STYLES.get(col) or next(extra)
        ax.scatter(profile[col], y, label=text, **style)
    ax.set_yticks(y, [str(i) for i in profile.index])
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel)
    if area_label or comparisons:
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    _plain_spines(ax)
    return ax


@dataclass(frozen=True)
class BarSeries:
    """One series of a stacked bar chart: a segment of every bar, in one style.

    Made by :func:`level_series`; drawn by :func:`levels_chart` (matplotlib) and
    :func:`levels_chart_typst` (Typst's own shapes), so the two draw the same segments.
    """

    label: str | None
    """Legend text (None: the series is not named in the legend)."""
    values: np.ndarray
    """Width of each bar's segment, in percent, bars top to bottom."""
    colour: str
    hatch: str
    """matplotlib hatch pattern ("" none); drawn in ``edge``."""
    edge: str
    linewidth: float
    legend_order: int
    """Place among the named series: 0 the levels, 1 the joined levels, 2 what is hidden."""


def level_series(shares: pd.DataFrame, hidden_label: str = "",
                 joined: pd.Series | None = None, joined_columns: tuple[int, ...] = (1, 2)
                 ) -> list[BarSeries]:
    """Return the segments of :func:`levels_chart`'s bars, in drawing order (left to right).

    Each bar reaches 100%: the levels shown (scaled to 100 where nothing is hidden, as the
    printed shares may add up to 99-101), the joined levels where each alone is hidden, then
    what disclosure control hides. Parameters as :func:`levels_chart`.
    """
    n = len(shares)
    values = shares.to_numpy(dtype=float)
    hidden = np.isnan(values)
    together = np.zeros(n)
    if joined is not None:
        j_values = joined.reindex(shares.index).to_numpy(dtype=float)
        use = np.isfinite(j_values) & hidden[:, list(joined_columns)].all(axis=1)
        together = np.where(use, j_values, 0.0)
        hidden[np.ix_(use, list(joined_columns))] = False  # stood for by the joined segment
    shown = np.where(hidden, 0.0, np.nan_to_num(values))
    total = shown.sum(axis=1) + together
    rest = np.where(hidden.any(axis=1), np.clip(100.0 - total, 0.0, 100.0), 0.0)
    # rounding can make the segments shown add up to 99-101: scale them to 100 when nothing
    # is hidden (the drawn widths then say no more than the printed shares)
    scale = np.where(hidden.any(axis=1) | (total <= 0), 1.0, 100.0 / np.where(total > 0, total,
                                                                           1.0))
    series = []
    for j, col in enumerate(shares.columns):
        if joined is not None and together.any() and j == joined_columns[0]:
            series.append(BarSeries(str(joined.name), together * scale, JOINED_COLOUR,
                                    JOINED_HATCH, "white", 0.5, 1))
        vals = shown[:, j] * scale
        # the legend names what some bar draws: a level none draws (the joined segment stands
        # for it in every bar, or no household is in it, as "ข้อมูลไม่ครบ" in a village's one
        # bar) has nothing to name (a reader review looked for it in the bar)
        series.append(BarSeries(col if vals.any() else None, vals,
                                LEVEL_COLOURS[j % len(LEVEL_COLOURS)],
                                LEVEL_HATCHES[j % len(LEVEL_HATCHES)], "white", 0.5, 0))
    if rest.any():
        series.append(BarSeries(hidden_label or None, rest, "white", HIDDEN_HATCH, "#616161",
                                0.6, 2))
    return series


def _levels_height(n: int) -> float:
    """Height of the levels chart of ``n`` bars, in inches."""
    # a village's own chart has one bar: two inches drew it a quarter of a page tall (a reader
    # review); one inch keeps the legend and the axis
    return 1.0 if n == 1 else max(2.0, 0.32 * n + 1.2)


def _typst_marker(style: Mapping[str, Any], at: str) -> str:
    """Return Typst code placing a matplotlib scatter marker of ``style`` at ``at`` (x)."""
    colour = _typst_colour(str(style.get("color", "#000000")))
    size = float(style.get("s", 36)) ** 0.5  # matplotlib's s is the marker's area in pt²
    h = size / 2
    marker = style.get("marker", "o")
    edge = style.get("edgecolors")
    # an edge (matplotlib's edgecolors and linewidths) around a filled marker
    stroke = (f", stroke: {float(style.get('linewidths', 1.0)):.2f}pt + "
              f"{_typst_colour(str(edge))}" if edge else "")
    if marker == "|":
        width = float(style.get("linewidths", 1.5))
        shape = f"line(length: {size:.2f}pt, angle: 90deg, stroke: {width}pt + {colour})"
        return f"place(left + horizon, dx: {at}, {shape})"
    if marker == "D":
        shape = (f"polygon(fill: {colour}{stroke}, ({h:.2f}pt, 0pt), ({size:.2f}pt, "
                 f"{h:.2f}pt), ({h:.2f}pt, {size:.2f}pt), (0pt, {h:.2f}pt))")
    elif marker == "s":
        shape = f"square(size: {size:.2f}pt, fill: {colour}{stroke})"
    elif marker == "^":
        shape = (f"polygon(fill: {colour}{stroke}, ({h:.2f}pt, 0pt), ({size:.2f}pt, "
                 f"{size:.2f}pt), (0pt, {size:.2f}pt))")
    else:  # "o" and any other: a circle
        shape = f"circle(radius: {h:.2f}pt, fill: {colour}{stroke})"
    return f"place(left + horizon, dx: {at} - {h:.2f}pt, {shape})"


def capital_profile_chart_typst(profile: pd.DataFrame, *,
                                comparisons: Mapping[str, str] | None = None,
                                area_label: str = "", xlabel: str = "") -> str:
    """Return Typst markup drawing :func:`capital_profile_chart` with Typst's own shapes.

    The same bars, intervals and comparison markers (:data:`COMPARISON_STYLES`), axis and
    legend (lower right, inside the axes), at the same size (:data:`WIDTH`); its words are
    text in the PDF. Parameters as :func:`capital_profile_chart`.

    Returns
    -------
    str
        Typst markup (content: put it in ``[...]``).
    """
    from abcresearch.reports.render.typst import escape_markup

    n = len(profile)
    # matplotlib's axes of 3.6 inches hold the rows; its bars are 0.55 of a row
    row = max(16.0, 0.72 * 3.6 * 72 / max(n, 1))
    bar = 0.55 * row
    fill = f"{_typst_colour(AREA_COLOUR)}.transparentize(15%)"  # alpha 0.85
    extra = iter(EXTRA_COMPARISON_STYLES * (1 + len(comparisons or {})))
    styles = {col: COMPARISON_STYLES.get(col) or next(extra) for col in comparisons or {}}

    def at(value: float) -> str:
        return f"{min(max(value, 0.0), 100.0):.4f}%"

    bodies = []
    for i in range(n):
        parts = []
        est, low, high = (float(profile[c].iloc[i]) for c in ("estimate", "ci_low", "ci_high"))
        if np.isfinite(est):
            parts.append(f"place(left + horizon, rect(width: {at(est)}, height: {bar:.2f}pt, "
                         f"fill: {fill}, stroke: none))")
            if np.isfinite(low) and np.isfinite(high):
                # the interval and its caps of 3 pt a side, as matplotlib's error bar
                parts.append(f"place(left + horizon, dx: {at(low)}, line(length: "
                             f"{max(high - low, 0.0):.4f}%, stroke: 1pt))")
                parts += [f"place(left + horizon, dx: {at(v)}, line(length: 6pt, "
                          f"angle: 90deg, stroke: 1pt))" for v in (low, high)]
        # drawn in matplotlib's order (zorder): the district's diamond over the province's line
        for col in sorted(styles, key=lambda c: styles[c].get("zorder", 3)):
            value = float(profile[col].iloc[i])
            if np.isfinite(value):
                parts.append(_typst_marker(styles[col], at(value)))
        bodies.append("; ".join(parts) or "none")
    entries = []
    if area_label:
        entries.append((f"box(width: 16pt, height: 6pt, fill: {fill})", area_label))
    for col, text in (comparisons or {}).items():
        entries.append((f"box(width: 16pt, height: 12pt, {{ "
                        f"{_typst_marker(styles[col], '50%')} }})", text))
    over = ""
    if entries:
        items = ", ".join(f"align(center + horizon, {handle}), [{escape_markup(str(text))}]"
                          for handle, text in entries)
        over = (f"pad(right: 4pt, bottom: 4pt, text(size: 8pt, grid(columns: 2, "
                f"column-gutter: 6pt, row-gutter: 4pt, align: (center + horizon, left + horizon), "
                f"{items})))")
    ticks = [(float(t), f"{t:g}") for t in range(0, 101, 20)]
    return _typst_bar_panel([str(i) for i in profile.index], bodies, row, ticks,
                            name_size=10, xlabel=xlabel, over=over)


def levels_chart(shares: pd.DataFrame, ax: Any = None, hidden_label: str = "",
                 joined: pd.Series | None = None, joined_columns: tuple[int, ...] = (1, 2)
                 ) -> Any:
    """Draw stacked bars of the share of households at each level, one bar per area.

    Each bar reaches 100%: the segments shown, then one hatched segment for what disclosure
    control hides (the rest of the 100%). Levels differ by fill and hatching, so the chart
    reads in black and white too. Where every column of ``joined_columns`` is hidden and
    ``joined`` has a value, one segment of its own (named by ``joined.name``) stands for them
    together, where the first of them would be. The reports draw the same chart with Typst's
    own shapes (:func:`levels_chart_typst`); this one is for notebooks and other figures.

    Parameters
    ----------
    shares : pandas.DataFrame
        Published percentages (rounded as printed); index = area names (top to bottom),
        columns = level names (legend, in the order of :data:`LEVEL_COLOURS`). NaN = hidden.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure sized for the number of areas).
    hidden_label : str
        Legend text of the hatched segment (drawn only when something is hidden).
    joined : pandas.Series, optional
        Published percentage of the households in ``joined_columns`` together, by area (same
        index; NaN = hidden too); its name is the legend text.
    joined_columns : tuple of int
        Positions of the columns ``joined`` stands for (default: levels 2 and 3).

    Returns
    -------
    matplotlib.axes.Axes
    """
    n = len(shares)
    ax, _ = _axes(ax, (WIDTH, _levels_height(n)))
    left = np.zeros(n)
    y = np.arange(n)[::-1]
    series = level_series(shares, hidden_label, joined, joined_columns)
    for s in series:
        ax.barh(y, s.values, left=left, color=s.colour, label=s.label, height=0.7,
                hatch=s.hatch, edgecolor=s.edge, linewidth=s.linewidth)
        left += s.values
    ax.set_yticks(y, [str(i) for i in shares.index], fontsize=8)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
    # the legend names the levels in order, then the joined segment and what is hidden: the
    # joined one between level 1 and level 2 ("ระดับ 1 · รวมระดับ 2 และ 3 · ระดับ 2 · ระดับ 3")
    # put a total before its parts (a reader review)
    handles, labels = ax.get_legend_handles_labels()
    rank = {s.label: s.legend_order for s in series if s.label is not None}
    order = sorted(range(len(labels)), key=lambda k: (rank.get(labels[k], 0), k))
    ax.legend([handles[k] for k in order], [labels[k] for k in order], ncol=5, fontsize=8,
              loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    _plain_spines(ax)
    return ax


#: Typst tiles of the matplotlib hatch patterns the level charts use, drawn in the colour
#: ``{edge}`` over the segment's fill, and the size of each tile in points (the spacing of
#: matplotlib's hatching at the size the reports print its charts).
_TYPST_TILES = {
    "..": (6.0, "#place(dx: 3pt, dy: 3pt, circle(radius: 0.75pt, fill: {edge}))"),
    "///": (8.0, "#place(line(start: (0pt, 8pt), end: (8pt, 0pt), stroke: 0.6pt + {edge}))"),
    "xxx": (6.0, "#place(line(start: (0pt, 6pt), end: (6pt, 0pt), stroke: 0.5pt + {edge}))"
                 "#place(line(start: (0pt, 0pt), end: (6pt, 6pt), stroke: 0.5pt + {edge}))"),
    "////": (5.0, "#place(line(start: (0pt, 5pt), end: (5pt, 0pt), stroke: 0.6pt + {edge}))"),
    "xxxx": (5.0, "#place(line(start: (0pt, 5pt), end: (5pt, 0pt), stroke: 0.5pt + {edge}))"
                  "#place(line(start: (0pt, 0pt), end: (5pt, 5pt), stroke: 0.5pt + {edge}))"),
    "..//": (8.0, "#place(dx: 2pt, dy: 2pt, circle(radius: 0.75pt, fill: {edge}))"
                  "#place(line(start: (0pt, 8pt), end: (8pt, 0pt), stroke: 0.6pt + {edge}))"),
}


def _typst_colour(colour: str) -> str:
    """Return a matplotlib colour ("#rrggbb" or a name Typst knows, as "white") in Typst."""
    return f'rgb("{colour}")' if colour.startswith("#") else colour


def _typst_hatch(hatch: str, edge: str) -> str | None:
    """Return a Typst tiling of matplotlib hatch ``hatch`` in colour ``edge`` (None: none)."""
    if not hatch:
        return None
    size, tile = _TYPST_TILES.get(hatch, _TYPST_TILES["xxx"])
    return f"tiling(size: ({size}pt, {size}pt))[{tile.format(edge=_typst_colour(edge))}]"


def _typst_segment(width: str, height: float, series: BarSeries) -> str:
    """Return a Typst box of ``width`` filled and hatched as ``series``."""
    hatch = _typst_hatch(series.hatch, series.edge)
    # the hatching over the fill, not in the tile's background: a tiled background shows the
    # tiles' seams in some PDF viewers
    body = f", place(rect(width: 100%, height: 100%, fill: {hatch}, stroke: none))" \
        if hatch else ""
    return (f"box(width: {width}, height: {height:.2f}pt, fill: {_typst_colour(series.colour)}, "
            f"stroke: {series.linewidth}pt + {_typst_colour(series.edge)}{body})")


def levels_chart_typst(shares: pd.DataFrame, hidden_label: str = "",
                       joined: pd.Series | None = None, joined_columns: tuple[int, ...] = (1, 2)
                       ) -> str:
    """Return Typst markup drawing :func:`levels_chart` with Typst's own shapes.

    The same segments (:func:`level_series`), colours, hatching, legend and axis as the
    matplotlib chart, at the same size (:data:`WIDTH`), so the template's ``abc-chart`` sets
    it as it sets an SVG. Drawn by Typst, the chart costs about 10 ms of a report (3 ms in
    the PDF, the rest the notebook's SVG) instead of about 75 (matplotlib's figure, its SVG and
    Typst reading the SVG back; ``benchmarks/bench_chart_routes.py``), and its words are text
    in the PDF.

    Parameters
    ----------
    shares, hidden_label, joined, joined_columns
        As :func:`levels_chart`.

    Returns
    -------
    str
        Typst markup (content: put it in ``[...]``).
    """
    from abcresearch.reports.render.typst import escape_markup

    n = len(shares)
    series = level_series(shares, hidden_label, joined, joined_columns)
    # matplotlib's bars are 0.7 of a row of 0.32 inch; a village's one bar, in a figure of one
    # inch, is drawn about as tall
    row = 0.32 * 72
    bar = 0.7 * row
    named = sorted((s.legend_order, k) for k, s in enumerate(series) if s.label is not None)
    legend = " #h(1.2em) ".join(
        f"#box[#{_typst_segment('16pt', 6, series[k])} #h(3pt) "
        f"{escape_markup(str(series[k].label))}]" for _, k in named)
    bodies = []
    for i in range(n):
        segments = "".join(_typst_segment(f"{s.values[i]:.4f}%", bar, s) + ","
                           for s in series if s.values[i] > 0)
        bodies.append(f"align(horizon, stack(dir: ltr, {segments}))")
    return _typst_bar_panel([str(i) for i in shares.index], bodies, row,
                            [(t, f"{t}%") for t in range(0, 101, 20)],
                            above=f"#align(center, text(size: 8pt)[{legend}])\n#v(2pt)")


def _typst_bar_panel(names: Sequence[str], bodies: Sequence[str], row: float,
                     ticks: Sequence[tuple[float, str]], *, name_size: float = 8,
                     above: str = "", xlabel: str = "", over: str = "") -> str:
    """Return Typst markup of a horizontal bar chart's panel, :data:`WIDTH` wide.

    The area names on the left, ending where matplotlib's tick labels end (3.5 pt of tick
    and 3.5 pt of pad before the axis), one row of ``row`` points per name, top to bottom, each
    drawn by Typst code ``bodies[i]`` in a block as wide as the axis (0% to 100% of it), then
    the axis with its ``ticks`` (position in percent of the axis, label) and ``xlabel``.
    ``above`` is markup set above the panel (a legend); ``over`` is Typst content placed over
    the plot, its foot on the axis, on the right (a legend inside the axes).
    """
    from abcresearch.reports.render.typst import escape_markup

    cells = []
    for name, body in zip(names, bodies, strict=True):
        # blocks, not boxes: a box in a cell sits on a line of text, whose depth opened gaps
        # in the axis between the bars
        cells.append(f"block(height: {row:.2f}pt, inset: (right: 7pt), align(horizon, "
                     f"text(size: {name_size}pt)[{escape_markup(name)}]))")
        cells.append(f"block(width: 100%, height: {row:.2f}pt, "
                     f"{{ place(left + horizon, dx: -3.5pt, line(length: 3.5pt, "
                     f"stroke: 0.8pt)); {body}; "
                     # the axis over the bars' white edges, as matplotlib draws its spine
                     f"place(top + left, line(end: (0pt, {row:.2f}pt), stroke: 0.8pt)) }})")
    marks = "".join(
        f"place(top + left, dx: {at:.4f}%, line(length: 3.5pt, angle: 90deg, stroke: 0.8pt)); "
        f"place(top + left, dx: {at:.4f}% - 20pt, dy: 5pt, box(width: 40pt, "
        f"align(center)[{escape_markup(text)}])); "
        for at, text in ticks)
    cells.append("[]")
    cells.append(f"block(width: 100%, height: 18pt, stroke: (top: 0.8pt), {{ {marks}}})")
    below = 18.0
    if xlabel:
        cells += ["[]", f"block(width: 100%, height: 15pt, align(center)[{escape_markup(xlabel)}])"]
        below += 15.0
    # what goes over the rows is placed in the whole chart, its foot on the axis (placed in a
    # row, it would be laid out in the row's height)
    placed = f"\n#place(bottom + right, dy: -{below:.1f}pt, {over})" if over else ""
    # the last tick's label reaches past the axis' end: room for it inside the chart, as
    # matplotlib's tight box holds it (else the notebook's SVG cut it off)
    return (f"#block(width: {WIDTH * 72:.1f}pt, inset: (right: 14pt), breakable: false)["
            f"#set text(size: 10pt)\n{above}\n#grid(columns: (auto, 1fr), align: (right, left), "
            f"{', '.join(cells)}){placed}]")


def contribution_chart(contributions: pd.Series, *, xlabel: str = "", ax: Any = None,
                       hidden_label: str = "") -> Any:
    """Draw each capital's contribution to M0 as horizontal bars, largest at the top.

    Parameters
    ----------
    contributions : pandas.Series
        Published percent of M0 by capital name; NaN (hidden) draws a faint hatched row with
        ``hidden_label`` in it (beside the name where every capital is hidden).
    xlabel : str
        Axis title.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    hidden_label : str
        What a hidden capital's row says.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax, _ = _axes(ax, (WIDTH, 2.8))
    c, hidden, names = _contribution_rows(contributions, hidden_label)
    ax.barh(names, c.fillna(0).to_numpy(), color=CONTRIBUTION_COLOUR)
    if hidden.any() and not hidden.all():
        # a hidden capital's row is hatched faintly across the axis, with the words in it, as
        # a hidden share is in the levels chart: an empty row at the foot of a chart sorted by
        # size read as the smallest contribution (a reader review; it was the fourth largest),
        # and a bar as dark as the others would read as the largest (a code review)
        right = ax.get_xlim()[1]
        rows = [n for n, h in zip(names, hidden, strict=True) if h]
        ax.barh(rows, right, color="white", hatch=HIDDEN_HATCH, edgecolor="#d6d6d6",
                linewidth=0)
        for row in rows:
            ax.text(right / 2, row, hidden_label, ha="center", va="center", fontsize=8,
                    color="#424242", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
        ax.set_xlim(0, right)
    ax.set_xlabel(xlabel)
    _plain_spines(ax)
    return ax


def _contribution_rows(contributions: pd.Series, hidden_label: str
                       ) -> tuple[pd.Series, np.ndarray, list[str]]:
    """Return the rows of :func:`contribution_chart`, bottom to top: values, hidden, names."""
    c = contributions.sort_values(na_position="first")
    hidden = c.isna().to_numpy()
    names = [f"{i} ({hidden_label})" if hidden_label and h and hidden.all() else str(i)
             for i, h in zip(c.index, hidden, strict=True)]
    return c, hidden, names


def _auto_ticks(high: float, bins: int = 9) -> list[float]:
    """Return the ticks matplotlib's default locator puts on an axis from 0 to ``high``.

    ``bins``: at most so many intervals (matplotlib's 9 on a wide axis, fewer on a short one).
    """
    from matplotlib.ticker import MaxNLocator

    values = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, high)
    return [float(v) for v in values if -1e-9 <= v <= high * (1 + 1e-9)]


def contribution_chart_typst(contributions: pd.Series, *, xlabel: str = "",
                             hidden_label: str = "") -> str:
    """Return Typst markup drawing :func:`contribution_chart` with Typst's own shapes.

    The same rows (largest at the top, a hidden capital's row hatched faintly across the axis
    with ``hidden_label`` in it), the axis from 0 to a twentieth past the largest share with
    matplotlib's ticks, at the same size (:data:`WIDTH`); its words are text in the PDF.
    Parameters as :func:`contribution_chart`.

    Returns
    -------
    str
        Typst markup (content: put it in ``[...]``).
    """
    from abcresearch.reports.render.typst import escape_markup

    c, hidden, names = _contribution_rows(contributions, hidden_label)
    values = c.fillna(0).to_numpy(dtype=float)
    top = float(values.max()) if len(values) else 0.0
    high = top * 1.05 if top > 0 else 1.0  # matplotlib's margin of a twentieth
    # matplotlib's axes of 2.8 inches hold the rows 0.8 of each high
    row = max(14.0, 0.77 * 2.8 * 72 / max(len(c), 1))
    bar = 0.8 * row
    fill = _typst_colour(CONTRIBUTION_COLOUR)
    hatch = _typst_hatch(HIDDEN_HATCH, "#d6d6d6")
    bodies = []
    for value, is_hidden in zip(values, hidden, strict=True):
        if is_hidden and not hidden.all():
            # a hidden capital's row, hatched faintly across the axis with the words in it
            bodies.append(
                f"place(left + horizon, rect(width: 100%, height: {bar:.2f}pt, fill: "
                f"{hatch}, stroke: none)); place(center + horizon, box(fill: white, "
                f"inset: 1.5pt, text(size: 8pt, fill: rgb(\"#424242\"))"
                f"[{escape_markup(hidden_label)}]))")
        elif value > 0:
            bodies.append(f"place(left + horizon, rect(width: {100 * value / high:.4f}%, "
                          f"height: {bar:.2f}pt, fill: {fill}, stroke: none))")
        else:
            bodies.append("none")
    ticks = [(100 * t / high, f"{t:g}") for t in _auto_ticks(high)]
    return _typst_bar_panel(names[::-1], bodies[::-1], row, ticks, name_size=10,
                            xlabel=xlabel)


def income_histogram(edges: np.ndarray | None, weights: np.ndarray | None, *,
                     line: float | None = None, xlabel: str = "", ylabel: str = "",
                     ax: Any = None) -> Any:
    """Draw the weighted income histogram on a log scale, with the poverty line.

    Parameters
    ----------
    edges, weights : numpy.ndarray or None
        Bin edges (increasing, positive) and the weighted households of each bin (bins hidden by
        disclosure control hold 0). None draws no bars (too few households).
    line : float, optional
        Poverty line drawn as a red vertical line.
    xlabel, ylabel : str
        Axis titles.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.ticker import NullLocator

    ax, _ = _axes(ax, (WIDTH / 2, 2.9))
    if edges is not None and weights is not None:
        ax.bar(edges[:-1], weights, width=np.diff(edges), align="edge", color=INCOME_COLOUR)
        ax.set_xscale("log")
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if line is not None:
        ax.axvline(line, color=POVERTY_LINE_COLOUR, lw=1.5)
    _plain_spines(ax)
    return ax


def _line_place(edges: Sequence[float], line: float) -> float:
    """Return where the poverty ``line`` falls on an axis of income bands (band k at k).

    Bands start at ``edges`` (the last one is open); the line is placed in its band in
    proportion on a log scale (in proportion from 0 in a band starting at 0), at the start of
    the open band.
    """
    e = np.asarray(edges, dtype=float)
    i = int(np.clip(np.searchsorted(e, line, side="right") - 1, 0, len(e) - 1))
    if i + 1 < len(e) and e[i] > 0:
        frac = (np.log(line) - np.log(e[i])) / (np.log(e[i + 1]) - np.log(e[i]))
    elif i + 1 < len(e):
        frac = line / e[i + 1]
    else:
        frac = 0.0
    return i - 0.5 + float(frac)


def _rest_label_base(vals: np.ndarray, top: float) -> float:
    """Return the height the label of the merged top bands starts at (the last of ``vals``).

    The label is wider than its bar: it starts above the bar beside it too, so that it never
    touches a taller neighbour; ``top`` is the tallest bar.
    """
    beside = vals[-2] if len(vals) > 1 and np.isfinite(vals[-2]) else 0.0
    return float(max(vals[-1], beside) + top * 0.03)


def income_band_chart(shares: pd.Series, edges: Sequence[float], *, line: float | None = None,
                      xlabel: str = "", ylabel: str = "", hidden_label: str = "",
                      rest: float | None = None, rest_label: str = "", ax: Any = None) -> Any:
    """Draw the share of households in each income band (fixed bands, baht on the axis).

    Parameters
    ----------
    shares : pandas.Series
        Published percentages by band label (NaN: hidden, written as ``hidden_label``).
    edges : sequence of float
        Lower edges of the bands (the last band is open); places the poverty line.
    line : float, optional
        Poverty line, drawn as a dashed red line at its place between the band edges.
    xlabel, ylabel, hidden_label : str
        Axis titles; text in the place of a hidden band.
    rest : float, optional
        With the last band hidden: the percentage the shown bands leave of 100, drawn there as
        a hatched bar (hidden bands merged into the last, open one), ``rest_label`` above it.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax, _ = _axes(ax, (WIDTH / 2, 2.9))
    x = np.arange(len(shares))
    vals = shares.to_numpy(dtype=float)
    ax.bar(x, np.nan_to_num(vals), color=INCOME_COLOUR, width=0.85, edgecolor="black",
           linewidth=0.4)
    merged = rest is not None and len(vals) > 0 and not np.isfinite(vals[-1])
    if merged:
        ax.bar(x[-1:], [rest], color="white", hatch=HIDDEN_HATCH, edgecolor="#616161",
               width=0.85, linewidth=0.6)
        vals = vals.copy()
        vals[-1] = rest  # drawn: no "not shown" text in its place
    top = np.nanmax(vals) if np.isfinite(vals).any() else 1.0
    if merged and rest_label:  # level, on two lines: turned at 6 pt it could not be read
        # the label is wider than its bar: it starts above the bar beside it too, so that it
        # never touches a taller neighbour (a thin line then leads down to its bar), and the
        # axis grows to hold its two lines
        base = _rest_label_base(vals, top)
        lead = base > vals[-1] + top * 0.06
        ax.annotate(rest_label.replace(" ", "\n", 1), xy=(x[-1], vals[-1]), xytext=(x[-1], base),
                    ha="center", va="bottom", fontsize=7, color="#424242", linespacing=1.1,
                    arrowprops={"arrowstyle": "-", "lw": 0.6, "color": "#616161",
                                "shrinkA": 1, "shrinkB": 1} if lead else None)
        ax.set_ylim(top=max(ax.get_ylim()[1], base + top * 0.2))
    for xi, v in zip(x, vals, strict=True):
        if not np.isfinite(v) and hidden_label:
            ax.text(xi, top * 0.05, hidden_label, rotation=90, ha="center", va="bottom",
                    fontsize=6, color="#616161")
    if line is not None:
        # on a white ground, over the bars: red dashes on a teal bar were hard to see (a
        # reader review)
        from matplotlib import patheffects

        ax.axvline(_line_place(edges, line), color=POVERTY_LINE_COLOUR, lw=1.5, ls="--",
                   zorder=3, path_effects=[patheffects.Stroke(linewidth=POVERTY_LINE_GROUND,
                                                              foreground="white"),
                                           patheffects.Normal()])
    ax.set_xticks(x, [str(i) for i in shares.index], rotation=45, ha="right", fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _plain_spines(ax)
    return ax


def lorenz_chart(pop_share: Sequence[float] | None, income_share: Sequence[float] | None, *,
                 xlabel: str = "", ylabel: str = "", ax: Any = None) -> Any:
    """Draw a Lorenz curve with the line of equality.

    Parameters
    ----------
    pop_share, income_share : array-like or None
        Points of the curve, in percent (None: only the line of equality).
    xlabel, ylabel : str
        Axis titles.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax, _ = _axes(ax, (WIDTH / 2, 2.9))
    if pop_share is not None and income_share is not None:
        ax.plot(pop_share, income_share, color=INCOME_COLOUR, marker="o", markersize=3)
    ax.plot([0, 100], [0, 100], color="#616161", lw=0.8, ls="--")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _plain_spines(ax)
    return ax


def income_chart(histogram: Mapping[str, Any], lorenz: Mapping[str, Any],
                 axes: Sequence[Any] | None = None) -> Any:
    """Draw the income bands (or histogram) and the Lorenz curve side by side.

    Parameters
    ----------
    histogram : mapping
        Keyword arguments of :func:`income_band_chart` (with ``shares``) or of
        :func:`income_histogram` (without ``ax``).
    lorenz : mapping
        Keyword arguments of :func:`lorenz_chart` (without ``ax``).
    axes : pair of matplotlib.axes.Axes, optional
        Where to draw (default: a new figure with two panels).

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 3.1))
        fig.subplots_adjust(wspace=0.35, bottom=0.3)
    ax1, ax2 = axes
    if "shares" in histogram:
        income_band_chart(ax=ax1, **histogram)
    else:
        income_histogram(ax=ax1, **histogram)
    lorenz_chart(ax=ax2, **lorenz)
    return ax1.figure


def _typst_text(text: str, size: float, fill: str = "") -> str:
    """Return Typst code of ``text`` at ``size`` points (in ``fill``, a Typst colour)."""
    from abcresearch.reports.render.typst import escape_markup

    colour = f", fill: {fill}" if fill else ""
    return f"text(size: {size}pt{colour})[{escape_markup(text)}]"


def _ytick_labels_width(yticks: Sequence[tuple[float, str]]) -> float:
    """Width of the widest of ``yticks``' labels at 10 points (Typst code labels: none)."""
    from abcresearch.reports.render.fonts import text_width

    return max((text_width(label, 10) for _, label in yticks if not label.startswith("@")),
               default=0.0)


def _typst_axes_inset(height: float, yticks: Sequence[tuple[float, str]],
                      ylabel: str = "") -> float:
    """Room left of a plot ``height`` points tall for its ``yticks``' labels and ``ylabel``.

    The ticks and their pad (3.5 points each, as matplotlib's), the widest label at 10
    points, and the turned title (on one line, or two where it is longer than the axis) 4
    points further, as matplotlib's tight layout sets them.
    """
    from abcresearch.reports.render.fonts import text_width

    room = 7.0 + _ytick_labels_width(yticks)
    if ylabel:
        room += 4.0 + 14.0 * (1 if text_width(ylabel, 10) <= height else 2)
    return room + 2.0


def _typst_axes(width: float, height: float, xticks: Sequence[tuple[float, str]],
                yticks: Sequence[tuple[float, str]], body: Sequence[str], *,
                xlabel: str = "", ylabel: str = "", below: float = 24.0) -> str:
    """Return Typst code of a plot ``width`` x ``height`` points with its left and bottom axes.

    Ticks are (position in points from the left or from the bottom, label); a label
    starting with ``"@"`` is Typst code placed as it is (turned labels). ``body`` is Typst code
    placed in the plot, (0, 0) at its top left. ``below`` is the room under the axis for the
    tick labels, above the ``xlabel``. The plot starts :func:`_typst_axes_inset` from the
    left.
    """
    inset = _typst_axes_inset(height, yticks, ylabel)
    parts = [*body,
             f"place(top + left, line(end: (0pt, {height:.2f}pt), stroke: 0.8pt))",
             f"place(top + left, dy: {height:.2f}pt, line(length: {width:.2f}pt, stroke: 0.8pt))"]
    for at, label in xticks:
        parts.append(f"place(top + left, dx: {at:.2f}pt, dy: {height:.2f}pt, "
                     f"line(length: 3.5pt, angle: 90deg, stroke: 0.8pt))")
        if label.startswith("@"):
            parts.append(label[1:])
        else:
            parts.append(f"place(top + left, dx: {at - 20:.2f}pt, dy: {height + 5:.2f}pt, "
                         f"box(width: 40pt, align(center, {_typst_text(label, 10)})))")
    for at, label in yticks:
        y = height - at
        parts.append(f"place(top + left, dx: -3.5pt, dy: {y:.2f}pt, line(length: 3.5pt, "
                     f"stroke: 0.8pt))")
        parts.append(f"place(top + left, dx: -47pt, dy: {y - 6:.2f}pt, box(width: 40pt, "
                     f"height: 12pt, align(right + horizon, {_typst_text(label, 10)})))")
    if ylabel:
        # turned, on at most two lines as long as the axis (matplotlib's one line reached
        # past a short axis, over what is above the chart), its foot 4 points left of the
        # widest tick label
        foot = width + 11.0 + _ytick_labels_width(yticks)  # from the plot's right edge
        parts.append(f"place(right + horizon, dx: -{foot:.2f}pt, "
                     f"rotate(-90deg, reflow: true, box(width: {height:.2f}pt, "
                     f"align(center + bottom, par(leading: 0.4em, "
                     f"{_typst_text(ylabel, 10)})))))")
    # the axis title below the room for the tick labels, in the flow (it may take two lines),
    # with room under it, as matplotlib's tight layout leaves (the caption touched it)
    title = (f"; block(above: 0pt, inset: (bottom: 6pt), move(dx: -20pt, block(width: "
             f"{width + 40:.2f}pt, align(center, {_typst_text(xlabel, 10)}))))" if xlabel
             else "")
    return (f"block(width: {width + inset + 10:.2f}pt, inset: (left: {inset:.2f}pt), "
            f"{{ block(width: {width:.2f}pt, height: {height + below:.2f}pt, below: 0pt, "
            f"{{ {'; '.join(parts)} }}){title} }})")


def income_chart_typst(histogram: Mapping[str, Any], lorenz: Mapping[str, Any]) -> str:
    """Return Typst markup drawing :func:`income_chart` (bands) with Typst's own shapes.

    The two panels of :func:`income_chart` with the income bands (``histogram`` holds
    ``shares``, as the reports pass it; :func:`income_band_chart`'s arguments) and the Lorenz
    curve (:func:`lorenz_chart`'s), side by side at the same size (:data:`WIDTH`); their words
    are text in the PDF.

    Returns
    -------
    str
        Typst markup (content: put it in ``[...]``).
    """
    shares = histogram["shares"]
    edges = histogram.get("edges", ())
    line, rest = histogram.get("line"), histogram.get("rest")
    hidden_label, rest_label = histogram.get("hidden_label", ""), histogram.get("rest_label", "")
    vals = shares.to_numpy(dtype=float)
    m = len(vals)
    width, height = 170.0, 118.0
    # the bands: bars of 0.85 of a band, the axis from a half band before the first to a half
    # after the last
    unit = width / max(m, 1)

    def x_of(band: float) -> float:
        return (band + 0.5) * unit

    merged = rest is not None and m > 0 and not np.isfinite(vals[-1])
    drawn = vals.copy()
    if merged and rest is not None:
        drawn[-1] = float(rest)
    top = float(np.nanmax(drawn)) if np.isfinite(drawn).any() else 1.0
    high = top * 1.05 if top > 0 else 1.0
    label_top = 0.0
    if merged and rest_label:
        label_top = _rest_label_base(drawn, top)
        high = max(high, label_top + top * 0.2)
    scale = height / high
    fill, edge = _typst_colour(INCOME_COLOUR), "0.4pt + black"
    grey = _typst_colour("#616161")
    body = []
    for k, v in enumerate(drawn):
        x = x_of(k) - 0.425 * unit
        if np.isfinite(v) and v > 0:
            hatched = merged and k == m - 1
            colour = "white" if hatched else fill
            stroke = '0.6pt + rgb("#616161")' if hatched else edge
            h = v * scale
            body.append(f"place(top + left, dx: {x:.2f}pt, dy: {height - h:.2f}pt, rect("
                        f"width: {0.85 * unit:.2f}pt, height: {h:.2f}pt, fill: {colour}, "
                        f"stroke: {stroke}))")
            if hatched:
                body.append(f"place(top + left, dx: {x:.2f}pt, dy: {height - h:.2f}pt, rect("
                            f"width: {0.85 * unit:.2f}pt, height: {h:.2f}pt, fill: "
                            f"{_typst_hatch(HIDDEN_HATCH, '#616161')}, stroke: none))")
        elif not np.isfinite(v) and hidden_label:
            # turned, reading upwards from a twentieth of the axis above its foot
            body.append(f"place(top + left, dx: {x_of(k) - 4:.2f}pt, dy: "
                        f"{height - top * 0.05 * scale:.2f}pt, rotate(-90deg, origin: top + left, "
                        f"reflow: false, {_typst_text(hidden_label, 6, grey)}))")
    if merged and rest_label:
        from abcresearch.reports.render.typst import escape_markup

        # on two lines: turned at 6 pt it could not be read
        text = " #linebreak() ".join(escape_markup(w) for w in rest_label.split(" ", 1))
        y = height - label_top * scale
        body.append(f"place(top + left, dx: {x_of(m - 1) - 40:.2f}pt, dy: {y - 20:.2f}pt, "
                    f"box(width: 80pt, height: 20pt, align(center + bottom, text(size: 7pt, "
                    f"fill: rgb(\"#424242\"))[{text}])))")
        if label_top > drawn[-1] + top * 0.06:
            body.append(f"place(top + left, dx: {x_of(m - 1):.2f}pt, dy: {y:.2f}pt, line("
                        f"length: {(label_top - drawn[-1]) * scale - 1:.2f}pt, angle: 90deg, "
                        f"stroke: 0.6pt + rgb(\"#616161\")))")
    if line is not None and len(edges):
        x = x_of(_line_place(edges, line))
        # on a white ground as matplotlib's (its path effect): red dashes on a teal bar were
        # hard to see (a reader review)
        body.append(f"place(top + left, dx: {x:.2f}pt, line(length: {height:.2f}pt, angle: "
                    f"90deg, stroke: {POVERTY_LINE_GROUND}pt + white))")
        body.append(f"place(top + left, dx: {x:.2f}pt, line(length: {height:.2f}pt, angle: "
                    f"90deg, stroke: (paint: {_typst_colour(POVERTY_LINE_COLOUR)}, "
                    f"thickness: 1.5pt, dash: \"dashed\")))")
    xticks = []
    for k, name in enumerate(shares.index):
        # matplotlib's labels turned 45 degrees, their ends at the tick
        turned = (f"place(top + left, dx: {x_of(k):.2f}pt, dy: {height + 5:.2f}pt, box(width: "
                  f"0pt, place(top + right, rotate(-45deg, origin: top + right, reflow: false, "
                  f"{_typst_text(str(name), 7)}))))")
        xticks.append((x_of(k), "@" + turned))
    yticks = [(t * scale, f"{t:g}") for t in _auto_ticks(high, 6)]
    bands = _typst_axes(width, height, xticks, yticks, body, xlabel=histogram.get("xlabel", ""),
                        ylabel=histogram.get("ylabel", ""), below=48.0)
    # the Lorenz curve: the line of equality dashed, the curve with its points
    side = height
    lor = [f"place(top + left, line(start: (0pt, {side:.2f}pt), end: ({width:.2f}pt, 0pt), "
           f"stroke: (paint: rgb(\"#616161\"), thickness: 0.8pt, dash: \"dashed\")))"]
    pop, inc = lorenz.get("pop_share"), lorenz.get("income_share")
    if pop is not None and inc is not None:
        points = [(width * float(p) / 100, side - side * float(q) / 100)
                  for p, q in zip(pop, inc, strict=True) if np.isfinite(p) and np.isfinite(q)]
        if points:
            colour = _typst_colour(INCOME_COLOUR)
            steps = ", ".join(f"curve.{'move' if k == 0 else 'line'}(({x:.2f}pt, {y:.2f}pt))"
                              for k, (x, y) in enumerate(points))
            lor.append(f"place(top + left, curve(stroke: 1.5pt + {colour}, {steps}))")
            lor += [f"place(top + left, dx: {x - 1.5:.2f}pt, dy: {y - 1.5:.2f}pt, "
                    f"circle(radius: 1.5pt, fill: {colour}))" for x, y in points]
    ticks = [(width * t / 100, f"{t}") for t in range(0, 101, 20)]
    curve = _typst_axes(width, side, ticks, [(side * t / 100, f"{t}") for t in range(0, 101, 20)],
                        lor, xlabel=lorenz.get("xlabel", ""), ylabel=lorenz.get("ylabel", ""),
                        below=20.0)
    # room above for the Lorenz curve's top tick label, half of which stands above the plot
    # (the notebook's SVG, a page of the chart's own size, cut it)
    return (f"#block(width: {WIDTH * 72:.1f}pt, inset: (top: 7pt), breakable: false)["
            f"#set text(size: 10pt)\n"
            f"#grid(columns: (1fr, 1fr), align: (left + top, left + top), {bands}, {curve})]")


def grade_legend(ax: Any, grade_labels: Mapping[str, str], no_data_label: str) -> None:
    """Put the grade colours and the no-data colour in a legend above ``ax``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The map.
    grade_labels : mapping
        Grade -> label (in the order of :data:`GRADE_COLOURS`).
    no_data_label : str
        Label of areas without data.
    """
    from matplotlib.patches import Patch

    # hatched as on the map (the hatching is drawn in the edge colour, white as on the tiles):
    # on paper in black and white the hatching tells the groups apart, not the colour
    handles = [Patch(facecolor=c, edgecolor="white", hatch=GRADE_HATCHES.get(g, ""),
                     label=grade_labels[g]) for g, c in GRADE_COLOURS.items()]
    handles.append(Patch(color=NO_DATA_COLOUR, label=no_data_label))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4,
              frameon=False, fontsize=8)


def grade_tile_map(grades: Mapping[str, str], rows: pd.DataFrame, tiles: pd.DataFrame, *,
                   grade_labels: Mapping[str, str], no_data_label: str, ax: Any = None) -> Any:
    """Draw a tile map: one row per amphoe, one tile per tambon coloured by its grade.

    Parameters
    ----------
    grades : mapping
        Tambon code -> grade (``"A"``, ``"B"``, ``"C"``); tambons not in it are grey.
    rows : pandas.DataFrame
        The amphoes, top to bottom: columns ``code`` and ``name`` (written on the axis).
    tiles : pandas.DataFrame
        The tambons: columns ``code`` and ``parent`` (amphoe code), in tile order.
    grade_labels, no_data_label :
        Legend texts (see :func:`grade_legend`).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure sized for the number of amphoes).

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    ax, made = _axes(ax, (WIDTH, 0.3 * len(rows) + 0.9))
    width = int(tiles.groupby("parent").size().max())
    for i, code_a in enumerate(rows["code"]):
        y = len(rows) - 1 - i
        codes = tiles[tiles["parent"] == code_a]["code"].tolist()
        for j, code in enumerate(codes):
            colour = GRADE_COLOURS.get(grades.get(code, ""), NO_DATA_COLOUR)
            ax.add_patch(plt.Rectangle((j, y + 0.08), 0.88, 0.84, color=colour))
            ax.text(j + 0.44, y + 0.5, code[-2:], ha="center", va="center", fontsize=5.5,
                    color="white" if code in grades else "#616161")
    ax.set_xlim(0, width)
    ax.set_ylim(0, len(rows))
    ax.set_yticks(np.arange(len(rows))[::-1] + 0.5, list(rows["name"]), fontsize=7)
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom", "left"]].set_visible(False)
    ax.tick_params(left=False)
    grade_legend(ax, grade_labels, no_data_label)
    if made:
        ax.figure.tight_layout()
    return ax


def grade_boundary_map(polygons: Iterable[tuple[str | None, np.ndarray]],
                       grades: Mapping[str, str], *, grade_labels: Mapping[str, str],
                       no_data_label: str, ax: Any = None) -> Any:
    """Draw area boundaries filled with their grade colour.

    Parameters
    ----------
    polygons : iterable of (code, array)
        Area code (or None when unknown: grey) and the outer ring of one polygon, an array of
        ``(x, y)`` points.
    grades : mapping
        Area code -> grade.
    grade_labels, no_data_label :
        Legend texts (see :func:`grade_legend`).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new square figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import Polygon

    ax, made = _axes(ax, (WIDTH, WIDTH))
    for code, ring in polygons:
        colour = GRADE_COLOURS.get(grades.get(code or "", ""), NO_DATA_COLOUR)
        ax.add_patch(Polygon(np.asarray(ring)[:, :2], closed=True, facecolor=colour,
                             edgecolor="white", lw=0.4))
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.axis("off")
    grade_legend(ax, grade_labels, no_data_label)
    if made:
        ax.figure.tight_layout()
    return ax


# ---------------------------------------------------------------------- maps and heat maps
#: Hatching of the grades on maps, so that a black-and-white print still tells them apart.
GRADE_HATCHES = {"A": "", "B": "////", "C": "xxxx"}
#: Marker (matplotlib marker, drawn as a path) beside areas in a programme list on maps.
FLAG_MARK = "*"


def _text_colour(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (relative luminance)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return "black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "white"


def grade_tiles(grades: Mapping[str, str], rows: pd.DataFrame, tiles: pd.DataFrame, *,
                names: Mapping[str, str], grade_labels: Mapping[str, str],
                no_data_label: str, flagged: Iterable[str] = (), flag_label: str = "",
                high_need: Iterable[str] = (), need_label: str = "",
                per_line: int = 7, ax: Any = None) -> Any:
    """Draw a tile map with names: one block per amphoe, one named tile per tambon.

    Each tile carries the tambon's name and its grade letter (so the map reads in black and
    white), is filled with the grade's colour and hatching, and is outlined in black when the
    tambon is in a programme list (:data:`FLAG_MARK` before its name). Tambons without a grade
    are grey with their name in grey.

    Parameters
    ----------
    grades : mapping
        Tambon code -> grade.
    rows : pandas.DataFrame
        The amphoes, top to bottom: ``code`` and ``name`` (written at the left).
    tiles : pandas.DataFrame
        The tambons: ``code`` and ``parent`` (amphoe code), in tile order.
    names : mapping
        Tambon code -> name written on its tile.
    grade_labels, no_data_label :
        Legend texts (see :func:`grade_legend`).
    flagged : iterable of str
        Tambon codes in a programme list.
    flag_label : str
        Legend text of the flag (no legend entry when empty).
    high_need : iterable of str
        Tambon codes of high need: a black bar along the foot of the tile (a group C tile with
        the bar is a tambon to support first).
    need_label : str
        Legend text of the bar (no legend entry when empty).
    per_line : int
        Tiles per line; an amphoe with more tambons takes several lines.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure sized for the lines). Lay out a figure of your
        own before the call: the names are fitted to the tiles' size as drawn then.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    flagged = set(flagged)
    high_need = set(high_need)
    lines = _tile_lines(rows, tiles, per_line)
    ax, made = _axes(ax, (WIDTH, 0.21 * len(lines) + 0.8))
    label_w = 1.4
    n = len(lines)
    labels = []
    for i, (name_a, codes) in enumerate(lines):
        y = n - 1 - i
        if name_a:
            ax.text(label_w - 0.1, y + 0.45, name_a, ha="right", va="center", fontsize=6.5)
        for j, code in enumerate(codes):
            g = grades.get(code, "")
            colour = GRADE_COLOURS.get(g, NO_DATA_COLOUR)
            x = label_w + j
            ax.add_patch(plt.Rectangle((x, y + 0.06), 0.94, 0.82, facecolor=colour,
                                       hatch=GRADE_HATCHES.get(g, ""), edgecolor="white",
                                       lw=0.3))
            if code in high_need:  # below the name, a white rule between it and the fill
                ax.add_patch(plt.Rectangle((x, y + 0.06), 0.94, NEED_BAR, facecolor="black",
                                           edgecolor="none"))
                ax.plot([x, x + 0.94], [y + 0.06 + NEED_BAR] * 2, color="white", lw=0.8,
                        solid_capstyle="butt")
            if code in flagged:  # the outline apart: a black edge would blacken the hatching
                ax.add_patch(plt.Rectangle((x, y + 0.06), 0.94, 0.82, facecolor="none",
                                           edgecolor="black", lw=1.4))
            text = str(names.get(code, code))
            if g:
                text = f"{text}  {g}"
            if code in flagged:
                ax.plot([x + 0.09], [y + 0.72], marker=FLAG_MARK, color="black", ms=5,
                        mec="white", mew=0.4, ls="none")
            # above the bar where there is one (the name's box would cover it)
            middle = y + 0.06 + (NEED_BAR + 0.82) / 2 if code in high_need else y + 0.47
            label = ax.text(
                x + 0.47, middle, text, ha="center", va="center", fontsize=TILE_FONT_SIZE,
                color=_text_colour(colour) if g else "#616161",
                bbox={"facecolor": colour, "edgecolor": "none", "pad": 0.6} if g else None)
            label.set_in_layout(False)  # fitted to its tile after the layout
            labels.append(label)
    ax.set_xlim(0, label_w + per_line)
    ax.set_ylim(0, n)
    ax.axis("off")
    grade_legend(ax, grade_labels, no_data_label)
    _flag_legend(ax, flagged, flag_label)
    _need_legend(ax, high_need, need_label)
    _legend_in_columns(ax, LEGEND_COLUMNS)
    if made:
        ax.figure.tight_layout()
    # the name between the bar and the tile's top
    _fit_in_tiles(ax, labels, 0.94, 0.82 - NEED_BAR if high_need else 0.82)
    return ax


def _tile_lines(rows: pd.DataFrame, tiles: pd.DataFrame, per_line: int
                ) -> list[tuple[str, list[str]]]:
    """Return the tile map's lines: (the amphoe's name on its first line, else "", its tambons)."""
    lines = []
    for code_a, name_a in zip(rows["code"], rows["name"], strict=True):
        codes = tiles[tiles["parent"] == code_a]["code"].tolist()
        for k in range(0, max(len(codes), 1), per_line):
            lines.append((name_a if k == 0 else "", codes[k:k + per_line]))
    return lines


#: A line of the tile map drawn by Typst, in points (0.21 inch, as matplotlib's).
TILE_LINE_PT = 0.21 * 72


def grade_tiles_typst(grades: Mapping[str, str], rows: pd.DataFrame, tiles: pd.DataFrame, *,
                      names: Mapping[str, str], grade_labels: Mapping[str, str],
                      no_data_label: str, flagged: Iterable[str] = (), flag_label: str = "",
                      high_need: Iterable[str] = (), need_label: str = "",
                      per_line: int = 7) -> str:
    """Return Typst markup drawing :func:`grade_tiles` with Typst's own shapes.

    The same lines of tiles (an amphoe's name left of its first line), each tile filled and
    hatched as its grade, the high-need bar along its foot, the programme list's outline and
    star, and the tambon's name and grade on it: at :data:`TILE_FONT_SIZE`, or smaller where
    the name is wider than nine tenths of the tile, measured in the font
    (:func:`abcresearch.reports.render.fonts.text_width`) as matplotlib measures it (a
    romanised name that would shrink below three quarters of the size goes on two lines at its
    middle space, where that reads larger). The legend above in three columns. The names are
    text in the PDF (a reader can search the map for a tambon).

    Parameters
    ----------
    grades, rows, tiles, names, grade_labels, no_data_label, flagged, flag_label, high_need,
    need_label, per_line
        As :func:`grade_tiles`.

    Returns
    -------
    str
        Typst markup (content: put it in ``[...]``).
    """
    from abcresearch.reports.render.fonts import text_width
    from abcresearch.reports.render.typst import escape_markup

    flagged = set(flagged)
    high_need = set(high_need)
    lines = _tile_lines(rows, tiles, per_line)
    unit = WIDTH * 72 / (1.4 + per_line)  # a tile's pitch across
    line = TILE_LINE_PT
    tile_w, tile_h = 0.94 * unit, 0.82 * line
    bar = NEED_BAR * line
    room = tile_w * 0.9
    tall = (tile_h - (bar if high_need else 0.0)) * 0.9
    star = _typst_star(2.6)
    items = []
    for i, (name_a, codes) in enumerate(lines):
        top = i * line
        if name_a:
            items.append(f"place(top + left, dy: {top + 0.55 * line - 6:.2f}pt, box(width: "
                         f"{1.3 * unit:.2f}pt, height: 12pt, align(right + horizon, "
                         f"{_typst_text(str(name_a), 6.5)})))")
        for j, code in enumerate(codes):
            g = grades.get(code, "")
            colour = GRADE_COLOURS.get(g, NO_DATA_COLOUR)
            x, y = (1.4 + j) * unit, top + 0.12 * line
            parts = []
            hatch = _typst_hatch(GRADE_HATCHES.get(g, ""), "white")
            if hatch:  # over the fill, as the levels chart's segments
                parts.append(f"place(rect(width: 100%, height: 100%, fill: {hatch}, "
                             f"stroke: none))")
            if code in high_need:  # a white rule between the bar and the fill
                parts.append(f"place(bottom + left, rect(width: 100%, height: {bar:.2f}pt, "
                             f"fill: black, stroke: none))")
                parts.append(f"place(bottom + left, dy: -{bar:.2f}pt, line(length: 100%, "
                             f"stroke: 0.8pt + white))")
            if code in flagged:
                parts.append("place(rect(width: 100%, height: 100%, stroke: 1.4pt + black))")
                parts.append(f"place(top + left, dx: {0.09 * unit - 2.6:.2f}pt, "
                             f"dy: {0.16 * line - 2.6:.2f}pt, {star})")
            text = str(names.get(code, code))
            if g:
                text = f"{text}  {g}"
            pad = 1.2 if g else 0.0
            size, shown = _tile_text_size(text, room - pad, tall - pad, text_width)
            size = int(size * 100) / 100  # as written below: never larger than fits
            body = " #linebreak() ".join(escape_markup(x) for x in shown)
            fill = _text_colour(colour) if g else 'rgb("#616161")'
            # the box as tall as the letters reach (Thai marks above and below)
            label = (f"text(size: {size:.2f}pt, fill: {fill}, top-edge: \"ascender\", "
                     f"bottom-edge: \"descender\")[{body}]")
            if len(shown) > 1:
                label = f"par(leading: 0.1em, {label})"
            if g:  # on a box of the tile's colour (matplotlib's pad, 0.6 of the type size): no
                # hatching through the name
                label = (f"box(fill: {_typst_colour(colour)}, inset: (x: {0.6 * size:.2f}pt), "
                         f"{label})")
            # above the bar where there is one
            above = bar if code in high_need else 0.0
            parts.append(f"place(top + left, block(width: 100%, height: {tile_h - above:.2f}pt, "
                         f"align(center + horizon, {label})))")
            items.append(f"place(top + left, dx: {x:.2f}pt, dy: {y:.2f}pt, box(width: "
                         f"{tile_w:.2f}pt, height: {tile_h:.2f}pt, fill: {_typst_colour(colour)}, "
                         f"stroke: 0.3pt + white, clip: true, {{ {'; '.join(parts)} }}))")
    legend = _tile_legend_typst(grade_labels, no_data_label,
                                flag_label if flagged else "", need_label if high_need else "")
    return (f"#block(width: {WIDTH * 72:.1f}pt, breakable: false)[#set text(size: 10pt)\n"
            f"{legend}\n#block(width: 100%, height: {len(lines) * line:.2f}pt, "
            f"{{ {'; '.join(items)} }})]")


def _tile_text_size(text: str, room: float, tall: float, width: Any
                    ) -> tuple[float, list[str]]:
    """Return the size (points) and lines of a tile's name and grade, fitted to its tile.

    At :data:`TILE_FONT_SIZE`, or smaller where ``text`` is wider than ``room`` points
    (``width(line, 1.0)``: a line's width at 1 point). A romanised name (with spaces) that would
    shrink below three quarters of the size goes on two lines, split at the space nearest its
    middle, the grade after it, where that reads larger (two lines within ``tall`` points).
    Never below 1 point. :func:`_fit_in_tiles` (matplotlib's measure) and
    :func:`grade_tiles_typst` (the font's) both fit their names by it.
    """
    size = min(TILE_FONT_SIZE, room / width(text, 1.0))
    # the name, and the grade after two spaces
    name, gap, grade = text.rpartition("  ") if "  " in text else (text, "", "")
    if size < 0.75 * TILE_FONT_SIZE and " " in name.strip():
        words = name.split()
        middle = len(name) / 2
        cut = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - middle))
        two = [" ".join(words[:cut]), " ".join(words[cut:]) + gap + grade]
        size_two = min(TILE_FONT_SIZE, room / max(width(x, 1.0) for x in two),
                       tall / (2 * 1.4))
        if size_two > size:
            return max(size_two, 1.0), two
    return max(size, 1.0), [text]


def _typst_star(radius: float) -> str:
    """Return Typst code of a black five-pointed star ``2 * radius`` across, edged white."""
    import math

    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * 0.4
        a = math.pi / 2 + k * math.pi / 5
        points.append(f"({radius + r * math.cos(a):.2f}pt, {radius - r * math.sin(a):.2f}pt)")
    return f"polygon(fill: black, stroke: 0.4pt + white, {', '.join(points)})"


def _tile_legend_typst(grade_labels: Mapping[str, str], no_data_label: str, flag_label: str,
                       need_label: str) -> str:
    """Return the tile map's legend in :data:`LEGEND_COLUMNS` columns, as in :func:`grade_tiles`."""
    from abcresearch.reports.render.typst import escape_markup

    size = 7 if (flag_label or need_label) else 8
    entries = []
    for g, colour in GRADE_COLOURS.items():
        hatch = _typst_hatch(GRADE_HATCHES.get(g, ""), "white")
        over = (f", place(rect(width: 100%, height: 100%, fill: {hatch}, stroke: none))"
                if hatch else "")
        entries.append((f"box(width: 14pt, height: 7pt, fill: {_typst_colour(colour)}{over})",
                        grade_labels[g]))
    entries.append((f"box(width: 14pt, height: 7pt, fill: {_typst_colour(NO_DATA_COLOUR)})",
                    no_data_label))
    if flag_label:
        entries.append((f"box(width: 14pt, height: 7pt, align(center + horizon, "
                        f"{_typst_star(3.5)}))", flag_label))
    if need_label:
        entries.append(("box(width: 14pt, height: 7pt, align(horizon, line(length: 100%, "
                        "stroke: 3.5pt + black)))", need_label))
    cells = ", ".join(f"[#{mark} #h(3pt) {escape_markup(str(text))}]" for mark, text in entries)
    return (f"#align(center, block(inset: (bottom: 4pt), text(size: {size}pt, "
            f"grid(columns: {LEGEND_COLUMNS}, column-gutter: 14pt, row-gutter: 4pt, "
            f"align: left + horizon, {cells}))))")


#: Columns of the tile map's legend. Its five entries in one row were wider than the tiles,
#: and the layout narrowed the tiles to the legend's width: the tiles took three fifths of the
#: text width and their names shrank to 3.5 pt.
LEGEND_COLUMNS = 3


def _legend_in_columns(ax: Any, ncol: int) -> None:
    """Lay the legend above ``ax`` out again in ``ncol`` columns (its entries and size kept)."""
    legend = ax.get_legend()
    if legend is None:
        return
    size = legend.get_texts()[0].get_fontsize() if legend.get_texts() else 7
    ax.legend(handles=list(legend.legend_handles), loc="lower center", bbox_to_anchor=(0.5, 1.0),
              ncol=ncol, frameon=False, fontsize=size)


#: Height of a tile's high-need bar (tiles are 0.82 high): about 1.2 mm on the page (0.7 mm
#: read as a shadow of the red tiles in a reader review).
NEED_BAR = 0.2


def _need_legend(ax: Any, high_need: set[str], need_label: str) -> None:
    """Add the high-need bar to the legend above ``ax`` (when any tambon has it)."""
    from matplotlib.lines import Line2D

    if not (need_label and high_need):
        return
    handles = list(ax.get_legend().legend_handles)
    handles.append(Line2D([], [], color="black", lw=3.5, label=need_label))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5,
              frameon=False, fontsize=7)


def _fit_in_tiles(ax: Any, labels: list[Any], tile_width: float, tile_height: float) -> None:
    """Shrink the labels too long for their tiles (data units) to fit them.

    Widths are the labels' laid-out widths at their font (Thai marks take none), with the
    label's box padding and a tenth of the tile to spare. A name with spaces (a romanised one)
    that would shrink below three quarters of its size is set on two lines, split at the space
    nearest its middle, the grade after it, when that reads larger. The labels are out of the
    figure's layout (``set_in_layout(False)``) and fitted after it.
    """
    from matplotlib.textpath import text_to_path

    if not labels:
        return
    (x0, y0), (x1, y1) = ax.transData.transform([(0, 0), (tile_width, tile_height)])
    room = (x1 - x0) * 72 / ax.figure.dpi * 0.9  # points
    tall = (y1 - y0) * 72 / ax.figure.dpi * 0.9

    def width(text: str, label: Any) -> float:  # points at size 1, as the text is laid out
        prop = label.get_fontproperties().copy()
        prop.set_size(100)
        return max(text_to_path.get_text_width_height_descent(line, prop, ismath=False)[0]
                   for line in text.split("\n")) / 100

    for label in labels:
        pad = 2 * 0.6 if label.get_bbox_patch() is not None else 0.0
        text = label.get_text()
        if not text.strip():
            continue
        size, lines = _tile_text_size(text, room - pad, tall - pad,
                                      lambda s, _size, label=label: width(s, label))
        if len(lines) > 1:
            label.set_text("\n".join(lines))
            label.set_linespacing(1.0)
        if size < TILE_FONT_SIZE:
            label.set_fontsize(size)


def _flag_legend(ax: Any, flagged: set[str], flag_label: str) -> None:
    """Add the programme-list flag to the grade legend above ``ax`` (when any is flagged)."""
    from matplotlib.lines import Line2D

    if not (flag_label and flagged):
        return
    handles = list(ax.get_legend().legend_handles)
    handles.append(Line2D([], [], marker=FLAG_MARK, color="black", ls="none", ms=7,
                          label=flag_label))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5,
              frameon=False, fontsize=7)


def grade_choropleth(polygons: Iterable[tuple[str | None, Sequence[np.ndarray]]],
                     grades: Mapping[str, str], *, names: Mapping[str, str] | None = None,
                     grade_labels: Mapping[str, str], no_data_label: str,
                     flagged: Iterable[str] = (), flag_label: str = "",
                     ax: Any = None) -> Any:
    """Draw area boundaries (with holes) filled by grade, hatched, and labelled.

    Parameters
    ----------
    polygons : iterable of (code, rings)
        Area code (None: unknown, grey) and the rings of one polygon: the outer ring first,
        then its holes, each an array of ``(x, y)`` (longitude, latitude) points.
    grades : mapping
        Area code -> grade.
    names : mapping, optional
        Area code -> name written at the centre of the area's largest polygon, with the grade
        letter (default: the grade letter only).
    grade_labels, no_data_label :
        Legend texts (see :func:`grade_legend`).
    flagged : iterable of str
        Codes in a programme list (outlined in black and starred with :data:`FLAG_MARK`; the
        outlines are patches of their own, after the filled areas).
    flag_label : str
        Legend text of the flag.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new square figure).

    Returns
    -------
    matplotlib.axes.Axes
        Longitude and latitude drawn to scale at the map's mean latitude.
    """
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    flagged = set(flagged)
    ax, made = _axes(ax, (WIDTH, WIDTH))
    largest: dict[str, tuple[float, np.ndarray]] = {}
    outlines = []
    lat = []
    for code, rings in polygons:
        rings = [np.asarray(r, dtype=float)[:, :2] for r in rings]
        verts = np.concatenate(rings)
        codes = np.concatenate([[MplPath.MOVETO] + [MplPath.LINETO] * (len(r) - 2)
                                + [MplPath.CLOSEPOLY] for r in rings])
        g = grades.get(code or "", "")
        colour = GRADE_COLOURS.get(g, NO_DATA_COLOUR)
        ax.add_patch(PathPatch(MplPath(verts, codes), facecolor=colour,
                               hatch=GRADE_HATCHES.get(g, ""), edgecolor="white", lw=0.4))
        if code in flagged:
            outlines.append(MplPath(verts, codes))
        outer = rings[0]
        lat.append(outer[:, 1].mean())
        x, y = outer[:, 0], outer[:, 1]
        area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
        if code and (code not in largest or area > largest[code][0]):
            largest[code] = (area, outer)
    for path in outlines:  # drawn apart and on top: a black edge would blacken the hatching
        ax.add_patch(PathPatch(path, facecolor="none", edgecolor="black", lw=1.0))
    for code, (_, outer) in largest.items():
        g = grades.get(code, "")
        text = f"{names.get(code, code)} {g}".strip() if names else g
        cx, cy = outer[:, 0].mean(), outer[:, 1].mean()
        if text:
            ax.text(cx, cy, text, ha="center", va="center", fontsize=4.5, color="black",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.4})
        if code in flagged:
            ax.plot([cx], [cy], marker=FLAG_MARK, color="black", ms=6, mec="white", mew=0.4,
                    ls="none", zorder=5)
    ax.autoscale_view()
    ax.set_aspect(1 / np.cos(np.radians(np.mean(lat))) if lat else "equal")
    ax.axis("off")
    grade_legend(ax, grade_labels, no_data_label)
    _flag_legend(ax, flagged, flag_label)
    if made:
        ax.figure.tight_layout()
    return ax


@dataclass(frozen=True)
class _HeatmapCells:
    """What each cell of a capital heat map shows: its text, its grey, and the grey scale."""

    printed: list[list[str]]  # the value half up and its mark, "" where hidden
    fills: list[list[str]]  # "#rrggbb" of the cell ("#ffffff" where hidden)
    tone: np.ndarray  # what the grey shows (NaN where hidden)
    cmap: Any  # matplotlib's Greys_r, white where NaN
    norm: Any  # matplotlib Normalize of the tones: a quarter of the range below the lowest


def _heatmap_cells(values: pd.DataFrame, shade: pd.DataFrame | None,
                   marks: pd.DataFrame | None) -> _HeatmapCells:
    """Return the cells of :func:`capital_heatmap` (and of :func:`capital_heatmap_typst`)."""
    import matplotlib as mpl

    from abcresearch.labels import round_half_up

    n, m = values.shape
    data = values.to_numpy(dtype=float)
    tone = data if shade is None else shade.to_numpy(dtype=float)
    cmap = mpl.colormaps["Greys_r"].with_extremes(bad="white")
    finite = tone[np.isfinite(tone)]
    if shade is None:
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    else:  # symmetric around 0: mid-grey is "as the province"
        r = float(np.abs(finite).max()) if finite.size else 1.0
        lo, hi = -r, r
    hi = hi if hi > lo else lo + 1.0
    norm = mpl.colors.Normalize(vmin=lo - 0.25 * (hi - lo), vmax=hi)
    printed = [["" for _ in range(m)] for _ in range(n)]
    fills = [["#ffffff" for _ in range(m)] for _ in range(n)]
    for i in range(n):
        for j in range(m):
            v = data[i, j]
            if not np.isfinite(v):
                continue
            mark = "" if marks is None else str(marks.iat[i, j] or "")
            printed[i][j] = f"{round_half_up(v)}{mark}"
            t = tone[i, j]
            fills[i][j] = mpl.colors.to_hex(cmap(norm(t))) if np.isfinite(t) else "#ffffff"
    return _HeatmapCells(printed, fills, tone, cmap, norm)


def capital_heatmap(values: pd.DataFrame, *, shade: pd.DataFrame | None = None,
                    marks: pd.DataFrame | None = None, colorbar_label: str = "",
                    ax: Any = None) -> Any:
    """Draw a heat map (rows: areas, columns: capitals) with the value printed in each cell.

    Cells are shaded in greys by ``shade`` (default: the values), darker for lower, and the
    number is printed in each cell, so a black-and-white print reads the same; NaN cells
    (hidden) are white and empty.

    Parameters
    ----------
    values : pandas.DataFrame
        The printed numbers (e.g. mean scores 0-100); index = row labels (areas), columns =
        column labels (capitals).
    shade : pandas.DataFrame, optional
        Same shape: what the shading shows (e.g. the difference from the province's mean,
        centred on 0; lower is darker).
    marks : pandas.DataFrame, optional
        Same shape: text added after each value (e.g. ``"▲"`` / ``"▼"`` where the area's
        interval lies above / below the province); drawn in DejaVu Sans, which has them.
    colorbar_label : str
        Colour-bar title.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure sized for the rows).

    Returns
    -------
    matplotlib.axes.Axes
    """
    n, m = values.shape
    ax, made = _axes(ax, (WIDTH, HEATMAP_ROW_IN * n + 1.3))
    cells = _heatmap_cells(values, shade, marks)
    img = ax.imshow(np.ma.masked_invalid(cells.tone), aspect="auto", cmap=cells.cmap,
                    norm=cells.norm)
    for i in range(n):
        for j in range(m):
            if not cells.printed[i][j]:
                continue
            ax.text(j, i, cells.printed[i][j], ha="center", va="center",
                    fontsize=HEATMAP_FONT_SIZE, color=_text_colour(cells.fills[i][j]),
                    fontfamily="DejaVu Sans")
    # thin white lines between the cells: the eye keeps to its row across seven columns
    ax.set_xticks(np.arange(m + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=0.8)
    ax.tick_params(which="minor", length=0)
    ax.set_xticks(range(m), [str(c) for c in values.columns], fontsize=HEATMAP_FONT_SIZE)
    ax.set_yticks(range(n), [str(i) for i in values.index], fontsize=HEATMAP_FONT_SIZE)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    bar = ax.figure.colorbar(img, ax=ax, fraction=0.03, pad=0.02)
    bar.ax.tick_params(labelsize=HEATMAP_FONT_SIZE)
    if colorbar_label:
        bar.set_label(colorbar_label, fontsize=HEATMAP_FONT_SIZE)
    _fit_column_labels(ax)
    if made:
        ax.figure.tight_layout()
    return ax


def heatmap_printed(values: pd.DataFrame, marks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Return what each cell of :func:`capital_heatmap` prints ("" where hidden).

    The value rounded half up and its mark ("62▲"), the index and columns of ``values``: the
    data of the heat map's figure, checked like a table.
    """
    printed = _heatmap_cells(values, None, marks).printed
    return pd.DataFrame(printed, index=values.index, columns=values.columns)


#: Sizes (points) of the heat map drawn by Typst (:func:`capital_heatmap_typst`): the gap
#: before the colour bar, the bar's width, its ticks, and the gap from a tick to its label.
HEATMAP_BAR_GAP, HEATMAP_BAR, HEATMAP_TICK, HEATMAP_TICK_PAD = 8.0, 9.0, 2.5, 2.0


def capital_heatmap_typst(values: pd.DataFrame, *, shade: pd.DataFrame | None = None,
                          marks: pd.DataFrame | None = None, colorbar_label: str = "",
                          title: str = "") -> str:
    """Return Typst markup drawing :func:`capital_heatmap` with Typst's own shapes.

    The same cells (their numbers, marks and greys, through one function), :data:`WIDTH`
    wide, each row :data:`HEATMAP_ROW_IN` tall, in :data:`HEATMAP_FONT_SIZE`-point type, thin
    white lines between the cells and a colour bar of the greys on the right. A column name
    too long for its column is set on two or three lines at its words (where a word alone is
    too long, between the dictionary words inside it) instead of turned: measured in the font
    (:func:`abcresearch.reports.render.fonts.text_width`) before Typst sets it. The numbers,
    names and marks are text in the PDF.

    Parameters
    ----------
    values, shade, marks, colorbar_label
        As :func:`capital_heatmap`.
    title : str
        Title above the cells, on the left (as ``ax.set_title(..., loc="left")``).

    Returns
    -------
    str
        Typst markup (content: put it in ``[...]``).
    """
    from matplotlib.colors import to_hex
    from matplotlib.ticker import MaxNLocator

    from abcresearch.reports.render.fonts import TYPST_TEXT_FONTS, text_width
    from abcresearch.reports.render.typst import escape_markup

    n, m = values.shape
    cells = _heatmap_cells(values, shade, marks)
    size = HEATMAP_FONT_SIZE
    row = HEATMAP_ROW_IN * 72
    height = n * row
    names = [str(i) for i in values.index]
    name_col = max((text_width(x, size) for x in names), default=0.0) + 5.0
    lo, hi = float(cells.norm.vmin), float(cells.norm.vmax)
    ticks = [float(t) for t in MaxNLocator(nbins=8, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
             if lo - 1e-9 <= t <= hi + 1e-9]
    tick_text = [f"{t:g}".replace("-", "\u2212") for t in ticks]
    tick_col = HEATMAP_TICK + HEATMAP_TICK_PAD + max(
        (text_width(x, size) for x in tick_text), default=0.0) + 2.0
    label_col = size * 1.4 + 3.0 if colorbar_label else 0.0
    column = (WIDTH * 72 - name_col - HEATMAP_BAR_GAP - HEATMAP_BAR - tick_col - label_col) / m
    room = column - 4.0  # a little space between two columns' names

    out = []
    for i in range(n):
        out.append(f"grid.cell(align: right + horizon, inset: (right: 5pt), "
                   f"{_typst_text(names[i], size)})")
        for j in range(m):
            shown = cells.printed[i][j]
            fill = cells.fills[i][j]
            body = _typst_text(shown, size, _text_colour(fill)) if shown else "[]"
            out.append(f"grid.cell(fill: rgb(\"{fill}\"), stroke: 0.8pt + white, {body})")
        if i == 0:  # the colour bar, its ticks and its title beside every row
            stops = ", ".join(f'rgb("{to_hex(cells.cmap(k / 15))}")' for k in range(16))
            tick_marks = "; ".join(
                f"place(top + left, dy: {(hi - t) / (hi - lo) * height:.2f}pt, "
                f"line(length: {HEATMAP_TICK}pt, stroke: 0.6pt)); "
                f"place(top + left, dx: {HEATMAP_TICK + HEATMAP_TICK_PAD}pt, "
                f"dy: {(hi - t) / (hi - lo) * height - 5:.2f}pt, box(height: 10pt, "
                f"align(horizon, {_typst_text(x, size)})))"
                for t, x in zip(ticks, tick_text, strict=True))
            out.append(f"grid.cell(rowspan: {n}, [])")
            out.append(f"grid.cell(rowspan: {n}, box(width: 100%, height: 100%, "
                       f"fill: gradient.linear({stops}, dir: btt), stroke: 0.6pt))")
            out.append(f"grid.cell(rowspan: {n}, align: left + top, {{ {tick_marks} }})")
            if colorbar_label:
                out.append(f"grid.cell(rowspan: {n}, align: center + horizon, "
                           f"rotate(-90deg, reflow: true, box(width: {height:.2f}pt, "
                           f"align(center, {_typst_text(colorbar_label, size)}))))")
    out.append("[]")
    for name in values.columns:
        lines = _wrap_label(str(name), size, room)
        text = " #linebreak() ".join(escape_markup(x) for x in lines)
        out.append(f"grid.cell(align: center + top, inset: (top: 4pt), "
                   f"text(size: {size}pt)[{text}])")
    out += ["[]"] * (4 if colorbar_label else 3)
    columns = ", ".join([f"{name_col:.2f}pt", *[f"{column:.2f}pt"] * m,
                         f"{HEATMAP_BAR_GAP}pt", f"{HEATMAP_BAR}pt", f"{tick_col:.2f}pt",
                         *([f"{label_col:.2f}pt"] if colorbar_label else [])])
    head = (f"#block(width: 100%, inset: (left: {name_col:.2f}pt), below: 5pt, "
            f"align(left, {_typst_text(title, 9)}))\n" if title else "")
    return (f"#block(width: {WIDTH * 72:.1f}pt, breakable: false)[#set text(font: "
            f"{TYPST_TEXT_FONTS}, size: {size}pt)\n"  # the report's: ▲ ▼ in DejaVu Sans
            f"#set par(leading: 0.35em)\n{head}"
            f"#grid(columns: ({columns}), rows: (..({row:.2f}pt,) * {n}, auto), "
            f"align: center + horizon, {', '.join(out)})]")


def _wrap_label(text: str, size: float, room: float) -> list[str]:
    """Return ``text`` in as few lines as fit ``room`` points at ``size``, the longest shortest.

    Lines break at spaces and between Thai words (:func:`abcresearch.reports.render.thai.
    segment`); a word wider than ``room`` breaks inside, between dictionary words where it can
    ("ทุนทรัพยากร / ธรรมชาติ", not "ทุนทรัพยา / กรธรรมชาติ"). Three lines at most; a word
    that fits nowhere stays whole on its line.
    """
    import itertools
    import re

    from abcresearch.reports.render import thai
    from abcresearch.reports.render.fonts import text_width

    pieces: list[str] = []
    for seg in thai.segment(text):
        for part in re.split(r"(\s+)", seg):
            if not part:
                continue
            if part.strip() and text_width(part, size) > room and len(part) > 1:
                pieces += _split_long_word(part, size, room)
            else:
                pieces.append(part)

    def width(line: list[str]) -> float:
        return text_width("".join(line).strip(), size)

    cuts = range(1, len(pieces))
    best: list[str] | None = None
    for lines_n in (1, 2, 3):
        choices = []
        for at in itertools.combinations(cuts, lines_n - 1):
            bounds = [0, *at, len(pieces)]
            lines = [pieces[a:b] for a, b in itertools.pairwise(bounds)]
            if any(not "".join(x).strip() for x in lines):
                continue
            widest = max(width(x) for x in lines)
            choices.append((widest > room, widest, ["".join(x).strip() for x in lines]))
        fitting = [c for c in choices if not c[0]]
        if fitting:
            return min(fitting, key=lambda c: c[1])[2]
        if choices and best is None:
            best = min(choices, key=lambda c: c[1])[2]
    return best if best is not None else [text]


def _split_long_word(word: str, size: float, room: float) -> list[str]:
    """Split a word too wide for ``room`` in two, between dictionary words where it can."""
    from abcresearch.reports.render import thai
    from abcresearch.reports.render.fonts import text_width

    parts = thai.word_parts(word)
    if len(parts) < 2:
        return [word]
    at = [len("".join(parts[:k])) for k in range(1, len(parts))]

    def clean(piece: str) -> bool:
        return all(thai.is_word(w) for w in thai.segment(piece) if w.strip())

    options = [(not (clean(word[:k]) and clean(word[k:])),
                max(text_width(word[:k], size), text_width(word[k:], size)), k) for k in at]
    k = min(options)[2]
    return [word[:k], word[k:]]


def _fit_column_labels(ax: Any) -> None:
    """Write the x tick labels level when each fits its column, else turned 30 degrees.

    A turned label is anchored at its end under its column (turned about its centre, a long
    name stood a column to the left of its own). Widths are measured with the canvas's
    renderer (no drawing), against the columns as laid out now: before a figure's layout,
    which widens them, so a label is turned rather than left too wide.
    """
    labels = ax.get_xticklabels()
    if not labels:
        return
    renderer = _renderer(ax.figure)
    lo, hi = ax.get_xlim()
    column = ax.get_window_extent(renderer).width / max(abs(hi - lo), 1e-9)
    widest = max(label.get_window_extent(renderer).width for label in labels)
    if widest > 0.95 * column:
        for label in labels:
            label.set(rotation=30, ha="right", rotation_mode="anchor")


#: Marker of each readiness grade in the need x readiness chart: a shape per grade, so that the
#: chart reads in black and white (colour only repeats it).
GRADE_MARKERS = {"A": "o", "B": "s", "C": "^"}
#: Points in one grade column of the need x readiness chart beyond which it is a crowd (a
#: province's tambons): smaller markers set in a swarm instead of seven steps.
CROWDED_COLUMN = 21


#: Half the side of a marker of the need x readiness chart, in points: ``s=46`` square points and
#: half its 0.9-point edge, with half a point to spare.
MARKER_HALF_PT = 4.0
#: Room between a village's label and its own marker, in points.
LABEL_GAP_PT = 2.0
#: Extra distances (points) beyond :data:`LABEL_GAP_PT` at which a label is tried beside its
#: point, nearest first; further than the first it is joined to its point by a thin line.
LABEL_REACH_PT = (0.0, 6.0, 12.0, 20.0, 30.0, 45.0)
#: Heights at which a label is tried beside its point, in label heights above and below the
#: point's (a quarter apart near it, half further off; further than a quarter it is joined to
#: its point by a line).
LABEL_HEIGHTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
#: How many places a label is tried at right above (and right below) its point, half a label
#: height apart.
LABEL_STEPS = 8


def _renderer(fig: Any) -> Any:
    """Return the figure canvas's renderer, to measure text without drawing the figure."""
    get = getattr(fig.canvas, "get_renderer", None)
    if get is not None:
        return get()
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return FigureCanvasAgg(fig).get_renderer()


def _overlap(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Return the area shared by each box of ``boxes`` (k, 4) with each of ``others`` (m, 4).

    Boxes are ``(x0, y0, x1, y1)``; the result is (k, m), 0 where two boxes only touch.
    """
    if not len(others):
        return np.zeros((len(boxes), 0))
    w = (np.minimum(boxes[:, None, 2], others[None, :, 2])
         - np.maximum(boxes[:, None, 0], others[None, :, 0]))
    h = (np.minimum(boxes[:, None, 3], others[None, :, 3])
         - np.maximum(boxes[:, None, 1], others[None, :, 1]))
    return np.clip(w, 0.0, None) * np.clip(h, 0.0, None)


@functools.lru_cache(maxsize=64)
def _candidates(w: float, h: float, near: float, left: bool
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return label boxes around a point at (0, 0), their cost, and which are apart from it.

    Beside the point (its preferred side first) at growing distances and heights, then above
    and below it, a ``w`` x ``h`` box kept ``near`` from the point. A box beside the point at
    its height (within a quarter of the label's height) or above or below it (within a quarter
    of its width) is next to its point; the others are apart (a line will join them). The cost
    grows with the distance and the height off the point's, and is 2 points more on the other
    side and 6 more above or below (where the label hides the point's own interval). Cached
    (labels of one chart are often of one size): the arrays returned are not to be changed.
    """
    # beside the point: side x distance x height, the preferred side first
    sides = np.array([-1.0, 1.0] if left else [1.0, -1.0])
    k = np.asarray(LABEL_HEIGHTS)
    dys = np.concatenate([[0.0], np.column_stack([k, -k]).ravel() * h])
    side, reach, dy = (g.ravel() for g in np.meshgrid(
        np.arange(2), np.asarray(LABEL_REACH_PT, dtype=float), dys, indexing="ij"))
    cx = sides[side] * (near + reach + w / 2)
    off = np.clip(np.abs(dy) - h / 2, 0.0, None)  # how far the box's height is off the point's
    cost = np.hypot(reach, off) + 0.3 * np.abs(dy) + 2.0 * side
    apart = (reach > 0) | (np.abs(dy) > h / 4 + 1e-9)
    # above and below: side x step x shift sideways
    vs, step, shift = (g.ravel() for g in np.meshgrid(
        np.array([1.0, -1.0]), np.arange(LABEL_STEPS), np.array([0.0, -0.25, 0.25, -0.5, 0.5]),
        indexing="ij"))
    cy = vs * (near + step * h / 2 + h / 2)
    cx2 = shift * w
    cx, cy = np.concatenate([cx, cx2]), np.concatenate([dy, cy])
    cost = np.concatenate([cost, step * h / 2 + 0.3 * np.abs(cx2) + 6.0])
    apart = np.concatenate([apart, (step > 0) | (np.abs(shift) > 0.25)])
    boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    return boxes, cost, apart


def _penalties(cand: np.ndarray, apart: np.ndarray, pts: np.ndarray, i: int,
               others: np.ndarray, bars: np.ndarray) -> np.ndarray:
    """Return what each candidate box of point ``i``'s label costs beyond its distance.

    8 for each error bar it covers; 12 when it lies nearer another marker than its own (it
    would read as that marker's); and, for a box apart from its point, 20 for each marker or
    label (``others``) its line to the point crosses and up to 10 for each error bar the line
    runs along (where it cannot be seen). The line is taken from the point to the box's
    nearest edge, tested at seven points along it.
    """
    px, py = pts[i]
    gx = np.clip(px, cand[:, 0], cand[:, 2])
    gy = np.clip(py, cand[:, 1], cand[:, 3])
    t = np.linspace(0.0, 1.0, 9)[1:-1]
    lx = (px + t[None, :] * (gx - px)[:, None])[:, :, None]
    ly = (py + t[None, :] * (gy - py)[:, None])[:, :, None]

    def on(boxes: np.ndarray) -> np.ndarray:  # (candidates, points along the line, boxes)
        return ((lx > boxes[None, None, :, 0]) & (lx < boxes[None, None, :, 2])
                & (ly > boxes[None, None, :, 1]) & (ly < boxes[None, None, :, 3]))

    crossed = on(others).any(axis=1).sum(axis=1)
    along = on(bars).mean(axis=1).sum(axis=1)
    covered = (_overlap(cand, bars) > 0).sum(axis=1)
    own = np.hypot(gx - px, gy - py)
    ox = np.clip(pts[None, :, 0], cand[:, None, 0], cand[:, None, 2]) - pts[None, :, 0]
    oy = np.clip(pts[None, :, 1], cand[:, None, 1], cand[:, None, 3]) - pts[None, :, 1]
    other = np.hypot(ox, oy)
    other[:, i] = np.inf
    nearer = other.min(axis=1) < own + 2.0
    return (8.0 * covered + np.where(nearer, 12.0, 0.0)
            + np.where(apart, 20.0 * crossed + 10.0 * along, 0.0))


def place_labels(points: np.ndarray, sizes: np.ndarray, *, bounds: Sequence[float],
                 marker: float = MARKER_HALF_PT, gap: float = LABEL_GAP_PT,
                 obstacles: np.ndarray | None = None, bars: np.ndarray | None = None,
                 prefer_left: Sequence[bool] | np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Place point labels near their points without covering a marker or another label.

    Each label is tried at candidate places around its point (:func:`_candidates`: beside it,
    then further and higher or lower, then above and below) and takes the cheapest that stays
    inside ``bounds`` and covers no marker (its own included), no box of ``obstacles`` and no
    label placed before it; among those, covering a neighbour's error bar, or a thin line to
    the point crossing a marker or a label, costs more. Labels are placed one after another,
    those with most markers near them first (ties in the order given). A label finding no such
    place (a crowd filling all the room) takes the place covering least of the others. Plain
    arithmetic on boxes: no drawing, deterministic.

    Parameters
    ----------
    points : numpy.ndarray
        (n, 2) centres of every marker drawn, in points (display units).
    sizes : numpy.ndarray
        (n, 2) width and height of each point's label, in points, with any padding of its
        box; a row with a width of 0 or NaN has no label.
    bounds : sequence of float
        ``(x0, y0, x1, y1)`` the labels must stay within (the axes).
    marker : float
        Half the side of a marker's box.
    gap : float
        Room between a label and its own marker.
    obstacles : numpy.ndarray, optional
        (m, 4) boxes ``(x0, y0, x1, y1)`` no label may cover (a legend).
    bars : numpy.ndarray, optional
        (n, 4) boxes of the points' error bars, covered only when nothing else is free.
    prefer_left : sequence of bool, optional
        Points whose label goes on their left by preference (default: right).

    Returns
    -------
    boxes : numpy.ndarray
        (n, 4) each label's box ``(x0, y0, x1, y1)``, NaN for a point without a label.
    moved : numpy.ndarray
        (n,) bool: the label is apart from its point (to be joined to it by a line).
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    sz = np.nan_to_num(np.asarray(sizes, dtype=float).reshape(-1, 2))
    n = len(pts)
    left = np.zeros(n, bool) if prefer_left is None else np.asarray(prefer_left, bool)
    markers = np.column_stack([pts - marker, pts + marker])
    fixed = np.asarray(obstacles, dtype=float).reshape(-1, 4) if obstacles is not None \
        else np.zeros((0, 4))
    bar_boxes = np.asarray(bars, dtype=float).reshape(-1, 4) if bars is not None \
        else np.zeros((0, 4))
    x0, y0, x1, y1 = (float(v) for v in bounds)
    near = marker + gap
    boxes = np.full((n, 4), np.nan)
    moved = np.zeros(n, bool)
    todo = [i for i in range(n) if sz[i, 0] > 0]
    if not todo:
        return boxes, moved
    # the most crowded first: a label among many markers has fewest places to go
    dist = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    reach = 2.0 * (sz[:, 0:1] + near)
    crowd = ((dist < reach) & ~np.eye(n, dtype=bool)).sum(axis=1)
    todo.sort(key=lambda i: (-crowd[i], i))
    placed: list[int] = []
    for i in todo:
        w, h = sz[i]
        rel, cost, far = _candidates(float(w), float(h), near, bool(left[i]))
        cand = rel + np.tile(pts[i], 2)
        inside = ((cand[:, 0] >= x0) & (cand[:, 1] >= y0) & (cand[:, 2] <= x1)
                  & (cand[:, 3] <= y1))
        blocked = _overlap(cand, np.vstack([markers, fixed, boxes[placed]])).sum(axis=1)
        others = np.vstack([np.delete(markers, i, axis=0), boxes[placed]])
        free = np.flatnonzero(inside & (blocked <= 0))
        best, best_total = -1, np.inf
        if len(free):
            # the penalties only add to the cost: cheapest first, until no cheaper can win
            free = free[np.argsort(cost[free], kind="stable")]
            for start in range(0, len(free), 48):
                chunk = free[start:start + 48]
                if cost[chunk[0]] >= best_total:
                    break
                total = cost[chunk] + _penalties(cand[chunk], far[chunk], pts, i, others,
                                                 bar_boxes)
                k = int(np.argmin(total))
                if total[k] < best_total:
                    best, best_total = int(chunk[k]), float(total[k])
        else:  # no free place: cover as little as possible, inside the axes when it can be
            total = cost + _penalties(cand, far, pts, i, others, bar_boxes)
            best = int(np.lexsort((total, blocked, ~inside))[0])
        boxes[i] = cand[best]
        moved[i] = bool(far[best])
        placed.append(i)
    return boxes, moved


def spread_labels(ys: Sequence[float], height: float, low: float, high: float) -> list[float]:
    """Place labels at heights as near their points as they can be without overlapping.

    Labels wanting the same place are grouped and each group centred on the mean of what its
    labels want, ``height`` apart, and kept within ``[low, high]``; groups that then touch are
    merged, until none overlap (the one-dimensional part of what ggrepel does).

    Parameters
    ----------
    ys : sequence of float
        Where each label wants to be (its point's height).
    height : float
        Room one label needs, in the same units.
    low, high : float
        Limits of the axis.

    Returns
    -------
    list of float
        The labels' heights, in the order of ``ys``.
    """
    order = sorted(range(len(ys)), key=lambda i: (ys[i], i))
    groups: list[list[int]] = []  # runs of labels (indices into ys), bottom to top
    tops: list[float] = []

    def place(group: list[int]) -> float:  # the group's lowest label
        mean = sum(ys[i] for i in group) / len(group)
        span = height * (len(group) - 1)
        return min(max(mean - span / 2, low), max(high - span, low))

    for i in order:
        groups.append([i])
        tops.append(place([i]))
        while len(groups) > 1 and tops[-2] + height * len(groups[-2]) > tops[-1] + 1e-12:
            last = groups.pop()
            tops.pop()
            groups[-1] = groups[-1] + last
            tops[-1] = place(groups[-1])
    out = [0.0] * len(ys)
    for group, bottom in zip(groups, tops, strict=True):
        for k, i in enumerate(group):
            out[i] = bottom + k * height
    return out


def need_readiness_chart(points: pd.DataFrame, *, grade_order: Sequence[str],
                         grade_labels: Mapping[str, str], threshold: float,
                         xlabel: str = "", ylabel: str = "", threshold_label: str = "",
                         need_labels: tuple[str, str] = ("", ""), near_label: str = "",
                         ax: Any = None) -> Any:
    """Draw need (level-1 share with its interval) against readiness grade, one point per area.

    Grades are columns from the least ready (left) to the readiest (right); the need
    threshold is a dashed line, so the need x grade cells are the six boxes it cuts. Each
    grade has its own marker (:data:`GRADE_MARKERS`), black-edged, so the chart reads in black
    and white; an area whose grade or need class is near a threshold is drawn hollow. Points of
    a column are spread sideways in a fixed order (no randomness).

    Parameters
    ----------
    points : pandas.DataFrame
        One row per area: ``grade``, ``estimate``, ``ci_low``, ``ci_high`` (percent; NaN is
        not drawn), ``near`` (bool) and optionally ``label`` (text written beside the point).
    grade_order : sequence of str
        Grades from left to right (least ready first).
    grade_labels : mapping
        Grade -> axis label.
    threshold : float
        The high-need threshold (percent).
    xlabel, ylabel, threshold_label : str
        Axis titles and the threshold line's text (written under the high-need text).
    need_labels : (str, str)
        Texts written right of the axes above and below the threshold line (high need, lower
        need).
    near_label : str
        Legend text of hollow points (none when empty).
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax, made = _axes(ax, (WIDTH, 4.2))
    order = list(grade_order)
    box = ax.get_position()
    layout = _need_layout(points, order, threshold, box.width * ax.figure.get_figwidth() * 72,
                          box.height * ax.figure.get_figheight() * 72)
    pts, top, size, crowded = layout.points, layout.top, layout.size, layout.crowded
    drawn = []  # (x, need, ci_low, ci_high, label, left of its group's centre), every point
    for g, col, off, err in layout.columns:
        m = len(col)
        x = order.index(g) + off
        ax.errorbar(x, col["estimate"], yerr=err, fmt="none", ecolor="#616161",
                    elinewidth=0.5 if crowded else 0.8, capsize=1 if crowded else 2, zorder=2)
        near = col["near"].astype(bool).to_numpy()
        for hollow in (False, True):
            sel = near == hollow
            if sel.any():
                ax.scatter(x[sel], col["estimate"].to_numpy()[sel],
                           marker=GRADE_MARKERS.get(g, "o"), s=size, edgecolors="black",
                           linewidths=0.7 if crowded else 0.9, zorder=3,
                           facecolors="white" if hollow else GRADE_COLOURS.get(g, "#9e9e9e"))
        texts = col["label"] if "label" in col else [None] * m
        est = col["estimate"].to_numpy(dtype=float)
        drawn += [(xi, yi, yi - lo, yi + hi, text if isinstance(text, str) else "", oi < -1e-9)
                  for xi, oi, yi, lo, hi, text in zip(x, off, est, err[0], err[1], texts,
                                                      strict=True)]
    ax.axhline(threshold, color="black", ls="--", lw=1, zorder=1)
    ax.set_ylim(0, top)
    ax.set_xlim(-0.6, len(order) - 0.4)
    ax.set_xticks(range(len(order)), [grade_labels.get(g, g) for g in order])
    # the need classes beside the axes on the right, where no point can hide them
    hi, lo = need_labels
    hi = "\n".join(x for x in (hi, threshold_label) if x)
    side = ax.get_yaxis_transform()
    if hi:
        ax.text(1.01, min(threshold + 2, top - 2), hi, transform=side, ha="left", va="bottom",
                fontsize=8)
    if lo:
        ax.text(1.01, max(threshold - 2, 2), lo, transform=side, ha="left", va="top",
                fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    # the legend shows the hollow marker of each grade drawn hollow (a hollow B square stood
    # beside a legend of one hollow circle); none when no point is hollow
    hollow_marks = [GRADE_MARKERS.get(g, "o") for g in order
                    if pts.loc[pts["grade"] == g, "near"].astype(bool).any()]
    if near_label and hollow_marks:
        from matplotlib.legend_handler import HandlerTuple
        from matplotlib.lines import Line2D

        marks = tuple(Line2D([], [], marker=m, ls="none", markerfacecolor="white",
                             markeredgecolor="black") for m in dict.fromkeys(hollow_marks))
        ax.legend(handles=[marks], labels=[near_label], loc="upper right", frameon=False,
                  fontsize=8, handler_map={tuple: HandlerTuple(ndivide=None, pad=0.3)},
                  handlelength=1.2 * len(marks))
    _plain_spines(ax)
    if made:
        ax.figure.tight_layout()
    if any(d[4] for d in drawn):
        _label_points(ax, drawn, (np.sqrt(size) + 0.9) / 2 + 0.2, rules=(threshold,))
    return ax


#: Height of the need x readiness chart's plot drawn by Typst, in points: with its axis and
#: titles about the 4.2 inches of :func:`need_readiness_chart`'s figure.
NEED_PLOT_HEIGHT_PT = 250.0
#: Type size of a point's label in the need x readiness chart, and the white ground around it
#: (points).
NEED_LABEL_SIZE, NEED_LABEL_PAD = 7.0, 0.4


def _typst_grade_marker(marker: str, side: float, x: float, y: float, fill: str,
                        edge: float) -> str:
    """Return Typst code of a black-edged marker ``side`` points across, centred at (x, y).

    ``marker`` is matplotlib's: ``"s"`` a square, ``"^"`` a triangle pointing up, any other a
    circle; ``y`` is from the top; ``fill`` a Typst colour; ``edge`` the edge's width.
    """
    h = side / 2
    stroke = f"{edge}pt + black"
    if marker == "s":
        shape = f"rect(width: {side:.2f}pt, height: {side:.2f}pt, fill: {fill}, stroke: {stroke})"
    elif marker == "^":
        shape = (f"polygon(fill: {fill}, stroke: {stroke}, ({h:.2f}pt, 0pt), "
                 f"({side:.2f}pt, {side:.2f}pt), (0pt, {side:.2f}pt))")
    else:
        shape = f"circle(radius: {h:.2f}pt, fill: {fill}, stroke: {stroke})"
    return f"place(top + left, dx: {x - h:.2f}pt, dy: {y - h:.2f}pt, {shape})"


def need_readiness_chart_typst(points: pd.DataFrame, *, grade_order: Sequence[str],
                               grade_labels: Mapping[str, str], threshold: float,
                               xlabel: str = "", ylabel: str = "", threshold_label: str = "",
                               need_labels: tuple[str, str] = ("", ""), near_label: str = ""
                               ) -> str:
    """Return Typst markup drawing :func:`need_readiness_chart` with Typst's own shapes.

    The same points (:func:`_need_layout`: the need axis' end, the sideways spread or swarm,
    the marker size), markers, error bars, threshold line, need classes right of the axes and
    legend of hollow points, at the same size (:data:`WIDTH`); its words are text in the PDF.
    The points' labels are placed by :func:`place_labels`, as matplotlib's, with the words
    measured in the font (:func:`abcresearch.reports.render.fonts.text_width`). Parameters as
    :func:`need_readiness_chart`.

    Returns
    -------
    str
        Typst markup (content: put it in ``[...]``).
    """
    from abcresearch.reports.render.fonts import line_height, text_width
    from abcresearch.reports.render.typst import escape_markup

    order = list(grade_order)
    hi_need, lo_need = need_labels
    hi_lines = [x for x in (hi_need, threshold_label) if x]
    # the need classes right of the axes, as wide as their longest line (a quarter of the
    # chart at most: longer ones wrap)
    side = min(max((text_width(x, 8) for x in [*hi_lines, lo_need] if x), default=0.0) + 4.0,
               0.25 * WIDTH * 72)
    height = NEED_PLOT_HEIGHT_PT
    top = _need_top(points, order, threshold)
    yticks = [(t * height / top, f"{t:g}") for t in _auto_ticks(top)]
    width = (WIDTH * 72 - _typst_axes_inset(height, yticks, ylabel) - side - 4.0) / 1.01
    layout = _need_layout(points, order, threshold, width, height)
    crowded = layout.crowded
    scale = height / top
    column = width / (len(order) + 0.2)

    def x_of(x: float) -> float:
        return (x + 0.6) * column

    body = []
    if np.isfinite(threshold) and 0 <= threshold <= top:
        body.append(f"place(top + left, dy: {height - threshold * scale:.2f}pt, line(length: "
                    f"{width:.2f}pt, stroke: (paint: black, thickness: 1pt, "
                    f"dash: (3.7pt, 1.6pt))))")
    bars, marks = [], []
    drawn = []  # (x, y, y low, y high, label, left of its group's centre), y up, in points
    side_pt = float(np.sqrt(layout.size))
    line_w = 0.5 if crowded else 0.8
    cap = 1.0 if crowded else 2.0
    grey = _typst_colour("#616161")
    for g, col, off, err in layout.columns:
        xs = [x_of(order.index(g) + o) for o in off]
        est = col["estimate"].to_numpy(dtype=float)
        near = col["near"].astype(bool).to_numpy()
        texts = col["label"] if "label" in col else [None] * len(col)
        fill = _typst_colour(GRADE_COLOURS.get(g, "#9e9e9e"))
        for x, y, below, above, hollow, text, o in zip(xs, est, err[0], err[1], near, texts, off,
                                                       strict=True):
            # within the axes, as matplotlib clips them
            low, high = max((y - below) * scale, 0.0), min((y + above) * scale, height)
            if high > low:
                bars.append(f"place(top + left, dx: {x:.2f}pt, dy: {height - high:.2f}pt, "
                            f"line(length: {high - low:.2f}pt, angle: 90deg, stroke: "
                            f"{line_w}pt + {grey}))")
                bars += [f"place(top + left, dx: {x - cap:.2f}pt, dy: {height - v:.2f}pt, "
                         f"line(length: {2 * cap:.2f}pt, stroke: {line_w}pt + {grey}))"
                         for v in (low, high)]
            marks.append(_typst_grade_marker(GRADE_MARKERS.get(g, "o"), side_pt, x,
                                             height - y * scale,
                                             "white" if hollow else fill,
                                             0.7 if crowded else 0.9))
            drawn.append((x, y * scale, low, high, text if isinstance(text, str) else "",
                          o < -1e-9))
    body += bars + marks
    # the need classes beside the axes on the right, where no point can hide them
    if np.isfinite(threshold):
        if hi_lines:
            text = " #linebreak() ".join(escape_markup(x) for x in hi_lines)
            # its foot at the height (a block of room for three lines, its words at its foot)
            room = 3 * line_height(8)
            body.append(f"place(top + left, dx: {1.01 * width:.2f}pt, dy: "
                        f"{height - min(threshold + 2, top - 2) * scale - room:.2f}pt, block("
                        f"width: {side + 4:.2f}pt, height: {room:.2f}pt, align(left + bottom, "
                        f"text(size: 8pt)[{text}])))")
        if lo_need:
            body.append(f"place(top + left, dx: {1.01 * width:.2f}pt, dy: "
                        f"{height - max(threshold - 2, 2) * scale:.2f}pt, block(width: "
                        f"{side + 4:.2f}pt, {_typst_text(lo_need, 8)}))")
    # the legend shows the hollow marker of each grade drawn hollow, in the upper right
    hollow_marks = list(dict.fromkeys(
        GRADE_MARKERS.get(g, "o") for g in order
        if layout.points.loc[layout.points["grade"] == g, "near"].astype(bool).any()))
    obstacles = None
    legend = ""
    if near_label and hollow_marks:
        k = len(hollow_marks)
        pad, handles, gap = 3.2, 9.6 * k, 6.4  # matplotlib's, in points at 8 pt type
        lw = 2 * pad + handles + gap + text_width(near_label, 8) + 3.0
        lh = 2 * pad + line_height(8)
        lx0, ly0 = width - 4.0 - lw, 4.0
        sub = (handles - 2.4 * (k - 1)) / k
        handle_marks = "; ".join(
            _typst_grade_marker(m, 6.0, i * (sub + 2.4) + sub / 2, line_height(8) / 2,
                                "white", 1.0) for i, m in enumerate(hollow_marks))
        legend = (f"place(top + left, dx: {lx0:.2f}pt, dy: {ly0:.2f}pt, block(width: "
                  f"{lw:.2f}pt, height: {lh:.2f}pt, inset: {pad}pt, stack(dir: ltr, "
                  f"spacing: {gap}pt, block(width: {handles:.2f}pt, height: 100%, "
                  f"{{ {handle_marks} }}), align(horizon, {_typst_text(near_label, 8)}))))")
        obstacles = np.array([[lx0, height - ly0 - lh, lx0 + lw, height - ly0]])
    if any(d[4] for d in drawn):
        body += _typst_point_labels(drawn, width, height, obstacles,
                                    (side_pt + 0.9) / 2 + 0.2, rules=(threshold * scale,))
    if legend:
        body.append(legend)
    xticks = []
    for j, g in enumerate(order):
        x = x_of(j)
        xticks.append((x, f"@place(top + left, dx: {x - 0.5 * column:.2f}pt, dy: "
                          f"{height + 5:.2f}pt, block(width: {column:.2f}pt, align(center, "
                          f"{_typst_text(str(grade_labels.get(g, g)), 10)})))"))
    axes = _typst_axes(width, height, xticks, yticks, body, xlabel=xlabel, ylabel=ylabel)
    # room above for the top tick's label, half of which stands above the plot (the
    # notebook's SVG, a page of the chart's own size, cut it in half)
    return (f"#block(width: {WIDTH * 72:.1f}pt, inset: (top: 7pt), breakable: false)["
            f"#set text(size: 10pt)\n#{axes}]")


def _typst_point_labels(drawn: Sequence[tuple[float, float, float, float, str, bool]],
                        width: float, height: float, obstacles: np.ndarray | None,
                        marker: float, rules: Sequence[float] = ()) -> list[str]:
    """Return Typst code writing each point's label near it (:func:`place_labels`).

    As :func:`_label_points` does in matplotlib: ``drawn`` holds every point drawn, ``(x, y,
    interval low, interval high, label, prefers its left)`` in points from the plot's bottom
    left (an empty label for none); each label on a white ground, joined to its point by a
    thin line where it is apart from it. ``obstacles``: boxes no label may cover (the legend),
    in the same units; ``marker``: half a marker's side; ``rules``: heights of lines across
    the plot (the need threshold) a label covers only as it would an error bar.
    """
    from abcresearch.reports.render.fonts import line_height, text_width
    from abcresearch.reports.render.typst import escape_markup

    size, pad = NEED_LABEL_SIZE, NEED_LABEL_PAD
    tall = line_height(size)
    widths = np.array([text_width(d[4], size) if d[4] else 0.0 for d in drawn])
    # with the white ground, and half a point to spare
    sizes = np.column_stack([np.where(widths > 0, widths + 2 * pad + 0.5, 0.0),
                             np.full(len(drawn), tall + 2 * pad + 0.5)])
    centres = np.array([(d[0], d[1]) for d in drawn], dtype=float)
    cap = 2.5  # half the error bar's cap, with half a point to spare
    bars = np.array([(d[0] - cap, d[2], d[0] + cap, d[3]) for d in drawn]
                    + _rule_boxes(rules, 0.0, width), dtype=float)
    boxes, moved = place_labels(centres, sizes, bounds=(1.0, 1.0, width - 1.0, height - 1.0),
                                marker=marker, obstacles=obstacles, bars=bars,
                                prefer_left=[d[5] for d in drawn])
    lines, labels = [], []
    for k, d in enumerate(drawn):
        if not d[4]:
            continue
        cx, cy = (boxes[k, 0] + boxes[k, 2]) / 2, height - (boxes[k, 1] + boxes[k, 3]) / 2
        gw, gh = widths[k] + 2 * pad, tall + 2 * pad  # the white ground
        if moved[k]:
            # from the marker's edge towards the label's centre, to the white ground's edge
            px, py = d[0], height - d[1]
            dx, dy = cx - px, cy - py
            dist = float(np.hypot(dx, dy))
            reach = min(gw / 2 / abs(dx) if dx else np.inf, gh / 2 / abs(dy) if dy else np.inf)
            end = dist * (1.0 - min(reach, 1.0))
            if end > marker:
                ux, uy = dx / dist, dy / dist
                lines.append(f"place(top + left, line(start: ({px + ux * marker:.2f}pt, "
                             f"{py + uy * marker:.2f}pt), end: ({px + ux * end:.2f}pt, "
                             f"{py + uy * end:.2f}pt), stroke: 0.5pt + rgb(\"#757575\")))")
        # the words in a block wider than they are: a fixed width a little short would wrap
        # them
        room = widths[k] + 40.0
        labels.append(f"place(top + left, dx: {cx - gw / 2:.2f}pt, dy: {cy - gh / 2:.2f}pt, "
                      f"rect(width: {gw:.2f}pt, height: {gh:.2f}pt, fill: white."
                      f"transparentize(15%), stroke: none))")
        labels.append(f"place(top + left, dx: {cx - room / 2:.2f}pt, dy: {cy - gh / 2:.2f}pt, "
                      f"block(width: {room:.2f}pt, height: {gh:.2f}pt, align(center + horizon, "
                      f"text(size: {size}pt, top-edge: \"ascender\", bottom-edge: "
                      f"\"descender\")[{escape_markup(d[4])}])))")
    return lines + labels


@dataclass(frozen=True)
class _NeedLayout:
    """What :func:`need_readiness_chart` and its Typst twin draw, before any drawing.

    ``points``: the rows drawn (a grade of the chart, an estimate); ``top``: the need axis'
    end; ``size``: a marker's area in square points; ``crowded``: a column holds a crowd;
    ``columns``: per grade drawn, left to right, its rows sorted by need, their sideways
    offsets (in columns) and their error bars ``(2, m)`` (below, above; never negative).
    """

    points: pd.DataFrame
    top: float
    size: float
    crowded: bool
    columns: list[tuple[str, pd.DataFrame, np.ndarray, np.ndarray]]


def _need_top(points: pd.DataFrame, order: Sequence[str], threshold: float) -> float:
    """Return the end of the need x readiness chart's need axis."""
    pts = points[points["grade"].isin(order) & points["estimate"].notna()]
    # the need axis up to the highest interval and some room for the legend above it, not to
    # 100 where every area sits under 60 (a provincial committee's review: half the plot empty)
    highest = float(pd.concat([pts["ci_high"], pts["estimate"]]).astype(float).max())
    return 100.0 if not np.isfinite(highest) else float(
        min(100.0, max(threshold + 20.0, 10.0 * np.ceil((highest + 15.0) / 10.0))))


def _need_layout(points: pd.DataFrame, order: Sequence[str], threshold: float,
                 width_pt: float, height_pt: float) -> _NeedLayout:
    """Lay the need x readiness chart's points out in axes ``width_pt`` x ``height_pt``."""
    pts = points[points["grade"].isin(order) & points["estimate"].notna()]
    most = int(pts["grade"].value_counts().max()) if len(pts) else 0
    crowded = most > CROWDED_COLUMN
    # a crowd (a province's tambons): smaller markers, one size for the chart, in a swarm
    size = 46.0 * max(0.4, np.sqrt(CROWDED_COLUMN / most)) if crowded else 46.0
    top = _need_top(points, order, threshold)
    x_pt = width_pt / (len(order) + 0.2)  # points a column
    y_pt = height_pt / top  # points a need point
    columns = []
    for g in order:
        col = pts[pts["grade"] == g].sort_values("estimate", kind="stable")
        m = len(col)
        off: np.ndarray
        if m > CROWDED_COLUMN:
            # side by side only where their markers would touch, centred, within +-0.45
            off = _swarm(col["estimate"].to_numpy(dtype=float) * y_pt, np.sqrt(size) + 1.0,
                         0.45 * x_pt) / x_pt
        elif m <= 7:
            # spread sideways by rank of need, centred, within +-0.3, so neighbours in need
            # are apart
            off = (np.arange(m) - (m - 1) / 2) * 0.1
        else:
            # seven steps repeating, a point moved to the nearest step whose points' error bars
            # its own would not run into (two tambons' bars drawn one over the other at the
            # same place: a reader review)
            half = (np.sqrt(size) / 2 + 1.0) / y_pt  # a marker's half side, in need points
            off = _steps_clear_of_bars(col["estimate"].to_numpy(dtype=float),
                                       col["ci_low"].to_numpy(dtype=float),
                                       col["ci_high"].to_numpy(dtype=float), half)
        err = np.vstack([col["estimate"] - col["ci_low"], col["ci_high"] - col["estimate"]])
        # a village surveyed in full has a collapsed interval [p, p]: rounding can leave -1e-15
        err = np.clip(np.nan_to_num(err), 0.0, None)
        columns.append((g, col, off, err))
    return _NeedLayout(pts, top, size, crowded, columns)


def _steps_clear_of_bars(y: np.ndarray, low: np.ndarray, high: np.ndarray, half: float,
                         steps: int = 7, step: float = 0.09) -> np.ndarray:
    """Return sideways offsets (in columns) of points in rank order on ``steps`` steps.

    Point ``i`` takes step ``i % steps`` (centred, ``step`` apart: neighbours in need are
    apart), or, where a point already on that step spans heights its own span meets (its
    error bar, or its marker, ``half`` either side of ``y``), the nearest step where none
    does; where every step has one, the step where they meet over the least height (the
    nearest of those). Deterministic.
    """
    lo = np.fmin(np.where(np.isnan(low), y, low), y - half)
    hi = np.fmax(np.where(np.isnan(high), y, high), y + half)
    taken: list[list[int]] = [[] for _ in range(steps)]
    out = np.zeros(len(y))
    for i in range(len(y)):
        own = i % steps

        def met(k: int, i: int = i) -> float:  # the height its span shares with step k's
            return float(sum(max(0.0, min(hi[j], hi[i]) - max(lo[j], lo[i]))
                             for j in taken[k]))

        k = min(range(steps), key=lambda k: (met(k), abs(k - own), k))
        taken[k].append(i)
        out[i] = (k - (steps - 1) / 2) * step
    return out


def _swarm(y: np.ndarray, width: float, half: float) -> np.ndarray:
    """Return sideways offsets putting markers ``width`` wide at heights ``y`` apart.

    Each marker, in the order given, takes the offset nearest the centre (0, then
    ``+width``, ``-width``, ...) within ``half`` where no marker placed before it is within
    ``width`` both across and up; where none is free, the one furthest from its neighbours.
    ``y``, ``width`` and ``half`` are in one unit (points). Deterministic.
    """
    k = np.arange(1, int(half // width) + 1)
    slots = np.concatenate([[0.0], np.column_stack([k, -k]).ravel() * width])
    out = np.zeros(len(y))
    for i in range(1, len(y)):
        near = np.abs(y[:i] - y[i]) < width
        if not near.any():
            continue
        gap = np.abs(slots[:, None] - out[:i][near][None, :]).min(axis=1)
        free = np.flatnonzero(gap >= width - 1e-9)
        out[i] = slots[free[0]] if len(free) else slots[int(np.argmax(gap))]
    return out


def _rule_boxes(heights: Sequence[float], x0: float, x1: float) -> list[tuple[float, ...]]:
    """Boxes of lines across a plot at ``heights`` (points), for :func:`place_labels`' ``bars``.

    A label set on the need threshold's dashed line hid a stretch of it on its white ground,
    and read as on either side (a reader review): covering the line costs as an error bar
    does, so a label takes a place off it where one is near.
    """
    half = 0.75  # half the dashed line's width (1 pt), with a quarter point to spare
    return [(x0, h - half, x1, h + half) for h in heights if np.isfinite(h)]


def _label_points(ax: Any, drawn: Sequence[tuple[float, float, float, float, str, bool]],
                  marker: float = MARKER_HALF_PT, rules: Sequence[float] = ()) -> None:
    """Write each point's label near it, covering no marker, label or legend (:func:`place_labels`).

    ``drawn`` holds every point drawn: ``(x, y, interval low, interval high, label, prefers
    its left)`` in data units, an empty label for none. The places are worked out in points
    from the axes as laid out now (a figure of one's own is laid out before the call); each
    label is set at its offset in points from its point, on a white ground, and joined to it
    by a thin line where it is apart from it. ``marker`` is half a marker's side, in points;
    ``rules`` the heights (data units) of lines across the axes a label covers only as it
    would an error bar.
    """
    from matplotlib.text import Text

    fig = ax.figure
    renderer = _renderer(fig)
    scale = 72.0 / fig.dpi  # display units -> points
    xy = np.array([(d[0], d[1]) for d in drawn], dtype=float)
    centres = ax.transData.transform(xy) * scale
    size = 7.0
    pad = 0.4  # the label's white box, points around the text
    sizes = np.zeros((len(drawn), 2))
    for k, d in enumerate(drawn):
        if d[4]:
            probe = Text(text=d[4], fontsize=size)
            probe.set_figure(fig)
            box = probe.get_window_extent(renderer)
            # with its white box, and half a point to spare (the SVG is drawn at 72 dpi)
            sizes[k] = (box.width * scale + 2 * pad + 0.5, box.height * scale + 2 * pad + 0.5)
    lows = ax.transData.transform(np.column_stack([xy[:, 0], [d[2] for d in drawn]])) * scale
    highs = ax.transData.transform(np.column_stack([xy[:, 0], [d[3] for d in drawn]])) * scale
    cap = 2.5  # half the error bar's cap, in points, with half a point to spare
    bars = np.column_stack([lows[:, 0] - cap, lows[:, 1], highs[:, 0] + cap, highs[:, 1]])
    frame = ax.get_window_extent(renderer)
    across = [float(ax.transData.transform((0.0, h))[1] * scale) for h in rules]
    bars = np.vstack([bars, np.array(_rule_boxes(across, frame.x0 * scale, frame.x1 * scale)
                                     ).reshape(-1, 4)])
    bounds = (frame.x0 * scale + 1, frame.y0 * scale + 1, frame.x1 * scale - 1,
              frame.y1 * scale - 1)
    legend = ax.get_legend()
    obstacles = None
    if legend is not None:
        lb = legend.get_window_extent(renderer)
        obstacles = np.array([[lb.x0, lb.y0, lb.x1, lb.y1]]) * scale
    boxes, moved = place_labels(centres, sizes, bounds=bounds, marker=marker, obstacles=obstacles,
                                bars=bars, prefer_left=[d[5] for d in drawn])
    for k, d in enumerate(drawn):
        if not d[4]:
            continue
        cx = (boxes[k, 0] + boxes[k, 2]) / 2 - centres[k, 0]
        cy = (boxes[k, 1] + boxes[k, 3]) / 2 - centres[k, 1]
        # on a white ground above the points and bars: a neighbour's error bar crossed a name
        # ("หมู่ที่ 1" under หมู่ที่ 2's bar) where nothing else was free
        ax.annotate(d[4], (d[0], d[1]), xytext=(cx, cy), textcoords="offset points",
                    fontsize=size, ha="center", va="center", zorder=4,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": pad, "alpha": 0.85},
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#757575",
                                "shrinkA": 0, "shrinkB": marker} if moved[k] else None)
