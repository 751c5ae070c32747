"""Programme lists (``params/programmes.yaml``): the welfare-fund pilot and other programmes.

Tambons in these lists are flagged in the province overview and on their reports.

A programme has an id, a name in Thai and English, its source, the number of tambons the source
names, whether the list was checked against it, and its tambon codes. :func:`flags` gives the
programmes of an area (a village carries its tambon's flags); :func:`flag_text` the sentence a
report prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from abcresearch.params import Problems, language_text, load

__all__ = ["Programme", "Programmes", "flag_text", "flags", "load_programmes",
           "parse_programmes"]


@dataclass(frozen=True)
class Programme:
    """One programme list."""

    id: str
    name: Mapping[str, str]
    source: str
    expected_size: int | None
    verified: bool
    tambons: frozenset[str]

    def label(self, lang: str) -> str:
        """Return the programme's name in ``lang``."""
        return str(self.name[lang])


@dataclass(frozen=True)
class Programmes:
    """The validated ``params/programmes.yaml``."""

    programmes: tuple[Programme, ...]
    verified: bool
    path: Path | None = field(default=None, compare=False)

    def of(self, area_code: str) -> tuple[Programme, ...]:
        """Return the programmes listing the tambon of ``area_code``.

        A village is listed through its tambon; amphoe and province codes are in none.
        """
        code = str(area_code)
        if len(code) < 6:
            return ()
        return tuple(p for p in self.programmes if code[:6] in p.tambons)

    def flagged(self) -> dict[str, tuple[Programme, ...]]:
        """Every listed tambon with its programmes."""
        out: dict[str, list[Programme]] = {}
        for p in self.programmes:
            for t in sorted(p.tambons):
                out.setdefault(t, []).append(p)
        return {t: tuple(ps) for t, ps in sorted(out.items())}


def parse_programmes(raw: Mapping[str, Any], path: Path) -> Programmes:
    """Parse and check ``params/programmes.yaml`` (see :func:`abcresearch.params.load`).

    Ids must be unique; names need Thai and English; tambon codes must be official 6-digit
    tambon codes, each listed once per programme, and no more of them than ``expected_size``.

    Raises
    ------
    ParamsError
        Listing every problem of the file.
    """
    from abcresearch.survey.areas import get_area

    pr = Problems(path)
    items = raw.get("programmes")
    if not isinstance(items, list):
        pr.add("programmes", "must be a list of programmes")
        items = []
    out: list[Programme] = []
    ids: set[str] = set()
    for i, p in enumerate(items):
        w = f"programmes[{i}]"
        if not isinstance(p, Mapping) or not p.get("id"):
            pr.add(w, "needs an id")
            continue
        pid = str(p["id"])
        w = f"programmes[{i}] ({pid})"
        if pid in ids:
            pr.add(w, "id is used twice")
        ids.add(pid)
        name = p.get("name") or {}
        for lang in ("th", "en"):
            if not isinstance(name, Mapping) or not str(name.get(lang, "")).strip():
                pr.add(f"{w}.name.{lang}", "must be a non-empty text")
        if not language_text(p.get("source")):
            pr.add(f"{w}.source", "must say where the list comes from")
        size = p.get("expected_size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)
                                 or size < 1):
            pr.add(f"{w}.expected_size", f"must be a whole number of at least 1, found {size!r}")
            size = None
        codes = p.get("tambons") or []
        if not isinstance(codes, list):
            pr.add(f"{w}.tambons", "must be a list of 6-digit tambon codes")
            codes = []
        good: set[str] = set()
        for c in codes:
            code = str(c).strip()
            try:
                ok = get_area(code).level == "tambon"
            except Exception:
                ok = False
            if not ok:
                pr.add(f"{w}.tambons", f"{code!r} is not an official 6-digit tambon code")
            elif code in good:
                pr.add(f"{w}.tambons", f"{code} is listed twice")
            good.add(code)
        if size is not None and len(good) > size:
            pr.add(f"{w}.tambons", f"lists {len(good)} tambons, more than expected_size {size}")
        out.append(Programme(id=pid, name={k: str(v) for k, v in dict(name).items()},
                             source=language_text(p.get("source")), expected_size=size,
                             verified=bool(p.get("verified", False)), tambons=frozenset(good)))
    pr.raise_if_any()
    return Programmes(programmes=tuple(out), verified=bool(raw.get("verified", False)),
                      path=path)


def load_programmes(path: str | Path | None = None) -> Programmes:
    """Load ``params/programmes.yaml`` (or another file), validated once per file version."""
    return load(path or "programmes", parse_programmes)


def flags(area_code: str, programmes: Programmes | str | Path | None = None
          ) -> tuple[Programme, ...]:
    """Return the programmes whose lists hold the area's tambon."""
    progs = programmes if isinstance(programmes, Programmes) else load_programmes(programmes)
    return progs.of(area_code)


def flag_text(found: tuple[Programme, ...], words: Any, lang: str) -> str:
    """Return the sentence a report prints for an area's programme flags ("" when in none)."""
    if not found:
        return ""
    names = "; ".join(p.label(lang) + ("" if p.verified else words("programmes.unverified"))
                      for p in found)
    return words("programmes.in", programmes=names)
