"""Loss of every configuration, for everyone and each community, with joint resamples of
seeds and test rows (C6, C7).

A configuration is one (axis, model, scale, capacity) fitted with several seeds. Its loss
is the mean over seeds of the per-test-row loss averaged over a group's rows. One
resample draws seed weights (multinomial) and test-row weights (Poisson(1) counts), the
same for every configuration and every group: configurations stay paired, and groups that
share rows (overlapping attributes, one test set) stay dependent, as they are in the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .io import InputError, require_columns

LOSSES = ("error", "brier", "log_loss")
AGGREGATE = "all"
CONFIG_KEYS = ["axis", "model", "scale", "capacity"]
EPS = 1e-6


def row_losses(y: np.ndarray, scores: np.ndarray, loss: str = "error", threshold: float = 0.5) -> np.ndarray:
    """Per-row loss of each score row: (units, rows) float32. error = 1 when (score >= threshold) != y."""
    if loss not in LOSSES:
        raise InputError(f"loss must be one of {LOSSES}, got {loss!r}")
    y = np.asarray(y, dtype=np.float32)
    s = np.asarray(scores, dtype=np.float32)
    if s.ndim == 1:
        s = s[None, :]
    if s.shape[1] != len(y):
        raise InputError(f"scores have {s.shape[1]} columns for {len(y)} test rows")
    if loss == "error":
        return ((s >= threshold).astype(np.float32) != y).astype(np.float32)
    if loss == "brier":
        return (s - y) ** 2
    p = np.clip(s, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def membership(groups: pd.DataFrame, evaluable: Mapping[str, list[str]]) -> tuple[pd.DataFrame, np.ndarray]:
    """Everyone, then each evaluable community: a table (attribute, community, rows) and a
    (groups, test rows) 0/1 float32 matrix."""
    names, masks = [(AGGREGATE, AGGREGATE)], [np.ones(len(groups), bool)]
    for attribute, communities in evaluable.items():
        column = groups[attribute].astype(str).to_numpy()
        for community in communities:
            names.append((attribute, str(community)))
            masks.append(column == str(community))
    matrix = np.stack(masks).astype(np.float32)
    table = pd.DataFrame(names, columns=["attribute", "community"])
    table["rows"] = matrix.sum(axis=1).astype(int)
    if (table.rows == 0).any():
        raise InputError(f"communities without test rows: {table[table.rows == 0].community.tolist()}")
    return table, matrix


def configurations(units: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Configurations of a unit table with columns axis, model, scale, capacity, seed, fit_operations.

    Returns the configuration table (CONFIG_KEYS, n_seeds, fit_operations = median over seeds,
    fit_cpu_seconds = median when present; sorted) and a (configuration, seed) array of
    row positions in `units`. Every configuration must have every seed.
    """
    require_columns(units, [*CONFIG_KEYS, "seed", "fit_operations"], "units")
    if units.duplicated([*CONFIG_KEYS, "seed"]).any():
        raise InputError("units has duplicate (axis, model, scale, capacity, seed) rows")
    seeds = np.sort(units.seed.unique())
    medians = {"fit_operations": "median"} | ({"fit_cpu_seconds": "median"} if "fit_cpu_seconds" in units else {})
    configs = (units.groupby(CONFIG_KEYS, sort=True, dropna=False)
               .agg(n_seeds=("seed", "nunique"), **{k: (k, v) for k, v in medians.items()}).reset_index())
    incomplete = configs[configs.n_seeds != len(seeds)]
    if not incomplete.empty:
        raise InputError(f"configurations without every seed {seeds.tolist()}: "
                         f"{incomplete[CONFIG_KEYS].head(3).to_dict('records')}")
    config_of_row = units.groupby(CONFIG_KEYS, sort=True, dropna=False).ngroup().to_numpy()
    seed_of_row = np.searchsorted(seeds, units.seed.to_numpy())
    panel = np.empty((len(configs), len(seeds)), int)
    panel[config_of_row, seed_of_row] = np.arange(len(units))
    return configs, panel


def _resample_weights(n_rows: int, n_seeds: int, n_boot: int, seed: int):
    """Seed weights (n_boot, n_seeds) and a generator of each resample's test-row weights (rows,),
    the same draws on every call, so each batch of units meets the same resamples."""
    rng = np.random.default_rng([seed, 7707])
    seed_weights = rng.multinomial(n_seeds, np.full(n_seeds, 1 / n_seeds), size=n_boot).astype(float)
    return seed_weights, (rng.poisson(1.0, n_rows).astype(np.float32) for _ in range(n_boot))


def unit_group_losses(loss_batches, members: np.ndarray, n_seeds: int, n_boot: int, seed: int = 0):
    """Each unit's loss per group: point (units, groups) and resampled (n_boot, units, groups),
    float32, from `loss_batches`, an iterable of per-row losses (units in the batch, rows), so
    only one batch's rows are held at a time."""
    counts = members.sum(axis=1)
    points, boots = [], []
    for losses in loss_batches:
        points.append((losses @ members.T) / counts)
        boot = np.empty((n_boot, len(losses), members.shape[0]), np.float32)
        for b, weights in enumerate(_resample_weights(losses.shape[1], n_seeds, n_boot, seed)[1]):
            weighted = members * weights
            with np.errstate(divide="ignore", invalid="ignore"):
                boot[b] = (losses @ weighted.T) / weighted.sum(axis=1)
        boots.append(boot)
    if not points:
        raise InputError("no units to resample: the batches of losses are empty")
    return np.concatenate(points), np.concatenate(boots, axis=1)


def trivial_losses(trivial: np.ndarray, members: np.ndarray, n_seeds: int, n_boot: int, seed: int = 0):
    """A trivial model's loss per group (groups,) and on the same resamples (n_boot, groups)."""
    trivial_boot = np.empty((n_boot, members.shape[0]))
    for b, weights in enumerate(_resample_weights(len(trivial), n_seeds, n_boot, seed)[1]):
        weighted = members * weights
        with np.errstate(divide="ignore", invalid="ignore"):
            trivial_boot[b] = (weighted @ trivial) / weighted.sum(axis=1)
    return (members @ trivial) / members.sum(axis=1), trivial_boot


def configuration_losses(unit_point: np.ndarray, unit_boot: np.ndarray, panel: np.ndarray, seed_weights: np.ndarray):
    """Mean over seeds of the units' losses: point (configs, groups) and boot (n_boot, configs, groups),
    each resample's seeds weighted by its row of `seed_weights`."""
    n_seeds = panel.shape[1]
    point = unit_point[panel].mean(axis=1)
    boot = np.empty((len(unit_boot), panel.shape[0], unit_point.shape[1]))
    for b in range(len(unit_boot)):
        boot[b] = np.einsum("csg,s->cg", unit_boot[b][panel], seed_weights[b]) / n_seeds
    return point, boot


def draws(losses: np.ndarray, panel: np.ndarray, members: np.ndarray, n_boot: int, seed: int = 0,
          trivial: np.ndarray | None = None):
    """Loss per (configuration, group): the point estimate and `n_boot` joint resamples.

    losses: (units, rows); panel: (configuration, seed) -> unit row; members: (groups, rows).
    trivial: optional (rows,) loss of a trivial model (no seeds; resampled over rows only).
    Returns point (configs, groups), boot (n_boot, configs, groups), and when `trivial` is given
    trivial_point (groups,) and trivial_boot (n_boot, groups).
    """
    return _draws([losses], panel, members, n_boot, seed, trivial)


def _draws(loss_batches, panel, members, n_boot, seed, trivial):
    if n_boot < 1:
        raise InputError(f"n_boot must be >= 1, got {n_boot}")
    n_seeds = panel.shape[1]
    seed_weights, _ = _resample_weights(members.shape[1], n_seeds, n_boot, seed)
    unit_point, unit_boot = unit_group_losses(loss_batches, members, n_seeds, n_boot, seed)
    point, boot = configuration_losses(unit_point, unit_boot, panel, seed_weights)
    if trivial is None:
        return point, boot
    return point, boot, *trivial_losses(trivial, members, n_seeds, n_boot, seed)


@dataclass
class LossDraws:
    """Every configuration's loss for everyone (group 0) and each community, with resamples."""

    configs: pd.DataFrame  # CONFIG_KEYS, n_seeds, fit_operations, ...
    targets: pd.DataFrame  # attribute, community, rows; row 0 is everyone
    point: np.ndarray  # (configs, groups)
    boot: np.ndarray  # (n_boot, configs, groups)
    trivial_point: np.ndarray  # (groups,) loss of the training base rate for everyone
    trivial_boot: np.ndarray  # (n_boot, groups)


def from_losses(losses: np.ndarray, units: pd.DataFrame, targets: pd.DataFrame, members: np.ndarray,
                trivial: np.ndarray, n_boot: int, seed: int = 0) -> LossDraws:
    """LossDraws from per-row losses (rows of `losses` in the order of `units`)."""
    if len(losses) != len(units):
        raise InputError(f"{len(losses)} loss rows for {len(units)} units")
    configs, panel = configurations(units.reset_index(drop=True))
    return LossDraws(configs, targets, *draws(losses, panel, members, n_boot, seed, trivial))


def loss_draws(y, scores, units: pd.DataFrame, groups: pd.DataFrame, evaluable: Mapping[str, list[str]],
               base_rate: float, loss: str = "error", threshold: float = 0.5, n_boot: int = 200,
               seed: int = 0) -> LossDraws:
    """LossDraws of scored units (one score row per unit); the trivial model predicts `base_rate`."""
    targets, members = membership(groups, evaluable)
    trivial = row_losses(y, np.full(len(y), base_rate, np.float32), loss, threshold)[0]
    return from_losses(row_losses(y, scores, loss, threshold), units, targets, members, trivial, n_boot, seed)



def loss_draws_streamed(y, units: pd.DataFrame, batches, groups: pd.DataFrame, evaluable: Mapping[str, list[str]],
                        base_rate: float, loss: str = "error", threshold: float = 0.5, n_boot: int = 200,
                        seed: int = 0) -> LossDraws:
    """loss_draws of `units` from `batches` of (rows of `units` in order, their scores), such as
    sweep.iter_scores(units, cache): the same LossDraws bit for bit, holding one batch's scores."""
    targets, members = membership(groups, evaluable)
    trivial = row_losses(y, np.full(len(y), base_rate, np.float32), loss, threshold)[0]
    configs, panel = configurations(units.reset_index(drop=True))
    seen = []

    def loss_batches():
        for part, scores in batches:
            seen.append(part)
            yield row_losses(y, scores, loss, threshold)

    result = LossDraws(configs, targets, *_draws(loss_batches(), panel, members, n_boot, seed, trivial))
    if not pd.concat(seen).equals(units):
        raise InputError("the batches of scores do not hold the rows of units in order "
                         "(use sweep.iter_scores(units, cache))")
    return result
