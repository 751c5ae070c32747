"""Benchmark: planning a batch (every report's inputs, before any worker starts).

Usage::

    python benchmarks/bench_plan.py [--store data/store] [--round 2549] [--within 80]
        [--repeat 5]

Times :func:`abcresearch.batch.run.plan_batch` (forced, into a temporary folder) for the tambon
and the village reports of ``--within``, ``--repeat`` times each after one run that reads (or,
after a change of the code, builds) the round's analysis, and prints the median and the range.
A plan is serial: it runs in the batch's own process before the workers take a report, and it
is the whole run of a batch with nothing to do (every report current). Needs an ingested store
(``make demo``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Print the plan's time for each level."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=ROOT / "data" / "store")
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--within", default="80")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from abcresearch.batch.run import plan_batch

    with tempfile.TemporaryDirectory(prefix="abcresearch-bench-plan-") as out:
        plan_batch(args.survey_round, "tambon", args.within, args.store, out, force=True)
        for level in ("tambon", "village"):
            seconds = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                plan = plan_batch(args.survey_round, level, args.within, args.store, out,
                                  force=True)
                seconds.append(time.perf_counter() - start)
            print(f"plan of the {len(plan.tasks)} {level} reports of {args.within}: "
                  f"median {statistics.median(seconds):.2f} s "
                  f"({min(seconds):.2f}-{max(seconds):.2f} s, {args.repeat} runs)")


if __name__ == "__main__":
    main()
