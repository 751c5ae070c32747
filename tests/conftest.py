"""Shared test fixtures."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

# parsed forms (and any later cache) go to a folder of the test runs, never the user's cache;
# set before any test runs, so kernels and commands the tests start inherit it
os.environ.setdefault("ABCRESEARCH_CACHE",
                      str(Path(tempfile.gettempdir()) / f"abcresearch-test-cache-{os.getuid()}"))
# reports made without --out go to a folder of this test process, never the project's reports/
# (a test that runs `abcresearch report --store <tmp>/store` wrote into reports/ before); each
# test gets a sub-folder of its own (_reports_folder), module fixtures this one
_REPORTS = Path(tempfile.mkdtemp(prefix="abcresearch-test-reports-"))
os.environ["ABCRESEARCH_REPORTS"] = str(_REPORTS)
atexit.register(shutil.rmtree, _REPORTS, ignore_errors=True)


@pytest.fixture(autouse=True)
def _reports_folder(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Each test's reports without --out in a folder of its own: two tests' temporary stores
    of one folder name ("store") would share reports/stores/store/, which refuses the second."""
    name = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12]
    monkeypatch.setenv("ABCRESEARCH_REPORTS", str(_REPORTS / name))


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or create a real pseudonymisation key in the home folder."""
    from fixtures.test_key import TEST_KEY

    monkeypatch.setenv("ABCRESEARCH_KEY", TEST_KEY)


@pytest.fixture(autouse=True)
def _global_random_state_untouched():
    """Fail a test that changes NumPy's global random state (use default_rng instead)."""
    before = np.random.get_state()[1].copy()
    yield
    after = np.random.get_state()[1]
    assert np.array_equal(before, after), "test changed numpy's global random state"


@pytest.fixture(scope="session")
def sample_export(tmp_path_factory: pytest.TempPathFactory):
    """A small synthetic export: amphoe Khanom (8015), 30 households per village, round 2549."""
    from abcresearch.synth.generate import synthesize

    out = tmp_path_factory.mktemp("export") / "2549"
    synthesize(province="80", survey_round=2549, seed=7, out=out, amphoe=["8015"],
               households_per_village=30)
    return out


@pytest.fixture(scope="session")
def sample_store(sample_export, tmp_path_factory: pytest.TempPathFactory):
    """The sample export ingested into a fresh store (pseudonymised with the test key)."""
    from fixtures.test_key import ingest_with_test_key

    store = tmp_path_factory.mktemp("store")
    ingest_with_test_key(sample_export, 2549, store)
    return store


#: Six villages of two tambons of amphoe Khanom (8015).
FULL_SIZE_VILLAGES = ["80150101", "80150102", "80150103", "80150201", "80150202", "80150203"]


@pytest.fixture(scope="session")
def village_size_store(tmp_path_factory: pytest.TempPathFactory):
    """Six villages at the programme's size (150 households each), round 2549.

    The 30-household villages of :func:`sample_store` make most income bands small, and the
    disclosure pattern then hides the share below the income line everywhere; at this size
    the bands are small here and there, as in the province, and most areas print the share.
    """
    import shutil

    from fixtures.test_key import ingest_with_test_key

    from abcresearch.synth.generate import synthesize

    export = tmp_path_factory.mktemp("full_export") / "2549"
    synthesize(province="80", survey_round=2549, seed=11, out=export,
               villages=FULL_SIZE_VILLAGES, households_per_village=150)
    shutil.rmtree(export / "_truth", ignore_errors=True)
    store = tmp_path_factory.mktemp("full_store")
    ingest_with_test_key(export, 2549, store)
    return store
