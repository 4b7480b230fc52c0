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
# # 6. Whose values? Costs, thresholds and an alternative outcome (claim C5)
#
# **Question.** Diaz & Madaio argue that communities may hold different values,
# and that these may conflict, so no single model serves everyone best. Judging
# the same predictions by community-specific values, which model, training-set
# size and decision threshold would each community choose, is any single choice
# near-optimal for all, and how does that change as the training set grows?
#
# Values are expressed two ways, both set in the study file:
#
# - **costs** of a false positive vs a false negative (`values.profiles`), e.g.
#   a community that fears being wrongly flagged (false alarms cost 4x) versus
#   one that fears being overlooked (misses cost 4x);
# - **alternative outcomes** (`data.alternative_outcomes`): a different
#   definition of the good outcome, built from the data's own columns. For the
#   census the label is only "income above $50k"; a community whose members
#   work steadily for modest pay may judge a model by whether it recognises
#   steady, full-year work (50+ weeks worked), scored with the same predictions.
#
# For each community the best choice minimises its seed-mean cost per person.
# A common choice's *regret* for a community is its extra cost relative to that
# community's own best; the best common choice minimises the largest regret
# (minimax). Scenario "mixed" judges every community under every profile and
# outcome at once (communities holding different values); the single-value
# scenarios show how much conflict comes from the data alone.

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "06_values")

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from community_scaling import ingest, sweep, values

config = run.study["values"]
test, meta = ingest.read_processed(run.paths.processed)
units = run.load_table("units")
evaluable = ingest.evaluable_communities(run.load_table("datasheet"))
scores = sweep.load_scores(units, run.paths.unit_cache)
costs = values.expected_costs(scores, units, test, meta["attributes"], config["profiles"],
                              meta["outcomes"], config["thresholds"])
chosen = values.choices(costs)
conflicts = values.conflict(costs, evaluable, config["tolerance"])
run.save_table(chosen, "value_choices")
run.save_table(conflicts, "value_conflict")
largest = chosen["max_scale"].max()
best = chosen[chosen.max_scale == largest]
best.pivot_table(index=["attribute", "community"], columns=["outcome", "profile"], values="threshold", aggfunc="first")

# %% [markdown]
# ## Each community's own best choice at the largest size
#
# Thresholds above; models and sizes below. Different rows with different
# entries are communities that would choose differently.

# %%
best.assign(choice=best.model.str.replace("_", " ") + " @ " + best.scale.astype(str)).pivot_table(
    index=["attribute", "community"], columns=["outcome", "profile"], values="choice", aggfunc="first")

# %% [markdown]
# ## How conflict changes with n

# %%
fig, ax = plt.subplots(figsize=(7, 4.5))
sns.lineplot(conflicts, x="max_scale", y="minimax_regret", hue="scenario", marker="o", ax=ax)
ax.axhline(config["tolerance"], ls=":", color="grey", label="tolerance")
ax.set(xscale="log", yscale="symlog", xlabel="largest training-set size allowed",
       ylabel="minimax relative regret of the best common choice",
       title=f"{run.study.name}: can one choice serve every community?")
ax.legend(fontsize=8)
run.save_figure(fig, "06_value_conflict", caption=(
    "Minimax relative regret of the best single choice of model, size and threshold for all communities, "
    "against the largest training-set size allowed, per value scenario; dotted: the tolerance. Look at lines "
    "above the tolerance: no one choice serves every community there (claim C5)."))

# %%
conflicts[conflicts.max_scale == largest][["scenario", "minimax_regret", "ci_low", "ci_high", "model", "scale",
                                            "threshold", "binding", "share_within_tolerance"]].round(4)

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
claim = values.claim_c5(conflicts, config["tolerance"])
run.save_claims([claim])
at_largest = conflicts[conflicts.max_scale == largest].set_index("scenario")
single = at_largest.drop(index="mixed")
display(Markdown(
    f"At the largest size (n = {largest:,}), the best common choice leaves some community with a relative regret "
    f"of {at_largest.loc['mixed', 'minimax_regret']:.3f} when communities hold different values (mixed), and "
    f"between {single.minimax_regret.min():.3f} and {single.minimax_regret.max():.3f} when all hold the same one "
    f"(tolerance {config['tolerance']:g}).\n\n"
    f"**C5 ({claim.verdict}):** {claim.effect_name} = {claim.effect:.3g} [{claim.ci_low:.3g}, {claim.ci_high:.3g}]. "
    f"{claim.details}"
))
