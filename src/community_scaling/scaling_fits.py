"""Scaling-law fits per learning curve: forms, robust fits, seed-bootstrap intervals,
extrapolation-based form choice, per-community trend labels and slope heterogeneity.

Conventions. Error e (lower is better) against training-set size n > 0.
Every fit minimises a Huber loss of LOG residuals log(e_obs) - log(e_model) with
scipy.optimize.least_squares (analytic Jacobian, x_scale="jac", xtol = ftol =
gtol = 1e-12): a loose multi-start pass picks the basin, a tight pass polishes it,
because a Huber objective that is tiny near the optimum lets a loose optimizer stop
early and report too-narrow intervals (Besiroglu et al. 2024, arXiv 2404.10102).

Intervals. Seeds are resampled with replacement (cluster bootstrap: all sizes of a
seed go together). With 5 seeds the plain percentile interval undercovers (its
spread has roughly G - 1 = 4 degrees of freedom and is biased low by (G-1)/G), so
the default "cluster_t" interval widens the percentile interval about the bootstrap
median by t_{G-1, 0.975} / z_{0.975} * sqrt(G / (G-1)), the usual few-cluster
correction (Cameron & Miller 2015). benchmarks/scaling_fits_benchmark.py measures
the coverage of both.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import optimize, stats
from scipy.optimize import elementwise
from scipy.special import expit, log_expit

from .io import InputError, require_columns

TABLE_COLUMNS = ("model", "scale", "seed", "attribute", "community", "metric", "value", "n_eval")
AGGREGATE = "all"
TIGHT = dict(xtol=1e-12, ftol=1e-12, gtol=1e-12)
LOOSE = dict(xtol=1e-8, ftol=1e-8, gtol=1e-8)
MAX_NFEV = 150  # per parameter, tight pass; a fit that needs more is reported as not converged
INTERVALS = ("cluster_t", "percentile")
MIN_F_SCALE = 1e-3  # Huber threshold floor (log units): noise-free curves keep a smooth objective
HUBER_K = 1.345     # Huber's tuning constant, times a robust (MAD) residual scale


# --------------------------------------------------------------------------- forms

@dataclass(frozen=True)
class Context:
    """Data-dependent constants of a fit: n is used as x = log(n) - log_n_ref for conditioning."""
    log_n_ref: float
    x_min: float
    x_max: float
    e_min: float
    e_max: float
    e_upper: float | None = None


@dataclass(frozen=True)
class Form:
    """A functional form: log-model with its Jacobian in internal coordinates, bounds, starts,
    and the map between internal coordinates and reported parameters."""
    name: str
    param_names: tuple[str, ...]
    log_model: Callable   # (theta, x, ctx, jac) -> (log_e, d log_e / d theta or None)
    bounds: Callable      # ctx -> (lo, hi)
    starts: Callable      # (x, y, ctx) -> list of theta
    to_params: Callable   # (theta, ctx) -> dict
    from_params: Callable  # (params, ctx) -> theta
    log_params: tuple[str, ...] = ()  # positive parameters whose intervals are scaled on the log scale
    reference: str = ""

    @property
    def n_params(self) -> int:
        return len(self.param_names)


def _floor_bound(ctx: Context) -> float:
    return ctx.e_min * (1 - 1e-9)


def _regress_excess(x, y, e_inf):
    """Slope and intercept of log(e - e_inf) on x (a cheap starting point)."""
    excess = np.log(np.maximum(np.exp(y) - e_inf, 1e-12))
    slope, intercept = np.polyfit(x, excess, 1)
    return -slope, intercept


# power law with a floor: e = e_inf + b n^-c ; internal (e_inf, log b', c) with b' = b n_ref^-c
def _plf_log_model(theta, x, ctx, jac=True):
    e_inf, log_b, c = theta
    p = np.exp(log_b - c * x)
    e = e_inf + p
    if not jac:
        return np.log(e), None
    return np.log(e), np.column_stack([1 / e, p / e, -x * p / e])


def _plf_bounds(ctx):
    return np.array([0.0, -60.0, 0.0]), np.array([_floor_bound(ctx), 60.0, 3.0])


def _plf_starts(x, y, ctx):
    starts = []
    for frac in (0.0, 0.5, 0.9, 0.99):
        c, log_b = _regress_excess(x, y, frac * ctx.e_min)
        starts.append([frac * ctx.e_min, log_b, c])
    for c in (0.1, 0.5, 1.0):
        e_inf = 0.5 * ctx.e_min
        starts.append([e_inf, np.mean(np.log(np.maximum(np.exp(y) - e_inf, 1e-12)) + c * x), c])
    return [np.array(s, float) for s in starts]


POWER_LAW_FLOOR = Form(
    name="power_law_floor", param_names=("e_inf", "b", "c"),
    log_model=_plf_log_model, bounds=_plf_bounds, starts=_plf_starts,
    to_params=lambda t, ctx: {"e_inf": t[0], "b": math.exp(t[1] + t[2] * ctx.log_n_ref), "c": t[2]},
    from_params=lambda p, ctx: np.array([p["e_inf"], math.log(p["b"]) - p["c"] * ctx.log_n_ref, p["c"]]),
    log_params=("b",), reference="e(n) = e_inf + b n^-c")


# broken power law, one break (Caballero et al. 2023, arXiv 2210.14891, eq. 1 with n = 1):
# e = e_inf + b n^-c0 (1 + (n/d)^(1/f))^(-c1 f); internal (e_inf, log b', c0, c1, log d - log n_ref, log f)
def _bpl_log_model(theta, x, ctx, jac=True):
    e_inf, log_b, c0, c1, xd, log_f = theta
    f = math.exp(log_f)
    z = (x - xd) / f
    log_s = np.logaddexp(0.0, z)  # log(1 + (n/d)^(1/f)), overflow-safe
    log_p = log_b - c0 * x - c1 * f * log_s
    p = np.exp(log_p)
    e = e_inf + p
    if not jac:
        return np.log(e), None
    sig = expit(z)
    dlogp = np.column_stack([np.ones_like(x), -x, -f * log_s, c1 * sig, -c1 * f * (log_s - z * sig)])
    return np.log(e), np.column_stack([1 / e, (p / e)[:, None] * dlogp])


def _bpl_bounds(ctx):
    lo = np.array([0.0, -60.0, 0.0, -3.0, ctx.x_min, math.log(0.05)])
    hi = np.array([_floor_bound(ctx), 60.0, 3.0, 3.0, ctx.x_max, math.log(5.0)])
    return lo, hi


def _bpl_starts(x, y, ctx):
    starts = []
    span = ctx.x_max - ctx.x_min
    for frac in (0.5, 0.0, 0.9):
        e_inf = frac * ctx.e_min
        excess = np.log(np.maximum(np.exp(y) - e_inf, 1e-12))
        for q in (0.5, 0.3, 0.7):
            xd = ctx.x_min + q * span
            below, above = x <= xd, x >= xd
            if below.sum() < 2 or above.sum() < 2 or np.ptp(x[below]) == 0 or np.ptp(x[above]) == 0:
                continue
            c0 = float(np.clip(-np.polyfit(x[below], excess[below], 1)[0], 0.0, 3.0))
            c1 = float(np.clip(-np.polyfit(x[above], excess[above], 1)[0] - c0, -3.0, 3.0))
            for f in (0.3, 1.0):
                log_s = np.logaddexp(0.0, (x - xd) / f)
                log_b = np.mean(excess + c0 * x + c1 * f * log_s)
                starts.append(np.array([e_inf, log_b, c0, c1, xd, math.log(f)]))
    return starts


def _bpl_to_params(t, ctx):
    return {"e_inf": t[0], "b": math.exp(t[1] + t[2] * ctx.log_n_ref), "c0": t[2], "c1": t[3],
            "d": math.exp(t[4] + ctx.log_n_ref), "f": math.exp(t[5])}


def _bpl_from_params(p, ctx):
    return np.array([p["e_inf"], math.log(p["b"]) - p["c0"] * ctx.log_n_ref, p["c0"], p["c1"],
                     math.log(p["d"]) - ctx.log_n_ref, math.log(p["f"])])


BROKEN_POWER_LAW = Form(
    name="broken_power_law", param_names=("e_inf", "b", "c0", "c1", "d", "f"),
    log_model=_bpl_log_model, bounds=_bpl_bounds, starts=_bpl_starts,
    to_params=_bpl_to_params, from_params=_bpl_from_params, log_params=("b", "d", "f"),
    reference="e(n) = e_inf + b n^-c0 (1 + (n/d)^(1/f))^(-c1 f)  (Caballero et al. 2023)")


# M4 (Alabdulmohsin, Neyshabur & Zhai 2022, arXiv 2209.06640, eq. 4):
#   (e - e_inf) / (e0 - e)^alpha = beta n^-c
# (the paper writes beta x^c with c < 0). For fixed n the left side rises from 0 to
# infinity as e goes from e_inf to e0, so e is the unique root in (e_inf, e0).
# We solve for u = log w, w = e - e_inf, B = e0 - e_inf:
#   h(u) = u - L - alpha log(B - e^u) = 0,  L = log(beta n^-c),
# h is convex and increasing on u < log B, so Newton's method started right of the root
# converges monotonically without leaving the domain (scipy.optimize.newton on arrays);
# elements that still fail go to scipy's bracketed Chandrupatla solver in the logit of w/B.
def _m4_excess(log_rhs, alpha, span):
    """(w, span - w) with w / (span - w)^alpha = exp(log_rhs), alpha > 0, vectorised."""
    log_rhs = np.atleast_1d(log_rhs)
    if log_rhs.size == 1:  # scipy's newton is vectorised only for arrays of 2 or more
        w, rest = _m4_excess(np.repeat(log_rhs, 2), alpha, span)
        return w[:1], rest[:1]
    log_span = math.log(span)
    u_a = log_rhs + alpha * log_span  # h(u_a) >= 0 when u_a < log B
    with np.errstate(over="ignore"):  # right of the root too: w = B - delta, delta <= (B / 2f)^(1/alpha)
        delta = np.minimum(span / 2, np.exp((math.log(span / 2) - log_rhs) / alpha))
    u_b = np.log(span - delta)
    u0 = np.where(u_a < log_span, np.minimum(u_a, u_b), u_b)

    def h(u):
        return u - log_rhs - alpha * np.log(span - np.exp(u))

    def dh(u):
        w = np.exp(u)
        return 1 + alpha * w / (span - w)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.newton(h, u0, fprime=dh, tol=1e-14, maxiter=60, full_output=True)
    u = np.asarray(res.root, float)
    w = np.exp(u)
    rest = span - w
    bad = ~(res.converged & np.isfinite(u) & (rest > 0))
    if bad.any():
        const = (1 - alpha) * log_span - log_rhs[bad]
        lo = np.minimum(0.0, -(alpha * math.log(2) + const)) - 1.0  # h(lo) <= -1
        hi = np.maximum(0.0, (math.log(2) - const) / alpha) + 1.0   # h(hi) >= alpha
        sol = elementwise.find_root(lambda v, k: log_expit(v) - alpha * log_expit(-v) + k, (lo, hi), args=(const,),
                                    tolerances=dict(xatol=1e-13, fatol=1e-14))
        w[bad], rest[bad] = span * expit(sol.x), span * expit(-sol.x)
    return w, rest


def _m4_log_model(theta, x, ctx, jac=True):
    e_inf, log_beta, c, alpha, e0 = theta
    span = e0 - e_inf
    log_rhs = log_beta - c * x
    if alpha < 1e-12:
        w = np.exp(log_rhs)  # alpha = 0: plain power law; d/d alpha only defined while w < span
        rest = np.where(w < span, span - w, np.nan)
    else:
        w, rest = _m4_excess(log_rhs, alpha, span)
    e = e_inf + w
    if not jac:
        return np.log(e), None
    g_w = 1 / w + alpha / rest                 # implicit function theorem on
    dw_dspan = alpha / rest / g_w              # G = log w - alpha log(span - w) - L = 0
    cols = [1 - dw_dspan, 1 / g_w, -x / g_w, np.log(rest) / g_w, dw_dspan]
    return np.log(e), np.column_stack(cols) / e[:, None]


def _m4_e0_upper(ctx):
    top = ctx.e_upper if ctx.e_upper is not None else 100 * ctx.e_max
    return max(top, ctx.e_max) * (1 + 1e-3)


def _m4_bounds(ctx):
    lo = np.array([0.0, -60.0, 0.0, 0.0, ctx.e_max * (1 + 1e-9)])
    hi = np.array([_floor_bound(ctx), 60.0, 3.0, 10.0, _m4_e0_upper(ctx)])
    return lo, hi


def _m4_starts(x, y, ctx):
    # the paper's linear step: log(e - e_inf) = log beta - c x + alpha log(e0 - e), given (e_inf, e0)
    e = np.exp(y)
    starts = []
    e0_options = {ctx.e_max * 1.05, min(2 * ctx.e_max, _m4_e0_upper(ctx) * (1 - 1e-6))}
    if ctx.e_upper is not None:
        e0_options.add(max(ctx.e_upper, ctx.e_max * 1.001))
    for frac in (0.0, 0.5, 0.9):
        e_inf = frac * ctx.e_min
        target = np.log(np.maximum(e - e_inf, 1e-12))
        for e0 in sorted(e0_options):
            design = np.column_stack([np.ones_like(x), -x, np.log(e0 - e)])
            coef, *_ = np.linalg.lstsq(design, target, rcond=None)
            c = float(np.clip(coef[1], 0.01, 2.9))
            alpha = float(np.clip(coef[2], 0.0, 5.0))
            log_beta = float(np.mean(target + c * x - alpha * np.log(e0 - e)))
            starts.append(np.array([e_inf, log_beta, c, alpha, e0]))
        c, log_b = _regress_excess(x, y, e_inf)
        starts.append(np.array([e_inf, log_b, c, 0.5, max(e0_options)]))
    return starts


M4 = Form(
    name="m4", param_names=("e_inf", "beta", "c", "alpha", "e0"),
    log_model=_m4_log_model, bounds=_m4_bounds, starts=_m4_starts,
    to_params=lambda t, ctx: {"e_inf": t[0], "beta": math.exp(t[1] + t[2] * ctx.log_n_ref), "c": t[2],
                              "alpha": t[3], "e0": t[4]},
    from_params=lambda p, ctx: np.array([p["e_inf"], math.log(p["beta"]) - p["c"] * ctx.log_n_ref, p["c"],
                                         p["alpha"], p["e0"]]),
    log_params=("beta",),
    reference="(e - e_inf)/(e0 - e)^alpha = beta n^-c  (Alabdulmohsin et al. 2022, M4)")

FORMS: dict[str, Form] = {f.name: f for f in (POWER_LAW_FLOOR, M4, BROKEN_POWER_LAW)}
DEFAULT_FORMS = tuple(FORMS)  # ordered by number of parameters (parsimony tie-break)


def get_form(form) -> Form:
    if isinstance(form, Form):
        return form
    if form not in FORMS:
        raise InputError(f"unknown form {form!r}; known: {sorted(FORMS)}")
    return FORMS[form]


# --------------------------------------------------------------------------- input checks

def _as_curve(n, e, seed_ids=None, *, need_seeds=False, min_sizes=3, what="curve"):
    n = np.asarray(n, dtype=float).ravel()
    e = np.asarray(e, dtype=float).ravel()
    if n.shape != e.shape:
        raise InputError(f"{what}: n has {n.size} values but e has {e.size}")
    for name, values in (("n (scale)", n), ("e (value)", e)):
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{what}: {name} must be finite and > 0; found {values[i]!r} at position {i} "
                             f"({int(bad.sum())} such values)")
    sizes = np.unique(n)
    if sizes.size < min_sizes:
        raise InputError(f"{what}: fewer than {min_sizes} distinct sizes n (got {sizes.size}: {sizes.tolist()})")
    if seed_ids is None:
        if need_seeds:
            raise InputError(f"{what}: seed_ids are needed for intervals")
        return n, e, None
    seeds = np.asarray(seed_ids).ravel()
    if seeds.shape != n.shape:
        raise InputError(f"{what}: seed_ids has {seeds.size} values but n has {n.size}")
    if need_seeds and np.unique(seeds).size < 2:
        raise InputError(f"{what}: a single seed ({np.unique(seeds).tolist()}); intervals need at least 2 seeds")
    return n, e, seeds


def make_context(n, e, e_upper=None, log_n_ref=None) -> Context:
    log_n = np.log(n)
    ref = float(np.mean(np.log(np.unique(n)))) if log_n_ref is None else float(log_n_ref)
    return Context(log_n_ref=ref, x_min=float(log_n.min() - ref), x_max=float(log_n.max() - ref),
                   e_min=float(np.min(e)), e_max=float(np.max(e)), e_upper=e_upper)


# --------------------------------------------------------------------------- fitting

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


# --------------------------------------------------------------------------- bootstrap

def seed_draws(n_seeds: int, n_boot: int, rng_seed: int = 0) -> np.ndarray:
    """(n_boot, n_seeds) indices of seeds drawn with replacement; the same arguments give the
    same draws, which is how a community's and the aggregate's resamples are paired."""
    return np.random.default_rng(rng_seed).integers(0, n_seeds, size=(n_boot, n_seeds))


def widening(n_clusters: int, level: float = 0.95, interval: str = "cluster_t") -> float:
    """Factor applied to the percentile half-widths (about the bootstrap median)."""
    if interval not in INTERVALS:
        raise InputError(f"interval {interval!r} unknown; use one of {INTERVALS}")
    if interval == "percentile":
        return 1.0
    if n_clusters < 2:
        raise InputError(f"intervals need at least 2 seeds, got {n_clusters}")
    q = 0.5 + level / 2
    return float(stats.t.ppf(q, n_clusters - 1) / stats.norm.ppf(q) * math.sqrt(n_clusters / (n_clusters - 1)))


def bootstrap_interval(samples, n_clusters, level=0.95, interval="cluster_t", log=False, lower=None, upper=None):
    """Percentile interval of `samples` (rows = resamples), widened by `widening()` about the median."""
    s = np.asarray(samples, float)
    if log:
        s = np.log(s)
    a = (1 - level) / 2
    q_lo, med, q_hi = np.nanquantile(s, [a, 0.5, 1 - a], axis=0)
    k = widening(n_clusters, level, interval)
    lo, hi = med - k * (med - q_lo), med + k * (q_hi - med)
    if log:
        lo, hi = np.exp(lo), np.exp(hi)
    if lower is not None:
        lo = np.maximum(lo, lower)
    if upper is not None:
        hi = np.minimum(hi, upper)
    return lo, hi


def _check_replicates(e_replicates, n_points: int, n_boot: int):
    """Test-row resamples of a curve's values as an (n_points, n_boot) float array (or None);
    values <= 0 become NaN (no logarithm): such a resample fails and is counted as failed."""
    if e_replicates is None:
        return None
    reps = np.asarray(e_replicates, float)
    if reps.shape != (n_points, n_boot):
        raise InputError(f"e_replicates has shape {reps.shape}; expected (points, n_boot) = ({n_points}, {n_boot})")
    return np.where(reps > 0, reps, np.nan)


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


def bootstrap_fit(n, e, seed_ids, form="power_law_floor", n_boot: int = 200, rng_seed: int = 0, *,
                  predict_at=None, interval: str = "cluster_t", level: float = 0.95, fit: FitResult | None = None,
                  e_upper: float | None = None, loss: str = "huber", e_replicates=None) -> BootstrapResult:
    """Seed (cluster) bootstrap of a fit: percentile intervals, widened for few seeds by default.

    Each resample draws seeds with replacement, keeps all sizes of a drawn seed, and refits
    from the point estimate with the point fit's Huber threshold (warm start, tight tolerances).
    interval="cluster_t" multiplies the percentile half-widths (about the bootstrap median) by
    t_{G-1}/z * sqrt(G/(G-1)) for G seeds; "percentile" is the plain percentile interval.
    Positive scale parameters (b, beta, d, f) and predictions are widened on the log scale.
    `e_replicates` (n points x n_boot), when given, are test-row resamples of e: resample b
    then draws seeds AND takes its values from column b, so both sources of noise enter.
    """
    form = get_form(form)
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
    samples, preds, kept, failed = [], [], [], 0
    for i, draw in enumerate(draws):
        idx = np.concatenate([rows[g] for g in draw])
        e_b = e if reps is None else reps[:, i]
        try:
            refit = fit_curve(n[idx], e_b[idx], form, loss=loss, f_scale=fit.f_scale, x0=fit.theta,
                              context=fit.context)
        except (RuntimeError, ValueError):
            failed += 1
            continue
        if not refit.success:
            failed += 1
            continue
        samples.append(refit.params)
        kept.append(i)
        preds.append(refit.predict(grid))
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


# --------------------------------------------------------------------------- synthetic data and coverage

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
    out = Parallel(n_jobs=n_jobs)(delayed(_coverage_rep)(r, form.name, params, parameter, n_boot, sizes, n_seeds,
                                                         noise_sd, seed_sd, interval, level, rng_seed)
                                  for r in range(n_rep))
    got = np.array([o for o in out if o is not None])
    truth = params[parameter]
    covered = (got[:, 1] <= truth) & (truth <= got[:, 2])
    return {"form": form.name, "parameter": parameter, "truth": truth, "interval": interval, "n_rep": n_rep,
            "n_used": int(len(got)), "coverage": float(covered.mean()), "miss_low": float((got[:, 1] > truth).mean()),
            "miss_high": float((got[:, 2] < truth).mean()), "median_width": float(np.median(got[:, 2] - got[:, 1])),
            "median_estimate": float(np.median(got[:, 0])), "seconds": time.perf_counter() - started}


# --------------------------------------------------------------------------- extrapolation and form choice

@dataclass
class ExtrapolationResult:
    form: str
    rmse: float               # RMSE of log(pred) - log(geometric mean of observed) over held-out sizes
    errors: pd.DataFrame      # per held-out size: n, observed, predicted, log_error
    point_errors: pd.DataFrame  # per held-out point
    fit: FitResult | None
    success: bool


def _holdout_sizes(sizes: np.ndarray, holdout) -> int:
    k = int(round(holdout * sizes.size)) if isinstance(holdout, float) and 0 < holdout < 1 else int(holdout)
    if k < 1:
        raise InputError(f"holdout={holdout!r} holds out no size")
    if sizes.size - k < 3:
        raise InputError(f"holdout={holdout!r} leaves {sizes.size - k} sizes to fit (need >= 3 of {sizes.size})")
    return k


def extrapolation_error(n, e, form="power_law_floor", holdout=2, *, e_upper=None, loss="huber",
                        n_test=None, e_test=None) -> ExtrapolationResult:
    """Fit on all but the `holdout` largest sizes (an int, or a fraction of the sizes) and score
    the prediction at the held-out sizes. With `n_test`, `e_test` given, fit on all of (n, e)
    and score those instead."""
    form = get_form(form)
    n, e, _ = _as_curve(n, e)
    if n_test is None:
        sizes = np.unique(n)
        k = _holdout_sizes(sizes, holdout)
        held = n >= sizes[-k]
        n_fit, e_fit, n_out, e_out = n[~held], e[~held], n[held], e[held]
    else:
        n_fit, e_fit = n, e
        n_out, e_out, _ = _as_curve(n_test, e_test, min_sizes=1, what="test points")
    try:
        fit = fit_curve(n_fit, e_fit, form, e_upper=e_upper, loss=loss)
        pred = fit.predict(n_out)
        ok = fit.success and np.all(np.isfinite(pred)) and np.all(pred > 0)
    except RuntimeError:
        fit, pred, ok = None, np.full(n_out.shape, np.nan), False
    points = pd.DataFrame({"n": n_out, "observed": e_out, "predicted": pred})
    points["log_error"] = np.log(points.predicted) - np.log(points.observed)
    per_size = (points.assign(log_obs=np.log(points.observed)).groupby("n", as_index=False)
                .agg(log_obs=("log_obs", "mean"), predicted=("predicted", "first")))
    per_size["observed"] = np.exp(per_size.pop("log_obs"))
    per_size["log_error"] = np.log(per_size.predicted) - np.log(per_size.observed)
    rmse = float(np.sqrt(np.mean(per_size.log_error ** 2))) if ok else float("nan")
    return ExtrapolationResult(form=form.name, rmse=rmse, errors=per_size[["n", "observed", "predicted", "log_error"]],
                               point_errors=points, fit=fit, success=bool(ok))


@dataclass
class FormChoice:
    best: str
    table: pd.DataFrame  # form, n_params, rmse, success, chosen
    rule: str


CHOICE_RULE = ("lowest held-out log-RMSE when the largest sizes are held out; forms within {tie:g} of the best "
               "count as tied and the one with fewest parameters wins")


def choose_form(n, e, forms=DEFAULT_FORMS, holdout=2, *, tie_tol: float = 0.002, e_upper=None,
                loss="huber") -> FormChoice:
    """Pick a form by extrapolation to held-out larger sizes (never by in-sample fit)."""
    forms = [get_form(f) for f in forms]
    rows = []
    for form in forms:
        res = extrapolation_error(n, e, form, holdout, e_upper=e_upper, loss=loss)
        rows.append({"form": form.name, "n_params": form.n_params, "rmse": res.rmse, "success": res.success})
    table = pd.DataFrame(rows)
    ok = table[table.success & np.isfinite(table.rmse)]
    if ok.empty:
        raise RuntimeError("no form could be fitted for extrapolation")
    tied = ok[ok.rmse <= ok.rmse.min() + tie_tol]
    best = tied.sort_values("n_params", kind="stable").iloc[0]["form"]
    table["chosen"] = table.form == best
    return FormChoice(best=str(best), table=table, rule=CHOICE_RULE.format(tie=tie_tol))


# --------------------------------------------------------------------------- trend labels

def upper_sizes(n) -> np.ndarray:
    """Sizes in the upper half of the swept log-n range (at least three)."""
    sizes = np.unique(np.asarray(n, float))
    cut = (np.log(sizes[0]) + np.log(sizes[-1])) / 2
    upper = sizes[np.log(sizes) >= cut]
    return upper if upper.size >= 3 else sizes[-3:]


@dataclass
class SlopeSamples:
    """Log-log slope of e on n over the upper half of sizes, and its seed-bootstrap samples."""
    slope: float
    samples: np.ndarray
    seeds: tuple
    rng_seed: int
    sizes: np.ndarray = field(repr=False)


def upper_half_slope(n, e, seed_ids, n_boot: int = 200, rng_seed: int = 0, e_replicates=None) -> SlopeSamples:
    """OLS slope of log e on log n over upper_sizes(n), all seeds; seed-bootstrap samples of it
    (weighted OLS with the resample counts, so every resample is exact and vectorised).
    `e_replicates` as in bootstrap_fit: resample b also takes its values from column b."""
    n, e, seeds = _as_curve(n, e, seed_ids, need_seeds=True)
    reps = _check_replicates(e_replicates, n.size, n_boot)
    sizes = upper_sizes(n)
    keep = np.isin(n, sizes)
    x, y = np.log(n[keep]), np.log(e[keep])
    labels, codes = np.unique(seeds[keep], return_inverse=True)
    draws = seed_draws(labels.size, n_boot, rng_seed)
    counts = np.zeros((n_boot + 1, labels.size))
    counts[0] = 1.0  # row 0 = the data as observed
    np.add.at(counts, (np.repeat(np.arange(1, n_boot + 1), labels.size), draws.ravel()), 1.0)
    w = counts[:, codes]
    with np.errstate(divide="ignore", invalid="ignore"):  # a replicate at 0 gives a NaN slope, then skipped
        ys = np.broadcast_to(y, w.shape) if reps is None else np.vstack([y, np.log(reps[keep]).T])
    sw, sx, sy = w.sum(1), w @ x, (w * ys).sum(1)
    sxx, sxy = w @ (x * x), (w * ys) @ x
    with np.errstate(all="ignore"):
        slopes = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
    return SlopeSamples(slope=float(slopes[0]), samples=slopes[1:], seeds=tuple(labels.tolist()),
                        rng_seed=rng_seed, sizes=sizes)


TREND_RULE = ("slope = OLS slope of log error on log n over the upper half of the swept log-n range (all seeds), "
              "with a seed-bootstrap interval; 'worsening' if the interval lies above 0; else 'plateaued' if its "
              "upper end is above -tol (no demonstrable improvement of at least tol); else 'slower' / 'faster' "
              "if the interval of (community slope - aggregate slope), from the same seed resamples, lies above / "
              "below 0, and 'like aggregate' otherwise ('improving' when no aggregate is given)")


@dataclass
class TrendResult:
    label: str
    slope: float
    slope_ci_low: float
    slope_ci_high: float
    diff: float = float("nan")
    diff_ci_low: float = float("nan")
    diff_ci_high: float = float("nan")
    paired: bool = False
    n_seeds: int = 0

    def as_row(self) -> dict:
        return dict(self.__dict__)


def classify_trend(n, e, seed_ids, aggregate_slope_samples=None, tol: float = 0.02, *, n_boot: int = 200,
                   rng_seed: int = 0, level: float = 0.95, interval: str = "cluster_t",
                   e_replicates=None) -> TrendResult:
    """Label a community's curve: worsening / plateaued / slower / faster / like aggregate.

    Rule: see TREND_RULE. `aggregate_slope_samples` is the aggregate's SlopeSamples (from
    upper_half_slope with the same n_boot and rng_seed), so both are computed on the same seed
    resamples and the difference interval accounts for their correlation; when the seed sets
    differ the samples are unpaired (independent), which is conservative.
    """
    own = upper_half_slope(n, e, seed_ids, n_boot=n_boot, rng_seed=rng_seed, e_replicates=e_replicates)
    g = len(own.seeds)
    lo, hi = bootstrap_interval(own.samples, g, level, interval)
    result = TrendResult(label="", slope=own.slope, slope_ci_low=float(lo), slope_ci_high=float(hi), n_seeds=g)
    if lo > 0:
        result.label = "worsening"
    elif hi > -tol:
        result.label = "plateaued"
    if aggregate_slope_samples is not None:
        agg = aggregate_slope_samples
        if not isinstance(agg, SlopeSamples):
            agg_samples = np.asarray(agg, float)
            agg = SlopeSamples(float(np.median(agg_samples)), agg_samples, own.seeds, rng_seed, own.sizes)
        if agg.samples.shape != own.samples.shape:
            raise InputError(f"aggregate_slope_samples has {agg.samples.size} resamples, expected {own.samples.size}")
        result.paired = agg.seeds == own.seeds and agg.rng_seed == rng_seed
        d_lo, d_hi = bootstrap_interval(own.samples - agg.samples, g, level, interval)
        result.diff, result.diff_ci_low, result.diff_ci_high = own.slope - agg.slope, float(d_lo), float(d_hi)
        if not result.label:
            result.label = "slower" if d_lo > 0 else "faster" if d_hi < 0 else "like aggregate"
    elif not result.label:
        result.label = "improving"
    return result


# --------------------------------------------------------------------------- heterogeneity

@dataclass
class HeterogeneityResult:
    method: str              # "mixedlm" or "ols_cluster"
    note: str
    wald_stat: float
    wald_df: int
    p_value: float
    reference: str
    communities: pd.DataFrame  # community, slope_diff, ci_low, ci_high, p_value, p_holm, differs
    excluded: list


def _curve_frame(table: pd.DataFrame, attribute: str, model, metric) -> pd.DataFrame:
    require_columns(table, ("model", "scale", "seed", "attribute", "community", "value"), "evaluation table")
    frame = table[(table["attribute"] == attribute) & (table["community"] != AGGREGATE)]
    if metric is not None:
        if "metric" not in frame or not (frame["metric"] == metric).any():
            raise InputError(f"metric {metric!r} not found for attribute {attribute!r}")
        frame = frame[frame["metric"] == metric]
    elif "metric" in frame and frame["metric"].nunique() > 1:
        raise InputError(f"several metrics {sorted(frame['metric'].unique())}; pass metric=")
    if frame.empty:
        raise InputError(f"attribute {attribute!r} has no community rows")
    models = frame["model"].unique()
    if model is None and len(models) > 1:
        raise InputError(f"several models {sorted(models)}; pass model=")
    if model is not None:
        frame = frame[frame["model"] == model]
        if frame.empty:
            raise InputError(f"model {model!r} has no rows for attribute {attribute!r}")
    return frame


def slope_heterogeneity(table: pd.DataFrame, attribute: str, *, model=None, metric=None,
                        reference: str = "weighted_mean", upper_half: bool = False,
                        alpha: float = 0.05) -> HeterogeneityResult:
    """Do communities' log-log slopes differ?

    Mixed model log_value ~ log_n * C(community) with a random intercept per seed (statsmodels
    mixedlm, REML); Wald test that every interaction is zero (all slopes equal). Each community's
    slope is compared with `reference`: "weighted_mean" (default) = the n_eval-weighted mean of
    the communities' slopes, which is what the aggregate's slope is to first order, so every
    community is tested; or a community name (treatment contrast, that community untested).
    95% Wald CIs, Holm-corrected p-values; a community "differs" (does not follow the
    aggregate) only when its Holm p < alpha. If mixedlm does not converge, OLS with seed fixed
    effects and errors clustered by (community, seed) curve is used instead -- 5 seed clusters
    cannot support a Wald test of ~60 constraints -- and `method`/`note` say so.
    Communities with non-positive or missing values are left out and listed in `excluded`.
    """
    import statsmodels.formula.api as smf
    from statsmodels.stats.multitest import multipletests

    frame = _curve_frame(table, attribute, model, metric)
    bad = frame.groupby("community", observed=True)["value"].apply(lambda v: bool((v <= 0).any() or v.isna().any()))
    excluded = sorted(bad[bad].index.astype(str))
    frame = frame[~frame["community"].isin(excluded)]
    if (frame["scale"] <= 0).any():
        raise InputError("scale has non-positive values")
    if upper_half:
        frame = frame[frame["scale"].isin(upper_sizes(frame["scale"]))]
    communities = sorted(frame["community"].astype(str).unique())
    if len(communities) < 2:
        raise InputError(f"attribute {attribute!r}: fewer than 2 evaluable communities ({communities})")
    if frame["seed"].nunique() < 2:
        raise InputError(f"attribute {attribute!r}: a single seed; the seed random intercept needs at least 2")
    if reference != "weighted_mean" and reference not in communities:
        raise InputError(f"reference {reference!r} is neither 'weighted_mean' nor one of {communities[:10]}")
    first = communities[0] if reference == "weighted_mean" else reference
    order = [first] + [c for c in communities if c != first]
    code = {c: f"k{i:04d}" for i, c in enumerate(order)}
    data = pd.DataFrame({"log_value": np.log(frame["value"].to_numpy(float)),
                         "log_n": np.log(frame["scale"].to_numpy(float)),
                         "community": frame["community"].astype(str).map(code).to_numpy(),
                         "seed": frame["seed"].astype(str).to_numpy()})
    data["log_n"] -= data["log_n"].mean()  # centred: intercepts at the mean log n
    rhs = "log_n * C(community, Treatment(reference='k0000'))"
    method = "mixedlm"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Powell first: the default BFGS often stalls when the seed variance is near 0
            res = smf.mixedlm(f"log_value ~ {rhs}", data, groups=data["seed"]).fit(reml=True,
                                                                                 method=["powell", "lbfgs"])
        if not res.converged or not np.all(np.isfinite(res.bse_fe)):
            raise RuntimeError("not converged, or singular covariance of the fixed effects")
        params = res.fe_params
        cov = res.cov_params().loc[params.index, params.index]
        boundary = any("boundary" in str(w.message) for w in caught)
        note = "random intercept per seed (REML)" + ("; seed variance at the boundary (0)" if boundary else "")
    except Exception as exc:  # statsmodels raises assorted errors on singular or non-convergent fits
        method = "ols_cluster"
        note = (f"mixedlm failed ({type(exc).__name__}: {exc}); OLS with seed fixed effects and errors "
                "clustered by (community, seed) curve")
        clusters = pd.factorize(data["community"] + "|" + data["seed"])[0]
        res = smf.ols(f"log_value ~ {rhs} + C(seed)", data).fit(cov_type="cluster", cov_kwds={"groups": clusters})
        params, cov = res.params, res.cov_params()
    inter = [k for k in params.index if k.startswith("log_n:")]
    b, v = params[inter].to_numpy(), cov.loc[inter, inter].to_numpy()
    wald = float(b @ np.linalg.pinv(v) @ b)
    p_all = float(stats.chi2.sf(wald, len(inter)))
    back = {v_: k for k, v_ in code.items()}
    names = [first] + [back[k.split("[T.")[1].rstrip("]")] for k in inter]  # slope_j = slope_first + b_j
    contrast = np.vstack([np.zeros(len(inter)), np.eye(len(inter))])  # rows: communities in `names`
    if reference == "weighted_mean":
        if "n_eval" in frame:
            size = frame.groupby("community", observed=True)["n_eval"].max()
            weight = size.reindex(names).to_numpy(float)
        else:
            weight = np.ones(len(names))
        contrast = contrast - (weight / weight.sum()) @ contrast
        tested = names
    else:
        contrast, tested = contrast[1:], names[1:]
    est = contrast @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", contrast, v, contrast))
    z = stats.norm.ppf(0.975)
    p = 2 * stats.norm.sf(np.abs(est / se))
    reject, p_holm, _, _ = multipletests(p, alpha=alpha, method="holm")
    per = pd.DataFrame({"community": tested, "slope_diff": est, "ci_low": est - z * se, "ci_high": est + z * se,
                        "p_value": p, "p_holm": p_holm, "differs": reject})
    return HeterogeneityResult(method=method, note=note, wald_stat=wald, wald_df=len(inter), p_value=p_all,
                               reference=reference, communities=per, excluded=excluded)


# --------------------------------------------------------------------------- Rolf et al. representation model

def _rolf_log_model(theta, X, ctx, jac=True):
    # R = d + s (n_j + offset)^-p + t n^-q ; internal (d, log s', p, log t', q), centred logs in X
    d, log_s, p, log_t, q = theta
    xj, xn = X[:, 0], X[:, 1]
    a = np.exp(log_s - p * xj)
    b = np.exp(log_t - q * xn)
    r = d + a + b
    if not jac:
        return np.log(r), None
    return np.log(r), np.column_stack([np.ones_like(r), a, -xj * a, b, -xn * b]) / r[:, None]


@dataclass
class RolfResult:
    params: dict
    success: bool
    loss: float
    n_points: int
    offset: float
    intervals: pd.DataFrame | None
    theta: np.ndarray = field(repr=False)
    refs: tuple = ()
    samples: pd.DataFrame | None = field(default=None, repr=False)  # one row per converged resample
    n_seeds: int = 0

    def predict(self, n_j, n) -> np.ndarray:
        X = np.column_stack([np.log(np.asarray(n_j, float) + self.offset) - self.refs[0],
                             np.log(np.asarray(n, float)) - self.refs[1]])
        return np.exp(_rolf_log_model(self.theta, X, None, jac=False)[0])


ROLF_PARAMS = ("d", "s", "p", "t", "q")


def _rolf_fit(nj, n, loss_v, offset, f_scale=None, x0=None):
    refs = (float(np.mean(np.log(np.unique(nj + offset)))), float(np.mean(np.log(np.unique(n)))))
    X = np.column_stack([np.log(nj + offset) - refs[0], np.log(n) - refs[1]])
    y = np.log(loss_v)
    e_min = float(loss_v.min())
    lo = np.array([0.0, -60.0, 0.0, -60.0, 0.0])
    hi = np.array([e_min * (1 - 1e-9), 60.0, 3.0, 60.0, 3.0])
    objective = _Objective(_rolf_log_model, X, y, None)
    if x0 is not None and f_scale is not None:
        res = _least_squares(objective, x0, lo, hi, "huber", f_scale, TIGHT, MAX_NFEV * 5)
    else:
        starts = []
        for frac in (0.0, 0.5, 0.9):
            excess = np.log(np.maximum(loss_v - frac * e_min, 1e-12))
            for p, q in ((0.3, 0.3), (1.0, 0.3), (0.3, 1.0), (1.0, 1.0)):
                half = np.mean(excess) - math.log(2)
                starts.append(np.array([frac * e_min, half, p, half, q]))
        res, f_scale = _multistart(objective, starts, lo, hi, "huber", f_scale, 5)
    return res, f_scale, refs


def _rolf_params(theta, refs):
    d, log_s, p, log_t, q = theta
    return {"d": d, "s": math.exp(log_s + p * refs[0]), "p": p, "t": math.exp(log_t + q * refs[1]), "q": q}


def fit_rolf(n_j, n, loss, seed_ids=None, *, offset: float = 1.0, n_boot: int = 0, rng_seed: int = 0,
             interval: str = "cluster_t", level: float = 0.95) -> RolfResult:
    """Rolf et al. (2021, arXiv 2103.03399) per-group loss: R_j = d_j + s_j (n_j + offset)^-p_j + t_j n^-q_j.

    n_j is the group's own training count, n the total. Rolf et al. write s n_j^-p, which is
    infinite at n_j = 0 although a group absent from training has a finite loss; offset = 1
    (default) keeps the model defined there (the term is then s at n_j = 0) and changes it
    negligibly for n_j >> 1; offset = 0 reproduces Rolf et al. and then requires n_j > 0.
    Fitted like every curve here (Huber on log residuals, multi-start, tight polish); with
    n_boot > 0 and seed_ids, seed-bootstrap intervals as in bootstrap_fit.
    """
    nj = np.asarray(n_j, float).ravel()
    n_arr, loss_v, seeds = _as_curve(n, loss, seed_ids, need_seeds=n_boot > 0, what="fit_rolf")
    if nj.shape != n_arr.shape:
        raise InputError(f"fit_rolf: n_j has {nj.size} values but n has {n_arr.size}")
    if offset < 0 or not np.all(np.isfinite(nj)) or (nj < 0).any():
        raise InputError("fit_rolf: n_j must be finite and >= 0, and offset >= 0")
    if offset == 0 and (nj == 0).any():
        raise InputError("fit_rolf: n_j has zeros; with offset=0 (Rolf et al.'s n_j^-p) the model is undefined there")
    if (nj > n_arr).any():
        i = int(np.flatnonzero(nj > n_arr)[0])
        raise InputError(f"fit_rolf: n_j ({nj[i]:g}) exceeds the total n ({n_arr[i]:g}) at position {i}")
    if np.unique(nj).size < 3:
        raise InputError(f"fit_rolf: n_j needs at least 3 distinct values (got {np.unique(nj).size})")
    res, f_scale, refs = _rolf_fit(nj, n_arr, loss_v, offset)
    params = {k: float(v) for k, v in _rolf_params(res.x, refs).items()}
    intervals = None
    if n_boot > 0:
        labels, codes = np.unique(seeds, return_inverse=True)
        rows = [np.flatnonzero(codes == g) for g in range(labels.size)]
        samples = []
        for draw in seed_draws(labels.size, n_boot, rng_seed):
            idx = np.concatenate([rows[g] for g in draw])
            r, _, rf = _rolf_fit(nj[idx], n_arr[idx], loss_v[idx], offset, f_scale, res.x)
            if r.status > 0:
                samples.append(_rolf_params(r.x, rf))
        table = pd.DataFrame(samples)
        records = []
        for name in ROLF_PARAMS:
            lo, hi = bootstrap_interval(table[name], labels.size, level, interval, log=name in ("s", "t"),
                                        lower=0.0 if name in ("d", "p", "q") else None)
            records.append({"parameter": name, "estimate": params[name], "ci_low": float(lo), "ci_high": float(hi)})
        intervals = pd.DataFrame(records)
    return RolfResult(params=params, success=bool(res.status > 0), loss=float(res.cost), n_points=n_arr.size,
                      offset=offset, intervals=intervals, theta=res.x, refs=refs,
                      samples=table if n_boot > 0 else None,
                      n_seeds=int(np.unique(seeds).size) if seeds is not None else 0)


# --------------------------------------------------------------------------- everything at once

@dataclass
class FitAllResult:
    params: pd.DataFrame         # model, attribute, community, form, parameter, estimate, ci_low, ci_high
    curves: pd.DataFrame         # one row per curve: evaluable, chosen form, extrapolation RMSE, trend label
    extrapolation: pd.DataFrame  # model, attribute, community, form, rmse, success, chosen
    heterogeneity: pd.DataFrame  # model, attribute, community, slope_diff, ci_low, ci_high, p_value, p_holm, differs
    heterogeneity_tests: pd.DataFrame  # model, attribute, method, note, wald_stat, wald_df, p_value, reference
    settings: dict
    floors: pd.DataFrame = field(default_factory=pd.DataFrame)  # see floor_differences

    def as_dict(self) -> dict[str, pd.DataFrame]:
        return {k: getattr(self, k) for k in ("params", "curves", "extrapolation", "heterogeneity",
                                              "heterogeneity_tests", "floors")}


KEY = ["model", "attribute", "community"]
ERROR_RATES = ("error", "worst_community_error")


def noise_sources(n, e, seeds, e_replicates=None) -> dict:
    """Root-mean-square spread of log e between seeds (at each size) and, with test-row
    replicates, between replicates (at each point): which source of noise is larger. A curve
    with no usable values gives NaN (numpy's empty-slice warnings are silenced for it)."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        log_e = pd.Series(np.log(np.where(e > 0, e, np.nan)))
        seed_sd = float(np.sqrt(np.nanmean(log_e.groupby(n).var(ddof=1)))) if np.unique(seeds).size > 1 else np.nan
        out = {"seed_noise_sd": seed_sd, "test_row_noise_sd": np.nan, "larger_noise": "not measured"}
        if e_replicates is not None:
            reps = np.log(np.where(e_replicates > 0, e_replicates, np.nan))
            out["test_row_noise_sd"] = float(np.sqrt(np.nanmean(np.nanvar(reps, axis=1, ddof=1))))
            out["larger_noise"] = "test rows" if out["test_row_noise_sd"] > seed_sd else "seeds"
    return out


def _fit_one(key, n, e, seeds, agg, cfg, reps=None) -> dict:
    base = dict(zip(KEY, key))
    out = {"params": [], "extrap": [], "curve": {**base, "n_sizes": int(np.unique(n).size),
                                                 "n_seeds": int(np.unique(seeds).size)}}
    curve = out["curve"]
    curve.update(noise_sources(n, e, seeds, reps))
    reason = ""
    if not np.all(np.isfinite(e)) or (e <= 0).any():
        reason = "non-positive or missing values"
    elif np.unique(n).size < 3 + (cfg["holdout"] if isinstance(cfg["holdout"], int) else 1):
        reason = "too few sizes"
    elif np.unique(seeds).size < 2:
        reason = "a single seed"
    curve.update(evaluable=not reason, reason=reason)
    if reason:
        curve["trend"] = "not evaluable"
        return out
    try:
        choice = choose_form(n, e, cfg["forms"], cfg["holdout"], tie_tol=cfg["tie_tol"], e_upper=cfg["e_upper"])
        for row in choice.table.to_dict("records"):
            out["extrap"].append({**base, "form": row["form"], "rmse": row["rmse"], "success": row["success"],
                                  "chosen": row["chosen"]})
        curve["chosen_form"] = choice.best
        curve["chosen_rmse"] = float(choice.table.loc[choice.table.chosen, "rmse"].iloc[0])
    except (RuntimeError, InputError) as exc:
        curve["chosen_form"], curve["chosen_rmse"] = None, float("nan")
        curve["reason"] = f"form choice failed: {exc}"
    if curve["chosen_form"] not in (None, cfg["boot_form"]):  # point estimates of the chosen form
        try:
            fit = fit_curve(n, e, curve["chosen_form"], e_upper=cfg["e_upper"])
            for p, v in fit.params.items():
                out["params"].append({**base, "form": fit.form, "parameter": p, "estimate": v,
                                      "ci_low": np.nan, "ci_high": np.nan, "success": fit.success})
        except RuntimeError:
            pass
    try:
        boot = bootstrap_fit(n, e, seeds, cfg["boot_form"], n_boot=cfg["n_boot"], rng_seed=cfg["rng_seed"],
                             interval=cfg["interval"], e_upper=cfg["e_upper"], e_replicates=reps)
        for row in boot.intervals.to_dict("records"):
            out["params"].append({**base, "form": cfg["boot_form"], **row, "success": boot.fit.success})
        curve["boot_failed"] = boot.n_failed
        out["floor_samples"] = (tuple(np.unique(seeds).tolist()), boot.samples["e_inf"])
    except (InputError, RuntimeError) as exc:
        curve["reason"] = f"bootstrap failed: {exc}"
    trend = classify_trend(n, e, seeds, agg if key[1] != AGGREGATE else None, cfg["tol"], n_boot=cfg["n_boot"],
                           rng_seed=cfg["rng_seed"], interval=cfg["interval"], e_replicates=reps)
    curve.update({f"trend_{k}" if k != "label" else "trend": v for k, v in trend.as_row().items()})
    return out


REPLICATE_COLUMNS = ("model", "scale", "seed", "attribute", "community", "replicate", "value")


def _replicate_matrices(replicates: pd.DataFrame | None, n_boot: int) -> dict | None:
    """Test-row replicates per curve: key -> frame indexed by (seed, scale), one column per replicate."""
    if replicates is None:
        return None
    require_columns(replicates, REPLICATE_COLUMNS, "replicates table")
    found = sorted(replicates["replicate"].unique())
    if found != list(range(n_boot)):
        raise InputError(f"replicates must be numbered 0..{n_boot - 1} (n_boot = {n_boot}); found {len(found)} "
                         f"replicates from {found[0] if found else None} to {found[-1] if found else None}")
    return {key: g.pivot_table(index=["seed", "scale"], columns="replicate", values="value", aggfunc="first")
            for key, g in replicates.groupby(KEY, sort=False)}


def _aligned(replicate_sets: dict | None, key, curve: pd.DataFrame):
    """The (points, n_boot) replicate matrix of one curve, rows in the curve's order; None when absent."""
    if replicate_sets is None or key not in replicate_sets:
        return None
    index = pd.MultiIndex.from_arrays([curve["seed"].to_numpy(), curve["scale"].to_numpy()])
    matrix = replicate_sets[key].reindex(index)
    if matrix.isna().all(axis=1).any():
        raise InputError(f"replicates of curve {dict(zip(KEY, key))} lack some (seed, scale) points of the table")
    return matrix.to_numpy(float)


def check_table(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows of one metric, with the contract's columns checked (InputError names the culprit)."""
    require_columns(table, TABLE_COLUMNS, "evaluation table")
    if metric not in set(table["metric"].unique()):
        raise InputError(f"metric {metric!r} not in table; found {sorted(map(str, table['metric'].unique()))}")
    frame = table[table["metric"] == metric]
    scale = pd.to_numeric(frame["scale"], errors="coerce")
    if scale.isna().any() or (scale <= 0).any():
        raise InputError(f"column 'scale' must be > 0; found {frame.loc[~(scale > 0), 'scale'].iloc[0]!r}")
    aggregate = frame[(frame["attribute"] == AGGREGATE) & (frame["community"] == AGGREGATE)]
    if aggregate.empty:
        raise InputError("no aggregate rows (attribute='all', community='all') for metric " + repr(metric))
    return frame


def fit_all(table: pd.DataFrame, metric: str = "error", forms=DEFAULT_FORMS, n_boot: int = 200, n_jobs: int = 2, *,
            holdout=2, boot_form: str = "power_law_floor", tol: float = 0.02, tie_tol: float = 0.002,
            interval: str = "cluster_t", rng_seed: int = 0, heterogeneity: bool = True,
            e_upper: float | str | None = "auto", replicates: pd.DataFrame | None = None) -> FitAllResult:
    """Fit every (model, attribute, community) curve of `metric`.

    Per curve: the form chosen by extrapolation (choose_form, `holdout` largest sizes) with its
    point estimates, seed-bootstrap intervals for `boot_form`'s parameters, and the trend
    label (classify_trend, paired with the model's aggregate curve). Per (model, attribute):
    slope_heterogeneity. Curves with non-positive values, too few sizes or one seed are kept
    as rows with evaluable=False and a reason. `e_upper` bounds M4's e0: "auto" is 1.0 for
    error rates (metric in ERROR_RATES, as Alabdulmohsin et al. bound classification error)
    and None otherwise (then e0 <= 100 x the largest observed value).
    `replicates` (columns model, scale, seed, attribute, community, replicate, value; replicate
    0..n_boot-1) are test-row resamples of `metric` (metrics.test_row_replicates): every
    bootstrap then resamples seeds and test rows together. Without them, seeds only.
    """
    forms = tuple(get_form(f).name for f in forms)
    get_form(boot_form)
    if e_upper == "auto":
        e_upper = 1.0 if metric in ERROR_RATES else None
    widening(2, 0.95, interval)
    frame = check_table(table, metric)
    cfg = dict(forms=forms, holdout=holdout, boot_form=boot_form, n_boot=n_boot, rng_seed=rng_seed, tol=tol,
               tie_tol=tie_tol, interval=interval, e_upper=e_upper)
    replicate_sets = _replicate_matrices(replicates, n_boot)
    curves_in = [(key, g.sort_values(["seed", "scale"])) for key, g in frame.groupby(KEY, sort=True)]
    reps_of = {key: _aligned(replicate_sets, key, g) for key, g in curves_in}
    aggregates = {}
    for key, g in curves_in:
        if key[1] != AGGREGATE or key[2] != AGGREGATE:
            continue
        try:
            aggregates[key[0]] = upper_half_slope(g.scale.to_numpy(float), g.value.to_numpy(float),
                                                  g.seed.to_numpy(), n_boot=n_boot, rng_seed=rng_seed,
                                                  e_replicates=reps_of[key])
        except InputError:
            aggregates[key[0]] = None
    jobs = [(key, g.scale.to_numpy(float), g.value.to_numpy(float), g.seed.to_numpy(), aggregates.get(key[0]))
            for key, g in curves_in]
    started = time.perf_counter()
    results = Parallel(n_jobs=n_jobs, batch_size=max(1, len(jobs) // (8 * max(1, abs(n_jobs)))))(
        delayed(_fit_one)(key, n, e, s, agg, cfg, reps_of[key]) for key, n, e, s, agg in jobs)
    # named columns, so that a study in which no curve could be fitted still gives readable tables
    params = pd.DataFrame([r for res in results for r in res["params"]],
                          columns=[*KEY, "form", "parameter", "estimate", "ci_low", "ci_high", "success"])
    extrap = pd.DataFrame([r for res in results for r in res["extrap"]],
                          columns=[*KEY, "form", "rmse", "success", "chosen"])
    curves = pd.DataFrame([res["curve"] for res in results])
    het_rows, het_tests = [], []
    if heterogeneity:
        for (model, attribute), g in frame[frame.attribute != AGGREGATE].groupby(["model", "attribute"]):
            try:
                het = slope_heterogeneity(g, attribute, model=model)
            except InputError as exc:
                het_tests.append({"model": model, "attribute": attribute, "method": "not run", "note": str(exc)})
                continue
            het_tests.append({"model": model, "attribute": attribute, "method": het.method, "note": het.note,
                              "wald_stat": het.wald_stat, "wald_df": het.wald_df, "p_value": het.p_value,
                              "reference": het.reference, "excluded": ", ".join(het.excluded)})
            het_rows.append(het.communities.assign(model=model, attribute=attribute))
    het_table = (pd.concat(het_rows, ignore_index=True)[["model", "attribute", "community", "slope_diff", "ci_low",
                                                         "ci_high", "p_value", "p_holm", "differs"]]
                 if het_rows else pd.DataFrame(columns=["model", "attribute", "community", "slope_diff", "ci_low",
                                                        "ci_high", "p_value", "p_holm", "differs"]))
    floor_samples = {key: res["floor_samples"] for (key, *_), res in zip(jobs, results) if "floor_samples" in res}
    settings = {**cfg, "metric": metric, "seconds": time.perf_counter() - started, "trend_rule": TREND_RULE,
                "resampling": "seeds and test rows" if replicate_sets is not None else "seeds",
                "choice_rule": CHOICE_RULE.format(tie=tie_tol), "n_jobs": n_jobs, "floor_rule": FLOOR_RULE}
    return FitAllResult(params=params, curves=curves, extrapolation=extrap, heterogeneity=het_table,
                        heterogeneity_tests=pd.DataFrame(het_tests), settings=settings,
                        floors=floor_differences(floor_samples, interval=interval))


FLOOR_RULE = ("floor difference = median over paired seed resamples of (community e_inf - its model's aggregate e_inf), "
              "from the same seed resamples (paired by draw); standard error = bootstrap sd x sqrt(G/(G-1)) for "
              "G seeds, t-test with G-1 degrees of freedom, Holm correction over the communities of each model x "
              "attribute; a community's floor differs when its Holm p < 0.05")


def floor_differences(samples: dict, alpha: float = 0.05, interval: str = "cluster_t") -> pd.DataFrame:
    """Do communities' floors e_inf differ from their aggregate's? (see FLOOR_RULE)

    `samples` maps (model, attribute, community) to (seed labels, e_inf bootstrap samples indexed
    by draw); a community is compared only when its seeds are the aggregate's (then the draws pair).
    """
    from statsmodels.stats.multitest import multipletests

    columns = ["model", "attribute", "community", "floor_diff", "ci_low", "ci_high", "p_value", "p_holm", "differs"]
    rows = []
    for (model, attribute, community), (seeds, draws) in samples.items():
        agg = samples.get((model, AGGREGATE, AGGREGATE))
        if attribute == AGGREGATE or agg is None or agg[0] != seeds:
            continue
        diff = (draws - agg[1]).dropna()  # aligned on the draw number
        g = len(seeds)
        if len(diff) < 10 or g < 2:
            continue
        lo, hi = bootstrap_interval(diff.to_numpy(), g, interval=interval)
        est = float(np.median(diff))
        se = float(diff.std(ddof=1) * math.sqrt(g / (g - 1)))
        p = float(2 * stats.t.sf(abs(est) / se, g - 1)) if se > 0 else (0.0 if est != 0 else 1.0)
        rows.append({"model": model, "attribute": attribute, "community": community, "floor_diff": est,
                     "ci_low": float(lo), "ci_high": float(hi), "p_value": p})
    table = pd.DataFrame(rows, columns=columns[:7])
    if table.empty:
        return pd.DataFrame(columns=columns)
    parts = []
    for _, g in table.groupby(["model", "attribute"], sort=True):
        reject, p_holm, _, _ = multipletests(g.p_value, alpha=alpha, method="holm")
        parts.append(g.assign(p_holm=p_holm, differs=reject))
    return pd.concat(parts, ignore_index=True)[columns]


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
