"""Statistics on the model-size axis, from a standard evaluations table of published results.

Each model size was evaluated once, so the noise of a value is its published standard error
(item sampling), and a curve has 3 to 8 points. What such curves identify is a slope per
tenfold of parameters with an interval, not a scaling law with a floor. A slope is a
weighted least-squares fit of the value's lower-is-better form ("badness") on log10
parameters, weighted by 1 / stderr^2; its standard error is scaled up by the residual
scatter when the sizes scatter more than their standard errors allow (over-dispersion:
models differ by more than item noise), never down.

Evaluations columns: model (a family line, e.g. bloom), size_name, scale (parameters),
seed, attribute (task), community, metric, value, stderr, n_eval, badness, chance_badness.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .error_draws import LossDraws
from .io import InputError, require_columns
from .small_models import majority_excess, served_table

AGGREGATE = "all"
CURVE = ["model", "attribute", "community", "metric"]
COLUMNS = ["model", "size_name", "scale", "attribute", "community", "metric", "value", "stderr", "badness"]


def with_aggregates(evaluations: pd.DataFrame) -> pd.DataFrame:
    """Add, per model x attribute x metric with several communities, the aggregate community 'all':
    the equal-weight mean over the communities measured at every size, its stderr assuming
    communities' item sets are independent. Column `derived` marks these rows."""
    require_columns(evaluations, COLUMNS, "evaluations")
    parts = [evaluations.assign(derived=False)]
    for (model, attribute, metric), group in evaluations.groupby(["model", "attribute", "metric"], sort=True):
        if AGGREGATE in set(group.community):
            continue
        sizes = group.scale.nunique()
        complete = group.groupby("community").scale.transform("nunique") == sizes
        group = group[complete]
        if group.community.nunique() < 2:
            continue
        mean = group.groupby(["size_name", "scale"], as_index=False).agg(
            value=("value", "mean"), badness=("badness", "mean"), n_eval=("n_eval", "sum"),
            chance_badness=("chance_badness", "mean"), k=("community", "size"),
            var=("stderr", lambda s: float((s ** 2).sum()) if s.notna().all() else np.nan))
        mean["stderr"] = np.sqrt(mean.pop("var")) / mean.pop("k")
        parts.append(mean.assign(model=model, attribute=attribute, community=AGGREGATE, metric=metric, seed=0,
                                 derived=True))
    return pd.concat(parts, ignore_index=True).assign(derived=lambda t: t.derived.fillna(False).astype(bool))


CROSSES = "values on both sides of the neutral point (0.5): no direction of 'better'"


def _crosses_neutral(*curves: pd.DataFrame) -> bool:
    sides = [c["neutral_side"] for c in curves if "neutral_side" in c]
    return bool(sides) and pd.concat(sides).dropna().nunique() > 1


def _wls(x, y, se) -> dict:
    """Slope of y on x weighted by 1/se^2, with what its standard error needs: the weighted spread of x,
    the weighted residual sum of squares and its degrees of freedom."""
    w = 1 / se ** 2
    xm = np.sum(w * x) / np.sum(w)
    ym = np.sum(w * y) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)
    slope = np.sum(w * (x - xm) * (y - ym)) / sxx
    residual = y - ym - slope * (x - xm)
    return {"slope": slope, "sxx": sxx, "chi2": np.sum(w * residual ** 2), "df": len(x) - 2}


def _pooled_se(fits: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """se and df of each slope. The over-dispersion is the larger of the curve's own and the one pooled
    within `by` (the aggregate apart from its communities), and at least 1: never below the published
    standard errors, and a noisy curve keeps its own scatter. df: the pooled residual df when the pooled
    dispersion is used, the curve's own otherwise."""
    keys = [*by, fits.community.eq(AGGREGATE).rename("is_aggregate")]
    pooled = fits.groupby(keys, sort=False)[["chi2", "df"]].transform("sum")
    own, shared = fits.chi2 / fits.df, pooled.chi2 / pooled.df
    dispersion = np.maximum(np.maximum(own, shared), 1.0)
    return fits.assign(se=np.sqrt(dispersion / fits.sxx), df=np.where(own > shared, fits.df, pooled.df))


def slope_table(evaluations: pd.DataFrame, min_sizes: int = 4, level: float = 0.95) -> pd.DataFrame:
    """Slope of badness per tenfold of parameters for every curve (model x attribute x community x
    metric), in the columns of metric_trends.trend_table so the C4 rule reads it unchanged.
    Curves with fewer than `min_sizes` sizes or without standard errors are listed with a reason."""
    rows = []
    for key, curve in evaluations.groupby(CURVE, sort=True):
        curve = curve.sort_values("scale")
        row = dict(zip(CURVE, key), sizes=len(curve), reason="")
        if len(curve) < min_sizes:
            row["reason"] = f"{len(curve)} sizes, fewer than published.min_sizes = {min_sizes}"
        elif not (curve.stderr > 0).all():
            row["reason"] = "no published standard error for some size"
        elif _crosses_neutral(curve):
            row["reason"] = CROSSES
        else:
            fit = _wls(np.log10(curve.scale.to_numpy(float)), curve.badness.to_numpy(float),
                       curve.stderr.to_numpy(float))
            row.update(slope_per_tenfold=fit["slope"], sxx=fit["sxx"], chi2=fit["chi2"], df=fit["df"])
        rows.append(row)
    table = pd.DataFrame(rows)
    if "slope_per_tenfold" not in table:
        table[["slope_per_tenfold", "sxx", "chi2", "df"]] = np.nan
    table = _pooled_se(table, ["model", "attribute", "metric"])
    half = stats.t.ppf(0.5 + level / 2, table.df.fillna(1)) * table.se
    table["ci_low"], table["ci_high"] = table.slope_per_tenfold - half, table.slope_per_tenfold + half
    t = table.slope_per_tenfold / table.se
    table["p_improve"], table["p_worsen"] = stats.t.cdf(t, table.df.fillna(1)), stats.t.sf(t, table.df.fillna(1))
    table["direction"] = np.select([table.ci_high < 0, table.ci_low > 0], ["improves", "worsens"], "no clear change")
    table.loc[table.reason != "", "direction"] = "not evaluable"
    table["noise"] = "published standard errors (items), scaled up by the scatter between sizes"
    return table


def no_curve_reason(slopes: pd.DataFrame, has_stderr: bool = True) -> str:
    """Why the claims that read curves (C1, C6, C7) are not applicable, or "" when some curve is evaluable:
    the draws would otherwise give verdicts on curves the datasheet calls not evaluable."""
    if not has_stderr:
        return "no published standard errors: the intervals would carry no noise"
    if slopes.empty or not (slopes.reason == "").any():
        reasons = sorted(slopes.reason.unique())[:3] if len(slopes) else ["no curve at all"]
        return f"no curve is evaluable ({'; '.join(reasons)})"
    return ""


def metric_pairs(slopes: pd.DataFrame) -> pd.DataFrame:
    """The C4 view: each (model, community) with every measure taken on it, named '<attribute> <metric>'
    (a language's tasks; a bias category in two languages). Measures taken only on the aggregate (general
    benchmarks) are not copied into communities: the same slope would stand in every pair, and a
    disagreement would compare a community with the model as a whole. Pairs need at least 2 measures."""
    usable = slopes[(slopes.reason == "") & (slopes.community != AGGREGATE)].copy()
    usable["metric"] = usable.attribute + " " + usable.metric
    table = usable.assign(attribute="community")
    counts = table.groupby(["model", "community"]).metric.transform("nunique")
    return table[counts >= 2].reset_index(drop=True)


def _community_weights(aggregate: pd.DataFrame, others: pd.DataFrame) -> pd.Series:
    """Each community's weight in its aggregate (index: community): 1/k over the k communities measured
    at every size for a computed equal-weight mean, the share of items for a published overall score."""
    derived = bool(aggregate["derived"].all()) if "derived" in aggregate else False
    complete = others.groupby("community").scale.nunique() == others.scale.nunique()
    items = others.groupby("community").n_eval.median()
    return (pd.Series(1 / complete.sum(), index=complete.index).where(complete, 0.0) if derived
            else items / items.sum())


def lag_table(evaluations: pd.DataFrame, min_sizes: int = 4, margin: float = 0.01) -> pd.DataFrame:
    """Per community of each model x attribute x metric with an aggregate: the slope per tenfold of
    (community badness - aggregate badness). Positive: the community gains less than the aggregate.
    p_lags tests slope > margin, p_keeps_up slope < margin (one-sided t): a community lags only when
    it is shown to gain at least `margin` less per tenfold. The variance of the difference accounts
    for the community's weight w in the aggregate: 1/k for a computed equal-weight mean of k, its
    share of items for a published overall score (item-weighted)."""
    rows = []
    for (model, attribute, metric), group in evaluations.groupby(["model", "attribute", "metric"], sort=True):
        aggregate = group[group.community == AGGREGATE].set_index("scale")
        others = group[group.community != AGGREGATE]
        if aggregate.empty:
            continue
        weight = _community_weights(aggregate, others)
        for community, curve in others.groupby("community", sort=True):
            curve = curve.set_index("scale").sort_index()
            row = dict(model=model, attribute=attribute, metric=metric, community=community, sizes=len(curve),
                       reason="")
            if len(curve) < min_sizes or not curve.index.isin(aggregate.index).all():
                row["reason"] = f"{len(curve)} sizes with the aggregate, fewer than {min_sizes}"
                rows.append(row)
                continue
            agg = aggregate.loc[curve.index]
            if curve.stderr.isna().any() or agg.stderr.isna().any():
                row["reason"] = "no published standard error"
                rows.append(row)
                continue
            if _crosses_neutral(curve, agg):
                row["reason"] = CROSSES
                rows.append(row)
                continue
            difference = curve.badness - agg.badness
            w = float(weight.get(community, 0.0))
            var = curve.stderr ** 2 * (1 - 2 * w) + agg.stderr ** 2
            fit = _wls(np.log10(curve.index.to_numpy(float)), difference.to_numpy(float), np.sqrt(var.to_numpy(float)))
            chance = curve.chance_badness.iloc[0] if "chance_badness" in curve else np.nan
            near_chance = bool(np.all(np.abs(curve.badness - chance) <= 1.96 * curve.stderr)) if np.isfinite(
                chance) else False
            row.update(gap_slope=fit["slope"], sxx=fit["sxx"], chi2=fit["chi2"], df=fit["df"], at_chance=near_chance,
                       badness_smallest=curve.badness.iloc[0], badness_largest=curve.badness.iloc[-1])
            rows.append(row)
    table = pd.DataFrame(rows)
    if "gap_slope" not in table:
        return table.assign(gap_slope=np.nan, se=np.nan, df=np.nan, p_lags=np.nan, p_keeps_up=np.nan,
                            at_chance=False)
    table = _pooled_se(table, ["model", "attribute", "metric"])
    table["p_lags"] = stats.t.sf((table.gap_slope - margin) / table.se, table.df)
    table["p_keeps_up"] = stats.t.cdf((table.gap_slope - margin) / table.se, table.df)
    return table


def draws(evaluations: pd.DataFrame, n_draws: int, seed: int = 0) -> np.ndarray:
    """(n_draws, rows) normal draws of every row's badness from its published standard error,
    independent between rows (sizes were evaluated separately; items shared between sizes would
    make them positively correlated, which these draws ignore)."""
    rng = np.random.default_rng([seed, 2207])
    z = rng.standard_normal((n_draws, len(evaluations)))
    return evaluations.badness.to_numpy(float) + z * evaluations.stderr.fillna(0).to_numpy(float)


def replicates(evaluations: pd.DataFrame, n_draws: int, seed: int = 0) -> pd.DataFrame:
    """The draws as a long replicates table (model, scale, seed, attribute, community, replicate, value)."""
    drawn = draws(evaluations, n_draws, seed)
    keys = evaluations[["model", "scale", "seed", "attribute", "community", "metric"]]
    return pd.concat([keys.assign(replicate=b, value=drawn[b]) for b in range(n_draws)], ignore_index=True)


def loss_draws(evaluations: pd.DataFrame, compute: pd.DataFrame, metric: str, n_draws: int,
               seed: int = 0) -> LossDraws:
    """LossDraws (C6, C7) on the model-size axis: a configuration is one model size, its compute the
    training FLOPs (6 x parameters x tokens), its loss per community the badness of `metric`
    (published attribute x community groups measured at every size of every model; a general benchmark's
    overall score is a group of its own); everyone = their mean."""
    derived = evaluations["derived"] if "derived" in evaluations else False
    table = evaluations[(evaluations.metric == metric) & ~derived]  # the published groups, not computed means
    if table.empty:
        raise InputError(f"no {metric!r} values to build losses from")
    table = table.assign(group=table.attribute + " / " + table.community)
    configs = table[["model", "size_name", "scale"]].drop_duplicates().sort_values(["model", "scale"])
    wide = table.pivot_table(index="size_name", columns="group", values="badness").loc[configs.size_name]
    se = table.pivot_table(index="size_name", columns="group", values="stderr").loc[configs.size_name]
    complete = wide.columns[wide.notna().all() & se.notna().all()]
    wide, se = wide[complete], se[complete]
    flops = compute.set_index("size_name").training_flops.reindex(configs.size_name).to_numpy(float)
    known = np.isfinite(flops)  # a model without a comparable token count has no training compute
    configs, wide, se, flops = configs[known], wide[known], se[known], flops[known]
    configs = configs.reset_index(drop=True).assign(axis="model size", capacity=np.nan, n_seeds=1,
                                                    fit_operations=flops)
    groups = pd.Series(complete).str.split(" / ", n=1, expand=True)
    targets = pd.concat([pd.DataFrame({"attribute": [AGGREGATE], "community": [AGGREGATE]}),
                         pd.DataFrame({"attribute": groups[0], "community": groups[1]})], ignore_index=True)
    items = table.groupby("group").n_eval.median().reindex(complete).to_numpy()
    targets["rows"] = np.concatenate([[np.nansum(items)], items])
    rng = np.random.default_rng([seed, 2208])
    boot_groups = wide.to_numpy()[None] + rng.standard_normal((n_draws, *wide.shape)) * se.to_numpy()[None]
    point = np.column_stack([wide.to_numpy().mean(axis=1), wide.to_numpy()])
    boot = np.concatenate([boot_groups.mean(axis=2, keepdims=True), boot_groups], axis=2)
    chance = table.groupby("group").chance_badness.first().reindex(complete).to_numpy(float)
    trivial = np.concatenate([[chance.mean()], chance])
    return LossDraws(configs, targets, point, boot, trivial, np.broadcast_to(trivial, (n_draws, len(trivial))).copy())


ACROSS_FAMILIES = "all families"  # the model of the one curve that pools every family (C6, compute_curves)


def compute_curves(draws: LossDraws, min_models: int = 4, across_families: bool = False
                   ) -> tuple[LossDraws, pd.DataFrame]:
    """The curves C6 reads on the model-size axis, from loss_draws' LossDraws: each family line with at least
    `min_models` models with training compute (a curvature needs 4 points), and, when `across_families`, one
    more curve of every model of every family ordered by training FLOPs (axis "across families", model
    ACROSS_FAMILIES), so that a model sits on its family's curve and on the pooled one.

    Returns (the LossDraws for C6: its configs, point and boot rows repeated for the pooled curve; the
    table of family lines left out, columns model and models, the number of models with training compute)."""
    counts = draws.configs.groupby("model").size()
    short = counts[counts < min_models]
    keep = ~draws.configs.model.isin(short.index).to_numpy()
    rows = np.flatnonzero(keep)
    configs = draws.configs.iloc[rows]
    if across_families:
        rows = np.concatenate([rows, np.arange(len(draws.configs))])
        configs = pd.concat([configs, draws.configs.assign(axis="across families", model=ACROSS_FAMILIES)])
    left_out = short.rename("models").rename_axis("model").reset_index()
    return LossDraws(configs.reset_index(drop=True), draws.targets, draws.point[rows], draws.boot[:, rows],
                     draws.trivial_point, draws.trivial_boot), left_out


def within_families(draws: LossDraws, min_models: int, margin: float, small_share: float,
                    level: float = 0.95) -> pd.DataFrame:
    """C7's rule inside each family line with at least `min_models` models with training compute: the
    family's best and best small model (at most `small_share` of the family's largest training FLOPs),
    chosen on everyone's loss, and the groups the small one serves within `margin` of each group's
    chance-to-best gap. Described beside the ledger's C7 (which pools every family).

    Columns: model, models, best, small, small_flops_share, served, groups, majority_excess (the excess of
    the group ranked floor(N/2)+1, in units of its gap), and its interval ci_low, ci_high over the draws
    (NaN, and small "none this small", for a family with no model that small)."""
    rows = []
    for model, configs in draws.configs.groupby("model", sort=True):
        if len(configs) < min_models:
            continue
        at = configs.index.to_numpy()
        try:
            table, _, majority = served_table(draws.targets, configs.reset_index(drop=True), draws.point[at],
                                              draws.boot[:, at], draws.trivial_point, draws.trivial_boot, margin,
                                              small_share)
        except InputError as error:  # every model of the family uses more than small_share of its largest
            if "no configuration is small" not in str(error):
                raise
            rows.append({"model": model, "models": len(configs), "small": "none this small"})
            continue
        low, high = np.quantile(majority, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
        rows.append({"model": model, "models": len(configs), "best": table.best_config.iloc[0],
                     "small": table.small_config.iloc[0], "small_flops_share": table.small_operations_share.iloc[0],
                     "served": int(table.served.sum()), "groups": len(table),
                     "majority_excess": float(majority_excess(table.excess.to_numpy())), "ci_low": low,
                     "ci_high": high})
    return pd.DataFrame(rows)


def aggregate_weights(evaluations: pd.DataFrame) -> pd.DataFrame:
    """Each community's weight in its aggregate, as lag_table sets it: 1/k over the k communities
    measured at every size for a computed equal-weight mean, the share of items for a published
    overall score. Columns model, attribute, metric, community, weight."""
    rows = []
    for (model, attribute, metric), group in evaluations.groupby(["model", "attribute", "metric"], sort=True):
        aggregate = group[group.community == AGGREGATE]
        others = group[group.community != AGGREGATE]
        if aggregate.empty or others.empty:
            continue
        weight = _community_weights(aggregate, others)
        rows.append(pd.DataFrame({"model": model, "attribute": attribute, "metric": metric,
                                  "community": weight.index, "weight": weight.to_numpy(float)}))
    columns = ["model", "attribute", "metric", "community", "weight"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
