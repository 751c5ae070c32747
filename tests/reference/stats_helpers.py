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


ROLLOUT_STR = {"amphoe_code": str, "tambon_code": str, "village_code": str, "hh_key": str,
               "amphoe_l": str}


@cache
def frame(name: str) -> pd.DataFrame:
    """Return a stored data set: apistrat, apiclus1, apiclus2, households or rollout*."""
    if name.startswith("rollout"):
        return pd.read_csv(REF / "data" / f"{name}.csv", dtype=ROLLOUT_STR)
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
    """Build the Python twin of the R design called ``name`` in make_reference.R or
    make_multistage_reference.R."""
    if name == "clus2":
        return SurveyDesign(frame("apiclus2"), cluster=["dnum", "snum"], fpc=["fpc1", "fpc2"])
    if name.startswith("roll"):
        data = frame("rollout")
        kw: dict[str, object] = {"weights": "weight", "strata": "amphoe_code",
                                 "cluster": ["village_code", "hh_key"], "fpc": ["N1", "N2"],
                                 "nest": True}
        if name == "roll_uc":
            kw.update(cluster="village_code", fpc=None)
        elif name.startswith("roll_l1_"):
            kw.update(strata="amphoe_l", fpc=["N1_l", "N2"],
                      lonely_psu=name.removeprefix("roll_l1_"))
        elif name.startswith("roll_l2_"):
            data = data[data["keep_l2"] == 1].reset_index(drop=True)
            kw.update(lonely_psu=name.removeprefix("roll_l2_"))
        return SurveyDesign(data, **kw)  # type: ignore[arg-type]
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


def estimate_result(dname: str, estimator: str, var: str, by: str, na_rm: bool) -> pd.DataFrame:
    """Run the estimator of one reference row (estimates.csv layout) on the Python design."""
    d = design(dname)
    b = by or None
    if estimator in ("mean", "total"):
        return getattr(d, estimator)(var, by=b, na_rm=na_rm, deff=True)
    if estimator == "ratio":
        numv, denv = var.split("/")
        return d.ratio(numv, denv, by=b, na_rm=na_rm)
    if estimator == "proportion":
        return d.proportion(var, by=b, na_rm=na_rm)
    if estimator == "ciprop":
        return d.ciprop(var, by=b, na_rm=na_rm)
    if estimator == "quantile":
        return d.quantile(var, q=[0.25, 0.5, 0.9], by=b, na_rm=na_rm)
    raise AssertionError(estimator)


def pick(res: pd.DataFrame, r: pd.Series, category: object = None) -> pd.Series:
    """The row of an estimator result matching reference row ``r``."""
    key: list[object] = []
    if r.by:
        key.append(r.group)
    if r.estimator == "proportion":
        key.append(r.category if category is None else category)
    if r.estimator == "quantile":
        key.append(float(r.q))
    if not key:
        return res.iloc[0]
    return res.loc[tuple(key) if len(key) > 1 else key[0]]
