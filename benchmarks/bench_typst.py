"""Benchmark: the "Typst PDF" phase of a report (notebook -> Typst source -> PDF -> text layer).

Usage::

    python benchmarks/bench_typst.py [--notebooks "reports/2549/tambon/*.ipynb"] [--limit 6] \
        [--repeat 3] [--baseline main] [--fonts DIR | --own-lang | --template-baseline REF]
        [--profile] [--no-cold] [--anatomy]

For each executed notebook (default: the first ``--limit`` tambon notebooks under ``reports/``),
in one run, the routes before and now interleaved so that the load of a shared machine falls on
both alike:

* ``render``: notebook -> Typst source (:func:`abcresearch.reports.render.typst.render_notebook`);
* ``compile``: Typst -> PDF with the reports' font book (:func:`.pdf.typst_fonts`), and,
  with ``--fonts DIR``, with the Noto Sans Thai files in ``DIR`` instead (for instance static
  instances made with fontTools' instancer), to compare, or with ``--own-lang``, the same
  notebook typeset under the report's own language, where Typst runs its Thai segmenter
  (:data:`abcresearch.reports.render.typst.BREAK_LANG` set to None), to compare;
* ``text layer``: :func:`.textlayer.fix_text_layer` as on git ref ``--baseline`` (read with
  ``git show``; skipped if git or the ref is missing) and as now, on the same Typst PDF; the two
  must give the same bytes.

With ``--anatomy``, it also shows where Typst's compile goes: each notebook compiled as it is,
with its charts replaced by empty images of the same size, without the two ``show regex``
rules of the Thai line-break marks (:data:`abcresearch.reports.render.thai.TYPST_PART_BOXES`,
which the reports apply to tables too narrow for their longest words only), and
with its tables as plain ``table`` calls (no column widths measured, no repeated heading, no
unbreakable rows, no zebra fill, no captions as figures); the difference to "as it is" is what
each costs. The variants are for measuring only: their pages differ.

Figures are CPU seconds of this process (``time.process_time``: what the phase costs, less
sensitive than wall time to other work on the machine), the minimum over ``--repeat`` runs, and
the wall seconds of the same runs; the load average is printed before and after. On a shared
machine single figures move by 10-20 %; compare means. ``--profile`` adds a cProfile of the
text-layer pass now. Unless ``--no-cold``, a fresh Python process then times the first report's
phase as ``abcresearch report`` pays it (imports, notebook render with the Thai dictionary,
font book, first compile, first text-layer pass).
"""

from __future__ import annotations

import argparse
import cProfile
import glob
import importlib.util
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from abcresearch.reports.render.thai import TYPST_PART_BOXES

ROOT = Path(__file__).resolve().parent.parent
TEXTLAYER = "src/abcresearch/reports/render/textlayer.py"
TEMPLATE = "src/abcresearch/reports/render/templates/report.typ"
# This checkout's code, even where the environment's editable install points at another one
# (a git worktree sharing a virtual environment).
sys.path.insert(0, str(ROOT / "src"))


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float, float]:
    """Return (result, min CPU seconds, min wall seconds) over ``repeat`` calls."""
    cpu = wall = float("inf")
    result = None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpu = min(cpu, time.process_time() - c0)
        wall = min(wall, time.perf_counter() - w0)
    return result, cpu, wall


def _git_file(ref: str, path: str) -> bytes | None:
    """Return ``path`` as it is on git ref ``ref``, or None."""
    try:
        return subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"],
                              check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"(no {path} from git ref {ref!r}: {exc})")
        return None


def _baseline_textlayer(ref: str) -> ModuleType | None:
    """Import textlayer.py as it is on git ref ``ref``, or return None."""
    source = _git_file(ref, TEXTLAYER)
    if source is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="abc-bench-typst-"))
    path = folder / "textlayer_baseline.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("textlayer_baseline", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _with_template(doc: Any, template: str) -> Any:
    """Return ``doc`` with its leading report template replaced by ``template``."""
    from dataclasses import replace

    from abcresearch.reports.render.typst import template_source

    # the source starts with the part-box rules the template's tables call, then the template
    now = TYPST_PART_BOXES + "\n\n" + template_source().rstrip()
    if not doc.source.startswith(now):
        raise SystemExit("the rendered source does not start with the report template")
    # a template from before abc-part-boxes boxed long words everywhere: so does the baseline
    boxes = "" if "abc-part-boxes" in template else "\n\n#show: abc-part-boxes"
    return replace(doc, source=TYPST_PART_BOXES + "\n\n" + template.rstrip() + boxes
                   + doc.source[len(now):])


_PLAIN_TABLE = ("#let abc-table(columns: (), rows: (), aligns: none, caption: none, "
                "notes: none, key: auto) = "
                "table(columns: columns.len(), ..((columns,) + rows).flatten())\n")


def _anatomy_variants(doc: Any) -> dict[str, Any]:
    """Return the document as it is and as each ``--anatomy`` variant (see the module notes)."""
    import re
    from dataclasses import replace

    from abcresearch.reports.render.typst import template_source

    def empty_svg(data: bytes) -> bytes:
        head = re.search(rb'<svg[^>]*?width="([^"]+)"[^>]*?height="([^"]+)"', data)
        w, h = (head.group(1), head.group(2)) if head else (b"100pt", b"100pt")
        return (b'<svg xmlns="http://www.w3.org/2000/svg" width="' + w + b'" height="' + h
                + b'"></svg>')

    def empty_inline(m: re.Match[str]) -> str:  # an SVG inline in the source, as a string
        size = re.search(r'width=\\"([^"\\]+)\\" height=\\"([^"\\]+)\\"', m.group(0))
        w, h = size.groups() if size else ("100pt", "100pt")
        return (f'bytes("<svg xmlns=\\"http://www.w3.org/2000/svg\\" width=\\"{w}\\" '
                f'height=\\"{h}\\"></svg>")')

    template = TYPST_PART_BOXES + "\n\n" + template_source().rstrip()
    body = doc.source[len(template):] if doc.source.startswith(template) else None
    out = {"as it is": doc,
           "no charts": replace(
               doc, source=re.sub(r'bytes\("<\?xml.*?</svg>\\n"\)', empty_inline, doc.source,
                                  flags=re.S),
               files={n: empty_svg(d) if n.endswith(".svg") else d
                      for n, d in doc.files.items()}),
           "no regex rules": replace(doc, source=doc.source.replace(
               TYPST_PART_BOXES, "#let abc-part-boxes(body) = body", 1))}
    if body is not None:
        out["plain tables"] = replace(doc, source=template + "\n" + _PLAIN_TABLE + body)
    return out


def _anatomy(paths: list[str], book: Any, repeat: int) -> None:
    """Print what Typst's compile of each notebook costs as it is and in each variant."""
    import nbformat

    from abcresearch.reports.render.typst import render_notebook

    sums: dict[str, float] = {}
    print("\nwhere Typst's compile goes (CPU seconds, min of the runs; variants interleaved):")
    for path in paths:
        variants = _anatomy_variants(render_notebook(nbformat.read(path, as_version=4)))
        best = dict.fromkeys(variants, float("inf"))
        for _ in range(repeat):
            for name, doc in variants.items():
                _, cpu, _wall = _timed(lambda doc=doc: _compile(doc, book), 1)
                best[name] = min(best[name], cpu)
        print(f"{Path(path).stem:>10} " + "  ".join(f"{k} {v:.3f}" for k, v in best.items()))
        for name, value in best.items():
            sums[name] = sums.get(name, 0.0) + value
    n = len(paths)
    whole = sums["as it is"] / n
    print(f"{'mean':>10} as it is {whole:.3f}; "
          + "; ".join(f"{k} {v / n:.3f} (saves {whole - v / n:.3f})"
                      for k, v in sums.items() if k != "as it is"))


def _compile(doc: Any, book: Any) -> bytes:
    import typst

    from abcresearch.reports.render.pdf import PDF_TIMESTAMP

    with tempfile.TemporaryDirectory(prefix="abc-bench-typst-") as build:
        for name, data in doc.files.items():
            Path(build, name).write_bytes(data)
        compiler = typst.Compiler(root=build, font_paths=book, ignore_system_fonts=True)
        pdf = compiler.compile(doc.source.encode("utf-8"), format="pdf", timestamp=PDF_TIMESTAMP)
    assert isinstance(pdf, bytes)
    return pdf


_COLD = r"""
import time, sys
c0, w0 = time.process_time(), time.perf_counter()
def lap(label, _t=[c0, w0]):
    c, w = time.process_time(), time.perf_counter()
    print(f"  {label:34s} cpu {c - _t[0]:6.3f} s   wall {w - _t[1]:6.3f} s")
    _t[0], _t[1] = c, w
from abcresearch.reports.render import pdf
lap("import the PDF step")
from abcresearch.reports.render.typst import render_notebook
import nbformat
doc = render_notebook(nbformat.read(sys.argv[1], as_version=4))
lap("read and render the notebook")
book = pdf.typst_fonts()
lap("font book")
import typst, tempfile
from pathlib import Path
with tempfile.TemporaryDirectory() as build:
    for n, d in doc.files.items():
        Path(build, n).write_bytes(d)
    pdf = typst.Compiler(root=build, font_paths=book, ignore_system_fonts=True).compile(
        doc.source.encode(), format="pdf", timestamp=0)
lap("first compile")
from abcresearch.reports.render import textlayer
import pypdf, fontTools.ttLib
lap("import pypdf, fontTools")
textlayer.fix_text_layer(pdf)
lap("first text-layer pass")
textlayer.fix_text_layer(pdf)
lap("second text-layer pass (warm)")
"""


def _made_by_other_code(paths: list[str]) -> list[str]:
    """The notebooks whose inputs sidecar names another software fingerprint than this code's.

    A notebook made by an earlier release renders other Typst (the forty-third session found
    ``reports/`` holding notebooks whose charts were SVG images, which today's code draws in
    Typst), so its compile is not today's. Notebooks without a sidecar are not judged.
    """
    import json

    from abcresearch.software import software_fingerprint

    now = software_fingerprint()
    stale = []
    for path in paths:
        sidecar = Path(path).with_suffix(".inputs.json")
        try:
            made_by = json.loads(sidecar.read_text(encoding="utf-8")).get("software")
        except (OSError, ValueError, AttributeError):
            continue
        if made_by is not None and made_by != now:
            stale.append(path)
    return stale


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebooks", default=str(ROOT / "reports" / "*" / "tambon" / "*.ipynb"),
                    help="glob of executed report notebooks")
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--baseline", default="main", help="git ref of the text layer before")
    ap.add_argument("--fonts", help="folder of Noto Sans Thai files to compile with as well")
    ap.add_argument("--own-lang", action="store_true",
                    help="compile as well under the report's own language (Typst's Thai "
                         "segmenter runs; BREAK_LANG = None) instead of BREAK_LANG")
    ap.add_argument("--template-baseline", metavar="REF",
                    help="compile as well with the report template of git ref REF")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-cold", action="store_true")
    ap.add_argument("--anatomy", action="store_true",
                    help="also show what the charts, the regex rules and the tables cost Typst")
    args = ap.parse_args()

    paths = sorted(glob.glob(args.notebooks))[: args.limit]
    if not paths:
        print(f"no notebooks match {args.notebooks}; run a batch first (make demo)")
        return 2

    import nbformat
    import typst

    from abcresearch.reports.render import fonts, pdf, textlayer
    from abcresearch.reports.render import typst as typst_render
    from abcresearch.reports.render.typst import render_notebook

    print(f"Typst PDF phase, {len(paths)} notebooks, min of {args.repeat} runs each")
    stale = _made_by_other_code(paths)
    if stale:
        print(f"NOTE: {len(stale)} of the notebooks were made by other code than this checkout's "
              f"(e.g. {Path(stale[0]).name}): their Typst is not what a report gets now; run "
              "`make demo` or a batch into another folder and pass --notebooks")
    print(f"python {sys.version.split()[0]}, typst {getattr(typst, '__version__', '?')}; {_load()}")
    before = _baseline_textlayer(args.baseline)
    now = pdf.typst_fonts()
    other = None
    if args.fonts:
        other = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=True, font_paths=[args.fonts]
        )
    if args.own_lang:
        other = now
    old_template = None
    if args.template_baseline:
        raw = _git_file(args.template_baseline, TEMPLATE)
        if raw is not None:
            old_template = raw.decode("utf-8")
            other = now
    print(f"fonts now: {fonts.font_paths()}"
          + (f"; compared with {args.fonts}" if args.fonts else "")
          + f"; typeset under {typst_render.BREAK_LANG!r}"
          + ("; compared with the report's own language (--own-lang)" if args.own_lang else ""))
    for route in (now, other) if other else (now,):  # warm each path once before timing
        _compile(render_notebook(nbformat.read(paths[0], as_version=4)), route)
    header = (f"{'notebook':>10} {'pages':>5} {'render':>7} | {'compile':>15} | "
              f"{'text layer':>15} | {'phase':>15}")
    print(header)
    other_name = "own" if args.own_lang else ("tmpl<" if old_template else "--fonts")
    print(f"{'':>10} {'':>5} {'':>7} | {'now':>7} {other_name:>7} | {'before':>7} {'now':>7} | "
          f"{'before':>7} {'now':>7}   (CPU seconds)")
    sums = dict.fromkeys(("render", "c0", "c1", "t0", "t1"), 0.0)
    walls = dict.fromkeys(("render", "c0", "c1", "t0", "t1"), 0.0)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        doc, r_cpu, r_wall = _timed(lambda nb=nb: render_notebook(nb), args.repeat)
        other_doc = render_notebook(nb, own_lang=True) if args.own_lang else doc
        if old_template is not None:
            other_doc = _with_template(doc, old_template)
        c0 = c1 = t0 = t1 = float("inf")
        w = dict.fromkeys(("c0", "c1", "t0", "t1"), float("inf"))
        pdf_now = b""
        for _ in range(args.repeat):
            pdf_now, c, wl = _timed(lambda doc=doc: _compile(doc, now), 1)
            c0, w["c0"] = min(c0, c), min(w["c0"], wl)
            if other is not None:
                _, c, wl = _timed(lambda doc=other_doc: _compile(doc, other), 1)
                c1, w["c1"] = min(c1, c), min(w["c1"], wl)
            if before is not None:
                fixed_before, c, wl = _timed(
                    lambda p=pdf_now: before.fix_text_layer(p), 1)  # type: ignore[union-attr]
                t0, w["t0"] = min(t0, c), min(w["t0"], wl)
            fixed_now, c, wl = _timed(lambda p=pdf_now: textlayer.fix_text_layer(p), 1)
            t1, w["t1"] = min(t1, c), min(w["t1"], wl)
            if before is not None and fixed_before != fixed_now:
                print(f"  {Path(path).name}: the text layer now differs from {args.baseline}!")
        from pypdf import PdfReader

        pages = len(PdfReader(io.BytesIO(pdf_now)).pages)
        t0_shown = f"{t0:7.3f}" if before is not None else f"{'-':>7}"
        c1_shown = f"{c1:7.3f}" if other is not None else f"{'-':>7}"
        t_before = t0 if before is not None else t1
        print(f"{Path(path).stem:>10} {pages:>5} {r_cpu:7.3f} | {c0:7.3f} {c1_shown} | "
              f"{t0_shown} {t1:7.3f} | {c0 + t_before:7.3f} {c0 + t1:7.3f}")
        for key, value in (("render", r_cpu), ("c0", c0), ("c1", c1), ("t0", t0), ("t1", t1)):
            sums[key] += value if value != float("inf") else 0.0
        walls["render"] += r_wall
        for key in ("c0", "c1", "t0", "t1"):
            walls[key] += w[key] if w[key] != float("inf") else 0.0
    n = len(paths)
    nan = float("nan")

    def row(label: str, v: dict[str, float]) -> str:
        t0 = v["t0"] / n if before is not None else nan
        c1 = v["c1"] / n if other is not None else nan
        return (f"{label:>10} {'':>5} {v['render'] / n:7.3f} | {v['c0'] / n:7.3f} {c1:7.3f} | "
                f"{t0:7.3f} {v['t1'] / n:7.3f} | {v['c0'] / n + t0:7.3f} "
                f"{(v['c0'] + v['t1']) / n:7.3f}")

    print(row("mean", sums))
    print(row("mean wall", walls))
    if before is not None:
        phase = (sums["c0"] + sums["t1"]) / (sums["c0"] + sums["t0"])
        print(f"phase now / before (CPU): {phase:.2f}; text layer {sums['t1'] / sums['t0']:.2f}")
    if other is not None:
        option = ("--own-lang" if args.own_lang else
                  f"the template of {args.template_baseline}" if old_template else "--fonts")
        print(f"compile now / with {option} (CPU): {sums['c0'] / sums['c1']:.2f}")
    print(_load())

    if args.anatomy:
        _anatomy(paths, now, args.repeat)
        print(_load())

    if args.profile:
        nb = nbformat.read(paths[0], as_version=4)
        pdf = _compile(render_notebook(nb), now)
        profiler = cProfile.Profile()
        profiler.enable()
        textlayer.fix_text_layer(pdf)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print(f"\ncProfile of fix_text_layer on {Path(paths[0]).name} (tottime):")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:4000])

    if not args.no_cold:
        print(f"\nfirst report in a fresh process ({Path(paths[0]).name}):")
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep
                   + os.environ.get("PYTHONPATH", ""))
        subprocess.run([sys.executable, "-c", _COLD, paths[0]], check=False, env=env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
