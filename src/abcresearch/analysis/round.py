"""One round's analysis, computed once and shared by every report of that round.

``round_analysis(round)`` scores every household under a scheme, marks deprivations, and grades
villages and tambons (rankings need the whole province). The result is cached in the store under
``abcresearch.store.cache_folder(round, key)`` (``derived/<key>/`` inside the round's live
version, so a cache is never read against other data) where the key hashes the round's data
fingerprints, the scheme and grade rules and the software version, so a report reads the cache
in milliseconds and a change of data or rules rebuilds it. The cache holds no personal data (it
is built from the store).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from abcresearch import __version__
from abcresearch.errors import ParamsError, StoreError
from abcresearch.paths import params_dir
from abcresearch.scoring import (
    HouseholdScores,
    deprivation_matrix,
    grades,
    load_scheme,
    score_households,
)
from abcresearch.scoring.scheme import Scheme
from abcresearch.stats import SurveyDesign
from abcresearch.store import cache_folder
from abcresearch.store import read as data_mod
from abcresearch.store.partitions import UnreadablePartition, area_left_out, load_readable, recheck

#: Version of the cache layout; bump it whenever what the cache holds changes.
CACHE_FORMAT = 4

#: Household columns kept in the derived table besides scores.
_KEEP = ["submission_uuid", "hh_key", "village_code", "tambon_code", "amphoe_code",
         "province_code", "weight", "hh_size", "head_sex", "head_age", "fin_income_year",
         "fin_debt", "fin_savings"]


@dataclass(frozen=True)
class DesignSpec:
    """The survey design declared in ``params/design.yaml``."""

    strata: str | None
    cluster: str | None
    fpc: str | None
    weights: str
    lonely_psu: str
    level: float
    suppression_threshold: int

    def build(self, frame: pd.DataFrame) -> SurveyDesign:
        """Return the :class:`~abcresearch.stats.SurveyDesign` of a household frame."""
        return SurveyDesign(frame, weights=self.weights, strata=self.strata,
                            cluster=self.cluster, fpc=self.fpc, lonely_psu=self.lonely_psu)


@lru_cache(maxsize=4)
def _design_spec(path: str) -> DesignSpec:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    try:
        return DesignSpec(strata=raw.get("strata"), cluster=raw.get("cluster"),
                          fpc=raw.get("fpc"), weights=raw.get("weights", "weight"),
                          lonely_psu=raw.get("lonely_psu", "adjust"),
                          level=float(raw.get("level", 0.95)),
                          suppression_threshold=int(raw.get("suppression_threshold", 5)))
    except (TypeError, ValueError) as exc:
        raise ParamsError(f"{path}: {exc}") from exc


def design_spec(path: Path | None = None) -> DesignSpec:
    """Load ``params/design.yaml``."""
    return _design_spec(str(path or params_dir() / "design.yaml"))


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
        One row per household: area codes, weight, ``village_households`` (for the fpc),
        ``income_pc``, capital scores (one column per capital), ``level_<capital>``,
        ``overall_level``, ``track``, ``dep_<capital>``.
    villages : pandas.DataFrame
        The village form rows with grade indicators, ``grade``, reasons and ``priority``.
    tambons : pandas.DataFrame
        Tambon grade indicators, ``grade``, reasons and ``priority``.
    means : pandas.DataFrame
        Capital means by amphoe and for the province (long table).
    typology : pandas.DataFrame
        The tambon typology: one row per cluster with its size and mean capital profile, the
        chosen number of clusters and the silhouette widths that chose it.
    manifest : dict
        The round's ingest manifest.
    key : str
        Cache key.
    excluded : tuple of UnreadablePartition
        Damaged store files whose tambons are left out of everything above (see
        :mod:`abcresearch.store.partitions`); round-wide figures then rest on fewer households.
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
    excluded: tuple[UnreadablePartition, ...] = ()

    @property
    def synthetic(self) -> bool:
        """Whether the round's data are synthetic."""
        return bool(self.manifest.get("synthetic", False))

    @cached_property
    def households(self) -> pd.DataFrame:
        """Every scored household of the round (read on first use)."""
        return self.area_households("")

    def area_households(self, area_code: str) -> pd.DataFrame:
        """Return the scored households of one area (any level; ``""`` for all).

        Only the tambon partitions of the area are read (a few milliseconds per tambon).
        """
        code = str(area_code)
        if (problem := area_left_out(code, self.excluded)) is not None:
            raise StoreError(problem)
        files = sorted(f for f in (self.cache_dir / "households").glob("tambon=*.parquet")
                       if f.stem.split("=")[1].startswith(code[:6]))
        if not files:
            return pd.read_parquet(self.cache_dir / "households_empty.parquet")
        frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
        if len(code) == 8:
            frame = frame[frame["village_code"] == code].reset_index(drop=True)
        return frame


def _file_hash(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path and path.exists() else "-"


def _cache_key(manifest: dict[str, Any], scheme: Scheme) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(manifest.get("fingerprints", {}), sort_keys=True).encode())
    h.update(json.dumps(manifest.get("row_counts", manifest.get("counts", {})), sort_keys=True,
                        default=str).encode())
    for p in (scheme.path, params_dir() / "grades.yaml", params_dir() / "design.yaml"):
        h.update(_file_hash(p).encode())
    h.update(f"{__version__}/{CACHE_FORMAT}".encode())
    return f"{scheme.scheme_id}-{h.hexdigest()[:16]}"


def score_round(households: pd.DataFrame, villages: pd.DataFrame,
                scheme: Scheme) -> tuple[pd.DataFrame, HouseholdScores]:
    """Return the derived household table (see :class:`RoundAnalysis`) and the raw scores."""
    households = households.reset_index(drop=True)
    hs = score_households(households, scheme)
    keep = [c for c in _KEEP if c in households.columns]
    out = households[keep].copy()
    n_hh = villages.set_index("village_code")["vil_households"].astype("float64")
    out["village_households"] = out["village_code"].map(n_hh).astype("float64")
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


def _write_atomic_dir(final: Path, frames: dict[str, pd.DataFrame], meta: dict[str, Any],
                      replace: bool = False) -> None:
    tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        for name, df in frames.items():
            if name == "households":  # one file per tambon: a report reads only its own
                (tmp / name).mkdir()
                for tambon, part in df.groupby("tambon_code", sort=True):
                    part.to_parquet(tmp / name / f"tambon={tambon}.parquet", index=False)
                df.iloc[:0].to_parquet(tmp / "households_empty.parquet", index=False)
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


def round_analysis(survey_round: int, store: Path | str | None = None,
                   scheme: str | Path | Scheme | None = None, rebuild: bool = False
                   ) -> RoundAnalysis:
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

    Returns
    -------
    RoundAnalysis
    """
    root = Path(store) if store is not None else None
    manifest = data_mod.manifest(survey_round, root)
    sch = _load_scheme(scheme)
    key = _cache_key(manifest, sch)
    cache = cache_folder(survey_round, key, root)
    meta = json.loads((cache / "meta.json").read_text("utf-8")) if (
        cache / "meta.json").exists() else None
    excluded = tuple(UnreadablePartition.from_dict(p) for p in (meta or {}).get("excluded", []))
    if excluded and not recheck(survey_round, excluded, root):
        rebuild = True  # a file found damaged reads again: do not keep leaving it out
    if rebuild or meta is None:
        # a damaged tambon file fails that tambon's areas only: it is left out here and named
        readable = load_readable(survey_round, root, ("households", "villages"))
        hh, vil = readable.frames["households"], readable.frames["villages"]
        excluded = readable.excluded
        # households whose village form was rejected or missing carry no weight: they are kept
        # in the store (and counted in the data-quality section) but cannot enter estimates
        hh = hh[hh["weight"].notna()]
        derived, hs = score_round(hh, vil, sch)
        v, t, means, typology = grade_round(derived, hs, vil, design_spec())
        _write_atomic_dir(cache, {"households": derived, "villages": v, "tambons": t,
                                  "means": means, "typology": typology},
                          {"key": key, "scheme": sch.scheme_id,
                           "scheme_version": sch.scheme_version, "version": __version__,
                           "excluded": [p.as_dict() for p in excluded]},
                          replace=rebuild)
    return RoundAnalysis(
        survey_round=survey_round, scheme=sch, cache_dir=cache,
        villages=pd.read_parquet(cache / "villages.parquet"),
        tambons=pd.read_parquet(cache / "tambons.parquet"),
        means=pd.read_parquet(cache / "means.parquet"),
        typology=pd.read_parquet(cache / "typology.parquet"),
        manifest=manifest, key=key, excluded=excluded)


def area_design(frame: pd.DataFrame, spec: DesignSpec | None = None) -> SurveyDesign:
    """Return the survey design of a set of scored households (``params/design.yaml``)."""
    spec = spec or design_spec()
    return spec.build(frame.reset_index(drop=True))
