"""The model-size analysis on synthetic evaluations tables (no sweep files at all): known answers
for the aggregate and the weighted slopes, planted effects found, and every claim reached."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import model_size
from community_scaling.claims import (c3_communities_left_behind as c3, c4_metric_dependence as c4,
                                      c6_diminishing_returns as c6, c7_small_models as c7)

SIZES = np.array([1e8, 3e8, 1e9, 3e9, 1e10])


def synthetic(gains: dict[str, float], tasks=("t1", "t2"), stderr=0.01, noise=0.0, seed=0) -> pd.DataFrame:
    """Accuracy 0.55 + gain x log10(N / 1e8) per community and task, chance 0.5, one run per size."""
    rng = np.random.default_rng(seed)
    rows = []
    for task in tasks:
        for community, gain in gains.items():
            for i, n in enumerate(SIZES):
                value = 0.55 + gain * np.log10(n / SIZES[0]) + rng.normal(0, noise)
                rows.append({"model": "fam", "size_name": f"fam-{i}", "scale": n, "seed": 0, "attribute": task,
                             "community": community, "metric": "accuracy", "value": value, "stderr": stderr,
                             "n_eval": 1000, "badness": 1 - value, "chance_badness": 0.5})
    return pd.DataFrame(rows)


def test_aggregate_is_the_equal_weight_mean_with_its_standard_error():
    table = model_size.with_aggregates(synthetic({"a": 0.05, "b": 0.01}, tasks=("t1",)))
    aggregate = table[table.community == "all"].sort_values("scale")
    assert len(aggregate) == len(SIZES) and aggregate.derived.all() and not table[table.community != "all"].derived.any()
    np.testing.assert_allclose(aggregate.value, 0.55 + 0.03 * np.log10(SIZES / SIZES[0]))
    np.testing.assert_allclose(aggregate.stderr, np.sqrt(2 * 0.01 ** 2) / 2)


def test_slope_per_tenfold_is_recovered_and_a_short_curve_is_not_evaluable():
    table = synthetic({"a": 0.04})
    slopes = model_size.slope_table(table, min_sizes=4)
    np.testing.assert_allclose(slopes.slope_per_tenfold, -0.04, atol=1e-12)  # badness falls by 0.04 per tenfold
    # no scatter beyond the published errors: the interval is the weighted one, never narrower
    x = np.log10(SIZES)
    np.testing.assert_allclose(slopes.se, 0.01 / np.sqrt(((x - x.mean()) ** 2).sum()))
    assert (slopes.direction == "improves").all()
    short = model_size.slope_table(table[table.scale <= 1e9], min_sizes=4)
    assert (short.direction == "not evaluable").all() and short.reason.str.contains("fewer than").all()


def test_a_lagging_community_is_found_and_equal_gains_are_not():
    from community_scaling import spread

    lagging = model_size.with_aggregates(
        synthetic({**{f"c{i}": 0.08 for i in range(6)}, "slow": -0.0}, stderr=0.005, noise=0.002))
    slopes = model_size.slope_table(lagging, 4)
    claim = c3.model_size_c3(lagging, slopes, margin=0.25)
    assert claim.verdict == "supported"
    left = spread.left_behind(model_size.lag_table(lagging, 4), slopes, model_size.aggregate_weights(lagging), 0.25)
    first = left.sort_values("p_left_behind").iloc[0]
    assert first.community == "slow" and first.p_left_behind <= 0.025
    assert (left[left.community != "slow"].p_left_behind > 0.025).all()
    equal = model_size.with_aggregates(synthetic({f"c{i}": 0.08 for i in range(7)}, stderr=0.005, noise=0.002))
    assert c3.model_size_c3(equal, model_size.slope_table(equal, 4), margin=0.25).verdict != "supported"


def test_metrics_that_move_apart_make_c4_supported():
    table = pd.concat([synthetic({"a": 0.06, "b": 0.06}, tasks=("t1",), stderr=0.004),
                       synthetic({"a": -0.06, "b": -0.06}, tasks=("t2",), stderr=0.004)])
    pairs = model_size.metric_pairs(model_size.slope_table(table))
    assert set(pairs.metric) == {"t1 accuracy", "t2 accuracy"}
    claim = c4.evaluate(pairs, threshold=0.1, judged=sorted(pairs.metric), known=sorted(pairs.metric))
    assert claim.verdict == "supported" and claim.ci_low == 1.0


def test_losses_for_c6_and_c7_from_published_values():
    table = synthetic({"a": 0.05, "b": 0.05, "c": 0.0}, stderr=0.005)
    compute = pd.DataFrame({"size_name": [f"fam-{i}" for i in range(5)], "training_flops": 6 * SIZES * 1e11})
    draws = model_size.loss_draws(table, compute, "accuracy", n_draws=50)
    assert draws.point.shape == (5, 1 + 6) and draws.boot.shape == (50, 5, 7)
    np.testing.assert_allclose(draws.trivial_point, 0.5)
    np.testing.assert_allclose(draws.point[:, 0], draws.point[:, 1:].mean(axis=1))
    # error falling linearly in log N bends upward in log-log: not a pure power law; C6 and C7 reach verdicts
    assert c6.evaluate({"error": draws}).verdict in {"supported", "not supported", "inconclusive"}
    claim = c7.evaluate({"error": draws}, margin=0.1, small_share=0.1)
    assert claim.verdict == "not supported"  # the small model is far from the best for the communities that gain
    assert c7.evaluate({"error": draws}, small_share=0.001).verdict == "not applicable"


def test_missing_standard_errors_make_nothing_testable():
    table = model_size.with_aggregates(synthetic({"a": 0.05, "b": 0.02}, stderr=np.nan))
    assert table[table.community == "all"].stderr.isna().all()
    assert (model_size.slope_table(table).direction == "not evaluable").all()
    assert c3.model_size_c3(table, model_size.slope_table(table), margin=0.25).verdict == "not applicable"


@pytest.mark.parametrize("missing", ["stderr", "badness"])
def test_a_table_without_a_standard_column_is_named(missing):
    from community_scaling.io import InputError

    with pytest.raises(InputError, match=missing):
        model_size.with_aggregates(synthetic({"a": 0.05}).drop(columns=missing))
