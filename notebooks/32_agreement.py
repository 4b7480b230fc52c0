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
# # 2. Do rater groups label the same items differently?
#
# **Question.** Before asking whether one model can serve every group (C5),
# ask whether the groups disagree at all beyond the disagreement of any two
# people. Agreement within each group is Krippendorff's alpha (the
# `krippendorff` package); agreement across two groups is cross-replication
# reliability (kappa_x, Wong, Paritosh & Aroyo 2021): how well one group's
# ratings of an item predict the other's, corrected for chance. The
# permutation test keeps every rater's labels and shuffles which group each
# rater belongs to: if within-group minus cross-group agreement is larger than
# under shuffled groups, the groups hold different views.

# %% tags=["parameters"]
study = "popquorn"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "32_agreement")

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import display

from community_scaling.safe_markdown import Markdown
from community_scaling import agreement, rater_groups

config = run.study["raters"]
attribute = rater_groups.community_column(config)
ratings, raters, sheet = run.load_table("ratings"), run.load_table("raters"), run.load_table("datasheet")
groups = sheet[sheet.evaluable].group.tolist()
level = "nominal" if set(ratings.label.unique()) <= {0.0, 1.0} else "ordinal"
one_rater_groups = raters[raters[attribute].isin(groups)].groupby(attribute).size().max() < 2
single = rater_groups.single_group_reason(groups, attribute, config["min_items"])

# %%
if one_rater_groups:
    display(Markdown(f"Each group of `{attribute}` is one aggregate label (the data hold no single raters): "
                     "within-group agreement and the shuffle test cannot be computed; cross-group agreement can."))
    within = None
else:
    within = agreement.within_group_alpha(ratings, raters, attribute, level)
    within = within[within.group.isin(groups)]
    display(within)
cross = agreement.cross_group_agreement(ratings, raters, attribute, level)
cross = cross[cross.group_a.isin(groups) & cross.group_b.isin(groups)]
cross

# %%
if single:
    display(Markdown(f"No cross-group agreement: {single}."))
else:
    square = cross.pivot(index="group_a", columns="group_b", values="kappa_x")
    square = square.combine_first(square.T)
    fig, ax = plt.subplots(figsize=(1.2 * len(square) + 2, 1 * len(square) + 1.5))
    sns.heatmap(square, annot=True, fmt=".2f", cmap="viridis", ax=ax, cbar_kws={"label": "kappa_x"})
    ax.set(xlabel="", ylabel="")
    run.save_figure(fig, "32_cross_group_agreement", caption=(
        f"Cross-replication reliability between groups of {attribute} (kappa_x: 1 = one group's ratings predict the "
        "other's perfectly, 0 = no better than chance). Look for a group whose row is lower than the others: its "
        "members label the same items differently from everyone else."))

# %% [markdown]
# ## The shuffle test

# %%
rows = []
if not one_rater_groups and not single:
    kept = raters[raters[attribute].isin(groups)]
    result = agreement.permutation_test(ratings[ratings.rater.isin(kept.rater)], kept, attribute, level,
                                        n_permutations=config["permutations"], seed=0)
    rows.append({"statistic": "within-group alpha minus cross-group kappa_x", "observed": result.observed,
                 "null_median": float(np.median(result.null)), "p_value": result.p_value,
                 "permutations": len(result.null), "groups": ", ".join(result.groups)})
    display(Markdown(f"Observed {result.observed:.4f}; under shuffled groups the median is "
                     f"{rows[0]['null_median']:.4f}; p = {result.p_value:.3g} over {len(result.null)} shuffles."))
table = cross.assign(kind="cross").rename(columns={"kappa_x": "value"})
if within is not None:
    table = pd.concat([table, within.rename(columns={"alpha": "value", "group": "group_a"}).assign(kind="within")],
                      ignore_index=True)
run.save_table(table.assign(**(rows[0] if rows else {})), "agreement")

# %% [markdown]
# ## Provenance

# %%
run.show_provenance()
