"""How every metric changes with n, per community, and where metrics disagree (claim C4).

A metric's trend is the slope of its lower-is-better value ("badness") on
log2(n) over the upper half of the swept sizes (in log n): the change per
doubling of the training set where more data is now being added. It is fitted
once per seed (seeds are the independent replications; sizes within a seed
share nested subsamples). Its uncertainty has two sources: the seeds (the
spread of the per-seed slopes) and the test rows (the spread of the seed-mean
slope over random disjoint parts of the test set divided by their number, the
same split for every community, unit and metric). Their variances add; the t-interval uses
Welch-Satterthwaite degrees of freedom. Direction: "improves" when the interval
lies below 0, "worsens" when above, "no clear change" otherwise.

Metrics disagree for a (model, community) pair when one improves while another
worsens. Per pair this is an intersection-union test of two families, each
Bonferroni-corrected over the pair's metrics: p_disagree = max(M min p_improve,
M min p_worsen), valid whatever the dependence between metrics.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from .io import InputError
from .metrics import badness, evaluation_table

GROUP = ["model", "attribute", "community", "metric"]
PAIR = ["model", "attribute", "community"]
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


def test_row_parts(y_true, scores_2d, units: pd.DataFrame, groups: pd.DataFrame, threshold: float,
                   evaluable: Mapping[str, list[str]], n_parts: int = 10, seed: int = 0,
                   sizes=None) -> pd.DataFrame:
    """Every community-level judged metric of the units at the upper sizes, on each of `n_parts`
    random disjoint parts of the test rows (one split shared by every unit and community, so the
    dependence between communities scored on one test set is kept). The spread of a slope over the
    parts, divided by n_parts, estimates its test-row variance on the whole test set (batch means),
    at the cost of scoring the test set once. Gaps are taken against everyone on the whole test set.
    Attribute-level metrics (community "*") are not split: their intervals carry the seeds only.

    Columns: the columns of `units` (which must include model, scale, seed), then attribute, community,
    metric, value, n_eval, n_pos, evaluable, part (0 .. n_parts - 1). `sizes`: the upper sizes
    (default: upper_sizes of these units; a batch of units needs those of the whole table).
    """
    if not isinstance(n_parts, (int, np.integer)) or n_parts < 2:
        raise InputError(f"n_parts must be an integer >= 2, got {n_parts!r}")
    keep = units["scale"].isin(upper_sizes(units["scale"]) if sizes is None else sizes).to_numpy()
    kept = units[keep].reset_index(drop=True)
    part = np.random.default_rng([seed, 7304]).permutation(len(groups)) % n_parts
    split = pd.DataFrame({"everyone": [f"all#{k}" for k in part]}, index=groups.index)
    wanted = {"everyone": [f"all#{k}" for k in range(n_parts)]}
    for attribute in groups.columns:
        column = groups[attribute]
        split[attribute] = [None if missing else f"{value}#{k}"
                            for value, missing, k in zip(column.astype(str), column.isna(), part)]
        present = set(split[attribute].dropna())
        wanted[attribute] = [f"{c}#{k}" for c in evaluable.get(attribute, []) for k in range(n_parts)
                             if f"{c}#{k}" in present]
    frame = evaluation_table(np.asarray(y_true), np.asarray(scores_2d)[keep], kept, split.reset_index(drop=True),
                             threshold, wanted)
    frame = frame[frame["metric"].isin(JUDGED_METRICS) & frame["evaluable"] & (frame["community"] != "*")
                  & (frame["attribute"] != "all")]
    named = frame["community"].str.rsplit("#", n=1, expand=True)
    frame = frame.assign(community=named[0], part=named[1].astype(int))
    everyone = frame["attribute"] == "everyone"
    frame.loc[everyone, "attribute"] = "all"
    gaps = frame["metric"].str.endswith("_gap") & everyone  # a part's gap to the whole test set: not a gap
    return frame[~gaps].reset_index(drop=True)



def test_row_parts_streamed(y_true, units: pd.DataFrame, batches, groups: pd.DataFrame, threshold: float,
                            evaluable: Mapping[str, list[str]], n_parts: int = 10, seed: int = 0) -> pd.DataFrame:
    """test_row_parts of `units` from `batches` of (units part, its scores (part, n_test)), such as
    sweep.iter_scores(units[units.scale.isin(upper_sizes(units.scale))], cache) (batches of other
    sizes are skipped): the same table bit for bit (its rows are unit-major), one batch at a time."""
    sizes = upper_sizes(units["scale"])
    frames = [test_row_parts(y_true, scores, part, groups, threshold, evaluable, n_parts, seed, sizes)
              for part, scores in batches if part["scale"].isin(sizes).any()]
    if not frames:
        raise InputError(f"no units at the upper sizes {list(sizes)} among the batches of scores")
    return pd.concat(frames, ignore_index=True)

def _per_seed_slopes(evaluations: pd.DataFrame, sizes: np.ndarray, extra: list[str]) -> pd.DataFrame:
    keep = evaluations[evaluations["evaluable"].astype(bool)] if "evaluable" in evaluations else evaluations
    keep = keep[keep["scale"].isin(sizes) & keep["metric"].isin(JUDGED_METRICS)].dropna(subset=["value"])
    x = np.log2(keep["scale"].to_numpy(dtype=float))
    y = badness(keep["metric"].to_numpy(dtype=object), keep["value"].to_numpy(dtype=float))
    by = GROUP + extra + ["seed"]
    codes = keep.groupby(by, sort=True, observed=True).ngroup().to_numpy()
    first = np.unique(codes, return_index=True)[1]
    out = keep.iloc[first][by].reset_index(drop=True)
    n, sx, sy = (np.bincount(codes, w) for w in (None, x, y))
    sxx, sxy = np.bincount(codes, x * x) - sx * sx / n, np.bincount(codes, x * y) - sx * sy / n
    with np.errstate(divide="ignore", invalid="ignore"):
        out["slope"] = np.where(sxx > 1e-12, sxy / sxx, np.nan)  # one size only: no slope
    out["badness"] = sy / n
    return out.dropna(subset=["slope"])


def trend_table(evaluations: pd.DataFrame, parts: pd.DataFrame | None = None, level: float = 0.95) -> pd.DataFrame:
    """Slope per doubling, its interval over seeds and test rows, p-values and direction,
    for every model x community x metric.

    `parts` (from test_row_parts) adds the test-row variance (spread over the parts / n_parts);
    without it, or for a row the parts do not cover, the interval carries the seeds only and `noise` says so.
    Columns: model, attribute, community, metric, slope_per_doubling, se, se_seeds, se_test_rows, df,
    ci_low, ci_high, p_improve, p_worsen, n_seeds, n_parts, badness_mean, direction, noise.
    """
    sizes = upper_sizes(evaluations["scale"])
    slopes = _per_seed_slopes(evaluations, sizes, [])
    per = slopes.groupby(GROUP, observed=True)
    table = per["slope"].agg(["mean", "var", "size"]).rename(columns={"mean": "slope_per_doubling", "size": "n_seeds"})
    if (table["n_seeds"] < 2).any():
        raise InputError("metric trends need at least 2 seeds for an interval (sweep.seeds)")
    table["badness_mean"] = per["badness"].mean()
    seed_var = table.pop("var") / table["n_seeds"]
    test_var = pd.Series(0.0, index=table.index)
    table["n_parts"] = 0
    if parts is not None and len(parts):
        rs = _per_seed_slopes(parts, sizes, ["part"])
        seed_means = rs.groupby(GROUP + ["part"], observed=True)["slope"].mean()
        spread = seed_means.groupby(GROUP, observed=True).agg(["var", "size"])
        spread = spread[spread["size"] >= 2]
        test_var = (spread["var"] / spread["size"]).reindex(table.index).fillna(0.0)
        table["n_parts"] = spread["size"].reindex(table.index).fillna(0).astype(int)
    var = seed_var + test_var
    # Welch-Satterthwaite degrees of freedom of the summed variance.
    with np.errstate(divide="ignore", invalid="ignore"):
        df = var ** 2 / (seed_var ** 2 / (table["n_seeds"] - 1)
                         + np.where(table["n_parts"] > 1, test_var ** 2 / (table["n_parts"] - 1), 0.0))
    df = df.fillna(table["n_seeds"] - 1).clip(lower=1)
    se = np.sqrt(var)
    half = stats.t.ppf(0.5 + level / 2, df) * se
    table["se"], table["se_seeds"], table["se_test_rows"], table["df"] = se, np.sqrt(seed_var), np.sqrt(test_var), df
    table["ci_low"], table["ci_high"] = table["slope_per_doubling"] - half, table["slope_per_doubling"] + half
    with np.errstate(divide="ignore", invalid="ignore"):
        t = table["slope_per_doubling"] / se
    t = t.where(se > 0, np.sign(table["slope_per_doubling"]) * np.inf).fillna(0.0)
    table["p_improve"], table["p_worsen"] = stats.t.cdf(t, df), stats.t.sf(t, df)
    table = table.reset_index()
    table["direction"] = np.select([table.ci_high < 0, table.ci_low > 0], ["improves", "worsens"], "no clear change")
    table["noise"] = np.where(table["n_parts"] > 1, "seeds and test rows", "seeds only (test rows not split)")
    columns = ["slope_per_doubling", "se", "se_seeds", "se_test_rows", "df", "ci_low", "ci_high", "p_improve",
               "p_worsen", "n_seeds", "n_parts", "badness_mean", "direction", "noise"]
    return table[GROUP + columns]


def holm(p: np.ndarray, alpha: float) -> np.ndarray:
    """Holm's step-down rejections at family-wise error `alpha` (valid under any dependence)."""
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    limits = alpha / (len(p) - np.arange(len(p)))
    passed = np.cumprod(p[order] <= limits).astype(bool)
    out = np.zeros(len(p), bool)
    out[order] = passed
    return out


def disagreement(trends: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per model x community: how many metrics improve or worsen, and tests of disagreement and agreement.

    p_disagree: some metric improves AND some worsens (intersection-union of two Bonferroni families).
    p_agree: every metric improves, or every metric worsens (max of the p-values, then 2 directions).
    Columns: model, attribute, community, improves, worsens, no clear change, n_metrics, p_disagree,
    p_agree, disagree (p_disagree < alpha), worsening_metrics, improving_metrics.
    """
    counts = pd.crosstab([trends.model, trends.attribute, trends.community], trends.direction)
    for column in ("improves", "worsens", "no clear change"):
        if column not in counts:
            counts[column] = 0
    per = trends.groupby(PAIR, observed=True)
    m = per.size()
    p_imp = np.minimum(1.0, m * per["p_improve"].min())
    p_wor = np.minimum(1.0, m * per["p_worsen"].min())
    counts["n_metrics"] = m
    counts["p_disagree"] = np.maximum(p_imp, p_wor)
    counts["p_agree"] = np.minimum(1.0, 2 * np.minimum(per["p_improve"].max(), per["p_worsen"].max()))
    counts["disagree"] = counts["p_disagree"] < alpha
    for name, direction in (("worsening_metrics", "worsens"), ("improving_metrics", "improves")):
        listed = trends[trends.direction == direction].groupby(PAIR).metric.agg(", ".join)
        counts[name] = listed.reindex(counts.index).fillna("")
    counts.columns.name = None
    return counts.reset_index()


def disagreement_share(pairs: pd.DataFrame, level: float = 0.95) -> dict:
    """The share of pairs whose metrics disagree, with simultaneous bounds valid under any dependence
    between pairs (communities overlap and share one test set).

    low: pairs shown to disagree by Holm over all pairs at (1 - level) / 2, divided by the pairs;
    high: 1 - pairs shown to agree by Holm at (1 - level) / 2, divided by the pairs;
    share: pairs with p_disagree < 1 - level (per pair, no correction across pairs), between them.
    Returns dict share, low, high, n_pairs, n_flagged, n_shown_disagree, n_shown_agree.
    """
    alpha = (1 - level) / 2
    n = len(pairs)
    if n == 0:
        return {"share": np.nan, "low": np.nan, "high": np.nan, "n_pairs": 0, "n_flagged": 0,
                "n_shown_disagree": 0, "n_shown_agree": 0}
    shown = int(holm(pairs["p_disagree"].to_numpy(), alpha).sum())
    agree = int(holm(pairs["p_agree"].to_numpy(), alpha).sum())
    flagged = int((pairs["p_disagree"] < 1 - level).sum())
    return {"share": flagged / n, "low": shown / n, "high": 1 - agree / n, "n_pairs": n, "n_flagged": flagged,
            "n_shown_disagree": shown, "n_shown_agree": agree}


def pairwise_disagreement(trends: pd.DataFrame) -> pd.DataFrame:
    """Share of model x community pairs in which metric A improves while metric B worsens."""
    wide = trends.pivot_table(index=PAIR, columns="metric", values="direction", aggfunc="first")
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
