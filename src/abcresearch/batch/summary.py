"""Key figures of a report (the summary JSON beside each PDF).

The notebook publishes them once, in the kernel, with
:func:`~abcresearch.reports.render.display.write_summary`, e.g.
``write_summary({"grade": "B", "households": 1520, "m0": 0.081, "share_level1": 0.23})``. That
displays a JSON bundle of mimetype :data:`SUMMARY_MIME` (the PDF renderer ignores it); the runner
reads it back from the executed notebook (:func:`summary_from_outputs`) into
``metadata.abcresearch.summary`` and ``<code>.summary.json``. This works the same in warm, cold and
remote kernels, because nothing but the notebook output travels. Keys shown on the index page:
:data:`SUMMARY_KEYS`; other keys are kept.
"""

from __future__ import annotations

import json
from typing import Any

from abcresearch.reports.render.display import SUMMARY_MIME, write_summary

SUMMARY_KEYS = ("grade", "households", "m0", "share_level1")
"""Summary keys shown on the index page (grade, households, M0, share of households at level 1)."""


def summary_from_outputs(nb: Any) -> dict[str, Any] | None:
    """Return the last key-figure bundle among a notebook's outputs, or None.

    Parameters
    ----------
    nb : nbformat.NotebookNode or mapping
        An executed notebook.

    Returns
    -------
    dict or None
        The published key figures.
    """
    found = None
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []) or []:
            data = output.get("data") or {}
            if SUMMARY_MIME in data:
                value = data[SUMMARY_MIME]
                found = json.loads(value) if isinstance(value, str) else dict(value)
    return found


__all__ = ["SUMMARY_KEYS", "SUMMARY_MIME", "summary_from_outputs", "write_summary"]
