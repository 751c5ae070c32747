"""Realistic data-entry errors injected into the export tables (and listed as ground truth).

Household rows get out-of-range numbers, unknown choices, blanks in required questions, invalid
national IDs, unknown village codes, duplicated submission uuids and Thai digits (valid but
unusual); roster rows orphan parents, out-of-range ages, unknown relations and invalid IDs;
village rows out-of-range counts and unknown choices. Each injected error is one record of
``_truth/injected_errors.csv``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from abcresearch.synth.kobo import Table, uuid_strings

__all__ = ["ERROR_COLUMNS", "HH_KINDS", "MEMBER_KINDS", "VILLAGE_KINDS", "corrupt_pid", "inject"]

HH_KINDS = ("out_of_range", "bad_choice", "missing_required", "invalid_pid", "unknown_village",
            "duplicate_uuid", "thai_digits")
MEMBER_KINDS = ("orphan_parent", "out_of_range", "bad_choice", "invalid_pid")
VILLAGE_KINDS = ("out_of_range", "bad_choice")
#: Columns of ``_truth/injected_errors.csv``.
ERROR_COLUMNS = ["file", "row", "column", "kind", "original", "value", "valid"]

_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def corrupt_pid(pid: str) -> str:
    """Change the check digit of a national ID so that it no longer validates."""
    return pid[:-1] + str((int(pid[-1]) + 1 + int(pid[-2]) % 8) % 10) if pid else pid


def inject(tables: dict[str, Table], rate: float, seed: int, survey_round: int
           ) -> list[dict[str, Any]]:
    """Modify the tables in place; return one record per injected error.

    Parameters
    ----------
    tables : dict
        ``household``, ``member`` and ``village`` tables (the member table with ``_pid_all``).
    rate : float
        Share of rows per table given an error (at least one of each kind).
    seed, survey_round : int
        Key of the error stream.
    """
    rng = np.random.default_rng([seed, survey_round, 0xE77])
    rec: list[dict[str, Any]] = []

    def rows_for(t: Table, kinds: Sequence[str]) -> list[tuple[int, str]]:
        k = min(t.n, max(len(kinds), int(round(rate * t.n))))
        rows = rng.permutation(t.n)[:k]
        return [(int(r), kinds[i % len(kinds)]) for i, r in enumerate(rows)]

    def put(file: str, t: Table, r: int, col: str, val: str, kind: str, valid: bool = False,
            record: bool = True) -> None:
        old = t.cols[col][r]
        t.cols[col][r] = val
        if record:
            rec.append({"file": file, "row": r + 1, "column": col, "kind": kind,
                        "original": old, "value": val, "valid": valid})

    hh = tables["household"]
    err_rows = rows_for(hh, HH_KINDS)
    hit = {r for r, _ in err_rows}
    uuids_orig = hh.cols["_uuid"].copy()
    for i, (r, kind) in enumerate(err_rows):
        if kind == "out_of_range":
            col, val = [("hh/head_age", "150"), ("human/hum_training", "75"),
                        ("physical/phy_land_rai", "-3"),
                        ("financial/fin_income_year", "25000000"),
                        ("cultural/cul_religious_events", "400")][i % 5]
            put("household", hh, r, col, val, kind)
        elif kind == "bad_choice":
            col, val = [("physical/phy_house", "good"), ("social/soc_forum", "weekly"),
                        ("human/hum_edu_head", "phd")][i % 3]
            put("household", hh, r, col, val, kind)
        elif kind == "missing_required":
            col = ["hh/consent", "hh/interview_date", "hh/head_sex"][i % 3]
            put("household", hh, r, col, "", kind)
        elif kind == "invalid_pid":
            put("household", hh, r, "hh/head_pid", corrupt_pid(hh.cols["hh/head_pid"][r]), kind)
        elif kind == "unknown_village":
            code = hh.cols["hh/village_code"][r]
            put("household", hh, r, "hh/village_code", code[:4] + "99" + code[6:], kind)
        elif kind == "duplicate_uuid":
            src = next((s for s in list(range(r - 1, -1, -1)) + list(range(r + 1, hh.n))
                        if s not in hit), None)
            if src is not None:
                put("household", hh, r, "_uuid", uuids_orig[src], kind)
        elif kind == "thai_digits":
            col = ["hh/head_age", "social/soc_groups", "financial/fin_income_year"][i % 3]
            val = hh.cols[col][r]
            if val:
                put("household", hh, r, col, val.translate(_THAI_DIGITS), kind, valid=True)
    mt = tables["member"]
    for i, (r, kind) in enumerate(rows_for(mt, MEMBER_KINDS)):
        if kind == "orphan_parent":
            put("member", mt, r, "_parent_index", str(hh.n + 1000 + i), kind)
            bits = rng.integers(0, 2**63, size=(1, 2), dtype=np.int64).astype(np.uint64)
            put("member", mt, r, "_submission__uuid", uuid_strings(bits)[0], kind, record=False)
            put("member", mt, r, "_submission__id", str(10**9 + i), kind, record=False)
        elif kind == "out_of_range":
            put("member", mt, r, "member/m_age", "135", kind)
        elif kind == "bad_choice":
            put("member", mt, r, "member/m_relation", "boss", kind)
        elif kind == "invalid_pid":
            pid = mt.cols["member/m_pid"][r] or mt.cols["_pid_all"][r]
            put("member", mt, r, "member/m_pid", corrupt_pid(pid), kind)
    vt = tables["village"]
    for _i, (r, kind) in enumerate(rows_for(vt, VILLAGE_KINDS)):
        if kind == "out_of_range":
            put("village", vt, r, "village/vil_population", "0", kind)
        else:
            put("village", vt, r, "planning/vil_master_plan", "maybe", kind)
    return rec
