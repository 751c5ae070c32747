"""Cronbach's alpha (Feldt interval), item-rest correlations and factor structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from abcresearch.stats.scales import cronbach_alpha, factor_check, item_rest


def _items(seed: int = 7, n: int = 400) -> pd.DataFrame:
    """Three capitals x three items, each item = its capital's factor + noise."""
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 3))
    cols = {}
    for c, cap in enumerate(["human", "social", "natural"]):
        for j in range(3):
            cols[f"{cap}_{j}"] = f[:, c] + rng.normal(scale=0.6, size=n)
    return pd.DataFrame(cols)


def test_alpha_hand_value_and_feldt_interval() -> None:
    """Items a=(1,2,3), b=(2,2,4), c=(1,3,3) over 3 people.

    Item variances 1, 4/3, 4/3 (sum 11/3); totals 4, 7, 10 have variance 9;
    alpha = 3/2 * (1 - (11/3)/9) = 3/2 * 16/27 = 8/9. Feldt: F(2, 4) quantiles.
    """
    df = pd.DataFrame({"a": [1, 2, 3], "b": [2, 2, 4], "c": [1, 3, 3]})
    res = cronbach_alpha(df).iloc[0]
    assert res["estimate"] == pytest.approx(8 / 9)
    assert res["ci_low"] == pytest.approx(1 - (1 / 9) * stats.f.ppf(0.975, 2, 4))
    assert res["ci_high"] == pytest.approx(1 - (1 / 9) * stats.f.ppf(0.025, 2, 4))
    assert res["n"] == 3 and res["k"] == 3


def test_item_rest_correlation() -> None:
    """item_rest_r is the correlation of each item with the sum of the others."""
    df = _items()
    res = item_rest(df)
    rest = df.drop(columns="human_0").sum(axis=1)
    assert res.loc["human_0", "item_rest_r"] == pytest.approx(np.corrcoef(df["human_0"],
                                                                         rest)[0, 1])
    sub = cronbach_alpha(df.drop(columns="social_1")).iloc[0]["estimate"]
    assert res.loc["social_1", "alpha_if_dropped"] == pytest.approx(sub)


def test_missing_rows_dropped() -> None:
    """Complete cases only: n counts rows without missing items."""
    df = _items(n=50)
    df.iloc[0, 0] = np.nan
    assert cronbach_alpha(df).iloc[0]["n"] == 49


@pytest.mark.parametrize("rotation", ["varimax", "promax"])
def test_factor_check_recovers_capitals(rotation: str) -> None:
    """Clean three-factor data: every item loads on its capital's factor."""
    df = _items()
    caps = {c: c.split("_")[0] for c in df.columns}
    res = factor_check(df, caps, rotation=rotation)
    assert res["consistent"].all()
    assert res.groupby("capital")["capital_factor"].nunique().eq(1).all()
    assert res["capital_factor"].nunique() == 3


def test_factor_check_flags_misassigned_item() -> None:
    """An item assigned to the wrong capital is flagged as inconsistent."""
    df = _items()
    caps = {c: c.split("_")[0] for c in df.columns}
    caps["human_2"] = "social"
    res = factor_check(df, caps)
    assert not res.loc["human_2", "consistent"]
    assert res.drop(index="human_2")["consistent"].all()
