import numpy as np
import pandas as pd
import pytest

from community_scaling import metric_trends
from community_scaling.io import InputError
from community_scaling.claims import c4_metric_dependence as c4

SIZES = [128, 256, 512, 1024, 2048, 4096, 8192]


def planted(slopes: dict, seeds=5, noise=0.002, seed=0):
    """Evaluations whose badness changes by slopes[(community, metric)] per doubling."""
    rng = np.random.default_rng(seed)
    rows = []
    for (community, metric), slope in slopes.items():
        for s in range(seeds):
            for n in SIZES:
                value = 0.3 + slope * np.log2(n) + rng.normal(0, noise)
                rows.append({"model": "m", "scale": n, "seed": s, "attribute": "a", "community": community,
                             "metric": metric, "value": value, "evaluable": True})
    return pd.DataFrame(rows)


def test_upper_sizes_is_upper_half_in_log_space():
    assert list(metric_trends.upper_sizes(SIZES)) == [1024, 2048, 4096, 8192]
    with pytest.raises(InputError, match="at least 3 sizes"):
        metric_trends.upper_sizes([1, 2])


def test_known_slopes_and_directions():
    table = metric_trends.trend_table(planted({("x", "error"): -0.01, ("x", "brier"): 0.01}))
    got = table.set_index("metric")
    assert got.loc["error", "slope_per_doubling"] == pytest.approx(-0.01, abs=5e-4)
    assert got.loc["error", "direction"] == "improves"
    assert got.loc["brier", "direction"] == "worsens"
    assert (got.ci_low <= got.slope_per_doubling).all() and (got.slope_per_doubling <= got.ci_high).all()
    assert (got.n_seeds == 5).all()


def test_flat_metric_is_called_changing_at_the_nominal_rate():
    calls = [metric_trends.trend_table(planted({("x", "ece"): 0.0}, seed=r)).direction.iloc[0] for r in range(200)]
    false_alarms = np.mean([c != "no clear change" for c in calls])
    assert 0.01 <= false_alarms <= 0.10  # nominal 5%


def test_auroc_is_turned_lower_is_better():
    # AUROC rising with n is an improvement.
    table = metric_trends.trend_table(planted({("x", "auroc"): 0.01}))
    assert table.direction.iloc[0] == "improves"


def test_descriptive_rates_and_unevaluable_rows_are_left_out():
    data = planted({("x", "error"): -0.01, ("x", "selection_rate"): 0.01, ("y", "error"): 0.01})
    data.loc[data.community == "y", "evaluable"] = False
    table = metric_trends.trend_table(data)
    assert set(table.metric) == {"error"} and set(table.community) == {"x"}


def test_disagreement_found_only_where_planted():
    data = planted({("x", "error"): -0.01, ("x", "ece"): 0.01, ("y", "error"): -0.01, ("y", "ece"): -0.01})
    agree = metric_trends.disagreement(metric_trends.trend_table(data)).set_index("community")
    assert agree.loc["x", "disagree"] and not agree.loc["y", "disagree"]
    assert agree.loc["x", "worsening_metrics"] == "ece"
    pairs = metric_trends.pairwise_disagreement(metric_trends.trend_table(data))
    assert pairs.loc["error", "ece"] == 0.5 and pairs.loc["ece", "error"] == 0


def test_claim_verdict_follows_the_evidence():
    conflicting = planted({(c, m): (-0.01 if m == "error" else 0.01) for c in "xyz" for m in ("error", "ece")})
    claim, shares = c4.evaluate(conflicting, threshold=0.1, n_boot=300)
    assert claim.effect == 1 and claim.verdict == "supported" and len(shares) == 300
    agreeing = planted({(c, m): -0.01 for c in "xyz" for m in ("error", "ece")})
    claim, _ = c4.evaluate(agreeing, threshold=0.1, n_boot=300)
    assert claim.effect == 0 and claim.verdict == "not supported"
    with pytest.raises(InputError, match="at least 2 seeds"):
        metric_trends.trend_table(planted({("x", "error"): -0.01}, seeds=1))


def test_interval_is_over_seeds_not_points():
    # Seed-level offsets in the slope make the per-seed slopes vary: the interval must widen.
    tight = metric_trends.trend_table(planted({("x", "error"): -0.01}, noise=0.0005))
    data = planted({("x", "error"): -0.01}, noise=0.0005)
    data["value"] += data["seed"] * 0.002 * np.log2(data["scale"])
    loose = metric_trends.trend_table(data)
    assert loose.ci_high.iloc[0] - loose.ci_low.iloc[0] > 5 * (tight.ci_high.iloc[0] - tight.ci_low.iloc[0])
