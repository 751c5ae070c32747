"""Whether an executed notebook may become a report: it shows no personal data.

The reports' own sections read the analysis store, where names, national IDs and phone
numbers never arrive in clear (they are dropped or pseudonymised at ingest). A researcher's own
cell may read the raw exports, though (``pd.read_csv("../data/raw/...")``), and a PDF made of
that notebook would print them. :func:`check_publishable` refuses such a notebook, in one
sentence in both languages (the exporter does not know its reader's), before anything is
written: the Thai PDF exporter of JupyterLab and ``jupyter nbconvert``, and ``abcresearch
report`` / ``batch`` for every notebook they run.

What counts as personal data is what :func:`abcresearch.survey.pseudonyms.find_personal_data`
finds (national IDs with a valid check digit, Thai phone numbers), in a cell's source and in
every output but images, and, in outputs, the instrument's identifying questions
(``personal: name | national_id | phone`` in ``params/instrument/``) as column names, such as
``hh/head_name``. A name typed without its column cannot be told from any other Thai word.

Like :mod:`abcresearch.reports.render.pdf`, this module imports neither pandas nor nbconvert
up front: a report's outputs are first searched for a run of nine digits or an identifying
column's name, and only a cell that has one is looked at closely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from abcresearch.errors import PersonalDataError

__all__ = ["PersonalDataError", "check_publishable", "personal_data_in"]

_DIGIT_RUN = re.compile(r"[0-9\u0e50-\u0e59+][0-9\u0e50-\u0e59 +\-]{8,}")
"""Nine or more digits (Thai ones too), spaces, dashes or a plus: where an ID or phone may be."""

_ID_OR_PHONE_SHAPE = re.compile(
    r"[0-9\u0e50-\u0e59]{9}|[0-9][- ][0-9]{4}[- ][0-9]{5}"
    r"|0[0-9]{1,2}[- ][0-9]{3,4}[- ]?[0-9]{3,4}|\+66")
"""Within such a run, the shapes of a national ID or a phone number as written (nine digits
together, the card's 1-4-5 groups, a phone's 0x(x)-xxx(x)-xxx(x)): a table's row of small numbers
("70 70 0 0 140") has none, and is not searched further."""

_FIELD_HINTS = ("_name", "_pid", "phone")
"""Substrings of the identifying questions' names (checked before the instrument is read)."""

_SKIPPED_MIME = ("image/", "application/pdf")
_OWN_MIMES = ("application/vnd.abcresearch.typst", "application/vnd.abcresearch.table+json")
"""The reports' own renderings: where an output has one, its HTML (made from the same table)
is not searched again."""


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return json.dumps(value, ensure_ascii=False)


def _output_texts(output: Mapping[str, Any]) -> Iterator[tuple[str, bool]]:
    """Yield each text of an output, and whether it may show a table's column names.

    A traceback may name an identifying column (``KeyError: 'head_name'``) without showing its
    values: only IDs and phones are looked for in it.
    """
    if "text" in output:  # a stream
        yield _text(output["text"]), True
    if "traceback" in output:
        yield _text(output["traceback"]), False
    data = output.get("data") or {}
    own = any(m in data for m in _OWN_MIMES)
    for mime, value in data.items():
        if mime.startswith(_SKIPPED_MIME) or (own and mime == "text/html"):
            continue
        yield _text(value), True


def _identifying_columns() -> re.Pattern[str]:
    """Return a pattern of the identifying questions as column names (``hh/head_name``).

    Read each time (the codebook is cached per file version, the pattern by :mod:`re`): a
    running Jupyter server sees an edited instrument.
    """
    from abcresearch.survey.instrument import IDENTIFYING, codebook

    cb = codebook()
    names = sorted(set(cb.loc[cb["personal"].isin(IDENTIFYING), "name"]), key=len, reverse=True)
    plain = [re.escape(n) for n in names if "_" in n]
    # a bare word ("phone") is a column only in its group's path ("hh/phone", ODK Central's
    # "hh-phone"): prose says it
    grouped = [re.escape(n) for n in names if "_" not in n]
    parts = []
    if plain:
        parts.append(r"(?<![\w/])(?:\w+[/-])*(?:" + "|".join(plain) + r")(?!\w)")
    if grouped:
        parts.append(r"(?<![\w/-])(?:\w+[/-])+(?:" + "|".join(grouped) + r")(?!\w)")
    return re.compile("|".join(parts) if parts else r"(?!x)x")


def _findings(text: str, *, columns: bool) -> list[str]:
    found: list[str] = []
    if any(_ID_OR_PHONE_SHAPE.search(m.group(0)) for m in _DIGIT_RUN.finditer(text)):
        from abcresearch.survey.pseudonyms import find_personal_data

        found += find_personal_data(text)
    if columns and any(h in text for h in _FIELD_HINTS):
        found += [f"column {m.group(0)}" for m in _identifying_columns().finditer(text)]
    return found


def personal_data_in(nb: Mapping[str, Any]) -> list[tuple[int, list[str]]]:
    """Return the cells that show personal data, and what each shows (masked).

    Parameters
    ----------
    nb : mapping
        The notebook.

    Returns
    -------
    list of (int, list of str)
        The cell's number, counted from 1 at the top of the notebook, and what was found in it
        (``"national ID …04"``, ``"phone number …78"``, ``"column hh/head_name"``), in order.
    """
    out: list[tuple[int, list[str]]] = []
    for number, cell in enumerate(nb.get("cells", []), start=1):
        found = _findings(_text(cell.get("source", "")), columns=False)
        for output in cell.get("outputs") or []:
            for text, columns in _output_texts(output):
                found += _findings(text, columns=columns)
        if found:
            out.append((number, list(dict.fromkeys(found))))
    return out


def _which(lang: str, name: str | None) -> str:
    from abcresearch.labels import label

    return (label("notebook.not_run.named", lang, name=name) if name
            else label("notebook.not_run.this", lang))


_KINDS = {"national ID": "notebook.personal.national_id", "phone number": "notebook.personal.phone",
          "column": "notebook.personal.column"}
"""What :func:`personal_data_in` says it found, and the label of each kind."""


def _what(lang: str, found: list[str], limit: int = 3) -> str:
    """Say what a cell shows in ``lang``: ``"national ID …04"`` -> ``"เลขประจำตัวประชาชน …04"``."""
    from abcresearch.labels import label

    shown = []
    for item in found[:limit]:
        kind = next((k for k in _KINDS if item.startswith(k + " ")), None)
        shown.append(item if kind is None else label(_KINDS[kind], lang) + item[len(kind):])
    if len(found) > limit:
        shown.append(label("notebook.personal.more", lang, n=len(found) - limit))
    return ", ".join(shown)


def _numbered(cell: int, nb: Mapping[str, Any], numbered_as: Mapping[str, Any] | None) -> int:
    """Return the number of ``nb``'s cell ``cell`` in ``numbered_as``.

    The cell is found by its id, or, in a notebook without ids (nbformat before 4.5), as the
    first cell of the same kind and source.
    """
    if numbered_as is None:
        return cell
    mine = nb.get("cells", [])[cell - 1] or {}
    others = list(enumerate(numbered_as.get("cells", []), start=1))
    if mine.get("id") is not None:
        for number, other in others:
            if other.get("id") == mine["id"]:
                return number
    # cells without ids (nbformat before 4.5): the first of the same kind and source
    for number, other in others:
        if (other.get("cell_type"), _text(other.get("source", ""))) == (
                mine.get("cell_type"), _text(mine.get("source", ""))):
            return number
    return cell


def check_publishable(nb: Mapping[str, Any], name: str | None = None,
                      numbered_as: Mapping[str, Any] | None = None) -> None:
    """Raise if a cell of the notebook shows personal data.

    Parameters
    ----------
    nb : mapping
        The executed notebook (as it will be typeset).
    name : str, optional
        Its file name, for the message.
    numbered_as : mapping, optional
        The notebook as its user sees it, when ``nb`` has cells that one has not (the
        exporter's preprocessors removed some; papermill added its parameters cell): a cell is
        named by its place there.

    Raises
    ------
    PersonalDataError
        A cell shows a national ID, a phone number or an identifying column (the first such
        cell is named, with what it shows, masked).
    """
    from abcresearch.labels import label

    shown = personal_data_in(nb)
    if shown:
        cell, found = shown[0]
        cell = _numbered(cell, nb, numbered_as)

        def personal_said(lang: str) -> str:
            return label("notebook.personal_data", lang, which=_which(lang, name), cell=cell,
                         what=_what(lang, found))

        raise PersonalDataError(f"{personal_said('en')} · {personal_said('th')}")
