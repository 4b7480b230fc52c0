"""ACS PUMS person files turned into a folktables prediction task, read in chunks.

The task (features, target and its threshold, population filter, missing-value
rule) is folktables' own object (ACSIncome, ACSEmployment, ACSPublicCoverage),
applied here chunk by chunk to columns read as float32, so a national file
(about 3.2 million people a year) never sits in memory whole with its 286
columns. On the Alabama sample it gives what folktables' own loader gives
(tests/test_acs.py). Communities are added as readable columns: race (RAC1P),
sex (SEX) and state (ST); age bands come from the study's `bands` over AGEP.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from .io import InputError

TASKS = ("ACSIncome", "ACSEmployment", "ACSPublicCoverage")
CHUNK_ROWS = 200_000
# Labels of the PUMS codes (ACS PUMS data dictionary), for readable community names.
RACE = {1: "White alone", 2: "Black alone", 3: "American Indian alone", 4: "Alaska Native alone",
        5: "American Indian and Alaska Native", 6: "Asian alone", 7: "Native Hawaiian and Pacific Islander alone",
        8: "Some other race alone", 9: "Two or more races"}
SEX = {1: "Male", 2: "Female"}
# community column -> the PUMS column it labels
COMMUNITY_SOURCES = {"race": "RAC1P", "sex": "SEX", "state": "ST"}


def task(name: str):
    """folktables' task object of that name."""
    if name not in TASKS:
        close = difflib.get_close_matches(name, TASKS, n=1)
        raise InputError(f"data.acs_task {name!r} is not a supported task{f' (did you mean {close[0]!r}?)' if close else ''}; "
                         f"known: {list(TASKS)}")
    import folktables

    return getattr(folktables, name)


def _filter_columns(problem, available: list[str], known: list[str]) -> list[str]:
    """Columns the task's population filter reads beyond `known`: found by running it on an
    empty frame and adding each column its KeyError names (the filter is folktables' code)."""
    needed = list(known)
    while True:
        try:
            problem._preprocess(pd.DataFrame({c: pd.Series(dtype="float32") for c in needed}))
            return needed[len(known):]
        except KeyError as exc:
            missing = exc.args[0] if exc.args else None
            if missing not in available or missing in needed:
                raise InputError(f"the {problem.target} task's filter needs column {missing!r}, which the person "
                                 "file does not have") from exc
            needed.append(missing)


def _labels(codes: pd.Series, names: dict[int, str]) -> pd.Series:
    """Codes as their labels (the code itself where none is known); missing stays missing."""
    mapping = {code: names.get(int(code), f"{int(code):02d}") for code in pd.unique(codes.dropna())}
    return codes.map(mapping).astype("category")


def read_person_file(path: Path, problem, chunk_rows: int = CHUNK_ROWS) -> pd.DataFrame:
    """One state's person file as the task's rows: its features (float32, folktables'
    missing-value rule), its target as 0/1 (int8) under the target's name, and the
    community columns race, sex and state (text). Read in chunks of `chunk_rows`."""
    from .acs_files import state_codes
    from .ingest import csv_header_checks

    header = csv_header_checks(path)  # a file cut mid-line is an error, not fewer rows
    known = list(dict.fromkeys([*problem.features, problem.target, *COMMUNITY_SOURCES.values()]))
    absent = [c for c in known if c not in header]
    if absent:
        raise InputError(f"ACS person file {path} lacks column(s) {absent} that the {problem.target} task or the "
                         "communities need; is it a PUMS person file (psam_p*.csv)?")
    columns = known + _filter_columns(problem, header, known)
    states = {int(code): postal for postal, code in state_codes().items()}
    parts = []
    try:
        reader = pd.read_csv(path, usecols=columns, dtype="float32", chunksize=chunk_rows)
        for chunk in reader:
            kept = problem._preprocess(chunk)
            # folktables' df_to_pandas, minus the copy of every column: features, then the target.
            features = problem._postprocess(kept[problem.features].to_numpy())
            part = pd.DataFrame(np.asarray(features, dtype="float32"), columns=problem.features)
            part[problem.target] = np.asarray(problem.target_transform(kept[problem.target]), dtype="int8")
            codes = kept[list(COMMUNITY_SOURCES.values())].reset_index(drop=True)
            for column, names in (("race", RACE), ("sex", SEX), ("state", states)):
                part[column] = _labels(codes[COMMUNITY_SOURCES[column]], names)
            parts.append(part)
    except InputError:
        raise
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read ACS person file {path}: {type(exc).__name__}: {exc}") from exc
    if not parts:
        raise InputError(f"ACS person file {path} has a header but 0 data rows")
    return _one_category_set(pd.concat(parts, ignore_index=True))


def _one_category_set(frame: pd.DataFrame) -> pd.DataFrame:
    """Chunks and states have different category sets (pandas concatenates them as text)."""
    for column in COMMUNITY_SOURCES:
        frame[column] = frame[column].astype("category")
    return frame


def load(data: dict, study_file: Path, cache=None, chunk_rows: int = CHUNK_ROWS) -> tuple[pd.DataFrame, str, dict]:
    """The study's task rows from every state it names (files fetched and checked first),
    a description of the source, and {file: sha256}."""
    from .acs_files import ensure, expected_files

    hashes = ensure(data, study_file, cache)
    problem = task(data["acs_task"])
    frames = [read_person_file(path, problem, chunk_rows) for path in expected_files(data, cache)]
    frame = _one_category_set(pd.concat(frames, ignore_index=True)) if len(frames) > 1 else frames[0]
    where = (f"ACS PUMS {data['acs_year']} {data['acs_horizon']} person files for {', '.join(data['acs_states'])} "
             f"({data['acs_task']})")
    return frame, where, hashes
