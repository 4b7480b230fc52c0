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
    s = study.load("mine", write_study(config(path, drop_test_duplicates=False)))
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
    # 7,265 of the 74,861 test people are exact copies of a training row (features and label): dropped
    assert len(prepared.train) == 149175 and len(prepared.test) == 74861 - 7265
    assert prepared.dropped_rows["test rows identical to a training row (features and label)"] == 7265
    assert prepared.train.age.min() == 16
    assert abs(prepared.train.y.mean() - 0.083) < 0.001
    assert set(prepared.train.sex) == {"Female", "Male"}
    assert prepared.train["race x sex"].nunique() == 10
    assert len(prepared.raw_sha256) == 2


@pytest.mark.parametrize("change, message", [
    ({"target": "labl"}, r"target column 'labl' not found .* \(did you mean 'label'\?\)"),
    ({"communities": ["grup", "sex"], "intersections": []}, r"community column 'grup' not found .* \(did you mean 'group'\?\)"),
    ({"positive_label": "maybe"}, r"positive label 'maybe' not present in target column 'label'"),
    ({"population": "age >= 200"}, r"data.population 'age >= 200' selects 0 of the 600 rows of .*people.csv"),
    ({"population": "agee > 3"}, r"data.population 'agee > 3': column 'agee' not found"),
    ({"path": "nowhere.csv"}, r"data file not found: .*nowhere.csv"),
    ({"alternative_outcomes": {"x": "nope > 1"}}, r"data.alternative_outcomes.x 'nope > 1': column 'nope' not found"),
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


# ---- a reader's data is untrusted: silent cases become correct or named ----

def test_exploit_in_population_does_not_run(people, write_study, tmp_path, monkeypatch):
    path, _ = people
    monkeypatch.chdir(tmp_path)
    exploit = "(age >= 18) & (@pd.io.common.os.system('id > pwned') == 0)"
    s = study.load("mine", write_study(config(path)))
    s.config["data"]["population"] = exploit  # even past the study-file check, ingest refuses it
    with pytest.raises(InputError, match="uses '@'"):
        ingest.prepare(s)
    assert not (tmp_path / "pwned").exists()


def test_reader_column_named_like_the_label_is_refused_or_dropped(people, write_study, tmp_path):
    path, frame = people
    frame.assign(y=frame.label == "yes").to_csv(tmp_path / "leak.csv", index=False)
    with pytest.raises(InputError, match=r"column\(s\) \['y'\] of .*leak.csv have names the compendium gives"):
        ingest.prepare(study.load("mine", write_study(config(tmp_path / "leak.csv"))))
    prepared = ingest.prepare(study.load("mine", write_study(config(tmp_path / "leak.csv", exclude_features=["y"]))))
    assert "y" not in prepared.features
    both = pd.concat([prepared.train, prepared.test])
    assert both.y.sum() == (frame[frame.age >= 16].label == "yes").sum()


def test_target_named_y_is_fine(people, write_study, tmp_path):
    path, frame = people
    frame.rename(columns={"label": "y"}).to_csv(tmp_path / "y.csv", index=False)
    prepared = ingest.prepare(study.load("mine", write_study(config(tmp_path / "y.csv", target="y"))))
    assert "y" not in prepared.features
    assert pd.concat([prepared.train, prepared.test]).y.sum() == (frame[frame.age >= 16].label == "yes").sum()


def test_missing_targets_are_dropped_and_counted(people, write_study, tmp_path):
    path, frame = people
    frame.loc[frame.index[:100], "label"] = np.nan
    frame.to_csv(tmp_path / "holes.csv", index=False)
    prepared = ingest.prepare(study.load("mine", write_study(config(tmp_path / "holes.csv", drop_test_duplicates=False))))
    adults = frame[frame.age >= 16]
    both = pd.concat([prepared.train, prepared.test])
    assert len(both) == adults.label.notna().sum()
    assert both.y.mean() == pytest.approx((adults.label.dropna() == "yes").mean())  # not diluted by zeros
    dropped = ingest.dropped_table(prepared)
    assert dropped.set_index("reason").rows["missing target (training file)"] == adults.label.isna().sum()


def test_community_coded_na_is_a_community(people, write_study, tmp_path):
    path, frame = people
    frame.assign(group=frame.group.replace({"c": "NA"})).to_csv(tmp_path / "na.csv", index=False)
    prepared = ingest.prepare(study.load("mine", write_study(config(tmp_path / "na.csv"))))
    sheet = ingest.datasheet(prepared, min_count=1, min_positives=1)
    assert "NA" in set(sheet[sheet.attribute == "group"].community)
    assert prepared.train.group.notna().all()


def test_no_evaluable_community_stops_at_ingest(people, write_study):
    path, _ = people
    prepared = ingest.prepare(study.load("mine", write_study(config(path))))
    sheet = ingest.datasheet(prepared, min_count=100000, min_positives=10)
    with pytest.raises(InputError, match=r"no community is evaluable under evaluation.min_count = 100000.*test rows"):
        ingest.require_evaluable(sheet, 100000, 10)


def test_numeric_labels_compare_as_numbers(people, write_study, tmp_path):
    path, frame = people
    frame.assign(label=(frame.label == "yes").astype(int)).to_csv(tmp_path / "num.csv", index=False)
    prepared = ingest.prepare(study.load("mine", write_study(config(tmp_path / "num.csv", positive_label="1"))))
    assert pd.concat([prepared.train, prepared.test]).y.sum() == (frame[frame.age >= 16].label == "yes").sum()
    with pytest.raises(InputError, match=r"holds numbers, but data.positive_label is 'yes'"):
        ingest.prepare(study.load("mine", write_study(config(tmp_path / "num.csv"))))


@pytest.mark.parametrize("content, message", [
    ("age;group;sex;hours;label\n20;a;F;40;yes\n", r"single column .* looks separated by ';'"),
    ("age,group,sex,hours,label\n", r"has a header but 0 data rows"),
    ("age,group,sex,hours,label\n20,a,F,40,yes\n30,b,M,4", r"last line has 4 of 5 fields and no line end; is the file truncated"),
    ("age,group,age,hours,label\n20,a,30,40,yes\n", r"column name\(s\) \['age'\] appear more than once"),
    ("", r"is empty"),
])
def test_malformed_csv_is_named(people, write_study, tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    with pytest.raises(InputError, match=message):
        ingest.prepare(study.load("mine", write_study(config(bad))))


def test_bands_need_a_numeric_column(people, write_study):
    path, _ = people
    bands = {"sex_band": {"column": "sex", "edges": [0, 1]}}
    with pytest.raises(InputError, match=r"data.bands.sex_band: column 'sex' .* not numbers"):
        ingest.prepare(study.load("mine", write_study(config(path, bands=bands))))


def test_infinite_feature_is_named(people, write_study, tmp_path):
    path, frame = people
    frame.assign(hours=frame.hours.where(frame.index != 3, np.inf)).to_csv(tmp_path / "inf.csv", index=False)
    with pytest.raises(InputError, match=r"infinite values: 'hours' \(1 rows\)"):
        ingest.prepare(study.load("mine", write_study(config(tmp_path / "inf.csv", population=None))))


def test_test_file_errors_name_the_test_file(people, write_study, tmp_path):
    path, frame = people
    frame.drop(columns=["label"]).to_csv(tmp_path / "test_part.csv", index=False)
    with pytest.raises(InputError, match=r"target column 'label' not found in .*test_part.csv"):
        ingest.prepare(study.load("mine", write_study(config(path, test_path=str(tmp_path / "test_part.csv")))))


def test_representation_settings_checked_against_the_data(people, write_study):
    from community_scaling import preflight

    path, _ = people
    s = study.load("mine", write_study({**config(path), "representation": {"attribute": "group",
                                                                            "communities": ["z"]}}))
    prepared = ingest.prepare(s)
    evaluable = ingest.evaluable_communities(ingest.datasheet(prepared, 20, 3))
    with pytest.raises(InputError, match=r"representation.communities \['z'\] not found in column 'group'"):
        preflight.check_data(s, prepared.train, evaluable)
    s.config["representation"]["communities"] = ["a"]
    s.config["representation"]["totals"] = [10**6]
    with pytest.raises(InputError, match=r"representation.totals \[1000000\] exceed the \d+ training rows"):
        preflight.check_data(s, prepared.train, evaluable)
    s.config["representation"]["totals"] = [100]
    with pytest.raises(InputError, match=r"\['a'\] are not evaluable"):
        preflight.check_data(s, prepared.train, {"group": ["b"]})
    preflight.check_data(s, prepared.train, evaluable)  # a valid setting passes


def test_test_rows_copying_a_training_row_are_dropped_and_counted(people, write_study, tmp_path):
    path, frame = people
    train_file, test_file = tmp_path / "train.csv", tmp_path / "test.csv"
    frame.to_csv(train_file, index=False)
    test = pd.concat([frame.iloc[:7], frame.iloc[:50].assign(hours=frame.hours.iloc[:50] + 0.5)])
    test.to_csv(test_file, index=False)  # 7 exact copies, 50 rows that differ in one feature
    kept = ingest.prepare(study.load("mine", write_study(config(train_file, test_path=str(test_file), population=None))))
    assert len(kept.test) == 50 and kept.dropped_rows["test rows identical to a training row (features and label)"] == 7
    settings = config(train_file, test_path=str(test_file), population=None, drop_test_duplicates=False)
    assert len(ingest.prepare(study.load("mine", write_study(settings))).test) == 57
