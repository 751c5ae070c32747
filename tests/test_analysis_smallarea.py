"""The round's small-area estimates (issue 13, items 3 and 6, integration side).

A scaled-down rollout: wave 1 of amphoe Pak Phanang (8012, 18 tambons) with 20 households per
village, seed 3: 39 sampled villages, 2 tambons without a sampled village, 6 with one and 10
with two or more. The validation against the truth over 20 province replicates is
``benchmarks/bench_smallarea.py`` (figures in ``docs/smallarea.md``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from abcresearch.analysis.smallarea import (
    SmallAreaResult,
    SmallAreaUnavailable,
    direct_estimates,
    household_measures,
    load_round_settings,
    round_design,
    round_small_area,
    scored_households,
    small_area_key,
    tambon_design,
    universe_tambons,
)
from abcresearch.errors import DesignError, ParamsError
from abcresearch.scoring import area_indicators, load_scheme, score_households
from abcresearch.stats.smallarea import fit_gvf
from abcresearch.store import cache_folder, load

ROUND = 2549
AMPHOE = "8012"
PARAMS = Path(__file__).resolve().parents[1] / "params"
KEY = "test-key-not-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def rollout_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wave 1 of amphoe 8012 (39 villages of 152, 20 households each) in a fresh store."""
    from abcresearch.ingest.pipeline import ingest
    from abcresearch.synth.generate import synthesize

    base = tmp_path_factory.mktemp("sae_rollout")
    synthesize(province="80", survey_round=ROUND, seed=3, out=base / "export", amphoe=[AMPHOE],
               wave=1, households_per_village=20)
    old = os.environ.get("ABCRESEARCH_KEY")
    os.environ["ABCRESEARCH_KEY"] = KEY
    try:
        ingest(base / "export", survey_round=ROUND, store=base / "store")
    finally:
        if old is None:
            os.environ.pop("ABCRESEARCH_KEY", None)
        else:
            os.environ["ABCRESEARCH_KEY"] = old
    return base / "store"


@pytest.fixture(scope="module")
def settings_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """params/smallarea.yaml with the two strong covariates (18 tambons cannot carry six)."""
    doc = yaml.safe_load((PARAMS / "smallarea.yaml").read_text(encoding="utf-8"))
    doc["covariates"]["columns"] = ["income_below_line", "no_savings"]
    p = tmp_path_factory.mktemp("sae_params") / "smallarea.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def result(rollout_store: Path, settings_file: Path) -> SmallAreaResult:
    return round_small_area(ROUND, rollout_store, settings_path=settings_file)


def test_every_tambon_of_the_amphoe_gets_an_estimate_of_the_right_kind(rollout_store, result):
    frame = load(ROUND, store=rollout_store, table="frame")
    amphoe = frame[frame["village_code"].str.startswith(AMPHOE)]
    sampled = amphoe.assign(t=amphoe["village_code"].str[:6]).groupby("t")["sampled"].sum()
    assert len(sampled) == 18 and sorted(sampled.value_counts().index)[:3] == [0, 1, 2]
    assert result.tambons == tuple(sorted(sampled.index))  # the universe: this amphoe only
    kind = np.select([sampled >= 2, sampled == 1], ["direct", "eblup"], "synthetic")
    expected = pd.Series(kind, index=sampled.index)
    for m in ("share_level1", "mean_score", "m0"):
        e = result.measure(m).set_index("area")
        assert len(e) == 18
        pd.testing.assert_series_equal(e["kind"], expected.rename("kind"), check_names=False,
                                       check_index_type=False)
        assert (e["basis"] == np.where(e["kind"] == "direct", "direct", "model")).all()
        assert (e["villages_sampled"] == sampled.reindex(e.index)).all()
        assert np.isfinite(e[["estimate", "mse", "ci_low", "ci_high"]].to_numpy()).all()
        assert (e["mse"] > 0).all()
        assert ((e["ci_low"] <= e["estimate"]) & (e["estimate"] <= e["ci_high"])).all()
        assert (e.loc[e["kind"] == "synthetic", "gamma"] == 0).all()
        assert e.loc[e["kind"] == "eblup", "gamma"].between(0, 1, inclusive="neither").all()
        assert (e.loc[e["kind"] == "eblup", "vardir_source"] == "gvf").all()
        # direct tambons are published with their own direct estimate and variance
        d = e[e["kind"] == "direct"]
        np.testing.assert_allclose(d["estimate"], d["direct"], rtol=1e-12)
        np.testing.assert_allclose(d["mse"], d["vardir_design"], rtol=1e-12)
        assert (d["df"] == d["villages_sampled"] - 1).all()
    share = result.measure("share_level1")
    assert share[["estimate", "ci_low", "ci_high"]].stack().between(0, 1).all()
    assert set(result.model_tambons()) == set(sampled.index[sampled < 2])


def test_benchmarked_to_the_direct_estimate_of_the_sample(rollout_store, result):
    """Frame-household-weighted tambon estimates add up to the amphoe's direct estimate."""
    hh = load(ROUND, store=rollout_store)
    scored = scored_households(hh)
    d = round_design(scored)
    meas = household_measures(d.data, ["share_level1", "mean_score", "m0"])
    whole = direct_estimates(d, meas, []).set_index("measure")
    fit = result.fit.set_index("measure")
    for m in ("share_level1", "mean_score", "m0"):
        e = result.measure(m)
        w = e["households"] / e["households"].sum()
        assert float(w @ e["estimate"]) == pytest.approx(whole.at[m, "direct"], rel=1e-9)
        assert fit.at[m, "benchmark_target"] == pytest.approx(whole.at[m, "direct"], rel=1e-12)
        assert bool(fit.at[m, "benchmarked"])
    assert (fit["areas"] == 18).all() and (fit["synthetic"] == 2).all()
    assert (fit["gvf_fit"] == "gamma").all()
    assert set(result.coefficients["term"]) == {"intercept", "income_below_line", "no_savings"}
    assert set(result.residuals["area"]) == set(
        result.estimates.loc[result.estimates["villages_sampled"] > 0, "area"])


def test_cached_result_is_read_back_whole(rollout_store, settings_file, result):
    key = small_area_key(ROUND, rollout_store, settings_path=settings_file)
    folder = cache_folder(ROUND, key, rollout_store)
    assert (folder / "meta.json").exists()
    again = round_small_area(ROUND, rollout_store, settings_path=settings_file)
    assert not again.models and result.models  # read from the cache, not refitted
    for name in ("estimates", "fit", "coefficients", "residuals", "covariates"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(result, name),
                                      check_dtype=False)
    assert again.tambons == result.tambons and again.meta["key"] == key
    assert again.meta["covariate_year"] == ROUND - 1  # `latest`: synth writes the year before
    # other settings, other key
    assert small_area_key(ROUND, rollout_store) != key


def test_direct_estimates_agree_with_the_grade_indicators(rollout_store):
    """Estimates as the grades compute them; the mean score's variance by the delta method."""
    hh = load(ROUND, store=rollout_store)
    hh = hh[hh["weight"].notna()].reset_index(drop=True)
    sch = load_scheme(None)
    scored = scored_households(hh, sch)
    d = round_design(scored)
    areas = sorted(scored["tambon_code"].unique())
    out = direct_estimates(d, household_measures(d.data, ["share_level1", "mean_score", "m0"]),
                           areas)
    ind = area_indicators(d, score_households(hh, sch), "tambon_code")
    for m, se in (("share_level1", "share_level1_se"), ("m0", "m0_se"), ("mean_score", None)):
        o = out[(out["measure"] == m) & (out["area"] != "*")].set_index("area")
        np.testing.assert_allclose(o["direct"], ind.loc[o.index, m], rtol=1e-12)
        if se:
            np.testing.assert_allclose(np.sqrt(o["vardir"]), ind.loc[o.index, se], rtol=1e-10)
    # mean score of one tambon: delta method on the covariance of the 14 totals (the design
    # restricted to the tambon keeps the whole design for the variance, as R's subset)
    caps = list(sch.capital_ids)
    t = areas[0]
    sub = d.subset(d.data["tambon_code"] == t)
    S = d.data[caps].to_numpy(float)
    X = (~np.isnan(S)).astype(float)
    Z = np.column_stack([np.nan_to_num(S), X])
    V = sub.total_vcov(Z)
    inside = (d.data["tambon_code"] == t).to_numpy()
    w = d.weights * inside
    Ty, Tx = w @ np.nan_to_num(S), w @ X
    grad = np.concatenate([1 / Tx, -Ty / Tx**2]) / len(caps)
    o = out[(out["measure"] == "mean_score") & (out["area"] == t)].iloc[0]
    assert o["direct"] == pytest.approx(np.mean(Ty / Tx), rel=1e-12)
    assert o["vardir"] == pytest.approx(grad @ V @ grad, rel=1e-9)


def test_tambon_design_gives_the_variance_given_the_tambons_villages(rollout_store):
    """Same estimates as the round's design; a tambon's villages are its own stratum."""
    hh = load(ROUND, store=rollout_store)
    frame = load(ROUND, store=rollout_store, table="frame")
    scored = scored_households(hh)
    d, t = round_design(scored), tambon_design(scored, frame)
    meas = household_measures(d.data, ["share_level1"])
    areas = universe_tambons(frame)["area"].tolist()
    a = direct_estimates(d, meas, areas).set_index("area").drop(index="*")
    b = direct_estimates(t, meas, areas).set_index("area").drop(index="*")
    np.testing.assert_allclose(a["direct"], b["direct"], rtol=1e-12)
    assert (b.loc[b["villages_sampled"] > 0, "df"] == b.loc[b["villages_sampled"] > 0,
                                                           "villages_sampled"] - 1).all()
    # by hand: stratified two-stage variance of a ratio with the tambon's villages as the
    # stratum (fpc: its villages in the frame); a one-village tambon keeps only stage 2
    one = b.index[b["villages_sampled"] == 1][0]
    many = b.index[b["villages_sampled"] >= 2][0]
    for tam in (one, many):
        assert b.at[tam, "vardir"] == pytest.approx(_by_hand(t.data, frame, tam), rel=1e-9)


def _by_hand(dd: pd.DataFrame, frame: pd.DataFrame, tam: str) -> float:
    rows = (dd["tambon_code"] == tam).to_numpy()
    lev = dd.loc[rows, "overall_level"].to_numpy(float)
    y, x = (lev == 1).astype(float), (~np.isnan(lev)).astype(float)
    w = dd.loc[rows, "weight"].to_numpy(float)
    R = (w @ y) / (w @ x)
    z = w * (y - R * x) / (w @ x)
    codes, vix = np.unique(dd.loc[rows, "village_code"].to_numpy(), return_inverse=True)
    zt = np.bincount(vix, weights=z)
    k = len(codes)
    N = int((frame["village_code"].str[:6] == tam).sum())
    v1 = (1 - k / N) * k / (k - 1) * ((zt - zt.mean()) ** 2).sum() if k > 1 else 0.0
    v2 = 0.0
    M = dd.loc[rows, "village_households"].to_numpy(float)
    for j in range(k):
        zj = z[vix == j]
        m, Mj = len(zj), M[vix == j][0]
        v2 += (k / N) * (1 - m / Mj) * m / (m - 1) * ((zj - zj.mean()) ** 2).sum()
    return v1 + v2


def test_round_settings_are_checked_together(tmp_path):
    s = load_round_settings()
    assert s.measures == ("share_level1", "mean_score", "m0") and s.benchmark
    assert s.covariate_year == "latest" and s.model.gvf_fit == "gamma"
    doc = yaml.safe_load((PARAMS / "smallarea.yaml").read_text(encoding="utf-8"))
    doc["round"] = {"measures": ["share_level1", "share_level9"], "covariate_year": "newest",
                    "benchmark": "yes", "extra": 1}
    p = tmp_path / "smallarea.yaml"
    p.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        load_round_settings(p)
    msg = str(err.value)
    for part in ("share_level9", "covariate_year must be one of", "benchmark must be true",
                 "unknown key(s) ['extra']"):
        assert part in msg


def test_a_round_without_frame_columns_has_no_small_area_estimates():
    hh = pd.DataFrame({"village_code": ["80120101"], "weight": [1.0],
                       "submission_uuid": ["a"]})
    with pytest.raises(SmallAreaUnavailable, match="ingested without frame.csv"):
        round_design(hh)


def test_gamma_gvf_is_unbiased_where_log_ols_is_not():
    """Variances from k villages are D chi2_{k-1}/(k-1): OLS on their log flattens the slope.

    True variance D = 0.02 / villages (households = 150 per village); areas with 2-7
    villages are trusted, one-village areas get the prediction (truth 0.02).
    """
    rng = np.random.default_rng(11)
    vil = np.concatenate([np.repeat(1, 150), rng.integers(2, 8, 600)])
    truth = 0.02 / vil
    noisy = truth * rng.chisquare(np.maximum(vil - 1, 1)) / np.maximum(vil - 1, 1)
    noisy[vil == 1] = truth[vil == 1] / 50  # one village: only the within-village part
    d = pd.DataFrame({"area": np.arange(len(vil)), "y": 0.3, "v": noisy, "hh": 150.0 * vil,
                      "vil": vil})
    kw = dict(area="area", direct="y", vardir="v", households="hh", villages="vil")
    g = fit_gvf(d, **kw, fit="gamma")
    o = fit_gvf(d, **kw, fit="log_ols")
    pred_g = g.table.loc[vil == 1, "vardir_used"].mean()
    pred_o = o.table.loc[vil == 1, "vardir_used"].mean()
    assert g.coefficients.at["log_households", "estimate"] == pytest.approx(-1, abs=0.12)
    assert pred_g == pytest.approx(0.02, rel=0.15)
    assert o.coefficients.at["log_households", "estimate"] > -0.75
    assert pred_o < 0.8 * 0.02
    assert g.smearing == 1.0 and g.fit == "gamma" and "gamma" in repr(g)
    with pytest.raises(DesignError, match="fit must be one of"):
        fit_gvf(d, **kw, fit="ols")
    assert math.isfinite(g.r2) and 0 < g.r2 < 1


def test_a_census_of_villages_needs_no_model(sample_store):
    """Khanom surveyed whole (every tambon 2+ villages): every tambon direct, no model fitted."""
    res = round_small_area(ROUND, sample_store, cache=False)
    assert res.fit.empty and res.coefficients.empty and not res.models
    e = res.estimates
    assert set(e["kind"]) == {"direct"} and set(e["basis"]) == {"direct"}
    assert res.measures == ("share_level1", "mean_score", "m0")
    assert len(e) == 3 * len(res.tambons) and not res.model_tambons()
    np.testing.assert_allclose(e["estimate"], e["direct"])
    assert ((e["ci_low"] <= e["estimate"]) & (e["estimate"] <= e["ci_high"])).all()
    # one direct figure, one interval: each tambon's level-1 share and interval as its own
    # report gives them (the round's census design: villages are strata, households the
    # units; not t on sampled villages - 1 degrees of freedom, which made a second interval)
    from abcresearch.reports.area import AreaReport

    share = res.measure("share_level1").set_index("area")
    for code in res.tambons:
        own = AreaReport.load(code, ROUND, store=sample_store).level1_estimate.iloc[0]
        row = share.loc[code]
        assert row["estimate"] == pytest.approx(float(own["estimate"]), rel=1e-9)
        assert row["rmse"] == pytest.approx(float(own["se"]), rel=1e-6)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (float(own["ci_low"]), float(own["ci_high"])), rel=1e-6)


# ---------------------------------------------------------------------------------------------
# Reports (item 5): a tambon with estimate basis `model` and the province overview
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eblup_report(rollout_store: Path, result: SmallAreaResult):
    """The report of the first tambon resting on one sampled village whose own report
    publishes its level-1 share (the model section then shows its EBLUP)."""
    from abcresearch.reports.area import AreaReport

    for code in result.measure("share_level1").query("kind == 'eblup'")["area"]:
        rep = AreaReport.load(code, ROUND, store=rollout_store)
        if rep.write_summary().summary["share_level1"] is not None:
            return rep
    raise AssertionError("no one-village tambon publishes its level-1 share")


def test_an_eblup_is_hidden_where_the_tambons_direct_figure_is(rollout_store, result):
    """The EBLUP mixes in the direct estimate (its weight is printed): where the tambon's own
    report hides its level-1 share or M0, the model section hides that EBLUP too."""
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.results import Table
    from abcresearch.reports.sections.smallarea import small_area

    codes = result.measure("share_level1").query("kind == 'eblup'")["area"]
    seen = set()
    for code in codes:
        rep = AreaReport.load(code, ROUND, store=rollout_store)
        own = rep.write_summary().summary
        sec = small_area(rep, result=result)
        tab = next(p for p in sec.parts if isinstance(p, Table)).data.set_index("ตัวชี้วัด")
        for measure, row in (("share_level1", "ครัวเรือนระดับ 1 (ร้อยละ)"),
                             ("m0", "ดัชนีความยากจนหลายมิติ (M0)")):
            hidden = own[measure] is None
            seen.add(hidden)
            cells = tab.loc[row, ["ค่าประมาณ", "RMSE", "ช่วงความเชื่อมั่น 95%"]]
            assert cells.isin(["×", "<5"]).all() == hidden, (code, measure)
        assert (sec.details["need"] == {}) == (own["share_level1"] is None or own["m0"] is None)
        # the summary's model estimates hide the same (the index showed a model figure the
        # PDF printed as a marker)
        printed = {e["measure"]: e for e in own.get("model_estimates") or []}
        for measure in ("share_level1", "m0"):
            if measure in printed and printed[measure]["kind"] == "eblup":
                assert (printed[measure]["estimate"] is None) == (own[measure] is None), \
                    (code, measure)
    assert seen == {True, False}, "the round has hidden and published one-village figures"


def test_a_model_based_tambon_report_says_so_plainly_with_rmse_and_intervals(eblup_report,
                                                                           result):
    from abcresearch.reports.results import Table, Typst
    from abcresearch.reports.sections.smallarea import cover_lines, small_area
    from abcresearch.scoring.grade_rules import need_classes
    from abcresearch.scoring.grades import load_grade_rules

    rep = eblup_report
    sec = small_area(rep, result=result)
    assert sec.details["estimate_basis"] == "model"
    assert sec.details["grade_status"] == "provisional" and sec.details["kind"] == "eblup"
    box = next(p for p in sec.parts if isinstance(p, Typst))
    # grade status `provisional` with no group: said as it is (it read "provisional" beside
    # a cover saying "not graded")
    assert "ยังไม่จัดกลุ่ม A/B/C เพราะมีเพียงค่าประมาณจากแบบจำลอง" in box.markdown
    assert "เป็นค่าประมาณจากแบบจำลอง ไม่ใช่ค่าที่วัดได้โดยตรง" in box.markdown
    assert "1 หมู่บ้าน" in box.markdown
    text = "\n".join(p.as_markdown() for p in sec.parts)
    assert "จปฐ. ปี 2548" in text and "ครัวเรือนรายได้ต่ำกว่าเกณฑ์" in text
    assert "ส่วนอื่นของรายงานนี้คำนวณจากหมู่บ้านตัวอย่าง 1 หมู่บ้านเท่านั้น" in text
    # the table: each measure with its RMSE and interval, as the result holds them
    tab = next(p for p in sec.parts if isinstance(p, Table)).data.set_index("ตัวชี้วัด")
    rows = result.area(rep.area.code).set_index("measure")
    s = rows.loc["share_level1"]
    got = tab.loc["ครัวเรือนระดับ 1 (ร้อยละ)"]
    assert got["ค่าประมาณ"] == f"{100 * s['estimate']:.1f}"
    assert got["RMSE"] == f"{100 * s['rmse']:.1f}"
    assert got["ช่วงความเชื่อมั่น 95%"] == f"{100 * s['ci_low']:.1f}–{100 * s['ci_high']:.1f}"
    assert tab.loc["ดัชนีความยากจนหลายมิติ (M0)", "ค่าประมาณ"] == f"{rows.at['m0', 'estimate']:.3f}"
    assert got["น้ำหนักของผลสำรวจ"] == f"{100 * s['gamma']:.0f}%"
    # the need class the model estimates give, marked provisional
    ind = pd.DataFrame({"share_level1": [s["estimate"]], "m0": [rows.at["m0", "estimate"]]})
    assert sec.details["need"]["need"] == need_classes(ind, load_grade_rules(),
                                                       level="tambon")["need"].iloc[0]
    assert cover_lines(rep, result) == [
        "**ฐานของค่าประมาณ: ประมาณด้วยแบบจำลองพื้นที่ขนาดเล็ก · สถานะการจัดกลุ่ม: "
        "ยังไม่จัดกลุ่ม A/B/C เพราะมีเพียงค่าประมาณจากแบบจำลอง ซึ่งใช้บอกความจำเป็นเบื้องต้นได้"
        "เท่านั้น**"]


def test_a_model_estimate_resting_on_a_few_households_is_not_published(eblup_report, result):
    from abcresearch.reports.results import Table
    from abcresearch.reports.sections.smallarea import small_area

    code = eblup_report.area.code
    e = result.estimates.copy()
    e.loc[e["area"] == code, "households_sampled"] = 3
    few = SmallAreaResult(result.survey_round, e, result.fit, result.coefficients,
                          result.residuals, result.covariates, result.meta)
    sec = small_area(eblup_report, result=few)
    tab = next(p for p in sec.parts if isinstance(p, Table)).data
    assert sec.details["suppressed"] and not sec.details["need"]
    assert (tab[["ค่าประมาณ", "RMSE", "ช่วงความเชื่อมั่น 95%"]] == "<5").all().all()


def test_direct_tambons_and_villages_get_no_small_area_section(rollout_store, result):
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.sections.smallarea import cover_lines, small_area

    e = result.measure("share_level1")
    code = e.loc[e["kind"] == "direct", "area"].iloc[0]
    rep = AreaReport.load(code, ROUND, store=rollout_store)
    sec = small_area(rep, result=result)
    assert not sec.parts and sec.details["estimate_basis"] == "direct"
    assert sec.details["grade_status"] == "final" and cover_lines(rep, result) == []
    village = rep.households["village_code"].iloc[0]
    vrep = AreaReport.load(village, ROUND, store=rollout_store)
    assert not small_area(vrep, result=result).parts


def test_the_overview_lists_every_tambon_and_says_which_is_model_based(rollout_store, result):
    from abcresearch.reports.context import ProvinceContext
    from abcresearch.reports.results import Table
    from abcresearch.reports.sections.smallarea import tambon_overview

    prov = ProvinceContext.load("80", ROUND, store=rollout_store)
    sec = tambon_overview(prov, result=result)
    tab = next(p for p in sec.parts if isinstance(p, Table)).data
    from abcresearch.reports.render.display import format_number
    from abcresearch.survey.areas import tambons

    names = tambons("80").set_index("code")["name_th"]
    e = result.measure("share_level1").sort_values("estimate", ascending=False)
    # in the table's order: the shown shares first (highest first), then the hidden ones in
    # code order (a hidden share's place among the shown ones would bound it)
    hidden_rows = tab["ครัวเรือนระดับ 1 (ร้อยละ)"].isin(["×", "<5"]).to_numpy()
    assert hidden_rows.any() and (~hidden_rows).any()
    assert hidden_rows[np.flatnonzero(hidden_rows)[0]:].all()
    by_name = {names.get(a, a): i for i, a in enumerate(e["area"])}
    e = e.iloc[[by_name[n] for n in tab["ตำบล"]]]
    assert list(e["area"][hidden_rows]) == sorted(e["area"][hidden_rows])
    assert list(e["estimate"][~hidden_rows]) == sorted(e["estimate"][~hidden_rows],
                                                       reverse=True)
    assert len(tab) == 18
    short = {"direct": "โดยตรง", "eblup": "แบบจำลอง + สำรวจ", "synthetic": "แบบจำลองล้วน"}
    assert tab["ฐานของค่าประมาณ"].tolist() == [short[k] for k in e["kind"]]
    # a tambon's own share is printed where its own report prints it, else its marker
    from abcresearch.reports.area import AreaReport

    shown = tab["ครัวเรือนระดับ 1 (ร้อยละ)"].tolist()
    for (code, kind, v), text in zip(e[["area", "kind", "estimate"]].itertuples(index=False),
                                     shown, strict=True):
        if kind == "direct":
            own = AreaReport.load(code, ROUND, store=rollout_store).write_summary().summary
            if own["share_level1"] is not None:  # as the tambon's own report prints it
                assert text == format_number(own["share_level1"], 0, 100) \
                    == format_number(v, 0, 100), code
            else:
                assert text in ("×", "<5"), code
        else:
            assert text in (format_number(v, 0, 100), "×", "<5"), code
    assert {"×", "<5"} & set(shown), "the round has a direct tambon whose report hides its share"
    assert tab["หมู่บ้านตัวอย่าง"].tolist() == e["villages_sampled"].tolist()
    intro = sec.parts[1].as_markdown()
    assert "(10 ตำบล)" in intro
    assert "6 ตำบลมีหมู่บ้านตัวอย่าง 1" in intro and "2 ตำบลยังไม่มีหมู่บ้านตัวอย่าง" in intro
    assert len(tambon_overview(prov, result=result, limit=5).parts[-1].data) == 5


def test_the_methods_appendix_gives_the_model_fit(eblup_report, result):
    from abcresearch.reports.results import Table
    from abcresearch.reports.sections.smallarea import model_fit

    sec = model_fit(eblup_report, result=result)
    tab = next(p for p in sec.parts if isinstance(p, Table)).data
    f = result.fit.set_index("measure")
    assert len(tab) == 3
    assert (tab["ตำบล (โดยตรง / แบบจำลอง + สำรวจ / แบบจำลองล้วน)"] == "10 / 6 / 2").all()
    assert tab["R²"].tolist() == [f"{f.at[m, 'r2']:.2f}" for m in result.measures]
    b = f.loc["share_level1"]
    assert tab["ค่าเฉลี่ยก่อน → หลังปรับ"].iloc[0] == (
        f"{100 * b['benchmark_before']:.1f} → {100 * b['benchmark_target']:.1f}")
    text = sec.parts[1].as_markdown()
    assert "Fay-Herriot (REML)" in text and "gamma" in text and "ครัวเรือนไม่มีเงินออม" in text
    empty = SmallAreaResult(result.survey_round, result.estimates, result.fit.iloc[0:0],
                            result.coefficients, result.residuals, result.covariates,
                            result.meta)
    assert not model_fit(eblup_report, result=empty).parts


def test_the_overview_has_no_table_when_every_tambon_is_direct(sample_store):
    """A census round: every tambon direct, and a 170-row table would repeat the ranking."""
    from abcresearch.reports.context import ProvinceContext
    from abcresearch.reports.results import Table
    from abcresearch.reports.sections.smallarea import tambon_overview

    prov = ProvinceContext.load("80", 2549, store=sample_store)
    sec = tambon_overview(prov)
    assert sec.parts, "the sample store's round has small-area estimates"
    assert set(sec.details["counts"]) == {"direct"}
    assert not any(isinstance(p, Table) for p in sec.parts)
    assert "ใช้ค่าประมาณโดยตรง" in sec.parts[-1].as_markdown()


def test_a_model_based_tambon_leads_with_the_model_estimate(eblup_report) -> None:
    """A tambon of one sampled village printed its village's 33% on its summary page, in its
    findings and summary JSON (under "provisional, model-based"), beside the model's 26.6% on
    page 3 and on the index. It now leads with the model's, as its model section prints it."""
    from abcresearch.reports.formatting import format_number
    from abcresearch.reports.sections.smallarea import MEASURE_FORMAT, area_estimates

    def _fmt(value: float, measure: str) -> str:  # as the model section prints it
        scale, dec = MEASURE_FORMAT[measure]
        return format_number(value, dec, scale=scale)

    rep = eblup_report
    rows = area_estimates(rep).set_index("measure")
    s = rows.loc["share_level1"]
    text, low, high = (_fmt(s[k], "share_level1") for k in ("estimate", "ci_low", "ci_high"))
    page = rep.summary_page().text
    assert f"ร้อยละ {text} ({low}–{high}) ค่าประมาณจากแบบจำลอง" in page
    from abcresearch.labels import label

    # no group: said as such, not "provisional (model-based)" beside its villages' groups
    assert label("grade_status.provisional_ungraded", "th") in page
    assert label("grade_status.provisional", "th") not in page
    findings = rep.key_findings().findings
    assert any(f"ประมาณร้อยละ {text}" in f and "จากแบบจำลอง" in f for f in findings)
    summary = rep.summary()
    scale = MEASURE_FORMAT["share_level1"][0]
    assert summary["share_level1"] == pytest.approx(float(text) / scale)
    assert summary["m0"] == pytest.approx(float(_fmt(rows.at["m0", "estimate"], "m0")))
    direct = float(rep.level1_estimate.iloc[0]["estimate"])
    assert abs(direct - summary["share_level1"]) > 0.001  # not the village's own figure


def test_model_estimates_are_printed_on_their_side_of_the_need_threshold() -> None:
    """As the direct estimates: a model's level-1 share of 39.96% under the need threshold of
    40% is "39.96", not "40.0" beside "below the high-need 40" (a code review); its RMSE is
    no share and rounds as ever; the summary's figures are the printed ones."""
    import pandas as pd

    from abcresearch.reports.sections.smallarea import printed_estimates

    rows = pd.DataFrame({"measure": ["share_level1", "m0"], "kind": ["eblup", "eblup"],
                         "estimate": [0.39964, 0.3796], "rmse": [0.39964, 0.01],
                         "ci_low": [0.35, 0.36], "ci_high": [0.45, 0.40]})
    share, m0 = printed_estimates(rows)
    assert share["estimate"] == 39.96 and share["rmse"] == 40.0
    assert share["ci_low"] == 35.0 and share["ci_high"] == 45.0
    assert m0["estimate"] == 0.3796 and m0["ci_high"] == 0.4
