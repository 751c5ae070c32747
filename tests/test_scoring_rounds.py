"""Rounds: matching, transition tables, change in M0 with SEs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from abcresearch.errors import InputError
from abcresearch.scoring import (
    level_transitions,
    match_households,
    panel_change,
)
from abcresearch.stats import SurveyDesign


def _rounds():
    r1 = pd.DataFrame({"hh_key": ["a", "b", "c", "d", "e"], "overall_level": [1, 1, 2, 3, 2],
                       "weight": [10.0, 10.0, 20.0, 20.0, 5.0]})
    r2 = pd.DataFrame({"hh_key": ["a", "b", "c", "d", "x"], "overall_level": [2, 1, 2, 2, 1],
                       "weight": [1.0, 1.0, 1.0, 1.0, 1.0]})
    return r1, r2


def test_match_and_transition_table_by_hand():
    r1, r2 = _rounds()
    m = match_households(r1, r2)
    assert m["hh_key"].tolist() == ["a", "b", "c", "d"]
    assert m.attrs == {"unmatched_round1": 1, "unmatched_round2": 1}
    t = level_transitions(m, weights="weight_r1")
    assert t.counts.loc[1, 2] == 1 and t.counts.loc[1, 1] == 1 and t.counts.loc[3, 2] == 1
    assert t.counts.to_numpy().sum() == 4
    assert t.row_shares.loc[1].tolist() == pytest.approx([0.5, 0.5, 0.0])
    s = t.summary()["share"]
    # weighted: a (10) up, b (10) same, c (20) same, d (20) down -> 10/60, 30/60, 20/60
    assert s.tolist() == pytest.approx([1 / 6, 1 / 2, 1 / 3])


def test_duplicate_keys_are_an_error():
    r1, r2 = _rounds()
    with pytest.raises(InputError, match="duplicated"):
        match_households(pd.concat([r1, r1.head(1)]), r2)


def test_panel_change_in_m0_by_hand_and_se():
    # 4 matched households, 2 equally weighted indicators, k = 0.5
    df = pd.DataFrame({"a1": [1, 1, 0, 0], "b1": [1, 0, 0, 1],
                       "a2": [0, 1, 0, 0], "b2": [0, 1, 0, 1]})
    d = SurveyDesign(df)
    ch = panel_change(d, ["a1", "b1"], ["a2", "b2"], k=0.5)
    m0 = ch.xs("M0", level="measure").iloc[0]
    # c1 = (1, .5, 0, .5) -> M0_1 = 2/4; c2 = (0, 1, 0, .5) -> M0_2 = 1.5/4
    assert m0["round1"] == pytest.approx(0.5)
    assert m0["round2"] == pytest.approx(0.375)
    assert m0["estimate"] == pytest.approx(-0.125)
    diff = np.array([-1, 0.5, 0, 0])
    assert m0["se"] == pytest.approx(np.std(diff, ddof=1) / 2)
