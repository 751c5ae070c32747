"""The "what to do" page: item rules from params/actions.yaml, design-based item shares against
the province, actions per development path, and traceability to the instrument."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from abcresearch.errors import ParamsError
from abcresearch.labels import label
from abcresearch.reports import item_rules as R
from abcresearch.reports.area import AreaReport
from abcresearch.reports.sections import actions as A
from abcresearch.survey.areas import tambons
from abcresearch.survey.instrument import codebook


@pytest.fixture(scope="module")
def store_8001(tmp_path_factory: pytest.TempPathFactory):
    """Amphoe Mueang (8001): 3 villages of each of its 16 tambons, 15 households each."""
    from fixtures.test_key import ingest_with_test_key

    from abcresearch.synth.frame import village_frame
    from abcresearch.synth.generate import synthesize

    villages = village_frame("80")
    codes = (villages[villages["village_code"].str.startswith("8001")]
             .groupby(villages["village_code"].str.slice(0, 6))["village_code"]
             .apply(lambda s: sorted(s)[:3]).sum())
    out = tmp_path_factory.mktemp("export8001") / "2549"
    synthesize(province="80", survey_round=2549, seed=11, out=out, villages=codes,
               households_per_village=15)
    store = tmp_path_factory.mktemp("store8001")
    ingest_with_test_key(out, 2549, store)
    return store


@pytest.fixture(scope="module")
def mueang(store_8001) -> dict[str, AreaReport]:
    """The 16 tambon reports of amphoe 8001, each with its "what to do" page."""
    codes = tambons("80").query("parent == '8001'")["code"].tolist()
    assert len(codes) == 16
    reports = {c: AreaReport.load(c, 2549, store=store_8001) for c in codes}
    for rep in reports.values():
        rep.what_to_do()
    return reports


def test_the_16_tambons_of_amphoe_8001_get_different_action_lists(mueang) -> None:
    lists = {c: r.results["what_to_do"].details["selected"] for c, r in mueang.items()}
    assert all(lists.values())
    assert len(set(lists.values())) == 16
    actions = {c: tuple(r.results["what_to_do"].to_frame(1).iloc[:, 1]) for c, r in
               mueang.items()}
    assert len(set(actions.values())) == 16


def test_every_listed_item_is_traceable_to_the_instrument(mueang) -> None:
    cb = codebook("households").set_index("name")
    rep = mueang["800101"]
    res = rep.results["what_to_do"]
    trace = res.to_frame(2)
    assert list(trace[rep.t("actions.col.question_id")]) == list(res.details["selected"])
    for name, wording in zip(trace[rep.t("actions.col.question_id")],
                             trace[rep.t("actions.col.question")], strict=True):
        assert wording == cb.loc[name, "label_th"]
        assert not pd.isna(cb.loc[name, "capital"])
    # the rule in words names the instrument's choice labels
    rules = dict(zip(trace[rep.t("actions.col.question_id")],
                     trace[rep.t("actions.col.rule")], strict=True))
    if "nat_water" in rules:
        assert "ขาดแคลนบางฤดู" in rules["nat_water"]


def test_each_capital_lists_its_items_furthest_above_the_province(mueang) -> None:
    rep = mueang["800106"]
    res = rep.results["what_to_do"]
    shares, rules = res.estimates, res.details["rules"]
    chosen = list(res.details["selected"])
    assert len(chosen) <= rules.items_per_capital * len(rep.capitals)
    for cap in rep.capitals:
        mine = [i for i in chosen if shares.loc[i, "capital"] == cap]
        cand = shares[(shares["capital"] == cap) & ~shares["hidden"]
                      & (shares["estimate"] >= rules.min_share)]
        ranked = cand.sort_values("gap", ascending=False)
        if (ranked["gap"] > 0).any():  # worse than the province: those only
            ranked = ranked[ranked["gap"] > 0]
        assert mine == list(ranked.index[:rules.items_per_capital])
    table = res.to_frame(0)
    gaps = table[rep.t("actions.col.gap")].str.rstrip("*").astype(int)
    expected = [round(100 * shares.loc[i, "estimate"]) - round(100 * shares.loc[i, "province"])
                for i in chosen]
    assert np.all(np.abs(gaps.to_numpy() - np.array(expected)) <= 1)
    # an action for each development path, naming its agency
    acts = res.to_frame(1)
    for item, l1, l2 in zip(chosen, acts.iloc[:, 1], acts.iloc[:, 2], strict=True):
        r = rules.item(item)
        assert l1.startswith(r.actions["level1"].th)
        assert rules.agency(r.actions["level1"].agency, "th", True) in l1
        assert l2.startswith(r.actions["level2"].th)


def test_item_shares_are_design_based_and_the_province_is_a_weighted_share(mueang,
                                                                           store_8001) -> None:
    from abcresearch.store import read

    rep = mueang["800107"]
    shares = rep.results["what_to_do"].estimates
    hh = rep.households
    saved = (pd.to_numeric(hh["fin_savings"]) <= 0).astype(float).where(
        hh["fin_savings"].notna())
    ok = saved.notna()
    direct = (saved[ok] * hh.loc[ok, "weight"]).sum() / hh.loc[ok, "weight"].sum()
    assert shares.loc["fin_savings", "estimate"] == pytest.approx(direct, rel=1e-12)
    assert shares.loc["fin_savings", "ci_low"] < direct < shares.loc["fin_savings", "ci_high"]
    allhh = read.load(2549, store=store_8001)
    allhh = allhh[allhh["weight"].notna()]
    water = allhh["nat_water"].isin(["seasonal", "shortage"]).astype(float).where(
        allhh["nat_water"].notna())
    ok = water.notna()
    prov = (water[ok] * allhh.loc[ok, "weight"]).sum() / allhh.loc[ok, "weight"].sum()
    assert shares.loc["nat_water", "province"] == pytest.approx(prov, rel=1e-12)
    # informal debt: households without debt were not asked, and pass
    nodebt = hh["fin_has_debt"] == "no"
    flags = R.failing_flags(hh, res_rules(rep))
    assert (flags.loc[nodebt, "fin_debt_source"] == 0).all()


def res_rules(rep: AreaReport) -> R.ActionRules:
    return rep.results["what_to_do"].details["rules"]


def test_no_hidden_share_is_published(mueang) -> None:
    for rep in mueang.values():
        res = rep.results["what_to_do"]
        shares = res.estimates
        for item in res.details["selected"]:
            assert not shares.loc[item, "hidden"]
        dump = json.dumps([{k: v for k, v in b.items() if k != "image/svg+xml"}
                           for b in res.bundles()], ensure_ascii=False, default=str)
        for item in shares.index[shares["hidden"]]:
            assert rep.results["what_to_do"].details["rules"].item(item).text["th"] not in dump


def test_an_item_whose_rule_is_not_the_rounds_is_hidden(mueang) -> None:
    """The round's disclosure pattern is built from params/actions.yaml: an item of another
    rules file with the same name but another rule counts other households, so its shares are
    hidden everywhere (primary suppression alone leaks); items with the same rule are kept."""
    rep = next(iter(mueang.values()))
    kept = set(rep.analysis.cache_dir.glob("item-shares-*.parquet"))
    rules = R.load_action_rules()
    shares = A.area_item_shares(rep, rules)
    shown = [i for i in shares.index if not shares.loc[i, "hidden"]]
    assert len(shown) >= 2
    changed, same = shown[0], shown[1]
    rule = rules.item(changed)
    other = dataclasses.replace(
        rule, number=(rule.number or 0) + 1) if rule.kind in ("at_most", "below") else \
        dataclasses.replace(rule, values=rule.values[:-1] or ("none_of_these",))
    assert other != rule
    mine = dataclasses.replace(rules, items=tuple(other if r.item == changed else r
                                                  for r in rules.items))
    again = A.area_item_shares(rep, mine)
    assert again.loc[changed, "hidden"] and not again.loc[same, "hidden"]
    res = A.what_to_do(rep, rules=mine)
    assert changed not in res.details["selected"]
    pub = A.Publisher(rep, "test")
    assert A.item_share(pub, rep.area.code, other, 0.4).hidden
    assert not A.item_share(pub, rep.area.code, rules.item(same), 0.4).hidden
    # other words for the same households (a research team's rewording) stay on the pattern
    reworded = dataclasses.replace(rules.item(same), text={"th": "ข้อความอื่น", "en": "other"},
                                   passes=None)
    assert reworded != rules.item(same)
    assert not A.item_share(pub, rep.area.code, reworded, 0.4).hidden
    # the province's shares under the other rules were kept on disk: not for the tests after
    for file in set(rep.analysis.cache_dir.glob("item-shares-*.parquet")) - kept:
        file.unlink()


def test_failing_flags_follow_each_kind_of_rule() -> None:
    rules = R.load_action_rules()
    hh = pd.DataFrame({
        "hum_health_check": ["no", "yes", None, "no"],
        "fin_savings": [0.0, 10.0, np.nan, 5.0],
        "hum_training": pd.array([0, 2, 1, None], dtype="Int64"),
        "hum_skills": ["none", "farming trade", "crafts", None],
        "nat_disasters": ["none", "flood", "drought storm", "none"],
        "fin_has_debt": ["no", "yes", "yes", None],
        "fin_debt_source": [None, "informal", "baac", None],
        "nat_water": ["all_year", "seasonal", "shortage", "all_year"],
    })
    f = R.failing_flags(hh, rules)
    assert f["hum_health_check"].tolist()[:2] == [1.0, 0.0] and np.isnan(f["hum_health_check"][2])
    assert f["fin_savings"].tolist()[:2] == [1.0, 0.0] and f["fin_savings"][3] == 0.0
    assert f["hum_training"].tolist()[:3] == [1.0, 0.0, 0.0] and np.isnan(f["hum_training"][3])
    assert f["hum_skills"].tolist()[:3] == [1.0, 0.0, 0.0] and np.isnan(f["hum_skills"][3])
    assert f["nat_disasters"].tolist() == [0.0, 1.0, 1.0, 0.0]
    assert f["fin_debt_source"][0] == 0.0 and f["fin_debt_source"][1] == 1.0
    assert f["fin_debt_source"][2] == 0.0 and np.isnan(f["fin_debt_source"][3])
    assert f["nat_water"].tolist() == [0.0, 1.0, 1.0, 0.0]
    # an item the rules name but the households lack is unknown, not "passed"
    assert np.isnan(f["phy_house"]).all()


def test_the_analysis_cache_keeps_the_raw_answers_of_capital_items(mueang) -> None:
    from abcresearch.survey.instrument import capital_items

    hh = mueang["800101"].households
    items = [i for group in capital_items().values() for i in group]
    assert set(items) <= set(hh.columns)
    assert "cul_religion" not in hh.columns and "head_name" not in hh.columns


def test_bad_action_rules_are_named_together(tmp_path) -> None:
    raw = yaml.safe_load(R.load_action_rules().path.read_text(encoding="utf-8"))
    raw["items"][0]["item"] = "hum_happiness"
    raw["items"][1]["fails"] = {"equals": "maybe"}
    raw["items"][2]["fails"] = {"equals": "no"}          # hum_training is an integer
    raw["items"][3]["level1"]["agency"] = "ministry_of_magic"
    raw["items"][4]["pass"] = {"th": "ผ่าน", "en": "passes"}  # misspelt: "passes"
    raw["items"][5]["passes"] = {"th": "มีไฟฟ้าใช้"}           # no English
    raw["min_share"] = 2
    raw["agencies"]["cdd"]["urban_short_th"] = "พช. เทศบาล"  # an urban name without urban_th
    raw["items"][6]["level1"]["urban"] = {"th": "ในเมือง"}    # an urban form without English
    bad = tmp_path / "actions.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        R.load_action_rules(bad)
    msg = str(err.value)
    for part in ("hum_happiness", "maybe", "needs a select_one", "ministry_of_magic",
                 "min_share", "unknown key(s) pass ", "passes.en", "agencies.cdd.urban_th",
                 "level1.urban.en"):
        assert part in msg


def test_item_shares_in_one_pass_equal_one_ciprop_per_item(mueang) -> None:
    """The item shares (one pass of the design over every item) are R-checked ciprop's numbers.

    Each item's estimate as ``ciprop`` on the item alone (exactly), its SE and interval to
    rounding; the table is made once per report and handed out as copies.
    """
    from abcresearch.analysis.round import area_design

    rules = R.load_action_rules()
    for code in sorted(mueang)[:3]:
        rep = mueang[code]
        shares = A.area_item_shares(rep, rules)
        again = A.area_item_shares(rep, rules)
        assert shares is not again
        pd.testing.assert_frame_equal(shares, again)
        flags = R.failing_flags(rep.households, rules)
        design = area_design(rep.households.assign(
            **{f"f_{i}": flags[i].to_numpy() for i in flags}), rep.design_spec)
        for item in flags:
            if not flags[item].notna().any():
                assert np.isnan(shares.loc[item, "estimate"])
                continue
            one = design.ciprop(f"f_{item}", na_rm=True, level=rep.design_spec.level).iloc[0]
            assert shares.loc[item, "estimate"] == one["estimate"]
            for c in ("se", "ci_low", "ci_high"):
                assert shares.loc[item, c] == pytest.approx(one[c], rel=1e-12, abs=1e-15)


def test_rule_text_uses_the_choice_labels_read_with_the_rules() -> None:
    """The choice labels kept in each rule write the same text as reading the form again."""
    from dataclasses import replace

    from abcresearch.reports.formatting import Words

    rules = R.load_action_rules()
    choice_rules = [r for r in rules.items if r.values]
    assert choice_rules and all(set(r.value_labels) == set(r.values) for r in choice_rules)
    for lang in ("th", "en"):
        words = Words(lang)
        for r in choice_rules:
            assert A.rule_text(r, words, lang) == A.rule_text(replace(r, value_labels={}),
                                                              words, lang)


def test_province_item_shares_are_kept_on_disk_for_the_next_process(mueang, monkeypatch,
                                                                     store_8001) -> None:
    from abcresearch.store import read

    rep = mueang["800101"]
    rules = R.load_action_rules()
    first = A.province_item_shares(rep, rules)
    files = list(rep.analysis.cache_dir.glob("item-shares-*.parquet"))
    assert len(files) == 1
    # a new process: nothing in memory, and the store is not read again
    monkeypatch.setattr(A, "_PROVINCE_CACHE", {})

    def no_read(*args, **kwargs):
        raise AssertionError("the store was read although the shares were kept")

    monkeypatch.setattr(read, "load", no_read)
    again = A.province_item_shares(rep, rules)
    pd.testing.assert_frame_equal(again, first)
    # a damaged file is made again from the store, and replaced
    monkeypatch.undo()
    monkeypatch.setattr(A, "_PROVINCE_CACHE", {})
    files[0].write_bytes(b"not parquet")
    remade = A.province_item_shares(rep, rules)
    pd.testing.assert_frame_equal(remade, first)
    assert pd.read_parquet(files[0]).equals(first)
    # other rules are kept apart
    monkeypatch.setattr(A, "_PROVINCE_CACHE", {})
    fewer = dataclasses.replace(rules, items=rules.items[:3])
    A.province_item_shares(rep, fewer)
    assert len(list(rep.analysis.cache_dir.glob("item-shares-*.parquet"))) == 2


def test_the_agency_legend_explains_abbreviations_only(mueang) -> None:
    # "เกษตรอำเภอ = เกษตรอำเภอ" said nothing
    for rep in mueang.values():
        for table in rep.results["what_to_do"].tables:
            notes = table.notes or ""
            for pair in re.split(r"[;.]\s*", notes):
                if " = " in pair:
                    short, full = pair.split(" = ", 1)
                    assert short.strip() != full.strip(), pair


def test_clear_differences_lead_the_strengths_and_gaps() -> None:
    shares = pd.DataFrame({"gap": [0.01, 0.008, 0.005, -0.02, -0.01],
                           "clear": [False, True, True, False, True],
                           "hidden": False}, index=["a", "b", "c", "d", "e"])
    rules = dataclasses.replace(R.load_action_rules(), strengths=2, gaps=2)
    good, bad = A.strengths_and_gaps(shares, rules)
    assert bad == ["b", "c"]  # both clear, before the larger but unclear "a"
    assert good == ["e", "d"]


def test_strengths_and_gaps_are_in_the_order_of_their_printed_differences() -> None:
    """The summary's gaps read "+14, +13, +14" (a reader review): ordered by the unrounded
    difference, where each share is printed rounded. By the printed difference now, the
    unrounded one between equal printed ones."""
    shares = pd.DataFrame({"estimate": [0.3849, 0.3850, 0.30, 0.0951, 0.1049],
                           "province": [0.2350, 0.2449, 0.16, 0.2449, 0.2450],
                           "clear": True, "hidden": False},
                          index=["a", "b", "c", "d", "e"])
    shares["gap"] = shares["estimate"] - shares["province"]
    assert shares.loc["a", "gap"] > shares.loc["b", "gap"]  # 0.1499 against 0.1401
    rules = dataclasses.replace(R.load_action_rules(), strengths=2, gaps=3)
    good, bad = A.strengths_and_gaps(shares, rules)
    assert bad == ["b", "a", "c"]  # printed +15 (39-24), +14 (38-24), +14 (30-16)
    # -0.1498 (printed 10-24 = -14) against -0.1401 (printed 10-25 = -15)
    assert shares.loc["d", "gap"] < shares.loc["e", "gap"]
    assert good == ["e", "d"]
    # equal printed differences by the unrounded one, not by float noise: 38 - 24 and 30 - 16
    # are both +14 (0.14000000000000001 and 0.13999999999999999 as floats; a code review)
    tie = pd.DataFrame({"estimate": [0.38, 0.3049], "province": [0.24, 0.1551],
                        "clear": True, "hidden": False}, index=["a", "c"])
    tie["gap"] = tie["estimate"] - tie["province"]
    assert tie.loc["c", "gap"] > tie.loc["a", "gap"]  # 0.1498 against 0.14
    assert A.strengths_and_gaps(tie, rules)[1] == ["c", "a"]
    # the "what to do" page lists a capital's items in the same order
    cap = rules.items[0].capital
    items = [r.item for r in rules.items if r.capital == cap][:2]
    both = shares.loc[["a", "b"]].set_axis(items).assign(capital=cap)
    assert A.selected_items(both, rules, (cap,), per_capital=2) == [items[1], items[0]]


def test_the_star_needs_a_printed_interval_that_leaves_out_the_province() -> None:
    """ "90 (88–92)" against the province's 92 had a star: the reader sees 92 inside."""
    from abcresearch.reports.disclosure import Shown

    area = Shown("90", 0.90, "88", "92")
    assert A.printed_covers(area, Shown("92", 0.92))
    assert not A.printed_covers(area, Shown("93", 0.93))
    assert not A.printed_covers(Shown("90", 0.90), Shown("92", 0.92))  # no interval printed


def test_an_item_better_than_the_province_is_not_listed_beside_a_worse_one() -> None:
    """Natural capital read "+8*" and "-13*" as its two weakest points, under a note saying a
    negative gap is listed only as a capital's weakest point (a reader review)."""
    rules = R.load_action_rules()
    caps = list(dict.fromkeys(r.capital for r in rules.items))[:3]
    items = {c: [r.item for r in rules.items if r.capital == c][:2] for c in caps}
    assert all(len(v) == 2 for v in items.values())
    gaps = {caps[0]: (0.08, -0.13), caps[1]: (-0.04, -0.06), caps[2]: (-0.01, 0.0)}
    shares = pd.DataFrame(
        [{"item": i, "capital": c, "estimate": 0.4, "gap": g, "hidden": False}
         for c in caps for i, g in zip(items[c], gaps[c], strict=True)]).set_index("item")
    chosen = A.selected_items(shares, rules, tuple(caps), per_capital=2)
    assert chosen == [items[caps[0]][0],  # the worse one only
                      *items[caps[1]],  # every item better: the smallest leads, in order
                      items[caps[2]][1], items[caps[2]][0]]


def test_every_clear_gap_is_listed_beyond_the_items_of_its_capital() -> None:
    """The summary said "3 of the 9 items clearly worse" beside a table of two items a capital
    with 8 starred rows, and a reader looked for the ninth (a reader review): every item in
    ``clear`` worse than the province is listed, beyond ``per_capital`` and below
    ``min_share``; an unclear third item is not."""
    rules = R.load_action_rules()
    cap = rules.items[0].capital
    items = [r.item for r in rules.items if r.capital == cap][:4]
    assert len(items) == 4
    shares = pd.DataFrame({"capital": cap, "estimate": [0.4, 0.4, 0.4, 0.06],
                           "gap": [0.12, 0.10, 0.08, 0.05], "hidden": False}, index=items)
    assert A.selected_items(shares, rules, (cap,), per_capital=2) == items[:2]
    assert A.selected_items(shares, rules, (cap,), per_capital=2,
                            clear=[items[2], items[3]]) == items
    # the clear ones after the first two by gap, whatever their order in ``clear``
    assert A.selected_items(shares, rules, (cap,), per_capital=1,
                            clear=[items[3], items[1]]) == [items[0], items[1], items[3]]
    # a clear item better than the province is no gap
    better = shares.assign(gap=[0.12, 0.10, -0.08, 0.01])
    assert A.selected_items(better, rules, (cap,), per_capital=2,
                            clear=[items[2]]) == items[:2]


def test_the_what_to_do_table_stars_every_gap_the_summary_counts(store_8001, tmp_path) -> None:
    """The summary's "N items clearly worse than the province" are the table's starred rows
    above the province, one item a capital or more: counted from the summary's own lines
    (with room for every gap) and from the table's printed gaps."""
    text = (Path(__file__).parent.parent / "params" / "actions.yaml").read_text("utf-8")
    path = tmp_path / "actions_all.yaml"
    path.write_text(text.replace("\ngaps: 3\n", "\ngaps: 99\n"), "utf-8")
    beyond = 0
    for code in tambons("80").query("parent == '8001'")["code"]:
        rep = AreaReport.load(code, 2549, store=store_8001)
        md = rep.summary_page(forums=None, actions=str(path)).parts[0].markdown
        lines = md.split("\n\n")
        worse = lines.index(f"**{label('summary.gaps', 'th')}**")
        first = lines.index(f"**{label('summary.first_actions', 'th')}**")
        n_worse = sum("สูงกว่าทั้งจังหวัด (ร้อยละ" in x for x in lines[worse + 1:first])
        res = rep.what_to_do(items_per_capital=1)
        table = res.to_frame(0)
        starred = table[table[rep.t("actions.col.gap")].astype(str).str.fullmatch(r"\+\d+\*")]
        assert len(starred) == n_worse, (code, md, table)
        beyond += int((starred[rep.t("col.capital")].value_counts() - 1).sum())
    assert beyond > 0  # a capital with more clear gaps than the one item it would list


def test_each_item_says_about_how_many_households_fail_it(mueang) -> None:
    """Beside the share, the households it stands for (the printed share times the area's
    households, to 10, or to the power of ten the share's interval reaches in households):
    within that rounding and the share's of the design's weighted count of the failing
    households, and a marker where the share is hidden."""
    rep = mueang["800106"]
    res = rep.results["what_to_do"]
    table = res.to_frame(0)
    col = rep.t("actions.col.households")
    flags = R.failing_flags(rep.households, res.details["rules"])
    total = float(rep.weighted_counts("overall_level")[0].to_numpy().sum())
    assert total > 100
    checked, units = 0, set()
    for item, share, count in zip(res.details["selected"], table[rep.t("actions.col.area")],
                                  table[col], strict=True):
        if not re.match(r"\d", str(share)):
            assert count == share  # the share's marker
            continue
        flag = flags[item]
        weight = rep.households["weight"] * rep.count_factor
        weighted = float((flag.fillna(0.0) * weight).sum())
        answered = float((flag.notna() * weight).sum())
        households = int(str(count).replace(",", ""))
        low, high = res.estimates.loc[item, ["ci_low", "ci_high"]]
        unit = 10 ** max(1, int(np.floor(np.log10(total * max(0.005, (high - low) / 2)))))
        units.add(unit)
        assert households % unit == 0
        # the share is over the households that answered the item; 0.5 point of printing
        assert abs(households - weighted) <= unit / 2 + 0.005 * total + (total - answered)
        checked += 1
    assert checked >= 3
    assert 100 in units, units  # some share's interval reaches a hundred households
    assert col in res.to_frame(0).columns


def test_a_clear_difference_is_at_least_min_gap(mueang) -> None:
    """Where every household was surveyed the interval is no wider than the rounding, and
    "10% against 9%" read "clearly worse" (a reader review): a clear difference excludes the
    province's share from its interval and is at least ``min_gap`` (params/actions.yaml)."""
    rules = R.load_action_rules()
    assert rules.min_gap == 0.05
    dropped = 0
    for rep in mueang.values():
        loose = A.area_item_shares(rep, dataclasses.replace(rules, min_gap=0.0))
        strict = A.area_item_shares(rep, rules)
        outside = (loose["ci_low"] > loose["province"]) | (loose["ci_high"] < loose["province"])
        assert (loose["clear"] == outside).all()
        assert (strict["clear"] == (outside & (strict["gap"].abs() >= 0.05))).all()
        dropped += int(loose["clear"].sum() - strict["clear"].sum())
    assert dropped  # the store has clear gaps under 5 points
    text = rules.path.read_text(encoding="utf-8")
    for bad in (-0.1, 1.0, True, "5"):
        raw = yaml.safe_load(text)
        raw["min_gap"] = bad
        with pytest.raises(ParamsError, match="min_gap"):
            R.parse_action_rules(raw, rules.path)


def test_an_item_better_than_the_province_says_so_beside_its_actions(mueang) -> None:
    """A capital whose every item is better than the province lists its weakest; its actions
    read as "fix what we do well" beside the summary's strengths (a reader review): the
    actions table says so where the printed gap is below 0. "Better" only where the star
    says the difference is clear, with the share that still fails (88% of households read
    as "already better"); within the margin of error it is "about the province's" (91
    against 92 read as "already better", a second reader review), and so is a share printed
    equal to the province's (a row at 0 went untagged between rows at -4 that said so) and one
    above it within the margin (+1 to +3 untagged read as confirmed problems, a third)."""
    from abcresearch.reports.formatting import with_aside

    rep0 = mueang["800106"]
    similar = rep0.t("actions.similar")
    said = {"better": 0, "similar": 0, "level": 0, "similar_above": 0}
    rules = R.load_action_rules()
    for rep in mueang.values():
        res = rep.results["what_to_do"]
        gaps, acts = res.to_frame(0), res.to_frame(1)
        item_col = rep.t("actions.col.item")
        # (a tambon within a municipality adds an item's urban note after it)
        urban = {r.text["th"]: r.urban_note["th"] for r in rules.items if r.urban_note} \
            if A.in_municipality(rep) else {}

        def aside(item: str, note: str) -> str:
            u = urban.get(item, "")  # noqa: B023 (read in this iteration)
            joined = f"{note} · {u}" if note and u else note or u
            return with_aside(item, joined) if joined else item

        for gap, share, item, act in zip(gaps[rep.t("actions.col.gap")],
                                         gaps[rep.t("actions.col.area")], gaps[item_col],
                                         acts[item_col], strict=True):
            if str(gap) in ("0", "+0", "-0"):  # printed equal: about the province's too
                assert act == aside(item, similar), (gap, act)
                said["level"] += 1
            elif str(gap).endswith("*") and not str(gap).startswith("-"):  # a clear gap
                assert act == aside(item, ""), (gap, act)
            elif str(gap).endswith("*"):
                printed = str(share).split(" ")[0]
                assert act == aside(item, rep.t("actions.better", share=printed)), (gap, act)
                said["better"] += 1
            elif abs(float(str(gap))) < 100 * rules.min_gap:  # within the margin, either side
                assert act == aside(item, similar), (gap, act)
                said["similar" if str(gap).startswith("-") else "similar_above"] += 1
            else:  # as large as a clear difference, but the interval is wide
                assert act == aside(item, rep.t("actions.unclear")), (gap, act)
    assert said["better"] and said["similar"] and said["level"] and said["similar_above"], said


def test_an_action_ending_in_brackets_takes_its_agency_after_a_dot(mueang) -> None:
    """ "ชวนเข้ากลุ่มที่ได้ประโยชน์ทันที (กองทุนสวัสดิการ ชมรมผู้สูงอายุ) (พอช.)" read as an
    aside of an aside; with_aside puts an aside after " · " there, in brackets elsewhere, and
    no action of params/actions.yaml ends in brackets, so every agency is in brackets."""
    from abcresearch.reports.formatting import with_aside

    assert with_aside("ซ่อมบ้าน", "พม.") == "ซ่อมบ้าน (พม.)"
    assert with_aside("เข้ากลุ่ม (ชมรมผู้สูงอายุ)", "พอช.") == "เข้ากลุ่ม (ชมรมผู้สูงอายุ) · พอช."
    assert with_aside("ซ่อมบ้าน", "") == "ซ่อมบ้าน"
    # every action names its agency the one way, in brackets: no action ends in its own
    # ("· พอช." after some, "(พช.)" after others read as two styles, a reader review)
    rules = R.load_action_rules()
    for r in rules.items:
        for path in ("level1", "level2"):
            for lang in ("th", "en"):
                assert not r.actions[path].text(lang).rstrip().endswith(")"), (r.item, path)
    cells = [str(v) for rep in mueang.values() for i in (0, 1)
             for v in rep.results["what_to_do"].to_frame(i).to_numpy().ravel()]
    assert any("(พอช.)" in c for c in cells)  # the welfare-fund actions were chosen somewhere
    assert not [c for c in cells if " · " in c and c.rstrip().endswith(".")]
    # the one-page summary's first actions and the page's introduction too
    cells += [rep.summary_page().text for rep in mueang.values()]
    cells += [rep.results["what_to_do"].text for rep in mueang.values()]
    assert not [c for c in cells if ") (" in c]


def test_a_gap_of_at_least_min_gap_as_printed_is_starred_where_the_interval_says_so(mueang
                                                                                   ) -> None:
    """ "20 (18–22) … 15 +5" went without a star in tambon 800108 and "52 (49–55) … 47 +5*"
    with one in 800101, under the notes' same "at least 5 points": the rule was judged on the
    unrounded gap (4.6 and 5.2). It is judged on the gap as printed, so a reader checking the
    page finds every "+5" whose printed interval leaves out the province's share starred."""
    min_gap = R.load_action_rules().min_gap * 100
    starred = unstarred_big = 0
    for rep in mueang.values():
        table = rep.results["what_to_do"].to_frame(0)
        for share, prov, gap in zip(table[rep.t("actions.col.area")],
                                    table[rep.t("col.province")],
                                    table[rep.t("actions.col.gap")], strict=True):
            m = re.match(r"(\d+) \((\d+)–(\d+)\)$", str(share))
            if not m or not re.match(r"[+-]?\d+\*?$", str(gap)):
                continue
            low, high, p = int(m[2]), int(m[3]), int(prov)
            size = abs(int(str(gap).rstrip("*")))
            excludes = p < low or p > high
            assert str(gap).endswith("*") == (excludes and size >= min_gap), (rep.code, share,
                                                                              prov, gap)
            starred += str(gap).endswith("*")
            unstarred_big += (size >= min_gap) and not excludes
    assert starred


def test_the_least_gap_is_judged_on_the_gap_as_printed() -> None:
    """19.6% against 15.4% prints "20 … 15 +5" and is clear when its interval leaves out
    15.4%; 20.4% against 15.6% (a gap of 4.8) prints "+4" and is not; an interval holding the
    province's share is never clear."""
    shares = pd.DataFrame({"estimate": [0.196, 0.204, 0.196, np.nan],
                           "ci_low": [0.18, 0.19, 0.15, np.nan],
                           "ci_high": [0.22, 0.22, 0.24, np.nan],
                           "province": [0.154, 0.156, 0.154, 0.1]})
    assert list(A.printed_gap(shares["estimate"], shares["province"]).round(2)[:3]) == [
        0.05, 0.04, 0.05]
    assert list(A.clear_differences(shares, 0.05)) == [True, False, False, False]


def test_households_failing_are_as_precise_as_the_share(mueang) -> None:
    """A province's "what to do" row printed its households to ten where the share printed
    beside it (to the percent) knew them to two thousand: the count is rounded to the power
    of ten that the share's interval, or its printed last digit, reaches in households."""
    from abcresearch.reports.disclosure import Shown

    rep = next(iter(mueang.values()))
    pub = A.Publisher(rep, "test")
    share = Shown("30", 0.30)
    code = rep.area.code
    assert A.households_failing(pub, code, "x", share, 1_500.0) == "450"
    # 1,500 x 0.30 = 450; an interval of 25-35 knows it to 75 households: still tens
    assert A.households_failing(pub, code, "x", share, 1_500.0, 0.25, 0.35) == "450"
    # 425,974 x 0.30 = 127,792: printed "30" knows it to 2,130 households
    assert A.households_failing(pub, code, "x", share, 425_974.0) == "128,000"
    assert A.households_failing(pub, code, "x", share, 4_259.74, 0.20, 0.40) == "1,300"
    assert A.households_failing(pub, code, "x", Shown("<5"), 425_974.0) == "<5"
    # a share of 2 of 3,000 households known to 20 percentage points: 60 households, not the
    # "100" of the interval's power of ten, which misstates their order of magnitude
    assert A.households_failing(pub, code, "x", Shown("2", 0.02), 3_000.0, 0.0, 0.40) == "60"


def test_a_box_listing_fewer_items_than_differ_clearly_says_of_how_many(store_8001,
                                                                         tmp_path) -> None:
    """The gaps box "clearly worse than the province" listed 3 items where 8 were clearly
    worse, and read as "3 items are worse" (a reader review): with more clear differences than
    it lists, its title names the furthest and of how many. Counted independently: the same
    page with room for every item lists them all under the plain title."""
    text = (Path(__file__).parent.parent / "params" / "actions.yaml").read_text("utf-8")
    assert "\nstrengths: 3\n" in text and "\ngaps: 3\n" in text

    def page(code: str, n: int) -> str:
        path = tmp_path / f"actions_{n}.yaml"
        path.write_text(text.replace("\nstrengths: 3\n", f"\nstrengths: {n}\n")
                        .replace("\ngaps: 3\n", f"\ngaps: {n}\n"), "utf-8")
        rep = AreaReport.load(code, 2549, store=store_8001)
        return rep.summary_page(forums=None, actions=str(path)).parts[0].markdown

    def counts(markdown: str) -> tuple[int, int]:
        lines = markdown.split("\n\n")
        better = lines.index(f"**{label('summary.strengths', 'th')}**")
        worse = lines.index(f"**{label('summary.gaps', 'th')}**")
        first = lines.index(f"**{label('summary.first_actions', 'th')}**")
        return (sum("สูงกว่าทั้งจังหวัด (ร้อยละ" in x for x in lines[better + 1:worse]),
                sum("สูงกว่าทั้งจังหวัด (ร้อยละ" in x for x in lines[worse + 1:first]))

    # the tambon of amphoe 8001 with the most clear gaps
    found = {c: counts(page(c, 99)) for c in tambons("80").query("parent == '8001'")["code"]}
    code = max(found, key=lambda c: found[c][1])
    n_better, n_worse = found[code]
    assert n_worse >= 2, found  # the store has clear gaps to count
    one = page(code, 1)
    assert f"**{label('summary.gaps_of', 'th', n=1, total=n_worse)}**" in one, one
    if n_better > 1:
        assert f"**{label('summary.strengths_top', 'th', n=1)}**" in one, one
    # the page's own rules (3 of each) and no more differences than that: the plain titles
    assert f"**{label('summary.gaps', 'th')}**" in page(code, max(n_worse, n_better))


def test_a_gap_on_the_summary_says_how_many_households_as_the_what_to_do_table(
        mueang) -> None:
    """The one-page summary's gaps gave shares only, and an อบต. officer had to turn to the
    "what to do" table for how many households each is (a reader review): each gap says
    "(ราว N ครัวเรือน)" with the N that table prints for the item."""
    checked = 0
    for rep in mueang.values():
        t = rep.t
        table = rep.results["what_to_do"].to_frame(0)
        counts = dict(zip(table[t("actions.col.item")], table[t("actions.col.households")],
                          strict=True))
        md = rep.summary_page(forums=None).parts[0].markdown
        for line in md.split("\n\n"):
            if not line.startswith("- ครัวเรือนที่") or "รวมราว" not in line:
                continue
            item = next((i for i in counts if line.startswith(f"- ครัวเรือนที่{i} ร้อยละ ")),
                        None)
            if item is None:  # a gap the "what to do" page does not list
                continue
            # after the province's share: "N more households than the province" was a misreading
            assert line.endswith(f") รวมราว {counts[item]} ครัวเรือน"), (line, counts[item])
            checked += 1
    assert checked, "the store's summaries list gaps the 'what to do' table prints"


def test_a_count_rule_that_one_answer_fails_says_that_answer() -> None:
    """"ค่าน้อยกว่า 1" beside "how many trainings last year" (a reader review): a rule that only
    the question's least answer fails says it ("ตอบ 0"); others say the bound as an answer."""
    from dataclasses import replace

    from abcresearch.reports.formatting import Words

    rules = R.load_action_rules()
    words = Words("th")
    training = rules.item("hum_training")          # integer, at least 0, fails below 1
    assert A.rule_text(training, words, "th") == "ตอบ 0"
    assert A.rule_text(training, Words("en"), "en") == "the answer is 0"
    # fails below 3: 0, 1 and 2 fail
    assert A.rule_text(replace(training, number=3), words, "th") == "ตอบน้อยกว่า 3"


def test_a_farm_land_item_in_a_municipality_says_what_it_counts(sample_store,
                                                                monkeypatch) -> None:
    """Amphoe Mueang's reports proposed finding farm land (ส.ป.ก.) for city households that
    rent their homes (a reader review): in a tambon within a municipality, an item with an
    urban note says it beside its actions; elsewhere it does not."""
    from dataclasses import replace

    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.sections import welfare as W

    rules = R.load_action_rules()
    noted = [r.item for r in rules.items if r.urban_note]
    assert noted == ["phy_land_tenure"]
    # a rules file listing the noted item alone, so that it is the one chosen
    only = replace(rules, items=tuple(r for r in rules.items if r.item in noted))
    rep = AreaReport.load("801501", 2549, store=sample_store)
    note = rules.item("phy_land_tenure").urban_note["th"]
    assert not A.in_municipality(rep)
    assert note not in rep.what_to_do(rules=only).tables[1].as_markdown()
    town = replace(W.load_welfare_rules(), municipality=frozenset({"801501"}))
    monkeypatch.setattr(W, "load_welfare_rules", lambda path=None: town)
    rep = AreaReport.load("801501", 2549, store=sample_store)
    assert A.in_municipality(rep)
    res = rep.what_to_do(rules=only)
    assert res.details["selected"] == ("phy_land_tenure",)
    assert note in res.tables[1].as_markdown()


def test_the_summarys_first_actions_say_the_urban_note_too(sample_store, monkeypatch) -> None:
    """The one-page summary proposed finding farm land for a municipal tambon's households
    without the "what to do" page's caution (a code review): its first actions say it too,
    in a municipality only."""
    from dataclasses import replace

    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.sections import welfare as W

    real = A.area_item_shares

    def land_first(report, rules=None):  # farm land clearly the tambon's widest gap
        s = real(report, rules)
        p = float(s.loc["phy_land_tenure", "province"])
        hi = min(p + 0.35, 0.99)
        s.loc["phy_land_tenure", ["estimate", "ci_low", "ci_high", "gap"]] = \
            [hi - 0.05, hi - 0.1, hi, hi - 0.05 - p]
        s.loc["phy_land_tenure", ["clear", "hidden"]] = [True, False]
        return s

    monkeypatch.setattr(A, "area_item_shares", land_first)
    rules = R.load_action_rules()
    caution = rules.item("phy_land_tenure").urban_note["th"]
    page = AreaReport.load("801501", 2549, store=sample_store).summary_page().text
    assert rules.item("phy_land_tenure").text["th"] in page and caution not in page
    town = replace(W.load_welfare_rules(), municipality=frozenset({"801501"}))
    monkeypatch.setattr(W, "load_welfare_rules", lambda path=None: town)
    page = AreaReport.load("801501", 2549, store=sample_store).summary_page().text
    assert caution in page


def test_a_first_action_names_its_item_once_with_both_paths(mueang) -> None:
    """"ไม่มีที่ดินทำกิน — ครัวเรือนระดับ 1: ..." then "ไม่มีที่ดินทำกิน — ครัวเรือนระดับ 2: ..." on
    the one-page summary read as two problems (a reader review): one line an item, both paths'
    actions after it."""
    rules = R.load_action_rules()
    checked = 0
    for rep in mueang.values():
        res = rep.summary_page(forums=None)
        lines = [x[2:] for x in res.parts[0].markdown.split("\n\n") if x.startswith("- ")]
        for item in res.details["first_actions"]:
            what = rules.item(item).text["th"]
            mine = [x for x in lines if x.startswith(f"{what}: ")]
            assert len(mine) == 1, (what, lines)
            assert f"{what}: ครัวเรือนระดับ 1 – " in mine[0] and "; ครัวเรือนระดับ 2 – " in mine[0]
            checked += 1
        # what the two paths are, in the page's note, where it lists actions
        assert (label("summary.note_paths", "th") in res.text) == bool(
            res.details["first_actions"])
    assert checked, "the test cannot fail: no first action"


def test_an_amphoe_with_municipal_tambons_names_them_beside_an_urban_item(store_8001) -> None:
    """Amphoe Mueang (three tambons within a municipality) proposed finding farm land with no
    word of the town households that fail the item too (a reader review): its report gives the
    item's urban note for those tambons, by name; a tambon's gives the note as it is."""
    from abcresearch.reports.sections.welfare import has_tao, load_welfare_rules

    rules, welfare = R.load_action_rules(), load_welfare_rules()
    land = rules.item("phy_land_tenure")
    amphoe = AreaReport.load("8001", 2549, store=store_8001)
    towns = [c for c in tambons("80").query("parent == '8001'")["code"] if not has_tao(c, welfare)]
    assert towns, "the test cannot fail: no municipal tambon in 8001"
    assert A.municipal_tambons(amphoe) == sorted(towns)
    said = A.urban_caution(amphoe, land)
    assert said.startswith(land.urban_note["th"] + " (ข้อนี้ใช้กับตำบล")
    assert all(amphoe.child_name(c) in said for c in towns)
    assert A.urban_caution(amphoe, rules.item("fin_savings")) == ""  # no urban note
    town = AreaReport.load(towns[0], 2549, store=store_8001)
    assert A.urban_caution(town, land) == land.urban_note["th"]
    # on the what-to-do page, beside the item, where the page lists it
    page = amphoe.what_to_do().to_frame(1)
    cells = [c for c in page[amphoe.t("actions.col.item")] if c.startswith(land.text["th"])]
    assert all(said in c for c in cells)


def test_an_action_with_an_urban_form_is_said_so_within_a_municipality(store_8001) -> None:
    """CODI's secure housing is "บ้านมั่นคงชนบท" outside towns and "บ้านมั่นคง" within a
    municipality: a municipal tambon's and its villages' reports say the urban form, an amphoe
    with municipal tambons says both and names those tambons, a rural tambon the rural form;
    the what-to-do page and the summary's first actions say it through ``action_text``."""
    from abcresearch.reports.sections.welfare import has_tao, load_welfare_rules

    rules, welfare = R.load_action_rules(), load_welfare_rules()
    urban = [(r.item, p) for r in rules.items for p in R.PATHS if r.actions[p].urban]
    assert ("phy_house", "level2") in urban and ("hum_health_check", "level1") in urban
    housing = rules.item("phy_house").actions["level2"]
    rural, town_th = housing.text("th"), housing.text("th", urban=True)
    assert "บ้านมั่นคงชนบท" in rural and "บ้านมั่นคง" in town_th and "ชนบท" not in town_th
    assert housing.text("en", urban=True) != housing.text("en")
    towns = [c for c in tambons("80").query("parent == '8001'")["code"] if not has_tao(c, welfare)]
    rural_tambon = next(c for c in tambons("80").query("parent == '8001'")["code"]
                        if has_tao(c, welfare))
    town = AreaReport.load(towns[0], 2549, store=store_8001)
    village = AreaReport.load(str(town.children["code"].iloc[0]), 2549, store=store_8001)
    assert A.action_text(town, housing) == town_th
    assert A.action_text(village, housing) == town_th
    assert A.action_text(AreaReport.load(rural_tambon, 2549, store=store_8001),
                         housing) == rural
    amphoe = AreaReport.load("8001", 2549, store=store_8001)
    said = A.action_text(amphoe, housing)
    assert said.startswith(rural + " (ใน") and said.endswith(f": {town_th})")
    assert all(amphoe.child_name(c) in said for c in towns)
    # on the what-to-do page (a rules file listing the housing item alone, so it is chosen)
    only = dataclasses.replace(rules, items=(rules.item("phy_house"),))
    page = town.what_to_do(rules=only)
    assert page.details["selected"] == ("phy_house",)
    acts = page.tables[1].as_markdown()
    assert "บ้านมั่นคง" in acts and "บ้านมั่นคงชนบท" not in acts
    assert "บ้านมั่นคงชนบท" in AreaReport.load(rural_tambon, 2549, store=store_8001
                                               ).what_to_do(rules=only).tables[1].as_markdown()
    # an action without an urban form is the same everywhere
    land = rules.item("phy_land_tenure").actions["level1"]
    assert A.action_text(town, land) == A.action_text(amphoe, land) == land.text("th")
    # the lead agency by its name within a municipality: no อบต. and no rural health station
    # in a city (a reader review), in the actions' brackets and the legend
    assert rules.agency("tao", "th", True, urban=True) == "เทศบาล"
    assert rules.agency("tao", "th", True) == "อบต./เทศบาล"
    assert "เทศบาล" in rules.agency("health", "th", urban=True)
    assert rules.agency("cdd", "th", True, urban=True) == rules.agency("cdd", "th", True)
    health = dataclasses.replace(rules, items=(rules.item("hum_health_check"),))
    page = town.what_to_do(rules=health)
    assert page.details["selected"] == ("hum_health_check",)
    acts = page.tables[1].as_markdown()
    assert "สถานีอนามัย" not in acts and "ศูนย์บริการสาธารณสุขของเทศบาล" in acts
    assert "(สาธารณสุขเทศบาล/สปสช.)" in acts
    assert "สาธารณสุขเทศบาล/สปสช. = ศูนย์บริการสาธารณสุขของเทศบาล" in page.tables[1].notes
    rural_page = AreaReport.load(rural_tambon, 2549, store=store_8001).what_to_do(rules=health)
    assert "(สถานีอนามัย/สปสช.)" in rural_page.tables[1].as_markdown()


def test_the_items_table_is_grouped_by_its_capitals(mueang) -> None:
    """The capital repeats over its items: it groups the rows and does not name them, so it
    gives way like the other columns in a table wider than the line (an English item wrapped
    into three lines beside "Physical and economic capital", a reader review)."""
    from abcresearch.reports.render.typst import TABLE_MIME, table_to_typst

    rep = next(iter(mueang.values()))
    items = [b[TABLE_MIME] for b in rep.results["what_to_do"].bundles() if TABLE_MIME in b]
    assert items[0]["grouped"] is True and "key: none" in table_to_typst(items[0])
    assert not any(spec.get("grouped") for spec in items[1:])


def test_an_agency_an_action_names_by_its_abbreviation_is_spelt_out_there() -> None:
    """"...โดยมีสำนักงาน ปภ. จังหวัดสนับสนุน" left a committee to guess "ปภ." (a fresh reader's
    walk-through): the agency legends explain the lead agencies only, so an action's text that
    names another agency by its abbreviation gives its full name too."""
    ar = R.load_action_rules()
    named = 0
    for rule in ar.items:
        for action in rule.actions.values():
            for key, agency in ar.agencies.items():
                short, full = agency.get("short_th"), agency["th"]
                if not short or short == full or short not in action.th:
                    continue
                named += 1
                # the full name without its own "(abbreviation)"
                assert full.split(" (")[0] in action.th, (rule.item, key, action.th)
    assert named >= 1


def test_a_form_check_names_a_known_item(tmp_path) -> None:
    """``form_check`` of ``params/actions.yaml``: the shipped one checks the forums a year
    against the households' forum item; one naming no item of the file, or with a share
    outside 0-1, is refused with the other problems."""
    rules = R.load_action_rules()
    assert rules.form_check == R.FormCheck("soc_forum", "vil_forums_year", 0.5)
    raw = yaml.safe_load(rules.path.read_text(encoding="utf-8"))
    raw["form_check"] = {"item": "hum_happiness", "form_field": "vil_forums_year",
                         "passing_at_least": 2}
    bad = tmp_path / "actions.yaml"
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        R.load_action_rules(bad)
    assert "form_check.item" in str(err.value) and "passing_at_least" in str(err.value)
    del raw["form_check"]
    bad.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert R.load_action_rules(bad).form_check is None


def test_a_village_form_of_no_forums_is_checked_against_its_households(sample_store) -> None:
    """A group C village whose form gave 0 forums a year, where 62% of its households said
    they had taken part in one, disputed its group (a reader review): its data-quality
    section asks for the form to be checked, with the share the "what to do" page prints;
    where the form gives forums, or most households have never taken part, it says nothing."""
    from abcresearch.reports.area import AreaReport
    from abcresearch.reports.sections.actions import area_item_shares

    said = 0
    for code in ("80150101", "80150102", "80150201", "80150202", "80150301"):
        rep = AreaReport.load(code, 2549, store=sample_store)
        row = area_item_shares(rep).loc["soc_forum"]
        if row["hidden"]:
            continue
        rep.village_forms = rep.village_forms.assign(vil_forums_year=0)
        text = rep.data_quality().text
        head = rep.t("quality.form_check.soc_forum", share="").split("{")[0][:40]
        if 1 - row["estimate"] >= 0.5:
            cells = (("item:soc_forum", "fail"),)
            shown = [e for e in rep.data_quality().published
                     if e.kind == "share" and e.cells == cells and e.area == code]
            assert shown and rep.t("quality.form_check.soc_forum",
                                   share=shown[0].text) in text, text
            # the share as the "what to do" page prints it, where that page lists the item
            listed = [e.text for e in rep.what_to_do().published
                      if e.kind == "share" and e.cells == cells and e.area == code]
            assert all(x == shown[0].text for x in listed), (listed, shown[0].text)
            said += 1
        else:
            assert head not in text
        rep.village_forms = rep.village_forms.assign(vil_forums_year=4)
        assert head not in rep.data_quality().text
    assert said, "no village of the sample store has most households taking part in forums"
