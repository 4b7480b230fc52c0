import json

import numpy as np
import pandas as pd
import pytest

from community_scaling import downloads, llm_results, model_size
from community_scaling.io import InputError, sha256_file
from community_scaling.llm_results import (COLUMNS, load, parse_bslmeval, parse_lm_eval_mmlu, parse_lm_eval_v03,
                                           parse_pythia_zero_shot)
from community_scaling.paths import PARAMS_DIR
from conftest import PROJECT, SHARED_DATA

MIRROR = SHARED_DATA / "llm_evals"
needs_mirror = pytest.mark.skipif(not MIRROR.exists(), reason="needs ../shared/data/llm_evals mirrors")


@pytest.fixture
def tables():
    """Each source read through `load` from the mirror (conftest points the data cache there)."""
    return {source: load(source) for source in llm_results.SOURCES}


def value(table, model, task, community, metric="accuracy", column="value"):
    row = table[(table.model == model) & (table.task == task) & (table.community == community)
                & (table.metric == metric)]
    assert len(row) == 1, row
    return row[column].item()


# --- the registry ---

@needs_mirror
def test_every_registered_llm_file_matches_the_mirror_and_has_a_pinned_url():
    listed = dict(line.split()[::-1] for line in (MIRROR / "SHA256SUMS").read_text().splitlines())
    listed = {"llm_evals/" + path.removeprefix("./"): digest for path, digest in listed.items()}
    registered = {name: entry for name, entry in downloads.REGISTRY.items() if name.startswith("llm_evals/")}
    # The mirror also holds files no source reads yet (Pythia's intermediate checkpoints, OPT):
    # every registered file is in it, with the same sha256.
    assert set(registered) <= set(listed)
    for name, (url, digest) in registered.items():
        assert digest == listed[name] == sha256_file(SHARED_DATA / name), name
        assert url.startswith("https://raw.githubusercontent.com/") and url.endswith(name.split("/", 2)[2]), url


def test_unknown_source_or_family_names_the_known_ones():
    with pytest.raises(InputError, match="bloom_flores.*lm_eval_multilingual.*pythia_crows_pairs"):
        load("helm")
    with pytest.raises(InputError, match=r"no family \['pythia'\]; known: \['bloom', 'xglm'\]"):
        llm_results.files("lm_eval_multilingual", ["pythia"])


def test_files_per_family():
    assert len(llm_results.files("lm_eval_multilingual")) == 50
    assert len(llm_results.files("lm_eval_multilingual", "xglm")) == 25
    assert [name.split("/")[-2] for name in llm_results.files("bloom_flores", ["opt"])] == ["opt"]
    assert len(llm_results.files("pythia_crows_pairs")) == 15
    # OPT's files sit in the harness folder beside BLOOM's and XGLM's, and belong to their own source only
    assert [name.split("/")[-1] for name in llm_results.files("opt_mmlu")] == [
        f"opt-{size}.json" for size in ["1.3b", "125m", "13b", "2.7b", "30b", "350m", "6.7b", "66b"]]
    assert llm_results.source_families("lm_eval_multilingual") == ["bloom", "xglm"]


# --- known values from the mirror's README ---

@needs_mirror
def test_known_lm_eval_values(tables):
    table = tables["lm_eval_multilingual"]
    assert value(table, "xglm-564M", "xstory_cloze", "en") == 0.6055592322964924
    assert value(table, "xglm-564M", "xstory_cloze", "en", column="stderr") == 0.012577106513936133
    assert value(table, "xglm-564M", "xstory_cloze", "eu") == 0.5314361350099271
    assert value(table, "bloom-7b1", "xcopa", "sw") == 0.516
    assert value(table, "bloom-7b1", "xcopa", "vi") == 0.708
    assert table.higher_is_better.all()


@needs_mirror
def test_known_crows_pairs_values(tables):
    table = tables["pythia_crows_pairs"]
    assert value(table, "pythia-70m-deduped", "crows_pairs_english", "religion", "pct_stereotype") == 0.6396396396396397
    assert value(table, "pythia-12b-deduped", "crows_pairs_english", "religion", "pct_stereotype") == 0.8018018018018018
    crows = table.task.str.startswith("crows_pairs")
    assert not table[crows].higher_is_better.any() and table[~crows].higher_is_better.all()
    # the general benchmarks kept beside it: accuracy overall (lambada_openai of pythia-70m, read from the file)
    assert value(table, "pythia-70m", "lambada_openai", "all", "accuracy") == 0.18455268775470599


@needs_mirror
def test_known_opt_values(tables):
    table = tables["opt_mmlu"]
    assert value(table, "opt-66b", "mmlu", "college_medicine") == 0.23699421965317918
    assert value(table, "opt-66b", "mmlu", "college_medicine", column="stderr") == 0.03242414757483099
    assert value(table, "opt-125m", "arc_easy", "all") == 0.4351851851851852
    assert table.higher_is_better.all() and set(table.metric) == {"accuracy"}  # acc_norm left out


@needs_mirror
def test_known_flores_values(tables):
    table = tables["bloom_flores"]
    assert value(table, "bloom-176b", "flores101", "hin", "bits_per_byte") == 2.4467929718326022
    assert value(table, "bloom-176b", "flores101", "swh", "bits_per_byte") == 1.424614292152873
    assert not table.higher_is_better.any()
    assert table.stderr.isna().all()  # BigScience published no standard errors for FLORES


# --- counts and the model cards ---

@needs_mirror
def test_lm_eval_groups_per_task_and_sizes_per_family(tables):
    table = tables["lm_eval_multilingual"]
    languages = table.groupby(["task", "model"]).community.nunique()
    expected = {"xnli": 15, "xcopa": 11, "xstory_cloze": 11, "xwinograd": 6, "pawsx": 7}
    assert languages.groupby("task").agg(["min", "max", "size"]).to_dict("index") == {
        task: {"min": n, "max": n, "size": 10} for task, n in expected.items()}
    assert table.groupby("family").model.nunique().to_dict() == {"bloom": 5, "xglm": 5}
    assert len(table) == 10 * 50 and not table.duplicated(["model", "task", "community", "metric"]).any()


@needs_mirror
def test_flores_languages(tables):
    table = tables["bloom_flores"]
    languages = table.groupby("model").community.apply(set)
    # FLORES-101 has 102 subsets (Chinese in two scripts); BigScience's smaller BLOOM runs lack Khmer.
    assert {model: len(codes) for model, codes in languages.items()} == {
        "bloom-176b": 102, "opt-175b": 102, "bloom-1b7": 101, "bloom-3b": 101}
    assert languages["bloom-176b"] - languages["bloom-1b7"] == {"khm"}
    assert {"zho_simpl", "zho_trad"} <= languages["opt-175b"]
    assert set(table.metric) == {"bits_per_byte", "byte_perplexity", "word_perplexity"}
    assert len(table) == 3 * (102 + 102 + 101 + 101)


@needs_mirror
def test_pythia_models_and_categories(tables):
    table = tables["pythia_crows_pairs"]
    assert table.groupby("variant").model.nunique().to_dict() == {"deduplicated": 8, "standard": 7}
    per_task = table.groupby("task").community.apply(set)
    categories = {"all", "age", "autre", "disability", "gender", "nationality", "physical_appearance",
                  "race_color", "religion", "sexual_orientation", "socioeconomic"}
    general = {task: {"all"} for task in llm_results.PYTHIA_GENERAL}
    assert per_task.to_dict() == {"crows_pairs_english": categories, "crows_pairs_french": categories, **general}
    assert len(table) == 15 * (22 * 2 + len(general)) and table.stderr.notna().all()


@needs_mirror
def test_opt_sizes_subjects_and_benchmarks(tables):
    table = tables["opt_mmlu"]
    assert sorted(table.groupby("model").parameters.first()) == [
        125e6, 350e6, 1.3e9, 2.7e9, 6.7e9, 13e9, 30e9, 66e9]
    per_task = table.groupby("task").community.nunique()
    assert per_task.to_dict() == {llm_results.MMLU: 57, **{task: 1 for task in llm_results.OPT_GENERAL}}
    mmlu = table[table.task == llm_results.MMLU]
    assert (mmlu.groupby("model").community.nunique() == 57).all() and llm_results.AGGREGATE not in set(mmlu.community)
    assert len(table) == 8 * (57 + len(llm_results.OPT_GENERAL)) and table.stderr.notna().all()
    assert table.training_tokens.eq(180e9).all()


@needs_mirror
def test_opt_mmlu_aggregate_is_the_computed_mean_of_the_subjects_near_chance(tables):
    evaluations, _ = llm_results.standard_tables(tables["opt_mmlu"])
    evaluations = model_size.with_aggregates(evaluations)
    mmlu = evaluations[evaluations.attribute == llm_results.MMLU]
    overall = mmlu[mmlu.community == llm_results.AGGREGATE]
    assert len(overall) == 8 and overall.derived.all()  # no published overall score: the equal-weight mean
    subjects = mmlu[~mmlu.derived].groupby("size_name").value.mean()
    assert np.allclose(overall.set_index("size_name").value.loc[subjects.index], subjects)
    assert overall.n_eval.eq(14042).all()  # MMLU's test items, recovered from the standard errors
    assert mmlu.chance_badness.eq(0.75).all() and overall.value.between(0.25, 0.3).all()
    assert evaluations[evaluations.attribute == "wsc"].chance_badness.eq(0.5).all()


def test_an_mmlu_subject_missing_at_one_size_leaves_the_aggregate_and_keeps_its_own_curve(tmp_path):
    sizes = ["opt-125m", "opt-350m", "opt-1.3b", "opt-2.7b", "opt-6.7b"]
    frames = []
    for i, model in enumerate(sizes):
        subjects = ["anatomy", "virology"] + ([] if model == "opt-1.3b" else ["astronomy"])
        results = {f"hendrycksTest-{s}": {"acc": 0.25 + 0.01 * i + 0.001 * j, "acc_stderr": 0.02}
                   for j, s in enumerate(subjects)}
        path = tmp_path / f"{model}.json"
        path.write_text(json.dumps({"results": {**results, "arc_easy": {"acc": 0.4 + 0.02 * i, "acc_stderr": 0.01}}}))
        frames.append(parse_lm_eval_mmlu(path, model))
    raw = pd.concat(frames).merge(llm_results.MODEL_CARDS, on="model")
    evaluations = model_size.with_aggregates(llm_results.standard_tables(raw)[0])
    overall = evaluations[(evaluations.attribute == "mmlu") & (evaluations.community == "all")]
    complete = evaluations[(evaluations.attribute == "mmlu") & evaluations.community.isin(["anatomy", "virology"])]
    assert np.allclose(overall.sort_values("scale").value, complete.groupby("scale").value.mean().sort_index())
    slopes = model_size.slope_table(evaluations, min_sizes=5).set_index("community")
    assert slopes.loc["astronomy"].reason == "4 sizes, fewer than published.min_sizes = 5"
    lags = model_size.lag_table(evaluations, min_sizes=4).set_index("community")
    assert lags.loc["astronomy"].sizes == 4 and lags.loc["astronomy"].reason == ""  # weight 0 in the mean


@needs_mirror
def test_every_row_carries_its_model_card(tables):
    for source, table in tables.items():
        step = ["step"] if source == "pythia_grid" else []  # a checkpoint grid: its rows' training step too
        assert list(table.columns) == COLUMNS + step + llm_results.CARD_COLUMNS
        assert table.parameters.notna().all() and table.family.notna().all()
    tokens = tables["lm_eval_multilingual"].groupby("model").training_tokens.first()
    assert tokens.isna().tolist() == (tokens.index == "xglm-4.5B").tolist()  # its data mix is not comparable
    assert tables["pythia_crows_pairs"].training_tokens.eq(299_892_736_000).all()
    grid = tables["pythia_grid"]
    assert grid.training_tokens.eq(grid.step * 2_097_152).all()  # the checkpoint's tokens, not the card's


# --- malformed files ---

PARSERS = [parse_lm_eval_v03, parse_lm_eval_mmlu, parse_pythia_zero_shot, parse_bslmeval]


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("text, problem", [
    ("{not json", "not a readable JSON"),
    ("[1, 2]", "'results' object"),
    ('{"versions": {}}', "'results' object"),
    ('{"results": {}}', "no results of the expected kind"),
])
def test_malformed_file_names_the_file(tmp_path, parse, text, problem):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InputError, match=problem) as error:
        parse(path, "some-model")
    assert str(path) in str(error.value)


@pytest.mark.parametrize("parse, results, problem", [
    (parse_lm_eval_v03, {"xcopa_sw": {"acc_stderr": 0.02}}, "lacks 'acc'"),
    (parse_lm_eval_v03, {"xcopa_sw": {"acc": "0.5"}}, "must be a finite number"),
    (parse_lm_eval_v03, {"xcopa_sw": [0.5]}, "must be an object"),
    (parse_lm_eval_mmlu, {"hendrycksTest-anatomy": {"acc_stderr": 0.02}}, "lacks 'acc'"),
    (parse_lm_eval_mmlu, {"hendrycksTest-": {"acc": 0.3}}, "names no MMLU subject"),
    (parse_lm_eval_mmlu, {"hendrycksTest-all": {"acc": 0.3}}, "names no MMLU subject"),
    (parse_pythia_zero_shot, {"crows_pairs_english_age": {"pct_stereotype": 0.6}}, "lacks 'likelihood_difference'"),
    (parse_bslmeval, {"gsarti/flores_101_hin+null": {"t1": {"bits_per_byte": 2.0}, "t2": {}}}, "one run, has 2"),
    (parse_bslmeval, {"gsarti/flores_101_hin+null": {"t1": {"bits_per_byte": 2.0}}}, "lacks 'byte_perplexity'"),
])
def test_wrong_structure_names_the_file_and_the_key(tmp_path, parse, results, problem):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"results": results}))
    with pytest.raises(InputError, match=problem) as error:
        parse(path, "some-model")
    assert str(path) in str(error.value) and next(iter(results)) in str(error.value)


def test_stderr_is_nan_when_not_published(tmp_path):
    path = tmp_path / "no_stderr.json"
    path.write_text(json.dumps({"results": {"xstory_cloze_en": {"acc": 0.6}}}))
    table = parse_lm_eval_v03(path, "m")
    assert table[["task", "community", "value"]].values.tolist() == [["xstory_cloze", "en", 0.6]]
    assert table.stderr.isna().all()


# --- the study, built once on a small configuration ---

@pytest.mark.slow
@needs_mirror
def test_opt_mmlu_notebooks_build_a_ledger_on_a_small_configuration(tmp_path, write_study):
    """Notebooks 21, 22 and 08 of the opt_mmlu study file with fewer draws, as papermill runs them."""
    import papermill
    import yaml

    config = yaml.safe_load((PARAMS_DIR / "opt_mmlu.yaml").read_text())
    config["published"]["draws"] = 20
    file = write_study(config, name="opt_mmlu_small")
    out = tmp_path / "out"
    for notebook in ["21_published_results", "22_model_size", "08_claims"]:
        papermill.execute_notebook(str(PROJECT / "notebooks" / f"{notebook}.ipynb"),
                                   str(tmp_path / f"{notebook}.ipynb"), kernel_name="python3", progress_bar=False,
                                   parameters={"study": "opt_mmlu_small", "study_file": str(file),
                                               "output_root": str(out)})
    results = out / "results" / "opt_mmlu_small"
    datasheet = pd.read_parquet(results / "datasheet.parquet")
    assert datasheet.evaluable.all() and len(datasheet) == 57 + 1 + len(llm_results.OPT_GENERAL)
    ledger = pd.read_parquet(results / "ledger.parquet").set_index("claim")
    assert list(ledger.index) == [f"C{i}" for i in range(1, 8)]
    assert ledger.loc[["C2", "C4", "C5"]].verdict.eq("not applicable").all()
    assert "no community is measured on two or more" in ledger.loc["C4", "details"]  # one measure per subject
    # one family (OPT on MMLU) whose aggregate gains; each of the 57 subjects tested or set apart with a reason
    details = ledger.loc["C3", "details"]
    assert details.startswith("1 families tested (") and "opt mmlu rho" in details
    spread_table = pd.read_parquet(results / "spread.parquet")
    assert len(spread_table) == 1 and 3 <= spread_table.communities.iloc[0] <= 57


# --- Pythia's checkpoint grid ---

def test_pythia_crows_pairs_reads_only_its_final_step_files_of_the_grid():
    names = llm_results.files("pythia_crows_pairs")
    assert all(name.endswith("_step143000.json") for name in names) and len(names) == 15
    assert not any("bf16" in name for name in names)  # the study predates the grid's standard 1B
    grid = llm_results.files("pythia_grid")
    assert len(grid) == 16 * 27 and set(names) < set(grid)
    assert {llm_results.pythia_step(name) for name in grid} == {0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000,
                                                               3000, *range(13000, 143001, 10000)}
    assert sorted({name.split("/")[4] for name in grid}) == sorted(
        [m for m in llm_results.MODEL_CARDS.model if m.startswith("pythia-") and m != "pythia-1b"])


@needs_mirror
def test_pythia_grid_known_values(tables):
    table = tables["pythia_grid"]

    def at(model, step, task, community, metric="accuracy", column="value"):
        return value(table[table.step == step], model, task, community, metric, column)

    assert at("pythia-410m-deduped", 13000, "lambada_openai", "all") == 0.39375121288569764
    assert at("pythia-410m-deduped", 13000, "lambada_openai", "all", column="stderr") == 0.006806885831834553
    assert at("pythia-410m-deduped", 13000, "crows_pairs_english", "religion", "pct_stereotype") == 0.6396396396396397
    assert at("pythia-70m", 0, "mmlu", "virology") == 0.1927710843373494  # MMLU subjects: task mmlu, as OPT's
    assert at("pythia-1b-bf16", 143000, "arc_easy", "all") == 0.5694444444444444  # the oddly named 1b-bf16-5shot files
    assert table.training_tokens.max() == 299_892_736_000
    per_file = table.groupby(["model", "step"]).size()
    assert len(per_file) == 432 and per_file.nunique() == 1
    tasks = table.drop_duplicates(["task", "community"])
    assert (tasks.task == "mmlu").sum() == 57 and tasks.task.str.startswith("crows_pairs").sum() == 22
    assert set(tasks.task) - {"mmlu", "crows_pairs_english", "crows_pairs_french"} == set(llm_results.OPT_GENERAL)
    # LAMBADA at 0 accuracy with stderr 0 at the earliest checkpoints: kept, its stderr NaN (no usable noise)
    zero = table[(table.task == "lambada_openai") & (table.value == 0)]
    assert len(zero) and zero.stderr.isna().all() and (zero.step <= 512).all()
    evaluations, compute = llm_results.standard_tables(table)
    assert len(compute) == 432 and compute.training_flops.eq(6 * compute.parameters * compute.training_tokens).all()
    assert evaluations.training_tokens.eq(evaluations.step * 2_097_152).all()


def test_pythia_grid_refuses_a_zero_stderr_off_the_bounds_and_a_file_without_crows_pairs(tmp_path):
    path = tmp_path / "70m_step1000.json"
    good = {"hendrycksTest-virology": {"acc": 0.2, "acc_stderr": 0.03}, "crows_pairs_english_age":
            {"pct_stereotype": 0.6, "pct_stereotype_stderr": 0.05, "likelihood_difference": 3.0,
             "likelihood_difference_stderr": 0.2}}
    path.write_text(json.dumps({"results": good}))
    assert set(llm_results.parse_pythia_grid(path, "pythia-70m").step) == {1000}
    path.write_text(json.dumps({"results": {**good, "hendrycksTest-virology": {"acc": 0.2, "acc_stderr": 0.0}}}))
    with pytest.raises(InputError, match="70m_step1000.json.*not positive.*mmlu.*virology"):
        llm_results.parse_pythia_grid(path, "pythia-70m")
    path.write_text(json.dumps({"results": {"hendrycksTest-virology": good["hendrycksTest-virology"]}}))
    with pytest.raises(InputError, match="70m_step1000.json: no CrowS-Pairs results"):
        llm_results.parse_pythia_grid(path, "pythia-70m")
    with pytest.raises(InputError, match="not a Pythia checkpoint file"):
        llm_results.parse_pythia_grid(tmp_path / "70m.json", "pythia-70m")
