"""Notebooks 04-07 stream the unit cache a batch of units at a time: each streamed analysis gives
the same table as the analysis of every unit's scores at once, bit for bit, on a small synthetic
cache with batches that split a configuration's seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import error_draws, metric_trends, metrics, own_values, sweep, values
from community_scaling.io import InputError, write_parquet

PROFILES = {"symmetric": {"cost_fp": 1, "cost_fn": 1}, "miss_averse": {"cost_fp": 1, "cost_fn": 4}}
THRESHOLDS = [0.3, 0.5, 0.7]
BATCH = 5  # 24 units: batches of 5 cut through the 3 seeds of a (model, scale)


@pytest.fixture
def cache(tmp_path):
    rng = np.random.default_rng(7)
    n = 900
    race = rng.choice(np.array(["a", "b", "c"], dtype=object), n, p=[0.6, 0.3, 0.1])
    test = pd.DataFrame({"y": rng.integers(0, 2, n), "alt_work": rng.integers(0, 2, n), "race": race,
                         "sex": rng.choice(["f", "m"], n)})
    units = pd.DataFrame([{"unit_id": f"{m}-{s}-{k}", "model": m, "scale": s, "seed": k, "fit_operations": s * 10.0}
                          for m in ("lr", "gb") for s in (100, 200, 400, 800) for k in range(3)])
    units["file"] = units.unit_id + ".parquet"
    for file in units.file:
        # float32 scores rounded to 1/32, so they tie with each other and with the thresholds
        scores = (np.round(np.clip(0.3 * test.y + 0.7 * rng.random(n), 0, 1) * 32) / 32).astype(np.float32)
        write_parquet(pd.DataFrame({"score": scores}), tmp_path / file)
    evaluable = metrics.evaluable_communities(test.y.to_numpy(), test[["race", "sex"]], min_count=50,
                                              min_positives=5)
    return units, tmp_path, test, evaluable


def test_test_row_replicates_streamed_equal_all_at_once(cache):
    units, folder, test, evaluable = cache
    columns = ["model", "scale", "seed"]
    whole = metrics.test_row_replicates(test.y.to_numpy(), sweep.load_scores(units, folder), units[columns],
                                        test[["race", "sex"]], 0.5, evaluable, n_boot=7)
    batches = ((part[columns], scores) for part, scores in sweep.iter_scores(units, folder, BATCH))
    streamed = metrics.test_row_replicates_streamed(test.y.to_numpy(), batches, test[["race", "sex"]], 0.5,
                                                    evaluable, n_boot=7)
    pd.testing.assert_frame_equal(whole, streamed, check_exact=True)


@pytest.mark.parametrize("loss", error_draws.LOSSES)
def test_loss_draws_streamed_equal_all_at_once(cache, loss):
    units, folder, test, evaluable = cache
    configured = units.assign(axis="rows", capacity=np.nan)
    args = (test[["race", "sex"]], evaluable, 0.4, loss, 0.5, 6)
    whole = error_draws.loss_draws(test.y.to_numpy(), sweep.load_scores(configured, folder), configured, *args)
    streamed = error_draws.loss_draws_streamed(test.y.to_numpy(), configured,
                                               sweep.iter_scores(configured, folder, BATCH), *args)
    pd.testing.assert_frame_equal(whole.configs, streamed.configs)
    pd.testing.assert_frame_equal(whole.targets, streamed.targets)
    # equal up to float32 rounding: batches are summed in another order, and on some CPUs (wider SIMD
    # sums) the log loss then differs in its last bit
    for field in ("point", "boot", "trivial_point", "trivial_boot"):
        np.testing.assert_allclose(getattr(whole, field), getattr(streamed, field), rtol=1e-6, atol=0, err_msg=field)


def test_loss_draws_streamed_refuses_batches_out_of_order(cache):
    units, folder, test, evaluable = cache
    configured = units.assign(axis="rows", capacity=np.nan)
    with pytest.raises(InputError, match="do not hold the rows of units in order"):
        error_draws.loss_draws_streamed(test.y.to_numpy(), configured,
                                        sweep.iter_scores(configured.iloc[::-1], folder, BATCH),
                                        test[["race", "sex"]], evaluable, 0.4, n_boot=2)


def test_expected_costs_streamed_equal_all_at_once(cache):
    units, folder, test, _ = cache
    whole = values.expected_costs(sweep.load_scores(units, folder), units, test, ["race", "sex"], PROFILES,
                                  thresholds=THRESHOLDS)
    streamed = values.expected_costs_streamed(sweep.iter_scores(units, folder, BATCH), test, ["race", "sex"],
                                              PROFILES, thresholds=THRESHOLDS)
    pd.testing.assert_frame_equal(whole, streamed, check_exact=True)


def test_own_values_streamed_equal_all_at_once(cache):
    units, folder, test, evaluable = cache
    shuffled = units.sample(frac=1, random_state=3)  # a (model, scale)'s seeds land in different batches
    predicted, choices = own_values.seed_mean_predictions(sweep.load_scores(shuffled, folder), shuffled, THRESHOLDS)
    streamed, streamed_choices = own_values.seed_mean_predictions_streamed(
        sweep.iter_scores(shuffled, folder, BATCH), THRESHOLDS)
    np.testing.assert_array_equal(predicted, streamed)
    pd.testing.assert_frame_equal(choices, streamed_choices)
    people = own_values.person_values(test, {"race": {"a": "symmetric", "b": "miss_averse"}}, PROFILES, evaluable)
    pd.testing.assert_frame_equal(own_values.own_value_conflict(predicted, choices, people, n_perm=5),
                                  own_values.own_value_conflict(streamed, streamed_choices, people, n_perm=5))


def test_test_row_parts_streamed_equal_all_at_once(cache):
    units, folder, test, evaluable = cache
    columns = ["unit_id", "model", "scale", "seed"]
    whole = metric_trends.test_row_parts(test.y.to_numpy(), sweep.load_scores(units, folder), units[columns],
                                         test[["race", "sex"]], 0.5, evaluable, n_parts=3)
    batches = ((part[columns], scores) for part, scores in sweep.iter_scores(units, folder, BATCH))
    streamed = metric_trends.test_row_parts_streamed(test.y.to_numpy(), units, batches, test[["race", "sex"]], 0.5,
                                                     evaluable, n_parts=3)
    assert set(streamed.scale) == {200, 400, 800}  # the upper sizes of the whole table, not of a batch
    pd.testing.assert_frame_equal(whole, streamed, check_exact=True)
