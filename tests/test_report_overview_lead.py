"""The province overview that leads: findings first, the capital heat map by amphoe, programme
flags, the named tile map, and a real choropleth from a (synthetic) GeoJSON."""

from __future__ import annotations

import json
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

from abcresearch.errors import InputError, ParamsError
from abcresearch.reports import charts
from abcresearch.reports.province import ProvinceReport
from abcresearch.reports.sections import province as P
from abcresearch.reports.sections.programmes import load_programmes
from abcresearch.survey.areas import tambons

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def overview(sample_store) -> ProvinceReport:
    return ProvinceReport.load("80", 2549, store=sample_store)


@pytest.fixture(scope="module")
def programmes(tmp_path_factory):
    path = tmp_path_factory.mktemp("progs") / "programmes.yaml"
    path.write_text(
        "programmes:\n"
        "  - id: welfare_pilot\n"
        "    name: {th: \"ตำบลนำร่องสวัสดิการ\", en: \"Welfare pilot\"}\n"
        "    source: a synthetic example for the test\n"
        "    expected_size: 55\n"
        "    tambons: [\"801501\", \"800101\"]\n", encoding="utf-8")
    return str(path)


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _as_if_more_amphoes(monkeypatch) -> None:
    """The sample store holds amphoe 8015 only, whose overview has no heat map and no province
    row (test_an_overview_of_one_amphoe_does_not_compare_it_with_itself): drawn as for many."""
    from abcresearch.reports.context import ProvinceContext

    monkeypatch.setattr(ProvinceContext, "holds_one_amphoe", lambda self: False)


def test_an_overview_of_one_amphoe_does_not_compare_it_with_itself(overview,
                                                                   programmes) -> None:
    """A store holding one amphoe (a district team's) drew the overview's heat map of "the
    difference from the province mean" as one row of zeros, and printed a whole-province row
    equal to the amphoe's (a code review): neither, and the lead says why."""
    assert overview.holds_one_amphoe()
    res = overview.lead(programmes=programmes)
    assert not res.figures
    # right after the coverage: every figure after it is the amphoe's
    assert res.details["findings"][1] == overview.t("lead.one_amphoe", amphoe="ขนอม")
    whole = overview.t("amphoe.province_row", province=overview.province.label("th"))
    table = overview.amphoe_table()
    assert [len(table.to_frame(i)) for i in (0, 1)] == [1, 1]
    assert whole not in table.text
    assert table.tables[0].notes == overview.t("amphoe.notes.one",
                                               ranking=overview.t("section.tambon_ranking"))


def test_findings_come_first_with_the_heat_map(overview, programmes, monkeypatch) -> None:
    _as_if_more_amphoes(monkeypatch)
    res = overview.lead(programmes=programmes)
    found = res.details["findings"]
    assert len(found) >= 5
    assert res.parts[0].as_markdown() == f"## {overview.t('section.lead')}"
    assert all(f in res.text for f in found)
    hh = overview.households
    assert f"{len(hh):,}" in found[0]
    tt = overview.tambon_table
    shown = tt[tt["n_households"] >= overview.threshold]
    counts = shown["grade"].value_counts()
    assert found[1] == overview.t("lead.grades", a=int(counts.get("A", 0)),
                                  b=int(counts.get("B", 0)), c=int(counts.get("C", 0)),
                                  n=len(shown), near=overview.t(
                                      "lead.grades_near", n=int(shown["near_threshold"].sum()))
                                  if shown["near_threshold"].any() else "",
                                  label_a=overview.grade_label("A"),
                                  label_b=overview.grade_label("B"),
                                  label_c=overview.grade_label("C"), ungraded="")
    assert found[1].startswith("ความพร้อมของ") and "กลุ่ม C (ควรเสริมความเข้มแข็งก่อน)" in found[1]
    # the groups' names are the grade rules' (an edited label was left old on page 1)
    assert all(overview.grade_label(g) in found[1] for g in ("A", "B", "C"))
    # the heat map: one row per amphoe, one column per capital, the published means
    values, marks = res.estimates, res.details["marks"]
    means = overview.analysis.means
    am = means[(means["level"] == "amphoe") & (means["capital"] == "human")]
    assert values.loc["8015", "human"] == pytest.approx(float(am["estimate"].iloc[0]))
    fig = res.figures[0]  # drawn by Typst: what each cell prints is its data
    cells = [c for c in fig.data.to_numpy().ravel() if c]
    assert len(cells) == values.notna().sum().sum()
    assert all(f"[{c}]" in fig.markup for c in cells)  # each number is text in the chart
    assert set(marks.to_numpy().ravel()) <= {"", "▲", "▼"}
    # programme tambons: the surveyed one with its grade, the other as not surveyed
    table = res.to_frame(0)
    assert set(table[overview.t("col.tambon")]) == {"ขนอม", "ในเมือง"}
    rows = table.set_index(overview.t("col.tambon"))
    assert rows.loc["ในเมือง", overview.t("readiness.col.grade")] == overview.t("lead.not_surveyed")
    k = tt.set_index("tambon_code").loc["801501"]
    assert rows.loc["ขนอม", overview.t("readiness.col.grade")].startswith(f"กลุ่ม {k['grade']}")
    assert any("ตำบลนำร่องสวัสดิการ" in f for f in found)


def test_need_beside_readiness_counted_by_hand(overview) -> None:
    from abcresearch.reports.area import AreaReport

    res = overview.lead()
    rc = res.details["readiness"]
    tt = overview.tambon_table
    small = tt["n_households"].to_numpy() < overview.threshold
    # a tambon's need counts only where its own report publishes its level-1 share
    own = [AreaReport.load(c, overview.survey_round, store=overview.store).write_summary()
           .summary["share_level1"] for c in tt["tambon_code"]]
    hidden = np.array([s is None for s in own]) | small
    need = tt[~hidden]
    high = need[need["need"] == "high"]["grade"].value_counts()
    assert rc["n_need"] == len(need) and rc["high"] == high.to_dict()
    left = int(rc["n"]) - len(need)  # said, not left for the reader to subtract
    # how far the count could move within the sampling error: the need classes near their
    # threshold, of high need and of lower need
    near = need["need_near_threshold"].astype(bool)
    is_high = need["need"] == "high"
    k, m = int((near & is_high).sum()), int((near & ~is_high).sum())
    assert (rc["need_near_high"], rc["need_near_other"]) == (k, m)
    sentence = overview.t("lead.need", high=int(high.sum()), n=len(need),
                          a=int(high.get("A", 0)), b=int(high.get("B", 0)),
                          c=int(high.get("C", 0)),
                          hidden=overview.t("lead.need_hidden", k=left) if left > 0 else "",
                          ungraded="",  # a census round: every tambon graded
                          ranking=overview.t("section.tambon_ranking"))
    assert "ความจำเป็นสูง" in sentence and "กลุ่ม C" in sentence
    # it points to where the tambons are named, not to a chart of unnamed points
    assert f"“{overview.t('section.tambon_ranking')}”" in sentence
    if len(need):
        assert sentence in res.details["findings"]
        # the count's range, a finding of its own right after it (not in brackets inside it)
        if k or m:
            after = res.details["findings"][res.details["findings"].index(sentence) + 1]
            assert after == overview.t("lead.need_near" + ("" if k and m else "_high" if k
                                                          else "_other"),
                                       k=k, m=m, lo=int(high.sum()) - k, hi=int(high.sum()) + m)
    else:  # the sample's three tambons hide their shares: no need sentence at all
        assert not any("ความจำเป็นสูง" in f for f in res.details["findings"])


def test_tile_map_shows_names_not_codes_and_flags(overview, programmes) -> None:
    res = overview.grade_map(programmes=programmes)
    assert res.details["kind"] == "tiles" and res.details["flagged"] == {"801501", "800101"}
    fig = res.figures[0]  # drawn by Typst: its tiles' words are text in the chart
    labels = re.findall(r"text\(size: ([\d.]+)pt, fill: [^,]+, top-edge: \"ascender\", "
                        r"bottom-edge: \"descender\"\)\[([^\]]*)\]", fig.markup)
    texts = " ".join(x for _, x in labels)
    for code, name in res.details["names"].items():
        if code.startswith("8015"):
            assert name in texts
        assert code[-2:] + " " not in texts.replace(name, "")
    assert not any(x.strip().isdigit() for _, x in labels)
    grade = res.details["grades"]["801501"]
    assert f"ขนอม  {grade}" in [x for _, x in labels]
    assert fig.markup.count("stroke: 1.4pt + black") == 2  # the two tambons of the list
    assert fig.markup.count("polygon(fill: black") == 2 + 1  # their stars, and the legend's
    assert set(fig.data.loc[fig.data["flagged"], "tambon_code"]) == {"801501", "800101"}
    # names at the tiles' type size, long ones shrunk to fit their tile (tests/test_charts.py
    # checks that every name stays inside its tile)
    sizes = [float(size) for size, _ in labels]
    long = [float(size) for size, x in labels if "ปากพนังฝั่งตะวันออก" in x]
    assert long and all(size < charts.TILE_FONT_SIZE for size in long)
    assert all(size <= charts.TILE_FONT_SIZE for size in sizes)
    assert sum(size == charts.TILE_FONT_SIZE for size in sizes) >= 0.8 * len(sizes)


def _square(x: float, y: float, d: float = 0.05) -> list[list[float]]:
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def test_choropleth_from_a_synthetic_geojson(overview, programmes, tmp_path) -> None:
    codes = tambons("80").query("parent == '8015'")["code"].tolist()
    feats = []
    for i, code in enumerate(codes):
        x, y = 99.8 + 0.06 * i, 9.2
        if i == 0:  # a MultiPolygon whose first part has a hole, the code as "TH" + code
            geom = {"type": "MultiPolygon", "coordinates": [
                [_square(x, y), _square(x + 0.01, y + 0.01, 0.02)], [_square(x, y - 0.2, 0.01)]]}
            props = {"ADM3_PCODE": f"TH{code}", "name": "x"}
        else:
            geom = {"type": "Polygon", "coordinates": [_square(x, y)]}
            props = {"tambon_code": code}
        feats.append({"type": "Feature", "properties": props, "geometry": geom})
    feats.append({"type": "Feature", "properties": {"name": "sea"},
                  "geometry": {"type": "Polygon", "coordinates": [_square(99.0, 9.0)]}})
    feats.append({"type": "Feature", "properties": {"tambon_code": "801501"},
                  "geometry": {"type": "Point", "coordinates": [99.9, 9.2]}})
    geo = tmp_path / "tambons.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                   encoding="utf-8")
    polys = P.boundary_polygons(geo, "80")
    assert [c for c, _ in polys] == [codes[0], codes[0], *codes[1:], None]
    assert len(polys[0][1]) == 2  # outer ring and its hole
    res = overview.grade_map(boundary_file=geo, programmes=programmes)
    assert res.details["kind"] == "choropleth"
    ax = res.figures[0].figure.axes[0]
    grades = res.details["grades"]
    fills, outlines = ax.patches[:len(polys)], ax.patches[len(polys):]
    faces = [matplotlib.colors.to_hex(p.get_facecolor()) for p in fills]
    expected = [charts.GRADE_COLOURS.get(grades.get(c or "", ""), charts.NO_DATA_COLOUR)
                for c, _ in polys]
    assert faces == expected
    holed = ax.patches[0].get_path()
    assert (holed.codes == holed.MOVETO).sum() == 2
    hatches = [p.get_hatch() or "" for p in ax.patches]
    assert hatches[1:len(codes) + 1] == [charts.GRADE_HATCHES.get(grades.get(c, ""), "")
                                         for c in codes]
    texts = _texts(ax)
    for c in codes:
        assert any(t.startswith(res.details["names"][c]) for t in texts)
    # the flagged tambon (both of its polygons) is outlined in black and starred once
    assert len(outlines) == 2 and all(matplotlib.colors.to_hex(p.get_edgecolor()) == "#000000"
                                      and p.get_facecolor()[3] == 0 for p in outlines)
    assert np.array_equal(outlines[0].get_path().vertices, fills[0].get_path().vertices)
    assert all(matplotlib.colors.to_hex(p.get_edgecolor()) == "#ffffff" for p in fills)
    assert len([ln for ln in ax.lines if ln.get_marker() == charts.FLAG_MARK]) == 1
    # drawn to scale: one degree of longitude is cos(latitude) of one of latitude
    assert ax.get_aspect() == pytest.approx(1 / np.cos(np.radians(9.2)), rel=0.01)
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": feats[-2:]}),
                   encoding="utf-8")
    with pytest.raises(InputError, match="no feature has a 6-digit tambon code"):
        overview.grade_map(boundary_file=geo)


def test_bad_programme_lists_are_named_together(tmp_path) -> None:
    bad = tmp_path / "programmes.yaml"
    bad.write_text("programmes:\n"
                   "  - id: a\n    name: {th: ก}\n    source: s\n    expected_size: 1\n"
                   "    tambons: [\"801501\", \"801502\", \"123456\"]\n"
                   "  - id: a\n    name: {th: ข, en: b}\n    source: ''\n", encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        load_programmes(bad)
    msg = str(err.value)
    for part in ("name.en", "'123456'", "more than expected_size 1", "id is used twice",
                 "source"):
        assert part in msg


def test_the_reader_review_of_the_overview(overview, programmes, monkeypatch) -> None:
    """A fresh reader's walk-through: the heat map's note fell to the next page as a loose
    paragraph, Table 11 printed "2685" households, the cover said "พื้นที่ย่อย", and the
    lowest amphoe was named alone beside another that printed the same share."""
    _as_if_more_amphoes(monkeypatch)
    from abcresearch.reports.sections import overview_lead

    res = overview.lead(programmes=programmes)
    fig = res.figures[0]
    assert fig.caption == overview.t("lead.heatmap_note")  # numbered, with its note
    from abcresearch.reports.render import TABLE_MIME

    # (the sample store's tambons have fewer than 1,000 households sampled: ten times more)
    table = type(overview).tambon_table
    monkeypatch.setattr(type(overview), "tambon_table", property(
        lambda self: table.fget(self).assign(n_households=lambda d: 10 * d["n_households"])))
    spec = next(b[TABLE_MIME] for b in overview.tambon_ranking().bundles() if TABLE_MIME in b)
    monkeypatch.undo()
    at = spec["columns"].index(overview.t("col.sampled_households"))
    counts = [row[at] for row in spec["rows"]]  # as printed
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", c) or c == overview.marker for c in counts)
    assert any("," in c for c in counts)
    cover = overview.cover().text
    assert "พื้นที่ย่อย" not in cover and "ผลการจัดกลุ่มของตำบลในพื้นที่" in cover
    assert overview.t("cover.title") in cover
    # two amphoes printing the same lowest share are named together
    real = overview_lead._share

    def tie(design, measure, lvl, by=None):
        out = real(design, measure, lvl, by=by)
        if by == "amphoe_code":  # (one amphoe in the sample store): two more, one tied
            low = out["estimate"].min()
            extra = out.iloc[[0, 0]].set_axis(["8001", "8002"])
            extra["estimate"] = [low + 0.001, low + 0.2]
            out = pd.concat([out, extra])
        return out

    monkeypatch.setattr(overview_lead, "_share", tie)
    # (the sample store's amphoe shares rest on too few households to print: shown here)
    from types import SimpleNamespace

    monkeypatch.setattr(overview_lead, "level1_share", lambda *a, **k: SimpleNamespace(
        hidden=False, with_ci="30 (25–35)", text="30", low="25", high="35"))
    fresh = ProvinceReport.load("80", 2549, store=overview.store)  # (results are kept)
    found = fresh.lead(programmes=programmes).details["findings"]
    line = next((f for f in found if f.startswith("สัดส่วนครัวเรือนระดับ 1 สูงสุดที่")), None)
    assert line is not None, found
    assert re.search(r"สูงสุดที่อำเภอ[^ ]+ \(ร้อยละ \d+\) ต่ำสุดที่อำเภอ\S+ และอำเภอ\S+ "
                     r"\(ร้อยละ \d+\)", line), line


def test_amphoes_all_printing_one_share_are_not_called_highest_and_lowest(
        overview, programmes, monkeypatch) -> None:
    from types import SimpleNamespace

    from abcresearch.reports.sections import overview_lead

    real = overview_lead._share

    def equal(design, measure, lvl, by=None):
        out = real(design, measure, lvl, by=by)
        if by == "amphoe_code":  # (one amphoe in the sample store): another, same share
            extra = out.iloc[[0]].set_axis(["8001"])
            extra["estimate"] = out["estimate"].iloc[0] + 0.001
            out = pd.concat([out, extra])
        return out

    monkeypatch.setattr(overview_lead, "_share", equal)
    monkeypatch.setattr(overview_lead, "level1_share", lambda *a, **k: SimpleNamespace(
        hidden=False, with_ci="30 (25–35)", text="30", low="25", high="35"))
    fresh = ProvinceReport.load("80", 2549, store=overview.store)
    found = fresh.lead(programmes=programmes).details["findings"]
    assert not any("สูงสุดที่" in f for f in found)
    assert any(f.startswith("สัดส่วนครัวเรือนระดับ 1 ของทุกอำเภอที่แสดงได้เท่ากันที่ร้อยละ")
               for f in found)


def test_the_overview_sizes_the_province_in_households(overview, monkeypatch) -> None:
    """The provincial committee could not size a budget: the cover gave the sample's 231,029
    households with no total, the lead "30% at level 1" with no count (a reader review). The
    cover and the lead say "n of N" as an area's cover does; the lead gives the level-1
    households wherever it gives their share, as precise as that share: rounded to the power
    of ten that the share's interval (at least half its printed last digit) reaches in
    households."""
    from abcresearch.reports.disclosure import Shown
    from abcresearch.reports.sections import overview_lead

    c = overview.status.coverage
    assert f"{c.households_surveyed:,} จาก {c.households_total:,} ครัวเรือน" in \
        overview.cover().text
    lead = overview.lead().text
    assert f"{c.households_surveyed:,} จาก {c.households_total:,} ครัวเรือน" in lead
    assert "กรอบตัวอย่าง" not in lead
    # the sample store's province share is hidden (a small sample): shown, as on a real round
    monkeypatch.setattr(overview_lead, "level1_share",
                        lambda pub, code, *a: Shown("30", 30.0, "28", "31"))
    asked = []

    def weighted(self, measure, area, cats, value, uncertainty=0.0):
        asked.append((value, uncertainty))
        unit = self.count_unit(uncertainty, value)
        return Shown(f"{self.rounded_count(value, unit):,}", value)

    monkeypatch.setattr(overview_lead.Publisher, "weighted", weighted)
    hh = overview.households
    total = float(hh.loc[hh["overall_level"] == 1, "weight"].sum())
    line = next(f for f in overview.lead().text.splitlines() if "ครัวเรือนระดับ 1 (" in f)
    [(value, uncertainty)] = asked
    assert value == pytest.approx(total)
    # households with a level, times the half-interval of their level-1 share (at least 0.5
    # percentage points, the printed share's last digit)
    with_level = float(hh.loc[hh["overall_level"].isin([1, 2, 3]), "weight"].sum())
    from abcresearch.analysis.round import area_design

    design = area_design(hh.assign(level1=(hh["overall_level"] == 1).astype(float)
                                   .where(hh["overall_level"].isin([1, 2, 3]))),
                         overview.design_spec)
    est = design.ciprop("level1", na_rm=True, level=overview.design_spec.level).iloc[0]
    half = max(0.005, (est["ci_high"] - est["ci_low"]) / 2)
    assert uncertainty == pytest.approx(with_level * half, rel=1e-6)
    unit = 10 ** max(1, min(int(np.floor(np.log10(uncertainty))), int(np.floor(np.log10(total)))))
    assert line.endswith(f"หรือราว {unit * np.floor(total / unit + 0.5):,.0f} ครัวเรือน"), \
        (line, total, uncertainty)


def test_an_estimated_count_is_as_precise_as_the_share_it_is_said_with(overview) -> None:
    """ "ร้อยละ 30 ... หรือราว 128,090 ครัวเรือน" claimed ten households of precision where the
    share beside it knew about two thousand (a reader review of the overview)."""
    from abcresearch.reports.disclosure import Publisher

    pub = Publisher(overview, "test")
    assert pub.rules.weighted_count_base == 10
    assert [pub.count_unit(u) for u in (0.0, 9.9, 75.0, 99.9, 100.0, 150.0, 2130.0,
                                        float("nan"))] == [10, 10, 10, 10, 100, 100, 1000, 10]
    # a share printed "30" of 425,974 households: half its last digit, or its interval
    assert pub.count_uncertainty(425_974) == pytest.approx(2129.87)
    assert pub.count_uncertainty(425_974, 0.28, 0.31) == pytest.approx(425_974 * 0.015)
    assert pub.count_uncertainty(1_000, 0.299, 0.301) == pytest.approx(5.0)
    code = overview.province.code
    whole = ["1", "2", "3", "NA"]
    shown = pub.weighted("overall_level", code, whole, 128_090.0, 2129.87)
    assert shown.text == "128,000"
    assert pub.weighted("overall_level", code, whole, 128_090.0).text == "128,090"
    # never rounded to a power of ten above the estimate: 400 known to 2,130 is not "1,000"
    # (a code review), 60 is not "100"
    assert pub.weighted("overall_level", code, whole, 400.0, 2129.87).text == "400"
    assert pub.weighted("overall_level", code, whole, 60.0, 2129.87).text == "60"
    assert pub.weighted("overall_level", code, whole, 4.0, 2129.87).text == "10"
    assert [pub.count_unit(2130.0, v) for v in (60.0, 400.0, 5_000.0, 0.0, float("nan"))] \
        == [10, 100, 1000, 1000, 1000]
    # the ledger holds what the printed count tells a reader
    first = next(e for e in pub.entries if e.text == "128,000")
    assert first.bounds == (127_500.0, 128_500.0)
    assert next(e for e in pub.entries if e.text == "400").bounds == (350.0, 450.0)
    tiny = next(e for e in pub.entries if e.text == "10")
    assert tiny.bounds == (0.0, 15.0)


def test_a_round_of_direct_estimates_only_is_not_headed_model_based(overview) -> None:
    """"Every tambon's estimate: direct and model-based" headed a paragraph saying no model
    was used, on "sampled villages" of a census round (a reader review)."""
    from abcresearch.labels import label

    res = overview.tambon_overview()
    assert res.details["counts"] == {"direct": res.details["counts"].get("direct", 0)}
    assert label("smallarea.overview_direct", "th") in res.text
    assert label("smallarea.overview", "th") not in res.text
    assert "หมู่บ้านตัวอย่าง" not in res.text
    assert f"“{label('section.tambon_ranking', 'th')}”" in res.text


def test_the_level1_welfare_share_is_given_beside_every_households(overview) -> None:
    """"ครัวเรือนระดับ 1 เป็นสมาชิกกองทุนสวัสดิการชุมชนร้อยละ 23" gave the committee nothing to
    compare (a reader review): beside it the share of all households, as the overview's welfare
    section prints it."""
    findings = overview.lead().details["findings"]
    said = [f for f in findings if f.startswith("ครัวเรือนระดับ 1 เป็นสมาชิกกองทุนสวัสดิการ")]
    assert said, findings
    t = overview.t
    reach = overview.welfare_fund().to_frame(t("welfare.caption.reach")).set_index(
        t("welfare.col.group"))
    everyone = reach.loc[t("welfare.all_households"), t("welfare.col.member_share")]
    assert said[0].endswith(f" เทียบกับร้อยละ {str(everyone).split(' ')[0]} ของทุกครัวเรือน")


def test_the_overview_cover_names_the_province_and_its_methods_carry_the_provenance(
        overview) -> None:
    """The cover printed "นครศรีธรรมราช" large above a bare "จังหวัด" and fingerprints below
    (a reader review): the name with its level's word, as an area's cover, and the provenance
    line in the methods note, as an area's."""
    cover = overview.cover()
    p = overview.province
    assert f"จังหวัด{p.name_th}" in cover.text and f"{p.name_en} Province" in cover.text
    assert "**จังหวัด**" not in cover.text
    key = overview.fingerprint()  # the data's (see the test below), not the analysis cache's
    assert key not in cover.text and key in overview.methods_note().text


def test_the_lead_says_how_many_level1_households_the_first_band_holds(overview,
                                                                       monkeypatch) -> None:
    """"High need and group C first" read as where the welfare money goes, while those tambons
    held about a third of the level-1 households (a reader review of the overview): the lead
    gives the first band's level-1 households, the sum of the ranking's printed counts to the
    thousand, beside the province's and the rest."""
    from decimal import ROUND_HALF_UP, Decimal

    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections import overview_lead, readiness

    t = overview.t
    table = overview.tambon_ranking().to_frame(0)
    band = table[t("readiness.col.band")].astype(str)
    counts = table.loc[band == "1", t("col.level1_households")].astype(str)
    assert len(counts) and counts.str.replace(",", "").str.isdigit().all(), table
    summed = sum(int(c.replace(",", "")) for c in counts)
    # the sample store hides one tambon's band, which might be a first-band one: no sum
    assert overview_lead._first_band_level1(overview, Publisher(overview, "t"), 1e6) == ""
    monkeypatch.setattr(readiness, "need_hidden",
                        lambda pub, codes, hidden: np.zeros(len(codes), dtype=bool))
    # beside a total printed to the thousand, the sum to the thousand; beside one printed to
    # the ten, to the ten
    expected = int((Decimal(summed) / 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * 1000
    total = 10.0 * max(expected, 1000)
    if expected:
        assert overview_lead._first_band_level1(overview, Publisher(overview, "t"), total) \
            == t("lead.first_band_level1", n=f"{len(counts):,}", count=f"{expected:,}",
                 total=f"{int(total):,}", rest=f"{int(total) - expected:,}",
                 ranking=t("section.tambon_ranking"))
    expected = int((Decimal(summed) / 10).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * 10
    total = 10.0 * expected + 10
    text = overview_lead._first_band_level1(overview, Publisher(overview, "t"), total)
    assert text == t("lead.first_band_level1", n=f"{len(counts):,}", count=f"{expected:,}",
                     total=f"{int(total):,}", rest=f"{int(total) - expected:,}",
                     ranking=t("section.tambon_ranking")), text
    # nothing where the band holds them all
    assert overview_lead._first_band_level1(overview, Publisher(overview, "t"),
                                            float(expected)) == ""


def test_the_lead_counts_the_villages_without_a_fund(overview, monkeypatch) -> None:
    """359 of 1,551 villages had no fund and page 1 did not say so, nor where (a provincial
    committee's review): the lead counts them as the welfare section does, and names the
    amphoe with the most where there are several."""
    import pandas as pd

    from abcresearch.reports.sections import overview_lead

    t = overview.t
    n, total = overview.welfare_fund().details["without_fund"]
    assert n  # the sample store has villages without a fund
    lead = overview.lead().text
    assert t("lead.no_fund", n=f"{n:,}", total=f"{total:,}", most="") in lead  # one amphoe
    from abcresearch.survey.areas import amphoes

    names = amphoes("80").set_index("code")["name_th"]

    def amphoe(code: str) -> str:
        return t("lead.amphoe_name", name=names[code])

    def lead_with(without: list[int], villages: list[int]) -> str:
        monkeypatch.setattr(overview_lead, "villages_without_fund", lambda report: (
            n, total, pd.DataFrame({"without_fund": without, "villages": villages},
                                   index=["8015", "8016"])))
        return overview.lead().text

    # the most, of how many (a provincial committee's review: 4 of Mueang's 16 tambons read
    # as the most in need while ลานสกา had 2 of 5), and the highest share where another
    # amphoe has it
    most = t("lead.no_fund_most", amphoes=amphoe("8015"),
             most_of=t("lead.most_of", k=30, of=100, unit="หมู่บ้าน"),
             share=t("lead.most_share", amphoe=amphoe("8016"), k=11, of=28, unit="หมู่บ้าน"))
    assert "30 จาก 100 หมู่บ้าน" in most and "แต่ถ้าคิดเป็นสัดส่วน" in most
    assert t("lead.no_fund", n=f"{n:,}", total=f"{total:,}", most=most) in lead_with(
        [30, 11], [100, 28])
    most = t("lead.no_fund_most", amphoes=amphoe("8015"),
             most_of=t("lead.most_of", k=30, of=100, unit="หมู่บ้าน"), share="")
    assert t("lead.no_fund", n=f"{n:,}", total=f"{total:,}", most=most) in lead_with(
        [30, 5], [100, 28])
    from abcresearch.reports.sections.common import names_list

    most = t("lead.no_fund_most", amphoes=names_list(t, [amphoe("8015"), amphoe("8016")]),
             most_of=t("lead.most_each", k=30, unit="หมู่บ้าน"), share="")
    assert t("lead.no_fund", n=f"{n:,}", total=f"{total:,}", most=most) in lead_with(
        [30, 30], [100, 50])


def test_the_amphoe_table_gives_each_amphoes_level1_households(overview, sample_store) -> None:
    """The share alone made an amphoe at 24% (about 10,000 households at level 1) read as the
    least in need (a provincial committee's review): the amphoe table gives each amphoe's
    level-1 households as its own report's levels table prints them."""
    from abcresearch.reports.area import AreaReport

    t = overview.t
    table = overview.amphoe_table().to_frame(0)
    col = t("col.level1_households")
    assert col in table.columns
    rep = AreaReport.load("8015", 2549, store=sample_store)
    levels = rep.levels_and_tracks().to_frame(0)
    own = levels.iloc[-1][levels.columns[1]]  # the whole amphoe's row, level 1's column
    assert str(levels.columns[1]).endswith(" 1"), levels.columns
    row = table[table[t("col.amphoe")] == "ขนอม"]
    assert len(row) == 1
    assert str(row[col].iloc[0]) == str(own), (row, levels.tail(1))
    # hidden alike where its report hides it (the sample store's amphoe: complementary
    # suppression), else by hand: the design's weighted level-1 households, to ten
    if str(own).replace(",", "").isdigit():
        hh = rep.households
        w = float(hh.loc[hh["overall_level"] == 1, "weight"].sum()) * rep.count_factor
        assert int(str(own).replace(",", "")) == 10 * int(w / 10 + 0.5), (own, w)
    else:
        assert str(own) in (rep.marker, "×"), own


def test_the_amphoe_table_counts_each_amphoes_first_band_tambons(overview, monkeypatch) -> None:
    """Page 1 said how many tambons come first, the ranking lists them by band, and nothing
    said which amphoes hold them (a provincial committee's review): the amphoe table counts,
    for each amphoe, the tambons the ranking prints in band 1, and the province's row all."""
    t = overview.t
    ranking = overview.tambon_ranking().to_frame(0)
    first = ranking[ranking[t("readiness.col.band")].astype(str) == "1"]
    assert len(first), ranking  # the test cannot fail unless some tambon is in band 1
    by_amphoe = first[t("col.amphoe")].value_counts()
    col = t("col.band1_tambons")
    table = overview.amphoe_table().to_frame(0)
    for name, count in zip(table[t("col.amphoe")], table[col], strict=True):
        assert int(count) == int(by_amphoe.get(name, 0)), (name, count, by_amphoe)
    _as_if_more_amphoes(monkeypatch)
    table = overview.amphoe_table().to_frame(0)
    assert int(table[col].iloc[-1]) == len(first) == int(table[col].iloc[:-1].sum())


def test_the_lead_says_which_amphoes_hold_the_first_band(overview, monkeypatch) -> None:
    """Where the tambons to support first are, on page 1: how many amphoes hold them, how many
    each, and the amphoe with the most, counted as the ranking prints their bands; the
    tambons whose band it hides and which may be in band 1 are said beside them (a code
    review: the sentence was left out whenever any band was hidden); nothing where the round
    holds one amphoe."""
    from abcresearch.reports.sections import readiness
    from abcresearch.reports.sections.common import names_list
    from abcresearch.survey.areas import amphoes

    t = overview.t
    said = t("section.amphoe_table") + "”"  # the sentence's last words, in every variant
    assert said not in overview.lead().text  # one amphoe
    _as_if_more_amphoes(monkeypatch)
    counts, unknown = P.first_band_tambons(overview)
    # the sample store hides one tambon's need, in group B: it cannot be in band 1
    assert unknown == 0 and counts.sum() > 0
    names = amphoes("80").set_index("code")["name_th"]
    held = counts[counts > 0]
    assert len(held) == 1  # the sample store's one amphoe
    key = "single" if int(held.iloc[0]) == 1 else "one"
    lead = overview.lead().text
    assert t(f"lead.first_band_amphoes.{key}", n=int(held.sum()),
             most=t("lead.amphoe_name", name=names[held.index[0]]), most_of="", share="",
             amphoes=t("section.amphoe_table")) in lead, lead
    assert t("lead.first_band_unknown", k=1) not in lead
    # the band-1 tambon's need hidden: not counted, and neither said where nothing is left
    tt = overview.tambon_table
    band1 = set(tt.loc[tt["priority_band"] == 1, "tambon_code"])
    assert band1
    real = readiness.need_hidden
    monkeypatch.setattr(readiness, "need_hidden", lambda pub, codes, hidden: np.asarray(
        real(pub, codes, hidden)) | np.isin(np.asarray(codes, dtype=str), sorted(band1)))
    counts, unknown = P.first_band_tambons(overview)
    assert counts.sum() == 0 and unknown == len(band1)
    # several amphoes, the most named (ties all), the range, and those that may be in band 1
    fake = pd.Series({"8015": 4, "8016": 1, "8017": 4, "8018": 0})
    monkeypatch.setattr(P, "first_band_tambons", lambda report: (fake, 0))
    most = names_list(t, [t("lead.amphoe_name", name=names[c]) for c in ("8015", "8017")])
    sentence = t("lead.first_band_amphoes", n=9, k=3, of=4, lo=1, hi=4, most=most,
                 most_of=t("lead.most_each", k=4, unit="ตำบล"), share="",
                 amphoes=t("section.amphoe_table"))
    assert sentence in overview.lead().text
    monkeypatch.setattr(P, "first_band_tambons", lambda report: (fake, 2))
    assert sentence + t("lead.first_band_unknown", k=2) in overview.lead().text
    # one amphoe with the most: of how many of its tambons (the ranking's)
    of = int((P.ranking_need_hidden(overview)[0]["amphoe_code"] == "8015").sum())
    fake = pd.Series({"8015": 2, "8016": 1, "8017": 0})
    monkeypatch.setattr(P, "first_band_tambons", lambda report: (fake, 0))
    sentence = t("lead.first_band_amphoes", n=3, k=2, of=3, lo=1, hi=2,
                 most=t("lead.amphoe_name", name=names["8015"]),
                 most_of=t("lead.most_of", k=2, of=of, unit="ตำบล"), share="",
                 amphoes=t("section.amphoe_table"))
    assert f"(2 จาก {of} ตำบล)" in sentence and sentence in overview.lead().text


def test_band_one_counts_say_what_they_leave_out(overview, monkeypatch) -> None:
    """A tambon whose need the ranking hides is in no count of band 1 and has no bar on the
    map; the amphoe table and the map's caption say how many such tambons there are (a code
    review: a band-1 tambon hidden this way showed as a group C tile without a bar, and the
    table's total read as all of band 1)."""
    from abcresearch.reports.sections import readiness

    t = overview.t
    tt = overview.tambon_table
    band1 = sorted(set(tt.loc[tt["priority_band"] == 1, "tambon_code"]))
    assert band1 and (tt.loc[tt["tambon_code"].isin(band1), "grade"] == "C").all()
    real = readiness.need_hidden
    monkeypatch.setattr(readiness, "need_hidden", lambda pub, codes, hidden: np.asarray(
        real(pub, codes, hidden)) | np.isin(np.asarray(codes, dtype=str), band1))
    table = overview.amphoe_table()
    assert (t("amphoe.band1_unknown", k=len(band1)) in table.tables[0].notes)
    assert int(table.to_frame(0)[t("col.band1_tambons")].sum()) == 0
    shown = overview.grade_map()
    assert not set(band1) & shown.details["high_need"]
    k = shown.details["high_need_unknown"]
    assert k >= len(band1)
    if shown.details["high_need"]:  # the caption speaks of the bar only where one is drawn
        assert t("map.note.high_need_hidden", k=k) in shown.figures[0].caption


def test_the_tile_map_marks_the_tambons_the_ranking_prints_as_of_high_need(
        overview, monkeypatch) -> None:
    """The map showed readiness alone (a provincial committee's review): a tambon the ranking
    prints as of high need has the bar, one whose need the ranking hides has not, and the
    caption says what the bar is."""
    from abcresearch.reports.sections import readiness
    from abcresearch.scoring.grade_rules import load_grade_rules

    t = overview.t
    high_words = readiness.need_text(t, load_grade_rules(), "th", "high", False, short=True)
    ranking = overview.tambon_ranking().to_frame(0)
    by_name = {n: c for c, n in overview.grade_map().details["names"].items()
               if c.startswith("8015")}
    printed = {by_name[n] for n, need in zip(ranking[t("col.tambon")],
                                              ranking[t("readiness.col.need")], strict=True)
               if str(need).startswith(high_words)}
    res = overview.grade_map()
    assert res.details["high_need"] == printed
    assert (t("map.note.high_need") in res.figures[0].caption) == bool(printed)
    # the sample store: show every need, then some is high
    monkeypatch.setattr(readiness, "need_hidden",
                        lambda pub, codes, hidden: np.zeros(len(codes), dtype=bool))
    tt = overview.tambon_table
    high = set(tt.loc[tt["need"] == "high", "tambon_code"])
    assert high, tt["need"]  # the test cannot fail unless some tambon is of high need
    res = overview.grade_map()
    assert res.details["high_need"] == high
    assert t("map.note.high_need") in res.figures[0].caption
    fig = res.figures[0]  # drawn by Typst: the bar in its legend, and on the tiles its data says
    assert f"{t('map.high_need')}]" in fig.markup
    assert set(fig.data.loc[fig.data["high_need"], "tambon_code"]) == high
    assert fig.markup.count("fill: black, stroke: none)") == len(high)  # one bar a tile


def test_the_weakest_capitals_lowest_amphoes_are_all_named_as_printed(overview,
                                                                        monkeypatch) -> None:
    """"ต่ำที่สุดที่อำเภอเฉลิมพระเกียรติ (22)" while ถ้ำพรรณรา also printed 22 in the heatmap
    (21.8 and 22.2; a reader review): every amphoe below the province whose score prints as
    the lowest (half up, as the heatmap prints it) is named, the lowest first."""
    from abcresearch.reports.sections import overview_lead
    from abcresearch.reports.sections.common import names_list
    from abcresearch.survey.areas import amphoes

    t = overview.t
    values, marks = overview_lead.capital_heatmap_table(overview)
    prov = overview.analysis.means
    prov = prov[prov["level"] == "province"].set_index("capital")["estimate"]
    weak = str(prov.idxmin())
    codes = ["8015", "8016", "8017"]
    fake = pd.DataFrame({c: [float(values[c].iloc[0])] * 3 for c in values.columns},
                        index=pd.Index(codes, name=values.index.name))
    fake[weak] = [22.2, 21.8, 22.5]  # 22, 22 and 23 as printed (half up)
    fake_marks = pd.DataFrame("", index=fake.index, columns=fake.columns)
    fake_marks[weak] = "▼"
    monkeypatch.setattr(overview_lead, "capital_heatmap_table",
                        lambda report: (fake, fake_marks))
    names = amphoes("80").set_index("code")["name_th"]
    where = t("lead.weak_amphoe", amphoe=names_list(
        t, [t("lead.amphoe_name", name=names[c]) for c in (codes[1], codes[0])]), score="22")
    lead = overview.lead().text
    assert where in lead, lead
    weak = next(line for line in lead.splitlines() if where in line)
    assert t("lead.amphoe_name", name=names["8017"]) not in weak


def test_the_overviews_data_fingerprint_follows_its_data_not_the_code(
        overview, sample_store) -> None:
    """The province's provenance line printed the round analysis's cache key as its "data
    fingerprint": it changed with every change of the code or the rules (which have their own
    entries on that line); like an amphoe's, it is the hash of its tambons' store partitions."""
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.context import partitions_fingerprint

    printed = overview.fingerprint()
    assert printed in overview.methods_note().text
    assert printed not in overview.analysis.key
    tambon_codes = set(overview.analysis.households["tambon_code"].astype(str))
    assert printed == partitions_fingerprint(overview.analysis.manifest, tambon_codes)
    # the same rule as an amphoe's: over one amphoe's tambons it is that amphoe's fingerprint
    amphoe = sorted(tambon_codes)[0][:4]
    assert AreaReport.load(amphoe, 2549, store=sample_store).fingerprint() == (
        partitions_fingerprint(overview.analysis.manifest,
                               {t for t in tambon_codes if t.startswith(amphoe)}))


def test_the_amphoe_tables_m0_is_alkire_fosters(overview) -> None:
    """The amphoe table prints M0 only, so it takes the design-weighted mean of the censored
    deprivation score instead of the whole Alkire-Foster measure (0.75 s a call on a
    province): the same estimate and SE by amphoe, households with a missing indicator left
    out alike (some made missing here)."""
    from abcresearch.analysis.round import area_design
    from abcresearch.reports.estimates import household_values
    from abcresearch.scoring.alkire_foster import alkire_foster

    sch = overview.analysis.scheme
    lvl = overview.design_spec.level
    got = overview.amphoe_table().details["m0"]
    hh = overview.households
    d = area_design(hh, overview.design_spec)
    af = alkire_foster(d, [f"dep_{c}" for c in sch.capital_ids], k=sch.af_k,
                       weights={f"dep_{c}": w for c, w in sch.af_weights.items()},
                       by="amphoe_code", na_rm=True, level=lvl, overall=False).M0
    assert list(got.index) == list(af.index)
    np.testing.assert_allclose(got["estimate"], af["estimate"], rtol=1e-12)
    np.testing.assert_allclose(got["se"], af["se"], rtol=1e-9)
    # households with a missing indicator, in two amphoes (the sample's one and another)
    rng = np.random.default_rng(7)
    hh = hh.copy()
    hh.loc[rng.choice(len(hh), 40, replace=False), "dep_social"] = np.nan
    hh.loc[hh.index[:300], "amphoe_code"] = "8099"
    d = area_design(hh.assign(m0=household_values(hh, sch)["m0"].to_numpy()),
                    overview.design_spec)
    mine = d.mean("m0", by="amphoe_code", na_rm=True, level=lvl)
    af = alkire_foster(d, [f"dep_{c}" for c in sch.capital_ids], k=sch.af_k,
                       weights={f"dep_{c}": w for c, w in sch.af_weights.items()},
                       by="amphoe_code", na_rm=True, level=lvl, overall=True)
    np.testing.assert_allclose(mine["estimate"], af.M0["estimate"], rtol=1e-12)
    np.testing.assert_allclose(mine["se"], af.M0["se"], rtol=1e-9)
    np.testing.assert_array_equal(mine["n"], af.M0["n"])
    whole = d.mean("m0", na_rm=True, level=lvl).iloc[0]
    assert whole["estimate"] == pytest.approx(float(af.overall.M0["estimate"].iloc[0]),
                                              rel=1e-12)


def test_a_reports_household_categories_are_made_once(sample_store, monkeypatch) -> None:
    """The province's ``households`` is a new shallow copy at each call, and the categories'
    memo went by the frame: the overview made the categories of every household of the round
    three times (0.5 s each on a province). Now once a report."""
    from abcresearch.reports import disclosure, estimates

    ProvinceReport.load("80", 2549, store=sample_store).lead()  # the round's pattern, cached
    made = []
    real = estimates.household_categories
    monkeypatch.setattr(estimates, "household_categories",
                        lambda *a, **k: made.append(1) or real(*a, **k))
    report = ProvinceReport.load("80", 2549, store=sample_store)
    assert report.households is not report.households  # as the overview's sections get them
    first = disclosure.report_categories(report)
    assert disclosure.report_categories(report) is first
    report.amphoe_table()
    report.lead()
    assert len(made) == 1
    other = ProvinceReport.load("80", 2549, store=sample_store)  # another report: its own
    assert disclosure.report_categories(other) is not first
    assert len(made) == 2


def test_the_categories_memo_does_not_keep_a_report_alive(sample_store) -> None:
    """A batch worker makes hundreds of reports: the memo's entry goes with its report (one
    holding the report kept every report's objects alive, and the collector's full pass after
    each report walked them all)."""
    import gc
    import weakref

    from abcresearch.reports import disclosure

    report = ProvinceReport.load("80", 2549, store=sample_store)
    disclosure.report_categories(report)
    key, gone = id(report), weakref.ref(report)
    assert key in disclosure._CATEGORIES
    del report
    gc.collect()
    assert gone() is None
    assert key not in disclosure._CATEGORIES
