"""The truth of the synthetic province: finite-population values over every household."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abcresearch.scoring import load_scheme, score_households
from abcresearch.stats.poverty import poverty_line
from abcresearch.survey import instrument
from abcresearch.synth import synthesize
from abcresearch.synth.truth import area_truth

AMPHOE = "8015"   # Khanom: 16 villages, 3 tambon
ROUND = 2551      # a later round: drift, growth, new households, the 2550-2554 income line


def _read_kobo(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def census(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every household of Khanom (households per village above any village's size)."""
    out = tmp_path_factory.mktemp("truth") / "all"
    synthesize(survey_round=ROUND, seed=5, out=out, amphoe=AMPHOE, households_per_village=999,
               truth=True)
    return out


def _direct(census: Path, tmp_path: Path) -> pd.DataFrame:
    """Ingest the complete export, score it with the project's scoring and aggregate."""
    from abcresearch.ingest.pipeline import ingest
    from abcresearch.store import read

    export = tmp_path / "export"
    export.mkdir()
    for name in ("household.csv", "member.csv", "village.csv"):  # the three forms only
        shutil.copy(census / name, export / name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ingest's data-quality warnings are not under test
        res = ingest(export, survey_round=ROUND, store=tmp_path / "store")
    assert (res.counts["rejected"] == 0).all(), list(res.issues["message"][:5])
    hh = read.load(ROUND, store=tmp_path / "store")
    sch = load_scheme(None)
    hs = score_households(hh, sch)
    line = poverty_line(ROUND).value
    size = hh["hh_size"].astype("float64").to_numpy()
    income = hh["fin_income_year"].to_numpy(dtype=float)
    has_income = ~np.isnan(income) & (size > 0)
    d = pd.DataFrame({"village": hh["village_code"], "tambon": hh["tambon_code"],
                      "amphoe": hh["amphoe_code"],
                      "level1": np.where(hs.overall_level.isna(), np.nan,
                                         hs.overall_level.fillna(0).to_numpy() == 1),
                      "poor": np.where(has_income, income / np.where(size > 0, size, 1) < line,
                                       np.nan)})
    for c in sch.capital_ids:
        d[c] = hs.scores[c].to_numpy()
    rows = []
    for level in ("amphoe", "tambon", "village"):
        g = d.groupby(level)
        t = pd.DataFrame({"households": g.size(), "share_level1": g["level1"].mean(),
                          "households_level1": g["level1"].sum(),
                          "income_poor_share": g["poor"].mean()})
        for c in sch.capital_ids:
            t[f"mean_{c}"] = g[c].mean()
        t["mean_score"] = t[[f"mean_{c}" for c in sch.capital_ids]].mean(axis=1)
        rows.append(t.assign(level=level).rename_axis("area_code").reset_index())
    return pd.concat(rows, ignore_index=True)


def test_truth_equals_a_direct_computation_on_the_whole_population(census: Path,
                                                                   tmp_path: Path) -> None:
    truth = pd.read_csv(census / "_truth" / "areas.csv", dtype={"area_code": str})
    direct = _direct(census, tmp_path)
    assert set(truth["level"]) == {"amphoe", "tambon", "village"}  # no province: one amphoe
    t = truth.set_index(["level", "area_code"]).sort_index()
    d = direct.set_index(["level", "area_code"]).sort_index()
    assert list(t.index) == list(d.index) and len(t) == 1 + 3 + 16
    for col in d.columns:
        assert np.allclose(t[col].astype(float), d[col].astype(float), rtol=0, atol=1e-9), col
    # the export held every household of the round: the frame's and the village form's counts
    fr = pd.read_csv(census / "frame.csv", dtype={"village_code": str}).set_index("village_code")
    vt = t.loc["village"]
    assert (vt["households"] == fr.loc[vt.index, "households"]).all()
    assert 0.02 < t.loc[("amphoe", AMPHOE), "income_poor_share"] < 0.6


def test_the_sample_is_the_first_households_of_the_population(census: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "sample"
    synthesize(survey_round=ROUND, seed=5, out=out, amphoe=AMPHOE, households_per_village=40)
    small, full = _read_kobo(out / "household.csv"), _read_kobo(census / "household.csv")
    first = full.groupby("hh/village_code", sort=False).head(40).reset_index(drop=True)
    # every answer is the same; only interview days and times depend on the team's workload
    times = {"start", "end", "hh/interview_date", "_submission_time"}
    cols = [h for h in instrument.codebook("households")["header"] if h not in times]
    assert len(small) == len(first) == 16 * 40
    assert small[cols].equals(first[cols])


def test_truth_levels_add_up_and_match_the_effects(census: Path) -> None:
    t = pd.read_csv(census / "_truth" / "areas.csv", dtype={"area_code": str})
    vil = t[t["level"] == "village"]
    tam = t[t["level"] == "tambon"].set_index("area_code")
    by_tambon = vil.groupby(vil["area_code"].str.slice(0, 6))[["households",
                                                                "households_level1"]].sum()
    assert (by_tambon == tam[["households", "households_level1"]]).all().all()
    assert (tam["villages"] == vil.groupby(vil["area_code"].str.slice(0, 6)).size()).all()
    # the latent village effect shows in the true village mean score
    veff = pd.read_csv(census / "_truth" / "village_effects.csv", dtype={"village_code": str})
    j = vil.merge(veff, left_on="area_code", right_on="village_code")
    assert np.corrcoef(j["mean_score"], j["total_effect"])[0, 1] > 0.8


def test_province_truth_has_every_area_once() -> None:
    from abcresearch.synth import village_frame

    t = area_truth("80", 2549, seed=2, amphoe=["8015", "8018"])
    f = village_frame("80").query("amphoe_code in ['8015', '8018']")
    assert t.groupby("level").size().to_dict() == {
        "amphoe": 2, "tambon": f["tambon_code"].nunique(), "village": 41}
    assert t["area_code"].is_unique
    assert t["share_level1"].between(0, 1).all() and t["income_poor_share"].between(0, 1).all()
    assert (t["poverty_line"] == 20000).all()
    late = area_truth("80", 2565, seed=2, amphoe="8015")   # no BMN line for 2565
    assert late["income_poor_share"].isna().all() and late["households_income_poor"].isna().all()
