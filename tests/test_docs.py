"""Every path, module, make target and command named in the docs exists and is true."""

from __future__ import annotations

import ast
import importlib
import json
import re
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "data").glob("*.md")), *sorted((ROOT / "tests" / "reference").glob("*.md"))]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
TOP = ("params/", "src/", "notebooks/", "tests/", "benchmarks/", "docs/", ".ci/")
#: Paths that are made by running the tool, not committed.
GENERATED = re.compile(r"^(data/(store|raw|synth|interim|processed)|reports/|\.venv)")
PLACEHOLDER = re.compile(r"[<>{}*]|\.\.\.|…")


def _texts() -> list[tuple[str, str]]:
    out = [(p.relative_to(ROOT).as_posix(), p.read_text(encoding="utf-8")) for p in DOCS]
    for nb in NOTEBOOKS:
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        out.append((nb.relative_to(ROOT).as_posix(),
                    "\n".join("".join(c["source"]) for c in cells)))
    for py in sorted((ROOT / "src" / "abcresearch").rglob("*.py")):
        tree = ast.parse(py.read_text(encoding="utf-8"))
        docs = [ast.get_docstring(n) or "" for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                  ast.AsyncFunctionDef))]
        out.append((py.relative_to(ROOT).as_posix(), "\n".join(docs)))
    return out


TEXTS = _texts()


def _tokens(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    return sorted({(where, m) for where, text in TEXTS for m in pattern.findall(text)})


PATHS = [(w, t) for w, t in _tokens(re.compile(r"`([^`\s]+)`"))
         if t.startswith(TOP) and not PLACEHOLDER.search(t) and not GENERATED.match(t)]
# dotted names starting with the package (not metadata keys such as ``metadata.abcresearch.x``)
MODULES = _tokens(re.compile(r"(?<![\w.])abcresearch(?:\.[A-Za-z_][A-Za-z0-9_]*)+"))


@pytest.mark.parametrize(("where", "path"), PATHS)
def test_named_paths_exist(where: str, path: str) -> None:
    p = path.split("::")[0].split(":")[0].rstrip(".,;")
    assert (ROOT / p).exists(), f"{where} names {path}, which does not exist"


@pytest.mark.parametrize(("where", "dotted"), MODULES)
def test_named_modules_import(where: str, dotted: str) -> None:
    parts = dotted.rstrip(".").split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            fields = getattr(obj, "__dataclass_fields__", {})
            assert hasattr(obj, attr) or attr in fields, \
                f"{where} names {dotted}: no {attr} in {obj!r}"
            if not hasattr(obj, attr):  # a dataclass field without a default: nothing below
                return
            obj = getattr(obj, attr)
        return
    pytest.fail(f"{where} names {dotted}, which cannot be imported")


CODE = re.compile(r"```.*?```|``[^`]+``|`[^`\n]+`", re.S)


def _code_tokens(pattern: re.Pattern[str]) -> list[tuple[str, str]]:
    """Matches of ``pattern`` inside code spans and fenced blocks only (not in prose)."""
    return sorted({(where, m) for where, text in TEXTS for code in CODE.findall(text)
                   for m in pattern.findall(code)})


def test_make_targets_named_exist() -> None:
    targets = set(re.findall(r"^([a-z][a-z_-]*):", (ROOT / "Makefile").read_text(), re.M))
    named = _code_tokens(re.compile(r"(?:^|[`$])make ([a-z][a-z_-]*)", re.M))
    missing = [(w, t) for w, t in named if t not in targets]
    assert not missing, f"make targets named but not defined: {missing}"


def test_cli_commands_named_exist() -> None:
    from abcresearch.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction")
    commands = set(sub.choices)  # type: ignore[attr-defined]
    named = _code_tokens(re.compile(r"(?:^|[\s`$])abcresearch ([a-z]+)\b", re.M))
    missing = [(w, c) for w, c in named if c not in commands]
    assert not missing, f"commands named but not defined: {missing}"


def test_entry_points_resolve() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = meta.get("entry-points", {})
    for group, entries in groups.items():
        for name in entries:
            (ep,) = [e for e in entry_points(group=group) if e.name == name]
            assert ep.load() is not None
    for name, target in meta.get("scripts", {}).items():
        mod, _, attr = target.partition(":")
        assert callable(getattr(importlib.import_module(mod), attr)), name
