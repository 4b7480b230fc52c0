"""C3: Per-community error does not follow the aggregate's scaling.

The estimand is the claim's, two-sided: how far communities' scaling spreads around their aggregate's.
On a sweep (`evaluate`, issue 17) that is the random-effects standard deviation of the communities'
exponents c of their error above its own floor (e = e_inf + b n^-c), per model x attribute, relative to
the aggregate's exponent (exponent_spread.py). A higher floor alone is not "not following" (the log-log
slope confuses the two); a community with nothing left to gain at the largest size ("at its floor") and
one whose exponent is not identified are listed apart, never counted. Which communities are shown slower
(one-sided, Holm; `classify`) is a secondary result, and the forest plot's flag.

On the model-size axis (published results, `evaluate_model_size`) the estimand is the same spread, of
communities' gains per tenfold of parameters around their aggregate's, per model x task family; see the
comment block above MODEL_SIZE_TEST for the design and its departures from a plain Cochran's Q.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..scaling_fits.exponents import GAP_RULE, community_exponents
from ..scaling_fits.table import AGGREGATE
from ._calibration import Calibration
from ._record import LEVEL, Claim, not_applicable, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C3", "Per-community error does not follow the aggregate's scaling.", needs=('evaluations',),
                 settings={"margin": "fits.spread_margin", "floor_gain": "fits.floor_gain",
                           "exponent_margin": "fits.exponent_margin"},
                 grid={"margin": [0.1, 0.5]})

TEST = ("random-effects spread of community exponents (error above its floor) around their aggregate's, relative "
        "to the aggregate's exponent, per model x attribute; joint resamples of seeds and test rows; Q-profile "
        "bounds, Holm across families")
EFFECT = ("spread of communities' exponents around the aggregate's, as a share of it: how differently communities' "
          "error shrinks as the training set grows (standard deviation; the widest model x attribute)")


def classify(exponents: pd.DataFrame, floor_gain: float = 0.001, exponent_margin: float = 0.1) -> pd.DataFrame:
    """One status per compared community: 'at its floor' (nothing left to gain), 'slower' (Holm-rejected
    one-sided), 'not lagging' (exponent shown within `exponent_margin` of the aggregate's or above, Holm),
    'uncertain' otherwise. Adds columns at_floor, p_holm_slower, p_holm_not_lagging, status."""
    alpha = 1 - LEVEL
    rows = exponents[exponents.reason.fillna("") == ""].copy()
    rows["at_floor"] = rows.gain_ci_high < floor_gain
    tested = ~rows.at_floor & np.isfinite(rows.p_slower)
    rows["p_holm_slower"] = np.nan
    rows["p_holm_not_lagging"] = np.nan
    rows["status"] = np.where(rows.at_floor, "at its floor", "uncertain")
    if tested.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            p_not = np.where(rows.gap_se > 0, stats.norm.cdf((rows.gap - exponent_margin) / rows.gap_se), 1.0)
        slower, p_slow, _, _ = multipletests(rows.loc[tested, "p_slower"], alpha=alpha, method="holm")
        within, p_within, _, _ = multipletests(p_not[tested.to_numpy()], alpha=alpha, method="holm")
        rows.loc[tested, "p_holm_slower"], rows.loc[tested, "p_holm_not_lagging"] = p_slow, p_within
        status = np.where(slower, "slower", np.where(within, "not lagging", "uncertain"))
        rows.loc[tested, "status"] = status
    return rows


def evaluate(exponents: pd.DataFrame, margin: float = 0.25, floor_gain: float = 0.001,
             exponent_margin: float = 0.1, mde: float | None = None) -> Claim:
    """C3 from a community_exponents table: the spread rule (exponent_spread.spread_table) as the verdict,
    the communities shown slower (classify) as a secondary result; `mde` the minimum relative spread the
    study's design detects (exponent_spread.power_curve), stated beside an inconclusive verdict."""
    from ..exponent_spread import MIN_COMMUNITIES, identified, spread_table

    alpha = (1 - LEVEL) / 2
    rule = (f"{GAP_RULE}. Per model x attribute family, relative spread rho = tau / c_aggregate (tau: Paule-Mandel "
            "random-effects standard deviation of the gaps, with their resampled standard errors); a community "
            "counts when compared and its gap's standard error is at most c_aggregate (at its floor or not); a "
            "family needs "
            f"{MIN_COMMUNITIES}. Q-profile bounds. Supported when some family's rho is shown above {margin:g} "
            f"(Holm across families at {alpha:g}: the largest lower bound at 1 - {alpha:g}/F); not supported when "
            f"every family's upper bound (one-sided {1 - alpha:g}) is at or below {margin:g}; inconclusive otherwise")
    families = spread_table(exponents, LEVEL)
    counted = int(identified(exponents).sum())
    if families.empty:
        reasons = exponents.reason.value_counts().head(3).to_dict() if len(exponents) else {}
        return not_applicable("C3", f"no family has {MIN_COMMUNITIES} communities whose exponent is identified "
                                    f"({counted} identified; {reasons})", effect_name=EFFECT, test=TEST)
    widest = families.loc[families.rho.idxmax()]
    low, high = float(families.rho_low.max()), float(families.rho_high.max())
    verdict = verdict_from_interval(low, high, margin, "above")
    parts = [f"{len(families)} families tested ({int(families.communities.sum())} communities; "
             f"{len(exponents) - counted} listed apart: not compared or exponent not identified): "
             + "; ".join(f"{r.model} {r.attribute} rho {r.rho:.2f} [{r.rho_low:.2f} (Holm), {r.rho_high:.2f}] of "
                         f"c {r.c_aggregate:.2f}" for r in families.sort_values("rho_low", ascending=False).itertuples()),
             f"widest: {widest.model} {widest.attribute}; shown above {margin:g}: {int((families.rho_low > margin).sum())}"]
    status = classify(exponents, floor_gain, exponent_margin)
    slower = status[status.status == "slower"].sort_values("gap", ascending=False)
    parts.append(f"secondary, shown slower than the aggregate (one-sided, Holm across all {len(status)} compared "
                 f"curves): {len(slower)}" + (" (" + ", ".join(
                     f"{r.model}/{r.attribute}={r.community} c {r.c:.2f} vs {r.c_aggregate:.2f}"
                     for r in slower.head(5).itertuples()) + ")" if len(slower) else ""))
    if verdict == "inconclusive" and mde is not None:
        parts.append(f"on its own design the study {detectable_phrase(mde)}")
    return Claim(claim="C3", test=TEST, effect_name=EFFECT, effect=float(widest.rho), ci_low=low, ci_high=high,
                 verdict=verdict, rule=rule, details="; ".join(parts))


# ----------------------------------------------------------------------------- calibration

CALIBRATION_BOOT = 100  # resamples inside one calibration replicate (the study uses fits.bootstrap)
# half the communities at C_AGGREGATE (1 - r), half at (1 + r): relative spread r; the null sits on the
# margin (r = 0.25, the hardest case of "not above 0.25"), the effect at twice it
N_COMMUNITIES, C_AGGREGATE, NULL_SPREAD, TRUE_SPREAD = 30, 0.5, 0.25, 0.5
SEED_SD = 0.02


def _generated(exponents, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One model's aggregate and community curves (census sizes, 5 seeds) and test-row replicates.

    Community j: e = 0.06 + b_j n^-c_j with e(128) = 0.2; test-set noise of relative sd
    sqrt((1 - e)/(e n_eval)), as a shift shared by all of a community's units plus half that per
    point, so small communities are noisier; seed noise sd 0.02 per point."""
    from ..scaling_fits.synthetic import CENSUS_SIZES

    sizes, k = CENSUS_SIZES, len(exponents)
    n_eval = np.exp(rng.uniform(np.log(100), np.log(5000), k))
    b = 0.14 * 128.0 ** exponents
    truth = 0.06 + b[:, None] * sizes[None, :] ** -exponents[:, None]  # (k, sizes)
    aggregate = (n_eval / n_eval.sum()) @ truth
    curves = np.vstack([aggregate, truth])
    size_of = np.concatenate([[75_000.0], n_eval])
    sd = np.sqrt((1 - curves) / (curves * size_of[:, None]))  # (k+1, sizes)
    n = np.tile(sizes, 5)
    seed = np.repeat(np.arange(5), sizes.size)
    sd_points = np.tile(sd, 5)  # (k+1, points)
    shape = sd_points.shape
    value = (np.tile(curves, 5) * np.exp(rng.normal(0, 1, (k + 1, 1)) * sd_points
                                         + rng.normal(0, 1, shape) * sd_points / 2 + rng.normal(0, SEED_SD, shape)))
    names = [AGGREGATE] + [f"c{j:02d}" for j in range(k)]
    attributes = [AGGREGATE] + ["group"] * k
    table = pd.DataFrame({"model": "m", "scale": np.tile(n, k + 1), "seed": np.tile(seed, k + 1),
                          "attribute": np.repeat(attributes, n.size), "community": np.repeat(names, n.size),
                          "metric": "error", "value": value.ravel(), "n_eval": np.repeat(size_of, n.size)})
    noise = (rng.normal(0, 1, (k + 1, 1, CALIBRATION_BOOT)) * sd_points[:, :, None]
             + rng.normal(0, 1, (*shape, CALIBRATION_BOOT)) * sd_points[:, :, None] / 2)
    reps = value[:, :, None] * np.exp(noise)
    replicates = pd.DataFrame({"model": "m", "scale": np.repeat(table.scale.to_numpy(), CALIBRATION_BOOT),
                               "seed": np.repeat(table.seed.to_numpy(), CALIBRATION_BOOT),
                               "attribute": np.repeat(table.attribute.to_numpy(), CALIBRATION_BOOT),
                               "community": np.repeat(table.community.to_numpy(), CALIBRATION_BOOT),
                               "replicate": np.tile(np.arange(CALIBRATION_BOOT), len(table)),
                               "value": reps.ravel()})
    return table, replicates


def _spread_exponents(relative_spread: float) -> np.ndarray:
    half = N_COMMUNITIES // 2
    return C_AGGREGATE * np.r_[np.full(half, 1 - relative_spread), np.full(N_COMMUNITIES - half, 1 + relative_spread)]


def _null(rng):
    return _generated(_spread_exponents(NULL_SPREAD), rng)


def _true(rng):
    return _generated(_spread_exponents(TRUE_SPREAD), rng)


def _verdict(data) -> str:
    table, replicates = data
    return evaluate(community_exponents(table, replicates=replicates, n_boot=CALIBRATION_BOOT)).verdict


CALIBRATION = Calibration(
    null=_null, true=_true, verdict=_verdict,
    null_description=(f"{N_COMMUNITIES} groups whose exponents spread exactly at the margin: half at "
                      f"{C_AGGREGATE * (1 - NULL_SPREAD):g}, half at {C_AGGREGATE * (1 + NULL_SPREAD):g} around "
                      f"{C_AGGREGATE} (relative spread {NULL_SPREAD}), e = 0.06 + b n^-c with e(128) = 0.2, test-set "
                      "noise of relative sd sqrt((1-e)/(e n_eval)), n_eval ~ log-uniform 100..5,000 (small groups "
                      f"noisier), seed noise sd 0.02; census sizes, 5 seeds, {CALIBRATION_BOOT} joint resamples"),
    effect=(f"relative spread {TRUE_SPREAD}: half at {C_AGGREGATE * (1 - TRUE_SPREAD):g}, half at "
            f"{C_AGGREGATE * (1 + TRUE_SPREAD):g}, otherwise as the null"))


# ------------------------------------------------- on the model-size axis (published results)
#
# The estimand is the claim's: "per-community performance does not follow the aggregate's scaling" is a
# statement about how far communities' gains with size spread around the aggregate's gain, in either
# direction. Per family (one model family x task x metric: a task's languages, MMLU's subjects, one
# language's CrowS-Pairs categories) the random-effects standard deviation tau of the communities' slopes
# per tenfold of parameters, divided by the family's aggregate gain |g|, is the relative spread rho
# (spread.py). A relative margin (published.spread_margin, 0.25) makes families comparable: an absolute
# 0.01 per tenfold is 18% of one task's gain and 40% of another's. 0.25 was chosen before any real study was
# run: under a normal spread a quarter of the gain puts one community in six a quarter or more below the
# aggregate's gain and one in forty half of it or more below, a difference a reader of the papers would call
# "not following"; 0.1 (communities within a tenth of the aggregate's gain) and 0.5 (half of it) are its grid.
#
# Departures from a plain Cochran's Q, and why:
# - The chi-square law of Q assumes known standard errors; with 3-8 sizes per curve they are estimated
#   (over-dispersion from residuals), so each family's test draws its own null (parametric bootstrap that
#   re-estimates the standard errors as slope_table does and redraws the aggregate's gain). Its calibration
#   is in benchmarks/results/c3_model_size_power.txt beside the chi-square version's.
# - The verdict reads intervals, as every ledger row does: supported when the largest Bonferroni lower bound
#   over the F tested families (one-sided 1 - 0.025 / F: Holm's first step at 0.025, so "Holm rejects some
#   family" is the same event) is above the margin; not supported when every family's upper bound (one-sided
#   0.975) is at or below it (intersection-union: each at the level); inconclusive otherwise. The effect
#   reported is the largest family's relative spread (the quantity these bounds bracket); "the median family"
#   would not match a verdict that one family can carry.
# - Families whose aggregate gain is not shown nonzero (95% interval spans 0; near chance) have no relative
#   spread: listed apart, never counted; so are communities whose slope is not identified (not evaluable, or
#   standard error above |g|).
# - Which communities are left behind (one-sided) or differ (two-sided), beyond margin x |g| from the
#   aggregate, are secondary (details), by step-down max-T over each family on joint normal draws.

# the model-size rule's study-file setting and its grid of other reasonable values (the fragility check)
MODEL_SIZE_SETTINGS = {"margin": "published.spread_margin"}
SPEC_MODEL_SIZE_GRID = {"margin": [0.1, 0.5]}

MODEL_SIZE_TEST = ("random-effects spread of community slopes per tenfold of parameters around their aggregate's, "
                   "relative to the aggregate's gain, per model x task; generalized Q with a parametric-bootstrap "
                   "null (standard errors re-estimated); Holm across families")
MODEL_SIZE_EFFECT = ("spread of communities' gains from each tenfold of parameters around the aggregate's gain, "
                     "as a share of that gain (standard deviation; the widest model x task family)")


def detectable_phrase(mde: float) -> str:
    if mde is None or np.isnan(mde):
        return ""
    if np.isinf(mde):
        return "could not detect a relative spread of 2 or less with 80% power"
    return f"could detect a relative spread of {mde:.2g} or more (80% power)"


def evaluate_model_size(families: pd.DataFrame, apart: pd.DataFrame | None = None, margin: float = 0.25,
                        communities: pd.DataFrame | None = None, mde: float | None = None) -> Claim:
    """C3 from spread.spread_table (families, apart); `communities` from spread.left_behind at the same
    margin (secondary); `mde` the study's minimum detectable relative spread (spread.power_curve)."""
    alpha = (1 - LEVEL) / 2
    rule = (f"per model x task x metric family, relative spread rho = tau / |aggregate gain per tenfold| (tau: "
            "Paule-Mandel random-effects standard deviation of the communities' slopes); a family is tested when "
            "its aggregate's gain is shown nonzero and at least 3 communities' slopes are identified (evaluable, "
            "standard error at most |gain|). Bounds invert the generalized Q test with a parametric-bootstrap null. "
            f"Supported when some family's rho is shown above {margin:g} (Holm across families at {alpha:g}: "
            f"the largest lower bound at 1 - {alpha:g}/F); not supported when every family's upper bound "
            f"(one-sided {1 - alpha:g}) is at or below {margin:g}; inconclusive otherwise")
    apart = apart if apart is not None else pd.DataFrame(columns=["reason", "community"])
    if families is None or families.empty:
        reasons = "; ".join(sorted(set(apart.reason))[:3]) if len(apart) else "no family with communities"
        return not_applicable("C3", f"no family's relative spread is identified ({reasons})",
                              effect_name=MODEL_SIZE_EFFECT, test=MODEL_SIZE_TEST)
    best = families.loc[families.rho.idxmax()]
    low, high = float(families.rho_low.max()), float(families.rho_high.max())
    verdict = verdict_from_interval(low, high, margin, "above")
    shown = families[families.rho_low > margin]
    parts = [f"{len(families)} families tested ({int(families.communities.sum())} communities): " + "; ".join(
        f"{r.model} {r.attribute} rho {r.rho:.2f} [{r.rho_low:.2f} (Holm), {r.rho_high:.2f}] of gain {r.gain:+.3f}"
        for r in families.sort_values("rho_low", ascending=False).itertuples())]
    parts.append(f"largest: {best.model} {best.attribute}; shown above {margin:g}: {len(shown)}")
    family_apart = apart[apart.community == "all"] if len(apart) else apart
    if len(family_apart):
        parts.append("families set apart: " + "; ".join(f"{r.model} {r.attribute}: {r.reason}"
                                                         for r in family_apart.itertuples()))
    if len(apart) > len(family_apart):
        parts.append(f"{len(apart) - len(family_apart)} communities set apart (slope not identified)")
    if communities is not None and len(communities):
        behind = communities[communities.p_left_behind <= alpha].sort_values("relative_gap", ascending=False)
        differ = communities[communities.p_differs <= alpha]
        parts.append(f"left behind by more than {margin:g} of the gain (step-down max-T per family, one-sided "
                     f"{alpha:g}): {len(behind)}" + (" (" + ", ".join(
                         f"{r.model} {r.attribute} {r.community} {r.relative_gap:+.2f}"
                         for r in behind.head(5).itertuples()) + ")" if len(behind) else "")
                     + f"; differing either way: {len(differ)}")
    if verdict == "inconclusive" and mde is not None:
        parts.append(f"on its own design the study {detectable_phrase(mde)}")
    return Claim(claim="C3", test=MODEL_SIZE_TEST, effect_name=MODEL_SIZE_EFFECT, effect=float(best.rho),
                 ci_low=low, ci_high=high, verdict=verdict, rule=rule, details="; ".join(parts))


def model_size_c3(evaluations: pd.DataFrame, slopes: pd.DataFrame, margin: float, n_boot: int = 1000,
                  min_sizes: int = 4, families=None) -> Claim:
    """The whole rule from the standard tables (the notebook's and the calibration's entry point);
    `families` = a precomputed (spread_table, apart) pair (its bounds do not depend on the margin)."""
    from .. import model_size, spread

    families, apart = families if families is not None else spread.spread_table(slopes, n_boot)
    lags = model_size.lag_table(evaluations, min_sizes)
    communities = spread.left_behind(lags, slopes, model_size.aggregate_weights(evaluations), margin)
    return evaluate_model_size(families, apart, margin, communities)


# ------------------------------------- the former per-community rule (checkpoint grid only)

LAG_SHARE_TEST = ("slope per tenfold of parameters of each community's badness minus its aggregate's (weighted by "
                   "published standard errors), one-sided, Holm across all communities")


def evaluate_lag_share(lags: pd.DataFrame, threshold: float = 0.05, margin: float = 0.01) -> Claim:
    """The former model-size rule, kept only for the checkpoint grid (token_scaling.evaluate_c3) until
    the spread rule above is carried to it (issue 17): from a model_size.lag_table, a community is 'left
    behind' when its gain per tenfold is smaller than its aggregate's, Holm across all communities."""
    rule = (f"per community, slope per tenfold of parameters of (community badness - aggregate badness); 'lags' = "
            f"slope > {margin:g}, 'keeps up' = slope < {margin:g} (one-sided t tests, each by Holm across all "
            f"communities at {(1 - LEVEL) / 2:g}). Share of lagging communities: low = shown to lag, high = 1 - shown "
            f"to keep up. Supported when low > {threshold:g}; not supported when high <= {threshold:g}; "
            "inconclusive otherwise")
    effect_name = "share of communities gaining less per tenfold of parameters than their aggregate"
    tested = lags[lags.reason == ""] if len(lags) else lags
    if tested.empty:
        reasons = "; ".join(sorted(set(lags.reason))) if len(lags) else "no community with an aggregate"
        return not_applicable("C3", f"no curve long enough to compare ({reasons})", effect_name=effect_name,
                              test=LAG_SHARE_TEST)
    alpha = (1 - LEVEL) / 2  # two one-sided families, as C4's bounds
    lagging = multipletests(tested.p_lags, alpha=alpha, method="holm")[0]
    keeping = multipletests(tested.p_keeps_up, alpha=alpha, method="holm")[0]
    n = len(tested)
    low, high, share = lagging.sum() / n, 1 - keeping.sum() / n, float((tested.p_lags < 1 - LEVEL).mean())
    worst = tested.sort_values("p_lags").head(3)
    details = (f"{n} communities compared ({int(tested.at_chance.sum())} at chance, or at no preference, at every size; "
               f"{len(lags) - n} too short); {int(lagging.sum())} shown to lag, {int(keeping.sum())} shown to keep "
               "up; strongest: " + "; ".join(
                   f"{r.model} {r.attribute} {r.community}: gap slope {r.gap_slope:+.3f} per tenfold "
                   f"(p = {r.p_lags:.2g})" for r in worst.itertuples()))
    return Claim(claim="C3", test=LAG_SHARE_TEST, effect_name=effect_name, effect=share, ci_low=low, ci_high=high,
                 verdict=verdict_from_interval(low, high, threshold, "above"), rule=rule, details=details)


SIZE_POINTS = np.array([0.56e9, 1.1e9, 1.7e9, 3.0e9, 7.1e9])  # BLOOM's five sizes
SIZE_COMMUNITIES, SIZE_GAIN, SIZE_MARGIN, SIZE_SPREAD = 11, 0.06, 0.25, 1.0
SIZE_BOOT = 800  # bootstrap draws in one calibration replicate: the rule's minimum 20 F / 0.025 for F = 1 family


def _size_generated(gains: np.ndarray, rng) -> pd.DataFrame:
    """Accuracy of k languages at BLOOM's sizes: a level ~ U(0.5, 0.7) + gain x log10(N / N_smallest),
    item noise from n_items ~ U(500, 2000) per language, and each model's own scatter per size and
    language, sd 0.003 for most languages and 0.03 for about a third (noisier languages)."""
    from ..model_size import with_aggregates

    k = len(gains)
    x = np.log10(SIZE_POINTS / SIZE_POINTS[0])
    items = rng.integers(500, 2000, k)
    scatter = np.where(rng.random(k) < 0.3, 0.03, 0.003)
    accuracy = rng.uniform(0.5, 0.7, k)[:, None] + gains[:, None] * x[None, :] + rng.normal(0, 1, (k, x.size)) * \
        scatter[:, None]
    stderr = np.sqrt(accuracy * (1 - accuracy) / items[:, None])
    observed = accuracy + rng.normal(0, 1, accuracy.shape) * stderr
    table = pd.DataFrame({"model": "m", "size_name": np.tile([f"s{i}" for i in range(x.size)], k),
                          "scale": np.tile(SIZE_POINTS, k), "seed": 0, "attribute": "task",
                          "community": np.repeat([f"l{j:02d}" for j in range(k)], x.size), "metric": "accuracy",
                          "value": observed.ravel(), "stderr": stderr.ravel(), "n_eval": np.repeat(items, x.size),
                          "chance_badness": 0.5})
    table["badness"] = 1 - table.value
    return with_aggregates(table)


def _spread_gains(relative_spread: float, rng) -> np.ndarray:
    """Gains per tenfold of SIZE_COMMUNITIES languages whose spread around SIZE_GAIN is relative_spread x
    SIZE_GAIN (normal, recentred and rescaled so the languages' own spread is exactly that)."""
    z = rng.standard_normal(SIZE_COMMUNITIES)
    z = (z - z.mean()) / z.std(ddof=1) if relative_spread > 0 else np.zeros(SIZE_COMMUNITIES)
    return SIZE_GAIN + relative_spread * SIZE_GAIN * z


def _size_verdict(table) -> str:
    from ..model_size import slope_table

    return model_size_c3(table, slope_table(table, 4), SIZE_MARGIN, n_boot=SIZE_BOOT).verdict


MODEL_SIZE_CALIBRATION = Calibration(
    null=lambda rng: _size_generated(_spread_gains(SIZE_MARGIN, rng), rng),
    true=lambda rng: _size_generated(_spread_gains(SIZE_SPREAD, rng), rng),
    verdict=_size_verdict,
    null_description=(f"{SIZE_COMMUNITIES} languages at BLOOM's 5 sizes whose gains per tenfold of parameters spread "
                      f"by exactly the margin around {SIZE_GAIN} (relative spread {SIZE_MARGIN}: the least "
                      "favourable null; equal gains is an interior point, reported apart) from levels ~U(0.5, 0.7); "
                      "item noise from 500-2,000 items per language; model scatter sd 0.003 per size for most "
                      f"languages, 0.03 for about a third; margin {SIZE_MARGIN}, {SIZE_BOOT} bootstrap draws"),
    effect=(f"relative spread {SIZE_SPREAD} (gains {SIZE_GAIN} +- {SIZE_SPREAD * SIZE_GAIN:.2f} per tenfold, sd), "
            "otherwise as the null; the power at other spreads, and on each real study's design, is in "
            "benchmarks/results/c3_model_size_power.txt"))
