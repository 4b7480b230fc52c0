"""Resampling helpers every analysis shares: seed draws, test-row replicates, widened percentile intervals."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..io import InputError

INTERVALS = ("cluster_t", "percentile")


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


def joint_resamples(e, seed_ids, n_boot: int, rng_seed: int = 0, e_replicates=None) -> tuple[np.ndarray, np.ndarray]:
    """Values and weights of a curve's points on the data (row 0) and n_boot joint resamples (rows 1..n_boot).

    Resample r draws seeds with replacement (seed_draws: the same draws for every curve with the
    same seeds and rng_seed, so curves pair up) and, with `e_replicates` (points x n_boot), takes
    its values from test-row replicate r - 1 (one test set scores every curve, so the same
    replicate is shared by all of them). Weights are how often a point's seed was drawn; unusable
    values (<= 0 or missing) get weight 0 and value 1. Returns (values, weights), each (n_boot + 1, points).
    """
    e = np.asarray(e, float).ravel()
    labels, codes = np.unique(np.asarray(seed_ids).ravel(), return_inverse=True)
    if labels.size < 2 and e_replicates is None:  # one run per size: only replicates can carry the noise
        raise InputError("resampling needs at least 2 seeds, or replicates of the values")
    counts = np.zeros((n_boot + 1, labels.size))
    counts[0] = 1.0
    draws = seed_draws(labels.size, n_boot, rng_seed)
    np.add.at(counts, (np.repeat(np.arange(1, n_boot + 1), labels.size), draws.ravel()), 1.0)
    reps = _check_replicates(e_replicates, e.size, n_boot)
    values = np.vstack([e, np.broadcast_to(e, (n_boot, e.size)) if reps is None else reps.T])
    usable = np.isfinite(values) & (values > 0)
    return np.where(usable, values, 1.0), np.where(usable, counts[:, codes], 0.0)
