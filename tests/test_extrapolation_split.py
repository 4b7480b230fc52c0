"""The held-out decision of the default extrapolation method (extrapolation_split)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import extrapolation_split as es
from community_scaling.io import InputError

DOMAINS = {"IC": 72, "NMT": 5, "LM": 5, "BB": 10}


def _results(gain: dict, sd=0.01, rng=0):
    """Fake benchmark scores: each estimator = a curve's base score + its gain + noise."""
    rng = np.random.default_rng(rng)
    rows = []
    for domain, k in DOMAINS.items():
        for i in range(k):
            base = rng.uniform(0.02, 0.06)
            for name, g in gain.items():
                rows.append({"curve": f"{domain}|{i}", "domain": domain, "estimator": name,
                             "rmse": base + g + rng.normal(0, sd)})
    return pd.DataFrame(rows)


def test_split_is_stratified_disjoint_and_fixed_by_its_seed():
    results = _results({"a": 0.0})
    sel, conf = es.split_curves(results)
    assert not set(sel) & set(conf) and len(sel) + len(conf) == 92
    by_domain = pd.Series([c.split("|")[0] for c in sel]).value_counts().to_dict()
    assert by_domain == {d: k // 2 for d, k in DOMAINS.items()}
    assert es.split_curves(results) == (sel, conf)
    assert es.split_curves(results, rng_seed=1) != (sel, conf)


def test_a_clearly_better_method_is_chosen_and_adopted():
    results = _results({"chosen": 0.0, "average": -0.01, "m4": 0.002, "paper_M4": 0.0}, sd=0.003)
    out = es.held_out_choice(results, ["chosen", "average", "m4"])
    assert out["chosen"] == "average"
    assert out["ci_high"] < 0 and out["adopt"]
    assert out["difference"] == pytest.approx(-0.01, abs=0.002)


def test_a_method_no_better_than_the_reference_is_not_adopted():
    results = _results({"chosen": 0.0, "average": 0.0, "paper_M4": 0.0}, sd=0.01, rng=3)
    out = es.held_out_choice(results, ["chosen", "average"])
    assert out["ci_low"] < 0 < out["ci_high"] and not out["adopt"]


def test_failed_curves_are_dropped_and_counted():
    results = _results({"chosen": 0.0, "paper_M4": 0.0})
    results.loc[(results.curve == "IC|0") & (results.estimator == "chosen"), "rmse"] = np.nan
    out = es.held_out_choice(results, ["chosen"])
    assert out["dropped"] == 1 and out["n_selection"] + out["n_confirmation"] == 91


def test_bad_input_names_the_problem():
    results = _results({"chosen": 0.0, "paper_M4": 0.0})
    with pytest.raises(InputError, match=r"\['avg'\] not in the results"):
        es.held_out_choice(results, ["avg"])
    with pytest.raises(InputError, match=r"lack column\(s\) \['rmse'\]"):
        es.held_out_choice(results.drop(columns="rmse"), ["chosen"])
