"""The one loader of ``params/``: YAML read once, parsed into frozen dataclasses, validated once.

Every rules file (scoring schemes, grades, design, status, poverty lines, validation rules,
labels, ...) is read through :func:`load`, which

* resolves a name (``"grades"`` -> ``params/grades.yaml``) or takes a path,
* reads the YAML once per version of the file (cached by path, modification time and size, so
  an edited file is re-read and an unchanged one never is),
* hands the raw mapping to the owner's parser, which returns a frozen dataclass and raises one
  :class:`~abcresearch.errors.ParamsError` listing *every* problem of the file
  (use :class:`Problems` to collect them).

The typed dataclasses live beside the code that uses them (``Scheme`` in
:mod:`abcresearch.scoring`, ``GradeRules`` in :mod:`abcresearch.scoring.grades`, ``DesignSpec``
in :mod:`abcresearch.analysis`, ...); this module only knows how to find, read and cache files.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from abcresearch.errors import ParamsError
from abcresearch.paths import params_dir

__all__ = ["Problems", "language_text", "load", "params_hash", "params_path", "read_yaml",
           "rules_fingerprint", "unknown_keys"]

T = TypeVar("T")


def params_path(name: str | os.PathLike[str]) -> Path:
    """Return the file of a params name or path.

    Parameters
    ----------
    name : str or path
        A bare name (``"grades"``, ``"scoring_slf5"``) resolved in :func:`abcresearch.paths.
        params_dir` with the ``.yaml`` suffix, or a path to a file.

    Returns
    -------
    Path

    Raises
    ------
    ParamsError
        If the file does not exist.
    """
    p = _named_file(name)
    if not p.is_file():
        raise ParamsError(f"params file {p} does not exist")
    return p


def _named_file(name: str | os.PathLike[str]) -> Path:
    text = os.fspath(name)
    p = Path(text)
    if p.suffix.lower() not in (".yaml", ".yml") and os.sep not in text and "/" not in text:
        p = params_dir() / f"{text}.yaml"
    return p


_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, refusing a key given twice in one mapping.

    YAML keeps the last of two equal keys without a word, so a label or a threshold written
    twice in one file silently replaced the first (a new label "appendix.bands" took over the
    heading of the score bands).
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # "<<": merged keys may be overridden
                continue
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str | int | float | bool):  # "<<" merges, odd keys: as YAML
                continue
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int, size: int, inode: tuple[int, int]) -> Any:
    p = Path(path)
    try:
        # libyaml's parser when PyYAML has it (same values, ~8x faster: 1.3 s -> 0.15 s for
        # params/ on the 2-core machine); the pure-Python SafeLoader otherwise
        return yaml.load(p.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except OSError as exc:
        raise ParamsError(f"{p.name} cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ParamsError(f"{p.name} is not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ParamsError(f"{p.name} is not valid YAML{where}: {problem}") from None


def _stamp(name: str | os.PathLike[str]) -> tuple[str, int, int, tuple[int, int]]:
    """Return ``(path, mtime, size, (device, inode))`` of a params file: its caches' key.

    One ``stat`` call (this runs at every read of a parameter, some 300 times a report). The
    path is made absolute but not resolved (``..`` after a symbolic link means what the system
    makes of it); the device and inode tell a file replaced by another of the same time and
    size, or a link pointed elsewhere, from the one read before. A missing file gives the error
    of :func:`params_path`.
    """
    p = _named_file(name)
    try:
        st = p.stat()
    except (FileNotFoundError, NotADirectoryError, ValueError):
        st = None
    except OSError as exc:
        raise ParamsError(f"params file {p} cannot be read ({exc.strerror})") from None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise ParamsError(f"params file {p} does not exist")
    return str(p.absolute()), st.st_mtime_ns, st.st_size, (st.st_dev, st.st_ino)


def read_yaml(name: str | os.PathLike[str]) -> Mapping[str, Any]:
    """Return a params file's top-level mapping (read once per version of the file).

    Parameters
    ----------
    name : str or path
        See :func:`params_path`.

    Returns
    -------
    Mapping
        The parsed YAML (an empty mapping for an empty file). Treat it as read-only: it is shared.

    Raises
    ------
    ParamsError
        Missing file, invalid YAML (with line and column), or a top level that is not a mapping.
    """
    path, mtime_ns, size, inode = _stamp(name)
    raw = _read(path, mtime_ns, size, inode)
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ParamsError(f"{Path(path).name}: the top level must be a mapping of keys, found "
                          f"{type(raw).__name__}")
    return raw


@lru_cache(maxsize=64)
def _parsed(path: str, mtime_ns: int, size: int, inode: tuple[int, int],
            parser: Callable[..., Any]) -> Any:
    p = Path(path)
    return parser(read_yaml(p), p)


def load(name: str | os.PathLike[str], parser: Callable[[Mapping[str, Any], Path], T]) -> T:
    """Read a params file and parse it into its typed, frozen form (once per file version).

    Parameters
    ----------
    name : str or path
        See :func:`params_path`.
    parser : callable
        ``parser(raw_mapping, path) -> T``; raises :class:`ParamsError` listing every problem.
        It must be a module-level function (it is part of the cache key).

    Returns
    -------
    T
        The parser's result, shared by every caller until the file changes.

    Examples
    --------
    >>> from abcresearch.analysis.status import parse_status_rules
    >>> load("status", parse_status_rules).min_sampled_villages
    2
    """
    return _parsed(*_stamp(name), parser)


#: The warm batch kernel clears library caches between notebooks; these are keyed by file
#: identity (path, mtime, size, inode) and hold frozen values, so they are safe to keep. (functools
#: does not declare attributes on its cache wrappers, hence the ignores.)
_read.cache_safe = True  # type: ignore[attr-defined]
_parsed.cache_safe = True  # type: ignore[attr-defined]


class Problems:
    """Collects every problem found in a params file, then raises them as one error.

    Parameters
    ----------
    path : Path
        The file being checked (its name starts the message).

    Examples
    --------
    >>> from pathlib import Path
    >>> pr = Problems(Path("grades.yaml"))
    >>> pr.add("grades[0].value", "must be a number")
    >>> pr.raise_if_any()
    Traceback (most recent call last):
    ...
    abcresearch.errors.ParamsError: grades.yaml: grades[0].value must be a number
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, problem: str) -> None:
        """Record that the value at ``where`` (a dotted path) breaks a rule."""
        self.items.append(f"{where} {problem}" if where else problem)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        """Raise one :class:`ParamsError` listing every recorded problem (if any)."""
        if self.items:
            raise ParamsError(f"{self.path.name}: " + "; ".join(self.items))


def language_text(value: Any, lang: str = "en") -> str:
    """Return a text of a params file given once or per language, in ``lang`` if it has one.

    Texts for readers (a file's ``source``, say) are written either as one string or as
    ``{th: ..., en: ...}``, the params files' form for text in both report languages.

    Parameters
    ----------
    value : str or mapping, optional
        The value as read from YAML.
    lang : str
        The language wanted; a mapping without it gives its English text, then any other.

    Returns
    -------
    str
        The text, stripped; ``""`` for a missing value.

    Examples
    --------
    >>> language_text({"th": "ค่าตั้งต้นของโครงการ", "en": "Project defaults"}, "th")
    'ค่าตั้งต้นของโครงการ'
    >>> language_text("Project defaults", "th")
    'Project defaults'
    >>> language_text(None)
    ''
    """
    if isinstance(value, Mapping):
        texts = [str(value.get(k) or "").strip() for k in (lang, "en", *value)]
        return next((t for t in texts if t), "")
    return "" if value is None else str(value).strip()


def unknown_keys(mapping: Any, allowed: Collection[str], where: str = "") -> list[str]:
    """Return one problem per key of ``mapping`` that is not in ``allowed``, with a guess.

    A misspelt optional key (``reason_not_tambom``) would otherwise be ignored and its
    default used without a word; a misspelt required one would be reported only as missing.

    Examples
    --------
    >>> unknown_keys({"levles": 1, "title": 2}, ["levels", "title"])
    ["unknown key 'levles' (did you mean 'levels'?)"]
    """
    import difflib

    if not isinstance(mapping, Mapping):
        return []
    out = []
    for key in mapping:
        if str(key) in allowed:
            continue
        near = difflib.get_close_matches(str(key), [str(a) for a in allowed], n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]!r}?)" if near else \
            f" (expected one of {', '.join(sorted(str(a) for a in allowed))})"
        out.append(f"{where + ': ' if where else ''}unknown key {str(key)!r}{hint}")
    return out


@lru_cache(maxsize=8)
def _hash_tree(folder: str, stamp: float) -> str:
    h = hashlib.sha256()
    root = Path(folder)
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


_hash_tree.cache_safe = True  # type: ignore[attr-defined]  # keyed by a stamp, str out


def params_hash() -> str:
    """Return a hash of every file under ``params/`` (scoring schemes, labels, rules)."""
    folder = params_dir()
    stamp = max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file()), default=0.0) \
        if folder.is_dir() else 0.0
    return _hash_tree(str(folder), stamp)


def rules_fingerprint(scheme_path: str | os.PathLike[str] | None = None) -> str:
    """Return a short fingerprint of the rules in force, for a report's provenance line.

    Every file under ``params/`` and, for a scoring scheme read from a file elsewhere, that
    file: two reports made under different rules never carry the same fingerprint, also when
    a rules file was edited without a new version number.

    Parameters
    ----------
    scheme_path : path, optional
        The scoring scheme's file (``Scheme.path``).
    """
    h = hashlib.sha256(params_hash().encode())
    if scheme_path is not None:
        p = Path(scheme_path)
        folder = params_dir().resolve()
        if p.is_file() and folder not in p.resolve().parents:
            h.update(p.read_bytes())
    return h.hexdigest()[:12]
