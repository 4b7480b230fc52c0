"""C6: does the gain per doubling of compute shrink as compute grows?

Along one curve (a model's configurations ordered by training compute: more rows, or more
capacity at fixed rows), let t = log2(fit operations) and y the loss (scale 'linear') or its
log ('log'). The gain per doubling of compute is -dy/dt. Fitting y = a + b t + c t^2 by least
squares, the gain per doubling changes by -2c per doubling: 2c > 0 means it shrinks.

On the loss itself, 2c > 0 is the papers' claim: each equal gain in performance costs
multiplicatively more compute. On log loss, a pure power law (loss = A x^-alpha) has a
constant gain per doubling (every doubling removes the same share of the loss), so 2c > 0
there means returns diminish faster than a power law's: a stronger, second statement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .error_draws import EPS
from .io import InputError


def curves(configs: pd.DataFrame, capacity_scale: str = "largest") -> list[tuple[str, np.ndarray]]:
    """The curves C6 examines: each model along training rows (axis 'rows'), and each capacity
    model along capacity at its largest swept size (axis 'capacity'). Each is (label, config
    positions ordered by fit operations); configurations with no operations (one-class samples)
    are left out."""
    out = []
    for (axis, model), group in configs.groupby(["axis", "model"], sort=True):
        if axis == "capacity" and capacity_scale == "largest":
            group = group[group.scale == group.scale.max()]
        group = group[group.fit_operations > 0].sort_values("fit_operations")
        where = f" at n = {int(group.scale.iloc[0]):,}" if axis == "capacity" and len(group) else ""
        out.append((f"{model}, {axis}{where}", group.index.to_numpy()))
    return out


SCALES = ("linear", "log")


def curvature(log2_ops: np.ndarray, loss: np.ndarray, scale: str = "log") -> np.ndarray:
    """2c of the least-squares fit y = a + b t + c t^2 along the last axis (t = log2_ops), y = log(loss)
    (scale 'log': how much the gain in log loss per doubling shrinks per doubling) or the loss itself
    ('linear': how much the gain in loss per doubling shrinks per doubling)."""
    if scale not in SCALES:
        raise InputError(f"scale must be one of {SCALES}, got {scale!r}")
    t = log2_ops - log2_ops.mean()
    design = np.stack([np.ones_like(t), t, t ** 2], axis=1)
    y = np.log(np.clip(loss, EPS, None)) if scale == "log" else np.asarray(loss, float)
    coef = np.linalg.lstsq(design, np.moveaxis(y, -1, 0).reshape(len(t), -1), rcond=None)[0]
    return 2 * coef[2].reshape(y.shape[:-1])


def curvature_table(configs: pd.DataFrame, point: np.ndarray, boot: np.ndarray, skip_smallest: int = 0,
                    level: float = 0.95, group: int = 0, scale: str = "log") -> pd.DataFrame:
    """Curvature per curve for one group (0 = everyone), with a percentile interval over the joint
    seed and test-row resamples, on `scale` (see curvature). The `skip_smallest` points of least
    compute are left out.

    Columns: curve, points, log2_ops_from, log2_ops_to, gain_first (gain per doubling on that scale
    over the first two points), gain_last (over the last two), curvature (2c), ci_low, ci_high.
    """
    if not isinstance(skip_smallest, (int, np.integer)) or skip_smallest < 0:
        raise InputError(f"skip_smallest must be a non-negative integer, got {skip_smallest!r}")
    rows = []
    alpha = (1 - level) / 2
    for label, positions in curves(configs):
        positions = positions[skip_smallest:]
        if len(positions) < 4:
            raise InputError(f"curve {label!r} has {len(positions)} points after skipping {skip_smallest}; "
                             "a curvature needs at least 4")
        t = np.log2(configs.fit_operations.to_numpy(float)[positions])
        y_point = point[positions, group]
        y_point = np.log(np.clip(y_point, EPS, None)) if scale == "log" else y_point
        draws = curvature(t, np.nan_to_num(boot[:, positions, group], nan=1.0), scale)
        low, high = np.quantile(draws, [alpha, 1 - alpha])
        rows.append({"curve": label, "points": len(positions), "log2_ops_from": t[0], "log2_ops_to": t[-1],
                     "gain_first": (y_point[0] - y_point[1]) / (t[1] - t[0]),
                     "gain_last": (y_point[-2] - y_point[-1]) / (t[-1] - t[-2]),
                     "curvature": float(curvature(t, point[positions, group], scale)), "ci_low": low,
                     "ci_high": high})
    return pd.DataFrame(rows)
