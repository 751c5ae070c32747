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
