"""C4: Whether bigger is better depends on the metric."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metric_trends import disagreement, trend_table
from ._record import Claim, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C4", "Whether bigger is better depends on the metric.", needs=('evaluations',),
                 settings={'threshold': 'metrics.disagreement_share', 'n_boot': 'metrics.bootstrap'})


def evaluate(evaluations: pd.DataFrame, threshold: float, n_boot: int = 2000, seed: int = 0) -> tuple[Claim, np.ndarray]:
    """C4 from the share of (model, community) pairs whose metrics disagree.

    The interval resamples the pairs (a bootstrap over communities): how much the
    share would move with another set of communities of the same kind.
    """
    flags = disagreement(trend_table(evaluations))["disagree"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    shares = rng.choice(flags, size=(n_boot, len(flags)), replace=True).mean(axis=1)
    low, high = np.percentile(shares, [2.5, 97.5])
    claim = Claim(
        claim="C4", test="slope of each metric (lower-is-better form) on log2 n over the upper half of sizes, one per "
                         "seed, t-interval over seeds; metrics disagree for a model x community when one improves and "
                         "another worsens",
        effect_name="share of model x community pairs whose metrics disagree", effect=flags.mean(),
        ci_low=low, ci_high=high, verdict=verdict_from_interval(low, high, threshold, "above"),
        rule=f"supported when the 95% bootstrap interval (pairs resampled, {n_boot} times) of the share lies above "
             f"{threshold:g}; not supported when it lies at or below; inconclusive otherwise")
    return claim, shares
