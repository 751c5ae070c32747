"""Statistics edge cases found against R (issue 9, item 12), each reproduced first.

* ``ciprop`` at p = 0 or 1: R's ``svyciprop`` returns the collapsed interval [p, p] (to within
  1e-11); we returned NaN, which a key finding printed as "nan–nan".
* ``chisq(...)["pearson"]`` on a subset design: R's ``svychisq`` scales the table to the rows of
  the domain (``nrow`` of the subset design); we scaled it to all rows.
* Series arguments (``subset``, ``by``, Alkire-Foster ``indicators``/``by``) align on the data
  index, or raise a DesignError when the index does not match (we used positions or NaN).

Reference values: tests/reference/edge_cases.csv from make_multistage_reference.R.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import close, design, frame, num, read

from abcresearch.errors import DesignError
from abcresearch.scoring import alkire_foster
from abcresearch.stats import SurveyDesign, ciprop, mean

EDGE = read("edge_cases.csv")
CIPROP = EDGE[EDGE["case"] == "ciprop"]
CHISQ = EDGE[EDGE["case"] == "chisq_subset"]


def _clus1() -> SurveyDesign:
    a1 = frame("apiclus1").assign(zero=0.0, one=1.0)
    a1["high"] = (a1["stype"] == "H").astype(float)
    return SurveyDesign(a1, weights="pw", cluster="dnum")


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in CIPROP.iterrows()],
                         ids=lambda r: f"{r['var']}-{r.group or 'all'}")
def test_ciprop_at_zero_or_one_is_the_collapsed_interval(r: pd.Series) -> None:
    """svyciprop(method = "logit") where p is 0 or 1 (R: [p, p] within 1e-11), and an
    ordinary proportion for contrast."""
    d = _clus1()
    res = d.ciprop(r["var"], by=r.by or None)
    got = res.iloc[0] if not r.by else res.loc[r.group]
    assert int(got["df"]) == int(r.df)
    for c in ("estimate", "se", "ci_low", "ci_high"):
        assert not math.isnan(got[c]), c
        assert close(float(got[c]), num(r[c]), atol=1e-8), (c, got[c], r[c])
    p = got["estimate"]
    if p in (0.0, 1.0):
        assert got["ci_low"] == got["ci_high"] == p


def test_ciprop_edge_formats_without_nan() -> None:
    """The collapsed interval prints as a number, never "nan–nan"."""
    got = ciprop(_clus1(), "zero").iloc[0]
    text = f"{100 * got['ci_low']:.0f}–{100 * got['ci_high']:.0f}"
    assert text == "0–0"


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in CHISQ.iterrows()],
                         ids=lambda r: f"{r.design}-{r.group}")
def test_chisq_on_subset_scales_pearson_by_domain_rows(r: pd.Series) -> None:
    """svychisq on subset(design, ...): F, ndf, ddf, p and the Pearson X^2 of the table
    scaled to the domain's rows (R's nrow of the subset design)."""
    if r.design == "clus1":
        d = _clus1()
        mask = d.data["stype"] == "E"
    elif r.design == "strat":
        d = design("strat")
        mask = d.data["stype"] != "E"
    else:
        d = design("hh")
        mask = d.data["round"] == 2560
    got = d.subset(mask).chisq(r["var"], r.by).iloc[0]
    assert close(float(got["pearson"]), num(r.pearson)), (got["pearson"], r.pearson)
    for c in ("statistic", "ndf", "ddf"):
        assert close(float(got[c]), num(r[c])), c
    assert close(float(got["p_value"]), num(r.p_value), rtol=1e-7)
    assert int(got["df"]) == int(r.df)


# ---- Series arguments align on the data index ------------------------------------------------
def _shuffled(s: pd.Series | pd.DataFrame, seed: int = 5) -> pd.Series | pd.DataFrame:
    rng = np.random.default_rng(seed)
    return s.iloc[rng.permutation(len(s))]


def _design_with_index() -> SurveyDesign:
    hh = frame("households").copy()
    hh.index = pd.Index([f"h{i:04d}" for i in range(len(hh))], name="hh")
    return SurveyDesign(hh, weights="weight", strata="tambon", cluster="village")


def test_subset_series_aligns_on_index() -> None:
    """A boolean Series in another order selects the same rows as the aligned one."""
    d = _design_with_index()
    mask = d.data["round"] == 2560
    a = d.subset(mask).mean("members").iloc[0]
    b = d.subset(_shuffled(mask)).mean("members").iloc[0]
    assert a.to_numpy() == pytest.approx(b.to_numpy(), rel=1e-14)


def test_subset_series_with_foreign_index_is_an_error() -> None:
    """A mask whose index is not the data's (here: a reset index) raises instead of selecting
    nothing silently."""
    d = _design_with_index()
    mask = (d.data["round"] == 2560).reset_index(drop=True)
    with pytest.raises(DesignError, match="index does not match"):
        d.subset(mask)


def test_by_series_aligns_on_index() -> None:
    """``by=`` as a Series in another order gives the by-column result."""
    d = _design_with_index()
    want = mean(d, "members", by="tambon")
    got = mean(d, "members", by=_shuffled(d.data["tambon"]))
    assert got.index.name == "tambon"
    assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-14)
    with pytest.raises(DesignError, match="index does not match"):
        mean(d, "members", by=d.data["tambon"].reset_index(drop=True))


def test_alkire_foster_indicators_and_by_align_on_index() -> None:
    """AF indicators (a DataFrame) and ``by`` (a Series) in another order give the same result;
    a foreign index is an error (it was reindexed to NaN, or used by position)."""
    d = _design_with_index()
    data = d.data
    ind = pd.DataFrame({"a": (data["debt"] == 1) * 1.0, "b": (data["level"] == "low") * 1.0,
                        "c": (data["score"].fillna(0) < 4) * 1.0}, index=data.index)
    want = alkire_foster(d, ind, k=0.5, by=data["tambon"])
    got = alkire_foster(d, _shuffled(ind, 1), k=0.5, by=_shuffled(data["tambon"], 2))
    for name in ("H", "A", "M0"):
        assert getattr(got, name).to_numpy() == pytest.approx(getattr(want, name).to_numpy(),
                                                              rel=1e-13, nan_ok=True)
    with pytest.raises(DesignError, match="index does not match"):
        alkire_foster(d, ind.reset_index(drop=True), k=0.5)
    with pytest.raises(DesignError, match="index does not match"):
        alkire_foster(d, ind, k=0.5, by=data["tambon"].reset_index(drop=True))


def test_arrays_are_taken_in_row_order_and_checked_for_length() -> None:
    """Plain arrays carry no index: row order, and a wrong length is an error."""
    d = _design_with_index()
    arr = d.data["tambon"].to_numpy()
    assert mean(d, "members", by=arr).to_numpy() == pytest.approx(
        mean(d, "members", by="tambon").to_numpy(), rel=1e-14)
    with pytest.raises(DesignError, match="one value per row"):
        d.subset(np.ones(3, dtype=bool))
