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
# # 1. Published results of model families, per group
#
# **Question.** The two position papers are about large language models: does a
# bigger model serve every language and every group? No sweep here can train
# such models, but their authors published results per group for each model
# size. This notebook fetches those files from their canonical URLs (each
# checked against its sha256), parses them, and turns them into the standard
# tables the analysis reads:
#
# - **evaluations**: one row per model size x task x community x metric, with
#   the published standard error and, for proportions, the number of items it
#   implies;
# - **compute**: parameters and training tokens from the model cards; training
#   FLOPs about 6 x parameters x tokens, inference about 2 x parameters per
#   token (Kaplan et al. 2020);
# - **datasheet**: which curves can be evaluated, and why not.
#
# Each size was evaluated once, so the only noise on record is item sampling,
# through the standard errors. There are no seeds and no test rows to resample.

# %% tags=["parameters"]
study = "llm_multilingual"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "21_published_results")

# %%
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import llm_results, model_size

published = run.study["published"]
if published["caveat"]:
    display(Markdown(f"**Caveat (study file).** {published['caveat']}"))

# %% [markdown]
# ## The raw files, fetched and checked

# %%
names = llm_results.files(published["source"], published["families"] or None)
raw = llm_results.load(published["source"], published["families"] or None)
sources = llm_results.registered_sources(names)
run.save_table(sources, "sources")
display(Markdown(f"{len(names)} files, {len(raw):,} published values, every file's sha256 checked."))
sources.head()

# %% [markdown]
# ## The standard tables

# %%
evaluations, compute = llm_results.standard_tables(raw)
evaluations = model_size.with_aggregates(evaluations)
run.save_table(evaluations, "evaluations")
run.save_table(compute, "compute")
compute

# %% [markdown]
# ## Datasheet: which curves can be evaluated
#
# A curve is one model family's values for one task, community and metric
# across sizes. It is evaluable when it has at least `published.min_sizes`
# sizes and every size has a published standard error. Community "all" is the
# equal-weight mean of a task's communities (computed here, marked `derived`),
# unless the source publishes an overall score.

# %%
curves = evaluations.groupby(model_size.CURVE, as_index=False).agg(
    sizes=("scale", "nunique"), smallest=("scale", "min"), largest=("scale", "max"),
    stderr_published=("stderr", lambda s: bool(s.notna().all())), items=("n_eval", "median"),
    derived=("derived", "first"))
curves["reason"] = ""
curves.loc[curves.sizes < published["min_sizes"], "reason"] = (
    "fewer than published.min_sizes = " + str(published["min_sizes"]) + " sizes")
curves.loc[~curves.stderr_published, "reason"] = curves.reason.where(
    curves.reason == "", curves.reason + "; ") + "no published standard error"
curves["evaluable"] = curves.reason == ""
run.save_table(curves, "datasheet")
display(Markdown(f"{int(curves.evaluable.sum())} of {len(curves)} curves evaluable. Not evaluable: "
                 + (", ".join(f"{n} ({r})" for r, n in curves[~curves.evaluable].reason.value_counts().items())
                    or "none") + "."))
curves.groupby(["model", "attribute", "metric"]).agg(communities=("community", "nunique"),
                                                     evaluable=("evaluable", "sum"), sizes=("sizes", "max"))

# %% [markdown]
# ## The values, by size
#
# Each line is one community; the thick line is the aggregate. The dashed
# line is chance (accuracy) or no bias (stereotype share 0.5).

# %%
plot = evaluations.assign(kind=evaluations.community.eq(model_size.AGGREGATE).map({True: "aggregate",
                                                                                   False: "community"}))
grid = sns.relplot(data=plot, x="scale", y="value", hue="model", units="community", estimator=None,
                   size="kind", sizes={"aggregate": 2.5, "community": 0.6}, col="attribute", row="metric",
                   kind="line", marker="o", markersize=3, facet_kws={"sharey": False}, height=2.6, aspect=1.2,
                   alpha=0.7)
grid.set(xscale="log")
grid.set_titles(template="{row_name}, {col_name}")
if plot.model.nunique() > 12:  # many families: the legend in columns, small
    sns.move_legend(grid, "upper left", bbox_to_anchor=(1.0, 1.0), ncol=3, fontsize=6, title=None, frameon=False)
for (metric, attribute), ax in grid.axes_dict.items():
    rows = evaluations[(evaluations.metric == metric) & (evaluations.attribute == attribute)]
    chance = rows.chance_badness.dropna()
    if len(chance):
        ax.axhline(1 - chance.iloc[0] if metric == "accuracy" else 0.5, ls="--", color="grey", lw=0.8)
grid.set_axis_labels("parameters", "published value")
run.save_figure(grid.figure, "21_values_by_size", caption=(
    "Published value of each community (thin lines) and the aggregate (thick) against parameters, per task "
    "(columns) and metric (rows), for each model family (colours). Dashed: chance accuracy, or 0.5 stereotype "
    "share (no preference). Look for communities whose line stays flat while the aggregate rises."))

# %% [markdown]
# ## Provenance

# %%
run.show_provenance()
