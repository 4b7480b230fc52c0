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
# than performance (diminishing returns), and that small models serve most
# needs. Along training rows and along model capacity, does each doubling of
# compute buy less than the one before? And for each community, does a small
# configuration come within a stated margin of its best?
#
# **Compute** is counted, not timed: a unit's fit operations are its training
# rows x the columns its estimator saw x the iterations it ran (boosting rounds,
# or solver passes), recorded by the sweep. Two runs give the same count, so the
# verdicts cannot hang on a noisy timing; CPU time (one measurement per unit, on
# a shared machine) and an energy estimate (CPU-seconds x `cost.watts_per_core`,
# an assumption) are shown but not tested. Losses are per test row (error at
# `evaluation.threshold`, Brier score or log loss), so every interval resamples
# seeds and test rows jointly, with the same test-row resample for every
# configuration and community.

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "07_cost")

# %%
import functools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import claims, cost, error_draws, ingest, sweep
from community_scaling.claims import c6_diminishing_returns as c6, c7_small_models as c7
from community_scaling.diminishing_returns import curvature_table
from community_scaling.plotting import MODEL_COLORS
from community_scaling.small_models import served_table

config = run.study["cost"]
units = run.load_table("units")
capacity_units = run.load_table("capacity_units")
evaluations = run.load_table("evaluations")
compute = cost.compute_table(units, config["watts_per_core"])
run.save_table(compute, "compute")
compute[["model", "scale", "iterations_mean", "fit_operations_mean", "cpu_seconds_mean", "cpu_seconds_sd",
         "energy_joules"]].round(3)

# %% [markdown]
# ## Cost per improvement (descriptive, CPU time)

# %%
training = units.assign(cpu_seconds=units.fit_cpu_seconds)
steps = cost.cost_per_improvement(evaluations, training)
run.save_table(steps, "cost_per_improvement")
steps.query("attribute == 'all'")[["model", "scale_from", "scale_to", "extra_cpu_seconds", "reduction_pp",
                                   "cpu_seconds_per_pp"]].round(3)

# %% [markdown]
# ## Every configuration's loss, with joint resamples of seeds and test rows
#
# A configuration is a model at one training-set size (axis `rows`) or at one
# capacity value at a fixed size (axis `capacity`). Each loss the claims and
# their sensitivity grids use is resampled `cost.bootstrap` times.

# %%
test, meta = ingest.read_processed(run.paths.processed)
base_rate = float(pd.read_parquet(run.paths.processed / "train.parquet", columns=["y"])["y"].mean())
evaluable = ingest.evaluable_communities(run.load_table("datasheet"))
configured = pd.concat([units.assign(axis="rows", capacity=np.nan), capacity_units.assign(axis="capacity")],
                       ignore_index=True)
losses = sorted({config["loss"], *c6.SPEC.grid["loss"], *c7.SPEC.grid["loss"]})
draws = {loss: error_draws.loss_draws_streamed(  # one pass over the unit cache per loss, a batch at a time
    test["y"].to_numpy(), configured, sweep.iter_scores(configured, run.paths.unit_cache), test[meta["attributes"]],
    evaluable, base_rate, loss, run.study["evaluation"]["threshold"], config["bootstrap"]) for loss in losses}
declared = draws[config["loss"]]
configs = declared.configs.assign(**{f"aggregate_{config['loss']}": declared.point[:, 0]})
run.save_table(configs, "configurations")
configs

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for (axis, model, scale), group in configs.groupby(["axis", "model", "scale"]):
    if axis == "rows" or scale == configs[configs.axis == "capacity"].scale.max():
        ax.plot(group.fit_operations, group[f"aggregate_{config['loss']}"], marker="o" if axis == "rows" else "s",
                ls="-" if axis == "rows" else "--", color=MODEL_COLORS.get(model),
                label=f"{model}, {axis}" + (f" (n = {scale:,})" if axis == "capacity" else ""))
ax.set(xscale="log", yscale="log", xlabel="fit operations (rows x input columns x iterations)",
       ylabel=f"test {config['loss']} (all people)", title=f"{run.study.name}: loss against training compute")
ax.legend(fontsize=7)
run.save_figure(fig, "07_loss_vs_compute", caption=(
    "Aggregate test loss against fit operations (rows x input columns x iterations), log-log axes; solid: "
    "more training rows, dashed: more boosting rounds at the largest capacity size. Look at whether each "
    "curve bends towards flat: a straight line is a pure power law, no diminishing returns (claim C6)."))

# %% [markdown]
# ## C6: does the gain per doubling of compute shrink?
#
# Per curve, the loss is fitted as a quadratic in log2 compute; 2c is how much
# the loss gained per doubling shrinks per doubling (> 0: each equal gain costs
# multiplicatively more compute, the papers' claim). Second, the same on log
# loss: there a pure power law (the same share of loss removed by every
# doubling) has 2c = 0, so 2c > 0 means returns diminish faster than a power
# law's.

# %%
curvature = curvature_table(declared.configs, declared.point, declared.boot, config["skip_smallest"],
                            claims.LEVEL, scale="linear")
run.save_table(curvature, "curvature")
curvature_log = curvature_table(declared.configs, declared.point, declared.boot, config["skip_smallest"],
                                claims.LEVEL, scale="log")
run.save_table(curvature_log, "curvature_log")
display(curvature.round(4))
curvature_log.round(4)

# %% [markdown]
# ## C7: the cheapest small configuration within the margin, per community

# %%
served, shares, majority = served_table(declared.targets, declared.configs, declared.point, declared.boot,
                                        declared.trivial_point, declared.trivial_boot, config["margin"],
                                        config["small_share"], claims.LEVEL)
run.save_table(served, "small_models_served")
fig, ax = plt.subplots(figsize=(7, 0.22 * len(served) + 1))
labels = served.attribute + ": " + served.community
ax.barh(labels, served.excess.clip(upper=3), color=np.where(served.served, "#4daf4a", "#e41a1c"))
ax.axvline(config["margin"], ls=":", color="grey")
ax.set(xlabel="best small configuration's excess loss, as a share of the trivial-to-best gap (clipped at 3)",
       title=f"{run.study.name}: served (green) or not by <= {config['small_share']:.0%} of the largest compute")
run.save_figure(fig, "07_small_models_served", caption=(
    "Per community, the best small configuration's excess loss over the best configuration, as a share of the "
    "gap between a trivial model and the best (clipped at 3); green: within the margin (dotted). Look at "
    "how many bars are green: C7 asks whether more than half are (claim C7)."))
served.round(4)

# %% [markdown]
# ## Sensitivity: the verdicts over a grid of reasonable settings
#
# Each setting is moved one at a time to each grid value, the others kept at
# the study file's values; a verdict that changes is marked fragile.

# %%
c6_claim, c6_grid = claims.sensitivity(functools.partial(c6.evaluate, draws), c6.SPEC.arguments(run.study),
                                       c6.SPEC.grid)
c7_claim, c7_grid = claims.sensitivity(functools.partial(c7.evaluate, draws), c7.SPEC.arguments(run.study),
                                       c7.SPEC.grid)
run.save_claims([c6_claim, c7_claim])
grid = pd.concat([c6_grid.assign(claim="C6"), c7_grid.assign(claim="C7")], ignore_index=True)
run.save_table(grid, "cost_sensitivity")
grid

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
def robustness(claim):
    return (f"fragile: {claim.grid_agreement:.0%} of the grid agrees" if claim.fragile
            else f"the whole grid agrees ({claim.grid})")


display(Markdown(
    f"All {len(units) + len(capacity_units)} models took {units.cpu_seconds.sum() + capacity_units.cpu_seconds.sum():,.0f} "
    f"CPU-seconds (about {compute.energy_joules.sum() / 3.6e6 * 1000:.2f} Wh for the training-rows sweep at "
    f"{config['watts_per_core']:g} W per core, an assumption); {len(configs)} configurations, the largest "
    f"{configs.fit_operations.max():.3g} fit operations.\n\n"
    f"**C6 ({c6_claim.verdict}; {robustness(c6_claim)}):** {c6_claim.effect_name} = {c6_claim.effect:.3g} "
    f"[{c6_claim.ci_low:.3g}, {c6_claim.ci_high:.3g}]. {c6_claim.details}.\n\n"
    f"**C7 ({c7_claim.verdict}; {robustness(c7_claim)}):** {c7_claim.effect_name} = {c7_claim.effect:.3g} "
    f"[{c7_claim.ci_low:.3g}, {c7_claim.ci_high:.3g}]. {c7_claim.details}."
))
