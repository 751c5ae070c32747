"""Atomic file writes: a temporary file in the same folder, then ``os.replace``.

Nothing is ever half-written under its final name. Import-light on purpose (the PDF exporter uses
it without pulling in pandas).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and os.replace."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, value: Any) -> None:
    """Write JSON (UTF-8, sorted keys) atomically."""
    text = json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))
