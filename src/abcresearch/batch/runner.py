"""Run one area report: papermill on the report notebook, then a Thai PDF, written atomically.

Files of one report (``out`` defaults to ``reports/``; ``level`` from the code length)::

    <out>/<round>/<level>/<code>.pdf           the report (never half-written: temp file + os.replace)
    <out>/<round>/<level>/<code>.ipynb         the executed notebook (kept on failure, with
                                               papermill's red error banner)
    <out>/<round>/<level>/<code>.summary.json  key figures for the index page (see below)
    <out>/<round>/<level>/<code>.inputs.json   fingerprint of the report's inputs, written last;
                                               a batch skips the area while it still matches
    <out>/<round>/<level>/<code>.error.txt     only after a failure: error, failing cell, traceback

A province overview (``notebooks/province_overview.ipynb``) goes to
``<out>/<round>/province/<province>.pdf`` with the same side files.

Key figures (summary JSON)
--------------------------
The notebook calls :func:`write_summary` once, e.g.
``write_summary({"grade": "B", "households": 1520, "m0": 0.081, "share_level1": 0.23})``. That
displays a JSON bundle of mimetype :data:`SUMMARY_MIME` (the PDF renderer ignores it); the runner
copies it into the executed notebook's ``metadata.abcresearch.summary`` and into
``<code>.summary.json``. Keys used by the index page: :data:`SUMMARY_KEYS`; other keys are kept.
This works the same in warm, cold and remote kernels, because nothing but the notebook output
travels.

Header
------
Unless the notebook set it itself, the executed notebook gets ``metadata.abcresearch.header =
{"title": <area label, th · en>, "subtitle": <round>, "synthetic": <manifest flag>}`` and
``metadata.abcresearch.lang``; the Typst renderer uses them for the page header.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from abcresearch import __version__
from abcresearch.atomic import atomic_write_bytes, atomic_write_json
from abcresearch.errors import AbcResearchError, ReportError, StoreError

SUMMARY_MIME = "application/vnd.abcresearch.summary+json"
"""Mimetype of the key-figure bundle that :func:`write_summary` displays."""

SUMMARY_KEYS = ("grade", "households", "m0", "share_level1")
"""Summary keys shown on the index page (grade, households, M0, share of households at level 1)."""

REPORT_PARAMETERS = ("area_code", "survey_round", "store", "lang")
"""Parameters the runner gives every area notebook; each must be in its ``parameters`` cell."""

LANGS = ("th", "en")

DEFAULT_NOTEBOOKS = {
    "province": "province_overview.ipynb",
    "amphoe": "area_report.ipynb",
    "tambon": "area_report.ipynb",
    "village": "area_report.ipynb",
}
"""Notebook (under ``notebooks/``) used for each area level."""

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# --------------------------------------------------------------------------------------------
# Kernel side
# --------------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return _jsonable(item())
    raise ReportError(f"summary value {value!r} of type {type(value).__name__} is not JSON data")


def write_summary(summary: Mapping[str, Any]) -> None:
    """Publish a report's key figures (call once from the report notebook).

    Parameters
    ----------
    summary : mapping
        JSON-like values; the index page shows :data:`SUMMARY_KEYS` (``grade``, ``households``,
        ``m0``, ``share_level1``). NumPy scalars are converted; NaN becomes null.

    Raises
    ------
    ReportError
        If a value is not JSON data.
    """
    from IPython.display import display

    data = _jsonable(summary)
    data = {k: (None if isinstance(v, float) and v != v else v) for k, v in data.items()}
    display({SUMMARY_MIME: data, "text/plain": ""}, raw=True)  # plain: nothing to show


# --------------------------------------------------------------------------------------------
# Files and outcomes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportPaths:
    """Where one report's files go (see the module docstring)."""

    pdf: Path
    ipynb: Path
    summary: Path
    inputs: Path
    error: Path

    @classmethod
    def for_area(cls, area_code: str, survey_round: int, out: str | os.PathLike[str] | None = None
                 ) -> ReportPaths:
        """Return the paths of ``area_code``'s report under ``out`` (default ``reports/``)."""
        from abcresearch.paths import reports_dir
        from abcresearch.survey.areas import level_of

        base = Path(out) if out is not None else reports_dir()
        folder = base / str(int(survey_round)) / level_of(area_code)
        stem = str(area_code)
        return cls(
            pdf=folder / f"{stem}.pdf",
            ipynb=folder / f"{stem}.ipynb",
            summary=folder / f"{stem}.summary.json",
            inputs=folder / f"{stem}.inputs.json",
            error=folder / f"{stem}.error.txt",
        )


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
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Store, parameters and inputs
# --------------------------------------------------------------------------------------------


def read_manifest(survey_round: int, store: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the store manifest of a round (``abcresearch.store.read.manifest``).

    Raises
    ------
    StoreError
        If the round was not ingested into ``store``.
    """
    try:
        from abcresearch.store import read as _data
    except ImportError:  # store layer not there yet: read the manifest file directly
        _data = None
    if _data is not None and hasattr(_data, "manifest"):
        manifest = _data.manifest(int(survey_round), store)
        return dict(manifest) if isinstance(manifest, Mapping) else dict(vars(manifest))
    for path in (Path(store) / f"round={int(survey_round)}" / "manifest.json",
                 Path(store) / str(int(survey_round)) / "manifest.json"):
        if path.is_file():
            value = read_json(path)
            if isinstance(value, dict):
                return value
    raise StoreError(f"round {int(survey_round)} has not been ingested into the store {store}")


def fingerprints(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Return the per-tambon data fingerprints of a manifest (``{tambon_code: hash}``).

    Accepts ``fingerprints`` as ``{tambon: hash}`` or, as :mod:`abcresearch.store.write` writes it,
    ``{table: {tambon: hash}}`` (then the tables' hashes of a tambon are hashed together).
    """
    value = manifest.get("fingerprints") or manifest.get("tambon_fingerprints") or {}
    if not isinstance(value, Mapping):
        return {}
    if value and all(isinstance(v, Mapping) for v in value.values()):
        # {table: {tambon: hash}} (abcresearch.store.write): one hash per tambon over its tables
        per: dict[str, dict[str, str]] = {}
        for table, prints in sorted(value.items()):
            for tambon, digest in prints.items():
                per.setdefault(str(tambon), {})[str(table)] = str(digest)
        return {t: hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()
                for t, d in per.items()}
    return {str(k): str(v) for k, v in value.items()}


def area_fingerprint(area_code: str, manifest: Mapping[str, Any]) -> str:
    """Return the data fingerprint of an area: its tambon's, or a hash over its tambons'."""
    prints = fingerprints(manifest)
    code = str(area_code)
    if len(code) >= 6:
        return prints.get(code[:6], "")
    parts = sorted((k, v) for k, v in prints.items() if k.startswith(code))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest() if parts else ""


@lru_cache(maxsize=8)
def _hash_tree(folder: str, stamp: float) -> str:
    h = hashlib.sha256()
    root = Path(folder)
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def params_hash() -> str:
    """Return a hash of every file under ``params/`` (scoring schemes, labels, rules)."""
    from abcresearch.paths import params_dir

    folder = params_dir()
    stamp = max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0) \
        if folder.is_dir() else 0.0
    return _hash_tree(str(folder), stamp)


def file_hash(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file's bytes."""
    st = Path(path).stat()
    return _file_hash(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=32)
def _file_hash(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def report_inputs(area_code: str, survey_round: int, lang: str, notebook: Path,
                  manifest: Mapping[str, Any]) -> dict[str, Any]:
    """Return what a report depends on; an unchanged dict means an unchanged report.

    Returns
    -------
    dict
        ``area_code, survey_round, lang, data`` (area data fingerprint), ``round_data`` (the
        province's fingerprint: reports show round-wide figures too), ``params`` (hash of
        ``params/``), ``notebook`` (hash of the notebook file), ``software`` (abcresearch version).
    """
    return {
        "area_code": str(area_code),
        "survey_round": int(survey_round),
        "lang": lang,
        "data": area_fingerprint(area_code, manifest),
        # every report also shows round-wide figures (amphoe and province means, province-wide
        # ranks, typology), so a change anywhere in the round makes every report stale
        "round_data": area_fingerprint(str(area_code)[:2], manifest),
        "params": params_hash(),
        "notebook": file_hash(notebook),
        "software": __version__,
    }


def is_current(paths: ReportPaths, inputs: Mapping[str, Any]) -> bool:
    """Whether the report's PDF exists and its inputs sidecar matches ``inputs``."""
    return paths.pdf.is_file() and read_json(paths.inputs) == dict(inputs)


def default_notebook(level: str) -> Path:
    """Return the report notebook used for an area level."""
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


def build_parameters(notebook: str | os.PathLike[str], area_code: str, survey_round: int,
                     store: str | os.PathLike[str], lang: str,
                     extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the papermill parameters for a report, checked against the notebook.

    A province overview may name its code parameter ``province_code`` or ``province`` instead of
    ``area_code``.

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
    params.update(extra or {})
    missing = [n for n in params if n not in declared]
    if missing:
        raise ReportError(
            f"notebook {Path(notebook).name} does not declare the parameter(s) "
            f"{', '.join(missing)} in its parameters cell (it declares: "
            f"{', '.join(declared) or 'none'})")
    return params


def _header(area: Any, survey_round: int, lang: str, manifest: Mapping[str, Any]
            ) -> dict[str, Any]:
    first, second = (lang, "en" if lang == "th" else "th")
    title = f"{area.label(first)} · {area.label(second)}"
    try:
        from abcresearch.labels import label

        subtitle = f"{label('round', lang)} {int(survey_round)}"
    except Exception:  # labels are optional for the header
        subtitle = str(int(survey_round))
    return {"title": title, "subtitle": subtitle,
            "synthetic": bool(manifest.get("synthetic", False))}


def _summary_from_outputs(nb: Any) -> dict[str, Any] | None:
    found = None
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            if SUMMARY_MIME in data:
                value = data[SUMMARY_MIME]
                found = json.loads(value) if isinstance(value, str) else dict(value)
    return found


def _finish_metadata(nb: Any, header: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    meta = nb.metadata.setdefault("abcresearch", {})
    if not meta.get("header"):
        meta["header"] = dict(header)
    meta.setdefault("lang", lang)
    summary = _summary_from_outputs(nb)
    if summary is not None:
        meta["summary"] = summary
    elif isinstance(meta.get("summary"), Mapping):
        summary = dict(meta["summary"])
    return summary


def _write_error(paths: ReportPaths, headline: str, detail: str) -> None:
    atomic_write_bytes(paths.error, (headline + "\n\n" + _ANSI.sub("", detail)).encode("utf-8"))


# --------------------------------------------------------------------------------------------
# The runner
# --------------------------------------------------------------------------------------------


def run_report(
    area_code: str,
    survey_round: int,
    store: str | os.PathLike[str] | None = None,
    lang: str = "th",
    out: str | os.PathLike[str] | None = None,
    notebook: str | os.PathLike[str] | None = None,
    engine: str | None = None,
    *,
    skip_unchanged: bool = False,
    timeout: float | None = 1800,
    extra_parameters: Mapping[str, Any] | None = None,
) -> ReportOutcome:
    """Execute the report notebook of one area and write its PDF and executed notebook.

    Parameters
    ----------
    area_code : str
        4-digit amphoe, 6-digit tambon or 8-digit village code (2-digit province: the province
        overview notebook).
    survey_round : int
        Buddhist-era year of the round.
    store : path, optional
        Analysis store (default ``data/store``).
    lang : {"th", "en"}
        Report language.
    out : path, optional
        Reports folder (default ``reports/``).
    notebook : path, optional
        Report notebook (default ``notebooks/area_report.ipynb``, or
        ``notebooks/province_overview.ipynb`` for a province).
    engine : str, optional
        papermill engine name: None for papermill's default (a fresh kernel per report),
        ``"abcresearch_warm"`` for a warm kernel (:mod:`abcresearch.batch.kernels`).
    skip_unchanged : bool
        Return a ``skipped`` outcome without running if the PDF exists and its inputs sidecar
        matches (see :func:`report_inputs`).
    timeout : float, optional
        Seconds allowed per cell.
    extra_parameters : mapping, optional
        More notebook parameters; each must be declared in the notebook.

    Returns
    -------
    ReportOutcome
        ``failed`` outcomes carry one sentence in ``error`` and the details in
        ``<code>.error.txt``; the failed executed notebook is kept.

    Raises
    ------
    AreaError
        If the code is malformed or not an official area.
    StoreError
        If the round was not ingested into the store.
    ReportError
        If the language, the notebook or its parameters are wrong.
    """
    from abcresearch.paths import default_store
    from abcresearch.survey.areas import get_area

    code = str(area_code).strip()
    area = get_area(code)  # AreaError
    if lang not in LANGS:
        raise ReportError(f"language {lang!r} is not supported; use one of {', '.join(LANGS)}")
    store_path = Path(store) if store is not None else default_store()
    manifest = read_manifest(int(survey_round), store_path)  # StoreError
    nb_path = Path(notebook) if notebook is not None else default_notebook(area.level)
    params = build_parameters(nb_path, code, survey_round, store_path.resolve(), lang,
                              extra_parameters)
    paths = ReportPaths.for_area(code, survey_round, out)
    inputs = report_inputs(code, survey_round, lang, nb_path, manifest)
    if skip_unchanged and is_current(paths, inputs):
        return ReportOutcome(code, int(survey_round), area.level, "skipped", paths,
                             summary=read_json(paths.summary))
    if area.level == "village":
        from abcresearch.store.read import named_area

        area = named_area(code, int(survey_round), store_path)
    header = _header(area, survey_round, lang, manifest)
    return execute_report(nb_path, params, paths, inputs, header, lang, engine=engine,
                          timeout=timeout, level=area.level)


def execute_report(
    notebook: Path,
    parameters: Mapping[str, Any],
    paths: ReportPaths,
    inputs: Mapping[str, Any],
    header: Mapping[str, Any],
    lang: str,
    engine: str | None = None,
    timeout: float | None = 1800,
    level: str = "",
) -> ReportOutcome:
    """Run a checked report (the second half of :func:`run_report`; used by batch workers).

    Never raises for a failing notebook or typesetting error: the outcome says ``failed`` and
    ``paths.error`` holds the details. Files are replaced atomically; on failure the PDF, summary
    and inputs sidecar of an older run are removed, so no stale report looks current.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if engine is not None:
        from abcresearch.batch import kernels  # noqa: F401  (registers the warm engine)
    code = str(inputs["area_code"])
    survey_round = int(inputs["survey_round"])
    folder = paths.pdf.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp_nb = folder / f".{code}.{uuid.uuid4().hex}.tmp.ipynb"
    start = time.perf_counter()
    status, error = "ok", None
    summary = None
    try:
        try:
            papermill.execute_notebook(
                str(notebook), str(tmp_nb), parameters=dict(parameters), engine_name=engine,
                progress_bar=False, log_output=False, cwd=str(notebook.parent.resolve()),
                execution_timeout=timeout, request_save_on_cell_execute=False,
            )
        except PapermillExecutionError as exc:
            status = "failed"
            error = f"{exc.ename}: {exc.evalue} (in cell In [{exc.exec_count}])".replace("\n", " ")
            source = exc.source if isinstance(exc.source, str) else "".join(exc.source)
            _write_error(
                paths,
                f"Report {code} (round {survey_round}) failed: {error}\n"
                f"Notebook: {notebook}\nExecuted notebook with the error banner: {paths.ipynb}\n"
                f"Failing cell: In [{exc.exec_count}] (cell index {exc.cell_index})",
                "---- failing cell source ----\n" + source + "\n\n---- traceback ----\n"
                + "\n".join(exc.traceback or []) + "\n",
            )
        if tmp_nb.is_file():
            nb = nbformat.read(tmp_nb, as_version=4)
            pm_meta = nb.metadata.get("papermill", {})
            if pm_meta.get("output_path"):  # the temp name is an implementation detail
                pm_meta["output_path"] = str(paths.ipynb)
            summary = _finish_metadata(nb, header, lang)
            nbformat.write(nb, tmp_nb)
            os.replace(tmp_nb, paths.ipynb)
        elif status == "ok":
            raise ReportError("papermill wrote no executed notebook")
        if status == "ok":
            from abcresearch.reports.render.exporter import notebook_to_pdf

            notebook_to_pdf(nb, paths.pdf)
            if summary is not None:
                atomic_write_json(paths.summary, summary)
            else:
                paths.summary.unlink(missing_ok=True)
            paths.error.unlink(missing_ok=True)
            atomic_write_json(paths.inputs, dict(inputs))
    except Exception as exc:  # anything else (kernel death, timeout, Typst) fails this area only
        status = "failed"
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        error = f"{type(exc).__name__}: {message}"
        _write_error(paths, f"Report {code} (round {survey_round}) failed: {error}\n"
                            f"Notebook: {notebook}", traceback.format_exc())
    finally:
        tmp_nb.unlink(missing_ok=True)
    if status == "failed":
        for stale in (paths.pdf, paths.inputs, paths.summary):
            stale.unlink(missing_ok=True)
    return ReportOutcome(code, survey_round, level, status, paths,
                         seconds=time.perf_counter() - start, error=error, summary=summary)


__all__ = [
    "REPORT_PARAMETERS",
    "SUMMARY_KEYS",
    "SUMMARY_MIME",
    "AbcResearchError",
    "ReportOutcome",
    "ReportPaths",
    "build_parameters",
    "execute_report",
    "read_manifest",
    "report_inputs",
    "run_report",
    "write_summary",
]
