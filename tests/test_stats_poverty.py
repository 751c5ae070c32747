"""BMN income headcount: line lookup from params/poverty_lines.yaml and estimation."""

from __future__ import annotations

import numpy as np
import pytest
from reference.stats_helpers import design

from abcresearch.errors import AbcResearchWarning, ParamsError
from abcresearch.stats.poverty import headcount, load_poverty_lines, poverty_line


def test_lines_file_loads_and_2560s_is_verified() -> None:
    """The shipped file is valid; 2560-2564 is 38,000 and verified (CDD Surat Thani 2561)."""
    lines = load_poverty_lines()
    assert len(lines) == 5
    ln = poverty_line(2562)
    assert ln.value == 38000 and ln.verified and "p.57" in ln.source
    assert not poverty_line(2547).verified


@pytest.mark.parametrize(("year", "pattern"), [(2565, "covered years"), (2021, "Buddhist-era")])
def test_line_lookup_errors(year: int, pattern: str) -> None:
    """Uncovered or CE years are ParamsErrors that say what is expected."""
    with pytest.raises(ParamsError, match=pattern):
        poverty_line(year)


def test_bad_lines_file_lists_every_problem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A broken file reports all problems in one error."""
    p = tmp_path / "lines.yaml"
    p.write_text("lines:\n  - year: [2560, 2564]\n    value: -1\n    source: x\n"
                 "    verified: true\n  - year: 2565\n    value: 1\n    source: x\n"
                 "    verified: true\n", encoding="utf-8")
    with pytest.raises(ParamsError) as exc:
        load_poverty_lines(p)
    assert "lines[1]" in str(exc.value) and "lines[2]" in str(exc.value)


def test_household_headcount_equals_ciprop_of_indicator() -> None:
    """Household share below 38,000/person equals ciprop of the hand-made indicator."""
    d = design("hh")
    res = headcount(d, "income", "members", 2562, by="tambon")
    data = d.data
    ind = np.where(data["income"].isna(), np.nan,
                   (data["income"] / data["members"] < 38000).astype(float))
    want = d.with_columns(poor=ind).ciprop("poor", by="tambon", na_rm=True)
    assert np.allclose(res[["estimate", "se", "ci_low", "ci_high"]].to_numpy(),
                       want[["estimate", "se", "ci_low", "ci_high"]].to_numpy(), rtol=1e-12)
    assert res.attrs["poverty_line"] == 38000 and res.attrs["line_verified"]


def test_person_headcount_is_member_weighted_ratio() -> None:
    """Person share = sum(w m poor) / sum(w m)."""
    d = design("hh")
    res = headcount(d, "income", "members", 2560, unit="person").iloc[0]
    data = d.data.dropna(subset=["income"])
    w = data["weight"] * data["members"]
    poor = data["income"] / data["members"] < 38000
    assert res["estimate"] == pytest.approx((w * poor).sum() / w.sum())


def test_unverified_line_warns() -> None:
    """Using an unverified line (2566-2570) warns."""
    with pytest.warns(AbcResearchWarning, match="not verified"):
        res = headcount(design("hh"), "income", "members", 2567)
    assert res.attrs["poverty_line"] == 40000
