"""token_scaling on synthetic grids with known answers, and the null calibration of its C3 test."""

import numpy as np
import pandas as pd
import pytest

from community_scaling import model_size, token_scaling as ts
from community_scaling.io import InputError

SIZES = np.array([7e7, 1.6e8, 4.1e8, 1e9, 1.4e9, 2.8e9])
STEPS = np.array([1000, 3000, 13000, 43000, 73000, 103000, 143000])


def grid(gain_tokens, gain_params=None, seed=0, items=2000, base=0.6):
    """Accuracy of k communities on a sizes x checkpoints grid: base + gain_t log10(D/D0) + gain_p log10(N/N0)
    with binomial item noise (the published standard error)."""
    rng = np.random.default_rng(seed)
    gain_tokens = np.asarray(gain_tokens, float)
    gain_params = np.full_like(gain_tokens, 0.03) if gain_params is None else np.asarray(gain_params, float)
    rows = []
    for j, (gt, gp) in enumerate(zip(gain_tokens, gain_params)):
        for n in SIZES:
            for step in STEPS:
                d = step * 2_097_152
                p = 0.3 + gt * np.log10(d / (STEPS[0] * 2_097_152)) + gp * np.log10(n / SIZES[0])
                se = np.sqrt(p * (1 - p) / items)
                value = p + rng.normal() * se
                rows.append(dict(model="fam", size_name=f"fam-{n:.2e}", scale=n, step=step, training_tokens=float(d),
                                 seed=0, attribute="task", community=f"c{j:02d}", metric="accuracy", value=value,
                                 stderr=se, n_eval=items, badness=1 - value, chance_badness=0.5))
    return pd.DataFrame(rows)


def test_views_make_curves_along_each_axis():
    table = grid([0.05, 0.05])
    tokens, params = ts.along_tokens(table), ts.along_parameters(table)
    assert set(tokens.model) == set(table.size_name) and tokens.groupby("model").scale.nunique().eq(len(STEPS)).all()
    assert params.model.nunique() == len(STEPS) and params.groupby("model").scale.nunique().eq(len(SIZES)).all()
    assert {"all"} < set(tokens.community) and tokens[tokens.community == "all"].derived.all()
    slopes = model_size.slope_table(tokens).query("community == 'c00'")
    assert np.allclose(slopes.slope_per_tenfold, -0.05, atol=0.01)  # badness falls 0.05 per tenfold of tokens


def test_trained_leaves_out_step_zero_and_refuses_bad_settings():
    table = pd.concat([grid([0.05, 0.05]), grid([0.05, 0.05]).assign(step=0, training_tokens=0.0)])
    assert ts.trained(table, 1).step.min() == 1000
    with pytest.raises(InputError, match="min_step must be an integer >= 1"):
        ts.trained(table, 0)
    with pytest.raises(InputError, match="no checkpoint at or after step 10000000"):
        ts.trained(table, 10_000_000)


def test_c3_finds_communities_that_gain_less_along_tokens():
    table = grid([0.06] * 8 + [-0.04] * 3)  # three communities gain 0.10 per tenfold less
    claim = ts.evaluate_c3(ts.lag_tables(table, 4, 0.01), 0.05, 0.01)
    assert claim.verdict == "supported" and claim.ci_low > 0.05
    assert "training tokens" in claim.rule and "along training tokens" in claim.details


def test_c3_null_calibration_false_positive_rate():
    """Every community gains the same along both axes (C3 false): 'supported' at most 5% of the time."""
    supported = sum(ts.evaluate_c3(ts.lag_tables(grid([0.05] * 6, seed=s), 4, 0.01), 0.05, 0.01).verdict
                    == "supported" for s in range(40))
    assert supported / 40 <= 0.05


def test_whole_model_pairs_set_accuracy_against_stereotype_share():
    slopes = pd.DataFrame({"model": "m", "attribute": ["arc", "crows_pairs_english", "mmlu", "mmlu"],
                           "community": ["all", "all", "all", "law"], "metric": ["accuracy", "pct_stereotype",
                                                                                "accuracy", "accuracy"],
                           "reason": "", "slope_per_tenfold": [-0.1, 0.1, -0.01, -0.01]})
    pairs = ts.whole_model_pairs(slopes)
    assert sorted(pairs.metric) == ["arc accuracy", "crows_pairs_english pct_stereotype", "mmlu accuracy"]
    assert set(pairs.attribute) == {"whole model"}


def chinchilla(e=0.2, a=0.3, alpha=0.35, b=0.4, beta=0.3, se=0.002, seed=0):
    rng = np.random.default_rng(seed)
    n, d = np.meshgrid(SIZES, STEPS * 2_097_152.0)
    y = e + a * (n / ts.N_REF) ** -alpha + b * (d / ts.D_REF) ** -beta
    return n.ravel(), d.ravel(), y.ravel() + rng.normal(0, se, y.size), np.full(y.size, se)


def test_two_variable_fit_recovers_known_exponents():
    row = ts.fit_two_variable(*chinchilla())
    assert row["identified"], row["reason"]
    assert row["alpha_low"] < 0.35 < row["alpha_high"] and row["beta_low"] < 0.3 < row["beta_high"]
    assert abs(row["E"] - 0.2) < 0.05


def test_two_variable_fit_is_not_identified_at_chance():
    n, d, _, se = chinchilla(se=0.01)
    flat = 0.75 + np.random.default_rng(1).normal(0, 0.01, n.size)  # MMLU at chance: nothing to fit
    row = ts.fit_two_variable(n, d, flat, se)
    assert not row["identified"] and row["reason"]


def test_loss_draws_have_a_configuration_per_checkpoint_along_each_size():
    table = grid([0.05, 0.05, 0.02])
    compute = table.drop_duplicates(["size_name", "step"])[["size_name", "model", "scale", "step", "training_tokens"]]
    compute = compute.rename(columns={"scale": "parameters"}).assign(
        training_flops=lambda c: 6 * c.parameters * c.training_tokens)
    draws = ts.loss_draws(table, compute, 20)
    assert len(draws.configs) == len(SIZES) * len(STEPS) and set(draws.configs.axis) == {ts.CHECKPOINTS}
    assert draws.configs.groupby("model").size().eq(len(STEPS)).all()  # one curve per model size
    assert np.allclose(draws.configs.fit_operations, 6 * draws.configs.scale * draws.configs.model.map(
        dict(zip(compute.size_name, compute.parameters))))
    assert draws.point.shape == (len(draws.configs), 4)  # everyone and three communities
