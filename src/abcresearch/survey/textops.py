"""Vectorised text checks on pandas Series through Arrow compute (RE2 regexes, set membership).

Shared by the validation rules and the pseudonymiser; milliseconds for a province where the
pandas string methods loop in Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
"""``str.translate`` table: Thai digits to ASCII digits (one character for one)."""


def matches(s: pd.Series, pattern: str) -> np.ndarray:
    """Return a bool array: where the text matches the regex ``pattern`` (RE2, vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.astype("str").array)
    hit = pc.match_substring_regex(arr, pattern)
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def isin(values: pd.Series, allowed: Any) -> np.ndarray:
    """Return a bool array: where ``values`` is one of ``allowed`` (missing values: False).

    For text, pandas' ``Series.isin`` on Arrow-backed strings loops in Python over ``allowed``
    (seconds for a province); this hands both to Arrow's ``is_in`` (milliseconds).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(allowed, (set, frozenset)):
        allowed = list(allowed)
    allowed = pd.Series(allowed, dtype="str") if not isinstance(allowed, pd.Series) else \
        allowed.astype("str")
    arr = pa.array(values.astype("str").array)
    vals = pa.array(allowed.dropna().astype("str").array)
    if not len(vals):
        return np.zeros(len(values), dtype=bool)
    hit = pc.is_in(arr, value_set=vals, skip_nulls=True)
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)
