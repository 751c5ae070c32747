"""Scoring schemes: both shipped schemes load; invalid schemes name every problem."""

from __future__ import annotations

import copy

import pytest
import yaml

from abcresearch.errors import ParamsError
from abcresearch.paths import params_dir
from abcresearch.scoring import available_schemes, load_scheme
from abcresearch.scoring.scheme_file import parse_scheme


def _raw() -> dict:
    return yaml.safe_load((params_dir() / "scoring.yaml").read_text(encoding="utf-8"))


def test_default_scheme_has_seven_capitals_and_weights_add_up():
    s = load_scheme()
    assert s.capital_ids == ("human", "physical", "financial", "social", "cultural", "wisdom",
                             "natural")
    for cap in s.capitals:
        assert sum(r.weight for r in cap.items) == pytest.approx(1.0)
    assert sum(s.af_weights.values()) == pytest.approx(1.0)
    assert s.af_k == pytest.approx(1 / 3)
    assert s.level_label(1, "en").startswith("Level 1: basic needs")
    assert s.track_label("enterprise", "th")


def test_religion_is_never_scored_and_items_match_instrument():
    from abcresearch.survey.instrument import capital_items

    s = load_scheme()
    names = {r.item for r in s.items}
    assert "cul_religion" not in names
    inst = {i for items in capital_items().values() for i in items}
    assert names <= inst


def test_alternative_scheme_is_swappable():
    assert {"scoring", "scoring_slf5"} <= set(available_schemes())
    s = load_scheme("slf5")
    assert s.scheme_id == "slf5_equal"
    assert s.capital_ids == ("human", "physical", "financial", "social", "natural")
    human = s.capital("human")
    assert [r.weight for r in human.items] == pytest.approx([1 / 15] * 15)


def test_invalid_scheme_names_every_problem():
    raw = _raw()
    bad = copy.deepcopy(raw)
    hum = bad["capitals"]["human"]["items"]
    hum[0]["item"] = "hum_nonexistent"                       # unknown item
    hum[1]["weight"] = 0.5                                     # weights no longer add up
    bad["capitals"]["cultural"]["items"].append(
        {"item": "cul_religion", "weight": 0.1, "rule": "map", "map": {"buddhist": 1}})
    bad["levels"]["bands"] = [[1, 0, 45], [2, 40, 70], [3, 70, 100]]   # overlap
    bad["capitals"]["physical"]["items"][2]["map"].pop("makeshift")    # unmapped choice
    fd = next(i for i in bad["capitals"]["financial"]["items"] if i["item"] == "fin_debt")
    fd.pop("if_not_relevant")                                          # skip logic unhandled
    bad["capitals"]["social"]["items"][0]["rule"] = "quadratic"        # unknown rule
    with pytest.raises(ParamsError) as exc:
        parse_scheme(bad)
    msg = str(exc.value)
    for part in ("unknown item 'hum_nonexistent'", "sensitive", "overlap",
                 "does not score choices ['makeshift']", "if_not_relevant",
                 "unknown rule kind 'quadratic'"):
        assert part in msg, part
    # the weight problem is reported for a capital whose items all parsed
    bad2 = copy.deepcopy(raw)
    bad2["capitals"]["human"]["items"][1]["weight"] = 0.5
    with pytest.raises(ParamsError, match=r"human: item weights add up to 1.4, not 1"):
        parse_scheme(bad2)


def test_gap_in_bands_and_bad_overall_rule():
    bad = _raw()
    bad["levels"]["bands"] = [[1, 0, 40], [2, 45, 70], [3, 70, 100]]
    bad["overall_level"]["rules"] = [{"level": 1, "any": [{"any_of": ["money"], "at_level": 1}]}]
    with pytest.raises(ParamsError) as exc:
        parse_scheme(bad)
    msg = str(exc.value)
    assert "gap between levels 1 and 2" in msg
    assert "unknown capitals ['money']" in msg
    assert "otherwise" in msg


def test_unknown_scheme_name():
    with pytest.raises(ParamsError, match="not found"):
        load_scheme("no_such_scheme")
