"""``abcresearch areas``: the areas a round holds, with their codes, villages and households.

A fresh user's walk-through found no way to learn a store's area codes short of an error
message; the command lists them, counted from the store itself.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from abcresearch import cli
from abcresearch.store import load, manifest, tambons_with_data, village_names


def _run(capsys, *argv: str) -> tuple[int, str, list[str]]:
    code = cli.main(["areas", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_amphoe_of_the_store_with_their_households(capsys, sample_store):
    code, out, err = _run(capsys, "--store", str(sample_store), "--csv")
    assert code == 0, err
    rows = _csv(out)
    households = load(2549, store=sample_store, columns=["village_code"])["village_code"]
    assert [r["amphoe_code"] for r in rows] == sorted({c[:4] for c in households})
    assert sum(int(r["households"]) for r in rows) == len(households)
    assert rows[0]["name_th"] == "ขนอม" and rows[0]["name_en"] == "Khanom"


def test_tambons_counted_from_the_store(capsys, sample_store):
    code, out, err = _run(capsys, "--within", "8015", "--round", "2549", "--store",
                          str(sample_store), "--csv")
    assert code == 0, err
    rows = _csv(out)
    assert [r["tambon_code"] for r in rows] == tambons_with_data(2549, sample_store)
    assert manifest(2549, sample_store).get("frame"), "the sample export has a village frame"
    frame = load(2549, store=sample_store, table="frame", columns=["village_code"])
    for row in rows:
        hh = load(2549, area=row["tambon_code"], store=sample_store, columns=["village_code"])
        assert int(row["households"]) == len(hh)
        assert int(row["villages"]) == hh["village_code"].nunique()
        assert int(row["frame_villages"]) == \
            frame["village_code"].str.startswith(row["tambon_code"]).sum()


def test_the_table_names_the_round_and_how_to_report(capsys, sample_store):
    tambon = tambons_with_data(2549, sample_store)[0]
    code, out, _ = _run(capsys, "--within", "8015", "--store", str(sample_store))
    assert code == 0
    assert out.startswith("Round 2549: 3 tambons with households in amphoe 8015 (ขนอม)")
    assert tambon in out and "villages surveyed" in out and "households surveyed" in out
    assert f"abcresearch report --area {tambon} --round 2549" in out
    assert "abcresearch batch --round 2549 --level tambon --within 8015" in out


def test_villages_carry_their_own_names_and_no_personal_data(capsys, sample_store):
    tambon = tambons_with_data(2549, sample_store)[0]
    code, out, _ = _run(capsys, "--within", tambon, "--store", str(sample_store), "--csv")
    assert code == 0
    rows = _csv(out)
    codes = load(2549, area=tambon, store=sample_store, columns=["village_code"])["village_code"]
    assert [r["village_code"] for r in rows] == sorted(set(codes))
    names = village_names(2549, tambon, sample_store)
    assert names, "the sample export's village forms name their villages"
    for row in rows:
        if row["village_code"] in names:
            assert row["name_th"].endswith(names[row["village_code"]])
            assert row["name_th"].startswith("หมู่ที่ ")
    assert not re.search(r"\d{9,}|0\d-?\d{3}-?\d{4}|<masked>", out)


def test_one_village(capsys, sample_store):
    village = sorted(load(2549, store=sample_store, columns=["village_code"])["village_code"])[0]
    code, out, _ = _run(capsys, "--within", village, "--store", str(sample_store))
    assert code == 0
    assert out.startswith(f"Round 2549: village {village}")
    assert f"abcresearch report --area {village} --round 2549" in out
    assert "abcresearch batch" not in out  # a batch of one village's villages would be all


@pytest.mark.parametrize(("argv", "expected"), [
    (["--within", "8015", "--level", "amphoe"],
     "--within 8015 is a code of level amphoe: there are no amphoe areas inside it (leave "
     "--level out to list its tambons)"),
    (["--within", "8001"], "--within 8001 (เมืองนครศรีธรรมราช) has no households in round 2549"),
    (["--within", "8099"], "is not an official amphoe code of 80"),
    (["--round", "2550"], "round 2550 was never ingested"),
])
def test_mistakes_are_one_sentence(capsys, sample_store, argv, expected):
    code, out, err = _run(capsys, *argv, "--store", str(sample_store))
    assert code == 2 and out == "" and len(err) == 1, (out, err)
    assert err[0].startswith("abcresearch areas: ") and expected in err[0], err


def test_a_store_without_a_round(capsys, tmp_path):
    code, out, err = _run(capsys, "--store", str(tmp_path))
    assert code == 2 and len(err) == 1
    assert "holds no round yet; run 'abcresearch ingest' first" in err[0]


def test_a_mistyped_village_code_and_a_level_above_a_village(capsys, sample_store):
    tambon = tambons_with_data(2549, sample_store)[0]
    code, out, err = _run(capsys, "--within", f"{tambon}99", "--store", str(sample_store))
    assert code == 2 and out == "" and len(err) == 1
    assert f"village {tambon}99 is not a village of tambon {tambon}" in err[0]
    code, out, err = _run(capsys, "--within", f"{tambon}01", "--level", "tambon", "--store",
                          str(sample_store))
    assert code == 2 and out == "" and err == [
        f"abcresearch areas: --within {tambon}01 is a code of level village: there are no "
        "tambon areas inside it (leave --level out)"]


def test_names_typed_in_the_field_are_not_read_as_markup(capsys, sample_store, monkeypatch):
    """A village's own name comes from its village form: "[...]" in it is printed as typed,
    not read as the table's markup (rich dropped "[km5]" and failed on "[/x]")."""
    import abcresearch.store as store_mod

    tambon = tambons_with_data(2549, sample_store)[0]
    first = sorted(set(load(2549, area=tambon, store=sample_store,
                            columns=["village_code"])["village_code"]))[0]
    monkeypatch.setattr(store_mod, "village_names",
                        lambda *a, **k: {first: "บ้าน[km5] [/x]"})
    code, out, err = _run(capsys, "--within", tambon, "--store", str(sample_store))
    assert code == 0, err
    assert "บ้าน[km5] [/x]" in out
