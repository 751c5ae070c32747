"""Random numbers of the synthetic province: keyed streams, uniforms and monotone links.

Every random number comes from a ``numpy.random.default_rng`` stream keyed by what it belongs
to: identity by ``(seed, village)``, everything round-specific by ``(seed, village, round)``.
Draws are taken village by village in fixed-size blocks, so the first ``n`` households of a
village are the same whether ``n`` or all its households are drawn (the sample of a village is
the first ``n`` slots of its population), and a village's draws never depend on which other
villages are generated.

Items are drawn from latent capitals through monotone links: ordered probit for ordinal choice
lists, probit for yes/no, Poisson-lognormal counts, one probit per option of a select_multiple.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

__all__ = ["BASE_ROUND", "EPS", "KEEP_PROB", "K_ID", "K_M", "K_R", "K_V", "K_VR", "MAX_MEMBERS",
           "Columns", "Draws", "binary", "count", "draw", "households_in_round", "multi",
           "ordinal", "pick", "poisson_ppf", "probit", "uniforms", "village_base"]

#: Round whose ages the base households are drawn for.
BASE_ROUND = 2549

#: Probability a household of the base pool is kept in a given round.
KEEP_PROB = 0.92

#: Roster slots drawn per household (hh_size is at most this).
MAX_MEMBERS = 10

K_ID = 24     #: identity uniforms per household
K_M = 10      #: identity uniforms per roster slot
K_R = 176     #: round uniforms per household
K_V = 16      #: base uniforms per village
K_VR = 32     #: round uniforms per village

#: Uniforms are kept inside (EPS, 1 - EPS) so that probits stay finite.
EPS = 1e-7


def uniforms(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Return float32 uniforms of ``shape`` clipped into (EPS, 1 - EPS)."""
    return np.clip(rng.random(shape, dtype=np.float32), EPS, 1 - EPS)


def probit(u: np.ndarray) -> np.ndarray:
    """Return standard normal scores of uniforms (float64)."""
    return ndtri(u.astype(np.float64))


def ordinal(lat: np.ndarray, u: np.ndarray, probs: Sequence[float], a: float) -> np.ndarray:
    """Ordered probit: category index (0 = lowest latent) with marginals about ``probs``."""
    x = a * lat + np.sqrt(1 - a * a) * probit(u)
    cuts = ndtri(np.cumsum(probs)[:-1] / np.sum(probs))
    return np.searchsorted(cuts, x).astype(np.int16)


def binary(lat: np.ndarray, u: np.ndarray, p: np.ndarray | float, a: float) -> np.ndarray:
    """Probit yes/no with marginal probability about ``p`` and loading ``a`` on the latent."""
    x = a * lat + np.sqrt(1 - a * a) * probit(u)
    return x > ndtri(1 - np.clip(p, 1e-4, 1 - 1e-4))


def count(lat: np.ndarray, u: np.ndarray, u2: np.ndarray, mean: np.ndarray | float, b: float,
          disp: float = 0.5, hi: int | None = None) -> np.ndarray:
    """Poisson-lognormal count with median-ish ``mean`` and log-slope ``b`` on the latent."""
    mu = mean * np.exp(b * lat - b * b / 2 + disp * probit(u2) - disp * disp / 2)
    k = poisson_ppf(u.astype(np.float64), np.maximum(mu, 1e-6))
    if hi is not None:
        k = np.minimum(k, hi)
    return k.astype(np.int64)


def poisson_ppf(u: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Inverse Poisson CDF: exact by summation for mu <= 40, normal approximation above."""
    mu = np.broadcast_to(mu, u.shape).astype(np.float64)
    k = np.zeros(u.shape, dtype=np.float64)
    big = mu > 40
    if big.any():
        k[big] = np.maximum(np.round(mu[big] + np.sqrt(mu[big]) * ndtri(u[big])), 0)
    idx = np.flatnonzero(~big)
    p = np.exp(-mu[idx])
    cdf = p.copy()
    uu = u[idx]
    m = mu[idx]
    j = 0
    while idx.size:
        go = uu > cdf
        if not go.any():
            break
        idx, p, cdf, uu, m = idx[go], p[go], cdf[go], uu[go], m[go]
        j += 1
        k[idx] = j
        p = p * m / j
        cdf = cdf + p
        if j > 400:
            break
    return k


def pick(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Categorical draw by inverse CDF; ``probs`` is (k,) or (n, k)."""
    cp = np.cumsum(probs, axis=-1)
    cp = cp / cp[..., -1:]
    if cp.ndim == 1:
        return np.searchsorted(cp, u, side="right").clip(0, len(cp) - 1)
    return (u[:, None] >= cp).sum(axis=1).clip(0, cp.shape[1] - 1)


class Columns:
    """Hands out columns of a uniform matrix in a fixed order (the order is part of the model).

    Parameters
    ----------
    ur : numpy.ndarray
        (n, k) uniforms.
    start : int
        First column handed out.
    """

    def __init__(self, ur: np.ndarray, start: int = 2) -> None:
        self.ur = ur
        self.k = start

    def __call__(self) -> np.ndarray:
        """Return the next column."""
        if self.k >= self.ur.shape[1]:
            raise RuntimeError("synth: ran out of round uniforms; raise K_R")
        col = self.ur[:, self.k]
        self.k += 1
        return col


def multi(lat: np.ndarray, nxt: Columns, probs: list[np.ndarray | float], a: float
          ) -> np.ndarray:
    """One probit per option of a select_multiple: (n, options) bool matrix."""
    return np.column_stack([binary(lat, nxt(), p, a) for p in probs])


@dataclass
class Draws:
    """The uniforms of a set of villages and their households (rows in village order).

    Attributes
    ----------
    vidx : numpy.ndarray
        Village index (into the frame) per household.
    slot : numpy.ndarray
        Household slot within the village (0-based).
    replaced : numpy.ndarray
        True where the household is new in this round (not of the base pool).
    uid, mu, ur : numpy.ndarray
        Identity (n, K_ID), roster (n, MAX_MEMBERS, K_M) and round (n, K_R) uniforms.
    uuids : numpy.ndarray
        (n, 2) uint64 bits of the submission uuids.
    vbase, vround : numpy.ndarray
        Village base (n_v, K_V) and round (n_v, K_VR) uniforms.
    vuuid : numpy.ndarray
        (n_v, 2) uint64 bits of the village submission uuids.
    n_sampled, n_total : numpy.ndarray
        Households drawn and households in the village this round, per village.
    """

    vidx: np.ndarray
    slot: np.ndarray
    replaced: np.ndarray
    uid: np.ndarray
    mu: np.ndarray
    ur: np.ndarray
    uuids: np.ndarray
    vbase: np.ndarray
    vround: np.ndarray
    vuuid: np.ndarray
    n_sampled: np.ndarray
    n_total: np.ndarray

    def release(self) -> None:
        """Drop the large household uniform matrices (after the answers are drawn)."""
        self.ur = self.mu = self.uid = np.empty((0, 0), dtype=np.float32)


def village_base(seed: int, village: int) -> np.ndarray:
    """Return a village's round-independent uniforms: effects, trend, blanks, plan year."""
    return uniforms(np.random.default_rng([seed, int(village), 1]), (K_V,))


def households_in_round(base: int, survey_round: int) -> int:
    """Households of a village in a round: its base count plus 1 % a year after the base round."""
    years = survey_round - BASE_ROUND
    return int(round(base * (1.0 + 0.01 * years))) if years > 0 else int(base)


def draw(frame: pd.DataFrame, seed: int, survey_round: int, hpv: int | None) -> Draws:
    """Draw the uniforms of the villages of ``frame`` and of their first ``hpv`` households.

    Parameters
    ----------
    frame : pandas.DataFrame
        Villages (rows of :func:`abcresearch.synth.frame.village_frame`).
    seed, survey_round : int
        User seed and round (Buddhist era).
    hpv : int or None
        Households drawn per village (capped by the village's households); None: all.
    """
    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("vidx", "slot", "rep", "uid", "mu", "ur", "uu")}
    vbase, vround, vuuid, n_s, n_t = [], [], [], [], []
    for i, (code, nh) in enumerate(zip(frame["village_code"], frame["vil_households"],
                                       strict=True)):
        v = int(code)
        ntot = households_in_round(nh, survey_round)
        n = ntot if hpv is None else min(hpv, ntot)
        vbase.append(village_base(seed, v))
        vround.append(uniforms(np.random.default_rng([seed, v, survey_round, 1]), (K_VR,)))
        vuuid.append(np.random.default_rng([seed, v, survey_round, 9]).integers(
            0, 2**64 - 1, size=2, dtype=np.uint64, endpoint=True))
        uid = uniforms(np.random.default_rng([seed, v, 2]), (n, K_ID))
        mu = uniforms(np.random.default_rng([seed, v, 4]), (n, MAX_MEMBERS, K_M))
        ur = uniforms(np.random.default_rng([seed, v, survey_round, 2]), (n, K_R))
        keep = ur[:, 0] < KEEP_PROB
        if not keep.all():
            uid_r = uniforms(np.random.default_rng([seed, v, survey_round, 3]), (n, K_ID))
            mu_r = uniforms(np.random.default_rng([seed, v, survey_round, 5]),
                            (n, MAX_MEMBERS, K_M))
            uid = np.where(keep[:, None], uid, uid_r)
            mu = np.where(keep[:, None, None], mu, mu_r)
        parts["vidx"].append(np.full(n, i, dtype=np.int32))
        parts["slot"].append(np.arange(n, dtype=np.int32))
        parts["rep"].append(~keep)
        parts["uid"].append(uid)
        parts["mu"].append(mu)
        parts["ur"].append(ur)
        parts["uu"].append(np.random.default_rng([seed, v, survey_round, 7]).integers(
            0, 2**64 - 1, size=(n, 2), dtype=np.uint64, endpoint=True))
        n_s.append(n)
        n_t.append(ntot)
    cat = {k: np.concatenate(v) for k, v in parts.items()}
    return Draws(cat["vidx"], cat["slot"], cat["rep"], cat["uid"], cat["mu"], cat["ur"],
                 cat["uu"], np.vstack(vbase), np.vstack(vround), np.vstack(vuuid),
                 np.array(n_s), np.array(n_t))
