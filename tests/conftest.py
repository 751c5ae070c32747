"""Shared test fixtures."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or create a real pseudonymisation key in the home folder."""
    monkeypatch.setenv("ABCRESEARCH_KEY", "test-key-not-secret")


@pytest.fixture(autouse=True)
def _global_random_state_untouched():
    """Fail a test that changes NumPy's global random state (use default_rng instead)."""
    before = np.random.get_state()[1].copy()
    yield
    after = np.random.get_state()[1]
    assert np.array_equal(before, after), "test changed numpy's global random state"
