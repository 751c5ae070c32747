"""A data-driven typology of areas beside the rule grades: k-means on capital profiles.

Areas are clustered on their standardised mean capital scores; the number of clusters is the
one with the largest mean silhouette width over ``typology.k_range`` of
``params/grades.yaml``, and clusters are numbered from the weakest mean profile (1) to the
strongest. With the rule grades given, a cross-tabulation compares the two.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from abcresearch.errors import InputError
from abcresearch.scoring.grade_rules import GradeRules, load_grade_rules

__all__ = ["Typology", "mean_silhouette", "typology"]


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


def mean_silhouette(X: np.ndarray, lab: np.ndarray, D: np.ndarray | None = None) -> float:
    """Mean silhouette width of a clustering (Rousseeuw 1987; 0 for singleton clusters).

    Parameters
    ----------
    X : numpy.ndarray, shape (n, p)
        Points.
    lab : numpy.ndarray, shape (n,)
        Cluster labels.
    D : numpy.ndarray, shape (n, n), optional
        Euclidean distances between the points (computed when not given; pass them to score
        several clusterings of the same points).

    Returns
    -------
    float
        Mean of ``(b - a) / max(a, b)`` over the points (NaN with fewer than 2 clusters).
    """
    if D is None:
        from scipy.spatial.distance import cdist  # lazy: scipy.spatial costs 0.2 s to import

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
    from scipy.cluster.vq import kmeans2, vq  # lazy: see mean_silhouette
    from scipy.spatial.distance import cdist

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
    D_sil: np.ndarray | None = None
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
            if D_sil is None:  # the same points for every k: distances once
                D_sil = cdist(X[sil_idx], X[sil_idx])
            sil[k] = mean_silhouette(X[sil_idx], best[k][sil_idx], D_sil)
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
