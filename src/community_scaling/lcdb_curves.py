"""The Learning Curve Database (LCDB 1.0; Mohr, Viering, Loog et al. 2022) as a standard table.

The PyPI package `lcdb` 0.1.0 (MIT) ships, inside its sdist, one CSV file per metric
(`database-accuracy.csv`, `database-logloss.csv`, `database-auc.csv`, `database-f1.csv`) and
`datasets.csv` (OpenML meta-features per dataset). Every metric file has the same rows in the
same order, one per OpenML dataset x learner x training size x outer seed (the test split) x
inner seed (the training split), with the columns

    openmlid, learner, size_train, size_test, outer_seed, inner_seed, traintime,
    score_train, score_valid, score_test

(traintime in seconds: the learner's fit only). Accuracy and log-loss cover 248 datasets,
AUC and F1 the 166 binary ones. The files are read here directly, never through `import lcdb`:
its `__init__` imports `openml` and `func_timeout`, which the package does not declare and which
would reach the network; the CSV files need neither.

Only the columns the analysis needs are read (with pyarrow), so the two metrics this study uses
take about 0.2 GB in memory.
"""

from __future__ import annotations

import csv
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from .io import InputError

DISTRIBUTION, VERSION = "lcdb", "0.1.0"
# metric name here -> (file stem in the package, how the file's score becomes a lower-is-better value)
METRICS = {"error": ("accuracy", lambda s: 1.0 - s), "log_loss": ("logloss", lambda s: s),
           "auroc_loss": ("auc", lambda s: 1.0 - s), "f1_loss": ("f1", lambda s: 1.0 - s)}
COLUMNS = ("openmlid", "learner", "size_train", "size_test", "outer_seed", "inner_seed", "traintime", "score_test")
DATASET_COLUMNS = ("openmlid", "Name", "NumberOfInstances", "NumberOfClasses", "MajorityClassSize")
# Learners fitted without predict_proba in LCDB (LinearSVC, SVC with probability=False, and the
# hinge or ridge linear models): their log-loss is that of hard 0/1 predictions clipped at 1e-15,
# 34.539 x error on binary tasks, so it carries no information beyond accuracy (hard_prediction_share
# shows it in the data).
HARD_PREDICTIONS = ("SVC_linear", "SVC_poly", "SVC_rbf", "SVC_sigmoid", "PassiveAggressiveClassifier",
                    "Perceptron", "RidgeClassifier", "SGDClassifier")
HARD_LOG_LOSS = float(-np.log(1e-15))  # 34.539: sklearn's clipped log-loss of a confident wrong prediction
# The standard table, one row per dataset x learner x training size x outer seed x inner seed x metric.
TABLE_COLUMNS = ("dataset", "learner", "train_size", "test_size", "outer_seed", "inner_seed", "fit_time", "metric",
                 "value")


def package_files() -> dict[str, Path]:
    """The package's data files by stem ('accuracy', 'logloss', 'auc', 'f1', 'datasets'), located
    through the installed distribution's metadata (the package is not imported)."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:
        raise InputError(f"the LCDB study needs the package {DISTRIBUTION}=={VERSION} (run `make env` or "
                         f"`pip install {DISTRIBUTION}=={VERSION}`)") from exc
    stems = [stem for stem, _ in METRICS.values()]
    files = {stem: Path(dist.locate_file(f"lcdb/database-{stem}.csv")) for stem in stems}
    files["datasets"] = Path(dist.locate_file("lcdb/datasets.csv"))
    for stem, path in files.items():
        if not path.is_file():
            raise InputError(f"LCDB file {path.name} missing from the {DISTRIBUTION} install: {path} "
                             f"(reinstall {DISTRIBUTION}=={VERSION})")
    return files


def input_files(metrics=("error", "log_loss")) -> list[Path]:
    """The raw files a study with these metrics reads (for Make's input stamp)."""
    files = package_files()
    return [files[METRICS[m][0]] for m in metrics] + [files["datasets"]]


def _header(path: Path, needed, what: str) -> None:
    with open(path, newline="") as handle:
        header = next(csv.reader(handle), [])
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(f"{what} {path}: column(s) {missing} missing; found {header[:12]}")


def short_name(learner: str) -> str:
    """'sklearn.linear_model.LogisticRegression' -> 'LogisticRegression'; 'SVC_rbf' stays."""
    return learner.rsplit(".", 1)[-1]


def read_metric(path: Path, metric: str, learners=None, datasets=None) -> pd.DataFrame:
    """One metric file as the standard table (TABLE_COLUMNS), value = the lower-is-better form
    (error = 1 - accuracy). `learners` (short names) and `datasets` (OpenML ids) select rows."""
    if metric not in METRICS:
        raise InputError(f"unknown LCDB metric {metric!r}; known: {list(METRICS)}")
    path = Path(path)
    _header(path, COLUMNS, "LCDB metric file")
    raw = pd.read_csv(path, usecols=list(COLUMNS), engine="pyarrow")
    raw["learner"] = raw.learner.map(short_name)
    if learners:
        raw = raw[raw.learner.isin(list(learners))]
    if datasets is not None:
        raw = raw[raw.openmlid.isin(list(datasets))]
    bad = raw.score_test.isna() | raw.traintime.isna()
    raw = raw[~bad]
    table = pd.DataFrame({
        "dataset": raw.openmlid.astype("int32").to_numpy(),
        "learner": pd.Categorical(raw.learner.to_numpy()),
        "train_size": raw.size_train.astype("int32").to_numpy(),
        "test_size": raw.size_test.astype("int32").to_numpy(),
        "outer_seed": raw.outer_seed.astype("int8").to_numpy(),
        "inner_seed": raw.inner_seed.astype("int8").to_numpy(),
        "fit_time": raw.traintime.astype("float32").to_numpy(),
        "metric": pd.Categorical([metric] * len(raw)),
        "value": METRICS[metric][1](raw.score_test.to_numpy("float64")).astype("float32")})
    table.attrs["missing_values"] = int(bad.sum())
    return table


def read_datasets(path: Path) -> pd.DataFrame:
    """datasets.csv: one row per dataset with dataset, name, instances, classes, majority_share and
    trivial_error (1 - majority share: the error of always predicting the majority class)."""
    path = Path(path)
    _header(path, DATASET_COLUMNS, "LCDB datasets file")
    raw = pd.read_csv(path, usecols=list(DATASET_COLUMNS))
    share = raw.MajorityClassSize / raw.NumberOfInstances
    return pd.DataFrame({"dataset": raw.openmlid.astype("int32"), "name": raw.Name.astype(str),
                         "instances": raw.NumberOfInstances.astype("int64"),
                         "classes": raw.NumberOfClasses.astype("int64"), "majority_share": share,
                         "trivial_error": 1.0 - share})


def standard_table(metrics=("error", "log_loss"), learners=None, max_datasets: int | None = None,
                   files: dict[str, Path] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(curves, datasets): the chosen metrics of every curve in the long standard table, and
    datasets.csv restricted to the datasets present (its 219 rows describe 197 of the 248 datasets
    with curves; the other 51 have no name, size or majority class here). `max_datasets` keeps the first k dataset ids
    of the accuracy file in increasing order (a small configuration for tests)."""
    files = files or package_files()
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise InputError(f"unknown LCDB metric(s) {unknown}; known: {list(METRICS)}")
    datasets = read_datasets(files["datasets"])
    keep = None
    if max_datasets is not None:
        keep = sorted(datasets.dataset)[:max_datasets]
    parts = [read_metric(files[METRICS[m][0]], m, learners, keep) for m in metrics]
    curves = pd.concat(parts, ignore_index=True)
    curves["learner"] = curves.learner.astype("category")
    curves["metric"] = curves.metric.astype("category")
    curves.attrs = {}
    datasets = datasets[datasets.dataset.isin(curves.dataset.unique())].reset_index(drop=True)
    return curves, datasets


def hard_prediction_share(curves: pd.DataFrame, tolerance: float = 0.02) -> pd.DataFrame:
    """Per learner, the share of rows whose log-loss equals that of hard 0/1 predictions
    (34.539 x error, within `tolerance`), and whether LCDB fits it without probabilities
    (HARD_PREDICTIONS). Columns: learner, rows, hard_share, hard_predictions."""
    keys = ["dataset", "learner", "train_size", "outer_seed", "inner_seed"]
    wide = curves[curves.metric.isin(["error", "log_loss"])].pivot_table(
        index=keys, columns="metric", values="value", observed=True).dropna().reset_index()
    if wide.empty or "log_loss" not in wide:
        return pd.DataFrame(columns=["learner", "rows", "hard_share", "hard_predictions"])
    hard = (wide.log_loss - HARD_LOG_LOSS * wide.error).abs() < tolerance
    out = hard.groupby(wide.learner, observed=True).agg(["size", "mean"]).reset_index()
    out.columns = ["learner", "rows", "hard_share"]
    out["hard_predictions"] = out.learner.isin(HARD_PREDICTIONS)
    return out
