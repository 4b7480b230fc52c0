"""Choosing the default extrapolation method without choosing it on the curves that judge it.

The benchmark's curves (extrapolation_benchmark.evaluate) are split in two halves by a fixed
seeded draw within each domain: the method with the lowest mean held-out log-RMSE on the
selection half is fixed, then compared with a reference estimator (paper_M4) on the other
half, paired by curve. It is adopted only if the paired 95% interval there excludes 0 on the
better side (a t interval over the confirmation curves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .io import InputError

SPLIT_SEED = 20  # issue 20; fixed before the split was looked at


def split_curves(results: pd.DataFrame, rng_seed: int = SPLIT_SEED) -> tuple[list[str], list[str]]:
    """(selection, confirmation) curve ids: within each domain, a seeded shuffle, first half selects."""
    rng = np.random.default_rng(rng_seed)
    selection, confirmation = [], []
    for _, g in results.groupby("domain", sort=True):
        ids = sorted(g.curve.unique())
        order = rng.permutation(len(ids))
        half = len(ids) // 2
        selection += [ids[i] for i in order[:half]]
        confirmation += [ids[i] for i in order[half:]]
    return selection, confirmation


def held_out_choice(results: pd.DataFrame, candidates, reference: str = "paper_M4", *,
                    rng_seed: int = SPLIT_SEED, level: float = 0.95) -> dict:
    """Fix the best of `candidates` on the selection half, confirm it against `reference` on the other.

    `results` has one row per curve x estimator (columns curve, domain, estimator, rmse). A curve
    where any compared estimator failed (rmse NaN) is dropped from that half, and counted.
    """
    missing = {"curve", "domain", "estimator", "rmse"} - set(results.columns)
    if missing:
        raise InputError(f"results lack column(s) {sorted(missing)}")
    candidates = list(candidates)
    unknown = sorted(set(candidates + [reference]) - set(results.estimator))
    if unknown:
        raise InputError(f"estimator(s) {unknown} not in the results; present: {sorted(set(results.estimator))}")
    wide = results.pivot(index="curve", columns="estimator", values="rmse")[sorted(set(candidates + [reference]))]
    selection, confirmation = split_curves(results, rng_seed)
    sel, conf = wide.loc[selection].dropna(), wide.loc[confirmation].dropna()
    selection_means = sel[candidates].mean().sort_values()
    chosen = str(selection_means.index[0])
    diff = conf[chosen] - conf[reference]
    se = float(diff.std(ddof=1) / np.sqrt(len(diff)))
    half_width = float(stats.t.ppf(0.5 + level / 2, len(diff) - 1) * se)
    mean = float(diff.mean())
    return {"split_seed": rng_seed, "n_selection": len(sel), "n_confirmation": len(conf),
            "dropped": len(selection) + len(confirmation) - len(sel) - len(conf),
            "selection_means": selection_means.to_dict(), "chosen": chosen, "reference": reference,
            "confirmation_mean": float(conf[chosen].mean()), "reference_mean": float(conf[reference].mean()),
            "difference": mean, "se": se, "ci_low": mean - half_width, "ci_high": mean + half_width,
            "adopt": bool(mean + half_width < 0)}
