"""Published per-group results of language-model families -> one tidy evaluations table.

Why: whether communities scale like the aggregate can be checked on models far
larger than any sweep here, from results their authors published per group:
multilingual lm-eval tasks (groups are languages; BLOOM and XGLM), CrowS-Pairs
in Pythia's zero-shot evaluations (groups are bias categories), MMLU in
lm-evaluation-harness's OPT results (groups are the 57 subjects) and FLORES-101
language modelling in BigScience's evaluations (groups are languages; BLOOM and
OPT-175B). Each source has its own JSON shape; one parser per shape gives the
same rows, and `load` adds each model's parameters and training tokens.

One source is a single table that carries its own model cards: observational
scaling (Ruan, Maddison & Hashimoto 2024, `obsscaling`), 148 base models of 47
families with parameters, training tokens and training FLOPs in the file, and
accuracy on 8 benchmarks without standard errors. Its parser gives the same rows
and the cards read from the file (`CARDED_SOURCES`), and the standard error of each
accuracy is the binomial approximation from the benchmark's public item count.

Caveat from the mirror's README: on FLORES-101, BLOOM-176B scores worse on
Indic languages (Hindi among them) than the smaller BLOOMs and OPT-175B, which
looks like an evaluation artefact; analyses of those rows should say so.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from . import downloads
from .io import InputError

COLUMNS = ["model", "task", "community", "metric", "value", "stderr", "higher_is_better"]
CARD_COLUMNS = ["family", "variant", "parameters", "training_tokens"]
AGGREGATE = "all"  # community of a task's overall score, beside its per-group ones

_NAN = float("nan")
PYTHIA_TOKENS_PER_STEP = 2_097_152  # 1,024 sequences of 2,048 tokens
PYTHIA_FINAL_STEP = 143_000
_PYTHIA_TOKENS = PYTHIA_FINAL_STEP * PYTHIA_TOKENS_PER_STEP  # 299,892,736,000
MODEL_CARDS = pd.DataFrame(
    [
        ("bloom-560m", "bloom", "standard", 559_214_592, 341e9),
        ("bloom-1b1", "bloom", "standard", 1_065_314_304, 341e9),
        ("bloom-1b7", "bloom", "standard", 1_722_408_960, 341e9),
        ("bloom-3b", "bloom", "standard", 3_002_557_440, 341e9),
        ("bloom-7b1", "bloom", "standard", 7_069_016_064, 341e9),
        ("bloom-176b", "bloom", "standard", 176_247_271_424, 366e9),
        # OPT: the nominal parameter counts the mirror's README gives (it gives no exact ones).
        *[(f"opt-{size}", "opt", "standard", parameters, 180e9)
          for size, parameters in [("125m", 125_000_000), ("350m", 350_000_000), ("1.3b", 1_300_000_000),
                                   ("2.7b", 2_700_000_000), ("6.7b", 6_700_000_000), ("13b", 13_000_000_000),
                                   ("30b", 30_000_000_000), ("66b", 66_000_000_000)]],
        ("opt-175b", "opt", "standard", 175_000_000_000, 180e9),
        ("xglm-564M", "xglm", "standard", 564_000_000, 500e9),
        ("xglm-1.7B", "xglm", "standard", 1_700_000_000, 500e9),
        ("xglm-2.9B", "xglm", "standard", 2_900_000_000, 500e9),
        # Trained on a different data mix, so its token count is not comparable with the others'.
        ("xglm-4.5B", "xglm", "standard", 4_500_000_000, _NAN),
        ("xglm-7.5B", "xglm", "standard", 7_500_000_000, 500e9),
        *[(f"pythia-{size}{suffix}", "pythia", variant, parameters, float(_PYTHIA_TOKENS))
          for size, parameters in [("70m", 70_426_624), ("160m", 162_322_944), ("410m", 405_334_016),
                                   ("1b", 1_011_781_632), ("1.4b", 1_414_647_808), ("2.8b", 2_775_208_960),
                                   ("6.9b", 6_857_302_016), ("12b", 11_846_072_320)]
          for suffix, variant in [("", "standard"), ("-deduped", "deduplicated")]
          if (size, suffix) != ("1b", "")],  # no standard pythia-1b in the README's table (only a bf16 run)
        # The standard 1B of the checkpoint grid: a bf16 run, as many parameters as pythia-1b-deduped (mirror README).
        ("pythia-1b-bf16", "pythia", "standard", 1_011_781_632, float(_PYTHIA_TOKENS)),
    ],
    columns=["model", *CARD_COLUMNS],
)

_HARNESS = "llm_evals/lm-evaluation-harness/results/"
_PYTHIA = "llm_evals/pythia/evals/pythia-v1/"
_BIGSCIENCE = "llm_evals/bigscience/evaluation/results/tr11/"
# BigScience's folders are named after training runs, not models.
_BIGSCIENCE_RUNS = {"bloom1b3": "bloom-1b7", "bloom2b5": "bloom-3b", "bloom": "bloom-176b", "opt": "opt-175b"}


def _read_results(path: Path) -> dict:
    """The `results` object of a result file, or an InputError naming the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object with a 'results' object, got a {type(data).__name__}")
    if not isinstance(data.get("results"), dict):
        raise InputError(f"{path}: expected a 'results' object; the top-level keys are {sorted(data)}")
    return data["results"]


def _number(path: Path, key: str, entry: dict, field: str, required: bool = True) -> float:
    if field not in entry:
        if required:
            raise InputError(f"{path}: results[{key!r}] lacks {field!r}; it has {sorted(entry)}")
        return _NAN
    value = entry[field]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{path}: results[{key!r}][{field!r}] must be a finite number, got {value!r}")
    return float(value)


def _entry(path: Path, key: str, entry) -> dict:
    if not isinstance(entry, dict):
        raise InputError(f"{path}: results[{key!r}] must be an object, got {type(entry).__name__}")
    return entry


def _frame(rows: list[tuple], path: Path, zero_at_bounds: bool = False) -> pd.DataFrame:
    """The rows as a frame, refusing standard errors that are not positive. With `zero_at_bounds`, a
    standard error of 0 on a proportion of exactly 0 or 1 (what the binomial formula gives there, as on
    LAMBADA at Pythia's earliest checkpoints) is kept as NaN: a true value that carries no usable noise."""
    if not rows:
        raise InputError(f"{path}: no results of the expected kind")
    frame = pd.DataFrame(rows, columns=COLUMNS)
    if zero_at_bounds:
        frame.loc[(frame.stderr == 0) & frame.value.isin([0.0, 1.0]), "stderr"] = _NAN
    not_positive = frame.stderr <= 0  # NaN (none published) passes; a zero or negative one is a broken file
    if not_positive.any():
        bad = frame[not_positive].iloc[0]
        raise InputError(f"{path}: {not_positive.sum()} standard error(s) not positive, e.g. model {bad.model!r}, "
                         f"task {bad.task!r}, community {bad.community!r}: stderr {bad.stderr!r}")
    return frame.astype({"value": float, "stderr": float, "higher_is_better": bool})


def parse_lm_eval_v03(path: Path, model: str) -> pd.DataFrame:
    """Accuracy per language from an lm-eval v0.3 file (`results["<task>_<lang>"] = {acc, acc_stderr}`).

    Returns columns COLUMNS, one row per task and language, metric "accuracy".
    """
    rows = []
    for key, entry in _read_results(path).items():
        task, _, language = key.rpartition("_")  # task names hold underscores (xstory_cloze), codes do not
        if not task:
            raise InputError(f"{path}: results key {key!r} is not <task>_<language>")
        entry = _entry(path, key, entry)
        rows.append((model, task, language, "accuracy", _number(path, key, entry, "acc"),
                     _number(path, key, entry, "acc_stderr", required=False), True))
    return _frame(rows, path)


_CROWS_PAIRS = re.compile(r"^(crows_pairs_(?:english|french))(?:_(\w+))?$")
# Both flagged lower-is-better, but pct_stereotype is unbiased at 0.5, not 0: values below 0.5
# (several French categories) prefer the anti-stereotype; |value - 0.5| is the size of the bias.
_BIAS_METRICS = ("pct_stereotype", "likelihood_difference")


# General benchmarks kept beside CrowS-Pairs (accuracy, overall only), so that accuracy can be
# set against stereotype share (C4); MMLU's 57 subjects are left out.
PYTHIA_GENERAL = ("lambada_openai", "piqa", "arc_easy", "arc_challenge", "winogrande", "sciq", "logiqa")


def parse_pythia_zero_shot(path: Path, model: str) -> pd.DataFrame:
    """CrowS-Pairs bias per category from a Pythia zero-shot file, and the accuracy of the general
    benchmarks in PYTHIA_GENERAL (community "all"); its other tasks are left out.

    Returns columns COLUMNS: tasks crows_pairs_english and crows_pairs_french, community the
    category as published (French "autre" = other) or "all" for the task's overall score,
    metrics pct_stereotype and likelihood_difference with their standard errors.
    """
    return _frame(_pythia_rows(path, model, _read_results(path), PYTHIA_GENERAL), path)


def _pythia_rows(path: Path, model: str, results: dict, general: tuple[str, ...] = ()) -> list[tuple]:
    rows = []
    for key, entry in results.items():
        if key in general:
            entry = _entry(path, key, entry)
            rows.append((model, key, AGGREGATE, "accuracy", _number(path, key, entry, "acc"),
                         _number(path, key, entry, "acc_stderr", required=False), True))
            continue
        match = _CROWS_PAIRS.match(key)
        if not match:
            continue
        entry = _entry(path, key, entry)
        task, category = match.group(1), match.group(2) or AGGREGATE
        rows += [(model, task, category, metric, _number(path, key, entry, metric),
                  _number(path, key, entry, f"{metric}_stderr", required=False), False)
                 for metric in _BIAS_METRICS]
    return rows


_MMLU = "hendrycksTest-"  # lm-eval v0.3 names MMLU's subjects hendrycksTest-<subject>
MMLU = "mmlu"  # their task here: one task, its communities the subjects
# General benchmarks of the OPT files (accuracy, overall only), beside MMLU's subjects.
OPT_GENERAL = ("lambada_openai", "piqa", "arc_easy", "arc_challenge", "winogrande", "sciq", "logiqa", "wsc")


def parse_lm_eval_mmlu(path: Path, model: str) -> pd.DataFrame:
    """MMLU accuracy per subject from an lm-eval v0.3 file (`results["hendrycksTest-<subject>"] = {acc,
    acc_stderr, acc_norm, ...}`), and the accuracy of the general benchmarks in OPT_GENERAL; other tasks
    (and acc_norm) are left out.

    Returns columns COLUMNS: task "mmlu" with community the subject (e.g. college_medicine), no overall
    score (the analysis computes the equal-weight mean over subjects as community "all"); each general
    benchmark as its own task, community "all"; metric "accuracy" with its standard error.
    """
    return _frame(_mmlu_rows(path, model, _read_results(path)), path)


def _mmlu_rows(path: Path, model: str, results: dict) -> list[tuple]:
    rows = []
    for key, entry in results.items():
        if key.startswith(_MMLU):
            task, community = MMLU, key.removeprefix(_MMLU)
            if community in ("", AGGREGATE):  # "all" would pass for a published overall score
                raise InputError(f"{path}: results key {key!r} names no MMLU subject")
        elif key in OPT_GENERAL:
            task, community = key, AGGREGATE
        else:
            continue
        entry = _entry(path, key, entry)
        rows.append((model, task, community, "accuracy", _number(path, key, entry, "acc"),
                     _number(path, key, entry, "acc_stderr", required=False), True))
    return rows


_PYTHIA_STEP = re.compile(r"_step(\d+)\.json$")


def pythia_step(name: str | Path) -> int:
    """The checkpoint step in a Pythia result file's name (<size>[-deduped]_step<S>.json)."""
    match = _PYTHIA_STEP.search(str(name))
    if not match:
        raise InputError(f"{name}: not a Pythia checkpoint file (<size>_step<S>.json)")
    return int(match.group(1))


def parse_pythia_grid(path: Path, model: str) -> pd.DataFrame:
    """Every task of a Pythia checkpoint file: MMLU accuracy per subject (task "mmlu", as
    parse_lm_eval_mmlu: one task, its communities the subjects), CrowS-Pairs per category (as
    parse_pythia_zero_shot) and the accuracy of the general benchmarks in OPT_GENERAL (community "all").

    Returns columns COLUMNS + ["step"], the checkpoint step read from the file's name. At the earliest
    checkpoints LAMBADA's accuracy is exactly 0 with standard error 0: that standard error is kept as NaN.
    """
    step = pythia_step(path)
    results = _read_results(path)
    mmlu = {key: entry for key, entry in results.items() if key.startswith(_MMLU) or key in OPT_GENERAL}
    crows = {key: entry for key, entry in results.items() if _CROWS_PAIRS.match(key)}
    frames = []
    for part, parse in ((mmlu, _mmlu_rows), (crows, _pythia_rows)):
        if not part:
            raise InputError(f"{path}: no {'MMLU or general benchmark' if parse is _mmlu_rows else 'CrowS-Pairs'} "
                             "results")
        frames.append(_frame(parse(path, model, part), path, zero_at_bounds=True))
    return pd.concat(frames, ignore_index=True).assign(step=step)


_FLORES = re.compile(r"^gsarti/flores_101_(\w+)\+null$")
_LM_METRICS = ("bits_per_byte", "byte_perplexity", "word_perplexity")


def parse_bslmeval(path: Path, model: str) -> pd.DataFrame:
    """FLORES-101 language modelling per language from a BigScience `bslmeval.json`.

    Each `results["gsarti/flores_101_<lang>+null"]` maps a run's timestamp to its scores;
    one run per language is expected. Returns columns COLUMNS, task "flores101", community
    the FLORES code (zho_simpl and zho_trad are two), metrics bits_per_byte, byte_perplexity
    and word_perplexity (all lower is better); stderr is NaN where none is published.
    """
    rows = []
    for key, runs in _read_results(path).items():
        match = _FLORES.match(key)
        if not match:
            continue
        runs = _entry(path, key, runs)
        if len(runs) != 1:
            raise InputError(f"{path}: results[{key!r}] should hold one run, has {len(runs)}: {sorted(runs)}")
        (timestamp, entry), = runs.items()
        entry = _entry(path, f"{key}/{timestamp}", entry)
        rows += [(model, "flores101", match.group(1), metric, _number(path, key, entry, metric),
                  _number(path, key, entry, f"{metric}_stderr", required=False), False)
                 for metric in _LM_METRICS]
    return _frame(rows, path)


OBSSCALING_FILE = "obsscaling/eval_results/base_llm_benchmark_eval.csv"
OBSSCALING_CARDS = {"Model": "model", "Model Family": "family", "Model Size (B)": "parameters",
                    "Pretraining Data Size (T)": "training_tokens", "FLOPs (1E21)": "training_flops"}
_OBSSCALING_UNITS = {"parameters": 1e9, "training_tokens": 1e12, "training_flops": 1e21}
# benchmark column -> (task, items of the public evaluation set the score is a share of). Counts of MMLU
# (test), ARC-Challenge (test), HellaSwag (validation), GSM8K (test) and HumanEval: the mirror's README.
# WinoGrande ("Winograd" in the file): its validation split, 1,267 items (dataset card of allenai/winogrande
# on the Hugging Face Hub); 145 of the file's 148 values are whole multiples of 1/1267.
OBSSCALING_BENCHMARKS = {"MMLU": ("mmlu", 14_042), "ARC-C": ("arc_challenge", 1_172),
                         "HellaSwag": ("hellaswag", 10_042), "Winograd": ("winogrande", 1_267),
                         "GSM8K": ("gsm8k", 1_319), "HumanEval": ("humaneval", 164)}
# Read, then left out: no one item count makes their scores a share of items.
OBSSCALING_LEFT_OUT = {
    "TruthfulQA": "a multiple-choice score that is not a share of items (none of the 148 values is a whole "
                  "multiple of 1/817, TruthfulQA's question count), with no single chance level",
    "XWinograd": "a score over six languages of different sizes, with no one item count given by the mirror's "
                 "README or the file",
}


def _obsscaling_number(path: Path, table: pd.DataFrame, column: str) -> pd.Series:
    """The column as floats (blank = NaN), or an InputError naming the column, the model and the value."""
    text = table[column].str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = (values.isna() & text.ne("")) | ~np.isfinite(values.fillna(0))
    if bad.any():
        row = table[bad].iloc[0]
        raise InputError(f"{path}: column {column!r} must hold numbers (or be blank), got {row[column]!r} for "
                         f"model {row['Model']!r}")
    return values


def parse_obsscaling(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Observational scaling's table: one row per model (Model, Model Family, Model Size (B), Pretraining Data
    Size (T), FLOPs (1E21), then accuracy in [0, 1] per benchmark; blank = not measured or not known).

    Returns (results, cards). results: columns COLUMNS, one row per model x benchmark of OBSSCALING_BENCHMARKS
    with a value, community "all", metric "accuracy", stderr the binomial approximation sqrt(p (1 - p) / n)
    from the benchmark's public item count n (p kept within half an item of 0 and 1, so that a score of 0 keeps
    a positive standard error), plus a column n_eval = n. cards: model, CARD_COLUMNS and training_flops (the
    file's, NaN where it gives none), in units (parameters, tokens, FLOPs).
    """
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({type(exc).__name__}: {exc})") from exc
    missing = [c for c in [*OBSSCALING_CARDS, *OBSSCALING_BENCHMARKS] if c not in table.columns]
    if missing:
        raise InputError(f"{path}: lacks column(s) {missing}; it has {list(table.columns)}")
    if table.empty:
        raise InputError(f"{path}: no models")
    names = table["Model"].str.strip()
    if names.eq("").any() or names.duplicated().any():
        raise InputError(f"{path}: every model needs a name of its own; blank or repeated: "
                         f"{sorted(set(names[names.eq('') | names.duplicated()]))}")
    cards = pd.DataFrame({"model": names, "family": table["Model Family"].str.strip(), "variant": "standard"})
    if cards.family.eq("").any():
        raise InputError(f"{path}: column 'Model Family' is blank for model(s) {list(names[cards.family.eq('')])}")
    for column, card in OBSSCALING_CARDS.items():
        if card in _OBSSCALING_UNITS:
            cards[card] = _obsscaling_number(path, table, column) * _OBSSCALING_UNITS[card]
    if not (cards.parameters > 0).all():
        raise InputError(f"{path}: every model needs a positive 'Model Size (B)'; not: "
                         f"{list(cards.model[~(cards.parameters > 0)])}")
    rows = []
    for column, (task, items) in OBSSCALING_BENCHMARKS.items():
        value = _obsscaling_number(path, table, column)
        outside = (value < 0) | (value > 1)
        if outside.any():
            raise InputError(f"{path}: column {column!r} holds accuracies in [0, 1], got {value[outside].iloc[0]!r} "
                             f"for model {names[outside].iloc[0]!r}")
        p = value.clip(0.5 / items, 1 - 0.5 / items)
        rows.append(pd.DataFrame({"model": names, "task": task, "community": AGGREGATE, "metric": "accuracy",
                                  "value": value, "stderr": np.sqrt(p * (1 - p) / items),
                                  "higher_is_better": True, "n_eval": float(items)})[value.notna()])
    results = pd.concat(rows, ignore_index=True)
    return _frame(results[COLUMNS].values.tolist(), path).assign(n_eval=results.n_eval.to_numpy()), cards


def _harness_model(name: str) -> str:
    return name.removeprefix(_HARNESS).split("/")[1]  # <family>/<model>/<model>[_<task>_0-shot].json


def _pythia_model(name: str) -> str:
    return name.removeprefix(_PYTHIA).split("/")[0]  # <model>/zero-shot/<size>_step143000.json


def _bigscience_model(name: str) -> str:
    return _BIGSCIENCE_RUNS[name.removeprefix(_BIGSCIENCE).split("/")[0]]  # <run>/bslmeval.json


def _pythia_final(name: str) -> str | None:
    """The model of a final-step file, None for other checkpoints and for the bf16 1B (the
    pythia_crows_pairs study predates the grid and reads the 15 final checkpoints it had)."""
    model = _pythia_model(name)
    return model if name.endswith(f"_step{PYTHIA_FINAL_STEP}.json") and model != "pythia-1b-bf16" else None


# source -> (folders of its files in the registry, model of a file (None: not the source's), parser)
SOURCES: dict[str, tuple[tuple[str, ...], Callable[[str], str | None], Callable[[Path, str], pd.DataFrame]]] = {
    "lm_eval_multilingual": ((_HARNESS + "bloom/", _HARNESS + "xglm/"), _harness_model, parse_lm_eval_v03),
    "opt_mmlu": ((_HARNESS + "opt/",), _harness_model, parse_lm_eval_mmlu),
    "pythia_crows_pairs": ((_PYTHIA,), _pythia_final, parse_pythia_zero_shot),
    "pythia_grid": ((_PYTHIA,), _pythia_model, parse_pythia_grid),
    "bloom_flores": ((_BIGSCIENCE,), _bigscience_model, parse_bslmeval),
}


# source -> (registry name of its one file, parser giving its results and its own model cards)
CARDED_SOURCES: dict[str, tuple[str, Callable[[Path], tuple[pd.DataFrame, pd.DataFrame]]]] = {
    "obsscaling": (OBSSCALING_FILE, parse_obsscaling),
}


def _check_source(source: str) -> None:
    if source not in SOURCES and source not in CARDED_SOURCES:
        raise InputError(f"unknown source {source!r}; known: {sorted([*SOURCES, *CARDED_SOURCES])}")


def _source_files(source: str) -> dict[str, str]:
    """Registry name -> model, for every registered file of `source` (the registry is the one list)."""
    _check_source(source)
    folders, model_of, _ = SOURCES[source]
    files = {name: model_of(name) for name in downloads.REGISTRY if name.startswith(folders)}
    files = {name: model for name, model in files.items() if model is not None}
    uncarded = sorted(set(files.values()) - set(MODEL_CARDS.model))
    if uncarded:
        raise InputError(f"source {source!r} has files of model(s) {uncarded} without a row in MODEL_CARDS")
    return files


def _read_carded(source: str, cache: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    name, parse = CARDED_SOURCES[source]
    return parse(downloads.fetch(name, cache))


def source_families(source: str, cache: str | Path | None = None) -> list[str]:
    """Model families with results in `source` (a source that carries its own cards is read for them)."""
    _check_source(source)
    if source in CARDED_SOURCES:
        return sorted(set(_read_carded(source, cache)[1].family))
    cards = MODEL_CARDS.set_index("model").family
    return sorted({cards[model] for model in _source_files(source).values()})


def _wanted(source: str, families, known: list[str]) -> list[str]:
    wanted = known if families is None else [families] if isinstance(families, str) else list(families)
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise InputError(f"source {source!r} has no family {unknown}; known: {known}")
    return wanted


def files(source: str, families: str | Iterable[str] | None = None) -> list[str]:
    """Registry names of `source`'s files, for the given families (default: all of the source's). A source
    that carries its own cards has one file, whatever the families (`load` checks them once it is read)."""
    _check_source(source)
    if source in CARDED_SOURCES:
        return [CARDED_SOURCES[source][0]]
    wanted = _wanted(source, families, source_families(source))
    cards = MODEL_CARDS.set_index("model").family
    return sorted(name for name, model in _source_files(source).items() if cards[model] in wanted)


def registered_sources(names: Iterable[str]) -> pd.DataFrame:
    """The registry's URL and sha256 of each file name (columns file, url, sha256), for a study's sources table."""
    return pd.DataFrame([{"file": name, "url": downloads.REGISTRY[name][0], "sha256": downloads.REGISTRY[name][1]}
                         for name in names], columns=["file", "url", "sha256"])


def load(source: str, families: str | Iterable[str] | None = None, cache: str | Path | None = None) -> pd.DataFrame:
    """One tidy table of `source`'s published results, each file fetched with its checksum.

    Returns columns COLUMNS + CARD_COLUMNS (family, variant, parameters, training_tokens),
    one row per model x task x community x metric; a source that carries its own cards adds their
    training_flops and the item counts n_eval; a checkpoint grid (pythia_grid) adds column step, and
    its training_tokens are then the checkpoint's (step x tokens per step), not the card's.
    """
    if source in CARDED_SOURCES:
        results, cards = _read_carded(source, cache)
        cards = cards[cards.family.isin(_wanted(source, families, sorted(set(cards.family))))]
        table = results.merge(cards, on="model", how="inner", validate="many_to_one")
        return table[COLUMNS + CARD_COLUMNS + ["training_flops", "n_eval"]]
    names = files(source, families)
    _, model_of, parse = SOURCES[source]
    frames = [parse(downloads.fetch(name, cache), model_of(name)) for name in names]
    table = pd.concat(frames, ignore_index=True).merge(MODEL_CARDS, on="model", how="left", validate="many_to_one")
    if "step" not in table:
        return table[COLUMNS + CARD_COLUMNS]
    table["training_tokens"] = (table.step * PYTHIA_TOKENS_PER_STEP).astype(float)
    return table[COLUMNS + ["step"] + CARD_COLUMNS]


def cached_files(published: dict, cache: str | Path | None = None) -> list[Path]:
    """Where a published study's raw files live in the data cache (Make's prerequisites of its ingest)."""
    from .paths import data_cache

    return [data_cache(cache) / name for name in files(published["source"], published["families"] or None)]


# Answer options of each task: chance accuracy is 1 / options (lambada predicts a word from the whole
# vocabulary, GSM8K a number and HumanEval a program: chance accuracy about 0).
OPTIONS = {"lambada_openai": float("inf"), "gsm8k": float("inf"), "humaneval": float("inf"),
           "hellaswag": 4, "xcopa": 2, "xnli": 3, "xstory_cloze": 2, "xwinograd": 2, "pawsx": 2, "piqa": 2, "arc_easy": 4,
           "arc_challenge": 4, "winogrande": 2, "sciq": 4, "logiqa": 4, MMLU: 4,
           "wsc": 2}  # SuperGLUE WSC: is the pronoun's referent this noun, yes or no


def _family_line(frame: pd.DataFrame) -> pd.Series:
    """A model family line: the family, with '-deduped' for models trained on deduplicated data."""
    return frame.family + frame.variant.map({"standard": "", "deduplicated": "-deduped"}).fillna("")


def standard_tables(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The standard evaluations and compute tables from `load`'s rows.

    evaluations: model (family line: the family, '-deduped' for deduplicated data), size_name, scale
    (parameters), seed (0: one run per size), attribute (task), community, metric, value, stderr, n_eval
    (items, from a proportion's standard error, p(1 - p) / se^2 + 1; NaN otherwise), badness (the
    lower-is-better form: 1 - accuracy; |pct_stereotype - 0.5|, the size of the preference, since 0.5
    is no preference; bits per byte as is), neutral_side (the sign of pct_stereotype - 0.5) and
    chance_badness (badness at chance, or at no preference; NaN without one).
    compute: size_name, model, parameters, training_tokens, training_flops (6 N D, or the source's own
    where it gives them: NaN there means unknown) and inference_flops_per_token (2 N), the usual
    approximations (Kaplan et al. 2020). A source that states its item counts (column n_eval) has them
    used as they are. A checkpoint grid (raw with column step) adds columns step and training_tokens
    (the checkpoint's) to evaluations, and compute has one row per checkpoint (size_name x step).
    """
    table = raw[raw.metric.isin(["accuracy", "pct_stereotype", "bits_per_byte"])].copy()
    line = _family_line(table)
    proportion = table.metric.isin(["accuracy", "pct_stereotype"])
    options = table.task.map(OPTIONS)
    evaluations = pd.DataFrame({
        "model": line, "size_name": table.model, "scale": table.parameters.astype(float), "seed": 0,
        "attribute": table.task, "community": table.community, "metric": table.metric, "value": table.value,
        "stderr": table.stderr,
        "n_eval": (table.n_eval if "n_eval" in table else
                   (table.value * (1 - table.value) / table.stderr ** 2 + 1).where(proportion).round()),
        "badness": table.value.where(table.metric == "bits_per_byte",
                                     (1 - table.value).where(table.metric == "accuracy", (table.value - 0.5).abs())),
        # which side of no preference a stereotype share lies on (curves crossing it are not evaluated)
        "neutral_side": np.sign(table.value - 0.5).where(table.metric == "pct_stereotype"),
        # at chance: accuracy 1 / options; stereotype share 0.5 (badness 0); bits per byte: none
        "chance_badness": (1 - 1 / options).where(table.metric == "accuracy", 0.0).where(
            table.metric != "bits_per_byte"),
    }).reset_index(drop=True)
    grid = "step" in raw
    if grid:
        evaluations["step"] = table.step.to_numpy()
        evaluations["training_tokens"] = table.training_tokens.to_numpy(float)
    cards = raw.drop_duplicates(["model", "step"] if grid else "model").rename(columns={"model": "size_name"})
    compute = pd.DataFrame({"size_name": cards.size_name, "model": _family_line(cards),
                            "parameters": cards.parameters.astype(float),
                            "training_tokens": cards.training_tokens})
    if grid:
        compute.insert(2, "step", cards.step)
    compute["training_flops"] = (cards.training_flops.to_numpy(float) if "training_flops" in cards
                                 else 6 * compute.parameters * compute.training_tokens)
    compute["inference_flops_per_token"] = 2 * compute.parameters
    order = ["model", "parameters", "step"] if grid else ["model", "parameters"]
    return evaluations, compute.sort_values(order).reset_index(drop=True)
