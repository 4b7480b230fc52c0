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
# # 4. Scaling laws, for everyone and per community (claims C1, C3)
#
# **Question.** Does aggregate error fall as a power law of training-set size,
# and does each community's error follow the aggregate's curve, or improve more
# slowly, plateau, or get worse?
#
# Methods (details in `src/community_scaling/scaling_fits.py`):
#
# - **Forms:** power law with an irreducible floor, e(n) = e_inf + b n^-c; the
#   saturating form M4 of Alabdulmohsin et al. (2022); a broken power law with
#   one break (Caballero et al. 2023). Fits minimise a Huber loss on log
#   residuals from several starting points with tight tolerances (a loose
#   optimizer gave falsely narrow intervals in the Chinchilla refit).
# - **Choice of form** per curve by extrapolation: fit on all but the largest
#   sizes, predict those, keep the lowest log-RMSE, not the best in-sample fit.
# - **Intervals:** bootstrap over seeds (a seed's whole curve resampled
#   together), calibrated for the small number of seeds.
# - **Trend labels**, by a rule fixed in advance: the slope of log error on
#   log n over the upper half of the sizes, with a seed-bootstrap interval;
#   "worsening" if wholly above 0, "plateaued" if it cannot show an improvement
#   of at least `fits.trend_tolerance`, else "slower", "faster" or "like
#   aggregate" by the interval of its difference from the aggregate's slope.
# - **Heterogeneity:** a mixed model log error ~ log n x community with a random
#   intercept per seed (statsmodels), a Wald test that all slopes are equal, and
#   per-community slope differences with Holm-corrected p-values.

# %% tags=["parameters"]
study = "smoke"
study_file = ""
output_root = ""

# %%
from community_scaling.notebook import start

run = start(globals(), "04_scaling_fits")

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display

from community_scaling import scaling_fits
from community_scaling.plotting import MODEL_COLORS, TREND_COLORS

config = run.study["fits"]
evaluations = run.load_table("evaluations")
table = evaluations[evaluations.evaluable & (evaluations.metric == config["metric"])]
fits = scaling_fits.fit_all(table, metric=config["metric"], forms=config["forms"], n_boot=config["bootstrap"],
                            n_jobs=run.study["sweep"]["n_jobs"], holdout=config["holdout_sizes"],
                            tol=config["trend_tolerance"])
for name, frame in fits.as_dict().items():
    run.save_table(frame, f"fits_{name}")
run.save_table(fits.curves, "trends")
aggregate = (fits.params.attribute == "all") & (fits.params.form == fits.settings["boot_form"])
fits.params[aggregate].round(4)

# %% [markdown]
# ## The aggregate curve and its fit

# %%
observed = table.query("attribute == 'all'")
fig, ax = plt.subplots(figsize=(6.5, 4.2))
sns.scatterplot(observed, x="scale", y="value", hue="model", palette=MODEL_COLORS, alpha=0.5, ax=ax)
grid = np.geomspace(observed.scale.min(), observed.scale.max(), 200)
for model, rows in fits.params[aggregate].groupby("model"):
    params = dict(zip(rows.parameter, rows.estimate))
    ax.plot(grid, scaling_fits.true_curve(fits.settings["boot_form"], params, grid), color=MODEL_COLORS.get(model))
ax.set(xscale="log", yscale="log", xlabel="training-set size n", ylabel=f"test {config['metric']} (all people)",
       title=f"{run.study.name}: aggregate {config['metric']} and fitted power law with floor")
run.save_figure(fig, "04_aggregate_fit")

# %% [markdown]
# ## Which form extrapolates best?
#
# Held-out log-RMSE of each form when the largest sizes are predicted from the rest.

# %%
fits.extrapolation.pivot_table(index=["model", "attribute"], columns="form", values="rmse", aggfunc="median").round(4)

# %% [markdown]
# ## Per-community exponents and trend labels

# %%
exponents = fits.params[(fits.params.parameter == "c") & (fits.params.form == fits.settings["boot_form"])
                        & (fits.params.attribute != "all")].merge(fits.curves[["model", "attribute", "community", "trend"]])
fig, axes = plt.subplots(1, exponents.model.nunique(), figsize=(11, 0.22 * exponents.groupby("model").size().max() + 1.5),
                         sharex=True, squeeze=False)
for ax, (model, rows) in zip(axes.flat, exponents.groupby("model")):
    rows = rows.sort_values(["attribute", "estimate"])
    y = np.arange(len(rows))
    ax.errorbar(rows.estimate, y, xerr=[rows.estimate - rows.ci_low, rows.ci_high - rows.estimate], fmt="none",
                ecolor="grey", lw=1)
    ax.scatter(rows.estimate, y, c=[TREND_COLORS.get(t, "black") for t in rows.trend], zorder=3)
    agg_c = fits.params[aggregate & (fits.params.model == model) & (fits.params.parameter == "c")].estimate
    ax.axvline(agg_c.iloc[0], ls=":", color="black")
    ax.set(yticks=y, yticklabels=rows.attribute + ": " + rows.community, title=model, xlabel="exponent c (95% interval)")
    ax.tick_params(axis="y", labelsize=7)
handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=t) for t, c in TREND_COLORS.items()]
fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=8, bbox_to_anchor=(0.5, -0.02))
fig.suptitle(f"{run.study.name}: per-community exponents (dotted: aggregate) and trend labels")
run.save_figure(fig, "04_community_exponents")

# %%
pd.crosstab([fits.curves.model, fits.curves.attribute], fits.curves.trend)

# %% [markdown]
# ## Do communities' slopes differ? (mixed model, Holm-corrected)

# %%
display(fits.heterogeneity_tests.round(4))
fits.heterogeneity[fits.heterogeneity.differs].round(4)

# %% [markdown]
# ## What we found

# %%
c1 = scaling_fits.claim_c1(fits, rmse_tol=config["extrapolation_tolerance"])
c3 = scaling_fits.claim_c3(fits, threshold=config["not_following_share"])
run.save_claims([c1, c3])
labels = fits.curves[fits.curves.attribute != "all"].trend.value_counts()
display(Markdown(
    f"**C1 ({c1.verdict}):** {c1.effect_name} = {c1.effect:.3g} [{c1.ci_low:.3g}, {c1.ci_high:.3g}]. {c1.details}\n\n"
    f"Trend labels over all model x community curves: "
    + ", ".join(f"{k} {v}" for k, v in labels.items()) + ".\n\n"
    f"**C3 ({c3.verdict}):** {c3.effect_name} = {c3.effect:.3g} [{c3.ci_low:.3g}, {c3.ci_high:.3g}]. {c3.details}"
))
