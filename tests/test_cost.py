"""Compute cost, elasticity and small-model sufficiency (claims C6, C7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import cost
from community_scaling.io import InputError
from community_scaling.claims import c6_diminishing_returns as c6, c7_small_models as c7

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


@pytest.mark.parametrize("true", [-0.4, -1.6])
def test_elasticity_recovers_known_slope(true):
    evaluations, units = synthetic(true)
    out = cost.compute_elasticity(evaluations, units, n_boot=300)
    assert len(out) == 2 * 2  # two models x (aggregate, worst race community)
    for row in out.itertuples():
        assert row.elasticity == pytest.approx(true, abs=0.03)
        assert row.ci_low < true < row.ci_high
        assert row.cpu_exponent == pytest.approx(1.0, abs=0.03)
    # the worst community is the worst *evaluable* one (factor 2), not the excluded one (factor 5)
    worst = out[(out.model == "lr") & (out.community == "*")].iloc[0]
    agg = out[(out.model == "lr") & (out.community == "all")].iloc[0]
    assert worst.value_last / agg.value_last == pytest.approx(2.0, rel=0.1)


def test_given_worst_community_rows_are_used():
    evaluations, units = synthetic(-0.4)
    agg = evaluations[evaluations.attribute == "all"]
    given = agg.assign(attribute="race", community="*", metric="worst_community_error", value=agg.value * 3)
    out = cost.compute_elasticity(pd.concat([evaluations, given]), units, model="lr", n_boot=0)
    worst = out[out.community == "*"].iloc[0]
    assert worst.value_last / out[out.community == "all"].iloc[0].value_last == pytest.approx(3.0)
    assert np.isnan(worst.ci_low)


def test_claim_c6_flips_at_minus_one():
    assert c6.evaluate(cost.compute_elasticity(*synthetic(-0.4), n_boot=200), synthetic(-0.4)[0]).verdict \
        == "supported"
    ev, units = synthetic(-1.6)
    claim = c6.evaluate(cost.compute_elasticity(ev, units, n_boot=200), ev)
    assert claim.verdict == "not supported" and claim.effect == pytest.approx(-1.6, abs=0.05)
    assert "(gb)" in claim.effect_name  # same law, more CPU: gb has the lower error at its largest size


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


def test_smallest_within_margin_picks_cheapest():
    errors = {("lr", 100): {"a": 0.300, "b": 0.200}, ("lr", 200): {"a": 0.215, "b": 0.195},
              ("gb", 100): {"a": 0.208, "b": 0.230}, ("gb", 200): {"a": 0.200, "b": 0.190}}
    cpu = {("lr", 100): 1.0, ("lr", 200): 2.0, ("gb", 100): 10.0, ("gb", 200): 20.0}
    out = cost.smallest_within_margin(*table(errors, cpu), margin=0.01).set_index("community")
    a, b = out.loc["a"], out.loc["b"]
    assert (a.best_model, a.best_scale, a.model, a.scale) == ("gb", 200, "gb", 100)
    assert a.share_of_best_cpu == pytest.approx(0.5) and a.share_of_max_cpu == pytest.approx(0.5)
    assert (b.best_model, b.model, b.scale) == ("gb", "lr", 100)
    assert b.share_of_max_cpu == pytest.approx(1 / 20)
    relative = cost.smallest_within_margin(*table(errors, cpu), margin=0.05, relative=True).set_index("community")
    assert (relative.loc["a", "model"], relative.loc["a", "scale"]) == ("gb", 100)  # 0.208 <= 0.21
    assert (relative.loc["b", "model"], relative.loc["b", "scale"]) == ("lr", 200)  # 0.200 > 0.1995


@pytest.mark.parametrize("served, verdict", [(4, "supported"), (2, "not supported"), (1, "not supported")])
def test_claim_c7_flips_with_share_served(served, verdict):
    names = ["a", "b", "c", "d"]
    small = {c: 0.20 if i < served else 0.30 for i, c in enumerate(names)}
    errors = {("lr", 100): small, ("gb", 1600): {c: 0.20 for c in names}}
    cpu = {("lr", 100): 1.0, ("gb", 1600): 100.0}
    claim = c7.evaluate(*table(errors, cpu), margin=0.01, small_share=0.1, n_boot=50)
    assert claim.effect == pytest.approx(served / 4)
    assert claim.verdict == verdict


@pytest.mark.parametrize("call, culprit", [
    (lambda ev, u: cost.compute_table(u.drop(columns="cpu_seconds")), "cpu_seconds"),
    (lambda ev, u: cost.compute_table(u, watts_per_core=-1), "watts_per_core"),
    (lambda ev, u: cost.compute_elasticity(ev.drop(columns="evaluable"), u), "evaluable"),
    (lambda ev, u: cost.compute_elasticity(ev, u, model="svm"), "svm"),
    (lambda ev, u: cost.compute_elasticity(ev, u, metric="auc"), "auc"),
    (lambda ev, u: cost.smallest_within_margin(ev, u, margin=-0.1), "margin"),
    (lambda ev, u: cost.cost_per_improvement(ev, u.assign(cpu_seconds=-1.0)), "cpu_seconds"),
    (lambda ev, u: cost.smallest_within_margin(ev, u[u.scale > 100]), "not in units"),
])
def test_bad_inputs_name_the_culprit(call, culprit):
    evaluations, units = synthetic(-0.4, seeds=2)
    with pytest.raises(InputError, match=culprit):
        call(evaluations, units)
