"""Rater label files -> the same standard tables, whatever the source.

- ratings: item, rater, label (float); one row per rating (EPIC adds split)
- raters:  rater, then one column per rater attribute (gender, race, age, ...)
- items:   item, text (plus the source's other text columns)

item and rater are strings in every source, so tables join the same way (EPIC's
tweet ids do not survive a float). Group and pooled labels: rater_groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .downloads import fetch
from .io import InputError, require_columns, sha256_file
from .rater_groups import evaluable_groups, group_labels, pooled_labels

__all__ = ["RaterTables", "load_popquorn", "load_epic", "load_dices", "group_labels", "pooled_labels",
           "evaluable_groups", "ATTRIBUTES", "POPQUORN_FILE", "EPIC_GROUPS", "EPIC_ALL_RATERS", "DICES_FILE"]


@dataclass(frozen=True)
class RaterTables:
    """The standard tables of one source, its label scale and the files read."""

    ratings: pd.DataFrame
    raters: pd.DataFrame
    items: pd.DataFrame
    values: tuple[float, ...]  # every label the scale allows, in order (alpha's value domain)
    level: str  # the level of measurement the labels have: "nominal" or "ordinal"
    files: dict[str, str]  # each file read -> its sha256 (DICES is fetched unpinned: this is its record)


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    # Everything as text, no NA guessing: an attribute "None" or a text "NA" stays what it is.
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from exc
    require_columns(frame, columns, str(path))
    return frame


def _coded_labels(column: pd.Series, codes: dict[str, float], path: Path) -> pd.Series:
    """`column` mapped through `codes`; anything else is an InputError naming the file and column."""
    labels = column.str.strip().map(codes)
    bad = column[labels.isna()].unique()
    if len(bad):
        raise InputError(f"{path}: column {column.name!r} holds value(s) {list(bad[:5])} "
                         f"outside {sorted(codes)}")
    return labels.astype(float)


def _numeric_labels(column: pd.Series, values: tuple[float, ...], path: Path) -> pd.Series:
    labels = pd.to_numeric(column, errors="coerce")
    bad = column[~labels.isin(values)].unique()
    if len(bad):
        raise InputError(f"{path}: column {column.name!r} holds value(s) {list(bad[:5])} outside {list(values)}")
    return labels.astype(float)


def _once_each(ratings: pd.DataFrame, where) -> pd.DataFrame:
    """`ratings` itself, or InputError when a rater rated an item twice."""
    twice = ratings.duplicated(["item", "rater"])
    if twice.any():
        first = ratings[twice].iloc[0]
        raise InputError(f"{where}: {twice.sum()} repeated (item, rater) rating(s), e.g. item {first['item']!r} "
                         f"by rater {first['rater']!r}")
    return ratings.reset_index(drop=True)


def _one_row_each(frame: pd.DataFrame, key: str, columns: dict[str, str], path) -> pd.DataFrame:
    """One row per value of the file's column `key` (renamed to columns[key]), with the other
    `columns` renamed; InputError when a key has two different values of them."""
    table = frame[list(columns)].drop_duplicates()
    clash = table[key].duplicated(keep=False)
    if clash.any():
        example = table[clash].iloc[0][key]
        raise InputError(f"{path}: {key} {example!r} has more than one value of {[c for c in columns if c != key]}")
    return table.rename(columns=columns).reset_index(drop=True)


def _attributes(table: pd.DataFrame, columns) -> pd.DataFrame:
    for column in columns:  # a blank attribute is missing, not a group called ""
        table[column] = table[column].mask(table[column].str.strip() == "")
    return table


POPQUORN_FILE = "popquorn/offensiveness_raw_data.csv"
_POPQUORN_ATTRIBUTES = ["gender", "race", "age", "occupation", "education"]


def load_popquorn(cache: str | Path | None = None) -> RaterTables:
    """POPQUORN offensiveness (Pei & Jurgens 2023): Reddit comments rated 1-5 by raters with demographics.

    The released file has 13,036 ratings of 1,500 texts by 262 raters (5-10 per text).
    raters columns: rater, gender, race, age, occupation, education. labels 1-5, level "ordinal".
    """
    path = fetch(POPQUORN_FILE, cache)
    frame = _read(path, ["instance_id", "user_id", "text", "offensiveness", *_POPQUORN_ATTRIBUTES])
    values = (1.0, 2.0, 3.0, 4.0, 5.0)
    label = _numeric_labels(frame["offensiveness"], values, path)
    ratings = _once_each(pd.DataFrame({"item": frame["instance_id"], "rater": frame["user_id"], "label": label}), path)
    raters = _one_row_each(frame, "user_id", {"user_id": "rater", **{a: a for a in _POPQUORN_ATTRIBUTES}}, path)
    items = _one_row_each(frame, "instance_id", {"instance_id": "item", "text": "text"}, path)
    return RaterTables(ratings, _attributes(raters, _POPQUORN_ATTRIBUTES), items, values, "ordinal",
                       {str(path): sha256_file(path)})


EPIC_GROUPS = {"country": ("Australia", "India", "Ireland", "United Kingdom", "United States"),
               "gender": ("Female", "Male"), "generation": ("Boomer", "GenX", "GenY", "GenZ")}
EPIC_ALL_RATERS = "all raters"  # the "rater" of the aggregated test set


def load_epic(cache: str | Path | None = None) -> RaterTables:
    """EPIC irony labels (Frenda et al. 2023) as released: per rater GROUP, not per rater.

    Each split file holds one 0/1 label per text for one group, the majority vote of that
    group's raters; ties were dropped upstream, so a text missing from a group's file may be
    a tie. Hence each group is ONE "rater" here (rater = the group's name, e.g. "Female"),
    and raters has group_aggregate=True and the group's dimension column set (country,
    gender or generation; the other two are missing). The aggregated test set (majority of
    all raters, ties dropped) is the rater "all raters" with every dimension missing.

    ratings has a split column: "train" / "validation" per group file, "test" for the
    aggregated test set. Splits were drawn per group upstream, so one text can be in one
    group's train set and another's validation set; no test text is in any group file.
    Within-group agreement cannot be computed from these files (one label per group);
    cross-group agreement can. level "nominal", labels 0 (not ironic) / 1 (ironic).
    """
    codes = {"0": 0.0, "1": 1.0}
    columns = ["id_text", "text", "parent_text", "label"]
    ratings, texts, files = [], [], {}
    per_group = [(g, split) for names in EPIC_GROUPS.values() for g in names for split in ("train", "validation")]
    for rater, split in [*per_group, (EPIC_ALL_RATERS, "test")]:
        name = "epic/aggregated_test_set.csv" if split == "test" else f"epic/{rater}_{split}_set.csv"
        path = fetch(name, cache)
        frame = _read(path, columns)
        label = _coded_labels(frame["label"], codes, path)
        ratings.append(pd.DataFrame({"item": frame["id_text"], "rater": rater, "label": label, "split": split}))
        texts.append(frame[columns[:3]])
        files[str(path)] = sha256_file(path)
    ratings = _once_each(pd.concat(ratings), "the EPIC files")
    items = _one_row_each(pd.concat(texts), "id_text", {"id_text": "item", "text": "text",
                                                        "parent_text": "parent_text"}, "the EPIC files")
    raters = pd.DataFrame({"rater": [*(g for names in EPIC_GROUPS.values() for g in names), EPIC_ALL_RATERS]})
    for dimension, names in EPIC_GROUPS.items():
        raters[dimension] = raters["rater"].where(raters["rater"].isin(names))
    raters["group_aggregate"] = True
    return RaterTables(ratings, raters, items, (0.0, 1.0), "nominal", files)


DICES_FILE = "dices/diverse_safety_adversarial_dialog_350.csv"
_DICES_ATTRIBUTES = {"rater_gender": "gender", "rater_race": "race", "rater_raw_race": "raw_race",
                     "rater_age": "age", "rater_education": "education"}


def load_dices(path_or_cache: str | Path | None = None, question: str = "Q_overall",
               unsure: str = "middle") -> RaterTables:
    """DICES-350 (Aroyo et al. 2023): 350 chatbot conversations x 123 raters = 43,050 rows.

    Layout as published in the dataset's 350/README.md (google-research-datasets/dices-dataset)
    and read by TensorFlow Datasets' `dices` builder: one row per (rater, conversation) with
    rater_id, rater_gender, rater_race, rater_raw_race (the 990 file spells it rater_race_raw:
    accepted), rater_age, rater_education, phase, item_id, context, response, expert columns,
    then the rater's answers Q1_..., Q2_... to Q_overall, each "Yes" / "No" / "Unsure" (Yes =
    the rater judged the final response unsafe). All 123 raters are kept; the papers drop 19.

    label is the answer to `question` coded No=0, Unsure=1, Yes=2 (level "ordinal"); with
    unsure="drop" Unsure answers are left out and labels are No=0, Yes=1 (level "nominal").
    items: item, text (the final response), context. raters: rater, gender, race, raw_race,
    age, education. path_or_cache: a CSV file in this layout, or a cache folder to fetch into.
    """
    if unsure not in ("middle", "drop"):
        raise InputError(f"unsure must be 'middle' or 'drop', got {unsure!r}")
    target = Path(path_or_cache) if path_or_cache is not None else None
    if target is not None and (target.is_file() or target.suffix == ".csv"):
        path = target
    else:
        path = fetch(DICES_FILE, target)
    if not path.exists():
        raise InputError(f"file not found: {path}")
    frame = _read(path, ["rater_id", "item_id"]).rename(columns={"rater_race_raw": "rater_raw_race"})
    require_columns(frame, [*_DICES_ATTRIBUTES, "context", "response", question], str(path))
    codes = {"No": 0.0, "Unsure": 1.0, "Yes": 2.0}
    label = _coded_labels(frame[question], codes, path)
    if unsure == "drop":
        frame, label = frame[label != 1.0], label[label != 1.0].map({0.0: 0.0, 2.0: 1.0})
    ratings = _once_each(pd.DataFrame({"item": frame["item_id"], "rater": frame["rater_id"], "label": label}), path)
    raters = _one_row_each(frame, "rater_id", {"rater_id": "rater", **_DICES_ATTRIBUTES}, path)
    items = _one_row_each(frame, "item_id", {"item_id": "item", "response": "text", "context": "context"}, path)
    values, level = ((0.0, 1.0, 2.0), "ordinal") if unsure == "middle" else ((0.0, 1.0), "nominal")
    return RaterTables(ratings, _attributes(raters, _DICES_ATTRIBUTES.values()), items, values, level,
                       {str(path): sha256_file(path)})


def check_first_hashes(files: dict[str, str], study_file: Path) -> None:
    """Files read with no published sha256 (DICES, downloads.UNPINNED): the first copy's hash is
    recorded beside the study file (acs_files' record, trust on first use) and later copies must match."""
    from .acs_files import Checksums
    from .downloads import UNPINNED

    unpinned = {Path(name).name for name in UNPINNED}
    checks = Checksums(study_file, trust_on_first_use=True)
    for path in files:
        if Path(path).name in unpinned:
            checks.check(Path(path).name, Path(path))


# Each source's rater attributes are fixed by its loader: the study file is checked against them.
ATTRIBUTES = {"popquorn": tuple(_POPQUORN_ATTRIBUTES), "epic": tuple(EPIC_GROUPS),
              "dices": tuple(_DICES_ATTRIBUTES.values())}


def files(source: str) -> list[str]:
    """The download names (data-cache paths) of a rater-label source's raw files."""
    from .downloads import REGISTRY

    names = {"popquorn": [POPQUORN_FILE], "dices": [DICES_FILE],
             "epic": sorted(name for name in REGISTRY if name.startswith("epic/"))}
    if source not in names:
        raise InputError(f"unknown rater-label source {source!r}; known: {sorted(names)}")
    return names[source]


def cached_files(source: str, cache: str | Path | None = None) -> list[Path]:
    """Where a rater-label study's raw files live in the data cache (Make's prerequisites of its ingest)."""
    from .paths import data_cache

    return [data_cache(cache) / name for name in files(source)]


LOADERS = {"popquorn": load_popquorn, "epic": load_epic, "dices": load_dices}
