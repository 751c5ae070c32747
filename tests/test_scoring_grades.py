"""Community grades: rules, reasons, priority, typology; latent weakness of a synthetic province."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from abcresearch.errors import ParamsError
from abcresearch.paths import params_dir
from abcresearch.scoring import (
    grade_tambons,
    grade_villages,
    load_grade_rules,
    organisation_strength,
    score_households,
)
from abcresearch.scoring.grade_rules import apply_rules
from abcresearch.scoring.simulate import simulate_households, simulate_villages
from abcresearch.scoring.typology import mean_silhouette
from abcresearch.stats import SurveyDesign


def _ind(**cols: list[float]) -> pd.DataFrame:
    return pd.DataFrame(cols, index=[f"v{i}" for i in range(len(next(iter(cols.values()))))])


def test_rules_grade_and_reason_hand_examples():
    gr = load_grade_rules()
    ind = _ind(share_level1=[0.62, 0.10, 0.30, 0.10, np.nan],
               m0=[0.20, 0.05, 0.10, 0.45, 0.10],
               mean_score=[40.0, 70.0, 60.0, 70.0, 70.0],
               org_strength=[20.0, 80.0, 80.0, 80.0, 80.0],
               process_step=[1.0, 5.0, 5.0, 5.0, 5.0])
    out = apply_rules(ind, gr)
    assert out["grade"].tolist() == ["C", "A", "B", "C", "B"]
    assert out.loc["v0", "reason_th"] == "ครัวเรือนระดับ 1 ร้อยละ 62 (ถึงเกณฑ์ 40)"
    assert out.loc["v0", "reason_en"] == "62% of households at level 1 (threshold 40%)"
    assert "M0 = 0.45" in out.loc["v3", "reason_en"]
    assert "only 10% of households at level 1" in out.loc["v1", "reason_en"]
    # B: C conditions not met, and the failed A condition named
    assert "30% of households at level 1 (not below 22%)" in out.loc["v2", "reason_en"]
    assert "no data for share_level1" in out.loc["v4", "reason_en"]
    assert out.loc["v4", "missing_indicators"] == "share_level1"


def test_organisation_strength_hand_computed():
    v = pd.DataFrame({"village_code": ["80010101", "80010102"], "vil_households": [100, 300],
                      "vil_population": [300, 900], "vil_groups": [5, 3],
                      "vil_welfare_members": [90, 900], "vil_forums_year": [6, 24],
                      "vil_process_step": ["2", "6"]})
    org = organisation_strength(v)
    # village 1: 0.4*min(5/5,1) + 0.3*min(0.3/0.6,1) + 0.3*min(6/12,1) = 0.4+0.15+0.15
    assert org.loc["80010101", "org_strength"] == pytest.approx(70.0)
    # village 2: groups 1 per 100 hh -> 0.4*0.2; welfare 1.0 -> 0.3; forums 24 -> 0.3
    assert org.loc["80010102", "org_strength"] == pytest.approx(100 * (0.08 + 0.3 + 0.3))
    t = organisation_strength(v, "tambon_code")
    assert t.loc["800101", "groups_per_100hh"] == pytest.approx(2.0)
    assert t.loc["800101", "process_step"] == pytest.approx(4.0)


def test_invalid_grade_rules_name_every_problem(tmp_path: Path):
    raw = yaml.safe_load((params_dir() / "grades.yaml").read_text(encoding="utf-8"))
    raw["grades"][0]["any"][0]["indicator"] = "happiness"
    raw["grades"][1]["all"][0]["op"] = "=~"
    raw["org_strength"]["components"]["forums_year"]["weight"] = 0.5
    p = tmp_path / "grades.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_grade_rules(p)
    msg = str(exc.value)
    assert "unknown indicator 'happiness'" in msg
    assert "op must be one of" in msg
    assert "weights add up to 1.2" in msg


def test_silhouette_matches_definition():
    X = np.array([[0.0], [1.0], [10.0], [12.0]])
    lab = np.array([0, 0, 1, 1])
    a = np.array([1, 1, 2, 2.0])
    b = np.array([11, 10, 9.5, 11.5])
    assert mean_silhouette(X, lab) == pytest.approx(float(np.mean((b - a) / np.maximum(a, b))))


def test_grades_on_simulated_province_follow_latent_effects():
    df, truth = simulate_households(96, 30, seed=21, n_tambons=12)
    vil = simulate_villages(df, seed=21)
    hs = score_households(df)
    d = SurveyDesign(df, weights="weight", strata="village_code", fpc="village_households")
    gv = grade_villages(d, hs, vil)
    gt = grade_tambons(d, hs, vil)
    t = gv.table
    assert len(t) == 96 and set(t["grade"]) <= {"A", "B", "C"}
    assert sorted(t["priority_rank"]) == list(range(1, 97))
    first = t.sort_values("priority_rank")
    order = {"C": 0, "B": 1, "A": 2}
    assert first["grade"].map(order).is_monotonic_increasing
    assert t["reason_th"].str.len().gt(0).all()
    assert {"share_level1_se", "mean_human", "m0", "org_strength", "cluster"} <= set(t.columns)
    typ = gv.typology
    assert typ is not None and 2 <= typ.k <= 6
    assert typ.silhouette.idxmax() == typ.k
    assert typ.crosstab.to_numpy().sum() == 96
    weakest = truth.sort_values("effect")["tambon_code"].head(2)
    assert (gt.table.loc[weakest, "grade"] == "C").all()


def _synth_tambons(tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from abcresearch.ingest.pipeline import ingest
    from abcresearch.store import read as data
    from abcresearch.synth.generate import synthesize

    synthesize(province="80", survey_round=2549, seed=7, out=tmp_path / "export",
               amphoe=["8001", "8002"], households_per_village=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ingest's data-quality warnings are not under test
        ingest(tmp_path / "export", survey_round=2549, store=tmp_path / "store")
    hh = data.load(2549, store=tmp_path / "store")
    vil = data.load(2549, store=tmp_path / "store", table="villages")
    truth = pd.read_csv(tmp_path / "export" / "_truth" / "tambon_effects.csv",
                        dtype={"tambon_code": str})
    return hh, vil, truth


@pytest.mark.slow
def test_weakest_latent_tambons_of_synthetic_province_are_graded_c(tmp_path: Path):
    hh, vil, truth = _synth_tambons(tmp_path)
    hs = score_households(hh)
    d = SurveyDesign(hh, weights="weight", strata="village_code")
    gt = grade_tambons(d, hs, vil).table.join(truth.set_index("tambon_code")["effect"])
    # the weakest latent tambons of the two amphoe (34 tambon) are graded C; beyond the very
    # weakest, village and household effects blur the tambon effect (the third weakest here has
    # 35% of households at level 1, under the 40% threshold), so the rest is checked on average
    weakest = gt.sort_values("effect").head(2)
    assert (weakest["grade"] == "C").all(), weakest[["grade", "effect", "share_level1"]]
    # grades rise with the latent effect: mean effect C < B < A (where present)
    means = gt.groupby("grade")["effect"].mean().reindex(["C", "B", "A"]).dropna()
    assert means.is_monotonic_increasing, means
    assert gt["mean_score"].corr(gt["effect"]) > 0.5


def test_grades_split_by_job_keeps_old_import_paths():
    """Rules, indicators and typology live in their own modules; old names keep working."""
    import abcresearch.scoring as sc
    from abcresearch.scoring import grade_rules, indicators
    from abcresearch.scoring import typology as typology_fn
    from abcresearch.scoring.grades import (
        GradeRules,
        Typology,
        area_indicators,
        load_grade_rules,
        organisation_strength,
        typology,
    )
    from abcresearch.scoring.typology import Typology as T2
    from abcresearch.scoring.typology import typology as t2

    assert GradeRules is grade_rules.GradeRules and load_grade_rules is sc.load_grade_rules
    assert area_indicators is indicators.area_indicators is sc.area_indicators
    assert organisation_strength is indicators.organisation_strength
    assert typology is t2 is typology_fn and Typology is T2
    assert not hasattr(sc, "independent_change")  # replaced by round_change


def test_area_indicators_h_and_m0_are_capital_deprivations():
    """The grade indicators H, m0 and m0_se are Alkire-Foster's H and M0 by area."""
    from abcresearch.scoring import area_indicators, capital_deprivation

    df, _ = simulate_households(12, 20, seed=4, n_tambons=3)
    hs = score_households(df)
    d = SurveyDesign(df, weights="weight", strata="village_code", fpc="village_households")
    ind = area_indicators(d, hs, "tambon_code")
    af = capital_deprivation(d, hs, by="tambon_code", overall=False)
    assert np.allclose(ind["H"], af.H["estimate"], rtol=1e-14, atol=0)
    assert np.allclose(ind["m0"], af.M0["estimate"], rtol=1e-14, atol=0)
    assert np.allclose(ind["m0_se"], af.M0["se"], rtol=1e-14, atol=0)
