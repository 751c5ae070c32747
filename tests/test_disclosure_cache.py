"""The round's suppression pattern is cached beside the round analysis (issue 16: speed)."""

from __future__ import annotations

import pytest

from abcresearch.analysis.round import round_analysis
from abcresearch.reports import disclosure

ROUND = 2549


@pytest.fixture(scope="module")
def analysis(sample_store):
    return round_analysis(ROUND, sample_store)


def _files(analysis) -> list:
    return sorted(analysis.cache_dir.glob("suppression-*.pickle"))


def test_pattern_is_read_back_from_the_cache_unchanged(analysis, sample_store, monkeypatch
                                                       ) -> None:
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    for f in _files(analysis):
        f.unlink()
    built = disclosure.round_pattern(analysis, 5, sample_store)
    assert len(_files(analysis)) == 1
    assert built.status, "the sample store should hide some cells"

    def no_build(*a, **k):
        raise AssertionError("the pattern was built again instead of read from the cache")

    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    monkeypatch.setattr(disclosure, "build_pattern", no_build)
    read = disclosure.round_pattern(analysis, 5, sample_store)
    assert read is not built
    assert read == built
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    # the same store named another way (a worker's relative path) reads the same file
    assert disclosure.round_pattern(analysis, 5, str(sample_store) + "/.") == built
    assert all(f.stat().st_mode & 0o044 for f in _files(analysis))  # readable by workers


def test_other_inputs_build_their_own_pattern(analysis, sample_store, monkeypatch) -> None:
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    five = disclosure.round_pattern(analysis, 5, sample_store)
    calls = []
    original = disclosure.build_pattern

    def counted(*a, **k):
        calls.append(1)
        return original(*a, **k)

    monkeypatch.setattr(disclosure, "build_pattern", counted)
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    ten = disclosure.round_pattern(analysis, 10, sample_store)
    no_secondary = disclosure.round_pattern(analysis, 5, sample_store, secondary=False)
    assert len(calls) == 2
    assert ten.threshold == 10 and ten != five
    assert no_secondary.status != five.status


def test_a_damaged_cache_file_is_built_again(analysis, sample_store, monkeypatch) -> None:
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    built = disclosure.round_pattern(analysis, 5, sample_store)
    for f in _files(analysis):
        f.write_bytes(b"not a pickle")
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    again = disclosure.round_pattern(analysis, 5, sample_store)
    assert again == built
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    assert disclosure.round_pattern(analysis, 5, sample_store) == built  # rewritten whole


def test_ensure_builds_a_missing_pattern_and_never_reads_a_cached_one(
        analysis, sample_store, monkeypatch) -> None:
    """A batch makes sure the pattern's file is there before its workers start, without reading
    it (the read delayed every worker's start); a missing file is built and written."""
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    for f in _files(analysis):
        f.unlink()
    disclosure.ensure_round_pattern(analysis, 5, sample_store)
    assert len(_files(analysis)) == 1
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    built = disclosure.round_pattern(analysis, 5, sample_store)

    def no_read(*a, **k):
        raise AssertionError("the cached pattern was read")

    def no_build(*a, **k):
        raise AssertionError("the cached pattern was built again")

    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    monkeypatch.setattr(disclosure, "_read_pattern_file", no_read)
    monkeypatch.setattr(disclosure, "build_pattern", no_build)
    disclosure.ensure_round_pattern(analysis, 5, sample_store)
    assert disclosure._PATTERNS == {}
    monkeypatch.undo()
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    assert disclosure.round_pattern(analysis, 5, sample_store) == built


def test_ensure_builds_again_a_cached_pattern_that_is_not_whole(analysis, sample_store,
                                                                 monkeypatch) -> None:
    """A damaged file is found by its first and last byte and built again, once, by the batch
    (not by each of its workers)."""
    monkeypatch.setattr(disclosure, "_PATTERNS", {})
    built = disclosure.round_pattern(analysis, 5, sample_store)
    (file,) = _files(analysis)
    whole = file.read_bytes()
    for damaged in (b"not a pickle", whole[: len(whole) // 2]):
        file.write_bytes(damaged)
        monkeypatch.setattr(disclosure, "_PATTERNS", {})
        disclosure.ensure_round_pattern(analysis, 5, sample_store)
        assert file.read_bytes() == whole
        monkeypatch.setattr(disclosure, "_PATTERNS", {})
        assert disclosure.round_pattern(analysis, 5, sample_store) == built
