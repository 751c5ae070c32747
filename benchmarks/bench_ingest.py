"""Benchmark: synth the full province, ingest it, load single tambons from the store.

Prints synth time, ingest time and peak memory (RSS of the ingest, measured in a child process
so synth's memory does not count), and the median time to load one tambon (20 tambons, first
read of each). Targets on 2 cores: ingest < 60 s within 2 GB; one tambon < 50 ms.

Usage: ``python benchmarks/bench_ingest.py [--province 80] [--round 2549] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import resource, sys, time
from abcresearch.ingest.pipeline import ingest
t = time.perf_counter()
res = ingest(sys.argv[1], survey_round=int(sys.argv[2]), store=sys.argv[3])
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{dt:.3f} {peak:.1f}")
print(res.summary(), file=sys.stderr)
"""


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--province", default="80")
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = ap.parse_args()
    os.environ.setdefault("ABCRESEARCH_KEY", "benchmark-key-not-secret-0123456789abcdef")

    work = args.keep or Path(tempfile.mkdtemp(prefix="abc_bench_ingest_"))
    export, store = work / "export", work / "store"

    from abcresearch.synth.generate import synthesize

    t = time.perf_counter()
    synthesize(province=args.province, survey_round=args.survey_round, seed=1, out=export)
    t_synth = time.perf_counter() - t

    proc = subprocess.run([sys.executable, "-c", _CHILD, str(export), str(args.survey_round),
                           str(store)], capture_output=True, text=True, env=os.environ)
    if proc.returncode:
        sys.exit(f"ingest failed:\n{proc.stderr}")
    t_ingest, peak_mb = map(float, proc.stdout.split())

    from abcresearch.store import read as data
    from abcresearch.store import round_folder

    tambons = sorted(p.name.split("=")[1] for p in
                     (round_folder(args.survey_round, store) / "households").glob("*/*"))
    step = max(1, len(tambons) // 20)
    times, rows = [], []
    for code in tambons[::step][:20]:
        t = time.perf_counter()
        df = data.load(args.survey_round, area=code, store=store)
        times.append(time.perf_counter() - t)
        rows.append(len(df))
    man = data.manifest(args.survey_round, store)

    print(f"cores: {os.cpu_count()}")
    print(proc.stderr.strip())
    print(f"synth (full province {args.province}): {t_synth:.1f} s")
    print(f"ingest: {t_ingest:.1f} s, peak RSS {peak_mb:,.0f} MB "
          f"({man['rows']['households']:,} households, {man['rows']['members']:,} members, "
          f"{man['rows']['villages']:,} villages stored)")
    print(f"load one tambon (median of {len(times)}, {int(statistics.median(rows)):,} rows): "
          f"{statistics.median(times) * 1000:.1f} ms (max {max(times) * 1000:.1f} ms)")
    print(f"this process peak RSS: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
