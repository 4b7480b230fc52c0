"""C1 (power law against laws that are not power laws) and C3 (communities left behind): known answers, the
cases the old tests confused (a higher floor, a community at its floor, a faster one); their
calibration is in test_claims_calibration.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from community_scaling import scaling_fits as sf
from community_scaling.claims import c1_aggregate_power_law as c1, c3_communities_left_behind as c3
from community_scaling.io import InputError

SIZES = sf.synthetic.CENSUS_SIZES


def test_census_sizes_hold_out_more_than_three_doublings():
    fitted, held = sf.split_sizes(SIZES, 3.0)
    assert fitted[-1] == 16_384 and held.tolist() == [32_768, 65_536, 131_072, 149_175]
    assert np.log2(held[-1] / fitted[-1]) >= 3
    with pytest.raises(InputError, match="leaves 2 sizes to fit"):
        sf.split_sizes([128, 256, 512, 1024, 2048, 4000], 3.0)


def test_profile_fit_recovers_a_noise_free_power_law_with_floor():
    n = np.tile(SIZES, 3)
    e = 0.06 + 1.5 * n ** -0.45
    c, e_inf, b = sf.profile_fit(n, e[None, :], np.ones((1, n.size)))
    assert c[0] == pytest.approx(0.45, rel=0.02) and e_inf[0] == pytest.approx(0.06, rel=0.02)


def test_c1_known_answers_and_not_applicable():
    rng = np.random.default_rng(5)
    assert c1.evaluate(*c1._true(rng), n_boot=c1.CALIBRATION_BOOT).verdict == "supported"
    saturated = c1._generated(lambda n: 0.1 + 0.15 * np.exp(-n / 500), rng)  # flat before the held-out sizes
    claim = c1.evaluate(*saturated, n_boot=c1.CALIBRATION_BOOT)
    assert claim.verdict == "not supported" and claim.ci_high <= 0 and "3.19 doublings" in claim.details
    few = saturated[0][saturated[0].scale <= 2048]  # 128..2048: 2 sizes below 2048 / 8
    assert c1.evaluate(few, None, n_boot=40).verdict == "not applicable"


def test_c1_counts_a_floorless_power_law_as_a_power_law():
    """A true power law without a floor is a member of the claim's family (the floor may be 0)."""
    rng = np.random.default_rng(11)
    table, replicates = c1._generated(lambda n: 2.0 * n ** -0.35, rng)
    claim = c1.evaluate(table, replicates, n_boot=c1.CALIBRATION_BOOT)
    assert claim.verdict == "supported" and claim.ci_low > 0, claim.details


def test_saturation_fit_recovers_a_noise_free_exponential_saturation():
    n = np.tile(SIZES[SIZES <= 16_384], 2).astype(float)
    e = 0.08 + 0.2 * np.exp(-n / 3_000)
    s, e_inf, b = sf.alternatives.saturation_fit(n, e[None, :], np.ones((1, n.size)),
                                                 sf.alternatives.SATURATION_SCALES * n.max())
    assert s[0] == pytest.approx(3_000, rel=0.05) and e_inf[0] == pytest.approx(0.08, rel=0.01)
    assert b[0] == pytest.approx(0.2, rel=0.05)


def test_margin_interval_adds_seed_and_test_row_variance_with_satterthwaite_df():
    jackknife = np.array([0.10, 0.12, 0.11, 0.13, 0.09])  # leave-one-seed-out margins, G = 5
    replicates = np.random.default_rng(0).normal(0.11, 0.01, 400)
    v_seed = 4 / 5 * np.sum((jackknife - jackknife.mean()) ** 2)
    v_test = np.var(replicates, ddof=1)
    low, high, se, df = sf.alternatives.margin_interval(0.11, jackknife, replicates)
    assert se == pytest.approx(np.sqrt(v_seed + v_test))
    assert df == pytest.approx((v_seed + v_test) ** 2 / (v_seed ** 2 / 4))
    assert 4 < df < np.inf and high - 0.11 == pytest.approx(0.11 - low)
    assert (high - low) / 2 == pytest.approx(stats.t.ppf(0.975, df) * se)
    # seeds only: the jackknife t interval on G - 1 = 4 degrees of freedom
    low, high, se, df = sf.alternatives.margin_interval(0.11, jackknife, np.array([]))
    assert df == pytest.approx(4) and (high - low) / 2 == pytest.approx(stats.t.ppf(0.975, 4) * np.sqrt(v_seed))


def test_c1_is_not_supported_when_the_error_saturates_within_the_held_out_sizes():
    """An exponential saturation at a scale inside the held-out range is not a power law, and is not called one."""
    rng = np.random.default_rng(3)
    table, replicates = c1._generated(lambda n: 0.08 + 0.25 * np.exp(-n / 8_000), rng)
    claim = c1.evaluate(table, replicates, n_boot=c1.CALIBRATION_BOOT)
    assert claim.verdict != "supported", claim.details


def test_c1_power_curve_copies_the_design_and_rises_with_the_remaining_gain():
    table, replicates = c1._generated(lambda n: 0.05 + 3.0 * n ** -0.5, np.random.default_rng(2))
    design = c1.study_design(table, replicates)
    assert design["seeds"] == 5 and design["sizes"].tolist() == SIZES.tolist()
    assert design["seed_sd"] == pytest.approx(c1.POINT_SD, rel=0.25)
    assert design["point_sd"] == pytest.approx(c1.TEST_SD / 2, rel=0.1)
    power = c1.power_curve(table, replicates, gains=[1e-4, 0.003, 0.05], n_sim=30, n_boot=40)
    assert power.power.iloc[0] <= 0.2 and power.power.iloc[-1] >= 0.9 and power.power.is_monotonic_increasing
    mde = c1.minimum_detectable(power)
    assert 1e-4 < mde < 0.05 and f"{mde:.2g}" in c1.detectable_phrase(mde)
    short = c1.power_curve(table[table.scale <= 4000], replicates[replicates.scale <= 4000], n_sim=2)
    assert short.empty and np.isnan(c1.minimum_detectable(short))  # too few sizes to hold 3 doublings out


def _one_model(curves: dict, n_eval: dict, seeds=5, sd=0.01, rng=0) -> pd.DataFrame:
    rng = np.random.default_rng(rng)
    rows = []
    for community, fn in curves.items():
        for s in range(seeds):
            rows.append(pd.DataFrame({"model": "m", "scale": SIZES, "seed": s,
                                      "attribute": "all" if community == "all" else "group", "community": community,
                                      "metric": "error", "value": fn(SIZES) * np.exp(rng.normal(0, sd, SIZES.size)),
                                      "n_eval": n_eval[community]}))
    return pd.concat(rows, ignore_index=True)


def test_c3_separates_a_higher_floor_a_community_at_its_floor_and_a_faster_one_from_slower():
    curves = {"all": lambda n: 0.05 + 4.0 * n ** -0.5,
              "higher_floor": lambda n: 0.15 + 4.0 * n ** -0.5,   # flatter log-log slope, same exponent
              "at_floor": lambda n: 0.12 + 0 * n,                  # nothing left to gain
              "faster": lambda n: 0.05 + 12.0 * n ** -0.6,
              "slower": lambda n: 0.05 + 0.4 * n ** -0.2}
    table = _one_model(curves, {k: 5000 for k in curves})
    status = c3.classify(sf.community_exponents(table, n_boot=100)).set_index("community").status
    assert status["slower"] == "slower" and status["at_floor"] == "at its floor"
    assert status["higher_floor"] == "not lagging" and status["faster"] == "not lagging"
    # the spread rule: three identified exponents (0.5, 0.6, 0.2 around 0.5) do not show a relative spread
    # above 0.25 (lower bound 0.22), the unidentified one (flat at its floor) is listed apart, not counted
    claim = c3.evaluate(sf.community_exponents(table, n_boot=100))
    assert claim.verdict == "inconclusive" and claim.ci_low < 0.25 < claim.effect < claim.ci_high
    assert "(3 communities; 1 listed apart" in claim.details and "shown slower" in claim.details
    assert "curves): 1 (m/group=slower" in claim.details


def test_c3_without_slower_communities_is_not_supported_and_missing_aggregate_is_not_applicable():
    curves = {"all": lambda n: 0.05 + 1.5 * n ** -0.5, **{f"g{k}": (lambda n: 0.08 + 1.5 * n ** -0.5)
                                                         for k in range(6)}}
    table = _one_model(curves, {k: 5000 for k in curves}, sd=0.005)
    claim = c3.evaluate(sf.community_exponents(table, n_boot=100))
    assert claim.verdict == "not supported" and claim.ci_high < 0.1  # six communities sharing one exponent
    exponents = sf.community_exponents(pd.concat([table[table.community == "all"].assign(model="other"),
                                                  table[table.community != "all"]]), n_boot=40)
    assert (exponents.reason == "no aggregate curve for this model").all()
    assert c3.evaluate(exponents).verdict == "not applicable"

