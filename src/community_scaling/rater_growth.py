"""C2 in rater space: what a pool of raters holds as raters are added.

Two descriptive curves over random orders of recruitment (the files record no real order):
how many groups of an attribute are represented among the first k raters, and how well the
pooled label of the first k raters outside a group (their majority) agrees with the group's own
label (the majority of all its raters). In random order the first is a sampling identity, so neither is
a test of C2; they show how long small groups stay unseen and whom the pooled label follows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .io import InputError, require_columns
from .rater_groups import pooled_labels
from .text_sweep import binarised, label_table


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
    """Agreement of the pooled label of the first k raters *outside* a group with that group's own label
    (all its raters), per order and k in `steps` (those there are enough others for) and k = all others:
    the share of items, among those both label, where they agree. The group's own raters are left out of
    the pool, or agreement with a large group would be largely the group agreeing with itself. A tie gives no label, so tied items drop out (`items` says how
    many are compared). Columns: order, raters, group, agreement, items, group_raters_per_item (the mean
    number of the group's raters behind its label: a label from one rater is noisier).
    """
    ratings = binarised(ratings, positive_from)
    reference = label_table(ratings, raters, attribute, groups)[groups]
    group_of = raters.set_index("rater")[attribute]
    behind = ratings.assign(group=ratings.rater.map(group_of)).groupby(["group", "item"]).size()
    rows = []
    for group in groups:
        depth = float(behind.loc[group].reindex(reference[group].dropna().index).mean())
        for o, order in enumerate(orders):
            others = order[group_of.reindex(order).to_numpy() != group]
            for k in sorted({k for k in steps if k <= len(others)} | {len(others)}):  # and all the others
                first = ratings[ratings.rater.isin(others[:k])]
                pooled = pooled_labels(first).set_index("item").label.reindex(reference.index)
                both = pooled.notna() & reference[group].notna()
                agree = float((pooled[both] == reference.loc[both, group]).mean()) if both.any() else np.nan
                rows.append({"order": o, "raters": k, "group": group, "agreement": agree, "items": int(both.sum()),
                             "group_raters_per_item": depth})
    return pd.DataFrame(rows, columns=["order", "raters", "group", "agreement", "items", "group_raters_per_item"])
