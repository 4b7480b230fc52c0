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
# # 7. What does "better" cost? Compute, energy, and small models (claims C6, C7)
#
# **Question.** Varoquaux, Luccioni & Whittaker argue that compute grows faster
# than performance, and that small models serve most needs. How many
# CPU-seconds does each step up in training-set size cost, per percentage point
# of error removed, for everyone and for the worst-off community? And for each
# community, what is the cheapest model within a stated margin of its best?
#
# Every unit's CPU time was measured in the sweep (one thread per unit, process
# CPU time). Energy is an estimate: CPU-seconds x `cost.watts_per_core` watts
# (an assumed average draw of one busy server core; memory, idle power and
# data-centre overhead are left out). C6 uses training CPU time (the compute a
# scaling law is about); C7 uses training plus prediction (what serving costs).

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "07_cost")

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from community_scaling import cost
from community_scaling.plotting import MODEL_COLORS

config = run.study["cost"]
units = run.load_table("units")
evaluations = run.load_table("evaluations")
training = units.assign(cpu_seconds=units.fit_cpu_seconds)  # C6: training compute
compute = cost.compute_table(units, config["watts_per_core"])
run.save_table(compute, "compute")
compute[["model", "scale", "cpu_seconds_mean", "cpu_seconds_sd", "energy_joules"]].round(3)

# %% [markdown]
# ## Cost per improvement

# %%
steps = cost.cost_per_improvement(evaluations, training)
run.save_table(steps, "cost_per_improvement")
steps.query("attribute == 'all'")[["model", "scale_from", "scale_to", "extra_cpu_seconds", "reduction_pp",
                                   "cpu_seconds_per_pp"]].round(3)

# %%
aggregate = evaluations.query("attribute == 'all' and metric == 'error'").merge(
    training[["model", "scale", "seed", "cpu_seconds"]], on=["model", "scale", "seed"])
fig, ax = plt.subplots(figsize=(6, 4))
sns.lineplot(aggregate, x="cpu_seconds", y="value", hue="model", palette=MODEL_COLORS, marker="o",
             estimator="mean", errorbar=None, ax=ax)
ax.set(xscale="log", yscale="log", xlabel="training CPU-seconds per model", ylabel="test error (all people)",
       title=f"{run.study.name}: error against training compute")
run.save_figure(fig, "07_error_vs_compute", caption=(
    "Aggregate test error against training CPU-seconds per model (mean over seeds), log-log axes. Look at "
    "the slope: shallower than -1 means compute grows faster than error falls (claim C6)."))

# %% [markdown]
# ## Elasticity of error with respect to compute (C6)
#
# The slope of log error on log training CPU-seconds across sizes: -1 would mean
# that doubling compute halves error. A slope between -1 and 0 means compute
# grows faster than performance improves.

# %%
elasticity = cost.compute_elasticity(evaluations, training, n_boot=1000)
run.save_table(elasticity, "elasticity")
elasticity.query("attribute == 'all' or community == '*'")[
    ["model", "attribute", "community", "elasticity", "ci_low", "ci_high"]].round(3)

# %% [markdown]
# ## The smallest model within a margin of the best, per community (C7)

# %%
served = cost.smallest_within_margin(evaluations, units, config["margin"])
run.save_table(served, "smallest_within_margin")
fig, ax = plt.subplots(figsize=(7, 0.25 * len(served) + 1))
labels = served.attribute + ": " + served.community
ax.barh(labels, served.share_of_max_cpu, color="#377eb8")
ax.axvline(config["small_share"], ls=":", color="grey")
ax.set(xscale="log", xlabel="CPU time of the cheapest model within the margin, as a share of the costliest",
       title=f"{run.study.name}: how small a model serves each community")
run.save_figure(fig, "07_smallest_within_margin", caption=(
    "Per community, the CPU time of the cheapest model within the margin of its best, as a share of the "
    "costliest model; dotted: the 'small' share. Look at how many bars end left of the dotted line: those "
    "communities are served by a small model (claim C7)."))

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
c6 = cost.claim_c6(elasticity, evaluations)
c7 = cost.claim_c7(evaluations, units, config["margin"], small_share=config["small_share"])
run.save_claims([c6, c7])
display(Markdown(
    f"All {len(units)} models took {units.cpu_seconds.sum():,.0f} CPU-seconds "
    f"(about {compute.energy_joules.sum() / 3.6e6 * 1000:.2f} Wh at {config['watts_per_core']:g} W per core, "
    f"an assumption).\n\n"
    f"**C6 ({c6.verdict}):** {c6.effect_name} = {c6.effect:.3g} [{c6.ci_low:.3g}, {c6.ci_high:.3g}]. {c6.details}\n\n"
    f"**C7 ({c7.verdict}):** {c7.effect_name} = {c7.effect:.3g} [{c7.ci_low:.3g}, {c7.ci_high:.3g}]. {c7.details}"
))
