"""The report notebooks: sound structure however they were edited and saved, and they run.

The ``.ipynb`` files are the source (there is no generator to keep in step): the structural checks
in ``fixtures/notebook_checks.py`` hold for the committed notebooks and for a notebook edited and
saved in JupyterLab. The notebooks run under papermill from their own folder (the kernel's
working directory), as in JupyterLab; relative paths in their parameters resolve against the
project. The unedited area notebook's run and its export through a real JupyterLab server, equal
to the command line's PDF, are in ``tests/test_lab.py``.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import nbformat
import papermill
import pytest
from fixtures.notebook_checks import NB_DIR, SHIPPED, structural_problems
from papermill.exceptions import PapermillExecutionError

from abcresearch.paths import project_root
from abcresearch.reports.render.pdf import notebook_to_pdf_bytes
from abcresearch.reports.render.typst import render_notebook

EXPLORATORY = NB_DIR / "exploratory" / "1.0-adapting-the-area-report.ipynb"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_committed_notebook_is_sound(name: str) -> None:
    assert structural_problems(NB_DIR / name) == []


def test_exploratory_example_declares_the_agreed_parameters() -> None:
    declared = set(papermill.inspect_notebook(str(EXPLORATORY)))
    assert SHIPPED["area_report.ipynb"].parameters <= declared


def _as_saved_by_jupyterlab(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook after a researcher's session: new values, a custom cell, outputs, metadata."""
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace('"800101"', '"801501"') + "\nmy_threshold = 0.25"
    custom = nbformat.v4.new_code_cell(
        "shares = {}\nfor cap in report.capitals:\n"
        "    shares[cap] = (report.households[cap] > 50).mean()\nshares")
    custom["id"] = uuid.uuid4().hex[:8]
    nb.cells.insert(6, custom)
    for count, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="done\n")]
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.2",
                                    "codemirror_mode": {"name": "ipython", "version": 3}}
    return nb


def test_a_notebook_edited_and_saved_in_jupyterlab_stays_sound(tmp_path: Path) -> None:
    nb = _as_saved_by_jupyterlab(nbformat.read(NB_DIR / "area_report.ipynb", as_version=4))
    saved = tmp_path / "area_report.ipynb"
    nbformat.write(nb, saved)
    assert saved.read_bytes() != (NB_DIR / "area_report.ipynb").read_bytes()
    assert structural_problems(saved) == []


def test_structural_checks_catch_a_fattened_or_missing_section(tmp_path: Path) -> None:
    nb = nbformat.read(NB_DIR / "area_report.ipynb", as_version=4)
    income = next(c for c in nb.cells if c.source.startswith("report.income()"))
    income.source = "for i in range(3):\n    report.income()"
    nb.cells = [c for c in nb.cells if "report.deprivation()" not in c.source]
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace("scheme = ", "scoring = ")
    broken = tmp_path / "area_report.ipynb"
    nbformat.write(nb, broken)
    problems = "\n".join(structural_problems(broken))
    assert "report.income() has a loop" in problems
    assert "'report.deprivation()' is gone" in problems
    assert "lacks scheme" in problems


def _project(tmp_path: Path, store: Path | None) -> Path:
    """A project folder: params/ (the repository's), a copy of notebooks/, data/store."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "params").symlink_to(project_root() / "params", target_is_directory=True)
    shutil.copytree(NB_DIR, root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    if store is not None:
        (root / "data").mkdir()
        (root / "data" / "store").symlink_to(store, target_is_directory=True)
    return root


def test_without_a_store_the_notebook_says_how_to_make_one(tmp_path: Path) -> None:
    root = _project(tmp_path, store=None)
    out = tmp_path / "executed.ipynb"
    with pytest.raises(PapermillExecutionError) as failed:
        papermill.execute_notebook(str(root / "notebooks" / "area_report.ipynb"), str(out),
                                   cwd=str(root / "notebooks"), progress_bar=False)
    assert failed.value.ename == "StoreError"
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert len(errors) == 1  # an error output, so papermill and the batch record the failure
    shown = "\n".join(errors[0].traceback)
    # one sentence naming the store the relative default resolved to, one on how to make one
    assert len(errors[0].traceback) == 2
    assert str(root / "data" / "store") in errors[0].traceback[0]
    assert "make demo" in errors[0].traceback[1] and "abcresearch ingest" in shown
    assert "Traceback" not in shown and "File " not in shown and "---->" not in shown


def test_exploratory_example_reaches_the_pdf(sample_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "explore.ipynb"
    nb = papermill.execute_notebook(
        str(EXPLORATORY), str(out),
        parameters={"area_code": "801501", "store": str(sample_store), "lang": "en"},
        cwd=str(EXPLORATORY.parent), progress_bar=False)
    doc = render_notebook(nb)
    source = doc.source
    # the custom table, typeset as a table with its caption and one row per village
    caption = source.index('caption: "Mean income per person per year')
    table = source[source.rindex("#abc-table(", 0, caption):caption]
    # (each village's word and number held together by a no-break space in the Typst source)
    assert table.count('("Village\u00a0') == 8
    # the report's own counts, through its disclosure step: the report's cells, not 1s and 2s
    counts = source.index('caption: "Households by overall level, by village')
    counted = source[source.rindex("#abc-table(", 0, counts):counts]
    from abcresearch.reports.area import AreaReport

    published = AreaReport.load("801501", 2549, store=sample_store, lang="en").published_counts()
    from abcresearch.reports.render.display import TABLE_MIME

    (spec,) = [o["data"][TABLE_MIME] for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []) if TABLE_MIME in o.get("data", {})
               and str(o["data"][TABLE_MIME].get("caption", "")).startswith("Households by")]
    assert [[str(v) for v in row] for row in spec["rows"]] == [
        [str(name), *map(str, row)] for name, row in zip(published.index,
                                                         published.to_numpy(), strict=True)]
    assert '"<5"' in counted or '"×"' in counted
    # the custom chart: an SVG from the chart cell (the last code cell)
    chart_cell = max(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert f"c{chart_cell:03d}-o00.svg" in doc.files
    assert f'#abc-image("c{chart_cell:03d}-o00.svg")' in source
    from pypdf import PdfReader

    pdf = tmp_path / "explore.pdf"
    pdf.write_bytes(notebook_to_pdf_bytes(nb))
    assert len(PdfReader(pdf).pages) >= 2
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 comes with the dev extra")
    text = "".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(str(pdf)))
    assert "Mean income per person per year" in text and "Income per person by village" in text
    # the instructions to the researcher stay in the notebook (a newcomer found one in the PDF)
    assert "Counts of the report's own measures" not in text
    # income per person by the report's own estimator, income over members (R's svyratio), as
    # rounded in the report: the mean of each household's income per person printed ~35% more
    # under the same label (a newcomer's walk-through)
    from abcresearch.reports.sections.income import precision_unit

    report = AreaReport.load("801501", 2549, store=sample_store, lang="en")
    ratio = report.design.ratio("fin_income_year", "hh_size", by="village_code", na_rm=True,
                                level=report.design_spec.level)
    (income,) = [o["data"][TABLE_MIME] for c in nb.cells if c.cell_type == "code"
                 for o in c.get("outputs", []) if TABLE_MIME in o.get("data", {})
                 and str(o["data"][TABLE_MIME].get("caption", "")).startswith("Mean income")]
    def amount(cell: object) -> float | None:  # "62,000" as printed; None for a blank cell
        return None if cell is None else float(str(cell).replace(",", ""))

    shown = 0
    for (name, *cells), code in zip(income["rows"], ratio.index, strict=True):
        assert name == report.child_name(code)
        mean, low, high = map(amount, cells)
        if mean is None:
            continue
        shown += 1
        est = ratio.loc[code]
        unit = precision_unit(est["ci_low"], est["ci_high"]) or 1.0
        assert abs(mean - est["estimate"]) <= unit / 2, (code, mean, est["estimate"])
        assert mean % unit == 0 and low is not None and high is not None and low <= mean <= high
    assert shown


def test_methods_notebook_runs_as_the_batch_plans_it(sample_store: Path, tmp_path: Path) -> None:
    """The round's methods appendix, made as a batch makes it (its planned task, run as a
    worker runs it): the PDF, its executed notebook with the header, and the inputs sidecar
    that keeps it current until the rules change."""
    from abcresearch.batch.files import read_json
    from abcresearch.batch.fingerprints import is_current
    from abcresearch.batch.run import METHODS, plan_batch, run_task

    plan = plan_batch(2549, "tambon", "8015", store=sample_store, out=tmp_path, lang="en")
    (task,) = [t for t in plan.province_tasks if t.level == METHODS]
    outcome = run_task(task)
    assert outcome.status == "ok", outcome.error
    pdf = task.paths.pdf
    assert pdf == plan.folder / "methods.pdf" and pdf.stat().st_size > 10_000
    executed = json.loads(task.paths.ipynb.read_text(encoding="utf-8"))
    header = executed["metadata"]["abcresearch"]["header"]
    assert header["title"] == "ภาคผนวกวิธีการ · Methods appendix"
    assert header["synthetic"] is True  # the sample store is synthetic: every page says so
    assert read_json(task.paths.inputs) == task.inputs and is_current(task.paths, task.inputs)
