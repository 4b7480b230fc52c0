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
from community_scaling.claims import c4_metric_dependence as c4

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
run.save_figure(fig, "05_metric_disagreement")

# %%
direction_share = (trends.assign(improves=trends.direction == "improves", worsens=trends.direction == "worsens")
                   .groupby("metric")[["improves", "worsens"]].mean())
fig, ax = plt.subplots(figsize=(7, 4))
direction_share.plot.barh(stacked=True, ax=ax, color=["#4daf4a", "#e41a1c"])
ax.set(xlabel="share of model x community pairs", title=f"{run.study.name}: direction of each metric with more data")
run.save_figure(fig, "05_metric_directions")

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
claim, shares = c4.evaluate(evaluations, config["disagreement_share"], n_boot=config["bootstrap"])
run.save_claims([claim])
worst = agree[agree.disagree].sort_values("worsens", ascending=False).head(5)
display(Markdown(
    f"Over {len(agree)} model x community pairs, {agree.disagree.sum()} ({agree.disagree.mean():.0%}) have at "
    f"least one metric that improves with more data while another worsens.\n\n"
    + "".join(f"- {r.model}, {r.attribute} = {r.community}: worsening {r.worsening_metrics}\n" for r in worst.itertuples())
    + f"\n**C4 ({claim.verdict}):** {claim.effect_name} = {claim.effect:.3f} [{claim.ci_low:.3f}, {claim.ci_high:.3f}]."
))
