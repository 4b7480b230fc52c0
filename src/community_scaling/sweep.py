"""The training-set-size sweep: one unit = (model, size, seed), fitted and scored.

Subsamples are nested (size n takes the first n rows of a seed's permutation),
so a larger sample always contains the smaller ones. Each unit's test-set
scores are cached in a file named by the hash of everything that determines
them (unit, data, code), written atomically; a unit whose file exists is never
recomputed, and a change to data or code changes the name, so stale results
are never reused. Units run through joblib, so the same code runs serially, on
local processes (loky), or on a Dask cluster.

Workers only compute: each unit's scores come back to the client, which alone
writes the cache. Local workers read the processed folder by path (it is on
their disk); Dask workers need no shared disk: the client loads the data once
and scatters it to every worker, so a cluster without NFS (Kubernetes, a cloud,
a lab's machines) runs the same units with the same results.
"""

from __future__ import annotations

import functools
import hashlib
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from joblib import Parallel, delayed, parallel_config
from threadpoolctl import threadpool_limits

from .io import InputError, read_parquet, read_parquet_metadata, stable_hash, write_parquet
from .progress import Progress
from .provenance import source_hash
from .workers import parallel

TRAIN_FILE, TEST_FILE = "train.parquet", "test.parquet"


@dataclass(frozen=True)
class Unit:
    model: str
    size: int
    seed: int
    params: dict = field(default_factory=dict, hash=False, compare=True)
    # Representation units (Rolf et al. 2021): exactly `community_count` of the `size`
    # training rows come from one community, the rest from everyone else.
    attribute: str = ""
    community: str = ""
    community_count: int = -1
    # Capacity units: the hyperparameter this unit varies along the model-capacity axis ("" otherwise);
    # its value is in `params`, every other hyperparameter stays at the model's sweep setting.
    capacity: str = ""

    def key(self, data_key: str, code_key: str) -> str:
        return stable_hash({"unit": asdict(self), "data": data_key, "code": code_key})


def plan_units(models: dict[str, dict], sizes: list[int], seeds: int) -> list[Unit]:
    """Every (model, size, seed), largest first so the slowest units start early."""
    return [Unit(model, size, seed, dict(params))
            for size in sorted(sizes, reverse=True) for model, params in models.items() for seed in range(seeds)]


def plan_capacity_units(models: dict[str, dict], capacity: dict[str, dict[str, list]], sizes: list[int],
                        seeds: int) -> list[Unit]:
    """Units along the model-capacity axis: for each model in `capacity` ({model: {parameter: values}}),
    each value of its one swept hyperparameter, at each training size in `sizes`, every seed; the
    model's other hyperparameters stay at `models[model]`. Largest first."""
    units = []
    for model, axis in capacity.items():
        if model not in models:
            raise InputError(f"sweep.capacity names model {model!r}, which is not in sweep.models {sorted(models)}")
        if not isinstance(axis, dict) or len(axis) != 1:
            raise InputError(f"sweep.capacity.{model} must map exactly one hyperparameter to its values, got {axis!r}")
        (parameter, values), = axis.items()
        if not isinstance(values, list) or len(values) < 3:
            raise InputError(f"sweep.capacity.{model}.{parameter} needs a list of at least 3 values, got {values!r}")
        units += [Unit(model, size, seed, {**models[model], parameter: value}, capacity=parameter)
                  for size in sorted(sizes, reverse=True) for value in reversed(values) for seed in range(seeds)]
    return units


def plan_representation_units(model: str, params: dict, attribute: str, communities: dict[str, int],
                              totals: list[int], shares: list[float], seeds: int) -> tuple[list[Unit], list[str]]:
    """Units at fixed totals n with a community's share of training rows varied (0 included).

    `communities` maps each community to its number of training rows; a unit that
    needs more rows of it (or of everyone else) than exist is skipped and reported.
    """
    units, skipped = [], []
    for community, available in communities.items():
        for total in totals:
            for share in shares:
                count = int(round(share * total))
                if count > available:
                    skipped.append(f"{attribute}={community}: share {share:g} of n={total} needs {count} rows, "
                                   f"{available} exist")
                    continue
                units += [Unit(model, total, seed, dict(params), attribute, community, count) for seed in range(seeds)]
    return units, skipped


def training_rows(unit: Unit, n_rows: int, labels: np.ndarray | None = None) -> np.ndarray:
    """The unit's training rows: a prefix of the seed's permutation, so sizes nest.

    For a representation unit, prefixes of the community's rows and of everyone
    else's rows, in the same permutation, so counts nest too.
    """
    order = permutation(n_rows, unit.seed)
    if unit.size > n_rows:
        raise InputError(f"unit size {unit.size} larger than the {n_rows} training rows")
    if not unit.attribute:
        return order[: unit.size]
    if not 0 <= unit.community_count <= unit.size:
        raise InputError(f"representation unit {unit.attribute}={unit.community}: community_count "
                         f"{unit.community_count} must be between 0 and the unit size {unit.size}")
    member = labels[order] == unit.community
    inside, outside = order[member], order[~member]
    rest = unit.size - unit.community_count
    if unit.community_count > len(inside) or rest > len(outside):
        raise InputError(f"representation unit {unit.attribute}={unit.community}: needs {unit.community_count} "
                         f"community rows and {rest} others; {len(inside)} and {len(outside)} exist")
    return np.concatenate([inside[: unit.community_count], outside[:rest]])


def data_key(processed: Path) -> str:
    """Content hash of the processed splits the units read: their values, column names and
    types, and the feature list; not the files' bytes, whose metadata carries the provenance
    (commit included), so a commit that leaves the data alone keeps every cached unit."""
    parts = {}
    for name in (TRAIN_FILE, TEST_FILE):
        frame = read_parquet(processed / name)
        rows = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()).hexdigest()
        parts[name] = {"rows": rows, "columns": [f"{c}:{t}" for c, t in frame.dtypes.astype(str).items()],
                       "features": read_parquet_metadata(processed / name).get("features")}
    return stable_hash(parts)


def code_key() -> str:
    """Hash of the code that turns data into scores (this module and the ingest rules)."""
    return source_hash("sweep", "ingest")


def build_model(name: str, params: dict, features: pd.DataFrame, seed: int):
    """A scikit-learn pipeline for one model family; categorical columns by dtype."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    if name == "logistic_regression":
        prep = ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
             make_column_selector(dtype_include="number")),
            ("cat", OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include="category")),
        ])
        options = {"max_iter": 2000, "C": 1.0, **params}
        return make_pipeline(prep, LogisticRegression(**options))
    if name == "gradient_boosting":
        # Early stopping off unless declared: scikit-learn switches it on above 10,000 rows by default,
        # which would change the model's capacity between two swept sizes.
        options = {"random_state": seed, "categorical_features": "from_dtype", "early_stopping": False, **params}
        return HistGradientBoostingClassifier(**options)
    raise InputError(f"unknown model {name!r}")


@dataclass
class SweepData:
    """What every unit reads: features and labels of both splits, and the training communities."""

    X_train: pd.DataFrame
    y_train: np.ndarray
    X_test: pd.DataFrame
    communities: dict[str, np.ndarray]


def load_data(processed: Path) -> SweepData:
    """The processed splits as the models see them, read from `processed`."""
    train = read_parquet(Path(processed) / TRAIN_FILE)
    test = read_parquet(Path(processed) / TEST_FILE)
    meta = read_parquet_metadata(Path(processed) / TRAIN_FILE)
    features = meta["features"]
    communities = {a: train[a].to_numpy(dtype=object) for a in meta["attributes"]}
    X_train, X_test = train[features].copy(), test[features].copy()
    for column in features:
        if not pd.api.types.is_numeric_dtype(X_train[column]):
            # Fixed categories from the training split: unseen test values become missing.
            categories = sorted(X_train[column].dropna().astype(str).unique())
            for frame in (X_train, X_test):
                values = frame[column].astype(str).where(frame[column].notna())
                frame[column] = integer_categories(pd.Categorical(values.where(values.isin(categories)), categories))
    return SweepData(X_train, train["y"].to_numpy(), X_test, communities)


def integer_categories(values: pd.Categorical) -> pd.Categorical:
    """The same categorical with its categories renamed 0..k-1 in their sorted order (missing
    stays missing). The models see the same one-hot columns and the same boosting bins, so the
    scores are identical, but encoding integers is several times faster than encoding strings:
    it was most of a small unit's time, scoring 67,596 test rows."""
    return pd.Categorical.from_codes(values.codes, categories=np.arange(len(values.categories)))


@functools.lru_cache(maxsize=2)
def _load(processed: str, key: str) -> SweepData:
    """load_data once per local worker process (the key keeps a changed folder from being reused)."""
    return load_data(Path(processed))


def fit_size(model, X: pd.DataFrame) -> tuple[int, int]:
    """(iterations, input columns) of a fitted model: boosting rounds or solver iterations actually
    run, and the columns the estimator saw (after one-hot encoding for logistic regression)."""
    estimator = model.steps[-1][1] if hasattr(model, "steps") else model
    iterations = int(np.max(estimator.n_iter_))
    columns = int(getattr(estimator, "n_features_in_", X.shape[1]))
    return iterations, columns


def permutation(n_rows: int, seed: int) -> np.ndarray:
    return np.random.default_rng([20240917, seed]).permutation(n_rows)


def run_unit(unit: Unit, data: SweepData | str, dkey: str, ckey: str) -> tuple[Unit, np.ndarray, dict]:
    """Fit and score one unit; returns it with its test-set scores and metadata (the client stores them).

    `data` is the loaded data (scattered by Dask) or the processed folder (local workers read it).
    """
    key = unit.key(dkey, ckey)
    if isinstance(data, str):
        data = _load(data, dkey)
    X_train, y_train, X_test, communities = data.X_train, data.y_train, data.X_test, data.communities
    rows = training_rows(unit, len(X_train), communities.get(unit.attribute))
    X, y = X_train.iloc[rows], y_train[rows]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    # One thread per unit: units are the parallel grain, and CPU time stays per-unit.
    with threadpool_limits(limits=1):
        degenerate = len(np.unique(y)) < 2
        if degenerate:  # a tiny subsample with one class: predict its base rate
            fit_end, fit_cpu = time.perf_counter(), time.process_time() - cpu0
            scores = np.full(len(X_test), float(y.mean()), dtype="float32")
            iterations, columns = 0, X.shape[1]
        else:
            model = build_model(unit.model, unit.params, X, unit.seed).fit(X, y)
            fit_end, fit_cpu = time.perf_counter(), time.process_time() - cpu0
            iterations, columns = fit_size(model, X)
            scores = model.predict_proba(X_test)[:, 1].astype("float32")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    meta = {**asdict(unit), "key": key, "data_key": dkey, "code_key": ckey, "degenerate": degenerate,
            "cpu_seconds": cpu, "fit_cpu_seconds": fit_cpu, "wall_seconds": wall, "fit_seconds": fit_end - wall0,
            "predict_seconds": wall - (fit_end - wall0), "iterations": iterations, "input_columns": columns,
            # A reproducible measure of training compute (identical across runs, unlike CPU time):
            # passes over one row-column cell, rows x input columns x iterations.
            "fit_operations": float(len(rows)) * columns * iterations}
    return unit, scores, meta


def store_unit(scores: np.ndarray, meta: dict, cache: Path) -> Path:
    """Write one unit's scores into the cache, atomically (the client alone does this)."""
    return write_parquet(pd.DataFrame({"score": scores}), Path(cache) / f"{meta['key']}.parquet", metadata=meta)


def _log(message: str):
    print(message, file=sys.stderr, flush=True)


def cached_unit_is_sound(path: Path, n_test: int) -> bool:
    """True when a unit's cache file exists, reads, and holds one score per test row with its
    metadata. A damaged one (a truncated copy, a full disk) is named, removed and recomputed."""
    if not path.exists():
        return False
    try:
        footer = pq.read_metadata(path)
        sound = footer.num_rows == n_test and b"community_scaling" in (footer.metadata or {})
        problem = f"{footer.num_rows} scores for {n_test} test rows, or no unit metadata"
    except Exception as exc:  # pyarrow raises several types for a damaged footer
        sound, problem = False, f"{type(exc).__name__}: {exc}"
    if not sound:
        _log(f"sweep: cached unit {path} is damaged ({problem}); recomputing it")
        path.unlink(missing_ok=True)
    return sound


def run_sweep(units: list[Unit], processed: Path, cache: Path, backend: str = "loky", n_jobs: int = 2,
              scheduler_address: str | None = None) -> pd.DataFrame:
    """Run every unit not yet cached; return the unit table (one row per unit)."""
    cache.mkdir(parents=True, exist_ok=True)
    dkey, ckey = data_key(processed), code_key()
    n_test = pq.read_metadata(processed / TEST_FILE).num_rows
    todo = [u for u in units if not cached_unit_is_sound(cache / f"{u.key(dkey, ckey)}.parquet", n_test)]
    _log(f"sweep: {len(units)} units, {len(units) - len(todo)} cached, {len(todo)} to run ({backend}, n_jobs={n_jobs})")
    if todo:
        progress = Progress(len(todo))
        if backend == "dask":
            from distributed import Client
            with Client(scheduler_address) as client:
                _log(f"sweep: Dask scheduler {scheduler_address}, {len(client.scheduler_info()['workers'])} workers")
                data = load_data(processed)
                # Scattered once to every worker: joblib swaps this object for its future in each task.
                with parallel_config(backend="dask", scatter=[data]):
                    tasks = (delayed(run_unit)(u, data, dkey, ckey) for u in todo)
                    _drain(Parallel(n_jobs=-1, return_as="generator_unordered")(tasks), cache, progress)
        else:
            tasks = (delayed(run_unit)(u, str(processed), dkey, ckey) for u in todo)
            jobs = 1 if backend == "sequential" else n_jobs
            # Idle workers exit soon (workers.IDLE_SECONDS), so none outlives a stopped run for long.
            _drain(parallel(jobs, return_as="generator_unordered")(tasks), cache, progress)
    return unit_table(units, cache, dkey, ckey)


def _drain(results, cache: Path, progress: Progress):
    """Store each unit as it arrives, so a killed sweep keeps every unit finished before the kill."""
    for done, (_, scores, meta) in enumerate(results, 1):
        store_unit(scores, meta, cache)
        progress.update(done)


def unit_table(units: list[Unit], cache: Path, dkey: str, ckey: str) -> pd.DataFrame:
    rows = []
    for unit in units:
        path = cache / f"{unit.key(dkey, ckey)}.parquet"
        meta = read_parquet_metadata(path)
        representation = {"attribute": unit.attribute, "community": unit.community,
                          "community_count": unit.community_count} if unit.attribute else {}
        capacity = {"capacity_parameter": unit.capacity, "capacity": float(unit.params[unit.capacity])} \
            if unit.capacity else {}
        rows.append({"unit_id": meta["key"][:16], "model": unit.model, "scale": unit.size, "seed": unit.seed,
                     **representation, **capacity, "file": path.name,
                     **{k: meta[k] for k in ("degenerate", "cpu_seconds", "fit_cpu_seconds", "wall_seconds",
                                             "fit_seconds", "predict_seconds", "iterations", "input_columns",
                                             "fit_operations")}})
    order = [c for c in ("model", "attribute", "community", "scale", "capacity", "community_count", "seed")
             if c in rows[0]]
    return pd.DataFrame(rows).sort_values(order, kind="stable").reset_index(drop=True)


def load_scores(units: pd.DataFrame, cache: Path) -> np.ndarray:
    """Test-set scores, one row per row of `units`."""
    return np.stack([read_parquet(cache / name)["score"].to_numpy() for name in units["file"]])


def iter_scores(units: pd.DataFrame, cache: Path, batch: int = 16):
    """(rows of `units`, their scores of shape (rows, n_test)) in batches of at most `batch`
    units, so a scorer never holds every unit's scores at once."""
    if batch < 1:
        raise InputError(f"batch must be >= 1 unit, got {batch}")
    for start in range(0, len(units), batch):
        part = units.iloc[start:start + batch]
        yield part, load_scores(part, cache)


def evaluate_units(units: pd.DataFrame, cache: Path, y_true: np.ndarray, groups: pd.DataFrame, threshold: float,
                   evaluable: dict[str, list[str]], columns: list[str], batch: int = 16) -> pd.DataFrame:
    """metrics.evaluation_table of every unit, streamed over batches of units: the same table
    (columns `columns` of `units`, then attribute, community, metric, value, n_eval, n_pos,
    evaluable), with memory for `batch` units' scores instead of all of them."""
    from .metrics import evaluation_table

    parts = [evaluation_table(y_true, scores, part[columns], groups, threshold, evaluable)
             for part, scores in iter_scores(units, cache, batch)]
    return pd.concat(parts, ignore_index=True)
