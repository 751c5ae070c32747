"""SurveyDesign: total_vcov and subset against R, degf, lonely-PSU rules and error messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import close, design, frame, num, read

from abcresearch.errors import DesignError
from abcresearch.stats import LonelyPSU, SurveyDesign
from abcresearch.stats.domains import group_codes

VC = read("total_vcov.csv")
DEG = read("degf.csv")


@pytest.mark.r_reference
@pytest.mark.parametrize(
    "r", [row for _, row in VC.iterrows()],
    ids=lambda r: f"{r.design}-{r.domain or 'all'}-{r.col_i}-{r.col_j}",
)
def test_total_vcov_matches_r(r: pd.Series) -> None:
    """vcov(svytotal(~a + b, design)) and on subset(design, by == first group), to 1e-8."""
    d = design(r.design)
    if r.domain:
        by = "tambon" if r.design.startswith("hh") else "stype"
        d = d.subset(d.data[by] == r.domain)
    cols = [r.col_i, r.col_j]
    z = d.data[sorted(set(cols), key=cols.index)].to_numpy(float)
    names = list(dict.fromkeys(cols))
    v = d.total_vcov(z)
    got = v[names.index(r.col_i), names.index(r.col_j)]
    assert close(float(got), num(r.value))


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in DEG.iterrows()], ids=lambda r: r.design)
def test_degf_and_n_match_r(r: pd.Series) -> None:
    """degf(design) and nrow(design)."""
    d = design(r.design)
    assert d.degf == int(r.degf)
    assert d.n == int(r.n)


def test_domain_variance_equals_total_vcov() -> None:
    """The vectorised by-domain engine agrees with total_vcov on a subset design."""
    d = design("hh_lonely_adjust")
    y = d.data["members"].to_numpy(float)
    codes, labels = group_codes(d, "tambon")
    var, _ = d.domain_var(d.weights * y, codes, len(labels))
    for i, lab in enumerate(labels):
        sub = d.subset(d.data["tambon"] == lab)
        assert var[i] == pytest.approx(sub.total_vcov(y)[0, 0], rel=1e-12)


def test_total_vcov_srs_hand_value() -> None:
    """One stratum, no clusters, weights 1: V(total) = n/(n-1) * sum (y - ybar)^2.

    y = 1, 2, 6: ybar = 3, sum of squares 4 + 1 + 9 = 14, times 3/2 = 21.
    """
    d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0, 6.0]}))
    assert d.total_vcov(d.data["y"])[0, 0] == pytest.approx(21.0)
    assert d.degf == 2 and d.n == 3


def test_total_vcov_rejects_bad_input() -> None:
    """Wrong length or NaN inside the domain are errors; NaN outside a subset is ignored."""
    d = SurveyDesign(pd.DataFrame({"y": [1.0, 2.0, np.nan, 4.0]}))
    with pytest.raises(DesignError, match="shape"):
        d.total_vcov(np.ones(3))
    with pytest.raises(DesignError, match="NaN"):
        d.total_vcov(d.data["y"])
    sub = d.subset(d.data["y"].notna())
    assert np.isfinite(sub.total_vcov(d.data["y"])).all()


def test_subset_keeps_full_design() -> None:
    """Subset SE differs from dropping the rows (PSUs without members still count)."""
    d = design("clus1")
    mask = d.data["stype"] == "H"
    sub = d.subset(mask)
    kept = SurveyDesign(d.data[mask], weights="pw", cluster="dnum")
    assert sub.n == int(mask.sum())
    a = sub.mean("api00").iloc[0]
    b = kept.mean("api00").iloc[0]
    assert a["estimate"] == pytest.approx(b["estimate"])
    assert a["se"] != pytest.approx(b["se"])
    assert sub.degf == kept.degf
    # the by= estimate equals the subset estimate
    by = d.mean("api00", by="stype").loc["H"]
    assert by["se"] == pytest.approx(a["se"], rel=1e-12)


def test_lonely_psu_fail_message_lists_strata_and_options() -> None:
    """The error names the stratum at fault and the lonely_psu options that resolve it."""
    hh = frame("households")
    with pytest.raises(DesignError) as exc:
        SurveyDesign(hh, weights="weight", strata="tambon_l", cluster="village")
    msg = str(exc.value)
    assert "800104" in msg and "lonely_psu='adjust'" in msg and "'average'" in msg
    assert "800101" not in msg


def test_lonely_psu_options_order() -> None:
    """remove == certainty (single stage); adjust and average add variance for the stratum."""
    hh = frame("households")
    kw = {"weights": "weight", "strata": "tambon_l", "cluster": "village"}
    se = {
        rule.value: SurveyDesign(hh, lonely_psu=rule, **kw).total("members").iloc[0]["se"]
        for rule in LonelyPSU
        if rule is not LonelyPSU.FAIL
    }
    assert se["remove"] == pytest.approx(se["certainty"])
    assert se["adjust"] > se["remove"]
    assert se["average"] > se["remove"]


def test_lonely_census_stratum_is_allowed() -> None:
    """A one-PSU stratum sampled completely (fpc = 1 PSU) has zero variance; no error."""
    df = pd.DataFrame({"s": [1, 1, 2, 2, 2], "c": [1, 1, 2, 3, 4], "y": [1.0, 2, 3, 4, 8],
                       "N": [1, 1, 10, 10, 10]})
    d = SurveyDesign(df, strata="s", cluster="c", fpc="N")
    assert np.isfinite(d.mean("y").iloc[0]["se"])


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"weights": "nope"}, "weights column 'nope' not found"),
        ({"weights": "wbad"}, "expected finite weights > 0"),
        ({"strata": "s", "cluster": "c_rep"}, "not nested in strata.*nest=True"),
        ({"strata": "s", "fpc": "fvary"}, "varies within strata"),
        ({"strata": "s", "fpc": "fsmall"}, "more than 100% sampling"),
        ({"lonely_psu": "drop"}, "lonely_psu='drop' is not allowed; choose one of fail"),
    ],
)
def test_design_errors(kwargs: dict[str, str], pattern: str) -> None:
    """Construction errors say what was expected and what was found."""
    df = pd.DataFrame({
        "s": [1, 1, 2, 2], "c_rep": [1, 2, 1, 2], "wbad": [1.0, 0.0, 1.0, 1.0],
        "fvary": [10, 11, 10, 10], "fsmall": [1, 1, 10, 10],
    })
    with pytest.raises(DesignError, match=pattern):
        SurveyDesign(df, **kwargs)


def test_nest_true_relabels_clusters() -> None:
    """Cluster ids repeated across strata are distinct PSUs with nest=True."""
    df = pd.DataFrame({"s": [1, 1, 2, 2], "c": [1, 2, 1, 2], "y": [1.0, 2, 3, 5]})
    d = SurveyDesign(df, strata="s", cluster="c", nest=True)
    assert d.n_psu == 4 and d.degf == 2
