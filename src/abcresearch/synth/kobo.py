"""Format a generated population as KoboToolbox "XML values and headers" export tables.

Every column becomes an object array of strings in the export's order: questions under their
group headers (``hh/head_age``), select_multiple answers as space-separated choice names plus
one ``0``/``1`` dummy column per option, blanks as empty strings, then Kobo's meta columns
(``_id``, ``_uuid``, ``_submission_time``...). The roster (``member``) links to the household
by ``_parent_index`` = the household's ``_index``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from abcresearch.survey import instrument
from abcresearch.synth.population import Population

__all__ = ["Table", "add_question", "answer_values", "choice_names", "dates", "fmt_dec",
           "fmt_int", "household_table", "household_values", "iso_local", "member_table",
           "select_multiple_text", "select_one_text", "timestamps", "uuid_strings",
           "version_string", "village_table"]

_SMALL_INTS = np.array([str(i) for i in range(1000)], dtype=object)
_CLOCK = np.array([f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60)
                   for s in range(60)], dtype=object)


def fmt_int(x: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """Integers as strings; small ones share cached string objects (memory)."""
    v = np.nan_to_num(np.asarray(x, dtype=np.float64)).astype(np.int64)
    small = (v >= 0) & (v < 1000)
    if small.all():
        out = _SMALL_INTS[v]
    else:
        out = np.empty(len(v), dtype=object)
        out[small] = _SMALL_INTS[v[small]]
        out[~small] = list(map(str, v[~small].tolist()))
    if missing is not None:
        out[missing] = ""
    return out


def fmt_dec(x: np.ndarray) -> np.ndarray:
    """Decimals as Kobo writes them: integers without a decimal point, else shortest form."""
    miss = np.isnan(x)
    v = np.nan_to_num(x)
    whole = v == np.round(v)
    out = fmt_int(np.where(whole, v, 0))
    out[~whole] = [f"{f:g}" for f in v[~whole].tolist()]
    out[miss] = ""
    return out


class Table:
    """Columns of one export table as object arrays of strings, in order.

    Parameters
    ----------
    n : int
        Rows.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.cols: dict[str, np.ndarray] = {}
        self.numeric: set[str] = set()

    def add(self, header: str, values: np.ndarray, numeric: bool = False) -> None:
        """Append a column (``numeric``: written as a number in XLSX)."""
        if len(values) != self.n:
            raise RuntimeError(f"synth: column {header} has {len(values)} rows, not {self.n}")
        self.cols[header] = values
        if numeric:
            self.numeric.add(header)


def choice_names(list_name: str, form: str) -> np.ndarray:
    """Choice names of a list, with ``""`` appended (index -1 or len: blank)."""
    return np.array(list(instrument.choices(list_name, form)["name"]) + [""], dtype=object)


def select_multiple_text(value: Any, names_: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (space-separated choice names, option matrix incl. an implied ``none``)."""
    mat = np.asarray(value, dtype=bool)
    if "none" in names_ and mat.shape[1] == len(names_) - 1:
        mat = np.column_stack([mat, ~mat.any(axis=1)])
    k = mat.shape[1]
    if k != len(names_):
        raise RuntimeError(f"synth: {k} options drawn, the list has {len(names_)}")
    code = (mat.astype(np.int64) << np.arange(k)).sum(axis=1)
    table = np.array([" ".join(nm for b, nm in enumerate(names_) if c >> b & 1)
                      for c in range(1 << k)], dtype=object)
    return table[code], mat


def select_one_text(value: Any, names_: np.ndarray, miss: np.ndarray) -> np.ndarray:
    """Choice names of select_one codes (bool: yes = 0, no = 1); blank where missing or < 0."""
    codes = np.asarray(value)
    if codes.dtype == bool:  # yes/no
        codes = np.where(codes, 0, 1)
    codes = np.where(miss | (codes < 0), len(names_) - 1, codes)
    return names_[codes]


def add_question(t: Table, q: pd.Series, value: Any, form: str,
                 missing: np.ndarray | None) -> None:
    """Format one question (and its select_multiple dummies) into ``t``."""
    n = t.n
    miss = np.zeros(n, dtype=bool) if missing is None else missing
    typ = q["type"]
    if typ == "select_one":
        t.add(q["header"], select_one_text(value, choice_names(q["list_name"], form), miss))
    elif typ == "select_multiple":
        names_ = list(instrument.choices(q["list_name"], form)["name"])
        try:
            main, mat = select_multiple_text(value, names_)
        except RuntimeError as exc:
            raise RuntimeError(f"synth: {q['name']}: {exc}") from None
        main[miss] = ""
        t.add(q["header"], main)
        for b, nm in enumerate(names_):
            col = np.where(mat[:, b], "1", "0").astype(object)
            col[miss] = ""
            t.add(f"{q['header']}/{nm}", col, numeric=True)
    elif typ == "integer":
        v = np.asarray(value, dtype=np.float64)
        t.add(q["header"], fmt_int(v, miss | np.isnan(v)), numeric=True)
    elif typ == "decimal":
        v = np.asarray(value, dtype=np.float64).copy()
        v[miss] = np.nan
        t.add(q["header"], fmt_dec(v), numeric=True)
    else:
        v = np.asarray(value, dtype=object).copy()
        v[miss] = ""
        t.add(q["header"], v)


def dates(day: np.ndarray) -> np.ndarray:
    """Days since 1970 to ``YYYY-MM-DD`` strings (one strftime per distinct day)."""
    uniq, inv = np.unique(day, return_inverse=True)
    tab = np.asarray(pd.to_datetime(uniq, unit="D").strftime("%Y-%m-%d"), dtype=object)
    return tab[inv.reshape(-1)]


def timestamps(sec: np.ndarray, suffix: str = "") -> np.ndarray:
    """Seconds since 1970 to ``YYYY-MM-DDTHH:MM:SS`` + suffix."""
    sec = np.asarray(sec, dtype=np.int64)
    day, sod = np.divmod(sec, 86400)
    return dates(day) + ("T" + _CLOCK[sod]) + suffix


def iso_local(sec: np.ndarray) -> np.ndarray:
    """Seconds since 1970 (local +07:00 wall time) to Kobo start/end strings."""
    return timestamps(sec, ".000+07:00")


def uuid_strings(bits: np.ndarray) -> np.ndarray:
    """Two uint64 per row to uuid4 strings (version and variant bits set)."""
    a = (bits[:, 0] & np.uint64(0xFFFFFFFFFFFF0FFF)) | np.uint64(0x4000)
    b = (bits[:, 1] & np.uint64(0x3FFFFFFFFFFFFFFF)) | np.uint64(0x8000000000000000)
    out = []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        h = f"{x:016x}{y:016x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return np.array(out, dtype=object)


def version_string(form_version: str, survey_round: int) -> str:
    """Kobo's ``__version__`` string of a form deployment (fixed per round)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    rng = np.random.default_rng([int(survey_round), sum(form_version.encode())])
    return "v" + "".join(alphabet[i] for i in rng.integers(0, len(alphabet), 22))


def answer_values(pop: Population) -> dict[str, Any]:
    """Coded answers of the household form (no names, IDs, phones or times), by question name."""
    hh = pop.households
    return {
        "consent": np.zeros(pop.n_households, dtype=np.int16),
        "head_sex": np.where(hh["head_male"], 0, 1), "head_age": hh["head_age"],
        "hh_size": hh["hh_size"], "hum_edu_head": hh["head_edu"],
        "hum_working_age": hh["working_age"], "hum_chronic_ill": hh["chronic_ill"],
        "hum_disabled": hh["disabled"], **pop.items,
    }


def household_values(pop: Population) -> dict[str, Any]:
    """Answers of every household-form question (before formatting), by question name."""
    hh = pop.households
    d = pop.draws
    t = pop.times
    return {
        "start": iso_local(t["start"]), "end": iso_local(t["end"]),
        "village_code": pop.frame["village_code"].to_numpy()[d.vidx],
        "interview_date": np.asarray(dates(t["day"]), dtype=object),
        "head_name": hh["head_name"],
        "head_pid": np.array(list(map(str, hh["head_pid"].tolist())), dtype=object),
        "phone": np.array(["0" + p for p in map(str, hh["phone"].tolist())], dtype=object),
        **answer_values(pop),
    }


def household_table(pop: Population) -> Table:
    """Return the household sheet: questions, then Kobo's meta columns."""
    d = pop.draws
    n = pop.n_households
    survey_round = pop.survey_round
    hform = instrument.load_form("household")
    cb = instrument.codebook("households")
    values = household_values(pop)
    ht = Table(n)
    for q in cb.itertuples(index=False):
        add_question(ht, pd.Series(q._asdict()), values[q.name], "household",
                     pop.missing.get(q.name))
    del values
    index = np.arange(1, n + 1)
    hid = 10_000_000 * (survey_round - 2540) + index
    enum_no = pop.frame["tambon_code"].str.slice(2).to_numpy()[d.vidx]
    ht.add("_id", fmt_int(hid), numeric=True)
    ht.add("_uuid", uuid_strings(d.uuids))
    ht.add("_submission_time", timestamps(pop.times["submitted"]))
    ht.add("_validation_status", np.full(n, "", dtype=object))
    ht.add("_status", np.full(n, "submitted_via_web", dtype=object))
    ht.add("_submitted_by", np.array([f"abc_enum{e}" for e in enum_no], dtype=object))
    ht.add("__version__", np.full(n, version_string(hform.version, survey_round), dtype=object))
    ht.add("_index", fmt_int(index), numeric=True)
    return ht


def member_table(pop: Population, ht: Table) -> Table:
    """Return the roster sheet, linked to the household sheet ``ht``.

    Also holds ``_pid_all`` (every member's ID, for error injection; never written).
    """
    members = pop.members
    hform = instrument.load_form("household")
    mcb = instrument.codebook("members")
    r = members["hh_row"]
    nm = len(r)
    pid_s = np.array(list(map(str, members["m_pid"].tolist())), dtype=object)
    mvals = {"m_name": members["m_name"], "m_pid": pid_s,
             "m_relation": members["m_relation"], "m_sex": members["m_sex"],
             "m_age": members["m_age"], "m_edu": members["m_edu"],
             "m_occupation": members["m_occupation"], "m_health": members["m_health"]}
    mmiss = {"m_pid": members["m_pid_missing"]}
    mt = Table(nm)
    for q in mcb.itertuples(index=False):
        add_question(mt, pd.Series(q._asdict()), mvals[q.name], "household", mmiss.get(q.name))
    mt.add("_index", fmt_int(np.arange(1, nm + 1)), numeric=True)
    mt.add("_parent_table_name", np.full(nm, hform.title, dtype=object))
    mt.add("_parent_index", ht.cols["_index"][r].copy(), numeric=True)
    mt.add("_submission__id", ht.cols["_id"][r].copy(), numeric=True)
    mt.add("_submission__uuid", ht.cols["_uuid"][r].copy())
    mt.add("_submission__submission_time", ht.cols["_submission_time"][r].copy())
    mt.cols["_pid_all"] = pid_s  # for error injection only; never written
    return mt


def village_table(pop: Population) -> Table:
    """Return the village sheet: questions, then Kobo's meta columns."""
    survey_round = pop.survey_round
    nv = len(pop.frame)
    vcb = instrument.codebook("villages")
    vt_ = pop.village_times
    vvalues = {"start": iso_local(vt_["start"]), "end": iso_local(vt_["end"]),
               "survey_date": dates(vt_["day"]), **pop.village_values}
    vt = Table(nv)
    for q in vcb.itertuples(index=False):
        add_question(vt, pd.Series(q._asdict()), vvalues[q.name], "village",
                     pop.village_missing.get(q.name))
    vindex = np.arange(1, nv + 1)
    vt.add("_id", fmt_int(10_000_000 * (survey_round - 2540) + 5_000_000 + vindex), numeric=True)
    vt.add("_uuid", uuid_strings(pop.draws.vuuid))
    vt.add("_submission_time", timestamps(vt_["submitted"]))
    vt.add("_index", fmt_int(vindex), numeric=True)
    return vt
