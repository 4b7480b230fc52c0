"""Rolf et al. (2021) representation model: a group's loss from its own rows and everyone's."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..io import InputError
from .fitting import MAX_NFEV, TIGHT, _least_squares, _multistart, _Objective
from .forms import _as_curve
from .resampling import bootstrap_interval, seed_draws


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
