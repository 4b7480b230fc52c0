"""Many fits of one form at once: a damped Gauss-Newton (Levenberg-Marquardt) solver over a batch.

Each batch row is one problem (a resample of a curve, or one starting point): the same Huber loss
on log residuals as fitting.fit_curve, per-point weights (how often a point's seed was drawn), and
per-row box bounds. Huber enters as iteratively reweighted least squares (weight min(1, f/|r|)),
whose fixed point is the Huber minimum. Parameters at a bound with the gradient pushing outwards
are held there (an active set), the others take the damped step, projected into the box.
A row stops only when the same standard as scipy's tight pass holds (fitting.TIGHT): the
projected, scaled gradient, or (while the damping is small) the step, the relative cost
decrease or the decrease the Gauss-Newton model predicts, below 1e-12. scipy's least_squares
(fitting.fit_curve) stays the reference the tests compare with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..io import InputError
from .fitting import MAX_NFEV, TIGHT
from .forms import Form, get_form


@dataclass
class BatchFit:
    theta: np.ndarray      # (batch, params), internal coordinates
    cost: np.ndarray       # (batch,) Huber cost, as least_squares reports it
    converged: np.ndarray  # (batch,) bool
    n_iter: int


def huber_cost(r, weights, f_scale) -> np.ndarray:
    """sum_i w_i rho(r_i) with rho = r^2/2 inside f_scale, f|r| - f^2/2 outside (per row)."""
    a = np.abs(r)
    rho = np.where(a <= f_scale, 0.5 * r * r, f_scale * a - 0.5 * f_scale * f_scale)
    return np.sum(weights * rho, axis=-1)


def _evaluate(form, theta, x, y, weights, ctx, f_scale):
    """Residuals, Jacobian of the log model and Huber cost; unusable points give an infinite cost."""
    with np.errstate(all="ignore"):
        log_m, jac = form.log_model(tuple(theta.T[:, :, None]), x, ctx, True)
    r = y - log_m
    bad = ~np.isfinite(r) & (weights > 0)
    cost = np.where(bad.any(axis=1), np.inf, huber_cost(np.where(bad, 0.0, r), weights, f_scale[:, None]))
    jac = np.where(np.isfinite(jac), jac, 0.0)
    return np.where(np.isfinite(r), r, 0.0), jac, cost


def fit_batch(form, x, y, weights, theta0, lo, hi, f_scale, ctx, *, tol: dict = TIGHT,
              max_iter: int | None = None) -> BatchFit:
    """Huber fits of `form` to B problems at once.

    x (P,) centred log sizes shared by all rows; y (B, P) log values; weights (B, P) >= 0;
    theta0, lo, hi (B, K) starts and bounds in internal coordinates; f_scale scalar or (B,);
    ctx the Context the form's model reads (its bounds are passed in lo/hi, per row).
    """
    form = get_form(form)
    if not form.batchable:
        raise InputError(f"form {form.name!r} has no batched model; use fitting.fit_curve")
    y, weights = np.atleast_2d(y).astype(float), np.atleast_2d(weights).astype(float)
    theta = np.array(theta0, float, ndmin=2)
    if (y.shape != weights.shape or y.shape[0] != theta.shape[0] or theta.shape[1] != form.n_params
            or y.shape[1] != np.size(x)):
        raise InputError(f"fit_batch: x {np.shape(x)}, y {y.shape}, weights {weights.shape} and theta0 "
                         f"{theta.shape} do not match (points,), (batch, points) and (batch, {form.n_params})")
    lo, hi = np.broadcast_to(lo, theta.shape), np.broadcast_to(hi, theta.shape)
    f_scale = np.broadcast_to(np.asarray(f_scale, float), theta.shape[:1]).copy()
    margin = 1e-12 * (hi - lo)
    lo_in, hi_in = lo + margin, hi - margin
    theta = np.clip(theta, lo_in, hi_in)
    max_iter = max_iter or MAX_NFEV * form.n_params
    r, jac, cost = _evaluate(form, theta, x, y, weights, ctx, f_scale)
    damping = np.full(theta.shape[0], 1e-3)
    done = ~np.isfinite(cost)  # a start outside the model's domain stays failed
    converged = np.zeros(theta.shape[0], bool)
    eye = np.eye(form.n_params)
    for it in range(1, max_iter + 1):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        th, rr, jj, w = theta[act], r[act], jac[act], weights[act]
        # IRLS weight of Huber at the current residuals
        omega = w * np.minimum(1.0, f_scale[act, None] / np.maximum(np.abs(rr), 1e-300))
        normal = np.einsum("bp,bpk,bpl->bkl", omega, jj, jj)
        grad = np.einsum("bp,bpk,bp->bk", omega, jj, rr)  # descent direction: theta + step lowers the cost
        held = ((th <= lo_in[act]) & (grad < 0)) | ((th >= hi_in[act]) & (grad > 0))
        scale = np.sqrt(np.maximum(np.diagonal(normal, axis1=1, axis2=2), 1e-30))  # x_scale="jac"
        g_scaled = np.where(held, 0.0, grad / scale)
        g_ok = np.max(np.abs(g_scaled), axis=1) < tol["gtol"]
        free = ~held
        both_free = free[:, :, None] & free[:, None, :]
        curvature = np.where(both_free, normal / scale[:, :, None] / scale[:, None, :], 0.0)
        system = curvature + eye * (damping[act, None, None] + held[:, :, None])  # held rows: step 0
        step = np.linalg.solve(system, g_scaled[..., None])[..., 0] / scale
        trial = np.clip(th + np.where(free, step, 0.0), lo_in[act], hi_in[act])
        # decrease the quadratic model predicts: at the optimum to rounding, no trial is accepted
        s_scaled = (trial - th) * scale
        predicted = (np.einsum("bk,bk->b", g_scaled, s_scaled)
                     - 0.5 * np.einsum("bk,bkl,bl->b", s_scaled, curvature, s_scaled))
        r_t, j_t, c_t = _evaluate(form, trial, x, y[act], w, ctx, f_scale[act])
        better = c_t < cost[act]
        decrease = cost[act] - np.where(better, c_t, cost[act])
        moved = np.linalg.norm(trial - th, axis=1)
        # a small change counts only while the damping does not limit the step (scipy's ratio > 0.25)
        small = better & (damping[act] < 1.0) & ((decrease < tol["ftol"] * cost[act])
                          | (moved < tol["xtol"] * (tol["xtol"] + np.linalg.norm(th, axis=1))))
        idx = act[better]
        theta[idx], r[idx], jac[idx], cost[idx] = trial[better], r_t[better], j_t[better], c_t[better]
        damping[act] = np.where(better, np.maximum(damping[act] / 3, 1e-12), damping[act] * 4)
        # judged after the update (the damping and cost the next iteration would use)
        unclipped = np.all(trial == th + np.where(free, step, 0.0), axis=1)
        flat = (damping[act] < 1.0) & unclipped & (predicted < tol["ftol"] * cost[act])
        stop = g_ok | small | flat | (damping[act] > 1e12)  # unbounded damping: no step lowers the cost
        converged[act] = g_ok | small | flat
        done[act] = stop
    # iterates stay a hair inside the bounds; one held there is reported on it, as scipy's point fit
    # reaches it to rounding (else an interval's end can sit beyond the estimate it should contain)
    theta = np.where(theta <= lo_in, lo, np.where(theta >= hi_in, hi, theta))
    cost = np.where(np.isfinite(cost), _evaluate(form, theta, x, y, weights, ctx, f_scale)[2], cost)
    return BatchFit(theta=theta, cost=cost, converged=converged & np.isfinite(cost), n_iter=it)
