"""Per-area report content: numbers, words, suppression and privacy (no kernel needed)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from abcresearch.errors import AreaError, StoreError
from abcresearch.reports.area import AreaReport
from abcresearch.reports.disclosure import SUPPRESSED, publication_rules
from abcresearch.reports.render import TYPST_MIME
from abcresearch.reports.results import Table
from abcresearch.survey.pseudonyms import find_personal_data

SECTIONS = ["cover", "key_findings", "capital_profile", "levels_and_tracks", "deprivation",
            "villages", "organisations", "income", "data_quality", "methods_note",
            "write_summary"]


def _personal(export) -> list[str]:
    hh = pd.read_csv(export / "household.csv", sep=";", dtype=str)
    mem = pd.read_csv(export / "member.csv", sep=";", dtype=str)
    names = list(hh["hh/head_name"].dropna()) + list(mem["member/m_name"].dropna())
    return names


@pytest.fixture(scope="module")
def tambon_report(sample_store):
    report = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    for section in SECTIONS:
        getattr(report, section)()
    return report


def _bundles(report: AreaReport) -> list[dict]:
    """Every bundle the sections called so far display, in order."""
    return [b for res in report.results.values() for b in res.bundles()]


def _text(bundles: list[dict]) -> str:
    # figures are glyph outlines as SVG paths (also inside a captioned figure's Typst markup):
    # no text to scan; their captions are
    return "\n".join(json.dumps({k: v for k, v in b.items() if k != "image/svg+xml" and not (
                                     "image/svg+xml" in b and k == TYPST_MIME)},
                                ensure_ascii=False, default=str) for b in bundles)


def _specs(bundles: list[dict]) -> list[dict]:
    from abcresearch.reports.render import TABLE_MIME

    return [b[TABLE_MIME] for b in bundles if TABLE_MIME in b]


def test_every_section_runs_and_keeps_its_numbers(tambon_report: AreaReport) -> None:
    r = tambon_report.results
    assert set(SECTIONS) == set(r)
    prof = r["capital_profile"].estimates
    assert list(prof.index) == list(tambon_report.capitals)
    assert ((prof["ci_low"] <= prof["estimate"]) & (prof["estimate"] <= prof["ci_high"])).all()
    summary = r["write_summary"].summary
    assert summary == tambon_report.summary()
    assert summary["area_code"] == "801501"
    assert summary["grade"] in {"A", "B", "C"}
    assert 0 <= summary["m0"] <= 1


def test_area_mean_matches_a_direct_weighted_mean(tambon_report: AreaReport) -> None:
    hh = tambon_report.households
    for cap in tambon_report.capitals:
        ok = hh[cap].notna()
        direct = np.average(hh.loc[ok, cap], weights=hh.loc[ok, "weight"])
        assert tambon_report.results["capital_profile"].estimates.loc[cap, "estimate"] == \
            pytest.approx(direct, rel=1e-12)


def test_thai_words_and_grade_are_shown(tambon_report: AreaReport) -> None:
    text = _text(_bundles(tambon_report))
    assert "ขนอม" in text and "Khanom" in text
    assert "ทุนมนุษย์" in text and "ทุนภูมิปัญญา" in text
    assert "ข้อมูลสังเคราะห์" in text
    grade = tambon_report.results["write_summary"].summary["grade"]
    from abcresearch.scoring.grades import load_grade_rules

    assert load_grade_rules().grade_labels[grade]["th"] in text


def test_no_personal_data_in_any_output(tambon_report: AreaReport, sample_export) -> None:
    text = _text(_bundles(tambon_report))
    assert find_personal_data(text, names=_personal(sample_export)) == []


def test_small_counts_never_published(tambon_report: AreaReport) -> None:
    """No table of household counts prints 1-4 (tables of percentages are checked by the
    disclosure test, tests/test_disclosure_recovery.py); weighted counts are multiples of the
    rounding base."""
    base = publication_rules().weighted_count_base
    codes = [tambon_report.area.code,
             *tambon_report.households["village_code"].astype(str).unique()]
    frames = {int(v) for v in tambon_report.known_households(codes).dropna()}
    checked = 0
    for out in _specs(_bundles(tambon_report)):
        caption = out.get("caption") or ""
        if "ครัวเรือน" not in caption or "ร้อยละ" in caption:
            continue
        # columns of counts (a column of percentages may print 1-4)
        cols = [j for j, c in enumerate(out["columns"]) if j > 0 and "%" not in c
                and "ร้อยละ" not in c]
        checked += bool(cols)
        for row in out["rows"]:
            for j in cols:
                cell = row[j]
                if isinstance(cell, str) and re.fullmatch(r"[1-4]", cell):
                    pytest.fail(f"count {cell} published in {caption}")
                # (sample sizes, and totals that are the frame's count, print in full:
                # test_a_total_that_is_the_frame_count_prints_in_full)
                if "ประมาณการจำนวนครัวเรือน" in caption and out["columns"][j] != \
                        tambon_report.t("col.surveyed") \
                        and cell is not None and re.fullmatch(r"[\d,]+", cell):
                    printed = int(cell.replace(",", ""))
                    assert printed % base == 0 or (
                        out["columns"][j] in (tambon_report.t("col.estimated_total"),
                                              tambon_report.t("col.estimated_total.some"))
                        and printed in frames), (caption, j, cell)
    assert checked


def test_level_table_suppresses_and_marks(sample_store) -> None:
    report = AreaReport.load("801501", 2549, store=sample_store)
    result = report.levels_and_tracks()
    counts = result.details["counts"]  # sample households (the table prints weighted ones)
    small = ((counts > 0) & (counts < 5)).to_numpy().any()
    shown = json.dumps(_specs(result.bundles())[0], ensure_ascii=False)
    assert (SUPPRESSED in shown) == small


def test_published_counts_for_your_own_cells_are_the_reports(sample_store) -> None:
    """A researcher's own crosstab of levels by village printed cells of 1 household that the
    report's Table 2 hides; ``published_counts`` gives the cells as the report publishes them."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    table = report.levels_and_tracks().tables[0].data
    mine = report.published_counts("overall_level")
    level_cols = [report.t(k) for k in ("col.level1", "col.level2", "col.level3",
                                        "col.level_missing")]
    assert list(mine.index) == list(table.iloc[:, 0])
    assert mine.to_numpy().tolist() == table[level_cols].to_numpy().tolist()
    surveyed = report.published_counts("overall_level", weighted=False)
    _, n = report.weighted_counts("overall_level", "village_code")
    small = (n > 0) & (n < report.threshold)
    assert small.to_numpy().any()  # the village table has small cells to hide
    # columns named as the report names the levels, rows by the areas within
    named = {"1": "col.level1", "2": "col.level2", "3": "col.level3", "na": "col.level_missing"}
    assert list(surveyed.columns) == [report.t(named[c]) for c in ("1", "2", "3", "na")]
    assert surveyed.index.name == report.t("col.village")
    for code in n.index:
        row = surveyed.loc[report.child_name(code)]
        for cat in n.columns:
            col = report.t(named[str(cat)])
            if small.loc[code, cat]:
                assert row[col] in (SUPPRESSED, "×"), (code, cat, row[col])
            elif row[col] not in (SUPPRESSED, "×"):
                assert row[col] == f"{int(n.loc[code, cat]):,}"
    with pytest.raises(KeyError, match="overall_level"):
        report.published_counts("no_such_measure")
    for shares_only in ("poor", "cens:human"):  # cells not protected as counts
        with pytest.raises(KeyError, match="publishes as counts"):
            report.published_counts(shares_only)
    # households below and above the income line: tied to the income bins in the pattern (the
    # line is a bin edge), so protected as counts, as the share below the line publishes them
    # the area alone (and a village report's one row): named by the area's own level, not left
    # unnamed for a table to print "index" over it (a researcher's walk-through)
    alone = report.published_counts("overall_level", by_area=False)
    assert list(alone.index) == [report.area_name()]
    assert alone.index.name == report.t("col.tambon")
    village = AreaReport.load(report.households["village_code"].iloc[0], 2549,
                              store=sample_store).published_counts("overall_level")
    assert len(village) == 1 and village.index.name == report.t("col.village")
    below = report.published_counts("poverty", weighted=False)
    assert list(below.columns) == ["below", "above"]
    _, n = report.weighted_counts("poverty", "village_code")
    for code in n.index:
        for cat in ("below", "above"):
            if 0 < n.loc[code, cat] < report.threshold:
                assert below.loc[report.child_name(code), cat] in (SUPPRESSED, "×")


def test_the_rules_a_report_was_made_under_are_named(sample_store, tmp_path) -> None:
    from abcresearch.batch.index_page import render_index
    from abcresearch.batch.runner import ReportOutcome, ReportPaths
    from abcresearch.params import rules_fingerprint

    report = AreaReport.load("801501", 2549, store=sample_store)
    summary = report.summary()
    assert summary["rules_fingerprint"] == rules_fingerprint() and summary["scheme"]
    assert f"รหัสตรวจสอบกฎ {rules_fingerprint()}" in report.methods_note().text
    # the appendix it refers to is a file of its own: the note says which and where (a reader
    # looked for it in the report)
    assert "ภาคผนวกวิธีการ ซึ่งเป็นอีกไฟล์หนึ่งในชุดรายงานของรอบนี้ (methods.pdf)" in \
        report.methods_note().text
    own = {**summary, "rules_fingerprint": "0123456789ab"}
    outcomes = [ReportOutcome(c, 2549, "tambon", "ok", ReportPaths.for_area(c, 2549, tmp_path),
                              summary=s) for c, s in (("801501", summary), ("801502", own))]
    one = render_index(tmp_path, 2549, outcomes[:1])
    assert 'id="rules"' in one and rules_fingerprint() in one and 'class="warning" id="rules"' \
        not in one
    both = render_index(tmp_path, 2549, outcomes)
    assert 'class="warning" id="rules"' in both and "0123456789ab" in both
    # the grade rules and whether they are a draft, as the covers say
    from abcresearch.labels import label
    from abcresearch.scoring.grade_rules import load_grade_rules

    rules = load_grade_rules()
    assert summary["grade_rules"] == f"{rules.scheme_id} v{rules.scheme_version}"
    assert summary["grade_rules"] in one
    assert (label("cover.grade_draft", "th") in one) == (not rules.verified)
    # a grade near a threshold says so, as the cover does; "–" is explained
    near = {**summary, "grade": "B", "grade_status": "near_threshold"}
    page = render_index(tmp_path, 2549, [ReportOutcome(
        "801501", 2549, "tambon", "ok", ReportPaths.for_area("801501", 2549, tmp_path),
        summary=near)])
    assert f'B <span class="model">(<span class="th">{label("grade_status.near_threshold")}' \
        in page
    assert 'id="dash-note"' in page
    # the Thai font travels with the page (a machine without Thai fonts showed boxes)
    assert "@font-face{font-family:\"Noto Sans Thai\"" in page and "base64," in page
    assert "font-family:inherit" in page  # the ไทย button too (buttons keep the system font)


def test_english_report(sample_store) -> None:
    report = AreaReport.load("801501", 2549, store=sample_store, lang="en")
    report.cover()
    found = report.key_findings()
    text = _text(_bundles(report))
    assert "SYNTHETIC DATA" in text
    assert "Khanom" in text
    findings = "\n".join(found.findings)
    assert all(s in found.text for s in found.findings)
    prof = found.estimates.dropna(subset=["estimate", "province"])
    diff = prof["estimate"] - prof["province"]
    # "furthest above it: human capital (...) and social capital (...)": one sentence for one
    # capital and for several tied ("the capital furthest above it is X and Y", a review)
    assert ("Every capital's mean is below the province average (some within the margin of "
            "error); closest to it: " if (diff < 0).all()
            else "Every capital's mean is above the province average (some within the margin "
            "of error); furthest above it: "
            if (diff > 0).all() else "Against the province average, furthest above it: ") \
        in findings
    assert " is the " not in findings and "the one furthest" not in findings
    # Thai script only in village names (Thai proper nouns, printed as they are) and asides
    bare = findings
    for name in report.village_names():
        bare = bare.replace(name, "")
    assert not re.search("[\u0e00-\u0e7f]", re.sub(r"\([^)]*\)", "", bare)), findings


def test_english_village_names_take_no_brackets_of_their_own(sample_store) -> None:
    """The English report printed a village's Thai name in brackets, so the note after it read
    "Village 9 (บ้านบ่อตก) (46% of households at level 1)" and a list of villages in brackets
    ended "Village 12 (บ้านโคกเตย))" (tambon 800115 of the sample province). A village's name
    follows its number as in Thai, "Village 9 บ้านบ่อตก", in its own report's title too."""
    report = AreaReport.load("801501", 2549, store=sample_store, lang="en")
    named = report.own_village_names
    assert named, "the test cannot fail: no village of the tambon has a name of its own"
    for code, name in named.items():
        assert report.child_name(code) == f"Village {int(code[6:])} {name}"
    parts = [p for section in ("summary_page", "readiness", "welfare_fund", "organisations",
                               "villages") for p in getattr(report, section)().parts]
    text = "\n".join([p.as_markdown() for p in parts]
                     + [str(c) for p in parts if isinstance(p, Table)
                        for row in p.spec["rows"] for c in row])
    assert any(name in text for name in named.values())
    assert not re.search(r"Village \d+ \(", text), re.findall(r"Village \d+ \([^)]*\).{0,40}", text)
    code, name = next(iter(named.items()))
    village = AreaReport.load(code, 2549, store=sample_store, lang="en")
    assert village.area.name_en == f"Village {int(code[6:])} {name}"


def test_village_and_amphoe_reports(sample_store) -> None:
    vil = AreaReport.load("80150101", 2549, store=sample_store)
    # a village's report: not a table of its own row (a reader review) but where its tambon's
    # villages are compared; nothing published, so nothing in the ledger
    from abcresearch.labels import label
    from abcresearch.survey.areas import get_area

    res = vil.villages()
    assert res.tables == ()
    assert [(e.name, e.value) for e in res.published] == [("villages_surveyed", surveyed := int(
        vil.analysis.villages["village_code"].str.startswith("801501").sum()))]
    assert surveyed > 1
    assert label("villages.see_tambon", "th", n=surveyed, tambon=get_area("801501").label("th"),
                 heading=label("section.villages", "th")) in res.text
    assert f"หมู่บ้านที่สำรวจทั้ง {surveyed} หมู่บ้านของตำบล" in res.text
    # in English, the heading it points to is the tambon report's heading as printed
    en = AreaReport.load("80150101", 2549, store=sample_store, lang="en").villages()
    assert f"under “{label('section.villages', 'en')}”" in en.text
    amp = AreaReport.load("8015", 2549, store=sample_store)
    assert set(amp.villages().table.iloc[:, 1]) == {"ตำบลขนอม", "ตำบลควนทอง", "ตำบลท้องเนียน"}


def test_bad_parameters_are_one_sentence(sample_store) -> None:
    with pytest.raises(AreaError, match="809901"):
        AreaReport.load("809901", 2549, store=sample_store)
    with pytest.raises(StoreError, match="2551"):
        AreaReport.load("801501", 2551, store=sample_store)
    with pytest.raises(StoreError, match="no households"):
        AreaReport.load("800101", 2549, store=sample_store)


def _num(cell) -> float | None:
    try:
        return float(str(cell).replace(",", ""))
    except ValueError:
        return None


def test_hidden_level_counts_cannot_be_recovered(sample_store) -> None:
    """A hidden cell is never the only hidden cell of its row or column (the row totals are
    published as village sizes and the column totals as track counts), unless the rest of
    that line is zero and its total is itself hidden."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    levels = report.levels_and_tracks()
    listed = report.villages().table
    rows = _specs(levels.bundles())[0]["rows"]
    cells = np.array([[c in ("<5", "×") for c in row[1:-1]] for row in rows])
    values = np.array([[_num(c) or 0 for c in row[1:-1]] for row in rows])
    assert cells.any(), "the sample (30 households per village) has small cells to hide"
    n_shown = dict(zip(listed.iloc[:, 1], listed.iloc[:, 2], strict=True))
    for i, row in enumerate(rows):
        if cells[i].sum() == 1:
            others = values[i][~cells[i]]
            assert (others == 0).all() and n_shown[row[0]] == report.marker, row
    for j in range(cells.shape[1]):
        assert cells[:, j].sum() != 1 or (values[~cells[:, j], j] == 0).all(), j


def test_share_next_to_a_hidden_level1_cell_is_hidden(sample_store) -> None:
    report = AreaReport.load("801501", 2549, store=sample_store)
    for row in _specs(report.levels_and_tracks().bundles())[0]["rows"]:
        if row[1] in ("<5", "×"):
            assert row[-1] in ("<5", "×"), row


def test_amphoe_organisations_sum_their_villages(sample_store) -> None:
    from abcresearch.labels import HalfUp
    from abcresearch.store import read as data

    report = AreaReport.load("8015", 2549, store=sample_store)
    shown = report.organisations().table
    vil = data.load(2549, area="8015", store=sample_store, table="villages")
    expected = vil.groupby(vil["village_code"].str.slice(0, 6))["vil_households"].sum()
    assert shown.iloc[:, 1].astype(float).tolist() == expected.astype(float).tolist()
    assert shown.iloc[:, 0].tolist() == ["ตำบลขนอม", "ตำบลควนทอง", "ตำบลท้องเนียน"]
    # the master plans and process steps its caption names, per tambon (it had neither, and
    # repeated the welfare section's figures; a reader review)
    t = report.t
    tambon = vil["village_code"].str.slice(0, 6)
    plans = vil["vil_master_plan"].eq("yes").groupby(tambon).sum()
    size = vil.groupby(tambon).size()
    assert shown[t("org.col.plans")].tolist() == [
        t("org.plans_of", k=int(plans[c]), n=int(size[c])) for c in size.index]
    steps = pd.to_numeric(vil["vil_process_step"]).groupby(tambon).mean()
    assert shown[t("org.col.step_mean")].tolist() == [float(f"{HalfUp(v):.1f}") for v in steps]
    assert t("col.welfare") not in shown.columns


def test_organisations_keep_a_column_without_figures_on_the_right(sample_store) -> None:
    """Tambon 800102 of the sample province: none of its villages' forms has a master plan
    year, and its organisations table set that column, every cell "–" (now "ไม่มี", no plan),
    on the left beside the numbers (a review)."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    # village_forms is a cached property: the tambon's forms as if none had a master plan
    report.__dict__["village_forms"] = report.village_forms.assign(vil_master_plan="no",
                                                                   vil_master_plan_year=np.nan)
    (table,) = report.organisations().tables
    spec = table.spec
    year = spec["columns"].index(report.t("col.master_plan"))
    assert {row[year] for row in spec["rows"]} == {report.t("org.plan_none")}
    assert spec["align"] == ["left"] + ["right"] * (len(spec["columns"]) - 1)


def test_rejected_rows_are_counted(tmp_path_factory, sample_export) -> None:
    import shutil

    from abcresearch.ingest.pipeline import ingest

    bad = tmp_path_factory.mktemp("bad") / "export"
    shutil.copytree(sample_export, bad)
    text = (bad / "household.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = [h.strip('"') for h in text[0].rstrip("\r\n").split(";")]
    col = header.index("hh/consent")
    cells = text[1].rstrip("\r\n").split(";")
    cells[col] = '"no"'  # no consent: the household is rejected
    text[1] = ";".join(cells) + "\r\n"
    (bad / "household.csv").write_text("".join(text), encoding="utf-8")
    store = tmp_path_factory.mktemp("badstore")
    ingest(bad, survey_round=2549, store=store)
    village = cells[header.index("hh/village_code")].strip('"')
    members = pd.read_csv(bad / "member.csv", sep=";", dtype=str)
    # the household and its roster rows (rejected as parent_rejected)
    expected = 1 + int((members["_parent_index"] == "1").sum())
    report = AreaReport.load(village[:6], 2549, store=store)
    quality = report.data_quality().table
    values = dict(zip(quality.iloc[:, 0], quality.iloc[:, 1], strict=True))
    # one rejected household in the tambon: a count of 1-4 is hidden like any other
    assert values[report.t("m.rejected_area")] == report.marker
    # all rows of the province (a row of the table when the province figure is published)
    if report.t("m.rejected") in values:
        assert values[report.t("m.rejected")] == (expected if expected >= 5 else report.marker)


def test_deprivation_with_unscored_households(sample_store) -> None:
    """Households whose capitals could not all be scored (poor = NA) do not break the section."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    hh = report.households.copy()
    hh.loc[hh.index[:7], "dep_wisdom"] = np.nan
    report.__dict__["households"] = hh
    result = report.deprivation()
    assert report.af_result.household["poor"].isna().sum() == 7
    assert result.details["af"] is report.af_result
    assert not result.table.empty and result.estimates.notna().all().all()


def test_the_shares_of_m0_say_when_their_rounding_adds_up_to_more_than_100(sample_store
                                                                            ) -> None:
    """The shares of M0, printed whole, added up to 102 with nothing said (a reader review):
    the table's note gives their printed total where every share is printed and it is not
    100, and says nothing otherwise."""
    said = quiet = 0
    for code in ("8015", "801501", "801502", "801503", *[f"801501{i:02d}" for i in range(1, 9)]):
        report = AreaReport.load(code, 2549, store=sample_store)
        t = report.t
        table = [x for x in report.deprivation().tables
                 if x.caption == t("af.contrib_caption")][0]
        cells = [str(v) for v in table.data[t("col.contribution")]]
        rounding = t("af.contrib_rounding", total="\x00").split("\x00")[0]
        if all(c.isdigit() for c in cells) and sum(map(int, cells)) != 100:
            said += 1
            assert t("af.contrib_rounding", total=sum(map(int, cells))) in table.notes
        else:
            quiet += 1
            assert rounding not in (table.notes or ""), (code, cells)
    assert said and quiet, (said, quiet)


def test_findings_never_state_a_hidden_deprivation_measure(sample_store) -> None:
    """The sentence on multidimensional poverty gives H and A: it is left out wherever the
    deprivation table hides them (e.g. 27 poor households of 30: the 3 others are too few)."""
    from abcresearch.reports.render import TABLE_MIME

    checked = 0
    for code in [f"801501{i:02d}" for i in range(1, 9)]:
        report = AreaReport.load(code, 2549, store=sample_store)
        table = report.deprivation().bundles()[2][TABLE_MIME]
        hidden = {row[0] for row in table["rows"] if row[1] in (None, "<5", "×")}
        if not hidden & {report.t("m.H"), report.t("m.A")}:
            continue
        checked += 1
        # the sentence's fixed words, whatever the numbers: none of the findings has them all
        tpl = report.t("find.m0", h="\x00", count="\x00", dims="\x00", capital="\x00")
        pieces = [p for p in tpl.split("\x00") if p.strip()]
        findings = report.key_findings().findings
        assert not any(all(p in f for p in pieces) for f in findings), code
    assert checked, "the sample has a village whose H or A is hidden"


def test_the_index_names_each_tambons_amphoe_and_links_its_tables_workbook(tmp_path) -> None:
    """An officer looks for their tambon among 170 by its amphoe, and opens the report's
    tables in Excel: an amphoe column (sortable by its Thai name) and a workbook link beside
    each PDF that has one, the overview's and the appendix's too."""
    from abcresearch.batch.index_page import render_index
    from abcresearch.batch.runner import ReportOutcome, ReportPaths
    from abcresearch.labels import label
    from abcresearch.survey.areas import get_area

    outcomes = [ReportOutcome(c, 2549, "tambon", "ok", ReportPaths.for_area(c, 2549, tmp_path),
                              summary={"grade": "B"}) for c in ("801501", "800101")]
    for o in outcomes:
        o.paths.pdf.parent.mkdir(parents=True, exist_ok=True)
        o.paths.pdf.write_bytes(b"%PDF")
    outcomes[0].paths.pdf.with_suffix(".xlsx").write_bytes(b"PK")
    round_dir = tmp_path / "2549"
    overview = round_dir / "province" / "80.pdf"
    overview.parent.mkdir(parents=True)
    overview.write_bytes(b"%PDF")
    overview.with_suffix(".xlsx").write_bytes(b"PK")
    (round_dir / "methods.pdf").write_bytes(b"%PDF")
    page = render_index(round_dir, 2549, outcomes, province_pdfs=[overview])
    head = page[page.index("<thead>"):page.index("</thead>")]
    assert label("index.amphoe", "th") in head and label("index.amphoe", "en") in head
    khanom = get_area("8015")
    assert (f'data-sort-th="{khanom.label("th")}"><span class="th">{khanom.label("th")}</span>'
            f'<span class="en">{khanom.label("en")}</span>') in page
    workbook = label("index.workbook", "th")
    assert page.count(workbook) == 2  # 801501's and the overview's (800101, the appendix: none)
    assert '<td class="links" data-sort="0">' in page  # "PDF · ตาราง (Excel)" on one line
    assert 'href="tambon/801501.xlsx"' in page and 'href="province/80.xlsx"' in page
    assert "800101.xlsx" not in page and "methods.xlsx" not in page
    (round_dir / "methods.xlsx").write_bytes(b"PK")
    assert 'href="methods.xlsx"' in render_index(round_dir, 2549, outcomes)
    # amphoe reports: no amphoe column
    amphoe = [ReportOutcome("8015", 2549, "amphoe", "ok", ReportPaths.for_area("8015", 2549,
                                                                                tmp_path))]
    head = render_index(round_dir, 2549, amphoe)
    assert label("index.amphoe", "th") not in head[head.index("<thead>"):head.index("</thead>")]


def test_the_index_names_a_village_by_its_own_name_and_its_tambon(tmp_path) -> None:
    """A village batch's index read "หมู่ที่ 3" for a dozen villages (a fresh user's
    walk-through): a row names the village as its report does, with its tambon."""
    from abcresearch.batch.index_page import render_index
    from abcresearch.batch.runner import ReportOutcome, ReportPaths
    from abcresearch.survey.areas import get_area

    named = ReportOutcome("80020103", 2549, "village", "ok",
                          ReportPaths.for_area("80020103", 2549, tmp_path),
                          summary={"name_th": "หมู่ที่ 3 บ้านนาม่วง",
                                   "name_en": "Village 3 บ้านนาม่วง"})
    unnamed = ReportOutcome("80020104", 2549, "village", "ok",
                            ReportPaths.for_area("80020104", 2549, tmp_path), summary={})
    page = render_index(tmp_path / "2549", 2549, [named, unnamed])
    tambon = get_area("800201")
    assert (f'<span class="th">หมู่ที่ 3 บ้านนาม่วง, {tambon.label("th")}</span>'
            f'<span class="en">Village 3 บ้านนาม่วง, {tambon.label("en")}</span>') in page
    # a summary without names (an older report): the village's number, and its tambon
    assert f'<span class="th">หมู่ที่ 4, {tambon.label("th")}</span>' in page


def test_a_villages_english_name_beside_the_thai_is_its_number_whatever_its_own_name() -> None:
    """The English name under the Thai one was cut at the first Thai word of the village's own
    name: "Village 5 KM.5 บ้านใหม่" printed "Village 5 KM.5" on the cover and every page's
    header, half a name; it is the official "Village 5" whatever script the name is in."""
    from dataclasses import replace

    from abcresearch.reports.render.display import beside_thai, report_header
    from abcresearch.survey.areas import get_area

    official = get_area("80150105")
    for own in ("KM.5 บ้านใหม่", "บ้านใหม่", "Ban Mai บ้านใหม่", "(บ้านใหม่)"):
        named = replace(official, name_th=f"หมู่ที่ 5 {own}", name_en=f"Village 5 {own}")
        assert beside_thai(named) == "Village 5", own
        assert beside_thai(named, labelled=False) == "Village 5", own
        assert report_header(named, 2549, "th", False)["title"] == f"หมู่ที่ 5 {own} · Village 5"
    tambon = get_area("801501")
    assert beside_thai(tambon) == tambon.label("en")
    assert beside_thai(tambon, labelled=False) == tambon.name_en


def test_the_level1_households_are_as_precise_as_their_share(sample_store) -> None:
    """ "About 30% (25-35) of households, some 1,234 households, are at level 1" claimed ten
    households of precision where the share knew a hundred (a reader review): the count is
    rounded to the power of ten that the share's interval reaches in households. Checked on
    the sample tambon as it is and with its households a hundred times as many."""
    for scale in (1.0, 100.0):
        report = AreaReport.load("801502", 2549, store=sample_store, lang="en")
        counts = report.weighted_counts

        def scaled(measure, by=None, counts=counts, scale=scale):
            w, n = counts(measure, by=by)
            return w * scale, n

        report.weighted_counts = scaled
        found = report.key_findings()
        line = next(f for f in found.findings if "households, are at level 1" in f)
        l1 = found.details["level1"].iloc[0]
        w, _ = report.weighted_counts("overall_level")
        count = float(w.iloc[0].get("1", 0.0))
        uncertainty = count / l1["estimate"] * max(0.005, (l1["ci_high"] - l1["ci_low"]) / 2)
        unit = 10 ** max(1, int(np.floor(np.log10(uncertainty))))
        assert unit == (10 if scale == 1 else 1000), (unit, uncertainty)
        expected = max(unit, int(unit * np.floor(count / unit + 0.5)))
        assert f"some {expected:,} households" in line, (line, count, uncertainty)


def test_the_cover_names_a_tambon_or_amphoe_with_its_levels_word(sample_store) -> None:
    """A tambon report's cover printed "ในเมือง" large on its own, which reads "in the town",
    not the tambon (a Thai reader's review): it is "ตำบลในเมือง", beside "... Subdistrict";
    an amphoe's is "อำเภอ..."; a village's already starts "หมู่ที่"."""
    for code, word in (("801502", "ตำบล"), ("8015", "อำเภอ")):
        report = AreaReport.load(code, 2549, store=sample_store)
        cover = "".join(getattr(p, "markup", "") for p in report.cover().parts)
        area = report.area
        assert area.label("th").startswith(word)
        assert f'size: 22pt, weight: "bold")[{area.label("th")}]' in cover, cover
        assert f"size: 14pt)[{area.label('en')}]" in cover, cover
    village = "".join(getattr(p, "markup", "") for p in AreaReport.load(
        "80150201", 2549, store=sample_store).cover().parts)
    assert 'size: 22pt, weight: "bold")[หมู่ที่ 1' in village, village


def test_the_income_notes_say_how_to_read_the_gini_coefficient(sample_store) -> None:
    """ "สัมประสิทธิ์จีนี 0.49" and a Lorenz curve with nothing on how to read them (a village
    committee's review): the notes say it, where the coefficient is printed."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    table = report.income().tables[0]
    gini = table.data.set_index(table.data.columns[0]).loc[report.t("m.gini")].iloc[0]
    assert any(c.isdigit() for c in str(gini))  # printed
    t = report.t
    assert t("income.notes.gini", lorenz=t("income.notes.lorenz")) in table.notes
    # without the curve (too few households for its points), the Lorenz half is not said
    table = report.income(lorenz_points=2).tables[0]
    assert t("income.notes.gini", lorenz="") in table.notes
    assert t("income.notes.lorenz") not in table.notes


def test_income_amounts_are_printed_to_the_digits_their_interval_supports(sample_store) -> None:
    """ "119,045 (105,339–132,751)" claimed baht where the interval knows thousands (a reader
    review): the mean household income and the median income per person, and their
    intervals, are rounded to a tenth of the power of ten of the interval's half-width."""
    from abcresearch.reports.sections.income import precision_unit

    assert precision_unit(105_339, 132_751) == 1_000
    assert precision_unit(27_020, 31_640) == 100
    assert precision_unit(44.0, 47.0) == 1  # narrow: whole baht
    assert precision_unit(float("nan"), float("nan")) is None
    report = AreaReport.load("801501", 2549, store=sample_store)
    res = report.income()
    table = res.tables[0].data
    m = res.estimates
    # the mean per person is the ratio of weighted totals, income over members (a reader divided
    # the mean per household by a household's size): by hand from the households
    hh = report.households
    both = hh["fin_income_year"].notna() & hh["hh_size"].notna()
    w = hh.loc[both, "weight"]
    by_hand = float((w * hh.loc[both, "fin_income_year"]).sum()
                    / (w * hh.loc[both, "hh_size"]).sum())
    assert float(m.loc["mean_pc", "estimate"]) == pytest.approx(by_hand, rel=1e-9)
    assert table.iloc[1, 0] == report.t("m.income_pc_mean")
    for row, measure in ((0, "mean"), (1, "mean_pc"), (2, "median")):
        est, low, high = (float(m.loc[measure, c]) for c in ("estimate", "ci_low", "ci_high"))
        unit = 10 ** max(0, int(np.floor(np.log10((high - low) / 2))) - 1)
        assert unit >= 100, (measure, est, low, high)  # the sample's intervals are that wide

        def printed(v: float, unit: int = unit) -> str:
            return f"{int(unit * np.floor(v / unit + 0.5)):,}"

        assert table.iloc[row, 1] == printed(est), (table.iloc[row].tolist(), est)
        assert table.iloc[row, 2] == f"{printed(low)}–{printed(high)}", table.iloc[row].tolist()
        # the ledger knows the rounding: the true value within half a unit of the printed one
        # (the disclosure audit reads these bounds; a whole baht's would not hold the truth)
        entry = next(e for e in res.published if e.text == printed(est)
                     and (e.kind == "mean" if measure == "mean" else e.name ==
                          {"mean_pc": "mean_income_pc", "median": "median_income_pc"}[measure]))
        value = float(printed(est).replace(",", ""))
        assert entry.bounds == pytest.approx((value - unit / 2, value + unit / 2), abs=1e-3)
        assert entry.bounds[0] <= est <= entry.bounds[1]


def test_a_village_alone_in_its_tambon_is_told_it_cannot_be_compared_yet(sample_store,
                                                                         monkeypatch) -> None:
    """A rolling sample may survey one village of a tambon: "the table comparing the 1
    surveyed village" would send the reader to a table of its own row (a code review)."""
    from abcresearch.labels import label
    from abcresearch.survey.areas import get_area

    vil = AreaReport.load("80150101", 2549, store=sample_store)
    villages = vil.analysis.villages
    monkeypatch.setattr(type(vil.analysis), "villages",
                        property(lambda _self: villages[villages["village_code"] == "80150101"]),
                        raising=False)
    text = vil.villages().text
    assert label("villages.only_one", "th", tambon=get_area("801501").label("th")) in text
    assert "ทั้ง 1 หมู่บ้าน" not in text


def test_a_capital_row_with_levels_2_and_3_hidden_prints_the_joined_cell(sample_store) -> None:
    """Where the joined column "levels 2 and 3" is printed, every row with levels 2 and 3
    hidden prints a cell in it: the union's share, or its marker where the union is hidden too.
    A village printed "37 × ×" and a blank (the union would give back its few households
    with incomplete answers) under a note saying the column is printed wherever level 2 or
    3 is not (a reader review)."""
    from abcresearch.batch.run import available_areas

    t_joined = 0
    for code in available_areas(2549, "village", store=sample_store):
        rep = AreaReport.load(code, 2549, store=sample_store, lang="th")
        table = rep.levels_and_tracks().tables[1].to_frame()
        joined = rep.t("col.levels_joined")
        if joined not in table.columns:
            continue
        two, three = rep.t("col.level2"), rep.t("col.level3")
        for _, row in table.iterrows():
            hidden = [row[c] for c in (two, three) if row[c] in ("×", "<5")]
            cell = row[joined]
            if len(hidden) == 2:
                t_joined += 1
                assert cell not in ("", None) and cell == cell, (code, dict(row))
            elif not hidden:
                assert cell in ("", None) or cell != cell, (code, dict(row))
    assert t_joined, t_joined
    # the case of the review (no village of the sample store has it): both hidden and their
    # sum hidden too, since it would give back a few households without a level
    from types import SimpleNamespace

    from abcresearch.reports.sections import levels

    pattern = SimpleNamespace(hidden=lambda m, a, k: k in ("2", "3"),
                              union_hidden=lambda m, a, cats: True)
    assert levels._joined_cell(SimpleNamespace(pattern=pattern), "level:financial", "x")
    one = SimpleNamespace(hidden=lambda m, a, k: k == "3", union_hidden=lambda m, a, c: True)
    assert not levels._joined_cell(SimpleNamespace(pattern=one), "level:financial", "x")


def test_the_levels_section_says_how_the_levels_are_set(sample_store) -> None:
    """The levels section said only what each level should receive; a forum could not tell
    its share at level 1 from the share poor in many dimensions beside it, nor why a household
    "incomplete" on one capital still has a level (a reader review). It says the score bands
    and the overall-level rules, from the scheme."""
    rep = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    sch = rep.analysis.scheme
    text = rep.levels_and_tracks().text
    (level, lo, hi), *_ = sch.capitals[0].bands
    assert f"ต่ำกว่า {hi:g} คะแนนเป็นระดับ {level}" in text
    assert "ระดับ 1 เมื่อมีทุนระดับ 1 อย่างน้อย 4 ด้าน หรือเมื่อทุนเงินตราอยู่ระดับ 1 " \
           "และทุนมนุษย์อยู่ระดับ 1" in text
    assert "ระดับ 2 ในกรณีอื่นทั้งหมด" in text
    n_min = sch.overall["min_capitals_scored"]
    assert f"ไม่ถึง {n_min} จาก {len(sch.capitals)} ด้านไม่มีระดับโดยรวม" in text
    en = AreaReport.load("801501", 2549, store=sample_store, lang="en")
    assert "level 1 with at least 4 capitals at level 1, or with" in en.levels_and_tracks().text


def test_poverty_as_published_follows_the_round_s_pattern(sample_store) -> None:
    """``report.poverty`` said "as published" but judged the share by its own counts: where the
    round's pattern hides it (its income bands would come back from it; in this store's
    30-household villages, everywhere) it handed a notebook the number the PDF prints "×"."""
    from abcresearch.reports.disclosure import pattern_for, share_mask

    report = AreaReport.load("801501", 2549, store=sample_store)
    est = report.poverty_estimate
    assert est is not None
    by_counts = share_mask(np.array([est["n_below"]]), np.array([est["n_base"]]),
                           report.threshold)[0]
    below, base = (("poverty", "below"),), (("poverty", "below"), ("poverty", "above"))
    assert not by_counts and pattern_for(report).share_hidden("801501", below, base)
    assert np.isnan(report.poverty["estimate"]) and np.isnan(report.poverty["ci_low"])
    assert report.poverty["line"] == est["line"]
