"""Versioned rounds, the CURRENT pointer, locks and cleanup (issue 9, items 3 and 5)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fixtures.kobo import build, make_export, write

from abcresearch.errors import StoreError
from abcresearch.ingest.pipeline import ingest
from abcresearch.store import (
    StoreBusyError,
    cache_folder,
    ingest_lock,
    layout,
    load,
    manifest,
    round_folder,
    rounds,
    store_lock,
)

ROUND = 2567
KEY = "layout-test-key-0123456789abcdef0123"


def _versions(store: Path) -> list[str]:
    return sorted(p.name for p in (store / f"round={ROUND}").iterdir()
                  if p.name.startswith("v-"))


@pytest.fixture
def exports(tmp_path):
    """Two exports of the round: A (12 households) and B (A with 3 households dropped)."""
    a = make_export(tmp_path / "a")
    b = build()
    b.households = b.households.iloc[:9]
    b.members = b.members[b.members["_submission__uuid"].isin(b.households["_uuid"])]
    write(b, tmp_path / "b")
    return a.folder, b.folder


def test_round_is_a_version_behind_a_pointer(tmp_path, exports):
    store = tmp_path / "store"
    res = ingest(exports[0], ROUND, store=store)
    live = round_folder(ROUND, store)
    assert live == res.round_dir and live.parent == store / f"round={ROUND}"
    assert (store / f"round={ROUND}" / "CURRENT").read_text().strip() == live.name
    assert (live / "manifest.json").is_file() and (live / "households").is_dir()
    assert manifest(ROUND, store)["version"] == live.name
    assert cache_folder(ROUND, "k1", store) == live / "derived" / "k1"
    assert rounds(store) == [ROUND]


def test_previous_version_kept_older_ones_removed(tmp_path, exports):
    store = tmp_path / "store"
    seen = []
    for folder in (exports[0], exports[1], exports[0]):
        ingest(folder, ROUND, store=store)
        seen.append(round_folder(ROUND, store).name)
    assert _versions(store) == sorted(seen[1:])
    assert (store / f"round={ROUND}" / "PREVIOUS").read_text().split() == [seen[1]]


def test_leftovers_of_killed_ingests_are_removed_next_time(tmp_path, exports):
    store = tmp_path / "store"
    ingest(exports[0], ROUND, store=store)
    root = store / f"round={ROUND}"
    (root / "v-20000101T000000-dead00" / "households").mkdir(parents=True)  # never published
    (root / ".CURRENT.abc.tmp").write_text("v-x")
    (store / ".round=2567.tmp-1234abcd").mkdir()  # the old writer's temp folder
    res = ingest(exports[1], ROUND, store=store)
    assert "round=2567/v-20000101T000000-dead00" in res.cleaned
    assert ".round=2567.tmp-1234abcd" in res.cleaned
    assert not (root / "v-20000101T000000-dead00").exists()
    assert not (root / ".CURRENT.abc.tmp").exists()
    assert "Removed leftovers of interrupted ingests" in res.summary()


def test_a_killed_first_ingest_leaves_no_round(tmp_path):
    store = tmp_path / "store"
    (store / f"round={ROUND}" / "v-20000101T000000-dead00" / "households").mkdir(parents=True)
    assert rounds(store) == []
    with pytest.raises(StoreError, match="was never ingested"):
        load(ROUND, store=store)


def test_round_written_before_versioning_is_read_and_converted(tmp_path, exports):
    store = tmp_path / "store"
    ingest(exports[0], ROUND, store=store)
    root = store / f"round={ROUND}"
    live = round_folder(ROUND, store)
    for p in live.iterdir():  # the old layout: tables straight in round=R/
        shutil.move(str(p), str(root / p.name))
    for name in ("CURRENT", "PREVIOUS"):
        (root / name).unlink()
    live.rmdir()
    assert round_folder(ROUND, store) == root
    assert len(load(ROUND, store=store)) == 12
    ingest(exports[1], ROUND, store=store)
    assert (root / "CURRENT").is_file() and not (root / "manifest.json").exists()
    assert not (root / "households").exists()
    assert len(load(ROUND, store=store)) == 12  # B merged into A by submission id


def test_second_ingest_of_the_same_store_is_refused_while_one_runs(tmp_path, exports):
    store = tmp_path / "store"
    with ingest_lock(store, survey_round=ROUND), pytest.raises(StoreBusyError) as err:
        ingest(exports[0], ROUND, store=store)
    msg = str(err.value)
    assert f"another ingest is writing the store {store}" in msg
    assert f"process {os.getpid()}" in msg and "round 2567" in msg and "--wait" in msg
    ingest(exports[0], ROUND, store=store)  # the lock is free again


def _cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "ABCRESEARCH_KEY": KEY}
    return subprocess.Popen([sys.executable, "-m", "abcresearch", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_cli_second_ingest_exits_2_or_waits(tmp_path, exports, monkeypatch):
    monkeypatch.setenv("ABCRESEARCH_KEY", KEY)
    store = tmp_path / "store"
    args = ("ingest", str(exports[0]), "--round", str(ROUND), "--store", str(store))
    with ingest_lock(store, survey_round=ROUND):
        busy = _cli(*args)
        out, err = busy.communicate(timeout=120)
        assert busy.returncode == 2, err
        assert len(err.strip().splitlines()) == 1 and "another ingest is writing" in err
        waiting = _cli(*args, "--wait")
        time.sleep(3)
        assert waiting.poll() is None  # still queued behind the lock
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "households: 12 read, 12 valid" in out


def test_readers_never_see_a_missing_or_half_round_while_rounds_swap(tmp_path, exports,
                                                                     monkeypatch):
    monkeypatch.setenv("ABCRESEARCH_KEY", KEY)
    store = tmp_path / "store"
    ingest(exports[0], ROUND, store=store)
    sizes = {}
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                m = manifest(ROUND, store)
                n = len(load(ROUND, store=store, columns=["submission_uuid"]))
                t = len(load(ROUND, area="800101", store=store, table="members"))
                sizes[(m["rows"]["households"], n, t)] = True
            except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
                errors.append(exc)
                return
            time.sleep(0.002)

    th = threading.Thread(target=reader)
    th.start()
    try:
        for i in range(3):
            ingest(exports[(i + 1) % 2], ROUND, store=tmp_path / "store")
    finally:
        stop.set()
        th.join()
    assert not errors, errors[0]
    assert sizes and all(h == n for h, n, _ in sizes)


def test_store_lock_is_shared_by_readers_and_exclusive_for_the_swap(tmp_path, exports):
    store = tmp_path / "store"
    ingest(exports[0], ROUND, store=store)
    with store_lock(store) as held, store_lock(store) as held2:
        assert held and held2
        with pytest.raises(StoreBusyError, match="being swapped"):
            with store_lock(store, shared=False, wait=False):
                pass
    with store_lock(store, shared=False, wait=False) as held:
        assert held


def test_store_that_is_a_file_is_refused(tmp_path, exports):
    store = tmp_path / "store.txt"
    store.write_text("not a store")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        ingest(exports[0], ROUND, store=store)


def test_pointer_to_a_missing_version_is_a_clear_error(tmp_path, exports):
    store = tmp_path / "store"
    ingest(exports[0], ROUND, store=store)
    (store / f"round={ROUND}" / "CURRENT").write_text("v-gone\n")
    with pytest.raises(StoreError, match="names v-gone, which is missing"):
        load(ROUND, store=store)


def test_manifest_records_versions_and_batches(tmp_path, exports):
    store = tmp_path / "store"
    ingest(exports[0], ROUND, store=store)
    ingest(exports[1], ROUND, store=store)
    m = json.loads((round_folder(ROUND, store) / "manifest.json").read_text())
    assert [b["batch_source"] for b in m["batches"]] == ["a", "b"]
    assert layout.live_version(store, ROUND).name == m["version"]


def test_analysis_cache_lives_in_the_version_it_was_computed_from(sample_store):
    from abcresearch.analysis.round import round_analysis

    ra = round_analysis(2549, store=sample_store)
    live = round_folder(2549, sample_store)
    assert ra.cache_dir == cache_folder(2549, ra.key, sample_store) == live / "derived" / ra.key
    assert (ra.cache_dir / "meta.json").is_file()


def test_round_tables_are_read_once_per_cache_version_and_kept_from_callers(sample_store):
    """A worker's reports share one read of the cache's small tables (and their statuses); a
    report that changes its tables changes its own copies only; a cache folder written again
    is read again."""
    import pandas as pd

    from abcresearch.analysis import round as round_mod

    reads: list[str] = []
    real = pd.read_parquet

    def counted(path, *args, **kwargs):
        reads.append(Path(path).name)
        return real(path, *args, **kwargs)

    round_mod._cache_tables.cache_clear()
    round_mod._published_tables.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(round_mod.pd, "read_parquet", counted)
        first = round_mod.round_analysis(2549, store=sample_store)
        original = {n: getattr(first, n).copy() for n in round_mod._CACHE_TABLES}
        assert sorted(reads) == sorted(f"{n}.parquet" for n in round_mod._CACHE_TABLES)
        # a report (or a researcher's notebook) edits what it was given
        first.villages.loc[first.villages.index[0], "grade"] = "Z"
        first.tambons["grade"] = "Z"
        del first.areas["grade"]
        first.means.iloc[0, 0] = "edited"
        second = round_mod.round_analysis(2549, store=sample_store)
        assert len(reads) == len(round_mod._CACHE_TABLES)  # not read again
        assert second.villages is not first.villages
        for name, frame in original.items():
            pd.testing.assert_frame_equal(getattr(second, name), frame, check_exact=True)
        # the folder's file replaced (as a rebuild swaps the folder in): read again
        villages = second.cache_dir / "villages.parquet"
        kept = second.cache_dir / "villages.kept"
        shutil.copy(villages, kept)
        os.replace(kept, villages)
        third = round_mod.round_analysis(2549, store=sample_store)
        assert len(reads) == 2 * len(round_mod._CACHE_TABLES)
        pd.testing.assert_frame_equal(third.villages, original["villages"], check_exact=True)
        # the statuses' words come from params/ (a withheld grade's label and reason), which the
        # cache folder's key does not cover: joined again when params/ changes, not re-read
        joins: list[str] = []
        real_apply = round_mod.apply_status

        def counted_apply(table, areas, code_col):
            joins.append(code_col)
            return real_apply(table, areas, code_col)

        mp.setattr(round_mod, "apply_status", counted_apply)
        for rules in ("params-a", "params-a", "params-b"):
            mp.setattr(round_mod, "params_hash", lambda rules=rules: rules)
            round_mod.round_analysis(2549, store=sample_store)
        assert joins == ["village_code", "tambon_code"] * 2
        assert len(reads) == 2 * len(round_mod._CACHE_TABLES)


def test_whole_round_is_read_from_its_one_file_copy_with_every_column(sample_store):
    """``households`` reads the one-file copy (every column, the tambon files' order and
    types); a copy without some columns (edited or damaged) falls back to the tambon files,
    with the same result."""
    import pandas as pd
    import pyarrow.parquet as pq

    from abcresearch.analysis.round import ROUND_FILE, RoundAnalysis, round_analysis

    ra = round_analysis(2549, store=sample_store)
    from_tambons = ra._read_households("", None)  # the tambon files, one by one
    names = pq.read_schema(ra.cache_dir / ROUND_FILE).names
    assert names == list(from_tambons.columns)
    pd.testing.assert_frame_equal(ra.households, from_tambons, check_exact=True)

    reads: list[object] = []
    real = RoundAnalysis._read_households

    def counted(self, code, cols):
        reads.append(cols)
        return real(self, code, cols)

    backup = ra.cache_dir / "round-backup.parquet"
    shutil.copy(ra.cache_dir / ROUND_FILE, backup)
    try:  # a copy without the item answers
        pq.write_table(pq.read_table(backup, columns=names[:5]), ra.cache_dir / ROUND_FILE)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(RoundAnalysis, "_read_households", counted)
            fresh = round_analysis(2549, store=sample_store)
            fresh.__dict__.pop("households", None)
            pd.testing.assert_frame_equal(fresh.households, from_tambons, check_exact=True)
        assert reads == [None]
    finally:
        shutil.move(backup, ra.cache_dir / ROUND_FILE)


def test_an_area_that_covers_the_round_is_read_from_the_one_file_copy(sample_store):
    """The province's households (every tambon of the round) come from the round's one-file
    copy, read once and kept, equal to the tambon files read one by one; an amphoe's and a
    tambon's from their own tambon files."""
    import pandas as pd

    from abcresearch.analysis.round import RoundAnalysis, round_analysis

    ra = round_analysis(2549, store=sample_store)
    province = ra._tambon_files()[0].stem.split("=")[1][:2]
    reads: list[str] = []
    real = RoundAnalysis._read_households

    def counted(self, code, cols):
        reads.append(code)
        return real(self, code, cols)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RoundAnalysis, "_read_households", counted)
        whole = ra.area_households(province)
        again = ra.area_households(province, ["weight"])
        tambon = ra._tambon_files()[0].stem.split("=")[1]
        own = ra.area_households(tambon)
    assert reads == [tambon]  # the province twice without a tambon file read
    pd.testing.assert_frame_equal(whole, real(ra, province, None), check_exact=True)
    assert list(again.columns) == ["weight", "village_code"]
    assert len(own) < len(whole)
    assert ra.area_households(province) is not whole  # a copy each time, the data kept


def test_load_reads_the_tambon_files_as_parquet_gives_them_and_refuses_a_missing_column(
        sample_store):
    """Each tambon file is read whole or by columns, in the order asked, with its types; a
    column no file has is a StoreError naming it, not a column silently left out."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from abcresearch.errors import StoreError
    from abcresearch.store import read

    files = sorted((round_folder(2549, sample_store) / "households").glob(
        "amphoe=*/tambon=*/*.parquet"))
    expected = pa.concat_tables([pq.read_table(f) for f in files],
                                promote_options="default").to_pandas()
    read._read_file.cache_clear()
    got = read.load(2549, store=sample_store)
    assert list(got.columns) == list(expected.columns) and got.equals(expected)
    some = read.load(2549, store=sample_store, columns=["weight", "village_code"])
    assert list(some.columns) == ["weight", "village_code"]
    assert some.equals(expected[["weight", "village_code"]])
    with pytest.raises(StoreError, match="no_such_column"):
        read.load(2549, store=sample_store, columns=["village_code", "no_such_column"])


def test_a_queued_ingest_holds_the_lock_after_a_refused_first_ingest_removed_it(tmp_path):
    """A refused first ingest removes the store folder and lock file it made; an ingest that was
    waiting on that file (--wait) then held a lock on a removed file, and a third ingest got
    the lock too: two writers on one store."""
    store = tmp_path / "new_store"
    first_holds, second_holds, release_second = (threading.Event() for _ in range(3))
    seen: list[str] = []

    def first() -> None:
        with contextlib.suppress(RuntimeError), ingest_lock(store, survey_round=ROUND):
            first_holds.set()
            time.sleep(0.5)  # the second is waiting on the lock file now
            raise RuntimeError("refused")

    def second() -> None:
        first_holds.wait()
        with ingest_lock(store, wait=True, survey_round=ROUND):
            second_holds.set()
            release_second.wait(10)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for th in threads:
        th.start()
    assert second_holds.wait(10)
    try:
        with ingest_lock(store, survey_round=ROUND):
            seen.append("third got the lock")
    except StoreBusyError:
        seen.append("busy")
    release_second.set()
    for th in threads:
        th.join(10)
    assert seen == ["busy"]


def test_the_cache_keys_of_scores_follow_the_forms(sample_store, tmp_path, monkeypatch) -> None:
    """Scoring reads the forms' choice lists: an edited XLSForm must not reuse cached scores
    (the round's analysis, the small-area estimates)."""
    import shutil

    import abcresearch.analysis.round as round_mod
    from abcresearch.analysis.smallarea import small_area_key
    from abcresearch.paths import params_dir

    manifest = round_mod.data_mod.manifest(2549, sample_store)
    spec = round_mod.choose_design(round_mod.round_frame(2549, sample_store, manifest))
    scheme = round_mod.load_scheme(None)

    def keys() -> tuple[str, str]:
        return (round_mod._cache_key(manifest, scheme, spec),
                small_area_key(2549, sample_store, scheme))

    before = keys()
    folder = tmp_path / "params"
    shutil.copytree(params_dir(), folder)
    monkeypatch.setenv("ABCRESEARCH_PARAMS", str(folder))
    assert keys() == before  # the same files, the same keys
    form = folder / "instrument" / "household.md"
    form.write_text(form.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after = keys()
    assert after[0] != before[0] and after[1] != before[1]


def test_older_analysis_caches_are_pruned_when_no_one_reads(tmp_path, exports):
    """Each change of code, scheme or rules builds an analysis cache of its own (60 MB for the
    sample province; 107 had piled up in a developer's store): a new build keeps itself and the
    three newest of its scheme and design, removes their killed builds' leftovers, leaves other
    caches (small-area, change, another scheme's) alone, and removes nothing while any reader
    holds the store."""
    from abcresearch.store import prune_caches

    def name(i: int, family: str = "abc7-census-") -> str:
        return f"{family}{i:016x}"

    store = tmp_path / "store"
    ingest(exports[0], survey_round=ROUND, store=store)
    caches = []
    for i in range(6):  # built one after another, the last the one just built
        c = cache_folder(ROUND, name(i), store)
        c.mkdir(parents=True)
        (c / "meta.json").write_text("{}", encoding="utf-8")
        (c / "households_round.parquet").write_bytes(b"x")
        os.utime(c / "meta.json", ns=(i * 10**9, (1_700_000_000 + i) * 10**9))
        caches.append(c)
    derived = caches[0].parent
    others = [name(1, "slf5-census-"), "smallarea-0123456789abcdef", "change-2549-2550",
              f".{name(1, 'smallarea-')}.tmp-0a1b2c3d", "notes"]
    for other in others:  # not this family's: never pruned (a small-area build in progress)
        (derived / other).mkdir()
        (derived / other / "meta.json").write_text("{}", encoding="utf-8")
    leftovers = [f".{name(9)}.tmp-0a1b2c3d", f".{name(2)}.stale-0a1b2c3d"]
    for leftover in leftovers:
        (derived / leftover).mkdir()
    current = caches[-1]
    with store_lock(store):  # a reader: nothing goes
        assert prune_caches(current, store) == []
    assert len(list(derived.iterdir())) == 6 + len(others) + len(leftovers)
    removed = prune_caches(current, store)
    assert removed == sorted([*leftovers, name(0), name(1)])
    assert sorted(p.name for p in derived.iterdir()) == sorted(
        [name(2), name(3), name(4), name(5), *others])
    # the one in use stays even when it is the oldest
    assert prune_caches(caches[2], store, keep=1) == [name(3), name(4)]
    assert sorted(p.name for p in derived.iterdir()) == sorted([name(2), name(5), *others])


def test_building_an_analysis_cache_prunes_the_older_ones(tmp_path, exports):
    from abcresearch.analysis.round import round_analysis

    store = tmp_path / "store"
    ingest(exports[0], survey_round=ROUND, store=store)
    ra = round_analysis(ROUND, store)
    family = ra.cache_dir.name[:-16]
    olds = [f"{family}{i:016x}" for i in range(4)]
    for i, old in enumerate(olds):  # caches of earlier code or rules, built a day apart
        c = ra.cache_dir.parent / old
        c.mkdir(parents=True)
        (c / "meta.json").write_text("{}", encoding="utf-8")
        os.utime(c / "meta.json", ns=(0, (1_700_000_000 + 86_400 * i) * 10**9))
    again = round_analysis(ROUND, store)  # read from the cache: nothing built, nothing pruned
    assert again.cache_dir == ra.cache_dir and len(list(ra.cache_dir.parent.iterdir())) == 5
    rebuilt = round_analysis(ROUND, store, rebuild=True)
    assert sorted(p.name for p in rebuilt.cache_dir.parent.iterdir()) == sorted(
        [rebuilt.cache_dir.name, *olds[1:]])
