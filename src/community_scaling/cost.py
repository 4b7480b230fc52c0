"""What each unit and each gain costs: CPU time, an energy estimate, fit operations.

Descriptive tables for notebook 7. The claims C6 and C7 rest on fit operations (an
operation count, identical across runs), in `diminishing_returns` and `small_models`;
CPU time is measured once per unit on a shared machine and is shown, not tested.
Metrics are "lower is better" (error).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .io import InputError, require_columns

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

    Columns: model, scale, n_seeds, cpu_seconds_mean, cpu_seconds_sd, (wall|fit|predict)_seconds_mean,
    fit_operations_mean and iterations_mean when present, energy_joules, energy_kwh, watts_per_core.
    """
    _check_units(units)
    watts = _positive_number(watts_per_core, "watts_per_core")
    extra = [c for c in ("wall_seconds", "fit_seconds", "predict_seconds", "fit_operations", "iterations")
             if c in units.columns]
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


def _seed_means(rows: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    means = rows.groupby(["model", "scale", "attribute", "community"], as_index=False)["value"].mean()
    cpu = units.groupby(["model", "scale"], as_index=False)["cpu_seconds"].mean()
    return means.merge(cpu, on=["model", "scale"], how="left", validate="many_to_one")


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
