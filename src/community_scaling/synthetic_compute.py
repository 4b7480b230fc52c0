"""Generated sweeps with a known answer for C6 and C7: per-test-row errors of configurations
whose true error is a chosen function of compute, with seed noise and test rows shared by
every configuration (a latent row difficulty makes units err on the same rows, as they do)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .error_draws import LossDraws, from_losses

ROW_CORRELATION = 0.6  # latent correlation of one row's errors across units
SEED_NOISE = 0.02  # multiplicative sd of a unit's true error across seeds


def _wrong(rng, true_error: np.ndarray, latent: np.ndarray) -> np.ndarray:
    """(units, rows) 0/1 errors: unit u errs on row r when its latent draw falls below its error rate."""
    noise = rng.standard_normal((len(true_error), len(latent)))
    u = ndtr(ROW_CORRELATION * latent[None, :] + np.sqrt(1 - ROW_CORRELATION ** 2) * noise)
    return (u < true_error[:, None]).astype(np.float32)


def _units(curves: dict[tuple[str, str], np.ndarray], seeds: int) -> pd.DataFrame:
    rows = []
    for (axis, model), ops in curves.items():
        for k, operations in enumerate(ops):
            for seed in range(seeds):
                rows.append({"axis": axis, "model": model, "scale": 1000 if axis == "capacity" else 1000 * 2 ** k,
                             "capacity": float(k + 1) if axis == "capacity" else np.nan, "seed": seed,
                             "fit_operations": float(operations), "position": k})
    return pd.DataFrame(rows)


def power_law(doublings: np.ndarray, start: float = 0.30, alpha: float = 0.12) -> np.ndarray:
    """Error start x 2^(-alpha t): a constant share of error removed per doubling (no diminishing returns)."""
    return start * 2.0 ** (-alpha * doublings)


def constant_gain(doublings: np.ndarray, start: float = 0.30, gain: float = 0.02) -> np.ndarray:
    """Error start - gain x t: the same error removed by every doubling (no diminishing returns in error)."""
    return start - gain * doublings


def saturating(doublings: np.ndarray, start: float = 0.30, floor: float = 0.12, halving: float = 1.5) -> np.ndarray:
    """Error floor + (start - floor) 2^(-t / halving): the excess over a floor halves every `halving` doublings."""
    return floor + (start - floor) * 2.0 ** (-doublings / halving)


def compute_curves(rng: np.random.Generator, rows_curve, capacity_curve, n_rows: int = 3000, seeds: int = 3,
                   rows_points: int = 8, capacity_points: int = 6, n_boot: int = 100) -> dict[str, LossDraws]:
    """C6 data: one model along training rows (compute doubling per point) and along capacity,
    aggregate error only. `rows_curve` and `capacity_curve` map doublings -> true error."""
    units = _units({("rows", "m"): 1e6 * 2.0 ** np.arange(rows_points),
                    ("capacity", "m"): 1e6 * 2.0 ** np.arange(capacity_points)}, seeds)
    curve = np.where(units.axis == "rows", rows_curve(units.position.to_numpy(float)),
                     capacity_curve(units.position.to_numpy(float)))
    true_error = curve * np.exp(SEED_NOISE * rng.standard_normal(len(units)))
    losses = _wrong(rng, true_error, rng.standard_normal(n_rows))
    targets = pd.DataFrame({"attribute": ["all"], "community": ["all"], "rows": [n_rows]})
    members = np.ones((1, n_rows), np.float32)
    return {"error": from_losses(losses, units.drop(columns="position"), targets, members,
                                 np.zeros(n_rows, np.float32), n_boot)}


def community_sweep(rng: np.random.Generator, served_share: float, n_rows: int = 12000, communities: int = 20,
                    seeds: int = 3, points: int = 6, gap: float = 0.12, unserved_excess: float = 0.4,
                    n_boot: int = 100) -> dict[str, LossDraws]:
    """C7 data: `communities` disjoint communities of equal expected size, one model at `points`
    doublings of compute (the first two small at small_share 0.1), errors on shared test rows.
    A served community's error reaches its floor by the second configuration; an unserved one's
    excess over its floor is `unserved_excess` x gap there, halves per doubling and is 0 at the
    last. The trivial model's error (the positive rate) is uniform in [0.20, 0.35], the floor
    `gap` below it. Exactly round(served_share x communities) are served; which ones is random."""
    group = rng.integers(communities, size=n_rows)
    is_served = np.zeros(communities, bool)
    is_served[rng.permutation(communities)[:round(served_share * communities)]] = True
    base = rng.uniform(0.20, 0.35, communities)
    k = np.arange(points, dtype=float)
    excess = np.where(is_served[:, None], np.where(k == 0, 0.5, 0.0)[None, :],
                      unserved_excess * 2.0 ** -(k - 1)[None, :])
    excess[~is_served, -1] = 0.0
    group_error = base[:, None] - gap + gap * excess  # (communities, configs)
    units = _units({("rows", "m"): 2.0 ** k}, seeds)
    noise = np.exp(SEED_NOISE * rng.standard_normal(len(units)))
    true = group_error[group][:, units.position.to_numpy()].T * noise[:, None]  # (units, rows)
    u = ndtr(ROW_CORRELATION * rng.standard_normal(n_rows)[None, :]
             + np.sqrt(1 - ROW_CORRELATION ** 2) * rng.standard_normal(true.shape))
    losses = (u < true).astype(np.float32)
    trivial = (rng.random(n_rows) < base[group]).astype(np.float32)
    members = np.concatenate([np.ones((1, n_rows)), np.eye(communities)[group].T]).astype(np.float32)
    targets = pd.DataFrame({"attribute": ["all"] + ["group"] * communities,
                            "community": ["all"] + [str(i) for i in range(communities)]})
    targets["rows"] = members.sum(axis=1).astype(int)
    return {"error": from_losses(losses, units.drop(columns="position"), targets, members, trivial, n_boot)}
