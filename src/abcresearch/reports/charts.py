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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "COMPARISON_STYLES",
    "GRADE_COLOURS",
    "GRADE_MARKERS",
    "NO_DATA_COLOUR",
    "apply_style",
    "capital_profile_chart",
    "contribution_chart",
    "grade_boundary_map",
    "grade_legend",
    "grade_tile_map",
    "income_chart",
    "income_histogram",
    "levels_chart",
    "lorenz_chart",
    "need_readiness_chart",
]

#: Colours of the grades (A strong ... C weakest), also used by the index page.
GRADE_COLOURS = {"A": "#2e7d32", "B": "#f9a825", "C": "#c62828"}
#: Colour of an area without data on a map.
NO_DATA_COLOUR = "#e0e0e0"
#: Colours of the overall levels 1, 2, 3 and "not scored", in the order of the columns drawn.
LEVEL_COLOURS = ("#c62828", "#f9a825", "#2e7d32", "#9e9e9e")
#: Bar colour of the area's own estimates in the capital profile.
AREA_COLOUR = "#2e7d32"
#: Marker styles of the comparison areas in the capital profile, by comparison id; other ids
#: take :data:`EXTRA_COMPARISON_STYLES` in turn.
COMPARISON_STYLES: dict[str, dict[str, Any]] = {
    "amphoe": {"marker": "D", "color": "#f9a825", "zorder": 3, "s": 28},
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
#: Width of report figures in inches (the text width of the PDF page).
WIDTH = 7.2


def apply_style() -> None:
    """Register the Thai font with matplotlib and make it the default (the one place fonts are
    set for report charts; see :func:`abcresearch.reports.render.fonts.use_thai_font`)."""
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


def levels_chart(shares: pd.DataFrame, ax: Any = None) -> Any:
    """Draw stacked bars of the share of households at each level, one bar per area.

    Parameters
    ----------
    shares : pandas.DataFrame
        Percentages; index = area names (top to bottom), columns = level names (legend, in
        the order of :data:`LEVEL_COLOURS`). NaN (hidden) is drawn as nothing.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure sized for the number of areas).

    Returns
    -------
    matplotlib.axes.Axes
    """
    n = len(shares)
    ax, _ = _axes(ax, (WIDTH, max(2.0, 0.32 * n + 1.0)))
    left = np.zeros(n)
    y = np.arange(n)[::-1]
    for j, col in enumerate(shares.columns):
        vals = shares[col].fillna(0).to_numpy()
        ax.barh(y, vals, left=left, color=LEVEL_COLOURS[j % len(LEVEL_COLOURS)], label=col,
                height=0.7)
        left += vals
    ax.set_yticks(y, [str(i) for i in shares.index], fontsize=8)
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%")
    ax.legend(ncol=4, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    _plain_spines(ax)
    return ax


def contribution_chart(contributions: pd.Series, *, xlabel: str = "", ax: Any = None) -> Any:
    """Draw each capital's contribution to M0 as horizontal bars, largest at the top.

    Parameters
    ----------
    contributions : pandas.Series
        Percent of M0 by capital name (NaN is drawn as 0).
    xlabel : str
        Axis title.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax, _ = _axes(ax, (WIDTH, 2.8))
    c = contributions.fillna(0).sort_values()
    ax.barh([str(i) for i in c.index], c.to_numpy(), color=CONTRIBUTION_COLOUR)
    ax.set_xlabel(xlabel)
    _plain_spines(ax)
    return ax


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
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if line is not None:
        ax.axvline(line, color=POVERTY_LINE_COLOUR, lw=1.5)
    _plain_spines(ax)
    return ax


def lorenz_chart(pop_share: Sequence[float] | None, income_share: Sequence[float] | None, *,
                 xlabel: str = "", ylabel: str = "", ax: Any = None) -> Any:
    """Draw a Lorenz curve with the line of equality.

    Parameters
    ----------
    pop_share, income_share : array-like or None
        Points of the curve (None: only the line of equality).
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
        ax.plot(pop_share, income_share, color=INCOME_COLOUR)
    ax.plot([0, 1], [0, 1], color="#9e9e9e", lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _plain_spines(ax)
    return ax


def income_chart(histogram: Mapping[str, Any], lorenz: Mapping[str, Any],
                 axes: Sequence[Any] | None = None) -> Any:
    """Draw the income histogram and the Lorenz curve side by side.

    Parameters
    ----------
    histogram, lorenz : mapping
        Keyword arguments of :func:`income_histogram` and :func:`lorenz_chart` (without ``ax``).
    axes : pair of matplotlib.axes.Axes, optional
        Where to draw (default: a new figure with two panels).

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(WIDTH, 2.9))
        fig.subplots_adjust(wspace=0.3)
    ax1, ax2 = axes
    income_histogram(ax=ax1, **histogram)
    lorenz_chart(ax=ax2, **lorenz)
    return ax1.figure


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

    handles = [Patch(color=c, label=grade_labels[g]) for g, c in GRADE_COLOURS.items()]
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


#: Marker of each readiness grade in the need x readiness chart: a shape per grade, so that the
#: chart reads in black and white (colour only repeats it).
GRADE_MARKERS = {"A": "o", "B": "s", "C": "^"}


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
    pts = points[points["grade"].isin(order) & points["estimate"].notna()]
    for j, g in enumerate(order):
        col = pts[pts["grade"] == g].sort_values("estimate")
        m = len(col)
        # spread sideways by rank of need, centred, within +-0.3 (a repeating 7-step pattern
        # when there are many points), so neighbours in need are apart
        off = ((np.arange(m) - (m - 1) / 2) * 0.1 if m <= 7
               else (np.arange(m) % 7 - 3) * 0.09)
        x = j + off
        err = np.vstack([col["estimate"] - col["ci_low"], col["ci_high"] - col["estimate"]])
        ax.errorbar(x, col["estimate"], yerr=np.nan_to_num(err), fmt="none", ecolor="#616161",
                    elinewidth=0.8, capsize=2, zorder=2)
        near = col["near"].astype(bool).to_numpy()
        for hollow in (False, True):
            sel = near == hollow
            if sel.any():
                ax.scatter(x[sel], col["estimate"].to_numpy()[sel],
                           marker=GRADE_MARKERS.get(g, "o"), s=46, edgecolors="black",
                           linewidths=0.9, zorder=3,
                           facecolors="white" if hollow else GRADE_COLOURS.get(g, "#9e9e9e"))
        if "label" in col:
            for xi, yi, text in zip(x, col["estimate"], col["label"], strict=True):
                if isinstance(text, str) and text:
                    ax.annotate(text, (xi, yi), xytext=(5, 0), textcoords="offset points",
                                fontsize=7, va="center")
    ax.axhline(threshold, color="black", ls="--", lw=1, zorder=1)
    ax.set_ylim(0, 100)
    ax.set_xlim(-0.6, len(order) - 0.4)
    ax.set_xticks(range(len(order)), [grade_labels.get(g, g) for g in order])
    # the need classes beside the axes on the right, where no point can hide them
    hi, lo = need_labels
    hi = "\n".join(x for x in (hi, threshold_label) if x)
    side = ax.get_yaxis_transform()
    if hi:
        ax.text(1.01, min(threshold + 2, 98), hi, transform=side, ha="left", va="bottom",
                fontsize=8)
    if lo:
        ax.text(1.01, max(threshold - 2, 2), lo, transform=side, ha="left", va="top",
                fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if near_label:
        from matplotlib.lines import Line2D

        ax.legend(handles=[Line2D([], [], marker="o", ls="none", markerfacecolor="white",
                                  markeredgecolor="black", label=near_label)],
                  loc="upper right", frameon=False, fontsize=8)
    _plain_spines(ax)
    if made:
        ax.figure.tight_layout()
    return ax
