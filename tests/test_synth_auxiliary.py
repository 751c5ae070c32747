"""Auxiliary village data (bmn.csv): format, ranges, and how strongly it relates to the truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abcresearch.synth import synthesize, village_frame
from abcresearch.synth.auxiliary import BMN_COLUMNS, BMN_MODEL, bmn_table
from abcresearch.synth.truth import area_truth

SHARES = BMN_COLUMNS[3:]


def _tambon_shares(bmn: pd.DataFrame) -> pd.DataFrame:
    counts = bmn[SHARES].mul(bmn["bmn_households"], axis=0)
    counts["n"] = bmn["bmn_households"]
    g = counts.groupby(bmn["village_code"].str.slice(0, 6)).sum()
    return g[SHARES].div(g["n"], axis=0)


def test_bmn_csv_beside_every_export(tmp_path: Path) -> None:
    synthesize(out=tmp_path / "a", survey_round=2551, seed=4, amphoe="8015",
               households_per_village=3)
    synthesize(out=tmp_path / "b", survey_round=2551, seed=4, villages=3,
               households_per_village=3)
    a = (tmp_path / "a" / "bmn.csv").read_bytes()
    assert a == (tmp_path / "b" / "bmn.csv").read_bytes()  # every village, whatever was sampled
    b = pd.read_csv(tmp_path / "a" / "bmn.csv", dtype={"village_code": str})
    assert list(b.columns) == BMN_COLUMNS
    assert b["village_code"].tolist() == village_frame("80")["village_code"].tolist()
    assert (b["bmn_year"] == 2550).all()
    assert (b["bmn_households"] > 0).all()
    assert b[SHARES].apply(lambda s: s.between(0, 1)).all().all()
    other = synthesize(out=tmp_path / "c", survey_round=2551, seed=5, villages=3,
                       households_per_village=3)
    assert other.files and (tmp_path / "c" / "bmn.csv").read_bytes() != a


def test_bmn_shares_have_realistic_levels_and_spread() -> None:
    b = bmn_table(seed=1, survey_round=2549)
    w = b["bmn_households"] / b["bmn_households"].sum()
    for col in SHARES:
        mean = float(w @ b[col])
        assert abs(mean - BMN_MODEL[col]["mean"]) < 0.01, col
        assert b[col].std() > 0.03, col  # villages differ
    assert b["income_below_line"].quantile(0.99) < 0.3  # the BMN finds few poor households
    assert b["has_elderly"].between(0.1, 0.65).all()
    frame = village_frame("80").set_index("village_code")
    n = b.set_index("village_code")["bmn_households"] / frame["vil_households"]
    assert n.between(0.85, 1.15).all()  # the BMN's own count, close to the frame's


@pytest.mark.slow
def test_bmn_relates_strongly_and_weakly_to_the_true_tambon_values() -> None:
    """45 tambon of four amphoe (~100,000 households): true values vs BMN tambon shares."""
    seed, rnd = 6, 2550
    truth = area_truth("80", rnd, seed=seed, amphoe=["8007", "8009", "8012", "8015"])
    t = truth[truth["level"] == "tambon"].set_index("area_code")
    shares = _tambon_shares(bmn_table(seed, rnd)).loc[t.index]
    assert len(t) == 45
    r = {c: (np.corrcoef(shares[c], t["mean_score"])[0, 1],
             np.corrcoef(shares[c], t["share_level1"])[0, 1]) for c in SHARES}
    strong, weak = ("income_below_line", "no_savings"), ("has_elderly",)
    for c in strong:  # more poor households, lower capitals
        assert r[c][0] < -0.65 and r[c][1] > 0.65, (c, r[c])
    for c in weak:
        assert abs(r[c][0]) < 0.35 and abs(r[c][1]) < 0.35, (c, r[c])
    others = [abs(v) for c, rr in r.items() if c not in strong for v in rr]
    assert min(abs(v) for c in strong for v in r[c]) > max(others), r
