"""Batch reports for every area of a level: local warm workers or a Dask cluster.

``run_batch(2568, "tambon", within="80")`` plans one report per area *present in the store* for
that round (a partial round reports only surveyed areas), skips reports whose inputs are unchanged
(:func:`abcresearch.batch.fingerprints.report_inputs` against ``<code>.inputs.json``), runs the
rest and writes ``<out>/<round>/index.html`` (``<out>/<round>/<scheme>/index.html`` and the
reports beside it for a non-default ``scheme``).

* Local: a pool of ``workers`` processes (default 2), each running the notebooks in its own
  process (:mod:`abcresearch.batch.inprocess`), so a report costs its analysis and typesetting,
  not a kernel start, imports and the kernel's messages. A notebook that kills its worker
  (a crash, ``os._exit``, the out-of-memory killer) fails the reports that worker held; the
  batch goes on with new workers.
* Distributed: with ``scheduler="tcp://host:port"`` the same tasks go to an existing Dask cluster
  (``dask.distributed.Client``); a Dask worker runs tasks in threads, so each worker process
  keeps its own warm kernel (:mod:`abcresearch.batch.kernels`) and reads the shared store path.
  Outputs are the same files as a local run.

Fault isolation: a failing area gives ``<code>.error.txt`` (error, failing cell, traceback) and its
executed notebook with papermill's error banner; the other areas go on. Resumable: sidecars are
written per area as soon as it finishes, so an interrupted batch redoes only what is missing. No
PDF is ever half-written under its final name.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abcresearch.batch.files import (
    ReportOutcome,
    ReportPaths,
    read_json,
    round_folder,
    sub_folder,
)
from abcresearch.batch.fingerprints import (
    RoundPrints,
    SharedInputs,
    fingerprints,
    is_current,
    read_manifest,
    report_inputs,
)
from abcresearch.batch.incomplete import (
    UNPROTECTED_FILE,
    refusal,
    round_left_out,
    tambons_of,
    unprotected_sums,
)
from abcresearch.batch.order import area_households, largest_first
from abcresearch.batch.parameters import (
    SchemeChoice,
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
    prepare_earlier_rounds,
)
from abcresearch.batch.runner import area_header, execute_report, fail_without_running
from abcresearch.errors import AreaError, ReportError, StoreError
from abcresearch.software import software_fingerprint

LEVELS = ("amphoe", "tambon", "village")
"""Levels a batch can report on."""

DEFAULT_WORKERS = 2
WARM_ENGINE = "abcresearch_warm"
"""The warm kernel engine (:mod:`abcresearch.batch.kernels`)."""
BATCH_ENGINE = "abcresearch_inprocess"
"""The default engine of a batch: notebooks in the worker's own process where it can
(:mod:`abcresearch.batch.inprocess`), in a warm kernel elsewhere (Dask's worker threads)."""


@dataclass(frozen=True)
class ReportTask:
    """Everything a worker needs to run one report (picklable, paths as strings)."""

    area_code: str
    survey_round: int
    level: str
    notebook: str
    parameters: dict[str, Any]
    paths: ReportPaths
    inputs: dict[str, Any]
    header: dict[str, Any]
    lang: str
    engine: str | None = BATCH_ENGINE
    timeout: float | None = 1800
    left_out: tuple[str, ...] = ()


def run_task(task: ReportTask) -> ReportOutcome:
    """Run one planned report (in a worker); never raises for a failing area.

    Afterwards Typst drops what it kept of the report's compiles
    (:func:`abcresearch.reports.render.pdf.forget_compiles`): a worker's memory stays that of
    one report, wherever its notebooks run.
    """
    try:
        return execute_report(Path(task.notebook), task.parameters, task.paths, task.inputs,
                              task.header, task.lang, engine=task.engine, timeout=task.timeout,
                              level=task.level, left_out=task.left_out)
    except BaseException as exc:  # noqa: BLE001 - a worker must always answer
        return _failed(task, f"{type(exc).__name__}: {exc}")
    finally:
        try:
            from abcresearch.reports.render.pdf import forget_compiles

            forget_compiles()
        except Exception:  # noqa: BLE001, S110 - memory only: the report is written
            pass


def _failed(task: ReportTask, message: str) -> ReportOutcome:
    try:
        # a stale report goes (it must not look current); a current one (--force) stays
        return fail_without_running(task.area_code, task.survey_round, task.level, task.paths,
                                    task.inputs, message)
    except OSError:
        return ReportOutcome(task.area_code, task.survey_round, task.level, "failed",
                             task.paths, error=" ".join(str(message).split()))


# --------------------------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------------------------


def _village_codes(manifest: Mapping[str, Any], survey_round: int, store: Path,
                   tambons: list[str]) -> list[str]:
    listed = manifest.get("villages")
    if isinstance(listed, Mapping):
        listed = list(listed)
    if isinstance(listed, list):
        return sorted({str(v) for v in listed})
    try:
        from abcresearch.store import read as _data
    except ImportError as exc:
        raise StoreError("the store manifest lists no villages and abcresearch.store.read is "
                         "not available to read them") from exc
    if not tambons:
        return []
    wanted = set(tambons)
    codes: set[str] = set()
    # the households of every tambon in one read (0.3 s less for a province's 170 files than
    # tambon by tambon); a tambon they do not name (a damaged file fails the read) tambon by
    # tambon below
    common = os.path.commonprefix(tambons)
    area = next((common[:n] for n in (6, 4, 2) if len(common) >= n), None)
    try:
        frame = _data.load(int(survey_round), area=area, store=store, columns=["village_code"])
        codes = {c for c in frame["village_code"].dropna().astype(str).unique()
                 if c[:6] in wanted}
    except Exception:  # noqa: BLE001 - a damaged file, or files that do not concatenate
        codes = set()
    found = {c[:6] for c in codes}
    for tambon in tambons:
        if tambon in found:
            continue
        for table in ("households", "villages"):  # a damaged file: its village forms name them
            try:
                frame = _data.load(int(survey_round), area=tambon, store=store, table=table,
                                   columns=["village_code"])
            except StoreError:
                continue
            codes.update(str(v) for v in frame["village_code"].dropna().unique())
            break
    return sorted(codes)


#: Levels an area's ``within`` may name, by the level of the areas asked for.
WITHIN_LEVELS = {"amphoe": ("province",), "tambon": ("province", "amphoe"),
                 "village": ("province", "amphoe", "tambon")}


def available_areas(survey_round: int, level: str, within: str | None = None,
                    store: str | os.PathLike[str] | None = None) -> list[str]:
    """Return the codes of ``level`` areas with data in the store for a round.

    Parameters
    ----------
    survey_round : int
        Buddhist-era year.
    level : {"amphoe", "tambon", "village"}
    within : str, optional
        Province, amphoe or tambon code that the areas must lie in.
    store : path, optional
        Analysis store (default ``data/store``).

    Raises
    ------
    StoreError
        If the round was not ingested.
    AreaError
        If ``level`` or ``within`` is invalid.
    """
    from abcresearch.paths import default_store
    from abcresearch.survey.areas import get_area

    if level not in LEVELS:
        raise AreaError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    prefix = ""
    if within:
        area = get_area(str(within).strip())
        allowed = WITHIN_LEVELS[level]
        if area.level not in allowed:  # else 0 areas, and a batch of nothing that "worked"
            raise AreaError(f"within {area.code} is a code of level {area.level}: {level} "
                            f"areas lie within a {' or '.join(allowed)} code")
        prefix = area.code
    store_path = Path(store) if store is not None else default_store()
    manifest = read_manifest(int(survey_round), store_path)
    tambons = sorted(t for t in fingerprints(manifest) if t.startswith(prefix[:6]))
    if level == "tambon":
        codes = tambons
    elif level == "amphoe":
        codes = sorted({t[:4] for t in tambons})
    else:
        codes = _village_codes(manifest, survey_round, store_path, tambons)
    return [c for c in codes if c.startswith(prefix)]


@dataclass
class BatchPlan:
    """Reports to run and reports already current."""

    survey_round: int
    level: str
    out: Path
    tasks: list[ReportTask]
    skipped: list[ReportOutcome]
    codes: list[str]
    province_tasks: list[ReportTask] = field(default_factory=list)
    synthetic: bool = False
    scheme: SchemeChoice = field(default_factory=SchemeChoice)
    refused: list[tuple[ReportTask, str]] = field(default_factory=list)
    """Areas that cannot be reported (a damaged store file), with the reason: they fail
    without a kernel."""
    left_out: tuple[str, ...] = ()
    """Tambons left out of the round's figures (damaged store files); every report says so."""
    lang: str = "th"
    """Report language (English reports and their index page go to ``en/``)."""
    model_only: tuple[str, ...] = ()
    """Tambons of ``codes`` with no surveyed household but a model estimate: their reports
    are made from ``notebooks/model_tambon.ipynb``."""
    store: Path | None = None
    """The analysis store the plan read."""

    @property
    def folder(self) -> Path:
        """Folder of the round's reports and index page (``<out>/<round>[/<scheme>]``)."""
        return round_folder(self.survey_round, self.out, sub_folder(self.scheme.folder,
                                                                     self.lang))


def _task(code: str, survey_round: int, notebook: Path, store: Path, lang: str, out: Path,
          manifest: Mapping[str, Any], engine: str | None, timeout: float | None,
          scheme: SchemeChoice, compare_round: int | None = None,
          left_out: tuple[str, ...] = (), shared: SharedInputs | None = None) -> ReportTask:
    from abcresearch.survey.areas import get_area

    area = get_area(code)
    extra: dict[str, Any] = {}
    earlier = None
    if PARAMETER in notebook_parameters(notebook):
        earlier = extra[PARAMETER] = compare_round_for(code, survey_round, store, compare_round)
    elif compare_round is not None:
        extra[PARAMETER] = compare_round  # build_parameters says the notebook lacks it
    params = build_parameters(notebook, code, survey_round, store_parameter(store), lang,
                              extra, scheme=scheme.parameter)
    return ReportTask(
        area_code=code, survey_round=int(survey_round), level=area.level,
        notebook=str(notebook.resolve()), parameters=params,
        paths=ReportPaths.for_area(code, survey_round, out.resolve(),
                                   sub_folder(scheme.folder, lang)),
        inputs=report_inputs(code, survey_round, lang, notebook, manifest, scheme.path,
                             compare=compare_inputs(code, earlier, store, shared),
                             left_out=left_out, shared=shared),
        header=area_header(area, survey_round, lang, manifest), lang=lang, engine=engine,
        timeout=timeout, left_out=left_out)


#: Level of the round's methods appendix task (``notebooks/methods.ipynb``), run with the
#: province overview: its rules tables are the ``params/`` the round's reports were made with.
METHODS = "methods"


def _methods_task(survey_round: int, store: Path, lang: str, out: Path,
                  manifest: Mapping[str, Any], engine: str | None, timeout: float | None,
                  scheme: SchemeChoice, province: str,
                  shared: SharedInputs | None = None) -> ReportTask | None:
    """Plan the methods appendix of a batch's folder (``methods.pdf``), or None without one.

    Its inputs are those of a report (params, notebook, software, scheme, the round's data
    for its sensitivity table), so an edit of the rules makes it again with the reports; it
    went stale before (only ``make demo`` made it).
    """
    from abcresearch.batch.fingerprints import file_hash

    nb = default_notebook("province").with_name("methods.ipynb")
    if not nb.is_file():
        return None
    folder = round_folder(survey_round, out.resolve(), sub_folder(scheme.folder, lang))
    paths = ReportPaths(pdf=folder / "methods.pdf", ipynb=folder / "methods.ipynb",
                        summary=folder / "methods.summary.json",
                        inputs=folder / "methods.inputs.json",
                        error=folder / "methods.error.txt",
                        failed_notebook=folder / "methods.failed.ipynb")
    declared = notebook_parameters(nb)
    params: dict[str, Any] = {"lang": lang, "survey_round": int(survey_round),
                              "store": store_parameter(store)}
    if scheme.parameter is not None:
        params["scheme"] = scheme.parameter
    params = {k: v for k, v in params.items() if k in declared}
    shared = shared if shared is not None else SharedInputs(
        store, {int(survey_round): RoundPrints(manifest)})
    inputs: dict[str, Any] = {"area_code": METHODS, "survey_round": int(survey_round),
                              "lang": lang,
                              "round_data": shared.prints(survey_round).area(province),
                              "params": shared.params, "notebook": file_hash(nb),
                              "software": software_fingerprint()}
    if scheme.path is not None:
        inputs["scheme"] = file_hash(scheme.path)
    header = {"title": "ภาคผนวกวิธีการ · Methods appendix", "subtitle": "abcresearch",
              "synthetic": bool(manifest.get("synthetic", False))}
    return ReportTask(area_code=METHODS, survey_round=int(survey_round), level=METHODS,
                      notebook=str(nb.resolve()), parameters=params, paths=paths,
                      inputs=inputs, header=header, lang=lang, engine=engine, timeout=timeout)


def plan_batch(
    survey_round: int,
    level: str,
    within: str | None = None,
    store: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    lang: str = "th",
    notebook: str | os.PathLike[str] | None = None,
    province_notebook: str | os.PathLike[str] | None = None,
    force: bool = False,
    engine: str | None = BATCH_ENGINE,
    timeout: float | None = 1800,
    scheme: str | os.PathLike[str] | None = None,
    compare_round: int | None = None,
) -> BatchPlan:
    """Plan a batch: one task per area whose report is missing or out of date.

    The parameters of the notebook and the scoring scheme are checked once here (unknown or
    missing names are an error), so a wrong notebook fails before any worker starts. The
    round's analysis is built here, once, from the store
    (:func:`abcresearch.batch.incomplete.round_left_out`): areas resting on a damaged store
    file are ``refused``, the others are told which tambons the round's figures leave out.
    A notebook declaring ``compare_round`` gets the earlier round of each area
    (:func:`abcresearch.batch.rounds.compare_round_for`; ``compare_round`` picks one).

    In a round that samples villages, a tambon with no sampled village but a model estimate
    (:func:`abcresearch.reports.model_tambon.model_only_tambons`) is planned with the
    model-based notebook beside the default one, as ``abcresearch report --area`` does; with
    a notebook of your own (``notebook``) only the areas with households are planned.
    """
    from abcresearch.paths import default_store, store_reports_dir

    store_path = Path(store) if store is not None else default_store()
    out_path = Path(out) if out is not None else store_reports_dir(store_path)
    manifest = read_manifest(int(survey_round), store_path)
    codes = available_areas(survey_round, level, within, store_path)
    choice = resolve_scheme(scheme)
    check_rules(choice.parameter)  # a broken rules file stops the batch before any report
    check_compare_round(compare_round, survey_round, store_path)
    nb = Path(notebook) if notebook is not None else default_notebook(level)
    if not nb.is_file():
        raise ReportError(f"report notebook {nb} does not exist")
    model_codes: list[str] = []
    if level == "tambon" and notebook is None:  # also where no tambon has households
        from abcresearch.reports import model_tambon
        from abcresearch.survey.areas import get_area

        prefix = get_area(str(within).strip()).code if within else ""
        model_codes = model_tambon.model_only_tambons(int(survey_round), store_path,
                                                      choice.parameter, prefix)
        codes = sorted(set(codes) | set(model_codes))
    excluded = round_left_out(int(survey_round), store_path, choice.parameter) if codes else ()
    left_out = tambons_of(excluded)
    # the fingerprints and the params/ hash every report's inputs take, read once
    shared = SharedInputs(store_path, {int(survey_round): RoundPrints(manifest)})
    tasks: list[ReportTask] = []
    skipped: list[ReportOutcome] = []
    refused: list[tuple[ReportTask, str]] = []
    for code in codes:
        if code in model_codes:  # no households: the model-based report (no change section)
            task = _task(code, survey_round, nb.with_name(model_tambon.NOTEBOOK), store_path,
                         lang, out_path, manifest, engine, timeout, choice, None, left_out,
                         shared)
        else:
            task = _task(code, survey_round, nb, store_path, lang, out_path, manifest, engine,
                         timeout, choice, compare_round, left_out, shared)
        if (problem := refusal(code, excluded)) is not None:
            refused.append((task, problem))
        elif not force and is_current(task.paths, task.inputs):
            skipped.append(ReportOutcome(code, int(survey_round), task.level, "skipped",
                                         task.paths, summary=read_json(task.paths.summary)))
        else:
            tasks.append(task)
    province_tasks: list[ReportTask] = []
    pnb = (Path(province_notebook) if province_notebook is not None
           else default_notebook("province"))
    if pnb.is_file() and codes:
        provinces = sorted({c[:2] for c in codes})
        for province in provinces:
            task = _task(province, survey_round, pnb, store_path, lang, out_path, manifest,
                         engine, timeout, choice, compare_round, left_out, shared)
            if force or not is_current(task.paths, task.inputs):
                province_tasks.append(task)
    if province_notebook is None and codes:  # the round's methods appendix, when stale
        methods = _methods_task(survey_round, store_path, lang, out_path, manifest, engine,
                                timeout, choice, sorted({c[:2] for c in codes})[0], shared)
        if methods is not None and (force or not is_current(methods.paths, methods.inputs)):
            province_tasks.append(methods)
    # the earlier rounds' patterns and change tables, once here rather than in every worker
    prepare_earlier_rounds(int(survey_round),
                           {t.parameters[PARAMETER] for t in [*tasks, *province_tasks]
                            if t.parameters.get(PARAMETER) is not None},
                           store_path, choice.parameter)
    return BatchPlan(int(survey_round), level, out_path, tasks, skipped, codes, province_tasks,
                     bool(manifest.get("synthetic", False)), choice, refused, left_out, lang,
                     tuple(model_codes), store_path)


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


GROUPED_FAILURES = 3
"""Reports failing with the same error that a batch's summary lists one by one; more share
one line."""


@dataclass
class BatchResult:
    """Outcomes of a batch, with the index page and a one-paragraph summary."""

    survey_round: int
    level: str
    outcomes: list[ReportOutcome]
    index: Path | None
    seconds: float
    province: list[ReportOutcome] = field(default_factory=list)
    unprotected: tuple[tuple[str, str, str], ...] = ()
    """Cells whose sums the disclosure rules could not protect
    (:func:`abcresearch.batch.incomplete.unprotected_sums`), listed in :attr:`unprotected_file`."""
    unprotected_file: Path | None = None

    @property
    def failed(self) -> list[ReportOutcome]:
        """Outcomes of areas that failed."""
        return [o for o in self.outcomes + self.province if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 if every report is current, 1 if any failed."""
        return 1 if self.failed else 0

    def count(self, status: str) -> int:
        """Return the number of area reports with ``status`` (ok, skipped, failed)."""
        return sum(o.status == status for o in self.outcomes)

    def table(self) -> Any:
        """Return the run table: one row per area (area, level, status, seconds, error, pdf)."""
        import pandas as pd

        return pd.DataFrame(
            [{"area_code": o.area_code, "level": o.level, "status": o.status,
              "seconds": o.seconds, "error": o.error, "pdf": str(o.paths.pdf)}
             for o in self.outcomes + self.province],
            columns=["area_code", "level", "status", "seconds", "error", "pdf"])

    def summary(self) -> str:
        """Return the final summary for the command line."""
        ran = [o for o in self.outcomes if o.status == "ok"]
        per = (sum(o.seconds for o in ran) / len(ran)) if ran else 0.0
        every = self.outcomes + self.province  # "written" counts what the progress bar counts
        written = sum(o.status == "ok" for o in every)
        skipped = sum(o.status == "skipped" for o in every)
        lines = [
            f"Round {self.survey_round}, {self.level}: {len(self.outcomes)} "
            f"area{'' if len(self.outcomes) == 1 else 's'}"
            # the progress bar counts the overview and the appendix too ("18/18" beside "16
            # areas" read as two reports missing, a walk-through)
            + (f" and {len(self.province)} province-wide report"
               f"{'' if len(self.province) == 1 else 's'}" if self.province else "") + "; "
            f"{written} written, {skipped} unchanged (skipped), "
            f"{len(self.failed)} failed; {self.seconds:.1f} s"
            + (f" ({per:.2f} s per {self.level} report in a worker)" if ran else "") + "."
        ]
        if self.failed:
            folder = sorted({str(o.paths.error.parent) for o in self.failed})
            lines.append(f"Error logs (<code>.error.txt) in {', '.join(folder)}:")
            # reports failing for one reason (a notebook's bug, a cluster that ran nothing) on
            # one line: a thousand lines of the same sentence hid any other reason
            by_error: dict[str, list[ReportOutcome]] = {}
            for o in self.failed:
                by_error.setdefault(o.error or "", []).append(o)
            for error, group in by_error.items():
                if len(group) <= GROUPED_FAILURES:
                    lines += [f"  {o.area_code}: {o.error}  -> {o.paths.error}" for o in group]
                    continue
                codes = ", ".join(o.area_code for o in group[:5])
                more = f" and {len(group) - 5} more" if len(group) > 5 else ""
                lines.append(f"  {len(group)} reports ({codes}{more}): {error}  -> "
                             "<code>.error.txt of each")
        if self.unprotected:
            lines.append(f"Disclosure: {len(self.unprotected)} sum(s) of published counts the "
                         "rules could not protect (a reader may narrow a small cell there; "
                         f"nothing was left to hide), listed in {self.unprotected_file}.")
        if self.index is not None:
            lines.append(f"Index: {self.index}")
        return "\n".join(lines)


#: The module a local batch's fork server imports (:mod:`abcresearch.batch.server_preload`:
#: the workers' libraries, :mod:`abcresearch.batch.server_imports`, then frozen for the collector).
SERVER_PRELOAD = "abcresearch.batch.server_preload"

_SERVER: dict[str, Any] = {}
"""What this process's fork server was started with (:func:`_server_key`)."""


def _server_key() -> tuple[str, tuple[str, ...], str]:
    """Return what a fork server takes from this process: code on disk, sys.path, environment."""
    import hashlib
    import json
    import sys

    import abcresearch
    from abcresearch.software import fingerprint_of

    env = hashlib.sha256(json.dumps(sorted(os.environ.items())).encode()).hexdigest()
    return fingerprint_of(Path(abcresearch.__file__).parent), tuple(sys.path), env


def worker_context() -> Any:
    """Return the ``multiprocessing`` context of a local batch's workers.

    On Linux, a fork server: it starts once per batch process (:func:`start_worker_server`),
    imports the notebooks' libraries and the worker's own once
    (:mod:`abcresearch.batch.server_imports`), freezes them for the collector
    (:mod:`abcresearch.batch.server_preload`) and forks each worker from that state, so a
    worker starts in about 0.3 s instead of re-importing them for 1.5-2 s as a spawned one does
    (each worker, and each replacement after
    :data:`abcresearch.batch.inprocess.MAX_REPORTS_PER_WORKER` reports). It only imports (it
    starts no thread of Typst's, no kernel; the threads numpy's BLAS and pyarrow's allocator
    start on import have fork handlers on Linux). Elsewhere, and in a process whose code on
    disk, ``sys.path`` or environment changed since its fork server started (a notebook
    session whose library was edited between two batches: the server would run the old code
    under the new code's cache keys), workers are spawned.
    """
    import multiprocessing
    import sys

    if sys.platform.startswith("linux") and "forkserver" in \
            multiprocessing.get_all_start_methods():
        started = _SERVER.get("key")
        if started is None or started == _server_key():
            return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def start_worker_server() -> None:
    """Start the fork server of local workers (:func:`worker_context`) now, in the background.

    A local batch calls it before it plans, so that the server's imports (about 1.3 s) run on
    another core while this process plans; with nothing to run the batch never waits for it.
    Already running (an earlier batch of this process): nothing happens. Never raises: the
    first worker starts the server itself if this failed.
    """
    ctx = worker_context()
    if ctx.get_start_method() != "forkserver":
        return
    try:
        from multiprocessing import forkserver

        if "key" not in _SERVER:
            _SERVER["key"] = _server_key()
        ctx.set_forkserver_preload([SERVER_PRELOAD])
        forkserver.ensure_running()
    except Exception:  # noqa: BLE001 - the pool starts it when it needs it
        pass


def _init_local_worker(engine: str | None, parent_pid: int, forked: bool = False,
                       environ: Mapping[str, str] | None = None) -> None:
    import signal

    from abcresearch.batch.lifeline import exit_with_parent

    # a killed batch takes its workers (and their kernels) along
    exit_with_parent(parent_pid, forked_by_server=forked)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    if environ is not None and dict(os.environ) != environ:
        # a forked worker has the fork server's environment, from when the server started; a
        # spawned one the batch process's at the time: give it that
        os.environ.clear()
        os.environ.update(environ)
    if engine == WARM_ENGINE:
        # the kernel starts (its own process, its imports) while this process warms up its
        # PDF step; the first report waits for it, and retries and reports a failed start
        try:
            from abcresearch.batch.kernels import warm_up

            warm_up(background=True)
        except Exception:  # noqa: BLE001 - the first report starts the kernel again
            pass
    elif engine == BATCH_ENGINE:
        try:  # the notebooks' libraries, imported once, and the state each report starts from
            from abcresearch.batch import inprocess, kernel_state

            # a cell stuck in C code past its time limit ends this worker a minute later
            inprocess.HARD_LIMIT_GRACE = 60.0
            kernel_state.FREEZE_AFTER_FIRST_RESET = True  # one round, many reports
            inprocess.NOTEBOOKS.start()
        except Exception:  # noqa: BLE001 - the first report starts it again and reports why
            pass
    try:  # import the worker's own libraries now, not during the first report
        import papermill  # noqa: F401

        from abcresearch.reports.render.pdf import warm_up as warm_pdf

        warm_pdf()
    except Exception:  # noqa: BLE001 - the first report imports them and reports a problem
        pass


class _Progress:
    def __init__(self, total: int, enabled: bool, label: str) -> None:
        self.failed = 0
        self.progress = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed"), TimeElapsedColumn(),
            TextColumn("left"), TimeRemainingColumn(), console=Console(stderr=True),
            transient=False)
        self.progress.start()
        self.task = self.progress.add_task(label, total=total, failed=0)

    def advance(self, outcome: ReportOutcome) -> None:
        self.failed += outcome.status == "failed"
        if self.progress is not None:
            self.progress.update(self.task, advance=1, failed=self.failed)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


class _LocalWorkers:
    """The local worker processes of a batch (each starts with its first report).

    They are started after the batch is planned, not while: on 2 cores planning beside two
    workers' start-up gained nothing on a district (both are CPU work) and made a batch with
    nothing to do take 7 s instead of 3. Their fork server (:func:`worker_context`) does start
    during the planning: it imports their libraries once, on the other core, and forks them
    when they are needed. At the end they stop while the index page is written.
    """

    def __init__(self, workers: int, engine: str | None) -> None:
        self.workers = max(1, workers)
        self.engine = engine
        self.spawn = False  # set when the fork server fails: the batch goes on spawned
        self.pool = self._new_pool()
        self._closing: Any = None

    def _new_pool(self) -> Any:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from abcresearch.batch.inprocess import MAX_REPORTS_PER_WORKER

        ctx = multiprocessing.get_context("spawn") if self.spawn else worker_context()
        forked = ctx.get_start_method() == "forkserver"
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=ctx, initializer=_init_local_worker,
            initargs=(self.engine, os.getpid(), forked, dict(os.environ)),
            # what a notebook parks beyond the reset's reach goes with its worker
            max_tasks_per_child=MAX_REPORTS_PER_WORKER if self.engine == BATCH_ENGINE else None)

    def run(self, tasks: list[ReportTask], done: Callable[[ReportOutcome], None]) -> None:
        """Run ``tasks``, calling ``done`` with each outcome as it arrives."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        futures: dict[Any, tuple[ReportTask, bool]] = {}
        queue = list(tasks)
        # reports that were in a worker pool when one of its workers died: each runs again,
        # alone, so the one whose notebook stops its worker fails and the others do not
        alone: list[ReportTask] = []
        try:
            while queue or alone or futures:
                # keep at most 2 tasks per worker in flight, so an interrupt leaves little
                # running; one at a time while reports of a dead pool run again
                source, limit = (alone, 1) if alone else (queue, 2 * self.workers)
                while source and len(futures) < limit:
                    task = source[0]
                    try:
                        futures[self.pool.submit(run_task, task)] = (task, source is alone)
                    except BrokenProcessPool:  # found broken: new workers, then go on
                        break
                    except (EOFError, OSError):  # the fork server failed: spawned workers
                        if self.spawn:
                            raise
                        self.spawn = True
                        break
                    source.pop(0)
                if not futures:
                    self._replace_pool()
                    continue
                finished, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                if any(isinstance(f.exception(), BrokenProcessPool) for f in finished):
                    finished = set(futures)  # every report of a broken pool ends with it
                    wait(finished)
                    self._replace_pool()
                for fut in finished:
                    task, ran_alone = futures.pop(fut)
                    exc = fut.exception()
                    if exc is None:
                        done(fut.result())
                    elif isinstance(exc, BrokenProcessPool) and not ran_alone:
                        alone.append(task)
                    else:  # this report's notebook stopped its worker (or the worker failed)
                        done(_failed(task, "worker process failed while it ran this report "
                                           "(a crash, os._exit, the out-of-memory killer or a "
                                           "cell stuck past its time limit): "
                                           f"{type(exc).__name__}: {exc}"))
        finally:
            for fut in futures:
                fut.cancel()

    def _replace_pool(self) -> None:
        """Start new workers after one died (a broken pool runs nothing more)."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()

    def start_closing(self) -> None:
        """Let the workers stop (their kernels too) while this process writes the index."""
        import threading

        if self._closing is None:
            self._closing = threading.Thread(
                target=self.pool.shutdown, kwargs={"wait": True, "cancel_futures": True},
                name="abcresearch-workers-stop")
            self._closing.start()

    def close(self) -> None:
        """Wait until every worker has stopped."""
        self.start_closing()
        self._closing.join()


DASK_STALL_SECONDS = 600.0
"""How long a Dask batch waits, with reports left and no worker of its cluster able to take or
finish one (every worker paused with nothing running, or none left), before it stops waiting and
fails those reports; ``ABCRESEARCH_DASK_STALL_SECONDS`` sets another."""

DASK_CHECK_SECONDS = 10.0
"""How often a Dask batch with no report finished looks at its cluster's workers."""


def _executing(worker: Mapping[str, Any]) -> int:
    """Tasks a worker of ``scheduler_info`` is running (a paused worker finishes them)."""
    metrics = worker.get("metrics") or {}
    counts = metrics.get("task_counts") or {}
    return int(counts.get("executing", 0) or metrics.get("executing", 0) or 0)


def _idle_cluster(client: Any, seen_workers: bool = True) -> tuple[str | None, int]:
    """Why no worker of a Dask cluster can run a report now (None: one can, or cannot tell).

    Returned with the number of workers connected (-1: the scheduler did not answer).

    A worker Dask paused (its memory at the ``pause`` fraction of its limit) finishes what it
    runs but takes no task until its memory falls, which memory Dask cannot spill (a report's
    libraries, Typst's caches) never does: the batch would wait for ever. A cluster without
    workers is idle only once it had some (``seen_workers``): before, they may be starting.
    """
    try:
        try:
            info = client.scheduler_info(n_workers=-1)
        except TypeError:  # distributed before 2025.4 lists every worker without being asked
            info = client.scheduler_info()
        workers = info.get("workers", {})
    except Exception:  # noqa: BLE001 - a scheduler that does not answer now: cannot tell
        return None, -1
    if not workers:
        return ("no worker is connected to it any more" if seen_workers else None), 0
    if any(w.get("status", "running") == "running" or _executing(w)
           for w in workers.values()):
        return None, len(workers)
    parts = []
    for address, w in sorted(workers.items()):
        name = w.get("name", address)
        memory = (w.get("metrics") or {}).get("memory")
        limit = w.get("memory_limit")
        use = (f", {memory / 2**30:.2f} of its {limit / 2**30:.2f} GiB memory limit"
               if memory and limit else "")
        parts.append(f"{name} {w.get('status', 'unknown')}{use}")
        if len(parts) == 3 and len(workers) > 3:
            parts.append(f"{len(workers) - 3} more")
            break
    paused = any(w.get("status") == "paused" for w in workers.values())
    return (f"no worker is running ({'; '.join(parts)})"
            + (": a worker Dask paused for its memory takes no report until that memory is "
               "freed, which a report's is not; give the workers more memory (dask worker "
               "--memory-limit) or one thread each" if paused else "")), len(workers)


def _stall_seconds() -> float:
    """:data:`DASK_STALL_SECONDS`, or ``ABCRESEARCH_DASK_STALL_SECONDS`` when set."""
    value = os.environ.get("ABCRESEARCH_DASK_STALL_SECONDS")
    if value is None:
        return DASK_STALL_SECONDS
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ReportError(f"ABCRESEARCH_DASK_STALL_SECONDS={value!r} is not a number of seconds "
                          "above 0")
    return seconds


def _run_dask(tasks: list[ReportTask], scheduler: str,
              done: Callable[[ReportOutcome], None]) -> None:
    stall = _stall_seconds()  # a mistyped setting stops the batch before it submits anything
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - optional dependency
        raise ReportError("--scheduler needs dask.distributed: pip install 'abcresearch[dask]'"
                          ) from exc
    try:
        client = Client(scheduler, timeout="20s", set_as_default=False)
    except OSError as exc:
        raise ReportError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    with client, client.as_current():
        token = f"{os.getpid()}-{time.time_ns()}"
        keys = [f"abcresearch-report-{t.survey_round}-{t.area_code}-{token}" for t in tasks]
        futures = client.map(run_task, tasks, key=keys, pure=False, retries=0)
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        finished_keys: set[str] = set()
        reports = as_completed(futures)

        def take(batch: list[Any]) -> None:
            for fut in batch:
                finished_keys.add(fut.key)
                try:
                    outcome = fut.result()
                except BaseException as exc:  # worker lost
                    outcome = _failed(by_key[fut.key], f"Dask task failed: "
                                                       f"{type(exc).__name__}: {exc}")
                done(outcome)

        last_report = time.monotonic()
        checked = last_report
        idle_since: float | None = None
        seen_workers = False
        try:
            while not reports.is_empty():
                batch = reports.next_batch(block=False)
                take(batch)
                now = time.monotonic()
                if batch:
                    last_report, idle_since = now, None
                    continue
                if now - max(last_report, checked) < DASK_CHECK_SECONDS:
                    time.sleep(0.1)
                    continue
                checked = now
                why, connected = _idle_cluster(client, seen_workers)
                seen_workers = seen_workers or connected > 0
                if why is None:  # reports are running, however slowly (each has its timeout)
                    idle_since = None
                    continue
                idle_since = now if idle_since is None else idle_since
                if now - idle_since >= stall:
                    take(reports.next_batch(block=False))  # any that finished meanwhile
                    message = (f"not run: the Dask cluster at {scheduler} could run no report "
                               f"for {now - idle_since:.0f} s: {why}")
                    for fut in futures:
                        if fut.key not in finished_keys:
                            done(_failed(by_key[fut.key], message))
                    return
        finally:
            client.cancel(futures)


def run_batch(
    survey_round: int,
    level: str,
    within: str | None = None,
    workers: int = DEFAULT_WORKERS,
    scheduler: str | None = None,
    store: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    lang: str = "th",
    force: bool = False,
    notebook: str | os.PathLike[str] | None = None,
    province_notebook: str | os.PathLike[str] | None = None,
    engine: str | None = BATCH_ENGINE,
    progress: bool = True,
    on_result: Callable[[ReportOutcome], None] | None = None,
    timeout: float | None = 1800,
    scheme: str | os.PathLike[str] | None = None,
    compare_round: int | None = None,
) -> BatchResult:
    """Run the report of every area of a level; see the module docstring.

    Parameters
    ----------
    survey_round : int
        Buddhist-era year.
    level : {"amphoe", "tambon", "village"}
    within : str, optional
        Province or amphoe (or tambon, for villages) code.
    workers : int
        Local worker processes (default 2); ignored with ``scheduler``.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:port``); runs the batch on that cluster.
    store, out : path, optional
        Analysis store and reports folder; with a cluster both must be paths that every worker
        sees (shared file system). The reports go by default to ``reports/``, or to
        ``reports/stores/<store folder>/`` for a store other than the default one
        (:func:`abcresearch.paths.store_reports_dir`).
    lang : {"th", "en"}
    force : bool
        Rerun reports whose inputs are unchanged.
    notebook, province_notebook : path, optional
        Report and province-overview notebooks (defaults under ``notebooks/``; the overview is
        run once per batch when its notebook exists).
    engine : str, optional
        papermill engine: default :data:`BATCH_ENGINE` (in the worker's process, or a warm
        kernel on Dask), :data:`WARM_ENGINE` for a warm kernel everywhere, None for
        papermill's stock engine (a fresh kernel per report).
    progress : bool
        Show a progress bar on stderr.
    on_result : callable, optional
        Called with each outcome as it arrives (in the calling process). An exception raised
        by it stops the batch (pending reports are cancelled, finished ones are kept).
    timeout : float, optional
        Seconds allowed per notebook cell.
    scheme : str or path, optional
        Scoring scheme (a name in ``params/`` or a file), passed as the notebooks' ``scheme``
        parameter; a non-default scheme writes to ``<out>/<round>/<scheme>/``.
    compare_round : int, optional
        Earlier round for the change sections of every report (default: per area, the latest
        earlier round with its data; see :mod:`abcresearch.batch.rounds`).

    Returns
    -------
    BatchResult
    """
    start = time.perf_counter()
    local: _LocalWorkers | None = None
    if not scheduler:
        start_worker_server()  # its imports run beside the planning
    try:
        plan = plan_batch(survey_round, level, within, store, out, lang, notebook,
                          province_notebook, force, engine, timeout, scheme, compare_round)
        outcomes: dict[str, ReportOutcome] = {o.area_code: o for o in plan.skipped}
        province: list[ReportOutcome] = []
        # the plan's checks passed: reports (or at least the index page) go into plan.out now
        from abcresearch.paths import claim_store_reports

        claim_store_reports(plan.out, plan.store)
        # the province overview first: it is the longest report, and started last it would run
        # alone at the end while the other workers sit idle (longest task first); then the
        # areas with most households (batch.order)
        area_tasks = plan.tasks
        if len(area_tasks) > 1:
            area_tasks = largest_first(area_tasks, area_households(
                plan.survey_round, plan.store, plan.scheme.parameter))
        tasks = plan.province_tasks + area_tasks
        bar = _Progress(len(plan.codes) + len(plan.province_tasks), progress,
                        f"{level} reports {survey_round}")
        for outcome in plan.skipped:
            bar.advance(outcome)

        # the sums the disclosure rules could not protect rest on the round alone: read while
        # the workers report (the pattern's file, 0.1 s), not after the last report, and not
        # while the workers start (from the first report's outcome on)
        unprotected: list[Any] = []
        reporting = False

        def done(outcome: ReportOutcome) -> None:
            if reporting and not unprotected:
                unprotected.append(_in_background(unprotected_sums, int(survey_round),
                                                  plan.store, plan.scheme.parameter))
            if outcome.level in ("province", METHODS):
                province.append(outcome)
            else:
                outcomes[outcome.area_code] = outcome
            bar.advance(outcome)
            if on_result is not None:
                on_result(outcome)

        try:
            # the round's analysis was built once by plan_batch; an area on a damaged file fails
            for task, problem in plan.refused:
                done(_failed(task, problem))
            reporting = bool(tasks)
            if tasks:
                if scheduler:
                    _run_dask(tasks, scheduler, done)
                else:
                    engines = {t.engine for t in tasks}
                    local = _LocalWorkers(min(workers, len(tasks)),
                                          next(iter(engines)) if len(engines) == 1 else None)
                    local.run(tasks, done)
        finally:
            bar.stop()
            if local is not None:  # the workers stop while the index is written
                local.start_closing()
        ordered = [outcomes[c] for c in plan.codes if c in outcomes]
        from abcresearch.batch.index_page import write_index

        # the index lists every report of the round's folder: those of earlier batches (another
        # amphoe, another level) stay listed beside this batch's, in the order of their codes
        earlier = earlier_outcomes(plan, exclude=outcomes)
        listed = sorted([*ordered, *earlier], key=lambda o: o.area_code)
        # how many of the round's areas have a report: the same count whatever this batch's
        # notebook or amphoe (a plan's own areas leave out model-only tambons for a notebook
        # of one's own)
        areas = round_areas(int(survey_round), {o.level for o in listed}, plan.store,
                            plan.scheme.parameter)
        index = write_index(plan.folder, int(survey_round), listed, lang=lang,
                            synthetic=plan.synthetic, left_out=plan.left_out, round_areas=areas)
        cells = (unprotected[0].result() if unprotected and unprotected[0] is not None
                 else unprotected_sums(int(survey_round), plan.store, plan.scheme.parameter)
                 ) if tasks else ()
        unprotected_file = _write_unprotected(plan.folder, cells) if tasks else None
    finally:
        if local is not None:  # reports in flight end (and clean up) before this returns
            local.close()
    return BatchResult(int(survey_round), level, ordered, index,
                       time.perf_counter() - start, province, cells, unprotected_file)


def _in_background(function: Callable[..., Any], *args: Any) -> Any:
    """Call ``function(*args)`` in a daemon thread; return its future (None if none started).

    A daemon, so that a batch stopped by Ctrl-C or a failure does not wait for a result nobody
    takes.
    """
    import threading
    from concurrent.futures import Future

    future: Future[Any] = Future()

    def call() -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(function(*args))
            except BaseException as exc:  # noqa: BLE001 - raised by future.result()
                future.set_exception(exc)

    try:
        threading.Thread(target=call, name="abcresearch-batch-side", daemon=True).start()
    except RuntimeError:  # no thread to be had: the caller calls it itself
        return None
    return future


def _write_unprotected(folder: Path, cells: Iterable[tuple[str, str, str]]) -> Path | None:
    """Write the cells :func:`unprotected_sums` names to ``<folder>/`` :data:`UNPROTECTED_FILE`.

    Codes only (measure, area, category), no household's data. With none the file of an earlier
    run is removed, so what is there is always this round's pattern. Returns the file or None.
    """
    from abcresearch.atomic import atomic_write_bytes

    file = Path(folder) / UNPROTECTED_FILE
    rows = sorted(cells)
    if not rows:
        file.unlink(missing_ok=True)
        return None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("measure", "area_code", "category"))
    writer.writerows(rows)
    atomic_write_bytes(file, buf.getvalue().encode("utf-8"))
    return file


def round_areas(survey_round: int, levels: Iterable[str], store: str | os.PathLike[str] | None,
                scheme: str | None = None) -> dict[str, list[str]]:
    """Return, per level, the codes of the round's areas with data (for the index page).

    The areas a report can be made for: :func:`available_areas` of the whole store and, for
    tambons, those with a model estimate only. A level whose areas cannot be listed (a store
    that lacks them, any other failure) is left out: the index then says nothing about its
    coverage, and the batch's reports and index page are not lost to it.

    Parameters
    ----------
    survey_round : int
        The round.
    levels : iterable of str
        Levels to list (other values, e.g. ``"province"``, are ignored).
    store : path, optional
        The analysis store.
    scheme : str, optional
        Scoring scheme parameter (the small-area result is the scheme's).
    """
    out: dict[str, list[str]] = {}
    for level in sorted(set(levels) & set(LEVELS)):
        try:
            codes = set(available_areas(survey_round, level, None, store))
            if level == "tambon":
                from abcresearch.reports import model_tambon

                codes |= set(model_tambon.model_only_tambons(
                    int(survey_round), None if store is None else Path(store), scheme))
        except Exception:  # noqa: BLE001 - a coverage line is not worth the index page
            continue
        out[level] = sorted(codes)
    return out


def earlier_outcomes(plan: BatchPlan, exclude: Iterable[str] = ()) -> list[ReportOutcome]:
    """Outcomes of the reports an earlier batch left in ``plan``'s folder (for its index page).

    Every area report of the folder's level sub-folders (``amphoe/``, ``tambon/``,
    ``village/``) with a PDF or an error log, except the areas in ``exclude`` (this batch's),
    rebuilt from its files (:func:`outcomes_from_disk`).
    """
    from abcresearch.survey.areas import level_of

    skip = set(exclude)
    codes: set[str] = set()
    for level in ("amphoe", "tambon", "village"):
        folder = plan.folder / level
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            code = path.name.split(".", 1)[0]
            if (path.name in (f"{code}.pdf", f"{code}.error.txt") and code.isdigit()
                    and code not in skip):
                try:
                    if level_of(code) == level:
                        codes.add(code)
                except AreaError:  # not an area code: not a report
                    continue
    return outcomes_from_disk(sorted(codes), plan.survey_round, plan.out,
                              sub_folder(plan.scheme.folder, plan.lang))


def outcomes_from_disk(codes: Iterable[str], survey_round: int, out: Path,
                       scheme_folder: str | None = None) -> list[ReportOutcome]:
    """Rebuild outcomes of areas from their files (for an index of earlier runs)."""
    from abcresearch.survey.areas import level_of

    result = []
    for code in codes:
        paths = ReportPaths.for_area(code, survey_round, out, scheme_folder)
        # an error log beside a PDF: a forced rerun failed and kept the report before it
        status = "failed" if paths.error.is_file() else ("ok" if paths.pdf.is_file() else "none")
        result.append(ReportOutcome(code, int(survey_round), level_of(code), status, paths,
                                    summary=read_json(paths.summary)))
    return result


__all__ = ["WITHIN_LEVELS", "BatchPlan", "BatchResult", "ReportTask", "available_areas",
           "plan_batch", "round_areas", "run_batch", "run_task"]
