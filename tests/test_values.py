"""Value profiles, expected costs, choices and conflict (claim C5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import confusion_matrix

from community_scaling import values
from community_scaling.io import InputError

PROFILES = {"symmetric": {"cost_fp": 1, "cost_fn": 1}, "miss_averse": {"cost_fp": 1, "cost_fn": 4}}


def units_for(models=("lr", "gb"), scales=(100, 200), seeds=(0, 1)):
    return pd.DataFrame([{"unit_id": f"{m}-{s}-{k}", "model": m, "scale": s, "seed": k}
                         for m in models for s in scales for k in seeds])


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    n = 1500
    race = rng.choice(np.array(["a", "b", "c"], dtype=object), n)
    race[rng.random(n) < 0.1] = np.nan  # not in any race community
    test = pd.DataFrame({"y": rng.integers(0, 2, n), "alt_work": rng.integers(0, 2, n),
                         "race": pd.Series(race, dtype="str"), "sex": rng.choice(["f", "m"], n)})
    units = units_for()
    scores = rng.random((len(units), n)).astype(np.float32)
    scores[:, :50] = np.float32(0.35)  # ties with a threshold count as positive
    scores[:, 50:100] = 0.5
    return scores, units, test


def test_expected_cost_matches_confusion_matrix(data):
    scores, units, test = data
    costs = values.expected_costs(scores, units, test, ["race", "sex"], PROFILES)
    assert set(costs.outcome) == {"y", "alt_work"}  # alt_* found by default
    u = 3
    mine = costs[costs.unit_id == units.unit_id[u]].set_index(["outcome", "attribute", "community", "threshold",
                                                                 "profile"])
    checked = 0
    for outcome in ("y", "alt_work"):
        for attribute, community in [("all", "all"), ("race", "a"), ("race", "c"), ("sex", "m")]:
            mask = np.ones(len(test), bool) if attribute == "all" else (test[attribute] == community).to_numpy()
            for threshold in (0.05, 0.35, 0.5, 0.95):
                pred = (scores[u, mask] >= threshold).astype(int)
                _, fp, fn, _ = confusion_matrix(test[outcome].to_numpy()[mask], pred, labels=[0, 1]).ravel()
                for name, p in PROFILES.items():
                    row = mine.loc[(outcome, attribute, community, threshold, name)]
                    assert (row.fp, row.fn, row.n) == (fp, fn, mask.sum())
                    assert row.cost == pytest.approx((p["cost_fp"] * fp + p["cost_fn"] * fn) / mask.sum())
                    checked += 1
    assert checked == 2 * 4 * 4 * 2
    # NaN rows belong to no race community
    n_race = costs[(costs.attribute == "race")].drop_duplicates("community").n.sum()
    assert n_race == test.race.notna().sum()


def test_chosen_threshold_is_bayes_threshold():
    # Perfectly calibrated: among rows with score s, a share s are positive (no sampling noise).
    levels, per = 400, 500
    s = (np.arange(levels) + 0.5) / levels
    y = np.concatenate([np.r_[np.ones(int(round(v * per))), np.zeros(per - int(round(v * per)))] for v in s])
    test = pd.DataFrame({"y": y.astype(int)})
    scores = np.repeat(s, per)[None, :].astype(np.float32)
    profiles = {"even": {"cost_fp": 1, "cost_fn": 1}, "fp4": {"cost_fp": 4, "cost_fn": 1},
                "fn4": {"cost_fp": 1, "cost_fn": 4}, "fp2": {"cost_fp": 2, "cost_fn": 1}}
    costs = values.expected_costs(scores, units_for(("lr",), (100,), (0,)), test, [], profiles)
    chosen = values.choices(costs).set_index("profile").threshold
    step = 0.05
    for name, p in profiles.items():
        bayes = p["cost_fp"] / (p["cost_fp"] + p["cost_fn"])
        assert abs(chosen[name] - bayes) <= step / 2 + 1e-9, name


def twin_data(shift: float, n: int = 3000, seed: int = 0):
    """Communities A and B with the same scores; B's labels follow P(y=1|s) = s**(1 - shift)."""
    rng = np.random.default_rng(seed)
    units = units_for(scales=(100, 200, 400), seeds=(0, 1, 2))
    s = rng.random(n)
    noise = rng.normal(scale=0.02, size=(len(units), 1))
    block = np.clip(s[None, :] + noise, 0, 1)
    y_a = (rng.random(n) < s).astype(int)
    y_b = (rng.random(n) < s ** (1 - shift)).astype(int) if shift else y_a
    test = pd.DataFrame({"y": np.r_[y_a, y_b], "g": ["A"] * n + ["B"] * n})
    return np.hstack([block, block]).astype(np.float32), units, test


def test_no_conflict_when_communities_share_data():
    scores, units, test = twin_data(0.0)
    costs = values.expected_costs(scores, units, test, ["g"], PROFILES)
    table = values.conflict(costs, {"g": ["A", "B"]}, mixed={("g", "A"): "symmetric", ("g", "B"): "symmetric"},
                            n_boot=20)
    assert (table.minimax_regret == 0).all()
    assert (table.ci_high == 0).all() and table.near_optimal.all()


def test_conflict_when_one_community_differs():
    scores, units, test = twin_data(0.7)
    costs = values.expected_costs(scores, units, test, ["g"], PROFILES)
    table = values.conflict(costs, {"g": ["A", "B"]}, n_boot=50)
    sym = table[table.scenario == "profile=symmetric, outcome=y"]
    assert (sym.minimax_regret > 0.05).all()
    assert (sym.n_binding >= 1).all() and sym.binding.str.startswith("g=").all()
    assert (table.minimax_regret >= 0).all() and (table.ci_low >= 0).all()
    mixed = table[table.scenario == "mixed"]
    assert (mixed.n_judges == 4).all()  # 2 communities x 2 profiles x 1 outcome
    regret = values.regret_table(costs)
    assert (regret.regret >= -1e-12).all()
    assert (regret.groupby(values.JUDGE).regret.min() == 0).all()


def test_choices_improve_with_more_candidates(data):
    scores, units, test = data
    costs = values.expected_costs(scores, units, test, ["race"], PROFILES, thresholds=[0.3, 0.5, 0.7])
    picked = values.choices(costs)
    assert (picked.scale <= picked.max_scale).all()
    wide = picked.pivot_table(index=values.JUDGE, columns="max_scale", values="cost")
    assert (wide[200] <= wide[100] + 1e-12).all()
    # the overall choice is the seed-mean minimum
    means = costs.groupby(values.JUDGE + ["model", "scale", "threshold"]).cost.mean()
    assert np.allclose(wide[200].to_numpy(), means.groupby(values.JUDGE).min().loc[wide.index].to_numpy())


@pytest.mark.parametrize("change, culprit", [
    (lambda s, u, t, kw: (s, u.drop(columns="seed"), t, kw), "seed"),
    (lambda s, u, t, kw: (s, u, t.drop(columns="race"), kw), "race"),
    (lambda s, u, t, kw: (s, u, t, {**kw, "outcomes": ["y", "alt_missing"]}), "alt_missing"),
    (lambda s, u, t, kw: (s, u, t, {**kw, "profiles": {"p": {"cost_fp": 1, "cost_fn": 1, "cost_tp": 0}}}),
     "cost_tp"),
    (lambda s, u, t, kw: (s, u, t, {**kw, "profiles": {"p": {"cost_fp": 1, "cost_fn": -2}}}), "cost_fn"),
    (lambda s, u, t, kw: (s, u, t, {**kw, "thresholds": []}), "thresholds"),
    (lambda s, u, t, kw: (s[:, :10], u, t, kw), "scores"),
    (lambda s, u, t, kw: (s, u, t.assign(y=2), kw), "'y'"),
])
def test_bad_inputs_name_the_culprit(data, change, culprit):
    scores, units, test, kwargs = change(*data, {"attributes": ["race"], "profiles": PROFILES})
    with pytest.raises(InputError, match=culprit):
        values.expected_costs(scores, units, test, **kwargs)


def test_conflict_rejects_bad_arguments(data):
    scores, units, test = data
    costs = values.expected_costs(scores, units, test, ["race"], PROFILES, thresholds=[0.5])
    with pytest.raises(InputError, match="cost"):
        values.conflict(costs.drop(columns="cost"), None)
    with pytest.raises(InputError, match="nobody"):
        values.conflict(costs, None, mixed={("race", "a"): "nobody"})
    with pytest.raises(InputError, match="zzz"):
        values.conflict(costs, evaluable={"race": ["zzz"]})
    table = values.conflict(costs, None, n_boot=0)
    assert table.ci_low.isna().all()
