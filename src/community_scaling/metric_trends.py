"""How every metric changes with n, per community, and where metrics disagree (claim C4).

A metric's trend is the slope of its lower-is-better value ("badness") on
log2(n) over the upper half of the swept sizes (in log n): the change per
doubling of the training set where more data is now being added. It is fitted
once per seed (seeds are the independent replications; sizes within a seed
share nested subsamples), and the interval is a t-interval over seeds. Its
direction is "improves" when the 95% interval lies below 0, "worsens" when
above 0, and "no clear change" otherwise. Metrics disagree for a (model,
community) when at least one improves while another worsens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .io import InputError
from .metrics import badness

GROUP = ["model", "attribute", "community", "metric"]
# Metrics a community could hold as "better". Raw TPR, FPR and selection rate are
# left out: at a fixed threshold they trade off mechanically and are not good or bad alone.
JUDGED_METRICS = ("error", "log_loss", "brier", "auroc", "ece", "tpr_gap", "fpr_gap", "selection_rate_gap",
                  "worst_community_error", "tpr_gap_range", "fpr_gap_range", "selection_rate_gap_range")


def upper_sizes(scales) -> np.ndarray:
    """The swept sizes in the upper half of the log range (at least three)."""
    sizes = np.unique(np.asarray(scales, dtype=float))
    if len(sizes) < 3:
        raise InputError(f"metric trends need at least 3 sizes, got {len(sizes)}")
    cut = (np.log(sizes[0]) + np.log(sizes[-1])) / 2
    upper = sizes[np.log(sizes) >= cut]
    return upper if len(upper) >= 3 else sizes[-3:]


def _prepare(evaluations: pd.DataFrame) -> pd.DataFrame:
    keep = evaluations[evaluations["evaluable"].astype(bool)] if "evaluable" in evaluations else evaluations
    keep = keep[keep["scale"].isin(upper_sizes(evaluations["scale"])) & keep["metric"].isin(JUDGED_METRICS)]
    keep = keep.dropna(subset=["value"])
    return keep.assign(x=np.log2(keep["scale"].astype(float)),
                       y=badness(keep["metric"], keep["value"].to_numpy()))


def trend_table(evaluations: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Slope per doubling, its interval over seeds and direction, for every model x community x metric."""
    frame = _prepare(evaluations)
    per_seed = GROUP + ["seed"]
    grouped = frame.groupby(per_seed, sort=True, observed=True)
    frame = frame.join(grouped["x"].mean().rename("mx"), on=per_seed).join(grouped["y"].mean().rename("my"), on=per_seed)
    dx, dy = frame["x"] - frame["mx"], frame["y"] - frame["my"]
    sums = pd.DataFrame({"sxx": dx * dx, "sxy": dx * dy}).groupby([frame[g] for g in per_seed]).sum()
    slopes = (sums["sxy"] / sums["sxx"]).rename("slope").reset_index()
    stats_ = slopes.groupby(GROUP, observed=True)["slope"].agg(["mean", "std", "size"])
    if (stats_["size"] < 2).any():
        raise InputError("metric trends need at least 2 seeds for an interval (sweep.seeds)")
    se = stats_["std"] / np.sqrt(stats_["size"])
    half = stats.t.ppf(0.5 + level / 2, stats_["size"] - 1) * se
    table = pd.DataFrame({"slope_per_doubling": stats_["mean"], "se": se, "ci_low": stats_["mean"] - half,
                          "ci_high": stats_["mean"] + half, "n_seeds": stats_["size"],
                          "badness_mean": frame.groupby(GROUP, observed=True)["y"].mean()}).reset_index()
    table["direction"] = np.select([table.ci_high < 0, table.ci_low > 0], ["improves", "worsens"], "no clear change")
    return table


def disagreement(trends: pd.DataFrame) -> pd.DataFrame:
    """Per model x community: how many metrics improve or worsen, and whether they disagree."""
    counts = pd.crosstab([trends.model, trends.attribute, trends.community], trends.direction)
    for column in ("improves", "worsens", "no clear change"):
        if column not in counts:
            counts[column] = 0
    counts["disagree"] = (counts["improves"] > 0) & (counts["worsens"] > 0)
    worsening = trends[trends.direction == "worsens"].groupby(["model", "attribute", "community"]).metric.agg(", ".join)
    counts["worsening_metrics"] = worsening.reindex(counts.index).fillna("")
    return counts.reset_index()


def pairwise_disagreement(trends: pd.DataFrame) -> pd.DataFrame:
    """Share of model x community pairs in which metric A improves while metric B worsens."""
    wide = trends.pivot_table(index=["model", "attribute", "community"], columns="metric",
                              values="direction", aggfunc="first")
    metrics = list(wide.columns)
    share = pd.DataFrame(0.0, index=metrics, columns=metrics)
    for a in metrics:
        for b in metrics:
            if a == b:
                continue
            both = wide[[a, b]].dropna()
            if len(both):
                share.loc[a, b] = ((both[a] == "improves") & (both[b] == "worsens")).mean()
    return share
