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
# # 1. The Learning Curve Database, as a standard table
#
# **Question.** The claims are about tasks in general, not one census: does
# error fall as a power law of training-set size, does the answer depend on the
# metric, does a cheap learner serve most tasks, and what does the gain cost?
# The Learning Curve Database (LCDB 1.0; Mohr, Viering, Loog et al. 2022)
# holds learning curves of 20 scikit-learn learners on 248 OpenML
# classification datasets, at training sizes from 16 rows growing by a factor
# of about 1.41, for 5 outer seeds (test splits) x usually 5 inner seeds
# (training splits), with accuracy, log-loss (and AUC and F1 on the binary
# datasets) and training time. The PyPI package `lcdb` 0.1.0 (MIT) ships them
# as CSV files; this notebook reads them directly (the package's own module
# imports `openml`, which it does not declare, and is not needed) and writes:
#
# - **curves**: one row per dataset x learner x training size x outer seed x
#   inner seed x metric, the value lower-is-better (error = 1 - accuracy;
#   log-loss as published), with the training time in seconds;
# - **datasets**: each dataset's name, size, classes and majority-class error
#   (the trivial model);
# - **datasheet**: per curve, its sizes and seeds.
#
# Each dataset x learner curve is a unit; datasets are the units of resampling.
# There are no communities of people here: C2, C3 and C5 cannot be read from
# these files (notebook 2 says why).

# %% tags=["parameters"]
study = "lcdb"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "41_curve_database")

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import lcdb_curves
from community_scaling.io import sha256_file

settings = run.study["curves"]
METRICS = ("error", "log_loss")

# %% [markdown]
# ## The raw files, inside the installed package

# %%
files = lcdb_curves.package_files()
used = {lcdb_curves.METRICS[m][0] for m in METRICS} | {"datasets"}
sources = pd.DataFrame([{"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path),
                         "read": stem in used} for stem, path in files.items()])
run.save_table(sources, "sources")
display(Markdown(f"Package `{lcdb_curves.DISTRIBUTION}` {lcdb_curves.VERSION}: {len(sources)} files, "
                 f"{sources.bytes.sum() / 1e6:,.0f} MB; this study reads {int(sources.read.sum())} of them "
                 "(the columns it needs only)."))
sources

# %% [markdown]
# ## The standard tables

# %%
curves, datasets = lcdb_curves.standard_table(METRICS, settings["learners"] or None, settings["max_datasets"])
if curves.empty:
    raise ValueError(f"no LCDB rows for curves.learners = {settings['learners']}; learners: "
                     "see lcdb_curves.short_name of the files' learner column")
unknown = sorted(set(settings["learners"]) - set(curves.learner.astype(str)))
if unknown:
    raise ValueError(f"curves.learners names {unknown}, which LCDB does not hold")
run.save_table(curves, "curves")
run.save_table(datasets, "datasets")
display(Markdown(
    f"{len(curves):,} rows: {curves.dataset.nunique()} datasets x {curves.learner.nunique()} learners, "
    f"{curves.train_size.nunique()} distinct training sizes ({curves.train_size.min():,} to "
    f"{curves.train_size.max():,}), metrics {', '.join(METRICS)}; "
    f"{curves.memory_usage(deep=True).sum() / 1e6:,.0f} MB in memory."))

# %% [markdown]
# ## Datasheet: the curves
#
# A curve is one learner on one dataset. Its largest size is about 90% of the
# dataset's training pool (LCDB holds out the test split, then a validation
# split), so curves on small datasets are short. Outer seeds are counted at the
# curve's largest size too, where LCDB's runs sometimes timed out.

# %%
error = curves[curves.metric == "error"]
per_size = error.groupby(["dataset", "learner", "train_size"], observed=True).agg(
    outer_seeds=("outer_seed", "nunique"), runs=("value", "size")).reset_index()
datasheet = per_size.groupby(["dataset", "learner"], observed=True).agg(
    sizes=("train_size", "nunique"), smallest=("train_size", "min"), largest=("train_size", "max"),
    outer_seeds=("outer_seeds", "max"), outer_seeds_at_largest=("outer_seeds", "last"),
    runs=("runs", "sum")).reset_index()
datasheet["learner"] = datasheet.learner.astype(str)
datasheet = datasheet.merge(datasets[["dataset", "name", "instances", "classes"]], on="dataset", how="left")
run.save_table(datasheet, "datasheet")
hard = lcdb_curves.hard_prediction_share(curves)
display(Markdown(
    f"{len(datasheet):,} curves; sizes per curve: median {datasheet.sizes.median():.0f} "
    f"(range {datasheet.sizes.min()}-{datasheet.sizes.max()}); outer seeds per curve: "
    + ", ".join(f"{k}: {v}" for k, v in datasheet.outer_seeds.value_counts().sort_index().items())
    + f". The package's datasets.csv describes {len(datasets)} of the {curves.dataset.nunique()} datasets "
    "(the others have no name, size or majority class in it, so C7 cannot judge them): "
    f"{datasets.instances.min():,} to {datasets.instances.max():,} rows, "
    f"{datasets.classes.min()} to {datasets.classes.max()} classes, {int((datasets.classes == 2).sum())} binary.\n\n"
    "**Log-loss of hard predictions.** LCDB fits " + ", ".join(lcdb_curves.HARD_PREDICTIONS)
    + " without probabilities, so their log-loss is that of 0/1 predictions clipped at 1e-15: "
    f"{lcdb_curves.HARD_LOG_LOSS:.3f} x error on a binary task. The share of rows where it equals that is "
    + ", ".join(f"{r.learner} {r.hard_share:.2f}" for r in hard[hard.hard_predictions].itertuples())
    + "; for the learners with probabilities it is " + ", ".join(
        f"{r.learner} {r.hard_share:.2f}" for r in hard[~hard.hard_predictions].itertuples())
    + " (fully grown trees predict 0/1 probabilities too). C4 compares error and log-loss only on learners "
    "with probabilities."))
hard

# %% [markdown]
# ## Some curves
#
# Error against training-set size on a few datasets (the first by OpenML id),
# one line per learner: the mean over seeds.

# %%
shown = sorted(datasets.dataset)[: settings["figure_curves"]]
plot = (error[error.dataset.isin(shown)].groupby(["dataset", "learner", "train_size"], observed=True)
        .value.mean().reset_index())
plot["learner"] = plot.learner.astype(str)
names = datasets.set_index("dataset").name
plot["dataset"] = plot.dataset.map(lambda d: f"{d} {names.get(d, '')}")
grid = sns.relplot(data=plot, x="train_size", y="value", hue="learner", col="dataset", col_wrap=3, kind="line",
                   height=2.6, aspect=1.2, facet_kws={"sharey": False}, linewidth=0.9)
grid.set(xscale="log", yscale="log")
grid.set_axis_labels("training rows", "test error (mean over seeds)")
run.save_figure(grid.figure, "41_learning_curves", caption=(
    f"Test error against training rows (log-log) on the first {len(shown)} LCDB datasets by OpenML id, one line "
    "per learner (mean over outer and inner seeds). A power law is a straight line here; look for lines that "
    "flatten (a floor), bend up, or cross (which learner is best depends on the size)."))

# %% [markdown]
# ## Provenance

# %%
run.show_provenance()
