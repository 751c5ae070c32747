"""mean_diff, chisq (Rao-Scott F) and glm against stored R results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import close, design, num, read

CMP = read("compare.csv")
GLM = read("glm.csv")


@pytest.mark.r_reference
@pytest.mark.parametrize(
    "r", [row for _, row in CMP.iterrows()], ids=lambda r: f"{r.design}-{r.test}"
)
def test_compare_matches_r(r: pd.Series) -> None:
    """svycontrast of svyby means, and svychisq(statistic='F'), to 1e-8."""
    d = design(r.design)
    if r.test == "mean_diff":
        got = d.mean_diff(r["var"], r.by, (r.group_a, r.group_b), na_rm=True).iloc[0]
        assert int(got["df"]) == int(r.df)
        for c in ["estimate", "se", "ci_low", "ci_high"]:
            assert close(float(got[c]), num(r[c])), c
    else:
        got = d.chisq(r["var"], r.by).iloc[0]
        assert close(float(got["statistic"]), num(r.statistic))
        assert close(float(got["ndf"]), num(r.ndf))
        assert close(float(got["ddf"]), num(r.ddf))
        assert close(float(got["p_value"]), num(r.p_value), rtol=1e-7)


@pytest.mark.r_reference
@pytest.mark.parametrize(
    "r", [row for _, row in GLM.iterrows()], ids=lambda r: f"{r.design}-{r.term}"
)
def test_glm_matches_svyglm(r: pd.Series) -> None:
    """Coefficients, SEs, t, p and confint of svyglm(gaussian), to 1e-8."""
    tab = design(r.design).glm(r.formula)
    term = "Intercept" if r.term == "(Intercept)" else r.term
    got = tab.loc[term]
    assert int(got["df"]) == int(r.df)
    for c in ["estimate", "se", "t", "ci_low", "ci_high"]:
        assert close(float(got[c]), num(r[c])), c
    assert close(float(got["p_value"]), num(r.p_value), rtol=1e-7)


def test_mean_diff_independent_strata_adds_variances() -> None:
    """Domains that are whole strata are independent: var(diff) = var(a) + var(b)."""
    d = design("hh")
    m = d.mean("members", by="tambon")
    diff = d.mean_diff("members", "tambon", ("800101", "800102")).iloc[0]
    assert diff["cov_ab"] == pytest.approx(0.0, abs=1e-15)
    want = np.hypot(m.loc["800101", "se"], m.loc["800102", "se"])
    assert diff["se"] == pytest.approx(want, rel=1e-12)
    assert diff["estimate"] == pytest.approx(m.loc["800101", "estimate"]
                                             - m.loc["800102", "estimate"])


def test_mean_diff_rounds_share_psus() -> None:
    """Rounds observed in the same villages are correlated; the SE uses their covariance."""
    d = design("hh")
    res = d.mean_diff("members", "round", (2564, 2560)).iloc[0]
    m = d.mean("members", by="round")
    naive = np.hypot(m.loc[2564, "se"], m.loc[2560, "se"])
    assert res["se"] == pytest.approx(np.sqrt(naive**2 - 2 * res["cov_ab"]))


def test_glm_subset_domain_keeps_design() -> None:
    """A regression on a subset design equals one on the same rows with zero-padded PSUs."""
    d = design("hh")
    sub = d.subset(d.data["round"] == 2560)
    tab = sub.glm("members ~ score")
    assert tab["n"].iloc[0] == int(((d.data["round"] == 2560) & d.data["score"].notna()).sum())
    assert (tab["se"] > 0).all()
