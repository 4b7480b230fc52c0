"""The claims contract: the registry, 'not applicable', the sensitivity grid and the
calibration harness, each on cases with a known answer."""

import math

import numpy as np
import pytest
from scipy import stats

from community_scaling import claims


def test_registry_has_one_module_per_claim_with_its_spec():
    assert list(claims.MODULES) == [f"C{i}" for i in range(1, 8)]
    for claim in claims.MODULES:
        spec = claims.module(claim).SPEC
        assert spec.id == claim and spec.statement.endswith(".") and spec.needs
        assert callable(claims.module(claim).evaluate)
    with pytest.raises(ValueError, match="unknown claim 'C9'"):
        claims.module("C9")


def test_settings_come_from_the_study_file():
    from community_scaling import study

    census = study.load("census")
    for claim in claims.MODULES:
        spec = claims.module(claim).SPEC
        arguments = spec.arguments(census)
        assert set(arguments) == set(spec.settings)
    assert claims.module("C3").SPEC.arguments(census)["margin"] == census["fits"]["spread_margin"]


def test_not_applicable_names_the_reason_and_tables_missing():
    record = claims.not_applicable("C5", "the study has no predictions table")
    assert record.verdict == "not applicable" and "no predictions table" in record.rule
    assert math.isnan(record.effect) and record.statement == claims.statement("C5")
    assert claims.module("C5").SPEC.missing({"evaluations": object()}) == ["predictions"]
    with pytest.raises(ValueError, match="verdict must be one of"):
        claims.Claim("C1", "t", "e", 0, 0, 0, "maybe", "r")


def _mean_above(data, threshold=0.0):
    low, high = stats.t.interval(0.95, len(data) - 1, loc=np.mean(data), scale=stats.sem(data))
    return claims.Claim("C1", "t-interval", "mean", float(np.mean(data)), low, high,
                        claims.verdict_from_interval(low, high, threshold, "above"), f"mean above {threshold}")


def test_sensitivity_marks_a_verdict_that_changes_within_the_grid():
    data = np.random.default_rng(0).normal(1.0, 1.0, 200)  # mean about 1, interval about [0.86, 1.14]
    steady, table = claims.sensitivity(lambda threshold: _mean_above(data, threshold), {"threshold": 0.0},
                                       {"threshold": [0.2, 0.5]})
    assert steady.verdict == "supported" and steady.grid_agreement == 1 and not steady.fragile
    fragile, table = claims.sensitivity(lambda threshold: _mean_above(data, threshold), {"threshold": 0.0},
                                        {"threshold": [0.5, 2.0]})
    assert fragile.verdict == "supported" and fragile.grid_agreement == 0.5 and fragile.fragile
    assert list(table.verdict) == ["supported", "not supported"] and "threshold in [0.5, 2.0]" in fragile.grid


def test_calibration_measures_false_positives_and_power():
    calibration = claims.Calibration(
        null=lambda rng: rng.normal(0.0, 1.0, 30), true=lambda rng: rng.normal(0.8, 1.0, 30),
        verdict=lambda data: _mean_above(data).verdict, null_description="mean 0",
        effect="mean 0.8 sd, 30 draws")
    row = claims.calibrate("C1", calibration, n_rep=200)
    # a one-sided test at 2.5% per side: about 2.5% false positives; power about 0.99
    assert row["false_positive_rate"] <= 0.06 and row["power"] >= 0.95 and row["passes"]
    assert row["false_positive_rate_low"] <= row["false_positive_rate"] <= row["false_positive_rate_high"]
    always = claims.Calibration(null=calibration.null, true=calibration.true, verdict=lambda data: "supported",
                                null_description="", effect="")
    assert not claims.calibrate("C1", always, n_rep=50)["passes"]
