"""A store holding one tambon: its amphoe's and province's figures are its own, and the report
does not compare the tambon with itself (a fresh user's walk-through: "every capital is at the
province average", no clear gap, no first action, the amphoe and province columns equal to
the tambon's)."""

from __future__ import annotations

import pytest

from abcresearch.reports.area import AreaReport

TAMBON = "801501"


@pytest.fixture(scope="module")
def alone(tmp_path_factory: pytest.TempPathFactory) -> AreaReport:
    """Tambon 801501 alone in its store: 3 of its villages, 40 households each."""
    from fixtures.test_key import ingest_with_test_key

    from abcresearch.synth.frame import village_frame
    from abcresearch.synth.generate import synthesize

    frame = village_frame("80")
    codes = sorted(frame.loc[frame["village_code"].str.startswith(TAMBON), "village_code"])[:3]
    out = tmp_path_factory.mktemp("export_alone") / "2549"
    synthesize(province="80", survey_round=2549, seed=5, out=out, villages=codes,
               households_per_village=40)
    store = tmp_path_factory.mktemp("store_alone")
    ingest_with_test_key(out, 2549, store)
    return AreaReport.load(TAMBON, 2549, store=store)


def test_a_tambon_alone_in_its_store_is_not_compared_with_itself(alone: AreaReport) -> None:
    rep = alone
    assert rep.alone_in("province") and rep.alone_in("amphoe")
    assert not rep.alone_in("tambon")  # its own level
    # the profile: the area's column only
    prof = rep.capital_profile()
    assert list(prof.to_frame().columns) == [rep.t("col.capital"), rep.t("col.area")]
    # its amphoe named by its code is the same amphoe (a code review)
    assert list(rep.capital_profile(compare=("8015",)).to_frame().columns) == [
        rep.t("col.capital"), rep.t("col.area")]
    # the findings say why, and compare nothing with the province
    found = rep.key_findings().findings
    assert rep.t("find.alone", area=rep.area_name()) in found
    assert not any("ค่าเฉลี่ยจังหวัด" in f for f in found), found
    # nor recorded as published: no province or amphoe mean in the findings' ledger
    ledger = rep.results["key_findings"].published
    assert not [e for e in ledger if e.area in ("80", "8015")], ledger
    # the "what to do" page: the items most often failed, without the province's column
    todo = rep.what_to_do()
    table = todo.to_frame(0)
    assert rep.t("col.province") not in table.columns
    assert rep.t("actions.col.gap") not in table.columns
    shares = todo.estimates
    assert len(todo.details["selected"]) >= 7  # items of every capital
    for cap in {rep_cap for rep_cap in shares.loc[list(todo.details["selected"]), "capital"]}:
        listed = [i for i in todo.details["selected"] if shares.loc[i, "capital"] == cap]
        eligible = shares[(shares["capital"] == cap) & ~shares["hidden"]
                          & (shares["estimate"] >= todo.details["rules"].min_share)]
        assert set(listed) == set(eligible["estimate"].nlargest(len(listed)).index), cap
    assert rep.t("actions.intro.alone", area=rep.area_name(),
                 n=todo.details["rules"].items_per_capital) in todo.text
    # the one-page summary: not "nothing clearly worse than the province"
    page = rep.summary_page().text
    assert rep.t("summary.alone") in page and rep.t("summary.first_alone") in page
    gap = f"{100 * todo.details['rules'].min_gap:g}"
    assert rep.t("summary.gaps_none", gap=gap).split("(")[0] not in page


def test_a_tambon_among_others_is_compared_with_the_province(sample_store) -> None:
    """The sample store holds amphoe 8015 only: a tambon is compared with its amphoe and the
    province (the amphoe's only province figures are the amphoe's own, but not the tambon's)."""
    rep = AreaReport.load(TAMBON, 2549, store=sample_store)
    assert not rep.alone_in("province") and not rep.alone_in("amphoe")
    assert list(rep.capital_profile().to_frame().columns) == [
        rep.t("col.capital"), rep.t("col.area"), rep.t("col.amphoe"), rep.t("col.province")]
    amphoe = AreaReport.load("8015", 2549, store=sample_store)
    assert amphoe.alone_in("province")


def test_no_welfare_projection_from_the_areas_own_small_age_groups(alone: AreaReport,
                                                                   monkeypatch) -> None:
    """An area whose age groups are too small to publish borrows the province's age structure
    for the fund projection; alone in its store, that structure is its own small cells under
    the province's name (a code review): no projection, and the page says why."""
    import numpy as np

    from abcresearch.reports.sections import welfare

    monkeypatch.setattr(welfare, "share_mask", lambda counts, *a, **k: np.ones(len(counts), bool))
    # a report of its own: the section is made once per report, and the module's report has
    # made it already (its summary page quotes it)
    alone = AreaReport.load(alone.area.code, 2549, store=alone.store)
    res = alone.welfare_fund()
    assert alone.t("welfare.alone_no_projection", threshold=alone.threshold) in res.text
    assert not any(e.name.startswith("projection.") for e in res.published)


def test_an_amphoe_alone_in_its_store_is_said_to_be_so(sample_store) -> None:
    """The sample store holds amphoe 8015 only: its report says it cannot be compared with the
    province (not "with its amphoe and province", which is itself)."""
    rep = AreaReport.load("8015", 2549, store=sample_store)
    found = rep.key_findings().findings
    assert rep.t("find.alone.amphoe", area=rep.area_name()) in found
    assert rep.t("find.alone", area=rep.area_name()) not in found
