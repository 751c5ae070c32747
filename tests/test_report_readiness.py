"""Readiness in the reports: the villages table with bands, need and groups; the need x
readiness section and chart; the province overview's ranking and typology on the new grades."""

from __future__ import annotations

import dataclasses
import json
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from abcresearch.reports import charts, disclosure
from abcresearch.reports.area import AreaReport
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections.readiness import published_rows

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def tambon(sample_store) -> AreaReport:
    return AreaReport.load("801501", 2549, store=sample_store, lang="th")


@pytest.fixture(scope="module")
def overview(sample_store):
    from abcresearch.reports.province import ProvinceReport

    return ProvinceReport.load("80", 2549, store=sample_store)


def _text(result: SectionResult) -> str:
    return "\n".join(json.dumps({k: v for k, v in b.items() if k != "image/svg+xml"},
                                ensure_ascii=False) for b in result.bundles())


def test_villages_table_shows_band_need_group_and_organisation(tambon) -> None:
    res = tambon.villages()
    t = tambon.t
    table = res.to_frame(0)
    assert list(table.columns) == [t("readiness.col.band"), t("col.village"),
                                   t("col.sampled_households"), t("col.share_level1"), "M0",
                                   t("readiness.col.need"), t("readiness.col.grade"),
                                   t("readiness.col.org_strength")]
    rows = res.estimates
    share_hidden = res.details["share_hidden"]
    assert share_hidden.any() and not share_hidden.all(), \
        "the sample has hidden and published shares"
    # a hidden level-1 share hides the need class and the band read from it, with its marker
    # ("<5" for too few households, "×" where it only protects a small cell of the village)
    band_col = table[t("readiness.col.band")]
    share_col = table[t("col.share_level1")]
    assert share_col[share_hidden].isin([tambon.marker, "×"]).all()
    assert (band_col[share_hidden] == share_col[share_hidden]).all()
    assert (table[t("readiness.col.need")][share_hidden] == share_col[share_hidden]).all()
    # the need class also prints M0 (in its reason): hidden with M0's marker where M0 is
    hidden = res.details["need_hidden"]
    assert (hidden >= share_hidden).all()
    m0_col = table["M0"]
    assert (hidden == (share_hidden | m0_col.isin([tambon.marker, "×"]).to_numpy())).all()
    assert band_col[hidden].isin([tambon.marker, "×"]).all()
    # "<5" under "support band" read as "a band below 5" (a reader review): the notes say not
    assert t("readiness.marker_in_band", threshold=tambon.threshold) in res.tables[0].notes
    # bands, not exact ranks: one band per need x grade cell, in band order
    bands = band_col[~hidden].astype(int)
    assert bands.is_monotonic_increasing and set(bands) <= set(range(1, 7))
    assert (bands.to_numpy() == rows["priority_band"][~hidden].astype(int).to_numpy()).all()
    # group names: "กลุ่ม X", household levels never called groups and groups never levels
    groups = table[t("readiness.col.grade")]
    assert groups.str.match(r"^กลุ่ม [ABC]( \(ใกล้เกณฑ์\))?$").all()
    for g, near, shown in zip(rows["grade"], rows["near_threshold"], groups, strict=True):
        assert shown.startswith(f"กลุ่ม {g}") and ("ใกล้เกณฑ์" in shown) == bool(near)
    needs = table[t("readiness.col.need")][~hidden]
    for nd, near, shown in zip(rows["need"][~hidden], rows["need_near_threshold"][~hidden],
                               needs, strict=True):
        assert shown.startswith(t(f"readiness.need_short.{nd}"))  # under "ความจำเป็น"
        assert ("ใกล้เกณฑ์" in shown) == bool(near)
    assert np.allclose(table[t("readiness.col.org_strength")],
                       rows["org_strength"].round(1))
    text = _text(res)
    assert "ต้องเร่งรัดพัฒนา" not in text and "ระดับ A" not in text and "ระดับ C" not in text
    # the reasons as a nested list: one item per village, its conditions as sub-items
    reasons = next(p.text for p in res.parts if tambon.t("readiness.reasons") in
                   getattr(p, "text", ""))
    assert reasons.count("\n- **") + reasons.startswith("- **") >= 1
    first = rows.iloc[0]
    for r in first["reason_th"].split("; "):
        assert f"  - {r}" in reasons
    shown_need = rows[~hidden].iloc[0]
    assert f"  - ความจำเป็น: {shown_need['need_reason_th'].split('; ')[0]}" in reasons
    for i in np.flatnonzero(hidden):  # no need reason where the share is hidden
        block = reasons.split(f"**{table.iloc[i, 1]}**")[1].split("\n- **")[0]
        assert "ความจำเป็น" not in block


def _levels_table_hides_share(report: AreaReport, codes) -> np.ndarray:
    """Whether the levels table prints a marker for each area's level-1 share."""
    t = report.t
    table = report.levels_and_tracks().to_frame(0)
    share = dict(zip(table[t("col.village")], table[t("col.share_level1")], strict=True))
    return np.array([share[report.child_name(c)] in (report.marker, "×") for c in codes])


@pytest.fixture
def plain_complements(monkeypatch, sample_store) -> AreaReport:
    """The tambon under the plain complement rule (the smallest visible part, level 1 too, as
    ``complement_last: {}`` in params/publication.yaml gives): its sample then has a village's
    level-1 share hidden only to protect another cell."""
    real = disclosure.publication_rules()
    monkeypatch.setattr(disclosure, "publication_rules",
                        lambda path=None: dataclasses.replace(real, complement_last={}))
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    return AreaReport.load("801501", 2549, store=sample_store, lang="th")


def test_a_level1_share_hidden_in_the_levels_table_is_hidden_everywhere(
        plain_complements) -> None:
    """One disclosure step: a village's level-1 share that the levels table hides (for instance
    to protect its small level-3 cell) is not drawn in the readiness chart, not counted in the
    need x group cells and not printed in the villages table either."""
    tambon = plain_complements
    t = tambon.t
    readiness = tambon.readiness()
    codes = readiness.estimates["code"]
    hidden = _levels_table_hides_share(tambon, codes)
    levels = tambon.levels_and_tracks().to_frame(0)
    by_name = dict(zip(levels[t("col.village")], levels[t("col.share_level1")], strict=True))
    assert "×" in {by_name[tambon.child_name(c)] for c in codes}, \
        "the sample has a share hidden only to protect another cell"
    pts = readiness.details["points"]
    assert (pts["estimate"].isna().to_numpy() == hidden).all()
    assert pts.loc[~hidden, "estimate"].round(6).eq(pts.loc[~hidden, "estimate"].round()).all(), \
        "points are drawn at the printed (rounded) share"
    villages = tambon.villages()
    shown = dict(zip(villages.to_frame(0)[t("col.village")],
                     villages.to_frame(0)[t("col.share_level1")], strict=True))
    for code, h in zip(codes, hidden, strict=True):
        name = tambon.child_name(code)
        assert (shown[name] == by_name[name]) if h else shown[name] not in ("×", tambon.marker)
    # the band and need columns print the same markers: the table's notes explain them
    notes = villages.tables[0].notes
    assert "× = " in notes
    assert ("<5 = " in notes) == (tambon.marker in set(villages.to_frame(0).astype(str).stack()))
    # the chart publishes what the ledger holds, so the disclosure test attacks it too
    entries = [e for e in readiness.published if e.kind == "share"]
    assert {e.area for e in entries} == set(map(str, codes))
    assert all(e.hidden == h for e, h in zip(entries, hidden, strict=True))


def test_published_rows_hide_small_rows_and_small_level1_counts() -> None:
    rows = pd.DataFrame({"code": ["a", "b", "c", "d"], "n_households": [3, 30, 30, 30]})
    hh = pd.DataFrame({"v": ["a"] * 3 + ["b"] * 30 + ["c"] * 30 + ["d"] * 30,
                       "overall_level": 1.0,
                       "level1": [1.0] * 3 + [1.0] * 2 + [0.0] * 28 + [1.0] * 15 + [0.0] * 15
                       + [1.0] * 30})
    small, hidden = published_rows(rows, hh, "v", 5)
    assert small.tolist() == [True, False, False, False]
    assert hidden.tolist() == [True, True, False, False]  # b: 2 of 30 at level 1


def test_readiness_section_chart_cells_lift_and_organisations(tambon) -> None:
    res = tambon.readiness()
    assert tambon.results["readiness"] is res
    assert res.figures
    t = tambon.t
    rows = res.estimates
    pts = res.details["points"]
    assert len(pts) == len(rows) and pts["label"].str.startswith("หมู่ที่").all()
    cells = res.to_frame(0)
    assert list(cells.columns) == [t("readiness.col.need"), "กลุ่ม C", "กลุ่ม B", "กลุ่ม A"]
    counts = cells.iloc[:, 1:].apply(lambda c: c.str.extract(r"^(\d+)")[0].astype(int))
    hidden = _levels_table_hides_share(tambon, rows["code"])
    assert counts.to_numpy().sum() == len(rows) - hidden.sum()  # only published rows count
    if hidden.any():
        assert f"ไม่นับหมู่บ้าน {hidden.sum()} แห่งที่ไม่เผยแพร่สัดส่วนครัวเรือนระดับ 1" \
            in _text(res)
    assert pts["estimate"][hidden].isna().all()
    band_of = cells.iloc[:, 1:].apply(lambda c: c.str.extract(r"\((\d)\)")[0].astype(int))
    assert band_of.to_numpy().tolist() == [[1, 2, 3], [4, 5, 6]]
    text = _text(res)
    grade = tambon.grade_row["grade"]
    if grade == "A":
        assert "อยู่ในกลุ่ม A แล้ว" in text
    else:
        assert "สิ่งที่จะช่วยให้ตำบลขนอมก้าวสู่กลุ่ม" in text
    org = res.to_frame(1)
    # the villages, ranked; then the tambon's own row, unranked
    ranked, whole = org.iloc[:-1], org.iloc[-1]
    assert whole[t("col.village")] == t("row.total") and whole[t("readiness.col.org_rank")] == ""
    strength = ranked[t("readiness.col.org_strength")]
    assert strength.is_monotonic_decreasing
    assert ranked[t("readiness.col.org_rank")].astype(int).tolist() == \
        strength.rank(ascending=False, method="min").astype(int).tolist()
    # each village's readiness group as the chart and the cells count it, and its kinds of
    # groups as a count of the form's eight and the kinds it lacks (not the kinds it has, listed
    # in full: the table's tallest cells, a reader review)
    from abcresearch.reports.sections.readiness import kinds_column, printed_groups

    assert t("readiness.col.grade") in ranked
    assert set(ranked[t("readiness.col.grade")]) <= {*printed_groups(
        tambon, tambon.children, [False] * len(tambon.children)), tambon.marker}
    count_col = kinds_column(tambon)
    assert count_col == "ประเภทกลุ่ม (จาก 8)"
    counts = pd.to_numeric(ranked[count_col])
    assert counts.between(0, 8).all()
    # the kinds the villages lack, kind by kind, after the table: each line's count is the
    # number of villages whose count above leaves that kind out
    said = "\n".join(b["text/markdown"] for b in res.bundles() if "text/markdown" in b)
    lines = [x for x in said.splitlines() if x.startswith("- ") and "ไม่ได้ระบุว่ามี" in x]
    assert lines or counts.eq(8).all()
    lacking = sum(int(m.group(1) or m.group(2)) for x in lines
                  if (m := re.search(r": (\d+) จาก \d+ หมู่บ้านที่|ของทั้ง (\d+) หมู่บ้าน", x)))
    assert lacking == int((8 - counts).sum())


def test_kinds_missing_text_lists_each_kind_with_the_villages_that_lack_it(tambon) -> None:
    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections.readiness import kinds_missing_text

    all8 = "savings women elderly youth occupation farmers welfare environment"
    rows = pd.DataFrame({"code": ["80010601", "80010602", "80010603", "80010611"],
                         "group_types": [all8, "welfare savings", None, "savings"],
                         "n_group_types": [8.0, 2.0, np.nan, 1.0]})
    text = kinds_missing_text(tambon, rows, Publisher(tambon, "readiness"))
    lines = text.splitlines()
    assert lines[0].startswith("**ประเภทกลุ่มองค์กรที่ยังไม่มีในบางหมู่บ้าน")
    # the most often lacking first (then the form's order); the village without an answer is
    # not counted, and is named
    # (the count before what the form does not say: "แบบสำรวจหมู่บ้านไม่ได้ระบุว่ามี 2 จาก 3"
    # read as "the form did not say that 2 of 3 have it", a reader review)
    assert lines[2] == ("- กลุ่มแม่บ้าน/สตรี: 2 จาก 3 หมู่บ้านที่แบบสำรวจหมู่บ้านไม่ได้ระบุว่ามี "
                        "ได้แก่ หมู่ที่ 2 และ 11")
    assert ("- กองทุนสวัสดิการชุมชน: 1 จาก 3 หมู่บ้านที่แบบสำรวจหมู่บ้านไม่ได้ระบุว่ามี "
            "ได้แก่ หมู่ที่ 11") in lines
    assert lines[-3] == "มีครบทุกหมู่บ้าน: กลุ่มออมทรัพย์"  # after the list, not in it
    assert lines[-1] == "ไม่นับหมู่บ้านที่แบบสำรวจหมู่บ้านไม่ได้ตอบข้อนี้ ได้แก่ หมู่ที่ 3"
    assert kinds_missing_text(tambon, rows.iloc[:1], Publisher(tambon, "readiness")) == \
        "หมู่บ้านที่สำรวจ (1 หมู่บ้าน) มีกลุ่มองค์กรครบทุกประเภทในแบบสำรวจหมู่บ้าน"
    assert kinds_missing_text(tambon, rows.iloc[2:3], Publisher(tambon, "readiness")) == ""


def test_amphoe_and_village_reports_have_readiness(sample_store) -> None:
    amp = AreaReport.load("8015", 2549, store=sample_store)
    res = amp.readiness()
    # an amphoe's tambons are named on its chart (a reader review)
    assert len(res.details["points"]) == 3 and res.details["points"]["label"].notna().all()
    org = res.to_frame(1)
    assert amp.t("readiness.col.n_group_types") in org.columns
    # a village's own report draws no chart of its one point (its share and group are on the
    # summary page; a reader review found a whole chart for one point)
    for code in ("80150101", "80150204"):
        vil = AreaReport.load(code, 2549, store=sample_store)
        vres = vil.readiness()
        assert len(vres.details["points"]) == 1 and not vres.figures
        assert vil.t("readiness.chart.x") not in _text(vres)
    assert vres.details["points"]["estimate"].notna().all(), "a point that would be drawn"


def test_province_ranking_typology_and_readiness_follow_readiness_grades(overview) -> None:
    t = overview.t
    ranking = overview.tambon_ranking()
    table = ranking.to_frame(0)
    assert t("readiness.col.band") in table.columns and t("col.priority") not in table.columns
    # a tambon whose own report hides its level-1 share (the sample's three do) shows the
    # share's marker as its band and need too
    band, share = table[t("readiness.col.band")], table[t("col.share_level1")]
    hidden = share.isin([overview.marker, "×"])
    assert (band[hidden] == share[hidden]).all()
    assert (table[t("readiness.col.need")][hidden] == share[hidden]).all()
    assert band[~hidden].astype(int).is_monotonic_increasing
    # hidden bands after the shown ones (their place would tell them)
    at = np.flatnonzero(hidden.to_numpy())
    assert not len(at) or hidden.to_numpy()[at[0]:].all()
    assert table[t("readiness.col.grade")].str.match(r"^กลุ่ม [ABC]").all()
    # the sample's 3 tambons are too few for a typology: give them clusters by hand
    caps = overview.analysis.scheme.capital_ids
    fake = pd.DataFrame({"cluster": [1, 2], "n_areas": [2, 1], "chosen_k": 2,
                         "silhouette": 0.5, "silhouette_by_k": json.dumps({2: 0.5}),
                         **{f"mean_{c}": [40.0, 60.0] for c in caps}})
    tambons = overview.analysis.tambons.assign(cluster=pd.array([1, 2, 1], dtype="Int64"))
    analysis = dataclasses.replace(overview.analysis, tambons=tambons, typology=fake)
    typ = dataclasses.replace(overview, analysis=analysis).rules_vs_typology()
    tt = tambons
    cross, need = typ.details["crosstab"], typ.details["need_crosstab"]
    assert cross.to_numpy().sum() == 3
    # need classes only where the tambon's own report publishes its share and M0; the note
    # says how many are not counted
    own = [AreaReport.load(c, 2549, store=overview.store).write_summary().summary
           for c in tt["tambon_code"]]
    published = sum(o["share_level1"] is not None and o["m0"] is not None for o in own)
    assert need.to_numpy().sum() == published
    left_out = len(own) - published
    assert (f"ไม่นับตำบล {left_out} แห่งที่ไม่เผยแพร่สัดส่วนครัวเรือนระดับ 1" in _text(typ)) \
        == (left_out > 0)
    assert list(cross.index) == [f"กลุ่ม {g}" for g in "ABC" if g in set(tt["grade"])]
    for g, c in zip(tt["grade"], tt["cluster"], strict=True):
        assert cross.loc[f"กลุ่ม {g}", f"รูปแบบทุนที่ {c}"] >= 1
    # the committee reads plain words: the method's jargon goes to the profile table's notes,
    # and a sentence says where the weakest group's tambons are
    assert "กลุ่มความพร้อม A/B/C ซึ่งจัดจากแบบสำรวจหมู่บ้านเป็นหลัก" in typ.text
    assert not any(w in typ.text for w in ("k-means", "silhouette", "k = ", "cluster"))
    centres = typ.tables[-1]
    assert "k-means" in centres.notes and "silhouette" in centres.notes
    # of two profiles, the first is "lower", not "lowest" (a reader review), and the text says
    # the profiles set neither the groups nor the order of support
    assert "(รูปแบบทุนที่ 1 คะแนนต่ำกว่า)" in typ.text and "ต่ำที่สุด" not in typ.text
    assert "(รูปแบบทุนที่ 1 อ่อนกว่า)" in centres.caption
    assert "ไม่ได้ใช้จัดกลุ่มหรือจัดลำดับการสนับสนุน" in typ.text
    three = dataclasses.replace(analysis, typology=fake.assign(chosen_k=3))
    typ3 = dataclasses.replace(overview, analysis=three).rules_vs_typology()
    assert "(รูปแบบทุนที่ 1 คะแนนต่ำที่สุด)" in typ3.text
    assert "(รูปแบบทุนที่ 1 อ่อนที่สุด)" in typ3.tables[-1].caption
    # a mean silhouette width of 0.5 is a weak structure, and the notes say so; need and the
    # profiles share their source, and the finding says it is no independent check
    assert overview.t("readiness.typology.weak", limit=0.5) in centres.notes
    if need.to_numpy().sum():
        assert overview.t("readiness.typology.finding.circular") in typ.text
    in_c = tt[tt["grade"] == "C"]
    assert len(in_c), "the sample has a group C tambon"
    assert (f"ตำบลกลุ่ม C {int((in_c['cluster'] == 1).sum())} จาก {len(in_c)} ตำบล"
            in typ.text), typ.text
    assert "อยู่ในรูปแบบทุนที่ 1 ซึ่งคะแนนทุนต่ำกว่า" in typ.text
    rd = overview.readiness(limit=2)
    assert overview.results["readiness"] is rd
    # a tambon's point is drawn only where its own report publishes its level-1 share (the
    # sample's three hide it, to protect small cells): no chart without a point
    pts = rd.details["points"]
    for code, estimate in zip(overview.tambon_table["tambon_code"], pts["estimate"],
                              strict=True):
        own = AreaReport.load(code, 2549, store=overview.store).write_summary().summary
        assert (own["share_level1"] is None) == bool(np.isnan(estimate))
    assert bool(rd.figures) == bool(pts["estimate"].notna().any())
    assert len(rd.details["organisations"]) == 2
    assert "แสดง 2 อันดับแรกจาก 3" in _text(rd)


def test_need_readiness_chart_shapes_hollow_near_and_skips_hidden() -> None:
    import matplotlib.pyplot as plt

    pts = pd.DataFrame({"grade": ["C", "B", "A", "A", "B"],
                        "estimate": [60.0, 30.0, 45.0, 10.0, np.nan],
                        "ci_low": [50.0, 25.0, 38.0, 5.0, np.nan],
                        "ci_high": [70.0, 35.0, 52.0, 15.0, np.nan],
                        "near": [False, False, True, False, False],
                        "label": ["หมู่ที่ 1", "หมู่ที่ 2", "หมู่ที่ 4", "หมู่ที่ 5", "x"]})
    ax = charts.need_readiness_chart(pts, grade_order=["C", "B", "A"],
                                     grade_labels={"A": "กลุ่ม A", "B": "กลุ่ม B", "C": "กลุ่ม C"},
                                     threshold=40, threshold_label="เกณฑ์ 40%",
                                     need_labels=("ความจำเป็นสูง", "ความจำเป็นไม่สูง"),
                                     near_label="ใกล้เกณฑ์")
    from matplotlib.collections import PathCollection

    cols = [c for c in ax.collections if isinstance(c, PathCollection)]
    offsets = [c.get_offsets() for c in cols]
    drawn = sorted(float(y) for off in offsets for _, y in off)
    assert drawn == [10.0, 30.0, 45.0, 60.0]  # the hidden (NaN) point is not drawn
    # black-and-white safe: a marker shape per grade, hollow (white) where near a threshold
    assert set(charts.GRADE_MARKERS.values()) == {"o", "s", "^"}
    white = [c for c in cols if np.allclose(c.get_facecolors()[:, :3], 1.0)]
    assert len(white) == 1 and white[0].get_offsets()[0][1] == 45.0
    texts = [x.get_text() for x in ax.texts]
    assert "หมู่ที่ 4" in texts and "x" not in texts and "ความจำเป็นสูง\nเกณฑ์ 40%" in texts
    assert [x.get_text() for x in ax.get_xticklabels()] == ["กลุ่ม C", "กลุ่ม B", "กลุ่ม A"]
    assert any(re.search("ใกล้เกณฑ์", x.get_text()) for x in ax.get_legend().get_texts())
    plt.close(ax.figure)
    # the legend's hollow markers are those of the grades drawn hollow (a hollow B square
    # stood beside a legend of one hollow circle); no hollow point, no legend
    pts["near"] = [True, True, False, False, False]
    ax = charts.need_readiness_chart(pts, grade_order=["C", "B", "A"], grade_labels={},
                                     threshold=40, near_label="ใกล้เกณฑ์")
    from matplotlib.lines import Line2D

    legend = ax.get_legend()
    shown = [a.get_marker() for a in legend.findobj(Line2D)]
    assert sorted(shown) == sorted(charts.GRADE_MARKERS[g] for g in ("C", "B"))
    assert [x.get_text() for x in legend.get_texts()] == ["ใกล้เกณฑ์"]
    plt.close(ax.figure)
    pts["near"] = False
    ax = charts.need_readiness_chart(pts, grade_order=["C", "B", "A"], grade_labels={},
                                     threshold=40, near_label="ใกล้เกณฑ์")
    assert ax.get_legend() is None
    plt.close(ax.figure)


def test_a_hidden_band_does_not_show_through_the_order_of_the_list(plain_complements) -> None:
    """Listed in priority order, a hidden band stood among the shown ones ("5, ×, ×, 5") and so
    was told by its place: rows whose band is hidden come after every shown one, by code."""
    tambon = plain_complements
    t = tambon.t
    table = tambon.villages().to_frame(0)
    band = table[t("readiness.col.band")].astype(str)
    hidden = band.isin(["×", tambon.marker]).to_numpy()
    assert hidden.any() and (~hidden).any(), "the sample has shown and hidden bands"
    first_hidden = int(np.flatnonzero(hidden)[0])
    assert hidden[first_hidden:].all()
    assert band[~hidden].astype(int).is_monotonic_increasing
    codes = [c for c in tambon.children["code"]
             if tambon.child_name(c) in set(table.loc[hidden, t("col.village")])]
    assert list(table.loc[hidden, t("col.village")]) == [tambon.child_name(c)
                                                          for c in sorted(codes)]
    # a shorter list is the head of the full one, so it holds no hidden row before a shown one
    assert tambon.villages(limit=2).to_frame(0).astype(str).equals(table.head(2).astype(str))


def test_scores_that_print_alike_share_a_rank(tambon) -> None:
    """The caption says equal scores share a rank; 53.46 and 53.54 both print 53.5 and were
    ranked 18th and 19th."""
    from abcresearch.reports.sections.readiness import org_ranking_table

    rows = pd.DataFrame({"org_strength": [53.54, 53.46, 60.0, np.nan],
                         "groups_per_100hh": 1.0, "n_group_types": 2, "group_types": "",
                         "welfare_share": 0.1, "forums_year": 2.0, "master_plan": 1.0})
    table = org_ranking_table(tambon, rows, ["a", "b", "c", "d"], "tambon")
    t = tambon.t
    ranks = dict(zip(table.iloc[:, 1], table[t("readiness.col.org_rank")], strict=True))
    assert ranks["c"] == 1 and ranks["a"] == ranks["b"] == 2 and pd.isna(ranks["d"])


def test_the_chart_caption_says_how_many_areas_it_leaves_out(plain_complements) -> None:
    readiness = plain_complements.readiness()
    missing = int(readiness.details["points"]["estimate"].isna().sum())
    assert missing > 0, "the sample has a hidden share"
    assert f"ไม่แสดงหมู่บ้าน {missing} แห่งที่ไม่เผยแพร่สัดส่วนครัวเรือนระดับ 1" in _text(readiness)


def test_a_village_report_places_its_organisations_among_its_tambons_villages(
        sample_store) -> None:
    """Ranked alone, every village was "อันดับ 1" in its own report while its tambon's report
    put it 2nd or 11th (a reader review); "11 จาก 11" in its place was blunt read aloud at a
    forum (another): the village's row gives the lowest and highest score of its tambon's
    other villages, as the tambon's report prints them, and no rank."""
    tambon = AreaReport.load("801501", 2549, store=sample_store)
    t = tambon.t
    table = tambon.readiness().details["organisations"]
    codes = sorted(tambon.analysis.villages.query("village_code.str.startswith('801501')")
                   ["village_code"])
    assert len(codes) > 1
    strength = t("readiness.col.org_strength")
    for code in codes:
        village = AreaReport.load(code, 2549, store=sample_store)
        own = village.readiness().details["organisations"]
        assert len(own) == 1
        name = own[t("col.village")].iloc[0]
        others = table.loc[(table[t("col.village")] != name)
                           & table[t("col.village")].str.startswith("หมู่ที่"), strength]
        printed = sorted(float(v) for v in others if str(v) not in ("", "–", "nan"))
        assert t("readiness.col.org_rank") not in own
        col = t("readiness.col.org_others_in_tambon")
        assert list(own.columns).index(col) == list(own.columns).index(strength) + 1
        notes = village.readiness().tables[-1].notes
        assert t("readiness.org.others_in_tambon") in notes
        low, high = f"{printed[0]:.1f}", f"{printed[-1]:.1f}"
        assert own[col].iloc[0] == (low if low == high else f"{low}–{high}"), (own, printed)
        assert " จาก " not in str(own[col].iloc[0])


def test_a_tambons_lift_names_the_villages_short_of_each_condition(sample_store,
                                                                   monkeypatch) -> None:
    """"Master plans in at least 50% of villages (now 45%)" told a tambon how far it was, not
    where to work (a reader review): the villages whose own value misses the condition are
    named beside it, in the condition's words; the same villages short of a later condition
    are given by their numbers and the condition that named them, not named twice on one
    page."""
    from abcresearch.labels import HalfUp
    from abcresearch.reports.sections.common import names_list
    from abcresearch.scoring.grade_rules import load_grade_rules
    from abcresearch.scoring.readiness import lift_conditions

    report = AreaReport.load("801501", 2549, store=sample_store)
    villages = report.analysis.villages.copy()
    mine = villages["village_code"].str.startswith("801501")
    # every village with a plan and at step 6 but two, without one and at step 1
    villages.loc[mine, ["master_plan", "process_step"]] = [1.0, 6.0]
    first = villages.index[mine][:2]
    villages.loc[first, ["master_plan", "process_step"]] = [0.0, 1.0]
    monkeypatch.setattr(report.analysis, "villages", villages)
    lift = lift_conditions(report.grade_row, load_grade_rules(), level="tambon")
    lines = [x for x in report.readiness().text.splitlines() if re.match(r"\d+\. ", x)]
    assert len(lines) == len(lift)
    # numbered as the conditions are, so that "ข้อที่ k" points at a printed number
    assert [int(x.split(".")[0]) for x in lines] == list(range(1, len(lift) + 1)), lines
    t = report.t
    names = names_list(t, [report.child_name(c) for c in villages.loc[first, "village_code"]])
    # the second time, by their numbers and which condition named them ("หมู่ที่ 1 และ 2
    # (ชุดเดียวกับข้อ 1)"): the names once on the page, the villages findable beside it
    numbers = [re.match(r"หมู่ที่ (\d+) ", report.child_name(c)).group(1)  # as named
               for c in villages.loc[first, "village_code"]]
    lift_lines = [i + 1 for i, (_, cond) in enumerate(lift.iterrows())
                  if cond["indicator"] in ("master_plan", "process_step") and cond["op"] == ">="]
    which = t("readiness.lift.same.nth", k=lift_lines[0])
    same = t("readiness.lift.villages.same", numbers=names_list(t, numbers), which=which)
    checked = 0
    for line, (_, cond) in zip(lines, lift.iterrows(), strict=True):
        if cond["indicator"] in ("master_plan", "process_step") and cond["op"] == ">=":
            # the step by its name ("ขั้นที่ 4 (เกิดแผนแม่บทชุมชน)"): one set of villages, one
            # action, for the plan and the step (a reader review)
            step = t(f"step.{int(cond['threshold'])}") \
                if cond["indicator"] == "process_step" else None
            said = t(f"readiness.lift.villages.{cond['indicator']}", step=step,
                     names=same if checked else names, threshold=HalfUp(cond["threshold"]))
            if step is not None:
                assert f"ขั้นที่ {int(cond['threshold'])} ({step})" in line, line
            assert line.endswith(said), line
            assert ") (" not in line and "))" not in line, line  # one aside, not two
            checked += 1
    assert checked == 2  # the tambon's grade has a master-plan and a process-step condition
    assert sum(names in x for x in lines) == 1


def test_a_readiness_table_names_every_band_and_step(sample_store) -> None:
    """An amphoe report's table printed support bands 1, 2, 5 and 6 with only band 1 explained,
    and its reasons said "step 1.3, not yet step 2" with no step named (a reader review): the
    notes give every band and every step in words."""
    from abcresearch.labels import label
    from abcresearch.reports.area import AreaReport
    from abcresearch.scoring.grades import load_grade_rules

    rules = load_grade_rules()
    rep = AreaReport.load("8015", 2549, store=sample_store, lang="th")
    notes = " ".join(t.notes or "" for t in rep.villages().tables)
    for i, (need, grade) in enumerate(rules.bands, start=1):
        assert f"{i} = {rules.need_labels[need]['th']} กลุ่ม {grade}" in notes, i
    for n in range(1, 7):
        assert f"{n} = {label(f'step.{n}', 'th')}" in notes, n


def test_the_need_column_says_high_or_lower_under_its_heading(sample_store) -> None:
    """"ความจำเป็น / ไม่สูง (ใกล้ / เกณฑ์)" took three lines in each of the province table's
    170 rows under a heading that already says "ความจำเป็น" (a reader review): the cells say
    "สูง" or "ไม่สูง"; sentences keep the full words."""
    from abcresearch.labels import label
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.province import ProvinceReport

    allowed = {label(f"readiness.need_short.{c}", "th") for c in ("high", "low")}
    allowed |= {label("readiness.near", "th", value=v) for v in set(allowed)}
    for res in (ProvinceReport.load("80", 2549, store=sample_store).tambon_ranking(),
                AreaReport.load("8015", 2549, store=sample_store).villages()):
        frame = res.to_frame(0)
        cells = set(frame[label("readiness.col.need", "th")].astype(str))
        shown = {c for c in cells if c not in {"<5", "×", "–", ""}}
        assert shown and shown <= allowed, cells
    # the reasons' sentences keep the full words ("กลุ่ม C · สูง" read as nothing)
    rep = AreaReport.load("8015", 2549, store=sample_store)
    reasons = next(p.text for p in rep.villages().parts if rep.t("readiness.reasons") in
                   getattr(p, "text", ""))
    full = {label(f"readiness.need_short.{c}", "th") for c in ("high", "low")}
    assert not any(f"· {w}\n" in reasons or reasons.rstrip().endswith(f"· {w}") for w in full)
    assert "· ความจำเป็น" in reasons, reasons[:300]


def test_a_tambons_pooled_ratios_say_how_many_villages_they_leave_out(sample_store,
                                                                        monkeypatch) -> None:
    """A village whose form kept its groups but lost its household count dropped out of its
    tambon's groups per 100 households (and of its welfare-fund share, without members or
    population) with nothing said: the organisation ranking of tambons now says how many
    villages each tambon's ratio leaves out, each count recorded as printed."""
    quiet = AreaReport.load("8015", 2549, store=sample_store, lang="th")
    tambons = quiet.analysis.tambons.copy()
    # every village answered both parts in the sample (organisation_strength counts them)
    counts = tambons[["groups_per_100hh_unanswered", "welfare_share_unanswered"]]
    assert (counts == 0).to_numpy().all()
    assert "ไม่นับหมู่บ้าน" not in quiet.readiness().tables[-1].notes
    report = AreaReport.load("8015", 2549, store=sample_store, lang="th")
    t = report.t
    # one village of the first tambon without a household count, two of the second without
    # a population; the third tambon's form figures all blank: its "–" says so already
    first, second, third = tambons.index[:3]
    tambons.loc[first, "groups_per_100hh_unanswered"] = 1
    tambons.loc[second, "welfare_share_unanswered"] = 2
    tambons.loc[third, ["welfare_share", "welfare_share_unanswered"]] = [np.nan, 4]
    monkeypatch.setattr(report.analysis, "tambons", tambons)
    res = report.readiness()
    notes = res.tables[-1].notes
    name = {c: report.child_name(str(tambons.loc[c, "tambon_code"]))
            for c in (first, second, third)}
    assert t("readiness.org.left_out.groups_per_100hh", column=t("readiness.col.org_strength"),
             areas=t("readiness.org.left_out.area", area=name[first], n="1")) in notes
    assert ("คะแนนความเข้มแข็งองค์กรคิดจำนวนกลุ่มต่อ 100 ครัวเรือนโดยไม่นับหมู่บ้านที่ไม่มี"
            f"จำนวนกลุ่มหรือจำนวนครัวเรือนที่ใช้ได้ ได้แก่ {name[first]} 1 หมู่บ้าน") in notes
    assert ("สมาชิกกองทุนสวัสดิการ (% ของประชากร) ไม่นับหมู่บ้านที่ไม่มีจำนวนสมาชิกกองทุนหรือจำนวนประชากร"
            f"ที่ใช้ได้ ได้แก่ {name[second]} 2 หมู่บ้าน") in notes
    assert name[third] not in notes.split(" · ", 1)[1]
    code = {c: str(tambons.loc[c, "tambon_code"]) for c in (first, second)}
    recorded = {(e.name, e.area): e.text for e in res.published if e.kind == "public"
                and e.name.endswith("_unanswered")}
    assert recorded == {("groups_per_100hh_unanswered", code[first]): "1",
                        ("welfare_share_unanswered", code[second]): "2"}
    # in English too
    en = AreaReport.load("8015", 2549, store=sample_store, lang="en")
    monkeypatch.setattr(en.analysis, "tambons", tambons)
    en_notes = en.readiness().tables[-1].notes
    assert ("Organisation strength counts groups per 100 households without the villages "
            "lacking a usable count of groups or of households: "
            f"1 in {en.child_name(code[first])}") in en_notes
    assert ("Welfare-fund members (% of people) leave out the villages without a usable count "
            f"of members or of people: 2 in {en.child_name(code[second])}") in en_notes


def test_the_province_ranking_names_only_the_printed_tambons_pooled_ratios(
        sample_store, monkeypatch) -> None:
    """The province ranking lists its strongest tambons: the note on villages a pooled ratio
    leaves out names only the tambons it prints (and records only their counts)."""
    from abcresearch.reports.province import ProvinceReport

    overview = ProvinceReport.load("80", 2549, store=sample_store)
    tambons = overview.analysis.tambons.copy()
    tambons["welfare_share_unanswered"] = 1
    monkeypatch.setattr(overview.analysis, "tambons", tambons)
    table = overview.tambon_table
    order = table.sort_values("org_strength", ascending=False, kind="mergesort")
    names = [f"{a} ({b})" for a, b in zip(order["tambon_name"], order["amphoe_name"],
                                          strict=True)]
    one = overview.readiness(limit=1)
    notes = one.tables[-1].notes
    assert f"ได้แก่ {names[0]} 1 หมู่บ้าน" in notes
    assert not any(n in notes for n in names[1:])
    assert [e.area for e in one.published if e.name == "welfare_share_unanswered"] \
        == [order["tambon_code"].iloc[0]]
    every = overview.readiness(limit=None).tables[-1].notes
    assert all(f"{n} 1 หมู่บ้าน" in every for n in names)


def _province_row(overview, code: str) -> dict[str, str]:
    """The province ranking's printed cells for a tambon, by column."""
    from abcresearch.reports.render import TABLE_MIME

    t = overview.t
    rd = overview.readiness(limit=None)
    spec = next(b[TABLE_MIME] for b in rd.bundles() if TABLE_MIME in b
                and b[TABLE_MIME]["caption"] == t("readiness.org.caption"))
    tt = overview.tambon_table.set_index("tambon_code")
    name = f"{tt.loc[code, 'tambon_name']} ({tt.loc[code, 'amphoe_name']})"
    rows = [r for r in spec["rows"] if r[1] == name]
    assert len(rows) == 1, name
    return dict(zip(spec["columns"], rows[0], strict=True))


@pytest.mark.parametrize("lang", ["th", "en"])
def test_a_tambon_report_ends_its_organisation_ranking_with_the_tambons_own_row(
        sample_store, lang) -> None:
    """The province report ranked Na Sai 41.7 while Na Sai's own report showed only its villages'
    scores (49.1, 42.7, 34.9, 34.1), with nothing to reconcile them (a reader review): the
    tambon report's ranking ends with the tambon's own pooled row, unranked, whose cells are
    the province's row for the tambon, recorded as printed, with a note on the pooling."""
    from abcresearch.reports.province import ProvinceReport
    from abcresearch.reports.render import TABLE_MIME
    from abcresearch.reports.sections.readiness import kinds_column, printed_rank

    overview = ProvinceReport.load("80", 2549, store=sample_store, lang=lang)
    t = overview.t
    codes = sorted(overview.tambon_table["tambon_code"])
    assert len(codes) == 3
    pooled_differs = False
    counted = 0
    for code in codes:
        report = AreaReport.load(code, 2549, store=sample_store, lang=lang)
        res = report.readiness()
        table = next(tb for tb in res.tables if tb.caption == t("readiness.org.caption"))
        spec = table.spec
        cols = spec["columns"]
        *villages, whole = [dict(zip(cols, r, strict=True)) for r in spec["rows"]]
        province = _province_row(overview, code)
        # the same cells as the province prints them, in the village table's columns
        assert whole[t("readiness.col.org_rank")] == ""
        assert whole[t("col.village")] == t("row.total")
        for col in ("readiness.col.org_strength", "readiness.col.welfare_share", "col.forums"):
            assert whole[t(col)] == province[t(col)], (code, col)
        assert whole[kinds_column(report)] == province[t("readiness.col.n_group_types")]
        # the tambon's group, as the province's ranking prints it
        assert whole[t("readiness.col.grade")] == province[t("readiness.col.grade")]
        # the villages with a plan of those above, where they give the province's share
        # ("1 จาก 4 หมู่บ้าน", plainer than "ร้อยละ 25.0 มีแผน", a reader review); else the share
        plans = [v[t("readiness.col.has_plan")] for v in villages]
        k, n = plans.count(t("readiness.yes")), len(plans)
        share = province[t("readiness.col.plan_share")]
        if plans.count(t("readiness.no")) == n - k and f"{100 * k / n:.1f}" == share:
            assert whole[t("readiness.col.has_plan")] == t("readiness.org.whole.plan_count",
                                                           k=k, n=n)
            counted += 1
        else:
            assert whole[t("readiness.col.has_plan")] == t("readiness.org.whole.plan",
                                                           share=share)
        # the villages keep their ranks (printed scores, the whole row not among them) and
        # their forums as whole numbers
        scores = pd.Series([float(v[t("readiness.col.org_strength")]) for v in villages])
        assert [v[t("readiness.col.org_rank")] for v in villages] == \
            [str(int(r)) for r in printed_rank(scores)]
        assert all(v[t("readiness.col.org_rank")] for v in villages)
        assert all("." not in v[t("col.forums")] for v in villages)
        assert len(villages) == len(report.children)
        pooled_differs |= whole[t("readiness.col.org_strength")] != \
            f"{scores.mean():.1f}"
        assert t("readiness.org.whole.note", row=t("row.total")) in table.notes
        # the row's figures are in the ledger as printed, under the tambon's code
        printed = {"org_strength": whole[t("readiness.col.org_strength")],
                   "welfare_share x 100": whole[t("readiness.col.welfare_share")],
                   "forums_year": whole[t("col.forums")],
                   "n_group_types": province[t("readiness.col.n_group_types")],
                   "master_plan x 100": province[t("readiness.col.plan_share")]}
        recorded = sorted((e.name, e.text) for e in res.published if e.kind == "public"
                          and e.area == code and e.name in printed)
        assert recorded == sorted(printed.items())
        assert [b for b in res.bundles() if TABLE_MIME in b]
    assert pooled_differs, "in the sample, a pooled score is not the mean of its villages'"
    assert counted, "in the sample, a tambon's plans are counted in villages"


def test_village_and_amphoe_reports_have_no_whole_area_row_in_the_ranking(
        sample_store) -> None:
    """A village report's ranking is its one row (the whole area itself); an amphoe has no
    organisation score of its own (it is not graded, and no report prints one)."""
    for code, n in (("80150101", 1), ("8015", 3)):
        report = AreaReport.load(code, 2549, store=sample_store)
        t = report.t
        res = report.readiness()
        org = res.details["organisations"]
        assert len(org) == n, code
        assert t("row.total") not in set(org.iloc[:, 1])
        notes = res.tables[-1].notes
        assert t("readiness.org.whole.note", row=t("row.total")) not in notes


def test_a_tambon_reports_own_row_says_which_villages_its_ratios_leave_out(
        sample_store, monkeypatch) -> None:
    """The province ranking says how many villages a tambon's pooled ratio leaves out; the
    tambon report's own row, the same figure, says so too (recorded under the tambon)."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    t = report.t
    assert "ไม่นับหมู่บ้าน" not in report.readiness().tables[-1].notes
    tambons = report.analysis.tambons.copy()
    tambons.loc[tambons["tambon_code"] == "801501", "groups_per_100hh_unanswered"] = 1
    report = AreaReport.load("801501", 2549, store=sample_store)
    monkeypatch.setattr(report.analysis, "tambons", tambons)
    res = report.readiness()
    assert t("readiness.org.left_out.groups_per_100hh", column=t("readiness.col.org_strength"),
             areas=t("readiness.org.left_out.area", area=report.area_name(), n="1")) \
        in res.tables[-1].notes
    assert [(e.area, e.text) for e in res.published
            if e.name == "groups_per_100hh_unanswered"] == [("801501", "1")]


def test_a_tambon_whose_groups_ratio_rests_on_no_village_says_so(sample_store,
                                                                 monkeypatch) -> None:
    """Every village of a tambon without a usable household count: its groups per 100
    households rests on no village, yet its organisation strength still prints (the other
    components, weights rescaled); the note was skipped as if a "–" said it (a review)."""
    report = AreaReport.load("8015", 2549, store=sample_store, lang="th")
    tambons = report.analysis.tambons.copy()
    first = tambons.index[0]
    n = int(tambons.loc[first, "n_villages"])
    tambons.loc[first, ["groups_per_100hh", "groups_per_100hh_unanswered"]] = [np.nan, n]
    monkeypatch.setattr(report.analysis, "tambons", tambons)
    res = report.readiness()
    name = report.child_name(str(tambons.loc[first, "tambon_code"]))
    t = report.t
    said = t("readiness.org.left_out.area_all", area=name, n=str(n))
    assert said == f"{name} ทุกหมู่บ้าน ({n} หมู่บ้าน)"
    assert said in res.tables[-1].notes
    recorded = {(e.name, e.area): e.text for e in res.published if e.kind == "public"
                and e.name.endswith("_unanswered")}
    assert recorded == {("groups_per_100hh_unanswered", str(tambons.loc[first, "tambon_code"])):
                        str(n)}


def test_a_grade_reason_records_only_the_left_out_counts_it_can_speak_of(sample_store) -> None:
    """A reason saying "(ไม่นับ 1 หมู่บ้าน…)" of the forums recorded the groups ratio's left-out
    count too, which no grade rule reads and the page never printed (a review)."""
    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections.readiness import published_reason
    from abcresearch.scoring.grade_rules import load_grade_rules

    gr = load_grade_rules()
    rep = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    row = rep.grade_row.copy()
    row["forums_year_unanswered"] = 1
    row["groups_per_100hh_unanswered"] = 1
    row["welfare_share_unanswered"] = 1
    row["reason_th"] = ("หมู่บ้านจัดเวทีประชาคมเฉลี่ยปีละ 3.9 ครั้ง"
                        + gr.partial_reason["th"].format(n=1))
    pub = Publisher(rep, "readiness")
    published_reason(pub, row, rep.area.code, rep, gr)
    assert [(e.name, e.text) for e in pub.entries if e.name.endswith("_unanswered")] == [
        ("forums_year_unanswered", "1")]


def test_an_amphoes_chart_names_its_tambons(sample_store) -> None:
    """An amphoe's need x readiness chart drew its tambons unnamed: the officer could not tell
    which point was which (a reader review). Each drawn point has its tambon's name, as a
    label of the chart Typst draws (the words set in 7-point text)."""
    import re

    from abcresearch.reports.render.typst import escape_markup
    from abcresearch.survey.areas import get_area

    rep = AreaReport.load("8015", 2549, store=sample_store)
    res = rep.readiness()
    markup = res.figures[0].markup
    texts = set(re.findall(r'text\(size: 7\.0pt, [^)]*\)\[([^]]*)\]', markup))
    pts = res.details["points"]
    drawn = [c for c, h in zip(rep.children["code"], pts["estimate"].isna(), strict=True)
             if not h]
    assert drawn
    for code in drawn:
        assert escape_markup(get_area(str(code)).name_th) in texts, (code, texts)
    assert len(texts) == len(drawn)


def test_the_readiness_notes_say_when_need_is_high(sample_store) -> None:
    """The notes named the share at level 1 and M0 "shown beside", and the reasons one
    threshold each: a reader could not tell that either one makes need high (a reader
    review). The rule is said once, from the need rules."""
    from abcresearch.reports.sections.readiness import readiness_table_notes
    from abcresearch.scoring.grade_rules import load_grade_rules

    rep = AreaReport.load("801501", 2549, store=sample_store)
    notes = readiness_table_notes(rep.t, load_grade_rules(), "th")
    assert "ร้อยละครัวเรือนระดับ 1 ตั้งแต่ 40 หรือดัชนีความยากจนหลายมิติ (M0) ตั้งแต่ 0.38" in notes
    assert notes in rep.villages().tables[0].notes


def test_the_overview_lists_each_groups_and_need_classs_criteria(overview) -> None:
    """The province overview showed each tambon's group and need but not what they rest on,
    which only the methods appendix gave, in the indicators' units ("แผนแม่บทชุมชน (1 = มี)
    ≥ 0.5"; a reader review). Its readiness section lists the rules in the order they are
    tried, in words, each threshold from the rules."""
    from abcresearch.reports.sections.readiness import criterion_text, grade_criteria
    from abcresearch.scoring.grade_rules import load_grade_rules

    rules = load_grade_rules()
    text = overview.readiness().text
    criteria = grade_criteria(overview.t, rules, "th")
    names = list(criteria.iloc[:, 0])
    # the groups in the order tried, then the need classes, each once, in the section
    assert names == [str(rules.grade_labels[r["grade"]]["th"]) for r in rules.rules] + [
        str((rules.need_labels or {})[r["grade"]]["th"]) for r in rules.need_rules]
    for name, rule in criteria.itertuples(index=False):
        assert f"**{name}**: {rule}" in text
    a_rule = next(r for r in rules.rules if r["grade"] == "A")
    a_row = criteria.iloc[[r["grade"] for r in rules.rules].index("A"), 1]
    assert a_row.startswith("ตำบลที่เข้าเกณฑ์ครบทุกข้อต่อไปนี้ (1)\u00a0")
    assert "หมู่บ้านอย่างน้อยร้อยละ 50 มีแผนแม่บทชุมชน" in a_row
    assert len(re.findall(r"\(\d\)", a_row)) == len(a_rule["all"])
    assert "ครัวเรือนระดับ 1 ตั้งแต่ร้อยละ 40" in text and "(M0) ตั้งแต่ 0.38" in text
    assert "0.5" not in a_row  # a share is said as a percentage of villages
    # the thresholds are the rules' own: moved, the words follow
    plan = next(c for c in a_rule["all"] if c["indicator"] == "master_plan")
    assert "ร้อยละ 60 มี" in criterion_text(overview.t, {**plan, "value": 0.6}, "th")
    # a condition without words of its own (a custom rules file) is said from its indicator
    bare = {k: v for k, v in plan.items() if k != "criterion"}
    assert criterion_text(overview.t, bare, "th") == "แผนแม่บทชุมชน ตั้งแต่ 0.5"


def test_the_province_ranking_says_which_support_bands_no_tambon_is_in(overview,
                                                                      monkeypatch) -> None:
    """The ranking's band numbers ran 1, 2, 4 with nothing said of 3 (a provincial committee's
    review): the caption names the empty bands (in the notes, it came three pages after the
    skip), but only where no tambon's band is hidden (a hidden one might be in an
    empty-looking band)."""
    import numpy as np

    from abcresearch.labels import names_list
    from abcresearch.reports.sections import readiness as R
    from abcresearch.scoring.grade_rules import load_grade_rules

    t = overview.t
    bands = {int(b) for b in overview.tambon_table["priority_band"].dropna()}
    empty = [str(b) for b in range(1, len(load_grade_rules().bands) + 1) if b not in bands]
    assert empty  # the sample store's few tambons leave bands empty
    said = t("readiness.ranking.empty_bands", bands=names_list(t, empty))
    # the sample store hides a tambon's band: nothing said
    table = overview.tambon_ranking().tables[0]
    assert said not in table.notes and said not in table.caption
    monkeypatch.setattr(R, "need_hidden",
                        lambda pub, codes, h: np.zeros(len(codes), dtype=bool))
    res = overview.tambon_ranking()
    table = res.tables[0]
    assert table.caption.endswith(f" ({said})") and said not in table.notes
    # the table is still found by its caption (a code review: a KeyError only then)
    assert len(res.to_frame(t("readiness.ranking.caption"))) == len(table.data)


def test_the_organisation_rankings_of_tambons_give_each_ones_readiness_group(
        overview, sample_store) -> None:
    """A tambon 15th in organisation strength and in group C read as a contradiction (a
    provincial committee's review): the province's and an amphoe's rankings of tambons give
    each tambon's group as the tambon ranking prints it, and say that the group rests on more
    than the strength; a tambon's ranking of its villages gives each village's group as its
    chart and its counts by group place it (it gave none, beside a chart of the villages by
    group: a reader review)."""
    t = overview.t
    col = t("readiness.col.grade")
    ranking = overview.tambon_ranking().to_frame(0)
    group_of = dict(zip(ranking[t("col.tambon")] + " (" + ranking[t("col.amphoe")] + ")",
                        ranking[col], strict=True))
    rd = overview.readiness(limit=None)
    org = rd.to_frame(len(rd.tables) - 1)
    assert col in org.columns and len(org) == len(ranking)
    for name, group in zip(org[t("col.tambon")], org[col], strict=True):
        assert group == group_of[name], (name, group, group_of[name])
    assert set(org[col]) - {overview.marker}, org[col]  # some group is printed
    assert t("readiness.org.groups.tambon") in rd.tables[-1].notes
    amphoe = AreaReport.load("8015", 2549, store=sample_store)
    ard = amphoe.readiness()
    aorg = ard.to_frame(len(ard.tables) - 1)
    for name, group in zip(aorg[t("col.tambon")], aorg[col], strict=True):
        own = f"{name.removeprefix('ตำบล')} ({amphoe.area.name_th})"
        assert group == group_of[own], (name, group)
    assert t("readiness.org.groups.tambon") in ard.tables[-1].notes
    tambon = AreaReport.load("801501", 2549, store=sample_store)
    trd = tambon.readiness()
    torg = trd.to_frame(len(trd.tables) - 1).iloc[:-1]  # the villages; then the tambon's row
    pts = trd.details["points"]
    village_group = dict(zip(pts["label"], pts["grade"], strict=True))
    assert len(torg) == len(pts)
    for name, group in zip(torg[t("col.village")], torg[col], strict=True):
        short = " ".join(name.split(" ")[:2])  # "หมู่ที่ 1 บ้าน…" -> the chart's "หมู่ที่ 1"
        assert group.split(" ")[:2] == ["กลุ่ม", village_group[short]] or group == tambon.marker
    assert t("readiness.org.groups.village") in trd.tables[-1].notes
    assert t("readiness.org.groups.tambon") not in trd.tables[-1].notes


def test_areas_one_form_condition_short_of_the_next_group_are_listed(sample_store) -> None:
    """Two villages missed group A on their forums alone, a cheap thing for a TAO to support,
    and the reasons' list left a reader to find them (reader reviews of a tambon and an
    amphoe): after the reasons, the areas whose one step to the next group is a village-form
    condition are listed with it, exactly those, in the list's order."""
    from abcresearch.scoring.grade_rules import FORM_INDICATORS
    from abcresearch.scoring.readiness import lift_conditions

    # a village at step 3 with no master plan makes the plan and reaches step 4 with it: one
    # step (params/grades.yaml's met_with; a reader review found two such villages left out)
    also = " (ทำแผนแล้วก็ถึงขั้นที่ 4 ของกระบวนการด้วย)"
    listed_any = with_plan = 0
    for code in ("801501", "801502", "801503", "8015"):
        report = AreaReport.load(code, 2549, store=sample_store)
        t = report.t
        level = "tambon" if report.level == "amphoe" else "village"
        expected = []
        for _, row in report.children.iterrows():
            lift = lift_conditions(row, None, level=level)
            own = lift[lift["met_by"] == ""]
            if len(own) == 1 and lift["indicator"].isin(FORM_INDICATORS).all():
                merged = len(lift) == 2
                assert not merged or list(lift["indicator"]) == ["master_plan", "process_step"]
                with_plan += merged
                expected.append((report.child_name(row["code"]),
                                 own["text_th"].iloc[0] + (also if merged else "")))
        res = report.villages()
        unit = t(f"readiness.areas.{'village' if report.level == 'tambon' else 'tambon'}")
        heading = t("readiness.one_step.heading", areas_word=unit.capitalize())
        text = res.text
        if not expected:
            assert heading not in text
            continue
        block = text.split(heading, 1)[1]
        items = [x[2:] for x in block.strip().splitlines() if x.startswith("- ")]
        got = [(x.split("**")[1], x.split("): ", 1)[1]) for x in items]
        assert sorted(got) == sorted(expected), (got, expected)
        # in the order of the list above (the support bands)
        order = [report.child_name(c) for c in res.estimates["code"]]
        assert [g[0] for g in got] == sorted((g[0] for g in got), key=order.index)
        listed_any += len(got)
    assert listed_any, "no area of the sample is one condition short"
    assert with_plan, "no village of the sample is short of the plan and step 4 alone"


def test_a_villages_own_summary_counts_the_plan_and_step_4_as_one_step(sample_store) -> None:
    """A village at step 3 with no plan was one step short in its tambon's list, and two on
    its own summary (a code review): its summary lists the plan, saying it reaches step 4 too."""
    from abcresearch.reports.sections.summary_page import grade_lift
    from abcresearch.scoring.readiness import lift_conditions

    also = " (ทำแผนแล้วก็ถึงขั้นที่ 4 ของกระบวนการด้วย)"
    checked = 0
    for tambon in ("801501", "801502", "801503"):
        for _, row in AreaReport.load(tambon, 2549, store=sample_store).children.iterrows():
            lift = lift_conditions(row, None, level="village")
            if not (lift["met_by"] != "").any():
                continue
            village = AreaReport.load(str(row["code"]), 2549, store=sample_store)
            _, steps, _, items = grade_lift(village)
            assert len(steps) == len(items) == len(lift) - 1
            assert steps[0] == "จัดทำแผนแม่บทชุมชน" + also
            assert not any("ให้ถึงขั้นที่ 4" in s for s in steps)
            checked += 1
    assert checked


def test_a_villages_steps_to_the_next_group_are_on_its_summary_only(sample_store) -> None:
    """The steps to group A were read out twice at a forum, word for word, and differed once
    the summary's copy said more (reader reviews): a village's readiness page points to its
    one-page summary, which lists them; a tambon's readiness page still lists its own (with
    the villages short of each)."""
    said = 0
    for code in ("80150103", "80150202", "80150301"):
        village = AreaReport.load(code, 2549, store=sample_store)
        steps = village.summary_page().details["steps"]
        assert steps
        text = village.readiness().text
        assert not any(s in text for s in steps), text
        assert "สิ่งที่จะช่วยให้ก้าวสู่กลุ่มถัดไป" in text  # the pointer, in the intro
        assert village.area_name() + "ก้าวสู่" not in text  # no heading of a list of steps
        assert all(s in village.summary_page().text for s in steps)
        said += 1
    tambon = AreaReport.load("801501", 2549, store=sample_store)
    assert tambon.t("readiness.lift.heading", area="", grade="")[:12] in tambon.readiness().text
    assert said
