"""Do rater groups' own labels conflict: can one classifier be close to every group's own best?

At one training size, one classifier is trained on the pooled label and one on each group's
own label (text_sweep). Each group judges every classifier by its error against the group's
own labels; a group's regret for a classifier is that error minus the group's best. The
conflict is the minimax regret: the smallest, over classifiers, of the largest regret over
groups (0 when one classifier is every group's best).

Regret is positive from noise alone (each group's best is a minimum over noisy errors), so
the conflict is read against a null that keeps every rater's labels and shuffles which group
each rater belongs to (group sizes kept), relabels, retrains the groups' classifiers, and
recomputes it. The effect is the observed conflict minus the null's median; its interval
resamples held-out items (seeds averaged); the p-value is the share of null conflicts at
least as large (+1 corrected).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import rater_groups, text_sweep
from .io import InputError


def _conflict(scores: pd.DataFrame, labels: pd.DataFrame, groups: list[str], test: np.ndarray,
              weights: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Minimax regret per weight row, and the (model x group) mean errors on the data."""
    error, units = text_sweep.errors(scores, labels[groups], test, weights)  # (weights, units, groups)
    models = sorted(units.model.unique())
    by_model = np.stack([np.nanmean(error[:, (units.model == m).to_numpy(), :], axis=1) for m in models], axis=1)
    table = pd.DataFrame(by_model[0], index=models, columns=groups)
    return text_sweep.minimax_regret(by_model), table


def _relabeller(ratings, raters, attribute, groups, positive_from, labels):
    """A function from the raters' shuffled `attribute` column to label_table's result under it: the
    groups' majority labels counted with numpy (label_table's groupby, once per shuffle, cost more than
    the classifiers), the pooled label kept (it does not depend on groups)."""
    frame = rater_groups.with_group(text_sweep.binarised(ratings, positive_from), raters, attribute)
    item = labels.index.get_indexer(frame["item"])
    rater = pd.Index(raters["rater"]).get_indexer(frame["rater"])
    values, value = np.unique(frame["label"].to_numpy(dtype=float), return_inverse=True)
    names = pd.Index(groups)

    def relabel(assignment: np.ndarray) -> pd.DataFrame:
        group = names.get_indexer(assignment[rater])
        mine = group >= 0
        votes = np.zeros((len(labels), len(groups), len(values)), int)
        np.add.at(votes, (item[mine], group[mine], value[mine]), 1)
        top = votes.max(axis=-1)
        tied = (votes == top[..., None]).sum(axis=-1) > 1
        relabelled = labels.copy()
        relabelled[groups] = np.where((top == 0) | tied, np.nan, values[votes.argmax(axis=-1)])  # as _summarise
        return relabelled

    return relabel


def conflict_test(ratings, raters, attribute: str, groups: list[str], texts: pd.Series, train: np.ndarray,
                  test: np.ndarray, n: int, seeds: int = 3, positive_from=None, n_boot: int = 200,
                  permutations: int = 99, seed: int = 0, n_jobs: int = 1) -> dict:
    """The conflict between `groups` of `attribute` at training size `n`, with its null (see module)."""
    if len(groups) < 2:
        raise InputError(f"conflict between groups needs two evaluable groups of {attribute!r}; found {groups}")
    labels = text_sweep.label_table(ratings, raters, attribute, groups, positive_from)
    models = [text_sweep.POOLED, *groups]
    scores = text_sweep.sweep(texts, labels, train, test, [n], seeds, models, n_jobs)
    if scores.model.nunique() < len(models):
        raise InputError(f"n = {n} exceeds the training items of some group's label; lower it")
    weights = text_sweep.item_weights(test, n_boot, seed)
    conflict, errors = _conflict(scores, labels, groups, test, weights)
    pooled_scores = scores[scores.model == text_sweep.POOLED]
    rng = np.random.default_rng([seed, 51])
    members = raters[raters[attribute].isin(groups)]
    relabel = _relabeller(ratings, raters, attribute, groups, positive_from, labels)
    null = np.empty(permutations)
    for p in range(permutations):
        shuffled = raters.copy()
        shuffled.loc[members.index, attribute] = rng.permutation(members[attribute].to_numpy())
        relabelled = relabel(shuffled[attribute].to_numpy())
        own = text_sweep.sweep(texts, relabelled, train, test, [n], seeds, groups, n_jobs)
        null[p] = _conflict(pd.concat([pooled_scores, own]), relabelled, groups, test, weights[:1])[0][0]
    centre = float(np.median(null))
    return {"n": n, "observed": float(conflict[0]), "boot": conflict[1:], "null": null, "null_median": centre,
            "excess": float(conflict[0]) - centre,
            "p_value": float((1 + np.sum(null >= conflict[0])) / (1 + permutations)), "errors": errors}


def _regrets_by_n(error, units, columns, groups, seed):
    """(sizes, classifiers per size, regrets (weight rows, sizes)); see conflict_by_n."""
    judged = [columns.index(g) for g in groups]
    seeds = np.sort(units.seed.unique())
    rng = np.random.default_rng([seed, 52])
    draws = np.vstack([np.arange(len(seeds)), rng.integers(0, len(seeds), (len(error) - 1, len(seeds)))])
    sizes, counts, regrets = [], [], []
    for n in sorted(units.scale.unique()):
        models = [m for m in units.model.unique() if ((units.model == m) & (units.scale == n)).sum() == len(seeds)]
        if len(models) < 2:
            continue
        index = [[int(np.flatnonzero((units.model == m) & (units.scale == n) & (units.seed == s))[0])
                  for s in seeds] for m in models]
        cell = error[:, np.array(index), :][..., judged]  # (weights, models, seeds, groups)
        by_model = np.stack([np.nanmean(cell[b][:, draws[b], :], axis=1) for b in range(len(error))])
        sizes.append(int(n))
        counts.append(len(models))
        regrets.append(text_sweep.minimax_regret(by_model))
    return sizes, counts, np.array(regrets).T.reshape(len(error), len(sizes))


def conflict_by_n(error: np.ndarray, units: pd.DataFrame, columns: list[str], groups: list[str],
                  level: float = 0.95, seed: int = 0) -> tuple[pd.DataFrame, dict | None]:
    """How the conflict moves with training size: at each n, the minimax regret among the classifiers
    trained at that n, each group judging by its own labels (no shuffle null: it includes the regret
    that noise alone gives, which conflict_test separates at one n).

    `error` (weight rows, units, label columns) and `units` come from text_sweep.errors, `columns` names
    its label columns. Row 0 is the data; every other row also redraws the seeds with replacement (one
    draw for every classifier, so they stay paired), so resamples carry seed and item noise.

    Returns the table (n, classifiers, minimax_regret, resample_low, resample_high: the central `level`
    range of the resamples, which a minimum of maxima over noisy errors biases upward, so it need not
    contain the estimate) and the change from the smallest n to the largest n with the same number of
    classifiers (a group's own classifier drops out beyond its labelled items, and a smaller candidate
    set alone lowers each group's best and so the regret): first_n, last_n, change, ci_low, ci_high, a
    paired percentile interval. The noise part of the regret also shrinks as n grows, so a fall is not by
    itself groups being reconciled. None when no two sizes share the full set.
    """
    sizes, counts, regrets = _regrets_by_n(error, units, columns, groups, seed)
    tail = (1 - level) / 2
    spread = np.quantile(regrets[1:], [tail, 1 - tail], axis=0) if len(error) > 1 else np.full((2, len(sizes)), np.nan)
    table = pd.DataFrame({"n": sizes, "classifiers": counts, "minimax_regret": regrets[0] if len(sizes) else [],
                          "resample_low": spread[0], "resample_high": spread[1]})
    same = [i for i, count in enumerate(counts) if count == counts[0]] if sizes else []
    if len(same) < 2:
        return table, None
    change = regrets[:, same[-1]] - regrets[:, 0]
    low, high = np.quantile(change[1:], [tail, 1 - tail]) if len(error) > 1 else (np.nan, np.nan)
    return table, {"first_n": sizes[0], "last_n": sizes[same[-1]], "classifiers": counts[0],
                   "change": float(change[0]), "ci_low": float(low), "ci_high": float(high)}
