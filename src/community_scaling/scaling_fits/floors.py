"""Do communities' floors e_inf differ from their aggregate's? Paired seed resamples, Holm-corrected."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .resampling import bootstrap_interval
from .table import AGGREGATE


FLOOR_RULE = ("floor difference = median over paired seed resamples of (community e_inf - its model's aggregate e_inf), "
              "from the same seed resamples (paired by draw); standard error = bootstrap sd x sqrt(G/(G-1)) for "
              "G seeds, t-test with G-1 degrees of freedom, Holm correction over the communities of each model x "
              "attribute; a community's floor differs when its Holm p < 0.05")


def floor_differences(samples: dict, alpha: float = 0.05, interval: str = "cluster_t") -> pd.DataFrame:
    """Do communities' floors e_inf differ from their aggregate's? (see FLOOR_RULE)

    `samples` maps (model, attribute, community) to (seed labels, e_inf bootstrap samples indexed
    by draw); a community is compared only when its seeds are the aggregate's (then the draws pair).
    """
    from statsmodels.stats.multitest import multipletests

    columns = ["model", "attribute", "community", "floor_diff", "ci_low", "ci_high", "p_value", "p_holm", "differs"]
    rows = []
    for (model, attribute, community), (seeds, draws) in samples.items():
        agg = samples.get((model, AGGREGATE, AGGREGATE))
        if attribute == AGGREGATE or agg is None or agg[0] != seeds:
            continue
        diff = (draws - agg[1]).dropna()  # aligned on the draw number
        g = len(seeds)
        if len(diff) < 10 or g < 2:
            continue
        lo, hi = bootstrap_interval(diff.to_numpy(), g, interval=interval)
        est = float(np.median(diff))
        se = float(diff.std(ddof=1) * math.sqrt(g / (g - 1)))
        p = float(2 * stats.t.sf(abs(est) / se, g - 1)) if se > 0 else (0.0 if est != 0 else 1.0)
        rows.append({"model": model, "attribute": attribute, "community": community, "floor_diff": est,
                     "ci_low": float(lo), "ci_high": float(hi), "p_value": p})
    table = pd.DataFrame(rows, columns=columns[:7])
    if table.empty:
        return pd.DataFrame(columns=columns)
    parts = []
    for _, g in table.groupby(["model", "attribute"], sort=True):
        reject, p_holm, _, _ = multipletests(g.p_value, alpha=alpha, method="holm")
        parts.append(g.assign(p_holm=p_holm, differs=reject))
    return pd.concat(parts, ignore_index=True)[columns]
