"""C6: Compute grows faster than performance (diminishing returns).

The estimand is the papers' claim: each equal gain in performance costs multiplicatively more
compute, i.e. the gain in loss per doubling of training compute (fit operations) shrinks as
compute grows (2c > 0 on the loss itself), along training rows and along model capacity. For
an error bounded below this must hold eventually (gains cannot sum past the floor), as C2's
richness must grow under random subsampling; over the range a study spans it can fail (a
curve whose gains per doubling hold steady or grow, as early learning curves often do).

Second result, named apart: whether returns diminish faster than a power law's, the curvature
of log loss (a pure power law has 2c = 0 there).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import synthetic_compute
from ..diminishing_returns import curvature_table
from ..error_draws import LossDraws
from ..io import InputError
from ._calibration import Calibration
from ._record import LEVEL, Claim, not_applicable
from ._spec import ClaimSpec

SPEC = ClaimSpec("C6", "Compute grows faster than performance (diminishing returns).",
                 needs=("evaluations", "units"),
                 settings={"loss": "cost.loss", "skip_smallest": "cost.skip_smallest"},
                 grid={"loss": ["brier", "log_loss"], "skip_smallest": [1, 2]})


def _all_curves(table) -> str:
    """The intersection-union reading of per-curve intervals of 2c."""
    if (table.ci_low > 0).all():
        return "supported"
    return "not supported" if (table.ci_high <= 0).any() else "inconclusive"


def evaluate(draws: Mapping[str, LossDraws], loss: str = "error", skip_smallest: int = 0) -> Claim:
    """C6 from LossDraws per loss: the curvature 2c of the loss in log2 compute on every curve; the
    curvature of log loss (beyond a power law) as a second result in the details."""
    if loss not in draws:
        raise InputError(f"no loss draws for {loss!r}; computed: {sorted(draws)}")
    effect_name = f"how much the {loss} gained per doubling of compute shrinks, per doubling (2c)"
    try:
        tables = {scale: curvature_table(draws[loss].configs, draws[loss].point, draws[loss].boot, skip_smallest,
                                         LEVEL, scale=scale) for scale in ("linear", "log")}
    except InputError as error:  # too few points on some curve: this study cannot test the claim at this setting
        if "at least 4" not in str(error):
            raise
        return not_applicable("C6", str(error), effect_name=effect_name)
    table, beyond = tables["linear"], tables["log"]
    weakest = table.loc[table.ci_low.idxmin()]
    verdict = _all_curves(table)
    beyond_reading = {"supported": "shown on every curve", "not supported": "shown not to on some curve",
                      "inconclusive": "not shown either way"}[_all_curves(beyond)]
    details = ("; ".join(f"{r.curve}: 2c = {r.curvature:.4f} [{r.ci_low:.4f}, {r.ci_high:.4f}] over {r.points} "
                         f"points, {loss} gain per doubling {r.gain_first:.4f} at first, {r.gain_last:.4f} at last"
                         for r in table.itertuples())
               + f". Second result, returns diminishing faster than a power law's (2c of log {loss}): "
               + beyond_reading + " (" + "; ".join(f"{r.curve}: {r.curvature:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
                                                   for r in beyond.itertuples()) + ")")
    return Claim(
        claim="C6", test=(f"quadratic least-squares fit of seed-mean {loss} on log2 fit operations per curve "
                          "(each model along training rows; each capacity model along capacity at its largest "
                          "size); percentile interval over joint resamples of seeds and test rows"),
        effect_name=f"{effect_name} ({weakest.curve})",
        effect=float(weakest.curvature), ci_low=float(weakest.ci_low), ci_high=float(weakest.ci_high),
        verdict=verdict,
        rule=(f"supported when on every curve the {LEVEL:.0%} interval of 2c lies above 0 (the {loss} gained per "
              "doubling of compute shrinks as compute grows: each equal gain costs multiplicatively more compute; an "
              "intersection-union test, so each curve is tested at the full level); not supported when on some "
              "curve it lies at or below 0 (a steady or growing gain per doubling); inconclusive otherwise. The "
              f"{skip_smallest} point(s) of least compute are left out of each curve. Whether returns diminish "
              f"faster than a power law's (2c of log {loss} > 0) is reported apart, by the same reading"),
        details=details)


def _verdict(draws) -> str:
    return evaluate(draws).verdict


CALIBRATION = Calibration(
    null=lambda rng: synthetic_compute.compute_curves(rng, synthetic_compute.constant_gain,
                                                      synthetic_compute.saturating),
    true=lambda rng: synthetic_compute.compute_curves(rng, synthetic_compute.saturating,
                                                      synthetic_compute.saturating),
    verdict=_verdict,
    null_description=("no diminishing returns on the training-rows curve: error 0.30 - 0.02 t over 8 doublings t "
                      "of compute (the same error removed by every doubling) while the capacity curve saturates "
                      "(the least favourable case for the all-curves rule); 3 seeds, 3,000 test rows shared by "
                      "all units (latent row correlation 0.6), 100 joint resamples"),
    effect=("both curves saturate: error 0.12 + 0.18 x 2^(-t/1.5) (excess over the floor halves every 1.5 "
            "doublings of compute; "
            "8 points along rows, 6 along capacity); 3 seeds, 3,000 test rows, 100 joint resamples"))


# ----------------------------------------------------------------------------- many curves (LCDB)

CURVES_TEST = ("per dataset x learner curve, quadratic least-squares fit of mean error on log2 median training "
               "time; median curvature over curves, interval over datasets")


def evaluate_curves(curvatures, n_boot: int = 200, skip_smallest: int = 0) -> Claim:
    """C6 on many curves from curve_statistics.curvature_table: the median over curves of 2c (how
    much the error gained per doubling of training time shrinks per doubling), with a
    percentile interval over resamples of datasets."""
    from ..curve_statistics import dataset_bootstrap

    effect_name = "median over curves of the shrinkage of the error gain per doubling of training time (2c)"
    rule = ("per curve, 2c of mean error = a + b t + c t^2, t = log2 of the median training time at each size "
            f"(a steady error gain per doubling has 2c = 0); the {skip_smallest} smallest "
            f"size(s) left out. Median 2c over testable curves, 95% percentile interval over {n_boot} resamples of "
            "datasets. Supported when the interval lies above 0 (on the typical curve the gain per doubling of "
            "compute shrinks); not supported when it lies at or below 0; inconclusive otherwise")
    testable = curvatures[np.isfinite(curvatures.curvature)]
    if testable.empty:
        return not_applicable("C6", "no curve with 4 sizes of positive training time",
                              test=CURVES_TEST, effect_name=effect_name)
    point, low, high = dataset_bootstrap(testable, lambda f: float(np.median(f.curvature)), n_boot)
    by_learner = testable.groupby("learner").curvature.median().sort_values()
    details = (f"{len(testable)} of {len(curvatures)} curves on {testable.dataset.nunique()} datasets; 2c > 0 on "
               f"{(testable.curvature > 0).mean():.2f} of them. Median 2c per learner: "
               + ", ".join(f"{k} {v:+.3f}" for k, v in by_learner.items()))
    verdict = "supported" if low > 0 else "not supported" if high <= 0 else "inconclusive"
    return Claim("C6", test=CURVES_TEST, effect_name=effect_name, effect=point, ci_low=low, ci_high=high,
                 verdict=verdict, rule=rule, details=details)
