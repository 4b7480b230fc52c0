"""How every metric changes with n, per community, and where metrics disagree (claim C4).

A metric's trend is the OLS slope of its lower-is-better value ("badness") on
log2(n), over the upper half of the swept sizes (in log n), using every seed:
the change per doubling of the training set where more data is now being
added. Its direction is "improves" when the 95% interval lies below 0,
"worsens" when above 0, and "no clear change" otherwise. Metrics disagree for a
(model, community) when at least one improves while another worsens.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .claims import Claim, verdict_from_interval
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
    """Slope per doubling, its interval and direction, for every model x community x metric."""
    frame = _prepare(evaluations)
    grouped = frame.groupby(GROUP, sort=True, observed=True)
    n = grouped["x"].size()
    mean_x, mean_y = grouped["x"].mean(), grouped["y"].mean()
    frame = frame.join(mean_x.rename("mx"), on=GROUP).join(mean_y.rename("my"), on=GROUP)
    dx, dy = frame["x"] - frame["mx"], frame["y"] - frame["my"]
    sums = pd.DataFrame({"sxx": dx * dx, "sxy": dx * dy, "syy": dy * dy}).groupby([frame[g] for g in GROUP]).sum()
    slope = sums["sxy"] / sums["sxx"]
    residual = (sums["syy"] - slope * sums["sxy"]).clip(lower=0)
    se = np.sqrt(residual / (n - 2) / sums["sxx"])
    half = stats.t.ppf(0.5 + level / 2, n - 2) * se
    table = pd.DataFrame({"slope_per_doubling": slope, "se": se, "ci_low": slope - half, "ci_high": slope + half,
                          "n_points": n, "badness_mean": mean_y}).reset_index()
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


def claim_c4(evaluations: pd.DataFrame, threshold: float, n_boot: int = 200, seed: int = 0) -> tuple[Claim, np.ndarray]:
    """C4 from the share of (model, community) pairs whose metrics disagree; seed-bootstrap interval."""
    observed = disagreement(trend_table(evaluations))["disagree"].mean()
    seeds = np.sort(evaluations["seed"].unique())
    if len(seeds) < 2:
        raise InputError("claim C4's interval needs at least 2 seeds (sweep.seeds)")
    rng = np.random.default_rng(seed)
    by_seed = {s: g for s, g in evaluations.groupby("seed")}
    shares = []
    for _ in range(n_boot):
        draw = rng.choice(seeds, size=len(seeds), replace=True)
        sample = pd.concat([by_seed[s].assign(seed=i) for i, s in enumerate(draw)], ignore_index=True)
        shares.append(disagreement(trend_table(sample))["disagree"].mean())
    low, high = np.percentile(shares, [2.5, 97.5])
    claim = Claim(
        claim="C4", test="OLS slope of each metric (lower-is-better form) on log2 n over the upper half of sizes, "
                         "per model x community; metrics disagree when one improves and another worsens (95% intervals)",
        effect_name="share of model x community pairs whose metrics disagree", effect=observed,
        ci_low=low, ci_high=high, verdict=verdict_from_interval(low, high, threshold, "above"),
        rule=f"supported when the seed-bootstrap 95% interval of the share lies above {threshold:g}; "
             f"not supported when it lies at or below; inconclusive otherwise ({n_boot} resamples of seeds)")
    return claim, np.asarray(shares)
