"""Benchmark: ``abcresearch batch`` on a local Dask cluster with 1 and then 2 workers.

Usage::

    python benchmarks/bench_dask.py [--store data/store] [--round 2549] [--within 8001]
        [--level tambon]

Starts a ``distributed.LocalCluster`` (one single-threaded worker process per core used, as a
remote worker would run), sends the batch of every ``--level`` area of ``--within`` to it through
``run_batch(scheduler=...)`` (the ``--scheduler`` route of the command line), and prints the wall
time of each cluster size and the scaling efficiency ``T1 / (k * Tk)``. Every run starts its
workers' warm kernels afresh (the first report of each worker pays for it), like a new cluster
would. The machine's load average is printed with the figures: on a shared machine the
efficiency is the figure to read, not the seconds.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load() -> str:
    """The machine's 1, 5 and 15 minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def _run(k: int, args: argparse.Namespace, out: Path) -> tuple[float, int, int]:
    from distributed import LocalCluster

    from abcresearch.batch.run import run_batch

    with LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                      dashboard_address=None, memory_limit="1.5GB") as cluster:
        start = time.perf_counter()
        result = run_batch(args.survey_round, args.level, within=args.within,
                           scheduler=cluster.scheduler_address, store=args.store, out=out,
                           force=True, progress=False)
        wall = time.perf_counter() - start
    return wall, len(result.outcomes), len(result.failed)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=str(ROOT / "data" / "store"))
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--within", default="8001")
    ap.add_argument("--level", default="tambon", choices=["village", "tambon", "amphoe"])
    ap.add_argument("--workers", default="1,2", help="cluster sizes to run, comma-separated")
    args = ap.parse_args(argv)
    sizes = [int(k) for k in args.workers.split(",")]
    work = Path(tempfile.mkdtemp(prefix="abc-bench-dask-"))
    print(f"load average before: {_load()}  (2 shared cores)")
    try:
        walls = {}
        for k in sizes:
            wall, n, failed = _run(k, args, work / f"k{k}")
            walls[k] = wall
            print(f"  {k} worker(s): {n} {args.level} reports of {args.within} in {wall:6.1f} s "
                  f"({wall / max(n, 1):.2f} s per report, {failed} failed; load {_load()})",
                  flush=True)
        base = walls.get(1)
        if base:
            for k in sizes:
                if k > 1:
                    print(f"  speed-up with {k} workers {base / walls[k]:5.2f}x, scaling "
                          f"efficiency T1/({k}*T{k}) = {base / (k * walls[k]):5.0%}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
