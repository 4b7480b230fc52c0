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
# which rater groups of `raters.attribute` can be evaluated, and why not.
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
from IPython.display import Markdown, display

from community_scaling import claims, rater_labels

config = run.study["raters"]
attribute = config["attribute"]
tables = rater_labels.LOADERS[config["source"]]()
if attribute not in tables.raters:
    raise ValueError(f"raters.attribute {attribute!r} is not a rater attribute of {config['source']}; "
                     f"attributes: {[c for c in tables.raters.columns if c not in ('rater', 'group_aggregate')]}")
display(Markdown("Files read (sha256 checked against the registry where one is pinned): "
                 + ", ".join(f"`{p.split('/data/')[-1]}` `{h[:12]}`" for p, h in tables.files.items())))

# %% [markdown]
# ## The standard tables
#
# Only raters with a value of the attribute are kept, so that the pooled label
# is the majority of the same people whose groups are compared.

# %%
raters = tables.raters[tables.raters[attribute].notna()].reset_index(drop=True)
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
sheet

# %% [markdown]
# ## C2 in rater space: groups represented as raters are added

# %%
rng = np.random.default_rng(0)
group_of = raters.set_index("rater")[attribute]
items_of = ratings.groupby("rater").item.nunique()
curves = []
for draw in range(50):
    order = rng.permutation(raters.rater.to_numpy())
    seen, counts = set(), []
    for rater in order:
        seen.add(group_of[rater])
        counts.append(len(seen))
    curves.append(counts)
curves = np.array(curves)
fig, ax = plt.subplots(figsize=(6, 3.5))
x = np.arange(1, curves.shape[1] + 1)
ax.plot(x, curves.mean(axis=0), color="C0", label="mean of 50 random orders")
ax.fill_between(x, *np.percentile(curves, [2.5, 97.5], axis=0), color="C0", alpha=0.2, label="95% of orders")
ax.set(xscale="log", xlabel="raters added", ylabel=f"groups of {attribute} represented")
ax.legend()
run.save_figure(fig, "31_groups_as_raters_added", caption=(
    f"Distinct groups of {attribute} among the first k raters, over random orders of recruitment. Look at how many "
    "raters it takes before the smallest groups appear at all: a pool recruited at random holds its small groups "
    "only when it is large, which is why they are the ones with the fewest items."))
c2 = claims.not_applicable(
    "C2", "raters were added in no recorded order: in random order, more groups with more raters is a sampling "
          "identity (the curve is descriptive); a test needs a recruitment order or several sources",
    effect_name="groups represented as raters are added")
run.save_claims([c2])

# %% [markdown]
# ## Provenance

# %%
run.show_provenance()
