"""Benchmark: synthesize the full Nakhon Si Thammarat province and print time and memory.

Run ``python benchmarks/bench_synth.py [--out DIR] [--format csv|xlsx] [--amphoe CODE]
[--round R] [--wave K --resurvey M] [--truth]``. Peak memory is the process's maximum resident set
size (``resource.getrusage``). With ``--truth`` the whole population is generated too, and the
correlations of the auxiliary (จปฐ.-style) tambon shares with the true tambon mean capital score
and share at overall level 1 are printed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch.synth import synthesize
from abcresearch.synth.auxiliary import BMN_COLUMNS


def bmn_correlations(out: Path) -> pd.DataFrame:
    """Correlation of each bmn.csv tambon share with the true tambon values in ``out``."""
    truth = pd.read_csv(out / "_truth" / "areas.csv", dtype={"area_code": str})
    t = truth[truth["level"] == "tambon"].set_index("area_code")
    bmn = pd.read_csv(out / "bmn.csv", dtype={"village_code": str})
    shares = BMN_COLUMNS[3:]
    counts = bmn[shares].mul(bmn["bmn_households"], axis=0)
    counts["n"] = bmn["bmn_households"]
    g = counts.groupby(bmn["village_code"].str.slice(0, 6)).sum()
    s = g[shares].div(g["n"], axis=0).loc[t.index]
    return pd.DataFrame({c: {"r_mean_score": np.corrcoef(s[c], t["mean_score"])[0, 1],
                             "r_share_level1": np.corrcoef(s[c], t["share_level1"])[0, 1],
                             "r_income_poor": np.corrcoef(s[c], t["income_poor_share"])[0, 1]}
                         for c in shares}).T


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--format", dest="fmt", default="csv", choices=["csv", "xlsx"])
    p.add_argument("--amphoe", default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--round", dest="survey_round", type=int, default=2549)
    p.add_argument("--wave", type=int, default=None)
    p.add_argument("--resurvey", type=int, default=0)
    p.add_argument("--truth", action="store_true")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "synth"
        t0, c0 = time.perf_counter(), time.process_time()
        res = synthesize(province="80", survey_round=args.survey_round, seed=args.seed, out=out,
                         amphoe=[args.amphoe] if args.amphoe else None, fmt=args.fmt,
                         wave=args.wave, resurvey=args.resurvey, truth=args.truth)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        size = sum(f.stat().st_size for f in res.files) / 1e6
        corr = bmn_correlations(out) if args.truth else None
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(res.summary())
    print(f"synth time: {dt:.1f} s wall, {cpu:.1f} s CPU"
          f"{' (with the truth)' if args.truth else ''}")
    print(f"peak memory (max RSS): {rss:.0f} MiB")
    print(f"output size: {size:.0f} MB")
    print(f"households/s: {res.n_households / dt:,.0f}")
    if corr is not None:
        print("bmn.csv tambon shares vs true tambon values (correlation):")
        print(corr.round(2).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
