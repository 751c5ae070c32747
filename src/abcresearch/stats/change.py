"""Change between survey rounds on the stacked rounds, with the design's PSUs shared.

For two rounds a (earlier) and b (later) of a stacked sample, the change of a ratio of weighted
totals :math:`R_r = \\sum_{i \\in r} w_i y_i / \\sum_{i \\in r} w_i x_i` (a mean when x = 1) is
:math:`R_b - R_a` (**later minus earlier**), and its linearised variable is

.. math::

    z_i = 1[i \\in b]\\,\\frac{y_i - R_b x_i}{X_b} - 1[i \\in a]\\,\\frac{y_i - R_a x_i}{X_a},

whose total's variance is taken over the stacked design. When the two rounds share PSUs — a
village surveyed in both rounds, a household matched by ``hh_key`` — the PSU total of z holds
both rounds, so their covariance enters the SE (``svycontrast(svyby(~y, ~round, design,
svymean, covmat = TRUE), c(-1, 1))`` in R gives the same numbers; see
``tests/reference/make_change_reference.R``). Build the stacked design as a with-replacement
(ultimate-cluster) design without fpc: round-specific fpcs cannot share a stratum.

Every measure and every domain (``by=``) is computed in one vectorised pass per missing-value
pattern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from abcresearch.errors import DesignError
from abcresearch.stats.core import SurveyDesignBase
from abcresearch.stats.domains import By, group_codes
from abcresearch.stats.results import estimate_table

__all__ = ["CHANGE_COLUMNS", "change"]

#: Leading columns of a change table (after any ``by`` columns).
CHANGE_COLUMNS = ("measure", "round_from", "round_to", "estimate", "se", "ci_low", "ci_high",
                  "df", "n")

Measure = str | tuple[str, str]


def _measure_columns(design: SurveyDesignBase, measures: Mapping[str, Measure] | Sequence[str]
                     ) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    spec = ({m: m for m in measures} if not isinstance(measures, Mapping)
            else dict(measures))
    if not spec:
        raise DesignError("change needs at least one measure")
    out: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for name, m in spec.items():
        if isinstance(m, str):
            out[name] = (design.values(m), None)
        elif isinstance(m, tuple) and len(m) == 2 and all(isinstance(c, str) for c in m):
            out[name] = (design.values(m[0]), design.values(m[1]))
        else:
            raise DesignError(f"measure {name!r}: give a column (mean) or a (numerator, "
                              f"denominator) pair of columns, found {m!r}")
    return out


DF_RULES = ("stacked", "smaller_round")
"""The rules of :func:`change`'s ``df_rule``."""


def change(
    design: SurveyDesignBase,
    measures: Mapping[str, Measure] | Sequence[str],
    over: str,
    pairs: Sequence[tuple[Any, Any]] | None = None,
    by: By = None,
    level: float = 0.95,
    df_rule: str = "stacked",
) -> pd.DataFrame:
    """Change (later minus earlier) of means and ratios between rounds, with design SEs.

    Parameters
    ----------
    design : SurveyDesign
        A design over the **stacked** rounds whose PSUs are carried across rounds (the same
        village or household id in both rounds is the same PSU), e.g.
        ``SurveyDesign(stacked, weights="weight", strata="amphoe_code",
        cluster="village_code", nest=True)``.
    measures : Mapping or list of str
        ``{name: column}`` for a mean, ``{name: (numerator, denominator)}`` for a ratio of
        totals; a list of columns means ``{column: column}``. Rows with a missing value in a
        measure's columns are left out of that measure (complete cases).
    over : str
        Column naming the round of each row.
    pairs : sequence of (earlier, later), optional
        Rounds to compare; default every consecutive pair of the sorted rounds present.
    by : str, list of str, pandas.Series, optional
        Domains (e.g. ``"tambon_code"``): the change within each domain, over both rounds.
    level : float, default 0.95
        Confidence level (t interval with the df of ``df_rule``).
    df_rule : {"stacked", "smaller_round"}
        Degrees of freedom of the interval. ``"stacked"``: #PSUs minus #strata among the
        domain's rows of both rounds (the stacked design's, as R's ``degf`` of the domain's
        subset). ``"smaller_round"``: the smaller of each round's own (its PSUs minus its
        strata among the domain's rows of that round), Welch-Satterthwaite's lower bound
        for two independent samples: the change is then never stated with more degrees of
        freedom than either round's own estimate, which matters where the rounds sampled
        few and different villages of the domain. The SE is the same either way.

    Returns
    -------
    pandas.DataFrame
        One row per (domain, measure, pair), index reset: the ``by`` column(s), then
        ``measure, round_from, round_to, estimate, se, ci_low, ci_high, df, n`` and
        ``estimate_from``, ``estimate_to`` (each round's value). ``df`` follows ``df_rule``
        (rows with the measure present); ``n`` counts the domain's rows of both rounds with
        the measure present. Level, statistic and ``df_rule`` are in ``attrs``.

    Raises
    ------
    DesignError
        For an unknown ``over`` column, a round not in the data, or bad measures.

    Examples
    --------
    >>> import pandas as pd
    >>> from abcresearch.stats import SurveyDesign
    >>> df = pd.DataFrame({"round": [1, 1, 1, 2, 2, 2], "psu": [1, 2, 3, 1, 2, 3],
    ...                    "y": [1.0, 2.0, 3.0, 2.0, 4.0, 3.0]})
    >>> t = change(SurveyDesign(df, cluster="psu"), ["y"], over="round")
    >>> float(t["estimate"].iloc[0])
    1.0
    """
    if over not in design.data.columns:
        raise DesignError(f"over column {over!r} not found in the design's data")
    if df_rule not in DF_RULES:
        raise DesignError(f"df_rule must be one of {', '.join(DF_RULES)}, found {df_rule!r}")
    cols = _measure_columns(design, measures)
    dom_mask = design.domain
    rnd = design.data[over].to_numpy()
    present_rounds = sorted(pd.unique(rnd[dom_mask & pd.notna(rnd)]))
    if pairs is None:
        pairs = list(zip(present_rounds[:-1], present_rounds[1:], strict=True))
    pairs = [tuple(p) for p in pairs]
    for p in pairs:
        if len(p) != 2:
            raise DesignError(f"pairs must be (earlier, later) rounds, found {p!r}")
        for r in p:
            if r not in present_rounds:
                raise DesignError(f"{over}={r!r} has no rows in the design; rounds found: "
                                  f"{present_rounds}")
    codes, labels = group_codes(design, by)
    n_dom = 1 if labels is None else len(labels)
    lab_frame = None if labels is None else labels.to_frame(index=False)
    by_cols = [] if lab_frame is None else list(lab_frame.columns)
    w = design.weights
    parts = []
    for a, b in pairs:
        in_a = dom_mask & (rnd == a)
        in_b = dom_mask & (rnd == b)
        pair_rows = (in_a | in_b) & (codes >= 0)
        # one partition per missing-value pattern of the measures
        patterns: dict[bytes, list[str]] = {}
        ok_of: dict[str, np.ndarray] = {}
        for name, (y, x) in cols.items():
            ok = pair_rows & ~np.isnan(y) & (True if x is None else ~np.isnan(x))
            ok_of[name] = ok
            patterns.setdefault(np.packbits(ok).tobytes(), []).append(name)
        for names in patterns.values():
            ok = ok_of[names[0]]
            c_ok = np.where(ok, codes, -1)
            part = design.partition(c_ok, n_dom)
            rows = part.rows
            cu = c_ok[rows]
            wu = w[rows]
            m = len(names)
            ests = []
            zs = np.zeros((rows.size, m))
            for sign, inr in ((-1.0, in_a[rows]), (1.0, in_b[rows])):
                # only the round's rows: sums and z in the same order and values as over all
                # rows with the others masked out
                at = rows[inr]
                cr = cu[inr]
                wr = wu[inr]
                r = np.empty((n_dom, m))
                den = np.empty((n_dom, m))
                w_den = np.bincount(cr, weights=wr, minlength=n_dom)  # x = 1 (means)
                for j, nm in enumerate(names):
                    y, x = cols[nm]
                    yr = y[at]
                    num = np.bincount(cr, weights=wr * yr, minlength=n_dom)
                    xr = None if x is None else x[at]
                    den[:, j] = w_den if xr is None else np.bincount(cr, weights=wr * xr,
                                                                     minlength=n_dom)
                    with np.errstate(divide="ignore", invalid="ignore"):
                        r[:, j] = num / den[:, j]
                        z = (yr - (r[cr, j] if xr is None else r[cr, j] * xr)) / den[cr, j]
                    zs[inr, j] = sign * z
                ests.append(r)
            var = part.var(wu[:, None] * zs)
            est = ests[1] - ests[0]
            df = part.df
            if df_rule == "smaller_round":
                df = part.df_each(np.column_stack([in_a[rows], in_b[rows]])).min(axis=1)
            se = np.sqrt(np.maximum(var, 0.0))
            if lab_frame is None:
                for j, nm in enumerate(names):
                    keys = {"measure": nm, "round_from": a, "round_to": b}
                    idx = pd.MultiIndex.from_tuples([(nm, a, b)], names=list(keys))
                    parts.append(estimate_table(
                        est[:, j], se[:, j], df, part.n, idx, level=level,
                        statistic="change", variable=nm,
                        extra={"estimate_from": ests[0][:, j], "estimate_to": ests[1][:, j]}))
                continue
            # every measure of the pattern in one table, measure by measure (as many tables
            # would be concatenated), the domain labels repeated
            # (the columns the index of such tables becomes, without building the index)
            k = n_dom * m
            lab = {c: lab_frame[c].to_numpy()[np.tile(np.arange(n_dom), m)] for c in by_cols}
            lab["measure"] = np.repeat(np.array(names, dtype=object), n_dom)
            lab["round_from"] = np.full(k, a)
            lab["round_to"] = np.full(k, b)
            t = estimate_table(
                est.T.ravel(), se.T.ravel(), np.tile(df, m), np.tile(part.n, m),
                pd.RangeIndex(k), level=level, statistic="change",
                extra={"estimate_from": ests[0].T.ravel(), "estimate_to": ests[1].T.ravel()})
            parts.append(pd.concat([pd.DataFrame(lab, index=t.index).astype(
                {c: lab_frame[c].dtype for c in by_cols}), t], axis=1))
    if not parts:  # fewer than two rounds: nothing to compare
        return pd.DataFrame(columns=[*by_cols, *CHANGE_COLUMNS, "estimate_from",
                                     "estimate_to"])
    out = (pd.concat(parts, ignore_index=True) if lab_frame is not None
           else pd.concat(parts).reset_index())
    # one measure: its name in attrs (as concatenating per-measure tables keeps it)
    out.attrs = ({"statistic": "change", "variable": next(iter(cols)), "level": level,
                  "interval": "wald"} if len(cols) == 1 else {})
    order = {nm: i for i, nm in enumerate(cols)}
    out = out.sort_values(
        [*by_cols, "round_from", "round_to", "measure"],
        key=lambda s: s.map(order) if s.name == "measure" else s, kind="stable",
    ).reset_index(drop=True)
    out.attrs.update({"statistic": "change", "level": level, "over": over,
                      "sign": "later minus earlier", "interval": "wald", "df_rule": df_rule})
    return out
