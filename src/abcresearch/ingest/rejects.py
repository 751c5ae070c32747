"""Rejected rows as read (personal data masked), malformed rows, and the history of a round.

``rejects/<table>.csv`` keeps each rejected row with its original cells so that a field team can
find and fix it, except personal data: national IDs become their keyed pseudonym, names and
phones ``<removed>``, platform metadata that can identify people is dropped, and every other
cell is masked where it looks like a national ID, a phone or a respondent's name
(:class:`~abcresearch.survey.pseudonyms.PersonalMasker`). A malformed row (cells that do not
line up with the header) is kept cell by cell only when it can be aligned to the header (the
cells it has line up with their columns' formats); otherwise only its row number and cell count.

When another export of a round is ingested, the issues and rejects of the earlier exports are
kept (appended, with the export they came from: ``batch_id``, ``batch_source``, ``batch_time``);
an earlier issue whose submission a later export stored as valid is marked ``superseded``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from abcresearch.survey.pseudonyms import REMOVED, PersonalMasker, normalise_pid, pseudonymise
from abcresearch.survey.readers import META, MalformedRow, Sheet, header_lookup
from abcresearch.survey.validate import ValidationReport, issue_table, parse_date_text

#: Platform metadata kept in rejects (row keys a field team needs to find the record).
KEEP_META = {"_id", "_uuid", "_index", "_parent_index", "_submission__uuid", "_submission__id",
             "KEY", "PARENT_KEY"}
#: Issue rules computed on the whole round at every ingest (earlier copies are dropped).
ROUND_RULES = {"duplicate_hh_key", "frame_sampled_no_data", "frame_village_missing",
               "frame_not_sampled", "auxiliary_missing"}
#: Columns that say which export an issue or reject came from.
BATCH_COLUMNS = ("batch_id", "batch_source", "batch_time")

_UUID_RE = re.compile(r"^(uuid:)?[0-9a-fA-F-]{8,}$")


def _drop_meta(raw: pd.DataFrame) -> pd.DataFrame:
    meta = [c for c in raw.columns if (str(c).startswith("_") or str(c) in
                                       ("SubmitterID", "SubmitterName", "DeviceID"))
            and str(c) not in KEEP_META]
    return raw.drop(columns=meta)


def _mask_personal(raw: pd.DataFrame, personal: dict[str, str], key: bytes,
                   masker: PersonalMasker) -> pd.DataFrame:
    raw = raw.copy()
    for col, kind in personal.items():
        if col not in raw.columns:
            continue
        vals = raw[col]
        if kind == "national_id":
            raw[col] = pseudonymise(normalise_pid(vals), key).where(vals.notna(), None)
        else:
            raw[col] = vals.where(vals.isna(), REMOVED)
    return masker.mask_frame(raw, skip=[c for c, k in personal.items() if k == "national_id"])


def rejected_rows(sheets: list[Sheet], report: ValidationReport, table: str,
                  offsets: dict[str, int], key: bytes, masker: PersonalMasker) -> pd.DataFrame:
    """Rejected rows as read, personal cells pseudonymised, removed or masked, with their rules."""
    rej = report.rejected.get(table, pd.Index([]))
    iss = report.issues
    iss = iss[(iss["table"] == table) & (iss["severity"] == "error")]
    if not len(rej):
        return pd.DataFrame()
    parts = []
    for sh in sheets:
        if sh.table != table or sh.file not in offsets:
            continue
        off = offsets[sh.file]
        mine = rej[(rej >= off) & (rej < off + len(sh.frame))]
        if not len(mine):
            continue
        raw = sh.frame.iloc[np.asarray(mine) - off].copy()
        raw.index = mine
        parts.append(_drop_meta(_mask_personal(raw, sh.personal, key, masker)))
    out = pd.concat(parts) if parts else pd.DataFrame(index=rej)
    g = iss.groupby("index")
    out["_rule"] = g["rule"].agg(" | ".join).reindex(out.index)
    out["_column"] = g["column"].agg(" | ".join).reindex(out.index)
    out["_message"] = g["message"].agg(" | ".join).reindex(out.index)
    src = report.typed[table].loc[out.index]
    out["_source_file"] = src["source_file"].to_numpy()
    out["_source_row"] = src["source_row"].to_numpy()
    return out.sort_values(["_source_file", "_source_row"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# malformed rows


def _anchor_ok(kind: str, pattern: str | None, cell: str) -> bool:
    text = cell.strip()
    if not text:
        return True
    if kind == "regex":
        return re.fullmatch(pattern or "", text) is not None
    if kind == "date":
        return parse_date_text(text) is not None
    if kind == "datetime":
        return re.match(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}.*)?$", text) is not None
    return _UUID_RE.match(text) is not None


def _anchors(sheet: Sheet) -> list[tuple[int, str, str | None]]:
    """Columns whose format is known: (position, kind, regex)."""
    if sheet.table in ("frame", "auxiliary"):
        return [(i, "regex", r"[0-9]{8}") for i, h in enumerate(sheet.header)
                if h.strip().lower() == "village_code"]
    from abcresearch.survey.instrument import codebook

    look = header_lookup(sheet.table)
    cb = codebook(sheet.table).set_index("name")
    out: list[tuple[int, str, str | None]] = []
    for i, h in enumerate(sheet.header):
        name = look.get(h)
        if h in ("_uuid", "_submission__uuid", "KEY", "PARENT_KEY"):
            out.append((i, "uuid", None))
        elif name is not None and name in cb.index:
            q = cb.loc[name]
            if isinstance(q["regex"], str) and q["regex"]:
                out.append((i, "regex", q["regex"].lstrip("^").rstrip("$")))
            elif q["type"] == "date":
                out.append((i, "date", None))
            elif q["type"] in ("start", "end"):
                out.append((i, "datetime", None))
    return out


def aligned(sheet: Sheet, row: MalformedRow) -> bool:
    """Whether a malformed row's cells line up with the header's first columns.

    True when it has no more cells than the header and every cell in a column of known format
    (codes, national IDs, phones, dates, submission ids) has that format; at least one such
    column must be among its cells.
    """
    if len(row.cells) > row.n_columns:
        return False
    checks = [(i, k, p) for i, k, p in _anchors(sheet) if i < len(row.cells)]
    return bool(checks) and all(_anchor_ok(k, p, row.cells[i]) for i, k, p in checks)


def malformed_rows(sheet: Sheet, key: bytes, masker: PersonalMasker
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (issue rows, reject rows) for the malformed rows of a sheet."""
    if not sheet.malformed:
        return pd.DataFrame(), pd.DataFrame()
    found, rej = [], []
    for m in sheet.malformed:
        other_line = m.line != m.row  # a record that spans lines: name the file's line too
        found.append({"index": -1, "file": sheet.file, "row": m.row, "column": "(row)",
                      "rule": "malformed_row", "value": str(len(m.cells)),
                      "params": {"cells": len(m.cells), "columns": m.n_columns,
                                 "cells_en": f"{len(m.cells)} cell"
                                 + ("" if len(m.cells) == 1 else "s"),
                                 "line_en": f" (line {m.line} of the file)" if other_line else "",
                                 "line_th": f" (บรรทัดที่ {m.line} ของไฟล์)" if other_line
                                 else ""}})
        if aligned(sheet, m):
            cells = dict(zip(sheet.header, m.cells, strict=False))
            rej.append({"_aligned": True, **cells})
        else:
            rej.append({"_aligned": False})
    issues = issue_table(sheet.table, pd.DataFrame(found))
    raw = pd.DataFrame(rej)
    al = raw.pop("_aligned").to_numpy(dtype=bool)
    cells = raw.loc[al].drop(columns=[c for c in raw.columns if raw.loc[al, c].isna().all()])
    if len(cells):
        personal = {h: k for h, k in sheet.personal.items() if h in cells.columns}
        cells = _drop_meta(_mask_personal(cells.astype("str"), personal, key, masker))
    out = cells.reindex(raw.index)
    out["_rule"] = "malformed_row"
    out["_column"] = "(row)"
    out["_message"] = issues["message"].to_numpy()
    out["_cells"] = [len(m.cells) for m in sheet.malformed]
    out["_source_file"] = sheet.file
    out["_source_row"] = [m.row for m in sheet.malformed]
    return issues, out


def _malformed_cells(sheet: Sheet, column: str) -> list[tuple[int, str]]:
    """Return ``(row, cell)`` for the cells a sheet's malformed rows may hold in a meta column.

    ``column`` is the normalised name (:data:`~abcresearch.survey.readers.META`) of the
    column. The cells do not line up with the header, so each is taken counted from the row's
    start and from its end: a stray or missing delimiter shifts the cells after it, and Kobo
    writes its meta columns at the end of the row. Blank cells and repeats within a row are
    left out.
    """
    meta = META.get(sheet.table, {})
    where = [i for i, h in enumerate(sheet.header) if meta.get(h) == column]
    found: list[tuple[int, str]] = []
    for m in sheet.malformed:
        seen: set[str] = set()
        for i in where:
            for j in (i, i - m.n_columns + len(m.cells)):
                if not 0 <= j < len(m.cells):
                    continue
                cell = str(m.cells[j]).strip()
                if cell and cell not in seen:
                    seen.add(cell)
                    found.append((m.row, cell))
    return found


def malformed_submissions(sheet: Sheet) -> pd.DataFrame:
    """Return the submission ids a sheet's malformed rows may hold, to find their roster rows.

    A malformed household row is not read, yet its roster rows are: without its id they read
    as roster rows of no household (``orphan_member``) instead of rows whose household was
    rejected (``parent_rejected``, naming ``malformed_row``). Its cells do not line up with the
    header, so the cell of each submission-id column (``_uuid``, ``KEY``, ``meta/instanceID``)
    is taken counted from the row's start and from its end: a stray or missing delimiter
    shifts the cells after it, and Kobo writes ``_uuid`` near the end of the row. A candidate
    is only ever matched against the ids of roster rows that no valid household claims.

    Parameters
    ----------
    sheet : Sheet
        A sheet as read, with its ``header`` and ``malformed`` rows.

    Returns
    -------
    pandas.DataFrame
        One row per candidate id: ``submission_uuid`` (a leading ``uuid:`` removed, as the
        validation does), ``file`` and ``row`` of the malformed row.
    """
    found = [{"submission_uuid": uuid, "file": sheet.file, "row": row}
             for row, cell in _malformed_cells(sheet, "submission_uuid")
             if (uuid := re.sub(r"^uuid:", "", cell))]
    return pd.DataFrame(found, columns=["submission_uuid", "file", "row"]).drop_duplicates()


def malformed_row_numbers(sheet: Sheet) -> pd.DataFrame:
    """Return the export row numbers (Kobo's ``_index``) a sheet's malformed rows may hold.

    The same as :func:`malformed_submissions` for a roster linked to its households by row
    number alone (its ``_parent_index`` is the household's ``_index``; no submission id): the
    ``_index`` cell of each malformed household row, counted from the row's start and from its
    end, kept where it is a whole number. A candidate is only ever matched against the
    ``_parent_index`` of roster rows that no valid household claims.

    Parameters
    ----------
    sheet : Sheet
        A sheet as read, with its ``header`` and ``malformed`` rows.

    Returns
    -------
    pandas.DataFrame
        One row per candidate: ``index`` (the row number as written), ``file`` and ``row`` of
        the malformed row.
    """
    found = [{"index": cell, "file": sheet.file, "row": row}
             for row, cell in _malformed_cells(sheet, "_index") if cell.isdigit()]
    return pd.DataFrame(found, columns=["index", "file", "row"])


# --------------------------------------------------------------------------------------------
# history of a round


def with_batch(frame: pd.DataFrame, batch: dict[str, str], prefix: str = "") -> pd.DataFrame:
    """Add the batch columns (``batch_id``, ``batch_source``, ``batch_time``) to a table."""
    out = frame.copy()
    for col in BATCH_COLUMNS:
        out[prefix + col] = batch[col]
    return out


def merge_issues(previous: pd.DataFrame | None, new: pd.DataFrame, batch: dict[str, str],
                 valid_uuids: set[str], villages_with_form: set[str]) -> pd.DataFrame:
    """Return the round's issue table: earlier exports' issues, then this export's.

    Issues of an earlier ingest of the same export (same ``batch_id``) and round-level issues
    (recomputed every time, :data:`ROUND_RULES`) are dropped from the history; an earlier issue
    is ``superseded`` when its submission is now stored as a valid row from a later export, or
    (``village_missing``) when its village now has a village form.
    """
    new = with_batch(new.drop(columns=["index"], errors="ignore"), batch)
    new["superseded"] = False
    if previous is None or previous.empty:
        return new.reset_index(drop=True)
    old = previous.copy()
    for col in BATCH_COLUMNS:
        if col not in old.columns:
            old[col] = "(earlier ingest)" if col == "batch_source" else ""
    old = old[(old["batch_id"] != batch["batch_id"]) & ~old["rule"].isin(ROUND_RULES)]
    sup = old["submission_uuid"].isin(valid_uuids)
    # the value of a village_missing issue is the household's village code
    sup |= (old["rule"] == "village_missing") & old["value"].isin(villages_with_form)
    prev_sup = old.get("superseded", pd.Series(False, index=old.index))
    old["superseded"] = sup | prev_sup.astype(str).str.lower().eq("true")
    return pd.concat([old, new], ignore_index=True)


def merge_rejects(previous: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame],
                  batch: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Return the round's reject tables: earlier exports' rejected rows, then this export's."""
    out: dict[str, pd.DataFrame] = {}
    for table in sorted(set(previous) | set(new)):
        parts = []
        old = previous.get(table)
        if old is not None and len(old):
            if "_batch_id" in old.columns:
                old = old[old["_batch_id"] != batch["batch_id"]]
            parts.append(old)
        df = new.get(table)
        if df is not None and len(df):
            parts.append(with_batch(df, batch, prefix="_"))
        if parts:
            out[table] = pd.concat(parts, ignore_index=True)
    return out
