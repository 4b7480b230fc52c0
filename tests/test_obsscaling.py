"""Observational scaling (Ruan, Maddison & Hashimoto 2024): the parser of its one CSV file, which
carries its own model cards, on the known values of the mirror's README and on broken files."""

import numpy as np
import pandas as pd
import pytest

from community_scaling import downloads, llm_results
from community_scaling.io import InputError, sha256_file
from community_scaling.llm_results import OBSSCALING_FILE, parse_obsscaling
from conftest import SHARED_DATA

MIRROR = SHARED_DATA / OBSSCALING_FILE
needs_mirror = pytest.mark.skipif(not MIRROR.exists(), reason="needs ../shared/data/obsscaling")
HEADER = ("Model,Model Family,Model Size (B),Pretraining Data Size (T),FLOPs (1E21),MMLU,ARC-C,HellaSwag,"
          "Winograd,TruthfulQA,GSM8K,XWinograd,HumanEval")
ROW = "org/m-7b,Fam,7.0,2.0,84.0,0.44,0.53,0.78,0.74,0.39,0.14,0.75,0.13"


@needs_mirror
def test_registered_with_its_pinned_commit_and_the_mirrors_sha256():
    url, digest = downloads.REGISTRY[OBSSCALING_FILE]
    assert url == ("https://raw.githubusercontent.com/ryoungj/ObsScaling/4d6e1e43fd2635d04654aa77d1df9d5266ea0382/"
                   "eval_results/base_llm_benchmark_eval.csv")
    listed = dict(line.split()[::-1] for line in (SHARED_DATA / "obsscaling" / "SHA256SUMS").read_text().splitlines())
    assert digest == listed["eval_results/base_llm_benchmark_eval.csv"] == sha256_file(MIRROR)


@needs_mirror
def test_known_values_of_the_first_row():
    results, cards = parse_obsscaling(downloads.fetch(OBSSCALING_FILE))
    first = cards.iloc[0]
    assert (first.model, first.family) == ("meta-llama/Llama-2-7b-hf", "Llama-2")
    assert (first.parameters, first.training_tokens, first.training_flops) == (7.0e9, 2.0e12, 84.0e21)
    mmlu = results[(results.model == first.model) & (results.task == "mmlu")]
    assert mmlu.value.item() == 0.4379609636092418
    p = 0.4379609636092418
    assert mmlu.stderr.item() == pytest.approx(np.sqrt(p * (1 - p) / 14_042))
    assert len(cards) == 148 and cards.family.nunique() == 47


@needs_mirror
def test_load_gives_every_benchmark_with_a_count_and_names_the_models_off_the_compute_axis():
    raw = llm_results.load("obsscaling")
    assert sorted(raw.task.unique()) == ["arc_challenge", "gsm8k", "hellaswag", "humaneval", "mmlu", "winogrande"]
    assert raw.groupby("task").size().to_dict() == {"arc_challenge": 145, "gsm8k": 148, "hellaswag": 148,
                                                    "humaneval": 127, "mmlu": 148, "winogrande": 148}
    evaluations, compute = llm_results.standard_tables(raw)
    assert (evaluations.stderr > 0).all()  # a score of 0 keeps half an item's standard error
    assert evaluations.n_eval[evaluations.attribute == "arc_challenge"].eq(1_172).all()
    no_compute = compute[compute.training_flops.isna()]
    assert len(no_compute) == 25 and "Qwen/Qwen2-72B" in set(no_compute.size_name)
    # where the file gives FLOPs they are 6 N D, the approximation the other sources use
    known = compute.dropna(subset=["training_flops"])
    assert np.allclose(known.training_flops, 6 * known.parameters * known.training_tokens)
    with pytest.raises(InputError, match=r"no family \['Nope'\]"):
        llm_results.load("obsscaling", ["Nope"])
    assert llm_results.files("obsscaling") == [OBSSCALING_FILE]


def _write(tmp_path, text):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, problem", [
    (HEADER.replace(",FLOPs (1E21)", "") + "\n" + ROW.replace(",84.0", ""), r"lacks column\(s\) \['FLOPs \(1E21\)'\]"),
    (HEADER.replace(",MMLU", ",mmlu") + "\n" + ROW, r"lacks column\(s\) \['MMLU'\]"),
    (HEADER + "\n" + ROW.replace(",84.0,", ",lots,"), "column 'FLOPs \\(1E21\\)' must hold numbers.*'lots'.*'org/m-7b'"),
    (HEADER + "\n" + ROW.replace(",0.44,", ",1.44,"), "column 'MMLU' holds accuracies in \\[0, 1\\]"),
    (HEADER + "\n" + ROW.replace(",7.0,", ",,"), "positive 'Model Size \\(B\\)'"),
    (HEADER + "\n" + ROW + "\n" + ROW, "repeated"),
    (HEADER + "\n", "no models"),
])
def test_broken_file_names_the_file_and_what_is_wrong(tmp_path, text, problem):
    path = _write(tmp_path, text)
    with pytest.raises(InputError, match=problem) as error:
        parse_obsscaling(path)
    assert str(path) in str(error.value)


def test_blank_flops_or_scores_are_unknown_not_zero(tmp_path):
    path = _write(tmp_path, HEADER + "\n" + ROW.replace(",2.0,84.0,", ",,,").replace(",0.13", ","))
    results, cards = parse_obsscaling(path)
    assert np.isnan(cards.training_flops.item()) and np.isnan(cards.training_tokens.item())
    assert "humaneval" not in set(results.task) and len(results) == 5
