"""What to do: items where an area is furthest below the province, actions and lead agencies.

The items where an area is furthest below the province, with an action per development path
and the agency that leads it.

Each item is a question of the household form with a rule (``params/actions.yaml``) saying which
answers count as *failing* it (no savings, an informal main lender, no health check, water short
in some season, ...). For an area the section estimates the design-based share of households
failing each item, with its interval, and compares it with the province's share (a point
estimate over the round's households of the province). Per capital it lists the items where the
area's share exceeds the province's the most, each with two actions: one for households at
overall level 1 (basic needs and welfare first) and one for households at level 2 (livelihood
and skills), each naming a lead agency. A second table traces every listed item to the
instrument: the question's name, its wording and the rule.

The same item table gives the one-page summary its three strengths and three gaps
(:func:`strengths_and_gaps`): items where the area does best and worst *relative to the
province*, not by their raw level.

The household items come from the round's analysis cache (``score_round`` keeps the raw answers
of the instrument's capital items). Rules, actions and agencies are data
(:mod:`abcresearch.reports.item_rules` reads them and flags the households); nothing here holds
a cut-off.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from abcresearch.labels import names_list
from abcresearch.reports.context import AreaContext
from abcresearch.reports.disclosure import Publisher, Shown, pattern_for, share_mask
from abcresearch.reports.estimates import item_share_cells
from abcresearch.reports.formatting import with_aside
from abcresearch.reports.item_rules import (
    PATHS,
    Action,
    ActionRules,
    ItemRule,
    failing_flags,
    load_action_rules,
)
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder

__all__ = [
    "action_text",
    "action_with_agency",
    "agency_legend",
    "area_households",
    "area_item_shares",
    "clear_as_printed",
    "clear_differences",
    "households_failing",
    "in_municipality",
    "item_gap",
    "item_share",
    "item_shares_over",
    "municipal_tambons",
    "on_pattern",
    "passing_share",
    "printed_covers",
    "printed_gap",
    "province_item_shares",
    "rule_text",
    "selected_items",
    "strengths_and_gaps",
    "urban_caution",
    "what_to_do",
]

_CI = ["estimate", "se", "ci_low", "ci_high"]


# ---------------------------------------------------------------------- estimates
_PROVINCE_CACHE: dict[tuple[Any, ...], pd.DataFrame] = {}
_PROVINCE_LOCK = threading.Lock()


def item_shares_over(households: pd.DataFrame, rules: ActionRules) -> pd.DataFrame:
    """Weighted share of households failing each item (a point estimate), and counts.

    The share is the ratio of weighted sums the design's proportion uses, over the households
    that answered the item (``weight`` as stored).

    Returns
    -------
    pandas.DataFrame
        Index item (rules' order); ``share``, ``n_fail``, ``n_base``.
    """
    flags = failing_flags(households, rules)
    w = households["weight"].to_numpy(float)
    rows = {}
    for item in flags.columns:
        f = flags[item].to_numpy(float)
        ok = ~np.isnan(f) & ~np.isnan(w)
        rows[item] = {"share": float((w[ok] * f[ok]).sum() / w[ok].sum()) if ok.any() else np.nan,
                      "n_fail": int(f[ok].sum()), "n_base": int(ok.sum())}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["share", "n_fail", "n_base"])
    table.index.name = "item"
    return table


def _answer_columns(rules: ActionRules) -> list[str]:
    cols = {"weight", "village_code"}
    for r in rules.items:
        cols.add(r.item)
        if r.relevant_question:
            cols.add(r.relevant_question)
    return sorted(cols)


def province_item_shares(report: Any, rules: ActionRules) -> pd.DataFrame:
    """Return the province's share of households failing each item (see :func:`item_shares_over`).

    An area report reads only the answer columns of the province's households from the store
    (the same valid, weighted households the round's analysis cache is built from); the
    province overview uses its own households. Kept in memory per round version and rules, so a
    batch of reports reads them once per process.
    """
    from abcresearch.store import read as store_read

    code = report.area.code[:2] if hasattr(report, "area") else report.province.code
    key = (str(report.analysis.cache_dir), hashlib.sha256(repr(rules).encode()).hexdigest(),
           code)
    with _PROVINCE_LOCK:
        hit = _PROVINCE_CACHE.get(key)
    if hit is not None:
        return hit
    file = _province_shares_file(report.analysis, key) if hasattr(report, "area") else None
    table = _read_shares_file(file) if file is not None else None
    if table is None:
        if hasattr(report, "area"):
            hh = store_read.load(report.survey_round, area=code, store=report.store,
                                 columns=_answer_columns(rules))
            hh = hh[hh["weight"].notna()]
        else:
            hh = report.households
        table = item_shares_over(hh, rules)
        if file is not None:
            _write_shares_file(file, table)
    with _PROVINCE_LOCK:
        if len(_PROVINCE_CACHE) >= 8:
            _PROVINCE_CACHE.clear()
        _PROVINCE_CACHE[key] = table
    return table


_SOURCE_HASH = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
"""This module's source as imported (a file edited later does not name what this code made)."""


def _province_shares_file(analysis: Any, key: tuple[str, str, str]) -> Path | None:
    """Where a province's item shares are kept between processes (None: nowhere).

    In the round analysis's cache folder (keyed by the round's data, scheme and design), named
    by the rules, the province and the source of this module, so a change of any reads the
    store again. A single ``abcresearch report`` then reads four small columns' table instead of
    the province's answers (about 1.5 s on a cold process).
    """
    folder = getattr(analysis, "cache_dir", None)
    if folder is None or not Path(folder).is_dir():
        return None
    h = hashlib.sha256(repr(key[1:]).encode())
    h.update(_SOURCE_HASH.encode())
    return Path(folder) / f"item-shares-{h.hexdigest()[:16]}.parquet"


def _read_shares_file(file: Path) -> pd.DataFrame | None:
    try:
        table = pd.read_parquet(file)
    except (OSError, ValueError):  # none yet, or unreadable: made again
        return None
    return table if list(table.columns) == ["share", "n_fail", "n_base"] else None


def _write_shares_file(file: Path, table: pd.DataFrame) -> None:
    import io

    from abcresearch.atomic import atomic_write_bytes

    buf = io.BytesIO()
    table.to_parquet(buf)
    try:  # a reader sees no file or the whole file; a read-only cache folder keeps none
        atomic_write_bytes(file, buf.getvalue())
    except OSError:
        pass


def area_item_shares(report: AreaContext, rules: ActionRules | None = None) -> pd.DataFrame:
    """Design-based share of the area's households failing each item, beside the province's.

    Made once per report and rules (the summary page and the "what to do" page show the same
    table; a copy each time).

    Returns
    -------
    pandas.DataFrame
        Index item, in the rules' order: ``capital``, ``estimate, se, ci_low, ci_high`` (the
        area's share and interval, unrounded, unsuppressed), ``n_fail``, ``n_base`` (households),
        ``province`` (the province's share), ``gap`` (area minus province), ``hidden`` (the
        area's share may not be published) and ``clear`` (the interval excludes the province's
        share, and the gap is at least ``min_gap`` of the rules).
    """
    ar = rules or load_action_rules()
    cached = getattr(report, "cached", None)
    if cached is None:
        return _area_item_shares(report, ar)
    # keyed by the rules object, which the entry holds (so its id stays its own)
    _, table = cached(("item_shares", id(ar)), lambda: (ar, _area_item_shares(report, ar)))
    return table.copy()


def _area_item_shares(report: AreaContext, rules: ActionRules) -> pd.DataFrame:
    from abcresearch.analysis.round import area_design

    hh = report.households
    flags = failing_flags(hh, rules)
    cols = {r.item: f"fail__{r.item}" for r in rules.items}
    # a village is reported conditional on its selection, as its report's design (in a round
    # that samples villages the round's design on one village has no between-village variance)
    design = area_design(pd.concat([hh, flags.rename(columns=cols)], axis=1),
                         report.own_design_spec)
    prov = province_item_shares(report, rules)
    n_base = flags.notna().sum()
    n_fail = flags.sum(skipna=True)
    asked = [r.item for r in rules.items if n_base[r.item]]
    # every item's share in one pass of the design (each item over its own answers)
    est = design.ciprop_each([cols[i] for i in asked], na_rm=True,
                             level=report.design_spec.level) if asked else None
    rows = []
    for r in rules.items:
        if n_base[r.item]:
            e = cast(pd.DataFrame, est).loc[cols[r.item]]
            vals = {k: float(e[k]) for k in _CI}
        else:
            vals = dict.fromkeys(_CI, np.nan)
        rows.append({"item": r.item, "capital": r.capital, **vals,
                     "n_fail": int(n_fail[r.item]), "n_base": int(n_base[r.item]),
                     "province": float(prov.loc[r.item, "share"])})
    out = pd.DataFrame(rows).set_index("item")
    out["gap"] = out["estimate"] - out["province"]
    own_rule = share_mask(out["n_fail"].to_numpy(), out["n_base"].to_numpy(),
                          report.threshold) | (out["n_base"] == 0).to_numpy()
    # an item is hidden as the round's pattern says (secondary suppression across the villages,
    # tambons and amphoes); an item off the pattern (another rule) always
    pattern = pattern_for(report)
    code = report.area.code
    out["hidden"] = [bool(own) or not on_pattern(pattern, rules.item(item))
                     or pattern.share_hidden(code, *item_share_cells(item))
                     for item, own in zip(out.index, own_rule, strict=True)]
    out["clear"] = clear_differences(out, rules.min_gap)
    return out


def clear_differences(shares: pd.DataFrame, min_gap: float) -> pd.Series:
    """Whether each area share differs clearly from the province's: the star of the page.

    Clear: the interval excludes the province's share, by at least ``min_gap`` (a census
    village's interval is no wider than the rounding: 10% against 9% was "clearly worse"), the
    gap judged as printed, of the printed shares (:func:`printed_gap`): "+5" went without a
    star in one report and with one in another under the notes' same "at least 5 points"
    (unrounded gaps of 4.6 and 5.2).

    Parameters
    ----------
    shares : pandas.DataFrame
        ``estimate``, ``ci_low``, ``ci_high`` and ``province`` (0-1 shares).
    min_gap : float
        The least gap (0.05 = 5 points).

    Returns
    -------
    pandas.Series of bool
    """
    outside = (shares["ci_low"] > shares["province"]) | (shares["ci_high"] < shares["province"])
    gap = printed_gap(shares["estimate"], shares["province"]).abs()
    return outside & (gap >= min_gap - 1e-9)


def printed_gap(share: pd.Series, province: pd.Series) -> pd.Series:
    """Return the gap of shares to the province's as the page prints it: of the printed shares.

    Both shares are rounded as the reports print a percentage (half up, to the digits of
    ``percent`` in ``params/publication.yaml``) before the difference is taken, as
    :func:`item_gap` writes it; a share not estimated gives NaN.
    """
    from abcresearch.labels import round_half_up
    from abcresearch.reports.disclosure import publication_rules

    digits = publication_rules().digits["percent"]

    def printed(values: pd.Series) -> pd.Series:
        return pd.Series([float(round_half_up(v, digits, 100.0, grouping="")) / 100.0
                          if np.isfinite(v) else np.nan for v in values], index=values.index)

    # to 9 decimals: 0.38 - 0.24 and 0.30 - 0.16 are the same printed +14 (float noise ordered
    # them; a code review)
    return (printed(share) - printed(province)).round(9)


def on_pattern(pattern: Any, rule: ItemRule) -> bool:
    """Whether an item's share is on the round's disclosure pattern.

    The pattern is built from ``params/actions.yaml``: an item of another rules file is on it
    only when its rule counts the same households there (same name is not enough: another
    rule counts other households; other words or actions are no matter).
    """
    if item_share_cells(rule.item) not in pattern.ratios:
        return False
    default = load_action_rules()
    return any(r.counting == rule.counting for r in default.items if r.item == rule.item)


def item_share(pub: Publisher, area: str, rule: ItemRule, value: float,
               low: float | None = None, high: float | None = None) -> Shown:
    """Publish the share of an area's households failing an item, through the disclosure step.

    An item off the round's pattern (:func:`on_pattern`: a rule of another rules file) is
    hidden: primary suppression alone would let a small count be worked out from the areas
    around it. To publish its shares, put the rule into ``params/actions.yaml``; the pattern is
    rebuilt from it.

    Parameters
    ----------
    pub : Publisher
        The section's publisher.
    area : str
        Area code (the province's for the province's share).
    rule : ItemRule
        The item's rule.
    value, low, high : float
        The share (0-1) and its interval.
    """
    if on_pattern(pub.pattern, rule):
        return pub.share(area, *item_share_cells(rule.item), value, low, high)
    return pub.derived("share", f"item:{rule.item}", area, value, True, "percent")


def item_gap(pub: Publisher, area: str, item: str, share: Shown, province: Shown) -> str:
    """Write the gap of an area's share to the province's, in points, from the printed shares.

    ``+18`` where the area prints 30 and the province 12, ``-5`` where it prints 7 against 12
    (the difference of the unrounded shares could say more about the area than its printed
    share does); the marker of whichever share is hidden.
    """
    if share.value is None or province.value is None:
        return share.text if share.value is None else province.text
    diff = share.value - province.value
    gap = pub.derived("other", f"gap:{item}", area, abs(diff), False, "percent")
    return ("+" if diff > 0 else "-" if diff < 0 else "") + gap.text


def passing_share(pub: Publisher, area: str, item: str, failing: Shown) -> Shown:
    """Write the share of an area's households passing an item: 100 less the printed failing share.

    From the printed share, so that the two add up to 100 wherever both are read (the "what to
    do" table prints the failing one); it tells a reader nothing the failing share does not.
    Hidden where the failing share is (its marker).
    """
    if failing.value is None:
        return failing
    return pub.derived("other", f"passing:{item}", area, 1.0 - failing.value, False, "percent")


def area_households(report: AreaContext) -> float:
    """Return the area's estimated households, the total the levels table prints.

    The base of :func:`households_failing` wherever a report says how many households fail an
    item (the "what to do" table and the one-page summary's gaps).
    """
    return float(report.weighted_counts("overall_level")[0].to_numpy().sum())


def households_failing(pub: Publisher, area: str, item: str, share: Shown,
                       households: float, low: float | None = None,
                       high: float | None = None) -> str:
    """Write about how many of an area's households fail an item, from its printed share.

    The printed share times the area's households (the total the levels table prints),
    rounded to ``weighted_count_base``, or to the power of ten that the share's interval
    (``low``, ``high``; at least its printed last digit) reaches in households, so that a
    province's count is not printed to ten households (a non-zero share never prints 0): a
    size an อบต. can plan with, and nothing a reader could not work out from the printed
    share and the area's households (so it is recorded as a figure the attack leaves alone).
    The share's marker where it is hidden.
    """
    if share.value is None or not np.isfinite(households):
        return share.text
    return pub.count_of_share(f"households_failing:{item}", area, share.value, households,
                              low, high)


def clear_as_printed(report: AreaContext, shares: pd.DataFrame, rules: ActionRules
                     ) -> list[str]:
    """Return the items whose difference from the province is clear as the pages print it.

    Clear (:func:`clear_differences`) and, in the printed shares, neither equal to the
    province's ("55 against 55") nor with the printed interval holding the province's printed
    share ("90 (88–92)" against 92): a one-point difference within the margin of error is no
    strength or gap. The one-page summary's strengths and gaps are these items, and the "what
    to do" page lists every one worse than the province.
    """
    probe = Publisher(report, "clear_as_printed")  # printed as the pages print; not recorded
    out = []
    for i, s in shares.iterrows():
        if s["hidden"] or pd.isna(s["gap"]) or not bool(s["clear"]):
            continue
        r = rules.item(str(i))
        area = item_share(probe, report.area.code, r, s["estimate"], s["ci_low"], s["ci_high"])
        province = item_share(probe, report.area.code[:2], r, s["province"])
        if area.value is not None and province.value is not None \
                and area.text != province.text and not printed_covers(area, province):
            out.append(str(i))
    return out


def _printed_order(shares: pd.DataFrame) -> pd.Series:
    """Return the gaps as printed (:func:`printed_gap`), the unrounded gap where none is.

    The order of strengths, gaps and the "what to do" page's items, the unrounded gap between
    equal printed ones: "+14, +13, +14" read as out of order (a reader review).
    """
    if "province" not in shares.columns:
        return shares["gap"].astype(float)
    return printed_gap(shares["estimate"], shares["province"]).fillna(shares["gap"])


def selected_items(shares: pd.DataFrame, rules: ActionRules, capitals: tuple[str, ...],
                   per_capital: int | None = None, clear: Iterable[str] = ()) -> list[str]:
    """Choose the items of the "what to do" page.

    Per capital (in scheme order), up to ``per_capital`` publishable items failed by at least
    ``min_share`` of the area's households, furthest above the province first; when none is
    above, those whose advantage is smallest. An item better than the province is never listed
    beside one worse than it: the table read "+8*" and "-13*" as a capital's two weakest points.
    Every item of ``clear`` (:func:`clear_as_printed`) worse than the province is listed too,
    beyond ``per_capital`` and below ``min_share``: the one-page summary counts them ("3 of 9
    items clearly worse") and a reader looked for the ninth on this page (a reader review).
    """
    n = per_capital or rules.items_per_capital
    usable = ~shares["hidden"] & shares["gap"].notna()
    must = usable & shares.index.isin(list(clear)) & (shares["gap"] > 0)
    ok = shares[(usable & (shares["estimate"] >= rules.min_share)) | must]
    listed = must[ok.index].to_numpy(dtype=bool)
    out: list[str] = []
    caps = ok["capital"].to_numpy(dtype=object)
    gap = ok["gap"].to_numpy(dtype=float)
    share = ok["estimate"].to_numpy(dtype=float)
    key = _printed_order(ok).to_numpy(dtype=float)  # as the summary orders its gaps
    for cap in capitals:
        # as sort_values(["printed", "gap"], ascending=False, kind="mergesort"): ties in table
        # order
        pos = np.flatnonzero(caps == cap)
        order = pos[np.lexsort((-gap[pos], -key[pos]))]
        if (gap[order] > 0).any():
            order = order[gap[order] > 0]
        # the first n failed by min_share of the households, and the clear ones, by gap
        common = share[order] >= rules.min_share
        out.extend(ok.index[order[(common & (np.cumsum(common) <= n)) | listed[order]]])
    return out


def strengths_and_gaps(shares: pd.DataFrame, rules: ActionRules
                       ) -> tuple[list[str], list[str]]:
    """Find the items where the area does best and worst relative to the province.

    Returns
    -------
    strengths, gaps : list of str
        Up to ``rules.strengths`` publishable items with the area's failing share furthest
        *below* the province's (largest first), and up to ``rules.gaps`` furthest *above* it;
        in each, the clear differences (the interval excludes the province's share) before
        the others, so a gap of one point within the margin of error does not lead the list;
        then by the difference as printed (of the printed shares, :func:`printed_gap`), the
        unrounded one between equal printed ones: "+14, +13, +14" read as out of order (a
        reader review).
    """
    ok = shares[~shares["hidden"] & shares["gap"].notna()]
    ok = ok.assign(_unclear=~ok["clear"].astype(bool), _printed=_printed_order(ok))
    good = ok[ok["gap"] < 0].sort_values(["_unclear", "_printed", "gap"], kind="mergesort")
    bad = ok[ok["gap"] > 0].sort_values(["_unclear", "_printed", "gap"],
                                        ascending=[True, False, False], kind="mergesort")
    return list(good.index[:rules.strengths]), list(bad.index[:rules.gaps])


# ---------------------------------------------------------------------- words
def rule_text(rule: ItemRule, words: Any, lang: str) -> str:
    """Write the rule in words, with the instrument's choice labels (e.g. ``ตอบ "ไม่ใช่"``)."""
    from abcresearch.survey.instrument import choices, codebook

    if rule.kind in ("at_most", "below"):
        n = rule.number
        num = f"{n:g}" if n is not None else ""
        # one answer fails where the question's least answer is the only one the rule takes
        # ("ค่าน้อยกว่า 1" of a count of trainings is "ตอบ 0", a reader review)
        book = codebook("households")
        row = book[book["name"] == rule.item]
        least = float(row["min"].iloc[0]) if len(row) and pd.notna(row["min"].iloc[0]) \
            else None
        whole = bool(len(row)) and row["type"].iloc[0] == "integer"
        if n is not None and least is not None and (
                (rule.kind == "at_most" and least == n)
                or (rule.kind == "below" and whole and least == n - 1)):
            return words("actions.rule.only", value=f"{least:g}")
        return words(f"actions.rule.{rule.kind}", value=num)
    if all(v in rule.value_labels for v in rule.values):  # read with the rules
        labels: Any = {v: rule.value_labels[v][lang] for v in rule.values}
    else:
        labels = choices(str(rule.list_name), "household").set_index("name")[f"label_{lang}"]
    names = [f"“{labels.get(v, v)}”" for v in rule.values]
    joined = words("actions.rule.or").join(names)
    text = words(f"actions.rule.{rule.kind}", choices=joined)
    if rule.relevant_question and rule.if_not_asked:
        text += words(f"actions.rule.not_asked_{rule.if_not_asked}")
    return text



def printed_covers(share: Shown, value: Shown) -> bool:
    """Whether a share's printed interval holds another printed share (ends included).

    The star beside a difference ("clearly different": the interval excludes the province's
    share) is given only where a reader can check it on the page: not where the printed
    interval, rounded, holds the printed province share ("90 (88–92)" beside 92).
    """
    if share.low is None or share.high is None or value.hidden:
        return False

    def number(text: str) -> float:
        return float(text.replace(",", ""))

    return number(share.low) <= number(value.text) <= number(share.high)


def agency_legend(rules: ActionRules, agencies: Iterable[str], lang: str,
                  urban: bool = False) -> str:
    """Explain the abbreviated names of lead agencies: ``"พช. = พัฒนาชุมชนอำเภอ; …"``.

    "เกษตรอำเภอ = เกษตรอำเภอ" says nothing: only abbreviations are explained, and a full name's
    own "(ส.ป.ก.)" is not repeated after "ส.ป.ก. =". Shared by the "what to do" page and the
    one-page summary, whose first actions named "(สนพ.)" with nothing to say what it is.

    Parameters
    ----------
    rules : ActionRules
        The action rules (their agencies).
    agencies : iterable of str
        Keys of the agencies named.
    lang : {"th", "en"}
        Language.
    urban : bool
        The names within a municipality (:meth:`ActionRules.agency`).

    Returns
    -------
    str
        The explanations in key order, joined by "; "; empty when none is abbreviated.
    """
    def explained(a: str) -> str:
        short, full = rules.agency(a, lang, True, urban), rules.agency(a, lang, urban=urban)
        return f"{short} = {full.replace(f' ({short})', '')}"

    return "; ".join(explained(a) for a in sorted(set(agencies))
                     if rules.agency(a, lang, True, urban) != rules.agency(a, lang, urban=urban))


def in_municipality(report: AreaContext) -> bool:
    """Whether a tambon or village report's tambon lies within a municipality (no TAO).

    From ``params/welfare.yaml`` (``local_government``), the one list of the programme's
    municipal tambons; an amphoe or the province is not one.
    """
    from abcresearch.reports.sections.welfare import has_tao, load_welfare_rules

    if report.level not in ("tambon", "village"):
        return False
    return not has_tao(report.area.code[:6], load_welfare_rules())


def municipal_tambons(report: AreaContext) -> list[str]:
    """Return the surveyed tambons of an amphoe report that lie within a municipality (no TAO).

    An item's urban note (:attr:`ItemRule.urban_note`) is said for them, by name, in the
    amphoe's report: its actions were proposed for town households too (a reader review).
    Empty for other levels (a tambon or village is :func:`in_municipality` or not).
    """
    from abcresearch.reports.sections.welfare import has_tao, load_welfare_rules

    if report.level != "amphoe":
        return []
    rules = load_welfare_rules()
    return sorted(c for c in set(report.households["tambon_code"].astype(str))
                  if not has_tao(c, rules))


def urban_caution(report: AreaContext, rule: ItemRule) -> str:
    """Return an item's urban note as this report says it (an amphoe's names its tambons)."""
    if not rule.urban_note:
        return ""
    note = rule.urban_note[report.lang]
    if in_municipality(report):
        return note
    if within := municipal_tambons(report):
        return report.t("actions.urban_within", note=note, names=names_list(
            report.t, [report.child_name(c) for c in within]))
    return ""


def action_text(report: AreaContext, action: Action) -> str:
    """Return an action as this report says it: its urban form within a municipality.

    A tambon or village report :func:`in_municipality` says the action's urban form
    (:attr:`Action.urban`); an amphoe's report with tambons in a municipality says both, naming
    those tambons; other reports, and actions without an urban form, say the action as it is.
    """
    lang = report.lang
    if not action.urban:
        return action.text(lang)
    if in_municipality(report):
        return action.text(lang, urban=True)
    if within := municipal_tambons(report):
        return report.t("actions.urban_action", action=action.text(lang),
                        urban=action.text(lang, urban=True), names=names_list(
                            report.t, [report.child_name(c) for c in within]))
    return action.text(lang)


def action_with_agency(report: AreaContext, rules: ActionRules, action: Action) -> str:
    """Return an action as this report says it, with its lead agency's short name after it.

    The action as :func:`action_text` says it; the agency "(พอช.)", or "· พอช." after a bracket
    of the action's own, by its name within a municipality where the report is in one.
    """
    return with_aside(action_text(report, action), rules.agency(
        action.agency, report.lang, True, in_municipality(report)))


def what_to_do(report: AreaContext, *, items_per_capital: int | None = None,
               rules: str | Path | ActionRules | None = None) -> SectionResult:
    """Build the "what to do" page.

    Per capital, the items where the area is furthest below the province, each with its share
    of failing households (and interval), the province's share, an action per development path
    with its lead agency, and the instrument question it rests on.

    Parameters
    ----------
    report : AreaContext
        The area.
    items_per_capital : int, optional
        Items per capital (default ``items_per_capital`` of ``params/actions.yaml``).
    rules : path or ActionRules, optional
        Another rules file.
    """
    from abcresearch.reports.sections import check_limit

    check_limit(items_per_capital)
    ar = rules if isinstance(rules, ActionRules) else load_action_rules(rules)
    t, lang = report.t, report.lang
    out = SectionBuilder("what_to_do", report.words, {"items_per_capital": items_per_capital,
                                                      "rules": ar.path})
    out.heading("section.what_to_do")
    shares = area_item_shares(report, ar)
    # a store holding this area alone: its province is itself (every difference 0), so the
    # items are those most often failed, without a province column (a fresh user's walk-through)
    alone = report.alone_in("province")  # never at the province level
    starred = set() if alone else set(clear_as_printed(report, shares, ar))
    chosen = selected_items(shares.assign(gap=shares["estimate"].where(shares["gap"].notna()))
                            if alone else shares, ar, report.capitals, items_per_capital,
                            starred)
    suffix = ".alone" if alone else ""
    out.text(t(f"actions.intro{suffix}", area=report.area_name(),
               n=items_per_capital or ar.items_per_capital, min_share=f"{100 * ar.min_share:g}"))
    if not chosen:
        out.text(t("actions.none"))
        return out.result(estimates=shares, details={"selected": (), "rules": ar})
    pub = Publisher(report, "what_to_do")
    code, province = report.area.code, report.area.code[:2]
    households = area_households(report)
    rows, acts, trace = [], [], []
    for item in chosen:
        r, s = ar.item(item), shares.loc[item]
        what = r.text[lang]
        area_share = item_share(pub, code, r, s["estimate"], s["ci_low"], s["ci_high"])
        row = {
            t("col.capital"): report.capital_label(r.capital),
            t("actions.col.item"): what,
            t("actions.col.area"): area_share.with_ci,
            t("actions.col.households"): households_failing(pub, code, item, area_share,
                                                            households, s["ci_low"],
                                                            s["ci_high"]),
        }
        below = clear = same_as_province = numeric = small = False
        if not alone:
            prov_share = item_share(pub, province, r, s["province"])
            gap = item_gap(pub, code, item, area_share, prov_share)
            numeric = area_share.value is not None and prov_share.value is not None
            # the star (the interval excludes the province's share) as the reader can check
            # it: not where the printed interval holds the printed province share
            # ("90 (88–92)", 92); the summary's rule (clear_as_printed)
            clear = item in starred
            below = numeric and cast(float, area_share.value) < cast(float, prov_share.value)
            # printed equal to the province's: "about the province's" as well (a row at 0
            # went untagged between rows at -4 that said so; a reader review)
            same_as_province = numeric and area_share.value == prov_share.value
            # a printed difference smaller than the least that counts as clear
            small = numeric and abs(cast(float, area_share.value) - cast(float, prov_share.value)
                                    ) < ar.min_gap - 1e-9
            row[t("col.province")] = prov_share.text
            # the star only beside a gap printed as a number
            row[t("actions.col.gap")] = gap + ("*" if clear else "")
        rows.append(row)
        # an item the area does better on than the province (a capital whose every item is
        # better lists its weakest) says so beside its actions: a forum read them as "fix
        # what we do well" next to the summary's strengths (a reader review). Better only
        # where the star says so, with the share that still fails (88% of households are no
        # reason to drop an item); a share within the margin of error is "about the
        # province's" (91 against 92 read as "already better", a reader review), above it as
        # well as below it (+1 to +3 untagged between -1 and -4 tagged read as confirmed
        # problems, a second review), and "not clearly different" where the difference is as
        # large as a clear one but the interval is wide
        note = (t("actions.better", share=area_share.text) if below and clear
                else "" if clear or not numeric
                else t("actions.similar") if small or same_as_province
                else t("actions.unclear"))
        # an item that may not mean in town what it does in a village
        if urban := urban_caution(report, r):
            note = f"{note} · {urban}" if note else urban
        acts.append({
            t("actions.col.item"): with_aside(what, note),
            # the lead agency after the action, "· พอช." after an action's own bracket
            t("actions.col.level1"): action_with_agency(report, ar, r.actions["level1"]),
            t("actions.col.level2"): action_with_agency(report, ar, r.actions["level2"]),
        })
        trace.append({
            t("actions.col.item"): what,
            t("actions.col.question_id"): r.item,
            t("actions.col.question"): r.question[lang],
            t("actions.col.rule"): rule_text(r, report.words, lang),
        })
    out.table(pd.DataFrame(rows), t(f"actions.caption.items{suffix}"),
              t(f"actions.notes.items{suffix}", base=pub.rules.weighted_count_base,
                gap=f"{100 * ar.min_gap:g}"),
              decimals=0, grouped=True)  # the capital over its items: not the row's name
    legend = agency_legend(ar, {ar.item(i).actions[p].agency for i in chosen for p in PATHS},
                           lang, in_municipality(report))
    # Thai runs its sentences on after a space, with no full stop ("...หรือเทศบาล. ข้อเสนอ..."
    # read as a stray Western stop, a reader review); English ends each with one
    notes = [legend + ("." if lang == "en" else "")] if legend else []
    if not ar.verified:
        notes.append(t("actions.unverified"))
    out.table(pd.DataFrame(acts), t("actions.caption.actions"), " ".join(notes) or None)
    out.table(pd.DataFrame(trace), t("actions.caption.trace"), t("actions.notes.trace"))
    return out.result(estimates=shares, details={"selected": tuple(chosen), "rules": ar},
                      published=tuple(pub.entries))
