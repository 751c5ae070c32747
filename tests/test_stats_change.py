"""Change between rounds on stacked samples, with PSUs carried across rounds, against R.

Reference values: tests/reference/make_change_reference.R (``svycontrast(svyby(~y, ~round,
design, svymean, covmat = TRUE), c(-1, 1))``) on rollout samples from make_rollout.py: shared
village PSUs (villages re-surveyed) and shared household PSUs (households matched by hh_key).
M0 is a mean of the censored deprivation score, so R's svymean is its direct equivalent; its
SE is checked in addition against a numerical derivative through ``total_vcov``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import close, frame, num, read

from abcresearch.errors import AbcResearchWarning, DesignError
from abcresearch.scoring import change_design, load_scheme, round_change
from abcresearch.stats import SurveyDesign, change

CH = read("change.csv")
DATA = {"village": "rollout_stacked", "household": "rollout_census_stacked"}
MEASURES = {"mean_human": "human", "mean_physical": "physical", "share_level1": "level1",
            "m0": "m0", "poverty_headcount": "poor"}


def _with_m0(df: pd.DataFrame) -> pd.DataFrame:
    sch = load_scheme()
    dep = df[[f"dep_{c}" for c in sch.capital_ids]].to_numpy(float)
    c = dep @ np.array(list(sch.af_weights.values()))
    return df.assign(m0=np.where(np.isnan(c), np.nan, c * (c >= sch.af_k - 1e-9)))


def _design(psu: str) -> SurveyDesign:
    return change_design(_with_m0(frame(DATA[psu])), psu)  # type: ignore[arg-type]


def _pick(res: pd.DataFrame, r: pd.Series) -> pd.Series:
    sel = res["measure"] == r.measure
    if r.by:
        sel &= res[r.by] == r.group
    assert sel.sum() == 1
    return res[sel].iloc[0]


def test_reference_used_the_default_scheme() -> None:
    """The R script hard-codes the default scheme's AF weights (1/7) and k (1/3)."""
    sch = load_scheme()
    assert sch.af_k == pytest.approx(1 / 3)
    assert list(sch.af_weights.values()) == pytest.approx([1 / 7] * 7)


_stats_cache: dict[tuple[str, str], pd.DataFrame] = {}


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in CH.iterrows()],
                         ids=lambda r: f"{r.design}-{r.measure}-{r.group or 'all'}")
def test_change_matches_r(r: pd.Series) -> None:
    """stats.change on the stacked design: estimate, SE, interval, df, n, each round's value."""
    key = (r.design, r.by)
    if key not in _stats_cache:
        _stats_cache[key] = change(_design(r.design), MEASURES, over="round",
                                   by=r.by or None)
    got = _pick(_stats_cache[key], r)
    assert (got["round_from"], got["round_to"]) == (int(r.round_from), int(r.round_to))
    assert int(got["df"]) == int(r.df) and int(got["n"]) == int(r.n)
    for c in ("estimate", "se", "ci_low", "ci_high", "estimate_from", "estimate_to"):
        assert close(float(got[c]), num(r[c])), (c, float(got[c]), num(r[c]))


_small_cache: dict[tuple[str, str], pd.DataFrame] = {}


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in CH.iterrows()],
                         ids=lambda r: f"{r.design}-{r.measure}-{r.group or 'all'}")
def test_smaller_round_df_matches_r(r: pd.Series) -> None:
    """``df_rule="smaller_round"`` (the reports' rule, params/change.yaml): the df is R's
    smaller ``degf`` of the two rounds' own rows of the domain, and the interval uses it with
    the same estimate and SE (a df of 0 gives no interval)."""
    key = (r.design, r.by)
    if key not in _small_cache:
        _small_cache[key] = round_change(frame(DATA[r.design]), psu=r.design,
                                         by=r.by or None, df_rule="smaller_round")
    got = _pick(_small_cache[key], r)
    assert int(got["df"]) == int(r.df_smaller_round) and int(got["n"]) == int(r.n)
    for c in ("estimate", "se"):
        assert close(float(got[c]), num(r[c])), (c, float(got[c]), num(r[c]))
    for c in ("ci_low", "ci_high"):
        want = num(r[f"{c}_smaller_round"])
        assert close(float(got[c]), want), (c, float(got[c]), want)


def test_smaller_round_reference_differs_from_stacked() -> None:
    """The reference exercises the rule: most rows' smaller-round df is below the stacked
    one, and some rows keep an interval under both rules."""
    df, small = CH["df"].astype(int), CH["df_smaller_round"].astype(int)
    assert (small <= df).all() and (small < df).sum() >= len(CH) // 2
    assert (small > 0).sum() >= 10


_round_cache: dict[tuple[str, str], pd.DataFrame] = {}


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in CH.iterrows()],
                         ids=lambda r: f"{r.design}-{r.measure}-{r.group or 'all'}")
def test_round_change_matches_r(r: pd.Series) -> None:
    """scoring.round_change builds the measures from the scheme's columns and the design from
    the PSU rule; it gives R's numbers."""
    key = (r.design, r.by)
    if key not in _round_cache:
        _round_cache[key] = round_change(frame(DATA[r.design]), psu=r.design,
                                         by=r.by or None)
    got = _pick(_round_cache[key], r)
    assert int(got["df"]) == int(r.df) and int(got["n"]) == int(r.n)
    for c in ("estimate", "se", "ci_low", "ci_high"):
        assert close(float(got[c]), num(r[c])), (c, float(got[c]), num(r[c]))


def test_round_change_table_columns_and_measures() -> None:
    """Tidy table: measure, round_from, round_to, estimate, se, ci_low, ci_high, df, n."""
    res = round_change(frame("rollout_stacked"), by="tambon_code")
    assert list(res.columns[:10]) == ["tambon_code", "measure", "round_from", "round_to",
                                      "estimate", "se", "ci_low", "ci_high", "df", "n"]
    caps = load_scheme().capital_ids
    assert list(pd.unique(res["measure"])) == ([f"mean_{c}" for c in caps]
                                               + ["share_level1", "share_level2",
                                                  "share_level3", "m0", "poverty_headcount"])
    assert res.attrs["sign"] == "later minus earlier"
    shares = res[res["measure"].str.startswith("share_level")].groupby("tambon_code")
    assert np.allclose(shares["estimate"].sum().dropna(), 0.0, atol=1e-12)


def test_change_is_minus_mean_diff() -> None:
    """mean_diff returns the first group minus the second; change is later minus earlier."""
    d = _design("village")
    md = d.mean_diff("human", "round", (2562, 2563)).iloc[0]
    ch = change(d, ["human"], over="round").iloc[0]
    assert ch["estimate"] == pytest.approx(-md["estimate"], rel=1e-13)
    assert ch["se"] == pytest.approx(md["se"], rel=1e-12)
    assert int(ch["df"]) == int(md["df"])


def test_shared_psus_carry_covariance() -> None:
    """With re-surveyed villages the SE is not the independent-samples sqrt(se1^2 + se2^2)."""
    d = _design("village")
    ch = change(d, ["human"], over="round").iloc[0]
    m = d.mean("human", by="round")
    indep = float(np.hypot(m.loc[2562, "se"], m.loc[2563, "se"]))
    assert ch["se"] < indep  # positive covariance of re-surveyed villages
    assert ch["se"] != pytest.approx(indep, rel=1e-3)


def test_m0_change_se_equals_numerical_derivative() -> None:
    """SE of the M0 change = sqrt(total_vcov(dEst/dw)), the derivative taken numerically."""
    d = _design("household")
    data = d.data
    w0 = data["weight"].to_numpy(float)
    rnd = data["round"].to_numpy()
    y = data["m0"].to_numpy(float)
    ok = ~np.isnan(y)  # complete cases, as change() uses them

    def est(w: np.ndarray) -> float:
        return float(sum(s * np.sum((w * y)[ok & (rnd == r)]) / np.sum(w[ok & (rnd == r)])
                         for s, r in ((-1, 2562), (1, 2563))))

    z = np.empty(len(w0))
    for i in range(len(w0)):
        h = 1e-6 * w0[i]
        up, dn = w0.copy(), w0.copy()
        up[i] += h
        dn[i] -= h
        z[i] = (est(up) - est(dn)) / (2 * h)
    se_num = float(np.sqrt(d.subset(ok).total_vcov(np.where(ok, z, 0.0))[0, 0]))
    got = change(d, ["m0"], over="round").iloc[0]
    assert got["estimate"] == pytest.approx(est(w0), rel=1e-12)
    assert got["se"] == pytest.approx(se_num, rel=1e-6)


def test_pairs_and_errors() -> None:
    """Default pairs are consecutive rounds; explicit pairs; unknown rounds and columns fail."""
    df = frame("rollout_stacked")
    three = pd.concat([df, df[df["round"] == 2563].assign(round=2564)], ignore_index=True)
    d = change_design(three)
    res = change(d, ["human"], over="round")
    assert list(zip(res["round_from"], res["round_to"], strict=True)) == [(2562, 2563),
                                                                          (2563, 2564)]
    res = change(d, ["human"], over="round", pairs=[(2562, 2564)])
    assert len(res) == 1 and res["round_to"].iloc[0] == 2564
    with pytest.raises(DesignError, match="round=2570 has no rows"):
        change(d, ["human"], over="round", pairs=[(2562, 2570)])
    with pytest.raises(DesignError, match="over column"):
        change(d, ["human"], over="wave")
    one = change(change_design(df[df["round"] == 2562]), ["human"], over="round")
    assert one.empty and "estimate" in one.columns


def test_household_psu_without_key_is_its_own_psu() -> None:
    """A household without hh_key cannot be matched: it is its own PSU, not an error."""
    df = frame("rollout_census_stacked").copy()
    df.loc[df.index[:3], "hh_key"] = pd.NA
    d = change_design(df, "household")
    assert d.n_psu == df["hh_key"].nunique() + 3
    with pytest.raises(DesignError, match="psu must be"):
        change_design(df, "tambon")  # type: ignore[arg-type]


def test_unverified_poverty_line_warns() -> None:
    """Rounds whose BMN line is not verified say so, as stats.headcount does."""
    df = frame("rollout_stacked").replace({"round": {2562: 2566, 2563: 2567}})
    with pytest.warns(AbcResearchWarning, match="not verified"):
        res = round_change(df)
    assert "poverty_headcount" in set(res["measure"])


def test_smaller_round_df_is_the_smaller_of_each_rounds_own() -> None:
    """``df_rule="smaller_round"``: the interval's df is the smaller of the two rounds' own
    (each round's design alone, R's degf of that round's subset); estimate and SE unchanged."""
    from scipy import stats as sps

    data = _with_m0(frame(DATA["village"]))
    d = change_design(data, "village")
    stacked = change(d, ["human"], over="round", by="tambon_code")
    small = change(d, ["human"], over="round", by="tambon_code", df_rule="smaller_round")
    assert small.attrs["df_rule"] == "smaller_round" and stacked.attrs["df_rule"] == "stacked"
    for c in ("tambon_code", "estimate", "se", "n"):
        pd.testing.assert_series_equal(stacked[c], small[c])
    own = [change_design(data[data["round"] == r], "village").mean("human", by="tambon_code")
           ["df"] for r in (2562, 2563)]
    # a tambon absent from a round has no PSU there: 0
    expected = np.minimum(*(o.reindex(small["tambon_code"]).fillna(0).to_numpy() for o in own))
    assert (small["df"].to_numpy() == expected).all()
    assert (small["df"] <= stacked["df"]).all() and (small["df"] < stacked["df"]).any()
    q = sps.t.ppf(0.975, small["df"].to_numpy(float))
    assert np.allclose(small["ci_high"] - small["estimate"], q * small["se"], equal_nan=True)
    assert small["ci_high"].notna().any()
    with pytest.raises(DesignError, match="df_rule must be one of"):
        change(d, ["human"], over="round", df_rule="welch")
