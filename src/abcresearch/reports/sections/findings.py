"""Key findings: plain-language sentences generated from the published estimates."""

from __future__ import annotations

import pandas as pd

from abcresearch.reports import estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import af_publishable
from abcresearch.reports.results import FindingsResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.profile import profile_estimates, published_profile

__all__ = ["key_findings"]


def key_findings(report: AreaContext, *, priority_areas: int = 3) -> FindingsResult:
    """Sentences on the grade, the strongest and weakest capitals, the comparison with the
    province, level-1 households, multidimensional and income poverty, and priority areas.

    Parameters
    ----------
    report : AreaContext
        The area.
    priority_areas : int
        How many C-graded areas within (tambon and amphoe reports) to name, in priority order.
    """
    t = report.t
    out = SectionBuilder("key_findings", report.words, {"priority_areas": priority_areas})
    out.heading("section.findings")
    found: list[str] = []
    row = report.grade_row
    if row is not None and not pd.isna(row.get("grade")) and report.publishable:
        reason = row.get(f"reason_{report.lang}") or ""
        found.append(t("find.grade", area=report.area_name(),
                       grade=row[f"grade_label_{report.lang}"], reason=reason))
    prof = published_profile(report, profile_estimates(report, ("amphoe", "province")))
    ok = prof.dropna(subset=["estimate"])
    if not ok.empty:
        best, worst = ok["estimate"].idxmax(), ok["estimate"].idxmin()
        found.append(t("find.strongest", capital=report.capital_label(best),
                       score=ok.loc[best, "estimate"], weak=report.capital_label(worst),
                       weak_score=ok.loc[worst, "estimate"]))
        below = ok[ok["ci_high"] < ok["province"]]
        if not below.empty and report.level != "province":
            cap = (below["province"] - below["estimate"]).idxmax()
            found.append(t("find.below_province", capital=report.capital_label(cap),
                           score=ok.loc[cap, "estimate"], province=ok.loc[cap, "province"]))
        above = ok[ok["ci_low"] > ok["province"]]
        if not above.empty and report.level != "province":
            cap = (above["estimate"] - above["province"]).idxmax()
            found.append(t("find.above_province", capital=report.capital_label(cap),
                           score=ok.loc[cap, "estimate"], province=ok.loc[cap, "province"]))
    l1 = report.design.ciprop("level1", na_rm=True, level=report.design_spec.level)
    if report.level1_publishable:
        r = l1.iloc[0]
        found.append(t("find.level1", share=100 * r["estimate"], low=100 * r["ci_low"],
                       high=100 * r["ci_high"]))
    af = report.af_result
    contrib = af.contribution["estimate"]
    n_poor, n_base, _ = estimates.poor_counts(af, report.households, report.capitals)
    af_ok = af_publishable(n_poor, n_base, len(report.households), report.threshold)
    if not contrib.empty and af.H["estimate"].iloc[0] > 0 and af_ok["H"] and af_ok["A"]:
        top = str(contrib.idxmax()).removeprefix("dep_")
        found.append(t("find.m0", h=100 * af.H["estimate"].iloc[0],
                       a=100 * af.A["estimate"].iloc[0], capital=report.capital_label(top)))
    pov = report.poverty
    if pov is not None and not pd.isna(pov["estimate"]):
        found.append(t("find.poverty", share=100 * pov["estimate"], line=pov["line"]))
    if report.level in ("tambon", "amphoe"):
        first = report.children[report.children["grade"] == "C"].head(priority_areas)
        names = ", ".join(report.child_name(c) for c in first["code"]) or t("find.none")
        found.append(t("find.priority", areas=names))
    out.text(f"*{t('intro.findings')}*\n\n" + "\n".join(f"- {s}" for s in found))
    return out.result(FindingsResult, findings=tuple(found), estimates=prof,
                      details={"level1": l1})
