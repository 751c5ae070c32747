"""The ingest rules of ``params/ingest.yaml`` as one frozen dataclass, read once per file version.

Thresholds that are not rules of single cells: how many malformed rows make a file unreadable,
when a table looks cut short, which columns a re-submitted household may differ in, the minimum
pseudonym-key length, how names are searched when masking, and how many old versions of a round
the store keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from abcresearch.errors import ParamsError
from abcresearch.paths import params_dir


@dataclass(frozen=True)
class IngestSettings:
    """Rules of ``params/ingest.yaml`` (see the comments in that file)."""

    malformed_max_share: float
    malformed_always_allowed: int
    malformed_list: int
    truncation_min_rows: int
    resubmission_ignore: tuple[str, ...]
    key_min_bytes: int
    key_fingerprint_hex: int
    max_name_words: int
    keep_previous_versions: int
    path: Path


def _get(raw: dict[str, Any], section: str, key: str, kind: type, problems: list[str],
         lo: float | None = None, hi: float | None = None) -> Any:
    sec = raw.get(section)
    value = sec.get(key) if isinstance(sec, dict) else None
    if value is None:
        problems.append(f"{section}.{key} is missing")
        return kind()
    try:
        value = kind(value)
    except (TypeError, ValueError):
        problems.append(f"{section}.{key} must be a {kind.__name__}, found {value!r}")
        return kind()
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        problems.append(f"{section}.{key} must be between {lo} and {hi}, found {value!r}")
    return value


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int, size: int) -> IngestSettings:
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ParamsError(f"{p.name} cannot be read: {exc}") from None
    if not isinstance(raw, dict):
        raise ParamsError(f"{p.name}: the top level must be a mapping")
    problems: list[str] = []
    ignore = (raw.get("resubmission") or {}).get("ignore_columns", [])
    if not isinstance(ignore, list) or not all(isinstance(c, str) for c in ignore):
        problems.append("resubmission.ignore_columns must be a list of column names")
        ignore = []
    out = IngestSettings(
        malformed_max_share=_get(raw, "malformed_rows", "max_share", float, problems, 0, 1),
        malformed_always_allowed=_get(raw, "malformed_rows", "always_allowed", int, problems, 0),
        malformed_list=_get(raw, "malformed_rows", "list_in_summary", int, problems, 1),
        truncation_min_rows=_get(raw, "truncation", "min_rows", int, problems, 1),
        resubmission_ignore=tuple(ignore),
        key_min_bytes=_get(raw, "pseudonym_key", "min_bytes", int, problems, 16),
        key_fingerprint_hex=_get(raw, "pseudonym_key", "fingerprint_hex", int, problems, 8, 64),
        max_name_words=_get(raw, "masking", "max_name_words", int, problems, 1, 10),
        keep_previous_versions=_get(raw, "store", "keep_previous_versions", int, problems, 0),
        path=p,
    )
    if problems:
        raise ParamsError(f"{p.name}: " + "; ".join(problems))
    return out


def ingest_settings(path: Path | None = None) -> IngestSettings:
    """Return the rules of ``params/ingest.yaml`` (re-read only when the file changes).

    Raises
    ------
    ParamsError
        The file is missing, not YAML, or a value is missing or out of range (all listed).
    """
    p = Path(path) if path is not None else params_dir() / "ingest.yaml"
    try:
        st = p.stat()
    except OSError:
        raise ParamsError(f"params file {p} does not exist") from None
    return _load(str(p.resolve()), st.st_mtime_ns, st.st_size)
