"""The one place user-facing text comes from, in Thai and English.

Texts live in ``params/labels.yaml`` and in the topic files ``params/labels/*.yaml`` (one per
part of the reports, so that adding a section adds a file), keyed by stable English ids; code asks
for ``label(key, lang)``. A key defined twice is an error. Scheme-specific labels (capitals, levels,
tracks) come from the scheme's own params file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from abcresearch.errors import ParamsError
from abcresearch.params import Problems, load
from abcresearch.paths import params_dir

LANGS = ("th", "en")

_FIXED_SPEC = re.compile(r"([,_]?)\.(\d+)(f|%)")


def round_half_up(value: float, digits: int = 0, scale: float = 1, grouping: str = ",") -> str:
    """Write ``value x scale`` at ``digits`` decimals, rounded half up (away from zero).

    The one rounding rule of every printed number: readers round by hand, half up, where Python's
    own formatting rounds a tie to the even digit (12.5 is written 12) and rounds the binary
    number (0.145 x 100 is 14.499999999999998). Here the number is read at its shortest decimal
    form (``repr``) and scaled in decimal, so 0.145 x 100 is 14.5 and is written 15.

    Parameters
    ----------
    value : float
        The number (not a number or infinite: written as Python writes it).
    digits : int
        Decimals.
    scale : float
        Multiplier applied first, in decimal (100 writes a 0-1 share as a percentage).
    grouping : str
        Thousands separator as in a format spec: ``","``, ``"_"`` or ``""`` for none.

    Returns
    -------
    str
        E.g. ``"117,563"``, ``"12.3"``.
    """
    x = float(value)
    if not math.isfinite(x):
        return f"{x * scale:{grouping}.{digits}f}"
    with localcontext() as ctx:
        ctx.prec = 400  # enough for any float's integer digits and the decimals asked for
        exact = (Decimal(repr(x)) * Decimal(repr(float(scale)))).quantize(
            Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    if exact.is_zero():  # a small negative number rounded to nothing is "0.0", not "-0.0"
        exact = abs(exact)
    return f"{exact:{grouping}.{digits}f}"


class HalfUp(float):
    """A number that a text template writes rounded half up.

    ``"{value:.0f}".format(value=HalfUp(12.5))`` is ``"13"``; a fixed-point spec (``.Nf``,
    ``,.Nf``) or percentage spec (``.N%``: ``"{:.0%}"`` of ``HalfUp(0.125)`` is ``"13%"``)
    goes through :func:`round_half_up`, any other spec is float's own. ``scale``
    keeps the unscaled number, so a share written as a percentage is scaled in decimal.

    Parameters
    ----------
    value : float
        The number.
    scale : float
        Multiplier: the float's value is ``value x scale``.
    """

    _base: float
    _scale: float

    def __new__(cls, value: float, scale: float = 1) -> HalfUp:  # noqa: D102
        obj = super().__new__(cls, float(value) * scale)
        obj._base = float(value)
        obj._scale = float(scale)
        return obj

    def __format__(self, spec: str) -> str:
        m = _FIXED_SPEC.fullmatch(spec)
        if m is None:
            return float.__format__(self, spec)
        if m[3] == "%":  # a share written as a percentage: scaled by 100, in decimal
            return round_half_up(self._base, int(m[2]), 100 * self._scale, m[1]) + "%"
        return round_half_up(self._base, int(m[2]), self._scale, m[1])


#: Decimals a number is compared with a threshold at (by :class:`HalfUpBelow` and the grade
#: rules, :func:`~abcresearch.scoring.grade_rules.condition_holds`): a weighted share of
#: exactly 40% computed as 6.8 / 17 is 0.39999999999999997.
SNAP_DECIMALS = 12


class HalfUpBelow(HalfUp):
    """A number below a limit, written half up unless that would reach the limit.

    Then it gets more decimals, up to three more, until it reads below the limit (a score of
    34.96 short of a threshold of 35 reads ``34.96`` under ``.1f``, never ``35.0`` beside
    "below 35"; the tables' rounded 35.0 is what it rounds to), and past those it is rounded
    down. Numbers at or above the limit, and specs other than fixed-point or percentage, are
    written as :class:`HalfUp` writes them.

    Parameters
    ----------
    value : float
        The number.
    limit : float
        The limit it is below, unscaled (as ``value``).
    scale : float
        Multiplier, as :class:`HalfUp`'s.

    Examples
    --------
    >>> "{:.1f} {:.0f} {:.0%} {:.1f}".format(HalfUpBelow(34.96, 35), HalfUpBelow(34.4, 35),
    ...                                    HalfUpBelow(0.3996, 0.4), HalfUpBelow(19.99999, 20))
    '34.96 34 39.96% 19.9999'
    """

    _limit: float

    def __new__(cls, value: float, limit: float, scale: float = 1) -> HalfUpBelow:  # noqa: D102
        obj = cast("HalfUpBelow", super().__new__(cls, value, scale))
        obj._limit = float(limit)
        return obj

    def __format__(self, spec: str) -> str:
        m = _FIXED_SPEC.fullmatch(spec)
        # compared as the grade rules compare: 6.8/17 is at a limit of 0.4
        if m is None or not round(self._base, SNAP_DECIMALS) < self._limit:
            return super().__format__(spec)
        factor = Decimal(repr(self._scale)) * (100 if m[3] == "%" else 1)
        limit = Decimal(repr(self._limit)) * factor
        digits = int(m[2])
        for extra in range(4):  # the spec's decimals, then up to three more
            text = HalfUp.__format__(self, f"{m[1]}.{digits + extra}{m[3]}")
            if Decimal(text.rstrip("%").replace(",", "").replace("_", "")) < limit:
                return text
        step = Decimal(1).scaleb(-(digits + 3))
        down = (Decimal(repr(self._base)) * factor).quantize(step, rounding=ROUND_FLOOR)
        return format(down, f"{m[1]}.{digits + 3}f") + ("%" if m[3] == "%" else "")


def format_half_up(value: Any, spec: str) -> str:
    """``format(value, spec)``, a float's fixed-point or percentage spec rounded half up.

    Python rounds a tie to the even digit (``format(152812.5, ",.0f")`` is ``"152,812"``); the
    reports round half up (``"152,813"``), through :class:`HalfUp`. Other values (integers,
    text) are formatted as they are.

    Examples
    --------
    >>> format_half_up(152812.5, ",.0f"), format_half_up(3, "d")
    ('152,813', '3')
    """
    return format(HalfUp(value) if isinstance(value, float) else value, spec)


@dataclass(frozen=True)
class LabelFile:
    """The texts of one label file, checked once when read.

    Attributes
    ----------
    labels : dict
        ``{key: {"th": ..., "en": ...}}``.
    """

    labels: dict[str, dict[str, str]]


def parse_label_file(raw: Mapping[str, Any], path: Path) -> LabelFile:
    """Check a label file (a parser for :func:`abcresearch.params.load`).

    Parameters
    ----------
    raw : Mapping
        The file's top-level mapping (texts under ``labels``).
    path : Path
        The file (its name starts the error message).

    Returns
    -------
    LabelFile

    Raises
    ------
    ParamsError
        Listing every key without a text in each language.
    """
    pr = Problems(path)
    table = raw.get("labels", {}) or {}
    if not isinstance(table, Mapping):
        pr.add("labels", "must map keys to their texts")
        table = {}
    for k, v in table.items():
        for lang in LANGS:
            if not isinstance(v, Mapping) or not v.get(lang):
                pr.add("", f"{k}: missing {lang}")
    pr.raise_if_any()
    return LabelFile({str(k): dict(v) for k, v in table.items()})


def _read(p: Path) -> dict[str, dict[str, str]]:
    return load(p.absolute(), parse_label_file).labels


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, dict[str, str]]:
    p = Path(path)
    if not p.exists():
        raise ParamsError(f"label file {p} does not exist")
    table = dict(_read(p))
    topic_dir = p.with_suffix("")  # params/labels.yaml -> params/labels/
    if topic_dir.is_dir():
        for f in sorted(topic_dir.glob("*.yaml")):
            for key, value in _read(f).items():
                if key in table:
                    raise ParamsError(f"label {key!r} is defined twice ({f.name} and "
                                      f"another label file)")
                table[key] = value
    return table


def labels(path: Path | None = None) -> dict[str, dict[str, str]]:
    """Return the whole label table ``{key: {"th": ..., "en": ...}}``.

    Parameters
    ----------
    path : Path, optional
        The main label file (default ``params/labels.yaml``); topic files are read from the
        folder of the same name beside it.
    """
    return _load(str(path or params_dir() / "labels.yaml"))


def label(key: str, lang: str = "th", **fields: Any) -> str:
    """Return the text for ``key`` in ``lang``, with ``{field}`` placeholders filled.

    Parameters
    ----------
    key : str
        Stable English id, e.g. ``"section.findings"``.
    lang : {"th", "en"}
        Language.
    **fields
        Values for placeholders in the text.

    Raises
    ------
    ParamsError
        If the key or language is unknown.
    """
    return label_in(labels(), key, lang, **fields)


def names_list(t: Callable[..., str], names: Sequence[str], either: bool = False,
               commas: bool = False) -> str:
    """Join names as the report's language lists them ("ก ข และค", "a, b and c").

    Names with spaces of their own ("หมู่ที่ 4 บ้านโคกพลู"), and numbers ("1, 2 และ 3"), are
    separated by ``list.separator_spaced`` (a comma in Thai too): a space between them would
    not say where one name ends. Before a last name that starts with a quotation mark, a
    bracket, an ASCII digit or a Latin letter the joining word keeps a space ("และ 11").

    Parameters
    ----------
    t : callable
        A label function: a report's ``report.t``, or :func:`label` in one language.
    names : sequence of str
        The names, in order.
    either : bool
        Join the last with "or" (``list.last_or``: "ก ข หรือค") instead of "and".
    commas : bool
        Separate by ``list.separator_spaced`` whatever the names (phrases such as kinds of
        groups, "ชมรมผู้สูงอายุ, กลุ่มเยาวชน และกลุ่มอาชีพ").

    Returns
    -------
    str
        One name as it is; two or more with the labels ``list.separator`` and ``list.last``.
    """
    if len(names) < 2:
        return "".join(names)
    # numbers are separated by commas too ("1, 2, 3"), not by spaces
    numbers = all(str(n).strip()[:1].isdigit() for n in names)
    spaced = commas or numbers or any(" " in str(n).strip() for n in names)
    separator = t("list.separator_spaced" if spaced else "list.separator")
    # "และ“สัจจะ”" read run together (a reader review): before a quotation mark or bracket
    # the joining word keeps a space ("และ “สัจจะ”"), and before a number or a Latin letter
    # ("และ 11", not "และ11")
    first = str(names[-1])[:1]
    quoted = "_quoted" if first in "“‘(\"" or (first.isascii() and first.isalnum()) else ""
    return t(("list.last_or" if either else "list.last") + quoted,
             items=separator.join(names[:-1]), last=names[-1])


def village_name(t: Callable[..., str], village: str, name: str | None) -> str:
    """Return a village's label with its own name: "หมู่ที่ 4 บ้านโคกพลู", "Village 4 บ้านโคกพลู".

    The one place a village's number and the name its village form gives are put together
    (label ``village.named``), for its own report's title and for every table and sentence that
    names it. The English name used to hold the Thai name in brackets, "Village 4 (บ้านโคกพลู)",
    and a note in brackets after it read "Village 4 (บ้านโคกพลู) (43% of households at level 1)"
    or closed a list in brackets with "))".

    Parameters
    ----------
    t : callable
        A label function in the report's language: a report's ``report.t``, or :func:`label`
        in one language.
    village : str
        The village's number as named in that language ("หมู่ที่ 4", "Village 4").
    name : str or None
        Its own name ("บ้านโคกพลู"); None or blank: the number alone.

    Returns
    -------
    str
        The village's label.
    """
    if name is None or not str(name).strip():
        return village
    return t("village.named", village=village, name=str(name).strip())


def label_in(table: Mapping[str, Mapping[str, str]], key: str, lang: str = "th",
             **fields: Any) -> str:
    """Return :func:`label`'s text from a label table already read (:func:`labels`).

    For code that writes many labels (a report's :class:`~abcresearch.reports.formatting.Words`)
    and so reads the table once instead of finding the project's ``params/`` each time.

    Raises
    ------
    ParamsError
        If the key or language is unknown.
    """
    if lang not in LANGS:
        raise ParamsError(f"language {lang!r} is not supported; use one of {LANGS}")
    if key not in table:
        raise ParamsError(f"no label {key!r} in params/labels.yaml")
    text = table[key][lang]
    if not fields:
        return text
    # a number is written half up, as every printed number (see :class:`HalfUp`)
    return text.format(**{k: HalfUp(v) if isinstance(v, float) and not isinstance(v, HalfUp)
                          else v for k, v in fields.items()})
