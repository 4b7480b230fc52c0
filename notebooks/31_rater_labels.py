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
# # 1. People's labels, by rater group (claim C2 in rater space)
#
# **Question.** Diaz & Madaio's sharpest point is that communities hold
# different values, so one model cannot be "better" for all of them. The most
# direct evidence is the same items labelled by different groups of people.
# This notebook fetches a rater-level dataset from its canonical URL (checked
# against its sha256), turns it into the standard tables (ratings: item,
# rater, label; raters: rater and attributes; items: item and text), and lists
# which rater groups of `raters.attribute` (or of its intersections with
# `raters.intersect_with`) can be evaluated, and why not.
#
# C2 asks whether a growing sample holds more communities. Here the sample is
# raters: adding raters in random order, more groups appear, but that is a
# sampling identity (the curve is shown, not tested); a test needs a
# recruitment order, which these files do not record.

# %% tags=["parameters"]
study = "popquorn"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "31_rater_labels")

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import claims, rater_groups, rater_growth, rater_labels

config = run.study["raters"]
attribute = rater_groups.community_column(config)
tables = rater_labels.LOADERS[config["source"]]()
rater_labels.check_first_hashes(tables.files, run.study.file)  # DICES publishes no sha256: pin the first copy
known = [c for c in tables.raters.columns if c not in ("rater", "group_aggregate")]
for key in ("attribute", "intersect_with"):
    if config[key] is not None and config[key] not in known:
        raise ValueError(f"raters.{key} {config[key]!r} is not a rater attribute of {config['source']}; "
                         f"attributes: {known}")
all_raters = tables.raters if not config["intersect_with"] else \
    rater_groups.with_intersection(tables.raters, config["attribute"], config["intersect_with"])
display(Markdown("Files read (sha256 checked against the registry, or against the first copy's record): "
                 + ", ".join(f"`{p.split('/data/')[-1]}` `{h[:12]}`" for p, h in tables.files.items())))

# %% [markdown]
# ## The standard tables
#
# Only raters with a value of the attribute are kept, so that the pooled label
# is the majority of the same people whose groups are compared.

# %%
raters = all_raters[all_raters[attribute].notna()].reset_index(drop=True)
ratings = tables.ratings[tables.ratings.rater.isin(raters.rater)].reset_index(drop=True)
items = tables.items[tables.items.item.isin(ratings.item)].reset_index(drop=True)
for frame, name in ((ratings, "ratings"), (raters, "raters"), (items, "items")):
    run.save_table(frame, name)
display(Markdown(f"{len(ratings):,} ratings of {ratings.item.nunique():,} items by {len(raters):,} raters; labels "
                 f"{tables.values} ({tables.level}); attribute `{attribute}`."))
raters[attribute].value_counts().rename("raters").to_frame()

# %% [markdown]
# ## Datasheet: which groups can be evaluated
#
# A group is evaluated when it has labelled at least `raters.min_items` items
# (its own label of an item is its raters' majority; a tie gives none).

# %%
sheet = rater_labels.evaluable_groups(ratings, raters, attribute, min_raters=1, min_items=config["min_items"])
run.save_table(sheet, "datasheet")
single = rater_groups.single_group_reason(rater_groups.require_evaluable(sheet, config["min_items"]), attribute,
                                          config["min_items"])
if single:
    display(Markdown(f"{single}: cross-group agreement, the shuffle test and C5 are not applicable."))
sheet

# %% [markdown]
# ## C2 in rater space: groups represented as raters are added

# %%
orders = rater_growth.random_orders(raters, 50)
curves = rater_growth.groups_represented(raters, attribute, orders)
fig, ax = plt.subplots(figsize=(6, 3.5))
x = np.arange(1, curves.shape[1] + 1)
ax.plot(x, curves.mean(axis=0), color="C0", label=f"mean of {len(orders)} random orders")
ax.fill_between(x, *np.percentile(curves, [2.5, 97.5], axis=0), color="C0", alpha=0.2, label="95% of orders")
ax.set(xscale="log", xlabel="raters added", ylabel=f"groups of {attribute} represented")
ax.legend()
run.save_figure(fig, "31_groups_as_raters_added", caption=(
    f"Distinct groups of {attribute} among the first k raters, over random orders of recruitment. Look at how many "
    "raters it takes before the smallest groups appear at all: a pool recruited at random holds its small groups "
    "only when it is large, which is why they are the ones with the fewest items."))

# %% [markdown]
# And whom does the pooled label follow? The pooled label of the first k
# raters outside a group (their majority) against that group's own label (all
# its raters), over 20 of the same random orders. The group's raters are left
# out of the pool, or agreement with a large group would be mostly the group
# agreeing with itself; a group whose label rests on one rater per item agrees
# less with anyone from noise alone (the table gives the raters behind it).

# %%
evaluable = sheet[sheet.evaluable].group.astype(str).tolist()
binary = set(ratings.label.unique()) <= {0.0, 1.0}
steps = sorted({k for k in np.unique(np.geomspace(2, len(raters), 8).astype(int))} | {len(raters)})
agreement = rater_growth.pooled_agreement(ratings, raters, attribute, evaluable, steps, orders[:20],
                                          None if binary else config["positive_from"])
run.save_table(agreement, "pooled_agreement_as_raters_added")
if agreement.agreement.notna().any():
    fig, ax = plt.subplots(figsize=(6, 3.5))
    sns.lineplot(agreement, x="raters", y="agreement", hue="group", errorbar=("pi", 95), marker="o", ax=ax)
    ax.set(xscale="log", xlabel="raters added", ylabel="pooled label agrees with the group's")
    run.save_figure(fig, "31_pooled_agreement_as_raters_added", caption=(
        "Share of items on which the majority of the first k raters from outside a group agrees with the group's "
        "own majority label (bands: 95% of random orders). Look at the right end: the groups whose line stays "
        "low are those everyone else's majority does not speak for (read with the raters behind each group's "
        "label: one rater per item is noisy)."))
    last = agreement[agreement.raters == agreement.groupby("group").raters.transform("max")]
    display(last.groupby("group")[["raters", "agreement", "items", "group_raters_per_item"]].mean().round(3))
c2 = claims.not_applicable(
    "C2", "raters were added in no recorded order: in random order, more groups with more raters is a sampling "
          "identity (the curve is descriptive); a test needs a recruitment order or several sources",
    effect_name="groups represented as raters are added")
run.save_claims([c2])

# %% [markdown]
# ## Provenance

# %%
run.show_provenance()
