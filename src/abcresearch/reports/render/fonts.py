"""Fonts for Thai reports, taken from PyPI font packages only (never system fonts).

The Thai font is Noto Sans Thai from ``fontpkg-noto-sans-thai`` (a variable font with weight and
width axes, so bold works in Typst and matplotlib). Code is set in DejaVu Sans Mono, which ships
inside the ``typst`` package itself, with Noto Sans Thai as fallback for Thai characters.
Symbols Noto Sans Thai lacks (the list marker ‣, ▲ ▼ → ≥ ≤, Σ, subscripts) are set in DejaVu Sans,
the copy matplotlib ships (the charts' fallback too), not in Typst's serif fonts.

Importing this module is cheap: matplotlib is imported only inside :func:`use_thai_font`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from abcresearch.errors import ReportError

THAI_FAMILY = "Noto Sans Thai"
"""Family name of the Thai font, as Typst and matplotlib see it."""

SYMBOL_FAMILY = "DejaVu Sans"
"""Fallback family of the text for symbols the Thai font lacks (matplotlib's own copy)."""

TEXT_FAMILIES = (THAI_FAMILY, SYMBOL_FAMILY)
"""The text's fonts in Typst, in order (the template's ``abc-font``)."""

TYPST_TEXT_FONTS = "(" + ", ".join(f'"{f}"' for f in TEXT_FAMILIES) + ")"
""":data:`TEXT_FAMILIES` as a Typst array, for ``set text(font: ...)``."""

MONO_FAMILIES = ("DejaVu Sans Mono", THAI_FAMILY)
"""Code font for Typst: DejaVu Sans Mono (embedded in typst) with Thai fallback."""

SVG_HASHSALT = "abcresearch"
"""Fixed ``svg.hashsalt`` so matplotlib SVG ids are the same on every run."""


@functools.cache
def font_files() -> tuple[Path, ...]:
    """Return the font files of Noto Sans Thai shipped by ``fontpkg-noto-sans-thai``.

    Returns
    -------
    tuple of pathlib.Path
        The ``.ttf``/``.otf`` files of the family (one variable font today).

    Raises
    ------
    ReportError
        If the font package is not installed or holds no font file.
    """
    try:  # the package's own folder: importing fontpkg's registry costs a tenth of a second
        import fontpkg_noto_sans_thai as pkg

        files = tuple(sorted((Path(pkg.ROOT) / "files").glob("*.[ot]tf")))
    except (ImportError, AttributeError):
        try:
            import fontpkg

            files = tuple(Path(f.path) for f in fontpkg.family(THAI_FAMILY).files)
        except ImportError as exc:
            raise ReportError(
                "The Thai font package is missing: pip install fontpkg-noto-sans-thai"
            ) from exc
        except Exception as exc:  # fontpkg.FamilyNotInstalled and friends
            raise ReportError(
                f"Font family {THAI_FAMILY!r} not found: pip install fontpkg-noto-sans-thai ({exc})"
            ) from exc
    files = tuple(p for p in files if p.is_file())
    if not files:
        raise ReportError(f"fontpkg-noto-sans-thai is installed but holds no {THAI_FAMILY} file")
    return files


@functools.cache
def symbol_font_folder() -> Path | None:
    """Return matplotlib's folder of TrueType fonts, which holds DejaVu Sans.

    Found without importing matplotlib (its folder ``mpl-data/fonts/ttf``, as
    ``matplotlib.get_data_path()`` gives it).

    Returns
    -------
    pathlib.Path or None
        The folder, or None if matplotlib or its DejaVu Sans is missing (symbols then fall back
        to Typst's embedded fonts).
    """
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    return folder if (folder / "DejaVuSans.ttf").is_file() else None


def font_paths() -> list[str]:
    """Return the folders that hold the report's font files, for ``typst`` ``font_paths``.

    Returns
    -------
    list of str
        Distinct parent folders of :func:`font_files` in a stable order, then
        :func:`symbol_font_folder` where it exists.
    """
    folders = sorted({str(p.parent) for p in font_files()})
    symbols = symbol_font_folder()
    return folders if symbols is None else [*folders, str(symbols)]


def thai_rc() -> dict[str, Any]:
    """Return matplotlib rcParams for Thai, sharp and deterministic figures.

    Pass the result to seaborn as ``sns.set_theme(..., rc=thai_rc())``, because ``set_theme``
    resets ``font.family``. The font must also be registered, see :func:`use_thai_font`.

    Returns
    -------
    dict
        ``font.family`` (Noto Sans Thai first, DejaVu Sans as fallback), SVG output with text as
        paths, a fixed ``svg.hashsalt``, and no date in saved files.
    """
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [THAI_FAMILY, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "svg.hashsalt": SVG_HASHSALT,
        "figure.dpi": 100,
        "savefig.format": "svg",
        "savefig.bbox": "tight",
    }


@functools.cache
def register_thai_font() -> str:
    """Register the Thai font files with matplotlib's font manager (once per process).

    Returns
    -------
    str
        The family name to use in matplotlib (``"Noto Sans Thai"``).
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = {entry.fname for entry in manager.ttflist}
    for path in font_files():
        # adding a file again would list it twice and empty matplotlib's font lookup cache,
        # which every report of a warm kernel would otherwise do
        if str(path) not in known:
            manager.addfont(str(path))
    return THAI_FAMILY


def use_thai_font() -> dict[str, Any]:
    """Register the Thai font with matplotlib and make it the default, with deterministic SVG.

    Call once at the top of a report notebook (after importing seaborn and calling
    ``set_theme``, or pass :func:`thai_rc` to ``set_theme(rc=...)`` instead).

    Returns
    -------
    dict
        The rcParams that were applied (see :func:`thai_rc`).
    """
    import matplotlib

    register_thai_font()
    rc = thai_rc()
    # RcParams types its keys as a Literal of matplotlib's names; building one checks ours
    matplotlib.rcParams.update(matplotlib.RcParams(rc))
    return rc


def svg_metadata() -> dict[str, Any]:
    """Return ``metadata=`` for ``Figure.savefig(format="svg")`` with no date or tool version.

    Returns
    -------
    dict
        ``{"Date": None, "Creator": None}``.
    """
    return {"Date": None, "Creator": None}

# caches that batch.kernel_state.reset keeps between notebooks run in one process (see
# abcresearch.batch.inprocess): what they hold is derived from files and not changed
font_files.cache_safe = True  # type: ignore[attr-defined]  # installed files
register_thai_font.cache_safe = True  # type: ignore[attr-defined]  # a font name; matplotlib keeps the font anyway


def _advances(font: Any) -> dict[int, float]:
    """Return an open font's advance by code point, in ems."""
    units = float(font["head"].unitsPerEm)
    widths = font["hmtx"].metrics
    return {code: widths[name][0] / units for code, name in font.getBestCmap().items()}


@functools.cache
def _metrics() -> tuple[dict[int, float], float, float]:
    """Return the Thai font's advance by code point, its ascender and its descender, in ems."""
    from fontTools.ttLib import TTFont

    with TTFont(str(font_files()[0]), lazy=True) as font:  # closes the file
        units = float(font["head"].unitsPerEm)
        return _advances(font), font["hhea"].ascent / units, -font["hhea"].descent / units


@functools.cache
def _symbol_advances() -> dict[int, float]:
    """Return the symbol font's advance by code point, in ems.

    Read at the first character the Thai font lacks (55 ms, which most reports never need).
    """
    from fontTools.ttLib import TTFont

    folder = symbol_font_folder()
    if folder is None:
        return {}
    with TTFont(str(folder / "DejaVuSans.ttf"), lazy=True) as font:
        return _advances(font)


def text_width(text: str, size: float) -> float:
    """Return the width of one line of ``text`` set in the Thai font at ``size`` points.

    The sum of the characters' advances in the font's default instance (regular weight and
    width, as Typst and matplotlib set plain text), without kerning; Thai marks have no
    advance. A character the Thai font lacks is measured in DejaVu Sans (:data:`SYMBOL_FAMILY`,
    as Typst sets it), one neither has as six tenths of an em. For placing words in a
    chart before Typst sets them (``tests/test_charts.py`` compares it with Typst's measure).

    Parameters
    ----------
    text : str
        The words, on one line.
    size : float
        Type size in points.

    Returns
    -------
    float
        Width in points.
    """
    advance = _metrics()[0]
    total = 0.0
    for c in text:
        a = advance.get(ord(c))
        total += a if a is not None else _symbol_advances().get(ord(c), 0.6)
    return total * size


def line_height(size: float) -> float:
    """Return the height of a line of the Thai font at ``size`` points, ascender to descender.

    As matplotlib measures a line of text, and Typst sets one with ``top-edge: "ascender"`` and
    ``bottom-edge: "descender"``.
    """
    _, ascent, descent = _metrics()
    return (ascent + descent) * size


# read once a process, not once a report (the font file is installed, not changed): the reset
# between a worker's notebooks read it again with fontTools, 27 ms a report
_metrics.cache_safe = True  # type: ignore[attr-defined]  # metrics of an installed file
_symbol_advances.cache_safe = True  # type: ignore[attr-defined]  # the same, of matplotlib's font
