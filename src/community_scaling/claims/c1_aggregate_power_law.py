"""C1: Aggregate error falls as a power law of training-set size.

The estimand is the claim's: fitted on the smaller sizes only, does the power-law family
(e_inf + b n^-c with e_inf >= 0, so with or without a floor) predict the aggregate error at
sizes at least `doublings` doublings larger better than laws that are not power laws, the
flat last value (no further gain) and an exponential saturation (a floor reached at a finite
scale)? Floor against no floor is a description (the floorless law's margin is reported), not
the test: a true floorless power law is a power law. Per model; the study's verdict is
"supported" only when every model's margin is shown above 0 (an intersection-union test, no
correction needed), "not supported" when some model's is shown at or below 0 at the
Bonferroni level over the models. Seeds enter by the jackknife with G - 1 degrees of freedom
and test rows by their replicates (scaling_fits.alternatives.margin_interval).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io import InputError
from ..scaling_fits import synthetic
from ..scaling_fits.alternatives import MARGIN_RULE, aggregate_margins, split_sizes
from ._calibration import Calibration, detectable_effect
from ._record import LEVEL, Claim, not_applicable, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C1", "Aggregate error falls as a power law of training-set size.", needs=('evaluations',),
                 settings={"doublings": "fits.extrapolation_doublings", "n_boot": "fits.bootstrap",
                           "metric": "fits.metric"},
                 grid={"doublings": [4.0, 5.0]})

TEST = ("power-law family (floor >= 0) vs laws that are not power laws (flat last value, exponential saturation), "
        "extrapolated to held-out larger sizes")


def evaluate(table: pd.DataFrame, replicates: pd.DataFrame | None = None, doublings: float = 3.0,
             n_boot: int = 200, metric: str = "error", mde: float | None = None) -> Claim:
    """C1 from each model's aggregate curve in `table` (an evaluations table), with test-row
    `replicates` (metrics.test_row_replicates, numbered 0..n_boot-1) when given; `mde`, the study's
    minimum detectable remaining gain (power_curve), is stated beside an inconclusive verdict."""
    rule = (f"{MARGIN_RULE}. Supported when for every model the margin's 95% interval lies above 0 (the power "
            "law predicts the held-out sizes better than both alternatives); not supported when for "
            "some model it lies at or below 0 at the Bonferroni level over the models tested (a law that is not a "
            "power law does as well); inconclusive otherwise")
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
        f"flat {r.rmse_flat:.4f}, exponential saturation {r.rmse_saturation:.4f}; margin {r.margin:+.4f} "
        f"[{r.margin_ci_low:+.4f}, {r.margin_ci_high:+.4f}] (se {r.margin_se:.4f}, {r.margin_df:.1f} df); "
        f"described: power law without floor {r.rmse_power_law:.4f}" if np.isfinite(r.margin) else f"{r.model}: {r.reason}"
        for r in margins.itertuples()) + f". Resampled: {noise}"
    if verdict == "inconclusive" and mde is not None:
        details += f"; on its own design the study {detectable_phrase(mde)}"
    return Claim(claim="C1", test=TEST, effect_name="how much better the power law predicts the larger sizes than the "
                                                    "better non-power-law (held-out log-RMSE; weakest model)",
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
    n0 = np.exp(rng.uniform(np.log(200), np.log(20_000)))  # saturates among the fitted sizes or the held-out ones
    return _generated(lambda n: level + 0.15 * np.exp(-n / n0), rng)


def _true(rng):
    floor = rng.uniform(0.03, 0.1)
    return _generated(lambda n: floor + TRUE_SCALE * n ** -0.5, rng)


CALIBRATION = Calibration(
    null=_null, true=_true,
    verdict=lambda data: evaluate(*data, doublings=3.0, n_boot=CALIBRATION_BOOT).verdict,
    null_description=("one aggregate curve on the census sizes (128..149,175, 5 seeds): half flat at a level "
                      "~U(0.04, 0.2), half an exponential saturation e = level + 0.15 exp(-n/n0), n0 log-uniform "
                      "on 200..20,000 (saturated before the held-out sizes or within them); lognormal noise sd 0.02 per point, test-row noise sd 0.015 shared "
                      f"+ 0.0075 per point; {CALIBRATION_BOOT} test-row replicates and the seed jackknife"),
    effect=(f"power law with floor e = e_inf + {TRUE_SCALE:g} n^-0.5, e_inf ~ U(0.03, 0.1), same sizes and noise; "
            "3 doublings held out"))


# ----------------------------------------------------------------------------- power on the study's design

POWER_EXPONENT = 0.5  # the generated law's exponent; the effect is stated as the gain it leaves, not as c


def study_design(table: pd.DataFrame, replicates: pd.DataFrame | None, metric: str = "error") -> dict:
    """What a power curve copies from a study's aggregate curves: sizes, seeds, the error at n_max,
    the seed noise (sd of log error across seeds at a size) and the test-row noise (sd of
    log(replicate / value), split into a part shared by every point of a replicate and the rest)."""
    frame = table[(table.attribute == "all") & (table.community == "all") & (table.metric == metric)]
    frame = frame[frame.value > 0]
    log_value = np.log(frame.value)  # pooled variances (root mean square), not a median of few-seed sds
    seed_sd = float(np.sqrt(log_value.groupby([frame.model, frame.scale]).var().mean())) if frame.seed.nunique() > 1 else 0.0
    shared_sd = point_sd = 0.0
    if replicates is not None and len(replicates):
        reps = replicates[(replicates.attribute == "all") & (replicates.community == "all")]
        merged = reps.merge(frame[["model", "scale", "seed", "value"]], on=["model", "scale", "seed"],
                            suffixes=("_rep", ""))
        ratio = np.log(merged.value_rep.clip(lower=1e-12) / merged.value)
        by_replicate = ratio.groupby([merged.model, merged.replicate]).transform("mean")
        shared_sd = float(np.sqrt(by_replicate.groupby([merged.model, merged.replicate]).first().groupby(level=0).var().mean()))
        point_sd = float((ratio - by_replicate).std())
    largest = frame[frame.scale == frame.scale.max()]
    return {"sizes": np.unique(frame.scale.to_numpy(float)), "seeds": int(frame.seed.nunique()),
            "level": float(np.exp(np.log(largest.value).median())), "seed_sd": seed_sd, "shared_sd": shared_sd,
            "point_sd": point_sd}


def _design_curve(design: dict, gain: float, doublings: float, n_boot: int, rng):
    """One aggregate curve on the design: e = e_inf + b n^-0.5 with b set so that the error falls by
    `gain` from the largest fitted size to n_max, and e(n_max) = the study's level."""
    sizes = design["sizes"]
    fitted, _ = split_sizes(sizes, doublings)
    b = gain / (fitted[-1] ** -POWER_EXPONENT - sizes[-1] ** -POWER_EXPONENT)
    floor = design["level"] - b * sizes[-1] ** -POWER_EXPONENT
    if floor < 0:
        return None  # this gain cannot end at the study's level with a floor >= 0
    n = np.tile(sizes, design["seeds"])
    seed = np.repeat(np.arange(design["seeds"]), sizes.size)
    value = (floor + b * n ** -POWER_EXPONENT) * np.exp(rng.normal(0, design["seed_sd"], n.size)
                                                        + rng.normal(0, design["shared_sd"]))
    table = pd.DataFrame({"model": "m", "scale": n, "seed": seed, "attribute": "all", "community": "all",
                          "metric": "error", "value": value, "n_eval": 1})
    reps = value[:, None] * np.exp(rng.normal(0, design["shared_sd"], (1, n_boot))
                                   + rng.normal(0, design["point_sd"], (n.size, n_boot)))
    replicates = pd.DataFrame({"model": "m", "scale": np.repeat(n, n_boot), "seed": np.repeat(seed, n_boot),
                               "attribute": "all", "community": "all",
                               "replicate": np.tile(np.arange(n_boot), n.size), "value": reps.ravel()})
    return table, replicates


def power_curve(table: pd.DataFrame, replicates: pd.DataFrame | None, doublings: float = 3.0,
                gains=None, n_sim: int = 100, n_boot: int = 100, metric: str = "error", seed: int = 0,
                n_jobs: int = 1) -> pd.DataFrame:
    """Per-model power of C1 ("supported" for one aggregate curve) on generators that copy the study's
    design (study_design), against the gain in error the power law still makes beyond the fitted sizes
    (from the largest fitted size to n_max). Columns: remaining_gain, power, simulations, and the design."""
    from joblib import delayed

    from ..workers import parallel

    design = study_design(table, replicates, metric)
    if gains is None:
        gains = design["level"] * np.geomspace(0.005, 0.5, 9)  # 0.5% to 50% of the error at n_max
    empty = pd.DataFrame(columns=["remaining_gain", "power", "simulations", "seeds"])
    if design["seeds"] < 2 and design["shared_sd"] + design["point_sd"] == 0:
        return empty
    try:
        split_sizes(design["sizes"], doublings)
    except InputError:  # too few sizes below the held-out range: C1 is not applicable, nor is its power
        return empty

    def one(gain, rep):
        data = _design_curve(design, gain, doublings, n_boot, np.random.default_rng([seed, rep, 31]))
        return np.nan if data is None else evaluate(*data, doublings=doublings, n_boot=n_boot).verdict == "supported"

    hits = parallel(n_jobs)(delayed(one)(g, r) for g in gains for r in range(n_sim))
    power = np.asarray(hits, float).reshape(len(gains), n_sim).mean(axis=1)
    return pd.DataFrame({"remaining_gain": gains, "power": power, "simulations": n_sim,
                         **{k: design[k] for k in ("seeds", "level", "seed_sd", "shared_sd", "point_sd")}})


def minimum_detectable(power: pd.DataFrame) -> float:
    """The smallest remaining gain C1 detects with 80% power on the design (inf: never, in the grid)."""
    usable = power.dropna(subset=["power"])
    return detectable_effect(usable.remaining_gain, usable.power)


def detectable_phrase(mde: float) -> str:
    if mde is None or np.isnan(mde):
        return "has no power statement"
    if np.isinf(mde):
        return "could not detect a power law at any remaining gain tried (80% power)"
    return (f"could detect a power law whose aggregate error still falls by {mde:.2g} or more beyond the "
            "fitted sizes (80% power, per model)")


# ----------------------------------------------------------------------------- many curves (LCDB)

CURVES_TEST = ("per dataset x learner curve, power law with floor vs flat last value and power law without "
               "floor, extrapolated to held-out larger sizes; share of curves won, interval over datasets")


def evaluate_curves(margins: pd.DataFrame, n_boot: int = 200, majority: float = 0.5, doublings: float = 3.0) -> Claim:
    """C1 on many curves from curve_statistics.extrapolation_table: how often the power law with floor
    extrapolates better than both alternatives (flat last value, exponential saturation). Effect: the share of testable curves with a positive
    margin; its bounds: low = the share shown won by the power law (margin interval over outer seeds
    above 0), high = 1 - the share shown won by an alternative (at or below 0), each at the 2.5% / 97.5%
    percentile of resamples of datasets."""
    from ..curve_statistics import dataset_bootstrap, win_share

    effect_name = ("share of dataset x learner curves on which the power law predicts the larger sizes better than "
                   "the laws that are not power laws")
    rule = (f"{MARGIN_RULE}; per curve, over {doublings:g} held-out doublings, its outer seeds resampled. A curve is "
            "shown won by the power law when its margin's 95% interval lies above 0, by an alternative when at or "
            "below 0, undecided otherwise. Bounds of the share of testable curves won by the power law: low = "
            "share shown won by it, high = 1 - share shown won by an alternative, each taken at its 2.5% or 97.5% "
            f"percentile over {n_boot} resamples of datasets. Supported when low > {majority:g} (the power law is "
            f"shown better on most curves); not supported when high <= {majority:g} (an alternative is shown as good "
            "on at least half); inconclusive otherwise")
    testable = margins[margins.outcome != ""]
    if testable.empty:
        reasons = "; ".join(sorted(set(margins.reason))[:3])
        return not_applicable("C1", f"no curve can be tested ({reasons})", test=CURVES_TEST, effect_name=effect_name)
    share = float((testable.margin > 0).mean())
    won, low, _ = dataset_bootstrap(testable, win_share, n_boot)
    lost, lost_low, _ = dataset_bootstrap(testable, lambda f: win_share(f, "alternative"), n_boot)
    high = 1 - lost_low
    by_learner = testable.groupby("learner").outcome.apply(lambda o: (o == "power law").mean()).sort_values()
    details = (f"{len(testable)} of {len(margins)} curves testable on {testable.dataset.nunique()} datasets "
               f"({len(margins) - len(testable)} not: too few sizes below the held-out range, or an error of 0); "
               f"positive margin on {share:.3f}; shown won by the power law {int((testable.outcome == 'power law').sum())} "
               f"(share {won:.3f}), by an alternative {int((testable.outcome == 'alternative').sum())} (share {lost:.3f}), "
               f"undecided {int((testable.outcome == 'undecided').sum())}; median margin {testable.margin.median():+.4f}. "
               "Share shown won by the power law, per learner: " + ", ".join(f"{k} {v:.2f}" for k, v in by_learner.items()))
    return Claim("C1", test=CURVES_TEST, effect_name=effect_name, effect=share, ci_low=low, ci_high=high,
                 verdict=verdict_from_interval(low, high, majority, "above"), rule=rule, details=details)
