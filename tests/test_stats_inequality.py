"""Gini (convey::svygini definition) and Lorenz curve.

convey is not packaged for Debian, so instead of stored R values: the point estimate is
checked against the pairwise-difference definition, and the SE against the variance of the
numerically differentiated Gini (dG/dw_i, a bootstrap-free check of the linearisation) passed
through total_vcov, which itself is checked against R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import design

from abcresearch.stats import SurveyDesign
from abcresearch.stats.inequality import gini, lorenz


def _convey_gini(x: np.ndarray, w: np.ndarray) -> float:
    """convey's CalcGini: sum((2 r - 1) x w) / (N Y) - 1 on income-sorted data."""
    o = np.argsort(x, kind="stable")
    x, w = x[o], w[o]
    r = np.cumsum(w)
    return float(((2 * r - 1) * x * w).sum() / (w.sum() * (x * w).sum()) - 1)


def test_gini_unit_weights_hand_value() -> None:
    """x = 1, 2, 3, 4: sum_ij |xi - xj| = 20, G = 20 / (2 * 4^2 * 2.5) = 0.25."""
    d = SurveyDesign(pd.DataFrame({"x": [3.0, 1.0, 4.0, 2.0]}))
    assert d.gini("x").loc["x", "estimate"] == pytest.approx(0.25)


def test_gini_weighted_pairwise_identity() -> None:
    """With weights, convey's G = pairwise G + sum((w - 1) w x) / (N Y)."""
    hh = design("hh")
    ok = hh.data["income"].notna().to_numpy()
    x = hh.data["income"].to_numpy()[ok]
    w = hh.weights[ok]
    pair = (w[:, None] * w[None, :] * np.abs(x[:, None] - x[None, :])).sum() / (
        2 * w.sum() * (w * x).sum())
    want = pair + ((w - 1) * w * x).sum() / (w.sum() * (w * x).sum())
    got = gini(hh, "income", na_rm=True).iloc[0]
    assert got["estimate"] == pytest.approx(want, rel=1e-10)
    assert got["estimate"] == pytest.approx(_convey_gini(x, w), rel=1e-12)


@pytest.mark.parametrize("dname", ["hh", "hh_fpc", "clus1", "strat_fpc"])
def test_gini_se_equals_numerical_linearisation(dname: str) -> None:
    """se^2 = total_vcov(dG/dw_i) with derivatives by central differences."""
    d = design(dname)
    var = "income" if dname.startswith("hh") else "api00"
    y = d.data[var].to_numpy(float)
    ok = ~np.isnan(y)
    sub = d.subset(ok)
    x, w = y[ok], d.weights[ok]
    z = np.zeros(len(y))
    zz = np.empty(ok.sum())
    for i in range(ok.sum()):
        h = w[i] * 1e-5
        wp, wm = w.copy(), w.copy()
        wp[i] += h
        wm[i] -= h
        zz[i] = (_convey_gini(x, wp) - _convey_gini(x, wm)) / (2 * h)
    z[ok] = zz
    want = np.sqrt(sub.total_vcov(z)[0, 0])
    got = gini(d, var, na_rm=True).iloc[0]
    assert got["se"] == pytest.approx(want, rel=1e-6)
    assert got["df"] == sub.degf


def test_gini_by_equals_subset() -> None:
    """Domain Gini keeps the full design: same as on a subset design."""
    d = design("hh")
    by = d.gini("income", by="tambon", na_rm=True)
    sub = d.subset(d.data["tambon"] == "800102").gini("income", na_rm=True).iloc[0]
    assert by.loc["800102", "estimate"] == pytest.approx(sub["estimate"], rel=1e-12)
    assert by.loc["800102", "se"] == pytest.approx(sub["se"], rel=1e-12)


def test_lorenz_points() -> None:
    """x = 1, 2, 3, 4 (equal weights): L(0.5) = 3/10; ends at (0, 0) and (1, 1)."""
    d = SurveyDesign(pd.DataFrame({"x": [4.0, 1.0, 3.0, 2.0]}))
    full = lorenz(d, "x")
    assert full.iloc[0].tolist() == [0.0, 0.0] and full.iloc[-1].tolist() == [1.0, 1.0]
    pts = lorenz(d, "x", p=[0.5, 0.75])
    assert pts["income_share"].tolist() == pytest.approx([0.3, 0.6])
