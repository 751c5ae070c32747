"""The synthetic village frame of a province: villages, households, amphoe profiles.

The villages of a province are allocated to its official tambon (geothai) with a fixed frame
seed (:data:`FRAME_SEED`), so the village list never depends on the user's seed and every round
shares it. Nakhon Si Thammarat (80) gets exactly 1,551 villages (the provincial table of about
2009) over the tambon of the official list, 4-20 per tambon.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import AreaError
from abcresearch.survey import areas
from abcresearch.synth import names

__all__ = ["BASIN", "COASTAL", "FRAME_SEED", "MOUNTAIN", "OCCUPATIONS", "OCC_PROFILES", "URBAN",
           "VILLAGE_TOTALS", "amphoe_profile", "restrict_amphoe", "village_frame"]

#: Seed of the village frame (never the user's seed: rounds must share villages).
FRAME_SEED = 8_015_549

#: Total villages per province where known (official counts); otherwise 9 per tambon.
VILLAGE_TOTALS = {"80": 1551}

#: Amphoe profiles for Nakhon Si Thammarat (occupations, hazards).
COASTAL = {"8001", "8008", "8012", "8014", "8015", "8016", "8023"}
BASIN = {"8006", "8007", "8012", "8016", "8017", "8023"}
MOUNTAIN = {"8002", "8003", "8004", "8005", "8010", "8011", "8019", "8021"}
URBAN = {"8001"}

OCCUPATIONS = ("rubber", "rice", "orchard", "fishing", "livestock", "wage", "trade", "salaried",
               "none")
#: Occupation mix of an amphoe profile (order of :data:`OCCUPATIONS`).
OCC_PROFILES = {
    "inland": (0.42, 0.07, 0.15, 0.01, 0.04, 0.14, 0.08, 0.06, 0.03),
    "coastal": (0.22, 0.08, 0.12, 0.24, 0.03, 0.13, 0.09, 0.06, 0.03),
    "basin": (0.20, 0.32, 0.10, 0.04, 0.05, 0.14, 0.07, 0.05, 0.03),
    "coastal_basin": (0.15, 0.25, 0.08, 0.20, 0.04, 0.13, 0.07, 0.05, 0.03),
    "urban": (0.15, 0.05, 0.08, 0.04, 0.02, 0.25, 0.19, 0.18, 0.04),
}


def amphoe_profile(amphoe: str) -> str:
    """Return the profile of an amphoe.

    ``urban``, ``coastal_basin``, ``coastal``, ``basin`` or ``inland``.
    """
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
    occ = np.vstack([rng.dirichlet(np.array(OCC_PROFILES[amphoe_profile(a)]) * 40) for a in amph])
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
                   "profile": amphoe_profile(t.parent)}
            row.update({f"occ_p{k}": float(occ[i, k]) for k in range(len(OCCUPATIONS))})
            rows.append(row)
    return pd.DataFrame(rows)


def restrict_amphoe(frame: pd.DataFrame, amphoe: Sequence[str] | str | None) -> pd.DataFrame:
    """Return the villages of the given amphoe codes (all villages when ``amphoe`` is empty).

    Raises
    ------
    AreaError
        An amphoe code not in the frame's province.
    """
    if not amphoe:
        return frame
    codes = [amphoe] if isinstance(amphoe, str) else list(amphoe)
    known = set(frame["amphoe_code"])
    bad = [c for c in codes if str(c) not in known]
    if bad:
        raise AreaError(f"amphoe {bad} not in province {frame['amphoe_code'].iloc[0][:2]}")
    return frame[frame["amphoe_code"].isin([str(c) for c in codes])]

