import numpy as np
import pandas as pd
import pytest

from community_scaling import ingest, study
from community_scaling.io import InputError


@pytest.fixture
def people(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({
        "age": rng.integers(10, 90, n),
        "group": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
        "sex": rng.choice(["F", "M"], n),
        "hours": rng.normal(40, 10, n).round(),
        "label": rng.choice(["yes", "no"], n, p=[0.3, 0.7]),
    })
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    return path, frame


def config(data_path, **data):
    base = {"source": "file", "path": str(data_path), "target": "label", "positive_label": "yes",
            "population": "age >= 16", "communities": ["group", "sex"], "intersections": [["group", "sex"]],
            "bands": {"age_band": {"column": "age", "edges": [16, 40, 65]}},
            "alternative_outcomes": {"long_hours": "hours >= 45"}, "test_fraction": 0.3}
    return {"data": {**base, **data}, "evaluation": {"min_count": 20, "min_positives": 3}}


def test_reader_file_round_trip(people, write_study):
    path, frame = people
    s = study.load("mine", write_study(config(path)))
    prepared = ingest.prepare(s)
    adults = frame[frame.age >= 16]
    assert len(prepared.train) + len(prepared.test) == len(adults)
    assert prepared.train.y.sum() + prepared.test.y.sum() == (adults.label == "yes").sum()
    assert set(prepared.train["group x sex"].dropna()) <= {f"{g} & {s}" for g in "abc" for s in "FM"}
    assert set(prepared.train.age_band.dropna()) <= {"16-39", "40-64", "65+"}
    both = pd.concat([prepared.train, prepared.test])
    assert (both.alt_long_hours == (both.hours >= 45)).all()
    assert "label" not in prepared.features and "group" in prepared.features
    assert prepared.outcomes == ["y", "alt_long_hours"]


def test_datasheet_counts_and_rule(people, write_study):
    path, _ = people
    prepared = ingest.prepare(study.load("mine", write_study(config(path))))
    sheet = ingest.datasheet(prepared, min_count=20, min_positives=3)
    row = sheet[(sheet.attribute == "group") & (sheet.community == "a")].iloc[0]
    assert row.test_count == (prepared.test.group == "a").sum()
    assert row.train_base_rate == pytest.approx(prepared.train.y[prepared.train.group == "a"].mean())
    small = sheet[sheet.test_count < 20]
    assert not small.evaluable.any() and small.excluded_because.str.contains("test rows").all()
    assert ingest.evaluable_communities(sheet)["sex"] == ["F", "M"]


def test_census_default_population():
    prepared = ingest.prepare(study.load("census"))
    assert len(prepared.train) == 149175 and len(prepared.test) == 74861
    assert prepared.train.age.min() == 16
    assert abs(prepared.train.y.mean() - 0.083) < 0.001
    assert set(prepared.train.sex) == {"Female", "Male"}
    assert prepared.train["race x sex"].nunique() == 10
    assert len(prepared.raw_sha256) == 2


@pytest.mark.parametrize("change, message", [
    ({"target": "labl"}, r"target column 'labl' not found .* \(did you mean 'label'\?\)"),
    ({"communities": ["grup", "sex"], "intersections": []}, r"community column 'grup' not found .* \(did you mean 'group'\?\)"),
    ({"positive_label": "maybe"}, r"positive label 'maybe' not present in target column 'label'"),
    ({"population": "age >= 200"}, r"single class|positive label"),
    ({"population": "agee > 3"}, r"data.population 'agee > 3' failed"),
    ({"path": "nowhere.csv"}, r"data file not found: .*nowhere.csv"),
    ({"alternative_outcomes": {"x": "nope > 1"}}, r"data.alternative_outcomes.x 'nope > 1' failed"),
])
def test_bad_data_names_the_culprit(people, write_study, change, message):
    path, _ = people
    with pytest.raises(InputError, match=message):
        ingest.prepare(study.load("mine", write_study(config(path, **change))))


def test_single_class_target(people, write_study, tmp_path):
    path, frame = people
    frame.assign(label="no").to_csv(tmp_path / "one.csv", index=False)
    with pytest.raises(InputError, match="positive label 'yes' not present"):
        ingest.prepare(study.load("mine", write_study(config(tmp_path / "one.csv"))))
    frame.assign(label="yes").to_csv(tmp_path / "one.csv", index=False)
    with pytest.raises(InputError, match="target 'label' has a single class in the training split"):
        ingest.prepare(study.load("mine", write_study(config(tmp_path / "one.csv"))))


def test_community_all_missing(people, write_study, tmp_path):
    path, frame = people
    frame.assign(group=np.nan).to_csv(tmp_path / "nogroup.csv", index=False)
    with pytest.raises(InputError, match="community column 'group' has only missing values"):
        ingest.prepare(study.load("mine", write_study(config(tmp_path / "nogroup.csv"))))


def test_truncated_and_unreadable_files(people, write_study, tmp_path):
    path, frame = people
    broken = tmp_path / "broken.parquet"
    frame.to_parquet(broken)
    broken.write_bytes(broken.read_bytes()[:200])
    with pytest.raises(InputError, match=r"cannot read data file .*broken.parquet"):
        ingest.prepare(study.load("mine", write_study(config(broken))))
    odd = tmp_path / "data.xlsx"
    odd.write_text("x")
    with pytest.raises(InputError, match=r"unsupported type '.xlsx'"):
        ingest.prepare(study.load("mine", write_study(config(odd))))


def test_truncated_census_csv(tmp_path):
    short = tmp_path / "short.csv"
    short.write_text("73, Not in universe, 0\n58, Self-employed, 4\n")
    with pytest.raises(InputError, match=r"last column 'income' is empty; is the file truncated"):
        ingest.read_table(short, ingest.CENSUS_COLUMNS)
