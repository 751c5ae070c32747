"""What a report depends on, so a batch can skip reports whose inputs are unchanged.

:func:`report_inputs` gathers the area's data fingerprint (from the round's store manifest), the
province's, a hash of ``params/``, of the notebook, of a non-default scoring scheme and the
software (its version and a hash of its code); the runner writes it last, as
``<code>.inputs.json``, and :func:`is_current` compares it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from abcresearch.batch.files import ReportPaths, read_json
from abcresearch.software import software_fingerprint


def read_manifest(survey_round: int, store: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the store manifest of a round (:func:`abcresearch.store.read.manifest`).

    Raises
    ------
    StoreError
        If the store or the round does not exist.
    """
    from abcresearch.store import read

    return dict(read.manifest(int(survey_round), store))


def fingerprints(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Return the per-tambon data fingerprints of a manifest (``{tambon_code: hash}``).

    Accepts ``fingerprints`` as ``{tambon: hash}`` or, as :mod:`abcresearch.store.write` writes it,
    ``{table: {tambon: hash}}`` (then the tables' hashes of a tambon are hashed together).
    """
    value = manifest.get("fingerprints") or manifest.get("tambon_fingerprints") or {}
    if not isinstance(value, Mapping):
        return {}
    if value and all(isinstance(v, Mapping) for v in value.values()):
        # {table: {tambon: hash}} (abcresearch.store.write): one hash per tambon over its tables
        per: dict[str, dict[str, str]] = {}
        for table, prints in sorted(value.items()):
            for tambon, digest in prints.items():
                per.setdefault(str(tambon), {})[str(table)] = str(digest)
        return {t: hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()
                for t, d in per.items()}
    return {str(k): str(v) for k, v in value.items()}


def area_fingerprint(area_code: str, manifest: Mapping[str, Any]) -> str:
    """Return the data fingerprint of an area: its tambon's, or a hash over its tambons'."""
    return RoundPrints(manifest).area(area_code)


class RoundPrints:
    """The data fingerprints of one round's manifest, worked out once for the areas asked.

    A plan asks two for each report (its area's and its province's). Worked out from the
    manifest each time (every tambon's tables hashed again for each), the plan of a
    province's 1,551 village reports took 4.2-4.6 s, with nothing else to do.

    Parameters
    ----------
    manifest : mapping
        The round's store manifest (:func:`read_manifest`).
    """

    def __init__(self, manifest: Mapping[str, Any]) -> None:
        self.tambons: dict[str, str] = fingerprints(manifest)
        """``{tambon_code: fingerprint}`` (:func:`fingerprints`)."""
        self._areas: dict[str, str] = {}

    def area(self, area_code: str) -> str:
        """Return an area's fingerprint: its tambon's, or a hash over its tambons'."""
        code = str(area_code)
        if len(code) >= 6:
            return self.tambons.get(code[:6], "")
        if code not in self._areas:
            parts = sorted((k, v) for k, v in self.tambons.items() if k.startswith(code))
            self._areas[code] = (hashlib.sha256(json.dumps(parts).encode()).hexdigest()
                                 if parts else "")
        return self._areas[code]


@dataclass
class SharedInputs:
    """What the reports of one plan depend on alike, read once for all of them.

    The round's fingerprints (and those of the earlier rounds the reports compare with) and
    the hash of ``params/``; :func:`report_inputs` and
    :func:`abcresearch.batch.rounds.compare_inputs` take it from a plan of many reports.

    Parameters
    ----------
    store : path
        The analysis store.
    rounds : dict
        ``{round: RoundPrints}`` known already (the plan's own round, from its manifest).
    """

    store: Path
    rounds: dict[int, RoundPrints] = field(default_factory=dict)
    params: str = field(default_factory=lambda: params_hash())

    def prints(self, survey_round: int) -> RoundPrints:
        """Return a round's fingerprints (its manifest read once)."""
        key = int(survey_round)
        if key not in self.rounds:
            self.rounds[key] = RoundPrints(read_manifest(key, self.store))
        return self.rounds[key]


def params_hash() -> str:
    """Return a hash of every file under ``params/`` (:func:`abcresearch.params.params_hash`)."""
    from abcresearch.params import params_hash as tree_hash

    return tree_hash()


def file_hash(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file's bytes (cached while its size and mtime are unchanged)."""
    st = Path(path).stat()
    return _file_hash(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=32)
def _file_hash(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def report_inputs(area_code: str, survey_round: int, lang: str, notebook: Path,
                  manifest: Mapping[str, Any], scheme: Path | None = None, *,
                  compare: Mapping[str, Any] | None = None,
                  left_out: Sequence[str] = (),
                  shared: SharedInputs | None = None) -> dict[str, Any]:
    """Return what a report depends on; an unchanged dict means an unchanged report.

    Parameters
    ----------
    area_code, survey_round, lang
        The report.
    notebook : Path
        The report notebook.
    manifest : mapping
        The round's store manifest.
    scheme : Path, optional
        File of a non-default scoring scheme (None for the default one, covered by ``params``).
    compare : mapping, optional
        The earlier round the report compares with
        (:func:`abcresearch.batch.rounds.compare_inputs`); recorded as ``compare``.
    left_out : sequence of str
        Tambons left out of the round's figures (damaged store files); recorded as
        ``left_out`` when there are any, so a repaired store makes the report again.
    shared : SharedInputs, optional
        What a plan of many reports read once (its round's fingerprints must be those of
        ``manifest``); read here otherwise.

    Returns
    -------
    dict
        ``area_code, survey_round, lang, data`` (area data fingerprint), ``round_data`` (the
        province's fingerprint: reports show round-wide figures too), ``params`` (hash of
        ``params/``), ``notebook`` (hash of the notebook file), ``software`` (abcresearch's
        version and a hash of its code: :func:`abcresearch.software.software_fingerprint`)
        and, for a non-default scheme, ``scheme`` (hash of its file); ``compare`` and
        ``left_out`` as above, when given.
    """
    prints = (shared.rounds.get(int(survey_round)) if shared is not None else None) \
        or RoundPrints(manifest)
    inputs = {
        "area_code": str(area_code),
        "survey_round": int(survey_round),
        "lang": lang,
        "data": prints.area(area_code),
        # every report also shows round-wide figures (amphoe and province means, province-wide
        # ranks, typology), so a change anywhere in the round makes every report stale
        "round_data": prints.area(str(area_code)[:2]),
        "params": shared.params if shared is not None else params_hash(),
        "notebook": file_hash(notebook),
        "software": software_fingerprint(),
    }
    if scheme is not None:
        inputs["scheme"] = file_hash(scheme)
    if compare is not None:
        inputs["compare"] = dict(compare)
    if left_out:
        inputs["left_out"] = sorted(str(t) for t in left_out)
    return inputs


def is_current(paths: ReportPaths, inputs: Mapping[str, Any]) -> bool:
    """Whether the report's PDF exists and its inputs sidecar matches ``inputs``."""
    return paths.pdf.is_file() and read_json(paths.inputs) == dict(inputs)


# caches that batch.kernel_state.reset keeps between notebooks run in one process (see
# abcresearch.batch.inprocess): what they hold is derived from files and not changed
_file_hash.cache_safe = True  # type: ignore[attr-defined]  # keyed by file identity, str out


__all__ = ["RoundPrints", "SharedInputs", "area_fingerprint", "file_hash", "fingerprints",
           "is_current", "params_hash", "read_manifest", "report_inputs"]
