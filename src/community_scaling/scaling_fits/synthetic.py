"""Synthetic learning curves and tables with known parameters, and the coverage of intervals on them."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from joblib import delayed

from ..io import InputError
from .bootstrap import bootstrap_fit
from .forms import Context, get_form
from .table import AGGREGATE
from ..workers import parallel

# the census study's swept sizes: 128 doubling to 131,072, then all 149,175 training rows
CENSUS_SIZES = np.array([128 * 2 ** k for k in range(11)] + [149_175], float)


def simulate_curve(form, params: dict, sizes=None, n_seeds: int = 5, noise_sd: float = 0.05,
                   seed_sd: float = 0.0, rng=None) -> pd.DataFrame:
    """Synthetic learning curve: true e(n) times lognormal noise (sd `noise_sd` per point, plus
    `seed_sd` shared by all sizes of a seed). Columns n, e, seed."""
    form = get_form(form)
    rng = np.random.default_rng(rng)
    sizes = np.unique(np.round(np.geomspace(128, 150_000, 12))) if sizes is None else np.asarray(sizes, float)
    truth = true_curve(form, params, sizes)
    n = np.tile(sizes, n_seeds)
    seed = np.repeat(np.arange(n_seeds), sizes.size)
    noise = rng.normal(0, noise_sd, n.size) + np.repeat(rng.normal(0, seed_sd, n_seeds), sizes.size)
    return pd.DataFrame({"n": n, "e": np.tile(truth, n_seeds) * np.exp(noise), "seed": seed})


def true_curve(form, params: dict, n) -> np.ndarray:
    """e(n) of a form at given parameters (reported parameterisation)."""
    form = get_form(form)
    n = np.asarray(n, float)
    ctx = Context(log_n_ref=0.0, x_min=float(np.log(n).min()), x_max=float(np.log(n).max()),
                  e_min=float(params.get("e_inf", 0)) + 1, e_max=1.0, e_upper=None)
    return np.exp(form.log_model(form.from_params(params, ctx), np.log(n), ctx, jac=False)[0])


def _coverage_rep(rep, form, params, parameter, n_boot, sizes, n_seeds, noise_sd, seed_sd, interval, level, rng_seed):
    data = simulate_curve(form, params, sizes, n_seeds, noise_sd, seed_sd, rng=[rng_seed, rep])
    try:
        boot = bootstrap_fit(data.n, data.e, data.seed, form, n_boot=n_boot, rng_seed=rep,
                             interval=interval, level=level)
    except (InputError, RuntimeError):
        return None
    row = boot.intervals.set_index("parameter").loc[parameter]
    return float(row.estimate), float(row.ci_low), float(row.ci_high)


def interval_coverage(form="power_law_floor", params: dict | None = None, parameter: str = "c", *,
                      n_rep: int = 200, n_boot: int = 200, sizes=None, n_seeds: int = 5, noise_sd: float = 0.05,
                      seed_sd: float = 0.0, interval: str = "cluster_t", level: float = 0.95, rng_seed: int = 0,
                      n_jobs: int = 1) -> dict:
    """Share of `n_rep` synthetic curves (known parameters) whose interval for `parameter` covers the truth."""
    form = get_form(form)
    params = params or {"e_inf": 0.08, "b": 3.0, "c": 0.45}
    if parameter not in params:
        raise InputError(f"parameter {parameter!r} is not one of {sorted(params)}")
    started = time.perf_counter()
    out = parallel(n_jobs)(delayed(_coverage_rep)(r, form.name, params, parameter, n_boot, sizes, n_seeds,
                                                         noise_sd, seed_sd, interval, level, rng_seed)
                                  for r in range(n_rep))
    got = np.array([o for o in out if o is not None])
    truth = params[parameter]
    covered = (got[:, 1] <= truth) & (truth <= got[:, 2])
    return {"form": form.name, "parameter": parameter, "truth": truth, "interval": interval, "n_rep": n_rep,
            "n_used": int(len(got)), "coverage": float(covered.mean()), "miss_low": float((got[:, 1] > truth).mean()),
            "miss_high": float((got[:, 2] < truth).mean()), "median_width": float(np.median(got[:, 2] - got[:, 1])),
            "median_estimate": float(np.median(got[:, 0])), "seconds": time.perf_counter() - started}



def synthetic_table(n_models: int = 2, n_communities: int = 60, n_seeds: int = 5, sizes=None,
                    noise_sd: float = 0.05, rng_seed: int = 0) -> pd.DataFrame:
    """A table in the input contract's shape: power-law-with-floor curves per community, a few
    communities plateaued or slower, lognormal noise that grows for small communities."""
    rng = np.random.default_rng(rng_seed)
    sizes = np.unique(np.round(np.geomspace(128, 150_000, 12))) if sizes is None else np.asarray(sizes, float)
    rows = []
    for m in range(n_models):
        n_eval = rng.integers(50, 3000, n_communities)
        c = np.where(rng.random(n_communities) < 0.15, 0.1, 0.4 + 0.05 * m)
        e_inf = rng.uniform(0.05, 0.15, n_communities)
        curves = e_inf[:, None] + 2.5 * sizes[None, :] ** -c[:, None]
        weight = n_eval / n_eval.sum()
        for s in range(n_seeds):
            seed_shift = rng.normal(0, 0.02)
            noisy = curves * np.exp(seed_shift + rng.normal(0, 1, curves.shape) *
                                    noise_sd * np.sqrt(1000 / n_eval)[:, None])
            for k in range(n_communities):
                rows.append(pd.DataFrame({"model": f"model{m}", "scale": sizes, "seed": s, "attribute": "group",
                                          "community": f"c{k:02d}", "metric": "error", "value": noisy[k],
                                          "n_eval": n_eval[k]}))
            rows.append(pd.DataFrame({"model": f"model{m}", "scale": sizes, "seed": s, "attribute": AGGREGATE,
                                      "community": AGGREGATE, "metric": "error", "value": weight @ noisy,
                                      "n_eval": n_eval.sum()}))
    return pd.concat(rows, ignore_index=True)
