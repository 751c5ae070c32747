"""Write the rollout-like samples used by make_multistage_reference.R and make_change_reference.R.

Run from the project root: ``python tests/reference/make_rollout.py``. The CSV files in
``tests/reference/data/`` are committed; R reads them. numpy ``default_rng(20250312)``.

A synthetic province of 5 amphoe (strata) with 42 villages in 13 tambons:

* ``rollout.csv`` — one round (2562), two stages: villages SRSWOR within amphoe (amphoe 8103
  has 3 villages and all are taken: its stage-1 fpc says every PSU was taken, so its variance
  comes from stage 2), households SRSWOR within villages (one village is a census of its 10
  households). ``N1`` = villages of the amphoe, ``N2`` = households of the village, ``weight``
  = N1/n1 x N2/n2. ``tambon_one`` marks a tambon whose sample lies in a single sampled village
  (a domain inside one sampled village). Lonely-PSU variants: ``amphoe_l``/``N1_l`` put one
  sampled village of amphoe 8101 in its own stratum of 3 villages (lonely at stage 1);
  ``keep_l2`` keeps one household of one village of 8102 (lonely at stage 2).
* ``rollout_stacked.csv`` — rounds 2562 and 2563 stacked: in 2563, 60% of the sampled
  villages are surveyed again (about 85% of their households matched by ``hh_key``) and new
  villages are drawn, so the two rounds share village PSUs.
* ``rollout_census_stacked.csv`` — rounds 2562 and 2563 in an area where every village is
  surveyed (6 villages): about 85% of the households are matched across rounds by ``hh_key``,
  so the rounds share household PSUs (strata = village).

Household columns follow the derived table of :mod:`abcresearch.analysis.round`: a score per
capital of the default scheme, ``overall_level``, ``dep_<capital>`` (score < 40), ``level1``,
``fin_income_year``, ``hh_size``, ``poverty_line`` (the BMN line of the round's year from
``params/poverty_lines.yaml``) and ``poor`` (income per person below it). A few capital scores
are missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch.scoring import load_scheme
from abcresearch.stats import poverty_line

OUT = Path(__file__).resolve().parent / "data"
ROUNDS = (2562, 2563)
#: amphoe -> (villages per tambon, villages sampled in round 1)
AMPHOE = {"8101": ([4, 3, 3, 2], 4), "8102": ([4, 3, 3], 3), "8103": ([3], 3),
          "8104": ([3, 3, 3], 3), "8105": ([4, 4], 2)}


def _households(rng: np.random.Generator, village: str, n: int, effect: float, rnd: int,
                keys: list[str] | None = None, prev: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    caps = load_scheme().capital_ids
    hh_effect = rng.normal(0, 8, n)
    base = 52 + effect + hh_effect + (3.0 if rnd == ROUNDS[1] else 0.0)
    scores = np.clip(base[:, None] + rng.normal(0, 12, (n, len(caps))), 0, 100).round(1)
    if prev is not None:  # matched households: keep their level, move a little
        m = len(prev)
        scores[:m] = np.clip(prev[list(caps)].to_numpy(float) + rng.normal(2, 6, (m, len(caps))),
                             0, 100).round(1)
    df = pd.DataFrame(scores, columns=list(caps))
    mean = df.mean(axis=1)
    df["overall_level"] = np.select([mean < 45, mean < 60], [1, 2], 3)
    df["level1"] = (df["overall_level"] == 1).astype(float)
    for c in caps:
        df[f"dep_{c}"] = np.where(df[c].isna(), np.nan, (df[c] < 40) * 1.0)
    df["hh_size"] = rng.integers(1, 8, n)
    df["fin_income_year"] = np.exp(rng.normal(11.6 + effect / 40, 0.7, n)).round(0)
    df["hh_key"] = keys if keys is not None else [f"k{rng.integers(16**10):010x}" for _ in
                                                  range(n)]
    df["village_code"] = village
    df["round"] = rnd
    return df


def _finish(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    caps = load_scheme().capital_ids
    miss = rng.random(len(df)) < 0.02
    df.loc[miss, caps[1]] = np.nan
    df.loc[miss, f"dep_{caps[1]}"] = np.nan
    line = df["round"].map(lambda r: poverty_line(int(r)).value)
    df["poverty_line"] = line
    df["poor"] = (df["fin_income_year"] / df["hh_size"] < line).astype(float)
    return df


def make(seed: int = 20250312) -> dict[str, pd.DataFrame]:
    """Return the three samples."""
    rng = np.random.default_rng(seed)
    frame = []
    for amphoe, (sizes, _) in AMPHOE.items():
        v = 0
        for t, size in enumerate(sizes, start=1):
            for _ in range(size):
                v += 1
                frame.append({"amphoe_code": amphoe, "tambon_code": f"{amphoe}{t:02d}",
                              "village_code": f"{amphoe}{t:02d}{v:02d}",
                              "N2": int(rng.integers(40, 121)),
                              "effect": float(rng.normal(0, 6))})
    vf = pd.DataFrame(frame)
    vf["N1"] = vf.groupby("amphoe_code")["village_code"].transform("size")
    census_village = vf.loc[vf["amphoe_code"] == "8105", "village_code"].iloc[0]
    vf.loc[vf["village_code"] == census_village, "N2"] = 10

    # ---- round 1: two-stage sample -------------------------------------------------------
    picked: dict[str, list[str]] = {}
    for amphoe, (_, n1) in AMPHOE.items():
        codes = vf.loc[vf["amphoe_code"] == amphoe, "village_code"].to_numpy()
        picked[amphoe] = sorted(rng.choice(codes, n1, replace=False))
    if census_village not in picked["8105"]:
        picked["8105"][0] = census_village
        picked["8105"] = sorted(picked["8105"])
    parts = []
    for vils in picked.values():
        for vil in vils:
            row = vf.set_index("village_code").loc[vil]
            n2 = int(row["N2"]) if vil == census_village else int(rng.integers(8, 17))
            h = _households(rng, vil, n2, row["effect"], ROUNDS[0])
            h["n2"] = n2
            parts.append(h)
    r1 = pd.concat(parts, ignore_index=True).merge(
        vf[["village_code", "amphoe_code", "tambon_code", "N1", "N2"]], on="village_code")
    n1 = r1.groupby("amphoe_code")["village_code"].transform("nunique")
    r1["weight"] = r1["N1"] / n1 * r1["N2"] / r1["n2"]
    sampled_per_tambon = r1.groupby("tambon_code")["village_code"].nunique()
    one = sorted(sampled_per_tambon[sampled_per_tambon == 1].index)
    if not one:
        raise RuntimeError("no tambon with a single sampled village; change the seed")
    r1["tambon_one"] = (r1["tambon_code"] == one[0]).astype(int)
    # lonely variants
    lone = picked["8101"][0]
    r1["amphoe_l"] = np.where(r1["village_code"] == lone, "8101x", r1["amphoe_code"])
    r1["N1_l"] = np.where(r1["village_code"] == lone, 3,
                          np.where(r1["amphoe_code"] == "8101", r1["N1"] - 3, r1["N1"]))
    v2 = picked["8102"][0]
    first = r1.index[r1["village_code"] == v2][0]
    r1["keep_l2"] = ((r1["village_code"] != v2) | (r1.index == first)).astype(int)
    r1 = _finish(r1, rng)

    # ---- round 2: re-survey 60% of the villages (85% of households matched) + new ones ----
    parts = []
    for amphoe, vils in picked.items():
        n_again = max(1, round(0.6 * len(vils)))
        again = sorted(rng.choice(vils, n_again, replace=False))
        pool = sorted(set(vf.loc[vf["amphoe_code"] == amphoe, "village_code"]) - set(vils))
        new = sorted(rng.choice(pool, min(len(pool), len(vils) - n_again), replace=False))
        for vil in [*again, *new]:
            row = vf.set_index("village_code").loc[vil]
            n2 = int(rng.integers(8, 17))
            prev = r1[r1["village_code"] == vil]
            if len(prev):
                m = min(n2, int(round(0.85 * len(prev))))
                keep = prev.iloc[np.sort(rng.choice(len(prev), m, replace=False))]
                keys = list(keep["hh_key"]) + [f"k{rng.integers(16**10):010x}"
                                               for _ in range(n2 - m)]
                h = _households(rng, vil, n2, row["effect"], ROUNDS[1], keys, keep)
            else:
                h = _households(rng, vil, n2, row["effect"], ROUNDS[1])
            h["n2"] = n2
            parts.append(h)
    r2 = pd.concat(parts, ignore_index=True).merge(
        vf[["village_code", "amphoe_code", "tambon_code", "N1", "N2"]], on="village_code")
    n1b = r2.groupby("amphoe_code")["village_code"].transform("nunique")
    r2["weight"] = r2["N1"] / n1b * r2["N2"] / r2["n2"]
    r2 = _finish(r2, rng)
    common = ["round", "amphoe_code", "tambon_code", "village_code", "hh_key", "weight",
              *load_scheme().capital_ids, "overall_level", "level1",
              *[f"dep_{c}" for c in load_scheme().capital_ids], "hh_size", "fin_income_year",
              "poverty_line", "poor"]
    stacked = pd.concat([r1[common], r2[common]], ignore_index=True)

    # ---- every village surveyed in both rounds: households matched by hh_key -------------
    cv = vf[vf["amphoe_code"].isin(["8104", "8105"])].head(6)
    parts = []
    for _, row in cv.iterrows():
        n2 = int(rng.integers(12, 21))
        h1 = _households(rng, row["village_code"], n2, row["effect"], ROUNDS[0])
        m = int(round(0.85 * n2))
        keep = h1.iloc[np.sort(rng.choice(n2, m, replace=False))]
        n2b = int(rng.integers(12, 21))
        m = min(m, n2b)
        keep = keep.iloc[:m]
        keys = list(keep["hh_key"]) + [f"k{rng.integers(16**10):010x}" for _ in range(n2b - m)]
        h2 = _households(rng, row["village_code"], n2b, row["effect"], ROUNDS[1], keys, keep)
        for h, n in ((h1, n2), (h2, n2b)):
            h["weight"] = row["N2"] / n
            h["amphoe_code"] = row["amphoe_code"]
            h["tambon_code"] = row["tambon_code"]
            parts.append(h)
    census = _finish(pd.concat(parts, ignore_index=True), rng)[common]
    return {"rollout": r1, "rollout_stacked": stacked, "rollout_census_stacked": census}


def main() -> None:
    """Write the CSV files."""
    OUT.mkdir(exist_ok=True)
    for name, df in make().items():
        df.to_csv(OUT / f"{name}.csv", index=False, float_format="%.17g")
        print(f"{name}: {len(df)} rows")


if __name__ == "__main__":
    main()
