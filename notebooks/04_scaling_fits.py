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
# slowly, plateau, or get worse? And does a community gain more from its own
# training rows than from anyone's (Rolf et al. 2021)?
#
# Methods (details in `src/community_scaling/scaling_fits/`):
#
# - **Forms:** power law with an irreducible floor, e(n) = e_inf + b n^-c; the
#   saturating form M4 of Alabdulmohsin et al. (2022); a broken power law with
#   one break (Caballero et al. 2023). Fits minimise a Huber loss on log
#   residuals from several starting points with tight tolerances (a loose
#   optimizer gave falsely narrow intervals in the Chinchilla refit).
# - **Choice of form** per curve by extrapolation: fit on all but the largest
#   sizes, predict those, keep the lowest log-RMSE, not the best in-sample fit.
# - **Intervals:** bootstrap over seeds (a seed's whole curve resampled
#   together), calibrated for the small number of seeds; for the error metric
#   each resample also reweights the test rows (Poisson bootstrap, the same
#   weights for every unit), because for small communities the finite test set,
#   shared by every unit, is the larger source of noise. The table of curves
#   says which source is larger for each. All resamples of a curve are refitted
#   at once (a batched Levenberg-Marquardt with the same loss and tolerances,
#   checked against scipy's fitter in `tests/test_batched_fits.py`).
# - **Trend labels**, by a rule fixed in advance: the slope of log error on
#   log n over the upper half of the sizes, with a seed-bootstrap interval;
#   "worsening" if wholly above 0, "plateaued" only if shown flat (within
#   `fits.trend_tolerance` of 0), "uncertain" if it shows no improvement but is
#   too noisy to call flat, else "slower", "faster" or "like aggregate" by the
#   interval of its difference from the aggregate's slope. Descriptive: the
#   claims use the tests below.
# - **Heterogeneity:** a mixed model log error ~ log n x community with a random
#   intercept per seed (statsmodels), a Wald test that all slopes are equal, and
#   per-community slope differences with Holm-corrected p-values. Descriptive
#   too: one straight log-log slope, no test-row noise.
# - **C1's test:** the power law with floor, fitted only on sizes at most
#   n_max / 2^`fits.extrapolation_doublings`, must predict every larger size
#   better than two laws that are not power laws, fitted on the same points:
#   the flat last value and an exponential saturation (the power law's floor
#   may be 0, so a floorless power law is in the family). The margin's
#   interval adds the seeds' jackknife variance to the test rows' and uses t
#   with Welch-Satterthwaite degrees of freedom.
# - **C3's test:** the exponent c of each community's error *above its own
#   floor* (a higher floor alone flattens the log-log slope without slowing
#   anything) against its model's aggregate, on the same joint resamples of
#   seeds and test rows for every curve (one test set scores them all, so
#   communities are not independent); one-sided for "left behind", Holm across
#   all communities; a community with nothing left to gain is "at its floor",
#   not "slower".

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
from IPython.display import display

from community_scaling.safe_markdown import Markdown

import functools

from community_scaling import claims, exponent_spread, ingest, metrics, scaling_fits, spread, sweep
from community_scaling.claims import c1_aggregate_power_law as c1, c3_communities_left_behind as c3
from community_scaling.plotting import MODEL_COLORS, TREND_COLORS

config = run.study["fits"]
evaluations = run.load_table("evaluations")
table = evaluations[evaluations.evaluable & (evaluations.metric == config["metric"])]
replicates = None
if config["metric"] == "error" and config["bootstrap"] > 0:  # test-row resamples, paired with the seed resamples
    units = run.load_table("units")
    test, meta = ingest.read_processed(run.paths.processed)
    batches = ((part[["model", "scale", "seed"]], scores)  # a batch of units' scores at a time
               for part, scores in sweep.iter_scores(units, run.paths.unit_cache))
    replicates = metrics.test_row_replicates_streamed(
        test["y"].to_numpy(), batches, test[meta["attributes"]], run.study["evaluation"]["threshold"],
        ingest.evaluable_communities(run.load_table("datasheet")), n_boot=config["bootstrap"])
fits = scaling_fits.fit_all(table, metric=config["metric"], forms=config["forms"], n_boot=config["bootstrap"],
                            n_jobs=run.study["sweep"]["n_jobs"], holdout=config["holdout_sizes"],
                            tol=config["trend_tolerance"], replicates=replicates)
for name, frame in fits.as_dict().items():
    run.save_table(frame, f"fits_{name}")
run.save_table(fits.curves, "trends")
run.save_table(pd.DataFrame([{"fit_all_seconds": fits.settings["seconds"], "curves": len(fits.curves),
                              "bootstrap": config["bootstrap"], "n_jobs": fits.settings["n_jobs"]}]), "fits_timing")
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
run.save_figure(fig, "04_aggregate_fit", caption=(
    "Aggregate test error (points: one per seed) and the fitted power law with floor (lines), per model, "
    "log-log axes. Look at whether each line follows its points up to the largest sizes (claim C1)."))

# %% [markdown]
# ## Each community's learning curve beside the aggregate's
#
# One figure per attribute: the aggregate first, then each evaluable community,
# with the aggregate's curve repeated (dashed) in every panel. Bands are 95%
# t-intervals over training seeds; panel titles carry the trend labels.

# %%
from community_scaling import figures, learning_curves

summary = learning_curves.curve_summary(evaluations, metric=config["metric"])
for attribute in sorted(summary.attribute.unique()):
    if attribute == "all":
        continue
    fig = figures.learning_curve_grid(summary, attribute, fits.curves, metric=config["metric"], study=run.study.name)
    run.save_figure(fig, f"04_learning_curves_{figures.slug(attribute)}", caption=(
        f"Test {config['metric']} against training-set size for each {attribute} community (solid, one colour "
        "per model) beside the aggregate's (first panel, and dashed in every panel); bands: 95% intervals over "
        "seeds; titles: trend labels. Look for panels where the solid line flattens or rises while the dashed "
        "one keeps falling: that community does not follow the aggregate's scaling (claim C3)."))

# %% [markdown]
# ## How much worse than the aggregate is each community served?
#
# A community's error minus the aggregate's, paired by trained model (same
# model, size and seed). For the error metric the 95% interval resamples the
# seeds and the test rows together (the test rows dominate for small
# communities, and are the only noise at the largest size, where every seed
# trains on the same rows); for other metrics it is a t-interval over seeds.

# %%
excess = learning_curves.excess_over_aggregate(evaluations, metric=config["metric"], replicates=replicates)
run.save_table(excess, "excess_over_aggregate")
ends = learning_curves.largest_and_smallest(excess)
fig = figures.excess_forest(ends, metric=config["metric"], study=run.study.name)
run.save_figure(fig, "04_excess_error", caption=(
    f"Each community's {config['metric']} minus the aggregate's at its largest training-set size (dot, 95% "
    f"interval over {excess.interval.iloc[0]}) and at its smallest (open circle), per model. Look at dots right of 0 with intervals "
    "clear of it: communities served worse than everyone at the most data; a grey line that grows from the "
    "circle to the dot is a gap that widens with more data."))
ends.sort_values("mean_large", ascending=False).head(10).round(4)

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
run.save_figure(fig, "04_community_exponents", caption=(
    "Exponent c of each community's power law with its 95% interval, coloured by trend label; dotted: the "
    "aggregate's exponent. Look for intervals wholly left of the dotted line: communities whose error falls "
    "more slowly than everyone's (claim C3)."))

# %%
pd.crosstab([fits.curves.model, fits.curves.attribute], fits.curves.trend)

# %% [markdown]
# Which source of noise is larger, curve by curve: the spread of log error
# between seeds, or between resamples of the test rows.

# %%
pd.crosstab([fits.curves.model, fits.curves.attribute], fits.curves.larger_noise)

# %% [markdown]
# ## Do communities' slopes differ? (mixed model, Holm-corrected)

# %%
display(fits.heterogeneity_tests.round(4))
fits.heterogeneity[fits.heterogeneity.differs].round(4)

# %% [markdown]
# ## Do communities' floors differ from the aggregate's? (paired seed bootstrap, Holm-corrected)
#
# The floor e_inf of the power law with floor, community minus aggregate, from
# the same seed resamples; a t-test on the bootstrap standard error with
# (seeds - 1) degrees of freedom, Holm-corrected within each model x attribute.
# Floors are weakly identified when a curve has not yet bent, so wide intervals
# here mean "cannot tell", not "equal".

# %%
fits.floors.sort_values(["model", "attribute", "p_holm"]).round(4)

# %% [markdown]
# ## Representation: a community's own rows or anyone's? (Rolf et al. 2021)
#
# The representation sweep of notebook 3 fixes the total *n* and varies how many
# training rows *n_j* come from one community (zero included). Per community we
# fit Rolf et al.'s model of its error, R_j = d + s (n_j + 1)^-p + t n^-q
# (they write n_j^-p; the +1 keeps an absent community's error finite), with
# seed-bootstrap intervals, and read off:
#
# - **own-row advantage:** how much more one more row *from the community*
#   lowers its error than one more row from anyone else, at the largest total
#   and the community's share of the training data;
# - **absent excess:** the error above its floor *d* that an absent community
#   keeps however large *n* grows (the model's limit: s);
# - a **model-free check**: at each total, error at the largest share minus
#   error at share 0, paired by seed, with a t-interval over seeds.

# %%
from community_scaling import representation as rep_model

rep_table = run.load_table("representation")
if not rep_table.empty and (rep_table.attribute != "all").any():
    sheet = run.load_table("datasheet")
    train_all = sheet.loc[sheet.attribute == "all", "train_count"].iloc[0]
    rep_attribute = rep_table.loc[rep_table.attribute != "all", "attribute"].iloc[0]
    shares = sheet[sheet.attribute == rep_attribute].set_index("community").train_count / train_all
    natural = shares.to_dict()  # each community's share of the training split
    rep = rep_model.fit_representation(rep_table, metric="error", n_boot=config["bootstrap"],
                                       reference_share=natural, n_jobs=run.study["sweep"]["n_jobs"])
    run.save_table(rep.params, "representation_params")
    run.save_table(rep.effects, "representation_effects")
    run.save_table(rep.share_effect, "representation_share_effect")
    display(rep.effects.drop(columns=["attribute"]).round(4))
    display(rep.share_effect.round(4))
    communities = list(rep.effects.community)
    fig, axes = plt.subplots(1, len(communities), figsize=(4.2 * len(communities), 3.8), squeeze=False,
                             layout="constrained")
    own_rows = rep_model.check_table(rep_table, "error")
    totals = sorted(own_rows.scale.unique())
    palette = dict(zip(totals, sns.color_palette("crest", len(totals))))
    for ax, community in zip(axes.flat, communities):
        points = own_rows[own_rows.community == community]
        means = points.groupby(["scale", "community_count"], as_index=False).value.mean()
        for total, g in means.groupby("scale"):
            ax.plot(g.community_count, g.value, "o", color=palette[total], label=f"n = {total:,}")
            curve = rep.predictions[(rep.predictions.community == community) & (rep.predictions.total == total)]
            ax.plot(curve.community_count, curve.predicted, "-", color=palette[total])
        ax.set(xscale="symlog", xlabel="own training rows n_j", title=community)
    axes.flat[0].set_ylabel("community's test error")
    axes.flat[0].legend(fontsize=8)
    fig.suptitle(f"{run.study.name}: error vs the community's own training rows at fixed totals n "
                 "(points: mean over seeds; lines: Rolf et al. model)")
    run.save_figure(fig, "04_representation", caption=(
        "A community's test error against its own number of training rows at fixed totals n (points: mean "
        "over seeds; lines: Rolf et al.'s model). Look at the drop from zero own rows to the largest share, "
        "against the gap between totals: the first is what its own rows buy, the second what anyone's buy."))
else:
    rep = None
    display(Markdown("No representation sweep in this study (`representation.attribute` is null)."))

# %% [markdown]
# ## C1: does the power law extrapolate better than laws that are not power laws?
#
# Each model's aggregate curve, fitted on the smaller sizes only; held-out
# log-RMSE of the power law with floor, of the flat last value and of an
# exponential saturation; the margin is the better alternative's RMSE minus the
# power law's (positive: the law predicts better), with its 95% interval (seed
# jackknife plus test-row replicates). The power law without floor is shown
# for description. Then the verdict over the stated grid of held-out doublings.

# %%
c1_power = c1.power_curve(table, replicates, config["extrapolation_doublings"], n_boot=min(config["bootstrap"], 100),
                          metric=config["metric"], n_jobs=2)
run.save_table(c1_power, "c1_power")
c1_mde = c1.minimum_detectable(c1_power)


def c1_test(doublings, n_boot, metric):
    return c1.evaluate(table, replicates, doublings, n_boot, metric,
                       mde=c1_mde if doublings == config["extrapolation_doublings"] else None)


c1_claim, c1_grid = claims.sensitivity(c1_test, c1.SPEC.arguments(run.study), c1.SPEC.grid)
c1_margins = scaling_fits.aggregate_margins(table, config["metric"], replicates,
                                            config["extrapolation_doublings"], n_boot=config["bootstrap"])
display(c1_margins.round(4))
c1_grid

# %% [markdown]
# C1's power on this study's own design: one aggregate curve with the
# study's sizes, seeds, error at the largest size and noise (seeds, and test
# rows shared and per point, measured on its aggregate curves), generated as
# a power law that still lowers the error by a given amount beyond the fitted
# sizes. The minimum detectable gain is where the curve crosses 80%.

# %%
if c1_power.empty:
    display(Markdown("No power curve: the design cannot hold the stated doublings out (C1 is not applicable)."))
else:
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    ax.plot(c1_power.remaining_gain, c1_power.power, "o-")
    ax.axhline(0.8, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("error the power law still gains beyond the fitted sizes")
    ax.set_ylabel("power (per model)")
    run.save_figure(fig, "04_c1_power", caption=(
        f"C1's power on this study's design ({int(c1_power.seeds.iloc[0])} seeds, its sizes and noise), against "
        "how much the generated power law's error still falls from the largest fitted size to the largest size. "
        "Look at where the curve crosses the dashed 80% line: smaller remaining gains than that could not be "
        "told from a law that is not a power law."))

# %% [markdown]
# ## C3: do communities' error curves follow the aggregate's?
#
# Per community: its exponent c (the rate at which its error above its own
# floor shrinks) against its model's aggregate, and the gap (aggregate minus
# community, positive = slower) with its standard error from the joint
# resamples of seeds and test rows. The verdict reads the spread of the
# identified communities' exponents around the aggregate's, per model x
# attribute, relative to the aggregate's exponent (`exponent_spread`), two-sided;
# the power curve on this design (its communities' own standard errors) says
# which spreads it could see. Secondary: which communities are shown slower
# (one-sided, Holm), with statuses "slower", "at its floor" (nothing left to
# gain), "not lagging" (exponent shown within `fits.exponent_margin` of the
# aggregate's, or above) and "uncertain".

# %%
exponents = scaling_fits.community_exponents(table, config["metric"], replicates, n_boot=max(config["bootstrap"], 20))
run.save_table(exponents, "community_exponents")
display(exponent_spread.spread_table(exponents).round(3))
c3_power = exponent_spread.power_curve(exponents, config["spread_margin"])
run.save_table(c3_power, "c3_power")
c3_mde = spread.minimum_detectable(c3_power)


def c3_test(margin, floor_gain, exponent_margin):
    return c3.evaluate(exponents, margin, floor_gain, exponent_margin,
                       mde=c3_mde if margin == config["spread_margin"] else None)


c3_claim, c3_grid = claims.sensitivity(c3_test, c3.SPEC.arguments(run.study), c3.SPEC.grid)
c3_status = c3.classify(exponents, config["floor_gain"], config["exponent_margin"])
display(pd.crosstab([c3_status.model, c3_status.attribute], c3_status.status))
display(c3_status.sort_values("p_slower")[["model", "attribute", "community", "n_eval", "c", "c_ci_low", "c_ci_high",
                                           "c_aggregate", "gap", "p_holm_slower", "gain_ci_high", "status"]]
        .head(15).round(4))
c3_grid

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
run.save_claims([c1_claim, c3_claim])
labels = fits.curves[fits.curves.attribute != "all"].trend.value_counts()
found = []
for claim in (c1_claim, c3_claim):
    if claim.verdict == "not applicable":
        found.append(f"**{claim.claim} (not applicable):** {claim.details}")
        continue
    found.append(f"**{claim.claim} ({claim.verdict}):** {claim.effect_name} = {claim.effect:.3g} "
                 f"[{claim.ci_low:.3g}, {claim.ci_high:.3g}]; the verdict holds over {claim.grid_agreement:.0%} of "
                 f"the grid ({claim.grid}){': **fragile**' if claim.fragile else ''}. {claim.details}")
display(Markdown("\n\n".join(found) + "\n\nDescriptive trend labels (upper-half log-log slope) over all "
                 "model x community curves: " + ", ".join(f"{k} {v}" for k, v in labels.items()) + "."))
chosen = fits.curves.chosen_form.value_counts()
het = fits.heterogeneity_tests
display(Markdown(
    f"**Intervals** resample {fits.settings['resampling']}; the larger source of noise is the test rows for "
    f"{int((fits.curves.larger_noise == 'test rows').sum())} of {len(fits.curves)} curves. "
    f"**Forms chosen by extrapolation** over {int(chosen.sum())} curves: "
    + ", ".join(f"{k} {v}" for k, v in chosen.items()) + ". "
    f"**Slope heterogeneity:** {int((het.p_value < 0.05).sum())} of {len(het)} model x attribute tests reject "
    f"equal slopes (Wald, p < 0.05); {int(fits.heterogeneity.differs.sum())} of {len(fits.heterogeneity)} "
    "communities differ from the weighted mean slope after Holm correction. "
    f"**Floors:** {int(fits.floors.differs.sum())} of {len(fits.floors)} community floors differ from their "
    "aggregate's after Holm correction."
))
if rep is not None:
    lines = []
    for e in rep.effects.itertuples():
        if e.note:
            lines.append(f"- **{e.community}** ({e.model}): {e.note}")
            continue
        last = rep.share_effect[(rep.share_effect.community == e.community)].sort_values("total").iloc[-1]
        worth = (f"one own row is worth {e.own_row_advantage:.3g} [{e.own_row_advantage_ci_low:.3g}, "
                 f"{e.own_row_advantage_ci_high:.3g}] rows of anyone else" if e.own_row_advantage_identified
                 else "how much more one own row is worth than anyone's is not identified (in the fit, rows "
                      "from anyone else have no measurable effect, so the ratio is unbounded)")
        lines.append(
            f"- **{e.community}** ({e.model}): at n = {int(e.reference_total):,} and its share "
            f"{e.reference_share:.3%}, {worth}; absent, it "
            f"keeps an excess error of {e.absent_excess:.4f} [{e.absent_excess_ci_low:.4f}, "
            f"{e.absent_excess_ci_high:.4f}] above its floor {e.floor:.4f} however large n grows. Model-free, at "
            f"n = {last.total:,}: error {last.error_at_zero:.4f} with no own rows vs {last.error_at_high:.4f} with "
            f"{last.count_high:,} ({last.difference:+.4f} [{last.ci_low:+.4f}, {last.ci_high:+.4f}]): {last.label}.")
    display(Markdown("**Representation (Rolf et al.):**\n\n" + "\n".join(lines)))
