"""Shared loaders for the R reference data used by tests/test_stats_*.py."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch.stats import SurveyDesign

REF = Path(__file__).resolve().parent
RTOL = 1e-8  # relative agreement with R required by the issue


@cache
def frame(name: str) -> pd.DataFrame:
    """Return one of the stored data sets: apistrat, apiclus1 or households."""
    if name == "households":
        df = pd.read_csv(
            REF / "data" / "households.csv",
            dtype={"tambon": str, "village": str, "tambon_l": str, "hh_id": str},
        )
        df["debt01"] = df["debt"]
        df["lowinc"] = (df["income"] / df["members"] < 38000).astype(float)
        df.loc[df["income"].isna(), "lowinc"] = np.nan
        return df
    return pd.read_csv(REF / "data" / f"{name}.csv", dtype={"cds": str})


@cache
def design(name: str) -> SurveyDesign:
    """Build the Python twin of the R design called ``name`` in make_reference.R."""
    if name.startswith("strat"):
        kw = {"weights": "pw", "strata": "stype"}
        data = frame("apistrat")
    elif name.startswith("clus1"):
        kw = {"weights": "pw", "cluster": "dnum"}
        data = frame("apiclus1")
    elif name.startswith("hh_lonely_"):
        kw = {"weights": "weight", "strata": "tambon_l", "cluster": "village",
              "lonely_psu": name.removeprefix("hh_lonely_")}
        data = frame("households")
    else:
        kw = {"weights": "weight", "strata": "tambon", "cluster": "village"}
        data = frame("households")
    if name.endswith("_fpc"):
        kw["fpc"] = "villages_pop" if name.startswith("hh") else "fpc"
    return SurveyDesign(data, **kw)


def read(name: str) -> pd.DataFrame:
    """Read a reference CSV with empty strings for absent labels."""
    df = pd.read_csv(REF / name, keep_default_na=False, na_values=["NA", "NaN"], dtype=str)
    return df


def num(x: object) -> float:
    """Parse an R number written as text (NA/NaN/Inf)."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x in ("", "NA", "NaN"):
        return math.nan
    return float(x)  # type: ignore[arg-type]


def close(got: float, want: float, rtol: float = RTOL, atol: float = 1e-12) -> bool:
    """Both NaN, or equal to ``rtol`` relative (``atol`` for values that are 0 in R)."""
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return abs(got - want) <= rtol * max(abs(want), abs(got)) + atol
