"""Statistical disclosure control for published tables (threshold from ``params/design.yaml``).

Rules (see ``shared/ecosystem.md`` section 5):

1. primary suppression: a household count of 1 to ``threshold - 1`` is suppressed (zeros are shown);
2. a share, mean or grade whose base is fewer than ``threshold`` households is suppressed;
3. secondary suppression: in any row or column of a count table where exactly one cell is
   suppressed, the next-smallest non-zero cell is suppressed too, so totals cannot give it back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def marker(threshold: int = 5) -> str:
    """Return the text shown in place of a small (primary-suppressed) cell, e.g. ``"<5"``."""
    return f"<{threshold}"


#: Marker of a small cell under the default threshold of 5.
SUPPRESSED = marker(5)
#: Marker of a cell hidden only so that a small cell cannot be recovered from totals.
SECONDARY = "×"


def primary_mask(counts: pd.DataFrame, threshold: int = 5) -> pd.DataFrame:
    """Return True where a count is between 1 and ``threshold - 1``."""
    c = counts.apply(pd.to_numeric, errors="coerce")
    return (c > 0) & (c < threshold)


def secondary_mask(counts: pd.DataFrame, mask: pd.DataFrame) -> pd.DataFrame:
    """Extend a suppression mask so no row or column has exactly one suppressed cell.

    Parameters
    ----------
    counts : pandas.DataFrame
        The published counts (numeric).
    mask : pandas.DataFrame
        Cells already suppressed.

    Returns
    -------
    pandas.DataFrame
        The extended mask; repeated until stable.
    """
    values = counts.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    m = mask.to_numpy(dtype=bool).copy()
    for _ in range(values.size + 1):
        changed = False
        for axis in (1, 0):
            view_m = m if axis == 1 else m.T
            view_v = values if axis == 1 else values.T
            for i in range(view_m.shape[0]):
                if view_m[i].sum() == 1:
                    cand = np.where(~view_m[i] & (view_v[i] > 0), view_v[i], np.inf)
                    j = int(np.argmin(cand))
                    if np.isfinite(cand[j]):
                        view_m[i, j] = True
                        changed = True
        if not changed:
            break
    return pd.DataFrame(m, index=mask.index, columns=mask.columns)


def suppress_counts(counts: pd.DataFrame, threshold: int = 5,
                    secondary: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the counts as display values with small cells replaced by ``"<5"``.

    Parameters
    ----------
    counts : pandas.DataFrame
        Household counts.
    threshold : int, default 5
        Smallest publishable count.
    secondary : bool, default True
        Apply secondary suppression within rows and columns.

    Returns
    -------
    shown : pandas.DataFrame
        Object frame: integers, ``"<5"`` where a count is small, ``"×"`` where a cell is hidden
        only to protect a small one (secondary suppression).
    mask : pandas.DataFrame
        True where suppressed (either way).

    Examples
    --------
    >>> counts = pd.DataFrame({"a": [3, 20], "b": [40, 30], "c": [50, 60]})
    >>> shown, mask = suppress_counts(counts)
    >>> shown.to_numpy().tolist()
    [['<5', '×', 50], ['×', '×', 60]]
    """
    primary = primary_mask(counts, threshold)
    mask = secondary_mask(counts, primary) if secondary else primary
    shown = counts.astype(object).where(~primary, marker(threshold)).where(
        ~(mask & ~primary), SECONDARY)
    return shown, mask


def share_mask(count: pd.Series | np.ndarray, base: pd.Series | np.ndarray,
               threshold: int = 5) -> np.ndarray:
    """True where a share must not be published (rule 2 with its complement).

    A share ``count / base`` gives its count back whenever the base is published (and within a
    village, where weights are equal, a weighted share is the unweighted one). So a share is
    suppressed when its base is 1 to ``threshold - 1``, or when the households it counts, or the
    households it leaves out, number 1 to ``threshold - 1``.

    Parameters
    ----------
    count, base : array-like
        Unweighted household counts of the numerator and of the base.
    threshold : int
        Smallest publishable count.

    Examples
    --------
    >>> share_mask(np.array([3, 70, 147, 0]), np.array([150, 150, 150, 150])).tolist()
    [True, False, True, False]
    """
    c = np.asarray(count, dtype=float)
    b = np.asarray(base, dtype=float)

    def small(x: np.ndarray) -> np.ndarray:
        return (x > 0) & (x < threshold)

    return small(b) | small(c) | small(b - c)


def is_small(count: pd.Series | np.ndarray | float, threshold: int = 5) -> np.ndarray:
    """True where a household count is 1 to ``threshold - 1`` (rule 1; zeros are shown)."""
    c = np.asarray(count, dtype=float)
    return (c > 0) & (c < threshold)


def suppress_shares(shares: pd.DataFrame | pd.Series, count: pd.DataFrame | pd.Series | np.ndarray,
                    base: pd.DataFrame | pd.Series | np.ndarray,
                    threshold: int = 5) -> pd.DataFrame | pd.Series:
    """Blank (NaN) every share that :func:`share_mask` hides (rule 2 with its complement).

    Parameters
    ----------
    shares : pandas.DataFrame or Series
        The shares (or percentages) to publish.
    count, base : array-like
        Unweighted households counted by each share and in its base, of the same shape (a base
        may also be one value per row of a frame).
    threshold : int
        Smallest publishable count.

    Examples
    --------
    >>> suppress_shares(pd.Series([0.02, 0.5]), np.array([3, 75]), np.array([150, 150])).tolist()
    [nan, 0.5]
    """
    c = np.asarray(count, dtype=float)
    b = np.asarray(base, dtype=float)
    if isinstance(shares, pd.DataFrame) and b.ndim == 1:
        b = np.repeat(b[:, None], shares.shape[1], axis=1)
    return shares.mask(share_mask(c, b, threshold))


def suppress_histogram(count: np.ndarray | None, weighted: np.ndarray | None, total: int,
                       threshold: int = 5) -> np.ndarray | None:
    """Return the bar heights of a histogram that may be drawn.

    Parameters
    ----------
    count, weighted : numpy.ndarray or None
        Households (unweighted) and weighted households per bin.
    total : int
        Households in the histogram.
    threshold : int
        Smallest publishable count.

    Returns
    -------
    numpy.ndarray or None
        ``weighted`` with bins of 1 to ``threshold - 1`` households set to 0; None (draw nothing)
        when ``total`` is below the threshold.
    """
    if count is None or weighted is None or total < threshold:
        return None
    out = np.asarray(weighted, dtype=float).copy()
    out[is_small(count, threshold)] = 0.0
    return out


def af_publishable(n_poor: float, n_base: float, n_households: float,
                   threshold: int = 5) -> dict[str, bool]:
    """Which Alkire-Foster measures of an area may be published.

    H is a share of households (rule 2 with its complement: the poor and the non-poor must both
    be 0 or at least ``threshold``); A is a mean over the poor households only (at least
    ``threshold`` of them); M0 needs the area to have at least ``threshold`` households. H and A
    also need the area to be publishable.

    Parameters
    ----------
    n_poor, n_base : float
        Households identified as poor; households whose deprivations are all known.
    n_households : float
        Households of the area.
    threshold : int
        Smallest publishable count.

    Returns
    -------
    dict
        ``{"H": bool, "A": bool, "M0": bool}``.

    Examples
    --------
    >>> af_publishable(27, 30, 30)
    {'H': False, 'A': True, 'M0': True}
    """
    area = bool(n_households >= threshold)
    h = not bool(share_mask(np.array([n_poor]), np.array([n_base]), threshold)[0])
    return {"H": h and area, "A": bool(n_poor >= threshold) and area, "M0": area}


def suppress_by_base(values: pd.DataFrame | pd.Series, base: pd.Series | np.ndarray,
                     threshold: int = 5) -> pd.DataFrame | pd.Series:
    """Blank (NaN) every value whose base count is between 1 and ``threshold - 1``."""
    b = np.asarray(base, dtype=float)
    small = (b > 0) & (b < threshold)
    if isinstance(values, pd.DataFrame):
        return values.mask(np.repeat(small[:, None], values.shape[1], axis=1))
    return values.mask(small)
