"""The batch's fast route gives the same report as the plain route (issue 16).

The plain route is what a user scripts: papermill runs the shipped tambon notebook in a fresh
kernel, and the executed notebook is exported to PDF. The fast route is a batch worker's: the
same notebook in a warm kernel that has already made another area's report (reset between the
two). Both reports must carry the same text and the same page images.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from abcresearch.batch import kernels
from abcresearch.batch.runner import run_report

pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 comes with the dev extra")


def _pages(pdf: Path) -> tuple[list[str], list[np.ndarray]]:
    doc = pdfium.PdfDocument(str(pdf))
    texts = [page.get_textpage().get_text_range() for page in doc]
    images = [page.render(scale=0.75).to_numpy().copy() for page in doc]
    doc.close()
    return texts, images


def test_warm_batch_route_gives_the_plain_routes_text_and_page_images(
        sample_store: Path, tmp_path: Path) -> None:
    plain = run_report("801502", 2549, store=sample_store, out=tmp_path / "plain")
    try:
        other = run_report("801501", 2549, store=sample_store, out=tmp_path / "other",
                           engine=kernels.ENGINE_NAME)
        fast = run_report("801502", 2549, store=sample_store, out=tmp_path / "fast",
                          engine=kernels.ENGINE_NAME)
    finally:
        kernels.POOL.close()
    assert plain.status == other.status == fast.status == "ok"
    plain_text, plain_images = _pages(plain.paths.pdf)
    fast_text, fast_images = _pages(fast.paths.pdf)
    assert len(plain_text) >= 8  # the whole tambon report, not a stub
    assert fast_text == plain_text
    assert len(fast_images) == len(plain_images)
    for page, (a, b) in enumerate(zip(plain_images, fast_images, strict=True), start=1):
        assert a.shape == b.shape and np.array_equal(a, b), f"page {page} differs"
    assert fast.summary == plain.summary
