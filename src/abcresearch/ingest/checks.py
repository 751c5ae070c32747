"""Checks of a whole export and of the merged round, beyond single cells and rows.

* :func:`truncation_issues`: a file that ends in the middle of a row, a household file cut short
  (the roster's last rows have no household), a roster file cut short (the last households have
  no roster row);
* :func:`encoding_issues`: lines of a UTF-8 file read as Thai Windows text (kept, named);
* :func:`find_resubmissions`: the same interview sent again under a new submission id;
* :func:`duplicate_hh_keys`: one head of household in several submissions of a round;
* :func:`mask_free_text`: national IDs, phones and respondents' names typed into free text;
* :func:`frame_issues`: the frame against the export (sampled villages without data, surveyed
  villages missing from the frame or not sampled) and the auxiliary table against the frame.

Each returns rows for the issue table (:func:`abcresearch.survey.validate.issue_table`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from abcresearch.labels import label
from abcresearch.survey.instrument import codebook
from abcresearch.survey.pseudonyms import PersonalMasker, find_personal_data
from abcresearch.survey.readers import Sheet
from abcresearch.survey.settings import ingest_settings
from abcresearch.survey.validate import empty_issues, isin, issue_table


def _issue(table: str, file: str, row: int, column: str, rule: str, detail: str,
           value: object = None, village: str | None = None,
           uuid: str | None = None, detail_th: str | None = None) -> dict[str, object]:
    return {"index": -1, "file": file, "row": int(row), "column": column, "rule": rule,
            "value": value, "detail": detail, "village_code": village, "submission_uuid": uuid,
            "params": {"detail_th": detail_th if detail_th is not None else detail}}


def _both(key: str, **fields: object) -> tuple[str, str]:
    """Return a message of ``params/labels.yaml`` in English (notes) and Thai (issues.csv)."""
    return label(key, "en", **fields), label(key, "th", **fields)


def issues_from(table: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    """Return issue-table rows (with messages) for a list of ``_issue`` dicts of one table."""
    if not rows:
        return empty_issues()
    return issue_table(table, pd.DataFrame(rows))


@dataclass
class Truncation:
    """What :func:`truncation_issues` found: issue rows and one sentence per finding."""

    issues: pd.DataFrame
    notes: list[str]
    #: the findings alone, without "looks cut short" and the advice the notes add (for a
    #: refusal's sentence, which says "looks cut short" once for all of them)
    signs: list[str] = field(default_factory=list)


def encoding_issues(sheets: list[Sheet]) -> Truncation:
    """Name every line of a UTF-8 file that was read as Thai Windows text (CP874).

    The rows are kept (a row edited and saved again on a Thai Windows machine); the warning
    asks the user to check their Thai text.
    """
    rows: dict[str, list[dict[str, object]]] = {}
    notes: list[str] = []
    for sh in sheets:
        for line in sh.recoded_lines:
            text, text_th = _both("ingest.line_cp874", file=sh.file, line=line)
            notes.append(text)
            rows.setdefault(sh.table, []).append(
                _issue(sh.table, sh.file, line, "(row)", "line_encoding", text,
                       detail_th=text_th))
    parts = [issues_from(t, r) for t, r in rows.items()]
    return Truncation(pd.concat(parts, ignore_index=True) if parts else empty_issues(), notes)


def truncation_issues(sheets: list[Sheet], frames: dict[str, pd.DataFrame],
                      unread_households: Collection[str] = ()) -> Truncation:
    """Notice tables that look cut short.

    Parameters
    ----------
    sheets : list of Sheet
        Every sheet read (with ``table`` and ``truncated_at``).
    frames : dict
        Table -> normalised text frame, with ``submission_uuid`` filled in.
    unread_households : collection of str, optional
        Submission ids of household rows rejected unread (malformed rows): their roster rows
        have a household, so they are no sign of a household file cut short.
    """
    min_rows = ingest_settings().truncation_min_rows
    rows: dict[str, list[dict[str, object]]] = {}
    notes: list[str] = []
    signs: list[str] = []
    check_en, check_th = _both("ingest.cut.check")

    def found(key: str, **fields: object) -> tuple[str, str]:
        sign, sign_th = _both(key, **fields)
        signs.append(label(f"{key}.fact", "en", **fields))
        notes.append(f"{sign}; {check_en}")
        return notes[-1], f"{sign_th} {check_th}"
    for sh in sheets:
        if sh.truncated_at is not None:
            text, text_th = found("ingest.cut.mid_row", file=sh.file, row=sh.truncated_at)
            rows.setdefault(sh.table, []).append(
                _issue(sh.table, sh.file, sh.truncated_at, "(file)", "file_truncated", text,
                       detail_th=text_th))
    hh, mem = frames.get("households"), frames.get("members")
    if hh is not None and mem is not None and len(mem):
        muuid = mem["submission_uuid"]
        orphan = ~isin(muuid, hh["submission_uuid"]) & ~isin(muuid, set(unread_households))
        n_orphan = int(orphan.sum())
        if n_orphan >= min_rows:
            first = int(np.argmax(orphan))
            if orphan[first:].all():  # every roster row from the first orphan to the end
                hh_files = sorted(set(hh["source_file"]))
                last = hh.iloc[-1]
                text, text_th = found("ingest.cut.roster_orphans", files=", ".join(hh_files),
                                      n=f"{n_orphan:,}", file=mem["source_file"].iloc[first],
                                      row=int(mem["source_row"].iloc[first]))
                rows.setdefault("households", []).append(
                    _issue("households", str(last["source_file"]), int(last["source_row"]),
                           "(file)", "file_truncated", text, detail_th=text_th))
        has_roster = isin(hh["submission_uuid"], muuid)
        if has_roster.any() and not has_roster[-1]:
            last_with = int(np.flatnonzero(has_roster)[-1])
            tail = len(has_roster) - last_with - 1
            if tail >= min_rows:
                first_hh = hh.iloc[last_with + 1]
                mem_files = sorted(set(mem["source_file"]))
                text, text_th = found("ingest.cut.no_roster", files=", ".join(mem_files),
                                      n=f"{tail:,}", file=first_hh["source_file"],
                                      row=int(first_hh["source_row"]))
                last = mem.iloc[-1]
                rows.setdefault("members", []).append(
                    _issue("members", str(last["source_file"]), int(last["source_row"]),
                           "(file)", "file_truncated", text, detail_th=text_th))
    parts = [issues_from(t, r) for t, r in rows.items()]
    out = pd.concat(parts, ignore_index=True) if parts else empty_issues()
    return Truncation(out, notes, signs)


def empty_table_issues(sheets: list[Sheet]) -> Truncation:
    """Note sheets with a header but no rows (the household case is refused by the ingest)."""
    rows: dict[str, list[dict[str, object]]] = {}
    notes = []
    for sh in sheets:
        if sh.n_rows == 0:
            text = f"{sh.file} has a header but no rows: its {sh.table} table is empty"
            notes.append(text)
            rows.setdefault(sh.table, []).append(
                _issue(sh.table, sh.file, 1, "(file)", "empty_table", text))
    parts = [issues_from(t, r) for t, r in rows.items()]
    return Truncation(pd.concat(parts, ignore_index=True) if parts else empty_issues(), notes)


# --------------------------------------------------------------------------------------------
# the merged round


def answer_columns(households: pd.DataFrame) -> list[str]:
    """Columns compared to tell a re-submitted household (``params/ingest.yaml``)."""
    ignore = set(ingest_settings().resubmission_ignore)
    questions = [n for n in codebook("households")["name"] if n in households.columns]
    return [c for c in ["village_code", "hh_key", *questions]
            if c in households.columns and c not in ignore]


def _signature(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    text = pd.DataFrame({c: df[c].astype(object).map(
        lambda v: "" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
        else str(v)) for c in cols}, index=df.index)
    return pd.util.hash_pandas_object(text, index=False)


def find_resubmissions(new: pd.DataFrame, old: pd.DataFrame | None) -> pd.DataFrame:
    """Find households of ``new`` that repeat another submission (same village, head, answers).

    Parameters
    ----------
    new : pandas.DataFrame
        Valid households of this export (pseudonymised, with ``hh_key``).
    old : pandas.DataFrame, optional
        Households already stored for the round.

    Returns
    -------
    pandas.DataFrame
        One row per repeat, indexed like ``new``: ``kept`` (the submission id kept). The copy
        kept is the one already stored, else the first in file order.
    """
    empty = pd.DataFrame({"kept": pd.Series(dtype="str")})
    if new is None or new.empty or "hh_key" not in new.columns:
        return empty
    keys = ["village_code", "hh_key", "submission_uuid", "source_file", "source_row"]
    parts = [new[keys].assign(_old=False)]
    sources = [("new", new)]
    if old is not None and len(old) and "hh_key" in old.columns:
        old = old[~isin(old["submission_uuid"], new["submission_uuid"])]
        parts.insert(0, old[keys].assign(_old=True))
        sources.insert(0, ("old", old))
    both = pd.concat(parts, keys=["old", "new"][-len(parts):], names=["_part", "_label"])
    both = both[both["hh_key"].notna().to_numpy()]
    pair = both["village_code"].astype(str) + "|" + both["hh_key"].astype(str)
    cand = both[pair.duplicated(keep=False).to_numpy()]
    if cand.empty:
        return empty
    # only now the answers of the few candidates are compared
    rows = []
    for part, frame in sources:
        mine = cand.index.get_level_values("_part") == part
        if mine.any():
            labels = cand.index.get_level_values("_label")[mine]
            rows.append(frame.loc[labels].set_axis(cand.index[mine]))
    full = pd.concat(rows)
    cols = answer_columns(full)
    cand = cand.assign(_sig=_signature(full.loc[cand.index], cols).to_numpy())
    cand = cand.sort_values(["_old", "source_file", "source_row"], ascending=[False, True, True],
                            kind="stable")
    keeper = cand.groupby("_sig")["submission_uuid"].transform("first")
    repeat = cand[(cand["submission_uuid"] != keeper).to_numpy() & ~cand["_old"].to_numpy()]
    return pd.DataFrame({"kept": keeper.loc[repeat.index].to_numpy()},
                        index=repeat.index.get_level_values("_label"))


def unchanged_submissions(new: pd.DataFrame | None, old: pd.DataFrame | None) -> set[str]:
    """Return the submission ids of ``new`` already stored with the same answers.

    An export sent again replaces these households with themselves: the summary says
    "unchanged" for them, and "replaced" only where an answer changed.
    """
    if new is None or old is None or new.empty or old.empty:
        return set()
    same = old[isin(old["submission_uuid"], new["submission_uuid"])]
    if same.empty:
        return set()
    cols = list(dict.fromkeys(c for c in answer_columns(new) if c in same.columns))
    both = pd.concat([same[["submission_uuid", *cols]], new[["submission_uuid", *cols]]],
                     keys=["old", "new"])  # one frame: the same text for the same value
    sig = _signature(both, cols)
    before = dict(zip(both.loc["old", "submission_uuid"], sig.loc["old"], strict=True))
    return {u for u, v in zip(both.loc["new", "submission_uuid"], sig.loc["new"], strict=True)
            if before.get(u) == v}


def duplicate_hh_keys(households: pd.DataFrame) -> pd.DataFrame:
    """Warn for every household whose ``hh_key`` is in another submission of the round."""
    if households is None or households.empty or "hh_key" not in households.columns:
        return empty_issues()
    hh = households[households["hh_key"].notna()]
    dup = hh[hh["hh_key"].duplicated(keep=False)]
    if dup.empty:
        return empty_issues()
    others = dup.groupby("hh_key")["submission_uuid"].agg(list)
    rows = []
    for r in dup.itertuples(index=False):
        other = [u for u in others[r.hh_key] if u != r.submission_uuid]
        rows.append(_issue("households", str(r.source_file), int(r.source_row), "hh_key",
                           "duplicate_hh_key", ", ".join(other[:3]) + (
                               f" and {len(other) - 3} more" if len(other) > 3 else ""),
                           value=r.hh_key, village=r.village_code, uuid=r.submission_uuid))
    return issues_from("households", rows)


def dates_outside_round(households: pd.DataFrame | None, survey_round: int
                        ) -> tuple[pd.DataFrame, list[str]]:
    """Warn for households interviewed outside the round's year (give or take one).

    An export of another year ingested under this round would otherwise merge in as new
    households without a word (round 2549 is 2006 CE; 2005-2007 pass).

    Returns
    -------
    (DataFrame, list of str)
        One ``date_outside_round`` warning per household, and a note for the summary.
    """
    if households is None or households.empty or "interview_date" not in households.columns:
        return empty_issues(), []
    when = pd.to_datetime(households["interview_date"], errors="coerce")
    year = when.dt.year
    ce = survey_round - 543
    off = households[year.notna() & ((year < ce - 1) | (year > ce + 1))]
    if off.empty:
        return empty_issues(), []
    # the date as a field team writes it (day/month/Buddhist-era year), not the stored
    # Christian-era date: "01/05/2459" typed for 2549 read back as "1916-05-01" before
    rows = [_issue("households", str(r.source_file), int(r.source_row), "interview_date",
                   "date_outside_round",
                   f"interviewed in {int(y)} ({int(y) + 543} BE), not around round "
                   f"{survey_round} ({ce})",
                   value=f"{d.day:02d}/{d.month:02d}/{d.year + 543} BE", village=r.village_code,
                   uuid=r.submission_uuid,
                   detail_th=f"สัมภาษณ์ปี พ.ศ. {int(y) + 543} ไม่ใช่ช่วงรอบ {survey_round}")
            for r, y, d in zip(off.itertuples(index=False), year[off.index], when[off.index],
                               strict=True)]
    years = ", ".join(str(int(y) + 543) for y in sorted(year[off.index].unique())[:3])
    where = "; ".join(f"{f} row{'s' if len(g) > 1 else ''} "
                      + ", ".join(str(int(r)) for r in g["source_row"].head(5))
                      + (", ..." if len(g) > 5 else "")
                      for f, g in off.groupby("source_file", sort=False))
    note = (f"{len(off):,} household{'s were' if len(off) != 1 else ' was'} interviewed in "
            f"{years} BE, not around round {survey_round} ({where}): check the dates, and that "
            "the export belongs to this round (see issues.csv, rule date_outside_round)")
    return issues_from("households", rows), [note]


#: Stored text columns that are identifiers, not answers: never masked.
_NOT_FREE_TEXT = re.compile(r"(_code|_key|_uuid|^source_file|^stratum|^round)$")


def mask_free_text(tables: dict[str, pd.DataFrame], masker: PersonalMasker
                   ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Mask personal data typed into the free-text answers of the tables to be stored.

    The personal columns themselves (names, IDs, phones) are dropped or pseudonymised by
    :func:`~abcresearch.ingest.tables.build_tables`; a national ID, phone number or
    respondent's name typed into another text answer (a village name, an "other" answer)
    would reach the store, the reports and their workbooks. It is masked in place, and each
    cell is listed as a ``personal_in_text`` warning (the row is kept).

    Returns
    -------
    (dict, DataFrame)
        The tables (a table is copied only where a cell changed) and the issue rows.
    """
    out: dict[str, pd.DataFrame] = {}
    parts = []
    for table, df in tables.items():
        rows = []
        for col in df.columns:
            values = df[col]
            if _NOT_FREE_TEXT.search(str(col)) or not (
                    pd.api.types.is_object_dtype(values.dtype)
                    or pd.api.types.is_string_dtype(values.dtype)):
                continue
            masked = masker.mask_series(values)
            if masked is values:
                continue
            changed = (masked.astype("object") != values.astype("object")).fillna(False)
            changed = changed.to_numpy(dtype=bool)
            df = df.copy() if df is tables[table] else df
            df[col] = masked
            for i in np.flatnonzero(changed):
                what = find_personal_data(str(values.iloc[i]), masker.names)
                kinds = sorted({w.split(" …")[0] for w in what}) or ["personal data"]
                en = " and ".join(kinds)
                th = " และ".join(_KIND_TH.get(k, k) for k in kinds)
                rows.append(_issue(table, str(df["source_file"].iloc[i]),
                                   int(df["source_row"].iloc[i]), str(col), "personal_in_text",
                                   en, value=masked.iloc[i],
                                   village=df["village_code"].iloc[i]
                                   if "village_code" in df else None,
                                   uuid=df["submission_uuid"].iloc[i]
                                   if "submission_uuid" in df else None, detail_th=th))
        out[table] = df
        if rows:
            parts.append(issues_from(table, rows))
    return out, (pd.concat(parts, ignore_index=True) if parts else empty_issues())


_KIND_TH = {"national ID": "เลขประจำตัวประชาชน", "phone number": "หมายเลขโทรศัพท์",
            "name": "ชื่อผู้ให้ข้อมูล", "personal data": "ข้อมูลส่วนบุคคล"}


def _first_rows(households: pd.DataFrame, codes: set[str]) -> pd.DataFrame:
    hh = households[isin(households["village_code"], codes)]
    hh = hh.sort_values(["source_file", "source_row"], kind="stable")
    first = hh.groupby("village_code", sort=True).head(1).set_index("village_code")
    first["n"] = hh.groupby("village_code").size()
    return first


def frame_issues(households: pd.DataFrame | None, frame: pd.DataFrame | None,
                 auxiliary: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """Check the round's frame against its households, and the auxiliary table against the frame.

    Returns the issue rows and one sentence per kind of finding (for the summary).
    """
    notes: list[str] = []
    parts: list[pd.DataFrame] = []
    if frame is None or frame.empty:
        return empty_issues(), notes
    fr = frame.drop_duplicates("village_code").set_index("village_code")
    surveyed = (set(households["village_code"].dropna()) if households is not None
                else set())
    sampled = set(fr.index[(fr["sampled"] == 1).fillna(False).to_numpy(dtype=bool)])
    no_data = sorted(sampled - surveyed)
    if no_data:
        rows = [_issue("frame", str(fr.at[c, "source_file"]), int(fr.at[c, "source_row"]),
                       "sampled", "frame_sampled_no_data", "", value=1, village=c)
                for c in no_data]
        parts.append(issues_from("frame", rows))
        notes.append(f"{len(no_data):,} village{'s' if len(no_data) > 1 else ''} sampled in the "
                     f"frame {'have' if len(no_data) > 1 else 'has'} no household in the export "
                     f"({', '.join(no_data[:5])}{', ...' if len(no_data) > 5 else ''})")
    if households is not None and len(households):
        missing = surveyed - set(fr.index)
        not_sampled = (surveyed & set(fr.index)) - sampled
        for codes, rule, words in ((missing, "frame_village_missing",
                                    "are not among the frame's valid rows"),
                                   (not_sampled, "frame_not_sampled",
                                    "are marked not sampled in the frame")):
            if not codes:
                continue
            first = _first_rows(households, codes)
            rows = [_issue("households", str(r.source_file), int(r.source_row), "village_code",
                           rule, f"{int(r.n):,}", value=code, village=code)
                    for code, r in first.iterrows()]
            parts.append(issues_from("households", rows))
            n = int(first["n"].sum())
            notes.append(f"{len(codes):,} surveyed village{'s' if len(codes) > 1 else ''} "
                         f"({', '.join(sorted(codes)[:5])}{', ...' if len(codes) > 5 else ''}) "
                         f"{words}: their {n:,} households have no weight")
    if auxiliary is not None and len(auxiliary):
        lacking = sorted(set(fr.index) - set(auxiliary["village_code"]))
        if lacking:
            rows = [_issue("auxiliary", str(fr.at[c, "source_file"]),
                           int(fr.at[c, "source_row"]), "village_code", "auxiliary_missing", "",
                           value=c, village=c) for c in lacking]
            parts.append(issues_from("auxiliary", rows))
            notes.append(f"{len(lacking):,} frame village{'s' if len(lacking) > 1 else ''} "
                         f"{'have' if len(lacking) > 1 else 'has'} no row in the auxiliary table")
    out = pd.concat(parts, ignore_index=True) if parts else empty_issues()
    return out, notes
