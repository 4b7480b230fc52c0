"""C3: Per-community error does not follow the aggregate's scaling.

Tested one-sided, as "left behind": a community whose error above its own floor shrinks
more slowly (smaller exponent c of e = e_inf + b n^-c) than its model's aggregate. A higher
floor alone is not "slower" (the log-log slope confuses the two); a community with nothing
left to gain at the largest size is reported apart ("at its floor"), not counted as slower.
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
                 settings={"threshold": "fits.not_following_share", "floor_gain": "fits.floor_gain",
                           "exponent_margin": "fits.exponent_margin"},
                 grid={"threshold": [0.02, 0.1], "floor_gain": [0.0005, 0.002], "exponent_margin": [0.05, 0.2]})

TEST = ("exponent of each community's excess error above its floor vs its model's aggregate, joint resamples of "
        "seeds and test rows, one-sided, Holm across all communities")


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


def evaluate(exponents: pd.DataFrame, threshold: float = 0.05, floor_gain: float = 0.001,
             exponent_margin: float = 0.1) -> Claim:
    """C3 from a community_exponents table (see classify for the statuses)."""
    rule = (f"{GAP_RULE}. A community is 'at its floor' when that upper end is below {floor_gain:g}; the others are "
            f"tested one-sided for gap > 0 with Holm's correction across all communities and models at "
            f"{1 - LEVEL:.2f} ('slower'), and for gap < {exponent_margin:g} ('not lagging'). Share left behind = "
            "slower / compared; its interval runs from that share (every Holm rejection is real with 95% "
            "confidence, whatever the dependence between communities) to the share not shown 'not lagging' and "
            f"not at its floor. Supported when the lower end is above {threshold:g}, not supported when the upper "
            "end is at or below it, inconclusive otherwise")
    rows = classify(exponents, floor_gain, exponent_margin)
    total = len(rows)
    if total == 0:
        reasons = exponents.reason.value_counts().head(3).to_dict() if len(exponents) else {}
        return not_applicable("C3", f"no community curve can be compared with its aggregate ({reasons})", test=TEST)
    counts = rows.status.value_counts()
    slower, not_lagging, at_floor = (int(counts.get(k, 0)) for k in ("slower", "not lagging", "at its floor"))
    low, high = slower / total, (total - not_lagging - at_floor) / total
    flagged = rows[rows.status == "slower"].sort_values("gap", ascending=False)
    examples = ", ".join(f"{r.model}/{r.attribute}={r.community} (c {r.c:.2f} vs {r.c_aggregate:.2f})"
                         for r in flagged.head(5).itertuples())
    details = (f"{total} community curves compared: {slower} slower, {at_floor} at their floor (nothing left to "
               f"gain), {not_lagging} not lagging, {int(counts.get('uncertain', 0))} uncertain"
               + (f"; slowest: {examples}" if examples else "")
               + (f"; {int((exponents.reason.fillna('') != '').sum())} not compared" if len(exponents) > total else ""))
    return Claim(claim="C3", test=TEST, effect_name="share of communities improving more slowly than the aggregate",
                 effect=low, ci_low=low, ci_high=high, verdict=verdict_from_interval(low, high, threshold, "above"),
                 rule=rule, details=details)


# ----------------------------------------------------------------------------- calibration

CALIBRATION_BOOT = 100  # resamples inside one calibration replicate (the study uses fits.bootstrap)
N_COMMUNITIES, SLOW_SHARE, C_AGGREGATE, C_SLOW = 30, 0.3, 0.5, 0.2
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


def _null(rng):
    return _generated(np.full(N_COMMUNITIES, C_AGGREGATE), rng)


def _true(rng):
    exponents = np.full(N_COMMUNITIES, C_AGGREGATE)
    exponents[: int(round(SLOW_SHARE * N_COMMUNITIES))] = C_SLOW
    return _generated(exponents, rng)


def _verdict(data) -> str:
    table, replicates = data
    return evaluate(community_exponents(table, replicates=replicates, n_boot=CALIBRATION_BOOT)).verdict


CALIBRATION = Calibration(
    null=_null, true=_true, verdict=_verdict,
    null_description=(f"{N_COMMUNITIES} random groups that share the aggregate's curve e = 0.06 + b n^-{C_AGGREGATE} "
                      "(e(128) = 0.2) up to test-set noise (relative sd sqrt((1-e)/(e n_eval)), n_eval ~ "
                      "log-uniform 100..5,000: small groups noisier) and seed noise sd 0.02; census sizes, 5 seeds, "
                      f"{CALIBRATION_BOOT} joint resamples"),
    effect=(f"{SLOW_SHARE:.0%} of {N_COMMUNITIES} communities with exponent {C_SLOW} instead of {C_AGGREGATE} "
            "(same e(128) and floor), otherwise as the null"))


# ------------------------------------------------- on the model-size axis (published results)

MODEL_SIZE_TEST = ("slope per tenfold of parameters of each community's badness minus its aggregate's (weighted by "
                   "published standard errors), one-sided, Holm across all communities")


def evaluate_model_size(lags: pd.DataFrame, threshold: float = 0.05, margin: float = 0.01) -> Claim:
    """C3 from a model_size.lag_table: with 3-8 sizes per curve no floor is identified, so a community
    is 'left behind' when its gain per tenfold of parameters is smaller than its aggregate's."""
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
                              test=MODEL_SIZE_TEST)
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
    return Claim(claim="C3", test=MODEL_SIZE_TEST, effect_name=effect_name, effect=share, ci_low=low, ci_high=high,
                 verdict=verdict_from_interval(low, high, threshold, "above"), rule=rule, details=details)


SIZE_POINTS = np.array([0.56e9, 1.1e9, 1.7e9, 3.0e9, 7.1e9])  # BLOOM's five sizes
SIZE_COMMUNITIES, SIZE_GAIN, SIZE_LAG, SIZE_LAGGING = 11, 0.06, 0.15, 3


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


def _size_verdict(table) -> str:
    from ..model_size import lag_table

    return evaluate_model_size(lag_table(table, min_sizes=4, margin=0.01), threshold=0.05, margin=0.01).verdict


MODEL_SIZE_CALIBRATION = Calibration(
    null=lambda rng: _size_generated(np.full(SIZE_COMMUNITIES, SIZE_GAIN), rng),
    true=lambda rng: _size_generated(np.r_[np.full(SIZE_LAGGING, SIZE_GAIN - SIZE_LAG),
                                           np.full(SIZE_COMMUNITIES - SIZE_LAGGING, SIZE_GAIN)], rng),
    verdict=_size_verdict,
    null_description=(f"{SIZE_COMMUNITIES} languages at BLOOM's 5 sizes, all gaining {SIZE_GAIN} accuracy per tenfold "
                      "of parameters from levels ~U(0.5, 0.7); item noise from 500-2,000 items per language; model "
                      "scatter sd 0.003 per size for most languages, 0.03 for about a third"),
    effect=(f"{SIZE_LAGGING} of {SIZE_COMMUNITIES} languages gain {SIZE_LAG} per tenfold less than the others "
            f"({SIZE_GAIN - SIZE_LAG:+.2f}), otherwise as the null"))
