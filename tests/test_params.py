"""The one params loader: names and paths, caching by file version, every problem at once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from abcresearch.errors import ParamsError
from abcresearch.params import Problems, load, params_path, read_yaml
from abcresearch.paths import params_dir


@dataclass(frozen=True)
class Threshold:
    value: float


def parse_threshold(raw: Mapping[str, Any], path: Path) -> Threshold:
    pr = Problems(path)
    v = raw.get("value")
    if not isinstance(v, (int, float)):
        pr.add("value", "must be a number")
    if raw.get("extra") is not None:
        pr.add("extra", "is not a known key")
    pr.raise_if_any()
    return Threshold(float(v))  # type: ignore[arg-type]


def test_names_resolve_in_params() -> None:
    assert params_path("grades") == params_dir() / "grades.yaml"
    with pytest.raises(ParamsError, match="does not exist"):
        params_path("no_such_rules")


def test_invalid_yaml_names_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("a: [1, 2\nb: 3\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"bad.yaml is not valid YAML at line \d+, column \d+"):
        read_yaml(f)
    f.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="top level must be a mapping"):
        read_yaml(f)


def test_a_key_given_twice_in_one_mapping_is_refused(tmp_path: Path) -> None:
    # YAML keeps the last of two equal keys: a new label "appendix.bands" silently replaced
    # the score bands' heading in the methods appendix
    f = tmp_path / "twice.yaml"
    f.write_text("labels:\n  a.b: {th: x, en: x}\n  c: {th: y, en: y}\n  a.b: {th: z, en: z}\n",
                 encoding="utf-8")
    with pytest.raises(ParamsError,
                       match=r"twice.yaml is not valid YAML at line 4, column 3: the key 'a.b' "
                             r"is given twice"):
        read_yaml(f)
    # the same key in two mappings, anchors and merges are as YAML reads them
    f.write_text("a: {k: 1}\nb: {k: 2}\nbase: &base {k: 3}\nc:\n  <<: *base\n  j: 4\n",
                 encoding="utf-8")
    assert read_yaml(f)["c"] == {"k": 3, "j": 4}


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    f = tmp_path / "t.yaml"
    f.write_text("value: high\nextra: 1\n", encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        load(f, parse_threshold)
    assert str(err.value) == "t.yaml: value must be a number; extra is not a known key"


def test_parsed_once_per_file_version(tmp_path: Path) -> None:
    f = tmp_path / "t.yaml"
    f.write_text("value: 1\n", encoding="utf-8")
    first = load(f, parse_threshold)
    assert load(f, parse_threshold) is first  # same version: the same frozen object
    f.write_text("value: 22\n", encoding="utf-8")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert load(f, parse_threshold).value == 22.0  # an edited file is read again


def test_missing_files_and_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading goes by one stat call a file; a missing name, a folder and a relative path that
    means another file from another working directory are each told apart."""
    with pytest.raises(ParamsError, match=r"params file .*no_such_rules.yaml does not exist"):
        load("no_such_rules", parse_threshold)
    with pytest.raises(ParamsError, match="does not exist"):
        read_yaml("no_such_rules")
    with pytest.raises(ParamsError, match="does not exist"):  # no such name can exist
        load("no\x00such", parse_threshold)
    (tmp_path / "folder.yaml").mkdir()
    with pytest.raises(ParamsError, match="folder.yaml does not exist"):
        load(tmp_path / "folder.yaml", parse_threshold)
    for sub, value in (("a", 1), ("b", 2)):
        (tmp_path / sub / "rules").mkdir(parents=True)
        f = tmp_path / sub / "rules" / "t.yaml"
        f.write_text(f"value: {value}\n", encoding="utf-8")
        os.utime(f, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))  # one version
    monkeypatch.chdir(tmp_path / "a")
    assert load("rules/t.yaml", parse_threshold).value == 1.0
    monkeypatch.chdir(tmp_path / "b")
    assert load("rules/t.yaml", parse_threshold).value == 2.0  # not the first folder's file


def test_links_are_read_as_the_system_reads_them(tmp_path: Path) -> None:
    """A path through a symbolic link means its target ("link/../t.yaml" is the target's
    parent's file), and a link pointed at another file of the same time and size is read
    again (a code review found both wrong in a first version of the one-stat lookup)."""
    stamp = 1_700_000_000_000_000_000
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "t.yaml").write_text("value: 1\n", encoding="utf-8")
    (tmp_path / "t.yaml").write_text("value: 2\n", encoding="utf-8")  # a decoy
    (tmp_path / "link").symlink_to(tmp_path / "real" / "sub")
    assert load(tmp_path / "link" / ".." / "t.yaml", parse_threshold).value == 1.0
    for name, value in (("a.yaml", 22), ("b.yaml", 23)):
        (tmp_path / name).write_text(f"value: {value}\n", encoding="utf-8")
        os.utime(tmp_path / name, ns=(stamp, stamp))
    link = tmp_path / "rules.yaml"
    link.symlink_to(tmp_path / "a.yaml")
    assert load(link, parse_threshold).value == 22.0
    link.unlink()
    link.symlink_to(tmp_path / "b.yaml")
    assert load(link, parse_threshold).value == 23.0
    assert read_yaml(link)["value"] == 23


def test_rules_fingerprint_tells_edited_rules_and_other_schemes_apart(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three reports of one tambon under the default scheme, an edited copy of it and a
    scheme file of one's own said 48%, 62% and 31% at level 1 with the same provenance line."""
    import shutil

    from abcresearch.params import rules_fingerprint
    from abcresearch.paths import params_dir

    base = rules_fingerprint()
    assert len(base) == 12 and rules_fingerprint() == base
    own = tmp_path / "mine.yaml"
    shutil.copy(params_dir() / "scoring.yaml", own)
    first = rules_fingerprint(own)  # a scheme file of one's own counts too
    assert first != base
    own.write_text(own.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert rules_fingerprint(own) not in (base, first)
    assert rules_fingerprint(params_dir() / "scoring.yaml") == base  # inside params/
    copy = tmp_path / "params"
    shutil.copytree(params_dir(), copy)
    monkeypatch.setenv("ABCRESEARCH_PARAMS", str(copy))
    assert rules_fingerprint() == base  # an identical copy
    grades = copy / "grades.yaml"
    grades.write_text(grades.read_text(encoding="utf-8").replace("value: 0.4", "value: 0.5", 1),
                      encoding="utf-8")
    os.utime(grades, (grades.stat().st_atime, grades.stat().st_mtime + 5))
    assert rules_fingerprint() != base
