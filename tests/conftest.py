"""Shared test fixtures."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or create a real pseudonymisation key in the home folder."""
    monkeypatch.setenv("ABCRESEARCH_KEY", "test-key-not-secret-0123456789abcdef")


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
    import os

    from abcresearch.ingest.pipeline import ingest

    store = tmp_path_factory.mktemp("store")
    old = os.environ.get("ABCRESEARCH_KEY")
    os.environ["ABCRESEARCH_KEY"] = "test-key-not-secret-0123456789abcdef"
    try:
        ingest(sample_export, survey_round=2549, store=store)
    finally:
        if old is None:
            os.environ.pop("ABCRESEARCH_KEY", None)
        else:
            os.environ["ABCRESEARCH_KEY"] = old
    return store
