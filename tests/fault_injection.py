"""Fault injection: kill ``abcresearch ingest`` at random points, check the store every time.

The store starts with export A ingested. Each run starts an ingest of export B in a child
process and kills it (SIGKILL) at a random moment: half of the runs anywhere in the ingest, half
while the new version is being written (after its folder appears). After each kill the round
must be the old one (A) or the new one (A merged with B), whole: the pointer resolves, the
manifest's fingerprints are one of the two, every Parquet file of the live version has the bytes
the manifest records, and ``load`` returns the manifest's row count. Never half, never missing.
A last uninterrupted ingest must remove every leftover.

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


def _prints(store: Path) -> dict:
    from abcresearch.store import manifest

    return manifest(ROUND, store)["fingerprints"]


def check_store(store: Path) -> dict:
    """Check the live version is whole; return its fingerprints (or raise AssertionError)."""
    from abcresearch.store import load, manifest, round_folder

    folder = round_folder(ROUND, store)
    man = manifest(ROUND, store)
    for table, prints in man["fingerprints"].items():
        if table not in ("households", "members", "villages"):
            continue
        for tambon, digest in prints.items():
            path = folder / table / f"amphoe={tambon[:4]}" / f"tambon={tambon}" / "part-0.parquet"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"half file {path}"
    assert len(load(ROUND, store=store)) == man["rows"]["households"]
    return man["fingerprints"]


def _exports(work: Path) -> tuple[Path, Path]:
    a = make_export(work / "a").folder
    b = build(n_villages=3, households_per_village=6)
    b.households["_uuid"] = [f"bbbbbbbb-0000-4000-8000-{i:012d}" for i in range(len(b.households))]
    b.households["hh/head_pid"] = b.households["hh/head_pid"].str.replace("380", "381", n=1)
    b.members["_submission__uuid"] = b.households["_uuid"].repeat(2).to_numpy()
    write(b, work / "b")
    return a, work / "b"


def _versions(store: Path) -> list[Path]:
    return [p for p in (store / f"round={ROUND}").iterdir() if p.name.startswith("v-")]


def run(runs: int = 6, seed: int = 1, work: Path | None = None,
        max_wait: float = 20.0) -> Outcome:
    """Kill ``runs`` ingests at random points; return what the store was after each."""
    os.environ["ABCRESEARCH_KEY"] = KEY
    from abcresearch.ingest.pipeline import ingest

    rng = np.random.default_rng(seed)
    work = Path(work or tempfile.mkdtemp(prefix="abc_fault_"))
    a, b = _exports(work)
    store = work / "store"
    ingest(a, ROUND, store=store)
    old = _prints(store)
    seen: list[tuple[int, dict]] = []
    out = Outcome()
    env = {**os.environ, "ABCRESEARCH_KEY": KEY}
    for i in range(runs):
        before = {p.name for p in _versions(store)}
        proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(b), str(ROUND), str(store)],
                                env=env, stdout=subprocess.DEVNULL,
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
            seen.append((i, check_store(store)))
        except Exception as exc:  # noqa: BLE001 - reported, not hidden
            out.problems.append(f"run {i}: {type(exc).__name__}: {exc}")
    ingest(b, ROUND, store=store)
    new = check_store(store)
    for i, prints in seen:
        if prints == old:
            out.old += 1
        elif prints == new:
            out.new += 1
        else:
            out.problems.append(f"run {i}: the round is neither the old nor the new one")
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
