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
# # 4. Does more data, or a bigger model, serve every group? (C1, C3, C4, C6, C7 on a size x tokens grid)
#
# **Question.** Along training tokens within each model size, and along
# parameters at each checkpoint, does each community (an MMLU subject, a
# CrowS-Pairs category) gain what its aggregate gains (C3)? Along tokens, does
# a model improve one measure while worsening another, accuracy against
# stereotype share among them (C4)? Along training compute (about 6 x
# parameters x tokens), does each size's aggregate error follow a power law
# that extrapolates (C1), does each doubling of compute buy less (C6), and does
# a cheap checkpoint come close to the best for most groups (C7)? Where the data
# identify it, a two-variable law of the Chinchilla form is fitted per
# community.
#
# **What this can and cannot test.** The only noise on record is item sampling
# (the published standard errors); successive checkpoints are scored on the same
# items, so their noise is correlated, and slopes scale their standard errors up
# by the scatter between checkpoints. The checkpoints of one run share one
# learning-rate schedule: an early checkpoint is not a model trained to
# completion on that many tokens, so the tokens axis describes one run's
# progress (the Chinchilla design trains separate runs). Chance on MMLU is 0.25
# (four choices); the figures show how far above it each size comes. C2 and C5 are not applicable (reasons below).

# %% tags=["parameters"]
study = "pythia_grid"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "24_token_scaling")

# %%
import functools

import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import claims, model_size, token_scaling
from community_scaling.claims import (c1_aggregate_power_law as c1, c4_metric_dependence as c4,
                                      c6_diminishing_returns as c6, c7_small_models as c7)

published, fits, cost = run.study["published"], run.study["fits"], run.study["cost"]
evaluations = token_scaling.trained(run.load_table("evaluations"), published["min_step"])
compute = run.load_table("compute")
compute = compute[compute.step >= published["min_step"]]
datasheet = run.load_table("datasheet")
if published["caveat"]:
    display(Markdown(f"**Caveat (study file).** {published['caveat']}"))
tokens = token_scaling.along_tokens(evaluations)
display(Markdown(f"{evaluations.size_name.nunique()} model sizes x {evaluations.step.nunique()} checkpoints "
                 f"(steps {evaluations.step.min():,}-{evaluations.step.max():,}; step 0, untrained, and steps "
                 f"before published.min_step = {published['min_step']:,} left out); "
                 f"{int(datasheet.evaluable.sum())} of {len(datasheet)} curves along tokens evaluable."))

# %% [markdown]
# ## Slopes per tenfold of training tokens
#
# Each size's badness (1 - accuracy; |stereotype share - 0.5|) regressed on
# log10 tokens over its checkpoints, weighted by 1 / stderr^2. Negative =
# better with more tokens.

# %%
slopes = model_size.slope_table(tokens, published["min_sizes"])
run.save_table(slopes, "slopes")
usable = slopes[slopes.reason == ""]
summary = usable.assign(group=np.where(usable.community == model_size.AGGREGATE, "aggregate", "community")).groupby(
    ["attribute", "metric", "group"]).agg(curves=("slope_per_tenfold", "size"),
                                          median_slope=("slope_per_tenfold", "median"),
                                          improves=("direction", lambda d: int((d == "improves").sum())),
                                          worsens=("direction", lambda d: int((d == "worsens").sum())))
display(summary.round(4))
view = usable[usable.community == model_size.AGGREGATE].merge(
    compute[["size_name", "parameters"]].drop_duplicates(), left_on="model", right_on="size_name")
grid = sns.catplot(data=view, x="slope_per_tenfold", y="attribute", hue="parameters", palette="viridis",
                   hue_norm=sns.utils.mpl.colors.LogNorm(), height=3.5, aspect=1.6, legend=False)
grid.refline(x=0, color="grey", lw=0.8)
grid.set_axis_labels("aggregate badness slope per tenfold of training tokens", "")
run.save_figure(grid.figure, "24_token_slopes", caption=(
    "Change of each task's aggregate badness per tenfold of training tokens, one point per model size (colour: "
    "parameters), over the checkpoints of one run. Left of 0: better with more tokens."))

# %% [markdown]
# ## C1: does each size's aggregate error follow a power law that extrapolates, along compute?
#
# Within one size, training compute is proportional to tokens, so each size x
# task aggregate is a curve over its checkpoints; the rule is the sweep's (fitted
# on compute up to the largest / 2^d, does the power law with floor predict the
# rest better than the flat last value and an exponential saturation?), with
# intervals from draws of the published values.

# %%
aggregate = tokens[(tokens.community == model_size.AGGREGATE) & tokens.stderr.notna() & (tokens.metric == "accuracy")]
aggregate = aggregate.assign(model=aggregate.model + " " + aggregate.attribute, attribute="all", metric="error",
                             value=aggregate.badness, n_eval=aggregate.n_eval.fillna(1))
aggregate = aggregate[aggregate.value > 0]
reason = model_size.no_curve_reason(slopes, bool(evaluations.stderr.notna().any()))
if reason or aggregate.empty:
    c1_claim = claims.not_applicable("C1", reason or "no aggregate error curve with published standard errors")
else:
    c1_reps = model_size.replicates(aggregate.assign(badness=aggregate.value), published["draws"])
    c1_claim, c1_grid = claims.sensitivity(
        functools.partial(c1.evaluate, aggregate, c1_reps, metric="error"),
        {"doublings": fits["extrapolation_doublings"], "n_boot": published["draws"]}, {"doublings": [1.5, 3.0]})
display(Markdown(claims.summary_line(c1_claim)))

# %% [markdown]
# ## C3: does every community gain what its aggregate gains, along tokens and along parameters?
#
# Per community, the slope per tenfold of (community badness - aggregate
# badness): along training tokens within each size, and along parameters at
# each kept checkpoint. Positive: it gains less than its aggregate. Tested
# one-sided, Holm across every community curve of both axes at once;
# `published.slope_margin` sets what "keeps up" means. The curves of one axis
# share checkpoints and items, so the share is over dependent curves (Holm holds
# under any dependence).

# %%
def c3_test(threshold, margin):
    return token_scaling.evaluate_c3(token_scaling.lag_tables(evaluations, published["min_sizes"], margin),
                                     threshold, margin)


lags = token_scaling.lag_tables(evaluations, published["min_sizes"], published["slope_margin"])
run.save_table(lags, "lags")
c3_claim, c3_grid = claims.sensitivity(
    c3_test, {"threshold": fits["not_following_share"], "margin": published["slope_margin"]},
    {"margin": [published["slope_margin"] / 2, published["slope_margin"] * 2]})
display(Markdown(claims.summary_line(c3_claim)))
tested = lags[lags.reason == ""]
display(tested.groupby(["axis", "attribute"]).agg(
    curves=("gap_slope", "size"), median_gap_slope=("gap_slope", "median"), at_chance=("at_chance", "sum"),
    flagged=("p_lags", lambda p: int((p < 0.05).sum()))).round(4))

# %% [markdown]
# ## C4: along tokens, does one measure improve while another worsens?
#
# A community's measures: a CrowS-Pairs category's stereotype share in English
# and in French. The grid's new contrast: each model size's whole-model measures
# together (every general benchmark's accuracy, MMLU's mean over subjects, and
# each language's overall stereotype share), so accuracy is set against
# stereotype share along the same axis. The rule is the sweep's per-pair
# intersection-union test with Holm bounds on the share of pairs.

# %%
pairs = token_scaling.whole_model_pairs(slopes)
if pairs.empty:
    c4_claim = claims.not_applicable("C4", "no model or community is measured on two or more evaluable measures")
else:
    measured = sorted(pairs.metric.unique())
    c4_claim, c4_grid = claims.sensitivity(
        functools.partial(c4.evaluate, pairs, judged=measured, known=measured,
                          slopes="weighted slope per tenfold of training tokens of each measure's badness, t-test "
                                 "with published standard errors scaled up by the scatter between checkpoints"),
        {"threshold": run.study["metrics"]["disagreement_share"]}, {"threshold": [0.05, 0.2]})
display(Markdown(claims.summary_line(c4_claim)))
whole = slopes[(slopes.community == model_size.AGGREGATE) & (slopes.reason == "")]
display(whole.pivot_table(index="model", columns="attribute", values="slope_per_tenfold").round(4))

# %% [markdown]
# ## C6 and C7: what each doubling of compute buys, and what a cheap checkpoint serves
#
# A configuration is a checkpoint; its compute 6 x parameters x its tokens. C6
# reads the curvature of the error in log2 compute along each model size's
# checkpoints (of log error as a second result); C7 chooses, on everyone's error (the equal-weight mean over the
# 57 MMLU subjects and 8 general benchmarks), the best checkpoint and the best
# one with at most `cost.small_share` of the largest compute, over the whole
# grid. A cheap checkpoint of a large model is a model stopped part-way through
# its schedule, not one trained to completion on that compute.

# %%
if reason:
    c6_claim, c7_claim = claims.not_applicable("C6", reason), claims.not_applicable("C7", reason)
else:
    draws = {"error": token_scaling.loss_draws(evaluations, compute, published["draws"])}
    c6_claim, c6_grid = claims.sensitivity(functools.partial(c6.evaluate, draws, "error"),
                                           {"skip_smallest": cost["skip_smallest"]}, {"skip_smallest": [2]})
    c7_claim, c7_grid = claims.sensitivity(
        functools.partial(c7.evaluate, draws, "error"), {"margin": cost["margin"], "small_share": cost["small_share"]},
        {"margin": [0.05, 0.2], "small_share": [0.05, 0.2]})
display(Markdown(claims.summary_line(c6_claim) + "\n\n" + claims.summary_line(c7_claim)))

# %% [markdown]
# ## A two-variable law of the Chinchilla form, where the data identify it
#
# Per family line and community: badness = E + A (N / 1e9)^-alpha +
# B (D / 1e10)^-beta over every kept checkpoint of every size, weighted by
# 1 / stderr^2. Reported as fitted only where both exponents' 95% intervals
# exclude 0 and neither sits at a bound of [0, 3]; otherwise the reason is
# given. Described, not a claim's test: the exponents in tokens come from one
# schedule per size.

# %%
laws = token_scaling.two_variable_table(evaluations)
run.save_table(laws, "two_variable_fits")
display(Markdown(f"Identified for {int(laws.identified.sum())} of {len(laws)} curves. Not identified: "
                 + ", ".join(f"{n} ({r})" for r, n in laws[~laws.identified].reason.value_counts().items()) + "."))
display(laws.groupby(["model", "attribute"]).agg(curves=("identified", "size"), identified=("identified", "sum")))
display(laws[laws.identified][["model", "attribute", "community", "E", "alpha", "alpha_low", "alpha_high", "beta",
                               "beta_low", "beta_high", "dispersion"]].round(3))

# %% [markdown]
# ## C2 and C5: not applicable here

# %%
c2_claim = claims.not_applicable(
    "C2", "published results are fixed per-group scores: no data grows in them whose communities could be counted "
          "(the Pile's make-up per checkpoint is not published per group)")
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
