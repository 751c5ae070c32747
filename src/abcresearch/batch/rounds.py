"""Rounds in a batch: the earlier round each report compares with (issue 12, item 6).

A report notebook that declares the agreed parameter ``compare_round`` makes its change section
against that earlier round (``docs/ARCHITECTURE.md``). The runner and the batch choose it per
area, so the choice is explicit in the executed notebook and part of the report's inputs:

* the round given (``--compare-round``), which must be an earlier round present in the store;
* otherwise the latest earlier round in which the area has households (rolling samples: a tambon
  surveyed in the first and third rounds compares the third with the first);
* otherwise the latest earlier round in the store (the report then says the area was not
  surveyed there), or None when the store holds no earlier round.

:func:`compare_inputs` is what the report's inputs record about that round: its number and the
data fingerprints of the area and of the whole earlier round, so a re-ingested earlier round
makes the reports again.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from abcresearch.errors import ReportError

if TYPE_CHECKING:
    from abcresearch.batch.fingerprints import SharedInputs

PARAMETER = "compare_round"
"""The notebook parameter (agreed in ``docs/ARCHITECTURE.md``)."""


def earlier_rounds(survey_round: int, store: str | os.PathLike[str]) -> list[int]:
    """Return the rounds of the store before ``survey_round``, oldest first."""
    from abcresearch.store import rounds

    return [r for r in rounds(Path(store)) if r < int(survey_round)]


def check_compare_round(compare_round: int | None, survey_round: int,
                        store: str | os.PathLike[str]) -> None:
    """Check a ``--compare-round`` choice (None passes).

    Raises
    ------
    ReportError
        If it is not an earlier round present in the store (one sentence naming those present).
    """
    if compare_round is None:
        return
    earlier = earlier_rounds(survey_round, store)
    if int(compare_round) not in earlier:
        have = ", ".join(map(str, earlier)) or "none"
        raise ReportError(f"--compare-round {compare_round} is not a round before "
                          f"{survey_round} in the store (earlier rounds present: {have})")


@lru_cache(maxsize=32)
def _tambons(survey_round: int, store: str, stamp: str) -> frozenset[str]:
    from abcresearch.store import tambons_with_data

    return frozenset(tambons_with_data(survey_round, store))


def _stamp(survey_round: int, store: str) -> str:
    """Return the live version of a round (a new ingest gives a new one)."""
    from abcresearch.store import round_folder

    return str(round_folder(survey_round, store))


def has_households(area_code: str, survey_round: int, store: str | os.PathLike[str]) -> bool:
    """Whether an area has households in a round of the store (villages: read from the store)."""
    code = str(area_code)
    root = str(Path(store))
    tambons = _tambons(int(survey_round), root, _stamp(int(survey_round), root))
    if not any(t.startswith(code[:6]) for t in tambons):
        return False
    if len(code) < 8:
        return True
    from abcresearch.store import has_data

    return has_data(int(survey_round), code, store)


def compare_round_for(area_code: str, survey_round: int, store: str | os.PathLike[str],
                      chosen: int | None = None) -> int | None:
    """Return the earlier round an area's report compares with (see the module docstring)."""
    if chosen is not None:
        return int(chosen)
    earlier = earlier_rounds(survey_round, store)
    for r in reversed(earlier):
        if has_households(area_code, r, store):
            return r
    return earlier[-1] if earlier else None


def compare_inputs(area_code: str, compare_round: int | None,
                   store: str | os.PathLike[str], shared: SharedInputs | None = None
                   ) -> dict[str, Any] | None:
    """Return what a report's inputs record about its earlier round (None: no earlier round).

    ``shared`` (:class:`abcresearch.batch.fingerprints.SharedInputs`): a plan's fingerprints,
    each round's read once for all its reports.

    Returns
    -------
    dict or None
        ``round``, ``data`` (the area's data fingerprint in that round, ``""`` when it has no
        data there) and ``round_data`` (the province's: any change in that round).
    """
    if compare_round is None:
        return None
    from abcresearch.batch.fingerprints import RoundPrints, read_manifest

    prints = (shared.prints(int(compare_round)) if shared is not None
              else RoundPrints(read_manifest(int(compare_round), Path(store))))
    code = str(area_code)
    return {"round": int(compare_round), "data": prints.area(code),
            "round_data": prints.area(code[:2])}


def prepare_earlier_rounds(survey_round: int, compare_rounds: Iterable[int],
                           store: str | os.PathLike[str], scheme: str | None = None) -> None:
    """Build, once in the batch's own process, what the reports' change sections read.

    For each earlier round a report compares with: that round's analysis, its suppression
    pattern (the change table hides what that round's own reports hid,
    :func:`abcresearch.reports.sections.change.hidden_in_round`) and the change between it and
    ``survey_round``, each cached in the store. Without this every worker built them on its
    first report with a change section, at the same time: the earlier round's pattern alone
    takes about 18 s and 0.8 GB on the sample province. What is cached already is not read
    (the pattern) or read once here (the analysis, the change table: a few tenths of a
    second). A failure is left to the reports, which meet it themselves.

    Parameters
    ----------
    survey_round : int
        The batch's round.
    compare_rounds : iterable of int
        The earlier rounds its reports compare with (their ``compare_round`` parameters).
    store : path
        The store.
    scheme : str, optional
        Scoring scheme parameter (None: the default scheme).
    """
    wanted = sorted({int(r) for r in compare_rounds})
    if not wanted:
        return
    try:
        from abcresearch.analysis.change import change_analysis
        from abcresearch.analysis.round import round_analysis
        from abcresearch.paths import project_path
        from abcresearch.reports.disclosure import SECONDARY_SUPPRESSION, ensure_round_pattern

        path = Path(store)
        later = round_analysis(int(survey_round), path, scheme)
        for r in wanted:
            # as the report's kernel asks for it (reports.context.AreaContext.change_analysis)
            earlier = round_analysis(r, path, later.scheme, design=later.design.choice)
            ensure_round_pattern(earlier, later.design.suppression_threshold,
                                 project_path(path), secondary=SECONDARY_SUPPRESSION)
            change_analysis(later, earlier)
    except Exception:  # noqa: BLE001 - each report meets the problem and says it
        return


# caches that batch.kernel_state.reset keeps between notebooks run in one process (see
# abcresearch.batch.inprocess): what they hold is derived from files and not changed
_tambons.cache_safe = True  # type: ignore[attr-defined]  # keyed by a stamp, frozenset out


__all__ = ["PARAMETER", "check_compare_round", "compare_inputs", "compare_round_for",
           "earlier_rounds", "has_households", "prepare_earlier_rounds"]
