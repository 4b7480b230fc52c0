"""C7: Small models serve most needs.

Tested as: the share of evaluable communities served by a small configuration (at most a
stated share of the largest configuration's fit operations) within a margin of their best,
the margin a share of the gap between a trivial model and the best.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import synthetic_compute
from ..error_draws import LossDraws
from ..io import InputError
from ..small_models import majority_excess, served_table
from ._calibration import Calibration
from ._record import not_applicable, LEVEL, Claim, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C7", "Small models serve most needs.", needs=("evaluations", "units"),
                 settings={"loss": "cost.loss", "margin": "cost.margin", "small_share": "cost.small_share"},
                 grid={"loss": ["brier", "log_loss"], "margin": [0.05, 0.2], "small_share": [0.05, 0.2]})


def evaluate(draws: Mapping[str, LossDraws], loss: str = "error", margin: float = 0.1,
             small_share: float = 0.1) -> Claim:
    """C7 from LossDraws per loss (see small_models.served_table)."""
    if loss not in draws:
        raise InputError(f"no loss draws for {loss!r}; computed: {sorted(draws)}")
    d = draws[loss]
    try:
        table, shares, majority = served_table(d.targets, d.configs, d.point, d.boot, d.trivial_point,
                                               d.trivial_boot, margin, small_share, LEVEL)
    except InputError as error:  # no configuration this small: the study cannot test the claim at this setting
        if "no configuration is small" not in str(error):
            raise
        return not_applicable("C7", f"{error} (cost.small_share = {small_share:g})",
                              effect_name="excess loss of the median community, in units of its trivial-to-best gap")
    point = float(majority_excess(table.excess.to_numpy()))
    alpha = (1 - LEVEL) / 2
    low, high = np.quantile(majority, [alpha, 1 - alpha], method="inverted_cdf")  # finite or inf, never NaN
    share_low, share_high = np.quantile(shares, [alpha, 1 - alpha])
    rank = len(table) // 2 + 1
    unserved = table[~table.served]
    details = (f"{int(table.served.sum())} of {len(table)} evaluable communities served (share "
               f"{table.served.mean():.2f}, resampled {share_low:.2f}-{share_high:.2f}) by {table.small_config.iloc[0]} "
               f"({table.small_operations_share.iloc[0]:.3g} of the largest fit operations) against the best, "
               f"{table.best_config.iloc[0]}; not served: "
               + (", ".join(f"{a}={c} (excess {e:.2f} of the gap)" for a, c, e in
                            zip(unserved.attribute, unserved.community, unserved.excess)) or "none"))
    return Claim(
        claim="C7", test=("best configuration and best small configuration (by fit operations) chosen on everyone's "
                          f"{loss}; per community, the small one's excess {loss} in units of its trivial-to-best gap; "
                          "percentile interval over joint resamples of seeds and test rows shared by all "
                          "communities (both configurations chosen again in each)"),
        effect_name=(f"how much worse a small model serves the middle community (ranked {rank} of {len(table)} from "
                     f"the best served) than the best model, as a share of the distance from a trivial model to the "
                     f"best (small: <= {small_share:.0%} of the largest fit operations)"),
        effect=point, ci_low=low, ci_high=high, verdict=verdict_from_interval(low, high, margin, "below"),
        rule=(f"small configurations use <= {small_share:.0%} of the largest configuration's fit operations "
              f"(training rows x input columns x iterations, identical across runs); a community is served when the "
              f"best small configuration's {loss} exceeds the best configuration's by at most {margin:.0%} of the "
              f"gap between the trivial model (training base rate for everyone) and the best; most (more than "
              f"half of N) are served exactly when the excess of the community ranked floor(N/2)+1 is within "
              f"{margin:.0%}: supported when its {LEVEL:.0%} interval lies below {margin:g}, not supported when it "
              f"lies at or above {margin:g}, inconclusive otherwise"),
        details=details)


def _verdict(draws) -> str:
    return evaluate(draws).verdict


CALIBRATION = Calibration(
    null=lambda rng: synthetic_compute.community_sweep(rng, served_share=0.5, n_rows=50_000, communities=10,
                                                        gap=0.2),
    true=lambda rng: synthetic_compute.community_sweep(rng, served_share=0.9, n_rows=50_000, communities=10,
                                                        gap=0.2),
    verdict=_verdict,
    null_description=("exactly half of 10 disjoint communities served (the boundary of 'most'): the other half's "
                      "best small configuration is 0.4 of the trivial-to-best gap (0.2) above its floor; 50,000 "
                      "test rows (about 5,000 per community), 3 seeds, 6 doublings of compute, 100 joint resamples"),
    effect=("9 of 10 communities (0.9) served: their error reaches its floor by the second (small, 1/16 of the "
            "largest compute) configuration; the other is 0.4 of the gap (0.2) above it; 50,000 test rows (about "
            "5,000 per community), 3 seeds, 100 joint resamples. Power falls with the gap: 0.765 over 200 "
            "replicates at a gap of 0.12; lower still for smaller communities or a smaller served share "
            "(about 0.55 over 20 replicates at 0.8 served, 2,000 rows each)"))


# ----------------------------------------------------------------------------- many curves (LCDB)

CURVES_TEST = ("per dataset, the best configuration (learner x training size) and the best cheap one chosen on the "
               "even outer seeds, judged on the odd ones; the excess of the dataset ranked floor(N/2)+1, interval "
               "over datasets")


def evaluate_curves(served, n_boot: int = 200, margin: float = 0.1, small_share: float = 0.1) -> Claim:
    """C7 on many tasks from curve_statistics.served_table: do cheap configurations serve most
    datasets (the tasks as needs)?"""
    from ..curve_statistics import dataset_bootstrap, majority_excess_of

    evaluable = served[served.excess.notna()]
    effect_name = (f"excess error of the dataset ranked floor(N/2)+1 from the best served, as a share of its "
                   f"majority-class-to-best gap (cheap: <= {small_share:.0%} of its most expensive configuration's "
                   "training time)")
    rule = (f"configurations = learner x training size; per dataset, cheap ones take a median training time <= "
            f"{small_share:.0%} of its most expensive configuration's; the best and the best cheap configuration "
            f"are chosen on the mean error over even outer seeds and judged on the odd ones; a dataset is served "
            f"when the cheap one's error exceeds the best's by at most {margin:.0%} of the gap between the "
            f"majority-class error and the best's. Most (more than half of N) are served exactly when the dataset "
            f"ranked floor(N/2)+1 is: supported when the 95% percentile interval of its excess over {n_boot} "
            f"resamples of datasets lies below {margin:g}, not supported when it lies at or above {margin:g}, "
            "inconclusive otherwise")
    if evaluable.empty:
        return not_applicable("C7", "no dataset where a configuration beats the majority class on both halves",
                              test=CURVES_TEST, effect_name=effect_name)
    point, low, high = dataset_bootstrap(evaluable, majority_excess_of, n_boot)
    smalls = evaluable.small.str.split(" n=").str[0].value_counts().head(5)
    reasons = served[served.excess.isna()].reason.value_counts()
    details = (f"{int(evaluable.served.sum())} of {len(evaluable)} evaluable datasets served (share "
               f"{evaluable.served.mean():.2f}); the best configuration is itself cheap on "
               f"{(evaluable.best == evaluable.small).mean():.2f} of them; not evaluable: "
               + (", ".join(f"{n} ({r})" for r, n in reasons.items()) or "none") + "; median training time "
               f"of the chosen cheap configuration {evaluable.small_time.median():.3g} s against the best's "
               f"{evaluable.best_time.median():.3g} s; cheap learners chosen most often: "
               + ", ".join(f"{k} ({v})" for k, v in smalls.items()))
    return Claim("C7", test=CURVES_TEST, effect_name=effect_name, effect=point, ci_low=low, ci_high=high,
                 verdict=verdict_from_interval(low, high, margin, "below"), rule=rule, details=details)
