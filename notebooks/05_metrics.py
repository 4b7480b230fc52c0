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
# worst-community error and the range of each gap. Each is put in a
# lower-is-better form (1 - AUROC, absolute gaps). Its trend is the change per
# doubling of *n* over the upper half of the swept sizes, with a 95% interval.

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
from IPython.display import Markdown, display

from community_scaling import metric_trends

config = run.study["metrics"]
evaluations = run.load_table("evaluations")
trends = metric_trends.trend_table(evaluations)
agree = metric_trends.disagreement(trends)
run.save_table(trends, "metric_trends")
run.save_table(agree, "metric_disagreement")
pd.crosstab([trends.model, trends.metric], trends.direction)

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
# ## Provenance
#
# What produced this notebook's results (also stored inside and beside every
# table it wrote).

# %%
run.show_provenance()

# %% [markdown]
# ## What we found

# %%
claim, shares = metric_trends.claim_c4(evaluations, config["disagreement_share"], n_boot=config["bootstrap"])
run.save_claims([claim])
worst = agree[agree.disagree].sort_values("worsens", ascending=False).head(5)
display(Markdown(
    f"Over {len(agree)} model x community pairs, {agree.disagree.sum()} ({agree.disagree.mean():.0%}) have at "
    f"least one metric that improves with more data while another worsens.\n\n"
    + "".join(f"- {r.model}, {r.attribute} = {r.community}: worsening {r.worsening_metrics}\n" for r in worst.itertuples())
    + f"\n**C4 ({claim.verdict}):** {claim.effect_name} = {claim.effect:.3f} [{claim.ci_low:.3f}, {claim.ci_high:.3f}]."
))
