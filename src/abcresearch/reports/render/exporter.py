"""nbconvert exporter that typesets an executed notebook as a Thai PDF with Typst.

Registered under the ``nbconvert.exporters`` entry point :data:`EXPORTER_NAME` (``thai_pdf``), so
``jupyter nbconvert --to thai_pdf report.ipynb``, the Jupyter server's
``GET /nbconvert/thai_pdf/<path>`` and JupyterLab's *File > Save and Export Notebook As >
Thai_pdf* all use it. (JupyterLab labels an exporter with its entry-point name, first letter
upper-cased, unless it is one of nbconvert's built-in formats; it ignores
``export_from_notebook``. Hence the short, readable name.)

A notebook that was never run has nothing to typeset: exporting it raises a
:class:`~abcresearch.errors.ReportError` that says so (the server answers 500 with that sentence)
instead of writing an empty PDF. Under ``jupyter nbconvert`` the sentence is the error, logged
by nbconvert's application and followed by its exit status 1, as nbconvert does for a failed
conversion: an exception would print nbconvert's own 30-line traceback before it (nbconvert
reports every exception from an exporter, its ``ConversionException`` too, with a traceback).

The PDF itself is made by :mod:`abcresearch.reports.render.pdf`, which the batch and the command
line use without importing nbconvert.
"""

from __future__ import annotations

import sys
from typing import Any

from nbconvert.exporters import Exporter
from traitlets import default
from traitlets.config import Config

from abcresearch.errors import ReportError
from abcresearch.reports.render.pdf import check_executed, compile_pdf
from abcresearch.reports.render.publishable import check_publishable
from abcresearch.reports.render.typst import render_notebook

__all__ = ["EXPORTER_NAME", "ThaiPDFExporter"]

EXPORTER_NAME = "thai_pdf"
"""Name of the exporter (``nbconvert.exporters`` entry point, ``--to`` value, menu label)."""


class ThaiPDFExporter(Exporter):
    """Export an executed notebook as a Thai PDF report typeset by Typst.

    Code cells are hidden; Markdown and outputs are typeset (tables as tables, figures as
    vector graphics); the page header shows the area name and page numbers. See
    :mod:`abcresearch.reports.render.typst` for the mimetypes and metadata it understands.
    """

    export_from_notebook = "Thai PDF (Typst)"
    output_mimetype = "application/pdf"

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    @property
    def default_config(self) -> Config:
        """Enable the tag and regex removal preprocessors, as nbconvert's template exporters do."""
        config = Config(
            {
                "TagRemovePreprocessor": {"enabled": True},
                "RegexRemovePreprocessor": {"enabled": True},
            }
        )
        config.merge(super().default_config)
        return config

    # nbconvert annotates Exporter.from_notebook_node as returning a NotebookNode, yet its own
    # binary exporters (PDFExporter) return bytes, as this one does
    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        """Convert a notebook node to PDF bytes.

        Parameters
        ----------
        nb : nbformat.NotebookNode
            The notebook (normally executed by papermill).
        resources : dict, optional
            nbconvert resources; ``metadata.name`` gives the fallback header title.
        **kw
            Passed to :meth:`nbconvert.exporters.Exporter.from_notebook_node`.

        Returns
        -------
        tuple of (bytes, dict)
            The PDF and the resources.

        Raises
        ------
        ReportError
            If the notebook was never run, it shows personal data
            (:func:`~abcresearch.reports.render.publishable.check_publishable`), or Typst fails.
        SystemExit
            If the notebook is refused so and ``jupyter nbconvert`` is running: the reason is
            logged as one sentence and the application exits with status 1.
        """
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        name = (resources.get("metadata") or {}).get("name") or None
        try:
            check_executed(nb_copy, name)
            # no names, IDs or phones; a cell is named by its place in the user's notebook
            check_publishable(nb_copy, name, numbered_as=nb)
        except ReportError as err:
            _exit_from_nbconvert(err)
            raise
        pdf = compile_pdf(render_notebook(nb_copy, fallback_title=name))
        resources["output_extension"] = ".pdf"
        return pdf, resources


def _exit_from_nbconvert(err: ReportError) -> None:
    """Under ``jupyter nbconvert``, log ``err`` as its one sentence and exit with status 1.

    nbconvert's application prints the traceback of any exception an exporter raises (for its
    own ``ConversionException`` as well), so the user read 30 lines of nbconvert's frames
    before the sentence that says what to do. Elsewhere (the Jupyter server, which answers
    500 with the sentence; a program calling the exporter) this returns and the error is
    raised.

    Parameters
    ----------
    err : ReportError
        What is wrong with the notebook, in one sentence.
    """
    module = sys.modules.get("nbconvert.nbconvertapp")  # imported by `jupyter nbconvert` only
    app_class = getattr(module, "NbConvertApp", None)
    if app_class is None or not app_class.initialized():
        return
    app = app_class.instance()
    app.log.error("%s", err)
    app.exit(1)
