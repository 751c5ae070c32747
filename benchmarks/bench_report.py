"""Benchmark: one tambon report, stock route versus abcresearch, in one run.

Usage::

    python benchmarks/bench_report.py [--store data/store] [--round 2549] [--area 800101] \
        [--repeat 3]

Needs an ingested store (``make demo`` makes one). Prints, for the same notebook and data:

* stock route: ``papermill`` (fresh kernel, in-process API) then ``nbconvert --to html``
  (HTMLExporter, input hidden), the baseline most teams script;
* abcresearch cold: ``papermill`` with a fresh kernel, then the Typst PDF export;
* abcresearch warm: the ``abcresearch_warm`` engine (pre-imported kernel, reset between areas),
  then the Typst PDF export; this is what a Dask worker runs per area;
* abcresearch in-process: the ``abcresearch_inprocess`` engine (the notebook in this process,
  reset between areas), then the Typst PDF export; this is what a local ``abcresearch batch``
  worker and ``abcresearch serve`` run per area;
* the PDF export alone (median), the target being under 0.3 s; the whole warm report under 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", default=str(ROOT / "data" / "store"))
    ap.add_argument("--round", dest="survey_round", type=int, default=2549)
    ap.add_argument("--area", default="800101")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    from abcresearch.batch.runner import run_report
    from abcresearch.reports.render.pdf import notebook_to_pdf_bytes
    from abcresearch.store import read as data

    try:
        data.manifest(args.survey_round, args.store)
    except Exception as exc:  # noqa: BLE001
        print(f"no store at {args.store} for round {args.survey_round} ({exc}); run make demo")
        return 2
    nb_path = ROOT / "notebooks" / "area_report.ipynb"
    params = {"area_code": args.area, "survey_round": args.survey_round, "store": args.store,
              "lang": "th"}
    tmp = Path(tempfile.mkdtemp(prefix="abc-bench-report-"))

    stock_exec, stock_html = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        nb = papermill.execute_notebook(str(nb_path), str(tmp / "stock.ipynb"),
                                        parameters=params, progress_bar=False, cwd=str(ROOT))
        stock_exec.append(time.perf_counter() - t)
        t = time.perf_counter()
        exporter = HTMLExporter()
        exporter.exclude_input = True
        html, _ = exporter.from_notebook_node(nb)
        (tmp / "stock.html").write_text(html, encoding="utf-8")
        stock_html.append(time.perf_counter() - t)

    export = []
    executed = nbformat.read(tmp / "stock.ipynb", as_version=4)
    for _ in range(max(5, args.repeat)):
        t = time.perf_counter()
        notebook_to_pdf_bytes(executed)
        export.append(time.perf_counter() - t)

    cold = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        o = run_report(args.area, args.survey_round, store=args.store, out=tmp / "cold")
        cold.append(time.perf_counter() - t)
        assert o.status == "ok", o.error

    def timed(engine: str, out: Path) -> tuple[float, list[float]]:
        """The first report (warm-up included), then ``--repeat`` timed reports."""
        t = time.perf_counter()
        run_report(args.area, args.survey_round, store=args.store, out=out, engine=engine)
        first = time.perf_counter() - t
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            o = run_report(args.area, args.survey_round, store=args.store, out=out,
                           engine=engine)
            times.append(time.perf_counter() - t)
            assert o.status == "ok", o.error
        return first, times

    first_warm, warm = timed("abcresearch_warm", tmp / "warm")
    first_inproc, inproc = timed("abcresearch_inprocess", tmp / "inprocess")

    stock = _median(stock_exec) + _median(stock_html)
    print(f"one tambon report ({args.area}, round {args.survey_round}), median of {args.repeat}")
    print(f"  stock: papermill (fresh kernel)          {_median(stock_exec):6.2f} s")
    print(f"         + nbconvert --to html             {_median(stock_html):6.2f} s")
    print(f"         = stock report (HTML, no PDF)     {stock:6.2f} s")
    print(f"  abcresearch PDF export alone (Typst)     {_median(export):6.3f} s   target < 0.3 s")
    print(f"  abcresearch cold (fresh kernel + PDF)    {_median(cold):6.2f} s")
    print(f"  abcresearch warm (warm kernel + PDF)     {_median(warm):6.2f} s   target < 3 s"
          f"   (first, incl. warm-up: {first_warm:.2f} s)")
    print(f"  abcresearch in-process (here + PDF)      {_median(inproc):6.2f} s   target < 3 s"
          f"   (first, incl. warm-up: {first_inproc:.2f} s)")
    print(f"  speed-up warm vs stock                   {stock / _median(warm):6.1f}x")
    print(f"  speed-up in-process vs stock             {stock / _median(inproc):6.1f}x")
    from abcresearch.batch.kernels import POOL

    POOL.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
