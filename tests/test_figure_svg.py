"""figure_svg draws a figure once and crops it as savefig(bbox_inches="tight") does."""

from __future__ import annotations

import io
import re

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from abcresearch.reports.charts import apply_style  # noqa: E402
from abcresearch.reports.render.display import figure_svg  # noqa: E402
from abcresearch.reports.render.fonts import SVG_HASHSALT, svg_metadata  # noqa: E402


def _size(svg: str) -> tuple[float, ...]:
    tag = re.search(r"<svg [^>]*>", svg).group(0)
    w = float(re.search(r'width="([\d.]+)pt"', tag).group(1))
    h = float(re.search(r'height="([\d.]+)pt"', tag).group(1))
    box = tuple(float(v) for v in re.search(r'viewBox="([^"]*)"', tag).group(1).split())
    return (w, h, *box)


def _figure(legend_above: bool):
    apply_style()  # the Thai font
    fig, ax = plt.subplots(figsize=(7.2, 2.8))
    ax.barh(["หมู่ที่ 1 บ้านทุ่งนางโอ", "รวมทั้งพื้นที่"], [40, 60], label="ระดับ 1")
    ax.set_xlabel("ร้อยละของครัวเรือน")
    if legend_above:  # outside the axes and above the figure, as levels_chart's legend
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=5)
    return fig


@pytest.mark.parametrize("legend_above", [False, True])
def test_one_draw_gives_the_tight_size(legend_above: bool, monkeypatch) -> None:
    fig = _figure(legend_above)
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": SVG_HASHSALT}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata=svg_metadata())
    tight = _size(buf.getvalue())
    draws = []
    original = type(fig).draw
    monkeypatch.setattr(type(fig), "draw", lambda self, r: (draws.append(1), original(self, r)))
    svg = figure_svg(fig)
    assert len(draws) == 1
    ours = _size(svg)
    assert ours[0] == pytest.approx(tight[0], abs=0.01)
    assert ours[1] == pytest.approx(tight[1], abs=0.01)
    assert ours[4:] == pytest.approx(ours[:2])  # the viewBox is the whole image
    assert fig.dpi == plt.rcParams["figure.dpi"]  # restored after the SVG's 72 dpi
    assert svg.rstrip().endswith("</svg>")
    assert figure_svg(fig) == svg  # deterministic
    plt.close(fig)


def test_svg_img_shows_the_svg_in_html_and_escapes_the_caption() -> None:
    """The HTML image JupyterLab shows in an untrusted notebook (where it hides SVG)."""
    import base64
    import html

    from abcresearch.reports.render.display import svg_img

    svg = figure_svg(_figure(False))
    plt.close("all")
    plain = svg_img(svg)
    src = re.fullmatch(r'<figure><img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]*)" '
                       r'alt=""/></figure>', plain)
    assert src is not None and base64.b64decode(src[1]).decode("utf-8") == svg
    caption = 'ร้อยละ "ครัวเรือน" <5 & อื่น ๆ'
    shown = svg_img(svg, caption)
    assert shown.startswith(plain[:-len('alt=""/></figure>')])
    assert shown.endswith(f'alt="{html.escape(caption)}"/>'
                          f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    assert "<5" not in shown and '"ครัวเรือน"' not in shown
