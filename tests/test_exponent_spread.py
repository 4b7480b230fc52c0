"""The sweep's C3 statistic: the relative spread of communities' exponents around their aggregate's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import exponent_spread, spread


def _exponents(gaps, ses, c=0.4, attribute="race", reason=""):
    return pd.DataFrame({"model": "m", "attribute": attribute, "community": [f"g{j}" for j in range(len(gaps))],
                         "gap": gaps, "gap_se": ses, "c_aggregate": c, "reason": reason})


def test_spread_is_paule_mandel_tau_over_the_aggregate_exponent_with_q_profile_bounds():
    gaps, ses = np.array([0.10, -0.05, 0.20, 0.00, -0.12]), np.array([0.03, 0.04, 0.05, 0.03, 0.06])
    table = pd.concat([_exponents(gaps, ses), _exponents(gaps[:3], ses[:3], attribute="sex")])
    found = exponent_spread.spread_table(table).set_index("attribute")
    race = found.loc["race"]
    assert race.communities == 5 and race.rho == pytest.approx(np.sqrt(spread.paule_mandel(gaps, ses)) / 0.4)
    # the lower bound is Bonferroni over the two families (one-sided 0.025 / 2), the upper one-sided 0.025
    assert race.rho_low == pytest.approx(np.sqrt(spread.q_profile(gaps, ses, 1 - 0.05 / 2)[0]) / 0.4)
    assert race.rho_high == pytest.approx(np.sqrt(spread.q_profile(gaps, ses, 0.95)[1]) / 0.4)
    assert race.rho_low <= race.rho <= race.rho_high


def test_unidentified_or_uncompared_communities_are_not_counted():
    table = _exponents([0.1, -0.1, 0.0, 0.3, 0.2], [0.02, 0.02, 0.02, 0.5, np.nan])  # 0.5 > c: not identified
    table.loc[2, "reason"] = "too few sizes"
    assert exponent_spread.identified(table).tolist() == [True, True, False, False, False]
    assert exponent_spread.spread_table(table).communities.tolist() == [2]
    assert exponent_spread.spread_table(table.iloc[2:]).empty  # no family of two identified communities


def test_power_curve_holds_its_level_on_the_margin_and_rises_with_the_spread():
    table = _exponents(np.zeros(12), np.full(12, 0.03))
    curve = exponent_spread.power_curve(table, margin=0.25, spreads=[0.0, 0.25, 0.5, 1.0], n_sim=4000)
    power = curve.set_index("relative_spread").power
    assert power[0.25] <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / 4000)  # one-sided 0.025 at the boundary
    assert power[0.0] <= power[0.25] < power[0.5] < power[1.0] and power[1.0] > 0.9
