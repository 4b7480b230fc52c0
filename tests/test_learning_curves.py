"""Per-community curves and excess over the aggregate: known answers on small tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from community_scaling import learning_curves as lc
from community_scaling.io import InputError


def _evaluations(offsets: dict[int, float]) -> pd.DataFrame:
    """Aggregate error 0.2/0.1 at two sizes; community 'A' = aggregate + offset[seed]."""
    rows = []
    for seed, offset in offsets.items():
        for scale, error in ((100, 0.2), (1000, 0.1)):
            rows.append(dict(model="m", scale=scale, seed=seed, attribute="all", community="all", metric="error",
                             value=error + 0.01 * seed, evaluable=True))
            rows.append(dict(model="m", scale=scale, seed=seed, attribute="g", community="A", metric="error",
                             value=error + 0.01 * seed + offset, evaluable=True))
            rows.append(dict(model="m", scale=scale, seed=seed, attribute="g", community="tiny", metric="error",
                             value=0.9, evaluable=False))
    return pd.DataFrame(rows)


def test_excess_is_paired_by_seed_with_a_t_interval():
    offsets = {0: 0.05, 1: 0.07, 2: 0.09}
    excess = lc.excess_over_aggregate(_evaluations(offsets))
    assert set(excess.community) == {"A"}, "communities that cannot be evaluated are left out"
    row = excess[excess.scale == 1000].iloc[0]
    values = np.array(list(offsets.values()))
    half = stats.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
    # pairing removes the seed-to-seed shift shared by community and aggregate
    assert row["mean"] == pytest.approx(0.07) and row.ci_low == pytest.approx(0.07 - half)
    assert row.ci_high == pytest.approx(0.07 + half) and row.interval == "seeds"


def test_excess_with_test_row_replicates_resamples_both_sources():
    evaluations = _evaluations({0: 0.05, 1: 0.05})
    units = evaluations[evaluations.evaluable][["model", "scale", "seed", "attribute", "community", "value"]]
    rng = np.random.default_rng(0)
    replicates = pd.concat([units.assign(replicate=b, value=units.value + (units.community == "A") * rng.normal(0, 0.01))
                            for b in range(400)])
    excess = lc.excess_over_aggregate(evaluations, replicates=replicates)
    row = excess[excess.scale == 100].iloc[0]
    assert row["mean"] == pytest.approx(0.05) and row.interval == "seeds and test rows"
    # seeds agree exactly, so the width is the test-row noise: about +-1.96 x 0.01
    assert row.ci_low == pytest.approx(0.05 - 0.0196, abs=0.004) and row.ci_high == pytest.approx(0.05 + 0.0196, abs=0.004)


def test_curve_summary_and_ends():
    evaluations = _evaluations({0: 0.05, 1: 0.07})
    summary = lc.curve_summary(evaluations)
    assert set(summary.attribute) == {"all", "g"} and (summary.seeds == 2).all()
    ends = lc.largest_and_smallest(lc.excess_over_aggregate(evaluations))
    assert ends[["scale_small", "scale_large"]].iloc[0].tolist() == [100, 1000]
    with pytest.raises(InputError, match="no rows for metric 'auc'"):
        lc.curve_summary(evaluations, metric="auc")
