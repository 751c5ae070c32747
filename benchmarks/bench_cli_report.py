"""Benchmark: one ``abcresearch report`` from the command line, as a researcher runs it.

Usage::

    python benchmarks/bench_cli_report.py [--store data/store] [--round 2549] [--area 800101]
        [--repeat 3]

Runs ``abcresearch report --area A --round R`` ``--repeat`` times after one unmeasured run (a
warm disk: files and libraries in the page cache), each in a new process, and prints the median
wall time (prompt to prompt) and the CPU seconds of the command and its kernel; in the same run,
the stock route for the same area and notebook (``papermill`` then ``jupyter nbconvert --to
html``, each its own process); and ``abcresearch report`` again with ``abcresearch serve``
running (a server of its own, started and warmed with one report before the timed runs). Target
(issue 16): under 3 s on a warm disk. The machine's load
average is printed with the figures; on a shared machine read the CPU seconds and the ratio.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _load() -> str:
    """The machine's 1, 5 and 15 minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _timed(commands: list[list[str]], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run commands one after another; return (wall seconds, CPU seconds of all children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for cmd in commands:
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=str(ROOT / "data" / "store"))
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--area", default="800101")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="abc-bench-cli-"))
    notebook = ROOT / "notebooks" / "area_report.ipynb"
    ours = [[str(BIN / "abcresearch"), "report", "--area", args.area, "--round",
             str(args.survey_round), "--store", args.store, "--out", str(work / "reports")]]
    stock = [[str(BIN / "papermill"), str(notebook), str(work / "stock.ipynb"), "-p",
              "area_code", args.area, "-p", "survey_round", str(args.survey_round), "-p",
              "store", os.path.abspath(args.store), "--cwd", str(ROOT), "--no-progress-bar"],
             [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
              str(work / "stock.ipynb")]]
    # a process of its own (no report server), and, separately, with a server of its own
    alone = {**os.environ, "ABCRESEARCH_NO_SERVER": "1"}
    served_env = {**os.environ, "ABCRESEARCH_CACHE": str(work / "cache")}
    served_env.pop("ABCRESEARCH_NO_SERVER", None)
    print(f"load average before: {_load()}  (2 shared cores)")
    server = None
    try:
        _timed(ours, alone)  # warm the disk cache and the round's analysis cache
        rows = {"abcresearch report (PDF)": [_timed(ours, alone) for _ in range(args.repeat)],
                "stock papermill + nbconvert (HTML)": [_timed(stock)
                                                       for _ in range(args.repeat)]}
        server = subprocess.Popen([str(BIN / "abcresearch"), "serve", "--idle-minutes", "10"],
                                  cwd=ROOT, env=served_env, stdout=subprocess.PIPE, text=True)
        ready = server.stdout.readline() if server.stdout else ""
        if "ready" not in ready:
            raise SystemExit(f"abcresearch serve did not start: {ready!r}")
        _timed(ours, served_env)  # the server's first report pays its first use of each library
        rows["abcresearch report, abcresearch serve running"] = [
            _timed(ours, served_env) for _ in range(args.repeat)]
        print(f"one report of {args.area}, round {args.survey_round}, median of {args.repeat}")
        medians = {}
        for name, runs in rows.items():
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            medians[name] = wall
            cpu_text = f"CPU {cpu:6.2f} s" if "serve" not in name else "(CPU in the server)"
            print(f"  {name:46s} wall {wall:6.2f} s   {cpu_text}")
        ours_wall, stock_wall, served_wall = medians.values()
        print(f"  abcresearch report vs stock {stock_wall / ours_wall:24.1f}x faster; with the "
              f"server {stock_wall / served_wall:.1f}x (target: under 3 s on a quiet 2-core "
              "machine)")
    finally:
        if server is not None:
            server.terminate()
            server.communicate(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
