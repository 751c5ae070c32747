"""Write the product notebooks from the cell lists below (a development aid).

The notebooks are deliberately thin: a ``parameters`` cell, one library call per section, and
notes for the researcher who opens them in JupyterLab (tagged ``remove``: not printed in the PDF).
Section headings and prose in the PDF come from the library in the report's language.

Run ``python notebooks/make_notebooks.py`` after editing; the tests check that the committed
notebooks are what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def _params(src: str) -> nbformat.NotebookNode:
    return new_code_cell(src, metadata={"tags": ["parameters"]})


def _note(src: str) -> nbformat.NotebookNode:
    return new_markdown_cell(src, metadata={"tags": ["remove"]})


def _code(src: str) -> nbformat.NotebookNode:
    return new_code_cell(src)


def area_report() -> nbformat.NotebookNode:
    cells = [
        _note("# Area report / รายงานพื้นที่\n\n"
              "Run for one village (8 digits), tambon (6) or amphoe (4) code. In JupyterLab, edit "
              "the parameters below and run all; in batch, papermill injects them. Export with "
              "*File > Save and Export Notebook As > Thai PDF (Typst)*. Every number comes from "
              "`abcresearch.reports.area`; change rules in `params/`, not here."),
        _params('area_code = "800101"\nsurvey_round = 2549\nstore = "data/store"\nlang = "th"'),
        _code("from abcresearch.reports.area import AreaReport\n\n"
              "report = AreaReport.load(area_code, survey_round, store=store, lang=lang)\n"
              "report.cover()"),
        _note("Key findings are sentences generated from the estimates below; the thresholds "
              "that decide their wording live in `params/report.yaml`."),
        _code("report.key_findings()"),
        _code("report.capital_profile()"),
        _code("report.levels_and_tracks()"),
        _code("report.deprivation()"),
        _code("report.villages()"),
        _code("report.organisations()"),
        _code("report.income()"),
        _code("report.data_quality()"),
        _code("report.methods_note()"),
        _code("report.write_summary()"),
    ]
    return _notebook(cells, "Area report")


def province_overview() -> nbformat.NotebookNode:
    cells = [
        _note("# Province overview / ภาพรวมจังหวัด\n\nAll amphoe and tambon side by side, "
              "rankings, and the A/B/C grade map. Pass `boundary_file` (GeoJSON of tambon "
              "boundaries with a tambon code property) for a real map; otherwise a tile map of "
              "tambon grouped by amphoe is drawn."),
        _params('province_code = "80"\nsurvey_round = 2549\nstore = "data/store"\nlang = "th"\n'
                'boundary_file = ""'),
        _code("from abcresearch.reports.province import ProvinceReport\n\n"
              "overview = ProvinceReport.load(province_code, survey_round, store=store, lang=lang,\n"
              "                               boundary_file=boundary_file or None)\n"
              "overview.cover()"),
        _code("overview.grade_map()"),
        _code("overview.amphoe_table()"),
        _code("overview.tambon_ranking()"),
        _code("overview.rules_vs_typology()"),
        _code("overview.methods_note()"),
    ]
    return _notebook(cells, "Province overview")


def methods() -> nbformat.NotebookNode:
    cells = [
        _note("# Methods appendix / ภาคผนวกวิธีการ\n\nThe instrument (codebook from the "
              "XLSForms in `params/instrument/`), the scoring scheme from `params/`, and the "
              "statistical method. Usable on its own or as a report appendix."),
        _params('scheme = "scoring"\nlang = "th"'),
        _code("from abcresearch.reports.methods import MethodsReport\n\n"
              "methods = MethodsReport.load(scheme=scheme, lang=lang)\n"
              "methods.cover()"),
        _code("methods.instrument()"),
        _code("methods.scoring_scheme()"),
        _code("methods.statistics()"),
    ]
    return _notebook(cells, "Methods")


def _notebook(cells: list[nbformat.NotebookNode], title: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["title"] = title
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


NOTEBOOKS = {
    "area_report.ipynb": area_report,
    "province_overview.ipynb": province_overview,
    "methods.ipynb": methods,
}


def render(name: str) -> str:
    """Return the JSON text of one notebook as this script writes it."""
    return nbformat.writes(NOTEBOOKS[name](), version=4) + "\n"


def main() -> int:
    for name in NOTEBOOKS:
        (HERE / name).write_text(render(name), encoding="utf-8")
        print(f"wrote notebooks/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
