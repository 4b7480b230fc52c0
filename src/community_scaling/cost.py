"""Claims C6 and C7: what each gain costs in compute, and whether small models serve most needs.

Compute is the process CPU time of fit + predict of each unit (Varoquaux,
Luccioni & Whittaker 2024 argue compute grows faster than performance and
that small models serve most needs). Metrics are "lower is better" (error).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .io import InputError, require_columns
from .values import bootstrap_interval, seed_bootstrap_weights, weighted_seed_mean

WATTS_PER_CORE = 15.0
UNIT_KEYS = ["model", "scale", "seed"]
EVAL_COLUMNS = ["model", "scale", "seed", "attribute", "community", "metric", "value", "evaluable"]


def _check_units(units: pd.DataFrame, extra=("cpu_seconds",)) -> pd.DataFrame:
    require_columns(units, [*UNIT_KEYS, *extra], "units")
    if units.duplicated(UNIT_KEYS).any():
        raise InputError("units has duplicate (model, scale, seed) rows")
    cpu = pd.to_numeric(units["cpu_seconds"], errors="coerce")
    if cpu.isna().any() or (cpu < 0).any() or not np.isfinite(cpu).all():
        raise InputError("units column 'cpu_seconds' must be finite and non-negative")
    return units


def _positive_number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value) \
            or value <= 0:
        raise InputError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def compute_table(units: pd.DataFrame, watts_per_core: float = WATTS_PER_CORE) -> pd.DataFrame:
    """CPU time and an energy estimate per (model, scale), over seeds.

    energy = mean cpu_seconds x watts_per_core. Assumption: the work is CPU-bound and
    single-threaded, so CPU seconds are busy-core seconds, and a busy core draws
    `watts_per_core` on average. 15 W is an assumption within the range of the Green
    Algorithms calculator's per-core TDP table (Lannelongue, Grealey & Inouye 2021;
    TDP / cores is about 4-24 W, default 12 W); it leaves out memory, idle power
    and data-centre overhead (PUE), so it is a lower-end, order-of-magnitude figure.

    Columns: model, scale, n_seeds, cpu_seconds_mean, cpu_seconds_sd, (wall|fit|predict)_seconds_mean
    when present, energy_joules, energy_kwh, watts_per_core.
    """
    _check_units(units)
    watts = _positive_number(watts_per_core, "watts_per_core")
    extra = [c for c in ("wall_seconds", "fit_seconds", "predict_seconds") if c in units.columns]
    grouped = units.groupby(["model", "scale"], sort=True)
    out = grouped["cpu_seconds"].agg(n_seeds="count", cpu_seconds_mean="mean", cpu_seconds_sd="std")
    for column in extra:
        out[f"{column}_mean"] = grouped[column].mean()
    out = out.reset_index()
    out["energy_joules"] = out["cpu_seconds_mean"] * watts
    out["energy_kwh"] = out["energy_joules"] / 3.6e6
    out["watts_per_core"] = watts
    return out


# ---------------------------------------------------------------- per-seed panels

def _metric_rows(evaluations: pd.DataFrame, metric: str, targets: str) -> pd.DataFrame:
    """Per-unit metric values for the aggregate and either each attribute's worst evaluable community
    (targets="worst", community "*") or each evaluable community (targets="communities")."""
    require_columns(evaluations, EVAL_COLUMNS, "evaluations")
    rows = evaluations[evaluations["metric"] == metric]
    if rows.empty:
        raise InputError(f"evaluations has no rows for metric {metric!r}")
    keep = ["model", "scale", "seed", "attribute", "community", "value"]
    aggregate = rows[(rows.attribute == "all") & (rows.community == "all")][keep]
    if aggregate.empty:
        raise InputError(f"evaluations has no aggregate (attribute='all') rows for metric {metric!r}")
    people = rows[(rows.attribute != "all") & (rows.community != "*") & rows.evaluable.astype(bool)][keep]
    if targets == "communities":
        parts = [aggregate, people]
    else:
        given = evaluations[(evaluations.metric == f"worst_community_{metric}") & (evaluations.community == "*")]
        if not given.empty:
            worst = given[keep]
        else:  # lower is better, so the worst community has the largest value
            worst = people.groupby(["model", "scale", "seed", "attribute"], as_index=False)["value"].max()
            worst["community"] = "*"
        parts = [aggregate, worst[keep]]
    out = pd.concat(parts, ignore_index=True)
    if out.duplicated(["model", "scale", "seed", "attribute", "community"]).any():
        raise InputError(f"evaluations has duplicate rows for metric {metric!r}")
    return out


def _panel(rows: pd.DataFrame, units: pd.DataFrame):
    """Arrays over (seed, target, config) of the metric and (seed, config) of CPU seconds."""
    configs = units[["model", "scale"]].drop_duplicates().sort_values(["model", "scale"]).reset_index(drop=True)
    seeds = np.unique(units["seed"].to_numpy())
    targets = rows[["attribute", "community"]].drop_duplicates().sort_values(["attribute", "community"])
    targets = targets.reset_index(drop=True)
    cfg = {k: i for i, k in enumerate(zip(configs.model, configs.scale))}
    tgt = {k: i for i, k in enumerate(zip(targets.attribute, targets.community))}
    sid = {s: i for i, s in enumerate(seeds)}
    unknown = set(zip(rows.model, rows.scale, rows.seed)) - set(zip(units.model, units.scale, units.seed))
    if unknown:
        raise InputError(f"evaluations has (model, scale, seed) not in units: {sorted(unknown)[:3]}")
    metric = np.full((len(seeds), len(targets), len(configs)), np.nan)
    metric[[sid[s] for s in rows.seed], [tgt[k] for k in zip(rows.attribute, rows.community)],
           [cfg[k] for k in zip(rows.model, rows.scale)]] = rows["value"].to_numpy(np.float64)
    cpu = np.full((len(seeds), len(configs)), np.nan)
    cpu[[sid[s] for s in units.seed], [cfg[k] for k in zip(units.model, units.scale)]] = \
        units["cpu_seconds"].to_numpy(np.float64)
    return metric, cpu, targets, configs, seeds


def _seed_means(rows: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    means = rows.groupby(["model", "scale", "attribute", "community"], as_index=False)["value"].mean()
    cpu = units.groupby(["model", "scale"], as_index=False)["cpu_seconds"].mean()
    return means.merge(cpu, on=["model", "scale"], how="left", validate="many_to_one")


# ---------------------------------------------------------------- C6

def cost_per_improvement(evaluations: pd.DataFrame, units: pd.DataFrame, metric: str = "error") -> pd.DataFrame:
    """Extra CPU seconds per percentage point of metric reduction between consecutive sizes, per model,
    for the aggregate and each attribute's worst evaluable community (community "*"), on seed means.

    Columns: model, attribute, community, scale_from, scale_to, cpu_from, cpu_to, extra_cpu_seconds,
    value_from, value_to, reduction_pp, cpu_seconds_per_pp (NaN when the metric did not fall), improved.
    """
    _check_units(units)
    means = _seed_means(_metric_rows(evaluations, metric, "worst"), units)
    out = []
    for key, group in means.sort_values("scale").groupby(["model", "attribute", "community"], sort=True):
        a, b = group.iloc[:-1], group.iloc[1:]
        frame = pd.DataFrame({"model": key[0], "attribute": key[1], "community": key[2],
                              "scale_from": a.scale.to_numpy(), "scale_to": b.scale.to_numpy(),
                              "cpu_from": a.cpu_seconds.to_numpy(), "cpu_to": b.cpu_seconds.to_numpy(),
                              "value_from": a.value.to_numpy(), "value_to": b.value.to_numpy()})
        out.append(frame)
    out = pd.concat(out, ignore_index=True) if out else pd.DataFrame()
    out.insert(7, "extra_cpu_seconds", out.cpu_to - out.cpu_from)
    out["reduction_pp"] = 100 * (out.value_from - out.value_to)
    out["improved"] = out.reduction_pp > 0
    out["cpu_seconds_per_pp"] = np.where(out.improved, out.extra_cpu_seconds / out.reduction_pp.where(out.improved),
                                         np.nan)
    return out


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS slope of y on x along the last axis; NaN where any value is missing or x is constant."""
    xm, ym = x.mean(axis=-1, keepdims=True), y.mean(axis=-1, keepdims=True)
    sxx = ((x - xm) ** 2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sxx > 0, ((x - xm) * (y - ym)).sum(axis=-1) / sxx, np.nan)


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


def compute_elasticity(evaluations: pd.DataFrame, units: pd.DataFrame, metric: str = "error",
                       model: str | None = None, min_scale: int | None = None, n_boot: int = 1000,
                       seed: int = 0) -> pd.DataFrame:
    """Elasticity of the metric w.r.t. compute: slope of log(seed-mean metric) on log(seed-mean CPU
    seconds) across sizes >= min_scale, per model (or just `model`), for the aggregate and each
    attribute's worst evaluable community. |slope| < 1: a 1% rise in compute buys less than a 1% fall
    in error. Interval: percentile bootstrap resampling seeds (shared by all sizes) with replacement.

    Columns: model, attribute, community, n_scales, n_seeds, elasticity, ci_low, ci_high,
    metric_exponent (slope of log metric on log n), cpu_exponent (slope of log CPU on log n),
    value_first, value_last, cpu_first, cpu_last, n_boot.
    """
    _check_units(units)
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise InputError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    if model is not None and model not in set(units.model):
        raise InputError(f"model {model!r} is not in units; known: {sorted(set(units.model))}")
    rows = _metric_rows(evaluations, metric, "worst")
    if min_scale is not None:
        rows, units = rows[rows.scale >= min_scale], units[units.scale >= min_scale]
    values, cpu, targets, configs, seeds = _panel(rows, units)
    weights = seed_bootstrap_weights(len(seeds), n_boot, np.random.default_rng(seed)) if n_boot else None
    out = []
    for name in sorted(set(configs.model)) if model is None else [model]:
        cols = np.flatnonzero((configs.model == name).to_numpy())  # sorted by scale
        scales = configs.scale.to_numpy()[cols]
        if len(cols) < 2:
            raise InputError(f"model {name!r} needs at least two sizes for an elasticity, has {len(cols)}")
        log_n = np.log(scales.astype(np.float64))
        c_point = weighted_seed_mean(cpu[:, cols], np.ones(len(seeds)))
        c_boot = weighted_seed_mean(cpu[:, cols], weights.T) if weights is not None else None
        for t, (attribute, community) in enumerate(zip(targets.attribute, targets.community)):
            v = values[:, t, cols]
            v_point = weighted_seed_mean(v, np.ones(len(seeds)))
            slope = float(_slopes(_log(c_point), _log(v_point)))
            low = high = np.nan
            if weights is not None:
                draws = _slopes(_log(c_boot), _log(weighted_seed_mean(v, weights.T)))
                low, high = bootstrap_interval(slope, draws, "percentile")
            out.append({"model": name, "attribute": attribute, "community": community, "n_scales": len(cols),
                        "n_seeds": int((~np.isnan(v)).any(axis=1).sum()), "elasticity": slope,
                        "ci_low": low, "ci_high": high,
                        "metric_exponent": float(_slopes(log_n, _log(v_point))),
                        "cpu_exponent": float(_slopes(log_n, _log(c_point))),
                        "value_first": v_point[0], "value_last": v_point[-1],
                        "cpu_first": c_point[0], "cpu_last": c_point[-1], "n_boot": int(n_boot)})
    return pd.DataFrame(out)


def best_model(evaluations: pd.DataFrame, metric: str = "error") -> str:
    """The model family with the lowest seed-mean aggregate metric at its largest size."""
    rows = _metric_rows(evaluations, metric, "worst")
    agg = rows[rows.attribute == "all"]
    last = agg[agg.scale == agg.groupby("model").scale.transform("max")]
    return str(last.groupby("model").value.mean().idxmin())


# ---------------------------------------------------------------- C7

def _within_margin(mean: np.ndarray, cpu: np.ndarray, margin: float, relative: bool):
    """Per target row of `mean` (target, config): the best config and the cheapest within the margin."""
    filled = np.where(np.isnan(mean), np.inf, mean)
    best = filled.argmin(axis=1)
    best_value = filled[np.arange(len(filled)), best]
    limit = best_value * (1 + margin) if relative else best_value + margin
    ok = (filled <= (limit + 1e-12)[:, None]) & np.isfinite(cpu)[None, :]
    # cheapest CPU first, then lower metric; configs are sorted by (model, scale)
    cost = np.where(ok, cpu[None, :], np.inf)
    chosen = np.empty(len(filled), int)
    for t in range(len(filled)):
        order = np.lexsort((filled[t], cost[t]))
        chosen[t] = order[0]
    return best, chosen


def smallest_within_margin(evaluations: pd.DataFrame, units: pd.DataFrame, margin: float = 0.01,
                           relative: bool = False, metric: str = "error") -> pd.DataFrame:
    """For the aggregate and each evaluable community: the best seed-mean metric over all (model, scale),
    and the cheapest (model, scale) by mean CPU seconds whose metric is within `margin` of it.

    margin is in the metric's own units when relative=False (0.01 = one percentage point of error),
    else a fraction of the best value. Columns: attribute, community, best_model, best_scale, best_value,
    best_cpu_seconds, model, scale, value, cpu_seconds, share_of_best_cpu, share_of_max_cpu,
    max_cpu_seconds (the costliest configuration's mean CPU time).
    """
    _check_units(units)
    margin = _margin(margin)
    values, cpu, targets, configs, seeds = _panel(_metric_rows(evaluations, metric, "communities"), units)
    return _margin_table(np.nanmean(values, axis=0), np.nanmean(cpu, axis=0), targets, configs, margin, relative)


def _margin(margin) -> float:
    if isinstance(margin, bool) or not isinstance(margin, (int, float, np.number)) or not math.isfinite(margin) \
            or margin < 0:
        raise InputError(f"margin must be a non-negative number, got {margin!r}")
    return float(margin)


def _margin_table(mean, cpu, targets, configs, margin, relative) -> pd.DataFrame:
    best, chosen = _within_margin(mean, cpu, margin, relative)
    rows = np.arange(len(mean))
    out = targets.copy()
    out["best_model"] = configs.model.to_numpy()[best]
    out["best_scale"] = configs.scale.to_numpy()[best]
    out["best_value"] = mean[rows, best]
    out["best_cpu_seconds"] = cpu[best]
    out["model"] = configs.model.to_numpy()[chosen]
    out["scale"] = configs.scale.to_numpy()[chosen]
    out["value"] = mean[rows, chosen]
    out["cpu_seconds"] = cpu[chosen]
    out["share_of_best_cpu"] = out.cpu_seconds / out.best_cpu_seconds
    out["max_cpu_seconds"] = np.nanmax(cpu)
    out["share_of_max_cpu"] = out.cpu_seconds / out.max_cpu_seconds
    return out
