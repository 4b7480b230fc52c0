"""Seed (cluster) bootstrap of a fitted form, optionally with test-row replicates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io import InputError
from .batched import fit_batch
from .fitting import FitResult, fit_curve
from .forms import Context, Form, _as_curve, get_form
from .resampling import _check_replicates, bootstrap_interval, seed_draws, widening


@dataclass
class BootstrapResult:
    fit: FitResult
    intervals: pd.DataFrame      # parameter, estimate, ci_low, ci_high
    predictions: pd.DataFrame    # n, estimate, ci_low, ci_high
    samples: pd.DataFrame        # one row per successful resample, indexed by draw number
    interval: str
    n_boot: int
    n_failed: int
    n_seeds: int


def _param_limits(form: Form, ctx: Context) -> tuple[dict, dict]:
    lo, hi = form.bounds(ctx)
    lower, upper = {}, {}
    for i, name in enumerate(form.param_names):
        if name in ("e_inf", "c", "c0", "c1", "alpha"):  # reported == internal coordinate
            lower[name], upper[name] = lo[i], hi[i]
    upper.pop("e_inf", None)  # the floor's upper bound moves with each resample
    return lower, upper


def _refits_scipy(n, e, reps, rows, draws, form, fit, loss, grid):
    """One scipy least_squares refit per resample (the reference for _refits_batched)."""
    samples, preds, kept = [], [], []
    for i, draw in enumerate(draws):
        idx = np.concatenate([rows[g] for g in draw])
        e_b = e if reps is None else reps[:, i]
        try:
            refit = fit_curve(n[idx], e_b[idx], form, loss=loss, f_scale=fit.f_scale, x0=fit.theta,
                              context=fit.context)
        except (RuntimeError, ValueError):
            continue
        if refit.success:
            samples.append(refit.params)
            kept.append(i)
            preds.append(refit.predict(grid))
    return samples, preds, kept


def _refits_batched(n, e, reps, codes, draws, form, fit, grid):
    """All resamples in one fit_batch: a drawn seed's points weighted by how often it was drawn;
    a resample with an unusable drawn value fails, as in _refits_scipy."""
    ctx = fit.context
    counts = np.zeros((len(draws), codes.max() + 1))
    np.add.at(counts, (np.repeat(np.arange(len(draws)), draws.shape[1]), draws.ravel()), 1.0)
    weights = counts[:, codes]
    values = np.broadcast_to(e, weights.shape) if reps is None else reps.T
    drawn = weights > 0
    usable = np.all(np.isfinite(values) | ~drawn, axis=1)
    values = np.where(drawn & np.isfinite(values), values, 1.0)
    bounds = [form.bounds(Context(ctx.log_n_ref, ctx.x_min, ctx.x_max, float(v[d].min()), float(v[d].max()),
                                  ctx.e_upper)) for v, d in zip(values, drawn)]
    lo, hi = np.array([b[0] for b in bounds]), np.array([b[1] for b in bounds])
    x = np.log(n) - ctx.log_n_ref
    batch = fit_batch(form, x, np.log(values), weights, np.broadcast_to(fit.theta, lo.shape), lo, hi,
                      fit.f_scale, ctx)
    kept = np.flatnonzero(batch.converged & usable)
    theta = batch.theta[kept]
    samples = [{k: float(v) for k, v in form.to_params(t, ctx).items()} for t in theta]
    x_grid = np.log(grid) - ctx.log_n_ref
    preds = np.exp(form.log_model(tuple(theta.T[:, :, None]), x_grid, ctx, False)[0])
    return samples, list(preds), kept.tolist()


def bootstrap_fit(n, e, seed_ids, form="power_law_floor", n_boot: int = 200, rng_seed: int = 0, *,
                  predict_at=None, interval: str = "cluster_t", level: float = 0.95, fit: FitResult | None = None,
                  e_upper: float | None = None, loss: str = "huber", e_replicates=None,
                  solver: str = "batched") -> BootstrapResult:
    """Seed (cluster) bootstrap of a fit: percentile intervals, widened for few seeds by default.

    Each resample draws seeds with replacement, keeps all sizes of a drawn seed, and refits
    from the point estimate with the point fit's Huber threshold (warm start, tight tolerances).
    interval="cluster_t" multiplies the percentile half-widths (about the bootstrap median) by
    t_{G-1}/z * sqrt(G/(G-1)) for G seeds; "percentile" is the plain percentile interval.
    solver="batched" refits all resamples at once (batched.fit_batch; Huber loss, forms with a
    batched model), "scipy" one least_squares per resample (the reference).
    Positive scale parameters (b, beta, d, f) and predictions are widened on the log scale.
    `e_replicates` (n points x n_boot), when given, are test-row resamples of e: resample b
    then draws seeds AND takes its values from column b, so both sources of noise enter.
    """
    form = get_form(form)
    if solver not in ("batched", "scipy"):
        raise InputError(f"solver {solver!r} unknown; use 'batched' or 'scipy'")
    n, e, seeds = _as_curve(n, e, seed_ids, need_seeds=True)
    reps = _check_replicates(e_replicates, n.size, n_boot)
    widening(2, level, interval)  # validates `interval`
    if n_boot < 20:
        raise InputError(f"n_boot={n_boot} is too few for 95% percentile intervals (use >= 20)")
    fit = fit or fit_curve(n, e, form, loss=loss, e_upper=e_upper)
    labels, codes = np.unique(seeds, return_inverse=True)
    rows = [np.flatnonzero(codes == g) for g in range(labels.size)]
    draws = seed_draws(labels.size, n_boot, rng_seed)
    grid = np.unique(n) if predict_at is None else np.asarray(predict_at, float)
    if solver == "batched" and form.batchable and loss == "huber":
        samples, preds, kept = _refits_batched(n, e, reps, codes, draws, form, fit, grid)
    else:
        samples, preds, kept = _refits_scipy(n, e, reps, rows, draws, form, fit, loss, grid)
    failed = n_boot - len(samples)
    if len(samples) < max(10, n_boot // 2):
        raise RuntimeError(f"bootstrap of {form.name}: only {len(samples)} of {n_boot} refits converged")
    # indexed by draw number: curves fitted with the same seeds and rng_seed pair up on it
    table = pd.DataFrame(samples, columns=list(form.param_names), index=pd.Index(kept, name="draw"))
    lower, upper = _param_limits(form, fit.context)
    records = []
    for name in form.param_names:
        lo, hi = bootstrap_interval(table[name].to_numpy(), labels.size, level, interval,
                                    log=name in form.log_params, lower=lower.get(name), upper=upper.get(name))
        records.append({"parameter": name, "estimate": fit.params[name], "ci_low": float(lo), "ci_high": float(hi)})
    p_lo, p_hi = bootstrap_interval(np.array(preds), labels.size, level, interval, log=True)
    predictions = pd.DataFrame({"n": grid, "estimate": fit.predict(grid), "ci_low": p_lo, "ci_high": p_hi})
    return BootstrapResult(fit=fit, intervals=pd.DataFrame(records), predictions=predictions, samples=table,
                           interval=interval, n_boot=n_boot, n_failed=failed, n_seeds=labels.size)
