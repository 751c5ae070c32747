"""The province overview's lead: findings first, capital heat map, programme tambons.

Findings on the first page, a capital heat map by amphoe, the tambons in programme lists, and
the high-need tambons by readiness group.

The findings are sentences computed from published estimates: coverage, tambon grades, the
share of households at level 1 (and the amphoes highest and lowest), the weakest capital and the
amphoe furthest below the province on it, the most common item-level problems
(``params/actions.yaml``), the welfare funds' reach, and the tambons in programme lists.

Readiness and need are read from the grade table (:mod:`abcresearch.scoring.grades`): the
findings count the tambons in each readiness group (กลุ่ม A/B/C, with how many are near a
threshold) and, among the tambons whose need class may be published, the high-need ones by
group. The need × readiness chart itself is the readiness section's
(:func:`abcresearch.reports.sections.readiness.province_readiness`, ``overview.readiness()``),
placed right after the lead in the notebook.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.labels import HalfUp, round_half_up
from abcresearch.reports import charts
from abcresearch.reports.context import ProvinceContext, calibration_factor
from abcresearch.reports.disclosure import Publisher, is_small
from abcresearch.reports.estimates import item_share_cells, member_flag, welfare_share_cells
from abcresearch.reports.item_rules import load_action_rules
from abcresearch.reports.results import Figure, SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections import actions as actions_mod
from abcresearch.reports.sections.common import names_list
from abcresearch.reports.sections.levels import level1_households, level1_share, to_unit_of
from abcresearch.reports.sections.programmes import load_programmes
from abcresearch.reports.sections.readiness import (
    grade_text,
    need_hidden,
    need_markers,
    need_text,
)
from abcresearch.reports.sections.welfare import (
    reach_interval,
    report_store,
    villages_without_fund,
)
from abcresearch.scoring.grade_rules import load_grade_rules
from abcresearch.survey.areas import amphoes, tambons

__all__ = ["capital_heatmap_table", "lead", "readiness_counts"]


def capital_heatmap_table(report: ProvinceContext) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return amphoe capital means as published, with marks against the province.

    Small bases are blanked; ``▲``/``▼`` mark where the amphoe's interval lies above/below the
    province's mean.

    Returns
    -------
    values, marks : pandas.DataFrame
        Index amphoe code, columns capital ids.
    """
    means = report.analysis.means
    caps = report.analysis.scheme.capital_ids
    am = means[means["level"] == "amphoe"]
    prov = means[means["level"] == "province"].set_index("capital")["estimate"]
    est = am.pivot(index="code", columns="capital", values="estimate").reindex(columns=caps)
    n = am.pivot(index="code", columns="capital", values="n").reindex(columns=caps)
    low = am.pivot(index="code", columns="capital", values="ci_low").reindex(columns=caps)
    high = am.pivot(index="code", columns="capital", values="ci_high").reindex(columns=caps)
    shown = est.mask(n.apply(lambda c: (c > 0) & (c < report.threshold)))
    marks = pd.DataFrame("", index=est.index, columns=caps)
    for cap in caps:
        marks.loc[low[cap] > prov.get(cap, np.nan), cap] = "▲"
        marks.loc[high[cap] < prov.get(cap, np.nan), cap] = "▼"
    marks = marks.where(shown.notna(), "")
    return shown, marks


def _share(design: Any, var: str, level: float, by: str | None = None) -> pd.DataFrame:
    return design.ciprop(var, by=by, na_rm=True, level=level)


def readiness_counts(report: ProvinceContext) -> dict[str, Any]:
    """Tambons by readiness group, and the high-need tambons by group, as published.

    Tambons resting on fewer households than the threshold are left out of both counts; the
    need counts also leave out tambons whose level-1 share is hidden (their need class would
    disclose it), as the readiness section does.

    Returns
    -------
    dict
        ``groups`` (grade -> tambons), ``near`` (tambons whose group is near a threshold),
        ``high`` (grade -> high-need tambons), ``n`` (tambons counted), ``n_need`` (tambons
        whose need class is published), ``need_near_high`` and ``need_near_other`` (those of
        them of high need, and of another need class, whose need is near its threshold).
    """
    from abcresearch.reports.sections.province import ranking_need_hidden

    # the need class hidden where the ranking hides it, from the share or M0 (a code review: a
    # tambon with its M0 alone hidden was counted here and not in the amphoe table's band 1,
    # and the difference told its need)
    tt, hidden, small = ranking_need_hidden(report)
    shown = tt[~small]
    rules = load_grade_rules()
    high_class = str(rules.need_order[0])  # need classes from the highest
    # a tambon on too few sampled villages has no group, and its report gives the model's need
    # class, not the one of its few villages this table holds: left out of the need count, and
    # said so (page 1 read "high need 24 of 147 tambons: C 16 · B 8 · A 0", 8 ungraded ones in
    # the 147 and in no group)
    need = tt[~hidden & tt["need"].notna() & tt["grade"].notna()]
    high = need[need["need"] == high_class]
    near = need["need_near_threshold"].fillna(False).astype(bool)
    return {"groups": shown["grade"].value_counts().to_dict(),
            # need classes whose interval holds a threshold: the count could be that many
            # fewer (high) or more (not high) within the sampling error
            "need_near_high": int((near & (need["need"] == high_class)).sum()),
            "need_near_other": int((near & (need["need"] != high_class)).sum()),
            "ungraded": int(shown["grade"].isna().sum()),
            "near": int(shown["near_threshold"].astype(bool).sum()),
            "high": high["grade"].value_counts().to_dict(),
            "n": len(shown), "n_need": len(need)}


def lead(report: ProvinceContext, *, programmes: str | Path | None = None,
         actions: str | Path | None = None, top_items: int = 3) -> SectionResult:
    """Build the lead: findings, the capital heat map by amphoe and the programme tambons.

    The findings include the readiness groups and the high-need tambons by group; the need ×
    readiness chart is the readiness section's, placed right after.

    Parameters
    ----------
    report : ProvinceContext
        The province.
    programmes, actions : path, optional
        Other ``programmes.yaml`` / ``actions.yaml``.
    top_items : int
        How many of the most common item-level problems to name.
    """
    from abcresearch.analysis.round import area_design
    from abcresearch.store import read as store_read

    t, lang, thr = report.t, report.lang, report.threshold
    lvl = report.design_spec.level
    out = SectionBuilder("lead", report.words, {"programmes": programmes, "actions": actions,
                                                "top_items": top_items})
    out.heading("section.lead")
    hh = report.households.copy(deep=False)
    tt = report.tambon_table
    amph = amphoes(report.province.code).set_index("code")[f"name_{lang}"]
    tam = tambons(report.province.code)
    found: list[str] = []
    # coverage
    n_vil, n_hh = int(hh["village_code"].nunique()), len(hh)
    n_tam = int(hh["tambon_code"].nunique())
    try:
        frame = store_read.load(report.survey_round, area=report.province.code,
                                store=report_store(report),
                                table="frame")
        v_all = int(len(frame))
    except Exception:  # no frame: the villages of the province's official list are unknown
        v_all = None
    # the province's households only from its frame, as its villages (without one, the
    # status table's total is the surveyed villages' own, not the province's)
    hh_all = report.status.coverage.households_total if v_all else None
    found.append(t("lead.coverage", villages=f"{n_vil:,}", households=f"{n_hh:,}",
                   of_households=t("lead.of_households", total=f"{hh_all:,}") if hh_all else "",
                   # "ใน 170 จาก 170 ตำบล" read oddly (a reader review): "ครบทั้ง 170 ตำบล"
                   where=t("lead.in_all_tambons", n=n_tam) if n_tam == len(tam) else t(
                       "lead.in_tambons", tambons=n_tam, tambons_all=len(tam)),
                   of=t("lead.of_villages", total=f"{v_all:,}") if v_all else ""))
    # readiness groups, and need beside them
    rc = readiness_counts(report)
    g, h = rc["groups"], rc["high"]
    from abcresearch.analysis.status import load_status_rules

    min_villages = load_status_rules().min_sampled_villages
    found.append(t("lead.grades", a=int(g.get("A", 0)), b=int(g.get("B", 0)),
                   c=int(g.get("C", 0)), n=rc["n"],
                   near=t("lead.grades_near", n=rc["near"]) if rc["near"] else "",
                   ungraded=t("lead.ungraded", k=rc["ungraded"], min_villages=min_villages)
                   if rc["ungraded"] else "",
                   **{f"label_{k.lower()}": report.grade_label(k) for k in ("A", "B", "C")}))
    if rc["n_need"]:
        # left out: tambons whose need rests on a hidden level-1 share, and ungraded ones
        left = rc["n"] - rc["n_need"] - rc["ungraded"]
        n_high = sum(int(v) for v in h.values())
        k, m = rc["need_near_high"], rc["need_near_other"]
        found.append(t("lead.need", high=n_high, n=rc["n_need"],
                       a=int(h.get("A", 0)), b=int(h.get("B", 0)), c=int(h.get("C", 0)),
                       hidden=t("lead.need_hidden", k=left) if left > 0 else "",
                       ungraded=t("lead.need_ungraded", k=rc["ungraded"])
                       if rc["ungraded"] else "",
                       # where the tambons are named (the chart has 170 unnamed points)
                       ranking=t("section.tambon_ranking")))
        if k or m:  # how far that count could move within the sampling error
            found.append(t("lead.need_near" + ("" if k and m else "_high" if k else "_other"),
                           k=k, m=m, lo=n_high - k, hi=n_high + m))
        # after the range: "ทั้ง 33 ตำบลนี้" just before "33 ถึง 43" read as the same 33
        where = _first_band_amphoes(report, amph)
        if where:
            found.append(where)
    # level 1, by amphoe: each share only where the area's own report publishes it (the
    # round's one disclosure step), as that report rounds it
    share_pub = Publisher(report, "overview_lead")
    hh["welfare_member"] = member_flag(hh).to_numpy()
    design = area_design(hh, report.design_spec)
    l1 = _share(design, "level1", lvl).iloc[0]
    l1_shown = level1_share(share_pub, report.province.code, float(l1["estimate"]),
                            float(l1["ci_low"]), float(l1["ci_high"]))
    if not l1_shown.hidden:
        # with the households it stands for: a committee sizes a budget on them (a reader
        # review), counted as every area's report counts (its own weighted counts, calibrated
        # to the frame's households in a two-stage round) and as precise as the share beside
        # it ("about 128,000", not "about 128,090")
        level1 = (hh["overall_level"] == 1).to_numpy(dtype=bool)
        factor = calibration_factor(report.analysis, report.province.code, hh)
        count = level1_households(share_pub, report.province.code,
                                  factor * float(hh["weight"].to_numpy()[level1].sum()),
                                  float(l1["estimate"]), float(l1["ci_low"]),
                                  float(l1["ci_high"]))
        found.append(t("lead.level1", share=l1_shown.with_ci) + (
            "" if count.hidden else t("lead.level1_count", count=count.text)))
        if not count.hidden and count.value is not None:
            first = _first_band_level1(report, share_pub, count.value)
            if first:
                found.append(first)
    by_a = _share(design, "level1", lvl, by="amphoe_code")
    ok = [not level1_share(share_pub, str(a), float(v)).hidden
          for a, v in zip(by_a.index, by_a["estimate"], strict=True)]
    pub = by_a.loc[ok]
    if len(pub) >= 2:
        hi, lo = pub["estimate"].idxmax(), pub["estimate"].idxmin()
        # every amphoe that prints the same share as the highest (lowest) is named with it:
        # "lowest in Khanom (24 %)" beside Pak Phanang's 24 % in the table read as a ranking
        printed = pub["estimate"].map(lambda v: round_half_up(v, 0, scale=100))

        def tied(code: str) -> str:
            names = [t("lead.amphoe_name", name=amph.get(c, c)) for c in printed.index
                     if printed[c] == printed[code]]
            return names_list(t, names)

        def percent(code: str) -> HalfUp:  # written as the ties were told: half up, in decimal
            return HalfUp(float(pub.loc[code, "estimate"]), 100)

        if printed.nunique() == 1:  # every amphoe prints the same share
            found.append(t("lead.level1_amphoe_equal", share=percent(hi)))
        else:
            found.append(t("lead.level1_amphoe", high=tied(hi), high_share=percent(hi),
                           low=tied(lo), low_share=percent(lo)))
    # the weakest capital and the amphoe furthest below on it
    values, marks = capital_heatmap_table(report)
    sch = report.analysis.scheme
    prov = report.analysis.means
    prov = prov[prov["level"] == "province"].set_index("capital")["estimate"]
    if prov.notna().any():
        weak = str(prov.idxmin())
        below = values[weak][marks[weak] == "▼"]
        # as the heatmap prints them (half up), every amphoe printed as low named: "ต่ำที่สุดที่
        # อำเภอเฉลิมพระเกียรติ (22)" beside ถ้ำพรรณรา's 22 in the heatmap (a reader review)
        printed = below.map(lambda v: round_half_up(float(v)))
        low = printed[below.idxmin()] if len(below) else ""
        where = (t("lead.weak_amphoe", amphoe=names_list(t, [  # the lowest first
            t("lead.amphoe_name", name=amph.get(a, a))
            for a in below[printed == low].sort_values(kind="stable").index]), score=low)
                 if len(below) else "")
        found.append(t("lead.weak_capital", capital=sch.capital(weak).label(lang),
                       score=round_half_up(float(prov[weak])), where=where))
    # the most common problems (item level)
    ar = load_action_rules(actions)
    # each share through the round's disclosure step, as the what-to-do pages print it
    items = actions_mod.province_item_shares(report, ar)
    code = report.province.code
    pattern = share_pub.pattern
    ok = [actions_mod.on_pattern(pattern, ar.item(str(i)))
          and not pattern.share_hidden(code, *item_share_cells(str(i))) for i in items.index]
    top = items[ok].sort_values("share", ascending=False, kind="mergesort").head(top_items)
    printed = [actions_mod.item_share(share_pub, code, ar.item(str(i)), float(r["share"]))
               for i, r in top.iterrows()]  # into the ledger: the printed ones only
    if len(top):
        found.append(t("lead.items", items="; ".join(
            t("lead.item", what=ar.item(str(i)).text[lang], share=p.text)
            for i, p in zip(top.index, printed, strict=True))))
    # welfare funds' reach (the share of level-1 households on the round's pattern)
    member1 = hh.loc[hh["level1"] == 1, "welfare_member"]
    if member1.notna().any():
        dom = hh.assign(_l1=hh["level1"].map({1.0: "1", 0.0: "0"}).fillna("x"))
        r = _share(area_design(dom, report.design_spec), "welfare_member", lvl,
                   by="_l1").loc["1"]
        reach = share_pub.share(report.province.code, *welfare_share_cells("1"),
                                float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"]))
        if not reach.hidden:
            # beside every household's share, as the area reports' summaries give it (a share
            # alone gave the committee nothing to compare; a reader review)
            everyone = _share(area_design(hh, report.design_spec), "welfare_member",
                              lvl).iloc[0]
            every = share_pub.share(report.province.code, *welfare_share_cells(None),
                                    float(everyone["estimate"]), float(everyone["ci_low"]),
                                    float(everyone["ci_high"]))
            found.append(t("lead.welfare", share=reach.text, interval=reach_interval(t, reach),
                           all="" if every.hidden else t("lead.welfare_all", share=every.text)))
    # the villages with no fund yet, and the amphoe with the most (the welfare pages counted
    # them, page 1 did not; a provincial committee's review): village-form counts, public
    without, forms, by_amphoe = villages_without_fund(report)
    if without and forms:
        code = report.province.code
        counts = by_amphoe["without_fund"]
        most = counts[counts == counts.max()].index
        names = {"count": "village_forms.villages_without_fund", "of": "village_forms.villages"}
        most_of, share = _most_and_share(
            t, amph, counts, by_amphoe["villages"], t("readiness.areas.village"),
            record=lambda v, what, area: share_pub.public(names[what], v, area=area).text)
        where = "" if len(counts) < 2 else t(  # the most of one amphoe: no news
            "lead.no_fund_most",
            amphoes=names_list(t, [t("lead.amphoe_name", name=amph.get(a, a)) for a in most]),
            most_of=most_of, share=share)
        found.append(t(
            "lead.no_fund", n=share_pub.public("village_forms.villages_without_fund", without,
                                                area=code).text,
            total=share_pub.public("village_forms.villages", forms, area=code).text,
            most=where))
    # programme lists
    progs = load_programmes(programmes)
    rules = load_grade_rules()
    # a programme tambon's level-1 share and need only where its own report publishes them
    grade = dict(zip(tt["tambon_code"], tt["grade"], strict=True))
    flag_rows = []
    for p in progs.programmes:
        listed = sorted(p.tambons)
        surveyed = [c for c in listed if c in grade]
        if listed:
            gc = pd.Series([grade[c] for c in surveyed], dtype=object).value_counts()
            found.append(t("lead.programme", programme=p.label(lang), listed=len(listed),
                           surveyed=len(surveyed), c=int(gc.get("C", 0)))
                         + ("" if p.verified else t("programmes.unverified")))
        names = tam.set_index("code")[f"name_{lang}"]
        row_of = tt.set_index("tambon_code")
        for c in listed:
            r = row_of.loc[c] if c in row_of.index else None
            if r is None:  # not surveyed: nothing to publish or hide
                need, share = "", ""
            else:  # as the tambon ranking prints them (its need also reads M0)
                small = bool(is_small(r["n_households"], thr))
                shown_l1 = level1_share(share_pub, c, float(r["share_level1"]))
                mark = need_markers(report, share_pub, [c], [small], [shown_l1])[0]
                share = report.marker if small else shown_l1.text
                need = mark if need_hidden(share_pub, [c], [small or shown_l1.hidden])[0] \
                    else need_text(t, rules, lang, r["need"], r["need_near_threshold"])
            flag_rows.append({
                t("lead.col.programme"): p.label(lang),
                t("col.tambon"): names.get(c, c),
                t("col.amphoe"): amph.get(c[:4], c[:4]),
                t("readiness.col.grade"): (
                    report.marker if r is not None and small else
                    grade_text(t, r["grade"], r["near_threshold"]) if r is not None
                    else t("lead.not_surveyed")),
                t("readiness.col.need"): need,
                t("col.share_level1"): share,
            })
    found += _change_lead(report)
    one = report.holds_one_amphoe()
    if one:
        # the round holds one amphoe: the province is that amphoe, and a heat map of its
        # differences from the province is one row of zeros (a code review)
        # said right after the coverage: every figure after it is that amphoe's
        only = str(hh["amphoe_code"].iloc[0])
        found.insert(1, t("lead.one_amphoe", amphoe=amph.get(only, only)))
    out.text("\n".join(f"- {s}" for s in found))
    if not one:  # the heat map
        shown = values.copy()
        shown.index = [amph.get(c, c) for c in shown.index]
        shown.columns = [sch.capital(c).label(lang) for c in shown.columns]
        diff = (values - prov.reindex(values.columns).to_numpy()).set_axis(
            shown.index).set_axis(shown.columns, axis=1)
        shown_marks = marks.set_axis(shown.index).set_axis(shown.columns, axis=1)
        # drawn by Typst: its numbers are text in the PDF (charts.capital_heatmap draws the same
        # from the figure's data); numbered, its note kept with it
        markup = charts.capital_heatmap_typst(shown, shade=diff, marks=shown_marks,
                                              colorbar_label=t("lead.heatmap_scale"),
                                              title=t("lead.heatmap"))
        out.parts.append(Figure.from_typst(markup, caption=t("lead.heatmap_note"),
                                           data=charts.heatmap_printed(shown, shown_marks)))
    if flag_rows:
        out.table(pd.DataFrame(flag_rows), t("lead.caption.programmes"),
                  t("lead.notes.programmes"), decimals=0)
    return out.result(estimates=values, details={
        "findings": tuple(found), "marks": marks, "level1": l1, "items": top,
        "flagged": tuple(r[t("col.tambon")] for r in flag_rows),
        "readiness": rc})


def _change_lead(report: ProvinceContext) -> list[str]:
    """Say, on the overview's first page, how the province and its tambons changed.

    The province's own measures that changed beyond the noise (as its change table prints
    them, :func:`abcresearch.reports.sections.findings.change_counts`), then the counts of
    tambons of the overview's change section (:func:`abcresearch.reports.sections.rollout.
    change_overview`), where the provincial committee reads first: the change section sat on
    the report's last pages and the first page said nothing of change (a review). Empty with
    one round; the tambons' counts left out where no tambon could be assessed.
    """
    from abcresearch.reports.sections.findings import change_counts
    from abcresearch.reports.sections.rollout import change_overview, no_more_than_chance

    if report.change_analysis(None) is None:
        return []
    t = report.t
    said = []
    whole = change_counts(report.area_context)
    if whole is not None:
        said.append(t("lead.change_province" if whole["n"] else "lead.change_province_none",
                      **whole))
    over = change_overview(report)
    c = (over.details or {}).get("counts")
    if not c or not c["assessed"]:
        return said
    said.append(t("lead.change", be_from=over.details["round_from"], assessed=c["assessed"],
                  compared=c["compared"], improved=c["improved"], declined=c["declined"],
                  mixed=t("rollout.overview.mixed", mixed=c["mixed"]) if c["mixed"] else "",
                  found=c["beyond"], tests=c["tests"], chance=round_half_up(c["chance"], 0),
                  no_more=no_more_than_chance(t, c["beyond"], c["chance"],
                                              "lead.no_more_than_chance"),
                  section=t("rollout.overview.heading", be=over.details["round_from"])))
    return said


def _most_and_share(t: Any, amph: pd.Series, counts: pd.Series, of: pd.Series, unit: str,
                    record: Callable[[int, str, str], str] | None = None) -> tuple[str, str]:
    """Say of how many the amphoe with the most counts them, and where the share is highest.

    "มากที่สุดที่อำเภอเมืองนครศรีธรรมราช (4 ตำบล)" read as the amphoe most in need while it
    held 4 of its 16 tambons and ลานสกา 2 of 5 (a provincial committee's review): the count
    with its amphoe's total ("4 จาก 16 ตำบล"; tied amphoes, the count each), and the amphoe
    with the highest share where that is another one, alone at the top. Public counts
    (village forms, the ranking's tambons).

    Parameters
    ----------
    t : callable
        The report's labels.
    amph : pandas.Series
        Amphoe names by code.
    counts, of : pandas.Series
        What is counted, and out of how many, by amphoe code.
    unit : str
        What is counted ("ตำบล", "หมู่บ้าน").
    record : callable, optional
        ``record(value, what, amphoe)`` writes a count as printed and puts it in the section's
        ledger (default: written with thousands separators only).

    Returns
    -------
    most_of, share : str
        The parenthesis after the amphoe(s) with the most, and the highest share's clause (or
        empty).
    """
    def write(value: Any, what: str, area: str) -> str:
        return record(int(value), what, area) if record else f"{int(value):,}"

    hi = int(counts.max())
    top = counts.index[counts == hi]
    if len(top) > 1:
        return t("lead.most_each", k=write(hi, "count", str(top[0])), unit=unit), ""
    if top[0] not in of.index:
        return "", ""
    most_of = t("lead.most_of", k=write(hi, "count", str(top[0])),
                of=write(of[top[0]], "of", str(top[0])), unit=unit)
    known = [c for c in counts.index if c in of.index and of[c] > 0]
    shares = pd.Series({c: counts[c] / of[c] for c in known})
    best = shares.index[shares == shares.max()]
    if len(best) != 1 or best[0] == top[0] or counts[best[0]] == 0:
        return most_of, ""
    b = best[0]
    return most_of, t("lead.most_share", amphoe=t("lead.amphoe_name", name=amph.get(b, b)),
                      k=write(counts[b], "count", str(b)), of=write(of[b], "of", str(b)),
                      unit=unit)


def _first_band_amphoes(report: ProvinceContext, amph: pd.Series) -> str:
    """Say which amphoes hold the first support band's tambons, and how many each.

    A provincial committee's review: page 1 said how many tambons come first, not where; the
    amphoe table counts them for every amphoe. The counts are the ranking's (tambons whose
    band it prints); those whose band it hides and which may be in band 1 are said beside
    them. Nothing where the band is empty or the round holds one amphoe.
    """
    from abcresearch.reports.sections.province import first_band_tambons

    counts, unknown = first_band_tambons(report)
    held = counts[counts > 0]
    if held.empty or report.holds_one_amphoe():
        return ""
    t = report.t
    hi, lo = int(held.max()), int(held.min())
    most = names_list(t, [t("lead.amphoe_name", name=amph.get(a, a))
                          for a in sorted(held.index[held == hi])])
    most_of, share = _most_and_share(t, amph, counts,
                                     report.tambon_table.groupby("amphoe_code").size(),
                                    t("readiness.areas.tambon"))
    common = {"n": int(held.sum()), "k": len(held), "of": len(counts), "lo": lo, "hi": hi,
              "most": most, "most_of": most_of, "share": share,
              "amphoes": t("section.amphoe_table")}
    # tambons whose band the ranking hides and may be in band 1: not counted, and said
    rest = t("lead.first_band_unknown", k=unknown) if unknown else ""
    if len(held) == 1:
        return t("lead.first_band_amphoes." + ("single" if hi == 1 else "one"), **common) + rest
    return t("lead.first_band_amphoes" + (".even" if lo == hi else ""), **common) + rest


def _first_band_level1(report: ProvinceContext, pub: Publisher, total: float) -> str:
    """Say how many level-1 households the first support band's tambons hold, of the province's.

    The committee read "high need and group C first" as where the welfare money goes, while
    those tambons held about a third of the level-1 households (a reader review): the sum of
    the band's counts as the tambon ranking prints them, to the unit of the province's printed
    total (at most a thousand), beside that total, and the rest. Arithmetic on printed figures,
    recorded as printed; nothing where any tambon's band is hidden (it may be a first-band
    one), where the band is empty, or where it holds them all.
    """
    from abcresearch.reports.sections.province import area_level1_households, ranking_need_hidden

    tt, hidden, small = ranking_need_hidden(report)
    codes = tt["tambon_code"].astype(str)
    # the tambons' counts as the ranking prints them, read through a probe: the lead prints
    # their sum only, which alone goes into its ledger
    probe = Publisher(report, "first_band")
    # any band hidden: it may be a first-band tambon's (whether it is must not show either)
    first = (tt["priority_band"] == 1).fillna(False).to_numpy(dtype=bool)  # NA: ungraded
    if hidden.any() or not first.any():
        return ""
    counts = area_level1_households(report, probe, codes[first], small[first])
    if not all(c.replace(",", "").isdigit() for c in counts):
        return ""
    # to the unit the printed total is rounded to (its trailing zeros, at most a thousand):
    # "about 40,000 of about 128,000", not "40,270" beside it
    band_value = to_unit_of(sum(int(c.replace(",", "")) for c in counts), total)
    if band_value <= 0 or band_value >= total:
        return ""
    code = report.province.code
    t = report.t
    return t("lead.first_band_level1",
             n=pub.record(f"{int(first.sum()):,}", "tambons in support band 1", code).text,
             count=pub.record(f"{int(band_value):,}", "level-1 households of band 1 (sum of "
                              "the ranking's counts, to the total's unit)", code, "other").text,
             total=f"{int(total):,}",
             rest=pub.record(f"{int(total - band_value):,}", "level-1 households outside "
                             "band 1 (printed total less the band's)", code, "other").text,
             ranking=t("section.tambon_ranking"))
