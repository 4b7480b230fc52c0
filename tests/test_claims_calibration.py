"""A reduced calibration of every calibrated rule, each once, here only: fails when a rule's
false-positive rate is clearly above 5% or its power clearly below 80% (Clopper-Pearson
bounds over 60 replicates). The full table (200 replicates) is benchmarks/claims_calibration.py."""

import pytest

from community_scaling import claims

CALIBRATED = [c for c in claims.MODULES if hasattr(claims.module(c), "CALIBRATION")]


def test_every_claim_is_calibrated():
    assert CALIBRATED == list(claims.MODULES), f"claims without a CALIBRATION: {sorted(set(claims.MODULES) - set(CALIBRATED))}"


@pytest.mark.slow
@pytest.mark.parametrize("rule", list(claims.calibrations()))
def test_claim_can_fail_and_can_succeed(rule):
    row = claims.calibrate(rule, claims.calibrations()[rule], n_rep=60, seed=1, n_jobs=2)
    assert row["false_positive_rate_low"] <= claims.MAX_FALSE_POSITIVE_RATE, row
    assert row["power_high"] >= claims.MIN_POWER, row
