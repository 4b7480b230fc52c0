"""Claim C5: do communities' values conflict?

A community's values are a *profile* (the cost of a false alarm and of a miss)
and an *outcome* (which label counts as good: the study's target `y` or an
alternative `alt_*`). For every unit, decision threshold, outcome and
community we count false positives and false negatives and turn them into the
mean cost per person under each profile. A *choice* is (model, scale,
threshold). We then ask whether one choice is near-optimal for every
community at once (Diaz & Madaio 2023), and how that changes with n.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .io import InputError, require_columns

DEFAULT_PROFILES = {"symmetric": {"cost_fp": 1.0, "cost_fn": 1.0},
                    "false_alarm_averse": {"cost_fp": 4.0, "cost_fn": 1.0},
                    "miss_averse": {"cost_fp": 1.0, "cost_fn": 4.0}}
DEFAULT_THRESHOLDS = tuple(round(0.05 * k, 2) for k in range(1, 20))
UNIT_COLUMNS = ("unit_id", "model", "scale", "seed")
JUDGE = ["attribute", "community", "profile", "outcome"]
CONFIG = ["scale", "model", "threshold"]  # scale first: ties go to the smaller model
COST_COLUMNS = ["model", "scale", "seed", "threshold", *JUDGE, "n", "cost_fp", "cost_fn", "cost"]


# ---------------------------------------------------------------- checks

def check_profiles(profiles: Mapping) -> dict[str, dict[str, float]]:
    """Validated copy of value profiles: name -> {cost_fp, cost_fn}, non-negative, not both zero."""
    if not isinstance(profiles, Mapping) or not profiles:
        raise InputError("profiles must be a non-empty mapping name -> {cost_fp, cost_fn}")
    out = {}
    for name, profile in profiles.items():
        if not isinstance(profile, Mapping):
            raise InputError(f"profile {name!r} must be a mapping with cost_fp and cost_fn")
        unknown = sorted(set(profile) - {"cost_fp", "cost_fn"})
        missing = sorted({"cost_fp", "cost_fn"} - set(profile))
        if unknown or missing:
            raise InputError(f"profile {name!r}: unknown field(s) {unknown}, missing field(s) {missing}; "
                             "a profile has exactly cost_fp and cost_fn")
        costs = {}
        for key in ("cost_fp", "cost_fn"):
            value = profile[key]
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value):
                raise InputError(f"profile {name!r}: {key} must be a finite number, got {value!r}")
            if value < 0:
                raise InputError(f"profile {name!r}: {key} must be non-negative, got {value!r}")
            costs[key] = float(value)
        if costs["cost_fp"] == 0 and costs["cost_fn"] == 0:
            raise InputError(f"profile {name!r}: cost_fp and cost_fn are both zero (nothing to choose)")
        out[str(name)] = costs
    return out


def check_thresholds(thresholds) -> np.ndarray:
    """Sorted unique thresholds in [0, 1]; a non-empty grid."""
    try:
        grid = np.asarray(list(thresholds), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"thresholds must be numbers in [0, 1]: {exc}") from exc
    if grid.size == 0:
        raise InputError("thresholds is empty: give at least one decision threshold in [0, 1]")
    if not np.isfinite(grid).all() or (grid < 0).any() or (grid > 1).any():
        raise InputError(f"thresholds must lie in [0, 1], got {grid.tolist()}")
    return np.unique(grid)


def _outcomes(test: pd.DataFrame, outcomes) -> list[str]:
    if outcomes is None:
        outcomes = ["y"] + sorted(c for c in test.columns if str(c).startswith("alt_"))
    outcomes = list(outcomes)
    if not outcomes:
        raise InputError("outcomes is empty: name at least one 0/1 column of test")
    require_columns(test, outcomes, "test")
    for name in outcomes:
        column = test[name]
        if column.isna().any() or not column.isin([0, 1]).all():
            raise InputError(f"test column {name!r} must be 0/1 with no missing values")
    return outcomes


def _memberships(test: pd.DataFrame, attributes: Sequence[str]):
    """Group table (attribute, community, n) and (row, group) membership pairs; group 0 is everyone."""
    attributes = list(attributes)
    require_columns(test, attributes, "test")
    if "all" in attributes:
        raise InputError("attribute name 'all' is reserved for the aggregate")
    n_rows = len(test)
    names, rows, groups = [("all", "all")], [np.arange(n_rows)], [np.zeros(n_rows, np.int64)]
    for attribute in attributes:
        codes, uniques = pd.factorize(test[attribute], sort=True)
        keep = codes >= 0  # NaN: not in any community of this attribute
        rows.append(np.flatnonzero(keep))
        groups.append(codes[keep].astype(np.int64) + len(names))
        names.extend((attribute, str(u)) for u in uniques)
    table = pd.DataFrame(names, columns=["attribute", "community"])
    rows, groups = np.concatenate(rows), np.concatenate(groups)
    table["n"] = np.bincount(groups, minlength=len(table))
    return table, rows, groups


# ---------------------------------------------------------------- costs

def expected_costs(scores: np.ndarray, units: pd.DataFrame, test: pd.DataFrame, attributes: Sequence[str],
                   profiles: Mapping = DEFAULT_PROFILES, outcomes: Sequence[str] | None = None,
                   thresholds=DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """Mean cost per person for every unit x threshold x outcome x community x profile.

    A person is predicted positive when score >= threshold, compared in the scores' float
    dtype (as numpy compares `scores >= threshold`).
    cost = (cost_fp * FP + cost_fn * FN) / n for the community's n test rows.
    Returns one row per combination: unit_id, model, scale, seed, threshold, outcome,
    attribute, community, profile, n, positives, fp, fn, cost_fp, cost_fn, cost
    (attribute = community = "all" is everyone).
    """
    require_columns(units, UNIT_COLUMNS, "units")
    scores = np.asarray(scores)
    if scores.ndim != 2 or scores.shape[0] != len(units):
        raise InputError(f"scores must have one row per unit ({len(units)}), got shape {scores.shape}")
    if scores.shape[1] != len(test):
        raise InputError(f"scores has {scores.shape[1]} columns but test has {len(test)} rows")
    bad = ~np.isfinite(scores).all(axis=1)
    if bad.any():
        raise InputError(f"scores has missing or infinite values for unit(s) "
                         f"{units['unit_id'].iloc[np.flatnonzero(bad)[:5]].tolist()}")
    profiles = check_profiles(profiles)
    grid = check_thresholds(thresholds)
    outcomes = _outcomes(test, outcomes)
    groups, rows, gid = _memberships(test, attributes)

    n_units, n_thr, n_groups, n_out = len(units), len(grid), len(groups), len(outcomes)
    bins = n_thr + 1  # bin k = how many thresholds a score reaches
    base = gid * bins
    labels = [test[o].to_numpy().astype(bool) for o in outcomes]
    pos_base, pos_rows = [], []
    for y in labels:
        hit = y[rows]
        pos_base.append(base[hit])
        pos_rows.append(rows[hit])
    positives = np.stack([np.bincount(gid[y[rows]], minlength=n_groups) for y in labels])

    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    cut = grid.astype(scores.dtype)  # so a score equal to a threshold counts as positive, as in numpy
    fp = np.empty((n_units, n_out, n_groups, n_thr), np.int64)
    fn = np.empty_like(fp)
    for u in range(n_units):
        k = np.searchsorted(cut, scores[u], side="right")
        total = np.bincount(base + k[rows], minlength=n_groups * bins).reshape(n_groups, bins)
        for o in range(n_out):
            pos = np.bincount(pos_base[o] + k[pos_rows[o]], minlength=n_groups * bins).reshape(n_groups, bins)
            neg = total - pos
            # predicted positive at threshold j  <=>  k > j
            fn[u, o] = np.cumsum(pos, axis=1)[:, :n_thr]
            fp[u, o] = np.cumsum(neg[:, ::-1], axis=1)[:, ::-1][:, 1:]

    cfp = np.array([p["cost_fp"] for p in profiles.values()])
    cfn = np.array([p["cost_fn"] for p in profiles.values()])
    n = groups["n"].to_numpy()
    cost = (fp[..., None] * cfp + fn[..., None] * cfn) / n[None, None, :, None, None]
    shape = cost.shape  # (unit, outcome, group, threshold, profile)
    idx = [np.broadcast_to(np.arange(s).reshape([-1 if d == a else 1 for d in range(5)]), shape).ravel()
           for a, s in enumerate(shape)]
    u_i, o_i, g_i, t_i, p_i = idx
    names = list(profiles)
    return pd.DataFrame({
        "unit_id": units["unit_id"].to_numpy()[u_i].astype(str),
        "model": units["model"].to_numpy()[u_i].astype(str),
        "scale": units["scale"].to_numpy()[u_i].astype(np.int64),
        "seed": units["seed"].to_numpy()[u_i].astype(np.int64),
        "threshold": grid[t_i],
        "outcome": np.asarray(outcomes)[o_i],
        "attribute": groups["attribute"].to_numpy()[g_i].astype(str),
        "community": groups["community"].to_numpy()[g_i].astype(str),
        "profile": np.asarray(names)[p_i],
        "n": n[g_i],
        "positives": positives[o_i, g_i],
        "fp": np.repeat(fp.ravel(), len(names)),
        "fn": np.repeat(fn.ravel(), len(names)),
        "cost_fp": cfp[p_i],
        "cost_fn": cfn[p_i],
        "cost": cost.ravel(),
    })


# ---------------------------------------------------------------- seeds

def seed_bootstrap_weights(n_seeds: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n_seeds) counts: how often each seed is drawn when resampling seeds with replacement.

    Seeds are resampled as labels across all configurations, because a seed fixes
    the training subsample shared by every model and size.
    """
    return rng.multinomial(n_seeds, np.full(n_seeds, 1.0 / n_seeds), size=n_boot).astype(np.float64)


def weighted_seed_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Mean over axis 0 (seeds) with weights, ignoring NaN; NaN where no weighted seed is present."""
    present = ~np.isnan(values)
    num = np.tensordot(weights, np.where(present, values, 0.0), axes=(0, 0))
    den = np.tensordot(weights, present.astype(np.float64), axes=(0, 0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def bootstrap_interval(point: float, draws: np.ndarray, kind: str = "percentile", floor: float | None = None):
    """95% interval from bootstrap draws: "percentile" (2.5th, 97.5th) or "basic" (2 point - 97.5th,
    2 point - 2.5th, clipped at `floor`), which undoes a shift of the draws away from the estimate."""
    draws = np.asarray(draws, dtype=np.float64)
    draws = draws[~np.isnan(draws)]
    if not draws.size or not np.isfinite(point):
        return np.nan, np.nan
    low, high = np.percentile(draws, [2.5, 97.5])
    if kind == "percentile":
        return float(low), float(high)
    if kind == "basic":
        low, high = 2 * point - high, 2 * point - low
        if floor is not None:
            low, high = max(low, floor), max(high, floor)
        return float(low), float(high)
    raise InputError(f"interval must be 'percentile' or 'basic', got {kind!r}")


def _tensor(costs: pd.DataFrame):
    """Per-seed costs as an array (seed, judge, config), with the judge and config tables."""
    require_columns(costs, COST_COLUMNS, "costs")
    judge_id = costs.groupby(JUDGE, sort=True).ngroup().to_numpy()
    config_id = costs.groupby(CONFIG, sort=True).ngroup().to_numpy()
    seeds, seed_id = np.unique(costs["seed"].to_numpy(), return_inverse=True)
    judges = (costs.assign(_j=judge_id).drop_duplicates("_j").sort_values("_j")
              [JUDGE + ["n", "cost_fp", "cost_fn"]].reset_index(drop=True))
    configs = costs.assign(_c=config_id).drop_duplicates("_c").sort_values("_c")[CONFIG].reset_index(drop=True)
    values = np.full((len(seeds), len(judges), len(configs)), np.nan)
    flat = np.ravel_multi_index((seed_id, judge_id, config_id), values.shape)
    if len(np.unique(flat)) != len(flat):
        raise InputError("costs has duplicate rows for one (seed, model, scale, threshold, attribute, "
                         "community, profile, outcome)")
    values.ravel()[flat] = costs["cost"].to_numpy(np.float64)
    return values, judges, configs, seeds


def _floor(judges: pd.DataFrame) -> np.ndarray:
    # Relative regret divides by the best cost; when that is ~0, use one cheapest mistake per person.
    fp, fn = judges["cost_fp"].to_numpy(), judges["cost_fn"].to_numpy()
    cheapest = np.where((fp > 0) & (fn > 0), np.minimum(fp, fn), np.maximum(fp, fn))
    return cheapest / judges["n"].to_numpy()


# ---------------------------------------------------------------- choices

def choices(costs: pd.DataFrame) -> pd.DataFrame:
    """Each (attribute, community, profile, outcome)'s best (model, scale, threshold) by seed-mean cost,
    among units with scale <= max_scale, for every max_scale (the largest = the overall best).

    Columns: attribute, community, profile, outcome, max_scale, model, scale, threshold, cost.
    Ties go to the smaller scale.
    """
    values, judges, configs, _ = _tensor(costs)
    mean = np.nanmean(values, axis=0)
    mean = np.where(np.isnan(mean), np.inf, mean)
    scales = configs["scale"].to_numpy()
    frames = []
    for max_scale in np.unique(scales):
        end = int(np.searchsorted(scales, max_scale, side="right"))  # configs sorted by scale
        pick = mean[:, :end].argmin(axis=1)
        frame = judges[JUDGE].copy()
        frame["max_scale"] = max_scale
        frame[["model", "scale", "threshold"]] = configs.loc[pick, ["model", "scale", "threshold"]].to_numpy()
        frame["cost"] = mean[np.arange(len(judges)), pick]
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    return out.astype({"scale": np.int64, "threshold": np.float64, "cost": np.float64})


def regret_table(costs: pd.DataFrame, max_scale: int | None = None) -> pd.DataFrame:
    """Relative regret (cost - best) / max(best, floor) of every choice for every judge, by seed-mean cost,
    among choices with scale <= max_scale (default: all). The floor is one cheapest mistake per person."""
    values, judges, configs, _ = _tensor(costs)
    mean = np.nanmean(values, axis=0)
    keep = np.ones(len(configs), bool) if max_scale is None else configs["scale"].to_numpy() <= max_scale
    if not keep.any():
        raise InputError(f"max_scale={max_scale} is below every scale in costs")
    mean = mean[:, keep]
    best = np.nanmin(mean, axis=1)
    regret = (mean - best[:, None]) / np.maximum(best, _floor(judges))[:, None]
    kept = configs[keep].reset_index(drop=True)
    j, c = np.indices(mean.shape)
    out = judges.loc[j.ravel(), JUDGE].reset_index(drop=True)
    out[["model", "scale", "threshold"]] = kept.loc[c.ravel(), ["model", "scale", "threshold"]].to_numpy()
    out["cost"], out["best_cost"], out["regret"] = mean.ravel(), best[j.ravel()], regret.ravel()
    return out.astype({"scale": np.int64, "threshold": np.float64})


# ---------------------------------------------------------------- conflict

def _minimax(mean: np.ndarray, floor: np.ndarray, ends: np.ndarray):
    """For each candidate set configs[:end]: the choice minimising the maximum relative regret.

    mean is (judge, config) with NaN for configs lacking a seed; such configs cannot be chosen.
    Returns minimax regret, choice index and the judges' regrets under that choice, per end.
    """
    usable = ~np.isnan(mean).any(axis=0)
    mean = np.where(usable, mean, np.inf)
    value = np.full(len(ends), np.nan)
    pick = np.full(len(ends), -1)
    regrets = []
    for i, end in enumerate(ends):
        sub = mean[:, :end]
        best = sub.min(axis=1)
        if not np.isfinite(best).all():
            regrets.append(np.full(len(mean), np.nan))
            continue
        regret = (sub - best[:, None]) / np.maximum(best, floor)[:, None]
        worst = regret.max(axis=0)
        pick[i] = int(worst.argmin())
        value[i] = worst[pick[i]]
        regrets.append(regret[:, pick[i]])
    return value, pick, regrets


def _mixed_judges(judges: pd.DataFrame, communities: pd.DataFrame, mixed) -> np.ndarray:
    """Judge indices for the mixed-values scenario."""
    key = dict(zip(zip(judges.attribute, judges.community, judges.profile, judges.outcome), judges.index))
    if mixed is None:
        wanted = set(zip(communities.attribute, communities.community))
        return judges.index[[(a, c) in wanted for a, c in zip(judges.attribute, judges.community)]].to_numpy()
    profiles, outcomes = sorted(set(judges.profile)), sorted(set(judges.outcome))
    picked = []
    for community, spec in mixed.items():
        if not (isinstance(community, tuple) and len(community) == 2):
            raise InputError(f"mixed: keys must be (attribute, community) tuples, got {community!r}")
        specs = [spec] if isinstance(spec, (str, tuple)) else list(spec)
        for item in specs:
            profile, outcome = (item, None) if isinstance(item, str) else item
            if profile not in profiles:
                raise InputError(f"mixed: unknown profile {profile!r} for {community}; known: {profiles}")
            if outcome is not None and outcome not in outcomes:
                raise InputError(f"mixed: unknown outcome {outcome!r} for {community}; known: {outcomes}")
            for o in [outcome] if outcome is not None else outcomes:
                j = key.get((*community, profile, o))
                if j is None:
                    raise InputError(f"mixed: community {community} is not in costs")
                picked.append(j)
    return np.unique(picked)


def conflict(costs: pd.DataFrame, evaluable: Mapping[str, Sequence[str]] | None, tolerance: float = 0.02,
             mixed: Mapping | None = None, n_boot: int = 200, seed: int = 0,
             interval: str = "basic") -> pd.DataFrame:
    """Is one (model, scale, threshold) near-optimal for every evaluable community?

    For each max_scale n (choices and each community's own best both restricted to
    scale <= n) and each scenario, the common choice minimises the maximum over judges
    (`evaluable`: attribute -> communities; None means every community in costs, tiny ones too)
    of relative regret (cost - best) / max(best, floor). Scenarios: one per
    (profile, outcome), judged by every evaluable community; and "mixed", where the
    judges are (community, profile, outcome) triples: `mixed` maps (attribute, community)
    to a profile name, a (profile, outcome) pair or a list of them (a bare profile
    means every outcome); default: every profile and outcome for every community.
    The interval comes from a bootstrap over seeds (n_boot resamples). By default it is
    the "basic" interval: resampling a few seeds repeats some, which adds noise to the
    seed means, and a minimax of noisy means is pushed upward; the basic interval
    reflects that shift back instead of carrying it into the verdict.

    Columns: scenario, profile, outcome, max_scale, n_judges, minimax_regret, ci_low,
    ci_high, model, scale, threshold, binding, n_binding, share_within_tolerance,
    near_optimal (minimax_regret <= tolerance), p_near_optimal (bootstrap share), tolerance,
    n_boot, interval.
    """
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise InputError(f"tolerance must be a non-negative number, got {tolerance!r}")
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise InputError(f"n_boot must be a non-negative integer, got {n_boot!r}")
    if interval not in ("basic", "percentile"):
        raise InputError(f"interval must be 'basic' or 'percentile', got {interval!r}")
    values, judges, configs, seeds = _tensor(costs)
    people = judges[judges.attribute != "all"][["attribute", "community"]].drop_duplicates()
    if evaluable is not None:
        wanted = {(a, str(c)) for a, cs in evaluable.items() for c in cs}
        missing = wanted - set(zip(people.attribute, people.community))
        if missing:
            raise InputError(f"evaluable names communities absent from costs: {sorted(missing)[:5]}")
        people = people[[k in wanted for k in zip(people.attribute, people.community)]]
    if people.empty:
        raise InputError("conflict needs at least one evaluable community (besides the aggregate)")
    in_people = set(zip(people.attribute, people.community))
    member = np.array([k in in_people for k in zip(judges.attribute, judges.community)])

    scenarios = [(f"profile={p}, outcome={o}", p, o,
                  np.flatnonzero(member & (judges.profile == p).to_numpy() & (judges.outcome == o).to_numpy()))
                 for p in sorted(set(judges.profile)) for o in sorted(set(judges.outcome))]
    scenarios.append(("mixed", "*", "*", _mixed_judges(judges, people, mixed)))

    floor = _floor(judges)
    scales = configs["scale"].to_numpy()
    max_scales = np.unique(scales)
    ends = np.searchsorted(scales, max_scales, side="right")
    point = weighted_seed_mean(values, np.ones(len(seeds)))
    boots = []
    if n_boot:
        rng = np.random.default_rng(seed)
        for w in seed_bootstrap_weights(len(seeds), n_boot, rng):
            mean = weighted_seed_mean(values, w)
            boots.append([_minimax(mean[idx], floor[idx], ends)[0] for _, _, _, idx in scenarios])
    boots = np.array(boots) if boots else np.full((0, len(scenarios), len(ends)), np.nan)

    rows = []
    for s, (name, profile, outcome, idx) in enumerate(scenarios):
        value, pick, regrets = _minimax(point[idx], floor[idx], ends)
        sub = judges.loc[idx]
        labels = [f"{a}={c}" if name != "mixed" else f"{a}={c} [{p}, {o}]"
                  for a, c, p, o in zip(sub.attribute, sub.community, sub.profile, sub.outcome)]
        for i, max_scale in enumerate(max_scales):
            regret = regrets[i]
            binds = [lab for lab, r in zip(labels, regret) if value[i] > 0 and r >= value[i] * (1 - 1e-9)]
            draws = boots[:, s, i]
            ok = draws[~np.isnan(draws)]
            low, high = bootstrap_interval(value[i], ok, interval, floor=0.0)
            chosen = configs.loc[pick[i]] if pick[i] >= 0 else None
            rows.append({
                "scenario": name, "profile": profile, "outcome": outcome, "max_scale": int(max_scale),
                "n_judges": len(idx), "minimax_regret": value[i],
                "ci_low": low, "ci_high": high,
                "model": chosen["model"] if chosen is not None else None,
                "scale": int(chosen["scale"]) if chosen is not None else -1,
                "threshold": float(chosen["threshold"]) if chosen is not None else np.nan,
                "binding": "; ".join(binds), "n_binding": len(binds),
                "share_within_tolerance": float(np.mean(regret <= tolerance)) if chosen is not None else np.nan,
                "near_optimal": bool(value[i] <= tolerance),
                "p_near_optimal": float(np.mean(ok <= tolerance)) if ok.size else np.nan,
                "tolerance": float(tolerance), "n_boot": int(n_boot), "interval": interval,
            })
    return pd.DataFrame(rows)


def expected_costs_streamed(batches, test: pd.DataFrame, attributes: Sequence[str],
                            profiles: Mapping = DEFAULT_PROFILES, outcomes: Sequence[str] | None = None,
                            thresholds=DEFAULT_THRESHOLDS) -> pd.DataFrame:
    """expected_costs from `batches` of (units part, its scores (part, n_test)), such as
    sweep.iter_scores: the same table bit for bit (its rows are unit-major), holding one
    batch's scores at a time."""
    frames = [expected_costs(scores, part, test, attributes, profiles, outcomes, thresholds)
              for part, scores in batches]
    if not frames:
        raise InputError("no units to cost: the batches of scores are empty")
    return pd.concat(frames, ignore_index=True)
