"""Time a by-tambon mean (estimate, SE, CI) on a province-sized synthetic sample.

170 tambons (strata) x ~9 villages (PSUs) x 150 households = about 230,000 households.
Prints the data size and the best of five wall-clock times for ``design.mean(var, by=tambon)``
(design construction is timed separately). Target: under 1 s on 2 cores.

Also printed, for information: the same on a two-stage design (villages within tambon strata,
households within villages, fpc at both stages: R's recursive multistage variance), and the
change between two stacked rounds by tambon (half of the villages surveyed again, sharing
their PSU) with :func:`abcresearch.stats.change`.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from abcresearch.stats import SurveyDesign, change


def make(seed: int = 1) -> pd.DataFrame:
    """Return the synthetic household frame."""
    rng = np.random.default_rng(seed)
    n_tambon, hh_per_village = 170, 150
    villages = rng.integers(8, 11, size=n_tambon)  # 8-10 villages, ~9 on average
    tambon = np.repeat(np.arange(n_tambon), villages)
    village = np.arange(villages.sum())
    t_hh = np.repeat(tambon, hh_per_village)
    v_hh = np.repeat(village, hh_per_village)
    n = t_hh.size
    w = np.repeat(rng.uniform(1.5, 6.0, size=village.size), hh_per_village)
    income = np.exp(rng.normal(11.5, 0.7, size=n) + rng.normal(0, 0.3, village.size)[v_hh])
    return pd.DataFrame(
        {
            "tambon_code": pd.Categorical((800000 + t_hh).astype(str)),
            "village_code": v_hh,
            "weight": w,
            "income": income,
        }
    )


def main() -> None:
    """Run the benchmark and print the figures."""
    df = make()
    t0 = time.perf_counter()
    design = SurveyDesign(df, weights="weight", strata="tambon_code", cluster="village_code")
    t_design = time.perf_counter() - t0
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        res = design.mean("income", by="tambon_code")
        times.append(time.perf_counter() - t0)
    print(f"households: {len(df):,}  tambons: {design.n_strata}  villages: {design.n_psu}")
    print(f"design construction: {t_design:.3f} s")
    print(f"mean + SE + CI by tambon ({len(res)} rows): best {min(times):.3f} s, "
          f"median {sorted(times)[2]:.3f} s (target < 1 s)")

    # two-stage: villages of tambon strata (fpc: 1.5 x sampled), households (fpc: 200)
    df = df.assign(hh=np.arange(len(df)) % 150,
                   N1=df.groupby("tambon_code", observed=True)["village_code"]
                   .transform("nunique") * 1.5, N2=200)
    two = SurveyDesign(df, weights="weight", strata="tambon_code",
                       cluster=["village_code", "hh"], fpc=["N1", "N2"], nest=True)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        res = two.mean("income", by="tambon_code")
        times.append(time.perf_counter() - t0)
    print(f"two-stage design, mean + SE + CI by tambon: best {min(times):.3f} s")

    # change between two stacked rounds, half of the villages surveyed again
    rng = np.random.default_rng(2)
    again = df["village_code"] % 2 == 0
    r2 = df[again].assign(income=df.loc[again, "income"] * rng.lognormal(0.05, 0.2,
                                                                            int(again.sum())))
    stacked = pd.concat([df.assign(round=2566), r2.assign(round=2567)], ignore_index=True)
    d = SurveyDesign(stacked, weights="weight", strata="tambon_code", cluster="village_code")
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        ch = change(d, ["income"], over="round", by="tambon_code")
        times.append(time.perf_counter() - t0)
    print(f"change 2566 -> 2567 by tambon ({len(stacked):,} stacked rows, {len(ch)} rows): "
          f"best {min(times):.3f} s")


if __name__ == "__main__":
    main()
