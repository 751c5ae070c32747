"""Keyed pseudonyms, the key's source, and the personal-data scanner; nothing personal is stored."""

from __future__ import annotations

import json
import os
import stat

import pandas as pd
import pyarrow.parquet as pq
import pytest
from fixtures.kobo import make_export, valid_pid
from stdnum.th import pin

from abcresearch.errors import InputError
from abcresearch.ingest.pipeline import ingest
from abcresearch.survey import pseudonyms as privacy


def test_pseudonyms_are_keyed_stable_and_missing_stays_missing():
    s = pd.Series(["1112034563562", None, "1112034563562"], dtype="str")
    a = privacy.pseudonymise(s, b"k1")
    assert a[0] == a[2] and pd.isna(a[1]) and len(a[0]) == 32
    assert privacy.pseudonymise(s, b"k2")[0] != a[0]
    assert "1112034563562" not in a[0]


def test_key_from_env_hex_or_text(monkeypatch):
    monkeypatch.setenv("ABCRESEARCH_KEY", "00" * 32)
    assert privacy.load_key() == bytes(32)
    monkeypatch.setenv("ABCRESEARCH_KEY", "a passphrase of at least thirty-two bytes")
    assert privacy.load_key() == b"a passphrase of at least thirty-two bytes"


@pytest.mark.parametrize("key", ["a passphrase", "00" * 31, "x" * 31])
def test_short_keys_are_refused(monkeypatch, key):
    monkeypatch.setenv("ABCRESEARCH_KEY", key)
    with pytest.raises(InputError, match=r"bytes long but at least 32 are needed"):
        privacy.load_key()


def test_default_key_file_is_created_private(monkeypatch, tmp_path):
    monkeypatch.delenv("ABCRESEARCH_KEY")
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / ".config" / "abcresearch" / "pseudonym.key"
    info = privacy.resolve_key()
    assert info.created and len(info.key) == 32 and path.exists()
    assert "new pseudonymisation key was created" in info.notes[0]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert privacy.load_key() == info.key


def test_mistyped_key_file_path_is_an_error_not_a_new_key(monkeypatch, tmp_path):
    monkeypatch.delenv("ABCRESEARCH_KEY")
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "cfg" / "pseudonym.kye"
    monkeypatch.setenv("ABCRESEARCH_KEY_FILE", str(path))
    with pytest.raises(InputError, match="named by ABCRESEARCH_KEY_FILE .* does not exist"):
        privacy.load_key()
    assert not path.exists() and not (tmp_path / ".config").exists()


@pytest.mark.parametrize("name", ["ABCRESEARCH_KEYFILE", "ABCRESEARCH_KEY_FIEL",
                                  "ABCRESERCH_KEY", "abcresearch_key"])
def test_mistyped_key_variable_is_an_error_not_a_new_key(monkeypatch, tmp_path, name):
    monkeypatch.delenv("ABCRESEARCH_KEY")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv(name, str(tmp_path / "k"))
    with pytest.raises(InputError, match=f"{name} is not one abcresearch reads"):
        privacy.load_key()
    assert not (tmp_path / ".config").exists()


def test_key_file_readable_by_others_warns(monkeypatch, tmp_path):
    monkeypatch.delenv("ABCRESEARCH_KEY")
    path = tmp_path / "pseudonym.key"
    path.write_text("ab" * 32 + "\n")
    path.chmod(0o644)
    monkeypatch.setenv("ABCRESEARCH_KEY_FILE", str(path))
    with pytest.warns(privacy.KeyFileWarning, match="can be read by other users"):
        privacy.load_key()
    path.chmod(0o600)
    assert privacy.resolve_key().notes == ()


def test_key_fingerprint_tells_keys_apart_without_revealing_them():
    a, b = privacy.key_fingerprint(b"k" * 32), privacy.key_fingerprint(b"j" * 32)
    assert a != b and len(a) == 16 and a == privacy.key_fingerprint(b"k" * 32)


def test_vectorised_checksum_agrees_with_stdnum():
    vals = [valid_pid(i) for i in range(200)] + ["1112034563562", "1112034563563", "12345",
                                                 "abcdefghijklm", None]
    ours = privacy.pid_is_valid(pd.Series(vals, dtype="str"))
    assert list(ours) == [bool(v) and pin.is_valid(v) for v in vals]


def test_scanner_finds_ids_phones_and_names():
    text = "id 1-1120-34563-56-2, tel 081-234-5678, สมชาย ใจดี; hash a0812345678b"
    found = privacy.find_personal_data(text, names=["สมชาย ใจดี"])
    assert sorted(f.split(" …")[0] for f in found) == ["name", "national ID", "phone number"]
    with pytest.raises(AssertionError, match="personal data found"):
        privacy.assert_no_personal_data(text)
    privacy.assert_no_personal_data("1112034563563 is not valid; 0x0812345678 neither")
    assert "1112034563562" not in str(found)


def test_suppress_small_cells():
    out = privacy.suppress_small_cells(pd.Series([0, 1, 4, 5, 20]))
    assert out.isna().tolist() == [False, True, True, False, False]


def test_store_holds_no_personal_data_and_not_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("ABCRESEARCH_KEY", "the-secret-key-text-0123456789abcdef")
    exp = make_export(tmp_path / "export")
    res = ingest(tmp_path / "export", survey_round=2567, store=tmp_path / "store")
    names = list(exp.households["hh/head_name"]) + list(exp.members["member/m_name"])
    ids = set(exp.households["hh/head_pid"]) | set(exp.members["member/m_pid"])
    phones = set(exp.households["hh/phone"])
    files = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    for p in files:
        raw = p.read_bytes()
        assert b"the-secret-key-text" not in raw
        if p.suffix == ".parquet":
            df = pq.read_table(p).to_pandas()
            privacy.assert_no_personal_data(df, names=names)
            text = df.astype(str).to_csv()
        else:
            text = raw.decode("utf-8-sig")
            privacy.assert_no_personal_data(text, names=names)
        assert not any(i in text for i in ids)
        assert not any(ph in text for ph in phones)
    hh = pq.read_table(next(p for p in files if "households" in str(p))).to_pandas()
    assert {"head_name", "head_pid", "phone"}.isdisjoint(hh.columns)
    assert hh["hh_key"].str.fullmatch("[0-9a-f]{32}").all()
    assert "ABCRESEARCH_KEY" not in res.summary()


# --------------------------------------------------------------------------------------------
# the key guarded across rounds (issue 9, item 6)

KEY_A = "key-a-0123456789abcdef0123456789abcdef"
KEY_B = "key-b-0123456789abcdef0123456789abcdef"


def _store_with_round(tmp_path, monkeypatch, key=KEY_A, survey_round=2566):
    monkeypatch.setenv("ABCRESEARCH_KEY", key)
    make_export(tmp_path / "export")
    ingest(tmp_path / "export", survey_round=survey_round, store=tmp_path / "store")
    return tmp_path / "store"


def test_manifest_records_the_key_fingerprint_not_the_key(tmp_path, monkeypatch):
    store = _store_with_round(tmp_path, monkeypatch)
    from abcresearch.store import manifest

    m = manifest(2566, store)
    assert m["key_fingerprint"] == privacy.key_fingerprint(KEY_A.encode())
    assert KEY_A not in json.dumps(m)


def test_another_key_for_a_later_round_is_refused_unless_new_key(tmp_path, monkeypatch):
    from abcresearch.store import linkable, manifest, rounds

    store = _store_with_round(tmp_path, monkeypatch)
    monkeypatch.setenv("ABCRESEARCH_KEY", KEY_B)
    with pytest.raises(InputError) as err:
        ingest(tmp_path / "export", survey_round=2567, store=store)
    msg = str(err.value)
    assert "is not the key of round 2566" in msg and "--new-key" in msg
    assert privacy.key_fingerprint(KEY_B.encode()) in msg
    assert 2567 not in rounds(store)
    res = ingest(tmp_path / "export", survey_round=2567, store=store, new_key=True)
    m = manifest(2567, store)
    assert m["new_key"] is True and m["not_linkable_with"] == [2566]
    assert not linkable(2566, 2567, store)
    assert any("cannot be matched with rounds 2566" in n for n in res.notes)
    assert "independent samples" in res.summary()


def test_same_key_rounds_are_linkable(tmp_path, monkeypatch):
    from abcresearch.store import linkable

    store = _store_with_round(tmp_path, monkeypatch)
    ingest(tmp_path / "export", survey_round=2567, store=store)
    assert linkable(2566, 2567, store)


def test_another_key_within_a_round_is_refused_even_with_new_key(tmp_path, monkeypatch):
    store = _store_with_round(tmp_path, monkeypatch)
    monkeypatch.setenv("ABCRESEARCH_KEY", KEY_B)
    with pytest.raises(InputError, match="round 2566 of .* already holds households "
                                         "pseudonymised with another key"):
        ingest(tmp_path / "export", survey_round=2566, store=store, new_key=True)


def test_no_key_with_an_existing_store_creates_no_key(tmp_path, monkeypatch):
    store = _store_with_round(tmp_path, monkeypatch)
    monkeypatch.delenv("ABCRESEARCH_KEY")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(InputError, match="no pseudonymisation key was found, but rounds 2566"):
        ingest(tmp_path / "export", survey_round=2567, store=store)
    assert not (tmp_path / "home" / ".config").exists()


def test_cli_other_key_exits_2_with_one_sentence(tmp_path, monkeypatch):
    import subprocess
    import sys

    store = _store_with_round(tmp_path, monkeypatch)
    env = {**os.environ, "ABCRESEARCH_KEY": KEY_B}
    proc = subprocess.run([sys.executable, "-m", "abcresearch", "ingest",
                           str(tmp_path / "export"), "--round", "2567", "--store", str(store)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--new-key" in lines[0] and "Traceback" not in proc.stderr


# --------------------------------------------------------------------------------------------
# no personal data or formulas in the store's CSVs (issue 9, item 7)


def test_personal_data_typed_into_other_columns_is_masked_in_csvs(tmp_path):
    from fixtures.kobo import build, write

    exp = build()
    name = exp.members.loc[5, "member/m_name"]         # a roster name ...
    exp.households.loc[1, "human/hum_skills"] = name   # ... typed into a choice question
    exp.households.loc[2, "hh/head_age"] = "0812345678"            # a phone as an age
    exp.households.loc[3, "financial/fin_income_year"] = valid_pid(4242)  # an ID as income
    exp.households.loc[4, "physical/phy_house"] = f"โทร 089-123-4567 {name}"
    write(exp, tmp_path / "export")
    res = ingest(tmp_path / "export", survey_round=2567, store=tmp_path / "store")
    # the age and the three capital items are kept as not answered, their households kept
    assert res.counts.set_index("table").loc["households", "rejected"] == 0
    texts = [p.read_text(encoding="utf-8-sig")
             for p in res.round_dir.rglob("*") if p.suffix in (".csv", ".md")]
    assert texts
    for text in texts:
        for leaked in (name, "0812345678", valid_pid(4242), "089-123-4567"):
            assert leaked not in text
        privacy.assert_no_personal_data(text)
    from abcresearch.store.read import load

    stored = [str(cell) for cell in load(2567, store=tmp_path / "store").to_numpy().ravel()]
    for leaked in (name, "0812345678", valid_pid(4242), "089-123-4567"):
        assert not any(leaked in cell for cell in stored)
    issues = pd.read_csv(res.round_dir / "issues.csv", dtype=str, encoding="utf-8-sig")
    issues = issues[issues["table"] == "households"]
    assert (issues.loc[issues["row"].isin(["3", "4", "5"]), "value"] == "<masked>").all()
    assert issues.loc[issues["row"] == "6", "value"].str.contains("<masked>").all()


def test_formulas_neutralised_numbers_kept_in_store_csvs(tmp_path):
    from fixtures.kobo import build, write

    exp = build()
    # rejected rows (rejects/households.csv) ...
    exp.households.loc[1, "hh/village_code"] = '=HYPERLINK("http://x.example","y")'
    exp.households.loc[2, "hh/consent"] = "@SUM(A1:A9)"
    # ... and answers kept as not answered (only in issues.csv)
    exp.households.loc[3, "hh/head_age"] = "-5"
    exp.households.loc[4, "cultural/cul_religion"] = "+cmd|' /C calc'!A0"
    exp.households.loc[6, "physical/phy_road"] = "+cmd|' /C calc'!A0"
    exp.households.loc[7, "financial/fin_income_year"] = "-5"
    write(exp, tmp_path / "export")
    res = ingest(tmp_path / "export", survey_round=2567, store=tmp_path / "store")
    rej = pd.read_csv(res.round_dir / "rejects" / "households.csv", dtype=str,
                      encoding="utf-8-sig", keep_default_na=False)
    by_row = rej.set_index("_source_row")
    assert by_row.loc["3", "hh/village_code"].startswith("'=HYPERLINK")
    assert by_row.loc["4", "hh/consent"] == "'@SUM(A1:A9)"
    assert sorted(by_row.index) == ["3", "4"]
    for path in [res.round_dir / "issues.csv", *(res.round_dir / "rejects").glob("*.csv")]:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        cells = frame.to_numpy().ravel().tolist() + list(frame.columns)
        risky = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                 or (c[:1] == "-" and not c.lstrip("-").replace(".", "", 1).isdigit())]
        assert not risky, (path.name, risky[:3])
    issues = pd.read_csv(res.round_dir / "issues.csv", dtype=str, encoding="utf-8-sig")
    issues = issues[issues["table"] == "households"]
    assert issues.loc[issues["row"] == "5", "value"].item() == "-5"
    assert issues.loc[issues["row"] == "9", "value"].item() == "-5"
    assert issues.loc[issues["row"] == "8", "value"].item().startswith("'+cmd")


def test_csv_safety_function_for_report_writers(tmp_path):
    from abcresearch.atomic import atomic_write_csv, atomic_write_xlsx, neutralise_frame

    df = pd.DataFrame({"a": ["=1+1", "-5", "x", None, "\tq"], "n": [-1, 2, 3, 4, -5.5]})
    out = neutralise_frame(df)
    assert out["a"].tolist()[:3] == ["'=1+1", "-5", "x"] and pd.isna(out["a"][3])
    assert out["a"][4] == "'\tq"
    assert out["n"].tolist() == [-1, 2, 3, 4, -5.5] and out["n"].dtype == "float64"
    atomic_write_csv(tmp_path / "t.csv", df)
    back = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig")
    assert back["n"].tolist() == [-1, 2, 3, 4, -5.5]
    atomic_write_xlsx(tmp_path / "t.xlsx", {"s": df})
    x = pd.read_excel(tmp_path / "t.xlsx")
    assert x["a"][0] == "'=1+1" and x["n"].tolist() == [-1, 2, 3, 4, -5.5]


def test_masker_masks_ids_phones_and_names_anywhere():
    m = privacy.PersonalMasker(["สมชาย ใจดี", "Ann Lee"], max_words=4)
    assert m.mask("ติดต่อ สมชาย ใจดี ที่ 0812345678") == "ติดต่อ <masked> ที่ <masked>"
    assert m.mask("id 3800000000019, ok") == "id <masked>, ok"
    assert m.mask("Ann Lee") == "<masked>" and m.mask("Ann") == "Ann"
    assert m.mask("800101") == "800101" and m.mask("150000") == "150000"
    s = pd.Series(["a", None, "Ann Lee"], dtype="str")
    out = m.mask_series(s)
    assert out.tolist()[0] == "a" and pd.isna(out[1]) and out[2] == "<masked>"


def test_atomic_writes_take_the_umask_not_the_temporary_files_mode(tmp_path) -> None:
    """Reports and spreadsheets are shared like the folder's other files (0o666 less the umask);
    the temporary file's private 0o600 must not stick to them."""
    import os

    from abcresearch.atomic import atomic_write_bytes

    old = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "a.pdf", b"x")
        plain = tmp_path / "b.pdf"
        plain.write_bytes(b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.pdf").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "a.pdf").stat().st_mode == plain.stat().st_mode


def test_masker_masks_ids_phones_and_names_as_thai_writers_type_them():
    """A field-data review found these forms in village names reaching the store and the
    reports in clear: phones grouped 2-4-4 or with the area code in brackets or dots, an ID
    right after "ปชช.", a name written against its title ("นาย", "ผญบ."), without its
    space, or touching a bracket, and phones in Thai digits."""
    m = privacy.PersonalMasker(["สมหญิง ขยันยิ่ง", "ทองใบ ปิ่นแก้ว", "บุญมีศรี"], max_words=4)
    cases = {
        "โทร 08 1234 5678 หรือ (081) 234-5678": "โทร <masked> หรือ <masked>",
        "โทร 081.234.5678, +66 81 234 5678": "โทร <masked>, <masked>",
        "สำนักงาน 02 123 4567": "สำนักงาน <masked>",
        "บัตร ปชช.1-8001-00987-65-7": "บัตร ปชช.<masked>",
        "บัตร ๓๑๐๐๑๐๐๑๒๓๔๕๑ โทร ๐๘๑-๒๓๔-๕๖๗๘": "บัตร <masked> โทร <masked>",
        "บ้านนา ติดต่อนายสมหญิง ขยันยิ่ง": "บ้านนา ติดต่อนาย<masked>",
        "ผญบ.ทองใบ ปิ่นแก้ว": "ผญบ.<masked>",
        "สมหญิง ขยันยิ่ง(ผู้ใหญ่)": "<masked>(ผู้ใหญ่)",
        "คุณสมหญิงขยันยิ่ง": "คุณ<masked>",
        "บุญมีศรี เป็นประธาน": "<masked> เป็นประธาน",
    }
    for text, masked in cases.items():
        assert m.mask(text) == masked, text
    # ordinary text keeps its numbers and words: codes, money, dates, decimals, a longer word
    for text in ("800101 หมู่ 3 ครัวเรือน 150", "รายได้ 120,000 บาท/ปี 10/04/2549",
                 "ราคา 0.5 บาท ปี 2549", "สมหญิง ขยันยิ่งมาก", "บ้านสมหญิง", "0.1234567890123"):
        assert m.mask(text) == text, text
