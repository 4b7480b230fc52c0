"""Rater-label studies: group labels, held-out errors with item weights, minimax regret and the
conflict test, on tiny tables with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import group_conflict, text_sweep
from community_scaling.claims import c5_value_conflict as c5
from community_scaling.io import InputError


def test_label_table_votes_within_groups_and_pools_everyone():
    ratings = pd.DataFrame({"item": ["x", "x", "x", "y", "y", "y"], "rater": ["a1", "a2", "b1"] * 2,
                            "label": [4, 5, 1, 1, 4, 5]})
    raters = pd.DataFrame({"rater": ["a1", "a2", "b1"], "group": ["A", "A", "B"]})
    table = text_sweep.label_table(ratings, raters, "group", ["A", "B"], positive_from=3)
    assert table.loc["x"].tolist() == [1.0, 1.0, 0.0]  # pooled 2 of 3 positive; A both; B none
    assert np.isnan(table.loc["y", "A"]) and table.loc["y", "B"] == 1.0  # A ties 1:1 (no label)
    assert table.loc["y", text_sweep.POOLED] == 1.0  # 2 of 3 raters positive


def test_minimax_regret_known_answers():
    # rows: models, columns: groups; each group's best is 0.1
    agree = np.array([[0.1, 0.1], [0.2, 0.3]])
    assert text_sweep.minimax_regret(agree) == pytest.approx(0.0)  # model 0 is best for both
    conflict = np.array([[0.1, 0.4], [0.4, 0.1], [0.25, 0.2]])
    assert text_sweep.minimax_regret(conflict) == pytest.approx(0.15)  # model 2: regrets 0.15 and 0.1


def test_errors_use_item_weights_and_skip_missing_labels():
    scores = pd.DataFrame({"model": "m", "scale": 10, "seed": 0, "item": ["p", "q", "r"], "score": [0.9, 0.2, 0.7]})
    labels = pd.DataFrame({"pooled": [1.0, 1.0, 0.0], "G": [1.0, np.nan, 1.0]}, index=["p", "q", "r"])
    weights = np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 1.0]])
    error, units = text_sweep.errors(scores, labels, np.array(["p", "q", "r"]), weights)
    assert len(units) == 1
    np.testing.assert_allclose(error[0, 0], [2 / 3, 0.0])  # q and r wrong for pooled; p, r right for G
    np.testing.assert_allclose(error[1, 0], [3 / 3, 0.0])  # q twice and r once, all wrong for pooled


def test_sweep_trains_only_sizes_a_label_has():
    texts = pd.Series([f"w{i % 3} v{i % 5}" for i in range(40)], index=[f"i{i}" for i in range(40)])
    labels = pd.DataFrame({"pooled": [i % 2 for i in range(40)], "G": [i % 2 if i < 20 else np.nan for i in range(40)]},
                          index=texts.index, dtype=float)
    train, test = text_sweep.split_items(texts.index, 0.25, seed=0)
    scores = text_sweep.sweep(texts, labels, train, test, [8, 16, 28], seeds=2)
    sizes = scores.groupby("model").scale.unique().map(sorted).to_dict()
    assert sizes["pooled"] == [8, 16, 28] and max(sizes["G"]) <= 16
    assert scores.groupby(["model", "scale", "seed"]).item.nunique().eq(len(test)).all()
    with pytest.raises(InputError, match="no label column"):
        text_sweep.sweep(texts, labels, train, test, [8], 1, models=["H"])


def test_conflict_by_n_known_answer_and_change_between_sizes():
    units = pd.DataFrame([(m, n, s) for n in (10, 20, 40) for m in ("pooled", "A", "B") for s in (0, 1)
                          if n > 10 or m == "pooled"], columns=["model", "scale", "seed"])
    # columns pooled, A, B: at n = 20 the pooled classifier regrets 0.1 (A) and 0.2 (B); at 40 it is best for both
    by_model = {(m, n): v for m, v in (("pooled", [0.5, 0.2, 0.3]), ("A", [0.5, 0.1, 0.4]), ("B", [0.5, 0.4, 0.1]))
                for n in (10, 20)}
    by_model |= {("pooled", 40): [0.5, 0.1, 0.1], ("A", 40): [0.5, 0.1, 0.3], ("B", 40): [0.5, 0.3, 0.1]}
    error = np.array([by_model[m, n] for m, n in zip(units.model, units.scale)])[None].repeat(5, axis=0)
    error[1:, units.index[(units.model == "A") & (units.seed == 1)], 1] += 0.05  # resamples differ by seed draw
    table, change = group_conflict.conflict_by_n(error, units, ["pooled", "A", "B"], ["A", "B"])
    assert table.n.tolist() == [20, 40] and table.classifiers.tolist() == [3, 3]  # n = 10: one classifier only
    assert table.minimax_regret.tolist() == pytest.approx([0.2, 0.0])
    assert (table.resample_low <= table.resample_high).all()
    assert change["first_n"] == 20 and change["last_n"] == 40 and change["change"] == pytest.approx(-0.2)
    assert change["ci_high"] < 0  # shrinks in every resample
    one_size, none = group_conflict.conflict_by_n(error[:, units.scale.to_numpy() < 40], units[units.scale < 40],
                                                  ["pooled", "A", "B"], ["A", "B"])
    assert len(one_size) == 1 and none is None
    # at n = 40 A's own classifier is missing: the change stops at the last size with all three
    partial = ~((units.scale == 40) & (units.model == "A")).to_numpy()
    table, change = group_conflict.conflict_by_n(error[:, partial], units[partial], ["pooled", "A", "B"], ["A", "B"])
    assert table.classifiers.tolist() == [3, 2] and change is None  # only n = 20 has all three


@pytest.mark.parametrize("conflict, verdicts", [(False, {"not supported", "inconclusive"}), (True, {"supported"})])
def test_conflict_test_tells_shared_from_different_views(conflict, verdicts):
    data = c5._rater_generated(conflict, np.random.default_rng(7))
    assert c5._rater_verdict(data) in verdicts
