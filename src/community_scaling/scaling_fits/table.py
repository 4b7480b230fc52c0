"""The input contract: one row per model x size x seed x community x metric, its checks, and
the test-row replicates of each curve."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..io import InputError, require_columns

TABLE_COLUMNS = ("model", "scale", "seed", "attribute", "community", "metric", "value", "n_eval")
AGGREGATE = "all"


KEY = ["model", "attribute", "community"]
ERROR_RATES = ("error", "worst_community_error")


def noise_sources(n, e, seeds, e_replicates=None) -> dict:
    """Root-mean-square spread of log e between seeds (at each size) and, with test-row
    replicates, between replicates (at each point): which source of noise is larger. A curve
    with no usable values gives NaN (numpy's empty-slice warnings are silenced for it)."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        log_e = pd.Series(np.log(np.where(e > 0, e, np.nan)))
        seed_sd = float(np.sqrt(np.nanmean(log_e.groupby(n).var(ddof=1)))) if np.unique(seeds).size > 1 else np.nan
        out = {"seed_noise_sd": seed_sd, "test_row_noise_sd": np.nan, "larger_noise": "not measured"}
        if e_replicates is not None:
            reps = np.log(np.where(e_replicates > 0, e_replicates, np.nan))
            out["test_row_noise_sd"] = float(np.sqrt(np.nanmean(np.nanvar(reps, axis=1, ddof=1))))
            out["larger_noise"] = "test rows" if out["test_row_noise_sd"] > seed_sd else "seeds"
    return out


REPLICATE_COLUMNS = ("model", "scale", "seed", "attribute", "community", "replicate", "value")


def _replicate_matrices(replicates: pd.DataFrame | None, n_boot: int) -> dict | None:
    """Test-row replicates per curve: key -> frame indexed by (seed, scale), one column per replicate."""
    if replicates is None:
        return None
    require_columns(replicates, REPLICATE_COLUMNS, "replicates table")
    found = sorted(replicates["replicate"].unique())
    if found != list(range(n_boot)):
        raise InputError(f"replicates must be numbered 0..{n_boot - 1} (n_boot = {n_boot}); found {len(found)} "
                         f"replicates from {found[0] if found else None} to {found[-1] if found else None}")
    return {key: g.pivot_table(index=["seed", "scale"], columns="replicate", values="value", aggfunc="first")
            for key, g in replicates.groupby(KEY, sort=False)}


def _aligned(replicate_sets: dict | None, key, curve: pd.DataFrame):
    """The (points, n_boot) replicate matrix of one curve, rows in the curve's order; None when absent."""
    if replicate_sets is None or key not in replicate_sets:
        return None
    index = pd.MultiIndex.from_arrays([curve["seed"].to_numpy(), curve["scale"].to_numpy()])
    matrix = replicate_sets[key].reindex(index)
    if matrix.isna().all(axis=1).any():
        raise InputError(f"replicates of curve {dict(zip(KEY, key))} lack some (seed, scale) points of the table")
    return matrix.to_numpy(float)


def check_table(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows of one metric, with the contract's columns checked (InputError names the culprit)."""
    require_columns(table, TABLE_COLUMNS, "evaluation table")
    if metric not in set(table["metric"].unique()):
        raise InputError(f"metric {metric!r} not in table; found {sorted(map(str, table['metric'].unique()))}")
    frame = table[table["metric"] == metric]
    scale = pd.to_numeric(frame["scale"], errors="coerce")
    if scale.isna().any() or (scale <= 0).any():
        raise InputError(f"column 'scale' must be > 0; found {frame.loc[~(scale > 0), 'scale'].iloc[0]!r}")
    aggregate = frame[(frame["attribute"] == AGGREGATE) & (frame["community"] == AGGREGATE)]
    if aggregate.empty:
        raise InputError("no aggregate rows (attribute='all', community='all') for metric " + repr(metric))
    return frame


def replicate_arrays(replicates: pd.DataFrame | None, n_boot: int) -> dict | None:
    """As _replicate_matrices, without pandas pivots (fast on millions of rows): key -> (index of
    (seed, scale) points, (points, n_boot) float array). Every point needs replicates 0..n_boot-1."""
    if replicates is None:
        return None
    require_columns(replicates, REPLICATE_COLUMNS, "replicates table")
    ordered = replicates.sort_values([*KEY, "seed", "scale", "replicate"], kind="stable")
    if len(ordered) % n_boot or not (ordered.replicate.to_numpy().reshape(-1, n_boot) == np.arange(n_boot)).all():
        raise InputError(f"replicates must hold replicates 0..{n_boot - 1} (n_boot = {n_boot}) once for every point")
    heads = ordered.iloc[::n_boot]
    values = ordered.value.to_numpy(float).reshape(-1, n_boot)
    out = {}
    for key, rows in heads.groupby(KEY, sort=False).indices.items():
        index = pd.MultiIndex.from_arrays([heads.seed.to_numpy()[rows], heads.scale.to_numpy()[rows]])
        out[key] = (index, values[rows])
    return out


def aligned_array(arrays: dict | None, key, curve: pd.DataFrame):
    """The (points, n_boot) replicates of one curve in the curve's row order (from replicate_arrays); None if absent."""
    if arrays is None or key not in arrays:
        return None
    index, values = arrays[key]
    where = index.get_indexer(pd.MultiIndex.from_arrays([curve["seed"].to_numpy(), curve["scale"].to_numpy()]))
    if (where < 0).any():
        raise InputError(f"replicates of curve {dict(zip(KEY, key))} lack some (seed, scale) points of the table")
    return values[where]
