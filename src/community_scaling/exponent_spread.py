"""How far communities' exponents spread around their aggregate's: the sweep's C3 estimand.

A family is one model x attribute (the communities of one attribute partition the people). Each
community j has the exponent c_j of its error above its own floor (e = e_inf + b n^-c) and a gap
d_j = c_aggregate - c_j with standard error s_j from the joint resamples of seeds and test rows
(scaling_fits.community_exponents). The random-effects model d_j ~ N(mu, s_j^2 + tau^2) puts a number
on "does not follow", in either direction: tau, the standard deviation of the communities' true
exponents; divided by the aggregate's exponent it is the relative spread rho = tau / c_aggregate
(0.25: a community one standard deviation off shrinks its error a quarter faster or slower).

The bounds are Q-profile bounds with known s_j (spread.q_profile): unlike the model-size axis, where a
slope's standard error rests on 3-8 sizes, s_j here comes from the study's resamples (200 by default).
Each s_j also carries the aggregate's resampling noise, which is shared, so the s_j overstate the
independent part and the bounds lean conservative. A community is identified when it is compared
(no reason) and s_j <= c_aggregate (otherwise its exponent is not pinned down at the aggregate's own
scale); the others are listed apart, never counted. A community at its floor counts when its exponent
is identified: for a spread in either direction, having shrunk fast to its floor is a way of not
following (the one-sided "slower" test of the claim module sets such communities apart instead).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .spread import generalized_q, paule_mandel, q_profile

FAMILY = ["model", "attribute"]
# Q has k - 1 degrees of freedom, so two communities (sex) already make a test; the model-size axis asks
# for 3 because there each standard error is itself estimated from a few sizes
MIN_COMMUNITIES = 2


def identified(exponents: pd.DataFrame) -> pd.Series:
    """True for the communities whose exponent gap counts in the spread (see the module's rule)."""
    compared = exponents.reason.fillna("") == ""
    return compared & np.isfinite(exponents.gap) & (exponents.gap_se > 0) & (exponents.gap_se <= exponents.c_aggregate)


def _families(exponents: pd.DataFrame):
    rows = exponents[identified(exponents)]
    for key, family in rows.groupby(FAMILY, sort=True):
        if len(family) >= MIN_COMMUNITIES and family.c_aggregate.iloc[0] > 0:
            yield key, family.gap.to_numpy(float), family.gap_se.to_numpy(float), float(family.c_aggregate.iloc[0])


def spread_table(exponents: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per family with at least MIN_COMMUNITIES identified communities: communities, c_aggregate, rho
    (Paule-Mandel tau / c_aggregate), rho_low (one-sided, Bonferroni over the F families: (1 - level) / 2F,
    so 'some family above m' is Holm's first step) and rho_high (one-sided (1 - level) / 2)."""
    found = list(_families(exponents))
    alpha = (1 - level) / 2
    out = []
    for (model, attribute), d, s, c in found:
        low = q_profile(d, s, 1 - 2 * alpha / len(found))[0]
        high = q_profile(d, s, level)[1]
        out.append({"model": model, "attribute": attribute, "communities": len(d), "c_aggregate": c,
                    "rho": np.sqrt(paule_mandel(d, s)) / c, "rho_low": np.sqrt(low) / c, "rho_high": np.sqrt(high) / c})
    return pd.DataFrame(out, columns=["model", "attribute", "communities", "c_aggregate", "rho", "rho_low", "rho_high"])


def power_curve(exponents: pd.DataFrame, margin: float, spreads=np.round(np.arange(0, 2.01, 0.1), 2), n_sim: int = 2000, level: float = 0.95,
                seed: int = 0) -> pd.DataFrame:
    """Probability that the rule shows some family's spread above `margin`, on generators that copy the
    study's design: each family's identified communities with their own standard errors (so its community
    sizes and its seed and test-row noise) and its aggregate exponent, every family's true relative spread
    set to each value of `spreads`: d_j ~ N(0, s_j^2 + (rho c_aggregate)^2). rho_low > margin exactly when
    Q((margin c)^2) exceeds the chi-square quantile, so no bound is solved per draw."""
    found = list(_families(exponents))
    if not found:
        return pd.DataFrame(columns=["relative_spread", "power", "families", "simulations"])
    alpha = (1 - level) / 2 / len(found)
    rng = np.random.default_rng([seed, 1731])
    hits = np.zeros((len(spreads), n_sim), bool)
    for _, _, s, c in found:
        z = rng.standard_normal((n_sim, len(s)))
        critical = stats.chi2.ppf(1 - alpha, len(s) - 1)
        for i, rho in enumerate(spreads):
            d = np.sqrt(s ** 2 + (rho * c) ** 2) * z
            hits[i] |= generalized_q(d, s, np.full(n_sim, (margin * c) ** 2)) > critical
    return pd.DataFrame({"relative_spread": spreads, "power": hits.mean(axis=1), "families": len(found),
                         "simulations": n_sim})
