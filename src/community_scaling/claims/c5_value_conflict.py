"""C5: Communities' values conflict: no single model, size and threshold is best for all."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io import InputError, require_columns
from ..own_values import own_value_conflict
from ._calibration import Calibration
from ._record import LEVEL, Claim, not_applicable
from ._spec import ClaimSpec

SPEC = ClaimSpec("C5", "Communities' values conflict: no single model, size and threshold is best for all.",
                 needs=('predictions',),
                 settings={'tolerance': 'values.tolerance'},
                 grid={'tolerance': [0.01, 0.05]})

NO_VALUES = ("the study assigns no values to communities (values.assignment is empty) and the data hold no "
             "measurement of them; judging every community under opposing cost profiles would make conflict "
             "true by construction")


ASSIGNED = ("values assigned per community in the study file: an assumption, not a measurement; the verdict "
            "holds under it only")


def evaluate(own_conflict: pd.DataFrame | None, tolerance: float = 0.02, reason: str = NO_VALUES,
             source: str = ASSIGNED) -> Claim:
    """C5 from an own_value_conflict table, at the largest size: each community judged by its own values,
    tested against the null that permutes which person holds which values. `source` says where the
    values come from (it is printed with the verdict)."""
    if own_conflict is None:
        return not_applicable("C5", reason, test="own-values conflict vs permuted-values null",
                              effect_name="minimax relative regret")
    require_columns(own_conflict, ["max_scale", "minimax_regret", "p_value", "null_median", "null_q95", "n_perm"],
                    "own_conflict")
    if own_conflict.empty:
        raise InputError("own_conflict has no rows")
    rows = own_conflict.sort_values("max_scale")
    first, last = rows.iloc[0], rows.iloc[-1]
    alpha = 1 - LEVEL
    value, p = float(last.minimax_regret), float(last.p_value)
    if value <= tolerance:
        verdict = "not supported"
    elif p < alpha:
        verdict = "supported"
    else:
        verdict = "inconclusive"
    details = (f"{int(last.get('n_judges', 0))} communities judged by their own values ({source}); "
               f"minimax relative regret "
               f"{first.minimax_regret:.3f} with models up to n = {first.max_scale:,}, {value:.3f} up to "
               f"n = {last.max_scale:,}; permuted-values null at the largest n: median {last.null_median:.3f}, "
               f"95th percentile {last.null_q95:.3f}, permutation p = {p:.3g} ({int(last.n_perm)} permutations)")
    if "binding" in rows and last.get("binding"):
        details += f"; binding: {last.binding}"
    return Claim(
        claim="C5", test=f"minimax relative regret of the best common (model, scale, threshold) under each "
                         f"community's own values; permutation p = {p:.3g} against permuted values "
                         "(no interval: the p-value is the test)",
        effect_name=f"minimax relative regret at n = {last.max_scale:,}, own values",
        effect=value, ci_low=None, ci_high=None, verdict=verdict,
        rule=(f"supported when the minimax relative regret under the communities' own values exceeds the "
              f"tolerance {tolerance:g} AND exceeds what the same values give when randomly reassigned among the "
              f"people (permutation p < {alpha:g}); not supported when it is at or below the tolerance (one "
              "choice serves every community within it); inconclusive otherwise"),
        details=details)


# ---------------------------------------------------------------- calibration

CAL_COMMUNITIES, CAL_PEOPLE = (0.2, 0.3, 0.4), 1000  # base rates differ: conflict from data alone exists
CAL_MODELS, CAL_SCALES, CAL_SEEDS = ("a", "b"), (256, 1024, 4096), 3
CAL_THRESHOLDS = tuple(round(0.1 * k, 1) for k in range(1, 10))
CAL_PROFILES = ((4.0, 1.0), (1.0, 4.0))  # false-alarm-averse, miss-averse (cost_fp, cost_fn)
CAL_SHIFT = 0.45  # true: share miss-averse 0.95 in one community, 0.05 in another
CAL_PERMUTATIONS = 99


def _world(rng: np.random.Generator, miss_averse: tuple[float, ...]):
    codes = np.repeat(np.arange(len(CAL_COMMUNITIES)), CAL_PEOPLE)
    y = (rng.random(len(codes)) < np.array(CAL_COMMUNITIES)[codes]).astype(float)
    signal = rng.normal(0, 1, len(codes))  # a person's own difficulty, shared by every model
    columns, rows = [], []
    for scale in CAL_SCALES:
        for model in CAL_MODELS:
            strength = 0.6 + 0.25 * np.log2(scale / CAL_SCALES[0]) / 2 + (0.2 if model == "b" else 0.0)
            share = np.zeros((len(codes), len(CAL_THRESHOLDS)), np.float32)
            for _ in range(CAL_SEEDS):
                logit = strength * (2 * y - 1) + 0.8 * signal + rng.normal(0, 0.7, len(codes)) - 0.8
                score = 1 / (1 + np.exp(-logit))
                share += score[:, None] >= np.array(CAL_THRESHOLDS)[None, :]
            columns.append(share / CAL_SEEDS)
            rows += [(scale, model, t) for t in CAL_THRESHOLDS]
    holds = rng.random(len(codes)) < np.array(miss_averse)[codes]
    profile = np.array(CAL_PROFILES)[holds.astype(int)]
    people = {"communities": [f"g{k}" for k in range(len(CAL_COMMUNITIES))], "codes": codes,
              "cost_fp": profile[:, 0], "cost_fn": profile[:, 1], "outcome": np.zeros(len(codes), int),
              "outcomes": ["y"], "y": y[None, :]}
    return np.concatenate(columns, axis=1), pd.DataFrame(rows, columns=["scale", "model", "threshold"]), people


def _null(rng):
    return _world(rng, (0.5,) * len(CAL_COMMUNITIES))


def _true(rng):
    return _world(rng, (0.5 + CAL_SHIFT, 0.5 - CAL_SHIFT, 0.5))


def _verdict(data) -> str:
    predicted, choices, people = data
    table = own_value_conflict(predicted, choices, people, n_perm=CAL_PERMUTATIONS,
                               seed=int(people["y"].sum()))
    return evaluate(table, tolerance=0.02, source="per-person values, generated").verdict


CALIBRATION = Calibration(
    null=_null, true=_true, verdict=_verdict,
    null_description=(f"{len(CAL_COMMUNITIES)} communities of {CAL_PEOPLE} people with base rates "
                      f"{list(CAL_COMMUNITIES)} (so the data alone differ), {len(CAL_MODELS)} models x "
                      f"{len(CAL_SCALES)} sizes x {len(CAL_THRESHOLDS)} thresholds, {CAL_SEEDS} seeds; every "
                      "person holds the false-alarm-averse (4:1) or miss-averse (1:4) profile with probability "
                      f"1/2 whatever their community (one shared value profile); {CAL_PERMUTATIONS} permutations"),
    effect=(f"the share of miss-averse members is {0.5 + CAL_SHIFT:.2f} in one community and "
            f"{0.5 - CAL_SHIFT:.2f} in another (0.5 in the third); tolerance 0.02"))


# ------------------------------------------------ rater groups' own labels (rater-label studies)

RATER_TEST = ("minimax regret over classifiers (pooled label, each group's own label) of groups' errors against "
              "their own labels, minus its median under rater groups shuffled (relabelled, retrained)")


def evaluate_rater_groups(result: dict | None, margin: float = 0.02, reason: str = "") -> Claim:
    """C5 from a group_conflict.conflict_test result: groups' own labels are real people's values."""
    effect_name = "conflict beyond random groups: minimax regret minus its null median (error)"
    if result is None:
        return not_applicable("C5", reason, effect_name=effect_name, test=RATER_TEST)
    alpha = (1 - LEVEL) / 2
    low, high = np.quantile(result["boot"] - result["null_median"], [alpha, 1 - alpha])
    significant = result["p_value"] <= 1 - LEVEL + 1e-12  # p takes values k / (1 + permutations)
    if low > margin and significant:
        verdict = "supported"
    elif high <= margin:
        verdict = "not supported"
    else:
        verdict = "inconclusive"
    errors = result["errors"]
    details = (f"at n = {result['n']} training items: minimax regret {result['observed']:.4f}, null median "
               f"{result['null_median']:.4f} over {len(result['null'])} shuffles (p = {result['p_value']:.3g}); "
               "error of each classifier (rows) against each group's own labels: "
               + "; ".join(f"{m}: " + ", ".join(f"{g} {v:.3f}" for g, v in row.items()) for m, row in errors.iterrows()))
    return Claim(claim="C5", test=RATER_TEST, effect_name=effect_name, effect=result["excess"], ci_low=float(low),
                 ci_high=float(high), verdict=verdict,
                 rule=(f"supported when the {LEVEL:.0%} interval of the excess conflict (held-out items resampled) "
                       f"lies above {margin:g} and the permutation p-value is below {1 - LEVEL:g}; not supported "
                       f"when it lies at or below {margin:g}; inconclusive otherwise"), details=details)


RATER_ITEMS, RATER_VOCABULARY, RATER_WORDS, RATER_FLIP = 400, 60, 12, 0.05


def _rater_generated(conflict: bool, rng):
    """Two groups of 8 raters label 400 synthetic texts (12 words from 60): group A calls a text positive
    when it holds one of words 0-3; group B the same (null) or one of words 4-7 (conflict). Each text is
    labelled by 3 raters of each group, each flipping the label with probability 0.05."""
    words = rng.integers(0, RATER_VOCABULARY, (RATER_ITEMS, RATER_WORDS))
    texts = pd.Series([" ".join(f"w{j}" for j in row) for row in words], index=[f"i{k}" for k in range(RATER_ITEMS)])
    truth = {"A": (words < 4).any(axis=1), "B": ((words >= 4) & (words < 8)).any(axis=1) if conflict
             else (words < 4).any(axis=1)}
    raters = pd.DataFrame({"rater": [f"{g}{r}" for g in "AB" for r in range(8)], "group": np.repeat(["A", "B"], 8)})
    rows = []
    for g in "AB":
        for k, item in enumerate(texts.index):
            for r in rng.choice(8, 3, replace=False):
                rows.append((item, f"{g}{r}", float(truth[g][k] ^ (rng.random() < RATER_FLIP))))
    return pd.DataFrame(rows, columns=["item", "rater", "label"]), raters, texts


def _rater_verdict(data) -> str:
    from ..group_conflict import conflict_test
    from ..text_sweep import label_table, split_items

    ratings, raters, texts = data
    train, test = split_items(texts.index, 0.3, seed=0)
    # 150 training items, or fewer when the pooled label ties on more items (3 raters of each group: 3-3 ties)
    labelled = label_table(ratings, raters, "group", ["A", "B"]).reindex(train).notna().sum().min()
    result = conflict_test(ratings, raters, "group", ["A", "B"], texts, train, test, n=int(min(150, labelled)),
                           seeds=1, n_boot=50, permutations=39)
    return evaluate_rater_groups(result, margin=0.02).verdict


RATER_CALIBRATION = Calibration(
    null=lambda rng: _rater_generated(False, rng), true=lambda rng: _rater_generated(True, rng),
    verdict=_rater_verdict,
    null_description=("two groups of 8 raters who hold the same view (a text is positive when it holds one of 4 "
                      "words), 3 raters per group per text, 5% of labels flipped; 400 synthetic texts, TF-IDF and "
                      "logistic regression at n = 150 (fewer when the pooled label ties on more items), 1 seed, 50 item "
                      "resamples, 39 shuffles of the groups"),
    effect="group B holds a different view (4 other words), otherwise as the null")
