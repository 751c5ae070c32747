"""The one-page summary: grade, what would lift it, strengths and gaps against the province,
coverage, programme flags and the forum date; one black-and-white page."""

from __future__ import annotations

import re

import pytest

from abcresearch.analysis.status import Coverage
from abcresearch.errors import InputError
from abcresearch.reports.area import AreaReport
from abcresearch.reports.sections import summary_page as S
from abcresearch.reports.sections.programmes import load_programmes


@pytest.fixture(scope="module")
def pages(sample_store, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("summary")
    forums = folder / "forums.csv"
    forums.write_text("area_code,survey_round,forum_date,venue\n"
                      "801501,2549,๑๒/๐๓/๒๕๕๐,ศาลาประชาคม\n"
                      "801501,2548,2006-01-01,\n"
                      "80150102,2549,,\n", encoding="utf-8")
    progs = folder / "programmes.yaml"
    progs.write_text(
        "programmes:\n"
        "  - id: welfare_pilot\n"
        "    name: {th: \"ตำบลนำร่องสวัสดิการ\", en: \"Welfare pilot\"}\n"
        "    source: a synthetic example for the test\n"
        "    expected_size: 55\n"
        "    tambons: [\"801501\"]\n", encoding="utf-8")
    out = {}
    for code in ("801501", "80150101", "80150102"):
        rep = AreaReport.load(code, 2549, store=sample_store)
        rep.summary_page(forums=str(forums), programmes=str(progs))
        out[code] = rep
    return out


def test_one_black_and_white_page(pages) -> None:
    res = pages["801501"].results["summary_page"]
    assert len(res.parts) == 1
    markup = res.parts[0].markup
    assert markup.startswith("#pagebreak(weak: true)") and markup.endswith(
        "#pagebreak(weak: true)")
    assert markup.count("#pagebreak") == 2
    # no colour: every stroke and text is black on white
    assert not re.search(r"rgb\(|luma\(|fill:|red|green|blue", markup)


def test_grade_reason_and_lift(pages) -> None:
    for rep in pages.values():
        res = rep.results["summary_page"]
        row = rep.grade_row
        assert res.details["grade"] == row["grade"]
        assert row["reason_th"] in res.text
        target, steps = S.lift_from_rules(row, rep.words)
        assert res.details["next_grade"] == target
        assert list(res.details["steps"]) == steps
        if target is None:
            assert row["grade"] == "A"
        else:
            assert steps and all(s in res.text for s in steps)


def test_lift_from_rules_reverses_the_conditions_that_hold() -> None:
    from abcresearch.reports.formatting import Words

    w = Words("en")
    target, steps = S.lift_from_rules({"grade": "C", "share_level1": 0.45, "m0": 0.30,
                                       "mean_score": 40, "org_strength": 10,
                                       "process_step": 1}, w)
    assert target == "B" and len(steps) == 1 and "below 40%" in steps[0] and "45%" in steps[0]
    target, steps = S.lift_from_rules({"grade": "B", "share_level1": 0.30, "m0": 0.30,
                                       "mean_score": 55, "org_strength": 20,
                                       "process_step": 4}, w)
    assert target == "A" and len(steps) == 2
    assert any("below 22%" in s for s in steps) and any("organisation strength" in s
                                                        for s in steps)
    assert S.lift_from_rules({"grade": "A"}, w) == (None, [])


def test_the_scoring_packages_lift_is_used_when_it_exists(monkeypatch) -> None:
    from types import SimpleNamespace

    import pandas as pd

    import abcresearch.scoring as scoring

    def steps(row, lang="th"):
        return "B", [f"raise readiness ({row['grade']}, {lang})"]

    from abcresearch.reports.formatting import Words

    fake = SimpleNamespace(grade_row=pd.Series({"grade": "C", "share_level1": 0.5}), lang="en",
                           words=Words("en"))
    monkeypatch.setattr(scoring, "next_grade_steps", steps, raising=False)
    assert S.grade_lift(fake) == ("B", ["raise readiness (C, en)"])
    monkeypatch.delattr(scoring, "next_grade_steps")
    assert S.grade_lift(fake)[0] == "B"


def test_strengths_and_gaps_are_relative_to_the_province(pages) -> None:
    res = pages["801501"].results["summary_page"]
    shares = res.estimates
    good, bad = res.details["strengths"], res.details["gaps"]
    assert good or bad
    assert all(shares.loc[i, "gap"] < 0 for i in good)
    assert all(shares.loc[i, "gap"] > 0 for i in bad)
    assert list(shares.loc[list(good), "gap"]) == sorted(shares.loc[list(good), "gap"])
    ok = shares[~shares["hidden"]]
    if len(bad) == 3:
        assert shares.loc[bad[-1], "gap"] >= ok["gap"].nlargest(3).iloc[-1]
    assert not any(shares.loc[i, "hidden"] for i in (*good, *bad))


def test_coverage_forum_date_and_programme_flags(pages) -> None:
    tam = pages["801501"].results["summary_page"]
    cov = tam.details["coverage"]
    hh = pages["801501"].households
    assert cov.households_surveyed == len(hh)
    assert cov.villages_surveyed == hh["village_code"].nunique() <= cov.villages_total
    assert "12 มีนาคม 2550 (ศาลาประชาคม)" in tam.text      # Thai digits, Buddhist era
    assert tam.details["programmes"] == ("welfare_pilot",)
    assert "ตำบลนำร่องสวัสดิการ" in tam.text
    # a village without a row of its own takes its tambon's forum; a blank date shows nothing
    assert "12 มีนาคม 2550" in pages["80150101"].results["summary_page"].text
    blank = pages["80150102"].results["summary_page"]
    assert [f.date for f in blank.details["forums"]] == [None]
    assert blank.parts[0].markdown.count("เวทีคืนข้อมูลให้ชุมชน: ……") == 1
    assert pages["80150101"].results["summary_page"].details["programmes"] == ("welfare_pilot",)


def test_coverage_from_the_status_model_when_the_context_has_it(sample_store) -> None:
    rep = AreaReport.load("801501", 2549, store=sample_store)
    given = Coverage(villages_surveyed=2, villages_total=9, households_surveyed=60,
                     households_total=900)
    rep.coverage = given  # what the status model will attach to the report context
    assert S.area_coverage(rep) is given
    assert "2 จาก 9 หมู่บ้าน" in rep.summary_page(forums=None).text


def test_bad_forum_rows_name_file_row_column_and_rule(tmp_path) -> None:
    f = tmp_path / "forums.csv"
    f.write_text("area_code,survey_round,forum_date,venue\n"
                 "801501,2549,2007-03-12,\n"
                 "801501,2549,31/02/2550,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"forums.csv row 3, column forum_date: value "
                                         r"'31/02/2550' breaks rule forum_date"):
        S.read_forums(f)
    f.write_text("area_code,date\n801501,2007-03-12\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column survey_round, forum_date"):
        S.read_forums(f)
    assert S.forum_dates(tmp_path / "none.csv", "801501", 2549) == []


def test_the_shipped_lists_are_empty_until_checked() -> None:
    progs = load_programmes()
    assert {p.id for p in progs.programmes} == {"welfare_pilot", "codi_pilot"}
    assert all(not p.verified and not p.tambons for p in progs.programmes)
    from abcresearch.paths import project_path

    assert S.read_forums(project_path(S.DEFAULT_FORUMS)) == []
