"""Make the page images under ``docs/images/`` that reviewers look at without running anything.

    .venv/bin/python docs/make_page_images.py [--store STORE] [--keep DIR]

What it does, all on synthetic data (every page carries the synthetic-data label):

1. without ``--store``: synthesises wave 1 of the province rollout (400 villages, seed 1, 150
   households a village) and ingests it into a temporary store;
2. writes two **example** input files into a temporary folder (never into ``params/``): a
   forum-date file with forum dates for the chosen tambon, and a programme list naming the chosen
   tambon and two others, marked as a synthetic example (the shipped ``params/programmes.yaml``
   has empty lists until the real ones are copied in);
3. copies the shipped notebooks and adds the cells of the new sections (the same calls the lead
   is asked to add to ``notebooks/``), then runs a village, a tambon and the province overview
   through :func:`abcresearch.batch.runner.run_report`;
4. renders chosen pages of the three PDFs to small PNGs (the one-page summaries in greyscale, as
   a black-and-white print would show them) and writes ``docs/images/README.md``.

Nothing here is part of the product; it needs no network, R or poppler (pypdfium2 renders).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"
ROUND = 2549

#: Cells added after a shipped cell (matched by the start of its source), per notebook.
AREA_CELLS = [
    ("report = AreaReport.load", 'report.summary_page(forums=forums, programmes=PROGRAMMES)'),
    ("report.villages()", "report.readiness()"),  # main's section, if not shipped yet
    ("report.readiness()", "report.what_to_do()"),
    ("report.organisations()", "report.welfare_fund(programmes=PROGRAMMES)"),
]
PROVINCE_CELLS = [
    ("overview = ProvinceReport.load", "overview.lead(programmes=PROGRAMMES)"),
    ("overview.lead(", "overview.readiness()"),  # main's need x readiness, right after
    ("overview.amphoe_table()", "overview.welfare_fund(programmes=PROGRAMMES)"),
]
#: Shipped cells whose call gains the example programme list (same section, one option more).
REPLACED = {"overview.grade_map()": "overview.grade_map(programmes=PROGRAMMES)"}

#: The pages to keep: (file name, report, a text on the page, greyscale, what it shows).
PAGES = [
    ("village-summary.png", "village", "สรุปหนึ่งหน้า", True,
     "Village report: the one-page summary (greyscale, as printed in black and white)"),
    ("tambon-summary.png", "tambon", "สรุปหนึ่งหน้า", True,
     "Tambon report: the one-page summary (greyscale)"),
    ("tambon-what-to-do.png", "tambon", "สิ่งที่ควรทำและหน่วยงานหลัก", False,
     "Tambon report: the \"what to do\" page (items furthest below the province, actions, "
     "agencies, instrument questions)"),
    ("tambon-welfare.png", "tambon", "ประมาณการกองทุนสวัสดิการชุมชน", False,
     "Tambon report: the welfare fund's projection"),
    ("province-first-page.png", "province", "ข้อค้นพบหลักของจังหวัด", False,
     "Province overview: the first page (findings after the cover)"),
    ("province-heat-map.png", "province", "ตัวเลขคือคะแนนเฉลี่ย (0-100) ของอำเภอ", False,
     "Province overview: the capital heat map by amphoe"),
    ("province-map.png", "province", "ผังกลุ่มความพร้อมรายตำบล", False,
     "Province overview: the readiness-group map (tile map with names; outlined tambons are in the "
     "example programme list)"),
]


def build_store(work: Path) -> Path:
    """Synthesise wave 1 of the rollout and ingest it (a temporary pseudonym key)."""
    from abcresearch.ingest.pipeline import ingest
    from abcresearch.synth.generate import synthesize

    export = work / "export" / str(ROUND)
    synthesize(province="80", survey_round=ROUND, seed=1, out=export, wave=1)
    store = work / "store"
    os.environ.setdefault("ABCRESEARCH_KEY", "docs-page-images-key-not-secret-0123456789")
    ingest(export, survey_round=ROUND, store=store)
    return store


def choose_areas(store: Path) -> tuple[str, str]:
    """The tambon of amphoe 8001 with most sampled villages, and its C-graded (else first)
    village."""
    from abcresearch.analysis.round import round_analysis

    a = round_analysis(ROUND, store)
    v = a.villages[a.villages["village_code"].str.startswith("8001")]
    tambon = v["village_code"].str.slice(0, 6).value_counts().sort_index().idxmax()
    mine = v[v["village_code"].str.startswith(tambon)].sort_values("village_code")
    c = mine[mine["grade"] == "C"]
    return tambon, str((c if len(c) else mine)["village_code"].iloc[0])


def example_inputs(work: Path, tambon: str, village: str) -> tuple[Path, Path]:
    """A forum-date file and a programme list: synthetic examples for the images only."""
    forums = work / "forums.example.csv"
    forums.write_text("area_code,survey_round,forum_date,venue\n"
                      f"{tambon},{ROUND},2007-03-12,ศาลาประชาคม (ตัวอย่าง)\n"
                      f"{village},{ROUND},05/03/2550,วัดประจำหมู่บ้าน (ตัวอย่าง)\n",
                      encoding="utf-8")
    progs = work / "programmes.example.yaml"
    progs.write_text(
        "# SYNTHETIC EXAMPLE for the documentation images: not the programme's list.\n"
        "programmes:\n"
        "  - id: welfare_pilot\n"
        "    name: {th: \"ตำบลนำร่องสวัสดิการชุมชน (ตัวอย่างสมมติ)\","
        " en: \"Community welfare pilot (made-up example)\"}\n"
        "    source: a made-up example list for the documentation images\n"
        "    expected_size: 55\n"
        "    verified: false\n"
        f"    tambons: [\"{tambon}\", \"801501\", \"801201\"]\n", encoding="utf-8")
    return forums, progs


def notebook_copy(src: Path, dest: Path, cells: list[tuple[str, str]], programmes: Path) -> Path:
    """Copy a shipped notebook and add one cell after each anchor."""
    import nbformat

    nb = nbformat.read(src, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and "".join(cell.source).strip() in REPLACED:
            cell.source = REPLACED["".join(cell.source).strip()]
    for anchor, source in cells:  # in order: an anchor may be a cell added just before
        if any(c.cell_type == "code" and "".join(c.source).strip() == source
               for c in nb.cells):
            continue  # the shipped notebook has it already
        at = next(i for i, c in enumerate(nb.cells)
                  if c.cell_type == "code" and "".join(c.source).startswith(anchor))
        nb.cells.insert(at + 1, nbformat.v4.new_code_cell(source))
    setup = nbformat.v4.new_code_cell(f"PROGRAMMES = {str(programmes)!r}  # example list")
    first_code = next(i for i, c in enumerate(nb.cells)
                      if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", []))
    nb.cells.insert(first_code, setup)
    nbformat.write(nb, dest)
    return dest


def render(pdf: Path, needle: str, grey: bool, dest: Path, dpi: int = 80) -> int:
    """Render the first page of ``pdf`` holding ``needle`` to a small PNG; return its number."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    for i in range(len(doc)):
        page = doc[i]
        text = page.get_textpage().get_text_range()
        if needle in text:
            img = page.render(scale=dpi / 72).to_pil()
            img = img.convert("L") if grey else img.convert("RGB").quantize(colors=64)
            img.save(dest, optimize=True)
            return i + 1
    raise SystemExit(f"{pdf.name}: no page holds {needle!r}")


def main(argv: list[str] | None = None) -> int:
    """Make the images; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="an existing store holding round 2549 (default: "
                                        "synthesise wave 1 into a temporary store)")
    parser.add_argument("--keep", help="keep the PDFs and notebooks in this folder")
    args = parser.parse_args(argv)
    os.environ["ABCRESEARCH_ROOT"] = str(ROOT)
    from abcresearch.batch.runner import run_report

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="abc-pages-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        store = Path(args.store) if args.store else build_store(work)
        tambon, village = choose_areas(store)
        forums, progs = example_inputs(work, tambon, village)
        area_nb = notebook_copy(ROOT / "notebooks" / "area_report.ipynb",
                                work / "area_report.ipynb", AREA_CELLS, progs)
        prov_nb = notebook_copy(ROOT / "notebooks" / "province_overview.ipynb",
                                work / "province_overview.ipynb", PROVINCE_CELLS, progs)
        pdfs = {}
        for level, code, nb in (("village", village, area_nb), ("tambon", tambon, area_nb),
                                ("province", "80", prov_nb)):
            outcome = run_report(code, ROUND, store=store, out=work / "reports", notebook=nb,
                                 extra_parameters={"forums": str(forums)})
            if outcome.status != "ok":
                raise SystemExit(f"{code}: {outcome.error}")
            pdfs[level] = outcome.paths.pdf
        OUT.mkdir(parents=True, exist_ok=True)
        lines = ["# Page images for reviewers", "",
                 "Made by `docs/make_page_images.py` from synthetic data (wave 1 of the rollout, "
                 "seed 1) with a made-up forum file and programme list; the pages carry the "
                 "synthetic-data label.", "",
                 f"Village {village}, tambon {tambon}, province 80, round {ROUND}.", ""]
        for name, level, needle, grey, what in PAGES:
            page = render(pdfs[level], needle, grey, OUT / name)
            lines.append(f"- `{name}`: {what} (page {page} of the {level} PDF)")
        (OUT / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        sizes = {p.name: p.stat().st_size for p in sorted(OUT.glob("*.png"))}
        print(json.dumps(sizes, indent=1))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
