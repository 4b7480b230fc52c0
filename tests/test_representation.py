"""Rolf et al.'s representation model per community: known answers on synthetic sweeps,
the own-row advantage against finite differences, the model-free paired check, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import representation as rp
from community_scaling.io import InputError

TRUTH = {"d": 0.05, "s": 0.3, "p": 0.5, "t": 2.0, "q": 0.4}
TOTALS = [2048, 8192, 32768]
SHARES = [0, 0.005, 0.01, 0.02, 0.05, 0.1]


def sweep(truth=TRUTH, seeds=5, noise=0.03, community="g", rng=0):
    rng = np.random.default_rng(rng)
    rows = []
    for seed in range(seeds):
        for total in TOTALS:
            for share in SHARES:
                count = round(share * total)
                value = rp.rolf_error(truth, count, total) * np.exp(rng.normal(0, noise))
                rows.append({"model": "lr", "scale": total, "seed": seed, "community_count": count,
                             "boosted": community, "attribute": "race", "community": community,
                             "metric": "error", "value": value})
                rows.append({"model": "lr", "scale": total, "seed": seed, "community_count": count,
                             "boosted": community, "attribute": "all", "community": "all",
                             "metric": "error", "value": 0.1})
    return pd.DataFrame(rows)


def test_noise_free_sweep_recovers_the_model():
    result = rp.fit_representation(sweep(noise=0.0), n_boot=0)
    row = result.effects.iloc[0]
    assert row.success
    assert row.floor == pytest.approx(TRUTH["d"], rel=0.02)
    assert row.absent_excess == pytest.approx(TRUTH["s"], rel=0.02)
    assert row.error_absent_at_total == pytest.approx(rp.rolf_error(TRUTH, 0, max(TOTALS)), rel=1e-4)
    # two communities fitted in parallel give what each gives alone
    both = pd.concat([sweep(noise=0.0), sweep({**TRUTH, "s": 0.1}, noise=0.0, community="h")])
    parallel = rp.fit_representation(both, n_boot=0, n_jobs=2).effects.set_index("community")
    assert parallel.loc["g", "absent_excess"] == pytest.approx(row.absent_excess, rel=1e-9)
    assert parallel.loc["h", "absent_excess"] == pytest.approx(0.1, rel=0.02)
    # default reference: the smallest positive share swept
    assert row.reference_share == pytest.approx(min(round(0.005 * t) / t for t in TOTALS))


def test_noisy_sweep_intervals_cover_the_truth():
    result = rp.fit_representation(sweep(noise=0.03, rng=2), n_boot=100, reference_share={"g": 0.02})
    params = result.params.set_index("parameter")
    for name in ("d", "s", "p"):
        assert params.loc[name, "ci_low"] <= TRUTH[name] <= params.loc[name, "ci_high"], name
    row = result.effects.iloc[0]
    truth = rp.own_row_advantage(TRUTH, 0.02 * max(TOTALS), max(TOTALS))
    assert row.own_row_advantage_ci_low <= truth <= row.own_row_advantage_ci_high
    assert row.own_row_advantage_ci_low > 1 and row.own_row_advantage_identified
    # rows from anyone else worth nothing: the advantage hits its cap and is "not identified", not a number
    flat_total = sweep({**TRUTH, "t": 0.0}, noise=0.0)
    assert not rp.fit_representation(flat_total, n_boot=0).effects.own_row_advantage_identified.iloc[0]


def test_own_row_advantage_matches_finite_differences():
    n_j, n, h = 100.0, 10_000.0, 1e-3
    own_row = (rp.rolf_error(TRUTH, n_j + h, n + h) - rp.rolf_error(TRUTH, n_j, n)) / h
    other_row = (rp.rolf_error(TRUTH, n_j, n + h) - rp.rolf_error(TRUTH, n_j, n)) / h
    assert rp.own_row_advantage(TRUTH, n_j, n) == pytest.approx(own_row / other_row, rel=1e-4)
    # no gain from general data at all: the advantage is capped, not infinite
    assert rp.own_row_advantage({**TRUTH, "t": 0.0}, n_j, n) == rp.RATIO_CAP


def test_paired_share_effect_signs():
    helps = rp.paired_share_effect(rp.check_table(sweep(noise=0.01), "error"))
    assert (helps.label == "own data helps").all() and len(helps) == len(TOTALS)
    assert (helps.count_low == 0).all() and (helps.ci_high < 0).all()
    flat = rp.paired_share_effect(rp.check_table(sweep({**TRUTH, "s": 0.0}, noise=0.05, rng=3), "error"))
    assert (flat.label == "no demonstrable effect").sum() >= 2


def test_bad_tables_are_named():
    with pytest.raises(InputError, match="community_count"):
        rp.fit_representation(sweep().drop(columns="community_count"))
    with pytest.raises(InputError, match="'auroc'"):
        rp.fit_representation(sweep(), metric="auroc")
    failed = rp.fit_representation(sweep()[lambda f: f.community_count.isin([0, 20])], n_boot=0)
    assert failed.effects.note.iloc[0].startswith("fit failed") and "3 distinct" in failed.effects.note.iloc[0]
