"""C2: Larger samples hold more distinct communities."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..communities import _integers
from ..io import InputError
from ._record import Claim, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C2", "Larger samples hold more distinct communities.", needs=('datasheet',),
                 settings={})


def evaluate(richness: pd.DataFrame, heaps: Mapping[str, dict], sizes_swept) -> Claim:
    """C2 from a richness_table: the increase in distinct communities from the
    smallest to the largest swept size, for the attribute with the most
    communities (first in table order on ties)."""
    needed = {"attribute", "n", "expected", "communities_total", "mc_gain_q05", "mc_gain_q95", "gain_from"}
    if not isinstance(richness, pd.DataFrame) or needed - set(richness.columns):
        missing = sorted(needed - set(getattr(richness, "columns", [])))
        raise InputError(f"richness must be a richness_table frame; missing columns {missing}")
    if not isinstance(heaps, Mapping):
        raise InputError(f"heaps must map attribute -> heaps_fit dict, got {type(heaps).__name__}")
    sizes = np.unique(_integers(sizes_swept, "sizes_swept", low=1))
    if sizes.size < 2:
        raise InputError(f"sizes_swept needs >= 2 distinct sizes, got {sizes.tolist()}")
    n_min, n_max = int(sizes[0]), int(sizes[-1])
    totals = richness.groupby("attribute", sort=False)["communities_total"].first()
    attribute = totals.idxmax()
    rows = richness[richness["attribute"] == attribute].set_index("n")
    for size in (n_min, n_max):
        if size not in rows.index:
            raise InputError(f"richness has no row for attribute {attribute!r} at swept size n={size}")
    if int(rows.loc[n_max, "gain_from"]) != n_min:
        raise InputError(f"richness gains are relative to n={int(rows.loc[n_max, 'gain_from'])}, but the smallest "
                         f"swept size is {n_min}: build richness_table with gain_from={n_min}")
    low_exp, high_exp = float(rows.loc[n_min, "expected"]), float(rows.loc[n_max, "expected"])
    low, high = float(rows.loc[n_max, "mc_gain_q05"]), float(rows.loc[n_max, "mc_gain_q95"])
    fit = heaps.get(attribute)
    heaps_text = (f"Heaps beta {fit['beta']:.3f} [{fit['beta_ci_low']:.3f}, {fit['beta_ci_high']:.3f}] "
                  f"(descriptive; saturates)" if fit else "no Heaps fit given")
    total = int(totals[attribute])
    return Claim(
        claim="C2",
        test="exact hypergeometric expected richness; nested Monte-Carlo subsamples of the training split",
        effect_name=f"increase in expected distinct communities, n={n_min} -> n={n_max}",
        effect=high_exp - low_exp, ci_low=low, ci_high=high,
        verdict=verdict_from_interval(low, high, 0.0, "above"),
        rule=("supported when the 90% Monte-Carlo interval (q05-q95 over nested random subsamples, as in the "
              "sweep) of the increase in distinct communities from the smallest to the largest swept size lies "
              "wholly above 0; not supported when its upper end is 0 (already saturated at the smallest size)"),
        details=(f"attribute {attribute!r} ({total} communities in the training split, the most of "
                 f"{len(totals)} attributes); expected {low_exp:.2f} at n={n_min} ({total - low_exp:.2f} missed), "
                 f"{high_exp:.2f} at n={n_max}; {heaps_text}"),
    )
