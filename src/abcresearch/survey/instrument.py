"""The survey instrument: XLSForms in ``params/instrument/`` read into a codebook.

The XLSForms are the single source of truth for question names, types, choice lists, Thai and
English labels, required answers, constraints and skip logic. Two custom columns carry what the
toolkit needs beyond XLSForm: ``capital`` (which of the seven capitals an item measures) and
``personal`` (``name``, ``national_id``, ``phone`` or ``sensitive``). Forms are kept as Markdown
XLSForms, which diff well and which pyxform reads directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from abcresearch.errors import ParamsError
from abcresearch.paths import cache_dir, params_dir

#: Changes when what is cached per form changes (old entries are then ignored).
FORM_CACHE_FORMAT = "pyxform-json-1"

#: Form files by form id, relative to ``params/instrument``.
FORM_FILES = {"household": "household.md", "village": "village.md"}

#: pyxform's internal type names mapped back to XLSForm names.
_TYPE_NAMES = {"select one": "select_one", "select all that apply": "select_multiple"}

#: Repeat groups and the store table their rows go to.
REPEAT_TABLES = {"member": "members"}

#: Personal-data classes that never reach the analysis store in clear.
IDENTIFYING = ("name", "national_id", "phone")

_RANGE_RE = re.compile(r"^\s*\.\s*(>=|>)\s*(-?[0-9.]+)\s+and\s+\.\s*(<=|<)\s*(-?[0-9.]+)\s*$")
_REGEX_RE = re.compile(r"^\s*regex\(\s*\.\s*,\s*'(.*)'\s*\)\s*$")
_EQUALS_RE = re.compile(r"^\s*\.\s*=\s*'([^']*)'\s*$")
_RELEVANT_RE = re.compile(r"^\s*\$\{(\w+)\}\s*=\s*'([^']*)'\s*$")


@dataclass(frozen=True)
class Form:
    """One parsed XLSForm.

    Attributes
    ----------
    form_id : str
        The form id from the settings sheet (``abc_household``, ``abc_village``).
    title : str
        The form title.
    version : str
        The form version.
    path : Path
        The Markdown XLSForm it was read from.
    codebook : pandas.DataFrame
        One row per question (see :func:`codebook`).
    choices : Mapping
        ``list_name`` -> DataFrame with ``name``, ``label_th``, ``label_en`` (read-only: a
        form is kept for the process).
    """

    form_id: str
    title: str
    version: str
    path: Path
    codebook: pd.DataFrame = field(repr=False)
    choices: Mapping[str, pd.DataFrame] = field(repr=False)


def _labels(label: Any) -> tuple[str, str]:
    if isinstance(label, dict):
        th = next((v for k, v in label.items() if "(th)" in k), "")
        en = next((v for k, v in label.items() if "(en)" in k), "")
        return th, en
    return (label or ""), (label or "")


def _parse_constraint(expr: str) -> dict[str, Any]:
    """Turn the whitelisted constraint shapes into min/max/regex/equals rules."""
    out: dict[str, Any] = {"min": None, "max": None, "min_inclusive": True, "max_inclusive": True,
                           "regex": None, "equals": None}
    if not expr:
        return out
    if m := _RANGE_RE.match(expr):
        out.update(min=float(m[2]), max=float(m[4]), min_inclusive=m[1] == ">=",
                   max_inclusive=m[3] == "<=")
    elif m := _REGEX_RE.match(expr):
        out["regex"] = m[1]
    elif m := _EQUALS_RE.match(expr):
        out["equals"] = m[1]
    else:
        raise ParamsError(f"constraint {expr!r} is not one of the shapes abcresearch can check "
                          "('. >= a and . <= b', regex(., '...'), . = 'value')")
    return out


def _parse_relevant(expr: str) -> tuple[str | None, str | None]:
    if not expr:
        return None, None
    if m := _RELEVANT_RE.match(expr):
        return m[1], m[2]
    raise ParamsError(f"relevant {expr!r} is not of the shape ${{question}} = 'value'")


def _walk(children: list[dict[str, Any]], path: tuple[str, ...], table: str,
          rows: list[dict[str, Any]]) -> None:
    for child in children:
        ctype = _TYPE_NAMES.get(child["type"], child["type"])
        if ctype == "group":
            _walk(child.get("children", []), (*path, child["name"]), table, rows)
            continue
        if ctype == "repeat":
            _walk(child.get("children", []), (*path, child["name"]),
                  REPEAT_TABLES.get(child["name"], child["name"]), rows)
            continue
        if child["name"] in ("meta", "instanceID") or ctype in ("note",):
            continue
        bind = child.get("bind", {})
        th, en = _labels(child.get("label"))
        constraint = bind.get("constraint", "")
        rel_q, rel_v = _parse_relevant(bind.get("relevant", ""))
        row = {
            "name": child["name"],
            "table": table,
            "group": "/".join(path),
            "header": "/".join((*path, child["name"])),
            "type": ctype,
            "list_name": child.get("list_name"),
            "required": bind.get("required", "") in ("yes", "true()", True),
            "constraint": constraint,
            "relevant": bind.get("relevant", ""),
            "relevant_question": rel_q,
            "relevant_value": rel_v,
            "capital": child.get("capital") or None,
            "personal": child.get("personal") or None,
            "label_th": th,
            "label_en": en,
        }
        row.update(_parse_constraint(constraint))
        rows.append(row)


def form_cache_dir() -> Path:
    """Return the folder of parsed-form files (``forms`` in :func:`abcresearch.paths.cache_dir`).

    pyxform takes about a second to import and parse the two forms, which every new process
    (a command, a kernel, a test worker) would pay; its output for a form file is kept as JSON
    under a name made of the file's name and bytes and pyxform's version, so an edited form or
    another pyxform is parsed again.
    """
    return cache_dir() / "forms"


def _parse_with_pyxform(path: Path) -> dict[str, Any]:
    """Return pyxform's JSON for a form file, from the parsed-form cache when it has it."""
    from importlib.metadata import version

    data = path.read_bytes()
    key = hashlib.sha256(b"\0".join([path.name.encode(), version("pyxform").encode(),
                                       FORM_CACHE_FORMAT.encode(), data])).hexdigest()
    cached = form_cache_dir() / f"{key}.json"
    try:
        parsed = json.loads(cached.read_text(encoding="utf-8"))
        if isinstance(parsed, dict):
            return parsed
    except (OSError, ValueError):
        pass  # not cached yet, unreadable or damaged: parse again
    from pyxform import xls2json

    warnings: list[str] = []
    try:
        parsed = xls2json.parse_file_to_json(str(path), warnings=warnings)
    except Exception as exc:  # pyxform raises its own PyXFormError and plain errors
        raise ParamsError(f"{path.name}: pyxform rejected the form: {exc}") from exc
    try:  # whole or not at all: written beside, then renamed (concurrent writers agree)
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".form-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(parsed, fh, ensure_ascii=False)
        os.replace(tmp, cached)
    except OSError:  # a read-only home: no cache, parse every time
        pass
    return parsed


def _read_form(path: Path, main_table: str) -> Form:
    if not path.exists():
        raise ParamsError(f"instrument form {path} does not exist")
    parsed = _parse_with_pyxform(path)
    rows: list[dict[str, Any]] = []
    _walk(parsed["children"], (), main_table, rows)
    codebook = pd.DataFrame(rows)
    dup = codebook["name"][codebook["name"].duplicated()]
    if len(dup):
        raise ParamsError(f"{path.name}: question names must be unique across the form: "
                          f"{sorted(set(dup))}")
    choices = {
        name: pd.DataFrame(
            [{"name": str(c["name"]), "label_th": _labels(c.get("label"))[0],
              "label_en": _labels(c.get("label"))[1]} for c in items]
        )
        for name, items in parsed.get("choices", {}).items()
    }
    unknown = set(codebook["list_name"].dropna()) - set(choices)
    if unknown:
        raise ParamsError(f"{path.name}: choice lists {sorted(unknown)} are not defined")
    return Form(form_id=parsed.get("id_string", path.stem), title=parsed.get("title", ""),
                version=str(parsed.get("version", "")), path=path, codebook=codebook,
                choices=MappingProxyType(choices))


@lru_cache(maxsize=8)
def _load_form_cached(form: str, directory: str,
                      stamp: tuple[int, int, int, int, int] | None) -> Form:
    main_table = {"household": "households", "village": "villages"}[form]
    return _read_form(Path(directory) / FORM_FILES[form], main_table)


def _form_stamp(path: Path) -> tuple[int, int, int, int, int] | None:
    """Return ``(mtime, ctime, size, device, inode)`` of a form file (None if missing): its key.

    An edited form, or another file put in its place, is read again (the change time tells an
    edit that kept the size and set the old modification time back, as ``cp -p`` does); the same
    file is read once per process, not once per report (the cache is kept between notebooks run
    in one process).
    """
    try:
        st = path.stat()
    except OSError:
        return None  # _read_form says the form does not exist
    return st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_dev, st.st_ino


def form_paths(directory: Path | None = None) -> list[Path]:
    """Return the files of the instrument's forms (``params/instrument`` by default), in order.

    What scoring reads besides the scheme (the forms' choice lists): results cached from scores
    (the round's analysis, the small-area estimates) hash these files in their keys.
    """
    folder = directory or params_dir() / "instrument"
    return [Path(folder) / FORM_FILES[form] for form in sorted(FORM_FILES)]


def load_form(form: str = "household", directory: Path | None = None) -> Form:
    """Load one XLSForm of the instrument.

    Parameters
    ----------
    form : {"household", "village"}
        Which form.
    directory : Path, optional
        Folder holding the forms; ``params/instrument`` by default.

    Returns
    -------
    Form
        The parsed form with its codebook and choice lists.
    """
    if form not in FORM_FILES:
        raise ParamsError(f"unknown form {form!r}; expected one of {sorted(FORM_FILES)}")
    folder = Path(directory or params_dir() / "instrument").resolve()
    return _load_form_cached(form, str(folder), _form_stamp(folder / FORM_FILES[form]))


def codebook(table: str | None = None, directory: Path | None = None) -> pd.DataFrame:
    """Return the codebook of the whole instrument, or of one table.

    Parameters
    ----------
    table : {"households", "members", "villages"}, optional
        Restrict to the questions stored in that table.
    directory : Path, optional
        Folder holding the forms.

    Returns
    -------
    pandas.DataFrame
        One row per question with ``name, table, group, header, type, list_name, required,
        constraint, relevant, relevant_question, relevant_value, capital, personal, label_th,
        label_en, min, max, min_inclusive, max_inclusive, regex, equals``.
    """
    frames = [load_form(f, directory).codebook for f in FORM_FILES]
    cb = pd.concat(frames, ignore_index=True)
    if table is not None:
        cb = cb[cb["table"] == table].reset_index(drop=True)
    return cb


def choices(list_name: str, form: str = "household", directory: Path | None = None) -> pd.DataFrame:
    """Return a choice list (``name``, ``label_th``, ``label_en``)."""
    lists = load_form(form, directory).choices
    if list_name not in lists:
        raise ParamsError(f"choice list {list_name!r} is not in the {form} form")
    # a frame of its own (sharing the data until written to): the form is kept for the process
    return lists[list_name].copy(deep=False)


def capital_items(directory: Path | None = None) -> dict[str, list[str]]:
    """Return the household items of each capital, in form order."""
    cb = codebook("households", directory)
    cb = cb[cb["capital"].notna()]
    return {cap: list(g["name"]) for cap, g in cb.groupby("capital", sort=False)}


# kept between notebooks run in one process (batch.kernel_state.reset): keyed by the form
# file's identity, and what it holds is read, never changed, by its callers
_load_form_cached.cache_safe = True  # type: ignore[attr-defined]
