"""Descriptive compute tables: CPU time, energy, cost per improvement (C6 and C7 are in test_compute_claims)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import cost
from community_scaling.io import InputError

SCALES = [100, 200, 400, 800, 1600]


def synthetic(elasticity: float, seeds: int = 5, noise: float = 0.02, rng: int = 0):
    """error = k_c * cpu**elasticity per community; cpu grows linearly with n."""
    rng = np.random.default_rng(rng)
    factors = {("race", "a"): 1.0, ("race", "b"): 1.5, ("race", "c"): 2.0, ("race", "d"): 5.0}
    units, rows = [], []
    for model, base in (("lr", 0.01), ("gb", 0.05)):
        for scale in SCALES:
            for seed in range(seeds):
                cpu = base * scale * np.exp(rng.normal(scale=noise))
                units.append({"unit_id": f"{model}{scale}{seed}", "model": model, "scale": scale, "seed": seed,
                              "cpu_seconds": cpu, "wall_seconds": cpu * 1.1})
                err = 0.1 * cpu ** elasticity * np.exp(rng.normal(scale=noise))
                rows.append((model, scale, seed, "all", "all", err, True))
                for (a, c), k in factors.items():
                    rows.append((model, scale, seed, a, c, err * k * np.exp(rng.normal(scale=noise)), c != "d"))
    evaluations = pd.DataFrame(rows, columns=["model", "scale", "seed", "attribute", "community", "value",
                                              "evaluable"]).assign(metric="error", n_eval=500)
    return evaluations, pd.DataFrame(units)


def table(errors: dict, cpu: dict, seeds: int = 2):
    """Deterministic evaluations: errors[(model, scale)] -> {community: error}; cpu[(model, scale)]."""
    units, rows = [], []
    for (model, scale), by_community in errors.items():
        for seed in range(seeds):
            units.append({"model": model, "scale": scale, "seed": seed, "cpu_seconds": cpu[(model, scale)]})
            rows.append((model, scale, seed, "all", "all", np.mean(list(by_community.values())), True))
            rows += [(model, scale, seed, "g", c, e, True) for c, e in by_community.items()]
    evaluations = pd.DataFrame(rows, columns=["model", "scale", "seed", "attribute", "community", "value",
                                              "evaluable"]).assign(metric="error")
    return evaluations, pd.DataFrame(units)


def test_compute_table_energy():
    _, units = synthetic(-0.3)
    out = cost.compute_table(units, watts_per_core=20)
    row = out[(out.model == "gb") & (out.scale == 400)].iloc[0]
    cpu = units[(units.model == "gb") & (units.scale == 400)].cpu_seconds
    assert row.n_seeds == 5 and row.cpu_seconds_mean == pytest.approx(cpu.mean())
    assert row.cpu_seconds_sd == pytest.approx(cpu.std())
    assert row.energy_joules == pytest.approx(20 * cpu.mean())
    assert row.energy_kwh == pytest.approx(20 * cpu.mean() / 3.6e6)
    assert "wall_seconds_mean" in out


def test_cost_per_improvement_by_hand():
    errors = {("lr", 100): {"a": 0.30, "b": 0.40}, ("lr", 200): {"a": 0.25, "b": 0.41},
              ("lr", 400): {"a": 0.24, "b": 0.35}}
    cpu = {("lr", 100): 1.0, ("lr", 200): 2.0, ("lr", 400): 6.0}
    out = cost.cost_per_improvement(*table(errors, cpu)).set_index(["community", "scale_from"])
    first = out.loc[("all", 100)]
    assert first.extra_cpu_seconds == pytest.approx(1.0)
    assert first.reduction_pp == pytest.approx(100 * (0.35 - 0.33))
    assert first.cpu_seconds_per_pp == pytest.approx(1.0 / 2.0)
    worst = out.loc[("*", 100)]  # worst community: b in both sizes, and it got worse
    assert worst.reduction_pp == pytest.approx(-1.0) and not worst.improved and np.isnan(worst.cpu_seconds_per_pp)
    assert out.loc[("*", 200)].cpu_seconds_per_pp == pytest.approx(4.0 / 6.0)


@pytest.mark.parametrize("call, culprit", [
    (lambda ev, u: cost.compute_table(u.drop(columns="cpu_seconds")), "cpu_seconds"),
    (lambda ev, u: cost.compute_table(u, watts_per_core=-1), "watts_per_core"),
    (lambda ev, u: cost.cost_per_improvement(ev, u.assign(cpu_seconds=-1.0)), "cpu_seconds"),
    (lambda ev, u: cost.cost_per_improvement(ev.drop(columns="evaluable"), u), "evaluable"),
    (lambda ev, u: cost.cost_per_improvement(ev, u, metric="auc"), "auc"),
])
def test_bad_inputs_name_the_culprit(call, culprit):
    evaluations, units = synthetic(-0.4, seeds=2)
    with pytest.raises(InputError, match=culprit):
        call(evaluations, units)
