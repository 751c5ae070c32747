"""Labels come from one place, in Thai and English."""

from __future__ import annotations

import pytest

from abcresearch.errors import ParamsError
from abcresearch.labels import label, labels, village_name


def test_every_label_has_both_languages() -> None:
    for key, texts in labels().items():
        assert texts["th"] and texts["en"], key


def test_placeholders_are_filled() -> None:
    assert label("round.years", "th", be=2549, ce=2006) == "พ.ศ. 2549 (ค.ศ. 2006)"
    assert label("round.years", "en", be=2549, ce=2006) == "BE 2549 (CE 2006)"


def test_unknown_key_or_language() -> None:
    with pytest.raises(ParamsError, match="no label 'nope'"):
        label("nope")
    with pytest.raises(ParamsError, match="language 'fr'"):
        label("grade", "fr")


def test_numbers_in_labels_are_rounded_half_up() -> None:
    """A label's number is written as the tables write it: half up, a share scaled in decimal."""
    from abcresearch.labels import HalfUp, round_half_up

    assert round_half_up(12.5) == "13" and f"{12.5:.0f}" == "12"  # Python: tie to even
    assert round_half_up(0.145, 0, scale=100) == "15" and f"{0.145 * 100:.0f}" == "14"
    assert round_half_up(-2.5) == "-3"  # away from zero
    # a change interval printed "-0.0" (a bound of -0.04)
    assert (round_half_up(-0.04, 1), round_half_up(-0.4), round_half_up(-0.0, 2)) == (
        "0.0", "0", "0.00")
    assert round_half_up(117562.5, grouping="") == "117563"
    assert round_half_up(1234567.25, 1) == "1,234,567.3"
    assert f"{HalfUp(0.125):.2f}|{HalfUp(0.145, 100):.0f}|{HalfUp(2.5):,.0f}" == "0.13|15|3"
    assert f"{HalfUp(3.14159):.3g}" == "3.14"  # other specs are float's own
    assert HalfUp(0.145, 100) == 0.145 * 100  # still the float it stands for
    table = {"x": {"th": "ร้อยละ {v:.0f}", "en": "{v:.0f}% ({n})"}}
    from abcresearch.labels import label_in

    assert label_in(table, "x", "en", v=12.5, n=3) == "13% (3)"
    assert label_in(table, "x", "th", v=HalfUp(0.125, 100)) == "ร้อยละ 13"


def test_the_methods_note_says_which_sensitive_data_is_never_scored() -> None:
    """A reader review: the note said "religion and health are never scored" beside scored
    items on a chronically ill member and on religious festivals. What is never scored is what
    the instrument marks sensitive: the household's religion and each member's health."""
    from abcresearch.scoring import load_scheme
    from abcresearch.survey.instrument import codebook

    cb = codebook()
    sensitive = set(cb.loc[cb["personal"] == "sensitive", "name"])
    assert sensitive == {"cul_religion", "m_health"}
    scored = {item.item for capital in load_scheme().capitals for item in capital.items}
    assert not sensitive & scored
    assert {"hum_chronic_ill", "cul_religious_events"} <= scored  # health, religion: scored
    en = label("methods.personal", "en")
    assert "household's religion" in en and "each member's health" in en
    assert "Religion and health are sensitive" not in en
    th = label("methods.personal", "th")
    assert "ศาสนาที่ครัวเรือนนับถือ" in th and "สุขภาพของสมาชิกแต่ละคน" in th


def test_a_village_is_named_by_its_number_then_its_own_name_without_brackets() -> None:
    """The English name held the Thai name in brackets, "Village 9 (บ้านบ่อตก)", and a note in
    brackets after it read "Village 9 (บ้านบ่อตก) (46% of households at level 1)"."""
    def th(key: str, **fields: object) -> str:
        return label(key, "th", **fields)

    def en(key: str, **fields: object) -> str:
        return label(key, "en", **fields)

    assert village_name(th, "หมู่ที่ 9", "บ้านบ่อตก") == "หมู่ที่ 9 บ้านบ่อตก"
    assert village_name(en, "Village 9", " บ้านบ่อตก ") == "Village 9 บ้านบ่อตก"
    assert village_name(en, "Village 9", None) == village_name(en, "Village 9", " ") == "Village 9"
