"""Issue 22, rater-label and published-results paths: bad input stops early with a named error,
and a study whose data support fewer comparisons says which claims are then not applicable."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from community_scaling import model_size, rater_groups, study
from community_scaling.io import InputError
from community_scaling.llm_results import parse_bslmeval, parse_lm_eval_mmlu, parse_lm_eval_v03, parse_pythia_zero_shot
from community_scaling.rater_labels import evaluable_groups, load_dices, load_epic
from conftest import SHARED_DATA
from test_model_size import synthetic
from test_rater_labels import write_dices


# ---- rater-label studies: no evaluable group stops at notebook 31 with the sweep's kind of message ----

def test_no_evaluable_group_names_min_items_and_the_largest_group():
    if not (SHARED_DATA / "epic").exists():
        pytest.skip("needs ../shared/data mirrors")
    epic = load_epic(SHARED_DATA)
    sheet = evaluable_groups(epic.ratings, epic.raters, "gender", min_raters=1, min_items=100000)
    largest = sheet.dropna(subset=["group"]).nlargest(1, "n_items").iloc[0]
    with pytest.raises(InputError, match="raters.min_items = 100000") as error:
        rater_groups.require_evaluable(sheet, 100000)
    assert f"{largest.group!r}, has {int(largest.n_items)} items" in str(error.value)
    # the same data with a reachable threshold pass and give the evaluable groups
    sheet = evaluable_groups(epic.ratings, epic.raters, "gender", min_raters=1, min_items=100)
    assert rater_groups.require_evaluable(sheet, 100) == ["Female", "Male"]


def test_dices_with_one_group_left_blank_has_one_evaluable_group_and_says_what_is_not_applicable(tmp_path):
    path = write_dices(tmp_path / "dices.csv", ["No", "Yes", "No", "Yes", "Yes", "No"])
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[frame.rater_gender == "Man", "rater_gender"] = "  "  # a blank group is missing, not a group ""
    frame.to_csv(path, index=False)
    tables = load_dices(path)
    sheet = evaluable_groups(tables.ratings, tables.raters, "gender", min_raters=1, min_items=2)
    assert "" not in set(sheet.group.dropna()) and sheet.group.isna().sum() == 1
    groups = rater_groups.require_evaluable(sheet, 2)
    assert groups == ["Woman"]
    reason = rater_groups.single_group_reason(groups, "gender", 2)
    assert "only one group of gender ('Woman')" in reason and "raters.min_items = 2" in reason
    assert rater_groups.single_group_reason(["Man", "Woman"], "gender", 2) == ""


def test_a_file_whose_only_group_is_blank_has_no_group_to_evaluate(tmp_path):
    path = write_dices(tmp_path / "dices.csv", ["No"] * 6)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).assign(rater_gender="")
    frame.to_csv(path, index=False)
    tables = load_dices(path)
    sheet = evaluable_groups(tables.ratings, tables.raters, "gender", min_raters=1, min_items=1)
    with pytest.raises(InputError, match="raters.min_items = 1; the data have no group at all"):
        rater_groups.require_evaluable(sheet, 1)


# ---- rater attributes are checked at study validation, before any build ----

@pytest.mark.parametrize("raters, named", [
    ({"source": "popquorn", "attribute": "gendr"}, "raters.attribute 'gendr'"),
    ({"source": "popquorn", "attribute": "race", "intersect_with": "country"}, "raters.intersect_with 'country'"),
    ({"source": "epic", "attribute": "race"}, "raters.attribute 'race'"),
])
def test_unknown_rater_attribute_is_named_at_validation(write_study, raters, named):
    with pytest.raises(InputError, match=named) as error:
        study.load("x", write_study({"study": {"kind": "rater_labels"}, "raters": raters}))
    source = raters["source"]
    known = {"popquorn": "['gender', 'race', 'age', 'occupation', 'education']",
             "epic": "['country', 'gender', 'generation']"}[source]
    assert f"source {source!r}" in str(error.value) and f"attributes: {known}" in str(error.value)


def test_a_close_misspelling_is_suggested_and_known_attributes_pass(write_study):
    with pytest.raises(InputError, match="did you mean 'gender'"):
        study.load("x", write_study({"study": {"kind": "rater_labels"},
                                     "raters": {"source": "dices", "attribute": "gendr"}}))
    ok = study.load("y", write_study({"study": {"kind": "rater_labels"},
                                      "raters": {"source": "dices", "attribute": "raw_race",
                                                 "intersect_with": "age"}}))
    assert ok["raters"]["attribute"] == "raw_race"


def test_validation_entry_point_stops_on_a_bad_rater_attribute(write_study, capsys):
    file = write_study({"study": {"kind": "rater_labels"}, "raters": {"source": "epic", "attribute": "age"}})
    with pytest.raises(SystemExit, match="raters.attribute 'age' is not a rater attribute of source 'epic'"):
        study.main(["x", "--study-file", str(file)])


# ---- published results ----

@pytest.mark.parametrize("parse, results, where", [
    (parse_lm_eval_v03, {"xcopa_sw": {"acc": 0.6, "acc_stderr": 0.0}}, "task 'xcopa', community 'sw'"),
    (parse_lm_eval_v03, {"xcopa_sw": {"acc": 0.6, "acc_stderr": -0.01}}, "task 'xcopa', community 'sw'"),
    (parse_lm_eval_mmlu, {"hendrycksTest-virology": {"acc": 0.2, "acc_stderr": 0.0}}, "task 'mmlu', community 'virology'"),
    (parse_pythia_zero_shot, {"crows_pairs_english_age": {"pct_stereotype": 0.6, "pct_stereotype_stderr": -0.1,
                                                          "likelihood_difference": 3.0,
                                                          "likelihood_difference_stderr": 0.2}}, "community 'age'"),
])
def test_non_positive_published_standard_error_is_refused(tmp_path, parse, results, where):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"results": results}))
    with pytest.raises(InputError, match="not positive") as error:
        parse(path, "some-model")
    assert str(path) in str(error.value) and "model 'some-model'" in str(error.value) and where in str(error.value)


def test_a_positive_or_unpublished_standard_error_is_kept(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"results": {"xcopa_sw": {"acc": 0.6, "acc_stderr": 0.02},
                                            "xcopa_ht": {"acc": 0.5}}}))
    table = parse_lm_eval_v03(path, "m")
    assert table.set_index("community").stderr.loc["sw"] == 0.02 and np.isnan(table.set_index("community")
                                                                                .stderr.loc["ht"])


def test_no_evaluable_curve_makes_the_curve_claims_not_applicable():
    table = model_size.with_aggregates(synthetic({"a": 0.05, "b": 0.02}))
    assert model_size.no_curve_reason(model_size.slope_table(table, min_sizes=4)) == ""
    reason = model_size.no_curve_reason(model_size.slope_table(table, min_sizes=50))
    assert reason.startswith("no curve is evaluable") and "published.min_sizes = 50" in reason
    assert "no published standard errors" in model_size.no_curve_reason(model_size.slope_table(table), False)


def test_mirrored_results_with_min_sizes_50_have_no_evaluable_curve():
    if not (SHARED_DATA / "llm_evals").exists():
        pytest.skip("needs ../shared/data mirrors")
    from community_scaling import llm_results

    raw = llm_results.load("pythia_crows_pairs", cache=SHARED_DATA)
    evaluations, _ = llm_results.standard_tables(raw)
    slopes = model_size.slope_table(model_size.with_aggregates(evaluations), min_sizes=50)
    assert "published.min_sizes = 50" in model_size.no_curve_reason(slopes)


def test_the_attributes_checked_at_validation_are_the_loaders_columns(tmp_path):
    from community_scaling.rater_labels import ATTRIBUTES

    tables = load_dices(write_dices(tmp_path / "dices.csv", ["No"] * 6))
    assert list(ATTRIBUTES["dices"]) == [c for c in tables.raters.columns if c != "rater"]
    if (SHARED_DATA / "epic").exists():
        epic = load_epic(SHARED_DATA)
        assert list(ATTRIBUTES["epic"]) == [c for c in epic.raters.columns if c not in ("rater", "group_aggregate")]


@pytest.mark.slow
def test_epic_with_min_items_100000_stops_at_notebook_31_with_the_named_error(tmp_path, write_study):
    if not (SHARED_DATA / "epic").exists():
        pytest.skip("needs ../shared/data mirrors")
    import papermill

    from conftest import PROJECT

    file = write_study({"study": {"kind": "rater_labels"},
                        "raters": {"source": "epic", "attribute": "gender", "positive_from": None,
                                   "min_items": 100000}}, name="epic_too_strict")
    with pytest.raises(papermill.PapermillExecutionError,
                       match=r"no rater group is evaluable under raters.min_items = 100000; the largest group"):
        papermill.execute_notebook(str(PROJECT / "notebooks" / "31_rater_labels.ipynb"), str(tmp_path / "31.ipynb"),
                                   parameters={"study": "epic_too_strict", "study_file": str(file),
                                               "output_root": str(tmp_path / "out")},
                                   kernel_name="python3", progress_bar=False)
