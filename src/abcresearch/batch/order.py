"""The order a batch hands its reports to the workers: the largest areas first.

A batch's wall time is its work shared out over the workers, plus the time one worker still
runs after the others have nothing left: the last report handed out. In code order that is any
tambon; a large one started last runs alone at the end (a district batch of 16 tambon reports
on two workers: the two ended 0.94 s apart). Handing the longest reports out first (the
longest-processing-time rule) leaves the short ones to fill the gaps at the end.

A report's time follows its area's households (a tambon report: correlation 0.83 over the
province's 170, whose reports took 1.0-1.5 s and whose households number 562-3,000), which
the round's analysis counts for every area (``RoundAnalysis.areas``). The province overview
and the methods appendix keep their places before the areas' reports: the overview is the
longest report of a batch. The order changes no report, only when each starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

__all__ = ["area_households", "largest_first"]


class _HasCode(Protocol):
    @property
    def area_code(self) -> str: ...


TaskT = TypeVar("TaskT", bound=_HasCode)


def largest_first(tasks: Sequence[TaskT], households: Mapping[str, int]) -> list[TaskT]:
    """Return ``tasks`` with the areas of most households first.

    Parameters
    ----------
    tasks : sequence of ReportTask
        The areas' reports, in any order.
    households : mapping
        Households surveyed by area code (:func:`area_households`); an area it does not name
        (a tambon with a model estimate only) counts none.

    Returns
    -------
    list
        The same tasks, most households first; equal counts in code order.
    """
    return sorted(tasks, key=lambda t: (-int(households.get(t.area_code, 0)), t.area_code))


def area_households(survey_round: int, store: str | Path | None, scheme: str | None = None
                    ) -> dict[str, int]:
    """Households surveyed in each area of a round, from the round's analysis.

    The batch's plan has built (or read) the analysis already, so this reads it from the
    process's cache. Empty where there is no analysis to read (the reports then meet the
    problem themselves and say why): the order is only a matter of speed.

    Parameters
    ----------
    survey_round : int
        The round.
    store : path, optional
        The store.
    scheme : str, optional
        Scoring scheme parameter (None: the default scheme).
    """
    from abcresearch.analysis.round import round_analysis

    try:
        areas = round_analysis(int(survey_round), store, scheme).areas
        counts = areas["households_surveyed"].fillna(0).astype("int64")
        return dict(zip(areas["area_code"].astype(str), counts.tolist(), strict=True))
    except Exception:  # noqa: BLE001 - no order is needed to run the reports
        return {}
