"""Change between two rounds of the store, for every area, cached with the later round.

:func:`change_analysis` stacks the scored households of an earlier and a later round (each from
its :func:`~abcresearch.analysis.round.round_analysis` cache) and estimates the change (later
minus earlier) of the capital means, the level shares, Alkire-Foster M0 and the income-poverty
headcount with :func:`abcresearch.scoring.rounds.round_change`, as a with-replacement
(ultimate-cluster) design without fpc whose PSUs are carried across rounds:

* **tambons, amphoe and the province**: when either round samples villages (its design is the
  two-stage one) the PSU is the village within amphoe strata (a village surveyed in both
  rounds carries its covariance); when every village of both rounds is surveyed (both census)
  the PSU is the household (``hh_key``) within village strata (a household matched across
  rounds carries its covariance);
* **villages**: always households within the village (a village is reported from its own
  sample, conditional on its selection: with the village as PSU a village domain would get no
  variance at all); computed when a village is asked for, from its own households only.

When the rounds are not linkable (pseudonymised with different keys:
:func:`abcresearch.store.linkable`) households cannot be matched: household PSUs are then
taken as independent samples (keys are made round-specific) and no transitions are given;
village PSUs are unaffected (villages are identified by their codes).

The tambon, amphoe and province rows are cached under
``abcresearch.store.cache_folder(later, key)``, whose key hashes both
rounds' analysis keys (their data and frames), whether they are linkable and the change rules
(``params/change.yaml``), so re-ingesting either round, or changing a rule, rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch import __version__
from abcresearch.analysis.round import RoundAnalysis, write_cache_dir
from abcresearch.errors import AbcResearchWarning, DesignError, ReportError, StoreError
from abcresearch.params import Problems, load
from abcresearch.paths import params_dir
from abcresearch.scoring.rounds import (
    Transitions,
    change_attrs,
    change_measures,
    level_transitions,
    match_households,
)
from abcresearch.scoring.rounds import round_change as stacked_change
from abcresearch.stats import SurveyDesign, change
from abcresearch.store import cache_folder, has_data, linkable, rounds, store_lock

__all__ = ["CHANGE_FORMAT", "LEVEL_COLUMNS", "STACK_COLUMNS", "ChangeAnalysis", "ChangeRules",
           "change_analysis", "change_psu", "earlier_round", "load_change_rules",
           "parse_change_rules", "stacked_design", "stacked_households"]

#: Version of the change cache layout.
CHANGE_FORMAT = 2

#: Area column of each level in the derived household table.
LEVEL_COLUMNS = {"village": "village_code", "tambon": "tambon_code", "amphoe": "amphoe_code",
                 "province": "province_code"}


@dataclass(frozen=True)
class ChangeRules:
    """``params/change.yaml``: which way is better, and the headline measures."""

    better: tuple[tuple[str, str], ...] = ()
    headline: tuple[str, ...] = ("share_level1", "m0")
    verified: bool = False
    interval_df: str = "smaller_round"
    """Degrees of freedom of a change's interval (:func:`abcresearch.stats.change`'s
    ``df_rule``)."""

    def direction(self, measure: str) -> int:
        """+1 when an increase of ``measure`` is an improvement, -1 when a decrease is, else 0."""
        for key, way in self.better:
            if measure == key or (key.endswith("_") and measure.startswith(key)):
                return 1 if way == "higher" else -1
        return 0


def parse_change_rules(raw: Mapping[str, Any], path: Path) -> ChangeRules:
    """Parse and check ``params/change.yaml`` (see :func:`abcresearch.params.load`)."""
    pr = Problems(path)
    better = raw.get("better", {}) or {}
    if not isinstance(better, Mapping):
        pr.add("better", "must map measures to higher or lower")
        better = {}
    for k, v in better.items():
        if v not in ("higher", "lower"):
            pr.add(f"better.{k}", f"must be higher or lower, found {v!r}")
    head = raw.get("headline", [])
    if not isinstance(head, list) or not all(isinstance(h, str) for h in head):
        pr.add("headline", f"must be a list of measure names, found {head!r}")
        head = []
    from abcresearch.stats.change import DF_RULES

    interval_df = raw.get("interval_df", "smaller_round")
    if interval_df not in DF_RULES:
        pr.add("interval_df", f"must be one of {', '.join(DF_RULES)}, found {interval_df!r}")
    pr.raise_if_any()
    return ChangeRules(better=tuple((str(k), str(v)) for k, v in better.items()),
                       headline=tuple(head), verified=bool(raw.get("verified", False)),
                       interval_df=str(interval_df))


def load_change_rules(path: Path | str | None = None) -> ChangeRules:
    """Load ``params/change.yaml`` (validated once per version of the file)."""
    return load(path or "change", parse_change_rules)


def change_psu(earlier: RoundAnalysis, later: RoundAnalysis) -> str:
    """Return the PSU carried across two rounds above the village.

    ``household`` when both rounds use the census design (every village surveyed), else
    ``village``.
    """
    both_census = earlier.design.name == "census" and later.design.name == "census"
    return "household" if both_census else "village"


def earlier_round(survey_round: int, area_code: str, store: Path | str | None = None,
                  compare_round: int | None = None) -> int | None:
    """Return the round to compare an area's round with.

    Parameters
    ----------
    survey_round : int
        The later round.
    area_code : str
        The area.
    store : path, optional
        The store.
    compare_round : int, optional
        A round named by the researcher (checked: earlier, in the store); None: the latest
        earlier round of the store in which the area has households.

    Returns
    -------
    int or None
        None when no earlier round holds the area.

    Raises
    ------
    ReportError
        ``compare_round`` is not earlier than ``survey_round`` or not in the store.
    """
    present = rounds(store)
    if compare_round is not None:
        if isinstance(compare_round, bool) or not isinstance(compare_round, int):
            raise ReportError(f"compare_round: expected a round (Buddhist-era year) or None, "
                              f"got {compare_round!r}")
        if compare_round >= survey_round:
            raise ReportError(f"compare_round: {compare_round} is not earlier than round "
                              f"{survey_round}")
        if compare_round not in present:
            have = ", ".join(map(str, present)) or "none"
            raise ReportError(f"compare_round: round {compare_round} is not in the store "
                              f"(rounds present: {have})")
        return compare_round
    for r in sorted((r for r in present if r < survey_round), reverse=True):
        if has_data(r, str(area_code), store):
            return r
    return None


#: Household columns the change needs (besides the capital scores and deprivations).
STACK_COLUMNS = ("hh_key", "village_code", "tambon_code", "amphoe_code", "province_code",
                 "weight", "overall_level", "fin_income_year", "hh_size", "income_pc")


def stacked_households(earlier: RoundAnalysis, later: RoundAnalysis, area_code: str = "",
                       linked: bool = True, columns: Sequence[str] | None = None
                       ) -> pd.DataFrame:
    """Return the scored households of two rounds stacked, with a ``round`` column.

    Parameters
    ----------
    earlier, later : RoundAnalysis
        The two rounds.
    area_code : str
        Only this area (``""``: all).
    linked : bool
        Whether ``hh_key`` matches households across the rounds; when False the keys are made
        round-specific, so nothing is matched.
    columns : sequence of str, optional
        Only these columns (and ``round``).
    """
    parts = []
    for ra in (earlier, later):
        hh = ra.area_households(area_code, columns).assign(round=ra.survey_round)
        if not linked and "hh_key" in hh.columns:
            hh["hh_key"] = (str(ra.survey_round) + ":" + hh["hh_key"].astype("string"))
        parts.append(hh)
    keep = [c for c in parts[0].columns if c in parts[1].columns]
    return pd.concat([p[keep] for p in parts], ignore_index=True)


@dataclass
class ChangeAnalysis:
    """Change between two rounds for every village, tambon, amphoe and the province.

    Attributes
    ----------
    earlier, later : RoundAnalysis
        The two rounds.
    table : pandas.DataFrame
        Long table for every tambon, amphoe and the province: ``level, area_code, measure,
        round_from, round_to, estimate`` (later minus earlier), ``se, ci_low, ci_high, df, n,
        estimate_from, estimate_to`` and ``villages_from, villages_to`` (sampled villages of
        the area in each round). Unrounded and unsuppressed: never publish it as it is.
        Villages are computed when asked (:meth:`area`): their design is within the village,
        so each needs only its own households.
    psu : {"village", "household"}
        The PSU carried across rounds above the village level.
    linked : bool
        Whether households can be matched (:func:`abcresearch.store.linkable`).
    lines_verified : bool
        Whether both rounds' poverty lines are marked verified.
    key : str
        Cache key.
    """

    earlier: RoundAnalysis = field(repr=False)
    later: RoundAnalysis = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    psu: str = "village"
    linked: bool = True
    lines_verified: bool = True
    key: str = ""
    _villages: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def round_from(self) -> int:
        """The earlier round."""
        return self.earlier.survey_round

    @property
    def round_to(self) -> int:
        """The later round."""
        return self.later.survey_round

    @property
    def poverty_lines(self) -> tuple[float | None, float | None]:
        """Each round's income line (``params/poverty_lines.yaml``; None where it has none)."""
        from abcresearch.stats.poverty import poverty_line

        out: list[float | None] = []
        for r in (self.round_from, self.round_to):
            try:
                value = poverty_line(int(r)).value
            except Exception:  # noqa: BLE001 - no line: the measure is absent anyway
                value = None
            out.append(None if value is None else float(value))
        return out[0], out[1]

    @property
    def same_poverty_line(self) -> bool:
        """Whether both rounds count income poverty against the same line.

        Where the line changed (20,000 baht a person a year to 2549, 23,000 from 2550), each
        round's share below its own line is what that round's reports printed, but their
        difference mixes the change of the households with the change of the line: it is not
        a change the area made.
        """
        a, b = self.poverty_lines
        return a is not None and a == b

    def area(self, area_code: str) -> pd.DataFrame:
        """Return the change rows of one area (empty when it is not in both rounds)."""
        code = str(area_code)
        if len(code) == 8:
            if code not in self._villages:
                self._villages[code] = self._village(code)
            return self._villages[code]
        t = self.table
        return t[t["area_code"] == code].reset_index(drop=True)

    def _village(self, code: str) -> pd.DataFrame:
        """Compute a village's change: households within the village, matched ones one PSU."""
        sch = self.later.scheme
        cols = [*STACK_COLUMNS, *sch.capital_ids, *(f"dep_{c}" for c in sch.af_weights)]
        hh = stacked_households(self.earlier, self.later, code, self.linked, cols)
        rounds_in = set(hh["round"])
        if rounds_in != {self.round_from, self.round_to}:
            return self.table.iloc[:0].copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AbcResearchWarning)  # lines_verified says it
            out = stacked_change(hh, sch, level=self.later.design.level,
                                 design=stacked_design(hh, "household",
                                                       self.later.design.lonely_psu),
                                 df_rule=load_change_rules().interval_df)
        out.insert(0, "area_code", code)
        out.insert(0, "level", "village")
        out["villages_from"] = 1
        out["villages_to"] = 1
        return out[list(self.table.columns)].reset_index(drop=True)

    def households(self, area_code: str) -> pd.DataFrame:
        """Return the area's scored households of both rounds, stacked (``round`` column)."""
        return stacked_households(self.earlier, self.later, area_code, self.linked)

    def transitions(self, area_code: str) -> tuple[Transitions | None, dict[str, int]]:
        """Overall-level transitions of the area's households matched across the rounds.

        Returns
        -------
        transitions : Transitions or None
            None when the rounds are not linkable or nothing matched.
        counts : dict
            ``matched``, ``unmatched_from``, ``unmatched_to`` and ``duplicated`` (households
            left out because their ``hh_key`` appears twice in a round).
        """
        a = self.earlier.area_households(area_code)
        b = self.later.area_households(area_code)
        counts = {"matched": 0, "unmatched_from": len(a), "unmatched_to": len(b),
                  "duplicated": 0}
        if not self.linked or "hh_key" not in a.columns or "hh_key" not in b.columns:
            return None, counts
        cols = ["hh_key", "overall_level", "weight", "village_code"]
        a, b = a[cols].dropna(subset=["hh_key"]), b[cols].dropna(subset=["hh_key"])
        dup_a = a["hh_key"].duplicated(keep=False)
        dup_b = b["hh_key"].duplicated(keep=False)
        counts["duplicated"] = int(dup_a.sum() + dup_b.sum())
        m = match_households(a[~dup_a], b[~dup_b])
        counts.update(matched=len(m), unmatched_from=len(a) - len(m),
                      unmatched_to=len(b) - len(m))
        if m.empty:
            return None, counts
        return level_transitions(m, weights="weight_r2"), counts


def _key(earlier: RoundAnalysis, later: RoundAnalysis, psu: str, linked: bool) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([earlier.survey_round, earlier.key, later.key, psu, linked]).encode())
    p = params_dir() / "change.yaml"
    h.update(p.read_bytes() if p.exists() else b"-")
    p = params_dir() / "poverty_lines.yaml"
    h.update(p.read_bytes() if p.exists() else b"-")
    h.update(f"{__version__}/{CHANGE_FORMAT}".encode())
    return f"change-{earlier.survey_round}-{psu}-{h.hexdigest()[:16]}"


def stacked_design(stacked: pd.DataFrame, psu: str, lonely_psu: str = "adjust"
                   ) -> SurveyDesign:
    """Return the with-replacement design over stacked rounds, built on integer codes.

    The same design as :func:`abcresearch.scoring.rounds.change_design`.

    ``psu="village"``: strata = amphoe, PSU = village (nested); ``psu="household"``: strata =
    village, PSU = ``hh_key`` (a household without a key is its own PSU). No fpc.
    """
    if psu == "village":
        strata, _ = pd.factorize(stacked["amphoe_code"])
        cluster, _ = pd.factorize(stacked["village_code"])
    elif psu == "household":
        strata, _ = pd.factorize(stacked["village_code"])
        cluster, _ = pd.factorize(stacked["hh_key"])  # missing keys: -1
        own = cluster < 0
        cluster = np.where(own, cluster.max(initial=-1) + 1 + np.cumsum(own), cluster)
    else:
        raise DesignError(f"psu must be 'village' or 'household', found {psu!r}")
    data = stacked.assign(change_stratum=strata, change_psu=cluster)
    return SurveyDesign(data, weights="weight", strata="change_stratum", cluster="change_psu",
                        nest=True, lonely_psu=lonely_psu)


def _compute(earlier: RoundAnalysis, later: RoundAnalysis, psu: str, linked: bool
             ) -> tuple[pd.DataFrame, bool]:
    sch = later.scheme
    cols = [*STACK_COLUMNS, *sch.capital_ids, *(f"dep_{c}" for c in sch.af_weights)]
    stacked = stacked_households(earlier, later, "", linked, cols)
    level = later.design.level
    lonely = later.design.lonely_psu
    design = stacked_design(stacked, psu, lonely)
    parts = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AbcResearchWarning)
        # the measures once, for every level (stacked_change per level gives the same)
        aug, names = change_measures(stacked, sch, design=design)
        attrs = change_attrs(sch, design=design)
        for lvl, col in LEVEL_COLUMNS.items():
            if lvl == "village":  # computed when asked (ChangeAnalysis.area)
                continue
            out = change(aug, {name: name for name in names}, over="round", by=col,
                         level=level, df_rule=load_change_rules().interval_df)
            out.attrs.update(attrs)
            out = out.rename(columns={col: "area_code"})
            out.insert(0, "level", lvl)
            parts.append(out)
    verified = not any(issubclass(w.category, AbcResearchWarning)
                       and "poverty line" in str(w.message) for w in caught)
    table = pd.concat(parts, ignore_index=True)
    table["area_code"] = table["area_code"].astype(str)
    for name, ra in (("villages_from", earlier), ("villages_to", later)):
        n = ra.areas.set_index("area_code")["villages_surveyed"]
        table[name] = table["area_code"].map(n).fillna(0).astype("int64")
    # an area must be in both rounds to have a change
    table = table[table["estimate_from"].notna() | table["estimate_to"].notna()]
    return table.reset_index(drop=True), verified


def change_analysis(later: RoundAnalysis, earlier: RoundAnalysis, rebuild: bool = False
                    ) -> ChangeAnalysis:
    """Return the change between two rounds for every area, from the cache when unchanged.

    Parameters
    ----------
    later, earlier : RoundAnalysis
        The rounds (from the same store; ``earlier`` before ``later``).
    rebuild : bool
        Ignore the cache.

    Returns
    -------
    ChangeAnalysis

    Raises
    ------
    StoreError
        When ``earlier`` is not before ``later``.
    """
    if earlier.survey_round >= later.survey_round:
        raise StoreError(f"round {earlier.survey_round} is not earlier than round "
                         f"{later.survey_round}")
    store = later.store
    psu = change_psu(earlier, later)
    with store_lock(store, shared=True):
        linked = linkable(earlier.survey_round, later.survey_round, store)
        key = _key(earlier, later, psu, linked)
        cache = cache_folder(later.survey_round, key, store)
        if rebuild or not (cache / "meta.json").exists():
            table, verified = _compute(earlier, later, psu, linked)
            write_cache_dir(cache, {"change": table},
                            {"key": key, "round_from": earlier.survey_round,
                             "round_to": later.survey_round, "psu": psu, "linked": linked,
                             "lines_verified": verified, "version": __version__},
                            replace=rebuild)
        table = pd.read_parquet(cache / "change.parquet")
        meta = json.loads((cache / "meta.json").read_text(encoding="utf-8"))
    return ChangeAnalysis(earlier=earlier, later=later, table=table, psu=psu, linked=linked,
                          lines_verified=bool(meta.get("lines_verified", True)), key=key)
