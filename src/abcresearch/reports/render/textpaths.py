"""Text drawn as paths in the charts' SVG, laid out once per string and font, not once per figure.

A report's charts draw their text as glyph outlines (``svg.fonttype: path``), so that the PDF
needs no font for them. matplotlib's SVG renderer asks its
:class:`matplotlib.textpath.TextToPath` for each string's size (the layout's measurements, the
tight box) and for its glyphs (their positions and outlines). Each renderer has a fresh
``TextToPath`` and matplotlib's own caches of text sizes live as long as one renderer, that is
one figure, so the same tick labels, axis titles and legend entries were shaped with libraqm
and measured again in every chart of every report: about a quarter of the charts' SVG time.

:class:`TextToPathMemo` keeps, for the life of the process, each string's size and glyph layout
per font, and each glyph's outline. What a figure's SVG gets is unchanged: its renderer still
writes the ``<defs>`` of the glyphs it has not written yet (the glyph map is the renderer's
own), and the outlines and positions are what ``TextToPath`` computed for the same font,
string, features and language. Mathtext and TeX strings go to ``TextToPath`` as before.

This module imports matplotlib; import it where a figure is drawn (the report kernel), not in
the exporter.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from matplotlib.textpath import TextToPath

__all__ = ["TextToPathMemo", "text_to_path"]

MAX_STRINGS = 20_000
"""Strings kept per cache before it starts afresh (a tambon report draws a few hundred)."""


class TextToPathMemo(TextToPath):
    """A :class:`~matplotlib.textpath.TextToPath` that remembers what it laid out.

    Sizes are kept per (font, string, size) and glyph layouts per (font, string, features,
    language); the font is the ``FT2Font`` that ``TextToPath`` picks for the properties, so a
    change of rcParams that picks another font misses the cache. Each cache starts afresh past
    :data:`MAX_STRINGS` strings; the glyph outlines, a few hundred per font, are kept.
    """

    def __init__(self) -> None:
        super().__init__()
        self._sizes: dict[tuple[Any, ...], tuple[float, float, float]] = {}
        self._layouts: dict[tuple[Any, ...], tuple[tuple[Any, ...], ...]] = {}
        self._outlines: dict[str, Any] = {}

    def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any
                                      ) -> tuple[float, float, float]:
        """Width, height and descent of ``s`` in points, as ``TextToPath`` gives them."""
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)
        # the font TextToPath's own methods pick for these properties (its helper)
        font = self._get_font(prop)  # type: ignore[attr-defined]
        key = (font, s, prop.get_size_in_points())
        size = self._sizes.get(key)
        if size is None:
            if len(self._sizes) >= MAX_STRINGS:
                self._sizes.clear()
            size = self._sizes[key] = super().get_text_width_height_descent(s, prop, ismath)
        return size

    def get_glyphs_with_font(self, font: Any, s: str, glyph_map: Any = None,
                             return_new_glyphs_only: bool = False, *, features: Any = None,
                             language: Any = None) -> tuple[list[Any], Any, list[Any]]:
        """Glyphs of ``s`` (name, x, y, scale), the outlines not in ``glyph_map``, no rectangles.

        As :meth:`matplotlib.textpath.TextToPath.get_glyphs_with_font`: with
        ``return_new_glyphs_only`` the outlines come back in a new map, in the order the glyphs
        first appear in ``s``; without it they are added to ``glyph_map``.
        """
        key = (font, s, features, language)
        try:
            layout = self._layouts.get(key)
        except TypeError:  # features or language given as a list: not kept
            return super().get_glyphs_with_font(
                font, s, glyph_map, return_new_glyphs_only, features=features,
                language=language)
        if layout is None:
            info, outlines, _ = super().get_glyphs_with_font(
                font, s, features=features, language=language)
            for name, outline in outlines.items():
                self._outlines.setdefault(name, outline)
            if len(self._layouts) >= MAX_STRINGS:
                self._layouts.clear()
            layout = self._layouts[key] = tuple(info)
        if glyph_map is None:
            glyph_map = OrderedDict()
        new = OrderedDict() if return_new_glyphs_only else glyph_map
        for name, *_ in layout:
            if name not in glyph_map and name not in new:
                new[name] = self._outlines[name]
        return list(layout), new, []


_SHARED: list[TextToPathMemo] = []


def text_to_path() -> TextToPathMemo:
    """Return the process's :class:`TextToPathMemo`, made on first use."""
    if not _SHARED:
        _SHARED.append(TextToPathMemo())
    return _SHARED[0]
