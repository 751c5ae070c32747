"""Ingest killed at random points: the store is always the old or the new round (issue 9)."""

from __future__ import annotations

from fault_injection import run


def test_killed_ingests_leave_the_old_or_the_new_round_never_half(tmp_path):
    out = run(runs=4, seed=3, work=tmp_path)
    assert not out.problems, out.problems
    assert out.runs == 4 and out.old + out.new == 4
    assert out.finished < out.runs  # the kills did interrupt ingests
