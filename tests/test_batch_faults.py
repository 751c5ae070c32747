"""Batch faults (issue 9 item 9): a damaged store partition fails only its own areas; killing a
batch's parent leaves no worker or kernel behind.

The analysis test copies the session's sample store (amphoe Khanom, 8015) and damages one
tambon's households partition; no kernel is needed for it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from abcresearch.errors import StoreError

ROUND = 2549
DAMAGED = "801502"


@pytest.fixture(scope="module")
def damaged_store(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample store whose tambon 801502 households file is corrupt Parquet."""
    store = tmp_path_factory.mktemp("damaged") / "store"
    shutil.copytree(sample_store, store, ignore=shutil.ignore_patterns("derived", "*.lock"))
    part = _damaged_file(store)
    original = part.read_bytes()
    (store.parent / "original.parquet").write_bytes(original)
    data = bytearray(original)
    data[len(data) // 2: len(data) // 2 + 64] = b"\x00" * 64  # a damaged page, footer intact
    part.write_bytes(bytes(data))
    return store


def _damaged_file(store: Path) -> Path:
    from abcresearch.store import round_folder

    return (round_folder(ROUND, store) / "households" / f"amphoe={DAMAGED[:4]}"
            / f"tambon={DAMAGED}" / "part-0.parquet")


def test_a_damaged_partition_fails_only_its_own_areas(damaged_store: Path) -> None:
    from abcresearch.analysis.round import round_analysis
    from abcresearch.reports.area import AreaReport
    from abcresearch.store import load

    analysis = round_analysis(ROUND, damaged_store)  # no cache yet: built from the store
    left_out = analysis.excluded
    assert [(p.table, p.tambon_code) for p in left_out] == [("households", DAMAGED)]
    assert "part-0.parquet" in left_out[0].path and left_out[0].reason
    households = analysis.households
    assert DAMAGED not in set(households["tambon_code"])
    others = sorted(set(households["tambon_code"]))
    assert others and all(t.startswith("8015") for t in others)
    assert set(analysis.tambons["tambon_code"]) == set(others)
    # the province mean rests on the readable tambons only
    province = analysis.means[analysis.means["level"] == "province"]
    assert province["n"].max() == len(households)  # n: households with the capital scored
    # a village of another tambon reads fine; the damaged tambon, its villages and amphoe fail
    assert len(analysis.area_households(others[0])) > 0
    for code in (DAMAGED, DAMAGED + "01", DAMAGED[:4]):
        with pytest.raises(StoreError, match=DAMAGED):
            analysis.area_households(code)
    with pytest.raises(StoreError, match=DAMAGED):
        AreaReport.load(DAMAGED, ROUND, store=damaged_store)
    report = AreaReport.load(others[0], ROUND, store=damaged_store)
    assert report.analysis.excluded == left_out
    # the cached analysis says the same (read back, not rebuilt)
    again = round_analysis(ROUND, damaged_store)
    assert again.cache_dir == analysis.cache_dir and again.excluded == left_out
    with pytest.raises(StoreError):  # the ordinary reader still refuses the damaged file
        load(ROUND, area=DAMAGED, store=damaged_store)


def test_a_village_batch_lists_the_damaged_tambons_villages_from_their_forms(
        damaged_store: Path, sample_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The village codes of a batch come from one read of the households; a damaged file fails
    that read, and then each tambon's own (its village forms where its households are
    damaged): the same list as before, the damaged tambon's villages included."""
    from abcresearch.batch.run import available_areas
    from abcresearch.store import load, read

    def tambon_by_tambon(store: Path) -> list[str]:
        codes: set[str] = set()
        for tambon in sorted({c[:6] for c in available_areas(ROUND, "tambon", "8015", store)}):
            try:
                frame = load(ROUND, area=tambon, store=store, columns=["village_code"])
            except StoreError:
                frame = load(ROUND, area=tambon, store=store, table="villages",
                             columns=["village_code"])
            codes.update(frame["village_code"].astype(str))
        return sorted(codes)

    for store in (sample_store, damaged_store):
        listed = available_areas(ROUND, "village", "8015", store)
        assert listed == tambon_by_tambon(store)
    # reading only the village codes does not reach the damaged page: a read of several
    # tambons that fails, as one reaching it does, leaves the list as it was
    real_load = read.load

    def failing(survey_round: int, area: str | None = None, **kw: object):
        if area is None or len(area) < 6:
            raise StoreError(f"cannot read households of round {survey_round}: damaged")
        return real_load(survey_round, area=area, **kw)

    monkeypatch.setattr(read, "load", failing)
    assert available_areas(ROUND, "village", "8015", damaged_store) == listed
    monkeypatch.setattr(read, "load", real_load)
    assert any(c.startswith(DAMAGED) for c in available_areas(ROUND, "village", "8015",
                                                              damaged_store))
    assert available_areas(ROUND, "village", DAMAGED, damaged_store) == [
        c for c in listed if c.startswith(DAMAGED)]


def test_a_single_report_finds_the_same_damaged_files_without_the_analysis(
        damaged_store: Path, sample_store: Path) -> None:
    """``abcresearch report`` checks the files' hashes instead of building the analysis."""
    from abcresearch.batch.incomplete import refusal, round_left_out
    from abcresearch.store.partitions import find_damaged, load_readable

    quick = find_damaged(ROUND, damaged_store)
    assert quick == load_readable(ROUND, damaged_store).excluded
    assert [(p.table, p.tambon_code) for p in quick] == [("households", DAMAGED)]
    assert round_left_out(ROUND, damaged_store, analyse=False) == quick
    assert refusal(DAMAGED + "01", quick) is not None and refusal("801501", quick) is None
    assert find_damaged(ROUND, sample_store) == ()


def test_a_file_checked_once_is_checked_again_when_it_changes(
        sample_store: Path, tmp_path: Path) -> None:
    """A worker hashes each file once (it remembers a good file by its identity and times);
    a file damaged afterwards, its modification time put back, is still found."""
    import os

    from abcresearch.store.partitions import find_damaged

    store = tmp_path / "store"
    shutil.copytree(sample_store, store, ignore=shutil.ignore_patterns("derived", "*.lock"))
    assert find_damaged(ROUND, store) == ()
    part = _damaged_file(store)
    st = part.stat()
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one bit flipped, same size
    part.write_bytes(bytes(data))
    os.utime(part, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert part.stat().st_mtime_ns == st.st_mtime_ns
    found = find_damaged(ROUND, store)
    assert [(p.table, p.tambon_code) for p in found] == [("households", DAMAGED)]
    assert "sha256" in found[0].reason



def _pdf_text(path: Path) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def test_a_batch_over_a_damaged_store_fails_small_and_says_so(damaged_store: Path,
                                                              tmp_path: Path,
                                                              monkeypatch) -> None:
    import json

    import nbformat

    from abcresearch.analysis.round import round_analysis
    from abcresearch.batch.incomplete import LEFT_OUT_KEY, WARNING_KEY, WARNING_TAG
    from abcresearch.batch.run import plan_batch, run_batch
    from abcresearch.store import round_folder

    monkeypatch.setenv("ABCRESEARCH_WARM_IMPORTS", "pandas,abcresearch.analysis.round")
    notebook = Path(__file__).parent / "notebooks" / "tiny_analysis.ipynb"
    out = tmp_path / "reports"
    result = run_batch(ROUND, "tambon", within="8015", store=damaged_store, out=out,
                       notebook=notebook, province_notebook=tmp_path / "none.ipynb",
                       workers=1, progress=False)
    assert [o.area_code for o in result.failed] == [DAMAGED]
    failed = result.failed[0]
    assert "households" in failed.error and f"tambon={DAMAGED}" in failed.error
    assert failed.paths.error.is_file() and not failed.paths.ipynb.exists()  # no kernel
    ok = [o for o in result.outcomes if o.status == "ok"]
    assert len(ok) == 2
    for o in ok:
        nb = nbformat.read(o.paths.ipynb, as_version=4)
        warning = [c for c in nb.cells if WARNING_TAG in c.metadata.get("tags", [])]
        assert len(warning) == 1 and DAMAGED in warning[0].source
        assert "ควนทอง" in warning[0].source  # the tambon's name, in the report's language
        assert DAMAGED in _pdf_text(o.paths.pdf)
        summary = json.loads(o.paths.summary.read_text())
        assert summary[LEFT_OUT_KEY] == [DAMAGED] and DAMAGED in summary[WARNING_KEY]
        assert summary["households"] > 0
        assert json.loads(o.paths.inputs.read_text())["left_out"] == [DAMAGED]
    page = result.index.read_text()
    assert 'id="left-out"' in page and "Khuan Thong" in page and DAMAGED in page
    assert f"tambon/{DAMAGED}.error.txt" in page

    # the damaged file repaired by hand: the analysis reads it again, every report is redone
    part = _damaged_file(damaged_store)
    damaged = part.read_bytes()
    part.write_bytes((damaged_store.parent / "original.parquet").read_bytes())
    try:
        assert round_analysis(ROUND, damaged_store).excluded == ()
        plan = plan_batch(ROUND, "tambon", "8015", damaged_store, out, notebook=notebook,
                          province_notebook=tmp_path / "none.ipynb")
        assert not plan.refused and not plan.skipped and len(plan.tasks) == 3
        assert all("left_out" not in t.inputs and not t.left_out for t in plan.tasks)
    finally:  # the module's store stays damaged, without a cache
        part.write_bytes(damaged)
        shutil.rmtree(round_folder(ROUND, damaged_store) / "derived", ignore_errors=True)


# --------------------------------------------------------------------------------------------
# A killed batch leaves nothing running
# --------------------------------------------------------------------------------------------

_PARENT = """
import sys
from pathlib import Path
from abcresearch.batch.run import run_batch
store, out, notebook = map(Path, sys.argv[1:4])
run_batch(2568, "tambon", within="8001", store=store, out=out, notebook=notebook,
          province_notebook=out / "none.ipynb", workers=1, progress=False, engine=sys.argv[4])
"""


def _slow_notebook(folder: Path) -> Path:
    """The tiny area notebook with a first cell that waits (a report still running)."""
    import nbformat

    nb = nbformat.read(Path(__file__).parent / "notebooks" / "tiny_area.ipynb", as_version=4)
    running = folder / "running"
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        f"import pathlib, time\npathlib.Path({str(running)!r}).touch()\ntime.sleep(120)"))
    path = folder / "notebooks" / "slow_area.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("engine", ["abcresearch_inprocess", "abcresearch_warm"])
def test_killing_the_batch_parent_stops_its_workers_and_kernels(tmp_path: Path,
                                                                 engine: str) -> None:
    import signal
    import subprocess
    import sys
    import time

    import psutil
    from fixtures.fake_store import make_store

    store = make_store(tmp_path, ["800101", "800102"])
    notebook = _slow_notebook(tmp_path)
    env = {**__import__("os").environ,
           "ABCRESEARCH_WARM_IMPORTS": "numpy,matplotlib.pyplot,abcresearch.batch.runner"}
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(store), str(tmp_path / "out"),
                               str(notebook), engine], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    seen: dict[int, psutil.Process] = {}
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "running").exists():  # a report is in its sleeping cell
            assert parent.poll() is None, "the batch ended before it could be killed"
            assert time.monotonic() < deadline, "no report started within 120 s"
            time.sleep(0.5)
            for p in psutil.Process(parent.pid).children(recursive=True):
                seen.setdefault(p.pid, p)
        for p in psutil.Process(parent.pid).children(recursive=True):
            seen.setdefault(p.pid, p)
        # the worker, and with the warm engine its kernel, which runs the notebook
        assert any(_is_kernel(p) for p in seen.values()) == (engine == "abcresearch_warm")
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 20
        while (alive := [p for p in seen.values() if _running(p)]) and \
                time.monotonic() < deadline:
            time.sleep(0.5)
        assert not alive, f"still running after the parent was killed: {_describe(alive)}"
    finally:
        for p in seen.values():  # never leave a process of this test behind
            if _running(p):
                p.kill()
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def _is_kernel(p) -> bool:
    try:
        return "ipykernel" in " ".join(p.cmdline())
    except Exception:
        return False


def _running(p) -> bool:
    import psutil

    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(procs) -> str:
    out = []
    for p in procs:
        try:
            out.append(f"{p.pid} {' '.join(p.cmdline())[:80]}")
        except Exception:
            out.append(str(p.pid))
    return "; ".join(out)
