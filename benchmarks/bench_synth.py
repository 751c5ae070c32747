"""Benchmark: synthesize the full Nakhon Si Thammarat province (CSV) and print time and memory.

Run ``python benchmarks/bench_synth.py [--out DIR] [--format csv|xlsx] [--amphoe CODE]``.
Peak memory is the process's maximum resident set size (``resource.getrusage``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from abcresearch.synth.generate import synthesize


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--format", dest="fmt", default="csv", choices=["csv", "xlsx"])
    p.add_argument("--amphoe", default=None)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "synth"
        t0 = time.perf_counter()
        res = synthesize(province="80", survey_round=2549, seed=args.seed, out=out,
                         amphoe=[args.amphoe] if args.amphoe else None, fmt=args.fmt)
        dt = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in res.files) / 1e6
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(res.summary())
    print(f"synth time: {dt:.1f} s")
    print(f"peak memory (max RSS): {rss:.0f} MiB")
    print(f"output size: {size:.0f} MB")
    print(f"households/s: {res.n_households / dt:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
