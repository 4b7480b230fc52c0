"""Functional forms of a learning curve e(n), their data-dependent context and input checks:
power law with floor, M4 (Alabdulmohsin et al. 2022), broken power law (Caballero et al. 2023)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import optimize
from scipy.optimize import elementwise
from scipy.special import expit, log_expit

from ..io import InputError


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
    batchable: bool = False  # log_model broadcasts over a batch of thetas (scaling_fits.batched)

    @property
    def n_params(self) -> int:
        return len(self.param_names)


def _columns(*columns) -> np.ndarray:
    """Jacobian columns stacked last: (points, params) for one theta, (batch, points, params) when
    theta's entries are (batch, 1) arrays (scaling_fits.batched)."""
    return np.stack(np.broadcast_arrays(*columns), axis=-1)


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
    return np.log(e), _columns(1 / e, p / e, -x * p / e)


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
    log_params=("b",), reference="e(n) = e_inf + b n^-c", batchable=True)


# broken power law, one break (Caballero et al. 2023, arXiv 2210.14891, eq. 1 with n = 1):
# e = e_inf + b n^-c0 (1 + (n/d)^(1/f))^(-c1 f); internal (e_inf, log b', c0, c1, log d - log n_ref, log f)
def _bpl_log_model(theta, x, ctx, jac=True):
    e_inf, log_b, c0, c1, xd, log_f = theta
    f = np.exp(log_f)
    z = (x - xd) / f
    log_s = np.logaddexp(0.0, z)  # log(1 + (n/d)^(1/f)), overflow-safe
    log_p = log_b - c0 * x - c1 * f * log_s
    p = np.exp(log_p)
    e = e_inf + p
    if not jac:
        return np.log(e), None
    sig = expit(z)
    dlogp = _columns(np.ones_like(z), -x, -f * log_s, c1 * sig, -c1 * f * (log_s - z * sig))
    return np.log(e), np.concatenate([(1 / e)[..., None], (p / e)[..., None] * dlogp], axis=-1)


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
    reference="e(n) = e_inf + b n^-c0 (1 + (n/d)^(1/f))^(-c1 f)  (Caballero et al. 2023)", batchable=True)


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
