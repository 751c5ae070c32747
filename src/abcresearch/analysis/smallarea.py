"""The round's small-area estimates: every tambon of the sampled universe, direct or model-based.

While the province is surveyed 400, 600, then 551 villages, many tambons rest on one sampled
village or on none. :func:`round_small_area` gives every tambon of the round's universe (the
strata of the village frame that have a sampled village: the province in a province rollout)
an estimate of each measure of ``params/smallarea.yaml`` (``round.measures``), with its MSE
and kind:

``direct``
    the tambon has at least ``min_sampled_villages`` (``params/status.yaml``) sampled villages:
    its design-based estimate and variance, published as they are (estimate basis ``direct``);
``eblup``
    fewer (one): the Fay-Herriot EBLUP combining its direct estimate, whose variance comes from
    the generalised variance function, with what the ``bmn.csv`` covariates predict (basis
    ``model``);
``synthetic``
    none: the prediction from the covariates alone (basis ``model``).

The steps (``docs/smallarea.md`` gives the methods):

1. the households are scored (:func:`scored_households`) and the round's two-stage design is
   built from the stored columns (:func:`round_design`: villages within ``stratum`` with fpc
   ``stratum_villages``, households within village with fpc ``village_households``);
2. direct tambon estimates with linearised design-based variances, and the direct estimate of
   the whole universe (:func:`direct_estimates`);
3. per measure :func:`abcresearch.stats.smallarea.small_area_estimates`: GVF-replaced variances
   for tambons with fewer than ``gvf.min_villages`` sampled villages, the Fay-Herriot model on
   the covariates of ``params/smallarea.yaml`` (household-weighted tambon means of the round's
   ``auxiliary`` table), and benchmarking to the universe's direct estimate with the frame's
   households as weights and the ``direct`` tambons kept fixed;
4. a tidy table per tambon and measure and the fit for the methods appendix
   (:class:`SmallAreaResult`).

The result is a pure function of the round's stored data and ``params/`` and is cached in the
round's live version (``derived/smallarea-<key>/``, :func:`small_area_key`); it holds no
personal data.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abcresearch import __version__
from abcresearch.analysis.design import choose_design
from abcresearch.analysis.round import design_spec
from abcresearch.analysis.status import estimate_basis, load_status_rules
from abcresearch.errors import AbcResearchError, DesignError, InputError
from abcresearch.params import Problems, load, params_path
from abcresearch.paths import params_dir
from abcresearch.scoring import (
    deprivation_matrix,
    deprivation_scores,
    load_scheme,
    score_households,
)
from abcresearch.scoring.scheme import Scheme
from abcresearch.software import software_fingerprint
from abcresearch.stats import SurveyDesign
from abcresearch.stats.results import estimate_table
from abcresearch.stats.smallarea import (
    BMN_YEAR,
    FayHerriotResults,
    SmallAreaSettings,
    area_covariates,
    parse_smallarea_settings,
    small_area_estimates,
)
from abcresearch.store import cache_folder
from abcresearch.store import load as store_load
from abcresearch.store import manifest as store_manifest
from abcresearch.survey.instrument import form_paths

__all__ = [
    "BASE_MEASURES",
    "CACHE_FORMAT",
    "DESIGN_COLUMNS",
    "RoundSmallAreaSettings",
    "SmallAreaResult",
    "SmallAreaUnavailable",
    "direct_estimates",
    "household_measures",
    "load_round_settings",
    "measure_kind",
    "parse_round_settings",
    "round_design",
    "round_small_area",
    "scored_households",
    "small_area_from_tables",
    "small_area_key",
    "tambon_design",
    "universe_tambons",
]

#: Version of the cached layout; bump it whenever what the cache holds changes.
CACHE_FORMAT = 2  # 2: direct intervals of a census round on the census design's df

#: Measures and their kind (``share``: arcsine transform and share GVF terms; ``mean``); besides
#: these, ``mean_<capital>`` for every capital of the scheme (kind ``mean``).
BASE_MEASURES: dict[str, str] = {"share_level1": "share", "mean_score": "mean", "m0": "mean"}

#: Household columns of the two-stage design (``docs/INPUTS.md``, written by ingest from the
#: round's frame).
DESIGN_COLUMNS = ("weight", "stratum", "village_code", "submission_uuid", "stratum_villages",
                  "village_households")

COVARIATE_YEAR_RULES = ("latest", "fixed")
TIDY_COLUMNS = ["area", "measure", "kind", "basis", "estimate", "mse", "rmse", "ci_low",
                "ci_high", "gamma", "direct", "vardir_design", "vardir", "vardir_source", "df",
                "villages_sampled", "households_sampled", "households", "estimate_unbenchmarked",
                "mse_unbenchmarked"]


class SmallAreaUnavailable(AbcResearchError):
    """The round cannot have small-area estimates (no frame, no auxiliary table, too few areas).

    The message is one sentence saying what is missing; areas of such a round have no model
    estimate (estimate basis ``direct`` or ``none``).
    """


def measure_kind(name: str, scheme: Scheme | None = None) -> str:
    """Return the kind (``share`` or ``mean``) of a measure name.

    Parameters
    ----------
    name : str
        ``share_level1``, ``mean_score``, ``m0`` or ``mean_<capital>``.
    scheme : Scheme, optional
        When given, ``mean_<capital>`` must name one of its capitals.

    Raises
    ------
    InputError
        The name is not a measure.
    """
    if name in BASE_MEASURES:
        return BASE_MEASURES[name]
    if name.startswith("mean_") and len(name) > 5:
        if scheme is None or name[5:] in scheme.capital_ids:
            return "mean"
        raise InputError(f"measure {name!r} names no capital of scheme {scheme.scheme_id!r} "
                         f"(capitals: {', '.join(scheme.capital_ids)})")
    raise InputError(f"{name!r} is not a small-area measure; use {', '.join(BASE_MEASURES)} "
                     f"or mean_<capital>")


# ---------------------------------------------------------------------------------------------
# Settings: params/smallarea.yaml, the model keys and the `round` section
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundSmallAreaSettings:
    """The round's small-area settings (``params/smallarea.yaml``: the model and ``round``).

    Attributes
    ----------
    measures : tuple of str
        Measures estimated (``round.measures``).
    covariate_year : {"latest", "fixed"}
        ``latest``: the latest ``bmn_year`` of the round's auxiliary table not after the round;
        ``fixed``: ``model.covariate_year`` (``covariates.year`` in the file).
    benchmark : bool
        Benchmark to the universe's direct estimate.
    model : SmallAreaSettings
        The model, GVF, transform and benchmarking settings
        (:func:`abcresearch.stats.smallarea.parse_smallarea_settings`).
    source : str
        The file.
    """

    measures: tuple[str, ...]
    covariate_year: str
    benchmark: bool
    model: SmallAreaSettings
    source: str = ""

    def with_covariates(self, covariates: Sequence[str]) -> RoundSmallAreaSettings:
        """Return a copy using other ``bmn.csv`` columns as covariates (e.g. for validation)."""
        return dc_replace(self, model=dc_replace(self.model, covariates=tuple(covariates)))


def parse_round_settings(raw: Mapping[str, Any], path: Path) -> RoundSmallAreaSettings:
    """Parse ``params/smallarea.yaml`` for the round (see :func:`abcresearch.params.load`).

    The model keys are checked by :func:`~abcresearch.stats.smallarea.parse_smallarea_settings`,
    the ``round`` section here; every problem of the section is reported at once.

    Raises
    ------
    ParamsError
    """
    model = parse_smallarea_settings(raw, path)
    pr = Problems(path)
    sec = raw.get("round")
    if not isinstance(sec, Mapping):
        pr.add("round", "must be a section with measures, covariate_year and benchmark")
        pr.raise_if_any()
    assert isinstance(sec, Mapping)
    known = {"measures", "covariate_year", "benchmark"}
    extra = sorted(set(sec) - known)
    if extra:
        pr.add("round", f"has unknown key(s) {extra}")
    measures = sec.get("measures")
    if not (isinstance(measures, list) and measures
            and all(isinstance(m, str) for m in measures) and len(set(measures)) == len(measures)):
        pr.add("round.measures", f"must be a non-empty list of distinct measure names, found "
                                 f"{measures!r}")
        measures = []
    for m in measures:
        try:
            measure_kind(m)
        except InputError as exc:
            pr.add("round.measures", str(exc))
    year = sec.get("covariate_year")
    if year not in COVARIATE_YEAR_RULES:
        pr.add("round.covariate_year", f"must be one of {list(COVARIATE_YEAR_RULES)}, found "
                                       f"{year!r}")
    bench = sec.get("benchmark")
    if not isinstance(bench, bool):
        pr.add("round.benchmark", f"must be true or false, found {bench!r}")
    pr.raise_if_any()
    return RoundSmallAreaSettings(measures=tuple(measures), covariate_year=str(year),
                                  benchmark=bool(bench), model=model, source=str(path))


def load_round_settings(path: str | Path | None = None) -> RoundSmallAreaSettings:
    """Load the round's small-area settings (read and checked once per version of the file).

    Parameters
    ----------
    path : str or Path, optional
        Default ``params/smallarea.yaml``.

    Returns
    -------
    RoundSmallAreaSettings
    """
    return load(path or "smallarea", parse_round_settings)


# ---------------------------------------------------------------------------------------------
# Households, design, direct estimates
# ---------------------------------------------------------------------------------------------


def scored_households(households: pd.DataFrame, scheme: Scheme | str | None = None
                      ) -> pd.DataFrame:
    """Households with what the measures need: capital scores, overall level, deprivations.

    Parameters
    ----------
    households : pandas.DataFrame
        The round's households as stored (``abcresearch.store.load``); households without a
        weight (village form missing, or not in the frame) are dropped, as for every estimate.
    scheme : Scheme or str, optional
        Scoring scheme (default ``params/scoring.yaml``).

    Returns
    -------
    pandas.DataFrame
        The design columns (:data:`DESIGN_COLUMNS` that exist), ``tambon_code``, one column per
        capital (score 0-100), ``overall_level`` and ``dep_<capital>``, index reset. The round
        cache's household table (``abcresearch.analysis.round.score_round``) has the same
        scored columns, so it can be used instead once it carries the design columns.
    """
    sch = load_scheme(scheme)
    hh = households[households["weight"].notna()].reset_index(drop=True)
    hs = score_households(hh, sch)
    keep = [c for c in (*DESIGN_COLUMNS, "tambon_code") if c in hh.columns]
    out = hh[keep].copy()
    if "tambon_code" not in out.columns:
        out["tambon_code"] = out["village_code"].astype(str).str[:6]
    for cap in sch.capital_ids:
        out[cap] = hs.scores[cap].to_numpy(dtype=float)
    out["overall_level"] = hs.overall_level.astype("float64").to_numpy()
    dep = deprivation_matrix(hs.scores, sch)
    for col in dep.columns:
        out[col] = dep[col].to_numpy()
    return out


def round_design(households: pd.DataFrame, lonely_psu: str | None = None) -> SurveyDesign:
    """Build the round's two-stage design from the stored household columns.

    Stage 1: villages (``village_code``) within ``stratum``, fpc ``stratum_villages`` (villages
    of the stratum in the frame); stage 2: households (``submission_uuid``) within village, fpc
    ``village_households``; weights ``weight`` (``docs/INPUTS.md``). R:
    ``svydesign(ids=~village_code+submission_uuid, strata=~stratum,
    fpc=~stratum_villages+village_households, weights=~weight, nest=TRUE)``.

    This is the one place the small-area estimates build their design; a round-wide design
    function can replace it.

    Parameters
    ----------
    households : pandas.DataFrame
        Households with a weight and the design columns.
    lonely_psu : str, optional
        Rule for a stratum with one sampled village (default ``params/design.yaml``).

    Raises
    ------
    SmallAreaUnavailable
        The households lack the design columns (the round was ingested without a frame).
    """
    missing = [c for c in DESIGN_COLUMNS if c not in households.columns]
    if missing:
        raise SmallAreaUnavailable(
            f"the round's households lack the two-stage design column(s) {', '.join(missing)} "
            f"(the round was ingested without frame.csv); small-area estimates need the frame")
    rule = lonely_psu or design_spec().lonely_psu
    return SurveyDesign(households.reset_index(drop=True), weights="weight", strata="stratum",
                        cluster=["village_code", "submission_uuid"],
                        fpc=["stratum_villages", "village_households"], nest=True,
                        lonely_psu=rule)


def tambon_design(households: pd.DataFrame, frame: pd.DataFrame,
                  lonely_psu: str = "certainty") -> SurveyDesign:
    """Build the tambon design, conditional on the villages that fell in each tambon.

    The round's villages are a stratified simple random sample within amphoe. Given how many of
    them fell in each tambon, those of a tambon are a simple random sample of its villages, so
    the tambons can be taken as the strata of the village stage (post-strata), with fpc the
    tambon's villages in the frame (Holt and Smith 1979; Rao 1985, conditional inference for
    domains). The estimates are those of :func:`round_design`; the variances are those of the
    estimator given the tambon's sampled villages: with the amphoe as stratum a tambon of k
    sampled villages gets about (k - 1) / k of it (its own mean is estimated from the same k
    villages), half for k = 2 (``docs/smallarea.md``, section 10).

    Stage 1: villages within ``tambon_code``, fpc ``tambon_villages`` (added here from the
    frame); stage 2: households within village, fpc ``village_households``. A tambon with one
    sampled village has no stage-1 variance (``lonely_psu="certainty"``); the small-area chain
    replaces its variance by the GVF.

    Parameters
    ----------
    households : pandas.DataFrame
        Households with a weight and the design columns (``tambon_code`` is taken from
        ``village_code`` when absent).
    frame : pandas.DataFrame
        The round's frame (every village, sampled or not).
    lonely_psu : str
        Rule for a tambon with one sampled village.
    """
    missing = [c for c in DESIGN_COLUMNS if c not in households.columns]
    if missing:
        raise SmallAreaUnavailable(
            f"the round's households lack the two-stage design column(s) {', '.join(missing)} "
            f"(the round was ingested without frame.csv); small-area estimates need the frame")
    hh = households.reset_index(drop=True)
    tambon = (hh["tambon_code"] if "tambon_code" in hh.columns
              else hh["village_code"].astype(str).str[:6]).astype(str)
    counts = frame["village_code"].astype(str).str[:6].value_counts()
    villages = tambon.map(counts)
    if villages.isna().any():
        bad = sorted(set(tambon[villages.isna()]))[:5]
        raise SmallAreaUnavailable(f"households of tambon(s) {', '.join(bad)} have no village "
                                   f"in the round's frame")
    hh = hh.assign(tambon_code=tambon, tambon_villages=villages.astype(float))
    return SurveyDesign(hh, weights="weight", strata="tambon_code",
                        cluster=["village_code", "submission_uuid"],
                        fpc=["tambon_villages", "village_households"], nest=True,
                        lonely_psu=lonely_psu)


def household_measures(scored: pd.DataFrame, measures: Sequence[str],
                       scheme: Scheme | str | None = None
                       ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per measure, the household numerators Y and denominators X of its ratios (n x K).

    A measure is the mean over its K columns of the ratios sum(w Y_k) / sum(w X_k) in an area:
    ``share_level1`` (K = 1: level 1 over households with an overall level), ``mean_score``
    (K = capitals: each capital's mean over the households with it scored, as the grade
    indicator), ``m0`` (K = 1: c * 1[poor] over households with every capital scored, the
    Alkire-Foster adjusted headcount of ``abcresearch.scoring.area_indicators``) and
    ``mean_<capital>``.

    Parameters
    ----------
    scored : pandas.DataFrame
        From :func:`scored_households` (capital columns, ``overall_level``, ``dep_<capital>``).
    measures : sequence of str
    scheme : Scheme or str, optional

    Returns
    -------
    dict
        ``name -> (Y, X)``, float arrays of shape (n, K) with 0 where the value is missing.
    """
    sch = load_scheme(scheme)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in measures:
        measure_kind(name, sch)
        if name == "share_level1":
            ov = scored["overall_level"].to_numpy(dtype=float)
            Y, X = (ov == 1).astype(float)[:, None], (~np.isnan(ov)).astype(float)[:, None]
        elif name == "m0":
            w = np.array(list(sch.af_weights.values()), dtype=float)
            G = scored[[f"dep_{c}" for c in sch.af_weights]].to_numpy(dtype=float)
            c, poor = deprivation_scores(G, w, sch.af_k)
            ok = ~np.isnan(c)
            Y = np.where(ok, np.nan_to_num(c) * poor, 0.0)[:, None]
            X = ok.astype(float)[:, None]
        else:
            caps = list(sch.capital_ids) if name == "mean_score" else [name[5:]]
            S = scored[caps].to_numpy(dtype=float)
            Y, X = np.nan_to_num(S, nan=0.0), (~np.isnan(S)).astype(float)
        out[name] = (np.ascontiguousarray(Y), np.ascontiguousarray(X))
    return out


def _mean_of_ratios(design: SurveyDesign, codes: np.ndarray, n_dom: int, Y: np.ndarray,
                    X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per domain, the mean over k of R_k = sum w Y_k / sum w X_k and its linearised variance.

    The linearised value of R_k in domain d is z_k = w (Y_k - R_dk X_k) / sum_d w X_k, that of
    the mean (1/K_d) sum_k z_k over the K_d ratios defined in the domain (a ratio whose
    denominator is 0 is left out, as pandas' mean skips NaN).
    """
    part = design.partition(codes, n_dom)
    w = design.weights
    num = part.sum(w[:, None] * Y)
    den = part.sum(w[:, None] * X)
    with np.errstate(divide="ignore", invalid="ignore"):
        R = num / den
    ok = den > 0
    k_d = ok.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(k_d > 0, np.where(ok, R, 0.0).sum(axis=1) / k_d, np.nan)
    c = np.maximum(codes, 0)
    used = codes >= 0
    Rr = np.where(ok, R, 0.0)[c]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(ok, 1.0 / np.where(ok, den, 1.0), 0.0)[c] / np.maximum(k_d[c], 1)[:, None]
    z = (w[:, None] * (Y - Rr * X) * inv).sum(axis=1)
    z = np.where(used, z, 0.0)
    var = part.var(z)
    return est, np.where(k_d > 0, var, np.nan), part.df


def direct_estimates(design: SurveyDesign, measures: Mapping[str, tuple[np.ndarray, np.ndarray]],
                     areas: Sequence[str], area_column: str = "tambon_code") -> pd.DataFrame:
    """Direct (design-based) estimates of each measure in each area and in the whole sample.

    Parameters
    ----------
    design : SurveyDesign
        The round's design (:func:`round_design`) on the scored households.
    measures : mapping
        From :func:`household_measures` (rows of ``design.data``).
    areas : sequence of str
        Every area to report (areas without households get NaN); empty for the whole sample
        only.
    area_column : str
        Column of ``design.data`` with the area code.

    Returns
    -------
    pandas.DataFrame
        One row per area and measure, and one with ``area = "*"`` for the whole sample:
        ``area, measure, direct, vardir, df`` (design degrees of freedom: sampled villages
        minus strata), ``households_sampled, villages_sampled``.
    """
    data = design.data
    areas = [str(a) for a in areas]
    index = pd.Index(areas)
    codes_all = index.get_indexer(data[area_column].astype(str))
    villages = data["village_code"].astype(str).to_numpy()
    rows = []
    for name, (Y, X) in measures.items():
        has = X.sum(axis=1) > 0
        codes = np.where(has, codes_all, -1)
        if areas:
            est, var, df = _mean_of_ratios(design, codes, len(areas), Y, X)
            n_hh = np.bincount(codes[codes >= 0], minlength=len(areas))
            vil = pd.Series(villages[codes >= 0]).groupby(codes[codes >= 0]).nunique()
            n_vil = vil.reindex(range(len(areas)), fill_value=0).to_numpy()
            rows.append(pd.DataFrame({"area": areas, "measure": name, "direct": est,
                                      "vardir": var, "df": df, "households_sampled": n_hh,
                                      "villages_sampled": n_vil}))
        one = np.where(has, 0, -1)
        e1, v1, df1 = _mean_of_ratios(design, one, 1, Y, X)
        rows.append(pd.DataFrame({"area": ["*"], "measure": [name], "direct": e1,
                                  "vardir": v1, "df": df1,
                                  "households_sampled": [int(has.sum())],
                                  "villages_sampled": [len(set(villages[has]))]}))
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# The universe and the covariates
# ---------------------------------------------------------------------------------------------


def universe_tambons(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the tambons of the round's universe and their households in the frame.

    The universe is every village of the strata that have a sampled village (the province in a
    province rollout, the amphoe in an amphoe survey); villages outside it were never at risk
    of selection and get no estimate.

    Parameters
    ----------
    frame : pandas.DataFrame
        The round's frame table (``village_code``, ``households``, ``stratum``, ``sampled``).

    Returns
    -------
    pandas.DataFrame
        ``area`` (tambon code), ``households`` (frame households), ``villages`` (in the frame),
        ``villages_in_sample`` (sampled in the frame), sorted by area.
    """
    need = ["village_code", "households", "sampled"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise SmallAreaUnavailable(f"the round's frame lacks column(s) {', '.join(missing)}")
    f = frame.copy()
    code = f["village_code"].astype(str)
    stratum = f["stratum"] if "stratum" in f.columns else pd.Series(pd.NA, index=f.index)
    stratum = stratum.astype("string").fillna(code.str[:4])
    stratum = stratum.where(stratum.str.len() > 0, code.str[:4])
    sampled = pd.to_numeric(f["sampled"], errors="coerce").fillna(0).astype(int) == 1
    strata = set(stratum[sampled])
    inside = stratum.isin(strata)
    if not inside.any():
        raise SmallAreaUnavailable("the round's frame has no sampled village")
    u = pd.DataFrame({"area": code[inside].str[:6].to_numpy(),
                      "households": pd.to_numeric(f.loc[inside, "households"]).to_numpy(float),
                      "sampled": sampled[inside].astype(int).to_numpy()})
    g = u.groupby("area", sort=True)
    return pd.DataFrame({"households": g["households"].sum(), "villages": g.size(),
                         "villages_in_sample": g["sampled"].sum()}).reset_index()


def _covariate_year(auxiliary: pd.DataFrame, survey_round: int,
                    settings: RoundSmallAreaSettings) -> int:
    if settings.covariate_year == "fixed":
        return settings.model.covariate_year
    years = pd.to_numeric(auxiliary[BMN_YEAR], errors="coerce").dropna().astype(int)
    years = years[years <= int(survey_round)]
    if years.empty:
        raise SmallAreaUnavailable(f"the round's auxiliary table has no {BMN_YEAR} up to the "
                                   f"round {survey_round}")
    return int(years.max())


# ---------------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmallAreaResult:
    """The round's small-area estimates: one row per tambon and measure, and the model fits.

    Attributes
    ----------
    survey_round : int
    estimates : pandas.DataFrame
        One row per tambon and measure: ``area, measure, kind`` (``direct``, ``eblup``,
        ``synthetic``), ``basis`` (``direct`` or ``model``, :func:`abcresearch.analysis.status.
        estimate_basis`), ``estimate, mse, rmse, ci_low, ci_high`` (benchmarked, at the
        model's ``level``), ``gamma`` (weight of the direct estimate; 1 for direct, 0 for
        synthetic), ``direct`` and ``vardir_design`` (the design-based estimate and variance,
        NaN without a sample; :func:`tambon_design`), ``vardir`` (the sampling variance the
        model used, on the estimate's scale), ``vardir_source`` (``direct``, ``gvf`` or
        ``none``), ``df`` (design degrees of freedom of the direct estimate: sampled villages
        minus 1), ``villages_sampled``, ``households_sampled``, ``households`` (frame),
        ``estimate_unbenchmarked``, ``mse_unbenchmarked``. Unrounded; reports round and
        suppress.
    fit : pandas.DataFrame
        One row per measure that needed a model (none when every tambon is direct): the model
        (method, transform, covariates, covariate year), its fit (``sigma2_u``,
        ``sigma2_u_se``, ``r2``, ``adj_r2``, log-likelihood, AIC, BIC, shrinkage
        ``gamma_min/median/max``, standardised residuals ``std_residual_sd``,
        ``std_residual_over_2``, Shapiro-Wilk p-values), the GVF (``gvf_fit``, ``gvf_n_fit``,
        ``gvf_r2``, ``gvf_slope``, ``gvf_replaced``) and the benchmark (``benchmark_target``,
        ``benchmark_se``, ``benchmark_before``), and the counts of tambons by kind.
    coefficients : pandas.DataFrame
        ``measure, term, estimate, se, z, p_value`` (model scale).
    residuals : pandas.DataFrame
        Per measure and tambon with a direct estimate (model scale): ``measure, area, y,
        vardir, synthetic, random_effect, std_residual``.
    covariates : pandas.DataFrame
        The tambon covariates used (household-weighted means of the auxiliary table).
    meta : dict
        ``key``, ``survey_round``, ``covariate_year``, ``covariates``, ``measures``, ``level``,
        ``method``, ``min_sampled_villages``, ``universe`` and the software version.
    models : dict of FayHerriotResults
        The fitted models (not kept in the cache; empty when read from it).
    """

    survey_round: int
    estimates: pd.DataFrame = field(repr=False)
    fit: pd.DataFrame = field(repr=False)
    coefficients: pd.DataFrame = field(repr=False)
    residuals: pd.DataFrame = field(repr=False)
    covariates: pd.DataFrame = field(repr=False)
    meta: dict[str, Any] = field(default_factory=dict, repr=False)
    models: dict[str, FayHerriotResults] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        k = self.estimates.drop_duplicates("area")["kind"].value_counts()
        return (f"SmallAreaResult(round={self.survey_round}, tambons={len(self.tambons)}, "
                f"measures={list(self.measures)}, direct={int(k.get('direct', 0))}, "
                f"eblup={int(k.get('eblup', 0))}, synthetic={int(k.get('synthetic', 0))})")

    @property
    def tambons(self) -> tuple[str, ...]:
        """Every tambon with an estimate (the round's universe), sorted."""
        return tuple(sorted(self.estimates["area"].unique()))

    @property
    def measures(self) -> tuple[str, ...]:
        """The measures estimated."""
        return tuple(self.meta.get("measures", self.estimates["measure"].unique()))

    def model_tambons(self) -> tuple[str, ...]:
        """Tambons whose estimates are model-based (basis ``model``), sorted."""
        e = self.estimates
        return tuple(sorted(e.loc[e["basis"] == "model", "area"].unique()))

    def measure(self, name: str) -> pd.DataFrame:
        """One row per tambon for one measure (index reset)."""
        if name not in self.measures:
            raise KeyError(f"measure {name!r} was not estimated; measures: {list(self.measures)}")
        return self.estimates[self.estimates["measure"] == name].reset_index(drop=True)

    def area(self, code: str) -> pd.DataFrame:
        """One row per measure for one tambon (empty when the tambon is not covered)."""
        return self.estimates[self.estimates["area"] == str(code)].reset_index(drop=True)

    def write(self, folder: str | Path) -> None:
        """Write the tables (Parquet) and ``meta.json`` into a new folder, atomically."""
        final = Path(folder)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.parent / f".{final.name}.tmp-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            for name in ("estimates", "fit", "coefficients", "residuals", "covariates"):
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            meta = {**self.meta, "survey_round": int(self.survey_round)}
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1,
                                                      default=str), encoding="utf-8")
            if final.exists():  # another process finished first: keep theirs
                shutil.rmtree(tmp)
                return
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def read(cls, folder: str | Path) -> SmallAreaResult:
        """Read a result written by :meth:`write` (without the fitted model objects)."""
        p = Path(folder)
        meta = json.loads((p / "meta.json").read_text(encoding="utf-8"))
        tabs = {n: pd.read_parquet(p / f"{n}.parquet")
                for n in ("estimates", "fit", "coefficients", "residuals", "covariates")}
        return cls(survey_round=int(meta["survey_round"]), meta=meta, **tabs)


# ---------------------------------------------------------------------------------------------
# The chain
# ---------------------------------------------------------------------------------------------


def _direct_rows(e: pd.DataFrame, data: pd.DataFrame, fixed: np.ndarray, level: float,
                 share: bool) -> pd.DataFrame:
    """Publish the direct estimate, variance and interval on the rows of basis ``direct``.

    The interval is the one a direct estimate gets everywhere (``abcresearch.stats``): t with
    the design degrees of freedom (sampled villages minus 1; in a census round, households
    minus villages, as the round's census design gives the tambon's own report), on the logit
    scale for shares.
    """
    est = np.where(fixed, data["direct"], e["estimate"])
    mse = np.where(fixed, data["vardir"], e["mse"])
    lo, hi = e["ci_low"].to_numpy(dtype=float), e["ci_high"].to_numpy(dtype=float)
    if fixed.any():
        t = estimate_table(data.loc[fixed, "direct"], np.sqrt(data.loc[fixed, "vardir"]),
                           data.loc[fixed, "df"].astype(int), data.loc[fixed,
                                                                   "households_sampled"],
                           pd.Index(data.loc[fixed, "area"]), level=level,
                           statistic="direct", interval="logit" if share else "wald")
        lo, hi = lo.copy(), hi.copy()
        lo[fixed], hi[fixed] = t["ci_low"].to_numpy(), t["ci_high"].to_numpy()
    before = np.where(fixed, est, e["estimate_unbenchmarked"] if "estimate_unbenchmarked" in e
                      else e["estimate"])
    mse_before = np.where(fixed, mse, e["mse_unbenchmarked"] if "mse_unbenchmarked" in e
                          else e["mse"])
    return e.assign(kind=np.where(fixed, "direct", e["kind"]), estimate=est, mse=mse,
                    rmse=np.sqrt(mse), ci_low=lo, ci_high=hi,
                    gamma=np.where(fixed, 1.0, e["gamma"]),
                    estimate_unbenchmarked=before, mse_unbenchmarked=mse_before)


def _fit_row(name: str, kind: str, res: FayHerriotResults, year: int, tidy: pd.DataFrame,
             target: float, target_var: float) -> dict[str, Any]:
    d = res.diagnostics()
    g = res.gvf
    counts = tidy["kind"].value_counts()
    row: dict[str, Any] = {
        "measure": name, "kind": kind, "method": res.method, "transform": res.transform,
        "back_transform": res.back_transform, "covariates": ",".join(res.covariates),
        "covariate_year": int(year), "areas": len(tidy), "areas_fitted": res.n_direct,
        "direct": int(counts.get("direct", 0)), "eblup": int(counts.get("eblup", 0)),
        "synthetic": int(counts.get("synthetic", 0)),
    }
    for k in ("sigma2_u", "sigma2_u_se", "sigma2_u_truncated", "r2", "adj_r2", "loglike", "aic",
              "bic", "gamma_min", "gamma_median", "gamma_max", "std_residual_sd",
              "std_residual_over_2", "shapiro_residual_p", "shapiro_random_effect_p"):
        v = d[k]
        row[k] = bool(v) if k == "sigma2_u_truncated" else float(v)
    if g is not None:
        coef = g.coefficients["estimate"]
        row.update({"gvf_fit": g.fit, "gvf_terms": ",".join(g.terms), "gvf_n_fit": g.n_fit,
                    "gvf_r2": g.r2, "gvf_intercept": float(coef.iloc[0]),
                    "gvf_slope": float(coef.iloc[1]) if len(coef) > 1 else float("nan"),
                    "gvf_smearing": g.smearing,
                    "gvf_replaced": int((g.table["source"] == "gvf").sum())})
    b = res.benchmark_info
    row.update({"benchmark_target": float(target), "benchmark_se": float(np.sqrt(target_var)),
                "benchmark_before": float(b.before) if b is not None else float("nan"),
                "benchmarked": b is not None,
                "benchmark_method": (f"{b.method}/{b.allocation}" if b is not None else "none")})
    return row


def small_area_from_tables(
    scored: pd.DataFrame,
    frame: pd.DataFrame,
    auxiliary: pd.DataFrame,
    survey_round: int,
    *,
    scheme: Scheme | str | None = None,
    settings: RoundSmallAreaSettings | None = None,
    design: SurveyDesign | None = None,
) -> SmallAreaResult:
    """Small-area estimates of every tambon of the universe from the round's tables.

    Parameters
    ----------
    scored : pandas.DataFrame
        Scored households with the design columns (:func:`scored_households`).
    frame, auxiliary : pandas.DataFrame
        The round's ``frame`` and ``auxiliary`` tables (``abcresearch.store.load``).
    survey_round : int
        The round (Buddhist era).
    scheme : Scheme or str, optional
        The scheme the households were scored with (default ``params/scoring.yaml``).
    settings : RoundSmallAreaSettings, optional
        Default :func:`load_round_settings`.
    design : SurveyDesign, optional
        The round's design on ``scored`` (default :func:`round_design`), for the direct
        estimate of the whole universe that the tambons are benchmarked to. Tambon variances
        come from :func:`tambon_design`.

    Returns
    -------
    SmallAreaResult

    Raises
    ------
    SmallAreaUnavailable
        No design columns, no sampled village, no covariate year, or too few tambons with a
        sample to fit the GVF or the model (one sentence).
    """
    sch = load_scheme(scheme)
    s = settings or load_round_settings()
    rules = load_status_rules()
    uni = universe_tambons(frame)
    areas = uni["area"].tolist()
    year = _covariate_year(auxiliary, survey_round, s)
    model = dc_replace(s.model, covariate_year=year)
    cov = area_covariates(auxiliary, "tambon", model)
    no_cov = sorted(set(areas) - set(cov["area"]))
    if no_cov:
        shown = ", ".join(no_cov[:5]) + (f" and {len(no_cov) - 5} more" if len(no_cov) > 5
                                         else "")
        raise SmallAreaUnavailable(f"the round's auxiliary table has no {year} figures for "
                                   f"tambon(s) {shown} of the sampled universe")
    dsg = design if design is not None else round_design(scored)
    tdsg = tambon_design(dsg.data, frame)
    meas = household_measures(dsg.data, s.measures, sch)
    whole_all = direct_estimates(dsg, meas, [])
    direct = direct_estimates(tdsg, meas, areas)
    if choose_design(frame).name == "census":
        # every village surveyed: the round's reports use the census design (villages are
        # strata, households the units), whose variance this is (no village-stage term); its
        # degrees of freedom too, so a direct tambon has one interval in every report
        direct["df"] = (direct["households_sampled"] - direct["villages_sampled"]).clip(lower=1)
    tidy_parts, fits, coefs, resids, models = [], [], [], [], {}
    for name in s.measures:
        kind = measure_kind(name, sch)
        whole = whole_all[whole_all["measure"] == name].iloc[0]
        dt = direct[(direct["measure"] == name) & (direct["area"] != "*")].drop(
            columns="measure")
        data = uni[["area", "households"]].merge(dt, on="area", how="left").merge(
            cov, on="area", how="left")
        data["villages_sampled"] = data["villages_sampled"].fillna(0).astype(int)
        data["households_sampled"] = data["households_sampled"].fillna(0).astype(int)
        fixed_mask = data["villages_sampled"].to_numpy() >= rules.min_sampled_villages
        fixed = data.loc[fixed_mask, "area"].tolist()
        bench = s.benchmark and bool((~fixed_mask).any())
        if fixed_mask.all():  # every tambon is direct (e.g. a census of villages): no model
            skeleton = data[["area"]].assign(
                kind="direct", estimate=data["direct"], mse=data["vardir"], ci_low=np.nan,
                ci_high=np.nan, gamma=1.0)
            e = _direct_rows(skeleton, data, fixed_mask, model.level, kind == "share")
            e = e.assign(measure=name, vardir_design=data["vardir"].to_numpy(),
                         vardir=data["vardir"].to_numpy(), vardir_source="direct",
                         df=data["df"].astype(int).to_numpy(),
                         villages_sampled=data["villages_sampled"].to_numpy(),
                         households_sampled=data["households_sampled"].to_numpy(),
                         households=data["households"].to_numpy(), basis="direct",
                         direct=data["direct"].to_numpy())
            tidy_parts.append(e[TIDY_COLUMNS])
            continue
        try:
            res = small_area_estimates(
                data, area="area", direct="direct", vardir="vardir",
                households="households_sampled", villages="villages_sampled", kind=kind,
                covariates=list(model.covariates),
                benchmark_weights="households" if bench else None,
                benchmark_target=float(whole["direct"]) if bench else None,
                benchmark_variance=float(whole["vardir"]) if bench else 0.0,
                benchmark_fixed=fixed if bench else None, settings=model)
        except DesignError as exc:
            raise SmallAreaUnavailable(f"small-area model for {name} cannot be fitted on round "
                                       f"{survey_round}: {exc}") from exc
        e = _direct_rows(res.estimates.reset_index(drop=True), data, fixed_mask, model.level,
                         kind == "share")
        e = e.assign(measure=name, vardir_design=data["vardir"].to_numpy(),
                     vardir_source=res.gvf.table["source"].to_numpy() if res.gvf is not None
                     else np.where(data["direct"].notna(), "direct", "none"),
                     df=data["df"].fillna(0).astype(int).to_numpy(),
                     villages_sampled=data["villages_sampled"].to_numpy(),
                     households_sampled=data["households_sampled"].to_numpy(),
                     households=data["households"].to_numpy())
        e["basis"] = [estimate_basis("tambon", int(v), model_available=True, rules=rules).value
                      for v in e["villages_sampled"]]
        e["basis"] = np.where(e["kind"] == "direct", "direct", e["basis"])
        tidy_parts.append(e[TIDY_COLUMNS])
        fits.append(_fit_row(name, kind, res, year, e, float(whole["direct"]),
                             float(whole["vardir"])))
        c = res.beta.reset_index()
        c.insert(0, "measure", name)
        coefs.append(c)
        ms = res.model_scale
        r = ms.loc[ms["kind"] == "eblup", ["area", "y", "vardir", "synthetic", "random_effect",
                                           "std_residual"]].copy()
        r.insert(0, "measure", name)
        resids.append(r)
        models[name] = res
    meta = {"survey_round": int(survey_round), "covariate_year": year,
            "covariates": list(model.covariates), "measures": list(s.measures),
            "level": model.level, "method": model.method,
            "min_sampled_villages": rules.min_sampled_villages, "universe": len(areas),
            "scheme": sch.scheme_id, "version": __version__, "format": CACHE_FORMAT}
    return SmallAreaResult(
        survey_round=int(survey_round),
        estimates=pd.concat(tidy_parts, ignore_index=True),
        fit=pd.DataFrame(fits, columns=None if fits else ["measure"]),
        coefficients=(pd.concat(coefs, ignore_index=True) if coefs
                      else pd.DataFrame(columns=["measure", "term", "estimate", "se", "z",
                                                 "p_value"])),
        residuals=(pd.concat(resids, ignore_index=True) if resids
                   else pd.DataFrame(columns=["measure", "area", "y", "vardir", "synthetic",
                                              "random_effect", "std_residual"])),
        covariates=cov[cov["area"].isin(areas)].reset_index(drop=True), meta=meta,
        models=models)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "-"


def small_area_key(survey_round: int, store: Path | str | None = None,
                   scheme: Scheme | str | None = None,
                   settings_path: str | Path | None = None) -> str:
    """Return the cache key of a round's small-area estimates.

    It hashes what the estimates depend on: the fingerprints and row counts of the round's
    households, frame and auxiliary tables (manifest), the scoring scheme, ``smallarea.yaml``,
    ``status.yaml``, ``design.yaml`` and the survey forms (scoring reads their choice lists),
    the software (its version and a hash of its code) and
    :data:`CACHE_FORMAT`.

    Returns
    -------
    str
        ``smallarea-<16 hex digits>``, a folder name for ``abcresearch.store.cache_folder``.
    """
    m = store_manifest(survey_round, store)
    sch = load_scheme(scheme)
    fp = m.get("fingerprints", {})
    h = hashlib.sha256()
    h.update(json.dumps({k: fp.get(k) for k in ("households", "frame", "auxiliary")},
                        sort_keys=True).encode())
    h.update(json.dumps(m.get("rows", {}), sort_keys=True, default=str).encode())
    sp = params_path(settings_path) if settings_path is not None else params_dir() / \
        "smallarea.yaml"
    # the forms too: the households are scored with their choice lists
    for p in (sch.path, sp, params_dir() / "status.yaml", params_dir() / "design.yaml",
              *form_paths()):
        h.update(_file_hash(Path(p)).encode() if p else b"-")
    h.update(f"{software_fingerprint()}/{CACHE_FORMAT}".encode())
    return f"smallarea-{h.hexdigest()[:16]}"


def round_small_area(survey_round: int, store: Path | str | None = None, *,
                     scheme: Scheme | str | None = None,
                     settings_path: str | Path | None = None, cache: bool = True,
                     rebuild: bool = False) -> SmallAreaResult:
    """Small-area estimates of every tambon of a round in the store (cached).

    Parameters
    ----------
    survey_round : int
        The round (Buddhist era).
    store : path, optional
        The analysis store (default ``data/store``).
    scheme : Scheme or str, optional
        Scoring scheme (default ``params/scoring.yaml``).
    settings_path : path, optional
        Another ``smallarea.yaml``.
    cache : bool
        Read and write the cache folder ``derived/<small_area_key>/`` of the round's live
        version.
    rebuild : bool
        Recompute even when the cache exists (and replace it).

    Returns
    -------
    SmallAreaResult
        Read from the cache, its ``models`` are empty; the tables are the same.

    Raises
    ------
    SmallAreaUnavailable
        The round has no frame or auxiliary table, or too few sampled tambons for the model.
    StoreError
        No such store or round.
    """
    from abcresearch.errors import StoreError

    sch = load_scheme(scheme)
    settings = load_round_settings(settings_path)
    folder = None
    if cache:
        key = small_area_key(survey_round, store, sch, settings_path)
        folder = cache_folder(survey_round, key, store)
        if not rebuild and (folder / "meta.json").exists():
            return SmallAreaResult.read(folder)
    tables = {}
    for table in ("frame", "auxiliary"):
        try:
            tables[table] = store_load(survey_round, store=store, table=table)
        except StoreError as exc:
            raise SmallAreaUnavailable(f"round {survey_round} has no {table} table, which "
                                       f"small-area estimates need ({exc})") from exc
    hh = store_load(survey_round, store=store, table="households")
    scored = scored_households(hh, sch)
    res = small_area_from_tables(scored, tables["frame"], tables["auxiliary"], survey_round,
                                 scheme=sch, settings=settings)
    if folder is not None:
        res = dc_replace(res, meta={**res.meta, "key": folder.name})
        if rebuild and folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        res.write(folder)
    return res
