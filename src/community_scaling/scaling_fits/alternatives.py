"""Does the power-law family extrapolate better than laws that are not power laws?

Fit on the sizes at most n_max / 2^doublings, predict every larger size, and compare the
held-out log-RMSE of the power law with floor, e_inf + b n^-c (e_inf >= 0, so a power law
without floor is a member of the family), with two alternatives that are not power laws,
fitted on the same points: the flat last value (no further gain: the geometric mean at the
largest fitted size) and an exponential saturation, e_inf + b exp(-n/s) (the error reaches
its floor at a finite scale, as a power law never does). The margin is the better
alternative's RMSE minus the power law's. The power law without a floor (least squares of
log e on log n) is kept as a description: floor against no floor is not the claim.

Noise: seeds by the jackknife (leave one seed out), test rows by the test-row replicates
(all seeds in), added as variances; the interval is a t interval with Welch-Satterthwaite
degrees of freedom (G - 1 for the seed part, unbounded for the test rows), so 5 seeds are
treated as 5 and the test rows' many as many, without widening a joint bootstrap after the fact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from ..io import InputError
from .exponents import floor_profile, profile_fit
from .forms import _as_curve
from .resampling import _check_replicates
from .table import AGGREGATE, KEY, aligned_array, check_table, replicate_arrays

ALTERNATIVES = ("flat", "saturation")
SATURATION_SCALES = np.geomspace(1e-3, 10.0, 161)  # s / the largest fitted size
MARGIN_RULE = ("fit on the sizes n <= n_max / 2^doublings, predict every larger size; log-RMSE of each prediction "
               "against the geometric mean of the held-out values at each size; margin = the better alternative's "
               "log-RMSE (flat last value; exponential saturation e_inf + b exp(-n/s)) minus the power law with "
               "floor's (e_inf >= 0: the floorless law is in the family); variance = seed jackknife + test-row "
               "replicates, t interval with Welch-Satterthwaite degrees of freedom")


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


def saturation_fit(n, values, weights, scales):
    """Exponential saturation e_inf + b exp(-n/s) per row, s on the grid `scales`, least squares on
    relative residuals as the power law's (exponents.floor_profile). Returns arrays s, e_inf, b."""
    a, b, sse = floor_profile(values, weights, np.exp(-n[None, :] / scales[:, None]))
    k = np.argmin(sse, axis=1)
    rows = np.arange(len(k))
    return scales[k], a[rows, k], b[rows, k]


def _rmses(n, log_values, values, weights, fitted, held) -> dict:
    """Held-out log-RMSE of each prediction, per row (the data, then its resamples)."""
    train = np.isin(n, fitted)
    observed = np.column_stack([_weighted_mean(log_values, weights, n == s) for s in held])
    c, e_inf, b = profile_fit(n[train], values[:, train], weights[:, train])
    floor_law = np.log(e_inf[:, None] + b[:, None] * held[None, :] ** -c[:, None])
    flat = np.repeat(_weighted_mean(log_values, weights, n == fitted[-1])[:, None], held.size, axis=1)
    s, a, d = saturation_fit(n[train], values[:, train], weights[:, train], SATURATION_SCALES * fitted[-1])
    saturation = np.log(a[:, None] + d[:, None] * np.exp(-held[None, :] / s[:, None]))
    x, w, y = np.log(n[train]), weights[:, train], log_values[:, train]
    sw, sx, sy = w.sum(1), w @ x, (w * y).sum(1)
    slope = (sw * ((w * y) @ x) - sx * sy) / (sw * (w @ (x * x)) - sx * sx)
    intercept = (sy - slope * sx) / sw
    power_law = intercept[:, None] + slope[:, None] * np.log(held)[None, :]
    predictions = (("power_law_floor", floor_law), ("flat", flat), ("saturation", saturation), ("power_law", power_law))
    return {k: np.sqrt(np.mean((v - observed) ** 2, axis=1)) for k, v in predictions}


def _rows(e, seeds, e_replicates, n_boot):
    """Values and weights: the data (row 0), leave-one-seed-out (rows 1..G, with G > 1 seeds) and the
    test-row replicates with every seed in (the rest). Unusable values get weight 0 and value 1."""
    labels, codes = np.unique(seeds, return_inverse=True)
    jackknife = [codes != g for g in range(labels.size)] if labels.size > 1 else []
    reps = _check_replicates(e_replicates, e.size, n_boot)
    values = np.vstack([e] * (1 + len(jackknife)) + ([] if reps is None else [reps.T]))
    weights = np.vstack([np.ones(e.size), *jackknife] + ([] if reps is None else [np.ones((n_boot, e.size))]))
    usable = np.isfinite(values) & (values > 0)
    return np.where(usable, values, 1.0), np.where(usable, weights, 0.0), len(jackknife)


def margin_interval(estimate: float, jackknife: np.ndarray, replicates: np.ndarray, level: float = 0.95):
    """estimate +- t * se, se^2 = the seed jackknife's variance + the test-row replicates' variance,
    t with Welch-Satterthwaite degrees of freedom. Returns (low, high, se, df)."""
    g = jackknife.size
    v_seed = (g - 1) / g * np.sum((jackknife - jackknife.mean()) ** 2) if g > 1 else 0.0
    v_test = float(np.var(replicates, ddof=1)) if replicates.size > 1 else 0.0
    variance = v_seed + v_test
    if variance == 0:
        raise RuntimeError("extrapolation margin: neither seeds nor test-row replicates vary")
    df = np.inf if v_seed == 0 else variance ** 2 / (v_seed ** 2 / (g - 1))
    half = stats.t.ppf(0.5 + level / 2, df) * np.sqrt(variance)
    return estimate - half, estimate + half, float(np.sqrt(variance)), float(df)


def extrapolation_margin(n, e, seed_ids, doublings: float = 3.0, *, n_boot: int = 200, e_replicates=None,
                         level: float = 0.95) -> dict:
    """The power law with floor against the alternatives on one curve (see MARGIN_RULE).

    Needs at least 2 seeds or test-row replicates (points x n_boot). Returns a dict: fit_max_n,
    held_out (list of sizes), doublings_held_out (log2 of n_max over the largest fitted size),
    rmse_power_law_floor, rmse_flat, rmse_saturation, rmse_power_law, margin (best alternative minus
    the power law), margin_ci_low, margin_ci_high, margin_se, margin_df, margin_flat,
    margin_saturation, margin_power_law (the floorless law's RMSE minus the floor law's: a description).
    """
    n, e, seeds = _as_curve(n, e, seed_ids, need_seeds=e_replicates is None)
    # one run per size: the 3-parameter law needs a size beyond 3 to leave a residual to judge it by
    fitted, held = split_sizes(n, doublings, min_fitted=3 if np.unique(seeds).size > 1 else 4)
    values, weights, n_jack = _rows(e, seeds, e_replicates, n_boot)
    with np.errstate(all="ignore"), threadpool_limits(1, "blas"):  # small products: threads only contend
        rmse = _rmses(n, np.log(values), values, weights, fitted, held)
    margins = np.minimum(*(rmse[k] for k in ALTERNATIVES)) - rmse["power_law_floor"]
    margin, jackknife, replicates = float(margins[0]), margins[1:1 + n_jack], margins[1 + n_jack:]
    if not np.isfinite(margin) or not np.isfinite(jackknife).all():
        raise RuntimeError("extrapolation margin: the fit on the data or on a seed left out gave no finite margin")
    finite = replicates[np.isfinite(replicates)]
    if replicates.size and finite.size < max(10, replicates.size // 2):
        raise RuntimeError(f"extrapolation margin: only {finite.size} of {replicates.size} test-row replicates "
                           "gave a finite margin")
    low, high, se, df = margin_interval(margin, jackknife, finite, level)
    return {"fit_max_n": float(fitted[-1]), "held_out": held.tolist(),
            "doublings_held_out": float(np.log2(held[-1] / fitted[-1])),
            **{f"rmse_{k}": float(v[0]) for k, v in rmse.items()}, "margin": margin, "margin_ci_low": float(low),
            "margin_ci_high": float(high), "margin_se": se, "margin_df": df,
            **{f"margin_{k}": float(rmse[k][0] - rmse["power_law_floor"][0]) for k in (*ALTERNATIVES, "power_law")}}


def aggregate_margins(table: pd.DataFrame, metric: str = "error", replicates: pd.DataFrame | None = None,
                      doublings: float = 3.0, *, n_boot: int = 200, level: float = 0.95) -> pd.DataFrame:
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
                                            doublings, n_boot=n_boot, e_replicates=aligned_array(sets, key, g),
                                            level=level))
        except (InputError, RuntimeError) as exc:
            row.update(margin=np.nan, margin_ci_low=np.nan, margin_ci_high=np.nan, reason=str(exc))
        rows.append(row)
    return pd.DataFrame(rows)
