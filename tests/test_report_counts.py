"""Weighted household counts of the reports: pandas' groupby numbers, to the last bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abcresearch.reports.estimates import weighted_counts


def _groupby(households: pd.DataFrame, categories: pd.Series, by: str | None
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The definition: sums and sizes of the weights by (area, category), unstacked."""
    key = households[by] if by else pd.Series("all", index=households.index)
    w = households["weight"].astype(float)
    return (w.groupby([key, categories]).sum().unstack(fill_value=0.0),
            w.groupby([key, categories]).size().unstack(fill_value=0))


@pytest.mark.parametrize("dtype", ["str", object])
@pytest.mark.parametrize("by", [None, "village_code"])
@pytest.mark.parametrize("seed", range(4))
def test_weighted_counts_equal_the_groupby(by: str | None, seed: int, dtype: object) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    hh = pd.DataFrame({
        "village_code": rng.choice(["80010101", "80010102", "80010203", None], size=n,
                                   p=[0.4, 0.3, 0.28, 0.02]),
        "weight": rng.gamma(2.0, 37.3, size=n) * 1.0000001,
    }, index=rng.permutation(n) + 1000)
    hh.loc[hh.index[rng.random(n) < 0.03], "weight"] = np.nan
    cats = pd.Series(rng.choice(["1", "2", "3", "na", None], size=n), index=hh.index,
                     name="overall_level", dtype=dtype)  # object: household_categories' text
    got = weighted_counts(hh, cats, by)
    want = _groupby(hh, cats, by)
    for g, w in zip(got, want, strict=True):
        # the categories' own type names the columns (groupby's unstack infers pandas' string
        # type from object ones): the same labels, in the same order
        pd.testing.assert_frame_equal(g, w, check_exact=True, check_column_type=dtype == "str")
        assert list(g.columns) == list(w.columns)
        assert (g.to_numpy() == w.to_numpy()).all()


def test_household_categories_label_each_household_as_defined_in_object_columns() -> None:
    """The text categories (level, poor, censored deprivation, poverty, income bin) as their
    definitions give them, NA where a value is missing; text columns stay object (pandas'
    string dtype would copy each one into Arrow for nothing)."""
    from types import SimpleNamespace

    from abcresearch.reports.estimates import NA, count_measures, household_categories

    rng = np.random.default_rng(7)
    n, capitals = 300, ["human", "natural"]
    dep = {f"dep_{c}": rng.choice([0.0, 1.0, np.nan], size=n, p=[0.5, 0.45, 0.05])
           for c in capitals}
    hh = pd.DataFrame({
        "overall_level": rng.choice([1.0, 2.0, 3.0, np.nan], size=n),
        **{f"level_{c}": rng.choice([1.0, 2.0, 3.0, np.nan], size=n) for c in capitals},
        **dep,
        "income_pc": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 20_000.0, size=n)),
    }, index=rng.permutation(n) + 50)
    hh["fin_fund_member"] = rng.choice(["welfare_fund savings", "savings", None], size=n)
    flags = pd.DataFrame({"item_a": rng.choice([1.0, 0.0, np.nan], size=n)}, index=hh.index)
    scheme = SimpleNamespace(capital_ids=capitals, af_weights={c: 0.5 for c in capitals},
                             af_k=0.5)
    line, bins = 38_000.0, [0.0, 20_000.0, 40_000.0, 80_000.0]
    measures = count_measures(capitals, line, bins, items=["item_a"], welfare=True)
    cats = household_categories(hh, scheme, measures, line, bins, item_flags=flags)
    assert list(cats.columns) == [m.id for m in measures]

    def level(v: float) -> str:
        return NA if np.isnan(v) else str(int(v))

    g = hh[[f"dep_{c}" for c in capitals]].to_numpy(float)
    missing = np.isnan(g).any(axis=1)
    poor = ~missing & (np.nan_to_num(g).mean(axis=1) >= 0.5)
    inc = hh["income_pc"].to_numpy(float)
    assert list(cats["overall_level"]) == [level(v) for v in hh["overall_level"]]
    assert list(cats["poor"]) == [NA if m else "poor" if p else "nonpoor"
                                  for m, p in zip(missing, poor, strict=True)]
    for c in capitals:
        assert list(cats[f"level:{c}"]) == [level(v) for v in hh[f"level_{c}"]]
        assert list(cats[f"cens:{c}"]) == [
            NA if m else ("dep" if d == 1 else "nodep") if p else "nonpoor"
            for m, p, d in zip(missing, poor, hh[f"dep_{c}"], strict=True)]
    assert list(cats["poverty"]) == [NA if np.isnan(v) else "below" if v < line else "above"
                                     for v in inc]
    assert list(cats["income_bin"]) == [
        NA if np.isnan(v) else f"b{max(0, int(np.searchsorted(bins, v, side='right')) - 1)}"
        for v in inc]
    member = ["welfare_fund" in str(v).split() for v in hh["fin_fund_member"]]
    for k in ("1", "2", "3", NA):
        got = cats[f"welfare:{k}"]
        assert list(got.astype(object).where(got.notna(), "another level")) == [
            (("member" if m else "non") if isinstance(a, str) else NA) if level(v) == k
            else "another level"
            for m, a, v in zip(member, hh["fin_fund_member"], hh["overall_level"], strict=True)]
    assert list(cats["item:item_a"].astype(object)) == [
        NA if np.isnan(f) else "fail" if f == 1 else "pass" for f in flags["item_a"]]
    assert (cats.index == hh.index).all()
    text = [c for c in cats.columns if not c.startswith(("welfare:", "item:"))]
    assert set(cats[text].dtypes.astype(str)) == {"object"}
    assert set(cats.drop(columns=text).dtypes.astype(str)) == {"category"}
    no_line = household_categories(hh, scheme, count_measures(capitals, None, bins), None,
                                   bins)
    assert "poverty" not in no_line.columns
    pd.testing.assert_frame_equal(no_line, cats[list(no_line.columns)])
    # levels over a wide range (looked up among the distinct levels), a capital with no level
    # at all, negative levels over a short range (looked up by offset): each household's own
    odd = hh.assign(overall_level=rng.choice([-2.0, 0.0, 5.0e6, np.nan], size=n),
                    level_human=np.nan,
                    level_natural=rng.choice([-2.0, 0.0, 3.0, np.nan], size=n))
    odd_cats = household_categories(odd, scheme, measures, line, bins, item_flags=flags)
    for column, measure in [("overall_level", "overall_level"), ("level_human", "level:human"),
                            ("level_natural", "level:natural")]:
        assert list(odd_cats[measure]) == [level(v) for v in odd[column]]
