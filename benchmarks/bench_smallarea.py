"""Benchmark: the round's small-area estimates validated against the truth (issue 13, item 6).

Run ``python benchmarks/bench_smallarea.py [--replicates 20] [--cache DIR] [--first-seed 1001]``.

Each replicate is a synthetic 400-village first-wave round of the whole province (``abcresearch
synth --wave 1 --truth`` with its own seed), ingested into a store of its own, exactly as a
survey office's export would be. The round's small-area estimates
(:func:`abcresearch.analysis.smallarea.small_area_from_tables`, the code path of
``round_small_area``) are compared with the finite-population value of every tambon over all
its households (``_truth/areas.csv``; for ``m0``, which the synth truth does not hold, the same
population is generated again and scored here).

Printed per covariate set (strong: ``income_below_line, no_savings``; weak: ``has_elderly,
no_land``; and the six of ``params/smallarea.yaml``) and measure:

* tambons with exactly one sampled village: RMSE of the direct estimate and of the model-based
  (benchmarked EBLUP) estimate, and the coverage of the model's 95% intervals;
* tambons with none: RMSE of the synthetic estimate and the coverage of its intervals;
* tambons with 2 or more: coverage of the direct intervals (the published ones);
* the ratio of the stated to the empirical MSE (1 = honest MSE).

The replicates' stores, truths and scored households are kept under ``--cache`` (default
``data/interim/bench_smallarea``), so a rerun only refits the models. ``--variants`` also
runs the model without benchmarking and with other GVF settings (for diagnosis).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from dataclasses import replace as dc_replace
from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch.analysis.smallarea import (
    load_round_settings,
    scored_households,
    small_area_from_tables,
)
from abcresearch.ingest.pipeline import ingest
from abcresearch.scoring import (
    deprivation_matrix,
    deprivation_scores,
    load_scheme,
    score_households,
)
from abcresearch.store import load
from abcresearch.synth import synthesize
from abcresearch.synth.frame import village_frame
from abcresearch.synth.population import generate
from abcresearch.synth.truth import scoring_frame

ROUND = 2549
COVARIATE_SETS = {
    "strong": ["income_below_line", "no_savings"],
    "weak": ["has_elderly", "no_land"],
}
TRUTH_COLUMNS = {"share_level1": "share_level1", "mean_score": "mean_score", "m0": "m0"}
KEY = "bench-key-not-secret-0123456789abcdef"


def m0_truth(seed: int, survey_round: int = ROUND) -> pd.DataFrame:
    """True tambon M0 and share at level 1 over every household (the synth's population).

    The population is generated amphoe by amphoe as :func:`abcresearch.synth.truth.area_truth`
    does; the share at level 1 is returned too, to check that it is the same population.
    """
    sch = load_scheme(None)
    w = np.array(list(sch.af_weights.values()), dtype=float)
    frame = village_frame("80")
    parts = []
    for _, chunk in frame.groupby("amphoe_code", sort=True):
        pop = generate(chunk.reset_index(drop=True), seed, survey_round, None, identities=False)
        data = scoring_frame(pop)
        hs = score_households(data, sch)
        dep = deprivation_matrix(hs.scores, sch)
        c, poor = deprivation_scores(dep[[f"dep_{k}" for k in sch.af_weights]].to_numpy(float),
                                     w, sch.af_k)
        ov = hs.overall_level.to_numpy(dtype=float, na_value=np.nan)
        parts.append(pd.DataFrame({
            "tambon": data["tambon_code"].to_numpy(),
            "m0_num": np.where(np.isnan(c), 0.0, np.nan_to_num(c) * poor),
            "m0_den": (~np.isnan(c)).astype(float),
            "l1_num": (ov == 1).astype(float), "l1_den": (~np.isnan(ov)).astype(float)}))
        del pop
    g = pd.concat(parts).groupby("tambon").sum()
    return pd.DataFrame({"m0": g["m0_num"] / g["m0_den"],
                         "share_level1_check": g["l1_num"] / g["l1_den"]})


def replicate(seed: int, cache: Path, households: int) -> dict[str, pd.DataFrame]:
    """The replicate's tables, made once (synth, ingest, truth, scoring) and kept in ``cache``."""
    folder = cache / f"seed{seed}"
    done = folder / "scored.parquet"
    if not done.exists():
        t0 = time.perf_counter()
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        export = folder / "export"
        synthesize(province="80", survey_round=ROUND, seed=seed, out=export, wave=1,
                   households_per_village=households, truth=True)
        t1 = time.perf_counter()
        ingest(export, survey_round=ROUND, store=folder / "store")
        t2 = time.perf_counter()
        truth = pd.read_csv(export / "_truth" / "areas.csv", dtype={"area_code": str})
        truth = truth[truth["level"] == "tambon"].set_index("area_code")
        m0 = m0_truth(seed)
        gap = (m0["share_level1_check"] - truth["share_level1"].reindex(m0.index)).abs().max()
        if not gap < 1e-12:
            raise RuntimeError(f"seed {seed}: the regenerated population differs from the "
                               f"synth truth (share at level 1 off by {gap:g})")
        truth["m0"] = m0["m0"].reindex(truth.index)
        truth[["households", "share_level1", "mean_score", "m0"]].reset_index().to_parquet(
            folder / "truth.parquet", index=False)
        shutil.rmtree(export)
        store = folder / "store"
        for table in ("frame", "auxiliary"):
            load(ROUND, store=store, table=table).to_parquet(folder / f"{table}.parquet",
                                                             index=False)
        scored_households(load(ROUND, store=store)).to_parquet(done, index=False)
        t3 = time.perf_counter()
        print(f"  seed {seed}: synth + truth {t1 - t0:.0f} s, ingest {t2 - t1:.0f} s, "
              f"m0 truth + scoring {t3 - t2:.0f} s", flush=True)
    return {name: pd.read_parquet(folder / f"{name}.parquet")
            for name in ("scored", "frame", "auxiliary", "truth")}


def evaluate(tables: dict[str, pd.DataFrame], settings, seed: int
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every tambon's estimates next to the truth (one row per tambon and measure), the fit."""
    res = small_area_from_tables(tables["scored"], tables["frame"], tables["auxiliary"], ROUND,
                                 settings=settings)
    truth = tables["truth"].set_index("area_code")
    e = res.estimates.copy()
    e["truth"] = [truth.at[a, TRUTH_COLUMNS[m]] for a, m in zip(e["area"], e["measure"],
                                                                 strict=True)]
    e["seed"] = seed
    z = 1.959963984540054
    e["direct_ci_low"] = e["direct"] - z * np.sqrt(e["vardir_design"])
    e["direct_ci_high"] = e["direct"] + z * np.sqrt(e["vardir_design"])
    return e, res.fit.assign(seed=seed)


def summarise(e: pd.DataFrame) -> pd.DataFrame:
    """The figures of one covariate set: per measure, RMSE and coverage by group of tambons."""
    rows = []
    for m, g in e.groupby("measure", sort=False):
        one = g[g["villages_sampled"] == 1]
        none = g[g["villages_sampled"] == 0]
        many = g[g["villages_sampled"] >= 2]

        def rmse(x, col="estimate"):
            return float(np.sqrt(np.mean((x[col] - x["truth"]) ** 2)))

        def cover(x, lo="ci_low", hi="ci_high"):
            return float(np.mean((x[lo] <= x["truth"]) & (x["truth"] <= x[hi])))

        def ratio(x):
            return float(x["mse"].mean() / np.mean((x["estimate"] - x["truth"]) ** 2))

        rows.append({
            "measure": m, "n_one": len(one), "rmse_direct_one": rmse(one, "direct"),
            "rmse_model_one": rmse(one), "cover_model_one": cover(one),
            "cover_direct_one": cover(one, "direct_ci_low", "direct_ci_high"),
            "mse_ratio_one": ratio(one),
            "n_none": len(none), "rmse_synthetic": rmse(none), "cover_synthetic": cover(none),
            "mse_ratio_none": ratio(none),
            "n_direct": len(many), "rmse_direct_2plus": rmse(many), "cover_direct_2plus":
                cover(many),
        })
    return pd.DataFrame(rows).set_index("measure")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--replicates", type=int, default=20)
    p.add_argument("--first-seed", type=int, default=1001)
    p.add_argument("--households", type=int, default=150)
    p.add_argument("--cache", type=Path, default=Path("data/interim/bench_smallarea"))
    p.add_argument("--variants", action="store_true",
                   help="also without benchmarking and with every area's variance smoothed")
    args = p.parse_args(argv)
    os.environ.setdefault("ABCRESEARCH_KEY", KEY)
    t_all = time.perf_counter()
    base = load_round_settings()
    sets = {**COVARIATE_SETS, "params": list(base.model.covariates)}
    variants = {"": base}
    if args.variants:
        m = base.model
        variants["gvf log_ols"] = dc_replace(base, model=dc_replace(m, gvf_fit="log_ols"))
        variants["gvf log_villages"] = dc_replace(base, model=dc_replace(
            m, gvf_terms_mean=("log_villages",), gvf_terms_share=("log_villages",)))
        variants["gvf all"] = dc_replace(base, model=dc_replace(m, gvf_replace="all"))
        variants["no benchmark"] = dc_replace(base, benchmark=False)
        variants["benchmark uniform"] = dc_replace(base, model=dc_replace(
            m, benchmark_allocation="uniform"))
        variants["benchmark ratio"] = dc_replace(base, model=dc_replace(
            m, benchmark_method="ratio"))
        variants["naive back-transform"] = dc_replace(base, model=dc_replace(
            m, back_transform="naive"))
    seeds = range(args.first_seed, args.first_seed + args.replicates)
    print(f"small-area validation: {args.replicates} replicates of a 400-village round "
          f"(round {ROUND}, seeds {seeds.start}-{seeds.stop - 1}), cache {args.cache}",
          flush=True)
    t0 = time.perf_counter()
    data = {s: replicate(s, args.cache, args.households) for s in seeds}
    t_data = time.perf_counter() - t0
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 30)
    t_fit = 0.0
    for vname, vset in variants.items():
        for cname, cols in sets.items():
            settings = vset.with_covariates(cols)
            t1 = time.perf_counter()
            evals = [evaluate(data[s], settings, s) for s in seeds]
            dt = time.perf_counter() - t1
            t_fit += dt
            e = pd.concat([x[0] for x in evals], ignore_index=True)
            fits = pd.concat([x[1] for x in evals])
            title = f"covariates {cname} ({', '.join(cols)})" + (f", {vname}" if vname else "")
            print(f"\n== {title}: {dt / len(evals):.1f} s per replicate")
            print(summarise(e).T.to_string(float_format=lambda v: f"{v:.4f}"))
            f = fits.groupby("measure", sort=False)[["r2", "sigma2_u", "gamma_median",
                                                     "gvf_slope", "gvf_r2"]].mean()
            print("mean over replicates of the fit:")
            print(f.to_string(float_format=lambda v: f"{v:.4g}"))
    total = time.perf_counter() - t_all
    print(f"\ndata (synth, ingest, truth, scoring or cache read): {t_data:.0f} s; "
          f"models: {t_fit:.0f} s; total {total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
