"""Labels come from one place, in Thai and English."""

from __future__ import annotations

import pytest

from abcresearch.errors import ParamsError
from abcresearch.labels import label, labels


def test_every_label_has_both_languages() -> None:
    for key, texts in labels().items():
        assert texts["th"] and texts["en"], key


def test_placeholders_are_filled() -> None:
    assert label("round.years", "th", be=2549, ce=2006) == "พ.ศ. 2549 (ค.ศ. 2006)"
    assert label("round.years", "en", be=2549, ce=2006) == "BE 2549 (CE 2006)"


def test_unknown_key_or_language() -> None:
    with pytest.raises(ParamsError, match="no label 'nope'"):
        label("nope")
    with pytest.raises(ParamsError, match="language 'fr'"):
        label("grade", "fr")
