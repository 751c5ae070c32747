"""Community grades A/B/C for villages and tambons, with reasons, priority ranks and a typology.

The indicators that decide a grade (share of level-1 households, mean capital scores,
Alkire-Foster M0, organisation strength and master-plan step from the village form) are computed
per area; the ordered grade rules in ``params/grades.yaml`` give the grade and the reason in Thai
and English; a priority rank orders areas for support (C first). Beside the rules, k-means on the
standardised capital profiles gives a data-driven typology, with the number of clusters chosen by
the mean silhouette width, and a cross-tabulation against the rule grades.
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml
from scipy.cluster.vq import kmeans2, vq
from scipy.spatial.distance import cdist

from abcresearch.errors import InputError, ParamsError
from abcresearch.paths import params_dir
from abcresearch.scoring._linear import domain_ratios, frame, group_codes
from abcresearch.scoring.alkire_foster import capital_deprivation

if TYPE_CHECKING:
    from abcresearch.scoring.households import HouseholdScores
    from abcresearch.stats import SurveyDesign

__all__ = [
    "GradeRules",
    "Grades",
    "Typology",
    "area_indicators",
    "grade_tambons",
    "grade_villages",
    "load_grade_rules",
    "organisation_strength",
    "typology",
]

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
INDICATORS = ("share_level1", "mean_score", "m0", "org_strength", "process_step")


@dataclass(frozen=True)
class GradeRules:
    """Validated grade rules (``params/grades.yaml``)."""

    scheme_id: str
    scheme_version: str
    rules: tuple[Mapping[str, Any], ...]
    grade_labels: Mapping[str, Mapping[str, str]]
    org_components: Mapping[str, Mapping[str, float]]
    missing_reason: Mapping[str, str]
    grade_order: tuple[str, ...]
    sort_by: tuple[Mapping[str, Any], ...]
    typology: Mapping[str, Any]
    path: Path | None = None


def load_grade_rules(path: str | Path | GradeRules | None = None) -> GradeRules:
    """Load and validate ``params/grades.yaml``; every problem is named in one ParamsError."""
    if isinstance(path, GradeRules):
        return path
    p = Path(path) if path else params_dir() / "grades.yaml"
    if not p.exists():
        raise ParamsError(f"grade rules file {p} does not exist")
    raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    problems: list[str] = []
    for key in ("scheme_id", "scheme_version"):
        if not raw.get(key):
            problems.append(f"{key}: missing")
    rules = raw.get("grades")
    if not isinstance(rules, list) or not rules:
        problems.append("grades: expected an ordered list of grade rules")
        rules = []
    labels = raw.get("grade_labels") or {}
    for i, r in enumerate(rules):
        w = f"grades[{i}]"
        if not isinstance(r, Mapping) or not r.get("grade"):
            problems.append(f"{w}: needs a grade")
            continue
        if r["grade"] not in labels:
            problems.append(f"{w}: grade {r['grade']!r} has no grade_labels entry")
        if r.get("otherwise"):
            if i != len(rules) - 1:
                problems.append(f"{w}: 'otherwise' must be the last rule")
            continue
        modes = [m for m in ("any", "all") if m in r]
        if len(modes) != 1:
            problems.append(f"{w}: give exactly one of any: or all:")
            continue
        for j, c in enumerate(r[modes[0]]):
            cw = f"{w}.{modes[0]}[{j}]"
            if c.get("indicator") not in INDICATORS:
                problems.append(f"{cw}: unknown indicator {c.get('indicator')!r}; expected one "
                                f"of {list(INDICATORS)}")
            if c.get("op") not in _OPS:
                problems.append(f"{cw}: op must be one of {list(_OPS)}")
            if isinstance(c.get("value"), bool) or not isinstance(c.get("value"), int | float):
                problems.append(f"{cw}: value must be a number")
            for key in ("reason", "reason_not"):
                t = c.get(key) or {}
                for lang in ("th", "en"):
                    if not t.get(lang):
                        problems.append(f"{cw}.{key}: missing {lang} text")
    if rules and not (isinstance(rules[-1], Mapping) and rules[-1].get("otherwise")):
        problems.append("grades: the last rule must be 'otherwise: true'")
    comps = (raw.get("org_strength") or {}).get("components") or {}
    known = {"groups_per_100hh", "welfare_share", "forums_year"}
    if set(comps) - known:
        problems.append(f"org_strength.components: unknown {sorted(set(comps) - known)}; "
                        f"known: {sorted(known)}")
    tot = sum(float(c.get("weight", 0)) for c in comps.values())
    if comps and abs(tot - 1) > 1e-6:
        problems.append(f"org_strength.components: weights add up to {tot:g}, not 1")
    for name, c in comps.items():
        if not isinstance(c.get("full"), int | float) or c["full"] <= 0:
            problems.append(f"org_strength.components.{name}.full must be > 0")
    pr = raw.get("priority") or {}
    order = tuple(pr.get("grade_order") or ())
    grades_named = {r.get("grade") for r in rules if isinstance(r, Mapping)}
    if set(order) != grades_named:
        problems.append(f"priority.grade_order {list(order)} must list the grades "
                        f"{sorted(g for g in grades_named if g)}")
    for s in pr.get("sort_by") or []:
        if s.get("indicator") not in INDICATORS:
            problems.append(f"priority.sort_by: unknown indicator {s.get('indicator')!r}")
    typ = raw.get("typology") or {}
    kr = typ.get("k_range", [2, 6])
    if not (isinstance(kr, list) and len(kr) == 2 and 2 <= kr[0] <= kr[1]):
        problems.append("typology.k_range must be [k_min, k_max] with 2 <= k_min <= k_max")
    if problems:
        raise ParamsError(f"{p.name}: {len(problems)} problem(s) in grade rules:\n  - "
                          + "\n  - ".join(problems))
    return GradeRules(
        scheme_id=str(raw["scheme_id"]), scheme_version=str(raw["scheme_version"]),
        rules=tuple(rules), grade_labels=labels, org_components=comps,
        missing_reason=raw.get("missing_reason") or {"th": "ไม่มีข้อมูล {indicator}",
                                                      "en": "no data for {indicator}"},
        grade_order=order, sort_by=tuple(pr.get("sort_by") or ()), typology=typ, path=p)


# ---------------------------------------------------------------------------------- indicators
def _num(df: pd.DataFrame, col: str) -> pd.Series:
    if col not in df.columns:
        return pd.Series(np.nan, index=df.index)
    return pd.to_numeric(df[col], errors="coerce").astype(float)


def organisation_strength(villages: pd.DataFrame, area: str = "village_code",
                          rules: GradeRules | str | Path | None = None) -> pd.DataFrame:
    """Organisation strength (0-100) and master-plan step per area from the village form.

    Parameters
    ----------
    villages : pandas.DataFrame
        Village-form rows (``vil_households``, ``vil_population``, ``vil_groups``,
        ``vil_welfare_members``, ``vil_forums_year``, ``vil_process_step``) with ``area``.
    area : str
        ``village_code`` or ``tambon_code`` (pooled: groups and members summed, forums and
        process step averaged over villages).
    rules : GradeRules, path or None
        Grade rules (component weights and "full" values).

    Returns
    -------
    pandas.DataFrame
        Index ``area``; ``groups_per_100hh``, ``welfare_share``, ``forums_year``,
        ``org_strength``, ``process_step``, ``n_villages``.
    """
    gr = load_grade_rules(rules)
    v = villages.copy()
    if area not in v.columns:
        if area == "tambon_code" and "village_code" in v.columns:
            v["tambon_code"] = v["village_code"].astype(str).str[:6]
        else:
            raise InputError(f"village table has no {area!r} column")
    v["_hh"] = _num(v, "vil_households")
    v["_pop"] = _num(v, "vil_population")
    v["_groups"] = _num(v, "vil_groups")
    v["_welfare"] = _num(v, "vil_welfare_members")
    v["_forums"] = _num(v, "vil_forums_year")
    v["_step"] = _num(v, "vil_process_step")
    # a ratio pools numerator and denominator over the same villages (both answered)
    both_g = v["_groups"].notna() & v["_hh"].notna()
    both_w = v["_welfare"].notna() & v["_pop"].notna()
    v["_groups_b"], v["_hh_b"] = v["_groups"].where(both_g), v["_hh"].where(both_g)
    v["_welfare_b"], v["_pop_b"] = v["_welfare"].where(both_w), v["_pop"].where(both_w)
    g = v.groupby(area, sort=True)
    out = pd.DataFrame({
        "groups_per_100hh": 100 * g["_groups_b"].sum(min_count=1)
        / g["_hh_b"].sum(min_count=1),
        "welfare_share": (g["_welfare_b"].sum(min_count=1)
                          / g["_pop_b"].sum(min_count=1)).clip(upper=1),
        "forums_year": g["_forums"].mean(),
        "process_step": g["_step"].mean(),
        "n_villages": g.size(),
    })
    idx = np.zeros(len(out))
    for name, c in gr.org_components.items():
        idx = idx + float(c["weight"]) * np.minimum(out[name].to_numpy() / float(c["full"]), 1)
    out.insert(3, "org_strength", 100 * idx)
    out.index.name = area
    return out


def area_indicators(design: SurveyDesign, scores: HouseholdScores, area: str,
                    villages: pd.DataFrame | None = None,
                    rules: GradeRules | str | Path | None = None,
                    level: float = 0.95) -> pd.DataFrame:
    """The indicators that decide the grades, one row per area, with SEs where design-based.

    Parameters
    ----------
    design : SurveyDesign
        Design on the scored household rows.
    scores : HouseholdScores
        Household scores (same rows as ``design.data``).
    area : str
        Column of ``design.data`` naming the area (``village_code``, ``tambon_code``).
    villages : pandas.DataFrame, optional
        Village-form rows for organisation strength and process step (missing otherwise).
    rules : GradeRules, path or None
        Grade rules.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Index ``area``: ``n_households``, ``share_level1`` (+ ``_se``, ``_ci_low``,
        ``_ci_high``), ``mean_<capital>`` (+ ``_se``), ``mean_score``, ``H``, ``m0``
        (+ ``_se``), ``org_strength``, ``process_step`` and the strength components.
    """
    sch = scores.scheme
    codes, labels = group_codes(design, area)
    n_dom = len(labels)
    ov = scores.overall_level.to_numpy(dtype=float, na_value=np.nan)
    S = scores.scores[list(sch.capital_ids)].to_numpy(dtype=float)
    # one pass: share of level-1 households and the capital means, each over the households
    # with that value present (ratio sum w y 1[present] / sum w 1[present] = domain mean)
    present = np.column_stack([~np.isnan(ov), ~np.isnan(S)]).astype(float)
    Y = np.column_stack([(ov == 1).astype(float), np.nan_to_num(S)])
    r = domain_ratios(design, Y, present, codes, n_dom)
    lv_codes = np.where(np.isnan(ov), -1, codes)
    _, df1 = design._domain_var(np.zeros(len(codes)), lv_codes, n_dom)
    n1 = np.bincount(lv_codes[lv_codes >= 0], minlength=n_dom)
    t1 = frame({"estimate": r["estimate"][:, 0], "se": r["se"][:, 0], "df": df1, "n": n1},
               labels, level, "logit")
    out = pd.DataFrame(index=labels)
    out["n_households"] = np.bincount(codes[codes >= 0], minlength=n_dom)
    out["share_level1"] = t1["estimate"]
    out["share_level1_se"] = t1["se"]
    out["share_level1_ci_low"] = t1["ci_low"]
    out["share_level1_ci_high"] = t1["ci_high"]
    for j, cap in enumerate(sch.capital_ids):
        out[f"mean_{cap}"] = r["estimate"][:, 1 + j]
        out[f"mean_{cap}_se"] = r["se"][:, 1 + j]
    out["mean_score"] = out[[f"mean_{c}" for c in sch.capital_ids]].mean(axis=1)
    af = capital_deprivation(design, scores, by=area, level=level, overall=False)
    out["H"] = af.H["estimate"].reindex(labels).to_numpy()
    out["m0"] = af.M0["estimate"].reindex(labels).to_numpy()
    out["m0_se"] = af.M0["se"].reindex(labels).to_numpy()
    if villages is not None:
        org = organisation_strength(villages, area, rules)
        out = out.join(org, how="left")
    else:
        for c in ("groups_per_100hh", "welfare_share", "forums_year", "org_strength",
                  "process_step"):
            out[c] = np.nan
    out.index.name = area
    return out


# ---------------------------------------------------------------------------------- grading
def _fmt(template: str, value: float, threshold: float, indicator: str) -> str:
    return template.format(value=value, threshold=threshold, value_pct=100 * value,
                           threshold_pct=100 * threshold, indicator=indicator)


def _apply_rules(ind: pd.DataFrame, gr: GradeRules) -> pd.DataFrame:
    n = len(ind)
    grade = np.full(n, None, dtype=object)
    reason = {"th": np.full(n, "", dtype=object), "en": np.full(n, "", dtype=object)}
    failed: dict[str, list[list[str]]] = {"th": [[] for _ in range(n)],
                                          "en": [[] for _ in range(n)]}
    missing_used: list[set[str]] = [set() for _ in range(n)]
    for rule in gr.rules:
        todo = np.array([g is None for g in grade])
        if not todo.any():
            break
        if rule.get("otherwise"):
            for i in np.flatnonzero(todo):
                grade[i] = rule["grade"]
                for lang in ("th", "en"):
                    reason[lang][i] = "; ".join(failed[lang][i])
            continue
        mode = "any" if "any" in rule else "all"
        held = []
        for cond in rule[mode]:
            name = cond["indicator"]
            x = ind[name].to_numpy(dtype=float) if name in ind else np.full(n, np.nan)
            ok = _OPS[cond["op"]](np.nan_to_num(x, nan=np.inf if cond["op"] in ("<", "<=")
                                                else -np.inf), cond["value"]) & ~np.isnan(x)
            held.append((cond, x, ok))
        hit = (np.logical_or.reduce([h[2] for h in held]) if mode == "any"
               else np.logical_and.reduce([h[2] for h in held]))
        for i in np.flatnonzero(todo):
            for cond, x, ok in held:
                name = cond["indicator"]
                if np.isnan(x[i]):
                    missing_used[i].add(name)
                    texts = {lang: gr.missing_reason[lang].format(indicator=name)
                             for lang in ("th", "en")}
                else:
                    key = "reason" if ok[i] else "reason_not"
                    texts = {lang: _fmt(cond[key][lang], float(x[i]), float(cond["value"]), name)
                             for lang in ("th", "en")}
                if hit[i] and (ok[i] or mode == "all"):
                    for lang in ("th", "en"):
                        reason[lang][i] = (reason[lang][i] + "; " if reason[lang][i] else "") \
                            + texts[lang]
                elif not hit[i] and (mode == "any" or not ok[i]):
                    for lang in ("th", "en"):
                        failed[lang][i].append(texts[lang])
            if hit[i]:
                grade[i] = rule["grade"]
    return pd.DataFrame({"grade": grade, "reason_th": reason["th"], "reason_en": reason["en"],
                         "missing_indicators": [", ".join(sorted(m)) for m in missing_used]},
                        index=ind.index)


def _priority(ind: pd.DataFrame, grade: pd.Series, gr: GradeRules) -> pd.Series:
    order = {g: i for i, g in enumerate(gr.grade_order)}
    keys = pd.DataFrame({"_g": grade.map(order)}, index=ind.index)
    cols, asc = ["_g"], [True]
    for s in gr.sort_by:
        keys[s["indicator"]] = ind[s["indicator"]]
        cols.append(s["indicator"])
        asc.append(not s.get("descending", False))
    ranked = keys.sort_values(cols, ascending=asc, na_position="last", kind="mergesort")
    return pd.Series(np.arange(1, len(ranked) + 1), index=ranked.index,
                     name="priority_rank").reindex(ind.index)


@dataclass(frozen=True)
class Typology:
    """k-means typology of areas on standardised mean capital profiles.

    Attributes
    ----------
    k : int
        Chosen number of clusters (largest mean silhouette width over ``k_range``).
    silhouette : pandas.Series
        Mean silhouette width per candidate k (the stated criterion).
    cluster : pandas.Series
        Cluster (1 = weakest mean profile ... k = strongest) per area.
    centres : pandas.DataFrame
        Cluster centres in score units (mean capital scores), one row per cluster.
    crosstab : pandas.DataFrame or None
        Rule grade by cluster (counts), when grades were given.
    """

    k: int
    silhouette: pd.Series
    cluster: pd.Series
    centres: pd.DataFrame
    crosstab: pd.DataFrame | None = None

    def summary(self) -> pd.DataFrame:
        """Return the centres with cluster sizes."""
        out = self.centres.copy()
        out.insert(0, "n_areas", self.cluster.value_counts().reindex(out.index).to_numpy())
        return out


def _silhouette(X: np.ndarray, lab: np.ndarray) -> float:
    D = cdist(X, X)
    ks = np.unique(lab)
    if ks.size < 2:
        return float("nan")
    onehot = (lab[:, None] == ks[None, :]).astype(float)
    sizes = onehot.sum(axis=0)
    mean_d = (D @ onehot)
    own = np.searchsorted(ks, lab)
    a = mean_d[np.arange(len(lab)), own] / np.maximum(sizes[own] - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        other = mean_d / sizes[None, :]
    other[np.arange(len(lab)), own] = np.inf
    b = other.min(axis=1)
    s = np.where(sizes[own] > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(np.nanmean(s))


def typology(indicators: pd.DataFrame, capitals: list[str] | tuple[str, ...],
             grades: pd.Series | None = None,
             rules: GradeRules | str | Path | None = None) -> Typology:
    """Cluster areas on their standardised mean capital scores (k-means, silhouette-chosen k).

    Parameters
    ----------
    indicators : pandas.DataFrame
        Output of :func:`area_indicators` (columns ``mean_<capital>``).
    capitals : sequence of str
        Capital ids.
    grades : pandas.Series, optional
        Rule grades per area, for the cross-tabulation.
    rules : GradeRules, path or None
        Grade rules (``typology`` section: ``k_range``, ``seed``, ``n_init``,
        ``silhouette_sample``, ``fit_sample``: with more areas than this, k-means is fitted on
        a random sample of that size and every area is assigned to its nearest centre).

    Returns
    -------
    Typology
    """
    gr = load_grade_rules(rules)
    cfg = gr.typology
    cols = [f"mean_{c}" for c in capitals]
    prof = indicators[cols].dropna()
    X0 = prof.to_numpy(dtype=float)
    sd = X0.std(axis=0)
    X = (X0 - X0.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    k_lo, k_hi = cfg.get("k_range", [2, 6])
    k_hi = min(k_hi, len(X) - 1)
    rng = np.random.default_rng(int(cfg.get("seed", 1)))
    n_sil = int(cfg.get("silhouette_sample", 3000))
    sil_idx = (np.sort(rng.choice(len(X), n_sil, replace=False)) if len(X) > n_sil
               else np.arange(len(X)))
    # many areas (national scale): fit on a random sample, then assign every area to its
    # nearest centre
    n_fit = int(cfg.get("fit_sample", 20000))
    fit_idx = (np.sort(rng.choice(len(X), n_fit, replace=False)) if len(X) > n_fit
               else np.arange(len(X)))
    Xf = X[fit_idx]
    best: dict[int, np.ndarray] = {}
    sil = {}
    for k in range(k_lo, k_hi + 1):
        best_inertia = np.inf
        for _ in range(int(cfg.get("n_init", 10))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # empty-cluster notices
                cent, lab = kmeans2(Xf, k, minit="++", seed=rng)
            inertia = float(((Xf - cent[lab]) ** 2).sum())
            if np.unique(lab).size == k and inertia < best_inertia:
                best_inertia, best_cent = inertia, cent
        if np.isfinite(best_inertia):
            best[k] = vq(X, best_cent, check_finite=False)[0]
            sil[k] = _silhouette(X[sil_idx], best[k][sil_idx])
    if not sil:
        raise InputError("typology: too few areas with complete capital profiles to cluster")
    k_best = max(sil, key=lambda k: (sil[k], -k))
    lab = best[k_best]
    centres = pd.DataFrame(X0).groupby(lab).mean()
    order = np.argsort(centres.mean(axis=1).to_numpy())  # weakest first
    relabel = np.empty(k_best, dtype=int)
    relabel[order] = np.arange(1, k_best + 1)
    cluster = pd.Series(relabel[lab], index=prof.index, name="cluster")
    centres.index = relabel[centres.index.to_numpy()]
    centres = centres.sort_index()
    centres.columns = cols
    centres.index.name = "cluster"
    ct = None
    if grades is not None:
        ct = pd.crosstab(grades.reindex(prof.index).rename("grade"), cluster)
    return Typology(k=int(k_best), silhouette=pd.Series(sil, name="mean_silhouette"),
                    cluster=cluster, centres=centres, crosstab=ct)


@dataclass(frozen=True)
class Grades:
    """Grades of villages or tambons.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per area: the indicators, ``grade``, ``grade_label_th/en``, ``reason_th``,
        ``reason_en``, ``missing_indicators``, ``priority_rank``, ``cluster``.
    area : str
        The area column.
    rules : GradeRules
        The rules used.
    typology : Typology or None
        The data-driven typology and its cross-tab against the grades.
    """

    table: pd.DataFrame
    area: str
    rules: GradeRules = field(repr=False)
    typology: Typology | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return the grade table."""
        return self.table.copy()

    def summary(self) -> pd.DataFrame:
        """Return the number of areas per grade and their mean indicators."""
        cols = [c for c in INDICATORS if c in self.table]
        g = self.table.groupby("grade")
        out = g[cols].mean()
        out.insert(0, "n_areas", g.size())
        return out.reindex([x for x in self.rules.grade_order if x in out.index])

    def priority(self) -> pd.DataFrame:
        """Return the areas in priority order (rank 1 first)."""
        return self.table.sort_values("priority_rank")


def _grade(design: SurveyDesign, scores: HouseholdScores, area: str,
           villages: pd.DataFrame | None, rules: GradeRules | str | Path | None,
           with_typology: bool, level: float) -> Grades:
    gr = load_grade_rules(rules)
    ind = area_indicators(design, scores, area, villages, gr, level)
    res = _apply_rules(ind, gr)
    table = ind.join(res)
    table["grade_label_th"] = table["grade"].map(lambda g: gr.grade_labels[g]["th"])
    table["grade_label_en"] = table["grade"].map(lambda g: gr.grade_labels[g]["en"])
    table["priority_rank"] = _priority(ind, table["grade"], gr)
    typ = None
    if with_typology and len(table) >= 4:
        typ = typology(ind, scores.scheme.capital_ids, table["grade"], gr)
        table["cluster"] = typ.cluster.reindex(table.index).astype("Int64")
    table.attrs.update({"grade_rules": f"{gr.scheme_id} v{gr.scheme_version}",
                        "scoring_scheme": f"{scores.scheme.scheme_id} "
                                          f"v{scores.scheme.scheme_version}",
                        "level": level})
    return Grades(table=table, area=area, rules=gr, typology=typ)


def grade_villages(design: SurveyDesign, scores: HouseholdScores,
                   villages: pd.DataFrame | None = None,
                   rules: GradeRules | str | Path | None = None, typology: bool = True,
                   level: float = 0.95) -> Grades:
    """Grade every village A/B/C with reasons, priority ranks and a typology.

    Parameters
    ----------
    design : SurveyDesign
        Design on the scored household rows (its data needs ``village_code``).
    scores : HouseholdScores
        Household scores.
    villages : pandas.DataFrame, optional
        Village-form rows (``abcresearch.store.read.load(round, table="villages")``).
    rules : GradeRules, path or None
        Grade rules (default ``params/grades.yaml``).
    typology : bool, default True
        Also cluster the villages on their capital profiles.
    level : float
        Confidence level.

    Returns
    -------
    Grades
    """
    return _grade(design, scores, "village_code", villages, rules, typology, level)


def grade_tambons(design: SurveyDesign, scores: HouseholdScores,
                  villages: pd.DataFrame | None = None,
                  rules: GradeRules | str | Path | None = None, typology: bool = True,
                  level: float = 0.95) -> Grades:
    """Grade every tambon A/B/C (households pooled over the tambon; see
    :func:`grade_villages` for the parameters; the design's data needs ``tambon_code``)."""
    return _grade(design, scores, "tambon_code", villages, rules, typology, level)
