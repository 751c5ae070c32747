"""The reviewer's wording over every generated sentence and table cell of a tambon report."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest

from abcresearch.reports.area import AreaReport
from abcresearch.reports.disclosure import publication_rules
from abcresearch.reports.render import TABLE_MIME

SECTIONS = ("cover", "summary_page", "key_findings", "capital_profile", "levels_and_tracks",
            "deprivation", "villages", "organisations", "income", "data_quality", "methods_note")
BANNED = ("ทุนที่ทำให้ยากจนมากที่สุด", "ระดับ A", "ระดับ B", "ระดับ C", "ต้องเร่งรัดพัฒนา",
          "::", "ความเป็นชุมชน", "จำนวนตำบล", "พื้นที่ย่อย")  # (say which areas: ตำบล, หมู่บ้าน)


def _said(report: AreaReport, sections: tuple[str, ...]) -> list[str]:
    """Every sentence and table cell the sections print: texts, captions, notes, cells."""
    out = []
    for name in sections:
        res = getattr(report, name)()
        out.append(res.text)
        for b in res.bundles():
            if TABLE_MIME in b:
                spec = b[TABLE_MIME]
                out += [spec.get("caption") or "", spec.get("notes") or "", *spec["columns"]]
                out += [c for row in spec["rows"] for c in row if isinstance(c, str)]
    return out


@pytest.fixture(scope="module")
def texts(sample_store) -> list[str]:
    return _said(AreaReport.load("801501", 2549, store=sample_store), SECTIONS)


def test_no_banned_wording(texts) -> None:
    found = [(w, s[:80]) for s in texts for w in BANNED if w in s]
    assert found == []


def test_big_numbers_have_thousands_separators(texts) -> None:
    # 5+ digit runs without a separator are codes or years only (years have 4 digits); a
    # hexadecimal data fingerprint ("0116352b8035") is not a number, nor the code hash of the
    # software label ("0.1.0+64818135": its eight hex digits were all decimal once)
    bare = [m.group() for s in texts
            for m in re.finditer(r"(?<![\d,.a-f+])\d{5,}(?![\d,a-f])", s)]
    assert bare == [], bare[:5]


def test_money_in_whole_baht(texts) -> None:
    assert not [s for s in texts if re.search(r"\d{1,3}(,\d{3})+\.\d", s)]


def test_figures_are_numbered_and_villages_in_numeric_order(sample_store) -> None:
    report = AreaReport.load("801501", 2549, store=sample_store)
    lv = report.levels_and_tracks()
    figs = [p for p in lv.parts if getattr(p, "svg", None) is not None]
    assert figs and all(f.caption for f in figs)
    names = lv.to_frame(0).iloc[:-1, 0].tolist()  # the last row is the whole area
    numbers = [int(re.search(r"หมู่ที่ (\d+)", n).group(1)) for n in names]
    assert numbers == sorted(numbers)


def test_level_counts_add_up_to_the_weighted_household_total(sample_store) -> None:
    """Unrounded, unsuppressed level counts (missing level included) of a tambon add up to its
    weighted households, which is the households of its surveyed villages' frame."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    weighted = report.levels_and_tracks().estimates
    total = weighted.loc["801501"].sum()
    assert total == pytest.approx(report.households["weight"].sum())
    by_village = weighted.drop(index="801501").sum(axis=1)
    per_frame = report.households.groupby("village_code")["weight"].sum()
    assert by_village.to_numpy() == pytest.approx(per_frame.loc[by_village.index].to_numpy())
    frame = report.village_forms["vil_households"].astype(float).sum()
    assert total == pytest.approx(frame, rel=0.01)


def test_notes_explain_only_what_their_table_has(sample_store) -> None:
    """A reader's walk-through: the tracks table's note explained "สำรวจ" and "ร้อยละระดับ 1"
    columns it does not have; the agency legend read "ส.ป.ก. = สำนักงาน...จังหวัด (ส.ป.ก.)";
    the coverage line read "ข้อมูลจาก 4 จาก 4 หมู่บ้าน"."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    specs = {}
    for name in ("levels_and_tracks", "what_to_do", "summary_page"):
        for b in getattr(report, name)().bundles():
            if TABLE_MIME in b:
                specs[b[TABLE_MIME].get("caption") or ""] = b[TABLE_MIME]
    tracks = specs[report.t("tracks.caption")]
    assert "สำรวจ =" not in tracks["notes"] and "ร้อยละระดับ 1" not in tracks["notes"]
    legend = specs[report.t("actions.caption.actions")]["notes"]
    repeated = [m.group() for m in re.finditer(r"(\S+) = [^;]*\(\1\)", legend)]
    assert "=" in legend and not repeated, repeated
    # Thai sentences run on after a space: no Western full stop before the next one
    # ("...หรือเทศบาล. ข้อเสนอกิจกรรม...", a fresh reader's walk-through)
    from abcresearch.reports.render.thai import strip_marks

    flat = strip_marks(legend).replace(" ", "")
    unverified = strip_marks(report.t("actions.unverified")).replace(" ", "")
    assert unverified in flat and "." + unverified not in flat
    assert " จาก " in report.summary_page().text
    assert not re.search(r"ข้อมูลจาก \d+ จาก", report.summary_page().text)


def test_a_village_report_leaves_out_what_only_a_tambon_has(sample_store) -> None:
    """A reader's walk-through of a village report: its cover said "สำรวจ 1 จาก 1 หมู่บ้าน", and
    its readiness section counted the one village in a need x readiness table of 0s and a 1."""
    village = AreaReport.load("80150101", 2549, store=sample_store)
    cover = village.cover().text
    assert "จาก 1 หมู่บ้าน" not in cover and "ครัวเรือนของหมู่บ้าน" in cover
    captions = [b[TABLE_MIME].get("caption") for b in village.readiness().bundles()
                if TABLE_MIME in b]
    cells = village.t("readiness.cells.caption", areas=village.t("readiness.areas.village"))
    assert cells not in captions
    tambon = AreaReport.load("801501", 2549, store=sample_store)
    assert cells in [b[TABLE_MIME].get("caption") for b in tambon.readiness().bundles()
                     if TABLE_MIME in b]


@pytest.mark.parametrize(("lang", "terms"), [
    ("en", ("TAO", "BMN", "NHSO", "MSDHS", "CODI")),
    ("th", ("อบต.", "จปฐ.", "สปสช.", "พม.", "พอช.")),
])
def test_the_abbreviations_of_the_welfare_and_income_pages_are_explained(
        sample_store, lang, terms) -> None:
    """An English reader met "TAO", "BMN" and "NHSO" with no word on what they are (a reader
    review): the methods note explains each abbreviation these pages use."""
    import re

    report = AreaReport.load("801501", 2549, store=sample_store, lang=lang)
    text = "\n".join([report.welfare_fund().text, report.income().text,
                      *(str(c) for r in (report.welfare_fund(), report.income())
                        for i in range(len(r.tables)) for c in r.to_frame(i).to_numpy().ravel()),
                      *(r.tables[i].caption or "" for r in (report.welfare_fund(), report.income())
                        for i in range(len(r.tables)))])
    glossary = report.t("methods.glossary")
    assert glossary in report.methods_note().text
    used = [t for t in terms if re.search(rf"(?<![\w.]){re.escape(t)}", text)]
    assert used, "the pages use none of these abbreviations"
    assert all(f"{t} = " in glossary for t in used), [t for t in used if f"{t} = " not in glossary]


def test_one_report_defines_the_tao_one_way(sample_store) -> None:
    """"อบต. = อบต. or municipality" under the actions and "อบต. = อบต." in the welfare pages
    and the glossary, in one report (a reader review): a municipal officer could not tell
    whether an action led by "อบต." was theirs. The actions' lead is "อบต./เทศบาล"."""
    import re

    report = AreaReport.load("801501", 2549, store=sample_store, lang="th")
    parts = [report.what_to_do(), report.welfare_fund(), report.methods_note()]
    text = "\n".join([*(p.text for p in parts),
                      *(t.notes or "" for p in parts for t in p.tables),
                      *(str(c) for p in parts for i in range(len(p.tables))
                        for c in p.to_frame(i).to_numpy().ravel())])
    defined = set(re.findall(r"(?<![\w/])อบต\. = ([^;·\n]+)", text))
    assert len(defined) == 1, defined
    assert "อบต./เทศบาล" in text


def test_the_poverty_cut_off_explains_how_k_and_the_count_of_capitals_agree(texts) -> None:
    """"ตั้งแต่ 3 จาก 7 ด้าน (เกณฑ์ k = 33%)" read as a contradiction (3 of 7 is 43%): k is
    said to be a share of the capitals' weights, which the count reaches."""
    intro = next(s for s in texts if "ยากจนหลายมิติเมื่อขาดแคลน" in s)
    assert re.search(r"ตั้งแต่ \d+ จาก \d+ ด้าน", intro)
    assert "น้ำหนักของด้านที่ขาดแคลนต้องรวมกันตั้งแต่ k = " in intro and "ของทั้งหมด" in intro
    # and why the count is the fewest that reach k: one fewer falls short (3/7 is 43%, 2/7 29%)
    k, dims = map(int, re.search(r"ตั้งแต่ (\d+) จาก (\d+) ด้าน", intro).groups())
    assert (f"ขาดแคลน {k - 1} ด้านคิดเป็น {round(100 * (k - 1) / dims)}% จึงยังไม่ถึงเกณฑ์ "
            f"ส่วน {k} ด้านคิดเป็น {round(100 * k / dims)}% ถึงเกณฑ์") in intro
    assert "ทุกด้านมีน้ำหนักเท่ากัน" in intro
    # and below what a capital counts as lacking: the one cut-off, the level-1 line (it was
    # "ต่ำกว่าเกณฑ์ของด้านนั้น", defined nowhere; a reader review)
    assert "ถ้าคะแนนทุนด้านใดต่ำกว่า 40 คะแนน (เส้นเดียวกับระดับ 1 ของด้านนั้น) ถือว่า" in intro


def test_the_lacking_cut_off_in_words_follows_the_scheme() -> None:
    from types import SimpleNamespace

    from abcresearch.labels import label
    from abcresearch.reports.sections.deprivation import deprivation_cut_text

    def t(key: str, **kw: object) -> str:
        return label(key, "th", **kw)

    def scheme(cuts: dict[str, float], top: float) -> SimpleNamespace:
        caps = {c: SimpleNamespace(bands=((1, 0, top), (2, top, 70))) for c in cuts}
        return SimpleNamespace(deprivation_cutoffs=cuts, capital_ids=list(cuts),
                               capital=caps.__getitem__)

    assert deprivation_cut_text(t, scheme({"a": 40, "b": 40}, 40)) == \
        "ต่ำกว่า 40 คะแนน (เส้นเดียวกับระดับ 1 ของด้านนั้น)"
    assert deprivation_cut_text(t, scheme({"a": 35, "b": 35}, 40)) == "ต่ำกว่า 35 คะแนน"
    assert deprivation_cut_text(t, scheme({"a": 35, "b": 40}, 40)) == "ต่ำกว่าเกณฑ์ของด้านนั้น"


def test_the_cut_off_count_is_one_reading_of_k() -> None:
    """The count of capitals in words ("3 of 7") and the intro's "one fewer falls short" read
    k and the weights one way (af_cut_count); unequal weights have no count."""
    from types import SimpleNamespace

    import pandas as pd

    from abcresearch.reports.sections.deprivation import af_cut_count

    equal = pd.Series([1 / 7] * 7)
    assert af_cut_count(SimpleNamespace(k=1 / 3, weights=equal)) == 3
    assert af_cut_count(SimpleNamespace(k=3 / 7, weights=equal)) == 3  # exactly 3 of 7
    assert af_cut_count(SimpleNamespace(k=0.43, weights=equal)) == 4
    assert af_cut_count(SimpleNamespace(k=1 / 3, weights=pd.Series([0.5, 0.25, 0.25]))) is None


def test_the_capital_the_poor_lack_most_is_not_left_a_strength(sample_store) -> None:
    """"Furthest above the province: local wisdom" and "the poor lack local wisdom most often"
    read as opposite messages (a reader review): where the capital lacked most is printed above
    the province, the multidimensional-poverty finding says it still needs work."""
    seen = 0
    for code in ("801501", "801502", "801503", "8015"):
        report = AreaReport.load(code, 2549, store=sample_store)
        res = report.key_findings()
        m0 = next((f for f in res.findings if "ขาดแคลนบ่อยที่สุดคือ" in f), None)
        prof = res.estimates
        if m0 is None or "province" not in prof:  # (an amphoe that is its store's province)
            continue
        top = m0.split("ขาดแคลนบ่อยที่สุดคือ")[1].split(" ")[0]
        cap = next((c for c in prof.index if report.capital_label(c) == top), None)
        above = cap is not None and prof.loc[cap, "estimate"] > prof.loc[cap, "province"] and \
            prof.loc[cap, "text"].split(" (")[0] != prof.loc[cap, "province_text"] and \
            prof.loc[cap, "ci_low"] > prof.loc[cap, "province"]  # beyond the margin of error
        assert ("แม้จะสูงกว่าค่าเฉลี่ยจังหวัด" in m0) == above, (code, m0)
        if above and prof.loc[cap, "estimate"] <= prof["estimate"].min():
            assert f"เป็นด้านที่คะแนนต่ำที่สุดของพื้นที่ ({prof.loc[cap, 'text'].split(' (')[0]})" \
                in m0
            # and where it is first called the furthest above the province
            strongest = next((f for f in res.findings if "มากที่สุดคือ" in f
                              and "ค่าเฉลี่ยจังหวัด" in f), "")
            if strongest.split("มากที่สุดคือ")[-1 if not strongest else 1].startswith(top):
                assert f"{report.t('find.strongest.lowest')})" in strongest, strongest
        seen += above
    assert seen, "no report of the sample store has the case"


def test_the_capital_table_says_which_way_is_better(texts) -> None:
    """A reader could not tell from Table 1 (scores 0–100) whether higher is better."""
    assert any(s.startswith("คะแนนยิ่งสูงยิ่งมีทุนด้านนั้นมาก") for s in texts)


def test_support_order_and_average_steps_read_as_an_officer_says_them(sample_store) -> None:
    """A reader review: "แถบที่ 1 จาก 6" (a strip, a zone) is not how an อบต. officer speaks
    of the order of support, and "เฉลี่ยอยู่ที่ขั้นที่ 1.3" names a step 1.3 that does not
    exist (an ordinal "ที่" before a mean)."""
    report = AreaReport.load("801501", 2549, store=sample_store)
    text = "\n".join(_said(report, ("summary_page", "readiness", "cover")))
    assert "ลำดับการสนับสนุน" in text
    assert "แถบ" not in text
    assert not re.search(r"ขั้นที่ \d+\.\d", text), re.findall(r".{30}ขั้นที่ \d+\.\d", text)


def test_the_capital_closest_to_the_province_is_said_to_be_the_lowest_where_it_is(
        sample_store, monkeypatch) -> None:
    """Every capital below the province, "closest to the province: local wisdom (26.9 against
    28.9)" read as good news to a village committee while it was the village's lowest capital
    (a reader review): where the closest is the lowest as printed, the sentence says so."""
    from abcresearch.reports.sections import findings

    report = AreaReport.load("80150201", 2549, store=sample_store)
    real = findings.published_profile

    def every_one_below(*args: object, **kwargs: object) -> Any:
        prof = real(*args, **kwargs).copy()
        # each capital clearly below the province; the lowest score the closest to it
        order = prof["estimate"].rank(method="first")
        prof["province"] = (prof["estimate"] + 4 * order + 6).round(1)
        prof["province_text"] = prof["province"].map(lambda v: f"{v:.1f}")
        return prof

    monkeypatch.setattr(findings, "published_profile", every_one_below)
    res = findings.key_findings(report)
    line = next(f for f in res.findings if "ใกล้ค่าเฉลี่ยจังหวัดที่สุดคือ" in f)
    prof = res.estimates
    lowest = prof["estimate"].idxmin()
    assert line.startswith("ทุกด้านต่ำกว่าค่าเฉลี่ยจังหวัด")
    closest = line.split("ใกล้ค่าเฉลี่ยจังหวัดที่สุดคือ")[1]
    assert closest.startswith(report.capital_label(lowest))
    assert closest.split(")")[0].endswith(report.t("find.strongest.lowest")), line


def test_capitals_clearly_off_the_province_say_by_how_much(sample_store) -> None:
    """"6 capitals above the province beyond the margin of error" beside "no item clearly
    better than the province" read as a contradiction to the provincial committee while the
    scores were 1.3-2.9 of 100 apart: the sentence gives the range of the printed gaps."""
    seen = 0
    for code in ("8015", "801501", "801502", "801503", "80150201", "80150101"):
        report = AreaReport.load(code, 2549, store=sample_store)
        res = report.key_findings()
        prof = res.estimates
        if "province" not in prof:
            continue
        for line in res.findings:
            m = re.search(r"ทุน(?:ทั้ง)? (\d+) ด้านของพื้นที่(ต่ำ|สูง)กว่าค่าเฉลี่ยจังหวัด", line)
            if not m:
                continue
            side = 1 if m.group(2) == "สูง" else -1
            printed = prof["text"].str.split(" (", regex=False).str[0].astype(float)
            gap = (printed - prof["province_text"].astype(float)) * side
            clear = (prof["ci_low"] > prof["province"]) if side > 0 else \
                (prof["ci_high"] < prof["province"])
            gaps = sorted(round(g, 1) for g in gap[clear])
            assert len(gaps) == int(m.group(1)), (code, line)
            # under small_score_gap points every one: said to be small
            small = "_small" if gaps[-1] < publication_rules().small_score_gap else ""
            spread = (report.t(f"find.spread{small}_one", low=f"{gaps[0]:.1f}")
                      if gaps[0] == gaps[-1] else
                      report.t(f"find.spread{small}", low=f"{gaps[0]:.1f}",
                               high=f"{gaps[-1]:.1f}"))
            assert spread in line, (code, line, gaps)
            seen += 1
    assert seen, "no report of the sample store names several capitals off the province"


def test_gaps_from_the_province_under_a_few_points_are_said_to_be_small() -> None:
    """"ทุน 6 ด้าน…สูงกว่าค่าเฉลี่ยจังหวัดเกินความคลาดเคลื่อน (1.2–2.9 คะแนน)" beside "no item
    clearly better" still read as a strength (a provincial committee's review): where every
    printed gap is under ``small_score_gap`` points (params/publication.yaml), the range says
    "เพียงเล็กน้อย"; a gap at or over it keeps the plain range."""
    from types import SimpleNamespace

    from abcresearch.labels import label
    from abcresearch.reports.disclosure import publication_rules
    from abcresearch.reports.sections.findings import _spread

    rules = publication_rules()
    assert rules.small_score_gap == 5

    class Ledger:
        def __init__(self, gap: float) -> None:
            self.rules = SimpleNamespace(small_score_gap=gap)

        def record(self, text: str, *args: object, **kwargs: object) -> SimpleNamespace:
            return SimpleNamespace(text=text)

    def t(key: str, **kw: object) -> str:
        return label(key, "th", **kw)

    def prof(ours: list[str], province: list[str]) -> pd.DataFrame:
        return pd.DataFrame({"text": [f"{x} (1.0–99.0)" for x in ours],
                             "province_text": province}, index=["a", "b"])

    near = prof(["46.3", "50.1"], ["43.4", "48.9"])
    assert _spread(t, Ledger(5), near, ["a", "b"], "8001") == t(
        "find.spread_small", low="1.2", high="2.9")
    assert "เพียงเล็กน้อย" in t("find.spread_small", low="1.2", high="2.9")
    assert _spread(t, Ledger(0), near, ["a", "b"], "8001") == t(
        "find.spread", low="1.2", high="2.9")
    far = prof(["46.3", "59.8"], ["44.1", "48.9"])
    assert _spread(t, Ledger(5), far, ["a", "b"], "8001") == t(
        "find.spread", low="2.2", high="10.9")
    one = prof(["46.3", "51.8"], ["43.4", "48.9"])
    assert _spread(t, Ledger(5), one, ["a", "b"], "8001") == t("find.spread_small_one",
                                                                low="2.9")
