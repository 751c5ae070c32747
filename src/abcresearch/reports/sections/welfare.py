"""The community welfare fund (กองทุนสวัสดิการชุมชน) of a tambon, amphoe or the province.

Four parts, each hand-checkable from what is printed:

1. **The funds today** (village forms, no sampling error): villages, population, fund members,
   members per 100 people, fund money and money per member, by village (tambon report), by
   tambon (amphoe) or by amphoe (province), with the area's total.
2. **Who the funds reach** (household survey, design-based): the share of households at overall
   level 1 that are members of a community welfare fund (household item ``fin_fund_member``,
   option ``welfare_fund``), beside levels 2 and 3, with intervals.
3. **Against the programme's figures** (``params/welfare.yaml`` ``programme``): money per village
   and per tambon against today's 4,000 baht a village and the proposed 50,000 a tambon; TAO
   co-funding where the tambon has a TAO; MSDHS if obtained; the NHSO's 37.50 baht a person,
   which goes to the community *health* fund, not to the welfare fund; the pilot lists.
4. **A five-year projection** under the editable assumptions of ``params/welfare.yaml``
   ``projection`` (:func:`projection`; the formula in words is the label
   ``welfare.formula.text`` of ``params/labels/welfare.yaml``, for the methods appendix). The
   projection is computed from the rounded values it prints (members as whole people, the
   payout per member to the satang, money to the baht), so a reader with a calculator gets the
   same numbers from the tables.

Which tambons have a TAO rather than a municipality is a list in ``params/welfare.yaml``
(``local_government``; default: a TAO), to be checked against the Department of Local
Administration's list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from abcresearch.errors import StoreError
from abcresearch.labels import format_half_up, round_half_up
from abcresearch.params import Problems, load
from abcresearch.reports.disclosure import Publisher, Shown, share_mask
from abcresearch.reports.estimates import member_flag, welfare_share_cells
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.common import names_list
from abcresearch.reports.sections.levels import level1_printed
from abcresearch.reports.sections.programmes import flag_text, load_programmes

__all__ = [
    "AgeGroup",
    "WelfareRules",
    "age_structure",
    "has_tao",
    "level1_in_villages_without_fund",
    "level1_outside_fund",
    "load_welfare_rules",
    "member_flag",
    "outside_saving_text",
    "parse_welfare_rules",
    "payout_per_member",
    "projection",
    "reach_interval",
    "report_store",
    "tambons_registers_short",
    "villages_without_fund",
    "welfare_fund",
]

_PROGRAMME_KEYS = ("per_village_today", "villages_per_tambon", "per_tambon_proposed",
                   "tao_cofunding", "msdhs_per_tambon", "nhso_per_person", "pilot_tambons")
_CI = ["estimate", "se", "ci_low", "ci_high"]


@dataclass(frozen=True)
class AgeGroup:
    """An age group [lo, hi) and its yearly events per person."""

    lo: int
    hi: int | None
    births: float
    illness: float
    deaths: float

    def label(self) -> str:
        """``"15-49"`` or ``"70+"``."""
        return f"{self.lo}+" if self.hi is None else f"{self.lo}-{self.hi - 1}"


@dataclass(frozen=True)
class WelfareRules:
    """The validated ``params/welfare.yaml``."""

    programme: Mapping[str, float]
    years: int
    contribution_per_day: float
    days_per_year: int
    membership_growth: float
    tao_cofunding_per_year: float
    msdhs_scenario: float
    low_growth: float
    low_saving_share: float
    low_tao_years: int | None
    benefits: Mapping[str, float]
    age_groups: tuple[AgeGroup, ...]
    municipality: frozenset[str]
    default_local_government: str
    verified: bool
    path: Path | None = field(default=None, compare=False)

    @property
    def contribution_per_year(self) -> float:
        """A member's contributions in a year (baht)."""
        return self.contribution_per_day * self.days_per_year

    @property
    def low_contribution_per_year(self) -> float:
        """A member's contributions in a year in the low case (baht)."""
        return self.contribution_per_year * self.low_saving_share


def _number(pr: Problems, where: str, value: Any, least: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < least:
        pr.add(where, f"must be a number of at least {least:g}, found {value!r}")
        return float("nan")
    return float(value)


def parse_welfare_rules(raw: Mapping[str, Any], path: Path) -> WelfareRules:
    """Parse and check ``params/welfare.yaml`` (see :func:`abcresearch.params.load`).

    Raises
    ------
    ParamsError
        Listing every problem of the file.
    """
    from abcresearch.survey.areas import get_area

    pr = Problems(path)
    prog = raw.get("programme") or {}
    programme = {k: _number(pr, f"programme.{k}", prog.get(k)) for k in _PROGRAMME_KEYS}
    pj = raw.get("projection") or {}
    years = pj.get("years", 5)
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 30:
        pr.add("projection.years", f"must be a whole number from 1 to 30, found {years!r}")
        years = 5
    days = pj.get("days_per_year", 365)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        pr.add("projection.days_per_year", f"must be a whole number from 1 to 366, found {days!r}")
        days = 365
    benefits = {k: _number(pr, f"projection.benefits.{k}", (pj.get("benefits") or {}).get(k))
                for k in ("birth", "illness", "death")}
    groups: list[AgeGroup] = []
    prev_hi: int | None = 0
    for i, g in enumerate(pj.get("age_groups") or []):
        w = f"projection.age_groups[{i}]"
        if not isinstance(g, Mapping):
            pr.add(w, "must be a mapping")
            continue
        lo, hi = g.get("from"), g.get("to")
        if lo != prev_hi:
            pr.add(f"{w}.from", f"must be {prev_hi} (groups follow each other from age 0), "
                                f"found {lo!r}")
        if hi is not None and (isinstance(hi, bool) or not isinstance(hi, int)
                               or not isinstance(lo, int) or hi <= lo):
            pr.add(f"{w}.to", f"must be a whole number above from, or null, found {hi!r}")
        rates = {k: _number(pr, f"{w}.{k}", g.get(k)) for k in ("births", "illness", "deaths")}
        for k, v in rates.items():
            if v > 1:
                pr.add(f"{w}.{k}", f"is a rate per person per year and must be at most 1, "
                                   f"found {v:g}")
        groups.append(AgeGroup(lo=int(lo) if isinstance(lo, int) else 0,
                               hi=int(hi) if isinstance(hi, int) else None, **rates))
        prev_hi = hi if isinstance(hi, int) else None
    if not groups or groups[-1].hi is not None:
        pr.add("projection.age_groups", "must end with a group open at the top (to: null)")
    lg = raw.get("local_government") or {}
    default = lg.get("default", "tao")
    if default not in ("tao", "municipality"):
        pr.add("local_government.default", f"must be tao or municipality, found {default!r}")
    muni: set[str] = set()
    for c in lg.get("municipality") or []:
        code = str(c)
        try:
            ok = get_area(code).level == "tambon"
        except Exception:
            ok = False
        if not ok:
            pr.add("local_government.municipality", f"{code!r} is not a 6-digit tambon code")
        muni.add(code)
    growth = _number(pr, "projection.membership_growth", pj.get("membership_growth"), -1.0)
    per_day = _number(pr, "projection.contribution_per_day", pj.get("contribution_per_day"))
    tao = _number(pr, "projection.tao_cofunding_per_year", pj.get("tao_cofunding_per_year"))
    msdhs = _number(pr, "projection.msdhs_scenario", pj.get("msdhs_scenario"))
    low = pj.get("low_case")
    if not isinstance(low, Mapping):
        pr.add("projection.low_case", "must be a mapping with membership_growth and "
                                      f"saving_share, found {low!r}")
        low = {}
    low_growth = _number(pr, "projection.low_case.membership_growth",
                         low.get("membership_growth"), -1.0)
    share = _number(pr, "projection.low_case.saving_share", low.get("saving_share"))
    if share > 1:
        pr.add("projection.low_case.saving_share",
               f"is the share of c members save and must be at most 1, found {share:g}")
    tao_years = low.get("tao_years", None)
    if tao_years is not None and (isinstance(tao_years, bool) or not isinstance(tao_years, int)
                                  or not 0 <= tao_years <= int(years)):
        pr.add("projection.low_case.tao_years", f"must be a whole number from 0 to the "
                                                f"projection's years, or null (every year), "
                                                f"found {tao_years!r}")
        tao_years = None
    pr.raise_if_any()
    return WelfareRules(
        programme=programme, years=int(years), contribution_per_day=per_day,
        days_per_year=int(days), membership_growth=growth, tao_cofunding_per_year=tao,
        msdhs_scenario=msdhs, low_growth=low_growth, low_saving_share=share,
        low_tao_years=tao_years,
        benefits=benefits, age_groups=tuple(groups), municipality=frozenset(muni),
        default_local_government=str(default), verified=bool(raw.get("verified", False)),
        path=path)


def load_welfare_rules(path: str | Path | None = None) -> WelfareRules:
    """Load ``params/welfare.yaml`` (or another file), validated once per file version."""
    return load(path or "welfare", parse_welfare_rules)


def local_government(report: Any, rules: WelfareRules) -> str:
    """Return who co-funds a fund locally in the report's words: "อบต.", "เทศบาล" or both.

    A tambon or village report names its own tambon's (:func:`has_tao`); an amphoe or the
    province names both where its surveyed tambons have both.
    """
    tambons = {report.area.code[:6]} if len(report.area.code) >= 6 else set(
        report.households["tambon_code"].astype(str))
    tao = {has_tao(c, rules) for c in tambons}
    key = "both" if tao == {True, False} else "tao" if tao != {False} else "municipality"
    return report.t(f"welfare.local.{key}")


def has_tao(tambon_code: str, rules: WelfareRules) -> bool:
    """Whether a tambon has a TAO (not listed as wholly in a municipality, under the default)."""
    if str(tambon_code) in rules.municipality:
        return False
    return rules.default_local_government == "tao"


def reach_interval(t: Any, shown: Shown) -> str:
    """`` (ช่วงความเชื่อมั่น 45–51)`` after a published share, or nothing.

    Nothing where the interval is narrower than the digits printed (as :attr:`Shown.with_ci`).
    """
    if shown.with_ci == shown.text:
        return ""
    return t("welfare.reach_interval", low=shown.low, high=shown.high)


# ---------------------------------------------------------------------- the model
def payout_per_member(shares: Sequence[float], rules: WelfareRules) -> tuple[list[float], float]:
    """Return the expected payouts a year per person of each age group, and per member.

    ``group payout = births x birth benefit + illness x illness benefit + deaths x death
    benefit``; ``per member = sum(share x group payout)``, rounded to the satang (0.01 baht).

    Parameters
    ----------
    shares : sequence of float
        Share of persons in each age group (adding up to 1), as used (published) values.
    rules : WelfareRules
        Rates and benefits.
    """
    b = rules.benefits
    per_group = [g.births * b["birth"] + g.illness * b["illness"] + g.deaths * b["death"]
                 for g in rules.age_groups]
    return per_group, round(float(sum(s * p for s, p in zip(shares, per_group, strict=True))), 2)


#: Formats of the figures the section prints (table cells and their ledger entries alike).
_WHOLE, _ONE, _SATANG, _PLAIN = ",.0f", ",.1f", ",.2f", "d"
# a count in a sentence, with its thousands separator ("359 จาก 1551 หมู่บ้าน" in the province's
# overview); _PLAIN is for years
_COUNT = ",d"


def _money(value: float) -> str:
    """Format of an amount: whole baht with thousands separators, others to the satang."""
    return _WHOLE if float(value).is_integer() else _SATANG


def _public(pub: Publisher, name: str, value: Any, fmt: str = _WHOLE, area: str = "",
            kind: str = "public") -> Shown:
    """Write a figure in the section's format and record it in the ledger as printed.

    ``kind="public"``: figures not about the surveyed households -- village forms (whole-
    village counts: no sampling, no suppression), ``params/`` figures, years, and what is
    computed from those alone. ``kind="other"``: figures resting on the household rosters
    that the disclosure attack leaves alone (the age structure, and the payouts the
    projection computes from it as printed). :meth:`Publisher.public` writes with the digits
    of ``params/publication.yaml`` (those of household statistics), not the formats printed
    here (rates per 1,000 to one decimal, money to the satang, years without a separator),
    so the entry is made here with the printed text.

    Parameters
    ----------
    pub : Publisher
        The section's publisher.
    name : str
        Where the figure comes from (``village_forms.*``, a ``params/welfare.yaml`` key, ...).
    value : int or float
        The figure; missing (None or NaN) prints nothing and is not recorded.
    fmt : str
        Format spec, the same the table applies to the cell (``number_format``).
    area : str
        Area code the figure belongs to.
    kind : {"public", "other"}
        Ledger kind.

    Returns
    -------
    Shown
        The text printed and the printed value (``Shown("")`` when missing).
    """
    if value is None or pd.isna(value):
        return Shown("")
    return pub.record(format_half_up(value, fmt), name, area, kind)  # 152,812.50 is 152,813


def _half_up(x: float) -> Any:
    """``x`` rounded half up to a whole number (a missing figure stays missing)."""
    return np.nan if pd.isna(x) else int(np.floor(x + 0.5))


def projection(members: int, population: int, fund: float, payout: float, tao_tambons: int,
               tambons: int, rules: WelfareRules, first_year: int) -> pd.DataFrame:
    """Project a welfare fund year by year.

    For year ``t = 1..years`` (``N_0`` members today, ``F_0`` the fund today)::

        N_t = min(round(N_(t-1) x (1 + g)), P)          members, whole people, at most P
        C_t = N_t x c x days                             members' contributions
        G_t = T x q                                      TAO co-funding (q tambons with a TAO;
                                                         the reports' labels call it m)
        B_t = round(N_t x b)                             payouts (b per member per year)
        F_t = F_(t-1) + C_t + G_t - B_t                  the fund at the end of the year
        F'_t = F_t + S x m                               scenario: MSDHS S per tambon, once,
                                                         for the m tambons (from year 1 on)
        L_t                                              low case: F_t with g_L for g,
                                                         c x s for c (members' own path) and
                                                         G_t only in its first tao_years

    ``round`` rounds halves up; money is in whole baht.

    Parameters
    ----------
    members, population : int
        ``N_0`` and ``P`` (village forms).
    fund : float
        ``F_0`` (rounded to the baht).
    payout : float
        ``b``, from :func:`payout_per_member`.
    tao_tambons, tambons : int
        ``k``, tambons with a TAO, and ``m``, all tambons of the fund(s).
    rules : WelfareRules
        ``g``, ``c``, ``days``, ``T``, ``S``.
    first_year : int
        The year (BE) of ``t = 1``.

    Returns
    -------
    pandas.DataFrame
        One row per year: ``year``, ``members``, ``contributions``, ``tao``, ``payouts``,
        ``fund`` and ``fund_msdhs``; the low case's ``members_low``, ``tao_low``,
        ``fund_low``, ``contributions_low`` and ``payouts_low``.
    """
    n = n_low = int(members)
    f = f_low = float(_half_up(fund))
    msdhs = rules.msdhs_scenario * tambons
    g = rules.tao_cofunding_per_year * tao_tambons
    rows = []
    for t in range(1, rules.years + 1):
        n = min(_half_up(n * (1 + rules.membership_growth)), int(population))
        c = n * rules.contribution_per_day * rules.days_per_year
        b = float(_half_up(n * payout))
        f = f + c + g - b
        n_low = min(_half_up(n_low * (1 + rules.low_growth)), int(population))
        g_low = g if rules.low_tao_years is None or t <= rules.low_tao_years else 0.0
        # savings in whole baht, as every amount ("money in baht, halves up"): 183 members
        # saving 182.50 each are 33,397.50 baht
        c_low = float(_half_up(n_low * rules.contribution_per_day * rules.days_per_year
                               * rules.low_saving_share))
        b_low = float(_half_up(n_low * payout))
        f_low = f_low + c_low + g_low - b_low
        rows.append({"year": first_year + t - 1, "members": n, "contributions": c, "tao": g,
                     "payouts": b, "fund": f, "fund_msdhs": f + msdhs,
                     "members_low": n_low, "tao_low": g_low, "fund_low": f_low,
                     "contributions_low": c_low, "payouts_low": b_low})
    return pd.DataFrame(rows)


def _low_case_text(t: Any, pub: Publisher, rules: WelfareRules, proj: pd.DataFrame,
                   tot: Mapping[str, float], area: str) -> str:
    """Write the sentence that reads the baseline against today's money and the low case.

    The baseline is the programme's plan (``c`` a member a year); the village forms say what
    the funds hold a member today, as the funds table prints it. A reader planning a budget
    takes the last year's fund of both cases side by side.
    """
    last = proj.iloc[-1]
    members, money = tot["vil_welfare_members"], tot["vil_welfare_money"]
    today = per_member = ""
    if members > 0:  # the funds table's "money per member" of its total row, as printed
        per_member = _public(pub, "village_forms.money_per_member", money / members, _WHOLE,
                             area).text
        today = t("welfare.low_case.today", per_member=per_member)
    growth = t("welfare.low_case.growth_none")
    if rules.low_growth:
        growth = t("welfare.low_case." + ("growth" if rules.low_growth > 0 else "shrink"),
                   growth=_public(pub, "projection.low_case.membership_growth x 100",
                                  abs(100 * rules.low_growth), "g").text)
    parts = [growth, t("welfare.low_case.saving", share=_public(
        pub, "projection.low_case.saving_share x 100", 100 * rules.low_saving_share, "g").text)]
    tao = _low_tao_differs(proj)
    if tao:
        parts.append(_low_tao_text(t, pub, rules))
    # "และ อบต.": an abbreviation after "and" takes a space, a word does not ("และออมได้")
    conditions = t("welfare.low_case.sep").join(parts[:-1]) \
        + t("welfare.low_case.and_tao" if tao else "welfare.low_case.and") + parts[-1]
    # the low case is no floor: what it assumes saved is still more than the funds hold a
    # member today (an อบต. officer took "กรณีต่ำ" for the worst case; a reader review)
    floor = ""
    saved = rules.contribution_per_year * rules.low_saving_share
    # said wherever members save anything in the low case (its comparison with today's
    # balance, a year's saving against years' savings less payouts, went: a reader review)
    if rules.low_saving_share > 0:
        floor = t("welfare.low_case.not_floor", saved=_public(
            pub, "projection.low_case saving a member a year (c x saving_share)", saved,
            _money(saved)).text, per_member=per_member)
    return t("welfare.low_case.text",
             floor=floor,
             per_day=rules.contribution_per_day,
             c=_public(pub, "projection.contribution_per_day x days_per_year",
                       rules.contribution_per_year, _money(rules.contribution_per_year)).text,
             today=today, conditions=conditions,
             year=_public(pub, "projection year (round + t)", int(last["year"]), _PLAIN).text,
             low=_public(pub, "projection fund, low case L_t (3 significant digits)",
                         _about(last["fund_low"]), _WHOLE, area, kind="other").text,
             base=_public(pub, "projection fund F_t (3 significant digits)",
                          _about(last["fund"]), _WHOLE, area, kind="other").text)


def _tao_budget_text(t: Any, pub: Publisher, rules: WelfareRules, proj: pd.DataFrame,
                     area: str, tao_tambons: int) -> str:
    """Say what the TAOs put in over the projection's years, and that "every year" is assumed.

    The programme's figures say that a TAO co-funds 100,000 baht, not that it does so every
    year; the baseline counts it every year. An อบต. officer budgets on the total: the table's
    yearly column read as the programme's plan (a reader review).
    """
    years = len(proj)
    who = t("welfare.tao_budget.one") if tao_tambons == 1 else t(
        "welfare.tao_budget.many", k=_public(pub, "local_government.tambons_with_tao",
                                             tao_tambons, _COUNT, area).text)
    return t("welfare.tao_budget", who=who,
             cover=_savings_cover_text(t, pub, proj, area, rules.low_saving_share),
             per_year=_public(pub, "projection TAO co-funding a year G", float(proj["tao"].max()),
                              _WHOLE, area).text,
             years=_public(pub, "projection.years", years, _PLAIN).text,
             total=_public(pub, "projection TAO co-funding over the years, sum G_t",
                           float(proj["tao"].sum()), _WHOLE, area).text,
             total_low=_public(pub, "projection TAO co-funding over the years, low case",
                               float(proj["tao_low"].sum()), _WHOLE, area).text,
             amount=_public(pub, "programme.tao_cofunding", rules.programme["tao_cofunding"],
                            _WHOLE).text)


def _savings_cover_text(t: Any, pub: Publisher, proj: pd.DataFrame, area: str,
                        saving_share: float) -> str:
    """Say where the members' savings exceed the payouts in every year of both cases.

    Then the TAO's money is not what keeps the fund going, and what it is for is the TAO's
    and the fund's to agree (a reader review: an officer found savings several times the
    payouts in the table and no word on what the co-funding was for). The low case's year
    closest to the payouts is given as the example; "" where some year's payouts reach its
    savings.
    """
    if not ((proj["contributions"] > proj["payouts"]).all()
            and (proj["contributions_low"] > proj["payouts_low"]).all()
            and (proj["payouts_low"] > 0).any()):
        return ""  # (payouts of 0 in every year: no year to give as the example)
    tight = proj.loc[(proj["contributions_low"] / proj["payouts_low"].where(
        proj["payouts_low"] > 0)).fillna(np.inf).idxmin()]
    return t("welfare.tao_budget.cover", share=round_half_up(100 * saving_share),
             year=_public(pub, "projection year (round + t)", int(tight["year"]), _PLAIN).text,
             saved=_public(pub, "projection savings, low case (C_t x saving_share)",
                           float(tight["contributions_low"]), _WHOLE, area).text,
             paid=_public(pub, "projection payouts, low case (N_t x b)",
                          float(tight["payouts_low"]), _WHOLE, area, kind="other").text)


def _low_tao_differs(proj: pd.DataFrame) -> bool:
    """Whether the low case's TAO co-funding differs from the baseline's in some year."""
    return bool((proj["tao_low"] != proj["tao"]).any())


def _low_tao_text(t: Any, pub: Publisher, rules: WelfareRules) -> str:
    """Say for how many years the TAO co-funds in the low case ("อบต. สมทบเฉพาะปีแรก")."""
    n = rules.low_tao_years or 0
    if n == 0:
        return t("welfare.low_case.tao_none")
    if n == 1:
        return t("welfare.low_case.tao_first")
    return t("welfare.low_case.tao_years", n=_public(pub, "projection.low_case.tao_years", n,
                                                     _PLAIN).text)


def _about(value: float) -> float:
    """``value`` to three significant digits, as "about" says it (the table has the baht).

    A projection's "ราว 195,267,950 บาท" claimed the baht of an assumption's outcome; "ราว
    195,000,000" says what the sentence means.
    """
    if not np.isfinite(value) or value == 0:
        return value
    unit = 10.0 ** max(0, int(np.floor(np.log10(abs(value)))) - 2)
    return float(_half_up(value / unit)) * unit


def _partly_surveyed(report: Any, forms: pd.Series) -> set[str]:
    """Return the tambons whose village forms this round are fewer than their villages.

    ``forms``: the forms received, by tambon code. A tambon whose villages were not all
    surveyed, or one of whose surveyed villages sent no form (or had it rejected), has
    villages whose money nobody knows. Against the round's tambon table (``villages_total``);
    none where the report has no round analysis.
    """
    tb = getattr(getattr(report, "analysis", None), "tambons", None)
    if tb is None or "villages_total" not in tb.columns:
        return set()
    total = tb.set_index(tb["tambon_code"].astype(str))["villages_total"]
    known = total.reindex(forms.index.astype(str))
    return set(known.index[(forms.to_numpy() < known.to_numpy())])


def _per_tambon_text(t: Any, baht: Callable[..., str | None], plain: Callable[..., str],
                     per_tambon: float, villages: float, tambons: int,
                     pg: Mapping[str, float], level: str, villages_total: int = 0
                     ) -> str | None:
    """Write an area's money per tambon, beside the programme's figure for its villages.

    The programme's per-tambon figure is its per-village figure times about seven villages; a
    tambon of four villages (or four surveyed) compares with four times the per-village
    figure, which a tambon's report says beside its money (28,000 against a four-village
    tambon's 14,310 read as half the programme's figure; a reader review), and an amphoe or
    the province with its villages per tambon on average (below the programme per village
    and above it per tambon, with nine villages a tambon: a reader review). Where the forms
    are fewer than the area's ``villages_total`` (a round that sampled villages), the amount
    is for the villages with a form, and says so: "the area's actual number of villages"
    beside 42 of its 95 read as a wrong count (a reader review).
    """
    text = baht("village_forms.money_per_tambon", per_tambon)
    if text is None or not villages or not tambons:
        return text
    if level == "tambon":
        if int(villages) == int(pg["villages_per_tambon"]):
            return text
        return text + t("welfare.cmp.per_tambon_scaled",
                        n=plain("village_forms.villages", villages),
                        amount=baht("programme.per_village_today x village_forms.villages",
                                    pg["per_village_today"] * int(villages)))
    # the amount from the villages and tambons, with its formula written out: "8.9 villages"
    # beside 4,000 x 8.94 read as a slip (a code review), and 4,000 x the printed 8.9 beside
    # 4,000 x 142 / 16 as another (a reader review)
    amount = _half_up(pg["per_village_today"] * float(villages) / tambons)
    if amount == _half_up(pg["per_village_today"] * pg["villages_per_tambon"]):
        return text
    # how far short of it, from the printed figures
    printed = text.replace(",", "")
    short = amount - int(printed) if printed.isdigit() else 0
    partial = 0 < int(villages) < villages_total
    return text + t(
        "welfare.cmp.per_tambon_scaled_mean_partial" if partial
        else "welfare.cmp.per_tambon_scaled_mean",
        total=plain("villages_total", villages_total) if partial else "",
        per_village=plain("programme.per_village_today", pg["per_village_today"], fmt=_WHOLE),
        villages=plain("village_forms.villages", villages),
        tambons=plain("village_forms.tambons", tambons),
        amount=baht("programme.per_village_today x villages / tambons", amount),
        short="" if short <= 0 else t("welfare.cmp.scaled_short", short=baht(
            "target per tambon less money per tambon (as printed)", short)))


# ---------------------------------------------------------------------- data
def report_store(report: Any) -> Path | None:
    """Return the store the report's analysis was read from."""
    from abcresearch.store import cache_folder

    if hasattr(report, "area"):
        return report.store
    store = getattr(report, "store", None)
    if store is not None:
        return Path(store)
    cache = Path(report.analysis.cache_dir)
    for up in (3, 2):  # <store>/round=R/<version>/derived/<key> (or an unversioned round)
        cand = cache.parents[up]
        try:
            if cache_folder(report.survey_round, cache.name, cand) == cache:
                return cand
        except Exception:  # noqa: S112 - not this candidate
            continue
    raise StoreError(f"cannot tell which store the analysis in {cache} was read from")


def _code(report: Any) -> str:
    return report.area.code if hasattr(report, "area") else report.province.code


def _level(report: Any) -> str:
    return report.area.level if hasattr(report, "area") else "province"


def _forms(report: Any) -> pd.DataFrame:
    from abcresearch.store import read as store_read

    if hasattr(report, "village_forms"):
        return report.village_forms
    return store_read.load(report.survey_round, area=_code(report), store=report_store(report),
                           table="villages")


def age_structure(report: Any, rules: WelfareRules) -> pd.DataFrame:
    """Weighted share of persons (household roster) in each age group of the rules.

    Members of the area's analysed households, weighted by their household's weight.

    Returns
    -------
    pandas.DataFrame
        One row per age group: ``group``, ``persons`` (unweighted count), ``share``.
    """
    from abcresearch.store import read as store_read

    hh = report.households[["submission_uuid", "weight"]]
    try:
        m = store_read.load(report.survey_round, area=_code(report), store=report_store(report),
                            table="members", columns=["submission_uuid", "m_age"])
    except StoreError:
        m = pd.DataFrame({"submission_uuid": pd.Series(dtype=str), "m_age": []})
    ids = pd.Index(hh["submission_uuid"])
    if ids.is_unique:  # one row per household: look the weights up (a join cost 0.55 s on a
        # province's 775,000 members)
        at = ids.get_indexer(m["submission_uuid"])
        m = m[at >= 0]
        w = hh["weight"].to_numpy(float)[at[at >= 0]]
    else:
        m = m.merge(hh, on="submission_uuid", how="inner")
        w = m["weight"].to_numpy(float)
    age = pd.to_numeric(m["m_age"], errors="coerce").to_numpy(float)
    ok = ~np.isnan(age)
    rows = []
    for g in rules.age_groups:
        sel = ok & (age >= g.lo) & ((age < g.hi) if g.hi is not None else True)
        rows.append({"group": g.label(), "persons": int(sel.sum()), "weighted": w[sel].sum()})
    out = pd.DataFrame(rows)
    total = out["weighted"].sum()
    out["share"] = out["weighted"] / total if total > 0 else np.nan
    return out.drop(columns="weighted")


# ---------------------------------------------------------------------- the section
def _fund_table(report: Any, forms: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Village-form figures by the areas one level down, and the area's totals (unrounded)."""
    level = _level(report)
    key = {"province": 4, "amphoe": 6}.get(level, 8)
    f = forms.copy()
    f["_unit"] = f["village_code"].str.slice(0, key)
    cols = ["vil_population", "vil_households", "vil_welfare_members", "vil_welfare_money"]
    for c in cols:
        f[c] = pd.to_numeric(f[c], errors="coerce").astype(float)
    by = f.groupby("_unit", sort=True)
    # a figure a form left blank (a village's own report keeps its form) is no sum, not 0
    table = by[cols].sum().where(by[cols].count() == by.size().to_numpy()[:, None])
    table.insert(0, "villages", by.size())
    table["tambons"] = by["village_code"].agg(lambda s: s.str.slice(0, 6).nunique())
    f["_no_fund"] = _without_fund(f)
    table["without_fund"] = f.groupby("_unit", sort=True)["_no_fund"].sum()
    totals = {c: float(f[c].sum()) if f[c].notna().all() else np.nan for c in cols}
    totals["without_fund"] = float(f["_no_fund"].sum())
    totals["villages"] = float(len(f))
    totals["tambons"] = float(f["village_code"].str.slice(0, 6).nunique())
    return table, totals


def _without_fund(forms: pd.DataFrame) -> pd.Series:
    """Whether each village's form has neither welfare-fund members nor money: no fund yet."""
    members = pd.to_numeric(forms["vil_welfare_members"], errors="coerce")
    money = pd.to_numeric(forms["vil_welfare_money"], errors="coerce")
    return (members <= 0) & (money <= 0)


def villages_without_fund(report: Any) -> tuple[int, int, pd.DataFrame]:
    """Count the villages whose form has neither fund members nor money: no fund yet.

    Of the complete forms (as the fund table counts them), with their count by the areas one
    level down (a province's amphoes, an amphoe's tambons).

    Returns
    -------
    without, forms : int
        Villages without a fund, and the complete forms counted.
    by_area : pandas.DataFrame
        By the areas one level down (index: their codes): ``without_fund``, and ``villages``
        (the complete forms counted).
    """
    forms = _forms(report)
    if forms.empty:
        return 0, 0, pd.DataFrame({"without_fund": [], "villages": []}, dtype="int64")
    forms = forms[~forms["village_code"].isin(_blank_fund_figures(forms).index)]
    if forms.empty:
        return 0, 0, pd.DataFrame({"without_fund": [], "villages": []}, dtype="int64")
    units, tot = _fund_table(report, forms)
    return (int(tot["without_fund"]), int(tot["villages"]),
            units[["without_fund", "villages"]].astype("int64"))


#: The village-form figures the fund table, its totals and the projection rest on.
FUND_FIGURES = ("vil_population", "vil_welfare_members", "vil_welfare_money")


def _blank_fund_figures(forms: pd.DataFrame) -> pd.Series:
    """Villages whose form has no usable value of a :data:`FUND_FIGURES` figure.

    Returns
    -------
    pandas.Series
        Index ``village_code`` (in village order), value: the blank figures' column names.
    """
    values = forms.set_index("village_code")[list(FUND_FIGURES)]
    blank = values.apply(pd.to_numeric, errors="coerce").isna()
    blank = blank[blank.any(axis=1)].sort_index()
    return pd.Series([tuple(c for c in FUND_FIGURES if row[c]) for _, row in blank.iterrows()],
                     index=blank.index, dtype=object)


def _incomplete_forms_text(report: Any, pub: Publisher, blank: pd.Series, n_forms: int,
                           nothing_left: bool) -> str:
    """Say which village forms lack a fund figure, and that the figures below leave them out.

    A village report says which of its own figures are blank (its table shows them as "–"); a
    tambon report names the villages and what each lacks; an amphoe report or the province
    overview counts the forms. With ``nothing_left`` (no complete form) it says there are no
    fund figures.
    """
    t, level, where = report.t, _level(report), _code(report)
    then = t("welfare.forms_incomplete.then_" + ("none" if nothing_left else "rest"))

    def figures(cols: Sequence[str], either: bool = False) -> str:
        return names_list(t, [t(f"welfare.figure.{c}") for c in cols], either=either)

    if level == "village":
        return t("welfare.forms_incomplete.village", figures=figures(blank.iloc[0]))
    if level == "tambon":
        parts = [t("welfare.forms_incomplete.part", village=_unit_name(report, str(code)),
                   figures=figures(cols)) for code, cols in blank.items()]
        names = pub.record_numbers(names_list(t, parts),
                                   "village names (village_forms.incomplete)", where)
        return t("welfare.forms_incomplete.named", villages=names, then=then)
    used = sorted({c for cols in blank for c in cols}, key=FUND_FIGURES.index)
    return t("welfare.forms_incomplete.count",
             n=_public(pub, "village_forms.incomplete", len(blank), _COUNT, where).text,
             total=_public(pub, "village_forms.received", n_forms, _COUNT, where).text,
             figures=figures(used, either=True), then=then)


def _unit_name(report: Any, code: str) -> str:
    from abcresearch.survey.areas import get_area

    if hasattr(report, "child_name"):
        return report.child_name(code)
    try:
        return get_area(code).label(report.lang)
    except Exception:
        return code


def _reach(out: SectionBuilder, report: Any, pub: Publisher, wr: WelfareRules,
           no_fund: Sequence[str] = (), own_no_fund: bool = False
           ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Part 2 of the section: the households the funds reach, by level (design-based).

    ``no_fund``: a tambon's villages whose forms show no fund yet (named above);
    ``own_no_fund``: a village report's own form shows none (where its households can join is
    said after who to invite). Returns the shares as estimated and published, and the estimates
    by level.
    """
    t = report.t
    from abcresearch.analysis.round import area_design

    hh = report.households.copy(deep=False)
    hh["welfare_member"] = member_flag(hh).to_numpy()
    hh["level_group"] = hh["overall_level"].map({1.0: "1", 2.0: "2", 3.0: "3"}).fillna("0")
    design = area_design(hh, report.own_design_spec)
    lvl = report.design_spec.level
    by_level = design.ciprop("welfare_member", by="level_group", na_rm=True, level=lvl)
    overall = design.ciprop("welfare_member", na_rm=True, level=lvl).iloc[0]
    # the shares through the round's disclosure pattern (membership by overall level is on it),
    # beside the households of each level as the levels table counts them
    code = _code(report)
    reach_rows: list[dict[str, str]] = []
    reach_est: dict[str, dict[str, Any]] = {}
    reach_shown: dict[str, Shown] = {}
    for key, label in (("1", t("col.level1")), ("2", t("col.level2")), ("3", t("col.level3")),
                       ("all", t("welfare.all_households"))):
        member = (hh["welfare_member"] if key == "all"
                  else hh.loc[hh["level_group"] == key, "welfare_member"])
        ok = member.notna()
        n_base, n_mem = int(ok.sum()), int(member[ok].sum())
        est = overall if key == "all" else (by_level.loc[key] if key in by_level.index
                                            else None)
        vals = {k: float(est[k]) for k in _CI} if est is not None else dict.fromkeys(_CI, np.nan)
        if n_base == 0:
            reach_est[key] = {**vals, "n_members": n_mem, "n_base": n_base, "hidden": True}
            continue
        shown = pub.share(code, *welfare_share_cells(None if key == "all" else key),
                                vals["estimate"], vals["ci_low"], vals["ci_high"])
        reach_shown[key] = shown
        reach_est[key] = {**vals, "n_members": n_mem, "n_base": n_base, "hidden": shown.hidden}
        households = pub.n(code) if key == "all" else \
            pub.count("overall_level", code, key)
        reach_rows.append({
            t("welfare.col.group"): label,
            t("col.sampled_households"): households.text,  # sample counts (pub.n, pub.count)
            t("welfare.col.member_share"): shown.with_ci})
    out.text(t("welfare.reach_intro"))  # after the village forms' figures, no sampling error
    l1 = reach_shown.get("1")
    if l1 is not None and not l1.hidden:
        outside = level1_outside_fund(report, pub, code, l1, reach_est["1"])
        # who to invite, where they live, and (for those who budget, not a village's forum)
        # what their saving would come to, one point each
        points = [t("welfare.reach_outside", count=outside,
                    where=_unsurveyed_too(report, pub, code),
                    local=local_government(report, wr)),
                  t("welfare.reach_own_no_fund") if own_no_fund else "",
                  level1_in_villages_without_fund(report, pub, no_fund, outside),
                  "" if _level(report) == "village"
                  else outside_saving_text(report, pub, outside, l1, wr)] \
            if outside else []
        points = [p.strip() for p in points if p]
        reach_line = t("welfare.reach", share=l1.text, interval=reach_interval(t, l1))
        # one point follows the share as a sentence (a list of one read as a slip)
        out.text(f"{reach_line} {points[0]}" if len(points) == 1 else
                 "\n".join([reach_line, "", *(f"- {p}" for p in points)]))
        if outside:
            reach_est["1"]["outside"] = outside
    # the province overview has no levels section: its table says what the levels are (a
    # reader review: levels 2 and 3 were named nowhere in it)
    # the markers' legend as every table has it: the table keeps the markers it prints (a
    # reader review found "<5" and "×" explained under a table that printed neither)
    notes = t("welfare.notes.reach") + " · " + t("suppressed.note")
    if _level(report) == "province":
        notes = f"{t('intro.levels')} · {notes}"
    # a share whose interval is narrower than its printed digits prints alone ("23" beside
    # "61 (60–61)" read as an interval left out; a reader review): the notes say why
    if any(s.value is not None and s.low is not None and s.with_ci == s.text
           for s in reach_shown.values()):
        notes += " · " + t("ci.narrower_than_digits")
    out.table(pd.DataFrame(reach_rows), t("welfare.caption.reach"), notes)
    return reach_est, by_level


def level1_outside_fund(report: Any, pub: Publisher, code: str, shown: Shown,
                        est: Mapping[str, Any]) -> str | None:
    """Return about how many level-1 households are in no community welfare fund, as printed.

    The printed share of level-1 households outside a fund (100 less the printed members'
    share) times the estimated level-1 households behind the levels table's count, rounded as
    the "what to do" table rounds the households failing an item (to ``weighted_count_base``
    or the power of ten the share's interval reaches in households): the households a fund
    should invite first, and a size an อบต. that co-funds it can plan with (a reader review
    worked it out by hand; co-funding may ask that membership reach the disadvantaged).
    Nothing a reader could not work out from the two printed figures, so it is recorded as a
    figure the attack leaves alone (:meth:`~abcresearch.reports.disclosure.Publisher.
    count_of_share`). None where either is hidden, at the province level, or where all
    are members.

    Parameters
    ----------
    report : AreaContext
        The report (a village, tambon or amphoe).
    pub : Publisher
        The section's publisher.
    code : str
        The area.
    shown : Shown
        The level-1 members' share as printed.
    est : mapping
        Its estimate (``ci_low``, ``ci_high``: 0-1).

    Returns
    -------
    str or None
        The count as printed (``"320"``), recorded in ``pub``'s ledger; None where it is not
        printed.
    """
    if not hasattr(report, "weighted_counts") or shown.value is None or shown.value >= 1:
        return None
    w, _ = report.weighted_counts("overall_level")
    count = float(w.iloc[0].get("1", 0.0))
    # the level-1 households as the levels table would print them: not where it hides them
    if count <= 0 or level1_printed(report, code, count).hidden:
        return None
    low, high = est.get("ci_low"), est.get("ci_high")
    outside_low = None if high is None or not np.isfinite(high) else 1.0 - float(high)
    outside_high = None if low is None or not np.isfinite(low) else 1.0 - float(low)
    # the share outside as printed (100 less the printed members' share), counted by the one
    # rule for households from a printed share (as the "what to do" table counts them)
    return pub.count_of_share("welfare.level1_outside_fund", code, 1.0 - shown.value, count,
                              outside_low, outside_high)


def outside_saving_text(report: Any, pub: Publisher, outside: str, shown: Shown,
                        wr: WelfareRules) -> str:
    """Return what one member from each level-1 household outside a fund would save a year.

    A size an อบต. or another co-funder can budget with, should it save for the households that
    cannot (a reader review: the officer asked what bringing them in would cost). From printed
    figures only, so that a reader can work it out and it gives nothing away: the level-1
    households as the levels table prints them, times 100 less the printed ends of the
    members' share's interval, times a member's yearly contributions
    (``projection.contribution_per_day`` x ``days_per_year``), each end to three significant
    digits, the range widened to hold the printed count's own saving, which the sentence gives
    first (the printed count times a member's yearly contributions, to three digits).

    Parameters
    ----------
    report : AreaContext
        The report (a tambon or amphoe).
    pub : Publisher
        The section's publisher (the ends go into its ledger).
    outside : str
        The level-1 households outside a fund as printed (:func:`level1_outside_fund`).
    shown : Shown
        The level-1 members' share as printed, with its interval.
    wr : WelfareRules
        ``params/welfare.yaml``.

    Returns
    -------
    str
        The sentence; empty where the interval or the level-1 households are not printed.
    """
    t, code = report.t, _code(report)
    w, _ = report.weighted_counts("overall_level")
    level1 = level1_printed(report, code, float(w.iloc[0].get("1", 0.0)))
    if level1.hidden or level1.value is None or shown.low is None or shown.high is None:
        return ""
    per_year = wr.contribution_per_year
    saving = float(outside.replace(",", "")) * per_year  # baht a year
    ends = [_about((100.0 - float(end.replace(",", ""))) / 100.0 * level1.value * per_year)
            for end in (shown.high, shown.low)]
    low, high = min(ends[0], _about(saving)), max(ends[1], _about(saving))
    return t("welfare.reach_outside_saving", count=outside,
             mid=_public(pub, "welfare.level1_outside_saving", _about(saving), _WHOLE, code,
                         kind="other").text,
             low=_public(pub, "welfare.level1_outside_saving.low", low, _WHOLE, code,
                         kind="other").text,
             high=_public(pub, "welfare.level1_outside_saving.high", high, _WHOLE, code,
                          kind="other").text,
             per_day=_public(pub, "projection.contribution_per_day", wr.contribution_per_day,
                             _money(wr.contribution_per_day), code).text,
             per_year=_public(pub, "projection.contribution_per_year", per_year,
                              _money(per_year), code).text)


def level1_in_villages_without_fund(report: Any, pub: Publisher, villages: Sequence[str],
                                    outside: str) -> str:
    """Return the level-1 households of a tambon's villages that have no fund yet, as printed.

    The sum of those villages' level-1 households as the levels table prints them (the same
    :meth:`~abcresearch.reports.disclosure.Publisher.weighted` of the same counts): households
    a fund reaches only once the village starts one or a fund nearby takes them in (a reader
    review added them up by hand). The villages are those whose forms show no fund (public).
    Nothing where a village's count is hidden (the sum would give it back), with no such
    village, or where the sum is above the level-1 households outside a fund as printed
    (``outside``: side by side they would read as a part larger than its whole). Whether the
    households of those villages are in another fund is not said: that would print what
    their answers are, village by village.

    Parameters
    ----------
    report : AreaContext
        A tambon's report.
    pub : Publisher
        The section's publisher (the sum goes into its ledger).
    villages : sequence of str
        The villages whose forms show no fund.
    outside : str
        The level-1 households outside a fund as printed.

    Returns
    -------
    str
        The sentence, or empty.
    """
    if not villages or not hasattr(report, "weighted_counts"):
        return ""
    by_village, _ = report.weighted_counts("overall_level", "village_code")
    cells = [level1_printed(report, v, float(by_village.loc[v].get("1", 0.0)))
             if v in by_village.index else None for v in villages]
    if any(c is None or c.hidden or c.value is None for c in cells):
        return ""
    total = sum(int(c.value) for c in cells if c is not None and c.value is not None)
    if total <= 0 or total > int(outside.replace(",", "")):
        return ""
    code = _code(report)
    return report.t("welfare.reach_no_fund_villages",
                    count=_public(pub, "welfare.level1_in_villages_without_fund", total, _COUNT,
                                  code, kind="other").text,
                    n=_public(pub, "village_forms.villages_without_fund", len(villages),
                              _COUNT, code).text)


def _registers_short(low: float, at_most: float) -> bool:
    """Whether the households answering "member" outrun what the registers could cover.

    ``low``: the lower end of the members' share's interval; ``at_most``: the registered
    members over the households. Compared as both are printed ("49 (49–56)" beside "at most
    49.1" would contradict itself), at the share's own precision: "41" (its interval 41–41 not
    printed) beside "at most 40.7" read as no disagreement at all (a reader review), and a
    few tenths of a point are none worth a warning.
    """
    if not (np.isfinite(low) and np.isfinite(at_most)):
        return False
    from abcresearch.reports.disclosure import publication_rules

    digits = publication_rules().digits["percent"]
    return float(round_half_up(low, digits, 100.0, grouping="")) \
        > float(round_half_up(at_most, digits, 100.0, grouping=""))


def tambons_registers_short(report: Any, pub: Publisher, forms: pd.DataFrame) -> str:
    """Name an amphoe's tambons whose own reports find the registers short of the survey.

    The amphoe's total hid them (a reader review: 40.8% against at most 40.7% over the
    amphoe, while eight of its sixteen tambons' households answered "member" beyond what
    their registers could cover, and the projection starts from the registers). Each tambon
    as its own report checks it (:func:`_members_mismatch`: its households' share from a
    design on its own households, its forms' members, its frame's households), where every
    village of the tambon was surveyed and has its complete form, and its share is published.

    Parameters
    ----------
    report : AreaContext
        An amphoe's report (other levels: empty).
    pub : Publisher
        The section's publisher.
    forms : pandas.DataFrame
        The amphoe's complete village forms.

    Returns
    -------
    str
        The sentence, or empty where no tambon is found short.
    """
    if _level(report) != "amphoe" or forms.empty or not hasattr(report, "known_households"):
        return ""
    from abcresearch.analysis.round import area_design
    from abcresearch.reports.context import design_spec_alone

    hh = report.households.copy(deep=False)
    hh["welfare_member"] = member_flag(hh).to_numpy()
    spec = report.design_spec
    tambons = report.analysis.tambons.set_index("tambon_code")
    probe = Publisher(report, "welfare_probe")
    by_tambon = forms.assign(_t=forms["village_code"].astype(str).str.slice(0, 6))
    short, checked = [], 0
    for code, own in by_tambon.groupby("_t", sort=True):
        row = tambons.loc[code] if code in tambons.index else None
        part = hh[hh["tambon_code"].astype(str) == code]
        if row is None or part.empty or not (
                row["villages_surveyed"] == row["villages_total"] == len(own)):
            continue
        # as the tambon's own report builds its design (its own sample where thin)
        own_spec = design_spec_alone(spec, part, "tambon", int(row["villages_surveyed"]))
        est = area_design(part, own_spec).ciprop("welfare_member", na_rm=True,
                                                  level=spec.level).iloc[0]
        shown = probe.share(
            code, *welfare_share_cells(None), float(est["estimate"]), float(est["ci_low"]),
            float(est["ci_high"]))
        households = float(report.known_households([code]).iloc[0])
        if shown.hidden or not households > 0:
            continue
        checked += 1
        members = float(pd.to_numeric(own["vil_welfare_members"], errors="coerce").sum())
        if _registers_short(float(est["ci_low"]), members / households):
            short.append(code)
    if not short:
        return ""
    t = report.t
    names = pub.record_numbers(names_list(t, [_unit_name(report, c) for c in short]),
                               "tambon names (registers short of the survey)", _code(report))
    return t("welfare.members_mismatch.tambons" + (".one" if len(short) == 1 else ""),
             k=_public(pub, "tambons with registers short of the survey", len(short), _COUNT,
                       _code(report), kind="other").text,
             n=_public(pub, "tambons checked against their registers", checked, _COUNT,
                       _code(report), kind="other").text, names=names)


def _members_mismatch(report: Any, pub: Publisher, reach: Mapping[str, Any] | None,
                      members: float, code: str, years: int) -> dict[str, str]:
    """Say where the households' answers and the funds' registers cannot both be right.

    The share of households answering that they belong to a fund, at its interval's lower
    end, above the registered members (persons) as a share of the area's households: even one
    member a household would not make that many. Only where every village of the area has its
    complete form (both figures are then of the same villages). A reader review found 53% of
    3,095 households (about 1,640) members beside 1,520 registered persons, the projection
    starting from the register without a word.

    Returns
    -------
    dict
        Empty where the sources agree; else ``text`` (the paragraph) and the printed
        ``members`` and ``at_most`` (the one-page summary says it shorter).
    """
    households = float(report.known_households([code]).iloc[0])
    if reach is None or reach.get("hidden") or not np.isfinite(households) or households <= 0:
        return {}
    low = float(reach["ci_low"])
    at_most = members / households
    if not _registers_short(low, at_most):
        return {}
    shown = pub.share(code, *welfare_share_cells(None), float(reach["estimate"]), low,
                      float(reach["ci_high"]))
    at_most_text = _public(pub, "village_forms.vil_welfare_members / households_total x 100",
                           100 * at_most, _ONE, code).text
    t = report.t
    then = "" if _level(report) == "village" else t(
        "welfare.members_mismatch.projection",
        years=_public(pub, "projection.years", years, _PLAIN).text)
    parts = {
        "members": _public(pub, "village_forms.vil_welfare_members", int(members), _COUNT,
                           code).text,
        "at_most": at_most_text}
    text = t("welfare.members_mismatch", share=shown.with_ci, then=then, **parts,
             households=_public(pub, "households_total", int(households), _COUNT, code).text)
    return {"text": text, **parts}


def _reach_only(out: SectionBuilder, report: Any, pub: Publisher,
                wr: WelfareRules) -> SectionResult:
    """Return the section with who the funds reach only (no village form has its figures)."""
    reach, by_level = _reach(out, report, pub, wr)
    if _level(report) == "village":
        # no fund table above to point to: only where the projection is
        out.text(report.t("welfare.village_no_projection.no_table",
                          years=_public(pub, "projection.years", wr.years, _PLAIN).text))
    return out.result(estimates=by_level, details={"reach": reach, "rules": wr},
                      published=tuple(pub.entries))


def _unsurveyed_too(report: Any, pub: Publisher, code: str) -> str:
    """Say that a count of households is the whole area's, villages not surveyed included.

    In a round that sampled some of an area's villages, the level-1 households outside a
    fund are estimated for all of them: an officer took "about 110 households" for those on
    the surveyed villages' lists (a reader review). Empty for a village, a fully surveyed area
    and a round that surveys every village (there a village without households is left out
    of the estimate, not stood for by it). The count of villages goes into the ledger.
    """
    if _level(report) == "village" or not hasattr(report, "area_name") \
            or not getattr(report, "calibrated", False):
        return ""
    cov = report.status.coverage
    left = int(cov.villages_total) - int(cov.villages_surveyed)
    if left <= 0 or cov.villages_surveyed <= 0:
        return ""
    return report.t("welfare.reach_outside_where", area=report.area_name(),
                    n=_public(pub, "villages_unsurveyed", left, _COUNT, code).text)


def welfare_fund(report: Any, *, rules: str | Path | WelfareRules | None = None,
                 programmes: str | Path | None = None) -> SectionResult:
    """Build the community welfare fund section.

    Funds and members today, who they reach, the programme's figures, and a five-year
    projection.

    Parameters
    ----------
    report : AreaContext or ProvinceContext
        A village, tambon or amphoe report, or the province overview. The projection is made for
        tambons, amphoes and the province (funds are tambon funds); a village report shows the
        first three parts.
    rules : path or WelfareRules, optional
        Another ``welfare.yaml``.
    programmes : path, optional
        Another ``programmes.yaml`` (the pilot lists).

    Returns
    -------
    SectionResult
        Made once per report and rules files as loaded (the one-page summary quotes it before
        its own cell shows it): the same object again until a file changes.
    """
    wr = rules if isinstance(rules, WelfareRules) else load_welfare_rules(rules)
    cached = getattr(report, "cached", None)
    if cached is None:
        return _welfare_fund(report, wr, programmes)
    progs = load_programmes(programmes)  # loaded once per file version, as the rules
    # keyed by the loaded objects, which the entry holds (so their ids stay theirs): an edited
    # file loads as a new object and makes the section again
    _, _, result = cached(("section", "welfare_fund", id(wr), id(progs)),
                          lambda: (wr, progs, _welfare_fund(report, wr, programmes)))
    return cast(SectionResult, result)


def _welfare_fund(report: Any, wr: WelfareRules, programmes: str | Path | None
                  ) -> SectionResult:
    t, lang, thr = report.t, report.lang, report.threshold
    level = _level(report)
    out = SectionBuilder("welfare_fund", report.words, {"rules": wr.path,
                                                        "programmes": programmes})
    out.heading("section.welfare")
    pub = Publisher(report, "welfare_fund")
    cov = getattr(getattr(report, "status", None), "coverage", None)
    villages_total = int(cov.villages_total) if cov is not None else 0  # the frame's
    if level != "village" and cov is not None and 0 < cov.villages_surveyed < cov.villages_total:
        # the village forms are those of the villages surveyed: the funds "per tambon" below
        # are theirs (a tambon of one sampled village read as the whole tambon)
        out.text(t("welfare.surveyed_only",
                   n=pub.public("villages_surveyed", cov.villages_surveyed,
                                area=_code(report)).text,
                   total=pub.public("villages_total", cov.villages_total,
                                    area=_code(report)).text))
    forms = _forms(report)
    n_forms = int(forms["village_code"].nunique()) if "village_code" in forms else 0
    if level != "village" and cov is not None and 0 < n_forms < cov.villages_surveyed:
        # a surveyed village without its form (not sent, or rejected): the totals below leave
        # it out, which they said nowhere (a review)
        out.text(t("welfare.forms_missing",
                   n=pub.public("village_forms.villages", n_forms, area=_code(report)).text,
                   total=pub.public("villages_surveyed", cov.villages_surveyed,
                                    area=_code(report)).text))
    if forms.empty:
        # households came without their village's form (not sent, or rejected at ingest): the
        # funds, and the projection built on them, have nothing to rest on
        out.text(t("welfare.no_forms"))
        return out.result(published=tuple(pub.entries))
    # a form whose population, members or money could not be read (left blank at ingest, the
    # rest of the form kept): summed, the blank would count as 0 and pool one village's members
    # over another's population; the figures below rest on the complete forms, and say so
    blank = _blank_fund_figures(forms)
    received = forms  # every form, complete or not: the tambons the area's table compares
    if len(blank):  # a village's own table keeps its form and shows its blanks as "–"
        complete = (forms if level == "village"
                    else forms[~forms["village_code"].isin(blank.index)])
        out.text(_incomplete_forms_text(report, pub, blank, len(forms), complete.empty))
        forms = complete
    if forms.empty:  # no complete form: the funds and the projection rest on nothing
        return _reach_only(out, report, pub, wr)
    units, tot = _fund_table(report, forms)

    # 1. the funds today (village forms: no sampling error, no suppression); every figure goes
    # into the ledger as printed (public: whole-village counts and what is computed from them)
    unit_col = {"province": t("col.amphoe"), "amphoe": t("col.tambon")}.get(level,
                                                                           t("col.village"))
    show_villages = level not in ("village", "tambon")  # one row per village: says nothing

    def fund_row(name: str, r: Mapping[str, float], area: str) -> dict[str, Any]:
        def whole(key: str) -> float:
            if pd.isna(r[key]):
                return np.nan
            n = int(r[key])
            _public(pub, f"village_forms.{key}", n, ",d", area)
            return n

        def figure(key: str, value: float, fmt: str) -> float:
            shown = _public(pub, f"village_forms.{key}", value, fmt, area)
            return np.nan if shown.value is None else shown.value

        pop, members, money = r["vil_population"], r["vil_welfare_members"], r["vil_welfare_money"]
        row: dict[str, Any] = {unit_col: name}
        if show_villages:
            row[t("welfare.col.villages")] = whole("villages")
            # where a tambon (amphoe) has villages without a fund, beside its row: the count
            # below the table alone named no place to start one (a reader review)
            row[t("welfare.col.without_fund")] = whole("without_fund")
        row |= {t("welfare.col.population"): whole("vil_population"),
                t("welfare.col.members"): whole("vil_welfare_members"),
                t("welfare.col.members_pct"): figure(
                    "members_per_100_people", 100 * members / pop if pop > 0 else np.nan, _ONE),
                t("welfare.col.money"): figure("vil_welfare_money", float(money), _WHOLE),
                t("welfare.col.per_member"): figure(
                    "money_per_member", money / members if members > 0 else np.nan, _WHOLE)}
        return row

    rows = [fund_row(_unit_name(report, code), r, str(code)) for code, r in units.iterrows()]
    if len(units) > 1 or level != "village":
        rows.append(fund_row(t("welfare.total"), tot, _code(report)))
    funds = pd.DataFrame(rows)
    out.text(t("welfare.intro.funds"))
    out.table(funds, t("welfare.caption.funds"), t("welfare.notes.funds"),
              number_format={t("welfare.col.members_pct"): _ONE,
                             t("welfare.col.per_member"): _WHOLE, t("welfare.col.money"): _WHOLE})
    # the villages with no fund yet (no member, no money on their forms): where a tambon could
    # start one; the per-village money below averages over them too
    no_fund = forms[_without_fund(forms)]
    no_fund_count = (len(no_fund), len(forms))
    no_fund_names = ""
    if level != "village" and len(no_fund):
        where = _code(report)
        count = (_public(pub, "village_forms.villages_without_fund", len(no_fund), _COUNT,
                         where).text,
                 _public(pub, "village_forms.villages", len(forms), _COUNT, where).text)
        if level == "tambon":
            names = pub.record_numbers(  # "หมู่ที่ 4": the villages' names, public
                names_list(t, [_unit_name(report, str(v)) for v in no_fund["village_code"]]),
                "village names (village_forms.villages_without_fund)", where)
            out.text(t("welfare.no_fund.villages", n=count[0], total=count[1], names=names))
            no_fund_names = names
        else:
            out.text(t("welfare.no_fund", n=count[0], total=count[1]))

    # 2. who the funds reach (design-based)
    reach_est, by_level = _reach(out, report, pub, wr,
                                 [str(v) for v in no_fund["village_code"]]
                                 if level == "tambon" else (),
                                 own_no_fund=level == "village" and no_fund_count == (1, 1))
    code = _code(report)
    every_form = (cov is not None and cov.villages_surveyed == cov.villages_total
                  and len(forms) == cov.villages_surveyed and not len(blank))
    mismatch: dict[str, str] = {}
    if every_form and hasattr(report, "known_households"):
        mismatch = _members_mismatch(report, pub, reach_est.get("all"),
                                     float(tot["vil_welfare_members"]), code, wr.years)
        if mismatch:
            out.text(mismatch["text"])
    tambons_short = tambons_registers_short(report, pub, forms)
    if tambons_short:
        out.text(tambons_short)

    # 3. against the programme's figures (params/welfare.yaml, params/programmes.yaml) and the
    # village forms: public figures, into the ledger as printed
    pg = wr.programme
    n_tambons = int(tot["tambons"])  # of the complete forms: the money per tambon, projection
    tao_tambons = sum(has_tao(c, wr) for c in forms["village_code"].str.slice(0, 6).unique())
    # the programme table's tambons: every tambon with a form, complete or not (a tambon's TAO,
    # its pilot lists and whether its money reaches the proposal do not wait on its population
    # or members; "0 of 3 reach it" stood over "2 of 2 have a TAO", a review)
    tambon_codes = sorted(received["village_code"].str.slice(0, 6).unique())
    n_compared = len(tambon_codes)
    compared = ("village_forms.tambons_with_a_form" if n_compared != n_tambons
                else "village_forms.tambons")  # its name in the ledger
    tao_compared = sum(has_tao(c, wr) for c in tambon_codes)
    money, villages = tot["vil_welfare_money"], tot["villages"]
    # each tambon's money over its forms whose money is usable: a total that already reaches
    # the proposal reaches it; one short of it with a form's money blank is not known (a blank
    # population or member count says nothing about the money, a review)
    money_of = received.groupby(received["village_code"].str.slice(0, 6).to_numpy())[
        "vil_welfare_money"]
    known_money = money_of.sum().astype(float)
    money_blank = money_of.count() < money_of.size()
    progs = load_programmes(programmes)
    reached = int((known_money >= pg["per_tambon_proposed"]).sum())
    # a tambon short of it whose villages were not all surveyed is not known to be short
    # either: its other villages may hold money ("ขาดอีก 35,690 บาท" budgets for a shortfall
    # the survey does not know of)
    partly = money_of.size().index.isin(sorted(_partly_surveyed(report, money_of.size())))
    short_of = (known_money < pg["per_tambon_proposed"]).to_numpy()
    unknown_blank = short_of & money_blank.to_numpy()
    unknown_partial = short_of & partly & ~money_blank.to_numpy()
    unknown = int(unknown_blank.sum() + unknown_partial.sum())

    def baht(name: str, value: Any, area: str = code) -> str | None:
        if value is None or pd.isna(value):
            return None
        return _public(pub, name, value, _money(value), area).text

    def plain(name: str, value: float, area: str = code, fmt: str = _COUNT) -> str:
        # a count inside a sentence (or, with fmt, another number)
        return _public(pub, name, int(value) if fmt == _COUNT else value, fmt, area).text

    def tambons() -> str:
        return plain("village_forms.tambons", n_tambons)

    def tambons_compared() -> str:  # with a form, complete or not: the table's "of n"
        return plain(compared, n_compared)

    village = level == "village"
    # a village's own money compares with the per-village figure only; the tambon-level figures
    # (money per tambon, the leaders' proposal, the TAO's and MSDHS's co-funding, the pilot
    # lists) are about the village's tambon, and say so, never as the village's own amounts
    per_village = baht("village_forms.money_per_village",
                       _half_up(money / villages) if villages else np.nan)
    if per_village and not village and len(no_fund):
        # the mean counts the villages with no fund too (a reader review read 5,309 a village
        # as what a village's fund holds)
        per_village += t("welfare.cmp.per_village_with_none",
                         n=plain("village_forms.villages_without_fund", len(no_fund)))
    comp = [
        (t("welfare.cmp.per_village"), baht("programme.per_village_today",
                                            pg["per_village_today"], ""), per_village),
    ]
    per_tambon = float(_half_up(money / n_tambons)) if n_tambons else np.nan
    if not village:
        comp += [
            (t("welfare.cmp.per_tambon", villages=plain("programme.villages_per_tambon",
                                                        pg["villages_per_tambon"], "")),
             baht("programme.per_village_today x programme.villages_per_tambon",
                  pg["per_village_today"] * pg["villages_per_tambon"], ""),
             _per_tambon_text(t, baht, plain, per_tambon, villages, n_tambons, pg, level,
                              villages_total)),
            (t("welfare.cmp.proposed"), baht("programme.per_tambon_proposed",
                                             pg["per_tambon_proposed"], ""),
             t("welfare.cmp.reached", k=plain(
                 "village_forms.tambons_reaching_per_tambon_proposed", reached),
               n=tambons_compared())
             # and those known to be short, where some are not known: "1 of 11 reach it (9
             # not known)" left the eleventh unsaid (a reader review)
             + (t("welfare.cmp.reached_not", s=plain(
                 "village_forms.tambons_known_short_of_per_tambon_proposed",
                 n_compared - reached - unknown))
                if unknown and n_compared - reached - unknown > 0 else "")
             + (t("welfare.cmp.reached_unknown", m=plain(
                 "village_forms.tambons_not_known_to_reach_per_tambon_proposed "
                 "(a form's money blank)", int(unknown_blank.sum())))
                if unknown_blank.any() else "")
             + (t("welfare.cmp.reached_unknown_partial", m=plain(
                 "village_forms.tambons_not_known_to_reach_per_tambon_proposed "
                 "(villages not all surveyed)", int(unknown_partial.sum())))
                if unknown_partial.any() else "")
             if n_compared > 1 else t("welfare.cmp.reached_one." + (
                 "yes" if reached else "unknown" if unknown_blank.any()
                 else "unknown_partial" if unknown else "no"))
             # one tambon short of it: by how much, what an อบต. budgets for (a reader review),
             # the proposal less the money per tambon the row above prints
             + (t("welfare.cmp.short", short=baht(
                 "programme.per_tambon_proposed - village_forms.money_per_tambon",
                 pg["per_tambon_proposed"] - per_tambon))
                if n_compared == 1 and not reached and not unknown
                and 0 <= per_tambon < pg["per_tambon_proposed"] else "")),
        ]
    nhso_cell = baht("programme.nhso_per_person x village_forms.vil_population",  # to the baht,
                     _half_up(pg["nhso_per_person"] * tot["vil_population"]))  # as the projection
    if village and nhso_cell is not None:
        nhso_cell = t("welfare.cmp.nhso_village", amount=nhso_cell)
    elif nhso_cell is not None and not every_form:
        # the population of the villages with a form only: an officer set the total against
        # the whole tambon's transfer (a reader review)
        nhso_cell = t("welfare.cmp.nhso_partial", amount=nhso_cell,
                      k=plain("village_forms.villages", villages))
    comp += [
        (t("welfare.cmp.tao"), baht("programme.tao_cofunding", pg["tao_cofunding"], ""),
         t("welfare.cmp.tao_tambons", k=plain("local_government.tambons_with_tao", tao_compared),
           n=tambons_compared()) if n_compared > 1  # one tambon: "มี อบต.", not "1 of 1"
         else t(("welfare.cmp.tao_village." if village else "welfare.cmp.tao_one.")
                + ("yes" if tao_compared else "no"))),
        (t("welfare.cmp.msdhs" + (".village" if village else ".one" if n_compared == 1
                                  else "")),
         baht("programme.msdhs_per_tambon", pg["msdhs_per_tambon"], ""),
         t("welfare.cmp.tambon_level") if village else
         baht(f"programme.msdhs_per_tambon x {compared}", pg["msdhs_per_tambon"] * n_compared)),
        (t("welfare.cmp.nhso"), baht("programme.nhso_per_person", pg["nhso_per_person"], ""),
         nhso_cell),
    ]
    pilot = [p for p in progs.programmes if any(c in p.tambons for c in tambon_codes)]
    for p in progs.programmes:
        k = sum(c in p.tambons for c in tambon_codes)
        # an empty list is one not yet copied from its source: "not listed" would tell the
        # reader the tambon is not in the programme
        shown = (t("welfare.no_list") if not p.tambons
                 else t("welfare.cmp.in_list", k=plain(f"programmes.{p.id}.tambons_in_area", k),
                        n=tambons_compared()) if level not in ("tambon", "village")
                 else t("welfare.village." + ("yes" if k else "no")) if village
                 else t("welfare.yes") if k else t("welfare.no"))
        comp.append((pub.record_numbers(p.label(lang), f"label programmes.{p.id}.name")
                     # an empty list is not "unverified": there is nothing to check yet
                     + ("" if p.verified or not p.tambons else t("programmes.unverified")),
                     None if p.expected_size is None else t(
                         "welfare.cmp.size_tambons",
                         n=plain(f"programmes.{p.id}.expected_size", p.expected_size, "")),
                     shown))
    # a village's own money is the per-village figure: no average over villages to explain
    notes = "welfare.notes.programme" + (".village" if village else "")
    cmp_table = pd.DataFrame({
        t("welfare.col.figure"): [c[0] for c in comp],
        t("welfare.col.programme"): [c[1] for c in comp],
        t("welfare.col.this_area"): [c[2] for c in comp],
    })
    out.table(cmp_table, t("welfare.caption.programme"),
              pub.record_numbers(t(notes), f"label {notes}"))
    found = flag_text(tuple(pilot), report.words, lang)
    if found and level in ("village", "tambon"):
        out.text(found)

    details: dict[str, Any] = {"totals": tot, "units": units, "reach": reach_est,
                               "tao_tambons": tao_tambons, "tambons": n_tambons,
                               "rules": wr, "programmes": tuple(p.id for p in pilot),
                               "without_fund": no_fund_count, "forms_used": len(forms),
                               "without_fund_names": no_fund_names,
                               "members_mismatch": mismatch}
    if level == "village":
        out.text(t("welfare.village_no_projection", caption=t("welfare.caption.funds"),
                   years=_public(pub, "projection.years", wr.years, _PLAIN).text,
                   local=local_government(report, wr)))
        return out.result(estimates=by_level, details=details, published=tuple(pub.entries))

    # 4. the projection
    ages = age_structure(report, wr)
    small = bool(share_mask(ages["persons"].to_numpy(), np.full(len(ages), ages["persons"].sum()),
                            thr).any())
    basis = "area"
    if small and level != "province" and report.alone_in("province"):
        # a store holding this area alone: "the province's age structure" would be the area's
        # own small cells under another name (a code review)
        out.text(t("welfare.alone_no_projection", threshold=thr))
        return out.result(estimates=by_level, details=details, published=tuple(pub.entries))
    if small and level != "province":
        basis = "province"
        prov = _ProvinceRoster(report)
        ages = age_structure(prov, wr)
    shares = [round(100 * s, 1) / 100 for s in ages["share"]]
    per_group, b = payout_per_member(shares, wr)
    # the age structure rests on the surveyed households' rosters (persons, weighted): into the
    # ledger as "other" (the attack models households, not persons), under the area it
    # describes; the rates, benefits and age bounds are params/welfare.yaml's
    roster = _code(report) if basis == "area" else report.area.code[:2]

    def rule(name: str, value: float, fmt: str = _WHOLE, area: str = "") -> Any:
        shown = _public(pub, f"projection.{name}", value, fmt, area)
        return np.nan if shown.value is None else shown.value

    def from_roster(name: str, value: float, fmt: str, area: str = roster) -> float:
        shown = _public(pub, name, value, fmt, area, kind="other")
        return np.nan if shown.value is None else shown.value

    def age_label(i: int, g: AgeGroup) -> str:
        rule(f"age_groups[{i}].from", g.lo, _PLAIN)
        if g.hi is not None:
            rule(f"age_groups[{i}].to - 1 (the group's last age)", g.hi - 1, _PLAIN)
        return g.label()

    age_rows = [{t("welfare.col.age"): age_label(i, g),
                 t("welfare.col.persons_pct"): from_roster(f"welfare.age_share[{g.label()}]",
                                                           100 * s, _ONE),
                 t("welfare.col.births"): rule(f"age_groups[{i}].births x 1000",
                                               1000 * g.births, _ONE),
                 t("welfare.col.illness"): rule(f"age_groups[{i}].illness x 1000",
                                                1000 * g.illness, _ONE),
                 t("welfare.col.deaths"): rule(f"age_groups[{i}].deaths x 1000",
                                               1000 * g.deaths, _ONE),
                 t("welfare.col.group_payout"): rule(
                     f"age_groups[{i}] payout per person (rates x benefits)", p, _SATANG)}
                for i, (g, s, p) in enumerate(zip(wr.age_groups, shares, per_group, strict=True))]
    age_rows.append({t("welfare.col.age"): t("welfare.payout_per_member"),
                     t("welfare.col.persons_pct"): from_roster("welfare.age_share[total]",
                                                               100 * sum(shares), _ONE),
                     t("welfare.col.births"): np.nan, t("welfare.col.illness"): np.nan,
                     t("welfare.col.deaths"): np.nan,
                     t("welfare.col.group_payout"): from_roster(
                         "welfare.payout_per_member b (printed age shares x payouts)", b,
                         _SATANG)})
    proj = projection(int(tot["vil_welfare_members"]), int(tot["vil_population"]),
                      float(tot["vil_welfare_money"]), b, tao_tambons, n_tambons, wr,
                      report.survey_round + 1)
    nhso = pg["nhso_per_person"] * tot["vil_population"]
    out.text(t("welfare.intro.projection",
               years=_public(pub, "projection.years", wr.years, _PLAIN).text))
    rule("contribution_per_day", wr.contribution_per_day, "g")  # the labels format these two
    rule("days_per_year", wr.days_per_year, _PLAIN)
    def tao_assumption() -> str:
        if level == "tambon":  # "this tambon has a TAO", not "k = 1 of 1 tambons"
            return (t("welfare.a.tao_one.yes", amount=_public(
                pub, "projection.tao_cofunding_per_year", wr.tao_cofunding_per_year).text)
                    if tao_tambons else t("welfare.a.tao_one.no"))
        return (t("welfare.a.tao", amount=_public(pub, "projection.tao_cofunding_per_year",
                                                  wr.tao_cofunding_per_year).text,
                  k=plain("local_government.tambons_with_tao", tao_tambons), n=tambons())
                # a tambon in a municipality co-funds through it, at no figure the programme has
                + (t("welfare.a.tao_municipal") if tao_tambons < n_tambons else ""))

    low_tao = _low_tao_differs(proj)  # the low case's co-funding a row of its own
    assumptions = pd.DataFrame({
        t("welfare.col.assumption"): [
            t("welfare.a.members_now"), t("welfare.a.population"), t("welfare.a.fund_now"),
            t("welfare.a.contribution", per_day=wr.contribution_per_day,
              days=wr.days_per_year),
            t("welfare.a.growth"),
            tao_assumption(),
            t("welfare.a.msdhs", n=tambons()),
            t("welfare.a.low_growth"), t("welfare.a.low_contribution",
                                         share=_public(pub, "projection.low_case.saving_share"
                                                       " x 100", 100 * wr.low_saving_share,
                                                       "g").text),
            *([t("welfare.a.low_tao", when=_low_tao_text(t, pub, wr))] if low_tao else []),
            t("welfare.a.benefit_birth"),
            t("welfare.a.benefit_illness"), t("welfare.a.benefit_death")],
        t("col.value"): [
            _public(pub, "village_forms.vil_welfare_members", int(tot["vil_welfare_members"]),
                    ",d", code).text,
            _public(pub, "village_forms.vil_population", int(tot["vil_population"]), ",d",
                    code).text,
            _public(pub, "village_forms.vil_welfare_money (to the baht)",
                    _half_up(tot["vil_welfare_money"]), ",d", code).text,
            _public(pub, "projection.contribution_per_day x days_per_year",
                    wr.contribution_per_year, _SATANG).text,
            _public(pub, "projection.membership_growth x 100", 100 * wr.membership_growth,
                    "g").text + "%",
            _public(pub, "projection.tao_cofunding_per_year x tambons with a TAO",
                    wr.tao_cofunding_per_year * tao_tambons, _WHOLE, code).text,
            _public(pub, "projection.msdhs_scenario x village_forms.tambons",
                    wr.msdhs_scenario * n_tambons, _WHOLE, code).text,
            _public(pub, "projection.low_case.membership_growth x 100", 100 * wr.low_growth,
                    "g").text + "%",
            _public(pub, "projection.low_case: contribution_per_day x days_per_year x "
                    "saving_share", wr.low_contribution_per_year, _SATANG).text,
            *([_public(pub, "projection.tao_cofunding_per_year x tambons with a TAO"
                       + (" (low case: none)" if wr.low_tao_years == 0 else ""),
                       0 if wr.low_tao_years == 0 else wr.tao_cofunding_per_year * tao_tambons,
                       _WHOLE, code).text]
              if low_tao else []),
            *(_public(pub, f"projection.benefits.{k}", wr.benefits[k]).text
              for k in ("birth", "illness", "death"))],
    })
    out.table(assumptions, t("welfare.caption.assumptions"),
              t("welfare.notes.assumptions") + ("" if wr.verified else " "
                                                 + t("welfare.unverified")))
    out.table(pd.DataFrame(age_rows), t("welfare.caption.ages"),
              t(f"welfare.notes.ages_{basis}"),
              number_format={t("welfare.col.persons_pct"): _ONE,
                             t("welfare.col.births"): _ONE, t("welfare.col.illness"): _ONE,
                             t("welfare.col.deaths"): _ONE,
                             t("welfare.col.group_payout"): _SATANG})
    # what the base case is (a plan, not a forecast; the TAO's money yearly, to be agreed)
    # right above the table: after it, on the next page, an officer copying the table into a
    # budget did not see it (a reader review)
    out.text(_low_case_text(t, pub, wr, proj, tot, code))
    if (proj["tao"] > 0).any():
        out.text(_tao_budget_text(t, pub, wr, proj, code, tao_tambons))
        # members and money of the villages with a form, the TAOs' money in full: an officer
        # could not budget from the two together (a reader review)
        if 0 < int(tot["villages"]) < villages_total:
            out.text(t("welfare.projection_partial",
                       k=_public(pub, "village_forms.villages", int(tot["villages"]), _COUNT,
                                 code).text,
                       n=_public(pub, "villages_total", villages_total, _COUNT, code).text))
    # the projection: members, savings, TAO money and the NHSO figure from the village forms
    # and params alone (public); payouts and the fund also rest on b (from the roster)
    year_rows = []
    for _, y in proj.iterrows():
        year_rows.append({
            t("welfare.col.year"): _public(pub, "projection year (round + t)", int(y["year"]),
                                           _PLAIN).text,
            t("welfare.col.members"): int(rule("members N_t", int(y["members"]), ",d", code)),
            t("welfare.col.contributions"): rule("savings C_t", y["contributions"], area=code),
            t("welfare.col.tao"): rule("TAO co-funding G_t", y["tao"], area=code),
            t("welfare.col.payouts"): from_roster("projection payouts B_t", y["payouts"],
                                                  _WHOLE, code),
            t("welfare.col.fund"): from_roster("projection fund F_t", y["fund"], _WHOLE, code),
            t("welfare.col.fund_msdhs"): from_roster("projection fund with MSDHS F'_t",
                                                     y["fund_msdhs"], _WHOLE, code),
            t("welfare.col.fund_low"): from_roster("projection fund, low case L_t",
                                                   y["fund_low"], _WHOLE, code),
        })
    table = pd.DataFrame(year_rows)
    if tao_tambons == 0:  # a municipal area: a column of zeros under "ไม่มี อบต." (a review)
        table = table.drop(columns=[t("welfare.col.tao")])
    out.table(table, t("welfare.caption.projection"),
              # a municipal area: no TAO co-funding in the low case either (a reader review)
              t("welfare.notes.projection" + (".no_tao" if tao_tambons == 0 else ""),
                nhso=_public(pub, "programme.nhso_per_person", pg["nhso_per_person"],
                             _SATANG).text,
                total=_public(pub, "nhso_per_person x village_forms.vil_population", nhso,
                              _WHOLE, code).text,
                # the villages with a form only, as the programme table says (a code review)
                where="" if every_form or village else t(
                    "welfare.notes.nhso_partial", k=plain("village_forms.villages", villages))),
              decimals=0)
    out.text(t("welfare.formula.text") + ("" if tao_tambons else " " + t("welfare.formula.no_tao")))
    details.update({"ages": ages, "age_basis": basis, "payout_per_member": b,
                    "projection": proj, "nhso_per_year": nhso})
    return out.result(estimates=proj, details=details, published=tuple(pub.entries))


@dataclass
class _ProvinceRoster:
    """The province's households seen through an area report (for the age structure)."""

    report: Any

    @property
    def households(self) -> pd.DataFrame:
        from abcresearch.store import read as store_read

        r = self.report
        hh = store_read.load(r.survey_round, area=r.area.code[:2], store=r.store,
                             columns=["submission_uuid", "weight"])
        return hh[hh["weight"].notna()]

    @property
    def survey_round(self) -> int:
        return int(self.report.survey_round)

    @property
    def store(self) -> Path | None:
        return self.report.store

    @property
    def area(self) -> Any:
        from abcresearch.survey.areas import get_area

        return get_area(self.report.area.code[:2])
