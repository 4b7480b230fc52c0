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
# # 3. A family's sizes x training checkpoints, per group
#
# **Question.** The papers' second axis is data: does training on more tokens
# serve every group? Pythia published zero-shot evaluations of every model size
# (70M to 12B, on the Pile and on the deduplicated Pile) at 27 checkpoints of
# one training run each, per MMLU subject and per CrowS-Pairs bias category.
# This notebook fetches those files from their canonical URLs (each checked
# against its sha256), parses them and writes the standard tables, with each
# row's training step and tokens (2,097,152 per step):
#
# - **evaluations**: one row per model x checkpoint x task x community x metric;
# - **compute**: per checkpoint, parameters, tokens and training FLOPs
#   (about 6 x parameters x tokens);
# - **datasheet**: which curves (along tokens within a size) can be evaluated.
#
# **Caveat.** The checkpoints of one run share one learning-rate schedule
# (warm-up, then cosine decay over 143,000 steps), so an early checkpoint is not
# a model trained to completion on that many tokens (the Chinchilla design
# trains separate runs). Step 0 is the untrained initialisation; checkpoints
# before `published.min_step` are left out of every analysis.

# %% tags=["parameters"]
study = "pythia_grid"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "23_grid_results")

# %%
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import llm_results, model_size, token_scaling

published = run.study["published"]
if published["source"] != "pythia_grid":
    raise ValueError(f"published.source must be pythia_grid for a published_grid study, got {published['source']!r}")
if published["caveat"]:
    display(Markdown(f"**Caveat (study file).** {published['caveat']}"))

# %% [markdown]
# ## The raw files, fetched and checked

# %%
names = llm_results.files(published["source"], published["families"] or None)
raw = llm_results.load(published["source"], published["families"] or None)
sources = llm_results.registered_sources(names)
run.save_table(sources, "sources")
display(Markdown(f"{len(names)} files ({raw.model.nunique()} models x {raw.step.nunique()} checkpoints), "
                 f"{len(raw):,} published values, every file's sha256 checked."))

# %% [markdown]
# ## The standard tables

# %%
evaluations, compute = llm_results.standard_tables(raw)
run.save_table(evaluations, "evaluations")
run.save_table(compute, "compute")
kept = token_scaling.trained(evaluations, published["min_step"])
display(Markdown(f"Checkpoints kept for the analysis: steps {kept.step.min():,} to {kept.step.max():,} "
                 f"({kept.step.nunique()} of {evaluations.step.nunique()}; step 0 and the steps before "
                 f"published.min_step = {published['min_step']:,} are left out), "
                 f"{kept.training_tokens.min():.3g} to {kept.training_tokens.max():.3g} tokens."))

# %% [markdown]
# ## Datasheet: which curves along tokens can be evaluated
#
# A curve is one model size's values for one task, community and metric over
# its kept checkpoints; evaluable with at least `published.min_sizes`
# checkpoints and a published standard error at each.

# %%
tokens = token_scaling.along_tokens(kept)
curves = tokens.groupby(model_size.CURVE, as_index=False).agg(
    checkpoints=("scale", "nunique"), stderr_published=("stderr", lambda s: bool(s.notna().all())),
    items=("n_eval", "median"), derived=("derived", "first"))
curves["reason"] = ""
curves.loc[curves.checkpoints < published["min_sizes"], "reason"] = "fewer than published.min_sizes checkpoints"
curves.loc[~curves.stderr_published, "reason"] = "no published standard error at some checkpoint"
curves["evaluable"] = curves.reason == ""
run.save_table(curves, "datasheet")
display(Markdown(f"{int(curves.evaluable.sum())} of {len(curves)} curves evaluable."))
curves.groupby(["attribute", "metric"]).agg(communities=("community", "nunique"), evaluable=("evaluable", "sum"))

# %% [markdown]
# ## The aggregates, by training tokens
#
# Each line is one model size (darker = larger); dashed: chance accuracy, or
# no preference (stereotype share 0.5).

# %%
plot = tokens[tokens.community == model_size.AGGREGATE].merge(
    compute[["size_name", "parameters"]].drop_duplicates(), left_on="model", right_on="size_name",
    suffixes=("", "_card"))
plot = plot.assign(line=plot.model.str.endswith("-deduped").map({True: "deduplicated", False: "standard"}))
grid = sns.relplot(data=plot, x="scale", y="value", hue="parameters", hue_norm=sns.utils.mpl.colors.LogNorm(),
                   style="line", units="model", estimator=None, col="attribute", col_wrap=4, kind="line",
                   facet_kws={"sharey": False}, height=2.4, aspect=1.2, palette="viridis", lw=0.9)
grid.set(xscale="log")
for attribute, ax in grid.axes_dict.items():
    chance = tokens[(tokens.attribute == attribute)].chance_badness.dropna()
    metric = tokens[tokens.attribute == attribute].metric.iloc[0]
    if len(chance):
        ax.axhline(1 - chance.iloc[0] if metric == "accuracy" else 0.5, ls="--", color="grey", lw=0.8)
grid.set_axis_labels("training tokens", "published value (aggregate)")
run.save_figure(grid.figure, "23_aggregates_by_tokens", caption=(
    "Aggregate value of each task (MMLU: the equal-weight mean of its 57 subjects; CrowS-Pairs: the published "
    "overall stereotype share) against training tokens, one line per model size (colour: parameters) and data "
    "(line style). Dashed: chance accuracy, or 0.5 stereotype share. The checkpoints share one learning-rate "
    "schedule per size: not models trained to completion on each token count."))

# %% [markdown]
# ## Provenance

# %%
run.show_provenance()
