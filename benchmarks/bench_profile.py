"""Benchmark: where the time of one report goes, warm (as a batch worker runs it) and cold.

Usage::

    python benchmarks/bench_profile.py [--store data/store] [--round 2549] [--area 800101]
        [--repeat 3] [--batch-areas 4]

Needs an ingested store (``make demo`` makes one). Prints one table per route:

* **cold**: a fresh Python process runs what ``abcresearch report`` runs (checks while a helper
  thread warms the PDF step, the notebook shell started with the report notebook's imports,
  the report in the process) with timers around each phase;
* **warm**: the ``abcresearch_warm`` engine in this process after one warm-up report (the
  median of ``--repeat`` reports), which is what a Dask worker does per area;
* **in-process**: the ``abcresearch_inprocess`` engine the same way, which is what a local
  batch worker and ``abcresearch serve`` do per area; each row also gives the CPU seconds of
  the report (this process and its warm kernel), the cost that bounds a busy worker's
  throughput;
* **scheduling**: ``run_batch`` over ``--batch-areas`` tambons with one local worker; the wall
  time not spent inside reports (worker start, round analysis, queueing, index page) per report.

Phases outside the kernel are timed by wrapping the functions the runner calls (papermill's
parameter injection and notebook I/O, the kernel start/reset/shutdown, the Typst export, the
writers of the notebook, PDF and sidecars). Inside the kernel, the report notebook's cells are
the sections (papermill records each cell's duration); a copy of the notebook gets one extra
cell, after the parameters, that times the data read (``AreaReport.load``), each chart function
of :mod:`abcresearch.reports.charts` and each SVG rendering, and writes the figures to a file.
The rows of a table overlap where one phase contains another (marked ``>``) and where a
phase ran in a helper thread beside the main one (marked ``[helper thread, overlapped]``: the
command line's PDF warm-up, the tables workbook and the notebook's JSON); ``other`` is the wall
time no row accounts for. The machine load (``uptime``) is printed with the figures.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

KERNEL_CELL = r'''
import builtins as _b, functools as _f, json as _j, sys as _s, time as _t
_b.__abc_profile__ = _P = []
def _timed(label, fn):
    if getattr(fn, "__abc_timed__", False):
        return fn
    @_f.wraps(fn)
    def inner(*a, **k):
        t = _t.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            _b.__abc_profile__.append((label, _t.perf_counter() - t))
    inner.__abc_timed__ = True
    return inner
import abcresearch.reports.charts as _charts
import abcresearch.reports.render.display as _display
import abcresearch.reports.context as _context
for _n, _v in list(vars(_charts).items()):
    if (callable(_v) and getattr(_v, "__module__", "") == _charts.__name__
            and not _n.startswith("_") and not isinstance(_v, type)):
        setattr(_charts, _n, _timed("chart " + _n, _v))
_display.figure_svg = _timed("chart SVG rendering", _display.figure_svg)
_load = _context.AreaContext.__dict__["load"]
if not getattr(_load.__func__, "__abc_timed__", False):
    _context.AreaContext.load = classmethod(
        _timed("data read + round analysis (AreaReport.load)", _load.__func__))
def _dump(path=__PATH__):
    with open(path, "w") as fh:
        _j.dump(_b.__abc_profile__, fh)
'''

DUMP_CELL = "_dump()\n"


class Phases:
    """Accumulate the time spent in wrapped functions, by label."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._undo: list[tuple[Any, str, Any]] = []

    def add(self, label: str, seconds: float) -> None:
        self.seconds[label] += seconds
        self.calls[label] += 1

    def wrap(self, owner: Any, name: str, label: str) -> None:
        """Replace ``owner.name`` by a timed wrapper (async functions stay async)."""
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        func = original.__func__ if isinstance(original, (classmethod, staticmethod)) else original
        phases = self

        def where() -> str:
            # a call in a helper thread (the kernel's start, the PDF warm-up of the command
            # line) overlaps the main thread's work: its own row, not added to the main one's
            if threading.current_thread() is threading.main_thread():
                return label
            return f"{label} [helper thread, overlapped]"

        if inspect.iscoroutinefunction(func):
            @functools.wraps(func)
            async def timed(*a: Any, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return await func(*a, **k)
                finally:
                    phases.add(where(), time.perf_counter() - t)
        else:
            @functools.wraps(func)
            def timed(*a: Any, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return func(*a, **k)
                finally:
                    phases.add(where(), time.perf_counter() - t)
        new: Any = timed
        if isinstance(original, classmethod):
            new = classmethod(timed)
        elif isinstance(original, staticmethod):
            new = staticmethod(timed)
        setattr(owner, name, new)
        self._undo.append((owner, name, original))

    def undo(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


def _instrument(phases: Phases) -> None:
    """Wrap the runner-side phases of one report."""
    import nbformat
    import papermill.engines
    import papermill.execute
    import papermill.iorw
    from nbclient.client import NotebookClient
    from papermill.clientwrap import PapermillNotebookClient

    from abcresearch.batch import inprocess, kernel_state, kernels, pdf_process, runner
    from abcresearch.reports import spreadsheet
    from abcresearch.reports.render import pdf

    phases.wrap(runner, "execute_report", "> report run (execute_report)")
    phases.wrap(papermill.execute, "load_notebook_node", "read notebook (papermill)")
    phases.wrap(papermill.execute, "parameterize_notebook", "parameter injection")
    for module in (papermill.execute, papermill.engines):
        phases.wrap(module, "write_ipynb", "write temporary notebook (papermill)")
    phases.wrap(NotebookClient, "start_new_kernel", "kernel start (stock engine)")
    phases.wrap(NotebookClient, "start_new_kernel_client", "kernel client start (stock)")
    phases.wrap(NotebookClient, "_cleanup_kernel", "kernel shutdown (stock engine)")
    phases.wrap(PapermillNotebookClient, "papermill_execute_cells",
                "> notebook cells (stock engine)")
    phases.wrap(kernels.WarmKernel, "_start", "kernel start + warm imports (warm engine)")
    phases.wrap(kernels.WarmKernel, "_silent", "kernel reset now (+ warm imports at start)")
    # a warm kernel's reset is sent when the previous notebook ends and runs while that
    # report's PDF is made; this row is what the next report still waits for
    phases.wrap(kernels.WarmKernel, "_finish_reset",
                "> kernel reset: wait for the one sent after the last notebook")
    phases.wrap(kernels.WarmKernel, "_execute", "> notebook cells (warm engine)")
    phases.wrap(inprocess.InProcessNotebooks, "execute",
                "> notebook cells + reset (in-process engine)")
    phases.wrap(kernel_state, "reset", "> reset after the notebook (in-process engine)")
    phases.wrap(nbformat, "read", "read executed notebook")
    phases.wrap(runner, "finish_metadata", "notebook metadata + key figures")
    phases.wrap(pdf, "typst_document", "Typst source (notebook -> Typst)")
    phases.wrap(pdf, "compile_pdf", "Typst PDF (Typst -> PDF, text layer)")
    phases.wrap(pdf_process.PdfProcess, "typeset",
                "PDF in the helper process (notebook sent, typeset, PDF back)")
    phases.wrap(runner, "notebook_bytes",
                "executed notebook as JSON (while Typst runs; with the helper, before)")
    phases.wrap(spreadsheet, "tables_workbook", "tables workbook (while Typst runs)")
    phases.wrap(runner, "atomic_write_bytes", "write notebook, PDF, workbook")
    phases.wrap(runner, "atomic_write_json", "write summary + inputs sidecars")


def _profiled_notebook(source: Path, work: Path, dump: Path) -> Path:
    """Copy the report notebook with the timing cells added (beside it: same relative paths)."""
    import nbformat
    from nbformat.v4 import new_code_cell

    nb = nbformat.read(source, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    head = new_code_cell(KERNEL_CELL.replace("__PATH__", repr(str(dump))))
    tail = new_code_cell(DUMP_CELL)
    for cell in (head, tail):
        cell.metadata["tags"] = ["remove-cell"]
    nb.cells.insert(at + 1, head)
    nb.cells.append(tail)
    target = source.parent / f".bench-profile-{os.getpid()}-{source.name}"
    nbformat.write(nb, target)
    return target


def _cells(ipynb: Path) -> list[tuple[str, float]]:
    """Each executed cell's first line and duration (papermill metadata)."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    rows = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        duration = cell.metadata.get("papermill", {}).get("duration")
        tags = cell.metadata.get("tags", [])
        if duration is None or "remove-cell" in tags or "injected-parameters" in tags:
            continue
        first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
        rows.append((f"cell: {first[:48]}", float(duration)))
    return rows


def _one(args: argparse.Namespace, engine: str | None, notebook: Path, dump: Path,
         out: Path, before: Any = None) -> dict[str, float]:
    """Run one report with timers; ``before(phases)`` runs first (e.g. the command's checks)."""
    import psutil

    from abcresearch.batch import kernels
    from abcresearch.batch.runner import run_report

    phases = Phases()
    _instrument(phases)
    me = psutil.Process()

    def cpu() -> float:  # this process and, for the warm engine, this thread's kernel
        pid = kernels.POOL.get().pid if engine == kernels.ENGINE_NAME else None
        own = sum(me.cpu_times()[:2])
        try:
            return own + (sum(psutil.Process(pid).cpu_times()[:2]) if pid else 0.0)
        except psutil.Error:
            return own

    cpu_before = cpu()
    try:
        t = time.perf_counter()
        if before is not None:
            before(phases)
        t_run = time.perf_counter()
        outcome = run_report(args.area, args.survey_round, store=args.store, out=out,
                             notebook=notebook, engine=engine)
        total = time.perf_counter() - t
        run = time.perf_counter() - t_run
    finally:
        phases.undo()
    if outcome.status != "ok":
        raise SystemExit(f"report failed: {outcome.error}")
    row = {"TOTAL run_report": total}
    row["CPU seconds (this process + its warm kernel; a busy worker's cost)"] = (
        cpu() - cpu_before)
    row.update(phases.seconds)
    row["run_report before the run (checks, inputs, damaged files)"] = (
        run - phases.seconds["> report run (execute_report)"])
    for label, seconds in _cells(outcome.paths.ipynb):
        row[f"  {label}"] = row.get(f"  {label}", 0.0) + seconds
    if dump.is_file():
        for label, seconds in json.loads(dump.read_text()):
            key = f"  in kernel: {label}"
            row[key] = row.get(key, 0.0) + seconds
        dump.unlink()
    return row


def _print_table(title: str, rows: list[dict[str, float]]) -> None:
    labels: list[str] = []
    for row in rows:
        labels += [k for k in row if k not in labels]
    med = {k: statistics.median([r.get(k, 0.0) for r in rows]) for k in labels}
    total = med.pop("TOTAL run_report")
    print(f"\n{title} (median of {len(rows)}; seconds, share of the total)")
    print(f"  {'TOTAL':66s} {total:7.3f}  100%")
    for label in sorted(med, key=lambda k: (k.startswith("  "), -med[k]) if not
                        k.startswith("  ") else (True, 0)):
        print(f"  {label[:66]:66s} {med[label]:7.3f}  {100 * med[label] / total:3.0f}%")


def _child_cold(args: argparse.Namespace) -> int:
    """Run in a fresh process what ``abcresearch report`` runs, with timers on each phase."""
    t = time.perf_counter()
    import abcresearch.cli as cli
    from abcresearch.batch import pdf_process

    pdf_process.start()
    cli_import = time.perf_counter() - t

    def command_start(phases: Phases) -> None:
        # as abcresearch.cli.entry and _run_report: the PDF helper process starts (it warms
        # up on the other core while the command checks the area); batch package (and with it
        # the light nbformat import), the scheme; then the notebook shell starts with the
        # report notebook's imports
        from abcresearch.batch import inprocess, kernels
        from abcresearch.batch.parameters import resolve_scheme

        resolve_scheme(None)
        t = time.perf_counter()
        cli._check_area_has_data(args.area, args.survey_round, Path(args.store))
        phases.add("command checks (area has data)", time.perf_counter() - t)
        t = time.perf_counter()
        inprocess.NOTEBOOKS.start(imports=kernels.REPORT_IMPORTS)
        phases.add("notebook shell start + the notebook's imports", time.perf_counter() - t)

    from abcresearch.batch import inprocess

    try:
        row = _one(args, inprocess.ENGINE_NAME, Path(args.notebook), Path(args.dump),
                   Path(args.out), before=command_start)
    finally:
        pdf_process.stop()  # reaped, as the command does (its CPU then counts as a child's)
    row["import abcresearch.cli (command line start)"] = cli_import
    print(json.dumps(row))
    return 0


def _load() -> str:
    """The machine's 1, 5 and 15 minute load averages (as ``uptime`` prints them)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=str(ROOT / "data" / "store"))
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--area", default="800101")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch-areas", type=int, default=4)
    ap.add_argument("--child-cold", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--notebook", help=argparse.SUPPRESS)
    ap.add_argument("--dump", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_cold:
        return _child_cold(args)

    from abcresearch.store import read as data

    try:
        data.manifest(args.survey_round, args.store)
    except Exception as exc:  # noqa: BLE001
        print(f"no store at {args.store} for round {args.survey_round} ({exc}); run make demo")
        return 2
    print(f"load average before: {_load()}  (2 shared cores; figures are noisy, compare ratios)")
    work = Path(tempfile.mkdtemp(prefix="abc-bench-profile-"))
    dump = work / "kernel-times.json"
    notebook = _profiled_notebook(ROOT / "notebooks" / "area_report.ipynb", work, dump)
    try:
        cold = []
        for i in range(args.repeat):
            t = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, __file__, "--child-cold", "--store", args.store, "--round",
                 str(args.survey_round), "--area", args.area, "--notebook", str(notebook),
                 "--dump", str(dump), "--out", str(work / f"cold{i}")],
                capture_output=True, text=True, check=False)
            wall = time.perf_counter() - t
            if proc.returncode != 0:
                print(proc.stderr[-2000:])
                return 1
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            row["process wall (python start to exit, kernel shutdown included)"] = wall
            cold.append(row)
        _print_table(f"cold single report {args.area} (fresh process, as `abcresearch report`)",
                     cold)

        from abcresearch.batch import kernels

        _one(args, kernels.ENGINE_NAME, notebook, dump, work / "warm")  # warm-up
        warm = [_one(args, kernels.ENGINE_NAME, notebook, dump, work / "warm")
                for _ in range(args.repeat)]
        _print_table(f"warm report {args.area} (abcresearch_warm engine, as a Dask worker "
                     "and `abcresearch serve`)", warm)
        kernels.POOL.close()

        from abcresearch.batch import inprocess

        _one(args, inprocess.ENGINE_NAME, notebook, dump, work / "inprocess")  # warm-up
        inproc = [_one(args, inprocess.ENGINE_NAME, notebook, dump, work / "inprocess")
                  for _ in range(args.repeat)]
        _print_table(f"in-process report {args.area} (abcresearch_inprocess engine, as a local "
                     "batch worker)", inproc)

        if args.batch_areas:
            _scheduling(args, work)
    finally:
        notebook.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average after: {_load()}")
    return 0


def _scheduling(args: argparse.Namespace, work: Path) -> None:
    """Batch wall time outside the reports, per report, on the smallest amphoe (1 worker)."""
    from abcresearch.batch.run import available_areas, run_batch

    amphoes = available_areas(args.survey_round, "amphoe", args.area[:2], args.store)
    sizes = {a: len(available_areas(args.survey_round, "tambon", a, args.store)) for a in amphoes}
    within = min((a for a in sizes if sizes[a] >= 2), key=lambda a: (sizes[a], a))
    t = time.perf_counter()
    result = run_batch(args.survey_round, "tambon", within=within, workers=1, store=args.store,
                       out=work / "batch", force=True, progress=False)
    wall = time.perf_counter() - t
    inside = sum(o.seconds or 0.0 for o in result.outcomes + result.province)
    count = max(1, len(result.outcomes))
    print(f"\nscheduling: run_batch, 1 worker, {count} tambon reports of amphoe {within}")
    print(f"  wall {wall:.2f} s; inside the reports {inside:.2f} s (the first includes the "
          "warm kernel's start)")
    print(f"  outside the reports (worker start, round analysis, queue, index page): "
          f"{wall - inside:.2f} s = {(wall - inside) / count:.3f} s per report")


if __name__ == "__main__":
    sys.exit(main())
