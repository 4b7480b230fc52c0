"""Scoring test-set predictions per community (claim C4: whether bigger is
better depends on the metric).

Every unit's scores are scored for the whole test set (attribute "all",
community "all"), for every community of every attribute, and summarised per
attribute (community "*") over its evaluable communities. The work is
vectorised over communities: one sort per unit for the rank statistics (AUROC)
and bincounts for every sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .io import InputError

AGGREGATE = "all"
SUMMARY = "*"
ECE_BINS = 10
LOG_LOSS_EPS = 1e-15
OUTPUT_COLUMNS = ["attribute", "community", "metric", "value", "n_eval", "n_pos", "evaluable"]


@dataclass(frozen=True)
class Metric:
    """One metric. `lower_is_better` refers to the value itself, except for
    signed gaps (`signed=True`), where it refers to |value|."""

    name: str
    level: str  # "community" or "attribute"
    lower_is_better: bool
    description: str
    signed: bool = False


_METRIC_LIST = [
    Metric("error", "community", True, "1 - accuracy; predict 1 when score >= threshold"),
    Metric("log_loss", "community", True, "mean negative log-likelihood, scores clipped to [1e-15, 1 - 1e-15]"),
    Metric("brier", "community", True, "mean squared difference between score and outcome"),
    Metric("auroc", "community", False, "area under the ROC curve (Mann-Whitney, ties count 1/2); NaN with one class"),
    Metric("ece", "community", True, "expected calibration error, 10 equal-width score bins on [0, 1]"),
    Metric("tpr", "community", False, "true-positive rate at the threshold; NaN without positives"),
    Metric("fpr", "community", True, "false-positive rate at the threshold; NaN without negatives"),
    Metric("selection_rate", "community", True, "share predicted 1 (descriptive; badness is the value itself)"),
    Metric("tpr_gap", "community", True, "tpr of the community - tpr of everyone (signed)", signed=True),
    Metric("fpr_gap", "community", True, "fpr of the community - fpr of everyone (signed)", signed=True),
    Metric("selection_rate_gap", "community", True,
           "selection rate of the community - selection rate of everyone (signed)", signed=True),
    Metric("worst_community_error", "attribute", True, "largest error over the attribute's evaluable communities"),
    Metric("tpr_gap_range", "attribute", True, "max - min tpr over the attribute's evaluable communities"),
    Metric("fpr_gap_range", "attribute", True, "max - min fpr over the attribute's evaluable communities"),
    Metric("selection_rate_gap_range", "attribute", True,
           "max - min selection rate over the attribute's evaluable communities"),
]
METRICS: dict[str, Metric] = {m.name: m for m in _METRIC_LIST}
METRIC_ORDER: list[str] = [m.name for m in _METRIC_LIST]
COMMUNITY_METRICS = [m.name for m in _METRIC_LIST if m.level == "community"]
ATTRIBUTE_METRICS = [m.name for m in _METRIC_LIST if m.level == "attribute"]


def badness(metric, value):
    """A lower-is-better version of `value`: |gap| for signed gaps, 1 - value
    for higher-is-better metrics (auroc, tpr), the value otherwise. `metric` is
    one name, or an array of names aligned with `value` (one per row)."""
    if isinstance(metric, str):
        if metric not in METRICS:
            raise InputError(f"unknown metric {metric!r}; known: {METRIC_ORDER}")
        spec = METRICS[metric]
        if spec.signed:
            return np.abs(value)
        return value if spec.lower_is_better else 1 - value
    names = np.asarray(metric, dtype=object)
    values = np.asarray(value, dtype=np.float64)
    if names.shape != values.shape:
        raise InputError(f"badness: metric has shape {names.shape} but value has shape {values.shape}")
    unknown = sorted(set(names) - set(METRICS))
    if unknown:
        raise InputError(f"unknown metric(s) {unknown[:5]}; known: {METRIC_ORDER}")
    signed = np.isin(names, [m.name for m in _METRIC_LIST if m.signed])
    higher = np.isin(names, [m.name for m in _METRIC_LIST if not m.lower_is_better])
    return np.where(signed, np.abs(values), np.where(higher, 1 - values, values))


# ---------------------------------------------------------------- validation


def _check_y(y_true) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise InputError(f"y_true must be 1-D, got shape {y.shape}")
    if y.size == 0:
        raise InputError("y_true is empty")
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        bad = y[~np.isin(y, (0, 1))][:5] if y.dtype.kind in "biuf" else y[:5]
        raise InputError(f"y_true must hold only 0 and 1, found e.g. {list(bad)}")
    y = y.astype(np.int8)
    if y.min() == y.max():
        raise InputError(f"target has a single class in y_true (all {int(y[0])}); nothing to score")
    return y


def _check_scores(row: np.ndarray, where: str) -> np.ndarray:
    s = np.asarray(row, dtype=np.float64)  # float64 so thresholds and logs match across input dtypes
    lo, hi = s.min(), s.max()
    if not (lo >= 0 and hi <= 1):  # also false for NaN
        what = "NaN" if np.isnan(s).any() else f"values in [{lo:.6g}, {hi:.6g}]"
        raise InputError(f"{where} must be probabilities in [0, 1] without NaN; found {what}")
    return s


def _check_threshold(threshold) -> float:
    try:
        t = float(threshold)
    except (TypeError, ValueError):
        raise InputError(f"threshold must be a number in [0, 1], got {threshold!r}") from None
    if not 0 <= t <= 1:
        raise InputError(f"threshold must be in [0, 1], got {threshold!r}")
    return t


def _check_groups(groups, n: int) -> pd.DataFrame:
    if not isinstance(groups, pd.DataFrame):
        raise InputError(f"groups must be a pandas DataFrame, got {type(groups).__name__}")
    if len(groups) != n:
        raise InputError(f"groups has {len(groups)} rows but y_true has {n}")
    if groups.columns.duplicated().any():
        raise InputError(f"groups has duplicated columns: {list(groups.columns[groups.columns.duplicated()])}")
    if AGGREGATE in groups.columns:
        raise InputError(f"groups column {AGGREGATE!r} is reserved for the aggregate")
    return groups


def _codes(column: pd.Series, attribute: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and community names, sorted by name."""
    codes, uniques = pd.factorize(column, sort=False, use_na_sentinel=True)
    names = np.array([str(u) for u in uniques], dtype=object)
    if len(set(names)) < len(names):
        raise InputError(f"groups column {attribute!r} has distinct values with the same text; "
                         "community names must be unique strings")
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    codes = np.where(codes < 0, -1, rank[np.maximum(codes, 0)])
    return codes, names[order]


# ------------------------------------------------------------ evaluability


def evaluable_communities(y_true, groups: pd.DataFrame, min_count: int = 100,
                          min_positives: int = 10) -> dict[str, list[str]]:
    """Evaluable communities per attribute. Rule: a community is evaluable when
    it has at least `min_count` rows and at least `min_positives` rows of each
    class (positives and negatives). Others are scored but left out of the
    attribute-level summaries."""
    for name, value in (("min_count", min_count), ("min_positives", min_positives)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise InputError(f"{name} must be a non-negative integer, got {value!r}")
    y = _check_y(y_true)
    groups = _check_groups(groups, len(y))
    out = {}
    for attribute in groups.columns:
        codes, names = _codes(groups[attribute], attribute)
        keep = codes >= 0
        count = np.bincount(codes[keep], minlength=len(names))
        pos = np.bincount(codes[keep], weights=y[keep], minlength=len(names)).astype(np.int64)
        ok = (count >= min_count) & (pos >= min_positives) & (count - pos >= min_positives)
        out[attribute] = [str(c) for c in names[ok]]
    return out


# ----------------------------------------------------------------- scoring


class _Layout:
    """Everything about the test set that does not depend on the scores.

    Communities get global indices: 0 is the aggregate, then each attribute's
    communities in turn; index `n_comm` collects missing values (discarded).
    """

    def __init__(self, y: np.ndarray, groups: pd.DataFrame, evaluable):
        n = len(y)
        self.y = y
        self.attributes = [str(a) for a in groups.columns]
        attr_labels, comm_labels, blocks = [AGGREGATE], [AGGREGATE], []
        self.spans = []  # (start, stop) of each attribute's global indices
        offset = 1
        names_by_attr = {}
        for attribute, key in zip(self.attributes, groups.columns):
            codes, names = _codes(groups[key], attribute)
            names_by_attr[attribute] = names
            blocks.append(np.where(codes >= 0, codes + offset, -1))
            attr_labels += [attribute] * len(names)
            comm_labels += list(names)
            self.spans.append((offset, offset + len(names)))
            offset += len(names)
        self.n_comm = offset
        dump = self.n_comm
        # int16 codes let the stable argsort use radix sort (linear time).
        dtype = np.int16 if dump < np.iinfo(np.int16).max else np.int32
        stacked = [np.zeros(n, dtype=np.int64)] + [np.where(b < 0, dump, b) for b in blocks]
        self.codes = np.stack(stacked).astype(dtype)  # (1 + n_attributes, n)
        self.flat = self.codes.ravel().astype(np.intp)
        self.flat_ece = self.flat * ECE_BINS
        self.n_layers = len(stacked)
        size = self.n_comm + 1
        full = np.bincount(self.flat, minlength=size)
        self.count = full[: self.n_comm]
        # Each community's first position in its own layer once that layer is sorted by community.
        self.start = np.zeros(self.n_comm, dtype=np.int64)
        for layer in self.codes[1:]:
            layer_count = np.bincount(layer, minlength=size)
            first = np.cumsum(layer_count) - layer_count
            present = layer_count[: self.n_comm] > 0
            self.start[present] = first[: self.n_comm][present]
        positives = np.bincount(self.flat, weights=np.tile(y, self.n_layers), minlength=size)
        self.pos = positives[: self.n_comm].astype(np.int64)
        self.neg = self.count - self.pos
        self.attr_labels = np.array(attr_labels, dtype=object)
        self.comm_labels = np.array(comm_labels, dtype=object)
        self.evaluable = self._evaluable_mask(evaluable, names_by_attr)

    def _evaluable_mask(self, evaluable, names_by_attr) -> np.ndarray:
        if not isinstance(evaluable, Mapping):
            raise InputError(f"evaluable must map attribute -> list of communities, got {type(evaluable).__name__}")
        unknown = sorted(set(map(str, evaluable)) - set(self.attributes))
        if unknown:
            raise InputError(f"evaluable names attributes not in groups: {unknown}")
        mask = np.zeros(self.n_comm, dtype=bool)
        mask[0] = True  # the aggregate always has both classes (checked in y_true)
        for attribute, (lo, hi) in zip(self.attributes, self.spans):
            listed = evaluable.get(attribute, [])
            if isinstance(listed, str):
                raise InputError(f"evaluable[{attribute!r}] must be a list of communities, not a string")
            listed = {str(c) for c in listed}
            names = names_by_attr[attribute]
            missing = sorted(listed - set(names))
            if missing:
                raise InputError(f"evaluable[{attribute!r}] lists communities absent from groups: {missing}")
            mask[lo:hi] = np.isin(names, list(listed))
        return mask

    def community_values(self, s: np.ndarray, threshold: float) -> np.ndarray:
        """(n_comm, len(COMMUNITY_METRICS)) metric values for one unit's scores."""
        y, size, layers = self.y, self.n_comm + 1, self.n_layers
        pred = s >= threshold
        yb = y.astype(bool)
        # Clipping the observed outcome's probability (same as clipping scores to
        # [eps, 1 - eps], but exact on both sides: 1 - (1 - 1e-15) != 1e-15 in floats).
        ll = -np.log(np.clip(np.where(yb, s, 1.0 - s), LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS))
        diff = s - y
        sums = {}
        for name, weight in (("pred", pred.astype(np.float64)), ("tp", (pred & yb).astype(np.float64)),
                             ("ll", ll), ("sq", diff * diff)):
            sums[name] = np.bincount(self.flat, weights=np.tile(weight, layers), minlength=size)[:-1]
        # ECE: sum over bins of |sum(score - y) in bin| / n, with bin = min(floor(10 s), 9).
        bins = np.minimum((s * ECE_BINS).astype(np.intp), ECE_BINS - 1)
        per_bin = np.bincount(self.flat_ece + np.tile(bins, layers), weights=np.tile(diff, layers),
                              minlength=size * ECE_BINS).reshape(size, ECE_BINS)[:-1]
        n, pos, neg = self.count.astype(np.float64), self.pos, self.neg
        with np.errstate(invalid="ignore", divide="ignore"):
            tp, fp = sums["tp"], sums["pred"] - sums["tp"]
            error = (fp + (pos - tp)) / n
            tpr = np.where(pos > 0, tp / pos, np.nan)
            fpr = np.where(neg > 0, fp / neg, np.nan)
            selection = sums["pred"] / n
            auroc = self._auroc(s)
            ece = np.abs(per_bin).sum(axis=1) / n
            return np.column_stack([error, sums["ll"] / n, sums["sq"] / n, auroc, ece, tpr, fpr, selection,
                                    tpr - tpr[0], fpr - fpr[0], selection - selection[0]])

    def _auroc(self, s: np.ndarray) -> np.ndarray:
        """Per-community AUROC (Mann-Whitney) from average ranks within each community: one
        comparison sort of the unit's scores, then per layer a radix sort of int16 community codes
        (linear), so each community's rows stay in score order. Ranks are half-integers and their
        sums stay below 2**52, so every sum is exact and the order of summing does not matter."""
        n = len(s)
        order = np.argsort(s)
        s_ord, positive_ord = s[order], self.y[order].astype(bool)
        pos_mid = np.zeros(self.n_comm + 1)
        for index, layer in enumerate(self.codes):
            if index == 0:  # the aggregate: one community, already in score order
                comm, s_comm, positive = layer, s_ord, positive_ord
            else:
                codes = layer[order]
                by_community = np.argsort(codes, kind="stable")
                comm, s_comm, positive = codes[by_community], s_ord[by_community], positive_ord[by_community]
            mid = np.flatnonzero(positive).astype(np.float64)  # positions of positives, before ties
            tied = (s_comm[1:] == s_comm[:-1]) & (comm[1:] == comm[:-1])
            if tied.any():  # tied scores share the average position of their run
                new_run = np.concatenate([[True], ~tied])
                starts = np.flatnonzero(new_run)
                ends = np.append(starts[1:], n) - 1
                mid = ((starts + ends) / 2.0)[np.cumsum(new_run)[positive] - 1]
            pos_mid += np.bincount(comm[positive], weights=mid, minlength=self.n_comm + 1)
        pos = self.pos
        rank_sum = pos_mid[:-1] - pos * (self.start - 1.0)  # ranks are 1-based within the community
        u = rank_sum - pos * (pos + 1) / 2.0
        return np.where((pos > 0) & (self.neg > 0), u / (pos * self.neg), np.nan)

    def attribute_values(self, values: np.ndarray) -> np.ndarray:
        """(n_units, n_attributes, len(ATTRIBUTE_METRICS)) summaries over evaluable communities."""
        col = {m: i for i, m in enumerate(COMMUNITY_METRICS)}
        out = np.full((values.shape[0], len(self.attributes), len(ATTRIBUTE_METRICS)), np.nan)
        for a, (lo, hi) in enumerate(self.spans):
            keep = np.flatnonzero(self.evaluable[lo:hi]) + lo
            if len(keep) == 0:
                continue
            sub = values[:, keep, :]
            out[:, a, 0] = np.max(sub[:, :, col["error"]], axis=1)
            # A gap's range is the range of the rate itself; NaN rates (a class
            # absent, only when min_positives = 0) are skipped.
            for j, metric in enumerate(("tpr", "fpr", "selection_rate"), start=1):
                part = sub[:, :, col[metric]]
                defined = np.isfinite(part)
                high = np.where(defined, part, -np.inf).max(axis=1)
                low = np.where(defined, part, np.inf).min(axis=1)
                out[:, a, j] = np.where(defined.sum(axis=1) >= 2, high - low, np.nan)
        return out

    def static_rows(self) -> pd.DataFrame:
        """Row labels, in output order, for one unit."""
        n_cm, n_am = len(COMMUNITY_METRICS), len(ATTRIBUTE_METRICS)
        attr_eval = []
        n_eval, n_pos = [], []
        for lo, hi in self.spans:
            mask = self.evaluable[lo:hi]
            k = int(mask.sum())
            attr_eval.append([k >= 1] + [k >= 2] * (n_am - 1))
            n_eval.append(int(self.count[lo:hi][mask].sum()))
            n_pos.append(int(self.pos[lo:hi][mask].sum()))
        return pd.DataFrame({
            "attribute": np.concatenate([np.repeat(self.attr_labels, n_cm),
                                         np.repeat(np.array(self.attributes, dtype=object), n_am)]),
            "community": np.concatenate([np.repeat(self.comm_labels, n_cm),
                                         np.full(len(self.attributes) * n_am, SUMMARY, dtype=object)]),
            "metric": np.concatenate([np.tile(np.array(COMMUNITY_METRICS, dtype=object), self.n_comm),
                                      np.tile(np.array(ATTRIBUTE_METRICS, dtype=object), len(self.attributes))]),
            "n_eval": np.concatenate([np.repeat(self.count, n_cm), np.repeat(n_eval, n_am)]).astype(np.int64),
            "n_pos": np.concatenate([np.repeat(self.pos, n_cm), np.repeat(n_pos, n_am)]).astype(np.int64),
            "evaluable": np.concatenate([np.repeat(self.evaluable, n_cm),
                                         np.array(attr_eval, dtype=bool).reshape(-1)]),
        })


def _score(y_true, scores_2d: np.ndarray, groups, threshold, evaluable, where) -> tuple[pd.DataFrame, np.ndarray]:
    y = _check_y(y_true)
    if scores_2d.shape[-1] != len(y):
        raise InputError(f"{where} has {scores_2d.shape[-1]} test rows but y_true has {len(y)}")
    groups = _check_groups(groups, len(y))
    threshold = _check_threshold(threshold)
    if evaluable is None:
        evaluable = evaluable_communities(y, groups)
    layout = _Layout(y, groups, evaluable)
    values = np.empty((scores_2d.shape[0], layout.n_comm, len(COMMUNITY_METRICS)))
    for i, row in enumerate(scores_2d):
        label = where if scores_2d.shape[0] == 1 else f"{where}[{i}]"
        values[i] = layout.community_values(_check_scores(row, label), threshold)
    summaries = layout.attribute_values(values)
    flat = np.concatenate([values.reshape(len(values), -1), summaries.reshape(len(values), -1)], axis=1)
    return layout.static_rows(), flat


def score_predictions(y_true, scores_1d, groups: pd.DataFrame, threshold: float = 0.5,
                      evaluable: Mapping[str, list[str]] | None = None) -> pd.DataFrame:
    """Score one set of predictions for everyone, each community and each attribute.

    Returns columns attribute, community, metric, value, n_eval, n_pos, evaluable:
    the aggregate (attribute = community = "all"), then each attribute's
    communities (sorted by name), then one summary row per attribute and
    attribute-level metric (community = "*"). `evaluable` maps attribute to its
    evaluable communities (attributes left out have none); by default
    `evaluable_communities(y_true, groups)`. Summary rows use evaluable
    communities only; their n_eval / n_pos add up those communities, and their
    `evaluable` is True when there are enough of them (1 for the worst error,
    2 for a range; otherwise the value is NaN). The aggregate is always evaluable.
    """
    scores = np.asarray(scores_1d)
    if scores.ndim != 1:
        raise InputError(f"scores_1d must be 1-D, got shape {scores.shape}; use evaluation_table for 2-D scores")
    rows, flat = _score(y_true, scores[None, :], groups, threshold, evaluable, "scores_1d")
    rows.insert(3, "value", flat[0])
    return rows


def evaluation_table(y_true, scores_2d, units: pd.DataFrame, groups: pd.DataFrame, threshold: float = 0.5,
                     evaluable: Mapping[str, list[str]] | None = None) -> pd.DataFrame:
    """score_predictions for every row of `scores_2d` (n_units, n_test), with the
    matching row of `units` prepended: one row per unit x attribute x community x metric."""
    scores = np.asarray(scores_2d)
    if scores.ndim != 2:
        raise InputError(f"scores_2d must be 2-D (n_units, n_test), got shape {scores.shape}")
    if not isinstance(units, pd.DataFrame):
        raise InputError(f"units must be a pandas DataFrame, got {type(units).__name__}")
    if len(units) != scores.shape[0]:
        raise InputError(f"units has {len(units)} rows but scores_2d has {scores.shape[0]} units")
    clash = [c for c in units.columns if c in OUTPUT_COLUMNS]
    if clash:
        raise InputError(f"units columns clash with output columns: {clash}")
    rows, flat = _score(y_true, scores, groups, threshold, evaluable, "scores_2d")
    n_units, per_unit = flat.shape
    columns = {c: np.repeat(units[c].to_numpy(), per_unit) for c in units.columns}
    for c in rows.columns:
        columns[c] = np.tile(rows[c].to_numpy(), n_units)
    columns["value"] = flat.reshape(-1)
    table = pd.DataFrame(columns)
    for c in units.columns:  # keep the units' dtypes (e.g. categorical, nullable)
        if table[c].dtype != units[c].dtype:
            table[c] = table[c].astype(units[c].dtype)
    return table[[*units.columns, *OUTPUT_COLUMNS]]


def test_row_replicates(y_true, scores_2d, units: pd.DataFrame, groups: pd.DataFrame, threshold: float = 0.5,
                        evaluable: Mapping[str, list[str]] | None = None, n_boot: int = 200,
                        rng_seed: int = 0) -> pd.DataFrame:
    """Error of every unit for everyone and each evaluable community, on `n_boot` resamples of
    the test rows (Poisson bootstrap: each row weighted by an independent Poisson(1) count, the
    same weights for every unit, so units stay paired as they are on the real test set).

    One row per unit x (aggregate + community) x replicate: the columns of `units`, then
    attribute, community, replicate, value. Replicate b is what scaling_fits.fit_all pairs with
    its b-th seed resample. A resample that leaves a community empty gives NaN.
    """
    y = _check_y(y_true)
    scores = np.asarray(scores_2d, dtype=float)
    if scores.ndim != 2 or scores.shape[1] != len(y):
        raise InputError(f"scores_2d must be (n_units, {len(y)} test rows), got shape {scores.shape}")
    if len(units) != scores.shape[0]:
        raise InputError(f"units has {len(units)} rows but scores_2d has {scores.shape[0]} units")
    if n_boot < 1:
        raise InputError(f"n_boot must be >= 1, got {n_boot}")
    groups = _check_groups(groups, len(y))
    threshold = _check_threshold(threshold)
    if evaluable is None:
        evaluable = evaluable_communities(y, groups)
    wrong = ((scores >= threshold).astype(np.int8) != y[None, :]).astype(np.float32)  # units x rows
    weights = np.random.default_rng([rng_seed, 5501]).poisson(1.0, (n_boot, len(y))).astype(np.float32)
    blocks = [(AGGREGATE, AGGREGATE, slice(None))]
    for attribute, communities in evaluable.items():
        column = groups[attribute].to_numpy(dtype=object)
        blocks += [(attribute, c, np.flatnonzero(column == c)) for c in communities]
    frames = []
    for attribute, community, rows in blocks:
        w = weights[:, rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (wrong[:, rows] @ w.T) / w.sum(axis=1)[None, :]  # units x n_boot
        frame = pd.DataFrame({c: np.repeat(units[c].to_numpy(), n_boot) for c in units.columns})
        frame["attribute"], frame["community"] = attribute, community
        frame["replicate"] = np.tile(np.arange(n_boot), len(units))
        frame["value"] = value.reshape(-1).astype(float)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def test_row_replicates_streamed(y_true, batches, groups: pd.DataFrame, threshold: float = 0.5,
                                 evaluable: Mapping[str, list[str]] | None = None, n_boot: int = 200,
                                 rng_seed: int = 0) -> pd.DataFrame:
    """test_row_replicates from `batches` of (units part, its scores (part, n_test)), such as
    sweep.iter_scores: the same table bit for bit (a unit's errors are sums of integer weights,
    exact in float32), holding one batch's scores at a time."""
    frames, blocks = [], []
    for part, scores in batches:
        frame = test_row_replicates(y_true, scores, part, groups, threshold, evaluable, n_boot, rng_seed)
        frames.append(frame)
        blocks.append(np.arange(len(frame)) // (len(part) * n_boot))  # which community each row is of
    if not frames:
        raise InputError("no units to resample: the batches of scores are empty")
    order = np.argsort(np.concatenate(blocks), kind="stable")  # community-major, units in order, as at once
    return pd.concat(frames, ignore_index=True).take(order).reset_index(drop=True)
