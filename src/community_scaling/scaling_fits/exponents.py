"""Does a community's excess error shrink more slowly than the aggregate's? Exponents on joint resamples.

Each curve is fitted as e(n) = e_inf + b n^-c, the exponent c being the rate at which the
error ABOVE the floor shrinks (the log-log slope of e itself, -c (e - e_inf)/e, is flatter
for a higher floor even at the same c, so it is not compared). The fit profiles c over a
grid: for each c, (e_inf >= 0, b >= 0) by least squares on relative residuals (e - model)/e,
a closed form vectorised over resamples; the best c is refined by a parabola through its
neighbours. Resample r draws seeds (seed_draws, the same draws for every curve) and takes
its values from test-row replicate r - 1 (one test set scores every curve), so a community's
resamples pair with the aggregate's and the dependence between communities is kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits
from scipy import stats

from ..io import InputError
from .resampling import bootstrap_interval, joint_resamples, widening
from .table import AGGREGATE, KEY, aligned_array, check_table, replicate_arrays

C_GRID = np.geomspace(0.01, 3.0, 160)
GAP_RULE = ("gap = aggregate exponent minus the community's (positive: its excess error above its floor shrinks "
            "more slowly); standard error = sd over joint resamples of seeds and test rows x sqrt(G/(G-1)); "
            "one-sided normal p-value for gap > 0; remaining gain = predicted error at n_max minus at 2 n_max, "
            "with the upper end of its widened 95% resample interval")


def floor_profile(values, weights, z):
    """For each row of `values`/`weights` (R, P) and each basis row of `z` (G, P), the least squares
    (a >= 0, b >= 0) of a + b z on relative residuals (e - model)/e, in closed form. Returns a, b
    and the sum of squares, each (R, G)."""
    safe = np.where(weights > 0, values, 1.0)
    omega = weights / safe ** 2
    s0, t0 = omega.sum(1)[:, None], (omega * safe).sum(1)[:, None]
    s1, s2 = omega @ z.T, omega @ (z * z).T
    t1 = (omega * safe) @ z.T
    q = (omega * safe * safe).sum(1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        det = s0 * s2 - s1 * s1
        a = (s2 * t0 - s1 * t1) / det
        b = (s0 * t1 - s1 * t0) / det
        neg_a = ~(a >= 0)
        a, b = np.where(neg_a, 0.0, a), np.where(neg_a, t1 / s2, b)
        neg_b = ~(b >= 0)
        a, b = np.where(neg_b, np.broadcast_to(t0 / s0, a.shape), a), np.where(neg_b, 0.0, b)
    sse = q - 2 * a * t0 - 2 * b * t1 + a * a * s0 + 2 * a * b * s1 + b * b * s2
    return a, b, np.where(np.isfinite(sse), sse, np.inf)


def profile_fit(n, values, weights):
    """Power law with floor e_inf + b n^-c per row of `values`/`weights` (R, P: rows are resamples,
    weight 0 drops a point). Returns arrays c, e_inf, b of length R."""
    a, b, sse = floor_profile(values, weights, n[None, :] ** -C_GRID[:, None])
    k = np.argmin(sse, axis=1)
    rows = np.arange(len(k))
    kk = np.clip(k, 1, C_GRID.size - 2)
    c0, c1, c2 = C_GRID[kk - 1], C_GRID[kk], C_GRID[kk + 1]
    f0, f1, f2 = sse[rows, kk - 1], sse[rows, kk], sse[rows, kk + 1]
    with np.errstate(divide="ignore", invalid="ignore"):  # vertex of the parabola through three points
        num = (c1 - c0) ** 2 * (f1 - f2) - (c1 - c2) ** 2 * (f1 - f0)
        den = (c1 - c0) * (f1 - f2) - (c1 - c2) * (f1 - f0)
        vertex = c1 - 0.5 * num / den
    inside = (k == kk) & np.isfinite(vertex) & (den < 0)  # den < 0 at a minimum
    c = np.where(inside, np.clip(vertex, c0, c2), C_GRID[k])
    return c, a[rows, k], b[rows, k]


def exponent_samples(n, e, seed_ids, *, n_boot: int = 200, rng_seed: int = 0, e_replicates=None) -> pd.DataFrame:
    """Profile fit of one curve on the observed data (row 0) and n_boot joint resamples (rows 1..n_boot).

    Returns columns c, e_inf, b, gain (predicted e(n_max) - e(2 n_max)), one row per resample.
    """
    n = np.asarray(n, float).ravel()
    if np.unique(n).size < 4:
        raise InputError(f"exponent_samples: {np.unique(n).size} sizes; a floor and an exponent need at least 4")
    values, weights = joint_resamples(e, seed_ids, n_boot, rng_seed, e_replicates)
    c, e_inf, b = profile_fit(n, values, weights)
    n_max = n.max()
    gain = b * n_max ** -c * (1 - 2.0 ** -c)
    return pd.DataFrame({"c": c, "e_inf": e_inf, "b": b, "gain": gain})


def _sample_curves(frame, sets, samples, info, n_boot, rng_seed):
    """Fill `samples` (key -> exponent_samples) and `info` (key -> n_eval, n_seeds, seeds, reason)."""
    for key, g in frame.groupby(KEY, sort=True):
        g = g.sort_values(["seed", "scale"])
        seeds = tuple(np.unique(g.seed).tolist())
        info[key] = {"n_eval": float(g.n_eval.max()) if "n_eval" in g else np.nan, "n_seeds": len(seeds),
                     "seeds": seeds, "reason": ""}
        values = g.value.to_numpy(float)
        if not np.all(np.isfinite(values)) or (values <= 0).any():
            info[key]["reason"] = "non-positive or missing values"
            continue
        try:
            samples[key] = exponent_samples(g.scale.to_numpy(float), values, g.seed.to_numpy(), n_boot=n_boot,
                                            rng_seed=rng_seed, e_replicates=aligned_array(sets, key, g))
        except InputError as exc:
            info[key]["reason"] = str(exc)


def community_exponents(table: pd.DataFrame, metric: str = "error", replicates: pd.DataFrame | None = None, *,
                        n_boot: int = 200, rng_seed: int = 0, interval: str = "cluster_t",
                        level: float = 0.95) -> pd.DataFrame:
    """Each community's exponent against its model's aggregate, on joint resamples (see GAP_RULE).

    Returns one row per (model, attribute, community) other than the aggregate: n_eval, n_seeds,
    c, c_ci_low, c_ci_high, c_aggregate, gap, gap_se, p_slower (one-sided, gap > 0), gain,
    gain_ci_high (upper end of the remaining gain per doubling at the largest size), reason
    (why a curve was not compared; then the numbers are NaN).
    """
    frame = check_table(table, metric)
    sets = replicate_arrays(replicates, n_boot)
    samples, info = {}, {}
    with threadpool_limits(1, "blas"):  # many small products: BLAS threads only contend on a shared machine
        _sample_curves(frame, sets, samples, info, n_boot, rng_seed)
    rows = []
    for key, meta in info.items():
        if key[1] == AGGREGATE:
            continue
        row = {**dict(zip(KEY, key)), "n_eval": meta["n_eval"], "n_seeds": meta["n_seeds"], "reason": meta["reason"]}
        agg_key = (key[0], AGGREGATE, AGGREGATE)
        if not row["reason"] and agg_key not in samples:
            row["reason"] = "no aggregate curve for this model"
        elif not row["reason"] and info[agg_key]["seeds"] != meta["seeds"]:
            row["reason"] = "seeds differ from the aggregate's (resamples would not pair)"
        if row["reason"]:
            rows.append(row)
            continue
        own, agg = samples[key], samples[agg_key]
        g = meta["n_seeds"]
        c_lo, c_hi = bootstrap_interval(own.c.to_numpy()[1:], g, level, interval, lower=C_GRID[0],
                                        upper=C_GRID[-1])
        gaps = agg.c.to_numpy()[1:] - own.c.to_numpy()[1:]
        gap = float(agg.c.iloc[0] - own.c.iloc[0])
        se = float(np.std(gaps, ddof=1) * np.sqrt(g / (g - 1)))
        _, gain_hi = bootstrap_interval(own.gain.to_numpy()[1:], g, level, interval, lower=0.0)
        row.update(c=float(own.c.iloc[0]), c_ci_low=float(c_lo), c_ci_high=float(c_hi),
                   c_aggregate=float(agg.c.iloc[0]), gap=gap, gap_se=se,
                   p_slower=float(stats.norm.sf(gap / se)) if se > 0 else 1.0,  # no spread: not testable
                   gain=float(own.gain.iloc[0]), gain_ci_high=float(gain_hi))
        rows.append(row)
    columns = [*KEY, "n_eval", "n_seeds", "c", "c_ci_low", "c_ci_high", "c_aggregate", "gap", "gap_se", "p_slower",
               "gain", "gain_ci_high", "reason"]
    widening(2, level, interval)  # validates `interval` even when no curve is compared
    return pd.DataFrame(rows).reindex(columns=columns)
