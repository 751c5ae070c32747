"""Key findings.

plain-language sentences built only from numbers published through the disclosure step (a sentence
whose number is hidden is left out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from abcresearch.reports.context import CHILD_COLUMN, AreaContext
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.results import FindingsResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.common import names_list, within_words
from abcresearch.reports.sections.deprivation import af_cut_text, af_published
from abcresearch.reports.sections.income import poverty_published
from abcresearch.reports.sections.levels import (
    level1_households,
    level1_printed,
    level1_share,
    to_unit_of,
)
from abcresearch.reports.sections.profile import profile_estimates, published_profile
from abcresearch.reports.sections.readiness import (
    high_need_outside_c,
    high_need_ungraded,
    in_published_order,
    none_in_group_c,
    published_reason,
)
from abcresearch.reports.sections.smallarea import model_headline
from abcresearch.scoring.grade_rules import load_grade_rules

__all__ = ["NAMED_CHANGES", "change_counts", "key_findings", "relative_capitals"]


def relative_capitals(prof: pd.DataFrame) -> tuple[str, str] | None:
    """Return the capitals furthest above and below the province average (published values).

    A capital is judged against the province, not by its raw score: a capital that scores
    low everywhere (e.g. local wisdom) is not "weakest" in every area for that reason alone.

    Parameters
    ----------
    prof : pandas.DataFrame
        :func:`~abcresearch.reports.sections.profile.published_profile` with a ``province``
        column.

    Returns
    -------
    (str, str) or None
        ``(strongest, weakest)`` capital ids; None when fewer than two capitals can be compared.
    """
    ok = prof.dropna(subset=["estimate", "province"])
    if len(ok) < 2:
        return None
    # the differences of the printed values, to the float noise of a subtraction: 45.1 - 48.3
    # and 25.7 - 28.9 are the same -3.2, and the capital named first is the one listed first
    diff = (ok["estimate"] - ok["province"]).round(9)
    return str(diff.idxmax()), str(diff.idxmin())


def _clear(prof: pd.DataFrame) -> dict[str, pd.Series]:
    """Capitals whose interval lies wholly below / above the province's mean (published)."""
    ok = prof.dropna(subset=["estimate", "province"])
    return {"below": ok["ci_high"] < ok["province"], "above": ok["ci_low"] > ok["province"]}


def key_findings(report: AreaContext, *, priority_areas: int = 3) -> FindingsResult:
    """Return the key findings as sentences.

    On the grade, the capitals against the province, level-1 households, multidimensional
    and income poverty, and priority areas.

    Parameters
    ----------
    report : AreaContext
        The area.
    priority_areas : int
        How many C-graded areas within (tambon and amphoe reports) to name, in priority order.
    """
    t = report.t
    pub = Publisher(report, "key_findings")
    out = SectionBuilder("key_findings", report.words, {"priority_areas": priority_areas})
    out.heading("section.findings")
    found: list[str] = []
    code = report.area.code
    # a store holding this area alone: nothing compared, nor in the ledger as published
    alone = report.alone_in("province")  # never at the province level
    # the province only: the findings compare with it, and never print the amphoe's means (a
    # code review: they were recorded in the ledger as published)
    prof = published_profile(report, profile_estimates(
        report, () if alone else ("province",)), pub)
    l1 = report.level1_estimate
    if not pub.pattern.publishable(code):
        found.append(t("find.too_few"))
        out.text(f"*{t('intro.findings')}*\n\n" + "\n".join(f"- {s}" for s in found))
        return out.result(FindingsResult, findings=tuple(found), estimates=prof,
                          details={"level1": l1}, published=tuple(pub.entries))
    row = report.grade_row
    l1_row = l1.iloc[0]
    l1_shown = level1_share(pub, code, l1_row["estimate"], l1_row["ci_low"], l1_row["ci_high"])
    m0_hidden = pub.pattern.hidden("m0", code)
    if row is not None and not pd.isna(row.get("grade")) and not l1_shown.hidden \
            and not m0_hidden:
        reason = published_reason(pub, row, code, report, load_grade_rules())
        found.append(t("find.grade", area=report.area_name(),
                       grade=row[f"grade_label_{report.lang}"], reason=reason))
    if alone:
        # a store holding this area only: "every capital is at the province average" compared
        # the area with itself (a fresh user's walk-through)
        found.append(t("find.alone" + (".amphoe" if report.level == "amphoe" else ""),
                       area=report.area_name()))
    elif report.level != "province":
        said: set[str] = set()  # sides whose one clear capital the first sentence names
        pair = relative_capitals(prof)
        if pair is not None:
            best, worst = pair
            # "furthest above" only for a capital above the province: when every capital is
            # below (the furthest above still is) or above it, the sentence says so instead; the
            # gaps are those of the printed values ("furthest below ... 48.3 against 48.3" was
            # said of a capital level with the province once both were rounded)
            gap = (prof["estimate"] - prof["province"]).round(9)
            # "every capital" only when every capital is published; else "every one shown"
            every = "all" if gap.notna().all() else "shown"
            above, below = gap[best] > 0, gap[worst] < 0
            shown = "_shown" if every == "shown" else ""  # "no capital" of those shown
            key = (f"find.strongest_{every}_below" if gap[best] < 0 else
                   f"find.strongest_{every}_above" if gap[worst] > 0 else
                   "find.strongest" if above and below else
                   f"find.strongest_none_below{shown}" if above else
                   f"find.strongest_none_above{shown}" if below else
                   f"find.strongest_none{shown}")
            # the only capital below (above) it is not "the one furthest below" (a reader
            # review of an amphoe with one capital below the province); said only where every
            # capital is shown
            if key == "find.strongest" and every == "all":
                ones = ("_above" if (gap > 0).sum() == 1 else "") + (
                    "_below" if (gap < 0).sum() == 1 else "")
                key = f"{key}.one{ones}" if ones else key
            # a difference whose interval holds the province's mean is said to be one: not
            # "lacking most" for 58.1 against 58.4 without a word on the margin of error; and
            # the one capital clearly below (above) the province, when it is the one named
            # here, is said to be clearly so here, not again in a bullet of its own with the
            # same numbers (a reader review of an amphoe report)
            sole = {side: clear.index[clear].tolist() for side, clear in _clear(prof).items()}

            def group(cap: str) -> list[str]:  # the capital and those printed as far off
                return [c for c in gap.index if gap[c] == gap[cap]]

            # (the one clear capital may be any of a group printed as far off: a code review)
            if gap[worst] < 0 and len(sole["below"]) == 1 and sole["below"][0] in group(worst):
                said.add("below")
            if gap[best] > 0 and len(sole["above"]) == 1 and sole["above"][0] in group(best):
                said.add("above")
            # every capital below (above) it, each clearly: said here once
            for side in ("below", "above"):
                if key == f"find.strongest_all_{side}" and len(sole[side]) == len(prof) > 1:
                    key = f"{key}.clear"
                    said.add(side)

            def note(cap: str) -> str:
                lo, hi, pv = (prof.loc[cap, k] for k in ("ci_low", "ci_high", "province"))
                unclear = pd.notna(lo) and pd.notna(hi) and lo <= pv <= hi
                if unclear:
                    return t("find.within_margin")
                side = "below" if gap[cap] < 0 else "above"
                return t("find.beyond_margin") if side in said and sole[side] == [cap] else ""

            def named(cap: str) -> tuple[str, str]:
                # the capital's name, with any other printed as far from the province before
                # it ("ทุนวัฒนธรรม (45.1 เทียบกับ 48.3) และทุนภูมิปัญญา": naming one of two equal
                # gaps as the closest read as a slip, a reader review), and whose figures follow
                tied = [c for c in group(cap) if c != cap]
                if not tied or gap[best] == gap[worst]:  # every gap alike: no closest
                    return report.capital_label(cap), cap
                *first, last = [cap, *tied]
                return names_list(t, [t("find.capital_against", capital=report.capital_label(c),
                                        score=_text(prof, c), province=_text(prof, c, "province"),
                                        note=note(c)) for c in first]
                                  + [report.capital_label(last)]), last

            best_text, best_last = named(best)
            worst_text, worst_last = named(worst)
            # furthest above the province yet the area's lowest capital: said here, where it is
            # first called the strongest (a reader review read it as a strength); and every
            # capital below it, the closest to it the lowest all the same (a village
            # committee's review read "closest to the province" as good news)
            lowest = t("find.strongest.lowest") if best_last == best \
                and _lowest_printed(prof, best) else ""
            found.append(t(key, capital=best_text,
                           score=_text(prof, best_last),
                           province=_text(prof, best_last, "province"),
                           weak=worst_text, weak_score=_text(prof, worst_last),
                           weak_province=_text(prof, worst_last, "province"),
                           note=note(best_last) + lowest, weak_note=note(worst_last)))
        ok = prof.dropna(subset=["estimate", "province"])
        # every capital clearly below (above) the province is counted, not only the furthest:
        # naming one of seven read as "the other six are not clearly below"
        for side, clear in _clear(prof).items():
            gaps = (ok["estimate"] - ok["province"])[clear].abs().sort_values(ascending=False)
            if gaps.empty or side in said:
                continue
            cap = gaps.index[0]
            every_one = len(gaps) == len(prof) and len(gaps) > 1
            key = (f"find.{side}_province" if len(gaps) == 1 else
                   f"find.{side}_province_all" if every_one else f"find.{side}_province_some")
            found.append(t(key, n=len(gaps), capital=report.capital_label(cap),
                           score=_text(prof, cap), province=_text(prof, cap, "province"),
                           capitals=names_list(t, [report.capital_label(c) for c in gaps.index]),
                           spread=_spread(t, pub, prof, gaps.index, code)))
    measures = 0  # poverty shares printed (level 1, multidimensional, income line)
    level1_said: float | None = None  # the area's level-1 households as the findings print them
    headline = model_headline(report)  # a tambon on too few villages leads with the model
    if headline is not None and "share_level1" in headline:
        h = headline["share_level1"]
        found.append(t("find.level1_model", **{
            k: pub.record(str(h[k]), f"model.share_level1.{name}", code, "other").text
            for k, name in (("text", "estimate"), ("low", "ci_low"), ("high", "ci_high"))}))
        measures += 1
    elif not l1_shown.hidden and l1_shown.low is not None:
        w, _ = report.weighted_counts("overall_level")
        count = level1_households(pub, code, float(w.iloc[0].get("1", 0.0)),
                                  float(l1_row["estimate"]), float(l1_row["ci_low"]),
                                  float(l1_row["ci_high"]))
        if not count.hidden and l1_shown.with_ci == l1_shown.text:
            # an interval narrower than the digits printed says nothing: not "30 (30–30)"
            found.append(t("find.level1_point", share=l1_shown.text, count=count.text))
            measures += 1
        elif not count.hidden:
            found.append(t("find.level1", share=l1_shown.text, low=l1_shown.low,
                           high=l1_shown.high, count=count.text))
            measures += 1
        if not count.hidden and count.value is not None:
            level1_said = float(count.value)
    af = af_published(report, pub)
    if af["H"].value is not None and af["H"].value > 0 and not af["A"].hidden \
            and af["top"] is not None:
        dims = len(report.capitals)
        a_count = pub.derived("other", "A_count", code,
                              report.af_result.A["estimate"].iloc[0] * dims, False, "whole")
        found.append(t("find.m0", h=af["H"].text, count=a_count.text, dims=dims,
                       capital=names_list(t, [report.capital_label(c) for c in af["top"]]))
                     + _above_yet_lacking(report, prof, list(af["top"]), alone))
        measures += 1
    pov = poverty_published(report, pub)
    if pov is not None and not pov.hidden and report.poverty_estimate is not None:
        # an unverified line says so where it is first met, not only in the income table's
        # notes pages later (a reader review)
        unverified = "" if report.poverty_estimate.get("verified") else t("find.line_unverified")
        found.append(t("find.poverty", share=pov.text, note=unverified,
                       line=pub.public("poverty_line", report.poverty_estimate["line"]).text))
        measures += 1
    if measures >= 2 and report.af_result is not None:
        # three shares of "poor" households side by side: say why they differ
        found.append(t("find.measures", cut=af_cut_text(t, report.af_result)))
    if report.level in ("tambon", "amphoe"):
        # in priority order with the areas whose band is hidden last: whether and where one of
        # them is named would tell its band
        kids = in_published_order(report, report.children.reset_index(drop=True),
                                  report.households, CHILD_COLUMN[report.level])
        kids = kids[[pub.pattern.publishable(c) for c in kids["code"]]]
        in_c = kids[kids["grade"] == "C"]
        # "A, B, C and 1 more" hides a name where there is room for it: one more is named
        first = in_c.head(priority_areas + (len(in_c) == priority_areas + 1))
        unit = within_words(report)
        names = ", ".join(report.child_name(c) for c in first["code"]) or t("find.none")
        if len(in_c) > len(first):  # the list is the first in priority order: say so
            names += t("find.priority_more", more=len(in_c) - len(first), unit=unit)
        found.append(t("find.priority", areas=names, areas_word=unit.capitalize()))
        # areas of high need outside group C: the C list leaves them out
        high = high_need_outside_c(report, pub, priority_areas, kids)
        if high is not None:
            key = "find.high_need_no_c" if in_c.empty and none_in_group_c(report, pub) \
                else "find.high_need"
            found.append(t(key, areas=high, areas_word=unit.capitalize()))
        ungraded = high_need_ungraded(report, pub, priority_areas, kids)
        if ungraded is not None:
            found.append(t("find.high_need_ungraded", areas=ungraded,
                           areas_word=unit.capitalize()))
        share = _high_need_share(report, pub, kids, unit, level1_said)
        if share:
            found.append(share)
    change = _change_finding(report)
    if change:
        found.append(change)
    out.text(f"*{t('intro.findings')}*\n\n" + "\n".join(f"- {s}" for s in found))
    return out.result(FindingsResult, findings=tuple(found), estimates=prof,
                      details={"level1": l1}, published=tuple(pub.entries))


NAMED_CHANGES = 4
"""The findings name the measures that changed where no more than this many did."""


def _change_finding(report: AreaContext) -> str:
    """Say what changed since the earlier round, as the change section's table prints it.

    The key findings said nothing of the change between rounds, which sat on the report's last
    pages (a review of a re-surveyed tambon). See :func:`change_counts`.
    """
    said = change_counts(report)
    if said is None:
        return ""
    return report.t("find.change" if said["n"] else "find.change_none", **said)


def change_counts(report: AreaContext) -> dict[str, Any] | None:
    """Count the area's measures that changed beyond the noise since the earlier round.

    From the published rows of :func:`abcresearch.reports.sections.change.published_change`
    (what either round hid stays hidden): the fields of the labels ``find.change`` (``n``
    measures, ``ways`` better and worse, ``rest``: whether other measures stayed within the
    noise) and ``find.change_none`` (``n`` = 0), with ``be_from`` and the change section's
    heading (``section``). None where the area has no earlier round or no change could be
    estimated. The province overview's first page says the province's with them.
    """
    from abcresearch.analysis.change import load_change_rules
    from abcresearch.reports.sections.change import measure_label, published_change

    if report.compare_round() is None:
        return None
    ch, rows = published_change(report, None)
    if ch is None or rows.empty or not rows["estimable"].any():
        return None
    t = report.t
    section = t("rollout.change.heading", be=ch.round_from)
    beyond = rows[rows["beyond_noise"]]
    tested = int(rows["estimable"].sum())
    if beyond.empty:
        return {"be_from": ch.round_from, "section": section, "n": 0, "of": tested,
                "ways": "", "rest": ""}
    rules = load_change_rules()
    way = [rules.direction(m) * (1 if e > 0 else -1)
           for m, e in zip(beyond["measure"], beyond["estimate"], strict=True)]
    ways = []
    for name, sign in (("better", 1), ("worse", -1), ("neither", 0)):
        which = [m for m, w in zip(beyond["measure"], way, strict=True) if w == sign]
        if not which:
            continue
        said = t(f"find.change.{name}", k=len(which))
        # the measures named where they are few ("ดีขึ้น 3" named none: a reader review)
        if len(beyond) <= NAMED_CHANGES:
            said = t("find.change.named", way=said,
                     names=names_list(t, [measure_label(report, m) for m in which],
                                      commas=True))
        ways.append(said)
    rest = t("find.change.rest") if (rows["estimable"] & ~rows["beyond_noise"]).any() else ""
    return {"be_from": ch.round_from, "n": len(beyond), "of": tested,
            "ways": " · ".join(ways), "rest": rest, "section": section}


def _high_need_share(report: AreaContext, pub: Publisher, kids: pd.DataFrame, unit: str,
                     total: float | None) -> str:
    """Say how many of the area's level-1 households its high-need areas within hold.

    Arithmetic on printed figures only: the level-1 counts of the high-need areas as the
    levels table prints them, added up and rounded to the unit of the area's count as the
    findings print it (``total``: "ราว 10,600", not the table's 10,630 beside it), the rest,
    and the other area holding the most. Nothing where any area's need or count is hidden (a
    hidden one may be of high need), where none or every area is of high need, or where the
    sum is not below the total.

    Parameters
    ----------
    report : AreaContext
        A tambon or an amphoe.
    pub : Publisher
        The findings' publisher (every number printed goes into its ledger).
    kids : pandas.DataFrame
        The areas within, publishable, in published order.
    unit : str
        Their word ("หมู่บ้าน", "ตำบล").
    total : float or None
        The area's level-1 households as the findings print them (None: not printed).

    Returns
    -------
    str
        The sentence, or empty.
    """
    from abcresearch.reports.sections.readiness import need_hidden, published_level1

    if total is None or len(kids) != len(report.children) or len(kids) < 2:
        return ""  # an area left out of the list may be of high need
    col = CHILD_COLUMN[report.level]
    probe = Publisher(report, "high_need_share_probe")
    codes = [str(c) for c in kids["code"]]
    _small, hid, _shares = published_level1(probe, kids, report.households, col, with_ci=False)
    if need_hidden(probe, codes, hid).any():
        return ""
    high = (kids["need"] == "high").to_numpy()
    if not high.any() or high.all():
        return ""
    w, _ = report.weighted_counts("overall_level", by=col)

    def printed(code: str) -> int | None:
        if code not in w.index or "1" not in w.columns:
            return None
        shown = level1_printed(report, code, float(w.loc[code, "1"]))
        digits = shown.text.replace(",", "")
        return int(digits) if not shown.hidden and digits.isdigit() else None

    counts = [printed(c) for c in codes]
    if any(c is None for c in counts):
        return ""
    summed = to_unit_of(sum(c for c, h in zip(counts, high, strict=True) if h and c), total)
    if not 0 < summed < total:
        return ""
    code = report.area.code
    t = report.t
    rest = pub.record(f"{int(total - summed):,}", "level-1 households outside the high-need "
                      "areas within (printed total less their sum)", code, "other").text
    others = [(c, n) for c, n, h in zip(codes, counts, high, strict=True) if not h and n]
    most = ""
    top = max((n for _, n in others), default=0)
    if top > 0 and sum(n == top for _, n in others) == 1:
        name = next(c for c, n in others if n == top)
        most = t("find.high_need_share.most", name=report.child_name(name), count=pub.record(
            f"{top:,}", "level-1 households of an area within (the levels table)", name,
            "other").text)
    shown_total = pub.record(f"{int(total):,}", "level-1 households (as the findings print "
                             "them)", code, "other").text
    if high.sum() == 1:  # its count is beside its name in the line above
        return t("find.high_need_share.one", unit=unit, total=shown_total, rest=rest,
                 most=most, name=report.child_name(codes[int(high.argmax())]))
    in_c = int(((kids["grade"] == "C").to_numpy() & high).sum())
    return t("find.high_need_share", areas_word=unit.capitalize(), unit=unit,
             n=pub.record(f"{int(high.sum()):,}", "areas within of high need", code).text,
             in_c=t("find.high_need_share.in_c", k=in_c, unit=unit) if in_c else "",
             count=pub.record(f"{int(summed):,}", "level-1 households of the high-need areas "
                              "within (sum of the levels table's counts, to the total's unit)",
                              code, "other").text,
             total=shown_total, rest=rest, most=most)


def _above_yet_lacking(report: AreaContext, prof: pd.DataFrame, top: list[str],
                       alone: bool) -> str:
    """Say why the capital the poor lack most can be one above the province.

    "Furthest above the province: local wisdom (39.8 against 28.9)" and, three bullets later,
    "the poor lack local wisdom most often" read as two opposite messages (a reader review):
    above the province is not high. Where the one capital lacked most is printed above the
    province, the sentence says so, and whether it is the area's lowest capital.
    """
    t = report.t
    if alone or report.level == "province" or len(top) != 1 or top[0] not in prof.index:
        return ""
    cap = top[0]
    est, prov, low = (prof.loc[cap, k] for k in ("estimate", "province", "ci_low"))
    # above the province beyond the margin of error only (the other findings say "within the
    # margin" of a capital whose interval holds the province's mean)
    if pd.isna(est) or pd.isna(prov) or _text(prof, cap) == _text(prof, cap, "province") \
            or est <= prov or (pd.notna(low) and low <= prov):
        return ""

    return t("find.m0.above_lowest" if _lowest_printed(prof, cap) else "find.m0.above",
             score=_text(prof, cap))


def _spread(t: Any, pub: Publisher, prof: pd.DataFrame, caps: Sequence[str], area: str) -> str:
    """Return how far the capitals are from the province, in points of 100, as printed.

    The differences of the printed scores ("1.3-2.9"): "six capitals above the province
    beyond the margin of error" beside "no item clearly better" read as a contradiction while
    the scores were a few points apart (the provincial committee's review). Differences of
    printed figures, recorded as figures the attack leaves alone.
    """
    try:
        diffs = sorted(abs(float(_text(prof, c)) - float(_text(prof, c, "province")))
                       for c in caps)
    except ValueError:  # a hidden capital's marker: no spread
        return ""
    if not diffs:
        return ""
    low, high = (pub.record(f"{d:.1f}", "capital score minus province (as printed)", area,
                            kind="other").text for d in (diffs[0], diffs[-1]))
    # every difference under small_score_gap points: said to be small (beyond the sampling
    # error is not far: a provincial committee's review)
    small = "_small" if float(high) < pub.rules.small_score_gap else ""
    if low == high:
        return t(f"find.spread{small}_one", low=low)
    # a capital clearly off the province yet printed level with it: "0.0-2.9" would say it is
    # not off at all
    key = "find.spread" + (f"{small}_upto" if float(low) == 0 else small)
    return t(key, low=low, high=high)


def _lowest_printed(prof: pd.DataFrame, cap: str) -> bool:
    """Whether ``cap`` is the area's lowest capital as printed, and the only one that low."""
    def printed(c: str) -> float:
        try:
            return float(_text(prof, c).replace(",", ""))
        except ValueError:  # a hidden capital's marker
            return float("nan")

    shown = pd.Series({c: printed(c) for c in prof.index})
    return bool(shown.notna().all() and shown[cap] == shown.min()
                and (shown == shown.min()).sum() == 1)


def _text(prof: pd.DataFrame, cap: str, column: str | None = None) -> str:
    """Return a published number of the profile as printed."""
    if column is None:
        return str(prof.loc[cap, "text"]).split(" (")[0]
    return str(prof.loc[cap, f"{column}_text"])

