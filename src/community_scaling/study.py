"""A study: one YAML file in params/ that says what data, sweep and analysis to run.

The file is validated as a whole against SCHEMA (unknown or mistyped keys are
errors with a suggestion, because papermill only logs unknown parameters), and
split into sections so that Make re-runs only the notebooks a change touches.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from . import paths, row_filter
from .io import InputError, shortened, stable_hash, write_text

MAX_N_JOBS = 64
KINDS = ("sweep", "published_results", "published_grid", "rater_labels", "curve_database")
# The sections each kind of study reads (study and figures are common to all).
KIND_SECTIONS = {
    "sweep": ("data", "evaluation", "sweep", "representation", "fits", "metrics", "values", "cost"),
    "published_results": ("published", "fits", "metrics", "cost"),
    "published_grid": ("published", "fits", "metrics", "cost"),
    "rater_labels": ("raters", "fits"),
    "curve_database": ("curves", "fits", "metrics", "cost"),
}


@dataclass(frozen=True)
class Spec:
    """One key of a study file: accepted types, default, and an optional check."""

    types: tuple
    default: Any = None
    check: Callable[[Any], str | None] | None = None
    help: str = ""
    items: tuple | None = None  # for a list: the types its elements must have


def _positive(value):
    return None if value > 0 else "must be > 0"


def _fraction(value):
    return None if 0 < value < 1 else "must be between 0 and 1"


def _one_of(*choices):
    return lambda value: None if value in choices else f"must be one of {list(choices)}"


def _sizes(value):
    if isinstance(value, dict):
        unknown = set(value) - {"start", "factor", "include_all"}
        if unknown:
            return f"unknown keys {sorted(unknown)}; use start, factor, include_all"
        if not isinstance(value.get("start"), int) or value["start"] <= 0:
            return "start must be a positive integer"
        factor = value.get("factor", 2)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor <= 1:
            return "factor must be a number > 1"
        # sizes are rounded: if the first step rounds back to start, the sizes never grow
        if round(value["start"] * factor) <= value["start"]:
            return (f"start {value['start']} x factor {factor:g} rounds to {round(value['start'] * factor)}: "
                    "sizes must strictly increase; raise start or factor")
        if not isinstance(value.get("include_all", True), bool):
            return "include_all must be true or false"
        return None
    numbers = [v for v in value if v != "all"]
    if any(isinstance(v, bool) or not isinstance(v, int) for v in numbers):
        return "must be positive integers (or 'all' last)"
    if any(v <= 0 for v in numbers):
        return "must be positive"
    if any(b <= a for a, b in zip(numbers, numbers[1:])):
        return "must be strictly increasing"
    if "all" in value[:-1]:
        return "'all' may only come last"
    return None


def _capacity(value):
    for model, axis in value.items():
        if not isinstance(axis, dict) or len(axis) != 1:
            return f"{model} must map exactly one hyperparameter to a list of values"
        (parameter, values), = axis.items()
        if not isinstance(values, list) or len(values) < 3 or len(set(map(str, values))) != len(values):
            return f"{model}.{parameter} needs a list of at least 3 distinct values"
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in values):
            return f"{model}.{parameter} values must be positive numbers"
    return None


def _capacity_sizes(value):
    if not value or any(v != "all" and (isinstance(v, bool) or not isinstance(v, int) or v <= 0) for v in value):
        return "must be a non-empty list of positive integers or 'all'"
    return None


def _profiles(value):
    for name, profile in value.items():
        if not isinstance(profile, dict) or set(profile) != {"cost_fp", "cost_fn"}:
            return f"profile {name!r} must have exactly cost_fp and cost_fn"
        if any(not isinstance(v, (int, float)) or v < 0 for v in profile.values()):
            return f"profile {name!r}: costs must be non-negative numbers"
    return None


def _assignment(value):
    if not value:
        return None
    if len(value) != 1:
        return "must name exactly one attribute"
    (attribute, communities), = value.items()
    if not isinstance(communities, dict) or len(communities) < 2:
        return f"{attribute!r} must map at least two communities to a profile"
    for community, spec in communities.items():
        if isinstance(spec, dict) and (set(spec) - {"profile", "outcome"} or "profile" not in spec):
            return f"{attribute}.{community} must be a profile name or {{profile, outcome}}"
        if not isinstance(spec, (str, dict)):
            return f"{attribute}.{community} must be a profile name or {{profile, outcome}}"
    return None


NUMBER = (int, float)
OPT_STR = (str, type(None))

SCHEMA: dict[str, dict[str, Spec]] = {
    "study": {
        "title": Spec((str,), "", help="one line shown in reports"),
        "description": Spec((str,), ""),
        "kind": Spec((str,), "sweep", _one_of(*KINDS),
                     "sweep (models trained at growing n on a table: the data, sweep, ... sections), "
                     "published_results (published evaluations of model families across sizes: the published "
                     "section), published_grid (a family's published evaluations over sizes and training checkpoints: "
                     "the published section), rater_labels (items labelled by groups of raters: the raters section) or "
                     "curve_database (published learning curves of many learners on many datasets: the curves "
                     "section)"),
    },
    "published": {
        "source": Spec((str,), "lm_eval_multilingual",
                       _one_of("lm_eval_multilingual", "opt_mmlu", "pythia_crows_pairs", "pythia_grid", "bloom_flores",
                               "obsscaling"),
                       "lm_eval_multilingual (XGLM and BLOOM per language), opt_mmlu (OPT per MMLU subject, "
                       "beside general benchmarks), pythia_crows_pairs (Pythia per CrowS-Pairs category), pythia_grid "
                       "(Pythia's sizes x training checkpoints, per MMLU subject and CrowS-Pairs category; kind "
                       "published_grid), bloom_flores (BLOOM FLORES-101 bits per byte per language) or obsscaling "
                       "(148 base models of 47 families on 8 benchmarks, with their training FLOPs)"),
        "families": Spec((list,), [], items=(str,), help="model families to keep (e.g. [bloom, xglm]); [] = all of the source"),
        "min_sizes": Spec((int,), 4, lambda v: None if v >= 3 else "must be >= 3 (a slope and its interval)",
                          "curves with fewer model sizes are listed as not evaluable"),
        "draws": Spec((int,), 1000, lambda v: None if v >= 20 else "must be >= 20",
                      "normal draws of every published value from its standard error (intervals of C1, C6, C7)"),
        "spread_margin": Spec(NUMBER, 0.25, _positive,
                              "C3 on model size: the relative spread (standard deviation of communities' gains "
                              "per tenfold of parameters around their aggregate's, divided by the aggregate's "
                              "gain) from which communities do not follow their aggregate; 0.25: a community one "
                              "standard deviation off gains a quarter more or less than the aggregate (grid: "
                              "0.1, 0.5)"),
        "slope_margin": Spec(NUMBER, 0.01, _positive,
                             "C3 on a checkpoint grid (published_grid; not yet the spread rule): a community is "
                             "shown not to lag when its gain per tenfold of "
                             "parameters is, with Holm-corrected 95% confidence, less than this below the "
                             "aggregate's (in units of the metric; accuracy: 0.01 = one point)"),
        "compute_min_models": Spec((int,), 4, lambda v: None if v >= 4 else "must be >= 4 (a curvature needs 4 points)",
                                   "C6 (and C7 within families): a family line with fewer models with training "
                                   "compute is left out of the curves, and named"),
        "compute_curves": Spec((str,), "within_families", _one_of("within_families", "within_and_across_families"),
                               "C6: the curves whose curvature is tested, each family line's (within_families), or "
                               "those and one curve of every model of every family ordered by training FLOPs "
                               "(within_and_across_families)"),
        "min_step": Spec((int,), 1000, lambda v: None if v >= 1 else "must be >= 1 (step 0 is untrained)",
                         "published_grid: checkpoints before this training step are left out (step 0 is the "
                         "untrained initialisation; Pythia's log-spaced steps 1-512 are its first 0.4% of training)"),
        "caveat": Spec((str,), "", help="a known problem of the source, shown in the notebooks"),
    },
    "curves": {
        "source": Spec((str,), "lcdb", _one_of("lcdb"),
                       "lcdb (the Learning Curve Database 1.0, the CSV files of the PyPI package lcdb 0.1.0)"),
        "learners": Spec((list,), [], items=(str,),
                         help="learners to keep, by short name (e.g. [LogisticRegression, SVC_rbf]); [] = all 20"),
        "max_datasets": Spec((int, type(None)), None, lambda v: _positive(v),
                             "keep only the first k datasets by OpenML id (a small configuration); null = all"),
        "curve_resamples": Spec((int,), 50, lambda v: None if v >= 20 else "must be >= 20",
                                "C1: resamples of a curve's outer seeds for its own extrapolation-margin interval"),
        "figure_curves": Spec((int,), 6, _positive, "datasets drawn in the learning-curve figure"),
    },
    "raters": {
        "source": Spec((str,), "popquorn", _one_of("popquorn", "epic", "dices"),
                       "popquorn (offensiveness 1-5, raters with demographics), epic (irony, labels per rater "
                       "group) or dices (conversation safety, raters with demographics)"),
        "attribute": Spec((str,), "race", help="the rater attribute whose groups are the communities"),
        "intersect_with": Spec(OPT_STR, None,
                               help="a second rater attribute: the communities are then the intersections "
                                    "'a & b' (column 'attribute x intersect_with'), each evaluated where its "
                                    "counts allow (min_items)"),
        "min_items": Spec((int,), 200, _positive, "items a group must have labelled to be evaluated"),
        "positive_from": Spec((int, float, type(None)), 3,
                              help="ordinal ratings count as positive from this value on (each rater's rating, "
                                   "before the group's majority vote); null for binary labels"),
        "sizes": Spec((list,), [16, 32, 64, 128, 256, 512, 1024], _sizes,
                      "training items of the text classifiers (nested; sizes a label lacks are left out)"),
        "seeds": Spec((int,), 3, lambda v: None if v >= 2 else "must be >= 2 (intervals over seeds)"),
        "test_fraction": Spec(NUMBER, 0.3, _fraction, "held-out items, the same for every classifier"),
        "bootstrap": Spec((int,), 200, lambda v: None if v >= 20 else "must be >= 20",
                          "resamples of held-out items for every interval"),
        "permutations": Spec((int,), 99, _positive, "shuffles of rater groups for the agreement test"),
        "conflict_permutations": Spec((int,), 49, _positive,
                                      "C5: shuffles of rater groups, each relabelled and retrained"),
        "margin": Spec(NUMBER, 0.02, _positive,
                       "C5: conflict (minimax regret beyond random groups, in error) that counts as real"),
        "n_jobs": Spec((int,), 2, lambda v: None if 1 <= v <= MAX_N_JOBS else f"must be between 1 and {MAX_N_JOBS}"),
    },
    "data": {
        "source": Spec((str,), "census_kdd", _one_of("census_kdd", "file", "acs"),
                       "census_kdd (embedded default), file (a reader's CSV/parquet) or acs (ACS PUMS, folktables)"),
        "path": Spec(OPT_STR, None, help="source=file: CSV or parquet, relative to the project"),
        "test_path": Spec(OPT_STR, None, help="source=file: optional fixed test split"),
        "test_fraction": Spec(NUMBER, 0.33, _fraction, "used when there is no fixed test split"),
        "split_seed": Spec((int,), 0),
        "target": Spec((str,), "income"),
        "positive_label": Spec((str, int, float, bool), "50000+."),
        "population": Spec(OPT_STR, "age >= 16", help="pandas query selecting the population"),
        "bands": Spec((dict,), {}, help="derived banded columns: {new: {column, edges}}"),
        "communities": Spec((list,), ["race", "sex"], items=(str,)),
        "intersections": Spec((list,), []),
        "alternative_outcomes": Spec((dict,), {}, help="{name: pandas query}; 1 where true"),
        "exclude_features": Spec((list,), [], items=(str,)),
        "growth_source": Spec(OPT_STR, None, help="C2: column naming each row's source (year, region, language); "
                                                  "data accumulated source by source; null = C2 not applicable"),
        "growth_order": Spec((list,), [], items=(str, int, float), help="C2: recruitment order of the sources (e.g. years); [] = every "
                                               "source taken first in turn"),
        "drop_test_duplicates": Spec((bool,), True, help="drop test rows identical to a training row (features "
                                                         "and label); counted in the datasheet either way"),
        "max_train_rows": Spec((int, type(None)), None, lambda v: v is None and None or _positive(v)),
        "max_test_rows": Spec((int, type(None)), None, lambda v: v is None and None or _positive(v)),
        # source=acs: ACS PUMS person files (folktables' layout) and a folktables task, which sets the
        # target, the positive label and the population (data.target, positive_label, population unset).
        "acs_year": Spec((int,), 2018, lambda v: None if v >= 2014 else "must be 2014 or later (folktables)",
                         "source=acs: survey year, one the Census Bureau publishes for data.acs_horizon "
                         "(acs_files.PUBLISHED_YEARS)"),
        "acs_horizon": Spec((str,), "1-Year", _one_of("1-Year", "5-Year"), "source=acs: 1-Year or 5-Year"),
        "acs_states": Spec((list,), [], items=(str,), help="source=acs: two-letter postal codes, e.g. [AL, CA]; [all] for folktables' list (50 states, PR)"),
        "acs_task": Spec((str,), "ACSIncome", help="source=acs: ACSIncome, ACSEmployment or ACSPublicCoverage"),
        "acs_sha256": Spec((dict,), {}, help="source=acs: {file name: sha256} pins, e.g. {psam_p01.csv: ...}"),
        "acs_trust_on_first_use": Spec((bool,), False, help="source=acs: record the sha256 of unpinned files in "
                                                            "<study>.sha256 beside the study file (commit it)"),
    },
    "evaluation": {
        "min_count": Spec((int,), 100, _positive, "test rows a community needs to be evaluated"),
        "min_positives": Spec((int,), 10, _positive, "positives and negatives it needs"),
        "threshold": Spec(NUMBER, 0.5, _fraction),
    },
    "sweep": {
        "sizes": Spec((list, dict), {"start": 128, "factor": 2, "include_all": True}, _sizes),
        "seeds": Spec((int,), 5, _positive),
        "models": Spec((dict,), {"logistic_regression": {}, "gradient_boosting": {}}),
        "backend": Spec((str,), "loky", _one_of("loky", "sequential", "dask")),
        "n_jobs": Spec((int,), 2, lambda v: None if 1 <= v <= MAX_N_JOBS else f"must be between 1 and {MAX_N_JOBS}"),
        "scheduler_address": Spec(OPT_STR, None, help="tcp://host:port of a Dask scheduler"),
        "capacity": Spec((dict,), {}, _capacity,
                         "model-capacity axis: {model: {hyperparameter: [values]}}, one hyperparameter per model "
                         "(e.g. gradient_boosting: {max_iter: [8, 16, 32, 64, 128]}), the others fixed at "
                         "sweep.models; run at each of sweep.capacity_sizes; {} = no capacity sweep"),
        "capacity_sizes": Spec((list,), ["all"], _capacity_sizes,
                               "training-set sizes (integers, or 'all') at which the capacity axis is swept"),
    },
    "representation": {
        "attribute": Spec(OPT_STR, None, help="community attribute whose share of training rows is varied "
                                              "at fixed totals (Rolf et al. 2021); null = no representation sweep"),
        "communities": Spec((list,), [], items=(str,), help="communities to vary; default: the evaluable ones"),
        "totals": Spec((list,), [4096, 8192, 16384], items=(int,),
                         help="fixed training-set sizes n (at least 3: Rolf et al.'s model fits t n^-q)"),
        "shares": Spec((list,), [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2], help="shares of n from the community"),
        "model": Spec((str,), "logistic_regression"),
    },
    "fits": {
        "metric": Spec((str,), "error"),
        "forms": Spec((list,), ["power_law_floor", "m4", "broken_power_law"], items=(str,)),
        "bootstrap": Spec((int,), 200, lambda v: None if v >= 0 else "must be >= 0"),
        "holdout_sizes": Spec((int,), 2, _positive),
        "trend_tolerance": Spec(NUMBER, 0.02, _positive),
        "extrapolation_doublings": Spec(NUMBER, 3.0, _positive,
                                        "C1: the power law is fitted on sizes n <= n_max / 2^this and must predict "
                                        "every larger size better than laws that are not power laws (flat last value; "
                                        "exponential saturation)"),
        "spread_margin": Spec(NUMBER, 0.25, _positive,
                              "C3 on a sweep: the relative spread (standard deviation of communities' exponents "
                              "of their error above its floor, around their aggregate's, divided by the "
                              "aggregate's exponent) from which communities do not follow their aggregate; as "
                              "published.spread_margin on model size (grid: 0.1, 0.5)"),
        "not_following_share": Spec(NUMBER, 0.05, _fraction,
                                    "C3 on Pythia's checkpoint grid (its former per-community rule): supported when "
                                    "the share of communities shown to lag (one-sided, Holm) is above this"),
        "floor_gain": Spec(NUMBER, 0.001, _positive,
                           "C3: a community whose predicted error gain from one more doubling of n (upper end of "
                           "its 95% interval) is below this is 'at its floor: nothing left to gain'"),
        "exponent_margin": Spec(NUMBER, 0.1, _positive,
                                "C3: a community is shown not to lag when its exponent is, with Holm-corrected 95% "
                                "confidence, less than this below the aggregate's (sets the upper end of the share)"),
    },
    "metrics": {
        "disagreement_share": Spec(NUMBER, 0.1, _fraction,
                                   "C4 is supported when the lower end of the interval of the share of model x "
                                   "community pairs whose metrics disagree exceeds this"),
        "judged": Spec((list,), ["error", "log_loss", "brier", "auroc", "ece", "tpr_gap", "fpr_gap",
                                 "selection_rate_gap", "worst_community_error", "tpr_gap_range", "fpr_gap_range",
                                 "selection_rate_gap_range"], items=(str,),
                       help="C4: the metrics a community could hold as 'better' (lower-is-better forms compared)"),
        "test_parts": Spec((int,), 10, lambda v: None if v >= 2 else "must be >= 2",
                           "C4: random disjoint parts of the test rows; a slope's spread over them gives its "
                           "test-row variance"),
    },
    "values": {
        "profiles": Spec((dict,), {"symmetric": {"cost_fp": 1, "cost_fn": 1},
                                   "false_alarm_averse": {"cost_fp": 4, "cost_fn": 1},
                                   "miss_averse": {"cost_fp": 1, "cost_fn": 4}}, _profiles),
        "thresholds": Spec((list,), [round(0.05 * k, 2) for k in range(1, 20)]),
        "tolerance": Spec(NUMBER, 0.02, _positive),
        "assignment": Spec((dict,), {}, _assignment,
                           "C5: each community's own values, for one attribute: {attribute: {community: profile "
                           "or {profile, outcome}}}; empty = none assigned, and C5 is not applicable"),
        "permutations": Spec((int,), 200, _positive, "C5: permutations of the values among people (the null)"),
    },
    "cost": {
        "watts_per_core": Spec(NUMBER, 15.0, _positive),
        "loss": Spec((str,), "error", _one_of("error", "brier", "log_loss"),
                     "C6, C7: per-test-row loss (error at evaluation.threshold, Brier score or log loss), "
                     "so intervals can resample test rows"),
        "margin": Spec(NUMBER, 0.1, _fraction,
                       "C7: a configuration serves a community when its loss exceeds the best configuration's "
                       "by at most this fraction of the gap between a trivial model (the training base rate "
                       "for everyone) and the best"),
        "small_share": Spec(NUMBER, 0.1, _fraction,
                            "C7: 'small' = at most this share of the largest configuration's fit operations "
                            "(training rows x input columns x iterations)"),
        "skip_smallest": Spec((int,), 0, lambda v: None if v >= 0 else "must be >= 0",
                              "C6: points of least compute left out of each curve before its curvature is fitted"),
        "bootstrap": Spec((int,), 200, _positive,
                          "C6, C7: resamples of seeds and test rows (jointly) for every interval"),
    },
    "figures": {
        "formats": Spec((list,), ["png", "pdf"], items=(str,)),
        "dpi": Spec((int,), 150, _positive),
    },
}

KNOWN_MODELS = ("logistic_regression", "gradient_boosting")
# The parameters every notebook takes from papermill; everything else is in the study file.
NOTEBOOK_PARAMETERS = ("study", "study_file", "output_root")


def _suggest(name: str, options) -> str:
    close = difflib.get_close_matches(name, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_names(types: tuple) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types)


def _wrong_items(value, types: tuple | None) -> list:
    """Elements of a list that are not of `types` (booleans count as wrong unless allowed)."""
    if not types or not isinstance(value, list):
        return []
    return [v for v in value if not isinstance(v, types) or (isinstance(v, bool) and bool not in types)]


@dataclass
class Study:
    """A validated study file: sections as plain dicts, plus where it came from."""

    name: str
    file: Path
    config: dict[str, dict[str, Any]]

    def __getitem__(self, section: str) -> dict[str, Any]:
        return self.config[section]

    def section_hash(self, *sections: str) -> str:
        return stable_hash({s: self.config[s] for s in sections})

    @property
    def parameter_hash(self) -> str:
        return stable_hash(self.config)

    @property
    def attributes(self) -> list[str]:
        """Community attributes: single columns then intersections ('a x b')."""
        data = self.config["data"]
        return list(data["communities"]) + [" x ".join(pair) for pair in data["intersections"]]

    def sizes(self, available: int) -> list[int]:
        """Training-set sizes of the sweep, checked against the rows available."""
        spec = self.config["sweep"]["sizes"]
        if isinstance(spec, dict):
            sizes, size = [], spec["start"]
            while size < available:
                sizes.append(int(size))
                size = round(size * spec.get("factor", 2))
            if spec.get("include_all", True) and (not sizes or sizes[-1] != available):
                sizes.append(available)
        else:
            sizes = [available if s == "all" else s for s in spec]
            too_big = [s for s in sizes if s > available]
            if too_big:
                raise InputError(f"sweep.sizes: {shortened(too_big)} larger than the {available} training rows available")
            if any(b <= a for a, b in zip(sizes, sizes[1:])):
                raise InputError(f"sweep.sizes: {shortened(sizes)} must be strictly increasing (is 'all' = {available} "
                                 "smaller than a listed size?)")
        holdout = self.config["fits"]["holdout_sizes"]
        if len(sizes) < 3 + holdout:
            raise InputError(f"sweep.sizes gives {len(sizes)} sizes {shortened(sizes)} for {available} training rows; the "
                             f"scaling fits need 3 to fit plus fits.holdout_sizes = {holdout} held out to check "
                             "extrapolation: add sizes or lower fits.holdout_sizes")
        return sizes


def capacity_sizes(study: "Study", available: int) -> list[int]:
    """Training-set sizes of the capacity sweep, checked against the rows available."""
    sizes = sorted({available if s == "all" else s for s in study["sweep"]["capacity_sizes"]})
    if sizes[-1] > available:
        raise InputError(f"sweep.capacity_sizes: {sizes[-1]} larger than the {available} training rows available")
    return sizes


def validate(raw: Any, name: str, file: Path) -> Study:
    """Check a parsed study file against SCHEMA, fill defaults, or raise InputError."""
    where = f"study file {file}"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping of sections, got {type(raw).__name__}")
    problems = []
    for section in raw:
        if section not in SCHEMA:
            problems.append(f"unknown section {section!r}{_suggest(section, SCHEMA)}")
    config: dict[str, dict[str, Any]] = {}
    for section, specs in SCHEMA.items():
        given = raw.get(section) or {}
        if not isinstance(given, dict):
            problems.append(f"section {section!r} must be a mapping")
            continue
        for key in given:
            if key not in specs:
                problems.append(f"unknown parameter {section}.{key}{_suggest(key, specs)}")
        values = {}
        for key, spec in specs.items():
            value = given.get(key, copy.deepcopy(spec.default))
            if isinstance(value, bool) and bool not in spec.types:
                problems.append(f"{section}.{key} must be {_type_names(spec.types)}, got a boolean")
                continue
            if not isinstance(value, spec.types):
                problems.append(f"{section}.{key} must be {_type_names(spec.types)}, "
                                f"got {type(value).__name__} {shortened(value)}")
                continue
            wrong = _wrong_items(value, spec.items)
            if wrong:
                problems.append(f"{section}.{key} must be a list of {_type_names(spec.items)}; its element "
                                f"{shortened(wrong[0])} is {type(wrong[0]).__name__}")
                continue
            message = spec.check(value) if spec.check and value is not None else None
            if message:
                problems.append(f"{section}.{key} {message}")
            values[key] = value
        config[section] = values
    if not problems:
        kind = config["study"]["kind"]
        problems += [f"section {section!r} is not read by a study of kind {kind!r} (study.kind); it reads "
                     f"{['study', *KIND_SECTIONS[kind], 'figures']}" for section in raw
                     if section in SCHEMA and section not in ("study", "figures", *KIND_SECTIONS[kind])]
    if not problems:
        problems += _source_settings(raw.get("data") or {}, config["data"])
    if not problems:
        problems += _cross_checks(config)
    if problems:
        raise InputError(f"{where}:\n  - " + "\n  - ".join(problems))
    return Study(name=name, file=file, config=config)


ACS_SET_BY_TASK = ("target", "positive_label", "population")


def _source_settings(given: dict, data: dict) -> list[str]:
    """Keys that belong to one source only; for source acs the task fills target, label and population."""
    problems = []
    if data["source"] != "acs":
        problems += [f"data.{key} is for data.source 'acs' only" for key in given if key.startswith("acs_")]
        return problems
    problems += [f"data.{key} is set by data.acs_task for source 'acs' (folktables' task definition); remove it"
                 for key in (*ACS_SET_BY_TASK, "path", "test_path") if key in given]
    from .acs import TASKS  # light: pandas and numpy only
    if data["acs_task"] not in TASKS:
        problems.append(f"data.acs_task {data['acs_task']!r} is not a supported task"
                        f"{_suggest(data['acs_task'], TASKS)}; known: {list(TASKS)}")
        return problems
    from .acs_files import PUBLISHED_YEARS, state_codes
    years = PUBLISHED_YEARS[data["acs_horizon"]]
    if data["acs_year"] not in years:
        problems.append(f"data.acs_year {data['acs_year']} has no {data['acs_horizon']} PUMS files that folktables "
                        f"reads; published years: {years[0]}-{years[-1]}"
                        + (f" except {sorted(set(range(years[0], years[-1] + 1)) - set(years))}"
                           if len(years) < years[-1] - years[0] + 1 else ""))
    states = state_codes()
    if data["acs_states"] == ["all"]:
        data["acs_states"] = list(states)  # folktables' list: the 50 states and Puerto Rico (it has no DC)
    unknown = [s for s in data["acs_states"] if s not in states]
    if not data["acs_states"] or unknown:
        problems.append(f"data.acs_states {shortened(unknown) if unknown else '[]'}: give two-letter postal codes from {sorted(states)}, "
                        "or [all]")
    if len(set(data["acs_states"])) != len(data["acs_states"]):
        problems.append(f"data.acs_states {shortened(data['acs_states'])} names a state twice")
    from .acs_files import SHA256
    for name, digest in data["acs_sha256"].items():
        if not isinstance(digest, str) or not SHA256.fullmatch(digest):
            problems.append(f"data.acs_sha256.{name} must be 64 lower-case hexadecimal digits, got {shortened(digest)}")
    from .acs import task
    problem = task(data["acs_task"])
    data.update(target=problem.target, positive_label=1, population=None)
    return problems


def _rater_attributes(raters: dict) -> list[str]:
    """raters.attribute and intersect_with must be attributes the source has (fixed per source)."""
    from .rater_labels import ATTRIBUTES

    known = ATTRIBUTES.get(raters["source"], ())
    return [f"raters.{key} {raters[key]!r} is not a rater attribute of source {raters['source']!r}"
            f"{_suggest(raters[key], known)}; attributes: {list(known)}"
            for key in ("attribute", "intersect_with") if raters[key] is not None and raters[key] not in known]


def _cross_checks(config) -> list[str]:
    problems = []
    if config["study"]["kind"] == "rater_labels":
        problems += _rater_attributes(config["raters"])
    data, sweep, fits = config["data"], config["sweep"], config["fits"]
    if data["source"] == "file" and not data["path"]:
        problems.append("data.path is required when data.source is 'file'")
    for model in sweep["models"]:
        if model not in KNOWN_MODELS:
            problems.append(f"unknown model sweep.models.{model}{_suggest(model, KNOWN_MODELS)}; "
                            f"known: {list(KNOWN_MODELS)}")
    for model in sweep["capacity"]:
        if model not in sweep["models"]:
            problems.append(f"sweep.capacity names model {model!r}, which is not in sweep.models")
    if sweep["backend"] == "dask" and not sweep["scheduler_address"]:
        problems.append("sweep.backend 'dask' needs sweep.scheduler_address (tcp://host:port)")
    if fits["bootstrap"] > 0 and sweep["seeds"] < 2:
        problems.append(f"sweep.seeds is {sweep['seeds']}: intervals (fits.bootstrap > 0) need at least 2 seeds")
    representation = config["representation"]
    if representation["attribute"]:
        if representation["model"] not in sweep["models"]:
            problems.append(f"representation.model {representation['model']!r} is not in sweep.models")
        if representation["attribute"] not in data["communities"]:
            problems.append(f"representation.attribute {representation['attribute']!r} is not in data.communities")
        totals = representation["totals"]
        if any(not isinstance(t, int) or isinstance(t, bool) or t <= 0 for t in totals):
            problems.append(f"representation.totals {shortened(totals)} must be positive integers")
        elif len(set(totals)) < 3:
            # Rolf et al.'s t n^-q with the floor d needs 3 totals; with 2 every community's fit failed
            problems.append(f"representation.totals {shortened(totals)} gives {len(set(totals))} distinct totals n; "
                            "Rolf et al.'s model (error = d + s (n_j + 1)^-p + t n^-q) needs at least 3 to fit "
                            "t and q: add a total")
        if any(not isinstance(v, (int, float)) or not 0 <= v <= 1 for v in representation["shares"]):
            problems.append("representation.shares must be numbers between 0 and 1")
    known = set(data["communities"]) | {spec.get("name", new) if isinstance(spec, dict) else new
                                           for new, spec in data["bands"].items()}
    for pair in data["intersections"]:
        if not isinstance(pair, list) or len(pair) != 2 or _wrong_items(pair, (str,)):
            problems.append(f"data.intersections entry {shortened(pair)} must be a pair of community column names")
        elif set(pair) - known:
            problems.append(f"data.intersections {pair} names {sorted(set(pair) - known)}, "
                            "which is not in data.communities")
    for new, spec in data["bands"].items():
        if not isinstance(spec, dict) or set(spec) != {"column", "edges"}:
            problems.append(f"data.bands.{new} must have exactly 'column' and 'edges'")
            continue
        edges = spec["edges"]
        if not isinstance(spec["column"], str):
            problems.append(f"data.bands.{new}.column must be a column name, got {shortened(spec['column'])}")
        if not isinstance(edges, list) or _wrong_items(edges, (int, float)):
            wrong = _wrong_items(edges, (int, float)) if isinstance(edges, list) else [edges]
            problems.append(f"data.bands.{new}.edges {shortened(edges)} must be a list of numbers; "
                            f"{shortened(wrong[0])} is {type(wrong[0]).__name__} (write numbers unquoted)")
        elif len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])) or not all(map(math.isfinite, edges)):
            problems.append(f"data.bands.{new}.edges {shortened(edges)} must be at least two finite, strictly "
                            "increasing numbers")
    if data["population"] is not None:
        problems += _expression_problem(data["population"], "data.population")
    for name, query in data["alternative_outcomes"].items():
        problems += _expression_problem(query, f"data.alternative_outcomes.{name}")
    if isinstance(data["positive_label"], bool):
        problems.append(f"data.positive_label was read as the boolean {data['positive_label']}: YAML reads unquoted "
                        "yes/no/true/false/on/off as booleans; quote the label, e.g. positive_label: \"yes\"")
    from .metrics import METRICS  # light: numpy and pandas only
    if fits["metric"] not in METRICS:
        problems.append(f"fits.metric {fits['metric']!r} is not a metric{_suggest(fits['metric'], METRICS)}; "
                        f"known: {sorted(METRICS)}")
    thresholds = config["values"]["thresholds"]
    if not thresholds or any(not isinstance(t, (int, float)) or not 0 < t < 1 for t in thresholds):
        problems.append("values.thresholds must be a non-empty list of numbers between 0 and 1")
    values = config["values"]
    for attribute, communities in values["assignment"].items():
        if attribute not in data["communities"] + [" x ".join(pair) for pair in data["intersections"]
                                                   if isinstance(pair, list)]:
            problems.append(f"values.assignment names attribute {attribute!r}, which is not a community attribute")
        for community, spec in communities.items():
            profile = spec if isinstance(spec, str) else spec["profile"]
            if profile not in values["profiles"]:
                problems.append(f"values.assignment.{attribute}.{community}: unknown profile {profile!r}"
                                f"{_suggest(str(profile), values['profiles'])}; known: {sorted(values['profiles'])}")
            outcome = "y" if isinstance(spec, str) else spec.get("outcome", "y")
            if outcome != "y" and outcome.removeprefix("alt_") not in data["alternative_outcomes"]:
                problems.append(f"values.assignment.{attribute}.{community}: unknown outcome {outcome!r}; use y "
                                "or alt_<name> of data.alternative_outcomes")
    judged = SCHEMA["metrics"]["judged"].default  # every metric a community could hold as better
    unknown = sorted(set(config["metrics"]["judged"]) - set(judged))
    if unknown or not config["metrics"]["judged"]:
        problems.append(f"metrics.judged {unknown or '[]'}: give judged metrics from {judged}")
    bad_formats = set(config["figures"]["formats"]) - {"png", "pdf", "svg"}
    if bad_formats:
        problems.append(f"figures.formats {sorted(bad_formats)} not supported; use png, pdf, svg")
    return problems


def _expression_problem(expression, where: str) -> list[str]:
    try:
        row_filter.parse(expression, where)
    except InputError as exc:
        return [str(exc)]
    return []


class _AliasRefused(yaml.composer.ComposerError):
    """A YAML alias in a study file (valid YAML, refused here)."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """yaml.safe_load, except that a key given twice in one mapping is an error
    (PyYAML keeps the last one, so a second `sweep:` block would silently win)."""

    def compose_node(self, parent, index):
        # an alias repeats a node without copying text: nested ones (a "billion laughs" file) expand
        # to more than memory holds when the study is hashed, so study files may not use them
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _AliasRefused(
                None, None, f"alias *{event.anchor} found: study files may not use YAML anchors and aliases "
                "(&name, *name); write the values out", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                continue  # unhashable or odd keys: PyYAML's own checks name them
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice (first on line {seen[key] + 1}, again on line "
                    f"{key_node.start_mark.line + 1}); the second would silently replace the first", key_node.start_mark)
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load(study: str, study_file: str | Path | None = None) -> Study:
    """Load and validate params/<study>.yaml (or an explicit file)."""
    if not study or not isinstance(study, str):
        raise InputError(f"study must be a non-empty name, got {study!r}")
    paths.check_study_name(study)
    file = Path(study_file) if study_file else paths.study_file(study)
    if not file.is_absolute():
        file = paths.PROJECT_ROOT / file
    if not file.exists():
        available = sorted(p.stem for p in paths.PARAMS_DIR.glob("*.yaml"))
        raise InputError(f"no study file for study {study!r}: {file} does not exist; "
                         f"studies available: {available}{_suggest(study, available)}")
    try:
        raw = yaml.load(file.read_text(), Loader=_UniqueKeyLoader)
    except _AliasRefused as exc:
        raise InputError(f"study file {file}: {exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"study file {file} is not valid YAML: {exc}") from exc
    return validate(raw, study, file)


def check_notebook_parameters(namespace: dict, allowed=NOTEBOOK_PARAMETERS) -> dict:
    """Reject unknown or mistyped papermill parameters (papermill itself only warns).

    Called first in the cell after the parameters cell: every public name then
    defined was set by the parameters cell or by papermill's injected cell.
    """
    ignore = {"In", "Out", "get_ipython", "exit", "quit", "open"}
    names = {k for k, v in namespace.items()
             if not k.startswith("_") and k not in ignore and not callable(v)
             and type(v).__name__ != "module"}
    unknown = sorted(names - set(allowed))
    if unknown:
        hints = "; ".join(f"{u!r}{_suggest(u, allowed)}" for u in unknown)
        raise InputError(f"unknown notebook parameter(s): {hints}. Notebooks take only {list(allowed)}; "
                         "everything else belongs in the study file params/<study>.yaml")
    values = {k: namespace[k] for k in allowed if k in namespace}
    for key, value in values.items():
        if not isinstance(value, str):
            raise InputError(f"notebook parameter {key} must be a string, got {type(value).__name__} {value!r}")
    return values


def write_section_stamps(study: Study, folder: Path) -> list[Path]:
    """One small file per section, rewritten only when its content changes, so
    Make sees a change to `figures` without re-running the sweep."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for section, values in study.config.items():
        target = folder / f"{section}.json"
        text = json.dumps(values, sort_keys=True, indent=1) + "\n"
        if not target.exists() or target.read_text() != text:
            write_text(text, target)
        written.append(target)
    return written


def _warn_trust_on_first_use(study: Study) -> None:
    """On make's console (the notebook's own warning stays inside the notebook)."""
    data = study["data"]
    if data["source"] != "acs" or not data["acs_trust_on_first_use"]:
        return
    from .acs_files import record_file, unpinned

    names = unpinned(data, study.file)
    if names:
        print(f"warning: TRUST ON FIRST USE: {', '.join(names)} have no pinned sha256; ingest will record the "
              f"hash of the copy it finds in {record_file(study.file)}. Nothing proves that copy is the Census "
              "Bureau's: check it, then commit that file.", file=sys.stderr)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Validate a study file and write its section stamps.")
    parser.add_argument("study")
    parser.add_argument("--stamps", type=Path, help="folder for the per-section stamp files")
    parser.add_argument("--study-file", default=None)
    parser.add_argument("--kind", default=None, help="the kind Make read from the file (checked against it)")
    args = parser.parse_args(argv)
    from . import ingest, preflight  # import here: they import this module

    try:
        study = load(args.study, args.study_file)
        kind = study["study"]["kind"]
        if args.kind and args.kind != kind:
            raise InputError(f"study file {study.file}: Make read kind {args.kind!r} but the file says {kind!r}; "
                             "write `kind: <kind>` on its own line, indented under `study:`")
        if kind == "sweep":
            preflight.check_study(study)
            inputs = ingest.input_files(study)
            _warn_trust_on_first_use(study)
        elif kind in ("published_results", "published_grid"):
            from . import llm_results
            inputs = llm_results.cached_files(study["published"])
        elif kind == "curve_database":
            from . import lcdb_curves
            inputs = lcdb_curves.input_files()
        else:
            from . import rater_labels
            inputs = rater_labels.cached_files(study["raters"]["source"])
    except InputError as exc:
        raise SystemExit(f"error: {exc}") from None
    if args.stamps:
        write_section_stamps(study, args.stamps)
        # Make reads this list on its next run: editing the data re-runs ingest and what follows.
        text = "".join(f"{path}\n" for path in inputs)
        target = args.stamps / "input_files.txt"
        if not target.exists() or target.read_text() != text:
            write_text(text, target)
    print(f"study {study.name}: {study.file} is valid (parameter hash {study.parameter_hash[:12]})")


if __name__ == "__main__":
    main()
