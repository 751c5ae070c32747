"""Capital profile: the area's mean score of each capital with its interval, beside the means
of comparison areas (its amphoe and the province by default)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from abcresearch.errors import ReportError
from abcresearch.reports import charts, estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import suppress_by_base
from abcresearch.reports.formatting import fmt_ci
from abcresearch.reports.results import SectionResult
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
    """Return (column label, means by capital, whether it is the area itself)."""
    means = report.analysis.means
    if item == "province":
        return (report.t("col.province"), estimates.round_means(means, capitals, "province"),
                report.level == "province")
    if item == "amphoe":
        if report.level == "province":  # a province has no amphoe of its own
            return report.t("col.amphoe"), pd.Series(float("nan"), index=list(capitals)), True
        return (report.t("col.amphoe"),
                estimates.round_means(means, capitals, "amphoe", report.area.code[:4]),
                report.level == "amphoe")
    known = set(means.loc[means["level"] == "amphoe", "code"].astype(str))
    if item not in known:
        raise ReportError(f"compare: expected 'amphoe', 'province' or an amphoe code of the "
                          f"round ({', '.join(sorted(known))}), got {item!r}")
    return (report.area_name(get_area(item)),
            estimates.round_means(means, capitals, "amphoe", item), item == report.area.code)


def profile_estimates(report: AreaContext, compare: Sequence[str] = DEFAULT_COMPARE,
                      capitals: Sequence[str] | None = None) -> pd.DataFrame:
    """The area's capital means (unrounded, unsuppressed) and the comparison areas' means.

    Returns
    -------
    pandas.DataFrame
        Index ``capital``; columns ``estimate, se, ci_low, ci_high, n`` and one column per item
        of ``compare`` (named as the item: ``amphoe``, ``province`` or an amphoe code).
    """
    caps = check_capitals(report, capitals)
    out = estimates.capital_means(report.design, caps, report.design_spec.level)
    for item in compare:
        out[item] = _comparison(report, item, caps)[1].to_numpy()
    return out


def published_profile(report: AreaContext, est: pd.DataFrame) -> pd.DataFrame:
    """The profile as it may be published: the area's figures blanked where its base is small."""
    out = est.copy()
    out[_CI] = suppress_by_base(out[_CI], out["n"], report.threshold)
    return out


def capital_profile(report: AreaContext, *, compare: Sequence[str] = DEFAULT_COMPARE,
                    capitals: Sequence[str] | None = None) -> SectionResult:
    """Chart and table of the capital means, the area against its comparison areas.

    Parameters
    ----------
    report : AreaContext
        The area.
    compare : sequence of str
        Comparison areas, in column order: ``"amphoe"`` (the area's amphoe), ``"province"``,
        or 4-digit amphoe codes of the round. Areas equal to the report's own area are listed in
        the table but not drawn.
    capitals : sequence of str, optional
        Capital ids to show, in order (default: all, in the scheme's order).
    """
    compare = (compare,) if isinstance(compare, str) else tuple(compare)
    caps = check_capitals(report, capitals)
    out = SectionBuilder("capital_profile", report.words,
                         {"compare": compare, "capitals": caps})
    out.heading("section.profile")
    est = profile_estimates(report, compare, caps)
    prof = published_profile(report, est)
    names = [report.capital_label(c) for c in prof.index]
    found = {item: _comparison(report, item, caps) for item in compare}
    drawn = {item: label for item, (label, values, itself) in found.items()
             if not itself and values.notna().any()}
    ax = charts.capital_profile_chart(prof.set_axis(names), comparisons=drawn,
                                      area_label=report.t("col.area"),
                                      xlabel=report.t("chart.score"))
    out.figure(ax.figure)
    shown = pd.DataFrame({
        report.t("col.capital"): names,
        report.t("col.area"): [fmt_ci(r.estimate, r.ci_low, r.ci_high, hidden=report.marker)
                               for r in prof.itertuples()],
        **{found[item][0]: prof[item].to_numpy() for item in compare},
    })
    out.table(shown, report.t("cap.profile.caption"), report.t("cap.profile.notes"), decimals=1)
    return out.result(estimates=est)
