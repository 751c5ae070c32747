"""The disclosure test: nothing hidden can be recovered from everything published.

A small synthetic store (two tambons, six villages of 30 households, one of them cut to three
households) is reported at every level -- each village, each tambon and the amphoe -- and an
integer-programming attacker (:mod:`abcresearch.reports.disclosure_audit`) tries to recover every
hidden figure from all their tables, charts, sentences, intervals, weighted counts and summary
figures, within a report and by differencing villages, tambons and the amphoe. It must find
nothing; with secondary suppression switched off, or with one figure published that the
disclosure step hid, it must find the leak.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest

from abcresearch.reports import disclosure, disclosure_audit
from abcresearch.reports.area import AreaReport
from abcresearch.reports.item_rules import failing_flags

SECTIONS = ("cover", "summary_page", "small_area", "readiness", "what_to_do", "welfare_fund",
            "change", "key_findings", "capital_profile", "levels_and_tracks", "deprivation",
            "villages", "organisations", "income", "data_quality", "methods_note",
            "write_summary")
VILLAGES = ["80150101", "80150102", "80150103", "80150201", "80150202", "80150203"]
TINY = "80150203"
ROUND = 2549


def _cut_village(export, village: str, keep: int) -> None:
    """Keep only the first ``keep`` households of one village (and their roster rows)."""
    hh = (export / "household.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    header = [h.strip('"') for h in hh[0].rstrip("\r\n").split(";")]
    vcol, icol = header.index("hh/village_code"), header.index("_index")
    kept, dropped, seen = [hh[0]], set(), 0
    for line in hh[1:]:
        cells = line.rstrip("\r\n").split(";")
        if cells[vcol].strip('"') == village:
            seen += 1
            if seen > keep:
                dropped.add(cells[icol].strip('"'))
                continue
        kept.append(line)
    (export / "household.csv").write_text("".join(kept), encoding="utf-8")
    mem = (export / "member.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    mheader = [h.strip('"') for h in mem[0].rstrip("\r\n").split(";")]
    pcol = mheader.index("_parent_index")
    (export / "member.csv").write_text(
        "".join([mem[0]] + [m for m in mem[1:]
                            if m.rstrip("\r\n").split(";")[pcol].strip('"') not in dropped]),
        encoding="utf-8")


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    """Six villages of two tambons, 30 households each, one village cut to 3 households."""

    from fixtures.test_key import ingest_with_test_key

    from abcresearch.synth.generate import synthesize

    export = tmp_path_factory.mktemp("small_export") / "2549"
    synthesize(province="80", survey_round=ROUND, seed=11, out=export, villages=VILLAGES,
               households_per_village=30)
    shutil.rmtree(export / "_truth", ignore_errors=True)
    _cut_village(export, TINY, 3)
    store = tmp_path_factory.mktemp("small_store")
    ingest_with_test_key(export, ROUND, store)
    return store


def _reports(store) -> list[AreaReport]:
    codes = [*VILLAGES, "801501", "801502", "8015"]
    out = []
    for code in codes:
        report = AreaReport.load(code, ROUND, store=store)
        for section in SECTIONS:
            getattr(report, section)()
        out.append(report)
    return out


@pytest.fixture(scope="module")
def reports(small_store) -> list[AreaReport]:
    """Every village, tambon and amphoe report of the small store, every section called."""
    return _reports(small_store)


def _ledger(reports: list[AreaReport]) -> list[disclosure.Published]:
    return [e for r in reports for res in r.results.values() for e in res.published]


def _attack(reports: list[AreaReport], entries=None) -> disclosure_audit.AuditResult:
    first = reports[0]
    a = first.analysis
    extra = disclosure.extra_counts(ROUND, first.store, a.households)
    return disclosure_audit.audit(_ledger(reports) if entries is None else entries,
                                  a.households, a.scheme, ROUND, first.threshold, extra)


@pytest.fixture(scope="module")
def attack(reports) -> disclosure_audit.AuditResult:
    return _attack(reports)


def test_the_store_has_small_cells_to_hide(reports) -> None:
    pattern = disclosure.pattern_for(reports[0])
    kinds = set(pattern.status.values())
    assert kinds == {"primary", "secondary"}
    assert pattern.unsatisfied == []  # every sum protected, markers read as a reader reads them
    assert pattern.n[TINY] == 3 and not pattern.publishable(TINY)
    hidden = [e for e in _ledger(reports) if e.hidden]
    assert len(hidden) > 50


def test_the_attack_reads_levels_shown_together_over_hidden_cells(reports) -> None:
    """Levels 2-3 printed together where each alone is hidden (the levels section) are in
    the ledger the attack reads, so the test below covers them."""
    pattern = disclosure.pattern_for(reports[0])
    joined = [e for e in _ledger(reports) if not e.hidden and e.kind == "weighted"
              and e.cells == (("overall_level", "2"), ("overall_level", "3"))
              and all(pattern.hidden(m, e.area, c) for m, c in e.cells)]
    assert joined


def test_nothing_hidden_can_be_recovered(attack) -> None:
    assert attack.inconsistent == [], attack.inconsistent[:5]
    assert attack.targets > 20 and attack.constraints > 500
    assert attack.marked > 20  # hidden counts read from their markers, as a reader reads them
    assert attack.recovered == [], attack.recovered[:5]


def test_a_planted_leak_is_found(reports) -> None:
    """Publish one share the step hid, as a section bypassing it would (the village's Table 2
    shows ``× 87 <5`` while another table shows the share at level 1): the attack finds it."""
    entries = _ledger(reports)
    pattern = disclosure.pattern_for(reports[0])
    hh = reports[0].analysis.households
    leak = None
    for e in entries:
        if e.kind == "weighted" and e.hidden and len(e.area) == 8 and e.area != TINY \
                and pattern.status.get((e.cells[0][0], e.area, e.cells[0][1])) == "primary":
            measure, cat = e.cells[0]
            base = tuple((measure, k) for k in pattern.measures[measure].categories)
            sel = hh[hh["village_code"] == e.area]
            counts = {k: pattern.count(measure, e.area, k) for _, k in base}
            share = counts[cat] / len(sel)
            text = f"{100 * share:.1f}"
            printed = float(text) / 100
            leak = disclosure.Published("planted", "share", e.area, e.cells, base, text=text,
                                        value=printed,
                                        bounds=(printed - 0.0005, printed + 0.0005))
            break
    assert leak is not None, "the store has a small count in a village"
    found = _attack(reports, [*entries, leak])
    assert found.inconsistent == []
    assert any(r.area == leak.area and r.cells == leak.cells for r in found.recovered)


def _item_targets(reports: list[AreaReport]) -> list[disclosure.Published]:
    """Every item share the pattern hides for a small count, as a hidden ledger entry.

    A report prints an item's share only where the item is chosen (and never a hidden one), so
    the ledger names few of them; these entries make the attacker go after every one.
    """
    from abcresearch.reports.estimates import item_share_cells

    pattern = disclosure.pattern_for(reports[0])
    ar = reports[0].results["what_to_do"].details["rules"]
    areas = {r.area.code for r in reports}
    out = []
    for rule in ar.items:
        num, base = item_share_cells(rule.item)
        ratio = pattern.ratios[(num, base)]
        for area in sorted(areas):
            if pattern.status.get((ratio, area, "share")) == "primary":
                out.append(disclosure.Published("target", "share", area, num, base,
                                                text=pattern.marker(ratio, area, "share")
                                                or ""))
    return out


def test_no_hidden_item_share_can_be_recovered(reports) -> None:
    """The "what to do" items' shares (what to do page, summary page) are on the round's
    pattern: none it hides for a small count can be recovered from everything published."""
    targets = _item_targets(reports)
    printed = [e for e in _ledger(reports)
               if e.kind == "share" and e.cells[0][0].startswith("item:") and not e.hidden]
    assert len(targets) > 20 and len(printed) > 50
    found = _attack(reports, [*_ledger(reports), *targets])
    assert found.inconsistent == []
    assert found.recovered == [], found.recovered[:5]


def test_a_planted_item_leak_is_found(reports) -> None:
    """Print one village's item share that the pattern hides, with the households answering
    beside it (as an item table bypassing the pattern would): the attack recovers the hidden
    count."""
    targets = _item_targets(reports)
    hh = reports[0].analysis.households
    flags = failing_flags(hh, reports[0].results["what_to_do"].details["rules"])
    for e in targets:
        if len(e.area) != 8 or e.area == TINY:
            continue
        item = e.cells[0][0].split(":", 1)[1]
        f = flags.loc[hh["village_code"] == e.area, item].dropna()
        w = hh.loc[f.index, "weight"]
        share = float((f * w).sum() / w.sum())
        text = f"{100 * share:.0f}"
        printed = float(text) / 100
        leak = [disclosure.Published("planted", "share", e.area, e.cells, e.base, text=text,
                                     value=printed, bounds=(printed - 0.005, printed + 0.005)),
                disclosure.Published("planted", "count", e.area, e.base, text=str(len(f)),
                                     value=float(len(f)), bounds=(len(f), len(f)))]
        break
    else:
        raise AssertionError("the store has no village with a small item count")
    found = _attack(reports, [*_ledger(reports), *targets, *leak])
    assert found.inconsistent == []
    assert any(r.area == e.area and r.cells == e.cells for r in found.recovered), \
        found.recovered[:5]


BELOW_LINE = (("poverty", "below"),)
WITH_INCOME = (("poverty", "below"), ("poverty", "above"))


def _income_bands() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The income bands below and above the round's income line (a band edge)."""
    from abcresearch.reports import estimates

    bins = [float(b) for b in disclosure.publication_rules().income_bins]
    line = float(estimates.poverty_line_value(ROUND))
    assert line in bins[1:], "the line is a band edge in params/publication.yaml"
    ids = estimates.income_bin_ids(bins)
    cut = bins.index(line)
    return tuple(ids[:cut]), tuple(ids[cut:])


def test_the_share_below_the_income_line_gives_back_no_hidden_band(village_size_store
                                                                   ) -> None:
    """The households below the income line are those of the income bands below it: where
    the share below the line is printed, the bands below it (and those above) are all shown
    or two or more hidden; one hidden band would be the share less the shown ones (205 of the
    sample province's villages printed a "<5" band so before the pattern tied the two)."""
    from abcresearch.reports import estimates

    report = AreaReport.load(VILLAGES[0], ROUND, store=village_size_store)
    pattern = disclosure.pattern_for(report)
    below, above = _income_bands()
    hh = report.analysis.households
    cats = estimates.household_categories(
        hh, report.analysis.scheme, [pattern.measures[m] for m in ("poverty", "income_bin")],
        estimates.poverty_line_value(ROUND), disclosure.publication_rules().income_bins)
    # the identity the pattern rests on, household by household
    known = cats["poverty"] != estimates.NA
    assert ((cats["poverty"] == "below") == cats["income_bin"].isin(below))[known].all()
    assert (known == (cats["income_bin"] != estimates.NA)).all()  # no income: neither
    shown = tied = 0
    for area in sorted(pattern.n):
        if not pattern.publishable(area) or pattern.share_hidden(area, BELOW_LINE, WITH_INCOME):
            continue
        shown += 1
        for bands in (below, above):
            hidden = [b for b in bands if pattern.hidden("income_bin", area, b)]
            assert len(hidden) != 1, (area, hidden)
            tied += len(hidden) >= 2 and any(pattern.status.get(("income_bin", area, b))
                                             == "primary" for b in hidden)
    assert shown >= 5  # most areas still print the share
    assert tied >= 1  # and a small band beside it has its complement


def test_a_planted_income_band_leak_is_found(village_size_store) -> None:
    """Print a village's hidden income band below the line, and its households below the line
    as a count: the attack, which knows the households below the line are those of the bands
    below it, recovers the other hidden band (the full ledger alone recovers nothing)."""
    reports = _reports(village_size_store)
    pattern = disclosure.pattern_for(reports[0])
    below, _above = _income_bands()
    entries = _ledger(reports)
    for area in VILLAGES:
        if pattern.share_hidden(area, BELOW_LINE, WITH_INCOME):
            continue
        hidden = [b for b in below if pattern.hidden("income_bin", area, b)]
        if len(hidden) >= 2 and any(pattern.status.get(("income_bin", area, b)) == "primary"
                                    for b in hidden):
            break
    else:
        raise AssertionError("a village of the store prints its share below the line beside "
                             "a small band below it")
    small = next(b for b in hidden if pattern.status.get(("income_bin", area, b)) == "primary")
    other = next(b for b in hidden if b != small)
    count = pattern.count("income_bin", area, other)
    target = disclosure.Published("target", "count", area, (("income_bin", small),),
                                  text=pattern.marker("income_bin", area, small) or "")
    clean = _attack(reports, [*entries, target])
    assert clean.inconsistent == [] and clean.recovered == [], clean.recovered[:5]
    poor = pattern.count("poverty", area, "below")
    leak = [disclosure.Published("planted", "count", area, (("income_bin", other),),
                                 text=str(count), value=float(count), bounds=(count, count)),
            disclosure.Published("planted", "count", area, BELOW_LINE, text=str(poor),
                                 value=float(poor), bounds=(poor, poor))]
    found = _attack(reports, [*entries, target, *leak])
    assert found.inconsistent == []
    assert any(r.area == area and r.cells == (("income_bin", small),)
               for r in found.recovered), found.recovered[:5]


def test_without_secondary_suppression_the_attack_finds_leaks(small_store, monkeypatch
                                                               ) -> None:
    """The leaky variant: primary suppression alone, as on main before this change."""
    monkeypatch.setattr(disclosure, "SECONDARY_SUPPRESSION", False)
    leaky = _reports(small_store)
    found = _attack(leaky, [*_ledger(leaky), *_item_targets(leaky)])
    assert found.inconsistent == []
    assert found.recovered, "primary suppression alone must leak"
    # some leaks need another report: differencing villages against their tambon or amphoe
    areas = {r.area for r in found.recovered}
    assert any(len(a) == 8 for a in areas)
    # the items' shares too (the "what to do" page hid them by their own counts alone before
    # they were on the round's pattern): the tiny village's, from its tambon and the others
    assert any(r.cells[0][0].startswith("item:") for r in found.recovered)


def test_tiny_village_report_hides_every_household_figure(reports) -> None:
    tiny = next(r for r in reports if r.area.code == TINY)
    findings = tiny.results["key_findings"].findings
    assert findings == (tiny.t("find.too_few"),)
    for res in tiny.results.values():
        for e in res.published:
            # a zero count of stored rows that are not scored households (no weight, rejected
            # at ingest) says nothing about the village's households: zeros may be shown
            about_rows = e.kind == "count" and e.value == 0 and all(
                m in ("unweighted", "rejected") for m, _ in e.cells)
            if e.kind in ("count", "weighted", "share", "mean", "intensity", "contribution",
                          "other") and e.area == TINY and not about_rows:
                assert e.hidden, e
    assert tiny.results["write_summary"].summary["m0"] is None
    assert tiny.results["write_summary"].summary["share_level1"] is None


# ------------------------------------------------------------------ everything is in the ledger

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> list[str]:
    return [m.group() for m in _NUMBER.finditer(text)]


def _allowed(report: AreaReport) -> set[str]:
    """Numbers that are not about households: years, codes, village numbers, rules."""
    from abcresearch import __version__
    from abcresearch.scoring.grades import load_grade_rules

    be = report.survey_round
    out = {str(be), str(be - 543), str(report.threshold), "95", "100", "0", "1", "2", "3",
           "4", "5", "6", "7", __version__, str(len(report.capitals)),
           str(report.analysis.scheme.scheme_version)}
    out |= {report.area.code, *report.area.code}
    out |= set(_numbers(report.fingerprint()))  # provenance in the methods note
    from abcresearch.software import software_label

    out |= set(_numbers(software_label()))  # the code's hash on the same line
    from abcresearch.params import rules_fingerprint

    out |= set(_numbers(rules_fingerprint(report.analysis.scheme.path)))  # and the rules'
    out.add(rules_fingerprint(report.analysis.scheme.path))  # (the summary's, whole)
    for code in report.households["village_code"].unique():
        out.add(str(int(code[-2:])))
        out.add(str(code))
    rules = load_grade_rules()
    for text in re.findall(r"[\d.]+", repr(rules)):
        out.add(text)
        try:
            v = float(text)
            out |= {f"{v:g}", f"{100 * v:.0f}", f"{v:.0f}", f"{v:.1f}", f"{v:.2f}"}
        except ValueError:
            pass
    return out


def _explained(token: str, report: AreaReport, ledger_texts: set[str],
               ledger_values: list[float]) -> bool:
    if token in ledger_texts or token in _allowed(report) or token.replace(",", "") in \
            ledger_texts:
        return True
    try:
        v = float(token.replace(",", ""))
    except ValueError:
        return False
    digits = len(token.split(".")[1]) if "." in token else 0
    # a coarser rounding of a published number says no more than it
    return any(abs(round(x, digits) - v) < 1e-9 or abs(round(100 * x, digits) - v) < 1e-9
               for x in ledger_values)


def test_every_published_number_went_through_the_step(reports) -> None:
    """Every number in every table, sentence and summary figure is a ledger entry's text (or a
    coarser rounding of one), or not about households (years, codes, rules)."""
    from abcresearch.reports.render import TABLE_MIME

    unexplained = []
    for report in reports:
        ledger = [e for res in report.results.values() for e in res.published]
        texts = {t for e in ledger for t in e.texts()}
        values = [e.value for e in ledger if e.value is not None]
        for name, res in report.results.items():
            pieces = [res.text]
            for b in res.bundles():
                if TABLE_MIME in b:
                    spec = b[TABLE_MIME]
                    pieces += [str(c) for row in spec["rows"] for c in row if c is not None]
                    pieces += [spec.get("caption") or "", spec.get("notes") or ""]
            for p in res.parts:
                data = getattr(p, "data", None)
                if isinstance(data, pd.DataFrame):
                    pieces += [f"{100 * v:.0f}" for v in data.to_numpy().ravel()
                               if isinstance(v, float) and np.isfinite(v) and v <= 1]
            if name == "write_summary":
                pieces += [str(v) for k, v in res.summary.items()
                           if isinstance(v, int | float) and not isinstance(v, bool)
                           and k not in ("villages",)]
            for piece in pieces:
                for token in _numbers(piece):
                    if not _explained(token, report, texts, values):
                        at = piece.find(token)
                        unexplained.append((report.area.code, name, token,
                                            piece[max(0, at - 80):at + 40]))
    assert unexplained == [], unexplained[:10]


def test_a_reason_does_not_print_a_community_capital_the_pattern_hides(reports) -> None:
    """The grade reasons and lift lines cite the households' community capital, the mean of
    three capital means: where the pattern hides one of them (beside the tiny village) it is
    masked, since with the other two printed it would give the hidden mean back."""
    from abcresearch.labels import HalfUp, HalfUpBelow
    from abcresearch.reports.sections.readiness import hidden_indicators
    from abcresearch.scoring.grade_rules import load_grade_rules

    rules = load_grade_rules()
    checked = 0
    for report in reports:
        pub = disclosure.Publisher(report, "test")
        for _, row in report.children.iterrows():
            code = str(row["code"])
            if "community_capital" not in hidden_indicators(pub, code, report.capitals, rules):
                continue
            value = row.get("community_capital")
            if value is None or pd.isna(value):
                continue
            # as any template could write it: half up, or short of a threshold (HalfUpBelow)
            x = float(value)
            shapes = [HalfUp(x), *(HalfUpBelow(x, t) for t in (20.0, 25.0) if x < t)]
            printed = {f"เฉลี่ย {format(v, f)} คะแนน" for v in shapes for f in (".0f", ".1f")}
            for name in ("villages", "summary_page", "key_findings", "readiness"):
                text = report.results[name].text
                assert not [p for p in printed if p in text], (report.area.code, name, code)
            checked += 1
    assert checked, "the store has an area whose community capital the pattern hides"


@pytest.mark.parametrize("value", [24.96, 22.45, 22.5, 30.0])
def test_a_masked_community_capital_is_masked_however_it_is_written(value) -> None:
    """The masking searched the value as Python formats it (22.45 is "22.4", 24.96 "25"): a
    reason written half up ("22.5") or short of its threshold ("24.96 ... below 25") kept the
    hidden value and lost the threshold instead (a review). The value after a reason's prefix
    is masked whatever its digits, and a lift line's as its template writes it."""
    from abcresearch.reports.sections.readiness import mask_figures
    from abcresearch.scoring.grade_rules import apply_rules, load_grade_rules
    from abcresearch.scoring.readiness import lift_conditions

    rules = load_grade_rules()
    row = pd.Series({"share_level1": 0.3, "m0": 0.2, "community_capital": value,
                     "org_strength": 15.0, "process_step": 3.0, "master_plan": 1.0,
                     "forums_year": 4.0, "grade": "C"})
    reason = apply_rules(pd.DataFrame([row.drop("grade")]), rules).iloc[0]
    hidden = frozenset({"community_capital"})
    for lang in ("th", "en"):
        text = reason[f"reason_{lang}"]
        masked = mask_figures(text, row, hidden, rules, "×")
        if value < 25:  # the condition that holds names the value and the threshold
            assert "×" in masked and "25" in masked, masked
        assert not re.search(r"×[.,]?\d|\d[.,]?×", masked), masked  # the whole number masked
        assert not re.search(r"(?<![\d.])(24\.96|22\.45|22\.5|22\.4|30\.0)(?!\d)", masked), masked
    for _, lift in lift_conditions(row, rules).iterrows():
        if lift["indicator"] != "community_capital":
            continue
        for lang in ("th", "en"):
            masked = mask_figures(lift[f"text_{lang}"], row, hidden, rules, "×",
                                  indicator="community_capital")
            assert "×" in masked and "25" in masked, masked
            assert not re.search(r"(?<![\d.])(24\.96|22\.45|22\.5|22\.4)(?!\d)", masked)
            assert not re.search(r"×[.,]?\d|\d[.,]?×", masked), masked


# ------------------------------------------------------------------ a round that samples villages
@pytest.fixture(scope="module")
def sampled_reports(tmp_path_factory) -> list[AreaReport]:
    """Wave 1 of amphoe Khanom (8015): 4 of its 16 villages sampled, 20 households each; every
    village, tambon and amphoe report with households, every section called."""
    from fixtures.test_key import ingest_with_test_key

    from abcresearch.synth.generate import synthesize

    export = tmp_path_factory.mktemp("sampled_export") / "2550"
    synthesize(province="80", survey_round=2550, seed=7, out=export, amphoe="8015", wave=1,
               households_per_village=20)
    shutil.rmtree(export / "_truth", ignore_errors=True)
    store = tmp_path_factory.mktemp("sampled_store")
    ingest_with_test_key(export, 2550, store)
    from abcresearch.store import load

    villages = sorted(load(2550, store=store, columns=["village_code"])["village_code"]
                      .astype(str).unique())
    codes = [*villages, *sorted({v[:6] for v in villages}), "8015"]
    out = []
    for code in codes:
        report = AreaReport.load(code, 2550, store=store)
        for section in SECTIONS:
            getattr(report, section)()
        out.append(report)
    return out


def test_nothing_hidden_can_be_recovered_in_a_round_that_samples_villages(
        sampled_reports) -> None:
    """Its counts are calibrated to the frame (a village's to its own households, a tambon's
    and the amphoe's to theirs): the attacker, who knows the frame's counts and the weights,
    uses them as published; every published weighted count agrees with that model."""
    first = sampled_reports[0]
    a = first.analysis
    assert any(r.calibrated for r in sampled_reports)
    known = a.areas.set_index("area_code")["households_in_surveyed_strata"].to_dict()
    extra = disclosure.extra_counts(2550, first.store, a.households)
    found = disclosure_audit.audit(_ledger(sampled_reports), a.households, a.scheme, 2550,
                                   first.threshold, extra, known_households=known)
    assert found.inconsistent == [], found.inconsistent[:5]
    assert found.recovered == [], found.recovered[:5]
    assert found.targets > 0
    # without the frame's counts, the calibrated tables do not fit the attacker's model
    plain = disclosure_audit.audit(_ledger(sampled_reports), a.households, a.scheme, 2550,
                                   first.threshold, extra)
    assert plain.inconsistent
