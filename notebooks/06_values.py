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
# (minimax). The single-value scenarios judge every community by the same
# profile and outcome: the conflict they show comes from the communities' data
# alone, and is shown as n grows.
#
# **The rule (C5).** Values that conflict must be the communities' *own*. The
# study file assigns them (`values.assignment`: for one attribute, each
# community's profile and outcome, every member holding their community's), or
# they are measured per person from data. Each community is then judged by its
# own members' values, and the minimax regret of the best common choice is
# compared with its *permuted-values null*: the same values randomly reassigned
# among the people, keeping every person's predictions, outcome and community
# (`values.permutations` draws). C5 is supported when the regret exceeds
# `values.tolerance` and the permutation p-value is below 0.05; not supported
# when one choice serves every community within the tolerance; inconclusive
# otherwise. When a study assigns no values and the data measure none, C5 is
# **not applicable**: judging every community under opposing cost profiles
# (as this notebook once did) makes conflict true by construction.

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
from IPython.display import display

from community_scaling.safe_markdown import Markdown

import functools

from community_scaling import claims, ingest, own_values, sweep, values
from community_scaling.claims import c5_value_conflict as c5

config = run.study["values"]
test, meta = ingest.read_processed(run.paths.processed)
units = run.load_table("units")
evaluable = ingest.evaluable_communities(run.load_table("datasheet"))
costs = values.expected_costs_streamed(sweep.iter_scores(units, run.paths.unit_cache), test, meta["attributes"],
                                       config["profiles"], meta["outcomes"], config["thresholds"])
chosen = values.choices(costs)
conflicts = values.conflict(costs, evaluable, config["tolerance"])
conflicts = conflicts[conflicts.scenario != "mixed"]  # every value for every community: conflict by construction
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
# ## How conflict from the data alone changes with n
#
# Every community judged by the same profile and outcome (one line per
# scenario).

# %%
fig, ax = plt.subplots(figsize=(7, 4.5))
sns.lineplot(conflicts, x="max_scale", y="minimax_regret", hue="scenario", marker="o", ax=ax)
ax.axhline(config["tolerance"], ls=":", color="grey", label="tolerance")
ax.set(xscale="log", yscale="symlog", xlabel="largest training-set size allowed",
       ylabel="minimax relative regret of the best common choice",
       title=f"{run.study.name}: can one choice serve every community (shared values)?")
ax.legend(fontsize=8)
run.save_figure(fig, "06_value_conflict", caption=(
    "Minimax relative regret of the best single choice of model, size and threshold for all communities, "
    "against the largest training-set size allowed, per value scenario; dotted: the tolerance. Look at lines "
    "above the tolerance: no one choice serves every community there (claim C5)."))

# %%
conflicts[conflicts.max_scale == largest][["scenario", "minimax_regret", "ci_low", "ci_high", "model", "scale",
                                            "threshold", "binding", "share_within_tolerance"]].round(4)

# %% [markdown]
# ## Communities judged by their own values
#
# Only when the study assigns values (`values.assignment`). An assignment in a
# study file is an assumption made for illustration unless the study says where
# it was measured; the verdict holds under that assumption only.

# %%
own = None
if config["assignment"]:
    people = own_values.person_values(test, config["assignment"], config["profiles"], evaluable, meta["outcomes"])
    predicted, options = own_values.seed_mean_predictions_streamed(sweep.iter_scores(units, run.paths.unit_cache),
                                                                   config["thresholds"])
    own = own_values.own_value_conflict(predicted, options, people, n_perm=config["permutations"])
    run.save_table(own, "value_conflict_own")
    if people["dropped"]:
        print(f"left out as not evaluable: {people['dropped']}")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(own.max_scale, own.minimax_regret, "o-", label="own values")
    ax.fill_between(own.max_scale, 0, own.null_q95, alpha=0.3, color="grey", label="permuted values, 95th pct")
    ax.axhline(config["tolerance"], ls=":", color="grey", label="tolerance")
    ax.set(xscale="log", xlabel="largest training-set size allowed", ylabel="minimax relative regret",
           title=f"{run.study.name}: own values vs permuted values ({people['attribute']})")
    ax.legend(fontsize=8)
    run.save_figure(fig, "06_value_conflict_own", caption=(
        "Minimax relative regret of the best common choice when each community is judged by its own values, "
        "against the largest training-set size allowed; grey band: up to the 95th percentile of the same statistic "
        "with values randomly reassigned among people; dotted: the tolerance. Look at whether the line leaves the "
        "band: only then do the communities' own values conflict beyond chance (claim C5)."))
    display(own.round(4))
else:
    print("values.assignment is empty: no community-specific values; C5 is not applicable")

# %% [markdown]
# ## The claim, and how it moves with the settings

# %%
claim, grid = claims.sensitivity(functools.partial(c5.evaluate, own), c5.SPEC.arguments(run.study), c5.SPEC.grid)
run.save_claims([claim])
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
at_largest = conflicts[conflicts.max_scale == largest].set_index("scenario")
text = (f"At the largest size (n = {largest:,}), when every community holds the same value, the best common "
        f"choice leaves some community with a relative regret between {at_largest.minimax_regret.min():.3f} and "
        f"{at_largest.minimax_regret.max():.3f} (tolerance {config['tolerance']:g}): conflict from the data "
        "alone.\n\n")
if own is None:
    text += f"**C5 ({claim.verdict}):** {claim.details}."
else:
    last = own.iloc[-1]
    text += (f"Judged by their own (assigned) values, the minimax regret is {last.minimax_regret:.3f}; with the "
             f"values randomly reassigned among people its median is {last.null_median:.3f} (permutation "
             f"p = {last.p_value:.3g}).\n\n**C5 ({claim.verdict}{', fragile' if claim.fragile else ''}):** "
             f"{claim.effect_name} = {claim.effect:.3g}. {claim.details}. The grid agrees in "
             f"{claim.grid_agreement:.0%} of its settings.")
display(Markdown(text))
