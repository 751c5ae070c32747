"""Benchmark: what the second core gives a local batch (one worker against two, alternating).

Usage::

    python benchmarks/bench_workers.py [--store data/store] [--round 2549] [--within 8001]
        [--repeat 2]

Runs ``run_batch`` (tambon reports of ``--within``, overview, methods appendix, index; forced)
with 1 and then 2 local workers, ``--repeat`` times alternating, into temporary folders, and
prints for each run its wall time, the median time a report took inside a worker, and the CPU
seconds of the worker processes per report (start-up, overview and appendix included). The
round's analysis is read (or built, after a change of the code) once before the first run, so
that no run pays for it. On a 2-core machine two busy workers slow each other (shared cache and
memory): the report's time inside a worker and the workers' CPU per report grow, so the second
core gives less than 2x; docs/SCALING.md plans the national round on the busy worker's figure.
Needs an ingested store (``make demo``).

The workers are forked by the batch's fork server, not by this process, so ``getrusage`` of
this process's children does not count them: a thread reads the CPU time of every process
below this one from ``/proc`` every 0.1 s and keeps each one's last reading (the fork server's
own excluded: it only imports); a worker's last tenth of a second may go uncounted.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _proc_stat(pid: int) -> tuple[int, float, str] | None:
    """Return ``(parent pid, CPU seconds, command line)`` of a process, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / tick, cmd


class _DescendantsCPU:
    """CPU seconds of the processes below this one, read from ``/proc`` while a batch runs."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        me = os.getpid()
        while not self.stop.is_set():
            stats = {}
            for entry in os.listdir("/proc"):
                if entry.isdigit() and (st := _proc_stat(int(entry))) is not None:
                    stats[int(entry)] = st
            below = {me}
            grew = True
            while grew:  # every process whose chain of parents reaches this one
                found = {pid for pid, (ppid, _, _) in stats.items()
                         if ppid in below and pid not in below}
                below |= found
                grew = bool(found)
            for pid in below - {me}:
                ppid, cpu, cmd = stats[pid]
                # not the fork server itself (it only imports, once per process); its workers
                # are forked without exec, so their command line is the server's too
                if not (ppid == me and "forkserver" in cmd):
                    self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))
            self.stop.wait(0.1)

    def __enter__(self) -> _DescendantsCPU:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()

    @property
    def total(self) -> float:
        return sum(self.seen.values())


def _one(args: argparse.Namespace, workers: int) -> dict[str, float]:
    from abcresearch.batch.run import run_batch

    with tempfile.TemporaryDirectory(prefix="abc-bench-workers-") as out:
        cpu, t = _children_cpu(), time.perf_counter()
        with _DescendantsCPU() as below:
            res = run_batch(args.survey_round, "tambon", within=args.within, workers=workers,
                            store=args.store, out=out, force=True, progress=False)
        wall = time.perf_counter() - t
        # workers forked by the fork server (read from /proc), or spawned ones (waited for)
        cpu = below.total or (_children_cpu() - cpu)
    n = len(res.outcomes)
    if not n or res.failed:
        raise SystemExit(f"the batch made no report or failed: {res.summary()}")
    return {"wall": wall, "reports": n, "inside": statistics.median(o.seconds
                                                                    for o in res.outcomes),
            "cpu_per_report": cpu / n}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=str(ROOT / "data" / "store"))
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--within", default="8001")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    if not Path(args.store).is_dir():
        print(f"no store at {args.store}: run `make demo` first")
        return 0
    from abcresearch.analysis.round import round_analysis

    round_analysis(args.survey_round, args.store)  # read, or built once after a code change
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs")
    rows: dict[int, list[dict[str, float]]] = {1: [], 2: []}
    for _ in range(args.repeat):
        for workers in (1, 2):
            r = _one(args, workers)
            rows[workers].append(r)
            print(f"  {workers} worker(s): {r['reports']:.0f} reports of {args.within} in "
                  f"{r['wall']:6.1f} s; a report inside a worker {r['inside']:.2f} s "
                  f"(median); workers' CPU {r['cpu_per_report']:.2f} s per report", flush=True)
    one = statistics.median(r["wall"] for r in rows[1])
    two = statistics.median(r["wall"] for r in rows[2])
    print(f"second core: {one / two:.2f}x ({one:.1f} s -> {two:.1f} s, medians)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
