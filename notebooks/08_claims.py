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
# # 8. The claims ledger
#
# **Question.** Taking every claim of the two position papers in turn, what
# does this study's data say? Each row gives the claim, the test that was run,
# the effect size with its 95% interval, the verdict, and the rule that turned
# numbers into the verdict. The rules were fixed before looking at results and
# live in the code beside each statistic; a claim the data does not support is
# reported as such.
#
# Claims: C1 aggregate power law; C2 communities grow with n; C3 per-community
# metrics do not follow the aggregate; C4 the conclusion depends on the metric;
# C5 communities' values conflict; C6 compute grows faster than performance;
# C7 small models serve most needs.

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "08_claims")

# %%
import pandas as pd
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import claims, figures, pipeline

parts = pipeline.step(run.study["study"]["kind"], "08_claims").reads
ledger = pd.concat([run.load_table(p).assign(notebook=p.removeprefix("claims_")) for p in parts], ignore_index=True)
missing = sorted(set(claims.MODULES) - set(ledger.claim))
assert not missing, f"claims with no result: {missing}; run the notebooks that test them"
ledger = ledger.sort_values("claim").reset_index(drop=True)
ledger.insert(0, "study", run.study.name)
run.save_table(ledger, "ledger")
with pd.option_context("display.max_colwidth", 120):
    display(ledger[["claim", "statement", "test", "effect_name", "effect", "ci_low", "ci_high", "level", "verdict",
                    "grid_agreement", "fragile", "grid", "rule"]])

# %% [markdown]
# ## The ledger at a glance

# %%
fig = figures.verdict_matrix(ledger)
run.save_figure(fig, "08_verdict_matrix", caption=(
    "The verdict on each claim (rows) for this study (column): green supported, red not supported, grey "
    "inconclusive, white not applicable, with the effect and its 95% interval ('fragile' when a verdict changes "
    "within its grid of settings). Look at the colours first, then at intervals that "
    "nearly touch their threshold (the rule is in the table above)."))

# %% [markdown]
# ## Provenance
#
# The code version, parameter set, data hashes and package versions that
# produced this ledger (also stored inside and beside every result table).

# %%
run.show_provenance()

# %% [markdown]
# ## What we found

# %%
counts = ledger.verdict.value_counts()
display(Markdown(
    f"On study **{run.study.name}** ({run.study['study']['title']}): "
    + ", ".join(f"{counts.get(v, 0)} {v}" for v in claims.VERDICTS) + ".\n\n"
    + "\n".join(map(claims.summary_line, ledger.itertuples()))
))
