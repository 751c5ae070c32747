"""The parameters a report notebook gets, checked against its ``parameters`` cell.

Names are the ones agreed in ``docs/ARCHITECTURE.md`` (``area_code``, ``survey_round``, ``store``,
``lang``, ``scheme``, ...). Paths are passed *relative to the project* (``store="data/store"``),
so an executed notebook records no absolute path; the notebook resolves them against the project
with :func:`abcresearch.paths.project_path`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from abcresearch.errors import ReportError

REPORT_PARAMETERS = ("area_code", "survey_round", "store", "lang")
"""Parameters the runner gives every area notebook; each must be in its ``parameters`` cell
(``scheme`` too when a non-default scheme is chosen)."""

LANGS = ("th", "en")

DEFAULT_NOTEBOOKS = {
    "province": "province_overview.ipynb",
    "amphoe": "area_report.ipynb",
    "tambon": "area_report.ipynb",
    "village": "area_report.ipynb",
}
"""Notebook (under ``notebooks/``) used for each area level."""


def default_notebook(level: str) -> Path:
    """Return the report notebook used for an area level (``notebooks/`` of the project)."""
    from abcresearch.paths import project_root

    return project_root() / "notebooks" / DEFAULT_NOTEBOOKS[level]


def notebook_parameters(notebook: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the parameters declared in a notebook's ``parameters`` cell (papermill inspection).

    Raises
    ------
    ReportError
        If the notebook is missing or has no cell tagged ``parameters``.
    """
    path = Path(notebook)
    if not path.is_file():
        raise ReportError(f"report notebook {path} does not exist")
    st = path.stat()
    return dict(_inspect(str(path.resolve()), st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=16)
def _inspect(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    import nbformat
    import papermill

    nb = nbformat.read(path, as_version=4)
    if not any("parameters" in (c.get("metadata", {}).get("tags") or []) for c in nb.cells):
        raise ReportError(f"report notebook {path} has no cell tagged 'parameters'")
    return dict(papermill.inspect_notebook(path))


@dataclass(frozen=True)
class SchemeChoice:
    """A scoring scheme chosen for a run.

    Attributes
    ----------
    parameter : str or None
        Value of the notebook's ``scheme`` parameter: a name in ``params/`` (``"scoring_slf5"``)
        or the file's absolute path when it lies elsewhere; None for the default scheme (the
        notebook's own default is used, nothing is passed).
    folder : str or None
        Output folder of a non-default scheme (the file's stem), None for the default.
    path : Path or None
        The scheme file of a non-default scheme (hashed into the report's inputs).
    """

    parameter: str | None = None
    folder: str | None = None
    path: Path | None = None


def resolve_scheme(scheme: str | os.PathLike[str] | None) -> SchemeChoice:
    """Check a ``--scheme`` choice and return how the run uses it.

    Parameters
    ----------
    scheme : str or path, optional
        A scheme name in ``params/`` (``"scoring_slf5"`` or ``"slf5"``), or a path to a scheme
        file. None: the default scheme.

    Returns
    -------
    SchemeChoice

    Raises
    ------
    ParamsError
        If the scheme does not exist or is invalid (checked before any kernel starts).
    """
    if scheme is None or str(scheme).strip() == "":
        return SchemeChoice()
    from abcresearch.paths import params_dir
    from abcresearch.scoring import load_scheme

    loaded = load_scheme(str(scheme).strip())
    path = Path(cast(Path, loaded.path)).resolve()  # a scheme loaded from a file has its path
    params = params_dir().resolve()
    if path == (params / "scoring.yaml").resolve():
        return SchemeChoice()
    parameter = path.stem if path.parent == params else str(path)
    return SchemeChoice(parameter=parameter, folder=path.stem, path=path)


def _rule_loaders(scheme: str | None) -> list[tuple[str, Any]]:
    from abcresearch.analysis.change import load_change_rules
    from abcresearch.analysis.design import design_spec
    from abcresearch.analysis.smallarea import load_round_settings
    from abcresearch.analysis.status import load_status_rules
    from abcresearch.labels import labels
    from abcresearch.reports.disclosure import publication_rules
    from abcresearch.reports.item_rules import load_action_rules
    from abcresearch.reports.sections.appendix import load_programme_capitals
    from abcresearch.reports.sections.programmes import load_programmes
    from abcresearch.reports.sections.welfare import load_welfare_rules
    from abcresearch.scoring import load_scheme
    from abcresearch.scoring.grades import load_grade_rules
    from abcresearch.stats.poverty import load_poverty_lines

    return [("scoring scheme", lambda: load_scheme(scheme or None)),
            ("grades", load_grade_rules), ("status", load_status_rules),
            ("design", design_spec), ("publication", publication_rules),
            ("welfare", load_welfare_rules), ("actions", load_action_rules),
            ("programmes", load_programmes), ("programme_capitals", load_programme_capitals),
            ("change", load_change_rules), ("smallarea", load_round_settings),
            ("poverty_lines", load_poverty_lines), ("labels", labels)]


def check_rules(scheme: str | None = None) -> None:
    """Read every rules file a report reads (``params/``), before any report starts.

    A report reads its rules inside its notebook: an edit that breaks one would fail every
    report of a batch, one after another, and a failed report takes its stale files away.
    Each file is parsed and validated here (a report run in this process then finds it
    parsed; a worker or kernel parses it again); the problems of every broken file are
    reported at once.

    Parameters
    ----------
    scheme : str, optional
        The scoring scheme's notebook parameter (a name in ``params/`` or a file; None: the
        default one).

    Raises
    ------
    ParamsError
        Naming each broken file and its problems.
    """
    from abcresearch.errors import ParamsError

    problems = []
    for _name, loader in _rule_loaders(scheme):
        try:
            loader()
        except ParamsError as exc:
            problems.append(str(exc))
    if problems:
        raise ParamsError(" ".join(problems) + " No report was started or changed: correct "
                          "the rules and run again.")


def store_parameter(store: str | os.PathLike[str]) -> str:
    """Return the ``store`` parameter for a notebook: the store's path relative to the project."""
    from abcresearch.paths import relative_to_project

    return relative_to_project(Path(store).resolve())


def build_parameters(notebook: str | os.PathLike[str], area_code: str, survey_round: int,
                     store: str | os.PathLike[str], lang: str,
                     extra: Mapping[str, Any] | None = None, scheme: str | None = None
                     ) -> dict[str, Any]:
    """Return the papermill parameters for a report, checked against the notebook.

    A province overview may name its code parameter ``province_code`` or ``province`` instead of
    ``area_code``.

    Parameters
    ----------
    notebook : path
        The report notebook.
    area_code, survey_round, lang
        The report.
    store : path
        The store, passed as given (use :func:`store_parameter` for a project-relative one).
    extra : mapping, optional
        More parameters; each must be declared.
    scheme : str, optional
        ``scheme`` parameter (:attr:`SchemeChoice.parameter`); not passed when None.

    Raises
    ------
    ReportError
        If a parameter the runner passes is not declared in the notebook (unknown name), or the
        notebook lacks one the runner needs (missing name).
    """
    declared = notebook_parameters(notebook)
    code_name = "area_code"
    if "area_code" not in declared:
        code_name = next((n for n in ("province_code", "province") if n in declared), "area_code")
    params: dict[str, Any] = {code_name: str(area_code), "survey_round": int(survey_round),
                              "store": str(store), "lang": lang}
    if scheme is not None:
        params["scheme"] = scheme
    params.update(extra or {})
    missing = [n for n in params if n not in declared]
    if missing:
        raise ReportError(
            f"notebook {Path(notebook).name} does not declare the parameter(s) "
            f"{', '.join(missing)} in its parameters cell (it declares: "
            f"{', '.join(declared) or 'none'})")
    return params


# caches that batch.kernel_state.reset keeps between notebooks run in one process (see
# abcresearch.batch.inprocess): what they hold is derived from files and not changed
_inspect.cache_safe = True  # type: ignore[attr-defined]  # keyed by file identity


__all__ = ["DEFAULT_NOTEBOOKS", "LANGS", "REPORT_PARAMETERS", "SchemeChoice", "build_parameters",
           "check_rules", "default_notebook", "notebook_parameters", "resolve_scheme",
           "store_parameter"]
