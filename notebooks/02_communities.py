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
# # 2. Do communities grow with data? (claim C2)
#
# **Question.** Diaz & Madaio argue that as datasets grow they hold more
# distinct communities. In a random training sample of size *n* drawn from this
# study's population, how many distinct communities of each attribute do we
# expect to see, how close is that to all of them, and at what *n* does each
# community first have enough members to be evaluated on its own?
#
# Methods: the exact expected number of distinct communities in a sample drawn
# without replacement (rarefaction), checked by Monte Carlo; a Heaps-law fit
# (S = K n^beta) as a summary over the swept sizes; Chao1 and sample coverage
# of the smallest swept sample; and, per community, the sample size at which
# its expected count, and its 95%-assured count, reach `evaluation.min_count`.
# These describe random subsampling, where richness rising with *n* is a
# sampling identity. The claim itself is tested where it can fail: data that
# grow source by source (by survey year, for the census).

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "02_communities")

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import communities
from community_scaling.claims import c2_more_communities as c2

attributes = run.study.attributes
train = pd.read_parquet(run.paths.processed / "train.parquet", columns=attributes)
sizes = run.study.sizes(len(train))
min_count = run.study["evaluation"]["min_count"]
richness = communities.richness_table(train[attributes], sizes, draws=200, seed=0)
run.save_table(richness, "richness")
richness.round(2)

# %% [markdown]
# ## Heaps-law summary, Chao1 and coverage
#
# With a finite number of communities the curve must saturate, so the Heaps
# exponent describes the swept range only. Chao1 and coverage are computed
# from one random sample of the smallest swept size: how much of the
# community structure a small training set can even see.

# %%
heaps = {a: communities.heaps_fit(g["n"], g["expected"]) for a, g in richness.groupby("attribute")}
summary = communities.community_summary(train[attributes], min_count=min_count, sample_n=sizes[0])
first_n = summary.communities
heaps_table = pd.DataFrame(heaps).T.rename_axis("attribute").reset_index()
run.save_table(heaps_table, "heaps")
run.save_table(summary.attributes, "community_summary")
run.save_table(first_n, "first_evaluable_n")
display(heaps_table.round(3))
summary.attributes.round(3)

# %% [markdown]
# ## When does each community become evaluable?

# %%
with pd.option_context("display.max_rows", 100):
    display(first_n.sort_values(["attribute", "share"]).round(4))

# %%
grid = sns.relplot(richness, x="n", y="expected", col="attribute", col_wrap=3, kind="line", marker="o",
                   facet_kws={"sharey": False}, height=2.6, aspect=1.3)
for ax, (attribute, group) in zip(grid.axes.flat, richness.groupby("attribute", sort=False)):
    ax.fill_between(group["n"], group["mc_q05"], group["mc_q95"], alpha=0.3)
    ax.axhline(group["communities_total"].iloc[0], ls=":", color="grey")
grid.set(xscale="log", xlabel="sample size n", ylabel="expected distinct communities")
grid.figure.suptitle(f"{run.study.name}: distinct communities in a random sample (band: Monte-Carlo 5-95%)", y=1.02)
run.save_figure(grid.figure, "02_richness", caption=(
    "Expected number of distinct communities in a random sample of n people, one panel per attribute "
    "(line: exact rarefaction; band: Monte-Carlo 5-95%; dotted: all communities in the data). Look at how "
    "far below its dotted line each curve starts: at small n whole communities are missing (claim C2)."))

# %% [markdown]
# ## C2 where it can fail: data that grow source by source
#
# Under random subsampling the curves above must rise: the whole training set
# holds every community, so C2 would be a sampling identity. The test instead
# adds the data source by source (`data.growth_source`, in `data.growth_order`
# when one is declared) and counts communities with at least
# `evaluation.min_count` members. Even then richness grows by sampling alone
# (rare communities reach the threshold as rows pile up), so each new source's
# gain is set against the exact expected gain from as many more rows of the
# kind already in. Exchangeable sources (rows independent and identically
# distributed, whatever their source) are the null: source labels permuted
# among rows give its distribution and a one-sided p-value. The effect is the
# communities new sources bring beyond that, with an interval from resampling
# rows within each source (all attributes from the same draw). The verdict is
# recomputed over a grid of `min_count` values.

# %%
from functools import partial

from community_scaling import claims

data = run.study["data"]
source = (pd.read_parquet(run.paths.processed / "train.parquet", columns=[data["growth_source"]])[data["growth_source"]]
          if data["growth_source"] else None)
claim, grid_table = claims.sensitivity(
    partial(c2.evaluate, train[attributes] if source is not None else None, source, order=data["growth_order"] or None),
    c2.SPEC.arguments(run.study), c2.SPEC.grid)
run.save_claims([claim])
display(Markdown(f"**C2 ({claim.verdict}):** {claim.details or claim.rule}"))
grid_table

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
first = richness.groupby("attribute").agg(smallest=("expected", "first"), largest=("expected", "last"),
                                         total=("communities_total", "first"))
lines = [f"- **{a}:** {r.smallest:.1f} expected distinct communities at n = {sizes[0]:,}, "
         f"{r.largest:.1f} at n = {sizes[-1]:,} (of {int(r.total)} in the population)" for a, r in first.iterrows()]
never = first_n[first_n["n_expected"].isna()]
display(Markdown("\n".join(lines) + f"\n\n{len(never)} communities never reach {min_count} members even in the "
                 f"full training set (random subsampling: descriptive, a sampling identity).\n\n"
                 f"**C2 ({claim.verdict}"
                 + (f"; fragile: {claim.grid_agreement:.0%} of the grid agrees" if claim.fragile else "") + "):** "
                 + (claim.rule if claim.verdict == "not applicable" else
                    f"{claim.effect_name} = {claim.effect:.3g} [{claim.ci_low:.3g}, {claim.ci_high:.3g}]. {claim.details}")))
