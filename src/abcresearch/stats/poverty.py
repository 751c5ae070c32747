"""Income poverty headcount against the BMN (จปฐ.) income pass mark from ``params/``.

The pass mark (baht per person per year) depends on the survey year (Buddhist era) and lives
in ``params/poverty_lines.yaml``; it is never written in code. Per-person income is household
income divided by the number of household members.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import AbcResearchWarning, DesignError, ParamsError
from abcresearch.params import Problems, load
from abcresearch.paths import params_dir
from abcresearch.stats import estimators
from abcresearch.stats.core import SurveyDesignBase

__all__ = [
    "PovertyLine",
    "PovertyLines",
    "headcount",
    "load_poverty_lines",
    "parse_poverty_lines",
    "poverty_line",
]

POVERTY_FILE = "poverty_lines.yaml"


@dataclass(frozen=True)
class PovertyLine:
    """One BMN income pass mark.

    Attributes
    ----------
    year_from, year_to : int
        Inclusive range of Buddhist-era survey years.
    value : float or None
        Baht per person per year (None when not known).
    source : str
        Where the value comes from.
    verified : bool
        True only if checked against ``source``.
    """

    year_from: int
    year_to: int
    value: float | None
    source: str
    verified: bool


@dataclass(frozen=True)
class PovertyLines:
    """The lines of ``poverty_lines.yaml``, checked once when read.

    Attributes
    ----------
    lines : tuple of PovertyLine
        Sorted by year, ranges not overlapping.
    path : Path
        The file read.
    """

    lines: tuple[PovertyLine, ...]
    path: Path


def parse_poverty_lines(raw: Mapping[str, Any], path: Path) -> PovertyLines:
    """Check a poverty-lines file (a parser for :func:`abcresearch.params.load`).

    Parameters
    ----------
    raw : Mapping
        The file's top-level mapping.
    path : Path
        The file (its name starts the error message).

    Returns
    -------
    PovertyLines

    Raises
    ------
    ParamsError
        Listing every problem found (missing fields, bad years, overlaps).
    """
    entries = raw.get("lines")
    if not isinstance(entries, list) or not entries:
        raise ParamsError(f"{path.name}: expected a non-empty list under 'lines'")
    pr = Problems(path)
    lines: list[PovertyLine] = []
    for i, e in enumerate(entries, start=1):
        where = f"lines[{i}]"
        if not isinstance(e, Mapping):
            pr.add(where, "must be a mapping")
            continue
        missing = [k for k in ("year", "value", "source", "verified") if k not in e]
        if missing:
            pr.add(where, f"misses field(s) {', '.join(missing)}")
            continue
        yr = e["year"]
        if not (isinstance(yr, list) and len(yr) == 2 and all(isinstance(v, int) for v in yr)
                and 2400 < yr[0] <= yr[1]):
            pr.add(f"{where}.year", f"must be [from, to] Buddhist-era ints, found {yr!r}")
            continue
        val = e["value"]
        if val is not None and (not isinstance(val, int | float) or val <= 0):
            pr.add(f"{where}.value", f"must be a positive number or null, found {val!r}")
            continue
        if not isinstance(e["verified"], bool):
            pr.add(f"{where}.verified", f"must be true or false, found {e['verified']!r}")
            continue
        lines.append(PovertyLine(yr[0], yr[1], None if val is None else float(val),
                                 str(e["source"]), e["verified"]))
    lines.sort(key=lambda ln: ln.year_from)
    for a, b in zip(lines, lines[1:], strict=False):
        if b.year_from <= a.year_to:
            pr.add("", f"year ranges {a.year_from}-{a.year_to} and {b.year_from}-{b.year_to} "
                       "overlap")
    pr.raise_if_any()
    return PovertyLines(tuple(lines), path)


def load_poverty_lines(path: str | Path | None = None) -> list[PovertyLine]:
    """Read and check ``poverty_lines.yaml`` (once per version of the file).

    Parameters
    ----------
    path : str or Path, optional
        The YAML file; default ``params/poverty_lines.yaml`` (see :func:`abcresearch.paths`).

    Returns
    -------
    list of PovertyLine
        Sorted by year (a new list: changing it changes no other caller's lines).

    Raises
    ------
    ParamsError
        Listing every problem found (missing fields, bad years, overlaps).
    """
    p = Path(path) if path is not None else params_dir() / POVERTY_FILE
    return list(load(p.absolute(), parse_poverty_lines).lines)


def poverty_line(year: int, path: str | Path | None = None) -> PovertyLine:
    """Return the BMN income pass mark for a Buddhist-era survey year.

    Raises
    ------
    ParamsError
        If the year looks like CE, is not covered, or its value is unset.
    """
    if not isinstance(year, int | np.integer) or year < 2400:
        raise ParamsError(
            f"survey year must be a Buddhist-era int (e.g. 2564 = 2021 CE), found {year!r}"
        )
    lines = load_poverty_lines(path)
    for ln in lines:
        if ln.year_from <= year <= ln.year_to:
            if ln.value is None:
                raise ParamsError(f"poverty line for {year} ({ln.year_from}-{ln.year_to}) is "
                                  f"not set in {POVERTY_FILE}")
            return ln
    covered = ", ".join(f"{ln.year_from}-{ln.year_to}" for ln in lines)
    raise ParamsError(f"no poverty line for survey year {year} in {POVERTY_FILE}; "
                      f"covered years: {covered}")


def headcount(
    design: SurveyDesignBase,
    income: str,
    members: str,
    year: int,
    by: Any = None,
    unit: str = "household",
    na_rm: bool = True,
    level: float = 0.95,
    path: str | Path | None = None,
) -> pd.DataFrame:
    """Share below the BMN income line of ``year`` (per-person income = income / members).

    Parameters
    ----------
    design : SurveyDesign
        The survey design (one row per household).
    income : str
        Household income column (baht per year).
    members : str
        Household size column (> 0).
    year : int
        Survey year, Buddhist era; selects the line in ``params/poverty_lines.yaml``.
    by : str or list of str, optional
        Domain column(s).
    unit : {"household", "person"}, default "household"
        ``"household"``: share of households below the line, with a logit interval
        (:func:`~abcresearch.stats.estimators.ciprop`). ``"person"``: share of persons,
        ``sum(w m poor) / sum(w m)`` as a ratio estimator with a Wald t interval.
    na_rm : bool, default True
        Drop households with missing income or members.
    level : float, default 0.95
        Confidence level.
    path : str or Path, optional
        Alternative poverty-lines file.

    Returns
    -------
    pandas.DataFrame
        ``estimate, se, ci_low, ci_high, df, n``; ``attrs`` record ``poverty_line``,
        ``line_verified``, ``line_source`` and ``year``.

    Warns
    -----
    AbcResearchWarning
        When the line for ``year`` is marked ``verified: false``.
    """
    if unit not in ("household", "person"):
        raise DesignError(f"unit must be 'household' or 'person', found {unit!r}")
    ln = poverty_line(year, path)
    if not ln.verified:
        warnings.warn(
            f"poverty line {ln.value:,.0f} baht for {year} is not verified ({ln.source})",
            AbcResearchWarning,
            stacklevel=2,
        )
    line = ln.value
    assert line is not None, "poverty_line returns only lines whose value is set"
    inc = design.values(income)
    mem = design.values(members)
    bad = design.domain & (mem <= 0)
    if bad.any():
        raise DesignError(f"{members!r} must be > 0; {int(bad.sum())} households have "
                          f"{members} <= 0")
    with np.errstate(invalid="ignore", divide="ignore"):
        poor = np.where(np.isnan(inc) | np.isnan(mem), np.nan, (inc / mem < line) * 1.0)
    aug = design.with_columns(_poor=poor, _poor_members=poor * mem, _members=mem)
    if unit == "household":
        out = estimators.ciprop(aug, "_poor", by=by, na_rm=na_rm, level=level)
    else:
        out = estimators.ratio(aug, "_poor_members", "_members", by=by, na_rm=na_rm,
                               level=level)
    if by is None:
        out.index = pd.Index([f"below_{int(line)}"])
    out.attrs.update({"statistic": "headcount", "variable": income, "unit": unit, "year": year,
                      "poverty_line": ln.value, "line_verified": ln.verified,
                      "line_source": ln.source})
    return out
