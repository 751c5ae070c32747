"""Report charts: public functions that draw given numbers on a given Axes (or a new figure)."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from abcresearch.reports import charts

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _profile() -> pd.DataFrame:
    return pd.DataFrame({"estimate": [60.0, np.nan, 40.0], "ci_low": [55.0, np.nan, 35.0],
                         "ci_high": [65.0, np.nan, 45.0], "amphoe": [58.0, 50.0, 42.0],
                         "province": [57.0, 49.0, 41.0], "8016": [10.0, 20.0, 30.0]},
                        index=["ทุนมนุษย์", "ทุนเงินตรา", "ทุนภูมิปัญญา"])


def test_fonts_are_set_in_one_place() -> None:
    charts.apply_style()
    assert plt.rcParams["font.sans-serif"][0] == "Noto Sans Thai"
    assert plt.rcParams["svg.fonttype"] == "path"


def test_capital_profile_draws_on_the_given_axes() -> None:
    fig, ax = plt.subplots()
    out = charts.capital_profile_chart(_profile(), comparisons={"amphoe": "อำเภอ",
                                                                "8016": "หัวไทร"},
                                       area_label="พื้นที่นี้", xlabel="คะแนน", ax=ax)
    assert out is ax and len(fig.axes) == 1
    widths = [p.get_width() for p in ax.patches]
    assert widths[0] == 60.0 and np.isnan(widths[1]) and widths[2] == 40.0  # hidden: no bar
    assert [t.get_text() for t in ax.get_yticklabels()] == list(_profile().index)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(legend) == sorted(["พื้นที่นี้", "อำเภอ", "หัวไทร"])
    # the amphoe keeps its diamond; another area takes a style of its own
    from matplotlib.collections import PathCollection

    markers = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(markers) == 2
    assert markers[0].get_facecolor()[0][:3] == pytest.approx(
        matplotlib.colors.to_rgb(charts.COMPARISON_STYLES["amphoe"]["color"]))
    assert markers[1].get_facecolor()[0][:3] == pytest.approx(
        matplotlib.colors.to_rgb(charts.EXTRA_COMPARISON_STYLES[0]["color"]))
    assert ax.get_xlabel() == "คะแนน" and ax.get_xlim() == (0, 100)


def test_capital_profile_makes_a_figure_without_ax() -> None:
    before = len(plt.get_fignums())
    ax = charts.capital_profile_chart(_profile())
    assert len(plt.get_fignums()) == before + 1
    assert tuple(ax.figure.get_size_inches()) == pytest.approx((charts.WIDTH, 3.6))


def test_levels_chart_bars_reach_100_with_hidden_parts_hatched() -> None:
    shares = pd.DataFrame({"ระดับ 1": [20.0, np.nan], "ระดับ 2": [50.0, 60.0],
                           "ระดับ 3": [30.0, np.nan]}, index=["บ้านก", "บ้านข"])
    fig, ax = plt.subplots()
    assert charts.levels_chart(shares, ax=ax, hidden_label="ไม่แสดง") is ax
    bars = ax.patches
    # three level columns, one area after the other (top area first), then the hidden part
    assert len(bars) == 8
    assert [b.get_width() for b in bars[:6]] == [20.0, 0.0, 50.0, 60.0, 30.0, 0.0]
    assert [b.get_x() for b in bars[2:4]] == [20.0, 0.0]  # stacked on what is left of them
    hidden = bars[6:]
    assert [b.get_width() for b in hidden] == [0.0, 40.0]  # the rest of 100% of บ้านข
    assert [b.get_x() + b.get_width() for b in hidden] == [100.0, 100.0]
    assert all(b.get_hatch() for b in hidden)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [*shares.columns, "ไม่แสดง"]


def test_levels_chart_draws_levels_shown_together_in_place_of_their_hidden_parts() -> None:
    shares = pd.DataFrame({"ระดับ 1": [53.0, 20.0], "ระดับ 2": [np.nan, np.nan],
                           "ระดับ 3": [np.nan, np.nan], "ไม่ครบ": [0.0, np.nan]},
                          index=["บ้านก", "บ้านข"])
    joined = pd.Series([47.0, np.nan], index=shares.index, name="ระดับ 2–3 รวมกัน")
    fig, ax = plt.subplots()
    charts.levels_chart(shares, ax=ax, hidden_label="ไม่แสดง", joined=joined)
    bars = ax.patches
    # level 1, the joined segment, levels 2, 3, missing, then the hidden rest; two areas each
    widths = [b.get_width() for b in bars]
    assert widths[:4] == [53.0, 20.0, 47.0, 0.0]  # บ้านข's sum is hidden: nothing drawn
    assert [b.get_x() for b in bars[2:4]] == [53.0, 20.0]
    assert bars[2].get_hatch() == charts.JOINED_HATCH
    hidden = bars[-2:]
    assert [b.get_width() for b in hidden] == [0.0, 80.0]  # only บ้านข keeps a hatched rest
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # "ไม่ครบ" is 0 in the one bar that shows it: no bar draws it, so the legend does not name
    # it (a village's report named "ข้อมูลไม่ครบ" beside its one bar; a reader review)
    assert legend == ["ระดับ 1", "ระดับ 2–3 รวมกัน", "ไม่แสดง"]


def test_levels_chart_legend_names_the_joined_segment_after_the_levels() -> None:
    """"ระดับ 1 · รวมระดับ 2 และ 3 · ระดับ 2 · ระดับ 3" put a total before its parts (a reader
    review): the legend names the levels in order, then the joined segment, then the hidden."""
    shares = pd.DataFrame({"ระดับ 1": [53.0, 20.0], "ระดับ 2": [np.nan, 50.0],
                           "ระดับ 3": [np.nan, 30.0]}, index=["บ้านก", "บ้านข"])
    joined = pd.Series([47.0, 80.0], index=shares.index, name="ระดับ 2–3 รวมกัน")
    fig, ax = plt.subplots()
    charts.levels_chart(shares, ax=ax, hidden_label="ไม่แสดง", joined=joined)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["ระดับ 1", "ระดับ 2", "ระดับ 3", "ระดับ 2–3 รวมกัน"]


def test_levels_chart_scales_rounded_shares_to_100_when_nothing_is_hidden() -> None:
    shares = pd.DataFrame({"1": [33.0], "2": [33.0], "3": [33.0]}, index=["ก"])
    fig, ax = plt.subplots()
    charts.levels_chart(shares, ax=ax)
    assert len(ax.patches) == 3
    assert sum(b.get_width() for b in ax.patches) == pytest.approx(100.0)


_LEVEL_CASES = {
    "hidden": (pd.DataFrame({"ระดับ 1": [20.0, np.nan], "ระดับ 2": [50.0, 60.0],
                             "ระดับ 3": [30.0, np.nan]}, index=["บ้านก", "บ้านข"]), None),
    "joined": (pd.DataFrame({"ระดับ 1": [53.0, 20.0], "ระดับ 2": [np.nan, np.nan],
                             "ระดับ 3": [np.nan, np.nan], "ไม่ครบ": [0.0, np.nan]},
                            index=["บ้านก", "บ้านข"]),
               pd.Series([47.0, np.nan], index=["บ้านก", "บ้านข"], name="ระดับ 2–3 รวมกัน")),
    "rounded": (pd.DataFrame({"ระดับ 1": [33.0], "ระดับ 2": [33.0], "ระดับ 3": [33.0]},
                             index=["หมู่ที่ 1 บ้านนบเคี่ยม"]), None),
}


def _typst_segments(markup: str) -> list[list[float]]:
    """The widths (%) of the segments the Typst levels chart draws, bar by bar."""
    import re

    return [[float(w) for w in re.findall(r"box\(width: ([\d.]+)%", row)]
            for row in markup.split("stack(dir: ltr, ")[1:]]


@pytest.mark.parametrize("case", list(_LEVEL_CASES))
def test_the_levels_chart_drawn_by_typst_has_the_segments_matplotlib_draws(case: str) -> None:
    """The reports draw the levels chart with Typst's shapes (levels_chart_typst), notebooks
    with matplotlib (levels_chart): both draw the segments of level_series, so each bar has
    the same segments, in the same order, in both."""
    shares, joined = _LEVEL_CASES[case]
    fig, ax = plt.subplots()
    charts.levels_chart(shares, ax=ax, hidden_label="ไม่แสดง", joined=joined)
    n = len(shares)
    # matplotlib's patches: one series after another, each a bar per area, top area first
    drawn = [[b.get_width() for b in ax.patches[i::n] if b.get_width() > 0] for i in range(n)]
    typst = _typst_segments(charts.levels_chart_typst(shares, hidden_label="ไม่แสดง",
                                                      joined=joined))
    assert typst == [pytest.approx(row, abs=1e-4) for row in drawn]
    assert all(sum(row) == pytest.approx(100.0, abs=1e-3) for row in typst if row)
    plt.close(fig)


def _typst_chart_text(markup: str) -> str:
    """The text of a PDF page holding the chart drawn by ``markup`` (through the template)."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output
    from pypdf import PdfReader

    from abcresearch.reports.render.pdf import compile_pdf
    from abcresearch.reports.render.typst import TYPST_MIME, render_notebook
    from abcresearch.reports.results import Figure

    fig = Figure(svg="", caption="ภาพทดสอบ", markup=markup)
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
    nb.cells = [new_code_cell("f", outputs=[new_output("display_data",
                                                       data={TYPST_MIME: fig.typst()})])]
    import io

    reader = PdfReader(io.BytesIO(compile_pdf(render_notebook(nb))))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_levels_chart_drawn_by_typst_writes_its_names_legend_and_axis_as_text() -> None:
    """Drawn by Typst, the chart's words are text in the PDF (matplotlib's were outlines):
    the areas' names, the legend in the matplotlib chart's order (the levels, the joined
    levels, then what is hidden; a level no bar draws is not named) and the axis."""
    shares, joined = _LEVEL_CASES["joined"]
    text = _typst_chart_text(charts.levels_chart_typst(shares, hidden_label="ไม่แสดง",
                                                       joined=joined))
    for word in ("บ้านก", "บ้านข", "0%", "20%", "100%", "ภาพที่ 1: ภาพทดสอบ"):
        assert word in text, word
    legend = [text.index(w) for w in ("ระดับ 1", "ระดับ 2–3 รวมกัน", "ไม่แสดง")]
    assert legend == sorted(legend)
    assert "ไม่ครบ" not in text  # drawn by no bar
    shown, _ = _LEVEL_CASES["rounded"]
    text = _typst_chart_text(charts.levels_chart_typst(shown, hidden_label="ไม่แสดง"))
    assert "ไม่แสดง" not in text  # nothing hidden: no hatched segment to name
    assert "หมู่ที่ 1 บ้านนบเคี่ยม" in text


def test_a_figure_drawn_by_typst_shows_typsts_svg_in_a_notebook() -> None:
    """JupyterLab cannot typeset Typst: a figure drawn by Typst carries Typst's SVG of the
    same markup (image and HTML), and the PDF typesets the markup itself."""
    from abcresearch.reports.render.typst import TYPST_MIME
    from abcresearch.reports.results import Figure

    shares, joined = _LEVEL_CASES["hidden"]
    markup = charts.levels_chart_typst(shares, hidden_label="ไม่แสดง", joined=joined)
    fig = Figure.from_typst(markup, caption="ร้อยละของครัวเรือนตามระดับ", data=shares)
    bundle = fig.bundle()
    assert bundle[TYPST_MIME].startswith("#abc-chart([" + markup + "]")
    assert bundle["image/svg+xml"].lstrip().startswith(("<svg", "<?xml"))
    assert "<path" in bundle["image/svg+xml"] or "<use" in bundle["image/svg+xml"]
    assert bundle["text/html"].startswith("<figure><img src=\"data:image/svg+xml;base64,")
    assert fig.figure is None and fig.data is shares


def test_contribution_chart_sorts_largest_to_the_top() -> None:
    fig, ax = plt.subplots()
    c = pd.Series({"ก": 10.0, "ข": 50.0, "ค": np.nan, "ง": 40.0})
    assert charts.contribution_chart(c, xlabel="ร้อยละของ M0", ax=ax) is ax
    assert [b.get_width() for b in ax.patches][:4] == [0.0, 10.0, 40.0, 50.0]
    assert ax.get_xlabel() == "ร้อยละของ M0"


def test_contribution_chart_hatches_a_hidden_capital_across_the_axis() -> None:
    """A hidden capital is not an empty row at the foot of a chart sorted by size, which read
    as the smallest contribution (a reader review): it is hatched across the axis."""
    fig, ax = plt.subplots()
    c = pd.Series({"ก": 10.0, "ข": 50.0, "ค": np.nan, "ง": 40.0})
    charts.contribution_chart(c, ax=ax, hidden_label="ไม่แสดง")
    hatched = [b for b in ax.patches if b.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_width() == pytest.approx(ax.get_xlim()[1])
    assert ax.get_xlim()[1] >= 50.0
    # faint, with the words in the row: a bar as dark as the others read as the largest
    assert hatched[0].get_linewidth() == 0
    said = [t for t in ax.texts if t.get_text() == "ไม่แสดง"]
    assert len(said) == 1 and said[0].get_position()[1] == "ค"  # in the hidden capital's row
    # nothing hidden (or everything): no band
    fig, ax = plt.subplots()
    charts.contribution_chart(c.fillna(5.0), ax=ax, hidden_label="ไม่แสดง")
    assert not [b for b in ax.patches if b.get_hatch()]


@pytest.mark.parametrize("values", [
    {"ก": 10.0, "ข": 50.0, "ค": np.nan, "ง": 40.0},
    {"ทุนมนุษย์": 4.0, "ทุนเงินตรา": 11.0, "ทุนภูมิปัญญา": 25.0, "ทุนวัฒนธรรม": 19.0},
    {"ก": 0.7, "ข": 0.2},
])
def test_the_contribution_chart_drawn_by_typst_has_matplotlibs_rows_and_ticks(values) -> None:
    """The reports draw the contribution chart with Typst's shapes (contribution_chart_typst),
    notebooks with matplotlib: the same rows top to bottom, the same bar lengths on the same
    axis, and the ticks matplotlib's own locator puts there."""
    import re

    c = pd.Series(values)
    fig, ax = plt.subplots(figsize=(charts.WIDTH, 2.8))
    charts.contribution_chart(c, ax=ax, hidden_label="ไม่แสดง")
    fig.canvas.draw()
    low, high = ax.get_xlim()
    mpl_ticks = [f"{t:g}" for t in ax.get_xticks() if low - 1e-9 <= t <= high + 1e-9]
    markup = charts.contribution_chart_typst(c, hidden_label="ไม่แสดง")
    assert [t.replace("\\", "") for t in re.findall(r"align\(center\)\[([^\]]*)\]\)\); ",
                                                      markup)] == mpl_ticks
    bar = r"rect\(width: ([\d.]+)%, height: [\d.]+pt, fill: rgb\(\"" + \
        charts.CONTRIBUTION_COLOUR + r"\"\)"
    widths = [float(w) * high / 100 for w in re.findall(bar, markup)]
    shown = c.dropna().sort_values(ascending=False)
    assert widths == pytest.approx(list(shown), abs=1e-3)
    names = [str(label.get_text()) for label in ax.get_yticklabels()][::-1]
    assert [markup.index(f"[{n}]") for n in names] == sorted(markup.index(f"[{n}]")
                                                             for n in names)
    plt.close(fig)
    hidden = c.isna().any()
    assert ("[ไม่แสดง]" in markup) == hidden  # in the hidden capital's row only
    if hidden:
        text = _typst_chart_text(markup)
        assert "ไม่แสดง" in text and "ค" in text


def test_the_capital_profile_drawn_by_typst_has_matplotlibs_bars_intervals_and_markers() -> None:
    """The reports draw the capital profile with Typst's shapes (capital_profile_chart_typst),
    notebooks with matplotlib: the same bars (none for a hidden estimate), intervals and
    comparison markers at the same places on the 0-100 axis, and the legend's names as text."""
    import re

    profile = _profile()
    comparisons = {"amphoe": "อำเภอ", "province": "จังหวัด", "8016": "หัวไทร"}
    fig, ax = plt.subplots()
    charts.capital_profile_chart(profile, comparisons=comparisons, area_label="พื้นที่นี้", ax=ax)
    bars = [b.get_width() for b in ax.patches if np.isfinite(b.get_width())]
    markers = {text: [tuple(p) for p in c.get_offsets()] for c, text
               in zip(ax.collections[-3:], comparisons.values(), strict=True)}
    plt.close(fig)
    markup = charts.capital_profile_chart_typst(profile, comparisons=comparisons,
                                                area_label="พื้นที่นี้", xlabel="คะแนน")
    plot = markup.split("block(width: 100%, height: 18pt")[0]  # the rows, not axis nor legend
    rows = plot.split("place(left + horizon, dx: -3.5pt")[1:]
    assert len(rows) == len(profile)
    drawn = [float(w) for row in rows for w in re.findall(r"rect\(width: ([\d.]+)%", row)]
    assert drawn == pytest.approx([w for w in bars if w > 0])  # no bar for the hidden one
    # the interval from ci_low to ci_high, in the rows with an estimate
    spans = [re.findall(r"dx: ([\d.]+)%, line\(length: ([\d.]+)%", row) for row in rows]
    assert [[(float(a), float(a) + float(b)) for a, b in sp] for sp in spans] == \
        [[(55.0, 65.0)], [], [(35.0, 45.0)]]
    # each comparison's marker in every row, where matplotlib put it (x; top row first)
    for k, row in enumerate(rows):
        xs = [float(x) for x in re.findall(r"dx: ([\d.]+)%(?: - [\d.]+pt)?, (?:polygon|"
                                           r"circle|square|line\(length: [\d.]+pt, angle: "
                                           r"90deg, stroke: [\d.]+pt \+ rgb)", row)]
        expected = [pts[k][0] for pts in markers.values()]  # offsets top row first
        assert sorted(xs) == pytest.approx(sorted(expected)), k
    text = _typst_chart_text(markup)
    for word in ("ทุนมนุษย์", "ทุนเงินตรา", "พื้นที่นี้", "อำเภอ", "จังหวัด", "หัวไทร", "คะแนน",
                 "100"):
        assert word in text, word


def test_the_districts_marker_is_drawn_over_the_provinces_line_where_they_are_equal() -> None:
    """Where a capital's district mean equals the province's, the province's line hid the
    district's diamond (a reader review): the diamond is drawn after the line, edged in white,
    by Typst as by matplotlib (its zorder)."""
    profile = _profile()
    profile["amphoe"] = profile["province"]
    # in the reports' order: the district first
    markup = charts.capital_profile_chart_typst(profile, comparisons={"amphoe": "อำเภอ",
                                                                     "province": "จังหวัด"})
    plot = markup.split("block(width: 100%, height: 18pt")[0]
    rows = plot.split("place(left + horizon, dx: -3.5pt")[1:]
    for row in rows:
        line, diamond = row.find("angle: 90deg, stroke: 2.5pt"), row.find("polygon(")
        assert 0 <= line < diamond, row
        assert "stroke: 0.60pt + white" in row[diamond:]
    fig, ax = plt.subplots()
    charts.capital_profile_chart(profile, comparisons={"amphoe": "อำเภอ", "province": "จังหวัด"},
                                 ax=ax)
    amphoe, province = ax.collections[-2:]
    assert amphoe.get_zorder() > province.get_zorder()
    plt.close(fig)


def test_income_panels_on_given_axes() -> None:
    fig, (a1, a2) = plt.subplots(1, 2)
    edges = np.array([1000.0, 10000.0, 100000.0])
    out = charts.income_chart({"edges": edges, "weights": np.array([5.0, 0.0]), "line": 30000.0,
                               "xlabel": "บาท", "ylabel": "ครัวเรือน"},
                              {"pop_share": [0, 0.5, 1], "income_share": [0, 0.2, 1]},
                              axes=(a1, a2))
    assert out is fig
    assert a1.get_xscale() == "log" and len(a1.patches) == 2
    assert a1.lines[-1].get_xdata()[0] == 30000.0  # the poverty line
    assert len(a2.lines) == 2  # curve and line of equality


def test_income_histogram_without_bars_when_too_few_households() -> None:
    fig, ax = plt.subplots()
    assert charts.income_histogram(None, None, line=None, ax=ax) is ax
    assert not ax.patches and ax.get_xscale() == "linear"
    fig, ax = plt.subplots()
    charts.lorenz_chart(None, None, ax=ax)
    assert len(ax.lines) == 1


def test_income_chart_without_axes_makes_two_panels() -> None:
    fig = charts.income_chart({"edges": None, "weights": None}, {"pop_share": None,
                                                                  "income_share": None})
    assert len(fig.axes) == 2


def test_grade_maps_colour_by_grade() -> None:
    labels = {"grade_labels": {"A": "A", "B": "B", "C": "C"}, "no_data_label": "ไม่มีข้อมูล"}
    rows = pd.DataFrame({"code": ["8015", "8016"], "name": ["ขนอม", "หัวไทร"]})
    tiles = pd.DataFrame({"code": ["801501", "801502", "801601"],
                          "parent": ["8015", "8015", "8016"]})
    fig, ax = plt.subplots()
    assert charts.grade_tile_map({"801501": "A", "801601": "C"}, rows, tiles, ax=ax,
                                 **labels) is ax
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours == [charts.GRADE_COLOURS["A"], charts.NO_DATA_COLOUR,
                       charts.GRADE_COLOURS["C"]]
    fig, ax = plt.subplots()
    square = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], dtype=float)
    assert charts.grade_boundary_map([("801501", square), (None, square + 1)], {"801501": "B"},
                                     ax=ax, **labels) is ax
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours == [charts.GRADE_COLOURS["B"], charts.NO_DATA_COLOUR]


def _drawn_need_chart(pts: pd.DataFrame):
    """The need chart of ``pts`` with plain labels, drawn; and its renderer."""
    ax = charts.need_readiness_chart(pts, grade_order=["C", "B", "A"],
                                     grade_labels={"A": "A", "B": "B", "C": "C"},
                                     threshold=40.0, xlabel="x", ylabel="y",
                                     threshold_label="t", need_labels=("hi", "lo"),
                                     near_label="")
    ax.figure.canvas.draw()
    return ax, ax.figure.canvas.get_renderer()


def test_need_readiness_chart_takes_a_village_surveyed_in_full() -> None:
    """A village whose every household was surveyed has the collapsed interval [p, p]; scaled
    to percent, ``p - low`` can come out as -1e-15, which matplotlib refuses as an error bar
    (it failed a tambon report of the demo)."""
    low = 5.4264
    pts = pd.DataFrame({"grade": ["B", "B"], "estimate": [low - 1e-15, 21.3],
                        "ci_low": [low, 16.7], "ci_high": [low, 26.8],
                        "near": [False, False]})
    assert pts.loc[0, "estimate"] < pts.loc[0, "ci_low"]
    ax = charts.need_readiness_chart(pts, grade_order=["C", "B", "A"],
                                     grade_labels={"A": "A", "B": "B", "C": "C"},
                                     threshold=40.0, xlabel="x", ylabel="y",
                                     threshold_label="t", need_labels=("hi", "lo"),
                                     near_label="")
    assert len(ax.collections) >= 2  # the error bars and the points were drawn


def test_need_readiness_labels_of_neighbours_do_not_overlap() -> None:
    """Two villages of one group with the same need: their labels once lay one on the other
    point ("หมู่ 4" over "หมู่ 1" in a demo tambon)."""
    import matplotlib.pyplot as plt

    pts = pd.DataFrame({"grade": ["B", "B", "C"], "estimate": [41.0, 41.2, 51.0],
                        "ci_low": [37.0, 37.0, 47.0], "ci_high": [45.0, 45.0, 55.0],
                        "near": [True, True, False],
                        "label": ["หมู่ 4", "หมู่ 1", "หมู่ 2"]})
    ax, renderer = _drawn_need_chart(pts)
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text().startswith("หมู่")]
    assert len(boxes) == 3
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    # nor does a label lie on another village's point
    points = ax.transData.transform(np.column_stack([
        np.concatenate([c.get_offsets()[:, 0] for c in ax.collections if len(c.get_offsets())
                        and c.get_offsets().shape[1] == 2]),
        np.concatenate([c.get_offsets()[:, 1] for c in ax.collections if len(c.get_offsets())
                        and c.get_offsets().shape[1] == 2])]))
    for box in boxes:
        inside = [box.contains(px, py) for px, py in points]
        assert not any(inside), box
    plt.close(ax.figure)


def test_spread_labels_keeps_them_apart_near_their_points_and_inside_the_axis() -> None:
    ys = [50.0, 50.5, 51.0, 20.0, 99.5, 99.0]
    out = charts.spread_labels(ys, 4.0, 0.0, 100.0)
    ordered = sorted(out)
    assert all(b - a >= 4.0 - 1e-9 for a, b in zip(ordered, ordered[1:], strict=False))
    assert all(0.0 <= y <= 100.0 for y in out)
    assert out[3] == 20.0  # a label with room stays at its point
    # a crowd is centred on its points, in their order
    assert out[0] < out[1] < out[2]
    assert abs(sum(out[:3]) / 3 - sum(ys[:3]) / 3) < 1e-9
    assert out[4] > out[5] and max(out) <= 100.0  # pushed down from the top, order kept
    assert charts.spread_labels([], 4.0, 0.0, 100.0) == []


def test_need_readiness_labels_of_a_crowd_on_one_side_do_not_overlap() -> None:
    """Seven villages of one group with needs within two points (a demo tambon): labels on
    the same side of the group were drawn over each other."""
    n = 7
    pts = pd.DataFrame({"grade": ["B"] * n, "estimate": 40.0 + np.linspace(0, 2, n),
                        "ci_low": [35.0] * n, "ci_high": [47.0] * n, "near": [False] * n,
                        "label": [f"หมู่ {i + 1} บ้านหนองบัว" for i in range(n)]})
    ax, renderer = _drawn_need_chart(pts)
    # the text's own box (an annotation's box also takes in its leader line)
    boxes = [matplotlib.text.Text.get_window_extent(t, renderer) for t in ax.texts
             if t.get_text().startswith("หมู่")]
    assert len(boxes) == n
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize(("lang", "smallest", "share_full"), [("th", 5.0, 0.9), ("en", 3.5, 0.6)])
def test_tile_map_names_are_readable_and_stay_inside_their_tiles(
        lang: str, smallest: float, share_full: float) -> None:
    """The province's tile map: each tambon's name and grade at 6.3 pt (shrunk only when too
    long for its tile), drawn inside its tile, on the hatched grade C too. Romanised names are
    longer: the English edition shrinks more of them."""
    from abcresearch.survey.areas import amphoes, tambons

    amph, tam = amphoes("80"), tambons("80")
    rows = pd.DataFrame({"code": amph["code"], "name": amph[f"name_{lang}"]})
    names = dict(zip(tam["code"], tam[f"name_{lang}"], strict=True))
    grades = dict.fromkeys(tam["code"], "C")
    ax = charts.grade_tiles(grades, rows, tam, names=names,
                            grade_labels={"A": "A", "B": "B", "C": "C"}, no_data_label="-")
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    tiles = [p for p in ax.patches if p.get_width() == pytest.approx(0.94)]
    labels = [t for t in ax.texts if t.get_text().endswith(" C")]
    assert len(tiles) == len(labels) == len(tam)
    full = 0
    for tile, label in zip(tiles, labels, strict=True):
        box = tile.get_window_extent(renderer)
        text = label.get_window_extent(renderer)
        assert box.x0 <= text.x0 and text.x1 <= box.x1, label.get_text()
        assert box.y0 <= text.y0 and text.y1 <= box.y1, label.get_text()
        assert smallest <= label.get_fontsize() <= charts.TILE_FONT_SIZE, label.get_text()
        full += label.get_fontsize() == charts.TILE_FONT_SIZE
    assert full >= share_full * len(tam), full  # most names at full size


@pytest.mark.parametrize(("lang", "smallest", "share_full"), [("th", 5.0, 0.9), ("en", 3.3, 0.6)])
def test_the_tile_map_drawn_by_typst_fits_each_name_in_its_tile(
        lang: str, smallest: float, share_full: float) -> None:
    """The province's tile map drawn by Typst: matplotlib's lines (an amphoe's name on its
    first), one tile per tambon in its grade's colour and hatching, each name and grade at
    6.3 pt or shrunk to nine tenths of its tile (measured in the font), a bar of high need
    under the name, above it; the names are text in the PDF. (The longest romanised name,
    "Pak Phanang Fang Tawan Tok", over a bar: 3.36 pt, as small as on matplotlib's map.)"""
    import re

    from abcresearch.reports.render.fonts import text_width
    from abcresearch.survey.areas import amphoes, tambons

    amph, tam = amphoes("80"), tambons("80")
    rows = pd.DataFrame({"code": amph["code"], "name": amph[f"name_{lang}"]})
    names = dict(zip(tam["code"], tam[f"name_{lang}"], strict=True))
    grades = dict(zip(tam["code"], ["C", "B", "A", ""] * len(tam), strict=False))
    high = set(tam["code"].iloc[::3])
    kwargs = {"names": names, "grade_labels": {"A": "กลุ่ม A", "B": "กลุ่ม B", "C": "กลุ่ม C"},
              "no_data_label": "ไม่มีข้อมูล", "high_need": high, "need_label": "ความจำเป็นสูง"}
    markup = charts.grade_tiles_typst(grades, rows, tam, **kwargs)
    chunks = re.split(r"place\(top \+ left, dx: [\d.]+pt, dy: [\d.]+pt, box\(", markup)[1:]
    tiles = [re.match(r"width: ([\d.]+)pt, height: ([\d.]+)pt, fill: rgb\(\"(#\w+)\"\), "
                      r"stroke: 0\.3pt \+ white, clip: true, (.*)", c, re.S).groups()
             for c in chunks]
    assert len(tiles) == len(tam)
    ax = charts.grade_tiles(grades, rows, tam, **kwargs)  # matplotlib's map of the same
    assert len(tiles) == len([t for t in ax.texts if t.get_ha() == "center"])
    plt.close(ax.figure)
    full = 0
    for (width, height, fill, body), code in zip(tiles, tam["code"], strict=True):
        g = grades[code]
        assert fill == charts.GRADE_COLOURS.get(g, charts.NO_DATA_COLOUR)
        assert ("tiling(" in body) == (g in ("B", "C"))  # hatched as the grade
        assert ("fill: black, stroke: none" in body) == (code in high)
        size, text = re.search(r"text\(size: ([\d.]+)pt, [^\[]*\)\[([^\]]*)\]", body).groups()
        size = float(size)
        text = re.sub(r"\\(.)", r"\1", text)  # as set (markup escapes "-")
        assert smallest <= size <= charts.TILE_FONT_SIZE, text
        pad = 1.2 if g else 0.0
        for line in text.split(" #linebreak() "):
            assert text_width(line, size) <= 0.9 * float(width) - pad + 1e-6, text
        assert names[code] in text and (text.endswith(f"  {g}") if g else True)
        room = float(re.search(r"block\(width: 100%, height: ([\d.]+)pt", body).group(1))
        bar = charts.NEED_BAR * charts.TILE_LINE_PT
        assert room == pytest.approx(float(height) - (bar if code in high else 0.0), abs=0.01)
        full += size == charts.TILE_FONT_SIZE
    assert full >= share_full * len(tam), full  # most names at full size
    names_th = [n for n in (names[c] for c in tam["code"].iloc[:12])]
    text = " ".join(_typst_chart_text(markup).split())  # a long amphoe name on two lines
    for word in [*names_th, "ความจำเป็นสูง", "ไม่มีข้อมูล", *rows["name"].iloc[:3]]:
        assert word in text, word


def _label_clashes(ax) -> list[str]:
    """What the labels of a drawn need chart cover: another label, a marker, the legend, or
    the outside of the axes (each label's white box against each marker's box, in pixels)."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]
    boxes = [t.get_bbox_patch().get_window_extent(renderer) for t in labels]
    # s=46 square points and half the 0.9-point edge
    half = (np.sqrt(46) + 0.9) / 2 * fig.dpi / 72
    offsets = np.vstack([c.get_offsets() for c in ax.collections
                         if isinstance(c, matplotlib.collections.PathCollection)])
    centres = ax.transData.transform(offsets)
    frame = ax.get_window_extent(renderer)
    legend = ax.get_legend()
    clashes = []
    for k, (label, box) in enumerate(zip(labels, boxes, strict=True)):
        name = label.get_text()
        clashes += [f"{name} on {other.get_text()}" for other, b in zip(labels[k + 1:],
                                                                        boxes[k + 1:],
                                                                        strict=True)
                    if box.overlaps(b)]
        for (x, y), centre in zip(offsets, centres, strict=True):
            marker = matplotlib.transforms.Bbox.from_extents(*(centre - half), *(centre + half))
            if box.overlaps(marker):
                own = np.allclose((x, y), label.xy)
                clashes.append(f"{name} on {'its own' if own else 'another'} marker {x, y}")
        if legend is not None and box.overlaps(legend.get_window_extent(renderer)):
            clashes.append(f"{name} on the legend")
        if not (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                and box.y1 <= frame.y1):
            clashes.append(f"{name} outside the axes")
    return clashes


def _need_points(grades, needs, labels=None, near=None) -> pd.DataFrame:
    needs = np.asarray(needs, dtype=float)
    return pd.DataFrame({"grade": grades, "estimate": needs, "ci_low": needs - 4,
                         "ci_high": needs + 4,
                         "near": near if near is not None else [False] * len(needs),
                         "label": labels if labels is not None
                         else [f"หมู่ที่ {i + 1}" for i in range(len(needs))]})


def test_need_readiness_label_is_not_written_over_another_village() -> None:
    """Tambon 800102 of the demo: หมู่ที่ 7's label lay on หมู่ที่ 3's marker (needs 32 and 33
    in group B), so a reader could not tell the two apart."""
    pts = _need_points(["C", "B", "B", "B", "B", "B", "B"],
                       [31.0, 33.0, 32.0, 27.0, 25.0, 19.0, 5.0],
                       ["หมู่ที่ 4", "หมู่ที่ 3", "หมู่ที่ 7", "หมู่ที่ 6", "หมู่ที่ 5",
                        "หมู่ที่ 2", "หมู่ที่ 1"])
    ax, _ = _drawn_need_chart(pts)
    assert _label_clashes(ax) == []


@pytest.mark.parametrize("spread", [2.0, 10.0, 25.0])
def test_need_readiness_labels_of_a_crowded_group_cover_no_marker_nor_label(spread) -> None:
    """Twelve villages of one group and eight of another within a few points of need (demo
    tambons 800112, 800120): each label beside its own point, none on another's."""
    rng = np.random.default_rng(7)
    needs = np.concatenate([40 + spread * rng.random(12), 30 + spread * rng.random(8)])
    pts = _need_points(["C"] * 12 + ["B"] * 8, needs.round(), near=[i % 5 == 0
                                                                   for i in range(20)])
    ax = charts.need_readiness_chart(pts, grade_order=["C", "B", "A"],
                                     grade_labels={"A": "A", "B": "B", "C": "C"},
                                     threshold=40.0, near_label="ใกล้เกณฑ์")
    assert _label_clashes(ax) == []
    assert len([t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]) == 20


def test_need_readiness_labels_keep_off_the_legend_and_inside_the_axes() -> None:
    """Points at the top right (under the legend of hollow points) and at the edges."""
    pts = _need_points(["A", "A", "A", "C", "C"], [97.0, 95.0, 1.0, 99.0, 0.5],
                       ["หมู่ที่ 11 บ้านหนองบัว", "หมู่ที่ 12", "หมู่ที่ 13", "หมู่ที่ 14",
                        "หมู่ที่ 15"], near=[True, False, False, False, False])
    ax = charts.need_readiness_chart(pts, grade_order=["C", "B", "A"],
                                     grade_labels={"A": "A", "B": "B", "C": "C"},
                                     threshold=40.0, near_label="ใกล้เกณฑ์ (สัญลักษณ์โปร่ง)")
    assert ax.get_legend() is not None
    assert _label_clashes(ax) == []


def test_need_readiness_label_moved_from_its_point_is_joined_to_it() -> None:
    """A lone village is labelled right beside its point, with no line; in a crowd a label set
    apart from its point has a thin line to it."""

    def geometry(ax, renderer):  # label, its white box, its point's centre (pixels)
        return [(t, t.get_bbox_patch().get_window_extent(renderer),
                 ax.transData.transform(t.xy))
                for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]

    ax, renderer = _drawn_need_chart(_need_points(["B"], [50.0]))
    ((label, box, (x, y)),) = geometry(ax, renderer)
    assert label.arrow_patch is None
    pt = ax.figure.dpi / 72
    assert x + 4 * pt < box.x0 < x + 12 * pt  # right beside the marker
    assert (box.y0 + box.y1) / 2 == pytest.approx(y, abs=0.5)  # at its height
    ax, renderer = _drawn_need_chart(_need_points(["B"] * 12, 40 + np.arange(12) * 0.5))
    moved = 0
    for label, box, (x, y) in geometry(ax, renderer):
        gap = np.hypot(max(box.x0 - x, 0, x - box.x1), max(box.y0 - y, 0, y - box.y1))
        apart = gap > 10 * pt
        moved += apart
        assert (label.arrow_patch is not None) or not apart, label.get_text()
    assert moved > 0
    assert _label_clashes(ax) == []


def test_place_labels_beside_the_point_when_free_else_around_what_is_in_the_way() -> None:
    pts = np.array([[100.0, 100.0], [150.0, 100.0]])
    sizes = np.array([[30.0, 10.0], [0.0, 0.0]])  # the second point has no label
    bounds = (0.0, 0.0, 300.0, 200.0)
    boxes, moved = charts.place_labels(pts, sizes, bounds=bounds, marker=4.0, gap=2.0)
    assert boxes[0] == pytest.approx([106.0, 95.0, 136.0, 105.0])  # right, at its height
    assert not moved[0] and np.isnan(boxes[1]).all()
    left, _ = charts.place_labels(pts, sizes, bounds=bounds, prefer_left=[True, False])
    assert left[0, 2] == pytest.approx(100.0 - 4.0 - 2.0)  # its left by preference
    # a marker right of it and the legend left of it: above or below, or further with a line
    crowd = np.array([[100.0, 100.0], [115.0, 100.0]])
    boxes, moved = charts.place_labels(crowd, sizes, bounds=bounds,
                                       obstacles=np.array([[40.0, 90.0, 96.0, 110.0]]))
    box = boxes[0]
    for x, y in crowd:
        assert box[2] <= x - 4 or box[0] >= x + 4 or box[3] <= y - 4 or box[1] >= y + 4
    assert box[2] <= 40.0 or box[0] >= 96.0 or box[3] <= 90.0 or box[1] >= 110.0
    # at the right edge the label goes left, inside the bounds
    edge, _ = charts.place_labels(np.array([[290.0, 100.0]]), sizes[:1], bounds=bounds)
    assert edge[0, 2] <= 290.0 - 6.0 and edge[0, 0] >= 0.0
    # deterministic, and nothing to place gives NaN boxes
    again, _ = charts.place_labels(crowd, sizes, bounds=bounds,
                                   obstacles=np.array([[40.0, 90.0, 96.0, 110.0]]))
    assert np.array_equal(again, boxes, equal_nan=True)
    none, moved = charts.place_labels(pts, np.zeros((2, 2)), bounds=bounds)
    assert np.isnan(none).all() and not moved.any()


def test_place_labels_of_many_points_in_a_row_do_not_overlap() -> None:
    """Twenty points 12 points apart on a line rising by 3: no label on a marker or a label."""
    n = 20
    pts = np.column_stack([100 + 12.0 * np.arange(n), 100 + 3.0 * np.arange(n)])
    sizes = np.tile([34.0, 11.5], (n, 1))
    boxes, _ = charts.place_labels(pts, sizes, bounds=(0.0, 0.0, 500.0, 300.0))
    assert np.isfinite(boxes).all()
    markers = np.column_stack([pts - 4.0, pts + 4.0])
    both = np.vstack([boxes, markers])
    for k, b in enumerate(boxes):
        w = np.minimum(b[2], both[:, 2]) - np.maximum(b[0], both[:, 0])
        h = np.minimum(b[3], both[:, 3]) - np.maximum(b[1], both[:, 1])
        hit = (w > 1e-9) & (h > 1e-9)
        hit[k] = False
        assert not hit.any(), (k, np.flatnonzero(hit))


def _heatmap_values(n: int) -> pd.DataFrame:
    """Mean scores of ``n`` amphoes (rows) on the seven capitals, 20 to 80."""
    return pd.DataFrame(np.linspace(20, 80, n * 7).reshape(n, 7),
                        index=[f"อำเภอที่ {i}" for i in range(n)],
                        columns=["ทุนมนุษย์", "ทุนกายภาพและเศรษฐกิจ", "ทุนเงินตรา",
                                 "ทุนทางสังคม", "ทุนวัฒนธรรม", "ทุนภูมิปัญญา",
                                 "ทุนทรัพยากรธรรมชาติ"])


def test_capital_heatmap_of_many_areas_is_tall_enough_to_read() -> None:
    """The province overview's 23 amphoe rows were 0.105 inch apart in 6-point type: each row
    now takes 0.18 inch, its numbers and names in 7-point type, and a column name too long
    for its column is turned about its end under it."""
    n = 23
    values = _heatmap_values(n)
    ax = charts.capital_heatmap(values, colorbar_label="คะแนน")
    fig = ax.figure
    assert fig.get_figheight() >= 0.18 * n
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    row = ax.get_window_extent(renderer).height / n * 72 / fig.dpi
    assert row >= 11.0  # points a row, for 7-point type
    numbers = [t for t in ax.texts if t.get_text()]
    assert min(t.get_fontsize() for t in numbers) >= 7
    assert min(t.get_fontsize() for t in ax.get_yticklabels()) >= 7
    turned = [t for t in ax.get_xticklabels() if t.get_rotation()]
    assert all(t.get_rotation_mode() == "anchor" and t.get_ha() == "right" for t in turned)
    # each name ends under its own column
    for k, t in enumerate(ax.get_xticklabels()):
        box = t.get_window_extent(renderer)
        x = ax.transData.transform((k, 0))[0]
        end = 10 * fig.dpi / 72  # the turned text's corner past its anchor
        assert box.x0 - 1 <= x <= box.x1 + 1 if not t.get_rotation() else 0 <= box.x1 - x < end


def _heatmap_case() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    values = _heatmap_values(23)
    values.iloc[3, 2] = np.nan  # hidden: white and empty
    marks = pd.DataFrame("", index=values.index, columns=values.columns)
    marks.iloc[1, 1], marks.iloc[5, 4] = "▲", "▼"
    return values, values - values.mean(), marks


def test_the_heatmap_drawn_by_typst_prints_matplotlibs_cells_in_its_greys() -> None:
    """The province overview's heat map drawn by Typst: each cell prints what matplotlib's
    prints (half up, with its mark; nothing where hidden) on the grey matplotlib fills it
    with, rows 0.18 inch tall in 7-point type, and a column name too long for its column
    is set on lines at its words ("ทุนกายภาพ / และเศรษฐกิจ", "ทุนทรัพยากร / ธรรมชาติ"), each
    line narrower than the column, instead of turned."""
    import re

    import matplotlib as mpl

    from abcresearch.reports.render.fonts import text_width

    values, shade, marks = _heatmap_case()
    ax = charts.capital_heatmap(values, shade=shade, marks=marks, colorbar_label="คะแนน")
    drawn = sorted(t.get_text() for t in ax.texts if t.get_text())
    printed = charts.heatmap_printed(values, marks)
    assert sorted(c for c in printed.to_numpy().ravel() if c) == drawn
    assert printed.iat[3, 2] == "" and printed.iat[1, 1].endswith("▲")
    markup = charts.capital_heatmap_typst(values, shade=shade, marks=marks,
                                          colorbar_label="คะแนน", title="คะแนนทุน")
    cells = re.findall(r'grid\.cell\(fill: rgb\("(#[0-9a-f]{6})"\), stroke: 0\.8pt \+ white, '
                       r'(?:text\(size: 7\.0pt, fill: (\w+)\)\[([^\]]*)\]|\[\])\)', markup)
    assert len(cells) == values.size
    image = ax.images[0]
    for k, (fill, colour, text) in enumerate(cells):
        i, j = divmod(k, values.shape[1])
        assert text == printed.iat[i, j]
        if text:  # matplotlib's grey of the cell, and the colour its number reads in on it
            rgba = image.cmap(image.norm(shade.iat[i, j]))
            assert fill == mpl.colors.to_hex(rgba)
            r, g, b = mpl.colors.to_rgb(fill)  # black on a light grey, white on a dark one
            assert colour == ("black" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else "white")
        else:
            assert fill == "#ffffff"
    plt.close(ax.figure)
    row = float(re.search(r"rows: \(\.\.\(([\d.]+)pt,\) \* 23", markup).group(1))
    assert row == pytest.approx(0.18 * 72, abs=0.01)
    widths = re.search(r"#grid\(columns: \(([^)]*)\)", markup).group(1).split(", ")
    column = float(widths[1].removesuffix("pt"))
    names = re.findall(r"grid\.cell\(align: center \+ top, inset: \(top: 4pt\), "
                       r"text\(size: 7\.0pt\)\[([^\]]*)\]\)", markup)
    lines = [n.split(" #linebreak() ") for n in names]
    assert lines[1] == ["ทุนกายภาพ", "และเศรษฐกิจ"] and lines[6] == ["ทุนทรัพยากร", "ธรรมชาติ"]
    assert lines[0] == ["ทุนมนุษย์"]
    assert all(text_width(x, 7.0) <= column - 4 for name in lines for x in name)
    assert ["".join(x) for x in lines] == list(values.columns)


def test_the_heatmap_drawn_by_typst_writes_its_numbers_and_names_as_text() -> None:
    """Drawn by Typst, the heat map's numbers (with their marks), the areas' and capitals'
    names, the title and the colour bar's scale are text in the PDF."""
    values, shade, marks = _heatmap_case()
    markup = charts.capital_heatmap_typst(values, shade=shade, marks=marks,
                                          colorbar_label="ต่างจากค่าเฉลี่ย", title="คะแนนทุน")
    text = _typst_chart_text(markup)
    for word in ["คะแนนทุน", "อำเภอที่ 22", "ทุนมนุษย์", "ทุนภูมิปัญญา", "ต่างจากค่าเฉลี่ย",
                 *(c for c in charts.heatmap_printed(values, marks).to_numpy().ravel() if c)]:
        assert word in text, word


def test_need_readiness_chart_of_a_crowded_column_shows_every_point() -> None:
    """The province overview: 120 tambons of group B in seven steps stood on each other as
    solid bars. A crowd is set in a swarm of smaller markers: no marker hides another, and
    the points stay within their column."""
    rng = np.random.default_rng(3)
    needs = np.round(np.concatenate([rng.uniform(8, 40, 120), rng.normal(45, 8, 40),
                                     rng.normal(10, 2, 8)]).clip(1, 95))
    pts = pd.DataFrame({"grade": ["B"] * 120 + ["C"] * 40 + ["A"] * 8, "estimate": needs,
                        "ci_low": needs - 2, "ci_high": needs + 2, "near": False})
    ax, renderer = _drawn_need_chart(pts)
    from matplotlib.collections import PathCollection

    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = np.vstack([c.get_offsets() for c in dots])
    assert len(offsets) == len(pts)
    sizes = {float(s) for c in dots for s in c.get_sizes()}
    assert len(sizes) == 1  # one marker size for the chart
    side = np.sqrt(sizes.pop()) * ax.figure.dpi / 72  # pixels
    for j, g in enumerate(["C", "B", "A"]):
        mine = offsets[np.abs(offsets[:, 0] - j) < 0.5]
        assert len(mine) == (pts["grade"] == g).sum()
        assert np.abs(mine[:, 0] - j).max() <= 0.45 + 1e-9
        if len(mine) > charts.CROWDED_COLUMN:
            xy = ax.transData.transform(mine)
            d = np.abs(xy[:, None, :] - xy[None, :, :]).max(axis=2)
            np.fill_diagonal(d, np.inf)
            assert d.min() >= side - 0.5  # apart by a marker at least, across or up


@pytest.mark.parametrize("case", ["merged", "hidden", "shown"])
def test_the_income_chart_drawn_by_typst_has_matplotlibs_bands_line_and_curve(case) -> None:
    """The reports draw the income chart with Typst's shapes (income_chart_typst), notebooks
    with matplotlib: the same bars in proportion (the hatched rest of hidden top bands in the
    last band's place), the poverty line in its band at the same place, the Lorenz curve
    through the same points, and the bands' names, the rest's label and the axis titles as
    text."""
    import re

    from abcresearch.reports.sections.income import income_bands

    edges = (0, 10_000, 20_000, 40_000, 80_000)
    vals = {"merged": [15.0, 20.0, 28.0, 24.0, np.nan], "hidden": [15.0, np.nan, 28.0, 24.0,
                                                                    33.0],
            "shown": [15.0, 20.0, 28.0, 24.0, 13.0]}[case]
    shares = pd.Series(vals, index=income_bands(edges, "th"))
    hist = {"shares": shares, "edges": edges, "line": 20_000.0 if case != "hidden" else 30_000.0,
            "rest": 13.0 if case == "merged" else None, "rest_label": "รวมช่วงบน ไม่แสดงแยก",
            "xlabel": "รายได้ต่อคนต่อปี", "ylabel": "ร้อยละของครัวเรือน",
            "hidden_label": "ซ่อนไว้"}
    lorenz = {"pop_share": [0.0, 50.0, 100.0], "income_share": [0.0, 20.0, 100.0],
              "xlabel": "สัดส่วนสะสมของครัวเรือน", "ylabel": "สัดส่วนสะสมของรายได้"}
    fig = charts.income_chart(hist, lorenz)
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches if p.get_height() > 0 and not p.get_hatch()]
    dashes = next(x for x in ax.lines if x.get_linestyle() == "--")
    poverty = dashes.get_xdata()[0]
    assert dashes.get_path_effects() and dashes.get_zorder() > max(p.get_zorder()
                                                                     for p in ax.patches)
    plt.close(fig)
    markup = charts.income_chart_typst(hist, lorenz)
    bars = re.findall(r"rect\(width: ([\d.]+)pt, height: ([\d.]+)pt, fill: rgb", markup)
    drawn = [float(h) for _, h in bars]
    assert len(drawn) == len(heights)
    assert [h / drawn[0] for h in drawn] == pytest.approx([h / heights[0] for h in heights],
                                                          abs=1e-3)
    hatched = re.findall(r"rect\(width: [\d.]+pt, height: ([\d.]+)pt, fill: white", markup)
    assert len(hatched) == (case == "merged")
    if hatched:
        assert float(hatched[0]) / drawn[0] == pytest.approx(13.0 / heights[0], abs=1e-3)
    # the dashed poverty line at the band position matplotlib draws it (bands 170 pt apart)
    unit = 170.0 / len(shares)
    dashed = re.findall(r"place\(top \+ left, dx: ([\d.]+)pt, line\(length: [\d.]+pt, angle: "
                        r"90deg, stroke: \(paint: rgb", markup)
    assert float(dashed[0]) == pytest.approx((poverty + 0.5) * unit, abs=0.01)
    # on a white ground, drawn first (red dashes on a teal bar were hard to see: a reader
    # review)
    ground = re.findall(r"place\(top \+ left, dx: ([\d.]+)pt, line\(length: [\d.]+pt, angle: "
                        r"90deg, stroke: [\d.]+pt \+ white\)\)", markup)
    assert ground == [dashed[0]]
    assert markup.index(f"dx: {ground[0]}pt, line(length") < markup.index("dash: \"dashed\"")
    assert markup.count("curve.line(") == 2  # the curve's three points
    text = _typst_chart_text(markup)
    for word in ("0–9,999", "80,000+", "ร้อยละของครัวเรือน", "สัดส่วนสะสมของรายได้"):
        assert word in text.replace("\n", ""), word
    assert ("ซ่อนไว้" in text) == (case == "hidden")
    assert ("ไม่แสดงแยก" in text) == (case == "merged")


def test_hidden_top_income_bands_are_one_open_band_of_the_rest() -> None:
    """The top income bands hidden one by one left 13-15% of the households out of the chart
    (a reader review): two or more hidden bands ending the scale, every band below shown, are
    one open band whose height is the rest of the printed shares, drawn hatched."""
    from abcresearch.reports.sections.income import income_bands, open_top_band

    edges = [0, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000]
    shares = pd.Series([0.15, 0.20, 0.28, 0.24, np.nan, np.nan, np.nan])
    merged, top_edges, rest = open_top_band(shares, edges)
    assert top_edges == (0, 10_000, 20_000, 40_000, 80_000)
    assert income_bands(top_edges, "th")[-1] == "80,000+"
    assert merged.iloc[:4].tolist() == [0.15, 0.20, 0.28, 0.24] and np.isnan(merged.iloc[4])
    assert rest == pytest.approx(0.13)
    # left as they are: one hidden band on top, a hidden band below, nothing hidden, shown
    # bands printing 100% already (the rest would read as no households: a code review)
    for kept in ([0.2, 0.3, 0.2, 0.1, 0.1, 0.1, np.nan], [np.nan, 0.3, 0.2, 0.2, 0.1, np.nan,
                                                           np.nan], [0.2, 0.3, 0.2, 0.1, 0.1,
                                                                     0.05, 0.05],
                 [0.21, 0.31, 0.31, 0.17, np.nan, np.nan, np.nan]):
        same, same_edges, none = open_top_band(pd.Series(kept), edges)
        assert none is None and same_edges == tuple(edges)
        assert same.equals(pd.Series(kept))
    # nor where the poverty line falls in the bands merged (the chart places it in its band)
    assert open_top_band(shares, edges, line=100_000)[2] is None
    assert open_top_band(shares, edges, line=20_000)[2] == pytest.approx(0.13)
    # the chart draws the rest hatched in the last band's place, labelled above it
    ax = charts.income_band_chart(100 * merged.set_axis(income_bands(top_edges, "th")),
                                  top_edges, rest=100 * rest, rest_label="together",
                                  hidden_label="hidden")
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 1 and hatched[0].get_height() == pytest.approx(13.0)
    assert hatched[0].get_x() + hatched[0].get_width() / 2 == pytest.approx(4)
    texts = [t.get_text() for t in ax.texts]
    assert "together" in texts and "hidden" not in texts
    plt.close(ax.figure)
    # with its last band shown, no rest is drawn nor labelled (a code review)
    ax = charts.income_band_chart(pd.Series([20.0, 30.0, 50.0], index=["a", "b", "c"]),
                                  [0, 10, 20], rest=5.0, rest_label="together")
    assert not [p for p in ax.patches if p.get_hatch()]
    assert "together" not in [t.get_text() for t in ax.texts]
    plt.close(ax.figure)


def test_the_open_bands_label_clears_a_taller_neighbour() -> None:
    """A village's "รวมกัน ไม่แสดงแยกช่วง", wider than its hatched bar, touched the taller bar
    beside it (a reader review): the label starts above both bars, a thin line leads down to
    its own, and it stays inside the axes."""
    shares = pd.Series([11.0, 23.0, 27.0, 26.0, np.nan],
                       index=["0–9,999", "10,000–19,999", "20,000–39,999", "40,000–79,999",
                              "80,000+"])
    ax = charts.income_band_chart(shares, (0, 10_000, 20_000, 40_000, 80_000), line=20_000,
                                  rest=13.0, rest_label="รวมกัน ไม่แสดงแยกช่วง")
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    from matplotlib.text import Text

    label = next(t for t in ax.texts if t.get_text().startswith("รวมกัน"))
    box = Text.get_window_extent(label, renderer)  # the words, not the line to the bar
    bars = [p for p in ax.patches if not p.get_hatch()]
    assert len(bars) == 5  # the hidden band's own bar is of no height
    assert not any(box.overlaps(b.get_window_extent(renderer)) for b in bars)
    assert box.y1 <= ax.get_window_extent(renderer).y1
    assert label.arrow_patch is not None  # the line to its bar
    plt.close(fig)


def test_income_band_labels_hold_their_lower_edge_only() -> None:
    """"10,000–20,000" beside "20,000–40,000" put the poverty line of 20,000 in both (a reader
    review): a band holds its lower edge, and its label ends one baht below the next."""
    from abcresearch.reports.sections.income import income_bands

    edges = (0, 10000, 20000, 40000)
    assert income_bands(edges, "th") == ["0–9,999", "10,000–19,999", "20,000–39,999",
                                         "40,000+"]
    assert income_bands((0, 2.5, 5), "en") == ["0–2.5", "2.5–5", "5+"]  # not whole: as is


def test_tile_map_bars_of_high_need_stay_below_the_names() -> None:
    """The tile map showed readiness alone (a provincial committee's review): a tambon of high
    need has a black bar along the foot of its tile, below its name (the name's box covered
    the bar's middle when centred), and the legend names the bar."""
    from abcresearch.survey.areas import amphoes, tambons

    amph, tam = amphoes("80"), tambons("80")
    rows = pd.DataFrame({"code": amph["code"], "name": amph["name_th"]})
    names = dict(zip(tam["code"], tam["name_th"], strict=True))
    grades = dict.fromkeys(tam["code"], "C")
    high = set(tam["code"].iloc[::2])
    ax = charts.grade_tiles(grades, rows, tam, names=names,
                            grade_labels={"A": "A", "B": "B", "C": "C"}, no_data_label="-",
                            high_need=high, need_label="ความจำเป็นสูง")
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bars = [p for p in ax.patches if p.get_height() == pytest.approx(charts.NEED_BAR)]
    assert len(bars) == len(high)
    labels = {t.get_text().removesuffix("  C"): t for t in ax.texts if t.get_text().endswith(" C")}
    for bar in bars:
        box = bar.get_window_extent(renderer)
        # the name of the tile (same column, the nearest above the bar's foot) clears the bar
        mine = [t.get_window_extent(renderer) for t in labels.values()]
        mine = [e for e in mine if box.x0 <= e.x0 <= box.x1 and e.y1 > box.y0]
        nearest = min(mine, key=lambda e: e.y0 - box.y0)
        assert nearest.y0 >= box.y1 - 0.5, (nearest, box)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "ความจำเป็นสูง" in legend
    # none where no tambon is of high need
    ax = charts.grade_tiles(grades, rows, tam, names=names,
                            grade_labels={"A": "A", "B": "B", "C": "C"}, no_data_label="-",
                            need_label="ความจำเป็นสูง")
    assert "ความจำเป็นสูง" not in [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_tile_maps_legend_leaves_the_tiles_the_width_of_the_figure() -> None:
    """The legend's five entries in one row (groups, no data, high need) were wider than the
    tiles, and the layout narrowed the tiles to three fifths of the figure: long tambon names
    shrank to 3.5 pt (a newcomer and a provincial committee's review). In three columns the
    legend is narrower than the tiles, which keep the figure's width."""
    from abcresearch.survey.areas import amphoes, tambons

    amph, tam = amphoes("80"), tambons("80")
    rows = pd.DataFrame({"code": amph["code"], "name": amph["name_th"]})
    names = dict(zip(tam["code"], tam["name_th"], strict=True))
    grades = dict(zip(tam["code"], ["A", "B", "C", ""] * len(tam), strict=False))
    ax = charts.grade_tiles(grades, rows, tam, names=names,
                            grade_labels={"A": "กลุ่ม A (พร้อมขับเคลื่อนและเป็นแหล่งเรียนรู้)",
                                          "B": "กลุ่ม B (กำลังพัฒนา)",
                                          "C": "กลุ่ม C (ควรเสริมความเข้มแข็งก่อน)"},
                            no_data_label="ไม่มีข้อมูล", high_need=set(tam["code"].iloc[::3]),
                            need_label="ความจำเป็นสูง (แถบดำใต้ชื่อ)")
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend()
    assert len(legend.get_texts()) == 5
    assert ax.get_position().width > 0.85, ax.get_position()
    assert legend.get_window_extent(renderer).width < ax.get_window_extent(renderer).width
    plt.close(fig)


def test_the_need_axis_ends_a_little_above_the_highest_interval() -> None:
    """The need axis ran to 100 with every area under 60, half the plot empty (a provincial
    committee's review): it ends at the highest interval plus room for the legend, in tens,
    at least 20 above the threshold, at most 100."""
    def chart(high: float, estimate: float = 45.0) -> plt.Axes:
        pts = pd.DataFrame({"grade": ["C", "B", "A"], "estimate": [estimate, 20.0, 10.0],
                            "ci_low": [estimate - 5, 15.0, 5.0], "ci_high": [high, 25.0, 15.0],
                            "near": [False, False, False]})
        return charts.need_readiness_chart(pts, grade_order=["C", "B", "A"],
                                           grade_labels={"C": "C", "B": "B", "A": "A"},
                                           threshold=40.0)

    for high, top in ((52.0, 70.0), (49.0, 70.0), (80.0, 100.0), (95.0, 100.0)):
        ax = chart(high)
        assert ax.get_ylim() == (0.0, top), (high, ax.get_ylim())
        plt.close(ax.figure)
    # every area well under the threshold: the axis still reaches 20 above it, the high-need
    # band there to read (ceil((30 + 15) / 10) x 10 = 50 alone)
    ax = chart(30.0, estimate=26.0)
    assert ax.get_ylim()[1] == 60.0
    plt.close(ax.figure)


def test_text_width_is_typsts_measure_of_the_words() -> None:
    """The Typst need chart places its labels from the words' widths measured in the font
    before Typst sets them (text_width): never narrower than Typst's own measure (a label
    would cover what is beside it) and within a third of a point (kerning only tightens), and
    a line's height is Typst's from ascender to descender."""
    import json
    import tempfile

    import typst

    from abcresearch.reports.render.fonts import TYPST_TEXT_FONTS, line_height, text_width
    from abcresearch.reports.render.pdf import typst_fonts
    from abcresearch.reports.render.typst import escape_markup

    words = ["หมู่ที่ 3", "หมู่ที่ 11", "ท่าวัง", "ท้องเนียน", "Village 11", "Tha Wang",
             "ความจำเป็นสูง", "(ตั้งแต่ร้อยละ 40)", "ใกล้เกณฑ์ (สัญลักษณ์โปร่ง)",
             "น้ำตก ฎีกา ปั้นจั่น", "เฉลิมพระเกียรติ", "ฟ้าใส่ฝ้ายน้ำใจ", "Near a threshold",
             "62▲", "39▼", "Nₜ₋₁ ≥ Σ"]  # the symbols fall back to DejaVu Sans
    box = 'text(size: {s}pt, top-edge: "ascender", bottom-edge: "descender")[{w}]'
    source = f'#set text(font: {TYPST_TEXT_FONTS})\n' + "\n".join(
        f"#context [#metadata((measure({box.format(s=s, w=escape_markup(w))}).width.pt(), "
        f"measure({box.format(s=s, w=escape_markup(w))}).height.pt())) <w>]"
        for w in words for s in (7, 8))
    with tempfile.TemporaryDirectory() as root:
        compiler = typst.Compiler(source.encode(), root=root, font_paths=typst_fonts(),
                                  ignore_system_fonts=True)
        measured = [m["value"] for m in json.loads(compiler.query("<w>"))]
    pairs = [(w, s) for w in words for s in (7, 8)]
    for (w, s), (width, height) in zip(pairs, measured, strict=True):
        assert -1e-9 <= text_width(w, s) - width < 0.35, (w, s, width, text_width(w, s))
        assert height == pytest.approx(line_height(s), abs=1e-3)


def _typst_need_geometry(markup: str) -> dict:
    """What a need chart drawn by Typst draws, read from its markup (points from the plot's
    top left): the plot's size, markers (shape, fill, centre), error bars, label grounds and
    the lines joining labels to points."""
    import re

    m = re.search(r"place\(top \+ left, dy: ([\d.]+)pt, line\(length: ([\d.]+)pt, "
                  r"stroke: 0\.8pt\)\)", markup)
    height, width = float(m.group(1)), float(m.group(2))
    num = r"(-?[\d.]+)"
    plot = markup.partition(", inset: 3.2pt, stack(dir: ltr")[0]  # not the legend's markers
    markers = []
    for part in plot.split("; "):
        m = re.match(rf"place\(top \+ left, dx: {num}pt, dy: {num}pt, (rect|polygon|circle)"
                     rf"\((.*)\)\)$", part)
        if m is None or "pt + black" not in part:
            continue
        dx, dy, shape, args = m.groups()
        if shape == "rect":
            side = float(re.search(r"width: ([\d.]+)pt", args).group(1))
        elif shape == "circle":
            side = 2 * float(re.search(r"radius: ([\d.]+)pt", args).group(1))
        else:
            side = max(float(v) for v in re.findall(r"([\d.]+)pt\)", args))
        fill = re.search(r"fill: (white|rgb\(\"#[0-9a-f]+\"\))", args).group(1)
        markers.append((shape, fill, float(dx) + side / 2, float(dy) + side / 2, side))
    grounds = [tuple(float(v) for v in g) for g in re.findall(
        rf"place\(top \+ left, dx: {num}pt, dy: {num}pt, rect\(width: {num}pt, height: "
        rf"{num}pt, fill: white\.transparentize", markup)]
    joins = re.findall(rf"line\(start: \({num}pt, {num}pt\), end: \({num}pt, {num}pt\), "
                       rf"stroke: 0\.5pt", markup)
    bars = [tuple(float(v) for v in b) for b in re.findall(
        rf"place\(top \+ left, dx: {num}pt, dy: {num}pt, line\(length: {num}pt, "
        rf"angle: 90deg, stroke: [\d.]+pt \+ rgb\(\"#616161\"\)\)\)", markup)]
    return {"width": width, "height": height, "markers": markers, "grounds": grounds,
            "joins": joins, "bars": bars}


_NEED_CASES = {
    "tambon": _need_points(["C", "B", "B", "B", "B", "B", "B", "A", "A"],
                           [31.0, 33.0, 32.0, 27.0, 25.0, 19.0, 5.0, 12.0, 8.0],
                           near=[False, True, False, False, False, False, False, True, False]),
    "crowd": _need_points(["C"] * 12 + ["B"] * 8, np.round(40 + 10 * np.random.default_rng(
        7).random(20)), near=[i % 5 == 0 for i in range(20)]),
    "hidden": _need_points(["B", "B", "A", "C"], [45.0, np.nan, 97.0, 0.5],
                           near=[False, False, True, False]),
}


@pytest.mark.parametrize("case", list(_NEED_CASES))
def test_the_need_chart_drawn_by_typst_has_matplotlibs_points(case: str) -> None:
    """The reports draw the need x readiness chart with Typst's shapes
    (need_readiness_chart_typst), notebooks with matplotlib: the same points at the same
    places on the same axes (each grade's marker, hollow where near a threshold; a hidden
    share not drawn), the same error bars, and each label on a white ground that covers no
    marker, no other label and stays in the plot."""
    pts = _NEED_CASES[case]
    kwargs = {"grade_order": ["C", "B", "A"], "grade_labels": {"A": "A", "B": "B", "C": "C"},
              "threshold": 40.0, "need_labels": ("สูง", "ไม่สูง"),
              "near_label": "ใกล้เกณฑ์ (สัญลักษณ์โปร่ง)"}
    ax = charts.need_readiness_chart(pts, **kwargs)
    top = ax.get_ylim()[1]
    from matplotlib.collections import PathCollection

    mpl = sorted((tuple(np.round(o, 6)), tuple(np.round(c.get_facecolors()[0][:3], 3)))
                 for c in ax.collections if isinstance(c, PathCollection)
                 for o in c.get_offsets())
    plt.close(ax.figure)
    g = _typst_need_geometry(charts.need_readiness_chart_typst(pts, **kwargs))
    width, height = g["width"], g["height"]
    shapes = {"^": "polygon", "s": "rect", "o": "circle"}
    drawn = pts[pts["estimate"].notna()]
    assert len(g["markers"]) == len(drawn)
    typst = []
    for shape, fill, x, y, _side in g["markers"]:
        data = (round(x / width * 3.2 - 0.6, 6), round((height - y) / height * top, 6))
        colour = (1.0, 1.0, 1.0) if fill == "white" else tuple(
            np.round(matplotlib.colors.to_rgb(fill.split('"')[1]), 3))
        typst.append((data, colour))
        grade = ["C", "B", "A"][int(round(data[0]))]
        assert shape == shapes[charts.GRADE_MARKERS[grade]]
    assert [c for _d, c in sorted(typst)] == [c for _d, c in mpl]
    assert np.array([d for d, _c in sorted(typst)]) == pytest.approx(
        np.array([d for d, _c in mpl]), abs=0.01)  # the markup's places in hundredths of a pt
    # an error bar per point, from ci_low to ci_high (within the axes, as matplotlib clips)
    spans = sorted(((height - dy - length) / height * top, (height - dy) / height * top)
                   for _dx, dy, length in g["bars"])
    assert np.array(spans) == pytest.approx(np.array(sorted(zip(
        drawn["ci_low"].clip(0, top), drawn["ci_high"].clip(0, top), strict=True))), abs=0.01)
    # the labels: one white ground each, on no marker, no other label, inside the plot
    assert len(g["grounds"]) == len(drawn)
    half = (np.sqrt(46) + 0.9) / 2
    for k, (x0, y0, w, h) in enumerate(g["grounds"]):
        assert 0 <= x0 and x0 + w <= width and 0 <= y0 and y0 + h <= height
        for _s, _f, x, y, _side in g["markers"]:
            assert x0 + w <= x - half or x0 >= x + half or y0 + h <= y - half \
                or y0 >= y + half, (k, x, y)
        for x1, y1, w1, h1 in g["grounds"][k + 1:]:
            assert x0 + w <= x1 or x1 + w1 <= x0 or y0 + h <= y1 or y1 + h1 <= y0


@pytest.mark.parametrize("need", [39.0, 40.5, 41.0])
def test_a_need_label_keeps_off_the_threshold_line_where_it_can(need: float) -> None:
    """A village a point from the need threshold had its label set across the dashed line,
    which its white ground hid, so the label read as on either side (a reader review): the
    label takes a place off the line, by matplotlib as by Typst."""
    pts = _need_points(["B"], [need])
    kwargs = {"grade_order": ["C", "B", "A"], "grade_labels": {"A": "A", "B": "B", "C": "C"},
              "threshold": 40.0}
    ax, renderer = _drawn_need_chart(pts)
    (label,) = [t for t in ax.texts if isinstance(t, matplotlib.text.Annotation)]
    box = label.get_bbox_patch().get_window_extent(renderer)
    line = ax.transData.transform((0.0, 40.0))[1]
    assert not box.y0 < line < box.y1
    top = charts.need_readiness_chart(pts, **kwargs).get_ylim()[1]
    plt.close("all")
    g = _typst_need_geometry(charts.need_readiness_chart_typst(pts, **kwargs))
    ((_x0, y0, _w, h),) = g["grounds"]
    line = g["height"] * (1 - 40.0 / top)
    assert not y0 < line < y0 + h


def test_points_of_a_column_whose_error_bars_meet_are_not_drawn_at_one_place() -> None:
    """An amphoe's eight tambons of group B: the seven steps repeat, and the first and the
    eighth (13% from 2 to 55, 45% from 6 to 91) were drawn at one place, one error bar over
    the other (a reader review). A point goes to the nearest step where no bar it meets
    stands; where bars do not meet, the steps repeat as before."""
    needs = np.array([13.0, 13.0, 19.0, 24.0, 29.0, 37.0, 39.6, 45.0])
    low = np.array([2.0, 9.0, 15.0, 20.0, 25.0, 30.0, 33.0, 6.0])
    high = np.array([55.0, 17.0, 23.0, 28.0, 33.0, 44.0, 46.0, 91.0])
    pts = pd.DataFrame({"grade": "B", "estimate": needs, "ci_low": low, "ci_high": high,
                        "near": False, "label": [f"ต{i}" for i in range(8)]})
    layout = charts._need_layout(pts, ["C", "B", "A"], 40.0, 400.0, 230.0)
    (_g, col, off, _err), = [c for c in layout.columns if c[0] == "B"]
    assert list(col["estimate"]) == list(needs)
    assert off[0] != off[7]
    # every step holds a bar the eighth's (6 to 91) meets: it shares the place where they
    # meet over the least height (8 points with 9-17, not 49 with 2-55)
    mates = [j for j in range(7) if off[j] == off[7]]
    shared = sum(max(0.0, min(high[j], high[7]) - max(low[j], low[7])) for j in mates)
    assert shared <= 8.0 + 1e-9, (mates, shared)
    # short bars elsewhere: a point whose bar meets none stays on its own step
    assert list(off[1:7]) == pytest.approx(list((np.arange(1, 7) - 3) * 0.09))
    # short bars: the steps repeat by rank, as before
    tight = pts.assign(estimate=np.arange(8) * 10.0 + 5, ci_low=np.arange(8) * 10.0 + 4,
                       ci_high=np.arange(8) * 10.0 + 6)
    (_g, _c, off2, _e), = [c for c in charts._need_layout(tight, ["C", "B", "A"], 40.0, 400.0,
                                                          230.0).columns if c[0] == "B"]
    assert off2 == pytest.approx((np.arange(8) % 7 - 3) * 0.09)


def test_the_need_chart_drawn_by_typst_writes_its_words_as_text() -> None:
    """Drawn by Typst, the chart's words are text in the PDF: the villages' labels, the
    grades, the need classes and threshold, the legend of hollow points and the axis titles;
    a label set apart from its point is joined to it by a line, and no legend is drawn where
    no point is hollow."""
    pts = _NEED_CASES["crowd"]
    kwargs = {"grade_order": ["C", "B", "A"],
              "grade_labels": {"A": "กลุ่ม A", "B": "กลุ่ม B", "C": "กลุ่ม C"},
              "threshold": 40.0, "xlabel": "กลุ่มความพร้อม", "ylabel": "ครัวเรือนระดับ 1",
              "threshold_label": "(ตั้งแต่ร้อยละ 40)",
              "need_labels": ("ความจำเป็นสูง", "ความจำเป็นไม่สูง"), "near_label": "ใกล้เกณฑ์"}
    markup = charts.need_readiness_chart_typst(pts, **kwargs)
    assert _typst_need_geometry(markup)["joins"]  # a crowd: some labels apart, with a line
    text = _typst_chart_text(markup)
    for word in ["กลุ่ม A", "กลุ่ม B", "กลุ่ม C", "กลุ่มความพร้อม", "ครัวเรือนระดับ 1",
                 "ความจำเป็นสูง", "(ตั้งแต่ร้อยละ 40)", "ความจำเป็นไม่สูง", "ใกล้เกณฑ์",
                 *pts["label"]]:
        assert word in text, word
    plain = charts.need_readiness_chart_typst(pts.assign(near=False), **kwargs)
    assert "ใกล้เกณฑ์" not in plain


def test_the_need_chart_drawn_by_typst_sets_a_province_in_a_swarm() -> None:
    """The province overview's 170 tambons, drawn by Typst: every point drawn, one smaller
    marker size, none on another (apart by a marker's side across or up) and each within
    its column."""
    rng = np.random.default_rng(3)
    needs = np.round(np.concatenate([rng.uniform(8, 40, 120), rng.normal(45, 8, 40),
                                     rng.normal(10, 2, 8)]).clip(1, 95))
    pts = pd.DataFrame({"grade": ["B"] * 120 + ["C"] * 40 + ["A"] * 8, "estimate": needs,
                        "ci_low": needs - 2, "ci_high": needs + 2, "near": False})
    g = _typst_need_geometry(charts.need_readiness_chart_typst(
        pts, grade_order=["C", "B", "A"], grade_labels={}, threshold=40.0))
    assert len(g["markers"]) == len(pts) and not g["grounds"]
    sides = [m[4] for m in g["markers"]]
    assert max(sides) - min(sides) < 0.02 and max(sides) < np.sqrt(46)  # hundredths of a pt
    column = g["width"] / 3.2
    xy = np.array([(m[2], m[3]) for m in g["markers"]])
    for j, grade in enumerate(["C", "B", "A"]):
        mine = xy[np.abs(xy[:, 0] / column - 0.6 - j) < 0.5]
        assert len(mine) == (pts["grade"] == grade).sum()
        assert np.abs(mine[:, 0] / column - 0.6 - j).max() <= 0.45 + 1e-3
        if len(mine) > charts.CROWDED_COLUMN:
            d = np.abs(mine[:, None, :] - mine[None, :, :]).max(axis=2)
            np.fill_diagonal(d, np.inf)
            assert d.min() >= g["markers"][0][4] - 0.02


def test_the_fonts_metrics_are_read_once_a_process_not_once_a_report() -> None:
    """The reset between a worker's notebooks clears the library's caches; the font's metrics
    (an installed file, read with fontTools in 27 ms) were read again for every report."""
    from abcresearch.batch.kernel_state import clear_library_caches
    from abcresearch.reports.render import fonts

    fonts.text_width("หมู่ที่ 1", 7)
    before = fonts._metrics.cache_info().currsize
    clear_library_caches()
    assert before == 1 and fonts._metrics.cache_info().currsize == 1
