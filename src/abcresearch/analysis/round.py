"""One round's analysis, computed once and shared by every report of that round.

``round_analysis(round)`` scores every household under a scheme, marks deprivations, grades
villages and tambons (rankings need the whole province) under the round's design
(:mod:`abcresearch.analysis.design`: the census of villages or the two-stage design, chosen from
the round's frame unless a researcher names one) and computes every area's coverage and status
(:mod:`abcresearch.analysis.status`). The result is cached in the store under
``abcresearch.store.cache_folder(round, key)`` (``derived/<key>/`` inside the round's live
version, so a cache is never read against other data) where the key hashes the round's data
fingerprints (the frame's digest among them), the design in force, the scheme and grade rules,
the survey forms (scoring reads their choice lists) and the software (its version and a hash
of its code, :mod:`abcresearch.software`), so a report reads the cache in milliseconds and a
change of data, rules, forms or code rebuilds it. The cache
writer holds the store's shared lock while it resolves the version, reads the data and writes
the cache, so no ingest swaps the round in between. The cache holds no personal data (it is
built from the store).

The status model is applied to the grade tables a report reads (:attr:`RoundAnalysis.villages`,
:attr:`RoundAnalysis.tambons`): a tambon that is ``not_graded`` (fewer sampled villages than
``params/status.yaml`` asks) has its grade, grade label and priority withheld there, and its
reason says why, so every section that publishes grades withholds it without knowing the rule.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch import __version__
from abcresearch.analysis.design import DesignSpec, area_design, choose_design, design_spec
from abcresearch.analysis.status import (
    COVERAGE_COLUMNS,
    AreaStatus,
    area_status,
    area_statuses,
    coverage_table,
    load_status_rules,
)
from abcresearch.errors import StoreError
from abcresearch.labels import label
from abcresearch.params import params_hash
from abcresearch.paths import params_dir
from abcresearch.scoring import (
    HouseholdScores,
    deprivation_matrix,
    grades,
    load_scheme,
    score_households,
)
from abcresearch.scoring.grade_rules import load_grade_rules
from abcresearch.scoring.scheme import Scheme
from abcresearch.software import software_fingerprint
from abcresearch.store import cache_folder, prune_caches, round_folder, store_lock
from abcresearch.store import read as data_mod
from abcresearch.store.partitions import UnreadablePartition, area_left_out, load_readable, recheck
from abcresearch.survey.instrument import capital_items, form_paths

__all__ = ["CACHE_FORMAT", "ROUND_FILE", "DesignSpec", "RoundAnalysis", "apply_status",
           "area_design", "design_spec", "grade_round", "round_analysis", "round_cached_table",
           "round_frame", "score_round", "store_area_status", "write_cache_dir"]

#: Version of the cache layout; bump it whenever what the cache holds changes.
CACHE_FORMAT = 9  # 9: areas' households_in_surveyed_strata

#: The round's households in one file (every column, rows in the order of the tambon files), for
#: round-wide reads (the province overview, the change between rounds): one file read with
#: threads takes a quarter of the time of the same rows read from the tambon files one by one.
ROUND_FILE = "households_round.parquet"

#: Household columns kept in the derived table besides scores (with a frame also the columns of
#: the two-stage design: ``stratum``, ``village_prob``, ``village_households`` (the frame's M),
#: ``stratum_villages``).
_KEEP = ["submission_uuid", "hh_key", "village_code", "tambon_code", "amphoe_code",
         "province_code", "weight", "hh_size", "head_sex", "head_age", "fin_income_year",
         "fin_debt", "fin_savings", "stratum", "village_prob", "village_households",
         "stratum_villages"]


@dataclass
class RoundAnalysis:
    """Scored households, village and tambon grades of one round under one scheme.

    Attributes
    ----------
    survey_round : int
        Buddhist-era year.
    scheme : Scheme
        Scoring scheme used.
    households : pandas.DataFrame
        One row per household: area codes, weight, ``village_households`` (the fpc of the
        households within the village: the frame's count when the round has a frame, else the
        village form's), with a frame ``stratum``, ``village_prob``, ``stratum_villages``,
        ``income_pc``, capital scores (one column per capital), ``level_<capital>``,
        ``overall_level``, ``track``, ``dep_<capital>``, ``level1``, and the raw answers of
        the instrument's capital items (``hum_health_check``, ``fin_fund_member``, ...).
    villages : pandas.DataFrame
        The village form rows with grade indicators, ``grade``, reasons and ``priority``, and
        the status columns (``estimate_basis``, ``grade_status``, ``villages_surveyed``,
        ``villages_total``).
    tambons : pandas.DataFrame
        Tambon grade indicators, ``grade``, reasons, ``priority`` and the status columns; the
        grade, its labels and the priority are withheld (missing, the label and reason saying
        why) where the status model gives no grade.
    means : pandas.DataFrame
        Capital means by amphoe and for the province (long table).
    typology : pandas.DataFrame
        The tambon typology: one row per cluster with its size and mean capital profile, the
        chosen number of clusters and the silhouette widths that chose it.
    manifest : dict
        The round's ingest manifest.
    key : str
        Cache key.
    design : DesignSpec
        The design in force (``design.name``: ``census`` or ``two_stage``; ``design.choice``:
        what was asked for).
    areas : pandas.DataFrame
        Every village, tambon, amphoe and province of the round: coverage, estimate basis,
        grade status and published grade (:data:`abcresearch.analysis.status.AREA_COLUMNS`).
    has_frame : bool
        Whether the round was ingested with a village frame (then its household counts feed
        weights, fpc and coverage).
    store : Path or None
        The store the round was read from.
    excluded : tuple of UnreadablePartition
        Damaged store files whose tambons are left out of everything above (see
        :mod:`abcresearch.store.partitions`); round-wide figures then rest on fewer households.

    Notes
    -----
    ``villages``, ``tambons``, ``areas``, ``means`` and ``typology`` share their data with the
    analyses of the other reports a process makes: change them through pandas (copy-on-write
    copies what changes), never by writing into a column's ``.array`` or a NumPy view of it.
    """

    survey_round: int
    scheme: Scheme
    cache_dir: Path
    villages: pd.DataFrame = field(repr=False)
    tambons: pd.DataFrame = field(repr=False)
    means: pd.DataFrame = field(repr=False)
    typology: pd.DataFrame = field(repr=False)
    manifest: dict[str, Any] = field(repr=False)
    key: str = ""
    design: DesignSpec = field(default_factory=design_spec, repr=False)
    areas: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    has_frame: bool = False
    store: Path | None = field(default=None, repr=False)

    def status(self, area_code: str) -> AreaStatus:
        """Return an area's coverage, estimate basis, grade status and published grade."""
        return area_status(self.areas, str(area_code))

    def direct_grades(self, level: str) -> pd.DataFrame:
        """Return the village or tambon grade table as graded from direct estimates.

        Before the status model withholds any grade (for researchers and checks: never publish
        it).
        """
        if level not in ("village", "tambon"):
            raise ValueError(f"level must be 'village' or 'tambon', got {level!r}")
        return pd.read_parquet(self.cache_dir / f"{level}s.parquet")
    excluded: tuple[UnreadablePartition, ...] = ()
    _round_reads: dict[tuple[str, ...], pd.DataFrame] = field(
        default_factory=dict, repr=False, compare=False)
    _tambon_listing: list[Path] | None = field(default=None, repr=False, compare=False)

    @property
    def synthetic(self) -> bool:
        """Whether the round's data are synthetic."""
        return bool(self.manifest.get("synthetic", False))

    @cached_property
    def households(self) -> pd.DataFrame:
        """Every scored household of the round (read on first use)."""
        return self._read_round(None)

    def area_households(self, area_code: str, columns: Sequence[str] | None = None
                        ) -> pd.DataFrame:
        """Return the scored households of one area (any level; ``""`` for all).

        Only the tambon partitions of the area are read (a few milliseconds per tambon), file
        by file, converted to pandas once; the whole round (``""``, or an area holding every
        tambon of the round, as the province) is read from its one-file copy once per set of
        columns (all of them: :attr:`households`) and kept.

        Parameters
        ----------
        area_code : str
            Area code, or ``""`` for the whole round.
        columns : sequence of str, optional
            Only these columns (``village_code`` is read in any case).
        """
        code = str(area_code)
        if (problem := area_left_out(code, self.excluded)) is not None:
            raise StoreError(problem)
        cols = None if columns is None else list(dict.fromkeys([*columns, "village_code"]))
        if code == "" and cols is None:  # the whole round, every column: read once, kept
            return self.households.copy(deep=False)
        if code == "" and cols is not None:  # the whole round: read once per set of columns
            memo = self._round_reads.get(tuple(cols))
            if memo is None:
                memo = self._round_reads[tuple(cols)] = self._read_round(cols)
            return memo.copy(deep=False)
        if code and self._covers_round(code):  # e.g. the province: its one-file copy, kept
            return self.area_households("", None if columns is None else columns)
        return self._read_households(code, cols)

    def _covers_round(self, code: str) -> bool:
        """Whether every tambon file of the round lies in area ``code`` (the province's)."""
        files = self._tambon_files()
        return bool(files) and len(code) < 8 and all(
            f.stem.split("=")[1].startswith(code[:6]) for f in files)

    def _tambon_files(self) -> list[Path]:
        """Return the round's tambon files in order (listed once: the cache never changes)."""
        if self._tambon_listing is None:
            self._tambon_listing = sorted(
                (self.cache_dir / "households").glob("tambon=*.parquet"))
        return self._tambon_listing

    def _read_round(self, cols: list[str] | None) -> pd.DataFrame:
        """Read the whole round's columns (``None``: all).

        From the one-file copy when it holds them all, else (a copy missing or incomplete, e.g.
        removed by hand) from the tambon files, with the same result.
        """
        import pyarrow.parquet as pq

        path = self.cache_dir / ROUND_FILE
        if path.is_file():
            pf = pq.ParquetFile(path)
            wanted = cols if cols is not None else pq.read_schema(
                self.cache_dir / "households_empty.parquet").names
            if set(wanted) <= set(pf.schema_arrow.names):
                return pf.read(columns=list(wanted)).to_pandas()
        return self._read_households("", cols)

    def _read_households(self, code: str, cols: list[str] | None) -> pd.DataFrame:
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = [f for f in self._tambon_files() if f.stem.split("=")[1].startswith(code[:6])]
        if not files:
            empty = pd.read_parquet(self.cache_dir / "households_empty.parquet")
            return empty if cols is None else empty[[c for c in cols if c in empty]]
        # the files in order, read one by one (a dataset scan costs more per small file),
        # concatenated and converted to pandas once
        frame = pa.concat_tables([pq.ParquetFile(f).read(columns=cols, use_threads=False)
                                  for f in files]).to_pandas()
        if len(code) == 8:
            frame = frame[frame["village_code"] == code].reset_index(drop=True)
        return frame


def _file_hash(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path and path.exists() else "-"


def _cache_inputs(survey_round: int, root: Path | None, scheme: Scheme,
                  design: str | None = None
                  ) -> tuple[dict[str, Any], pd.DataFrame | None, DesignSpec, str]:
    """Return the round's manifest, frame, design and analysis cache key (lock held by caller)."""
    manifest = data_mod.manifest(survey_round, root)
    frame = round_frame(survey_round, root, manifest)
    spec = choose_design(frame, design)
    return manifest, frame, spec, _cache_key(manifest, scheme, spec)


def _cache_key(manifest: dict[str, Any], scheme: Scheme, design: DesignSpec) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(manifest.get("fingerprints", {}), sort_keys=True).encode())
    # the round-wide tables by their digests: the frame feeds weights, fpc, coverage and the
    # choice of design
    h.update(json.dumps(manifest.get("table_sha256", {}), sort_keys=True).encode())
    h.update(json.dumps(manifest.get("rows", {}), sort_keys=True, default=str).encode())
    # the forms too: scoring reads their choice lists (an answer outside its list is missing)
    for p in (scheme.path, params_dir() / "grades.yaml", params_dir() / "design.yaml",
              params_dir() / "status.yaml", *form_paths()):
        h.update(_file_hash(p).encode())
    # the code as well as the version: a checkout's version does not change with its code
    h.update(f"{design.name}/{software_fingerprint()}/{CACHE_FORMAT}".encode())
    return f"{scheme.scheme_id}-{design.name}-{h.hexdigest()[:16]}"


def score_round(households: pd.DataFrame, villages: pd.DataFrame,
                scheme: Scheme) -> tuple[pd.DataFrame, HouseholdScores]:
    """Return the derived household table (see :class:`RoundAnalysis`) and the raw scores."""
    households = households.reset_index(drop=True)
    hs = score_households(households, scheme)
    keep = [c for c in _KEEP if c in households.columns]
    out = households[keep].copy()
    n_hh = villages.set_index("village_code")["vil_households"].astype("float64")
    form_count = out["village_code"].map(n_hh).astype("float64")
    if "village_households" in out.columns:  # the frame's M: it made the weights, it is the fpc
        out["village_households"] = pd.to_numeric(out["village_households"], errors="coerce"
                                                  ).astype("float64").fillna(form_count)
    else:
        out["village_households"] = form_count
    size = pd.to_numeric(out["hh_size"], errors="coerce").astype("float64")
    income = pd.to_numeric(out["fin_income_year"], errors="coerce").astype("float64")
    out["income_pc"] = income / size.where(size > 0)
    for cap in scheme.capital_ids:
        out[cap] = hs.scores[cap].to_numpy()
        out[f"level_{cap}"] = hs.levels[cap].astype("float64").to_numpy()
    out["overall_level"] = hs.overall_level.astype("float64").to_numpy()
    out["track"] = hs.track.astype("string").to_numpy()
    dep = deprivation_matrix(hs.scores, scheme)
    for col in dep.columns:
        out[col] = dep[col].to_numpy()
    out["level1"] = (out["overall_level"] == 1).astype("float64").where(
        out["overall_level"].notna())
    # the raw answers of the instrument's capital items, for item-level rules in the reports
    items = [i for group in capital_items().values() for i in group
             if i in households.columns and i not in out.columns]
    out = pd.concat([out, households[items]], axis=1)
    return out, hs


def grade_round(derived: pd.DataFrame, hs: HouseholdScores, villages: pd.DataFrame,
                spec: DesignSpec) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                           pd.DataFrame]:
    """Grade villages and tambons and estimate capital means by amphoe and province.

    Returns
    -------
    villages, tambons, means : pandas.DataFrame
        Grade tables (index reset, area code as a column) and a long table of capital means
        (``level, code, capital, estimate, se, ci_low, ci_high, n``).
    """
    design = spec.build(derived)
    v = grades.grade_villages(design, hs, villages, level=spec.level, typology=False).table
    tg = grades.grade_tambons(design, hs, villages, level=spec.level)
    t = tg.table
    parts = []
    for cap in hs.scheme.capital_ids:
        for level, by in (("amphoe", "amphoe_code"), ("province", "province_code")):
            m = design.mean(cap, by=by, na_rm=True, level=spec.level)
            m = m.reset_index().rename(columns={by: "code"})
            m.insert(0, "capital", cap)
            m.insert(0, "level", level)
            parts.append(m)
    means = pd.concat(parts, ignore_index=True)
    typology = pd.DataFrame()
    if tg.typology is not None:
        typology = tg.typology.summary()
        typology.index.name = "cluster"
        typology = typology.reset_index()
        sil = tg.typology.silhouette
        typology.attrs["silhouette"] = {int(k): float(v) for k, v in sil.items()}
        typology["chosen_k"] = int(tg.typology.k)
        typology["silhouette"] = float(sil.loc[tg.typology.k])
        typology["silhouette_by_k"] = json.dumps({int(k): round(float(v), 4)
                                                  for k, v in sil.items()})
    return v.reset_index(), t.reset_index(), means, typology


def write_cache_dir(final: Path, frames: dict[str, pd.DataFrame], meta: dict[str, Any],
                    replace: bool = False) -> None:
    """Write a cache folder atomically, in a temporary folder swapped in whole.

    Tables as Parquet (``households`` one file per tambon) and ``meta.json``.

    A folder another process finished first is kept unless ``replace``; the caller holds
    :func:`abcresearch.store.store_lock` (shared) while it reads the data and writes.
    """
    tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        for name, df in frames.items():
            if name == "households":  # one file per tambon: a report reads only its own
                (tmp / name).mkdir()
                parts = []
                for tambon, part in df.groupby("tambon_code", sort=True):
                    part.to_parquet(tmp / name / f"tambon={tambon}.parquet", index=False)
                    parts.append(part)
                df.iloc[:0].to_parquet(tmp / "households_empty.parquet", index=False)
                whole = pd.concat(parts, ignore_index=True) if parts else df.iloc[:0]
                whole.to_parquet(tmp / ROUND_FILE, index=False)
            else:
                df.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1),
                                       encoding="utf-8")
        if final.exists() and not replace:  # another process finished first: keep theirs
            shutil.rmtree(tmp)
            return
        if final.exists():  # rebuild: swap, so readers see the old or the new cache, whole
            stale = final.parent / f".{final.name}.stale-{uuid.uuid4().hex[:8]}"
            os.replace(final, stale)
            os.replace(tmp, final)
            shutil.rmtree(stale, ignore_errors=True)
            return
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _load_scheme(scheme: str | Path | Scheme | None) -> Scheme:
    """Load a scheme (parsed once per version of its file, see :func:`abcresearch.params.load`)."""
    return load_scheme(scheme)


def round_frame(survey_round: int, store: Path | str | None = None,
                manifest: dict[str, Any] | None = None) -> pd.DataFrame | None:
    """Return the round's village frame, or None for a round ingested without one."""
    m = manifest if manifest is not None else data_mod.manifest(survey_round, store)
    if not m.get("frame") and not (m.get("table_sha256") or {}).get("frame"):
        return None
    try:
        return data_mod.load(survey_round, store=store, table="frame")
    except StoreError:
        return None


def _status_map(table: pd.DataFrame, code_col: str, column: str) -> dict[str, Any]:
    if column not in table.columns:
        return {}
    return dict(zip(table[code_col].astype(str), table[column], strict=True))


def apply_status(table: pd.DataFrame, areas: pd.DataFrame, code_col: str) -> pd.DataFrame:
    """Join the areas' status to a grade table and withhold the grades the model does not give.

    Parameters
    ----------
    table : pandas.DataFrame
        A village or tambon grade table (``grade``, ``grade_label_th/en``, ``reason_th/en``,
        ``priority_rank``).
    areas : pandas.DataFrame
        The round's areas table (:func:`abcresearch.analysis.status.area_statuses`).
    code_col : str
        ``"village_code"`` or ``"tambon_code"``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``estimate_basis``, ``grade_status``, ``villages_surveyed`` and
        ``villages_total``; where the published grade differs from the direct one (withheld:
        ``not_graded``; a model grade: ``provisional``) the grade and its labels are replaced
        (a withheld grade's label says "not graded" and its reason why), and a withheld area
        has no priority rank (the others keep their order, ranked again from 1), no support
        band or cell (``priority_band``, ``priority_cell``: need x grade) and no
        near-threshold grade flag.
    """
    out = table.copy()
    st = areas.set_index("area_code")
    codes = out[code_col].astype(str)
    for col in ("estimate_basis", "grade_status", "villages_surveyed", "villages_total"):
        out[col] = codes.map(st[col]).to_numpy()
    if "grade" not in out.columns:
        return out
    published = codes.map(st["grade"])
    direct = out["grade"]
    withheld = (direct.notna() & published.isna()).to_numpy()
    replaced = (published.notna() & (published != direct)).to_numpy()
    rules = load_status_rules()
    if withheld.any():
        out["grade"] = out["grade"].astype(object)
        out.loc[withheld, "grade"] = None
        n = out.loc[withheld, "villages_surveyed"].fillna(0).astype(int)
        for lang in ("th", "en"):
            if f"grade_label_{lang}" in out.columns:
                out.loc[withheld, f"grade_label_{lang}"] = label("rollout.grade_withheld", lang)
            if f"reason_{lang}" in out.columns:
                out.loc[withheld, f"reason_{lang}"] = [
                    label("rollout.grade_withheld_reason", lang, villages=int(k),
                          min_villages=rules.min_sampled_villages) for k in n]
        # the support band is the need x grade cell: withheld with the grade, as is the
        # grade's near-threshold flag (the need class and its flag stay: need is an estimate,
        # published with the area's warning)
        for col in ("priority_band", "priority_cell"):
            if col in out.columns:
                out[col] = out[col].astype(object if col == "priority_cell" else "Int64")
                out.loc[withheld, col] = pd.NA
        for col in ("near_threshold_indicator",):
            if col in out.columns:
                out[col] = out[col].astype(object)
                out.loc[withheld, col] = None
        if "near_threshold" in out.columns:
            out.loc[withheld, "near_threshold"] = False
        if "priority_rank" in out.columns:
            rank = pd.to_numeric(out["priority_rank"], errors="coerce")
            rank[withheld] = float("nan")
            out["priority_rank"] = rank.rank(method="min").astype("Int64")
    if replaced.any():
        gr = load_grade_rules()
        gl = gr.grade_labels
        new = published[replaced]
        out.loc[replaced, "grade"] = new.to_numpy()
        for lang in ("th", "en"):
            if f"grade_label_{lang}" in out.columns:
                out.loc[replaced, f"grade_label_{lang}"] = [str(gl[g][lang]) for g in new]
        # the support band and cell follow the published grade; a model grade is provisional,
        # never near-threshold (that flag reads a direct interval)
        if "need" in out.columns and "priority_band" in out.columns:
            band_of = {cell: i + 1 for i, cell in enumerate(gr.bands)}
            needs = out.loc[replaced, "need"]
            out["priority_band"] = out["priority_band"].astype("Int64")
            out.loc[replaced, "priority_band"] = pd.array(
                [band_of.get((n, g), pd.NA) for n, g in zip(needs, new, strict=True)],
                dtype="Int64")
            if "priority_cell" in out.columns:
                out.loc[replaced, "priority_cell"] = [
                    f"{n}_{g}" for n, g in zip(needs, new, strict=True)]
        if "near_threshold" in out.columns:
            out.loc[replaced, "near_threshold"] = False
    return out


BUILD_NOTICES: list[Callable[[int], None]] = []
"""Called with the round when :func:`round_analysis` builds it (not read from its cache).

The first report of a round (or after new rules, data or software) builds the round's
analysis, and then its disclosure pattern, before anything else: some half a minute on a
province, which a fresh user's walk-through met with nothing printed. The command line adds a
function that says so on stderr."""


def round_analysis(survey_round: int, store: Path | str | None = None,
                   scheme: str | Path | Scheme | None = None, rebuild: bool = False, *,
                   design: str | None = None, model_areas: Collection[str] | None = None,
                   model_grades: Mapping[str, str] | None = None) -> RoundAnalysis:
    """Return the scored and graded round, from the cache when its inputs are unchanged.

    Parameters
    ----------
    survey_round : int
        Buddhist-era year of the round.
    store : path, optional
        The analysis store.
    scheme : str, Path or Scheme, optional
        Scoring scheme (default ``params/scoring.yaml``).
    rebuild : bool, default False
        Ignore the cache.
    design : {"auto", "census", "two_stage"}, optional
        The survey design (default the ``design`` of ``params/design.yaml``, ``auto``: the
        two-stage design when the round's frame samples villages, else the census of
        villages). A researcher's override; the cache keeps one analysis per design.
    model_areas : collection of str, optional
        Areas with small-area (model) estimates: their basis becomes ``model``
        (:func:`abcresearch.analysis.status.area_statuses`). Applied on top of the cache.
    model_grades : mapping, optional
        Model-based grades of those areas (published as ``provisional``).

    Returns
    -------
    RoundAnalysis

    Raises
    ------
    DesignError
        An unknown design, or ``two_stage`` for a round ingested without a frame.
    """
    root = Path(store) if store is not None else None
    sch = _load_scheme(scheme)
    built = False
    # hold the shared lock from resolving the version to writing its cache: no swap in between
    with store_lock(root, shared=True):
        manifest, frame, spec, key = _cache_inputs(survey_round, root, sch, design)
        cache = cache_folder(survey_round, key, root)
        meta = json.loads((cache / "meta.json").read_text("utf-8")) if (
            cache / "meta.json").exists() else None
        excluded = tuple(UnreadablePartition.from_dict(p)
                         for p in (meta or {}).get("excluded", []))
        if excluded and not recheck(survey_round, excluded, root):
            rebuild = True  # a file found damaged reads again: do not keep leaving it out
        if rebuild or meta is None:
            for notice in BUILD_NOTICES:  # a command line says why this report waits
                notice(survey_round)
            # a damaged tambon file fails that tambon's areas only: left out here and named
            readable = load_readable(survey_round, root, ("households", "villages"))
            hh, vil = readable.frames["households"], readable.frames["villages"]
            excluded = readable.excluded
            # households whose village form was rejected or missing (or, with a frame, whose
            # village the frame does not sample) carry no weight: they are kept in the store
            # (and counted in the data-quality section) but cannot enter estimates
            hh = hh[hh["weight"].notna()]
            derived, hs = score_round(hh, vil, sch)
            v, t, means, typology = grade_round(derived, hs, vil, spec)
            coverage = coverage_table(derived, frame, vil)
            areas = _statuses(coverage, v, t, None, None)
            write_cache_dir(cache, {"households": derived, "villages": v, "tambons": t,
                                      "means": means, "typology": typology, "areas": areas},
                              {"key": key, "scheme": sch.scheme_id,
                               "scheme_version": sch.scheme_version, "version": __version__,
                               "design": spec.name, "design_choice": spec.choice,
                               "frame": frame is not None,
                               "excluded": [p.as_dict() for p in excluded]},
                              replace=rebuild)
            built = True
        stamp = _cache_stamp(cache)
        modelled = model_areas is not None or model_grades is not None
        kept = _shallow(_cache_tables(str(cache), stamp) if modelled
                        else _published_tables(str(cache), stamp, params_hash()))
    if built:  # the caches of earlier code or rules pile up: keep the newest few
        prune_caches(cache, root)
    if modelled:
        v, t, areas, means, typology = kept
        coverage = areas[list(COVERAGE_COLUMNS)]
        areas = _statuses(coverage, v, t, model_areas, model_grades)
        villages = apply_status(v, areas, "village_code")
        tambons = apply_status(t, areas, "tambon_code")
    else:
        villages, tambons, areas, means, typology = kept
    return RoundAnalysis(
        survey_round=survey_round, scheme=sch, cache_dir=cache, villages=villages,
        tambons=tambons, means=means, typology=typology, manifest=manifest, key=key,
        design=spec, areas=areas, has_frame=frame is not None, store=root, excluded=excluded)


#: The small tables of an analysis cache folder, in the order :func:`_cache_tables` gives them.
_CACHE_TABLES = ("villages", "tambons", "areas", "means", "typology")


def _cache_stamp(cache: Path) -> tuple[tuple[int, int, int], ...]:
    """Return the identity (inode, mtime, size) of a cache folder's small tables and meta.

    A rebuilt folder is swapped in whole (:func:`write_cache_dir`), so every file is new.
    """
    stamps = []
    for name in (*_CACHE_TABLES, "meta"):
        st = (cache / (f"{name}.json" if name == "meta" else f"{name}.parquet")).stat()
        stamps.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(stamps)


def _shallow(frames: tuple[pd.DataFrame, ...]) -> tuple[pd.DataFrame, ...]:
    """Return new DataFrame objects over the kept data.

    Under copy-on-write a caller's change through pandas (a new column, an edited cell)
    copies what it changes and never reaches the kept tables; writing into a column's
    ``.array`` or a NumPy view of it would, so the tables are read-only below pandas' methods.
    """
    return tuple(f.copy(deep=False) for f in frames)


@lru_cache(maxsize=4)
def _cache_tables(cache: str, stamp: tuple[tuple[int, int, int], ...]
                  ) -> tuple[pd.DataFrame, ...]:
    """Read the small tables of a cache folder, once per version of its files.

    A batch worker (or ``abcresearch serve``) makes many reports of one round: the five
    tables and their statuses were read and joined again for each (about 50 ms a report).
    Treat the result as read-only (:func:`_shallow` gives callers their own objects).
    """
    return tuple(pd.read_parquet(Path(cache) / f"{name}.parquet") for name in _CACHE_TABLES)


@lru_cache(maxsize=4)
def _published_tables(cache: str, stamp: tuple[tuple[int, int, int], ...], rules: str
                      ) -> tuple[pd.DataFrame, ...]:
    """Return the village and tambon tables with the statuses applied, then the other three.

    What :func:`apply_status` makes rests on the cache folder's files and on ``params/`` (the
    words of a withheld grade and its reason, in ``params/labels/``, which the cache's key does
    not cover): kept per version of both (``rules``: :func:`abcresearch.params.params_hash`).
    """
    v, t, areas, means, typology = _cache_tables(cache, stamp)
    return (apply_status(v, areas, "village_code"), apply_status(t, areas, "tambon_code"),
            areas, means, typology)


# keyed by the files' identity, read-only values: kept between a worker's reports
# (abcresearch.batch.kernel_state.clear_library_caches)
_cache_tables.cache_safe = True  # type: ignore[attr-defined]
_published_tables.cache_safe = True  # type: ignore[attr-defined]


def round_cached_table(survey_round: int, name: str, compute: Callable[[], pd.DataFrame],
                       store: Path | str | None = None,
                       scheme: str | Path | Scheme | None = None, *,
                       inputs: Any = (), columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Return a round-wide table kept beside the round's analysis cache, computed once.

    For tables that rest only on what the analysis cache's key covers (the round's data and
    frame, the scoring scheme, ``grades.yaml``, ``design.yaml``, ``status.yaml``, the survey
    forms, abcresearch's code: :func:`abcresearch.software.software_fingerprint`) and on
    ``inputs``, such as the
    methods appendix's sensitivity table (5-6 s on the sample province, on every batch
    before). The table is kept as ``<name>-<hash of inputs>.parquet`` in the cache folder of
    :func:`round_analysis`: a change of data, rules or code is another folder, a change of
    inputs another file, so a kept table is not read against other inputs. It is read when that
    cache is built and holds it with the expected ``columns``; otherwise ``compute()`` makes it
    and, when the cache is built, it is written there (atomically: a reader sees the whole file
    or none; a store that cannot be written keeps nothing and says nothing). Without a built
    cache nothing is written (the round analysis builds its folder whole). A :class:`Scheme`
    object whose contents are not its file's (changed in memory, or its file edited since) is
    computed every time. The store's shared lock is held throughout, as :func:`round_analysis`
    holds it, so no ingest swaps the round in between.

    Parameters
    ----------
    survey_round : int
        Buddhist-era year of the round.
    name : str
        File stem, a plain name (letters, digits, ``-``, ``_``).
    compute : callable
        Makes the table (reads the store itself); called at most once.
    store : path, optional
        The analysis store.
    scheme : str, Path or Scheme, optional
        Scoring scheme (default ``params/scoring.yaml``), as given to :func:`round_analysis`.
    inputs : object
        What else the table depends on (its ``repr`` is hashed), e.g. the parameters given to
        ``compute``.
    columns : sequence of str, optional
        The table's columns; a kept file with others is made again.

    Returns
    -------
    pandas.DataFrame
    """
    from abcresearch.atomic import atomic_write_bytes

    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise ValueError(f"table name {name!r} is not a plain file name")
    root = Path(store) if store is not None else None
    sch = _load_scheme(scheme)
    # a scheme object is keyed by its file: keep only what that file's scheme would make
    keep = not isinstance(scheme, Scheme) or (
        scheme.path is not None and scheme.path.is_file() and scheme == _load_scheme(scheme.path))
    with store_lock(root, shared=True):
        cache = cache_folder(survey_round, _cache_inputs(survey_round, root, sch)[3], root)
        path = cache / f"{name}-{hashlib.sha256(repr(inputs).encode()).hexdigest()[:16]}.parquet"
        keep = keep and (cache / "meta.json").is_file()
        if keep and path.is_file():
            try:
                kept = pd.read_parquet(path)
            except (OSError, ValueError):  # damaged by hand: made again below
                kept = None
            if kept is not None and (columns is None or list(kept.columns) == list(columns)):
                return kept
        table = compute()
        if keep:
            try:
                buf = io.BytesIO()
                table.to_parquet(buf, index=False)
                atomic_write_bytes(path, buf.getvalue())
            except (OSError, ValueError, TypeError):  # a read-only store, an odd column
                pass
    return table


def _statuses(coverage: pd.DataFrame, villages: pd.DataFrame, tambons: pd.DataFrame,
              model_areas: Collection[str] | None,
              model_grades: Mapping[str, str] | None) -> pd.DataFrame:
    """Return the areas table: coverage plus basis, grade status and published grade."""
    direct = {**_status_map(villages, "village_code", "grade"),
              **_status_map(tambons, "tambon_code", "grade")}
    # near-threshold grades come from the grade tables when they carry the column
    near = {k: bool(v) for k, v in {**_status_map(villages, "village_code", "near_threshold"),
                                    **_status_map(tambons, "tambon_code", "near_threshold")
                                    }.items() if pd.notna(v)}
    direct = {k: g for k, g in direct.items() if isinstance(g, str)}
    return area_statuses(coverage, model_areas=model_areas, near_threshold=near, grades=direct,
                         model_grades=model_grades)


def store_area_status(survey_round: int, area_code: str, store: Path | str | None = None,
                      model_areas: Collection[str] | None = None) -> AreaStatus:
    """Return an area's coverage, estimate basis and grade status, straight from the store.

    For checks before any work (``abcresearch report --area``): reads only the round's frame,
    the households' village codes and weights (and the village forms of a round without a
    frame), never scores. The grade is not known here (None).

    Parameters
    ----------
    survey_round : int
        The round.
    area_code : str
        Any area code.
    store : path, optional
        The store.
    model_areas : collection of str, optional
        Areas with small-area (model) estimates (their basis is ``model``, not ``none``).

    Raises
    ------
    StoreError
        The store or the round does not exist.
    """
    root = Path(store) if store is not None else None
    code = str(area_code).strip()
    # an area's coverage rests on its own villages only, so only its partitions are read (one
    # tambon's files, not the province's 170; an area with no rows reads as an empty table)
    within = code if code.isdigit() and len(code) in (2, 4, 6, 8) else None
    with store_lock(root, shared=True):
        manifest = data_mod.manifest(survey_round, root)
        frame = round_frame(survey_round, root, manifest)
        hh = _area_rows(survey_round, root, within, "households", [
            c for c in ("village_code", "weight", "village_prob")
            if frame is not None or c != "village_prob"])
        forms = None
        if frame is None:
            forms = _area_rows(survey_round, root, within, "villages",
                               ["village_code", "vil_households"])
    areas = area_statuses(coverage_table(hh, frame, forms), model_areas=model_areas)
    return area_status(areas, code)


def _area_rows(survey_round: int, store: Path | None, area: str | None, table: str,
               columns: list[str]) -> pd.DataFrame:
    """Return an area's rows of one table (all rows without an area); empty if it has none."""
    if area is None:
        return data_mod.load(survey_round, store=store, table=table, columns=columns)
    folder = round_folder(survey_round, store)  # StoreError for a missing round
    if not (folder / table).exists():
        return data_mod.load(survey_round, store=store, table=table, columns=columns)
    try:
        return data_mod.load(survey_round, area=area, store=store, table=table, columns=columns)
    except StoreError:  # no partition of the area: it has no rows in the round
        return pd.DataFrame({c: pd.Series(dtype="float64" if c != "village_code" else "str")
                             for c in columns})
