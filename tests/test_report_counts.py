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


@pytest.mark.parametrize("by", [None, "village_code"])
@pytest.mark.parametrize("seed", range(4))
def test_weighted_counts_equal_the_groupby(by: str | None, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    hh = pd.DataFrame({
        "village_code": rng.choice(["80010101", "80010102", "80010203", None], size=n,
                                   p=[0.4, 0.3, 0.28, 0.02]),
        "weight": rng.gamma(2.0, 37.3, size=n) * 1.0000001,
    }, index=rng.permutation(n) + 1000)
    hh.loc[hh.index[rng.random(n) < 0.03], "weight"] = np.nan
    cats = pd.Series(rng.choice(["1", "2", "3", "na", None], size=n), index=hh.index,
                     name="overall_level")
    got = weighted_counts(hh, cats, by)
    want = _groupby(hh, cats, by)
    for g, w in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(g, w, check_exact=True)
        assert (g.to_numpy() == w.to_numpy()).all()
