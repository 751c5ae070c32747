"""Benchmark: when each report of a local batch ends, and what a batch costs before its first.

Usage::

    python benchmarks/bench_timeline.py [--store data/store] [--round 2549] [--within 8001]
        [--level tambon] [--workers 2]

Runs ``run_batch`` (the local workers of ``abcresearch batch``, every report made again, into a
temporary folder) and prints, for each report as it arrives in the batch's process, the time
since the batch started and the seconds the report took inside its worker; then the batch's
fixed costs: the batch module's imports and its planning in the batch's own process
(:func:`abcresearch.batch.run.plan_batch`, timed by wrapping it), the time before the first
report began (its end less its own seconds: imports, planning, the workers' start), and the time
after the last report (the index page, the workers' stop). On a district these fixed costs are
a large part of the wall time; on a province they are spread over 170 reports. The machine's
load average is printed with the figures.

Each report's time in its worker is split in two: its notebook (the cells, from the start and
end papermill records in the executed notebook) and what follows it until the PDF is written
(the Typst source, Typst's layout and PDF, the text layer, the tables workbook; from the PDF
file's time). A summary gives both by fifths of the batch's reports of its level (the province
overview and the methods appendix left out), in the order they began: the first reports of a
worker run with cold caches.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _load() -> str:
    """The machine's 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=ROOT / "data" / "store")
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--within", default="8001")
    ap.add_argument("--level", choices=("tambon", "village"), default="tambon")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    if not args.store.is_dir():
        print(f"no store at {args.store}: run `make demo` first", file=sys.stderr)
        return 2
    print(f"load average before: {_load()} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory(prefix="abc-timeline-") as work:
        t0 = time.perf_counter()
        from abcresearch.batch import run

        imports = time.perf_counter() - t0
        planning: list[float] = []
        plan = run.plan_batch

        def timed_plan(*a: Any, **k: Any) -> Any:  # what run_batch calls first
            t = time.perf_counter()
            try:
                return plan(*a, **k)
            finally:
                planning.append(time.perf_counter() - t)

        run.plan_batch = timed_plan  # type: ignore[assignment]
        marks: list[tuple[float, str, float, str]] = []
        written: dict[str, Any] = {}

        def arrived(outcome: Any) -> None:
            marks.append((time.perf_counter() - t0, outcome.area_code, outcome.seconds,
                          outcome.status))
            if outcome.status == "ok":  # its files are read after the batch, not beside it
                written[outcome.area_code] = outcome.paths

        try:
            result = run.run_batch(args.survey_round, args.level, args.within, args.workers,
                                   store=args.store, out=Path(work) / "reports", force=True,
                                   progress=False, on_result=arrived)
        finally:
            run.plan_batch = plan  # type: ignore[assignment]
        wall = time.perf_counter() - t0
        split = {code: parts for code, paths in written.items()
                 if (parts := _notebook_and_pdf(paths.ipynb, paths.pdf)) is not None}
    print(f"{'ended at':>9} {'report':>10} {'in worker':>10} {'notebook':>9} {'then PDF':>9}")
    for at, code, seconds, status in marks:
        nb, pdf = split[code][1:] if code in split else (float("nan"), float("nan"))
        print(f"{at:8.2f}s {code:>10} {seconds:9.2f}s {nb:8.2f}s {pdf:8.2f}s "
              f"{'' if status == 'ok' else status}")
    digits = {"tambon": 6, "village": 8}[args.level]
    _by_fifths({code: parts for code, parts in split.items() if len(code) == digits},
               {code: seconds for _, code, seconds, _ in marks})
    first = min((at - seconds for at, _, seconds, _ in marks), default=float("nan"))
    last = max((at for at, *_ in marks), default=float("nan"))
    inside = sum(seconds for *_, seconds, _ in marks)
    print(f"batch wall {wall:.1f} s with {args.workers} workers, of which the batch's imports "
          f"{imports:.2f} s and its planning {sum(planning):.2f} s; before the first report "
          f"began {first:.1f} s (imports, planning, then the workers' start); reports "
          f"{inside:.1f} worker-s in all ({inside / args.workers:.1f} s on {args.workers} "
          f"workers); after the last report {wall - last:.1f} s (index, workers' stop); "
          f"{result.count('failed')} failed")
    print(f"load average after: {_load()}")
    return 0


def _notebook_and_pdf(ipynb: Path, pdf: Path) -> tuple[float, float, float] | None:
    """A report's notebook start (epoch seconds), its cells' seconds and the seconds until its
    PDF was written (None where a file or papermill's times are missing)."""
    try:
        meta = json.loads(ipynb.read_text(encoding="utf-8"))["metadata"]["papermill"]
        start = datetime.datetime.fromisoformat(meta["start_time"]).timestamp()
        end = datetime.datetime.fromisoformat(meta["end_time"]).timestamp()
        written = pdf.stat().st_mtime
    except (OSError, KeyError, TypeError, ValueError):
        return None
    return start, end - start, written - end


def _by_fifths(split: dict[str, tuple[float, float, float]], seconds: dict[str, float]) -> None:
    """Print the median notebook, PDF step and in-worker seconds by fifths of ``split``."""
    order = sorted(split, key=lambda code: split[code][0])
    if len(order) < 5:
        return
    print("by fifths of the reports of the batch's level, in the order they began (medians):")
    print(f"{'reports':>12} {'notebook':>9} {'then PDF':>9} {'in worker':>10}")
    for k in range(5):
        part = order[k * len(order) // 5:(k + 1) * len(order) // 5]
        nb = statistics.median(split[c][1] for c in part)
        pdf = statistics.median(split[c][2] for c in part)
        worker = statistics.median(seconds[c] for c in part)
        first = k * len(order) // 5 + 1
        print(f"{first:>5}-{first + len(part) - 1:<6} {nb:8.2f}s {pdf:8.2f}s {worker:9.2f}s")


if __name__ == "__main__":
    sys.exit(main())
