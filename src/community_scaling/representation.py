"""Representation (Rolf et al. 2021, arXiv 2103.03399): does a community gain more from its
own training rows than from rows of anyone else, and what becomes of a community that stays
barely represented while the total grows?

Input: the representation sweep (notebook 03), where at fixed totals n a community supplies
n_j of the training rows (0 included) and everyone else the rest. Per community:

- the model R_j = d + s (n_j + 1)^-p + t n^-q (scaling_fits.fit_rolf), with seed-bootstrap
  intervals;
- own-row advantage: how much more one more row from the community lowers its error than one
  more row from anyone else, (dR/dn_j + dR/dn) / dR/dn, at the largest total and the
  community's reference share of it (its share of the training split, or a stated share);
- absent excess: the error an absent community (n_j = 0) keeps however large n grows,
  above the floor d it could reach when represented: s (1 + 0)^-p = s;
- a model-free check at each total: error at the largest share minus error at share 0,
  paired by seed, with a t-interval over seeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import delayed
from scipy import stats

from . import scaling_fits as sf
from .io import InputError, require_columns
from .workers import parallel

REQUIRED = ("model", "scale", "seed", "community_count", "attribute", "community", "metric", "value")
RATIO_CAP = 1e6  # an own-row advantage at this cap (or an interval reaching it) is 'not identified'
OFFSET = 1.0

RULE = ("per community, at each total n: the error at the largest share minus the error at share 0, "
        "paired by seed, with a 95% t-interval over seeds; 'own data helps' when the interval lies below 0, "
        "'own data hurts' when above, 'no demonstrable effect' otherwise. A community is said to gain from "
        "its own rows at fixed n when its own data helps at the largest total")


@dataclass
class RepresentationResult:
    params: pd.DataFrame       # model, attribute, community, parameter, estimate, ci_low, ci_high
    effects: pd.DataFrame      # one row per community: model-based effects with intervals
    share_effect: pd.DataFrame  # one row per community x total: model-free paired difference
    predictions: pd.DataFrame  # model curves on a grid of counts, per community and total
    rule: str = RULE


def rolf_error(params: dict | pd.DataFrame, n_j, n, offset: float = OFFSET) -> np.ndarray:
    """R = d + s (n_j + offset)^-p + t n^-q; params as a dict or columns of a frame (vectorised)."""
    get = params.__getitem__
    n_j, n = np.asarray(n_j, float), np.asarray(n, float)
    return (np.asarray(get("d")) + np.asarray(get("s")) * (n_j + offset) ** -np.asarray(get("p"))
            + np.asarray(get("t")) * n ** -np.asarray(get("q")))


def own_row_advantage(params, n_j, n, offset: float = OFFSET) -> np.ndarray:
    """(|dR/dn_j| + |dR/dn|) / |dR/dn|: the gain of one more own row over one more row of anyone else."""
    get = params.__getitem__
    s, p, t, q = (np.asarray(get(k), float) for k in ("s", "p", "t", "q"))
    own = s * p * (float(n_j) + offset) ** -(p + 1)
    general = t * q * float(n) ** -(q + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = 1 + own / general
    return np.where(np.isfinite(ratio), np.minimum(ratio, RATIO_CAP), RATIO_CAP)


def check_table(rep: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The community's own rows of `metric` (community == boosted community)."""
    require_columns(rep, REQUIRED, "representation table")
    own = rep[(rep["attribute"] != sf.AGGREGATE) & (rep["metric"] == metric)]
    if "boosted" in own:
        own = own[own["community"] == own["boosted"]]
    if own.empty:
        raise InputError(f"representation table has no community rows of metric {metric!r}; "
                         f"metrics present: {sorted(map(str, rep['metric'].unique()))}")
    return own


def paired_share_effect(own: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per community and total: mean over seeds of error(largest share) - error(share 0), t-interval."""
    rows = []
    for (model, attribute, community, total), g in own.groupby(["model", "attribute", "community", "scale"]):
        counts = np.sort(g["community_count"].unique())
        if counts[0] != 0 or counts.size < 2:
            continue
        wide = g.pivot_table(index="seed", columns="community_count", values="value")[[counts[0], counts[-1]]].dropna()
        diff = (wide[counts[-1]] - wide[counts[0]]).to_numpy()
        k = diff.size
        mean = float(diff.mean())
        half = (float(stats.t.ppf(0.5 + level / 2, k - 1) * diff.std(ddof=1) / math.sqrt(k))
                if k >= 2 else float("nan"))
        low, high = mean - half, mean + half
        label = ("own data helps" if high < 0 else "own data hurts" if low > 0 else "no demonstrable effect")
        rows.append({"model": model, "attribute": attribute, "community": community, "total": int(total),
                     "count_low": int(counts[0]), "count_high": int(counts[-1]),
                     "error_at_zero": float(wide[counts[0]].mean()), "error_at_high": float(wide[counts[-1]].mean()),
                     "difference": mean, "ci_low": low, "ci_high": high, "seeds": k, "label": label})
    return pd.DataFrame(rows)


def _interval(samples, n_seeds, log=False, lower=None):
    samples = np.asarray(samples, float)
    log = log and bool(np.all(samples > 0))  # a resample at the bound 0 has no logarithm
    return sf.bootstrap_interval(samples, n_seeds, log=log, lower=lower)


PARAM_COLUMNS = ["model", "attribute", "community", "parameter", "estimate", "ci_low", "ci_high"]
# when every fit fails the curves are empty, with columns, so readers reach effects.note (the reason)
PREDICTION_COLUMNS = ["model", "attribute", "community", "total", "community_count", "predicted"]


def _fit_community(key: dict, g: pd.DataFrame, share, n_boot: int, rng_seed: int) -> tuple:
    """Rolf et al.'s model for one community: (intervals or None, effects row, model curves)."""
    n_max = float(g["scale"].max())
    shares = (g["community_count"] / g["scale"]).to_numpy(float)
    positive = shares[shares > 0]
    share = float(share) if share is not None else float(positive.min()) if positive.size else float("nan")
    n_j_ref = share * n_max
    row = {**key, "reference_share": share, "reference_total": n_max, "seeds": int(g["seed"].nunique()), "note": ""}
    try:
        fit = sf.fit_rolf(g["community_count"], g["scale"], g["value"], g["seed"], offset=OFFSET,
                          n_boot=n_boot, rng_seed=rng_seed)
    except (InputError, RuntimeError, ValueError) as exc:
        return None, {**row, "note": f"fit failed: {exc}"}, []
    row["success"] = fit.success
    samples = fit.samples if fit.samples is not None and len(fit.samples) else None
    point = {k: np.array(v) for k, v in fit.params.items()}
    # name: (estimate, interval on the log scale, function of the resamples, the model's lower bound)
    quantities = {
        "own_row_advantage": (own_row_advantage(point, n_j_ref, n_max), True,
                              lambda s: own_row_advantage(s, n_j_ref, n_max), 1.0),
        "absent_excess": (fit.params["s"] * OFFSET ** -fit.params["p"], True,
                          lambda s: s["s"] * OFFSET ** -s["p"], 0.0),
        "floor": (fit.params["d"], False, lambda s: s["d"], 0.0),
        "error_absent_at_total": (rolf_error(point, 0.0, n_max), False, lambda s: rolf_error(s, 0.0, n_max), 0.0),
        "error_reference_at_total": (rolf_error(point, n_j_ref, n_max), False,
                                     lambda s: rolf_error(s, n_j_ref, n_max), 0.0),
    }
    for name, (estimate, log, of_samples, lower) in quantities.items():
        row[name] = float(estimate)
        if samples is not None:
            low, high = _interval(of_samples(samples), fit.n_seeds, log=log and float(estimate) > 0, lower=lower)
            row[f"{name}_ci_low"], row[f"{name}_ci_high"] = float(low), float(high)
    # at the cap the data cannot tell how much more an own row is worth: a number would mislead
    row["own_row_advantage_identified"] = bool(row["own_row_advantage"] < RATIO_CAP
                                               and row.get("own_row_advantage_ci_high", 0.0) < RATIO_CAP)
    curves = []
    for total in sorted(g["scale"].unique()):
        grid = np.linspace(0, g.loc[g["scale"] == total, "community_count"].max(), 60)
        curves.append(pd.DataFrame({**key, "total": total, "community_count": grid,
                                    "predicted": rolf_error(point, grid, total)}))
    intervals = fit.intervals.assign(**key)[PARAM_COLUMNS] if fit.intervals is not None else None
    return intervals, row, curves


def fit_representation(rep: pd.DataFrame, metric: str = "error", n_boot: int = 200, rng_seed: int = 0,
                       reference_share: dict | None = None, n_jobs: int = 1) -> RepresentationResult:
    """Rolf et al.'s model per (model, attribute, community) of the representation sweep.

    `reference_share` maps a community to the share of the training rows it has in the data
    (the datasheet); a community not in it is evaluated at the smallest positive share swept.
    Communities whose fit fails are kept with the reason in `effects.note`. Communities are
    fitted in parallel with joblib (`n_jobs`).
    """
    own = check_table(rep, metric)
    reference_share = reference_share or {}
    groups = [({"model": m, "attribute": a, "community": c}, g)
              for (m, a, c), g in own.groupby(["model", "attribute", "community"], sort=True)]
    results = parallel(n_jobs)(delayed(_fit_community)(key, g, reference_share.get(key["community"]),
                                                              n_boot, rng_seed) for key, g in groups)
    params = [p for p, _, _ in results if p is not None]
    curves = [c for _, _, cs in results for c in cs]
    return RepresentationResult(
        params=pd.concat(params, ignore_index=True) if params else pd.DataFrame(columns=PARAM_COLUMNS),
        effects=pd.DataFrame([row for _, row, _ in results]), share_effect=paired_share_effect(own),
        predictions=pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=PREDICTION_COLUMNS))
