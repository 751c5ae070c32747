"""Two-stage designs against R's survey package (svyrecvar's recursive multistage variance).

Reference values: tests/reference/make_multistage_reference.R on survey's apiclus2 and on a
rollout-like sample (tests/reference/make_rollout.py): amphoe strata, villages SRSWOR, one
amphoe where every village is taken (variance from stage 2), households SRSWOR, a tambon inside
a single sampled village, and lonely units at stage 1 and at stage 2 under every rule.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import close, design, estimate_result, frame, num, pick, read

from abcresearch.errors import DesignError
from abcresearch.scoring import alkire_foster, grade_villages, load_scheme
from abcresearch.scoring.households import HouseholdScores
from abcresearch.stats import SurveyDesign

EST = read("multistage_estimates.csv")
VC = read("multistage_vcov.csv")
DEG = read("multistage_degf.csv")
CMP = read("multistage_compare.csv")
GLM = read("multistage_glm.csv")
AF = read("multistage_af.csv")

_cache: dict[tuple[str, str, str, str, bool], pd.DataFrame] = {}


def _result(r: pd.Series) -> pd.DataFrame:
    key = (r.design, r.estimator, r["var"], r.by, r.na_rm == "TRUE")
    if key not in _cache:
        _cache[key] = estimate_result(*key)
    return _cache[key]


def _row_id(r: pd.Series) -> str:
    parts = [r.design, r.estimator, r["var"], r.group or "all", r.category, r.q, f"narm={r.na_rm}"]
    return "-".join(str(p) for p in parts if p not in ("", None) and p == p)


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in EST.iterrows()], ids=_row_id)
def test_two_stage_estimate_matches_r(r: pd.Series) -> None:
    """svymean/svytotal (deff)/domains/svyratio/factor shares/svyciprop/svyquantile, to 1e-8."""
    res = _result(r)
    cat = r.category
    if r.estimator == "proportion" and r["var"] == "overall_level":
        cat = int(cat)
    got = pick(res, r, cat)
    assert int(got["n"]) == int(r.n)
    if r.na_rm == "FALSE" and int(r.n_missing) > 0:
        assert math.isnan(got["estimate"]) and math.isnan(got["se"])
        return
    assert int(got["df"]) == int(r.df)
    cols = ["estimate", "se", "ci_low", "ci_high"]
    if r.estimator in ("mean", "total"):
        cols.append("deff")
    if r.estimator == "ciprop" and int(r.df) == 1:
        # R's confint.svyglm maps the t quantile through 1 - 2 pnorm(qt(.025, 1)), which
        # rounds to 1 at df = 1, so svyciprop gives the interval [0, NaN] there; we give the
        # exact t interval. Estimate and SE are still compared.
        cols = ["estimate", "se"]
    atol = 1e-8 if r.estimator == "ciprop" else 1e-12  # R's glm stops 1e-12 from p = 0 or 1
    for c in cols:
        want = num(r[c])
        if c == "deff" and math.isnan(want) and not math.isnan(num(r.se)):
            continue  # R's deff failed for this domain (see the R script); nothing to compare
        # an SE that is zero in exact arithmetic (a domain total of z inside one PSU) is
        # rounding noise in both programs: compare it on the scale of the estimate
        a = max(atol, 1e-12 * abs(num(r.estimate))) if c == "se" else atol
        assert close(float(got[c]), want, atol=a), (c, float(got[c]), want)


@pytest.mark.r_reference
@pytest.mark.parametrize(
    "r", [row for _, row in VC.iterrows()],
    ids=lambda r: f"{r.design}-{r.domain or 'all'}-{r.col_i}-{r.col_j}",
)
def test_two_stage_total_vcov_matches_r(r: pd.Series) -> None:
    """vcov(svytotal(~a + b, na.rm = TRUE)) on the design and on a domain, to 1e-8."""
    d = design(r.design)
    by = "stype" if r.design == "clus2" else "tambon_code"
    cols = list(VC.loc[VC["design"] == r.design, "col_i"].drop_duplicates())
    ok = d.data[cols].notna().all(axis=1)  # svytotal(~a + b, na.rm = TRUE) drops both
    if r.domain:
        ok &= d.data[by] == r.domain
    v = d.subset(ok).total_vcov(d.data[cols].fillna(0).to_numpy(float))
    got = v[cols.index(r.col_i), cols.index(r.col_j)]
    assert close(float(got), num(r.value))


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in DEG.iterrows()], ids=lambda r: r.design)
def test_two_stage_degf_matches_r(r: pd.Series) -> None:
    """degf() counts first-stage units: #PSUs - #strata, as R."""
    d = design(r.design)
    assert d.degf == int(r.degf) and d.n == int(r.n)


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in CMP.iterrows()],
                         ids=lambda r: f"{r.design}-{r.test}")
def test_two_stage_compare_matches_r(r: pd.Series) -> None:
    """svycontrast of domain means and svychisq (F and Pearson X^2), to 1e-8."""
    d = design(r.design)
    if r.test == "mean_diff":
        got = d.mean_diff(r["var"], r.by, (r.group_a, r.group_b), na_rm=True).iloc[0]
        assert int(got["df"]) == int(r.df)
        for c in ["estimate", "se", "ci_low", "ci_high"]:
            assert close(float(got[c]), num(r[c])), c
    else:
        got = d.chisq(r["var"], r.by).iloc[0]
        for c in ["statistic", "ndf", "ddf", "pearson"]:
            assert close(float(got[c]), num(r[c])), c
        assert close(float(got["p_value"]), num(r.p_value), rtol=1e-7)


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in GLM.iterrows()],
                         ids=lambda r: f"{r.design}-{r.term}")
def test_two_stage_glm_matches_r(r: pd.Series) -> None:
    """svyglm (gaussian) coefficients, SEs, t, p and confint on two-stage designs."""
    tab = design(r.design).glm(r.formula)
    got = tab.loc["Intercept" if r.term == "(Intercept)" else r.term]
    assert int(got["df"]) == int(r.df)
    for c in ["estimate", "se", "t", "ci_low", "ci_high"]:
        assert close(float(got[c]), num(r[c])), c
    assert close(float(got["p_value"]), num(r.p_value), rtol=1e-7)


@pytest.mark.r_reference
def test_alkire_foster_on_two_stage_design_matches_r() -> None:
    """H, M0, A and indicator headcounts, whole sample and by tambon, to 1e-8."""
    d = design("roll")
    sch = load_scheme()
    dep = [f"dep_{c}" for c in sch.capital_ids]
    w = dict(zip(dep, sch.af_weights.values(), strict=True))
    whole = alkire_foster(d, dep, k=sch.af_k, weights=w, na_rm=True)
    by = alkire_foster(d, dep, k=sch.af_k, weights=w, by="tambon_code", na_rm=True,
                       overall=False)
    cols = ["estimate", "se", "ci_low", "ci_high", "df"]
    for _, row in AF.iterrows():
        res = whole if row.group == "all" else by
        key = "all" if row.group == "all" else row.group
        if row.measure in ("H", "M0", "A"):
            got = getattr(res, row.measure).loc[key]
        else:
            table = res.uncensored_headcount if row.measure == "hd" else res.censored_headcount
            got = (table.loc[row.indicator] if row.group == "all"
                   else table.loc[(row.group, row.indicator)])
        use = cols if int(row.df) != 1 else ["estimate", "se", "df"]  # R's df = 1 interval:
        # see test_two_stage_estimate_matches_r
        want = np.array([num(row[c]) for c in use])
        np.testing.assert_allclose(got[use].to_numpy(float), want, rtol=1e-8, atol=1e-8,
                                   err_msg=f"{row.measure} {row.group} {row.indicator}")
    assert len(AF) > 100


def test_certainty_stratum_variance_comes_from_stage_two() -> None:
    """Amphoe 8103 has every village sampled: no stage-1 variance, yet a positive SE."""
    d = design("roll")
    sub = d.subset(d.data["amphoe_code"] == "8103")
    se = sub.mean("human").iloc[0]["se"]
    assert se > 0
    one_stage = design("roll_uc").subset(d.data["amphoe_code"] == "8103")
    # without fpc (ultimate cluster) the stratum's between-village variance is used instead
    assert one_stage.mean("human").iloc[0]["se"] != pytest.approx(se)


def test_domain_inside_one_sampled_village_has_within_village_variance() -> None:
    """A tambon resting on one sampled village: the SE is R's (checked above) and positive."""
    d = design("roll")
    tambon = d.data.loc[d.data["tambon_one"] == 1, "tambon_code"].iloc[0]
    assert d.data.loc[d.data["tambon_code"] == tambon, "village_code"].nunique() == 1
    r = d.mean("human", by="tambon_code").loc[tambon]
    assert r["se"] > 0 and r["df"] == 0


def test_two_stage_hand_value() -> None:
    """Two strata x 2 of 10 villages x 2 of 20 households; the recursive formula by hand.

    Stage 1 (stratum h, PSU totals t_hi): (1 - 2/10) * 2/1 * sum_i (t_hi - t_h.)^2.
    Stage 2 (village i, household totals w y): n1/N1 * (1 - 2/20) * 2/1 * sum (u - u_i.)^2.
    """
    df = pd.DataFrame({"s": ["a"] * 4 + ["b"] * 4, "v": [1, 1, 2, 2, 1, 1, 2, 2],
                       "h": [1, 2] * 4, "N1": 10, "N2": 20,
                       "y": [1.0, 2, 3, 4, 5, 6, 7, 9]})
    d = SurveyDesign(df, strata="s", cluster=["v", "h"], fpc=["N1", "N2"], nest=True)
    w = 50.0  # (10/2) * (20/2)
    u = w * df["y"].to_numpy()
    t = u.reshape(4, 2).sum(axis=1)  # village totals, villages in order a1 a2 b1 b2
    v1 = sum(0.8 * 2 * ((t[i] - t[j]) / 2) ** 2 * 2 for i, j in ((0, 1), (2, 3)))
    v2 = sum(0.2 * 0.9 * 2 * 2 * ((u[2 * i] - u[2 * i + 1]) / 2) ** 2 for i in range(4))
    assert d.total_vcov(df["y"])[0, 0] == pytest.approx(v1 + v2, rel=1e-12)
    assert d.total("y").iloc[0]["se"] == pytest.approx(math.sqrt(v1 + v2), rel=1e-12)


def test_without_fpc_two_stage_is_ultimate_cluster() -> None:
    """No fpc: only the first stage enters the variance, as R (stage-2 ids then change nothing)."""
    data = frame("rollout")
    two = SurveyDesign(data, weights="weight", strata="amphoe_code",
                       cluster=["village_code", "hh_key"], nest=True)
    one = SurveyDesign(data, weights="weight", strata="amphoe_code", cluster="village_code",
                       nest=True)
    assert two.variance_stages == 1 and two.n_stages == 2
    a, b = two.mean("human", by="tambon_code"), one.mean("human", by="tambon_code")
    assert np.allclose(a["se"], b["se"], rtol=1e-13)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"fpc": "N1"}, "one column per sampling stage"),
        ({"fpc": ["N1", "bad"]}, "varies within stage-2 strata"),
        ({"fpc": ["N1", "small"]}, "more than 100% sampling in stage-2"),
        ({"fpc": ["N1", "frac"]}, "mix sampling fractions"),
        ({"fpc": ["N1", "N2"], "lonely_psu": "fail", "data": "lonely2"},
         "only one sampled unit of 'h' at stage 2.*v=3"),
    ],
)
def test_two_stage_design_errors(kwargs: dict, pattern: str) -> None:
    """fpc per stage, constant within the parent unit, at most 100%; lonely units named."""
    df = pd.DataFrame({"s": ["a"] * 4 + ["b"] * 4, "v": [1, 1, 2, 2, 3, 3, 4, 4],
                       "h": [1, 2] * 4, "N1": 10, "N2": 20, "bad": [20, 21, 20, 20] * 2,
                       "small": [1, 1, 20, 20] * 2, "frac": 0.5})
    if kwargs.pop("data", None) == "lonely2":
        df = df.drop(index=5)
    with pytest.raises(DesignError, match=pattern):
        SurveyDesign(df, strata="s", cluster=["v", "h"], nest=True, **kwargs)


def test_grades_on_two_stage_design_use_the_design() -> None:
    """Village grades run on a two-stage design; their SEs are the design's domain SEs."""
    data = frame("rollout")
    d = design("roll")
    sch = load_scheme()
    caps = list(sch.capital_ids)
    idx = data.index
    levels = pd.DataFrame({c: pd.array(np.ones(len(data), dtype=int), dtype="Int8")
                           for c in caps}, index=idx)
    hs = HouseholdScores(
        scheme=sch, scores=data[caps], levels=levels,
        items_answered=pd.DataFrame(index=idx), missing_reason=pd.DataFrame(index=idx),
        overall_level=data["overall_level"].astype("Int8"),
        track=pd.Series("t", index=idx), focus_capital=pd.Series("", index=idx))
    g = grade_villages(d, hs, typology=False).table
    want = d.with_columns(l1=(data["overall_level"] == 1) * 1.0).ciprop("l1", by="village_code")
    assert np.allclose(g["share_level1_se"], want["se"], rtol=1e-12)
    m = d.mean("human", by="village_code")
    assert np.allclose(g["mean_human_se"], m["se"], rtol=1e-12)
    # without village forms only group C can be told (its household-based condition); the
    # others have no group (a village without its form fell through to B, a review)
    assert set(g["grade"].dropna()) <= {"C"} and g["grade"].isna().any()
