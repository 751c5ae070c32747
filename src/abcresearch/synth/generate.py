"""Synthetic province generator: what a KoboToolbox export of the instrument would look like.

``abcresearch synth --province 80 --round 2549 --seed N --out DIR`` calls :func:`synthesize`, which
writes a household file, a roster (``member``) file linked by Kobo's ``_index``/``_parent_index``
and a village file, as Kobo "XML values and headers" exports (CSV by default, XLSX on request),
plus ``SYNTHETIC.txt`` and the ground truth under ``_truth/``.

Model
-----
* **Frame.** The villages of a province are allocated to its official tambon (geothai) with a
  fixed frame seed, so the village list never depends on ``seed`` and every round shares it.
  Nakhon Si Thammarat (80) gets exactly 1,551 villages over 170 tambon (4-20 per tambon).
* **Latent capitals.** For capital ``c`` the latent of a household is
  ``T_g + T_c + V_g + V_c + H_g + H_c + drift + round noise`` (tambon, village, household; general
  and capital-specific parts), scaled to unit variance. Items are drawn from their capital's
  latent through monotone links: ordered probit for ordinal choice lists, probit for yes/no,
  Poisson-lognormal counts, log-normal money, one probit per option of a select_multiple.
* **Panel.** Identity (names, national IDs, ages, roster, base latent) comes from RNG streams
  keyed by ``(seed, village)``; everything round-specific from ``(seed, village, round)``. A later
  round keeps about 92 % of each village's households (so two rounds share about 85 %), ages them,
  and drifts latents by a village-specific trend (a small improvement on average).
* **Determinism.** Same arguments, byte-identical files; no wall-clock time is used.

Speed (measured on 2 cores): the full province (1,551 villages, 231,029 households, 774,662
members for seed 1) takes about 20 s for CSV with a peak of about 1.5 GB resident memory
(``benchmarks/bench_synth.py``). XLSX goes through openpyxl write-only mode at about 3 s per 1,000
households: about 1 minute for Mueang amphoe (21,000 households), 10-12 minutes for the full
province, so use it for subsets.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from abcresearch.errors import AreaError, InputError
from abcresearch.survey import areas, instrument
from abcresearch.synth import names

#: Version of the generator; written into SYNTHETIC.txt. Bump when outputs change.
GENERATOR_VERSION = "1.0"

#: Seed of the village frame (never the user's seed: rounds must share villages).
FRAME_SEED = 8_015_549

#: Total villages per province where known (official counts); otherwise 9 per tambon.
VILLAGE_TOTALS = {"80": 1551}

#: Round whose ages the base households are drawn for.
BASE_ROUND = 2549

#: Probability a household of the base pool is kept in a given round.
KEEP_PROB = 0.92

#: Roster slots drawn per household (hh_size is at most this).
MAX_MEMBERS = 10

CAPITALS = ("human", "physical", "financial", "social", "cultural", "wisdom", "natural")

#: Amphoe profiles for Nakhon Si Thammarat (occupations, hazards).
COASTAL = {"8001", "8008", "8012", "8014", "8015", "8016", "8023"}
BASIN = {"8006", "8007", "8012", "8016", "8017", "8023"}
MOUNTAIN = {"8002", "8003", "8004", "8005", "8010", "8011", "8019", "8021"}
URBAN = {"8001"}

OCCUPATIONS = ("rubber", "rice", "orchard", "fishing", "livestock", "wage", "trade", "salaried",
               "none")
_OCC_PROFILES = {
    "inland": (0.42, 0.07, 0.15, 0.01, 0.04, 0.14, 0.08, 0.06, 0.03),
    "coastal": (0.22, 0.08, 0.12, 0.24, 0.03, 0.13, 0.09, 0.06, 0.03),
    "basin": (0.20, 0.32, 0.10, 0.04, 0.05, 0.14, 0.07, 0.05, 0.03),
    "coastal_basin": (0.15, 0.25, 0.08, 0.20, 0.04, 0.13, 0.07, 0.05, 0.03),
    "urban": (0.15, 0.05, 0.08, 0.04, 0.02, 0.25, 0.19, 0.18, 0.04),
}
_AGRI = np.array([o in ("rubber", "rice", "orchard", "livestock") for o in OCCUPATIONS])
_INCOME_MULT = np.array([1.15, 0.85, 1.1, 1.0, 0.9, 0.8, 1.35, 1.6, 0.5])

# Variance components of the latent capitals (sd).
_SD = {"T_g": 0.35, "T_c": 0.20, "V_g": 0.40, "V_c": 0.25, "H_g": 0.70, "H_c": 0.55, "R": 0.25}
_LATENT_SD = float(np.sqrt(sum(v * v for v in _SD.values())))

_K_ID = 24     # identity uniforms per household
_K_M = 10      # identity uniforms per roster slot
_K_R = 176     # round uniforms per household
_K_V = 16      # base uniforms per village
_K_VR = 32     # round uniforms per village

_EPS = 1e-7
_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------
@dataclass
class SynthResult:
    """What :func:`synthesize` wrote.

    Attributes
    ----------
    out : Path
        Output folder.
    province, survey_round, seed, fmt :
        The arguments used.
    n_villages, n_tambons, n_amphoes, n_households, n_members, n_errors : int
        Counts written (``n_errors``: injected data-entry errors, see ``_truth``).
    files : list of Path
        Every file written.
    """

    out: Path
    province: str
    survey_round: int
    seed: int
    fmt: str
    n_villages: int
    n_tambons: int
    n_amphoes: int
    n_households: int
    n_members: int
    n_errors: int = 0
    files: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        """Return a short multi-line description of the export."""
        lines = [
            f"SYNTHETIC data written to {self.out} ({self.fmt})",
            f"  province {self.province}, round {self.survey_round}, seed {self.seed}",
            f"  {self.n_amphoes} amphoe, {self.n_tambons} tambon, {self.n_villages} villages",
            f"  {self.n_households} households, {self.n_members} household members",
        ]
        if self.n_errors:
            lines.append(f"  {self.n_errors} injected data-entry errors (_truth/injected_errors.csv)")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# frame
# ----------------------------------------------------------------------------------------------
def _amphoe_profile(amphoe: str) -> str:
    if amphoe in URBAN:
        return "urban"
    if amphoe in COASTAL and amphoe in BASIN:
        return "coastal_basin"
    if amphoe in COASTAL:
        return "coastal"
    if amphoe in BASIN:
        return "basin"
    return "inland"


def village_frame(province: str = "80") -> pd.DataFrame:
    """Return the synthetic village frame of a province (independent of any seed).

    Parameters
    ----------
    province : str
        Two-digit province code.

    Returns
    -------
    pandas.DataFrame
        One row per village: ``village_code, village_no, village_name, tambon_code, amphoe_code,
        vil_households`` (households at round 2549), ``village_seq`` (order within the amphoe,
        1-based), ``muslim_share`` (of its tambon), ``profile`` and ``occ_p0..occ_p8`` (tambon
        occupation mix).
    """
    return _village_frame_cached(str(province)).copy()


@lru_cache(maxsize=4)
def _village_frame_cached(province: str) -> pd.DataFrame:
    """Build the frame (cached); see :func:`village_frame`."""
    province = str(province)
    tam = areas.tambons(province)
    if tam.empty:
        raise AreaError(f"province {province!r} has no tambon in the official list")
    rng = np.random.default_rng([FRAME_SEED, int(province)])
    n_t = len(tam)
    total = VILLAGE_TOTALS.get(province, 9 * n_t)
    lo, hi = 4, 20
    if not lo * n_t <= total <= hi * n_t:
        lo, hi = 1, 99
    size = rng.gamma(3.0, 1.0, n_t)
    counts = np.full(n_t, lo)
    # allocate the rest one at a time, proportional to size, respecting the cap
    for _ in range(total - counts.sum()):
        w = np.where(counts < hi, size / counts, 0.0)
        counts[int(np.argmax(w))] += 1
    amph = tam["parent"].to_numpy()
    coastal = np.array([a in COASTAL for a in amph])
    muslim_major = rng.random(n_t) < np.where(coastal, 0.14, 0.03)
    muslim_share = np.where(muslim_major, rng.uniform(0.6, 0.95, n_t), rng.uniform(0.0, 0.06, n_t))
    occ = np.vstack([rng.dirichlet(np.array(_OCC_PROFILES[_amphoe_profile(a)]) * 40) for a in amph])
    rows: list[dict[str, Any]] = []
    seq: dict[str, int] = {}
    for i, t in enumerate(tam.itertuples(index=False)):
        used: set[str] = set()
        for v in range(1, counts[i] + 1):
            while True:
                nm = ("บ้าน" + names.VILLAGE_HEADS[rng.integers(len(names.VILLAGE_HEADS))]
                      + names.VILLAGE_TAILS[rng.integers(len(names.VILLAGE_TAILS))])
                if nm not in used:
                    used.add(nm)
                    break
            hh = int(np.clip(np.round(np.exp(rng.normal(np.log(260), 0.35))), 80, 600))
            seq[t.parent] = seq.get(t.parent, 0) + 1
            row = {"village_code": f"{t.code}{v:02d}", "village_no": v, "village_name": nm,
                   "tambon_code": t.code, "amphoe_code": t.parent, "vil_households": hh,
                   "village_seq": seq[t.parent], "muslim_share": float(muslim_share[i]),
                   "profile": _amphoe_profile(t.parent)}
            row.update({f"occ_p{k}": float(occ[i, k]) for k in range(len(OCCUPATIONS))})
            rows.append(row)
    return pd.DataFrame(rows)


def _select(frame: pd.DataFrame, seed: int, amphoe: Sequence[str] | str | None,
            villages: int | Sequence[str] | None) -> pd.DataFrame:
    f = frame
    if amphoe:
        codes = [amphoe] if isinstance(amphoe, str) else list(amphoe)
        known = set(f["amphoe_code"])
        bad = [c for c in codes if str(c) not in known]
        if bad:
            raise AreaError(f"amphoe {bad} not in province {frame['amphoe_code'].iloc[0][:2]}")
        f = f[f["amphoe_code"].isin([str(c) for c in codes])]
    if villages is None:
        return f.reset_index(drop=True)
    if isinstance(villages, (int, np.integer)):
        n = int(villages)
        if n < 1:
            raise InputError("villages: a sample size must be at least 1")
        n = min(n, len(f))
        rng = np.random.default_rng([seed, 7_777])
        pick = np.sort(rng.choice(len(f), size=n, replace=False))
        return f.iloc[pick].reset_index(drop=True)
    codes = [str(c).strip() for c in villages]
    known = set(f["village_code"])
    bad = [c for c in codes if c not in known]
    if bad:
        raise AreaError(f"village codes not in the synthetic frame"
                        f"{' of the chosen amphoe' if amphoe else ''}: {bad[:5]}")
    return f[f["village_code"].isin(codes)].reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# random building blocks
# ----------------------------------------------------------------------------------------------
def _u(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return np.clip(rng.random(shape, dtype=np.float32), _EPS, 1 - _EPS)


def _z(u: np.ndarray) -> np.ndarray:
    return ndtri(u.astype(np.float64))


def _ordinal(lat: np.ndarray, u: np.ndarray, probs: Sequence[float], a: float) -> np.ndarray:
    """Ordered probit: category index (0 = lowest latent) with marginals about ``probs``."""
    x = a * lat + np.sqrt(1 - a * a) * _z(u)
    cuts = ndtri(np.cumsum(probs)[:-1] / np.sum(probs))
    return np.searchsorted(cuts, x).astype(np.int16)


def _binary(lat: np.ndarray, u: np.ndarray, p: np.ndarray | float, a: float) -> np.ndarray:
    x = a * lat + np.sqrt(1 - a * a) * _z(u)
    return x > ndtri(1 - np.clip(p, 1e-4, 1 - 1e-4))


def _count(lat: np.ndarray, u: np.ndarray, u2: np.ndarray, mean: np.ndarray | float, b: float,
           disp: float = 0.5, hi: int | None = None) -> np.ndarray:
    """Poisson-lognormal count with median-ish ``mean`` and log-slope ``b`` on the latent."""
    mu = mean * np.exp(b * lat - b * b / 2 + disp * _z(u2) - disp * disp / 2)
    k = _poisson_ppf(u.astype(np.float64), np.maximum(mu, 1e-6))
    if hi is not None:
        k = np.minimum(k, hi)
    return k.astype(np.int64)


def _poisson_ppf(u: np.ndarray, mu: np.ndarray) -> np.ndarray:
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


def _pick(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Categorical draw by inverse CDF; ``probs`` is (k,) or (n, k)."""
    cp = np.cumsum(probs, axis=-1)
    cp = cp / cp[..., -1:]
    if cp.ndim == 1:
        return np.searchsorted(cp, u, side="right").clip(0, len(cp) - 1)
    return (u[:, None] >= cp).sum(axis=1).clip(0, cp.shape[1] - 1)


def _pid_check(first12: np.ndarray) -> np.ndarray:
    """Check digit of Thai national IDs from the first 12 digits (int64 array)."""
    s = np.zeros(first12.shape, dtype=np.int64)
    rest = first12.copy()
    for i in range(12):  # digit 12 (last) has weight 2, digit 1 weight 13
        d = rest % 10
        rest //= 10
        s += d * (2 + i)
    return (11 - s % 11) % 10


# ----------------------------------------------------------------------------------------------
# generation
# ----------------------------------------------------------------------------------------------
@dataclass
class _Draws:
    vidx: np.ndarray        # village index (into the selected frame) per household
    slot: np.ndarray        # household slot within the village
    replaced: np.ndarray    # bool: household new in this round
    uid: np.ndarray         # (n, _K_ID) identity uniforms
    mu: np.ndarray          # (n, MAX_MEMBERS, _K_M) roster uniforms
    ur: np.ndarray          # (n, _K_R) round uniforms
    uuids: np.ndarray       # (n, 2) uint64
    vbase: np.ndarray       # (n_v, _K_V)
    vround: np.ndarray      # (n_v, _K_VR)
    vuuid: np.ndarray       # (n_v, 2) uint64
    n_sampled: np.ndarray   # per village
    n_total: np.ndarray     # households in village this round


def _draw(frame: pd.DataFrame, seed: int, survey_round: int, hpv: int) -> _Draws:
    years = survey_round - BASE_ROUND
    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("vidx", "slot", "rep", "uid", "mu", "ur", "uu")}
    vbase, vround, vuuid, n_s, n_t = [], [], [], [], []
    for i, (code, nh) in enumerate(zip(frame["village_code"], frame["vil_households"],
                                       strict=True)):
        v = int(code)
        ntot = int(round(nh * (1.0 + 0.01 * years))) if years > 0 else int(nh)
        n = min(hpv, ntot)
        vbase.append(_u(np.random.default_rng([seed, v, 1]), (_K_V,)))
        vround.append(_u(np.random.default_rng([seed, v, survey_round, 1]), (_K_VR,)))
        vuuid.append(np.random.default_rng([seed, v, survey_round, 9]).integers(
            0, 2**64 - 1, size=2, dtype=np.uint64, endpoint=True))
        uid = _u(np.random.default_rng([seed, v, 2]), (n, _K_ID))
        mu = _u(np.random.default_rng([seed, v, 4]), (n, MAX_MEMBERS, _K_M))
        ur = _u(np.random.default_rng([seed, v, survey_round, 2]), (n, _K_R))
        keep = ur[:, 0] < KEEP_PROB
        if not keep.all():
            uid_r = _u(np.random.default_rng([seed, v, survey_round, 3]), (n, _K_ID))
            mu_r = _u(np.random.default_rng([seed, v, survey_round, 5]), (n, MAX_MEMBERS, _K_M))
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
    return _Draws(cat["vidx"], cat["slot"], cat["rep"], cat["uid"], cat["mu"], cat["ur"],
                  cat["uu"], np.vstack(vbase), np.vstack(vround), np.vstack(vuuid),
                  np.array(n_s), np.array(n_t))


def _effects(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Tambon and village effects: (tambon table, T (n_v, 8), V (n_v, 8)) broadcast to villages."""
    tcodes = sorted(set(frame["tambon_code"]))
    tz = np.vstack([np.random.default_rng([seed, int(t), 0]).standard_normal(8) for t in tcodes])
    tz[:, 0] *= _SD["T_g"]
    tz[:, 1:] *= _SD["T_c"]
    tpos = {t: k for k, t in enumerate(tcodes)}
    tix = frame["tambon_code"].map(tpos).to_numpy()
    ttab = pd.DataFrame({"tambon_code": tcodes, "effect": tz[:, 0]})
    for k, c in enumerate(CAPITALS):
        ttab[f"effect_{c}"] = tz[:, k + 1]
    return ttab, tz[tix], tix


def _hh_identity(frame: pd.DataFrame, d: _Draws, survey_round: int) -> dict[str, np.ndarray]:
    """Household identity: head, size, religion, occupation, names (no latent)."""
    u = d.uid
    f = frame
    vix = d.vidx
    out: dict[str, np.ndarray] = {}
    # age at base round (kept households) or this round (replacements)
    age0 = np.clip(np.round(50 + 13.5 * _z(u[:, 9])), 20, 92)
    age = np.where(d.replaced, age0, age0 + (survey_round - BASE_ROUND))
    out["head_age"] = np.clip(age, 18, 105).astype(np.int64)
    out["birth_year"] = (survey_round - 543) - out["head_age"]
    out["head_male"] = u[:, 8] < 0.78
    size_p = np.array([0.12, 0.22, 0.25, 0.20, 0.11, 0.05, 0.025, 0.013, 0.008, 0.004])
    size = _pick(u[:, 10], size_p) + 1
    out["hh_size"] = size.astype(np.int64)
    muslim = u[:, 11] < f["muslim_share"].to_numpy()[vix]
    rel = np.where(muslim, 1, np.where(u[:, 11] > 0.995, 2, 0))
    rel = np.where((rel == 0) & (u[:, 11] > 0.998), 3, rel)
    out["religion"] = rel.astype(np.int16)
    occp = f[[f"occ_p{k}" for k in range(len(OCCUPATIONS))]].to_numpy()[vix]
    occ = _pick(u[:, 12], occp)
    old_none = (out["head_age"] >= 68) & (u[:, 19] < 0.45)
    occ = np.where(old_none, OCCUPATIONS.index("none"), occ)
    out["occupation"] = occ.astype(np.int16)
    out["coastal"] = f["amphoe_code"].isin(COASTAL).to_numpy()[vix]
    out["mountain"] = f["amphoe_code"].isin(MOUNTAIN).to_numpy()[vix]
    out["basin"] = f["amphoe_code"].isin(BASIN).to_numpy()[vix]
    out["muslim"] = muslim
    out["phone_present"] = u[:, 15] < 0.62
    pref = np.array([6, 8, 9])[(u[:, 16] * 3).astype(int).clip(0, 2)]
    out["phone"] = pref * 10**8 + (u[:, 17].astype(np.float64) * 1e8).astype(np.int64)
    return out


def _given(u: np.ndarray, male: np.ndarray, muslim: np.ndarray) -> np.ndarray:
    lists = [np.array(names.FEMALE_GIVEN, dtype=object), np.array(names.MALE_GIVEN, dtype=object),
             np.array(names.MUSLIM_FEMALE_GIVEN, dtype=object),
             np.array(names.MUSLIM_MALE_GIVEN, dtype=object)]
    out = np.empty(len(u), dtype=object)
    for k, arr in enumerate(lists):
        m = (male == bool(k % 2)) & (muslim == (k >= 2))
        out[m] = arr[(u[m] * len(arr)).astype(int).clip(0, len(arr) - 1)]
    return out


def _surname(u: np.ndarray, muslim: np.ndarray) -> np.ndarray:
    a = np.array(names.SURNAMES, dtype=object)
    b = np.array(names.MUSLIM_SURNAMES, dtype=object)
    return np.where(muslim, b[(u * len(b)).astype(int).clip(0, len(b) - 1)],
                    a[(u * len(a)).astype(int).clip(0, len(a) - 1)])


def _roster(frame: pd.DataFrame, d: _Draws, hh: dict[str, np.ndarray], lat_h: np.ndarray,
            survey_round: int) -> dict[str, np.ndarray]:
    """Roster (flat, one row per member) and per-household aggregates written into ``hh``."""
    n = len(d.vidx)
    mu = d.mu
    m = MAX_MEMBERS
    j = np.arange(m)[None, :]
    valid = j < hh["hh_size"][:, None]
    head_age = hh["head_age"][:, None].astype(np.float64)
    head_male = hh["head_male"][:, None]
    # relation: 0 head 1 spouse 2 child 3 parent 4 grandchild 5 other
    ur = mu[:, :, 0]
    p_young = np.array([0.85, 0.08, 0.0, 0.07])   # child, parent, grandchild, other
    p_mid = np.array([0.70, 0.03, 0.20, 0.07])
    p_old = np.array([0.45, 0.0, 0.45, 0.10])
    grp = np.select([hh["head_age"] < 45, hh["head_age"] < 60], [0, 1], 2)
    other = np.zeros((n, m), dtype=np.int64)
    for g, pg in enumerate((p_young, p_mid, p_old)):
        sel = grp == g
        other[sel] = _pick(ur[sel], pg)
    rel = np.array([2, 3, 4, 5])[other]
    spouse = (j == 1) & (ur < 0.82) & (head_age >= 20)
    rel = np.where(spouse, 1, rel)
    rel[:, 0] = 0
    # sex
    male = mu[:, :, 1] < 0.5
    male = np.where(rel == 1, ~head_male, male)
    male[:, 0] = hh["head_male"]
    # age at this round
    ua = mu[:, :, 2].astype(np.float64)
    za = _z(mu[:, :, 2])
    age = np.select(
        [rel == 1, rel == 2, rel == 3, rel == 4],
        [head_age + np.where(head_male, -3.0, 3.0) + 4 * za,
         head_age - 20 - ua * np.minimum(24, np.maximum(head_age - 20, 0)),
         head_age + 20 + ua * 12,
         ua * 18],
        ua * 70 + 5)
    age = np.where(rel == 1, np.maximum(age, 18), age)
    age = np.clip(np.round(age), 0, 104)
    age[:, 0] = hh["head_age"]
    # household human latent (base) for education and health
    lh = lat_h[:, None]
    # education: 0 none 1 primary 2 lower_sec 3 upper_sec 4 vocational 5 bachelor 6 in_school
    ue = mu[:, :, 3]
    x = 0.6 * lh + 0.8 * _z(ue) - 0.025 * (age - 45)
    cuts = ndtri(np.cumsum([0.08, 0.55, 0.13, 0.11, 0.06]))
    edu = np.searchsorted(cuts, x.reshape(-1)).reshape(n, m)
    in_school = (age >= 6) & ((age <= 17) | ((age <= 22) & (ue < 0.55 * ndtr(0.5 * lh))))
    dropped = (age >= 15) & (age <= 17) & (ue > 0.93)
    edu = np.where(in_school & ~dropped, 6, edu)
    edu = np.where(dropped, np.minimum(edu, 2), edu)
    edu = np.where(age < 6, 0, edu)
    # occupation
    uo = mu[:, :, 4]
    hocc = hh["occupation"][:, None]
    alt = np.array([5, 6, 5, 7, 5, 6, 5, 4])[(uo * 8).astype(int).clip(0, 7)]
    occ = np.where(uo < 0.55, hocc, alt)
    occ = np.where((edu == 5) & (uo > 0.5), 7, occ)
    none = OCCUPATIONS.index("none")
    occ = np.where((age < 15) | (edu == 6) | ((age >= 65) & (uo < 0.6)), none, occ)
    occ[:, 0] = hh["occupation"]
    # health: 0 healthy 1 chronic 2 disabled 3 bedridden
    uh = mu[:, :, 5].astype(np.float64)
    p_chr = np.select([age < 40, age < 60, age < 70], [0.03, 0.12, 0.28], 0.38)
    p_dis = np.where(age >= 70, 0.045, 0.015)
    p_bed = np.where(age >= 70, 0.05, 0.002)
    scale = np.exp(-0.4 * lh)
    p_chr, p_dis, p_bed = p_chr * scale, p_dis * scale, p_bed * scale
    health = np.select([uh < p_bed, uh < p_bed + p_dis, uh < p_bed + p_dis + p_chr], [3, 2, 1], 0)
    # names (only for real members)
    flat = valid.reshape(-1)
    hrow = np.repeat(np.arange(n), m)[flat]
    muslim = hh["muslim"][hrow]
    given = _given(mu[:, :, 6].reshape(-1)[flat], male.reshape(-1)[flat], muslim)
    own = _surname(mu[:, :, 8].reshape(-1)[flat], muslim)
    sur = _surname(d.uid[:, 14], hh["muslim"])[hrow]
    u7 = mu[:, :, 7]
    keep_s = np.select([rel == 1, rel == 3, rel == 4, rel == 5],
                       [u7 < 0.85, u7 < 0.5, u7 < 0.6, u7 < 0.3], True)
    keep_s[:, 0] = True
    full = given + " " + np.where(keep_s.reshape(-1)[flat], sur, own)
    is_head = rel.reshape(-1)[flat] == 0
    # national IDs: first digit 1 (born 1984+) or 3; replacement households 4-8 by round
    birth = (survey_round - 543) - age
    first = np.where(birth >= 1984, 1, 3)
    rep_digit = 4 + ((survey_round - BASE_ROUND) // 2) % 5
    first = np.where(d.replaced[:, None], rep_digit, first)
    amph2 = frame["amphoe_code"].str.slice(2, 4).astype(int).to_numpy()[d.vidx]
    prov = int(frame["amphoe_code"].iloc[0][:2])
    vseq = frame["village_seq"].to_numpy()[d.vidx]
    serial = (vseq[:, None] * 10_000 + d.slot[:, None].astype(np.int64) * 10 + j)
    body = first.astype(np.int64) * 10**11 + prov * 10**9 + amph2[:, None] * 10**7 + serial
    pid = body * 10 + _pid_check(body)
    pid_missing = ((age < 7) & (mu[:, :, 9] < 0.3)) | ((age >= 7) & (mu[:, :, 9] < 0.004))
    pid_missing[:, 0] = False
    # aggregates
    hh["head_pid"] = pid[:, 0]
    hh["head_name"] = full[is_head]
    hh["head_edu"] = edu[:, 0]
    hh["working_age"] = (valid & (age >= 15) & (age <= 59)).sum(axis=1)
    hh["chronic_ill"] = (valid & ((health == 1) | (health == 3))).sum(axis=1)
    hh["disabled"] = (valid & (health == 2)).sum(axis=1)
    hh["illiterate_wa"] = (valid & (age >= 15) & (age <= 59) & (edu == 0)).any(axis=1)
    hh["n_old"] = (valid & (age >= 60)).sum(axis=1)
    return {
        "hh_row": hrow,
        "m_name": full,
        "m_pid": pid.reshape(-1)[flat],
        "m_pid_missing": pid_missing.reshape(-1)[flat],
        "m_relation": rel.reshape(-1)[flat].astype(np.int16),
        "m_sex": np.where(male.reshape(-1)[flat], 0, 1).astype(np.int16),
        "m_age": age.reshape(-1)[flat].astype(np.int64),
        "m_edu": edu.reshape(-1)[flat].astype(np.int16),
        "m_occupation": occ.reshape(-1)[flat].astype(np.int16),
        "m_health": health.reshape(-1)[flat].astype(np.int16),
    }


class _Cols:
    """Hands out round-uniform columns in a fixed order."""

    def __init__(self, ur: np.ndarray, start: int = 2) -> None:
        self.ur = ur
        self.k = start

    def __call__(self) -> np.ndarray:
        if self.k >= self.ur.shape[1]:
            raise RuntimeError("synth: ran out of round uniforms; raise _K_R")
        col = self.ur[:, self.k]
        self.k += 1
        return col


def _multi(lat: np.ndarray, nxt: _Cols, probs: list[np.ndarray | float], a: float
           ) -> np.ndarray:
    return np.column_stack([_binary(lat, nxt(), p, a) for p in probs])


def _household_items(frame: pd.DataFrame, d: _Draws, hh: dict[str, np.ndarray],
                     lat: np.ndarray, survey_round: int, welfare_share: np.ndarray
                     ) -> dict[str, Any]:
    """Answers of the household form (codes, numbers, bool matrices); NaN/-1 = blank."""
    nxt = _Cols(d.ur)
    n = len(d.vidx)
    years = survey_round - BASE_ROUND
    L = {c: lat[:, k] for k, c in enumerate(CAPITALS)}
    occ = hh["occupation"]
    agri = _AGRI[occ]
    fishing = occ == OCCUPATIONS.index("fishing")
    a: dict[str, Any] = {}
    # human
    a["hum_health_check"] = _binary(L["human"], nxt(), 0.6, 0.5)
    a["hum_literacy"] = _binary(L["human"], nxt(), 0.93, 0.4) & ~hh["illiterate_wa"]
    a["hum_skills"] = _multi(L["human"], nxt, [
        np.where(agri, 0.75, 0.2), np.where(fishing, 0.85, np.where(hh["coastal"], 0.12, 0.02)),
        0.10, np.where(occ == 6, 0.8, 0.15), 0.12, 0.2, min(0.02 + 0.02 * max(years, 0), 0.4)],
        0.4)
    a["hum_training"] = _count(L["human"], nxt(), nxt(), 1.0, 0.5, 0.6, 50)
    # physical
    land = np.where(agri, np.exp(np.log(12) + 0.35 * L["physical"] + 0.6 * _z(nxt())),
                    np.where(nxt() < 0.3, np.exp(np.log(3) + 0.5 * _z(nxt())), 0.0))
    land = np.clip(np.round(land * 4) / 4, 0, 500)
    a["phy_land_rai"] = land
    ten = _ordinal(L["physical"], nxt(), [0.10, 0.15, 0.20, 0.55], 0.5)  # rented..title_deed
    tenure = np.array([3, 2, 1, 0])[ten]            # -> choice index in tenure list
    a["phy_land_tenure"] = np.where(land > 0, tenure, 4)
    a["phy_house"] = np.array([3, 2, 1, 0])[_ordinal(L["physical"], nxt(),
                                                     [0.03, 0.12, 0.45, 0.40], 0.6)]
    a["phy_assets"] = _multi(L["physical"], nxt, [
        0.85, 0.3, np.where(occ == 1, 0.4, 0.06), np.where(fishing, 0.7, 0.02),
        np.where((occ == 1) | (occ == 2), 0.4, 0.1), np.where(occ == 0, 0.85, 0.05),
        np.where(occ == 6, 0.6, 0.05)], 0.45)
    a["phy_occupation"] = occ
    a["phy_electricity"] = _binary(L["physical"], nxt(), 0.985, 0.3)
    a["phy_internet"] = _binary(L["physical"], nxt(), min(0.08 + 0.06 * max(years, 0), 0.9), 0.5)
    a["phy_road"] = np.array([2, 1, 0])[_ordinal(L["physical"], nxt(), [0.15, 0.35, 0.5], 0.5)]
    # financial
    infl = 1.04 ** years
    inc = 110_000 * infl * _INCOME_MULT[occ] * np.exp(0.45 * L["financial"] + 0.5 * _z(nxt()))
    a["fin_income_year"] = np.clip(np.round(inc, -2), 6_000, 9_000_000)
    src = _multi(L["financial"], nxt, [
        np.where(agri | fishing, 0.95, 0.15), np.where(occ == 5, 0.95, 0.35),
        np.where(occ == 6, 0.9, 0.1), np.where(occ == 7, 0.95, 0.06), 0.3,
        np.where(hh["n_old"] > 0, 0.8, 0.1)], 0.3)
    empty = ~src.any(axis=1)
    src[empty, 0] = True
    a["fin_income_sources"] = src
    a["fin_expense_year"] = np.clip(np.round(a["fin_income_year"]
                                             * np.exp(-0.15 + 0.25 * _z(nxt())), -2), 0, 9_900_000)
    sav = 20_000 * infl * np.exp(0.8 * L["financial"] + 0.9 * _z(nxt()))
    sav = np.where(_binary(L["financial"], nxt(), 0.85, 0.5), sav, 0.0)
    a["fin_savings"] = np.clip(np.round(sav, -2), 0, 19_000_000)
    has_debt = _binary(-L["financial"], nxt(), 0.62, 0.25)
    a["fin_has_debt"] = has_debt
    debt = 80_000 * infl * np.exp(0.3 * L["physical"] + 0.8 * _z(nxt()))
    a["fin_debt"] = np.where(has_debt, np.clip(np.round(debt, -3), 1_000, 19_000_000), np.nan)
    # debt source: bank, baac, village_fund, coop, informal (informal for low latent)
    ds = _pick(nxt(), np.array([0.10, 0.36, 0.25, 0.15, 0.14]))
    informal = _binary(-L["financial"], nxt(), 0.12, 0.5)
    ds = np.where(informal, 4, np.where(ds == 4, 1, ds))
    a["fin_debt_source"] = np.where(has_debt, ds, -1)
    fund = _multi(L["financial"], nxt, [0.55, 0.35, welfare_share[d.vidx], 0.15, 0.2], 0.4)
    a["fin_fund_member"] = fund
    a["fin_accounts"] = _binary(L["financial"], nxt(), 0.25, 0.5)
    # social
    a["soc_groups"] = _count(L["social"], nxt(), nxt(), 1.8, 0.5, 0.4, 20)
    a["soc_forum"] = _ordinal(L["social"], nxt(), [0.15, 0.45, 0.25, 0.15], 0.65)
    a["soc_mutual_help"] = _ordinal(L["social"], nxt(), [0.10, 0.40, 0.30, 0.20], 0.55)
    a["soc_volunteer"] = _binary(L["social"], nxt(), 0.2, 0.55)
    a["soc_leader"] = _binary(L["social"] + 0.15 * (a["soc_groups"] - 1.8), nxt(), 0.12, 0.6)
    a["soc_trust"] = _ordinal(L["social"], nxt(), [0.03, 0.10, 0.35, 0.35, 0.17], 0.5)
    a["soc_help_received"] = _binary(L["social"], nxt(), 0.45, 0.4)
    # cultural
    rel = hh["religion"]
    bud = rel == 0
    a["cul_religion"] = rel
    a["cul_religious_events"] = _count(L["cultural"], nxt(), nxt(),
                                       np.where(rel == 1, 40.0, 12.0), 0.4, 0.5, 365)
    a["cul_traditions"] = _multi(L["cultural"], nxt, [
        np.where(bud, 0.85, 0.05), np.where(bud, 0.4, 0.01), np.where(bud, 0.4, 0.03),
        np.where(bud, 0.6, 0.2), np.where(bud, 0.55, 0.15), np.where(rel == 1, 0.8, 0.0)], 0.45)
    a["cul_community_events"] = _count(L["cultural"], nxt(), nxt(), 6.0, 0.5, 0.5, 100)
    a["cul_performing_arts"] = _binary(L["cultural"], nxt(), np.where(bud, 0.06, 0.01), 0.5)
    a["cul_transmit"] = _binary(L["cultural"], nxt(), 0.55, 0.55)
    # wisdom
    a["wis_knowledge"] = _multi(L["wisdom"], nxt, [
        0.25, 0.06, 0.03, 0.03, np.where(hh["coastal"], 0.005, 0.01),
        np.where(fishing, 0.5, np.where(hh["coastal"], 0.1, 0.02)), 0.12, 0.2], 0.5)
    a["wis_practised"] = _ordinal(L["wisdom"], nxt(), [0.25, 0.40, 0.25, 0.10], 0.6)
    a["wis_taught"] = _count(L["wisdom"], nxt(), nxt(), 1.2, 0.7, 0.8, 500)
    a["wis_income"] = _binary(L["wisdom"], nxt(), 0.08, 0.55)
    a["wis_recorded"] = _binary(L["wisdom"], nxt(), 0.07, 0.5)
    a["wis_herbal_use"] = _ordinal(L["wisdom"], nxt(), [0.2, 0.45, 0.25, 0.1], 0.5)
    a["wis_sufficiency"] = _ordinal(L["wisdom"], nxt(), [0.35, 0.5, 0.15], 0.55)
    # natural
    a["nat_water"] = np.array([2, 1, 0])[_ordinal(L["natural"], nxt(), [0.1, 0.4, 0.5], 0.5)]
    a["nat_forest"] = _binary(L["natural"], nxt(), np.where(hh["mountain"], 0.45, 0.15), 0.5)
    a["nat_fishery"] = _binary(L["natural"], nxt(), np.where(hh["coastal"], 0.6, 0.2), 0.4)
    a["nat_conservation"] = _binary(L["natural"], nxt(), 0.2, 0.55)
    a["nat_chemicals"] = np.array([2, 1, 0])[_ordinal(L["natural"], nxt(), [0.45, 0.4, 0.15], 0.5)]
    a["nat_disasters"] = _multi(-L["natural"], nxt, [
        np.where(hh["basin"] | hh["coastal"], 0.45, 0.2), 0.15, np.where(hh["coastal"], 0.25, 0.1),
        np.where(hh["mountain"], 0.05, 0.005)], 0.2)
    a["nat_waste"] = np.array([3, 2, 1, 0])[_ordinal(L["natural"], nxt(),
                                                     [0.08, 0.55, 0.2, 0.17], 0.5)]
    a["nat_trees"] = _count(L["natural"], nxt(), nxt(), 5.0, 0.6, 1.0, 5000)
    a["_next"] = nxt
    return a


# ----------------------------------------------------------------------------------------------
# formatting
# ----------------------------------------------------------------------------------------------
_SMALL_INTS = np.array([str(i) for i in range(1000)], dtype=object)


def _fmt_int(x: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Integers as strings; small ones share cached string objects (memory)."""
    v = np.nan_to_num(np.asarray(x, dtype=np.float64)).astype(np.int64)
    small = (v >= 0) & (v < 1000)
    if small.all():
        out = _SMALL_INTS[v]
    else:
        out = np.empty(len(v), dtype=object)
        out[small] = _SMALL_INTS[v[small]]
        out[~small] = list(map(str, v[~small].tolist()))
    if missing is not None:
        out[missing] = ""
    return out


def _fmt_dec(x: np.ndarray) -> np.ndarray:
    """Decimals as Kobo writes them: integers without a decimal point, else shortest form."""
    miss = np.isnan(x)
    v = np.nan_to_num(x)
    whole = v == np.round(v)
    out = _fmt_int(np.where(whole, v, 0))
    out[~whole] = [f"{f:g}" for f in v[~whole].tolist()]
    out[miss] = ""
    return out


class _Table:
    """Columns of one export table as object arrays of strings, in order."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.cols: dict[str, np.ndarray] = {}
        self.numeric: set[str] = set()

    def add(self, header: str, values: np.ndarray, numeric: bool = False) -> None:
        if len(values) != self.n:
            raise RuntimeError(f"synth: column {header} has {len(values)} rows, not {self.n}")
        self.cols[header] = values
        if numeric:
            self.numeric.add(header)


def _choice_names(list_name: str, form: str) -> np.ndarray:
    return np.array(list(instrument.choices(list_name, form)["name"]) + [""], dtype=object)


def _add_question(t: _Table, q: pd.Series, value: Any, form: str,
                  missing: np.ndarray | None) -> None:
    """Format one question (and its select_multiple dummies) into ``t``."""
    n = t.n
    miss = np.zeros(n, dtype=bool) if missing is None else missing
    typ = q["type"]
    if typ == "select_one":
        names_ = _choice_names(q["list_name"], form)
        codes = np.asarray(value)
        if codes.dtype == bool:  # yes/no
            codes = np.where(codes, 0, 1)
        codes = np.where(miss | (codes < 0), len(names_) - 1, codes)
        t.add(q["header"], names_[codes])
    elif typ == "select_multiple":
        names_ = list(instrument.choices(q["list_name"], form)["name"])
        mat = np.asarray(value, dtype=bool)
        has_none = "none" in names_ and mat.shape[1] == len(names_) - 1
        if has_none:
            none_col = ~mat.any(axis=1)
            mat = np.column_stack([mat, none_col])
        k = mat.shape[1]
        if k != len(names_):
            raise RuntimeError(f"synth: {q['name']} has {k} options, list has {len(names_)}")
        code = (mat.astype(np.int64) << np.arange(k)).sum(axis=1)
        table = np.array([" ".join(nm for b, nm in enumerate(names_) if c >> b & 1)
                          for c in range(1 << k)], dtype=object)
        main = table[code]
        main[miss] = ""
        t.add(q["header"], main)
        for b, nm in enumerate(names_):
            col = np.where(mat[:, b], "1", "0").astype(object)
            col[miss] = ""
            t.add(f"{q['header']}/{nm}", col, numeric=True)
    elif typ == "integer":
        v = np.asarray(value, dtype=np.float64)
        t.add(q["header"], _fmt_int(v, miss | np.isnan(v)), numeric=True)
    elif typ == "decimal":
        v = np.asarray(value, dtype=np.float64).copy()
        v[miss] = np.nan
        t.add(q["header"], _fmt_dec(v), numeric=True)
    else:
        v = np.asarray(value, dtype=object).copy()
        v[miss] = ""
        t.add(q["header"], v)


_CLOCK = np.array([f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60)
                   for s in range(60)], dtype=object)


def _dates(day: np.ndarray) -> np.ndarray:
    """Days since 1970 to ``YYYY-MM-DD`` strings (one strftime per distinct day)."""
    uniq, inv = np.unique(day, return_inverse=True)
    tab = np.asarray(pd.to_datetime(uniq, unit="D").strftime("%Y-%m-%d"), dtype=object)
    return tab[inv.reshape(-1)]


def _timestamps(sec: np.ndarray, suffix: str = "") -> np.ndarray:
    """Seconds since 1970 to ``YYYY-MM-DDTHH:MM:SS`` + suffix."""
    sec = np.asarray(sec, dtype=np.int64)
    day, sod = np.divmod(sec, 86400)
    return _dates(day) + ("T" + _CLOCK[sod]) + suffix


def _iso_local(sec: np.ndarray) -> np.ndarray:
    """Seconds since 1970 (local +07:00 wall time) to Kobo start/end strings."""
    return _timestamps(sec, ".000+07:00")


def _uuid_str(bits: np.ndarray) -> np.ndarray:
    """Two uint64 per row to uuid4 strings (version and variant bits set)."""
    a = (bits[:, 0] & np.uint64(0xFFFFFFFFFFFF0FFF)) | np.uint64(0x4000)
    b = (bits[:, 1] & np.uint64(0x3FFFFFFFFFFFFFFF)) | np.uint64(0x8000000000000000)
    out = []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        h = f"{x:016x}{y:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return np.array(out, dtype=object)


def _version_string(form_version: str, survey_round: int) -> str:
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    rng = np.random.default_rng([int(survey_round), sum(form_version.encode())])
    return "v" + "".join(alphabet[i] for i in rng.integers(0, len(alphabet), 22))


# ----------------------------------------------------------------------------------------------
# error injection
# ----------------------------------------------------------------------------------------------
_HH_KINDS = ("out_of_range", "bad_choice", "missing_required", "invalid_pid", "unknown_village",
             "duplicate_uuid", "thai_digits")
_M_KINDS = ("orphan_parent", "out_of_range", "bad_choice", "invalid_pid")
_V_KINDS = ("out_of_range", "bad_choice")


def _corrupt_pid(pid: str) -> str:
    return pid[:-1] + str((int(pid[-1]) + 1 + int(pid[-2]) % 8) % 10) if pid else pid


def _inject(tables: dict[str, _Table], rate: float, seed: int, survey_round: int
            ) -> list[dict[str, Any]]:
    """Modify the tables in place; return one record per injected error."""
    rng = np.random.default_rng([seed, survey_round, 0xE77])
    rec: list[dict[str, Any]] = []

    def rows_for(t: _Table, kinds: Sequence[str]) -> list[tuple[int, str]]:
        k = min(t.n, max(len(kinds), int(round(rate * t.n))))
        rows = rng.permutation(t.n)[:k]
        return [(int(r), kinds[i % len(kinds)]) for i, r in enumerate(rows)]

    def put(file: str, t: _Table, r: int, col: str, val: str, kind: str, valid: bool = False,
            record: bool = True) -> None:
        old = t.cols[col][r]
        t.cols[col][r] = val
        if record:
            rec.append({"file": file, "row": r + 1, "column": col, "kind": kind,
                        "original": old, "value": val, "valid": valid})

    hh = tables["household"]
    err_rows = rows_for(hh, _HH_KINDS)
    hit = {r for r, _ in err_rows}
    uuids_orig = hh.cols["_uuid"].copy()
    for i, (r, kind) in enumerate(err_rows):
        if kind == "out_of_range":
            col, val = [("hh/head_age", "150"), ("human/hum_training", "75"),
                        ("physical/phy_land_rai", "-3"),
                        ("financial/fin_income_year", "25000000"),
                        ("cultural/cul_religious_events", "400")][i % 5]
            put("household", hh, r, col, val, kind)
        elif kind == "bad_choice":
            col, val = [("physical/phy_house", "good"), ("social/soc_forum", "weekly"),
                        ("human/hum_edu_head", "phd")][i % 3]
            put("household", hh, r, col, val, kind)
        elif kind == "missing_required":
            col = ["hh/consent", "hh/interview_date", "hh/head_sex"][i % 3]
            put("household", hh, r, col, "", kind)
        elif kind == "invalid_pid":
            put("household", hh, r, "hh/head_pid", _corrupt_pid(hh.cols["hh/head_pid"][r]), kind)
        elif kind == "unknown_village":
            code = hh.cols["hh/village_code"][r]
            put("household", hh, r, "hh/village_code", code[:4] + "99" + code[6:], kind)
        elif kind == "duplicate_uuid":
            src = next((s for s in list(range(r - 1, -1, -1)) + list(range(r + 1, hh.n))
                        if s not in hit), None)
            if src is not None:
                put("household", hh, r, "_uuid", uuids_orig[src], kind)
        elif kind == "thai_digits":
            col = ["hh/head_age", "social/soc_groups", "financial/fin_income_year"][i % 3]
            val = hh.cols[col][r]
            if val:
                put("household", hh, r, col, val.translate(_THAI_DIGITS), kind, valid=True)
    mt = tables["member"]
    for i, (r, kind) in enumerate(rows_for(mt, _M_KINDS)):
        if kind == "orphan_parent":
            put("member", mt, r, "_parent_index", str(hh.n + 1000 + i), kind)
            bits = rng.integers(0, 2**63, size=(1, 2), dtype=np.int64).astype(np.uint64)
            put("member", mt, r, "_submission__uuid", _uuid_str(bits)[0], kind, record=False)
            put("member", mt, r, "_submission__id", str(10**9 + i), kind, record=False)
        elif kind == "out_of_range":
            put("member", mt, r, "member/m_age", "135", kind)
        elif kind == "bad_choice":
            put("member", mt, r, "member/m_relation", "boss", kind)
        elif kind == "invalid_pid":
            pid = mt.cols["member/m_pid"][r] or mt.cols["_pid_all"][r]
            put("member", mt, r, "member/m_pid", _corrupt_pid(pid), kind)
    vt = tables["village"]
    for _i, (r, kind) in enumerate(rows_for(vt, _V_KINDS)):
        if kind == "out_of_range":
            put("village", vt, r, "village/vil_population", "0", kind)
        else:
            put("village", vt, r, "planning/vil_master_plan", "maybe", kind)
    return rec


# ----------------------------------------------------------------------------------------------
# writers
# ----------------------------------------------------------------------------------------------
def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_csv(path: Path, t: _Table, chunk: int = 20_000) -> None:
    """Kobo CSV: ``;``-separated, every field quoted, UTF-8 without BOM, CRLF."""
    headers = [h for h in t.cols if not h.startswith("_pid_all")]
    cols = [t.cols[h] for h in headers]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write('"' + '";"'.join(h.replace('"', '""') for h in headers) + '"\r\n')
            for lo in range(0, t.n, chunk):
                part = [c[lo:lo + chunk].tolist() for c in cols]
                text = '"' + '"\r\n"'.join(map('";"'.join, zip(*part, strict=True))) + '"\r\n'
                if text.count('"') != 2 * len(cols) * len(part[0]):  # a value holds a quote
                    text = "".join('"' + '";"'.join(v.replace('"', '""') for v in row) + '"\r\n'
                                   for row in zip(*part, strict=True))
                fh.write(text)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _xlsx_value(v: str, numeric: bool) -> Any:
    if v == "":
        return None
    if numeric and v.isascii():  # Thai digits stay text, as a Kobo user typed them
        try:
            f = float(v)
        except ValueError:
            return v
        return int(f) if f.is_integer() and "." not in v else f
    return v


def _write_xlsx(path: Path, sheets: list[tuple[str, _Table]]) -> None:
    """Kobo-style XLSX through openpyxl write-only mode, with fixed zip timestamps."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    fixed = pd.Timestamp("2000-01-01").to_pydatetime()
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "abcresearch synth"
    for name, t in sheets:
        ws = wb.create_sheet(title=name[:31])
        headers = [h for h in t.cols if not h.startswith("_pid_all")]
        ws.append(headers)
        num = [h in t.numeric for h in headers]
        cols = [t.cols[h] for h in headers]
        for r in range(t.n):
            ws.append([_xlsx_value(c[r], nm) for c, nm in zip(cols, num, strict=True)])
    buf = io.BytesIO()
    wb.save(buf)
    # rewrite the zip with fixed timestamps so the bytes are deterministic
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                              rb"\g<1>2000-01-01T00:00:00Z\g<3>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, data)
    _atomic_write_bytes(path, out.getvalue())


def _write_frame_csv(path: Path, df: pd.DataFrame) -> None:
    _atomic_write_bytes(path, df.to_csv(index=False, lineterminator="\n").encode("utf-8"))


# ----------------------------------------------------------------------------------------------
# main entry
# ----------------------------------------------------------------------------------------------
def synthesize(province: str = "80", survey_round: int = 2549, seed: int = 1,
               out: Path | str = Path("synthetic"), amphoe: Sequence[str] | str | None = None,
               villages: int | Sequence[str] | None = None, households_per_village: int = 150,
               fmt: str = "csv", error_rate: float = 0.0) -> SynthResult:
    """Write a synthetic KoboToolbox export of the instrument for a province.

    Parameters
    ----------
    province : str
        Two-digit province code (default ``"80"``, Nakhon Si Thammarat).
    survey_round : int
        Round as a Buddhist-era year (2549 = 2006 CE); interview dates fall in that year.
    seed : int
        Random seed; same arguments give byte-identical files. The village frame does not depend
        on it; households, effects and answers do.
    out : Path
        Output folder (created).
    amphoe : str or list of str, optional
        Restrict to these amphoe codes.
    villages : int or list of str, optional
        ``None``: all villages (of the chosen amphoe); an int N: a seed-dependent random sample of
        N villages; a list: these 8-digit village codes.
    households_per_village : int
        Households sampled per village (capped by the households in the village).
    fmt : {"csv", "xlsx"}
        Export format. CSV: ``household.csv``, ``member.csv``, ``village.csv`` (Kobo style: ``;``,
        all fields quoted, UTF-8, CRLF). XLSX: ``household.xlsx`` (sheets ``abc_household`` and
        ``member``) and ``village.xlsx`` (sheet ``abc_village``); slow for the full province
        (several minutes), meant for subsets.
    error_rate : float
        Share of rows (per file) given realistic data-entry errors; listed in
        ``_truth/injected_errors.csv`` (``file, row, column, kind, original, value, valid``; ``row``
        is the 1-based data row = ``_index``; ``valid`` marks valid-but-unusual entries such as
        Thai digits).

    Returns
    -------
    SynthResult
        Counts and files written.

    Raises
    ------
    AreaError
        Unknown province, amphoe or village codes.
    InputError
        Invalid numeric arguments or format.
    """
    province = str(province)
    if fmt not in ("csv", "xlsx"):
        raise InputError(f"format {fmt!r} is not csv or xlsx")
    if households_per_village < 1:
        raise InputError("households per village must be at least 1")
    if households_per_village > 999:
        raise InputError("households per village must be at most 999")
    if not 0.0 <= error_rate <= 0.5:
        raise InputError(f"error rate {error_rate} must be between 0 and 0.5")
    if not 2400 <= int(survey_round) <= 2700:
        raise InputError(f"round {survey_round} does not look like a Buddhist-era year")
    survey_round = int(survey_round)
    out = Path(out)
    frame = _select(village_frame(province), seed, amphoe, villages)
    if frame.empty:
        raise AreaError("no villages selected")
    years = survey_round - BASE_ROUND
    ce = survey_round - 543
    hform = instrument.load_form("household")
    vform = instrument.load_form("village")

    d = _draw(frame, seed, survey_round, households_per_village)
    n = len(d.vidx)
    nv = len(frame)
    ttab, teff, _tix = _effects(frame, seed)
    vb = d.vbase
    veff = np.column_stack([_z(vb[:, 0]) * _SD["V_g"]] + [_z(vb[:, 1 + k]) * _SD["V_c"]
                                                          for k in range(7)])
    drift = (0.03 + 0.03 * _z(vb[:, 8])) * years       # per-village trend, latent sd units
    miss_mult = np.where(vb[:, 9] < 0.1, 3.0, 1.0) * np.exp(0.3 * _z(vb[:, 9]))

    # household latent: base (identity) and this round
    hg = _z(d.uid[:, 0]) * _SD["H_g"]
    hc = np.column_stack([_z(d.uid[:, 1 + k]) * _SD["H_c"] for k in range(7)])
    base = (teff[d.vidx, :1] + teff[d.vidx, 1:] + veff[d.vidx, :1] + veff[d.vidx, 1:]
            + hg[:, None] + hc)
    rnoise = _z(d.ur[:, 1])[:, None] * _SD["R"]
    lat = (base + rnoise) / _LATENT_SD + drift[d.vidx, None]
    lat_base = base[:, 0] / _LATENT_SD

    hh = _hh_identity(frame, d, survey_round)
    members = _roster(frame, d, hh, lat_base, survey_round)
    nm = len(members["hh_row"])

    # village form (round stream)
    vr = d.vround
    lv = (teff[:, 0] + veff[:, 0]) / np.sqrt(_SD["T_g"] ** 2 + _SD["V_g"] ** 2) \
        + drift / 0.5
    vh = d.n_total.astype(np.int64)
    welfare_start = 2545 + np.floor(vb[:, 11] * 5).astype(int)
    welfare_years = np.maximum(survey_round - welfare_start, 0)
    welfare_share = np.where(welfare_years > 0,
                             np.clip(0.5 + 0.12 * lv + 0.08 * _z(vr[:, 0]), 0.3, 0.7), 0.0)

    items = _household_items(frame, d, hh, lat, survey_round, welfare_share)
    nxt: _Cols = items.pop("_next")

    # ---- missingness -------------------------------------------------------------------
    cb = instrument.codebook("households")
    miss: dict[str, np.ndarray] = {}
    money_rates = {"fin_income_year": 0.025, "fin_expense_year": 0.03, "fin_savings": 0.04,
                   "fin_debt": 0.035}
    mm = miss_mult[d.vidx]
    for name in cb.loc[cb["capital"].notna(), "name"]:
        u = nxt()
        rate = money_rates.get(name, 0.003)
        miss[name] = u < rate * mm
    miss["phone"] = ~hh["phone_present"]
    has_debt_ans = ~miss["fin_has_debt"] & items["fin_has_debt"]
    miss["fin_debt"] = miss["fin_debt"] | ~has_debt_ans
    miss["fin_debt_source"] = miss["fin_debt_source"] | ~has_debt_ans

    # ---- times -------------------------------------------------------------------------
    epoch_day = (pd.Timestamp(f"{ce}-03-01") - pd.Timestamp("1970-01-01")).days
    field_day = epoch_day + np.floor(vr[:, 1] * 120).astype(np.int64)
    hday = field_day[d.vidx] + np.floor(nxt() * np.minimum(6, 1 + d.n_sampled[d.vidx] / 40)
                                        ).astype(np.int64)
    start = hday * 86400 + (8 * 3600 + np.floor(nxt() * 9 * 3600)).astype(np.int64)
    end = start + (25 * 60 + np.floor(nxt() * 35 * 60)).astype(np.int64)
    sub = end - 7 * 3600 + np.floor(nxt() * 10 * 86400).astype(np.int64)
    idate = _dates(hday)
    # free the big draw matrices before building string columns (peak memory)
    uuids_bits = d.uuids
    del nxt, base, hc, lat, rnoise
    d.ur = d.mu = d.uid = np.empty((0, 0), dtype=np.float32)

    # ---- household table ----------------------------------------------------------------
    vcode = frame["village_code"].to_numpy()[d.vidx]
    values: dict[str, Any] = {
        "start": _iso_local(start), "end": _iso_local(end), "village_code": vcode,
        "interview_date": np.asarray(idate, dtype=object),
        "consent": np.zeros(n, dtype=np.int16),
        "head_name": hh["head_name"],
        "head_pid": np.array(list(map(str, hh["head_pid"].tolist())), dtype=object),
        "phone": np.array(["0" + p for p in map(str, hh["phone"].tolist())], dtype=object),
        "head_sex": np.where(hh["head_male"], 0, 1), "head_age": hh["head_age"],
        "hh_size": hh["hh_size"], "hum_edu_head": hh["head_edu"],
        "hum_working_age": hh["working_age"], "hum_chronic_ill": hh["chronic_ill"],
        "hum_disabled": hh["disabled"],
    }
    values.update(items)
    ht = _Table(n)
    for q in cb.itertuples(index=False):
        qs = pd.Series(q._asdict())
        _add_question(ht, qs, values[q.name], "household", miss.get(q.name))
    index = np.arange(1, n + 1)
    hid = 10_000_000 * (survey_round - 2540) + index
    huuid = _uuid_str(uuids_bits)
    sub_s = _timestamps(sub)
    enum_no = frame["tambon_code"].str.slice(2).to_numpy()[d.vidx]
    ht.add("_id", _fmt_int(hid), numeric=True)
    ht.add("_uuid", huuid)
    ht.add("_submission_time", sub_s)
    ht.add("_validation_status", np.full(n, "", dtype=object))
    ht.add("_status", np.full(n, "submitted_via_web", dtype=object))
    ht.add("_submitted_by", np.array([f"abc_enum{e}" for e in enum_no], dtype=object))
    ht.add("__version__", np.full(n, _version_string(hform.version, survey_round), dtype=object))
    ht.add("_index", _fmt_int(index), numeric=True)
    del values, items, miss

    # ---- member table --------------------------------------------------------------------
    mcb = instrument.codebook("members")
    r = members["hh_row"]
    pid_s = np.array(list(map(str, members["m_pid"].tolist())), dtype=object)
    mvals = {"m_name": members["m_name"], "m_pid": pid_s,
             "m_relation": members["m_relation"], "m_sex": members["m_sex"],
             "m_age": members["m_age"], "m_edu": members["m_edu"],
             "m_occupation": members["m_occupation"], "m_health": members["m_health"]}
    mmiss = {"m_pid": members["m_pid_missing"]}
    mt = _Table(nm)
    for q in mcb.itertuples(index=False):
        _add_question(mt, pd.Series(q._asdict()), mvals[q.name], "household", mmiss.get(q.name))
    mt.add("_index", _fmt_int(np.arange(1, nm + 1)), numeric=True)
    mt.add("_parent_table_name", np.full(nm, hform.title, dtype=object))
    mt.add("_parent_index", ht.cols["_index"][r].copy(), numeric=True)
    mt.add("_submission__id", ht.cols["_id"][r].copy(), numeric=True)
    mt.add("_submission__uuid", huuid[r].copy())
    mt.add("_submission__submission_time", sub_s[r].copy())
    mt.cols["_pid_all"] = pid_s  # for error injection only; never written
    del mvals, members

    # ---- village table -------------------------------------------------------------------
    vcb = instrument.codebook("villages")
    nvr = _Cols(vr, start=2)
    v_start = field_day * 86400 + 8 * 3600 + np.floor(nvr() * 3 * 3600).astype(np.int64)
    v_end = v_start + (30 * 60 + np.floor(nvr() * 60 * 60)).astype(np.int64)
    v_sub = v_end - 7 * 3600 + np.floor(nvr() * 5 * 86400).astype(np.int64)
    pop = np.round(3.2 * vh * np.exp(0.08 * _z(nvr()))).astype(np.int64)
    gtypes = np.column_stack([_binary(lv, nvr(), p, 0.5)
                              for p in (0.9, 0.7, 0.75, 0.4, 0.55, 0.6, 0.0, 0.25)])
    gtypes[:, 6] = welfare_years > 0
    ngroups = np.maximum(_count(lv, nvr(), nvr(), 6.0, 0.3, 0.3, 100), gtypes.sum(axis=1))
    sav_members = np.round(vh * np.clip(0.35 + 0.1 * lv + 0.1 * _z(nvr()), 0.05, 0.9) * 1.3
                           ).astype(np.int64)
    sav_members = np.where(gtypes[:, 0], sav_members, 0)
    sav_money = np.round(sav_members * 2_500 * np.exp(0.3 * _z(nvr())) * (1 + 0.1 * years), -2)
    wel_members = np.round(welfare_share * vh).astype(np.int64)
    wel_money = np.round(365 * wel_members * welfare_years * np.exp(0.15 * _z(nvr())), -1)
    vf_money = np.round(1_000_000 * (1 + 0.06 * max(ce - 2001, 0)) * np.exp(0.15 * _z(nvr())), -2)
    plan_year = np.clip(np.round(2552 - 3.0 * lv + 2 * _z(vb[:, 10])), 2543, 2600).astype(int)
    has_plan = plan_year <= survey_round
    step = np.clip(np.round(2.5 + 1.3 * lv + 0.8 * _z(nvr()) + 0.4 * years), 0, 6).astype(int)
    step = np.where(has_plan, np.maximum(step, 4), np.minimum(step, 3))
    forums = _count(lv, nvr(), nvr(), 3.0, 0.3, 0.3, 100)
    hm_male = vb[:, 12] < 0.9
    muslim_v = vb[:, 13] < frame["muslim_share"].to_numpy()
    hm_name = _given(vb[:, 14], hm_male, muslim_v) + " " + _surname(vb[:, 15], muslim_v)
    hm_phone = np.array([f"0{p:09d}" for p in
                         (np.array([8, 9, 8, 6])[(vr[:, 30] * 4).astype(int).clip(0, 3)] * 10**8
                          + (vr[:, 31].astype(np.float64) * 1e8).astype(np.int64)).tolist()],
                        dtype=object)
    vvalues = {
        "start": _iso_local(v_start), "end": _iso_local(v_end),
        "village_code": frame["village_code"].to_numpy(dtype=object),
        "village_name": frame["village_name"].to_numpy(dtype=object),
        "survey_date": _dates(field_day),
        "headman_name": hm_name, "headman_phone": hm_phone,
        "vil_households": vh, "vil_population": pop, "vil_groups": ngroups,
        "vil_group_types": gtypes, "vil_savings_members": sav_members,
        "vil_savings_money": sav_money, "vil_welfare_members": wel_members,
        "vil_welfare_money": wel_money, "vil_village_fund_money": vf_money,
        "vil_master_plan": has_plan, "vil_master_plan_year": plan_year,
        "vil_process_step": step, "vil_forums_year": forums,
    }
    vmiss = {"vil_master_plan_year": ~has_plan, "headman_phone": vr[:, 29] < 0.3}
    vt = _Table(nv)
    for q in vcb.itertuples(index=False):
        _add_question(vt, pd.Series(q._asdict()), vvalues[q.name], "village", vmiss.get(q.name))
    vindex = np.arange(1, nv + 1)
    vt.add("_id", _fmt_int(10_000_000 * (survey_round - 2540) + 5_000_000 + vindex), numeric=True)
    vt.add("_uuid", _uuid_str(d.vuuid))
    vt.add("_submission_time", _timestamps(v_sub))
    vt.add("_index", _fmt_int(vindex), numeric=True)

    # ---- errors ---------------------------------------------------------------------------
    tables = {"household": ht, "member": mt, "village": vt}
    injected = _inject(tables, error_rate, seed, survey_round) if error_rate > 0 else []
    del mt.cols["_pid_all"]

    # ---- write -----------------------------------------------------------------------------
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if fmt == "csv":
        for name, t in tables.items():
            p = out / f"{name}.csv"
            _write_csv(p, t)
            files.append(p)
    else:
        p = out / "household.xlsx"
        _write_xlsx(p, [(hform.form_id, ht), ("member", mt)])
        files.append(p)
        p = out / "village.xlsx"
        _write_xlsx(p, [(vform.form_id, vt)])
        files.append(p)

    truth = out / "_truth"
    ttab_out = ttab.copy()
    _write_frame_csv(truth / "tambon_effects.csv", ttab_out)
    vtab = pd.DataFrame({"village_code": frame["village_code"], "tambon_code": frame["tambon_code"],
                         "amphoe_code": frame["amphoe_code"], "effect": veff[:, 0],
                         "total_effect": teff[:, 0] + veff[:, 0]})
    for k, c in enumerate(CAPITALS):
        vtab[f"effect_{c}"] = veff[:, k + 1]
    vtab["drift"] = drift
    vtab["missing_multiplier"] = miss_mult
    vtab["vil_households"] = vh
    vtab["households_sampled"] = d.n_sampled
    vtab["weight"] = vh / d.n_sampled
    _write_frame_csv(truth / "village_effects.csv", vtab)
    files += [truth / "tambon_effects.csv", truth / "village_effects.csv"]
    if error_rate > 0:
        _write_frame_csv(truth / "injected_errors.csv", pd.DataFrame(
            injected, columns=["file", "row", "column", "kind", "original", "value", "valid"]))
        files.append(truth / "injected_errors.csv")
    n_amph = frame["amphoe_code"].nunique()
    n_tam = frame["tambon_code"].nunique()
    note = "\n".join([
        "SYNTHETIC DATA - ข้อมูลสังเคราะห์ ไม่ใช่ข้อมูลจริง",
        "",
        "These files are synthetic. They were generated by `abcresearch synth` and describe no real",
        "households or people; names, phone numbers and national ID numbers are made up.",
        "",
        f"generator: abcresearch synth {GENERATOR_VERSION}",
        f"province: {province}",
        f"round: {survey_round} (BE) = {ce} (CE)",
        f"seed: {seed}",
        f"amphoe: {n_amph}, tambon: {n_tam}, villages: {nv}",
        f"households: {n}, members: {nm}",
        f"households per village (max): {households_per_village}",
        f"format: {fmt}",
        f"error rate: {error_rate}",
        f"instrument versions: household {hform.version}, village {vform.version}",
        "",
        "_truth/ holds the latent effects (ground truth for tests); ingest ignores it.",
        "",
    ])
    _atomic_write_bytes(out / "SYNTHETIC.txt", note.encode("utf-8"))
    files.append(out / "SYNTHETIC.txt")
    return SynthResult(out=out, province=province, survey_round=survey_round, seed=seed, fmt=fmt,
                       n_villages=nv, n_tambons=n_tam, n_amphoes=n_amph, n_households=n,
                       n_members=nm, n_errors=len(injected), files=files)
