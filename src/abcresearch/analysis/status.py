"""One status model for every area's numbers and grade (``shared/report-status.md``).

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

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from abcresearch.params import Problems, load

__all__ = [
    "SUMMARY_KEYS",
    "AreaStatus",
    "Coverage",
    "EstimateBasis",
    "GradeStatus",
    "StatusRules",
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


#: Keys every summary JSON carries (``shared/report-status.md``); others may be added.
SUMMARY_KEYS = ("area_code", "level", "name_th", "name_en", "round", "synthetic",
                "estimate_basis", "grade", "grade_status", "coverage", "households_estimated")

#: Keys of one ``change`` entry.
CHANGE_KEYS = ("measure", "round_from", "round_to", "estimate", "se", "ci_low", "ci_high")


def summary_record(status: AreaStatus, *, name_th: str, name_en: str, survey_round: int,
                   synthetic: bool, households_estimated: float | None,
                   change: list[Mapping[str, Any]] | None = None,
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
