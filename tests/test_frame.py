"""The round's village frame and the auxiliary village table (issues 12 and 13, ingest side)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fixtures.kobo import bmn_table, build, frame_table, make_export, write, write_csv

from abcresearch.errors import InputError, StoreError
from abcresearch.ingest.pipeline import ingest
from abcresearch.store import load, manifest

ROUND = 2567


def _export(tmp_path, frame: pd.DataFrame | None = None, bmn: pd.DataFrame | None = None,
            fmt: str = "csv"):
    exp = make_export(tmp_path / "export")
    if frame is not None:
        if fmt == "csv":
            write_csv(frame, exp.folder / "frame.csv", delimiter=",", quote_all=False)
        else:
            frame.to_excel(exp.folder / "frame.xlsx", index=False)
    if bmn is not None:
        write_csv(bmn, exp.folder / "bmn.csv", delimiter=",", quote_all=False)
    return exp


def _ingest(tmp_path, **kw):
    return ingest(tmp_path / "export", survey_round=ROUND, store=tmp_path / "store", **kw)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_frame_gives_full_inverse_inclusion_weights_and_design_columns(tmp_path, fmt):
    _export(tmp_path, frame_table(), fmt=fmt)
    res = _ingest(tmp_path)
    assert not (res.issues["severity"] == "error").any(), list(res.issues["message"])
    hh = load(ROUND, store=tmp_path / "store")
    by = hh.groupby("village_code")
    # weight = M / (m * p): 120 / (4 * 2/3) = 45, 80 / (4 * 2/3) = 30, 60 / (4 * 0.5) = 30
    assert by["weight"].first().to_dict() == pytest.approx(
        {"80010101": 45.0, "80010201": 30.0, "80020101": 30.0})
    # weights of a village's households add up to its households over its selection prob.
    assert by["weight"].sum().to_dict() == pytest.approx(
        {"80010101": 180.0, "80010201": 120.0, "80020101": 120.0})
    first = by[["stratum", "village_prob", "village_households", "stratum_villages"]].first()
    assert first.loc["80010101"].tolist() == ["8001", pytest.approx(2 / 3), 120, 3]
    assert first.loc["80020101"].tolist() == ["8002", 0.5, 60, 2]
    assert str(hh["village_households"].dtype) == "Int64" and hh["stratum"].dtype == "str"
    frame = load(ROUND, store=tmp_path / "store", table="frame")
    assert len(frame) == 5 and set(frame["sampled"]) == {0, 1}
    assert load(ROUND, area="8002", store=tmp_path / "store", table="frame")[
        "village_code"].tolist() == ["80020101", "80020102"]
    m = manifest(ROUND, tmp_path / "store")
    assert m["frame"]["rows"] == 5 and m["frame"]["sampled"] == 3
    assert m["weights"].startswith("frame:")
    assert set(m["fingerprints"]["frame"]) == set(m["fingerprints"]["households"])
    # one sampled village of each stratum has no unsampled ... all sampled villages surveyed
    assert "frame_sampled_no_data" not in set(res.issues["rule"])


def test_without_a_frame_weights_are_as_before(tmp_path):
    _export(tmp_path)
    _ingest(tmp_path)
    hh = load(ROUND, store=tmp_path / "store")
    assert (hh["weight"] == 25.0).all()  # vil_households 100 / 4 households
    assert not {"stratum", "village_prob", "village_households",
                "stratum_villages"} & set(hh.columns)
    with pytest.raises(StoreError, match="has no frame table"):
        load(ROUND, store=tmp_path / "store", table="frame")
    assert manifest(ROUND, tmp_path / "store")["frame"] is None


def test_frame_problems_are_all_reported_at_once(tmp_path):
    rows = frame_table()
    bad = pd.DataFrame([
        {"village_code": "80999901", "households": "50", "sampled": "0"},        # unknown tambon
        {"village_code": "80010102", "households": "70", "sampled": "0"},        # duplicate
        {"village_code": "80010103", "households": "0", "sampled": "0"},         # households
        {"village_code": "80010104", "households": "40", "sampled": "1"},        # no prob
        {"village_code": "80010105", "households": "40", "sampled": "1",
         "selection_prob": "1.5"},                                               # prob > 1
        {"village_code": "80010106", "households": "40", "sampled": "2"},        # not 0/1
    ])
    _export(tmp_path, pd.concat([rows, bad], ignore_index=True))
    res = _ingest(tmp_path)
    fr = res.issues[res.issues["table"] == "frame"]
    found = set(zip(fr["row"], fr["rule"], strict=True))
    assert {(7, "unknown_area"), (4, "frame_duplicate"), (8, "frame_duplicate"),
            (9, "range"), (10, "frame_prob_required"), (11, "range"), (12, "range")} <= found
    assert all("frame.csv row" in m for m in fr["message"])
    # a sampled village with no household in the export: a warning on its frame row
    assert (10, "frame_sampled_no_data") not in found  # its frame row was rejected
    c = res.counts.set_index("table")
    assert c.loc["frame", "read"] == 11 and c.loc["frame", "rejected"] == 7
    # the duplicated village 80010102 (not sampled) lost both rows; weights still computed
    assert load(ROUND, store=tmp_path / "store")["weight"].notna().all()
    rej = pd.read_csv(res.round_dir / "rejects" / "frame.csv", dtype=str, encoding="utf-8-sig")
    assert sorted(rej["_source_row"].astype(int)) == [4, 7, 8, 9, 10, 11, 12]


def test_frame_against_the_export(tmp_path):
    rows = frame_table()
    rows = rows[rows["village_code"] != "80020101"]                      # surveyed, not in frame
    rows.loc[rows["village_code"] == "80010201", ["sampled", "selection_prob"]] = ["0", ""]
    extra = pd.DataFrame([{"village_code": "80010103", "households": "50", "sampled": "1",
                           "selection_prob": "0.5", "stratum": "8001"}])  # sampled, no data
    _export(tmp_path, pd.concat([rows, extra], ignore_index=True))
    res = _ingest(tmp_path)
    rules = res.issues.groupby("rule")["row"].apply(sorted).to_dict()
    assert rules["frame_village_missing"] == [10]        # first household of 80020101
    assert rules["frame_not_sampled"] == [6]              # first household of 80010201
    assert rules["frame_sampled_no_data"] == [6]          # its frame row
    notes = " | ".join(res.notes)
    assert "1 village sampled in the frame has no household in the export (80010103)" in notes
    assert ("(80020101) are not among the frame's valid rows: their 4 households have no "
            "weight") in notes
    assert "(80010201) are marked not sampled in the frame" in notes
    hh = load(ROUND, store=tmp_path / "store").set_index("village_code")
    assert hh.loc["80020101", "weight"].isna().all() and hh.loc["80010201", "weight"].isna().all()
    assert hh.loc["80010101", "weight"].notna().all()
    assert len(hh) == 12  # valid households are kept (without weight)


def test_frame_is_kept_when_a_later_export_has_none(tmp_path):
    exp = _export(tmp_path, frame_table())
    _ingest(tmp_path)
    again = exp.households.iloc[[0]].copy()
    again["hh/head_age"] = "61"
    (tmp_path / "fix").mkdir()
    write_csv(again, tmp_path / "fix" / "household.csv")
    ingest(tmp_path / "fix", ROUND, store=tmp_path / "store")
    hh = load(ROUND, store=tmp_path / "store")
    assert len(load(ROUND, store=tmp_path / "store", table="frame")) == 5
    assert hh.loc[hh["village_code"] == "80010101", "weight"].tolist() == [45.0] * 4


def test_a_changed_frame_changes_every_tambon_fingerprint(tmp_path):
    _export(tmp_path, frame_table())
    _ingest(tmp_path)
    before = manifest(ROUND, tmp_path / "store")["fingerprints"]
    rows = frame_table()
    rows.loc[rows["village_code"] == "80020102", "households"] = "95"  # an unsampled village
    write_csv(rows, tmp_path / "export" / "frame.csv", delimiter=",", quote_all=False)
    _ingest(tmp_path)
    after = manifest(ROUND, tmp_path / "store")["fingerprints"]
    assert after["households"] == before["households"]
    assert all(after["frame"][t] != before["frame"][t] for t in before["frame"])


def test_frame_without_a_required_column_is_one_sentence(tmp_path):
    _export(tmp_path, frame_table().drop(columns=["households"]))
    with pytest.raises(InputError, match=r"frame\.csv: the column households is missing"):
        _ingest(tmp_path)


# --------------------------------------------------------------------------------------------
# the auxiliary (จปฐ.-style) village table


def test_auxiliary_table_stored_and_loaded_by_area(tmp_path):
    bmn = bmn_table()
    bmn["piped_water"] = ["0.9", "0.8", "0.7", "0.6", "0.5"]   # a new covariate: kept
    bmn["remarks"] = ["ok", "", "x", "", ""]                  # text: ignored
    _export(tmp_path, frame_table(), bmn)
    res = _ingest(tmp_path)
    assert not (res.issues["table"] == "auxiliary").any(), list(res.issues["message"])
    aux = load(ROUND, area="8001", store=tmp_path / "store", table="auxiliary")
    assert aux["village_code"].tolist() == ["80010101", "80010102", "80010201"]
    assert aux["income_below_line"].dtype == "float64" and aux["bmn_year"].dtype == "Int64"
    assert aux["piped_water"].tolist() == [0.9, 0.7, 0.8] and "remarks" not in aux.columns
    assert res.ignored_columns == {"bmn.csv": ["remarks"]}
    # said on the console too (a renamed question shows up there)
    assert "Columns of bmn.csv not in the instrument (not stored): remarks" in res.summary()
    assert manifest(ROUND, tmp_path / "store")["auxiliary"]["bmn_year"] == [2566]


def test_auxiliary_rules_and_codes_checked_against_the_frame(tmp_path):
    bmn = bmn_table()
    bmn.loc[0, "no_savings"] = "30"          # a percentage, not a share
    bmn.loc[1, "bmn_year"] = "2023"          # not a Buddhist-era year
    bmn.loc[2, "village_code"] = "80010109"  # an official tambon, but not in the frame
    bmn = pd.concat([bmn, bmn.iloc[[3]]], ignore_index=True)  # a duplicate
    _export(tmp_path, frame_table(), bmn)
    res = _ingest(tmp_path)
    aux = res.issues[res.issues["table"] == "auxiliary"]
    found = set(zip(aux["row"], aux["rule"], aux["column"], strict=True))
    assert {(2, "range", "no_savings"), (3, "range", "bmn_year"),
            (4, "auxiliary_not_in_frame", "village_code"),
            (5, "auxiliary_duplicate", "village_code"),
            (7, "auxiliary_duplicate", "village_code")} <= found
    # frame villages left without a row: a warning on the frame row
    missing = aux[aux["rule"] == "auxiliary_missing"]
    assert set(missing["file"]) == {"frame.csv"} and len(missing) == 4
    assert len(load(ROUND, store=tmp_path / "store", table="auxiliary")) == 1


def test_auxiliary_without_a_frame_is_checked_against_official_codes(tmp_path):
    bmn = bmn_table()
    bmn.loc[0, "village_code"] = "80999901"
    _export(tmp_path, None, bmn)
    res = _ingest(tmp_path)
    aux = res.issues[res.issues["table"] == "auxiliary"]
    assert aux[["row", "rule"]].values.tolist() == [[2, "unknown_area"]]
    assert any("checked against the official area list only" in n for n in res.notes)
    assert len(load(ROUND, store=tmp_path / "store", table="auxiliary")) == 4


def test_frame_and_bmn_files_are_not_mistaken_for_survey_tables(tmp_path):
    exp = build()
    write(exp, tmp_path / "export")
    fr = frame_table()
    write_csv(fr, tmp_path / "export" / "sampling frame 2567.csv", delimiter=";")
    res = _ingest(tmp_path)  # told by its columns
    assert {s["table"] for s in res.sources} == {"households", "members", "villages", "frame"}
    assert np.isclose(load(ROUND, store=tmp_path / "store")["weight"].max(), 45.0)


def test_number_columns_holding_ids_or_phones_are_not_stored(tmp_path):
    """A headman's national ID and phone added to frame.csv were kept as "covariates" (every
    value a number) and reached the store in clear; other number columns are still kept."""
    from fixtures.kobo import valid_pid

    from abcresearch.survey.readers import PERSONAL_COLUMN_NOTE

    frame = frame_table()
    n = len(frame)
    frame["headman_pid"] = [valid_pid(i) for i in range(n)]
    frame["contact"] = ["812345678", "0898765432", "0612345678", "912345678", ""][:n]
    frame["remoteness"] = [str(1.5 + i) for i in range(n)]  # an ordinary covariate: kept
    frame["tel_office"] = ["75123456"] * n                  # named a phone: dropped
    _export(tmp_path, frame)
    res = _ingest(tmp_path)
    stored = load(ROUND, store=tmp_path / "store", table="frame")
    assert "remoteness" in stored.columns
    for col in ("headman_pid", "contact", "tel_office"):
        assert col not in stored.columns
        assert f"{col} {PERSONAL_COLUMN_NOTE}" in res.ignored_columns["frame.csv"]
    text = stored.astype(str).to_string()
    assert not any(valid_pid(i) in text for i in range(n)) and "812345678" not in text


def test_a_village_name_with_personal_data_masked_out_is_taken_from_the_frame(tmp_path):
    """A phone number typed beside a village's name is masked at ingest; the reports then
    printed "บ้าน… โทร <masked>" in every page header (a user's walk-through). The name comes
    from the round's frame instead; where the frame's is masked too, the village goes unnamed."""
    from abcresearch.store.read import named_area, village_names

    exp = build()
    exp.villages.loc[0, "village/village_name"] = "บ้านทดสอบ ผญบ. โทร 081-234-5678"
    exp.villages.loc[1, "village/village_name"] = "บ้านที่สอง โทร 089-765-4321"
    write(exp, tmp_path / "export")
    rows = frame_table()
    rows.loc[rows["village_code"] == "80010201", "village_name"] = "บ้านสอง 081-111-2222"
    write_csv(rows, exp.folder / "frame.csv", delimiter=",", quote_all=False)
    _ingest(tmp_path)
    store = tmp_path / "store"
    vil = load(ROUND, store=store, table="villages").set_index("village_code")
    assert "<masked>" in vil.loc["80010101", "village_name"]  # the store keeps the form's
    names = village_names(ROUND, "80", store)
    assert names["80010101"] == "บ้านทดสอบ 0"  # the frame's
    assert "80010201" not in names  # masked in both
    assert names["80020101"] == vil.loc["80020101", "village_name"]  # a clean form name
    assert named_area("80010101", ROUND, store).name_th.endswith(" บ้านทดสอบ 0")
    assert "<masked>" not in named_area("80010201", ROUND, store).name_th


# --------------------------------------------------------------------------------------------
# a village form's household count that cannot be used


def _with_household_counts(tmp_path, counts: dict[int, str], frame: pd.DataFrame | None,
                           folder: str = "export"):
    """Write build()'s export with village forms' household counts replaced (form -> text)."""
    exp = build()
    for i, text in counts.items():
        exp.villages.loc[i, "village/vil_households"] = text
    write(exp, tmp_path / folder)
    if frame is not None:
        write_csv(frame, exp.folder / "frame.csv", delimiter=",", quote_all=False)
    return exp


def test_an_unusable_household_count_keeps_a_form_whose_village_the_frame_lists(tmp_path):
    """A village form whose household count could not be used ("abc", 0) was rejected whole,
    with the plan, step and forums its readiness group rests on, though the frame gives the
    village's households and weights them. The count is left blank, the form kept, and the
    warning says where the weights come from."""
    _with_household_counts(tmp_path, {0: "abc", 1: "0"}, frame_table())
    res = _ingest(tmp_path)
    assert res.counts.set_index("table").loc["villages", "valid"] == 3
    iss = res.issues[res.issues["column"] == "vil_households"].set_index("row")
    assert (iss.loc[2, "rule"], iss.loc[3, "rule"]) == ("item_type", "item_range")
    assert set(iss["severity"]) == {"warning"}
    assert iss.loc[2, "message"].endswith(
        "breaks rule item_type (not a whole number; counted as not answered, the rest of the "
        "row kept; the round's sampling frame (frame.csv) gives the village's households (120):"
        " weights are computed from the frame, not from this count)")
    assert "(frame.csv) มีจำนวนครัวเรือนของหมู่บ้านนี้ (80)" in iss.loc[3, "message_th"]
    store = tmp_path / "store"
    forms = load(ROUND, store=store, table="villages").set_index("village_code")
    assert forms.loc[["80010101", "80010201"], "vil_households"].isna().all()
    assert forms.loc["80020101", "vil_households"] == 100
    # the frame's counts weight the households, as with usable counts
    hh = load(ROUND, store=store)
    assert hh.groupby("village_code")["weight"].first().to_dict() == pytest.approx(
        {"80010101": 45.0, "80010201": 30.0, "80020101": 30.0})
    assert not (res.issues["rule"] == "village_missing").any()


def test_the_stored_frame_keeps_a_later_form_with_an_unusable_household_count(tmp_path):
    """A later export of the round without its frame.csv is weighted by the stored frame."""
    _export(tmp_path, frame_table())
    _ingest(tmp_path)
    _with_household_counts(tmp_path, {2: "ร้อย"}, None, folder="later")
    res = ingest(tmp_path / "later", survey_round=ROUND, store=tmp_path / "store")
    iss = res.issues[res.issues["column"] == "vil_households"]
    assert list(iss["rule"]) == ["item_type"] and "(60)" in iss["message"].iloc[0]
    forms = load(ROUND, store=tmp_path / "store", table="villages").set_index("village_code")
    assert pd.isna(forms.loc["80020101", "vil_households"])
    hh = load(ROUND, store=tmp_path / "store")
    assert hh.loc[hh["village_code"] == "80020101", "weight"].tolist() == [30.0] * 4


def test_an_unusable_household_count_in_a_frame_without_the_village_keeps_the_form(tmp_path):
    """A frame that does not list the village weights none of its households, whatever the
    form's count (frame_village_missing): rejecting the form for its count, "because without a
    frame the count weights them", lost its plan, step and forums for nothing and contradicted
    the frame's own warning (a review). The form is kept and the message says what to do."""
    rows = frame_table()
    _with_household_counts(tmp_path, {0: "0", 2: "abc"},
                           rows[rows["village_code"] != "80020101"])
    res = _ingest(tmp_path)
    assert res.counts.set_index("table").loc["villages", "valid"] == 3
    iss = res.issues[res.issues["column"] == "vil_households"].set_index("row")
    assert iss.loc[2, "rule"] == "item_range"  # 80010101 is in the frame
    assert "(frame.csv) gives the village's households (" in iss.loc[2, "message"]
    assert (iss.loc[4, "rule"], iss.loc[4, "severity"]) == ("item_type", "warning")
    assert iss.loc[4, "message"].endswith(
        "does not list this village, so its households get no weight whatever this count "
        "(frame_village_missing): add the village to the frame)"), iss.loc[4, "message"]
    assert "ซึ่งไม่มีหมู่บ้านนี้" in iss.loc[4, "message_th"]
    assert "<NA>" not in " ".join(iss["message"]) + " ".join(iss["message_th"])
    forms = load(ROUND, store=tmp_path / "store", table="villages").set_index("village_code")
    assert pd.isna(forms.loc["80020101", "vil_households"])


def test_an_unusable_household_count_without_a_frame_rejects_the_form_saying_why(tmp_path):
    """Without a frame the count weights the village's households: a bad one still rejects the
    form, and the message says why (it said "not a whole number" alone)."""
    _with_household_counts(tmp_path, {2: "abc"}, None)
    res = _ingest(tmp_path)
    iss = res.issues[res.issues["column"] == "vil_households"].set_index("row")
    assert (iss.loc[4, "rule"], iss.loc[4, "severity"]) == ("type:integer", "error")
    assert iss.loc[4, "message"].endswith(
        "breaks rule type:integer (not a whole number; the round has no sampling frame "
        "(frame.csv), and without one the village's households are weighted by this count, so "
        "the village form is rejected: correct the count, or ingest the round's frame and then "
        "this village form again)")
    assert "ครัวเรือนของหมู่บ้านจะถ่วงน้ำหนักด้วยจำนวนนี้" in iss.loc[4, "message_th"]
    assert iss.loc[4, "message"] in res.summary()  # on the terminal, with the reason
    forms = load(ROUND, store=tmp_path / "store", table="villages")
    assert "80020101" not in set(forms["village_code"])
