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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import StoreError
from abcresearch.params import Problems, load
from abcresearch.reports.disclosure import Publisher, share_mask
from abcresearch.reports.estimates import member_flag, welfare_share_cells
from abcresearch.reports.results import SectionResult
from abcresearch.reports.sections import SectionBuilder
from abcresearch.reports.sections.programmes import flag_text, load_programmes

__all__ = [
    "AgeGroup",
    "WelfareRules",
    "age_structure",
    "has_tao",
    "load_welfare_rules",
    "member_flag",
    "parse_welfare_rules",
    "payout_per_member",
    "projection",
    "report_store",
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
    pr.raise_if_any()
    return WelfareRules(
        programme=programme, years=int(years),
        contribution_per_day=_number(pr, "projection.contribution_per_day",
                                     pj.get("contribution_per_day")),
        days_per_year=int(days), membership_growth=growth,
        tao_cofunding_per_year=_number(pr, "projection.tao_cofunding_per_year",
                                       pj.get("tao_cofunding_per_year")),
        msdhs_scenario=_number(pr, "projection.msdhs_scenario", pj.get("msdhs_scenario")),
        benefits=benefits, age_groups=tuple(groups), municipality=frozenset(muni),
        default_local_government=str(default), verified=bool(raw.get("verified", False)),
        path=path)


def load_welfare_rules(path: str | Path | None = None) -> WelfareRules:
    """Load ``params/welfare.yaml`` (or another file), validated once per file version."""
    return load(path or "welfare", parse_welfare_rules)


def has_tao(tambon_code: str, rules: WelfareRules) -> bool:
    """Whether a tambon has a TAO (not listed as wholly in a municipality, under the default)."""
    if str(tambon_code) in rules.municipality:
        return False
    return rules.default_local_government == "tao"


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


def _money(value: Any) -> Any:
    """Text of a figure: whole amounts with thousands separators, others to the satang."""
    if isinstance(value, str) or value is None or pd.isna(value):
        return value if isinstance(value, str) else None
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def projection(members: int, population: int, fund: float, payout: float, tao_tambons: int,
               tambons: int, rules: WelfareRules, first_year: int) -> pd.DataFrame:
    """Project a welfare fund year by year.

    For year ``t = 1..years`` (``N_0`` members today, ``F_0`` the fund today)::

        N_t = min(round(N_(t-1) x (1 + g)), P)          members, whole people, at most P
        C_t = N_t x c x days                             members' contributions
        G_t = T x k                                      TAO co-funding (k tambons with a TAO)
        B_t = round(N_t x b)                             payouts (b per member per year)
        F_t = F_(t-1) + C_t + G_t - B_t                  the fund at the end of the year
        F'_t = F_t + S x m                               scenario: MSDHS S per tambon, once,
                                                         for the m tambons (from year 1 on)

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
        ``fund`` and ``fund_msdhs``.
    """
    n, f = int(members), float(_half_up(fund))
    msdhs = rules.msdhs_scenario * tambons
    rows = []
    for t in range(1, rules.years + 1):
        n = min(_half_up(n * (1 + rules.membership_growth)), int(population))
        c = n * rules.contribution_per_day * rules.days_per_year
        g = rules.tao_cofunding_per_year * tao_tambons
        b = float(_half_up(n * payout))
        f = f + c + g - b
        rows.append({"year": first_year + t - 1, "members": n, "contributions": c, "tao": g,
                     "payouts": b, "fund": f, "fund_msdhs": f + msdhs})
    return pd.DataFrame(rows)


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
    m = m.merge(hh, on="submission_uuid", how="inner")
    age = pd.to_numeric(m["m_age"], errors="coerce").to_numpy(float)
    w = m["weight"].to_numpy(float)
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
    table = by[cols].sum()
    table.insert(0, "villages", by.size())
    table["tambons"] = by["village_code"].agg(lambda s: s.str.slice(0, 6).nunique())
    totals = {c: float(f[c].sum()) for c in cols}
    totals["villages"] = float(len(f))
    totals["tambons"] = float(f["village_code"].str.slice(0, 6).nunique())
    return table, totals


def _unit_name(report: Any, code: str) -> str:
    from abcresearch.survey.areas import get_area

    if hasattr(report, "child_name"):
        return report.child_name(code)
    try:
        return get_area(code).label(report.lang)
    except Exception:
        return code


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
    """
    wr = rules if isinstance(rules, WelfareRules) else load_welfare_rules(rules)
    t, lang, thr = report.t, report.lang, report.threshold
    level = _level(report)
    out = SectionBuilder("welfare_fund", report.words, {"rules": wr.path,
                                                        "programmes": programmes})
    out.heading("section.welfare")
    forms = _forms(report)
    units, tot = _fund_table(report, forms)

    # 1. the funds today (village forms: no sampling error, no suppression)
    def pct(members: float, pop: float) -> float:
        return 100 * members / pop if pop > 0 else np.nan

    def per(money: float, members: float) -> float:
        return money / members if members > 0 else np.nan

    unit_col = {"province": t("col.amphoe"), "amphoe": t("col.tambon")}.get(level,
                                                                           t("col.village"))
    rows = [{unit_col: _unit_name(report, code), t("welfare.col.villages"): int(r["villages"]),
             t("welfare.col.population"): int(r["vil_population"]),
             t("welfare.col.members"): int(r["vil_welfare_members"]),
             t("welfare.col.members_pct"): pct(r["vil_welfare_members"], r["vil_population"]),
             t("welfare.col.money"): float(r["vil_welfare_money"]),
             t("welfare.col.per_member"): per(r["vil_welfare_money"], r["vil_welfare_members"])}
            for code, r in units.iterrows()]
    if len(units) > 1 or level != "village":
        rows.append({unit_col: t("welfare.total"), t("welfare.col.villages"): int(tot["villages"]),
                     t("welfare.col.population"): int(tot["vil_population"]),
                     t("welfare.col.members"): int(tot["vil_welfare_members"]),
                     t("welfare.col.members_pct"): pct(tot["vil_welfare_members"],
                                                       tot["vil_population"]),
                     t("welfare.col.money"): float(tot["vil_welfare_money"]),
                     t("welfare.col.per_member"): per(tot["vil_welfare_money"],
                                                      tot["vil_welfare_members"])})
    funds = pd.DataFrame(rows)
    if level in ("village", "tambon"):  # one row per village: the count says nothing
        funds = funds.drop(columns=t("welfare.col.villages"))
    out.text(t("welfare.intro.funds"))
    out.table(funds, t("welfare.caption.funds"), t("welfare.notes.funds"),
              number_format={t("welfare.col.members_pct"): ",.1f",
                             t("welfare.col.per_member"): ",.0f", t("welfare.col.money"): ",.0f"})

    # 2. who the funds reach (design-based)
    from abcresearch.analysis.round import area_design

    hh = report.households.copy(deep=False)
    hh["welfare_member"] = member_flag(hh).to_numpy()
    hh["level_group"] = hh["overall_level"].map({1.0: "1", 2.0: "2", 3.0: "3"}).fillna("0")
    design = area_design(hh, report.design_spec)
    lvl = report.design_spec.level
    by_level = design.ciprop("welfare_member", by="level_group", na_rm=True, level=lvl)
    overall = design.ciprop("welfare_member", na_rm=True, level=lvl).iloc[0]
    # the shares through the round's disclosure pattern (membership by overall level is on it),
    # beside the households of each level as the levels table counts them
    reach_pub = Publisher(report, "welfare_fund")
    code = _code(report)
    reach_rows, reach_est, reach_shown = [], {}, {}
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
        shown = reach_pub.share(code, *welfare_share_cells(None if key == "all" else key),
                                vals["estimate"], vals["ci_low"], vals["ci_high"])
        reach_shown[key] = shown
        reach_est[key] = {**vals, "n_members": n_mem, "n_base": n_base, "hidden": shown.hidden}
        households = reach_pub.n(code) if key == "all" else \
            reach_pub.count("overall_level", code, key)
        reach_rows.append({
            t("welfare.col.group"): label,
            t("col.households"): households.text,
            t("welfare.col.member_share"): shown.with_ci})
    l1 = reach_shown.get("1")
    if l1 is not None and not l1.hidden:
        out.text(t("welfare.reach", share=l1.with_ci))
    out.table(pd.DataFrame(reach_rows), t("welfare.caption.reach"), t("welfare.notes.reach"))

    # 3. against the programme's figures
    pg = wr.programme
    n_tambons = int(tot["tambons"])
    tambon_codes = sorted(forms["village_code"].str.slice(0, 6).unique())
    tao_tambons = sum(has_tao(c, wr) for c in tambon_codes)
    money, villages = tot["vil_welfare_money"], tot["villages"]
    per_tambon = (forms.assign(_t=forms["village_code"].str.slice(0, 6))
                  .groupby("_t")["vil_welfare_money"].sum().astype(float))
    progs = load_programmes(programmes)
    comp = [
        (t("welfare.cmp.per_village"), pg["per_village_today"],
         _half_up(money / villages) if villages else np.nan),
        (t("welfare.cmp.per_tambon", villages=int(pg["villages_per_tambon"])),
         pg["per_village_today"] * pg["villages_per_tambon"],
         _half_up(money / n_tambons) if n_tambons else np.nan),
        (t("welfare.cmp.proposed"), pg["per_tambon_proposed"],
         t("welfare.cmp.reached", k=int((per_tambon >= pg["per_tambon_proposed"]).sum()),
           n=n_tambons) if level != "village" else np.nan),
        (t("welfare.cmp.tao"), pg["tao_cofunding"],
         t("welfare.cmp.tao_tambons", k=tao_tambons, n=n_tambons)),
        (t("welfare.cmp.msdhs"), pg["msdhs_per_tambon"], pg["msdhs_per_tambon"] * n_tambons),
        (t("welfare.cmp.nhso"), pg["nhso_per_person"],
         pg["nhso_per_person"] * tot["vil_population"]),
    ]
    pilot = [p for p in progs.programmes if any(c in p.tambons for c in tambon_codes)]
    for p in progs.programmes:
        k = sum(c in p.tambons for c in tambon_codes)
        shown = t("welfare.cmp.in_list", k=k, n=n_tambons) if level != "tambon" and \
            level != "village" else (t("welfare.yes") if k else t("welfare.no"))
        comp.append((p.label(lang) + ("" if p.verified else t("programmes.unverified")),
                     p.expected_size if p.expected_size is not None else np.nan, shown))
    cmp_table = pd.DataFrame({
        t("welfare.col.figure"): [c[0] for c in comp],
        t("welfare.col.programme"): [_money(c[1]) for c in comp],
        t("welfare.col.this_area"): [_money(c[2]) for c in comp],
    })
    out.table(cmp_table, t("welfare.caption.programme"), t("welfare.notes.programme"))
    found = flag_text(tuple(pilot), report.words, lang)
    if found and level in ("village", "tambon"):
        out.text(found)

    details: dict[str, Any] = {"totals": tot, "units": units, "reach": reach_est,
                               "tao_tambons": tao_tambons, "tambons": n_tambons,
                               "rules": wr, "programmes": tuple(p.id for p in pilot)}
    if level == "village":
        out.text(t("welfare.village_no_projection"))
        return out.result(estimates=by_level, details=details,
                          published=tuple(reach_pub.entries))

    # 4. the projection
    ages = age_structure(report, wr)
    small = bool(share_mask(ages["persons"].to_numpy(), np.full(len(ages), ages["persons"].sum()),
                            thr).any())
    basis = "area"
    if small and level != "province":
        basis = "province"
        prov = _ProvinceRoster(report)
        ages = age_structure(prov, wr)
    shares = [round(100 * s, 1) / 100 for s in ages["share"]]
    per_group, b = payout_per_member(shares, wr)
    age_rows = [{t("welfare.col.age"): g.label(),
                 t("welfare.col.persons_pct"): 100 * s,
                 t("welfare.col.births"): 1000 * g.births,
                 t("welfare.col.illness"): 1000 * g.illness,
                 t("welfare.col.deaths"): 1000 * g.deaths,
                 t("welfare.col.group_payout"): p}
                for g, s, p in zip(wr.age_groups, shares, per_group, strict=True)]
    age_rows.append({t("welfare.col.age"): t("welfare.payout_per_member"),
                     t("welfare.col.persons_pct"): 100 * sum(shares),
                     t("welfare.col.births"): np.nan, t("welfare.col.illness"): np.nan,
                     t("welfare.col.deaths"): np.nan, t("welfare.col.group_payout"): b})
    proj = projection(int(tot["vil_welfare_members"]), int(tot["vil_population"]),
                      float(tot["vil_welfare_money"]), b, tao_tambons, n_tambons, wr,
                      report.survey_round + 1)
    nhso = pg["nhso_per_person"] * tot["vil_population"]
    out.text(t("welfare.intro.projection", years=wr.years))
    assumptions = pd.DataFrame({
        t("welfare.col.assumption"): [
            t("welfare.a.members_now"), t("welfare.a.population"), t("welfare.a.fund_now"),
            t("welfare.a.contribution", per_day=wr.contribution_per_day,
              days=wr.days_per_year),
            t("welfare.a.growth"),
            t("welfare.a.tao", amount=f"{wr.tao_cofunding_per_year:,.0f}", k=tao_tambons,
              n=n_tambons),
            t("welfare.a.msdhs", n=n_tambons), t("welfare.a.benefit_birth"),
            t("welfare.a.benefit_illness"), t("welfare.a.benefit_death")],
        t("col.value"): [
            f"{int(tot['vil_welfare_members']):,}", f"{int(tot['vil_population']):,}",
            f"{_half_up(tot['vil_welfare_money']):,}",
            f"{wr.contribution_per_year:,.2f}", f"{100 * wr.membership_growth:g}%",
            f"{wr.tao_cofunding_per_year * tao_tambons:,.0f}",
            f"{wr.msdhs_scenario * n_tambons:,.0f}", f"{wr.benefits['birth']:,.0f}",
            f"{wr.benefits['illness']:,.0f}", f"{wr.benefits['death']:,.0f}"],
    })
    out.table(assumptions, t("welfare.caption.assumptions"),
              t("welfare.notes.assumptions") + ("" if wr.verified else " "
                                                 + t("welfare.unverified")))
    out.table(pd.DataFrame(age_rows), t("welfare.caption.ages"),
              t(f"welfare.notes.ages_{basis}"),
              number_format={t("welfare.col.persons_pct"): ",.1f",
                             t("welfare.col.births"): ",.1f", t("welfare.col.illness"): ",.1f",
                             t("welfare.col.deaths"): ",.1f",
                             t("welfare.col.group_payout"): ",.2f"})
    shown = pd.DataFrame({
        t("welfare.col.year"): proj["year"].astype(str),
        t("welfare.col.members"): proj["members"],
        t("welfare.col.contributions"): proj["contributions"],
        t("welfare.col.tao"): proj["tao"],
        t("welfare.col.payouts"): proj["payouts"],
        t("welfare.col.fund"): proj["fund"],
        t("welfare.col.fund_msdhs"): proj["fund_msdhs"],
        t("welfare.col.nhso"): np.full(len(proj), nhso),
    })
    out.table(shown, t("welfare.caption.projection"),
              t("welfare.notes.projection", nhso=f"{pg['nhso_per_person']:,.2f}"),
              decimals=0)
    out.text(t("welfare.formula.text"))
    details.update({"ages": ages, "age_basis": basis, "payout_per_member": b,
                    "projection": proj, "nhso_per_year": nhso})
    return out.result(estimates=proj, details=details, published=tuple(reach_pub.entries))


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
