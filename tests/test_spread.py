"""Known answers for the random-effects spread statistics (spread.py) behind C3 on model size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from community_scaling import model_size, spread

# a fixed table of slopes and standard errors (heterogeneous: Q well above k - 1)
B = np.array([-0.080, -0.085, -0.078, -0.060, -0.055, -0.030, -0.028, -0.032, -0.070, -0.050, -0.065])
S = np.array([0.012, 0.015, 0.011, 0.020, 0.018, 0.014, 0.016, 0.013, 0.025, 0.017, 0.019])


def test_tau2_and_q_match_statsmodels():
    for method, ours in (("dl", spread.dersimonian_laird), ("pm", spread.paule_mandel)):
        result = combine_effects(B, S ** 2, method_re=method)
        np.testing.assert_allclose(ours(B, S), result.tau2, rtol=1e-6)
        np.testing.assert_allclose(spread.generalized_q(B, S, 0.0), result.q, rtol=1e-12)
    # Paule-Mandel: Q at its tau^2 is k - 1
    np.testing.assert_allclose(spread.generalized_q(B, S, spread.paule_mandel(B, S)), len(B) - 1, rtol=1e-8)
    # homogeneous slopes: tau^2 = 0
    assert spread.paule_mandel(np.full(5, -0.05), np.full(5, 0.01)) == 0.0


def test_q_profile_interval_matches_a_brute_force_inversion():
    low, high = spread.q_profile(B, S, 0.95)
    grid = np.linspace(0, 0.003, 300_001)
    q = spread.generalized_q(B, S, grid)
    inside = grid[(q <= stats.chi2.ppf(0.975, len(B) - 1)) & (q >= stats.chi2.ppf(0.025, len(B) - 1))]
    step = grid[1] - grid[0]
    assert abs(inside.min() - low) <= step and abs(inside.max() - high) <= step
    assert 0 < low < spread.paule_mandel(B, S) < high
    # a homogeneous table's lower bound is 0
    assert spread.q_profile(np.array([-0.05, -0.051, -0.049, -0.05]), np.full(4, 0.01))[0] == 0.0


def test_generalized_q_p_value_is_chi_square_at_a_known_tau():
    tau2 = 0.0003
    np.testing.assert_allclose(spread.q_test(B, S, tau2),
                               stats.chi2.sf(np.sum((B - np.average(B, weights=1 / (S ** 2 + tau2))) ** 2
                                                    / (S ** 2 + tau2)), len(B) - 1))


def test_step_down_max_t_lies_between_the_single_test_and_bonferroni():
    rng = np.random.default_rng(0)
    k, n = 8, 20_000
    null = rng.standard_normal((n, k))
    t = np.array([3.5, 2.8, 2.0, 1.0, 0.5, 0.0, -0.5, -1.0])
    adjusted = spread.step_down_max_t(t, null)
    single = stats.norm.sf(t)
    assert np.all(adjusted >= single - 0.003)
    assert np.all(adjusted <= np.minimum(1, k * single) + 0.01)  # independent draws: Bonferroni is near-exact
    assert np.all(np.diff(adjusted[np.argsort(-t)]) >= 0)  # monotone in the ranking
    # perfectly dependent hypotheses: no multiplicity at all, the top one's p is its single-test p
    same = spread.step_down_max_t(t, np.repeat(null[:, :1], k, axis=1))
    np.testing.assert_allclose(same[0], single[0], atol=0.002)


def _table(gains: dict[str, float], stderr=0.006, noise=0.0, seed=0, task="t"):
    sizes = np.array([1e8, 3e8, 1e9, 3e9, 1e10])
    rng = np.random.default_rng(seed)
    rows = [{"model": "fam", "size_name": f"fam-{i}", "scale": n, "seed": 0, "attribute": task, "community": c,
             "metric": "accuracy", "value": v, "stderr": stderr, "n_eval": 1000, "badness": 1 - v,
             "chance_badness": 0.5}
            for c, g in gains.items() for i, n in enumerate(sizes)
            for v in [0.55 + g * np.log10(n / sizes[0]) + rng.normal(0, noise)]]
    return model_size.with_aggregates(pd.DataFrame(rows))


def test_families_without_a_gain_and_unidentified_communities_are_set_apart():
    flat = _table({f"c{i}": 0.0 for i in range(5)}, task="flat")
    wide = _table({"a": 0.06, "b": 0.05, "c": 0.07, "d": 0.06}, task="gains")
    wide.loc[wide.community == "d", "stderr"] = 0.2  # slope se far above the aggregate's gain
    slopes = model_size.slope_table(pd.concat([flat, wide]))
    found, apart = spread.designs(slopes)
    assert [d["attribute"] for d in found] == ["gains"] and list(found[0]["communities"]) == ["a", "b", "c"]
    assert apart.set_index(["attribute", "community"]).reason.loc[("flat", "all")].endswith("no relative spread")
    assert "standard error" in apart.set_index(["attribute", "community"]).reason.loc[("gains", "d")]


def test_spread_bounds_bracket_a_planted_spread_and_are_zero_without_one():
    gains = dict(zip([f"c{i}" for i in range(11)], 0.06 + 0.06 * np.linspace(-1.5, 1.5, 11)))
    table, _ = spread.spread_table(model_size.slope_table(_table(gains, stderr=0.004)), n_boot=500)
    row = table.iloc[0]
    truth = np.std(list(gains.values()), ddof=1) / 0.06
    assert row.rho_low_1 < truth < row.rho_high and row.rho_low > 0.5
    equal, _ = spread.spread_table(model_size.slope_table(_table({f"c{i}": 0.06 for i in range(11)},
                                                                  noise=0.002)), n_boot=500)
    assert equal.rho_low.iloc[0] == 0.0 and equal.rho_high.iloc[0] < 1


def test_power_rises_with_the_spread_and_the_minimum_detectable_spread_is_interpolated():
    slopes = model_size.slope_table(_table({f"c{i}": 0.06 for i in range(11)}, stderr=0.006, noise=0.002))
    power = spread.power_curve(slopes, margin=0.25, spreads=np.array([0.0, 0.25, 0.5, 1.0, 2.0]), n_sim=300)
    assert power.power.iloc[1] <= 0.05 and power.power.iloc[-1] >= 0.9
    assert np.all(np.diff(power.power.to_numpy()) >= -0.03)
    curve = pd.DataFrame({"relative_spread": [0.0, 0.5, 1.0], "power": [0.0, 0.6, 1.0]})
    assert spread.minimum_detectable(curve) == pytest.approx(0.75)
    assert spread.minimum_detectable(curve.assign(power=[0, 0.1, 0.2])) == np.inf
