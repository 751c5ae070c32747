"""Sections shared by reports on one round (area report and province overview): the cover
block and the short methods note."""

from __future__ import annotations

from typing import Any

from abcresearch.reports.formatting import Words, scheme_version
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["cover_block", "methods_note"]


def cover_block(words: Words, name_th: str, name_en: str, lines: list[str], synthetic: bool,
                details: dict[str, Any] | None = None,
                header: dict[str, Any] | None = None) -> SectionResult:
    """Return a cover: the names large, then ``lines``.

    Parameters
    ----------
    words : Words
        The report's words.
    name_th, name_en : str
        The area's names.
    lines : list of str
        Markdown lines; lines starting with ``**`` are set bold, the synthetic-data banner in
        red when ``synthetic``.
    synthetic : bool
        Whether the round's data are synthetic.
    details : dict, optional
        Numbers behind the cover (kept in the result, not shown).
    header : dict, optional
        The PDF's page header (:func:`~abcresearch.reports.render.display.report_header`):
        the cover sets it, so a notebook exported from JupyterLab carries the area, round and
        synthetic label on every page, as the command line's PDF does.
    """
    from abcresearch.reports.render.typst import escape_markup as esc

    md = "\n\n".join([f"# {name_th} · {name_en}", *lines])
    body = ["#block(width: 100%, inset: (y: 1em))[",
            f"  #text(size: 22pt, weight: \"bold\")[{esc(name_th)}] \\",
            f"  #text(size: 14pt)[{esc(name_en)}]", "]"]
    banner = words("synthetic.banner")
    for line in lines:
        text = line.replace("**", "")
        if synthetic and text == banner:
            body.append("#block(fill: rgb(\"#c62828\"), inset: 8pt, radius: 3pt)"
                        f"[#text(fill: white, weight: \"bold\")[{esc(text)}]]")
        elif line.startswith("**"):
            body.append(f"#text(size: 13pt, weight: \"bold\")[{esc(text)}]")
        else:
            body.append(f"#text(size: 11pt)[{esc(text)}]")
        body.append("")
    out = SectionBuilder("cover", words)
    if header is not None:
        out.page_header(header)
    out.typst("\n".join(body), md)
    return out.result(details=details or {})


def methods_note(words: Words, survey_round: int, scheme: Any) -> SectionResult:
    """Return the short methods note: round, scoring scheme, estimation and suppression."""
    out = SectionBuilder("methods_note", words)
    out.heading("section.methods")
    out.text(words("methods.text", be=survey_round, scheme=scheme_version(scheme)))
    return out.result()
