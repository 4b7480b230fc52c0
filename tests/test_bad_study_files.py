"""Issue 22, bad input on every kind: each case is refused early (when the study file is
validated, or at ingest) with an error naming the key, the value or the file."""

import os

import numpy as np
import pandas as pd
import pytest

from community_scaling import ingest, representation, row_filter, study
from community_scaling.io import InputError


def people_frame(n=600, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(16, 90, n),
        "group": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
        "sex": rng.choice(["F", "M"], n),
        "hours": rng.normal(40, 10, n).round(),
        "label": rng.choice(["yes", "no"], n, p=[0.3, 0.7]),
    })


def file_study(path, **data) -> dict:
    base = {"source": "file", "path": str(path), "target": "label", "positive_label": "yes", "population": None,
            "communities": ["group", "sex"], "intersections": [["group", "sex"]], "test_fraction": 0.3}
    return {"data": {**base, **data}, "evaluation": {"min_count": 20, "min_positives": 3}}


def load(write_study, config: dict) -> study.Study:
    return study.load("x", write_study(config))


# ---- the study file ----

def test_yaml_aliases_are_refused_before_they_expand(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    levels = ['  a0: &a0 ["lol", "lol", "lol"]'] + [f"  a{k}: &a{k} [*a{k - 1}, *a{k - 1}, *a{k - 1}]" for k in range(1, 6)]
    bomb.write_text("data:\n  exclude_features: []\nlaughs:\n" + "\n".join(levels) + "\n")
    with pytest.raises(InputError, match=r"bomb.yaml: alias \*a0 found: study files may not use YAML anchors "
                                         r"and aliases[\s\S]*line 5"):
        study.load("bomb", bomb)


def test_sizes_that_round_back_to_their_start_are_refused(write_study):
    with pytest.raises(InputError, match=r"sweep.sizes start 1 x factor 1.2 rounds to 1: sizes must strictly "
                                         r"increase"):
        load(write_study, {"sweep": {"sizes": {"start": 1, "factor": 1.2}}})
    sizes = load(write_study, {"sweep": {"sizes": {"start": 10, "factor": 1.2}}}).sizes(1000)
    assert sizes[0] == 10 and sizes[-1] == 1000 and all(b > a for a, b in zip(sizes, sizes[1:]))


@pytest.mark.parametrize("expression, message", [
    ("age > 10 ** 10 ** 10", r"data.population 'age > 10 \*\* 10 \*\* 10': the literal '10 \*\* 10 \*\* 10' is "
                             r"beyond 1e\+300"),
    ("age > ((10 ** 18) ** 64) ** 64", r"the literal '\(\(10 \*\* 18\) \*\* 64\) \*\* 64' is beyond"),
    ("age > 1" + "0" * 400, r"data.population 'age > 1000.*\.\.\..*': the literal '1000.*\.\.\..*' is beyond"),
    ("group == 'a' * 10 ** 9", r"arithmetic on the text literal in \"'a' \* 10 \*\* 9\" is not allowed"),
])
def test_huge_literals_in_expressions_are_refused_at_validation(write_study, expression, message):
    with pytest.raises(InputError, match=message):
        load(write_study, {"data": {"population": expression}})


def test_ordinary_literal_arithmetic_still_filters():
    frame = pd.DataFrame({"age": [5, 20, 5000], "group": ["ab", "c", "ab"]})
    assert row_filter.evaluate(frame, "age > 2 ** 10", "q").tolist() == [False, False, True]
    assert row_filter.evaluate(frame, "group == 'a' + 'b'", "q").tolist() == [True, False, True]


def test_a_data_path_that_is_not_a_regular_file_is_refused(write_study, tmp_path):
    zero = load(write_study, file_study("/dev/zero"))
    with pytest.raises(InputError, match=r"data.path /dev/zero is a character device, not a regular file"):
        ingest.input_files(zero)  # run by `python -m community_scaling.study`, before any notebook
    with pytest.raises(InputError, match=r"data.path /dev/zero is a character device"):
        ingest.prepare(zero)
    people = tmp_path / "people.csv"
    people_frame().to_csv(people, index=False)
    os.mkfifo(tmp_path / "pipe.csv")
    piped = load(write_study, file_study(people, test_path=str(tmp_path / "pipe.csv")))
    with pytest.raises(InputError, match=r"data.test_path .*pipe.csv is a named pipe \(FIFO\), not a regular file"):
        ingest.input_files(piped)


def test_long_values_are_quoted_short_and_once(write_study, tmp_path):
    long = list(range(1, 200_001))
    with pytest.raises(InputError) as info:
        study.validate({"sweep": {"seeds": long}}, "x", tmp_path / "x.yaml")
    message = str(info.value)
    assert len(message) < 500 and message.count("sweep.seeds") == 1
    assert "sweep.seeds must be int, got list [1, 2, 3, 4, 5, 6, 7, 8, ...]" in message
    with pytest.raises(InputError) as info:
        study.validate({"sweep": {"sizes": long}}, "x", tmp_path / "x.yaml").sizes(1000)
    assert len(str(info.value)) < 500 and "[1001, 1002, 1003" in str(info.value)
    file = write_study({"sweep": {"seeds": long[:20_000]}})  # shorter: PyYAML reads 200,000 numbers slowly
    with pytest.raises(SystemExit) as exit_info:
        study.main(["x", "--study-file", str(file)])
    assert len(str(exit_info.value)) < 500 and str(exit_info.value).count("sweep.seeds") == 1


@pytest.mark.parametrize("data, message", [
    ({"exclude_features": [["hours", "age"]]},
     r"data.exclude_features must be a list of str; its element \['hours', 'age'\] is list"),
    ({"communities": ["race", ["sex"]]}, r"data.communities must be a list of str; its element \['sex'\] is list"),
    ({"intersections": [["race", ["sex"]]]}, r"data.intersections entry \['race', \['sex'\]\] must be a pair of "
                                             r"community column names"),
])
def test_list_elements_are_type_checked(write_study, data, message):
    with pytest.raises(InputError, match=message):
        load(write_study, {"data": data})


@pytest.mark.parametrize("edges, message", [
    (["18", "30", "45"], r"data.bands.age_band.edges \['18', '30', '45'\] must be a list of numbers; '18' is str"),
    ([18, True, 45], r"data.bands.age_band.edges \[18, True, 45\] must be a list of numbers; True is bool"),
    ([18, 18, 45], r"data.bands.age_band.edges \[18, 18, 45\] must be at least two finite, strictly increasing"),
])
def test_band_edges_must_be_increasing_numbers(write_study, edges, message):
    bands = {"age_band": {"column": "age", "edges": edges}}
    with pytest.raises(InputError, match=message):
        load(write_study, {"data": {"bands": bands, "communities": ["race", "sex"]}})


def acs_study(**data) -> dict:
    return {"data": {"source": "acs", "acs_states": ["AL"], "acs_task": "ACSIncome", **data}}


def test_acs_year_must_be_a_published_one(write_study):
    with pytest.raises(InputError, match=r"data.acs_year 2099 has no 1-Year PUMS files that folktables reads; "
                                         r"published years: 2014-2024 except \[2020\]"):
        load(write_study, acs_study(acs_year=2099))
    with pytest.raises(InputError, match=r"data.acs_year 2020 has no 1-Year PUMS files"):
        load(write_study, acs_study(acs_year=2020))  # no standard 1-Year release for 2020 (COVID-19)
    assert load(write_study, acs_study(acs_year=2020, acs_horizon="5-Year"))["data"]["acs_year"] == 2020


def test_representation_needs_three_totals(write_study):
    with pytest.raises(InputError, match=r"representation.totals \[8192, 65536\] gives 2 distinct totals n; "
                                         r"Rolf et al.'s model .* needs at least 3"):
        load(write_study, {"representation": {"attribute": "race", "totals": [8192, 65536]}})
    default = load(write_study, {"representation": {"attribute": "race"}})
    assert len(set(default["representation"]["totals"])) >= 3  # the schema default itself is valid


def test_two_totals_fail_every_fit_for_the_named_reason_and_keep_it():
    """The real reason behind notebook 04's AttributeError: fit_rolf needs 3 totals, every fit
    failed, and the empty curves had no columns, hiding effects.note."""
    rows = [{"model": "logistic_regression", "scale": total, "seed": seed, "community_count": count,
             "attribute": "race", "community": "Black", "metric": "error",
             "value": 0.1 + 0.2 / (count + 1) ** 0.5 + 1 / total ** 0.5 + 0.001 * seed}
            for total in (1000, 2000) for seed in range(3) for count in (0, 10, 50, 100)]
    fitted = representation.fit_representation(pd.DataFrame(rows), n_boot=0)
    assert "fewer than 3 distinct sizes n" in fitted.effects.note.iloc[0]
    assert {"community", "total", "community_count", "predicted"} <= set(fitted.predictions.columns)


# ---- ingest ----

def test_blank_community_values_are_missing_in_parquet_as_in_csv(write_study, tmp_path):
    frame = people_frame()
    frame.loc[:40, "group"] = ""
    frame.loc[41:80, "group"] = "   "
    frame.to_parquet(tmp_path / "people.parquet", index=False)
    frame.to_csv(tmp_path / "people.csv", index=False)
    for name in ("people.parquet", "people.csv"):
        prepared = ingest.prepare(load(write_study, file_study(tmp_path / name, drop_test_duplicates=False)))
        both = pd.concat([prepared.train, prepared.test])
        assert set(both.group.dropna()) == {"a", "b", "c"}, name
        assert both.group.isna().sum() == 81, name
        assert not both["group x sex"].dropna().str.startswith(" ").any(), name
        assert both["group x sex"].isna().sum() == 81, name


def test_a_test_file_lacking_a_training_column_is_named(write_study, tmp_path):
    frame = people_frame()
    frame.to_csv(tmp_path / "train.csv", index=False)
    people_frame(seed=1).drop(columns=["hours"]).to_csv(tmp_path / "test.csv", index=False)
    settings = file_study(tmp_path / "train.csv", test_path=str(tmp_path / "test.csv"))
    with pytest.raises(InputError, match=r"the test file \(data.test_path\) .*test.csv lacks feature column\(s\) "
                                         r"\['hours'\] of the data file \(data.path\) .*train.csv"):
        ingest.prepare(load(write_study, settings))
    settings["data"]["alternative_outcomes"] = {"long_hours": "hours >= 45"}
    with pytest.raises(InputError, match=r"data.alternative_outcomes.long_hours 'hours >= 45': column 'hours' not "
                                         r"found.*\(in the test file \(data.test_path\) .*test.csv\)"):
        ingest.prepare(load(write_study, settings))


@pytest.mark.parametrize("new_rows, remain", [(0, 0), (5, 5)])
def test_too_few_test_rows_after_dropping_copies_stop_at_ingest(write_study, tmp_path, new_rows, remain):
    frame = people_frame()
    frame.to_csv(tmp_path / "train.csv", index=False)
    fresh = people_frame(new_rows).assign(hours=lambda f: f.hours + 0.5)  # half hours: no training row has them
    pd.concat([frame.iloc[:100], fresh]).to_csv(tmp_path / "test.csv", index=False)
    settings = file_study(tmp_path / "train.csv", test_path=str(tmp_path / "test.csv"))
    with pytest.raises(InputError, match=rf"^{remain} test rows remain after dropping 100 that copy a training row "
                                         r"\(data.drop_test_duplicates: true\); .*evaluation.min_count = 20"):
        ingest.prepare(load(write_study, settings))
    settings["data"]["drop_test_duplicates"] = False
    assert len(ingest.prepare(load(write_study, settings)).test) == 100 + new_rows
