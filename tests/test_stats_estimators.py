"""Estimators against R's survey package (stored reference values) and hand computations."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import close, design, num, read

from abcresearch.stats import SurveyDesign

EST = read("estimates.csv")


def _row_id(r: pd.Series) -> str:
    parts = [r.design, r.estimator, r["var"], r.group or "all", r.category, r.q, f"narm={r.na_rm}"]
    return "-".join(str(p) for p in parts if p not in ("", None) and p == p)


@cache
def _result(dname: str, estimator: str, var: str, by: str, na_rm: bool) -> pd.DataFrame:
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


def _pick(res: pd.DataFrame, r: pd.Series) -> pd.Series:
    key: list[object] = []
    if r.by:
        key.append(r.group)
    if r.estimator == "proportion":
        key.append(r.category)
    if r.estimator == "quantile":
        key.append(float(r.q))
    if not key:
        return res.iloc[0]
    return res.loc[tuple(key) if len(key) > 1 else key[0]]


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in EST.iterrows()], ids=_row_id)
def test_estimate_matches_r(r: pd.Series) -> None:
    """Every stored svymean/svytotal/svyby/svyratio/svyciprop/svyquantile row, to 1e-8."""
    res = _result(r.design, r.estimator, r["var"], r.by, r.na_rm == "TRUE")
    got = _pick(res, r)
    n = int(r.n)
    assert int(got["n"]) == n
    if r.na_rm == "FALSE" and int(r.n_missing) > 0:
        # R returns NA for the estimate but a meaningless partial SE (svyrecvar sums strata
        # with na.rm); we return NaN for both, and still report n and df.
        assert math.isnan(got["estimate"]) and math.isnan(got["se"])
        return
    if n == 0:  # empty domain (all values missing): R gives NA or 0; we give NaN or 0
        assert math.isnan(got["estimate"]) or got["estimate"] == 0
        return
    assert int(got["df"]) == int(r.df)
    cols = ["estimate", "se", "ci_low", "ci_high"]
    if r.estimator in ("mean", "total"):
        cols.append("deff")
    for c in cols:
        assert close(float(got[c]), num(r[c])), (c, float(got[c]), num(r[c]))


def test_srs_mean_matches_textbook() -> None:
    """SRS with replacement (no strata, no clusters, equal weights): se = s / sqrt(n).

    y = 2, 4, 6, 8: mean 5, s^2 = (9 + 1 + 1 + 9) / 3 = 20/3, se = sqrt(20/3/4) = sqrt(5/3);
    df = n - 1 = 3, total = N_hat * mean with N_hat = 4 (weights 1): 20, se = 4 sqrt(5/3).
    """
    d = SurveyDesign(pd.DataFrame({"y": [2.0, 4.0, 6.0, 8.0]}))
    m = d.mean("y")
    assert m.loc["y", "estimate"] == pytest.approx(5.0)
    assert m.loc["y", "se"] == pytest.approx(math.sqrt(5 / 3))
    assert m.loc["y", "df"] == 3
    t = d.total("y")
    assert t.loc["y", "estimate"] == pytest.approx(20.0)
    assert t.loc["y", "se"] == pytest.approx(4 * math.sqrt(5 / 3))
    # 95% interval uses qt(0.975, 3) = 3.182446305284263
    assert m.loc["y", "ci_high"] == pytest.approx(5 + 3.182446305284263 * math.sqrt(5 / 3))


def test_srs_fpc_shrinks_variance() -> None:
    """With fpc N = 8 (fraction 1/2) the variance is multiplied by (1 - 4/8)."""
    df = pd.DataFrame({"y": [2.0, 4.0, 6.0, 8.0], "N": 8})
    d = SurveyDesign(df, fpc="N")
    # weights default to N/n = 2 as in R
    assert np.allclose(d.weights, 2.0)
    assert d.mean("y").loc["y", "se"] == pytest.approx(math.sqrt(5 / 3 * 0.5))
    d2 = SurveyDesign(df.assign(f=0.5), fpc="f")
    assert d2.mean("y").loc["y", "se"] == pytest.approx(math.sqrt(5 / 3 * 0.5))


def test_index_conventions() -> None:
    """Index is the variable name, the category, or the by value(s) named after the column."""
    d = design("hh")
    assert list(d.mean("members").index) == ["members"]
    by = d.mean("members", by="tambon")
    assert by.index.name == "tambon" and list(by.index) == ["800101", "800102", "800103"]
    two = d.mean("members", by=["tambon", "round"])
    assert two.index.names == ["tambon", "round"] and len(two) == 6
    p = d.proportion("level")
    assert p.index.name == "level" and set(p.index) == {"high", "low", "mid"}
    pb = d.proportion("level", by="tambon")
    assert pb.index.names == ["tambon", "level"]
    assert pb.groupby(level="tambon")["estimate"].sum().to_numpy() == pytest.approx(1.0)
    assert list(two.columns[:6]) == ["estimate", "se", "ci_low", "ci_high", "df", "n"]
    assert two.attrs["level"] == 0.95


def test_two_way_by_equals_subset() -> None:
    """by=[a, b] gives the same numbers as a subset design for each cell."""
    d = design("hh")
    two = d.mean("members", by=["tambon", "round"])
    data = d.data
    sub = d.subset((data["tambon"] == "800102") & (data["round"] == 2564)).mean("members")
    assert two.loc[("800102", 2564)].to_numpy() == pytest.approx(sub.iloc[0].to_numpy())


def test_level_changes_interval() -> None:
    """level=0.9 narrows the interval with qt(0.95, df)."""
    d = design("clus1")
    a = d.mean("api00", level=0.9).iloc[0]
    from scipy import stats

    half = stats.t.ppf(0.95, a["df"]) * a["se"]
    assert a["ci_high"] - a["estimate"] == pytest.approx(half)


def test_missing_without_na_rm_gives_nan() -> None:
    """Like R, a domain with missing values and na_rm=False has NaN estimate and se."""
    d = design("hh")
    r = d.mean("income")
    assert math.isnan(r.iloc[0]["estimate"]) and math.isnan(r.iloc[0]["se"])
    assert r.iloc[0]["n"] == d.data["income"].notna().sum()
    assert not math.isnan(d.mean("income", na_rm=True).iloc[0]["estimate"])


def test_quantile_single_q_index_and_hand_value() -> None:
    """qrule 'math': the smallest x whose cumulative weight share reaches q.

    x = 1..4 with weights 1, 1, 1, 1: shares .25 .5 .75 1, so q=0.5 hits x=2 exactly (R
    returns x_(k) when the share equals q), q=0.6 gives 3.
    """
    d = SurveyDesign(pd.DataFrame({"x": [4.0, 1.0, 3.0, 2.0]}))
    assert d.quantile("x", 0.5).loc["x", "estimate"] == 2.0
    assert d.quantile("x", 0.6).loc["x", "estimate"] == 3.0


def test_ciprop_rejects_non_binary() -> None:
    """ciprop needs 0/1 values and says what it found."""
    from abcresearch.errors import DesignError

    with pytest.raises(DesignError, match="0/1"):
        design("hh").ciprop("members")
