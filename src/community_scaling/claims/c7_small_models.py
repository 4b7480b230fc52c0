"""C7: Small models serve most needs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cost import _check_units, _margin, _margin_table, _metric_rows, _panel, _within_margin
from ..io import InputError
from ..values import bootstrap_interval, seed_bootstrap_weights, weighted_seed_mean
from ._record import Claim, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C7", "Small models serve most needs.", needs=('evaluations', 'compute'),
                 settings={'margin': 'cost.margin', 'small_share': 'cost.small_share'})


def evaluate(evaluations: pd.DataFrame, units: pd.DataFrame, margin: float = 0.01, relative: bool = False,
             small_share: float = 0.1, metric: str = "error", n_boot: int = 200, seed: int = 0) -> Claim:
    """C7: the share of evaluable communities served within `margin` of their best by a configuration
    using <= small_share of the costliest configuration's CPU time; percentile seed bootstrap."""
    _check_units(units)
    margin = _margin(margin)
    if not (isinstance(small_share, (int, float)) and 0 < small_share <= 1):
        raise InputError(f"small_share must be in (0, 1], got {small_share!r}")
    values, cpu, targets, configs, seeds = _panel(_metric_rows(evaluations, metric, "communities"), units)
    people = (targets.attribute != "all").to_numpy()
    if not people.any():
        raise InputError("evaluations has no evaluable communities besides the aggregate")

    def share(w):
        mean, c = weighted_seed_mean(values, w), weighted_seed_mean(cpu, w)
        _, chosen = _within_margin(mean[people], c, margin, relative)
        return float(np.mean(c[chosen] <= small_share * np.nanmax(c)))

    point = share(np.ones(len(seeds)))
    draws = ([share(w) for w in seed_bootstrap_weights(len(seeds), n_boot, np.random.default_rng(seed))]
             if n_boot else [])
    low, high = bootstrap_interval(point, np.array(draws), "percentile")
    table = _margin_table(np.nanmean(values, axis=0), np.nanmean(cpu, axis=0), targets, configs, margin, relative)
    table = table[table.attribute != "all"]
    unserved = table[table.share_of_max_cpu > small_share]
    details = (f"{len(table)} evaluable communities; median CPU share of the cheapest within-margin configuration "
               f"{table.share_of_max_cpu.median():.3f}; not served by a small configuration: "
               + (", ".join(f"{a}={c}" for a, c in zip(unserved.attribute, unserved.community)) or "none"))
    unit = (f"{margin:.0%} of the best" if relative
            else f"{margin:g} (= {100 * margin:g} percentage points) of the best")
    return Claim(
        claim="C7", test="cheapest (model, scale) within a margin of each community's best, seed bootstrap",
        effect_name=f"share of evaluable communities served by <= {small_share:.0%} of the largest CPU time",
        effect=point, ci_low=low, ci_high=high, verdict=verdict_from_interval(low, high, 0.5, "above"),
        rule=(f"a community is served when a configuration using <= {small_share:.0%} of the costliest "
              f"configuration's mean CPU time has seed-mean {metric} within {unit}; supported when the 95% "
              f"seed-bootstrap interval of the served share lies wholly above 0.5; not supported when it lies "
              f"wholly at or below 0.5; inconclusive otherwise"),
        details=details)
