"""The rater-groups calibration made faster without changing what it computes: the shuffled groups'
labels counted with numpy equal label_table's, and the rule's statistics and decisions on the first
replicates equal those of the code before the change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import group_conflict, text_sweep
from community_scaling.claims import c5_value_conflict as c5


@pytest.mark.parametrize("positive_from", [None, 3])
def test_relabeller_gives_label_table_under_every_shuffle(positive_from):
    rng = np.random.default_rng(7)
    # 5 raters in A, 4 in B, one outside both and one with no group; odd and even counts so ties happen
    raters = pd.DataFrame({"rater": [f"r{k}" for k in range(11)],
                           "group": ["A"] * 5 + ["B"] * 4 + ["C", None]})
    rows = [(f"i{i}", f"r{r}", float(rng.integers(1, 6) if positive_from else rng.integers(0, 2)))
            for i in range(40) for r in rng.choice(11, rng.integers(1, 7), replace=False)]
    ratings = pd.DataFrame(rows, columns=["item", "rater", "label"])
    labels = text_sweep.label_table(ratings, raters, "group", ["A", "B"], positive_from)
    relabel = group_conflict._relabeller(ratings, raters, "group", ["A", "B"], positive_from, labels)
    members = raters[raters["group"].isin(["A", "B"])]
    ties = 0
    for _ in range(20):
        shuffled = raters.copy()
        shuffled.loc[members.index, "group"] = rng.permutation(members["group"].to_numpy())
        expected = text_sweep.label_table(ratings, shuffled, "group", ["A", "B"], positive_from)
        expected[text_sweep.POOLED] = labels[text_sweep.POOLED]
        got = relabel(shuffled["group"].to_numpy())
        pd.testing.assert_frame_equal(got, expected)
        ties += int(got[["A", "B"]].isna().to_numpy().sum())
    assert ties > 0  # the shuffles did produce ties or unrated items, so NaN handling was checked


# Output of the code before the change (commit d2d838f), not a target: seed 1 as in
# tests/test_claims_calibration.py, replicates 0-2 of each generator. Per (generator, replicate):
# verdict, observed minimax regret, mean of the 39 shuffled-groups draws, mean of the 50 item
# resamples, permutation p-value.
BEFORE = {
    ("null", 0): ("not supported", 0.0, 0.00022296544035674485, 0.0, 1.0),
    ("null", 1): ("not supported", 0.0, 0.0, 0.0, 1.0),
    ("null", 2): ("not supported", 0.0, 0.0002172968274663191, 0.0, 1.0),
    ("true", 0): ("supported", 0.19166666666666668, 0.047935932904066156, 0.17718082131481036, 0.025),
    ("true", 1): ("supported", 0.13333333333333333, 0.020726958462441762, 0.14376209222238978, 0.025),
    ("true", 2): ("supported", 0.275, 0.056255176383837445, 0.2775456314528993, 0.025),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind, rep", list(BEFORE))
def test_rater_calibration_replicates_unchanged(kind, rep, monkeypatch):
    calibration = c5.RATER_CALIBRATION
    data = (calibration.null if kind == "null" else calibration.true)(np.random.default_rng([1, rep, kind == "null"]))
    results = []
    original = group_conflict.conflict_test
    monkeypatch.setattr(group_conflict, "conflict_test", lambda *a, **k: results.append(original(*a, **k)) or results[-1])
    verdict = calibration.verdict(data)
    (result,) = results
    got = (verdict, result["observed"], float(np.mean(result["null"])), float(np.mean(result["boot"])),
           result["p_value"])
    assert got[0] == BEFORE[kind, rep][0]
    assert got[1:] == pytest.approx(BEFORE[kind, rep][1:], rel=1e-12, abs=1e-15)
