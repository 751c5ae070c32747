"""Tests of Thai line breaking (abcresearch.reports.render.thai) in the Typst reports."""

from __future__ import annotations

import itertools
import re
import unicodedata

import pandas as pd
import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from abcresearch.reports.render import thai
from abcresearch.reports.render.display import table_spec
from abcresearch.reports.render.pdf import compile_pdf
from abcresearch.reports.render.typst import (
    TABLE_MIME,
    TypstDocument,
    render_notebook,
    table_to_typst,
)

# Words Typst (ICU) broke in real reports: at the parts of compounds and inside a syllable.
COMPOUNDS = ["ครัวเรือน", "ความคลาดเคลื่อน", "จำนวนตำบล", "ผู้ใหญ่บ้าน", "ประสิทธิภาพ"]
PROSE = (
    "ทุนชุมชนน้ำใจยังคงเข้มแข็ง โดยเฉพาะการช่วยเหลือกันในงานบุญและการลงแขก "
    "จำนวนครัวเรือนในตำบลมีความคลาดเคลื่อนมาตรฐานต่ำ ผู้ใหญ่บ้านก๊วยเตี๋ยวน้ำใจ "
    "ค่าประมาณทั้งหมดถ่วงน้ำหนักตามแผนการสุ่มตัวอย่าง"
)
CELLS = [
    "จำนวนครัวเรือนในตำบล",
    "ความคลาดเคลื่อนมาตรฐาน",
    "ผู้ใหญ่บ้านและคณะกรรมการหมู่บ้าน",
    "ประสิทธิภาพของชุมชน",
    "ครัวเรือนที่สำรวจแล้ว",
    "ความเป็นประชาคม",
]
THAI_TEXT = st.text(
    alphabet=st.sampled_from(
        [chr(c) for c in range(0x0E01, 0x0E5C) if unicodedata.name(chr(c), "")]
    )
)


def test_segmentation_finds_the_dictionary_words() -> None:
    assert thai.segment("จำนวนครัวเรือนในตำบลความคลาดเคลื่อนมาตรฐาน") == [
        "จำนวน", "ครัวเรือน", "ใน", "ตำบล", "ความคลาดเคลื่อน", "มาตรฐาน"
    ]  # fmt: skip
    assert thai.segment("ผู้ใหญ่บ้าน 3 คน, ก๊วยเตี๋ยว") == [
        "ผู้ใหญ่บ้าน", " 3 ", "คน", ", ", "ก๊วยเตี๋ยว"
    ]  # fmt: skip
    # Unknown stretches stay whole, next to known words.
    assert thai.segment("เกิดขึ้นกขคงจ") == ["เกิดขึ้น", "กข", "คง", "จ"]
    assert all(thai.is_word(w) for w in COMPOUNDS if w != "จำนวนตำบล")
    # two segmentations of as many words: the one whose words are longer first
    # ("ตัว|เลขที่|มาจาก" let a line break inside "ตัวเลข" in the methods note)
    assert thai.segment("ตัวเลขที่มาจากครัวเรือน") == ["ตัวเลข", "ที่มา", "จาก", "ครัวเรือน"]


@settings(max_examples=200, deadline=None)
@given(THAI_TEXT)
def test_segments_and_marks_give_the_text_back(text: str) -> None:
    assert "".join(thai.segment(text)) == text
    marked = thai.mark_breaks(text)
    assert thai.strip_marks(marked) == text
    assert set(marked) - set(text) <= thai.INVISIBLE


@settings(max_examples=200, deadline=None)
@given(THAI_TEXT)
def test_clusters_keep_marks_and_vowels_with_their_letter(text: str) -> None:
    for run in re.findall("[\u0e01-\u0e4e]+", text):
        for end in thai.clusters(run)[:-1]:
            assert run[end] not in "\u0e30\u0e31\u0e32\u0e33\u0e45\u0e46" and not (
                "\u0e34" <= run[end] <= "\u0e3a" or "\u0e47" <= run[end] <= "\u0e4e"
            ), (run, end)
            assert run[end - 1] not in "\u0e40\u0e41\u0e42\u0e43\u0e44", (run, end)


def test_break_characters_sit_only_between_words() -> None:
    marked = thai.mark_breaks("จำนวนครัวเรือนในตำบล")
    assert marked.split(thai.ZERO_WIDTH_SPACE) == [
        thai.mark_breaks(w) for w in ("จำนวน", "ครัวเรือน", "ใน", "ตำบล")
    ]
    assert thai.mark_breaks("no Thai here 123") == "no Thai here 123"


def test_word_joiners_are_dropped_between_thai_letters_only() -> None:
    """Under BREAK_LANG a joiner between two Thai letters changes no line; beside a digit, a
    Thai digit, the baht sign, a quote, a dash or a Latin letter it stays."""
    wj, zwsp = thai.WORD_JOINER, thai.ZERO_WIDTH_SPACE
    assert thai.drop_thai_joiners(f"ค{wj}รั{wj}ว{zwsp}เรื{wj}อ{wj}น") == f"ครัว{zwsp}เรือน"
    kept = [f"ที่{wj}2", f"ที่{wj}๒", f"ราคา{wj}฿", f"“{wj}ทุน{wj}”", f"29{wj}–{wj}38",
            f"ทุน{wj}A", f"{wj}ทุน", f"ทุน{wj}", f"ทุน{wj}{thai.PART_MARK}ชุมชน"]
    for text in kept:
        assert thai.drop_thai_joiners(text) == text
    marked = thai.mark_breaks("ครัวเรือนที่ไม่เป็นสมาชิกกลุ่ม ร้อยละ 27 “มากกว่า” หมู่ที่4")
    dropped = thai.drop_thai_joiners(marked)
    assert dropped.replace(wj, "") == marked.replace(wj, "")  # nothing else changes
    assert dropped.count(wj) == 3  # the quotes' two and หมู่ที่|4
    plain = "no joiner: ครัวเรือน"
    assert thai.drop_thai_joiners(plain) is plain
    # Thai signs outside the letters' line-break class keep theirs; two joiners in a row stay
    for text in [f"ทุน{wj}๏", f"๚{wj}ทุน", f"ทุน{wj}๛", f"ทุน{wj}ฯ{wj}"]:
        assert thai.drop_thai_joiners(text) == (text if "ฯ" not in text else f"ทุนฯ{wj}")
    assert thai.drop_thai_joiners(f"ทุน{wj}{wj}ชุมชน") == f"ทุน{wj}{wj}ชุมชน"


def test_long_words_break_at_their_parts() -> None:
    assert thai.word_parts("ความคลาดเคลื่อน") == ["ความ", "คลาด", "เคลื่อน"]
    assert thai.word_parts("ครัวเรือน") == ["ครัว", "เรือน"]
    marked = thai.mark_breaks("ความคลาดเคลื่อน")
    assert thai.strip_marks(marked.replace(thai.PART_MARK, "|").replace(
        thai.SUB_PART_MARK, "/")) == "ความ|คลาด/เคลื่อน"  # the long part "คลาดเคลื่อน" nested


def test_checker_finds_breaks_inside_words() -> None:
    check = thai.broken_words_in_lines
    assert check(["จำนวนครัว", "เรือนในตำบล"])[0].word == "ครัวเรือน"
    assert check(["จำนวนตำบ", "ล"])  # inside a syllable
    assert check(["เข้มแข็ง", "ั"])  # a line that starts with a mark
    assert check(["จำนวนครัวเรือน", "ในตำบล"]) == []
    assert check(["ทุนชุมชน 12", "ครัวเรือน"]) == []


# village names as the village forms give them: proper nouns, in no word list
VILLAGE_NAMES = ["บ้านเขาหมาก", "บ้านเกาะสะท้อน", "บ้านหัวเหนือ", "บ้านไสจิก"]


def test_names_of_the_document_are_kept_whole() -> None:
    text = "หมู่ที่ 4 บ้านเขาหมาก มีครัวเรือน"
    # without the names, the name is three words with break opportunities between them
    plain = thai.mark_breaks(text).replace(thai.NO_BREAK_SPACE, " ")
    assert plain.split(" ")[2].count(thai.ZERO_WIDTH_SPACE) == 2
    with thai.keep_names_whole(VILLAGE_NAMES):
        marked = thai.mark_breaks(text)
    # with them, one long word: boxed (part marks inside), no break opportunity
    name = marked.replace(thai.NO_BREAK_SPACE, " ").split(" ")[2]
    assert thai.ZERO_WIDTH_SPACE not in name and thai.PART_MARK in name
    assert thai.strip_marks(name) == "บ้านเขาหมาก"
    assert marked == thai.mark_breaks(text, names=VILLAGE_NAMES)
    # outside the block the names have no effect
    assert thai.mark_breaks(text) != marked
    # a name made of a place name and other words breaks, if at all, between those words
    assert thai.word_parts("บ้านเกาะสะท้อน") == ["บ้าน", "เกาะ", "สะท้อน"]


def test_a_text_marked_again_is_marked_as_the_names_then_say() -> None:
    # mark_breaks keeps what it marked for the next call of the same text: the names in force
    # are part of what it is kept by, in either order, and names not in the text change nothing
    text = "ครัวเรือนของบ้านเขาหมาก"
    thai.mark_breaks(text)
    with thai.keep_names_whole(VILLAGE_NAMES):
        kept = thai.mark_breaks(text)
    plain = thai.mark_breaks(text)
    assert kept != plain
    assert thai.strip_marks(kept) == thai.strip_marks(plain) == text
    assert thai.mark_breaks(text, names=["บ้านไสจิก"]) == plain
    assert thai.mark_breaks(text, names=["บ้านเขาหมาก"]) == kept
    # a long text (a section's markup, not kept) is marked the same way
    assert thai.mark_breaks((text + " ") * 200) == (plain + " ") * 200


def test_a_charts_svg_in_a_sections_markup_is_not_marked() -> None:
    # a chart's SVG (bytes("...") in a section's Typst markup) is a file, not text: matplotlib
    # writes each label's text in an XML comment, which the break marks went into
    from abcresearch.reports.render.typst import TYPST_MIME, render_output, typst_string

    svg = '<svg><!-- คะแนนทุน 0\u2013100 --><path d="M 0 0"/></svg>'
    markup = (f"ร้อยละ 41 ของครัวเรือน\n\n#abc-chart(bytes({typst_string(svg)}), "
              "caption: [คะแนนทุนเฉลี่ย])\n\nหมู่ที่ 4")
    out = render_output({"output_type": "display_data", "data": {TYPST_MIME: markup}}, {}, "c")
    assert f"bytes({typst_string(svg)})" in out
    # the text around it is marked (and nothing else changed)
    assert thai.mark_breaks("คะแนนทุนเฉลี่ย") in out and thai.mark_breaks("ร้อยละ 41") in out
    assert thai.strip_marks(out).replace(thai.NO_BREAK_SPACE, " ") == markup


def test_a_group_letter_and_an_ordinals_number_stay_with_their_word() -> None:
    """A reader found "ขั้น / ที่ 2" and "กลุ่ม / B" split across lines of a village report: the
    group's letter is bound to "กลุ่ม" as a number is to "ระดับ", and an ordinal "ที่" before
    its number to the word it counts; the locative "ที่" still lets a line break."""
    marked = thai.mark_breaks("กระบวนการอยู่ที่ขั้นที่ 2 อยู่ในกลุ่ม B แล้ว หมู่ที่ 4 ทุน A-B")
    seen = marked.replace(thai.WORD_JOINER, "")
    assert "กลุ่ม" + thai.NO_BREAK_SPACE + "B แล้ว" in seen
    assert "ขั้นที่" + thai.NO_BREAK_SPACE + "2" in seen
    assert "หมู่ที่" + thai.NO_BREAK_SPACE + "4" in seen
    assert "อยู่" + thai.ZERO_WIDTH_SPACE + "ที่" + thai.ZERO_WIDTH_SPACE + "ขั้น" in seen
    assert "ทุน" + thai.NO_BREAK_SPACE + "A-B" in seen
    # a Latin word is not a group's letter
    assert thai.mark_breaks("ใช้ Excel ได้").count(thai.NO_BREAK_SPACE) == 0


def test_checker_finds_breaks_inside_names() -> None:
    lines = ["หมู่ที่ 4 บ้านเขา", "หมาก"]
    assert thai.broken_words_in_lines(lines) == []  # three dictionary words
    found = thai.broken_words_in_lines(lines, names=VILLAGE_NAMES)
    assert [f.word for f in found] == ["บ้านเขาหมาก"]


def test_names_stay_whole_in_a_column_where_they_fit() -> None:
    # the width of a report's village column: "หมู่ที่ 4 บ้านเขาหมาก" does not fit, the name does
    cells = [f"หมู่ที่ {i + 1} {name}" for i, name in enumerate(VILLAGE_NAMES)]
    plain = thai.find_broken_words(_table_pdf(cells, 2.6, marked=True), names=VILLAGE_NAMES)
    assert plain, "the test cannot fail: no name broke without the names"
    with thai.keep_names_whole(VILLAGE_NAMES):
        pdf = _table_pdf(cells, 2.6, marked=True)
    assert thai.find_broken_words(pdf, names=VILLAGE_NAMES) == []


def test_wide_tables_keep_village_names_whole() -> None:
    """A report's 9-column village table: the village column holds each name on one line.

    Typst's own auto columns shrink the widest columns to a fair share, which broke the
    names ("บ้านเกาะ|สะท้อน") beside number columns wider than their numbers; the report
    template gives every column at least its widest unbreakable piece.
    """
    names = [f"{n}{tail}" for n in VILLAGE_NAMES for tail in ("", "ใต้")]
    frame = pd.DataFrame({
        "หมู่บ้าน": [f"หมู่ที่ {i + 1} {n}" for i, n in enumerate(names)],
        "ครัวเรือน": [190 + i for i in range(len(names))],
        "กลุ่ม": [6] * len(names),
        "สมาชิกสวัสดิการ": [111] * len(names),
        "เงินสวัสดิการ (บาท)": [214170.0] * len(names),
        "กองทุนหมู่บ้าน (บาท)": [1266300.0] * len(names),
        "แผนแม่บท (พ.ศ.)": ["2549"] * len(names),
        "ขั้นตอนกระบวนการชุมชนเข้มแข็ง": [2] * len(names),
        "เวทีประชาคมต่อปี": [2] * len(names),
    })
    _assert_names_whole_in_table(frame, names, {"title": "ตำบลทดสอบ", "names": names},
                                 caption="กลุ่มองค์กร", decimals=0)


def test_a_village_label_stays_on_one_line_in_a_wide_table() -> None:
    """A tambon's organisations table: "หมู่ที่ 9 / บ้านโคกดินแดง" wrapped between the village's
    number and its name beside headings that wrap anyway (a reader review); a short row label,
    the table's key, stays on one line while the other columns can give way."""
    names = ["บ้านนบเคี่ยม", "บ้านทอนเหนือ", "บ้านควนเหนือ", "บ้านโคกพลู", "บ้านเกาะหว้า",
             "บ้านเขาตก", "บ้านห้วยทราย", "บ้านเกาะจันทร์", "บ้านโคกดินแดง", "บ้านท่าหยี",
             "บ้านหนองเงิน"]
    labels = [f"หมู่ที่ {i + 1} {n}" for i, n in enumerate(names)]
    k = len(names)
    frame = pd.DataFrame({
        "หมู่บ้าน": labels,
        "ครัวเรือน": [379, 239, 318, 153, 329, 215, 289, 363, 314, 235, 261],
        "กลุ่ม": [10, 14, 7, 5, 8, 8, 12, 8, 7, 9, 8],
        "สมาชิกสวัสดิการ": [252] * k,
        "เงินกองทุนสวัสดิการ (บาท)": [12280.0] * k,
        "กองทุนหมู่บ้าน (บาท)": [1449800.0] * k,
        "แผนแม่บท (พ.ศ.)": ["2548"] * k,
        "ขั้นกระบวนการ": [3] * k,
        "เวทีประชาคมต่อปี": [12] * k,
    })
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "ตำบลทดสอบ", "names": names}, "lang": "th"}
    nb.cells = [new_code_cell("t", outputs=[new_output("display_data", data={
        TABLE_MIME: table_spec(frame, caption="กลุ่มองค์กร", decimals=0)})])]
    text = pdfium.PdfDocument(compile_pdf(render_notebook(nb)))[0].get_textpage().get_text_range()
    lines = [line.strip() for line in text.split("\r\n")]
    for label in labels:  # each label on one line, the numbers after it
        assert any(line.startswith(label + " ") for line in lines), (label, lines)


def test_a_first_column_that_groups_the_rows_gives_way_like_the_others() -> None:
    """English "what to do": its items wrapped into three lines beside "Physical and economic
    capital" kept whole as if it named the row (a reader review). A table whose first column
    groups its rows (``grouped``) has no column kept on one line: its items take fewer lines."""
    capitals = ["Human capital", "Human capital", "Physical and economic capital",
                "Financial capital", "Financial capital", "Natural resource capital"]
    items = ["no member with an occupational skill", "no training attended in the past year",
             "no farm land of its own (rented or none)", "keeps no household account book",
             "member of no fund or savings group", "hit by a natural disaster in the past year"]
    frame = pd.DataFrame({"Capital": capitals, "Item": items,
                          "Failing here (%)": ["20 (19–21)"] * 6,
                          "Households failing (approx.)": ["1,550"] * 6,
                          "Province": [24] * 6,
                          "Against the province (percentage points)": ["+11*"] * 6})

    def lines(grouped: bool) -> list[str]:
        spec = table_spec(frame, caption="The weakest items", decimals=0)
        if grouped:
            spec["grouped"] = True
        nb = new_notebook()
        nb.metadata["abcresearch"] = {"header": {"title": "Test"}, "lang": "en"}
        nb.cells = [new_code_cell("t", outputs=[new_output("display_data",
                                                           data={TABLE_MIME: spec})])]
        page = pdfium.PdfDocument(compile_pdf(render_notebook(nb)))[0]
        return [x.strip() for x in page.get_textpage().get_text_range().split("\r\n")]

    keyed, grouped = lines(False), lines(True)
    # kept whole as a row's name, "no farm land of its / own (rented or / none)" beside it;
    # grouped, it wraps and its item takes two lines
    assert "Physical and economic capital" in keyed and "none)" in keyed
    assert "Physical and economic capital" not in grouped
    assert len(grouped) < len(keyed), (keyed, grouped)
    assert "key: none" in table_to_typst({**table_spec(frame), "grouped": True})
    assert "key:" not in table_to_typst(table_spec(frame))


def test_columns_close_up_before_a_name_breaks() -> None:
    """The province's capital scores by amphoe: "เมือง / นครศรีธรรม / ราช" in its name column
    beside seven number columns as wide as their headings' longest words (a reader review);
    the columns close up (3pt a side) first, and the names stay whole."""
    names = ["เมืองนครศรีธรรมราช", "เฉลิมพระเกียรติ", "ถ้ำพรรณรา", "พระพรหม"]
    capitals = ["ทุนมนุษย์", "ทุนกายภาพและเศรษฐกิจ", "ทุนเงินตรา", "ทุนทางสังคม",
                "ทุนวัฒนธรรม", "ทุนภูมิปัญญา", "ทุนทรัพยากรธรรมชาติ"]
    frame = pd.DataFrame({"อำเภอ": names, **{c: [61.8, 58.6, 59.5, 58.9] for c in capitals}})
    _assert_names_whole_in_table(frame, names, {"title": "จังหวัดทดสอบ"}, caption="คะแนนทุน",
                                 decimals=1)


def test_a_heading_may_break_after_the_noun_prefix_of_a_compound() -> None:
    """The province's ranking of ten columns wrapped "เมือง / นครศรีธรรมราช" in 13 of its rows
    beside the headings "ความเข้มแข็งองค์กร" and "กลุ่มความพร้อม", each held to its longest
    word (a reader review): a column heading may break after "ความ" inside a compound of the
    word list; running text may not, nor a heading inside "การเงิน" or a name."""
    def cut(text: str, **kw) -> str:
        marked = thai.mark_breaks(text, **kw).replace(thai.ZERO_WIDTH_SPACE, "|")
        return thai.strip_marks(marked.replace(thai.HEADING_PART_MARK, "/"))

    assert cut("ความเข้มแข็งองค์กร", heading=True) == "ความ/เข้มแข็ง|องค์กร"
    assert cut("กลุ่มความพร้อม", heading=True) == "กลุ่ม|ความ/พร้อม"
    assert cut("ความเข้มแข็งองค์กร") == "ความเข้มแข็ง|องค์กร"
    assert cut("ทุนการเงิน", heading=True) == "ทุน|การเงิน"
    assert cut("ความ", heading=True) == "ความ"
    assert cut("ความเข้มแข็ง", names=["ความเข้มแข็ง"], heading=True) == "ความเข้มแข็ง"
    # a character that belongs to the prefix's last cluster keeps the word whole
    assert thai._prefix_apart("ความ\u0e4cเข้ม") == ("ความ\u0e4cเข้ม",)
    # the checker of laid-out lines takes that break for a boundary, and no other in the word
    assert thai.broken_words_in_lines(["ความ", "เข้มแข็ง"]) == []
    assert [b.word for b in thai.broken_words_in_lines(["ความเข้ม", "แข็ง"])] == ["ความเข้มแข็ง"]
    assert [b.word for b in thai.broken_words_in_lines(["ความ", "เข้มแข็ง"],
                                                        names=["ความเข้มแข็ง"])] == ["ความเข้มแข็ง"]


def test_a_ten_column_ranking_keeps_its_names_on_one_line() -> None:
    """The province's priority ranking, as its section sets it: rank, tambon, amphoe, seven
    more columns with long headings; every tambon and amphoe name stays on one line."""
    names = ["ปากพนังฝั่งตะวันตก", "เมืองนครศรีธรรมราช", "เฉลิมพระเกียรติ", "ควนหนองหงษ์"]
    frame = pd.DataFrame({
        "ลำดับการสนับสนุน": [1, 1, 1, 2],
        "ตำบล": ["ปากพนังฝั่งตะวันตก", "ปากพูน", "เชียรเขา", "ควนหนองหงษ์"],
        "อำเภอ": ["ปากพนัง", "เมืองนครศรีธรรมราช", "เฉลิมพระเกียรติ", "ชะอวด"],
        "ครัวเรือนตัวอย่าง": [735, 3000, 2685, 900],
        "ร้อยละระดับ 1": [58, 50, 68, 55],
        "ครัวเรือนระดับ 1 (ประมาณ)": [600, 2670, 3540, 820],
        "M0": [0.501, 0.429, 0.565, 0.484],
        "ความจำเป็น": ["สูง", "สูง", "สูง (ใกล้เกณฑ์)", "ไม่สูง"],
        "กลุ่มความพร้อม": ["กลุ่ม C", "กลุ่ม C", "กลุ่ม C", "กลุ่ม B"],
        "ความเข้มแข็งองค์กร": [30.3, 35.2, 26.0, 34.6],
    })
    _assert_names_whole_in_table(frame, names, {"title": "จังหวัดทดสอบ"},
                                 caption="ตำบลเรียงตามลำดับการสนับสนุน", decimals=1)
    # where the names fit beside headings kept to their words, a heading keeps its compound
    # whole (a tambon's village ranking had "ความเข้มแข็ง / องค์กร", and kept it)
    narrow = frame.assign(**{"ตำบล": ["ปากพูน", "ท่าดี", "สิชล", "นาทราย"],
                             "อำเภอ": ["ชะอวด", "สิชล", "ฉวาง", "ขนอม"]})
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "จังหวัดทดสอบ"}, "lang": "th"}
    nb.cells = [new_code_cell("t", outputs=[new_output("display_data", data={
        TABLE_MIME: table_spec(narrow, caption="ตำบล", decimals=1)})])]
    lines = [thai.strip_marks(line).strip() for line in _page_texts(nb)[0].split("\r\n")]
    text = "\n".join(lines)
    assert "ความเข้มแข็ง" in text and "ความพร้อม" in text, lines[:12]
    assert not any(line == "ความ" or line.endswith(" ความ") for line in lines), lines[:12]


NARROW_NAMES = ["ปากพนังฝั่งตะวันตก", "เมืองนครศรีธรรมราช", "เฉลิมพระเกียรติ", "ถ้ำพรรณรา"]


def test_a_table_too_narrow_for_its_names_breaks_them_at_their_parts_only() -> None:
    """Where even the closer columns cannot hold every name, the longest break at their parts
    ("ปากพนังฝั่ง / ตะวันตก"), never inside one: the template boxes long words (their parts the
    only breaks) in such a table alone; everywhere else a part mark is no break at all."""
    heads = [f"ข้อ {i}" for i in range(1, 17)]
    frame = pd.DataFrame({"ตำบล": NARROW_NAMES,
                          **{h: [61.8, 58.6, 59.5, 58.9] for h in heads}})
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "จังหวัดทดสอบ"}, "lang": "th"}
    nb.cells = [new_code_cell("t", outputs=[new_output("display_data", data={
        TABLE_MIME: table_spec(frame, caption="คะแนนทุน", decimals=1)})])]
    _assert_split_at_parts_only(compile_pdf(render_notebook(nb)), NARROW_NAMES)


def test_a_markdown_table_too_narrow_for_its_names_breaks_them_at_their_parts_only() -> None:
    """A Markdown table's cells are content, not strings the template measures: its long words
    are boxed all the same ("ปากพนังฝั่งตะวันตก" ran on into the next column once only tables
    of strings were; a code review)."""
    md = ("| ตำบล | " + " | ".join(f"ข้อ {i}" for i in range(1, 17)) + " |\n|"
          + "---|" * 17 + "\n"
          + "".join(f"| {n} | " + " | ".join(["61.8"] * 16) + " |\n" for n in NARROW_NAMES))
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "จังหวัดทดสอบ"}, "lang": "th"}
    nb.cells = [new_markdown_cell(md)]
    _assert_split_at_parts_only(compile_pdf(render_notebook(nb)), NARROW_NAMES)


def _assert_split_at_parts_only(pdf: bytes, names: list[str]) -> None:
    """Check that some of ``names`` are split over lines, each only between its parts.

    A name split elsewhere, or not split but running on beyond its column into the next
    cell's text on the same line, fails.
    """
    page = pdfium.PdfDocument(pdf)[0].get_textpage()
    text = page.get_text_range()
    lines = [line.strip() for line in text.split("\r\n")]
    split = [n for n in names if not any(n in line for line in lines)]
    assert split, lines  # the test needs a table too narrow for a name
    # each split name breaks only between its parts (and a long part between its own parts):
    # its lines, one after another, end at those boundaries
    for name in split:
        ends = set(itertools.accumulate(len(p) for p in thai.word_parts(name)))
        start = next(i for i, line in enumerate(lines) if line and name.startswith(line))
        at = 0
        for line in lines[start:]:
            at += len(line)
            assert at in ends, (name, line, lines)
            if at == len(name):
                break
        assert at == len(name), (name, lines)
    # the other names whole, ending before the next column's text on their line begins (a
    # name run on into the number beside it overlaps it)
    for n in names:
        if n in split:
            continue
        at = text.index(n) + len(n)
        right = page.get_charbox(at - 1)[2]
        after = next((i for i in range(at, len(text)) if not text[i].isspace()), None)
        if after is not None and text[at:after].strip("\r\n ") == "" and "\n" not in text[at:after]:
            assert page.get_charbox(after)[0] >= right, (n, text[at:after + 6])


def _assert_names_whole_in_table(frame: pd.DataFrame, names: list[str], header: dict,
                                 caption: str, decimals: int) -> None:
    """Typeset ``frame`` as a report table and check each name is whole, on one line."""
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": header, "lang": "th"}
    nb.cells = [new_code_cell("t", outputs=[new_output("display_data", data={
        TABLE_MIME: table_spec(frame, caption=caption, decimals=decimals)})])]
    pdf = compile_pdf(render_notebook(nb))
    assert [(b.before, b.after) for b in thai.find_broken_words(pdf, names=names)] == []
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    lines = [line.strip() for line in text.split("\r\n")]
    for name in names:  # each name on one line of its own cell
        assert any(name in line for line in lines), name


def test_table_strings_for_spreadsheets_stay_clean() -> None:
    frame = pd.DataFrame({"ชื่อ": CELLS})
    spec = table_spec(frame, caption="ตารางครัวเรือน")
    assert not set(str(spec)) & thai.INVISIBLE


def _page_texts(nb: NotebookNode) -> list[str]:
    """The text of each page of a notebook's report, as pdfium reads it."""
    doc = pdfium.PdfDocument(compile_pdf(render_notebook(nb)))
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def _table_pdf(cells: list[str], width_cm: float, marked: bool) -> bytes:
    """One-column tables of Thai cells at a given width, typeset like the reports do."""
    text = (lambda s: thai.mark_breaks(s)) if marked else (lambda s: s)
    rows = ", ".join('"' + text(c) + '"' for c in cells)
    source = (
        '#set text(lang: "th", font: "Noto Sans Thai", size: 10pt)\n'
        "#set page(width: 10cm, height: auto, margin: 1cm)\n"
        + (thai.TYPST_RULES if marked else "")
        + f"\n#table(columns: ({width_cm}cm,), inset: 3pt, {rows})\n"
    )
    return compile_pdf(TypstDocument(source=source))


@pytest.mark.parametrize("width_cm", [3.0, 3.4])
def test_narrow_columns_break_between_words_only(width_cm: float) -> None:
    # Narrow columns in which every word fits: Typst alone breaks some ("คณะ|กรรมการ", "ตำบ|ล").
    plain = thai.find_broken_words(_table_pdf(CELLS, width_cm, marked=False))
    assert plain, "the test cannot fail: Typst broke no word on its own"
    assert thai.find_broken_words(_table_pdf(CELLS, width_cm, marked=True)) == []


def test_reports_break_prose_between_words_only() -> None:
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "ตำบลทดสอบ"}, "lang": "th"}
    frame = pd.DataFrame({"หมู่บ้าน": CELLS, "ครัวเรือน": range(len(CELLS))})
    nb.cells = [
        new_markdown_cell("## " + COMPOUNDS[1] + "มาตรฐานของการประมาณค่า\n\n" + PROSE * 4),
        new_code_cell(
            "t",
            outputs=[
                new_output(
                    "display_data",
                    data={TABLE_MIME: table_spec(frame, caption=PROSE, notes=PROSE)},
                )
            ],
        ),
    ]
    pdf = compile_pdf(render_notebook(nb))
    assert thai.find_broken_words(pdf) == []
    doc = pdfium.PdfDocument(pdf)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "ผู้ใหญ่บ้านก๊วยเตี๋ยวน้ำใจ" in text.replace("\r\n", "")
    assert not set(text) & thai.INVISIBLE


@pytest.mark.parametrize("width_cm", [1.2, 1.6])
def test_words_wider_than_the_column_break_at_their_parts(width_cm: float) -> None:
    words = ["ความคลาดเคลื่อน", "ประสิทธิภาพ", "ครัวเรือน"]
    pdf = _table_pdf(words, width_cm, marked=True)
    textpage = pdfium.PdfDocument(pdf)[0].get_textpage()
    lines = [line for line in textpage.get_text_range().split("\r\n") if line]
    breaks = 0
    for word in words:
        allowed = {len("".join(thai.word_parts(word)[:k])) for k in range(1, 10)}
        taken = ""
        while taken != word:
            line = lines.pop(0)
            if taken:
                assert len(taken) in allowed, (word, taken, line)
                breaks += 1
            taken += line
    assert breaks > 0 and not lines
    # Nothing runs out of the column: every glyph lies inside the table's width.
    left = 28.35  # page margin, pt
    right = left + width_cm * 72 / 2.54
    for i in range(textpage.count_chars()):
        x0, _, x1, _ = textpage.get_charbox(i)
        assert left - 0.5 <= x0 and x1 <= right + 0.5, (i, x0, x1, right)


def test_registering_the_thai_font_twice_lists_it_once() -> None:
    """A warm kernel registers the font for every report: the font list must not grow."""
    from matplotlib import font_manager

    from abcresearch.reports.render.fonts import font_files, register_thai_font

    register_thai_font()
    before = len(font_manager.fontManager.ttflist)
    register_thai_font()
    assert len(font_manager.fontManager.ttflist) == before
    names = [e.fname for e in font_manager.fontManager.ttflist]
    assert all(names.count(str(p)) == 1 for p in font_files())


def test_a_place_name_stays_whole() -> None:
    """An official place name made of two dictionary words ("บาง" + "โพธิ์") is one word: a
    narrow column breaks "บ้าน|บางโพธิ์", not "บ้านบาง|โพธิ์" (a walk-through found that)."""
    from abcresearch.reports.render import thai

    assert "บางโพธิ์" in thai.place_names()
    assert thai.segment("บ้านบางโพธิ์") == ["บ้าน", "บางโพธิ์"]
    marked = thai.mark_breaks("บ้านบางโพธิ์")
    assert marked.count(thai.ZERO_WIDTH_SPACE) == 1
    assert thai.strip_marks(marked.split(thai.ZERO_WIDTH_SPACE)[1]) == "บางโพธิ์"
    # ordinary text is segmented as before: between two readings with as many words, the one
    # with fewer place names ("บ้านใหม่" is a tambon)
    assert thai.segment("ครัวเรือนที่มีรายได้") == ["ครัวเรือน", "ที่", "มี", "รายได้"]
    assert "บ้านใหม่" in thai.place_names()
    assert thai.segment("หมู่บ้านใหม่") == ["หมู่บ้าน", "ใหม่"]


@pytest.mark.parametrize(("width_cm", "lines"), [
    # the word does not fit: it breaks between its parts, not after "กองทุนหมู่" which would
    # fill the line better (it did: the header "กองทุนหมู่|บ้าน" of a report's table)
    (2.1, ["กองทุน", "หมู่บ้าน", "(บาท)"]),
    (1.6, ["กองทุน", "หมู่บ้าน", "(บาท)"]),
    (1.2, ["กองทุน", "หมู่", "บ้าน", "(บาท)"]),  # "หมู่บ้าน" alone does not fit either
])
def test_a_long_part_breaks_only_where_it_alone_does_not_fit(width_cm: float,
                                                            lines: list[str]) -> None:
    pdf = _table_pdf(["กองทุนหมู่บ้าน (บาท)"], width_cm, marked=True)
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert [line.strip() for line in text.split("\r\n") if line.strip()] == lines


def test_typst_markup_from_the_kernel_gets_the_marks_too() -> None:
    # the summary page's boxes are Typst markup made in the kernel: Typst's own segmenter broke
    # "มาก|กว่า" there
    from abcresearch.reports.render.typst import TYPST_MIME

    markup = "#block[- ครัวเรือนที่ไม่เป็นสมาชิกกลุ่ม ร้อยละ 27 มากกว่าทั้งจังหวัด]"
    nb = new_notebook(cells=[new_code_cell("x", outputs=[
        new_output("display_data", data={TYPST_MIME: markup})])])
    for own_lang in (True, False):
        source = render_notebook(nb, own_lang=own_lang).source
        # under BREAK_LANG without the word joiners inside Thai (drop_thai_joiners)
        marked = thai.mark_breaks if own_lang else (
            lambda text: thai.drop_thai_joiners(thai.mark_breaks(text)))
        assert markup not in source and marked(markup) in source
        assert marked("มากกว่า") + thai.ZERO_WIDTH_SPACE in source  # no break inside it


def test_a_short_thai_table_keeps_its_caption() -> None:
    """A short table is kept on one page with its caption; its length was counted in UTF-8
    bytes (three per Thai letter and per line-break mark), so every Thai table counted as long
    and its caption could stay behind at the bottom of a page."""
    frame = pd.DataFrame({"ตัวชี้วัด": ["ความรุนแรงเฉลี่ยของครัวเรือนที่ยากจนหลายมิติ (ร้อยละ)"] * 3,
                          "ค่า": ["59", "60", "61"]})
    spec = table_spec(frame, caption="ความยากจนหลายมิติของครัวเรือน")
    together = []
    for lines in range(34, 52, 2):  # push the table across the bottom of the first page
        nb = new_notebook()
        nb.metadata["abcresearch"] = {"header": {"title": "ตำบลทดสอบ"}, "lang": "th"}
        nb.cells = [new_markdown_cell("\n\n".join(["ครัวเรือนในตำบล"] * lines)),
                    new_code_cell("t", outputs=[new_output("display_data",
                                                           data={TABLE_MIME: spec})])]
        pages = _page_texts(nb)
        caption = next(i for i, p in enumerate(pages) if "ความยากจนหลายมิติของ" in p)
        row = next(i for i, p in enumerate(pages) if "59" in p)
        together.append(caption == row)
    assert all(together)


def test_abbreviations_and_negations_stay_whole() -> None:
    # "(พอ|ช.)" and "ความจำเป็นไม่|สูง" were broken in the reports' tables
    def breaks(text: str) -> str:
        marked = thai.mark_breaks(text)
        return thai.strip_marks(marked.replace(thai.ZERO_WIDTH_SPACE, "|"))

    assert breaks("(พอช.)") == "(พอช.)"
    assert breaks("สปสช. ต่อคน") == "สปสช. ต่อ|คน"
    assert breaks("ความจำเป็นไม่สูง") == "ความจำเป็น|ไม่สูง"
    assert breaks("ไม่ผ่านเกณฑ์").startswith("ไม่ผ่าน")
    # a noun prefix stays with its word in running text ("และการ / ดูแลครอบครัว"), not in a
    # table's column heading, where a wider column squeezed the names beside it
    assert breaks("ลำดับการสนับสนุน") == "ลำดับ|การสนับสนุน"
    # "วางแผนการ" is no word of the list ("วางแผนการ / ผลิต" in an action, a reader review)
    assert breaks("เพื่อวางแผนการผลิต") == "เพื่อ|วางแผน|การผลิต"
    # "รายได้ / น้อยมาร่วมได้" read as "น้อยมา", very few came (a reader review)
    assert "|รายได้น้อย|" in breaks("ในวันเวลาที่ครัวเรือนรายได้น้อยมาร่วมได้")
    # a closing "ไม่ได้" (cannot) stays with its verb; before a verb it goes with the verb after
    assert breaks("ครัวเรือนที่อ่านเขียนภาษาไทยไม่ได้ ร้อยละ 5").endswith("|ภาษาไทยไม่ได้ ร้อยละ 5")
    assert breaks("ไม่ได้รับการสนับสนุน") == "ไม่ได้รับ|การสนับสนุน"
    # a distributive "ละ" stays with its word before a number ("เฉลี่ยตำบล / ละ 6,253 บาท"; a
    # reader review), not where it starts a name ("ตำบลละอาย" is a tambon of the province)
    assert breaks("ต่ำกว่าเฉลี่ยตำบลละ 6,253 บาท").endswith("|ตำบลละ 6,253 บาท")
    assert breaks("หมู่บ้านละ 4,000 บาท") == "หมู่บ้านละ 4,000 บาท"
    assert breaks("ตำบลละอาย") == "ตำบล|ละอาย"
    assert breaks("ในตำบลละอาย 5 หมู่บ้าน").startswith("ใน|ตำบล|ละอาย")
    heading = thai.mark_breaks("ลำดับการสนับสนุน", heading=True)
    assert thai.strip_marks(heading.replace(thai.ZERO_WIDTH_SPACE, "|")) == "ลำดับ|การ|สนับสนุน"


def test_a_long_tables_notes_never_stand_alone_on_a_page() -> None:
    """Whatever its length, a long table's notes share their page with its last row.

    Before, one row count put the notes alone (under the repeated heading) at the top of the
    next page, the last row at the bottom of the page before.
    """
    moved = 0
    for k in range(44, 60):
        frame = pd.DataFrame({"ตำบล": [f"ตำบลที่ {i + 1}" for i in range(k)],
                              "ครัวเรือน": range(k)})
        nb = new_notebook()
        nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
        nb.cells = [new_code_cell("t", outputs=[new_output("display_data", data={
            TABLE_MIME: table_spec(frame, caption="ตาราง", notes="หมายเหตุท้ายตาราง")})])]
        pages = _page_texts(nb)
        at = next(i for i, p in enumerate(pages) if "หมายเหตุท้ายตาราง" in p)
        moved += at > 0
        assert f"ตำบลที่ {k}" in pages[at], (k, pages[at][-200:])
    assert moved, "the test cannot fail: the notes never reached a second page"


def _rows_by_page(pages: list[str], prefix: str) -> list[int]:
    """How many of a table's rows (lines starting with ``prefix``) each page holds, for the
    pages that hold any."""
    counts = [sum(line.startswith(prefix) for line in p.replace("\r\n", "\n").split("\n"))
              for p in pages]
    return [c for c in counts if c]


@pytest.mark.parametrize("notes", [None, "หมายเหตุท้ายตาราง"])
def test_a_long_table_never_leaves_one_row_alone_on_a_page(notes: str | None) -> None:
    """Wherever the page breaks a long table, each page holds two of its rows or more.

    A provincial committee's review found rows alone on a page: the province's row of the
    amphoe scores (the table's last row, with its notes) under the repeated heading, and the
    last tambon of the ranking; a reader review, a heading and one row at a page foot (Typst
    keeps a heading with one row). The last page holds three (a reader review: a village alone
    over the total of a tambon's ranking).
    """
    frame = pd.DataFrame({"ตำบล": [f"ตำบลที่ {i + 1}" for i in range(50)],
                          "ครัวเรือน": range(50)})
    first, last = set(), set()
    for k in range(20, 44):  # paragraphs before: each row in turn meets the page foot
        nb = new_notebook()
        nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
        nb.cells = [new_markdown_cell("\n\n".join(f"ย่อหน้าที่ {i + 1}" for i in range(k))),
                    new_code_cell("t", outputs=[new_output("display_data", data={
                        TABLE_MIME: table_spec(frame, caption="ตารางทดสอบแถว", notes=notes)})])]
        counts = _rows_by_page(_page_texts(nb), "ตำบลที่ ")
        assert sum(counts) == 50 and min(counts) >= 2 and counts[-1] >= 3, (k, counts)
        if len(counts) > 1:
            first.add(counts[0])
            last.add(counts[-1])
    # the test cannot fail unless the breaks came near both ends of the table
    assert min(first) == 2 and min(last) == 3, (sorted(first), sorted(last))


def test_a_long_tables_caption_never_stands_alone_at_a_page_foot() -> None:
    """Whatever comes before it, a long table's caption shares its page with the first row."""
    frame = pd.DataFrame({"ตำบล": [f"ตำบลที่ {i + 1}" for i in range(40)],
                          "ครัวเรือน": range(40)})
    moved = 0
    for k in range(32, 41):  # paragraphs before the table: the caption reaches the page foot
        nb = new_notebook()
        nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
        nb.cells = [new_markdown_cell("\n\n".join(f"ย่อหน้าที่ {i + 1}" for i in range(k))),
                    new_code_cell("t", outputs=[new_output("display_data", data={
                        TABLE_MIME: table_spec(frame, caption="ตารางทดสอบคำบรรยาย")})])]
        pages = _page_texts(nb)
        at = next(i for i, p in enumerate(pages) if "ตารางทดสอบคำบรรยาย" in p)
        moved += at > 0
        lines = pages[at].replace("\r\n", "\n").split("\n")
        assert "ตำบลที่ 1" in lines or "ตำบลที่ 1 0" in lines, (k, at)
    assert moved, "the test cannot fail: the caption never reached a page foot"


@pytest.mark.parametrize(("lang", "word", "goes_on"), [
    ("th", "ตารางที่ {n} (ต่อ)", "ตารางที่ {n} มีต่อหน้าถัดไป"),
    ("en", "Table {n} (continued)", "Table {n} continues on the next page")])
def test_a_page_a_table_goes_on_to_names_it(lang: str, word: str, goes_on: str) -> None:
    """A page that a captioned table goes on to says which table, above its repeated heading,
    and the page before says at its foot that the table goes on.

    A reader review found a tambon's village ranking going on at the top of a page under its
    heading alone, its caption ("ตารางที่ 9: ...") on the page before; another, a fund table
    broken before its total row, read as complete. Nothing is added on the page a table starts
    on (above) or ends on (below), on a page no table goes on to, or for a table without a
    caption.
    """
    def table(prefix: str, k: int, caption: str | None) -> NotebookNode:
        frame = pd.DataFrame({"ตำบล": [f"{prefix} {i + 1}" for i in range(k)],
                              "ครัวเรือน": range(k)})
        return new_output("display_data", data={TABLE_MIME: table_spec(frame, caption=caption)})

    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": lang}
    nb.cells = [
        new_markdown_cell("\n\n".join(f"ย่อหน้าที่ {i + 1}" for i in range(20))),
        new_code_cell("t", outputs=[table("แถวแรก", 5, "ตารางสั้น")]),  # Table 1, one page
        new_code_cell("t", outputs=[table("แถวสอง", 120, "ตารางยาว")]),  # Table 2, three pages
        new_markdown_cell("\n\n".join(f"ย่อหน้าหลัง {i + 1}" for i in range(45))),
        new_code_cell("t", outputs=[table("แถวสาม", 60, None)]),  # no caption, two pages
    ]
    pages = _page_texts(nb)
    named = [word.format(n=2) in p for p in pages]
    long_pages = [i for i, p in enumerate(pages) if "แถวสอง " in p]
    assert len(long_pages) >= 3, long_pages  # the test cannot fail unless the table breaks
    assert named == [i in long_pages[1:] for i in range(len(pages))], (named, long_pages)
    said = [goes_on.format(n=2) in p for p in pages]
    assert said == [i in long_pages[:-1] for i in range(len(pages))], (said, long_pages)
    # the table without a caption breaks too, and its pages say nothing of it
    alone = [p for p in pages if "แถวสาม " in p and "แถวสอง " not in p]
    assert len(alone) >= 2
    said_of = word.split("{n}")[1].strip(), goes_on.split("{n}")[1].strip()
    assert not any(s in p for p in alone for s in said_of), said_of
    assert not any(word.format(n=1) in p or goes_on.format(n=1) in p for p in pages)
    # the name is read before the heading it stands over
    second = pages[long_pages[1]]
    assert second.index(word.format(n=2)) < second.index("ครัวเรือน")


def _kept_on_one_page(cells, first: str, then: str):
    """Push ``first`` towards a page foot with 30-40 paragraphs before it (``cells(paragraphs)``
    makes the notebook's cells); assert ``first`` and ``then`` always share a page and that the
    push moved it at least once; return the last notebook."""
    moved = 0
    for k in range(30, 41):  # paragraphs before: the introduction reaches the page foot
        nb = new_notebook()
        nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
        nb.cells = cells("\n\n".join(f"ย่อหน้าที่ {i + 1}" for i in range(k)))
        pages = _page_texts(nb)
        at_intro = next(i for i, p in enumerate(pages) if first in p)
        at_then = next(i for i, p in enumerate(pages) if then in p)
        assert at_intro == at_then, k
        moved += at_intro > 0
    assert moved, "the test cannot fail: the introduction never reached a page foot"
    return nb


def test_a_short_introduction_never_ends_a_page_its_table_starts_the_next() -> None:
    """A one-line paragraph printed just before a table (in the same cell) shares a page with
    the table's caption, wherever the page breaks; a long paragraph is left to flow."""
    frame = pd.DataFrame({"ตำบล": [f"ตำบลที่ {i + 1}" for i in range(12)],
                          "ครัวเรือน": range(12)})
    intro = "ตารางต่อไปนี้แสดงจำนวนครัวเรือนของแต่ละตำบล"

    def cells(paragraphs: str) -> list:
        return [new_markdown_cell(paragraphs), new_code_cell("t", outputs=[
            new_output("display_data", data={"text/markdown": intro, "text/plain": intro}),
            new_output("display_data", data={
                TABLE_MIME: table_spec(frame, caption="ตารางทดสอบคำนำ")})])]

    nb = _kept_on_one_page(cells, intro, "ตารางทดสอบคำนำ")
    long_intro = " ".join([intro] * 12)
    nb.cells[1].outputs[0]["data"] = {"text/markdown": long_intro, "text/plain": long_intro}
    assert "sticky" not in render_notebook(nb).source.split("#show: report.with(")[-1]



def test_a_line_in_bold_never_ends_a_page_what_it_heads_starts_the_next() -> None:
    """A line all in bold heads what follows it in the same cell (a paragraph here) and shares
    its page: "จากแบบสำรวจครัวเรือน (...)" stood alone at the foot of the province's welfare
    page (a reader review)."""
    head = "จากแบบสำรวจครัวเรือนตัวอย่าง"
    body = "ครัวเรือนระดับ 1 เป็นสมาชิกกองทุนสวัสดิการชุมชนร้อยละ 23"

    def cells(paragraphs: str) -> list:
        return [new_markdown_cell(paragraphs), new_code_cell("t", outputs=[
            new_output("display_data", data={"text/markdown": f"**{head}**",
                                              "text/plain": head}),
            new_output("display_data", data={"text/markdown": body, "text/plain": body})])]

    _kept_on_one_page(cells, head, body)
    # only a line all in bold: a bold lead-in before plain words is a paragraph (a code review)
    from abcresearch.reports.render.typst import markdown_to_typst

    def sticky(markdown: str) -> bool:
        nb = new_notebook(cells=[new_code_cell("t", outputs=[
            new_output("display_data", data={"text/markdown": m, "text/plain": m})
            for m in (markdown, body)])])
        return "#block(sticky: true)[#strong[" in render_notebook(nb).source
    assert sticky(f"**{head}**")
    assert not sticky(f"**หมายเหตุ:** {head}") and not sticky("**ข้อ 1:** ดู *ตาราง*")
    assert markdown_to_typst(f"**{head}**", {}).startswith("#strong[")

QUOTED = ["ข้อมูล“ทุน”(ก)ข้อมูล", "คำว่า“ทุน”คือ", "aaaa”—“bbbb", "x”—y", "don’t ‘q’x"]
RAW_TYPST = ('#let ชื่อ = "ทุนชุมชน"\n#emph[#ชื่อ]\n\n#figure(rect(width: 1cm), caption: [ภาพ])'
             ' <ป้าย>\n\nดู @ป้าย')


def _thai_everywhere(lang: str = "th", own_typst: bool = True) -> object:
    """A notebook with long Thai in every kind of content the renderer writes into the source
    (``own_typst``: a researcher's raw Typst cell too)."""
    from nbformat.v4 import new_raw_cell

    from abcresearch.reports.render.typst import TYPST_MIME

    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "ตำบลทดสอบ " + CELLS[0]}, "lang": lang}
    long = (PROSE + " ") * 2 + " ".join(QUOTED)
    nb.cells = [
        new_markdown_cell("## " + COMPOUNDS[1] + "มาตรฐาน\n\n" + long + " `" + CELLS[0] + "`\n\n"
                          "```\n" + long + "\n```\n\n<div>" + long + "</div>"),
        new_code_cell("print(x)", outputs=[new_output("stream", name="stdout", text=long)]),
        new_code_cell("x", outputs=[new_output("display_data", data={TYPST_MIME: long})]),
        new_code_cell("1/0", outputs=[new_output(
            "error", ename="ValueError", evalue=long, traceback=[long])]),
        # the kernel's Typst with raw text between backticks, and with text of another language
        new_code_cell("y", outputs=[new_output("display_data", data={
            TYPST_MIME: long + " `" + CELLS[0] + "` " + long})]),
        new_code_cell("z", outputs=[new_output("display_data", data={
            TYPST_MIME: '#text(lang: "en")[Tha Rai] ' + long})]),
    ]
    if own_typst:
        nb.cells.append(new_raw_cell(RAW_TYPST, metadata={"raw_mimetype": "text/x-typst"}))
    return nb


def test_every_thai_run_in_the_source_carries_its_break_marks() -> None:
    """Typst typesets under "zh" (BREAK_LANG), where a Thai run without marks cannot break at
    all: every output kind must get the marks, the page header too (not the PDF's title); a
    researcher's raw Typst goes in as written, under the report's own language."""
    def body_of(source: str) -> str:
        body = source[source.index("#show: report.with("):]
        metadata_title = re.search(r'title: "([^"]*)", header-title:', body)
        assert metadata_title is not None
        return body.replace(metadata_title.group(0), "")

    # the source handed out for `typst compile`, typeset under Thai, has all the marks
    body = body_of(render_notebook(_thai_everywhere(), own_lang=True).source)
    assert RAW_TYPST in body
    own = body.replace(RAW_TYPST, "")
    unmarked = [run for run in re.findall("[\u0e01-\u0e5b]+", own)
                if len(thai.clusters(run)) > 1]
    assert unmarked == []
    assert own.count(thai.mark_breaks(CELLS[0])) >= 2  # header title and the code span
    # under BREAK_LANG the same, without the word joiners inside Thai where they change no
    # line (test_typesetting_under_break_lang_draws_the_same_pages): not in a block with raw
    # text (the code span, the printed output, the traceback, the backticks) or with text of
    # another language
    wj = thai.WORD_JOINER
    own = body_of(render_notebook(_thai_everywhere(own_typst=False), own_lang=True).source)
    body = body_of(render_notebook(_thai_everywhere(own_typst=False)).source)
    body = body.replace('break-lang: "zh", ', "")
    assert body.replace(wj, "") == own.replace(wj, "")  # only joiners differ
    assert thai.drop_thai_joiners(thai.mark_breaks(CELLS[0])) in body  # the page header's
    own_blocks, blocks = own.split("\n\n"), body.split("\n\n")
    assert len(own_blocks) == len(blocks)
    kept = ("raw(", "abc-error(", 'lang: "en"', "`")
    assert sum(any(k in b for k in kept) for b in own_blocks) >= 5
    # (a cell is kept or dropped whole: the markdown cell's heading keeps them beside its code
    # span's paragraph)
    for own_block, block in zip(own_blocks, blocks, strict=True):
        if any(k in own_block for k in kept):
            assert block == own_block
        else:
            assert block in (own_block, thai.drop_thai_joiners(own_block))
    assert sum(b != o for o, b in zip(own_blocks, blocks, strict=True)) >= 2  # header, kernel
    # the kernel's Typst markup (no raw text): joiners only beside the quotes
    first_words = thai.drop_thai_joiners(thai.mark_breaks("ทุนชุมชน"))
    kernel_markup = next(p for p in blocks if p.startswith(first_words))
    quotes = thai.drop_thai_joiners(thai.mark_breaks(" ".join(QUOTED)))
    assert kernel_markup.count(wj) == quotes.count(wj) > 0
    assert 0 < body.count(wj) < own.count(wj)
    # a researcher's own Typst (its rules may match the marked text): every joiner stays; it
    # is typeset under the report's own language, as written
    own = body_of(render_notebook(_thai_everywhere(), own_lang=True).source)
    body = body_of(render_notebook(_thai_everywhere()).source)
    raw = '#set text(lang: "th")\n' + RAW_TYPST + '\n#set text(lang: "zh")'
    assert raw in body
    body = body.replace(raw, RAW_TYPST).replace('break-lang: "zh", ', "")
    assert body == own


@pytest.mark.parametrize(("lang", "own_typst"), [("th", False), ("en", False), ("th", True)])
def test_typesetting_under_break_lang_draws_the_same_pages(
    monkeypatch: pytest.MonkeyPatch, lang: str, own_typst: bool
) -> None:
    """Skipping Typst's Thai segmenter ("zh") gives the pages typeset under the report's own
    language, and the PDF says the report's language, not "zh"."""
    import io

    from pypdf import PdfReader

    from abcresearch.reports.render import typst as typst_render

    nb = _thai_everywhere(lang, own_typst=own_typst)
    monkeypatch.setattr(typst_render, "BREAK_LANG", None)
    own_pdf = compile_pdf(render_notebook(nb))
    own = PdfReader(io.BytesIO(own_pdf))
    monkeypatch.setattr(typst_render, "BREAK_LANG", "zh")
    doc = render_notebook(nb)
    assert doc.break_lang == "zh" and 'break-lang: "zh"' in doc.source
    pdf = compile_pdf(doc)
    fast = PdfReader(io.BytesIO(pdf))
    assert len(fast.pages) == len(own.pages)
    # the same pages, pixel for pixel, and the same text in pdfium and pypdf (the word joiners
    # inside Thai, dropped under "zh", change which glyphs krilla writes as one string, not
    # where any glyph goes)
    own_pdfium, fast_pdfium = pdfium.PdfDocument(own_pdf), pdfium.PdfDocument(pdf)
    for k, (page_own, page_fast) in enumerate(zip(own.pages, fast.pages, strict=True)):
        assert page_fast.extract_text() == page_own.extract_text()
        assert (fast_pdfium[k].get_textpage().get_text_range()
                == own_pdfium[k].get_textpage().get_text_range())
        image_fast = fast_pdfium[k].render(scale=2).to_pil().tobytes()
        assert own_pdfium[k].render(scale=2).to_pil().tobytes() == image_fast
    root = fast.trailer["/Root"]
    assert root["/Lang"] == lang
    xmp = root["/Metadata"].get_object().get_data()
    assert f"<rdf:li>{lang}</rdf:li>".encode() in xmp and b"<rdf:li>zh</rdf:li>" not in xmp
    assert thai.find_broken_words(pdf) == []
    # the source handed out for `typst compile` is typeset under the report's own language
    assert 'break-lang: "zh"' not in render_notebook(nb, own_lang=True).source


def _lines_in_narrow_boxes(texts: list[str], lang: str) -> list[str]:
    import typst

    from abcresearch.reports.render.pdf import typst_fonts
    from abcresearch.reports.render.typst import escape_markup

    pages = [f"#page(width: {w}cm + 10pt, height: auto, margin: 5pt)[{escape_markup(t)}]"
             for t in texts for w in (0.6, 0.9, 1.2, 1.5, 2.0, 2.5)]
    source = f'#set text(lang: "{lang}", font: "Noto Sans Thai", size: 10pt)\n' + "\n".join(pages)
    pdf = typst.Compiler(font_paths=typst_fonts(), ignore_system_fonts=True).compile(
        source.encode(), format="pdf")
    doc = pdfium.PdfDocument(pdf)
    return [thai.strip_marks(doc[i].get_textpage().get_text_range()) for i in range(len(doc))]


def test_lines_break_under_break_lang_as_under_thai_beside_quotes_and_marks() -> None:
    """Curly quotes touching other characters: the Chinese rules broke before “ and after ”
    ("ข้อมูล|“ทุน”|(ก)"); with the word joiners of mark_breaks they break as under Thai."""
    texts = [thai.mark_breaks(t) for t in [*QUOTED, "ร้อยละ 25% (ก)/ข", "ทุน…ทุน·ทุน",
                                           "1,234.5 บาท", "A/B/C", "2549–2551 ก—ข"]]
    assert _lines_in_narrow_boxes(texts, "zh") == _lines_in_narrow_boxes(texts, "th")
    # without them the Chinese rules break beside the quotes
    bare = _lines_in_narrow_boxes(QUOTED[:1], "zh")
    assert bare != _lines_in_narrow_boxes(QUOTED[:1], "th")


VILLAGE_LABELS = ["หมู่ที่ 2 บ้านเกาะไม้ไผ่", "และหมู่ที่ 12 บ้านโคกเตย", "หมู่ที่2 บ้านเกาะไม้ไผ่",
                  "หมู่ 7 ม. 3 ม.4 หมู่ที่ ๑๒", "Village 12 บ้านเกาะไม้ไผ่ (no figure)",
                  "villages 2, 4 and 12: Village 12"]


def test_a_villages_word_and_number_are_one_unit() -> None:
    """"หมู่ที่ 4" is written with a no-break space, "หมู่ที่4" with a word joiner, and "หมู่" stays
    with "ที่"; English "Village 12" too. The name after the number may still go to the next
    line, and the text copies out as it was."""
    nbsp, wj, zwsp = thai.NO_BREAK_SPACE, thai.WORD_JOINER, thai.ZERO_WIDTH_SPACE
    for text in VILLAGE_LABELS:
        marked = thai.mark_breaks(text)
        assert thai.strip_marks(marked) == text
        # no plain space and no break opportunity between the word and its number, nor inside
        assert not re.search(f"หมู่{zwsp}ที่|(หมู่|ที่|ม\\.|Village)[ {zwsp}]*[0-9๐-๙]", marked), marked
    assert thai.mark_breaks("หมู่ที่2").replace(wj, "") == "หมู่ที่2"
    assert thai.mark_breaks("หมู่ที่2").count(wj) == 3  # หมู่|ที่, ที่|2 and inside "หมู่"
    assert thai.mark_breaks("Village 12") == f"Village{nbsp}12"
    # the space before the village's own name stays a break opportunity
    assert " บ้าน" in thai.mark_breaks(VILLAGE_LABELS[0]).replace(wj, "").replace(zwsp, "")
    # not a village's word: the end of another word, a word without a number
    assert thai.mark_breaks("Villages 4") == "Villages 4"
    assert thai.mark_breaks("Subvillage 4") == "Subvillage 4"
    # the words are those a village is named with
    from abcresearch.survey.areas import get_area

    for lang in ("th", "en"):
        name = get_area("80011504").label(lang)  # "หมู่ที่ 4", "Village 4"
        found = thai.VILLAGE_NUMBER.match(name)
        assert found is not None and name[found.end():] == "4", name


@pytest.mark.parametrize("lang", ["zh", "th"])
def test_a_line_never_breaks_inside_a_villages_word_and_number(lang: str) -> None:
    """A line ended "หมู่" over "ที่2 บ้านเกาะไม้ไผ่" and "Village" over "12 บ้าน…" in narrow
    boxes (0.6 to 2.5 cm); every line break of the village labels is now before or after the
    unit, and the unit copies out with a plain space (a glyph missing from the font would
    copy out as nothing)."""
    pages = _lines_in_narrow_boxes([thai.mark_breaks(t) for t in VILLAGE_LABELS], lang)
    unit = re.compile("(หมู่ที่|หมู่|ม\\.|Village) ?[0-9๐-๙]+")
    seen = 0
    for page, text in zip(pages, [t for t in VILLAGE_LABELS for _ in range(6)], strict=True):
        lines = [line.strip() for line in page.split("\r\n") if line.strip()]
        for a, b in zip(lines, lines[1:], strict=False):
            assert not (a.endswith(("หมู่ที่", "หมู่", "ม.", "Village", "ที่"))
                        and b[:1] in "0123456789๐๑๒๓๔๕๖๗๘๙"), (text, lines)
            assert not (a.endswith("หมู่") and b.startswith("ที่")), (text, lines)
        seen += sum(len(unit.findall(line)) for line in lines)
    # every unit of every label is read whole, on one line, at every width
    assert seen == 6 * sum(len(unit.findall(t)) for t in VILLAGE_LABELS)


def test_repetition_and_abbreviation_marks_stay_with_their_word() -> None:
    """ๆ and ฯ belong to the word before them: Typst's Thai rules broke "กรุงเทพ|ฯ", the marks
    under "zh" do not."""
    lines = _lines_in_narrow_boxes([thai.mark_breaks("ต่างๆ นานา กรุงเทพฯ")], "zh")
    assert all(not line.lstrip().startswith(("ๆ", "ฯ")) for page in lines
               for line in page.split("\r\n")), lines


def test_a_repetition_mark_after_a_space_stays_with_its_word() -> None:
    """Thai spacing writes ๆ after a space ("คร่าว ๆ"): a line never starts with it (a reader
    review found "คร่าว" over "ๆ จากผลรวม" in a table's notes)."""
    text = "ตัวเลขเหล่านี้คร่าว ๆ จากผลรวม และอื่น ๆ อีกมาก"
    assert thai.mark_breaks(text).count("\u00a0ๆ") == 2
    lines = _lines_in_narrow_boxes([thai.mark_breaks(text)], "zh")
    assert all(not line.lstrip().startswith(("ๆ", "ฯ")) for page in lines
               for line in page.split("\r\n")), lines


def test_a_count_of_a_total_is_one_figure_across_a_line_break() -> None:
    """"3 จาก 11 หมู่บ้าน" stays on one line: a line ended "…กองทุน 3" over "จาก 11 หมู่บ้าน"
    (a reader review); "จาก" that is not "of" a number ("5 จากการสำรวจ") may still break."""
    text = ("หมู่บ้านที่แบบสำรวจข้อมูลหมู่บ้านระบุสมาชิก 0 คนและเงินกองทุน 0 บาท (อาจยังไม่มีกองทุน): "
            "3 จาก 11 หมู่บ้าน ได้แก่ หมู่ที่ 4 บ้านโคกพลู")
    assert "3\u00a0จา\u2060ก\u00a011" in thai.mark_breaks(text)
    assert "5 จา" in thai.mark_breaks("ข้อมูล 5 จากการสำรวจ")
    lines = _lines_in_narrow_boxes([thai.mark_breaks(text)], "zh")
    assert all(not line.lstrip().startswith("จาก") for page in lines
               for line in page.split("\r\n")), lines


def test_retagging_sets_the_report_language_in_typsts_own_pdf() -> None:
    """Also when the text-layer pass leaves Typst's PDF as it is: catalog and XMP say "th"."""
    import io

    import typst
    from pypdf import PdfReader

    from abcresearch.reports.render.pdf import retag_language, typst_fonts

    pdf = typst.Compiler(font_paths=typst_fonts(), ignore_system_fonts=True).compile(
        '#set text(lang: "zh", font: "Noto Sans Thai")\nทุน'.encode(), format="pdf")
    assert b"/Lang(zh)" in pdf and b"<rdf:li>zh</rdf:li>" in pdf
    fixed = retag_language(pdf, "zh", "th")
    assert len(fixed) == len(pdf)
    assert b"/Lang(zh)" not in fixed and b"<rdf:li>zh</rdf:li>" not in fixed
    reader = PdfReader(io.BytesIO(fixed), strict=True)
    assert reader.trailer["/Root"]["/Lang"] == "th"
    assert b"<rdf:li>th</rdf:li>" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    with pytest.raises(ValueError, match="different lengths"):
        retag_language(pdf, "zh", "tha")


def test_no_suspects_entry_for_poppler_to_complain_about() -> None:
    """pdftotext printed "Syntax Error: Suspects object is wrong type (boolean)" for every
    report: Typst writes the default ``/Suspects false``, which poppler takes for an error."""
    import io

    from pypdf import PdfReader

    from abcresearch.reports.render.pdf import compile_pdf
    from abcresearch.reports.render.typst import TypstDocument

    pdf = compile_pdf(TypstDocument(source='#set text(font: "Noto Sans Thai")\nทุน',
                                    files={}, lang="th"))
    assert b"/Suspects" not in pdf
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert bool(reader.trailer["/Root"]["/MarkInfo"]["/Marked"])
    assert reader.pages[0].extract_text().strip() == "ทุน"


@pytest.mark.parametrize("name", ["Village 7 (บ้านห้วยทราย)", "Village 1 (บ้านนบเคี่ยม), next"])
def test_a_bracket_stays_beside_the_word_it_closes_in_a_narrow_column(name: str) -> None:
    """A long word is boxed so that it breaks at its parts only when it must; a box that wraps
    sets what follows it beside its first line, and the English report's tables read
    "(บ้าน )" over "ห้วยทราย" (a reader review)."""
    import pypdfium2

    with thai.keep_names_whole(["บ้านห้วยทราย", "บ้านนบเคี่ยม"]):  # a report's village names
        cell = thai.mark_breaks(name)
    assert "\u200c" in cell  # one long word that breaks at its parts only when it must
    source = ('#set text(lang: "zh", font: "Noto Sans Thai", size: 9pt)\n'
              "#set page(width: 6cm, height: auto, margin: 0.5cm)\n" + thai.TYPST_RULES
              + f'\n#table(columns: (1.5cm,), inset: 3pt, "{cell}")\n')
    page = pypdfium2.PdfDocument(compile_pdf(TypstDocument(source=source)))[0]
    text = page.get_textpage()
    chars = text.get_text_range()
    close = chars.index(")")
    last = max(i for i in range(close) if "\u0e01" <= chars[i] <= "\u0e4e")
    left, bottom, _, top = text.get_charbox(close)
    _, last_bottom, last_right, last_top = text.get_charbox(last)
    assert bottom < last_top and last_bottom < top, (chars, "not on the word's last line")
    assert left >= last_right - 0.5, chars


@pytest.mark.parametrize(("width", "lines"), [
    ("2.8cm", ["หมู่ที่ 17", "บ้านคลองเงิน"]),  # the name fits the column: it moves down whole
    ("1.7cm", ["หมู่ที่ 17", "บ้านคลอง", "เงิน"]),  # it does not: it breaks at its parts
])
def test_a_long_name_after_other_words_breaks_only_where_it_alone_is_too_wide(
        width: str, lines: list[str]) -> None:
    """"หมู่ที่ 17 บ้านคลอง" over "เงิน" in the organisations table, whose village column held
    "บ้านคลองเงิน" (a reader review): the name's first part was boxed apart from the rest, and a
    line broke between the two boxes. The word's box holds its parts' boxes."""
    import pypdfium2

    with thai.keep_names_whole(["บ้านคลองเงิน"]):
        cell = thai.mark_breaks("หมู่ที่ 17 บ้านคลองเงิน")
    assert thai.PART_MARK in cell and thai.SUB_PART_MARK in cell  # "บ้านคลอง" is long too
    source = ('#set text(lang: "zh", font: "Noto Sans Thai", size: 9pt)\n'
              "#set page(width: 8cm, height: auto, margin: 0.5cm)\n" + thai.TYPST_RULES
              + f'\n#table(columns: ({width},), inset: 3pt, "{cell}")\n')
    page = pypdfium2.PdfDocument(compile_pdf(TypstDocument(source=source)))[0]
    text = thai.strip_marks(page.get_textpage().get_text_range())
    assert [line.strip() for line in text.splitlines() if line.strip()] == lines


def test_a_short_paragraph_before_a_list_never_ends_a_page_its_list_starts_the_next() -> None:
    """"What would bring Tha Rai to group A (all of these)" ended a page, its list on the next
    (a reader review): a short paragraph just before a list stays with it; a long one flows."""
    intro = "สิ่งที่จะช่วยให้ตำบลทดสอบก้าวสู่กลุ่ม A (ต้องทำได้ทุกข้อ)"
    items = "\n".join(f"- ข้อที่ {i + 1} ของรายการ" for i in range(3))
    nb = _kept_on_one_page(
        lambda paragraphs: [new_markdown_cell(f"{paragraphs}\n\n**{intro}**\n\n{items}")],
        intro, "ข้อที่ 1 ของรายการ")
    nb.cells = [new_markdown_cell(f"{' '.join([intro] * 12)}\n\n{items}")]
    assert "sticky" not in render_notebook(nb).source.split("#show: report.with(")[-1]


def test_a_list_items_first_line_never_ends_a_page_its_own_list_starts_the_next() -> None:
    """"ตำบลบางจาก: กลุ่ม B · ความจำเป็นไม่สูง" ended an amphoe report's page and its reasons
    began the next (a reader review): an item's first line stays with its nested list."""
    head = "ตำบลทดสอบ: กลุ่ม B · ความจำเป็นไม่สูง"
    reasons = "\n".join(f"  - เหตุผลข้อที่ {i + 1} ของตำบลนี้" for i in range(3))
    nb = _kept_on_one_page(
        lambda paragraphs: [new_markdown_cell(
            f"{paragraphs}\n\n- **ตำบลแรก**: กลุ่ม C\n  - เหตุผลของตำบลแรก\n"
            f"- **{head.split(':')[0]}**:{head.split(':')[1]}\n{reasons}")],
        head.split(":")[1].strip(), "เหตุผลข้อที่ 1 ของตำบลนี้")
    assert "- #context block(sticky: true, below: par.leading)[" in render_notebook(nb).source
    # kept with its items at the list's own line spacing (a block's paragraph spacing first
    # opened a gap under each such line)
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
    nb.cells = [new_markdown_cell(f"- **ตำบลแรก**: กลุ่ม C\n  - เหตุผลของตำบลแรก\n"
                                  f"- **ตำบลทดสอบ**: กลุ่ม B\n{reasons}")]
    text = pdfium.PdfDocument(compile_pdf(render_notebook(nb)))[0].get_textpage()
    chars = text.get_text_range()

    def baseline(s: str) -> float:  # the bottom of a first letter that sits on the line
        return text.get_charbox(chars.index(s))[1]

    item_to_reason = baseline("ตำบลทดสอบ") - baseline("เหตุผลข้อที่ 1")
    reason_to_reason = baseline("เหตุผลข้อที่ 1") - baseline("เหตุผลข้อที่ 2")
    assert abs(item_to_reason - reason_to_reason) < 1.0, (item_to_reason, reason_to_reason)


def test_a_short_list_inside_an_item_never_splits_across_pages() -> None:
    """The last of a village's reasons stood alone at the top of a page, cut off from the
    village (a reader review of a tambon report): a list of up to eight items inside an item
    stays on one page with the item's first line; a longer one may break."""
    reasons = "\n".join(f"  - เหตุผลข้อที่ {i + 1} ของหมู่บ้านนี้" for i in range(5))
    _kept_on_one_page(
        lambda paragraphs: [new_markdown_cell(
            f"{paragraphs}\n\n- **หมู่ที่ 1**: กลุ่ม C\n  - เหตุผลของหมู่ที่ 1\n"
            f"- **หมู่ที่ 2 บ้านทดสอบ**: กลุ่ม B\n{reasons}")],
        "เหตุผลข้อที่ 1 ของหมู่บ้านนี้", "เหตุผลข้อที่ 5 ของหมู่บ้านนี้")
    from abcresearch.reports.render.typst import markdown_to_typst

    long = "\n".join(f"  - ข้อที่ {i + 1}" for i in range(9))
    assert "breakable: false" not in markdown_to_typst(f"- หมู่ที่ 3\n{long}")
    assert "breakable: false" not in markdown_to_typst("- ข้อหนึ่ง\n- ข้อสอง")  # not nested


def test_the_page_header_stays_on_one_line_with_two_digit_page_numbers() -> None:
    """"Kamphaeng Sao Subdistrict · ตำบลกำแพงเซา · Survey round 2549" beside the English
    synthetic-data label and "Page 13 of 22" wrapped from page 10 on (a reader review): the
    name is set smaller where it would not fit beside them, on every page."""
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"lang": "en", "header": {
        "title": "Kamphaeng Sao Subdistrict · ตำบลกำแพงเซา", "subtitle": "Survey round 2549",
        "synthetic": True, "lang": "en"}}
    nb.cells = [new_markdown_cell("\n\n".join(f"Paragraph {i + 1}." for i in range(500)))]
    doc = pdfium.PdfDocument(compile_pdf(render_notebook(nb)))
    assert len(doc) >= 12
    for i in range(len(doc)):
        page = doc[i].get_textpage()
        height = doc[i].get_height()
        # the header's characters: above the body (the top 2.5 cm margin)
        tops = {round(page.get_charbox(j)[1]) for j in range(page.count_chars())
                if page.get_charbox(j)[1] > height - 2.5 * 72 / 2.54
                and not page.get_text_range(j, 1).isspace()}
        assert max(tops) - min(tops) <= 6, (i + 1, sorted(tops))  # a second line: 10 or more


def test_the_reports_compounds_the_word_list_lacks_stay_whole() -> None:
    """A reader review found "โรง|รมยาง", "(กรณี|ฐาน)" and "เจ็บป่วยนอนโรง|พยาบาล" broken in
    the PDFs: data/thai_words_extra.txt adds them to PyThaiNLP's list."""
    assert thai.segment("โรงรมยาง") == ["โรงรมยาง"]
    assert thai.segment("(กรณีฐาน)") == ["(", "กรณีฐาน", ")"]
    assert thai.segment("เจ็บป่วยนอนโรงพยาบาล") == ["เจ็บป่วย", "นอนโรงพยาบาล"]
    # a long one breaks at its parts only: before "โรงพยาบาล", never inside "นอน"
    assert thai.word_parts("นอนโรงพยาบาล")[0] == "นอน"
    # "ความยากจนหลาย|มิติ" and "(ภาคผนวก|วิธีการ)" at line ends (a reader review)
    assert thai.segment("ความยากจนหลายมิติตามวิธี")[-3:] == ["หลายมิติ", "ตาม", "วิธี"]
    assert thai.segment("(ภาคผนวกวิธีการ)") == ["(", "ภาคผนวกวิธีการ", ")"]
    # the village form's kinds of groups, listed on the readiness page ("ชมรม" over
    # "ผู้สูงอายุ" at a line end; a reader review)
    assert thai.segment("ชมรมผู้สูงอายุ, กลุ่มแม่บ้าน/สตรี")[::2] == ["ชมรมผู้สูงอายุ", "กลุ่มแม่บ้าน",
                                                                  "สตรี"]


COUNTS = ["จัดเวทีประชาคมปีละ 4 ครั้งต่อปี", "มี 12 ครัวเรือน และ 1,250 บาทต่อคน", "อย่างน้อย 5 จุดร้อยละ",
          "ต่างกัน 5 จุด จาก ๓ ด้าน"]


def test_a_number_and_the_word_that_counts_it_stay_on_one_line() -> None:
    """A line ended "ปีละ 4" over "ครั้ง" (a number and its classifier read as two things); the
    space before a counting word is a no-break space, the space before other words (a village's
    name, "ข้อมูล" that only starts like "ข้อ") stays a place to break, and the text copies out
    as it was."""
    nbsp = thai.NO_BREAK_SPACE
    for text in COUNTS:
        marked = thai.mark_breaks(text)
        assert thai.strip_marks(marked) == text
        assert not re.search("[0-9๐-๙] ", marked), marked
    assert f"4{nbsp}ค" in thai.mark_breaks(COUNTS[0])
    assert " บ้า" in thai.mark_breaks("หมู่ที่ 13 บ้านควนตะเคียน")
    assert thai.mark_breaks("2549 ข้อมูลสังเคราะห์").startswith("2549 ")
    assert thai.mark_breaks("41% ของครัวเรือน").startswith("41% ")
    lines = _lines_in_narrow_boxes([thai.mark_breaks(t) for t in COUNTS], "zh")
    for page in lines:
        rows = [line.strip() for line in page.split("\r\n") if line.strip()]
        assert not [b for b in rows[1:] if b.startswith(("ครั้ง", "ครัวเรือน", "บาท", "จุด",
                                                          "ด้าน"))], rows


def test_per_words_at_least_and_dates_do_not_break_inside() -> None:
    """A reader review found "เฉลี่ยปี|ละ 3.3 ครั้ง", "อย่าง|น้อย 5 จุด", "ดิน|ถล่ม" and
    "26|ก.พ. 2550": "ปีละ" and "อย่างน้อย" are words, and a day's number stays with its month
    (in full or abbreviated) as the month does with its year."""
    nbsp, zwsp = thai.NO_BREAK_SPACE, thai.ZERO_WIDTH_SPACE
    for word in ("ปีละ", "วันละ", "อย่างน้อย", "ดินถล่ม", "มากที่สุด", "จุดร้อยละ"):
        assert word in thai.segment(f"เฉลี่ย{word}สามครั้ง"), word
        assert zwsp not in thai.mark_breaks(word), word
    for date in ("26 ก.พ. 2550", "3 มีนาคม 2550", "๓ ธ.ค. ๒๕๔๙"):
        marked = thai.mark_breaks(f"เวทีประชาคมวันที่ {date} ที่ศาลา")
        assert thai.strip_marks(marked) == f"เวทีประชาคมวันที่ {date} ที่ศาลา"
        day, month, year = date.split(" ")
        assert f"{day}{nbsp}{month}{nbsp}{year}" in marked.replace(thai.WORD_JOINER, ""), marked
    assert thai.mark_breaks("2549 มีนาคม") == f"2549{nbsp}มี\u2060นา\u2060ค\u2060ม"


def test_comparisons_and_capital_names_do_not_break_inside() -> None:
    """"ต่ำ|กว่า" at a line end (the left-longest tie took "ที่ต่ำ", lowland, before "กว่า"),
    "ทุน|ภูมิปัญญา" and "ใกล้|เกณฑ์" in the overview and amphoe reports (a Thai reader's
    review)."""
    from abcresearch.reports.render.thai import segment

    assert not any(w.endswith("ต่ำ") for w in segment("ด้านที่ต่ำกว่าค่าเฉลี่ยจังหวัด"))
    assert "ทุนภูมิปัญญา" in segment("ขาดแคลนบ่อยที่สุดคือทุนภูมิปัญญา")
    assert "ใกล้เกณฑ์" in segment("ความจำเป็นใกล้เกณฑ์")
    assert "สูงกว่า" in segment("ซึ่งสูงกว่าจังหวัด")


@pytest.mark.parametrize("n", [2, 3])
def test_a_table_of_a_few_long_rows_stays_whole_with_its_notes(n: int) -> None:
    """A table of two or three rows with long cells (breakable, as any table with a cell of
    over 60 characters) split 1 + 1 or 2 + 1, its last row and notes alone under the repeated
    heading (a code review): its rows and notes now stay on one page."""
    long = "ครัวเรือนที่ยังไม่มีสมาชิกที่มีทักษะอาชีพและยังไม่ได้รับการฝึกอบรมจากหน่วยงานใดเลย"
    frame = pd.DataFrame({"เรื่อง": [f"แถวที่ {i + 1} {long}" for i in range(n)],
                          "ร้อยละ": range(n)})
    moved = 0
    for k in range(28, 44):
        nb = new_notebook()
        nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
        nb.cells = [new_markdown_cell("\n\n".join(f"ย่อหน้าที่ {i + 1}" for i in range(k))),
                    new_code_cell("t", outputs=[new_output("display_data", data={
                        TABLE_MIME: table_spec(frame, caption="ตารางสั้นแถวยาว",
                                               notes="หมายเหตุท้ายตารางสั้น")})])]
        pages = _page_texts(nb)
        counts = _rows_by_page(pages, "แถวที่ ")
        assert counts == [n], (k, counts)
        at = next(i for i, p in enumerate(pages) if "แถวที่ 1" in p)
        assert "หมายเหตุท้ายตารางสั้น" in pages[at]
        moved += at > 0
    assert moved, "the test cannot fail: the table never reached a page foot"


def _chart_on_pages(k: int, heading: str | None = None, drawn: bool = False
                    ) -> tuple[int, int, float | None, float, float]:
    """A report of ``k`` paragraphs, a 400 x 300 pt chart, then more paragraphs.

    The chart is an SVG, or with ``drawn`` Typst content (as a report's levels chart,
    :meth:`Figure.from_typst`), which the template sets the same way.

    With ``heading``, a heading just before the chart: in the chart's cell, as a section
    writes it (``"same"``), in a Markdown cell of its own (``"cell"``), or a short introduction
    kept with the chart (``"intro"``). Returns the page of the last paragraph (the heading)
    before the chart, the page of the chart, the chart's drawn height (pt; None where not
    found), and the bottom of that paragraph's text and the top of the chart (pt from the page
    foot; 0 where not found).
    """
    from abcresearch.reports.render.typst import TYPST_MIME
    from abcresearch.reports.results import Figure

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="400pt" height="300pt" '
           'viewBox="0 0 400 300"><rect width="400" height="300" fill="#12ab34"/></svg>')
    fig = Figure(svg=svg, caption="ภาพทดสอบการย่อ",
                 markup='#rect(width: 400pt, height: 300pt, fill: rgb("#12ab34"))' if drawn
                 else None)
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "ทดสอบ"}, "lang": "th"}
    nb.cells = [new_markdown_cell("\n\n".join(f"ย่อหน้าที่ {i + 1}" for i in range(k))),
                *([new_markdown_cell("## หัวข้อของภาพ")] if heading == "cell" else []),
                new_code_cell("f", outputs=[
                    *([new_output("display_data", data={"text/markdown": {
                        "same": "## หัวข้อของภาพ", "intro": "หัวข้อของภาพ สั้น ๆ"}[heading]})]
                      if heading in ("same", "intro") else []),
                    new_output("display_data", data={TYPST_MIME: fig.typst()})]),
                new_markdown_cell("\n\n".join(f"ต่อท้ายที่ {i + 1}" for i in range(8)))]
    doc = pdfium.PdfDocument(compile_pdf(render_notebook(nb)))
    texts = [doc[i].get_textpage() for i in range(len(doc))]
    before = "หัวข้อของภาพ" if heading else f"ย่อหน้าที่ {k}"
    last = next(i for i, tp in enumerate(texts) if f"{before}\r" in tp.get_text_range()
                or tp.get_text_range().rstrip().endswith(before)
                or (heading and before in tp.get_text_range()))
    found = texts[last].search(before).get_next()
    bottom = min(texts[last].get_charbox(found[0] + j)[1] for j in range(found[1]))
    chart_page, height, top = -1, None, 0.0
    for i in range(len(doc)):
        for obj in doc[i].get_objects(max_depth=4):
            if obj.type == pdfium.raw.FPDF_PAGEOBJ_PATH:
                left, low, right, high = obj.get_bounds()
                if abs((right - left) - (high - low) * 4 / 3) < 1 and high - low > 100:
                    chart_page, height, top = i, high - low, high
    return last, chart_page, height, bottom, top


@pytest.mark.parametrize("drawn", [False, True], ids=["svg", "drawn-by-typst"])
def test_a_chart_a_little_too_tall_for_the_rest_of_its_page_is_set_smaller_there(
        drawn: bool) -> None:
    """A chart that moved whole to the next page left up to half a page blank under the text
    before it (a reader review): where at most a fifth smaller it fits the rest of the page, it
    is set that much smaller there; otherwise it moves, whole and at its size. It never covers
    the text before it. The same for a chart drawn by Typst (the levels chart)."""
    scaled, moved = [], 0
    for k in range(20, 47):
        last, page, height, bottom, top = _chart_on_pages(k, drawn=drawn)
        assert height is not None, k
        assert page >= last and (page == last or height > 299), (k, last, page, height)
        assert height >= 0.8 * 300 - 1, (k, height)
        if page == last:
            assert top < bottom, (k, top, bottom)  # below the paragraph, not over it
            if height < 299:
                scaled.append(k)
        else:
            moved += 1
    # the test cannot fail unless both happened
    assert scaled and moved, (scaled, moved)


@pytest.mark.parametrize("drawn", [False, True], ids=["svg", "drawn-by-typst"])
@pytest.mark.parametrize("heading", ["same", "cell", "intro"])
def test_a_chart_after_a_heading_moves_with_it(heading: str, drawn: bool) -> None:
    """A heading stood alone at a page foot when the chart after it was set smaller there
    while the heading kept to the mark before the chart: a chart after a heading (in its cell
    or a Markdown cell before it) or a short introduction kept with it moves with it, at its
    size, where it does not fit."""
    moved = 0
    for k in range(26, 40):
        last, page, height, _, _ = _chart_on_pages(k, heading=heading, drawn=drawn)
        assert page == last and height is not None and height > 299, (k, last, page, height)
        moved += page > 0
    assert moved, "the test cannot fail: the chart never reached a second page"


def test_a_range_between_numbers_stays_on_one_line() -> None:
    """"109,000–" ended a line and "123,000" began the next (a reader review): an en dash
    between two numbers is joined to both; a dash beside a word is not."""
    from abcresearch.reports.render.thai import WORD_JOINER, mark_breaks

    assert f"109,000{WORD_JOINER}–{WORD_JOINER}123,000" in mark_breaks(
        "ราว 109,000–123,000 บาท")
    assert f"29{WORD_JOINER}–{WORD_JOINER}38" in mark_breaks("(29–38)")
    assert WORD_JOINER + "–" not in mark_breaks("ทุน – ครัวเรือน")


def test_a_phrase_taken_out_of_the_word_list_no_longer_breaks_a_compound() -> None:
    """"หมู่บ้านที่มีแผนแม่บท" broke "มีแผน|แม่บท" (a reader review): the word list's phrase
    "มีแผน" is taken out ("-มีแผน" in thai_words_extra.txt), and "แผนแม่บท" stays one word."""
    from abcresearch.reports.render.thai import ZERO_WIDTH_SPACE, mark_breaks

    words = mark_breaks("หมู่บ้านที่มีแผนแม่บท").split(ZERO_WIDTH_SPACE)
    assert [re.sub("[\u200c\u2060\u2063]", "", w) for w in words][-2:] == ["มี", "แผนแม่บท"]


def test_a_table_set_in_closer_columns_gives_what_is_left_to_its_headings() -> None:
    """An English village's organisation table of eight columns was set in the closer columns
    (3pt a side) with each column at its body's width, and stopped 44pt short of the line
    while "Other / villages / of the / tambon" took four lines: what is left now goes to the
    headings, and the table reaches the line's end."""
    frame = pd.DataFrame({
        "Village": ["Village 3 บ้านควนเหนือ"], "Organisation strength": [31.4],
        "Other villages of the tambon": ["43.8–70.3"], "Readiness group": ["Group B"],
        "Kinds of groups (of 8)": [2], "Welfare-fund members (% of people)": [14.5],
        "Master plan": ["no"], "Forums a year": [2]})
    nb = new_notebook()
    nb.metadata["abcresearch"] = {"header": {"title": "Village 3"}, "lang": "en"}
    nb.cells = [new_code_cell("t", outputs=[new_output("display_data", data={
        TABLE_MIME: table_spec(frame, caption="Organisation strength", decimals=1,
                               numeric=["Organisation strength", "Forums a year"])})])]
    doc = pdfium.PdfDocument(compile_pdf(render_notebook(nb)))
    page = doc[0]
    text = page.get_textpage()
    found = [i for i, ch in enumerate(text.get_text_range()) if ch == "2"]
    right = max(text.get_charbox(i)[2] for i in found)  # the last column's "2", right-aligned
    line_end = page.get_width() - 2 / 2.54 * 72  # the page's right margin is 2 cm
    assert right > line_end - 8, (right, line_end)


def _pieces(text: str) -> list[str]:
    """The pieces between the line-break opportunities :func:`thai.mark_breaks` leaves."""
    return [thai.strip_marks(p) for p in re.split(
        f"[{thai.ZERO_WIDTH_SPACE} ]", thai.mark_breaks(text).replace(thai.NO_BREAK_SPACE, " "))]


@pytest.mark.parametrize(("text", "pieces"), [
    # "not yet" stays whole where the word list has "ยัง" and "ไม่เป็น" ("ที่ยัง / ไม่เป็น...")
    ("ครัวเรือนระดับ 1 ที่ยังไม่เป็นสมาชิกกองทุน", ["ที่", "ยังไม่เป็นสมาชิก"]),
    ("ที่ยังไม่ได้รับ", ["ที่", "ยังไม่ได้รับ"]),
    ("ที่ยังมิได้รับ", ["ที่", "ยังมิได้"]),  # "มิได้" and "มิใช่" are words of the list
    ("ที่ยังมิใช่สมาชิก", ["ที่", "ยังมิใช่"]),
    ("ครัวเรือนยังคงไม่มีรายได้", ["ครัวเรือน", "ยังคงไม่มี"]),  # still not
    ("ยังมีมิติอื่น", ["มิติ"]),  # a word that starts as "มิ" does is no negation
    # "still" before another word keeps its break ("ยังมี" is one word of the list)
    ("ครัวเรือนยังขาดรายได้", ["ยัง", "ขาด"]),
])
def test_not_yet_stays_with_its_negation(text, pieces) -> None:
    words = _pieces(text)
    for piece in pieces:
        assert piece in words, (text, words)


@pytest.mark.parametrize(("text", "whole"), [
    ("(ช่วงความเชื่อมั่น 95%: 1.1 ถึง 14.1)", "1.1 ถึง 14.1)"),
    ("6.2 (-1.8 ถึง -14.1)", "(-1.8 ถึง -14.1)"),
    ("ลดลง 13.3 จุดร้อยละ จาก พ.ศ. 2550 ถึง 2551", "2550 ถึง 2551"),
])
def test_an_interval_stays_on_one_line(text, whole) -> None:
    """A change's sentence broke as "(ช่วงความเชื่อมั่น 95%: 1.1 / ถึง 14.1)" (a review)."""
    marked = thai.mark_breaks(text)
    kept = "".join(c for c in marked if c not in thai.INVISIBLE or c == thai.ZERO_WIDTH_SPACE)
    assert whole.replace(" ", thai.NO_BREAK_SPACE) in kept, repr(marked)


@pytest.mark.parametrize(("text", "pieces"), [
    ("ไม่มีเรื่องใดที่ดีกว่าทั้งจังหวัด", ["ไม่มีเรื่องใด", "ที่"]),
    ("หมู่บ้านใดของตำบล", ["หมู่บ้านใด", "ของ"]),
    ("ในรอบใดรอบหนึ่ง", ["รอบใด", "รอบ"]),
    ("ไม่ได้มาจากองค์กรใด", ["องค์กรใด"]),
])
def test_which_stays_with_the_noun_it_follows(text, pieces) -> None:
    words = _pieces(text)
    for piece in pieces:
        assert piece in words, (text, words)
    assert "ใด" not in words  # no line starts with "ใด"


@pytest.mark.parametrize(("text", "pieces"), [
    # "or not X": "หรือ" and "ไม่X" (the word list's "หรือไม่" broke "เช่าหรือไม่ / มี")
    ("ไม่มีที่ดินทำกินของตนเอง (เช่าหรือไม่มี)", ["หรือ", "ไม่มี)"]),
    ("ความจำเป็น (สูงหรือไม่สูง)", ["หรือ", "ไม่สูง)"]),
    ("ไม่ได้ส่งมาหรือไม่ผ่านการตรวจสอบ", ["หรือ", "ไม่ผ่าน"]),
    # "whether" at a clause's end: "หรือไม่" stays whole, no line starts with "ไม่"
    ("ยังบอกไม่ได้ว่าถึงเกณฑ์หรือไม่ เพราะ", ["หรือไม่"]),
    # and before the next clause's first word, a break after it (not "จริงหรือ / ไม่ก่อนใช้")
    ("ควรตรวจดูว่าเป็นปัญหาที่ดินทำกินจริงหรือไม่ก่อนใช้ข้อเสนอ", ["หรือไม่", "ก่อน"]),
    ("ทำหรือไม่ก็ได้", ["หรือไม่", "ก็ได้"]),
])
def test_or_not_breaks_before_the_negated_word(text, pieces) -> None:
    words = _pieces(text)
    for piece in pieces:
        assert piece in words, (text, words)
    assert "ไม่" not in words  # never a negation alone between two breaks
