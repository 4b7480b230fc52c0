"""Statistics over many learning curves, each a dataset x learner, with datasets as the units.

Input: the standard table of lcdb_curves (columns dataset, learner, train_size, outer_seed,
inner_seed, fit_time, metric, value; value lower-is-better). The outer seed (one test split and
training pool) is the independent replicate of a curve: inner seeds share its test rows, so
values are first averaged over inner seeds (seed_means). Intervals over datasets resample
datasets with replacement (dataset_bootstrap), keeping all the curves of a drawn dataset.

- C1: extrapolation_table, the power law with floor against the flat last value and an
  exponential saturation (scaling_fits.alternatives) on each curve, per-curve interval over outer seeds.
- C4: trend_table and disagreement_table, slope per doubling of each metric over the upper half
  of a curve's sizes, one slope per outer seed, and an intersection-union test of opposite trends.
- C6: curvature_table, the curvature 2c of error in log2 training time per curve
  (diminishing_returns.curvature).
- C7: served_table, per dataset, the best configuration (learner x size) and the best cheap one,
  chosen on half the outer seeds and judged on the other half.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .diminishing_returns import curvature
from .io import InputError
from .scaling_fits.alternatives import extrapolation_margin
from .small_models import majority_excess

CURVE = ["dataset", "learner"]
NEEDED = ("dataset", "learner", "train_size", "outer_seed", "inner_seed", "fit_time", "metric", "value")


def check(table: pd.DataFrame, metric: str | None = None) -> pd.DataFrame:
    missing = [c for c in NEEDED if c not in table.columns]
    if missing:
        raise InputError(f"curve table: column(s) {missing} missing; it has {list(table.columns)}")
    if metric is not None:
        if metric not in set(table.metric.astype(str)):
            raise InputError(f"curve table has no metric {metric!r}; it has {sorted(set(table.metric.astype(str)))}")
        table = table[table.metric.astype(str) == metric]
    return table


def seed_means(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Mean value and median fit time over inner seeds, per dataset x learner x train_size x outer_seed.
    Columns: dataset, learner, train_size, outer_seed, value, fit_time, inner_seeds."""
    rows = check(table, metric)
    out = rows.groupby([*CURVE, "train_size", "outer_seed"], observed=True, sort=True).agg(
        value=("value", "mean"), fit_time=("fit_time", "median"), inner_seeds=("value", "size")).reset_index()
    out["learner"] = out.learner.astype(str)
    return out


# ------------------------------------------------------------------------------------------ intervals

def dataset_bootstrap(frame: pd.DataFrame, statistic, n_boot: int, seed: int = 0, level: float = 0.95):
    """(point, low, high): `statistic(frame)` and its percentile interval over resamples of the
    datasets of `frame` (column dataset) with replacement, each drawn dataset with all its rows."""
    point = float(statistic(frame))
    if frame.empty:
        return point, np.nan, np.nan
    codes, labels = pd.factorize(frame.dataset)
    rows_of = [np.flatnonzero(codes == k) for k in range(labels.size)]
    rng = np.random.default_rng(seed)
    draws = np.empty(n_boot)
    for b in range(n_boot):
        pick = rng.integers(0, labels.size, labels.size)
        draws[b] = statistic(frame.iloc[np.concatenate([rows_of[k] for k in pick])])
    alpha = (1 - level) / 2
    low, high = np.nanquantile(draws, [alpha, 1 - alpha])
    return point, float(low), float(high)


# ------------------------------------------------------------------------------------------------ C1

def extrapolation_table(table: pd.DataFrame, doublings: float = 3.0, n_boot: int = 50, metric: str = "error",
                        level: float = 0.95) -> pd.DataFrame:
    """The held-out extrapolation margin (alternatives.extrapolation_margin) of every curve, from its
    outer-seed means. Columns: dataset, learner, sizes, margin, margin_ci_low, margin_ci_high,
    margin_flat, margin_saturation, margin_power_law, outcome ('power law' when the interval lies above 0, 'alternative'
    when at or below 0, 'undecided' otherwise, '' when not testable), reason."""
    means = seed_means(table, metric)
    rows = []
    for (dataset, learner), g in means.groupby(CURVE, sort=True):
        row = {"dataset": dataset, "learner": learner, "sizes": g.train_size.nunique(), "reason": ""}
        try:
            r = extrapolation_margin(g.train_size.to_numpy(float), g.value.to_numpy(float), g.outer_seed.to_numpy(),
                                     doublings, n_boot=n_boot, level=level)
            row.update({k: r[k] for k in ("margin", "margin_ci_low", "margin_ci_high", "margin_flat",
                                          "margin_saturation", "margin_power_law")})
        except (InputError, RuntimeError) as exc:
            row.update(margin=np.nan, margin_ci_low=np.nan, margin_ci_high=np.nan, margin_flat=np.nan,
                       margin_saturation=np.nan, margin_power_law=np.nan, reason=str(exc).split(";")[0])
        rows.append(row)
    out = pd.DataFrame(rows)
    out["outcome"] = np.select([out.margin_ci_low > 0, out.margin_ci_high <= 0, out.margin.notna()],
                               ["power law", "alternative", "undecided"], "")
    return out


def win_share(frame: pd.DataFrame, outcome: str = "power law") -> float:
    """Share of the testable curves of `frame` whose outcome is `outcome`."""
    testable = frame[frame.outcome != ""]
    return float((testable.outcome == outcome).mean()) if len(testable) else np.nan


# ------------------------------------------------------------------------------------------------ C4

def _upper_half(sizes: np.ndarray) -> np.ndarray:
    x = np.log2(np.unique(sizes))
    return np.unique(sizes)[x >= (x.min() + x.max()) / 2]


def trend_table(table: pd.DataFrame, metrics=("error", "log_loss"), min_seeds: int = 3) -> pd.DataFrame:
    """Per curve and metric, the slope per doubling of training size of the lower-is-better value
    over the upper half of the curve's sizes (log2 n at least the midpoint of its range): one
    least-squares slope per outer seed (of its inner-seed mean), then their mean, standard error and
    one-sided p-values of improving (slope < 0) and worsening (slope > 0), t with seeds - 1 df.
    Curves with fewer than `min_seeds` outer seeds holding 2 or more upper sizes are left out.
    Columns: dataset, learner, metric, seeds, slope, se, p_improve, p_worsen."""
    rows = []
    for metric in metrics:
        means = seed_means(table, metric)
        for (dataset, learner), g in means.groupby(CURVE, sort=True):
            upper = g[g.train_size.isin(_upper_half(g.train_size.to_numpy()))]
            slopes = []
            for _, s in upper.groupby("outer_seed"):
                if s.train_size.nunique() >= 2:
                    slopes.append(np.polyfit(np.log2(s.train_size.to_numpy(float)), s.value.to_numpy(float), 1)[0])
            if len(slopes) < min_seeds:
                continue
            slopes = np.asarray(slopes)
            se = slopes.std(ddof=1) / np.sqrt(slopes.size)
            with np.errstate(divide="ignore", invalid="ignore"):
                t = slopes.mean() / se
            if se == 0:  # identical slopes: a sign without noise
                t = np.inf * np.sign(slopes.mean()) if slopes.mean() else 0.0
            df = slopes.size - 1
            rows.append({"dataset": dataset, "learner": learner, "metric": metric, "seeds": slopes.size,
                         "slope": float(slopes.mean()), "se": float(se), "p_improve": float(stats.t.cdf(t, df)),
                         "p_worsen": float(stats.t.sf(t, df))})
    return pd.DataFrame(rows, columns=["dataset", "learner", "metric", "seeds", "slope", "se", "p_improve",
                                       "p_worsen"])


def disagreement_table(trends: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Per curve with both metrics: p of "one metric improves while the other worsens", the
    intersection-union test max(p_improve(a), p_worsen(b)) for each direction, Bonferroni over the
    two directions; flagged when p < alpha (so on a curve whose metrics move together, or where
    either is flat, it is flagged with probability at most alpha). Columns: dataset, learner,
    slope_<metric> for each, p_disagree, flagged."""
    metrics = sorted(trends.metric.unique())
    if len(metrics) != 2:
        raise InputError(f"the disagreement test compares exactly two metrics; trends hold {metrics}")
    a, b = metrics
    wide = trends.pivot_table(index=CURVE, columns="metric", values=["slope", "p_improve", "p_worsen"]).dropna()
    p_ab = np.maximum(wide[("p_improve", a)], wide[("p_worsen", b)])
    p_ba = np.maximum(wide[("p_improve", b)], wide[("p_worsen", a)])
    out = pd.DataFrame({f"slope_{a}": wide[("slope", a)], f"slope_{b}": wide[("slope", b)],
                        "p_disagree": np.minimum(1.0, 2 * np.minimum(p_ab, p_ba))}).reset_index()
    out["flagged"] = out.p_disagree < alpha
    return out


# ------------------------------------------------------------------------------------------------ C6

def curvature_table(table: pd.DataFrame, metric: str = "error", skip_smallest: int = 0,
                    min_points: int = 4) -> pd.DataFrame:
    """Per curve, 2c of the least-squares fit mean value = a + b t + c t^2 with t = log2 of the
    median training time at each size (diminishing_returns.curvature, scale 'linear', C6's estimand):
    2c > 0 means the error gained per doubling of compute shrinks. The `skip_smallest` smallest sizes are left out (their time
    is mostly fixed overhead); sizes with a median time of 0 cannot be placed and are left out too.
    Columns: dataset, learner, points, curvature, reason."""
    rows = check(table, metric)
    per_size = rows.groupby([*CURVE, "train_size"], observed=True, sort=True).agg(
        value=("value", "mean"), fit_time=("fit_time", "median")).reset_index()
    out = []
    for (dataset, learner), g in per_size.groupby(CURVE, observed=True, sort=True):
        g = g.sort_values("train_size").iloc[skip_smallest:]
        g = g[g.fit_time > 0]
        row = {"dataset": dataset, "learner": str(learner), "points": len(g), "curvature": np.nan, "reason": ""}
        if len(g) < min_points:
            row["reason"] = f"{len(g)} sizes with a positive training time (need {min_points})"
        else:
            row["curvature"] = float(curvature(np.log2(g.fit_time.to_numpy(float)), g.value.to_numpy(float),
                                               "linear"))
        out.append(row)
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------------------------ C7

def served_table(table: pd.DataFrame, datasets: pd.DataFrame, margin: float = 0.1, small_share: float = 0.1,
                 metric: str = "error") -> pd.DataFrame:
    """Per dataset (a need), with configurations = learner x training size:

    the best configuration and the best small one (median training time at most `small_share` of
    the dataset's most expensive configuration's) are chosen on the mean error over the even outer
    seeds, and judged on the odd ones (so neither is flattered by the seeds that chose it). The small
    one serves the dataset when its error exceeds the best's by at most `margin` of the gap between
    the trivial error (majority class) and the best's.

    Columns: dataset, configs, best, small, best_time, small_time, trivial_error, best_error,
    small_error, excess (in units of the gap; inf when there is no gap and the small one is worse),
    served, reason (why a dataset is not evaluable: excess NaN)."""
    rows = check(table, metric)
    per = rows.assign(half=np.where(rows.outer_seed.to_numpy() % 2 == 0, "choose", "judge")).groupby(
        [*CURVE, "train_size", "half"], observed=True).value.mean().unstack("half")
    times = rows.groupby([*CURVE, "train_size"], observed=True).fit_time.median()
    trivial = datasets.set_index("dataset").trivial_error
    out = []
    for dataset, g in per.groupby(level="dataset", sort=True):
        g = g.dropna(subset=[c for c in ("choose", "judge") if c in g])
        row = {"dataset": dataset, "configs": len(g), "reason": "", "excess": np.nan, "served": False}
        if not {"choose", "judge"} <= set(g.columns) or g.empty:
            row["reason"] = "no configuration with both even and odd outer seeds"
            out.append(row)
            continue
        time = times.loc[g.index]
        best = g.choose.idxmin()
        small_pool = g[time.to_numpy() <= small_share * time.max()]
        if small_pool.empty:
            row["reason"] = f"no configuration takes at most {small_share:g} of the most expensive one's time"
            out.append(row)
            continue
        small = small_pool.choose.idxmin()
        e_best, e_small, e_trivial = g.judge[best], g.judge[small], float(trivial.get(dataset, np.nan))
        gap = e_trivial - e_best
        row.update(best=f"{best[1]} n={best[2]}", small=f"{small[1]} n={small[2]}", best_time=float(time[best]),
                   small_time=float(time[small]), trivial_error=e_trivial, best_error=e_best, small_error=e_small)
        if not np.isfinite(e_trivial):
            row["reason"] = "majority-class error unknown (the dataset has no MajorityClassSize in datasets.csv)"
        elif gap <= 0:
            row["reason"] = "the best configuration is no better than the majority class"
        else:
            row["excess"] = (e_small - e_best) / gap
            row["served"] = bool(e_small <= e_best + margin * gap + 1e-12)
        out.append(row)
    return pd.DataFrame(out)


def majority_excess_of(frame: pd.DataFrame) -> float:
    """The excess of the dataset ranked floor(N/2) + 1 from the best served (small_models.majority_excess):
    more than half are served exactly when it is within the margin."""
    values = frame.excess.to_numpy(float)
    return float(majority_excess(values)) if values.size else np.nan


# ----------------------------------------------------------------------------------------- generated

def generated_table(rng: np.random.Generator, truth, datasets: int = 40, learners=("a", "b"),
                    sizes=tuple(int(16 * 2 ** (k / 2)) for k in range(15)), outer: int = 5, inner: int = 2,
                    noise: float = 0.01, time_exponent: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A generated curve table and datasets table: `truth(n, dataset, learner_index)` gives the
    (error, log_loss) pair of noise-free values at sizes n; each outer seed adds one normal draw per
    size and metric (sd `noise`), each inner seed half as much again; fit time = 1e-5 x
    n^time_exponent x 10^(learner index) with 5% lognormal jitter. Trivial error 0.5 for every dataset."""
    n = np.asarray(sizes, float)
    L = len(learners)
    base = np.empty((datasets, L, 2, n.size))
    for d in range(datasets):
        for j in range(L):
            base[d, j] = np.asarray(truth(n, d, j), float)
    shape = (datasets, L, 2, outer, inner, n.size)
    value = (base[:, :, :, None, None, :] + rng.normal(0, noise, (datasets, L, 2, outer, 1, n.size))
             + rng.normal(0, noise / 2, shape))
    time = 1e-5 * n ** time_exponent * 10.0 ** np.arange(L)[None, :, None, None, None, None] \
        * np.exp(rng.normal(0, 0.05, (datasets, L, 1, outer, inner, n.size)))
    time = np.broadcast_to(time, shape)
    d, j, m, o, i, k = np.indices(shape).reshape(6, -1)
    table = pd.DataFrame({"dataset": d, "learner": np.asarray(learners, dtype=object)[j],
                          "train_size": n.astype(int)[k], "outer_seed": o, "inner_seed": i,
                          "fit_time": time.ravel(), "metric": np.array(["error", "log_loss"], dtype=object)[m],
                          "value": np.clip(value.ravel(), 1e-4, None)})
    sheet = pd.DataFrame({"dataset": np.arange(datasets), "name": [f"d{d}" for d in range(datasets)],
                          "trivial_error": 0.5})
    return table, sheet
