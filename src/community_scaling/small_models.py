"""C7: which communities does a small configuration serve?

Compute is the fit operation count (training rows x input columns x iterations), identical
across runs by construction. A configuration is small when it uses at most `small_share`
of the largest configuration's operations. Two configurations are chosen once, on everyone's
loss, as a developer would deploy them: the best, and the best small one. The small one serves
a community when its loss there exceeds the best's by at most `margin` times the gap between a
trivial model (the training base rate for everyone) and the best: the margin is a share of
what modelling achieves for that community, not a fixed number of points.

Choosing on everyone's loss, not per community, keeps each community's comparison a paired
difference of two fixed configurations: taking each community's own minimum over dozens of
noisy configurations would bias its "best" downwards (the winner's curse), and most in the
smallest communities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .io import InputError


def _check(margin, small_share):
    for name, value in (("margin", margin), ("small_share", small_share)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 < value < 1:
            raise InputError(f"{name} must be a number between 0 and 1, got {value!r}")


def served(loss: np.ndarray, trivial: np.ndarray, operations: np.ndarray, margin: float, small_share: float):
    """Served flags per community. loss (..., configs, groups) with group 0 everyone, trivial (..., groups),
    operations (configs,).

    Returns (served, excess, best, small) for groups 1..: excess = (small loss - best loss) / max(trivial -
    best loss, 0) (inf when the gap is 0 and the small one is worse; <= 0 when it is at least as good);
    best and small are the configurations chosen on everyone's loss. NaN losses (a community empty in a
    resample) count as not served.
    """
    _check(margin, small_share)
    small = np.flatnonzero(operations <= small_share * operations.max())
    if not small.size:
        raise InputError("no configuration is small: every one uses more than small_share of the largest")
    everyone = np.where(np.isnan(loss[..., 0]), np.inf, loss[..., 0])  # (..., configs)
    best = everyone.argmin(axis=-1)
    chosen = small[everyone[..., small].argmin(axis=-1)]
    people = loss[..., 1:]
    best_loss = np.take_along_axis(people, best[..., None, None], axis=-2)[..., 0, :]
    small_loss = np.take_along_axis(people, chosen[..., None, None], axis=-2)[..., 0, :]
    gap = np.maximum(trivial[..., 1:] - best_loss, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        excess = np.where(small_loss <= best_loss, (small_loss - best_loss) / np.where(gap > 0, gap, 1.0),
                          (small_loss - best_loss) / gap)
    ok = (small_loss <= best_loss + margin * gap + 1e-12) & np.isfinite(small_loss) & np.isfinite(best_loss)
    return ok, excess, best, chosen


def majority_excess(excess: np.ndarray) -> np.ndarray:
    """The excess of the community at rank floor(N/2) + 1 from the best served, along the last axis:
    more than half of the N communities are served exactly when it is within the margin. A smooth
    statistic for "most", unlike the count of flags each near its own threshold, whose resamples
    are biased towards half. NaN (a community empty in a resample) counts as not served."""
    ranked = np.sort(np.where(np.isnan(excess), np.inf, excess), axis=-1)
    return ranked[..., excess.shape[-1] // 2]


def served_table(targets: pd.DataFrame, configs: pd.DataFrame, point: np.ndarray, boot: np.ndarray,
                 trivial_point: np.ndarray, trivial_boot: np.ndarray, margin: float, small_share: float,
                 level: float = 0.95) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Per evaluable community (group 0, everyone, is where the two configurations are chosen): the
    best and the best small configuration, and whether the small one serves it; plus the served
    share over communities and the majority excess (see majority_excess) in each joint resample
    (two (n_boot,) arrays; both configurations are chosen again in each resample, as the procedure
    would).

    Columns of the table: attribute, community, rows, trivial_loss, best_loss, small_loss, excess (in units
    of the trivial-to-best gap), served, served_resampled (share of resamples in which it is served),
    best_config, small_config, small_operations_share.
    """
    if point.shape[1] < 2:
        raise InputError("no evaluable communities besides the aggregate")
    operations = configs.fit_operations.to_numpy(float)
    ok, excess, best, chosen = served(point, trivial_point, operations, margin, small_share)
    ok_boot, excess_boot, *_ = served(boot, trivial_boot, operations, margin, small_share)
    label = configs.axis + " " + configs.model + " n=" + configs.scale.astype(str) + \
        configs.capacity.map(lambda v: "" if pd.isna(v) else f" capacity={v:g}")
    table = targets.iloc[1:].reset_index(drop=True).copy()
    table["trivial_loss"] = trivial_point[1:]
    table["best_loss"] = point[best, 1:]
    table["small_loss"] = point[chosen, 1:]
    table["excess"] = excess
    table["served"] = ok
    table["served_resampled"] = ok_boot.mean(axis=0)
    table["best_config"] = label.iloc[best]
    table["small_config"] = label.iloc[chosen]
    table["small_operations_share"] = operations[chosen] / operations.max()
    return table, ok_boot.mean(axis=1), majority_excess(excess_boot)
