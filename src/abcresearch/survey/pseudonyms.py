"""Personal data: keyed pseudonyms, national-ID checks and a scanner for leaked identifiers.

Names, phone numbers and national IDs never reach the analysis store. National IDs are replaced
by a keyed pseudonym (HMAC-SHA256 with a project secret), which stays stable across rounds so
that households can be matched between rounds; names and phones are dropped. A plain hash would
not do: there are fewer than 10^12 valid IDs, so an unkeyed hash is reversed by brute force in
hours.

The key comes from, in order:

1. ``ABCRESEARCH_KEY`` (hex digits, read as bytes; any other text, read as UTF-8);
2. the key file named by ``ABCRESEARCH_KEY_FILE`` (never created: a mistyped path is an error);
3. ``~/.config/abcresearch/pseudonym.key``, created with mode 0600 from
   :func:`secrets.token_bytes` on first use.

Keys shorter than 32 bytes (``params/ingest.yaml``) are refused; a key file that other users may
read gives a warning; an environment variable that looks like a misspelt ``ABCRESEARCH_KEY`` or
``ABCRESEARCH_KEY_FILE`` is an error rather than a reason to create a new key silently. The key
is never written into the store, a report or a log; each round's manifest records only its
:func:`key_fingerprint`, so that a round pseudonymised with another key is noticed.
"""

from __future__ import annotations

import difflib
import hmac
import os
import re
import secrets
import stat
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch.errors import AbcResearchWarning, InputError
from abcresearch.survey.settings import ingest_settings
from abcresearch.survey.textops import THAI_DIGITS, matches

#: Environment variable holding the key itself.
KEY_ENV = "ABCRESEARCH_KEY"
#: Environment variable naming the key file.
KEY_FILE_ENV = "ABCRESEARCH_KEY_FILE"
#: Other environment variables abcresearch reads (not mistaken for a misspelt key variable).
OTHER_ENV = ("ABCRESEARCH_ROOT", "ABCRESEARCH_PARAMS", "ABCRESEARCH_STORE", "ABCRESEARCH_CACHE",
             "ABCRESEARCH_WARM_IMPORTS", "ABCRESEARCH_NO_SERVER")
#: Length of a pseudonym in hex characters (128 bits).
PSEUDONYM_HEX = 32
#: What replaces a removed personal value in reject files and issue tables.
REMOVED = "<removed>"
#: What replaces a personal value shown in an issue table.
MASKED = "<masked>"
#: How to make a good key, quoted in messages.
MAKE_KEY = "python -c \"import secrets; print(secrets.token_hex(32))\" > FILE; chmod 600 FILE"

_HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{2}){16,}$")
_WEIGHTS = np.arange(13, 1, -1, dtype=np.int64)
# 13 digits, optionally in the printed 1-2345-67890-12-3 layout, not inside a longer token.
# National IDs as written: 13 digits together, or in the card's groups 1-4-5-2-1 separated by
# dashes or spaces. (Any single separator between any digits would also match a table row of
# small numbers, e.g. "70 70 0 0 140 30 50", which is 13 digits with spaces.)
_PID_RE = re.compile(r"(?<![0-9A-Za-z.,])(\d{13}|\d([- ])\d{4}\2\d{5}\2\d{2}\2\d)"
                     r"(?![0-9A-Za-z])")
# Thai phone numbers as written: mobiles 08x-xxx-xxxx or 08-xxxx-xxxx (10 digits), Bangkok land
# lines 02-xxx-xxxx and provincial ones 0xx-xxx-xxx (9 digits), optionally with +66 instead of
# the leading 0; not inside a longer number, nor after a number's decimal point (0.0812345678),
# but after a word's dot ("โทร.0812345678"). Only
# these groupings: any grouping would match a table row of small numbers ("0 70 0 140 30").
_PHONE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?<!\d[.,])(?:0|\+66[- ]?)"
    r"(?:[689]\d[- ]?\d{3}[- ]?\d{4}|[689][- ]?\d{4}[- ]?\d{4}"
    r"|2[- ]?\d{3}[- ]?\d{4}|[3-7]\d[- ]?\d{3}[- ]?\d{3})"
    r"(?![0-9A-Za-z])")


class KeyFileWarning(AbcResearchWarning):
    """The pseudonymisation key file can be read by other users."""


class NoKeyError(InputError):
    """No pseudonymisation key is configured (and none was to be created)."""


@dataclass(frozen=True)
class KeyInfo:
    """A pseudonymisation key and where it came from.

    Attributes
    ----------
    key : bytes
        The key (never print it).
    source : str
        Where it came from, for messages (``environment variable ABCRESEARCH_KEY``,
        ``key file /home/u/.config/abcresearch/pseudonym.key``).
    path : Path or None
        The key file, if the key came from one.
    created : bool
        Whether the key file was created by this call.
    notes : tuple of str
        Warnings for people (a key file readable by others, a new key created).
    """

    key: bytes
    source: str
    path: Path | None = None
    created: bool = False
    notes: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint (see :func:`key_fingerprint`)."""
        return key_fingerprint(self.key)


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


def key_fingerprint(key: bytes) -> str:
    """Return a short fingerprint of a key: it tells keys apart but does not reveal the key.

    HMAC-SHA256 of a fixed text under the key, first ``pseudonym_key.fingerprint_hex`` hex
    digits (``params/ingest.yaml``).
    """
    n = ingest_settings().key_fingerprint_hex
    return hmac.digest(key, b"abcresearch key fingerprint v1", "sha256").hex()[:n]


def _check_length(key: bytes, source: str) -> bytes:
    need = ingest_settings().key_min_bytes
    if not key:
        raise InputError(f"the pseudonymisation key from {source} is empty")
    if len(key) < need:
        raise InputError(
            f"the pseudonymisation key from {source} is {len(key)} bytes long but at least "
            f"{need} are needed; make one with {MAKE_KEY}")
    return key


def _misspelt_variables() -> list[str]:
    out = []
    for name in os.environ:
        if name in (KEY_ENV, KEY_FILE_ENV) or name in OTHER_ENV:
            continue
        up = name.upper()
        close = max(difflib.SequenceMatcher(None, up, target).ratio()
                    for target in (KEY_ENV, KEY_FILE_ENV))
        if close >= 0.8 or (up.startswith("ABC") and "KEY" in up):
            out.append(name)
    return sorted(out)


def _permission_note(path: Path) -> tuple[str, ...]:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return ()
    if mode & 0o077:
        return (f"the pseudonymisation key file {path} can be read by other users "
                f"(mode {mode:04o}); run: chmod 600 {path}",)
    return ()


def resolve_key(create: bool = True) -> KeyInfo:
    """Return the pseudonymisation key with where it came from (see the module docstring).

    Parameters
    ----------
    create : bool
        Create the default key file (mode 0600, 32 random bytes as hex) when no key exists.
        A file named by ``ABCRESEARCH_KEY_FILE`` is never created.

    Returns
    -------
    KeyInfo

    Raises
    ------
    InputError
        No key (and ``create`` is false), an empty or too short key, a key file named by
        ``ABCRESEARCH_KEY_FILE`` that does not exist, or a misspelt key variable.
    """
    env = os.environ.get(KEY_ENV)
    if env is not None:
        source = f"the environment variable {KEY_ENV}"
        if not env.strip():
            raise InputError(f"{source} is set but empty")
        return KeyInfo(_check_length(_decode_key(env), source), source)
    named = os.environ.get(KEY_FILE_ENV)
    if named is not None:
        path = Path(named).expanduser()
        if not named.strip() or not path.is_file():
            raise InputError(
                f"the key file named by {KEY_FILE_ENV} ({named}) does not exist; check the "
                f"path (a new key is never made there, so that a typo cannot start a new key), "
                f"or make a key with {MAKE_KEY}")
        source = f"the key file {path}"
        return KeyInfo(_check_length(_decode_key(path.read_bytes()), source), source, path,
                       notes=_permission_note(path))
    wrong = _misspelt_variables()
    if wrong:
        raise InputError(
            f"the environment variable {wrong[0]} is not one abcresearch reads; did you mean "
            f"{KEY_ENV} (the key) or {KEY_FILE_ENV} (its file)? Not knowing which key you "
            f"meant, no key was used or created")
    path = default_key_file()
    if path.exists():
        source = f"the key file {path}"
        return KeyInfo(_check_length(_decode_key(path.read_bytes()), source), source, path,
                       notes=_permission_note(path))
    if not create:
        raise NoKeyError(f"no pseudonymisation key: set {KEY_ENV} or {KEY_FILE_ENV}, or create "
                         f"{path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_bytes(32).hex() + "\n")
    note = (f"a new pseudonymisation key was created in {path}; keep a copy in a safe place: "
            "later rounds can be linked to this one only with the same key")
    return KeyInfo(_decode_key(path.read_bytes()), f"the key file {path}", path, created=True,
                   notes=(note,))


def load_key(create: bool = True) -> bytes:
    """Return the pseudonymisation key (see :func:`resolve_key`).

    A key file readable by other users gives a :class:`KeyFileWarning`.
    """
    info = resolve_key(create)
    for note in info.notes:
        if "other users" in note:
            warnings.warn(note, KeyFileWarning, stacklevel=2)
    return info.key


_DIGIT_RE = re.compile(r"\d")
# 13 digits in the national-ID layout, whatever the check digit (for masking, not for finding),
# also right after a word's dot ("ปชช.1-2345-67890-12-3"), not after a number's ("0.123...").
_PID_ANY_RE = re.compile(r"(?<![0-9A-Za-z])(?<!\d[.,])\d(?:[- .]?\d){12}(?![0-9A-Za-z])")
# Thai phone numbers as people type them into free text (for masking): 9 or 10 digits from a
# leading 0 (or +66), in any grouping of spaces, dashes or dots, the area code perhaps in
# brackets: "08 1234 5678", "(081) 234-5678", "081.234.5678", "+66 81 234 5678".
_PHONE_TEXT_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+66[ .-]?(?:\(0\)[ .-]?)?|\(0|0)(?:\d\)?[ .-]?){7,8}\d(?![0-9A-Za-z])")


def _sub_digits(pattern: re.Pattern[str], text: str) -> str:
    """Replace the matches of ``pattern`` by :data:`MASKED`, Thai digits read as digits."""
    plain = text.translate(THAI_DIGITS)  # one character for one: the spans are the same
    spans = [m.span() for m in pattern.finditer(plain)]
    for start, end in reversed(spans):
        text = text[:start] + MASKED + text[end:]
    return text


_PUNCT = "()[]{}<>.,:;!?\"'“”‘’«»"
# a word of free text: what lies between spaces and punctuation (a title written against a
# name, "ผญบ.ทองใบ", is two words; "นายสมหญิง" is one, and the name is found at its end)
_WORD_RE = re.compile(rf"[^\s{re.escape(_PUNCT)}]+")


class PersonalMasker:
    """Mask what looks like personal data in free text: national IDs, phones and known names.

    Thirteen-digit numbers in the national-ID layout (any check digit) and Thai phone numbers
    become ``<masked>`` wherever they are. Names are the respondents' names from the export
    (head of household, roster, village headman): a run of words equal to one of them becomes
    ``<masked>`` too, so a name typed into the wrong column does not leak.

    Parameters
    ----------
    names : iterable of str
        Names to mask (blank values are ignored; single-word names shorter than 4 characters
        are ignored, as they would mask ordinary words).
    max_words : int, optional
        Longest name, in words (``masking.max_name_words`` of ``params/ingest.yaml``).

    Examples
    --------
    >>> m = PersonalMasker(["สมชาย ใจดี"], max_words=4)
    >>> m.mask("โทร 081-234-5678 คุณ สมชาย ใจดี บัตร 1-1120-34563-56-2")
    'โทร <masked> คุณ <masked> บัตร <masked>'
    >>> m.mask("-5"), m.mask(None)
    ('-5', None)
    """

    def __init__(self, names: Iterable[str] = (), max_words: int | None = None) -> None:
        self.max_words = max_words or ingest_settings().max_name_words
        self.names: set[str] = set()
        for n in names:
            if not isinstance(n, str):
                continue
            words = n.split()
            if not words or (len(words) == 1 and len(words[0]) < 4):
                continue
            self.names.add(" ".join(words[: self.max_words]))
        # the first words of names of two or more words, and those names without their spaces
        self._first = {n.split(" ", 1)[0] for n in self.names if " " in n}
        self._joined = {n.replace(" ", "") for n in self.names if " " in n}
        self._shortest = min(map(len, self._first | self._joined), default=0)

    def _name_at(self, words: list[re.Match[str]], i: int, text: str) -> tuple[int, int] | None:
        """Return the span of a known name that starts in word ``i`` (perhaps inside it)."""
        w = words[i].group(0)
        if w in self.names:
            return words[i].start(), words[i].end()
        if not self._shortest or len(w) < self._shortest:
            return None
        # the words after this one, as long as only spaces come between
        after = []
        for k in range(i + 1, min(len(words), i + self.max_words)):
            if text[words[k - 1].end():words[k].start()].strip():
                break
            after.append(words[k].group(0))
        for cut in range(len(w) - self._shortest + 1):  # the name may follow a title or word
            tail = w[cut:]
            if tail in self._joined:  # "สมหญิงขยันยิ่ง", "นายสมหญิงขยันยิ่ง"
                return words[i].start() + cut, words[i].end()
            if tail in self._first:
                for k in range(len(after), 0, -1):
                    if " ".join((tail, *after[:k])) in self.names:
                        return words[i].start() + cut, words[i + k].end()
        return None

    def _mask_names(self, text: str) -> str:
        words = list(_WORD_RE.finditer(text))
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            span = self._name_at(words, i, text)
            if span is None:
                i += 1
                continue
            spans.append(span)
            while i < len(words) and words[i].start() < span[1]:
                i += 1
        if not spans:
            return text
        out, at = [], 0
        for start, end in spans:
            out += [text[at:start], MASKED]
            at = end
        return "".join(out) + text[at:]

    def mask(self, value: object) -> object:
        """Return ``value`` with personal data masked (non-text values are returned as they are)."""
        if not isinstance(value, str) or not value:
            return value
        text = value
        if _DIGIT_RE.search(text):
            for pattern in (_PID_ANY_RE, _PHONE_RE, _PHONE_TEXT_RE):
                text = _sub_digits(pattern, text)
        if self.names:
            text = self._mask_names(text)
        return text

    def mask_series(self, values: pd.Series) -> pd.Series:
        """Mask a Series of text (each distinct value once)."""
        if not (pd.api.types.is_object_dtype(values.dtype)
                or pd.api.types.is_string_dtype(values.dtype)):
            return values
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if not len(uniques):
            return values
        masked = np.array([self.mask(u) for u in np.asarray(uniques, dtype=object)], dtype=object)
        changed = masked != np.asarray(uniques, dtype=object)
        if not changed.any():
            return values
        out = masked[np.where(codes >= 0, codes, 0)]
        result = pd.Series(out, index=values.index, dtype=object).where(codes >= 0, None)
        return result.astype(values.dtype) if values.dtype != object else result

    def mask_frame(self, frame: pd.DataFrame, skip: Iterable[str] = ()) -> pd.DataFrame:
        """Return a copy of ``frame`` with every text cell masked (columns in ``skip`` kept)."""
        out = frame.copy()
        skip = set(skip)
        for i, col in enumerate(out.columns):
            if col in skip:
                continue
            out.isetitem(i, self.mask_series(out.iloc[:, i]))
        return out


def normalise_pid(values: pd.Series) -> pd.Series:
    """Return national IDs as 13 ASCII digits: Thai digits translated, spaces and dashes removed.

    Missing values stay missing; anything else is returned as cleaned text (it may still be
    invalid).
    """
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
        text = text.translate(THAI_DIGITS)  # "๓๘๐๐..." is the same ID
        for m in _PID_RE.finditer(text):
            digits = re.sub(r"[- ]", "", m.group(1))
            if pin.is_valid(digits):
                findings.append(f"national ID …{digits[-2:]}")
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
