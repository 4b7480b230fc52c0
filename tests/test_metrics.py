"""Per-community scoring: agreement with scikit-learn, hand-computed answers,
evaluability, and errors on bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, roc_auc_score

from community_scaling import metrics
from community_scaling.io import InputError

COMMUNITY = ["error", "log_loss", "brier", "auroc", "ece", "tpr", "fpr", "selection_rate",
             "tpr_gap", "fpr_gap", "selection_rate_gap"]


def _data(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    # Scores rounded to 0.05 give many ties; kept off 0 and 1, where sklearn clips differently.
    scores = np.clip(np.round(0.3 * y + 0.7 * rng.random(n), 2) // 0.05 * 0.05, 0.01, 0.99)
    race = rng.choice(["a", "b", "c"], n).astype(object)
    race[rng.random(n) < 0.1] = None
    groups = pd.DataFrame({"race": race, "sex": rng.choice(["f", "m"], n)})
    groups["race x sex"] = np.where(groups.race.isna(), None, groups.race.astype(object) + " x " + groups.sex)
    return y, scores, groups


def _values(frame, attribute, community):
    rows = frame[(frame.attribute == attribute) & (frame.community == community)]
    return rows.set_index("metric").value


def _masks(groups):
    yield "all", "all", np.ones(len(groups), dtype=bool)
    for attribute in groups.columns:
        for community in groups[attribute].dropna().unique():
            yield attribute, community, (groups[attribute] == community).to_numpy()


def test_metrics_match_sklearn_for_aggregate_and_each_community():
    y, scores, groups = _data()
    assert len(np.unique(scores)) < 25  # ties present
    out = metrics.score_predictions(y, scores, groups, threshold=0.5)
    seen = 0
    for attribute, community, mask in _masks(groups):
        got, yt, st = _values(out, attribute, community), y[mask], scores[mask]
        pred = st >= 0.5
        assert got["error"] == pytest.approx(1 - accuracy_score(yt, pred), abs=1e-12)
        assert got["log_loss"] == pytest.approx(log_loss(yt, st, labels=[0, 1]), rel=1e-10)
        assert got["brier"] == pytest.approx(brier_score_loss(yt, st), rel=1e-10)
        assert got["auroc"] == pytest.approx(roc_auc_score(yt, st), rel=1e-10)
        assert got["tpr"] == pytest.approx(pred[yt == 1].mean(), abs=1e-12)
        assert got["fpr"] == pytest.approx(pred[yt == 0].mean(), abs=1e-12)
        assert got["selection_rate"] == pytest.approx(pred.mean(), abs=1e-12)
        seen += 1
    assert seen == 1 + 3 + 2 + 6
    assert len(out) == seen * len(COMMUNITY) + 3 * len(metrics.ATTRIBUTE_METRICS)


def test_threshold_is_inclusive_and_log_loss_clips():
    y = np.array([1, 0, 1, 0])
    scores = np.array([0.0, 1.0, 0.3, 0.2])
    got = _values(metrics.score_predictions(y, scores, pd.DataFrame(index=range(4)), threshold=0.3), "all", "all")
    assert got["error"] == pytest.approx(0.5)  # 0.3 >= 0.3 is predicted 1
    expected = (2 * -math.log(1e-15) - math.log(0.3) - math.log(0.8)) / 4
    assert got["log_loss"] == pytest.approx(expected, rel=1e-9)


def test_ece_known_answer():
    # bin 0: 0.05 vs 0 -> 0.05; bin 1: mean 0.15 vs 0.5 over 2 -> 0.7; bin 9: 0.975 vs 1 over 2 -> 0.05
    y = np.array([0, 1, 0, 1, 1])
    scores = np.array([0.05, 0.15, 0.15, 0.95, 1.0])
    got = _values(metrics.score_predictions(y, scores, pd.DataFrame(index=range(5))), "all", "all")
    assert got["ece"] == pytest.approx((0.05 + 0.7 + 0.05) / 5)


def test_gaps_by_hand():
    y = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    scores = np.array([0.9, 0.2, 0.8, 0.1, 0.9, 0.9, 0.1, 0.1])
    groups = pd.DataFrame({"g": ["p"] * 4 + ["q"] * 4})
    out = metrics.score_predictions(y, scores, groups, evaluable={})
    everyone, p, q = _values(out, "all", "all"), _values(out, "g", "p"), _values(out, "g", "q")
    # everyone: tpr 3/4, fpr 1/4, selection 4/8; p: tpr 1/2, fpr 1/2, selection 2/4; q: 1, 0, 2/4
    assert (p["tpr_gap"], p["fpr_gap"], p["selection_rate_gap"]) == pytest.approx((0.5 - 0.75, 0.5 - 0.25, 0.0))
    assert (q["tpr_gap"], q["fpr_gap"], q["selection_rate_gap"]) == pytest.approx((1 - 0.75, 0 - 0.25, 0.0))
    assert (everyone[["tpr_gap", "fpr_gap", "selection_rate_gap"]] == 0).all()


def test_each_community_equals_scoring_it_alone():
    y, scores, groups = _data(seed=1)
    out = metrics.score_predictions(y, scores, groups, threshold=0.4)
    for attribute, community, mask in _masks(groups):
        if attribute == "all":
            continue
        alone = metrics.score_predictions(y[mask], scores[mask], pd.DataFrame(index=range(mask.sum())), 0.4)
        together, own = _values(out, attribute, community), _values(alone, "all", "all")
        for metric in COMMUNITY[:8]:
            assert together[metric] == pytest.approx(own[metric], rel=1e-10, abs=1e-12), (community, metric)
        row = out[(out.attribute == attribute) & (out.community == community)].iloc[0]
        assert (row.n_eval, row.n_pos) == (mask.sum(), y[mask].sum())


def test_evaluation_table_rows_equal_score_predictions_per_unit():
    y, base, groups = _data(n=800, seed=2)
    rng = np.random.default_rng(3)
    scores = np.stack([base, rng.random(len(y)), np.round(rng.random(len(y)), 1)]).astype(np.float32)
    units = pd.DataFrame({"unit_id": ["u0", "u1", "u2"], "model": ["lr", "lr", "gb"], "scale": [10, 20, 10]})
    table = metrics.evaluation_table(y, scores, units, groups, threshold=0.5)
    assert list(table.columns) == ["unit_id", "model", "scale", *metrics.OUTPUT_COLUMNS]
    for i, unit in units.iterrows():
        rows = table[table.unit_id == unit.unit_id].reset_index(drop=True)
        assert (rows[["model", "scale"]] == unit[["model", "scale"]]).all().all()
        alone = metrics.score_predictions(y, scores[i], groups, threshold=0.5)
        pd.testing.assert_frame_equal(rows[metrics.OUTPUT_COLUMNS], alone)


def test_attribute_summaries_use_only_evaluable_communities():
    rng = np.random.default_rng(4)
    n = 600
    y = rng.integers(0, 2, n)
    scores = np.where(rng.random(n) < 0.8, y, 1 - y) * 0.6 + 0.2  # 80 % right
    group = np.array(["big1"] * 300 + ["big2"] * 295 + ["tiny"] * 5, dtype=object)
    y[-5:] = [0, 1, 0, 1, 0]
    scores[-5:] = 1 - y[-5:]  # every tiny prediction wrong: error 1
    groups = pd.DataFrame({"g": group})
    assert metrics.evaluable_communities(y, groups) == {"g": ["big1", "big2"]}
    out = metrics.score_predictions(y, scores, groups)
    summary = _values(out, "g", "*")
    big = [_values(out, "g", c) for c in ("big1", "big2")]
    assert _values(out, "g", "tiny")["error"] == 1.0
    assert summary["worst_community_error"] == pytest.approx(max(b["error"] for b in big))
    assert summary["worst_community_error"] < 0.5
    for rate in ("tpr", "fpr", "selection_rate"):
        assert summary[f"{rate}_gap_range"] == pytest.approx(abs(big[0][rate] - big[1][rate]))
    flags = out.groupby("community").evaluable.all()
    assert not flags["tiny"] and flags["big1"] and flags["*"]
    star = out[out.community == "*"].iloc[0]
    assert (star.n_eval, star.n_pos) == (595, y[:595].sum())
    # Declared evaluable, the tiny community does dominate.
    listed = metrics.score_predictions(y, scores, groups, evaluable={"g": ["big1", "big2", "tiny"]})
    assert _values(listed, "g", "*")["worst_community_error"] == 1.0
    # One evaluable community: a worst error, but no range (it would be a spurious 0).
    one = metrics.score_predictions(y, scores, groups, evaluable={"g": ["big1"]})
    stars = one[one.community == "*"].set_index("metric")
    assert stars.loc["worst_community_error", "value"] == pytest.approx(big[0]["error"])
    assert stars.loc["worst_community_error", "evaluable"]
    assert stars.drop("worst_community_error").value.isna().all()
    assert not stars.drop("worst_community_error").evaluable.any()
    # An attribute with no evaluable community gets NaN summaries.
    none = metrics.score_predictions(y, scores, groups, evaluable={})
    assert _values(none, "g", "*").isna().all()


def test_evaluable_rule_boundaries():
    y = np.array([1] * 10 + [0] * 90 + [1] * 9 + [0] * 91)
    groups = pd.DataFrame({"g": ["ok"] * 100 + ["few_pos"] * 100, "h": ["short"] * 99 + [None] * 101})
    assert metrics.evaluable_communities(y, groups, min_count=100, min_positives=10) == {"g": ["ok"], "h": []}
    assert metrics.evaluable_communities(y, groups, min_count=99, min_positives=9) == {
        "g": ["few_pos", "ok"], "h": ["short"]}


def test_one_class_community_gives_nan_auroc_without_warning():
    y = np.array([0, 0, 0, 1, 0, 1])
    scores = np.array([0.1, 0.6, 0.3, 0.8, 0.2, 0.4])
    groups = pd.DataFrame({"g": ["neg", "neg", "neg", "mix", "mix", "mix"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = metrics.score_predictions(y, scores, groups, evaluable={})
    neg = _values(out, "g", "neg")
    assert np.isnan(neg["auroc"]) and np.isnan(neg["tpr"]) and np.isnan(neg["tpr_gap"])
    assert neg["fpr"] == pytest.approx(1 / 3)
    assert _values(out, "g", "mix")["auroc"] == pytest.approx(1.0)


def test_missing_group_values_left_out_of_communities_but_in_aggregate():
    y, scores, groups = _data(n=500, seed=5)
    out = metrics.score_predictions(y, scores, groups)
    race = out[(out.attribute == "race") & (out.metric == "error")]
    assert sorted(race.community) == ["a", "b", "c"]
    assert race.n_eval.sum() == groups.race.notna().sum() < len(y)
    assert (out[out.attribute == "all"].n_eval == len(y)).all()


def test_badness_and_registry():
    assert metrics.badness("auroc", 0.8) == pytest.approx(0.2)
    assert metrics.badness("tpr_gap", -0.1) == pytest.approx(0.1)
    assert metrics.badness("error", 0.3) == 0.3
    assert metrics.badness("tpr", 0.9) == pytest.approx(0.1)
    assert list(metrics.badness("fpr_gap", pd.Series([-0.2, 0.1]))) == pytest.approx([0.2, 0.1])
    assert sorted(metrics.METRIC_ORDER) == sorted(metrics.METRICS)
    assert {m.level for m in metrics.METRICS.values()} == {"community", "attribute"}
    names = pd.Series(["auroc", "tpr_gap", "error", "tpr"])
    assert metrics.badness(names, np.array([0.8, -0.1, 0.3, 0.9])) == pytest.approx([0.2, 0.1, 0.3, 0.1])
    with pytest.raises(InputError, match="unknown metric 'accuracy'"):
        metrics.badness("accuracy", 0.5)
    with pytest.raises(InputError, match=r"unknown metric\(s\) \['accuracy'\]"):
        metrics.badness(["accuracy"], [0.5])


GOOD_Y = np.array([0, 1, 0, 1])
GOOD_S = np.array([0.2, 0.7, 0.4, 0.9])
GOOD_G = pd.DataFrame({"g": ["a", "a", "b", "b"]})


@pytest.mark.parametrize("kwargs, match", [
    ({"y_true": np.array([0, 1, 2, 1])}, "y_true must hold only 0 and 1"),
    ({"y_true": np.array(["0", "1", "0", "1"])}, "y_true must hold only 0 and 1"),
    ({"y_true": np.ones(4, dtype=int)}, "target has a single class"),
    ({"scores_1d": GOOD_S[:3]}, "scores_1d has 3 test rows but y_true has 4"),
    ({"groups": GOOD_G.iloc[:3]}, "groups has 3 rows but y_true has 4"),
    ({"scores_1d": np.array([0.2, 1.2, 0.4, 0.9])}, r"scores_1d must be probabilities in \[0, 1\]"),
    ({"scores_1d": np.array([0.2, np.nan, 0.4, 0.9])}, "scores_1d .* found NaN"),
    ({"scores_1d": np.ones((2, 4)) / 2}, "scores_1d must be 1-D"),
    ({"threshold": 1.5}, "threshold must be in"),
    ({"evaluable": {"colour": ["a"]}}, r"evaluable names attributes not in groups: \['colour'\]"),
    ({"evaluable": {"g": ["z"]}}, r"evaluable\['g'\] lists communities absent from groups"),
    ({"groups": pd.DataFrame({"all": ["a"] * 4})}, "groups column 'all' is reserved"),
])
def test_score_predictions_rejects_bad_input(kwargs, match):
    args = {"y_true": GOOD_Y, "scores_1d": GOOD_S, "groups": GOOD_G, **kwargs}
    with pytest.raises(InputError, match=match):
        metrics.score_predictions(**args)


def test_evaluation_table_rejects_bad_input():
    units = pd.DataFrame({"unit_id": ["u0", "u1"]})
    scores = np.stack([GOOD_S, GOOD_S])
    with pytest.raises(InputError, match="units has 1 rows but scores_2d has 2"):
        metrics.evaluation_table(GOOD_Y, scores, units.iloc[:1], GOOD_G)
    with pytest.raises(InputError, match="scores_2d has 3 test rows"):
        metrics.evaluation_table(GOOD_Y, scores[:, :3], units, GOOD_G)
    with pytest.raises(InputError, match=r"scores_2d\[1\] must be probabilities"):
        metrics.evaluation_table(GOOD_Y, np.stack([GOOD_S, GOOD_S - 0.5]), units, GOOD_G)
    with pytest.raises(InputError, match=r"units columns clash with output columns: \['metric'\]"):
        metrics.evaluation_table(GOOD_Y, scores, units.assign(metric="x"), GOOD_G)
    with pytest.raises(InputError, match="min_count must be a non-negative integer"):
        metrics.evaluable_communities(GOOD_Y, GOOD_G, min_count=-1)


def test_test_row_replicates_known_answers():
    y, scores, groups = _data(n=3000, seed=4)
    units = pd.DataFrame({"model": ["m", "m", "m"], "scale": [10, 20, 10], "seed": [0, 0, 1]})
    stack = np.vstack([scores, 1 - scores, scores])  # units 0 and 2 predict alike
    evaluable = {"race": ["a", "b"], "sex": ["f", "m"]}
    reps = metrics.test_row_replicates(y, stack, units, groups, 0.5, evaluable, n_boot=300, rng_seed=9)
    assert len(reps) == 3 * (1 + 4) * 300
    # replicate b is the error under the b-th Poisson weights, by hand
    weights = np.random.default_rng([9, 5501]).poisson(1.0, (300, len(y)))
    mask = (groups.race == "a").to_numpy()
    wrong = ((scores >= 0.5).astype(int) != y)[mask]
    by_hand = weights[:, mask] @ wrong / weights[:, mask].sum(1)
    got = reps[(reps.community == "a") & (reps.scale == 10) & (reps.seed == 0)].sort_values("replicate").value
    assert np.allclose(got, by_hand)
    # the same weights for every unit: identical predictions give identical replicates
    twin = reps[(reps.scale == 10)].pivot_table(index=["community", "replicate"], columns="seed", values="value")
    assert np.array_equal(twin[0], twin[1])
    # spread across replicates is the binomial standard error of an error rate
    e = wrong.mean()
    assert got.std() == pytest.approx(math.sqrt(e * (1 - e) / mask.sum()), rel=0.15)
    assert got.mean() == pytest.approx(e, abs=3 * math.sqrt(e * (1 - e) / mask.sum() / 300) + 1e-3)
    with pytest.raises(InputError, match="units has 2 rows"):
        metrics.test_row_replicates(y, stack, units.iloc[:2], groups, 0.5, evaluable, n_boot=5)
