"""Sections shared by reports on one round (area report and province overview).

the cover block and the short methods note.
"""

from __future__ import annotations

from typing import Any

from abcresearch.labels import names_list
from abcresearch.params import rules_fingerprint
from abcresearch.reports.formatting import Words, scheme_version
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["cover_block", "key_figures", "methods_note", "names_list", "within_words"]


def cover_block(words: Words, name_th: str, name_en: str, lines: list[str], synthetic: bool,
                details: dict[str, Any] | None = None,
                header: dict[str, Any] | None = None,
                published: tuple[Any, ...] = (), title_key: str = "cover.title"
                ) -> SectionResult:
    """Return a cover: what the report is, the names large, then ``lines``.

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
    published : tuple of Published, optional
        The disclosure ledger of the numbers on the cover.
    title_key : str
        Label of the report's title above the names (a model-based report is not a survey's).
    """
    from abcresearch.reports.render.typst import escape_markup as esc

    # what the document is, above whose it is: a printed copy handed to a forum says it itself
    title = words(title_key)
    md = "\n\n".join([f"**{title}**", f"# {name_th} · {name_en}", *lines])
    body = ["#block(width: 100%, inset: (y: 1em))[",
            f"  #text(size: 12pt, weight: \"bold\", fill: abc-accent)[{esc(title)}] \\",
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
    # what is in the report and on which page, where the cover was two-thirds empty: a
    # printed copy at a forum is read by turning to "what to do" (the PDF only: a notebook's
    # headings are its contents)
    body += ["#v(1.2em)", f"#outline(title: [{esc(words('cover.contents'))}], depth: 2)"]
    out = SectionBuilder("cover", words)
    if header is not None:
        out.page_header(header)
    out.typst("\n".join(body), md)
    return out.result(details=details or {}, published=published)


def methods_note(words: Words, survey_round: int, scheme: Any,
                 provenance: str | None = None) -> SectionResult:
    """Return the short methods note.

    round, scoring scheme, estimation and suppression, and the provenance of the data (fingerprint,
    scheme, software version), which the cover no longer carries.

    Parameters
    ----------
    words : Words
        The report's words.
    survey_round : int
        Buddhist-era year.
    scheme : Scheme
        Scoring scheme.
    provenance : str, optional
        Data fingerprint of the report's store partitions.
    """
    from abcresearch.software import software_label

    out = SectionBuilder("methods_note", words)
    out.heading("section.methods")
    # the Thai names the scheme's set only: "abc7 v2026.1" beside "พ.ศ. 2549" read as a later
    # year (reader reviews); its release is on the provenance line
    out.text(words("methods.text", be=survey_round, scheme=scheme_version(scheme),
                   scheme_id=scheme.scheme_id))
    # the abbreviations the welfare and income sections use (the "what to do" page explains
    # its agencies' own): an English reader met "TAO", "BMN" and "NHSO" unexplained
    out.text(words("methods.glossary"))
    if provenance is not None:
        note = words("cover.provenance_note", fingerprint=provenance,
                     scheme=scheme_version(scheme), version=software_label(),
                     rules=rules_fingerprint(getattr(scheme, "path", None)))
        out.text(f"*{note}*")
    return out.result()


def key_figures(report: Any) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """Return an area's key figures exactly as its report prints them.

    The summary JSON and the index page take these, never their own rounding.

    Returns
    -------
    figures : dict
        ``households`` (sample size), ``m0`` and ``share_level1`` (a share 0-1) as printed;
        None where the report hides them.
    published : tuple of Published
        Their ledger entries.
    """
    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections.levels import level1_share

    pub = Publisher(report, "write_summary")
    code = report.area.code
    l1 = report.level1_estimate.iloc[0]
    m0 = report.af_result.M0["estimate"].iloc[0]
    figures = {"households": pub.n(code).value,
               "m0": pub.mean("m0", code, m0, kind="index").value,
               "share_level1": level1_share(pub, code, l1["estimate"]).value}
    figures["households"] = None if figures["households"] is None else int(figures["households"])
    return figures, tuple(pub.entries)


def within_words(report: Any) -> str:
    """Name the areas within a report's area, as ``report.children`` holds them.

    The villages of a tambon (or a village's own), else the tambons: "หมู่บ้าน", "ตำบล".
    """
    return str(report.t("cover.within.villages" if report.level in ("tambon", "village")
                        else "cover.within.tambons"))
