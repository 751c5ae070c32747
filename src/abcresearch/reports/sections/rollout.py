"""Rolling village samples in the reports.

The design note, the cumulative rollout of the province, and which tambons improved or declined
beyond the noise since an earlier round.

* :func:`methods_note` -- the short methods note of a round, saying which design applies
  (census of villages or two-stage, chosen from the round's frame unless a researcher named
  one) and which household count feeds weights, fpc and coverage;
* :func:`rollout` -- province overview: per round of the store up to this one, the villages
  surveyed (new, re-surveyed), the cumulative villages covered and the households surveyed;
* :func:`change_overview` -- province overview: the tambons whose headline measures
  (``params/change.yaml``) changed beyond the noise since the earlier round, under the same
  disclosure and noise rules as the area report's change section
  (:mod:`abcresearch.reports.sections.change`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from abcresearch.analysis.change import load_change_rules
from abcresearch.analysis.round import RoundAnalysis, round_frame
from abcresearch.analysis.status import load_status_rules
from abcresearch.errors import StoreError
from abcresearch.params import rules_fingerprint
from abcresearch.reports.context import ProvinceContext
from abcresearch.reports.disclosure import Publisher, is_small
from abcresearch.reports.formatting import Words, scheme_version
from abcresearch.reports.render.display import format_number
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections import change as change_section
from abcresearch.reports.sections.common import methods_note as common_methods_note
from abcresearch.reports.sections.common import names_list
from abcresearch.store import load, rounds
from abcresearch.survey.areas import amphoes, tambons

__all__ = ["change_overview", "design_text", "methods_note", "no_more_than_chance", "rollout"]


def design_text(words: Words, analysis: RoundAnalysis, area_row: pd.Series | None = None,
                pub: Publisher | None = None, area_code: str = "",
                calibrated_to: float | None = None) -> str:
    """Return the design paragraph.

    Which design applies and which household count feeds weights, fpc and coverage (and, for
    an area, what its weights add up to: the estimate through ``pub``, the disclosure step of
    the section, and the frame's count as a register figure; with ``calibrated_to``, the
    frame's households its counts are scaled to, :attr:`AreaContext.calibrated`).
    """
    source = words("rollout.design.source_frame" if analysis.has_frame
                   else "rollout.design.source_form")
    d = analysis.design
    key = "rollout.design.two_stage" if d.name == "two_stage" else "rollout.design.census"
    text = words(key, be=analysis.survey_round, source=source,
                 scheme=scheme_version(analysis.scheme), scheme_id=analysis.scheme.scheme_id)
    if d.choice != "auto":
        text += " " + words("rollout.design.chosen")
    if area_row is not None and not area_row.empty and int(area_row["households_surveyed"]) \
            >= (words.threshold or 5):
        code = area_code
        est, total = float(area_row["households_estimated"]), int(area_row["households_total"])
        key = "rollout.design.weights_add_up"
        if calibrated_to is not None:  # its counts are scaled to the frame (AreaContext)
            key, total = "rollout.design.calibrated", int(calibrated_to)
        text += " " + words(
            key,
            estimated=pub.derived("other", "households_estimated", code, est, hidden=False,
                                  fmt="whole").text if pub else format_number(est),
            total=pub.public("households_total", total, area=code).text if pub
            else f"{total:,}")
    return text


def methods_note(words: Words, analysis: RoundAnalysis, area_row: pd.Series | None = None,
                 provenance: str | None = None, report: Any = None) -> SectionResult:
    """Return the short methods note with the design paragraph.

    Under the census design the shared note (:func:`~abcresearch.reports.sections.common.
    methods_note`) describes the design already: the paragraph only adds where the household
    counts come from. Under the two-stage design the paragraph replaces its design sentence.
    The provenance line (data fingerprint, scheme, software version) closes the note either way.
    """
    note = common_methods_note(words, analysis.survey_round, analysis.scheme)
    out = SectionBuilder("methods_note", words)
    pub = Publisher(report, "methods_note") if report is not None else None
    calibrated_to = None
    if report is not None and getattr(report, "calibrated", False):
        calibrated_to = float(report.known_households([report.area.code]).iloc[0])
    if analysis.design.name == "census":
        out.parts.extend(note.parts)
    else:
        out.heading("section.methods")
    out.text(design_text(words, analysis, area_row, pub,
                         area_code=report.area.code if report is not None else "",
                         calibrated_to=calibrated_to))
    if provenance is not None:
        from abcresearch.software import software_label

        out.text("*" + words("cover.provenance_note", fingerprint=provenance,
                             scheme=scheme_version(analysis.scheme), version=software_label(),
                             rules=rules_fingerprint(analysis.scheme.path))
                 + "*")
    return out.result(details={"design": analysis.design.name,
                               "design_choice": analysis.design.choice,
                               "frame": analysis.has_frame},
                      published=tuple(pub.entries) if pub is not None else ())


def _round_rollout(r: int, store: Any) -> dict[str, Any]:
    hh = load(r, store=store, columns=["village_code", "weight"])
    hh = hh[hh["weight"].notna()]
    villages = set(hh["village_code"].astype(str).unique())
    frame = round_frame(r, store)
    new = resurveyed = np.nan
    waves: list[int] = []
    total = np.nan
    if frame is not None:
        total = len(frame)
        sampled = frame[pd.to_numeric(frame["sampled"], errors="coerce") == 1]
        again = (pd.to_numeric(sampled.get("resurvey"), errors="coerce").fillna(0) == 1
                 if "resurvey" in sampled else pd.Series(False, index=sampled.index))
        new, resurveyed = int((~again).sum()), int(again.sum())
        if "wave" in sampled:
            waves = sorted({int(w) for w in pd.to_numeric(sampled.loc[~again, "wave"],
                                                          errors="coerce").dropna()})
    return {"round": r, "villages": villages, "households": len(hh), "new": new,
            "resurveyed": resurveyed, "waves": waves, "frame_villages": total}


def rollout(report: ProvinceContext) -> SectionResult:
    """Return the cumulative rollout.

    Per round up to this one: villages surveyed (new and re-surveyed, the wave), villages
    covered so far and households surveyed.
    """
    t = report.t
    out = SectionBuilder("rollout", report.words)
    out.text(f"## {t('rollout.rollout.heading')}")
    code = report.province.code
    rows, seen = [], set()
    for r in [r for r in rounds(report.store) if r <= report.survey_round]:
        try:
            info = _round_rollout(r, report.store)
        except StoreError:
            continue
        vil = {v for v in info["villages"] if v.startswith(code)}
        seen |= vil
        rows.append({**info, "villages": len(vil), "covered": len(seen)})
    total = rows[-1]["frame_villages"] if rows else np.nan
    if pd.isna(total):
        total = report.status.coverage.villages_total or np.nan
    table = pd.DataFrame({
        t("rollout.rollout.col_round"): [str(x["round"]) for x in rows],
        t("rollout.rollout.col_wave"): [", ".join(map(str, x["waves"])) or "–" for x in rows],
        t("rollout.rollout.col_villages"): [x["villages"] for x in rows],
        t("rollout.rollout.col_new"): pd.array([x["new"] for x in rows], dtype="Int64"),
        t("rollout.rollout.col_resurveyed"): pd.array([x["resurveyed"] for x in rows],
                                                      dtype="Int64"),
        t("rollout.rollout.col_covered"): [x["covered"] for x in rows],
        t("rollout.rollout.col_share"): [100 * x["covered"] / total if total else np.nan
                                         for x in rows],
        t("col.households"): [report.marker if is_small(x["households"], report.threshold)
                              else x["households"] for x in rows],
    })
    out.table(table, t("rollout.rollout.caption"),
              t("rollout.rollout.notes", total=f"{int(total):,}" if pd.notna(total) else "–"),
              decimals=1)
    row = report.areas[report.areas["area_code"] == code]
    if not row.empty and 0 < int(row["strata_surveyed"].iloc[0]) < int(
            row["strata_total"].iloc[0]):
        out.text(t("rollout.warning.partial_strata", surveyed=int(row["strata_surveyed"].iloc[0]),
                   total=int(row["strata_total"].iloc[0])))
    return out.result(estimates=pd.DataFrame([{k: v for k, v in x.items()} for x in rows]))


def _tambon_verdicts(report: ProvinceContext, ch: Any) -> pd.DataFrame:
    rules = load_change_rules()
    msv = load_status_rules().min_sampled_villages
    t = ch.table
    t = t[(t["level"] == "tambon") & t["measure"].isin(rules.headline)
          & t["area_code"].str.startswith(report.province.code) & t["estimate"].notna()]
    if t.empty:
        return t.assign(published=[], estimable=[], beyond=[], way=[])
    hh = ch.households(report.province.code)
    pub = []
    for code, part in t.groupby("area_code", sort=False):
        ok = change_section.publishable_measures(
            hh[hh["tambon_code"] == code], part["measure"], (ch.round_from, ch.round_to),
            report.threshold)
        # and what either round's own reports hid (the tambon's change section hides it too)
        ok &= ~change_section.hidden_in_either_round(
            ch, str(code), part["measure"], report.threshold, getattr(report, "store", None))
        pub.append(ok)
    t = t.assign(published=pd.concat(pub).reindex(t.index).to_numpy())
    thin = (ch.psu == "village") & ((t["villages_from"] < msv) | (t["villages_to"] < msv))
    t = t.assign(estimable=t["published"] & ~thin & t["se"].notna() & t["ci_low"].notna()
                 & t["ci_high"].notna())
    if not ch.same_poverty_line:  # a change of the line is not a change of the tambon
        t = t.assign(estimable=t["estimable"] & (t["measure"] != "poverty_headcount"))
    beyond = t["estimable"] & ((t["ci_low"] > 0) | (t["ci_high"] < 0))
    way = np.sign(t["estimate"]) * t["measure"].map(rules.direction)
    # the intervals as the list prints them (change.within_change_limits; the verdicts stand)
    return change_section.within_change_limits(t.assign(beyond=beyond,
                                                        way=np.where(beyond, way, 0)))


def no_more_than_chance(t: Any, found: int, chance: float,
                        key: str = "rollout.overview.no_more_than_chance") -> str:
    """Say that the changes found are no more than chance alone gives, where they are not.

    "5 of 352 crossed the noise, up to about 18 by chance" was read as five tambons having
    improved (a reader review); the count itself is no evidence of a real change then.
    ``key``: the label saying it (the overview's first page says it its own way). Compared
    with the chance count as printed (rounded half up).
    """
    return t(key) if found <= int(format_number(chance, 0, grouping="")) else ""


def change_overview(report: ProvinceContext, *, compare_round: int | None = None
                    ) -> SectionResult:
    """Return the tambons that improved or declined beyond the noise since an earlier round.

    A tambon improved (declined) when a headline measure of ``params/change.yaml`` changed
    beyond the noise (interval excluding 0) in its better (worse) direction and none went the
    other way; both ways is "mixed". Only published, estimable changes count (the area
    report's rules). No section when no earlier round is in the store.

    Parameters
    ----------
    report : ProvinceContext
        The province.
    compare_round : int, optional
        The earlier round (default the latest earlier round with data in the province).
    """
    t = report.t
    out = SectionBuilder("change_overview", report.words, {"compare_round": compare_round})
    ch = report.change_analysis(compare_round)
    if ch is None:
        return out.result()
    out.text(f"## {t('rollout.overview.heading', be=ch.round_from)}")
    # the province's own numbers first, as its area report prints them: the committee read
    # only which tambons changed, not how the province did (a review)
    whole = report.area_context
    _, rows = change_section.published_change(whole, ch.round_from)
    ledger: list[Any] = []
    if not rows.empty:
        out.text(f"### {t('rollout.overview.province_heading', area=whole.area_name())}")
        ledger += change_section.change_tables(whole, ch, rows, out, section="change_overview")
        out.text(f"### {t('rollout.overview.tambons_heading')}")
    # the overview's first page gives the same counts (overview_lead): worked out once
    v = report.cached(("tambon_verdicts", ch.round_from),
                      lambda: _tambon_verdicts(report, ch)).copy()
    up = (v["way"] > 0).groupby(v["area_code"]).any()
    down = (v["way"] < 0).groupby(v["area_code"]).any()
    verdict = {code: ("mixed" if up[code] and down[code] else "improved" if up[code]
                      else "declined" if down[code] else "none") for code in up.index}
    compared = len(verdict)
    assessed = v.groupby("area_code")["estimable"].any()
    n = pd.Series(verdict, dtype=object)[assessed.reindex(list(verdict)).fillna(False)
                                         .to_numpy(bool)].value_counts()
    improved, declined, mixed = (int(n.get(k, 0)) for k in ("improved", "declined", "mixed"))
    n_assessed = int(assessed.sum())
    left_out = compared - n_assessed
    out.text(t("rollout.overview.counts", compared=compared, be_from=ch.round_from,
               be_to=ch.round_to, assessed=n_assessed,
               not_assessed=t("rollout.overview.not_assessed", n=left_out,
                              min_villages=load_status_rules().min_sampled_villages)
               if left_out else "",
               improved=improved, declined=declined,
               mixed=t("rollout.overview.mixed", mixed=mixed) if mixed else "",
               rest=n_assessed - improved - declined - mixed))
    # each tested change crosses its interval by chance one time in twenty (a review: 30 of
    # 372 tested changes did, where chance alone gives about 19)
    tests = int(v["estimable"].sum())
    found = int(v["beyond"].sum())
    alpha = 1 - float(ch.later.design.level)  # the intervals' level (analysis.change)
    if tests:
        out.text(t("rollout.overview.chance", tests=tests, found=found,
                   chance=format_number(tests * alpha, 0), alpha=f"{100 * alpha:.0f}",
                   no_more=no_more_than_chance(t, found, tests * alpha)))
    shown = v[v["beyond"]].copy()
    details = {"verdicts": verdict, "psu": ch.psu, "round_from": ch.round_from,
               "counts": {"compared": compared, "assessed": n_assessed, "improved": improved,
                          "declined": declined, "mixed": mixed, "tests": tests,
                          "beyond": found,
                          "chance": tests * alpha}}
    if shown.empty:
        return out.result(estimates=v, details=details, published=tuple(ledger))
    names = tambons(report.province.code).set_index("code")[f"name_{report.lang}"]
    amph = amphoes(report.province.code).set_index("code")[f"name_{report.lang}"]
    shown = shown.sort_values(["way", "area_code"], ascending=[False, True])
    table = pd.DataFrame({
        t("col.tambon"): shown["area_code"].map(names).fillna(shown["area_code"]).to_numpy(),
        t("col.amphoe"): shown["area_code"].str.slice(0, 4).map(amph).to_numpy(),
        t("col.measure"): [change_section.measure_label(whole, m) for m in shown["measure"]],
        t("rollout.change.col_change_ci"): [change_section.measure_range_text(t, r)
                                            for _, r in shown.iterrows()],
        t("rollout.overview.col_verdict"): [t("rollout.overview.improved") if w > 0
                                            else t("rollout.overview.declined")
                                            for w in shown["way"]],
    })
    headline = names_list(t, [change_section.measure_label(whole, m)
                              for m in load_change_rules().headline], commas=True)
    out.table(table, t("rollout.overview.caption", be_from=ch.round_from, be_to=ch.round_to,
                       headline=headline),
              t("rollout.overview.notes", be_from=ch.round_from, be_to=ch.round_to)
              # an interval stopped at the most a change can be, said as under the province's
              # own table (a code review)
              + (" " + t("rollout.change.at_limits")
                 if change_section.any_at_limits(shown) else ""))
    # what the list prints, for the disclosure test across rounds (a leak was found here)
    ledger += change_section.change_ledger("change_overview",
                                           shown.drop(columns=["estimate_from", "estimate_to"],
                                                      errors="ignore"))
    return out.result(estimates=v, details=details, published=tuple(ledger))
