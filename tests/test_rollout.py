"""Rolling village samples and repeated rounds (issue 12, items 3-5 and "How we will know").

A three-wave rollout of amphoe Khanom (8015), scaled down: wave 1 (4 of its 16 villages), wave 2
(6 new + 2 re-surveyed), wave 3 (the 6 left + 3 re-surveyed), 20 households per village, each
round synthesised with its finite-population truth (``_truth/areas.csv``) and ingested into one
store. The census round of ``sample_store`` (every Khanom village) checks that census reports
read as before.
"""

from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from abcresearch.analysis import round as round_mod
from abcresearch.analysis.change import change_analysis, earlier_round
from abcresearch.analysis.design import choose_design, design_spec
from abcresearch.analysis.round import round_analysis, round_frame, score_round, store_area_status
from abcresearch.analysis.status import (
    SUMMARY_KEYS,
    coverage_table,
    load_status_rules,
)
from abcresearch.errors import DesignError, ReportError, StoreError
from abcresearch.labels import label, round_half_up
from abcresearch.reports.area import AreaReport
from abcresearch.reports.estimates import level_key
from abcresearch.reports.province import ProvinceReport
from abcresearch.reports.sections.change import published_change
from abcresearch.scoring.grade_rules import load_grade_rules
from abcresearch.store import load

ROUNDS = {2549: (1, 0), 2550: (2, 2), 2551: (3, 3)}  # round: (wave, villages re-surveyed)
KEY = "test-key-not-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def rollout(tmp_path_factory):
    """Three rounds of a Khanom rollout ingested into one store: (store, export folders)."""
    from abcresearch.ingest.pipeline import ingest
    from abcresearch.synth.generate import synthesize

    base = tmp_path_factory.mktemp("rollout")
    store = base / "store"
    exports = {}
    old = os.environ.get("ABCRESEARCH_KEY")
    os.environ["ABCRESEARCH_KEY"] = KEY
    try:
        for r, (wave, again) in ROUNDS.items():
            exports[r] = base / str(r)
            synthesize(province="80", survey_round=r, seed=7, out=exports[r], amphoe="8015",
                       households_per_village=20, wave=wave, resurvey=again, truth=True)
            ingest(exports[r], survey_round=r, store=store)
    finally:
        if old is None:
            os.environ.pop("ABCRESEARCH_KEY", None)
        else:
            os.environ["ABCRESEARCH_KEY"] = old
    return store, exports


def _truth(exports, r: int) -> pd.DataFrame:
    return pd.read_csv(exports[r] / "_truth" / "areas.csv",
                       dtype={"area_code": str}).set_index("area_code")


# ------------------------------------------------------------------ item 3: the design
def test_design_follows_the_frame(rollout, sample_store) -> None:
    store, _ = rollout
    for r in ROUNDS:
        ra = round_analysis(r, store)
        assert ra.design.name == "two_stage" and ra.design.choice == "auto" and ra.has_frame
        assert ra.design.strata == "stratum" and ra.design.nest
        assert ra.design.cluster == ("village_code", "submission_uuid")
        assert ra.design.fpc == ("stratum_villages", "village_households")
    census = round_analysis(2549, sample_store)
    assert census.design.name == "census" and census.design.strata == "village_code"
    # the researcher's override, and a cache per design
    forced = round_analysis(2549, store, design="census")
    assert forced.design.name == "census" and forced.design.choice == "census"
    assert forced.key != round_analysis(2549, store).key
    with pytest.raises(DesignError, match="design must be one of"):
        round_analysis(2549, store, design="three_stage")
    with pytest.raises(DesignError, match="needs the round's village frame"):
        choose_design(None, "two_stage")
    every = pd.DataFrame({"sampled": [1, 1, 0], "selection_prob": [1.0, 1.0, np.nan]})
    assert choose_design(every).name == "census"
    assert choose_design(every, "two_stage").name == "two_stage"


def test_two_stage_design_matches_its_declaration(rollout) -> None:
    """The design the reports use is the declared two-stage design on the stored columns."""
    from abcresearch.stats import SurveyDesign

    store, _ = rollout
    ra = round_analysis(2550, store)
    hh = ra.households
    ours = ra.design.build(hh).mean("human", by="tambon_code", na_rm=True)
    direct = SurveyDesign(hh, weights="weight", strata="stratum",
                          cluster=["village_code", "submission_uuid"],
                          fpc=["stratum_villages", "village_households"], nest=True,
                          lonely_psu="adjust").mean("human", by="tambon_code", na_rm=True)
    pd.testing.assert_frame_equal(ours, direct)
    assert (ours["se"] > 0).all()


def test_area_estimates_are_domains_of_the_round_design(rollout) -> None:
    """A tambon's estimates are a domain of the two-stage design over its stratum (its SE sees
    the stratum's other villages); a village's are conditional on its selection (the census
    design within the village, fpc = its frame households)."""
    from abcresearch.stats import SurveyDesign

    store, _ = rollout
    rep = AreaReport.load("801501", 2550, store=store)
    ra = rep.analysis
    full = ra.design.build(ra.households).mean("human", by="tambon_code", na_rm=True)
    ours = rep.capital_profile().estimates.loc["human"]
    assert ours["estimate"] == pytest.approx(full.loc["801501", "estimate"])
    assert ours["se"] == pytest.approx(full.loc["801501", "se"])
    assert rep.design.n == len(rep.households) < len(rep.design.data)
    vil = AreaReport.load("80150101", 2550, store=store)
    hh = vil.households
    cond = SurveyDesign(hh, weights="weight", strata="village_code",
                        fpc="village_households").mean("human", na_rm=True).iloc[0]
    got = vil.capital_profile().estimates.loc["human"]
    assert got["se"] == pytest.approx(cond["se"]) and np.isfinite(got["ci_low"])


def test_stacked_design_is_the_change_design(rollout) -> None:
    """The integer-coded stacked design gives round_change's own design's numbers."""
    import warnings

    from abcresearch.analysis.change import stacked_design, stacked_households
    from abcresearch.errors import AbcResearchWarning
    from abcresearch.scoring.rounds import round_change

    store, _ = rollout
    a, b = round_analysis(2549, store), round_analysis(2550, store)
    st = stacked_households(a, b)
    for psu, by in (("village", "tambon_code"), ("household", "village_code")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AbcResearchWarning)  # unverified poverty lines
            ref = round_change(st, a.scheme, psu=psu, by=by)
            ours = round_change(st, a.scheme, by=by, design=stacked_design(st, psu))
        pd.testing.assert_frame_equal(ref, ours, check_exact=False, rtol=1e-10)


def test_village_households_are_the_frames() -> None:
    """score_round keeps the frame's M (weights and fpc) over the village form's count."""
    from abcresearch.scoring import load_scheme

    sch = load_scheme()
    hh = pd.DataFrame({"submission_uuid": ["a", "b"], "village_code": ["80150101"] * 2,
                       "tambon_code": ["801501"] * 2, "amphoe_code": ["8015"] * 2,
                       "province_code": ["80"] * 2, "weight": [150.0, 150.0],
                       "hh_size": [3, 4], "fin_income_year": [50000.0, 80000.0],
                       "village_households": [300, 300]})
    forms = pd.DataFrame({"village_code": ["80150101"], "vil_households": [250]})
    derived, _ = score_round(hh, forms, sch)
    assert derived["village_households"].tolist() == [300.0, 300.0]
    derived, _ = score_round(hh.drop(columns="village_households"), forms, sch)
    assert derived["village_households"].tolist() == [250.0, 250.0]


def test_stored_village_households_match_the_frame(rollout) -> None:
    store, _ = rollout
    ra = round_analysis(2551, store)
    frame = load(2551, store=store, table="frame").set_index("village_code")["households"]
    hh = ra.households
    assert np.array_equal(hh["village_households"].to_numpy(),
                          hh["village_code"].map(frame).astype(float).to_numpy())


def test_a_villages_households_are_its_own_in_a_round_that_samples_villages(rollout) -> None:
    """A sampled village's weight also stands for the unsurveyed villages of its stratum: its
    row of the levels table (in its tambon's report and its own) counted 2-3 times its
    households. Each village counts its own (weight x village_prob: its frame count); the
    tambon's row still estimates the whole tambon, and its note says so."""
    store, _ = rollout
    frame = load(2550, store=store, table="frame").set_index("village_code")["households"]
    rep = AreaReport.load("801501", 2550, store=store)
    assert (rep.households["village_prob"] < 1).any()  # villages are sampled in this round
    by_village, _ = rep.weighted_counts("overall_level", "village_code")
    own = by_village.sum(axis=1)
    assert np.allclose(own.to_numpy(), frame.reindex(own.index).to_numpy(dtype=float))
    whole, _ = rep.weighted_counts("overall_level")
    assert float(whole.to_numpy().sum()) == pytest.approx(
        rep.households["weight"].sum() * rep.count_factor)
    cov = rep.status.coverage
    assert cov.villages_surveyed < cov.villages_total  # the case of the note
    notes = rep.levels_and_tracks().tables[0].notes
    assert label("levels.notes_villages_calibrated", "th").split("{")[0] in notes
    code = own.index[0]
    vil = AreaReport.load(code, 2550, store=store)
    counts, _ = vil.weighted_counts("overall_level", "village_code")
    assert float(counts.to_numpy().sum()) == pytest.approx(float(frame[code]))
    assert float(vil.households["weight"].sum()) == pytest.approx(float(frame[code]))
    # its item shares have intervals, as its design's (the round's design on one village had
    # no between-village variance: no interval, no "clearly" on its summary page)
    from abcresearch.reports.sections.actions import area_item_shares

    shares = area_item_shares(vil)
    asked = shares["n_base"] > 0
    assert asked.any() and shares.loc[asked, "ci_low"].notna().all()


def test_an_areas_counts_add_up_to_its_frame_in_a_round_that_samples_villages(
        rollout, sample_store) -> None:
    """A tambon of 8 villages, 4 surveyed: its weights added up to the design's estimate of its
    households (a tambon of 1,603 in the frame read 1,810 in its levels table). Its counts
    are now the ratio estimator, the frame's households x the design's shares: they add up to
    the frame; its households and design keep the design's weights (shares, means, standard
    errors and design totals as R's survey package gives them); an amphoe's rows are its
    tambons' own counts."""
    store, _ = rollout
    frame = load(2550, store=store, table="frame")
    known = frame.groupby("tambon_code")["households"].sum()
    rep = AreaReport.load("801501", 2550, store=store)
    assert rep.calibrated
    design_total = float(rep.area_row["households_estimated"])
    assert abs(design_total - known["801501"]) > 1  # the design's estimate is not the frame's
    raw = rep.analysis.area_households("801501")
    assert rep.households["weight"].tolist() == raw["weight"].tolist()  # not scaled
    assert float(rep.households["weight"].sum()) == pytest.approx(design_total)
    assert rep.count_factor * design_total == pytest.approx(known["801501"])
    whole, _ = rep.weighted_counts("overall_level")
    level1 = (raw["overall_level"].map(level_key) == "1").to_numpy()
    share = float((raw["weight"] * level1).sum() / raw["weight"].sum())
    assert float(whole.loc["all", "1"]) == pytest.approx(known["801501"] * share)
    # the summary's and the methods note's households are the counts' total
    assert rep.summary()["households_estimated"] == round(known["801501"])
    note = rep.methods_note().text
    assert f"{int(known['801501']):,}" in note
    scaled = "ปรับน้ำหนักให้รวมเท่ากับบัญชีรายชื่อ"
    assert scaled in label("rollout.design.calibrated", "th") and scaled in note
    # an amphoe report: each tambon's row is its own count, the whole row the amphoe's frame
    amp = AreaReport.load("8015", 2550, store=store)
    rows, _ = amp.weighted_counts("overall_level", "tambon_code")
    assert np.allclose(rows.sum(axis=1).to_numpy(),
                       known.reindex(rows.index).to_numpy(dtype=float))
    total, _ = amp.weighted_counts("overall_level")
    assert float(total.to_numpy().sum()) == pytest.approx(
        float(known[known.index.str.startswith("8015")].sum()))
    notes = amp.levels_and_tracks().tables[0].notes
    assert label("levels.notes_calibrated", "th").split("{")[0] in notes
    # the rows need not add up to the whole row, either way (the note said "more" only, where
    # a reader review found the rows' sum above the total); the households of the tambons no
    # sampled village reached are counted, where there are any
    assert "อาจมากหรือน้อยกว่าแถวรวม" in notes
    outside = float(known[known.index.str.startswith("8015")].sum()
                    - known.reindex(rows.index).sum())
    assert ("ของพื้นที่ที่ไม่มีหมู่บ้านใดถูกสำรวจ" in notes) == (outside > 0)
    # a census round is its frame already: nothing is scaled
    census = AreaReport.load("801501", 2549, store=sample_store)
    assert not census.calibrated
    assert scaled not in census.methods_note().text


def test_the_levels_note_says_the_rows_leave_out_the_areas_no_village_was_sampled_in(
        rollout, monkeypatch) -> None:
    """Where some tambons of an amphoe had no sampled village, each tambon's row counts its
    own frame households, so the rows add up to less than the whole row by those tambons'
    households, not by chance: the note says so, with their number, and keeps "more or
    less, within the sampling error" for an amphoe whose every tambon has a row (a code
    review)."""
    from abcresearch.reports.context import AreaContext

    store, _ = rollout
    amp = AreaReport.load("8015", 2550, store=store)
    plain = amp.levels_and_tracks().tables[0].notes
    frame = int(amp.known_households(["8015"]).iloc[0])
    assert label("levels.notes_calibrated", "th", frame=f"{frame:,}") in plain
    original = AreaContext.known_households

    def with_outside(self, codes):  # 120 frame households in a tambon no village reached
        out = original(self, codes)
        return out + 120.0 if list(out.index) == ["8015"] else out

    monkeypatch.setattr(AreaContext, "known_households", with_outside)
    notes = AreaReport.load("8015", 2550, store=store).levels_and_tracks().tables[0].notes
    assert label("levels.notes_calibrated_outside", "th", frame=f"{frame + 120:,}",
                 n="120") in notes
    assert "อาจมากหรือน้อยกว่าแถวรวม" not in notes


def test_cache_writer_holds_the_shared_store_lock(rollout, monkeypatch) -> None:
    store, _ = rollout
    held = []
    real_lock, real_score = round_mod.store_lock, round_mod.score_round

    class Recording:
        def __init__(self, *a, **k):
            self.inner = real_lock(*a, **k)
            self.shared = k.get("shared", True)

        def __enter__(self):
            held.append(self.shared)
            return self.inner.__enter__()

        def __exit__(self, *exc):
            held.pop()
            return self.inner.__exit__(*exc)

    seen = {}

    def score(*a, **k):
        seen["held"] = list(held)
        return real_score(*a, **k)

    monkeypatch.setattr(round_mod, "store_lock", Recording)
    monkeypatch.setattr(round_mod, "score_round", score)
    ra = round_analysis(2549, store, rebuild=True)
    assert seen["held"] == [True] and held == []
    assert (ra.cache_dir / "areas.parquet").is_file()


def test_weighted_totals_within_3_se_of_the_truth(rollout) -> None:
    """Households and level-1 households of the amphoe and of every tambon resting on enough
    sampled villages, in every round: within 3 SE of the finite-population truth."""
    store, exports = rollout
    msv = load_status_rules().min_sampled_villages
    checked = 0
    for r in ROUNDS:
        ra = round_analysis(r, store)
        truth = _truth(exports, r)
        d = ra.design.build(ra.households.assign(one=1.0))
        enough = ra.areas.set_index("area_code")["villages_surveyed"] >= msv
        for by in ("amphoe_code", "tambon_code"):
            for var, col in (("one", "households"), ("level1", "households_level1")):
                est = d.total(var, by=by, na_rm=True)
                for code, row in est.iterrows():
                    if not enough[code]:
                        continue
                    gap = abs(row["estimate"] - truth.loc[code, col])
                    assert gap <= 3 * row["se"], (r, code, col, row["estimate"], row["se"],
                                                  truth.loc[code, col])
                    checked += 1
        # the weights of a surveyed village add up to its frame households over its probability
        frame = load(r, store=store, table="frame").set_index("village_code")
        w = ra.households.groupby("village_code")["weight"].sum()
        expect = frame.loc[w.index, "households"] / frame.loc[w.index, "selection_prob"]
        np.testing.assert_allclose(w.to_numpy(), expect.to_numpy())
    assert checked >= 12


# ------------------------------------------------------------------ item 4: status and coverage
def test_areas_table_coverage_and_status(rollout) -> None:
    store, exports = rollout
    ra = round_analysis(2549, store)
    frame = load(2549, store=store, table="frame")
    a = ra.areas.set_index("area_code")
    for tambon in ("801501", "801502", "801503"):
        f = frame[frame["village_code"].str.startswith(tambon)]
        assert a.loc[tambon, "villages_total"] == len(f)
        assert a.loc[tambon, "households_total"] == f["households"].sum()
        sampled = f[f["sampled"] == 1]
        assert a.loc[tambon, "villages_surveyed"] == len(sampled)
        assert a.loc[tambon, "households_surveyed"] == 20 * len(sampled)
    # graded from its two villages: final, or near_threshold where the grade table says so
    near = bool(ra.tambons.set_index("tambon_code").loc["801501", "near_threshold"])
    assert a.loc["801501", "grade_status"] == ("near_threshold" if near else "final")
    for one in ("801502", "801503"):  # one sampled village each in wave 1
        assert a.loc[one, "villages_surveyed"] == 1
        assert a.loc[one, "grade_status"] == "not_graded" and pd.isna(a.loc[one, "grade"])
    assert a.loc["8001", "estimate_basis"] == "none"  # an amphoe outside the rollout
    assert a.loc["8001", "grade_status"] == "not_surveyed"
    assert a.loc["80", "villages_total"] == len(frame) == 1551
    assert a.loc["80", "strata_surveyed"] == 1 < a.loc["80", "strata_total"]
    # a village's weighted households, conditional on its selection, are its frame count
    v = frame.set_index("village_code")
    for code in ra.households["village_code"].unique():
        assert a.loc[code, "households_estimated"] == pytest.approx(v.loc[code, "households"])
    # the grade is withheld where it is published: grade tables, with the reason why
    t = ra.tambons.set_index("tambon_code")
    raw = ra.direct_grades("tambon").set_index("tambon_code")
    assert raw.loc["801502", "grade"] in ("A", "B", "C")
    assert pd.isna(t.loc["801502", "grade"]) and pd.isna(t.loc["801502", "priority_rank"])
    assert t.loc["801502", "grade_label_th"] == label("rollout.grade_withheld", "th")
    assert "1" in t.loc["801502", "reason_th"] and t.loc["801501", "priority_rank"] == 1
    assert t.loc["801501", "grade"] == raw.loc["801501", "grade"]
    # the support band is need x grade: it would give the grade away, so it goes with it
    assert pd.notna(raw.loc["801502", "priority_band"])
    assert pd.isna(t.loc["801502", "priority_band"]) and pd.isna(t.loc["801502", "priority_cell"])
    assert not t.loc["801502", "near_threshold"]
    assert t.loc["801501", "priority_band"] == raw.loc["801501", "priority_band"]


def test_withheld_grades_in_the_grade_tables(rollout) -> None:
    """The amphoe's tambon table and the province's ranking say "not graded" for a tambon on
    one sampled village, with no support band."""
    store, _ = rollout
    withheld = label("rollout.grade_withheld", "th")
    vil = AreaReport.load("8015", 2549, store=store).villages()
    rank = ProvinceReport.load("80", 2549, store=store).tambon_ranking()
    for res, name in ((vil, "ตำบลควนทอง"), (rank, "ควนทอง")):
        shown = res.tables[0].data.set_index(label("col.tambon", "th"))
        assert shown.loc[name, label("readiness.col.grade", "th")] == withheld
        assert shown.loc[name, label("readiness.col.band", "th")] == ""
    assert f"**ตำบลควนทอง**: {withheld}" in vil.text


def test_model_estimates_have_a_place(rollout) -> None:
    store, _ = rollout
    ra = round_analysis(2549, store, model_areas={"801502", "800101"},
                        model_grades={"801502": "A"})
    a = ra.areas.set_index("area_code")
    assert a.loc["801502", "estimate_basis"] == "model"
    assert a.loc["801502", "grade_status"] == "provisional" and a.loc["801502", "grade"] == "A"
    assert a.loc["800101", "estimate_basis"] == "model"  # not surveyed, but modelled
    assert a.loc["801503", "grade_status"] == "not_graded"
    t = ra.tambons.set_index("tambon_code")
    gr = load_grade_rules()
    assert ra.direct_grades("tambon").set_index("tambon_code").loc["801502", "grade"] != "A"
    assert t.loc["801502", "grade"] == "A"
    assert t.loc["801502", "grade_label_th"] == gr.grade_labels["A"]["th"]
    band = {cell: i + 1 for i, cell in enumerate(gr.bands)}[(t.loc["801502", "need"], "A")]
    assert t.loc["801502", "priority_band"] == band  # the band follows the published grade
    assert t.loc["801502", "priority_cell"] == f"{t.loc['801502', 'need']}_A"
    st = store_area_status(2549, "800101", store, model_areas={"800101"})
    assert st.basis.value == "model"


def test_store_area_status_reads_the_area_alone_and_agrees_with_the_whole_round(rollout) -> None:
    """The command-line check reads one area's partitions; its answer is the whole round's."""
    from abcresearch.analysis.status import area_status, area_statuses
    from abcresearch.store import read as store_read

    store, _ = rollout
    frame = round_frame(2549, store)
    hh = store_read.load(2549, store=store, columns=["village_code", "weight", "village_prob"])
    whole = area_statuses(coverage_table(hh, frame))
    surveyed = set(hh["village_code"])
    unsurveyed = sorted(set(frame["village_code"]) - surveyed)
    empty_tambon = next(c[:6] for c in unsurveyed
                        if not any(s.startswith(c[:6]) for s in surveyed))
    codes = ["80", "8015", "801502", sorted(surveyed)[0], unsurveyed[0], empty_tambon]
    for code in codes:
        assert store_area_status(2549, code, store) == area_status(whole, code), code
    assert store_area_status(2549, empty_tambon, store).basis.value == "none"
    assert store_area_status(2549, unsurveyed[0], store).coverage.villages_surveyed == 0


def test_coverage_without_a_frame_is_the_village_forms() -> None:
    hh = pd.DataFrame({"village_code": ["80150101"] * 3 + ["80150201"] * 2,
                       "weight": [10.0] * 3 + [5.0] * 2})
    forms = pd.DataFrame({"village_code": ["80150101", "80150201", "80150301"],
                          "vil_households": [30, 10, 40]})
    cov = coverage_table(hh, None, forms).set_index("area_code")
    assert cov.loc["8015", "villages_total"] == 3 and cov.loc["8015", "villages_surveyed"] == 2
    assert cov.loc["8015", "households_total"] == 80
    assert cov.loc["8015", "households_estimated"] == 40.0
    assert cov.loc["80150301", "households_surveyed"] == 0


@pytest.fixture(scope="module")
def one_village_tambon(rollout):
    """Tambon 801502 in the first wave: one sampled village of four."""
    store, _ = rollout
    report = AreaReport.load("801502", 2549, store=store)
    for section in ("cover", "key_findings", "capital_profile", "levels_and_tracks",
                    "deprivation", "villages", "income", "change", "methods_note"):
        getattr(report, section)()
    return report


def test_one_village_tambon_is_not_graded(one_village_tambon) -> None:
    rep = one_village_tambon
    st = rep.status
    assert st.grade_status.value == "not_graded" and st.grade is None
    raw = rep.analysis.direct_grades("tambon").set_index("tambon_code").loc["801502"]
    cover = rep.results["cover"].text
    assert "สำรวจ 1 จาก 4 หมู่บ้าน · ครัวเรือนตัวอย่าง 20 จาก 984 ครัวเรือน" in cover
    assert label("grade_status.not_graded", "th", min_villages=2) in cover
    assert f"ความพร้อมของชุมชน: {raw['grade_label_th']}" not in cover
    warning = label("rollout.warning.few_villages", "th", area=rep.area_name(), villages=1,
                    total=4, min_villages=2)
    assert warning in cover
    found = [t for r in rep.results.values() for t in r.tables]
    assert found and all(warning in (t.notes or "") for t in found)
    s = rep.summary()
    assert set(SUMMARY_KEYS) <= set(s)
    assert s["grade"] is None and s["grade_status"] == "not_graded"
    assert s["coverage"] == {"villages_surveyed": 1, "villages_total": 4,
                             "households_surveyed": 20, "households_total": 984}
    assert s["estimate_basis"] == "direct" and "change" not in s  # no earlier round
    assert isinstance(s["households_estimated"], int)
    assert rep.results["change"].parts == ()  # no earlier round: no section


def test_census_round_reads_as_before(sample_store) -> None:
    """A census round: census design, nothing withheld, the cover's coverage line."""
    rep = AreaReport.load("801501", 2549, store=sample_store)
    assert rep.analysis.design.name == "census"
    assert rep.status.grade_status.value == "final"
    raw = rep.analysis.direct_grades("tambon")
    pd.testing.assert_series_equal(rep.analysis.tambons["grade"], raw["grade"],
                                   check_dtype=False)
    assert rep.estimate_warnings == []
    cover = rep.cover().text
    n = len(rep.households)
    assert f"สำรวจ 8 จาก 8 หมู่บ้าน · ครัวเรือนตัวอย่าง {n:,} จาก" in cover
    assert f"ความพร้อมของชุมชน: {rep.grade_row['grade_label_th']}" in cover
    note = rep.methods_note().text
    assert label("methods.text", "th", be=2549, scheme="abc7 v2026.1", scheme_id="abc7",
                 threshold=5) in note
    # the scheme's release not beside "พ.ศ. 2549", where "v2026.1" read as a later year (reader
    # reviews): the prose names the set, the provenance line its release
    assert "(ชุด abc7 รุ่นของชุดอยู่ในบรรทัดที่มาของข้อมูล)" in note and "abc7 v2026.1" in note
    assert label("rollout.design.source_frame", "th") in note
    assert rep.change().parts == () and "change" not in rep.summary()


def test_a_transition_table_nothing_can_protect_is_not_printed(rollout, monkeypatch) -> None:
    """A diff review: a table of level changes whose printed total pins a small cell from
    its markers is left out with a sentence saying why, not printed as markers only."""
    import dataclasses

    from abcresearch.analysis.change import ChangeAnalysis

    store, _exports = rollout
    original = ChangeAnalysis.transitions

    def pinned(self, area_code):
        tr, counts = original(self, area_code)
        levels = list(tr.counts.index)[:3]
        table = pd.DataFrame([[1, 5, 0], [5, 0, 0], [0, 0, 0]], index=levels, columns=levels)
        return dataclasses.replace(tr, counts=table), {**counts, "matched": 11}

    monkeypatch.setattr(ChangeAnalysis, "transitions", pinned)
    rep = AreaReport.load("80150101", 2550, store=store)
    res = rep.change()
    assert rep.t("rollout.change.transitions_hidden") in res.text
    assert rep.t("rollout.change.transitions_heading") not in res.text


@pytest.mark.parametrize("left_out", [0, 2, 7])
def test_the_level_change_tables_notes_say_who_it_counts(rollout, monkeypatch,
                                                         left_out: int) -> None:
    """A matched household without a level in a round is not in the table of level changes,
    whose cells then add up to less than the notes' matched households (a review): the notes
    say the table counts those with a level in both rounds, with their number only where the
    households left out are not a small count (the two numbers side by side would print it),
    and the sentence on moves gives its base the same way."""
    import dataclasses

    from abcresearch.analysis.change import ChangeAnalysis

    store, _exports = rollout
    original = ChangeAnalysis.transitions

    def matched_more(self, area_code):
        tr, counts = original(self, area_code)
        levels = list(tr.counts.index)
        table = pd.DataFrame(6, index=levels, columns=levels)  # every cell shown
        total = int(table.to_numpy().sum())
        return dataclasses.replace(tr, counts=table), {**counts, "matched": total + left_out}

    monkeypatch.setattr(ChangeAnalysis, "transitions", matched_more)
    rep = AreaReport.load("80150103", 2551, store=store)  # its table is printed
    res = rep.change()
    t = rep.t
    assert t("rollout.change.transitions_heading") in res.text
    total = int(res.details["transitions"].counts.to_numpy().sum())
    matched = f"{total + left_out:,}"
    in_table = t("rollout.change.transitions_in_table", n=f"{total:,}")
    only = t("rollout.change.transitions_in_table_only")
    caption = t("rollout.change.transitions_caption", be_from=2550, be_to=2551)
    notes = next(x.notes for x in res.tables if x.caption == caption)
    if 0 < left_out < rep.threshold:
        # the matched households beside the cells (which add up to the table's count) would
        # give the small count left out back (a code review): the notes count the table's
        assert f"{total + left_out:,}" not in notes and f"{total:,} ครัวเรือน" in notes
    else:
        assert f"{total + left_out:,} ครัวเรือน" in notes  # the matched households
    assert (in_table in notes) == (left_out >= rep.threshold)
    assert notes.endswith(only) == (0 < left_out < rep.threshold)  # (a prefix of in_table)
    moved = [x for x in res.text.splitlines() if "ขยับขึ้นอย่างน้อยหนึ่งระดับ" in x]
    assert len(moved) == 1
    if left_out == 0 or left_out >= rep.threshold:
        assert f"ในครัวเรือนเดิม {total:,} ครัวเรือน" in moved[0]
    else:  # neither the table's count nor the matched one beside the other
        assert f"{total:,}" not in moved[0] and matched not in moved[0]
        assert f"{total:,} ครัวเรือน" not in res.text


# ------------------------------------------------------------------ item 5: change
def test_change_of_a_resurveyed_village(rollout) -> None:
    """Village 80150101 is surveyed in every wave: its change has the sign of later minus
    earlier and the truth's change lies within 3 SE of it."""
    store, exports = rollout
    rep = AreaReport.load("80150101", 2550, store=store)
    res = rep.change()
    rows = res.estimates.set_index("measure")
    assert rep.compare_round() == 2549 and res.details["psu"] == "village"
    shown = rows[rows["published"]]
    assert len(shown) >= 6
    np.testing.assert_allclose(shown["estimate"], shown["estimate_to"] - shown["estimate_from"],
                               atol=1e-12)
    # the later value is the area's own estimate in the later round
    own = rep.capital_profile().estimates
    human = own.loc["human", "estimate"] if "human" in own.index else None
    if human is not None:
        assert shown.loc["mean_human", "estimate_to"] == pytest.approx(human)
    t1, t2 = _truth(exports, 2549).loc["80150101"], _truth(exports, 2550).loc["80150101"]
    truth = {"share_level1": t2["share_level1"] - t1["share_level1"],
             "poverty_headcount": t2["income_poor_share"] - t1["income_poor_share"],
             **{f"mean_{c}": t2[f"mean_{c}"] - t1[f"mean_{c}"] for c in rep.capitals}}
    checked = 0
    for m, true in truth.items():
        if m in shown.index and shown.loc[m, "estimable"]:
            r = shown.loc[m]
            assert abs(r["estimate"] - true) <= 3 * r["se"], (m, r["estimate"], r["se"], true)
            checked += 1
    assert checked >= 6
    # matched households: 85% of a re-surveyed village's households are the earlier ones
    tr = res.details["counts"]
    assert tr["matched"] >= 14 and "transitions" in res.details
    # published and in the summary JSON as printed
    s = rep.summary()
    assert {c["measure"] for c in s["change"]} == set(rows.index)
    entry = next(c for c in s["change"] if c["measure"] == "mean_human")
    assert entry["round_from"] == 2549 and entry["round_to"] == 2550
    assert entry["estimate"] == round(rows.loc["mean_human", "estimate"], 1)
    assert s["compare_round"] == 2549
    json.dumps(s)


def test_change_of_tambons_and_the_noise_rule(rollout) -> None:
    store, _ = rollout
    rep = AreaReport.load("801502", 2551, store=store)  # 2 villages in 2551, 1 in 2550
    res = rep.change()
    assert rep.compare_round() == 2550
    rows = res.estimates
    assert rows["published"].any() and not rows["estimable"].any()
    assert rows["se"].isna().all() and not rows["beyond_noise"].any()
    assert label("rollout.change.not_estimable", "th", min_villages=2) in res.text
    # a change without an interval is not printed (a reader review: "-20.1" under a heading
    # promising an interval read as a real fall), nor recorded as printed; each round's value is
    main = res.to_frame(0)
    assert (main[rep.t("rollout.change.col_change_ci")] == "–").all()
    # nor in the summary file beside the PDF (a code review)
    from abcresearch.reports.sections.change import change_records

    assert all(r["estimate"] is None for r in change_records(rows))
    assert main[rep.t("rollout.change.col_round", be=2551)].notna().any()
    assert not [e for e in res.published if e.kind == "change"]
    assert [e for e in res.published if e.rounds == (2551,)]
    # tambon 801501 rests on enough villages in both rounds: SEs from the stacked design
    rep = AreaReport.load("801501", 2551, store=store)
    rows = rep.change(compare_round=2549).estimates
    ok = rows[rows["published"]]
    assert ok["estimable"].all() and (ok["se"] > 0).all()
    assert (ok["round_from"] == 2549).all()
    beyond = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
    sentences = [ln for ln in rep.results["change"].text.splitlines() if ln.startswith("- ")]
    assert len(sentences) == len(beyond)
    # the table's other measures are said to be within the noise, not left unsaid (a review)
    within = ok[~((ok["ci_low"] > 0) | (ok["ci_high"] < 0))]
    said = label("rollout.change.rest_within_noise", "th") in rep.results["change"].text
    assert said == (len(beyond) > 0 and len(within) > 0)


def test_change_says_which_villages_each_round_rests_on(rollout, sample_store) -> None:
    """A tambon's change compared rounds that surveyed different villages without saying so:
    an อบต. could not tell real change from a change of villages."""
    store, _ = rollout
    rep = AreaReport.load("801502", 2551, store=store)  # 2 villages in 2551, 1 in 2550
    text = rep.change().text
    villages = {r: set(load(r, store=store, columns=["village_code"])["village_code"]
                       .astype(str).pipe(lambda c: c[c.str.startswith("801502")]))
                for r in (2550, 2551)}
    assert len(villages[2551]) == 2 and villages[2550] != villages[2551]
    _, rows = published_change(rep, None)
    intervals = bool(rows["estimable"].any())
    from abcresearch.survey.areas import get_area

    def names(codes: set[str]) -> str:  # "หมู่ที่ 1, หมู่ที่ 3": a tambon's villages, named
        return ", ".join(f"หมู่ที่ {int(c[-2:])}" for c in sorted(codes))

    assert names({"80150203"}) == get_area("80150203").label("th")
    both = villages[2550] & villages[2551]
    expected = label("rollout.change.basis_differs", "th", be_from=2550, be_to=2551,
                     n_from=len(villages[2550]), n_to=2,
                     list_from=f" ({names(villages[2550])})",
                     list_to=f" ({names(villages[2551])})",
                     total=rep.status.coverage.villages_total,
                     both=(f"{names(both)} สำรวจทั้งสองรอบ" if both
                           else "ไม่มีหมู่บ้านใดที่สำรวจทั้งสองรอบ"),
                     intervals=label("rollout.change.basis_intervals", "th") if intervals
                     else "")
    assert expected in text
    assert "คนละชุด" not in text and "มี 0 หมู่บ้าน" not in text
    # the sentence says the intervals include the villages' sampling only where there are any
    # (a tambon of one sampled village showed points only beside it)
    assert (label("rollout.change.basis_intervals", "th") in text) == intervals
    vil = AreaReport.load("80150101", 2550, store=store)  # a village: no such sentence
    assert "สองรอบนี้สำรวจ" not in vil.change().text


def test_change_psu_follows_the_frames(rollout, sample_store) -> None:
    store, _ = rollout
    ch = change_analysis(round_analysis(2551, store), round_analysis(2550, store))
    assert ch.psu == "village" and ch.linked
    t = ch.table
    assert set(t["level"]) == {"tambon", "amphoe", "province"}
    # villages when asked: a village of one round only has no change
    assert ch.area("80150102").empty
    v = ch.area("80150101")
    assert set(v["level"]) == {"village"} and v["estimate"].notna().any()
    # census rounds: households within villages (tested on two census rounds of one store)
    census = round_analysis(2549, sample_store)
    assert census.design.name == "census"
    from abcresearch.analysis.change import change_psu

    assert change_psu(census, census) == "household"


def test_compare_round_is_checked(rollout) -> None:
    store, _ = rollout
    rep = AreaReport.load("80150103", 2551, store=store)  # first surveyed in 2550
    assert rep.compare_round() == 2550
    with pytest.raises(ReportError, match="not earlier than"):
        rep.change(compare_round=2551)
    with pytest.raises(ReportError, match="not in the store"):
        rep.change(compare_round=2540)
    res = rep.change(compare_round=2549)  # named by the researcher: one line
    assert label("rollout.change.not_in_round", "th", area=rep.area_name(), be=2549) in res.text
    assert not res.tables
    assert earlier_round(2549, "8015", store) is None


def test_province_rollout_and_change_overview(rollout) -> None:
    store, _ = rollout
    p = ProvinceReport.load("80", 2551, store=store)
    table = p.rollout().table
    assert table.iloc[:, 2].tolist() == [4, 8, 9]  # villages surveyed per round
    assert table.iloc[:, 3].tolist() == [4, 6, 6] and table.iloc[:, 4].tolist() == [0, 2, 3]
    assert table.iloc[:, 5].tolist() == [4, 10, 16]  # cumulative villages covered
    over = p.change_overview()
    assert set(over.details["verdicts"]) == {"801501", "801502", "801503"}
    assert set(over.details["verdicts"].values()) <= {"improved", "declined", "mixed", "none"}
    assert p.methods_note().details["design"] == "two_stage"
    assert p.change_overview(compare_round=2549).options["compare_round"] == 2549


def test_the_overview_lead_counts_ungraded_tambons_as_such(rollout) -> None:
    """Page 1 read "high need 24 of 147 tambons: C 16 · B 8 · A 0": the 8 high-need tambons
    on too few sampled villages (no group) were in the 147 but in no group."""
    from abcresearch.reports.sections.overview_lead import readiness_counts

    store, _ = rollout
    p = ProvinceReport.load("80", 2549, store=store)  # wave 1: tambons of one sampled village
    rc = readiness_counts(p)
    assert rc["ungraded"] > 0
    assert sum(rc["groups"].values()) + rc["ungraded"] == rc["n"]
    found = p.lead().details["findings"]
    grades = next(f for f in found if f.startswith("ความพร้อมของ"))
    assert f"ยังไม่จัดกลุ่ม {rc['ungraded']} ตำบล" in grades
    # the map: a surveyed tambon with no group is grey as "not graded", not "no data"
    caption = p.grade_map().figures[0].caption
    assert label("map.note.grey_ungraded", "th") in caption
    # the need count is of graded tambons (an ungraded one's report gives the model's need
    # class, not its few villages'), and says how many it leaves out
    tt = p.tambon_table
    graded_need = tt[tt["grade"].notna() & tt["need"].notna()]
    assert rc["n_need"] <= len(graded_need)
    assert sum(rc["high"].values()) <= int((graded_need["need"] == "high").sum())
    need = [f for f in found if f.startswith("ตำบลที่มีความจำเป็นสูง")]
    if need:
        high = sum(rc["high"].values())
        assert need[0].startswith(f"ตำบลที่มีความจำเป็นสูง {high} จาก {rc['n_need']} ตำบล")
        assert f"ไม่นับ {rc['ungraded']} ตำบลที่ยังไม่จัดกลุ่ม" in need[0]


def test_the_methods_appendix_describes_the_rounds_design(rollout, sample_store) -> None:
    """The appendix of a round that samples villages described a census of villages
    (villages as strata, weight = households ÷ surveyed) beside reports using two stages."""
    from abcresearch.reports.methods import MethodsReport

    store, _ = rollout
    m = MethodsReport.load()
    frame = load(2550, store=store, table="frame")
    sampled = int((pd.to_numeric(frame["sampled"], errors="coerce") == 1).sum())
    stats = m.statistics(2550, store=str(store))
    design = m.design_and_weights(2550, store=str(store)).text
    assert stats.details["design"] == "two_stage"
    assert "สุ่มตัวอย่างสองขั้น" in stats.text and "Fay-Herriot" in stats.text
    assert "หมู่บ้านเป็นชั้นภูมิ" not in stats.text
    assert f"สุ่มหมู่บ้าน {sampled:,} จาก {frame['village_code'].nunique():,} หมู่บ้าน" in design
    census = m.statistics(2549, store=str(sample_store))
    assert census.details["design"] == "census" and "หมู่บ้านเป็นชั้นภูมิ" in census.text


def test_report_cli_says_not_surveyed(rollout, capsys) -> None:
    from abcresearch import cli

    store, _ = rollout
    code = cli.main(["report", "--area", "80150102", "--round", "2549", "--store", str(store)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "village 80150102" in err[0] and "is not surveyed in round 2549" in err[0]
    # a village code the frame does not hold is a typo: the tambon's villages are listed
    code = cli.main(["report", "--area", "80150199", "--round", "2549", "--store", str(store)])
    err = capsys.readouterr().err.strip().splitlines()
    frame = load(2549, area="801501", table="frame", store=store)["village_code"]
    first, last = min(frame), max(frame)
    assert code == 2 and len(err) == 1
    assert err[0] == (
        "abcresearch report: village 80150199 is not a village of tambon 801501 (ขนอม) in "
        f"round 2549 (its villages: {first}-{last}; 'abcresearch areas --within 801501' lists "
        "those with households)")


# ------------------------------------------------------------------ the PDF and summary JSON
def test_pdf_of_a_one_village_tambon(rollout, tmp_path) -> None:
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 comes with the dev extra")
    from abcresearch.batch.runner import run_report

    store, _ = rollout
    outcome = run_report("801502", 2549, store=store, lang="th", out=tmp_path)
    assert outcome.status == "ok", outcome.error
    pdf = pdfium.PdfDocument(str(outcome.paths.pdf))
    text = re.sub(r"\s", "", "".join(pdf[i].get_textpage().get_text_range()
                                     for i in range(len(pdf))))
    ra = round_analysis(2549, store)
    raw = ra.direct_grades("tambon").set_index("tambon_code").loc["801502"]
    assert re.sub(r"\s", "", f"ความพร้อมของชุมชน: {raw['grade_label_th']}") not in text
    assert re.sub(r"\s", "", "สำรวจ 1 จาก 4 หมู่บ้าน") in text
    assert re.sub(r"\s", "", label("grade_status.not_graded", "th", min_villages=2)) in text
    assert "คำเตือน" in text
    summary = json.loads(outcome.paths.summary.read_text(encoding="utf-8"))
    assert summary["grade"] is None and summary["grade_status"] == "not_graded"
    assert summary["coverage"]["villages_total"] == 4
    assert design_spec().choice == "auto"


def test_an_english_tables_warning_follows_a_full_stop(rollout) -> None:
    store, _ = rollout
    rep = AreaReport.load("801502", 2549, store=store, lang="en")  # one sampled village
    notes = rep.levels_and_tracks().tables[0].notes
    warning = label("rollout.warning.few_villages", "en", area=rep.area_name(), villages=1,
                    total=rep.status.coverage.villages_total, min_villages=2)
    at = notes.index(warning)
    assert at > 0 and notes[:at].rstrip().endswith("."), notes[max(0, at - 40):at + 20]
    assert "village(s)" not in rep.cover().text


def test_village_form_totals_say_they_are_the_surveyed_villages(rollout, sample_store) -> None:
    """A tambon of one sampled village read its fund money as the tambon's ("fund per tambon
    224,240") and its village form's 246 households as "all households"."""
    store, _ = rollout
    rep = AreaReport.load("801501", 2550, store=store)
    cov = rep.status.coverage
    assert 0 < cov.villages_surveyed < cov.villages_total
    said = label("welfare.surveyed_only", "th", n=cov.villages_surveyed,
                 total=cov.villages_total)
    assert said in rep.welfare_fund().text
    cells = " ".join(str(v) for tb in rep.data_quality().tables
                     for v in tb.data.to_numpy().ravel())
    assert label("m.households_form", "th") in cells
    assert "หมู่บ้านที่สำรวจ" in label("m.households_form", "th")
    census = AreaReport.load("801501", 2549, store=sample_store)
    assert label("welfare.surveyed_only", "th").split("{")[0] not in census.welfare_fund().text
    # the projection rests on those villages' forms and on the TAO's co-funding in full: it
    # says so where it has co-funding (a reader review could not budget from the two)
    partial = label("welfare.projection_partial", "th").split("{")[0]
    res = rep.welfare_fund()
    assert (res.details["projection"]["tao"] > 0).any()
    assert label("welfare.projection_partial", "th", k=int(res.details["totals"]["villages"]),
                 n=cov.villages_total) in res.text, res.text
    assert partial not in census.welfare_fund().text
    # short of the leaders' proposal on its surveyed villages alone is not "short by N baht"
    # (its other villages may hold money), and its money per tambon stands beside the
    # programme's figure for the villages it rests on, not for a tambon of seven
    res = rep.welfare_fund()
    t = rep.t
    table = res.to_frame(t("welfare.caption.programme"))
    rows = dict(zip(table[t("welfare.col.figure")], table[t("welfare.col.this_area")],
                    strict=True))
    proposal = rows[t("welfare.cmp.proposed")]
    assert proposal in (t("welfare.cmp.reached_one.yes"),
                        t("welfare.cmp.reached_one.unknown_partial")), proposal
    assert t("welfare.cmp.short", short="").split("{")[0].strip() not in proposal
    per_tambon = next(v for k, v in rows.items()
                      if k.startswith(t("welfare.cmp.per_tambon", villages="").split(" (")[0]))
    n = cov.villages_surveyed
    assert f"ตามตัวเลขของแผนงานสำหรับ {n} หมู่บ้าน" in per_tambon, (per_tambon, cov)
    assert f"{4000 * n:,} บาท" in per_tambon
    # an amphoe counts such tambons as not known, with why
    amphoe = AreaReport.load("8015", 2550, store=store)
    table = amphoe.welfare_fund().to_frame(t("welfare.caption.programme"))
    rows = dict(zip(table[t("welfare.col.figure")], table[t("welfare.col.this_area")],
                    strict=True))
    proposal = rows[t("welfare.cmp.proposed")]
    assert any(t("welfare.cmp.reached_unknown_partial", m=str(k)) in proposal
               for k in range(1, 10)), proposal
    # every tambon is said: those reaching it, those known to be short and those not known
    # ("1 of 11 reach it (9 not known)" left the eleventh unsaid, a reader review)
    reached, n = (int(x) for x in re.match(r"(\d+) จาก (\d+) ตำบลถึงเกณฑ์", proposal).groups())
    short = re.search(r" (\d+) ตำบลยังไม่ถึง", proposal)
    unknown = re.search(r"อีก (\d+) ตำบลยังบอกไม่ได้", proposal)
    assert unknown is not None
    assert reached + (int(short.group(1)) if short else 0) + int(unknown.group(1)) == n, \
        proposal
    # the money per tambon against the programme's level for the villages with a form, which
    # are fewer than the amphoe's (not "the area's actual number of villages", a reader review)
    per_tambon = next(v for k, v in rows.items()
                      if k.startswith(t("welfare.cmp.per_tambon", villages="").split(" (")[0]))
    cov = amphoe.status.coverage
    assert "จำนวนหมู่บ้านจริง" not in per_tambon
    assert "×" in per_tambon  # (the amount differs from the programme's own here)
    assert f"(จาก {cov.villages_total} หมู่บ้านของพื้นที่นี้)" in per_tambon, per_tambon


def test_the_tambons_known_to_be_short_of_the_proposal_are_counted(rollout,
                                                                    monkeypatch) -> None:
    """"1 of 11 tambons reach it (9 not known)" left the eleventh unsaid (a reader review):
    where some tambons are not known to reach the leaders' proposal, those known to be short
    of it are counted too, and the three counts add up to the tambons compared."""
    from abcresearch.reports.sections import welfare as W

    store, _ = rollout
    real = W._partly_surveyed

    def one_partly(report, forms):  # the other tambons' villages all surveyed: known
        found = real(report, forms)
        return set(sorted(found)[:1])

    monkeypatch.setattr(W, "_partly_surveyed", one_partly)
    amphoe = AreaReport.load("8015", 2550, store=store)
    t = amphoe.t
    table = amphoe.welfare_fund().to_frame(t("welfare.caption.programme"))
    proposal = dict(zip(table[t("welfare.col.figure")], table[t("welfare.col.this_area")],
                        strict=True))[t("welfare.cmp.proposed")]
    reached, n = (int(x) for x in re.match(r"(\d+) จาก (\d+) ตำบลถึงเกณฑ์", proposal).groups())
    short = re.search(r" (\d+) ตำบลยังไม่ถึง", proposal)
    unknown = re.search(r"อีก (\d+) ตำบลยังบอกไม่ได้", proposal)
    assert short is not None and unknown is not None, proposal
    assert reached + int(short.group(1)) + int(unknown.group(1)) == n, proposal


def test_the_overviews_level1_households_are_counted_as_an_areas_are(rollout) -> None:
    """The overview's "about N households at level 1" summed the design's weights while every
    area's report scales its counts to the frame's households in a two-stage round (a diff
    review): one rule (``calibration_factor``) for both, so N is the frame's households times
    the design's share."""
    from abcresearch.reports.context import calibration_factor
    from abcresearch.reports.province import ProvinceReport

    store, _ = rollout
    rep = ProvinceReport.load("80", 2550, store=store)
    hh = rep.households
    known = rep.analysis.areas.set_index("area_code")["households_in_surveyed_strata"]["80"]
    factor = calibration_factor(rep.analysis, "80", hh)
    assert factor != 1.0  # a two-stage round: the weights are scaled
    assert factor * float(hh["weight"].sum()) == pytest.approx(float(known))
    amphoe = AreaReport.load("8015", 2550, store=store)
    assert amphoe.count_factor == pytest.approx(
        calibration_factor(amphoe.analysis, "8015", amphoe.households))


def test_areas_command_shows_what_each_round_surveyed(rollout, capsys) -> None:
    """``abcresearch areas`` counts a rolling sample's villages against the frame, per round."""
    import csv
    import io

    from abcresearch import cli

    store, _ = rollout
    assert cli.main(["areas", "--within", "8015", "--round", "2549", "--store", str(store),
                     "--csv"]) == 0
    rows = {r["tambon_code"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    sampled = load(2549, table="frame", store=store)
    for code, row in rows.items():
        in_tambon = sampled[sampled["village_code"].str.startswith(code)]
        assert int(row["frame_villages"]) == len(in_tambon)
        assert int(row["villages"]) == in_tambon["sampled"].astype(bool).sum()
    assert rows["801502"]["villages"] == "1" and rows["801502"]["frame_villages"] == "4"
    # without --round: the latest round, and the others named
    assert cli.main(["areas", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Round 2551: 1 amphoe with households")
    assert "Other rounds in the store: 2549, 2550" in out


@pytest.mark.parametrize("survey_round", [2549, 2550])
def test_the_rankings_level1_households_are_each_tambons_own(rollout, survey_round) -> None:
    """The province's ranking gave shares and the sample's households only, which read as the
    tambon's size (a reader review): it gives each tambon's households at level 1 as the
    tambon's own levels table prints them, calibrated to the frame in a round that samples
    villages as that report's counts are."""
    store, _ = rollout
    rank = ProvinceReport.load("80", survey_round, store=store).tambon_ranking()
    shown = rank.tables[0].data.set_index(label("col.tambon", "th"))
    col = label("col.level1_households", "th")
    checked = 0
    for code in ("801501", "801502", "801503"):
        rep = AreaReport.load(code, survey_round, store=store)
        name = rep.area_name().removeprefix("ตำบล")
        if name not in shown.index:
            continue
        levels = rep.levels_and_tracks().tables[0].data
        own = levels.iloc[-1][label("col.level1", "th")]
        assert shown.loc[name, col] == own, (code, shown.loc[name, col], own)
        checked += 1
    assert checked


def test_change_prints_nothing_either_round_s_pattern_hides(rollout) -> None:
    """The change table printed each round's level and income-line shares by their own counts
    alone: a share the round's suppression pattern hides (the share below the income line
    where a band would come back from it, a level share protecting another cell) came out at a
    finer precision than its round's reports used (a review). Each round's pattern decides."""
    from abcresearch.reports import disclosure
    from abcresearch.reports.sections.change import hidden_in_round, publishable_measures

    store, _ = rollout
    caught = checked = shown_alone = 0
    villages = sorted(load(2551, store=store, columns=["village_code"])["village_code"]
                      .astype(str).unique())
    for code in ["801501", "801502", "801503", *villages]:
        try:
            rep = AreaReport.load(code, 2551, store=store)
        except StoreError:  # not surveyed in 2551
            continue
        ch, rows = published_change(rep, None)
        if ch is None or rows.empty:
            continue
        patterns = [disclosure.round_pattern(a, rep.threshold, rep.store)
                    for a in (ch.earlier, ch.later)]
        own = publishable_measures(ch.households(code), rows["measure"],
                                   (ch.round_from, ch.round_to), rep.threshold)
        for i, m in rows["measure"].items():
            hid = [hidden_in_round(p, code, m) for p in patterns]
            checked += 1
            # each round's value as its own reports publish it, the change only where both do
            for hidden, col in zip(hid, ("estimate_from", "estimate_to"), strict=True):
                if hidden:
                    assert pd.isna(rows.at[i, col]), (code, m, col)
            if any(hid):
                assert not rows.at[i, "published"], (code, m)
                assert pd.isna(rows.at[i, "estimate"])
                caught += bool(own[i])  # its counts alone would have printed it
                # the other round's value stands where that round publishes it
                shown_alone += sum(pd.notna(rows.at[i, c]) for c in
                                   ("estimate_from", "estimate_to"))
    assert checked > 20
    assert caught >= 1
    assert shown_alone >= 1  # a value printed beside the other round's "–"


def test_a_batch_builds_the_earlier_rounds_patterns_and_changes_before_its_workers(
        rollout, tmp_path, monkeypatch) -> None:
    """Every worker built the earlier round's suppression pattern (about 18 s on the sample
    province) and the change table on its first report with a change section; the batch's plan
    now builds them once, for the earlier rounds its reports compare with."""
    from abcresearch.analysis import change as change_mod
    from abcresearch.batch.rounds import PARAMETER
    from abcresearch.batch.run import plan_batch
    from abcresearch.reports import disclosure

    store, _ = rollout
    later = round_analysis(2551, store)
    earlier = {r: round_analysis(r, store, later.scheme, design=later.design.choice)
               for r in (2549, 2550)}
    for a in earlier.values():
        for f in a.cache_dir.glob("suppression-*.pickle"):
            f.unlink()
    for folder in {f.parent for f in store.rglob("change.parquet")}:  # every change table
        shutil.rmtree(folder)
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    plan = plan_batch(2551, "tambon", "8015", store, tmp_path)
    wanted = {t.parameters[PARAMETER] for t in [*plan.tasks, *plan.province_tasks]
              if t.parameters.get(PARAMETER) is not None}
    assert wanted and wanted <= set(earlier)
    # what a worker's report then asks for is read, not built
    monkeypatch.setattr(disclosure, "_PATTERNS", {})

    def no_build(*a, **k):
        raise AssertionError("built in the worker, not by the batch's plan")

    monkeypatch.setattr(disclosure, "build_pattern", no_build)
    monkeypatch.setattr(change_mod, "_compute", no_build)
    for r in wanted:
        assert list(earlier[r].cache_dir.glob("suppression-*.pickle")), r
        disclosure.round_pattern(earlier[r], later.design.suppression_threshold, store)
        assert change_mod.change_analysis(later, earlier[r]).round_from == r
    for r in set(earlier) - wanted:  # a round no report compares with is left alone
        assert not list(earlier[r].cache_dir.glob("suppression-*.pickle")), r


def test_the_provinces_change_list_hides_what_either_rounds_reports_hid(rollout, monkeypatch
                                                                        ) -> None:
    """The province's list of tambons that changed printed a tambon's level-1 change that the
    tambon's own earlier report hid ("×") and its change section left out ("–"): the change
    beside the later share gave the hidden one back (a review). It follows both rounds'
    patterns now, as the tambon's change section does."""
    from abcresearch.reports.sections import change as change_section
    from abcresearch.reports.sections import rollout as rollout_section

    store, _ = rollout
    p = ProvinceReport.load("80", 2551, store=store)
    ch = p.change_analysis(None)
    v = p.change_overview().estimates
    assert v is not None and v["published"].any()
    for (code, m), row in v.set_index(["area_code", "measure"]).iterrows():
        hidden = change_section.hidden_in_either_round(ch, code, pd.Series([m]), p.threshold,
                                                       p.store).iloc[0]
        assert not (hidden and row["published"]), (code, m)
    # a cell a round's pattern hides, though its counts alone would print it, stays hidden
    code, m = v.loc[v["published"], ["area_code", "measure"]].iloc[0]
    real = change_section.hidden_in_round
    monkeypatch.setattr(change_section, "hidden_in_round",
                        lambda pattern, area, measure: (area, measure) == (code, m)
                        or real(pattern, area, measure))
    # a new report (each report works its verdicts out once)
    v2 = rollout_section.change_overview(ProvinceReport.load("80", 2551, store=store)).estimates
    row = v2[(v2["area_code"] == code) & (v2["measure"] == m)]
    assert not row["published"].any() and not row["beyond"].any()


def test_income_poverty_change_is_not_a_change_where_the_line_moved(rollout, monkeypatch
                                                                    ) -> None:
    """2549's income line is 20,000 baht a person a year, 2551's 23,000: a report compared the
    two rounds' shares below their own lines and called the difference "แย่ลง" (a review).
    Each round's share stands; the change is not given, nor judged, and the lines are said."""
    from abcresearch.reports.sections import change as change_section

    store, _ = rollout
    # this small store's 2549 pattern hides the share below the line everywhere (a band
    # beside it is hidden); the lines are what is tested here, not the pattern
    real = change_section.hidden_in_round
    monkeypatch.setattr(change_section, "hidden_in_round", lambda pattern, area, measure:
                        measure != "poverty_headcount" and real(pattern, area, measure))
    rep = AreaReport.load("80", 2551, store=store)
    moved, _ = published_change(rep, 2549)
    same, same_rows = published_change(rep, 2550)
    assert moved.poverty_lines == (20000.0, 23000.0) and not moved.same_poverty_line
    assert same.same_poverty_line
    _, rows = published_change(rep, 2549)
    pov = rows[rows["measure"] == "poverty_headcount"].iloc[0]
    assert pov["published"] and pd.notna(pov["estimate_from"]) and pd.notna(pov["estimate_to"])
    assert pd.isna(pov["estimate"]) and not pov["estimable"] and not pov["beyond_noise"]
    text = rep.change(compare_round=2549).text
    assert "ปี 2549 = 20,000 บาท ปี 2551 = 23,000 บาท" in text
    assert "ไม่แสดงการเปลี่ยนแปลง" in text
    # the table's notes say what the row's dash means (its legend's reasons are others: a
    # reader review)
    notes_lines = rep.t("rollout.change.notes_lines")
    assert notes_lines in rep.change(compare_round=2549).tables[0].notes
    # the same line in both rounds: the change as before, and no such sentence
    pov2 = same_rows[same_rows["measure"] == "poverty_headcount"].iloc[0]
    assert pd.notna(pov2["estimate"]) and pov2["estimable"]
    assert "ไม่แสดงการเปลี่ยนแปลง" not in rep.change(compare_round=2550).text
    assert notes_lines not in rep.change(compare_round=2550).tables[0].notes
    # nor does the province's list judge a tambon by it
    p = ProvinceReport.load("80", 2551, store=store)
    v = p.change_overview(compare_round=2549).estimates
    assert not v.loc[v["measure"] == "poverty_headcount", "beyond"].any()
    assert not v.loc[v["measure"] == "poverty_headcount", "estimable"].any()


def test_the_provinces_change_count_says_what_was_assessed_and_what_chance_gives(rollout
                                                                                 ) -> None:
    """The province's count of tambons that changed folded the tambons it could not assess
    (too few sampled villages) into "the others show no change", printed "ทั้งดีขึ้นและแย่ลง
    0 ตำบล", and did not say that one tested change in twenty crosses the noise by chance."""
    store, _ = rollout
    p = ProvinceReport.load("80", 2551, store=store)
    over = p.change_overview()
    v = over.estimates
    assessed = v.groupby("area_code")["estimable"].any()
    text = over.text
    assert f"ประเมินการเปลี่ยนแปลงได้ {int(assessed.sum())} ตำบล" in text
    left_out = len(over.details["verdicts"]) - int(assessed.sum())
    assert (f"อีก {left_out} ตำบลมีหมู่บ้านตัวอย่างน้อยกว่า" in text) == (left_out > 0)
    assert "และแย่ลง 0 ตำบล" not in text
    tests = int(v["estimable"].sum())
    assert tests > 0
    assert f"ทดสอบการเปลี่ยนแปลงทั้งหมด {tests} ค่า" in text
    found = int(v["beyond"].sum())
    chance = round_half_up(tests * 0.05, 0)
    assert f"ได้มากถึงประมาณ {chance} ค่า" in text and f"พบ {found} ค่า" in text
    # where no more crossed than chance gives (as printed), the count is said to be no evidence
    assert (label("rollout.overview.no_more_than_chance", "th") in text) == (
        found <= int(chance))


@pytest.mark.parametrize(("low", "high", "digits", "scale", "written"), [
    (-0.270, -0.0004, 3, 1.0, "-0.2700 ถึง -0.0004"),  # M0: "-0.270 ถึง 0.000" by ดีขึ้น
    (0.00004, 0.119, 3, 1.0, "0.00004 ถึง 0.11900"),  # two more decimals at most
    (0.0004, 0.119, 1, 100.0, "0.04 ถึง 11.90"),      # a share in percentage points
    (-0.12, 0.05, 3, 1.0, "-0.120 ถึง 0.050"),        # an interval over 0: as it was
    (-0.12, 0.0, 3, 1.0, "-0.120 ถึง 0.000"),         # a bound at 0 itself stays 0
])
def test_an_interval_excluding_zero_never_prints_a_bound_of_zero(low, high, digits, scale,
                                                                 written) -> None:
    from abcresearch.reports.sections.change import range_text

    text = range_text(lambda key, **f: "{change} ({low} ถึง {high})".format(**f), 0.5,
                      low, high, digits, scale)
    assert text.split("(")[1].rstrip(")") == written


def test_a_tambons_change_interval_has_the_df_of_its_smaller_round(rollout) -> None:
    """A tambon of 2 and 3 sampled villages in two rounds got 4 degrees of freedom for its
    change where each round's own value had 1 and 2 (a review): its interval was narrower than
    either round's data support. ``params/change.yaml`` ``interval_df: smaller_round``."""
    from abcresearch.analysis.change import load_change_rules

    store, _ = rollout
    assert load_change_rules().interval_df == "smaller_round"
    ch = change_analysis(round_analysis(2551, store), round_analysis(2550, store))
    t = ch.table
    tam = t[(t["level"] == "tambon") & (t["measure"] == "mean_human") & t["se"].notna()
            & (t["villages_from"] > 0) & (t["villages_to"] > 0)]
    assert not tam.empty
    # one stratum (the amphoe) a tambon: a round's own df is its sampled villages less one
    smaller = np.minimum(tam["villages_from"], tam["villages_to"]) - 1
    assert (tam["df"].to_numpy() == smaller.to_numpy()).all()
    assert (tam["df"] < tam["villages_from"] + tam["villages_to"] - 1).all()


def test_a_middle_levels_change_says_it_has_no_better_way(rollout) -> None:
    """"ครัวเรือนระดับ 2 ... ลดลง 13.3 จุดร้อยละ" read as bad news where households had moved
    up to level 3 (a review): the sentence of a middle level's share says both ways lower it."""
    from abcresearch.reports.sections.change import _sentence

    store, _ = rollout
    rep = AreaReport.load("801501", 2551, store=store)
    ch, _ = published_change(rep, None)
    row = pd.Series({"measure": "share_level2", "estimate": -0.133, "ci_low": -0.2,
                     "ci_high": -0.05})
    said = _sentence(rep, row, ch)
    assert label("rollout.change.middle_level", "th", level=2, see="") in said
    # it points to the table of level changes only where that table is printed (a table hidden
    # for disclosure left a pointer to nothing)
    assert "ดูตาราง" not in said
    assert label("rollout.change.middle_level_see", "th") in _sentence(rep, row, ch, True)
    for m in ("share_level1", "share_level3"):
        assert "อยู่ตรงกลาง" not in _sentence(rep, row.replace("share_level2", m), ch)


def test_a_change_list_says_the_other_measures_stayed_within_the_noise(rollout, monkeypatch
                                                                       ) -> None:
    """A tambon listed its three changes beyond the noise and said nothing of the rest of the
    table (a review); a sentence now says the others cannot be called a change."""
    from abcresearch.reports.sections import change as change_section

    store, _ = rollout
    real = change_section.published_change

    def one_beyond(report, compare_round):
        ch, rows = real(report, compare_round)
        rows = rows.copy()
        first = rows.index[rows["estimable"]][0]
        rows.loc[first, ["ci_low", "ci_high", "beyond_noise"]] = [0.5, 1.5, True]
        rows.loc[first, "estimate"] = 1.0
        return ch, rows

    monkeypatch.setattr(change_section, "published_change", one_beyond)
    rep = AreaReport.load("801501", 2551, store=store)
    text = change_section.change(rep, compare_round=2549).text
    assert len([ln for ln in text.splitlines() if ln.startswith("- ")]) == 1
    assert label("rollout.change.rest_within_noise", "th") in text


def test_the_key_findings_say_what_changed_since_the_earlier_round(rollout, sample_store,
                                                                   monkeypatch) -> None:
    """The key findings said nothing of the change between rounds, on the report's last pages
    (a review): one finding now counts the measures that changed beyond the noise."""
    from abcresearch.reports.sections import change as change_section

    store, _ = rollout
    rep = AreaReport.load("801501", 2551, store=store)
    section = rep.t("rollout.change.heading", be=2550)
    _, rows = published_change(rep, None)
    assert rows["estimable"].any() and not rows["beyond_noise"].any()
    found = rep.key_findings().findings
    assert rep.t("find.change_none", be_from=2550, section=section) in found
    # two beyond the noise, one better and one worse (level 1 down, the human capital down)
    real = change_section.published_change

    def two_beyond(report, compare_round):
        ch, rows = real(report, compare_round)
        rows = rows.copy()
        for m, est in (("mean_human", -3.0), ("m0", -0.05)):
            i = rows.index[rows["measure"] == m][0]
            rows.loc[i, ["estimate", "ci_low", "ci_high", "beyond_noise", "estimable"]] = [
                est, 1.5 * est, 0.5 * est, True, True]
        return ch, rows

    monkeypatch.setattr(change_section, "published_change", two_beyond)
    found = AreaReport.load("801501", 2551, store=store).key_findings().findings
    said = [f for f in found if f.startswith("เทียบกับปี 2550")]
    # of how many tested, and which (few changed: they are named, better first)
    from abcresearch.reports.sections.change import measure_label

    tested = int(two_beyond(rep, None)[1]["estimable"].sum())
    ways = (f"ดีขึ้น 1 ได้แก่ {measure_label(rep, 'm0')} · "
            f"แย่ลง 1 ได้แก่ {measure_label(rep, 'mean_human')}")
    assert said == [rep.t("find.change", be_from=2550, n=2, of=tested, ways=ways,
                          rest=rep.t("find.change.rest"), section=section)]
    monkeypatch.undo()
    # one round only: nothing to compare, no such finding
    assert not any(f.startswith("เทียบกับปี") for f in
                   AreaReport.load("801501", 2549, store=sample_store).key_findings().findings)


def test_the_overviews_first_page_says_how_many_tambons_changed(rollout, sample_store) -> None:
    """The province's first page said nothing of change; its change list sat on the last pages
    (a review). A finding now gives the change section's counts, with what chance alone gives."""
    store, _ = rollout
    p = ProvinceReport.load("80", 2551, store=store)
    c = p.change_overview().details["counts"]
    assert c["assessed"] > 0
    expected = p.t("lead.change", be_from=2550, assessed=c["assessed"], compared=c["compared"],
                   improved=c["improved"], declined=c["declined"],
                   mixed=p.t("rollout.overview.mixed", mixed=c["mixed"]) if c["mixed"] else "",
                   found=c["beyond"], tests=c["tests"], chance=round_half_up(c["chance"], 0),
                   no_more=p.t("lead.no_more_than_chance")
                   if c["beyond"] <= int(round_half_up(c["chance"], 0)) else "",
                   section=p.t("rollout.overview.heading", be=2550))
    found = p.lead().details["findings"]
    assert expected in found
    # and before it, how the province itself changed (its own change table's count)
    from abcresearch.reports.sections.findings import change_counts

    whole = change_counts(p.area_context)
    assert whole is not None
    said = p.t("lead.change_province" if whole["n"] else "lead.change_province_none", **whole)
    assert said in found and found.index(said) == found.index(expected) - 1
    _, rows = published_change(AreaReport.load("80", 2551, store=store))
    assert whole["n"] == int(rows["beyond_noise"].sum())
    one = ProvinceReport.load("80", 2549, store=sample_store)
    assert not any("เทียบกับปี" in f for f in one.lead().details["findings"])


def test_findings_and_sections_share_the_change_they_print(rollout, monkeypatch) -> None:
    """The key findings and the change section print the same change rows, the province's first
    page and its change list the same verdicts: each is worked out once a report."""
    from abcresearch.reports.sections import change as change_section
    from abcresearch.reports.sections import rollout as rollout_section

    store, _ = rollout
    calls: list[str] = []
    for module, name in ((change_section, "_published_change"),
                         (rollout_section, "_tambon_verdicts")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _r=real, _n=name, **k: (
            calls.append(_n), _r(*a, **k))[1])
    rep = AreaReport.load("801501", 2551, store=store)
    rep.key_findings()
    rep.change()
    assert calls.count("_published_change") == 1
    p = ProvinceReport.load("80", 2551, store=store)
    p.lead()
    p.change_overview()
    assert calls.count("_tambon_verdicts") == 1


# ------------------------------------------------------------------ disclosure across rounds
AUDIT_SECTIONS = ("cover", "summary_page", "small_area", "readiness", "what_to_do",
                  "welfare_fund", "change", "key_findings", "capital_profile",
                  "levels_and_tracks", "deprivation", "villages", "organisations", "income",
                  "data_quality", "methods_note", "write_summary")


def _round_ledger(store, r: int) -> tuple[list, list[AreaReport]]:
    """Every village, tambon and amphoe report of a round (every section called) and the
    province's list of tambons that changed: their ledgers, and the reports."""
    villages = sorted(load(r, store=store, columns=["village_code"])["village_code"]
                      .astype(str).unique())
    reports = []
    for code in [*villages, *sorted({v[:6] for v in villages}), "8015"]:
        report = AreaReport.load(code, r, store=store)
        for section in AUDIT_SECTIONS:
            getattr(report, section)()
        reports.append(report)
    ledger = [e for rep in reports for res in rep.results.values() for e in res.published]
    ledger += list(ProvinceReport.load("80", r, store=store).change_overview().published)
    return ledger, reports


def _ledgers(store, rounds=(2550, 2551)) -> tuple[dict, dict]:
    ledgers, reports = {}, {}
    for r in rounds:
        ledgers[r], reports[r] = _round_ledger(store, r)
    return ledgers, reports


def _audit_round(ledgers: dict, reports: dict, r: int):
    """The attack on round ``r``'s hidden figures with every round's reports."""
    from abcresearch.reports import disclosure, disclosure_audit

    first = reports[r][0]
    a = first.analysis
    known = a.areas.set_index("area_code")["households_in_surveyed_strata"].to_dict()
    entries = disclosure_audit.round_entries(ledgers, r, a.households, first.threshold)
    return disclosure_audit.audit(
        entries, a.households, a.scheme, r, first.threshold,
        disclosure.extra_counts(r, first.store, a.households), known_households=known), entries


def test_nothing_hidden_in_a_round_can_be_recovered_with_the_next_rounds_reports(rollout
                                                                                 ) -> None:
    """Disclosure control across rounds: the 2551 reports print changes since 2550 and the
    2550 reports changes since 2549 (each area's change section, the province's list of
    tambons that changed), with the moves of the households matched across the two. Beside
    either round's published values, a change bounds the other round's value, and a table of
    moves the areas' level counts: the attack on each round's hidden figures uses all three
    rounds' reports, and finds nothing (2550's from both sides)."""
    store, _ = rollout
    ledgers, reports = _ledgers(store, (2549, 2550, 2551))
    found = {r: _audit_round(ledgers, reports, r) for r in ledgers}
    for r, (result, _entries) in found.items():
        assert result.inconsistent == [], (r, [(e.section, e.kind, e.area, e.cells, m)
                                               for e, m in result.inconsistent[:6]])
        assert result.recovered == [], (r, result.recovered[:5])
        assert result.targets > 0
    # the leak this attack found: village 80150301's 2551 column of level 3 was all zeros, and
    # the one household not matched was the one at level 3 its own report hid
    rep = next(x for x in reports[2551] if x.area.code == "80150301")
    levels = rep.t("rollout.change.levels_named", levels="2 และ 3")  # 2 hidden beside 3
    assert rep.t("rollout.change.transitions_hidden_levels", be_from=2550, be_to=2551,
                 levels=levels) in rep.results["change"].text
    # the later reports did print changes and moves, and the attack used them
    assert any(e.kind == "change" and e.rounds == (2550, 2551) for e in ledgers[2551])
    assert any(e.kind == "change" and e.rounds == (2549, 2550) for e in ledgers[2550])
    assert any(e.section.endswith("(change)") for e in found[2549][1])
    derived = [e for e in found[2550][1] if e.section.endswith("(change)")]
    assert derived and any(e.cells[0][0] == "overall_level" for e in derived)
    assert any(e.section.endswith("(transition)") for e in found[2550][1])
    # every 2550 value a 2551 change table printed is the value the 2550 reports printed
    printed_2550 = {(e.area, e.cells, e.base): e.text for e in ledgers[2550]
                    if e.kind in ("share", "mean") and e.rounds in ((), (2550,))
                    and e.value is not None and e.section == "change"}
    shown_in_2551 = [(e.area, e.cells, e.base, e.text) for e in ledgers[2551]
                     if e.section == "change" and e.rounds == (2550,)]
    assert shown_in_2551
    for area, cells, base, text in shown_in_2551:
        assert printed_2550.get((area, cells, base), text) == text


def test_a_change_printing_what_the_earlier_round_hid_is_found(rollout, monkeypatch) -> None:
    """The planted leak: with the change tables ignoring the rounds' own patterns (as the
    province's list did before a review found it), the attack recovers a hidden 2550 figure
    from the changes the 2551 reports print beside their own values; without the changes it
    recovers nothing."""
    from abcresearch.reports.sections import change as change_section

    store, _ = rollout
    monkeypatch.setattr(change_section, "hidden_in_round", lambda pattern, area, measure: False)
    monkeypatch.setattr(change_section, "publishable_measures",
                        lambda hh, measures, rounds, threshold: pd.Series(True,
                                                                          index=measures.index))
    ledgers, reports = _ledgers(store)
    # of the change sections, the 2551 reports' changes alone (their values and moves, and
    # the 2550 reports' own change sections, would reprint hidden values directly)
    for r in ledgers:
        ledgers[r] = [e for e in ledgers[r] if e.section not in ("change", "change_overview")
                      or (r == 2551 and e.kind == "change")]
    leaked, _ = _audit_round(ledgers, reports, 2550)
    assert leaked.recovered, "no leak found"
    assert not leaked.inconsistent
    ledgers[2551] = [e for e in ledgers[2551] if e.kind != "change"]
    clean, _ = _audit_round(ledgers, reports, 2550)
    assert clean.recovered == [] and not clean.inconsistent


def test_the_province_overview_says_how_the_province_itself_changed(rollout) -> None:
    """The provincial committee read which tambons changed but not how the province did (a
    review): the overview's change section opens with the province's own change table, the
    rows its area report prints, then the tambons."""
    store, _ = rollout
    p = ProvinceReport.load("80", 2551, store=store)
    res = p.change_overview()
    text = res.text
    whole = p.t("rollout.overview.province_heading", area=p.area_context.area_name())
    tambons = p.t("rollout.overview.tambons_heading")
    assert whole in text and tambons in text and text.index(whole) < text.index(tambons)
    _, rows = published_change(AreaReport.load("80", 2551, store=store))
    tables = [pt for pt in res.parts if isinstance(getattr(pt, "data", None), pd.DataFrame)]
    first = tables[0].data
    assert len(first) == int((rows["measure"] != "m0").sum())
    printed = first.iloc[:, 2].astype(float).round(1).tolist()
    expected = [round(v * (100 if m.startswith(("share", "poverty")) else 1), 1)
                if pd.notna(v) else np.nan for m, v in
                zip(rows["measure"], rows["estimate_to"], strict=True) if m != "m0"]
    assert np.allclose(printed, expected, equal_nan=True)
    # and the ledger holds the province's changes, for the disclosure test across rounds
    assert any(e.kind == "change" and e.area == "80" for e in res.published)


def test_a_table_of_level_changes_bounds_each_level_with_the_households_outside_it() -> None:
    """A review: the table holds the matched households with a level in both rounds, fewer
    than the households matched where a level is missing in either round; a level's count is
    bounded by its column plus every household of the area outside the table, not only those
    not matched (7 here, where the households not matched alone would give 5)."""
    from abcresearch.reports import disclosure_audit
    from abcresearch.reports.disclosure import Published

    cells = {("1", "1"): 3, ("1", "2"): 2, ("2", "2"): 3, ("1", "3"): 0, ("2", "1"): 0,
             ("2", "3"): 0, ("3", "1"): 0, ("3", "2"): 0, ("3", "3"): 0}
    ledger = [Published("change", "transition", "800101",
                        (("overall_level", i), ("overall_level", j)), text=str(v),
                        value=float(v), bounds=(float(v), float(v)), name="10",
                        rounds=(2550, 2551)) for (i, j), v in cells.items()]
    households = pd.DataFrame({"village_code": ["80010101"] * 10})
    derived = {e.cells: e.bounds for e in disclosure_audit.round_entries(
        {2551: ledger}, 2551, households, 5) if e.section == "change (transition)"}
    assert derived[(("overall_level", "2"),)] == (5.0, 7.0)
    assert derived[(("overall_level", "3"),)] == (0.0, 2.0)
    earlier = {e.cells: e.bounds for e in disclosure_audit.round_entries(
        {2551: ledger}, 2550, households, 5) if e.section == "change (transition)"}
    assert earlier[(("overall_level", "1"),)] == (5.0, 7.0)


def test_the_nhso_total_says_it_covers_the_villages_with_a_form(rollout, sample_store) -> None:
    """An officer set the NHSO total (baht a person times the village forms' population)
    against the whole tambon's transfer, where only some villages were surveyed (a reader
    review): it says how many villages it covers; where every village has a form it does not."""
    store, _ = rollout
    rep = AreaReport.load("801502", 2551, store=store)  # 2 of its villages surveyed in 2551
    md = "\n".join(tb.as_markdown() for tb in rep.welfare_fund().tables)
    (row,) = [x for x in md.splitlines() if rep.t("welfare.cmp.nhso") in x]
    assert rep.t("welfare.cmp.nhso_partial", amount="", k="2").strip() in row, row
    # the sample store surveys every village of 801501, each with its form
    full = AreaReport.load("801501", 2549, store=sample_store)
    md = "\n".join(tb.as_markdown() for tb in full.welfare_fund().tables)
    (row,) = [x for x in md.splitlines() if full.t("welfare.cmp.nhso") in x]
    assert "หมู่บ้านที่มีแบบสำรวจข้อมูลหมู่บ้านเท่านั้น" not in row


def test_the_need_chart_caption_promises_intervals_only_where_it_draws_them(
        rollout, sample_store) -> None:
    """In a round that samples villages a village is one PSU: the tambon report's need chart
    drew its villages without intervals under a caption promising them (a reader review). The
    caption says why there are none; where the chart draws them it says it does."""
    store, _ = rollout
    rep = AreaReport.load("801501", 2551, store=store)  # villages sampled in 2551
    res = rep.readiness()
    pts = res.details["points"]
    drawn = pts[pts["estimate"].notna()]
    assert not drawn.empty and drawn["ci_low"].isna().all()
    caption = res.figures[0].caption
    # and it points to the villages' own reports, whose intervals cover the sampling of
    # households within each (the tambon's said none could be worked out beside a village
    # report printing one: a reader review)
    assert caption.startswith(rep.t("readiness.chart.caption.no_ci", areas=rep.t(
        "readiness.areas.village"), own=rep.t("readiness.chart.own_reports")))
    assert "พร้อมช่วงความเชื่อมั่น" not in caption
    # (a village's own summary prints its level-1 share with that interval)
    code = sorted(rep.households["village_code"].astype(str).unique())[0]
    page = AreaReport.load(code, 2551, store=store).summary_page().text
    assert re.search(r"ครัวเรือนระดับ 1 \(ความจำเป็นพื้นฐาน\): ร้อยละ [\d.]+ \([\d.]+–[\d.]+\)",
                     page), page
    # the sample store surveys every village: the intervals are drawn and said
    full = AreaReport.load("801501", 2549, store=sample_store).readiness()
    pts = full.details["points"]
    assert pts.loc[pts["estimate"].notna(), "ci_low"].notna().any()
    assert "พร้อมช่วงความเชื่อมั่น" in full.figures[0].caption


def test_a_change_with_a_standard_error_but_no_interval_is_not_estimable(rollout,
                                                                        monkeypatch) -> None:
    """Under the smaller round's df a round's own df can be 0 with a finite SE (one village in
    each stratum): the change printed "–" while the section said every interval holds 0 (a
    code review). Without an interval a change is not estimable, and the section says so."""
    from abcresearch.analysis.change import ChangeAnalysis

    store, _ = rollout
    original = ChangeAnalysis.area

    def no_interval(self, code):
        rows = original(self, code)
        return rows.assign(ci_low=np.nan, ci_high=np.nan, se=rows["se"].fillna(1.0))

    monkeypatch.setattr(ChangeAnalysis, "area", no_interval)
    rep = AreaReport.load("801501", 2551, store=store)
    res = rep.change(compare_round=2549)
    rows = res.estimates
    assert rows["published"].any()  # (its SE is left out with the interval)
    assert not rows["estimable"].any() and not rows["beyond_noise"].any()
    assert rep.t("rollout.change.none_beyond_noise") not in res.text
    assert label("rollout.change.not_estimable", "th", min_villages=2) in res.text


def test_a_change_interval_stops_at_the_most_a_change_can_be(rollout, monkeypatch) -> None:
    """"-8.3 (-106.6 ถึง 90.1)": a share cannot fall by more than 100 points, and a t interval
    on a few villages passed that (a reader review). A change's printed interval stops at the
    least and most its measure can change by (a share or M0 by 1, a mean score by 100), in the
    table, the summary file and the estimates; the ledger says such an end lies anywhere
    beyond what is printed, so the cross-round test no longer takes the printed interval's
    centre for the change."""
    from abcresearch.analysis.change import ChangeAnalysis
    from abcresearch.reports.disclosure_audit import round_entries
    from abcresearch.reports.sections.change import change_limits, change_records

    assert change_limits("share_level1") == (-1.0, 1.0)
    assert change_limits("m0") == (-1.0, 1.0)
    assert change_limits("mean_human") == (-100.0, 100.0)
    store, _ = rollout
    original = ChangeAnalysis.area
    wide: dict[str, tuple[float, float]] = {}

    def too_wide(self, code):
        rows = original(self, code).copy()
        for i, r in rows.iterrows():
            if pd.isna(r["estimate"]) or pd.isna(r["se"]) or r["estimate"] == 0:
                continue
            # centred on the change (as a t interval is), one end past the least or most a
            # change can be: the end on the change's own side
            top = -change_limits(r["measure"])[0]
            half = top + abs(r["estimate"]) / 2
            wide[r["measure"]] = (r["estimate"] - half, r["estimate"] + half)
            rows.loc[i, ["ci_low", "ci_high"]] = list(wide[r["measure"]])
        return rows

    # as computed, no interval of this tambon's reaches a limit: no sentence about it
    plain = AreaReport.load("801501", 2551, store=store).change(compare_round=2549)
    assert label("rollout.change.at_limits", "th") not in plain.text
    monkeypatch.setattr(ChangeAnalysis, "area", too_wide)
    rep = AreaReport.load("801501", 2551, store=store)
    res = rep.change(compare_round=2549)
    rows = res.estimates[res.estimates["estimable"]]
    assert not rows.empty and wide
    for _, r in rows.iterrows():
        floor, ceiling = change_limits(r["measure"])
        low, high = wide[r["measure"]]
        assert (r["ci_low"], r["ci_high"]) == (pytest.approx(max(low, floor)),
                                               pytest.approx(min(high, ceiling)))
        assert (r["ci_low"] == floor) != (r["ci_high"] == ceiling)
    column = label("rollout.change.col_change_ci", "th", level=0.95)
    printed = " ".join(" ".join(tab.data[column]) for tab in res.tables)
    assert "(-100.0 ถึง" in printed or "ถึง 100.0)" in printed
    assert max(abs(float(x)) for x in re.findall(r"-?\d+\.\d+", printed)) <= 100.0
    assert label("rollout.change.at_limits", "th") in res.text
    for rec in change_records(rows):
        floor, ceiling = change_limits(rec["measure"])
        assert floor <= rec["ci_low"] < rec["ci_high"] <= ceiling
    # the ledger: the end at a limit open beyond it, the other as printed
    changes = [e for e in res.published if e.kind == "change"]
    assert changes
    for e in changes:
        assert e.ci is not None
        ends = [e.ci[0][0], e.ci[1][1]]
        assert sorted(np.isinf(ends)) == [False, True], e.ci
    # bounds the cross-round test derives for the earlier round from the change stay true:
    # the earlier value lies within them (with the clipped interval's centre taken for the
    # change, they would not)
    hh = round_analysis(2549, store).households
    ledgers = {2549: [e for e in res.published if e.rounds == (2549,)],
               2551: [e for e in res.published if e.rounds != (2549,)]}
    derived = [e for e in round_entries(ledgers, 2549, hh, 5) if e.section.endswith("(change)")]
    assert derived
    truth = {r["measure"]: r["estimate_from"] for _, r in rows.iterrows()}
    measures = {_ledger_cells(m): m for m in truth}
    for e in derived:
        m = measures.get(e.cells)
        if m is None or pd.isna(truth[m]):
            continue
        assert e.bounds[0] - 1e-9 <= truth[m] <= e.bounds[1] + 1e-9, (m, e.bounds, truth[m])


def _ledger_cells(measure: str) -> tuple:
    from abcresearch.reports.sections.change import measure_cells

    return measure_cells(measure)[1]


def test_the_level1_households_outside_a_fund_are_said_to_be_the_whole_areas(rollout,
                                                                             sample_store
                                                                             ) -> None:
    """"About 110 level-1 households are not members" was read as those of the surveyed
    villages, where the count is the whole tambon's estimate (a reader review): in a round
    that sampled some of an area's villages, the sentence says it counts the villages not
    surveyed too, and how many they are; a fully surveyed area's sentence is as before."""
    from abcresearch.reports.sections.welfare import _unsurveyed_too

    store, _ = rollout
    rep = AreaReport.load("801501", 2549, store=store)
    cov = rep.status.coverage
    assert 0 < cov.villages_surveyed < cov.villages_total
    where = rep.t("welfare.reach_outside_where", area=rep.area_name(),
                  n=cov.villages_total - cov.villages_surveyed)
    assert "ยังไม่เป็นสมาชิกมีราว" in rep.welfare_fund().text
    assert where in rep.welfare_fund().text
    from abcresearch.reports.disclosure import Publisher

    full = AreaReport.load("801501", 2549, store=sample_store)
    assert full.status.coverage.villages_surveyed == full.status.coverage.villages_total
    assert _unsurveyed_too(full, Publisher(full, "test"), "801501") == ""
    village = AreaReport.load("80150101", 2549, store=store)
    assert _unsurveyed_too(village, Publisher(village, "test"), "80150101") == ""
    # a census round (every village surveyed, one without households): not said, as the
    # estimate does not stand for that village (a code review)
    assert not full.calibrated


def test_a_high_need_area_without_a_group_is_named(rollout) -> None:
    """An amphoe's key findings counted "2 tambons of high need" and named one: the other had
    no group (one sampled village), so neither the list of group C nor that of high need
    outside C named it (a reader review). Such areas are named in a line of their own, in the
    key findings and on the one-page summary."""
    store, _ = rollout
    rep = AreaReport.load("8015", 2549, store=store)
    kids = rep.children.set_index("code")
    assert kids.loc["801502", "need"] == "high" and pd.isna(kids.loc["801502", "grade"])
    name = rep.child_name("801502")
    head = rep.t("find.high_need_ungraded", areas="", areas_word="ตำบล")
    (line,) = [f for f in rep.key_findings().findings if f.startswith(head)]
    assert name in line and "ร้อยละ" in line
    summary = rep.t("summary.high_need_ungraded", areas="", areas_word="ตำบล")
    assert any(s.startswith(f"- {summary}") and name in s
               for s in rep.summary_page().text.splitlines())
    # a graded tambon is not in it
    for code in kids.index[kids["grade"].notna()]:
        assert rep.child_name(code) not in line


def test_any_at_limits_reads_the_intervals_as_printed() -> None:
    """The province's list of tambons that changed says an interval stops at a limit where
    one does, as the change tables do (``any_at_limits``; a code review)."""
    from abcresearch.reports.sections.change import any_at_limits, within_change_limits

    rows = pd.DataFrame({"measure": ["share_level1", "mean_human", "m0"],
                         "ci_low": [-0.4, -30.0, np.nan], "ci_high": [0.2, 20.0, np.nan]})
    assert not any_at_limits(rows)
    wide = within_change_limits(rows.assign(ci_low=[-1.3, -30.0, np.nan]))
    assert wide["ci_low"].iloc[0] == -1.0 and any_at_limits(wide)
    assert any_at_limits(within_change_limits(rows.assign(ci_high=[0.2, 130.0, np.nan])))
    assert np.isnan(wide["ci_low"].iloc[2])  # no interval stays none
