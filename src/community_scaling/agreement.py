"""Agreement among raters within and across rater groups, and a permutation test of a group effect.

Inputs are the standard tables of rater_labels (ratings: item, rater, label; raters:
rater, attributes). `values` is the label scale (RaterTables.values): labels outside it
are refused; by default it is the labels found. `level` is alpha's level of measurement:
"nominal" for binary labels, "ordinal" or "interval" for a 1-5 scale.

- Within a group: Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's
  alpha-reliability"), computed by the `krippendorff` package from per-item value counts.
- Across two groups X, Y: cross-kappa of cross-replication reliability (xRR; Wong,
  Paritosh & Aroyo 2021, "Cross-replication reliability - an empirical approach to
  interpreting inter-rater reliability", ACL): kappa_x = 1 - d_o / d_e on the items both
  groups rated, where d_o is the mean distance between an X rating and a Y rating of the
  same item (per item, then over items weighted by their number of ratings, as the
  authors' code does) and d_e the mean distance between an X and a Y rating of any two
  items. Its normalised form kappa_x / sqrt(alpha_X * alpha_Y) is 1 when the groups agree
  with each other as well as within themselves. Distances are alpha's: nominal 0/1,
  interval squared difference, ordinal Krippendorff's rank metric on the pooled ratings
  of both groups. It needs no within-group pairs, so it also works on EPIC's one label per group.
- permutation_test: does a rater's group predict agreement? Statistic: mean within-group
  alpha minus mean cross-group kappa_x; the null shuffles the group attribute among raters.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import krippendorff
import numpy as np
import pandas as pd

from .io import InputError
from .rater_groups import check_ratings, with_group

LEVELS = ("nominal", "ordinal", "interval")


@dataclass(frozen=True)
class _Coded:
    """Ratings as integer codes, so that counts per group are one bincount."""

    item: np.ndarray  # item index of each rating
    value: np.ndarray  # index into `values` of each rating
    values: np.ndarray
    n_items: int

    def counts(self, keep: np.ndarray | None = None) -> np.ndarray:
        """(n_items, n_values) number of kept ratings of each value on each item."""
        item, value = (self.item, self.value) if keep is None else (self.item[keep], self.value[keep])
        flat = np.bincount(item * len(self.values) + value, minlength=self.n_items * len(self.values))
        return flat.reshape(self.n_items, len(self.values))


def _code(ratings: pd.DataFrame, values, level: str) -> _Coded:
    if level not in LEVELS:
        raise InputError(f"level must be one of {LEVELS}, got {level!r}")
    label = check_ratings(ratings)["label"].to_numpy(float)
    values = np.unique(label) if values is None else np.asarray(sorted(values), float)
    outside = ~np.isin(label, values)
    if outside.any():
        found = sorted({float(v) for v in label[outside]})[:5]
        raise InputError(f"ratings: label(s) {found} are not in values {values.tolist()}")
    item, _ = pd.factorize(ratings["item"])
    return _Coded(item, np.searchsorted(values, label), values, int(item.max()) + 1 if len(item) else 0)


def _alpha(counts: np.ndarray, values: np.ndarray, level: str) -> float:
    if len(values) < 2 or (counts.sum(axis=1) < 2).all():
        return np.nan  # no scale or no item rated twice: alpha is undefined
    with np.errstate(divide="ignore", invalid="ignore"):  # every pairable rating equal: 0/0
        return float(krippendorff.alpha(value_counts=counts, value_domain=values, level_of_measurement=level))


def alpha(ratings: pd.DataFrame, level: str, values=None) -> float:
    """Krippendorff's alpha of all ratings (NaN when no item has two ratings or all labels are equal)."""
    coded = _code(ratings, values, level)
    return _alpha(coded.counts(), coded.values, level)


def _distances(values: np.ndarray, level: str, pooled: np.ndarray) -> np.ndarray:
    """(n_values, n_values) alpha's distance between labels; ordinal uses the pooled value counts."""
    if level == "nominal":
        return 1.0 - np.eye(len(values))
    if level == "interval":
        return np.subtract.outer(values, values) ** 2
    index = np.arange(len(values))
    low, high = np.minimum.outer(index, index), np.maximum.outer(index, index)
    cumulative = np.concatenate([[0], np.cumsum(pooled)])
    between = cumulative[high + 1] - cumulative[low]  # ratings from the lower label to the higher, inclusive
    return (between - (pooled[low] + pooled[high]) / 2) ** 2


def _kappa_x(x: np.ndarray, y: np.ndarray, values: np.ndarray, level: str) -> float:
    """Cross-kappa of two (n_items, n_values) count tables, on the items both rated."""
    shared = (x.sum(axis=1) > 0) & (y.sum(axis=1) > 0)
    if not shared.any():
        return np.nan
    x, y = x[shared], y[shared]
    n_x, n_y = x.sum(axis=1), y.sum(axis=1)
    distance = _distances(values, level, x.sum(axis=0) + y.sum(axis=0))
    # Per item, the mean X-Y distance, weighted by the item's ratings (n_x + n_y) as in the
    # authors' implementation (google-research/cross-replication-reliability, WITH_MISSING_DATA).
    per_item = ((x @ distance) * y).sum(axis=1) / (n_x * n_y)
    observed = np.sum(per_item * (n_x + n_y)) / np.sum(n_x + n_y)
    expected = x.sum(axis=0) @ distance @ y.sum(axis=0) / (n_x.sum() * n_y.sum())
    return float(1 - observed / expected) if expected > 0 else np.nan


def _grouped(ratings, raters, attribute, level, values, min_raters):
    """Coded ratings of the groups with at least `min_raters` raters, and each rating's rater and group codes."""
    frame = with_group(ratings, raters, attribute)
    sizes = frame.groupby("group")["rater"].nunique()
    frame = frame[frame["group"].isin(sizes.index[sizes >= min_raters])]
    rater, _ = pd.factorize(frame["rater"])  # codes in order of first appearance, as drop_duplicates keeps
    group_of_rater = frame.drop_duplicates("rater")["group"].to_numpy()
    names, group_of_rater = np.unique(group_of_rater, return_inverse=True)
    return _code(frame, values, level), rater, group_of_rater, names


def within_group_alpha(ratings: pd.DataFrame, raters: pd.DataFrame, attribute: str, level: str, values=None,
                       min_raters: int = 2) -> pd.DataFrame:
    """Krippendorff's alpha among each group's raters (groups with at least `min_raters` raters).

    Returns columns group, alpha, n_raters, n_items (items rated by two or more of the group's raters).
    """
    coded, rater, group_of_rater, names = _grouped(ratings, raters, attribute, level, values, min_raters)
    rows = []
    for g, name in enumerate(names):
        counts = coded.counts(group_of_rater[rater] == g)
        rows.append({"group": name, "alpha": _alpha(counts, coded.values, level),
                     "n_raters": int((group_of_rater == g).sum()), "n_items": int((counts.sum(axis=1) >= 2).sum())})
    return pd.DataFrame(rows, columns=["group", "alpha", "n_raters", "n_items"])


def cross_group_agreement(ratings: pd.DataFrame, raters: pd.DataFrame, attribute: str, level: str, values=None,
                          min_raters: int = 1) -> pd.DataFrame:
    """xRR between every pair of groups (Wong, Paritosh & Aroyo 2021; see the module docstring).

    Returns columns group_a, group_b, kappa_x, normalized_kappa_x (kappa_x / sqrt(alpha_a * alpha_b),
    NaN unless both within-group alphas are positive), n_items (items rated by both groups).
    """
    coded, rater, group_of_rater, names = _grouped(ratings, raters, attribute, level, values, min_raters)
    counts = [coded.counts(group_of_rater[rater] == g) for g in range(len(names))]
    within = [_alpha(c, coded.values, level) for c in counts]
    rows = []
    for a, b in itertools.combinations(range(len(names)), 2):
        kappa = _kappa_x(counts[a], counts[b], coded.values, level)
        both = within[a] * within[b] if within[a] > 0 and within[b] > 0 else np.nan
        rows.append({"group_a": names[a], "group_b": names[b], "kappa_x": kappa,
                     "normalized_kappa_x": kappa / np.sqrt(both),
                     "n_items": int(((counts[a].sum(axis=1) > 0) & (counts[b].sum(axis=1) > 0)).sum())})
    return pd.DataFrame(rows, columns=["group_a", "group_b", "kappa_x", "normalized_kappa_x", "n_items"])


def _within_minus_cross(coded: _Coded, group_of_rating: np.ndarray, n_groups: int, level: str) -> float:
    counts = [coded.counts(group_of_rating == g) for g in range(n_groups)]
    within = np.nanmean([_alpha(c, coded.values, level) for c in counts])
    cross = np.nanmean([_kappa_x(counts[a], counts[b], coded.values, level)
                        for a, b in itertools.combinations(range(n_groups), 2)])
    return float(within - cross)


@dataclass(frozen=True)
class PermutationResult:
    """observed: the statistic on the real groups; null: its value under each shuffle;
    p_value: (1 + #{null >= observed}) / (1 + n_permutations), one-sided (groups agree within more)."""

    observed: float
    null: np.ndarray
    p_value: float
    groups: tuple[str, ...]


def permutation_test(ratings: pd.DataFrame, raters: pd.DataFrame, attribute: str, level: str, values=None,
                     n_permutations: int = 999, seed: int = 0, min_raters: int = 2) -> PermutationResult:
    """Is agreement higher within groups of `attribute` than across them, beyond chance?

    Statistic: mean over groups of within-group alpha minus mean over pairs of groups of
    cross-group kappa_x (groups with at least `min_raters` raters; others are left out before
    shuffling). The null keeps every rater's labels and shuffles the group attribute among
    raters, so group sizes are kept. The statistic is not exactly 0 under the null (alpha and
    kappa_x estimate chance slightly differently): read it against `null`, not against 0.
    """
    if n_permutations < 1:
        raise InputError(f"n_permutations must be at least 1, got {n_permutations}")
    coded, rater, group_of_rater, names = _grouped(ratings, raters, attribute, level, values, min_raters)
    if len(names) < 2:
        raise InputError(f"permutation_test needs two groups of {attribute!r} with {min_raters}+ raters; "
                         f"found {list(names)}")
    rng = np.random.default_rng(seed)
    observed = _within_minus_cross(coded, group_of_rater[rater], len(names), level)
    null = np.array([_within_minus_cross(coded, rng.permutation(group_of_rater)[rater], len(names), level)
                     for _ in range(n_permutations)])
    p_value = (1 + np.sum(null >= observed)) / (1 + n_permutations)
    return PermutationResult(observed, null, float(p_value), tuple(str(n) for n in names))
