"""The one-page summary: grade, what would lift it, strengths and gaps against the province,
coverage, programme flags and the forum date; one black-and-white page."""

from __future__ import annotations

import re

import pytest

from abcresearch.analysis.status import Coverage
from abcresearch.errors import InputError
from abcresearch.reports.area import AreaReport
from abcresearch.reports.sections import summary_page as S
from abcresearch.reports.sections.programmes import load_programmes


@pytest.fixture(scope="module")
def pages(sample_store, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("summary")
    forums = folder / "forums.csv"
    forums.write_text("area_code,survey_round,forum_date,venue\n"
                      "801501,2549,๑๒/๐๓/๒๕๕๐,ศาลาประชาคม\n"
                      "801501,2548,2006-01-01,\n"
                      "80150102,2549,,\n", encoding="utf-8")
    progs = folder / "programmes.yaml"
    progs.write_text(
        "programmes:\n"
        "  - id: welfare_pilot\n"
        "    name: {th: \"ตำบลนำร่องสวัสดิการ\", en: \"Welfare pilot\"}\n"
        "    source: a synthetic example for the test\n"
        "    expected_size: 55\n"
        "    tambons: [\"801501\"]\n", encoding="utf-8")
    out = {}
    for code in ("801501", "80150101", "80150102"):
        rep = AreaReport.load(code, 2549, store=sample_store)
        rep.summary_page(forums=str(forums), programmes=str(progs))
        out[code] = rep
    return out


def test_one_black_and_white_page(pages) -> None:
    res = pages["801501"].results["summary_page"]
    assert len(res.parts) == 1
    markup = res.parts[0].markup
    assert markup.startswith("#pagebreak(weak: true)") and markup.endswith(
        "#pagebreak(weak: true)")
    assert markup.count("#pagebreak") == 2
    # no colour: every stroke and text is black on white
    assert not re.search(r"rgb\(|luma\(|fill:|red|green|blue", markup)


def _lift(row, level):
    """The steps to the next group, one per thing to do (the plan and step 4 are one)."""
    from abcresearch.scoring.readiness import lift_conditions, merge_met

    return merge_met(lift_conditions(row, None, level=level))


def test_readiness_group_reason_need_and_lift(pages) -> None:
    for rep in pages.values():
        res = rep.results["summary_page"]
        row = rep.grade_row
        text = res.parts[0].markdown
        assert res.details["grade"] == row["grade"]
        # the readiness group in main's words (กลุ่ม A/B/C), never the household word ระดับ
        assert f"ความพร้อมของชุมชน: กลุ่ม {row['grade']} (" in text
        assert "ระดับความเข้มแข็ง" not in text
        # each of its reasons (two or more are listed, not joined by "; ", a reader review)
        reasons = row["reason_th"].split("; ")
        # a group B (the rule "otherwise") is said by what it misses of group A (a review)
        head = "เหตุผล (ยังไม่ครบเกณฑ์กลุ่ม A ข้อต่อไปนี้):" if row["grade"] == "B" \
            else "เหตุผล:"
        if len(reasons) == 1:
            assert f"{head} {reasons[0]}" in text
        else:
            assert f"{head}\n\n" + "\n\n".join(f"- {r}" for r in reasons) in text
            assert row["reason_th"] not in text
        assert ("(ใกล้เกณฑ์)" in text.split("\n\n")[1]) == bool(row["near_threshold"])
        # need beside the group, with its support band
        # (hidden with the level-1 share wherever the round's disclosure step hides it: the
        # summary JSON's share is the same published figure)
        own = rep.write_summary().summary
        if own["share_level1"] is not None and own["m0"] is not None:
            assert res.details["need"] == row["need"]
            # "ลำดับที่ 2 จาก 6" read as "2nd of 6 villages" in a tambon of four (a reader
            # review): the 6 is the number of bands, and says so
            assert (f"ลำดับการสนับสนุนที่ {int(row['priority_band'])} จาก 6 ลำดับ"
                    in text)
            need = row["need_reason_th"].split("; ")
            assert all((f"- {r}" if len(need) > 1 else f": {r}") in text for r in need)
            # M0 as the deprivation table prints it, three decimals ("0.24" on the summary
            # beside "0.245" in Table 5 read as two figures, a reader review)
            assert f"(M0) {float(row['m0']):.3f} จากเต็ม 1" in row["need_reason_th"]
        else:
            assert res.details["need"] is None and "ลำดับการสนับสนุน" not in text
        lift = _lift(row, rep.level)
        assert list(res.details["steps"]) == list(lift["text_th"])
        if lift.empty:
            assert row["grade"] == "A" and res.details["next_grade"] is None
            assert "อยู่ในกลุ่ม A แล้ว" in text
        else:
            assert res.details["next_grade"] == lift["target_grade"].iloc[0]
            assert f"สิ่งที่จะช่วยให้ก้าวสู่กลุ่ม {res.details['next_grade']}" in text
            assert all(s in text for s in lift["text_th"])


def test_near_threshold_mark_and_the_top_group(sample_store) -> None:
    rep = AreaReport.load("80150101", 2549, store=sample_store)
    row = rep.grade_row.copy()
    row["grade"], row["near_threshold"], row["process_step"] = "C", True, 1
    rep.__dict__["grade_row"] = row  # as if the village were a C close to a threshold
    res = rep.summary_page(forums=None)
    head = res.parts[0].markdown.split("\n\n")[1]
    assert head.startswith("**ความพร้อมของชุมชน: กลุ่ม C (") and head.endswith("(ใกล้เกณฑ์)**")
    # and the page's note says what "ใกล้เกณฑ์" means (a village committee could not tell)
    assert rep.t("summary.note_near") in res.text
    assert res.details["near_threshold"] is True and res.details["next_grade"] == "B"
    assert list(res.details["steps"]) == list(_lift(row, "village")["text_th"])
    assert any("ขั้นที่ 1 ให้ถึงขั้นที่ 2" in s for s in res.details["steps"])
    top = rep.grade_row.copy()
    top["grade"], top["near_threshold"] = "A", False
    rep.__dict__["grade_row"] = top
    res = rep.summary_page(forums=None)
    assert res.details["next_grade"] is None and not res.details["steps"]
    assert "อยู่ในกลุ่ม A แล้ว" in res.text and "(ใกล้เกณฑ์)" not in res.parts[0].markdown.split(
        "\n\n")[1]


def test_strengths_and_gaps_are_relative_to_the_province(pages) -> None:
    res = pages["801501"].results["summary_page"]
    shares = res.estimates
    good, bad = res.details["strengths"], res.details["gaps"]
    assert good or bad
    assert all(shares.loc[i, "gap"] < 0 for i in good)
    assert all(shares.loc[i, "gap"] > 0 for i in bad)
    # only clear differences, largest first ("27 against 26" is neither a gap nor a reason
    # for a first action: a reader review found it driving two of six actions)
    assert all(bool(shares.loc[i, "clear"]) for i in (*good, *bad))
    # in the order of the differences as printed, the unrounded one between equal ones
    from abcresearch.reports.sections.actions import printed_gap

    printed = printed_gap(shares["estimate"], shares["province"])
    assert list(good) == sorted(good, key=lambda i: (printed[i], shares.loc[i, "gap"]))
    assert list(bad) == sorted(bad, key=lambda i: (-printed[i], -shares.loc[i, "gap"]))
    first = res.details["first_actions"]
    assert all(bool(shares.loc[i, "clear"]) and shares.loc[i, "gap"] > 0 for i in first)
    ok = shares[~shares["hidden"]]
    assert (~ok["clear"].astype(bool)).any(), "the test cannot fail: every item is clear"
    assert not any(shares.loc[i, "hidden"] for i in (*good, *bad))
    # no strength or gap printed equal to the province ("55, the province's 55")
    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections import actions as A

    pub, rules = Publisher(pages["801501"], "probe"), A.load_action_rules()
    for i in (*good, *bad):
        r = rules.item(i)
        assert A.item_share(pub, "801501", r, shares.loc[i, "estimate"]).text \
            != A.item_share(pub, "80", r, shares.loc[i, "province"]).text, i


def test_strengths_say_what_passes_and_the_share_that_does(pages, sample_store,
                                                             monkeypatch) -> None:
    """A strength is the share that passes an item, above the province's, in the item's
    passing words ("มีเงินออม ร้อยละ 91.7 สูงกว่า"), not a small failing share below it ("ไม่มี
    เงินออม ร้อยละ 8.3 น้อยกว่า", a double negative to a reader); the two shares add up to 100
    as printed. A rules file without passing words keeps the failing share."""
    from decimal import Decimal

    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections import actions as A

    res = pages["801501"].results["summary_page"]
    good, shares = res.details["strengths"], res.estimates
    assert good, "the test cannot fail: no strength"
    pub, rules = Publisher(pages["801501"], "probe"), A.load_action_rules()
    box = res.parts[0].markdown
    for i in good:
        r, s = rules.item(i), shares.loc[i]
        assert r.passes is not None
        fails = [A.item_share(pub, code, r, v).text
                 for code, v in (("801501", s["estimate"]), ("80", s["province"]))]
        passes = [str(Decimal(100) - Decimal(f)) for f in fails]
        line = (f"ครัวเรือนที่{r.passes['th']} ร้อยละ {passes[0]} สูงกว่าทั้งจังหวัด "
                f"(ร้อยละ {passes[1]})")
        assert line in box, (line, box)
        assert f"ครัวเรือนที่{r.text['th']} ร้อยละ {fails[0]} ต่ำกว่า" not in box
    # the note says which shares the boxes print
    assert "จุดแข็ง = ร้อยละของครัวเรือนที่ผ่านเกณฑ์ในเรื่องนั้น" in res.text
    assert "จุดแข็งและจุดที่ต้องพัฒนา = ร้อยละของครัวเรือนที่ไม่ผ่าน" not in res.text
    # without passing words: the failing share, fewer than the province
    plain = A.load_action_rules()
    plain = type(plain)(**{**plain.__dict__, "items": tuple(
        type(r)(**{**r.__dict__, "passes": None}) for r in plain.items)})
    monkeypatch.setattr("abcresearch.reports.sections.summary_page.load_action_rules",
                        lambda *a, **k: plain)
    rep = AreaReport.load("801501", 2549, store=sample_store)
    plain_res = rep.summary_page(forums=None)
    box = plain_res.parts[0].markdown
    r = rules.item(good[0])
    assert f"ครัวเรือนที่{r.text['th']} ร้อยละ" in box and "ต่ำกว่าทั้งจังหวัด" in box
    assert f"ครัวเรือนที่{r.passes['th']}" not in box
    assert "จุดแข็งและจุดที่ต้องพัฒนา = ร้อยละของครัวเรือนที่ไม่ผ่าน" in plain_res.text


def test_coverage_forum_date_and_programme_flags(pages) -> None:
    tam = pages["801501"].results["summary_page"]
    cov = tam.details["coverage"]
    hh = pages["801501"].households
    assert cov.households_surveyed == len(hh)
    assert cov.villages_surveyed == hh["village_code"].nunique() <= cov.villages_total
    assert "12 มีนาคม 2550 (ศาลาประชาคม)" in tam.text      # Thai digits, Buddhist era
    assert tam.details["programmes"] == ("welfare_pilot",)
    assert "ตำบลนำร่องสวัสดิการ" in tam.text
    # a village without a row of its own takes its tambon's forum; a blank date shows nothing
    assert "12 มีนาคม 2550" in pages["80150101"].results["summary_page"].text
    blank = pages["80150102"].results["summary_page"]
    assert [f.date for f in blank.details["forums"]] == [None]
    assert blank.parts[0].markdown.count("เวทีคืนข้อมูลให้ชุมชน: ……") == 1
    assert pages["80150101"].results["summary_page"].details["programmes"] == ("welfare_pilot",)


def test_coverage_from_the_status_model_when_the_context_has_it(sample_store) -> None:
    rep = AreaReport.load("801501", 2549, store=sample_store)
    given = Coverage(villages_surveyed=2, villages_total=9, households_surveyed=60,
                     households_total=900)
    rep.coverage = given  # what the status model will attach to the report context
    assert S.area_coverage(rep) is given
    assert "2 จาก 9 หมู่บ้าน" in rep.summary_page(forums=None).text


def test_bad_forum_rows_name_file_row_column_and_rule(tmp_path) -> None:
    f = tmp_path / "forums.csv"
    f.write_text("area_code,survey_round,forum_date,venue\n"
                 "801501,2549,2007-03-12,\n"
                 "801501,2549,31/02/2550,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"forums.csv row 3, column forum_date: value "
                                         r"'31/02/2550' breaks rule forum_date"):
        S.read_forums(f)
    f.write_text("area_code,date\n801501,2007-03-12\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column survey_round, forum_date"):
        S.read_forums(f)
    assert S.forum_dates(tmp_path / "none.csv", "801501", 2549) == []


def test_the_shipped_lists_are_empty_until_checked() -> None:
    progs = load_programmes()
    assert {p.id for p in progs.programmes} == {"welfare_pilot", "codi_pilot"}
    assert all(not p.verified and not p.tambons for p in progs.programmes)
    from abcresearch.paths import project_path

    assert S.read_forums(project_path(S.DEFAULT_FORUMS)) == []


def test_clearly_different_only_where_the_printed_interval_leaves_out_the_province(
        sample_store, monkeypatch) -> None:
    """The summary lists a strength or gap only where the "what to do" page stars it: never
    where the printed interval, rounded, holds the printed province share ("90 (88–92)" beside
    92)."""
    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections import actions as A

    real = A.area_item_shares
    # every item "clear" by its unrounded interval: only the printed check can take it away
    monkeypatch.setattr(A, "area_item_shares",
                        lambda report, rules: real(report, rules).assign(clear=True))
    rep = AreaReport.load("801501", 2549, store=sample_store)
    rep.summary_page()
    res = rep.results["summary_page"]
    shares, items = res.estimates, (*res.details["strengths"], *res.details["gaps"])
    assert items
    pub, rules = Publisher(rep, "what_to_do"), A.load_action_rules()
    covered = []
    for item in shares.index[~shares["hidden"]]:
        r, s = rules.item(item), shares.loc[item]
        area = A.item_share(pub, "801501", r, s["estimate"], s["ci_low"], s["ci_high"])
        province = A.item_share(pub, "80", r, s["province"])
        if A.printed_covers(area, province):
            covered.append(item)
    assert covered, "the test cannot fail: no printed interval holds the province's share"
    assert not set(covered) & set(items), (covered, items)


def test_a_group_set_by_unreviewed_rules_is_called_a_draft(sample_store, tmp_path,
                                                            monkeypatch) -> None:
    """Every cover and summary printed the A/B/C group as settled while the methods list
    params/grades.yaml as not yet reviewed (a reader review); a reviewed file drops the line."""
    import dataclasses

    from abcresearch.reports.sections import summary_page as S
    from abcresearch.scoring.grade_rules import load_grade_rules

    rep = AreaReport.load("801501", 2549, store=sample_store)
    text = rep.summary_page().text
    draft = rep.t("summary.grade_draft")
    assert not load_grade_rules().verified and draft in text
    # an amphoe's summary counts its tambons' groups, on the same draft rules (it said so on
    # its cover only; a reader review)
    amphoe = AreaReport.load("8015", 2549, store=sample_store).summary_page().text
    assert "กลุ่ม A" in amphoe and draft in amphoe
    reviewed = dataclasses.replace(load_grade_rules(), verified=True)
    monkeypatch.setattr(S, "load_grade_rules", lambda *a, **k: reviewed)
    rep = AreaReport.load("801501", 2549, store=sample_store)
    assert draft not in rep.summary_page().text
    assert draft not in AreaReport.load("8015", 2549, store=sample_store).summary_page().text


def test_the_covers_group_says_its_rules_are_a_draft(sample_store, monkeypatch) -> None:
    import dataclasses

    from abcresearch.reports.sections import cover as C
    from abcresearch.scoring.grade_rules import load_grade_rules

    rep = AreaReport.load("801501", 2549, store=sample_store)
    mark = rep.t('cover.grade_draft')
    line = C.grade_text(rep)
    assert line.startswith("ความพร้อมของชุมชน: กลุ่ม") and line.endswith(mark), line
    # the province's cover counts its tambons' groups: on the same draft rules (it did not say)
    from abcresearch.reports.province import ProvinceReport
    from abcresearch.reports.sections import province as P

    overview = ProvinceReport.load("80", 2549, store=sample_store)
    n = overview.tambon_table["grade"].value_counts()
    counts = overview.t("cover.grade_counts", a=int(n.get("A", 0)), b=int(n.get("B", 0)),
                        c=int(n.get("C", 0)), within=overview.t("cover.within.tambons"))
    assert f"**{counts} ({mark})**" in P.cover(overview).text
    # after the group's own bracket, a "·", not a second pair: "กลุ่ม B (กำลังพัฒนา) · เกณฑ์…"
    assert C.grade_text(rep).endswith(f") · {mark}"), C.grade_text(rep)
    # an amphoe's cover counts its tambons' groups likewise
    amphoe = AreaReport.load("8015", 2549, store=sample_store)
    assert C.grade_text(amphoe).endswith(f" ({mark})")  # after counts: in brackets
    reviewed = dataclasses.replace(load_grade_rules(), verified=True)
    monkeypatch.setattr(C, "load_grade_rules", lambda *a, **k: reviewed)
    monkeypatch.setattr(P, "load_grade_rules", lambda *a, **k: reviewed)
    assert mark not in C.grade_text(rep) and mark not in C.grade_text(amphoe)
    assert mark not in P.cover(overview).text


def test_level1_share_and_interval_read_as_each_language_writes_them(sample_store) -> None:
    """The English page read "48 (45–51)%": a percentage sign after the interval."""
    import re

    checked = 0
    for code in ("801501", "801502", "8015", "80150101", "80150102"):
        found = {lang: AreaReport.load(code, 2549, store=sample_store, lang=lang)
                 .summary_page().text for lang in ("th", "en")}
        assert ")%" not in found["en"]
        en = re.search(r"Households at level 1 \(basic needs\): (\d+)% \((\d+)–(\d+)%\)",
                       found["en"])
        th = re.search(r"ครัวเรือนระดับ 1 \(ความจำเป็นพื้นฐาน\): ร้อยละ (\d+) \((\d+)–(\d+)\)",
                       found["th"])
        assert bool(en) == bool(th)
        if en and th:
            assert en.groups() == th.groups()
            checked += 1
    assert checked  # some area of the sample shows its level-1 share with an interval


def test_the_first_actions_agencies_are_explained_on_the_summary_page(sample_store) -> None:
    """The summary's first actions named "(สนพ.)" and "(พช.)" with nothing on the page to say
    what they are (a review); its note explains every abbreviation it prints, as the "what to
    do" page's legend does, and no full name."""
    import re

    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.item_rules import load_action_rules

    rules = load_action_rules()
    shorts = {rules.agency(a, "th", True): a for a in rules.agencies
              if rules.agency(a, "th", True) != rules.agency(a, "th")}
    seen = 0
    for code in ("801501", "801502", "801503"):
        report = AreaReport.load(code, 2549, store=sample_store, lang="th")
        text = report.summary_page().text
        named = {m for m in re.findall(r"\(([^()]+)\)", text) if m in shorts}
        for short in named:
            assert f"{short} = " in text, (code, short)
            seen += 1
    assert seen, "the test cannot fail: no first action named an abbreviated agency"



def test_a_high_need_area_near_its_threshold_says_so_as_the_villages_table_does(
        sample_store) -> None:
    """The summary named "หมู่ที่ 4 บ้านนานางโอ (ครัวเรือนระดับ 1 ร้อยละ 43)" among the villages of
    high need outside group C, where the villages' table prints its need "สูง (ใกล้เกณฑ์)" (a
    reader review): a need near its threshold says so here too, and only such a need."""
    from abcresearch.labels import label
    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections.readiness import high_need_outside_c

    near_tail = label("find.near_suffix", "th")
    assert near_tail.strip()
    seen = {True: 0, False: 0}
    for code in ("8015", "801501", "801502", "801503"):
        rep = AreaReport.load(code, 2549, store=sample_store)
        text = high_need_outside_c(rep, Publisher(rep, "summary_page"), 99)
        if text is None:
            continue
        kids = rep.children.set_index("code")
        for c, row in kids.iterrows():
            name = rep.child_name(c)
            if f"{name} (" not in text:
                continue
            part = text.split(f"{name} (", 1)[1].split(")", 1)[0]
            near = bool(row["need_near_threshold"])
            seen[near] += 1
            assert part.endswith(near_tail) == near, (code, name, part, near)
    assert seen[True] and seen[False], seen  # both kinds were named somewhere


def test_the_summary_names_the_areas_within_in_group_c_first(sample_store) -> None:
    """An amphoe's one-page summary named only a high-need tambon outside group C, while its
    four tambons of the first band were on page 3 alone (a reader review): the areas within in
    group C come first, in the key findings' priority order, with their level-1 households."""
    from abcresearch.reports.disclosure import Publisher
    from abcresearch.reports.sections.readiness import group_c_areas

    seen = 0
    for code in ("8015", "801501", "801502", "801503"):
        rep = AreaReport.load(code, 2549, store=sample_store)
        page = rep.summary_page().text
        pub = Publisher(rep, "summary_page")
        listed = group_c_areas(rep, pub, 3)
        kids = rep.children
        in_c = [c for c, g in zip(kids["code"], kids["grade"], strict=True)
                if g == "C" and pub.pattern.publishable(c)]
        assert (listed is None) == (not in_c), (code, listed, in_c)
        if listed is None:
            continue
        seen += 1
        unit = rep.t(f"readiness.areas.{'village' if rep.level == 'tambon' else 'tambon'}")
        assert rep.t("summary.group_c", areas=listed, areas_word=unit.capitalize()) in page
        # in the key findings' order: the first one the findings name is the first here
        found = " ".join(rep.key_findings().findings)
        first = listed.split(" (")[0].split(",")[0]
        assert first in found, (first, found)
    assert seen, "the sample has a group C area below an amphoe or a tambon"


def test_the_summary_gives_the_welfare_fund_as_its_page_prints_it(pages, sample_store) -> None:
    """An อบต. officer looked for the welfare fund on the one-page summary and found nothing
    (a reader review): a box gives the funds' money and members, the villages without a fund
    (tambon) and the level-1 households in one, each as the welfare page prints it, and says
    where the details and the projection are."""
    shown = 0
    amphoe = AreaReport.load("8015", 2549, store=sample_store)
    amphoe.summary_page()
    for code, rep in {**pages, "8015": amphoe}.items():
        t = rep.t
        page = rep.results["summary_page"].text
        welfare = rep.welfare_fund()
        assert welfare is rep.welfare_fund()  # made once per report, quoted before its cell
        funds = welfare.to_frame(t("welfare.caption.funds"))
        money = funds[t("welfare.col.money")].iloc[-1]
        members = funds[t("welfare.col.members")].iloc[-1]
        forms, villages = welfare.details["forms_used"], rep.status.coverage.villages_total
        source = t("summary.welfare.forms_of", k=forms, n=villages) \
            if forms < villages and len(code) != 8 else t("summary.welfare.forms")
        assert t("summary.welfare.money", money=f"{money:,.0f}", members=f"{members:,.0f}",
                 source=source) in page, code
        reach = welfare.to_frame(t("welfare.caption.reach")).set_index(t("welfare.col.group"))
        share = reach.loc[t("col.level1"), t("welfare.col.member_share")]
        hidden = share in ("×", "<5")  # hidden there: not said here either
        everyone = reach.loc[t("welfare.all_households"), t("welfare.col.member_share")]
        said = t("summary.welfare.level1", share=share, all=t("summary.welfare.all",
                                                              share=everyone))
        assert (said in page) != hidden, code
        shown += not hidden
        title = "summary.welfare.title_village" if len(code) == 8 else "summary.welfare.title"
        assert f"**{t(title, section=t('section.welfare'), years='5')}**" in page
        n, total = welfare.details["without_fund"]
        said = t("summary.welfare.no_fund", n=n, total=total)
        assert (said in page) == bool(n and len(code) != 8), code
        if n and len(code) == 6:  # a tambon's by name, as its welfare page names them
            names = welfare.details["without_fund_names"]
            assert names.startswith("หมู่ที่ ") and f"{said} ได้แก่ {names}" in page, code
            assert t("welfare.no_fund.villages", n=n, total=total, names=names) in welfare.text
    assert shown, "no page printed its level-1 share"


def test_a_bad_welfare_file_leaves_the_summary_without_its_welfare_box(sample_store,
                                                                       monkeypatch) -> None:
    """The summary quotes the welfare section; a welfare.yaml that does not load fails that
    section with its one-sentence error, not the summary page, which goes without the box."""
    from abcresearch.errors import ParamsError
    from abcresearch.reports.sections import welfare

    def broken(path=None):
        raise ParamsError("params/welfare.yaml: projection.years must be a whole number")

    monkeypatch.setattr(welfare, "load_welfare_rules", broken)
    rep = AreaReport.load("801501", 2549, store=sample_store)
    page = rep.summary_page().text
    assert rep.t("section.welfare") not in page
    assert rep.t("summary.forum_blank") in page
    with pytest.raises(ParamsError, match="projection.years"):
        rep.welfare_fund()



@pytest.mark.parametrize("withheld", ["all", "one"])
def test_an_amphoes_groups_count_the_tambons_not_graded_yet(sample_store, monkeypatch,
                                                            withheld: str) -> None:
    """An amphoe whose tambons were all withheld from grading printed "A 0 · B 0 · C 0" and
    that the groups rest on draft rules (a code review): the summary counts the tambons not
    graded yet, as the cover does, and says "draft" only where some tambon is graded."""
    from abcresearch.reports.sections import cover as C

    rep = AreaReport.load("8015", 2549, store=sample_store)
    tambons = rep.analysis.tambons.copy()
    mine = tambons.index[tambons["tambon_code"].str.startswith("8015")]
    assert len(mine) >= 2
    gone = mine if withheld == "all" else mine[:1]
    tambons.loc[gone, "grade"] = None
    monkeypatch.setattr(rep.analysis, "tambons", tambons)
    left = tambons.loc[mine, "grade"].value_counts()
    a, b, c = (int(left.get(g, 0)) for g in "ABC")
    text = rep.summary_page().text
    line = rep.t("summary.grade_counts_withheld", a=a, b=b, c=c, n=len(gone),
                 within=rep.t("cover.within.tambons"))
    assert line in text, text[:600]
    cover = C.grade_text(rep)
    assert cover.startswith(rep.t("rollout.cover.grade_counts_withheld", a=a, b=b, c=c,
                                  n=len(gone), within=rep.t("cover.within.tambons")))
    draft, mark = rep.t("summary.grade_draft"), rep.t("cover.grade_draft")
    assert (draft in text) == (withheld == "one") and (mark in cover) == (withheld == "one")


def test_an_amphoes_group_counts_leave_out_the_tambons_its_tables_hide(sample_store,
                                                                        monkeypatch) -> None:
    """A tambon on too few households prints its group as the small marker in the amphoe's
    tables, while the cover and the summary counted it among A/B/C, which gave its group back
    (a code review): the counts are those of the groups printed, the others counted apart."""
    from abcresearch.reports.sections import cover as C
    from abcresearch.reports.sections.readiness import child_group_counts

    rep = AreaReport.load("8015", 2549, store=sample_store)
    tambons = rep.analysis.tambons.copy()
    mine = tambons.index[tambons["tambon_code"].str.startswith("8015")]
    tiny = mine[0]
    tambons.loc[tiny, "n_households"] = 2  # under the threshold: its figures are hidden
    monkeypatch.setattr(rep.analysis, "tambons", tambons)
    t = rep.t
    rd = rep.readiness()
    org = rd.to_frame(len(rd.tables) - 1)
    printed = org[t("readiness.col.grade")].astype(str)
    assert (printed == rep.marker).sum() == 1, list(printed)
    g = child_group_counts(rep)
    assert g["small"] == 1
    for grade in "ABC":
        assert g[grade.lower()] == int((printed == t("readiness.grade_short", grade=grade))
                                       .sum()), (grade, g, list(printed))
    assert g["a"] + g["b"] + g["c"] + g["withheld"] + g["small"] == len(mine)
    small = t("cover.grade_counts_small", k=1)
    assert small in C.grade_text(rep)
    assert small in rep.summary_page().text


def test_a_high_need_areas_first_action_is_its_level1_households_welfare(sample_store) -> None:
    """A village of high need was first told to take its children to temple festivals (the
    item furthest from the province; a reader review): where the need printed is the rules'
    highest, the first action is to bring the level-1 households outside a fund into it and
    see to basic needs first, with their count where the welfare page prints it (once on the
    page: the welfare box then leaves it out); elsewhere the first actions are as before."""
    cases = {"801502": "count", "80150203": "nocount", "801501": None, "80150204": None}
    for code, kind in cases.items():
        rep = AreaReport.load(code, 2549, store=sample_store)
        assert (rep.grade_row["need"] == "high") is (kind is not None), code
        page = rep.summary_page().text
        outside = rep.welfare_fund().details["reach"]["1"].get("outside")
        if kind:
            assert (outside is not None) is (kind == "count"), code
        first = page.split(f"**{rep.t('summary.first_actions')}**")[1].strip().splitlines()[0]
        section = rep.t("section.welfare")
        said = (rep.t("summary.first_high_need", count=outside, section=section)
                if kind == "count" else
                rep.t("summary.first_high_need_nocount", section=section) if kind else None)
        assert (first == f"- {said}") is (kind is not None), (code, first)
        if kind == "count":
            assert page.count(f"ราว {outside} ครัวเรือน") == 1, code


def test_a_village_without_a_fund_is_told_where_its_households_can_join(sample_store) -> None:
    """A village of high need whose own form shows neither fund members nor money was told to
    bring its level-1 households "into the fund" beside a fund table of 0 members and 0 baht (a
    newcomer asked which fund): its first action names another village's fund of the tambon or
    one of its own; with a fund, the first action is as before."""
    rep = AreaReport.load("80150203", 2549, store=sample_store)
    section = rep.t("section.welfare")
    forms = rep.village_forms.copy()
    assert len(forms) == 1 and float(forms["vil_welfare_members"].iloc[0]) > 0
    before = rep.summary_page().text
    assert rep.t("summary.first_high_need_nocount", section=section) in before
    forms["vil_welfare_members"] = 0
    forms["vil_welfare_money"] = 0
    rep = AreaReport.load("80150203", 2549, store=sample_store)
    rep.village_forms = forms  # the form as a village without a fund fills it in
    page = rep.summary_page().text
    first = page.split(f"**{rep.t('summary.first_actions')}**")[1].strip().splitlines()[0]
    assert first == "- " + rep.t("summary.first_high_need_no_fund_nocount", section=section)
    assert "ยังไม่มีกองทุนสวัสดิการชุมชน" in first and "กองทุนที่มีอยู่ในตำบล" in first


def rep_see(rep: AreaReport) -> str:
    return rep.t("summary.lift_see", section=rep.t("section.readiness"))


def test_the_lift_is_numbered_as_the_readiness_section_numbers_it(sample_store) -> None:
    """The readiness section numbers the conditions ("ชุดเดียวกับข้อ 1"); the one-page summary
    listed them as bullets, and did not say where the villages short of each are listed (a
    reader review)."""
    from abcresearch.reports.sections.readiness import lift_names_villages

    # the pointer where the readiness section names villages short of a condition: a
    # tambon's; not a village's (its own report names none)
    for code in ("801502", "801503", "80150203", "80150204"):
        other = AreaReport.load(code, 2549, store=sample_store)
        named = "ได้แก่ หมู่ที่" in other.readiness().text.split("ก้าวสู่")[-1]
        assert lift_names_villages(other) is named is (len(code) == 6), code
        assert (rep_see(other) in other.summary_page().text) is named, code
    rep = AreaReport.load("801501", 2549, store=sample_store)
    assert lift_names_villages(rep)
    page = rep.summary_page().text
    lines = page.split("สิ่งที่จะช่วยให้")[1].splitlines()
    assert rep_see(rep) in lines[0]
    steps = [x for x in lines[1:] if re.match(r"\d+\. ", x)]
    assert len(steps) >= 2 and [int(x.split(".")[0]) for x in steps] == \
        list(range(1, len(steps) + 1))
    from abcresearch.reports.render.typst import TYPST_MIME

    typ = "\n".join(b[TYPST_MIME] for b in rep.summary_page().bundles() if TYPST_MIME in b)
    box = typ.split("สิ่งที่จะช่วยให้")[1].split("#block")[0]
    assert box.count("\n  + ") == len(steps) and "\n  - " not in box


def test_a_village_summary_says_where_its_band_stands_in_its_tambon(sample_store) -> None:
    """"ลำดับการสนับสนุนที่ 2 จาก 6" did not tell a village committee that no village of its
    tambon came before it (a reader review): the village's summary counts the villages of
    its tambon in an earlier band, as the tambon report's villages table prints their bands,
    and says nothing where that table hides a band."""
    said = firsts_after = 0
    for tambon_code in ("801501", "801502", "801503"):
        tambon = AreaReport.load(tambon_code, 2549, store=sample_store)
        table = tambon.villages().tables[0].data
        band_col, name_col = tambon.t("readiness.col.band"), tambon.t("col.village")
        bands = dict(zip(table[name_col], table[band_col], strict=True))
        printed = all(str(b).isdigit() for b in bands.values())
        for code in sorted(tambon.households["village_code"].astype(str).unique()):
            village = AreaReport.load(code, 2549, store=sample_store)
            page = village.summary_page().text
            own = bands.get(tambon.child_name(code))
            name = village.area_name(tambon.area)
            said_words = ("ลำดับการสนับสนุนก่อนหมู่บ้านนี้", "ควรได้รับการสนับสนุนก่อนหมู่บ้านอื่น")
            assert all(w in village.t(k, tambon="", k=0, same=1, n=2, earlier="") for w, k in zip(
                said_words + said_words[1:] * 3, (
                    "readiness.band_in_tambon.before", "readiness.band_in_tambon.first",
                    "readiness.band_in_tambon.first_with", "readiness.band_in_tambon.first_after",
                    "readiness.band_in_tambon.first_with_after"), strict=True))
            if not printed or not str(own).isdigit() or \
                    village.t("summary.need", need="", band="", bands="")[-20:] not in page:
                assert not any(w in page for w in said_words), (code, page)
                continue
            before = sum(int(b) < int(own) for b in bands.values())
            same = sum(int(b) == int(own) for b in bands.values()) - 1
            key = ("readiness.band_in_tambon.before" if before else
                   "readiness.band_in_tambon.first_with" if same else
                   "readiness.band_in_tambon.first")
            # first but not in band 1: the line says the earlier bands are empty (a reader
            # review: "ลำดับที่ 2 จาก 6" then "มาก่อนหมู่บ้านอื่นทั้งหมด")
            earlier = "" if before or int(own) == 1 else village.t(
                "readiness.band_in_tambon.earlier",
                bands="1" if int(own) == 2 else f"1–{int(own) - 1}")
            line = village.t(key + ("_after" if earlier else ""), tambon=name, k=before,
                             same=same, n=len(bands), earlier=earlier)
            if earlier:
                assert f"ไม่มีหมู่บ้านที่สำรวจอยู่ในลำดับ{earlier} " in line
                firsts_after += 1
            assert line in page, (code, line, page)
            said += 1
    assert said, "no village of the sample store has its band and its tambon's printed"
    assert firsts_after, "no village of the sample store is first in its tambon outside band 1"


def test_a_need_near_its_threshold_is_explained_in_the_box(sample_store) -> None:
    """"ความจำเป็นสูง (ใกล้เกณฑ์)" beside M0 0.381 against 0.38 was explained only in the page's
    footnote (a reader review): the need's reasons end with what "near" means for it and what
    to do (confirm with other data), where the need is printed and near its threshold."""
    seen = set()
    for code in ("801501", "801502", "801503", "80150101", "80150201", "80150202",
                 "80150301", "8015"):
        report = AreaReport.load(code, 2549, store=sample_store)
        row = report.grade_row
        page = report.summary_page().text
        notes = {k: report.t(f"summary.need_near.{k}") for k in ("high", "low")}
        if row is None or report.t("summary.need_reason", reason="").strip() not in page:
            assert not any(n in page for n in notes.values())
            continue
        near = bool(row.get("need_near_threshold"))
        key = "high" if row["need"] == "high" else "low"
        assert (notes[key] in page) == near, (code, near, page)
        assert notes["low" if key == "high" else "high"] not in page
        seen.add(near)
    assert seen == {True, False}, seen


def test_a_step_the_community_is_ready_for_says_so(sample_store, monkeypatch) -> None:
    """"จัดเวทีประชาคมปีละ 2 ครั้ง" as a reason for group B and "91% of households take part in
    forums" as a strength were not linked (a village committee's review): a step whose
    condition names a household item (``household_item`` in params/grades.yaml) says the
    community is ready for it, with the share the strengths box prints, where it prints it."""
    import yaml

    from abcresearch.paths import params_dir
    from abcresearch.reports.item_rules import load_action_rules
    from abcresearch.reports.sections import actions as actions_mod

    raw = yaml.safe_load((params_dir() / "grades.yaml").read_text(encoding="utf-8"))
    linked = {c["indicator"]: c["household_item"] for r in raw["grades"]
              for c in r.get("all", []) + r.get("any", []) if c.get("household_item")}
    assert linked == {"forums_year": "soc_forum"}
    assert set(linked.values()) <= {r.item for r in load_action_rules().items}
    report = AreaReport.load("80150103", 2549, store=sample_store)
    ready = report.t("summary.lift_ready", what="", share="").split("ครัวเรือนที่")[0]
    assert ready.strip() == "ซึ่งน่าจะทำได้ เพราะ"  # not "ready": once at a forum is not four a year
    res = report.summary_page()
    forums = [s for s in res.details["steps"] if s.startswith("จัดเวทีประชาคม")]
    assert len(forums) == 1 and "soc_forum" not in res.details["strengths"]
    assert ready not in forums[0]  # not a printed strength: nothing said
    # the area's forum-going printed as its first strength
    real = actions_mod.strengths_and_gaps
    calls = []

    def first_strength(shares, rules):
        good, bad = real(shares, rules)
        calls.append(1)
        return (["soc_forum", *good][:len(good) + 1] if len(calls) == 1 else good), bad

    monkeypatch.setattr(actions_mod, "strengths_and_gaps", first_strength)
    again = AreaReport.load("80150103", 2549, store=sample_store)
    res = again.summary_page()
    assert res.details["strengths"][0] == "soc_forum"
    line = next(s for s in res.details["steps"] if s.startswith("จัดเวทีประชาคม"))
    passing = load_action_rules().item("soc_forum").passes["th"]
    share = re.search(rf"ครัวเรือนที่{passing} ร้อยละ (\d+)", res.text)
    assert share, res.text
    assert line.endswith(again.t("summary.lift_ready", what=passing, share=share.group(1))), line
    assert all(ready not in s for s in res.details["steps"] if s != line)


def test_a_misspelt_household_item_is_named(sample_store, monkeypatch) -> None:
    """A household_item that names no item of params/actions.yaml would switch the summary's
    link off unseen (a code review): the report stops with a params error naming it."""
    from abcresearch.errors import ParamsError
    from abcresearch.reports.sections import summary_page as sp

    real = sp.grade_lift

    def misspelt(report, pub=None):
        target, steps, requirement, items = real(report, pub)
        return target, steps, requirement, ["soc_forumm" if i else i for i in items]

    monkeypatch.setattr(sp, "grade_lift", misspelt)
    report = AreaReport.load("80150103", 2549, store=sample_store)
    with pytest.raises(ParamsError, match="soc_forumm"):
        report.summary_page()


def test_the_facts_under_the_group_are_a_list(pages) -> None:
    """The facts under the group's box (level-1 share, areas in group C, coverage, a draft's
    note) were lines without marks, hard to tell apart (a reader review): a list, as the
    boxes' lines are, in the PDF as in the notebook."""
    from abcresearch.reports.render.typst import TYPST_MIME

    res = pages["801501"].results["summary_page"]
    typ = "\n".join(b[TYPST_MIME] for b in res.bundles() if TYPST_MIME in b)
    block = typ.split("#block(width: 100%, inset: (y: 2pt))[")[1].split("\n]")[0]
    items = [x for x in block.splitlines() if x.strip()]
    assert len(items) >= 2 and all(x.startswith("  - ") for x in items)
    # the coverage line among them
    surveyed = f"{res.details['coverage'].households_surveyed:,}"
    assert sum(surveyed in x for x in items) == 1


def test_a_group_near_a_threshold_says_which_and_which_way() -> None:
    """"กลุ่ม B (ใกล้เกณฑ์)" over reasons short of group A read as near group A, where the
    interval crossing a threshold was that of group C's community capital (a reader review):
    the box says which indicator, whose group's threshold its interval holds, and which way
    the group may go; an indicator masked for the area is not named (a code review)."""
    from abcresearch.labels import label
    from abcresearch.reports.sections.summary_page import grade_near_note
    from abcresearch.scoring.grade_rules import indicator_label, load_grade_rules

    rules = load_grade_rules()

    def t(key, **f):
        return label(key, "th", **f)

    def words(name):
        return indicator_label(name, "th")

    c_rule = next(r for r in rules.rules if r["grade"] == "C")
    threshold = next(float(c["value"]) for c in c_rule["any"]
                     if c["indicator"] == "community_capital")
    row = {"near_threshold": True, "near_threshold_indicator": "community_capital",
           "grade": "B", "community_capital_ci_low": threshold - 3,
           "community_capital_ci_high": threshold + 9}
    note = grade_near_note(t, rules, row, words)
    assert t("indicator.community_capital") in note
    assert "ถ้าสำรวจใหม่อาจอยู่ในกลุ่ม C" in note
    assert "กลุ่ม A" not in note
    # an area in group C by it may not be in C
    assert "ถ้าสำรวจใหม่อาจไม่อยู่ในกลุ่ม C" in grade_near_note(t, rules, {**row, "grade": "C"},
                                                               words)
    # masked for the area (it would give a hidden capital mean back): not named
    assert grade_near_note(t, rules, row, words, frozenset({"community_capital"})) == ""
    # not near: nothing
    assert grade_near_note(t, rules, {**row, "near_threshold": False}, words) == ""
