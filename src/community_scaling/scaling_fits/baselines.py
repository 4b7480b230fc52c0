"""Does the power law with floor extrapolate better than simple baselines?

Fit on the sizes at most n_max / 2^doublings, predict every larger size, and compare the
held-out log-RMSE with two baselines fitted on the same points: the flat last value (no
further gain: the geometric mean at the largest fitted size) and a power law without a
floor (least squares of log e on log n). The margin is the best baseline's RMSE minus the
power law's; its interval resamples seeds and, with replicates, test rows together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..io import InputError
from .exponents import profile_fit
from .forms import _as_curve
from .resampling import bootstrap_interval, joint_resamples
from .table import AGGREGATE, KEY, aligned_array, check_table, replicate_arrays

BASELINES = ("flat", "power_law")
MARGIN_RULE = ("fit on the sizes n <= n_max / 2^doublings, predict every larger size; log-RMSE of each prediction "
               "against the geometric mean of the held-out values at each size; margin = the better baseline's "
               "log-RMSE (flat last value; power law without floor) minus the power law with floor's; interval "
               "over joint resamples of seeds and test rows, with the few-seed widening")


def split_sizes(n, doublings: float, min_fitted: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Sizes fitted (n <= n_max / 2^doublings) and held out (the rest); InputError when fewer than
    `min_fitted` are fitted."""
    sizes = np.unique(np.asarray(n, float))
    cut = sizes[-1] / 2.0 ** doublings
    fitted, held = sizes[sizes <= cut * (1 + 1e-9)], sizes[sizes > cut * (1 + 1e-9)]
    if fitted.size < min_fitted:
        raise InputError(f"holding out {doublings:g} doublings below n_max = {sizes[-1]:g} leaves {fitted.size} "
                         f"sizes to fit (need >= {min_fitted}): add smaller sizes or hold out fewer doublings")
    return fitted, held


def _weighted_mean(values, weights, columns):
    w = weights[:, columns]
    return (values[:, columns] * w).sum(1) / w.sum(1)


def _rmses(n, log_values, values, weights, fitted, held) -> dict:
    """Held-out log-RMSE of each prediction, per resample (rows)."""
    train = np.isin(n, fitted)
    observed = np.column_stack([_weighted_mean(log_values, weights, n == s) for s in held])
    c, e_inf, b = profile_fit(n[train], values[:, train], weights[:, train])
    floor_law = np.log(e_inf[:, None] + b[:, None] * held[None, :] ** -c[:, None])
    flat = np.repeat(_weighted_mean(log_values, weights, n == fitted[-1])[:, None], held.size, axis=1)
    x, w, y = np.log(n[train]), weights[:, train], log_values[:, train]
    sw, sx, sy = w.sum(1), w @ x, (w * y).sum(1)
    slope = (sw * ((w * y) @ x) - sx * sy) / (sw * (w @ (x * x)) - sx * sx)
    intercept = (sy - slope * sx) / sw
    power_law = intercept[:, None] + slope[:, None] * np.log(held)[None, :]
    return {k: np.sqrt(np.mean((v - observed) ** 2, axis=1))
            for k, v in (("power_law_floor", floor_law), ("flat", flat), ("power_law", power_law))}


def extrapolation_margin(n, e, seed_ids, doublings: float = 3.0, *, n_boot: int = 200, rng_seed: int = 0,
                         e_replicates=None, interval: str = "cluster_t", level: float = 0.95) -> dict:
    """The power law with floor against the baselines on one curve (see MARGIN_RULE).

    The power law with floor is fitted by profile least squares on relative residuals
    (exponents.profile_fit, vectorised over resamples); the power law without floor by
    least squares on log e. Returns a dict: fit_max_n, held_out (list of sizes),
    doublings_held_out (log2 of n_max over the largest fitted size), rmse_power_law_floor,
    rmse_flat, rmse_power_law, margin (best baseline minus the power law), margin_ci_low,
    margin_ci_high, margin_flat, margin_power_law.
    """
    n, e, seeds = _as_curve(n, e, seed_ids, need_seeds=e_replicates is None)
    # one run per size: the 3-parameter law needs a size beyond 3 to leave a residual to judge it by
    fitted, held = split_sizes(n, doublings, min_fitted=3 if np.unique(seeds).size > 1 else 4)
    values, weights = joint_resamples(e, seeds, n_boot, rng_seed, e_replicates)
    with np.errstate(all="ignore"), threadpool_limits(1, "blas"):  # small products: threads only contend
        rmse = _rmses(n, np.log(values), values, weights, fitted, held)
    margins = np.minimum(*(rmse[k] for k in BASELINES)) - rmse["power_law_floor"]
    margin = float(margins[0])
    boot = margins[1:][np.isfinite(margins[1:])]
    if boot.size < max(10, n_boot // 2):
        raise RuntimeError(f"extrapolation margin: only {boot.size} of {n_boot} resamples gave a finite margin")
    centred = boot - np.median(boot) + margin  # the interval is placed about the estimate
    clusters = np.unique(seeds).size
    # one run per size (published results): the replicates are the only noise, a plain percentile interval
    low, high = bootstrap_interval(centred, clusters, level, interval if clusters > 1 else "percentile")
    return {"fit_max_n": float(fitted[-1]), "held_out": held.tolist(),
            "doublings_held_out": float(np.log2(held[-1] / fitted[-1])),
            **{f"rmse_{k}": float(v[0]) for k, v in rmse.items()}, "margin": margin, "margin_ci_low": float(low),
            "margin_ci_high": float(high),
            **{f"margin_{k}": float(rmse[k][0] - rmse["power_law_floor"][0]) for k in BASELINES}}


def aggregate_margins(table: pd.DataFrame, metric: str = "error", replicates: pd.DataFrame | None = None,
                      doublings: float = 3.0, *, n_boot: int = 200, rng_seed: int = 0,
                      interval: str = "cluster_t", level: float = 0.95) -> pd.DataFrame:
    """extrapolation_margin for each model's aggregate curve (attribute = community = 'all').

    Returns one row per model: model, then the keys of extrapolation_margin; a model whose curve
    cannot be split or fitted has NaN margins and a `reason`.
    """
    frame = check_table(table, metric)
    frame = frame[(frame.attribute == AGGREGATE) & (frame.community == AGGREGATE)]
    if replicates is not None:
        replicates = replicates[(replicates.attribute == AGGREGATE) & (replicates.community == AGGREGATE)]
    sets = replicate_arrays(replicates, n_boot)
    rows = []
    for key, g in frame.groupby(KEY, sort=True):
        g = g.sort_values(["seed", "scale"])
        row = {"model": key[0], "reason": ""}
        try:
            row.update(extrapolation_margin(g.scale.to_numpy(float), g.value.to_numpy(float), g.seed.to_numpy(),
                                            doublings, n_boot=n_boot, rng_seed=rng_seed,
                                            e_replicates=aligned_array(sets, key, g), interval=interval,
                                            level=level))
        except (InputError, RuntimeError) as exc:
            row.update(margin=np.nan, margin_ci_low=np.nan, margin_ci_high=np.nan, reason=str(exc))
        rows.append(row)
    return pd.DataFrame(rows)
