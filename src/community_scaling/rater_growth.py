"""C2 in rater space: what a pool of raters holds as raters are added.

Two descriptive curves over random orders of recruitment (the files record no real order):
how many groups of an attribute are represented among the first k raters, and how well the
pooled label of the first k raters (their majority) agrees with each group's own label (the
majority of all its raters). In random order the first is a sampling identity, so neither is
a test of C2; they show how long small groups stay unseen and whom the pooled label follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .io import InputError, require_columns
from .rater_groups import pooled_labels
from .text_sweep import label_table


def random_orders(raters: pd.DataFrame, orders: int, seed: int = 0) -> list[np.ndarray]:
    """`orders` random permutations of the raters' ids (reproducible from `seed`)."""
    require_columns(raters, ["rater"], "raters")
    if orders < 1:
        raise InputError(f"orders must be >= 1, got {orders}")
    rng = np.random.default_rng([seed, 41])
    return [rng.permutation(raters.rater.to_numpy()) for _ in range(orders)]


def groups_represented(raters: pd.DataFrame, attribute: str, orders: list[np.ndarray]) -> np.ndarray:
    """(orders, raters) array: distinct groups of `attribute` among the first k raters of each order."""
    require_columns(raters, ["rater", attribute], "raters")
    group_of = raters.set_index("rater")[attribute]
    curves = []
    for order in orders:
        codes = pd.factorize(group_of.reindex(order).to_numpy())[0]
        first_seen = np.zeros(len(order), bool)
        first_seen[np.unique(codes, return_index=True)[1]] = True
        curves.append(np.cumsum(first_seen))
    return np.array(curves)


def pooled_agreement(ratings: pd.DataFrame, raters: pd.DataFrame, attribute: str, groups: list[str],
                     steps: list[int], orders: list[np.ndarray], positive_from=None) -> pd.DataFrame:
    """Agreement of the first k raters' pooled label with each group's own label (all its raters), per
    order and k in `steps`: the share of items, among those both label, where they agree.
    Columns: order, raters, group, agreement, items."""
    if positive_from is not None:  # each rater's rating counts as positive from here on, before any vote
        ratings = ratings.assign(label=(ratings.label >= positive_from).astype(float))
    reference = label_table(ratings, raters, attribute, groups)[groups]
    rows = []
    for o, order in enumerate(orders):
        for k in steps:
            if k > len(order):
                continue
            first = ratings[ratings.rater.isin(order[:k])]
            pooled = pooled_labels(first).set_index("item").label.reindex(reference.index)
            for group in groups:
                both = pooled.notna() & reference[group].notna()
                agree = float((pooled[both] == reference.loc[both, group]).mean()) if both.any() else np.nan
                rows.append({"order": o, "raters": k, "group": group, "agreement": agree, "items": int(both.sum())})
    return pd.DataFrame(rows, columns=["order", "raters", "group", "agreement", "items"])
