"""Alkire-Foster: the published worked example, properties, and R survey reference values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abcresearch.errors import DesignError
from abcresearch.scoring import alkire_foster, capital_deprivation, nested_weights
from abcresearch.stats import SurveyDesign

REF = Path(__file__).parent / "reference"
IND = ["i1", "i2", "i3", "i4"]

# Alkire et al. (2015) ch. 5, Box 5.5: 4 persons, 4 equally weighted indicators, k = 0.5.
# Matrices built to give c = (0, 0.5, 1, 0.25) and c' = (0, 0.5, 0.5, 0.5).
X = pd.DataFrame({"i1": [0, 1, 1, 0], "i2": [0, 1, 1, 0], "i3": [0, 0, 1, 1], "i4": [0, 0, 1, 0]})
X2 = pd.DataFrame({"i1": [0, 1, 1, 0], "i2": [0, 1, 0, 1], "i3": [0, 0, 1, 0],
                   "i4": [0, 0, 0, 1]})


def _est(t: pd.DataFrame) -> float:
    return float(t["estimate"].iloc[0])


def test_box_5_5_first_matrix():
    r = alkire_foster(SurveyDesign(X), IND, k=0.5)
    assert r.household["score"].tolist() == [0, 0.5, 1, 0.25]
    assert r.household["poor"].tolist() == [False, True, True, False]
    assert _est(r.H) == pytest.approx(0.5)
    assert _est(r.A) == pytest.approx(0.75)
    assert _est(r.M0) == pytest.approx(0.375)
    # censored headcounts: persons 2 and 3 are poor; i1, i2 deprived for both, i3, i4 for one
    assert r.censored_headcount["estimate"].tolist() == pytest.approx([0.5, 0.5, 0.25, 0.25])
    assert r.uncensored_headcount.loc["i3", "estimate"] == pytest.approx(0.5)
    # contributions w_j h_j(k) / M0
    assert r.contribution["estimate"].tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 6, 1 / 6])
    assert r.contribution["estimate"].sum() == pytest.approx(1.0)
    assert r.contribution["absolute"].sum() == pytest.approx(0.375)


def test_box_5_5_second_matrix_same_m0_different_composition():
    r = alkire_foster(SurveyDesign(X2), IND, k=0.5)
    assert r.household["score"].tolist() == [0, 0.5, 0.5, 0.5]
    assert _est(r.H) == pytest.approx(0.75)
    assert _est(r.A) == pytest.approx(0.5)
    assert _est(r.M0) == pytest.approx(0.375)


def test_union_and_intersection_cutoffs():
    u = alkire_foster(SurveyDesign(X), IND, k=0.25)  # union: any deprivation
    i = alkire_foster(SurveyDesign(X), IND, k=1.0)   # intersection: all deprivations
    assert _est(u.H) == pytest.approx(0.75)
    assert _est(i.H) == pytest.approx(0.25)


def test_nested_weights_and_validation():
    w = nested_weights({"d1": ["i1"], "d2": ["i2", "i3"], "d3": ["i4"]})
    assert w == pytest.approx({"i1": 1 / 3, "i2": 1 / 6, "i3": 1 / 6, "i4": 1 / 3})
    d = SurveyDesign(X)
    with pytest.raises(DesignError, match="add up to 1"):
        alkire_foster(d, IND, k=0.5, weights=[0.5, 0.5, 0.5, 0.5])
    with pytest.raises(DesignError, match="percent"):
        alkire_foster(d, IND, k=33)
    bad = X.astype(float).copy()
    bad.loc[0, "i1"] = 2
    with pytest.raises(DesignError, match="0/1"):
        alkire_foster(SurveyDesign(bad), IND, k=0.5)
    miss = X.astype(float).copy()
    miss.loc[0, "i1"] = np.nan
    with pytest.raises(DesignError, match="na_rm"):
        alkire_foster(SurveyDesign(miss), IND, k=0.5)
    r = alkire_foster(SurveyDesign(miss), IND, k=0.5, na_rm=True)
    assert _est(r.H) == pytest.approx(2 / 3)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), k=st.sampled_from([0.2, 1 / 3, 0.5, 0.75, 1.0]))
def test_m0_is_h_times_a_and_subgroups_add_up(seed, k):
    rng = np.random.default_rng(seed)
    n = 60
    df = pd.DataFrame((rng.random((n, 4)) < rng.uniform(0.1, 0.7)).astype(int), columns=IND)
    df["w"] = rng.uniform(1, 5, n)
    df["g"] = rng.choice(["a", "b", "c"], n)
    d = SurveyDesign(df, weights="w")
    r = alkire_foster(d, IND, k=k, by="g")
    H, A, M0 = (r.overall.H["estimate"].iloc[0], r.overall.A["estimate"].iloc[0],
                r.overall.M0["estimate"].iloc[0])
    if H > 0:
        assert M0 == pytest.approx(H * A, abs=1e-12)
    share = r.population_share["estimate"]
    assert float((share * r.M0["estimate"]).sum()) == pytest.approx(M0, abs=1e-12)
    assert float((share * r.H["estimate"]).sum()) == pytest.approx(H, abs=1e-12)
    assert share.sum() == pytest.approx(1.0)
    assert float((r.censored_headcount["estimate"] * np.tile(r.weights.to_numpy(), 3))
                 .groupby(level=0).sum().mul(1).sub(r.M0["estimate"]).abs().max()) < 1e-12


@pytest.mark.r_reference
def test_matches_r_survey_reference():
    data = pd.read_csv(REF / "af_data.csv")
    ref = pd.read_csv(REF / "af_reference.csv", keep_default_na=False, na_values=["NA"])
    d = SurveyDesign(data, weights="weight", strata="stratum", cluster="psu")
    w = {"i1": 1 / 3, "i2": 1 / 6, "i3": 1 / 6, "i4": 1 / 3}
    r_all = alkire_foster(d, IND, k=1 / 3, weights=w)
    r_grp = alkire_foster(d, IND, k=1 / 3, weights=w, by="grp")
    cols = ["estimate", "se", "ci_low", "ci_high", "df"]
    checked = 0
    for _, row in ref.iterrows():
        g = row["group"]
        res = r_all if g == "all" else r_grp
        m = row["measure"]
        if m == "population_share":
            got = res.population_share.loc[g] if g != "all" else None
            if got is None:
                continue
            np.testing.assert_allclose(got[["estimate", "se"]].to_numpy(float),
                                       [row["estimate"], row["se"]], atol=1e-8)
            checked += 1
            continue
        if m == "A_svymean_poor":
            continue
        key = "all" if g == "all" else g
        if m in ("H", "A", "M0"):
            got = getattr(res, m).loc[key]
        else:
            table = {"hd": res.uncensored_headcount, "hdk": res.censored_headcount,
                     "pctb": res.contribution}[m]
            got = table.loc[row["indicator"]] if g == "all" else table.loc[(g, row["indicator"])]
        np.testing.assert_allclose(got[cols].to_numpy(float), row[cols].to_numpy(float),
                                   atol=1e-8, err_msg=f"{m} {g} {row['indicator']}")
        checked += 1
    assert checked == 4 * (3 + 12) + 3


def test_capital_deprivation_uses_scheme_cutoffs():
    from abcresearch.scoring import score_households
    from abcresearch.scoring.simulate import simulate_households

    df, _ = simulate_households(8, 25, seed=11)
    hs = score_households(df)
    d = SurveyDesign(df, weights="weight", strata="village_code", fpc="village_households")
    r = capital_deprivation(d, hs, by="tambon_code")
    dep = hs.deprivation
    assert dep.columns.tolist() == [f"dep_{c}" for c in hs.scheme.capital_ids]
    assert ((hs.scores["human"] < 40) == (dep["dep_human"] == 1)).all()
    assert r.k == pytest.approx(1 / 3)
    assert r.contribution["estimate"].groupby(level=0).sum().to_numpy() == pytest.approx(1.0)
    assert r.subgroup_contribution.sum() == pytest.approx(1.0)
    assert {"H", "A", "M0", "population_share"} <= set(r.summary().columns)
    long = r.to_frame()
    assert set(long["measure"]) == {"H", "A", "M0", "hd", "hdk", "pctb"}
