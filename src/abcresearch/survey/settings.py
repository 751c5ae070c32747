"""The ingest rules of ``params/ingest.yaml`` as one frozen dataclass, read once per file version.

Thresholds that are not rules of single cells: how many malformed rows make a file unreadable,
when a table looks cut short, which columns a re-submitted household may differ in, the minimum
pseudonym-key length, how names are searched when masking, and how many old versions of a round
the store keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from abcresearch.params import Problems, load

#: The params file of the ingest rules.
SETTINGS_FILE = "ingest"


#: Questions whose unusable answer always rejects the row: the village (weights, areas), consent,
#: and the head of household (the pseudonym key of the household).
ALWAYS_REJECTED = frozenset({"village_code", "consent", "head_name", "head_pid"})


@dataclass(frozen=True)
class IngestSettings:
    """Rules of ``params/ingest.yaml`` (see the comments in that file)."""

    malformed_max_share: float
    malformed_always_allowed: int
    malformed_list: int
    rejected_max_share: float
    rejected_always_allowed: int
    truncation_min_rows: int
    resubmission_ignore: tuple[str, ...]
    answers_kept_when_unusable: tuple[str, ...]
    answers_kept_with_frame: tuple[str, ...]
    answers_blank_with_gate: tuple[str, ...]
    answers_zero_words: tuple[str, ...]
    key_min_bytes: int
    key_fingerprint_hex: int
    max_name_words: int
    keep_previous_versions: int
    path: Path


def _get(raw: Mapping[str, Any], section: str, key: str, kind: type, problems: Problems,
         lo: float | None = None, hi: float | None = None) -> Any:
    sec = raw.get(section)
    value = sec.get(key) if isinstance(sec, Mapping) else None
    where = f"{section}.{key}"
    if value is None:
        problems.add(where, "is missing")
        return kind()
    try:
        value = kind(value)
    except (TypeError, ValueError):
        problems.add(where, f"must be a {kind.__name__}, found {value!r}")
        return kind()
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = (f"between {lo} and {hi}" if lo is not None and hi is not None
                  else f"at least {lo}" if lo is not None else f"at most {hi}")
        problems.add(where, f"must be {bounds}, found {value!r}")
    return value



def _question_list(answers: Any, key: str, pr: Problems, rejected_ok: bool = False
                   ) -> list[str]:
    """Return ``answers.<key>``, a list of question names, adding a problem if it is not one.

    Unless ``rejected_ok``, the questions that always reject their row (:data:`ALWAYS_REJECTED`:
    no usable village, consent or head of household) cannot be listed: they are named as a
    problem and left out.
    """
    names = answers.get(key, []) if isinstance(answers, Mapping) else []
    if not isinstance(names, list) or not all(isinstance(c, str) for c in names):
        pr.add(f"answers.{key}", "must be a list of question names")
        return []
    if not rejected_ok and (refused := sorted(set(names) & ALWAYS_REJECTED)):
        pr.add(f"answers.{key}",
               f"cannot list {', '.join(refused)}: a row without a usable village, consent or "
               "head of household is always rejected")
        names = [c for c in names if c not in ALWAYS_REJECTED]
    return names

def parse_ingest_settings(raw: Mapping[str, Any], path: Path) -> IngestSettings:
    """Check the ingest rules (a parser for :func:`abcresearch.params.load`).

    Parameters
    ----------
    raw : Mapping
        The file's top-level mapping.
    path : Path
        The file (kept in :attr:`IngestSettings.path`; its name starts the error message).

    Returns
    -------
    IngestSettings

    Raises
    ------
    ParamsError
        A value is missing or out of range (all listed).
    """
    pr = Problems(path)
    resubmission = raw.get("resubmission")
    ignore = resubmission.get("ignore_columns", []) if isinstance(resubmission, Mapping) else []
    if not isinstance(ignore, list) or not all(isinstance(c, str) for c in ignore):
        pr.add("resubmission.ignore_columns", "must be a list of column names")
        ignore = []
    answers = raw.get("answers")
    kept = _question_list(answers, "kept_when_unusable", pr)
    framed = _question_list(answers, "kept_with_frame", pr)
    with_gate = _question_list(answers, "blank_with_their_gate", pr, rejected_ok=True)
    zero = answers.get("zero_words", []) if isinstance(answers, Mapping) else []
    if not isinstance(zero, list) or not all(isinstance(c, str) and c.strip() for c in zero):
        pr.add("answers.zero_words", "must be a list of words")
        zero = []
    out = IngestSettings(
        malformed_max_share=_get(raw, "malformed_rows", "max_share", float, pr, 0, 1),
        malformed_always_allowed=_get(raw, "malformed_rows", "always_allowed", int, pr, 0),
        malformed_list=_get(raw, "malformed_rows", "list_in_summary", int, pr, 1),
        rejected_max_share=_get(raw, "rejected_rows", "max_share", float, pr, 0, 1),
        rejected_always_allowed=_get(raw, "rejected_rows", "always_allowed", int, pr, 0),
        truncation_min_rows=_get(raw, "truncation", "min_rows", int, pr, 1),
        resubmission_ignore=tuple(ignore),
        answers_kept_when_unusable=tuple(kept),
        answers_kept_with_frame=tuple(framed),
        answers_blank_with_gate=tuple(with_gate),
        answers_zero_words=tuple(w.strip() for w in zero),
        key_min_bytes=_get(raw, "pseudonym_key", "min_bytes", int, pr, 16),
        key_fingerprint_hex=_get(raw, "pseudonym_key", "fingerprint_hex", int, pr, 8, 64),
        max_name_words=_get(raw, "masking", "max_name_words", int, pr, 1, 10),
        keep_previous_versions=_get(raw, "store", "keep_previous_versions", int, pr, 0),
        path=path,
    )
    pr.raise_if_any()
    return out


def ingest_settings(path: Path | None = None) -> IngestSettings:
    """Return the rules of ``params/ingest.yaml`` (re-read only when the file changes).

    Parameters
    ----------
    path : Path, optional
        Another rules file (default ``params/ingest.yaml``).

    Returns
    -------
    IngestSettings

    Raises
    ------
    ParamsError
        The file is missing, not YAML, or a value is missing or out of range (all listed).
    """
    return load(SETTINGS_FILE if path is None else Path(path).absolute(), parse_ingest_settings)
