"""Data quality.

households on the village forms and in the sample, households left out of the estimates, household
rows rejected at ingest, and missing capital scores -- every count through the disclosure step (a
count of 1 to 4 households is not shown, nor one that would give it back).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from abcresearch.reports import estimates
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.levels import LEVEL_CATEGORIES
from abcresearch.reports.sections.profile import check_capitals

if TYPE_CHECKING:
    from abcresearch.reports.item_rules import ActionRules

__all__ = ["data_quality"]


def data_quality(report: AreaContext, *, capitals: Sequence[str] | None = None) -> SectionResult:
    """Table of counts and table of the share of households whose capital score is missing.

    Parameters
    ----------
    report : AreaContext
        The area.
    capitals : sequence of str, optional
        Capitals of the missing-score table, in order (default: all).
    """
    t = report.t
    caps = check_capitals(report, capitals)
    pub = Publisher(report, "data_quality")
    code = report.area.code
    out = SectionBuilder("data_quality", report.words, {"capitals": caps})
    out.heading("section.quality")
    form = estimates.households_on_forms(report.village_forms)
    rejected_area = code if len(code) <= 6 else code[:6]
    rows = [
        # a form's count left blank at ingest (unusable; the frame weights its village): no
        # sum, which would count it as 0
        (t("m.households_form"),
         "–" if np.isnan(form) else pub.public("households_form", form).text),
        (t("m.households_surveyed"), pub.n(code).text),
        (t("m.households_unweighted"), pub.count("unweighted", code).text),
        (t("m.rejected_tambon" if len(code) == 8 else "m.rejected_area"),
         pub.count("rejected", rejected_area).text),
    ]
    counts = pd.DataFrame({t("col.measure"): [r[0] for r in rows],
                           t("col.value"): [r[1] for r in rows]})
    blank = "quality.notes.no_form" if report.village_forms.empty else "quality.notes.form_blank"
    notes = t("quality.notes") + (f" · {t(blank)}" if np.isnan(form) else "")
    out.table(counts, t("quality.caption"), notes)
    check = _form_check_text(report, pub)
    if check:
        out.text(check)
    miss = estimates.missing_shares(report.households, caps)
    shown = []
    for cap in caps:
        m = f"level:{cap}"
        w, _ = report.weighted_counts(m)
        w = w.reindex(columns=list(LEVEL_CATEGORIES), fill_value=0.0).iloc[0]
        total = float(w.sum())
        shown.append(pub.share(code, [(m, estimates.NA)], [(m, k) for k in LEVEL_CATEGORIES],
                               w[estimates.NA] / total if total > 0 else np.nan).text)
    out.table(pd.DataFrame({t("col.capital"): [report.capital_label(c) for c in caps],
                            t("col.missing"): shown}),
              t("quality.missing_caption"), t("suppressed.note"))
    return out.result(estimates=miss.to_frame("missing"), published=tuple(pub.entries),
                      details={"households_form": form})


def _form_check_text(report: AreaContext, pub: Publisher, rules: ActionRules | None = None
                     ) -> str:
    """Ask for a village form's count of 0 to be checked where its households say otherwise.

    ``form_check`` of ``params/actions.yaml``: a group C village whose form gave 0 forums a
    year, where 62% of its households said they had taken part in one, disputed its group (a
    reader review). A village report only, where the households' share of the item is
    published; the share is printed as the "what to do" page prints it (the share failing).
    """
    from abcresearch.reports.item_rules import load_action_rules
    from abcresearch.reports.sections.actions import area_item_shares

    ar = rules or load_action_rules()
    check = ar.form_check
    forms = report.village_forms
    if (check is None or report.level != "village" or len(forms) != 1
            or check.form_field not in forms.columns):
        return ""
    value = pd.to_numeric(forms[check.form_field], errors="coerce").iloc[0]
    shares = area_item_shares(report, ar)
    if value != 0 or check.item not in shares.index:
        return ""
    row = shares.loc[check.item]
    if bool(row["hidden"]) or not np.isfinite(row["estimate"]) \
            or 1.0 - float(row["estimate"]) < check.passing_at_least:
        return ""
    shown = pub.share(report.area.code, *estimates.item_share_cells(check.item),
                      float(row["estimate"]))
    return report.t(f"quality.form_check.{check.item}", share=shown.text)
