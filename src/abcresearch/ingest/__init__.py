"""The ingest step: export folder -> validated, pseudonymised round in the store.

Sits above :mod:`abcresearch.survey` (which reads and validates the exports) and
:mod:`abcresearch.store` (which it writes); :func:`ingest` is what ``abcresearch ingest`` runs.
It may import the core modules, ``survey`` and ``store``.
"""

from __future__ import annotations

from abcresearch.ingest.pipeline import (
    IngestResult,
    already_ingested,
    ingest,
    ingest_key,
    summary_markdown,
)

__all__ = ["IngestResult", "already_ingested", "ingest", "ingest_key", "summary_markdown"]
