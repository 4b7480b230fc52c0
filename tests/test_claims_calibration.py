"""A reduced calibration of every calibrated rule, each once, here only: fails when a rule's
false-positive rate is clearly above 5% or its power clearly below 80% (Clopper-Pearson
bounds over 60 replicates). The full table (200 replicates) is benchmarks/claims_calibration.py."""

import pytest
from statsmodels.stats.proportion import proportion_confint

from community_scaling import claims

CALIBRATED = [c for c in claims.MODULES if hasattr(claims.module(c), "CALIBRATION")]
REPLICATES = 60  # per generator


def test_every_claim_is_calibrated():
    assert CALIBRATED == list(claims.MODULES), f"claims without a CALIBRATION: {sorted(set(claims.MODULES) - set(CALIBRATED))}"


def test_reduced_calibration_still_catches_a_bad_rule():
    """At this replicate count, a rule with a false-positive rate of 20% or a power of 60% fails the test below."""
    assert proportion_confint(round(0.2 * REPLICATES), REPLICATES, alpha=0.05, method="beta")[0] \
        > claims.MAX_FALSE_POSITIVE_RATE
    assert proportion_confint(int(0.6 * REPLICATES), REPLICATES, alpha=0.05, method="beta")[1] < claims.MIN_POWER


@pytest.mark.slow
@pytest.mark.parametrize("rule", list(claims.calibrations()))
def test_claim_can_fail_and_can_succeed(rule):
    row = claims.calibrate(rule, claims.calibrations()[rule], n_rep=REPLICATES, seed=1, n_jobs=2)
    assert row["false_positive_rate_low"] <= claims.MAX_FALSE_POSITIVE_RATE, row
    assert row["power_high"] >= claims.MIN_POWER, row
