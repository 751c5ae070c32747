"""The synth package split by job writes the same bytes as the one-module generator it replaced.

The hashes below were made by ``abcresearch.synth.generate`` as it stood at commit 99a93c6 (one
1,344-line module), before the split into frame / draws / population / kobo / errors / writers.
They cover CSV exports of round 2549 (census of an amphoe; a village list with injected errors)
whose outputs no later change of the generator was meant to alter. One was: the village form's
welfare-fund money, calibrated to the programme's 4,000 baht a village (2026-12-03); its
``village.csv`` hashes were replaced then, after checking that no other column of the file, and
no other file, changed. ``SYNTHETIC.txt`` (which names
the generator version) and files added later (``frame.csv``, ``bmn.csv``) are not compared.
If a library upgrade (pandas CSV float formatting, numpy's generators) changes these bytes, check
out 99a93c6, rerun the cases and replace the hashes in the same commit as the upgrade.
The random effects in ``_truth/*_effects.csv`` are written at full precision, and their last
digit depends on the machine, not only on the libraries (numpy's vectorised functions take a
path per CPU): two machines with the same numpy 2.4.6 and pandas 3.1.1 wrote different bytes of
the amphoe case's ``village_effects.csv`` (2026-12-02, two sessions), each the same as 99a93c6
wrote on that machine. Those files are therefore compared with every decimal number rounded to
10 significant digits (a value within a few units in the 16th digit of a rounding boundary: about
one in a million); the others byte for byte.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from abcresearch.synth import synthesize, village_frame

GOLDEN = {
    "list_err": {
        "_truth/injected_errors.csv":
            "b8b26281b87a4f6adf6e3cc84f40e58b74eb029c2dd257c6faa2283ae4bbd885",
        "_truth/tambon_effects.csv":
            "a77f0161e4792744985265343323dc686543368f499eeab2b047ea0cbc672bdf",
        "_truth/village_effects.csv":
            "4a053a0a88750bb15c95fa520b3ebcbb9002c8120cd1173a0dff396c24830130",
        "household.csv": "06d6cb184cff12d93847f4fbc7ce77027b1cfbff5fd0f4da19c87440985ec235",
        "member.csv": "27fa32c306d8c76ae4f0e2c2d3057e1bc25da470c4c8cb8b38a0d6bf84f2ca40",
        "village.csv": "3e9baa88177aad359399a973ec069fc4ecd82021ed11683f7055d08e6c0e5b20",
    },
    "amphoe": {
        "_truth/tambon_effects.csv":
            "420e90cafcb5602787812781f43fbd3a46f38990a91a31bcdb95f25b7923fbf4",
        "_truth/village_effects.csv":
            "826695ffa8b599de25adbcf679d3257a13c234462b5f9da1d0326c8a1709a85c",
        "household.csv": "4899b49a966b4ec9c80057ef732fe8699efe346494db448f93191fdb4bb49c69",
        "member.csv": "0bb164f7aa4447a0f088c7fa1733eb36fbf9630113ed6f4f3a531d609b63cf9f",
        "village.csv": "907f4dd1ef8ebf0092711bb316aabbebd475408bac34748eae4410ca01ea1e6a",
    },
}


def _cases() -> dict[str, dict]:
    codes = list(village_frame("80")["village_code"].iloc[[0, 500, 1200]])
    return {
        "list_err": dict(seed=3, villages=codes, households_per_village=25, error_rate=0.05),
        "amphoe": dict(seed=7, amphoe=["8015"], households_per_village=30),
    }


_DECIMAL = re.compile(rb"-?\d+\.\d+(?:e[-+]?\d+)?")


def _digest(path: Path, name: str) -> str:
    """sha256 of a file; of the effects files with their decimals to 10 significant digits."""
    data = path.read_bytes()
    if name.startswith("_truth/") and name.endswith("_effects.csv"):
        data = _DECIMAL.sub(lambda m: f"{float(m.group()):.10g}".encode(), data)
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("case", sorted(GOLDEN))
def test_split_writes_the_bytes_of_the_single_module_generator(tmp_path: Path, case: str) -> None:
    out = tmp_path / case
    synthesize(out=out, **_cases()[case])
    got = {name: _digest(out / name, name) for name in GOLDEN[case]}
    assert got == GOLDEN[case]


def test_the_effects_files_compare_at_10_digits(tmp_path: Path) -> None:
    # a last-digit difference between machines is not a difference; a larger one is, and any
    # difference is in the other files
    rows = {"row": b"80150101,0.17104080430840116,1.2589708263612351\n",
            "near": b"80150101,0.17104080430840118,1.2589708263612351\n",
            "far": b"80150101,0.17104080530840116,1.2589708263612351\n"}
    effects, other = {}, {}
    for label, data in rows.items():
        path = tmp_path / f"{label}.csv"
        path.write_bytes(data)
        effects[label] = _digest(path, "_truth/village_effects.csv")
        other[label] = _digest(path, "household.csv")
    assert effects["row"] == effects["near"] != effects["far"]
    assert other["row"] != other["near"]


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
