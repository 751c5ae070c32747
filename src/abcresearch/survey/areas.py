"""Official area codes and names (province, amphoe, tambon) from ``geothai``; village codes.

Codes are strings: province ``80``, amphoe ``8001``, tambon ``800101`` and village ``80010101``
(tambon code plus the two-digit village number, หมู่ที่). Official lists differ by year: geothai's
data (version in :data:`DATA_VERSION`) lists 170 tambon for Nakhon Si Thammarat; older provincial
tables list 165.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import geothai
import pandas as pd

from abcresearch.errors import AreaError

#: Version of the official area data in use.
DATA_VERSION: str = geothai.DATA_VERSION

#: Area level by code length.
LEVELS = {2: "province", 4: "amphoe", 6: "tambon", 8: "village"}

_CODE_RE = re.compile(r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{2})?)?)?$")

_INNER_CAPITAL = re.compile(r"(?<=[a-z])[A-Z]")


def english_name(name: str) -> str:
    """Return an official English name as the Royal Thai General System spells it.

    geothai's data capitalises a syllable inside a word in a few names ("Lan SaKa",
    "NaKhon Chedi", "Doi SaKet": 8 of the country's 8,364 amphoe and tambon); RTGS capitalises
    a word's first letter only.

    Examples
    --------
    >>> english_name("Lan SaKa")
    'Lan Saka'
    >>> english_name("Mueang Nakhon Si Thammarat")
    'Mueang Nakhon Si Thammarat'
    """
    return _INNER_CAPITAL.sub(lambda m: m.group(0).lower(), name.strip())


@dataclass(frozen=True)
class Area:
    """One administrative area.

    Attributes
    ----------
    code : str
        The area code (2, 4, 6 or 8 digits).
    level : str
        ``province``, ``amphoe``, ``tambon`` or ``village``.
    name_th, name_en : str
        Names in Thai and English; for a village, ``หมู่ที่ N`` / ``Village N`` unless the
        village form gave a name.
    parent : str or None
        Code of the enclosing area.
    """

    code: str
    level: str
    name_th: str
    name_en: str
    parent: str | None

    def label(self, lang: str = "th") -> str:
        """Return the name with its level prefix in the chosen language."""
        prefix = {
            "th": {"province": "จังหวัด", "amphoe": "อำเภอ", "tambon": "ตำบล", "village": ""},
            "en": {"province": "", "amphoe": "", "tambon": "", "village": ""},
        }[lang][self.level]
        if lang == "en":
            suffix = {"province": " Province", "amphoe": " District", "tambon": " Subdistrict",
                      "village": ""}[self.level]
            return f"{self.name_en}{suffix}"
        return f"{prefix}{self.name_th}"


def level_of(code: str) -> str:
    """Return the level of an area code, or raise :class:`AreaError` for a malformed code."""
    code = str(code)
    if not _CODE_RE.match(code):
        raise AreaError(f"area code {code!r} is not 2, 4, 6 or 8 digits")
    return LEVELS[len(code)]


@lru_cache(maxsize=16)
def area_table(province: str) -> pd.DataFrame:
    """Return the province, its amphoe and tambon as a table.

    Parameters
    ----------
    province : str
        Two-digit province code, e.g. ``"80"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``code, level, name_th, name_en, parent``; one row per area, sorted by code.
    """
    p = geothai.province(str(province))
    if p is None:
        raise AreaError(f"province code {province!r} is not an official province code")
    rows = [{"code": p.code, "level": "province", "name_th": p.name_th,
             "name_en": english_name(p.name_en), "parent": ""}]
    for d in geothai.districts(p.code):
        rows.append({"code": d.code, "level": "amphoe", "name_th": d.name_th,
                     "name_en": english_name(d.name_en), "parent": p.code})
        for s in geothai.subdistricts(d.code):
            rows.append({"code": s.code, "level": "tambon", "name_th": s.name_th,
                         "name_en": english_name(s.name_en), "parent": d.code})
    return pd.DataFrame(rows)


def amphoes(province: str) -> pd.DataFrame:
    """Return the amphoe of a province (``code, name_th, name_en``)."""
    t = area_table(province)
    return t[t["level"] == "amphoe"].reset_index(drop=True)


def tambons(province_or_amphoe: str) -> pd.DataFrame:
    """Return the tambon of a province or amphoe (``code, name_th, name_en, parent``)."""
    code = str(province_or_amphoe)
    t = area_table(code[:2])
    t = t[(t["level"] == "tambon") & t["code"].str.startswith(code)]
    return t.reset_index(drop=True)


def get_area(code: str) -> Area:
    """Look up an area by code.

    Villages are not in the official list; a village code is accepted when its tambon exists and
    its number is 01-99.

    Raises
    ------
    AreaError
        When the code is malformed or not an official area.
    """
    code = str(code).strip()
    level = level_of(code)
    known = _official_areas(code[:2]) if geothai.province(code[:2]) else None
    if known is None:
        raise AreaError(f"area code {code!r}: province {code[:2]!r} is not an official province")
    if level == "village":
        try:
            tambon = get_area(code[:6])
        except AreaError as exc:  # the code the user typed, then what is wrong with it
            raise AreaError(f"village code {code!r}: its tambon {code[:6]!r} is not an official "
                            f"tambon code of {code[:4]}{_official_codes(known, code[:6])}"
                            ) from exc
        number = int(code[6:])
        if number < 1:
            raise AreaError(f"village code {code!r}: village number must be 01-99")
        return Area(code, "village", f"หมู่ที่ {number}", f"Village {number}", tambon.code)
    area = known.get(code)
    if area is None:
        parent = code[:-2]
        raise AreaError(f"area code {code!r} is not an official {level} code"
                        + (f" of {parent}" if parent else "") + _official_codes(known, code))
    return area


def _official_codes(known: dict[str, Area], code: str) -> str:
    """`` (its official tambon codes: ...)``: the codes of ``code``'s level within its parent.

    Where an ancestor of ``code`` is itself unknown (tambon 809901: amphoe 8099), the codes of
    the first unknown ancestor's level instead, as that is the mistake.
    """
    for n in range(4, len(code), 2):
        if code[:n] not in known:
            ancestor = code[:n]
            listed = _sibling_codes(known, ancestor)
            return (f" ({level_of(ancestor)} {ancestor} is not official either"
                    + (f"; {listed})" if listed else ")"))
    listed = _sibling_codes(known, code)
    return f" ({listed})" if listed else ""


def _sibling_codes(known: dict[str, Area], code: str) -> str:
    """``its official tambon codes: ...``: the codes of ``code``'s level in its parent, or ""."""
    parent = code[:-2]
    siblings = sorted(c for c in known if len(c) == len(code) and c.startswith(parent))
    if not parent or not siblings:
        return ""
    return f"its official {level_of(code)} codes: {code_ranges(siblings)}"


def code_ranges(codes: list[str]) -> str:
    """Sorted codes of one length written as runs: ``800101-800103, 800106``."""
    runs: list[list[str]] = []
    for c in codes:
        if runs and int(c) == int(runs[-1][-1]) + 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}-{r[-1]}" if len(r) > 2
                     else f"{r[0]}, {r[1]}" for r in runs)


@lru_cache(maxsize=16)
def _official_areas(province: str) -> dict[str, Area]:
    """Every official area of a province by its code (the rows of :func:`area_table`).

    :func:`get_area` is called a dozen times a report: a lookup here instead of a filter of
    the table each time.
    """
    return {str(r.code): Area(str(r.code), str(r.level), str(r.name_th), str(r.name_en),
                              str(r.parent) or None)
            for r in area_table(province).itertuples(index=False)}


# packaged official names in, frozen areas out (a dict nobody is given to change): kept
# between a worker's reports (abcresearch.batch.kernel_state.clear_library_caches)
_official_areas.cache_safe = True  # type: ignore[attr-defined]


def check_codes(codes: pd.Series) -> pd.Series:
    """Return a boolean Series: True where a village code is malformed or names an unknown tambon.

    Vectorised for ingest: one lookup per distinct tambon, not per row.
    """
    s = codes.astype(object).where(codes.notna(), "").astype(str)
    ok_shape = s.str.fullmatch(r"[0-9]{8}").to_numpy(dtype=bool)
    tambon = s.str.slice(0, 6)
    known: set[str] = set()
    for prov in pd.unique(tambon[ok_shape].str.slice(0, 2)):
        if geothai.province(prov) is not None:
            known.update(tambons(prov)["code"])
    ok_tambon = tambon.isin(known).to_numpy(dtype=bool)
    ok_number = (s.str.slice(6, 8) != "00").to_numpy(dtype=bool)
    return pd.Series(~(ok_shape & ok_tambon & ok_number), index=codes.index)
