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
    assert legend == ["ระดับ 1", "ระดับ 2–3 รวมกัน", "ไม่ครบ", "ไม่แสดง"]


def test_levels_chart_scales_rounded_shares_to_100_when_nothing_is_hidden() -> None:
    shares = pd.DataFrame({"1": [33.0], "2": [33.0], "3": [33.0]}, index=["ก"])
    fig, ax = plt.subplots()
    charts.levels_chart(shares, ax=ax)
    assert len(ax.patches) == 3
    assert sum(b.get_width() for b in ax.patches) == pytest.approx(100.0)


def test_contribution_chart_sorts_largest_to_the_top() -> None:
    fig, ax = plt.subplots()
    c = pd.Series({"ก": 10.0, "ข": 50.0, "ค": np.nan, "ง": 40.0})
    assert charts.contribution_chart(c, xlabel="ร้อยละของ M0", ax=ax) is ax
    assert [b.get_width() for b in ax.patches] == [0.0, 10.0, 40.0, 50.0]
    assert ax.get_xlabel() == "ร้อยละของ M0"


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
