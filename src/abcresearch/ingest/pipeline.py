"""Read a survey export folder, validate it, pseudonymise it and write it to the store.

``ingest(directory, survey_round=2549)`` is what ``abcresearch ingest DIR --round 2549`` runs:

1. **find** the files in ``DIR`` (``*.csv``, ``*.xlsx``; ``SYNTHETIC.txt``, ``_truth/`` and
   hidden files are ignored) and tell each table by its columns: ``_parent_index`` /
   ``_submission__uuid`` / ``PARENT_KEY`` -> roster (members); a ``vil_households`` column ->
   village form; otherwise the household form. Kobo CSV/XLSX and ODK Central CSV (group
   separator ``-``, ``KEY``/``PARENT_KEY``) are understood.
2. **read** every cell as text: encoding by BOM -> ``utf-8-sig``, else strict UTF-8, else
   ``cp874`` (Thai Windows Excel); delimiter ``;``, ``,`` or tab from the header line. Each row
   keeps ``source_file`` and ``source_row`` (spreadsheet row, header = row 1).
3. **normalise** headers to the XLSForm leaf names, drop Kobo's select_multiple dummy columns
   (they are rebuilt from the space-separated answer), and map meta columns to
   ``submission_uuid``, ``submitted_at`` and ``form_version``.
4. **validate** with :func:`abcresearch.survey.validate.validate` (types, then rules).
5. **pseudonymise**: national IDs become ``hh_key`` / ``member_key``; names and phone numbers
   are dropped. Rejected rows keep their original cells except these, which are pseudonymised
   or replaced by ``<removed>`` (privacy takes precedence over "unchanged").
6. **store** the valid rows with :func:`abcresearch.store.write.write_round` (atomic, upsert by
   ``submission_uuid``), with the rejects, the issue table, a readable summary and a manifest.

A file that cannot be read at all raises :class:`~abcresearch.errors.InputError` with one
sentence naming the file (and where known the row and column).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch import __version__
from abcresearch.errors import InputError
from abcresearch.paths import default_store
from abcresearch.store import write as store_mod
from abcresearch.survey.instrument import codebook, load_form
from abcresearch.survey.pseudonyms import REMOVED, load_key, normalise_pid, pseudonymise
from abcresearch.survey.readers import Sheet, classify, find_files, normalise, read_file
from abcresearch.survey.validate import ValidationReport, rules, validate

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
        the store for the round after the upsert).
    issues : pandas.DataFrame
        The full failure table (see :data:`abcresearch.survey.validate.ISSUE_COLUMNS`).
    area_counts : pandas.DataFrame
        Per table and amphoe: ``valid`` and ``rejected``.
    sources : list of dict
        Files read with their table, encoding, delimiter, rows and sha256.
    ignored_columns : dict
        File -> columns that are not in the instrument.
    """

    survey_round: int
    store: Path
    counts: pd.DataFrame
    issues: pd.DataFrame
    area_counts: pd.DataFrame
    sources: list[dict]
    ignored_columns: dict[str, list[str]] = field(default_factory=dict)

    @property
    def round_dir(self) -> Path:
        """The round folder in the store."""
        return store_mod.round_dir(self.store, self.survey_round)

    def rule_counts(self) -> pd.DataFrame:
        """Failures per table, rule and severity, most frequent first."""
        if self.issues.empty:
            return pd.DataFrame(columns=["table", "rule", "severity", "n"])
        return (self.issues.groupby(["table", "rule", "severity"]).size().rename("n")
                .reset_index().sort_values(["n", "table", "rule"], ascending=[False, True, True])
                .reset_index(drop=True))

    def summary(self) -> str:
        """A few readable lines: counts per table, top rules, per-amphoe counts, where to look."""
        lines = [f"Ingested round {self.survey_round} into {self.store}"]
        for s in self.sources:
            enc = f", {s['encoding']}" if s.get("encoding") else ""
            lines.append(f"  {s['file']}: {s['table']}, {s['rows']:,} rows{enc}")
        for r in self.counts.itertuples(index=False):
            lines.append(f"{r.table}: {r.read:,} read, {r.valid:,} valid, {r.rejected:,} "
                         f"rejected, {r.warnings:,} warnings; {r.stored:,} in the store")
        rc = self.rule_counts()
        if len(rc):
            top = ", ".join(f"{x.rule} {x.n:,} ({x.table}, {x.severity})"
                            for x in rc.head(6).itertuples(index=False))
            lines.append(f"Top rules: {top}")
        hh = self.area_counts[self.area_counts["table"] == "households"]
        if len(hh):
            per = ", ".join(f"{r.amphoe_code} {r.valid:,}/{r.rejected:,}"
                            for r in hh.itertuples(index=False))
            lines.append(f"Households valid/rejected per amphoe: {per}")
        if len(self.issues):
            lines.append(f"Rejected rows and issues: {self.round_dir / 'rejects'}, "
                         f"{self.round_dir / 'issues.csv'}, "
                         f"{self.round_dir / 'validation_summary.md'}")
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# assembling the store tables


def _area_columns(df: pd.DataFrame, codes: pd.Series) -> None:
    codes = codes.astype("str")
    df["village_code"] = codes.to_numpy()
    df["tambon_code"] = codes.str.slice(0, 6).to_numpy()
    df["amphoe_code"] = codes.str.slice(0, 4).to_numpy()
    df["province_code"] = codes.str.slice(0, 2).to_numpy()


def build_tables(report: ValidationReport, survey_round: int,
                 key: bytes) -> dict[str, pd.DataFrame]:
    """Turn validated typed rows into store tables: pseudonymised, with area codes and round."""
    out: dict[str, pd.DataFrame] = {}
    drop_meta = ["_index", "_parent_index"]
    hh = report.valid.get("households")
    if hh is not None:
        df = hh.copy(deep=False)
        df["hh_key"] = pseudonymise(df["head_pid"], key) if "head_pid" in df else pd.NA
        _area_columns(df, df["village_code"])
        out["households"] = df
    if "members" in report.valid:
        df = report.valid["members"].copy(deep=False)
        df["member_key"] = pseudonymise(df["m_pid"], key) if "m_pid" in df else pd.NA
        order = df.sort_values(["source_file", "source_row"], kind="stable")
        df["member_index"] = (order.groupby("submission_uuid", sort=False).cumcount() + 1
                              ).reindex(df.index).astype("int64")
        village = hh.set_index("submission_uuid")["village_code"] if hh is not None else None
        codes = df["submission_uuid"].map(village) if village is not None else pd.Series(
            pd.NA, index=df.index, dtype="str")
        _area_columns(df, codes)
        out["members"] = df
    if "villages" in report.valid:
        df = report.valid["villages"].copy(deep=False)
        _area_columns(df, df["village_code"])
        out["villages"] = df
    for table, df in out.items():
        cb = codebook(table)
        personal = [n for n in cb.loc[cb["personal"].isin(["name", "national_id", "phone"]),
                                      "name"] if n in df.columns]
        df = df.drop(columns=personal + [c for c in drop_meta if c in df.columns])
        df["round"] = np.int64(survey_round)
        df["source_row"] = df["source_row"].astype("int64")
        out[table] = df.reset_index(drop=True)
    return out


def add_weights(households: pd.DataFrame, villages: pd.DataFrame | None) -> pd.DataFrame:
    """Set ``weight`` = households in the village / valid households of the village in the round.

    Households of a village without a village form get NA (rule ``village_missing``).
    """
    households = households.copy(deep=False)
    n = households.groupby("village_code")["village_code"].transform("size")
    if villages is not None and len(villages):
        total = villages.drop_duplicates("village_code", keep="last").set_index(
            "village_code")["vil_households"]
        households["weight"] = (households["village_code"].map(total).astype("Float64")
                                / n).astype("float64")
    else:
        households["weight"] = np.nan
    return households


def _rejects(sheets: list[Sheet], report: ValidationReport, table: str,
             offsets: dict[str, int], key: bytes) -> pd.DataFrame:
    """Rejected rows as read, personal cells pseudonymised or removed, with their rules."""
    rej = report.rejected.get(table, pd.Index([]))
    iss = report.issues
    iss = iss[(iss["table"] == table) & (iss["severity"] == "error")]
    if not len(rej):
        return pd.DataFrame()
    parts = []
    for sh in sheets:
        if sh.table != table:
            continue
        off = offsets[sh.file]
        mine = rej[(rej >= off) & (rej < off + len(sh.frame))]
        if not len(mine):
            continue
        raw = sh.frame.iloc[np.asarray(mine) - off].copy()
        raw.index = mine
        for col, kind in sh.personal.items():
            vals = raw[col]
            if kind == "national_id":
                raw[col] = pseudonymise(normalise_pid(vals), key).where(vals.notna(), None)
            else:
                raw[col] = vals.where(vals.isna(), REMOVED)
        # platform metadata can identify people too (enumerator logins, submitters, GPS,
        # attachment names): keep only the row keys a field team needs to find the record
        keep_meta = {"_id", "_uuid", "_index", "_parent_index", "_submission__uuid",
                     "_submission__id", "KEY", "PARENT_KEY"}
        meta = [c for c in raw.columns if (str(c).startswith("_") or str(c) in
                                           ("SubmitterID", "SubmitterName", "DeviceID"))
                and str(c) not in keep_meta]
        raw = raw.drop(columns=meta)
        parts.append(raw)
    out = pd.concat(parts) if parts else pd.DataFrame(index=rej)
    g = iss.groupby("index")
    out["_rule"] = g["rule"].agg(" | ".join).reindex(out.index)
    out["_column"] = g["column"].agg(" | ".join).reindex(out.index)
    out["_message"] = g["message"].agg(" | ".join).reindex(out.index)
    src = report.typed[table].loc[out.index]
    out["_source_file"] = src["source_file"].to_numpy()
    out["_source_row"] = src["source_row"].to_numpy()
    return out.sort_values(["_source_file", "_source_row"]).reset_index(drop=True)


def ingest(directory: Path | str, survey_round: int,
           store: Path | str | None = None) -> IngestResult:
    """Read, validate, pseudonymise and store one survey export.

    Parameters
    ----------
    directory : path
        Folder holding the export (Kobo CSV/XLSX, ODK Central CSV, or hand-made CSV/XLSX).
    survey_round : int
        The round as a Buddhist-era year, e.g. ``2549``.
    store : path, optional
        The analysis store (``data/store`` by default).

    Returns
    -------
    IngestResult
        Counts, issues and where everything was written; ``.summary()`` for people.

    Raises
    ------
    InputError
        A file cannot be read at all, or the folder holds no household export.
    """
    if not (2400 <= int(survey_round) <= 2700):
        raise InputError(f"round {survey_round} is not a Buddhist-era year (e.g. 2549)")
    survey_round = int(survey_round)
    directory = Path(directory)
    store = Path(store) if store is not None else default_store()
    key = load_key()

    sheets: list[Sheet] = []
    sources: list[dict] = []
    for path in find_files(directory):
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        for sh in read_file(path):
            sh.table = classify(sh)
            sheets.append(sh)
            sources.append({"file": sh.file, "table": sh.table, "rows": len(sh.frame),
                            "encoding": sh.encoding, "delimiter": sh.delimiter,
                            "sha256": digest})
    if not any(s.table == "households" for s in sheets):
        raise InputError(f"the export folder {directory} holds no household form export")

    frames: dict[str, pd.DataFrame] = {}
    offsets: dict[str, int] = {}
    ignored: dict[str, list[str]] = {}
    for table in ("households", "members", "villages"):
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
    _fill_keys(frames, sheets)

    previous = store_mod.read_round(store, survey_round)
    known_villages = set(previous["villages"]["village_code"]) if "villages" in previous else set()
    report = validate(frames, known_villages=known_villages)
    new = build_tables(report, survey_round, key)
    merged = store_mod.merge(previous, new)
    if "households" in merged:
        merged["households"] = add_weights(merged["households"], merged.get("villages"))

    rejects = {t: _rejects(sheets, report, t, offsets, key) for t in frames}
    counts = _counts(frames, report, merged)
    area_counts = _area_counts(report)
    result = IngestResult(survey_round=survey_round, store=store, counts=counts,
                          issues=report.issues, area_counts=area_counts, sources=sources,
                          ignored_columns=ignored)
    manifest = {
        "round": survey_round,
        "abcresearch_version": __version__,
        "instrument_version": {f: load_form(f).version for f in ("household", "village")},
        "ingested_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "synthetic": any(p.name.upper() == "SYNTHETIC.TXT" for p in directory.iterdir()),
        "export_folder": str(directory.resolve()),
        "sources": sources,
        "last_ingest": counts.drop(columns=["stored"]).set_index("table").to_dict("index"),
    }
    store_mod.write_round(store, survey_round, merged, rejects=rejects, issues=report.issues,
                          summary_md=summary_markdown(result), manifest=manifest)
    return result


def _fill_keys(frames: dict[str, pd.DataFrame], sheets: list[Sheet]) -> None:
    """Give hand-made exports a submission id, and link roster rows by ``_parent_index``."""
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
    if m is not None:
        if "submission_uuid" not in m.columns:
            m["submission_uuid"] = pd.Series(pd.NA, index=m.index, dtype="str")
        hh = frames.get("households")
        n_hh_files = sum(1 for s in sheets if s.table == "households")
        if ("_parent_index" in m.columns and hh is not None and "_index" in hh.columns
                and n_hh_files == 1):
            need = m["submission_uuid"].isna()
            if need.any():
                by_index = hh.drop_duplicates("_index").set_index("_index")["submission_uuid"]
                m.loc[need, "submission_uuid"] = m.loc[need, "_parent_index"].map(by_index)


def _counts(frames: dict[str, pd.DataFrame], report: ValidationReport,
            merged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for t in ("households", "members", "villages"):
        if t not in frames:
            continue
        iss = report.issues[report.issues["table"] == t]
        warn_rows = iss.loc[iss["severity"] == "warning", "index"].nunique()
        rows.append({"table": t, "read": len(frames[t]), "valid": len(report.valid[t]),
                     "rejected": len(report.rejected[t]), "warnings": int(warn_rows),
                     "stored": len(merged.get(t, []))})
    return pd.DataFrame(rows)


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


def summary_markdown(result: IngestResult, examples: int = 20) -> str:
    """Return the readable validation summary written to ``validation_summary.md``."""
    texts = rules()
    out = [f"# Validation summary, round {result.survey_round}", "",
           "Rows with an *error* are rejected and written to `rejects/<table>.csv` with the rule "
           "they broke; rows with only *warnings* are kept. Every issue is in `issues.csv`.", "",
           "## Files", "", "| file | table | rows | encoding | delimiter |",
           "|---|---|---:|---|---|"]
    for s in result.sources:
        out.append(f"| {s['file']} | {s['table']} | {s['rows']:,} | {s['encoding'] or ''} | "
                   f"{(s['delimiter'] or '').replace(chr(9), 'tab')} |")
    out += ["", "## Rows", "", "| table | read | valid | rejected | with warnings | in store |",
            "|---|---:|---:|---:|---:|---:|"]
    for r in result.counts.itertuples(index=False):
        out.append(f"| {r.table} | {r.read:,} | {r.valid:,} | {r.rejected:,} | {r.warnings:,} | "
                   f"{r.stored:,} |")
    rc = result.rule_counts()
    out += ["", "## Issues per rule", ""]
    if len(rc):
        out += ["| table | rule | severity | issues | meaning | ความหมาย |",
                "|---|---|---|---:|---|---|"]
        for r in rc.itertuples(index=False):
            en = texts[r.rule]["en"].split("{")[0].strip() or r.rule
            th = texts[r.rule]["th"].split("{")[0].strip() or r.rule
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
        out += ["", f"## First {examples} issues", ""]
        out += [f"- {m}" for m in result.issues["message"].head(examples)]
    return "\n".join(out) + "\n"
