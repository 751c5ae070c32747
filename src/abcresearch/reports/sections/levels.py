"""Levels and tracks: households by overall level in each area within, the share of households
at each level of each capital, and households on each development track."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from abcresearch.reports import charts, estimates
from abcresearch.reports.context import CHILD_COLUMN, AreaContext
from abcresearch.reports.disclosure import share_mask, suppress_counts, suppress_shares
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.profile import check_capitals

__all__ = ["levels_and_tracks"]

_LEVEL_KEYS = {1: "col.level1", 2: "col.level2", 3: "col.level3", 0: "col.level_missing"}


def levels_and_tracks(report: AreaContext, *,
                      capitals: Sequence[str] | None = None) -> SectionResult:
    """Stacked bars and a table of households by overall level per village (or tambon), the
    capital-level table and the track table, every count suppressed below the threshold.

    Parameters
    ----------
    report : AreaContext
        The area.
    capitals : sequence of str, optional
        Capitals of the capital-level table, in order (default: all).
    """
    t = report.t
    thr = report.threshold
    caps = check_capitals(report, capitals)
    out = SectionBuilder("levels_and_tracks", report.words, {"capitals": caps})
    out.heading("section.levels")
    out.text(t("intro.levels"))
    hh = report.households
    child = CHILD_COLUMN[report.level]
    counts = estimates.level_counts(hh, child)
    counts.columns = [t(_LEVEL_KEYS[c]) for c in counts.columns]
    # disclosure: small counts, their complements, and level-1 shares that would give them back
    shown, mask = suppress_counts(counts, thr)
    total = counts.sum(axis=1)
    share = (counts.iloc[:, 0] / total.where(total > 0)).mask(
        share_mask(counts.iloc[:, 0], total, thr) | mask.iloc[:, 0].to_numpy())
    names = [report.child_name(c) for c in counts.index]
    shown.insert(0, t(f"col.{'tambon' if child == 'tambon_code' else 'village'}"), names)
    shown[t("col.share_level1")] = (100 * share).round(1).to_numpy()
    drawn = counts.div(total.replace(0, np.nan), axis=0).mask(mask) * 100
    out.figure(charts.levels_chart(drawn.set_axis(names)).figure)
    out.table(shown.reset_index(drop=True), t("levels.caption"), t("suppressed.note"),
              decimals=1)
    # capital levels: share of households at each level, area-wide, design-based
    shares, cap_counts, base = estimates.capital_level_shares(report.design, hh, caps,
                                                              report.design_spec.level)
    pub = suppress_shares(100 * shares, cap_counts.to_numpy(), base.to_numpy(), thr)
    cap_tab = pd.DataFrame({t("col.capital"): [report.capital_label(c) for c in caps]})
    for k in (1, 2, 3):
        cap_tab[t(f"col.level{k}")] = pub[k].to_numpy()
    out.table(cap_tab, t("levels.capital_caption"), decimals=1)
    sch = report.analysis.scheme
    tracks = estimates.track_counts(hh, [tr["id"] for tr in sch.tracks])
    tr = pd.DataFrame({t("col.track"): [sch.track_label(i, report.lang) for i in tracks.index],
                       t("col.households"): tracks.to_numpy()})
    shown_tr, _ = suppress_counts(tr[[t("col.households")]], thr)
    tr[t("col.households")] = shown_tr[t("col.households")]
    out.table(tr, t("tracks.caption"), t("suppressed.note"))
    return out.result(estimates=counts, details={"capital_shares": shares,
                                                 "capital_counts": cap_counts,
                                                 "tracks": tracks})
