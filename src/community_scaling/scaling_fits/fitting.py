"""Robust fit of one form: Huber loss on log residuals, loose multi-start, tight polish
(see the package docstring for why the tolerances are tight)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from ..io import InputError
from .forms import FORMS, Context, Form, _as_curve, get_form, make_context

TIGHT = dict(xtol=1e-12, ftol=1e-12, gtol=1e-12)
LOOSE = dict(xtol=1e-8, ftol=1e-8, gtol=1e-8)
MAX_NFEV = 150  # per parameter, tight pass; a fit that needs more is reported as not converged
MIN_F_SCALE = 1e-3  # Huber threshold floor (log units): noise-free curves keep a smooth objective
HUBER_K = 1.345     # Huber's tuning constant, times a robust (MAD) residual scale


@dataclass
class FitResult:
    """One fitted curve; `params` are in the reported (original-unit) parameterisation."""
    form: str
    params: dict
    success: bool
    loss: float
    n_points: int
    rmse_log: float
    f_scale: float
    theta: np.ndarray = field(repr=False)
    context: Context = field(repr=False)
    at_bounds: tuple = ()
    message: str = ""
    nfev: int = 0

    def predict(self, n) -> np.ndarray:
        x = np.log(np.asarray(n, dtype=float)) - self.context.log_n_ref
        return np.exp(FORMS[self.form].log_model(self.theta, x, self.context, jac=False)[0])


class _Objective:
    """Log residuals and their Jacobian, evaluated once per theta (least_squares asks for both)."""

    def __init__(self, log_model, x, y, ctx):
        self.log_model, self.x, self.y, self.ctx = log_model, x, y, ctx
        self._key = None

    def _eval(self, theta):
        key = theta.tobytes()
        if key != self._key:
            with np.errstate(all="ignore"):
                log_m, jac = self.log_model(theta, self.x, self.ctx, True)
            r = self.y - log_m
            bad = ~np.isfinite(r)
            self._r = np.where(bad, 1e3, r)
            self._j = np.where(np.isfinite(jac) & ~bad[:, None], -jac, 0.0)
            self._key = key
        return self

    def fun(self, theta):
        return self._eval(theta)._r

    def jac(self, theta):
        return self._eval(theta)._j


def _robust_scale(residuals) -> float:
    r = np.asarray(residuals)
    return float(1.4826 * np.median(np.abs(r - np.median(r))))


def _least_squares(objective, theta0, lo, hi, loss, f_scale, tol, max_nfev):
    theta0 = np.clip(theta0, lo + 1e-12 * (hi - lo), hi - 1e-12 * (hi - lo))
    return optimize.least_squares(objective.fun, theta0, jac=objective.jac, bounds=(lo, hi), method="trf",
                                  loss=loss, f_scale=f_scale, x_scale="jac", max_nfev=max_nfev, **tol)


def _multistart(objective, starts, lo, hi, loss, f_scale, n_params):
    """Loose pass over the starts (stopping once two reach the same lowest robust cost),
    then a tight polish of the best."""
    f_guess = 0.05 if f_scale is None else f_scale
    loose = []
    for theta0 in starts:
        if not np.all(np.isfinite(theta0)):
            continue
        res = _least_squares(objective, theta0, lo, hi, loss, f_guess, LOOSE, 40 * n_params)
        if np.isfinite(res.cost):
            loose.append(res)
            costs = sorted(r.cost for r in loose)
            if len(costs) >= 2 and costs[1] - costs[0] <= 1e-4 * max(costs[0], 1e-12):
                break  # the lowest basin was found twice
    if not loose:
        raise RuntimeError("no starting point gave a finite objective")
    best = min(loose, key=lambda r: r.cost)
    if f_scale is None:  # Huber threshold from the residual scale of the best loose fit
        f_scale = max(HUBER_K * _robust_scale(best.fun), MIN_F_SCALE)
    return _least_squares(objective, best.x, lo, hi, loss, f_scale, TIGHT, MAX_NFEV * n_params), f_scale


def _result(form: Form, res, ctx, f_scale, n_points, lo, hi) -> FitResult:
    theta = np.asarray(res.x, float)
    span = hi - lo
    near = (theta - lo <= 1e-6 * span) | (hi - theta <= 1e-6 * span)
    internal_names = form.param_names
    return FitResult(form=form.name, params={k: float(v) for k, v in form.to_params(theta, ctx).items()},
                     success=bool(res.status > 0 and np.isfinite(res.cost)), loss=float(res.cost),
                     n_points=n_points, rmse_log=float(np.sqrt(np.mean(res.fun ** 2))), f_scale=float(f_scale),
                     theta=theta, context=ctx, at_bounds=tuple(np.asarray(internal_names)[near].tolist()),
                     message=str(res.message), nfev=int(res.nfev))


def fit_curve(n, e, form="power_law_floor", *, loss: str = "huber", f_scale: float | None = None,
              e_upper: float | None = None, x0=None, context: Context | None = None) -> FitResult:
    """Robust fit of one form to (n, e) on log residuals (see module docstring).

    `x0` (internal coordinates, e.g. a previous FitResult.theta) skips the multi-start;
    `f_scale` fixes the Huber threshold (log units), else 1.345 x MAD of the residuals.
    """
    form = get_form(form)
    if loss not in ("huber", "soft_l1", "linear", "cauchy", "arctan"):
        raise InputError(f"loss {loss!r} is not a least_squares loss")
    n, e, _ = _as_curve(n, e)
    ctx = context if context is not None else make_context(n, e, e_upper)
    if context is not None:  # bounds that depend on the data follow the data actually fitted
        ctx = Context(ctx.log_n_ref, ctx.x_min, ctx.x_max, float(e.min()), float(e.max()), ctx.e_upper)
    x, y = np.log(n) - ctx.log_n_ref, np.log(e)
    lo, hi = form.bounds(ctx)
    objective = _Objective(form.log_model, x, y, ctx)
    if x0 is not None and f_scale is not None:
        res = _least_squares(objective, np.asarray(x0, float), lo, hi, loss, f_scale, TIGHT, MAX_NFEV * form.n_params)
    else:
        starts = [np.asarray(x0, float)] if x0 is not None else form.starts(x, y, ctx)
        res, f_scale = _multistart(objective, starts, lo, hi, loss, f_scale, form.n_params)
    return _result(form, res, ctx, f_scale, n.size, lo, hi)
