"""Tests of batch reports (abcresearch.batch.run): fault isolation, skipping, resuming, index, Dask.

Uses the fixture notebooks in ``tests/notebooks/`` and a fake store (see ``make_store``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.fake_store import ROUND, make_store

from abcresearch.batch.run import available_areas, plan_batch, run_batch
from abcresearch.cli import main
from abcresearch.errors import AreaError

NOTEBOOKS = Path(__file__).parent / "notebooks"
TINY = NOTEBOOKS / "tiny_area.ipynb"
PROVINCE = NOTEBOOKS / "tiny_province.ipynb"
TAMBONS = ["800101", "800102", "800103", "800106", "800201", "800202"]
DASK = Path(sys.executable).parent / "dask"


def _batch(store: Path, out: Path, **kw):
    kw.setdefault("workers", 2)
    return run_batch(ROUND, "tambon", within="80", store=store, out=out, notebook=TINY,
                     province_notebook=PROVINCE, progress=False, **kw)


def _mtimes(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "2568" / "tambon").glob("*.pdf")}


def test_available_areas_follow_the_store(tmp_path: Path) -> None:
    store = make_store(tmp_path, TAMBONS + ["80010101", "80010102"])
    assert available_areas(ROUND, "tambon", "8001", store) == TAMBONS[:4]
    assert available_areas(ROUND, "amphoe", None, store) == ["8001", "8002"]
    assert available_areas(ROUND, "village", "800101", store) == ["80010101", "80010102"]
    # a within at or below the level asked for is refused, not answered with no areas (a
    # user's walk-through: `batch --level tambon --within <village>` ran 0 reports, exit 0)
    with pytest.raises(AreaError, match="within 80010101 is a code of level village"):
        available_areas(ROUND, "tambon", "80010101", store)
    with pytest.raises(AreaError, match="amphoe areas lie within a province code"):
        available_areas(ROUND, "amphoe", "8001", store)


def test_failure_isolated_rerun_skips_and_resume(tmp_path: Path) -> None:
    store = make_store(tmp_path, TAMBONS, fail=("800103",))
    out = tmp_path / "reports"
    first = _batch(store, out)
    assert first.exit_code == 1
    assert [o.area_code for o in first.failed] == ["800103"]
    assert first.count("ok") == 5
    tambon = out / "2568" / "tambon"
    assert (tambon / "800103.error.txt").read_text().count("deliberate failure") >= 1
    assert (tambon / "800103.ipynb").is_file() and not (tambon / "800103.pdf").exists()
    assert "800103" in first.summary() and "800103.error.txt" in first.summary()
    assert (out / "2568" / "province" / "80.pdf").is_file()
    # the index lists every area, its grade and key figures, the province PDF; sortable
    page = (out / "2568" / "index.html").read_text()
    for code in TAMBONS:
        assert code in page
    assert "tambon/800101.pdf" in page and "tambon/800103.error.txt" in page
    assert "province/80.pdf" in page and "<script>" in page and "http" not in page.lower()
    assert "ตำบล" in page and "Subdistrict" in page
    # the count says what it counts; the households column is the sample (the cover's total is
    # the estimate)
    n = len(first.outcomes)
    assert f"รายงาน {n} ฉบับ" in page and f"{n} reports" in page
    assert "ครัวเรือนที่สำรวจ" in page and "Households surveyed" in page

    # second run: everything current is skipped (only the failed area runs again)
    before = _mtimes(out)
    second = _batch(store, out)
    assert second.count("skipped") == 5 and second.count("ok") == 0
    assert _mtimes(out) == before

    # an interrupted run: stop after two reports, then resume; only missing reports run
    for name in ("800101", "800201", "800202"):
        (tambon / f"{name}.pdf").unlink()

    def stop_after_two(outcome, seen=[]):  # noqa: B006 - closure state for the test
        seen.append(outcome.area_code)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _batch(store, out, on_result=stop_after_two)
    assert not list(tambon.glob(".*tmp*"))
    resumed = _batch(store, out)
    ran = sorted(o.area_code for o in resumed.outcomes if o.status != "skipped")
    assert set(ran) <= {"800101", "800201", "800202", "800103"}
    assert "800103" in ran and len(ran) < 4 + 1
    assert all((tambon / f"{c}.pdf").is_file() for c in TAMBONS if c != "800103")

    # --force plans every area again, even current ones
    plan = plan_batch(ROUND, "tambon", "80", store, out, notebook=TINY,
                      province_notebook=PROVINCE, force=True)
    assert len(plan.tasks) == len(TAMBONS) and not plan.skipped and plan.province_tasks
    assert plan_batch(ROUND, "tambon", "80", store, out, notebook=TINY).skipped


def test_the_index_keeps_listing_the_reports_of_earlier_batches(tmp_path: Path) -> None:
    # a batch of amphoe 8002 after one of 8001 wrote an index of 8002's two tambons only: the
    # committee's page lost the four reports of 8001 that were still in the folder
    store = make_store(tmp_path, TAMBONS)
    out = tmp_path / "reports"
    for within in ("8001", "8002"):
        run_batch(ROUND, "tambon", within=within, store=store, out=out, notebook=TINY,
                  province_notebook=PROVINCE, progress=False, workers=1)
        page = (out / "2568" / "index.html").read_text()
        if within == "8001":  # the reader learns that 2 of the round's tambons have none yet
            assert "ตำบล: มีรายงาน 4 จาก 6 ตำบลที่มีข้อมูลในรอบนี้ ยังไม่มีรายงาน 2 ตำบล" in page
            assert ("reports for 4 of the 6 tambons with data in this round; 2 without a "
                    "report yet") in page
    at = [page.index(f'href="tambon/{code}.pdf"') for code in TAMBONS]
    assert at == sorted(at)  # every report, in the order of the codes
    assert f"รายงาน {len(TAMBONS)} ฉบับ" in page
    assert "ตำบล: มีรายงานครบทุกตำบลที่มีข้อมูลในรอบนี้ (6 ตำบล)" in page
    # a report removed from the folder leaves the index with the next batch
    (out / "2568" / "tambon" / "800101.pdf").unlink()
    run_batch(ROUND, "tambon", within="8002", store=store, out=out, notebook=TINY,
              province_notebook=PROVINCE, progress=False, workers=1)
    page = (out / "2568" / "index.html").read_text()
    assert "800101" not in page and 'href="tambon/800102.pdf"' in page
    assert "มีรายงาน 5 จาก 6 ตำบล" in page
    # an error log beside a kept PDF (a forced rerun failed): listed as failed, with its log
    (out / "2568" / "tambon" / "800102.error.txt").write_text("Report 800102 failed: x\n")
    run_batch(ROUND, "tambon", within="8002", store=store, out=out, notebook=TINY,
              province_notebook=PROVINCE, progress=False, workers=1)
    page = (out / "2568" / "index.html").read_text()
    assert 'href="tambon/800102.error.txt"' in page and "· 1\n" in page  # 1 failed
    # the names sort in the language shown: Thai by the Thai names, not by the English ones
    # (a reader found the Thai column's order random)
    from abcresearch.survey.areas import get_area

    name = get_area("800102").label("th")
    assert f'data-sort-th="{name}"' in page and "dataset[k]" in page


def test_the_index_coverage_lists_the_rounds_areas_or_nothing(tmp_path: Path,
                                                              monkeypatch) -> None:
    import abcresearch.batch.run as run_mod

    store = make_store(tmp_path, TAMBONS)
    assert run_mod.round_areas(ROUND, ["tambon", "province"], store) == {"tambon": TAMBONS}

    def broken(*args, **kwargs):
        raise RuntimeError("store unreadable")

    monkeypatch.setattr(run_mod, "available_areas", broken)
    assert run_mod.round_areas(ROUND, ["tambon"], store) == {}  # no line, not a lost index


def test_a_non_default_scheme_plans_into_its_own_folder(tmp_path: Path) -> None:
    store = make_store(tmp_path, TAMBONS[:2])
    out = tmp_path / "reports"
    plan = plan_batch(ROUND, "tambon", "8001", store, out, notebook=TINY, scheme="scoring_slf5")
    assert plan.folder == out / "2568" / "scoring_slf5"
    assert [t.paths.pdf for t in plan.tasks] == [
        out / "2568" / "scoring_slf5" / "tambon" / f"{c}.pdf" for c in TAMBONS[:2]]
    assert all(t.parameters["scheme"] == "scoring_slf5" for t in plan.tasks)
    assert all(not Path(t.parameters["store"]).is_absolute() for t in plan.tasks)
    default = plan_batch(ROUND, "tambon", "8001", store, out, notebook=TINY)
    assert default.folder == out / "2568"
    assert all("scheme" not in t.parameters for t in default.tasks)
    assert default.tasks[0].inputs != plan.tasks[0].inputs
    # English reports and their index page beside the Thai ones, not over them
    english = plan_batch(ROUND, "tambon", "8001", store, out, notebook=TINY, lang="en")
    assert english.folder == out / "2568" / "en"
    assert [t.paths.pdf for t in english.tasks] == [
        out / "2568" / "en" / "tambon" / f"{c}.pdf" for c in TAMBONS[:2]]


def test_cli_batch_exit_code_and_summary(tmp_path: Path, capsys, monkeypatch) -> None:
    store = make_store(tmp_path, TAMBONS[:2], fail=("800102",))
    monkeypatch.setattr("abcresearch.batch.run.default_notebook",
                        lambda level: TINY if level != "province" else tmp_path / "none.ipynb")
    code = main(["batch", "--round", str(ROUND), "--level", "tambon", "--within", "8001",
                 "--store", str(store), "--out", str(tmp_path / "r"), "--workers", "1"])
    printed = capsys.readouterr()
    assert code == 1
    assert "1 failed" in printed.out and "800102.error.txt" in printed.out
    code = main(["batch", "--round", "2500", "--level", "tambon", "--store", str(store)])
    assert code == 2 and "2500" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log(files: list, path: Path):
    f = open(path, "w")  # noqa: SIM115 - closed in the fixture's finaliser
    files.append(f)
    return f


@pytest.fixture(autouse=True)
def _light_warm_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warm kernels pre-import only what the fixture notebook uses (faster start in tests)."""
    monkeypatch.setenv("ABCRESEARCH_WARM_IMPORTS",
                       "numpy,matplotlib.pyplot,abcresearch.batch.runner")


@pytest.fixture
def dask_cluster(tmp_path: Path):
    """A real scheduler and two single-thread workers on 127.0.0.1, stopped afterwards."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    procs = []
    files = []
    try:
        procs.append(subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--dashboard-address", ":0", "--no-show"],
            stdout=_log(files, logs / "scheduler.log"), stderr=subprocess.STDOUT, env=env))
        for i in range(2):
            procs.append(subprocess.Popen(
                [str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--host", "127.0.0.1", "--dashboard-address", ":0", "--name", f"w{i}",
                 "--local-directory", str(tmp_path / f"w{i}")],
                stdout=_log(files, logs / f"worker{i}.log"), stderr=subprocess.STDOUT,
                env=env))
        from distributed import Client

        deadline = time.monotonic() + 45
        with Client(address, timeout="30s", set_as_default=False) as client:
            while len(client.scheduler_info()["workers"]) < 2:
                assert time.monotonic() < deadline, "Dask workers did not start in 45 s"
                time.sleep(0.2)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for f in files:
            f.close()


def test_dask_run_matches_local_run(tmp_path: Path, dask_cluster: str) -> None:
    import nbformat

    store = make_store(tmp_path, TAMBONS[:4], fail=("800103",))
    local = run_batch(ROUND, "tambon", within="8001", store=store, out=tmp_path / "local",
                      notebook=TINY, province_notebook=PROVINCE, progress=False, workers=2)
    remote = run_batch(ROUND, "tambon", within="8001", store=store, out=tmp_path / "dask",
                       notebook=TINY, province_notebook=PROVINCE, progress=False,
                       scheduler=dask_cluster)
    assert [(o.area_code, o.status) for o in local.outcomes] == \
        [(o.area_code, o.status) for o in remote.outcomes]
    assert remote.exit_code == 1 and remote.count("ok") == 3

    def files(root: Path) -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    assert files(tmp_path / "local") == files(tmp_path / "dask")
    for o in local.outcomes:
        twin = tmp_path / "dask" / o.paths.ipynb.relative_to(tmp_path / "local")
        if o.status == "ok":
            assert o.paths.pdf.read_bytes() == (twin.with_suffix(".pdf")).read_bytes()
            assert o.paths.summary.read_text() == twin.with_suffix(".summary.json").read_text()
        a = [c.get("outputs") for c in nbformat.read(o.paths.ipynb, 4).cells
             if c.cell_type == "code"]
        b = [c.get("outputs") for c in nbformat.read(twin, 4).cells if c.cell_type == "code"]
        assert a == b


@pytest.mark.parametrize("leaves", [False, True])
def test_a_dask_cluster_that_can_run_nothing_fails_the_reports_left_instead_of_hanging(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, leaves: bool) -> None:
    """A Dask worker paused at 80% of its memory limit took no report again (a report's memory
    is not Dask's to spill) and the batch waited for ever (fortieth session). With every
    worker paused (or, after one was there, none left) for DASK_STALL_SECONDS the batch stops
    waiting: the reports left fail, each saying why, and the index is written."""
    import threading

    from distributed import Client, LocalCluster
    from distributed.core import Status

    from abcresearch.batch import run as batch_run

    monkeypatch.setattr(batch_run, "DASK_STALL_SECONDS", 2.0)
    monkeypatch.setattr(batch_run, "DASK_CHECK_SECONDS", 0.2)
    store = make_store(tmp_path, TAMBONS[:3])
    # no memory limit: no memory monitor to resume the workers paused by hand here
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, memory_limit=0,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        client.run(lambda dask_worker: setattr(dask_worker, "status", Status.paused))
        results: list = []
        thread = threading.Thread(target=lambda: results.append(run_batch(
            ROUND, "tambon", within="8001", store=store, out=tmp_path / "r", notebook=TINY,
            province_notebook=PROVINCE, progress=False, scheduler=cluster.scheduler_address)),
            daemon=True)
        thread.start()
        if leaves:  # the batch saw the worker; then it goes
            time.sleep(0.8)
            client.retire_workers(list(client.scheduler_info()["workers"]))
        thread.join(timeout=60)
        assert not thread.is_alive(), "the batch still waits on a cluster that runs nothing"
    result = results[0]
    assert result.count("ok") == 0 and len(result.failed) == 3 + len(result.province)
    why = "no worker is connected to it any more" if leaves else "no worker is running (0 paused"
    for outcome in result.failed:
        assert "could run no report" in outcome.error and why in outcome.error
        assert ("memory-limit" in outcome.paths.error.read_text()) is not leaves
    assert result.index is not None and result.index.is_file()


def test_a_dask_cluster_is_idle_only_when_no_worker_can_take_or_finish_a_report() -> None:
    """A paused worker still running a report is busy; a cluster that never had a worker may be
    starting them; a scheduler that does not answer, or an older one that lists every worker
    without being asked, does not stop the batch."""
    from abcresearch.batch.run import _idle_cluster

    class Scheduler:
        def __init__(self, workers: dict | None, old: bool = False) -> None:
            self.workers, self.old = workers, old

        def scheduler_info(self, **kwargs: object) -> dict:
            if self.workers is None:
                raise OSError("the scheduler is restarting")
            if self.old and kwargs:
                raise TypeError("identity() got an unexpected keyword argument 'n_workers'")
            return {"workers": self.workers}

    paused = {"name": "w0", "status": "paused", "memory_limit": 2**31,
              "metrics": {"memory": 1.7 * 2**30, "task_counts": {"executing": 0}}}
    busy = dict(paused, metrics={"memory": 1.7 * 2**30, "task_counts": {"executing": 1}})
    why, n = _idle_cluster(Scheduler({"tcp://a": paused}))
    assert n == 1 and why is not None and "w0 paused, 1.70 of its 2.00 GiB memory limit" in why
    assert _idle_cluster(Scheduler({"tcp://a": paused}, old=True))[0] == why
    assert _idle_cluster(Scheduler({"tcp://a": busy})) == (None, 1)
    assert _idle_cluster(Scheduler({"tcp://a": dict(paused, status="running")})) == (None, 1)
    assert _idle_cluster(Scheduler({}), seen_workers=False) == (None, 0)
    assert _idle_cluster(Scheduler({}))[0] == "no worker is connected to it any more"
    assert _idle_cluster(Scheduler(None)) == (None, -1)


@pytest.mark.parametrize("value", ["ten", "0", "-5"])
def test_a_mistyped_dask_stall_setting_says_so_before_the_batch_runs(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from abcresearch.batch.run import _run_dask
    from abcresearch.errors import ReportError

    monkeypatch.setenv("ABCRESEARCH_DASK_STALL_SECONDS", value)
    with pytest.raises(ReportError, match=f"ABCRESEARCH_DASK_STALL_SECONDS='{value}' is not"):
        _run_dask([], "tcp://127.0.0.1:1", lambda outcome: None)


def test_rounds_compare_with_the_earlier_round_and_link_each_other(tmp_path: Path,
                                                                   capsys) -> None:
    """Issue 12 item 6: each report gets the earlier round it compares with; the earlier round
    is part of its inputs; each round's index page links the others."""
    from abcresearch.atomic import atomic_write_json
    from abcresearch.batch.index_page import write_index
    from abcresearch.errors import ReportError

    store = make_store(tmp_path, ["800101", "800102"], survey_round=2566)
    make_store(tmp_path, ["800101", "800201"], survey_round=2564)
    make_store(tmp_path, TAMBONS[:3])  # 2568: tambon 800103 is new this round
    out = tmp_path / "reports"
    plan = plan_batch(ROUND, "tambon", "8001", store, out, notebook=TINY)
    by = {t.area_code: t for t in plan.tasks}
    assert by["800101"].parameters["compare_round"] == 2566
    assert by["800101"].inputs["compare"] == {
        "round": 2566, "data": "fp-800101",
        "round_data": by["800102"].inputs["compare"]["round_data"]}
    # not surveyed in any earlier round: the latest earlier round, where it has no data
    assert by["800103"].parameters["compare_round"] == 2566
    assert by["800103"].inputs["compare"]["data"] == ""
    assert plan_batch(2566, "tambon", "8001", store, out, notebook=TINY
                      ).tasks[0].parameters["compare_round"] == 2564
    first = plan_batch(2564, "tambon", "8001", store, out, notebook=TINY).tasks[0]
    assert first.parameters["compare_round"] is None and "compare" not in first.inputs
    chosen = plan_batch(ROUND, "tambon", "8001", store, out, notebook=TINY, compare_round=2564)
    assert {t.parameters["compare_round"] for t in chosen.tasks} == {2564}
    assert chosen.tasks[1].inputs["compare"]["data"] == ""  # 800102 was not surveyed in 2564
    with pytest.raises(ReportError, match="2567"):
        plan_batch(ROUND, "tambon", "8001", store, out, notebook=TINY, compare_round=2567)
    code = main(["batch", "--round", str(ROUND), "--level", "tambon", "--store", str(store),
                 "--compare-round", "2568"])
    assert code == 2 and "earlier rounds present: 2564, 2566" in capsys.readouterr().err

    # a report made is current until the earlier round it compares with changes
    task = by["800101"]
    task.paths.pdf.parent.mkdir(parents=True)
    task.paths.pdf.write_bytes(b"%PDF-1.7 stand-in")
    atomic_write_json(task.paths.inputs, task.inputs)
    again = plan_batch(ROUND, "tambon", "8001", store, out, notebook=TINY)
    assert [o.area_code for o in again.skipped] == ["800101"]
    make_store(tmp_path, ["800101", "800102"], survey_round=2566, version="fp2")  # re-ingested
    after = plan_batch(ROUND, "tambon", "8001", store, out, notebook=TINY)
    assert not after.skipped and "800101" in {t.area_code for t in after.tasks}

    # index pages: each links the other rounds present (and learns of rounds written later)
    older = write_index(out / "2566", 2566, [])
    assert "index.rounds" not in older.read_text() and 'href="../2568' not in older.read_text()
    newer = write_index(out / "2568", ROUND, [])
    assert 'href="../2566/index.html"' in newer.read_text()
    assert 'href="../2568/index.html"' in older.read_text()
    assert "<b>2566</b>" in older.read_text() and "<b>2568</b>" in newer.read_text()
    scheme = write_index(out / "2568" / "scoring_slf5", ROUND, [])
    assert "2566" not in scheme.read_text()  # no 2566 report under that scheme


def test_a_plan_works_out_each_rounds_fingerprints_once_and_as_a_single_report_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plan asked every tambon's hashes again for each report's two fingerprints (and its
    earlier round's two): 4.6 s for a province's 1,551 village reports. It now works each
    round's out once, and each report's inputs are those a report made alone records."""
    from abcresearch.batch import fingerprints as fp
    from abcresearch.batch.rounds import compare_inputs

    store = make_store(tmp_path, ["800101", "800102"], survey_round=2566)
    make_store(tmp_path, [*TAMBONS, *(t + v for t in TAMBONS for v in ("01", "02"))])
    calls: list[int] = []
    real = fp.fingerprints
    monkeypatch.setattr(fp, "fingerprints", lambda m: calls.append(1) or real(m))
    plan = plan_batch(ROUND, "village", "80", store, tmp_path / "reports", notebook=TINY)
    assert len(plan.tasks) >= 2 * len(TAMBONS)
    assert len(calls) == 2  # this round's manifest and the earlier round's, once each
    manifest = fp.read_manifest(ROUND, store)
    for task in plan.tasks:
        alone = fp.report_inputs(
            task.area_code, ROUND, "th", Path(task.notebook), manifest,
            compare=compare_inputs(task.area_code, 2566, store))
        assert task.inputs == alone
    assert len({t.inputs["data"] for t in plan.tasks}) == len(TAMBONS)  # a tambon's each
    # the fingerprints themselves, worked out here as the code before this change did: a
    # village's is its tambon's, the province's a hash of its tambons' (code, fingerprint)
    province = hashlib.sha256(json.dumps(sorted((t, f"fp-{t}") for t in TAMBONS)).encode())
    earlier = hashlib.sha256(json.dumps([("800101", "fp-800101"),
                                         ("800102", "fp-800102")]).encode())
    for task in plan.tasks:
        assert task.inputs["data"] == f"fp-{task.area_code[:6]}"
        assert task.inputs["round_data"] == province.hexdigest()
        assert task.inputs["compare"]["round_data"] == earlier.hexdigest()


def test_a_lost_worker_on_a_forced_rerun_keeps_the_good_report(tmp_path: Path) -> None:
    """Issue 9 item 9: a forced rerun whose worker dies must not delete the current report; a
    stale one is removed (it must not look current)."""
    from abcresearch.atomic import atomic_write_json
    from abcresearch.batch.run import _failed

    store = make_store(tmp_path, TAMBONS[:2])
    plan = plan_batch(ROUND, "tambon", "8001", store, tmp_path / "r", notebook=TINY, force=True)
    current, stale = plan.tasks
    for task in plan.tasks:
        task.paths.pdf.parent.mkdir(parents=True, exist_ok=True)
        task.paths.pdf.write_bytes(b"%PDF-1.7 good")
        atomic_write_json(task.paths.summary, {"grade": "A"})
        atomic_write_json(task.paths.inputs, task.inputs)
    atomic_write_json(stale.paths.inputs, {**stale.inputs, "data": "older"})
    for task in plan.tasks:
        outcome = _failed(task, "worker process failed: BrokenProcessPool")
        assert outcome.status == "failed" and "BrokenProcessPool" in task.paths.error.read_text()
    assert current.paths.pdf.read_bytes() == b"%PDF-1.7 good"
    assert current.paths.summary.is_file() and current.paths.inputs.is_file()
    assert not stale.paths.pdf.exists() and not stale.paths.inputs.exists()


def test_a_broken_rules_file_stops_the_batch_before_any_report(tmp_path: Path, capsys,
                                                               monkeypatch) -> None:
    """A typo in params/scoring.yaml failed every report of a batch, one after another, and
    each failure took its good (now stale) PDF, workbook and summary away."""
    import shutil

    from abcresearch.paths import project_root

    store = make_store(tmp_path, TAMBONS[:2])
    out = tmp_path / "r"
    result = _batch(store, out, workers=1)
    assert result.exit_code == 0
    before = _mtimes(out)
    assert len(before) == 2
    params = tmp_path / "params"
    shutil.copytree(project_root() / "params", params)
    scheme = params / "scoring.yaml"
    scheme.write_text(scheme.read_text(encoding="utf-8").replace("\nlevels:", "\nlevles:", 1),
                      encoding="utf-8")
    grades = params / "welfare.yaml"
    grades.write_text("fund: [unclosed\n", encoding="utf-8")
    monkeypatch.setenv("ABCRESEARCH_PARAMS", str(params))
    monkeypatch.setattr("abcresearch.batch.run.default_notebook", lambda level: TINY)
    code = main(["batch", "--round", str(ROUND), "--level", "tambon", "--within", "8001",
                 "--store", str(store), "--out", str(out), "--workers", "1", "--force"])
    err = capsys.readouterr().err
    assert code == 2
    assert "scoring.yaml" in err and "welfare.yaml" in err  # every broken file at once
    assert "No report was started or changed" in err
    assert _mtimes(out) == before  # the good reports are where they were
    assert sorted(p.name for p in (out / "2568" / "tambon").glob("*.summary.json")) == [
        "800101.summary.json", "800102.summary.json"]
    from abcresearch.batch.runner import run_report
    from abcresearch.errors import ParamsError

    with pytest.raises(ParamsError, match="scoring.yaml"):  # the CLI's report: exit 2
        run_report("800101", ROUND, store=store, out=out, notebook=TINY, skip_unchanged=False)
    assert _mtimes(out) == before


def test_the_methods_appendix_is_planned_with_the_round_and_made_again_when_rules_change(
        sample_store: Path, tmp_path: Path, monkeypatch) -> None:
    """After an edit of params/ the batch made every report again but left methods.pdf (the
    rules tables every report points to) as it was: only ``make demo`` made it."""
    import json
    import shutil

    from abcresearch.batch.run import METHODS
    from abcresearch.paths import project_root

    out = tmp_path / "reports"
    plan = plan_batch(2549, "tambon", "8015", store=sample_store, out=out)
    methods = [t for t in plan.province_tasks if t.level == METHODS]
    assert len(methods) == 1
    task = methods[0]
    assert task.paths.pdf == plan.folder / "methods.pdf"
    assert task.notebook.endswith("notebooks/methods.ipynb")
    assert task.parameters["survey_round"] == 2549 and task.parameters["lang"] == "th"
    # made: current, not planned again
    task.paths.pdf.parent.mkdir(parents=True, exist_ok=True)
    task.paths.pdf.write_bytes(b"%PDF-1.7")
    task.paths.inputs.write_text(json.dumps(task.inputs), encoding="utf-8")
    again = plan_batch(2549, "tambon", "8015", store=sample_store, out=out)
    assert not [t for t in again.province_tasks if t.level == METHODS]
    # the rules change: planned again, as the reports are
    params = tmp_path / "params"
    shutil.copytree(project_root() / "params", params)
    grades = params / "grades.yaml"
    grades.write_text(grades.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    monkeypatch.setenv("ABCRESEARCH_PARAMS", str(params))
    edited = plan_batch(2549, "tambon", "8015", store=sample_store, out=out)
    assert [t.level for t in edited.province_tasks].count(METHODS) == 1
    # an English batch and another scheme have their own, in their own folder
    en = plan_batch(2549, "tambon", "8015", store=sample_store, out=out, lang="en",
                    scheme="scoring_slf5")
    (m,) = [t for t in en.province_tasks if t.level == METHODS]
    assert m.paths.pdf == en.folder / "methods.pdf" != task.paths.pdf
    assert m.parameters["scheme"] == "scoring_slf5" and m.parameters["lang"] == "en"


def test_cli_runs_a_notebook_of_ones_own_into_its_own_folder(tmp_path: Path, capsys,
                                                             monkeypatch) -> None:
    """A researcher's copy of the report notebook could be run from Python only; from the
    command line it goes to reports/custom/<name>/, never over the shipped reports."""
    import shutil

    store = make_store(tmp_path, TAMBONS[:2])
    mine = tmp_path / "1.1-mine.ipynb"
    shutil.copy(TINY, mine)
    monkeypatch.setattr("abcresearch.paths.reports_dir", lambda: tmp_path / "reports")
    monkeypatch.setattr("abcresearch.batch.run.default_notebook",
                        lambda level: TINY if level != "province" else tmp_path / "none.ipynb")
    code = main(["batch", "--round", str(ROUND), "--level", "tambon", "--within", "8001",
                 "--store", str(store), "--workers", "1", "--notebook", str(mine)])
    assert code == 0, capsys.readouterr()
    # a store other than data/store: under reports/stores/<store folder>/ (see below)
    folder = (tmp_path / "reports" / "stores" / store.resolve().name / "custom" / "1.1-mine"
              / str(ROUND) / "tambon")
    assert sorted(p.name for p in folder.glob("*.pdf")) == ["800101.pdf", "800102.pdf"]
    assert not (tmp_path / "reports" / str(ROUND)).exists()
    executed = (folder / "800101.ipynb").read_text(encoding="utf-8")
    assert "1.1-mine.ipynb" in executed  # papermill's record of the notebook run
    code = main(["batch", "--round", str(ROUND), "--level", "tambon", "--store", str(store),
                 "--notebook", str(tmp_path / "missing.ipynb")])
    assert code == 2 and "missing.ipynb" in capsys.readouterr().err


def test_cli_report_takes_a_notebook_of_ones_own(tmp_path: Path, monkeypatch,
                                                  sample_store: Path) -> None:
    from abcresearch.batch import runner

    store = sample_store
    seen = {}

    def fake_run_report(area, survey_round, **kw):  # the runner itself is tested above
        seen.update(kw)
        return runner.ReportOutcome(area, survey_round, "tambon", "ok",
                                    runner.ReportPaths.for_area(area, survey_round, tmp_path))

    monkeypatch.setattr(runner, "run_report", fake_run_report)
    monkeypatch.setattr("abcresearch.paths.reports_dir", lambda: tmp_path / "reports")
    assert main(["report", "--area", "801501", "--round", "2549", "--store", str(store),
                 "--notebook", str(TINY)]) == 0
    assert seen["notebook"] == TINY
    assert seen["out"] == (tmp_path / "reports" / "stores" / store.resolve().name / "custom"
                           / TINY.stem)
    assert main(["report", "--area", "801501", "--round", "2549", "--store", str(store),
                 "--notebook", str(TINY), "--out", str(tmp_path / "o")]) == 0
    assert seen["out"] == tmp_path / "o"


def test_reports_of_another_store_do_not_overwrite_the_default_stores(
        tmp_path: Path, monkeypatch, sample_store: Path) -> None:
    """``abcresearch report --store other`` without ``--out`` wrote over the demo's reports of
    the same area, and nothing in them named the store (a fresh user's walk-through): a store
    other than the default one reports into reports/stores/<store folder>/."""
    from abcresearch.batch import runner

    seen = {}

    def fake_run_report(area, survey_round, **kw):
        seen.update(kw)
        return runner.ReportOutcome(area, survey_round, "tambon", "ok",
                                    runner.ReportPaths.for_area(area, survey_round, tmp_path))

    monkeypatch.setattr(runner, "run_report", fake_run_report)
    monkeypatch.setattr("abcresearch.paths.reports_dir", lambda: tmp_path / "reports")
    assert main(["report", "--area", "801501", "--round", "2549",
                 "--store", str(sample_store)]) == 0
    assert seen["out"] == tmp_path / "reports" / "stores" / sample_store.resolve().name
    # the default store (here named by ABCRESEARCH_STORE) keeps reports/
    monkeypatch.setenv("ABCRESEARCH_STORE", str(sample_store))
    assert main(["report", "--area", "801501", "--round", "2549",
                 "--store", str(sample_store)]) == 0
    assert seen["out"] == tmp_path / "reports"
    assert main(["report", "--area", "801501", "--round", "2549"]) == 0
    assert seen["out"] == tmp_path / "reports"


def test_two_stores_of_one_folder_name_do_not_share_a_reports_folder(
        tmp_path: Path, monkeypatch, capsys) -> None:
    """/data/2549/store and /data/2550/store would both report into reports/stores/store/,
    the second over the first (a code review): the folder names its store and refuses another."""
    from abcresearch.errors import StoreError
    from abcresearch.paths import STORE_MARKER, claim_store_reports, store_reports_dir

    monkeypatch.setattr("abcresearch.paths.reports_dir", lambda: tmp_path / "reports")
    first, second = make_store(tmp_path / "a", TAMBONS[:1]), make_store(tmp_path / "b",
                                                                         TAMBONS[:1])
    assert first.name == second.name
    # a command that fails before writing leaves no folder behind
    assert main(["batch", "--round", "2500", "--level", "tambon", "--store", str(first)]) == 2
    assert "2500" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()
    folder = store_reports_dir(first)
    assert not folder.exists()  # resolving the folder writes nothing
    claim_store_reports(folder / str(ROUND), first)  # a report is written there
    assert (folder / STORE_MARKER).read_text(encoding="utf-8") == f"{first.resolve()}\n"
    assert store_reports_dir(first) == folder  # its own store: the same folder, again
    claim_store_reports(folder, first)
    claim_store_reports(tmp_path / "elsewhere", second)  # --out elsewhere: nothing to claim
    with pytest.raises(StoreError, match=r"holds the reports of another store of the same "
                                         r"name .*: give --out .* \(or, if that store was "
                                         r"moved here, delete .*STORE\.txt\)"):
        store_reports_dir(second)
    with pytest.raises(StoreError):  # nor claimed by it
        claim_store_reports(folder / str(ROUND), second)
    assert not list(folder.glob(".STORE-*"))  # no temporary file left
    code = main(["batch", "--round", str(ROUND), "--level", "tambon", "--store", str(second),
                 "--workers", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "give --out" in err[0], err


def test_the_reports_folder_is_the_projects_unless_moved(monkeypatch, tmp_path: Path) -> None:
    """reports/ in the project; ABCRESEARCH_REPORTS moves it (the test suite's own folder)."""
    from abcresearch.paths import project_root, reports_dir

    monkeypatch.delenv("ABCRESEARCH_REPORTS")
    assert reports_dir() == project_root() / "reports"
    monkeypatch.setenv("ABCRESEARCH_REPORTS", str(tmp_path / "r"))
    assert reports_dir() == (tmp_path / "r").resolve()


def test_a_batch_of_another_store_from_python_does_not_overwrite_the_default_stores(
        tmp_path: Path, monkeypatch) -> None:
    """The reports/stores/ rule was the command line's: run_batch from a notebook wrote
    another store's reports into reports/ (a code review)."""
    from abcresearch.batch.run import plan_batch

    store = make_store(tmp_path, TAMBONS[:2])
    monkeypatch.setattr("abcresearch.paths.reports_dir", lambda: tmp_path / "reports")
    monkeypatch.setattr("abcresearch.batch.run.default_notebook",
                        lambda level: TINY if level != "province" else tmp_path / "none.ipynb")
    plan = plan_batch(ROUND, "tambon", "8001", store, None)
    assert plan.out == tmp_path / "reports" / "stores" / store.resolve().name
    assert plan.tasks


def test_reports_failing_for_one_reason_share_a_line_of_the_summary(tmp_path: Path) -> None:
    """A batch whose notebook fails everywhere (or whose cluster ran nothing) listed the same
    sentence once per report: 1,551 lines for a province's villages. Up to three failures of
    one error stay listed one by one; more share a line naming how many and the first codes."""
    from abcresearch.batch.run import BatchResult
    from abcresearch.batch.runner import ReportOutcome, ReportPaths

    def failed(code: str, error: str) -> ReportOutcome:
        return ReportOutcome(code, ROUND, "tambon", "failed",
                             ReportPaths.for_area(code, ROUND, tmp_path), error=error)

    same = [failed(f"8001{i:02d}", "KeyError: 'x' (in cell In [4])") for i in range(1, 8)]
    other = [failed("800201", "ReportError: no households"),
             failed("800202", "ReportError: no households")]
    text = BatchResult(ROUND, "tambon", [*same, *other], None, 2.0).summary()
    assert "9 failed" in text
    assert ("  7 reports (800101, 800102, 800103, 800104, 800105 and 2 more): KeyError: 'x' "
            "(in cell In [4])  -> <code>.error.txt of each") in text
    assert text.count("KeyError") == 1
    assert "  800201: ReportError: no households  -> " in text  # two: one by one
    assert "  800202: ReportError: no households  -> " in text


def test_a_batch_of_one_area_says_one_area(tmp_path: Path) -> None:
    """"1 areas" in the summary (a user's walk-through)."""
    from abcresearch.batch.run import BatchResult
    from abcresearch.batch.runner import ReportOutcome, ReportPaths

    one = ReportOutcome("800101", ROUND, "tambon", "ok",
                        ReportPaths.for_area("800101", ROUND, tmp_path), seconds=1.0)
    assert f"Round {ROUND}, tambon: 1 area; 1 written" in BatchResult(
        ROUND, "tambon", [one], None, 2.0).summary()
    assert ": 2 areas;" in BatchResult(ROUND, "tambon", [one, one], None, 2.0).summary()
    # the overview and the appendix are counted apart: the progress bar's "18/18" stood
    # beside "16 areas" (a walk-through)
    assert ": 2 areas and 2 province-wide reports;" in BatchResult(
        ROUND, "tambon", [one, one], None, 2.0, province=[one, one]).summary()
    # and they are counted among those written: "16 areas and 2 province-wide reports; 16
    # written" after "18/18" read as two reports not written (a fresh user's walk-through)
    skipped = dataclasses.replace(one, status="skipped")
    said = BatchResult(ROUND, "tambon", [one, skipped], None, 2.0,
                       province=[one, skipped]).summary()
    assert "; 2 written, 2 unchanged (skipped), 0 failed;" in said
    assert "(1.00 s per tambon report in a worker)" in said


def test_a_batch_lists_the_sums_disclosure_could_not_protect(tmp_path: Path, monkeypatch) -> None:
    """The pattern's unprotected sums (``SuppressionPattern.unsatisfied``) reach the person who
    runs the batch: one line of the summary and a CSV of codes in the round's folder, which a
    later run with none removes (a session's note: the rules named them and nobody saw)."""
    import csv

    import abcresearch.batch.run as run_module
    from abcresearch.batch.incomplete import UNPROTECTED_FILE

    store = make_store(tmp_path, TAMBONS[:2])
    out = tmp_path / "reports"
    cells = (("level:overall", "80010101", "3"), ("n", "800101", "all"))
    monkeypatch.setattr(run_module, "unprotected_sums", lambda *a, **k: cells)
    first = _batch(store, out)
    listed = out / str(ROUND) / UNPROTECTED_FILE
    assert first.unprotected_file == listed
    with listed.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows == [["measure", "area_code", "category"], *map(list, sorted(cells))]
    assert "Disclosure: 2 sum(s) of published counts the rules could not protect" \
        in first.summary()
    assert str(listed) in first.summary()
    monkeypatch.setattr(run_module, "unprotected_sums", lambda *a, **k: ())
    second = _batch(store, out, force=True)
    assert not listed.exists() and second.unprotected_file is None
    assert "Disclosure" not in second.summary()


def test_unprotected_sums_are_the_pattern_s_own(tmp_path_factory) -> None:
    """On villages of 6 households a village's row cannot be protected (its few households
    leave nothing to hide): :func:`unprotected_sums` returns what the round's pattern names."""
    from fixtures.test_key import ingest_with_test_key

    from abcresearch.analysis.round import round_analysis
    from abcresearch.batch.incomplete import unprotected_sums
    from abcresearch.reports.disclosure import round_pattern
    from abcresearch.synth.generate import synthesize

    export = tmp_path_factory.mktemp("thin") / "2549"
    synthesize(province="80", survey_round=2549, seed=7, out=export, amphoe=["8015"],
               households_per_village=6)
    store = tmp_path_factory.mktemp("thin_store")
    ingest_with_test_key(export, 2549, store)
    cells = unprotected_sums(2549, store)
    analysis = round_analysis(2549, store)
    pattern = round_pattern(analysis, analysis.design.suppression_threshold, store)
    assert cells and set(cells) == set(pattern.unsatisfied)
    assert ("n", "80150101", "all") in cells


def test_workers_see_the_environment_of_the_batch_not_of_their_fork_server(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Local workers are forked from a server that started with this process's first batch;
    each must still see the environment as it is when its batch starts (as a spawned one
    would), e.g. a store or key named in a variable set between two batches."""
    import nbformat

    from abcresearch.batch.run import start_worker_server

    nb = nbformat.read(TINY, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        'import os\nprint("mark:", os.environ.get("ABCRESEARCH_TEST_MARK", "unset"))'))
    mine = tmp_path / "mark.ipynb"
    nbformat.write(nb, mine)
    store = make_store(tmp_path, TAMBONS[:1])
    for mark in ("first", "second"):
        monkeypatch.setenv("ABCRESEARCH_TEST_MARK", mark)
        start_worker_server()  # already running from an earlier batch: the first one's
        run_batch(ROUND, "tambon", within="8001", store=store, out=tmp_path / mark,
                  notebook=mine, province_notebook=tmp_path / "none.ipynb", workers=1,
                  progress=False, force=True)
        executed = (tmp_path / mark / str(ROUND) / "tambon" / "800101.ipynb").read_text(
            encoding="utf-8")
        assert f"mark: {mark}" in executed


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="local workers are forked from a fork server on Linux only")
def test_workers_are_spawned_where_the_fork_server_would_run_other_code(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fork server keeps what it imported when it started: in a notebook session whose
    library was edited (or whose sys.path or environment changed) since, forked workers would
    run the old code under the new code's cache keys (a code review). Such a batch spawns."""
    from abcresearch.batch import run

    key = run._server_key()
    monkeypatch.setitem(run._SERVER, "key", key)
    assert run.worker_context().get_start_method() == "forkserver"
    monkeypatch.setitem(run._SERVER, "key", ("another version of the code", *key[1:]))
    assert run.worker_context().get_start_method() == "spawn"
    monkeypatch.setitem(run._SERVER, "key", key)
    monkeypatch.setenv("ABCRESEARCH_TEST_MARK", "set after the server started")
    assert run.worker_context().get_start_method() == "spawn"


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="local workers are forked from a fork server on Linux only")
def test_the_fork_servers_preload_freezes_its_imports_for_the_collector() -> None:
    """A forked worker's first full collection walked the 170,000 objects the server had
    imported, writing each one's collector header, and so copied every page that holds them
    into the worker (Python's documentation of gc.freeze advises freezing before forking). The
    server's preload freezes them; importing the workers' libraries alone (as a test does)
    does not."""
    from abcresearch.batch import run

    assert run.SERVER_PRELOAD == "abcresearch.batch.server_preload"
    code = ("import gc, abcresearch.batch.server_imports as i; before = gc.get_freeze_count(); "
            "import abcresearch.batch.server_preload as p; "
            "print(before, gc.get_freeze_count(), p.FROZEN, len(i.FAILED))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    before, after, frozen, failed = map(int, out.stdout.split())
    assert before == 0 and failed == 0
    # what was frozen stays so (less the few objects freed by reference count since)
    assert frozen > 50_000 and 0.99 * frozen <= after <= frozen


def test_a_worker_lets_typst_forget_each_report_after_it(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """What Typst keeps of a report's compiles is dropped after the report (a Dask worker grew
    to 1.3 GB over 16 reports and was paused by its memory limit for good); a failure to drop
    it does not fail the report."""
    import types

    from abcresearch.batch import run
    from abcresearch.reports.render import pdf

    calls: list[str] = []
    monkeypatch.setattr(pdf, "forget_compiles", lambda: calls.append("forgot"))
    monkeypatch.setattr(run, "execute_report", lambda *a, **k: calls.append("report") or "ok")
    task = types.SimpleNamespace(notebook="nb.ipynb", parameters={}, paths=None, inputs={},
                                 header={}, lang="th", engine=None, timeout=1.0,
                                 level="tambon", left_out=())
    assert run.run_task(task) == "ok"  # type: ignore[arg-type]
    assert calls == ["report", "forgot"]

    def boom() -> None:
        raise RuntimeError("no memory to spare")

    monkeypatch.setattr(pdf, "forget_compiles", boom)
    assert run.run_task(task) == "ok"  # type: ignore[arg-type]


def test_the_fork_servers_imports_never_end_it(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The standard library's fork server survives only an ImportError while it preloads; a
    warm import raising anything else ended it and every batch of the process with it (a code
    review). Its one preload imports each module guarded and names those that failed."""
    from abcresearch.batch import server_imports

    (tmp_path / "abc_boom.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ABCRESEARCH_WARM_IMPORTS", "json,abc_boom,abc_no_such_module")
    assert server_imports.import_all() == ["abc_boom", "abc_no_such_module"]


def test_the_largest_areas_are_handed_out_first_and_equal_ones_in_code_order() -> None:
    """A batch's last report runs alone at the end; a large one handed out last kept one worker
    busy after the other had nothing left (batch.order)."""
    from abcresearch.batch.order import largest_first

    @dataclasses.dataclass(frozen=True)
    class Task:
        area_code: str

    tasks = [Task(c) for c in ("800101", "800102", "800103", "800104", "800105")]
    sizes = {"800101": 120, "800102": 900, "800103": 450, "800105": 450}  # 800104: model only
    assert [t.area_code for t in largest_first(tasks, sizes)] == [
        "800102", "800103", "800105", "800101", "800104"]
    assert largest_first(tasks, {}) == tasks  # nothing known: code order


def test_a_batch_hands_out_its_reports_largest_area_first(sample_store: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The overview and the appendix first, then the tambons by households surveyed, as the
    round's analysis counts them; a store without an analysis keeps the code order."""
    from abcresearch.analysis.round import round_analysis
    from abcresearch.batch import order
    from abcresearch.batch import run as batch_run

    areas = round_analysis(2549, sample_store).areas
    tambons = areas[(areas["level"] == "tambon") & (areas["households_surveyed"] > 0)]
    counted = dict(zip(tambons["area_code"], tambons["households_surveyed"].astype(int),
                       strict=True))
    households = order.area_households(2549, sample_store)
    assert len(counted) == 3 and {c: households[c] for c in counted} == counted

    handed: list[str] = []

    class Recording:
        """In place of the local workers: records the order of the tasks, runs none."""

        def __init__(self, workers: int, engine: str | None) -> None:
            pass

        def run(self, tasks, done) -> None:
            handed.extend(t.area_code for t in tasks)

        def start_closing(self) -> None:
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(batch_run, "_LocalWorkers", Recording)

    def batch() -> list[str]:
        handed.clear()
        run_batch(2549, "tambon", store=sample_store, out=tmp_path / "reports",
                  progress=False, force=True)
        return list(handed)

    # the sample's tambons (240, 120 and 120 households) in code order are largest first too
    assert batch() == ["80", "methods", "801501", "801502", "801503"]
    # sizes that reverse the code order reverse the hand-out: the batch orders by them
    seen: list[tuple] = []

    def reversed_sizes(survey_round, store, scheme=None):
        seen.append((survey_round, Path(store), scheme))
        return {"801501": 1, "801502": 2, "801503": 3}

    monkeypatch.setattr(batch_run, "area_households", reversed_sizes)
    assert batch() == ["80", "methods", "801503", "801502", "801501"]
    assert seen == [(2549, Path(sample_store), None)]

    assert order.area_households(ROUND, make_store(tmp_path / "fake", TAMBONS)) == {}


def test_planning_a_batch_imports_no_scipy(sample_store: Path, tmp_path: Path) -> None:
    """The batch's own process plans while its workers' fork server imports their libraries;
    scipy (0.08 s, only the estimators need it) is imported where an estimate is made, so that
    planning, the critical path to the first report, does not wait for it. (Planning on a
    round analysed before: the analysis is read from its cache, and the suppression pattern's
    cached file is found whole and left unread.)"""
    plan_batch(2549, "tambon", "8015", store=sample_store, out=tmp_path)  # analysed and cached
    code = ("import sys\n"
            "import abcresearch.cli\n"
            "from abcresearch.batch.run import plan_batch\n"
            "plan = plan_batch(2549, 'tambon', '8015', store=sys.argv[1], out=sys.argv[2])\n"
            "assert plan.tasks, 'nothing planned'\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(sample_store), str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
