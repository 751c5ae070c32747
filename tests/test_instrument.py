"""The instrument forms parse with pyxform and give a consistent codebook."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from abcresearch.errors import ParamsError
from abcresearch.paths import CACHE_ENV, params_dir
from abcresearch.survey import instrument

CAPITALS = {"human", "physical", "financial", "social", "cultural", "wisdom", "natural"}


@pytest.mark.parametrize("form", ["household", "village"])
def test_pyxform_accepts_the_form_without_warnings(form: str) -> None:
    result = convert(str(params_dir() / "instrument" / instrument.FORM_FILES[form]))
    assert result.warnings == []
    assert "<h:html" in result.xform


def test_every_capital_has_six_to_ten_items() -> None:
    items = instrument.capital_items()
    assert set(items) == CAPITALS
    for cap, names in items.items():
        assert 5 <= len(names) <= 10, (cap, names)


def test_codebook_tables_and_labels() -> None:
    cb = instrument.codebook()
    assert set(cb["table"]) == {"households", "members", "villages"}
    questions = cb[~cb["type"].isin(["start", "end"])]
    assert (questions["label_th"].str.len() > 0).all()
    assert (questions["label_en"].str.len() > 0).all()
    members = instrument.codebook("members")
    assert {"m_age", "m_sex", "m_edu", "m_health"} <= set(members["name"])
    assert members["header"].str.startswith("member/").all()


def test_personal_columns_are_flagged() -> None:
    cb = instrument.codebook()
    flagged = dict(zip(cb["name"] + "@" + cb["table"], cb["personal"], strict=True))
    assert flagged["head_name@households"] == "name"
    assert flagged["head_pid@households"] == "national_id"
    assert flagged["phone@households"] == "phone"
    assert flagged["m_name@members"] == "name"
    assert flagged["headman_phone@villages"] == "phone"


def test_constraints_parse_into_rules() -> None:
    cb = instrument.codebook("households").set_index("name")
    assert cb.loc["hh_size", "min"] == 1 and cb.loc["hh_size", "max"] == 30
    assert cb.loc["head_pid", "regex"] == "^[0-9]{13}$"
    assert cb.loc["consent", "equals"] == "yes"
    assert cb.loc["fin_debt", "relevant_question"] == "fin_has_debt"
    assert not cb.loc["fin_debt", "min_inclusive"]


def test_choice_lists_are_bilingual() -> None:
    edu = instrument.choices("edu")
    assert "bachelor" in set(edu["name"])
    assert (edu["label_th"].str.len() > 0).all() and (edu["label_en"].str.len() > 0).all()
    with pytest.raises(ParamsError, match="not in the household form"):
        instrument.choices("no_such_list")


def test_unsupported_constraint_is_named(tmp_path: Path) -> None:
    src = (params_dir() / "instrument" / "village.md").read_text(encoding="utf-8")
    bad = src.replace(". >= 0 and . <= 100 | | |", ". * 2 < 7 | | |", 1)
    (tmp_path / "village.md").write_text(bad, encoding="utf-8")
    (tmp_path / "household.md").write_text(
        (params_dir() / "instrument" / "household.md").read_text(encoding="utf-8"),
        encoding="utf-8")
    with pytest.raises(ParamsError, match=r"\. \* 2 < 7"):
        instrument.load_form("village", tmp_path)


def test_parsed_forms_are_cached_by_content_and_a_damaged_entry_is_parsed_again(
        tmp_path, monkeypatch) -> None:
    """A form is parsed by pyxform once per content; an edit or a damaged entry parses anew."""
    import shutil

    import pandas as pd

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "forms"

    def copy(name: str) -> Path:  # a new folder each time: load_form's memory cache misses
        shutil.copytree(params_dir() / "instrument", tmp_path / name)
        return tmp_path / name

    first = instrument.load_form("household", copy("a"))
    entries = sorted(cache.glob("*.json"))
    assert len(entries) == 1
    again = instrument.load_form("household", copy("b"))  # the same bytes: from the entry
    pd.testing.assert_frame_equal(again.codebook, first.codebook)
    assert again.choices.keys() == first.choices.keys() and again.version == first.version
    entries[0].write_text("{not json", encoding="utf-8")  # damaged: parsed again, rewritten
    pd.testing.assert_frame_equal(instrument.load_form("household", copy("c")).codebook,
                                  first.codebook)
    assert entries[0].read_text(encoding="utf-8").startswith('{"')
    edited = copy("d")
    (edited / "household.md").write_text(
        (edited / "household.md").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    instrument.load_form("household", edited)  # other bytes: a second entry
    assert len(list(cache.glob("*.json"))) == 2


def test_a_form_is_read_once_per_process_and_again_when_its_file_changes(
        tmp_path, monkeypatch) -> None:
    """The parsed form is kept between notebooks run in one process (a batch worker clears
    the other caches between reports); an edit of the file in the same folder is read."""
    import os
    import shutil

    from abcresearch.batch.kernel_state import clear_library_caches

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    folder = tmp_path / "forms"
    shutil.copytree(params_dir() / "instrument", folder)
    reads: list[str] = []
    read_form = instrument._read_form

    def counting(path: Path, main_table: str) -> instrument.Form:
        reads.append(path.name)
        return read_form(path, main_table)

    monkeypatch.setattr(instrument, "_read_form", counting)
    first = instrument.load_form("household", folder)
    clear_library_caches()  # between two notebooks
    assert instrument.load_form("household", folder) is first
    assert reads == ["household.md"]
    form_file = folder / "household.md"
    old = os.stat(form_file)
    form_file.write_text(form_file.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    os.utime(form_file, ns=(old.st_atime_ns, old.st_mtime_ns))  # the same time: size tells
    edited = instrument.load_form("household", folder)
    assert reads == ["household.md", "household.md"] and edited is not first
    # what a caller gets cannot change the kept form for the next notebook
    name = next(iter(edited.choices))
    listed = instrument.choices(name, "household", folder)
    listed.loc[:, "label_th"] = "changed"
    assert (instrument.choices(name, "household", folder)["label_th"] != "changed").all()
    with pytest.raises(TypeError):
        edited.choices[name] = listed  # type: ignore[index]
