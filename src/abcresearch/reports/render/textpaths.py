"""Text drawn as paths in the charts' SVG, laid out once per string and font, not once per figure.

A report's charts draw their text as glyph outlines (``svg.fonttype: path``), so that the PDF
needs no font for them. matplotlib's SVG renderer asks its
:class:`matplotlib.textpath.TextToPath` for each string's size (the layout's measurements, the
tight box) and for its glyphs (their positions and outlines). Each renderer has a fresh
``TextToPath`` and matplotlib's own caches of text sizes live as long as one renderer, that is
one figure, so the same tick labels, axis titles and legend entries were shaped with libraqm
and measured again in every chart of every report: about a quarter of the charts' SVG time.

:func:`text_to_path` gives each figure a :class:`TextToPathMemo`, a ``TextToPath`` of its own
(with its own mathtext parser, as before) whose plain-text sizes, glyph layouts and glyph
outlines come from caches kept for the life of the process (:data:`TEXT_CACHE`). What a
figure's SVG gets is unchanged: its renderer still writes the ``<defs>`` of the glyphs it has
not written yet (the glyph map is the renderer's own), and the outlines and positions are what
``TextToPath`` computes for the same font object, string, features and language. The font
object is the one matplotlib picks for the text's properties under the rcParams of the moment,
so a change of rcParams or of the fonts that picks another font misses the caches. Mathtext
and TeX strings, and any string whose layout warned (a glyph missing from the font), go to
``TextToPath`` every time, so such a warning is given for every figure as before.

The caches are shared by the threads of a process without a lock: charts are drawn in the
kernel's main thread (a race would compute an entry twice, with the same result). This module
imports matplotlib; import it where a figure is drawn (the report kernel), not in the exporter.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from matplotlib.textpath import TextToPath

__all__ = ["TEXT_CACHE", "TextCache", "TextToPathMemo", "text_to_path"]

MAX_STRINGS = 5_000
"""Strings kept per cache before it starts afresh (a tambon report draws a few hundred)."""


class TextCache:
    """What :class:`TextToPathMemo` keeps between figures: sizes, layouts and outlines.

    Sizes are kept per (font, string, size), glyph layouts per (font, string, features,
    language) and outlines per (font, glyph); the font is the ``FT2Font`` that ``TextToPath``
    picks for the properties. Each of the first two starts afresh past :data:`MAX_STRINGS`
    strings; the outlines (a few hundred glyphs a font) are cleared with the layouts.
    """

    def __init__(self) -> None:
        self.sizes: dict[tuple[Any, ...], tuple[float, float, float]] = {}
        self.layouts: dict[tuple[Any, ...], tuple[tuple[Any, ...], ...]] = {}
        self.outlines: dict[tuple[Any, str], Any] = {}

    def __len__(self) -> int:
        """Return the number of strings kept (sizes and layouts)."""
        return len(self.sizes) + len(self.layouts)

    def clear(self) -> None:
        """Forget everything kept."""
        self.sizes.clear()
        self.layouts.clear()
        self.outlines.clear()


TEXT_CACHE = TextCache()
"""The process's text cache."""


def _quietly(compute: Callable[[], Any]) -> tuple[Any, bool]:
    """Return ``compute()`` and whether it warned; its warnings are given as they came."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = compute()
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    return value, bool(caught)


class TextToPathMemo(TextToPath):
    """A :class:`~matplotlib.textpath.TextToPath` that takes plain text from a :class:`TextCache`.

    Parameters
    ----------
    cache : TextCache, optional
        Where sizes, layouts and outlines are kept (default :data:`TEXT_CACHE`).
    """

    def __init__(self, cache: TextCache | None = None) -> None:
        super().__init__()
        self.cache = TEXT_CACHE if cache is None else cache

    def _font(self, prop: Any) -> Any:
        # the font TextToPath's own methods pick for these properties (its helper); None where
        # a matplotlib without it is installed
        pick = getattr(self, "_get_font", None)
        return pick(prop) if pick is not None else None

    def get_text_width_height_descent(self, s: str, prop: Any, ismath: Any
                                      ) -> tuple[float, float, float]:
        """Width, height and descent of ``s`` in points, as ``TextToPath`` gives them."""
        font = None if ismath else self._font(prop)
        if font is None:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = (font, s, prop.get_size_in_points())
        sizes = self.cache.sizes
        size = sizes.get(key)
        if size is None:
            size, warned = _quietly(lambda: super(TextToPathMemo, self)
                                    .get_text_width_height_descent(s, prop, ismath))
            if not warned:
                if len(sizes) >= MAX_STRINGS:
                    sizes.clear()
                sizes[key] = size
        return size

    def get_glyphs_with_font(self, font: Any, s: str, glyph_map: Any = None,
                             return_new_glyphs_only: bool = False, *, features: Any = None,
                             language: Any = None) -> tuple[list[Any], Any, list[Any]]:
        """Glyphs of ``s`` (name, x, y, scale), the outlines not in ``glyph_map``, no rectangles.

        As :meth:`matplotlib.textpath.TextToPath.get_glyphs_with_font`: with
        ``return_new_glyphs_only`` the outlines come back in a new map, in the order the glyphs
        first appear in ``s``; without it they are added to ``glyph_map``.
        """
        # (features and language only where given: matplotlib before 3.11 has neither)
        shaping = {k: v for k, v in (("features", features), ("language", language))
                   if v is not None}
        key = (font, s, features, language)
        try:
            layout, keep = self.cache.layouts.get(key), True
        except TypeError:  # features or language given as a list: not kept
            layout, keep = None, False
        if layout is None:
            (info, outlines, _), warned = _quietly(lambda: super(TextToPathMemo, self)
                                                  .get_glyphs_with_font(font, s, **shaping))
            layout = tuple(info)
            if keep and not warned:
                if len(self.cache.layouts) >= MAX_STRINGS:
                    self.cache.clear()
                self.cache.layouts[key] = layout
            for name, outline in outlines.items():
                self.cache.outlines.setdefault((font, name), outline)
        if glyph_map is None:
            glyph_map = OrderedDict()
        new = OrderedDict() if return_new_glyphs_only else glyph_map
        for name, *_ in layout:
            if name not in glyph_map and name not in new:
                new[name] = self.cache.outlines[font, name]
        return list(layout), new, []


def text_to_path() -> TextToPathMemo:
    """Return a figure's :class:`TextToPathMemo` (its own mathtext parser, the shared caches)."""
    return TextToPathMemo()


# kept by batch.kernel_state.reset between notebooks run in one process: an entry is what a
# fresh TextToPath computes for the same font object (rcParams that pick another font miss)
text_to_path.cache_clear = TEXT_CACHE.clear  # type: ignore[attr-defined]
text_to_path.cache_safe = True  # type: ignore[attr-defined]
