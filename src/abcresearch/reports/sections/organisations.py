"""Community organisations from the village form: groups, funds, master plans, process steps.

Village forms describe villages, not households, so no suppression applies; the figures are
still written through the disclosure step (:meth:`~abcresearch.reports.disclosure.Publisher.
public`) so that everything the report prints is in its ledger.
"""

from __future__ import annotations

from typing import SupportsFloat

import pandas as pd

from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["organisations", "step_label"]

_SUMMED = ["vil_households", "vil_groups", "vil_welfare_members", "vil_welfare_money",
           "vil_village_fund_money"]
_KEYS = ["col.households", "col.groups", "col.welfare", "col.welfare_money", "col.village_fund"]
#: An amphoe's table sums these per tambon (the welfare fund's are the welfare section's).
_AMPHOE_SUMMED = ["vil_households", "vil_groups", "vil_village_fund_money"]
_AMPHOE_KEYS = ["col.households", "col.groups", "col.village_fund"]


def step_label(report: AreaContext, step: object) -> str:
    """Return the programme's name of a strong-community step (labels ``step.N``)."""
    try:
        return report.t(f"step.{int(float(str(step)))}")
    except (ValueError, TypeError):
        return "–"
    except Exception:
        return str(step)


def _steps_note(report: AreaContext, steps: pd.Series) -> str:
    """Name the strong-community steps, 0 to 6 and any higher step a form gives."""
    used = sorted({int(v) for v in steps.dropna()})
    return f"{report.t('org.steps')}: " + " · ".join(
        f"{k} = {step_label(report, k)}" for k in range(0, max([6, *used]) + 1))


def organisations(report: AreaContext) -> SectionResult:
    """Return the table of the village-form figures.

    One row per village in village order (per tambon, summed, in an amphoe report); the
    strong-community step as its number, the programme's step names in the notes.
    """
    t = report.t
    pub = Publisher(report, "organisations")
    out = SectionBuilder("organisations", report.words)
    out.heading("section.organisations")
    vil = report.village_forms.sort_values("village_code").reset_index(drop=True)

    def num(name: str, value: SupportsFloat | None, kind: str = "count",
            indicator: str | None = None) -> str:
        if value is None or pd.isna(value):
            return "–"
        return pub.public(name, float(value), kind, indicator=indicator).text

    if report.level == "amphoe":
        # a tambon's total is its villages' sum only where every village's form has the figure:
        # a figure left blank at ingest (unusable, the rest of the form kept) would add as 0.
        # The welfare fund's members and money are the welfare section's table; here the
        # master plans and process steps the caption names (the amphoe's table had neither,
        # and repeated the welfare figures; a reader review)
        tambon = vil["village_code"].str.slice(0, 6).to_numpy()
        by = vil[_AMPHOE_SUMMED].astype(float).groupby(tambon, sort=True)
        agg = by.sum().where(by.count() == by.size().to_numpy()[:, None])
        shown = pd.DataFrame({t("col.tambon"): [report.child_name(c) for c in agg.index]})
        for col, key in zip(_AMPHOE_SUMMED, _AMPHOE_KEYS, strict=True):
            shown[t(key)] = [num(col, v) for v in agg[col]]
        plan = vil["vil_master_plan"].astype("string").str.strip().str.lower()
        plans = pd.DataFrame({"has": plan.eq("yes").fillna(False), "known": plan.notna()}
                             ).groupby(tambon, sort=True).sum()
        size = vil.groupby(tambon, sort=True).size()
        shown[t("org.col.plans")] = [
            t("org.plans_of", k=pub.public("villages_with_master_plan", int(plans.loc[c, "has"]),
                                           area=str(c)).text,
              n=pub.public("villages_with_form", int(size[c]), area=str(c)).text)
            + ("" if plans.loc[c, "known"] == size[c] else "*") for c in agg.index]
        # the villages' mean as the tambon's grade reads it (over the forms that answered, "*"
        # where one did not), on its own side of the grade rules' thresholds
        means = vil[["vil_process_step", "vil_forums_year"]].apply(
            pd.to_numeric, errors="coerce").groupby(tambon, sort=True)
        mean, partial = means.mean(), means.count() < means.size().to_numpy()[:, None]
        # a mean to one decimal (a score's digits): "3" for 2.5 read as step 3 reached
        for col, key, indicator in (("vil_process_step", "org.col.step_mean", "process_step"),
                                    ("vil_forums_year", "org.col.forums_mean", "forums_year")):
            shown[t(key)] = [num(f"{col} (villages' mean)", mean.loc[c, col], "score",
                                 indicator) + ("*" if partial.loc[c, col] else "")
                             for c in agg.index]
        notes = f"{t('org.notes.amphoe')} · " + _steps_note(
            report, pd.to_numeric(vil["vil_process_step"], errors="coerce"))
        if agg.isna().to_numpy().any():
            notes += " · " + t("org.notes.blank_tambon")
        if (plans["known"] < size).any() or partial.to_numpy().any():
            notes += " · " + t("org.notes.plan_unknown")
    else:
        shown = pd.DataFrame({t("col.village"): [report.child_name(c)
                                                  for c in vil["village_code"]]})
        for col, key in zip(_SUMMED, _KEYS, strict=True):
            shown[t(key)] = [num(col, v) for v in vil[col]]
        # the year of a plan the form says it has: a year kept beside a plan answered "no"
        # (not_relevant at ingest: which of the two is wrong cannot be told) read as a plan
        answer = vil["vil_master_plan"].astype("string").str.strip().str.lower()
        has_plan = answer.eq("yes")
        # a plan whose year is blank (not answered, or unusable: "2020" for 2563) is still a
        # plan: "–" there read as none (a review); no plan says so, "–" is a blank answer
        shown[t("col.master_plan")] = [
            "–" if pd.isna(a) or (not has and a != "no") else t("org.plan_none") if not has
            else t("org.plan_year_unknown") if pd.isna(v) else
            pub.public("master_plan_year", float(v)).text.replace(",", "")
            for v, has, a in zip(vil["vil_master_plan_year"].astype("Float64"),
                                 has_plan.fillna(False), answer, strict=True)]
        # the step as its number (a narrow column would break the step's name mid-word); the
        # programme's names of the steps in the notes
        steps = pd.to_numeric(vil["vil_process_step"], errors="coerce")
        shown[t("col.step")] = ["–" if pd.isna(v) else pub.public("process_step", float(v)).text
                                for v in steps]
        shown[t("col.forums")] = [num("vil_forums_year", v) for v in vil["vil_forums_year"]]
        notes = _steps_note(report, steps)
        # an unusable answer, left blank at ingest (the plan's with its year: the column's –)
        counted = [*_SUMMED, "vil_master_plan", "vil_process_step", "vil_forums_year"]
        if vil[counted].isna().to_numpy().any():
            notes += " · " + t("org.notes.blank")
    # every column but the area's name holds figures: on the right, also where no village's
    # form has one to show (a tambon whose villages have no master plan: all "–")
    out.table(shown, t("org.caption"), notes, numeric=tuple(shown.columns[1:]))
    return out.result(estimates=vil, published=tuple(pub.entries))
