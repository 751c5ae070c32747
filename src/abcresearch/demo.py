"""``make demo``: the main job on the bundled synthetic sample province, end to end.

1. synthesise the sample province (Nakhon Si Thammarat, round 2549, seed 1) into ``data/raw/2549``
   unless it is already there (raw data is never overwritten);
2. ingest it into ``data/store`` (validation summary, rejects, pseudonymised Parquet), unless
   the round's version in the store was written by an ingest of this very export with this
   code and these rules (:func:`abcresearch.ingest.already_ingested`): a second ``make demo``
   then re-makes nothing (a new version of the same rows would rebuild every report);
3. run the tambon reports of one amphoe (``--amphoe``, default 8001; ``--all`` for every tambon of
   the province) on both cores, plus the province overview, the methods appendix (the batch
   makes it again when the rules change) and the index page;
4. print where to open everything.
"""

from __future__ import annotations

import argparse
import sys
import time

from abcresearch.paths import project_root

ROUND = 2549
SEED = 1
PROVINCE = "80"


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m abcresearch.demo",
        description="make demo: synthesise the sample province (once), ingest it, and make the "
                    "tambon reports of one amphoe, the province overview, the methods appendix "
                    "and the index page")
    parser.add_argument("--amphoe", default="8001", help="amphoe whose tambon reports to make")
    parser.add_argument("--all", action="store_true", help="every tambon of the province")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from abcresearch.batch.run import run_batch
    from abcresearch.ingest import already_ingested, ingest
    from abcresearch.store import round_folder
    from abcresearch.synth.generate import synthesize

    root = project_root()
    raw = root / "data" / "raw" / str(ROUND)
    store = root / "data" / "store"
    reports = root / "reports"
    t0 = time.perf_counter()
    if not (raw / "SYNTHETIC.txt").exists():
        print(f"[1/3] synthesising the sample province into {raw} ...", flush=True)
        print(synthesize(province=PROVINCE, survey_round=ROUND, seed=SEED, out=raw).summary())
    else:
        print(f"[1/3] sample export already in {raw} (raw data is never overwritten)")
    version = already_ingested(raw, ROUND, store)
    if version is None:
        print(f"[2/3] ingesting into {store} ...", flush=True)
        print(ingest(raw, survey_round=ROUND, store=store).summary())
    else:
        print(f"[2/3] round {ROUND} in {store} ({version}) was ingested from this export by "
              "this code under these rules: not ingested again")
    within = PROVINCE if args.all else args.amphoe
    print(f"[3/3] tambon reports within {within}, province overview, methods appendix and "
          "index ...", flush=True)
    result = run_batch(ROUND, "tambon", within=within, workers=args.workers, store=store,
                       out=reports)
    print(result.summary())
    print(f"\nDone in {time.perf_counter() - t0:.0f} s. Open:")
    print(f"  index page        {result.index}")
    for o in result.province:
        what = "methods appendix " if o.level == "methods" else "province overview"
        print(f"  {what} {o.paths.pdf}")
    # current ones are not made again: listed all the same (a second run listed neither)
    overview = reports / str(ROUND) / "province" / f"{PROVINCE}.pdf"
    if overview.is_file() and not any(o.level == "province" for o in result.province):
        print(f"  province overview {overview}")
    methods = reports / str(ROUND) / "methods.pdf"
    if methods.is_file() and not any(o.level == "methods" for o in result.province):
        print(f"  methods appendix  {methods}")
    first = next((o for o in result.outcomes if o.status in ("ok", "skipped")), None)
    if first is not None:
        print(f"  e.g. tambon       {first.paths.pdf}")
    print(f"  validation        {round_folder(ROUND, store) / 'validation_summary.md'}")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
