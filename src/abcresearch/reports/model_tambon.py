"""The report of a tambon no sampled village reached: its model-based estimates only.

A tambon with no sampled village in a round has estimate basis ``model`` when the round's
small-area model estimates it (:func:`abcresearch.analysis.smallarea.round_small_area`), and
grade status ``provisional`` (``docs/ARCHITECTURE.md``). It has no surveyed household, so
the area report (:class:`~abcresearch.reports.area.AreaReport`) cannot be made; this report
is what it gets instead (``notebooks/model_tambon.ipynb``): a cover saying it was not
surveyed, the model-based estimates with their RMSE and intervals and what they rest on
(:func:`abcresearch.reports.sections.smallarea.small_area`), the model's fit, a methods note
and the summary JSON record.

Disclosure: the estimates rest on no surveyed household of the tambon (the BMN data of its
villages and the relation fitted on other tambons); they go through the
:class:`~abcresearch.reports.disclosure.Publisher` as ``public`` numbers, as do the frame's
register counts on the cover; the sample size 0 goes through ``Publisher.n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Self

import pandas as pd

from abcresearch.analysis.round import RoundAnalysis, round_analysis
from abcresearch.analysis.smallarea import (
    SmallAreaResult,
    SmallAreaUnavailable,
    round_small_area,
)
from abcresearch.analysis.status import AreaStatus, EstimateBasis, summary_record
from abcresearch.errors import AreaError, StoreError
from abcresearch.params import rules_fingerprint
from abcresearch.paths import project_path
from abcresearch.reports.context import ReportBase
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.formatting import Words, scheme_version
from abcresearch.reports.render.display import report_header
from abcresearch.reports.results import SectionResult, SummaryResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections import smallarea as smallarea_section
from abcresearch.reports.sections.common import cover_block
from abcresearch.reports.sections.cover import address, coverage_text
from abcresearch.scoring.grade_rules import load_grade_rules
from abcresearch.survey.areas import Area, get_area

__all__ = ["NOTEBOOK", "ModelTambonReport", "model_only", "model_only_tambons"]

#: The notebook (under ``notebooks/``) of a tambon with a model estimate and no households.
NOTEBOOK = "model_tambon.ipynb"


def _round_result(survey_round: int, store: Path | None, scheme: Any
                  ) -> SmallAreaResult | None:
    try:
        return round_small_area(int(survey_round), store, scheme=scheme)
    except SmallAreaUnavailable:
        return None


def model_only(area_code: str, survey_round: int, store: str | Path | None = None,
               scheme: Any = None) -> bool:
    """Whether an area is a tambon with no households in the round but a model estimate.

    Parameters
    ----------
    area_code : str
        Any area code (only a 6-digit tambon can be true).
    survey_round : int
        The round.
    store : path, optional
        The analysis store.
    scheme : str, optional
        Scoring scheme (default ``params/scoring.yaml``).
    """
    from abcresearch.store import has_data

    code = str(area_code).strip()
    if len(code) != 6 or has_data(int(survey_round), code, store):
        return False
    res = _round_result(int(survey_round), project_path(store), scheme)
    return res is not None and not res.area(code).empty


def model_only_tambons(survey_round: int, store: str | Path | None = None, scheme: Any = None,
                       within: str = "") -> list[str]:
    """Tambons of a round's frame with no households in the round but a model estimate.

    These are the tambons :func:`model_only` is true for, found at once: the frame's tambons
    without households (none in a census round, and then the small-area model is not read),
    kept when the round's small-area result estimates them.

    Parameters
    ----------
    survey_round : int
        The round.
    store : path, optional
        The analysis store.
    scheme : str, optional
        Scoring scheme (default ``params/scoring.yaml``).
    within : str
        Province or amphoe code the tambons must lie in (default: all).

    Returns
    -------
    list of str
        Sorted tambon codes; empty when the round has no frame or no small-area model.
    """
    from abcresearch.store import read as store_read

    try:
        frame = store_read.load(int(survey_round), store=store, table="frame",
                                columns=["tambon_code"])
    except StoreError:
        return []
    with_data = set(store_read.tambons_with_data(int(survey_round), store))
    candidates = {str(t) for t in frame["tambon_code"].dropna().unique()
                  if str(t).startswith(str(within))} - with_data
    if not candidates:
        return []
    res = _round_result(int(survey_round), project_path(store), scheme)
    if res is None:
        return []
    return sorted(candidates & set(res.tambons))


@dataclass
class ModelTambonReport(ReportBase):
    """A tambon's report from its model-based estimates alone (build it with :meth:`load`)."""

    area: Area = field(kw_only=True)
    survey_round: int = field(kw_only=True)
    analysis: RoundAnalysis = field(repr=False, kw_only=True)
    result: SmallAreaResult = field(repr=False, kw_only=True)
    store: Path | None = field(default=None, kw_only=True)

    @classmethod
    def load(cls, area_code: str, survey_round: int, store: str | Path | None = None,
             lang: str = "th", scheme: str | None = None) -> Self:
        """Check the parameters and load the round's analysis and small-area estimates.

        Raises
        ------
        AreaError
            The code is not a tambon, or the tambon has households in the round (use the area
            report).
        StoreError
            The tambon has no model estimate.
        """
        Words(lang)  # validates lang
        area = get_area(str(area_code).strip())
        if area.level != "tambon":
            raise AreaError(f"{area.code} is a {area.level}; the model-based report is for a "
                            f"tambon (6 digits)")
        store_path = project_path(store)
        if model_only(area.code, survey_round, store_path, scheme) is False:
            from abcresearch.store import has_data

            if has_data(int(survey_round), area.code, store_path):
                # the area, not the store, is wrong here: no hint to make a store (a user's
                # walk-through ran this notebook's defaults on the demo store and was told to
                # run make demo)
                raise AreaError(
                    f"tambon {area.code} ({area.name_en}) has households in round "
                    f"{survey_round}: use notebooks/area_report.ipynb (this notebook is for a "
                    "tambon with no sampled village, as in a rollout round; see the README)")
            raise StoreError(f"tambon {area.code} ({area.name_en}) has no model estimate in "
                             f"round {survey_round}")
        analysis = round_analysis(int(survey_round), store_path, scheme,
                                  model_areas=[area.code])
        res = _round_result(int(survey_round), store_path, analysis.scheme)
        assert res is not None  # model_only said so
        return cls(lang=lang, design_spec=analysis.design, area=area,
                   survey_round=int(survey_round), analysis=analysis, result=res,
                   store=store_path)

    # what the shared small-area section reads (it takes any report with these)
    @property
    def level(self) -> str:
        """Area level (``tambon``)."""
        return self.area.level

    @cached_property
    def households(self) -> pd.DataFrame:
        """The tambon's surveyed households in the round: none (the frame's columns)."""
        return self.analysis.area_households(self.area.code)

    @cached_property
    def status(self) -> AreaStatus:
        """Coverage (0 of N villages), basis ``model``, grade status ``provisional``."""
        return self.analysis.status(self.area.code)

    @property
    def rows(self) -> pd.DataFrame:
        """The tambon's small-area rows, one per measure (unrounded)."""
        return self.result.area(self.area.code)

    # ------------------------------------------------------------------ sections
    def cover(self) -> SectionResult:
        """Return the cover: names, round, not surveyed (0 of N villages), basis, status."""
        t = self.t
        a = self.area
        pub = Publisher(self, "cover")
        lines = [address(self),
                 self.words.round_years(self.survey_round),
                 f"**{t('model_tambon.cover.not_surveyed')}** "
                 + coverage_text(self, pub),  # type: ignore[arg-type]
                 *smallarea_section.cover_lines(self, self.result),  # type: ignore[arg-type]
                 t("model_tambon.cover.plain")]
        if self.analysis.synthetic:
            lines.append(f"**{t('synthetic.banner')}**")
        st = self.status
        return self._keep(cover_block(
            self.words, a.label("th"), a.label("en"), lines, self.analysis.synthetic,
            details={"coverage": st.coverage.as_dict(), "estimate_basis": st.basis.value,
                     "grade_status": st.grade_status.value},
            header=report_header(a, self.survey_round, self.lang, self.analysis.synthetic),
            published=tuple(pub.entries), title_key="model_tambon.cover.title"))

    def small_area(self) -> SectionResult:
        """Show the model-based estimates with RMSE, intervals and what they rest on."""
        res = smallarea_section.small_area(self, result=self.result)  # type: ignore[arg-type]
        pub = Publisher(self, "small_area")
        for r in self.rows.itertuples():  # in the ledger: public, no surveyed household
            scale, dec = smallarea_section.MEASURE_FORMAT.get(str(r.measure), (1.0, 2))
            kind = "index" if dec == 3 else "score"  # the decimals the section prints
            for name in ("estimate", "rmse", "ci_low", "ci_high"):
                pub.public(f"model.{r.measure}.{name}", float(getattr(r, name)) * scale,
                           kind=kind, area=self.area.code)
        return self._keep(SectionResult(
            name=res.name, parts=res.parts, options=res.options, estimates=res.estimates,
            details=res.details, published=tuple(pub.entries)))

    def model_fit(self) -> SectionResult:
        """Describe the small-area model and its fit (the round's, all tambons)."""
        return self._keep(smallarea_section.model_fit(self, result=self.result))

    def methods_note(self) -> SectionResult:
        """Return the methods note: where the numbers come from and why nothing is hidden."""
        out = SectionBuilder("methods_note", self.words)
        out.heading("section.methods")
        meta = self.result.meta
        fit = self.result.fit
        _, sampled = smallarea_section.frame_villages(self)  # type: ignore[arg-type]
        why = self.t("model_tambon.why.no_data" if sampled else "model_tambon.why.not_sampled",
                     be=self.survey_round, sampled=sampled)
        out.text(self.t("model_tambon.methods", why=why, be=self.survey_round,
                        year=meta.get("covariate_year", ""),
                        method=meta.get("method", "REML"),
                        fitted=int(fit["areas_fitted"].max()) if "areas_fitted" in fit
                        else 0,
                        min_villages=meta.get("min_sampled_villages", 2)))
        out.text(self.t("model_tambon.disclosure"))
        return self._keep(out.result(details={"meta": dict(meta)}))

    def summary(self) -> dict[str, Any]:
        """Return the summary JSON record: basis ``model``, grade null, status ``provisional``.

        The model estimates as printed (scale and decimals of the small-area section) under
        ``model_estimates``; no households were surveyed, so ``households_estimated`` is null.
        """
        st = self.status
        if st.basis is not EstimateBasis.MODEL:  # load() makes this impossible
            raise StoreError(f"tambon {self.area.code} has basis {st.basis.value}, not model")
        printed = smallarea_section.printed_estimates(self.rows)
        return summary_record(
            st, name_th=self.area.name_th, name_en=self.area.name_en,
            survey_round=self.survey_round, synthetic=self.analysis.synthetic,
            households_estimated=None, households=0, villages=0,
            model_estimates=printed, level_ci=float(self.result.meta.get("level", 0.95)),
            scheme=scheme_version(self.analysis.scheme),
            grade_rules=scheme_version(load_grade_rules()),
            grade_rules_draft=not load_grade_rules().verified,
            rules_fingerprint=rules_fingerprint(self.analysis.scheme.path),
            covariate_year=self.result.meta.get("covariate_year"))

    def write_summary(self) -> SummaryResult:
        """Publish :meth:`summary` for the batch index (no visible output)."""
        return self._keep(SectionBuilder("write_summary", self.words).result(
            SummaryResult, summary=self.summary()))
