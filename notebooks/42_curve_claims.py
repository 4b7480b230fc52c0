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
# # 2. The claims on hundreds of tasks
#
# **Question.** Asked of every dataset x learner curve of the Learning Curve
# Database instead of one census: does error follow a power law of training
# size (C1), does "more data is better" depend on the metric (C4), does the
# gain per doubling of training time shrink (C6), and does a cheap
# configuration serve most tasks (C7)?
#
# Datasets are the units: every interval resamples datasets with replacement,
# each with all its curves (the learners on one dataset share its test splits).
# Within a curve, the outer seed (one test split and training pool) is the
# independent replicate; inner seeds share its test rows and are averaged.
#
# **What this study cannot test.** C2 (larger samples hold more communities),
# C3 (communities do not follow the aggregate) and C5 (communities' values
# conflict) are about people within one population; LCDB's rows carry no
# community, and its datasets are different tasks, not groups of one task's
# people. Reading datasets as communities would make C3 "do some datasets
# learn more slowly than the average of all datasets", a question about task
# difficulty, not about who is left behind; these three are "not applicable".

# %% tags=["parameters"]
study = "lcdb"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "42_curve_claims")

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import claims, curve_statistics, lcdb_curves
from community_scaling.claims import (c1_aggregate_power_law as c1, c4_metric_dependence as c4,
                                      c6_diminishing_returns as c6, c7_small_models as c7)

settings, fits, metrics, cost = (run.study[s] for s in ("curves", "fits", "metrics", "cost"))
curves = run.load_table("curves")
datasets = run.load_table("datasets")
datasheet = run.load_table("datasheet")
n_boot = fits["bootstrap"]
if n_boot < 20:
    raise ValueError(f"fits.bootstrap = {n_boot}: intervals over datasets need at least 20 resamples")
display(Markdown(f"{len(datasheet):,} curves on {datasheet.dataset.nunique()} datasets; intervals over "
                 f"{n_boot} resamples of datasets."))

# %% [markdown]
# ## C1: does the power law with floor extrapolate best?
#
# On each curve (error, outer-seed means), the power law with floor is fitted
# on the sizes up to n_max / 2^d (d = `fits.extrapolation_doublings`) and must
# predict every larger size better than the flat last value and than an
# exponential saturation (the census study's test, `scaling_fits.alternatives`),
# its interval from the jackknife over the curve's outer seeds. A curve is *won* when the
# interval lies above 0, *lost* when at or below 0.

# %%
doublings = fits["extrapolation_doublings"]
margin_tables = {d: curve_statistics.extrapolation_table(curves, d, settings["curve_resamples"])
                 for d in (doublings, 2.0, 4.0)}
c1_claim, c1_grid = claims.sensitivity(
    lambda doublings: c1.evaluate_curves(margin_tables[doublings], n_boot, doublings=doublings),
    {"doublings": doublings}, {"doublings": [2.0, 4.0]})
margins = margin_tables[doublings]
run.save_table(margins, "curve_margins")
display(Markdown(claims.summary_line(c1_claim) + f"\n\n{c1_claim.details}\n\nGrid: "
                 + "; ".join(f"{r.setting} = {r.value}: {r.verdict}" for r in c1_grid.itertuples())))

# %%
testable = margins[margins.outcome != ""]
fig, ax = plt.subplots(figsize=(7, 3.2))
clipped = testable.assign(margin=testable.margin.clip(-0.5, 0.5))
sns.histplot(data=clipped, x="margin", hue="outcome", bins=60, multiple="stack", ax=ax,
             hue_order=["power law", "undecided", "alternative"])
ax.axvline(0, color="k", lw=0.8)
ax.set_xlabel("held-out log-RMSE margin of the power law with floor over the better alternative (clipped at ±0.5)")
ax.set_ylabel("curves")
run.save_figure(fig, "42_extrapolation_margins", caption=(
    f"Held-out extrapolation margin of each of {len(testable):,} LCDB curves (above 0: the power law with floor "
    "predicts the larger sizes better than both the flat last value and an exponential saturation), coloured by "
    "whether the curve's interval over outer seeds decides it. Look at how much of the mass is undecided, and on "
    "which side of 0 the decided curves fall."))

# %% [markdown]
# ## C4: do error and log-loss disagree about "more data is better"?
#
# Per curve of a learner with probabilities (the others' log-loss is a
# multiple of their error, notebook 1), the slope per doubling of error and of
# log-loss over the upper half of its sizes, one slope per outer seed; a curve
# is flagged when one metric improves while the other worsens (intersection-
# union test). On a curve whose metrics move together, or where one is flat,
# noise alone flags it with probability at most 0.025: each learner's share is
# read against that.

# %%
probabilistic = curves[~curves.learner.isin(lcdb_curves.HARD_PREDICTIONS)]
trends = curve_statistics.trend_table(probabilistic)
run.save_table(trends, "curve_trends")
disagreements = curve_statistics.disagreement_table(trends)


per_learner = c4.evaluate_curves(disagreements, n_boot, metrics["disagreement_share"])[1]
c4_claim, c4_grid = claims.sensitivity(lambda threshold: c4.evaluate_curves(disagreements, n_boot, threshold)[0],
                                       {"threshold": metrics["disagreement_share"]}, {"threshold": [0.05, 0.2]})
display(Markdown(claims.summary_line(c4_claim) + "\n\nGrid: "
                 + "; ".join(f"{r.setting} = {r.value}: {r.verdict}" for r in c4_grid.itertuples())))
per_learner

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
order = per_learner.sort_values("share")
ax.errorbar(order.share, order.learner, xerr=[order.share - order.ci_low, order.ci_high - order.share], fmt="o",
            color="C0", capsize=2)
ax.axvline(0.025, color="grey", ls="--", lw=0.8, label="most that noise alone flags (0.025)")
ax.axvline(metrics["disagreement_share"], color="C3", ls=":", lw=0.8, label="metrics.disagreement_share")
ax.set_xlabel("share of the learner's curves on which error and log-loss disagree")
ax.legend(loc="lower right", fontsize=7)
run.save_figure(fig, "42_metric_disagreement", caption=(
    "Share of each learner's LCDB curves on which error and log-loss move in opposite directions over the upper "
    "half of sizes (per-curve intersection-union test), with 95% intervals over datasets. Left of the dashed line "
    "is what noise alone can give; look for learners whose interval lies wholly to its right."))

# %% [markdown]
# ## C6: does the gain per doubling of training time shrink?
#
# Compute here is LCDB's measured training time (the fit only, in seconds, on
# whatever machine ran it: noisy, and at the smallest sizes mostly fixed
# overhead). Per curve, 2c of mean error fitted quadratically in log2 of the
# median training time: a steady error gain per doubling has 2c = 0, and
# 2c > 0 means each equal gain costs multiplicatively more time.

# %%
skips = [cost["skip_smallest"], 2, 4, 8]
curvature_tables = {k: curve_statistics.curvature_table(curves, skip_smallest=k) for k in dict.fromkeys(skips)}
c6_claim, c6_grid = claims.sensitivity(
    lambda skip_smallest: c6.evaluate_curves(curvature_tables[skip_smallest], n_boot, skip_smallest),
    {"skip_smallest": cost["skip_smallest"]}, {"skip_smallest": [k for k in skips[1:] if k != skips[0]]})
curvatures = curvature_tables[cost["skip_smallest"]]
run.save_table(curvatures, "curve_curvatures")
display(Markdown(claims.summary_line(c6_claim) + f"\n\n{c6_claim.details}\n\nGrid: "
                 + "; ".join(f"{r.setting} = {r.value}: {r.verdict}" for r in c6_grid.itertuples())))

# %%
fig, ax = plt.subplots(figsize=(7, 3.6))
shown = curvatures[np.isfinite(curvatures.curvature)]
order = shown.groupby("learner").curvature.median().sort_values().index
sns.boxplot(data=shown.assign(curvature=shown.curvature.clip(-0.05, 0.05)), x="curvature", y="learner",
            order=order, fliersize=1, ax=ax)
ax.axvline(0, color="k", lw=0.8)
ax.set_xlabel("2c: shrinkage of the error gained per doubling of training time (clipped at ±0.05)")
run.save_figure(fig, "42_compute_curvature", caption=(
    "Curvature 2c of error in log2 training time for each LCDB curve, by learner (boxes over datasets). "
    "Above 0: each doubling of training time buys less than the one before (diminishing returns); 0: the same "
    "error bought by every doubling. Look at where the boxes sit relative to 0, learner by learner."))

# %% [markdown]
# ## C7: does a cheap configuration serve most tasks?
#
# Each dataset is a need. Its configurations are learner x training size; a
# configuration is cheap when its median training time is at most
# `cost.small_share` of the dataset's most expensive configuration's. The best
# configuration and the best cheap one are chosen on the even outer seeds and
# judged on the odd ones. A dataset is served when the cheap one's error is
# within `cost.margin` of the gap between the majority-class error and the
# best's.

# %%
c7_claim, c7_grid = claims.sensitivity(
    lambda margin, small_share: c7.evaluate_curves(
        curve_statistics.served_table(curves, datasets, margin, small_share), n_boot, margin, small_share),
    {"margin": cost["margin"], "small_share": cost["small_share"]},
    {"margin": [0.05, 0.2], "small_share": [0.01, 0.05]})
served = curve_statistics.served_table(curves, datasets, cost["margin"], cost["small_share"])
run.save_table(served, "curve_served")
display(Markdown(claims.summary_line(c7_claim) + f"\n\n{c7_claim.details}\n\nGrid: "
                 + "; ".join(f"{r.setting} = {r.value}: {r.verdict}" for r in c7_grid.itertuples())))

# %%
fig, ax = plt.subplots(figsize=(7, 3.2))
evaluable = served[served.excess.notna()]
ax.hist(evaluable.excess.clip(-0.5, 2), bins=50, color="C0")
ax.axvline(cost["margin"], color="C3", ls="--", lw=0.8, label=f"margin {cost['margin']:g}")
ax.set_xlabel("cheap configuration's excess error, in units of the majority-class-to-best gap (clipped)")
ax.set_ylabel("datasets")
ax.legend()
run.save_figure(fig, "42_cheap_configurations", caption=(
    f"For each of {len(evaluable)} LCDB datasets, how much worse the best cheap configuration (at most "
    f"{cost['small_share']:.0%} of the most expensive configuration's training time) is than the best, judged on "
    "outer seeds that did not choose them, in units of what the best gains over the majority class. Left of the "
    "dashed line: served. Look at the share of datasets left of it."))

# %% [markdown]
# ## Claims this study cannot test

# %%
c2_claim = claims.not_applicable(
    "C2", "LCDB's rows carry no community, and its datasets are different tasks, not groups within one sample: "
          "there is no sample whose growth could add communities")
c3_claim = claims.not_applicable(
    "C3", "no communities: a dataset is a different task, not a group of one task's people, so 'a dataset learns "
          "more slowly than the average dataset' is about task difficulty, not about who is left behind")
c5_claim = claims.not_applicable("C5", "no one's values are recorded: the files hold scores, not people's choices")
ledger = [c1_claim, c2_claim, c3_claim, c4_claim, c5_claim, c6_claim, c7_claim]
run.save_claims(ledger)

# %% [markdown]
# ## What we found

# %%
display(Markdown("\n".join(map(claims.summary_line, ledger))))
