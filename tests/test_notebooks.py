"""Product notebooks are thin, parameterised, and exactly what notebooks/make_notebooks.py writes."""

from __future__ import annotations

import importlib.util
import re

import nbformat
import papermill
import pytest

from abcresearch.paths import project_root

NB_DIR = project_root() / "notebooks"


def _maker():
    spec = importlib.util.spec_from_file_location("make_notebooks", NB_DIR / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.parametrize("name", ["area_report.ipynb", "province_overview.ipynb",
                                  "methods.ipynb"])
def test_committed_notebook_is_generated(name: str) -> None:
    assert (NB_DIR / name).read_text(encoding="utf-8") == _maker().render(name)


def test_area_report_parameters() -> None:
    params = papermill.inspect_notebook(str(NB_DIR / "area_report.ipynb"))
    assert set(params) == {"area_code", "survey_round", "store", "lang"}


@pytest.mark.parametrize("name", ["area_report.ipynb", "province_overview.ipynb",
                                  "methods.ipynb"])
def test_notebooks_are_thin(name: str) -> None:
    nb = nbformat.read(NB_DIR / name, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        src = cell.source
        assert len(src.splitlines()) <= 6, src
        assert not re.search(r"\b(for|while|def|class|lambda)\b", src), src
        assert not re.search(r"\b0\.\d+|\b[1-9]\d{1,}\b", src), \
            f"threshold-like literal in a notebook cell: {src}"


def test_methods_notebook_runs(tmp_path) -> None:
    from abcresearch.demo import methods_pdf

    pdf = methods_pdf(tmp_path / "methods.pdf", lang="en")
    assert pdf.exists() and pdf.stat().st_size > 10_000
