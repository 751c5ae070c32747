"""What a report rests on: its parameters, data and design, loaded once and checked.

:class:`AreaContext` holds one area's households, design, village forms and grade rows for one
round, and the cached estimates several sections share (Alkire-Foster, income poverty). Report
classes (:class:`~abcresearch.reports.area.AreaReport`, ...) subclass a context and add one thin
method per section; section functions (:mod:`abcresearch.reports.sections`) take the context.
:class:`ReportBase` is the part every report shares: the language, the words, and
``results``, the latest result of each section called.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Self, TypeVar, cast

import numpy as np
import pandas as pd

from abcresearch.analysis.change import ChangeAnalysis, change_analysis, earlier_round
from abcresearch.analysis.round import (
    DesignSpec,
    RoundAnalysis,
    area_design,
    design_spec,
    round_analysis,
)
from abcresearch.analysis.status import (
    AreaStatus,
    GradeStatus,
    estimate_basis,
    grade_status,
    load_status_rules,
)
from abcresearch.errors import AreaError, InputError, StoreError
from abcresearch.labels import village_name
from abcresearch.paths import project_path
from abcresearch.reports import estimates
from abcresearch.reports.disclosure import marker, report_categories, share_mask
from abcresearch.reports.formatting import Words
from abcresearch.reports.results import SectionResult, Table
from abcresearch.scoring import load_scheme
from abcresearch.scoring.grades import GradeRules, load_grade_rules
from abcresearch.scoring.scheme import Scheme
from abcresearch.store import read as data_mod
from abcresearch.survey.areas import Area, amphoes, get_area, tambons

__all__ = ["CHILD_COLUMN", "AreaContext", "MethodsContext", "ProvinceContext", "ReportBase",
           "design_spec_alone", "partitions_fingerprint"]

R = TypeVar("R", bound=SectionResult)
T = TypeVar("T")

#: Column of the areas one level down (what the "villages" section lists), by area level.
CHILD_COLUMN = {"province": "amphoe_code", "amphoe": "tambon_code", "tambon": "village_code",
                "village": "village_code"}


def design_spec_alone(spec: DesignSpec, households: pd.DataFrame, level: str,
                      villages_surveyed: int) -> DesignSpec:
    """Return the design declaration for a design built on an area's own households alone.

    The round's ``spec``, or its census form where the area is reported from its own sample:
    a village, or an area on fewer sampled villages than ``params/status.yaml`` asks, in a
    round that samples villages by a stratum column its ``households`` carry
    (:attr:`AreaContext.own_sample`; an amphoe's welfare section checks each of its tambons
    as the tambon's report does).

    Parameters
    ----------
    spec : DesignSpec
        The round's design declaration.
    households : pandas.DataFrame
        The area's households.
    level : str
        The area's level.
    villages_surveyed : int
        Its villages surveyed in the round.
    """
    own = (spec.name != "census" and bool(spec.strata) and spec.strata in households
           and (level == "village"
                or villages_surveyed < load_status_rules().min_sampled_villages))
    return spec.named("census", spec.choice) if own else spec


def calibrated_total(analysis: RoundAnalysis, code: str, households: pd.DataFrame
                     ) -> float | None:
    """Return the households an area's weighted counts add up to, or None: the weights'.

    In a round that samples villages (some ``village_prob`` below 1) with a frame, an area's
    counts are the frame's households of the area in the strata it has a surveyed village in
    (the areas table's ``households_in_surveyed_strata``) times the design's shares (see
    :attr:`AreaContext.calibrated`); in a census round, or without a frame, the design's
    weights are the counts. One rule for an area's report and the province overview.
    """
    if not analysis.has_frame or households.empty or "village_prob" not in households.columns:
        return None
    if not bool((pd.to_numeric(households["village_prob"], errors="coerce") < 1).any()):
        return None
    col = "households_in_surveyed_strata"
    if col not in analysis.areas.columns:
        return None
    known = analysis.areas.set_index("area_code")[col].astype("float64").get(str(code))
    return float(known) if known is not None and known > 0 else None


def calibration_factor(analysis: RoundAnalysis, code: str, households: pd.DataFrame) -> float:
    """Return ``N / sum(w)`` for an area's weighted counts (:func:`calibrated_total`), else 1."""
    known = calibrated_total(analysis, code, households)
    total = float(households["weight"].astype(float).sum()) if known is not None else 0.0
    return known / total if known is not None and total > 0 else 1.0


def partitions_fingerprint(manifest: Mapping[str, Any], tambons: Collection[str]) -> str:
    """Return the short hash of the store partitions of ``tambons`` (every table's).

    The data's fingerprint on a report's provenance line: it changes with the area's data
    only, not with the code or the rules (which have lines of their own).

    Parameters
    ----------
    manifest : mapping
        The round's store manifest (its ``fingerprints``: table -> tambon -> digest).
    tambons : collection of str
        The tambons whose partitions hold the area's data.

    Returns
    -------
    str
        Twelve hex digits, or "–" when the manifest has none of them.
    """
    fp = manifest.get("fingerprints", {})
    wanted = set(tambons)
    parts = sorted(f"{table}/{tambon}={digest}" for table, per in fp.items()
                   if isinstance(per, dict)
                   for tambon, digest in per.items() if tambon in wanted)
    return hashlib.sha256("".join(parts).encode()).hexdigest()[:12] if parts else "–"


@dataclass
class ReportBase:
    """Language, words and the results of the sections called so far.

    Subclasses are dataclasses that set ``lang`` and ``design_spec``.
    """

    lang: str
    design_spec: DesignSpec = field(repr=False)
    results: dict[str, SectionResult] = field(default_factory=dict, repr=False, init=False)

    @cached_property
    def words(self) -> Words:
        """The report's words (labels in its language, with the design's threshold and level)."""
        return Words(self.lang, self.design_spec.suppression_threshold, self.design_spec.level)

    def t(self, key: str, **fields: Any) -> str:
        """Return a label in the report's language (``params/labels.yaml``).

        Labels may also use ``{threshold}`` (smallest publishable count) and ``{level}`` (the
        confidence level) from ``params/design.yaml``.
        """
        return self.words(key, **fields)

    @property
    def threshold(self) -> int:
        """Smallest publishable household count."""
        return self.design_spec.suppression_threshold

    @property
    def own_design_spec(self) -> DesignSpec:
        """The design declaration for a design built on the report's own households alone."""
        return self.design_spec

    @property
    def marker(self) -> str:
        """Text shown in place of a small cell (``<5`` under the default threshold)."""
        return marker(self.threshold)

    def cached(self, key: Any, make: Callable[[], T]) -> T:
        """Return ``make()``, computed once per report under ``key``.

        Estimates several sections show (the level-1 share, the capital means, the item
        shares) are made once per report and kept on the report object, never at module
        level: a warm batch kernel clears the module caches between reports, and each report
        is a new object.
        """
        memo = self._memo
        if key not in memo:
            memo[key] = make()
        return cast(T, memo[key])

    @cached_property
    def _memo(self) -> dict[Any, Any]:
        return {}

    def _keep(self, result: R) -> R:
        """Remember ``result`` as the latest of its section (``self.results``) and return it."""
        self.results[result.name] = result
        return result


@dataclass
class AreaContext(ReportBase):
    """One area's data for one round: households, design, village forms, grades.

    Build it with :meth:`load`. Attributes are the inputs; the analysis is cached per round.
    """

    area: Area = field(kw_only=True)
    survey_round: int = field(kw_only=True)
    analysis: RoundAnalysis = field(repr=False, kw_only=True)
    store: Path | None = field(default=None, kw_only=True)

    # ------------------------------------------------------------------ construction
    @classmethod
    def load(cls, area_code: str, survey_round: int, store: str | Path | None = None,
             lang: str = "th", scheme: str | None = None, *, design: str | None = None,
             model_areas: Collection[str] | None = None,
             model_grades: Mapping[str, str] | None = None) -> Self:
        """Check the parameters and load the round's analysis.

        Parameters
        ----------
        area_code : str
            Village (8 digits), tambon (6), amphoe (4) or province (2) code.
        survey_round : int
            Buddhist-era year of the round.
        store : path, optional
            The analysis store (default ``data/store``).
        lang : {"th", "en"}
            Report language.
        scheme : str, optional
            Scoring scheme (default ``params/scoring.yaml``).
        design : {"auto", "census", "two_stage"}, optional
            The survey design (default ``params/design.yaml``: ``auto``, the two-stage design
            when the round's frame samples villages, else the census of villages).
        model_areas, model_grades : optional
            Areas with small-area estimates and their model grades (see
            :func:`~abcresearch.analysis.round.round_analysis`).

        Raises
        ------
        AreaError
            Unknown area code.
        StoreError
            Round never ingested, or no households of the area in it.
        DesignError
            An unknown design, or ``two_stage`` for a round without a frame.
        """
        Words(lang)  # validates lang
        store_path = project_path(store)
        area = data_mod.named_area(str(area_code), int(survey_round), store_path)
        analysis = round_analysis(int(survey_round), store_path, scheme, design=design,
                                  model_areas=model_areas, model_grades=model_grades)
        report = cls(lang=lang, design_spec=analysis.design, area=area,
                     survey_round=int(survey_round), analysis=analysis, store=store_path)
        if report.households.empty:
            raise StoreError(f"area {area.code} ({area.name_en}) has no households in round "
                             f"{survey_round}")
        return report

    # ------------------------------------------------------------------ data
    @property
    def level(self) -> str:
        """Area level: province, amphoe, tambon or village."""
        return self.area.level

    # ------------------------------------------------------------------ status model
    @cached_property
    def status(self) -> AreaStatus:
        """The area's coverage, estimate basis, grade status and published grade.

        A tambon resting on fewer sampled villages than ``params/status.yaml`` asks is
        ``not_graded`` by its own sample; where the round's small-area model
        (:func:`abcresearch.analysis.smallarea.round_small_area`) estimates it, its basis is
        ``model`` and its grade status ``provisional`` instead (``docs/ARCHITECTURE.md``).
        """
        st = self.analysis.status(self.area.code)
        if self.level != "tambon" or st.grade_status is not GradeStatus.NOT_GRADED:
            return st
        from abcresearch.analysis.smallarea import SmallAreaUnavailable, round_small_area

        try:
            rows = round_small_area(self.survey_round, self.store,
                                    scheme=self.analysis.scheme).area(self.area.code)
        except SmallAreaUnavailable:
            return st
        if rows.empty:
            return st
        rules = load_status_rules()
        n_vil = st.coverage.villages_surveyed
        basis = estimate_basis("tambon", n_vil, model_available=True, rules=rules)
        return replace(st, basis=basis,
                       grade_status=grade_status("tambon", basis, n_vil, rules=rules))

    def alone_in(self, level: str) -> bool:
        """Whether every household the round holds in the area's ``level`` is the area's own.

        A store holding one tambon of an amphoe (a researcher's test, a first ingest): its
        amphoe's and province's figures are the tambon's own, and comparing the tambon with
        them says nothing. False for the area's own level and above the province.
        """
        code = {"province": self.area.code[:2], "amphoe": self.area.code[:4]}.get(level)
        if code is None or code == self.area.code:
            return False
        surveyed = self.analysis.areas.set_index("area_code")["households_surveyed"]
        own, whole = surveyed.get(self.area.code), surveyed.get(code)
        return bool(own is not None and whole is not None and 0 < own == whole)

    @property
    def areas(self) -> pd.DataFrame:
        """The areas table rows of this area and the areas within (coverage and status)."""
        a = self.analysis.areas
        return a[a["area_code"].str.startswith(self.area.code)].reset_index(drop=True)

    @cached_property
    def area_row(self) -> pd.Series:
        """Return the area's row of the areas table (coverage, strata, basis, status)."""
        a = self.analysis.areas
        rows = a[a["area_code"] == self.area.code]
        return rows.iloc[0] if not rows.empty else pd.Series(dtype=object)

    @property
    def estimate_warnings(self) -> list[str]:
        """Warnings every table of the area carries (empty for a well-covered area).

        A tambon or amphoe resting on fewer sampled villages than ``params/status.yaml`` asks
        (``not_graded``): its standard errors leave out the variation between villages; an
        area some of whose village-selection strata have no surveyed village: its estimates
        describe only the strata surveyed.
        """
        out = []
        st = self.status
        if st.grade_status in (GradeStatus.NOT_GRADED, GradeStatus.PROVISIONAL) and \
                st.coverage.villages_surveyed < load_status_rules().min_sampled_villages:
            out.append(self.t("rollout.warning.few_villages", area=self.area_name(),
                              villages=st.coverage.villages_surveyed,
                              total=st.coverage.villages_total,
                              min_villages=load_status_rules().min_sampled_villages))
        row = self.area_row
        if not row.empty and 0 < int(row.get("strata_surveyed", 0)) < int(
                row.get("strata_total", 0)):
            out.append(self.t("rollout.warning.partial_strata",
                              surveyed=int(row["strata_surveyed"]),
                              total=int(row["strata_total"])))
        return out

    def _keep(self, result: R) -> R:
        """Remember ``result`` (``self.results``) with the area's warnings beside its tables.

        Every published table of an area whose estimates are flagged by the status model
        (:attr:`estimate_warnings`) carries the warning in its notes, whichever section made it.
        """
        warn = self.estimate_warnings
        if warn and result.tables:
            extra = " ".join(warn)

            def joined(notes: str) -> str:  # a sentence before the warning ends with a stop
                stop = "" if self.lang == "th" or notes.rstrip().endswith(".") else "."
                return f"{notes.rstrip()}{stop} {extra}"

            parts = tuple(replace(p, notes=joined(p.notes) if p.notes else extra)
                          if isinstance(p, Table) else p for p in result.parts)
            result = replace(result, parts=parts)
        return super()._keep(result)

    # ------------------------------------------------------------------ change
    def compare_round(self, compare_round: int | None = None) -> int | None:
        """Return the earlier round of the change section.

        ``compare_round`` checked, or the latest earlier round of the store in which the area has
        households (None: there is none).
        """
        return earlier_round(self.survey_round, self.area.code, self.store, compare_round)

    def change_analysis(self, compare_round: int | None = None) -> ChangeAnalysis | None:
        """Change between an earlier round and this one for every area (cached in the store).

        Parameters
        ----------
        compare_round : int, optional
            The earlier round (default :meth:`compare_round`).

        Returns
        -------
        ChangeAnalysis or None
            None when no earlier round holds the area.
        """
        r = self.compare_round(compare_round)
        if r is None:
            return None
        if r not in self._change_cache:
            earlier = round_analysis(r, self.store, self.analysis.scheme,
                                     design=self.analysis.design.choice)
            self._change_cache[r] = change_analysis(self.analysis, earlier)
        return self._change_cache[r]

    @cached_property
    def _change_cache(self) -> dict[int, ChangeAnalysis]:
        return {}

    @cached_property
    def households(self) -> pd.DataFrame:
        """Scored households of the area.

        A village's households weigh within the village only
        (:func:`~abcresearch.reports.estimates.within_village_weights`): its report describes
        the village itself, conditional on its selection, as its design and grade do.
        """
        hh = self.analysis.area_households(self.area.code).reset_index(drop=True)
        if self.level == "village" and "village_prob" in hh.columns:
            # given its selection, the village was surveyed for sure
            hh = hh.assign(weight=estimates.within_village_weights(hh), village_prob=1.0)
        return hh

    @cached_property
    def calibrated(self) -> bool:
        """Whether the area's counts are calibrated to its frame's households.

        In a round that samples villages, with a frame: a sampled household's weight also
        stands for the unsurveyed villages of its stratum, and the weights of an area's
        households add up to the design's estimate of its households, which differs from
        the frame's count (by chance: which villages were drawn). Its counts
        (:meth:`weighted_counts`, the summary's households) are then the frame's households of
        the area times the design's shares (the ratio estimator): ``N / sum(w)`` times the
        weighted counts (:attr:`count_factor`), ``N`` the frame's households of its villages in
        the strata it has a surveyed village in; each row of an area within, its own
        (:func:`~abcresearch.reports.estimates.calibrated_weights`). :attr:`households` and
        :attr:`design` keep the design's weights: shares, means and their standard errors are
        the design's, and ``design.total`` is the design's (Horvitz-Thompson) total with its
        standard error, as R's survey package gives them. A village report weighs within the
        village (its frame count already); a census round is its frame.
        """
        return self.level != "village" and calibrated_total(
            self.analysis, self.area.code, self.households) is not None

    @cached_property
    def count_factor(self) -> float:
        """Return the factor of the area's weighted counts: ``N / sum(w)`` if calibrated, else 1."""
        if not self.calibrated:
            return 1.0
        return calibration_factor(self.analysis, self.area.code, self.households)

    def known_households(self, codes: Sequence[str]) -> pd.Series:
        """Return the frame's households of areas in the strata they have a surveyed village in.

        From the areas table (``households_in_surveyed_strata``), by area code; what
        calibrated counts add up to (:attr:`calibrated`).
        """
        a = self.analysis.areas
        col = "households_in_surveyed_strata"
        if col not in a.columns:
            return pd.Series(np.nan, index=pd.Index([str(c) for c in codes]), dtype="float64")
        known = a.set_index("area_code")[col].astype("float64")
        return known.reindex([str(c) for c in codes])

    @cached_property
    def design(self) -> Any:
        """The survey design of the area's households (a :class:`~abcresearch.stats.SurveyDesign`).

        Under the census design (villages are strata) it is built on the area's households.
        Under the two-stage design the area is a domain of the design over every household of
        its strata (``subset``, as R's ``subset(design, ...)``), so that its standard errors
        see the stratum's other sampled villages and its fpc. The design's data are then the
        area's households (:attr:`households`, first and in order) followed by the other
        households of its strata. A village is reported from its own sample, conditional on
        its selection (as it is graded): its households within the village, the census
        design's stratum, with the village's households as fpc. So is an area resting on
        fewer sampled villages than ``params/status.yaml`` asks (``not_graded``): with one
        village the domain would have no degrees of freedom and no between-village variance;
        conditional on its villages its standard errors are the within-village ones, which
        its warning says are too small.
        """
        spec = self.design_spec
        hh = self.households
        if self.own_sample or spec.name == "census" or not spec.strata or spec.strata not in hh:
            return area_design(hh, self.own_design_spec)
        rest = self.stratum_households
        rest = rest[~rest["village_code"].astype(str).str.startswith(self.area.code)]
        full = pd.concat([hh, rest], ignore_index=True)
        inside = np.arange(len(full)) < len(hh)
        return area_design(full, spec).subset(inside)

    @cached_property
    def own_sample(self) -> bool:
        """Whether the area is reported from its own sample, given its villages' selection.

        So is a village, or an area on fewer sampled villages than ``params/status.yaml`` asks,
        in a round that samples villages (see :attr:`design`). A design built on the area's
        households with other columns (:attr:`own_design_spec`) must do the same.
        """
        spec = self.design_spec
        if spec.name == "census" or not spec.strata or spec.strata not in self.households:
            return False  # (before the status: nothing to ask of it)
        return design_spec_alone(spec, self.households, self.level,
                                 self.status.coverage.villages_surveyed).name == "census"

    @property
    def own_design_spec(self) -> DesignSpec:
        """The design declaration for a design built on the area's own households alone."""
        spec = self.design_spec
        return spec.named("census", spec.choice) if self.own_sample else spec

    @cached_property
    def stratum_households(self) -> pd.DataFrame:
        """Scored households of every village-selection stratum the area has households in."""
        col = self.design_spec.strata
        hh = self.households
        if not col or col not in hh:
            return hh
        strata = set(hh[col].dropna().astype(str))
        amph = sorted(set(hh["amphoe_code"].astype(str)))
        if strata <= set(amph):  # strata are amphoe (the frame's default): read only those
            full = pd.concat([self.analysis.area_households(a) for a in amph],
                             ignore_index=True)
        else:
            full = self.analysis.households
        return full[full[col].astype(str).isin(strata)].reset_index(drop=True)

    @property
    def capitals(self) -> tuple[str, ...]:
        """Capital ids of the scheme."""
        return self.analysis.scheme.capital_ids

    def capital_label(self, cap: str) -> str:
        """Return a capital's label in the report's language."""
        return self.analysis.scheme.capital(cap).label(self.lang)

    def area_name(self, area: Area | None = None) -> str:
        """Return an area's name with its level, in the report's language."""
        return (area or self.area).label(self.lang)

    @cached_property
    def village_forms(self) -> pd.DataFrame:
        """The village-form rows of the area (none where its households came without one).

        A village whose form was not sent, or was rejected, still has its households: its
        report is made from them, with the village-form figures (and so its readiness group)
        missing, instead of failing ("area 80150102 has no villages", a user's walk-through).
        """
        try:
            return data_mod.load(self.survey_round, area=self.area.code, store=self.store,
                                 table="villages")
        except StoreError:
            if not len(self.households):
                raise
            # the round's whole table gives the columns, and is the check that the forms are
            # readable: a damaged villages file raises here, as it did above, and the report
            # fails instead of reading as a village without its form
            columns = data_mod.load(self.survey_round, store=self.store,
                                    table="villages").columns
            return pd.DataFrame(columns=columns)

    def village_names(self) -> list[str]:
        """Return the own names of the area's villages (each once, no blanks).

        Returns
        -------
        list of str
            E.g. ``["บ้านเขาหมาก", "บ้านไสจิก"]``: proper nouns the report prints beside the
            villages' numbers, which its PDF keeps whole across line breaks.
        """
        return sorted(set(self.own_village_names.values()))

    @cached_property
    def own_village_names(self) -> dict[str, str]:
        """The villages' own names by code (:func:`abcresearch.store.read.village_names`)."""
        return data_mod.village_names(self.survey_round, self.area.code, self.store,
                                      forms=self.village_forms)

    def child_name(self, code: str) -> str:
        """Name of an area within (a village with its own name: :attr:`own_village_names`)."""
        return self.cached(("child_name", code), lambda: self._child_name(code))

    def _child_name(self, code: str) -> str:
        try:
            name = self.area_name(get_area(code))
        except Exception:  # an unknown code is shown as is
            return code
        if len(code) != 8:
            return name
        # village names are Thai proper nouns with no official romanisation
        return village_name(self.t, name, self.own_village_names.get(code))

    @cached_property
    def grade_row(self) -> pd.Series | None:
        """Return the area's grade row (villages and tambons are graded; others are not)."""
        if self.level == "village":
            t = self.analysis.villages.set_index("village_code")
        elif self.level == "tambon":
            t = self.analysis.tambons.set_index("tambon_code")
        else:
            return None
        return t.loc[self.area.code] if self.area.code in t.index else None

    @cached_property
    def children(self) -> pd.DataFrame:
        """Grade rows of the areas within (villages of a tambon, tambons of an amphoe)."""
        if self.level in ("tambon", "village"):
            t = self.analysis.villages
            t = t[t["village_code"].str.startswith(self.area.code)].copy()
            t["code"] = t["village_code"]
        else:
            t = self.analysis.tambons
            t = t[t["tambon_code"].str.startswith(self.area.code)].copy()
            t["code"] = t["tambon_code"]
        return t.sort_values("priority_rank").reset_index(drop=True)

    def fingerprint(self) -> str:
        """Short hash of the store partitions that hold this area's data."""
        return partitions_fingerprint(self.analysis.manifest, set(self.households["tambon_code"]))

    # ------------------------------------------------------------------ shared estimates
    @property
    def level1_estimate(self) -> pd.DataFrame:
        """Share of households at overall level 1 with its logit interval (unrounded).

        :func:`~abcresearch.stats.ciprop` of ``level1`` over the households with a level; one
        row. Made once per report (a copy each time).
        """
        return self.cached(("level1",), lambda: self.design.ciprop(
            "level1", na_rm=True, level=self.design_spec.level)).copy()

    def capital_means(self, capitals: Sequence[str] | None = None) -> pd.DataFrame:
        """Return the area's design-based mean score of each capital (unrounded).

        See :func:`~abcresearch.reports.estimates.capital_means`; made once per report for all
        capitals (a copy of the rows asked for each time).

        Parameters
        ----------
        capitals : sequence of str, optional
            Capital ids (default all, in the scheme's order).
        """
        every = self.cached(("capital_means",), lambda: estimates.capital_means(
            self.design, self.capitals, self.design_spec.level))
        return every.loc[list(self.capitals if capitals is None else capitals)].copy()

    def weighted_counts(self, measure: str, by: str | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Weighted and unweighted households in each category of a count measure.

        :func:`~abcresearch.reports.estimates.weighted_counts` of the area's households by
        their categories (:func:`~abcresearch.reports.disclosure.report_categories`), made
        once per report and measure (copies each time).

        Parameters
        ----------
        measure : str
            Count measure id (``"overall_level"``, ``"level:<capital>"``, ``"income_bin"``).
        by : str, optional
            Area column: one row per area (default one row, ``"all"``).
        """
        totals = None
        if by and self.calibrated:  # each row's counts add up to its frame's households
            totals = self.known_households(self.households[by].dropna().astype(str).unique())

        def counts() -> tuple[pd.DataFrame, pd.DataFrame]:
            w, n = estimates.weighted_counts(self.households, report_categories(self)[measure],
                                             by, totals)
            return (w * self.count_factor if not by else w), n

        w, n = self.cached(("weighted_counts", measure, by), counts)
        return w.copy(), n.copy()

    def published_counts(self, measure: str = "overall_level", *, weighted: bool = True,
                         by_area: bool = True) -> pd.DataFrame:
        """Households in each category of a count measure, as the report would publish them.

        For a cell of your own: a table computed with pandas in the notebook does not go
        through the report's disclosure step, and a count of 1 to 4 households it shows may
        also give back a cell the report's tables hide. These counts do go through it (the
        round's suppression pattern, as every table of the report): rounded as the report
        rounds them, a hidden cell written as its marker.

        Parameters
        ----------
        measure : str
            A count measure the report publishes as counts (``"overall_level"``,
            ``"level:<capital>"``, ``"income_bin"``, and ``"poverty"``, households below and
            above the income line, where the line is an income-bin edge: the share below it
            publishes them; ``KeyError`` lists them). Measures
            published only as shares (``"poor"``, ``"cens:<capital>"``) are refused: their
            cells are not protected against being worked out from each other.
        weighted : bool
            Estimated households (the design's weights, as the report's tables) or, False,
            households surveyed.
        by_area : bool
            One row per area within (villages of a tambon, tambons of an amphoe), then the
            area itself; False: the area alone.

        Returns
        -------
        pandas.DataFrame
            Text cells (the marker where hidden); rows named by area, columns by category.

        Examples
        --------
        In a report notebook (``show_table`` typesets it in the PDF)::

            from abcresearch.reports.render.display import show_table
            show_table(report.published_counts("overall_level"), caption="...")
        """
        from abcresearch.reports.disclosure import Publisher

        pub = Publisher(self, "custom")
        cats_of = report_categories(self)
        # only the measures whose cells the reports publish (and so protect against being
        # worked out from each other and from the areas around): "poor" or "cens:*" are
        # published as shares only, and their cells get no secondary suppression
        usable = {m: v for m, v in pub.pattern.measures.items()
                  if getattr(v, "published", ()) != () and hasattr(v, "cells")
                  and getattr(v, "refines", None) is None and m in cats_of.columns}
        if measure not in usable:
            raise KeyError(f"{measure!r} is not a count measure the report publishes as "
                           f"counts; choose one of {sorted(usable)}")
        cats = [str(c) for c in usable[measure].cells]
        child = CHILD_COLUMN[self.level]
        rows: dict[str, dict[str, str]] = {}
        if by_area and self.level != "village":
            w, n = self.weighted_counts(measure, child)
            for code in sorted(w.index.astype(str)):
                rows[self.child_name(code)] = self._published_row(pub, measure, code, cats,
                                                                  w.loc[code], weighted)
        w, n = self.weighted_counts(measure)
        name = self.t("row.total") if rows else self.area_name()
        rows[name] = self._published_row(pub, measure, self.area.code, cats, w.iloc[0],
                                         weighted)
        table = pd.DataFrame.from_dict(rows, orient="index", columns=cats)
        if measure == "overall_level" or measure.startswith("level:"):  # the report's words
            table.columns = [self.t(f"col.level{c}") if c != estimates.NA
                             else self.t("col.level_missing") for c in cats]
        if len(rows) > 1:  # the areas within, then the area: named by the areas within
            table.index.name = self.t("col.tambon" if child == "tambon_code" else "col.amphoe"
                                      if child == "amphoe_code" else "col.village")
        else:  # the area alone: named by its own level (unnamed, a table printed "index")
            table.index.name = self.t(f"col.{self.level}")
        return table

    @staticmethod
    def _published_row(pub: Any, measure: str, code: str, cats: Sequence[str], w: pd.Series,
                       weighted: bool) -> dict[str, str]:
        if weighted:
            return {c: pub.weighted(measure, code, [c], float(w.get(c, 0.0))).text
                    for c in cats}
        return {c: pub.count(measure, code, c).text for c in cats}

    @cached_property
    def af_result(self) -> Any:
        """Alkire-Foster measures of the area over the capitals (unrounded).

        its per-household table has the rows of :attr:`households`.
        """
        af = estimates.alkire_foster_measures(self.design, self.analysis.scheme, self.capitals,
                                              self.design_spec.level)
        if af.household is not None and len(af.household) != len(self.households):
            # a domain of the two-stage design: the area's households come first
            af = replace(af, household=af.household.iloc[:len(self.households)])
        return af

    @cached_property
    def poverty_estimate(self) -> dict[str, Any] | None:
        """Return the income poverty headcount, unrounded and unsuppressed.

        See :func:`~abcresearch.reports.estimates.poverty_headcount`.
        """
        return estimates.poverty_headcount(self.design, self.households, self.survey_round,
                                           self.design_spec.level)

    @property
    def poverty(self) -> dict[str, Any] | None:
        """Income headcount below the BMN line of the round's year, as published.

        ``estimate, se, ci_low, ci_high`` are NaN where the report hides the share: the
        households below (or above) the line are too few to publish, or the round's
        suppression pattern hides it (where an income band would come back from it);
        ``line``, ``verified`` and ``warned`` as in :attr:`poverty_estimate`.
        """
        from abcresearch.reports.disclosure import pattern_for

        est = self.poverty_estimate
        if est is None:
            return None
        hidden = share_mask(np.array([est["n_below"]]), np.array([est["n_base"]]),
                            self.threshold)[0] or pattern_for(self).share_hidden(
            self.area.code, estimates.BELOW_LINE, estimates.WITH_INCOME)
        shown = {k: np.nan if hidden else est[k] for k in ("estimate", "se", "ci_low", "ci_high")}
        return {**shown, "line": est["line"], "verified": est["verified"], "warned": est["warned"]}

    @property
    def publishable(self) -> bool:
        """Whether the area has enough households for any figure to be published."""
        return len(self.households) >= self.threshold


@dataclass
class ProvinceContext(ReportBase):
    """The whole province for one round: tambon grades with names, the round's households."""

    province: Area = field(kw_only=True)
    survey_round: int = field(kw_only=True)
    analysis: RoundAnalysis = field(repr=False, kw_only=True)
    boundary_file: Path | None = field(default=None, kw_only=True)

    store: Path | None = field(default=None, kw_only=True)

    @classmethod
    def load(cls, province_code: str, survey_round: int, store: str | Path | None = None,
             lang: str = "th", boundary_file: str | Path | None = None,
             scheme: str | None = None, *, design: str | None = None,
             model_areas: Collection[str] | None = None,
             model_grades: Mapping[str, str] | None = None) -> Self:
        """Check the parameters and load the round's analysis.

        Parameters
        ----------
        province_code : str
            Two-digit province code.
        survey_round : int
            Buddhist-era year.
        store : path, optional
            The analysis store.
        lang : {"th", "en"}
            Report language.
        boundary_file : path, optional
            GeoJSON of tambon boundaries (a property holding the 6-digit tambon code) for a
            real map; without it the grade map is a tile map of tambon grouped by amphoe.
        scheme : str, optional
            Scoring scheme.
        design : {"auto", "census", "two_stage"}, optional
            The survey design (default ``params/design.yaml``).
        model_areas, model_grades : optional
            Areas with small-area estimates and their model grades.
        """
        area = get_area(str(province_code))
        if area.level != "province":
            raise AreaError(f"{province_code!r} is not a province code (2 digits)")
        boundary = project_path(boundary_file)
        if boundary is not None and not boundary.exists():
            raise InputError(f"boundary file {boundary} does not exist")
        store_path = project_path(store)
        analysis = round_analysis(int(survey_round), store_path, scheme, design=design,
                                  model_areas=model_areas, model_grades=model_grades)
        rep = cls(lang=lang, design_spec=analysis.design, province=area,
                  survey_round=int(survey_round), analysis=analysis, boundary_file=boundary,
                  store=store_path)
        Words(lang)  # validates lang
        return rep

    @cached_property
    def status(self) -> AreaStatus:
        """The province's coverage, estimate basis and grade status."""
        return self.analysis.status(self.province.code)

    @cached_property
    def area_context(self) -> AreaContext:
        """The province as an area of the round (its own estimates, as an area report has).

        It shares the round's analysis (the earlier round's analysis and the change table
        between the two are read from their caches, as an area report reads them).
        """
        return AreaContext(lang=self.lang, design_spec=self.design_spec, area=self.province,
                           survey_round=self.survey_round, analysis=self.analysis,
                           store=self.store)

    def fingerprint(self) -> str:
        """Short hash of the store partitions that hold the province's data."""
        # the province's 170 codes, not its 231,000 households' (0.13 s a province overview)
        codes = {str(c) for c in self.analysis.households["tambon_code"].unique()}
        return partitions_fingerprint(self.analysis.manifest,
                                      {c for c in codes if c.startswith(self.province.code)})

    @property
    def areas(self) -> pd.DataFrame:
        """The areas table of the province (every village, tambon, amphoe: coverage, status)."""
        a = self.analysis.areas
        return a[a["area_code"].str.startswith(self.province.code)].reset_index(drop=True)

    def change_analysis(self, compare_round: int | None = None) -> ChangeAnalysis | None:
        """Return the change between an earlier round and this one, for every area.

        The earlier round defaults to the latest earlier one with data in the province; None
        when there is none.
        """
        r = earlier_round(self.survey_round, self.province.code, self.store, compare_round)
        if r is None:
            return None
        earlier = round_analysis(r, self.store, self.analysis.scheme,
                                 design=self.analysis.design.choice)
        return change_analysis(self.analysis, earlier)

    def grade_label(self, grade: str) -> str:
        """Label of a grade from ``params/grades.yaml`` in the report's language."""
        from abcresearch.scoring.grades import load_grade_rules

        return str(load_grade_rules().grade_labels[grade][self.lang])

    def holds_one_amphoe(self) -> bool:
        """Whether the round's households in the province are all of one amphoe.

        A district team's store: the province's figures are that amphoe's, and the overview
        neither compares the amphoe with the province nor prints a province row equal to it.
        """
        return int(self._province_households["amphoe_code"].nunique()) == 1

    @property
    def households(self) -> pd.DataFrame:
        """Scored households of the province.

        Selected once per report (the overview's sections ask for them eight times); each call
        returns a shallow copy, which pandas' copy-on-write keeps separate from the others.
        """
        return self._province_households.copy(deep=False)

    @cached_property
    def _province_households(self) -> pd.DataFrame:
        hh = self.analysis.households
        mine = (hh["province_code"] == self.province.code).fillna(False)
        if bool(mine.all()):  # a store of one province: no copy of every column
            return hh.reset_index(drop=True)
        return hh[mine].reset_index(drop=True)

    @property
    def tambon_table(self) -> pd.DataFrame:
        """Tambon grades joined with official names, in priority order."""
        t = self.analysis.tambons.copy()
        t = t[t["tambon_code"].str.startswith(self.province.code)]
        names = tambons(self.province.code).set_index("code")
        amph = amphoes(self.province.code).set_index("code")
        t["amphoe_code"] = t["tambon_code"].str.slice(0, 4)
        t["tambon_name"] = t["tambon_code"].map(names[f"name_{self.lang}"])
        t["amphoe_name"] = t["amphoe_code"].map(amph[f"name_{self.lang}"])
        return t.sort_values("priority_rank").reset_index(drop=True)


@dataclass
class MethodsContext(ReportBase):
    """The rules in force: scoring scheme, grade rules and design."""

    scheme: Scheme = field(kw_only=True)
    grades: GradeRules = field(kw_only=True)

    @classmethod
    def load(cls, scheme: str | None = None, lang: str = "th") -> Self:
        """Load the scheme, grade rules and design (each validated)."""
        rep = cls(lang=lang, design_spec=design_spec(), scheme=load_scheme(scheme or None),
                  grades=load_grade_rules())
        Words(lang)  # validates lang
        return rep

    def capital_name(self, cap: str) -> str:
        """Return a capital's label, or its id when the scheme does not know it."""
        try:
            return self.scheme.capital(cap).label(self.lang)
        except Exception:
            return cap
