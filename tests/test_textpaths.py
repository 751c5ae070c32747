"""The charts' text is laid out once per process, and every figure's SVG stays what it was."""

from __future__ import annotations

import warnings
from collections import OrderedDict

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402

from abcresearch.reports.charts import apply_style  # noqa: E402
from abcresearch.reports.render import display, textpaths  # noqa: E402
from abcresearch.reports.render.textpaths import TextCache, TextToPathMemo  # noqa: E402


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


def _svg(make) -> str:
    fig = make()
    try:
        return display.figure_svg(fig)
    finally:
        plt.close(fig)


@pytest.fixture
def cache(monkeypatch) -> TextCache:
    """A cache of the test's own, behind every figure's TextToPathMemo."""
    fresh = TextCache()
    monkeypatch.setattr(textpaths, "text_to_path", lambda: TextToPathMemo(fresh))
    return fresh


def test_every_figure_svg_is_what_a_fresh_text_to_path_makes(cache, monkeypatch) -> None:
    with_memo = [_svg(make) for make in (_bars, _mixed, _bars, _mixed)]
    assert cache.layouts and cache.sizes and cache.outlines  # it was used
    # a fresh TextToPath for every figure, as each renderer made its own before
    monkeypatch.setattr(textpaths, "text_to_path", TextToPath)
    plain = [_svg(make) for make in (_bars, _mixed)]
    assert with_memo == plain * 2
    for svg in with_memo:  # each figure writes its own glyph outlines
        assert svg.count("<defs>") >= 1 and 'xlink:href="#' in svg


def test_a_figure_drawn_again_lays_out_nothing_new(cache, monkeypatch) -> None:
    _svg(_mixed)
    kept = len(cache)
    calls = []
    original = TextToPath.get_glyphs_with_font

    def counted(self, *args, **kwargs):
        calls.append(args[1])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TextToPath, "get_glyphs_with_font", counted)
    _svg(_mixed)
    assert len(cache) == kept
    assert calls == []  # every string came from the memo (mathtext goes another way)


def test_glyphs_and_new_outlines_as_text_to_path_gives_them() -> None:
    memo, plain = TextToPathMemo(TextCache()), TextToPath()
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
                assert (got[1][name][0] == want[1][name][0]).all()  # vertices
                assert (got[1][name][1] == want[1][name][1]).all()  # path codes
            assert list(seen_memo) == list(seen_plain)
    for size in (9, 12, 9):  # the same string and font at another size
        sized = matplotlib.font_manager.FontProperties(size=size)
        assert memo.get_text_width_height_descent("ผู้ใหญ่", sized, False) == \
            plain.get_text_width_height_descent("ผู้ใหญ่", sized, False)


def test_another_font_for_the_same_properties_misses_the_cache() -> None:
    """rcParams that pick another font for the same properties (a notebook's own style) give
    that font's sizes and glyphs, not the ones kept for the first."""
    memo = TextToPathMemo(TextCache())
    prop = matplotlib.font_manager.FontProperties(family="sans-serif", size=10)
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        dejavu = memo.get_text_width_height_descent("Readiness", prop, False)
        want_dejavu = TextToPath().get_text_width_height_descent("Readiness", prop, False)
    apply_style()
    thai = matplotlib.font_manager.FontProperties(family="Noto Sans Thai", size=10)
    noto = memo.get_text_width_height_descent("Readiness", thai, False)
    assert dejavu == want_dejavu
    assert noto == TextToPath().get_text_width_height_descent("Readiness", thai, False)
    assert noto != dejavu


def test_a_missing_glyph_warns_in_every_figure_and_is_not_kept() -> None:
    """A glyph the font lacks (tofu) warns each time the text is measured, as it did before
    the cache (matplotlib warns where it measures; its glyph layout does not warn)."""
    memo = TextToPathMemo(TextCache())
    prop = matplotlib.font_manager.FontProperties(family="DejaVu Sans", size=10)
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            memo.get_text_width_height_descent("ทุน", prop, False)
        assert any("missing from font(s) DejaVu Sans" in str(w.message) for w in caught)
    assert not memo.cache.sizes
    memo.get_text_width_height_descent("Tun", prop, False)  # nothing missing: kept
    assert len(memo.cache.sizes) == 1


def test_unhashable_features_go_to_text_to_path_and_the_caches_stay_bounded(monkeypatch) -> None:
    memo = TextToPathMemo(TextCache())
    prop = matplotlib.font_manager.FontProperties(size=9)
    font = memo._get_font(prop)
    got = memo.get_glyphs_with_font(font, "ทุน", features=["kern"])
    want = TextToPath().get_glyphs_with_font(TextToPath()._get_font(prop), "ทุน",
                                             features=["kern"])
    assert got[0] == want[0] and not memo.cache.layouts
    monkeypatch.setattr(textpaths, "MAX_STRINGS", 3)
    for text in ("ก", "ข", "ค", "ง", "จ", "ฉ", "ช"):
        memo.get_glyphs_with_font(font, text)
        memo.get_text_width_height_descent(text, prop, False)
    assert 1 <= len(memo.cache.layouts) <= 3 and 1 <= len(memo.cache.sizes) <= 3


def test_each_figure_has_its_own_mathtext_parser_and_the_kernel_keeps_the_cache() -> None:
    """Mathtext goes to TextToPath with a parser of the figure's own (as each renderer had);
    the cache is kept between notebooks (an entry is what a fresh layout gives)."""
    from abcresearch.batch.kernel_state import clear_library_caches

    first, second = textpaths.text_to_path(), textpaths.text_to_path()
    assert first.mathtext_parser is not second.mathtext_parser
    assert first.cache is second.cache is textpaths.TEXT_CACHE
    _svg(_bars)
    kept = len(textpaths.TEXT_CACHE)
    assert kept
    clear_library_caches()  # between two notebooks in one process (a batch worker)
    assert len(textpaths.TEXT_CACHE) == kept
    textpaths.text_to_path.cache_clear()
    assert len(textpaths.TEXT_CACHE) == 0
