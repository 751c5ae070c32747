"""Store tables from validated rows: pseudonymised survey tables, the frame, weights.

The household ``weight`` is the inverse of the household's inclusion probability:

* with a frame (``frame.csv``): ``weight = M / (m * p)``, i.e. 1 / (p * m/M), where ``p`` is
  the village's ``selection_prob``, ``M`` its ``households`` in the frame and ``m`` the valid
  households of the village stored in the round. Households also carry ``stratum`` (the
  frame's, by default the amphoe code), ``village_prob`` (``p``), ``village_households``
  (``M``) and ``stratum_villages`` (villages of the stratum in the frame, sampled or not), the
  columns of a two-stage design with finite population corrections
  (stage 1: villages within strata, fpc ``stratum_villages``; stage 2: households within
  villages, fpc ``village_households``). Households of a village that the frame does not list,
  or lists as not sampled, get no weight (a warning says so).
* without a frame: ``weight = vil_households / m`` from the village form (every village of an
  area taken as surveyed), and none of the frame columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from abcresearch.survey.instrument import codebook
from abcresearch.survey.pseudonyms import pseudonymise
from abcresearch.survey.validate import ValidationReport

#: Columns the frame adds to households (see the module docstring).
FRAME_COLUMNS = ("stratum", "village_prob", "village_households", "stratum_villages")


def area_columns(df: pd.DataFrame, codes: pd.Series) -> None:
    """Add ``village_code``, ``tambon_code``, ``amphoe_code``, ``province_code`` (in place)."""
    codes = codes.astype("str")
    df["village_code"] = codes.to_numpy()
    df["tambon_code"] = codes.str.slice(0, 6).to_numpy()
    df["amphoe_code"] = codes.str.slice(0, 4).to_numpy()
    df["province_code"] = codes.str.slice(0, 2).to_numpy()


def build_tables(report: ValidationReport, survey_round: int,
                 key: bytes) -> dict[str, pd.DataFrame]:
    """Turn validated typed rows into store tables: pseudonymised, with area codes and round.

    The row labels of the validated frames are kept (the ingest uses them to point back to the
    export); reset them before writing.
    """
    out: dict[str, pd.DataFrame] = {}
    drop_meta = ["_index", "_parent_index"]
    hh = report.valid.get("households")
    if hh is not None:
        df = hh.copy(deep=False)
        df["hh_key"] = pseudonymise(df["head_pid"], key) if "head_pid" in df else pd.NA
        area_columns(df, df["village_code"])
        out["households"] = df
    if "members" in report.valid:
        df = report.valid["members"].copy(deep=False)
        df["member_key"] = pseudonymise(df["m_pid"], key) if "m_pid" in df else pd.NA
        order = df.sort_values(["source_file", "source_row"], kind="stable")
        df["member_index"] = (order.groupby("submission_uuid", sort=False).cumcount() + 1
                              ).reindex(df.index).astype("int64")
        village = hh.set_index("submission_uuid")["village_code"] if hh is not None else None
        codes = df["submission_uuid"].map(village) if village is not None else pd.Series(
            pd.NA, index=df.index, dtype="str")
        area_columns(df, codes)
        out["members"] = df
    if "villages" in report.valid:
        df = report.valid["villages"].copy(deep=False)
        area_columns(df, df["village_code"])
        out["villages"] = df
    for table, df in out.items():
        cb = codebook(table)
        personal = [n for n in cb.loc[cb["personal"].isin(["name", "national_id", "phone"]),
                                      "name"] if n in df.columns]
        df = df.drop(columns=personal + [c for c in drop_meta if c in df.columns])
        df["round"] = np.int64(survey_round)
        df["source_row"] = df["source_row"].astype("int64")
        out[table] = df
    return out


def round_table(valid: pd.DataFrame, survey_round: int, extra: Sequence[str] = ()) -> pd.DataFrame:
    """Return a round-wide table (frame, auxiliary) ready for the store.

    Area code columns and ``round`` are added; a blank frame ``stratum`` becomes the amphoe
    code; undeclared numeric columns in ``extra`` become ``float64``.
    """
    df = valid.copy()
    area_columns(df, df["village_code"])
    if "stratum" in df.columns:
        df["stratum"] = df["stratum"].astype("str").where(df["stratum"].notna(),
                                                          df["amphoe_code"])
    for col in extra:
        from abcresearch.survey.validate import ascii_digits

        df[col] = pd.to_numeric(ascii_digits(df[col]).str.strip(), errors="coerce"
                                ).astype("float64")
    df["round"] = np.int64(survey_round)
    df["source_row"] = df["source_row"].astype("int64")
    return df.reset_index(drop=True)


def add_weights(households: pd.DataFrame, villages: pd.DataFrame | None,
                frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Set ``weight`` (and, with a frame, the design columns): see the module docstring.

    Households of a village without a village form (no frame) or outside the sampled frame
    villages get NA.
    """
    households = households.drop(columns=[c for c in FRAME_COLUMNS if c in households.columns])
    n = households.groupby("village_code")["village_code"].transform("size").astype("float64")
    code = households["village_code"]
    if frame is not None and len(frame):
        f = frame.drop_duplicates("village_code", keep="last").set_index("village_code")
        per_stratum = f.groupby("stratum").size()
        big_m = code.map(f["households"]).astype("Float64")
        prob = code.map(f["selection_prob"]).astype("Float64")
        sampled = code.map(f["sampled"]).astype("Float64")
        stratum = code.map(f["stratum"]).astype("str")
        ok = (sampled == 1).fillna(False) & prob.notna() & big_m.notna()
        weight = (big_m / (n * prob)).astype("float64")
        households["weight"] = weight.where(ok.to_numpy(dtype=bool), np.nan)
        households["stratum"] = stratum
        households["village_prob"] = prob.astype("float64")
        households["village_households"] = big_m.round().astype("Int64")
        households["stratum_villages"] = stratum.map(per_stratum).astype("Int64")
    elif villages is not None and len(villages):
        total = villages.drop_duplicates("village_code", keep="last").set_index(
            "village_code")["vil_households"]
        households["weight"] = (code.map(total).astype("Float64") / n).astype("float64")
    else:
        households["weight"] = np.nan
    return households
