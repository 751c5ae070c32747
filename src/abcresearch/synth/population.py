"""The synthetic population: latent capitals, households, members and villages.

Model
-----
* **Latent capitals.** For capital ``c`` the latent of a household is
  ``T_g + T_c + V_g + V_c + H_g + H_c + drift + round noise`` (tambon, village, household; general
  and capital-specific parts; standard deviations in :data:`SD`), scaled to unit variance. Items
  are drawn from their capital's latent through the monotone links of
  :mod:`abcresearch.synth.draws`.
* **Panel.** Identity (names, national IDs, ages, roster, base latent) comes from streams keyed by
  ``(seed, village)``; everything round-specific from ``(seed, village, round)``. A round keeps
  about 92 % of each village's base households (so two rounds share about 85 %), ages them, and
  drifts latents by a village-specific trend (a small improvement on average).

:func:`generate` returns the answers as arrays (codes, numbers, bool matrices; NaN or -1 for a
blank); :mod:`abcresearch.synth.kobo` formats them as exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from abcresearch.survey import instrument
from abcresearch.synth import names
from abcresearch.synth.draws import (
    BASE_ROUND,
    MAX_MEMBERS,
    Columns,
    Draws,
    binary,
    count,
    draw,
    multi,
    ordinal,
    pick,
    probit,
)
from abcresearch.synth.frame import BASIN, COASTAL, MOUNTAIN, OCCUPATIONS

__all__ = ["AGRI", "CAPITALS", "INCOME_MULT", "LATENT_SD", "SD", "Population", "effects",
           "generate", "given_names", "household_identity", "household_items", "pid_check",
           "roster", "surnames", "village_answers"]

CAPITALS = ("human", "physical", "financial", "social", "cultural", "wisdom", "natural")

#: Occupations that farm (rubber, rice, orchard, livestock), in the order of OCCUPATIONS.
AGRI = np.array([o in ("rubber", "rice", "orchard", "livestock") for o in OCCUPATIONS])
#: Income multiplier of the head's occupation.
INCOME_MULT = np.array([1.15, 0.85, 1.1, 1.0, 0.9, 0.8, 1.35, 1.6, 0.5])

#: Variance components of the latent capitals (sd).
SD = {"T_g": 0.35, "T_c": 0.20, "V_g": 0.40, "V_c": 0.25, "H_g": 0.70, "H_c": 0.55, "R": 0.25}
LATENT_SD = float(np.sqrt(sum(v * v for v in SD.values())))

#: Money a community welfare fund holds per member per year of its life (baht): a village's fund
#: then averages about the programme's 4,000 baht (see :func:`village_answers`).
WELFARE_BAHT_PER_MEMBER_YEAR = 12
#: Item non-response of the money questions (other items: 0.3 %), times a village multiplier.
MONEY_MISSING = {"fin_income_year": 0.025, "fin_expense_year": 0.03, "fin_savings": 0.04,
                 "fin_debt": 0.035}


# ---------------------------------------------------------------------------------- latents
def effects(frame: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Tambon effects: (tambon table, T (n_v, 8) broadcast to villages, tambon index)."""
    tcodes = sorted(set(frame["tambon_code"]))
    tz = np.vstack([np.random.default_rng([seed, int(t), 0]).standard_normal(8) for t in tcodes])
    tz[:, 0] *= SD["T_g"]
    tz[:, 1:] *= SD["T_c"]
    tpos = {t: k for k, t in enumerate(tcodes)}
    tix = frame["tambon_code"].map(tpos).to_numpy()
    ttab = pd.DataFrame({"tambon_code": tcodes, "effect": tz[:, 0]})
    for k, c in enumerate(CAPITALS):
        ttab[f"effect_{c}"] = tz[:, k + 1]
    return ttab, tz[tix], tix


def village_effects(vbase: np.ndarray) -> np.ndarray:
    """Village effects (n_v, 8): general, then one per capital."""
    return np.column_stack([probit(vbase[:, 0]) * SD["V_g"]]
                           + [probit(vbase[:, 1 + k]) * SD["V_c"] for k in range(7)])


def village_drift(vbase: np.ndarray, years: float) -> np.ndarray:
    """Per-village trend of the latents after ``years`` since the base round (latent sd)."""
    return (0.03 + 0.03 * probit(vbase[:, 8])) * years


# ---------------------------------------------------------------------------------- households
def household_identity(frame: pd.DataFrame, d: Draws, survey_round: int
                       ) -> dict[str, np.ndarray]:
    """Household identity: head, size, religion, occupation, names (no latent)."""
    u = d.uid
    f = frame
    vix = d.vidx
    out: dict[str, np.ndarray] = {}
    # age at base round (kept households) or this round (replacements)
    age0 = np.clip(np.round(50 + 13.5 * probit(u[:, 9])), 20, 92)
    age = np.where(d.replaced, age0, age0 + (survey_round - BASE_ROUND))
    out["head_age"] = np.clip(age, 18, 105).astype(np.int64)
    out["birth_year"] = (survey_round - 543) - out["head_age"]
    out["head_male"] = u[:, 8] < 0.78
    size_p = np.array([0.12, 0.22, 0.25, 0.20, 0.11, 0.05, 0.025, 0.013, 0.008, 0.004])
    size = pick(u[:, 10], size_p) + 1
    out["hh_size"] = size.astype(np.int64)
    muslim = u[:, 11] < f["muslim_share"].to_numpy()[vix]
    rel = np.where(muslim, 1, np.where(u[:, 11] > 0.995, 2, 0))
    rel = np.where((rel == 0) & (u[:, 11] > 0.998), 3, rel)
    out["religion"] = rel.astype(np.int16)
    occp = f[[f"occ_p{k}" for k in range(len(OCCUPATIONS))]].to_numpy()[vix]
    occ = pick(u[:, 12], occp)
    old_none = (out["head_age"] >= 68) & (u[:, 19] < 0.45)
    occ = np.where(old_none, OCCUPATIONS.index("none"), occ)
    out["occupation"] = occ.astype(np.int16)
    out["coastal"] = f["amphoe_code"].isin(COASTAL).to_numpy()[vix]
    out["mountain"] = f["amphoe_code"].isin(MOUNTAIN).to_numpy()[vix]
    out["basin"] = f["amphoe_code"].isin(BASIN).to_numpy()[vix]
    out["muslim"] = muslim
    out["phone_present"] = u[:, 15] < 0.62
    pref = np.array([6, 8, 9])[(u[:, 16] * 3).astype(int).clip(0, 2)]
    out["phone"] = pref * 10**8 + (u[:, 17].astype(np.float64) * 1e8).astype(np.int64)
    return out


def given_names(u: np.ndarray, male: np.ndarray, muslim: np.ndarray) -> np.ndarray:
    """Given names drawn from the name lists by sex and religion."""
    lists = [np.array(names.FEMALE_GIVEN, dtype=object), np.array(names.MALE_GIVEN, dtype=object),
             np.array(names.MUSLIM_FEMALE_GIVEN, dtype=object),
             np.array(names.MUSLIM_MALE_GIVEN, dtype=object)]
    out = np.empty(len(u), dtype=object)
    for k, arr in enumerate(lists):
        m = (male == bool(k % 2)) & (muslim == (k >= 2))
        out[m] = arr[(u[m] * len(arr)).astype(int).clip(0, len(arr) - 1)]
    return out


def surnames(u: np.ndarray, muslim: np.ndarray) -> np.ndarray:
    """Surnames drawn from the surname lists by religion."""
    a = np.array(names.SURNAMES, dtype=object)
    b = np.array(names.MUSLIM_SURNAMES, dtype=object)
    return np.where(muslim, b[(u * len(b)).astype(int).clip(0, len(b) - 1)],
                    a[(u * len(a)).astype(int).clip(0, len(a) - 1)])


def pid_check(first12: np.ndarray) -> np.ndarray:
    """Check digit of Thai national IDs from the first 12 digits (int64 array)."""
    s = np.zeros(first12.shape, dtype=np.int64)
    rest = first12.copy()
    for i in range(12):  # digit 12 (last) has weight 2, digit 1 weight 13
        d = rest % 10
        rest //= 10
        s += d * (2 + i)
    return (11 - s % 11) % 10


def roster(frame: pd.DataFrame, d: Draws, hh: dict[str, np.ndarray], lat_h: np.ndarray,
           survey_round: int, identities: bool = True) -> dict[str, np.ndarray]:
    """Roster (flat, one row per member) and per-household aggregates written into ``hh``.

    With ``identities=False`` only the household aggregates are made (no names, national IDs
    or member rows; an empty roster is returned): what scoring needs, faster.
    """
    n = len(d.vidx)
    mu = d.mu
    m = MAX_MEMBERS
    j = np.arange(m)[None, :]
    valid = j < hh["hh_size"][:, None]
    head_age = hh["head_age"][:, None].astype(np.float64)
    head_male = hh["head_male"][:, None]
    # relation: 0 head 1 spouse 2 child 3 parent 4 grandchild 5 other
    ur = mu[:, :, 0]
    p_young = np.array([0.85, 0.08, 0.0, 0.07])   # child, parent, grandchild, other
    p_mid = np.array([0.70, 0.03, 0.20, 0.07])
    p_old = np.array([0.45, 0.0, 0.45, 0.10])
    grp = np.select([hh["head_age"] < 45, hh["head_age"] < 60], [0, 1], 2)
    other = np.zeros((n, m), dtype=np.int64)
    for g, pg in enumerate((p_young, p_mid, p_old)):
        sel = grp == g
        other[sel] = pick(ur[sel], pg)
    rel = np.array([2, 3, 4, 5])[other]
    spouse = (j == 1) & (ur < 0.82) & (head_age >= 20)
    rel = np.where(spouse, 1, rel)
    rel[:, 0] = 0
    # sex
    male = mu[:, :, 1] < 0.5
    male = np.where(rel == 1, ~head_male, male)
    male[:, 0] = hh["head_male"]
    # age at this round
    ua = mu[:, :, 2].astype(np.float64)
    za = probit(mu[:, :, 2])
    age = np.select(
        [rel == 1, rel == 2, rel == 3, rel == 4],
        [head_age + np.where(head_male, -3.0, 3.0) + 4 * za,
         head_age - 20 - ua * np.minimum(24, np.maximum(head_age - 20, 0)),
         head_age + 20 + ua * 12,
         ua * 18],
        ua * 70 + 5)
    age = np.where(rel == 1, np.maximum(age, 18), age)
    age = np.clip(np.round(age), 0, 104)
    age[:, 0] = hh["head_age"]
    # household human latent (base) for education and health
    lh = lat_h[:, None]
    # education: 0 none 1 primary 2 lower_sec 3 upper_sec 4 vocational 5 bachelor 6 in_school
    ue = mu[:, :, 3]
    x = 0.6 * lh + 0.8 * probit(ue) - 0.025 * (age - 45)
    cuts = ndtri(np.cumsum([0.08, 0.55, 0.13, 0.11, 0.06]))
    edu = np.searchsorted(cuts, x.reshape(-1)).reshape(n, m)
    in_school = (age >= 6) & ((age <= 17) | ((age <= 22) & (ue < 0.55 * ndtr(0.5 * lh))))
    dropped = (age >= 15) & (age <= 17) & (ue > 0.93)
    edu = np.where(in_school & ~dropped, 6, edu)
    edu = np.where(dropped, np.minimum(edu, 2), edu)
    edu = np.where(age < 6, 0, edu)
    # occupation
    uo = mu[:, :, 4]
    hocc = hh["occupation"][:, None]
    alt = np.array([5, 6, 5, 7, 5, 6, 5, 4])[(uo * 8).astype(int).clip(0, 7)]
    occ = np.where(uo < 0.55, hocc, alt)
    occ = np.where((edu == 5) & (uo > 0.5), 7, occ)
    none = OCCUPATIONS.index("none")
    occ = np.where((age < 15) | (edu == 6) | ((age >= 65) & (uo < 0.6)), none, occ)
    occ[:, 0] = hh["occupation"]
    # health: 0 healthy 1 chronic 2 disabled 3 bedridden
    uh = mu[:, :, 5].astype(np.float64)
    p_chr = np.select([age < 40, age < 60, age < 70], [0.03, 0.12, 0.28], 0.38)
    p_dis = np.where(age >= 70, 0.045, 0.015)
    p_bed = np.where(age >= 70, 0.05, 0.002)
    scale = np.exp(-0.4 * lh)
    p_chr, p_dis, p_bed = p_chr * scale, p_dis * scale, p_bed * scale
    health = np.select([uh < p_bed, uh < p_bed + p_dis, uh < p_bed + p_dis + p_chr], [3, 2, 1], 0)
    # aggregates
    hh["head_edu"] = edu[:, 0]
    hh["working_age"] = (valid & (age >= 15) & (age <= 59)).sum(axis=1)
    hh["chronic_ill"] = (valid & ((health == 1) | (health == 3))).sum(axis=1)
    hh["disabled"] = (valid & (health == 2)).sum(axis=1)
    hh["illiterate_wa"] = (valid & (age >= 15) & (age <= 59) & (edu == 0)).any(axis=1)
    hh["n_old"] = (valid & (age >= 60)).sum(axis=1)
    if not identities:
        return {}
    # names (only for real members)
    flat = valid.reshape(-1)
    hrow = np.repeat(np.arange(n), m)[flat]
    muslim = hh["muslim"][hrow]
    given = given_names(mu[:, :, 6].reshape(-1)[flat], male.reshape(-1)[flat], muslim)
    own = surnames(mu[:, :, 8].reshape(-1)[flat], muslim)
    sur = surnames(d.uid[:, 14], hh["muslim"])[hrow]
    u7 = mu[:, :, 7]
    keep_s = np.select([rel == 1, rel == 3, rel == 4, rel == 5],
                       [u7 < 0.85, u7 < 0.5, u7 < 0.6, u7 < 0.3], True)
    keep_s[:, 0] = True
    full = given + " " + np.where(keep_s.reshape(-1)[flat], sur, own)
    is_head = rel.reshape(-1)[flat] == 0
    # national IDs: first digit 1 (born 1984+) or 3; households new in a round 4-8, one digit
    # per round (in a five-round cycle), so that two rounds never give the same ID to different
    # households in the same slot
    birth = (survey_round - 543) - age
    first = np.where(birth >= 1984, 1, 3)
    rep_digit = 4 + (survey_round - BASE_ROUND) % 5
    first = np.where(d.replaced[:, None], rep_digit, first)
    amph2 = frame["amphoe_code"].str.slice(2, 4).astype(int).to_numpy()[d.vidx]
    prov = int(frame["amphoe_code"].iloc[0][:2])
    vseq = frame["village_seq"].to_numpy()[d.vidx]
    serial = (vseq[:, None] * 10_000 + d.slot[:, None].astype(np.int64) * 10 + j)
    body = first.astype(np.int64) * 10**11 + prov * 10**9 + amph2[:, None] * 10**7 + serial
    pid = body * 10 + pid_check(body)
    pid_missing = ((age < 7) & (mu[:, :, 9] < 0.3)) | ((age >= 7) & (mu[:, :, 9] < 0.004))
    pid_missing[:, 0] = False
    hh["head_pid"] = pid[:, 0]
    hh["head_name"] = full[is_head]
    return {
        "hh_row": hrow,
        "m_name": full,
        "m_pid": pid.reshape(-1)[flat],
        "m_pid_missing": pid_missing.reshape(-1)[flat],
        "m_relation": rel.reshape(-1)[flat].astype(np.int16),
        "m_sex": np.where(male.reshape(-1)[flat], 0, 1).astype(np.int16),
        "m_age": age.reshape(-1)[flat].astype(np.int64),
        "m_edu": edu.reshape(-1)[flat].astype(np.int16),
        "m_occupation": occ.reshape(-1)[flat].astype(np.int16),
        "m_health": health.reshape(-1)[flat].astype(np.int16),
    }


def household_items(d: Draws, hh: dict[str, np.ndarray], lat: np.ndarray, survey_round: int,
                    welfare_share: np.ndarray, nxt: Columns) -> dict[str, Any]:
    """Answers of the household form's capital items (codes, numbers, bool matrices).

    NaN or -1 is a blank. ``nxt`` hands out the round uniforms in the model's fixed order.
    """
    years = survey_round - BASE_ROUND
    L = {c: lat[:, k] for k, c in enumerate(CAPITALS)}
    occ = hh["occupation"]
    agri = AGRI[occ]
    fishing = occ == OCCUPATIONS.index("fishing")
    a: dict[str, Any] = {}
    # human
    a["hum_health_check"] = binary(L["human"], nxt(), 0.6, 0.5)
    a["hum_literacy"] = binary(L["human"], nxt(), 0.93, 0.4) & ~hh["illiterate_wa"]
    a["hum_skills"] = multi(L["human"], nxt, [
        np.where(agri, 0.75, 0.2), np.where(fishing, 0.85, np.where(hh["coastal"], 0.12, 0.02)),
        0.10, np.where(occ == 6, 0.8, 0.15), 0.12, 0.2, min(0.02 + 0.02 * max(years, 0), 0.4)],
        0.4)
    a["hum_training"] = count(L["human"], nxt(), nxt(), 1.0, 0.5, 0.6, 50)
    # physical
    land = np.where(agri, np.exp(np.log(12) + 0.35 * L["physical"] + 0.6 * probit(nxt())),
                    np.where(nxt() < 0.3, np.exp(np.log(3) + 0.5 * probit(nxt())), 0.0))
    land = np.clip(np.round(land * 4) / 4, 0, 500)
    a["phy_land_rai"] = land
    ten = ordinal(L["physical"], nxt(), [0.10, 0.15, 0.20, 0.55], 0.5)  # rented..title_deed
    tenure = np.array([3, 2, 1, 0])[ten]            # -> choice index in tenure list
    a["phy_land_tenure"] = np.where(land > 0, tenure, 4)
    a["phy_house"] = np.array([3, 2, 1, 0])[ordinal(L["physical"], nxt(),
                                                    [0.03, 0.12, 0.45, 0.40], 0.6)]
    a["phy_assets"] = multi(L["physical"], nxt, [
        0.85, 0.3, np.where(occ == 1, 0.4, 0.06), np.where(fishing, 0.7, 0.02),
        np.where((occ == 1) | (occ == 2), 0.4, 0.1), np.where(occ == 0, 0.85, 0.05),
        np.where(occ == 6, 0.6, 0.05)], 0.45)
    a["phy_occupation"] = occ
    a["phy_electricity"] = binary(L["physical"], nxt(), 0.985, 0.3)
    a["phy_internet"] = binary(L["physical"], nxt(), min(0.08 + 0.06 * max(years, 0), 0.9), 0.5)
    a["phy_road"] = np.array([2, 1, 0])[ordinal(L["physical"], nxt(), [0.15, 0.35, 0.5], 0.5)]
    # financial
    infl = 1.04 ** years
    inc = 110_000 * infl * INCOME_MULT[occ] * np.exp(0.45 * L["financial"] + 0.5 * probit(nxt()))
    a["fin_income_year"] = np.clip(np.round(inc, -2), 6_000, 9_000_000)
    src = multi(L["financial"], nxt, [
        np.where(agri | fishing, 0.95, 0.15), np.where(occ == 5, 0.95, 0.35),
        np.where(occ == 6, 0.9, 0.1), np.where(occ == 7, 0.95, 0.06), 0.3,
        np.where(hh["n_old"] > 0, 0.8, 0.1)], 0.3)
    empty = ~src.any(axis=1)
    src[empty, 0] = True
    a["fin_income_sources"] = src
    a["fin_expense_year"] = np.clip(np.round(a["fin_income_year"]
                                             * np.exp(-0.15 + 0.25 * probit(nxt())), -2),
                                    0, 9_900_000)
    sav = 20_000 * infl * np.exp(0.8 * L["financial"] + 0.9 * probit(nxt()))
    sav = np.where(binary(L["financial"], nxt(), 0.85, 0.5), sav, 0.0)
    a["fin_savings"] = np.clip(np.round(sav, -2), 0, 19_000_000)
    has_debt = binary(-L["financial"], nxt(), 0.62, 0.25)
    a["fin_has_debt"] = has_debt
    debt = 80_000 * infl * np.exp(0.3 * L["physical"] + 0.8 * probit(nxt()))
    a["fin_debt"] = np.where(has_debt, np.clip(np.round(debt, -3), 1_000, 19_000_000), np.nan)
    # debt source: bank, baac, village_fund, coop, informal (informal for low latent)
    ds = pick(nxt(), np.array([0.10, 0.36, 0.25, 0.15, 0.14]))
    informal = binary(-L["financial"], nxt(), 0.12, 0.5)
    ds = np.where(informal, 4, np.where(ds == 4, 1, ds))
    a["fin_debt_source"] = np.where(has_debt, ds, -1)
    fund = multi(L["financial"], nxt, [0.55, 0.35, welfare_share[d.vidx], 0.15, 0.2], 0.4)
    a["fin_fund_member"] = fund
    a["fin_accounts"] = binary(L["financial"], nxt(), 0.25, 0.5)
    # social
    a["soc_groups"] = count(L["social"], nxt(), nxt(), 1.8, 0.5, 0.4, 20)
    a["soc_forum"] = ordinal(L["social"], nxt(), [0.15, 0.45, 0.25, 0.15], 0.65)
    a["soc_mutual_help"] = ordinal(L["social"], nxt(), [0.10, 0.40, 0.30, 0.20], 0.55)
    a["soc_volunteer"] = binary(L["social"], nxt(), 0.2, 0.55)
    a["soc_leader"] = binary(L["social"] + 0.15 * (a["soc_groups"] - 1.8), nxt(), 0.12, 0.6)
    a["soc_trust"] = ordinal(L["social"], nxt(), [0.03, 0.10, 0.35, 0.35, 0.17], 0.5)
    a["soc_help_received"] = binary(L["social"], nxt(), 0.45, 0.4)
    # cultural
    rel = hh["religion"]
    bud = rel == 0
    a["cul_religion"] = rel
    a["cul_religious_events"] = count(L["cultural"], nxt(), nxt(),
                                      np.where(rel == 1, 40.0, 12.0), 0.4, 0.5, 365)
    a["cul_traditions"] = multi(L["cultural"], nxt, [
        np.where(bud, 0.85, 0.05), np.where(bud, 0.4, 0.01), np.where(bud, 0.4, 0.03),
        np.where(bud, 0.6, 0.2), np.where(bud, 0.55, 0.15), np.where(rel == 1, 0.8, 0.0)], 0.45)
    a["cul_community_events"] = count(L["cultural"], nxt(), nxt(), 6.0, 0.5, 0.5, 100)
    a["cul_performing_arts"] = binary(L["cultural"], nxt(), np.where(bud, 0.06, 0.01), 0.5)
    a["cul_transmit"] = binary(L["cultural"], nxt(), 0.55, 0.55)
    # wisdom
    a["wis_knowledge"] = multi(L["wisdom"], nxt, [
        0.25, 0.06, 0.03, 0.03, np.where(hh["coastal"], 0.005, 0.01),
        np.where(fishing, 0.5, np.where(hh["coastal"], 0.1, 0.02)), 0.12, 0.2], 0.5)
    a["wis_practised"] = ordinal(L["wisdom"], nxt(), [0.25, 0.40, 0.25, 0.10], 0.6)
    a["wis_taught"] = count(L["wisdom"], nxt(), nxt(), 1.2, 0.7, 0.8, 500)
    a["wis_income"] = binary(L["wisdom"], nxt(), 0.08, 0.55)
    a["wis_recorded"] = binary(L["wisdom"], nxt(), 0.07, 0.5)
    a["wis_herbal_use"] = ordinal(L["wisdom"], nxt(), [0.2, 0.45, 0.25, 0.1], 0.5)
    a["wis_sufficiency"] = ordinal(L["wisdom"], nxt(), [0.35, 0.5, 0.15], 0.55)
    # natural
    a["nat_water"] = np.array([2, 1, 0])[ordinal(L["natural"], nxt(), [0.1, 0.4, 0.5], 0.5)]
    a["nat_forest"] = binary(L["natural"], nxt(), np.where(hh["mountain"], 0.45, 0.15), 0.5)
    a["nat_fishery"] = binary(L["natural"], nxt(), np.where(hh["coastal"], 0.6, 0.2), 0.4)
    a["nat_conservation"] = binary(L["natural"], nxt(), 0.2, 0.55)
    a["nat_chemicals"] = np.array([2, 1, 0])[ordinal(L["natural"], nxt(),
                                                     [0.45, 0.4, 0.15], 0.5)]
    a["nat_disasters"] = multi(-L["natural"], nxt, [
        np.where(hh["basin"] | hh["coastal"], 0.45, 0.2), 0.15, np.where(hh["coastal"], 0.25, 0.1),
        np.where(hh["mountain"], 0.05, 0.005)], 0.2)
    a["nat_waste"] = np.array([3, 2, 1, 0])[ordinal(L["natural"], nxt(),
                                                    [0.08, 0.55, 0.2, 0.17], 0.5)]
    a["nat_trees"] = count(L["natural"], nxt(), nxt(), 5.0, 0.6, 1.0, 5000)
    return a


def item_missing(d: Draws, hh: dict[str, np.ndarray], items: dict[str, Any],
                 miss_mult: np.ndarray, nxt: Columns) -> dict[str, np.ndarray]:
    """Blank answers: item non-response of capital items, absent phones, skip logic of debt."""
    cb = instrument.codebook("households")
    miss: dict[str, np.ndarray] = {}
    mm = miss_mult[d.vidx]
    for name in cb.loc[cb["capital"].notna(), "name"]:
        u = nxt()
        rate = MONEY_MISSING.get(name, 0.003)
        miss[name] = u < rate * mm
    miss["phone"] = ~hh["phone_present"]
    has_debt_ans = ~miss["fin_has_debt"] & items["fin_has_debt"]
    miss["fin_debt"] = miss["fin_debt"] | ~has_debt_ans
    miss["fin_debt_source"] = miss["fin_debt_source"] | ~has_debt_ans
    return miss


# ---------------------------------------------------------------------------------- villages
def village_answers(frame: pd.DataFrame, d: Draws, lv: np.ndarray, welfare_years: np.ndarray,
                    welfare_share: np.ndarray, survey_round: int
                    ) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Answers of the village form.

    Returns
    -------
    values : dict
        Question name -> answers (``start``/``end``/``survey_date`` filled in by the formatter).
    missing : dict
        Question name -> blank mask.
    times : dict
        ``start``, ``end``, ``submitted`` (seconds since 1970, local wall time) and ``day``.
    """
    years = survey_round - BASE_ROUND
    ce = survey_round - 543
    vb, vr = d.vbase, d.vround
    vh = d.n_total.astype(np.int64)
    nvr = Columns(vr, start=2)
    day = field_days(vr, ce)
    v_start = day * 86400 + 8 * 3600 + np.floor(nvr() * 3 * 3600).astype(np.int64)
    v_end = v_start + (30 * 60 + np.floor(nvr() * 60 * 60)).astype(np.int64)
    v_sub = v_end - 7 * 3600 + np.floor(nvr() * 5 * 86400).astype(np.int64)
    pop = np.round(3.2 * vh * np.exp(0.08 * probit(nvr()))).astype(np.int64)
    gtypes = np.column_stack([binary(lv, nvr(), p, 0.5)
                              for p in (0.9, 0.7, 0.75, 0.4, 0.55, 0.6, 0.0, 0.25)])
    gtypes[:, 6] = welfare_years > 0
    ngroups = np.maximum(count(lv, nvr(), nvr(), 6.0, 0.3, 0.3, 100), gtypes.sum(axis=1))
    sav_members = np.round(vh * np.clip(0.35 + 0.1 * lv + 0.1 * probit(nvr()), 0.05, 0.9) * 1.3
                           ).astype(np.int64)
    sav_members = np.where(gtypes[:, 0], sav_members, 0)
    sav_money = np.round(sav_members * 2_500 * np.exp(0.3 * probit(nvr())) * (1 + 0.1 * years),
                         -2)
    wel_members = np.round(welfare_share * vh).astype(np.int64)
    # a fund's money today: calibrated to the programme's own figure (programme.md, 2550: about
    # 4,000 baht a village), not to the "one baht a day" of the later national movement, which
    # made every synthetic village 24-37 times that and every tambon past the leaders' proposed
    # 50,000 baht (a reader review): about 12 baht a member a year of the fund's life so far
    wel_money = np.round(WELFARE_BAHT_PER_MEMBER_YEAR * wel_members * welfare_years
                         * np.exp(0.3 * probit(nvr())), -1)
    vf_money = np.round(1_000_000 * (1 + 0.06 * max(ce - 2001, 0))
                        * np.exp(0.15 * probit(nvr())), -2)
    plan_year = np.clip(np.round(2552 - 3.0 * lv + 2 * probit(vb[:, 10])), 2543, 2600).astype(int)
    has_plan = plan_year <= survey_round
    step = np.clip(np.round(2.5 + 1.3 * lv + 0.8 * probit(nvr()) + 0.4 * years), 0, 6).astype(int)
    step = np.where(has_plan, np.maximum(step, 4), np.minimum(step, 3))
    forums = count(lv, nvr(), nvr(), 3.0, 0.3, 0.3, 100)
    hm_male = vb[:, 12] < 0.9
    muslim_v = vb[:, 13] < frame["muslim_share"].to_numpy()
    hm_name = given_names(vb[:, 14], hm_male, muslim_v) + " " + surnames(vb[:, 15], muslim_v)
    hm_phone = np.array([f"0{p:09d}" for p in
                         (np.array([8, 9, 8, 6])[(vr[:, 30] * 4).astype(int).clip(0, 3)] * 10**8
                          + (vr[:, 31].astype(np.float64) * 1e8).astype(np.int64)).tolist()],
                        dtype=object)
    values = {
        "village_code": frame["village_code"].to_numpy(dtype=object),
        "village_name": frame["village_name"].to_numpy(dtype=object),
        "headman_name": hm_name, "headman_phone": hm_phone,
        "vil_households": vh, "vil_population": pop, "vil_groups": ngroups,
        "vil_group_types": gtypes, "vil_savings_members": sav_members,
        "vil_savings_money": sav_money, "vil_welfare_members": wel_members,
        "vil_welfare_money": wel_money, "vil_village_fund_money": vf_money,
        "vil_master_plan": has_plan, "vil_master_plan_year": plan_year,
        "vil_process_step": step, "vil_forums_year": forums,
    }
    missing = {"vil_master_plan_year": ~has_plan, "headman_phone": vr[:, 29] < 0.3}
    times = {"start": v_start, "end": v_end, "submitted": v_sub, "day": day}
    return values, missing, times


def field_days(vround: np.ndarray, ce: int) -> np.ndarray:
    """Day (since 1970) the field team reaches each village: March-June of year ``ce``."""
    epoch_day = (pd.Timestamp(f"{ce}-03-01") - pd.Timestamp("1970-01-01")).days
    return epoch_day + np.floor(vround[:, 1] * 120).astype(np.int64)


# ---------------------------------------------------------------------------------- all
@dataclass
class Population:
    """Generated households, members and villages of a set of villages in one round.

    Attributes
    ----------
    frame : pandas.DataFrame
        The villages (rows of the village frame), in generation order.
    survey_round, seed : int
        Round (Buddhist era) and seed.
    draws : Draws
        The uniforms (large household matrices released after generation).
    tambon_effects : pandas.DataFrame
        ``tambon_code, effect, effect_<capital>``.
    tambon_latent, village_latent : numpy.ndarray
        (n_v, 8) tambon and village effects per village (general, then one per capital).
    drift, missing_multiplier : numpy.ndarray
        Per-village latent trend and item non-response multiplier.
    latent : numpy.ndarray
        (n, 7) household latent capitals of this round (unit variance before drift).
    households : dict
        Household identity and roster aggregates (``head_age``, ``hh_size``, ``head_pid``...).
    members : dict
        Roster, one row per member (``hh_row`` links to the household).
    items : dict
        Capital item answers (codes, numbers, bool matrices).
    missing : dict
        Blank masks of household questions.
    times : dict
        Household ``start``, ``end``, ``submitted`` (seconds) and interview ``day``.
    village_values, village_missing, village_times : dict
        Village form answers, blanks and times (see :func:`village_answers`).
    """

    frame: pd.DataFrame
    survey_round: int
    seed: int
    draws: Draws
    tambon_effects: pd.DataFrame
    tambon_latent: np.ndarray
    village_latent: np.ndarray
    drift: np.ndarray
    missing_multiplier: np.ndarray
    latent: np.ndarray
    households: dict[str, np.ndarray]
    members: dict[str, np.ndarray]
    items: dict[str, Any]
    missing: dict[str, np.ndarray]
    times: dict[str, np.ndarray]
    village_values: dict[str, Any]
    village_missing: dict[str, np.ndarray]
    village_times: dict[str, np.ndarray]

    @property
    def n_households(self) -> int:
        """Households generated."""
        return len(self.draws.vidx)


def generate(frame: pd.DataFrame, seed: int, survey_round: int, hpv: int | None,
             keep_latent: bool = False, identities: bool = True) -> Population:
    """Generate the households (the first ``hpv`` of each village, or all) of ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Villages to generate (rows of :func:`abcresearch.synth.frame.village_frame`).
    seed, survey_round : int
        Seed and round (Buddhist era).
    hpv : int or None
        Households per village (capped by the village's households); None: every household.
    keep_latent : bool
        Keep the (n, 7) latent matrix in the result (otherwise an empty array).
    identities : bool
        Make names, national IDs and the member roster (False: answers only, for scoring).

    Returns
    -------
    Population
    """
    years = survey_round - BASE_ROUND
    d = draw(frame, seed, survey_round, hpv)
    ttab, teff, _tix = effects(frame, seed)
    vb = d.vbase
    veff = village_effects(vb)
    drift = village_drift(vb, years)
    miss_mult = np.where(vb[:, 9] < 0.1, 3.0, 1.0) * np.exp(0.3 * probit(vb[:, 9]))

    # household latent: base (identity) and this round
    hg = probit(d.uid[:, 0]) * SD["H_g"]
    hc = np.column_stack([probit(d.uid[:, 1 + k]) * SD["H_c"] for k in range(7)])
    base = (teff[d.vidx, :1] + teff[d.vidx, 1:] + veff[d.vidx, :1] + veff[d.vidx, 1:]
            + hg[:, None] + hc)
    rnoise = probit(d.ur[:, 1])[:, None] * SD["R"]
    lat = (base + rnoise) / LATENT_SD + drift[d.vidx, None]
    lat_base = base[:, 0] / LATENT_SD
    del base, hc, rnoise

    hh = household_identity(frame, d, survey_round)
    members = roster(frame, d, hh, lat_base, survey_round, identities)

    # village latent and welfare fund (round stream)
    vr = d.vround
    lv = (teff[:, 0] + veff[:, 0]) / np.sqrt(SD["T_g"] ** 2 + SD["V_g"] ** 2) + drift / 0.5
    welfare_start = 2545 + np.floor(vb[:, 11] * 5).astype(int)
    welfare_years = np.maximum(survey_round - welfare_start, 0)
    welfare_share = np.where(welfare_years > 0,
                             np.clip(0.5 + 0.12 * lv + 0.08 * probit(vr[:, 0]), 0.3, 0.7), 0.0)

    nxt = Columns(d.ur)
    items = household_items(d, hh, lat, survey_round, welfare_share, nxt)
    miss = item_missing(d, hh, items, miss_mult, nxt)

    # interview times: a team spends up to 6 days in a village
    field_day = field_days(vr, survey_round - 543)
    hday = field_day[d.vidx] + np.floor(nxt() * np.minimum(6, 1 + d.n_sampled[d.vidx] / 40)
                                        ).astype(np.int64)
    start = hday * 86400 + (8 * 3600 + np.floor(nxt() * 9 * 3600)).astype(np.int64)
    end = start + (25 * 60 + np.floor(nxt() * 35 * 60)).astype(np.int64)
    sub = end - 7 * 3600 + np.floor(nxt() * 10 * 86400).astype(np.int64)
    del nxt
    # free the big draw matrices before anything builds string columns (peak memory)
    d.release()
    vvalues, vmiss, vtimes = village_answers(frame, d, lv, welfare_years, welfare_share,
                                             survey_round)
    return Population(
        frame=frame, survey_round=survey_round, seed=seed, draws=d, tambon_effects=ttab,
        tambon_latent=teff, village_latent=veff, drift=drift, missing_multiplier=miss_mult,
        latent=lat if keep_latent else np.empty((0, len(CAPITALS))),
        households=hh, members=members, items=items, missing=miss,
        times={"start": start, "end": end, "submitted": sub, "day": hday},
        village_values=vvalues, village_missing=vmiss, village_times=vtimes)
