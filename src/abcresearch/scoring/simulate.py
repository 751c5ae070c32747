"""Fast synthetic household item data for tests and benchmarks of the scoring module.

This is *not* the project's synthetic-province generator (:mod:`abcresearch.synth`, Kobo-style
exports); it writes the analysis-ready household table directly with numpy, in the shape
``abcresearch.store.read.load`` returns (leaf item names, select_multiple answers as
space-separated choice names, nullable integers), so scoring can be tested and benchmarked at
national scale in chunks. Each household has a latent capacity
``tambon effect + village effect + noise``; better answers are more likely when it is high.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from abcresearch.scoring.scheme import Scheme
from abcresearch.scoring.scheme_file import load_scheme
from abcresearch.survey import instrument

__all__ = ["simulate_households", "simulate_villages"]


def _choice_order(list_name: str, sch: Scheme, item: str) -> list[str]:
    """Choices worst to best (by the scheme's map when it has one)."""
    names = list(instrument.choices(list_name)["name"])
    for r in sch.items:
        if r.item == item and r.kind == "map":
            return sorted(names, key=lambda c: r.options["map"].get(c, 0.0))
    if set(names) == {"yes", "no"}:
        return ["no", "yes"]
    return names


def simulate_households(
    n_villages: int = 20,
    households_per_village: int = 30,
    seed: int = 1,
    n_tambons: int | None = None,
    province: str = "99",
    tambon_sd: float = 0.6,
    village_sd: float = 0.3,
    missing_rate: float = 0.0,
    scheme: Scheme | str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate analysis-ready household rows with a known latent structure.

    Parameters
    ----------
    n_villages, households_per_village : int
        Sample size: every village gets the same number of sampled households.
    seed : int
        Seed for :func:`numpy.random.default_rng`.
    n_tambons : int, optional
        Number of tambons (default: one per 8 villages); 4 tambons per amphoe.
    province : str
        Two-digit province code used to build area codes.
    tambon_sd, village_sd : float
        Standard deviations of the latent tambon and village effects.
    missing_rate : float
        Share of item answers blanked at random.
    scheme : Scheme, str or None
        Scheme whose maps order the select_one choices.

    Returns
    -------
    households : pandas.DataFrame
        Household rows with item columns, ``hh_size``, ``head_sex``, area codes, ``weight``,
        ``village_households`` (population households, for an fpc) and ``hh_key``.
    truth : pandas.DataFrame
        One row per tambon: ``tambon_code`` and its latent ``effect``.
    """
    rng = np.random.default_rng(seed)
    sch = load_scheme(scheme)
    n_tambons = n_tambons or max(1, n_villages // 8)
    t_eff = rng.normal(0, tambon_sd, n_tambons)
    v_tambon = np.sort(rng.integers(0, n_tambons, n_villages))
    v_tambon[:n_tambons] = np.arange(n_tambons) if n_villages >= n_tambons else v_tambon[:n_tambons]
    v_tambon = np.sort(v_tambon)
    v_eff = t_eff[v_tambon] + rng.normal(0, village_sd, n_villages)
    amphoe_of_t = np.arange(n_tambons) // 4
    t_codes = np.array([f"{province}{a + 1:02d}{t % 4 + 1:02d}" for t, a in
                        enumerate(amphoe_of_t)])
    v_num = np.zeros(n_villages, dtype=int)
    for t in range(n_tambons):
        idx = np.flatnonzero(v_tambon == t)
        v_num[idx] = np.arange(1, idx.size + 1)
    v_codes = np.array([f"{t_codes[t]}{v % 100:02d}" for t, v in zip(v_tambon, v_num, strict=True)])
    m = households_per_village
    n = n_villages * m
    village = np.repeat(np.arange(n_villages), m)
    latent = v_eff[village] + rng.normal(0, 1, n)
    pop_hh = rng.integers(m + 20, m + 250, n_villages)
    df = items_from_latent(latent, rng, sch)
    df.insert(0, "village_code", v_codes[village])
    df.insert(1, "tambon_code", t_codes[v_tambon[village]])
    df.insert(2, "amphoe_code", np.array([c[:4] for c in t_codes])[v_tambon[village]])
    df["village_households"] = pop_hh[village]
    df["weight"] = pop_hh[village] / m
    df["hh_key"] = [f"hh{seed}_{i:07d}" for i in range(n)]
    if missing_rate > 0:
        item_cols = [r.item for r in sch.items]
        for c in item_cols:
            blank = rng.random(n) < missing_rate
            if blank.any():
                df[c] = df[c].mask(blank)
    truth = pd.DataFrame({"tambon_code": t_codes, "effect": t_eff})
    return df, truth


def items_from_latent(latent: np.ndarray, rng: np.random.Generator,
                      scheme: Scheme | str | None = None) -> pd.DataFrame:
    """Return household item columns for households with the given latent capacities.

    Parameters
    ----------
    latent : numpy.ndarray
        One latent capacity per household (about N(0, 1)).
    rng : numpy.random.Generator
        Random generator.
    scheme : Scheme, str or None
        Scheme whose maps order the select_one choices.

    Returns
    -------
    pandas.DataFrame
        Item columns plus ``hh_size`` and ``head_sex``.
    """
    sch = load_scheme(scheme)
    n = latent.size
    cb = instrument.codebook("households")
    cb = cb[cb["capital"].notna()]
    out: dict[str, object] = {}
    hh_size = np.clip(rng.poisson(2.4, n) + 1, 1, 12)
    out["hh_size"] = pd.array(hh_size, dtype="Int64")
    out["head_sex"] = np.where(rng.random(n) < 0.7, "male", "female")

    def noisy(scale: float = 1.0) -> np.ndarray:
        return latent + rng.normal(0, scale, n)

    for _, q in cb.iterrows():
        name, qtype = q["name"], q["type"]
        if name in ("fin_debt", "fin_debt_source"):
            continue
        if qtype == "select_one":
            order = _choice_order(q["list_name"], sch, name)
            u = expit(noisy(1.2))
            idx = np.minimum((u * len(order)).astype(int), len(order) - 1)
            out[name] = np.asarray(order, dtype=object)[idx]
        elif qtype == "select_multiple":
            names = list(instrument.choices(q["list_name"])["name"])
            real = [c for c in names if c != "none"]
            p = expit(noisy(1.0) - 1.0)
            bits = (rng.random((n, len(real))) < p[:, None]).astype(np.int64)
            code = bits @ (1 << np.arange(len(real)))
            fallback = "none" if "none" in names else real[0]
            table = np.array([" ".join(c for j, c in enumerate(real) if k >> j & 1) or fallback
                              for k in range(1 << len(real))], dtype=object)
            out[name] = table[code]
        elif qtype == "integer":
            hi = q["max"] if q["max"] == q["max"] else 50
            if name in ("hum_working_age", "hum_chronic_ill", "hum_disabled"):
                share = {"hum_working_age": expit(noisy() + 0.5),
                         "hum_chronic_ill": expit(-noisy() - 1.5),
                         "hum_disabled": expit(-noisy() - 2.5)}[name]
                val = rng.binomial(hh_size, share)
            else:
                mean = {"soc_groups": 1.5, "hum_training": 1.5, "wis_taught": 2.0,
                        "cul_religious_events": 12.0, "cul_community_events": 6.0,
                        "nat_trees": 5.0}.get(name, 2.0)
                val = rng.poisson(mean * np.exp(0.5 * noisy(0.5)))
            out[name] = pd.array(np.minimum(val, hi).astype(np.int64), dtype="Int64")
        elif qtype == "decimal":
            if name == "phy_land_rai":
                val = np.where(rng.random(n) < 0.2, 0.0,
                               np.round(rng.lognormal(1.5 + 0.4 * noisy(0.5), 0.8), 1))
            elif name == "fin_income_year":
                val = np.round(hh_size * rng.lognormal(10.4 + 0.5 * noisy(0.5), 0.5), -2)
            elif name == "fin_expense_year":
                val = np.round(hh_size * rng.lognormal(10.2 + 0.3 * noisy(0.5), 0.4), -2)
            else:  # fin_savings
                val = np.round(rng.lognormal(9.5 + 0.8 * noisy(0.5), 1.0), -2) * (
                    rng.random(n) < expit(noisy() + 0.5))
            out[name] = np.minimum(val, q["max"])
    has_debt = rng.random(n) < expit(-0.5 * latent + 0.3)
    out["fin_has_debt"] = np.where(has_debt, "yes", "no")
    debt = np.round(rng.lognormal(11 - 0.3 * latent, 1.0), -2)
    out["fin_debt"] = np.where(has_debt, np.maximum(debt, 100.0), np.nan)
    src = np.where(rng.random(n) < expit(-latent - 1.5), "informal",
                   rng.choice(np.array(["bank", "baac", "village_fund", "coop"], dtype=object), n))
    out["fin_debt_source"] = np.where(has_debt, src, np.array(None, dtype=object))
    return pd.DataFrame(out)


def simulate_villages(households: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Simulate the village form for the villages in ``households``.

    A village's strength follows its households' mean latent quality through their mean
    financial answers.

    Parameters
    ----------
    households : pandas.DataFrame
        Output of :func:`simulate_households`.
    seed : int
        Seed.

    Returns
    -------
    pandas.DataFrame
        One row per village with the village-form columns.
    """
    rng = np.random.default_rng(seed)
    g = households.groupby("village_code", sort=True)
    soc = g["soc_groups"].mean().astype(float)
    z = ((soc - soc.mean()) / (soc.std(ddof=0) or 1.0)).to_numpy()
    nh = g["village_households"].first().to_numpy()
    k = len(nh)
    return pd.DataFrame({
        "village_code": soc.index.to_numpy(),
        "vil_households": nh,
        "vil_population": (nh * rng.uniform(2.8, 3.4, k)).astype(int),
        "vil_groups": np.maximum(0, np.round(nh / 100 * np.exp(1.0 + 0.4 * z
                                                                + rng.normal(0, 0.3, k)))),
        "vil_welfare_members": (nh * 3 * expit(z * 0.8 - 0.5 + rng.normal(0, 0.3, k))).astype(int),
        "vil_forums_year": np.maximum(0, np.round(6 + 3 * z + rng.normal(0, 1.5, k))),
        "vil_process_step": np.clip(np.round(3 + 1.5 * z + rng.normal(0, 0.8, k)), 0, 6)
        .astype(int).astype(str),
        "vil_master_plan": np.where(z + rng.normal(0, 0.5, k) > -0.5, "yes", "no"),
    })
