"""Reading exports: encodings, delimiters, XLSX, bad files, CLI, atomic and idempotent store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fixtures.kobo import build, make_export, valid_pid, write, write_csv

from abcresearch.errors import InputError
from abcresearch.ingest.pipeline import ingest
from abcresearch.store import read as data
from abcresearch.store import round_folder

ROUND = 2567


def _ingest(folder: Path, tmp_path: Path, **kwargs):
    return ingest(folder, survey_round=ROUND, store=tmp_path / "store", **kwargs)


def _assert_all_valid(res, exp) -> None:
    c = res.counts.set_index("table")
    assert c.loc["households", "valid"] == len(exp.households)
    assert c.loc["members", "valid"] == len(exp.members)
    assert c.loc["villages", "valid"] == len(exp.villages)
    assert not (res.issues["severity"] == "error").any(), list(res.issues["message"][:5])


def test_kobo_csv_round_trip_keeps_every_row(tmp_path):
    exp = make_export(tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    _assert_all_valid(res, exp)
    hh = data.load(ROUND, store=tmp_path / "store")
    assert sorted(hh["submission_uuid"]) == sorted(exp.households["_uuid"])
    mem = data.load(ROUND, store=tmp_path / "store", table="members")
    assert len(mem) == len(exp.members)
    assert (mem.groupby("submission_uuid").size() == 2).all()
    assert {s["encoding"] for s in res.sources} == {"utf-8"}
    assert {s["delimiter"] for s in res.sources} == {";"}
    assert "households: 12 read, 12 valid, 0 rejected, 0 with warnings" in res.summary()


@pytest.mark.parametrize(("encoding", "delimiter", "quote_all"),
                         [("cp874", ",", False), ("utf-8-sig", ",", False),
                          ("utf-8", ",", True), ("utf-8", "\t", False),
                          # Excel's "Unicode Text" save: refused as "binary" before (a user's
                          # walk-through)
                          ("utf-16", "\t", False)])
def test_hand_made_csv_dialects(tmp_path, encoding, delimiter, quote_all):
    exp = make_export(tmp_path / "export", encoding=encoding, delimiter=delimiter,
                      quote_all=quote_all)
    res = _ingest(tmp_path / "export", tmp_path)
    _assert_all_valid(res, exp)
    assert {s["encoding"] for s in res.sources} == {encoding}
    # Thai text survives the decoding
    vil = data.load(ROUND, store=tmp_path / "store", table="villages")
    assert vil["village_name"].str.startswith("บ้านทดสอบ").all()


def test_xlsx_export(tmp_path):
    exp = make_export(tmp_path / "export", fmt="xlsx")
    res = _ingest(tmp_path / "export", tmp_path)
    _assert_all_valid(res, exp)
    assert {s["file"] for s in res.sources} == {
        "household.xlsx[abc_household]", "household.xlsx[member]", "village.xlsx[abc_village]"}


def _odk_central_export(exp, folder: Path, copied_member: int | None = None) -> Path:
    """Write ``exp`` as ODK Central's CSV export: KEY / PARENT_KEY, each repeat row its KEY."""
    hh = exp.households.rename(columns=lambda c: c.replace("/", "-"))
    hh = hh.rename(columns={"_uuid": "KEY", "_submission_time": "SubmissionDate"})
    hh["KEY"] = "uuid:" + hh["KEY"]
    hh = hh.drop(columns=[c for c in hh.columns if c.startswith("_")])
    mem = exp.members.rename(columns=lambda c: c.split("/")[-1])
    mem["PARENT_KEY"] = "uuid:" + mem["_submission__uuid"]
    number = (mem.groupby("PARENT_KEY").cumcount() + 1).astype(str)
    mem["KEY"] = mem["PARENT_KEY"] + "/member[" + number + "]"
    mem = mem.drop(columns=[c for c in mem.columns if c.startswith("_")])
    if copied_member is not None:  # one roster row twice (an export merged with itself)
        mem = pd.concat([mem, mem.iloc[[copied_member]]], ignore_index=True)
    vil = exp.villages.rename(columns=lambda c: c.replace("/", "-"))
    folder.mkdir()
    write_csv(hh, folder / "abc_household.csv", delimiter=",", quote_all=False)
    write_csv(mem, folder / "abc_household-member.csv", delimiter=",", quote_all=False)
    write_csv(vil, folder / "abc_village.csv", delimiter=",", quote_all=False)
    return folder


def test_odk_central_csv(tmp_path):
    exp = build()
    res = _ingest(_odk_central_export(exp, tmp_path / "central"), tmp_path)
    _assert_all_valid(res, exp)


def test_odk_central_roster_row_read_twice_is_kept_once(tmp_path):
    # ODK Central's repeat rows have no Kobo row number; their KEY is the row's own id
    exp = build()
    res = _ingest(_odk_central_export(exp, tmp_path / "central", copied_member=3), tmp_path)
    c = res.counts.set_index("table")
    assert c.loc["members", "read"] == len(exp.members) + 1
    assert c.loc["members", "stored"] == len(exp.members)
    copies = res.issues[res.issues["rule"] == "duplicate_copy"]
    assert list(copies["table"]) == ["members"]
    assert "abc_household-member.csv" in copies["message"].iloc[0]
    assert not (res.issues["rule"] == "hh_size_roster").any()


def test_rejects_file_keeps_the_row_but_not_personal_data(tmp_path):
    exp = build()
    exp.households.loc[2, "hh/consent"] = "no"
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    rej = pd.read_csv(res.round_dir / "rejects" / "households.csv", dtype=str,
                      encoding="utf-8-sig", keep_default_na=False)
    assert len(rej) == 1
    row = rej.iloc[0]
    assert row["_rule"] == "equals" and row["_column"] == "consent"
    assert row["_source_file"] == "household.csv" and row["_source_row"] == "4"
    assert row["hh/consent"] == "no"  # the offending cell, as read
    assert row["financial/fin_debt_source"] == "baac"
    assert row["hh/head_name"] == "<removed>" and row["hh/phone"] == "<removed>"
    assert row["hh/head_pid"] != exp.households.loc[2, "hh/head_pid"]
    assert len(row["hh/head_pid"]) == 32
    mrej = pd.read_csv(res.round_dir / "rejects" / "members.csv", dtype=str)
    assert set(mrej["_rule"]) == {"parent_rejected"} and len(mrej) == 2
    summary = (res.round_dir / "validation_summary.md").read_text(encoding="utf-8")
    assert "| households | equals | error | 1 |" in summary
    issues = pd.read_csv(res.round_dir / "issues.csv", encoding="utf-8-sig")
    assert list(issues.columns[:6]) == ["table", "file", "row", "column", "value", "rule"]


@pytest.mark.parametrize(("name", "content", "words"), [
    ("household.csv", b"", "is empty"),
    ("household.csv", b"\x00\x01\x02binary", "binary file"),
    ("household.csv", b"hh/village_code;hh/hh_size\n" + b"\x81\xfe\xff;1\n",
     "neither UTF-8 nor Thai Windows"),
    # a line of a UTF-8 file that is neither UTF-8 nor CP874: that line is named
    ("household.csv", "hh/village_code;hh/head_name\n80010101;สมชาย\n80010102;ทดสอบ\n".encode()
     + b"80010103;\x81\xfe\n", "UTF-8 text except line 4, which is neither"),
    ("household.xlsx", b"this is not a workbook", "not an XLSX workbook"),
    ("household.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 50, "Excel 97-2003"),
    ("household.csv", b"a;b;c\n1;2;3\n", "no column of the household, member or village form"),
])
def test_unreadable_file_is_one_sentence(tmp_path, name, content, words):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / name).write_bytes(content)
    with pytest.raises(InputError) as err:
        _ingest(folder, tmp_path)
    msg = str(err.value)
    assert name in msg and words in msg
    assert "\n" not in msg


def test_a_row_saved_in_cp874_inside_a_utf8_file_is_kept_and_named(tmp_path):
    """A row edited and saved again on a Thai Windows machine: read as CP874, kept, named."""
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    lines = path.read_bytes().split(b"\n")
    text = lines[3].decode("utf-8")
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in text)  # the row holds Thai
    lines[3] = text.encode("cp874")
    path.write_bytes(b"\n".join(lines))
    res = _ingest(exp.folder, tmp_path)
    warn = res.issues[res.issues["rule"] == "line_encoding"]
    assert list(warn["row"]) == [4] and (warn["severity"] == "warning").all()
    assert "household.csv line 4 is not UTF-8" in warn["message"].item()
    assert "บรรทัดที่ 4" in warn["message_th"].item()
    from abcresearch.store import read as data

    hh = data.load(2567, store=tmp_path / "store")
    assert len(hh) == len(exp.households)  # no row lost
    assert exp.households.loc[2, "_uuid"] in set(hh["submission_uuid"])


def test_ragged_row_is_rejected_not_the_file(tmp_path):
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3] + ';"extra"'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = _ingest(exp.folder, tmp_path)
    bad = res.issues[res.issues["rule"] == "malformed_row"]
    assert list(bad["row"]) == [4]
    assert "household.csv row 4" in bad["message"].item()
    assert f"{len(exp.households.columns) + 1} cells but the header has" in bad["message"].item()
    # the Thai message is Thai throughout (it was half English)
    n = len(exp.households.columns)
    assert f"แถวนี้มี {n + 1} ช่อง แต่หัวตารางมี {n} คอลัมน์" in bad["message_th"].item()
    assert "cells" not in bad["message_th"].item()
    c = res.counts.set_index("table")
    assert (c.loc["households", "read"], c.loc["households", "valid"],
            c.loc["households", "rejected"]) == (12, 11, 1)
    assert len(data.load(ROUND, store=tmp_path / "store")) == 11


def test_missing_required_column(tmp_path):
    exp = build()
    exp.households = exp.households.drop(columns=["hh/hh_size"])
    write(exp, tmp_path / "export")
    with pytest.raises(InputError, match="required question hh_size"):
        _ingest(tmp_path / "export", tmp_path)


def test_ingest_twice_is_idempotent(tmp_path):
    make_export(tmp_path / "export")
    _ingest(tmp_path / "export", tmp_path)
    m1 = data.manifest(ROUND, tmp_path / "store")
    _ingest(tmp_path / "export", tmp_path)
    m2 = data.manifest(ROUND, tmp_path / "store")
    assert m1["fingerprints"] == m2["fingerprints"]
    assert m2["rows"] == {"households": 12, "members": 24, "villages": 3}


def test_already_ingested_names_the_version_this_export_made_and_nothing_else(
        tmp_path, monkeypatch):
    """``make demo`` ingested the same export again at every run: a new version of the same
    rows, after which every report of the round was made again (65-95 s for nothing). The live
    version now records what its ingest rested on; the same export, code and rules name it."""
    from abcresearch.ingest import already_ingested, ingest_key

    store = tmp_path / "store"
    make_export(tmp_path / "export")
    assert already_ingested(tmp_path / "export", ROUND, store) is None  # no store yet
    res = _ingest(tmp_path / "export", tmp_path)
    live = data.manifest(ROUND, store)
    assert already_ingested(tmp_path / "export", ROUND, store) == live["version"]
    assert live["version"] == res.version.name
    # the key of the bytes that were read, as they were hashed while reading
    assert live["ingest_key"] == ingest_key(tmp_path / "export")
    assert already_ingested(tmp_path / "export", ROUND + 1, store) is None  # another round

    # another file in the folder, or a changed byte in one: not this export
    (tmp_path / "export" / "notes.txt").write_text("x")
    assert already_ingested(tmp_path / "export", ROUND, store) is None
    (tmp_path / "export" / "notes.txt").unlink()
    assert already_ingested(tmp_path / "export", ROUND, store) == live["version"]
    csv = tmp_path / "export" / "household.csv"
    original = csv.read_bytes()
    csv.write_bytes(original.replace(b"\n", b"\r\n", 1))
    assert already_ingested(tmp_path / "export", ROUND, store) is None
    csv.write_bytes(original)
    # other rules or other code: the same export may be stored differently
    import abcresearch.params
    import abcresearch.software

    with monkeypatch.context() as mp:
        mp.setattr(abcresearch.params, "params_hash", lambda: "other rules")
        assert already_ingested(tmp_path / "export", ROUND, store) is None
    with monkeypatch.context() as mp:
        mp.setattr(abcresearch.software, "software_fingerprint", lambda: "0.1.0+other")
        assert already_ingested(tmp_path / "export", ROUND, store) is None
    assert already_ingested(tmp_path / "export", ROUND, store) == live["version"]

    # after another export was merged in, the live version is not this export's alone
    exp2 = build()
    exp2.households["hh/head_age"] = "80"
    write(exp2, tmp_path / "export2")
    _ingest(tmp_path / "export2", tmp_path)
    assert already_ingested(tmp_path / "export", ROUND, store) is None
    assert already_ingested(tmp_path / "export2", ROUND, store) == \
        data.manifest(ROUND, store)["version"]
    # a folder that is not an export, and a version from before keys were recorded
    assert already_ingested(tmp_path / "missing", ROUND, store) is None
    manifest = round_folder(ROUND, store) / "manifest.json"
    m = json.loads(manifest.read_text())
    del m["ingest_key"]
    manifest.write_text(json.dumps(m))
    assert already_ingested(tmp_path / "export2", ROUND, store) is None
    # a damaged manifest: not this export's (the ingest then says what is wrong)
    for damaged in ("{not json", "[]"):
        manifest.write_text(damaged)
        assert already_ingested(tmp_path / "export2", ROUND, store) is None


def test_make_demo_skips_its_ingest_when_the_store_has_this_export(monkeypatch, capsys):
    """The demo asks :func:`already_ingested` first, and ingests only when it says no."""
    from types import SimpleNamespace

    import abcresearch.batch.run
    import abcresearch.ingest
    import abcresearch.store
    import abcresearch.synth.generate
    from abcresearch import demo

    calls: list[str] = []
    # a clean clone runs the tests before any demo: no store to name a folder of
    monkeypatch.setattr(abcresearch.store, "round_folder", lambda *a, **k: Path("round=2549"))
    monkeypatch.setattr(abcresearch.synth.generate, "synthesize",
                        lambda **k: calls.append("synthesize") or SimpleNamespace(summary=str))
    monkeypatch.setattr(abcresearch.ingest, "ingest",
                        lambda *a, **k: calls.append("ingest") or SimpleNamespace(summary=str))
    monkeypatch.setattr(abcresearch.batch.run, "run_batch", lambda *a, **k: calls.append(
        "batch") or SimpleNamespace(summary=str, index="index.html", province=[], outcomes=[],
                                    failed=[]))
    for version, expected in (("v-20261206T085936-f852cf", ["batch"]),
                              (None, ["ingest", "batch"])):
        calls.clear()
        monkeypatch.setattr(abcresearch.ingest, "already_ingested", lambda *a, v=version: v)
        assert demo.main([]) == 0
        assert [c for c in calls if c != "synthesize"] == expected
        out = capsys.readouterr().out
        assert ("not ingested again" in out) == (version is not None), out


def test_upsert_replaces_same_uuid_and_keeps_others(tmp_path):
    exp = build()
    write(exp, tmp_path / "a")
    _ingest(tmp_path / "a", tmp_path)
    # a second export: one household corrected, one new
    hh2 = exp.households.iloc[[0]].copy()
    hh2["hh/head_age"] = "70"
    new = exp.households.iloc[[1]].copy()
    new["_uuid"] = "hhhhhhhh-new"
    new["hh/head_pid"] = valid_pid(777)  # another household (same answers, another head)
    hh2 = pd.concat([hh2, new], ignore_index=True)
    mem2 = exp.members[exp.members["_submission__uuid"] == exp.households.loc[0, "_uuid"]]
    mem2 = mem2.iloc[[0]]
    folder = tmp_path / "b"
    folder.mkdir()
    write_csv(hh2, folder / "household.csv")
    write_csv(mem2, folder / "member.csv")
    res = _ingest(folder, tmp_path)
    hh = data.load(ROUND, store=tmp_path / "store")
    assert len(hh) == 13
    assert hh.loc[hh["submission_uuid"] == exp.households.loc[0, "_uuid"], "head_age"].item() == 70
    mem = data.load(ROUND, store=tmp_path / "store", table="members")
    assert (mem["submission_uuid"] == exp.households.loc[0, "_uuid"]).sum() == 1
    assert len(mem) == 24 - 2 + 1
    # village forms from the first ingest still give weights
    assert hh["weight"].notna().all()
    assert res.counts.set_index("table").loc["households", "stored"] == 13


def test_failed_write_leaves_previous_store_intact(tmp_path, monkeypatch):
    make_export(tmp_path / "export")
    _ingest(tmp_path / "export", tmp_path)
    before = {p.relative_to(tmp_path): p.read_bytes()
              for p in (tmp_path / "store").rglob("*") if p.is_file()}
    import pyarrow.parquet as pq

    calls = {"n": 0}
    real = pq.write_table

    def failing(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        return real(*a, **k)

    monkeypatch.setattr(pq, "write_table", failing)
    exp2 = build()
    exp2.households["hh/head_age"] = "80"
    write(exp2, tmp_path / "export2")
    with pytest.raises(OSError, match="simulated"):
        _ingest(tmp_path / "export2", tmp_path)
    after = {p.relative_to(tmp_path): p.read_bytes()
             for p in (tmp_path / "store").rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in (tmp_path / "store").iterdir() if not p.name.startswith(".")] == [
        f"round={ROUND}"]
    assert len([p for p in (tmp_path / "store" / f"round={ROUND}").iterdir()
                if p.name.startswith("v-")]) == 1


def test_manifest(tmp_path):
    make_export(tmp_path / "export")
    (tmp_path / "export" / "SYNTHETIC.txt").write_text("synthetic\n")
    _ingest(tmp_path / "export", tmp_path)
    m = json.loads((round_folder(ROUND, tmp_path / "store") / "manifest.json").read_text())
    assert m["synthetic"] is True
    assert m["instrument_version"]["household"] == "2026.1"
    assert {s["file"] for s in m["sources"]} == {"household.csv", "member.csv", "village.csv"}
    assert all(len(s["sha256"]) == 64 for s in m["sources"])
    assert set(m["fingerprints"]["households"]) == {"800101", "800102", "800201"}
    assert m["last_ingest"]["households"]["valid"] == 12


def _cli(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ABCRESEARCH_KEY": "cli-test-key-0123456789abcdef0123456789",
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "abcresearch", *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_cli_bad_folder_one_sentence_exit_2(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "household.csv").write_bytes(b"\x00\x00binary")
    proc = _cli("ingest", str(folder), "--round", "2567", "--store", str(tmp_path / "store"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "household.csv" in lines[0]


def test_cli_ingest_prints_summary(tmp_path):
    make_export(tmp_path / "export")
    proc = _cli("ingest", str(tmp_path / "export"), "--round", "2567", "--store",
                str(tmp_path / "store"))
    assert proc.returncode == 0, proc.stderr
    assert "households: 12 read, 12 valid, 0 rejected" in proc.stdout


def test_cli_missing_folder(tmp_path):
    proc = _cli("ingest", str(tmp_path / "nope"), "--round", "2567", "--store",
                str(tmp_path / "store"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_synth_round_trip_keeps_every_household_and_member(tmp_path, fmt):
    from abcresearch.synth.generate import synthesize

    out = tmp_path / "synth"
    synthesize(province="80", survey_round=2549, seed=3, out=out, villages=4,
               households_per_village=12, fmt=fmt, error_rate=0.0)
    res = ingest(out, survey_round=2549, store=tmp_path / "store")
    c = res.counts.set_index("table")
    assert c.loc["households", "rejected"] == 0, list(res.issues["message"][:5])
    assert c.loc["members", "rejected"] == 0, list(res.issues["message"][:5])
    hh = data.load(2549, store=tmp_path / "store")
    mem = data.load(2549, store=tmp_path / "store", table="members")
    assert len(hh) == c.loc["households", "read"]
    assert len(mem) == c.loc["members", "read"]
    assert hh["weight"].notna().all()
    assert data.manifest(2549, tmp_path / "store")["rows"]["households"] == len(hh)


def test_synth_with_errors_loses_no_valid_row(tmp_path):
    from abcresearch.synth.generate import synthesize

    out = tmp_path / "synth"
    synthesize(province="80", survey_round=2549, seed=5, out=out, villages=4,
               households_per_village=20, fmt="csv", error_rate=0.1)
    res = ingest(out, survey_round=2549, store=tmp_path / "store")
    for r in res.counts.itertuples(index=False):
        assert r.valid + r.rejected == r.read
        assert r.stored == r.valid


def test_every_injected_synth_error_is_found_where_it_was_put(tmp_path):
    from abcresearch.synth.generate import synthesize

    out = tmp_path / "synth"
    synthesize(province="80", survey_round=2549, seed=7, out=out, villages=5,
               households_per_village=30, fmt="csv", error_rate=0.1)
    res = ingest(out, survey_round=2549, store=tmp_path / "store")
    truth = pd.read_csv(out / "_truth" / "injected_errors.csv", dtype=str)
    found = set(zip(res.issues["file"], res.issues["row"], res.issues["column"], strict=True))
    rename = {"_parent_index": "submission_uuid", "_uuid": "submission_uuid"}
    for t in truth.itertuples(index=False):
        key = (f"{t.file}.csv", int(t.row) + 1, rename.get(t.column, t.column.split("/")[-1]))
        if t.valid == "True":
            assert key not in found, t
        else:
            assert key in found, t


# --------------------------------------------------------------------------------------------
# damaged files: malformed rows, truncation, empty tables (issue 9, items 1-2)


def _lines(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8").split("\r\n")


def _put(path: Path, lines: list[str]) -> None:
    path.write_bytes("\r\n".join(lines).encode("utf-8"))


def test_every_malformed_row_is_named_and_masked_the_rest_stored(tmp_path):
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    lines = _lines(path)
    lines[2] = lines[2] + ';"x"'                               # row 3: one cell too many
    lines[5] = ";".join(lines[5].split(";")[:12])              # row 6: cut after 12 cells
    i = lines[8].index('";"', 40)                              # row 9: a closing quote lost
    lines[8] = lines[8][:i] + lines[8][i + 1:]
    _put(path, lines)
    res = _ingest(exp.folder, tmp_path)
    bad = res.issues[res.issues["rule"] == "malformed_row"]
    assert sorted(bad["row"]) == [3, 6, 9]
    assert res.malformed == {"household.csv": [3, 6, 9]}
    assert "Malformed rows of household.csv" in res.summary()
    assert "3 rows: 3, 6, 9" in res.summary()
    c = res.counts.set_index("table")
    assert (c.loc["households", "valid"], c.loc["households", "rejected"]) == (9, 3)
    stored = data.load(ROUND, store=tmp_path / "store")
    assert sorted(stored["submission_uuid"]) == sorted(
        exp.households["_uuid"].drop(index=[1, 4, 7]))
    rej = pd.read_csv(res.round_dir / "rejects" / "households.csv", dtype=str,
                      encoding="utf-8-sig", keep_default_na=False)
    mal = rej[rej["_rule"] == "malformed_row"].set_index("_source_row")
    assert set(mal.index) == {"3", "6", "9"}
    # row 6 lines up with the header: its cells are kept, personal ones removed or pseudonymised
    assert mal.loc["6", "hh/village_code"] == exp.households.loc[4, "hh/village_code"]
    assert mal.loc["6", "hh/head_name"] == "<removed>"
    assert len(mal.loc["6", "hh/head_pid"]) == 32
    # row 3 (one cell too many) cannot be aligned: only its row number and cell count
    assert mal.loc["3", "hh/village_code"] == "" and mal.loc["3", "_cells"] == str(
        len(exp.households.columns) + 1)
    text = (res.round_dir / "rejects" / "households.csv").read_text(encoding="utf-8-sig")
    text += (res.round_dir / "issues.csv").read_text(encoding="utf-8-sig")
    for i in (1, 4, 7):
        for col in ("hh/head_name", "hh/head_pid", "hh/phone"):
            assert exp.households.loc[i, col] not in text


def _break_rows(path: Path, extra_delimiter: tuple[int, ...] = (),
                lost_quote: tuple[int, ...] = ()) -> None:
    """Break rows of a quoted export file (1-based file rows): an extra delimiter, or a closing
    quote lost, in a cell after the first 40 characters."""
    lines = _lines(path)
    for row in extra_delimiter:
        i = lines[row - 1].index('";"', 40)
        lines[row - 1] = lines[row - 1][:i] + '";"";"' + lines[row - 1][i + 3:]
    for row in lost_quote:
        i = lines[row - 1].index('";"', 40)
        lines[row - 1] = lines[row - 1][:i] + lines[row - 1][i + 1:]
    _put(path, lines)


def test_roster_rows_of_a_malformed_household_say_their_household_was_rejected(tmp_path):
    # a walk-through: the roster rows of two broken household rows read "no household in the
    # export has this submission id" (orphan_member), as if the household were never sent
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    _break_rows(path, extra_delimiter=(3,), lost_quote=(9,))
    members = exp.members.copy()
    members.loc[0, "_submission__uuid"] = "no-such-household"  # a roster row of no household
    write_csv(members, exp.folder / "member.csv")
    res = _ingest(exp.folder, tmp_path)
    assert res.malformed == {"household.csv": [3, 9]}
    broken = exp.households["_uuid"].iloc[[1, 7]]
    mem = res.issues[res.issues["table"] == "members"].set_index("row")
    of_broken = members.index[members["_submission__uuid"].isin(broken)] + 2
    assert sorted(of_broken) == [4, 5, 16, 17]
    assert set(mem.loc[of_broken, "rule"]) == {"parent_rejected"}
    assert mem.loc[of_broken, "message"].str.endswith(
        "(the household of this member was rejected; its rules: malformed_row)").all()
    assert mem.loc[of_broken, "message_th"].str.contains("malformed_row").all()
    # the roster row of no household is still said to have none
    assert mem.loc[2, "rule"] == "orphan_member"
    assert list(mem["rule"]).count("orphan_member") == 1
    c = res.counts.set_index("table")
    assert (c.loc["members", "read"], c.loc["members", "valid"],
            c.loc["members", "rejected"]) == (24, 19, 5)
    assert (c.loc["households", "valid"], c.loc["households", "rejected"]) == (10, 2)
    stored = data.load(ROUND, store=tmp_path / "store", table="members")
    assert len(stored) == 19 and not stored["submission_uuid"].isin(broken).any()
    rej = pd.read_csv(res.round_dir / "rejects" / "members.csv", dtype=str,
                      encoding="utf-8-sig", keep_default_na=False).set_index("_source_row")
    assert set(rej.loc[[str(r) for r in of_broken], "_rule"]) == {"parent_rejected"}
    summary = (res.round_dir / "validation_summary.md").read_text(encoding="utf-8")
    assert "| members | parent_rejected | error | 4 |" in summary
    assert "| members | orphan_member | error | 1 |" in summary


def test_roster_rows_of_a_malformed_last_household_are_no_sign_of_a_cut(tmp_path):
    # the last household row broken: its three roster rows at the end of the roster are its
    # own, not roster rows "beyond the end of the household file" (the export was refused)
    exp = build(members_per_household=3)
    write(exp, tmp_path / "export")
    path = exp.folder / "household.csv"
    _break_rows(path, extra_delimiter=(13,))
    res = _ingest(exp.folder, tmp_path)
    assert not (res.issues["rule"] == "file_truncated").any()
    last = res.issues[(res.issues["table"] == "members")]
    assert list(last["row"]) == [35, 36, 37]
    assert set(last["rule"]) == {"parent_rejected"}


def _roster_by_row_number(members: pd.DataFrame) -> pd.DataFrame:
    """The roster without its submission-id link (``_submission__*``): linked to its households
    by Kobo's row numbers only (``_parent_index`` = the household's ``_index``), as a roster
    sheet saved by hand from a Kobo workbook is."""
    return members.drop(columns=[c for c in members.columns if c.startswith("_submission__")])


def test_roster_rows_linked_by_row_number_of_a_malformed_household_say_it_was_rejected(
        tmp_path):
    # as test_roster_rows_of_a_malformed_household_say_their_household_was_rejected, with the
    # roster linked by row number: its rows of the two broken household rows read "no household
    # in the export has this submission id" (orphan_member)
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    _break_rows(path, extra_delimiter=(3,), lost_quote=(9,))
    members = _roster_by_row_number(exp.members)
    members.loc[0, "_parent_index"] = "99"                     # a roster row of no household
    write_csv(members, exp.folder / "member.csv")
    res = _ingest(exp.folder, tmp_path)
    assert res.malformed == {"household.csv": [3, 9]}
    broken = exp.households["_index"].iloc[[1, 7]]
    mem = res.issues[res.issues["table"] == "members"].set_index("row")
    of_broken = members.index[members["_parent_index"].isin(broken)] + 2
    assert sorted(of_broken) == [4, 5, 16, 17]
    assert set(mem.loc[of_broken, "rule"]) == {"parent_rejected"}
    assert mem.loc[of_broken, "message"].str.endswith(
        "(the household of this member was rejected; its rules: malformed_row)").all()
    # the household row is named, as the submission id names it with a _uuid link
    assert mem.loc[[4, 5], "message"].str.contains("value household.csv:3 ").all()
    assert mem.loc[[16, 17], "message_th"].str.contains("household.csv:9 ").all()
    assert mem.loc[2, "rule"] == "orphan_member"
    assert list(mem["rule"]).count("orphan_member") == 1
    c = res.counts.set_index("table")
    assert (c.loc["members", "read"], c.loc["members", "valid"],
            c.loc["members", "rejected"]) == (24, 19, 5)
    stored = data.load(ROUND, store=tmp_path / "store", table="members")
    assert len(stored) == 19
    assert not stored["submission_uuid"].isin(exp.households["_uuid"].iloc[[1, 7]]).any()
    summary = (res.round_dir / "validation_summary.md").read_text(encoding="utf-8")
    assert "| members | parent_rejected | error | 4 |" in summary
    assert "| members | orphan_member | error | 1 |" in summary


def test_roster_linked_by_row_number_of_a_malformed_last_household_is_no_sign_of_a_cut(
        tmp_path):
    # the last household row broken, its roster linked by row number: its three roster rows
    # at the end of the roster had no household, and the export was refused as cut short
    exp = build(members_per_household=3)
    exp.members = _roster_by_row_number(exp.members)
    write(exp, tmp_path / "export")
    path = exp.folder / "household.csv"
    _break_rows(path, extra_delimiter=(13,))
    res = _ingest(exp.folder, tmp_path)
    assert not (res.issues["rule"] == "file_truncated").any()
    last = res.issues[(res.issues["table"] == "members")]
    assert list(last["row"]) == [35, 36, 37]
    assert set(last["rule"]) == {"parent_rejected"}
    assert len(data.load(ROUND, store=tmp_path / "store", table="members")) == 33


def test_stray_quote_that_swallows_the_file_loses_one_row(tmp_path):
    # a hand-made comma file without quotes; one cell starts with a stray quote
    exp = make_export(tmp_path / "export", delimiter=",", quote_all=False)
    path = exp.folder / "household.csv"
    lines = _lines(path)
    cells = lines[4].split(",")
    cells[5] = '"' + cells[5]
    lines[4] = ",".join(cells)
    _put(path, lines)
    res = _ingest(exp.folder, tmp_path)  # was: _csv.Error: field larger than field limit
    assert list(res.issues.loc[res.issues["rule"] == "malformed_row", "row"]) == [5]
    assert len(data.load(ROUND, store=tmp_path / "store")) == 11


def test_too_many_malformed_rows_refuse_the_file_saying_why(tmp_path):
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    lines = _lines(path)
    for i in range(1, 8):
        lines[i] = lines[i] + ';"x"'
    _put(path, lines)
    with pytest.raises(InputError) as err:
        _ingest(exp.folder, tmp_path)
    msg = str(err.value)
    assert "household.csv: 7 of its 12 rows do not have the header's" in msg
    assert "params/ingest.yaml" in msg and "nothing was stored" in msg
    assert "\n" not in msg
    assert not (tmp_path / "store" / f"round={ROUND}").exists()


def test_file_cut_in_the_middle_of_a_row_is_noticed(tmp_path):
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    lines = _lines(path)
    _put(path, lines[:12] + [lines[12][:150]])  # the last row cut, no line end
    res = _ingest(exp.folder, tmp_path, accept_cut_short=True)
    assert any("household.csv ends in the middle of row 13" in n for n in res.notes)
    assert "WARNING: household.csv ends in the middle of row 13" in res.summary()
    assert set(res.issues["rule"]) >= {"malformed_row", "file_truncated"}
    cut = res.issues[res.issues["rule"] == "file_truncated"]
    assert "household.csv จบกลางแถวที่ 13: ไฟล์อาจถูกตัดขาด" in cut["message_th"].iloc[0]
    assert "ตรวจว่าคัดลอกไฟล์ส่งออกมาครบทั้งไฟล์" in cut["message_th"].iloc[0]
    assert "ends in the middle" not in cut["message_th"].iloc[0]
    # the cut row could not be placed in an amphoe: the per-amphoe line says so
    assert "(and 1 rejected row with no amphoe)" in res.summary()
    # the command line prints each warning once (on stderr), not also in the summary
    proc = _cli("ingest", str(exp.folder), "--round", str(ROUND), "--store",
                str(tmp_path / "store_cli"), "--accept-cut-short")
    assert proc.returncode == 0, proc.stderr
    both = proc.stdout + proc.stderr
    assert both.count("ends in the middle of row 13") == 1
    assert "WARNING:" not in proc.stdout


def test_an_export_cut_short_is_refused_and_the_round_stays_as_it_was(tmp_path):
    """A household file cut at 60 % was stored with a warning: its missing households made
    sampled villages read as "not in the sample" in every report built on it."""
    exp = make_export(tmp_path / "export")
    _ingest(exp.folder, tmp_path)  # the whole export first
    store = tmp_path / "store"
    before = data.load(ROUND, store=store)
    current = (store / f"round={ROUND}" / "CURRENT").read_text()
    path = exp.folder / "household.csv"
    lines = _lines(path)
    _put(path, lines[:12] + [lines[12][:150]])
    with pytest.raises(InputError) as err:
        _ingest(exp.folder, tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"the export looks cut short, so nothing was stored and round {ROUND}"
                          " in the store is unchanged (household.csv ends in the middle of row "
                          "13): copy the whole export again")
    # "looks cut short" once, not once more for each sign (a fresh user's walk-through)
    assert msg.count("looks cut short") == 1, msg
    assert "--accept-cut-short" in msg and "\n" not in msg
    assert (store / f"round={ROUND}" / "CURRENT").read_text() == current
    pd.testing.assert_frame_equal(data.load(ROUND, store=store), before)
    # the command line: one sentence, exit 2, and a first ingest leaves no store folder behind
    proc = _cli("ingest", str(exp.folder), "--round", str(ROUND), "--store",
                str(tmp_path / "new_store"))
    assert proc.returncode == 2
    # not "round ... is as it was" of a store that never had it (a fresh user's walk-through)
    assert (f"the export looks cut short, so nothing was stored and the store still has no "
            f"round {ROUND} (") in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "new_store").exists()


def test_household_file_cut_at_a_row_boundary_is_noticed(tmp_path):
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    _put(path, _lines(path)[:9] + [""])  # 8 of 12 households, ends cleanly
    with pytest.raises(InputError, match=r"the export looks cut short, .*\(the last 8 roster "
                                         r"rows \(member\.csv from row 18\) refer to households "
                                         r"that are not in household\.csv\)") as err:
        _ingest(exp.folder, tmp_path)
    assert str(err.value).count("looks cut short") == 1, err.value
    res = _ingest(exp.folder, tmp_path, accept_cut_short=True)
    note = next(n for n in res.notes if "household.csv looks cut short" in n)
    assert "the last 8 roster rows (member.csv from row 18)" in note
    assert "file_truncated" in set(res.issues["rule"])
    th = res.issues.loc[res.issues["rule"] == "file_truncated", "message_th"].iloc[0]
    assert "สมาชิก 8 แถวสุดท้าย (member.csv ตั้งแต่แถวที่ 18)" in th


def test_member_file_cut_at_a_row_boundary_is_noticed(tmp_path):
    exp = make_export(tmp_path / "export")
    path = exp.folder / "member.csv"
    _put(path, _lines(path)[:19] + [""])  # 18 of 24 roster rows: 3 households without any
    with pytest.raises(InputError, match=r"\(the last 3 households \(household\.csv from row "
                                         r"11\) have no roster row in member\.csv\)") as err:
        _ingest(exp.folder, tmp_path)
    assert str(err.value).count("looks cut short") == 1, err.value
    res = _ingest(exp.folder, tmp_path, accept_cut_short=True)
    note = next(n for n in res.notes if "member.csv looks cut short" in n)
    assert "the last 3 households (household.csv from row 11) have no roster row" in note


def test_a_refused_ingest_leaves_no_new_store_behind(tmp_path):
    """Every refused ingest, even of a folder that does not exist, made the store folder and
    left its lock file in it."""
    with pytest.raises(InputError, match="does not exist"):
        ingest(tmp_path / "nowhere", survey_round=ROUND, store=tmp_path / "store")
    assert not (tmp_path / "store").exists()
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    _put(path, _lines(path)[:1] + [""])  # refused after the lock was taken
    with pytest.raises(InputError):
        _ingest(exp.folder, tmp_path)
    assert not (tmp_path / "store").exists()


def test_header_only_household_file_is_refused(tmp_path):
    exp = make_export(tmp_path / "export")
    path = exp.folder / "household.csv"
    _put(path, _lines(path)[:1] + [""])
    with pytest.raises(InputError, match=r"household\.csv has a header but no rows, so all 24 "
                                         r"roster rows would have no household"):
        _ingest(exp.folder, tmp_path)
    assert not (tmp_path / "store" / f"round={ROUND}").exists()


def test_empty_roster_file_is_warned(tmp_path):
    exp = make_export(tmp_path / "export")
    path = exp.folder / "member.csv"
    _put(path, _lines(path)[:1] + [""])
    res = _ingest(exp.folder, tmp_path)
    assert any("member.csv has a header but no rows" in n for n in res.notes)
    assert "empty_table" in set(res.issues["rule"])


# --------------------------------------------------------------------------------------------
# a second export of the same round (issue 9, item 4)


def _second_export(tmp_path: Path, exp):
    """Household 0 corrected, household 1 sent again under a new id, household 2 bad."""
    hh = exp.households.iloc[[0, 1, 2]].copy()
    hh.loc[0, "hh/head_age"] = "70"
    hh.loc[1, "_uuid"] = "hhhhhhhh-resent"
    hh.loc[1, "start"] = "2024-05-09T09:00:00.000+07:00"   # a new submission: new times
    hh.loc[1, "_submission_time"] = "2024-05-09T03:00:00"
    hh.loc[2, "_uuid"] = "hhhhhhhh-bad"
    hh.loc[2, "hh/consent"] = "no"
    mem = exp.members[exp.members["_submission__uuid"].isin(exp.households["_uuid"][:2])].copy()
    mem.loc[mem["_submission__uuid"] == exp.households.loc[1, "_uuid"],
            "_submission__uuid"] = "hhhhhhhh-resent"
    folder = tmp_path / "second"
    folder.mkdir()
    write_csv(hh, folder / "household.csv")
    write_csv(mem, folder / "member.csv")
    return folder


def test_second_export_merges_says_so_and_keeps_earlier_issues(tmp_path):
    exp = build()
    exp.households.loc[5, "hh/consent"] = "no"  # an error in the first export
    write(exp, tmp_path / "first")
    _ingest(tmp_path / "first", tmp_path)
    res = _ingest(_second_export(tmp_path, exp), tmp_path)
    assert res.merge == {"earlier_exports": 1, "new": 0, "replaced": 1, "unchanged": 0,
                         "kept": 10,
                         "resubmitted": 1}
    line = res.merge_sentence()
    assert "already held data from 1 earlier export: merged by submission id" in line
    assert "1 sent again under a new id" in line and line in res.summary()
    hh = data.load(ROUND, store=tmp_path / "store")
    assert len(hh) == 11 and "hhhhhhhh-resent" not in set(hh["submission_uuid"])
    mem = data.load(ROUND, store=tmp_path / "store", table="members")
    assert "hhhhhhhh-resent" not in set(mem["submission_uuid"]) and len(mem) == 22
    issues = data.issues(ROUND, tmp_path / "store")
    assert list(issues.drop_duplicates("batch_source")["batch_source"]) == ["first", "second"]
    first = issues[issues["batch_source"] == "first"]
    assert ("equals" in set(first["rule"])) and (first["row"] == "7").any()
    second = issues[issues["batch_source"] == "second"]
    assert {"resubmitted_household", "equals"} <= set(second["rule"])
    rej = pd.read_csv(res.round_dir / "rejects" / "households.csv", dtype=str,
                      encoding="utf-8-sig", keep_default_na=False)
    assert sorted(rej["_batch_source"]) == ["first", "second", "second"]
    assert set(rej["_rule"]) == {"equals", "resubmitted_household"}
    summary = (res.round_dir / "validation_summary.md").read_text(encoding="utf-8")
    assert "## Merged with the round already stored" in summary


def test_the_same_export_twice_does_not_duplicate_its_issues(tmp_path):
    exp = build()
    exp.households.loc[5, "hh/consent"] = "no"
    write(exp, tmp_path / "first")
    _ingest(tmp_path / "first", tmp_path)
    _ingest(tmp_path / "first", tmp_path)
    issues = data.issues(ROUND, tmp_path / "store")
    assert (issues["rule"] == "equals").sum() == 1
    rej = pd.read_csv(round_folder(ROUND, tmp_path / "store") / "rejects" / "households.csv",
                      dtype=str, encoding="utf-8-sig")
    assert len(rej) == 1


def test_earlier_issue_superseded_when_a_later_export_fixes_the_row(tmp_path):
    exp = build()
    exp.households.loc[5, "hh/consent"] = "no"
    write(exp, tmp_path / "first")
    _ingest(tmp_path / "first", tmp_path)
    fixed = exp.households.iloc[[5]].copy()
    fixed["hh/consent"] = "yes"
    (tmp_path / "fix").mkdir()
    write_csv(fixed, tmp_path / "fix" / "household.csv")
    write_csv(exp.members[exp.members["_submission__uuid"] == fixed["_uuid"].item()],
              tmp_path / "fix" / "member.csv")
    _ingest(tmp_path / "fix", tmp_path)
    issues = data.issues(ROUND, tmp_path / "store")
    assert issues.loc[issues["rule"] == "equals", "superseded"].tolist() == [True]
    assert len(data.load(ROUND, store=tmp_path / "store")) == 12


def test_resubmission_within_one_export_is_not_stored_twice(tmp_path):
    exp = build()
    again = exp.households.iloc[[3]].copy()
    again["_uuid"] = "hhhhhhhh-again"
    again["end"] = "2024-05-04T10:00:00.000+07:00"
    exp.households = pd.concat([exp.households, again], ignore_index=True)
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    hit = res.issues[res.issues["rule"] == "resubmitted_household"]
    assert list(hit["row"]) == [14] and exp.households.loc[3, "_uuid"] in hit["message"].item()
    assert len(data.load(ROUND, store=tmp_path / "store")) == 12


def test_duplicated_hh_key_within_a_round_is_warned(tmp_path):
    exp = build()
    exp.households.loc[7, "hh/head_pid"] = exp.households.loc[2, "hh/head_pid"]
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    hit = res.issues[res.issues["rule"] == "duplicate_hh_key"]
    assert sorted(hit["row"]) == [4, 9] and set(hit["severity"]) == {"warning"}
    assert exp.households.loc[7, "_uuid"] in hit.loc[hit["row"] == 4, "message"].item()
    assert len(data.load(ROUND, store=tmp_path / "store")) == 12


def test_a_whole_cp874_file_whose_thai_passes_for_utf8_in_places_is_read_as_cp874(tmp_path):
    """"เนตรนภา" in CP874 starts with bytes that are valid UTF-8 (E0 B9 B5): a reader that
    looked at the bytes before the first bad one took the file for UTF-8 with every Thai line
    in another encoding (a warning on each). Only whole UTF-8 lines with Thai letters count."""
    from abcresearch.survey.readers import read_csv

    text = "hh/village_code;hh/head_name\n80010101;เนตรนภา\n80010102;สมชาย\n80010103;ทดสอบ\n"
    path = tmp_path / "household.csv"
    path.write_bytes(text.encode("cp874"))
    sheet = read_csv(path)
    assert sheet.encoding == "cp874" and sheet.recoded_lines == ()
    assert list(sheet.frame["hh/head_name"]) == ["เนตรนภา", "สมชาย", "ทดสอบ"]


def test_personal_data_typed_into_free_text_is_masked_in_the_store_and_named(tmp_path):
    """A national ID and phone typed into a village name reached the store and every report."""
    from abcresearch.survey.pseudonyms import find_personal_data

    exp = build()
    pid = valid_pid(7)
    exp.villages.loc[1, "village/village_name"] = f"บ้านหนองบัว ผู้ติดต่อ {pid} โทร 081-234-5678"
    head = exp.households.loc[0, "hh/head_name"]
    exp.villages.loc[0, "village/village_name"] = f"บ้านนา ({head})"
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    _assert_all_valid(res, exp)  # the rows are kept
    vil = data.load(ROUND, store=tmp_path / "store", table="villages")
    names = list(exp.households["hh/head_name"])
    assert find_personal_data(vil, names=names) == []
    row = vil.set_index("village_code").loc[exp.villages.loc[1, "village/village_code"]]
    assert row["village_name"] == "บ้านหนองบัว ผู้ติดต่อ <masked> โทร <masked>"
    found = res.issues[res.issues["rule"] == "personal_in_text"].sort_values("row")
    assert list(found["row"]) == [2, 3] and set(found["column"]) == {"village_name"}
    assert set(found["severity"]) == {"warning"}
    assert "national ID and phone number" in found["message"].iloc[1]
    # the Thai message in Thai words ("ข้อความมีnational ID and phone number" before)
    assert "เลขประจำตัวประชาชน และหมายเลขโทรศัพท์" in found["message_th"].iloc[1]
    assert "national" not in found["message_th"].iloc[1]
    summary = (res.round_dir / "validation_summary.md").read_text(encoding="utf-8")
    assert ("| villages | personal_in_text | warning | 2 | free text held …; it was masked "
            "(<masked>) in the store: correct the export |") in summary
    assert "personal_in_text 2 (villages, warning)" in res.summary()
    issues_csv = (res.round_dir / "issues.csv").read_text(encoding="utf-8-sig")
    assert pid not in issues_csv and "081-234-5678" not in issues_csv and head not in issues_csv
    # a report prints no "<masked>" in a village's name (a user's walk-through found it in every
    # page header): with no frame to name it, the village is "หมู่ที่ N" only
    from abcresearch.store.read import named_area, village_names
    from abcresearch.survey.areas import get_area

    code = str(exp.villages.loc[1, "village/village_code"])
    assert code not in village_names(ROUND, code[:6], tmp_path / "store")
    assert named_area(code, ROUND, tmp_path / "store").name_th == get_area(code).name_th


def test_personal_data_typed_the_thai_way_into_free_text_is_masked_in_the_store(tmp_path):
    """Phones grouped 2-4-4 or bracketed, an ID after "ปชช.", and names written against their
    title ("ติดต่อนาย...", "ผญบ....") reached the store of a review's damaged export in clear."""
    exp = build()
    pid = valid_pid(9)
    dashed = f"{pid[0]}-{pid[1:5]}-{pid[5:10]}-{pid[10:12]}-{pid[12]}"
    head = exp.households.loc[0, "hh/head_name"]
    member = exp.members.loc[0, "member/m_name"]
    assert len(exp.villages) == 3
    names = {0: "บ้านหนองบัว โทร 08 1234 5678 หรือ (081) 234-5678",
             1: f"บ้านบางโพธิ์ บัตร ปชช.{dashed}",
             2: f"บ้านนา ติดต่อนาย{head} ผญบ.{member}"}
    for i, name in names.items():
        exp.villages.loc[i, "village/village_name"] = name
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    _assert_all_valid(res, exp)
    vil = data.load(ROUND, store=tmp_path / "store", table="villages")
    stored = "\n".join(vil["village_name"].astype(str))
    for planted in ("1234 5678", "234-5678", dashed, pid, head, member):
        assert planted not in stored, planted
    found = res.issues[res.issues["rule"] == "personal_in_text"]
    assert sorted(found["row"]) == [i + 2 for i in sorted(names)]
    issues_csv = (res.round_dir / "issues.csv").read_text(encoding="utf-8-sig")
    assert not any(p in issues_csv for p in ("1234 5678", dashed, head, member))


def _main_sheet_correction(exp, folder: Path) -> Path:
    """An export of the main sheet alone: the first household, its yearly income changed."""
    folder.mkdir()
    row = exp.households.iloc[[0]].copy()
    col = next(c for c in row.columns if c.endswith("fin_income_year"))
    row[col] = "999000"
    write_csv(row, folder / "household.csv")
    return folder


def test_a_correction_of_the_main_sheet_alone_keeps_the_stored_roster(tmp_path):
    """An office re-sends household.csv alone to correct one answer: the household was
    replaced and its four roster rows were silently deleted (a field-data review)."""
    exp = make_export(tmp_path / "first")
    _ingest(tmp_path / "first", tmp_path)
    before = data.load(ROUND, store=tmp_path / "store", table="members")
    res = _ingest(_main_sheet_correction(exp, tmp_path / "fix"), tmp_path)
    assert res.merge["replaced"] == 1
    hh = data.load(ROUND, store=tmp_path / "store")
    uuid = exp.households["_uuid"].iloc[0]
    assert float(hh.set_index("submission_uuid").loc[uuid, "fin_income_year"]) == 999000
    after = data.load(ROUND, store=tmp_path / "store", table="members")
    assert len(after) == len(before)
    assert (after["submission_uuid"] == uuid).sum() == (before["submission_uuid"] == uuid).sum()
    assert any("no roster (member) sheet" in n and "were kept" in n for n in res.notes)
    assert "no roster (member) sheet" in res.summary()


def test_a_blank_or_spreadsheet_damaged_phone_never_rejects_a_household(tmp_path):
    """Phones are dropped at ingest, yet "-", "ไม่มี", "0", a number whose leading 0 a
    spreadsheet dropped, or a note beside the number rejected the household and its roster."""
    exp = build()
    phone = next(c for c in exp.households.columns if c.endswith("/phone") or c == "phone")
    values = ["897348141", "0897348141 (ลูก)", "-", "ไม่มี", "0", "089 734 8141"]
    for i, v in enumerate(values):
        exp.households.loc[i, phone] = v
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    _assert_all_valid(res, exp)
    found = res.issues[res.issues["column"] == "phone"]
    assert list(found["rule"]) == ["phone_format"] and list(found["row"]) == [3]
    assert set(found["severity"]) == {"warning"}
    assert "0897348141" not in (res.round_dir / "issues.csv").read_text(encoding="utf-8-sig")


def test_an_export_without_one_valid_household_is_refused_and_nothing_stored(tmp_path):
    """An Excel-re-saved export lost every row and was still "Ingested" into an empty round."""
    exp = build()
    consent = next(c for c in exp.households.columns if c.endswith("consent"))
    exp.households[consent] = "no"  # no consent: every household is rejected
    write(exp, tmp_path / "export")
    with pytest.raises(InputError) as err:
        _ingest(tmp_path / "export", tmp_path)
    message = str(err.value)
    assert message.startswith(f"none of the {len(exp.households)} household rows")
    assert "nothing was stored" in message and "equals in column consent" in message
    assert "household.csv row 2, column consent" in message
    assert not (tmp_path / "store" / f"round={ROUND}").exists()
    assert data.rounds(tmp_path / "store") == []


def test_a_roster_column_a_spreadsheet_damaged_refuses_the_export(tmp_path):
    """Member IDs Excel wrote as 1.80E+12 rejected 96% of a roster, the round was stored under
    "Ingested" and its welfare tables changed by half (a user's walk-through): one rule
    rejecting most of a file's rows is a damaged column, and the export is refused."""
    exp = build()
    pid = "member/m_pid"
    exp.members[pid] = [f"{int(v) / 1e12:.2f}E+12" for v in exp.members[pid]]
    write(exp, tmp_path / "export")
    with pytest.raises(InputError) as err:
        _ingest(tmp_path / "export", tmp_path)
    message = str(err.value)
    n = len(exp.members)
    assert message.startswith(f"{n} of the {n} members rows break rule regex in column m_pid")
    assert "nothing was stored" in message and "scientific notation" in message
    assert "member.csv row 2, column m_pid" in message
    assert "1.80E+12" not in message  # the values stay masked
    assert not (tmp_path / "store" / f"round={ROUND}").exists()


def test_a_few_bad_roster_ids_reject_only_their_rows(tmp_path):
    """Below rejected_rows.max_share of a file, bad rows are bad rows: the others are kept."""
    exp = build()
    pid = "member/m_pid"
    exp.members.loc[[0, 1], pid] = "1.80E+12"
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    assert res.counts.set_index("table").loc["members", "valid"] == len(exp.members) - 2
    found = res.issues[(res.issues["column"] == "m_pid") & (res.issues["rule"] == "regex")]
    assert len(found) == 2


def test_a_household_file_without_its_submission_id_is_refused_when_the_roster_uses_it(
        tmp_path):
    """Without _uuid the households got made-up ids and all roster rows were rejected as
    orphans, under a warning that the file looked cut short."""
    exp = build()
    exp.households = exp.households.drop(columns=["_uuid"])
    write(exp, tmp_path / "export")
    with pytest.raises(InputError, match=r"household\.csv has no _uuid column .* member\.csv "
                       r"links its roster rows .*nothing was stored"):
        _ingest(tmp_path / "export", tmp_path)
    assert not (tmp_path / "store" / f"round={ROUND}").exists()


def test_forms_rejected_in_review_on_the_server_are_not_used(tmp_path):
    """Kobo's "Not approved" (and ODK Central's "rejected") forms were stored and counted."""
    exp = build()
    exp.households["_validation_status"] = ""
    exp.households.loc[0, "_validation_status"] = "validation_status_not_approved"
    exp.households.loc[1, "_validation_status"] = "validation_status_on_hold"
    exp.households.loc[2, "_validation_status"] = "validation_status_approved"
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    hh = data.load(ROUND, store=tmp_path / "store")
    uuids = exp.households["_uuid"]
    assert uuids[0] not in set(hh["submission_uuid"])
    assert {uuids[1], uuids[2]} <= set(hh["submission_uuid"])
    found = res.issues.set_index("rule")
    assert found.loc["review_rejected", "severity"] == "error"
    assert found.loc["review_on_hold", "severity"] == "warning"
    mem = data.load(ROUND, store=tmp_path / "store", table="members")
    assert uuids[0] not in set(mem["submission_uuid"])  # its roster goes with it


def test_odk_central_review_state_rejected_is_not_used(tmp_path):
    exp = build()
    folder = _odk_central_export(exp, tmp_path / "central")
    hh = pd.read_csv(folder / "abc_household.csv", dtype=str, keep_default_na=False)
    hh["ReviewState"] = ["rejected", "hasIssues"] + [""] * (len(hh) - 2)
    write_csv(hh, folder / "abc_household.csv", delimiter=",", quote_all=False)
    res = _ingest(folder, tmp_path)
    stored = set(data.load(ROUND, store=tmp_path / "store")["submission_uuid"])
    assert exp.households["_uuid"][0] not in stored and exp.households["_uuid"][1] in stored
    assert set(res.issues["rule"]) >= {"review_rejected", "review_on_hold"}


def test_interviews_far_from_the_rounds_year_are_named(tmp_path):
    """An export of 2011 ingested as round 2567 (2024) merged in without a word."""
    exp = build()
    col = next(c for c in exp.households.columns if c.endswith("interview_date"))
    exp.households.loc[[2, 3], col] = "2011-04-10"
    exp.households.loc[4, col] = "2023-12-30"  # the year before the round's: fine
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    _assert_all_valid(res, exp)
    found = res.issues[res.issues["rule"] == "date_outside_round"]
    assert sorted(found["row"]) == [4, 5] and set(found["severity"]) == {"warning"}
    assert "interviewed in 2011 (2554 BE)" in found["message"].iloc[0]
    # the date as a field team writes it, day/month/Buddhist-era year (not "2011-04-10")
    assert set(found["value"]) == {"10/04/2554 BE"}
    assert any("2 households were interviewed in 2554 BE, not around round 2567" in n
               for n in res.notes)
    # the note names the rows (a field officer reads the terminal first)
    assert any("household.csv rows 4, 5)" in n for n in res.notes), res.notes


def test_a_file_cut_inside_a_thai_letter_is_read_as_cut_short_not_refused(tmp_path):
    """A download cut one byte into a Thai letter (3 bytes in UTF-8) was refused as "neither
    UTF-8 nor CP874"; cut elsewhere, the same file was read and its last row named."""
    exp = make_export(tmp_path / "export")
    path = exp.folder / "member.csv"
    raw = path.read_bytes().rstrip(b"\n")
    last_line = raw[raw.rfind(b"\n") + 1:]
    thai = last_line.find("ท".encode())
    assert thai > 0, "the last roster row has a Thai letter"
    cut = raw.rfind(b"\n") + 1 + thai + 1  # one byte into the letter
    path.write_bytes(raw[:cut])
    res = _ingest(exp.folder, tmp_path, accept_cut_short=True)
    assert any("member.csv ends in the middle of row" in n for n in res.notes), res.notes
    mem = data.load(ROUND, store=tmp_path / "store", table="members")
    assert len(mem) == len(exp.members) - 1


def test_a_cp874_file_without_a_final_line_end_keeps_its_last_letter(tmp_path):
    """The cut-letter rule only trims UTF-8: a CP874 file ending in a Thai letter (a byte a
    UTF-8 lead byte could be) is read whole."""
    exp = build()
    name = "village/village_name"
    exp.villages = exp.villages[[c for c in exp.villages.columns if c != name] + [name]]
    exp.villages.loc[exp.villages.index[-1], name] = "บ้านทดสอบใหม่"  # ends in a tone mark
    write(exp, tmp_path / "export", encoding="cp874", delimiter=",", quote_all=False)
    path = exp.folder / "village.csv"
    raw = path.read_bytes().rstrip(b"\r\n")
    assert raw[-1] >= 0xC0, "the file ends in a Thai letter"
    path.write_bytes(raw)
    res = _ingest(exp.folder, tmp_path)
    _assert_all_valid(res, exp)
    vil = data.load(ROUND, store=tmp_path / "store", table="villages")
    assert sorted(vil["village_name"]) == sorted(exp.villages["village/village_name"])


def test_the_same_export_sent_again_is_unchanged_not_replaced(tmp_path):
    """Re-ingesting an identical export said "5,680 replaced": a real correction could not be
    told from a repeat."""
    exp = make_export(tmp_path / "first")
    _ingest(tmp_path / "first", tmp_path)
    res = _ingest(tmp_path / "first", tmp_path)
    n = len(exp.households)
    assert res.merge["unchanged"] == n and res.merge["replaced"] == 0
    assert f"0 replaced (same submission id, answers changed), {n} unchanged" in res.summary()
    res = _ingest(_main_sheet_correction(exp, tmp_path / "fix"), tmp_path)
    assert res.merge["replaced"] == 1 and res.merge["unchanged"] == 0


def test_a_cp874_file_with_a_utf8_line_is_refused_naming_the_line(tmp_path):
    """The refusal named a byte offset only ("byte 1340"): the line is what a user can find."""
    exp = build()
    write(exp, tmp_path / "export", encoding="cp874", delimiter=",", quote_all=False)
    path = exp.folder / "village.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].decode("cp874").encode("utf-8")  # row 3 saved again as UTF-8
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=r"village\.csv is neither UTF-8 nor Thai Windows .*"
                                         r"\(line 3, byte"):
        _ingest(exp.folder, tmp_path)


def test_a_renamed_required_column_is_named_beside_the_one_missing(tmp_path):
    """``financial/fin_savings`` renamed ``financial/savings`` refused the export naming only the
    missing column (a user's walk-through): the message names the unknown column like it."""
    exp = build()
    exp.households = exp.households.rename(
        columns={"financial/fin_savings": "financial/savings"})
    write(exp, tmp_path / "export")
    with pytest.raises(InputError, match=r"required question fin_savings \(financial/fin_savings"
                                         r"\) is missing.*unknown column financial/savings, "
                                         r"perhaps the question was renamed"):
        _ingest(tmp_path / "export", tmp_path)
    # an unknown column of the same group but another question is not offered as the rename
    exp = build()
    exp.households = exp.households.rename(columns={"financial/fin_savings": "financial/x_note"})
    write(exp, tmp_path / "export2")
    with pytest.raises(InputError, match=r"required question fin_savings") as info:
        ingest(tmp_path / "export2", survey_round=ROUND, store=tmp_path / "store2")
    assert "unknown column" not in str(info.value)


def test_a_utf16_file_with_a_bad_byte_is_refused_naming_the_byte(tmp_path):
    exp = make_export(tmp_path / "export")
    bad = "ab".encode("utf-16") + b"\x00\xd8"  # a lone high surrogate at byte 6
    (exp.folder / "village.csv").write_bytes(bad)
    with pytest.raises(InputError, match=r"village.csv starts with a UTF-16 mark but byte 6 is "
                                         r"not UTF-16"):
        _ingest(exp.folder, tmp_path)


def test_a_christian_era_round_is_refused_with_its_buddhist_era_year(tmp_path):
    """Ingest and a report of a round never ingested give one hint, from one rule."""
    exp = make_export(tmp_path / "export")
    with pytest.raises(InputError, match=r"round 2006 is not a Buddhist-era year \(e\.g\. 2549\)"):
        ingest(exp.folder, survey_round=2006, store=tmp_path / "store")
    with pytest.raises(InputError, match=r"round 12 is not a Buddhist-era year \(e\.g\. 2549\)"):
        ingest(exp.folder, survey_round=12, store=tmp_path / "store")


def test_many_households_declining_is_not_a_damaged_column(tmp_path):
    """Consent "no" is the respondent's answer: a small export where most households declined
    is stored with its few interviews, not refused as a damaged column."""
    exp = build()
    consent = next(c for c in exp.households.columns if c.endswith("consent"))
    exp.households.loc[exp.households.index[:-3], consent] = "no"
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    assert res.counts.set_index("table").loc["households", "valid"] == 3


def test_an_export_saved_three_times_is_not_a_damaged_column(tmp_path):
    """Every row three times: two thirds are exact copies (duplicate_copy), rejected on
    purpose so that no household is lost to an export saved twice; it was refused as a
    damaged column (a review)."""
    exp = build()
    exp.households = pd.concat([exp.households] * 3, ignore_index=True)
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    assert res.counts.set_index("table").loc["households", "valid"] == len(exp.households) // 3


def test_a_row_read_twice_is_not_counted_as_a_household_lost(tmp_path):
    """A household row saved twice is stored once: its later copy is rejected
    (``duplicate_copy``) but no household is lost, and the data-quality table said "<5
    households rejected at ingest" for it (a fresh user's walk-through)."""
    from abcresearch.reports.disclosure import extra_counts
    from abcresearch.store import load, read
    from abcresearch.survey.validate import households_lost

    exp = build()
    exp.households = pd.concat([exp.households, exp.households.iloc[[1]]], ignore_index=True)
    exp.households.loc[2, "hh/consent"] = "no"  # one household really rejected
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    issues = read.issues(ROUND, tmp_path / "store")
    errors = issues[(issues["severity"] == "error") & (issues["table"] == "households")]
    assert set(errors["rule"]) == {"duplicate_copy", "equals"}
    lost = households_lost(issues)
    assert list(lost["rule"]) == ["equals"]
    tambon = str(lost["tambon_code"].iloc[0])
    assert set(errors["tambon_code"].astype(str)) == {tambon}  # both in one tambon
    # what the report's data-quality table prints (and the disclosure pattern protects)
    households = load(ROUND, store=tmp_path / "store")
    assert extra_counts(ROUND, tmp_path / "store", households)["rejected"][tambon] == 1
    assert res.counts.set_index("table").loc["households", "stored"] == len(exp.households) - 2


def test_a_mac_csv_with_carriage_returns_alone_is_read_whole(tmp_path):
    """Excel's "CSV (Macintosh)" ends lines with CR alone: the tolerant reader failed with
    Python's own ``_csv.Error`` and a traceback (a damaged-export review). Every row is read,
    numbered as a spreadsheet shows it."""
    from abcresearch.survey.readers import read_csv

    exp = build()
    write(exp, tmp_path / "export")
    for path in (tmp_path / "export").glob("*.csv"):
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    sheet = read_csv(tmp_path / "export" / "household.csv")
    assert len(sheet.frame) == len(exp.households)
    assert list(sheet.rows) == list(range(2, len(exp.households) + 2))
    res = _ingest(tmp_path / "export", tmp_path)
    _assert_all_valid(res, exp)
    # a lone CR inside an unquoted cell: the row splits where a spreadsheet splits it, the
    # pieces are named as malformed rows, and the others are kept
    exp = make_export(tmp_path / "export2", delimiter=",", quote_all=False)
    path = exp.folder / "household.csv"
    lines = _lines(path)
    cells = lines[4].split(",")
    cells[5] = cells[5] + "\r"
    lines[4] = ",".join(cells)
    _put(path, lines)
    res = ingest(exp.folder, survey_round=ROUND, store=tmp_path / "store2")
    assert list(res.issues.loc[res.issues["rule"] == "malformed_row", "row"]) == [5, 6]
    assert len(data.load(ROUND, store=tmp_path / "store2")) == len(exp.households) - 1
    # inside a quoted value a lone CR stays part of the value, in any column (a code review:
    # the last column's value was cut and its row split)
    for body in (b'a;b\r\n1;"x\ry"\r\n2;z\r\n', b'a;b;c\r\n1;"x\ry";q\r\n2;z;w\r\n'):
        path = tmp_path / "quoted.csv"
        path.write_bytes(body)
        sheet = read_csv(path)
        assert list(sheet.rows) == [2, 3] and not sheet.malformed
        assert sheet.frame.iloc[0, 1] == "x\ry"


def test_rows_after_a_blank_line_are_named_by_their_spreadsheet_row(tmp_path):
    """Both CSV readers skipped blank lines without counting them, so every message after one
    named a row too early, a valid household's (a damaged-export review); rows of empty cells
    (";;;") were read as households by the fast reader and skipped by the tolerant one."""
    from abcresearch.survey.readers import read_csv

    exp = build()
    exp.households.loc[5, "hh/consent"] = "no"  # spreadsheet row 7 before the blank lines
    write(exp, tmp_path / "export")
    path = tmp_path / "export" / "household.csv"
    lines = _lines(path)
    n_cells = lines[0].count(";") + 1
    lines[3:3] = ["", ";" * (n_cells - 1), ""]  # rows 4-6: a blank line, empty cells, blank
    _put(path, lines)
    sheet = read_csv(path)
    assert len(sheet.frame) == len(exp.households)
    assert list(sheet.rows[:3]) == [2, 3, 7]
    res = _ingest(tmp_path / "export", tmp_path)
    refused = res.issues[res.issues["rule"] == "equals"]
    assert list(refused["row"]) == [10]  # row 7, three rows down
    assert lines[9].split(";")[list(exp.households.columns).index("hh/consent")] == '"no"'
    c = res.counts.set_index("table")
    assert c.loc["households", "valid"] == len(exp.households) - 1
    # empty cells alone (no blank line): the fast reader skips them too, counting them
    lines = _lines(path)
    _put(path, [ln for ln in lines if ln != ""])
    sheet = read_csv(path)
    assert len(sheet.frame) == len(exp.households)
    assert list(sheet.rows[:3]) == [2, 3, 5]


def test_ids_a_spreadsheet_wrote_back_with_a_trailing_zero_are_read_as_ids(tmp_path):
    """A 13-digit ID kept as a number and saved again as "3800101200002.0" holds the same
    digits; it rejected its household (and the household's roster rows with it) under the
    13-digit rule (a damaged-export review). Scientific notation loses digits: still refused."""
    exp = build()
    write(exp, tmp_path / "clean")
    clean = ingest(tmp_path / "clean", survey_round=ROUND, store=tmp_path / "clean_store")
    assert clean.counts.set_index("table").loc["households", "valid"] == len(exp.households)
    exp.households.loc[[0, 1], "hh/head_pid"] = [v + ".0" for v in
                                                 exp.households.loc[[0, 1], "hh/head_pid"]]
    exp.members.loc[[0], "member/m_pid"] = exp.members.loc[0, "member/m_pid"] + ".00"
    exp.members.loc[[1], "member/m_pid"] = "1.80E+12"
    write(exp, tmp_path / "export")
    res = _ingest(tmp_path / "export", tmp_path)
    c = res.counts.set_index("table")
    assert c.loc["households", "valid"] == len(exp.households)
    assert c.loc["members", "valid"] == len(exp.members) - 1
    found = res.issues[res.issues["rule"] == "regex"]
    assert list(found["column"]) == ["m_pid"] and list(found["row"]) == [3]
    # the same pseudonyms as the IDs written as text give
    stored = data.load(ROUND, store=tmp_path / "store")
    assert sorted(stored["hh_key"]) == sorted(data.load(ROUND, store=tmp_path / "clean_store")
                                              ["hh_key"])
