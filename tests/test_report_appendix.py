"""The stand-alone Thai methods appendix: every rule it states comes from params/."""

from __future__ import annotations

import re

import pytest

from abcresearch.errors import ParamsError
from abcresearch.reports.context import MethodsContext
from abcresearch.reports.sections import appendix

SECTIONS = ("design_and_weights", "score_bands", "overall_level", "grade_rules",
            "org_strength", "capital_mapping", "defaults_status")


@pytest.fixture(scope="module")
def methods() -> MethodsContext:
    return MethodsContext.load()


@pytest.fixture(scope="module")
def results(methods) -> dict:
    return {name: getattr(appendix, name)(methods) for name in SECTIONS}


def test_every_part_is_thai_and_has_no_code_speak(results) -> None:
    for name, res in results.items():
        frames = [res.to_frame(i) for i in range(len(res.tables))]
        text = res.text + "".join(str(c) for f in frames for c in [*f.columns,
                                                                     *f.to_numpy().ravel()])
        assert re.search("[\u0e00-\u0e7f]", text), name
        # no English code-speak or unfilled templates in the Thai appendix
        for bad in ("->", "none ->", "clipped", "reversed", "{", "}", "appendix."):
            assert bad not in text, (name, bad)


def test_score_bands_and_overall_rule_follow_the_scheme(methods, results) -> None:
    table = results["score_bands"].to_frame(0)
    bands = methods.scheme.capitals[0].bands
    assert [float(x) for x in table.iloc[:, -3]] == [float(b[1]) for b in bands]
    rules = methods.scheme.overall["rules"]
    lines = [ln for ln in results["overall_level"].text.splitlines() if re.match(r"\d+\. ", ln)]
    assert len(lines) == len(rules)
    assert str(methods.scheme.overall["min_capitals_scored"]) in results["overall_level"].text


def test_grade_rules_give_every_rule_and_its_reason(methods, results) -> None:
    table = results["grade_rules"].to_frame(0)
    assert len(table) == len(methods.grades.rules)
    for (_, row), rule in zip(table.iterrows(), methods.grades.rules, strict=True):
        assert row.iloc[2] == rule["why"]["th"]
        for c in rule.get("all", rule.get("any", [])):
            assert f"{float(c['value']):g}" in row.iloc[1]


def test_org_strength_weights_add_up_to_one(results) -> None:
    table = results["org_strength"].to_frame(0)
    assert sum(float(w) for w in table.iloc[:, 1]) == pytest.approx(1.0)


def test_org_strength_says_a_tambons_ratios_rest_on_villages_with_both_figures(
        results) -> None:
    """A tambon pools groups and households (members and population) over the villages with
    both figures: the appendix says so, and where the ranking counts those left out."""
    notes = results["org_strength"].tables[0].notes
    assert "จากผลรวมของหมู่บ้านที่มีตัวเลขที่ใช้ได้ครบทั้งสองตัว" in notes
    assert "หมู่บ้านที่ขาดตัวใดตัวหนึ่งจะไม่นับ" in notes


def test_mapping_covers_the_seven_capitals(methods, results) -> None:
    pc = appendix.load_programme_capitals()
    mapped = {c for p in pc.programme for c in p["capitals"]} | set(pc.added)
    assert mapped == set(methods.scheme.capital_ids)
    assert len(results["capital_mapping"].to_frame(0)) == 4


def test_defaults_status_lists_every_unreviewed_file(results) -> None:
    table = results["defaults_status"].to_frame(0)
    files = set(table.iloc[:, 0])
    assert {"scoring.yaml", "grades.yaml", "publication.yaml", "programme_capitals.yaml"} <= files
    assert (table.iloc[:, 2] == "ยังไม่ทบทวน").sum() >= 4


@pytest.mark.parametrize("lang", ["th", "en"])
def test_defaults_status_gives_each_source_in_the_reports_language(lang) -> None:
    from abcresearch.params import read_yaml
    from abcresearch.paths import params_dir

    table = appendix.defaults_status(MethodsContext.load(lang=lang)).to_frame(0)
    sources = dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))
    for name, text in sources.items():
        given = read_yaml(params_dir() / name)["source"]
        # every shipped file words its source in both languages; the table shows the report's
        assert isinstance(given, dict) and set(given) == {"th", "en"}, name
        assert text == " ".join(str(given[lang]).split()), name
        if lang == "th":  # a Thai reader is not handed an English sentence
            assert len(re.findall("[\u0e00-\u0e7f]", text)) > len(text) / 4, name


def test_a_source_given_as_one_text_is_shown_in_every_language(tmp_path, monkeypatch) -> None:
    import shutil

    from abcresearch.paths import params_dir

    folder = tmp_path / "params"
    shutil.copytree(params_dir(), folder)
    path = folder / "change.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("source:")
    end = text.index("\n\n", start)
    path.write_text(text[:start] + "source: Written by the team, 2569." + text[end:],
                    encoding="utf-8")
    monkeypatch.setenv("ABCRESEARCH_PARAMS", str(folder))
    table = appendix.defaults_status(MethodsContext.load(lang="th")).to_frame(0)
    sources = dict(zip(table.iloc[:, 0], table.iloc[:, 1], strict=True))
    assert sources["change.yaml"] == "Written by the team, 2569."


def test_sensitivity_table_counts_what_changes(sample_store) -> None:
    from abcresearch.reports.methods import MethodsReport

    report = MethodsReport.load()
    res = report.sensitivity(2549, store=sample_store)
    raw, shown = res.estimates, res.to_frame(0)
    assert len(shown) == len(raw) and set(raw["level"]) == {"village", "tambon"}
    # every threshold moved down and up, then k at the nearest other rules (2 and 4 of the 7
    # equally weighted capitals; k = 1/3 is 3 of 7) for villages and tambons
    k_rows = raw[raw["parameter"] == "af_k"]
    assert sorted(k_rows["new_value"].unique()) == pytest.approx([2 / 7, 4 / 7])
    assert (shown.iloc[:, 3].to_numpy() == raw["grades_changed"].to_numpy()).all()
    assert raw["grades_changed"].le(raw["n_areas"]).all()
    assert "k = 29% (ขาดแคลนตั้งแต่ 2 จาก 7 ด้าน)" in shown.iloc[:, 1].tolist()
    assert "k = 57% (ขาดแคลนตั้งแต่ 4 จาก 7 ด้าน)" in shown.iloc[:, 1].tolist()
    # the k in use is 3 of 7 (the fewest capitals reaching 1/3), said so in the text
    text = " ".join(p.text for p in res.parts if isinstance(getattr(p, "text", None), str))
    assert "k = 33% (ขาดแคลนตั้งแต่ 3 จาก 7 ด้าน)" in text, text[:600]
    # each k changes who is poor, so the rows say something: at k = 4/7 fewer households are
    # poor and the villages' need classes (M0 >= 0.38 is one of its rules) move
    assert k_rows["need_changed"].sum() > 0


def test_sensitivity_table_is_made_once_per_round_and_kept_with_its_analysis(
        sample_store, tmp_path, monkeypatch) -> None:
    import dataclasses
    import shutil

    import pandas as pd

    import abcresearch.analysis.round as round_mod
    import abcresearch.scoring.sensitivity as sensitivity_mod
    from abcresearch.analysis.round import round_analysis, round_cached_table
    from abcresearch.scoring.scheme_file import load_scheme

    store = tmp_path / "store"
    shutil.copytree(sample_store, store)
    for derived in list(store.glob("**/derived")):  # no analysis cache yet
        shutil.rmtree(derived)
    calls = []

    def counted() -> pd.DataFrame:
        calls.append(1)
        return pd.DataFrame({"a": [1, 2]})

    # without the round's analysis cache: made every time, nothing written into the store
    round_cached_table(2549, "probe", counted, store)
    round_cached_table(2549, "probe", counted, store)
    assert len(calls) == 2 and not list(store.glob("**/probe*.parquet"))

    fresh = appendix.round_sensitivity(2549, store)
    cache = round_analysis(2549, store).cache_dir  # the analysis cache, built now
    made = appendix.round_sensitivity(2549, store)  # made again, and kept
    [kept] = cache.glob("sensitivity-*.parquet")
    pd.testing.assert_frame_equal(made, fresh)

    def refuse(*args, **kwargs):
        raise AssertionError("the kept table was not used")

    monkeypatch.setattr(sensitivity_mod, "grade_sensitivity", refuse)
    pd.testing.assert_frame_equal(appendix.round_sensitivity(2549, store), fresh)
    # another shift is another table, however close
    with pytest.raises(AssertionError, match="not used"):
        appendix.round_sensitivity(2549, store, shift=0.1000001)
    # a scheme changed in memory is never served (nor given) the file scheme's table
    other_k = dataclasses.replace(load_scheme(), af_k=0.6)
    with pytest.raises(AssertionError, match="not used"):
        appendix.round_sensitivity(2549, store, scheme=other_k)
    # a change of abcresearch's code is another table
    monkeypatch.setattr(round_mod, "software_fingerprint", lambda: "changed code")
    with pytest.raises(AssertionError, match="not used"):
        appendix.round_sensitivity(2549, store)
    monkeypatch.undo()
    mine = appendix.round_sensitivity(2549, store, scheme=other_k)
    assert set(mine.loc[mine["parameter"] == "af_k", "value"]) == {0.6}
    pd.testing.assert_frame_equal(appendix.round_sensitivity(2549, store), fresh)
    assert list(cache.glob("sensitivity-*.parquet")) == [kept]
    # a kept file damaged by hand, or with other columns, is made again, and replaced
    for damage in (b"not parquet", None):
        if damage is None:
            fresh.drop(columns="level").to_parquet(kept)
        else:
            kept.write_bytes(damage)
        pd.testing.assert_frame_equal(appendix.round_sensitivity(2549, store), fresh)
        pd.testing.assert_frame_equal(pd.read_parquet(kept), fresh)
    # a store it cannot write to: the table all the same, nothing kept
    kept.unlink()
    monkeypatch.setattr("abcresearch.atomic.atomic_write_bytes",
                        lambda *a, **k: (_ for _ in ()).throw(PermissionError("read-only")))
    pd.testing.assert_frame_equal(appendix.round_sensitivity(2549, store), fresh)
    assert not kept.exists()
    with pytest.raises(ValueError, match="plain file name"):
        round_cached_table(2549, "../x", counted, store)


@pytest.mark.parametrize("lang", ["th", "en"])
def test_methods_say_what_sets_the_group_and_what_sets_the_need_class(lang) -> None:
    """The sentence is built from the rules in force: it once named the level-1 share and M0
    as deciding the group after the rules had moved them to the need class."""
    from abcresearch.reports.sections import methods as methods_section

    report = MethodsContext.load(lang=lang)
    [sentence] = [p for p in methods_section.scoring_scheme(report).text.split("\n\n")
                  if "A/B/C" in p]
    split = sentence.index(" ส่วน" if lang == "th" else "; every group")
    grade_part, need_part = sentence[:split], sentence[split:]
    rules = report.grades.thresholds()
    grade_ind = {r["indicator"] for r in rules if r["rule_set"] == "grade"}
    need_ind = {r["indicator"] for r in rules if r["rule_set"] == "need"}
    assert grade_ind and need_ind and not grade_ind & need_ind

    def named(name: str) -> str:
        for key in (f"appendix.ind_text.{name}", f"appendix.ind.{name}"):
            try:
                return report.t(key)
            except ParamsError:
                continue
        return name

    for name in grade_ind:
        assert named(name) in grade_part
    for name in need_ind:
        assert named(name) in need_part and named(name) not in grade_part
    assert "(1 = " not in sentence  # a table's coding note is not running text


@pytest.mark.parametrize("lang", ["th", "en"])
def test_scoring_rules_name_choices_by_the_forms_labels(lang) -> None:
    # the scoring table said "none -> 0, primary -> 0.3" in the Thai appendix: the form's codes
    import pandas as pd

    from abcresearch.reports.sections.methods import scoring_scheme
    from abcresearch.survey.instrument import choices

    context = MethodsContext.load(lang=lang)
    result = scoring_scheme(context)
    # one table per capital, in the scheme's order
    tables = [result.to_frame(i) for i in range(len(context.scheme.capitals))]
    assert [tb.iloc[:, 0].str[:3].unique().tolist() for tb in tables] == [
        [c.items[0].item[:3]] for c in context.scheme.capitals]
    table = pd.concat(tables)
    described = {item: words.replace("\u00a0", " ") for item, words in
                 zip(table.iloc[:, 0], table.iloc[:, -1], strict=True)}
    kinds = set(table.iloc[:, 1])
    assert len(described) == len(context.scheme.items)
    for rule in context.scheme.items:
        words = described[rule.item]
        assert "->" not in words and "{" not in words, (rule.item, words)
        if rule.kind == "map":
            labels = choices(rule.list_name).set_index("name")[f"label_{lang}"]
            for code, score in rule.options["map"].items():
                assert f"{labels[str(code)]} = {score:g}" in words, (rule.item, code)
    if lang == "th":
        assert not kinds & {"map", "yes", "linear", "log_linear"}  # kinds in Thai too
        assert all(re.search("[\u0e00-\u0e7f]", w) for w in described.values())


def test_a_log_linear_rule_says_its_bounds_are_values_on_a_log_scale() -> None:
    # the bounds are income in baht; the score is linear in log(1 + income) between them (it
    # read "log(1 + x) from 10,000 to 120,000", as if the log were 10,000)
    from functools import partial

    from abcresearch.labels import label
    from abcresearch.reports.sections.methods import rule_in_words
    from abcresearch.scoring.scheme import ItemRule

    rule = ItemRule(item="fin_income_year", capital="financial", kind="log_linear", weight=1.0,
                    options={"lo": 10000.0, "hi": 120000.0, "per": "hh_size"})
    words = rule_in_words(rule, partial(label, lang="en"), "en")
    assert words.replace("\u00a0", " ").startswith(
        "fin_income_year ÷ hh_size from 10,000 (= 0) to 120,000 (= 1)")
    assert "log scale" in words
    # a code the form's list lacks is written as it is
    odd = ItemRule(item="hum_edu_head", capital="human", kind="map", weight=1.0,
                   options={"map": {"primary": 0.3, "madrasa": 0.4}}, list_name="edu")
    assert rule_in_words(odd, partial(label, lang="th"), "th") == (
        "ประถมศึกษา\u00a0=\u00a00.3, madrasa\u00a0=\u00a00.4")  # "= 0.3" never alone on a line


def test_the_appendix_says_what_need_and_the_support_bands_are(methods, results) -> None:
    # the reports say "ความจำเป็นสูง" and "แถบ 1"; the appendix defined neither
    res = results["grade_rules"]
    need, bands = res.to_frame(1), res.to_frame(2)
    gr = methods.grades
    assert list(need.iloc[:, 0]) == [gr.need_labels[r["grade"]]["th"] for r in gr.need_rules]
    for rule in gr.need_rules:
        for c in rule.get("any", rule.get("all", [])):
            assert f"{float(c['value']):g}" in " ".join(need.iloc[:, 1])
    assert list(bands.iloc[:, 0]) == list(range(1, len(gr.need_order) * len(gr.grade_order) + 1))
    assert (list(zip(bands.iloc[:, 1], bands.iloc[:, 2], strict=True))
            == [(gr.need_labels[n]["th"], gr.grade_labels[g]["th"]) for n, g in gr.bands])
    assert gr.priority_why["th"] in res.text and gr.need_why["th"] in res.text


def test_every_table_of_the_appendix_has_its_own_caption(results) -> None:
    # a new label for the support bands' table took the key of the score bands' heading and
    # caption: two tables and a heading read "แถบสนับสนุน"
    from abcresearch.labels import label

    captions = [table.caption for res in results.values() for table in res.tables]
    assert len(captions) == len(set(captions))
    assert label("appendix.bands") in [t.caption for t in results["score_bands"].tables]
    assert label("appendix.support_bands") in [t.caption for t in results["grade_rules"].tables]
    assert label("appendix.bands") in results["score_bands"].text  # its heading


def test_the_codebook_names_choices_as_the_form_words_them() -> None:
    # the instrument's table showed choice lists by their names ("yesno", "freq", "edu")
    from abcresearch.reports.sections.methods import instrument
    from abcresearch.survey.instrument import choices

    context = MethodsContext.load()
    first = instrument(context).to_frame(0)  # the first capital's items
    values = dict(zip(first.iloc[:, 0], first.iloc[:, -1], strict=True))
    assert values["hum_edu_head"] == " · ".join(choices("edu")["label_th"])
    assert values["hum_health_check"] == "ใช่ · ไม่ใช่"
    assert "yesno" not in values.values() and "edu" not in values.values()


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_codebook_says_each_question_type_in_words(lang) -> None:
    """The methods appendix printed "select_one", "select_multiple", "integer" (XLSForm codes)
    and an unexplained "If not asked" column (a reader review): the types are in words and a
    sentence says what the column is."""
    from abcresearch.labels import label
    from abcresearch.reports.methods import MethodsReport

    rep = MethodsReport.load(lang=lang)
    inst = rep.instrument()
    cells = {str(c) for i in range(len(inst.tables)) for c in inst.to_frame(i).to_numpy().ravel()}
    for code in ("select_one", "select_multiple", "integer", "decimal"):
        assert code not in cells, code
        assert label(f"methods.type.{code}", lang) in cells, code
    assert label("methods.not_relevant_note", lang) in rep.scoring_scheme().text


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_codebook_lists_the_household_items_of_no_capital(lang) -> None:
    """The rules divide by the household's size (hh_size), which the codebook did not list (it
    carries no capital): a table of the household's other items lists it with the head's age
    and sex, and leaves out what names or identifies anyone and what the form records itself."""
    from abcresearch.labels import label
    from abcresearch.reports.methods import MethodsReport

    inst = MethodsReport.load(lang=lang).instrument()
    captions = [table.caption for table in inst.tables]
    assert label("methods.household_other", lang) in captions
    other = inst.to_frame(captions.index(label("methods.household_other", lang)))
    names = list(other.iloc[:, 0])
    assert {"hh_size", "head_age", "head_sex", "village_code"} <= set(names)
    assert not {"head_name", "head_pid", "phone", "start", "end"} & set(names)
    sizes = other[other.iloc[:, 0] == "hh_size"]
    assert sizes.iloc[0, 2] == label("methods.type.integer", lang)
    # a text or a date item has no range and no choices: nothing, not "nan" (a rendered page)
    assert "nan" not in {str(v) for v in other.iloc[:, 3]}
    assert other[other.iloc[:, 0] == "interview_date"].iloc[0, 3] == ""
