"""AUROC per community after one sort per unit: the same values as scikit-learn to 1e-12,
with ties, missing community labels, a constant unit and a one-class community."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from community_scaling import metrics


def _test_set(n=4000, seed=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.35).astype(int)
    state = rng.choice([f"s{i}" for i in range(12)], n).astype(object)
    state[rng.random(n) < 0.05] = None
    groups = pd.DataFrame({"state": state, "sex": rng.choice(["f", "m"], n)})
    groups["only_negatives"] = np.where(y == 0, rng.choice(["x", "z"], n), "x")  # community z: no positives
    # float32 scores, some rounded to 1/64 so that they tie inside communities, as small boosting models do
    raw = 1 / (1 + np.exp(-(1.5 * (y - 0.5) + rng.normal(0, 1, n))))
    scores = np.stack([raw, np.round(raw * 64) / 64, np.full(n, 0.25)]).astype(np.float32)
    return y, scores, groups


@pytest.mark.parametrize("unit", [0, 1, 2], ids=["distinct", "tied", "constant"])
def test_auroc_of_every_community_matches_sklearn_to_1e12(unit):
    y, scores, groups = _test_set()
    out = metrics.score_predictions(y, scores[unit], groups)
    auroc = out[out.metric == "auroc"].set_index(["attribute", "community"]).value
    checked = 0
    for (attribute, community), value in auroc.items():
        mask = np.ones(len(y), bool) if attribute == "all" else (groups[attribute] == community).to_numpy()
        if len(np.unique(y[mask])) < 2:
            assert np.isnan(value), (attribute, community)
            continue
        assert abs(value - roc_auc_score(y[mask], scores[unit][mask].astype(np.float64))) <= 1e-12, (attribute, community)
        checked += 1
    assert checked == len(auroc) - 1  # every community but z, which has no positives
    assert auroc.loc[("only_negatives", "z")] != auroc.loc[("only_negatives", "z")]
