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
    claim = c4.evaluate(metric_trends.trend_table(conflicting), threshold=0.1, judged=("error", "ece"))
    assert claim.effect == 1 and claim.ci_low == 1 and claim.verdict == "supported"
    agreeing = planted({(c, m): -0.01 for c in "xyz" for m in ("error", "ece")})
    claim = c4.evaluate(metric_trends.trend_table(agreeing), threshold=0.1, judged=("error", "ece"))
    assert claim.effect == 0 and claim.ci_high == 0 and claim.verdict == "not supported"
    flat = planted({(c, m): 0.0 for c in "xyz" for m in ("error", "ece")})
    assert c4.evaluate(metric_trends.trend_table(flat), threshold=0.1).verdict == "inconclusive"
    with pytest.raises(InputError, match="at least 2 seeds"):
        metric_trends.trend_table(planted({("x", "error"): -0.01}, seeds=1))
    with pytest.raises(InputError, match="selection_rate"):
        c4.evaluate(metric_trends.trend_table(agreeing), judged=("error", "selection_rate"))


def test_holm_known_answer_and_share_bounds():
    assert list(metric_trends.holm(np.array([0.01, 0.04, 0.03, 0.5]), 0.05)) == [True, False, False, False]
    assert list(metric_trends.holm(np.array([0.001, 0.02, 0.016]), 0.05)) == [True, True, True]
    pairs = pd.DataFrame({"p_disagree": [1e-6, 0.01, 0.3, 1.0], "p_agree": [1.0, 1.0, 1e-6, 1e-6]})
    share = metric_trends.disagreement_share(pairs)
    assert share["low"] == 0.25 and share["share"] == 0.5 and share["high"] == 0.5
    assert share["low"] <= share["share"] <= share["high"]


def test_judged_metrics_are_the_study_default():
    from community_scaling import study

    assert list(metric_trends.JUDGED_METRICS) == study.SCHEMA["metrics"]["judged"].default


def test_test_row_parts_make_small_communities_noisier():
    rng = np.random.default_rng(3)
    n = 6000
    community = np.where(rng.random(n) < 0.05, "small", "large").astype(object)
    y = rng.integers(0, 2, n)
    units = pd.DataFrame([{"model": "m", "scale": s, "seed": k} for s in (256, 512, 1024, 2048) for k in range(3)])
    quality = np.log2(units.scale.to_numpy())[:, None] / 11
    scores = np.clip(0.5 + (y - 0.5)[None, :] * quality * 0.6 + rng.normal(0, 0.25, (len(units), n)), 0, 1)
    groups = pd.DataFrame({"c": community})
    parts = metric_trends.test_row_parts(y, scores, units, groups, 0.5, {"c": ["small", "large"]}, n_parts=5)
    assert set(parts.part) == set(range(5)) and set(parts.scale) == {512, 1024, 2048}
    assert set(parts.community) == {"all", "small", "large"} and not parts.metric.isin(["tpr", "fpr"]).any()
    from community_scaling.metrics import evaluation_table

    evaluations = evaluation_table(y, scores, units, groups, 0.5, {"c": ["small", "large"]})
    trends = metric_trends.trend_table(evaluations, parts).set_index(["community", "metric"])
    assert (trends.noise == "seeds and test rows").all() or (trends.n_parts == 0).any()
    assert trends.loc[("small", "error"), "se_test_rows"] > 2 * trends.loc[("large", "error"), "se_test_rows"]
    assert trends.loc[("small", "error"), "se"] >= trends.loc[("small", "error"), "se_seeds"]


def test_interval_is_over_seeds_not_points():
    # Seed-level offsets in the slope make the per-seed slopes vary: the interval must widen.
    tight = metric_trends.trend_table(planted({("x", "error"): -0.01}, noise=0.0005))
    data = planted({("x", "error"): -0.01}, noise=0.0005)
    data["value"] += data["seed"] * 0.002 * np.log2(data["scale"])
    loose = metric_trends.trend_table(data)
    assert loose.ci_high.iloc[0] - loose.ci_low.iloc[0] > 5 * (tight.ci_high.iloc[0] - tight.ci_low.iloc[0])
