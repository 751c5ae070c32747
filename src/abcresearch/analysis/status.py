"""One status model for every area's numbers and grade (``docs/ARCHITECTURE.md``).

What a report may say about an area rests on two facts decided here, once:

* the **estimate basis**: ``direct`` (design-based, from the area's own sample), ``model``
  (small-area estimate) or ``none`` (not surveyed, no model);
* the **grade status**: ``final``, ``near_threshold`` (final, but an interval of a sampled
  indicator that decides the grade straddles its threshold), ``provisional`` (graded from model
  estimates), ``not_graded`` (a tambon or amphoe resting on fewer than
  ``min_sampled_villages`` sampled villages without a model estimate) or ``not_surveyed``.

The rules' numbers live in ``params/status.yaml``; the words in ``params/labels/status.yaml``.
Every report, the summary JSON beside each PDF and the index page read them from here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.params import Problems, load

__all__ = [
    "AREA_COLUMNS",
    "COVERAGE_COLUMNS",
    "SUMMARY_KEYS",
    "AreaStatus",
    "Coverage",
    "EstimateBasis",
    "GradeStatus",
    "StatusRules",
    "area_status",
    "area_statuses",
    "coverage_table",
    "estimate_basis",
    "grade_status",
    "load_status_rules",
    "parse_status_rules",
    "summary_record",
]


#: Area levels, smallest first.
LEVELS = ("village", "tambon", "amphoe", "province")


class EstimateBasis(StrEnum):
    """What an area's estimates rest on."""

    DIRECT = "direct"
    MODEL = "model"
    NONE = "none"


class GradeStatus(StrEnum):
    """How far an area's grade can be relied on."""

    FINAL = "final"
    NEAR_THRESHOLD = "near_threshold"
    PROVISIONAL = "provisional"
    NOT_GRADED = "not_graded"
    NOT_SURVEYED = "not_surveyed"

    @property
    def has_grade(self) -> bool:
        """Whether a grade (A/B/C) is published under this status."""
        return self in (GradeStatus.FINAL, GradeStatus.NEAR_THRESHOLD, GradeStatus.PROVISIONAL)


@dataclass(frozen=True)
class StatusRules:
    """The rules of ``params/status.yaml``.

    Attributes
    ----------
    min_sampled_villages : int
        A tambon or amphoe needs at least this many sampled villages to be graded directly.
    graded_from_own_sample : tuple of str
        Levels graded from their own sample whatever their village count (villages).
    graded_levels : tuple of str
        Levels that carry a grade at all.
    verified : bool
        Whether the research team has reviewed the rules.
    """

    min_sampled_villages: int = 2
    graded_from_own_sample: tuple[str, ...] = ("village",)
    graded_levels: tuple[str, ...] = ("village", "tambon")
    verified: bool = False


def parse_status_rules(raw: Mapping[str, Any], path: Path) -> StatusRules:
    """Parse and check ``params/status.yaml`` (see :func:`abcresearch.params.load`).

    Parameters
    ----------
    raw : Mapping
        The file's top-level mapping.
    path : Path
        The file (for messages).

    Returns
    -------
    StatusRules

    Raises
    ------
    ParamsError
        Listing every problem of the file.
    """
    pr = Problems(path)
    msv = raw.get("min_sampled_villages", 2)
    if isinstance(msv, bool) or not isinstance(msv, int) or msv < 1:
        pr.add("min_sampled_villages", f"must be a whole number of at least 1, found {msv!r}")
    lists = {}
    for key, default in (("graded_from_own_sample", ["village"]),
                         ("graded_levels", ["village", "tambon"])):
        value = raw.get(key, default)
        if not isinstance(value, list) or any(v not in LEVELS for v in value):
            pr.add(key, f"must be a list of levels among {', '.join(LEVELS)}, found {value!r}")
            value = default
        lists[key] = tuple(value)
    pr.raise_if_any()
    return StatusRules(min_sampled_villages=int(msv),
                       graded_from_own_sample=lists["graded_from_own_sample"],
                       graded_levels=lists["graded_levels"],
                       verified=bool(raw.get("verified", False)))


def load_status_rules(path: Path | str | None = None) -> StatusRules:
    """Load ``params/status.yaml`` (validated once, cached by path).

    Parameters
    ----------
    path : Path, optional
        Another rules file.

    Returns
    -------
    StatusRules
    """
    return load(path or "status", parse_status_rules)


@dataclass(frozen=True)
class Coverage:
    """What an area's numbers rest on in one round (totals from the round's village frame).

    Attributes
    ----------
    villages_surveyed, villages_total : int
        Sampled villages of the area, and all its villages in the frame.
    households_surveyed, households_total : int
        Households interviewed, and all households of the area in the frame.
    """

    villages_surveyed: int
    villages_total: int
    households_surveyed: int
    households_total: int

    def as_dict(self) -> dict[str, int]:
        """Return the four counts as a plain dict (the summary JSON's ``coverage``)."""
        return {k: int(v) for k, v in asdict(self).items()}


def estimate_basis(level: str, villages_surveyed: int, model_available: bool = False,
                   rules: StatusRules | None = None) -> EstimateBasis:
    """Return the estimate basis of an area.

    Parameters
    ----------
    level : {"village", "tambon", "amphoe", "province"}
        The area's level.
    villages_surveyed : int
        Sampled villages of the area in the round.
    model_available : bool
        Whether a small-area (model) estimate exists for the area.
    rules : StatusRules, optional
        Default ``params/status.yaml``.

    Returns
    -------
    EstimateBasis
        ``direct`` for a village with its own sample, or a larger area with at least
        ``min_sampled_villages`` sampled villages; ``model`` when a model estimate replaces a
        thinner direct one; ``direct`` again when no model exists but some village was sampled
        (the grade is then ``not_graded``); ``none`` when nothing was sampled and no model exists.

    Examples
    --------
    >>> estimate_basis("tambon", 1, model_available=True).value
    'model'
    >>> estimate_basis("tambon", 0).value
    'none'
    """
    r = rules or load_status_rules()
    if villages_surveyed <= 0:
        return EstimateBasis.MODEL if model_available else EstimateBasis.NONE
    if level in r.graded_from_own_sample or villages_surveyed >= r.min_sampled_villages:
        return EstimateBasis.DIRECT
    return EstimateBasis.MODEL if model_available else EstimateBasis.DIRECT


def grade_status(level: str, basis: EstimateBasis | str, villages_surveyed: int,
                 near_threshold: bool = False, rules: StatusRules | None = None) -> GradeStatus:
    """Return the grade status of an area.

    Parameters
    ----------
    level : str
        The area's level.
    basis : EstimateBasis
        From :func:`estimate_basis`.
    villages_surveyed : int
        Sampled villages of the area.
    near_threshold : bool
        Whether an interval of a sampled indicator that decides the grade straddles its
        threshold (indicators from village forms never make this).
    rules : StatusRules, optional
        Default ``params/status.yaml``.

    Returns
    -------
    GradeStatus

    Examples
    --------
    >>> grade_status("tambon", "direct", 1).value
    'not_graded'
    >>> grade_status("village", "direct", 1, near_threshold=True).value
    'near_threshold'
    """
    r = rules or load_status_rules()
    b = EstimateBasis(basis)
    if b is EstimateBasis.NONE:
        return GradeStatus.NOT_SURVEYED
    if b is EstimateBasis.MODEL:
        return GradeStatus.PROVISIONAL
    if level not in r.graded_from_own_sample and villages_surveyed < r.min_sampled_villages:
        return GradeStatus.NOT_GRADED
    return GradeStatus.NEAR_THRESHOLD if near_threshold else GradeStatus.FINAL


@dataclass(frozen=True)
class AreaStatus:
    """An area's basis, grade status and coverage in one round."""

    area_code: str
    level: str
    basis: EstimateBasis
    grade_status: GradeStatus
    coverage: Coverage
    grade: str | None = None

    @property
    def graded(self) -> bool:
        """Whether a grade is published."""
        return self.grade is not None and self.grade_status.has_grade


#: Keys every summary JSON carries (``docs/ARCHITECTURE.md``); others may be added.
SUMMARY_KEYS = ("area_code", "level", "name_th", "name_en", "round", "synthetic",
                "estimate_basis", "grade", "grade_status", "coverage", "households_estimated")

#: Keys of one ``change`` entry.
CHANGE_KEYS = ("measure", "round_from", "round_to", "estimate", "se", "ci_low", "ci_high")


def summary_record(status: AreaStatus, *, name_th: str, name_en: str, survey_round: int,
                   synthetic: bool, households_estimated: float | None,
                   change: Sequence[Mapping[str, Any]] | None = None,
                   **extra: Any) -> dict[str, Any]:
    """Return the summary JSON record of an area, with the keys of the status model.

    Values must already be the *published* ones (rounded and suppressed as printed); this
    function only fixes the names and checks the shape.

    Parameters
    ----------
    status : AreaStatus
        The area's status.
    name_th, name_en : str
        Area names.
    survey_round : int
        Buddhist-era year.
    synthetic : bool
        Whether the data are synthetic.
    households_estimated : float or None
        Weighted household count as published (None when suppressed).
    change : list of dict, optional
        Change since an earlier round, each with :data:`CHANGE_KEYS` (later minus earlier).
    **extra
        Further published keys (they must not reuse the model's names).

    Returns
    -------
    dict

    Raises
    ------
    ValueError
        If a change entry lacks a key or ``extra`` reuses a key of the model.
    """
    clash = set(extra) & (set(SUMMARY_KEYS) | {"change"})
    if clash:
        raise ValueError(f"extra summary keys reuse names of the status model: {sorted(clash)}")
    out: dict[str, Any] = {
        "area_code": status.area_code,
        "level": status.level,
        "name_th": name_th,
        "name_en": name_en,
        "round": int(survey_round),
        "synthetic": bool(synthetic),
        "estimate_basis": status.basis.value,
        "grade": status.grade if status.graded else None,
        "grade_status": status.grade_status.value,
        "coverage": status.coverage.as_dict(),
        "households_estimated": households_estimated,
    }
    if change:
        rows = []
        for c in change:
            missing = [k for k in CHANGE_KEYS if k not in c]
            if missing:
                raise ValueError(f"change entry {dict(c)} lacks {missing}")
            rows.append({k: c[k] for k in CHANGE_KEYS})
        out["change"] = rows
    out.update(extra)
    return out


# ------------------------------------------------------------------------------------------------
# every area of a round: coverage, basis and grade status

#: Columns of the areas table (:func:`coverage_table` then :func:`area_statuses`).
AREA_COLUMNS = ("area_code", "level", "villages_surveyed", "villages_total",
                "households_surveyed", "households_total", "households_estimated",
                "strata_surveyed", "strata_total", "households_in_surveyed_strata",
                "estimate_basis", "grade_status", "grade", "near_threshold")

#: The coverage columns (:func:`coverage_table`), the first of :data:`AREA_COLUMNS`.
COVERAGE_COLUMNS = AREA_COLUMNS[:10]

_CODE_LENGTH = {"village": 8, "tambon": 6, "amphoe": 4, "province": 2}


def coverage_table(households: pd.DataFrame, frame: pd.DataFrame | None = None,
                   village_forms: pd.DataFrame | None = None) -> pd.DataFrame:
    """Coverage of every village, tambon, amphoe and province of a round.

    Parameters
    ----------
    households : pandas.DataFrame
        The households that enter estimates (with a weight): ``village_code``, ``weight`` and,
        in a round with a frame, ``village_prob``.
    frame : pandas.DataFrame, optional
        The round's village frame (``village_code``, ``households``): it lists every village of
        the province, so its villages and households are the totals. Without a frame the round
        is a census of the villages in the export: the totals are the villages of the village
        forms (and of the households) and the village forms' household counts.
    village_forms : pandas.DataFrame, optional
        The village-form rows (``village_code``, ``vil_households``), used without a frame.

    Returns
    -------
    pandas.DataFrame
        One row per area (villages, tambons, amphoe, provinces), index reset:
        ``area_code, level, villages_surveyed`` (villages with at least one household in the
        estimates), ``villages_total, households_surveyed, households_total`` and
        ``households_estimated``: the weighted households (the design's estimate of the area's
        households; for a village, conditional on its selection, ``sum(weight x village_prob)``,
        which is its frame count when it was surveyed), ``strata_surveyed`` and
        ``strata_total``: the village-selection strata the area's villages belong to (the
        frame's ``stratum``, blank = the amphoe; without a frame the amphoe), and how many of
        them have a surveyed village of the area: an area whose estimates leave out some of its
        strata describes only part of itself; ``households_in_surveyed_strata``: the
        households of the area's villages in those strata (all of them when every stratum has
        a surveyed village; 0 with none), the count its households' weights are calibrated to
        (:attr:`abcresearch.reports.context.AreaContext.households`). Unrounded.
    """
    hh = households[households["weight"].notna()] if "weight" in households else households
    code = hh["village_code"].astype(str)
    w = pd.to_numeric(hh["weight"], errors="coerce").astype("float64")
    p = (pd.to_numeric(hh["village_prob"], errors="coerce").fillna(1.0).astype("float64")
         if "village_prob" in hh.columns else pd.Series(1.0, index=hh.index))
    per = pd.DataFrame({"m": 1, "w": w.to_numpy(), "wp": (w * p).to_numpy()},
                       index=pd.Index(code.to_numpy(), name="village_code")
                       ).groupby(level=0).sum()
    if frame is not None and not frame.empty:
        f = frame.drop_duplicates("village_code", keep="last")
        total = pd.Series(pd.to_numeric(f["households"], errors="coerce").to_numpy(
            dtype="float64"), index=f["village_code"].astype(str).to_numpy())
        # households in a village the frame does not list carry no weight and are not here
        extra = per.index.difference(total.index)
        total = pd.concat([total, per.loc[extra, "m"].astype("float64")])
    else:
        forms = pd.Series(dtype="float64")
        if village_forms is not None and not village_forms.empty:
            vf = village_forms.drop_duplicates("village_code", keep="last")
            forms = pd.Series(pd.to_numeric(vf["vil_households"], errors="coerce").to_numpy(
                dtype="float64"), index=vf["village_code"].astype(str).to_numpy())
        codes = forms.index.union(per.index)
        total = forms.reindex(codes)
        total = total.fillna(per["m"].reindex(codes).astype("float64"))
    vil = pd.DataFrame(index=pd.Index(total.index.astype(str), name="area_code"))
    stratum = pd.Series(vil.index.str.slice(0, 4), index=vil.index)
    if frame is not None and not frame.empty and "stratum" in frame.columns:
        given = pd.Series(f["stratum"].astype("string").to_numpy(),
                          index=f["village_code"].astype(str).to_numpy())
        given = given.reindex(vil.index)
        stratum = given.where(given.notna() & (given.str.strip() != ""), stratum).astype(str)
    vil["villages_surveyed"] = (per["m"].reindex(vil.index).fillna(0) > 0).astype("int64")
    vil["villages_total"] = 1
    vil["households_surveyed"] = per["m"].reindex(vil.index).fillna(0).astype("int64")
    vil["households_total"] = total.fillna(0).round().astype("int64").to_numpy()
    vil["households_estimated"] = per["w"].reindex(vil.index).fillna(0.0)
    wp = per["wp"].reindex(vil.index).fillna(0.0)
    parts = [vil.assign(level="village", households_estimated=wp, strata_surveyed=vil[
        "villages_surveyed"], strata_total=1, households_in_surveyed_strata=vil[
        "households_total"].where(vil["villages_surveyed"] > 0, 0))]
    for level in ("tambon", "amphoe", "province"):
        key = vil.index.str.slice(0, _CODE_LENGTH[level])
        agg = vil.groupby(key).sum()
        agg.index.name = "area_code"
        st = pd.DataFrame({"area": key, "stratum": stratum.to_numpy(),
                           "surveyed": vil["villages_surveyed"].to_numpy(),
                           "households": vil["households_total"].to_numpy()})
        cells = st.groupby(["area", "stratum"]).agg(surveyed=("surveyed", "max"),
                                                    households=("households", "sum"))
        by_area = cells.groupby(level=0)
        agg["strata_surveyed"] = by_area["surveyed"].sum().reindex(agg.index).astype("int64")
        agg["strata_total"] = by_area.size().reindex(agg.index).astype("int64")
        covered = cells["households"].where(cells["surveyed"] > 0, 0).groupby(level=0).sum()
        agg["households_in_surveyed_strata"] = covered.reindex(agg.index).astype("int64")
        parts.append(agg.assign(level=level))
    out = pd.concat(parts).reset_index()
    return out[list(COVERAGE_COLUMNS)]


def area_statuses(coverage: pd.DataFrame, *, model_areas: Collection[str] | None = None,
                  near_threshold: Mapping[str, bool] | None = None,
                  grades: Mapping[str, Any] | None = None,
                  model_grades: Mapping[str, Any] | None = None,
                  rules: StatusRules | None = None) -> pd.DataFrame:
    """Add every area's estimate basis, grade status and published grade to its coverage.

    Parameters
    ----------
    coverage : pandas.DataFrame
        From :func:`coverage_table`.
    model_areas : collection of str, optional
        Codes of the areas that have a small-area (model) estimate (``code in model_areas``);
        the small-area integration passes them. None: no model estimates.
    near_threshold : mapping, optional
        Area code -> whether an interval of a sampled indicator deciding its grade straddles
        its threshold (the grade tables' ``near_threshold`` column).
    grades : mapping, optional
        Area code -> direct grade (A/B/C) from the grade tables (published where the basis is
        ``direct`` and the status has a grade).
    model_grades : mapping, optional
        Area code -> grade from model-based estimates (published, as ``provisional``, where
        the basis is ``model``); the small-area integration passes them.
    rules : StatusRules, optional
        Default ``params/status.yaml``.

    Returns
    -------
    pandas.DataFrame
        ``coverage`` with ``estimate_basis``, ``grade_status`` (strings of
        :class:`EstimateBasis` and :class:`GradeStatus`), ``grade`` (published: None where the
        level is not graded, the grade is withheld or the area is not surveyed; a model-based
        grade is not known here and stays None) and ``near_threshold``.
    """
    r = rules or load_status_rules()
    models = model_areas if model_areas is not None else ()
    near = near_threshold or {}
    direct, model = grades or {}, model_grades or {}
    basis, status, grade, close = [], [], [], []
    for code, level, n in zip(coverage["area_code"], coverage["level"],
                              coverage["villages_surveyed"], strict=True):
        b = estimate_basis(level, int(n), code in models, r)
        nt = bool(near.get(code, False))
        s = grade_status(level, b, int(n), nt, r)
        g = (model if b is EstimateBasis.MODEL else direct).get(code)
        published = (s.has_grade and level in r.graded_levels and isinstance(g, str)
                     and g != "")
        basis.append(b.value)
        status.append(s.value)
        grade.append(g if published else None)
        close.append(nt and s is GradeStatus.NEAR_THRESHOLD)
    out = coverage.copy()
    out["estimate_basis"] = basis
    out["grade_status"] = status
    out["grade"] = pd.array(grade, dtype=object)
    out["near_threshold"] = np.array(close, dtype=bool)
    return out


def area_status(areas: pd.DataFrame, area_code: str) -> AreaStatus:
    """Return one area's :class:`AreaStatus` from the areas table of :func:`area_statuses`.

    An area the table does not list (outside the round's frame) is ``not_surveyed`` with
    empty coverage.
    """
    code = str(area_code)
    rows = areas[areas["area_code"] == code]
    level = next((k for k, v in _CODE_LENGTH.items() if v == len(code)), "village")
    if rows.empty:
        return AreaStatus(code, level, EstimateBasis.NONE, GradeStatus.NOT_SURVEYED,
                          Coverage(0, 0, 0, 0))
    r = rows.iloc[0]
    g = r.get("grade")
    return AreaStatus(
        area_code=code, level=str(r["level"]), basis=EstimateBasis(r["estimate_basis"]),
        grade_status=GradeStatus(r["grade_status"]),
        coverage=Coverage(int(r["villages_surveyed"]), int(r["villages_total"]),
                          int(r["households_surveyed"]), int(r["households_total"])),
        grade=g if isinstance(g, str) else None)
