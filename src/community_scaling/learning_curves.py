"""Per-community learning curves beside the aggregate's, and each community's
excess error over the aggregate, with intervals over training seeds.

Both read the tidy `evaluations` table (model, scale, seed, attribute,
community, metric, value, evaluable); the aggregate is attribute "all".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .io import InputError

AGGREGATE = "all"
KEY = ["model", "attribute", "community", "scale"]


def _t_interval(values: pd.core.groupby.SeriesGroupBy, level: float) -> pd.DataFrame:
    """Mean and t-interval over seeds; a single seed gives no interval (NaN), not a zero-width one."""
    summary = values.agg(["mean", "std", "count"]).rename(columns={"count": "seeds"})
    t = stats.t.ppf(0.5 + level / 2, np.maximum(summary.seeds - 1, 1))
    half = np.where(summary.seeds > 1, t * summary["std"] / np.sqrt(summary.seeds), np.nan)
    return summary.assign(ci_low=summary["mean"] - half, ci_high=summary["mean"] + half).drop(columns="std")


def _metric_rows(evaluations: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = evaluations[evaluations.metric == metric]
    if rows.empty:
        raise InputError(f"evaluations has no rows for metric {metric!r}; "
                         f"metrics present: {sorted(evaluations.metric.unique())}")
    return rows[rows.evaluable.astype(bool) | (rows.attribute == AGGREGATE)]


def curve_summary(evaluations: pd.DataFrame, metric: str = "error", level: float = 0.95) -> pd.DataFrame:
    """Mean metric per model x attribute x community x size, with a t-interval over seeds.

    Returns columns model, attribute, community, scale, mean, seeds, ci_low, ci_high
    (evaluable communities and the aggregate only)."""
    rows = _metric_rows(evaluations, metric)
    return _t_interval(rows.groupby(KEY).value, level).reset_index()


def excess_over_aggregate(evaluations: pd.DataFrame, metric: str = "error", level: float = 0.95,
                          replicates: pd.DataFrame | None = None, rng_seed: int = 0) -> pd.DataFrame:
    """Community minus aggregate metric, paired by trained model (same model, size, seed).

    Without `replicates` the interval is a t-interval over seeds: training noise only. With
    `replicates` (metrics.test_row_replicates: the same units scored on resamples of the test
    rows) each resample b also redraws the seeds, so the percentile interval carries both sources;
    at the largest size, where every seed trains on the same rows, only the test rows vary.

    Returns columns model, attribute, community, scale, mean (the excess on the real test set),
    seeds, ci_low, ci_high, interval (what was resampled)."""
    rows = _metric_rows(evaluations, metric)
    point = _t_interval(_paired_excess(rows, ["model", "scale", "seed"]).groupby(KEY).excess, level).reset_index()
    if replicates is None:
        return point.assign(interval="seeds")
    excess = _paired_excess(replicates, ["model", "scale", "seed", "replicate"])
    cube = excess.pivot_table(index=KEY, columns=["seed", "replicate"], values="excess", dropna=False)
    seeds = cube.columns.get_level_values("seed").unique()
    n_boot = cube.columns.get_level_values("replicate").nunique()
    values = cube.to_numpy().reshape(len(cube), len(seeds), n_boot)  # key x seed x replicate
    draws = np.random.default_rng([rng_seed, 4417]).multinomial(len(seeds), np.full(len(seeds), 1 / len(seeds)),
                                                                size=n_boot)  # replicate x seed counts
    weights = draws.T[None, :, :] * ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (np.nan_to_num(values) * weights).sum(axis=1) / weights.sum(axis=1)
    tail = (1 - level) / 2
    low, high = np.nanquantile(boot, [tail, 1 - tail], axis=1)
    bounds = pd.DataFrame({"ci_low": low, "ci_high": high}, index=cube.index).reset_index()
    point = point.drop(columns=["ci_low", "ci_high"]).merge(bounds, on=KEY, how="left")
    return point.assign(interval="seeds and test rows")


def _paired_excess(rows: pd.DataFrame, unit: list[str]) -> pd.DataFrame:
    """Each community's value minus the aggregate's for the same unit (and test-row resample)."""
    aggregate = rows[rows.attribute == AGGREGATE].set_index(unit)["value"].rename("aggregate")
    communities = rows[rows.attribute != AGGREGATE].join(aggregate, on=unit)
    return communities.assign(excess=communities["value"] - communities["aggregate"])


def largest_and_smallest(excess: pd.DataFrame) -> pd.DataFrame:
    """Per model x community, the excess at its smallest and largest training-set size side by side.

    Returns columns model, attribute, community, scale_small, mean_small, scale_large, mean_large,
    ci_low, ci_high (the interval at the largest size)."""
    ordered = excess.sort_values("scale")
    group = ordered.groupby(["model", "attribute", "community"])
    small = group.first()[["scale", "mean"]].add_suffix("_small")
    large = group.last()[["scale", "mean", "ci_low", "ci_high"]].rename(columns={"scale": "scale_large",
                                                                                  "mean": "mean_large"})
    return small.join(large).reset_index()
