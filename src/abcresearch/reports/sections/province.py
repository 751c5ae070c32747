"""Sections of the province overview.

cover, A/B/C grade map, amphoe table, tambon ranking, and the data-driven typology beside the rule-
based grades.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from abcresearch.errors import InputError, ReportError
from abcresearch.labels import HalfUp
from abcresearch.reports import charts
from abcresearch.reports.context import ProvinceContext, calibration_factor
from abcresearch.reports.disclosure import NO_DATA, Publisher, marker
from abcresearch.reports.formatting import with_aside
from abcresearch.reports.render.display import report_header
from abcresearch.reports.results import Figure, SectionResult
from abcresearch.reports.sections import SectionBuilder, check_limit, check_subset
from abcresearch.reports.sections.common import cover_block, names_list
from abcresearch.reports.sections.levels import level1_share
from abcresearch.scoring.grade_rules import load_grade_rules
from abcresearch.survey.areas import amphoes, tambons

__all__ = ["amphoe_table", "area_level1_households", "boundary_polygons", "cover",
           "first_band_tambons", "grade_map", "ranking_need_hidden",
           "rules_vs_typology", "tambon_ranking"]


def cover(report: ProvinceContext) -> SectionResult:
    """Return the cover: province, round, counts, grade counts, synthetic banner."""
    t = report.t
    p = report.province
    hh = report.households
    counts = report.tambon_table["grade"].value_counts()
    grades = t("cover.grade_counts", a=int(counts.get("A", 0)), b=int(counts.get("B", 0)),
               c=int(counts.get("C", 0)), within=t("cover.within.tambons"))
    if not load_grade_rules().verified:  # as an area's cover says of its own group
        grades = with_aside(grades, t("cover.grade_draft"))
    c = report.status.coverage
    # of how many, as an area's cover says it: the committee sizes a budget on the province's
    # households, not the sample's (a reader review); without a frame (whose totals would be
    # the surveyed villages' own), the sample alone
    surveyed = (t("rollout.cover.coverage", villages=f"{c.villages_surveyed:,}",
                  villages_total=f"{c.villages_total:,}", households=f"{c.households_surveyed:,}",
                  households_total=f"{c.households_total:,}")
                if report.analysis.has_frame and c.villages_total and c.households_total else
                t("cover.surveyed", villages=f"{hh['village_code'].nunique():,}",
                  households=f"{len(hh):,}"))
    lines = [
        report.words.round_years(report.survey_round),
        surveyed,
        f"**{grades}**",
    ]
    if report.analysis.synthetic:
        lines.append(f"**{t('synthetic.banner')}**")
    # the province's name with its level's word, large, as an area's cover names it ("นครศรี
    # ธรรมราช" above a bare "จังหวัด", a reader review); its provenance in the methods note,
    # as an area's, not fingerprints on the cover
    return cover_block(report.words, p.label("th"), p.label("en"), lines,
                       report.analysis.synthetic,
                       details={"grade_counts": counts},
                       header=report_header(p, report.survey_round, report.lang,
                                            report.analysis.synthetic))


#: Property names read first for a feature's tambon code (then any property holding one).
CODE_PROPERTIES = ("tambon_code", "tambon", "TAM_CODE", "TB_IDN", "ADM3_PCODE", "code")


def _tambon_code(props: dict, province_code: str) -> str | None:
    """Return the 6-digit tambon code of a feature, or None.

    A known property first, then any property whose value is (``TH`` +) a 6-digit code of the
    province.
    """
    keys = [k for k in CODE_PROPERTIES if k in props] + [k for k in props
                                                        if k not in CODE_PROPERTIES]
    for k in keys:
        v = props[k]
        if not isinstance(v, (str, int)) or isinstance(v, bool):
            continue
        text = str(v).strip().upper().removeprefix("TH")
        if len(text) == 6 and text.isdigit() and text.startswith(province_code):
            return text
    return None


def boundary_polygons(path: Path, province_code: str
                      ) -> list[tuple[str | None, list[np.ndarray]]]:
    """Read the tambon polygons of a GeoJSON file, holes included.

    A feature's tambon is read from a property (``tambon_code``, ``TAM_CODE``, ``ADM3_PCODE``
    such as ``TH800101``, ...; else the first property holding a 6-digit code of the province).
    ``Polygon`` and ``MultiPolygon`` geometries are read (others are skipped); coordinates are
    taken as longitude and latitude.

    Returns
    -------
    list of (code, rings)
        One entry per polygon: its tambon code (None when the feature has none) and its rings,
        the outer ring first, then its holes.

    Raises
    ------
    InputError
        The file is not readable GeoJSON, or no feature has a tambon code of the province.
    """
    try:
        gj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"boundary file {path}: not readable GeoJSON ({exc})") from exc
    out: list[tuple[str | None, list[np.ndarray]]] = []
    found = 0
    features = gj.get("features", []) if isinstance(gj, dict) else []
    for feat in features:
        if not isinstance(feat, dict):
            continue
        code = _tambon_code(feat.get("properties") or {}, province_code)
        geom = feat.get("geometry") or {}
        polys = geom.get("coordinates", [])
        if geom.get("type") == "Polygon":
            polys = [polys]
        elif geom.get("type") != "MultiPolygon":
            continue
        for poly in polys:
            rings = [np.asarray(r, dtype=float) for r in poly if len(r) >= 3]
            if rings:
                out.append((code, rings))
        found += code is not None
    if not found:
        raise InputError(f"boundary file {path}: no feature has a 6-digit tambon code of "
                         f"province {province_code} in its properties")
    return out


class _MapStyle(TypedDict):
    """Keyword arguments of both grade maps (choropleth and tiles)."""

    grade_labels: Mapping[str, str]
    no_data_label: str
    flagged: Iterable[str]
    flag_label: str


def grade_map(report: ProvinceContext, *, boundary_file: str | Path | None = None,
              programmes: str | Path | None = None) -> SectionResult:
    """Build the readiness-group (A/B/C) map.

    A choropleth of tambon boundaries when a GeoJSON is given, else a tile map grouped by
    amphoe; tambon names and grade letters on the map, grades hatched for black
    and white printing, tambons in a programme list (``params/programmes.yaml``) outlined.

    Parameters
    ----------
    report : ProvinceContext
        The province.
    boundary_file : path, optional
        GeoJSON of tambon boundaries (default: the one given to ``load``, if any).
    programmes : path, optional
        Another ``programmes.yaml``.
    """
    from abcresearch.reports.sections.programmes import load_programmes

    path = Path(boundary_file) if boundary_file else report.boundary_file
    out = SectionBuilder("grade_map", report.words, {"boundary_file": path,
                                                     "programmes": programmes})
    # the readiness groups (กลุ่ม A/B/C); without boundaries a grid of tiles by amphoe, not a
    # map (a reader looked for geography in "แผนที่")
    out.heading("map.heading" if path is not None else "map.heading_tiles")
    tt = report.tambon_table
    grade = dict(zip(tt["tambon_code"], tt["grade"], strict=True))
    labels = {g: report.grade_label(g) for g in charts.GRADE_COLOURS}
    # grey: not surveyed, or surveyed on too few villages to be graded (a surveyed tambon
    # was called "no data", "not surveyed this round")
    surveyed = set(tt["tambon_code"])
    ungraded = any(grade.get(c) not in labels for c in surveyed)
    no_data = report.t("map.no_group" if ungraded else "map.no_data")
    tam = tambons(report.province.code)
    names = dict(zip(tam["code"], tam[f"name_{report.lang}"], strict=True))
    flagged = set(load_programmes(programmes).flagged())
    style: _MapStyle = {"grade_labels": labels, "no_data_label": no_data, "flagged": flagged,
                        "flag_label": report.t("map.flagged")}
    high: set[str] = set()
    unknown = 0
    markup = data = ax = None
    if path is not None:
        polygons = boundary_polygons(path, report.province.code)
        ax = charts.grade_choropleth(polygons, grade, names=names, **style)
        kind = "choropleth"
    else:
        amph = amphoes(report.province.code)
        rows = pd.DataFrame({"code": amph["code"], "name": amph[f"name_{report.lang}"]})
        # high need, where the ranking prints it: with group C, where to start (a provincial
        # committee's review: the map showed readiness alone)
        high, unknown = _printed_high_need(report)
        # drawn by Typst: the tambons' names are text in the PDF (charts.grade_tiles draws
        # the same map from the figure's data)
        markup = charts.grade_tiles_typst(grade, rows, tam, names=names, high_need=high,
                                          need_label=report.t("map.high_need"), **style)
        data = pd.DataFrame({"tambon_code": tam["code"], "amphoe_code": tam["parent"],
                             "name": [names.get(c, c) for c in tam["code"]],
                             "grade": [grade.get(c, "") for c in tam["code"]],
                             "high_need": [c in high for c in tam["code"]],
                             "flagged": [c in flagged for c in tam["code"]]})
        kind = "tiles"
    note = report.t(f"map.note.{kind}")
    if ungraded:
        note += report.t("map.note.grey_ungraded")
    elif any(grade.get(c) not in labels for c in tam["code"]):
        note += report.t("map.note.grey")
    if kind == "tiles" and high:
        note += report.t("map.note.high_need")
        if unknown:  # a tile without the bar may still be of high need
            note += report.t("map.note.high_need_hidden", k=unknown)
    if flagged & set(tam["code"]):
        note += report.t("map.note.flagged")
    caption = note + ("." if report.lang == "en" else "")
    if markup is not None:
        out.parts.append(Figure.from_typst(markup, caption=caption, data=data))
    elif ax is not None:
        out.figure(ax.figure, caption=caption)
    return out.result(details={"grades": grade, "kind": kind, "flagged": flagged,
                               "high_need": high, "high_need_unknown": unknown,
                               "names": names})


def ranking_need_hidden(report: ProvinceContext) -> tuple[pd.DataFrame, np.ndarray,
                                                            np.ndarray]:
    """Return the tambons, where the ranking hides their need (and band), and where all figures.

    Read through a probe (nothing printed): the need class, its band and the small marker
    exactly as :func:`tambon_ranking` prints them. The one reading of it for the overview's
    counts (the lead's, the amphoe table's band 1, the map's bars).
    """
    from abcresearch.reports.sections.readiness import need_hidden, published_level1

    tt = report.tambon_table
    codes = tt["tambon_code"].astype(str)
    probe = Publisher(report, "ranking_need")
    small, share_hidden, _shares = published_level1(probe, tt.assign(code=codes),
                                                    report.households, "tambon_code",
                                                    with_ci=False)
    return tt, need_hidden(probe, codes, share_hidden), np.asarray(small, dtype=bool)


def _printed_high_need(report: ProvinceContext) -> tuple[set[str], int]:
    """Return the tambons the ranking prints as of the highest need, and how many need it hides."""
    tt, hidden, _small = ranking_need_hidden(report)
    high_class = str(load_grade_rules().need_order[0])  # need classes from the highest
    high = (tt["need"] == high_class).fillna(False).to_numpy(dtype=bool) & ~hidden
    return set(tt["tambon_code"].astype(str)[high]), int(hidden.sum())


def amphoe_table(report: ProvinceContext, *, capitals: Sequence[str] | None = None
                 ) -> SectionResult:
    """Every amphoe: households, share at level 1, M0 and its tambon grades.

    Then the amphoe capital means; each table ends with the province's row.

    Parameters
    ----------
    report : ProvinceContext
        The province.
    capitals : sequence of str, optional
        Capitals of the capital-means table, in order (default: all).
    """
    from abcresearch.analysis.round import area_design
    from abcresearch.reports.estimates import household_values

    t = report.t
    sch = report.analysis.scheme
    caps = check_subset("capitals", capitals, sch.capital_ids)
    out = SectionBuilder("amphoe_table", report.words, {"capitals": caps})
    out.heading("section.amphoe_table")
    hh = report.households
    lvl = report.design_spec.level
    # M0 is the design-weighted mean of the censored deprivation score over the households
    # with every indicator (Alkire-Foster's M0, whose estimate is all this table prints: the
    # whole measure, with its headcounts and contributions, cost 0.75 s a call on a province)
    d = area_design(hh.assign(m0=household_values(hh, sch)["m0"].to_numpy()),
                    report.design_spec)
    l1 = d.ciprop("level1", by="amphoe_code", na_rm=True, level=lvl)
    m0 = d.mean("m0", by="amphoe_code", na_rm=True, level=lvl)
    # each amphoe's share and M0 as its own report prints them (the round's one disclosure
    # step: hidden alike, rounded alike); grades of the tambons the ranking publishes
    pub = Publisher(report, "amphoe_table")
    tt = report.tambon_table
    tt = tt[[pub.pattern.publishable(str(c)) for c in tt["tambon_code"]]]
    grades = pd.crosstab(tt["amphoe_code"], tt["grade"]).reindex(columns=["A", "B", "C"],
                                                                fill_value=0)
    amph = amphoes(report.province.code).set_index("code")
    n = hh.groupby("amphoe_code").size()
    # where the tambons to support first are (a provincial committee's review: page 1 said
    # how many, the ranking lists them by band, nothing said which amphoes hold them)
    band1, band1_unknown = first_band_tambons(report)
    # each amphoe's level-1 households as its own report's levels table prints them: the share
    # alone made Pak Phanang (24%, about 10,000 households) read as the least in need (a
    # provincial committee's review)
    level1 = area_level1_households(
        report, pub, pd.Series([str(c) for c in n.index]),
        np.array([not pub.pattern.publishable(str(c)) for c in n.index]), by="amphoe_code")
    rows = []
    for code, count in zip(n.index, level1, strict=True):
        r = l1.loc[code] if code in l1.index else None
        rows.append({
            t("col.amphoe"): amph.loc[code, f"name_{report.lang}"],
            t("col.sampled_households"): pub.n(str(code)).text,
            t("col.share_level1"): level1_share(pub, str(code), float(r["estimate"]) if r
                                                is not None else np.nan).text,
            t("col.level1_households"): count,
            "M0": pub.mean("m0", str(code), float(m0["estimate"].get(code, np.nan)),
                           kind="index").text,
            **{t("readiness.grade_short", grade=g): int(grades.loc[code, g])
               if code in grades.index else 0 for g in "ABC"},
            t("col.band1_tambons"): int(band1.get(code, 0)),
        })
    # the province's own row last: what a reader compares each amphoe with (the same
    # estimators on the whole province, published through the same disclosure step); none
    # where the round holds one amphoe, whose row it would repeat under the province's name
    one = report.holds_one_amphoe()
    if not one:
        prov = report.province.code
        prov_l1 = d.ciprop("level1", na_rm=True, level=lvl).iloc[0]
        prov_m0 = d.mean("m0", na_rm=True, level=lvl).iloc[0]
        prov_name = t("amphoe.province_row", province=report.province.label(report.lang))
        level1_w = (hh["overall_level"] == 1).to_numpy(dtype=bool)
        prov_count = calibration_factor(report.analysis, prov, hh) * float(
            hh["weight"].to_numpy(dtype=float)[level1_w].sum())
        rows.append({
            t("col.amphoe"): prov_name,
            t("col.sampled_households"): pub.n(prov).text,
            t("col.share_level1"): level1_share(pub, prov, float(prov_l1["estimate"])).text,
            t("col.level1_households"): pub.weighted("overall_level", prov, ["1"],
                                                     prov_count).text,
            "M0": pub.mean("m0", prov, float(prov_m0["estimate"]), kind="index").text,
            **{t("readiness.grade_short", grade=g): int(grades[g].sum()) for g in "ABC"},
            t("col.band1_tambons"): int(band1.sum()),
        })
    table = pd.DataFrame(rows)
    suffix = ".one" if one else ""
    out.table(table, t("amphoe.caption"),
              t(f"amphoe.notes{suffix}", ranking=t("section.tambon_ranking"))
              + (" · " + t("amphoe.band1_unknown", k=band1_unknown) if band1_unknown else ""),
              decimals=1)
    means = report.analysis.means
    prof = means[means["level"] == "amphoe"].pivot(index="code", columns="capital",
                                                   values="estimate").reindex(n.index)
    whole = means[means["level"] == "province"].set_index("capital")["estimate"]
    capt = pd.DataFrame({t("col.amphoe"): table[t("col.amphoe")].to_numpy()})
    for cap in caps:
        capt[sch.capital(cap).label(report.lang)] = [*prof[cap].to_numpy(),
                                                     *([] if one else
                                                       [float(whole.get(cap, np.nan))])]
    out.table(capt, t("amphoe.capitals_caption"), t(f"amphoe.capitals_notes{suffix}"),
              decimals=1)
    return out.result(estimates=prof, details={"level1": l1, "m0": m0, "households": n},
                      published=tuple(pub.entries))


def tambon_ranking(report: ProvinceContext, *, limit: int | None = None,
                   amphoe: str | None = None) -> SectionResult:
    """Return all tambons by support band (need x readiness).

    With need, readiness group and organisation strength.

    Areas within a band are listed by the level-1 share but not ranked: most of their
    differences lie within the intervals.

    Parameters
    ----------
    report : ProvinceContext
        The province.
    limit : int, optional
        List only the first ``limit`` tambons (default: all).
    amphoe : str, optional
        Only the tambons of this 4-digit amphoe code.
    """
    from abcresearch.reports.sections.readiness import (
        in_published_order,
        need_hidden,
        need_markers,
        need_text,
        printed_groups,
        published_level1,
        readiness_table_notes,
    )
    check_limit(limit)
    t = report.t
    thr = report.threshold
    rules = load_grade_rules()
    out = SectionBuilder("tambon_ranking", report.words, {"limit": limit, "amphoe": amphoe})
    out.heading("section.tambon_ranking")
    tt = report.tambon_table
    if amphoe is not None:
        if amphoe not in set(tt["amphoe_code"]):
            raise ReportError(f"amphoe: expected one of {', '.join(sorted(set(tt['amphoe_code'])))}"
                              f", got {amphoe!r}")
        tt = tt[tt["amphoe_code"] == amphoe].reset_index(drop=True)
    # tambons whose band is hidden come last: their place in the order would tell it
    tt = in_published_order(report, tt.assign(code=tt["tambon_code"].astype(str)),
                            report.households, "tambon_code").drop(columns="code")
    if limit is not None:
        tt = tt.head(limit)
    n = tt["n_households"].to_numpy()
    # each tambon's level-1 share and M0 as its own report prints them (rounded alike, hidden
    # alike); its need class, band and reason only where both are published
    pub = Publisher(report, "tambon_ranking")
    codes = tt["tambon_code"].astype(str)
    small, share_hidden, shares = published_level1(pub, tt.assign(code=codes),
                                                   report.households, "tambon_code",
                                                   with_ci=False)
    m0 = [pub.mean("m0", c, float(v), kind="index") for c, v in zip(codes, tt["m0"],
                                                                     strict=True)]
    hidden = need_hidden(pub, codes, share_hidden)
    marks = need_markers(report, pub, codes, small, shares)
    level1 = area_level1_households(report, pub, codes, small)
    shown = pd.DataFrame({
        t("readiness.col.band"): [mk if h else ("" if pd.isna(b) else int(b))
                                  for b, h, mk in zip(tt["priority_band"], hidden, marks,
                                                      strict=True)],
        t("col.tambon"): tt["tambon_name"].to_numpy(),
        t("col.amphoe"): tt["amphoe_name"].to_numpy(),
        # written here: a column mixing markers and numbers is text, and printed "2685"
        t("col.sampled_households"): [marker(thr) if sm else f"{int(v):,}"
                                      for v, sm in zip(n, small, strict=True)],
        t("col.share_level1"): [marker(thr) if sm else sh.text
                                for sh, sm in zip(shares, small, strict=True)],
        t("col.level1_households"): level1,
        "M0": [marker(thr) if sm else m.text for m, sm in zip(m0, small, strict=True)],
        t("readiness.col.need"): [
            mk if h else need_text(t, rules, report.lang, nd, nr, short=True)
            for nd, nr, h, mk in zip(tt["need"], tt["need_near_threshold"], hidden, marks,
                                     strict=True)],
        t("readiness.col.grade"): printed_groups(report, tt, small),
        t("readiness.col.org_strength"): tt["org_strength"].to_numpy(),
    })
    # a band no tambon is in, said (the numbers ran 1, 2, 4; a provincial committee's review);
    # only where no band is hidden: a hidden one may be in it
    present = {int(b) for b in tt["priority_band"].dropna()}
    empty = [str(b) for b in range(1, len(rules.bands) + 1) if b not in present]
    # in the caption, above the rows where the numbers skip it (in the notes it came three
    # pages after the skip; a reader review)
    empty_note = (" (" + t("readiness.ranking.empty_bands", bands=names_list(t, empty)) + ")"
                  if empty and not any(hidden) and limit is None and amphoe is None else "")
    out.table(shown, t("readiness.ranking.caption") + empty_note,
              readiness_table_notes(t, rules, report.lang)
              + " · " + t("suppressed.note")
              + (" · " + t("readiness.marker_in_band", threshold=report.threshold)
                 if any(hidden) else ""),
              decimals=1, number_format={"M0": ",.2f"})
    return out.result(estimates=tt, published=tuple(pub.entries))


def first_band_tambons(report: ProvinceContext) -> tuple[pd.Series, int]:
    """Count each amphoe's tambons in support band 1, as the tambon ranking shows their bands.

    Parameters
    ----------
    report : ProvinceContext
        The province.

    Returns
    -------
    counts : pandas.Series
        Tambons in band 1 by amphoe code (every amphoe of the round's tambons, 0 where none),
        counted among the tambons whose band the ranking prints.
    unknown : int
        Tambons whose band the ranking hides and which may be in band 1 (printed in the
        weakest group, or with all their figures hidden): left out of ``counts``, to be said.
    """
    tt, hidden, small = ranking_need_hidden(report)
    rules = load_grade_rules()
    first = (tt["priority_band"] == 1).fillna(False).to_numpy(dtype=bool) & ~hidden  # NA: ungraded
    counts = pd.Series(first.astype(int), index=tt.index).groupby(tt["amphoe_code"]).sum()
    weakest = (tt["grade"] == rules.grade_order[0]).fillna(False).to_numpy(dtype=bool)
    unknown = hidden & (small | weakest)
    return counts.astype(int), int(unknown.sum())


def area_level1_households(report: ProvinceContext, pub: Publisher, codes: pd.Series,
                           small: np.ndarray, by: str = "tambon_code") -> list[str]:
    """Each area's households at level 1 as its own report's levels table prints them.

    The areas are tambons, or with ``by="amphoe_code"`` amphoes (``codes`` their codes). The
    size a support team is sent by (the ranking gave shares and the sample's households only,
    which read as the tambon's size; a reader review): the weighted count of its households at
    level 1, calibrated to its frame's households where its report's counts are
    (:func:`~abcresearch.reports.context.calibrated_total`), through the one disclosure step
    (:meth:`Publisher.weighted`, rounded and hidden as that table does).
    """
    from abcresearch.reports import estimates
    from abcresearch.reports.context import calibrated_total
    from abcresearch.reports.disclosure import report_categories

    hh = report.households
    totals = None
    if calibrated_total(report.analysis, report.province.code, hh) is not None:
        a = report.analysis.areas.set_index("area_code")["households_in_surveyed_strata"]
        totals = a.astype("float64").reindex(hh[by].dropna().astype(str).unique())
    w, _ = estimates.weighted_counts(hh, report_categories(report)["overall_level"], by, totals)
    w.index = w.index.astype(str)
    out = []
    for code, sm in zip(codes, small, strict=True):
        value = float(w.loc[code, "1"]) if code in w.index and "1" in w.columns else np.nan
        out.append(marker(report.threshold) if sm else NO_DATA if not np.isfinite(value)
                   else pub.weighted("overall_level", code, ["1"], value).text)
    return out


def rules_vs_typology(report: ProvinceContext) -> SectionResult:
    """Return the data-driven typology next to the readiness groups and the need classes.

    The typology: k-means clusters of capital profiles.
    """
    from abcresearch.reports.sections.readiness import grade_text, need_hidden, published_level1
    from abcresearch.scoring.grade_rules import load_grade_rules

    t = report.t
    rules = load_grade_rules()
    out = SectionBuilder("rules_vs_typology", report.words)
    out.heading("section.typology")
    typ = report.analysis.typology
    tt = report.tambon_table
    if typ.empty or "cluster" not in tt:
        out.text(t("typology.none"))
        return out.result()
    k = int(typ["chosen_k"].iloc[0])
    sil = json.loads(typ["silhouette_by_k"].iloc[0])
    # of two profiles, one is "lower", not "lowest" (a reader review)
    two = ".two" if k == 2 else ""
    out.text(t("readiness.typology.text", k=k, lowest=t("readiness.typology.lowest" + two)))
    silhouette = float(typ["silhouette"].iloc[0])
    method = t("readiness.typology.method", k=k, silhouette=silhouette,
               candidates=", ".join(f"k={kk}: {HalfUp(v):.2f}" for kk, v in sil.items()))
    # a mean silhouette width up to about 0.5 is a weak structure (params/grades.yaml): "the
    # clearest split" of the k tried is not a clear one (a reader review)
    weak = float(rules.typology.get("weak_silhouette", 0.5))
    if silhouette <= weak:
        method += t("readiness.typology.weak", limit=weak)
    clusters = [t("readiness.typology.cluster", n=c)
                for c in sorted(tt["cluster"].dropna().unique())]
    # the counts take only what the tambon ranking publishes (a grade where the tambon is
    # publishable, a need class where its share and M0 are), so that no total gives a hidden
    # grade or need class back
    pub = Publisher(report, "rules_vs_typology")
    codes = tt["tambon_code"].astype(str)
    small, hidden, _ = published_level1(pub, tt.assign(code=codes), report.households,
                                        "tambon_code", with_ci=False)
    graded, needed = tt[~small], tt[~need_hidden(pub, codes, hidden)]
    finding = _typology_finding(t, report.lang, rules, graded, needed,
                                lowest=t("readiness.typology.lowest" + two))
    if finding:  # the tables' message first, in words
        out.text(finding)
    cross = pd.crosstab(graded["grade"], graded["cluster"].astype("Int64")).reindex(
        index=[g for g in reversed(rules.grade_order) if g in set(graded["grade"])],
        columns=sorted(tt["cluster"].dropna().unique()), fill_value=0)
    cross.index = [grade_text(t, g) for g in cross.index]
    cross.columns = clusters
    out.table(cross.reset_index(names=t("readiness.col.grade")),
              t("readiness.typology.crosstab"))
    need = pd.crosstab(needed["need"], needed["cluster"].astype("Int64")).reindex(
        index=[c for c in rules.need_order if c in set(needed["need"])],
        columns=sorted(tt["cluster"].dropna().unique()), fill_value=0)
    need.index = [str((rules.need_labels or {})[c][report.lang]) for c in need.index]
    need.columns = clusters
    left_out = len(tt) - len(needed)
    if len(need):
        out.table(need.reset_index(names=t("readiness.col.need")),
                  t("readiness.typology.need_crosstab"),
                  t("readiness.cells.hidden", areas=t("readiness.areas.tambon"), n=left_out)
                  if left_out else None)
    elif left_out:
        out.text(t("readiness.cells.hidden", areas=t("readiness.areas.tambon"), n=left_out))
    caps = report.analysis.scheme.capital_ids
    centres = typ.set_index("cluster")[[f"mean_{c}" for c in caps]]
    centres.columns = [report.analysis.scheme.capital(c).label(report.lang) for c in caps]
    centres.insert(0, t("typology.n"), typ.set_index("cluster")["n_areas"])
    centres.index = [t("readiness.typology.cluster", n=c) for c in centres.index]
    out.table(centres.reset_index(names=t("readiness.typology.cluster_col")),
              t("typology.centres", weakest=t("readiness.typology.weakest" + two)), method,
              decimals=1)
    return out.result(estimates=typ, details={"crosstab": cross, "need_crosstab": need})


def _typology_finding(t: Any, lang: str, rules: Any, graded: pd.DataFrame,
                      needed: pd.DataFrame, lowest: str) -> str | None:
    """Say how many of the weakest-group and highest-need tambons are in profile 1.

    ``lowest``: how profile 1 scores ("ต่ำที่สุด", or "ต่ำกว่า" of two profiles).

    Counted from the same published tambons, with a profile, as the two cross-tables (a
    sentence that hides nothing they hide, and adds up with them).
    """
    from abcresearch.reports.sections.readiness import grade_text

    parts = []
    weakest, neediest = rules.grade_order[0], rules.need_order[0]
    graded, needed = graded[graded["cluster"].notna()], needed[needed["cluster"].notna()]
    in_grade = graded[graded["grade"] == weakest]
    if len(in_grade):
        parts.append(t("readiness.typology.finding.grade", grade=grade_text(t, weakest),
                       k=int((in_grade["cluster"] == 1).sum()), n=len(in_grade)))
    in_need = needed[needed["need"] == neediest]
    if len(in_need):
        parts.append(t("readiness.typology.finding.need",
                       need=str((rules.need_labels or {})[neediest][lang]),
                       k=int((in_need["cluster"] == 1).sum()), n=len(in_need)))
    if not parts:
        return None
    # need and the profiles both come from the households' capital scores: their agreement
    # is no check of either (it read as a validation, a reader review)
    return t("readiness.typology.finding", lowest=lowest,
             parts=t("readiness.typology.finding.and").join(parts)) \
        + (t("readiness.typology.finding.circular") if len(in_need) else "")
