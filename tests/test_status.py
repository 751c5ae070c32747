"""The status model: estimate basis, grade status and the summary record (report-status.md)."""

from __future__ import annotations

import pytest

from abcresearch.analysis.status import (
    SUMMARY_KEYS,
    AreaStatus,
    Coverage,
    EstimateBasis,
    GradeStatus,
    StatusRules,
    estimate_basis,
    grade_status,
    load_status_rules,
    summary_record,
)
from abcresearch.errors import ParamsError
from abcresearch.labels import label

RULES = StatusRules(min_sampled_villages=2)


@pytest.mark.parametrize(
    ("level", "villages", "model", "basis", "status"),
    [
        ("village", 1, False, "direct", "final"),
        ("village", 1, True, "direct", "final"),
        ("tambon", 3, False, "direct", "final"),
        ("tambon", 2, True, "direct", "final"),
        ("tambon", 1, False, "direct", "not_graded"),
        ("tambon", 1, True, "model", "provisional"),
        ("tambon", 0, True, "model", "provisional"),
        ("tambon", 0, False, "none", "not_surveyed"),
        ("amphoe", 1, False, "direct", "not_graded"),
    ],
)
def test_basis_and_status(level: str, villages: int, model: bool, basis: str,
                          status: str) -> None:
    b = estimate_basis(level, villages, model, RULES)
    assert b.value == basis
    assert grade_status(level, b, villages, rules=RULES).value == status


def test_near_threshold_only_for_final_grades() -> None:
    assert grade_status("tambon", "direct", 5, True, RULES) is GradeStatus.NEAR_THRESHOLD
    assert grade_status("tambon", "direct", 1, True, RULES) is GradeStatus.NOT_GRADED
    assert grade_status("tambon", "model", 1, True, RULES) is GradeStatus.PROVISIONAL
    assert GradeStatus.NEAR_THRESHOLD.has_grade and not GradeStatus.NOT_GRADED.has_grade


def test_rules_from_params() -> None:
    r = load_status_rules()
    assert r.min_sampled_villages == 2 and "village" in r.graded_from_own_sample


def test_bad_rules_file(tmp_path) -> None:
    p = tmp_path / "status.yaml"
    p.write_text("min_sampled_villages: 0\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="min_sampled_villages must be a whole number"):
        load_status_rules(p)


def test_every_status_has_words() -> None:
    for s in GradeStatus:
        for lang in ("th", "en"):
            assert label(f"grade_status.{s.value}", lang, min_villages=2)
    for b in EstimateBasis:
        assert label(f"basis.{b.value}", "th")


def test_summary_record_keys_and_hidden_grade() -> None:
    cov = Coverage(1, 9, 150, 2100)
    st = AreaStatus("800102", "tambon", EstimateBasis.DIRECT, GradeStatus.NOT_GRADED, cov, "A")
    rec = summary_record(st, name_th="ท่าวัง", name_en="Tha Wang", survey_round=2549,
                         synthetic=True, households_estimated=None)
    assert tuple(rec)[: len(SUMMARY_KEYS)] == SUMMARY_KEYS
    assert rec["grade"] is None  # not graded: the grade is not published
    assert rec["coverage"] == {"villages_surveyed": 1, "villages_total": 9,
                               "households_surveyed": 150, "households_total": 2100}
    with pytest.raises(ValueError, match="reuse"):
        summary_record(st, name_th="", name_en="", survey_round=2549, synthetic=True,
                       households_estimated=None, grade="A")
    with pytest.raises(ValueError, match="lacks"):
        summary_record(st, name_th="", name_en="", survey_round=2549, synthetic=True,
                       households_estimated=None, change=[{"measure": "m0"}])
