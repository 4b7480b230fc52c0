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
# # 3. More labelled items: better for every group? (claims C1, C3, C5)
#
# **Question.** Small text classifiers (TF-IDF words and word pairs, logistic
# regression) are trained on growing numbers of items, on the pooled label
# (the majority of all raters) and on each group's own label, and scored on
# held-out items against every group's labels. Does the pooled model's error
# against a group's labels fall like its error against the pooled label (C3)?
# Does a group's own model beat the pooled one, and from what n on? Can one
# classifier come within `raters.margin` of every group's own best (C5), beyond
# what randomly formed groups of the same sizes would show?
#
# Intervals resample seeds and held-out items jointly (Poisson weights on the
# items, the same for every model and group, so comparisons stay paired). A
# small group has fewer labelled items: its intervals are wider.

# %% tags=["parameters"]
study = "popquorn"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "33_rater_curves")

# %%
import functools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import claims, exponent_spread, group_conflict, rater_groups, spread, text_sweep
from community_scaling.claims import (c1_aggregate_power_law as c1, c3_communities_left_behind as c3,
                                      c5_value_conflict as c5)
from community_scaling.scaling_fits.exponents import community_exponents

config, fits = run.study["raters"], run.study["fits"]
attribute = rater_groups.community_column(config)
ratings, raters, items, sheet = (run.load_table(t) for t in ("ratings", "raters", "items", "datasheet"))
groups = sheet[sheet.evaluable].group.astype(str).tolist()
binary = set(ratings.label.unique()) <= {0.0, 1.0}
labels = text_sweep.label_table(ratings, raters, attribute, groups, None if binary else config["positive_from"])
texts = items.set_index("item").text
train, test = text_sweep.split_items(labels.index, config["test_fraction"], seed=0)
display(Markdown(f"{len(groups)} evaluable groups of `{attribute}`: {', '.join(groups)}; {len(train):,} training "
                 f"and {len(test):,} held-out items; positive share by label: "
                 + ", ".join(f"{c} {v:.2f}" for c, v in labels.mean().items())))

# %% [markdown]
# ## The sweep

# %%
scores = text_sweep.sweep(texts, labels, train, test, config["sizes"], config["seeds"], n_jobs=config["n_jobs"])
weights = text_sweep.item_weights(test, config["bootstrap"])
error, units = text_sweep.errors(scores, labels, test, weights)
n_items = labels.reindex(test).notna().sum().to_numpy()
evaluations, replicates = text_sweep.evaluation_tables(error, units, list(labels.columns), attribute, n_items)
run.save_table(evaluations, "evaluations")
pooled = evaluations[evaluations.model == text_sweep.POOLED]
curve = pooled.groupby(["community", "scale"], as_index=False).value.mean()
fig, ax = plt.subplots(figsize=(7, 4))
sns.lineplot(data=pooled, x="scale", y="value", hue="community", errorbar=("pi", 95), marker="o", ax=ax)
ax.set(xscale="log", xlabel="training items", ylabel="error of the pooled model")
run.save_figure(fig, "33_pooled_model_by_group", caption=(
    "Error of the classifier trained on the pooled label, against the pooled label ('all') and against each "
    "group's own labels, by training items (bands: spread over seeds). Look for a group whose line stays flat or "
    "high while 'all' falls: more data for the pooled model does not bring it what it brings the aggregate."))

# %% [markdown]
# ## Does a group's own model beat the pooled one, and from what n on?

# %%
own_rows = []
for group in groups:
    g = labels.columns.get_loc(group)
    for n in sorted(units.scale.unique()):
        mine = (units.model == group) & (units.scale == n)
        theirs = (units.model == text_sweep.POOLED) & (units.scale == n)
        if not mine.any() or not theirs.any():
            continue
        diff = np.nanmean(error[:, mine.to_numpy(), g], axis=1) - np.nanmean(error[:, theirs.to_numpy(), g], axis=1)
        low, high = np.quantile(diff[1:], [0.025, 0.975])
        own_rows.append({"group": group, "n": n, "own_minus_pooled": diff[0], "ci_low": low, "ci_high": high})
own = pd.DataFrame(own_rows)
run.save_table(own, "own_vs_pooled")
first = own[own.ci_high < 0].groupby("group").n.min()
display(Markdown("Own model better than the pooled one (interval below 0) from: "
                 + (", ".join(f"{g} n = {n}" for g, n in first.items()) or "no group, at any size") + "."))
own

# %% [markdown]
# ## Does the conflict shrink or grow with n?
#
# At each size, the minimax regret among the classifiers trained at that size
# (pooled and each group's own), every group judging by its own labels. This
# is the raw conflict: it includes the regret that noise alone gives, which
# the shuffle test below separates at one size. Resamples redraw seeds and
# held-out items. A minimum of maxima over noisy errors is biased upward under
# resampling, so the band of resamples need not contain the estimate. The
# change is read from paired resamples between the smallest size and the
# largest with the same classifiers (a group's own classifier drops out
# beyond its labelled items, which alone would lower the regret). The noise
# part of the regret shrinks with n too, so a fall alone does not show the
# groups reconciled; a rise, or no change, says more.

# %%
by_n, change = group_conflict.conflict_by_n(error, units, list(labels.columns), groups, level=claims.LEVEL)
run.save_table(by_n, "conflict_by_n")
if len(by_n) >= 2:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.fill_between(by_n.n, by_n.resample_low, by_n.resample_high, alpha=0.2, color="C0",
                    label=f"central {claims.LEVEL:.0%} of resamples")
    ax.plot(by_n.n, by_n.minimax_regret, marker="o", color="C0", label="on the data")
    ax.set(xscale="log", xlabel="training items", ylabel="minimax regret (error)")
    ax.legend()
    run.save_figure(fig, "33_conflict_by_n", caption=(
        "Minimax regret among the classifiers trained at each size, each group judging by its own labels (band: "
        "resamples of seeds and held-out items). Look at whether it stays up as n grows: the noise part of the "
        "regret falls with n, so a level or rising line means the groups' labels differ, not the models' noise; "
        "it also falls where fewer classifiers are left to choose among (a group's own drops out beyond its "
        "labelled items)."))
if change is None:
    display(Markdown("No two sizes have the same classifiers to choose among: the change is not evaluated."))
else:
    direction = ("shrinks" if change["ci_high"] < 0 else "grows" if change["ci_low"] > 0 else
                 "shows no clear change")
    display(Markdown(f"From n = {change['first_n']:,} to n = {change['last_n']:,} ({change['classifiers']} "
                     f"classifiers at both) the raw conflict {direction}: change "
                     f"{change['change']:+.3f} [{change['ci_low']:+.3f}, {change['ci_high']:+.3f}] "
                     f"({claims.LEVEL:.0%} paired interval)."))
by_n

# %% [markdown]
# ## C1 and C3 on the pooled model

# %%
c1_claim, _ = claims.sensitivity(functools.partial(c1.evaluate, pooled, replicates[replicates.model == text_sweep.POOLED]),
                                 {"doublings": fits["extrapolation_doublings"], "n_boot": config["bootstrap"]},
                                 {"doublings": [2.0, 4.0]})
exponents = community_exponents(pooled, replicates=replicates[replicates.model == text_sweep.POOLED],
                                n_boot=config["bootstrap"])
run.save_table(exponents, "community_exponents")  # the site's forest plot of groups reads it
c3_mde = spread.minimum_detectable(exponent_spread.power_curve(exponents, fits["spread_margin"]))


def c3_test(margin, floor_gain, exponent_margin):
    return c3.evaluate(exponents, margin, floor_gain, exponent_margin,
                       mde=c3_mde if margin == fits["spread_margin"] else None)


c3_claim, _ = claims.sensitivity(c3_test, c3.SPEC.arguments(run.study), c3.SPEC.grid)
display(Markdown(claims.summary_line(c1_claim) + "\n\n" + claims.summary_line(c3_claim)))

# %% [markdown]
# ## C5: can one classifier serve every group's own labels?
#
# At the largest size every group's label allows, the minimax regret of the
# classifiers against the groups' own labels, against its distribution when
# rater groups are shuffled (relabelled and retrained). Not applicable when the
# data hold one aggregate label per group (no rater to shuffle).

# %%
per_group = raters[raters[attribute].isin(groups)].groupby(attribute).size()
labelled = labels.reindex(train)[[text_sweep.POOLED, *groups]].notna().sum()  # the pooled label can tie too
n_conflict = max([s for s in config["sizes"] if s <= labelled.min()], default=None)
if per_group.max() < 2:
    c5_claim = c5.evaluate_rater_groups(None, reason="each group is one aggregate label (no rater to shuffle "
                                                     "between groups), so conflict cannot be told from noise")
elif rater_groups.single_group_reason(groups, attribute, config["min_items"]):
    c5_claim = c5.evaluate_rater_groups(None, reason=rater_groups.single_group_reason(groups, attribute,
                                                                                     config["min_items"]))
elif n_conflict is None:
    c5_claim = c5.evaluate_rater_groups(None, reason="fewer than two groups with training items at the smallest size")
else:
    result = group_conflict.conflict_test(ratings, raters, attribute, groups, texts, train, test, n_conflict,
                                          seeds=config["seeds"], positive_from=None if binary else config["positive_from"],
                                          n_boot=config["bootstrap"], permutations=config["conflict_permutations"],
                                          n_jobs=config["n_jobs"])
    c5_claim, _ = claims.sensitivity(functools.partial(c5.evaluate_rater_groups, result),
                                     {"margin": config["margin"]}, {"margin": [config["margin"] / 2, config["margin"] * 2]})
    display(result["errors"])
display(Markdown(claims.summary_line(c5_claim)))

# %% [markdown]
# ## Not applicable here

# %%
reason = ("a rater-label study scores one measure, error against labels, with one classifier family; metric "
          "disagreement and compute are tested on the census and model-size studies")
ledger = [c1_claim, c3_claim,
          claims.not_applicable("C4", reason), c5_claim,
          claims.not_applicable("C6", reason), claims.not_applicable("C7", reason)]
run.save_claims(ledger)
for claim in ledger:
    if claim.claim in ("C4", "C6", "C7"):  # C1, C3 and C5 are shown in their sections
        display(Markdown(claims.summary_line(claim)))

# %% [markdown]
# ## Provenance

# %%
run.show_provenance()
