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
# # 5. Does "better" depend on the metric? (claim C4)
#
# **Question.** Diaz & Madaio argue that communities may value different
# metrics, so a model that scales well on one metric may not on another. Scoring
# the same predictions by many metrics, does each one improve as the training
# set grows, how fast, and where do metrics disagree about "better"?
#
# Metrics (all from the sweep's tidy table): error, log-loss, Brier score,
# AUROC, expected calibration error, true- and false-positive-rate gaps and
# selection-rate gap (community minus everyone), and per attribute the
# worst-community error and the range of each gap (the metrics listed in
# `metrics.judged`). Each is put in a lower-is-better form (1 - AUROC, absolute
# gaps). Its trend is the change per doubling of *n* over the upper half of the
# swept sizes, fitted per seed.
#
# **The rule (C4).** A slope's uncertainty has two sources, added: the seeds
# (spread of the per-seed slopes) and the test rows (the test set is split at
# random into `metrics.test_parts` disjoint parts, the same split for every
# community; the spread of the slope over the parts, divided by their number).
# For each model x community pair, "metrics disagree" means some metric
# improves AND some metric worsens: an intersection-union test of two families,
# each Bonferroni-corrected over the pair's metrics, so a pair whose metrics all
# move together (or stay flat) is flagged at most 5% of the time. Over pairs,
# the interval of the share that disagree runs from the pairs *shown* to
# disagree to one minus the pairs *shown* to agree, each by Holm over all pairs
# at 2.5%: it holds whatever the dependence between communities that overlap
# and share one test set. C4 is supported when its lower end exceeds
# `metrics.disagreement_share`. The rule was calibrated on generated data (see
# `claims/c4_metric_dependence.py`, `CALIBRATION`).

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "05_metrics")

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown

import functools

from community_scaling import claims, ingest, metric_trends, sweep
from community_scaling.claims import c4_metric_dependence as c4

config = run.study["metrics"]
evaluations = run.load_table("evaluations")
units = run.load_table("units")
test, meta = ingest.read_processed(run.paths.processed)
upper = units[units.scale.isin(metric_trends.upper_sizes(units.scale))]  # the only units split into parts
batches = ((part[["model", "scale", "seed"]], scores) for part, scores in sweep.iter_scores(upper, run.paths.unit_cache))
parts = metric_trends.test_row_parts_streamed(
    test["y"].to_numpy(), units, batches, test[meta["attributes"]], run.study["evaluation"]["threshold"],
    ingest.evaluable_communities(run.load_table("datasheet")), n_parts=config["test_parts"])
trends = metric_trends.trend_table(evaluations, parts)
trends = trends[trends.metric.isin(config["judged"])]
agree = metric_trends.disagreement(trends)
run.save_table(trends, "metric_trends")
run.save_table(agree, "metric_disagreement")
pd.crosstab([trends.model, trends.metric], trends.direction)

# %% [markdown]
# How much of each slope's uncertainty comes from the test rows rather than the
# seeds (median share of the variance, by attribute): small communities carry
# more test-row noise.

# %%
(trends.assign(test_share=trends.se_test_rows ** 2 / trends.se ** 2)
 .groupby("attribute")["test_share"].median().round(2).to_frame("median test-row share of variance"))

# %% [markdown]
# ## The aggregate population, metric by metric

# %%
trends.query("attribute == 'all'").pivot_table(index="metric", columns="model", values="slope_per_doubling").round(5)

# %% [markdown]
# ## Which metrics pull against each other?
#
# Entry (A, B): the share of model x community pairs in which metric A
# improves with more data while metric B worsens.

# %%
pairs = metric_trends.pairwise_disagreement(trends)
fig, ax = plt.subplots(figsize=(7, 6))
sns.heatmap(pairs, annot=True, fmt=".2f", cmap="Reds", vmin=0, ax=ax, cbar_kws={"label": "share of pairs"})
ax.set(xlabel="metric B (worsens)", ylabel="metric A (improves)",
       title=f"{run.study.name}: A improves while B worsens, upper half of sizes")
run.save_figure(fig, "05_metric_disagreement", caption=(
    "Share of model x community pairs in which metric A (row) improves with more data while metric B "
    "(column) worsens, over the upper half of sizes. Look for dark cells: metrics that answer 'does more "
    "data help?' in opposite ways (claim C4)."))

# %%
direction_share = (trends.assign(improves=trends.direction == "improves", worsens=trends.direction == "worsens")
                   .groupby("metric")[["improves", "worsens"]].mean())
fig, ax = plt.subplots(figsize=(7, 4))
direction_share.plot.barh(stacked=True, ax=ax, color=["#4daf4a", "#e41a1c"])
ax.set(xlabel="share of model x community pairs", title=f"{run.study.name}: direction of each metric with more data")
run.save_figure(fig, "05_metric_directions", caption=(
    "For each metric, the share of model x community pairs that improve (green) or worsen (red) with more "
    "data. Look for metrics with a large red share: there, bigger is not better (claim C4)."))

# %% [markdown]
# ## The claim, and how it moves with the settings
#
# The verdict at the study file's settings, then again with each setting of
# the stated grid in turn (threshold; the metric set without calibration, or
# without the fairness gaps). A verdict that changes within the grid is fragile.

# %%
claim, grid = claims.sensitivity(functools.partial(c4.evaluate, trends), c4.SPEC.arguments(run.study), c4.SPEC.grid)
run.save_claims([claim])
grid.assign(value=grid.value.str.slice(0, 80))

# %% [markdown]
# ## Provenance
#
# What produced this notebook's results (also stored inside and beside every
# table it wrote).

# %%
run.show_provenance()

# %% [markdown]
# ## What we found

# %%
strongest = agree.sort_values("p_disagree").head(5)
display(Markdown(
    f"Over {len(agree)} model x community pairs and {trends.metric.nunique()} metrics, {int(agree.disagree.sum())} "
    f"({agree.disagree.mean():.0%}) have a metric that improves with more data while another worsens at p < 0.05 "
    "(per pair, corrected over its metrics). Smallest p-values:\n\n"
    + "".join(f"- {r.model}, {r.attribute} = {r.community}: p = {r.p_disagree:.2g}; improving "
              f"{r.improving_metrics or 'none clear'}; worsening {r.worsening_metrics or 'none clear'}\n"
              for r in strongest.itertuples())
    + f"\n**C4 ({claim.verdict}{', fragile' if claim.fragile else ''}):** {claim.effect_name} = {claim.effect:.3f}, "
    f"interval [{claim.ci_low:.3f}, {claim.ci_high:.3f}] (Holm over pairs). {claim.details}. "
    f"The grid agrees with this verdict in {claim.grid_agreement:.0%} of its settings."
))
