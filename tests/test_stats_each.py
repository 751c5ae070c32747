"""mean_each / ciprop_each: many variables of one design in one pass, against R and mean().

Every stored R row of ``svymean``/``svyciprop`` (single-stage, two-stage, lonely units under
every rule, domains, with and without ``na.rm``) is checked on a call that estimates all the
design's variables together, so each variable's own missing rows go through the shared pass;
and the one-pass results are compared with :func:`abcresearch.stats.mean` and
:func:`~abcresearch.stats.ciprop` called once per variable (estimates equal exactly).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from reference.stats_helpers import close, design, num, read

from abcresearch.errors import DesignError
from abcresearch.stats import SurveyDesign, ciprop_each, mean_each

REF = pd.concat([read("estimates.csv"), read("multistage_estimates.csv")], ignore_index=True)
REF = REF[REF["estimator"].isin(["mean", "ciprop"])].reset_index(drop=True)
_cache: dict[tuple[str, str, str, bool], pd.DataFrame] = {}


def _binary_columns(d: SurveyDesign) -> list[str]:
    """Numeric columns of the design's data holding only 0/1 (and missing) values."""
    out = []
    for c in d.data.columns:
        s = d.data[c]
        if pd.api.types.is_numeric_dtype(s) and s.notna().any() and \
                set(s.dropna().unique()) <= {0, 1}:
            out.append(str(c))
    return out


def _result(dname: str, estimator: str, by: str, na_rm: bool) -> pd.DataFrame:
    key = (dname, estimator, by, na_rm)
    if key not in _cache:
        d = design(dname)
        rows = REF[(REF["design"] == dname) & (REF["estimator"] == estimator)]
        names = list(dict.fromkeys(rows["var"]))
        if estimator == "ciprop":  # other 0/1 columns too, with their own missing rows
            names += [c for c in _binary_columns(d) if c not in names]
            _cache[key] = ciprop_each(d, names, by=by or None, na_rm=na_rm)
        else:
            _cache[key] = mean_each(d, names, by=by or None, na_rm=na_rm)
    return _cache[key]


def _row_id(r: pd.Series) -> str:
    parts = [r.design, r.estimator, r["var"], r.group or "all", f"narm={r.na_rm}"]
    return "-".join(str(p) for p in parts if p not in ("", None))


@pytest.mark.r_reference
@pytest.mark.parametrize("r", [row for _, row in REF.iterrows()], ids=_row_id)
def test_each_matches_r(r: pd.Series) -> None:
    """Each stored svymean/svyciprop row, from a call estimating all variables at once."""
    res = _result(r.design, r.estimator, r.by, r.na_rm == "TRUE")
    got = res.loc[(r["var"], r.group) if r.by else r["var"]]
    assert int(got["n"]) == int(r.n)
    if r.na_rm == "FALSE" and int(r.n_missing) > 0:
        assert math.isnan(got["estimate"]) and math.isnan(got["se"])
        return
    if int(r.n) == 0:
        assert math.isnan(got["estimate"])
        return
    assert int(got["df"]) == int(r.df)
    cols = ["estimate", "se", "ci_low", "ci_high"]
    if r.estimator == "ciprop" and int(r.df) == 1:
        cols = ["estimate", "se"]  # R's df = 1 logit interval quirk (test_stats_multistage)
    atol = 1e-8 if r.estimator == "ciprop" else 1e-12
    for c in cols:
        a = max(atol, 1e-12 * abs(num(r.estimate))) if c == "se" else atol
        assert close(float(got[c]), num(r[c]), atol=a), (c, float(got[c]), num(r[c]))


DESIGNS = ["hh", "hh_fpc", "hh_lonely_adjust", "hh_lonely_average", "clus1", "strat_fpc",
           "clus2", "roll", "roll_l1_adjust", "roll_l2_average", "roll_l2_certainty"]


def _numeric(d: SurveyDesign, most: int = 6) -> list[str]:
    """Up to ``most`` numeric columns, those with missing values first."""
    cols = [str(c) for c in d.data.columns if pd.api.types.is_numeric_dtype(d.data[c])]
    return sorted(cols, key=lambda c: not d.data[c].isna().any())[:most]


@pytest.mark.parametrize("dname", DESIGNS)
@pytest.mark.parametrize("by", [None, "first"])
@pytest.mark.parametrize("na_rm", [True, False])
def test_each_equals_one_call_per_variable(dname: str, by: str | None, na_rm: bool) -> None:
    """Estimates exactly, SEs to 1e-12, df and n exactly, intervals as mean()/ciprop()."""
    d = design(dname)
    strata = d._spec["strata"] or d._spec["cluster"]  # noqa: SLF001 - the test's own design
    b = (strata if isinstance(strata, str) else strata[0]) if by else None
    names = _numeric(d)
    got = mean_each(d, names, by=b, na_rm=na_rm)
    for v in names:
        want = d.mean(v, by=b, na_rm=na_rm)
        one = got.loc[v]
        if b is None:
            one = one.to_frame().T.set_axis(want.index)
        np.testing.assert_array_equal(one["estimate"].to_numpy(), want["estimate"].to_numpy())
        est = np.abs(want["estimate"].to_numpy())
        scale = max(1.0, float(est[np.isfinite(est)].max(initial=0.0)))
        np.testing.assert_allclose(one["se"].to_numpy(), want["se"].to_numpy(), rtol=1e-12,
                                   atol=1e-14 * scale)
        for c in ("df", "n"):
            np.testing.assert_array_equal(one[c].to_numpy(), want[c].to_numpy())
    binary = _binary_columns(d)[:4]
    if binary:
        got = ciprop_each(d, binary, by=b, na_rm=na_rm)
        for v in binary:
            want = d.ciprop(v, by=b, na_rm=na_rm)
            one = got.loc[v]
            if b is None:
                one = one.to_frame().T.set_axis(want.index)
            np.testing.assert_array_equal(one["estimate"].to_numpy(),
                                          want["estimate"].to_numpy())
            for c in ("se", "ci_low", "ci_high"):
                np.testing.assert_allclose(one[c].to_numpy(dtype=float),
                                           want[c].to_numpy(dtype=float), rtol=1e-10,
                                           atol=1e-13)


def test_each_variable_missing_in_a_whole_domain() -> None:
    """A variable with no value in a domain: NaN estimate, SE 0 and n 0 there, as mean()."""
    df = pd.DataFrame({"s": ["a"] * 4 + ["b"] * 4, "g": ["x", "x", "y", "y"] * 2,
                       "y": [1.0, 2.0, np.nan, np.nan, 3.0, 5.0, np.nan, np.nan],
                       "z": [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0]})
    d = SurveyDesign(df, strata="s")
    got = mean_each(d, ["y", "z"], by="g", na_rm=True)
    for v in ("y", "z"):
        want = d.mean(v, by="g", na_rm=True)
        pd.testing.assert_frame_equal(got.loc[v].reset_index(drop=True),
                                      want.reset_index(drop=True), check_exact=False,
                                      rtol=1e-12)
    assert math.isnan(got.loc[("y", "y"), "estimate"]) and got.loc[("y", "y"), "n"] == 0


def test_each_index_and_attrs() -> None:
    """Index ``variable`` (then the by columns), in the order given; statistic in attrs."""
    d = design("hh")
    one = mean_each(d, ["score", "members"])
    assert one.index.name == "variable" and list(one.index) == ["score", "members"]
    two = ciprop_each(d, ["debt01"], by="tambon", na_rm=True)
    assert two.index.names == ["variable", "tambon"]
    assert two.attrs["statistic"] == "ciprop" and two.attrs["interval"] == "logit"
    assert list(two.columns) == ["estimate", "se", "ci_low", "ci_high", "df", "n"]


def test_each_errors() -> None:
    """Non-binary ciprop variables, duplicate or unknown names: one sentence each."""
    d = design("hh")
    with pytest.raises(DesignError, match="0/1"):
        ciprop_each(d, ["debt01", "members"])
    with pytest.raises(DesignError, match="distinct"):
        mean_each(d, ["members", "members"])
    with pytest.raises(DesignError, match="not found"):
        mean_each(d, ["members", "nope"])
    with pytest.raises(DesignError, match="method"):
        ciprop_each(d, ["debt01"], method="wilson")
