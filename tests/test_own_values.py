"""Claim C5 with communities judged by their own values, against the permuted-values null."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import claims, own_values, values
from community_scaling.claims import c5_value_conflict as c5
from community_scaling.io import InputError

PROFILES = {"false_alarm_averse": {"cost_fp": 4, "cost_fn": 1}, "miss_averse": {"cost_fp": 1, "cost_fn": 4},
            "symmetric": {"cost_fp": 1, "cost_fn": 1}}


def world(assignment, n=600, seed=0):
    """Two communities with the same data distribution; three thresholds, two sizes, two seeds."""
    rng = np.random.default_rng(seed)
    test = pd.DataFrame({"y": rng.integers(0, 2, 2 * n), "g": ["A"] * n + ["B"] * n,
                         "alt_other": rng.integers(0, 2, 2 * n)})
    units = pd.DataFrame([{"unit_id": f"m-{s}-{k}", "model": "m", "scale": s, "seed": k}
                          for s in (100, 200) for k in (0, 1)])
    scores = np.clip(test["y"].to_numpy()[None, :] * 0.3 + rng.random((len(units), 2 * n)) * 0.7, 0, 1)
    people = own_values.person_values(test, assignment, PROFILES, {"g": ["A", "B"]})
    predicted, choices = own_values.seed_mean_predictions(scores, units, [0.2, 0.5, 0.8])
    return test, units, scores, people, predicted, choices


def test_own_costs_match_the_cost_table():
    test, units, scores, people, predicted, choices = world({"g": {"A": "miss_averse", "B": "false_alarm_averse"}})
    costs = values.expected_costs(scores, units, test, ["g"], PROFILES, ["y"], [0.2, 0.5, 0.8])
    mine, _ = own_values._costs(predicted[people["codes"] >= 0], people["codes"], 2, people["cost_fp"],
                                people["cost_fn"], people["y"][0])
    seed_mean = costs.groupby(["attribute", "community", "profile", "scale", "model", "threshold"]).cost.mean()
    for k, (community, profile) in enumerate([("A", "miss_averse"), ("B", "false_alarm_averse")]):
        expected = seed_mean.loc[("g", community, profile)].to_numpy()
        assert np.allclose(mine[k], expected, atol=1e-5)


def test_shared_values_give_no_evidence_and_opposing_ones_do():
    shared = world({"g": {"A": "symmetric", "B": "symmetric"}})
    table = own_values.own_value_conflict(shared[4], shared[5], shared[3], n_perm=49)
    assert (table.p_value == 1).all()  # permuting identical values changes nothing
    assert c5.evaluate(table, 0.02).verdict in ("not supported", "inconclusive")
    opposing = world({"g": {"A": "miss_averse", "B": "false_alarm_averse"}})
    table = own_values.own_value_conflict(opposing[4], opposing[5], opposing[3], n_perm=49)
    last = table.iloc[-1]
    assert last.minimax_regret > last.null_q95 and last.p_value == pytest.approx(1 / 50)
    assert c5.evaluate(table, 0.02).verdict == "supported"
    assert c5.evaluate(table, tolerance=10.0).verdict == "not supported"


def test_assignment_errors_name_the_culprit():
    test = world({"g": {"A": "symmetric", "B": "symmetric"}})[0]
    with pytest.raises(InputError, match="nobody"):
        own_values.person_values(test, {"g": {"A": "nobody", "B": "symmetric"}}, PROFILES, None)
    with pytest.raises(InputError, match="'C'"):
        own_values.person_values(test, {"g": {"A": "symmetric", "C": "symmetric"}}, PROFILES, None)
    with pytest.raises(InputError, match="exactly one attribute"):
        own_values.person_values(test, {}, PROFILES, None)
    people = own_values.person_values(test, {"g": {"A": {"profile": "symmetric", "outcome": "alt_other"},
                                                   "B": "symmetric"}}, PROFILES, {"g": ["B"]})
    assert people["dropped"] == ["A"] and (people["codes"][:600] == -1).all()


def test_not_applicable_without_values():
    claim = c5.evaluate(None)
    assert claim.verdict == "not applicable" and "by construction" in claim.rule
    record, grid = claims.sensitivity(lambda tolerance: c5.evaluate(None, tolerance), {"tolerance": 0.02},
                                      c5.SPEC.grid)
    assert record.grid_agreement == 1 and set(grid.verdict) == {"not applicable"}

