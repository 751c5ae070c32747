"""Reports of a round with damaged store files: which areas fail, and what every other report says.

The round's analysis (:func:`abcresearch.analysis.round.round_analysis`) leaves out the tambons
whose store files cannot be used and names them (:mod:`abcresearch.store.partitions`). A batch
builds that analysis once, before any worker starts (:func:`round_left_out`), then:

* the areas that rest on a left-out tambon (the tambon, its villages, its amphoe) fail at once,
  each with one sentence naming the file (no kernel is started for them);
* every other report of the run, the province overview included, gets a warning block right
  after its cover (:func:`add_warning`), and its summary JSON the keys :data:`LEFT_OUT_KEY` (the
  tambon codes) and :data:`WARNING_KEY` (the warning's text, in the report's language); the
  index page shows the warning above the table. The left-out tambons are part of every report's
  inputs, so a repaired store makes the reports again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

LEFT_OUT_KEY = "left_out_tambons"
"""Summary JSON key: codes of the tambons left out of the round's figures."""

WARNING_KEY = "round_warning"
"""Summary JSON key: the warning shown in the report (plain text, report language)."""

WARNING_TAG = "abcresearch-round-warning"
"""Tag of the warning cell added to an executed notebook."""


def round_left_out(survey_round: int, store: Path | str | None,
                   scheme: str | None = None, *, analyse: bool = True) -> tuple[Any, ...]:
    """Build (or read) the round's analysis once and return the damaged files it left out.

    The round's suppression pattern is built here too, once for every worker.

    With ``analyse=False`` (one report: its kernel builds or reads the analysis anyway) the
    files are found by :func:`abcresearch.store.partitions.find_damaged` instead, without
    importing the analysis: the same files, at a fraction of the cost.

    Parameters
    ----------
    survey_round : int
        The round.
    store : path, optional
        The store.
    scheme : str, optional
        Scoring scheme parameter (None: the default scheme).

    Returns
    -------
    tuple of abcresearch.store.partitions.UnreadablePartition
        Empty when nothing was left out, or when the analysis cannot be built at all (then each
        report meets the problem itself and fails with its own message).
    """
    try:
        from abcresearch.store import manifest

        prints = manifest(int(survey_round), store).get("fingerprints")
        if not isinstance(prints, dict) or not isinstance(prints.get("households"), dict):
            return ()  # not a store abcresearch ingested (a test fixture): nothing to analyse
        if not analyse:
            from abcresearch.store.partitions import find_damaged

            return find_damaged(int(survey_round), store)
        from abcresearch.analysis.round import round_analysis

        analysis = round_analysis(int(survey_round), store, scheme)
        _build_disclosure_pattern(analysis, store)
        return tuple(analysis.excluded)
    except Exception:  # noqa: BLE001 - reported by each area's own run
        return ()


def _build_disclosure_pattern(analysis: Any, store: Path | str | None) -> None:
    """Build the round's suppression pattern once, in the batch's own process.

    It is cached beside the round analysis (:func:`abcresearch.reports.disclosure.round_pattern`),
    so the workers' kernels read it (0.1 s) instead of each building it on its first report
    (about 11 s and 0.8 GB of memory on the province). A pattern already cached is not read here
    (:func:`~abcresearch.reports.disclosure.ensure_round_pattern`): that 0.1 s delayed every
    worker's start. A failure here is left to the reports.
    """
    try:
        from abcresearch.paths import project_path
        from abcresearch.reports.disclosure import SECONDARY_SUPPRESSION, ensure_round_pattern

        ensure_round_pattern(analysis, analysis.design.suppression_threshold,
                             project_path(store), secondary=SECONDARY_SUPPRESSION)
    except Exception:  # noqa: BLE001 - each report builds it itself then
        return


UNPROTECTED_FILE = "disclosure-unprotected.csv"
"""File in a round's reports folder listing the sums the disclosure rules could not protect."""


def unprotected_sums(survey_round: int, store: Path | str | None,
                     scheme: str | None = None) -> tuple[tuple[str, str, str], ...]:
    """Return the cells whose sums the round's disclosure rules could not protect.

    :attr:`abcresearch.reports.disclosure.SuppressionPattern.unsatisfied`: a sum of published
    counts in which a reader may narrow a small cell and nothing is left to hide (a tambon of a
    few households in villages of one or two), or a "<5" its cells within give away. The
    analysis was built by :func:`round_left_out` in this process and the pattern cached beside
    it, so this reads the analysis from memory and the pattern from its file.

    Returns
    -------
    tuple of (measure, area code, category)
        Sorted; empty when every sum is protected or the pattern cannot be built (each report
        then meets the problem itself).
    """
    try:
        from abcresearch.analysis.round import round_analysis
        from abcresearch.paths import project_path
        from abcresearch.reports.disclosure import SECONDARY_SUPPRESSION, round_pattern

        analysis = round_analysis(int(survey_round), store, scheme)
        pattern = round_pattern(analysis, analysis.design.suppression_threshold,
                                project_path(store), secondary=SECONDARY_SUPPRESSION)
    except Exception:  # noqa: BLE001 - reported by each area's own run
        return ()
    return tuple(sorted({(str(m), str(a), str(k)) for m, a, k in pattern.unsatisfied}))


def tambons_of(excluded: Iterable[Any]) -> tuple[str, ...]:
    """Return the sorted codes of the tambons that ``excluded`` leaves out."""
    return tuple(sorted({str(p.tambon_code) for p in excluded}))


def refusal(area_code: str, excluded: Iterable[Any]) -> str | None:
    """Return why an area cannot be reported (one sentence), or None if it can."""
    from abcresearch.store.partitions import area_left_out

    return area_left_out(area_code, excluded)


def area_list(tambons: Sequence[str], lang: str) -> str:
    """Return the left-out tambons as words: ``ตำบลขนอม (801502)``, ``Khanom Subdistrict (...)``."""
    from abcresearch.survey.areas import get_area

    names = []
    for code in tambons:
        try:
            names.append(f"{get_area(code).label(lang)} ({code})")
        except Exception:  # noqa: BLE001 - an unknown code is shown as it is
            names.append(code)
    return ", ".join(names)


def warning_text(tambons: Sequence[str], lang: str) -> tuple[str, str]:
    """Return the warning's (title, text) for a report in ``lang``."""
    from abcresearch.labels import label

    areas = area_list(tambons, lang)
    return label("batch.left_out.title", lang), label("batch.left_out.text", lang, areas=areas)


def _shows_header(cell: Any) -> bool:
    from abcresearch.reports.render.typst import HEADER_MIME

    return any(HEADER_MIME in (out.get("data") or {}) for out in cell.get("outputs", []) or [])


def add_warning(nb: Any, tambons: Sequence[str], lang: str) -> dict[str, Any]:
    """Put the warning into an executed notebook, right after its cover; return the summary keys.

    The warning is a Markdown cell tagged :data:`WARNING_TAG` placed after the first cell that
    displays the page header (the cover), or else after the parameters; the PDF shows it there.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (changed in place).
    tambons : sequence of str
        Codes of the left-out tambons.
    lang : str
        Report language.

    Returns
    -------
    dict
        ``{LEFT_OUT_KEY: [...], WARNING_KEY: text}`` for the summary JSON.
    """
    import nbformat

    title, text = warning_text(tambons, lang)
    cells = nb.cells
    where = next((i + 1 for i, c in enumerate(cells)
                  if c.get("cell_type") == "code" and _shows_header(c)), None)
    if where is None:
        tagged = [i for i, c in enumerate(cells)
                  if {"parameters", "injected-parameters"} & set(c.get("metadata", {})
                                                                 .get("tags", []))]
        where = tagged[-1] + 1 if tagged else 0
    cell = nbformat.v4.new_markdown_cell(f"> **{title}**\n>\n> {text}")
    cell.metadata["tags"] = [WARNING_TAG]
    cell.pop("id", None)
    if nb.get("nbformat_minor", 0) >= 5:  # cell ids exist from nbformat 4.5 on
        cell["id"] = WARNING_TAG
    cells.insert(where, cell)
    return {LEFT_OUT_KEY: list(tambons), WARNING_KEY: f"{title}: {text}"}


__all__ = ["LEFT_OUT_KEY", "UNPROTECTED_FILE", "WARNING_KEY", "WARNING_TAG", "add_warning",
           "area_list", "refusal", "round_left_out", "tambons_of", "unprotected_sums",
           "warning_text"]
