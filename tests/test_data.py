"""data.load reads one area (or all) quickly with typed columns; clear errors otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.kobo import make_export

from abcresearch.errors import StoreError
from abcresearch.ingest.pipeline import ingest
from abcresearch.store import read as data


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("data")
    mp = pytest.MonkeyPatch()
    mp.setenv("ABCRESEARCH_KEY", "test-key-not-secret-0123456789abcdef")
    try:
        make_export(tmp / "export")
        ingest(tmp / "export", survey_round=2567, store=tmp / "store")
    finally:
        mp.undo()
    return tmp / "store"


@pytest.mark.parametrize(("area", "n"), [(None, 12), ("80", 12), ("8001", 8), ("800101", 4),
                                         ("80010101", 4), ("8002", 4)])
def test_load_by_area(store, area, n):
    df = data.load(2567, area=area, store=store)
    assert len(df) == n
    if area:
        assert df["village_code"].str.startswith(area).all()


def test_types_and_codes(store):
    df = data.load(2567, area="800101", store=store)
    assert str(df["hh_size"].dtype) == "Int64"
    assert df["fin_income_year"].dtype == "float64"
    assert isinstance(df["interview_date"].iloc[0], dt.date)
    assert df["tambon_code"].dtype == "str" and (df["tambon_code"] == "800101").all()
    assert (df["weight"] == 25.0).all()  # 100 households in the village / 4 sampled
    assert (df["round"] == 2567).all()


def test_members_and_villages_and_columns(store):
    m = data.load(2567, area="800101", store=store, table="members")
    assert len(m) == 8 and set(m["member_index"]) == {1, 2}
    v = data.load(2567, store=store, table="villages", columns=["village_code", "vil_households"])
    assert list(v.columns) == ["village_code", "vil_households"] and len(v) == 3


def test_rounds_and_manifest(store):
    assert data.rounds(store) == [2567]
    assert data.manifest(2567, store)["rows"]["households"] == 12


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"survey_round": 2551}, "round 2551 was never ingested into"),
    ({"survey_round": 2567, "area": "800199"}, "area 800199 has no households"),
    ({"survey_round": 2567, "area": "80x"}, "is not 2, 4, 6 or 8 digits"),
    ({"survey_round": 2567, "table": "people"}, "is not one of"),
])
def test_clear_errors(store, kwargs, words):
    with pytest.raises(StoreError, match=words):
        data.load(store=store, **kwargs)


def test_missing_store(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        data.load(2567, store=tmp_path / "nope")


def test_one_manifest_reader(store, tmp_path):
    import json

    import abcresearch.data
    import abcresearch.store
    from abcresearch.store import write

    assert abcresearch.store.manifest is abcresearch.data.manifest is data.manifest
    assert not hasattr(write, "read_manifest")  # the reader with flipped arguments is gone
    m = abcresearch.store.manifest(2567, store=store)
    assert m["round"] == 2567 and m["rows"]["households"] == 12
    # a store written by hand or before versioning: round=R/manifest.json
    old = tmp_path / "old" / "round=2568"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text(json.dumps({"fingerprints": {"800101": "fp"}}))
    assert abcresearch.store.manifest(2568, tmp_path / "old")["fingerprints"] == {"800101": "fp"}
    assert abcresearch.store.tambons_with_data(2568, tmp_path / "old") == ["800101"]
    with pytest.raises(StoreError, match="round 2569 was never ingested"):
        abcresearch.store.manifest(2569, tmp_path / "old")
