"""C1: Aggregate error falls as a power law of training-set size.

The test: fitted on the smaller sizes only, does the power law with floor predict the
aggregate error at sizes at least `doublings` doublings larger better than two simple
baselines, the flat last value (no further gain) and a power law without a floor? A law
that extrapolates no better than "nothing changes" or than a straight log-log line is not
evidence of a power law with diminishing returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scaling_fits import synthetic
from ..scaling_fits.baselines import MARGIN_RULE, aggregate_margins
from ._calibration import Calibration
from ._record import LEVEL, Claim, not_applicable, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C1", "Aggregate error falls as a power law of training-set size.", needs=('evaluations',),
                 settings={"doublings": "fits.extrapolation_doublings", "n_boot": "fits.bootstrap",
                           "metric": "fits.metric"},
                 grid={"doublings": [4.0, 5.0]})

TEST = "power law with floor vs flat last value and power law without floor, extrapolated to held-out larger sizes"


def evaluate(table: pd.DataFrame, replicates: pd.DataFrame | None = None, doublings: float = 3.0,
             n_boot: int = 200, metric: str = "error") -> Claim:
    """C1 from each model's aggregate curve in `table` (an evaluations table), with test-row
    `replicates` (metrics.test_row_replicates, numbered 0..n_boot-1) when given."""
    rule = (f"{MARGIN_RULE}. Supported when for every model the margin's 95% interval lies above 0 (the power "
            "law with floor predicts the held-out sizes better than both baselines); not supported when for "
            "some model it lies at or below 0 at the Bonferroni level over the models tested (a baseline does as "
            "well); inconclusive otherwise")
    if n_boot < 20:
        return not_applicable("C1", f"fits.bootstrap = {n_boot}: the margin's interval needs >= 20 resamples",
                              test=TEST)
    margins = aggregate_margins(table, metric, replicates, doublings, n_boot=n_boot)
    usable = margins[np.isfinite(margins.margin)]
    if usable.empty:
        reasons = "; ".join(f"{r.model}: {r.reason}" for r in margins.itertuples())
        return not_applicable("C1", f"no aggregate curve can be tested ({reasons})", test=TEST)
    if (usable.margin_ci_low > 0).all() and len(usable) == len(margins):
        verdict = "supported"
    elif (usable.margin_ci_high <= 0).any() and _shown_below(table, metric, replicates, doublings, n_boot, len(usable)):
        verdict = "not supported"
    else:
        verdict = "inconclusive"
    weakest = usable.loc[usable.margin_ci_low.idxmin()]
    noise = "seeds and test rows" if replicates is not None else "seeds only (no test-row replicates)"
    details = "; ".join(
        f"{r.model}: fitted on n <= {r.fit_max_n:,.0f}, {len(r.held_out)} sizes held out over "
        f"{r.doublings_held_out:.2f} doublings; held-out log-RMSE power law with floor {r.rmse_power_law_floor:.4f}, "
        f"flat {r.rmse_flat:.4f}, power law without floor {r.rmse_power_law:.4f}; margin {r.margin:+.4f} "
        f"[{r.margin_ci_low:+.4f}, {r.margin_ci_high:+.4f}]" if np.isfinite(r.margin) else f"{r.model}: {r.reason}"
        for r in margins.itertuples()) + f". Resampled: {noise}"
    return Claim(claim="C1", test=TEST, effect_name="held-out log-RMSE margin over the better baseline "
                                                    "(model with the lowest interval)",
                 effect=weakest.margin, ci_low=weakest.margin_ci_low, ci_high=weakest.margin_ci_high,
                 verdict=verdict, rule=rule, details=details)


def _shown_below(table, metric, replicates, doublings, n_boot, k) -> bool:
    """Some curve's margin interval lies at or below 0 at level 1 - 0.05 / k (Bonferroni over k curves)."""
    if k == 1:
        return True
    strict = aggregate_margins(table, metric, replicates, doublings, n_boot=n_boot, level=1 - (1 - LEVEL) / k)
    return bool((strict.margin_ci_high <= 0).any())


# ----------------------------------------------------------------------------- calibration

CALIBRATION_BOOT = 100  # resamples inside one calibration replicate (the study uses fits.bootstrap)
POINT_SD, TEST_SD = 0.02, 0.015  # lognormal noise per point; test-row noise (shared shift + per point)
# the true generator's scale b: the error above the floor falls from 0.27 at n = 128 to 0.023 at 16,384
# and 0.008 at 149,175 (with b = 1.5, half that, power was about 0.75-0.8)
TRUE_SCALE = 3.0


def _generated(truth, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One model's aggregate curve on the census sizes (5 seeds) and its test-row replicates."""
    sizes = synthetic.CENSUS_SIZES
    n = np.tile(sizes, 5)
    seed = np.repeat(np.arange(5), sizes.size)
    test_shift = rng.normal(0, TEST_SD)  # the one test set's draw, shared by every unit
    value = truth(n) * np.exp(test_shift + rng.normal(0, POINT_SD, n.size))
    table = pd.DataFrame({"model": "m", "scale": n, "seed": seed, "attribute": "all", "community": "all",
                          "metric": "error", "value": value, "n_eval": 75_000})
    reps = value[:, None] * np.exp(rng.normal(0, TEST_SD, (1, CALIBRATION_BOOT))
                                   + rng.normal(0, TEST_SD / 2, (n.size, CALIBRATION_BOOT)))
    replicates = pd.DataFrame({"model": "m", "scale": np.repeat(n, CALIBRATION_BOOT),
                               "seed": np.repeat(seed, CALIBRATION_BOOT), "attribute": "all", "community": "all",
                               "replicate": np.tile(np.arange(CALIBRATION_BOOT), n.size), "value": reps.ravel()})
    return table, replicates


def _null(rng):
    level = rng.uniform(0.04, 0.2)
    if rng.random() < 0.5:  # flat: no improvement at all
        return _generated(lambda n: level + 0 * n, rng)
    n0 = rng.uniform(200, 2000)  # saturates within the fitted sizes: the flat baseline does as well
    return _generated(lambda n: level + 0.15 * np.exp(-n / n0), rng)


def _true(rng):
    floor = rng.uniform(0.03, 0.1)
    return _generated(lambda n: floor + TRUE_SCALE * n ** -0.5, rng)


CALIBRATION = Calibration(
    null=_null, true=_true,
    verdict=lambda data: evaluate(*data, doublings=3.0, n_boot=CALIBRATION_BOOT).verdict,
    null_description=("one aggregate curve on the census sizes (128..149,175, 5 seeds): half flat at a level "
                      "~U(0.04, 0.2), half e = level + 0.15 exp(-n/n0), n0 ~ U(200, 2000) (saturated before "
                      "the held-out sizes); lognormal noise sd 0.02 per point, test-row noise sd 0.015 shared "
                      f"+ 0.0075 per point; {CALIBRATION_BOOT} joint resamples"),
    effect=(f"power law with floor e = e_inf + {TRUE_SCALE:g} n^-0.5, e_inf ~ U(0.03, 0.1), same sizes and noise; "
            "3 doublings held out"))


# ----------------------------------------------------------------------------- many curves (LCDB)

CURVES_TEST = ("per dataset x learner curve, power law with floor vs flat last value and power law without "
               "floor, extrapolated to held-out larger sizes; share of curves won, interval over datasets")


def evaluate_curves(margins: pd.DataFrame, n_boot: int = 200, majority: float = 0.5, doublings: float = 3.0) -> Claim:
    """C1 on many curves from curve_statistics.extrapolation_table: how often the power law with floor
    extrapolates better than both baselines. Effect: the share of testable curves with a positive
    margin; its bounds: low = the share shown won by the power law (margin interval over outer seeds
    above 0), high = 1 - the share shown won by a baseline (at or below 0), each at the 2.5% / 97.5%
    percentile of resamples of datasets."""
    from ..curve_statistics import dataset_bootstrap, win_share

    effect_name = ("share of dataset x learner curves on which the power law with floor extrapolates better than "
                   "both baselines")
    rule = (f"{MARGIN_RULE}; per curve, over {doublings:g} held-out doublings, its outer seeds resampled. A curve is "
            "shown won by the power law when its margin's 95% interval lies above 0, by a baseline when at or "
            "below 0, undecided otherwise. Bounds of the share of testable curves won by the power law: low = "
            "share shown won by it, high = 1 - share shown won by a baseline, each taken at its 2.5% or 97.5% "
            f"percentile over {n_boot} resamples of datasets. Supported when low > {majority:g} (the power law is "
            f"shown better on most curves); not supported when high <= {majority:g} (a baseline is shown as good "
            "on at least half); inconclusive otherwise")
    testable = margins[margins.outcome != ""]
    if testable.empty:
        reasons = "; ".join(sorted(set(margins.reason))[:3])
        return not_applicable("C1", f"no curve can be tested ({reasons})", test=CURVES_TEST, effect_name=effect_name)
    share = float((testable.margin > 0).mean())
    won, low, _ = dataset_bootstrap(testable, win_share, n_boot)
    lost, lost_low, _ = dataset_bootstrap(testable, lambda f: win_share(f, "baseline"), n_boot)
    high = 1 - lost_low
    by_learner = testable.groupby("learner").outcome.apply(lambda o: (o == "power law").mean()).sort_values()
    details = (f"{len(testable)} of {len(margins)} curves testable on {testable.dataset.nunique()} datasets "
               f"({len(margins) - len(testable)} not: too few sizes below the held-out range, or an error of 0); "
               f"positive margin on {share:.3f}; shown won by the power law {int((testable.outcome == 'power law').sum())} "
               f"(share {won:.3f}), by a baseline {int((testable.outcome == 'baseline').sum())} (share {lost:.3f}), "
               f"undecided {int((testable.outcome == 'undecided').sum())}; median margin {testable.margin.median():+.4f}. "
               "Share shown won by the power law, per learner: " + ", ".join(f"{k} {v:.2f}" for k, v in by_learner.items()))
    return Claim("C1", test=CURVES_TEST, effect_name=effect_name, effect=share, ci_low=low, ci_high=high,
                 verdict=verdict_from_interval(low, high, majority, "above"), rule=rule, details=details)
