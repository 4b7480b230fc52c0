"""Per-community trend labels from the upper-half log-log slope, paired with the aggregate's."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..io import InputError
from .forms import _as_curve
from .resampling import _check_replicates, bootstrap_interval, seed_draws


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
              "with a seed-bootstrap interval; 'worsening' if the interval lies above 0; 'plateaued' if it lies "
              "within (-tol, tol) (shown flat); 'uncertain' if its upper end is above -tol otherwise (no "
              "demonstrable improvement of at least tol, but not shown flat either: too noisy to tell); else "
              "'slower' / 'faster' if the interval of (community slope - aggregate slope), from the same seed "
              "resamples, lies above / below 0, and 'like aggregate' otherwise ('improving' when no aggregate "
              "is given)")


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
    """Label a community's curve: worsening / plateaued / uncertain / slower / faster / like aggregate.

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
    elif -tol < lo and hi < tol:
        result.label = "plateaued"
    elif hi > -tol:
        result.label = "uncertain"
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
