"""Personal data: keyed pseudonyms, national-ID checks and a scanner for leaked identifiers.

Names, phone numbers and national IDs never reach the analysis store. National IDs are replaced
by a keyed pseudonym (HMAC-SHA256 with a project secret), which stays stable across rounds so
that households can be matched between rounds; names and phones are dropped. A plain hash would
not do: there are fewer than 10^12 valid IDs, so an unkeyed hash is reversed by brute force in
hours.

The key comes from, in order:

1. ``ABCRESEARCH_KEY`` (hex digits, read as bytes; any other text, read as UTF-8);
2. the key file named by ``ABCRESEARCH_KEY_FILE``;
3. ``~/.config/abcresearch/pseudonym.key``, created with mode 0600 from
   :func:`secrets.token_bytes` on first use.

The key is never written into the store, a report or a log.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch.errors import InputError

#: Environment variable holding the key itself.
KEY_ENV = "ABCRESEARCH_KEY"
#: Environment variable naming the key file.
KEY_FILE_ENV = "ABCRESEARCH_KEY_FILE"
#: Length of a pseudonym in hex characters (128 bits).
PSEUDONYM_HEX = 32
#: What replaces a removed personal value in reject files and issue tables.
REMOVED = "<removed>"
#: What replaces a personal value shown in an issue table.
MASKED = "<masked>"

_HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{2}){16,}$")
_WEIGHTS = np.arange(13, 1, -1, dtype=np.int64)
# 13 digits, optionally in the printed 1-2345-67890-12-3 layout, not inside a longer token.
_PID_RE = re.compile(r"(?<![0-9A-Za-z.])(\d(?:[- ]?\d){12})(?![0-9A-Za-z])")
# Thai phone numbers: mobiles 0[6-9]x-xxx-xxxx (10 digits), land lines 0[2-7]x-xxx-xxx (9 digits),
# optionally with +66 instead of the leading 0.
_PHONE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:0|\+66[- ]?)(?:[689]\d[- ]?\d{3}[- ]?\d{4}|[2-7][- ]?\d{3}[- ]?\d{4})"
    r"(?![0-9A-Za-z])")


def default_key_file() -> Path:
    """Return the key file: ``$ABCRESEARCH_KEY_FILE`` or ``~/.config/abcresearch/pseudonym.key``."""
    env = os.environ.get(KEY_FILE_ENV)
    if env:
        return Path(env).expanduser()
    return Path.home() / ".config" / "abcresearch" / "pseudonym.key"


def _decode_key(raw: str | bytes) -> bytes:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.strip()
    if _HEX_RE.match(text):
        return bytes.fromhex(text)
    if isinstance(raw, bytes) and not text.isprintable():
        return raw
    return text.encode("utf-8")


def load_key(create: bool = True) -> bytes:
    """Return the pseudonymisation key.

    Parameters
    ----------
    create : bool
        Create the default key file (mode 0600, 32 random bytes as hex) when no key exists.

    Returns
    -------
    bytes
        The key.

    Raises
    ------
    InputError
        When no key is configured and ``create`` is false, or the key is empty.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        if not env.strip():
            raise InputError(f"the environment variable {KEY_ENV} is set but empty")
        return _decode_key(env)
    path = default_key_file()
    if path.exists():
        key = _decode_key(path.read_bytes())
        if not key:
            raise InputError(f"the pseudonymisation key file {path} is empty")
        return key
    if not create:
        raise InputError(f"no pseudonymisation key: set {KEY_ENV} or create {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_bytes(32).hex() + "\n")
    return _decode_key(path.read_bytes())


def normalise_pid(values: pd.Series) -> pd.Series:
    """Return national IDs as 13 ASCII digits: Thai digits translated, spaces and dashes removed.

    Missing values stay missing; anything else is returned as cleaned text (it may still be
    invalid).
    """
    from abcresearch.survey.validate import matches

    s = values.astype("str")
    thai = matches(s, "[๐-๙]")
    if thai.any():
        s = s.copy()
        s[thai] = s[thai].str.translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))
    sep = matches(s, r"[\s\-]")
    if sep.any():
        s = s.copy()
        s[sep] = s[sep].str.replace(r"[\s\-]", "", regex=True)
    return s


def pid_is_valid(values: pd.Series) -> pd.Series:
    """Vectorised Thai national-ID check (13 digits, check digit); same answer as stdnum.

    Parameters
    ----------
    values : pandas.Series
        Normalised IDs (see :func:`normalise_pid`).

    Returns
    -------
    pandas.Series of bool
        True where the value is 13 digits with a correct check digit; False otherwise (also for
        missing values).
    """
    s = values.astype("str")
    shape = s.str.fullmatch(r"[0-9]{13}").fillna(False).to_numpy(dtype=bool)
    out = np.zeros(len(s), dtype=bool)
    if shape.any():
        joined = "".join(s[shape].tolist()).encode("ascii")
        digits = (np.frombuffer(joined, dtype=np.uint8).reshape(-1, 13) - 48).astype(np.int64)
        check = (11 - (digits[:, :12] @ _WEIGHTS) % 11) % 10
        out[shape] = check == digits[:, 12]
    return pd.Series(out, index=values.index)


def pseudonymise(values: pd.Series, key: bytes | None = None, namespace: str = "pid") -> pd.Series:
    """Replace values by keyed pseudonyms (HMAC-SHA256, first 32 hex digits).

    The same value and key always give the same pseudonym, so pseudonyms of national IDs match
    across rounds. Missing values stay missing.

    Parameters
    ----------
    values : pandas.Series
        Values to pseudonymise (already normalised, e.g. by :func:`normalise_pid`).
    key : bytes, optional
        The key; :func:`load_key` by default.
    namespace : str
        Mixed into the message so that pseudonyms of different kinds of value differ.

    Returns
    -------
    pandas.Series
        Pseudonyms as strings, same index.
    """
    key = load_key() if key is None else key
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    prefix = f"{namespace}:".encode()
    digest = hmac.digest
    digests = np.array(
        [digest(key, prefix + u.encode("utf-8"), "sha256").hex()[:PSEUDONYM_HEX]
         for u in np.asarray(uniques, dtype=object).astype(str).tolist()] + [None], dtype=object)
    out = digests[codes]  # code -1 picks the trailing None
    return pd.Series(out, index=values.index, dtype="str")


def _texts(obj: object) -> Iterable[str]:
    if isinstance(obj, bytes):
        yield obj.decode("utf-8", "replace")
    elif isinstance(obj, str):
        yield obj
    elif isinstance(obj, pd.DataFrame):
        yield "\t".join(map(str, obj.columns))
        for col in obj.columns:
            yield from _texts(obj[col])
    elif isinstance(obj, pd.Series):
        if obj.dtype == "str" or obj.dtype == object:
            vals = obj.dropna().astype(str).unique()
            yield "\n".join(vals)
        elif pd.api.types.is_integer_dtype(obj.dtype):
            # a national ID or phone stored as a number
            yield "\n".join(obj.dropna().astype("int64").astype(str).unique())
    else:
        yield str(obj)


def find_personal_data(obj: object, names: Iterable[str] = ()) -> list[str]:
    """Find national IDs (valid check digit), Thai phone numbers and given names in data or text.

    Parameters
    ----------
    obj : DataFrame, Series, str or bytes
        What to scan. For frames, text and integer columns are scanned.
    names : iterable of str
        Names (e.g. the respondents' names from the raw export) that must not appear.

    Returns
    -------
    list of str
        One description per finding, with the found value masked except its last two
        characters.
    """
    from stdnum.th import pin

    findings: list[str] = []
    name_set = {n.strip() for n in names if n and n.strip()}
    for text in _texts(obj):
        for m in _PID_RE.finditer(text):
            if pin.is_valid(m.group(1)):
                findings.append(f"national ID …{m.group(1)[-2:]}")
        for m in _PHONE_RE.finditer(text):
            findings.append(f"phone number …{m.group(0)[-2:]}")
        for name in name_set:
            if name in text:
                findings.append(f"name …{name[-2:]}")
    return findings


def assert_no_personal_data(obj: object, names: Iterable[str] = ()) -> None:
    """Raise AssertionError when :func:`find_personal_data` finds anything.

    Meant for tests and release checks of stores, reports and logs.
    """
    findings = find_personal_data(obj, names)
    if findings:
        shown = ", ".join(findings[:5])
        raise AssertionError(f"personal data found ({len(findings)} findings): {shown}")


def suppress_small_cells(counts: pd.Series | pd.DataFrame,
                         threshold: int = 5) -> pd.DataFrame | pd.Series:
    """Primary suppression only: counts of 1 to ``threshold - 1`` become NA (zeros are kept).

    Secondary suppression comes with the reporting issue.
    """
    return counts.mask((counts > 0) & (counts < threshold))
