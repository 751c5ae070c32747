"""Params files read through the one loader: every problem at once, re-read when edited."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from abcresearch.errors import ParamsError
from abcresearch.labels import parse_label_file
from abcresearch.paths import params_dir
from abcresearch.stats.poverty import load_poverty_lines
from abcresearch.survey import validate
from abcresearch.survey.settings import ingest_settings


def _touch_later(f: Path) -> None:
    """Give an edited file a later modification time (file systems with coarse clocks)."""
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def _copy(name: str, tmp_path: Path) -> tuple[Path, dict]:
    f = tmp_path / name
    shutil.copy(params_dir() / name, f)
    return f, yaml.safe_load(f.read_text(encoding="utf-8"))


def test_ingest_settings_every_problem_and_edits(tmp_path: Path) -> None:
    f, doc = _copy("ingest.yaml", tmp_path)
    assert ingest_settings(f).truncation_min_rows == ingest_settings().truncation_min_rows
    doc["truncation"]["min_rows"] = 0
    del doc["masking"]["max_name_words"]
    doc["resubmission"]["ignore_columns"] = "hh_id"
    doc["answers"]["kept_when_unusable"] += ["consent", "village_code"]
    doc["answers"]["kept_with_frame"] += ["village_code"]
    doc["answers"]["blank_with_their_gate"] = "vil_master_plan_year"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _touch_later(f)
    with pytest.raises(ParamsError) as err:
        ingest_settings(f)
    msg = str(err.value)
    assert msg.startswith("ingest.yaml: ")
    for part in ("truncation.min_rows must be at least 1, found 0",
                 "masking.max_name_words is missing",
                 "resubmission.ignore_columns must be a list of column names",
                 "answers.kept_when_unusable cannot list consent, village_code: a row without "
                 "a usable village, consent or head of household is always rejected",
                 "answers.kept_with_frame cannot list village_code",
                 "answers.blank_with_their_gate must be a list of question names"):
        assert part in msg
    # an older ingest.yaml without the section keeps every such answer rejecting the row
    del doc["answers"]
    doc["truncation"]["min_rows"] = 3
    doc["masking"]["max_name_words"] = 4
    doc["resubmission"]["ignore_columns"] = ["start"]
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _touch_later(f)
    older = ingest_settings(f)
    assert older.answers_kept_when_unusable == older.answers_kept_with_frame == ()
    assert older.answers_blank_with_gate == ()


def test_validation_rules_are_reread_when_edited(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    f, doc = _copy("validation_rules.yaml", tmp_path)
    monkeypatch.setenv("ABCRESEARCH_PARAMS", str(tmp_path))
    assert validate.rules()["range"]["severity"] == "error"
    doc["rules"]["range"]["severity"] = "warning"
    f.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _touch_later(f)
    assert validate.rules()["range"]["severity"] == "warning"
    assert set(validate.table_specs()) == {"frame", "auxiliary"}


def test_validation_rules_every_problem(tmp_path: Path) -> None:
    f, doc = _copy("validation_rules.yaml", tmp_path)
    doc["rules"]["range"] = {"severity": "fatal", "en": "x", "th": "x"}
    del doc["tables"]["frame"]["columns"]["village_code"]
    doc["tables"]["auxiliary"]["columns"]["no_land"]["type"] = "share"
    doc["because"]["vil_households"]["kept"] = {"en": "x"}
    doc["because"]["vil_households"]["blanked"] = {"en": "x", "th": "x"}
    doc["relevant"]["th"] = "{question}"  # the answer that asks the follow-up is not said
    with pytest.raises(ParamsError) as err:
        validate.parse_validation_rules(doc, f)
    msg = str(err.value)
    assert msg.startswith("validation_rules.yaml: ")
    for part in ("rules ['range'] need severity (error|warning), en and th",
                 "tables.frame needs columns including village_code",
                 "tables.auxiliary.columns.no_land needs a type (text|integer|decimal)",
                 "because.vil_households.kept needs its text in en and th",
                 "because.vil_households.blanked must be one of rejected, kept",
                 "relevant.th needs the skip logic in words, with {question} and {answer}"):
        assert part in msg


def test_poverty_lines_are_a_new_list_each_call() -> None:
    lines = load_poverty_lines()
    lines.clear()
    assert load_poverty_lines()


def test_label_file_lists_every_missing_text() -> None:
    raw = {"labels": {"a": {"th": "ก"}, "b": {"en": "B"}, "c": {"th": "ค", "en": "C"}}}
    with pytest.raises(ParamsError) as err:
        parse_label_file(raw, Path("topic.yaml"))
    assert str(err.value) == "topic.yaml: a: missing en; b: missing th"
