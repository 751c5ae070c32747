"""Thai line breaking for Typst: lines break between Thai words, never inside one.

Thai is written without spaces between words, so a typesetter must guess where a line may
break. Typst asks ICU's Thai segmenter, which breaks compounds at their parts ("ครัว|เรือน",
"ความคลาด|เคลื่อน") and sometimes inside a syllable ("จำนวนตำบ|ล"). This module decides the
break opportunities itself, with a dictionary, and writes them into the Typst source with two
invisible characters that Typst understands:

* U+2060 WORD JOINER between the character clusters of a word: no break there;
* U+200B ZERO WIDTH SPACE between two Thai words that touch: a break may go there.

Typst draws no glyph for either, so neither reaches the PDF's text layer (which
:mod:`abcresearch.reports.render.textlayer` builds from the drawn glyphs only). They are put
only into the Typst source: strings written to spreadsheets, summaries or notebooks never pass
through here. Because every break is decided here, Typst need not run its own segmenter: it
typesets under :data:`abcresearch.reports.render.typst.BREAK_LANG`, where a Thai run without
marks cannot break at all, so every Thai string the source holds must pass through
:func:`mark_breaks` (the tests check each kind of notebook output). There the word joiners
between two Thai letters change no line, and the renderer drops them
(:func:`drop_thai_joiners`), except in markup with raw text, which Typst sets in English: a
paragraph with text of two languages gets Typst's own segmenter, which needs them.

A word longer than :data:`LONG_WORD` characters could be wider than a narrow table column. Its
parts (the shorter dictionary words inside it, else its character clusters) are joined by
U+200C ZERO WIDTH NON-JOINER instead of word joiners, and :data:`TYPST_RULES` (show rules; the
reports apply them, as :data:`TYPST_PART_BOXES`, to the tables too narrow for their longest
words) puts each such word in a box in which those parts are break opportunities. The box keeps
the word on one line wherever it fits and breaks it at a part boundary only where the word alone
is wider than its column, instead of letting it overflow. Outside a box a part mark is no break
opportunity, so a long word in running text stays whole.
A part that is itself long has its own parts joined by U+2063 INVISIBLE SEPARATOR and is boxed
again inside the word, so it breaks only where it alone is wider than the column.

A report's own proper names (its villages' names, which are data, not in any word list) are
kept whole the same way: :func:`keep_names_whole` names them for the document being typeset, and
:func:`mark_breaks` then treats each as one word ("บ้านเขาหมาก", not "บ้านเขา|หมาก"), boxed
like a long word so that it breaks at its parts only where a column is narrower than the name.

The dictionary is PyThaiNLP's ``words_th.txt`` (CC0), shipped compressed in ``data/``; it is
loaded once per process (about 60,000 words), when the first Thai text is typeset. The
segmentation is maximal matching over character clusters: the fewest unknown characters, then
the fewest words; unknown stretches are kept whole.

:func:`find_broken_words` is the check: it reads the laid-out lines of a PDF (through pdfium)
and reports every line that ends or starts inside a dictionary word.
"""

from __future__ import annotations

import bisect
import contextlib
import contextvars
import functools
import gzip
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources

__all__ = [
    "ABBREVIATION",
    "CLASSIFIERS",
    "CLOSING_NEGATIONS",
    "CURLY_QUOTES",
    "HEADING_SPLIT_PREFIXES",
    "LONG_WORD",
    "NOUN_PREFIXES",
    "NO_BREAK_AFTER",
    "STILL",
    "STILL_NEGATIONS",
    "THAI_MONTHS",
    "TYPST_PART_BOXES",
    "TYPST_RULES",
    "VILLAGE_NUMBER",
    "VILLAGE_WORDS",
    "WHETHER_CLOSES_BEFORE",
    "BrokenWord",
    "break_opportunities",
    "broken_words_in_lines",
    "clusters",
    "drop_thai_joiners",
    "find_broken_words",
    "is_word",
    "keep_names_whole",
    "load_word_lists",
    "mark_breaks",
    "place_names",
    "segment",
    "strip_marks",
    "word_parts",
]

WORD_JOINER = "\u2060"
ZERO_WIDTH_SPACE = "\u200b"
PART_MARK = "\u200c"  # ZERO WIDTH NON-JOINER: a part boundary inside a long word
SUB_PART_MARK = "\u2063"  # INVISIBLE SEPARATOR: a boundary inside a long part of a long word
HEADING_PART_MARK = "\u2064"  # INVISIBLE PLUS: after a compound's noun prefix, in a heading
INVISIBLE = frozenset(WORD_JOINER + ZERO_WIDTH_SPACE + PART_MARK + SUB_PART_MARK
                      + HEADING_PART_MARK)
"""The characters this module writes; :func:`strip_marks` removes them again."""

LONG_WORD = 7
"""Words of more characters than this may break at their parts when a column is too narrow."""

ABBREVIATION = 6
"""A Thai run of at most this many characters followed by a full stop is an abbreviation
("พอช.", "สปสช.", "อบต.") and is kept whole."""

NOUN_PREFIXES = frozenset({"การ", "ความ"})
"""Prefixes that make a noun of the word after them where the word list has no compound: a
line of running text does not end with one ("ตามความ / กว้างของ", "และการ / ดูแล" in a table's
notes and an action). A table's column heading may still break after one: kept whole,
"การสนับสนุน" widened a ranking's rank column until the tambon names beside it wrapped."""

CLOSING_NEGATIONS = frozenset({"ไม่ได้", "ไม่"})
"""A negation that closes a run of Thai after its verb ("อ่านเขียนภาษาไทยไม่ได้", cannot read
or write Thai; "ถึงเกณฑ์หรือไม่", whether it meets the threshold): a line does not start with it
(a reader review found "อ่านเขียนภาษาไทย / ไม่ได้"); before a verb ("ไม่ได้รับ", "ไม่มี") it is
:data:`NO_BREAK_AFTER`'s."""

WHETHER_CLOSES_BEFORE = frozenset({"ก่อน", "ก็", "ก็ได้", "เพราะ", "จึง", "ขึ้นอยู่กับ"})
"""Words that open a clause after "หรือไม่" (whether): "ตรวจดูว่า…จริงหรือไม่ / ก่อนใช้ข้อเสนอ".
Before one of them "หรือไม่" closes its clause, as at a run's end (:data:`CLOSING_NEGATIONS`),
instead of negating it ("…จริงหรือ / ไม่ก่อนใช้" read as "not before using"; a code review)."""

NO_BREAK_AFTER = frozenset({"ไม่", "มิ", "ไม่ได้", "ยังไม่"}) | NOUN_PREFIXES
"""Words a line does not end with: a negation stays with the word it negates ("ไม่สูง"), and a
noun prefix (:data:`NOUN_PREFIXES`) with its word."""

NO_BREAK_BEFORE = frozenset({"ใด"})
"""Words a line does not start with: "ใด" (which, any) follows the noun it picks out ("เรื่องใด",
"หมู่บ้านใด"); a reader review found "ใด" alone at the start of a table cell's second line."""

STILL = frozenset({"ยัง", "ยังคง"})
""""Still", which with a negation after it means "not yet" or "still not" ("ยังไม่เป็นสมาชิก",
not yet a member): it stays with the negation (:data:`STILL_NEGATIONS`) where the word list
segments them apart ("ที่ยัง / ไม่เป็นสมาชิก" split "not yet" over two lines); before any
other word it may end a line."""

STILL_NEGATIONS = frozenset({"มิ", "มิได้", "มิใช่"})
"""Negations after :data:`STILL` besides a word of the list that starts with "ไม่"."""

CLASSIFIERS = frozenset({
    "ครั้ง", "คน", "ครัวเรือน", "ครอบครัว", "หมู่บ้าน", "ตำบล", "อำเภอ", "จังหวัด", "แห่ง",
    "กลุ่ม", "กองทุน", "องค์กร", "เรื่อง", "ข้อ", "ด้าน", "ระดับ", "ขั้น", "ประเภท", "แผน",
    "ราย", "หลัง", "ไร่", "ตัว", "คู่", "รอบ", "เท่า", "จุด", "คะแนน", "บาท", "ล้าน", "แสน",
    "หมื่น", "พัน", "ปี", "เดือน", "สัปดาห์", "วัน", "ชั่วโมง", "นาที", "เปอร์เซ็นต์",
    # the word list's compounds of a counting word: "5 จุดร้อยละ", "2 คนละ", "3 วันละ"
    "จุดร้อยละ", "คนละ", "ครั้งละ", "วันละ", "เดือนละ", "ปีละ",
})
"""Words that count what a number before them counts (Thai classifiers and units): a line does
not break between the number and the word ("ปีละ 4" at a line's end and "ครั้ง" starting the
next read as two things). Other words after a number stay a place to break ("หมู่ที่ 13" over
"บ้านควนตะเคียน" in a narrow column)."""

ORDINAL = "ที่"
"""The ordinal word: before a number it stays with the word before it ("ขั้นที่ 2")."""

DISTRIBUTIVE = "ละ"
"""The distributive suffix ("ตำบลละ 6,253 บาท", a tambon each): kept with the word before it
before a number, as :data:`ORDINAL` is."""

VILLAGE_WORDS = ("หมู่ที่", "หมู่", "ม.", "Village")
"""The words a village's number follows: "หมู่ที่ 4" and "Village 4" as
:func:`abcresearch.survey.areas.get_area` names a village, "หมู่ 4" and "ม. 4" as a name typed
on a village form may have it. Word and number are one unit that a line never breaks
(:data:`VILLAGE_NUMBER`)."""

_OPENING = "[(\\\\[\u201c\u2018]?"
_CLOSING = "[)\\\\]\u201d\u2019.,:;]*"
TYPST_PART_BOXES = (
    "#let abc-part-boxes(body) = {\n"
    f'  show regex("{_OPENING}[\\u{{0E01}}-\\u{{0E5B}}\\u{{2060}}]*\\u{{2063}}'
    f'[\\u{{0E01}}-\\u{{0E5B}}\\u{{2060}}\\u{{2063}}]*{_CLOSING}"): '
    'it => box(it.text.replace("\\u{2063}", "\\u{200B}"))\n'
    f'  show regex("{_OPENING}[\\u{{0E01}}-\\u{{0E5B}}\\u{{2060}}\\u{{2063}}]*\\u{{200C}}'
    f'[\\u{{0E01}}-\\u{{0E5B}}\\u{{2060}}\\u{{200C}}\\u{{2063}}]*{_CLOSING}"): '
    'it => box(it.text.replace("\\u{200C}", "\\u{200B}"))\n'
    "  body\n"
    "}"
)
"""A Typst function, ``abc-part-boxes(body)``, whose show rules box the long words of ``body``
marked by :func:`mark_breaks` (see :data:`TYPST_RULES`).

Reports apply it only to a table too narrow for its longest words, or one of content cells
(a Markdown table's, which the template neither measures nor joins; the template's
``abc-table``): everywhere else a line is wider than any word, and a part mark outside a box is
no break opportunity (U+200C is a combining mark for line breaking, U+2063 a letter), so the
word stays whole without the box. Boxing every long word of a report took a sixth of its
compile.
"""

TYPST_RULES = TYPST_PART_BOXES + "\n#show: abc-part-boxes"
"""Typst show rules that box the long words marked by :func:`mark_breaks`, and in them the long
parts: a part breaks at its own parts only where it alone is wider than the column. (For a
document of its own; the reports apply :data:`TYPST_PART_BOXES` to narrow tables only.)

The word's rule comes last, so Typst applies it first (a later show rule goes first) and the
part's rule then works inside the word's box. The other way round, a long first part was boxed
alone and the rest of the word after it, and a line could break between the two boxes:
"หมู่ที่ 17 บ้านคลอง" over "เงิน" in a column that holds "บ้านคลองเงิน" (a reader review).

A bracket or quotation mark touching the word, and the punctuation after it, are in its box: a
box that wraps sets what follows it beside its first line, and "(บ้านห้วยทราย)" in a narrow
column read "(บ้าน )" over "ห้วยทราย"."""

_THAI_RUN = re.compile("[\u0e01-\u0e4e]+")

CURLY_QUOTES = "\u2018\u2019\u201c\u201d"
"""‘ ’ “ ”: no line break beside one but at a space (the Unicode rule for quotation marks).

Typst's segmenter for Chinese, under which reports are typeset
(:data:`abcresearch.reports.render.typst.BREAK_LANG`), takes them for opening and closing
brackets and breaks before “ and after ” ("ข้อมูล|“ทุน”|(ก)"); :func:`mark_breaks` puts a word
joiner between a curly quote and any character it touches, so they break as under Thai.
"""

_QUOTE_TOUCHING = re.compile(
    f"(?<=[^\\s{''.join(sorted(INVISIBLE))}])(?=[{CURLY_QUOTES}])"
    f"|(?<=[{CURLY_QUOTES}])(?=[^\\s{''.join(sorted(INVISIBLE))}])"
)
# a space between a Thai word and the number it introduces ("ระดับ 1", "หมู่ที่ 4", "ร้อยละ 41"):
# a line does not break there
_SPACE_BEFORE_NUMBER = re.compile(  # "พ.ศ. 2549" too, and a group's letter ("กลุ่ม B")
    "(?:(?<=[\u0e01-\u0e4e])|(?<=[\u0e01-\u0e4e]\\.)) (?=-?[0-9\u0e50-\u0e59]|[A-Z](?![A-Za-z]))")
NO_BREAK_SPACE = "\u00a0"
THAI_MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
               "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
               "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.",
               "พ.ย.", "ธ.ค.")
"""The months, in full and abbreviated: a day's number stays with its month ("26 ก.พ. 2550"
broke after "26", a reader review; the month and the year are one unit already, as a word and
the number after it)."""
_SPACE_BEFORE_MONTH = re.compile(
    "(?<=[0-9\u0e50-\u0e59]) (?=" + "|".join(re.escape(m) for m in THAI_MONTHS) + ")")
# "3 จาก 11 หมู่บ้าน" is one figure: a line ended "…ยังไม่มีสมาชิกกองทุน 3" over "จาก 11 หมู่บ้าน"
# (a reader review); the space after "จาก" is one before a number already. So is an interval,
# "1.1 ถึง 14.1" ("1.1 / ถึง 14.1" in a change's sentence, a review)
_SPACE_BEFORE_OF = re.compile(
    "(?<=[0-9\u0e50-\u0e59]) (?=(?:จาก|ถึง)[ \u00a0]-?[0-9\u0e50-\u0e59])")
# what a number ends with before the word that counts it ("4 ครั้ง", "๔ ครั้ง", "1,250 บาท")
_NUMBER_END = frozenset("0123456789\u0e50\u0e51\u0e52\u0e53\u0e54\u0e55\u0e56\u0e57\u0e58\u0e59")
# marks, inside mark_breaks, a space before a counting word (never in a report's text)
_COUNTED = "\x00"
_RANGE_DASH = re.compile("(?<=[0-9\u0e50-\u0e59])\u2013(?=[0-9\u0e50-\u0e59])")
"""An en dash between two numbers ("109,000–123,000"): the range stays on one line (a reader
review found "109,000–" at a line's end and "123,000" on the next)."""

VILLAGE_NUMBER = re.compile("(?<![A-Za-z])(" + "|".join(re.escape(w) for w in VILLAGE_WORDS)
                            + ")( ?)(?=[0-9\u0e50-\u0e59])")
"""A village's word and its number, with the space between them if any ("หมู่ที่ 4",
"หมู่ที่4", "ม. 4", "Village 12"): :func:`mark_breaks` writes a no-break space for the space, a
word joiner where there is none, and keeps "หมู่" with "ที่" (a line ended "หมู่" before "ที่4",
and English ones "Village" before "12"). The space between the number and the village's own
name stays a place a line may break ("หมู่ที่ 13" over "บ้านควนตะเคียน" in a narrow column)."""
# what follows an ordinal "ที่" that counts: a number, after a no-break space (the space before
# a number, or a group's letter: "ขั้นที่ 2", "กลุ่มที่ B") or a word joiner (a village's number
# written without a space: "หมู่ที่4")
_BEFORE_NUMBER = re.compile(f"{NO_BREAK_SPACE}|{WORD_JOINER}?[0-9\u0e50-\u0e59]")
# the space Thai writes before the repetition mark ("คร่าว ๆ", the Royal Institute's spacing):
# a line does not start with ๆ (a reader review found "คร่าว" over "ๆ จากผลรวม" in 11 of 16
# tambon reports)
_SPACE_BEFORE_REPETITION = re.compile("(?<=[\u0e01-\u0e4e]) (?=\u0e46)")
# A character cluster: leading vowels, a consonant (or any other Thai letter) with its marks,
# following vowels with their marks, and a repetition or abbreviation sign. Breaking between
# clusters never separates a mark from its letter nor a vowel from its consonant.
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"  # above and below the letter
_CLUSTER = re.compile(
    "[\u0e40-\u0e44]*"  # leading vowels เ แ โ ใ ไ
    "[^\u0e30-\u0e3a\u0e40-\u0e4e]?"  # a consonant or another letter
    f"[{_MARKS}\u0e30\u0e32\u0e33\u0e45\u0e46\u0e2f]*"  # marks, ะ า ำ ๅ, ๆ ฯ
)
_TAIL = re.compile(f"(?:[{_MARKS}]|[\u0e30\u0e32\u0e33\u0e45\u0e46\u0e2f])*")


WORDS = "thai_words"
SYLLABLES = "thai_syllables"


@functools.cache
def _word_list(lexicon: str = WORDS) -> tuple[str, ...]:
    """Return a word list of ``data/`` (``thai_words`` or ``thai_syllables``), sorted.

    The word list also holds the official names of every province, amphoe and tambon
    (:func:`place_names`), so that a place name stays whole where the words it is made of
    would allow a break ("บางโพธิ์", not "บาง|โพธิ์"); a long one is then boxed like any long
    word and breaks only where a column is narrower than the name.
    """
    words = _packaged_words(lexicon)
    if lexicon != WORDS:
        return words
    return tuple(sorted({*words, *place_names()}))


@functools.cache
def _packaged_words(lexicon: str = WORDS) -> tuple[str, ...]:
    """Return the word list as packaged in ``data/``, sorted.

    The word list is PyThaiNLP's, and ``data/thai_words_extra.txt`` adds the compounds the
    reports print that it lacks ("โรงรมยาง" broke as "โรง|รมยาง", "กรณีฐาน" as "กรณี|ฐาน",
    "นอนโรงพยาบาล" read as "นอนโรง|พยาบาล", "ปีละ" as "ปี|ละ" and "อย่างน้อย" as "อย่าง|น้อย",
    reader reviews), and a line ``-phrase`` takes a phrase of PyThaiNLP's list out ("มีแผน"
    broke "มีแผน|แม่บท" where "มี|แผนแม่บท" was meant: a phrase that won a tie of two words).
    """
    folder = resources.files("abcresearch.reports.render")
    raw = folder.joinpath(f"data/{lexicon}.txt.gz")
    lines = gzip.decompress(raw.read_bytes()).decode("utf-8").split("\n")
    removed: set[str] = set()
    if lexicon == WORDS:
        extra = folder.joinpath("data/thai_words_extra.txt").read_text("utf-8").split("\n")
        removed = {w.strip()[1:] for w in extra if w.strip().startswith("-")}
        lines += [w for w in extra if not w.strip().startswith("-")]
    return tuple(sorted({w.strip() for w in lines if w.strip() and not w.startswith("#")}
                        - removed))


@functools.cache
def _names_only(lexicon: str = WORDS) -> frozenset[str]:
    """Place names that are not words of the packaged list (a segmentation uses them last)."""
    if lexicon != WORDS:
        return frozenset()
    return place_names() - frozenset(_packaged_words(lexicon))


@functools.cache
def place_names() -> frozenset[str]:
    """Return the official Thai names of every province, amphoe and tambon (``geothai``).

    Only names that are one run of Thai letters (no space, digit or bracket) are kept.
    """
    import geothai

    names: set[str] = set()
    for province in geothai.provinces():
        names.add(province.name_th)
        for amphoe in geothai.districts(province.code):
            names.add(amphoe.name_th)
            names.update(t.name_th for t in geothai.subdistricts(amphoe.code))
    return frozenset(n for n in names if _THAI_RUN.fullmatch(n))


@functools.cache
def _bucket(start: str, lexicon: str = WORDS) -> tuple[frozenset[str], tuple[int, ...]]:
    """Return the entries that begin with the two letters ``start``, and their lengths.

    Built on first use from the sorted list, so loading costs only reading the list.
    """
    words = _word_list(lexicon)
    lo = bisect.bisect_left(words, start)
    hi = bisect.bisect_left(words, start + "\uffff", lo)
    found = words[lo:hi]
    return frozenset(found), tuple(sorted({len(w) for w in found}, reverse=True))


# immutable values of packaged data and pure functions of their arguments: a warm batch kernel
# keeps them across reports (see abcresearch.batch.kernel_state.clear_library_caches)
_word_list.cache_safe = True  # type: ignore[attr-defined]
_packaged_words.cache_safe = True  # type: ignore[attr-defined]
_names_only.cache_safe = True  # type: ignore[attr-defined]
place_names.cache_safe = True  # type: ignore[attr-defined]
_bucket.cache_safe = True  # type: ignore[attr-defined]


def load_word_lists() -> None:
    """Read the word lists and the place names now, not at a report's first Thai text.

    A batch's fork server calls it (:mod:`abcresearch.batch.server_imports`), so that every
    worker it forks starts with them (0.13 s a worker otherwise).
    """
    _word_list()
    _names_only()


def is_word(text: str) -> bool:
    """Return whether ``text`` is a word of the dictionary.

    Parameters
    ----------
    text : str
        Thai letters.

    Returns
    -------
    bool
        True if the dictionary holds it.
    """
    return len(text) >= 2 and text in _bucket(text[:2])[0]


def clusters(text: str) -> list[int]:
    """Return the ends of the character clusters of a Thai run (ascending, last is its length).

    Parameters
    ----------
    text : str
        Thai letters only.

    Returns
    -------
    list of int
        Positions at which the run may be cut without splitting a cluster.
    """
    ends: list[int] = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _CLUSTER.match(text, pos)
        if m and m.end() > pos:
            end = m.end()
        else:  # _TAIL matches everywhere (possibly nothing)
            tail = _TAIL.match(text, pos + 1)
            end = tail.end() if tail else pos + 1
        ends.append(end)
        pos = end
    return ends


_NAMES: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "abcresearch_thai_names", default=frozenset())


@contextlib.contextmanager
def keep_names_whole(names: Iterable[str]) -> Iterator[frozenset[str]]:
    """Keep these proper names whole in :func:`mark_breaks` while the block runs.

    Each name that is one run of Thai letters is then one word wherever it occurs in a Thai
    run (the fewest words win, so the whole name beats the words it is made of); a name longer
    than :data:`LONG_WORD` characters is boxed and breaks at its parts only where a column is
    narrower than it. Outside the block (or in another thread or task) the names have no effect.

    Parameters
    ----------
    names : iterable of str
        Proper names, e.g. a report's village names; others (with spaces, digits) are ignored.

    Yields
    ------
    frozenset of str
        The names kept whole.
    """
    kept = frozenset(n.strip() for n in names if isinstance(n, str)
                     and len(n.strip()) >= 2 and _THAI_RUN.fullmatch(n.strip()))
    token = _NAMES.set(kept)
    try:
        yield kept
    finally:
        _NAMES.reset(token)


@functools.lru_cache(maxsize=64)
def _name_pattern(names: frozenset[str]) -> re.Pattern[str]:
    """Return a pattern that finds any of ``names`` (longest first)."""
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n))))


def _names_in(run: str, names: frozenset[str]) -> frozenset[str]:
    """Return the names of ``names`` that occur in ``run`` (overlapping ones too)."""
    if not names or (len(names) > 8 and not _name_pattern(names).search(run)):
        return frozenset()  # (one search in C before a look for each of many names)
    return frozenset(n for n in names if n in run)


@functools.lru_cache(maxsize=65536)
def _segment_run(run: str, lexicon: str = WORDS,
                 proper: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Segment a run of Thai letters into words (maximal matching over clusters).

    ``proper`` are extra words (a document's proper names, see :func:`keep_names_whole`) that
    count like place names.
    """
    ends = clusters(run)
    n = len(run)
    is_end = set(ends)
    # place names of the word list lose ties (fewer of them wins); a document's own names do
    # not: "ที่|บ้านสวนเงิน|ได้", not "ที่|บ้านสวน|เงินได้"
    names = _names_only(lexicon) - proper if proper else _names_only(lexicon)
    # best[i] = (unknown characters, words, place names, word lengths) of the best
    # segmentation of run[:i]: between two with as many words, the one with fewer place names
    # ("หมู่บ้าน|ใหม่", not "หมู่|บ้านใหม่" after the tambon name), then the one whose words are
    # longer first (its lengths, negated, compare smaller: "ตัวเลข|ที่มา|จาก", not
    # "ตัว|เลขที่|มาจาก", the longest match of reading from the left)
    worst: tuple[int, int, int, tuple[int, ...]] = (n + 1, n + 1, n + 1, ())
    best: dict[int, tuple[int, int, int, tuple[int, ...]]] = {0: (0, 0, 0, ())}
    back: dict[int, tuple[int, bool]] = {}
    starts = [0, *ends[:-1]]
    for k, i in enumerate(starts):
        score = best.get(i)
        if score is None:
            continue
        unknown, count, named, lengths_so_far = score
        bucket, lengths = _bucket(run[i : i + 2], lexicon)
        if proper:
            extra = {p for p in proper if run.startswith(p, i)}
            bucket = bucket | extra
            lengths = tuple(sorted({*lengths, *map(len, extra)}, reverse=True))
        for length in lengths:
            j = i + length
            if j > n or j not in is_end or run[i:j] not in bucket:
                continue
            candidate = (unknown, count + 1, named + (run[i:j] in names),
                         (*lengths_so_far, -length))
            if candidate < best.get(j, worst):
                best[j] = candidate
                back[j] = (i, True)
        j = ends[k]
        candidate = (unknown + j - i, count + 1, named, (*lengths_so_far, i - j))
        if candidate < best.get(j, worst):
            best[j] = candidate
            back[j] = (i, False)
    pieces: list[tuple[str, bool]] = []
    j = n
    while j > 0:
        i, known = back[j]
        pieces.append((run[i:j], known))
        j = i
    pieces.reverse()
    # Unknown clusters next to each other make one unknown word.
    merged: list[str] = []
    previous_known = True
    for piece, known in pieces:
        if not known and not previous_known:
            merged[-1] += piece
        else:
            merged.append(piece)
        previous_known = known
    return tuple(merged)


def segment(text: str) -> list[str]:
    """Split text into Thai words and the non-Thai text between them.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    list of str
        Pieces whose concatenation is ``text``: each Thai word on its own, other text (spaces,
        digits, Latin, punctuation) as it comes.
    """
    out: list[str] = []
    pos = 0
    for m in _THAI_RUN.finditer(text):
        if m.start() > pos:
            out.append(text[pos : m.start()])
        out.extend(_segment_run(m.group()))
        pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def break_opportunities(text: str) -> list[int]:
    """Return the positions inside Thai runs where a line may break (between two words).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    list of int
        Offsets in ``text`` that lie between two touching Thai words.
    """
    out: list[int] = []
    for m in _THAI_RUN.finditer(text):
        at = m.start()
        for word in _segment_run(m.group())[:-1]:
            at += len(word)
            out.append(at)
    return out


def word_parts(word: str) -> list[str]:
    """Return the parts a long word may break at when a column is narrower than the word.

    The shorter dictionary words inside it (the fewest), each of them longer than
    :data:`LONG_WORD` split again the same way ("บ้าน|เกาะ|สะท้อน", the place name "เกาะสะท้อน"
    at its words), and into syllables (PyThaiNLP's syllable list, CC0) only where it holds no
    shorter words. :func:`mark_breaks` nests them: a part breaks at its own parts only where it
    alone is wider than the column ("กองทุน|หมู่บ้าน" before "กองทุน|หมู่|บ้าน").

    Parameters
    ----------
    word : str
        Thai letters.

    Returns
    -------
    list of str
        Parts whose concatenation is ``word``.
    """
    out: list[str] = []
    for part in _top_parts(word):  # each part is shorter than the word: the recursion ends
        if len(part) > LONG_WORD and len(part) < len(word):
            out.extend(word_parts(part))
        else:
            out.append(part)
    return out


def _top_parts(word: str) -> list[str]:
    """Return the fewest shorter dictionary words of ``word``, else its syllables if long."""
    best: list[str] | None = None
    for cut in clusters(word)[:-1]:
        head, tail = word[:cut], word[cut:]
        if is_word(head):
            rest = (tail,) if is_word(tail) else _segment_run(tail)
            if all(is_word(p) for p in rest) and (best is None or len(rest) + 1 < len(best)):
                best = [head, *rest]
    if best is None:
        return list(_segment_run(word, SYLLABLES)) if len(word) > LONG_WORD else [word]
    return best


def _join_clusters(word: str) -> str:
    ends = clusters(word)
    if len(ends) == 1:
        return word
    starts = [0, *ends[:-1]]
    return WORD_JOINER.join(word[i:j] for i, j in zip(starts, ends, strict=True))


@functools.lru_cache(maxsize=65536)
def _mark_word(word: str) -> str:
    if len(word) <= LONG_WORD:
        return _join_clusters(word)
    # the word's own parts, and inside a long part that part's parts: "กองทุน|หมู่⁣บ้าน" breaks
    # before "หมู่บ้าน" where that fits the column, inside it only where it does not
    return PART_MARK.join(
        SUB_PART_MARK.join(_join_clusters(p) for p in word_parts(part))
        if len(part) > LONG_WORD else _join_clusters(part)
        for part in _top_parts(word))


_segment_run.cache_safe = True  # type: ignore[attr-defined]  # str in, tuple of str out
_name_pattern.cache_safe = True  # type: ignore[attr-defined]  # names in, pattern out
_mark_word.cache_safe = True  # type: ignore[attr-defined]  # str in, str out


HEADING_SPLIT_PREFIXES = ("ความ",)
"""Noun prefixes after which a table's column heading may break inside a compound of the word
list ("ความ / เข้มแข็ง", "ความ / พร้อม"), where the compound alone is wider than its column
(:data:`HEADING_PART_MARK`): a province's ranking of ten columns wrapped its names beside the
headings "ความเข้มแข็งองค์กร" and "กลุ่มความพร้อม" kept to their longest words (a reader
review). Not "การ": "การเงิน" (finance) and "การเมือง" (politics) read as one word."""


def _prefix_apart(word: str, names: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Return a compound that starts with a heading prefix as the prefix and the rest.

    "ความเข้มแข็ง" (one word of the list) becomes ("ความ", "เข้มแข็ง")
    (:data:`HEADING_SPLIT_PREFIXES`); :func:`mark_breaks` joins them with
    :data:`HEADING_PART_MARK` in a table's column heading, where the template boxes the word
    so that it breaks after the prefix only where it is wider than its column. A proper name
    (one of ``names``), a prefix alone and a prefix that ends inside a character cluster
    (:func:`clusters`) stay whole.
    """
    prefix = next((p for p in HEADING_SPLIT_PREFIXES if word.startswith(p)), None)
    if (prefix is None or word in names or len(word) - len(prefix) < 2
            or len(prefix) not in clusters(word)):
        return (word,)
    return (prefix, word[len(prefix):])


def mark_breaks(text: str, names: Iterable[str] | None = None, *,
                heading: bool = False) -> str:
    """Return ``text`` with its Thai line-break rules written in for Typst.

    Word joiners go between the clusters of each Thai word, zero-width spaces between two Thai
    words that touch, and part marks inside long words (see the module documentation and
    :data:`TYPST_RULES`); a space between a Thai word and the number or group letter after it
    ("ระดับ 1", "กลุ่ม B") becomes a no-break space, and an ordinal before its number stays
    with the word before it ("ขั้นที่ 2"). A curly quote gets word joiners to the characters it touches
    (see :data:`CURLY_QUOTES`); text without Thai letters is otherwise unchanged.

    Parameters
    ----------
    text : str
        Text to typeset (plain, not yet escaped for Typst).
    names : iterable of str, optional
        Proper names to keep whole (see :func:`keep_names_whole`); by default those of the
        enclosing :func:`keep_names_whole` block, if any.
    heading : bool
        A table's column heading: a line may end after a noun prefix (:data:`NOUN_PREFIXES`).

    Returns
    -------
    str
        The text with the invisible break characters added.
    """
    if names is None:
        kept = _NAMES.get()
    else:
        with keep_names_whole(names) as kept:
            pass
    # a report marks the same labels, headings and notes again and again (nine calls in ten
    # were for a text marked before): the result depends only on the text, the names in it and
    # `heading`. A long text (a section's markup) is seldom marked twice and is not kept.
    here = _names_in(text, kept)
    if len(text) > _KEPT_LENGTH:
        return _marked.__wrapped__(text, here, heading)
    return _marked(text, here, heading)


_KEPT_LENGTH = 1000
"""The longest text whose marked form :func:`mark_breaks` keeps for the next call."""


@functools.lru_cache(maxsize=8192)  # a few megabytes: labels, headings and notes
def _marked(text: str, kept: frozenset[str], heading: bool) -> str:
    """:func:`mark_breaks` of ``text`` with ``kept`` (the names to keep whole found in it)."""
    if any(q in text for q in CURLY_QUOTES):
        text = _QUOTE_TOUCHING.sub(WORD_JOINER, text)
    text = VILLAGE_NUMBER.sub(lambda m: m[1] + (NO_BREAK_SPACE if m[2] else WORD_JOINER), text)
    if "\u2013" in text:
        text = _RANGE_DASH.sub(WORD_JOINER + "\u2013" + WORD_JOINER, text)
    if not _THAI_RUN.search(text):
        return text
    text = _SPACE_BEFORE_NUMBER.sub(NO_BREAK_SPACE, text)
    text = _SPACE_BEFORE_MONTH.sub(NO_BREAK_SPACE, text)
    text = _SPACE_BEFORE_OF.sub(NO_BREAK_SPACE, text)
    text = _SPACE_BEFORE_REPETITION.sub(NO_BREAK_SPACE, text)

    def mark(m: re.Match[str]) -> str:
        run = m.group()
        if m.end() < len(text) and text[m.end()] == "." and len(run) <= ABBREVIATION:
            return _join_clusters(run)  # an abbreviation ("พอช.", "สปสช."): one unit
        names_here = _names_in(run, kept)
        words = _segment_run(run, WORDS, names_here)
        # an ordinal "ที่" before its number stays with the word it counts ("ขั้นที่ 2",
        # "หมู่ที่ 4", "หมู่ที่4"): "ขั้น" at a line's end and "ที่ 2" on the next read as two
        # words; so does a distributive "ละ" ("ตำบลละ 6,253 บาท" broke as "ตำบล / ละ"; a
        # reader review), only before a number: a name starting with "ละ" ("ตำบลละอาย")
        # keeps its own break before it (a code review)
        ordinal = (len(words) > 1 and words[-1] in (ORDINAL, DISTRIBUTIVE)
                   and _BEFORE_NUMBER.match(text, m.end()) is not None)
        # a count's word stays with its number ("4 ครั้ง"): the space before it is marked,
        # and written as a no-break space below
        counted = (words[0] in CLASSIFIERS and m.start() >= 2 and text[m.start() - 1] == " "
                   and text[m.start() - 2] in _NUMBER_END)
        def one_word(word: str) -> str:
            if not heading:
                return _mark_word(word)
            # "ความ⁤พร้อม": the template boxes the word, which breaks after its prefix only
            # where it is wider than its column ("กลุ่ม / ความพร้อม", not "กลุ่มความ / พร้อม")
            return HEADING_PART_MARK.join(_mark_word(p) for p in _prefix_apart(word, names_here))

        out = (_COUNTED if counted else "") + one_word(words[0])
        for k, (before, word) in enumerate(zip(words, words[1:], strict=False)):
            # no break after a negation: "ไม่|สูง" would leave "not" at a line's end
            # and none before a negation that closes the run ("ไม่ได้", or "ไม่|ได้" as the list
            # segments it)
            closing = word.startswith("ไม่") and "".join(words[k + 1:]) in CLOSING_NEGATIONS
            # "หรือไม่" before a clause's first word: whether, not a negation of that word
            whether = before == "หรือ" and word == "ไม่" and k + 2 < len(words) \
                and words[k + 2] in WHETHER_CLOSES_BEFORE
            closes = before == "ไม่" and k > 0 and words[k - 1] == "หรือ" \
                and word in WHETHER_CLOSES_BEFORE
            not_yet = before in STILL and (word.startswith("ไม่") or word in STILL_NEGATIONS)
            joined = ((before in NO_BREAK_AFTER and not (heading and before in NOUN_PREFIXES)
                       and not closes) or (ordinal and k == len(words) - 2) or closing or whether
                      or not_yet or word in NO_BREAK_BEFORE)
            out += (WORD_JOINER if joined else ZERO_WIDTH_SPACE)
            out += one_word(word)
        return out

    marked = _THAI_RUN.sub(mark, text)
    return marked.replace(" " + _COUNTED, NO_BREAK_SPACE) if _COUNTED in marked else marked


_marked.cache_safe = True  # type: ignore[attr-defined]  # str and names in, str out


def strip_marks(text: str) -> str:
    """Remove the characters :func:`mark_breaks` adds.

    Parameters
    ----------
    text : str
        Text that may hold them.

    Returns
    -------
    str
        ``text`` without the invisible marks (:data:`INVISIBLE`: U+2060, U+200B, U+200C,
        U+2063, U+2064), and with its no-break spaces plain.
    """
    return text.translate({ord(c): None for c in INVISIBLE} | {ord(NO_BREAK_SPACE): " "})


_UNBROKEN_THAI = frozenset(map(chr, [*range(0x0E01, 0x0E3B), *range(0x0E40, 0x0E4F)]))
"""Thai letters, vowels and marks: Unicode's line-break class SA (not the digits, ฿ or ๏)."""


def drop_thai_joiners(markup: str) -> str:
    """Return Typst markup without the word joiners that stand between two Thai letters.

    For a document typeset under :data:`abcresearch.reports.render.typst.BREAK_LANG`, where a
    Thai run breaks only at the marks :func:`mark_breaks` writes (U+200B, and the part marks in
    a box): there a word joiner between two Thai letters forbids a break that would not be made
    anyway. The lines are the same and Typst's compile is a few per cent shorter; a tambon
    report's source holds about 13,000 such joiners, one between each two character clusters
    of every word. They are needed wherever Typst's own segmenter breaks the text: under Thai,
    and in any paragraph that holds text of another language too (raw text is English in
    Typst), so apply this to markup without raw text only
    (:func:`abcresearch.reports.render.typst.render_notebook` does). The joiners beside a
    digit, a quote, a dash or a Latin letter stay.

    Parameters
    ----------
    markup : str
        Typst markup whose Thai went through :func:`mark_breaks`.

    Returns
    -------
    str
        ``markup`` without those joiners (``markup`` itself where it holds none).
    """
    if WORD_JOINER not in markup:
        return markup
    # split and joined again: a third of the time of a regular expression's substitution
    pieces = markup.split(WORD_JOINER)
    out = [pieces[0]]
    for before, after in itertools.pairwise(pieces):
        if not (before[-1:] in _UNBROKEN_THAI and after[:1] in _UNBROKEN_THAI):
            out.append(WORD_JOINER)
        out.append(after)
    return "".join(out)


# --------------------------------------------------------------------------------------------
# The check


@dataclass(frozen=True)
class BrokenWord:
    """A line break inside a Thai word, as found in a PDF.

    Attributes
    ----------
    page : int
        Page number, from 1.
    before : str
        End of the line (the Thai letters before the break).
    after : str
        Start of the next line (the Thai letters after the break).
    word : str
        The dictionary word the break falls in.
    """

    page: int
    before: str
    after: str
    word: str


_LINE_END_THAI = re.compile("[\u0e01-\u0e4e]+$")
_LINE_START_THAI = re.compile("^[\u0e01-\u0e4e]+")


def broken_words_in_lines(lines: Sequence[str], page: int = 1,
                          names: Iterable[str] = ()) -> list[BrokenWord]:
    """Find breaks inside Thai words between consecutive laid-out lines.

    For each pair of consecutive lines, the Thai letters at the end of the first and at the
    start of the second are joined and segmented; the break is inside a word when the joined
    text has no word boundary at the break. A line that starts with a mark or a following vowel
    is always a break inside a word; one after a compound's noun prefix ("ความ / เข้มแข็ง", where
    a column heading may break) is not. Lines are compared in the order given, so a paragraph or
    table cell that ends exactly where the next begins with text forming one dictionary word
    is reported too.

    Parameters
    ----------
    lines : sequence of str
        Lines in reading order.
    page : int
        Page number to put in the findings.
    names : iterable of str
        Proper names that count as words (a report's village names, see
        :func:`keep_names_whole`): a break inside one is reported too.

    Returns
    -------
    list of BrokenWord
        One finding per break inside a word.
    """
    with keep_names_whole(names) as kept:
        pass
    found: list[BrokenWord] = []
    for first, second in zip(lines, lines[1:], strict=False):
        tail = _LINE_END_THAI.search(first.rstrip("\r\n"))
        head = _LINE_START_THAI.search(second)
        if not tail or not head:
            continue
        before, after = tail.group(), head.group()
        joined = before + after
        cut = len(before)
        at = 0
        word = ""
        for piece in _segment_run(joined, WORDS, _names_in(joined, kept)):
            if at < cut < at + len(piece):
                # after a compound's noun prefix is where a column heading may break
                # (:data:`HEADING_SPLIT_PREFIXES`): a boundary inside the word, not a break in
                # a cluster or a stem
                if piece in kept or cut - at not in {len(p) for p in HEADING_SPLIT_PREFIXES
                                                     if piece.startswith(p)}:
                    word = piece
                break
            at += len(piece)
        if not word and clusters(joined) and cut not in clusters(joined):
            word = joined
        if word:
            found.append(BrokenWord(page, before, after, word))
    return found


def find_broken_words(pdf: bytes, names: Iterable[str] = ()) -> list[BrokenWord]:
    """Find every line of a PDF that ends or starts inside a Thai dictionary word.

    The lines are those pdfium lays out (``pypdfium2``, a test dependency, is imported here).

    Parameters
    ----------
    pdf : bytes
        The PDF.
    names : iterable of str
        Proper names that count as words (see :func:`broken_words_in_lines`).

    Returns
    -------
    list of BrokenWord
        Empty when no line breaks inside a word.
    """
    import pypdfium2 as pdfium

    found: list[BrokenWord] = []
    doc = pdfium.PdfDocument(pdf)
    try:
        for number in range(len(doc)):
            page = doc[number]
            text = page.get_textpage().get_text_range()
            found += broken_words_in_lines(_lines(text), number + 1, names)
    finally:
        doc.close()
    return found


def _lines(text: str) -> list[str]:
    return [line for line in re.split("\r\n|\r|\n", text)]
