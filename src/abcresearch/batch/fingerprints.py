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
    prints = fingerprints(manifest)
    code = str(area_code)
    if len(code) >= 6:
        return prints.get(code[:6], "")
    parts = sorted((k, v) for k, v in prints.items() if k.startswith(code))
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest() if parts else ""


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
                  left_out: Sequence[str] = ()) -> dict[str, Any]:
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
    inputs = {
        "area_code": str(area_code),
        "survey_round": int(survey_round),
        "lang": lang,
        "data": area_fingerprint(area_code, manifest),
        # every report also shows round-wide figures (amphoe and province means, province-wide
        # ranks, typology), so a change anywhere in the round makes every report stale
        "round_data": area_fingerprint(str(area_code)[:2], manifest),
        "params": params_hash(),
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


__all__ = ["area_fingerprint", "file_hash", "fingerprints", "is_current", "params_hash",
           "read_manifest", "report_inputs"]
