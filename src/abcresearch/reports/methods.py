"""Methods appendix: the instrument's codebook, the scoring scheme and the statistical method.

Used by ``notebooks/methods.ipynb``. Everything shown is read from ``params/`` (the XLSForms, the
scoring scheme, the grade rules, the design and the poverty lines), so the appendix always
describes the rules actually in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from abcresearch import __version__
from abcresearch.analysis.round import DesignSpec, design_spec
from abcresearch.reports.sections import SectionsMixin
from abcresearch.scoring import load_scheme
from abcresearch.scoring.grades import GradeRules, load_grade_rules
from abcresearch.scoring.scheme import Scheme
from abcresearch.survey.instrument import codebook, load_form


@dataclass
class MethodsReport(SectionsMixin):
    """The methods appendix under one scoring scheme."""

    scheme: Scheme
    grades: GradeRules
    design_spec: DesignSpec
    lang: str
    outputs: list[Any] = field(default_factory=list, repr=False)
    results: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, scheme: str | None = None, lang: str = "th") -> MethodsReport:
        """Load the scheme, grade rules and design (each validated)."""
        rep = cls(scheme=load_scheme(scheme or None), grades=load_grade_rules(),
                  design_spec=design_spec(), lang=lang)
        rep.t("grade")  # validates lang
        return rep

    def cover(self) -> None:
        """Display the title block."""
        sch = self.scheme
        form = load_form("household")
        text = (f"# {self.t('methods.title')}\n\n"
                f"{self.t('methods.versions', form=form.form_id, form_version=form.version, scheme=sch.scheme_id, scheme_version=sch.scheme_version, grades=self.grades.scheme_id, grades_version=self.grades.scheme_version, version=__version__)}")  # noqa: E501
        self._text(text)
        self.results["cover"] = text

    def instrument(self) -> None:
        """Display the codebook of the household items, capital by capital, and the roster."""
        self._heading("methods.instrument")
        cb = codebook("households")
        items = cb[cb["capital"].notna()]
        lab = f"label_{self.lang}"

        def rule(r: pd.Series) -> str:
            if pd.notna(r["min"]):
                return f"{r['min']:g}–{r['max']:g}"
            if r["list_name"]:
                return r["list_name"]
            return ""

        for cap in self.scheme.capital_ids if set(self.scheme.capital_ids) <= set(
                items["capital"]) else items["capital"].unique():
            sub = items[items["capital"] == cap]
            if sub.empty:
                continue
            table = pd.DataFrame({
                self.t("methods.item"): sub["name"].to_numpy(),
                self.t("methods.question"): sub[lab].to_numpy(),
                self.t("methods.type"): sub["type"].to_numpy(),
                self.t("methods.values"): [rule(r) for _, r in sub.iterrows()],
            })
            self._table(table, self._capital_name(cap))
        roster = codebook("members")
        roster = roster[roster["personal"].isna() | (roster["personal"] == "sensitive")]
        self._table(pd.DataFrame({self.t("methods.item"): roster["name"].to_numpy(),
                                  self.t("methods.question"): roster[lab].to_numpy(),
                                  self.t("methods.type"): roster["type"].to_numpy()}),
                    self.t("methods.roster"))
        self._text(self.t("methods.personal"))
        self.results["instrument"] = items

    def _capital_name(self, cap: str) -> str:
        try:
            return self.scheme.capital(cap).label(self.lang)
        except Exception:
            return cap

    def scoring_scheme(self) -> None:
        """Display item rules and weights, level bands, the overall level and tracks, AF."""
        self._heading("methods.scoring")
        sch = self.scheme
        rules = sch.rules_table(self.lang)
        rules["capital"] = [self._capital_name(c) for c in rules["capital"]]
        rules.columns = [self.t("col.capital"), self.t("methods.item"), self.t("methods.rule"),
                         self.t("methods.weight"), self.t("methods.not_relevant"),
                         self.t("methods.description")]
        self._text(self.t("methods.scoring_text", share=sch.min_share_items))
        self._table(rules, f"{sch.title[self.lang]} ({sch.scheme_id} v{sch.scheme_version})",
                    decimals=3)
        levels = pd.DataFrame({
            self.t("methods.level"): list(sch.level_labels),
            self.t("methods.meaning"): [sch.level_label(lv, self.lang)
                                        for lv in sch.level_labels]})
        self._table(levels, self.t("methods.levels"))
        caps = pd.DataFrame({
            self.t("col.capital"): [c.label(self.lang) for c in sch.capitals],
            self.t("methods.af_weight"): [c.af_weight for c in sch.capitals],
            self.t("methods.cutoff"): [c.deprivation_cutoff for c in sch.capitals]})
        self._table(caps, self.t("methods.af", k=sch.af_k), decimals=3)
        self._text(self.t("methods.grades_text", rules=f"{self.grades.scheme_id} "
                                                        f"v{self.grades.scheme_version}"))
        self.results["scoring_scheme"] = rules

    def statistics(self) -> None:
        """Display the statistical method in words."""
        self._heading("methods.statistics")
        d = self.design_spec
        text = self.t("methods.statistics_text", level=d.level, threshold=d.suppression_threshold,
                      lonely=d.lonely_psu)
        self._text(text)
        self.results["statistics"] = text
