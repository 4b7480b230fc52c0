# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Does a bigger model serve every group? (claims C1, C3, C4, C6, C7 on model size)
#
# **Question.** Along the papers' own axis, parameters, does each community gain
# what the aggregate gains (C3)? Does a bigger model improve one measure while
# worsening another, for example accuracy against stereotype share (C4)? Does
# the aggregate follow a power law that extrapolates (C1)? Does each tenfold of
# compute buy less (C6), and does a small model come close to the best for most
# groups (C7)?
#
# **What 3 to 8 sizes can identify.** One run per size means the only noise on
# record is item sampling (the published standard errors). A slope per tenfold
# of parameters with an interval is identified; a floor and an exponent mostly
# are not, so C3 here compares slopes, not exponents. Every slope is a weighted
# least-squares fit (weights 1 / stderr^2), with its standard error scaled up
# when the sizes scatter more than their standard errors allow. Intervals of
# C1, C6 and C7 come from normal draws of every published value. C2 and C5 are
# not applicable (reasons below).

# %% tags=["parameters"]
study = "llm_multilingual"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "22_model_size")

# %%
import functools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import claims, diminishing_returns, model_size, plotting
from community_scaling.claims import (c1_aggregate_power_law as c1, c3_communities_left_behind as c3,
                                      c4_metric_dependence as c4, c6_diminishing_returns as c6,
                                      c7_small_models as c7)

published, fits, cost = run.study["published"], run.study["fits"], run.study["cost"]
evaluations = run.load_table("evaluations")
compute = run.load_table("compute")
datasheet = run.load_table("datasheet")
if published["caveat"]:
    display(Markdown(f"**Caveat (study file).** {published['caveat']}"))
has_stderr = bool(evaluations.stderr.notna().any())
display(Markdown(f"{evaluations.model.nunique()} model families, {evaluations.size_name.nunique()} sizes, "
                 f"{int(datasheet.evaluable.sum())} of {len(datasheet)} curves evaluable."))

# %% [markdown]
# ## Slopes per tenfold of parameters
#
# The lower-is-better form of each value ("badness": 1 - accuracy; stereotype
# share - 0.5; bits per byte) regressed on log10 parameters. Negative = better
# with size.

# %%
slopes = model_size.slope_table(evaluations, published["min_sizes"])
run.save_table(slopes, "slopes")
evaluable = slopes[slopes.reason == ""]
if len(evaluable):
    order = evaluable.sort_values("slope_per_tenfold")
    grid = sns.FacetGrid(order, col="attribute", row="metric", sharex=False, sharey=False, height=3.2, aspect=1.1)
    colours = plotting.colours(evaluable.model.nunique())  # one colour per family, the same in every panel

    def _draw(data, **kwargs):
        ax = plt.gca()
        data = data.sort_values("slope_per_tenfold").reset_index(drop=True)
        for model, colour in zip(sorted(evaluable.model.unique()), colours):
            part = data[data.model == model]
            ax.errorbar(part.slope_per_tenfold, part.index, xerr=[part.slope_per_tenfold - part.ci_low,
                        part.ci_high - part.slope_per_tenfold], fmt="o", ms=3, color=colour, label=model, lw=0.8)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(data.index, data.community + " " + data.model, fontsize=5)
    grid.map_dataframe(_draw)
    grid.set_titles(template="{row_name}, {col_name}")
    grid.add_legend()
    grid.set_axis_labels("badness slope per tenfold (95% interval)", "")
    run.save_figure(grid.figure, "22_slopes", caption=(
        "Change of each community's badness per tenfold of parameters, with its 95% interval (published standard "
        "errors, scaled up by the scatter between sizes). Left of 0: better with size. Look for communities whose "
        "interval sits right of the others: they gain less from size."))
else:
    display(Markdown("No curve is evaluable: too few sizes, or no published standard errors."))

# %% [markdown]
# ## C1: does the aggregate follow a power law that extrapolates?
#
# The rule is the sweep's: fitted on sizes up to n_max / 2^d, does the power law
# with floor (its floor may be 0) predict the larger sizes better than laws
# that are not power laws, the flat last value and an exponential saturation?
# Each family x task aggregate is a curve; its intervals come from draws of the
# published values (one run per size: no seed part, a normal interval on the
# draws' variance). A family with few sizes may keep too few below
# the held-out range to fit: a study file may hold out fewer doublings. C1's
# details in the ledger name each curve's largest fitted size and how many sizes
# are held out.

# %%
# errors only (accuracy, bits per byte): a stereotype share is not an error that should fall to a floor
aggregate = evaluations[(evaluations.community == model_size.AGGREGATE) & evaluations.stderr.notna()
                        & evaluations.metric.isin(["accuracy", "bits_per_byte"])]
aggregate = aggregate.assign(model=aggregate.model + " " + aggregate.attribute, attribute="all", metric="error",
                             value=aggregate.badness, n_eval=aggregate.n_eval.fillna(1))
aggregate = aggregate[aggregate.value > 0]  # a power law of badness needs it positive (stereotype share < 0.5 is not)
# a learning curve has one value per size: a family with two models of one parameter count (trained on different
# token counts) has no curve in parameters alone
repeated = aggregate.duplicated(["model", "scale"], keep=False)
if repeated.any():
    families = sorted(set(aggregate.model[repeated].str.rsplit(" ", n=1).str[0]))
    display(Markdown(f"Left out of C1 (two models of one parameter count in the family): {', '.join(families)}."))
    aggregate = aggregate[~aggregate.model.isin(set(aggregate.model[repeated]))]
c1_reps = model_size.replicates(aggregate.assign(badness=aggregate.value), published["draws"])
if model_size.no_curve_reason(slopes, has_stderr):
    c1_claim, c1_grid = claims.not_applicable("C1", model_size.no_curve_reason(slopes, has_stderr)), None
elif len(aggregate):
    c1_claim, c1_grid = claims.sensitivity(
        functools.partial(c1.evaluate, aggregate, c1_reps, metric="error"),
        {"doublings": fits["extrapolation_doublings"], "n_boot": published["draws"]}, {"doublings": [2.0, 4.0]})
else:
    c1_claim, c1_grid = claims.not_applicable("C1", "no aggregate curve with published standard errors"), None
display(Markdown(claims.summary_line(c1_claim)))

# %% [markdown]
# ## C3: do communities' gains spread around their aggregate's?
#
# Per family (a model family on one task: its languages, subjects or bias
# categories), the random-effects standard deviation of the communities'
# slopes per tenfold of parameters, as a share of the aggregate's gain: the
# relative spread (`src/community_scaling/spread.py`). A family whose aggregate
# gain is not shown nonzero has no relative spread and is listed apart, as are
# communities whose slope is not identified. Supported when some family's
# spread is shown above `published.spread_margin` (Holm across families); not
# supported when every family's upper bound is at or below it. Which
# communities are left behind is secondary (step-down max-T within a family).
# The power of the rule on this study's own design follows the verdict.

# %%
from community_scaling import spread

spread_families, spread_apart = spread.spread_table(slopes, published["draws"])
run.save_table(spread_families, "spread")
lags = model_size.lag_table(evaluations, published["min_sizes"])
run.save_table(lags, "lags")
weights = model_size.aggregate_weights(evaluations)
power = spread.power_curve(slopes, published["spread_margin"])
mde = spread.minimum_detectable(power)


def c3_test(margin):
    communities = spread.left_behind(lags, slopes, weights, margin)
    return c3.evaluate_model_size(spread_families, spread_apart, margin, communities, mde=mde if margin ==
                                  published["spread_margin"] else None)


c3_claim, c3_grid = claims.sensitivity(c3_test, {"margin": published["spread_margin"]},
                                       c3.SPEC_MODEL_SIZE_GRID)
display(Markdown(claims.summary_line(c3_claim) + "\n\n" + c3_claim.details))
if len(spread_families):
    display(spread_families[["model", "attribute", "communities", "gain", "gain_se", "rho", "rho_low", "rho_low_1",
                             "rho_high", "p_homogeneity_chi2", "p_homogeneity_boot"]].round(4))
if len(spread_apart):
    display(spread_apart)
if len(power):
    display(Markdown(f"Power of the rule on this study's design ({int(power.families.iloc[0])} families, "
                     f"{int(power.simulations.iloc[0])} simulations per spread, margin "
                     f"{published['spread_margin']:g}): minimum relative spread detected with 80% power "
                     f"{mde:.2g}."))
    display(power.set_index("relative_spread").power.round(3).to_frame().T)
    left = spread.left_behind(lags, slopes, weights, published["spread_margin"])
    if len(left):
        display(left.sort_values("p_left_behind").head(10).round(4))

# %% [markdown]
# ## C4: does a bigger model improve one measure while worsening another?
#
# A community's measures are the tasks (and metrics) it is evaluated on: a
# language's tasks, a bias category's stereotype share in English and French.
# Benchmarks measured only on the whole model are not copied into each
# community (the same slope would stand in every pair); how stereotype share
# moves against general accuracy is shown after the verdict, as a description.
# The rule is the sweep's per-pair intersection-union test with Holm bounds on
# the share of pairs.

# %%
pairs = model_size.metric_pairs(slopes)
if pairs.empty:
    c4_claim, c4_grid = claims.not_applicable(
        "C4", "no community is measured on two or more evaluable tasks or metrics"), None
else:
    measured = sorted(pairs.metric.unique())
    c4_claim, c4_grid = claims.sensitivity(
        functools.partial(c4.evaluate, pairs, judged=measured, known=measured,
                          slopes="weighted slope per tenfold of parameters of each measure's badness, t-test with "
                                 "published standard errors"),
        {"threshold": run.study["metrics"]["disagreement_share"]}, {"threshold": [0.05, 0.2]})
display(Markdown(claims.summary_line(c4_claim)))

# %%
# Described, not tested: per family, the change per tenfold of each whole-model measure (badness; negative =
# better). A bias measure rising while accuracy improves is "bigger is better" on one and worse on the other.
whole = slopes[(slopes.community == model_size.AGGREGATE) & (slopes.reason == "")]
if whole.metric.nunique() > 1:
    display(whole.pivot_table(index=["attribute", "metric"], columns="model", values="slope_per_tenfold").round(4))

# %% [markdown]
# ## C6 and C7: what each tenfold of compute buys, and what a small model serves
#
# Compute is training FLOPs, 6 x parameters x tokens, or the source's own
# (a model without a comparable token count is left out, and named). C6 reads
# the curvature of the loss in log2 compute (whether each equal gain costs
# multiplicatively more compute; of log loss, whether returns diminish faster
# than a power law's, as a second result) along each family with at least
# `published.compute_min_models` such models (and, when `published.compute_curves`
# says so, along one curve of every model of every family ordered by compute);
# C7 asks whether the best model with at most `cost.small_share` of the
# largest's compute comes within `cost.margin` of the gap between chance and
# the best, for most groups, every family pooled.

# %%
loss_metric = "accuracy" if (evaluations.metric == "accuracy").any() else "bits_per_byte"
loss_name = "error" if loss_metric == "accuracy" else loss_metric
reason = model_size.no_curve_reason(slopes, has_stderr)
no_compute = compute[compute.training_flops.isna()]
if len(no_compute):
    display(Markdown(f"Not evaluable on the compute axis (no training FLOPs, or no comparable token count): "
                     f"{len(no_compute)} of {len(compute)} models: " + ", ".join(no_compute.size_name) + "."))
if not reason:
    draws = {loss_name: model_size.loss_draws(evaluations, compute, loss_metric, published["draws"])}
    groups = draws[loss_name].targets.iloc[1:]
    left_out = sorted(set(evaluations.attribute + " / " + evaluations.community)
                      - set(groups.attribute + " / " + groups.community))
    display(Markdown(f"Groups of C6 and C7 (measured at every model with training compute): {len(groups)}"
                     + (f"; left out, not measured at every such model: {', '.join(left_out)}" if left_out else "")
                     + "."))
    c6_draws, short = model_size.compute_curves(draws[loss_name], published["compute_min_models"],
                                                published["compute_curves"] == "within_and_across_families")
    if len(short):
        display(Markdown(f"Family lines left out of C6's curves (fewer than published.compute_min_models = "
                         f"{published['compute_min_models']} models with training compute): "
                         + ", ".join(f"{r.model} ({r.models})" for r in short.itertuples()) + "."))
    if c6_draws.configs.empty:
        c6_claim, c6_grid = claims.not_applicable(
            "C6", f"no family line has {published['compute_min_models']} models with training compute"), None
    else:
        c6_claim, c6_grid = claims.sensitivity(functools.partial(c6.evaluate, {loss_name: c6_draws}, loss_name),
                                               {"skip_smallest": cost["skip_smallest"]}, {"skip_smallest": [1]})
    if np.isnan(draws[loss_name].trivial_point).any():
        c7_claim, c7_grid = claims.not_applicable("C7", f"no chance level for {loss_metric}"), None
    else:
        c7_claim, c7_grid = claims.sensitivity(
            functools.partial(c7.evaluate, draws, loss_name),
            {"margin": cost["margin"], "small_share": cost["small_share"]},
            {"margin": [0.05, 0.2], "small_share": [0.05, 0.2]})
    display(compute)
else:
    c6_claim = claims.not_applicable("C6", reason)
    c7_claim = claims.not_applicable("C7", reason)
display(Markdown(claims.summary_line(c6_claim) + "\n\n" + claims.summary_line(c7_claim)))

# %%
if not reason:
    frame = draws[loss_name].configs.assign(loss=draws[loss_name].point[:, 0])
    on_curve = sorted(set(c6_draws.configs.model) - {model_size.ACROSS_FAMILIES})
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    others = frame[~frame.model.isin(on_curve)]
    if len(others):
        ax.scatter(others.fit_operations, others.loss, s=12, color="grey", alpha=0.5,
                   label=f"{others.model.nunique()} other families")
    for (model, part), colour in zip(frame[frame.model.isin(on_curve)].groupby("model"), plotting.colours(len(on_curve))):
        part = part.sort_values("fit_operations")
        ax.plot(part.fit_operations, part.loss, "o-", ms=3, lw=1, color=colour, label=model)
    ax.axvline(cost["small_share"] * frame.fit_operations.max(), ls="--", color="grey", lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="training FLOPs",
           ylabel=f"{loss_name}, mean over the {len(groups)} groups")
    ax.legend(fontsize=6, ncol=2)
    run.save_figure(fig, "22_compute", caption=(
        f"Everyone's {loss_name} (the mean over C6's and C7's groups) against training FLOPs, both on log scales: "
        "lines are the family lines whose curvature C6 tests, grey points the models of the other families. "
        f"Dashed: {cost['small_share']:.0%} of the largest model's FLOPs (left of it is small, for C7). A straight "
        "line is a power law (no diminishing returns); a line bending towards flat shows them. Look for whether "
        "the lines bend, and how far the families lie apart at one compute."))

# %% [markdown]
# Beside the verdicts, described and not tested: the curvature of each group
# alone along each of C6's curves (the verdict reads everyone's mean), and
# C7's rule inside each family (its own best and its own best small model).

# %%
if not reason and not c6_draws.configs.empty:
    by_group = pd.concat([diminishing_returns.curvature_table(c6_draws.configs, c6_draws.point, c6_draws.boot,
                                                              cost["skip_smallest"], group=k, scale="linear").assign(
        attribute=target.attribute, community=target.community) for k, target in enumerate(
            c6_draws.targets.itertuples())], ignore_index=True)
else:
    by_group = pd.DataFrame(columns=["curve", "points", "curvature", "ci_low", "ci_high", "attribute", "community"])
run.save_table(by_group, "curvature_by_group")
if len(by_group):
    display(by_group.pivot_table(index=["attribute", "community"], columns="curve", values="curvature").round(4))
if not reason and not np.isnan(draws[loss_name].trivial_point).any():
    families = model_size.within_families(draws[loss_name], published["compute_min_models"], cost["margin"],
                                          cost["small_share"])
    if len(families):
        display(Markdown("C7's rule inside each family (small: at most "
                         f"{cost['small_share']:.0%} of the family's largest training FLOPs):"))
        display(families.round(3))

# %% [markdown]
# ## C2 and C5: not applicable here

# %%
c2_claim = claims.not_applicable(
    "C2", "published results are fixed per-group scores: no data grows in them, so the number of communities a "
          "growing sample holds cannot be observed (a training corpus's language mix is not published per size)")
c5_claim = claims.not_applicable(
    "C5", "no group's own values are measured: each task has one published metric, not each group's preferences "
          "over models (the rater-label studies measure them)")
ledger = [c1_claim, c2_claim, c3_claim, c4_claim, c5_claim, c6_claim, c7_claim]
run.save_claims(ledger)
for claim in ledger:
    display(Markdown(claims.summary_line(claim)))

# %% [markdown]
# ## Provenance

# %%
run.show_provenance()
