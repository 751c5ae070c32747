"""The charts' text is laid out once per process, and every figure's SVG stays what it was."""

from __future__ import annotations

from collections import OrderedDict

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402

from abcresearch.reports.charts import apply_style  # noqa: E402
from abcresearch.reports.render import display, textpaths  # noqa: E402
from abcresearch.reports.render.textpaths import TextToPathMemo  # noqa: E402


def _bars():
    apply_style()  # the Thai font
    fig, ax = plt.subplots(figsize=(7.2, 2.8))
    ax.barh(["หมู่ที่ 1 บ้านทุ่งนางโอ", "รวมทั้งพื้นที่"], [40, 60], label="ระดับ 1")
    ax.set_xlabel("ร้อยละของครัวเรือน")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5)
    return fig


def _mixed():
    apply_style()
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([0, 1, 2], [3, 1, 2], label="น้ำใช้ในครัวเรือน")
    ax.set_ylabel("ร้อยละของครัวเรือน")  # also in _bars: laid out there first
    ax.set_title(r"ผู้สูงอายุ $x^2$ และ ฯลฯ", loc="left")  # mathtext: not kept
    ax.annotate("ทุนทางสังคม", (1, 1), rotation=30, color="#aa3300", alpha=0.6)
    ax.set_xticks([0, 1, 2], ["ก", "ข้", "ฃ๋"], rotation=90)
    ax.legend()
    return fig


def _svg(make, memo) -> str:
    fig = make()
    try:
        return display.figure_svg(fig)
    finally:
        plt.close(fig)


@pytest.fixture
def fresh_memo(monkeypatch) -> TextToPathMemo:
    memo = TextToPathMemo()
    monkeypatch.setattr(textpaths, "_SHARED", [memo])
    return memo


def test_every_figure_svg_is_what_a_fresh_text_to_path_makes(fresh_memo, monkeypatch) -> None:
    with_memo = [_svg(make, fresh_memo) for make in (_bars, _mixed, _bars, _mixed)]
    assert fresh_memo._layouts and fresh_memo._sizes  # it was used
    monkeypatch.setattr(textpaths, "_SHARED", [TextToPath()])
    plain = [_svg(make, None) for make in (_bars, _mixed)]
    assert with_memo == plain * 2
    for svg in with_memo:  # each figure writes its own glyph outlines
        assert svg.count("<defs>") >= 1 and 'xlink:href="#' in svg


def test_a_figure_drawn_again_lays_out_nothing_new(fresh_memo) -> None:
    _svg(_mixed, fresh_memo)
    sizes, layouts = len(fresh_memo._sizes), len(fresh_memo._layouts)
    calls = []
    original = TextToPath.get_glyphs_with_font

    def counted(self, *args, **kwargs):
        calls.append(args[1])
        return original(self, *args, **kwargs)

    TextToPath.get_glyphs_with_font = counted
    try:
        _svg(_mixed, fresh_memo)
    finally:
        TextToPath.get_glyphs_with_font = original
    assert (len(fresh_memo._sizes), len(fresh_memo._layouts)) == (sizes, layouts)
    assert calls == []  # every string came from the memo (mathtext goes another way)


def test_glyphs_and_new_outlines_as_text_to_path_gives_them() -> None:
    memo, plain = TextToPathMemo(), TextToPath()
    prop = matplotlib.font_manager.FontProperties(size=9)
    font = plain._get_font(prop)
    for text in ("ผู้ใหญ่บ้าน", "บ้านใหม่ ผู้", "ผู้ใหญ่บ้าน"):
        seen_memo: OrderedDict = OrderedDict({"unrelated": None})
        seen_plain: OrderedDict = OrderedDict({"unrelated": None})
        for only_new in (True, False):
            got = memo.get_glyphs_with_font(memo._get_font(prop), text, seen_memo, only_new)
            want = plain.get_glyphs_with_font(font, text, seen_plain, only_new)
            assert got[0] == want[0] and got[2] == want[2]
            assert list(got[1]) == list(want[1])  # the same names, in the same order
            for name in set(want[1]) - {"unrelated"}:
                assert (got[1][name][0] == want[1][name][0]).all()
            assert list(seen_memo) == list(seen_plain)
    for size in (9, 12, 9):  # the same string and font at another size
        sized = matplotlib.font_manager.FontProperties(size=size)
        assert memo.get_text_width_height_descent("ผู้ใหญ่", sized, False) == \
            plain.get_text_width_height_descent("ผู้ใหญ่", sized, False)


def test_unhashable_features_go_to_text_to_path_and_the_caches_stay_bounded(monkeypatch) -> None:
    memo = TextToPathMemo()
    prop = matplotlib.font_manager.FontProperties(size=9)
    font = memo._get_font(prop)
    got = memo.get_glyphs_with_font(font, "ทุน", features=["kern"])
    want = TextToPath().get_glyphs_with_font(TextToPath()._get_font(prop), "ทุน",
                                             features=["kern"])
    assert got[0] == want[0] and not memo._layouts
    monkeypatch.setattr(textpaths, "MAX_STRINGS", 3)
    for text in ("ก", "ข", "ค", "ง", "จ", "ฉ", "ช"):
        memo.get_glyphs_with_font(font, text)
        memo.get_text_width_height_descent(text, prop, False)
    assert 1 <= len(memo._layouts) <= 3 and 1 <= len(memo._sizes) <= 3
