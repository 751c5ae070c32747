"""The survey design of a round: declared in ``params/design.yaml``, chosen from the round's frame.

Two designs are declared:

* ``census`` -- every village of an area is surveyed: villages are strata, households a simple
  random sample within their village, fpc = the village's households;
* ``two_stage`` -- villages sampled within strata (stage 1, fpc = the stratum's villages in the
  frame), households within each sampled village (stage 2, fpc = the village's households in the
  frame), as R's ``svydesign(ids = ~village_code + submission_uuid, strata = ~stratum,
  fpc = ~stratum_villages + village_households, nest = TRUE)``.

:func:`choose_design` picks one for a round (``auto``: two-stage when any sampled village of the
round's frame has a selection probability below 1) unless a researcher names one. In both
designs the stored household ``weight`` is already the full inverse inclusion probability
(``M / (m p)``, made at ingest); the household count ``M`` that feeds weights, fpc and coverage
is the frame's when the round has a frame, else the village form's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from abcresearch.errors import DesignError
from abcresearch.params import Problems, load
from abcresearch.stats import SurveyDesign

__all__ = ["DESIGN_CHOICES", "DESIGN_NAMES", "DesignSpec", "StageSpec", "area_design",
           "choose_design", "design_spec", "parse_design_spec", "villages_sampled"]

#: The designs a round can use.
DESIGN_NAMES = ("census", "two_stage")
#: What a researcher may ask for (``auto``: from the round's frame).
DESIGN_CHOICES = ("auto", *DESIGN_NAMES)


@dataclass(frozen=True)
class StageSpec:
    """One declared design: strata, cluster(s) and fpc column(s) of the household table."""

    strata: str | None
    cluster: str | tuple[str, ...] | None
    fpc: str | tuple[str, ...] | None
    nest: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        """Household columns the design needs (besides the weights)."""
        out: list[str] = []
        for v in (self.strata, self.cluster, self.fpc):
            if isinstance(v, str):
                out.append(v)
            elif v:
                out.extend(v)
        return tuple(out)


#: Designs used when ``params/design.yaml`` declares none (the census of villages of old files).
_DEFAULT_DESIGNS = {
    "census": StageSpec("village_code", None, "village_households"),
    "two_stage": StageSpec("stratum", ("village_code", "submission_uuid"),
                           ("stratum_villages", "village_households"), True),
}


@dataclass(frozen=True)
class DesignSpec:
    """The survey design of ``params/design.yaml``, resolved to one of its designs.

    Attributes
    ----------
    strata, cluster, fpc : str, tuple of str or None
        Columns of the design in force (``name``).
    weights : str
        Weight column (the full inverse inclusion probability).
    lonely_psu : str
        Rule for a stratum with one sampled unit.
    level : float
        Confidence level.
    suppression_threshold : int
        Smallest publishable household count.
    name : {"census", "two_stage"}
        The design in force.
    nest : bool
        Cluster ids unique only within strata.
    choice : {"auto", "census", "two_stage"}
        What was asked for (``auto``: from the round's frame).
    designs : tuple of (name, StageSpec)
        Every declared design.
    """

    strata: str | None
    cluster: str | tuple[str, ...] | None
    fpc: str | tuple[str, ...] | None
    weights: str = "weight"
    lonely_psu: str = "adjust"
    level: float = 0.95
    suppression_threshold: int = 5
    name: str = "census"
    nest: bool = False
    choice: str = "auto"
    designs: tuple[tuple[str, StageSpec], ...] = field(default=(), repr=False)

    def stage_spec(self, name: str) -> StageSpec:
        """Return a declared design by name."""
        found = dict(self.designs) or _DEFAULT_DESIGNS
        if name not in found:
            raise DesignError(f"design {name!r} is not declared in params/design.yaml "
                              f"(declared: {', '.join(found)})")
        return found[name]

    def named(self, name: str, choice: str | None = None) -> DesignSpec:
        """Return this spec with design ``name`` in force (``choice`` records what was asked)."""
        s = self.stage_spec(name)
        return replace(self, strata=s.strata, cluster=s.cluster, fpc=s.fpc, nest=s.nest,
                       name=name, choice=choice or self.choice)

    def build(self, frame: pd.DataFrame) -> SurveyDesign:
        """Return the :class:`~abcresearch.stats.SurveyDesign` of a household frame.

        Raises
        ------
        DesignError
            When the frame lacks a column of the design (e.g. the two-stage design on a round
            ingested without a frame), in one sentence.
        """
        need = StageSpec(self.strata, self.cluster, self.fpc).columns
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise DesignError(f"the {self.name} design needs the household columns "
                              f"{', '.join(missing)}, which this round does not have (a round "
                              "ingested without a frame.csv supports only the census design)")
        # text ids (village codes, submission uuids) as integer codes: the same partition of
        # the rows, without sorting strings
        codes: dict[str, Any] = {}

        def coded(col: str) -> str:
            if pd.api.types.is_numeric_dtype(frame[col]):
                return col
            name = f"design_id_{col}"
            values, _ = pd.factorize(frame[col])
            if (values < 0).any():  # missing ids stay missing (the design names them)
                return col
            codes[name] = values
            return name

        strata = None if self.strata is None else coded(self.strata)
        cluster: str | list[str] | None
        if isinstance(self.cluster, tuple):
            cluster = [coded(c) for c in self.cluster]
        else:
            cluster = None if self.cluster is None else coded(self.cluster)
        data = frame.assign(**codes) if codes else frame
        return SurveyDesign(data, weights=self.weights, strata=strata, cluster=cluster,
                            fpc=list(self.fpc) if isinstance(self.fpc, tuple) else self.fpc,
                            nest=self.nest, lonely_psu=self.lonely_psu)


def _stage(raw: Any, where: str, pr: Problems) -> StageSpec | None:
    if not isinstance(raw, Mapping):
        pr.add(where, f"must be a mapping with strata, cluster, fpc, found {raw!r}")
        return None
    vals: dict[str, Any] = {}
    for key in ("strata", "cluster", "fpc"):
        v = raw.get(key)
        if v is None or isinstance(v, str):
            vals[key] = v
        elif isinstance(v, list) and v and all(isinstance(x, str) for x in v) and key != "strata":
            vals[key] = tuple(v)
        else:
            what = "a column name" if key == "strata" else "a column name or a list of them"
            pr.add(f"{where}.{key}", f"must be {what} or null, found {v!r}")
    nest = raw.get("nest", False)
    if not isinstance(nest, bool):
        pr.add(f"{where}.nest", f"must be true or false, found {nest!r}")
    if isinstance(vals.get("cluster"), tuple) and isinstance(vals.get("fpc"), tuple) \
            and len(vals["cluster"]) != len(vals["fpc"]):
        pr.add(where, "needs one fpc column per cluster stage")
    if len(vals) < 3 or not isinstance(nest, bool):
        return None
    return StageSpec(vals["strata"], vals["cluster"], vals["fpc"], nest)


def parse_design_spec(raw: Mapping[str, Any], path: Path) -> DesignSpec:
    """Parse and check ``params/design.yaml`` (see :func:`abcresearch.params.load`).

    Returns
    -------
    DesignSpec
        Resolved to the file's ``design`` (``census`` when it is ``auto``: the design of a
        round without a frame); :func:`choose_design` resolves it for a round.

    Raises
    ------
    ParamsError
        Listing every problem of the file.
    """
    pr = Problems(path)
    choice = raw.get("design", "auto")
    if choice not in DESIGN_CHOICES:
        pr.add("design", f"must be one of {', '.join(DESIGN_CHOICES)}, found {choice!r}")
        choice = "auto"
    designs: dict[str, StageSpec] = {}
    if "designs" in raw:
        block = raw["designs"]
        if not isinstance(block, Mapping):
            pr.add("designs", "must map census and two_stage to their columns")
            block = {}
        for name in DESIGN_NAMES:
            if name not in block:
                pr.add("designs", f"lacks {name}")
                continue
            s = _stage(block[name], f"designs.{name}", pr)
            if s is not None:
                designs[name] = s
    else:  # a file of the census-only form: strata, cluster, fpc at the top level
        s = _stage(raw, "", pr)
        designs = {"census": s or _DEFAULT_DESIGNS["census"],
                   "two_stage": _DEFAULT_DESIGNS["two_stage"]}
    try:
        level = float(raw.get("level", 0.95))
        if not 0 < level < 1:
            pr.add("level", f"must be between 0 and 1, found {level}")
    except (TypeError, ValueError):
        pr.add("level", f"must be a number, found {raw.get('level')!r}")
        level = 0.95
    thr = raw.get("suppression_threshold", 5)
    if isinstance(thr, bool) or not isinstance(thr, int) or thr < 1:
        pr.add("suppression_threshold", f"must be a whole number of at least 1, found {thr!r}")
        thr = 5
    weights = raw.get("weights", "weight")
    if not isinstance(weights, str):
        pr.add("weights", f"must be a column name, found {weights!r}")
    pr.raise_if_any()
    base = DesignSpec(strata=None, cluster=None, fpc=None, weights=weights,
                      lonely_psu=str(raw.get("lonely_psu", "adjust")), level=level,
                      suppression_threshold=int(thr), choice=choice,
                      designs=tuple(designs.items()))
    return base.named("census" if choice == "auto" else choice, choice)


def design_spec(path: Path | str | None = None) -> DesignSpec:
    """Load ``params/design.yaml`` (validated once per version of the file).

    Returns
    -------
    DesignSpec
        The file's design; with ``design: auto`` the census design, which
        :func:`choose_design` replaces for a round whose villages were sampled.
    """
    return load(path or "design", parse_design_spec)


def villages_sampled(frame: pd.DataFrame | None) -> bool:
    """Whether a round's frame samples villages: some sampled village has probability < 1."""
    if frame is None or frame.empty or "selection_prob" not in frame.columns:
        return False
    sampled = pd.to_numeric(frame.get("sampled"), errors="coerce").fillna(0) == 1
    prob = pd.to_numeric(frame["selection_prob"], errors="coerce")
    return bool((prob[sampled] < 1).any())


def choose_design(frame: pd.DataFrame | None, choice: str | None = None,
                  spec: DesignSpec | None = None) -> DesignSpec:
    """Return the design of a round, chosen from its village frame unless named.

    Parameters
    ----------
    frame : pandas.DataFrame or None
        The round's frame (``abcresearch.store.load(R, table="frame")``); None for a round
        ingested without one.
    choice : {"auto", "census", "two_stage"}, optional
        A researcher's override; default the ``design`` of ``params/design.yaml``.
    spec : DesignSpec, optional
        Default :func:`design_spec`.

    Returns
    -------
    DesignSpec
        ``two_stage`` under ``auto`` when :func:`villages_sampled`, else ``census``.

    Raises
    ------
    DesignError
        An unknown choice, or ``two_stage`` for a round without a frame.

    Examples
    --------
    >>> frame = pd.DataFrame({"sampled": [1, 0], "selection_prob": [0.25, None]})
    >>> choose_design(frame).name
    'two_stage'
    >>> choose_design(frame, "census").name
    'census'
    """
    base = spec or design_spec()
    asked = base.choice if choice is None else choice
    if asked not in DESIGN_CHOICES:
        raise DesignError(f"design must be one of {', '.join(DESIGN_CHOICES)}, got {asked!r}")
    if asked == "auto":
        name = "two_stage" if villages_sampled(frame) else "census"
    else:
        name = asked
    if name == "two_stage" and frame is None:
        raise DesignError("the two_stage design needs the round's village frame (frame.csv), "
                          "and this round was ingested without one")
    return base.named(name, asked)


def area_design(frame: pd.DataFrame, spec: DesignSpec | None = None) -> SurveyDesign:
    """Return the survey design of a set of scored households (``params/design.yaml``)."""
    spec = spec or design_spec()
    return spec.build(frame.reset_index(drop=True))
