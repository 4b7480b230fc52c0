"""How far communities' gains spread around their aggregate's: random-effects statistics of slopes.

A family is one model family x task x metric of the model-size axis (its communities: a task's
languages, MMLU's subjects, CrowS-Pairs' categories in one language). Each community j has a slope
b_j of badness per tenfold of parameters with standard error s_j (model_size.slope_table: published
item errors scaled up, never down, by the scatter between sizes). The random-effects model
b_j ~ N(mu, s_j^2 + tau^2) puts a number on "does not follow": tau, the standard deviation of the
communities' true slopes. Divided by the magnitude of the family's aggregate gain |g| it is the
relative spread rho = tau / |g| (0.25: a community one standard deviation off gains a quarter more
or less than the aggregate).

Statistics here (known answers in tests/test_spread.py):

- `generalized_q` (Q at a given tau^2; Q at 0 is Cochran's), `dersimonian_laird`, `paule_mandel`
  and the Q-profile interval of tau^2 (`q_profile`, Viechtbauer 2007) with chi-square quantiles;
- `spread_table`: per family, the relative spread with a parametric-bootstrap interval. The
  chi-square law of Q assumes known s_j; here each s_j comes from 3 to 8 sizes (its dispersion is
  estimated from residuals with sizes - 2 degrees of freedom, pooled over the family, and at least
  1), so the test at a given rho0 draws its null: b*_j ~ N(mu, s_j^2 + (rho0 |g|)^2), each s*_j
  re-estimated as slope_table estimates s_j (own chi-square residuals, pooled, floor 1), the
  aggregate gain redrawn, g* ~ N(g, se_g^2) (independent of the spread: Q is location-invariant and
  the aggregate's slope is a location), and T* = Q(b*, s*, (rho0 |g*|)^2) against T = Q(b, s,
  (rho0 |g|)^2). Bounds invert these tests on a grid of rho0 with common random numbers.
- `step_down_max_t`: Westfall-Young adjusted p-values from joint null draws;
- `left_behind`: per community, the gap of its slope to the aggregate's (model_size.lag_table),
  one-sided "left behind" and two-sided "differs" beyond margin x |g|, step-down max-T over each
  family from joint normal draws that keep the shared aggregate's correlation;
- `power_curve`: the test on generators that copy a study's design (per family: its communities'
  s_j, dispersions and sizes, its aggregate gain and its standard error), over relative spreads,
  with the minimum relative spread detected with 80% power.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .model_size import AGGREGATE

FAMILY = ["model", "attribute", "metric"]
# relative spreads at which the bootstrap tests are inverted (finer near the margins that matter)
RHO_GRID = np.r_[np.arange(0, 1, 0.01), np.arange(1, 3, 0.05), np.arange(3, 10.01, 0.25)]
MIN_COMMUNITIES = 3


# ----------------------------------------------------------------------------- known-variance statistics

def generalized_q(b, s, tau2):
    """Q(tau^2) = sum w_j (b_j - mu_w)^2 with w_j = 1 / (s_j^2 + tau^2), over the last axis; b and s
    broadcast, tau2 broadcasts against their leading axes. Q(0) is Cochran's Q."""
    b, s = np.asarray(b, float), np.asarray(s, float)
    w = 1.0 / (s ** 2 + np.asarray(tau2, float)[..., None])
    mu = np.sum(w * b, axis=-1, keepdims=True) / np.sum(w, axis=-1, keepdims=True)
    return np.sum(w * (b - mu) ** 2, axis=-1)


def dersimonian_laird(b, s) -> float:
    b, s = np.asarray(b, float), np.asarray(s, float)
    w = 1 / s ** 2
    q = float(generalized_q(b, s, 0.0))
    return max(0.0, (q - (len(b) - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))


def _solve(b, s, target: float) -> float:
    """tau^2 >= 0 with Q(tau^2) = target (Q decreases in tau^2); 0 when Q(0) <= target."""
    f = lambda t2: float(generalized_q(b, s, t2)) - target  # noqa: E731
    if f(0.0) <= 0:
        return 0.0
    high = max(float(np.var(b)), float(np.max(s)) ** 2, 1e-12)
    while f(high) > 0:
        high *= 4
    return optimize.brentq(f, 0.0, high, xtol=1e-14, rtol=1e-12)


def paule_mandel(b, s) -> float:
    """Paule-Mandel tau^2: Q(tau^2) = k - 1."""
    return _solve(b, s, len(b) - 1)


def q_profile(b, s, level: float = 0.95) -> tuple[float, float]:
    """Q-profile interval of tau^2 (chi-square quantiles of k - 1 degrees of freedom, known s_j)."""
    df = len(b) - 1
    alpha = 1 - level
    return _solve(b, s, stats.chi2.ppf(1 - alpha / 2, df)), _solve(b, s, stats.chi2.ppf(alpha / 2, df))


def q_test(b, s, tau2_0: float) -> float:
    """Chi-square p-value of H0: tau^2 <= tau2_0 by the generalized Q (known s_j)."""
    return float(stats.chi2.sf(generalized_q(b, s, tau2_0), len(b) - 1))


def step_down_max_t(t, t_null) -> np.ndarray:
    """Westfall-Young step-down adjusted p-values (large t is evidence) from joint null draws
    t_null (n_draws, k): the hypothesis ranked r by t is compared with the maximum of the null draws
    over the hypotheses ranked r and below, and adjusted p-values are made monotone."""
    t, t_null = np.asarray(t, float), np.asarray(t_null, float)
    order = np.argsort(-t)
    # successive maxima from the least significant upwards
    tail_max = np.maximum.accumulate(t_null[:, order[::-1]], axis=1)[:, ::-1]
    raw = (1 + (tail_max >= t[order][None, :]).sum(axis=0)) / (1 + len(t_null))
    adjusted = np.maximum.accumulate(raw)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


# ----------------------------------------------------------------------------- the family's design

def designs(slopes: pd.DataFrame) -> tuple[list[dict], pd.DataFrame]:
    """Per family, what the spread test needs; and the families and communities set apart, with why.

    Rules: a family is tested when its aggregate's slope is shown nonzero (95% interval off 0: the
    aggregate gains, or worsens, with size) and at least 3 of its communities have an identified
    slope. A community's slope is identified when slope_table evaluates it and its standard error is
    at most |g| (otherwise its 95% interval spans more than the aggregate's whole gain either side:
    the data cannot say whether it gains at all)."""
    found, apart = [], []
    for key, group in slopes.groupby(FAMILY, sort=True):
        aggregate = group[group.community == AGGREGATE]
        communities = group[group.community != AGGREGATE]
        name = dict(zip(FAMILY, key))
        if aggregate.empty or communities.empty:
            continue  # a benchmark measured only on the whole model: no communities
        agg = aggregate.iloc[0]
        if agg.reason:
            apart.append({**name, "community": AGGREGATE, "reason": f"aggregate not evaluable: {agg.reason}"})
            continue
        gain = -float(agg.slope_per_tenfold)
        unidentified = communities.reason != ""
        for r in communities[unidentified].itertuples():
            apart.append({**name, "community": r.community, "reason": r.reason})
        if agg.direction == "no clear change":
            apart.append({**name, "community": AGGREGATE,
                          "reason": f"aggregate gain {gain:+.3f} per tenfold [{-agg.ci_high:+.3f}, {-agg.ci_low:+.3f}] "
                                    "not shown nonzero: no relative spread"})
            continue
        usable = communities[~unidentified]
        wide = usable.se > abs(gain)
        for r in usable[wide].itertuples():
            apart.append({**name, "community": r.community,
                          "reason": f"slope's standard error {r.se:.3f} above the aggregate's gain {abs(gain):.3f}"})
        usable = usable[~wide]
        if len(usable) < MIN_COMMUNITIES:
            apart.append({**name, "community": AGGREGATE,
                          "reason": f"{len(usable)} communities with an identified slope, fewer than {MIN_COMMUNITIES}"})
            continue
        found.append({**name, "communities": usable.community.to_numpy(), "b": usable.slope_per_tenfold.to_numpy(float),
                      "s": usable.se.to_numpy(float), "sxx": usable.sxx.to_numpy(float),
                      "df_own": (usable.sizes - 2).to_numpy(int), "gain": gain, "gain_se": float(agg.se)})
    return found, pd.DataFrame(apart, columns=[*FAMILY, "community", "reason"])


def _resampled_se(rng, design: dict, n: int) -> np.ndarray:
    """(n, k) standard errors re-estimated as slope_table does: dispersion max(own, pooled, 1), own
    residual chi-square with sizes - 2 df around each curve's estimated dispersion."""
    phi = design["s"] ** 2 * design["sxx"]
    df = design["df_own"]
    chi2 = phi[None, :] * rng.chisquare(np.maximum(df, 1)[None, :], (n, len(df)))
    chi2 = np.where(df[None, :] > 0, chi2, 0.0)
    own = np.where(df[None, :] > 0, chi2 / np.maximum(df, 1)[None, :], 0.0)
    pooled = chi2.sum(axis=1, keepdims=True) / max(int(df.sum()), 1)
    return np.sqrt(np.maximum(np.maximum(own, pooled), 1.0) / design["sxx"][None, :])


def _null_draws(design: dict, n: int, seed) -> dict:
    """Common random numbers of the bootstrap: slopes' standard normals, re-estimated standard errors,
    the aggregate gain's draws."""
    rng = np.random.default_rng(seed)
    return {"z": rng.standard_normal((n, len(design["b"]))), "s": _resampled_se(rng, design, n),
            "gain": design["gain"] + design["gain_se"] * rng.standard_normal(n)}


def _statistic(b, s, gain, rho):
    return generalized_q(b, s, (rho * np.abs(gain)) ** 2)


def _tails(design: dict, draws: dict, grid: np.ndarray, b=None, s=None, gain=None) -> tuple[np.ndarray, np.ndarray]:
    """p-values of tau <= rho0 |g| (upper tail) and tau >= rho0 |g| (lower tail) at every rho0 of grid."""
    b = design["b"] if b is None else b
    s = design["s"] if s is None else s
    gain = design["gain"] if gain is None else gain
    upper, lower = np.empty(len(grid)), np.empty(len(grid))
    n = len(draws["z"])
    centre = np.average(b, weights=1 / s ** 2)
    for i, rho in enumerate(grid):
        observed = _statistic(b, s, gain, rho)
        tau2 = (rho * abs(design["gain"])) ** 2
        drawn = centre + np.sqrt(design["s"] ** 2 + tau2)[None, :] * draws["z"]
        null = _statistic(drawn, draws["s"], draws["gain"], rho)
        upper[i] = (1 + np.sum(null >= observed)) / (n + 1)
        lower[i] = (1 + np.sum(null <= observed)) / (n + 1)
    return upper, lower


def _crossing(grid, p, alpha, side: str) -> float:
    """Lower bound: the smallest rho0 not rejected by the upper-tail test (p rises with rho0); upper
    bound: the largest rho0 not rejected by the lower-tail test (p falls with rho0). Linear
    interpolation between grid points; inf when no grid point rejects the upper end."""
    if side == "lower":
        if p[0] > alpha:
            return 0.0
        above = np.nonzero(p > alpha)[0]
        if not len(above):
            return float(grid[-1])
        i = above[0]
        return float(np.interp(alpha, [p[i - 1], p[i]], [grid[i - 1], grid[i]]))
    rejected = np.nonzero(p <= alpha)[0]
    if not len(rejected):
        return np.inf
    i = rejected[0]
    if i == 0:
        return 0.0
    return float(np.interp(-alpha, [-p[i - 1], -p[i]], [grid[i - 1], grid[i]]))


def spread_table(slopes: pd.DataFrame, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    """One row per tested family: communities k, aggregate gain g (per tenfold, positive = better with
    size) and its se, tau^2 (Paule-Mandel, DerSimonian-Laird), Cochran's Q and its chi-square p, the
    chi-square Q-profile interval of tau, the relative spread rho = tau_PM / |g|, and its bootstrap
    bounds: rho_high (one-sided (1 + level) / 2) and rho_low_1 (one-sided (1 + level) / 2, one family),
    rho_low (Bonferroni over the F tested families: Holm's first step), so that 'some family above the
    margin' (Holm at (1 - level) / 2) is exactly max(rho_low) > margin. Second table: what is set apart.
    The bootstrap uses at least 20 F / alpha draws (about 20 beyond the Bonferroni threshold), n_boot if more."""
    found, apart = designs(slopes)
    alpha = (1 - level) / 2
    # enough draws that about 20 of them fall beyond Holm's first (Bonferroni) threshold alpha / F
    n_boot = max(n_boot, int(np.ceil(20 * max(len(found), 1) / alpha)))
    rows = []
    for f, design in enumerate(found):
        b, s, k = design["b"], design["s"], len(design["b"])
        pm, dl = paule_mandel(b, s), dersimonian_laird(b, s)
        q_low, q_high = q_profile(b, s, level)
        draws = _null_draws(design, n_boot, [seed, 1717, f])
        upper, lower = _tails(design, draws, RHO_GRID)
        g = abs(design["gain"])
        rows.append({**{c: design[c] for c in FAMILY}, "communities": k, "boot": n_boot, "gain": design["gain"],
                     "gain_se": design["gain_se"], "mean_slope_se": float(np.sqrt(np.mean(s ** 2))),
                     "tau2_pm": pm, "tau2_dl": dl, "q": float(generalized_q(b, s, 0.0)),
                     "p_homogeneity_chi2": float(stats.chi2.sf(generalized_q(b, s, 0.0), k - 1)),
                     "tau_low_chi2": np.sqrt(q_low), "tau_high_chi2": np.sqrt(q_high),
                     "rho": np.sqrt(pm) / g, "rho_low_1": _crossing(RHO_GRID, upper, alpha, "lower"),
                     "rho_high": _crossing(RHO_GRID, lower, alpha, "upper"),
                     "_upper": upper, "p_homogeneity_boot": float(upper[0])})
    table = pd.DataFrame(rows)
    if len(table):
        bonferroni = alpha / len(table)
        table["rho_low"] = [_crossing(RHO_GRID, u, bonferroni, "lower") for u in table._upper]
        table = table.drop(columns="_upper")
    return table, apart


def p_above(slopes: pd.DataFrame, margin: float, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Per tested family, the bootstrap p-value of H0: rho <= margin, and Holm's adjustment across families."""
    from statsmodels.stats.multitest import multipletests

    found, _ = designs(slopes)
    rows = []
    for f, design in enumerate(found):
        upper, lower = _tails(design, _null_draws(design, n_boot, [seed, 1717, f]), np.array([margin]))
        rows.append({**{c: design[c] for c in FAMILY}, "p_above": upper[0], "p_below": lower[0]})
    table = pd.DataFrame(rows, columns=[*FAMILY, "p_above", "p_below"])
    if len(table):
        table["p_above_holm"] = multipletests(table.p_above, method="holm")[1]
    return table


# ----------------------------------------------------------------------------- which communities

def left_behind(lags: pd.DataFrame, slopes: pd.DataFrame, weights: pd.DataFrame, margin: float,
                n_draws: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per community of each tested family: its gap to the aggregate's gain (lag_table's gap_slope,
    positive = gains less) beyond margin x |g|, one-sided ('left behind') and two-sided ('differs'),
    Westfall-Young step-down max-T over the family. Joint null draws keep the aggregate shared by the
    gaps: gap*_j = s_j z_j - a*, a* = sum_i w_i s_i z_i + the aggregate's own extra noise, with w its
    weights (1 / k for a computed mean, the share of items for a published overall score)."""
    found, _ = designs(slopes)
    out = []
    for f, design in enumerate(found):
        key = {c: design[c] for c in FAMILY}
        gaps = lags.merge(pd.DataFrame(key, index=[0]), on=FAMILY)
        gaps = gaps[gaps.community.isin(design["communities"]) & (gaps.reason == "")]
        if gaps.empty:
            continue
        w = weights.merge(pd.DataFrame(key, index=[0]), on=FAMILY).set_index("community").weight
        order = pd.Index(design["communities"])
        s = pd.Series(design["s"], index=order).loc[gaps.community].to_numpy()
        wi = w.reindex(order).fillna(0.0).to_numpy()
        rng = np.random.default_rng([seed, 1718, f])
        z = rng.standard_normal((n_draws, len(order)))
        extra = max(design["gain_se"] ** 2 - float(np.sum(wi ** 2 * design["s"] ** 2)), 0.0)
        aggregate = z @ (wi * design["s"]) + np.sqrt(extra) * rng.standard_normal(n_draws)
        idx = order.get_indexer(gaps.community)
        null = design["s"][idx][None, :] * z[:, idx] - aggregate[:, None]
        null /= null.std(axis=0, keepdims=True)
        shift = margin * abs(design["gain"])
        # a community left behind gains less: its badness slope gap is positive for an improving aggregate
        sign = 1.0 if design["gain"] > 0 else -1.0
        t_one = (sign * gaps.gap_slope.to_numpy() - shift) / gaps.se.to_numpy()
        t_two = (np.abs(gaps.gap_slope.to_numpy()) - shift) / gaps.se.to_numpy()
        out.append(gaps[[*FAMILY, "community", "gap_slope", "se"]].assign(
            relative_gap=sign * gaps.gap_slope.to_numpy() / abs(design["gain"]),
            p_left_behind=step_down_max_t(t_one, null), p_differs=step_down_max_t(t_two, np.abs(null)), slope_se=s))
    columns = [*FAMILY, "community", "gap_slope", "se", "relative_gap", "p_left_behind", "p_differs", "slope_se"]
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=columns)


# ----------------------------------------------------------------------------- power on the study's design

def power_curve(slopes: pd.DataFrame, margin: float, spreads=np.round(np.arange(0, 2.01, 0.1), 2),
                n_sim: int = 400, n_null: int = 2000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Probability that the rule finds some family's spread above `margin` (Holm across the study's
    tested families at (1 - level) / 2), on generators that copy each family's design: its number of
    communities, their standard errors, dispersions and sizes (re-estimated standard errors), its
    aggregate gain and that gain's standard error; every family's true relative spread set to each
    value of `spreads`. Each family's critical values come from its design's null at the margin
    (n_null draws), not re-bootstrapped per simulated data set."""
    found, _ = designs(slopes)
    alpha = (1 - level) / 2
    if not found:
        return pd.DataFrame(columns=["relative_spread", "power"])
    threshold = alpha / len(found)
    hits = np.zeros((len(spreads), n_sim), bool)
    for f, design in enumerate(found):
        null = _null_draws(design, n_null, [seed, 1719, f])
        centre = 0.0
        null_t = np.sort(_statistic(centre + np.sqrt(design["s"] ** 2 + (margin * design["gain"]) ** 2)
                                    * null["z"], null["s"], null["gain"], margin))
        sim = _null_draws(design, n_sim, [seed, 1720, f])
        for i, rho in enumerate(spreads):
            b = np.sqrt(design["s"] ** 2 + (rho * design["gain"]) ** 2) * sim["z"]
            t = _statistic(b, sim["s"], sim["gain"], margin)
            exceed = n_null - np.searchsorted(null_t, t, side="left")  # draws of the null >= t
            hits[i] |= (1 + exceed) / (n_null + 1) <= threshold
    return pd.DataFrame({"relative_spread": spreads, "power": hits.mean(axis=1), "families": len(found),
                         "simulations": n_sim})


def minimum_detectable(power: pd.DataFrame, target: float = 0.8) -> float:
    """The smallest relative spread detected with `target` power (linear interpolation of the curve
    above the margin); inf when the curve never reaches it."""
    from .claims._calibration import detectable_effect

    return np.nan if power.empty else detectable_effect(power.relative_spread, power.power, target)
