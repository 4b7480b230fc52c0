"""Small text classifiers trained on growing numbers of items, on the pooled label and on each
rater group's own label, scored on held-out items against every group's labels (C3, C5).

A classifier is TF-IDF features (words and word pairs) with logistic regression, classes
weighted to balance (offensive or ironic items are a minority, and an unweighted model
predicts the majority at every size): fast,
deterministic, nothing to download. Training items are nested: each seed draws one order of
the training items, and a model trained at n uses the first n items of that order that carry
its label. Noise comes from seeds and from the held-out items (Poisson bootstrap weights,
the same for every model and group, so comparisons stay paired).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import delayed
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from .io import InputError
from .rater_groups import group_labels, pooled_labels
from .workers import parallel

POOLED = "pooled"
AGGREGATE = "all"


def binarised(ratings: pd.DataFrame, positive_from: float | None) -> pd.DataFrame:
    """Ratings with each rater's ordinal label made 0/1, positive from `positive_from` on (before any
    vote); unchanged when `positive_from` is None (labels already binary)."""
    if positive_from is None:
        return ratings
    return ratings.assign(label=(ratings.label >= positive_from).astype(float))


def label_table(ratings: pd.DataFrame, raters: pd.DataFrame, attribute: str, groups: list[str],
                positive_from: float | None = None) -> pd.DataFrame:
    """Items x (pooled, each group): 0/1 majority labels, NaN where a group did not rate an item or tied.
    Ordinal ratings count as positive from `positive_from` on (each rater's rating, before the vote)."""
    ratings = binarised(ratings, positive_from)
    wide = group_labels(ratings, raters, attribute).pivot(index="item", columns="group", values="label")
    wide = wide.reindex(columns=groups)
    wide.insert(0, POOLED, pooled_labels(ratings).set_index("item").label.reindex(wide.index))
    return wide


def split_items(items: pd.Index, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A fixed held-out set of items (the same for every model and seed)."""
    order = np.random.default_rng([seed, 31]).permutation(np.asarray(items))
    cut = int(round(len(order) * test_fraction))
    return order[cut:], order[:cut]


def _fit_scores(texts_train, y, texts_test, seed: int) -> np.ndarray:
    if len(np.unique(y)) < 2:  # one class only: the model predicts it
        return np.full(len(texts_test), float(y[0]))
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=20_000),
                          LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed))
    return model.fit(texts_train, y).predict_proba(texts_test)[:, 1]


def _one_curve(texts: pd.Series, labels: pd.Series, order: np.ndarray, test: np.ndarray, sizes, seed, name):
    labelled = order[labels.reindex(order).notna().to_numpy()]
    rows = []
    for n in sizes:
        if n > len(labelled):
            break
        chosen = labelled[:n]
        scores = _fit_scores(texts.loc[chosen].tolist(), labels.loc[chosen].to_numpy(), texts.loc[test].tolist(), seed)
        rows.append(pd.DataFrame({"model": name, "scale": n, "seed": seed, "item": test, "score": scores}))
    return rows


def sweep(texts: pd.Series, labels: pd.DataFrame, train: np.ndarray, test: np.ndarray, sizes: list[int],
          seeds: int, models: list[str] | None = None, n_jobs: int = 1) -> pd.DataFrame:
    """Held-out scores (model, scale, seed, item, score) of one classifier per label column (`models`,
    default all), seed and size; a size larger than a label's training items is left out."""
    models = models or list(labels.columns)
    missing = sorted(set(models) - set(labels.columns))
    if missing:
        raise InputError(f"no label column for {missing}; columns: {list(labels.columns)}")
    orders = {s: np.random.default_rng([s, 32]).permutation(train) for s in range(seeds)}
    parts = parallel(n_jobs)(delayed(_one_curve)(texts, labels[m], orders[s], test, sizes, s, m)
                                    for s in range(seeds) for m in models)
    rows = [frame for part in parts for frame in part]
    if not rows:
        raise InputError(f"no model could be trained: the smallest size {sizes[0]} exceeds every label's items")
    return pd.concat(rows, ignore_index=True)


def item_weights(test: np.ndarray, n_boot: int, seed: int = 0) -> np.ndarray:
    """(n_boot + 1, items) weights: row 0 all ones (the data), then Poisson(1) bootstrap rows."""
    rng = np.random.default_rng([seed, 33])
    return np.vstack([np.ones(len(test)), rng.poisson(1.0, (n_boot, len(test)))]).astype(float)


def errors(scores: pd.DataFrame, labels: pd.DataFrame, test: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Error (score >= 0.5 disagrees with the label) of every (model, scale, seed) unit against every label
    column, per weight row: array (weights, units, label columns), NaN where no weighted item has a label;
    also returns the unit table (model, scale, seed)."""
    units = scores[["model", "scale", "seed"]].drop_duplicates().reset_index(drop=True)
    wide = scores.pivot_table(index=["model", "scale", "seed"], columns="item", values="score").reindex(
        pd.MultiIndex.from_frame(units))[test]
    predicted = (wide.to_numpy() >= 0.5).astype(float)  # (units, items)
    truth = labels.reindex(test).to_numpy().T  # (columns, items)
    known = ~np.isnan(truth)
    wrong = (predicted[:, None, :] != np.nan_to_num(truth)[None, :, :]) & known[None]  # (units, columns, items)
    with np.errstate(invalid="ignore", divide="ignore"):
        numerator = np.einsum("uci,bi->buc", wrong.astype(float), weights)
        denominator = (known.astype(float) @ weights.T).T  # (weights, columns)
        return numerator / denominator[:, None, :], units


def evaluation_tables(error: np.ndarray, units: pd.DataFrame, columns: list[str], attribute: str,
                      n_items: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The standard evaluations table (row 0 of `error`) and its item replicates (rows 1..): community
    'all' (attribute 'all') is agreement with the pooled label, each group with its own labels."""
    community = [AGGREGATE if c == POOLED else c for c in columns]
    attributes = [AGGREGATE if c == POOLED else attribute for c in columns]
    frame = lambda values: pd.DataFrame({  # noqa: E731
        "model": np.repeat(units.model.to_numpy(), len(columns)), "scale": np.repeat(units.scale.to_numpy(), len(columns)),
        "seed": np.repeat(units.seed.to_numpy(), len(columns)), "attribute": np.tile(attributes, len(units)),
        "community": np.tile(community, len(units)), "metric": "error", "value": values.ravel()})
    table = frame(error[0]).assign(n_eval=np.tile(n_items, len(units)))
    replicates = pd.concat([frame(error[b]).assign(replicate=b - 1) for b in range(1, len(error))],
                           ignore_index=True)
    return table, replicates


def minimax_regret(error: np.ndarray) -> np.ndarray:
    """Over (..., models, groups) errors: the smallest, over models, of the largest regret over groups,
    where a group's regret for a model is its error minus the group's best model's error."""
    regret = error - np.nanmin(error, axis=-2, keepdims=True)
    return np.nanmin(np.nanmax(regret, axis=-1), axis=-1)
