"""Small-area estimation: Fay-Herriot model, GVF, arcsine transform, benchmarking, settings.

Reference values: ``tests/reference/fh_make_reference.R`` (sae 1.3's eblupFH/mseFH transcribed
to R, see ``fh_versions.txt``); compared to a relative tolerance of 1e-6.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import integrate, stats

from abcresearch.errors import DesignError, InputError, ParamsError
from abcresearch.stats import fay_herriot
from abcresearch.stats.smallarea import (
    FayHerriotResults,
    arcsine,
    arcsine_variance,
    area_covariates,
    fit_gvf,
    load_smallarea_settings,
    small_area_estimates,
)

REF = Path(__file__).parent / "reference"
PARAMS = Path(__file__).resolve().parents[1] / "params"
RTOL = 1e-6


# ---------------------------------------------------------------------------------------------
# reference data
# ---------------------------------------------------------------------------------------------


def _datasets() -> dict[str, tuple[pd.DataFrame, str, list[str]]]:
    milk = pd.read_csv(REF / "fh_milk.csv")
    milk["area"] = milk["SmallArea"].astype(str)
    milk["D"] = milk["SD"] ** 2
    for k in (2, 3, 4):
        milk[f"major{k}"] = (milk["MajorArea"] == k).astype(float)
    sim = pd.read_csv(REF / "fh_sim.csv")
    return {"milk": (milk, "yi", ["major2", "major3", "major4"]),
            "sim": (sim, "y", ["x1", "x2"]),
            "sim_zero": (sim.assign(y=sim["y0"]), "y", ["x1", "x2"])}


DATA = _datasets()
EST = pd.read_csv(REF / "fh_estimates.csv", dtype={"area": str, "precision": str})
COEF = pd.read_csv(REF / "fh_coefficients.csv", dtype={"precision": str})
FIT = pd.read_csv(REF / "fh_fit.csv", dtype={"precision": str})
CASES = sorted({(d, m, p) for d, m, p in FIT[["dataset", "method", "precision"]].itertuples(
    index=False)})


def _fit_case(dataset: str, method: str, precision: str) -> FayHerriotResults:
    d, y, cov = DATA[dataset]
    return fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area", method=method,
                       tol=float(precision), max_iter=100)


def _close(actual, expected, what: str) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float),
                               np.asarray(expected, dtype=float), rtol=RTOL, atol=1e-12,
                               err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=["/".join(c) for c in CASES])
def test_area_estimates_match_sae_transcription(case):
    res = _fit_case(*case)
    ref = EST[(EST.dataset == case[0]) & (EST.method == case[1]) & (EST.precision == case[2])]
    assert len(ref) == len(res.estimates)
    est = res.estimates.set_index("area").loc[ref["area"]]
    ms = res.model_scale.set_index("area").loc[ref["area"]]
    assert list(est["kind"]) == list(ref["kind"])
    for col in ("estimate", "mse", "gamma"):
        _close(est[col], ref[col], col)
    for col in ("g1", "g2", "g3"):
        _close(ms[col], ref[col], col)


@pytest.mark.parametrize("case", CASES, ids=["/".join(c) for c in CASES])
def test_coefficients_and_fit_match_sae_transcription(case):
    res = _fit_case(*case)
    sel = (COEF.dataset == case[0]) & (COEF.method == case[1]) & (COEF.precision == case[2])
    ref = COEF[sel].set_index("term")
    assert list(res.beta.index) == list(ref.index)
    _close(res.beta["estimate"], ref["beta"], "beta")
    _close(res.beta["se"], ref["std_error"], "se")
    _close(res.beta["z"], ref["tvalue"], "z")
    _close(res.beta["p_value"], ref["pvalue"], "p")
    f = FIT[(FIT.dataset == case[0]) & (FIT.method == case[1])
            & (FIT.precision == case[2])].iloc[0]
    _close(res.sigma2_u, f.sigma2_u, "sigma2_u")
    _close([res.loglike, res.aic, res.bic], [f.loglike, f.AIC, f.BIC], "loglike/AIC/BIC")
    _close(res.r2, f.r2, "r2")
    _close(res.adj_r2, f.adj_r2_ls, "adj_r2")
    if f.sigma2_u_raw > 0:  # same path as sae: same number of scoring steps
        assert res.iterations == f.iterations
    assert res.sigma2_u_truncated == (f.sigma2_u_raw <= 0)


def test_default_tolerance_converges_past_sae_default():
    """sae's PRECISION = 1e-4 stops early; the default tol agrees with PRECISION = 1e-10."""
    d, y, cov = DATA["milk"]
    res = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area")
    f = FIT[(FIT.dataset == "milk") & (FIT.method == "REML")].set_index("precision")
    _close(res.sigma2_u, f.loc["1e-10", "sigma2_u"], "sigma2_u")
    assert abs(res.sigma2_u - f.loc["1e-04", "sigma2_u"]) / res.sigma2_u > 1e-7


def test_truncation_at_zero_gives_synthetic_estimates_and_says_so():
    d, y, cov = DATA["sim_zero"]
    res = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area")
    assert res.sigma2_u == 0.0 and res.sigma2_u_truncated and res.sigma2_u_raw <= 0
    ms = res.model_scale
    assert (res.estimates["gamma"] == 0).all()
    np.testing.assert_allclose(ms["estimate"], ms["synthetic"], rtol=0, atol=1e-12)
    eb = ms[ms["kind"] == "eblup"]
    # MSE keeps g2 + 2 g3 (g1 = 0)
    assert (eb["g1"] == 0).all() and (eb["g3"] > 0).all()
    np.testing.assert_allclose(eb["mse"], eb["g2"] + 2 * eb["g3"])
    assert "truncated" not in res.summary().as_text()  # the words come from labels
    assert "set to 0" in res.summary().as_text()
    assert "ตั้งเป็น 0" in res.summary(lang="th").as_text()


def test_synthetic_mse_is_the_limit_of_the_eblup_mse():
    """An area without a direct estimate gets x'beta and MSE sigma2_u + x'Qx (ML: minus b)."""
    d, y, cov = DATA["sim"]
    for method in ("REML", "ML"):
        res = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area", method=method)
        syn = res.estimates["kind"] == "synthetic"
        assert syn.sum() == d[y].isna().sum() == 8
        # a huge vardir instead of a missing direct estimate: same estimate and MSE in the limit
        far = d.copy()
        far.loc[d[y].isna(), y] = 0.0
        far.loc[d[y].isna(), "D"] = 1e12
        res_far = fay_herriot(far, direct=y, vardir="D", covariates=cov, area="area",
                              method=method)
        # sigma2_u moves a little (the far areas enter the likelihood with ~zero weight)
        assert res_far.sigma2_u == pytest.approx(res.sigma2_u, rel=1e-6)
        np.testing.assert_allclose(res_far.estimates.loc[syn, "estimate"],
                                   res.estimates.loc[syn, "estimate"], rtol=1e-5)
        np.testing.assert_allclose(res_far.estimates.loc[syn, "mse"],
                                   res.estimates.loc[syn, "mse"], rtol=1e-5)


def test_missing_vardir_is_fine_without_a_direct_estimate():
    d, y, cov = DATA["sim"]
    d2 = d.copy()
    d2.loc[d2[y].isna(), "D"] = np.nan
    a = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area")
    b = fay_herriot(d2, direct=y, vardir="D", covariates=cov, area="area")
    pd.testing.assert_series_equal(a.estimates["estimate"], b.estimates["estimate"])


# ---------------------------------------------------------------------------------------------
# bad input: one sentence naming the column, the areas and the rule
# ---------------------------------------------------------------------------------------------


def _small() -> pd.DataFrame:
    return pd.DataFrame({"area": ["800101", "800102", "800103", "800104", "800105", "800106"],
                         "y": [1.0, 2.1, 2.9, 4.2, 5.1, np.nan],
                         "v": [0.2, 0.3, 0.2, 0.4, 0.3, np.nan],
                         "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})


def _error(data, exc=DesignError, **kw) -> str:
    args = {"direct": "y", "vardir": "v", "covariates": ["x"], "area": "area"} | kw
    with pytest.raises(exc) as info:
        fay_herriot(data, **args)
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_error_missing_covariate_column():
    msg = _error(_small(), covariates=["x", "no_savings"])
    assert "'no_savings'" in msg and "not columns of the data" in msg


def test_error_missing_covariate_value_names_the_area():
    d = _small()
    d.loc[2, "x"] = np.nan
    msg = _error(d)
    assert "covariate 'x'" in msg and "800103" in msg and "every covariate" in msg


@pytest.mark.parametrize("value", [0.0, -0.1])
def test_error_non_positive_vardir_names_the_area(value):
    d = _small()
    d.loc[1, "v"] = value
    msg = _error(d)
    assert "must be positive" in msg and "800102" in msg and "fit_gvf" in msg


def test_error_missing_vardir_with_a_direct_estimate():
    d = _small()
    d.loc[3, "v"] = np.nan
    msg = _error(d)
    assert "missing for area(s) 800104" in msg and "fit_gvf" in msg


def test_error_duplicate_area_and_unknown_method_reported_together():
    d = _small()
    d.loc[1, "area"] = "800101"
    msg = _error(d, method="EB")
    assert "repeats the code(s) 800101" in msg and "method must be one of" in msg


def test_error_too_few_areas_and_collinear():
    d = _small()
    assert "only 1 area(s)" in _error(d.assign(y=[1.0] + [np.nan] * 5))
    assert "collinear" in _error(d.assign(x2=2 * d["x"]), covariates=["x", "x2"])


def test_error_arcsine_needs_shares():
    d = _small()
    assert "between 0 and 1" in _error(d, transform="arcsine")
    d2 = d.assign(y=[0.0, 0.2, 0.3, 0.4, 0.5, np.nan], v=[0.01] * 6)
    msg = _error(d2, transform="arcsine")
    assert "800101" in msg and "vardir_scale='transformed'" in msg


def test_error_no_convergence_and_bad_stopping_rule():
    d, y, cov = DATA["milk"]
    with pytest.raises(DesignError, match="did not converge in 2 iterations"):
        fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area", max_iter=2)
    msg = _error(_small(), tol=0.0, max_iter=0)
    assert "tol must be a positive number" in msg and "max_iter must be a positive" in msg


def test_error_not_a_dataframe():
    with pytest.raises(DesignError, match="pandas DataFrame"):
        fay_herriot([1, 2], direct="y", vardir="v", covariates=["x"], area="area")


# ---------------------------------------------------------------------------------------------
# the results object renders itself and cannot be changed
# ---------------------------------------------------------------------------------------------


def test_results_render_and_are_immutable():
    d, y, cov = DATA["milk"]
    res = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area")
    text = res.summary().as_text()
    for part in ("Fay-Herriot", "REML", "major2", "σ²_u", "Shapiro-Wilk", "43 (43 with"):
        assert part in text
    html = res._repr_html_()
    assert html.startswith("<div") and "<table" in html and "major3" in html
    assert "แบบจำลอง" in res.summary(lang="th").as_html()
    typ = res.summary().as_typst()
    assert "#table(columns: 5" in typ and "major4" in typ
    assert repr(res).startswith("FayHerriotResults(method=REML, areas=43")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.sigma2_u = 1.0  # type: ignore[misc]
    diag = res.diagnostics()
    assert 0 < diag["gamma_min"] <= diag["gamma_max"] < 1
    assert 0 <= diag["shapiro_residual_p"] <= 1
    out = res.to_frame()
    assert list(out.columns[:4]) == ["area", "kind", "direct", "vardir"]
    assert out.attrs["level"] == 0.95


def test_intervals_use_the_mse():
    d, y, cov = DATA["sim"]
    res = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area", level=0.9)
    e = res.estimates
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(e["ci_high"] - e["estimate"], z * np.sqrt(e["mse"]))
    np.testing.assert_allclose(e["rmse"] ** 2, e["mse"])


# ---------------------------------------------------------------------------------------------
# simulation from the Fay-Herriot model itself
# ---------------------------------------------------------------------------------------------


def _simulate_fh(rng, m=60, n_syn=12, sigma2_u=0.5, beta=(1.0, 2.0, -1.0)):
    x1 = rng.uniform(0, 1, m)
    x2 = rng.normal(0, 1, m)
    D = rng.uniform(0.2, 1.5, m)
    theta = beta[0] + beta[1] * x1 + beta[2] * x2 + rng.normal(0, math.sqrt(sigma2_u), m)
    y = theta + rng.normal(0, np.sqrt(D))
    y[:n_syn] = np.nan
    return pd.DataFrame({"area": [f"a{i}" for i in range(m)], "x1": x1, "x2": x2, "D": D,
                         "y": y}), theta


def test_simulation_reml_recovers_parameters_and_intervals_cover():
    rng = np.random.default_rng(20240613)
    reps, sigma2_u, beta = 150, 0.5, np.array([1.0, 2.0, -1.0])
    s2, betas, cover_eb, cover_syn, trunc, sq_err, stated = [], [], [], [], 0, [], []
    for _ in range(reps):
        d, theta = _simulate_fh(rng, m=100, n_syn=15, sigma2_u=sigma2_u, beta=tuple(beta))
        r = fay_herriot(d, direct="y", vardir="D", covariates=["x1", "x2"], area="area")
        s2.append(r.sigma2_u)
        trunc += r.sigma2_u_truncated
        betas.append(r.beta["estimate"].to_numpy())
        e = r.estimates
        inside = (e["ci_low"] <= theta) & (theta <= e["ci_high"])
        cover_eb.append(inside[e["kind"] == "eblup"].mean())
        cover_syn.append(inside[e["kind"] == "synthetic"].mean())
        sq_err.append((e["estimate"] - theta) ** 2)
        stated.append(e["mse"])
    # unbiased within 4 Monte Carlo standard errors
    assert abs(np.mean(s2) - sigma2_u) < 4 * np.std(s2) / math.sqrt(reps)
    betas = np.array(betas)
    assert np.all(np.abs(betas.mean(axis=0) - beta) < 4 * betas.std(axis=0) / math.sqrt(reps))
    # the MSE estimator is unbiased for the empirical MSE (second order), area by area
    ratio = np.mean(stated, axis=0) / np.mean(sq_err, axis=0)
    assert np.mean(stated) == pytest.approx(np.mean(sq_err), rel=0.05)
    assert 0.9 <= np.median(ratio) <= 1.1
    # normal intervals: near 95% (a little under: sigma2_u is estimated from 85 areas)
    assert 0.925 <= np.mean(cover_eb) <= 0.965
    assert 0.915 <= np.mean(cover_syn) <= 0.97
    assert trunc < reps * 0.02


def test_simulation_ml_bias_term_keeps_coverage():
    rng = np.random.default_rng(7)
    cover = []
    for _ in range(100):
        d, theta = _simulate_fh(rng, m=40, n_syn=0, sigma2_u=0.3)
        r = fay_herriot(d, direct="y", vardir="D", covariates=["x1", "x2"], area="area",
                        method="ML")
        assert r.ml_bias < 0  # ML underestimates sigma2_u; the MSE adds -b B^2 > 0
        e = r.estimates
        cover.append(((e["ci_low"] <= theta) & (theta <= e["ci_high"])).mean())
    assert 0.925 <= np.mean(cover) <= 0.965


# ---------------------------------------------------------------------------------------------
# arcsine transform
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("theta", "s2"), [(0.05, 0.01), (0.6, 0.02), (1.5, 0.005)])
def test_arcsine_back_transform_moments(theta, s2):
    from abcresearch.stats.smallarea import _back_arcsine

    dens = stats.norm(theta, math.sqrt(s2)).pdf
    mean = integrate.quad(lambda t: math.sin(t) ** 2 * dens(t), -np.inf, np.inf)[0]
    second = integrate.quad(lambda t: math.sin(t) ** 4 * dens(t), -np.inf, np.inf)[0]
    est, mse, lo, hi = _back_arcsine(np.array([theta]), np.array([s2]), "bias_corrected", 1.96)
    assert est[0] == pytest.approx(mean, rel=1e-9)
    assert mse[0] == pytest.approx(second - mean**2, rel=1e-7)
    naive, mse_n, _, _ = _back_arcsine(np.array([theta]), np.array([s2]), "naive", 1.96)
    assert naive[0] == pytest.approx(math.sin(theta) ** 2)
    assert mse_n[0] == pytest.approx(second - 2 * naive[0] * mean + naive[0] ** 2, rel=1e-7)
    assert lo[0] == pytest.approx(math.sin(max(theta - 1.96 * math.sqrt(s2), 0)) ** 2)
    assert hi[0] == pytest.approx(math.sin(min(theta + 1.96 * math.sqrt(s2), np.pi / 2)) ** 2)


def test_arcsine_helpers():
    assert arcsine([0, 0.5, 1]).tolist() == pytest.approx([0, math.pi / 4, math.pi / 2])
    v = arcsine_variance([0.0, 0.5, 1.0], [0.01, 0.01, 0.01])
    assert np.isnan(v[0]) and np.isnan(v[2]) and v[1] == pytest.approx(0.01)


def _simulate_shares(rng, m=80, n_syn=16, sigma2_u=0.03, n_eff=150):
    x = rng.uniform(0, 1, m)
    theta_t = 0.3 + 0.4 * x + rng.normal(0, math.sqrt(sigma2_u), m)
    p = np.sin(np.clip(theta_t, 0, np.pi / 2)) ** 2
    n = rng.integers(n_eff // 2, 2 * n_eff, m)
    vt = 1 / (4 * n)
    yt = theta_t + rng.normal(0, np.sqrt(vt))
    share = np.sin(np.clip(yt, 0, np.pi / 2)) ** 2
    share[:n_syn] = np.nan
    return pd.DataFrame({"area": [f"t{i}" for i in range(m)], "x": x, "p": share,
                         "vt": vt}), p


def test_simulation_arcsine_back_transform_bias_and_coverage():
    rng = np.random.default_rng(11)
    err_bc, err_naive, cover = [], [], []
    for _ in range(100):
        d, p = _simulate_shares(rng)
        kw = {"direct": "p", "vardir": "vt", "covariates": ["x"], "area": "area",
              "transform": "arcsine", "vardir_scale": "transformed"}
        bc = fay_herriot(d, **kw).estimates
        nv = fay_herriot(d, back_transform="naive", **kw).estimates
        syn = bc["kind"] == "synthetic"
        err_bc.append((bc["estimate"] - p)[syn].mean())
        err_naive.append((nv["estimate"] - p)[syn].mean())
        cover.append(((bc["ci_low"] <= p) & (p <= bc["ci_high"])).mean())
        assert ((bc["estimate"] >= 0) & (bc["estimate"] <= 1)).all()
    # shares below 1/2: the naive sin^2 is biased downwards by about cos(2 theta) MSE; the
    # bias-corrected E[sin^2 T] removes it
    se = np.std(err_naive) / math.sqrt(len(err_naive))
    assert np.mean(err_naive) < -3 * se
    assert abs(np.mean(err_bc)) < abs(np.mean(err_naive)) / 3
    assert 0.93 <= np.mean(cover) <= 0.97


# ---------------------------------------------------------------------------------------------
# generalised variance function
# ---------------------------------------------------------------------------------------------


def _gvf_data(rng, n_areas=120):
    villages = rng.choice([0, 1, 1, 2, 2, 3, 4, 5], n_areas)
    households = villages * rng.integers(20, 40, n_areas)
    p = rng.uniform(0.1, 0.6, n_areas)
    noise = rng.normal(0, 0.3, n_areas)
    with np.errstate(divide="ignore"):
        v = np.exp(np.log(2.0) + np.log(p * (1 - p)) - np.log(households) + noise)
    v[villages == 1] *= 0.3  # one village: the between-village part is missing
    p[villages == 0] = np.nan
    v[villages == 0] = np.nan
    return pd.DataFrame({"area": [f"{800100 + i}" for i in range(n_areas)], "p": p, "v": v,
                         "hh": households, "vil": villages})


def test_gvf_recovers_the_variance_function_and_replaces_untrusted_only():
    d = _gvf_data(np.random.default_rng(3))
    g = fit_gvf(d, area="area", direct="p", vardir="v", households="hh", villages="vil",
                terms=["log_households", "log_pq"])
    c = g.coefficients["estimate"]
    assert c["log_households"] == pytest.approx(-1, abs=0.15)
    assert c["log_pq"] == pytest.approx(1, abs=0.3)
    assert g.smearing == pytest.approx(math.exp(0.3**2 / 2), rel=0.05)
    t = g.table
    assert g.n_fit == int((d["vil"] >= 2).sum())
    assert (t.loc[d["vil"] == 1, "source"] == "gvf").all()
    assert (t.loc[d["vil"] >= 2, "source"] == "direct").all()
    assert (t.loc[d["vil"] == 0, "source"] == "none").all()
    pd.testing.assert_series_equal(t.loc[d["vil"] >= 2, "vardir_used"],
                                   d.loc[d["vil"] >= 2, "v"], check_names=False)
    one = d["vil"] == 1
    # the GVF undoes the understatement of one-village variances (0.3 times the truth)
    ratio = (t.loc[one, "vardir_used"] / d.loc[one, "v"]).median()
    assert 2.5 < ratio < 4.5
    assert "log_pq" in repr(g) and "<table" in g._repr_html_()


def test_gvf_arcsine_predicts_for_shares_of_zero():
    d = _gvf_data(np.random.default_rng(4))
    one = d.index[d["vil"] == 1][:2]
    d.loc[one, "p"] = [0.0, 1.0]
    d.loc[one, "v"] = 0.0
    g = fit_gvf(d, area="area", direct="p", vardir="v", households="hh", villages="vil",
                transform="arcsine")
    assert g.table.loc[one, "vardir_used"].gt(0).all()
    assert g.table.loc[one, "source"].eq("gvf").all()
    # untransformed with log_pq this cannot be done, and the error says what to do
    with pytest.raises(DesignError, match="arcsine"):
        fit_gvf(d, area="area", direct="p", vardir="v", households="hh", villages="vil",
                terms=["log_households", "log_pq"])
    # the arcsine-scale variances feed the model directly
    d["x"] = np.random.default_rng(5).uniform(0, 1, len(d))
    d["vt"] = g.table["vardir_used"]
    r = fay_herriot(d, direct="p", vardir="vt", covariates=["x"], area="area",
                    transform="arcsine", vardir_scale="transformed")
    assert r.estimates["estimate"].between(0, 1).all()


def test_gvf_errors():
    d = _gvf_data(np.random.default_rng(6)).head(5)
    with pytest.raises(DesignError, match="needs at least 5 areas .* found 4"):
        fit_gvf(d, area="area", direct="p", vardir="v", households="hh", villages="vil",
                terms=["log_households", "log_pq"])
    with pytest.raises(DesignError, match="unknown"):
        fit_gvf(d, area="area", direct="p", vardir="v", households="hh", villages="vil",
                terms=["log_income"])
    with pytest.raises(DesignError, match="log_pq cannot be used on the arcsine"):
        fit_gvf(d, area="area", direct="p", vardir="v", households="hh", villages="vil",
                terms=["log_pq"], transform="arcsine")


# ---------------------------------------------------------------------------------------------
# benchmarking
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixed", [False, True], ids=["all-adjusted", "direct-fixed"])
@pytest.mark.parametrize(("method", "allocation"),
                         [("difference", "uniform"), ("difference", "mse"), ("ratio", "mse")])
def test_benchmark_agrees_with_the_target(method, allocation, fixed):
    d, y, cov = DATA["sim"]
    d = d.assign(y=d["y"] + 5)  # positive, for ratio
    res = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area")
    e0 = res.estimates
    keep = list(e0.loc[e0["kind"].eq("eblup") & e0["vardir"].lt(0.8), "area"]) if fixed else []
    hh = pd.Series(np.arange(len(d)) + 50.0, index=d["area"])
    b = res.benchmark(hh, 6.0, method=method, allocation=allocation, fixed=keep)
    e = b.estimates
    w = (hh / hh.sum()).to_numpy()
    kept = e["area"].isin(keep).to_numpy()
    published = np.where(kept, e0["direct"], e0["estimate"])
    assert float(w @ e["estimate"].to_numpy()) == pytest.approx(6.0)
    assert b.benchmark_info.before == pytest.approx(w @ published)
    assert (e.loc[kept, "kind"] == "direct").all() and (e.loc[kept, "adjustment"] == 0).all()
    np.testing.assert_array_equal(e.loc[kept, "estimate"], e0.loc[kept, "direct"])
    np.testing.assert_array_equal(e.loc[kept, "mse"], e0.loc[kept, "vardir"])
    adj = e.loc[~kept, "adjustment"]
    if allocation == "uniform":
        assert np.ptp(adj) < 1e-12
    if method == "difference" and allocation == "mse":
        scaled = adj / (e0.loc[~kept, "mse"] * w[~kept])
        np.testing.assert_allclose(scaled, scaled.iloc[0])
    if method == "ratio":
        factor = e.loc[~kept, "estimate"] / e0.loc[~kept, "estimate"]
        np.testing.assert_allclose(factor, factor.iloc[0])
    assert b.n_direct == res.n_direct
    assert "Benchmarked" in b.summary().as_text()
    with pytest.raises(DesignError, match="already benchmarked"):
        b.benchmark(hh, 6.0)


def test_benchmark_errors():
    d, y, cov = DATA["sim"]
    res = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area")
    hh = pd.Series(100.0, index=d["area"])
    with pytest.raises(DesignError, match="missing for area"):
        res.benchmark(hh.iloc[1:], 2.0)
    with pytest.raises(DesignError, match="did not estimate"):
        res.benchmark(pd.concat([hh, pd.Series({"Z99": 5.0})]), 2.0)
    with pytest.raises(DesignError, match="must be positive"):
        res.benchmark(hh.where(hh.index != "A05", 0.0), 2.0)
    with pytest.raises(DesignError, match="method must be one of"):
        res.benchmark(hh, 2.0, method="raking")
    with pytest.raises(DesignError, match="A03 have no direct estimate to keep"):
        res.benchmark(hh, 2.0, fixed=["A01", "A03"])
    with pytest.raises(DesignError, match="not areas of the results"):
        res.benchmark(hh, 2.0, fixed=["Z99"])


def test_simulation_benchmark_mse_approximation():
    """The stated MSE of benchmarked estimates matches their empirical MSE over replicates.

    Replicates of the Fay-Herriot model with household weights; the province estimate is the
    true household-weighted mean plus an independent error of variance V_P (the stated
    assumption). Compares, area by area, the average stated MSE with the empirical MSE.
    """
    rng = np.random.default_rng(99)
    reps, m, vp = 200, 50, 0.002
    hh = rng.integers(200, 2000, m).astype(float)
    w = hh / hh.sum()
    x1 = rng.uniform(0, 1, m)
    x2 = rng.normal(0, 1, m)
    D = rng.uniform(0.2, 1.5, m)
    err = {k: [] for k in ("uniform", "mse", "ratio", "fixed")}
    stated = {k: [] for k in err}
    err0 = []
    for _ in range(reps):
        theta = 3 + 2 * x1 - x2 + rng.normal(0, math.sqrt(0.4), m)
        y = theta + rng.normal(0, np.sqrt(D))
        y[:10] = np.nan
        d = pd.DataFrame({"area": [f"a{i}" for i in range(m)], "x1": x1, "x2": x2, "D": D,
                          "y": y})
        r = fay_herriot(d, direct="y", vardir="D", covariates=["x1", "x2"], area="area")
        target = float(w @ theta) + rng.normal(0, math.sqrt(vp))
        err0.append(r.estimates["estimate"].to_numpy() - theta)
        wts = pd.Series(hh, index=d["area"])
        for k in err:
            meth, alloc = ("ratio", "mse") if k == "ratio" else ("difference", k)
            # "fixed": areas with small sampling variances are published as direct estimates
            fixed = list(d["area"][10:][D[10:] < 0.6]) if k == "fixed" else None
            b = r.benchmark(wts, target, target_variance=vp, method=meth,
                            allocation="mse" if k == "fixed" else alloc, fixed=fixed).estimates
            err[k].append(b["estimate"].to_numpy() - theta)
            stated[k].append(b["mse"].to_numpy())
    for k in err:
        emp = np.mean(np.square(err[k]), axis=0)
        st = np.mean(stated[k], axis=0)
        ratio = st / emp
        assert 0.9 <= np.median(ratio) <= 1.1, (k, np.median(ratio))
        assert np.mean(st) == pytest.approx(np.mean(emp), rel=0.08), k
    # benchmarking to an accurate province estimate barely changes the MSE of small areas
    emp0 = np.mean(np.square(err0), axis=0)
    emp_u = np.mean(np.square(err["uniform"]), axis=0)
    assert np.median(emp_u / emp0) == pytest.approx(1, abs=0.1)


# ---------------------------------------------------------------------------------------------
# settings, covariates from bmn.csv, and the whole chain
# ---------------------------------------------------------------------------------------------


def test_settings_load_and_agree_with_the_status_model():
    s = load_smallarea_settings()
    assert s.method == "REML" and s.covariate_year > 2400 and s.covariates
    status = yaml.safe_load((PARAMS / "status.yaml").read_text(encoding="utf-8"))
    assert s.gvf_min_villages == status["min_sampled_villages"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.method = "ML"  # type: ignore[misc]
    assert s.transform_for("share") == "arcsine" and s.transform_for("mean") == "none"
    assert pickle.loads(pickle.dumps(s)) == s  # settings and results travel to dask workers
    d, y, cov = DATA["milk"]
    res = fay_herriot(d, direct=y, vardir="D", covariates=cov, area="area")
    back = pickle.loads(pickle.dumps(res))
    pd.testing.assert_frame_equal(back.estimates, res.estimates)


def test_settings_report_every_problem(tmp_path):
    doc = yaml.safe_load((PARAMS / "smallarea.yaml").read_text(encoding="utf-8"))
    doc["model"]["method"] = "EB"
    doc["covariates"]["year"] = 2006
    doc["gvf"]["terms"]["share"] = ["log_pq"]
    doc["benchmark"]["alocation"] = doc["benchmark"].pop("allocation")
    p = tmp_path / "smallarea.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_smallarea_settings(p)
    msg = str(info.value)
    for part in ("model.method must be one of", "covariates.year must be a Buddhist-era",
                 "gvf.terms.share may not use log_pq", "unknown key(s) ['alocation']",
                 "missing benchmark.allocation"):
        assert part in msg


def _bmn(settings) -> pd.DataFrame:
    rng = np.random.default_rng(8)
    codes = [f"8001{t:02d}{v:02d}" for t in range(1, 4) for v in range(1, 4)]
    out = pd.DataFrame({"village_code": codes, "bmn_year": settings.covariate_year,
                        "bmn_households": rng.integers(50, 300, len(codes))})
    for c in settings.covariates:
        out[c] = rng.uniform(0, 1, len(codes)).round(3)
    old = out.iloc[:2].assign(bmn_year=settings.covariate_year - 1)
    return pd.concat([out, old], ignore_index=True)


def test_area_covariates_weights_by_households_and_picks_the_year():
    s = load_smallarea_settings()
    bmn = _bmn(s)
    cov = area_covariates(bmn, settings=s)
    assert list(cov["area"]) == ["800101", "800102", "800103"]
    cur = bmn[bmn["bmn_year"] == s.covariate_year]
    first = cur[cur["village_code"].str.startswith("800101")]
    c0 = s.covariates[0]
    expected = (first[c0] * first["bmn_households"]).sum() / first["bmn_households"].sum()
    assert cov.loc[0, c0] == pytest.approx(expected)
    assert cov.loc[0, "bmn_households"] == first["bmn_households"].sum()


def test_area_covariates_errors_name_file_row_column_rule():
    s = load_smallarea_settings()
    bmn = _bmn(s)
    with pytest.raises(InputError, match=r"bmn.csv: column\(s\) no_savings missing"):
        area_covariates(bmn.drop(columns="no_savings"), settings=s)
    with pytest.raises(InputError, match="no rows with bmn_year"):
        area_covariates(bmn.assign(bmn_year=2500), settings=s)
    bad = bmn.copy()
    bad.loc[4, "no_savings"] = 1.7
    with pytest.raises(InputError) as info:
        area_covariates(bad, settings=s)
    assert str(info.value).startswith("bmn.csv row 6, column no_savings: value 1.7 is not a "
                                      "share between 0 and 1")


def _province(rng, n=90):
    """Tambons: a share measure with 0, 1 or more sampled villages, covariates, households."""
    vil = rng.choice([0, 1, 1, 2, 3, 4], n)
    hh_s = vil * 30
    x = rng.uniform(0, 1, n)
    theta_t = 0.4 + 0.5 * x + rng.normal(0, 0.1, n)
    p_true = np.sin(theta_t) ** 2
    with np.errstate(divide="ignore"):
        v = 1.5 * p_true * (1 - p_true) / hh_s
    p_hat = np.clip(p_true + rng.normal(0, np.sqrt(np.where(vil > 0, v, 0))), 0, 1)
    v = np.where(vil == 1, v * 0.2, v)
    return pd.DataFrame({"area": [f"80{i:04d}" for i in range(n)],
                         "p": np.where(vil > 0, p_hat, np.nan),
                         "v": np.where(vil > 0, v, np.nan), "hh_s": hh_s, "vil": vil, "x": x,
                         "hh": rng.integers(300, 3000, n)})


def test_small_area_estimates_chain():
    s = dataclasses.replace(load_smallarea_settings(), covariates=("x",))
    d = _province(np.random.default_rng(21))
    res = small_area_estimates(d, area="area", direct="p", vardir="v", households="hh_s",
                               villages="vil", kind="share", settings=s,
                               benchmark_weights="hh", benchmark_target=0.45,
                               benchmark_variance=1e-5)
    assert res.transform == "arcsine" and res.gvf is not None
    src = res.gvf.table.set_index("area")["source"]
    assert (src[d.set_index("area")["vil"] == 1] == "gvf").all()
    e = res.estimates
    assert (e["kind"] == np.where(d["vil"] > 0, "eblup", "synthetic")).all()
    w = d["hh"] / d["hh"].sum()
    assert float(w @ e["estimate"]) == pytest.approx(0.45)
    text = res.summary().as_text()
    assert "generalised variance function" in text and "Benchmarked" in text
    with pytest.raises(DesignError, match="kind must be one of"):
        small_area_estimates(d, area="area", direct="p", vardir="v", households="hh_s",
                             villages="vil", kind="total", settings=s)
