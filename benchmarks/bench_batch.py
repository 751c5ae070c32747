"""Benchmark: stock papermill + nbconvert loop versus ``abcresearch batch`` (warm workers).

Usage::

    python benchmarks/bench_batch.py --store data/store --round 2568 --amphoe 8001 \
        [--notebook notebooks/area_report.ipynb] [--stock-areas 3] [--workers 2] \
        [--level tambon|village]

1. Stock loop, for the first ``--stock-areas`` tambons: ``papermill`` with a fresh kernel, then
   ``jupyter nbconvert --to html`` (each its own process, as a user would script it); with a
   real store, the province overview and the methods appendix once the same way (the batch
   writes them too).
2. ``abcresearch batch --level tambon --within <amphoe> --force`` for all tambons of the amphoe,
   in a subprocess, sampling the resident memory of each worker process plus its kernel (a
   worker forked by the batch's fork server counts the pages it shares with the server, as a
   resident size does; the server is not counted as a worker).

Prints the per-report time of both and their ratio (the batch's wall time, overview included,
over its tambon reports, against the stock loop's tambon report), the like-for-like ratio (the
stock loop's time for the same tambon reports plus its overview and methods appendix against the
batch's wall time),
the peak memory per worker and the extrapolated
time of 170 tambon and 1,551 village reports, with the machine's load average before and after
(on a shared machine the ratio, measured in the same run, is the figure to read). Targets (issue
16): at least 15x on the whole province (``--amphoe 80``), 8x on one district; under 1.5 GB per
worker. With ``--level village`` the same for the village reports of the amphoe (the stock loop
on its first ``--stock-areas`` villages), which measures the 1,551 village reports' time instead
of assuming a tambon report's cost (target: under 13 min on 2 cores). Without ``--store`` it
builds a fake store and uses
the test notebook ``tests/notebooks/tiny_area.ipynb`` (plumbing only, not representative).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _fake_store(root: Path, survey_round: int, amphoe: str) -> Path:
    from abcresearch.survey.areas import tambons

    codes = tambons(amphoe)["code"].tolist()
    folder = root / "store" / f"round={survey_round}"
    (folder / "areas").mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(
        {"fingerprints": {c: f"fp-{c}" for c in codes}, "synthetic": True}))
    for i, c in enumerate(codes):
        (folder / "areas" / f"{c}.json").write_text(json.dumps(
            {"households": 150, "grade": "ABC"[i % 3], "values": [10, 20 + i, 30]}))
    return root / "store"


def _stock(notebook: Path, codes: list[str], survey_round: int, store: Path, work: Path,
           parameter: str | None = "area_code") -> list[float]:
    times = []
    for code in codes:
        out = work / f"stock-{code}.ipynb"
        start = time.perf_counter()
        area = ["-p", parameter, code] if parameter else []  # the methods appendix: none
        subprocess.run([str(BIN / "papermill"), str(notebook), str(out), *area,
                        "-p", "survey_round", str(survey_round), "-p", "store", str(store),
                        "--cwd", str(notebook.parent), "--no-progress-bar"],
                       check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(out)], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        print(f"  stock {code}: {times[-1]:.2f} s", flush=True)
    return times


def _peak_worker_rss(pid: int, stop: threading.Event, peaks: dict[int, int]) -> None:
    import psutil

    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    def workers() -> list[Any]:
        # the batch's children: its workers (and the resource tracker), or the fork server that
        # forks them (whose own memory, shared with them, is not a worker's)
        out = []
        for child in parent.children():
            try:
                server = "multiprocessing.forkserver" in " ".join(child.cmdline())
            except psutil.NoSuchProcess:
                continue
            out.extend(child.children() if server else [child])
        return out

    while not stop.is_set():
        try:
            for child in workers():  # worker processes (and the resource tracker)
                total = 0
                for p in [child, *child.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                peaks[child.pid] = max(peaks.get(child.pid, 0), total)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)


def _load() -> str:
    """The machine's 1, 5 and 15 minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _interpreter() -> str:
    """Which Python runs the benchmark, and whether it runs from a shared ``libpython``.

    The same Python version differs by its build: on this machine pyenv's 3.11 (a shared
    ``libpython``, no profile-guided optimisation) took 1.8 times as long as Debian's over a
    pure-Python loop, and the stock route's reports gained more from Debian's than the batch's
    (``docs/SCALING.md``, forty-fifth session). The stock route and the batch both run on the
    Python that runs this script.
    """
    import platform

    try:
        shared = "libpython" in Path("/proc/self/maps").read_text()
        build = "libpython shared" if shared else "libpython linked in"
    except OSError:
        build = "build not known"
    return f"python {platform.python_version()} ({sys.executable}; {build})"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, help="analysis store (default: a fake one)")
    ap.add_argument("--round", dest="survey_round", type=int, default=2568)
    ap.add_argument("--amphoe", default="8001")
    ap.add_argument("--notebook", type=Path, help="report notebook")
    ap.add_argument("--stock-areas", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--level", choices=("tambon", "village"), default="tambon",
                    help="report level of the batch (default tambon)")
    args = ap.parse_args(argv)
    if args.level == "village" and args.store is None:
        ap.error("--level village needs --store (the fake store has no village reports)")

    from abcresearch.batch.run import available_areas

    work = Path(tempfile.mkdtemp(prefix="abc-bench-"))
    try:
        if args.store is None:
            store = _fake_store(work, args.survey_round, args.amphoe)
            notebook = args.notebook or ROOT / "tests" / "notebooks" / "tiny_area.ipynb"
            print("no --store: fake store and the test notebook (plumbing check only)")
        else:
            store = args.store.resolve()
            notebook = (args.notebook or ROOT / "notebooks" / "area_report.ipynb").resolve()
        codes = available_areas(args.survey_round, args.level, args.amphoe, store)
        print(f"notebook {notebook}\nstore {store}\n{len(codes)} {args.level}s in {args.amphoe}")
        print(_interpreter())
        print(f"load average before: {_load()}")

        print("stock loop (papermill fresh kernel + nbconvert --to html):")
        stock = _stock(notebook, codes[: args.stock_areas], args.survey_round, store, work)
        stock_per = statistics.median(stock)
        # the batch also writes the province overview: time it the stock way once, so that
        # the like-for-like ratio compares the same reports
        overview_nb = ROOT / "notebooks" / "province_overview.ipynb"
        stock_overview = None
        if args.store is not None and overview_nb.is_file() and codes:
            print("stock loop, the province overview:")
            stock_overview = _stock(overview_nb, [codes[0][:2]], args.survey_round, store,
                                    work, parameter="province_code")[0]
        # and the round's methods appendix (made again when the rules change), once
        methods_nb = ROOT / "notebooks" / "methods.ipynb"
        stock_methods = 0.0
        if args.store is not None and methods_nb.is_file() and codes:
            print("stock loop, the methods appendix:")
            stock_methods = _stock(methods_nb, ["methods"], args.survey_round, store, work,
                                   parameter=None)[0]

        print(f"abcresearch batch ({args.workers} workers, notebooks in the worker processes):")
        out = work / "reports"
        cmd = [str(BIN / "abcresearch"), "batch", "--round", str(args.survey_round), "--level",
               args.level, "--within", args.amphoe, "--store", str(store), "--out", str(out),
               "--workers", str(args.workers), "--force"]
        if args.notebook or args.store is None:
            # the CLI uses notebooks/area_report.ipynb; point the batch at another notebook
            cmd = [sys.executable, "-c",
                   "import sys, abcresearch.batch.run as b, abcresearch.cli as c;"
                   f"b.default_notebook = lambda level, _d=b.default_notebook: "
                   f"__import__('pathlib').Path({str(notebook)!r}) if level != 'province' "
                   "else _d(level);"
                   "sys.exit(c.main(sys.argv[1:]))", *cmd[1:]]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        stop, peaks = threading.Event(), {}
        sampler = threading.Thread(target=_peak_worker_rss, args=(proc.pid, stop, peaks))
        sampler.start()
        stdout, _ = proc.communicate()
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
        print("  " + stdout.strip().replace("\n", "\n  "))
        batch_per = wall / max(1, len(codes))
        top = sorted(peaks.values(), reverse=True)[: args.workers]
        print("\nresults" + (" of the PLUMBING CHECK (a fake store and a test notebook: not "
                              "report figures; give --store for those)"
                              if args.store is None else ""))
        print(f"  stock loop per report        {stock_per:6.2f} s  (median of {len(stock)})")
        print(f"  batch per report (wall/n)    {batch_per:6.2f} s  ({len(codes)} reports in "
              f"{wall:.1f} s, start-up included)")
        target = "" if args.level == "village" else (
            "  (target >= 15)" if len(args.amphoe) == 2 else "  (target >= 8)")
        print(f"  speed-up                     {stock_per / batch_per:6.1f} x{target}")
        if stock_overview is not None:
            same = len(codes) * stock_per + stock_overview + stock_methods
            print(f"  like for like                {same / wall:6.1f} x  (the stock loop for the "
                  f"same {len(codes)} reports, the overview and the methods appendix, "
                  f"{len(codes)} x {stock_per:.2f} + {stock_overview:.2f} + "
                  f"{stock_methods:.2f} = {same:.1f} s, against the batch's {wall:.1f} s)")
        print(f"  peak memory per worker       {max(top, default=0) / 1e9:6.2f} GB "
              f"(worker process and any kernel of it; target < 1.5)")
        if args.level == "village":
            print(f"  1,551 village reports, est.  {1551 * batch_per / 60:6.1f} min (target < 13; "
                  f"this run's village reports, overview and appendix included)")
        else:
            print(f"  170 tambon reports, est.     {170 * batch_per / 60:6.1f} min "
                  "(target < 1.5)")
            print(f"  1,551 village reports, est.  {1551 * batch_per / 60:6.1f} min (target < 13; "
                  "a tambon report's cost assumed: measure with --level village)")
        print(f"  load average after           {_load()}")
        return proc.returncode
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
