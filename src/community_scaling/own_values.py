"""Claim C5 with communities judged by their own values, against a permuted-values null.

Each person holds values: a cost of a false alarm and of a miss, and the outcome
they count as good (the study's target `y` or an alternative `alt_*`). A study
file assigns values to communities (`values.assignment`: every member holds their
community's), or per-person values come from data. A community's cost of a
choice (model, scale, threshold) is the mean over its members of each member's
own cost, from seed-mean predictions. The conflict is the minimax relative regret
of the best common choice (as in values.conflict), per largest size allowed.

The null permutes which person holds which values (equivalently, the community
labels that carry values), keeping every person's predictions, outcomes and
community: communities that share one value profile give permuted draws like the
observed one; communities whose values really differ give an observed conflict
above the permuted draws. The p-value is (1 + draws >= observed) / (1 + draws).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .io import InputError, require_columns
from .values import _minimax, check_profiles, check_thresholds

CONFIG = ["scale", "model", "threshold"]  # scale first: nested candidate sets by largest size


def seed_mean_predictions(scores: np.ndarray, units: pd.DataFrame, thresholds) -> tuple[np.ndarray, pd.DataFrame]:
    """Share of seeds predicting positive (score >= threshold), per test row and choice.

    Returns an array (n_test, n_choices) in float32 and the choices table (scale, model, threshold),
    sorted by scale, model, threshold.
    """
    return seed_mean_predictions_streamed([(units, scores)], thresholds)


def seed_mean_predictions_streamed(batches, thresholds) -> tuple[np.ndarray, pd.DataFrame]:
    """seed_mean_predictions from `batches` of (units part, its scores (part, n_test)), such as
    sweep.iter_scores: the same arrays bit for bit (counts of 0/1 are exact in float32), holding
    one batch's scores and the running seed counts of each (scale, model)."""
    grid = check_thresholds(thresholds)
    counts, seeds = {}, {}
    for units, scores in batches:
        require_columns(units, ["model", "scale", "seed"], "units")
        scores = np.asarray(scores)
        if scores.ndim != 2 or scores.shape[0] != len(units):
            raise InputError(f"scores must have one row per unit ({len(units)}), got shape {scores.shape}")
        cut = grid.astype(scores.dtype if np.issubdtype(scores.dtype, np.floating) else np.float64)
        for (scale, model), group in units.reset_index(drop=True).groupby(["scale", "model"], sort=True):
            key = (int(scale), str(model))
            share = counts.setdefault(key, np.zeros((scores.shape[1], len(grid)), np.float32))
            for u in group.index:
                share += scores[u][:, None] >= cut[None, :]
            seeds[key] = seeds.get(key, 0) + len(group)
    if not counts:
        raise InputError("no units to predict with: the batches of scores are empty")
    keys = sorted(counts)
    rows = [(scale, model, float(t)) for scale, model in keys for t in grid]
    blocks = [counts.pop(key) / seeds[key] for key in keys]
    return np.concatenate(blocks, axis=1), pd.DataFrame(rows, columns=CONFIG)


def person_values(test: pd.DataFrame, assignment: Mapping, profiles: Mapping, evaluable: Mapping | None,
                  outcomes: Sequence[str] | None = None) -> dict:
    """Per-person values from a study's assignment {attribute: {community: profile or
    {profile, outcome}}} (one attribute). People outside an assigned, evaluable community hold none.

    Returns dict attribute, communities (list), codes (per row: index into communities, -1 for none),
    cost_fp, cost_fn (per row), outcome (per row: index into outcomes), outcomes (names), y (array
    (n_outcomes, n_test)), dropped (assigned communities left out as not evaluable).
    """
    profiles = check_profiles(profiles)
    if not isinstance(assignment, Mapping) or len(assignment) != 1:
        raise InputError("values.assignment must name exactly one attribute: {attribute: {community: profile}}")
    (attribute, spec), = assignment.items()
    require_columns(test, [attribute], "test")
    if not isinstance(spec, Mapping) or len(spec) < 2:
        raise InputError(f"values.assignment.{attribute} must map at least two communities to a profile")
    outcomes = list(outcomes) if outcomes is not None else ["y"] + sorted(c for c in test if str(c).startswith("alt_"))
    require_columns(test, outcomes, "test")
    present = set(test[attribute].dropna().astype(str))
    allowed = None if evaluable is None else {str(c) for c in evaluable.get(attribute, [])}
    communities, chosen, dropped = [], [], []
    for community, value in spec.items():
        profile, outcome = (value, "y") if isinstance(value, str) else (value.get("profile"), value.get("outcome", "y"))
        if profile not in profiles:
            raise InputError(f"values.assignment.{attribute}.{community}: unknown profile {profile!r}; "
                             f"known: {sorted(profiles)}")
        if outcome not in outcomes:
            raise InputError(f"values.assignment.{attribute}.{community}: unknown outcome {outcome!r}; "
                             f"known: {outcomes}")
        if str(community) not in present:
            raise InputError(f"values.assignment.{attribute} names {community!r}, which is not a community of "
                             f"{attribute!r} in the test data")
        if allowed is not None and str(community) not in allowed:
            dropped.append(str(community))
            continue
        communities.append(str(community))
        chosen.append((profiles[profile], outcomes.index(outcome)))
    column = test[attribute].astype(str).to_numpy()
    codes = np.full(len(test), -1)
    cost_fp, cost_fn, outcome = np.zeros(len(test)), np.zeros(len(test)), np.zeros(len(test), int)
    for k, (community, (profile, o)) in enumerate(zip(communities, chosen)):
        rows = column == community
        codes[rows], cost_fp[rows], cost_fn[rows], outcome[rows] = k, profile["cost_fp"], profile["cost_fn"], o
    y = np.stack([test[o].to_numpy(dtype=float) for o in outcomes])
    return {"attribute": attribute, "communities": communities, "codes": codes, "cost_fp": cost_fp,
            "cost_fn": cost_fn, "outcome": outcome, "outcomes": outcomes, "y": y, "dropped": dropped}


def _costs(predicted, codes, n_groups, cost_fp, cost_fn, y_own):
    """(groups, choices) mean cost per member: cost_fp FP + cost_fn FN from each member's own values.
    Rows must be sorted by group code (elementwise sums per group: no BLAS threads to contend for)."""
    slope = (cost_fp * (1 - y_own) - cost_fn * y_own).astype(np.float32)  # cost_i = slope_i P(pos) + cost_fn_i y_i
    fixed = cost_fn * y_own
    cheapest = np.where((cost_fp > 0) & (cost_fn > 0), np.minimum(cost_fp, cost_fn), np.maximum(cost_fp, cost_fn))
    bounds = np.searchsorted(codes, np.arange(n_groups + 1))
    mean = np.empty((n_groups, predicted.shape[1]))
    floor = np.empty(n_groups)
    for g in range(n_groups):
        rows = slice(bounds[g], bounds[g + 1])
        n = bounds[g + 1] - bounds[g]
        mean[g] = (np.einsum("i,ij->j", slope[rows], predicted[rows], dtype=np.float64) + fixed[rows].sum()) / n
        floor[g] = cheapest[rows].mean() / n  # one cheapest mistake per person
    return mean, floor


def own_value_conflict(predicted: np.ndarray, choices: pd.DataFrame, people: dict, n_perm: int = 200,
                       seed: int = 0) -> pd.DataFrame:
    """Minimax relative regret of the best common choice when each community is judged by its own
    members' values, per largest size allowed, with its permuted-values null.

    `predicted` and `choices` from seed_mean_predictions; `people` from person_values (or generated
    per-person values with the same keys). Columns: max_scale, n_judges, minimax_regret, null_median,
    null_q95, p_value, n_perm, model, scale, threshold, binding.
    """
    if not isinstance(n_perm, (int, np.integer)) or n_perm < 1:
        raise InputError(f"n_perm must be a positive integer, got {n_perm!r}")
    keep = people["codes"] >= 0
    n_groups = len(people["communities"])
    if n_groups < 2:
        raise InputError(f"own values need at least two evaluable communities with values, got {n_groups}")
    keep = np.flatnonzero(keep)
    keep = keep[np.argsort(people["codes"][keep], kind="stable")]  # rows grouped by community
    pred = np.ascontiguousarray(predicted[keep], dtype=np.float32)
    codes = people["codes"][keep]
    cfp, cfn, outcome = people["cost_fp"][keep], people["cost_fn"][keep], people["outcome"][keep]
    y = people["y"][:, keep]
    scales = choices["scale"].to_numpy()
    if np.any(np.diff(scales) < 0):
        raise InputError("choices must be sorted by scale (use seed_mean_predictions)")
    max_scales = np.unique(scales)
    ends = np.searchsorted(scales, max_scales, side="right")
    columns = np.arange(len(codes))

    def statistic(order):
        own_y = y[outcome[order], columns]  # a person's outcome column, under the values they hold
        mean, floor = _costs(pred, codes, n_groups, cfp[order], cfn[order], own_y)
        return _minimax(mean, floor, ends)

    observed, pick, regrets = statistic(columns)
    rng = np.random.default_rng([seed, 5505])
    draws = np.array([statistic(rng.permutation(len(codes)))[0] for _ in range(n_perm)])
    rows = []
    for i, max_scale in enumerate(max_scales):
        chosen = choices.iloc[pick[i]] if pick[i] >= 0 else None
        binds = [c for c, r in zip(people["communities"], regrets[i])
                 if observed[i] > 0 and r >= observed[i] * (1 - 1e-9)]
        rows.append({"max_scale": int(max_scale), "n_judges": n_groups, "minimax_regret": observed[i],
                     "null_median": float(np.median(draws[:, i])), "null_q95": float(np.quantile(draws[:, i], 0.95)),
                     "p_value": float((1 + np.sum(draws[:, i] >= observed[i] - 1e-12)) / (1 + n_perm)),
                     "n_perm": int(n_perm), "model": None if chosen is None else chosen["model"],
                     "scale": -1 if chosen is None else int(chosen["scale"]),
                     "threshold": np.nan if chosen is None else float(chosen["threshold"]),
                     "binding": "; ".join(binds)})
    return pd.DataFrame(rows)
