"""Read a survey export folder, validate it, pseudonymise it and write it to the store.

``ingest(directory, survey_round=2549)`` is what ``abcresearch ingest DIR --round 2549`` runs:

0. **lock** the store (one ingest at a time; a second one waits with ``wait=True`` or fails with
   one sentence), remove what killed ingests left behind, and **check the pseudonym key**
   against the key fingerprints of the store's rounds (a different key is refused unless
   ``new_key=True``, which marks the rounds as not linkable).
1. **find** the files in ``DIR`` (``*.csv``, ``*.xlsx``; ``SYNTHETIC.txt``, ``_truth/`` and
   hidden files are ignored) and tell each table by its columns: ``_parent_index`` /
   ``_submission__uuid`` / ``PARENT_KEY`` -> roster (members); a ``vil_households`` column ->
   village form; ``frame.csv`` -> the round's village frame; ``bmn.csv`` -> the auxiliary
   village table; otherwise the household form. Kobo CSV/XLSX and ODK Central CSV (group
   separator ``-``, ``KEY``/``PARENT_KEY``) are understood.
2. **read** every cell as text: encoding by BOM -> ``utf-8-sig``, else strict UTF-8, else
   ``cp874`` (Thai Windows Excel); delimiter ``;``, ``,`` or tab from the header line. Each row
   keeps ``source_file`` and ``source_row`` (spreadsheet row, header = row 1). A row whose cells
   do not line up with the header is rejected on its own (``malformed_row``), its roster rows
   with it (``parent_rejected``); the file is refused only when too many are
   (``params/ingest.yaml``). A household file without rows is
   refused; other empty tables and files that look cut short are warned about.
3. **normalise** headers to the XLSForm leaf names, drop Kobo's select_multiple dummy columns
   (they are rebuilt from the space-separated answer), and map meta columns to
   ``submission_uuid``, ``submitted_at`` and ``form_version``.
4. **validate** with :func:`abcresearch.survey.validate.validate` (types, then rules); the frame
   and the auxiliary table with :func:`~abcresearch.survey.validate.validate_table`.
5. **pseudonymise**: national IDs become ``hh_key`` / ``member_key``; names and phone numbers
   are dropped. Rejected rows keep their original cells except personal data, which are
   pseudonymised, removed or masked (privacy takes precedence over "unchanged").
6. **merge** with what the store holds for the round (upsert by ``submission_uuid``, said in the
   summary); a household sent again under a new submission id (same village, head pseudonym
   and answers) is not stored twice; a head in several submissions is warned about; weights
   (see :mod:`abcresearch.ingest.tables`) are computed on the merged round.
7. **store** a new version of the round with :func:`abcresearch.store.write.write_round`
   (swapped in atomically), with the rejects and issues of this and earlier exports, a
   readable summary and a manifest.

A file that cannot be read at all raises :class:`~abcresearch.errors.InputError` with one
sentence naming the file (and where known the row and column).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch import __version__
from abcresearch.errors import InputError, StoreError
from abcresearch.ingest import checks
from abcresearch.ingest.rejects import (
    malformed_row_numbers,
    malformed_rows,
    malformed_submissions,
    merge_issues,
    merge_rejects,
    rejected_rows,
)
from abcresearch.ingest.tables import add_weights, build_tables, round_table
from abcresearch.paths import default_store
from abcresearch.store import layout
from abcresearch.store import read as store_read
from abcresearch.store import write as store_mod
from abcresearch.survey.instrument import load_form
from abcresearch.survey.pseudonyms import (
    KeyInfo,
    NoKeyError,
    PersonalMasker,
    resolve_key,
)
from abcresearch.survey.readers import (
    Sheet,
    classify,
    find_files,
    normalise,
    normalise_table,
    read_file,
)
from abcresearch.survey.settings import IngestSettings, ingest_settings
from abcresearch.survey.validate import (
    ValidationReport,
    column_patterns,
    empty_issues,
    isin,
    issue_table,
    pattern_in_words,
    round_year_problem,
    rules,
    validate,
    validate_table,
)

#: Survey tables, in the order they are read.
SURVEY_TABLES = ("households", "members", "villages")
#: Round-wide tables (one file each).
ROUND_TABLES = ("frame", "auxiliary")

# --------------------------------------------------------------------------------------------
# results


@dataclass
class IngestResult:
    """What one ingest did.

    Attributes
    ----------
    survey_round : int
        The round (Buddhist-era year).
    store : Path
        The analysis store.
    counts : pandas.DataFrame
        Per table: ``read, valid, rejected, warnings`` of this ingest and ``stored`` (rows in
        the store for the round after the merge).
    issues : pandas.DataFrame
        This export's failure table (see :data:`abcresearch.survey.validate.ISSUE_COLUMNS`);
        the store's ``issues.csv`` also keeps earlier exports' issues.
    area_counts : pandas.DataFrame
        Per table and amphoe: ``valid`` and ``rejected``.
    sources : list of dict
        Files read with their table, encoding, delimiter, rows and sha256.
    ignored_columns : dict
        File -> columns that are not in the instrument.
    notes : list of str
        Warnings for people: files cut short, empty tables, frame findings, the key.
    merge : dict or None
        When the round already held data: ``{"earlier_exports", "new", "replaced", "kept",
        "resubmitted"}`` (households).
    malformed : dict
        File -> rows whose cells did not line up with the header (rejected).
    version : Path or None
        The round's new version folder.
    cleaned : list of str
        Leftovers of killed ingests removed before this one.
    """

    survey_round: int
    store: Path
    counts: pd.DataFrame
    issues: pd.DataFrame
    area_counts: pd.DataFrame
    sources: list[dict]
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    merge: dict[str, int] | None = None
    malformed: dict[str, list[int]] = field(default_factory=dict)
    version: Path | None = None
    cleaned: list[str] = field(default_factory=list)

    @property
    def round_dir(self) -> Path:
        """The round's folder in the store (the version this ingest wrote)."""
        if self.version is not None:
            return self.version
        return layout.round_folder(self.survey_round, self.store)

    def rule_counts(self) -> pd.DataFrame:
        """Failures per table, rule and severity, most frequent first."""
        if self.issues.empty:
            return pd.DataFrame(columns=["table", "rule", "severity", "n"])
        return (self.issues.groupby(["table", "rule", "severity"]).size().rename("n")
                .reset_index().sort_values(["n", "table", "rule"], ascending=[False, True, True])
                .reset_index(drop=True))

    def merge_sentence(self) -> str:
        """One sentence on how this export was merged with the round already stored."""
        m = self.merge
        if not m:
            return ""
        text = (f"Round {self.survey_round} already held data from {m['earlier_exports']} "
                f"earlier export{'s' if m['earlier_exports'] != 1 else ''}: merged by submission "
                f"id, {m['new']:,} households new, {m['replaced']:,} replaced (same submission "
                f"id, answers changed), {m.get('unchanged', 0):,} unchanged (sent again), "
                f"{m['kept']:,} kept from before")
        if m.get("resubmitted"):
            text += (f"; {m['resubmitted']:,} sent again under a new id (same village, head and "
                     "answers) not stored twice")
        return text + "; earlier issues and rejects kept (column batch_id)"

    def summary(self, notes: bool = True) -> str:
        """Return readable lines: counts per table, top rules, per-amphoe counts, where to look.

        Parameters
        ----------
        notes : bool
            Include the warnings (the command line prints them to stderr instead, once).
        """
        lines = [f"Ingested round {self.survey_round} into {self.store}"]
        lines += [f"WARNING: {n}" for n in self.notes] if notes else []
        if self.merge:
            lines.append(self.merge_sentence())
        for s in self.sources:
            enc = f", {s['encoding']}" if s.get("encoding") else ""
            lines.append(f"  {s['file']}: {s['table']}, {s['rows']:,} rows{enc}")
        for r in self.counts.itertuples(index=False):
            lines.append(f"{r.table}: {r.read:,} read, {r.valid:,} valid, {r.rejected:,} "
                         f"rejected, {r.warnings:,} with warnings; {r.stored:,} in the store")
        for file, cols in self.ignored_columns.items():
            # a renamed question shows up here, not only in the validation summary
            shown = ", ".join(cols[:8]) + (f" and {len(cols) - 8} more" if len(cols) > 8 else "")
            lines.append(f"Columns of {file} not in the instrument (not stored): {shown}")
        for file, rows in self.malformed.items():
            shown = ", ".join(map(str, rows[:20])) + (", ..." if len(rows) > 20 else "")
            what = f"row {shown}" if len(rows) == 1 else f"{len(rows):,} rows: {shown}"
            lines.append(f"Malformed rows of {file} (cells not matching the header; rejected): "
                         f"{what}")
        rc = self.rule_counts()
        if len(rc):
            # every rule that rejected rows, then the most frequent warnings
            errors = rc[rc["severity"] == "error"]
            shown = pd.concat([errors, rc[rc["severity"] != "error"].head(
                max(0, 6 - len(errors)))])
            top = ", ".join(f"{x.rule} {x.n:,} ({x.table}, {x.severity})"
                            for x in shown.itertuples(index=False))
            more = len(rc) - len(shown)
            lines.append(f"Rules: {top}" + (f"; {more} more warning rule"
                                             f"{'s' if more != 1 else ''} in the validation "
                                             "summary" if more else ""))
        hh = self.area_counts[self.area_counts["table"] == "households"]
        if len(hh):
            per = ", ".join(f"{r.amphoe_code} {r.valid:,}/{r.rejected:,}"
                            for r in hh.itertuples(index=False))
            # rows rejected before an amphoe could be read from them (a malformed row)
            rejected = self.counts.set_index("table")["rejected"]
            placed = int(hh["rejected"].sum())
            other = int(rejected.get("households", placed)) - placed
            if other > 0:
                per += f" (and {other:,} rejected row{'s' if other != 1 else ''} with no amphoe)"
            lines.append(f"Households valid/rejected per amphoe: {per}")
        errors = self.issues[self.issues["severity"] == "error"] if len(self.issues) else None
        if errors is not None and len(errors):
            # name the rejected rows here, not only in the files (a field officer fixing an
            # export reads this first)
            shown = errors[["message", "message_th"]].head(5)
            lines.append("Rejected, e.g. (ปฏิเสธแถว):" if len(errors) > len(shown)
                         else "Rejected (ปฏิเสธแถว):")
            for en, th in shown.itertuples(index=False):  # the field team reads Thai
                lines += [f"  {en}"] + ([f"    {th}"] if isinstance(th, str) and th else [])
            if len(errors) > len(shown):
                lines.append(f"  ... and {len(errors) - len(shown):,} more (rejects/, "
                             "issues.csv)")
        if len(self.issues):
            lines.append(f"Rejected rows and issues: {self.round_dir / 'rejects'}, "
                         f"{self.round_dir / 'issues.csv'}, "
                         f"{self.round_dir / 'validation_summary.md'}")
        if self.cleaned:
            lines.append(f"Removed leftovers of interrupted ingests: {', '.join(self.cleaned)}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# the key


def _guard_key(store: Path, survey_round: int, new_key: bool) -> tuple[KeyInfo, dict[str, Any]]:
    """Return the key and its manifest entries; refuse a key that differs from the store's."""
    earlier: dict[int, str | None] = {}
    if store.is_dir():
        for r in store_read.rounds(store):
            earlier[r] = store_read.manifest(r, store).get("key_fingerprint")
    known = {r: f for r, f in earlier.items() if f}
    try:
        info = resolve_key(create=False)
    except NoKeyError:
        if known:
            rounds_txt = ", ".join(map(str, sorted(known)))
            raise InputError(
                f"no pseudonymisation key was found, but rounds {rounds_txt} of {store} were "
                f"pseudonymised with the key of fingerprint {sorted(set(known.values()))[0]}; set "
                "ABCRESEARCH_KEY_FILE to that key's file (a new key would make households "
                "impossible to match between rounds)") from None
        info = resolve_key(create=True)
    fp = info.fingerprint
    same = known.get(survey_round)
    if same and same != fp:
        raise InputError(
            f"round {survey_round} of {store} already holds households pseudonymised with "
            f"another key (fingerprint {same}; yours, from {info.source}, is {fp}); ingest this "
            "export with that key, or remove the round's folder to ingest it afresh")
    other = {r: f for r, f in known.items() if r != survey_round and f != fp}
    if other and not new_key:
        rounds_txt = ", ".join(map(str, sorted(other)))
        raise InputError(
            f"the pseudonymisation key from {info.source} (fingerprint {fp}) is not the key of "
            f"round{'s' if len(other) > 1 else ''} {rounds_txt} in {store} (fingerprint "
            f"{sorted(set(other.values()))[0]}), so households could not be matched between "
            "rounds; use the earlier key (ABCRESEARCH_KEY_FILE), or pass --new-key to ingest "
            "anyway and mark the rounds as not linkable")
    entries: dict[str, Any] = {"key_fingerprint": fp,
                               "not_linkable_with": sorted(other) if new_key else [],
                               "new_key": bool(new_key and other)}
    return info, entries


# --------------------------------------------------------------------------------------------
# reading the export


def _sha256(path: Path) -> str:
    """Return the sha256 (hex) of a file's bytes, as the manifest's ``sources`` record it."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _read_export(directory: Path) -> tuple[list[Sheet], list[dict]]:
    sheets: list[Sheet] = []
    sources: list[dict] = []
    for path in find_files(directory):
        digest = _sha256(path)
        for sh in read_file(path):
            sh.table = classify(sh)
            sheets.append(sh)
            sources.append({"file": sh.file, "table": sh.table, "rows": sh.n_rows,
                            "encoding": sh.encoding, "delimiter": sh.delimiter,
                            "sha256": digest})
    hh = [s for s in sheets if s.table == "households"]
    if not hh:
        raise InputError(f"the export folder {directory} holds no household form export")
    n_hh = sum(s.n_rows for s in hh)
    if n_hh == 0:
        n_mem = sum(s.n_rows for s in sheets if s.table == "members")
        files = ", ".join(s.file for s in hh)
        if n_mem:
            raise InputError(
                f"{files} has a header but no rows, so all {n_mem:,} roster rows would have no "
                "household: the export looks incomplete, and nothing was stored")
        raise InputError(f"{files} has a header but no household rows; nothing was stored")
    for table in ROUND_TABLES:
        mine = [s for s in sheets if s.table == table]
        if len({s.path for s in mine}) > 1:
            raise InputError(f"the export folder {directory} holds {len(mine)} {table} tables "
                             f"({', '.join(s.file for s in mine)}); keep one")
        for extra in mine[1:]:  # other sheets of the same workbook: notes, lists
            sheets.remove(extra)
            sources[:] = [s for s in sources if s["file"] != extra.file]
    return sheets, sources


def _names(sheets: list[Sheet]) -> list[str]:
    out: list[str] = []
    for sh in sheets:
        for col, kind in sh.personal.items():
            if kind == "name" and col in sh.frame.columns:
                out += sh.frame[col].dropna().astype(str).unique().tolist()
    return out


def _fill_keys(frames: dict[str, pd.DataFrame], sheets: list[Sheet]) -> set[str]:
    """Give hand-made exports a submission id, and link roster rows by ``_parent_index``.

    A roster row linked by row number to a malformed household row (its ``_parent_index`` the
    ``_index`` that row may hold, :func:`~abcresearch.ingest.rejects.malformed_row_numbers`,
    and no valid household's) gets the id ``<file>:<row>`` naming that row (in both languages
    of its message): it is rejected with it (``parent_rejected``, naming ``malformed_row``) as
    a roster row linked by submission id is, not read as a roster row of no household
    (``orphan_member``) or as a sign of a household file cut short.

    Returns
    -------
    set of str
        The ids given to roster rows of malformed household rows.

    Raises
    ------
    InputError
        The household file has no submission id while the roster links its rows by one (a
        made-up id would leave every roster row without its household).
    """
    hh, m = frames.get("households"), frames.get("members")
    if (hh is not None and "submission_uuid" not in hh.columns and m is not None
            and "submission_uuid" in m.columns and m["submission_uuid"].notna().any()):
        files = {t: ", ".join(sh.file for sh in sheets if sh.table == t)
                 for t in ("households", "members")}
        raise InputError(
            f"{files['households']} has no _uuid column (each form's submission id), but "
            f"{files['members']} links its roster rows to households by that id "
            "(_submission__uuid): export the household sheet again with its _uuid column; "
            "nothing was stored")
    for table in ("households", "villages"):
        f = frames.get(table)
        if f is None:
            continue
        if "submission_uuid" not in f.columns:
            # a stable id from the row's content, so re-ingesting the same file is idempotent
            cols = [c for c in f.columns if c not in ("source_file", "source_row")]
            h = pd.util.hash_pandas_object(f[cols].fillna(""), index=False)
            f["submission_uuid"] = "row-" + h.astype("uint64").map("{:016x}".format)
    m = frames.get("members")
    unread: set[str] = set()
    if m is not None:
        if "submission_uuid" not in m.columns:
            m["submission_uuid"] = pd.Series(pd.NA, index=m.index, dtype="str")
        hh = frames.get("households")
        hh_sheets = [s for s in sheets if s.table == "households"]
        if ("_parent_index" in m.columns and hh is not None and "_index" in hh.columns
                and len(hh_sheets) == 1):
            need = m["submission_uuid"].isna()
            if need.any():
                by_index = hh.drop_duplicates("_index").set_index("_index")["submission_uuid"]
                m.loc[need, "submission_uuid"] = m.loc[need, "_parent_index"].map(by_index)
            need = m["submission_uuid"].isna() & m["_parent_index"].notna()
            if need.any() and hh_sheets[0].malformed:
                # the row numbers of household rows that were not read (malformed), where no
                # valid household has the same one
                found = malformed_row_numbers(hh_sheets[0])
                found = found[~found["index"].isin(set(hh["_index"].dropna().str.strip()))
                              ].drop_duplicates("index")
                of_row = pd.Series((found["file"] + ":" + found["row"].astype(str)).to_numpy(),
                                   index=found["index"].to_numpy())
                linked = m.loc[need, "_parent_index"].str.strip().map(of_row)
                m.loc[linked.index, "submission_uuid"] = linked
                unread = set(linked.dropna())
    return unread


# --------------------------------------------------------------------------------------------
# the ingest


def _unread_households(sheets: list[Sheet]) -> set[str]:
    """Submission ids that the malformed rows of the household files may hold.

    Those rows are rejected unread (``malformed_row``); their ids, found as
    :func:`~abcresearch.ingest.rejects.malformed_submissions` says, tell their roster rows
    from roster rows of no household.
    """
    found: set[str] = set()
    for sh in sheets:
        if sh.table == "households" and sh.malformed:
            found |= set(malformed_submissions(sh)["submission_uuid"])
    return found


def _batch(directory: Path, sources: list[dict]) -> dict[str, str]:
    digest = hashlib.sha256("".join(sorted(s["sha256"] + s["file"] for s in sources)).encode())
    return {"batch_id": digest.hexdigest()[:12], "batch_source": directory.name,
            "batch_time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def _drop_repeats(report: ValidationReport, new: dict[str, pd.DataFrame],
                  repeats: pd.DataFrame, masker: PersonalMasker) -> None:
    """Move re-submitted households (and their roster rows) from valid to rejected."""
    if repeats.empty:
        return
    hh = new["households"]
    rows = hh.loc[repeats.index]
    found = pd.DataFrame({"index": repeats.index, "file": rows["source_file"].to_numpy(),
                          "row": rows["source_row"].to_numpy(), "column": "submission_uuid",
                          "rule": "resubmitted_household",
                          "value": rows["submission_uuid"].to_numpy(),
                          "detail": repeats["kept"].to_numpy(),
                          "submission_uuid": rows["submission_uuid"].to_numpy(),
                          "village_code": rows["village_code"].to_numpy()})
    parts = [issue_table("households", found, masker=masker)]
    uuids = set(rows["submission_uuid"])
    report.rejected["households"] = report.rejected["households"].append(
        pd.Index(repeats.index)).unique()
    new["households"] = hh.drop(index=repeats.index)
    report.valid["households"] = report.valid["households"].drop(index=repeats.index)
    if "members" in new:
        mem = new["members"]
        gone = mem.index[isin(mem["submission_uuid"], uuids)]
        if len(gone):
            mrows = mem.loc[gone]
            mfound = pd.DataFrame({
                "index": gone, "file": mrows["source_file"].to_numpy(),
                "row": mrows["source_row"].to_numpy(), "column": "submission_uuid",
                "rule": "parent_rejected", "value": mrows["submission_uuid"].to_numpy(),
                "detail": "resubmitted_household",
                "submission_uuid": mrows["submission_uuid"].to_numpy(),
                "village_code": mrows["village_code"].to_numpy()})
            parts.append(issue_table("members", mfound, masker=masker))
            report.rejected["members"] = report.rejected["members"].append(gone).unique()
            new["members"] = mem.drop(index=gone)
            report.valid["members"] = report.valid["members"].drop(index=gone)
    report.issues = pd.concat([report.issues, *parts], ignore_index=True)


def _round_table(sheets: list[Sheet], table: str, survey_round: int, masker: PersonalMasker,
                 ignored: dict[str, list[str]], frame: pd.DataFrame | None
                 ) -> tuple[ValidationReport | None, pd.DataFrame | None]:
    """Read, validate and build a round-wide table (frame or auxiliary) of the export."""
    mine = [s for s in sheets if s.table == table]
    if not mine:
        return None, None
    sh = mine[0]
    text, ign, extra = normalise_table(sh)
    if ign:
        ignored[sh.file] = ign
    text.index = pd.RangeIndex(0, len(text))
    report = validate_table(table, text, masker=masker)
    if table == "auxiliary" and frame is not None and len(frame):
        valid = report.valid[table]
        outside = valid.index[~isin(valid["village_code"], frame["village_code"])]
        if len(outside):
            rows = valid.loc[outside]
            found = pd.DataFrame({"index": outside, "file": rows["source_file"].to_numpy(),
                                  "row": rows["source_row"].to_numpy(), "column": "village_code",
                                  "rule": "auxiliary_not_in_frame",
                                  "value": rows["village_code"].to_numpy(),
                                  "village_code": rows["village_code"].to_numpy()})
            report.issues = pd.concat([report.issues, issue_table(table, found)],
                                      ignore_index=True)
            report.rejected[table] = report.rejected[table].append(outside).unique()
            report.valid[table] = valid.drop(index=outside)
    stored = round_table(report.valid[table], survey_round, extra)
    return report, stored


def ingest(directory: Path | str, survey_round: int, store: Path | str | None = None,
           wait: bool = False, new_key: bool = False,
           accept_cut_short: bool = False) -> IngestResult:
    """Read, validate, pseudonymise and store one survey export.

    Parameters
    ----------
    directory : path
        Folder holding the export (Kobo CSV/XLSX, ODK Central CSV, or hand-made CSV/XLSX), and
        optionally the round's ``frame.csv`` and ``bmn.csv`` (``docs/INPUTS.md``).
    survey_round : int
        The round as a Buddhist-era year, e.g. ``2549``.
    store : path, optional
        The analysis store (``data/store`` by default).
    wait : bool
        When another ingest is writing the store, wait for it (otherwise fail at once).
    new_key : bool
        Accept a pseudonym key that differs from the store's other rounds; the round is then
        recorded as not linkable with them.
    accept_cut_short : bool
        Store the rows that were read from an export that looks cut short (a file ending in
        the middle of a row, the last roster rows without their household, the last
        households without any roster row), each sign named as a ``file_truncated`` warning.
        By default such an export is refused and nothing is stored: its missing households
        would make sampled villages look unsurveyed in every report.

    Returns
    -------
    IngestResult
        Counts, issues and where everything was written; ``.summary()`` for people.

    Raises
    ------
    InputError
        A file cannot be read at all, the folder holds no household rows, the export looks
        cut short (unless ``accept_cut_short``), or the key is not the store's.
    StoreError
        The store is a file, or another ingest is writing it (:class:`StoreBusyError`).
    """
    problem = round_year_problem(survey_round)
    if problem:
        raise InputError(f"round {problem}")
    survey_round = int(survey_round)
    directory = Path(directory)
    store = Path(store) if store is not None else default_store()
    settings = ingest_settings()
    find_files(directory)  # a wrong folder is said before the store is touched
    with layout.ingest_lock(store, wait=wait, survey_round=survey_round):
        cleaned = layout.clean_leftovers(store)
        key_info, key_entries = _guard_key(store, survey_round, new_key)
        key = key_info.key
        sheets, sources = _read_export(directory)
        return _ingest_locked(directory, survey_round, store, settings, key_info, key,
                              key_entries, sheets, sources, cleaned, accept_cut_short)


def _refuse_if_nothing_valid(report: ValidationReport, frames: dict[str, pd.DataFrame],
                             extra_issues: list[pd.DataFrame]) -> None:
    """Refuse an export none of whose household rows is valid (nothing is stored).

    Storing it would swap in a round without households (or merge nothing) and say
    "Ingested"; the reasons are named instead, most frequent first.
    """
    read = len(frames.get("households", ()))
    if not read or len(report.valid.get("households", ())):
        return
    parts = [p for p in (report.issues, *extra_issues) if len(p)]
    issues = pd.concat(parts, ignore_index=True) if parts else report.issues
    errors = issues[(issues["table"] == "households") & (issues["severity"] == "error")]
    top = errors.groupby(["column", "rule"]).size().sort_values(ascending=False).head(3)
    reasons = "; ".join(f"{rule} in column {col} ({n:,} rows)" for (col, rule), n in top.items())
    example = errors["message"].iloc[0] if len(errors) else ""
    hint = _spreadsheet_hint(frames["households"], str(top.index[0][0])) if len(top) else ""
    raise InputError(
        f"none of the {read:,} household rows of the export is valid, so nothing was stored"
        + (f" (most often: {reasons})" if reasons else "") + hint
        + (f"; for example: {example}" if example else ""))


_SCIENTIFIC = re.compile(r"\s*[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+\s*")
"""A number as Excel shows a long one (``3.80E+12``): a 13-digit ID saved from a spreadsheet."""


_SHAPE_RULES = frozenset({"range", "regex", "choice", "choice_none", "two_digit_year",
                          "national_id_checksum"})
"""Rules on the shape of one value, which a damaged column breaks row after row (with the
``type:*`` rules): the rules :func:`_refuse_if_a_column_is_damaged` counts."""


def _spreadsheet_hint(frame: pd.DataFrame, column: str) -> str:
    """Say so where most of a column's values look like a spreadsheet's ``3.80E+12``."""
    if column not in frame.columns:
        return ""
    values = frame[column].dropna().astype(str)
    if not len(values) or values.str.fullmatch(_SCIENTIFIC).mean() <= 0.5:
        return ""
    return (f", and the values of column {column} look like numbers a spreadsheet wrote in "
            "scientific notation (such as 3.80E+12): export the column as text")


def _refuse_if_a_column_is_damaged(report: ValidationReport, frames: dict[str, pd.DataFrame],
                                   settings: IngestSettings) -> None:
    """Refuse an export one of whose rules rejects most of a file's rows (nothing is stored).

    Rows that break the same rule on the shape of a value (:data:`_SHAPE_RULES`, ``type:*``)
    in the same column, more than ``rejected_rows.max_share`` of a file
    (``params/ingest.yaml``), are a damaged column, not bad rows: a national-ID column
    Excel wrote as ``3.80E+12`` rejected 96% of a roster, the round was stored with "Ingested"
    and the welfare tables changed by half. Rows rejected because their household was
    (``parent_rejected``), and households that declined the interview (``consent``), are not
    counted; a file with no valid household at all is :func:`_refuse_if_nothing_valid`'s.
    """
    issues = report.issues
    if not len(issues):
        return
    # only rules on the shape of a value count (a spreadsheet's damage): a household that
    # declined (consent "no"), a form a supervisor rejected, a row sent twice
    # (duplicate_copy: an export saved three times is two thirds copies, a review) are rows
    # rejected on purpose, however many
    shape = issues["rule"].astype(str)
    errors = issues[(issues["severity"] == "error") & (issues["column"] != "consent")
                    & (shape.str.startswith("type:") | shape.isin(_SHAPE_RULES))]
    for table, frame in frames.items():
        read = len(frame)
        own = errors[errors["table"] == table]
        if not read or own.empty:
            continue
        counts = own.groupby(["column", "rule"])["index"].nunique().sort_values(
            ascending=False, kind="mergesort")
        (column, rule), n = next(iter(counts.items()))
        if n <= settings.rejected_always_allowed or n <= settings.rejected_max_share * read:
            continue
        hint = _spreadsheet_hint(frame, column)
        example = own.loc[(own["column"] == column) & (own["rule"] == rule), "message"].iloc[0]
        raise InputError(
            f"{n:,} of the {read:,} {table} rows break rule {rule} in column {column}, so the "
            f"column looks damaged and nothing was stored{hint}; for example: {example}")


def ingest_key(directory: Path | str, new_key: bool = False, accept_cut_short: bool = False,
               digests: dict[str, str] | None = None) -> str:
    """Return what an ingest of ``directory`` rests on, as one hash.

    The export folder (its resolved path and the names in it), the bytes of every file an ingest
    reads there, abcresearch's code (:func:`abcresearch.software.software_fingerprint`), every
    file under ``params/`` (validation rules, ingest settings, forms) and the options. Recorded in
    the manifest of the version an ingest writes (``ingest_key``): an ingest with the same key
    onto that version would store the same rows again (:func:`already_ingested`).

    Parameters
    ----------
    directory : path
        The export folder.
    new_key, accept_cut_short : bool
        The options of :func:`ingest`.
    digests : dict, optional
        File name -> sha256 (hex) of each file the ingest read, as it hashed them while reading
        (so the key names the bytes that were stored); by default the files are hashed now.

    Returns
    -------
    str
        A sha256 hex digest.
    """
    from abcresearch.params import params_hash
    from abcresearch.software import software_fingerprint

    directory = Path(directory)
    h = hashlib.sha256()
    for part in (str(directory.resolve()), software_fingerprint(), params_hash(),
                 f"new_key={bool(new_key)} accept_cut_short={bool(accept_cut_short)}",
                 *sorted(p.name for p in directory.iterdir())):
        h.update(part.encode("utf-8") + b"\0")
    if digests is None:
        digests = {path.name: _sha256(path) for path in find_files(directory)}
    for name in sorted(digests):
        h.update(f"{name}\0{digests[name]}\0".encode())
    return h.hexdigest()


def already_ingested(directory: Path | str, survey_round: int,
                     store: Path | str | None = None) -> str | None:
    """Return the round's live version if it was written by an ingest of this very export.

    That is, if its manifest's ``ingest_key`` equals :func:`ingest_key` of ``directory`` now (same
    files, same code, same rules, default options): ingesting again would merge the same rows
    into themselves and write a new version with the same data, after which every report and
    cache keyed by the version is rebuilt. ``make demo`` uses it to skip its ingest step.

    Parameters
    ----------
    directory : path
        The export folder.
    survey_round : int
        The round (Buddhist-era year).
    store : path, optional
        The analysis store (``data/store`` by default).

    Returns
    -------
    str or None
        The live version's name (``v-...``), or None: the round is not in the store, its
        version was written otherwise (another export, code, rules or options; an ingest
        before ingest keys were recorded), or the store or the folder cannot be read.
    """
    try:
        live = store_read.manifest(int(survey_round), store)
        key = ingest_key(directory)
    except (StoreError, InputError, OSError):
        return None
    recorded = live.get("ingest_key") if isinstance(live, dict) else None
    return str(live.get("version")) if recorded and recorded == key else None


def _ingest_locked(directory: Path, survey_round: int, store: Path, settings: Any,
                   key_info: KeyInfo, key: bytes, key_entries: dict[str, Any],
                   sheets: list[Sheet], sources: list[dict], cleaned: list[str],
                   accept_cut_short: bool = False) -> IngestResult:
    notes = list(key_info.notes)
    frames: dict[str, pd.DataFrame] = {}
    offsets: dict[str, int] = {}
    ignored: dict[str, list[str]] = {}
    for table in SURVEY_TABLES:
        parts = []
        n = 0
        for sh in sheets:
            if sh.table != table:
                continue
            frame, ign, personal = normalise(sh)
            sh.personal = personal
            if ign:
                ignored[sh.file] = ign
            offsets[sh.file] = n
            frame.index = pd.RangeIndex(n, n + len(frame))
            n += len(frame)
            parts.append(frame)
        if parts:
            frames[table] = pd.concat(parts) if len(parts) > 1 else parts[0]
    linked_unread = _fill_keys(frames, sheets)
    masker = PersonalMasker(_names(sheets), max_words=settings.max_name_words)

    # file-level findings: malformed rows, empty tables, files cut short
    extra_issues: list[pd.DataFrame] = []
    malformed_rejects: dict[str, list[pd.DataFrame]] = {}
    malformed: dict[str, list[int]] = {}
    for sh in sheets:
        if sh.malformed:
            iss, rej = malformed_rows(sh, key, masker)
            extra_issues.append(iss)
            malformed_rejects.setdefault(sh.table, []).append(rej)
            malformed[sh.file] = [m.row for m in sh.malformed]
    # the households of malformed rows were not read, but their roster rows were: theirs is a
    # rejected household (parent_rejected: malformed_row), not none (orphan_member)
    unread = _unread_households(sheets) | linked_unread
    empty = checks.empty_table_issues(sheets)
    trunc = checks.truncation_issues(sheets, frames, unread_households=unread)
    if trunc.signs and not accept_cut_short:
        # "round 2549 is as it was" was said of a store that had no round 2549 (a walk-through)
        try:
            new_round = layout.live_version(store, survey_round) is None
        except StoreError:  # a damaged pointer: the round is there, and this message the point
            new_round = False
        as_before = (f"the store still has no round {survey_round}" if new_round
                     else f"round {survey_round} in the store is unchanged")
        raise InputError(
            f"the export looks cut short, so nothing was stored and {as_before} "
            f"({'; '.join(trunc.signs)}): copy the whole export again, or run again "
            "with --accept-cut-short to store the rows that were read")
    recoded = checks.encoding_issues(sheets)
    notes += empty.notes + trunc.notes + recoded.notes
    extra_issues += [empty.issues, trunc.issues, recoded.issues]

    previous = store_mod.read_round(store, survey_round)
    prev_issues, prev_rejects = store_mod.read_history(store, survey_round)
    known_villages = set(previous["villages"]["village_code"]) if "villages" in previous else set()
    # the round-wide tables: the frame first (the auxiliary table is checked against it, and a
    # village it lists keeps its form when the form's household count is unusable)
    frame_report, frame_tab = _round_table(sheets, "frame", survey_round, masker, ignored, None)
    frame_now = frame_tab if frame_tab is not None else previous.get("frame")
    report = validate(frames, known_villages=known_villages, masker=masker,
                      survey_round=survey_round,
                      rejected_unread=dict.fromkeys(unread, "malformed_row"),
                      frame_households=_frame_households(frame_now))
    _refuse_if_nothing_valid(report, frames, extra_issues)
    _refuse_if_a_column_is_damaged(report, frames, settings)
    new = build_tables(report, survey_round, key)
    new, text_issues = checks.mask_free_text(new, masker)
    repeats = checks.find_resubmissions(new.get("households"), previous.get("households"))
    _drop_repeats(report, new, repeats, masker)
    new = {t: df.reset_index(drop=True) for t, df in new.items()}

    if frame_tab is not None:
        masked, frame_text = checks.mask_free_text({"frame": frame_tab}, masker)
        new["frame"] = frame_tab = masked["frame"]
        text_issues = pd.concat([text_issues, frame_text], ignore_index=True)
    frame_now = frame_tab if frame_tab is not None else previous.get("frame")  # as masked
    aux_report, aux_tab = _round_table(sheets, "auxiliary", survey_round, masker, ignored,
                                          frame_now)
    if aux_tab is not None:
        masked, aux_text = checks.mask_free_text({"auxiliary": aux_tab}, masker)
        new["auxiliary"] = aux_tab = masked["auxiliary"]
        text_issues = pd.concat([text_issues, aux_text], ignore_index=True)
    if aux_tab is not None and (frame_now is None or frame_now.empty):
        notes.append("the round has no frame (frame.csv), so the auxiliary table's village "
                     "codes were checked against the official area list only")

    merged = store_mod.merge(previous, new)
    if "members" not in new and "households" in new and len(previous.get("members", ())):
        kept = isin(previous["members"]["submission_uuid"], new["households"]["submission_uuid"])
        if kept.any():
            n_hh = previous["members"].loc[kept, "submission_uuid"].nunique()
            notes.append(f"the export has no roster (member) sheet: the {int(kept.sum()):,} "
                         f"stored roster rows of the {n_hh:,} household"
                         f"{'s' if n_hh != 1 else ''} it replaces were kept")
    if "households" in merged:
        merged["households"] = add_weights(merged["households"], merged.get("villages"),
                                           merged.get("frame"))
    dup_issues = checks.duplicate_hh_keys(merged.get("households"))
    date_issues, date_notes = checks.dates_outside_round(new.get("households"), survey_round)
    notes += date_notes
    fr_issues, fr_notes = checks.frame_issues(merged.get("households"), merged.get("frame"),
                                              merged.get("auxiliary"))
    notes += fr_notes

    round_reports = {"frame": frame_report, "auxiliary": aux_report}
    all_new_issues = [report.issues, *extra_issues, dup_issues, date_issues, fr_issues,
                      text_issues]
    all_new_issues += [r.issues for r in round_reports.values() if r is not None]
    issues = pd.concat([i for i in all_new_issues if len(i)], ignore_index=True) \
        if any(len(i) for i in all_new_issues) else empty_issues()
    issues = issues.sort_values(["table", "file", "row", "column", "rule"], kind="stable"
                                ).reset_index(drop=True)

    rejects = {t: rejected_rows(sheets, report, t, offsets, key, masker) for t in frames}
    for table, rep in round_reports.items():
        if rep is not None:
            sh = next(s for s in sheets if s.table == table)
            rejects[table] = rejected_rows([sh], rep, table, {sh.file: 0}, key, masker)
    for table, parts in malformed_rejects.items():
        rejects[table] = pd.concat([rejects.get(table, pd.DataFrame()), *parts],
                                   ignore_index=True)

    counts = _counts(sheets, frames, report, round_reports, merged)
    area_counts = _area_counts(report)
    prev_batches = _previous_batches(store, survey_round)
    merge_info = _merge_info(previous, new, repeats, len(prev_batches)) if previous else None
    result = IngestResult(survey_round=survey_round, store=store, counts=counts,
                          issues=issues, area_counts=area_counts, sources=sources,
                          ignored_columns=ignored, notes=notes, merge=merge_info,
                          malformed=malformed, cleaned=cleaned)
    if key_entries["new_key"]:
        notes.append(
            f"round {survey_round} uses a new pseudonym key: its households cannot be matched "
            f"with rounds {', '.join(map(str, key_entries['not_linkable_with']))}, so change "
            "between them is estimated as between independent samples")

    batch = _batch(directory, sources)
    # taken before anything is written: the export read, the code and rules in force
    read_key = ingest_key(directory, new_key=bool(key_entries["new_key"]),
                          accept_cut_short=accept_cut_short,
                          digests={Path(sh.path).name: src["sha256"]
                                   for sh, src in zip(sheets, sources, strict=True)})
    villages_with_form = set(merged["villages"]["village_code"]) if "villages" in merged \
        else set()
    valid_uuids = set(new["households"]["submission_uuid"]) if "households" in new else set()
    history = merge_issues(prev_issues, issues, batch, valid_uuids, villages_with_form)
    all_rejects = merge_rejects(prev_rejects, {t: r for t, r in rejects.items() if len(r)},
                                batch)
    manifest = {
        "round": survey_round,
        "abcresearch_version": __version__,
        "instrument_version": {f: load_form(f).version for f in ("household", "village")},
        "ingested_at": batch["batch_time"],
        "synthetic": any(p.name.upper() == "SYNTHETIC.TXT" for p in directory.iterdir()),
        "export_folder": str(directory.resolve()),
        "sources": sources,
        "last_ingest": counts.drop(columns=["stored"]).set_index("table").to_dict("index"),
        "batches": [*(b for b in prev_batches if b.get("batch_id") != batch["batch_id"]),
                    {**batch, "files": [s["file"] for s in sources]}],
        "weights": ("frame: households / (valid households x village selection_prob)"
                    if merged.get("frame") is not None and len(merged["frame"])
                    else "village form: vil_households / valid households"),
        "frame": _table_info(merged.get("frame")),
        "auxiliary": _table_info(merged.get("auxiliary")),
        "ingest_key": read_key,
        **key_entries,
    }
    result.version = store_mod.write_round(
        store, survey_round, merged, rejects=all_rejects, issues=history,
        summary_md=summary_markdown(result), manifest=manifest,
        keep_previous=settings.keep_previous_versions)
    return result


def _frame_households(frame: pd.DataFrame | None) -> pd.Series | None:
    """Return village code -> households of the round's frame (None without one).

    The frame the round will be weighted with (:func:`~abcresearch.ingest.tables.add_weights`):
    this export's, else the one stored; an empty frame weights nothing, as none.
    """
    if frame is None or frame.empty:
        return None
    f = frame.drop_duplicates("village_code", keep="last")
    return pd.Series(f["households"].to_numpy(dtype=object),
                     index=f["village_code"].astype(str).to_numpy())


def _table_info(df: pd.DataFrame | None) -> dict[str, Any] | None:
    if df is None or df.empty:
        return None
    info: dict[str, Any] = {"rows": len(df), "source": sorted(set(df["source_file"]))}
    if "sampled" in df.columns:
        info["sampled"] = int((df["sampled"] == 1).sum())
        info["strata"] = int(df["stratum"].nunique())
    if "bmn_year" in df.columns:
        info["bmn_year"] = sorted(int(y) for y in df["bmn_year"].dropna().unique())
    return info


def _previous_batches(store: Path, survey_round: int) -> list[dict[str, Any]]:
    folder = layout.live_version(store, survey_round) if store.is_dir() else None
    if folder is None:
        return []
    man = store_read.manifest(survey_round, store)
    batches = man.get("batches")
    if isinstance(batches, list):
        return batches
    return [{"batch_id": "", "batch_source": Path(str(man.get("export_folder", ""))).name,
             "batch_time": man.get("ingested_at", "")}]


def _merge_info(previous: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame],
                repeats: pd.DataFrame, earlier: int) -> dict[str, int] | None:
    old = previous.get("households")
    if old is None or old.empty:
        return None
    old_ids = set(old["submission_uuid"])
    new_ids = set(new["households"]["submission_uuid"]) if "households" in new else set()
    unchanged = checks.unchanged_submissions(new.get("households"), old)
    return {"earlier_exports": max(earlier, 1), "new": len(new_ids - old_ids),
            "replaced": len((new_ids & old_ids) - unchanged), "unchanged": len(unchanged),
            "kept": len(old_ids - new_ids), "resubmitted": len(repeats)}


def _counts(sheets: list[Sheet], frames: dict[str, pd.DataFrame], report: ValidationReport,
            round_reports: dict[str, ValidationReport | None],
            merged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    bad: dict[str, int] = {}
    for sh in sheets:
        bad[sh.table] = bad.get(sh.table, 0) + len(sh.malformed)
    rows = []
    reports = {t: report for t in SURVEY_TABLES if t in frames}
    reports.update({t: r for t, r in round_reports.items() if r is not None})
    for t, rep in reports.items():
        iss = rep.issues[rep.issues["table"] == t]
        warn_rows = iss.loc[iss["severity"] == "warning", "index"].nunique()
        n = len(rep.typed[t])
        rows.append({"table": t, "read": n + bad.get(t, 0), "valid": len(rep.valid[t]),
                     "rejected": len(rep.rejected[t]) + bad.get(t, 0),
                     "warnings": int(warn_rows), "stored": len(merged.get(t, []))})
    return pd.DataFrame(rows, columns=["table", "read", "valid", "rejected", "warnings",
                                       "stored"])


def _area_counts(report: ValidationReport) -> pd.DataFrame:
    rows = []
    for t, typed in report.typed.items():
        if "village_code" in typed.columns:
            code = typed["village_code"]
        elif t == "members" and "households" in report.typed:
            code = typed["submission_uuid"].map(
                report.typed["households"].drop_duplicates("submission_uuid")
                .set_index("submission_uuid")["village_code"])
        else:
            continue
        amphoe = code.astype("str").str.slice(0, 4).fillna("(unknown)")
        amphoe = amphoe.where(amphoe.str.fullmatch(r"[0-9]{4}").fillna(False), "(unknown)")
        rejected = typed.index.isin(report.rejected[t])
        g = pd.DataFrame({"amphoe_code": amphoe, "rejected": rejected}).groupby("amphoe_code")
        for a, grp in g:
            rows.append({"table": t, "amphoe_code": a, "valid": int((~grp["rejected"]).sum()),
                         "rejected": int(grp["rejected"].sum())})
    return pd.DataFrame(rows, columns=["table", "amphoe_code", "valid", "rejected"])


def _rule_meaning(text: str, issues: pd.DataFrame, table: str, rule: str, lang: str) -> str:
    """Return a rule's message for the summary: its patterns' meanings, details as "…".

    ``{pattern}`` (the ``regex`` and ``phone_format`` rules) is the meaning of the pattern of
    each column whose rows broke the rule (``params/validation_rules.yaml``,
    ``rules.regex.meanings``), else the pattern itself; the columns are named where they ask
    for different patterns. The other placeholders differ from row to row.
    """
    said: dict[str, list[str]] = {}
    if "{pattern}" in text:
        cols = issues.loc[(issues["table"] == table) & (issues["rule"] == rule), "column"]
        patterns = column_patterns(table)
        for col in dict.fromkeys(cols.astype(str)):
            if col in patterns:
                said.setdefault(pattern_in_words(patterns[col], lang), []).append(col)
    if said:  # the words may hold braces of their own ("[0-9]{5}"): put them in last
        words = (next(iter(said)) if len(said) == 1 else "; ".join(
            f"{w} ({', '.join(c)})" for w, c in said.items()))
        parts = [re.sub(r"\{[^}]*\}", "…", p) for p in text.split("{pattern}")]
        return words.join(parts)
    return re.sub(r"\{[^}]*\}", "…", text)


def summary_markdown(result: IngestResult, examples: int = 20) -> str:
    """Return the readable validation summary written to ``validation_summary.md``."""
    texts = rules()
    out = [f"# Validation summary, round {result.survey_round}", "",
           "Rows with an *error* are rejected and written to `rejects/<table>.csv` with the rule "
           "they broke; rows with only *warnings* are kept. Every issue is in `issues.csv`.", ""]
    if result.notes:
        out += ["## Warnings", ""] + [f"- {n}" for n in result.notes] + [""]
    if result.merge:
        out += ["## Merged with the round already stored", "", result.merge_sentence() + ".", ""]
    out += ["## Files", "", "| file | table | rows | encoding | delimiter |",
            "|---|---|---:|---|---|"]
    for s in result.sources:
        out.append(f"| {s['file']} | {s['table']} | {s['rows']:,} | {s['encoding'] or ''} | "
                   f"{(s['delimiter'] or '').replace(chr(9), 'tab')} |")
    out += ["", "## Rows", "", "| table | read | valid | rejected | with warnings | in store |",
            "|---|---:|---:|---:|---:|---:|"]
    for r in result.counts.itertuples(index=False):
        out.append(f"| {r.table} | {r.read:,} | {r.valid:,} | {r.rejected:,} | {r.warnings:,} | "
                   f"{r.stored:,} |")
    if result.malformed:
        out += ["", "## Malformed rows (cells not matching the header; rejected)", ""]
        for file, rows in result.malformed.items():
            out.append(f"- {file}: rows {', '.join(map(str, rows))}")
    rc = result.rule_counts()
    out += ["", "## Issues per rule", ""]
    if len(rc):
        out += ["| table | rule | severity | issues | meaning | ความหมาย |",
                "|---|---|---|---:|---|---|"]
        for r in rc.itertuples(index=False):
            # the rule's message with the meaning of its patterns, per-row details as "…"
            en, th = (_rule_meaning(texts[r.rule][lang], result.issues, r.table, r.rule, lang)
                      .replace("|", "/") for lang in ("en", "th"))
            if en.strip("… ") == "":  # a message that is all detail (a cut-short file)
                en, th = "see each issue's message", "ดูข้อความของแต่ละรายการ"
            out.append(f"| {r.table} | {r.rule} | {r.severity} | {r.n:,} | {en} | {th} |")
    else:
        out.append("No issues.")
    out += ["", "## Rows per amphoe", "", "| table | amphoe | valid | rejected |",
            "|---|---|---:|---:|"]
    for r in result.area_counts.itertuples(index=False):
        out.append(f"| {r.table} | {r.amphoe_code} | {r.valid:,} | {r.rejected:,} |")
    if result.ignored_columns:
        out += ["", "## Columns not in the instrument (ignored)", ""]
        for f, cols in result.ignored_columns.items():
            out.append(f"- {f}: {', '.join(cols)}")
    if len(result.issues):
        # the rejected rows first, then a few of each warning rule: the first issues of the
        # file were mostly blank items (item_missing) and hid the rows that were rejected
        issues = result.issues
        errors = issues[issues["severity"] == "error"]
        if len(errors):
            head = f"## Rejected rows (first {examples} of {len(errors):,})" \
                if len(errors) > examples else "## Rejected rows"
            out += ["", head, ""] + [f"- {m}" for m in errors["message"].head(examples)]
        warned = issues[issues["severity"] != "error"]
        if len(warned):
            out += ["", "## Warnings, up to 3 of each rule", ""]
            for rule, group in warned.groupby("rule", sort=False):
                more = len(group) - 3
                out += [f"- {m}" for m in group["message"].head(3)]
                if more > 0:
                    out.append(f"- ... {more:,} more `{rule}` in issues.csv")
    return "\n".join(out) + "\n"
