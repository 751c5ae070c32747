"""Validate survey exports against the instrument; every failure at once, as one table.

Two stages, as pandera's coercion trap requires (see ``docs`` and ``ecosystem.md`` section 4.2):

1. :func:`parse_types` turns text into typed columns (Thai digits, thousands separators,
   ``บาท``, Buddhist-era dates). An unparsable cell becomes NA and a ``type:*`` failure.
2. :func:`check_rules` applies the codebook rules to the typed frame: ``required`` (only when
   relevant; ``item_missing`` for a blank capital item, a warning), ``range``, ``regex``,
   ``equals``, ``choice``/``choice_none``, ``not_relevant``, (an answer to a capital item, or
   to a question ``params/ingest.yaml`` lists under ``answers.kept_when_unusable``, that
   breaks its type, range or list is ``item_type``, ``item_range``, ``item_choice`` or
   ``item_choice_none``, a warning: the answer becomes NA, not answered, and the household is
   kept; so does a follow-up listed under ``answers.blank_with_their_gate`` whose gate answer
   was left blank so, ``item_gate_unusable``),
   ``national_id_checksum``, ``unknown_area``; :func:`validate` adds the table rules
   ``unique_id`` (an exact copy of a row: ``duplicate_copy``, the first kept),
   ``duplicate_village``, ``orphan_member``, ``parent_rejected``, ``hh_size_roster`` and
   ``village_missing``.

Rules, severities and their English and Thai messages live in ``params/validation_rules.yaml``.
A rule of severity ``error`` rejects the row; ``warning`` keeps it. The checks are vectorised
(most work on the distinct values of a column), so a province of a million rows validates in
seconds; :func:`schema` gives the same contract as a pandera schema for the stored tables.

The failure table has the columns :data:`ISSUE_COLUMNS`; values of personal columns are masked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abcresearch.errors import ParamsError
from abcresearch.labels import label_in, labels
from abcresearch.params import Problems, load
from abcresearch.survey import areas
from abcresearch.survey.instrument import choices as instrument_choices
from abcresearch.survey.instrument import codebook as instrument_codebook
from abcresearch.survey.pseudonyms import MASKED, normalise_pid, pid_is_valid
from abcresearch.survey.textops import THAI_DIGITS, isin, matches

if TYPE_CHECKING:
    import pandera.pandas as pandera

#: Columns of the failure table.
ISSUE_COLUMNS = ["table", "file", "row", "column", "value", "rule", "severity", "message",
                 "message_th", "submission_uuid", "amphoe_code", "tambon_code", "index"]

#: Store table -> instrument form.
FORMS = {"households": "household", "members": "household", "villages": "village"}

COPY_RULES = frozenset({"duplicate_copy"})
"""Rules that reject a row whose household is stored all the same (a later exact copy of a
row): not a household lost at ingest, which reports count."""


def households_lost(issues: pd.DataFrame) -> pd.DataFrame:
    """Return the household rows an ingest rejected, one issue row each, copies left out.

    Parameters
    ----------
    issues : pandas.DataFrame
        ``issues.csv`` rows (at least ``table``, ``file``, ``row``, ``rule``, ``severity``).

    Returns
    -------
    pandas.DataFrame
        The first error of each rejected households row, without the rows rejected as a later
        exact copy of a stored one (:data:`COPY_RULES`) and those a later export of the round
        replaced (``superseded``): those households are in the store.
    """
    errors = issues[(issues["severity"] == "error") & (issues["table"] == "households")]
    if "superseded" in errors.columns:
        errors = errors[~errors["superseded"].fillna(False).astype(bool)]
    # a row is a file's row of one export (two exports of a round both have "row 10")
    where = [c for c in ("batch_id", "file", "row") if c in errors.columns]
    keys = pd.MultiIndex.from_frame(errors[where].astype(str))
    copied = keys.isin(keys[errors["rule"].isin(COPY_RULES).to_numpy()])
    return errors[~copied].drop_duplicates(subset=["table", "file", "row"])

_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][0-9:.]*)?(?:Z|[+-]\d{2}:?\d{2})?$")
_DMY_DATE_RE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
#: Buddhist-era years start here (2443 BE = 1900 CE); CE years 2100-2399 are rejected.
BE_FROM = 2400
BE_OFFSET = 543
#: The latest Buddhist-era year a survey round may be (2700 BE = 2157 CE).
BE_TO = 2700


def round_year_problem(survey_round: int) -> str | None:
    """Return why ``survey_round`` is not a round's Buddhist-era year, or None if it is one.

    A Christian-era year gets its Buddhist-era year as the example ("2006 is not a
    Buddhist-era year (e.g. 2549)"): ingest refuses it, and a report of a round never ingested
    says it.
    """
    year = int(survey_round)
    if BE_FROM <= year <= BE_TO:
        return None
    example = year + BE_OFFSET if 1900 <= year <= BE_TO - BE_OFFSET else 2549
    return f"{year} is not a Buddhist-era year (e.g. {example})"


#: The params file of the validation rules and the round-wide input tables.
RULES_FILE = "validation_rules"
#: When a ``because`` text of the rules file is said: the answer rejected its row, or was
#: left blank with the row kept (``kept_unlisted``: kept in a round whose sampling frame does
#: not list the row's village, said instead of ``kept`` where the text has it).
BECAUSE_WHEN = ("rejected", "kept", "kept_unlisted")


@dataclass(frozen=True)
class ValidationRules:
    """The contents of ``params/validation_rules.yaml``, checked once when read.

    Attributes
    ----------
    rules : dict
        Rule id -> ``{"severity": "error" | "warning", "en": ..., "th": ...}``.
    tables : dict
        Round-wide input table (``frame``, ``auxiliary``) -> ``{"files", "signature",
        "columns"}``.
    meanings : dict
        Value pattern (``^`` and ``$`` removed) -> ``{"en": ..., "th": ...}``, what it means to a
        field team (``rules.regex.meanings``).
    because : dict
        Question -> :data:`BECAUSE_WHEN` -> ``{"en": ..., "th": ...}``: what an unusable
        answer to it does beyond its rule's message, said after that message (``because``).
    relevant : dict
        ``{"en": ..., "th": ...}``: how a question's skip logic is said in a message
        (``{relevant}``, ``{relevant_th}``), with ``{question}`` and ``{answer}``
        (:func:`skip_logic_in_words`).
    """

    rules: dict[str, dict[str, str]]
    tables: dict[str, dict[str, Any]]
    meanings: dict[str, dict[str, str]] = field(default_factory=dict)
    because: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    relevant: dict[str, str] = field(default_factory=dict)


def parse_validation_rules(raw: Mapping[str, Any], path: Path) -> ValidationRules:
    """Check the validation rules file (a parser for :func:`abcresearch.params.load`).

    Parameters
    ----------
    raw : Mapping
        The file's top-level mapping.
    path : Path
        The file (its name starts the error message).

    Returns
    -------
    ValidationRules

    Raises
    ------
    ParamsError
        Listing every problem: a rule without a severity (``error`` or ``warning``) or a
        message in both languages, a pattern's meaning without both languages or a pattern
        that is not a regular expression, a ``because`` text other than ``rejected``,
        ``kept`` or ``kept_unlisted`` or without both languages, a ``relevant`` text without
        both languages or without ``{question}`` and ``{answer}``, a table without
        ``village_code`` or a typed column.
    """
    pr = Problems(path)
    rules = raw.get("rules")
    if not isinstance(rules, Mapping):
        pr.add("", "expected a 'rules' mapping")
        rules = {}
    bad = [r for r, v in rules.items()
           if not isinstance(v, Mapping) or v.get("severity") not in ("error", "warning")
           or "en" not in v or "th" not in v]
    if bad:
        pr.add("rules", f"{bad} need severity (error|warning), en and th")
    regex_rule = rules.get("regex")
    declared = regex_rule.get("meanings") if isinstance(regex_rule, Mapping) else None
    meanings: dict[str, dict[str, str]] = {}
    if not isinstance(declared, Mapping | None):
        pr.add("rules.regex.meanings", "must map patterns to their meaning (en, th)")
        declared = None
    for pattern, meaning in (declared or {}).items():
        where = f"rules.regex.meanings.{pattern}"
        try:
            re.compile(str(pattern))
        except re.error as err:
            pr.add(where, f"is not a regular expression ({err})")
        if not (isinstance(meaning, Mapping) and all(
                isinstance(meaning.get(lang), str) and meaning[lang].strip()
                for lang in ("en", "th"))):
            pr.add(where, "needs its meaning in en and th")
            continue
        meanings[_bare(pattern)] = {"en": meaning["en"], "th": meaning["th"]}
    because: dict[str, dict[str, dict[str, str]]] = {}
    declared_because = raw.get("because") or {}
    if not isinstance(declared_because, Mapping):
        pr.add("because", "must map questions to what an unusable answer does (rejected, kept)")
        declared_because = {}
    for question, texts in declared_because.items():
        if not isinstance(texts, Mapping) or not texts:
            pr.add(f"because.{question}", "needs a text for rejected or kept")
            continue
        for when, text in texts.items():
            where = f"because.{question}.{when}"
            if when not in BECAUSE_WHEN:
                pr.add(where, f"must be one of {', '.join(BECAUSE_WHEN)}")
            elif not (isinstance(text, Mapping) and all(
                    isinstance(text.get(lang), str) and text[lang].strip()
                    for lang in ("en", "th"))):
                pr.add(where, "needs its text in en and th")
            else:
                because.setdefault(str(question), {})[str(when)] = {"en": text["en"],
                                                                    "th": text["th"]}
    said = raw.get("relevant")
    relevant: dict[str, str] = {}
    for lang in ("en", "th"):
        text = said.get(lang) if isinstance(said, Mapping) else None
        if not (isinstance(text, str) and "{question}" in text and "{answer}" in text):
            pr.add(f"relevant.{lang}", "needs the skip logic in words, with {question} and "
                   "{answer}")
        else:
            relevant[lang] = text
    tables = raw.get("tables") or {}
    if not isinstance(tables, Mapping):
        pr.add("tables", "must map table names to their columns")
        tables = {}
    for name, spec in tables.items():
        cols = spec.get("columns") if isinstance(spec, Mapping) else None
        if not isinstance(cols, Mapping) or "village_code" not in cols:
            pr.add(f"tables.{name}", "needs columns including village_code")
            continue
        for col, c in cols.items():
            if not isinstance(c, Mapping) or c.get("type") not in ("text", "integer", "decimal"):
                pr.add(f"tables.{name}.columns.{col}", "needs a type (text|integer|decimal)")
    pr.raise_if_any()
    # a rule is its severity and messages; the regex rule's meanings are kept apart
    return ValidationRules(rules={str(r): {k: x for k, x in v.items() if k != "meanings"}
                                  for r, v in rules.items()},
                           tables={str(t): dict(spec) for t, spec in tables.items()},
                           meanings=meanings, because=because, relevant=relevant)


def _bare(pattern: Any) -> str:
    """Return a pattern without its anchors (``^[0-9]{8}$`` -> ``[0-9]{8}``), as it is matched."""
    return str(pattern).lstrip("^").rstrip("$")


def rules() -> dict[str, dict[str, str]]:
    """Return the validation rules: id -> ``{"severity", "en", "th"}``."""
    return load(RULES_FILE, parse_validation_rules).rules


def pattern_meanings() -> dict[str, dict[str, str]]:
    """Return what each declared value pattern means: pattern (no ``^``/``$``) -> en, th."""
    return load(RULES_FILE, parse_validation_rules).meanings


def column_patterns(table: str, directory: Any = None) -> dict[str, str]:
    """Return the value pattern (``regex``) of each column of a table that has one.

    Parameters
    ----------
    table : str
        ``households``, ``members``, ``villages`` (their form's constraints) or a round-wide
        table of ``validation_rules.yaml`` (``frame``, ``auxiliary``).
    directory : path, optional
        Folder holding the instrument forms (``params/instrument`` by default).
    """
    cb = (instrument_codebook(table, directory) if table in FORMS
          else table_codebook(table) if table in table_specs() else None)
    if cb is None:
        return {}
    return {str(n): str(r) for n, r in zip(cb["name"], cb["regex"], strict=True)
            if isinstance(r, str) and r}


def table_specs() -> dict[str, dict[str, Any]]:
    """Return the round-wide input tables of ``validation_rules.yaml`` (``frame``, ``auxiliary``).

    Each is ``{"files": [stems], "signature": [columns], "columns": {name: rules}}``.
    """
    return load(RULES_FILE, parse_validation_rules).tables


def table_codebook(table: str) -> pd.DataFrame:
    """Return a codebook (the shape of the instrument's) for a round-wide input table.

    Built from ``tables.<table>.columns`` of ``params/validation_rules.yaml``, so the same
    typed parse and rules (``type:*``, ``required``, ``range``, ``regex``, ``unknown_area``)
    apply to the frame and the auxiliary table as to the forms.
    """
    spec = table_specs().get(table)
    if spec is None:
        raise ParamsError(f"validation_rules.yaml declares no table {table!r}")
    rows = []
    for name, c in spec["columns"].items():
        rows.append({
            "name": name, "table": table, "group": "", "header": name, "type": c["type"],
            "list_name": np.nan, "required": bool(c.get("required", False)), "constraint": "",
            "relevant": "", "relevant_question": np.nan, "relevant_value": np.nan,
            "capital": None, "personal": np.nan, "label_th": "", "label_en": "",
            "min": float(c["min"]) if c.get("min") is not None else np.nan,
            "max": float(c["max"]) if c.get("max") is not None else np.nan,
            "min_inclusive": bool(c.get("min_inclusive", True)),
            "max_inclusive": bool(c.get("max_inclusive", True)),
            "regex": c.get("regex", np.nan), "equals": None})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# issue collection


@dataclass
class _Issues:
    """Accumulates failures of one table as small vectorised frames."""

    table: str
    frame: pd.DataFrame
    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, mask: pd.Series | np.ndarray, column: str, rule: str,
            values: pd.Series | None = None, params: dict[str, Any] | None = None,
            detail: pd.Series | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        idx = self.frame.index[mask]
        if values is None:
            values = self.frame[column] if column in self.frame.columns else None
        vals = (values[mask].astype(object) if values is not None
                else pd.Series([None] * int(mask.sum()), index=idx, dtype=object))
        part = pd.DataFrame({"index": idx, "column": column, "rule": rule,
                             "value": vals.to_numpy(dtype=object)})
        part["params"] = [params or {}] * len(part)
        if detail is not None:  # a row without one (NA) has none, not the text "<NA>"
            shown = detail[mask]
            part["detail"] = np.where(shown.notna().to_numpy(dtype=bool),
                                      shown.astype(str).to_numpy(dtype=object), None)
        else:
            part["detail"] = None
        self.parts.append(part)

    def result(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=["index", "column", "rule", "value", "params", "detail"])
        return pd.concat(self.parts, ignore_index=True)


# --------------------------------------------------------------------------------------------
# stage 1: typed parse


def ascii_digits(s: pd.Series) -> pd.Series:
    """Translate Thai digits (๐-๙) to ASCII; only the cells that contain one are touched."""
    s = s.astype("str")
    has = matches(s, "[๐-๙]")
    if has.any():
        s = s.copy()
        s[has] = s[has].str.translate(THAI_DIGITS)
    return s


def _clean_text(s: pd.Series) -> pd.Series:
    """Thai digits to ASCII, surrounding blanks removed, blank -> NA (copies only if needed)."""
    s = ascii_digits(s)
    if matches(s, r"^\s|\s$").any():
        s = s.str.strip()
        s = s.where(s != "", None)
    return s


def _by_uniques(s: pd.Series, parse: Callable[[pd.Index], tuple[np.ndarray, np.ndarray]]
                ) -> tuple[pd.Series, np.ndarray]:
    """Apply ``parse`` (uniques Index -> (values array, bad bool array)) to distinct values only."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    vals, bad = parse(pd.Index(uniques))
    vals = np.asarray(vals)
    bad = np.append(np.asarray(bad, dtype=bool), False)
    missing = np.array([None], dtype=object) if vals.dtype == object else np.array([np.nan])
    vals = np.concatenate([vals, missing.astype(vals.dtype)]) if len(vals) else missing
    return vals[codes], bad[codes]


def _parse_numbers(uniques: pd.Index, integer: bool) -> tuple[np.ndarray, np.ndarray]:
    from abcresearch.survey.settings import ingest_settings

    s = pd.Series(uniques, dtype="str").str.translate(THAI_DIGITS).str.strip()
    # "ไม่มี" (none) written for a count or an amount is 0, not an unusable answer
    s = s.where(~s.str.lower().isin(ingest_settings().answers_zero_words), "0")
    s = s.str.replace(r"\s*(บาท|baht)\.?$", "", regex=True).str.replace(r"\s+", "", regex=True)
    thousands = s.str.match(_THOUSANDS_RE.pattern).fillna(False).to_numpy(dtype=bool)
    s = s.where(~thousands, s.str.replace(",", "", regex=False))
    num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, copy=True)
    bad = ~np.isfinite(num)
    if integer:
        with np.errstate(invalid="ignore"):
            bad |= np.where(np.isfinite(num), np.mod(num, 1) != 0, False)
    num[bad] = np.nan
    return num, bad


#: Thai month names, full and abbreviated (with or without their dots), to month numbers.
THAI_MONTHS: dict[str, int] = {}
for _number, (_full, _short) in enumerate(
        [("มกราคม", "ม.ค"), ("กุมภาพันธ์", "ก.พ"), ("มีนาคม", "มี.ค"), ("เมษายน", "เม.ย"),
         ("พฤษภาคม", "พ.ค"), ("มิถุนายน", "มิ.ย"), ("กรกฎาคม", "ก.ค"), ("สิงหาคม", "ส.ค"),
         ("กันยายน", "ก.ย"), ("ตุลาคม", "ต.ค"), ("พฤศจิกายน", "พ.ย"), ("ธันวาคม", "ธ.ค")], 1):
    THAI_MONTHS.update({_full: _number, _short: _number, _short.replace(".", ""): _number})
_THAI_MONTH_DATE_RE = re.compile(r"^(\d{1,2})\s*([\u0e00-\u0e7f.]+?)\s*(?:พ\.ศ\.\s*)?(\d{2,4})$")


def parse_date_text(text: str, survey_round: int | None = None) -> dt.date | None:
    """Parse a date: ``YYYY-MM-DD``, ``DD/MM/YYYY`` or ``10 เม.ย. 2549``, Christian or Buddhist era.

    Years from 2400 are Buddhist era (543 is subtracted before the date is built, so 29/02/2567
    is 2024-02-29); years 2100-2399 and before 1900 are rejected. Thai digits are accepted.

    A two-digit year ("10/04/67", "10 เม.ย. 67", as Thai spreadsheets often show dates) is
    ambiguous on its own and refused, unless ``survey_round`` is given: then it is read as the
    one year of Buddhist era 25yy, Christian era 20yy or 19yy that lies within a year of the
    round's (for round 2567: "67" is 2567 BE, "24" is 2024 CE; "30" is refused).

    Parameters
    ----------
    text : str
        The date as written.
    survey_round : int, optional
        The round (Buddhist-era year) the date belongs to, to read a two-digit year.

    Returns
    -------
    datetime.date or None
        None when the text is not a valid date.
    """
    t = str(text).translate(THAI_DIGITS).strip()
    if m := _ISO_DATE_RE.match(t):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DMY_DATE_RE.match(t):
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    elif (m := _THAI_MONTH_DATE_RE.match(t)) and m[2].rstrip(".") in THAI_MONTHS:
        # "10 เม.ย. 2549", "10 เมษายน 2549": how Thai spreadsheets show a date
        d, mo, y = int(m[1]), THAI_MONTHS[m[2].rstrip(".")], int(m[3])
    else:
        return None
    if y < 100:
        if survey_round is None:
            return None
        ce = survey_round - BE_OFFSET
        near = [c for c in (2500 + y - BE_OFFSET, 2000 + y, 1900 + y) if abs(c - ce) <= 1]
        if len(near) != 1:
            return None
        y = near[0]
    elif y >= BE_FROM:
        y -= BE_OFFSET
    elif y >= 2100 or y < 1900:
        return None
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def _parse_dates(uniques: pd.Index, survey_round: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    vals = np.array([parse_date_text(u, survey_round) for u in uniques], dtype=object)
    return vals, np.array([v is None for v in vals], dtype=bool)


DEVICE_TIMEZONE = "Asia/Bangkok"
"""Time zone of the survey devices: the time zone of Thailand (the whole country, no DST)."""


def parse_datetimes(s: pd.Series, naive_tz: str = "UTC") -> tuple[pd.Series, np.ndarray]:
    """Parse ISO 8601 date-times to tz-aware UTC; text without an offset is in ``naive_tz``.

    Buddhist-era years (>= 2400) are converted first. Returns the parsed Series and a bool array
    of cells that were present but unparsable. A server's submission time without an offset is
    UTC (Kobo's ``_submission_time``); a device's start and end times are the device's local
    time (``Asia/Bangkok``), and lose their ``+07:00`` when a spreadsheet saves the export.
    """
    text = _clean_text(s)
    year = pd.to_numeric(text.str.slice(0, 4), errors="coerce")
    be = (year >= BE_FROM).fillna(False).to_numpy(dtype=bool)
    if be.any():
        fixed = (year[be] - BE_OFFSET).astype("Int64").astype(str) + text[be].str.slice(4)
        text = text.copy()
        text[be] = fixed
    out = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    if naive_tz != "UTC":
        naive = (text.notna() & ~text.fillna("").str.contains(
            r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)).to_numpy(dtype=bool)
        if naive.any():
            local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
            out = out.copy()
            out[naive] = local.dt.tz_localize(naive_tz, ambiguous="NaT",
                                              nonexistent="NaT").dt.tz_convert("UTC")
    bad = (text.notna() & out.isna()).to_numpy(dtype=bool).copy()
    if not be.any():
        # a CE year 2100-2399 parses, but is almost surely a typo
        far = ((year >= 2100) & (year < BE_FROM)).fillna(False).to_numpy(dtype=bool)
        bad |= far
        if far.any():
            out = out.where(~far)
    return out, bad


# what enumerators type for "no phone": read as blank, not as a wrong number
_NO_PHONE = r"(?:-+|–|—|0|ไม่มี|ไม่ม|ไม่ทราบ|ไม่ระบุ|n/?a|none|no|nil)"


def _normalise_phone(s: pd.Series) -> pd.Series:
    s = _clean_text(s)
    s = s.where(~s.fillna("").str.strip().str.fullmatch(_NO_PHONE, case=False))
    s = s.str.replace(r"[\s\-().]", "", regex=True)
    s = s.str.replace(r"^\+?66", "0", regex=True)
    # a spreadsheet that read the number as a number dropped its leading 0
    return s.str.replace(r"^([689]\d{8}|[2-7]\d{7})$", r"0\1", regex=True)


def parse_types(frame: pd.DataFrame, cb: pd.DataFrame, issues: _Issues,
                survey_round: int | None = None, framed: pd.Series | None = None
                ) -> pd.DataFrame:
    """Stage 1: return a typed copy of ``frame``; unparsable cells become NA and issues.

    Parameters
    ----------
    frame : pandas.DataFrame
        Normalised text (leaf names), as built by :mod:`abcresearch.ingest.pipeline`.
    cb : pandas.DataFrame
        Codebook rows of this table.
    issues : _Issues
        Collector for ``type:*`` failures.
    survey_round : int, optional
        The round, to read dates written with a two-digit year (:func:`parse_date_text`; each
        such date is also a ``two_digit_year`` warning saying how it was read).
    framed : pandas.Series, optional
        The sampling frame's households of each row's village, NA where the frame does not
        list it (:func:`framed_households`); None in a round without a frame. With one, an
        unusable answer to a question ``answers.kept_with_frame`` lists is left blank, the
        row kept (:func:`_item_rows`).

    Returns
    -------
    pandas.DataFrame
        Integers as ``Int64``, decimals ``float64``, dates as ``datetime.date`` objects,
        date-times UTC, everything else stripped ``str``.
    """
    out = {}
    for q in cb.itertuples(index=False):
        name = q.name
        if name not in frame.columns:
            continue
        raw = frame[name]
        if q.type in ("integer", "decimal"):
            vals, bad = _by_uniques(raw, partial(_parse_numbers, integer=q.type == "integer"))
            col = pd.Series(vals, index=frame.index, dtype=float)
            out[name] = col.round().astype("Int64") if q.type == "integer" else col
            _type_failures(issues, bad, q, raw, framed)
        elif q.type == "date":
            vals, bad = _by_uniques(raw, partial(_parse_dates, survey_round=survey_round))
            col = pd.Series(vals, index=frame.index, dtype=object)
            out[name] = col
            _type_failures(issues, bad, q, raw, framed)
            if survey_round is not None:  # read only with the round: a two-digit year
                _, alone = _by_uniques(raw, _parse_dates)
                short = alone & ~bad
                if short.any():
                    issues.add(short, name, "two_digit_year", values=raw,
                               detail=col.where(short, None).map(
                                   lambda d: d.isoformat() if d is not None else ""))
        elif q.type in ("start", "end", "datetime"):
            # answered on the device: a time without its offset is the device's local time
            col, bad = parse_datetimes(raw, naive_tz=DEVICE_TIMEZONE)
            out[name] = col
            # the device's own start and end times are not answers: one a spreadsheet rewrote
            # is left blank, and the household kept
            issues.add(bad, name, "type:datetime" if q.type == "datetime" else "metadata_datetime",
                       values=raw)
        elif q.personal == "national_id":
            out[name] = normalise_pid(raw).str.strip().replace("", None)
        elif q.personal == "phone":
            out[name] = _normalise_phone(raw)
        elif q.type == "select_multiple":
            vals, _ = _by_uniques(_clean_text(raw), lambda u: (
                np.array([" ".join(str(v).split()) for v in u], dtype=object),
                np.zeros(len(u), dtype=bool)))
            out[name] = pd.Series(vals, index=frame.index, dtype="str")
        else:
            out[name] = _clean_text(raw)
    typed = frame.copy()
    for name, col in out.items():
        typed[name] = col
    if "submitted_at" in typed.columns:
        col, bad = parse_datetimes(frame["submitted_at"])
        typed["submitted_at"] = col
        issues.add(bad, "submitted_at", "metadata_datetime", values=frame["submitted_at"])
    if "submission_uuid" in typed.columns:
        typed["submission_uuid"] = _clean_text(frame["submission_uuid"]).str.replace(
            r"^uuid:", "", regex=True)
    return typed


# --------------------------------------------------------------------------------------------
# stage 2: rules from the codebook


def _fmt(x: float | None) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return ""
    return f"{x:g}" if not float(x).is_integer() else str(int(x))


def _multi_check(s: pd.Series, allowed: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (token not in list, 'none' combined with others) for a select_multiple column."""

    def parse(u: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        tokens = [str(v).split() for v in u]
        bad = np.array([any(t not in allowed for t in ts) for ts in tokens], dtype=bool)
        none = np.array(["none" in ts and len(ts) > 1 for ts in tokens], dtype=bool)
        return none, bad

    none, bad = _by_uniques(s, parse)
    return bad, np.asarray(none, dtype=bool) & ~bad


def _type_failures(issues: _Issues, bad: np.ndarray, q: Any, raw: pd.Series,
                   framed: pd.Series | None = None) -> None:
    """Name the cells of ``q`` that are not of its type (NA by now).

    ``type:<type>`` rejects the row; where an unusable answer is left blank
    (:func:`_item_rows`) ``item_type`` keeps it, the answer not answered.
    """
    rule = f"type:{q.type}"
    item = _item_rows(q, framed, len(bad))
    kind = rules()[rule]
    kept, detail = _because(q.name, "kept", framed)
    issues.add(bad & item, q.name, "item_type", values=raw,
               params={"kind": kind["en"], "kind_th": kind["th"], **kept}, detail=detail)
    issues.add(bad & ~item, q.name, rule, values=raw, params=_because(q.name, "rejected")[0])


def _item_rows(q: Any, framed: pd.Series | None, n: int) -> np.ndarray:
    """Rows of a table where an unusable answer to codebook row ``q`` is left blank, kept.

    Every row for an item (:func:`_is_item`); for a question ``params/ingest.yaml`` lists under
    ``answers.kept_with_frame`` (the village form's household count), every row where the
    round has a sampling frame (``framed`` not None): the frame weights every village of such a
    round, and one it does not list gets no weight from the form's count either
    (``frame_village_missing``); none otherwise.
    """
    from abcresearch.survey.settings import ingest_settings

    if _is_item(q) or (framed is not None and q.name in ingest_settings().answers_kept_with_frame):
        return np.ones(n, dtype=bool)
    return np.zeros(n, dtype=bool)


def _because(name: str, when: str, framed: pd.Series | None = None
             ) -> tuple[dict[str, Any], pd.Series | None]:
    """Return the issue params naming the ``because`` text of a question, and its detail.

    The text (``because`` in ``params/validation_rules.yaml``) is said after the rule's message
    (:func:`issue_table`); ``{detail}`` in it is the frame's households of the row's village.
    """
    if when not in load(RULES_FILE, parse_validation_rules).because.get(name, {}):
        return {}, None
    return {"because": (name, when)}, framed


def framed_households(frame: pd.DataFrame,
                      households: Mapping[str, Any] | pd.Series | None) -> pd.Series | None:
    """Return the sampling frame's households of each row's village (NA where not listed).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows of a table as read (text ``village_code``).
    households : mapping or pandas.Series, optional
        Village code -> households, from the round's frame; None without a frame.

    Returns
    -------
    pandas.Series or None
        Aligned with ``frame`` (object: the count, or NA); None without a frame or a
        ``village_code`` column.
    """
    if households is None or "village_code" not in frame.columns:
        return None
    lookup = pd.Series(households, dtype=object) if not isinstance(households, pd.Series) \
        else households.astype(object)
    lookup = lookup[lookup.notna()]
    lookup.index = lookup.index.astype(str)
    return _clean_text(frame["village_code"]).map(lookup).astype(object)


def _is_item(q: Any) -> bool:
    """Whether an unusable answer to a codebook row is left blank, the row kept (``item_*``).

    The scored capital items, and the questions ``params/ingest.yaml`` lists under
    ``answers.kept_when_unusable`` (a bad answer is then not answered).
    """
    from abcresearch.survey.settings import ingest_settings

    return (isinstance(q.capital, str) and bool(q.capital)) \
        or q.name in ingest_settings().answers_kept_when_unusable


CHOICES_SHOWN = 8
"""How many of a list's choices a message names ("bank, baac, …")."""


def choices_in_words(names: Iterable[Any]) -> str:
    """Return a list's choices as a message names them: the answers the export may hold.

    "not a choice of the list debt_source" named the form's internal list and left the field
    data manager to look it up; the choices follow it, in the form's order, the first
    :data:`CHOICES_SHOWN` and then "…".

    Parameters
    ----------
    names : iterable
        The choices' names (``name`` of the form's choices sheet).

    Returns
    -------
    str
        ``"'yes', 'no'"``, or the first :data:`CHOICES_SHOWN` and ``"…"``.

    Examples
    --------
    >>> choices_in_words(["yes", "no"])
    "'yes', 'no'"
    >>> choices_in_words(str(n) for n in range(1, 11))
    "'1', '2', '3', '4', '5', '6', '7', '8', …"
    """
    listed = [f"'{n}'" for n in names]
    shown = listed[:CHOICES_SHOWN] + (["…"] if len(listed) > CHOICES_SHOWN else [])
    return ", ".join(shown)


def skip_logic_in_words(question: str, value: str, lang: str, cb: pd.DataFrame | None = None,
                        form: str | None = None) -> str:
    """Return a question's skip logic as a field data manager says it, in ``lang``.

    The form's ``relevant`` (``${vil_master_plan} = 'yes'``) stood in the messages as written;
    it is said in the words of ``relevant`` in ``params/validation_rules.yaml``: the gate
    question's column with its label in the codebook ``cb`` (``{question}``: "vil_master_plan
    (Has a community master plan)") and the answer that asks the follow-up, quoted, with its
    choice label in ``form`` where the label says more than the answer (``{answer}``: "'yes'
    (ใช่)"; the English label "Yes" adds nothing to "'yes'"). A label missing in ``lang`` is
    the other language's; a question ``cb`` does not hold is named alone.

    Parameters
    ----------
    question : str
        The gate question (``relevant_question`` in the codebook).
    value : str
        The answer to it that asks the follow-up (``relevant_value``).
    lang : {"en", "th"}
        The language of the words.
    cb : pandas.DataFrame, optional
        A codebook holding the gate question (:func:`abcresearch.survey.instrument.codebook`).
    form : {"household", "village"}, optional
        The form of the gate's choice list.

    Returns
    -------
    str

    Examples
    --------
    >>> from abcresearch.survey.instrument import codebook
    >>> cb = codebook("households")
    >>> skip_logic_in_words("fin_has_debt", "yes", "en", cb, "household")
    "fin_has_debt (Has debt) is 'yes'"
    >>> skip_logic_in_words("fin_has_debt", "yes", "th", cb, "household")
    "ข้อ fin_has_debt (มีหนี้สิน) ตอบว่า 'yes' (ใช่)"
    >>> skip_logic_in_words("fin_has_debt", "yes", "en")
    "fin_has_debt is 'yes'"
    """
    lang = "th" if lang == "th" else "en"

    def label(rows: pd.DataFrame) -> str:
        """Return the first row's label in ``lang``, else in the other language, else ""."""
        if not len(rows):
            return ""
        row = rows.iloc[0]
        for column in (f"label_{lang}", "label_en" if lang == "th" else "label_th"):
            text = row.get(column)
            if isinstance(text, str) and text.strip():
                return text.strip()
        return ""

    named, answer = question, f"'{value}'"
    gate = cb[cb["name"] == question] if cb is not None else pd.DataFrame()
    if said := label(gate):
        named += f" ({said})"
    if len(gate) and form and isinstance(gate["list_name"].iloc[0], str):
        listed = instrument_choices(gate["list_name"].iloc[0], form)
        said = label(listed[listed["name"] == value])
        if said and said.casefold() != str(value).strip().casefold():
            answer += f" ({said})"
    text = load(RULES_FILE, parse_validation_rules).relevant[lang]
    return text.format(question=named, answer=answer)


def _skip_logic_params(q: Any, cb: pd.DataFrame, form: str | None) -> dict[str, str]:
    """Return the issue params saying codebook row ``q``'s skip logic in English and Thai."""
    return {key: skip_logic_in_words(q.relevant_question, q.relevant_value, lang, cb, form)
            for key, lang in (("relevant", "en"), ("relevant_th", "th"))}


def check_rules(typed: pd.DataFrame, cb: pd.DataFrame, issues: _Issues, form: str,
                framed: pd.Series | None = None) -> dict[str, np.ndarray]:
    """Stage 2: apply the codebook rules to a typed frame, adding failures to ``issues``.

    A cell that already failed its type is not checked again (it is NA by then). An item's
    answer (:func:`_is_item`) that breaks its range or choice list fails under the rule's
    ``item_`` variant, a warning: the household and its other answers are kept, and the
    answer is to be stored as not answered, as a blank one is. So does the answer to a
    question ``answers.kept_with_frame`` lists in a round with a sampling frame (``framed``,
    see :func:`parse_types`); without one it rejects the row.

    Returns
    -------
    dict
        Column -> rows whose answer is to be set to NA (:func:`blank_unusable`): after the
        table rules, which compare rows as given (two copies of a form that differ in a bad
        answer are not the same answers).
    """
    typefail = _type_failed(issues, typed.index)
    blanks: dict[str, np.ndarray] = {}
    for q in cb.itertuples(index=False):
        name = q.name
        if name not in typed.columns:
            continue
        col = typed[name]
        item = _item_rows(q, framed, len(typed))
        kept, detail = _because(name, "kept", framed)
        rejected = _because(name, "rejected")[0]
        unusable = np.zeros(len(typed), dtype=bool)
        present = col.notna().to_numpy(dtype=bool)
        if isinstance(q.relevant_question, str) and q.relevant_question in typed.columns:
            relevant = (typed[q.relevant_question] == q.relevant_value).fillna(False)
            relevant = relevant.to_numpy(dtype=bool)
            # where the gate's own answer was unusable, whether this one applies is unknown
            none = np.zeros(len(typed), dtype=bool)
            unknown = (blanks.get(q.relevant_question, none)
                       | typefail.get(q.relevant_question, none))
            asked_not = present & ~relevant & ~unknown
            if asked_not.any():
                issues.add(asked_not, name, "not_relevant",
                           params=_skip_logic_params(q, cb, form))
        else:
            relevant = np.ones(len(typed), dtype=bool)
        if q.required:
            missing = ~present & relevant & ~typefail.get(name, np.zeros(len(typed), bool))
            # a capital item left blank is item non-response: kept, scored as missing (another
            # required question left blank still rejects: the form's device requires it)
            capital = isinstance(q.capital, str) and bool(q.capital)
            issues.add(missing, name, "item_missing" if capital else "required")
        if not present.any():
            continue
        if q.type in ("integer", "decimal") and (q.min is not None and not pd.isna(q.min)):
            x = col.astype(float).to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                lo = x >= q.min if q.min_inclusive else x > q.min
                hi = x <= q.max if q.max_inclusive else x < q.max
            out_of_range = present & ~(lo & hi)
            bounds = {"min": _fmt(q.min), "max": _fmt(q.max)}
            issues.add(out_of_range & item, name, "item_range", params={**bounds, **kept},
                       detail=detail)
            issues.add(out_of_range & ~item, name, "range", params={**bounds, **rejected})
            unusable |= out_of_range
        if isinstance(q.regex, str) and q.regex:
            ok = col.astype("str").str.fullmatch(q.regex.lstrip("^").rstrip("$"))
            bad_re = present & ~ok.fillna(True).to_numpy(dtype=bool)
            # a phone is never stored: a wrong one is said, and its row kept
            issues.add(bad_re, name, "phone_format" if q.personal == "phone" else "regex",
                       params={"regex": q.regex})
            if q.personal == "national_id":
                valid = pid_is_valid(col).to_numpy(dtype=bool)
                issues.add(present & ~bad_re & ~valid, name, "national_id_checksum")
            if name == "village_code":
                unknown = areas.check_codes(col.where(~bad_re & present)).to_numpy(dtype=bool)
                issues.add(present & ~bad_re & unknown, name, "unknown_area")
        if isinstance(q.equals, str) and q.equals:
            issues.add(present & (col != q.equals).fillna(False).to_numpy(dtype=bool), name,
                       "equals", params={"equals": q.equals})
        if q.type == "select_one":
            names = instrument_choices(q.list_name, form)["name"]
            allowed = set(names)
            bad = present & ~isin(col, allowed)
            listed = {"list_name": q.list_name, "choices": choices_in_words(names)}
            issues.add(bad & item, name, "item_choice", params={**listed, **kept}, detail=detail)
            issues.add(bad & ~item, name, "choice", params={**listed, **rejected})
            unusable |= bad
        elif q.type == "select_multiple":
            names = instrument_choices(q.list_name, form)["name"]
            allowed = set(names)
            bad, none = _multi_check(col, allowed)
            listed = {"list_name": q.list_name, "choices": choices_in_words(names)}
            issues.add(present & bad & item, name, "item_choice", params={**listed, **kept},
                       detail=detail)
            issues.add(present & bad & ~item, name, "choice", params={**listed, **rejected})
            issues.add(present & none & item, name, "item_choice_none", params=kept,
                       detail=detail)
            issues.add(present & none & ~item, name, "choice_none", params=rejected)
            unusable |= present & (bad | none)
        unusable &= item
        if unusable.any():
            blanks[name] = unusable
    _blank_with_gate(typed, cb, issues, blanks, typefail, form)
    return blanks


def _blank_with_gate(typed: pd.DataFrame, cb: pd.DataFrame, issues: _Issues,
                     blanks: dict[str, np.ndarray], typefail: Mapping[str, np.ndarray],
                     form: str | None = None) -> None:
    """Add to ``blanks`` the follow-ups whose gate answer is to be left blank.

    A question ``params/ingest.yaml`` lists under ``answers.blank_with_their_gate`` (the master
    plan's year), answered where its gate's answer (the plan) was unusable, is left blank too,
    with an ``item_gate_unusable`` warning: a year kept beside a blank plan read as the year of
    a plan. Its own unusable answer is already named by its own rule. ``typefail``: the rows
    whose answer to a column was not of its type (:func:`_type_failed`); ``form``: the form
    of the gate's choice list, whose label the warning says (:func:`skip_logic_in_words`).
    """
    from abcresearch.survey.settings import ingest_settings

    follow = set(ingest_settings().answers_blank_with_gate)
    none = np.zeros(len(typed), dtype=bool)
    for q in cb.itertuples(index=False):
        gate = q.relevant_question
        if q.name not in follow or q.name not in typed.columns or not isinstance(gate, str):
            continue
        # the gate's answer left blank: out of its range or list, or not of its type
        gone = blanks.get(gate, none) | typefail.get(gate, none)
        own = blanks.get(q.name, none)
        rows = gone & typed[q.name].notna().to_numpy(dtype=bool) & ~own
        if rows.any():
            issues.add(rows, q.name, "item_gate_unusable", params=_skip_logic_params(q, cb, form))
            blanks[q.name] = own | rows


def blank_unusable(typed: pd.DataFrame, blanks: Mapping[str, np.ndarray]) -> None:
    """Set the items' unusable answers (from :func:`check_rules`) to NA in ``typed``."""
    for name, rows in blanks.items():
        typed[name] = typed[name].mask(rows)


def _type_failed(issues: _Issues, index: pd.Index) -> dict[str, np.ndarray]:
    res = issues.result()
    res = res[res["rule"].str.startswith("type:") | (res["rule"] == "item_type")]
    out: dict[str, np.ndarray] = {}
    for column, g in res.groupby("column"):
        out[str(column)] = index.isin(g["index"])
    return out


# --------------------------------------------------------------------------------------------
# the whole export


@dataclass
class ValidationReport:
    """Result of :func:`validate`.

    Attributes
    ----------
    valid : dict
        Table -> typed DataFrame of the rows without an error (warnings allowed).
    issues : pandas.DataFrame
        One row per failure, columns :data:`ISSUE_COLUMNS`; ``index`` is the row's label in the
        frame given to :func:`validate`.
    rejected : dict
        Table -> Index of rejected row labels.
    typed : dict
        Table -> the full typed frame (valid and rejected rows).
    """

    valid: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    rejected: dict[str, pd.Index]
    typed: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def counts(self) -> pd.DataFrame:
        """Return failures per table, rule and severity."""
        if self.issues.empty:
            return pd.DataFrame(columns=["table", "rule", "severity", "n"])
        return (self.issues.groupby(["table", "rule", "severity"]).size()
                .rename("n").reset_index().sort_values("n", ascending=False))


#: Columns that say where a row was read, not what it answers (an exact copy differs only there).
POSITION_COLUMNS = ("source_file", "source_row")


def _repeated(typed: pd.DataFrame, column: str, issues: _Issues, rule: str) -> None:
    """Flag rows sharing a ``column`` value: exact copies keep their first row, others all go.

    Rows with the same key whose every other cell is the same too are one row read twice (an
    export saved or merged twice): the first is kept and each later copy is rejected by
    ``duplicate_copy``, naming the row kept. Rows with the same key and different answers
    cannot be told apart: every one of them is rejected by ``rule``.
    """
    key = typed[column]
    dup = key.duplicated(keep=False) & key.notna()
    if not dup.any():
        return
    content = [c for c in typed.columns if c not in POSITION_COLUMNS]
    rows = typed.loc[dup, content]
    versions = rows.drop_duplicates().groupby(column, sort=False).size()
    exact = dup & isin(key, versions.index[versions == 1])
    issues.add((dup & ~exact).to_numpy(dtype=bool), column, rule)
    if exact.any():
        _flag_copies(typed, exact.to_numpy(dtype=bool), key[exact], column, issues)


def _flag_copies(typed: pd.DataFrame, copies: np.ndarray, group: pd.Series, column: str,
                 issues: _Issues) -> None:
    """Reject the later rows of each group of exact copies, naming the first (the one kept)."""
    rows = typed.loc[copies]
    later = copies.copy()
    later[copies] = group.duplicated(keep="first").to_numpy(dtype=bool)
    detail = pd.Series("", index=typed.index, dtype=object)
    if "source_row" in rows.columns:  # "4 (household.csv)": the row kept, and its file
        where = rows["source_row"].astype(str)
        if "source_file" in rows.columns:
            where = where + " (" + rows["source_file"].astype(str) + ")"
        kept = where.groupby(group.to_numpy(), sort=False).transform("first")
        detail.loc[kept.index] = kept.to_numpy()
    issues.add(later, column, "duplicate_copy", detail=detail)


def _copied_rows(typed: pd.DataFrame, column: str, issues: _Issues) -> None:
    """Flag the later exact copies of roster rows (same export row id and every answer).

    A roster has no id of its own to repeat; Kobo's row number (``_index``) is one within an
    export. Rows with the same ``_index`` and the same answers are one row read twice (the
    export merged twice, with its households); two members alike in every answer but with
    different row numbers are two people and are kept.
    """
    key = typed[column]
    repeated = (key.duplicated(keep=False) & key.notna()).to_numpy(dtype=bool)
    if not repeated.any():
        return
    content = [c for c in typed.columns if c not in POSITION_COLUMNS]
    rows = typed.loc[repeated, content]
    same = rows.duplicated(keep=False).to_numpy(dtype=bool)
    if not same.any():
        return
    copies = repeated.copy()
    copies[repeated] = same
    group = rows[same].groupby(content, sort=False, dropna=False).ngroup()
    _flag_copies(typed, copies, group, column, issues)


#: Review states of a form on its server (Kobo ``_validation_status``, ODK Central
#: ``ReviewState``, lower case, spaces as ``_``) that reject it, and that keep it with a warning.
REVIEW_REJECTED = frozenset({"not_approved", "rejected"})
REVIEW_HELD = frozenset({"on_hold", "hasissues", "has_issues"})


def _table_rules(table: str, typed: pd.DataFrame, issues: _Issues) -> None:
    if "submission_uuid" in typed.columns and table in ("households", "villages"):
        uuid = typed["submission_uuid"]
        issues.add(uuid.isna().to_numpy(dtype=bool), "submission_uuid", "required")
        _repeated(typed, "submission_uuid", issues, "unique_id")
    if table in ("households", "villages") and "review_status" in typed.columns:
        # a supervisor's review on the server (Kobo's validation status, ODK Central's review
        # state): a form rejected there is not data; one put on hold is kept and said
        status = (typed["review_status"].astype("str").str.strip().str.lower()
                  .str.replace(r"^validation_status_", "", regex=True)
                  .str.replace(r"[\s-]+", "_", regex=True))
        issues.add(status.isin(REVIEW_REJECTED).to_numpy(dtype=bool), "review_status",
                   "review_rejected")
        issues.add(status.isin(REVIEW_HELD).to_numpy(dtype=bool), "review_status",
                   "review_on_hold")
    if table == "villages" and "village_code" in typed.columns:
        _repeated(typed, "village_code", issues, "duplicate_village")
    if table == "members" and "_index" in typed.columns:
        _copied_rows(typed, "_index", issues)


def _rejected(part: pd.DataFrame) -> pd.Index:
    sev = part["rule"].map({r: v["severity"] for r, v in rules().items()})
    return pd.Index(part.loc[sev == "error", "index"].unique())


def validate(frames: dict[str, pd.DataFrame],
             known_villages: set[str] | frozenset[str] = frozenset(),
             directory: Any = None, masker: Any = None,
             survey_round: int | None = None,
             rejected_unread: Mapping[str, str] | None = None,
             frame_households: Mapping[str, Any] | pd.Series | None = None
             ) -> ValidationReport:
    """Validate a whole export: households, members (roster) and villages.

    Parameters
    ----------
    frames : dict
        Table name -> normalised text frame (leaf names, ``submission_uuid``, ``source_file``,
        ``source_row``), as built by :mod:`abcresearch.ingest.pipeline`. Any table may be missing.
    known_villages : set of str
        Village codes that already have a valid village form in the store (so households of
        these villages get a weight even without a village file in this export).
    directory : path, optional
        Folder holding the instrument forms (``params/instrument`` by default).
    masker : PersonalMasker, optional
        Masks national IDs, phones and known names in the values the issue table shows.
    survey_round : int, optional
        The round being ingested: dates with a two-digit year are read as its years.
    rejected_unread : mapping, optional
        Submission id -> rule of a household rejected before it was read (a malformed row,
        ``malformed_row``): its roster rows are rejected as ``parent_rejected`` naming that
        rule, not as roster rows of no household (``orphan_member``).
    frame_households : mapping or pandas.Series, optional
        Village code -> households, from the round's sampling frame (this export's or the one
        stored). An unusable answer to a question ``params/ingest.yaml`` lists under
        ``answers.kept_with_frame`` (the village form's household count) is left blank, the
        row kept, where the frame lists the row's village: the frame's count weights its
        households. Without it (or for a village the frame does not list) such an answer
        rejects the row, its message saying why (``because`` in
        ``params/validation_rules.yaml``).

    Returns
    -------
    ValidationReport
    """
    parts: dict[str, pd.DataFrame] = {}
    typed_all: dict[str, pd.DataFrame] = {}
    for table in ("villages", "households", "members"):
        if table not in frames:
            continue
        frame = frames[table]
        cb = instrument_codebook(table, directory)
        iss = _Issues(table, frame)
        framed = framed_households(frame, frame_households)
        typed = parse_types(frame, cb, iss, survey_round, framed)
        blanks = check_rules(typed, cb, iss, FORMS[table], framed)
        _table_rules(table, typed, iss)
        blank_unusable(typed, blanks)
        typed_all[table] = typed
        parts[table] = iss.result()

    rejected = {t: _rejected(p) for t, p in parts.items()}

    # roster rows against their households
    if "members" in typed_all:
        mem = typed_all["members"]
        iss = _Issues("members", mem)
        hh = typed_all.get("households")
        hh_uuid = hh["submission_uuid"] if hh is not None else pd.Series([], dtype="str")
        muuid = mem["submission_uuid"]
        orphan = ~isin(muuid, hh_uuid)
        # a roster row of a household that was not read (a malformed row) has a household,
        # rejected: it is said so, with the household's rule, not "no household"
        unread = pd.Series(dict(rejected_unread or {}), dtype="object")
        parent_unread = orphan & isin(muuid, unread.index)
        iss.add(orphan & ~parent_unread, "submission_uuid", "orphan_member")
        iss.add(parent_unread, "submission_uuid", "parent_rejected", detail=muuid.map(unread))
        if hh is not None and len(rejected["households"]):
            bad_hh = hh.loc[rejected["households"]]
            # a household kept once, whose later exact copy was rejected, keeps its roster
            kept = hh.drop(index=rejected["households"])["submission_uuid"]
            bad_hh = bad_hh[~isin(bad_hh["submission_uuid"], kept)]
            hp = parts["households"]
            hp = hp[hp["index"].isin(rejected["households"])]
            why = (hp.assign(uuid=hh.loc[hp["index"], "submission_uuid"].to_numpy())
                   .drop_duplicates(["uuid", "rule"]).groupby("uuid")["rule"]
                   .agg(lambda r: ", ".join(sorted(r))))
            in_bad = isin(muuid, bad_hh["submission_uuid"]) & ~orphan
            iss.add(in_bad, "submission_uuid", "parent_rejected", detail=muuid.map(why))
        parts["members"] = pd.concat([parts["members"], iss.result()], ignore_index=True)
        rejected["members"] = _rejected(parts["members"])

    # household-level warnings that need the other tables
    if "households" in typed_all:
        hh = typed_all["households"]
        iss = _Issues("households", hh)
        ok = ~hh.index.isin(rejected["households"])
        if "members" in typed_all and "hh_size" in hh.columns:
            mem = typed_all["members"]
            found = parts.get("members")  # a roster row read twice counts once
            if found is not None and len(found):
                copied = pd.Index(found.loc[found["rule"] == "duplicate_copy", "index"].unique())
                mem = mem.drop(index=copied.intersection(mem.index))
            n = mem["submission_uuid"].value_counts()
            roster = hh["submission_uuid"].map(n).fillna(0).astype("Int64")
            size = hh["hh_size"]
            mismatch = ok & (roster != size).fillna(False).to_numpy(dtype=bool)
            detail = ("the roster has " + roster.astype(str) + " members but hh_size is "
                      + size.astype(str))
            iss.add(mismatch, "hh_size", "hh_size_roster", detail=detail)
        villages_ok = set(known_villages)
        if "villages" in typed_all:
            v = typed_all["villages"]
            villages_ok |= set(v.loc[~v.index.isin(rejected["villages"]), "village_code"].dropna())
        if "village_code" in hh.columns:
            missing = ok & hh["village_code"].notna().to_numpy(dtype=bool) & ~isin(
                hh["village_code"], villages_ok)
            iss.add(missing, "village_code", "village_missing")
        parts["households"] = pd.concat([parts["households"], iss.result()], ignore_index=True)

    issues = _finish(parts, typed_all, frames, directory, masker=masker)
    valid = {t: typed_all[t].drop(index=rejected[t]) if len(rejected[t]) else typed_all[t]
             for t in typed_all}
    return ValidationReport(valid=valid, issues=issues, rejected=rejected, typed=typed_all)


def validate_table(table: str, frame: pd.DataFrame, masker: Any = None) -> ValidationReport:
    """Validate a round-wide input table (``frame`` or ``auxiliary``) against its declared rules.

    Parameters
    ----------
    table : {"frame", "auxiliary"}
        Which table (columns and rules in ``tables:`` of ``params/validation_rules.yaml``).
    frame : pandas.DataFrame
        Text cells with the declared column names, ``source_file`` and ``source_row``.
    masker : PersonalMasker, optional
        Masks personal data in the values the issue table shows.

    Returns
    -------
    ValidationReport
        Besides the declared column rules: a duplicated ``village_code`` rejects every copy
        (``frame_duplicate`` / ``auxiliary_duplicate``); a sampled frame village needs its
        ``selection_prob`` (``frame_prob_required``). Cross-checks with the export and the
        frame are made by the ingest.
    """
    cb = table_codebook(table)
    iss = _Issues(table, frame)
    typed = parse_types(frame, cb, iss)
    check_rules(typed, cb, iss, "")
    code = typed["village_code"]
    dup = (code.duplicated(keep=False) & code.notna()).to_numpy(dtype=bool)
    iss.add(dup, "village_code", f"{table}_duplicate")
    if table == "frame" and "sampled" in typed.columns:
        sampled = (typed["sampled"] == 1).fillna(False).to_numpy(dtype=bool)
        prob = (typed["selection_prob"] if "selection_prob" in typed.columns
                else pd.Series(np.nan, index=typed.index))
        iss.add(sampled & prob.isna().to_numpy(dtype=bool), "selection_prob",
                "frame_prob_required")
    part = iss.result()
    rejected = {table: _rejected(part)}
    issues = _finish({table: part}, {table: typed}, {table: frame}, None, {table: cb}, masker)
    valid = typed.drop(index=rejected[table]) if len(rejected[table]) else typed
    return ValidationReport(valid={table: valid}, issues=issues, rejected=rejected,
                            typed={table: typed})


def _display(values: pd.Series) -> pd.Series:
    s = values.astype(object).map(
        lambda v: "(empty)" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
        or v is pd.NaT else str(v))
    return s.where(s.str.len() <= 40, s.str.slice(0, 37) + "...")


def _personal_columns(cb: pd.DataFrame) -> set[str]:
    return set(cb.loc[cb["personal"].isin(["name", "national_id", "phone"]), "name"])


def issue_table(table: str, found: pd.DataFrame, personal: set[str] | frozenset[str] = frozenset(),
                masker: Any = None) -> pd.DataFrame:
    """Turn failures into rows of the user-facing issue table (:data:`ISSUE_COLUMNS`).

    Parameters
    ----------
    table : str
        The table the rows belong to.
    found : pandas.DataFrame
        One row per failure with ``index, file, row, column, rule, value`` and optionally
        ``params`` (dict of message placeholders), ``detail``, ``submission_uuid`` and
        ``village_code``. Every rule must be in ``params/validation_rules.yaml``.
    personal : set of str
        Columns whose values are never shown (``<masked>``).
    masker : PersonalMasker, optional
        Masks national IDs, phones and known names in the values shown.

    Returns
    -------
    pandas.DataFrame
        The issue rows, with messages in English and Thai.
    """
    rule_texts = rules()
    unknown = sorted(set(found["rule"]) - set(rule_texts))
    if unknown:
        raise ParamsError(f"validation_rules.yaml has no rule {unknown[0]}")
    p = found.copy()
    n = len(p)
    p["table"] = table
    for col in ("params", "detail", "submission_uuid"):
        if col not in p.columns:
            p[col] = [{}] * n if col == "params" else None
    if "village_code" in p.columns:
        vc = p["village_code"].astype("str")
        ok = vc.str.fullmatch(r"[0-9]{8}").fillna(False).to_numpy(dtype=bool)
        p["amphoe_code"] = np.where(ok, vc.str.slice(0, 4).to_numpy(dtype=object), None)
        p["tambon_code"] = np.where(ok, vc.str.slice(0, 6).to_numpy(dtype=object), None)
    else:
        p["amphoe_code"] = None
        p["tambon_code"] = None
    raw = p["value"]
    if masker is not None:
        raw = masker.mask_series(raw.astype(object))
    value = _display(raw)
    value[p["column"].isin(personal).to_numpy()] = MASKED
    p["value"] = value.to_numpy(dtype=object)
    p["severity"] = p["rule"].map({r: v["severity"] for r, v in rule_texts.items()})
    if masker is not None and p["detail"].notna().any():
        p["detail"] = masker.mask_series(p["detail"].astype(object))
    words = labels()
    because = load(RULES_FILE, parse_validation_rules).because
    for lang, col in (("en", "message"), ("th", "message_th")):
        p[col] = [
            label_in(words, "issue.frame", lang, file=f, row=r, column=c, value=v, rule=rule,
                     detail=_rule_message(rule_texts[rule][lang], prm or {}, d, lang, because))
            for f, r, c, v, rule, prm, d in zip(
                p["file"].astype(str), p["row"].astype(str), p["column"].astype(str),
                p["value"].astype(str), p["rule"], p["params"], p["detail"], strict=True)]
    out = p[ISSUE_COLUMNS].copy()
    out["row"] = out["row"].astype("int64")
    return out


def _rule_message(text: str, params: Mapping[str, Any], detail: Any, lang: str,
                  because: Mapping[str, Mapping[str, Mapping[str, str]]]) -> str:
    """Return a rule's message for one issue, with the question's ``because`` text after it.

    ``params["because"]`` names the text (question, ``rejected`` or ``kept``): what the
    unusable answer does beyond the rule (a village's household count rejects its form
    because it weights the village's households).
    """
    fields = {**params, "detail": detail if detail is not None else "",
              # the pattern's words only where the message says them (reading the meanings on
              # every issue row cost 0.1 ms a row, a review)
              "pattern": pattern_in_words(params.get("regex"), lang)
              if "{pattern}" in text else ""}
    out = text.format_map(fields)
    named = params.get("because")
    if named:
        name, when = named
        if when == "kept" and not fields["detail"] and "kept_unlisted" in because[name]:
            when = "kept_unlisted"  # the round's frame does not list the row's village
        said = because[name][when]["th" if lang == "th" else "en"].format_map(fields)
        out += (" " if lang == "th" else "; ") + said
    return out


_DIGITS_RE = re.compile(r"\^?(?:\[0-9\]|\\d)\{(\d+)(?:,(\d+))?\}\$?")


def pattern_in_words(regex: Any, lang: str) -> str:
    """Return a field officer's words for a value pattern of the form or the rules.

    The pattern's meaning declared in ``params/validation_rules.yaml`` (``rules.regex.meanings``)
    where there is one; else a plain run of digits (``^[0-9]{5}$``, ``\\d{10,12}``) is said as
    such ("5 digits", "ตัวเลข 5 หลัก") and any other pattern is quoted as the questionnaire's.
    The messages read "must match the pattern ^[0-9]{8}$" before.

    Parameters
    ----------
    regex : str or None
        The pattern as declared (with or without ``^`` and ``$``).
    lang : {"en", "th"}
        The language of the words.

    Returns
    -------
    str

    Examples
    --------
    >>> pattern_in_words("^[0-9]{8}$", "en")
    "8 digits, a village code (the tambon's 6-digit code and the 2-digit village number)"
    >>> pattern_in_words("^[0-9]{5}$", "en"), pattern_in_words("^[0-9]{5}$", "th")
    ('5 digits', 'ตัวเลข 5 หลัก')
    >>> pattern_in_words("[A-Z]+", "en")
    'written as the questionnaire asks ([A-Z]+)'
    """
    text = "" if regex is None or (isinstance(regex, float) and np.isnan(regex)) else str(regex)
    meaning = pattern_meanings().get(_bare(text))
    if meaning is not None:
        return meaning["th" if lang == "th" else "en"]
    m = _DIGITS_RE.fullmatch(text)
    if m:
        n = m.group(1) if not m.group(2) else f"{m.group(1)}–{m.group(2)}"
        return f"ตัวเลข {n} หลัก" if lang == "th" else f"{n} digits"
    return (f"ข้อความตามรูปแบบที่แบบสอบถามกำหนด ({text})" if lang == "th"
            else f"written as the questionnaire asks ({text})")


def empty_issues() -> pd.DataFrame:
    """Return an issue table with no rows (the columns of :data:`ISSUE_COLUMNS`)."""
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("row", "index") else "str")
                         for c in ISSUE_COLUMNS})


def _finish(parts: dict[str, pd.DataFrame], typed: dict[str, pd.DataFrame],
            frames: dict[str, pd.DataFrame], directory: Any,
            codebooks: dict[str, pd.DataFrame] | None = None, masker: Any = None
            ) -> pd.DataFrame:
    """Turn collected failures into the user-facing table with messages."""
    out = []
    for table, p in parts.items():
        if p.empty:
            continue
        frame = frames[table]
        t = typed[table]
        cb = (codebooks or {}).get(table)
        if cb is None:
            cb = instrument_codebook(table, directory)
        p = p.copy()
        p["file"] = frame.loc[p["index"], "source_file"].to_numpy()
        p["row"] = frame.loc[p["index"], "source_row"].to_numpy()
        p["submission_uuid"] = (t.loc[p["index"], "submission_uuid"].to_numpy()
                                if "submission_uuid" in t.columns else None)
        if "village_code" in t.columns:
            p["village_code"] = t.loc[p["index"], "village_code"].to_numpy()
        out.append(issue_table(table, p, _personal_columns(cb), masker))
    if not out:
        return empty_issues()
    issues = pd.concat(out, ignore_index=True)
    issues = issues.sort_values(["table", "file", "row", "column", "rule"], kind="stable")
    return issues.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# pandera contract of the stored tables


def schema(table: str, directory: Any = None) -> pandera.DataFrameSchema:
    """Return a pandera ``DataFrameSchema`` of a stored (validated, pseudonymised) table.

    The ingest checks are vectorised by hand for speed and for messages per file row; this
    schema states the same contract declaratively, so notebooks and tests can check a table
    loaded with :func:`abcresearch.store.read.load`.
    """
    import pandera.pandas as pa

    cb = instrument_codebook(table, directory)
    form = FORMS[table]
    cols: dict[str, Any] = {}
    for q in cb.itertuples(index=False):
        if q.personal in ("name", "national_id", "phone"):
            continue
        checks = []
        nullable = (not q.required or isinstance(q.relevant_question, str)
                    or isinstance(q.capital, str))
        if q.type in ("integer", "decimal"):
            if q.min is not None and not pd.isna(q.min):
                checks.append(pa.Check.in_range(q.min, q.max, include_min=q.min_inclusive,
                                                include_max=q.max_inclusive))
            dtype = "Int64" if q.type == "integer" else "float64"
        elif q.type == "select_one":
            checks.append(pa.Check.isin(list(instrument_choices(q.list_name, form)["name"])))
            dtype = "str"
        elif q.type in ("date", "start", "end", "datetime"):
            dtype = None
            nullable = True
        else:
            dtype = "str"
            if isinstance(q.regex, str) and q.regex:
                checks.append(pa.Check.str_matches(q.regex))
            if isinstance(q.equals, str) and q.equals:
                checks.append(pa.Check.eq(q.equals))
        cols[q.name] = pa.Column(dtype, checks=checks, nullable=nullable, required=False)
    unique = table != "members"
    cols["submission_uuid"] = pa.Column("str", nullable=False, unique=unique)
    cols["tambon_code"] = pa.Column("str", pa.Check.str_matches(r"^[0-9]{6}$"))
    cols["round"] = pa.Column("int64")
    return pa.DataFrameSchema(cols, strict=False, coerce=False, name=table)
