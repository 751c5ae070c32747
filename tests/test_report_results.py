"""Sections return result objects: they render themselves with published values only, carry the
unrounded numbers for researchers, take keyword options, and give the notebook the same outputs."""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from abcresearch.errors import InputError, ReportError
from abcresearch.reports.area import AreaReport
from abcresearch.reports.render import TABLE_MIME, TYPST_MIME
from abcresearch.reports.render.typst import HEADER_MIME
from abcresearch.reports.results import (
    SUMMARY_MIME,
    FindingsResult,
    SectionResult,
    SummaryResult,
    Table,
)

SECTIONS = ["cover", "key_findings", "capital_profile", "levels_and_tracks", "deprivation",
            "villages", "organisations", "income", "data_quality", "methods_note",
            "write_summary"]


@pytest.fixture(scope="module")
def shown(sample_store) -> tuple[AreaReport, dict[str, SectionResult]]:
    """A tambon report and the results of every section called with its defaults."""
    rep = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    return rep, {name: getattr(rep, name)() for name in SECTIONS}


@pytest.fixture
def report(shown) -> AreaReport:
    return shown[0]


@pytest.fixture
def defaults(shown) -> dict[str, SectionResult]:
    return shown[1]


_DATA_URI = re.compile(r'src="data:image/svg\+xml[^"]*"')
"""A figure's SVG as an HTML image (glyph outlines and coordinates, no text)."""


def _dump(bundles: list[dict], svg: bool = False) -> str:
    return "\n".join(json.dumps({k: v if svg or k != "text/html" else _DATA_URI.sub("", v)
                                 for k, v in b.items() if svg or k != "image/svg+xml"},
                                ensure_ascii=False, default=str) for b in bundles)


def _all_text(result: SectionResult, svg: bool = False) -> str:
    """Everything a result can show: its bundles, its combined bundle and its repr.

    Without ``svg``, figures are left out (glyph outlines and coordinates, no text).
    """
    combined = result._repr_mimebundle_()
    if not svg and "text/html" in combined:
        combined["text/html"] = _DATA_URI.sub("", combined["text/html"])
    return "\n".join([_dump(result.bundles(), svg), _dump([combined], svg), repr(result)])


def _precise(x: float) -> bool:
    """A number with at least 6 significant digits (one that cannot appear by chance)."""
    return len(repr(abs(x)).replace(".", "").lstrip("0")) >= 6


def _floats(obj) -> list[float]:
    """The precise non-integer numbers of a frame, series, dict or scalar (recursively)."""
    if isinstance(obj, pd.DataFrame | pd.Series | np.ndarray):
        values = pd.to_numeric(pd.Series(np.asarray(obj, dtype=object).ravel()),
                               errors="coerce").dropna()
        return [float(v) for v in values if np.isfinite(v) and not float(v).is_integer()
                and _precise(float(v))]
    if isinstance(obj, dict):
        return [f for v in obj.values() for f in _floats(v)]
    if isinstance(obj, float | np.floating) and np.isfinite(obj) and not float(obj).is_integer():
        return [float(obj)] if _precise(float(obj)) else []
    return []


def test_every_section_returns_a_result_and_displays_nothing_itself(defaults, capsys) -> None:
    for name in SECTIONS:
        result = defaults[name]
        assert isinstance(result, SectionResult) and result.name == name
    assert isinstance(defaults["key_findings"], FindingsResult)
    assert isinstance(defaults["write_summary"], SummaryResult)
    assert capsys.readouterr().out == ""  # no print, no display outside a kernel


def test_results_keep_the_latest_call(report, defaults) -> None:
    again = report.villages(limit=1)
    assert report.results["villages"] is again and again is not defaults["villages"]
    assert len(again.table) == 1


def test_bundles_have_the_shapes_the_exporter_reads(report, defaults) -> None:
    prof = defaults["capital_profile"].bundles()
    assert set(prof[0]) == {"text/markdown", "text/plain"}
    assert prof[0]["text/markdown"].startswith("## ")
    # a captioned figure: the SVG, the Typst figure that numbers it ("ภาพที่ N") and its caption
    # ... and the SVG as an HTML image, which JupyterLab shows in an untrusted notebook
    assert set(prof[1]) == {"image/svg+xml", TYPST_MIME, "text/html", "text/plain"}
    # the capital profile is drawn by Typst's own shapes: the notebook's SVG is Typst's
    assert prof[1]["image/svg+xml"].lstrip().startswith("<svg")
    uri = re.fullmatch(r'<figure><img src="data:image/svg\+xml;base64,([^"]*)" '
                       r'alt="([^"]*)"/><figcaption>([^<]*)</figcaption></figure>',
                       prof[1]["text/html"])
    assert uri is not None
    assert base64.b64decode(uri[1]).decode("utf-8") == prof[1]["image/svg+xml"]
    assert html.unescape(uri[2]) == html.unescape(uri[3]) == prof[1]["text/plain"]
    assert prof[1][TYPST_MIME].startswith("#abc-chart([") and prof[1]["text/plain"]
    assert set(prof[2]) == {TABLE_MIME, "text/html", "text/plain"}
    assert set(prof[2][TABLE_MIME]) == {"caption", "columns", "rows", "align", "notes"}
    cover = defaults["cover"].bundles()
    # the cover first sets the PDF's running header (area, round, synthetic label), then shows
    assert len(cover) == 2 and set(cover[0]) == {HEADER_MIME, "text/plain"}
    assert cover[0][HEADER_MIME]["synthetic"] is True and cover[0]["text/plain"] == ""
    assert report.area.name_th in cover[0][HEADER_MIME]["title"]
    assert set(cover[1]) == {TYPST_MIME, "text/markdown", "text/plain"}
    assert "#text(size: 22pt" in cover[1][TYPST_MIME]
    summary = defaults["write_summary"].bundles()
    assert summary == [{SUMMARY_MIME: json.loads(json.dumps(report.summary())),
                        "text/plain": ""}]


def test_summary_mimetype_is_the_one_the_batch_runner_reads() -> None:
    from abcresearch.batch.runner import SUMMARY_MIME as RUNNER_MIME

    assert SUMMARY_MIME == RUNNER_MIME


def test_ipython_display_sends_each_part_once(report, defaults, monkeypatch) -> None:
    import IPython.display

    sent = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda *objs, **kw: sent.append((objs, kw)))
    result = defaults["levels_and_tracks"]
    result._ipython_display_()
    assert [objs[0] for objs, _ in sent] == result.bundles()
    assert all(kw == {"raw": True} and len(objs) == 1 for objs, kw in sent)


def _numbers(results: dict[str, SectionResult]) -> list[float]:
    """The precise unrounded numbers behind the results."""
    return [x for r in results.values()
            for x in _floats(r.estimates) + _floats(dict(r.details))]


def test_unrounded_numbers_never_reach_a_bundle(report, defaults) -> None:
    numbers = _numbers(defaults)
    assert len(numbers) > 100
    results = [defaults[name] for name in SECTIONS]
    text = "\n".join(_all_text(r, svg=True) for r in results)
    leaked = [x for x in numbers if repr(x) in text]
    text = "\n".join(_all_text(r) for r in results)
    leaked += [x for x in numbers if f"{x:.6f}" in text]
    assert not leaked, leaked[:5]
    # but the numbers are there for researchers, without a kernel
    prof = defaults["capital_profile"]
    est = prof.estimates.loc["human", "estimate"]
    assert not float(est).is_integer() and repr(est) not in _all_text(prof, svg=True)
    assert prof.table.iloc[0, 1].startswith(f"{est:,.1f} (")


def test_a_suppressed_value_appears_nowhere(sample_store) -> None:
    """Give H (hidden: 27 poor households of 30) and M0 (published) recognisable values: H is
    nowhere in what the deprivation section or the findings show, M0 is printed rounded."""
    rep = AreaReport.load("80150103", 2549, store=sample_store)
    af = rep.af_result
    h_true, m0_true = 0.9712345, 0.4321987
    rep.__dict__["af_result"] = dataclasses.replace(
        af, H=af.H.assign(estimate=h_true), M0=af.M0.assign(estimate=m0_true))
    dep, found = rep.deprivation(), rep.key_findings()
    shown = _all_text(dep) + _all_text(found)
    for form in (repr(h_true), f"{h_true:.3f}", f"{100 * h_true:.1f}", f"{100 * h_true:.0f}"):
        assert not re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d.,])", shown), form
    assert f"{m0_true:.3f}" in shown and repr(m0_true) not in shown
    assert dep.estimates.loc["H", "estimate"] == h_true  # kept in the object
    table = dep.table.set_index(dep.table.columns[0])
    assert table.loc[rep.t("m.H")].iloc[0] == rep.marker  # the marker, not a number
    assert table.loc[rep.t("m.H")].iloc[1] == rep.marker  # its interval too


def test_published_table_is_as_printed(report, defaults) -> None:
    result = defaults["capital_profile"]
    spec = result.bundles()[2][TABLE_MIME]
    frame = result.table
    assert list(frame.columns) == spec["columns"]
    assert frame.shape == (len(spec["rows"]), len(spec["columns"]))
    amphoe = report.t("col.amphoe")
    j = spec["columns"].index(amphoe)
    assert frame[amphoe].tolist() == [float(row[j]) for row in spec["rows"]]
    assert frame[amphoe].tolist() == result.estimates["amphoe"].round(1).tolist()
    assert result.to_frame(report.t("cap.profile.caption")).equals(frame)
    with pytest.raises(KeyError, match="captions"):
        result.to_frame("no such caption")
    levels = defaults["levels_and_tracks"].table
    assert levels.iloc[:, 1:4].isin(["<5", "×"]).to_numpy().any()  # markers as printed


def test_table_to_frame_types() -> None:
    t = Table(pd.DataFrame({"name": ["a", "b"], "n": [1200, 3], "share": [12.345, np.nan],
                            "shown": ["<5", 7]}), "cap", decimals=1)
    frame = t.to_frame()
    assert frame["n"].tolist() == [1200, 3] and str(frame["n"].dtype) == "Int64"
    assert frame["share"].iloc[0] == 12.3 and np.isnan(frame["share"].iloc[1])
    # numbers as numbers, markers of hidden cells as text (as the spreadsheet writes them)
    assert frame["shown"].tolist() == ["<5", 7]
    assert "| name | n | share | shown |" in t.as_markdown()


def test_combined_bundle_and_repr(report, defaults) -> None:
    result = defaults["deprivation"]
    bundle = result._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/markdown", "text/plain"}
    assert '<img src="data:image/svg+xml;' in bundle["text/html"]
    assert report.t("af.contrib_caption") in bundle["text/html"]
    k = f"{100 * report.analysis.scheme.af_k:.0f}%"
    assert report.t("af.caption", k=k) in bundle["text/markdown"]
    assert result._repr_mimebundle_(include=["text/plain"]).keys() == {"text/plain"}
    assert repr(result) == "<SectionResult deprivation: 2 tables, 1 figure>"
    assert not re.search(r"\d\.\d", repr(result))


# ------------------------------------------------------------------ options


def test_capital_profile_options(report, defaults) -> None:
    default = defaults["capital_profile"]
    assert default.options == {"compare": ("amphoe", "province"),
                               "capitals": tuple(report.capitals)}
    only = report.capital_profile(compare=["province"], capitals=["wisdom", "human"])
    assert list(only.table.columns) == [report.t("col.capital"), report.t("col.area"),
                                        report.t("col.province")]
    assert only.table.iloc[:, 0].tolist() == [report.capital_label("wisdom"),
                                              report.capital_label("human")]
    assert only.estimates.loc["human", "estimate"] == \
        default.estimates.loc["human", "estimate"]
    named = report.capital_profile(compare=["8015"])  # an amphoe by code: its name heads it
    assert named.table.columns[-1] == "อำเภอขนอม"
    assert named.estimates["8015"].tolist() == default.estimates["amphoe"].tolist()
    with pytest.raises(ReportError, match=r"compare: expected .*8015.*got '9999'"):
        report.capital_profile(compare=["9999"])
    with pytest.raises(ReportError, match="capitals: expected some of human"):
        report.capital_profile(capitals=["happiness"])


def test_other_area_options(report, defaults) -> None:
    listed = defaults["villages"].table
    top2 = report.villages(limit=2).table
    assert top2.astype(str).equals(listed.head(2).astype(str))  # the same cells (dtypes
    # differ where only the full table has a marker among its numbers)
    with pytest.raises(ReportError, match="limit"):
        report.villages(limit=0)
    found = report.key_findings(priority_areas=1)
    # the group-C line (the high-need line, when there is one, comes after it)
    priority = next(f for f in found.findings if "ซึ่งควรได้รับการเสริมความเข้มแข็งก่อน" in f)
    # the first group-C area within (readiness grades: the sample tambon may have none)
    first_c = report.children[report.children["grade"] == "C"]["code"]
    # one named, and how many more there are (the list is only the first in priority order)
    more = report.t("find.priority_more", more=len(first_c) - 1,
                    unit=report.t("readiness.areas.village")) if len(first_c) > 1 else ""
    assert priority.count(",") == 0 and priority == report.t(
        "find.priority", areas=(report.child_name(first_c.iloc[0]) + more) if len(first_c)
        else report.t("find.none"), areas_word=report.t("readiness.areas.village"))
    assert priority.startswith("หมู่บ้านในกลุ่ม C")  # which areas, not "no area needs support"
    inc = report.income(bins=10)  # the bands are fixed in params/publication.yaml
    from abcresearch.reports.disclosure import publication_rules

    assert len(inc.details["bands"]) == len(publication_rules().income_bins) + 1  # with NA
    assert inc.table.equals(defaults["income"].table)
    q = report.data_quality(capitals=["human"])
    assert len(q.to_frame(1)) == 1
    lv = report.levels_and_tracks(capitals=["human", "natural"])
    assert len(lv.to_frame(1)) == 2


def test_default_options_reproduce_the_default_call(report, defaults) -> None:
    explicit = report.capital_profile(compare=("amphoe", "province"), capitals=report.capitals)
    assert explicit.bundles() == defaults["capital_profile"].bundles()


# ------------------------------------------------------------------ province and methods


@pytest.fixture(scope="module")
def overview(sample_store):
    from abcresearch.reports.province import ProvinceReport

    return ProvinceReport.load("80", 2549, store=sample_store)


def test_province_sections_return_results(overview, tmp_path, monkeypatch) -> None:
    from abcresearch.reports.context import ProvinceContext

    # the sample store holds one amphoe: its province row as for a store of many
    # (tests/test_report_overview_lead.py covers one amphoe)
    monkeypatch.setattr(ProvinceContext, "holds_one_amphoe", lambda self: False)
    for name in ("cover", "grade_map", "amphoe_table", "tambon_ranking", "rules_vs_typology",
                 "methods_note"):
        result = getattr(overview, name)()
        assert isinstance(result, SectionResult) and overview.results[name] is result
        assert result.bundles()
    ranking = overview.results["tambon_ranking"].table
    assert overview.tambon_ranking(limit=2).table.astype(str).equals(
        ranking.head(2).astype(str))
    only = overview.tambon_ranking(amphoe="8015").table
    assert set(only[overview.t("col.amphoe")]) == {"ขนอม"}
    with pytest.raises(ReportError, match="amphoe: expected one of 8015"):
        overview.tambon_ranking(amphoe="8001")
    tiles = overview.results["grade_map"]
    assert tiles.details["grades"] and tiles.figures
    geo = tmp_path / "b.geojson"
    square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"tambon": "801501"},
         "geometry": {"type": "Polygon", "coordinates": square}}]}), encoding="utf-8")
    drawn = overview.grade_map(boundary_file=geo)
    assert drawn.options["boundary_file"] == geo and drawn.figures
    geo.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="no feature"):
        overview.grade_map(boundary_file=geo)
    caps = overview.amphoe_table(capitals=["human"]).to_frame(1)
    assert list(caps.columns) == [overview.t("col.amphoe"), "ทุนมนุษย์"]
    # each table ends with the province's row, what every amphoe is read against (a reader
    # review: the amphoes' figures stood without it)
    whole = overview.t("amphoe.province_row", province="จังหวัดนครศรีธรรมราช")
    assert whole == "ทั้งจังหวัดนครศรีธรรมราช"
    key = overview.amphoe_table().to_frame(0)
    assert key.iloc[-1, 0] == whole and caps.iloc[-1, 0] == whole
    amphoe_rows = key.iloc[:-1]
    for g in "ABC":
        col = overview.t("readiness.grade_short", grade=g)
        assert int(key.iloc[-1][col]) == int(amphoe_rows[col].astype(int).sum())
    means = overview.analysis.means
    human = float(means[(means["level"] == "province") & (means["capital"] == "human")]
                  ["estimate"].iloc[0])
    assert float(caps.iloc[-1, 1]) == pytest.approx(human, abs=0.05)  # printed to 0.1
    share = overview.t("col.share_level1")
    assert key.iloc[-1][share] not in ("", None)


def test_methods_sections_return_results() -> None:
    from abcresearch.reports.methods import MethodsReport

    methods = MethodsReport.load(lang="en")
    for name in ("cover", "instrument", "scoring_scheme", "statistics"):
        result = getattr(methods, name)()
        assert isinstance(result, SectionResult) and result.bundles()
    # a table per capital, the household's other items (its size, the head's age, ...), the roster
    assert len(methods.results["instrument"].tables) == len(methods.scheme.capital_ids) + 2
    one = methods.instrument(capitals=["human"])
    assert [t.caption for t in one.tables] == [
        "Human capital", methods.t("methods.household_other"), methods.t("methods.roster")]
    with pytest.raises(ReportError, match="capitals"):
        methods.instrument(capitals=["happiness"])


# ------------------------------------------------------------------ in a real kernel


def test_executed_notebook_holds_the_same_outputs_and_no_unrounded_number(
        defaults, sample_store, tmp_path) -> None:
    """The shipped notebook under papermill: each section cell shows its result once (one
    display message per part, no execute_result), equal to the result's bundles here."""
    import nbformat

    from abcresearch.batch.runner import run_report

    outcome = run_report("801501", 2549, store=sample_store, lang="th", out=tmp_path)
    assert outcome.status == "ok", outcome.error
    nb = nbformat.read(outcome.paths.ipynb, as_version=4)
    seen = set()
    for cell in nb.cells:
        name = next((s for s in SECTIONS if f"report.{s}()" in cell.source), None)
        if cell.cell_type != "code" or name is None:
            continue
        seen.add(name)
        outputs = cell.outputs
        assert all(o.output_type == "display_data" for o in outputs), name
        expected = defaults[name].bundles()
        assert len(outputs) == len(expected), name
        for got, want in zip(outputs, expected, strict=True):
            got = json.loads(json.dumps(got["data"]))
            want = json.loads(json.dumps(want, default=str))
            assert got == want, name  # figures too: the SVG is deterministic
    assert seen == set(SECTIONS)
    text = nbformat.writes(nb)
    assert not [x for x in _numbers(defaults) if repr(x) in text]


def test_an_interval_narrower_than_the_digits_shown_is_left_out() -> None:
    """Not "ร้อยละ 30 (30–30)": at the digits printed such an interval says nothing."""
    from abcresearch.reports.disclosure import Shown
    from abcresearch.reports.formatting import fmt_ci

    assert fmt_ci(0.301, 0.2995, 0.3024, digits=0, scale=100) == "30"
    assert fmt_ci(0.48, 0.45, 0.51, digits=0, scale=100) == "48 (45–51)"
    assert fmt_ci(0.301, 0.2994, 0.3024, digits=1, scale=100) == "30.1 (29.9–30.2)"
    assert Shown("30", 0.30, "30", "30").with_ci == "30"
    assert Shown("48", 0.48, "45", "51").with_ci == "48 (45–51)"


def test_the_level1_finding_leaves_out_an_interval_narrower_than_its_digits(
        sample_store, monkeypatch) -> None:
    """The key finding on level 1 printed "30 (30–30)" where the interval rounds to the share."""
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.disclosure import Shown
    from abcresearch.reports.sections import findings

    def level1_line(text: str) -> str:
        lines = [x for x in text.splitlines() if "อยู่ระดับ 1 ซึ่งควร" in x]
        assert len(lines) == 1, text
        return lines[0]

    # the sample store hides the level-1 shares (small level-3 cells): a published share is
    # stood in for, once with an interval wider than its digits and once narrower
    monkeypatch.setattr(findings, "level1_share",
                        lambda *a, **k: Shown("48", 0.48, "45", "51"))
    report = AreaReport.load("80150103", 2549, store=sample_store)
    assert "ช่วงความเชื่อมั่น 95% 45–51" in level1_line(report.key_findings().text)
    monkeypatch.setattr(findings, "level1_share",
                        lambda *a, **k: Shown("30", 0.30, "30", "30"))
    narrow = level1_line(AreaReport.load("80150103", 2549, store=sample_store).key_findings().text)
    assert "30–30" not in narrow and "ช่วงความเชื่อมั่น" not in narrow
    assert "ร้อยละ 30 ของครัวเรือน" in narrow


def test_every_capital_below_is_said_only_when_every_capital_is_shown(
        sample_store, monkeypatch) -> None:
    """'Every capital is below the province' was said over the published capitals only: with
    one hidden it says 'every capital that can be shown'."""
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.sections import findings

    real = findings.published_profile

    def below(report, est, pub=None, hide=None):
        prof = real(report, est, pub).copy()
        prof["estimate"] = prof["province"] - np.arange(1, len(prof) + 1)
        if hide is not None:
            prof.loc[hide, ["estimate", "ci_low", "ci_high"]] = np.nan
        return prof

    def first_line(text: str) -> str:
        return next(x for x in text.splitlines() if "ค่าเฉลี่ยจังหวัด" in x)

    monkeypatch.setattr(findings, "published_profile", below)
    report = AreaReport.load("80150103", 2549, store=sample_store)
    assert "ทุกด้านต่ำกว่าค่าเฉลี่ยจังหวัด" in first_line(report.key_findings().text)
    hidden = report.capitals[-1]
    monkeypatch.setattr(findings, "published_profile",
                        lambda r, e, p=None: below(r, e, p, hide=hidden))
    line = first_line(AreaReport.load("80150103", 2549, store=sample_store).key_findings().text)
    assert "ทุกด้านที่แสดงได้ต่ำกว่าค่าเฉลี่ยจังหวัด" in line


def test_a_figure_with_no_household_in_its_base_prints_a_dash(sample_store) -> None:
    """Nothing to hide and nothing to show: '–', not the '<5' or '×' of a hidden figure; an
    area too small to publish still prints its marker."""
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.disclosure import NO_DATA, Publisher
    from abcresearch.reports.estimates import item_share_cells

    report = AreaReport.load("801501", 2549, store=sample_store)
    pub = Publisher(report, "test")
    share = pub.share("801501", *item_share_cells("fin_savings"), float("nan"))
    mean = pub.mean("score:human", "801501", float("nan"))
    assert share.text == mean.text == NO_DATA and share.hidden and mean.hidden
    assert pub.share("80150199", *item_share_cells("fin_savings"), float("nan")).text != NO_DATA


def test_village_names_are_kept_whole_in_the_pdf_source(report, defaults) -> None:
    """The cover's page header names the area's villages; the Typst source then has no break
    opportunity inside any of them ("บ้านเขา|หมาก" broke in narrow village columns)."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from abcresearch.reports.render import thai
    from abcresearch.reports.render.typst import header_info, render_notebook

    names = report.village_names()
    assert names and all(thai.segment(n) != [n] for n in names[:3])  # not words of the list
    cells = []
    for name in ("cover", "key_findings", "villages", "organisations"):
        outputs = [new_output("display_data", data=json.loads(json.dumps(b, default=str)))
                   for b in defaults[name].bundles()]
        cells.append(new_code_cell(f"report.{name}()", outputs=outputs))
    nb = new_notebook(cells=cells)
    assert header_info(nb)["names"] == names
    source = render_notebook(nb).source
    plain = source.translate({ord(thai.WORD_JOINER): None, ord(thai.PART_MARK): None})
    for name in names:
        spaced = "\u200b?".join(re.escape(c) for c in name)
        found = re.findall(spaced, plain)
        assert found, name
        assert all(thai.ZERO_WIDTH_SPACE not in f for f in found), (name, found)


def test_a_capital_difference_inside_the_margin_of_error_is_said_to_be(sample_store) -> None:
    """"The one lacking most is physical capital (58.1 against 58.4)" told a committee where to
    start on a difference well inside the margin of error: the sentence now says so, for the
    strongest and the weakest capital alike, and only for a difference whose interval holds
    the province's mean."""
    from abcresearch.labels import label
    from abcresearch.reports.sections.findings import relative_capitals

    note = label("find.within_margin", "th")
    said = 0
    for code in ("801501", "801502", "801503"):
        rep = AreaReport.load(code, 2549, store=sample_store, lang="th")
        res = rep.key_findings()
        prof = res.estimates
        pair = relative_capitals(prof)
        if pair is None:
            continue
        sentence = next(f for f in res.findings if rep.capital_label(pair[1]) in f
                        and ("ต่ำกว่าค่าเฉลี่ยจังหวัดมากที่สุด" in f
                             or "ใกล้ค่าเฉลี่ยจังหวัดที่สุด" in f))
        said += 1
        for cap in pair:
            lo, hi, pv = (prof.loc[cap, k] for k in ("ci_low", "ci_high", "province"))
            part = sentence.split(rep.capital_label(cap), 1)[1].split(")", 1)[0]
            assert (note in part) == bool(lo <= pv <= hi), (code, cap, part)
    assert said


def test_the_markers_legend_names_only_the_markers_a_table_prints(report, defaults) -> None:
    """The "<5 / × / –" legend stood under tables that print none of them."""
    import numpy as np

    legend = report.t("suppressed.note").split(" · ")
    kept = dropped = 0
    for name in SECTIONS:
        for table in defaults[name].tables:
            cells = {str(v).strip() for v in np.asarray(table.to_frame(), dtype=object).ravel()}
            for part in legend:
                mark = part.split(" = ", 1)[0].strip()
                if part in (table.notes or ""):
                    assert mark in cells, (name, table.caption, mark)
                    kept += 1
                elif mark not in cells:
                    dropped += 1
    assert kept and dropped


def test_the_cross_is_not_said_to_be_hidden_likewise_where_no_small_count_is_printed() -> None:
    """ "× = ไม่แสดงเช่นกัน" (likewise not shown) under a table that prints no "<5" referred to
    nothing (a reader review): there the legend says "× = ไม่แสดง"."""
    import pandas as pd

    from abcresearch.reports.formatting import Words
    from abcresearch.reports.sections import SectionBuilder

    for lang in ("th", "en"):
        words = Words(lang, threshold=5, level=0.95)
        legend = words("suppressed.note")
        likewise = legend.split(" · ")[1]  # the "×" part
        out = SectionBuilder("test", words)
        alone = out.table(pd.DataFrame({"ทุน": ["ก", "ข"], "ร้อยละ": ["×", "35"]}), "t", legend)
        assert alone.notes == words("suppressed.note.cross_alone")
        both = out.table(pd.DataFrame({"ทุน": ["ก", "ข"], "ครัวเรือน": ["×", "<5"]}), "t",
                         legend)
        assert likewise in both.notes and words("suppressed.note.cross_alone") not in both.notes


def test_a_small_cell_marker_under_a_percent_heading_is_said_not_to_be_a_percent() -> None:
    """"<5" in a "%" column reads as "under 5 percent" (a reader review); the legend of such a
    table says it counts households, and a table with "<5" only among counts says nothing."""
    import pandas as pd

    from abcresearch.reports.formatting import Words
    from abcresearch.reports.sections import SectionBuilder

    words = Words("th", threshold=5, level=0.95)
    legend = words("suppressed.note")
    clarifier = words("suppressed.note.percent")
    assert "ไม่ใช่ร้อยละ" in clarifier and "<5" in clarifier
    out = SectionBuilder("test", words)
    in_percent = out.table(pd.DataFrame({"หมู่บ้าน": ["ก", "ข"], "ครัวเรือน": ["120", "80"],
                                         "ร้อยละระดับ 1": ["<5", "35"]}), "t1", legend)
    in_counts = out.table(pd.DataFrame({"หมู่บ้าน": ["ก", "ข"], "ครัวเรือน": ["<5", "80"],
                                        "ร้อยละระดับ 1": ["×", "35"]}), "t2", legend)
    assert clarifier in in_percent.notes
    assert clarifier not in in_counts.notes and "<5 = " in in_counts.notes
    # a table whose caption says it holds percentages, its columns headed by level only (the
    # levels by capital: a reader review read its "<5" as under 5 percent)
    levels = pd.DataFrame({"ทุน": ["ทุนเงินตรา", "ทุนมนุษย์"], "ระดับ 1": ["37", "11"],
                           "ข้อมูลไม่ครบ": ["<5", "0"]})
    by_caption = out.table(levels, "ร้อยละของครัวเรือนในแต่ละระดับ จำแนกตามทุน", legend)
    by_count = out.table(levels, "จำนวนครัวเรือนในแต่ละระดับ", legend)
    assert clarifier in by_caption.notes and clarifier not in by_count.notes
    # the English caption says "Share of households ..." (a re-check found it unexplained)
    en = Words("en", threshold=5, level=0.95)
    shares = SectionBuilder("test", en).table(
        levels, "Share of households at each level, by capital", en("suppressed.note"))
    assert en("suppressed.note.percent") in shares.notes


def test_key_findings_say_why_the_three_poverty_shares_differ(village_size_store) -> None:
    """Level 1, multidimensional poverty and the BMN income line give 48, 68 and 32 percent
    of one tambon's households: a reader review asked which is "the real number". (A tambon
    of villages at the programme's size: in the 30-household villages of the sample store the
    share below the income line is hidden everywhere, its bands being small.)"""
    from abcresearch.reports.area import AreaReport

    report = AreaReport.load("801501", 2549, store=village_size_store, lang="th")
    res = report.key_findings()
    t = report.t
    af = report.af_result
    lines = res.findings
    printed = [k for k in ("ระดับ 1", "ยากจนหลายมิติ", "เกณฑ์ จปฐ.")
               if any(k in f and not f.startswith("ตัวเลขความยากจน") for f in lines)]
    assert len(printed) >= 2, lines
    expected_cut = t("find.measures.cut_count", k=int(np.ceil(af.k * len(af.weights) - 1e-9)),
                     dims=len(af.weights))
    assert t("find.measures", cut=expected_cut) in lines


def test_every_capital_clearly_below_the_province_is_counted_not_only_the_furthest(
        sample_store, monkeypatch) -> None:
    """With all seven capitals' intervals below the province, the findings named only the
    furthest one as 'clearly below', which read as 'the other six are not'."""
    from abcresearch.labels import label
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.sections import findings

    real = findings.published_profile
    clear_below: list[int] = []

    def profile(report, est, pub=None):
        prof = real(report, est, pub).copy()
        gap = np.arange(1, len(prof) + 1, dtype=float)  # the last capital furthest below
        prof["estimate"] = prof["province"] - gap
        wide = np.array([i not in clear_below for i in range(len(prof))])
        prof["ci_low"] = prof["estimate"] - 0.5
        prof["ci_high"] = np.where(wide, prof["province"] + 1, prof["estimate"] + 0.5)
        return prof

    monkeypatch.setattr(findings, "published_profile", profile)

    def clearly(lang: str = "th") -> list[str]:
        report = AreaReport.load("80150103", 2549, store=sample_store, lang=lang)
        # "beyond the sampling error" (not "clearly": the summary page's "clearly" also asks a
        # gap of 5 points, a reader review); the first sentence's own words are not these
        word = "เกินความคลาดเคลื่อนจากการสุ่ม" if lang == "th" else "sampling error"
        first = label("find.beyond_margin", lang).strip()
        return [x for x in report.key_findings().findings
                if word in x and first not in x], report

    n = len(AreaReport.load("80150103", 2549, store=sample_store).capitals)
    # every capital clearly below: said once, in the sentence naming the closest and furthest
    # ("ทุนทั้ง 7 ด้าน…ต่ำกว่า" stood under "ทุกด้านต่ำกว่า…", a reader review)
    clear_below[:] = range(n)
    for lang, opening in (("th", "ทุกด้านต่ำกว่าค่าเฉลี่ยจังหวัดเกินความคลาดเคลื่อนจากการสุ่ม "),
                          ("en", "Every capital is below the province average, each by more "
                                 "than the sampling error; ")):
        lines, report = clearly(lang)
        assert len(lines) == 1 and lines[0].startswith(opening), lines
        assert not any(f.startswith(label("find.below_province_all", lang, n=n, spread=""))
                       for f in report.key_findings().findings)
    clear_below[:] = [n - 1, 0]
    lines, report = clearly()
    names = [report.capital_label(report.capitals[i]) for i in (n - 1, 0)]
    # with how far they are, as printed ("(ต่างกัน 1.3–2.9 คะแนนจากเต็ม 100)")
    before, after = label("find.below_province_some", "th", n=2, spread="\x00",
                          capitals=f"{names[0]} และ{names[1]}").split("\x00")
    assert len(lines) == 1 and lines[0].startswith(before) and lines[0].endswith(after), lines
    assert re.fullmatch(r" \(ต่างกัน [\d.]+(–[\d.]+)? คะแนนจากเต็ม 100\)",
                        lines[0][len(before):len(lines[0]) - len(after)]), lines
    lines, report = clearly("en")
    names = [report.capital_label(report.capitals[i]) for i in (n - 1, 0)]
    assert lines[0].endswith(f": {names[0]} and {names[1]}")
    clear_below[:] = [0]
    lines, report = clearly()
    assert len(lines) == 1 and lines[0].startswith(report.capital_label(report.capitals[0]))
    # the one capital clearly below is the furthest below, named in the first sentence: said
    # there to be clearly below, not again in a bullet of its own with the same numbers (an
    # amphoe report's findings repeated "physical capital (54.3 against 58.4)")
    clear_below[:] = [n - 1]
    report = AreaReport.load("80150103", 2549, store=sample_store, lang="th")
    found = report.key_findings().findings
    weakest = report.capital_label(report.capitals[n - 1])
    assert sum(weakest in f for f in found) == 1, found
    first = next(f for f in found if weakest in f)
    assert label("find.beyond_margin", "th").strip() in first.split(weakest, 1)[1]
    assert not any(f.startswith(weakest) for f in found)


@pytest.mark.parametrize(("gaps", "key"), [
    ([2.0, 1.0, 0.0], "find.strongest_none_below"),  # none below: "furthest below (48.3 v 48.3)"
    ([0.0, -1.0, -2.0], "find.strongest_none_above"),
    ([2.0, 0.0, -1.0], "find.strongest"),  # (resized to the 7 capitals: 3 above, 2 below)
    # the only capital below (above) the province is not "the furthest" (a reader review)
    ([2.0, 1.0, 1.0, 1.0, 1.0, 1.0, -1.0], "find.strongest.one_below"),
    ([2.0, -1.0, -1.0, -1.0, -1.0, -1.0, -2.0], "find.strongest.one_above"),
    ([2.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0], "find.strongest.one_above_below"),
    ([-1.0, -2.0, -3.0], "find.strongest_all_below"),
    ([0.0, 0.0, 0.0], "find.strongest_none"),
    # a capital hidden: "no capital that can be shown", not "no capital"
    ([2.0, 1.0, 0.0, None], "find.strongest_none_below_shown"),
    ([0.0, 0.0, 0.0, None], "find.strongest_none_shown"),
])
def test_a_capital_level_with_the_province_is_not_called_the_furthest_below(
        sample_store, monkeypatch, gaps, key) -> None:
    """A tambon's key findings said the capital "furthest below the province" was cultural
    capital "(48.3 against 48.3)" (a reader review): the gaps are those of the printed values,
    and a sentence says when no capital is below (or above) the province."""
    from abcresearch.reports.sections import findings

    real = findings.published_profile

    def profile(report, est, pub=None):
        prof = real(report, est, pub).copy()
        given = [g for g in gaps if g is not None]
        shift = np.resize(np.array(given), len(prof))
        shift[len(given):] = np.clip(shift[len(given):], min(given), max(given))
        if None in gaps:  # the last capital hidden
            shift[-1] = np.nan
        prof["estimate"] = (prof["province"] + shift).round(1)
        prof["province"] = prof["province"].round(1)
        prof["ci_low"], prof["ci_high"] = prof["estimate"] - 9, prof["estimate"] + 9
        prof["text"] = [f"{v:.1f}" for v in prof["estimate"]]
        prof["province_text"] = [f"{v:.1f}" for v in prof["province"]]
        return prof

    monkeypatch.setattr(findings, "published_profile", profile)
    report = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    lines = report.key_findings().findings
    from abcresearch.labels import label

    # the sentence of `key`: its words between the fields, in order, in one line
    pieces = [w.strip() for w in re.split(r"\{\w+\}", label(key, "th")) if w.strip(" ()")]

    def said(line: str) -> bool:
        at = 0
        for w in pieces:
            at = line.find(w, at)
            if at < 0:
                return False
            at += len(w)
        return True

    assert any(said(line) for line in lines), (key, lines)
    for line in lines:
        for part in line.split("มากที่สุดคือ")[1:]:  # "furthest ... is X (a against b)"
            a, _, b = part.split("(", 1)[1].split(")", 1)[0].partition(" เทียบกับ ")
            assert a.split()[0] != b.split()[0], line


def test_an_interval_narrower_than_its_digits_is_said_so_not_printed_45_45(
        report, monkeypatch) -> None:
    """An amphoe's Alkire-Foster table read "45 45–45" (a reader review): an interval that
    prints as its estimate says it is narrower than the digits shown; others print as before."""
    from abcresearch.reports.disclosure import Shown
    from abcresearch.reports.sections import deprivation as D

    real = D.af_published

    def narrow(rep, pub):
        shown = dict(real(rep, pub))
        shown["H"] = Shown("45", 0.45, "45", "45")
        shown["A"] = Shown("58", 0.58, "57", "58")
        return shown

    monkeypatch.setattr(D, "af_published", narrow)
    table = D.deprivation(report).to_frame(0)
    t = report.t
    ci = dict(zip(table[t("col.measure")], table[t("col.ci")], strict=True))
    assert ci[t("m.H")] == t("ci.narrower_cell")
    assert ci[t("m.A")] == "57–58"


def test_the_deprivation_section_says_its_cut_off_in_capitals(report) -> None:
    """"Poor when lacking at least 33% of the weight of all capitals" (a reader review): with
    equal weights the section says "3 of 7 capitals", as the key findings do."""
    af = report.af_result
    dims = len(af.weights)
    words = report.t("find.measures.cut_count", k=int(np.ceil(af.k * dims - 1e-9)), dims=dims)
    assert words in report.deprivation().text


@pytest.mark.parametrize("code", ["80150101", "801501"])
def test_a_total_that_is_the_frame_count_prints_in_full(sample_store, code) -> None:
    """The levels table printed a village's households rounded to 10 ("320") beside the cover's
    and the data-quality table's frame count ("324"), a reader review: a total that is the
    frame's count (the households weighted up to their villages' frame) prints that count."""
    from abcresearch.reports.results import Table

    report = AreaReport.load(code, 2549, store=sample_store)
    table = next(p.data for p in report.levels_and_tracks().parts if isinstance(p, Table))
    w, _n = report.weighted_counts("overall_level")
    frame = report.known_households([code]).iloc[0]
    assert float(w.iloc[0].sum()) == pytest.approx(frame)
    assert int(frame) % 10  # the rounded count would differ
    assert table[report.t("col.estimated_total")].iloc[-1] == f"{int(frame):,}"


def test_the_total_column_says_estimated_where_a_total_is_not_the_frame_count(
        sample_store, monkeypatch) -> None:
    """The column was "รวม (ประมาณ)" over frame counts printed in full, and then "ครัวเรือน
    ทั้งหมด" over every total (a code review: an estimated total read as a count): it says
    "(ประมาณ)" where some row's total is a rounded estimate, not the frame's count."""
    from abcresearch.reports.results import Table

    report = AreaReport.load("801501", 2549, store=sample_store)
    table = next(p.data for p in report.levels_and_tracks().parts if isinstance(p, Table))
    assert report.t("col.estimated_total") in table.columns
    assert report.t("col.estimated_total.some") not in table.columns
    other = AreaReport.load("801501", 2549, store=sample_store)
    known = other.known_households
    monkeypatch.setattr(other, "known_households",
                        lambda codes: known(codes).where(lambda s: s.index != "80150101"))
    table = next(p.data for p in other.levels_and_tracks().parts if isinstance(p, Table))
    assert report.t("col.estimated_total.some") in table.columns
    assert int(table[report.t("col.estimated_total.some")].iloc[0].replace(",", "")) % 10 == 0


def test_levels_2_and_3_hidden_beside_a_shown_level_1_read_together(sample_store) -> None:
    """A village with a few households at level 3 printed "x" for level 2 and "<5" for level
    3 in every table and hatched half its bar (a reader review: a third of the province's
    village reports could not say how many households are at level 2). Their sum is the
    village's households less level 1 and the missing levels, all printed, so the section
    prints it: a column in the levels tables, a segment of the chart and a row of the tracks
    table; the two cells stay hidden, and a village whose level 1 is hidden gets no sum. The
    sum is printed only where it is needed (beside levels 2 and 3 shown it would invite adding
    it to them)."""
    from abcresearch.reports.disclosure import pattern_for, publication_rules
    from abcresearch.reports.results import Figure, Table

    code = "80150101"
    report = AreaReport.load(code, 2549, store=sample_store)
    pattern = pattern_for(report)
    assert pattern.status[("overall_level", code, "3")] == "primary"
    assert pattern.status[("overall_level", code, "2")] == "secondary"
    res = report.levels_and_tracks()
    t = report.t
    joined = t("col.levels_joined")
    levels, capitals, tracks = [p.data for p in res.parts if isinstance(p, Table)]
    row = levels.iloc[0]
    assert (row[t("col.level2")], row[t("col.level3")]) == ("×", "<5")
    w = report.weighted_counts("overall_level", "village_code")[0].loc[code]
    base = publication_rules().weighted_count_base
    expected = int(base * np.floor((w["2"] + w["3"]) / base + 0.5))
    assert row[joined] == f"{expected:,}"
    assert list(levels.columns).index(joined) == list(levels.columns).index(t("col.level3")) + 1
    assert t("levels.joined_note") in next(p for p in res.parts if isinstance(p, Table)).notes
    fig = next(p for p in res.parts if isinstance(p, Figure))
    assert fig.data[joined].notna().all()
    assert fig.caption == t("levels.chart_caption")  # nothing left hatched
    last = tracks.iloc[-1]
    assert last[t("col.track")] == t("tracks.joined")
    assert last[t("col.households")] == row[joined]
    assert tracks[t("col.households")].iloc[1:3].tolist() == ["×", "<5"]
    # the tracks' shares are of the households with a level, as the "% at level 1" column
    assert tracks[t("col.share")].iloc[0] == row[t("col.share_level1")]
    # the capital-level table: the sum where a capital's levels 2 and 3 are hidden with the
    # rest shown, nothing where they are shown or something else is hidden
    together = 0
    for cap, cap_row in zip(report.capitals, capitals.itertuples(index=False), strict=True):
        cell = capitals.columns.get_loc(joined)
        m = f"level:{cap}"
        hid = [pattern.hidden(m, code, k) for k in ("1", "2", "3", "na")]
        if hid[1] and hid[2] and not hid[0] and not hid[3]:
            assert re.fullmatch(r"\d+", cap_row[cell]), (cap, cap_row)
            together += 1
        elif hid[1] and hid[2]:  # both hidden, the sum too: its marker, not a blank
            assert cap_row[cell] in ("×", "<5"), (cap, cap_row)
        else:
            assert cap_row[cell] == "", (cap, cap_row)
    assert together
    # the tambon's table: a village with its level 1 hidden prints no sum of levels 2-3, nor
    # does a row whose levels 2 and 3 are shown
    tambon = AreaReport.load("801501", 2549, store=sample_store)
    table = next(p.data for p in tambon.levels_and_tracks().parts if isinstance(p, Table))
    by_name = table.set_index(table.columns[0])
    assert pattern.hidden("overall_level", "80150102", "1")
    hidden_row = by_name.loc[tambon.child_name("80150102")]
    assert hidden_row[joined] == ("×" if {hidden_row[t("col.level2")], hidden_row[t("col.level3")]}
                                  <= {"×", "<5"} else "")
    assert by_name.loc[tambon.child_name(code), joined] == f"{expected:,}"
    shown = by_name[(by_name[t("col.level2")] != "×") & (by_name[t("col.level3")] != "<5")
                    & (by_name[t("col.level3")] != "×")]
    assert len(shown) and (shown[joined] == "").all()


@pytest.mark.parametrize(("code", "hide"), [("801501", True), ("80150102", True),
                                          ("8015", True), ("801501", False)])
def test_the_levels_chart_names_hidden_segments_only_where_a_bar_has_one(
        sample_store, monkeypatch, code, hide) -> None:
    """Level 3's bars are hatched for black-and-white print, under a caption that called
    hatching "not shown" in every report (a reader review): the note is there only when a bar
    has a hidden segment, and it names its cross-hatching (levels 2 and 3 drawn together
    where each alone is hidden are not hatched)."""
    from abcresearch.reports.disclosure import SuppressionPattern
    from abcresearch.reports.results import Figure

    if not hide:  # a round whose pattern hides nothing (the sample's small villages hide some)
        monkeypatch.setattr(SuppressionPattern, "hidden", lambda self, *a, **k: False)
        monkeypatch.setattr(SuppressionPattern, "share_hidden", lambda self, *a, **k: False)
    report = AreaReport.load(code, 2549, store=sample_store)
    res = report.levels_and_tracks()
    fig = next(p for p in res.parts if isinstance(p, Figure))
    levels = [report.t(k) for k in ("col.level1", "col.level2", "col.level3",
                                    "col.level_missing")]
    still = fig.data[levels].isna()
    joined = fig.data.get(report.t("col.levels_joined"))
    if joined is not None:  # levels 2-3 drawn together where each alone is hidden: no hatching
        still.loc[joined.notna(), levels[1:3]] = False
    hidden = bool(still.to_numpy().any())
    assert hidden == hide
    note = report.t("levels.chart_caption.hidden")
    assert fig.caption == report.t("levels.chart_caption") + (note if hidden else "")


def test_an_amphoe_report_does_not_compare_the_amphoe_with_itself(sample_store,
                                                                 monkeypatch) -> None:
    """An amphoe report's capital table printed an "amphoe" column equal to its own, under a
    caption "against the amphoe and province" whose chart drew the province only (a reader
    review): the amphoe is compared with the province; a tambon with both. The sample store
    holds amphoe 8015 only, so its province is the amphoe itself and the amphoe report compares
    with nothing (tests/test_report_alone.py); with a province of more than the amphoe
    (``alone_in`` False), with the province."""
    from abcresearch.labels import label
    from abcresearch.reports.context import AreaContext

    for code, amphoe, suffix in (("8015", False, ".none"), ("801501", True, "")):
        rep = AreaReport.load(code, 2549, store=sample_store, lang="th")
        res = rep.capital_profile()
        table = res.tables[0].to_frame()
        assert (label("level.amphoe", "th") in " ".join(map(str, table.columns))) == amphoe, \
            (code, list(table.columns))
        assert res.tables[0].caption.endswith(label(f"cap.profile.caption{suffix}", "th"))
        assert any(label(f"profile.chart_caption{suffix}", "th") in (f.caption or "")
                   for f in res.figures), code
    monkeypatch.setattr(AreaContext, "alone_in", lambda self, level: False)
    rep = AreaReport.load("8015", 2549, store=sample_store, lang="th")
    res = rep.capital_profile()
    table = res.tables[0].to_frame()
    assert label("level.amphoe", "th") not in " ".join(map(str, table.columns))
    assert res.tables[0].caption.endswith(label("cap.profile.caption.province", "th"))
    assert any(label("profile.chart_caption.province", "th") in (f.caption or "")
               for f in res.figures)
    monkeypatch.undo()
    # a tambon compared with an amphoe code only: "the areas chosen", not "amphoe and province"
    rep = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    res = rep.capital_profile(compare=("8015",))  # an amphoe given by its code
    assert res.tables[0].caption.endswith(label("cap.profile.caption.areas", "th"))


def test_capitals_tied_as_the_most_often_lacking_are_all_named(sample_store) -> None:
    """"The capital the poor lack most often is natural capital" stood beside a table printing
    wisdom and natural capital at 17 each (a reader review): every capital printed at the
    largest censored headcount is named; the finding follows the headcount, as its words do."""
    import dataclasses

    rep = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    af = rep.af_result
    cens = af.censored_headcount.copy()
    first, other = cens.index[1], cens.index[4]
    cens["estimate"] = 0.10
    cens.loc[first, "estimate"], cens.loc[other, "estimate"] = 0.172, 0.168  # both print 17
    rep.af_result = dataclasses.replace(af, censored_headcount=cens)  # this report only
    found = [f for f in rep.key_findings().findings if "ขาดแคลนบ่อยที่สุด" in f]
    names = [rep.capital_label(str(c).removeprefix("dep_")) for c in (first, other)]
    from abcresearch.reports.sections.common import names_list

    assert found and found[0].endswith(names_list(rep.t, names)), found
    assert names_list(rep.t, names).count("ทุน") == 2


def test_rounded_household_counts_say_their_rows_may_not_add_up(report) -> None:
    """A village's levels table read "10, 200, 60 … total 280" (a reader review): the counts are
    rounded to tens on purpose (disclosure), and the note now says a row may not add up."""
    notes = " ".join(t.notes or "" for t in report.levels_and_tracks().tables)
    assert "ปัดเป็นหลัก" in notes
    assert "รวมกันไม่เท่ากับยอดรวมพอดี" in notes


def test_one_more_c_area_is_named_not_counted(sample_store) -> None:
    """"ตำบลนาทราย, ตำบลปากพูน, ตำบลคลัง และอีก 1 ตำบล" hid a name where there was room for
    it (a reader review): with one more than the list holds, it is named."""
    tried = 0
    for code in ("8015", "801501", "801502", "801503"):
        rep = AreaReport.load(code, 2549, store=sample_store, lang="th")
        kids = rep.children
        in_c = kids[kids["grade"] == "C"]["code"].tolist()
        if len(in_c) < 2:
            continue
        tried += 1
        line = rep.key_findings(priority_areas=len(in_c) - 1).findings[-1]
        more = rep.t("find.priority_more", more=1, unit="x").split("1")[0].strip()
        assert more not in line, line
        assert all(rep.child_name(c) in line for c in in_c), line
        # two more than the list: counted, as before
        if len(in_c) >= 3:
            line = rep.key_findings(priority_areas=len(in_c) - 2).findings[-1]
            assert more in line, line
    assert tried, "no area of the sample has two group-C areas within"


def test_key_findings_name_high_need_areas_outside_group_c(sample_store) -> None:
    """A tambon with no village in group C said "none" and stopped, while villages of high
    need (46% of households at level 1) were on the villages' page only (a reader review):
    high-need villages outside C are named, in priority order, with their level-1 share as
    the villages' page prints it, and only where their need is published."""
    from abcresearch.labels import label
    from abcresearch.reports.area import AreaReport

    prefix = label("find.high_need", "th", areas="", areas_word="หมู่บ้าน").rstrip()
    said = counted = 0
    kinds: set[bool] = set()
    for code in ("801501", "801502", "801503"):
        report = AreaReport.load(code, 2549, store=sample_store)
        kids = report.children
        # with no area within in group C (the bullet before says "none"), without "แม้ไม่อยู่
        # ในกลุ่ม C" (a reader review)
        none_c = bool(kids["grade"].notna().all() and not (kids["grade"] == "C").any())
        if none_c:
            prefix = label("find.high_need_no_c", "th", areas="", areas_word="หมู่บ้าน").rstrip()
        else:
            prefix = label("find.high_need", "th", areas="", areas_word="หมู่บ้าน").rstrip()
        lines = [f for f in report.key_findings().findings if f.startswith(prefix)]
        assert not any("แม้ไม่อยู่ในกลุ่ม C" in f for f in report.key_findings().findings) \
            or not none_c
        high = kids[(kids["need"] == "high") & (kids["grade"] != "C")]
        villages = report.villages().to_frame(0)
        if high.empty:
            assert lines == [], lines
            continue
        assert len(lines) == 1, lines
        names = [report.child_name(c) for c in high["code"]]
        assert all(n in lines[0] for n in names), (lines, names)
        assert [lines[0].index(n) for n in names] == sorted(lines[0].index(n) for n in names)
        shares = dict(zip(villages[report.t("col.village")],
                          villages[report.t("col.share_level1")], strict=True))
        levels = report.levels_and_tracks().to_frame(0).set_index(report.t("col.village"))
        for name in names:
            # the share printed is the one the villages' table prints for that village, and
            # the households the levels table prints at level 1 (a reader review: the share
            # alone did not say which village holds the most households to reach)
            listed = lines[0].split(name + " (", 1)[1].split(")")[0]
            share = listed.split("ร้อยละ ", 1)[1].split(" ")[0]
            assert share == str(shares[name]), (share, shares)
            count = str(levels.loc[name, report.t("col.level1")])
            assert (f"ราว {count} ครัวเรือน" in listed) == count[:1].isdigit(), (listed, count)
            counted += count[:1].isdigit()
        # the one-page summary names them too, with the same shares
        summary = report.summary_page().parts[0].markdown
        assert lines[0].split(": ", 1)[1] in summary, summary
        # "นอกกลุ่ม C" where no village is in group C read oddly (a reader review): the
        # summary then says there is none
        assert ("แต่ไม่อยู่ในกลุ่ม C" in summary) != none_c, summary
        assert ("(ไม่มีหมู่บ้านใดที่ทั้งจำเป็นสูงและอยู่ในกลุ่ม C)" in summary) == none_c, summary
        kinds.add(none_c)
        said += 1
    assert said == 2 and counted, (said, counted)
    assert kinds == {True, False}, kinds


def test_an_unverified_income_line_says_so_where_the_findings_use_it(village_size_store
                                                                     ) -> None:
    """The findings stated the 20,000-baht BMN line as fact; only the income table's notes,
    pages later, said it is unverified (a reader review). (A tambon whose share below the
    line is printed: see the test above.)"""
    from abcresearch.labels import label
    from abcresearch.reports.area import AreaReport

    report = AreaReport.load("801501", 2549, store=village_size_store)
    assert report.poverty_estimate is not None and not report.poverty_estimate["verified"]
    line = [f for f in report.key_findings().findings if "จปฐ." in f and "บาทต่อคน" in f]
    assert len(line) == 1 and label("find.line_unverified", "th") + ")" in line[0], line


def test_a_quoted_last_name_keeps_a_space_after_the_joining_word() -> None:
    """The methods appendix read "สหกรณ์” และ“สัจจะ...” run together (a reader review)."""
    from abcresearch.labels import label
    from abcresearch.reports.sections.common import names_list

    def t(key: str, **kw: str) -> str:
        return label(key, "th", **kw)

    assert names_list(t, ["“กองทุน”", "“สหกรณ์”", "“สัจจะ”"]) == "“กองทุน” “สหกรณ์” และ “สัจจะ”"
    assert names_list(t, ["“ก”", "“ข”"], either=True) == "“ก” หรือ “ข”"
    assert names_list(t, ["ทุนมนุษย์", "ทุนเงินตรา"]) == "ทุนมนุษย์ และทุนเงินตรา"


def test_two_capitals_as_close_to_the_province_as_printed_are_both_named(
        sample_store, monkeypatch) -> None:
    """"The closest to the province average is cultural capital (45.1 against 48.3)" while
    local wisdom printed 25.7 against 28.9, the same 3.2 below (a reader review): float noise
    of the subtraction picked one. Capitals whose printed gaps are equal are named together,
    each with its figures; a gap alone is named alone."""
    from abcresearch.labels import label
    from abcresearch.reports.sections import findings

    real = findings.published_profile
    # 45.1 - 48.3 and 25.7 - 28.9 differ in floating point (-3.1999999999999957 and
    # -3.1999999999999993): the noise must not decide
    pairs = [(45.1, 48.3), (25.7, 28.9), (40.0, 44.5), (30.0, 36.0), (20.0, 27.0),
             (10.0, 18.0), (50.0, 59.0)]

    def profile(report, est, pub=None):
        prof = real(report, est, pub).copy()
        est_, prov = np.array(pairs[:len(prof)]).T
        prof["estimate"], prof["province"] = est_, prov
        prof["ci_low"], prof["ci_high"] = est_ - 9, est_ + 9
        prof["text"] = [f"{v:.1f}" for v in est_]
        prof["province_text"] = [f"{v:.1f}" for v in prov]
        return prof

    monkeypatch.setattr(findings, "published_profile", profile)
    report = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    assert len(report.capitals) == len(pairs)
    first, second = (report.capital_label(c) for c in report.capitals[:2])
    line = next(f for f in report.key_findings().findings
                if f.startswith(label("find.strongest_all_below", "th").split("{")[0]))
    closest = line.split("ใกล้ค่าเฉลี่ยจังหวัดที่สุดคือ", 1)[1].split(" และด้านที่ห่าง", 1)[0]
    within = label("find.within_margin", "th")
    assert closest == (f"{first} (45.1 เทียบกับ 48.3{within}) และ{second} "
                       f"(25.7 เทียบกับ 28.9{within})"), closest
    # the furthest below is one capital, named alone
    last = report.capital_label(report.capitals[6])
    assert line.endswith(f"{last} (50.0 เทียบกับ 59.0{within})"), line


def test_the_one_clear_capital_in_a_tie_is_said_to_be_clear_once(sample_store,
                                                                  monkeypatch) -> None:
    """Two capitals furthest below as printed (-8.0 each), only the second clearly so: the
    sentence naming both said nothing of the margin for it and a bullet of its own repeated
    its figures (a code review); it is said there to be beyond the margin, and only there."""
    from abcresearch.labels import label
    from abcresearch.reports.sections import findings

    real = findings.published_profile
    pairs = [(45.0, 47.0), (40.0, 43.0), (30.0, 34.0), (20.0, 25.0), (15.0, 21.0),
             (10.0, 18.0), (50.0, 58.0)]
    half = [9, 9, 9, 9, 9, 9, 1]  # only the last clearly below (58 outside 49-51)

    def profile(report, est, pub=None):
        prof = real(report, est, pub).copy()
        est_, prov = np.array(pairs).T
        prof["estimate"], prof["province"] = est_, prov
        prof["ci_low"], prof["ci_high"] = est_ - np.array(half), est_ + np.array(half)
        prof["text"] = [f"{v:.1f}" for v in est_]
        prof["province_text"] = [f"{v:.1f}" for v in prov]
        return prof

    monkeypatch.setattr(findings, "published_profile", profile)
    report = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    found = report.key_findings().findings
    clear = report.capital_label(report.capitals[6])
    tied = report.capital_label(report.capitals[5])
    with_it = [f for f in found if clear in f]
    assert len(with_it) == 1, found  # not again in a bullet of its own
    assert f"{tied} (10.0 เทียบกับ 18.0{label('find.within_margin', 'th')}) และ{clear} " \
           f"(50.0 เทียบกับ 58.0{label('find.beyond_margin', 'th')})" in with_it[0], with_it


def test_the_findings_say_how_many_level1_households_live_outside_the_high_need_areas(
        sample_store) -> None:
    """"ควรได้รับความช่วยเหลือพื้นฐาน…ก่อน" read as where the welfare work goes, while about
    half of an amphoe's level-1 households lived in its other tambons (a reader review): the
    findings add up the high-need areas' level-1 counts as the levels table prints them, to
    the unit of the area's count as the findings print it ("ราว 10,600", not the table's
    10,630 two lines apart: a code review), and say the rest, from printed figures alone."""
    from decimal import ROUND_HALF_UP, Decimal

    from abcresearch.reports.area import AreaReport

    said = 0
    for code in ("801501", "801502", "801503", "8015"):
        report = AreaReport.load(code, 2549, store=sample_store)
        t = report.t
        levels = report.levels_and_tracks().to_frame(0)
        name_col = levels.columns[0]
        printed = dict(zip(levels[name_col], levels[t("col.level1")], strict=True))
        kids = report.children
        high = [report.child_name(c) for c in kids.loc[kids["need"] == "high", "code"]]
        findings = report.key_findings().findings
        lines = [f for f in findings if "งานสวัสดิการและ" in f]
        said_total = [re.search(r"หรือราว ([\d,]+) ครัวเรือน", f) for f in findings]
        said_total = [m.group(1) for m in said_total if m]
        cells = [str(printed.get(n, "")) for n in high]
        if not high or len(high) == len(kids) or not said_total or not all(
                c.replace(",", "").isdigit() for c in cells):
            assert lines == [], lines
            continue
        assert len(lines) == 1, lines
        total = int(said_total[0].replace(",", ""))
        unit = 1000
        while unit > 1 and total % unit:
            unit //= 10
        raw = sum(int(c.replace(",", "")) for c in cells)
        summed = int((Decimal(raw) / unit).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * unit
        rest = total - summed
        assert f"ราว {rest:,} ครัวเรือน" in lines[0] and f"ราว {total:,} ครัวเรือน" in lines[0], (
            lines[0], summed, total)
        if len(high) > 1:
            assert f"รวมราว {summed:,} จากราว {total:,}" in lines[0]
        else:
            assert high[0] in lines[0]
        # every number printed is in the findings' ledger
        recorded = {x for e in report.key_findings().published for x in e.texts()}
        assert {f"{rest:,}", f"{total:,}"} <= recorded
        said += 1
    assert said, "no area of the sample prints every count the sentence adds up"
