"""C4: Whether bigger is better depends on the metric."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io import InputError
from ..metric_trends import JUDGED_METRICS, disagreement, disagreement_share, trend_table
from ._calibration import Calibration
from ._record import LEVEL, Claim, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C4", "Whether bigger is better depends on the metric.", needs=('evaluations',),  # predictions: test-row noise
                 settings={'threshold': 'metrics.disagreement_share', 'judged': 'metrics.judged'},
                 grid={'threshold': [0.05, 0.2],
                       # without the calibration metric, and without the fairness gaps and ranges
                       'judged': [[m for m in JUDGED_METRICS if m != "ece"],
                                  ["error", "log_loss", "brier", "auroc", "ece", "worst_community_error"]]})


SWEEP_SLOPES = ("slope per doubling of each metric's lower-is-better form over the upper half of sizes, t-test with "
                "seed and test-row variance")


def evaluate(trends: pd.DataFrame, threshold: float = 0.1, judged=JUDGED_METRICS, known=JUDGED_METRICS,
             slopes: str = SWEEP_SLOPES) -> Claim:
    """C4 from a trend_table (slopes with seed and test-row noise): the share of (model, community)
    pairs in which one metric improves with more data while another worsens. `known`: the metrics a
    study can judge (the sweep's; on published results, the tasks measured).

    The interval is simultaneous over pairs (Holm), so it holds whatever the dependence between
    communities that overlap and share one test set.
    """
    unknown = sorted(set(judged) - set(known))
    if unknown:
        raise InputError(f"metrics.judged names {unknown}, not judged metrics; known: {list(known)}")
    trends = trends[trends.metric.isin(list(judged))]
    pairs = disagreement(trends, alpha=1 - LEVEL)
    share = disagreement_share(pairs, LEVEL)
    noise = ", ".join(sorted(set(trends["noise"]))) if "noise" in trends else "seeds"
    rule = (f"per pair, {slopes}; disagreement = some metric improves AND some worsens "
            f"(intersection-union test, Bonferroni over the pair's metrics). The interval of the share of pairs "
            f"that disagree: low = pairs shown to disagree, high = 1 - pairs shown to agree (all metrics move one "
            f"way), each by Holm over all pairs at {(1 - LEVEL) / 2:g} (valid under any dependence between "
            f"communities). Supported when low > {threshold:g}; not supported when high <= {threshold:g}; "
            "inconclusive otherwise")
    if not share["n_pairs"]:
        return Claim("C4", test="metric trends", effect_name="share of pairs whose metrics disagree", effect=None,
                     ci_low=None, ci_high=None, verdict="inconclusive", rule=rule, details="no pairs")
    shown = pairs.sort_values("p_disagree").head(3)
    details = (f"{share['n_pairs']} model x community pairs over {trends.metric.nunique()} metrics (noise: {noise}); "
               f"{share['n_flagged']} flagged at p < {1 - LEVEL:g} per pair, {share['n_shown_disagree']} shown to "
               f"disagree and {share['n_shown_agree']} shown to agree after Holm; strongest: "
               + "; ".join(f"{r.model} {r.attribute}={r.community} (p = {r.p_disagree:.2g}, worsening: "
                           f"{r.worsening_metrics or 'none clear'})" for r in shown.itertuples()))
    return Claim(
        claim="C4", test="per-pair intersection-union test of opposite metric trends, Holm bounds on the share",
        effect_name=("share of model x community pairs on which, as data grow, one metric improves while another "
                     "worsens (per-pair test at 0.05)"),
        effect=share["share"], ci_low=share["low"], ci_high=share["high"],
        verdict=verdict_from_interval(share["low"], share["high"], threshold, "above"), rule=rule, details=details)


# ---------------------------------------------------------------- calibration

CAL_PAIRS, CAL_SEEDS, CAL_PARTS = 40, 5, 10
CAL_SIZES = (2048, 4096, 8192)
CAL_METRICS = ("error", "log_loss", "brier", "auroc", "ece", "tpr_gap", "fpr_gap", "selection_rate_gap")
# Noise of a metric value (badness), assumed (of the order of a small community's error spread):
# per seed and size; shared by all pairs per seed and size (one training subsample); the fixed
# whole test set's own draw per pair and size (shared by seeds), split over its parts.
CAL_SEED_SD, CAL_SHARED_SD, CAL_TEST_SD = 0.004, 0.002, 0.003
CAL_EFFECT = 0.015  # per doubling, about 6 standard errors of one slope
CAL_SHARE = 0.4


def _null_slopes(rng: np.random.Generator) -> np.ndarray:
    """(pairs, metrics) slopes where every metric moves together: all flat, one improving and the rest
    flat (the least favourable case), or all improving at their own rates."""
    kind = rng.integers(0, 3, CAL_PAIRS)
    slopes = np.zeros((CAL_PAIRS, len(CAL_METRICS)))
    one = np.flatnonzero(kind == 1)
    slopes[one, rng.integers(0, len(CAL_METRICS), len(one))] = -0.01
    slopes[kind == 2] = -rng.uniform(0, 0.01, ((kind == 2).sum(), len(CAL_METRICS)))
    return slopes


def _tables(slopes: np.ndarray, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_pairs, n_metrics = slopes.shape
    x = np.log2(CAL_SIZES)
    base = 0.2 + slopes[:, :, None] * (x - x[0])  # (pair, metric, size)
    seed_noise = (rng.normal(0, CAL_SEED_SD, (n_pairs, n_metrics, CAL_SEEDS, len(x)))
                  + rng.normal(0, CAL_SHARED_SD, (1, n_metrics, CAL_SEEDS, len(x))))
    # the test set is the union of its parts: a part's draw has n_parts times the variance
    part_noise = rng.normal(0, CAL_TEST_SD * np.sqrt(CAL_PARTS), (n_pairs, n_metrics, 1, len(x), CAL_PARTS))
    observed = base[:, :, None, :] + seed_noise + part_noise.mean(axis=-1)
    split = (base[:, :, None, :] + seed_noise)[..., None] + part_noise
    idx = np.indices(observed.shape).reshape(4, -1)
    names = np.array(CAL_METRICS, dtype=object)
    communities = np.array([f"c{i}" for i in range(n_pairs)], dtype=object)

    def build(values, idx, part=None):
        p_, m_, s_, z_ = idx[:4]
        bad = values.ravel()
        out = pd.DataFrame({"model": "m", "attribute": "a", "community": communities[p_],
                            "metric": names[m_], "seed": s_, "scale": np.array(CAL_SIZES)[z_],
                            "value": np.where(names[m_] == "auroc", 1 - bad, bad), "evaluable": True})
        if part is not None:
            out["part"] = part
        return out

    evaluations = build(observed, idx)
    p2, m2, s2, z2, k2 = np.indices(split.shape).reshape(5, -1)
    parts = build(split, (p2, m2, s2, z2), k2)
    return evaluations, parts


def _null(rng):
    return _tables(_null_slopes(rng), rng)


def _true(rng):
    slopes = _null_slopes(rng)
    split = rng.permutation(CAL_PAIRS)[: int(round(CAL_SHARE * CAL_PAIRS))]
    for pair in split:
        better, worse = rng.choice(len(CAL_METRICS), 2, replace=False)
        slopes[pair] = 0.0
        slopes[pair, better], slopes[pair, worse] = -CAL_EFFECT, CAL_EFFECT
    return _tables(slopes, rng)


def _verdict(data) -> str:
    evaluations, parts = data
    return evaluate(trend_table(evaluations, parts), threshold=0.1).verdict


CALIBRATION = Calibration(
    null=_null, true=_true, verdict=_verdict,
    null_description=(f"{CAL_PAIRS} pairs x {len(CAL_METRICS)} metrics, {CAL_SEEDS} seeds, sizes {list(CAL_SIZES)}, "
                      f"test rows in {CAL_PARTS} parts; every metric of a pair moves together: all flat, one "
                      "improving by 0.01 per doubling and the rest flat, or all improving at rates in [0, 0.01]; "
                      f"noise sd {CAL_SEED_SD} per seed, {CAL_SHARED_SD} shared by all pairs, {CAL_TEST_SD} of the "
                      "whole test set (shared by seeds; sqrt(parts) times larger in a part)"),
    effect=(f"{CAL_SHARE:.0%} of pairs have one metric improving and another worsening by {CAL_EFFECT} per "
            f"doubling (about 6 standard errors of one slope); threshold 0.1"))


# ----------------------------------------------------------------------------- many curves (LCDB)

CURVES_TEST = ("per dataset x learner curve, slopes per doubling of error and of log-loss over the upper half of "
               "sizes (one per outer seed), intersection-union test of opposite trends; share of curves flagged, "
               "interval over datasets")


def evaluate_curves(disagreements: pd.DataFrame, n_boot: int = 200, threshold: float = 0.1,
                    alpha: float = 1 - LEVEL) -> tuple[Claim, pd.DataFrame]:
    """C4 on many curves from curve_statistics.disagreement_table (the curves of learners with
    probabilities): the share of curves on which error and log-loss disagree about whether more
    data is better, against alpha / 2, the most that noise alone flags (the per-curve test at `alpha`, two directions).

    Returns the claim and a table per learner: learner, curves, flagged, share, ci_low, ci_high,
    above_noise (ci_low > alpha / 2, the most noise alone flags)."""
    from ..curve_statistics import dataset_bootstrap

    def share(frame):
        return float(frame.flagged.mean()) if len(frame) else np.nan

    noise = alpha / 2  # the least favourable null: one metric surely improves, the other is flat
    bar = max(threshold, noise)
    rule = (f"per curve, slope per doubling of each metric over the upper half of its sizes, one slope per outer seed "
            f"(inner seeds averaged: they share a test set), t-tests with outer seeds - 1 df; disagreement = one "
            f"metric improves AND the other worsens (intersection-union test, Bonferroni over the two directions, "
            f"at {alpha:g}: a curve whose metrics move together, or where one is flat, is flagged with probability at "
            f"most {noise:g}, what noise alone gives). Share of curves flagged, 95% percentile interval over {n_boot} resamples of "
            f"datasets. Supported when its low end is above {bar:g} (metrics.disagreement_share, and at least "
            f"noise's {noise:g}); not supported when its high end is at or below {noise:g} (no more disagreement "
            f"than noise alone flags); inconclusive otherwise")
    effect_name = "share of dataset x learner curves on which error and log-loss disagree (per-curve test at 0.05)"
    per_learner = []
    for learner, g in disagreements.groupby("learner", sort=True):
        s, lo, hi = dataset_bootstrap(g, share, n_boot)
        per_learner.append({"learner": learner, "curves": len(g), "flagged": int(g.flagged.sum()), "share": s,
                            "ci_low": lo, "ci_high": hi, "above_noise": bool(lo > noise)})
    per_learner = pd.DataFrame(per_learner, columns=["learner", "curves", "flagged", "share", "ci_low", "ci_high",
                                                     "above_noise"])
    if disagreements.empty:
        return Claim("C4", test=CURVES_TEST, effect_name=effect_name, effect=None, ci_low=None, ci_high=None,
                     verdict="inconclusive", rule=rule, details="no curve with both metrics"), per_learner
    point, low, high = dataset_bootstrap(disagreements, share, n_boot)
    verdict = "supported" if low > bar else "not supported" if high <= noise else "inconclusive"
    details = (f"{len(disagreements)} curves of {disagreements.learner.nunique()} learners on "
               f"{disagreements.dataset.nunique()} datasets; {int(disagreements.flagged.sum())} flagged. Per learner "
               f"(share flagged [95% interval over datasets]; above noise's {noise:g} when the interval lies above "
               "it): " + "; ".join(f"{r.learner} {r.share:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
                                   f"{' above noise' if r.above_noise else ''}" for r in per_learner.itertuples()))
    return Claim("C4", test=CURVES_TEST, effect_name=effect_name, effect=point, ci_low=low, ci_high=high,
                 verdict=verdict, rule=rule, details=details), per_learner
