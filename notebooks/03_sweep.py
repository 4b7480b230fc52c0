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
# # 3. The sweep: train at many sizes, score on one fixed test split
#
# **Question.** How does each model family's test-set performance change as the
# training set grows from about a hundred rows to all of them?
#
# Each unit of work is one (model, training-set size, seed). Subsamples are
# nested: for a seed, size *n* takes the first *n* rows of one random
# permutation, so larger samples contain the smaller ones. Units are cached by
# a hash of the unit, the data and the code, so re-running recomputes nothing
# unchanged; they run through joblib on local processes or a Dask cluster
# (`sweep.backend`, `sweep.scheduler_address`; Dask workers get the data from the
# client and need no shared disk). Every unit's test-set scores are
# kept, and scored here into one tidy table (model x size x seed x community x
# metric) that every later notebook reads.
#
# Hyperparameters stay fixed along each curve: gradient boosting runs with early
# stopping off unless the study declares it (scikit-learn would otherwise switch
# it on above 10,000 rows, a hidden change of capacity between two swept sizes),
# and every unit records the iterations it actually ran. A second axis varies
# **model capacity** (`sweep.capacity`: one hyperparameter per model, such as
# gradient boosting's number of boosting rounds) at a few training sizes
# (`sweep.capacity_sizes`), so notebook 7 can speak of model size as well as
# data size.

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "03_sweep")

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import error_draws, ingest, preflight, sweep
from community_scaling.study import capacity_sizes
from community_scaling.plotting import MODEL_COLORS

config = run.study["sweep"]
test, meta = ingest.read_processed(run.paths.processed)
train_communities = pd.read_parquet(run.paths.processed / "train.parquet", columns=meta["attributes"])
n_train = len(train_communities)
sizes = run.study.sizes(n_train)
# Before any model is fitted: every model family and hyperparameter, and the representation
# sweep's communities and totals against the data.
preflight.check_models(config["models"])
for model, axis in config["capacity"].items():  # every capacity value builds and fits too
    for parameter, values in axis.items():
        for value in values:
            preflight.check_models({model: {**config["models"][model], parameter: value}})
preflight.check_data(run.study, train_communities, ingest.evaluable_communities(run.load_table("datasheet")))
units = sweep.plan_units(config["models"], sizes, config["seeds"])
display(Markdown(f"{len(units)} units: {len(config['models'])} models x {len(sizes)} sizes "
                 f"({sizes[0]:,} to {sizes[-1]:,}) x {config['seeds']} seeds; back end `{config['backend']}`."))

# %%
started = time.perf_counter()
unit_table = sweep.run_sweep(units, run.paths.processed, run.paths.unit_cache, config["backend"],
                             config["n_jobs"], config["scheduler_address"])
sweep_wall = time.perf_counter() - started
run.save_table(unit_table, "units")
unit_table.groupby(["model", "scale"])[["iterations", "fit_operations", "cpu_seconds", "fit_seconds",
                                        "predict_seconds"]].mean().round(3)

# %% [markdown]
# ## Scoring every unit, per community
#
# Communities that fail the datasheet's evaluation rule are scored but flagged
# (`evaluable = False`) and left out of attribute-level summaries.

# %%
sheet = run.load_table("datasheet")
evaluable = ingest.evaluable_communities(sheet)
started = time.perf_counter()
# Streamed over batches of units: every unit's scores are never in memory at once.
evaluations = sweep.evaluate_units(unit_table, run.paths.unit_cache, test["y"].to_numpy(), test[meta["attributes"]],
                                   run.study["evaluation"]["threshold"], evaluable, ["unit_id", "model", "scale", "seed"])
scoring_wall = time.perf_counter() - started
run.save_table(evaluations, "evaluations")
evaluations.head()

# %%
aggregate = evaluations.query("attribute == 'all' and metric == 'error'")
fig, ax = plt.subplots(figsize=(6, 4))
sns.lineplot(aggregate, x="scale", y="value", hue="model", palette=MODEL_COLORS, marker="o", errorbar=("pi", 100), ax=ax)
ax.set(xscale="log", yscale="log", xlabel="training-set size n", ylabel="test error (all people)",
       title=f"{run.study.name}: aggregate error vs training-set size (band: range over seeds)")
run.save_figure(fig, "03_aggregate_error", caption=(
    "Test error for all people against training-set size, one line per model (band: range over seeds), "
    "log-log axes. Look at the slope: a straight line is a power law, a bend toward flat is a floor."))

# %% [markdown]
# ## The capacity axis: one hyperparameter varied at fixed training sizes
#
# Each value of the declared hyperparameter is fitted at each capacity size with
# every seed, the model's other hyperparameters as in the training-rows sweep.
# Notebook 7 reads these units with the others.

# %%
cap_sizes = capacity_sizes(run.study, n_train)
cap_units = sweep.plan_capacity_units(config["models"], config["capacity"], cap_sizes, config["seeds"])
started = time.perf_counter()
if cap_units:
    capacity_table = sweep.run_sweep(cap_units, run.paths.processed, run.paths.unit_cache, config["backend"],
                                     config["n_jobs"], config["scheduler_address"])
    cap_errors = np.concatenate([  # a batch of units' scores at a time
        error_draws.row_losses(test["y"].to_numpy(), scores, "error", run.study["evaluation"]["threshold"]).mean(axis=1)
        for _, scores in sweep.iter_scores(capacity_table, run.paths.unit_cache)])
    capacity_table = capacity_table.assign(error=cap_errors)
else:
    capacity_table = pd.DataFrame(columns=[*unit_table.columns, "capacity_parameter", "capacity", "error"])
capacity_wall = time.perf_counter() - started
run.save_table(capacity_table, "capacity_units")
display(Markdown(f"{len(cap_units)} capacity units: " + ("; ".join(
    f"{m}: {p} in {v}" for m, axis in config["capacity"].items() for p, v in axis.items())
    + f" at n = {', '.join(f'{n:,}' for n in cap_sizes)}" if cap_units else "no capacity axis declared") + "."))
if cap_units:
    fig, ax = plt.subplots(figsize=(6, 4))
    sns.lineplot(capacity_table, x="capacity", y="error", hue="model", style="scale", palette=MODEL_COLORS,
                 marker="o", errorbar=("pi", 100), ax=ax)
    ax.set(xscale="log", xlabel="capacity (the declared hyperparameter)", ylabel="test error (all people)",
           title=f"{run.study.name}: aggregate error vs model capacity")
    run.save_figure(fig, "03_capacity_error", caption=(
        "Aggregate test error against model capacity (the declared hyperparameter, e.g. boosting rounds) at fixed "
        "training-set sizes; band: range over seeds. Look at where each curve flattens: past it, a bigger model "
        "buys little (claims C6, C7)."))
capacity_table.groupby(["model", "scale", "capacity"])[["iterations", "fit_operations", "error"]].mean() \
    if cap_units else capacity_table

# %% [markdown]
# ## Representation sweep: the same total n, a community's share varied
#
# Following Rolf et al. (2021), at fixed totals *n* a community contributes a
# chosen share of the training rows (zero included) and everyone else the rest.
# Notebook 4 fits their model of a community's error as a function of its own
# count and of the total. Units too large for the rows available are skipped
# and listed.

# %%
representation = run.study["representation"]
rep_wall, rep_count = 0.0, 0
rep_rows = pd.DataFrame(columns=["model", "scale", "seed", "boosted", "community_count", "community", "metric", "value"])
if representation["attribute"]:
    attribute = representation["attribute"]
    train_labels = pd.read_parquet(run.paths.processed / "train.parquet", columns=[attribute])[attribute]
    chosen = representation["communities"] or evaluable.get(attribute, [])
    counts = train_labels.value_counts()
    # notebook 1 checked that these communities exist and are evaluable (preflight.check_data)
    rep_units, skipped = sweep.plan_representation_units(
        representation["model"], config["models"][representation["model"]], attribute,
        {c: int(counts[c]) for c in chosen}, representation["totals"], representation["shares"], config["seeds"])
    started = time.perf_counter()
    rep_table = sweep.run_sweep(rep_units, run.paths.processed, run.paths.unit_cache, config["backend"],
                                config["n_jobs"], config["scheduler_address"])
    rep_wall, rep_count = time.perf_counter() - started, len(rep_units)
    rep_eval = sweep.evaluate_units(rep_table.assign(boosted=rep_table.community), run.paths.unit_cache,
                                    test["y"].to_numpy(), test[[attribute]], run.study["evaluation"]["threshold"],
                                    {attribute: evaluable.get(attribute, [])},
                                    ["unit_id", "model", "scale", "seed", "community_count", "boosted"])
    rep_rows = rep_eval[(rep_eval.community == rep_eval.boosted) | (rep_eval.attribute == "all")]
    rep_rows = rep_rows[rep_rows.metric.isin(["error", "log_loss", "brier", "auroc"])]
    display(Markdown(f"{len(rep_units)} representation units for {attribute}: {', '.join(chosen)}; "
                     f"{len(skipped)} skipped" + ("".join(f"\n- {s}" for s in skipped) if skipped else ".")))
run.save_table(rep_rows.reset_index(drop=True), "representation")
run.save_table(pd.DataFrame([{"sweep_wall_seconds": sweep_wall, "scoring_wall_seconds": scoring_wall,
                              "units": len(units), "representation_wall_seconds": rep_wall,
                              "representation_units": rep_count, "capacity_wall_seconds": capacity_wall,
                              "capacity_units": len(cap_units)}]), "sweep_timing")
rep_rows.head()

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
means = aggregate.groupby(["model", "scale"]).value.mean().unstack("scale")
lines = [f"- **{model}:** error {row.iloc[0]:.4f} at n = {row.index[0]:,}, {row.iloc[-1]:.4f} at n = {row.index[-1]:,} "
         f"({row.iloc[-1] / row.iloc[0] - 1:+.0%})" for model, row in means.iterrows()]
degenerate = int(unit_table.degenerate.sum())
iterations = unit_table[~unit_table.degenerate].groupby("model").iterations.agg(["min", "max"])
capacity_lines = []
for (model, parameter, scale), group in capacity_table.groupby(["model", "capacity_parameter", "scale"]):
    curve = group.groupby("capacity").error.mean()
    capacity_lines.append(f"- **{model}, {parameter} at n = {scale:,}:** error {curve.iloc[0]:.4f} at "
                          f"{curve.index[0]:g}, {curve.iloc[-1]:.4f} at {curve.index[-1]:g}")
display(Markdown("\n".join(lines + capacity_lines)
                 + f"\n\n{len(unit_table)} units along training rows and {len(cap_units)} along capacity, "
                 f"{unit_table.cpu_seconds.sum() + capacity_table.cpu_seconds.sum():.0f} CPU-seconds in all; "
                 f"{degenerate} unit(s) drew a one-class sample and predict its base rate. Iterations actually run: "
                 + "; ".join(f"{m} {r['min']}-{r['max']}" for m, r in iterations.iterrows()) + "."))
