"""The numbers of the area report: estimates from the design and counts of households.

Pure functions of the area's households, its :class:`~abcresearch.stats.SurveyDesign` and the
round's cached analysis. They return unrounded, unsuppressed numbers; what may be published is
decided by :mod:`abcresearch.reports.disclosure`, how it is written by
:mod:`abcresearch.reports.formatting`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import AbcResearchWarning

__all__ = [
    "AREA_COLUMNS",
    "ITEM_CATEGORIES",
    "LEVELS",
    "WELFARE_CATEGORIES",
    "NA",
    "CountMeasure",
    "MeanMeasure",
    "RatioMeasure",
    "calibrated_weights",
    "count_measures",
    "household_categories",
    "household_values",
    "income_bin_ids",
    "item_measure",
    "item_share_cells",
    "level_key",
    "mean_measures",
    "member_flag",
    "poor_households",
    "poverty_line_value",
    "ratio_measures",
    "weighted_counts",
    "within_village_weights",
    "welfare_measure",
    "welfare_share_cells",
    "alkire_foster_measures",
    "capital_level_shares",
    "capital_means",
    "child_level1_counts",
    "households_on_forms",
    "income_histogram",
    "INCOME_MEASURES",
    "income_measures",
    "level_counts",
    "lorenz_points",
    "missing_shares",
    "poor_counts",
    "poverty_headcount",
    "round_means",
    "track_counts",
]

#: Overall levels in table order; 0 stands for "not scored".
LEVELS = (1, 2, 3, 0)
_CI = ["estimate", "se", "ci_low", "ci_high"]


def capital_means(design: Any, capitals: Sequence[str], level: float) -> pd.DataFrame:
    """Design-based mean score of each capital with its interval.

    Parameters
    ----------
    design : SurveyDesign
        The area's households.
    capitals : sequence of str
        Capital ids (score columns).
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        Index ``capital``; columns ``estimate, se, ci_low, ci_high, n`` (n: households scored).
    """
    caps = list(capitals)
    if not caps:
        return pd.DataFrame(columns=["capital", *_CI, "n"]).set_index("capital")
    m = design.mean_each(caps, na_rm=True, level=level)  # one pass over the capitals
    out = pd.DataFrame({k: m[k].to_numpy(dtype=float) for k in (*_CI, "n")},
                       index=pd.Index(caps, name="capital"))
    return out


def round_means(means: pd.DataFrame, capitals: Sequence[str], level: str,
                code: str | None = None) -> pd.Series:
    """Capital means of a larger area from the round's analysis (amphoe or province).

    Parameters
    ----------
    means : pandas.DataFrame
        :attr:`~abcresearch.analysis.round.RoundAnalysis.means`.
    capitals : sequence of str
        Capital ids.
    level : {"amphoe", "province"}
        Area level.
    code : str, optional
        Area code (None: any area of that level, for the round's one province).

    Returns
    -------
    pandas.Series
        Mean by capital; NaN where the round has none.
    """
    sel = means["level"] == level
    if code is not None:
        sel &= means["code"] == code
    hit = means.loc[sel, ["capital", "estimate"]].drop_duplicates("capital")  # the first row
    found = pd.Series(hit["estimate"].to_numpy(dtype=float), index=hit["capital"].to_numpy())
    return pd.Series([found.get(cap, np.nan) for cap in capitals], index=list(capitals),
                     dtype=float)


def level_counts(households: pd.DataFrame, by: str) -> pd.DataFrame:
    """Households by overall level (columns :data:`LEVELS`), one row per ``by`` area.

    The column 0 (not scored) is dropped when no household lacks a level.
    """
    lv = households["overall_level"].fillna(0).astype(int)
    counts = pd.crosstab(households[by], lv).reindex(columns=list(LEVELS), fill_value=0)
    return counts.loc[:, (counts.sum() > 0) | (counts.columns != 0)]


def capital_level_shares(design: Any, households: pd.DataFrame, capitals: Sequence[str],
                         level: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Design-based share of households at each level of each capital, with the counts.

    Returns
    -------
    shares : pandas.DataFrame
        Index capital, columns 1, 2, 3: weighted shares (0 where no household is at a level).
    counts : pandas.DataFrame
        The same shape: households at each level (unweighted).
    base : pandas.Series
        Households with a level of the capital.
    """
    shares, counts, base = {}, {}, {}
    for cap in capitals:
        p = design.proportion(f"level_{cap}", na_rm=True, level=level)
        est = p["estimate"]
        est.index = [int(float(i)) for i in est.index]
        lv = households[f"level_{cap}"].dropna()
        shares[cap] = [est.get(k, 0.0) for k in (1, 2, 3)]
        counts[cap] = [int((lv == k).sum()) for k in (1, 2, 3)]
        base[cap] = len(lv)
    cols = [1, 2, 3]
    return (pd.DataFrame.from_dict(shares, orient="index", columns=cols),
            pd.DataFrame.from_dict(counts, orient="index", columns=cols),
            pd.Series(base, dtype=float))


def track_counts(households: pd.DataFrame, track_ids: Sequence[str]) -> pd.Series:
    """Households on each development track (0 for a track nobody is on)."""
    tracks = households["track"].value_counts()
    return pd.Series([int(tracks.get(t, 0)) for t in track_ids], index=list(track_ids))


def alkire_foster_measures(design: Any, scheme: Any, capitals: Sequence[str],
                           level: float) -> Any:
    """Alkire-Foster H, A, M0 and contributions over the capitals, with the scheme's k and weights.

    Returns
    -------
    abcresearch.scoring.alkire_foster.AlkireFosterResult
    """
    from abcresearch.scoring.alkire_foster import alkire_foster

    ind = [f"dep_{c}" for c in capitals]
    weights = {f"dep_{c}": w for c, w in scheme.af_weights.items()}
    return alkire_foster(design, ind, k=scheme.af_k, weights=weights, na_rm=True, level=level)


def poor_counts(af: Any, households: pd.DataFrame,
                capitals: Sequence[str]) -> tuple[float, float, pd.Series]:
    """Households poor, households identified at all, and households poor and deprived per capital.

    Returns
    -------
    n_poor, n_base : float
        Poor households; households with every deprivation known.
    censored : pandas.Series
        By capital: households poor and deprived in it.
    """
    hhd = af.household
    poor = hhd["poor"].dropna().astype(bool)
    poor_mask = hhd["poor"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    censored = {}
    for cap in capitals:
        dep = households[f"dep_{cap}"].to_numpy()
        censored[cap] = float(np.nansum(dep[poor_mask] == 1))
    return float(poor.sum()), float(len(poor)), pd.Series(censored, dtype=float)


def poverty_headcount(design: Any, households: pd.DataFrame, survey_round: int,
                      level: float) -> dict[str, Any] | None:
    """Share of households below the BMN income line of the round's year.

    Returns
    -------
    dict or None
        ``estimate, se, ci_low, ci_high`` (unrounded), ``line`` (baht per person per year),
        ``verified`` (whether the line is from a checked source), ``warned`` (a warning was
        raised), ``n_below`` and ``n_base`` (households with income per person, unweighted).
        None when the round's year has no line.
    """
    from abcresearch.stats.poverty import headcount, poverty_line

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AbcResearchWarning)
        try:
            line = poverty_line(survey_round)
        except Exception:
            return None
        if line.value is None:
            return None
        r = headcount(design, "fin_income_year", "hh_size", survey_round, level=level).iloc[0]
    x = households["income_pc"].dropna()
    return {**{k: r[k] for k in _CI}, "line": line.value, "verified": line.verified,
            "warned": bool(caught), "n_below": int((x < line.value).sum()), "n_base": len(x)}


#: The income measures :func:`income_measures` returns, in the income table's order.
INCOME_MEASURES = ("mean", "mean_pc", "median", "gini")


def income_measures(design: Any, level: float) -> pd.DataFrame:
    """Mean income per household and per person, the median per person and the Gini.

    The mean per person is the ratio of the households' weighted incomes to their weighted
    members (R's ``svyratio``): beside the median per person, where the mean per household
    alone was divided by a reader into a figure per person (a reader review).

    Returns
    -------
    pandas.DataFrame
        Index :data:`INCOME_MEASURES`; columns ``estimate, se, ci_low, ci_high``.
    """
    from abcresearch.stats.inequality import gini

    mean = design.mean("fin_income_year", na_rm=True, level=level).iloc[0]
    per_person = design.ratio("fin_income_year", "hh_size", na_rm=True, level=level).iloc[0]
    med = design.quantile("income_pc", 0.5, na_rm=True, level=level).iloc[0]
    g = gini(design, "income_pc", na_rm=True, level=level).iloc[0]
    return pd.DataFrame([[r[k] for k in _CI] for r in (mean, per_person, med, g)],
                        index=list(INCOME_MEASURES), columns=_CI)


def lorenz_points(design: Any, points: int = 21) -> pd.DataFrame:
    """Return the Lorenz curve of income per person at ``points`` evenly spaced shares."""
    from abcresearch.stats.inequality import lorenz

    return lorenz(design, "income_pc", p=np.linspace(0, 1, points))


def income_histogram(households: pd.DataFrame, bins: int = 29,
                     floor: float = 1000.0) -> dict[str, Any]:
    """Households and weighted households in log-spaced bins of income per person.

    Parameters
    ----------
    households : pandas.DataFrame
        With ``income_pc`` and ``weight``.
    bins : int
        Number of bins, evenly spaced on a log scale from ``max(min income, floor)`` to the
        largest income.
    floor : float
        Lowest left edge.

    Returns
    -------
    dict
        ``edges`` (None without a positive income), ``n`` and ``weighted`` per bin, and
        ``n_positive`` (households with a positive income per person).
    """
    x = households["income_pc"].to_numpy(dtype=float)
    w = households["weight"].to_numpy(dtype=float)
    ok = np.isfinite(x) & (x > 0)
    if not ok.any():
        return {"edges": None, "n": None, "weighted": None, "n_positive": 0}
    edges = np.logspace(np.log10(max(x[ok].min(), floor)), np.log10(x[ok].max()), bins + 1)
    n_bin, _ = np.histogram(x[ok], bins=edges)
    w_bin, _ = np.histogram(x[ok], bins=edges, weights=w[ok])
    return {"edges": edges, "n": n_bin, "weighted": w_bin, "n_positive": int(ok.sum())}


def child_level1_counts(households: pd.DataFrame, by: str, codes: Sequence[str]) -> pd.DataFrame:
    """Per area within: households at level 1 (``sum``) and households with a level (``count``)."""
    hh = households[households["overall_level"].notna()]
    l1 = hh.groupby(by)["level1"].agg(["sum", "count"])
    return l1.reindex(list(codes)).fillna(0)


def missing_shares(households: pd.DataFrame, capitals: Sequence[str]) -> pd.Series:
    """Share of households (0-1) whose capital score is missing, by capital."""
    return pd.Series({c: households[c].isna().mean() for c in capitals}, dtype=float)


def households_on_forms(village_forms: pd.DataFrame) -> float:
    """Return the households the village forms count, NaN where a form's count is blank.

    A form's household count left blank at ingest (unusable, kept because the round's frame
    weights the villages) is no count, and summed it would count as 0; so is an area without
    any form.
    """
    counts = pd.to_numeric(village_forms["vil_households"], errors="coerce").astype("float64")
    # no form (not sent, or rejected) is no count either, not 0 households
    return float(counts.sum()) if len(counts) and counts.notna().all() else float("nan")


# --------------------------------------------------------------------------------------------
# Measures of the disclosure step: what each published number counts or averages
# --------------------------------------------------------------------------------------------

#: Category of households a measure cannot place (level not scored, income missing, ...).
NA = "na"
#: Area code columns of a household, smallest area first.
AREA_COLUMNS = ("village_code", "tambon_code", "amphoe_code", "province_code")


@dataclass(frozen=True)
class CountMeasure:
    """A partition of households into categories, counted in every area.

    Parameters
    ----------
    id : str
        Stable id (``"overall_level"``, ``"level:human"``, ``"poor"``, ``"cens:human"``,
        ``"poverty"``, ``"income_bin"``).
    categories : tuple of str
        The categories; their counts add up to the area's households, or, when ``refines`` is
        set, to the count of that category of another measure.
    refines : (str, str), optional
        ``(measure, category)`` whose households this measure splits (e.g. the deprivation of
        the poor households in one capital splits ``("poor", "poor")``).
    published : tuple of str, optional
        The categories reports publish as cells (a weighted count, or a share of one base that
        all of them share); None: every category; ``()``: none (only shares of the measure
        are published, see :class:`RatioMeasure`).
    headline : tuple of str
        Categories that are the reports' headline figures (level 1: households that need basic
        support first): secondary suppression hides one of them to protect another cell of
        the area only when no other part can be hidden instead, or none other is large enough
        to protect it (``complement_last`` of ``params/publication.yaml``).
    sums_of : tuple of (str, str, tuple of str)
        ``(category, measure, categories)``: this category holds exactly the households of
        those categories of another measure, in every area (the households below the income
        line are those of the income bins below it, when the line is a bin edge). The
        disclosure pattern and its audit relate the two, so that a share of one does not give
        back a hidden cell of the other.
    """

    id: str
    categories: tuple[str, ...]
    refines: tuple[str, str] | None = None
    published: tuple[str, ...] | None = None
    headline: tuple[str, ...] = ()
    sums_of: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def cells(self) -> tuple[str, ...]:
        """The categories published as cells."""
        return self.categories if self.published is None else self.published


@dataclass(frozen=True)
class RatioMeasure:
    """A share reports publish for every area, whose cells are not published themselves.

    Parameters
    ----------
    id : str
        Stable id (``"H"``, ``"CH:human"``, ``"poverty"``).
    numerator, base : tuple of (measure, category)
        Cells counted, and the cells of the base.
    parts : tuple of str
        Ratio measures of the same area that this share is a weighted mean of (the share of
        all households in a welfare fund, of the shares of each level's households): the
        disclosure pattern relates them within every area.
    """

    id: str
    numerator: tuple[tuple[str, str], ...]
    base: tuple[tuple[str, str], ...]
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class MeanMeasure:
    """A household value averaged (design-weighted) in every area.

    Parameters
    ----------
    id : str
        Stable id (``"score:human"``, ``"m0"``, ``"income"``).
    low, high : float
        Range of one household's value (``inf`` when unbounded).
    """

    id: str
    low: float
    high: float


def level_key(value: Any) -> str:
    """Category of a level value: ``"1"``, ``"2"``, ``"3"`` or :data:`NA`."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return NA
    return str(int(value))


def _level_categories(series: pd.Series) -> pd.Series:
    s = pd.to_numeric(series, errors="coerce")
    v = s.to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(v)
    if not np.array_equal(v[ok], np.trunc(v[ok])):  # not whole: as the Int64 cast says
        out = s.astype("Int64").astype(str).where(s.notna(), NA)
        return out.astype(object)
    # as s.astype("Int64").astype(str), NA where missing: each household's text taken from a
    # table of the levels' texts, NA first, by its level's offset from the lowest where the
    # levels span a short range (a few levels), else by its place among the distinct levels
    # (np.unique sorts). Filling an object array with NA first and then the levels took 4
    # times as long for 230,000 households.
    levels = v[ok].astype(np.int64)
    index = np.zeros(len(v), dtype=np.intp)
    if not levels.size:
        values: Iterable[int] = ()
    elif int(levels.max()) - int(levels.min()) < _LEVEL_SPAN:
        lo = int(levels.min())
        values = range(lo, int(levels.max()) + 1)
        index[ok] = levels - lo + 1
    else:
        values, inverse = np.unique(levels, return_inverse=True)
        index[ok] = inverse + 1
    table = np.array([NA, *(str(int(x)) for x in values)], dtype=object)
    return pd.Series(table[index], index=series.index, name=series.name, dtype=object)


_LEVEL_SPAN = 4096
"""The widest range of levels :func:`_level_categories` looks up by offset."""


def poverty_line_value(survey_round: int) -> float | None:
    """Return the round's BMN income line (baht per person per year), or None when it has none."""
    from abcresearch.errors import ParamsError
    from abcresearch.stats.poverty import poverty_line

    try:
        return poverty_line(int(survey_round)).value
    except ParamsError:
        return None


def poor_households(households: pd.DataFrame, scheme: Any,
                    capitals: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Alkire-Foster identification of each household, as :func:`alkire_foster_measures`.

    Returns
    -------
    c, poor : numpy.ndarray
        Deprivation score (NaN when an indicator is missing) and whether the household is poor
        (False when missing).
    """
    from abcresearch.scoring.alkire_foster import deprivation_scores, indicator_weights

    names = [f"dep_{c}" for c in capitals]
    w = indicator_weights({f"dep_{c}": scheme.af_weights[c] for c in capitals}, names)
    G = households[names].to_numpy(dtype=float)
    return deprivation_scores(G, w, scheme.af_k)


def count_measures(capitals: Sequence[str], line: float | None,
                   bins: Sequence[float], items: Sequence[str] = (),
                   welfare: bool = False,
                   headline_levels: Sequence[str] = ()) -> tuple[CountMeasure, ...]:
    """Return the partitions a report publishes counts or shares of.

    Parameters
    ----------
    capitals : sequence of str
        Capital ids of the scheme.
    line : float or None
        The round's income line (no poverty measure without one).
    bins : sequence of float
        Edges of the income-per-person bins (``params/publication.yaml``).
    items : sequence of str
        Items of the "what to do" rules (``params/actions.yaml``): each one a partition
        ``item:<name>`` into households failing it, passing it and not answering it, of which
        only the share failing is published (:func:`ratio_measures`).
    welfare : bool
        Add the welfare-fund membership of each overall level's households (``welfare:<level>``,
        splitting that level's count into members, non-members and not answered), of which
        only the share of members is published.
    headline_levels : sequence of str
        Levels hidden as a complement only when no other level can be, or none other is large
        enough to protect (the ``level`` entry of
        ``complement_last`` in ``params/publication.yaml``: level 1).
    """
    levels = ("1", "2", "3", NA)
    first = tuple(k for k in levels if k in set(headline_levels))
    out = [CountMeasure("overall_level", levels, headline=first)]
    out += [CountMeasure(f"level:{c}", levels, headline=first) for c in capitals]
    out.append(CountMeasure("poor", ("poor", "nonpoor", NA), published=()))
    out += [CountMeasure(f"cens:{c}", ("dep", "nodep"), refines=("poor", "poor"), published=())
            for c in capitals]
    ids = income_bin_ids(bins)
    if line is not None:
        out.append(_poverty_measure(line, bins, ids))
    out.append(CountMeasure("income_bin", (*ids, NA), published=ids))
    out += [CountMeasure(item_measure(i), ITEM_CATEGORIES, published=()) for i in items]
    if welfare:
        out += [CountMeasure(welfare_measure(k), WELFARE_CATEGORIES,
                             refines=("overall_level", k), published=()) for k in levels]
    return tuple(out)


def _poverty_measure(line: float, bins: Sequence[float], ids: Sequence[str]) -> CountMeasure:
    """Return the count measure of households below and above the income line (tied to the bins).

    Where the line is a bin edge (20,000 baht and the bins of ``params/publication.yaml``), the
    households below it are exactly those of the bins below it (both read the same income per
    person, and an unknown income is neither): the share below the line less the shown bins
    below it would give back a hidden bin. Both categories are then cells of the pattern (the
    share publishes them, over the households with an income), tied to the bins.
    """
    edges = [float(b) for b in bins]
    if float(line) not in edges[1:]:
        return CountMeasure("poverty", ("below", "above", NA), published=())
    cut = edges.index(float(line))
    return CountMeasure("poverty", ("below", "above", NA), published=("below", "above"),
                        sums_of=(("below", "income_bin", tuple(ids[:cut])),
                                 ("above", "income_bin", tuple(ids[cut:]))))


#: Numerator and base cells of the share of households below the income line (of those with
#: an income): the income section prints it, the change table and ``AreaContext.poverty`` hold
#: to the pattern's say on it.
BELOW_LINE = (("poverty", "below"),)
WITH_INCOME = (("poverty", "below"), ("poverty", "above"))

#: Categories of a welfare-membership measure: members, non-members, not answered.
WELFARE_CATEGORIES = ("member", "non", NA)


def welfare_measure(level: str) -> str:
    """Id of the welfare-membership count measure of one overall level's households."""
    return f"welfare:{level}"


def welfare_share_cells(level: str | None = None
                        ) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Numerator and base cells of the share of households in a community welfare fund.

    Of one overall level's households (``"1"``, ``"2"``, ``"3"``), or of all households
    (None), over those who answered.
    """
    levels = (level,) if level is not None else ("1", "2", "3", NA)
    num = tuple((welfare_measure(k), "member") for k in levels)
    return num, tuple(c for k in levels for c in ((welfare_measure(k), "member"),
                                                  (welfare_measure(k), "non")))


def member_flag(households: pd.DataFrame) -> pd.Series:
    """Flag the households that belong to a community welfare fund.

    1.0 where ``fin_fund_member`` has ``welfare_fund``, 0.0 where it does not, NaN where
    unanswered.
    """
    col = households["fin_fund_member"]
    # a few distinct answers among many households: test each answer once
    answers = {v: "welfare_fund" in str(v).split() for v in col.dropna().unique()}
    return col.map(answers).astype(float).where(col.notna())


#: Categories of an item measure: failing it, passing it, not answered (or not asked).
ITEM_CATEGORIES = ("fail", "pass", NA)


def item_measure(item: str) -> str:
    """Id of the count measure (and of the share) of one "what to do" item."""
    return f"item:{item}"


def item_share_cells(item: str) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Numerator and base cells of the share of households failing an item (of those answering)."""
    m = item_measure(item)
    return ((m, "fail"),), ((m, "fail"), (m, "pass"))


def ratio_measures(capitals: Sequence[str], line: float | None,
                   items: Sequence[str] = (), welfare: bool = False) -> tuple[RatioMeasure, ...]:
    """Return the shares reports publish whose cells are not published.

    Alkire-Foster H, each capital's censored headcount, the income-poverty headcount, the
    share of households failing each item of ``items`` and, with ``welfare``, the share of
    households in a community welfare fund, of each overall level and of all (see
    :func:`count_measures`).
    """
    identified = (("poor", "poor"), ("poor", "nonpoor"))
    out = [RatioMeasure("H", (("poor", "poor"),), identified)]
    out += [RatioMeasure(f"CH:{c}", ((f"cens:{c}", "dep"),),
                         ((f"cens:{c}", "dep"), (f"cens:{c}", "nodep"), ("poor", "nonpoor")))
            for c in capitals]
    if line is not None:
        out.append(RatioMeasure("poverty", BELOW_LINE, WITH_INCOME))
    out += [RatioMeasure(item_measure(i), *item_share_cells(i)) for i in items]
    if welfare:
        out += [RatioMeasure(welfare_measure(k), *welfare_share_cells(k))
                for k in ("1", "2", "3")]
        out.append(RatioMeasure("welfare", *welfare_share_cells(),
                                parts=tuple(welfare_measure(k) for k in ("1", "2", "3"))))
    return tuple(out)


def income_bin_ids(bins: Sequence[float]) -> tuple[str, ...]:
    """Category ids of the income bins: ``"b0"`` ... (the last bin is open above)."""
    return tuple(f"b{i}" for i in range(len(bins)))


_LABELS_POOR = np.array([NA, "poor", "nonpoor"], dtype=object)
_LABELS_CENSORED = np.array([NA, "dep", "nodep", "nonpoor"], dtype=object)
_LABELS_POVERTY = np.array([NA, "below", "above"], dtype=object)


def household_categories(households: pd.DataFrame, scheme: Any, measures: Sequence[CountMeasure],
                         line: float | None, bins: Sequence[float],
                         item_flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each household's category in each count measure (one column per measure).

    Text (object) columns, except the item and welfare-membership measures: categoricals (there
    are some thirty of them over every household of a round).

    Parameters
    ----------
    households : pandas.DataFrame
        Scored households (``overall_level``, ``level_<capital>``, ``dep_<capital>``,
        ``income_pc``).
    scheme : Scheme
        The scoring scheme (Alkire-Foster k and weights).
    measures : sequence of CountMeasure
        From :func:`count_measures`.
    line : float or None
        Income line.
    bins : sequence of float
        Income bin edges.
    item_flags : pandas.DataFrame, optional
        Whether each household fails each item (1, 0, NaN when not answered), one column per
        item (:func:`abcresearch.reports.item_rules.failing_flags`); needed for item measures.
    """
    capitals = scheme.capital_ids
    out: dict[str, Any] = {"overall_level": _level_categories(households["overall_level"])}
    for c in capitals:
        out[f"level:{c}"] = _level_categories(households[f"level_{c}"])
    c_score, poor = poor_households(households, scheme, capitals)
    missing = np.isnan(c_score)
    # each text column picks from its few labels by position: one Python string per label,
    # not one per household
    out["poor"] = _LABELS_POOR[np.where(missing, 0, np.where(poor, 1, 2))]
    for c in capitals:
        dep = households[f"dep_{c}"].to_numpy(dtype=float) == 1
        out[f"cens:{c}"] = _LABELS_CENSORED[np.where(missing, 0, np.where(poor, np.where(
            dep, 1, 2), 3))]
    inc = households["income_pc"].to_numpy(dtype=float)
    ok = np.isfinite(inc)
    if line is not None:
        out["poverty"] = _LABELS_POVERTY[np.where(~ok, 0, np.where(inc < line, 1, 2))]
    ids = np.array(income_bin_ids(bins), dtype=object)
    pos = np.clip(np.searchsorted(np.asarray(bins, dtype=float), np.where(ok, inc, 0.0),
                                  side="right") - 1, 0, len(bins) - 1)
    out["income_bin"] = np.where(ok, ids[pos], NA)
    # the item and membership measures as categoricals (one byte a household each, not a
    # Python string: there are some thirty of them over every household of the round)
    if any(m.id == welfare_measure("1") for m in measures):
        member = member_flag(households).to_numpy(dtype=float)
        membership = np.where(np.isnan(member), 2, np.where(member == 1, 0, 1)).astype(np.int8)
        level = np.asarray(out["overall_level"], dtype=object)
        for k in ("1", "2", "3", NA):
            codes = np.where(level == k, membership, -1).astype(np.int8)  # -1: another level
            out[welfare_measure(k)] = pd.Categorical.from_codes(codes, WELFARE_CATEGORIES)
    flags = item_flags if item_flags is not None else pd.DataFrame(index=households.index)
    for item in flags.columns:
        f = flags[item].to_numpy(dtype=float)
        codes = np.where(np.isnan(f), 2, np.where(f == 1, 0, 1)).astype(np.int8)
        out[item_measure(item)] = pd.Categorical.from_codes(codes, ITEM_CATEGORIES)
    # the text columns stay object: pandas would infer its string dtype and copy every one
    # into Arrow (a third of the time over the province's 230,000 households), to no use
    text = pd.DataFrame({k: np.asarray(v, dtype=object) for k, v in out.items()
                         if not isinstance(v, pd.Categorical)}, index=households.index,
                        dtype=object)
    categorical = {k: v for k, v in out.items() if isinstance(v, pd.Categorical)}
    frame = pd.concat([text, pd.DataFrame(categorical, index=households.index)], axis=1) \
        if categorical else text
    return frame[[m.id for m in measures]]


def mean_measures(capitals: Sequence[str]) -> tuple[MeanMeasure, ...]:
    """Return the household values a report publishes design-weighted means of."""
    return (*(MeanMeasure(f"score:{c}", 0.0, 100.0) for c in capitals),
            MeanMeasure("m0", 0.0, 1.0), MeanMeasure("income", 0.0, float("inf")))


def household_values(households: pd.DataFrame, scheme: Any) -> pd.DataFrame:
    """Each household's value of each mean measure (NaN where it does not count).

    ``m0`` is the censored deprivation score (the score of a poor household, 0 otherwise; NaN
    when an indicator is missing), whose design-weighted mean is M0.
    """
    capitals = scheme.capital_ids
    out = {f"score:{c}": households[c].to_numpy(dtype=float) for c in capitals}
    c_score, poor = poor_households(households, scheme, capitals)
    out["m0"] = np.where(np.isnan(c_score), np.nan, np.where(poor, c_score, 0.0))
    out["income"] = households["fin_income_year"].to_numpy(dtype=float)
    return pd.DataFrame(out, index=households.index)


def within_village_weights(households: pd.DataFrame) -> pd.Series:
    """Each household's weight within its own village: ``weight x village_prob``.

    A household's ``weight`` is its full inverse inclusion probability, ``M / (m p)``: in a
    round that samples villages (``p < 1``) it also stands for the unsurveyed villages of its
    stratum. A village's own households are ``M``, conditional on its selection (as its
    coverage and grade are): the weight without its village's selection, ``M / m``. Without
    ``village_prob`` (a census round, or no frame) the weight itself.

    Parameters
    ----------
    households : pandas.DataFrame
        With ``weight`` and, in a round with a frame, ``village_prob``.

    Returns
    -------
    pandas.Series
        The weights, same index.
    """
    w = households["weight"].astype(float)
    if "village_prob" not in households.columns:
        return w
    p = pd.to_numeric(households["village_prob"], errors="coerce").fillna(1.0)
    return w * p.astype(float)


def calibrated_weights(households: pd.DataFrame, by: str,
                       totals: pd.Series | Mapping[str, float]) -> pd.Series:
    """Weights scaled so that each area's households add up to its known household count.

    The ratio estimator of a count: an area's households in a category are its known
    households (``totals``, from the round's village frame) times the design's share of the
    category, ``N_a x sum(w y) / sum(w)``. Every household of area ``a`` (``households[by]``)
    is weighted ``w x N_a / sum_a(w)``; shares and means do not change (the factor is the
    same for every household of the area), counts add up to ``N_a``. An area with no known
    count, or whose weights add up to nothing, keeps its weights. For a village surveyed in a
    round that samples villages the factor is its selection probability: its households are
    its frame count (as :func:`within_village_weights`).

    Parameters
    ----------
    households : pandas.DataFrame
        With ``weight`` and the area column ``by``.
    by : str
        Area column.
    totals : pandas.Series or mapping
        Known households by area code.

    Returns
    -------
    pandas.Series
        The weights, same index.
    """
    w = households["weight"].astype(float)
    key = households[by].astype("string")
    known = pd.Series(totals, dtype="float64")
    known.index = known.index.astype(str)
    sums = w.groupby(key).sum()
    factor = (known.reindex(sums.index) / sums).where(lambda f: np.isfinite(f) & (f > 0))
    g = key.map(factor).astype("float64")
    if by == "village_code":  # a village with no known count: its own households
        own = within_village_weights(households)
        return (w * g).where(g.notna(), own)
    return w * g.fillna(1.0)


def weighted_counts(households: pd.DataFrame, categories: pd.Series, by: str | None = None,
                    totals: pd.Series | Mapping[str, float] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weighted (population) and unweighted household counts of each category.

    Parameters
    ----------
    households : pandas.DataFrame
        With ``weight`` and, when ``by`` is given, that area column.
    categories : pandas.Series
        Category of each household (same index).
    by : str, optional
        Area column: one row per area (default: one row, ``"all"``). By ``"village_code"``
        each village counts its own households (:func:`within_village_weights`).
    totals : pandas.Series or mapping, optional
        Known households of the areas of ``by``: each area's counts add up to its known
        count (:func:`calibrated_weights`). Ignored without ``by``.

    Returns
    -------
    weighted, counts : pandas.DataFrame
        Rows = areas, columns = categories (unrounded weighted sums; household counts).
    """
    if not categories.index.equals(households.index):
        categories = categories.reindex(households.index)
    if by and totals is not None:
        w = calibrated_weights(households, by, totals)
    # by village, each village's own households: conditional on its selection
    elif by == "village_code":
        w = within_village_weights(households)
    else:
        w = households["weight"].astype(float)
    # as w.groupby([key, categories]).sum() / .size(), unstacked with zeros, where key is the
    # area column or "all": the (area, category) pairs as one integer key, so that pandas sums
    # each cell's weights in row order (its compensated sum: the same numbers to the last bit)
    # without factorising text pairs
    valid = categories.notna().to_numpy()
    if by:
        key = households[by]
        valid = valid & key.notna().to_numpy()
        k_codes, k_values = pd.factorize(key[valid], sort=True)
        k_name = key.name
    else:
        k_codes = np.zeros(int(valid.sum()), dtype=np.int64)
        k_values = pd.Index(["all"] if valid.any() else [], dtype="str")
        k_name = None
    c_codes, c_values = pd.factorize(categories[valid], sort=True)
    n_k, n_c = len(k_values), len(c_values)
    cell = k_codes.astype(np.int64) * n_c + c_codes
    sums = w[valid].groupby(cell).sum()
    total = np.zeros(n_k * n_c)
    total[sums.index.to_numpy()] = sums.to_numpy()
    size = np.bincount(cell, minlength=n_k * n_c).astype(np.int64)
    rows, cols = pd.Index(k_values, name=k_name), pd.Index(c_values, name=categories.name)
    return (pd.DataFrame(total.reshape(n_k, n_c), index=rows, columns=cols),
            pd.DataFrame(size.reshape(n_k, n_c), index=rows.copy(), columns=cols.copy()))
