"""Thai PDF reports from executed notebooks, typeset with Typst.

Import-light on purpose: nothing here imports pandas, matplotlib or nbconvert; the submodules do,
when used.

* :mod:`abcresearch.reports.render.pdf` -- ``notebook_to_pdf``, ``notebook_to_typst``,
  ``compile_pdf`` (what the batch and the command line use, without nbconvert).
* :mod:`abcresearch.reports.render.exporter` -- ``ThaiPDFExporter`` (nbconvert ``--to thai_pdf``).
* :mod:`abcresearch.reports.render.typst` -- notebook to Typst source; mimetype constants.
* :mod:`abcresearch.reports.render.display` -- ``show_table``, ``show_typst``, ``figure``,
  ``page_header``, ``write_summary`` and ``brief_errors`` for notebooks.
* :mod:`abcresearch.reports.render.fonts` -- the Thai font from PyPI for Typst and matplotlib.
"""

from __future__ import annotations

from typing import Any

TYPST_MIME = "application/vnd.abcresearch.typst"
TABLE_MIME = "application/vnd.abcresearch.table+json"

__all__ = ["TABLE_MIME", "TYPST_MIME", "notebook_to_pdf", "notebook_to_typst"]


def notebook_to_pdf(nb_or_path: Any, out_path: Any) -> Any:
    """Write a notebook's Thai PDF report atomically; see :func:`.pdf.notebook_to_pdf`."""
    from abcresearch.reports.render.pdf import notebook_to_pdf as _impl

    return _impl(nb_or_path, out_path)


def notebook_to_typst(nb: Any, build_dir: Any = None) -> str:
    """Return a notebook's report as Typst source; see :func:`.pdf.notebook_to_typst`."""
    from abcresearch.reports.render.pdf import notebook_to_typst as _impl

    return _impl(nb, build_dir)
