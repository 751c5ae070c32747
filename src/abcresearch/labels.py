"""The one place user-facing text comes from, in Thai and English.

Texts live in ``params/labels.yaml`` and in the topic files ``params/labels/*.yaml`` (one per
part of the reports, so that adding a section adds a file), keyed by stable English ids; code asks
for ``label(key, lang)``. A key defined twice is an error. Scheme-specific labels (capitals, levels,
tracks) come from the scheme's own params file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from abcresearch.errors import ParamsError
from abcresearch.params import read_yaml
from abcresearch.paths import params_dir

LANGS = ("th", "en")


def _read(p: Path) -> dict[str, dict[str, str]]:
    table = read_yaml(p).get("labels", {}) or {}
    problems = [f"{k}: missing {lang}" for k, v in table.items() for lang in LANGS
                if not isinstance(v, dict) or not v.get(lang)]
    if problems:
        raise ParamsError(f"{p.name}: " + "; ".join(problems))
    return table


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, dict[str, str]]:
    p = Path(path)
    if not p.exists():
        raise ParamsError(f"label file {p} does not exist")
    table = dict(_read(p))
    topic_dir = p.with_suffix("")  # params/labels.yaml -> params/labels/
    if topic_dir.is_dir():
        for f in sorted(topic_dir.glob("*.yaml")):
            for key, value in _read(f).items():
                if key in table:
                    raise ParamsError(f"label {key!r} is defined twice ({f.name} and "
                                      f"another label file)")
                table[key] = value
    return table


def labels(path: Path | None = None) -> dict[str, dict[str, str]]:
    """Return the whole label table ``{key: {"th": ..., "en": ...}}``.

    Parameters
    ----------
    path : Path, optional
        The main label file (default ``params/labels.yaml``); topic files are read from the
        folder of the same name beside it.
    """
    return _load(str(path or params_dir() / "labels.yaml"))


def label(key: str, lang: str = "th", **fields: Any) -> str:
    """Return the text for ``key`` in ``lang``, with ``{field}`` placeholders filled.

    Parameters
    ----------
    key : str
        Stable English id, e.g. ``"section.findings"``.
    lang : {"th", "en"}
        Language.
    **fields
        Values for placeholders in the text.

    Raises
    ------
    ParamsError
        If the key or language is unknown.
    """
    if lang not in LANGS:
        raise ParamsError(f"language {lang!r} is not supported; use one of {LANGS}")
    table = labels()
    if key not in table:
        raise ParamsError(f"no label {key!r} in params/labels.yaml")
    text = table[key][lang]
    return text.format(**fields) if fields else text
