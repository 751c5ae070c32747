"""The synth package split by job writes the same bytes as the one-module generator it replaced.

The hashes below were made by ``abcresearch.synth.generate`` as it stood at commit 99a93c6 (one
1,344-line module), before the split into frame / draws / population / kobo / errors / writers.
They cover CSV exports of round 2549 (census of an amphoe; a village list with injected errors)
whose outputs no later change of the generator was meant to alter. ``SYNTHETIC.txt`` (which names
the generator version) and files added later (``frame.csv``, ``bmn.csv``) are not compared.
If a library upgrade (pandas CSV float formatting, numpy's generators) changes these bytes, check
out 99a93c6, rerun the cases and replace the hashes in the same commit as the upgrade.
Replaced once so (2026-12-02): on a fresh install (numpy 2.4.6, pandas 3.1.1) 99a93c6 itself writes
a different ``_truth/village_effects.csv`` for the amphoe case; the other files are unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from abcresearch.synth import synthesize, village_frame

GOLDEN = {
    "list_err": {
        "_truth/injected_errors.csv":
            "b8b26281b87a4f6adf6e3cc84f40e58b74eb029c2dd257c6faa2283ae4bbd885",
        "_truth/tambon_effects.csv":
            "69f29427b02f4edda9e79fd5c5c05bf986a7599fb2bbff7ed6015f79580cf35d",
        "_truth/village_effects.csv":
            "e0245419c80ca4511823e30c7bbdbc9c2f00c753cb1afe769fbcba3d22f43a3e",
        "household.csv": "06d6cb184cff12d93847f4fbc7ce77027b1cfbff5fd0f4da19c87440985ec235",
        "member.csv": "27fa32c306d8c76ae4f0e2c2d3057e1bc25da470c4c8cb8b38a0d6bf84f2ca40",
        "village.csv": "7dc3ef834eb44046b4d9cb4fb9655bcc46fcadbb659b6393340e3185c59af974",
    },
    "amphoe": {
        "_truth/tambon_effects.csv":
            "0001c899e3e897aa844a0389bdba0f9152da77382111f7ff66ca59fa1ee966df",
        "_truth/village_effects.csv":
            "46133564219ca923075e6905a5d13bba4f9a44b1f2daa35138cd3fa19dedb83e",
        "household.csv": "4899b49a966b4ec9c80057ef732fe8699efe346494db448f93191fdb4bb49c69",
        "member.csv": "0bb164f7aa4447a0f088c7fa1733eb36fbf9630113ed6f4f3a531d609b63cf9f",
        "village.csv": "a6e3a9f0aa5393b25b23f5149a2677325b4a87ae9923dde3a798e0e3c1375098",
    },
}


def _cases() -> dict[str, dict]:
    codes = list(village_frame("80")["village_code"].iloc[[0, 500, 1200]])
    return {
        "list_err": dict(seed=3, villages=codes, households_per_village=25, error_rate=0.05),
        "amphoe": dict(seed=7, amphoe=["8015"], households_per_village=30),
    }


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_split_writes_the_bytes_of_the_single_module_generator(tmp_path: Path, case: str) -> None:
    out = tmp_path / case
    synthesize(out=out, **_cases()[case])
    got = {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in GOLDEN[case]}
    assert got == GOLDEN[case]


def test_old_import_paths_keep_working() -> None:
    import abcresearch.synth as synth
    from abcresearch.synth.generate import SynthResult
    from abcresearch.synth.generate import synthesize as synthesize_old
    from abcresearch.synth.generate import village_frame as village_frame_old

    assert synthesize_old is synth.synthesize and village_frame_old is synth.village_frame
    assert SynthResult is synth.SynthResult
    assert len(village_frame_old("80")) == 1551


def test_synth_modules_import_no_private_name_of_another_module() -> None:
    import ast

    import abcresearch.synth as synth

    root = Path(synth.__file__).parent
    bad = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                bad += [f"{path.name}: {node.module}.{a.name}" for a in node.names
                        if a.name.startswith("_") and not a.name.startswith("__")]
    assert bad == []
