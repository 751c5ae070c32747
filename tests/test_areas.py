"""Official area codes for Nakhon Si Thammarat and village codes."""

from __future__ import annotations

import pandas as pd
import pytest

from abcresearch.errors import AreaError
from abcresearch.survey import areas


def test_nakhon_si_thammarat_frame() -> None:
    assert areas.get_area("80").name_en == "Nakhon Si Thammarat"
    assert len(areas.amphoes("80")) == 23
    assert len(areas.tambons("80")) == 170
    assert len(areas.tambons("8001")) == 16


def test_levels_and_labels() -> None:
    assert areas.level_of("8012") == "amphoe"
    tambon = areas.get_area("800101")
    assert tambon.level == "tambon" and tambon.parent == "8001"
    assert tambon.label("th") == "ตำบลในเมือง"
    village = areas.get_area("80010103")
    assert village.parent == "800101" and village.name_th == "หมู่ที่ 3"


@pytest.mark.parametrize(
    ("code", "message"),
    [("8", "not 2, 4, 6 or 8 digits"), ("99", "not an official province"),
     ("809901", "not an official tambon code of 8099"), ("80999901", "not an official tambon"),
     ("80010100", "village number must be 01-99")],
)
def test_unknown_codes_are_named(code: str, message: str) -> None:
    with pytest.raises(AreaError, match=message):
        areas.get_area(code)


def test_an_unknown_code_is_answered_with_the_codes_there_are() -> None:
    """``report --area 800105`` said it was not a tambon of 8001 and left the user to guess
    which are (a fresh user's walk-through): the message lists the parent's official codes,
    runs written as ranges."""
    table = areas.area_table("80")
    tambons = sorted(c for c in table["code"] if len(c) == 6 and c.startswith("8001"))
    assert "800105" not in tambons and "800104" not in tambons
    with pytest.raises(AreaError) as err:
        areas.get_area("800105")
    listed = str(err.value).split("its official tambon codes: ")[1].rstrip(")")
    said: list[str] = []
    for part in listed.split(", "):
        first, _, last = part.partition("-")
        said += [str(c) for c in range(int(first), int(last or first) + 1)]
    assert said == tambons
    assert "800101-800103" in listed  # a run of three or more is a range
    with pytest.raises(AreaError, match=r"its tambon '800105' .* \(its official tambon codes: "
                                        r"800101-800103, "):
        areas.get_area("80010501")
    with pytest.raises(AreaError, match=r"official amphoe code of 80 \(its official amphoe "):
        areas.get_area("8099")
    # the mistake may be higher up: tambon 809901's amphoe 8099 does not exist
    for code in ("809901", "80990101"):
        with pytest.raises(AreaError, match=r"\(amphoe 8099 is not official either; its official "
                                            r"amphoe codes: 8001-8023\)$"):
            areas.get_area(code)


def test_check_codes_vectorised() -> None:
    codes = pd.Series(["80010101", "80999901", "8001010", "80010100", None, "80120305"])
    assert areas.check_codes(codes).tolist() == [False, True, True, True, True, False]


def test_an_unknown_village_code_is_named_as_typed() -> None:
    """``report --area 80019999`` said "area code '800199' is not an official tambon code": a
    code the user never typed (a user's walk-through). The message quotes the village code."""
    with pytest.raises(AreaError, match=r"village code '80019999': its tambon '800199' is not"):
        areas.get_area("80019999")


def test_every_official_area_is_found_as_its_table_row_says() -> None:
    """get_area looks codes up in a kept index: each of the province's 194 rows comes back with
    the table's names, level and parent (the province without one)."""
    table = areas.area_table("80")
    assert len(table) > 190
    for row in table.itertuples(index=False):
        area = areas.get_area(row.code)
        assert (area.code, area.level, area.name_th, area.name_en, area.parent) == (
            row.code, row.level, row.name_th, row.name_en, row.parent or None)
    assert areas.get_area("80").parent is None
    assert areas.get_area(" 800101 ").code == "800101"


def test_english_names_capitalise_each_word_once_as_rtgs_does() -> None:
    """geothai spells a few names with a capital inside a word ("Lan SaKa")."""
    import re

    import geothai

    from abcresearch.survey.areas import area_table

    assert areas.get_area("8003").name_en == "Lan Saka"
    assert areas.get_area("800302").label("en") == "Lan Saka Subdistrict"
    assert areas.get_area("8001").name_en == "Mueang Nakhon Si Thammarat"
    inner = [(r.code, r.name_en) for p in geothai.provinces()
             for r in area_table(p.code).itertuples() if re.search(r"[a-z][A-Z]", r.name_en)]
    assert inner == []
