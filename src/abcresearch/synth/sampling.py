"""Village selection of a round and the sampling frame (``frame.csv``) a survey office would keep.

The rule
--------
* **Universe and strata.** The villages of the province, or of the chosen amphoe (``amphoe=``);
  the strata are the amphoe. Villages outside the universe are listed in the frame with
  ``sampled = 0`` and no selection probability.
* **Census** (the default): every village of the universe, ``selection_prob = 1``.
* **Rollout** (``wave=k``): the programme surveys new villages wave by wave, one wave per round.
  Wave ``k`` takes ``n_k`` villages not yet surveyed, allocated to the amphoe in proportion to
  their villages not yet surveyed (largest remainders, ties to the lower amphoe code), and within
  each amphoe a simple random sample without replacement of its villages not yet surveyed.
  The default sizes are the programme's: 400, 600 and 600 of the province's 1,551 villages (the
  third wave is the 551 that remain); for a universe of ``U`` villages the cumulative targets
  400, 1,000 and 1,600 are scaled by ``U / 1551`` and rounded (Khanom, 16 villages: 4, 6, 6).
  Explicit ``wave_sizes`` are taken as given (capped by what remains).
* **Re-surveys** (``resurvey=m``, wave 2 or later): ``m`` villages of the waves before ``k``,
  allocated to the amphoe in proportion to their villages already surveyed, and within each
  amphoe a simple random sample without replacement of those villages. Their households are
  visited again: about 85 % of them are the same households (same head national ID), the rest
  moved away or are new.
* **A one-off sample** (``villages=N``) is wave 1 of a rollout with wave size ``N``; a list of
  village codes is a purposive choice: each listed village is written with probability 1 (it
  stands only for itself).

Selection probabilities
-----------------------
Every draw is a simple random sample within an amphoe and every allocation is a fixed function of
the counts, so the whole procedure is invariant under permutations of the villages of an amphoe.
Hence the set of villages surveyed in round ``k`` (new plus re-surveyed, ``s_h`` in amphoe ``h``)
is itself a simple random sample of ``s_h`` of the amphoe's ``N_h`` villages, and
``selection_prob = s_h / N_h`` for every village of the amphoe (its probability, before the
rollout began, of being surveyed in this round). The design of the round is therefore stratified
simple random sampling of villages with ``fpc = N_h``; ``tests/test_synth_sampling.py`` checks
the probabilities by simulation.

The draws are keyed by ``(seed, wave, amphoe)``: the same seed gives the same waves in every
round, so wave 2 (round 2550) never repeats a village of wave 1 (round 2549).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from abcresearch.errors import AreaError, InputError
from abcresearch.synth.draws import households_in_round
from abcresearch.synth.frame import restrict_amphoe

__all__ = ["FRAME_COLUMNS", "PROGRAMME_VILLAGES", "PROGRAMME_WAVES", "Selection", "allocate",
           "default_wave_sizes", "draw_rollout", "select"]

#: The programme's waves (400 villages in 2549, then 600, then 600) ...
PROGRAMME_WAVES = (400, 600, 600)
#: ... of the province's villages (Nakhon Si Thammarat, provincial table of about 2009).
PROGRAMME_VILLAGES = 1551

#: Columns of ``frame.csv`` (docs/INPUTS.md).
FRAME_COLUMNS = ["village_code", "village_name", "households", "stratum", "wave", "sampled",
                 "selection_prob", "resurvey"]

_NEW, _RESURVEY = 0x5E1EC7, 0x2E5E1EC7


def allocate(total: int, sizes: pd.Series) -> pd.Series:
    """Allocate ``total`` units to strata in proportion to ``sizes`` (largest remainders).

    Parameters
    ----------
    total : int
        Units to allocate (at most ``sizes.sum()``).
    sizes : pandas.Series
        Non-negative integer size of each stratum (index: stratum code).

    Returns
    -------
    pandas.Series
        Integers adding up to ``total``, none above its stratum's size; remainders go to the
        largest fractional parts, ties to the stratum listed first.

    Examples
    --------
    >>> allocate(5, pd.Series({"a": 10, "b": 6, "c": 2})).tolist()
    [3, 2, 0]
    """
    return pd.Series(_allocate(total, sizes.to_numpy()), index=sizes.index, dtype=np.int64)


def _allocate(total: int, sizes: np.ndarray) -> np.ndarray:
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    if not 0 <= total <= n:
        raise InputError(f"cannot allocate {total} units to strata holding {n}")
    if total == 0 or n == 0:
        return np.zeros(len(sizes), dtype=np.int64)
    quota = total * sizes / n
    base = np.floor(quota).astype(np.int64)
    rest = total - int(base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:rest]] += 1
    return base


def default_wave_sizes(universe: int) -> tuple[int, ...]:
    """Return the programme's waves for ``universe`` villages (see the module's rule)."""
    cum = np.cumsum(PROGRAMME_WAVES) / PROGRAMME_VILLAGES
    targets = [min(universe, int(np.floor(universe * c + 0.5))) for c in cum]
    return tuple(int(b - a) for a, b in zip([0, *targets[:-1]], targets, strict=True))


@dataclass
class Selection:
    """The villages of a round and its sampling frame.

    Attributes
    ----------
    frame : pandas.DataFrame
        The province's villages (rows of the village frame) with ``stratum``, ``wave`` (Int64,
        NA if not yet surveyed), ``sampled`` and ``resurvey`` (0/1), ``selection_prob`` (NA
        outside the universe or where the stratum has no chance), ``households`` (of the round)
        and ``in_universe``.
    design : str
        ``census``, ``listed``, ``sample`` (one-off) or ``rollout``.
    wave : int or None
        The round's wave (rollout and one-off samples).
    allocation : pandas.DataFrame
        Per stratum of the universe: ``villages``, ``surveyed_before``, ``new``, ``resurvey``,
        ``sampled`` and ``selection_prob``.
    """

    frame: pd.DataFrame
    design: str
    wave: int | None
    allocation: pd.DataFrame

    @property
    def sampled(self) -> pd.DataFrame:
        """The villages surveyed in the round (rows of the village frame, frame order)."""
        return self.frame[self.frame["sampled"] == 1].reset_index(drop=True)

    def frame_csv(self) -> pd.DataFrame:
        """Return the table written as ``frame.csv`` (columns of :data:`FRAME_COLUMNS`)."""
        f = self.frame
        return pd.DataFrame({
            "village_code": f["village_code"], "village_name": f["village_name"],
            "households": f["households"].astype(np.int64), "stratum": f["stratum"],
            "wave": f["wave"], "sampled": f["sampled"].astype(np.int64),
            "selection_prob": f["selection_prob"], "resurvey": f["resurvey"].astype(np.int64),
        })[FRAME_COLUMNS]

    def describe(self) -> str:
        """One line saying how the villages were chosen."""
        a = self.allocation
        n, u = int(a["sampled"].sum()), int(a["villages"].sum())
        if self.design == "census":
            return f"census of the {u} villages (frame.csv)"
        if self.design == "listed":
            return f"{n} listed villages of {u} (frame.csv)"
        if self.design == "sample":
            return f"{n} of {u} villages, stratified by amphoe (frame.csv)"
        return (f"wave {self.wave}: {int(a['new'].sum())} new + {int(a['resurvey'].sum())} "
                f"re-surveyed of {u} villages, stratified by amphoe (frame.csv)")


def _srs(codes: np.ndarray, n: int, key: list[int]) -> np.ndarray:
    """Return simple random sample without replacement of ``n`` of ``codes`` (sorted codes)."""
    if n == 0:
        return codes[:0]
    rng = np.random.default_rng(key)
    return np.sort(codes[rng.choice(len(codes), size=n, replace=False)])


def draw_rollout(by_stratum: dict[str, np.ndarray], seed: int, wave: int, resurvey: int,
                 wave_sizes: Sequence[int]
                 ) -> tuple[dict[str, int], set[str], dict[str, np.ndarray]]:
    """Draw waves 1..``wave`` and the re-surveys of ``wave`` (the rollout rule, arrays only).

    Parameters
    ----------
    by_stratum : dict
        Stratum code (digits) -> sorted array of its village codes (the universe).
    seed, wave, resurvey : int
        As in :func:`select`.
    wave_sizes : sequence of int
        New villages per wave (0 after the last).

    Returns
    -------
    first_wave : dict
        Village code -> wave in which it was first surveyed (waves 1..``wave``).
    again : set
        Villages re-surveyed in ``wave``.
    counts : dict
        ``surveyed_before`` (waves before ``wave``), ``new`` and ``resurvey``: one integer per
        stratum, in the order of ``by_stratum``.

    Raises
    ------
    InputError
        Re-surveys in wave 1, or more than the villages surveyed before.
    """
    strata = list(by_stratum)
    first_wave: dict[str, int] = {}
    new_k = np.zeros(len(strata), dtype=np.int64)
    for k in range(1, wave + 1):
        avail = [np.array([c for c in by_stratum[h] if c not in first_wave], dtype=str)
                 for h in strata]
        a_h = np.array([len(a) for a in avail], dtype=np.int64)
        size_k = wave_sizes[k - 1] if k <= len(wave_sizes) else 0
        new_k = _allocate(min(size_k, int(a_h.sum())), a_h)
        for j, h in enumerate(strata):
            for c in _srs(avail[j], int(new_k[j]), [seed, _NEW, k, int(h)]):
                first_wave[str(c)] = k
    before = [np.array([c for c in by_stratum[h] if first_wave.get(c, wave) < wave], dtype=str)
              for h in strata]
    s_h = np.array([len(b) for b in before], dtype=np.int64)
    if resurvey:
        if wave == 1:
            raise InputError("wave 1 has no earlier villages to re-survey")
        if resurvey > int(s_h.sum()):
            raise InputError(f"re-surveys: only {int(s_h.sum())} villages were surveyed "
                             f"before wave {wave}, {resurvey} asked")
    m_h = _allocate(resurvey, s_h)
    again: set[str] = set()
    for j, h in enumerate(strata):
        again.update(str(c) for c in _srs(before[j], int(m_h[j]), [seed, _RESURVEY, wave, int(h)]))
    counts = {"surveyed_before": s_h, "new": new_k, "resurvey": m_h}
    return first_wave, again, counts


def select(frame: pd.DataFrame, survey_round: int, seed: int = 1,
           amphoe: Sequence[str] | str | None = None,
           villages: int | Sequence[str] | None = None, wave: int | None = None,
           resurvey: int = 0, wave_sizes: Sequence[int] | None = None) -> Selection:
    """Choose the round's villages by the documented rule (module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        The province's village frame (:func:`abcresearch.synth.frame.village_frame`).
    survey_round : int
        Round (Buddhist era): gives the households of each village.
    seed : int
        Seed of the draws (the same in every round of a rollout).
    amphoe : str or list of str, optional
        Universe: these amphoe (default: the province).
    villages : int or list of str, optional
        An int: a one-off stratified sample of that many villages (wave 1 of that size); a list:
        these village codes (purposive, probability 1).
    wave : int, optional
        Rollout wave of the round (1 = first year).
    resurvey : int
        Villages of earlier waves surveyed again in this round (wave 2 or later).
    wave_sizes : sequence of int, optional
        New villages per wave (default: the programme's, scaled to the universe).

    Returns
    -------
    Selection

    Raises
    ------
    InputError
        Inconsistent arguments (both ``villages`` and ``wave``; re-surveys in wave 1 or more
        than were surveyed before; a wave with no village).
    AreaError
        Unknown amphoe or village codes.
    """
    if villages is not None and wave is not None:
        raise InputError("give either villages (a one-off sample or a list) or a rollout wave, "
                         "not both")
    if resurvey < 0:
        raise InputError(f"re-surveys must be 0 or more, found {resurvey}")
    if resurvey and wave is None:
        raise InputError("re-surveys need a rollout wave (wave 2 or later)")
    if wave is not None and wave < 1:
        raise InputError(f"the wave must be 1 or more, found {wave}")
    universe = restrict_amphoe(frame, amphoe)
    f = frame.copy()
    f["stratum"] = f["amphoe_code"]
    f["in_universe"] = f["village_code"].isin(universe["village_code"])
    f["households"] = [households_in_round(h, survey_round) for h in f["vil_households"]]
    strata = pd.Index(sorted(universe["amphoe_code"].unique()), name="stratum")
    n_h = universe.groupby("amphoe_code").size().reindex(strata)

    one_off = isinstance(villages, int | np.integer)
    listed: list[str] | None = None
    if isinstance(villages, int | np.integer):
        if int(villages) < 1:
            raise InputError("villages: a sample size must be at least 1")
        wave, wave_sizes = 1, (min(int(villages), len(universe)),)
    elif villages is not None:
        listed = [str(c).strip() for c in villages]
    wave_no = pd.Series(pd.NA, index=f.index, dtype="Int64")
    sampled = np.zeros(len(f), dtype=bool)
    resurveyed = np.zeros(len(f), dtype=bool)
    alloc = pd.DataFrame({"villages": n_h, "surveyed_before": 0, "new": 0, "resurvey": 0})

    if wave is None:
        if listed is None:
            design = "census"
            sampled = f["in_universe"].to_numpy()
        else:
            design = "listed"
            codes = listed
            bad = [c for c in codes if c not in set(universe["village_code"])]
            if bad:
                raise AreaError(f"village codes not in the synthetic frame"
                                f"{' of the chosen amphoe' if amphoe else ''}: {bad[:5]}")
            sampled = f["village_code"].isin(codes).to_numpy()
        wave_no[sampled] = 1
        alloc["new"] = f[sampled].groupby("amphoe_code").size().reindex(strata, fill_value=0)
        prob = pd.Series(np.where(sampled, 1.0, np.nan), index=f.index)
    else:
        design = "sample" if one_off else "rollout"
        sizes = (tuple(int(s) for s in wave_sizes) if wave_sizes is not None
                 else default_wave_sizes(len(universe)))
        if any(s < 0 for s in sizes):
            raise InputError(f"wave sizes must be 0 or more, found {list(sizes)}")
        by_stratum = {h: np.sort(universe.loc[universe["amphoe_code"] == h, "village_code"]
                                 .to_numpy().astype(str)) for h in strata}
        first_wave, again, counts = draw_rollout(by_stratum, seed, wave, resurvey, sizes)
        new_k, m_h, s_h = (pd.Series(counts[k], index=strata)
                           for k in ("new", "resurvey", "surveyed_before"))
        if int(new_k.sum()) + resurvey == 0:
            raise InputError(f"wave {wave} has no village left to survey; ask for re-surveys")
        codes = f["village_code"]
        fw = codes.map(first_wave)
        wave_no[:] = pd.array(fw, dtype="Int64")
        sampled = ((fw == wave) | codes.isin(again)).to_numpy()
        resurveyed = codes.isin(again).to_numpy()
        alloc["surveyed_before"] = s_h
        alloc["new"] = new_k
        alloc["resurvey"] = m_h
        p_h = (new_k + m_h) / n_h
        prob = f["amphoe_code"].map(p_h).where(f["in_universe"])
        prob = prob.where(prob > 0)
    alloc["sampled"] = f[sampled].groupby("amphoe_code").size().reindex(strata, fill_value=0)
    alloc["selection_prob"] = (alloc["sampled"] / alloc["villages"] if design != "listed"
                               else np.where(alloc["sampled"] > 0, 1.0, np.nan))
    f["wave"] = wave_no
    f["sampled"] = sampled.astype(np.int64)
    f["resurvey"] = resurveyed.astype(np.int64)
    f["selection_prob"] = prob.astype(float)
    if not sampled.any():
        raise AreaError("no villages selected")
    return Selection(frame=f, design=design, wave=wave, allocation=alloc.reset_index())
