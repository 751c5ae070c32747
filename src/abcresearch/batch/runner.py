"""Run one area report: papermill on the report notebook, then a Thai PDF, written atomically.

The report's files and outcome: :mod:`abcresearch.batch.files`; its parameters:
:mod:`abcresearch.batch.parameters`; what it depends on (to skip unchanged reports):
:mod:`abcresearch.batch.fingerprints`; its key figures: :mod:`abcresearch.batch.summary`.

A province overview (``notebooks/province_overview.ipynb``) goes to
``<out>/<round>/province/<province>.pdf`` with the same side files.

Executed notebook
-----------------
The executed notebook records no absolute path: the ``store`` parameter and papermill's
``input_path``/``output_path`` are relative to the project. Its metadata gets
``metadata.abcresearch.header`` (the page header) and ``lang``: the header the notebook displayed
itself (:func:`abcresearch.reports.render.display.page_header`) when it did, else one built here
with the same :func:`~abcresearch.reports.render.display.report_header`, so a notebook exported
from JupyterLab and the runner's PDF carry the same header. The key figures go to
``metadata.abcresearch.summary``.

The names of the submodules are re-exported here, so ``from abcresearch.batch.runner import
write_summary, ReportPaths`` keeps working.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from abcresearch.atomic import atomic_write_bytes, atomic_write_json
from abcresearch.batch import pdf_process
from abcresearch.batch.files import (
    ReportOutcome,
    ReportPaths,
    notebook_bytes,
    read_json,
    remove_stale,
    sub_folder,
    write_error_log,
    write_notebook,
)
from abcresearch.batch.fingerprints import (
    area_fingerprint,
    file_hash,
    fingerprints,
    is_current,
    params_hash,
    read_manifest,
    report_inputs,
)
from abcresearch.batch.incomplete import refusal, round_left_out, tambons_of
from abcresearch.batch.parameters import (
    DEFAULT_NOTEBOOKS,
    LANGS,
    REPORT_PARAMETERS,
    build_parameters,
    check_rules,
    default_notebook,
    notebook_parameters,
    resolve_scheme,
    store_parameter,
)
from abcresearch.batch.rounds import (
    PARAMETER,
    check_compare_round,
    compare_inputs,
    compare_round_for,
)
from abcresearch.batch.summary import (
    SUMMARY_KEYS,
    SUMMARY_MIME,
    summary_from_outputs,
    write_summary,
)
from abcresearch.errors import PersonalDataError, ReportError


def area_header(area: Any, survey_round: int, lang: str, manifest: Mapping[str, Any]
                ) -> dict[str, Any]:
    """Return the page header of an area's report from the round's manifest (``synthetic``)."""
    from abcresearch.reports.render.display import report_header

    return report_header(area, survey_round, lang, bool(manifest.get("synthetic", False)))


def finish_metadata(nb: Any, header: Mapping[str, Any], lang: str) -> dict[str, Any] | None:
    """Put the page header, language and key figures into an executed notebook's metadata.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (changed in place).
    header : mapping
        The runner's header, used when the notebook displayed none itself.
    lang : str
        Report language.

    Returns
    -------
    dict or None
        The key figures the notebook published.
    """
    from abcresearch.reports.render.typst import header_from_outputs

    meta = nb.metadata.setdefault("abcresearch", {})
    shown = header_from_outputs(nb)
    if shown is not None:
        meta["header"] = shown
    elif not meta.get("header"):
        meta["header"] = dict(header)
    meta["lang"] = str(meta["header"].get("lang") or lang)
    summary = summary_from_outputs(nb)
    if summary is not None:
        meta["summary"] = summary
    elif isinstance(meta.get("summary"), Mapping):
        summary = dict(meta["summary"])
    return summary


def _project_relative_papermill_paths(nb: Any, notebook: Path, executed: Path) -> None:
    from abcresearch.paths import relative_to_project

    pm_meta = nb.metadata.get("papermill")
    if isinstance(pm_meta, dict):
        pm_meta["input_path"] = relative_to_project(notebook.resolve())
        pm_meta["output_path"] = relative_to_project(executed.resolve())


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
    scheme: str | os.PathLike[str] | None = None,
    skip_unchanged: bool = False,
    timeout: float | None = 1800,
    extra_parameters: Mapping[str, Any] | None = None,
    compare_round: int | None = None,
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
        Analysis store (default ``data/store`` in the project).
    lang : {"th", "en"}
        Report language.
    out : path, optional
        Reports folder (default ``reports/``, or ``reports/stores/<store folder>/`` for a store
        other than the default one: :func:`abcresearch.paths.store_reports_dir`).
    notebook : path, optional
        Report notebook (default ``notebooks/area_report.ipynb``,
        ``notebooks/province_overview.ipynb`` for a province, or
        ``notebooks/model_tambon.ipynb`` for a tambon with no households but a model estimate).
    engine : str, optional
        papermill engine name: None for papermill's default (a fresh kernel per report),
        ``"abcresearch_warm"`` for a warm kernel (:mod:`abcresearch.batch.kernels`).
    scheme : str or path, optional
        Scoring scheme (a name in ``params/`` or a file); passed as the notebook's ``scheme``
        parameter. A non-default scheme writes to ``<out>/<round>/<scheme>/...``.
    skip_unchanged : bool
        Return a ``skipped`` outcome without running if the PDF exists and its inputs sidecar
        matches (see :func:`~abcresearch.batch.fingerprints.report_inputs`).
    timeout : float, optional
        Seconds allowed per cell.
    extra_parameters : mapping, optional
        More notebook parameters; each must be declared in the notebook.
    compare_round : int, optional
        Earlier round for the change section (a notebook declaring ``compare_round`` gets it;
        default: see :func:`abcresearch.batch.rounds.compare_round_for`).

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
    ParamsError
        If the scheme does not exist or is invalid.
    ReportError
        If the language, the notebook or its parameters are wrong.
    """
    from abcresearch.paths import claim_store_reports, default_store, store_reports_dir
    from abcresearch.survey.areas import get_area

    code = str(area_code).strip()
    area = get_area(code)  # AreaError
    if lang not in LANGS:
        raise ReportError(f"language {lang!r} is not supported; use one of {', '.join(LANGS)}")
    store_path = Path(store) if store is not None else default_store()
    manifest = read_manifest(int(survey_round), store_path)  # StoreError
    choice = resolve_scheme(scheme)  # ParamsError
    check_rules(choice.parameter)  # every rules file the notebook reads: ParamsError
    nb_path = Path(notebook) if notebook is not None else default_notebook(area.level)
    if notebook is None and area.level == "tambon":
        from abcresearch.reports import model_tambon  # no households, a model estimate

        if model_tambon.model_only(code, survey_round, store_path, choice.parameter):
            nb_path = nb_path.with_name(model_tambon.NOTEBOOK)
    check_compare_round(compare_round, survey_round, store_path)  # ReportError
    extra = dict(extra_parameters or {})
    earlier = None
    if PARAMETER in notebook_parameters(nb_path) and PARAMETER not in extra:
        earlier = compare_round_for(code, survey_round, store_path, compare_round)
        extra[PARAMETER] = earlier
    elif compare_round is not None:
        extra[PARAMETER] = compare_round  # build_parameters says the notebook lacks it
    params = build_parameters(nb_path, code, survey_round, store_parameter(store_path), lang,
                              extra, scheme=choice.parameter)
    out_root = Path(out) if out is not None else store_reports_dir(store_path)
    paths = ReportPaths.for_area(code, survey_round, out_root, sub_folder(choice.folder, lang))
    excluded = round_left_out(survey_round, store_path, choice.parameter, analyse=False)
    inputs = report_inputs(code, survey_round, lang, nb_path, manifest, choice.path,
                           compare=compare_inputs(code, earlier, store_path),
                           left_out=tambons_of(excluded))
    if skip_unchanged and is_current(paths, inputs):
        return ReportOutcome(code, int(survey_round), area.level, "skipped", paths,
                             summary=read_json(paths.summary))
    claim_store_reports(out_root, store_path)  # the checks passed: files go there now
    if (problem := refusal(code, excluded)) is not None:
        return fail_without_running(code, int(survey_round), area.level, paths, inputs, problem)
    if area.level == "village":
        from abcresearch.store.read import named_area

        area = named_area(code, int(survey_round), store_path)
    header = area_header(area, survey_round, lang, manifest)
    return execute_report(nb_path, params, paths, inputs, header, lang, engine=engine,
                          timeout=timeout, level=area.level, left_out=tambons_of(excluded))


def coalesce_streams(nb: Any) -> Any:
    """Merge each cell's consecutive stream outputs of one stream into one, in place.

    What nbconvert's ``CoalesceStreamsPreprocessor`` does (a test checks they agree), without
    importing nbconvert: half a second of ``abcresearch report``'s start and of each batch
    worker's. The merge is the PDF renderer's
    (:func:`abcresearch.reports.render.typst.coalesce_streams`).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    nbformat.NotebookNode
        ``nb``.
    """
    import nbformat

    from abcresearch.reports.render.typst import coalesce_streams as merged_outputs

    for cell in nb.cells:
        if cell.get("outputs"):
            cell.outputs = [nbformat.from_dict(out) for out in merged_outputs(cell.outputs)]
    return nb


def settle_failure(paths: ReportPaths, inputs: Mapping[str, Any]) -> bool:
    """Tidy a report's files after a failed run; return whether a good report was kept.

    A report whose inputs sidecar matches ``inputs`` is current: a rerun of it (``--force``)
    that fails must not cost the reader the good report, so its PDF, notebook, summary and
    sidecar stay. Otherwise the PDF, summary and sidecar of an older run are removed, so that
    no stale report looks current.
    """
    if is_current(paths, inputs):
        return True
    remove_stale(paths)
    paths.failed_notebook.unlink(missing_ok=True)
    return False


def fail_without_running(code: str, survey_round: int, level: str, paths: ReportPaths,
                         inputs: Mapping[str, Any], message: str) -> ReportOutcome:
    """Record a report that cannot run (e.g. its store file is damaged) as failed, at once."""
    message = " ".join(str(message).split())
    paths.error.parent.mkdir(parents=True, exist_ok=True)
    settle_failure(paths, inputs)
    write_error_log(paths, f"Report {code} (round {survey_round}) failed: {message}", "")
    return ReportOutcome(code, survey_round, level, "failed", paths, error=message)


def execute_notebook(notebook: Path, failed_path: Path, parameters: Mapping[str, Any],
                     engine: str | None, timeout: float | None) -> Any:
    """Run a notebook with papermill's own steps, without writing the executed notebook.

    :func:`papermill.execute_notebook` parameterises the notebook, runs it with the engine and
    writes the executed notebook, which the runner then writes again with its metadata; that
    first write (serialising a report of 1-2 MB, 0.015-0.02 s, some 2% of a village report in
    a batch worker) is left out here. The steps are papermill's: the parameters cell injected
    by :func:`papermill.parameterize.parameterize_notebook`, papermill's metadata, the engine
    run in the notebook's folder, and :func:`papermill.execute.raise_for_execution_errors`,
    which on a failed cell writes the notebook with papermill's error banner to
    ``failed_path`` and raises :class:`papermill.exceptions.PapermillExecutionError`. What
    papermill does beyond that is not done: it warns of a parameter the notebook's parameters
    cell does not name, and expands ``{name}`` templates in the paths.

    Parameters
    ----------
    notebook : Path
        The report notebook.
    failed_path : Path
        Where a failed run's notebook goes (recorded as papermill's ``output_path``).
    parameters : Mapping
        The notebook's parameters.
    engine : str or None
        Papermill engine name (None: papermill's default).
    timeout : float or None
        Per-cell time limit in seconds.

    Returns
    -------
    nbformat.NotebookNode
        The executed notebook.
    """
    if engine is not None:  # register this package's engines with papermill
        from abcresearch.batch import inprocess, kernels  # noqa: F401
    from papermill.engines import papermill_engines
    from papermill.execute import (
        prepare_notebook_metadata,
        raise_for_execution_errors,
        remove_error_markers,
    )
    from papermill.iorw import load_notebook_node, local_file_io_cwd
    from papermill.parameterize import parameterize_notebook
    from papermill.utils import chdir

    source, failed = str(notebook), str(failed_path)
    with local_file_io_cwd():
        nb = load_notebook_node(source)
        if parameters:
            nb = parameterize_notebook(nb, dict(parameters), engine_name=engine)
        nb = remove_error_markers(prepare_notebook_metadata(nb, source, failed))
        kernel = papermill_engines.nb_kernel_name(engine_name=engine, nb=nb)
        with chdir(str(notebook.parent.resolve())):
            nb = papermill_engines.execute_notebook_with_engine(
                engine, nb, kernel_name=kernel, input_path=source, output_path=None,
                progress_bar=False, log_output=False, start_timeout=60, stdout_file=None,
                stderr_file=None, execution_timeout=timeout)
        raise_for_execution_errors(nb, failed)
    return nb


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
    left_out: Sequence[str] = (),
) -> ReportOutcome:
    """Run a checked report (the second half of :func:`run_report`; used by batch workers).

    Never raises for a failing notebook or typesetting error: the outcome says ``failed`` and
    ``paths.error`` holds the details. The PDF is typeset in memory first; only then are the
    notebook, PDF, summary and (last) inputs sidecar replaced, each atomically. After a failure
    a current report (a forced rerun) is kept whole and the failed run's notebook goes to
    ``paths.failed_notebook``; otherwise the PDF, summary and sidecar of an older run are
    removed (no stale report looks current) and the failed notebook is ``paths.ipynb``.

    Parameters
    ----------
    left_out : sequence of str
        Tambons left out of the round's figures (damaged store files): the report gets the
        warning of :mod:`abcresearch.batch.incomplete`.
    """
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    code = str(inputs["area_code"])
    survey_round = int(inputs["survey_round"])
    folder = paths.pdf.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp_nb = folder / f".{code}.{uuid.uuid4().hex}.tmp.ipynb"
    # where a failed run's notebook goes: beside a current report, or in place of a stale one
    failed_nb = paths.failed_notebook if is_current(paths, inputs) else paths.ipynb
    start = time.perf_counter()
    status, error = "ok", None
    summary = None
    nb = None
    try:
        try:
            # the executed notebook as the engine returns it (a failed run's notebook, with
            # papermill's error banner, is written to tmp_nb before the error is raised)
            helper = pdf_process.active()  # abcresearch report's PDF helper, if it started one
            watching: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
            if helper is not None:
                from abcresearch.batch import inprocess

                if engine == inprocess.ENGINE_NAME:
                    # the helper lays out the report's first pages while the rest runs
                    watching = inprocess.after_each_cell(pdf_process.PartialSender(helper))
            with watching:
                nb = execute_notebook(notebook, tmp_nb, parameters, engine, timeout)
        except PapermillExecutionError as exc:
            status = "failed"
            error = f"{exc.ename}: {exc.evalue} (in cell In [{exc.exec_count}])".replace("\n", " ")
            source = exc.source if isinstance(exc.source, str) else "".join(exc.source)
            write_error_log(
                paths,
                f"Report {code} (round {survey_round}) failed: {error}\n"
                f"Notebook: {notebook}\nExecuted notebook with the error banner: {failed_nb}\n"
                f"Failing cell: In [{exc.exec_count}] (cell index {exc.cell_index})",
                "---- failing cell source ----\n" + source + "\n\n---- traceback ----\n"
                + "\n".join(exc.traceback or []) + "\n",
            )
        if nb is None and tmp_nb.is_file():
            nb = nbformat.read(tmp_nb, as_version=4)
        if nb is not None:
            # one print is one output: a kernel on a busy machine can flush a print's text and
            # its newline as two messages, and the executed notebook would differ by load
            coalesce_streams(nb)
            _project_relative_papermill_paths(nb, notebook, paths.ipynb)
            summary = finish_metadata(nb, header, lang)
            if left_out and status == "ok":
                from abcresearch.batch.incomplete import add_warning

                summary = {**(summary or {}), **add_warning(nb, left_out, lang)}
                nb.metadata["abcresearch"]["summary"] = summary
        elif status == "ok":
            raise ReportError("papermill wrote no executed notebook")
        if status == "ok":
            from concurrent.futures import ThreadPoolExecutor

            from abcresearch.reports.render import pdf as pdf_export
            from abcresearch.reports.spreadsheet import tables_workbook

            helper = pdf_process.active()  # abcresearch report's PDF helper, if it started one
            if helper is not None:
                # the helper typesets the notebook's JSON on the other core meanwhile
                notebook_data = notebook_bytes(nb)
                with ThreadPoolExecutor(1, thread_name_prefix="abcresearch-report-files") as side:
                    tables = side.submit(tables_workbook, nb, lang)
                    pdf = helper.typeset(notebook_data)
                    workbook = tables.result()
                if pdf is None:  # no helper after all, or it failed: here, as without one
                    pdf = pdf_export.notebook_to_pdf_bytes(nb)
            else:
                doc = pdf_export.typst_document(nb)
                with ThreadPoolExecutor(1, thread_name_prefix="abcresearch-report-files") as side:
                    # Typst releases the GIL while it typesets: the notebook's JSON and the
                    # workbook of the published tables are made meanwhile, in memory
                    notebook_json = side.submit(notebook_bytes, nb)
                    tables = side.submit(tables_workbook, nb, lang)
                    pdf = pdf_export.compile_pdf(doc)
                    notebook_data, workbook = notebook_json.result(), tables.result()
            # nothing of the current report was touched before the PDF was made
            atomic_write_bytes(paths.ipynb, notebook_data)
            atomic_write_bytes(paths.pdf, pdf)
            # the published tables as printed, beside the PDF (none: no stale workbook left)
            if workbook is None:
                paths.pdf.with_suffix(".xlsx").unlink(missing_ok=True)
            else:
                atomic_write_bytes(paths.pdf.with_suffix(".xlsx"), workbook)
            if summary is not None:
                atomic_write_json(paths.summary, summary)
            else:
                paths.summary.unlink(missing_ok=True)
            paths.error.unlink(missing_ok=True)
            paths.failed_notebook.unlink(missing_ok=True)
            atomic_write_json(paths.inputs, dict(inputs))
    except Exception as exc:  # anything else (kernel death, timeout, Typst) fails this area only
        status = "failed"
        if isinstance(exc, PersonalDataError):
            exc = _named_in_source(exc, nb, notebook)
            nb = None  # the notebook shows names, IDs or phones: not written, even as failed
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        error = f"{type(exc).__name__}: {message}"
        write_error_log(paths, f"Report {code} (round {survey_round}) failed: {error}\n"
                               f"Notebook: {notebook}"
                               + (f"\nExecuted notebook: {failed_nb}" if nb is not None else ""),
                        traceback.format_exc())
    finally:
        tmp_nb.unlink(missing_ok=True)
    if status == "failed":
        if nb is not None:
            from abcresearch.reports.render.publishable import personal_data_in

            # a cell that failed after one showed the raw export: not written, even as failed
            if not personal_data_in(nb):
                try:
                    write_notebook(nb, failed_nb)
                except OSError:
                    pass
        settle_failure(paths, inputs)
        if not paths.pdf.exists():  # no good report kept: no workbook without its PDF
            paths.pdf.with_suffix(".xlsx").unlink(missing_ok=True)
    if error is not None:  # printed, and listed on the index page: IDs and phones masked
        from abcresearch.survey.pseudonyms import PersonalMasker

        error = str(PersonalMasker().mask(error))
    return ReportOutcome(code, survey_round, level, status, paths,
                         seconds=time.perf_counter() - start, error=error, summary=summary)


def _named_in_source(exc: PersonalDataError, nb: Any, notebook: str | Path) -> PersonalDataError:
    """Return the refusal naming the notebook's file and its cell as the user's file numbers it.

    The executed notebook has papermill's parameters cell as well, one cell more than the file
    the user edits.
    """
    from abcresearch.reports.render.publishable import check_publishable

    if nb is None:
        return exc
    try:
        import nbformat

        check_publishable(nb, Path(notebook).stem,
                          numbered_as=nbformat.read(Path(notebook), as_version=4))
    except PersonalDataError as named:
        return named
    except (OSError, ValueError):  # the file is gone or changed: the message as it was
        return exc
    return exc


__all__ = [
    "DEFAULT_NOTEBOOKS",
    "REPORT_PARAMETERS",
    "SUMMARY_KEYS",
    "SUMMARY_MIME",
    "ReportOutcome",
    "ReportPaths",
    "area_fingerprint",
    "area_header",
    "build_parameters",
    "coalesce_streams",
    "default_notebook",
    "execute_notebook",
    "execute_report",
    "fail_without_running",
    "file_hash",
    "fingerprints",
    "finish_metadata",
    "is_current",
    "notebook_parameters",
    "params_hash",
    "read_json",
    "read_manifest",
    "report_inputs",
    "run_report",
    "settle_failure",
    "write_summary",
]
