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


def _draws(families: dict[str, int], n_draws: int = 50):
    """LossDraws on the model-size axis of synthetic families (one model per tenfold of parameters, each family
    offset by a third of a tenfold): error 0.3 + 0.5 x (compute / 1e17)^-0.1, bending towards its floor, for
    everyone and two groups, one value per model, normal draws with standard error 0.002."""
    from community_scaling.error_draws import LossDraws

    rows = [(family, f"{family}-{k}", 10.0 ** (8 + k + j / 3)) for j, (family, count) in enumerate(families.items())
            for k in range(count)]
    configs = pd.DataFrame(rows, columns=["model", "size_name", "scale"]).assign(
        axis="model size", capacity=np.nan, n_seeds=1)
    configs["fit_operations"] = 6 * configs.scale * 20 * configs.scale
    loss = 0.3 + 0.5 * (configs.fit_operations.to_numpy() / 1e17) ** -0.1
    point = np.column_stack([loss, loss, loss * 0.9])
    rng = np.random.default_rng(0)
    boot = point[None] + 0.002 * rng.standard_normal((n_draws, *point.shape))
    targets = pd.DataFrame({"attribute": ["all", "a", "b"], "community": "all", "rows": [2000, 1000, 1000]})
    trivial = np.array([0.8, 0.8, 0.8])
    return LossDraws(configs, targets, point, boot, trivial, np.broadcast_to(trivial, (n_draws, 3)).copy())


def test_compute_curves_keep_families_with_enough_models_and_add_one_across_families():
    from community_scaling import model_size
    from community_scaling.claims import c6_diminishing_returns as c6

    draws = _draws({"big": 6, "pair": 2, "five": 5})
    within, left_out = model_size.compute_curves(draws, min_models=5)
    assert sorted(within.configs.model.unique()) == ["big", "five"]
    assert left_out.to_dict("records") == [{"model": "pair", "models": 2}]
    both, _ = model_size.compute_curves(draws, min_models=5, across_families=True)
    assert len(both.configs) == 11 + 13 and both.point.shape == (24, 3) and both.boot.shape == (50, 24, 3)
    pooled = both.configs.model == model_size.ACROSS_FAMILIES
    assert pooled.sum() == 13 and np.array_equal(both.point[pooled.to_numpy()], draws.point)
    # every curve bends towards its floor (diminishing returns), the pooled one too
    claim = c6.evaluate({"error": both}, "error")
    assert claim.verdict == "supported" and claim.details.count("2c = ") == 3
    assert "all families, across families: 2c" in claim.details


def test_c7_inside_each_family_chooses_the_familys_own_small_model():
    from community_scaling import model_size

    table = model_size.within_families(_draws({"big": 6, "pair": 2}), min_models=5, margin=0.1, small_share=0.1)
    assert table.model.tolist() == ["big"] and table.groups.item() == 2
    assert table.small_flops_share.item() <= 0.1
    assert table.small.item().endswith("n=1000000000000.0")  # big-4, the largest within 10% of big-5's FLOPs
    # its excess over the best, in units of the chance-to-best gap, from the formula
    loss = lambda n: 0.3 + 0.5 * (120 * n ** 2 / 1e17) ** -0.1  # noqa: E731
    expected = (loss(1e12) - loss(1e13)) / (0.8 - loss(1e13))
    assert table.majority_excess.item() == pytest.approx(expected)
    assert table.served.item() == (2 if expected <= 0.1 else 0)
