"""Community organisations from the village form: groups, funds, master plans, process steps."""

from __future__ import annotations

import pandas as pd

from abcresearch.reports.context import AreaContext
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["organisations"]

_SUMMED = ["vil_households", "vil_groups", "vil_welfare_members", "vil_welfare_money",
           "vil_village_fund_money"]


def organisations(report: AreaContext) -> SectionResult:
    """Table of the village-form figures, one row per village (per tambon, summed, in an amphoe
    report). Village forms describe villages, not households: no suppression applies."""
    from abcresearch.survey.instrument import choices

    t = report.t
    out = SectionBuilder("organisations", report.words)
    out.heading("section.organisations")
    vil = report.village_forms
    steps = choices("process_step", form="village").set_index("name")[f"label_{report.lang}"]
    plan_year = vil["vil_master_plan_year"].astype("Float64")
    shown = pd.DataFrame({
        t("col.village"): [report.child_name(c) for c in vil["village_code"]],
        t("col.households"): vil["vil_households"].astype("Int64"),
        t("col.groups"): vil["vil_groups"].astype("Int64"),
        t("col.welfare"): vil["vil_welfare_members"].astype("Int64"),
        t("col.welfare_money"): vil["vil_welfare_money"].astype(float),
        t("col.village_fund"): vil["vil_village_fund_money"].astype(float),
        t("col.master_plan"): plan_year.astype("Int64").astype(object)
        .where(plan_year.notna(), "–"),
        t("col.step"): [steps.get(str(s), str(s)) for s in vil["vil_process_step"]],
        t("col.forums"): vil["vil_forums_year"].astype("Int64"),
    }).sort_values(t("col.village")).reset_index(drop=True)
    if report.level == "amphoe":
        agg = vil[_SUMMED].astype(float).groupby(vil["village_code"].str.slice(0, 6).to_numpy(),
                                                 sort=True).sum()
        agg.columns = [t("col.households"), t("col.groups"), t("col.welfare"),
                       t("col.welfare_money"), t("col.village_fund")]
        agg.insert(0, t("col.tambon"), [report.child_name(c) for c in agg.index])
        shown = agg.reset_index(drop=True)
    out.table(shown, t("org.caption"), decimals=0)
    return out.result(estimates=vil.reset_index(drop=True))
