"""Words and number formats of the reports, in Thai or English.

Every word comes from ``params/labels.yaml`` (and its topic files) or from the scoring scheme's
own labels; this module only picks the language, fills in the design's threshold and confidence
level, and writes numbers the way the reports print them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from abcresearch.labels import label, label_in, labels
from abcresearch.reports.disclosure import SUPPRESSED, marker
from abcresearch.reports.render.display import format_number

__all__ = ["Words", "fmt_ci", "scheme_version", "with_aside"]


def fmt_ci(est: float, low: float, high: float, digits: int = 1, scale: float = 1.0,
           hidden: str = SUPPRESSED) -> str:
    """Write an estimate with its interval, e.g. ``"51.2 (48.0–54.4)"``.

    Parameters
    ----------
    est, low, high : float
        Estimate and interval bounds (NaN estimate: suppressed; NaN bound: no interval).
    digits : int
        Decimals.
    scale : float
        Multiplier (100 for percentages of a share).
    hidden : str
        Text shown for a suppressed estimate.

    Returns
    -------
    str
        The formatted text, ``hidden`` if the estimate is missing, ``"–"`` if a bound is; the
        estimate alone when the interval is narrower than the digits shown (not "30 (30–30)").
    """
    if any(pd.isna(v) for v in (est, low, high)):
        return hidden if pd.isna(est) else "–"
    text, lo, hi = (format_number(v, digits, scale) for v in (est, low, high))
    return text if lo == hi == text else f"{text} ({lo}–{hi})"


def with_aside(text: str, aside: str) -> str:
    """Return ``text`` with ``aside`` said after it: in brackets, or after " · " after one.

    A text ending in a bracket of its own takes the aside after " · ":
    "(กองทุนสวัสดิการ ชมรมผู้สูงอายุ) (พอช.)" and "(กำลังพัฒนา) (เกณฑ์ร่าง…)" read as
    asides of asides (reader reviews); "·" is how the reports set an item's other words.

    Parameters
    ----------
    text : str
        What is said first.
    aside : str
        What is said of it; empty gives ``text`` unchanged.

    Returns
    -------
    str
        ``"text (aside)"``, or ``"text) · aside"`` after a closing bracket.
    """
    if not aside:
        return text
    return f"{text} · {aside}" if text.rstrip().endswith(")") else f"{text} ({aside})"


def scheme_version(scheme: Any) -> str:
    """Return ``"<scheme id> v<version>"`` of a scoring scheme or grade rules."""
    return f"{scheme.scheme_id} v{scheme.scheme_version}"


@dataclass(frozen=True)
class Words:
    """The report's words in one language.

    Parameters
    ----------
    lang : {"th", "en"}
        Report language (checked when built).
    threshold : int, optional
        Smallest publishable household count, offered to labels as ``{threshold}``.
    level : float, optional
        Confidence level, offered to labels as ``{level}``.
    """

    lang: str
    threshold: int | None = None
    level: float | None = None

    def __post_init__(self) -> None:
        label("grade", self.lang)  # an unknown language is a ParamsError naming the choices

    def __call__(self, key: str, **fields: Any) -> str:
        """Return a label (``params/labels.yaml``) with ``fields`` filled in."""
        if self.threshold is not None:
            fields = {"threshold": self.threshold, "level": self.level, **fields}
        return label_in(self._table, key, self.lang, **fields)

    @cached_property
    def _table(self) -> dict[str, dict[str, str]]:
        """The label table, read once per :class:`Words` (a report holds one)."""
        return labels()

    @property
    def marker(self) -> str:
        """Text shown in place of a small cell (``<5`` under the default threshold)."""
        return marker(self.threshold if self.threshold is not None else 5)

    def round_years(self, be: int) -> str:
        """``รอบการสำรวจ พ.ศ. 2549 (ค.ศ. 2006)``: the round in Buddhist and common era."""
        return f"{self('round')} {self('round.years', be=be, ce=be - 543)}"
