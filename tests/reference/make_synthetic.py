"""Write the synthetic household sample used by the R reference script.

Run from the project root: ``python tests/reference/make_synthetic.py``. The file
``tests/reference/data/households.csv`` is committed; R reads it in ``make_reference.R``.

Design: 3 tambons (strata) with 8, 6 and 5 sampled villages (clusters, PSUs) out of 30, 22
and 15 villages; about 600 households with weights = village households / households sampled;
a few missing values in ``income``, ``debt`` and ``score``. ``tambon_l`` splits one village of
the third tambon into its own stratum (a lonely PSU) for the lonely-PSU tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def make(seed: int = 20240601) -> pd.DataFrame:
    """Return the synthetic household sample."""
    rng = np.random.default_rng(seed)
    tambons = {"800101": (8, 30), "800102": (6, 22), "800103": (5, 15)}
    rows = []
    for t_i, (tambon, (n_vil, pop_vil)) in enumerate(tambons.items()):
        for v in range(1, n_vil + 1):
            village = f"{tambon}{v:02d}"
            n_hh = int(rng.integers(24, 40))
            pop_hh = n_hh + int(rng.integers(20, 160))
            v_effect = rng.normal(0, 0.35)
            for h in range(n_hh):
                members = int(rng.integers(1, 9))
                income = float(np.exp(rng.normal(11.4 + 0.15 * t_i + v_effect, 0.7)))
                rows.append(
                    {
                        "hh_id": f"{village}{h:03d}",
                        "tambon": tambon,
                        "village": village,
                        "villages_pop": pop_vil,
                        "weight": pop_hh / n_hh,
                        "members": members,
                        "income": round(income, 2),
                        "expense": round(income * rng.uniform(0.5, 1.2), 2),
                        "debt": int(rng.random() < 0.35 + 0.1 * t_i + 0.3 * v_effect),
                        "level": ["low", "mid", "high"][int(rng.choice(3, p=[0.3, 0.5, 0.2]))],
                        "score": float(rng.integers(0, 11)),
                        "round": 2560 if rng.random() < 0.5 else 2564,
                    }
                )
    df = pd.DataFrame(rows)
    n = len(df)
    df.loc[rng.choice(n, 7, replace=False), "income"] = np.nan
    df.loc[rng.choice(n, 5, replace=False), "debt"] = np.nan
    df.loc[rng.choice(n, 4, replace=False), "score"] = np.nan
    lonely_village = "80010305"
    df["tambon_l"] = np.where(df["village"] == lonely_village, "800104", df["tambon"])
    return df


if __name__ == "__main__":
    out = Path(__file__).resolve().parent / "data" / "households.csv"
    make().to_csv(out, index=False)
    print(f"wrote {out}")
