"""Auxiliary village data in the style of the basic minimum needs survey (จปฐ.): ``bmn.csv``.

The จปฐ. is collected every year for every household and published as shares by village, so
``bmn.csv`` has one row per village of the province (sampled or not), for the year before the
survey round (the latest figures a survey office holds): ``village_code, bmn_year,
bmn_households`` and six shares (columns of ``docs/INPUTS.md``).

How the shares are made
-----------------------
From the same latent structure as the households: the village's mean latent capital
``mu_c = (T_g + T_c + V_g + V_c) / sd + drift`` (tambon and village effects of
:mod:`abcresearch.synth.population`, trend to the BMN year) and the tambon's occupation mix.
Each share is ``p = logistic(a + b . x + u_tambon + e_village)``: loadings ``b`` on the
latent capitals and covariates, a tambon component ``u`` of its own (local conditions unrelated
to the capitals) and village measurement noise ``e`` (enumerators, recording, the year's
events); the intercept ``a`` makes the household-weighted mean share the stated one. The
published share is a census count, ``Binomial(bmn_households, p) / bmn_households``, and
``bmn_households`` is the BMN's own count (the frame's within about 3 %). The BMN is known to
find fewer poor households than surveys, and so does this one: about 4 % under its income line
against about 20-25 % in the capital survey's own income question.

Relation to the true tambon values (correlation of the household-weighted tambon share with the
true tambon mean capital score / share at overall level 1, full province, 170 tambon; seed 1
round 2549 and seed 2 round 2551; ``benchmarks/bench_synth.py --truth`` prints them):

=================  ===============================  ====  ========  ===========  ===========
column             driven by (logit loadings)       mean  relation  r mean score  r level 1
=================  ===============================  ====  ========  ===========  ===========
income_below_line  financial -1.5, fishing +1.5     4 %   strong    -0.75/-0.78  0.78/0.82
no_savings         financial -1.3                   12 %  strong    -0.84/-0.83  0.87/0.86
insecure_water     natural -0.9, coastal, mountain  7 %   moderate  -0.41/-0.51  0.42/0.53
chronic_illness    human -0.15                      18 %  weak      -0.20/-0.40  0.20/0.42
no_land            physical -0.5, non-farming +3.0  25 %  weak      -0.29/-0.22  0.28/0.22
has_elderly        human -0.05                      35 %  weak      +0.07/-0.12  -0.07/0.12
=================  ===============================  ====  ========  ===========  ===========

(loadings per unit of latent capital, about 1.8 village standard deviations; the first r of
each pair is seed 1 round 2549). The model is in :data:`BMN_MODEL`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from abcresearch.synth.draws import BASE_ROUND, households_in_round, village_base
from abcresearch.synth.frame import COASTAL, MOUNTAIN, OCCUPATIONS, URBAN, village_frame
from abcresearch.synth.population import (
    AGRI,
    CAPITALS,
    LATENT_SD,
    effects,
    village_drift,
    village_effects,
)

__all__ = ["BMN_COLUMNS", "BMN_MODEL", "bmn_table", "village_latent_means"]

#: Columns of ``bmn.csv`` (docs/INPUTS.md).
BMN_COLUMNS = ["village_code", "bmn_year", "bmn_households", "income_below_line", "no_savings",
               "has_elderly", "chronic_illness", "insecure_water", "no_land"]

#: Per share: mean share (sets the intercept), loadings on the village's mean latent capitals
#: and on village covariates, and the sd of its measurement noise by village and of a tambon
#: component of its own (local conditions unrelated to the capitals); logit scale.
BMN_MODEL: dict[str, dict[str, Any]] = {
    "income_below_line": {"mean": 0.04, "capital": {"financial": -1.5},
                          "covariate": {"fishing": 1.5, "urban": -0.3}, "noise": 0.35,
                          "tambon": 0.0},
    "no_savings": {"mean": 0.12, "capital": {"financial": -1.3}, "covariate": {},
                   "noise": 0.30, "tambon": 0.0},
    "has_elderly": {"mean": 0.35, "capital": {"human": -0.05}, "covariate": {}, "noise": 0.20,
                    "tambon": 0.20},
    "chronic_illness": {"mean": 0.18, "capital": {"human": -0.15}, "covariate": {},
                        "noise": 0.25, "tambon": 0.20},
    "insecure_water": {"mean": 0.07, "capital": {"natural": -0.9},
                       "covariate": {"coastal": 0.5, "mountain": -0.3}, "noise": 0.55,
                       "tambon": 0.30},
    "no_land": {"mean": 0.25, "capital": {"physical": -0.5},
                "covariate": {"non_farming": 3.0, "urban": 1.0}, "noise": 0.40, "tambon": 0.20},
}


def village_latent_means(frame: pd.DataFrame, seed: int, years: float) -> pd.DataFrame:
    """Each village's mean latent capital (tambon + village effects + trend), one column each.

    Parameters
    ----------
    frame : pandas.DataFrame
        Villages (rows of the village frame).
    seed : int
        Seed of the synthetic population.
    years : float
        Years since the base round (2549) the trend has run.
    """
    _, teff, _ = effects(frame, seed)
    vb = np.vstack([village_base(seed, int(c)) for c in frame["village_code"]])
    veff = village_effects(vb)
    drift = village_drift(vb, years)
    mu = (teff[:, :1] + teff[:, 1:] + veff[:, :1] + veff[:, 1:]) / LATENT_SD + drift[:, None]
    return pd.DataFrame(mu, columns=list(CAPITALS), index=frame.index)


def _covariates(frame: pd.DataFrame) -> pd.DataFrame:
    occ = frame[[f"occ_p{k}" for k in range(len(OCCUPATIONS))]].to_numpy()
    return pd.DataFrame({
        "fishing": occ[:, OCCUPATIONS.index("fishing")],
        "non_farming": 1.0 - occ[:, AGRI].sum(axis=1),
        "coastal": frame["amphoe_code"].isin(COASTAL).astype(float),
        "mountain": frame["amphoe_code"].isin(MOUNTAIN).astype(float),
        "urban": frame["amphoe_code"].isin(URBAN).astype(float),
    }, index=frame.index)


def _intercept(mean: float, eta: np.ndarray, weights: np.ndarray) -> float:
    """Return the intercept giving a household-weighted mean share of ``mean`` (bisection)."""
    lo, hi = logit(mean) - 10.0, logit(mean) + 10.0
    w = weights / weights.sum()
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(w @ expit(mid + eta)) < mean:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def bmn_table(seed: int, survey_round: int, province: str = "80") -> pd.DataFrame:
    """Return the จปฐ.-style shares of every village of the province for the year before the round.

    Parameters
    ----------
    seed : int
        Seed of the synthetic population (the shares follow its latent structure).
    survey_round : int
        Survey round (Buddhist era); the figures are those of ``survey_round - 1``.
    province : str
        Two-digit province code.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BMN_COLUMNS`, one row per village, shares rounded to 4 decimals.
    """
    frame = village_frame(str(province))
    year = int(survey_round) - 1
    mu = village_latent_means(frame, seed, year - BASE_ROUND)
    cov = _covariates(frame)
    rng = np.random.default_rng([seed, year, 0xB3])
    n = len(frame)
    size = np.array([households_in_round(h, year) for h in frame["vil_households"]])
    bmn_n = np.maximum(1, np.round(size * np.exp(0.03 * rng.standard_normal(n)))).astype(np.int64)
    out = pd.DataFrame({"village_code": frame["village_code"], "bmn_year": year,
                        "bmn_households": bmn_n})
    tambons, tix = np.unique(frame["tambon_code"].to_numpy(), return_inverse=True)
    for col in BMN_COLUMNS[3:]:
        spec = BMN_MODEL[col]
        eta = np.zeros(n)
        for cap, b in spec["capital"].items():
            eta += b * (mu[cap] - mu[cap].mean()).to_numpy()
        for name, b in spec["covariate"].items():
            eta += b * (cov[name] - cov[name].mean()).to_numpy()
        eta += spec["tambon"] * rng.standard_normal(len(tambons))[tix]
        eta += spec["noise"] * rng.standard_normal(n)
        p = expit(_intercept(spec["mean"], eta, bmn_n) + eta)
        count = rng.binomial(bmn_n, p)
        out[col] = np.round(count / bmn_n, 4)
    return out[BMN_COLUMNS]
