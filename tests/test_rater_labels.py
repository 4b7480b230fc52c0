import csv

import numpy as np
import pandas as pd
import pytest

from community_scaling.io import InputError, sha256_file
from community_scaling.rater_labels import (DICES_FILE, EPIC_ALL_RATERS, EPIC_GROUPS, evaluable_groups, group_labels,
                                            load_dices, load_epic, load_popquorn, pooled_labels)
from conftest import SHARED_DATA

@pytest.fixture(scope="module")
def popquorn():
    if not (SHARED_DATA / "popquorn").exists():
        pytest.skip("needs ../shared/data mirrors")
    return load_popquorn(SHARED_DATA)


@pytest.fixture(scope="module")
def epic():
    if not (SHARED_DATA / "epic").exists():
        pytest.skip("needs ../shared/data mirrors")
    return load_epic(SHARED_DATA)


def test_popquorn_counts_and_columns(popquorn):
    assert list(popquorn.ratings.columns) == ["item", "rater", "label"]
    assert list(popquorn.raters.columns) == ["rater", "gender", "race", "age", "occupation", "education"]
    assert list(popquorn.items.columns) == ["item", "text"]
    assert len(popquorn.ratings) == 13_036
    assert popquorn.ratings["item"].nunique() == len(popquorn.items) == 1_500
    assert popquorn.ratings["rater"].nunique() == len(popquorn.raters) == 262
    assert popquorn.values == (1, 2, 3, 4, 5) and popquorn.level == "ordinal"
    assert popquorn.raters["gender"].value_counts().to_dict() == {"Woman": 131, "Man": 124, "Non-binary": 7}
    # the file's first row: instance 530 rated 1.0 by user 0, a White man aged 35-39
    first = popquorn.ratings.iloc[0]
    assert (first["item"], first["rater"], first["label"]) == ("530", "0", 1.0)
    assert popquorn.raters.set_index("rater").loc["0", ["gender", "race", "age"]].tolist() == ["Man", "White", "35-39"]
    assert list(popquorn.files.values()) == ["fb0589093d45da76bf4ef4d0abff679b540bdd5b17af5764913b3ccd0a069e1e"]


def test_epic_groups_splits_and_known_labels(epic):
    groups = [g for names in EPIC_GROUPS.values() for g in names]
    assert len(groups) == 11 and set(epic.raters["rater"]) == {*groups, EPIC_ALL_RATERS}
    assert epic.raters["group_aggregate"].all()
    assert list(epic.ratings.columns) == ["item", "rater", "label", "split"]
    assert epic.ratings["split"].value_counts().to_dict() == {"train": 13_324, "validation": 2_539, "test": 553}
    assert len(epic.files) == 23 and len(epic.items) == epic.ratings["item"].nunique() == 2_999
    female = epic.ratings[epic.ratings["rater"] == "Female"]
    assert female["split"].value_counts().to_dict() == {"train": 1_651, "validation": 314}
    label = epic.ratings.set_index(["item", "rater"])["label"]
    # read from the CSVs: Female and Male disagree on this tweet; the test set's first text is not ironic
    assert label[("1534755822562967553", "Female")] == 1 and label[("1534755822562967553", "Male")] == 0
    assert label[("1577779385301872640", "Ireland")] == 0 and label[("1577779385301872640", "India")] == 1
    assert label[("fj8wxkz", EPIC_ALL_RATERS)] == 0
    # splits were drawn per group: this text is in Australia's train set and the United States' validation set
    split = epic.ratings.set_index(["item", "rater"])["split"]
    assert split[("fj5kprv", "Australia")] == "train" and split[("fj5kprv", "United States")] == "validation"
    assert not set(epic.ratings.loc[epic.ratings["split"] == "test", "item"]) & set(female["item"])


def test_epic_group_labels_are_the_group_files(epic):
    labels = group_labels(epic.ratings, epic.raters, "gender")
    assert set(labels["group"]) == {"Female", "Male"} and (labels["n_raters"] == 1).all()
    sheet = evaluable_groups(epic.ratings, epic.raters, "generation", min_raters=1, min_items=400)
    boomer = sheet.set_index("group").loc["Boomer"]
    assert boomer["n_items"] == 439 and boomer["evaluable"]


DICES_COLUMNS = [
    "id", "rater_id", "rater_gender", "rater_race", "rater_raw_race", "rater_age", "rater_education", "phase",
    "item_id", "answer_time_ms", "answer_timestamp", "context", "response", "degree_of_harm", "harm_type",
    "safety_gold", "safety_gold_reason", "Q1_whole_conversation_evaluation",
    "Q2_harmful_content_medical_legal_financial_or_relationship_advice", "Q2_harmful_content_dangerous_content",
    "Q2_harmful_content_derogation_of_boat", "Q2_harmful_content_insensitive",
    "Q2_harmful_content_obscene_and_profane", "Q2_harmful_content_personal_information",
    "Q2_harmful_content_regulated_goods", "Q2_harmful_content_sexually_suggestive_content",
    "Q2_harmful_content_other", "Q3_bias_targeting_beliefs", "Q3_bias_targeting_gender_sexual_orientation",
    "Q3_bias_targeting_inherited_attributes", "Q3_bias_targeting_status", "Q3_bias_other", "Q4_misinformation",
    "Q5_political_affiliation", "Q6_policy_guidelines_polarizing_topics", "Q6_policy_guidelines_making_endorsement",
    "Q6_policy_guidelines_other", "Q2_harmful_content_overall", "Q3_bias_overall", "Q6_policy_guidelines_overall",
    "Q_overall"]


def write_dices(path, answers, rename=None, drop=None):
    """A small file in DICES-350's published layout: three raters x two conversations."""
    raters = [("11", "Man", "White", "White", "gen z", "College degree or higher"),
              ("12", "Woman", "Black/African American", "Black or African American", "millenial",
               "High school or below"),
              ("13", "Woman", "White", "White", "gen x+", "College degree or higher")]
    rows = []
    for n, (answer, (rater, item)) in enumerate(zip(answers, [(r, i) for i in ("7", "8") for r in ("11", "12", "13")])):
        row = dict.fromkeys(DICES_COLUMNS, "No")
        gender, race, raw, age, education = next(r[1:] for r in raters if r[0] == rater)
        row.update(id=str(n), rater_id=rater, rater_gender=gender, rater_race=race, rater_raw_race=raw,
                   rater_age=age, rater_education=education, phase="Phase3", item_id=item,
                   answer_time_ms="1000", answer_timestamp="1672531200", context=f"USER: hi {item}",
                   response=f"LAMDA: reply {item}", degree_of_harm="Benign", harm_type="Health",
                   safety_gold="No", safety_gold_reason="[]", Q_overall=answer)
        rows.append(row)
    columns = [c for c in DICES_COLUMNS if c != drop]
    frame = pd.DataFrame(rows)[columns].rename(columns=rename or {})
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)
    return path


def test_dices_loader_reads_the_published_layout(tmp_path):
    path = write_dices(tmp_path / "dices.csv", ["No", "Yes", "Unsure", "Yes", "Yes", "No"])
    tables = load_dices(path)
    assert list(tables.ratings.columns) == ["item", "rater", "label"]
    assert list(tables.raters.columns) == ["rater", "gender", "race", "raw_race", "age", "education"]
    assert list(tables.items.columns) == ["item", "text", "context"]
    assert tables.ratings["label"].tolist() == [0, 2, 1, 2, 2, 0] and tables.level == "ordinal"
    assert tables.items.set_index("item").loc["8", "text"] == "LAMDA: reply 8"
    assert tables.raters.set_index("rater").loc["12", "age"] == "millenial"
    binary = load_dices(path, unsure="drop")
    assert len(binary.ratings) == 5 and binary.values == (0, 1) and set(binary.ratings["label"]) == {0, 1}


def test_dices_cached_copy_is_used_unpinned_and_its_hash_recorded(tmp_path):
    # No sha256 is published for DICES: a copy in the cache is taken as it is (trust on first
    # use, nothing downloaded) and the tables record what was read.
    (tmp_path / "dices").mkdir()
    path = write_dices(tmp_path / DICES_FILE, ["No", "Yes", "Unsure", "Yes", "Yes", "No"])
    tables = load_dices(tmp_path)
    assert tables.files == {str(path): sha256_file(path)} and len(tables.ratings) == 6


def test_dices_loader_accepts_the_990_spelling_of_raw_race(tmp_path):
    path = write_dices(tmp_path / "dices.csv", ["No"] * 6, rename={"rater_raw_race": "rater_race_raw"})
    assert "raw_race" in load_dices(path).raters.columns


def test_dices_errors_name_the_file_and_column(tmp_path):
    path = write_dices(tmp_path / "bad.csv", ["No", "Yes", "Maybe", "No", "No", "No"])
    with pytest.raises(InputError, match=r"bad\.csv: column 'Q_overall' holds value\(s\) \['Maybe'\]"):
        load_dices(path)
    path = write_dices(tmp_path / "short.csv", ["No"] * 6, drop="rater_gender")
    with pytest.raises(InputError, match=r"short\.csv lacks column\(s\) \['rater_gender'\]"):
        load_dices(path)
    with pytest.raises(InputError, match="file not found"):
        load_dices(tmp_path / "absent.csv")


def test_dices_repeated_rating_and_changing_attribute_are_refused(tmp_path):
    path = write_dices(tmp_path / "twice.csv", ["No"] * 6)
    frame = pd.read_csv(path, dtype=str)
    pd.concat([frame, frame.iloc[[0]]]).to_csv(path, index=False)
    with pytest.raises(InputError, match="repeated .item, rater. rating"):
        load_dices(path)
    frame.loc[frame["rater_id"] == "12", "rater_gender"] = ["Woman", "Man"]  # a woman on item 7, a man on 8
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match="rater_id '12' has more than one value"):
        load_dices(path)


RATINGS = pd.DataFrame({"item": ["a"] * 5 + ["b"] * 4,
                        "rater": ["r1", "r2", "r3", "r4", "r5", "r1", "r2", "r3", "r4"],
                        "label": [1, 1, 0, 1, 1, 0, 1, 0, 0]})
RATERS = pd.DataFrame({"rater": ["r1", "r2", "r3", "r4", "r5"], "gender": ["F", "F", "M", "M", None]})


def test_group_labels_majority_mean_and_ties():
    labels = group_labels(RATINGS, RATERS, "gender").set_index(["item", "group"])
    # item a: F votes 1,1 -> 1; M votes 0,1 -> tie -> NaN; r5 has no gender and is left out
    assert labels.loc[("a", "F"), "label"] == 1 and np.isnan(labels.loc[("a", "M"), "label"])
    assert labels.loc[("a", "M"), "n_raters"] == 2 and labels.loc[("b", "M"), "label"] == 0
    mean = group_labels(RATINGS, RATERS, "gender", how="mean").set_index(["item", "group"])["label"]
    assert mean[("a", "M")] == 0.5 and mean[("b", "F")] == 0.5
    assert len(group_labels(RATINGS, RATERS, "gender", min_raters=3)) == 0
    pooled = pooled_labels(RATINGS).set_index("item")
    assert pooled.loc["a", "label"] == 1 and pooled.loc["a", "n_raters"] == 5 and pooled.loc["b", "label"] != 1
    assert list(pooled_labels(RATINGS, how="median").columns) == ["item", "label", "n_raters"]


def test_evaluable_groups_says_why_not():
    raters = pd.concat([RATERS, pd.DataFrame({"rater": ["r9"], "gender": ["X"]})])
    sheet = evaluable_groups(RATINGS, raters, "gender", min_raters=2, min_items=2)
    assert list(sheet.columns) == ["group", "n_raters", "n_items", "evaluable", "reason"]
    rows = sheet.set_index("group", drop=False)
    assert rows.loc["F", "evaluable"] and rows.loc["F", "reason"] == ""
    assert rows.loc["X", "reason"] == "too few raters (0 < 2)"
    assert sheet["reason"].iloc[-1] == "attribute missing" and sheet["n_raters"].iloc[-1] == 1
    strict = evaluable_groups(RATINGS, raters, "gender", min_raters=2, min_items=3).set_index("group", drop=False)
    assert strict.loc["F", "reason"] == "too few items with 2+ raters (2 < 3)"


def test_group_functions_name_bad_input():
    with pytest.raises(InputError, match=r"ratings lacks column\(s\) \['label'\]"):
        group_labels(RATINGS.drop(columns="label"), RATERS, "gender")
    with pytest.raises(InputError, match=r"raters lacks column\(s\) \['race'\]"):
        group_labels(RATINGS, RATERS, "race")
    with pytest.raises(InputError, match="column 'label' must be numeric"):
        pooled_labels(RATINGS.assign(label=["x"] * 9))
    with pytest.raises(InputError, match="how must be one of"):
        pooled_labels(RATINGS, how="mode")
    with pytest.raises(InputError, match="1 rater.s. not in raters, e.g. 'r5'"):
        group_labels(RATINGS, RATERS.iloc[:4], "gender")


def test_intersections_of_two_attributes_are_communities():
    from community_scaling.rater_groups import community_column, with_intersection

    raters = RATERS.assign(age=["young", "old", "young", None, "old"])
    crossed = with_intersection(raters, "gender", "age")
    column = community_column({"attribute": "gender", "intersect_with": "age"})
    assert column == "gender x age" and community_column({"attribute": "gender", "intersect_with": None}) == "gender"
    assert crossed[column].tolist()[:3] == ["F & young", "F & old", "M & young"]
    assert crossed[column].iloc[3:].isna().all()  # either attribute missing: no community
    labels = group_labels(RATINGS, crossed, column).set_index(["item", "group"])
    assert labels.loc[("a", "F & young"), "n_raters"] == 1
    with pytest.raises(InputError, match="other than 'gender'"):
        with_intersection(raters, "gender", "gender")
    with pytest.raises(InputError, match=r"raters lacks column\(s\) \['race'\]"):
        with_intersection(raters, "gender", "race")
