"""Exceptions and warnings raised by abcresearch.

Every user-facing error derives from :class:`AbcResearchError`; the command line turns these into
one clear sentence and a non-zero exit, never a traceback. All classes can be pickled (needed when
errors travel back from dask workers).
"""

from __future__ import annotations

from typing import Any


class AbcResearchError(Exception):
    """Base class of every error that abcresearch raises on purpose."""


class InputError(AbcResearchError):
    """An input file cannot be read at all (encoding, format, missing sheet or column).

    Parameters
    ----------
    message : str
        One sentence naming the file, and where known the row, column and rule.
    """


class InputValidationError(AbcResearchError):
    """Rows of an input broke rules of the instrument.

    Parameters
    ----------
    message : str
        Headline with counts per rule.
    issues : pandas.DataFrame, optional
        The full failure table (file, row, column, value, rule, message).
    """

    def __init__(self, message: str, issues: Any = None) -> None:
        super().__init__(message)
        self.issues = issues

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.args[0], self.issues))


class AreaError(AbcResearchError):
    """An area code is unknown or inconsistent with its parent area."""


class ParamsError(AbcResearchError):
    """A file in ``params/`` is invalid; the message lists every problem found."""


class DesignError(AbcResearchError):
    """A survey design cannot be built or estimated (lonely PSUs under ``lonely_psu='fail'``)."""


class StoreError(AbcResearchError):
    """The analysis store is missing, or lacks the requested round or area."""


class ReportError(AbcResearchError):
    """A report could not be produced."""


class PersonalDataError(ReportError):
    """A notebook shows names, national IDs or phone numbers, so no report is made of it."""


class AbcResearchWarning(UserWarning):
    """Base class of abcresearch warnings, so users can filter them together."""


class SmallCellWarning(AbcResearchWarning):
    """A published figure rests on fewer households than the disclosure threshold."""


class LonelyPSUWarning(AbcResearchWarning):
    """A stratum has a single PSU and was handled by the chosen ``lonely_psu`` rule."""
