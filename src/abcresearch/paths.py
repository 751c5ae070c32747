"""Project paths, derived from the package location or from environment variables.

Nothing here logs or touches the disk at import time.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """Return the project root (the folder that holds ``params/``).

    ``ABCRESEARCH_ROOT`` overrides; otherwise the source checkout that holds this package.
    """
    env = os.environ.get("ABCRESEARCH_ROOT")
    if env:
        return Path(env).resolve()
    return PACKAGE_DIR.parent.parent


def params_dir() -> Path:
    """Return the folder of parameter files (``ABCRESEARCH_PARAMS`` overrides)."""
    env = os.environ.get("ABCRESEARCH_PARAMS")
    return Path(env).resolve() if env else project_root() / "params"


def default_store() -> Path:
    """Return the default analysis store, ``data/store`` under the project root."""
    env = os.environ.get("ABCRESEARCH_STORE")
    return Path(env).resolve() if env else project_root() / "data" / "store"


def reports_dir() -> Path:
    """Return the default reports folder."""
    return project_root() / "reports"
