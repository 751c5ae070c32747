"""Village selection of the synthetic province: census, rollout waves, re-surveys, frame.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abcresearch.errors import AreaError, InputError
from abcresearch.synth import synthesize, village_frame
from abcresearch.synth.sampling import (
    FRAME_COLUMNS,
    allocate,
    default_wave_sizes,
    draw_rollout,
    select,
)

FRAME = village_frame("80")


def _read_kobo(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8")


def _read_frame(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"village_code": str, "stratum": str})


def test_allocation_is_proportional_with_largest_remainders() -> None:
    sizes = FRAME.groupby("amphoe_code").size()
    for total in (1, 5, 23, 400, 1551):
        a = allocate(total, sizes)
        quota = total * sizes / sizes.sum()
        assert a.sum() == total and (a <= sizes).all()
        assert ((a - quota).abs() < 1).all()
    assert allocate(3, pd.Series({"a": 1, "b": 1, "c": 1, "d": 1})).tolist() == [1, 1, 1, 0]
    with pytest.raises(InputError):
        allocate(5, pd.Series({"a": 2, "b": 2}))


def test_default_waves_are_the_programmes_and_scale_to_an_amphoe() -> None:
    assert default_wave_sizes(1551) == (400, 600, 551)
    assert default_wave_sizes(16) == (4, 6, 6)
    assert sum(default_wave_sizes(41)) == 41


@pytest.mark.parametrize("seed", [1, 8])
def test_three_waves_cover_every_village_of_the_province_once(seed: int) -> None:
    n_h = FRAME.groupby("amphoe_code").size()
    seen: set[str] = set()
    surveyed = pd.Series(0, index=n_h.index)
    for wave, size in zip((1, 2, 3), (400, 600, 551), strict=True):
        sel = select(FRAME, 2548 + wave, seed=seed, wave=wave)
        f = sel.frame
        new = f[(f["sampled"] == 1) & (f["resurvey"] == 0)]
        assert len(new) == size and (new["wave"] == wave).all()
        assert not seen & set(new["village_code"])
        seen |= set(new["village_code"])
        # allocation: proportional to the amphoe's villages not yet surveyed
        left = n_h - surveyed
        got = new.groupby("amphoe_code").size().reindex(n_h.index, fill_value=0)
        assert ((got - size * left / left.sum()).abs() < 1).all()
        surveyed += got
        # the frame knows the wave of every village surveyed so far, and only of those
        assert set(f.loc[f["wave"].notna(), "village_code"]) == seen
    assert len(seen) == 1551 == len(FRAME)


def test_waves_do_not_depend_on_the_round_or_on_resurveys() -> None:
    a = select(FRAME, 2550, seed=4, wave=2).frame
    b = select(FRAME, 2553, seed=4, wave=2, resurvey=50).frame
    assert a["wave"].equals(b["wave"])
    assert (b["resurvey"].sum(), a["resurvey"].sum()) == (50, 0)
    assert (b.loc[b["resurvey"] == 1, "wave"] == 1).all()


@pytest.mark.parametrize("wave,resurvey", [(1, 0), (2, 4), (3, 6)])
def test_selection_probabilities_are_those_of_the_procedure(wave: int, resurvey: int) -> None:
    """Simulate the rollout of two amphoe (41 villages) and compare with selection_prob."""
    sub = FRAME[FRAME["amphoe_code"].isin(["8015", "8018"])]
    sel = select(FRAME, 2548 + wave, seed=0, amphoe=["8015", "8018"], wave=wave,
                 resurvey=resurvey)
    prob = sel.frame.set_index("village_code")["selection_prob"].loc[sub["village_code"]]
    assert prob.notna().all()
    by_stratum = {h: np.sort(g["village_code"].to_numpy().astype(str))
                  for h, g in sub.groupby("amphoe_code")}
    sizes = default_wave_sizes(len(sub))
    codes = list(prob.index)
    pos = {c: i for i, c in enumerate(codes)}
    reps = 1000
    hits = np.zeros((reps, len(codes)), dtype=bool)
    for r in range(reps):
        first, again, _ = draw_rollout(by_stratum, 1000 + r, wave, resurvey, sizes)
        for c in [c for c, k in first.items() if k == wave] + list(again):
            hits[r, pos[c]] = True
    freq = hits.mean(axis=0)
    p = prob.to_numpy()
    # every village has its stated probability (4.5 binomial standard errors, 41 villages)
    assert np.all(np.abs(freq - p) < 4.5 * np.sqrt(p * (1 - p) / reps) + 1e-12), \
        np.round(np.c_[freq, p], 3)
    # the round's villages are a simple random sample within each amphoe: joint inclusion of
    # two villages of an amphoe is s(s-1) / (N(N-1))
    for h, g in sub.groupby("amphoe_code"):
        idx = [pos[c] for c in g["village_code"]]
        n = len(idx)
        s = round(p[idx[0]] * n)
        pair = hits[:, idx].astype(float)
        joint = (pair.T @ pair / reps)[np.triu_indices(n, 1)]
        expect = s * (s - 1) / (n * (n - 1))
        assert np.all(np.abs(joint - expect) < 4.5 * np.sqrt(expect * (1 - expect) / reps)
                      + 1e-12), h


def test_one_off_sample_is_stratified_and_says_its_probabilities() -> None:
    sel = select(FRAME, 2549, seed=2, villages=400)
    f = sel.frame
    assert f["sampled"].sum() == 400 and sel.design == "sample"
    n_h = f.groupby("amphoe_code").size()
    s_h = f[f["sampled"] == 1].groupby("amphoe_code").size()
    assert np.allclose(f["selection_prob"], f["amphoe_code"].map(s_h / n_h))
    assert f.equals(select(FRAME, 2549, seed=2, wave=1, wave_sizes=[400]).frame)


def test_census_and_listed_villages_have_probability_one() -> None:
    f = select(FRAME, 2549).frame
    assert (f["sampled"] == 1).all() and (f["selection_prob"] == 1).all()
    f = select(FRAME, 2549, amphoe="8015").frame
    inside = f["amphoe_code"] == "8015"
    assert (f.loc[inside, "selection_prob"] == 1).all() and f.loc[~inside, "sampled"].eq(0).all()
    assert f.loc[~inside, "selection_prob"].isna().all() and f.loc[~inside, "wave"].isna().all()
    codes = ["80150101", "80010203"]
    f = select(FRAME, 2549, villages=codes).frame
    assert set(f.loc[f["sampled"] == 1, "village_code"]) == set(codes)
    assert (f.loc[f["sampled"] == 1, "selection_prob"] == 1).all()


@pytest.mark.parametrize("kwargs,err", [
    (dict(villages=5, wave=1), InputError),
    (dict(wave=1, resurvey=3), InputError),
    (dict(wave=2, resurvey=401), InputError),
    (dict(resurvey=3), InputError),
    (dict(wave=4), InputError),
    (dict(wave=0), InputError),
    (dict(villages=["80999901"]), AreaError),
    (dict(amphoe="8099"), AreaError),
])
def test_inconsistent_selections_are_refused(kwargs: dict, err: type) -> None:
    with pytest.raises(err):
        select(FRAME, 2550, seed=1, **kwargs)


def test_census_export_writes_the_frame_of_the_province(tmp_path: Path) -> None:
    out = tmp_path / "c"
    res = synthesize(out=out, seed=7, amphoe=["8015"], households_per_village=5)
    fr = _read_frame(out / "frame.csv")
    assert list(fr.columns) == FRAME_COLUMNS
    assert len(fr) == 1551 and fr["village_code"].is_unique
    assert fr["village_code"].str.fullmatch(r"\d{8}").all()
    v = _read_kobo(out / "village.csv")
    sampled = fr[fr["sampled"] == 1]
    assert set(sampled["village_code"]) == set(v["village/village_code"]) == \
        set(FRAME.loc[FRAME["amphoe_code"] == "8015", "village_code"])
    assert (sampled["selection_prob"] == 1).all() and (sampled["wave"] == 1).all()
    assert (fr["stratum"] == fr["village_code"].str.slice(0, 4)).all()
    hh = v.set_index("village/village_code")["village/vil_households"].astype(int)
    assert (sampled.set_index("village_code")["households"] == hh.loc[sampled["village_code"]]
            ).all()
    assert "census" in res.summary()


def test_full_census_by_default(tmp_path: Path) -> None:
    out = tmp_path / "p"
    res = synthesize(out=out, households_per_village=1)
    fr = _read_frame(out / "frame.csv")
    assert res.n_villages == 1551 and (fr["sampled"] == 1).all()
    assert (fr["selection_prob"] == 1).all() and (fr["resurvey"] == 0).all()


@pytest.fixture(scope="module")
def rollout(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Amphoe Khanom (16 villages) over three rounds: waves of 4, 6, 6; re-surveys 4 and 3."""
    root = tmp_path_factory.mktemp("rollout")
    outs = {}
    for wave, resurvey in ((1, 0), (2, 4), (3, 3)):
        outs[wave] = root / str(2548 + wave)
        synthesize(survey_round=2548 + wave, seed=3, out=outs[wave], amphoe="8015",
                   wave=wave, resurvey=resurvey, households_per_village=150)
    return outs


def test_rollout_exports_the_villages_of_its_frame(rollout: dict[int, Path]) -> None:
    for wave, out in rollout.items():
        fr = _read_frame(out / "frame.csv")
        v = _read_kobo(out / "village.csv")
        hh = _read_kobo(out / "household.csv")
        sampled = set(fr.loc[fr["sampled"] == 1, "village_code"])
        assert sampled == set(v["village/village_code"]) == set(hh["hh/village_code"])
        new = fr[(fr["sampled"] == 1) & (fr["resurvey"] == 0)]
        assert len(new) == (4, 6, 6)[wave - 1] and (new["wave"] == wave).all()
        again = fr[fr["resurvey"] == 1]
        assert len(again) == (0, 4, 3)[wave - 1] and (again["wave"] < wave).all()
        khanom = fr[fr["stratum"] == "8015"]
        assert np.allclose(khanom["selection_prob"], len(sampled) / 16)
    last = _read_frame(rollout[3] / "frame.csv")
    assert last.loc[last["stratum"] == "8015", "wave"].value_counts().to_dict() == \
        {1: 4, 2: 6, 3: 6}


def test_resurveyed_villages_keep_about_85_percent_of_households(
        rollout: dict[int, Path]) -> None:
    rows = []
    for wave in (1, 2, 3):
        hh = _read_kobo(rollout[wave] / "household.csv")
        rows.append(hh.assign(wave=wave))
    hh = pd.concat(rows, ignore_index=True)
    shares = []
    for wave in (2, 3):
        fr = _read_frame(rollout[wave] / "frame.csv")
        for code in fr.loc[fr["resurvey"] == 1, "village_code"]:
            now = hh[(hh["wave"] == wave) & (hh["hh/village_code"] == code)]
            before = hh[(hh["wave"] < wave) & (hh["hh/village_code"] == code)]
            before = before[before["wave"] == before["wave"].max()]
            j = now.merge(before, on="hh/head_pid", suffixes=("", "_then"))
            # a match is the same household: same head, one round older per year
            assert (j["hh/head_name"] == j["hh/head_name_then"]).all()
            years = j["wave"] - j["wave_then"]
            assert (j["hh/head_age"].astype(int) - j["hh/head_age_then"].astype(int)
                    == years).all()
            shares.append((len(j), len(now)))
    matched, total = np.sum(shares, axis=0)
    assert total >= 900
    assert 0.80 < matched / total < 0.90


def test_cli_rollout_round_and_its_errors(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from abcresearch.cli import main

    cmd = ["synth", "--round", "2550", "--seed", "2", "--amphoe", "8015", "--households", "5"]
    assert main(cmd + ["--out", str(tmp_path / "ok"), "--wave", "2", "--resurvey", "2",
                       "--truth"]) == 0
    assert "wave 2: 6 new + 2 re-surveyed of 16 villages" in capsys.readouterr().out
    fr = _read_frame(tmp_path / "ok" / "frame.csv")
    assert fr["sampled"].sum() == 8 and fr["resurvey"].sum() == 2
    areas = pd.read_csv(tmp_path / "ok" / "_truth" / "areas.csv", dtype={"area_code": str})
    assert areas.loc[areas["level"] == "amphoe", "area_code"].tolist() == ["8015"]
    assert (areas.loc[areas["level"] == "village", "area_code"].str.slice(0, 4) == "8015").all()
    for extra, words in ((["--wave", "1", "--resurvey", "2"], "no earlier villages"),
                         (["--wave", "2", "--villages", "3"], "not both"),
                         (["--wave", "2", "--wave-sizes", "4,x"], "whole numbers")):
        assert main(cmd + ["--out", str(tmp_path / "bad")] + extra) == 2
        err = capsys.readouterr().err
        assert words in err and err.startswith("abcresearch synth: ") and err.count("\n") == 1
    assert not (tmp_path / "bad").exists()
