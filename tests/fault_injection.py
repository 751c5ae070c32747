"""Fault injection: kill ``abcresearch ingest`` at random points, check the store every time.

The store starts with export A ingested (every head aged 16). Each run starts, in a child
process, an ingest of the same households with every head aged 40 or 41 (the age the store does
not hold), and kills it (SIGKILL) at a random moment: half of the runs anywhere in the ingest,
half while the new version is being written (after its folder appears). After each kill the
round must be the old one or the new one, whole: the pointer resolves, every Parquet file of the
live version has the bytes its manifest records, ``load`` returns the manifest's row count, and
every household has the same head age: the old round's or the new one's. Never half, never
missing. A last uninterrupted ingest must remove every leftover.

``tests/test_fault_injection.py`` runs it a few times; for many runs::

    python tests/fault_injection.py --runs 50 [--seed 1] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures.kobo import build, make_export, write  # noqa: E402

ROUND = 2567
KEY = "fault-injection-key-0123456789abcdef"
_CHILD = ("import sys; from abcresearch.ingest.pipeline import ingest; "
          "ingest(sys.argv[1], survey_round=int(sys.argv[2]), store=sys.argv[3])")


@dataclass
class Outcome:
    """What the runs found."""

    runs: int = 0
    old: int = 0
    new: int = 0
    finished: int = 0
    problems: list[str] = field(default_factory=list)


def check_store(store: Path) -> int:
    """Check the live version is whole and consistent; return its head age (or raise)."""
    from abcresearch.store import load, manifest, round_folder

    folder = round_folder(ROUND, store)
    man = manifest(ROUND, store)
    for table, prints in man["fingerprints"].items():
        if table not in ("households", "members", "villages"):
            continue
        for tambon, digest in prints.items():
            path = folder / table / f"amphoe={tambon[:4]}" / f"tambon={tambon}" / "part-0.parquet"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"half file {path}"
    hh = load(ROUND, store=store, columns=["head_age"])
    assert len(hh) == man["rows"]["households"], "rows differ from the manifest"
    ages = set(hh["head_age"].astype(int))
    assert len(ages) == 1, f"households of two rounds mixed: head ages {sorted(ages)}"
    return ages.pop()


def _exports(work: Path) -> dict[int, Path]:
    """The base export (heads aged 16) and the same households with heads aged 40 and 41."""
    base = make_export(work / "a")
    out = {16: base.folder}
    for age in (40, 41):
        exp = build()
        exp.households["hh/head_age"] = str(age)
        write(exp, work / f"age{age}")
        out[age] = work / f"age{age}"
    return out


def _versions(store: Path) -> list[Path]:
    return [p for p in (store / f"round={ROUND}").iterdir() if p.name.startswith("v-")]


def run(runs: int = 6, seed: int = 1, work: Path | None = None,
        max_wait: float = 20.0) -> Outcome:
    """Kill ``runs`` ingests at random points; return what the store was after each."""
    os.environ["ABCRESEARCH_KEY"] = KEY
    from abcresearch.ingest.pipeline import ingest

    rng = np.random.default_rng(seed)
    work = Path(work or tempfile.mkdtemp(prefix="abc_fault_"))
    exports = _exports(work)
    store = work / "store"
    ingest(exports[16], ROUND, store=store)
    current = check_store(store)
    out = Outcome()
    env = {**os.environ, "ABCRESEARCH_KEY": KEY}
    for i in range(runs):
        target = 41 if current == 40 else 40
        before = {p.name for p in _versions(store)}
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(exports[target]), str(ROUND),
                                 str(store)], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        start = time.monotonic()
        if i % 2 == 0:  # anywhere: from start-up to the end of a typical ingest
            deadline = start + rng.uniform(0.2, 4.0)
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.005)
        else:  # while the new version is being written
            while proc.poll() is None and time.monotonic() - start < max_wait:
                if {p.name for p in _versions(store)} - before:
                    break
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.3))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        else:
            out.finished += 1
        proc.wait()
        out.runs += 1
        try:
            age = check_store(store)
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            out.problems.append(f"run {i}: {type(exc).__name__}: {exc}")
            continue
        if age == current:
            out.old += 1
        elif age == target:
            out.new += 1
        else:
            out.problems.append(f"run {i}: head age {age} is neither {current} nor {target}")
        current = age
    ingest(exports[40], ROUND, store=store)
    if check_store(store) != 40:
        out.problems.append("the last ingest did not leave the new round")
    if len(_versions(store)) > 2:
        out.problems.append(f"leftover versions: {sorted(p.name for p in _versions(store))}")
    return out


def main() -> None:
    """Run from the command line and print what happened."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    t = time.perf_counter()
    out = run(args.runs, args.seed, args.keep)
    print(f"{out.runs} ingests killed at random points in {time.perf_counter() - t:.0f} s: "
          f"store old {out.old}, new {out.new} (of which {out.finished} finished before the "
          f"kill); problems: {len(out.problems)}")
    for p in out.problems:
        print(f"  {p}")
    sys.exit(1 if out.problems else 0)


if __name__ == "__main__":
    main()
