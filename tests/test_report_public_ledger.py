"""The welfare-fund and readiness sections write their public figures through the ledger.

Village-form figures, ``params/`` figures, years and what is computed from them alone are
printed exactly as the section's ledger records them (``Published`` entries of kind
``"public"``); the welfare section's roster age structure and the projection figures resting on
it are ``"other"`` entries. Part 2 of the welfare section (who the funds reach, design-based
shares) is left out here: it goes through the suppression pattern.
"""

from __future__ import annotations

import re

import pytest

from abcresearch.reports.area import AreaReport
from abcresearch.reports.render import TABLE_MIME
from abcresearch.reports.sections.welfare import load_welfare_rules

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
#: "× 100" in the funds table's note, "t = 1…Y" in the projection's formula
_FIXED = {"1", "100"}


@pytest.fixture(scope="module")
def reports(sample_store) -> dict[str, object]:
    from abcresearch.reports.province import ProvinceReport

    out: dict[str, object] = {code: AreaReport.load(code, 2549, store=sample_store)
                              for code in ("80150101", "801501", "8015")}
    out["80"] = ProvinceReport.load("80", 2549, store=sample_store)
    return out


def _tables(res) -> list[dict]:
    return [b[TABLE_MIME] for b in res.bundles() if TABLE_MIME in b]


def _unrecorded(pieces: list[str], res) -> list[tuple[str, str]]:
    texts = {t for e in res.published for t in e.texts()}
    return [(tok, p[:60]) for p in pieces for tok in _NUMBER.findall(p)
            if tok not in texts and tok not in _FIXED]


@pytest.mark.parametrize("code", ["80150101", "801501", "8015", "80"])
def test_welfare_prints_its_public_figures_exactly_as_recorded(reports, code) -> None:
    report = reports[code]
    t = report.t
    res = report.welfare_fund()
    reach_caption = t("welfare.caption.reach")
    reach_line = t("welfare.reach", share="0.0", interval="").split("0.0")[0]
    pieces = [line for line in res.text.splitlines() if not line.startswith(reach_line)]
    tables = [s for s in _tables(res) if s["caption"] != reach_caption]
    assert len(tables) == (2 if code == "80150101" else 5)
    for spec in tables:
        skip = 0 if spec["caption"] == t("welfare.caption.funds") else None  # area names
        pieces += [c for row in spec["rows"] for j, c in enumerate(row)
                   if c is not None and j != skip]
        pieces += [spec["caption"] or "", spec["notes"] or ""]
    assert _unrecorded(pieces, res) == []
    others = {e.name for e in res.published if e.kind == "other"}
    ages = {n for n in others if n.startswith("welfare.age_share[")}
    if code != "80150101":  # the roster age shares, b and what rests on b
        assert len(ages) == len(load_welfare_rules().age_groups) + 1  # and their total
        assert {"projection payouts B_t", "projection fund F_t"} <= others
    else:  # a village report has no projection
        assert ages == set()


def test_welfare_village_form_figures_are_public_and_named(reports) -> None:
    res = reports["801501"].welfare_fund()
    public = [e for e in res.published if e.kind == "public"]
    names = {e.name for e in public}
    assert {"village_forms.vil_population", "village_forms.members_per_100_people",
            "programme.nhso_per_person", "projection year (round + t)",
            "label welfare.notes.programme"} <= names
    # each entry's value is its printed text read back (commas dropped)
    assert all(e.value == float(e.text.replace(",", "")) for e in public)
    total = res.details["totals"]
    pop = [e for e in public if e.name == "village_forms.vil_population" and e.area == "801501"]
    assert pop and all(e.value == total["vil_population"] for e in pop)


def test_readiness_ranking_and_lift_numbers_are_recorded(reports) -> None:
    report = reports["801501"]
    res = report.readiness()
    t = report.t
    org = next(s for s in _tables(res) if s["caption"] == t("readiness.org.caption"))
    numeric = [j for j, a in enumerate(org["align"]) if a == "right"]
    pieces = [row[j] for row in org["rows"] for j in numeric if row[j] is not None]
    # the tambon's own row writes its kinds of groups and master plans in words
    whole = org["rows"][-1]
    assert whole[1] == t("row.total")
    pieces += [c for j, c in enumerate(whole) if j not in numeric and j != 1 and c]
    assert any(j not in numeric and c and _NUMBER.search(c) for j, c in enumerate(whole))
    # the conditions are numbered ("1. "): the list's numbers are not figures
    lift = [re.sub(r"^\d+\. ", "", line) for line in res.text.splitlines()
            if re.match(r"\d+\. ", line)]
    assert lift, "the sample tambon has conditions to meet"
    texts = {e.text for e in res.published}
    missing = [(tok, p) for p in pieces + lift for tok in _NUMBER.findall(p) if tok not in texts]
    assert missing == []
    assert {e.name for e in res.published if e.kind == "public"} >= {"org_rank", "org_strength"}


def test_province_ranking_records_only_the_rows_it_prints(reports) -> None:
    overview = reports["80"]
    full = overview.readiness(limit=None)
    one = overview.readiness(limit=1)

    def ranked(res) -> int:
        return sum(e.name == "org_strength" for e in res.published)

    assert ranked(one) == 1 < ranked(full)
