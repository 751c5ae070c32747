"""The truth: finite-population values of every area over all its households.

A village's households are generated in random order and the survey takes the first
``households_per_village`` of them, so the whole population of a round is the same generator run
with every household of every village (:func:`abcresearch.synth.population.generate` with
``hpv=None``). Its answers are scored with the project's scoring
(:func:`abcresearch.scoring.score_households`, default scheme ``params/scoring.yaml``) and summed
by village; tambon, amphoe and province values are ratios of those sums, so they are exact.

Definitions (the recorded answers of every household, item non-response included, as a census
with the survey's own questionnaire would record them; each share or mean over the households
where it is defined, as the report's estimators with ``na_rm``):

``households``
    households in the area in the round (the frame's count);
``mean_<capital>``
    mean capital score (0-100) over households with that capital scored;
``mean_score``
    mean of the seven capital means (as the grade indicator ``mean_score``);
``households_level1`` / ``share_level1``
    households at overall level 1, and their share of households with an overall level;
``households_income_poor`` / ``income_poor_share``
    households whose income per member is under the BMN income line of the round
    (``params/poverty_lines.yaml``), and their share of households with income and size;
    empty when the round has no line.

The population is generated amphoe by amphoe, so memory stays that of the largest amphoe.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from abcresearch.errors import ParamsError
from abcresearch.scoring import load_scheme, score_households
from abcresearch.scoring.scheme import Scheme
from abcresearch.stats.poverty import poverty_line
from abcresearch.survey import instrument
from abcresearch.synth import kobo
from abcresearch.synth.frame import restrict_amphoe, village_frame
from abcresearch.synth.population import Population, generate

__all__ = ["AREA_LEVELS", "area_truth", "scoring_frame", "village_sums"]

AREA_LEVELS = ("province", "amphoe", "tambon", "village")
_SCORED_TYPES = ("select_one", "select_multiple", "integer", "decimal")


def scoring_frame(pop: Population) -> pd.DataFrame:
    """Return the households of ``pop`` as ingest stores them, for scoring.

    Returns
    -------
    pandas.DataFrame
        ``village_code``, ``tambon_code``, ``amphoe_code`` and every select, integer and decimal
        question of the household form that is not personal or sensitive, under its leaf name:
        select answers as choice names (select_multiple space-separated), numbers as floats,
        blanks as missing.
    """
    cb = instrument.codebook("households")
    cb = cb[cb["type"].isin(_SCORED_TYPES) & cb["personal"].isna()]
    values = kobo.answer_values(pop)
    n = pop.n_households
    vix = pop.draws.vidx
    cols: dict[str, np.ndarray] = {
        "village_code": pop.frame["village_code"].to_numpy()[vix],
        "tambon_code": pop.frame["tambon_code"].to_numpy()[vix],
        "amphoe_code": pop.frame["amphoe_code"].to_numpy()[vix],
    }
    for q in cb.itertuples(index=False):
        miss = pop.missing.get(q.name, np.zeros(n, dtype=bool))
        v = values[q.name]
        if q.type == "select_one":
            text = kobo.select_one_text(v, kobo.choice_names(q.list_name, "household"), miss)
        elif q.type == "select_multiple":
            names_ = list(instrument.choices(q.list_name, "household")["name"])
            text, _ = kobo.select_multiple_text(v, names_)
        else:
            num = np.asarray(v, dtype=np.float64).copy()
            num[miss] = np.nan
            cols[q.name] = num
            continue
        text = text.copy()
        text[miss | (text == "")] = None
        cols[q.name] = text
    return pd.DataFrame(cols)


def village_sums(pop: Population, scheme: Scheme, line: float | None) -> pd.DataFrame:
    """Score every household of ``pop`` and sum the truth's ingredients by village."""
    data = scoring_frame(pop)
    hs = score_households(data, scheme)
    caps = list(scheme.capital_ids)
    parts = {"village_code": data["village_code"].to_numpy()}
    scores = hs.scores[caps].to_numpy(dtype=float)
    for j, c in enumerate(caps):
        ok = ~np.isnan(scores[:, j])
        parts[f"n_{c}"] = ok.astype(np.int64)
        parts[f"sum_{c}"] = np.where(ok, scores[:, j], 0.0)
    ov = hs.overall_level.to_numpy(dtype=float, na_value=np.nan)
    parts["n_level"] = (~np.isnan(ov)).astype(np.int64)
    parts["households_level1"] = (ov == 1).astype(np.int64)
    size = data["hh_size"].to_numpy()
    income = data["fin_income_year"].to_numpy()
    ok = ~np.isnan(income) & (size > 0)
    parts["n_income"] = ok.astype(np.int64)
    if line is None:
        parts["households_income_poor"] = np.zeros(len(data), dtype=np.int64)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            parts["households_income_poor"] = (ok & (income / size < line)).astype(np.int64)
    sums = pd.DataFrame(parts).groupby("village_code", sort=False).sum()
    d = pop.draws
    sums.insert(0, "households", pd.Series(d.n_total, index=pop.frame["village_code"]))
    sums.insert(1, "households_generated", pd.Series(d.n_sampled, index=pop.frame["village_code"]))
    return sums


def _line(survey_round: int) -> float | None:
    try:
        return poverty_line(survey_round).value
    except ParamsError:
        return None


def area_truth(province: str = "80", survey_round: int = 2549, seed: int = 1,
               amphoe: Sequence[str] | str | None = None,
               scheme: Scheme | str | None = None) -> pd.DataFrame:
    """Finite-population values of every area of the province (or of the chosen amphoe).

    Parameters
    ----------
    province : str
        Two-digit province code.
    survey_round, seed : int
        The round and seed of the synthetic population (as given to ``synthesize``).
    amphoe : str or list of str, optional
        Only these amphoe (then no province row).
    scheme : Scheme or str, optional
        Scoring scheme (default ``params/scoring.yaml``).

    Returns
    -------
    pandas.DataFrame
        One row per area, levels in the order of :data:`AREA_LEVELS`: ``level, area_code,
        villages, households, households_level1, share_level1, households_income_poor,
        income_poor_share, mean_score, mean_<capital>...`` and the denominators
        ``n_level, n_income, n_<capital>``, ``poverty_line``. See the module docstring.
    """
    sch = load_scheme(scheme)
    line = _line(int(survey_round))
    frame = restrict_amphoe(village_frame(str(province)), amphoe).reset_index(drop=True)
    sums = []
    for _, chunk in frame.groupby("amphoe_code", sort=True):
        pop = generate(chunk.reset_index(drop=True), seed, int(survey_round), None,
                       identities=False)
        sums.append(village_sums(pop, sch, line))
        del pop
    v = pd.concat(sums)
    v = v.loc[frame["village_code"]]
    codes = pd.DataFrame({"village": frame["village_code"].to_numpy(),
                          "tambon": frame["tambon_code"].to_numpy(),
                          "amphoe": frame["amphoe_code"].to_numpy(),
                          "province": str(province)}, index=v.index)
    levels = AREA_LEVELS if not amphoe else AREA_LEVELS[1:]
    caps = list(sch.capital_ids)
    rows = []
    for level in levels:
        g = v.groupby(codes[level].to_numpy(), sort=True).sum()
        g.insert(0, "villages", codes.groupby(level).size().reindex(g.index).to_numpy())
        g.insert(0, "area_code", g.index)
        g.insert(0, "level", level)
        rows.append(g.reset_index(drop=True))
    out = pd.concat(rows, ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_level1"] = out["households_level1"] / out["n_level"]
        out["income_poor_share"] = (out["households_income_poor"] / out["n_income"]
                                    if line is not None else np.nan)
        for c in caps:
            out[f"mean_{c}"] = out[f"sum_{c}"] / out[f"n_{c}"]
    out["mean_score"] = out[[f"mean_{c}" for c in caps]].mean(axis=1)
    out["poverty_line"] = line if line is not None else np.nan
    if line is None:
        out["households_income_poor"] = pd.array([pd.NA] * len(out), dtype="Int64")
    first = ["level", "area_code", "villages", "households", "households_level1", "share_level1",
             "households_income_poor", "income_poor_share", "mean_score"]
    rest = ([f"mean_{c}" for c in caps] + ["n_level", "n_income"] + [f"n_{c}" for c in caps]
            + ["poverty_line"])
    return out[first + rest]
