"""C3: Per-community error does not follow the aggregate's scaling."""

from __future__ import annotations

import pandas as pd

from ..scaling_fits import AGGREGATE, KEY, FitAllResult
from ._record import Claim, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C3", "Per-community error does not follow the aggregate's scaling.", needs=('evaluations',),
                 settings={'threshold': 'fits.not_following_share'})


def evaluate(fits: FitAllResult, threshold: float = 0.05) -> Claim:
    """C3 from the per-community trend labels and the Holm-corrected slope differences."""
    from statsmodels.stats.proportion import proportion_confint

    curves = fits.curves
    comm = curves[(curves.attribute != AGGREGATE) & curves.evaluable.astype(bool)].copy()
    comm = comm[comm.trend != "not evaluable"]
    het = fits.heterogeneity.set_index(KEY)["differs"] if not fits.heterogeneity.empty else pd.Series(dtype=bool)
    holm = comm.set_index(KEY).index.map(lambda k: bool(het.get(k, False))).to_numpy(bool)
    off = comm.trend.isin(["slower", "worsening"]).to_numpy() | (
        (comm.trend == "plateaued") & (comm.trend_diff_ci_low > 0)).to_numpy()
    flagged = off | holm
    count, total = int(flagged.sum()), int(len(comm))
    rule = ("a community (per model x attribute) does not follow the aggregate when its trend label is 'slower' "
            "or 'worsening', or 'plateaued' with its slope-difference interval above 0, or its Holm-corrected "
            f"slope difference (mixed model) has p < 0.05; supported when the Clopper-Pearson 95% interval of the "
            f"share of evaluable communities so flagged lies above {threshold:g}, not supported when it lies at "
            "or below, inconclusive otherwise. Plateaued labels whose interval still includes the aggregate "
            "slope are not counted (they may be noise)")
    if total == 0:
        return Claim("C3", test="trend labels and slope heterogeneity", effect_name="share not following",
                     effect=None, ci_low=None, ci_high=None, verdict="inconclusive", rule=rule,
                     details="no evaluable communities")
    low, high = proportion_confint(count, total, alpha=0.05, method="beta")
    labels = comm.trend.value_counts().to_dict()
    details = (f"{count} of {total} communities flagged ({int(off.sum())} by trend label, {int(holm.sum())} by "
               f"Holm slope difference); labels: {labels}")
    return Claim(claim="C3", test="seed-bootstrap trend labels (upper-half log-log slope vs aggregate) and "
                                  "mixed-model slope differences with Holm correction",
                 effect_name="share of evaluable communities not following the aggregate", effect=count / total,
                 ci_low=low, ci_high=high, verdict=verdict_from_interval(low, high, threshold, "above"),
                 rule=rule, details=details)
