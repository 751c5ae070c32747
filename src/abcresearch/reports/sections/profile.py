"""Capital profile.

the area's mean score of each capital with its interval, beside the means of comparison areas (its
amphoe and the province by default).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from abcresearch.errors import ReportError
from abcresearch.reports import charts, estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.results import Figure, SectionResult
from abcresearch.reports.sections import SectionBuilder, check_subset
from abcresearch.survey.areas import get_area

__all__ = ["DEFAULT_COMPARE", "capital_profile", "check_capitals", "profile_estimates",
           "published_profile"]

#: Comparison areas of the printed report: the area's amphoe and the province.
DEFAULT_COMPARE = ("amphoe", "province")
_CI = ["estimate", "se", "ci_low", "ci_high"]


def check_capitals(report: AreaContext, capitals: Sequence[str] | None) -> tuple[str, ...]:
    """Return the capitals to show: ``capitals`` (checked against the scheme) or all of them."""
    return check_subset("capitals", capitals, report.capitals)


def _comparison(report: AreaContext, item: str, capitals: Sequence[str]) -> tuple[str, pd.Series,
                                                                                 bool]:
    """Return (column label, means by capital, whether it is the area itself).

    "Itself" also where the round holds no household of the comparison area outside the
    report's area (:meth:`AreaContext.alone_in`): its means are the area's own.
    """
    means = report.analysis.means

    def round_means(level: str, code: str | None = None) -> pd.Series:
        # the round's means of one area, read once per report (the profile and the findings)
        key = ("round_means", level, code, tuple(capitals))
        return report.cached(key, lambda: estimates.round_means(means, capitals, level,
                                                                code)).copy()

    if item == "province":
        return (report.t("col.province"), round_means("province"),
                report.level == "province" or report.alone_in("province"))
    if item == "amphoe":
        if report.level == "province":  # a province has no amphoe of its own
            return report.t("col.amphoe"), pd.Series(float("nan"), index=list(capitals)), True
        return (report.t("col.amphoe"), round_means("amphoe", report.area.code[:4]),
                report.level == "amphoe" or report.alone_in("amphoe"))
    known = set(means.loc[means["level"] == "amphoe", "code"].astype(str))
    if item not in known:
        raise ReportError(f"compare: expected 'amphoe', 'province' or an amphoe code of the "
                          f"round ({', '.join(sorted(known))}), got {item!r}")
    return (report.area_name(get_area(item)), round_means("amphoe", item),
            item == report.area.code
            or (item == report.area.code[:4] and report.alone_in("amphoe")))


def profile_estimates(report: AreaContext, compare: Sequence[str] = DEFAULT_COMPARE,
                      capitals: Sequence[str] | None = None) -> pd.DataFrame:
    """Return the area's capital means (unrounded, unsuppressed) and the comparison areas' means.

    Returns
    -------
    pandas.DataFrame
        Index ``capital``; columns ``estimate, se, ci_low, ci_high, n`` and one column per item
        of ``compare`` (named as the item: ``amphoe``, ``province`` or an amphoe code).
    """
    caps = check_capitals(report, capitals)
    out = report.capital_means(caps)
    for item in compare:
        out[item] = _comparison(report, item, caps)[1].to_numpy()
    return out


def published_profile(report: AreaContext, est: pd.DataFrame,
                      pub: Publisher | None = None) -> pd.DataFrame:
    """Return the profile as published: each mean and interval rounded as printed, NaN where hidden.

    Parameters
    ----------
    report : AreaContext
        The area.
    est : pandas.DataFrame
        :func:`profile_estimates`.
    pub : Publisher, optional
        The section's publisher (its ledger records every number); a new one if None.

    Returns
    -------
    pandas.DataFrame
        Index capital; ``estimate, ci_low, ci_high`` of the area and one column per comparison
        area (the printed values; NaN where hidden), and ``text`` (the area's cell as printed).
    """
    pub = pub or Publisher(report, "capital_profile")
    out = pd.DataFrame(index=est.index)
    texts, values, lows, highs = [], [], [], []
    for cap, r in est.iterrows():
        shown = pub.mean(f"score:{cap}", report.area.code, r["estimate"], r["ci_low"],
                         r["ci_high"])
        texts.append(shown.with_ci)
        values.append(np.nan if shown.hidden else shown.value)
        lows.append(np.nan if shown.hidden or shown.low is None
                    else float(shown.low.replace(",", "")))
        highs.append(np.nan if shown.hidden or shown.high is None
                     else float(shown.high.replace(",", "")))
    out["estimate"], out["ci_low"], out["ci_high"], out["text"] = values, lows, highs, texts
    for item in [c for c in est.columns if c not in (*_CI, "n")]:
        code = _comparison_code(report, item)
        col: list[float | None] = []
        col_text: list[str] = []
        for cap in est.index:
            v = est.loc[cap, item]
            if code is None or not np.isfinite(v):
                col.append(np.nan)
                col_text.append("–")
                continue
            shown = pub.mean(f"score:{cap}", code, v)
            col.append(np.nan if shown.hidden else shown.value)
            col_text.append(shown.text)
        out[item] = col
        out[f"{item}_text"] = col_text
    return out


def _comparison_code(report: AreaContext, item: str) -> str | None:
    """Area code of a comparison item (None when the area has no such comparison)."""
    if item == "province":
        return report.area.code[:2]
    if item == "amphoe":
        return None if report.level == "province" else report.area.code[:4]
    return item


def capital_profile(report: AreaContext, *, compare: Sequence[str] = DEFAULT_COMPARE,
                    capitals: Sequence[str] | None = None) -> SectionResult:
    """Chart and table of the capital means, the area against its comparison areas.

    Parameters
    ----------
    report : AreaContext
        The area.
    compare : sequence of str
        Comparison areas, in column order: ``"amphoe"`` (the area's amphoe), ``"province"``,
        or 4-digit amphoe codes of the round. An area equal to the report's own area is left
        out (an amphoe's report is not compared with itself), as is one whose households in
        the round are all the area's own (a store holding one tambon).
    capitals : sequence of str, optional
        Capital ids to show, in order (default: all, in the scheme's order).
    """
    compare = (compare,) if isinstance(compare, str) else tuple(compare)
    caps = check_capitals(report, capitals)
    pub = Publisher(report, "capital_profile")
    out = SectionBuilder("capital_profile", report.words,
                         {"compare": compare, "capitals": caps})
    out.heading("section.profile")
    found = {item: _comparison(report, item, caps) for item in compare}
    # an amphoe's report compared with "the amphoe" would print its own values twice (a
    # reader review): an area is not compared with itself
    compare = tuple(item for item in compare if not found[item][2])
    est = profile_estimates(report, compare, caps)
    prof = published_profile(report, est, pub)
    names = [report.capital_label(c) for c in prof.index]
    drawn = {item: found[item][0] for item in compare if prof[item].notna().any()}
    chart_data = prof[["estimate", "ci_low", "ci_high", *drawn]].set_axis(names)
    # drawn by Typst's own shapes, as charts.capital_profile_chart draws it in matplotlib
    markup = charts.capital_profile_chart_typst(chart_data, comparisons=drawn,
                                                area_label=report.t("col.area"),
                                                xlabel=report.t("chart.score"))
    # the captions name what is compared: the amphoe and the province, the province alone,
    # other areas chosen, or nothing
    against = ("" if "province" in compare and len(compare) > 1 else
               ".province" if compare == ("province",) else ".areas" if compare else ".none")
    out.parts.append(Figure.from_typst(
        markup, caption=report.t(f"profile.chart_caption{against}"), data=chart_data))
    shown = pd.DataFrame({
        report.t("col.capital"): names,
        report.t("col.area"): prof["text"].to_numpy(),
        **{found[item][0]: prof[f"{item}_text"].to_numpy() for item in compare},
    })
    out.table(shown, report.t(f"cap.profile.caption{against}"),
              f"{report.t('cap.profile.notes')} · {report.t('suppressed.note')}")
    return out.result(estimates=est, published=tuple(pub.entries))
