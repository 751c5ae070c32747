"""Every class of bad cell is reported with file, row, column and rule; no valid row is lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from fixtures.kobo import build, valid_pid, write

from abcresearch.ingest.pipeline import ingest
from abcresearch.survey import validate
from abcresearch.survey.validate import parse_date_text


def _run(tmp_path: Path, edit, **kw):
    exp = build()
    edit(exp)
    write(exp, tmp_path / "export", **kw)
    res = ingest(tmp_path / "export", survey_round=2567, store=tmp_path / "store")
    return exp, res


def _counts_add_up(res, exp) -> None:
    c = res.counts.set_index("table")
    assert c.loc["households", "read"] == len(exp.households)
    assert c.loc["members", "read"] == len(exp.members)
    for t in c.index:
        assert c.loc[t, "valid"] + c.loc[t, "rejected"] == c.loc[t, "read"]


def _one(res, rule: str) -> pd.Series:
    hit = res.issues[res.issues["rule"] == rule]
    assert len(hit) >= 1, res.issues[["rule", "message"]]
    return hit.iloc[0]


@pytest.mark.parametrize(
    ("header", "value", "rule", "column", "words"),
    [
        # (a bad answer to hh_size, head_age, head_sex, cul_religion or interview_date is
        # kept as not answered: test_a_bad_capital_item_is_kept_as_not_answered_...)
        ("hh/head_sex", None, "required", "head_sex", "required"),
        ("hh/village_code", "8001011", "regex", "village_code",
         "must be 8 digits, a village code (the tambon's 6-digit code and the 2-digit village "
         "number))"),
        ("hh/village_code", "80999901", "unknown_area", "village_code", "tambon"),
        ("hh/consent", "no", "equals", "consent", "must be 'yes'"),
    ],
)
def test_bad_cell_is_rejected_with_a_clear_message(tmp_path, header, value, rule, column, words):
    def edit(exp):
        exp.households.loc[4, header] = value
        item = next(c for c in exp.households.columns if c.endswith("/hum_skills"))
        exp.households.loc[[0, 1, 2, 3, 5, 6], item] = None  # blank items: warnings

    exp, res = _run(tmp_path, edit)
    issue = _one(res, rule)
    assert issue["file"] == "household.csv"
    assert issue["row"] == 6  # data row 5 -> spreadsheet row 6 (header is row 1)
    assert issue["column"] == column
    msg = issue["message"]
    assert msg.startswith(f"household.csv row 6, column {column}: value ")
    assert f"breaks rule {rule} (" in msg and words in msg
    assert issue["message_th"]
    if rule == "regex":  # in words a field officer reads, not the pattern's code
        assert "^[0-9]" not in msg and "ตัวเลข 8 หลัก" in issue["message_th"]
    # the rejected row is named on the terminal and first in the validation summary (which
    # listed the first 20 issues: blank items, the rejected row out of sight)
    from abcresearch.ingest.pipeline import summary_markdown

    assert f"  {msg}" in res.summary().splitlines()
    assert f"    {issue['message_th']}" in res.summary().splitlines()  # and in Thai
    md = summary_markdown(res)
    assert md.index("## Rejected rows") < md.index(f"- {msg}")
    warned = res.issues[res.issues["severity"] != "error"]
    assert (warned["rule"] == "item_missing").sum() >= 6
    assert "## Warnings, up to 3 of each rule" in md
    for rule, n in warned["rule"].value_counts().items():
        assert md.count(f"breaks rule {rule} (") == min(int(n), 3)
    c = res.counts.set_index("table")
    assert c.loc["households", "rejected"] == 1
    assert c.loc["households", "valid"] == len(exp.households) - 1
    # its roster rows go with it, under their own rule
    assert c.loc["members", "rejected"] == 2
    assert set(res.issues.loc[res.issues["table"] == "members", "rule"]) == {"parent_rejected"}
    _counts_add_up(res, exp)


@pytest.mark.parametrize(
    ("header", "value", "rule", "column", "words"),
    [
        ("financial/fin_income_year", "12k", "item_type", "fin_income_year", "not a number"),
        ("human/hum_working_age", "2.5", "item_type", "hum_working_age",
         "not a whole number"),
        ("financial/fin_income_year", "-5", "item_range", "fin_income_year",
         "must be between 0 and 10000000"),
        ("human/hum_edu_head", "phd", "item_choice", "hum_edu_head", "list edu"),
        ("human/hum_skills", "farming juggling", "item_choice", "hum_skills", "list skill"),
        ("human/hum_skills", "none farming", "item_choice_none", "hum_skills", "'none'"),
        # questions besides the capital items listed in params/ingest.yaml (a head's age
        # written "45 ปี" rejected the interview and its roster)
        ("hh/head_age", "45 ปี", "item_type", "head_age", "not a whole number"),
        ("hh/hh_size", "ห้า", "item_type", "hh_size", "not a whole number"),
        ("hh/head_age", "-5", "item_range", "head_age", "must be between 15 and 110"),
        ("hh/head_sex", "x", "item_choice", "head_sex", "list sex"),
        ("cultural/cul_religion", "jedi", "item_choice", "cul_religion", "list religion"),
        ("hh/interview_date", "31/02/2024", "item_type", "interview_date",
         "not a date that exists"),
        ("hh/interview_date", "2300-01-01", "item_type", "interview_date", "not a date"),
    ],
)
def test_a_bad_capital_item_is_kept_as_not_answered_with_its_household(
        tmp_path, header, value, rule, column, words):
    """One bad answer to a capital item no longer rejects the household (and its roster): the
    item is stored as not answered, like a blank one, and the issue says so."""
    from abcresearch.store.read import load

    def edit(exp):
        exp.households.loc[4, header] = value

    exp, res = _run(tmp_path, edit)
    issue = _one(res, rule)
    assert (issue["row"], issue["column"], issue["severity"]) == (6, column, "warning")
    msg = issue["message"]
    assert f"breaks rule {rule} (" in msg and words in msg
    assert "counted as not answered, the rest of the row kept" in msg
    assert "จึงถือว่าข้อนี้ไม่ได้ตอบ แต่ยังเก็บคำตอบอื่นของแถวนี้ไว้" in issue["message_th"]
    c = res.counts.set_index("table")
    assert c.loc["households", "rejected"] == 0 and c.loc["members", "rejected"] == 0
    stored = load(2567, store=tmp_path / "store").set_index("submission_uuid")
    uuid = exp.households.loc[4, "_uuid"]
    assert pd.isna(stored.loc[uuid, column])
    other = exp.households.loc[5, "_uuid"]
    assert not pd.isna(stored.loc[other, column])
    # only that item: the household's other answers are there
    assert stored.loc[uuid].drop(column).notna().sum() == stored.loc[other].drop(
        column).notna().sum()
    _counts_add_up(res, exp)


def test_range_message_matches_the_documented_shape(tmp_path):
    def edit(exp):
        exp.members.loc[3, "member/m_age"] = "-5"

    _, res = _run(tmp_path, edit)
    assert _one(res, "item_range")["message"] == (
        "member.csv row 5, column m_age: value -5 breaks rule item_range "
        "(must be between 0 and 120; counted as not answered, the rest of the row kept)")


def test_a_members_age_in_words_is_left_blank_the_person_kept(tmp_path):
    """A member's age written "สามสิบ" took the person out of the roster (a user's
    walk-through). Without a sampling frame a village form's household count weights the
    village's households, so "abc" there still rejects that form, saying why (it said "not a
    whole number" alone; with a frame the count is left blank: tests/test_frame.py)."""
    def edit(exp):
        exp.members.loc[3, "member/m_age"] = "สามสิบ"
        exp.villages.loc[1, "village/vil_households"] = "abc"

    exp, res = _run(tmp_path, edit)
    counts = res.counts.set_index("table")
    issue = res.issues[res.issues["column"] == "m_age"]
    assert list(issue["rule"]) == ["item_type"] and list(issue["severity"]) == ["warning"]
    assert counts.loc["members", "valid"] == len(exp.members), counts
    issue = res.issues[res.issues["column"] == "vil_households"]
    assert list(issue["rule"]) == ["type:integer"] and list(issue["severity"]) == ["error"]
    assert counts.loc["villages", "valid"] == len(exp.villages) - 1, counts
    assert issue["message"].iloc[0].endswith(
        "(not a whole number; the round has no sampling frame (frame.csv), and without one the "
        "village's households are weighted by this count, so the village form is rejected: "
        "correct the count, or ingest the round's frame and then this village form again)")
    assert issue["message_th"].iloc[0].startswith("village.csv แถวที่ 3 คอลัมน์ vil_households")
    assert "ไม่รับแบบสำรวจหมู่บ้านฉบับนี้" in issue["message_th"].iloc[0]


def test_a_master_plan_answer_left_blank_takes_its_year_with_it(tmp_path):
    """A master-plan answer that could not be used was left blank and its year kept: the
    organisations table printed the year of a plan not known to exist. The year is left blank
    too, said on its own line; a plan answered "no" with a year keeps the year as given (which
    of the two answers is wrong cannot be told), with its not_relevant warning."""
    from abcresearch.store.read import load

    def edit(exp):  # build() answers "yes", 2550 on every form
        exp.villages.loc[0, "planning/vil_master_plan"] = "maybe"
        exp.villages.loc[1, "planning/vil_master_plan"] = "no"

    exp, res = _run(tmp_path, edit)
    assert res.counts.set_index("table").loc["villages", "valid"] == len(exp.villages)
    iss = res.issues[res.issues["table"] == "villages"].set_index(["row", "column"])
    assert iss.loc[(2, "vil_master_plan"), "rule"] == "item_choice"
    year = iss.loc[(2, "vil_master_plan_year")]
    assert (year["rule"], year["severity"], year["value"]) == (
        "item_gate_unusable", "warning", "2550")
    assert year["message"].endswith(
        "breaks rule item_gate_unusable (asked only when vil_master_plan (Has a community "
        "master plan) is 'yes', and that answer could not be used, so this one is counted as "
        "not answered too; the rest of the row kept)")
    assert year["message_th"].endswith(
        "ไม่ผ่านกฎ item_gate_unusable (ข้อนี้ถามเฉพาะเมื่อข้อ vil_master_plan (มีแผนแม่บทชุมชน) "
        "ตอบว่า 'yes' (ใช่) และคำตอบข้อนั้นใช้ไม่ได้ จึงถือว่าข้อนี้ไม่ได้ตอบด้วย "
        "แต่ยังเก็บคำตอบอื่นของแถวนี้ไว้)")
    assert iss.loc[(3, "vil_master_plan_year"), "rule"] == "not_relevant"
    assert (4, "vil_master_plan_year") not in iss.index
    forms = load(2567, store=tmp_path / "store", table="villages").set_index("village_code")
    code = exp.villages["village/village_code"]
    assert pd.isna(forms.loc[code[0], "vil_master_plan"])
    assert pd.isna(forms.loc[code[0], "vil_master_plan_year"])
    assert forms.loc[code[1], "vil_master_plan_year"] == 2550
    assert forms.loc[code[2], "vil_master_plan_year"] == 2550


def test_a_master_plan_year_out_of_range_is_named_once(tmp_path):
    """A plan and its year both unusable: the year is named by its own rule only."""
    def edit(exp):
        exp.villages.loc[0, "planning/vil_master_plan"] = "maybe"
        exp.villages.loc[0, "planning/vil_master_plan_year"] = "1999"

    _, res = _run(tmp_path, edit)
    year = res.issues[res.issues["column"] == "vil_master_plan_year"]
    assert list(year["rule"]) == ["item_range"]


def test_a_required_question_left_blank_still_rejects_its_household(tmp_path):
    def edit(exp):
        exp.households.loc[3, "hh/head_age"] = ""

    _, res = _run(tmp_path, edit)
    issue = _one(res, "required")
    assert (issue["column"], issue["severity"]) == ("head_age", "error")


def test_all_failures_are_collected_at_once(tmp_path):
    def edit(exp):
        exp.households.loc[0, "hh/hh_size"] = "abc"
        exp.households.loc[1, "hh/hh_size"] = "0"  # out of range, must not hide behind "abc"
        exp.households.loc[2, "financial/fin_savings"] = "-1"
        exp.households.loc[2, "human/hum_edu_head"] = "xx"

    _, res = _run(tmp_path, edit)
    got = set(zip(res.issues["row"], res.issues["column"], res.issues["rule"], strict=True))
    assert {(2, "hh_size", "item_type"), (3, "hh_size", "item_range"),
            (4, "fin_savings", "item_range"), (4, "hum_edu_head", "item_choice")} <= got


def test_duplicate_submission_ids_reject_every_copy(tmp_path):
    def edit(exp):
        exp.households.loc[5, "_uuid"] = exp.households.loc[2, "_uuid"]

    exp, res = _run(tmp_path, edit)
    dup = res.issues[res.issues["rule"] == "unique_id"]
    assert sorted(dup["row"]) == [4, 7]
    assert (dup["column"] == "submission_uuid").all()
    _counts_add_up(res, exp)


def test_a_follow_up_of_an_unusable_gate_answer_is_not_called_not_asked(tmp_path):
    """fin_debt is asked when fin_has_debt = yes: with "yse" the gate is not answered, so
    whether fin_debt applies is unknown; it is not flagged as answered although not asked."""
    def edit(exp):
        exp.households.loc[4, "financial/fin_has_debt"] = "yse"
        exp.households.loc[5, "financial/fin_has_debt"] = "no"  # a real "not asked"

    _, res = _run(tmp_path, edit)
    hh = res.issues[res.issues["table"] == "households"]
    assert set(hh.loc[hh["row"] == 6, "rule"]) == {"item_choice"}
    assert "not_relevant" in set(hh.loc[hh["row"] == 7, "rule"])


def test_copies_that_differ_in_a_bad_capital_answer_are_not_exact_copies(tmp_path):
    """The bad answers become not answered only after the rows are compared: "doctorate" and
    "phd" are two different answers under one id (both rejected), not one form saved twice."""
    def edit(exp):
        exp.households.loc[5] = exp.households.loc[2]
        exp.households.loc[2, "human/hum_edu_head"] = "doctorate"
        exp.households.loc[5, "human/hum_edu_head"] = "phd"

    exp, res = _run(tmp_path, edit)
    rules = set(res.issues.loc[res.issues["table"] == "households", "rule"])
    assert "unique_id" in rules and "duplicate_copy" not in rules
    dup = res.issues[res.issues["rule"] == "unique_id"]
    assert sorted(dup["row"]) == [4, 7]


def test_an_exact_copy_keeps_its_first_row(tmp_path):
    """A household row saved twice (an export merged twice) is stored once, with its roster;
    the copy is rejected naming the row kept. Copies whose answers differ still all go."""
    def edit(exp):
        hh = exp.households
        copy = hh.loc[[2]].copy()
        exp.households = pd.concat([hh, copy], ignore_index=True)

    exp, res = _run(tmp_path, edit)
    copies = res.issues[res.issues["rule"] == "duplicate_copy"]
    assert list(copies["row"]) == [len(exp.households) + 1]  # the last line, after the header
    assert "row 4 (household.csv) is kept" in copies.iloc[0]["message"]
    assert "แถวที่ 4 (household.csv)" in copies.iloc[0]["message_th"]
    assert not (res.issues["rule"] == "unique_id").any()
    assert not (res.issues["rule"] == "parent_rejected").any()
    from abcresearch.store import read as data

    hh = data.load(2567, store=tmp_path / "store")
    uuid = exp.households.loc[2, "_uuid"]
    assert (hh["submission_uuid"] == uuid).sum() == 1
    assert len(hh) == len(exp.households) - 1
    members = data.load(2567, store=tmp_path / "store", table="members")
    assert (members["submission_uuid"] == uuid).sum() == \
        (exp.members["_submission__uuid"] == uuid).sum() > 0
    _counts_add_up(res, exp)


def test_an_export_merged_twice_keeps_each_household_and_member_once(tmp_path):
    """The household rows and their roster rows read twice: each kept once, the copies
    rejected naming the row kept, no roster doubled (no hh_size_roster warning)."""
    def edit(exp):
        uuid = exp.households.loc[2, "_uuid"]
        exp.households = pd.concat([exp.households, exp.households.loc[[2]]], ignore_index=True)
        mine = exp.members[exp.members["_submission__uuid"] == uuid]
        exp.members = pd.concat([exp.members, mine], ignore_index=True)

    exp, res = _run(tmp_path, edit)
    uuid = exp.households.loc[2, "_uuid"]
    copies = res.issues[res.issues["rule"] == "duplicate_copy"]
    n_members = int((exp.members["_submission__uuid"] == uuid).sum()) // 2
    assert sorted(copies["table"].value_counts().items()) == [("households", 1),
                                                              ("members", n_members)]
    assert not res.issues["rule"].isin(["unique_id", "parent_rejected", "hh_size_roster"]).any()
    from abcresearch.store import read as data

    members = data.load(2567, store=tmp_path / "store", table="members")
    assert (members["submission_uuid"] == uuid).sum() == n_members > 0
    _counts_add_up(res, exp)


def test_two_members_alike_in_every_answer_are_two_people(tmp_path):
    def edit(exp):
        twin = exp.members.loc[[1]].copy()
        twin["_index"] = str(int(exp.members["_index"].astype(int).max()) + 1)
        exp.members = pd.concat([exp.members, twin], ignore_index=True)

    exp, res = _run(tmp_path, edit)
    assert not (res.issues["rule"] == "duplicate_copy").any()
    _counts_add_up(res, exp)


def test_copies_with_different_answers_are_all_rejected(tmp_path):
    def edit(exp):
        hh = exp.households
        copy = hh.loc[[2]].copy()
        copy["financial/fin_savings"] = "123456"
        exp.households = pd.concat([hh, copy], ignore_index=True)

    exp, res = _run(tmp_path, edit)
    dup = res.issues[res.issues["rule"] == "unique_id"]
    assert sorted(dup["row"]) == [4, len(exp.households) + 1]
    assert not (res.issues["rule"] == "duplicate_copy").any()
    _counts_add_up(res, exp)


def test_orphan_roster_rows(tmp_path):
    def edit(exp):
        exp.members.loc[3, "_submission__uuid"] = "no-such-household"

    exp, res = _run(tmp_path, edit)
    issue = _one(res, "orphan_member")
    assert issue["file"] == "member.csv" and issue["row"] == 5
    assert "breaks rule orphan_member" in issue["message"]
    c = res.counts.set_index("table")
    assert c.loc["members", "rejected"] == 1
    assert c.loc["households", "rejected"] == 0
    # the household lost a roster row: a warning, not a rejection
    assert "hh_size_roster" in set(res.issues["rule"])
    _counts_add_up(res, exp)


def test_bad_national_id_checksum_is_masked(tmp_path):
    good = valid_pid(77)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)

    def edit(exp):
        exp.households.loc[1, "hh/head_pid"] = bad

    _, res = _run(tmp_path, edit)
    issue = _one(res, "national_id_checksum")
    assert issue["column"] == "head_pid" and issue["row"] == 3
    assert bad not in issue["message"] and "<masked>" in issue["message"]
    assert bad not in res.issues.to_csv()


def test_not_relevant_answer_is_a_warning_and_the_row_is_kept(tmp_path):
    def edit(exp):
        exp.households.loc[0, "financial/fin_has_debt"] = "no"  # fin_debt still answered

    exp, res = _run(tmp_path, edit)
    warn = res.issues[res.issues["rule"] == "not_relevant"]
    assert set(warn["column"]) == {"fin_debt", "fin_debt_source"}
    assert (warn["severity"] == "warning").all()
    assert res.counts.set_index("table").loc["households", "rejected"] == 0


def test_an_answer_its_gate_did_not_ask_names_the_gate_in_words(tmp_path):
    """not_relevant said "applies only when ${fin_has_debt} = 'yes'": the form's skip logic as
    written in the XLSForm, in the middle of an English or a Thai sentence. It names the gate
    question's column, its label and the answer that asks the follow-up, in the message's
    language (the Thai choice label too; the English "Yes" says nothing more than 'yes')."""
    def edit(exp):
        exp.households.loc[0, "financial/fin_has_debt"] = "no"  # fin_debt still answered
        exp.villages.loc[1, "planning/vil_master_plan"] = "no"  # its year still answered

    _, res = _run(tmp_path, edit)
    warn = res.issues[res.issues["rule"] == "not_relevant"].set_index("column")
    assert set(warn.index) == {"fin_debt", "fin_debt_source", "vil_master_plan_year"}
    assert warn.loc["fin_debt", "message"].endswith(
        "breaks rule not_relevant (answered although the question applies only when "
        "fin_has_debt (Has debt) is 'yes')")
    assert warn.loc["fin_debt", "message_th"].endswith(
        "ไม่ผ่านกฎ not_relevant (มีคำตอบทั้งที่คำถามนี้ใช้เฉพาะเมื่อข้อ fin_has_debt (มีหนี้สิน) "
        "ตอบว่า 'yes' (ใช่))")
    year = warn.loc["vil_master_plan_year"]
    assert "only when vil_master_plan (Has a community master plan) is 'yes')" in year["message"]
    assert "เมื่อข้อ vil_master_plan (มีแผนแม่บทชุมชน) ตอบว่า 'yes' (ใช่))" in year["message_th"]
    for text in [*warn["message"], *warn["message_th"]]:
        assert "${" not in text and "} =" not in text, text


def test_skip_logic_in_words_says_what_the_form_has():
    """The gate's label in the message's language, its choice label where that says more than
    the answer ("Commercial bank" beside 'bank' does; "Yes" beside 'yes', "BAAC" beside 'baac'
    do not), and the column named alone where no codebook holds it."""
    from abcresearch.survey.instrument import codebook

    cb = codebook("households")
    words = validate.skip_logic_in_words
    assert words("fin_debt_source", "bank", "en", cb, "household") == (
        "fin_debt_source (Main source of debt) is 'bank' (Commercial bank)")
    assert words("fin_debt_source", "baac", "en", cb, "household") == (
        "fin_debt_source (Main source of debt) is 'baac'")
    assert words("fin_debt_source", "baac", "th", cb, "household") == (
        "ข้อ fin_debt_source (แหล่งหนี้หลัก) ตอบว่า 'baac' (ธ.ก.ส.)")
    assert words("fin_has_debt", "yes", "en", cb, "household") == "fin_has_debt (Has debt) is 'yes'"
    thai_only = cb.assign(label_en="")
    assert words("fin_has_debt", "yes", "en", thai_only) == "fin_has_debt (มีหนี้สิน) is 'yes'"
    assert words("not_in_the_form", "1", "th", cb, "household") == "ข้อ not_in_the_form ตอบว่า '1'"


def test_required_only_when_relevant(tmp_path):
    def edit(exp):
        exp.households.loc[0, "financial/fin_has_debt"] = "no"
        exp.households.loc[0, "financial/fin_debt"] = None
        exp.households.loc[0, "financial/fin_debt_source"] = None
        exp.households.loc[1, "financial/fin_debt"] = None  # has debt, amount missing

    _, res = _run(tmp_path, edit)
    req = res.issues[res.issues["rule"].isin(["required", "item_missing"])]
    # fin_debt is a capital item: blank means item non-response, kept with a warning
    assert list(zip(req["row"], req["column"], req["rule"], strict=True)) == [
        (3, "fin_debt", "item_missing")]
    assert res.counts.set_index("table").loc["households", "rejected"] == 0


def test_missing_village_form_keeps_households_without_weight(tmp_path):
    def edit(exp):
        exp.villages = exp.villages.drop(index=0)

    exp, res = _run(tmp_path, edit)
    warn = res.issues[res.issues["rule"] == "village_missing"]
    assert len(warn) == 4 and (warn["severity"] == "warning").all()
    assert res.counts.set_index("table").loc["households", "rejected"] == 0


def test_thai_digits_thousands_baht_and_buddhist_dates_are_read(tmp_path):
    def edit(exp):
        exp.households.loc[0, "financial/fin_income_year"] = "๑๒๐,๐๐๐ บาท"
        exp.households.loc[0, "hh/hh_size"] = "๒"
        exp.households.loc[0, "hh/interview_date"] = "29/02/2567"
        exp.households.loc[1, "hh/interview_date"] = "2567-05-01"
        exp.households.loc[0, "hh/head_pid"] = "-".join(
            [valid_pid(3)[:1], valid_pid(3)[1:5], valid_pid(3)[5:10], valid_pid(3)[10:12],
             valid_pid(3)[12]])

    _, res = _run(tmp_path, edit)
    assert res.issues.empty or not (res.issues["severity"] == "error").any(), res.issues["message"]
    from abcresearch.store import read as data

    hh = data.load(2567, store=tmp_path / "store").set_index("source_row")
    assert hh.loc[2, "fin_income_year"] == 120000.0
    assert hh.loc[2, "hh_size"] == 2
    assert hh.loc[2, "interview_date"] == dt.date(2024, 2, 29)
    assert hh.loc[3, "interview_date"] == dt.date(2024, 5, 1)


def test_none_written_for_a_number_is_zero(tmp_path):
    """"ไม่มี" (none) for the forums a village held was an unusable answer; left blank, the
    organisation-strength index left that component out and rose (a review). It is 0."""
    def edit(exp):
        exp.villages.loc[0, "planning/vil_forums_year"] = "ไม่มี"
        exp.households.loc[0, "financial/fin_savings"] = " ไม่มีเลย "

    _, res = _run(tmp_path, edit)
    assert not res.issues["column"].isin(["vil_forums_year", "fin_savings"]).any(), \
        res.issues[["column", "rule"]]
    from abcresearch.store import read as data

    vil = data.load(2567, store=tmp_path / "store", table="villages")
    assert (vil.sort_values("source_row")["vil_forums_year"].iloc[0]) == 0
    hh = data.load(2567, store=tmp_path / "store").set_index("source_row")
    assert hh.loc[2, "fin_savings"] == 0


def test_parse_date_text():
    assert parse_date_text("29/02/2567") == dt.date(2024, 2, 29)
    assert parse_date_text("๐๑/๐๕/๒๕๖๗") == dt.date(2024, 5, 1)
    assert parse_date_text("2024-05-01T10:00:00+07:00") == dt.date(2024, 5, 1)
    assert parse_date_text("29/02/2566") is None  # 2023 is not a leap year
    assert parse_date_text("2250-01-01") is None
    assert parse_date_text("1/5/67") is None


def test_dates_as_thai_spreadsheets_show_them():
    """"10 เม.ย. 2549", Excel's usual Thai display, rejected a household (a field review)."""
    for text in ("10 เม.ย. 2549", "10 เมษายน 2549", "10 เม.ย 2549", "10เม.ย.2549",
                 "๑๐ เม.ย. ๒๕๔๙", "10 เมษายน พ.ศ. 2549", "10 เม.ย. 2006"):
        assert parse_date_text(text) == dt.date(2006, 4, 10), text
    assert parse_date_text("1 ธ.ค. 2549") == dt.date(2006, 12, 1)
    assert parse_date_text("31 ก.พ. 2549") is None  # no such day
    assert parse_date_text("10 เม.ย. 49") is None  # a two-digit year: refused, as "10/04/49"
    assert parse_date_text("10 นาฬิกา 2549") is None  # not a month


@pytest.mark.parametrize(("value", "read"), [
    ("10/04/67", "2024-04-10"),   # Buddhist era 2567, the round's year
    ("10/04/24", "2024-04-10"),   # Christian era 2024
    ("๑๐/๐๔/๖๗", "2024-04-10"),   # Thai digits
    ("10 เม.ย. 67", "2024-04-10"),
    ("31/12/66", "2023-12-31"),   # a year before the round
])
def test_a_two_digit_year_is_read_as_the_rounds_and_said(tmp_path, value, read):
    """Thai spreadsheets often show "10/04/67": the household used to be rejected with its
    roster (type:date); the year is now read as the one within a year of the round."""
    from abcresearch.store.read import load

    def edit(exp):
        exp.households.loc[4, "hh/interview_date"] = value

    exp, res = _run(tmp_path, edit)  # round 2567
    issue = _one(res, "two_digit_year")
    assert (issue["row"], issue["column"], issue["severity"]) == (6, "interview_date", "warning")
    assert read in issue["message"] and read in issue["message_th"]
    assert res.counts.set_index("table").loc["households", "rejected"] == 0
    stored = load(2567, store=tmp_path / "store").set_index("submission_uuid")
    assert str(stored.loc[exp.households.loc[4, "_uuid"], "interview_date"]) == read
    assert len(res.issues[res.issues["rule"] == "two_digit_year"]) == 1


def test_a_two_digit_year_far_from_the_round_is_not_read(tmp_path):
    def edit(exp):
        exp.households.loc[4, "hh/interview_date"] = "10/04/30"

    _, res = _run(tmp_path, edit)
    issue = _one(res, "item_type")  # no year near the round: left blank, household kept
    assert (issue["row"], issue["column"]) == (6, "interview_date")
    assert "a two-digit year only within a year of the round" in issue["message"]
    assert res.counts.set_index("table").loc["households", "rejected"] == 0


def _summary_row(res, table: str, rule: str) -> str:
    md = (res.round_dir / "validation_summary.md").read_text(encoding="utf-8")
    return next(line for line in md.splitlines() if line.startswith(f"| {table} | {rule} |"))


def test_the_summary_says_what_each_pattern_means(tmp_path):
    # validation_summary.md described the regex rule as "must be …" and the phone rule as
    # "as the form asks (…)": the pattern left as a placeholder. Each pattern's meaning is
    # declared with the rule (params/validation_rules.yaml), in English and Thai.
    def edit(exp):
        exp.households.loc[2, "hh/village_code"] = "8001O101"
        exp.households.loc[4, "hh/head_pid"] = "3.80E+12"
        exp.households.loc[5, "hh/phone"] = "12345"

    _, res = _run(tmp_path, edit)
    row = _summary_row(res, "households", "regex")
    assert "…" not in row
    meaning = validate.pattern_meanings()
    code, pid, phone = meaning["[0-9]{8}"], meaning["[0-9]{13}"], meaning["0[0-9]{8,9}"]
    assert (f"| must be {code['en']} (village_code); {pid['en']} (head_pid) | "
            f"ต้องเป็น{code['th']} (village_code); {pid['th']} (head_pid) |") in row
    row = _summary_row(res, "households", "phone_format")
    assert "…" not in row and f"({phone['en']})" in row and f"({phone['th']})" in row
    # the issues' own messages say the same
    issue = _one(res, "regex")
    assert issue["message"].endswith(f"breaks rule regex (must be {code['en']})")


def test_a_pattern_without_a_meaning_is_shown_as_written(tmp_path, monkeypatch):
    import shutil

    from abcresearch.paths import params_dir

    params = tmp_path / "params"
    shutil.copytree(params_dir(), params)
    form = params / "instrument" / "household.md"
    form.write_text(form.read_text(encoding="utf-8").replace(
        "regex(., '^[0-9]{8}$')", "regex(., '^[0-9]{6}[0-9]{2}$')"), encoding="utf-8")
    monkeypatch.setenv("ABCRESEARCH_PARAMS", str(params))

    def edit(exp):
        exp.households.loc[2, "hh/village_code"] = "8001O101"

    _, res = _run(tmp_path, edit)
    row = _summary_row(res, "households", "regex")
    assert "…" not in row and "^[0-9]{6}[0-9]{2}$" in row


def test_a_pattern_meaning_needs_both_languages(tmp_path):
    from abcresearch.errors import ParamsError

    raw = {"rules": {"regex": {"severity": "error", "en": "must be {pattern}",
                               "th": "ต้องเป็น{pattern}",
                               "meanings": {"^[0-9]{4}$": {"en": "a year"}, "[0-9": {
                                   "en": "x", "th": "x"}}}}}
    with pytest.raises(ParamsError) as err:
        validate.parse_validation_rules(raw, tmp_path / "validation_rules.yaml")
    assert "^[0-9]{4}$" in str(err.value) and "en and th" in str(err.value)
    assert "not a regular expression" in str(err.value)


def test_rules_file_is_complete():
    rules = validate.rules()
    for rid in ("type:integer", "type:decimal", "type:date", "required", "range", "regex",
                "equals", "choice", "choice_none", "not_relevant", "unique_id", "duplicate_copy",
                "orphan_member",
                "parent_rejected", "unknown_area", "duplicate_village", "village_missing",
                "national_id_checksum", "hh_size_roster", "item_missing", "item_type",
                "item_range", "item_choice", "item_choice_none", "two_digit_year"):
        assert rules[rid]["severity"] in ("error", "warning")
        assert rules[rid]["en"] and rules[rid]["th"]


def test_pandera_schema_accepts_the_store(tmp_path):
    _run(tmp_path, lambda exp: None)
    from abcresearch.store import read as data

    hh = data.load(2567, store=tmp_path / "store")
    validate.schema("households").validate(hh, lazy=True)
    members = data.load(2567, store=tmp_path / "store", table="members")
    validate.schema("members").validate(members, lazy=True)
    bad = hh.copy()
    bad.loc[0, "hum_edu_head"] = "phd"
    import pandera.errors

    with pytest.raises(pandera.errors.SchemaErrors):
        validate.schema("households").validate(bad, lazy=True)


def test_a_device_time_without_its_offset_is_bangkok_time():
    """A start time a spreadsheet stripped of "+07:00" was stored as UTC, 7 hours off; the
    server's submission time without an offset is UTC, as Kobo writes it."""
    from abcresearch.survey.validate import parse_datetimes

    s = pd.Series(["2006-04-10 10:26:42", "2006-04-10T10:26:42.000+07:00",
                   "2549-04-10T10:26:42", None])
    device, bad = parse_datetimes(s, naive_tz="Asia/Bangkok")
    assert not bad.any()
    assert list(device[:3].dt.strftime("%H:%M")) == ["03:26"] * 3 and pd.isna(device[3])
    server, _ = parse_datetimes(s)
    assert server[0].strftime("%H:%M") == "10:26"


def test_a_device_or_server_time_a_spreadsheet_rewrote_keeps_the_household(tmp_path):
    """Opened and saved in a spreadsheet, an export's start time reads "4/10/2024 9:30": that
    rejected the whole household and its roster, although no answer depends on it. It is now a
    warning, the time is left blank and the household and its members are stored."""
    def edit(exp):
        exp.households.loc[4, "start"] = "5/1/2024 9:30"
        exp.households.loc[6, "_submission_time"] = "45413.42"  # an Excel serial number

    exp, res = _run(tmp_path, edit)
    warn = res.issues[res.issues["rule"] == "metadata_datetime"]
    assert sorted(warn["column"]) == ["start", "submitted_at"]
    assert (warn["severity"] == "warning").all()
    assert warn.iloc[0]["message_th"]
    c = res.counts.set_index("table")
    assert c.loc["households", "rejected"] == 0 and c.loc["members", "rejected"] == 0
    from abcresearch.store import read as data

    hh = data.load(2567, store=tmp_path / "store").set_index("submission_uuid")
    assert pd.isna(hh.loc[exp.households.loc[4, "_uuid"], "start"])
    assert pd.notna(hh.loc[exp.households.loc[5, "_uuid"], "start"])
    _counts_add_up(res, exp)


def test_an_answer_not_on_its_list_is_told_the_lists_choices(tmp_path):
    """ "not a choice of the list debt_source" named the form's internal list id and left the
    field data manager to look its answers up; the message names them, in the form's order,
    and at most CHOICES_SHOWN of them."""
    from abcresearch.survey.instrument import choices

    def edit(exp):
        exp.households.loc[0, "financial/fin_has_debt"] = "yes"
        exp.households.loc[0, "financial/fin_debt_source"] = "loan shark"
        exp.households.loc[1, "financial/fin_income_sources"] = "farming lottery"

    _, res = _run(tmp_path, edit)
    issues = res.issues[res.issues["rule"].isin(["choice", "item_choice"])]
    row = issues.set_index("column").loc["fin_debt_source"]
    names = list(choices("debt_source", "household")["name"])
    said = ", ".join(f"'{n}'" for n in names[:validate.CHOICES_SHOWN])
    assert f"not a choice of the list debt_source, which has {said}" in row["message"]
    assert f"ไม่อยู่ในตัวเลือกของรายการ debt_source ซึ่งมี {said}" in row["message_th"]
    assert row["message"].count("'") == 2 * min(len(names), validate.CHOICES_SHOWN)
    income = issues.set_index("column").loc["fin_income_sources"]
    assert "which has 'farming'" not in income["message"]  # the list's own choices, not the answer
    assert ", which has '" in income["message"]
