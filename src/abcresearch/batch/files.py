"""The files of one report and the outcome of a run.

Files of one report (``out`` defaults to ``reports/``; ``level`` from the code length; a scoring
scheme other than the default adds its own folder, ``<out>/<round>/<scheme>/<level>/``)::

    <out>/<round>/<level>/<code>.pdf           the report (never half-written: temp file +
                                               os.replace)
    <out>/<round>/<level>/<code>.ipynb         the executed notebook (kept on failure, with
                                               papermill's red error banner)
    <out>/<round>/<level>/<code>.summary.json  key figures for the index page
    <out>/<round>/<level>/<code>.inputs.json   fingerprint of the report's inputs, written last;
                                               a batch skips the area while it still matches
    <out>/<round>/<level>/<code>.error.txt     only after a failure: error, failing cell, traceback
    <out>/<round>/<level>/<code>.failed.ipynb  only after a failed rerun of a current report
                                               (``--force``): the failed run, beside the good
                                               report, which is kept (see ``execute_report``)

Every one of them is written by :func:`abcresearch.atomic.atomic_write_bytes`, so they all get the
same permissions.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abcresearch.atomic import atomic_write_bytes
from abcresearch.errors import ReportError

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class ReportPaths:
    """Where one report's files go (see the module docstring)."""

    pdf: Path
    ipynb: Path
    summary: Path
    inputs: Path
    error: Path
    failed_notebook: Path

    @classmethod
    def for_area(cls, area_code: str, survey_round: int,
                 out: str | os.PathLike[str] | None = None, scheme_folder: str | None = None
                 ) -> ReportPaths:
        """Return the paths of ``area_code``'s report.

        Parameters
        ----------
        area_code : str
            Area code (its length gives the level folder).
        survey_round : int
            Buddhist-era year.
        out : path, optional
            Reports folder (default ``reports/`` in the project).
        scheme_folder : str, optional
            The reports' sub-folder of the round (:func:`sub_folder`: a non-default scoring
            scheme's, English reports'); None for Thai reports of the default scheme.
        """
        from abcresearch.survey.areas import level_of

        folder = round_folder(survey_round, out, scheme_folder) / level_of(area_code)
        stem = str(area_code)
        return cls(
            pdf=folder / f"{stem}.pdf",
            ipynb=folder / f"{stem}.ipynb",
            summary=folder / f"{stem}.summary.json",
            inputs=folder / f"{stem}.inputs.json",
            error=folder / f"{stem}.error.txt",
            failed_notebook=folder / f"{stem}.failed.ipynb",
        )


DEFAULT_LANG = "th"
"""Language of the reports written straight into a round's folder; others get a sub-folder."""


def sub_folder(scheme_folder: str | None, lang: str = DEFAULT_LANG) -> str | None:
    """Return the reports' sub-folder of a round: a non-default scheme's, then the language's.

    Thai reports (the default) go in the round's folder; English ones in ``en/`` beside them,
    so that one language never overwrites the other's reports (and the index page that links
    them).

    Parameters
    ----------
    scheme_folder : str, optional
        Folder of a non-default scoring scheme (None for the default scheme).
    lang : {"th", "en"}
        Report language.
    """
    parts = [p for p in (scheme_folder, None if lang == DEFAULT_LANG else lang) if p]
    return "/".join(parts) or None


def round_folder(survey_round: int, out: str | os.PathLike[str] | None = None,
                 scheme_folder: str | None = None) -> Path:
    """Return the folder of a round's reports (and index page): ``<out>/<round>[/<sub>]``.

    ``scheme_folder`` is the sub-folder (:func:`sub_folder`), e.g. ``<scheme>``, ``en`` or
    ``<scheme>/en``.
    """
    from abcresearch.paths import reports_dir

    base = Path(out) if out is not None else reports_dir()
    folder = base / str(int(survey_round))
    return folder / scheme_folder if scheme_folder else folder


@dataclass
class ReportOutcome:
    """Result of one report run.

    Attributes
    ----------
    area_code : str
    survey_round : int
    level : str
        ``province``, ``amphoe``, ``tambon`` or ``village``.
    status : str
        ``ok``, ``failed`` or ``skipped`` (inputs unchanged since the last successful run).
    paths : ReportPaths
    seconds : float
        Wall time of the run (0 when skipped).
    error : str or None
        One sentence; details in ``paths.error``.
    summary : dict or None
        Key figures published by the notebook.
    """

    area_code: str
    survey_round: int
    level: str
    status: str
    paths: ReportPaths
    seconds: float = 0.0
    error: str | None = None
    summary: dict[str, Any] | None = field(default=None)

    @property
    def ok(self) -> bool:
        """Whether the report exists and is current (``ok`` or ``skipped``)."""
        return self.status in ("ok", "skipped")

    def raise_for_status(self) -> ReportOutcome:
        """Raise :class:`ReportError` (one sentence) if the run failed; else return self."""
        if self.status == "failed":
            raise ReportError(f"report {self.area_code} failed: {self.error} "
                              f"(details in {self.paths.error})")
        return self


def read_json(path: Path) -> Any:
    """Return the JSON in ``path``, or None if it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_error_log(paths: ReportPaths, headline: str, detail: str) -> None:
    """Write ``<code>.error.txt``: the headline, a blank line, the details without colour codes.

    National IDs and phone numbers in it are masked: a failing cell's source and traceback may
    show a raw export's.
    """
    from abcresearch.survey.pseudonyms import PersonalMasker

    text = headline + "\n\n" + _ANSI.sub("", detail)
    atomic_write_bytes(paths.error, str(PersonalMasker().mask(text)).encode("utf-8"))


def notebook_bytes(nb: Any) -> bytes:
    """Return a notebook as the UTF-8 JSON that :func:`write_notebook` writes."""
    import nbformat

    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def write_notebook(nb: Any, path: Path) -> None:
    """Write an executed notebook atomically (same helper, so same permissions, as the PDF)."""
    atomic_write_bytes(path, notebook_bytes(nb))


def remove_stale(paths: ReportPaths) -> None:
    """Remove the PDF, summary and inputs sidecar, so a failed report never looks current."""
    for stale in (paths.pdf, paths.inputs, paths.summary):
        stale.unlink(missing_ok=True)


__all__ = ["ReportOutcome", "ReportPaths", "notebook_bytes", "read_json", "remove_stale",
           "round_folder", "write_error_log", "write_notebook"]
