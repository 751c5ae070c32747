"""abcresearch: area-based community capital research for Thailand.

Ingest and validate household capital surveys, compute design-based statistics, score capital
levels and grade villages and tambons, and render per-area Thai PDF reports.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
