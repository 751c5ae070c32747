"""Community organisations from the village form: groups, funds, master plans, process steps.

Village forms describe villages, not households, so no suppression applies; the figures are
still written through the disclosure step (:meth:`~abcresearch.reports.disclosure.Publisher.
public`) so that everything the report prints is in its ledger."""

from __future__ import annotations

import pandas as pd

from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = ["organisations", "step_label"]

_SUMMED = ["vil_households", "vil_groups", "vil_welfare_members", "vil_welfare_money",
           "vil_village_fund_money"]
_KEYS = ["col.households", "col.groups", "col.welfare", "col.welfare_money", "col.village_fund"]


def step_label(report: AreaContext, step: object) -> str:
    """The programme's name of a strong-community step (``params/labels.yaml`` ``step.N``)."""
    try:
        return report.t(f"step.{int(float(str(step)))}")
    except (ValueError, TypeError):
        return "–"
    except Exception:
        return str(step)


def organisations(report: AreaContext) -> SectionResult:
    """Table of the village-form figures, one row per village in village order (per tambon,
    summed, in an amphoe report)."""
    t = report.t
    pub = Publisher(report, "organisations")
    out = SectionBuilder("organisations", report.words)
    out.heading("section.organisations")
    vil = report.village_forms.sort_values("village_code").reset_index(drop=True)

    def num(name: str, value: object) -> str:
        if value is None or pd.isna(value):
            return "–"
        return pub.public(name, float(value)).text

    if report.level == "amphoe":
        agg = vil[_SUMMED].astype(float).groupby(vil["village_code"].str.slice(0, 6).to_numpy(),
                                                 sort=True).sum()
        shown = pd.DataFrame({t("col.tambon"): [report.child_name(c) for c in agg.index]})
        for col, key in zip(_SUMMED, _KEYS, strict=True):
            shown[t(key)] = [num(col, v) for v in agg[col]]
    else:
        shown = pd.DataFrame({t("col.village"): [report.child_name(c)
                                                  for c in vil["village_code"]]})
        for col, key in zip(_SUMMED, _KEYS, strict=True):
            shown[t(key)] = [num(col, v) for v in vil[col]]
        shown[t("col.master_plan")] = [
            "–" if pd.isna(v) else pub.public("master_plan_year", float(v)).text.replace(",", "")
            for v in vil["vil_master_plan_year"].astype("Float64")]
        shown[t("col.step")] = [step_label(report, s) for s in vil["vil_process_step"]]
        shown[t("col.forums")] = [num("vil_forums_year", v) for v in vil["vil_forums_year"]]
    out.table(shown, t("org.caption"))
    return out.result(estimates=vil, published=tuple(pub.entries))
