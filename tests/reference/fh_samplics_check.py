"""Cross-check of the Fay-Herriot reference values with samplics' EblupAreaModel.

Not a test (samplics is not a dependency of abcresearch): run by hand with samplics importable,
e.g. installed into a separate folder:

    .venv/bin/pip install --target /tmp/samplics_site --no-deps samplics==0.6.1 polars
    PYTHONPATH=/tmp/samplics_site .venv/bin/python tests/reference/fh_samplics_check.py

It fits samplics' EblupAreaModel (REML and ML, tol 1e-10) to the datasets of
``fh_make_reference.R`` and prints the largest relative differences from ``fh_estimates.csv``,
``fh_coefficients.csv`` and ``fh_fit.csv`` (the transcription of sae run with
PRECISION = 1e-10) for the areas with a direct estimate; the output is stored in
``fh_samplics_check.txt``.

Result (samplics 0.6.1 wheel, reporting 0.6.0): REML agrees to about 1e-12 on every dataset.
ML does not, and samplics is the one at fault: in ``_iterative_fisher_scoring`` the ML score is
a 1-element array, so after the first step ``sigma2_v`` is an array and ``sigma2_v +=`` updates
it in place, the alias ``sigma2_v_previous`` changes with it, the relative change reads 0 and
the loop stops after 2 iterations (the ML score at samplics' value is far from 0: -0.63 on
milk, against 6e-8 at sae's).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def datasets() -> dict[str, tuple[pd.DataFrame, str, list[str]]]:
    milk = pd.read_csv(HERE / "fh_milk.csv")
    milk["area"] = milk["SmallArea"].astype(str)
    milk["D"] = milk["SD"] ** 2
    for k in (2, 3, 4):
        milk[f"major{k}"] = (milk["MajorArea"] == k).astype(float)
    sim = pd.read_csv(HERE / "fh_sim.csv")
    return {"milk": (milk, "yi", ["major2", "major3", "major4"]),
            "sim": (sim, "y", ["x1", "x2"]),
            "sim_zero": (sim.assign(y=sim["y0"]), "y", ["x1", "x2"])}


def rel(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12)))


def main() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import samplics
        from samplics.sae import EblupAreaModel
        from samplics.utils.types import FitMethod
    ref = pd.read_csv(HERE / "fh_estimates.csv", dtype={"area": str, "precision": str})
    coef = pd.read_csv(HERE / "fh_coefficients.csv", dtype={"precision": str})
    fit = pd.read_csv(HERE / "fh_fit.csv", dtype={"precision": str})
    print(f"samplics {getattr(samplics, '__version__', '?')}, EblupAreaModel, tol 1e-10")
    for name, (d, ycol, cov) in datasets().items():
        obs = d[d[ycol].notna()]
        for method in ("REML", "ML"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = EblupAreaModel(method=FitMethod(method))
                m.fit(yhat=obs[ycol].to_numpy(), X=obs[cov].to_numpy(), area=obs["area"].to_numpy(),
                      error_std=np.sqrt(obs["D"].to_numpy()), tol=1e-10, maxiter=200)
                m.predict(X=obs[cov].to_numpy(), area=obs["area"].to_numpy())
            sel = (ref.dataset == name) & (ref.method == method) & (ref.precision == "1e-10") \
                & (ref.kind == "eblup")
            r = ref[sel].set_index("area").loc[obs["area"]]
            est = np.array([m.area_est[a] for a in obs["area"]])
            mse = np.array([m.area_mse[a] for a in obs["area"]])
            c = coef[(coef.dataset == name) & (coef.method == method)
                     & (coef.precision == "1e-10")]
            f = fit[(fit.dataset == name) & (fit.method == method)
                    & (fit.precision == "1e-10")].iloc[0]
            s2 = float(np.ravel(m.re_std)[0]) ** 2
            print(f"{name:9s} {method:4s} sigma2_u samplics {s2:.10g} sae {f.sigma2_u:.10g} | "
                  f"max rel diff: eblup {rel(est, r.estimate):.2e}, mse {rel(mse, r.mse):.2e}, "
                  f"beta {rel(m.fixed_effects, c.beta):.2e}, "
                  f"beta se {rel(m.fe_std, c.std_error):.2e}")


if __name__ == "__main__":
    main()
