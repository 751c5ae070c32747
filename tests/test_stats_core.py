"""The linearisation core: public domain variance and df, result tables, both spellings.

The numbers themselves are checked against R in test_stats_design/estimators/multistage; here
the interface: matrix-valued ``domain_var`` equals the subset designs' ``total_vcov`` for every
column and domain (single and two-stage), the partition is reusable, the result-table builder
has fixed columns and metadata, and every estimator is both a function and a design method.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import design

import abcresearch.stats as st
from abcresearch.errors import DesignError
from abcresearch.stats import SurveyDesign, estimate_table, group_codes


@pytest.mark.parametrize("dname", ["hh_lonely_adjust", "hh_lonely_average", "roll",
                                   "roll_l1_adjust", "roll_l2_average", "clus2"])
def test_domain_var_is_matrix_valued_and_equals_subset_total_vcov(dname: str) -> None:
    """Every column in every domain at once = total_vcov of each column on each subset."""
    d = design(dname)
    by = {"hh": "tambon", "ro": "tambon_code", "cl": "stype"}[dname[:2]]
    cols = {"hh": ["members", "score"], "ro": ["human", "hh_size"],
            "cl": ["api00", "meals"]}[dname[:2]]
    ok = d.data[cols].notna().all(axis=1).to_numpy()
    codes, labels = group_codes(d, by)
    codes = np.where(ok, codes, -1)
    Z = d.data[cols].fillna(0).to_numpy(float)
    var, df = d.domain_var(d.weights[:, None] * Z, codes, len(labels))
    assert var.shape == (len(labels), 2) and df.shape == (len(labels),)
    for i, lab in enumerate(labels):
        sub = d.subset(ok & (d.data[by] == lab).to_numpy())
        want = np.diag(sub.total_vcov(Z))
        np.testing.assert_allclose(var[i], want, rtol=1e-11)  # NaN where R gives NaN
        assert df[i] == sub.degf
    one, _ = d.domain_var(d.weights * Z[:, 0], codes, len(labels))
    assert one.shape == (len(labels),)
    np.testing.assert_allclose(one, var[:, 0], rtol=1e-14)


def test_partition_is_reusable_and_df_matches() -> None:
    """One grouping, several calls: same variances; df and n per domain."""
    d = design("roll")
    codes, labels = group_codes(d, "tambon_code")
    part = d.partition(codes, len(labels))
    y = d.weights * d.data["human"].to_numpy(float)
    a, b = part.var(y), part.var(y)
    assert np.array_equal(a, b)
    assert np.array_equal(part.df, d.domain_df(codes, len(labels)))
    assert np.array_equal(part.n, np.bincount(codes, minlength=len(labels)))
    assert part.sum(y) == pytest.approx(
        pd.Series(y).groupby(d.data["tambon_code"].to_numpy()).sum().to_numpy())


def test_estimate_table_fixed_columns_and_metadata() -> None:
    """Fixed columns in order, extra columns after, level and statistic in attrs."""
    t = estimate_table([0.0, 0.3, 1.0], [0.0, 0.1, 0.0], [4, 4, 0], [10, 10, 10],
                       pd.Index(["a", "b", "c"], name="g"), level=0.9, statistic="share",
                       variable="y", interval="logit", extra={"deff": [1.0, 1.2, 1.0]})
    assert list(t.columns) == ["estimate", "se", "ci_low", "ci_high", "df", "n", "deff"]
    assert t.attrs == {"statistic": "share", "variable": "y", "level": 0.9,
                       "interval": "logit"}
    assert (t.loc["a", "ci_low"], t.loc["a", "ci_high"]) == (0.0, 0.0)  # collapsed at p = 0
    assert math.isnan(t.loc["c", "ci_low"])  # no df, no interval (R: NaN)
    assert 0 < t.loc["b", "ci_low"] < 0.3 < t.loc["b", "ci_high"] < 1
    with pytest.raises(DesignError, match="interval"):
        estimate_table([1.0], [0.1], [3], [4], pd.Index(["x"]), level=0.95, statistic="m",
                       interval="exact")


@pytest.mark.parametrize(
    ("fn", "args", "kwargs"),
    [
        ("mean", ("members",), {"by": "tambon"}),
        ("total", ("members",), {"deff": True}),
        ("ratio", ("expense", "income"), {"na_rm": True}),
        ("proportion", ("level",), {"by": "tambon"}),
        ("ciprop", ("debt01",), {"by": "tambon"}),
        ("quantile", ("members",), {"q": [0.25, 0.5]}),
        ("gini", ("income",), {"na_rm": True}),
        ("mean_diff", ("members", "tambon", ("800101", "800102")), {}),
        ("chisq", ("level", "tambon"), {}),
        ("glm", ("income ~ members",), {}),
    ],
)
def test_every_estimator_has_both_spellings(fn: str, args: tuple, kwargs: dict) -> None:
    """abcresearch.stats.<fn>(design, ...) and design.<fn>(...) give the same table."""
    d = design("hh")
    a = getattr(st, fn)(d, *args, **kwargs)
    b = getattr(d, fn)(*args, **kwargs)
    pd.testing.assert_frame_equal(a, b)


def test_two_stage_design_from_fpc_weights_and_repr() -> None:
    """Weights default to the product of N/n over stages; repr names the stages."""
    d = design("clus2")
    data = d.data
    n1 = data["dnum"].nunique()
    n2 = data.groupby("dnum")["snum"].transform("nunique")
    want = data["fpc1"] / n1 * data["fpc2"] / n2
    np.testing.assert_allclose(d.weights, want.to_numpy(), rtol=1e-14)
    assert "cluster=['dnum', 'snum']" in repr(d) and d.n_stages == d.variance_stages == 2


def test_with_columns_and_values() -> None:
    """Derived columns keep the design; values() reads numbers and refuses text."""
    d = design("hh")
    d2 = d.with_columns(twice=2 * d.data["members"])
    assert d2.mean("twice").iloc[0]["estimate"] == pytest.approx(
        2 * d.mean("members").iloc[0]["estimate"])
    with pytest.raises(DesignError, match="must be numeric"):
        d.values("tambon")
    with pytest.raises(DesignError, match="not found"):
        d.values("nope")


def test_domain_codes_shape_checked() -> None:
    """Domain codes must have one value per row."""
    d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0, 3.0]}))
    with pytest.raises(DesignError, match="one value per row"):
        d.domain_df(np.zeros(2, dtype=int))
