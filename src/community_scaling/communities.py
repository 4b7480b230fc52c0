"""Claim C2: larger samples hold more distinct communities.

Measured on the population the sweep subsamples (the training split): the
exact expected number of distinct communities in a simple random sample of n
rows (hypergeometric), a Monte-Carlo of nested samples like the sweep's, a
Heaps-law summary, Chao1 / sample coverage, and the smallest n at which each
community is evaluable.

Missing attribute values (NaN) are not a community: they are excluded from the
community counts, but their rows stay in the population, because a training
set of n rows includes rows whose attribute was not recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import gammaln
from scipy.stats import hypergeom

from .io import InputError

RICHNESS_COLUMNS = ["attribute", "n", "expected", "mc_mean", "mc_sd", "mc_q05", "mc_q95",
                    "mc_gain_q05", "mc_gain_q95", "gain_from", "communities_total", "rows", "unrecorded", "draws"]
EVALUABLE_COLUMNS = ["community", "population_count", "share", "n_expected", "n_assured"]


# ---------------------------------------------------------------- validation

def _integers(values, name: str, *, low: int = 0, high: int | None = None) -> np.ndarray:
    """1-D int64 array of integer-valued numbers in [low, high]; InputError naming `name`."""
    arr = np.asarray(values)
    if arr.ndim > 1:
        raise InputError(f"{name} must be a scalar or 1-D, got shape {arr.shape}")
    flat = np.atleast_1d(arr)
    if flat.size and not (np.issubdtype(flat.dtype, np.number) or flat.dtype == bool):
        raise InputError(f"{name} must be numeric, got dtype {flat.dtype}")
    flat = flat.astype(float)
    if not np.all(np.isfinite(flat)) or np.any(flat != np.round(flat)):
        raise InputError(f"{name} must be whole numbers, got {flat[~np.isfinite(flat) | (flat != np.round(flat))][:5]}")
    if np.any(flat < low) or (high is not None and np.any(flat > high)):
        bad = flat[(flat < low) | ((flat > high) if high is not None else False)]
        bound = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise InputError(f"{name} must lie in {bound}, got {bad[:5].astype(np.int64).tolist()}")
    return flat.astype(np.int64)


def _counts(counts, population) -> tuple[np.ndarray, int]:
    c = _integers(counts, "counts")
    if c.size == 0 or c.sum() == 0:
        raise InputError("counts is empty (no community has a member)")
    total = int(c.sum())
    if population is None:
        return c, total
    N = int(_integers(population, "population", low=1)[0])
    if N < total:
        raise InputError(f"population ({N}) is smaller than the sum of counts ({total})")
    return c, N


def _attribute_codes(groups: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per attribute: (codes with -1 for missing, community labels)."""
    if not isinstance(groups, pd.DataFrame):
        raise InputError(f"groups must be a DataFrame, got {type(groups).__name__}")
    if groups.shape[0] == 0 or groups.shape[1] == 0:
        raise InputError(f"groups is empty (shape {groups.shape})")
    if not groups.columns.is_unique:
        duplicated = groups.columns[groups.columns.duplicated()].tolist()
        raise InputError(f"groups has duplicate attribute columns: {duplicated}")
    out = {}
    for attribute in groups.columns:
        codes, labels = pd.factorize(groups[attribute], use_na_sentinel=True, sort=True)
        if len(labels) == 0:
            raise InputError(f"attribute {attribute!r} has no recorded value (all missing)")
        out[str(attribute)] = (codes.astype(np.int64), np.asarray(labels, dtype=object))
    return out


# ---------------------------------------------------------------- richness

def expected_richness(counts, n, population: int | None = None):
    """Exact expected number of distinct communities in a simple random sample
    of n rows drawn without replacement: E[S_n] = sum_k 1 - C(N-N_k, n)/C(N, n).

    `population` (N) defaults to sum(counts); a larger N adds rows that belong
    to no community (attribute not recorded). Vectorised over n; returns a float
    for scalar n.
    """
    c, N = _counts(counts, population)
    c = c[c > 0]
    sizes = _integers(n, "n", high=N)
    nn = sizes[:, None].astype(float)
    rest = (N - c)[None, :].astype(float)
    # C(N-N_k, n)/C(N, n); gammaln(n+1) cancels, which keeps the log difference small.
    log_ratio = (gammaln(rest + 1) - gammaln(np.maximum(rest - nn, 0) + 1)
                 - gammaln(N + 1) + gammaln(N - nn + 1))
    log_ratio = np.where(nn <= rest, log_ratio, -np.inf)  # no sample of n avoids community k
    result = (-np.expm1(log_ratio)).sum(axis=1)
    return float(result[0]) if np.ndim(n) == 0 else result


def _prefix_richness(codes: list[np.ndarray], N: int, sizes: np.ndarray, draws: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Distinct communities in the first n rows of `draws` random orders of the
    N rows, for every n in `sizes` and every attribute: shape (attributes, draws, sizes).

    One order per draw serves all attributes and all n (nested samples, as in
    the sweep). A community is present in the first n rows iff its earliest
    position is < n, so each prefix count is a searchsorted on sorted earliest positions.
    """
    layouts = []
    for code in codes:
        recorded = np.flatnonzero(code >= 0)
        rows = recorded[np.argsort(code[recorded], kind="stable")]
        starts = np.flatnonzero(np.r_[True, np.diff(code[rows]) != 0])
        layouts.append((rows, starts))
    out = np.empty((len(codes), draws, sizes.size), dtype=np.int64)
    for d in range(draws):
        position = rng.permutation(N)  # position[row]: a uniform random order of the rows
        for a, (rows, starts) in enumerate(layouts):
            first = np.minimum.reduceat(position[rows], starts)
            first.sort()
            out[a, d] = np.searchsorted(first, sizes, side="left")
    return out


def _gain_base(sizes: np.ndarray, gain_from) -> int:
    """Index in `sizes` of the size gains are measured from (default the smallest)."""
    if gain_from is None:
        return 0
    hits = np.flatnonzero(sizes == int(_integers(gain_from, "gain_from")[0]))
    if hits.size == 0:
        raise InputError(f"gain_from={gain_from} is not one of the sizes {sizes.tolist()}")
    return int(hits[0])


def _summarise_draws(richness: np.ndarray, base: int) -> dict[str, np.ndarray]:
    """Per-size summaries over draws (axis 0); gains are within a draw, from sizes[base]."""
    gain = richness - richness[:, [base]]
    q05, q95 = np.quantile(richness, [0.05, 0.95], axis=0)
    g05, g95 = np.quantile(gain, [0.05, 0.95], axis=0)
    return {"mean": richness.mean(axis=0), "sd": richness.std(axis=0, ddof=1),
            "q05": q05, "q95": q95, "gain_q05": g05, "gain_q95": g95}


def _draws(draws) -> int:
    return int(_integers(draws, "draws", low=2)[0])


def richness_monte_carlo(labels, n_values, draws: int = 200, seed: int = 0,
                         gain_from: int | None = None) -> pd.DataFrame:
    """Monte-Carlo distribution of distinct labels in samples of n rows drawn
    without replacement; missing labels are rows that belong to no community.

    Samples are nested within a draw (the first n rows of one random order).
    Columns: n, mean, sd, q05, q95, gain_q05, gain_q95 (increase over the
    size `gain_from`, default the smallest n, within the same draw), draws.
    """
    values = pd.Series(np.asarray(labels, dtype=object) if not isinstance(labels, pd.Series) else labels)
    if values.size == 0:
        raise InputError("labels is empty")
    code, _ = pd.factorize(values, use_na_sentinel=True)
    sizes = np.unique(_integers(n_values, "n_values", high=values.size))
    if sizes.size == 0:
        raise InputError("n_values is empty")
    draws, base = _draws(draws), _gain_base(sizes, gain_from)
    richness = _prefix_richness([code.astype(np.int64)], values.size, sizes, draws, np.random.default_rng(seed))[0]
    frame = pd.DataFrame({"n": sizes, **_summarise_draws(richness, base)})
    frame["draws"] = draws
    return frame


def richness_table(groups: pd.DataFrame, n_grid, draws: int = 200, seed: int = 0,
                   gain_from: int | None = None) -> pd.DataFrame:
    """Distinct communities per attribute at each training-set size in `n_grid`
    (rows of `groups`, the training split): exact expectation and a nested
    Monte-Carlo sharing one random order of rows across attributes per draw.

    Columns: RICHNESS_COLUMNS; `unrecorded` counts rows with the attribute
    missing (in the population, in no community); mc_gain_* are quantiles of
    the within-draw increase from size `gain_from` (default the smallest in the
    grid; set it to the smallest swept size for claim C2).
    """
    coded = _attribute_codes(groups)
    N = len(groups)
    sizes = np.unique(_integers(n_grid, "n_grid", high=N))
    if sizes.size == 0:
        raise InputError("n_grid is empty")
    draws, base = _draws(draws), _gain_base(sizes, gain_from)
    codes = [code for code, _ in coded.values()]
    mc = _prefix_richness(codes, N, sizes, draws, np.random.default_rng(seed))
    frames = []
    for a, (attribute, (code, labels)) in enumerate(coded.items()):
        counts = np.bincount(code[code >= 0], minlength=len(labels))
        summary = _summarise_draws(mc[a], base)
        frames.append(pd.DataFrame({
            "attribute": attribute, "n": sizes,
            "expected": expected_richness(counts, sizes, population=N),
            **{f"mc_{key}": value for key, value in summary.items()},
            "gain_from": int(sizes[base]), "communities_total": len(labels),
            "rows": N, "unrecorded": int((code < 0).sum()), "draws": draws,
        }))
    return pd.concat(frames, ignore_index=True)[RICHNESS_COLUMNS]


def heaps_fit(n, richness) -> dict:
    """Heaps-law fit log S = log K + beta log n by OLS, on points with n >= 1
    and S > 0. Returns K, beta, its 95% CI, r2 and the number of points.

    With a finite number of communities the curve saturates, so beta is a
    descriptive summary of the swept range, not a law; on exact expectations
    the CI reflects curvature (misfit to a power law), not sampling noise.
    """
    x = np.asarray(n, dtype=float).ravel()
    y = np.asarray(richness, dtype=float).ravel()
    if x.shape != y.shape:
        raise InputError(f"n and richness differ in length ({x.size} vs {y.size})")
    keep = np.isfinite(x) & np.isfinite(y) & (x >= 1) & (y > 0)
    if np.unique(x[keep]).size < 3:
        raise InputError(f"heaps_fit needs >= 3 distinct n with n >= 1 and richness > 0, got {np.unique(x[keep]).size}")
    fit = sm.OLS(np.log(y[keep]), sm.add_constant(np.log(x[keep]))).fit()
    low, high = fit.conf_int(alpha=0.05)[1]
    return {"K": float(np.exp(fit.params[0])), "beta": float(fit.params[1]),
            "beta_ci_low": float(low), "beta_ci_high": float(high),
            "r2": float(fit.rsquared), "points": int(keep.sum())}


# ---------------------------------------------------------------- estimators

def _frequencies(sample_counts) -> tuple[int, int, int, int]:
    """(n, S_obs, f1, f2) of abundance counts; zeros are unobserved communities."""
    c = _integers(sample_counts, "sample_counts")
    n = int(c.sum())
    if n == 0:
        raise InputError("sample_counts is empty (sample of size 0)")
    return n, int((c > 0).sum()), int((c == 1).sum()), int((c == 2).sum())


def chao1(sample_counts) -> float:
    """Bias-corrected Chao1: S_obs + (n-1)/n * f1(f1-1) / (2(f2+1)).

    The (n-1)/n factor is Chao's (as in Gotelli & Colwell 2011 and iNEXT); it
    is the same unseen-count estimate the coverage estimator uses when f2 = 0.
    """
    n, s_obs, f1, f2 = _frequencies(sample_counts)
    return s_obs + (n - 1) / n * f1 * (f1 - 1) / (2 * (f2 + 1))


def sample_coverage(sample_counts) -> float:
    """Chao & Jost (2012) sample coverage: 1 - f1/n * A, with
    A = (n-1) f1 / ((n-1) f1 + 2 f2) if f2 > 0, else (n-1)(f1-1) / ((n-1)(f1-1) + 2);
    A = 0 (coverage 1) when f1 = 0 or (f1, f2) = (1, 0)."""
    n, _, f1, f2 = _frequencies(sample_counts)
    if f2 > 0:
        a = (n - 1) * f1 / ((n - 1) * f1 + 2 * f2)
    elif f1 > 1:
        a = (n - 1) * (f1 - 1) / ((n - 1) * (f1 - 1) + 2)
    else:
        a = 0.0
    return 1.0 - f1 / n * a


# ---------------------------------------------------------------- evaluability

def first_evaluable_n(counts, min_count: int, assurance: float = 0.95,
                      population: int | None = None) -> pd.DataFrame:
    """Per community, the smallest sample size n at which it is evaluable:
    n_expected, where the expected count n N_k / N reaches `min_count`; and
    n_assured, where a hypergeometric sample of n holds >= `min_count` members
    with probability >= `assurance`. NaN when N_k < min_count (never).

    `counts`: Series or mapping community -> population count (array: communities
    numbered from 0). `population` as in expected_richness.
    """
    if isinstance(counts, pd.Series):
        series = counts
    elif isinstance(counts, Mapping):
        series = pd.Series(dict(counts))
    else:
        series = pd.Series(np.asarray(counts))
    c, N = _counts(series.to_numpy(), population)
    m = int(_integers(min_count, "min_count", low=1)[0])
    if not 0 < float(assurance) < 1:
        raise InputError(f"assurance must lie in (0, 1), got {assurance}")
    ok = c >= m
    n_expected = np.full(c.size, np.nan)
    n_expected[ok] = -(-m * N // c[ok])  # integer ceil(m N / N_k): no float rounding at the boundary
    # Binary search per community, all at once: lo always fails, hi always passes
    # (n = m - 1 cannot hold m members; n = N holds all N_k >= m).
    # P(X >= m) is nondecreasing in n, since a larger sample contains a smaller one.
    k = c[ok]
    lo, hi = np.full(k.size, m - 1), np.full(k.size, N)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        passes = hypergeom.sf(m - 1, N, k, mid) >= assurance
        hi, lo = np.where(passes, mid, hi), np.where(passes, lo, mid)
    n_assured = np.full(c.size, np.nan)
    n_assured[ok] = hi
    return pd.DataFrame({"community": series.index.astype(str), "population_count": c, "share": c / N,
                         "n_expected": n_expected, "n_assured": n_assured})[EVALUABLE_COLUMNS]


class CommunitySummary(NamedTuple):
    attributes: pd.DataFrame   # one row per attribute
    communities: pd.DataFrame  # one row per (attribute, community)


def community_summary(groups: pd.DataFrame, min_count: int, sample_n: int | None = None,
                      seed: int = 0, assurance: float = 0.95) -> CommunitySummary:
    """Per attribute: communities in the population, observed in a sample of
    `sample_n` rows (one seeded sample shared by all attributes; the whole
    population when None), Chao1 and sample coverage of that sample; per
    community: first_evaluable_n against the whole population of rows.
    """
    coded = _attribute_codes(groups)
    N = len(groups)
    if sample_n is None:
        rows = np.arange(N)
    else:
        size = int(_integers(sample_n, "sample_n", low=1, high=N)[0])
        rows = np.random.default_rng(seed).choice(N, size=size, replace=False)
    attributes, communities = [], []
    for attribute, (code, labels) in coded.items():
        population = np.bincount(code[code >= 0], minlength=len(labels))
        sampled = code[rows]
        sample = np.bincount(sampled[sampled >= 0], minlength=len(labels))
        recorded = int(sample.sum())
        attributes.append({
            "attribute": attribute, "rows": N, "unrecorded": int((code < 0).sum()),
            "communities_total": len(labels), "sample_n": rows.size, "sample_recorded": recorded,
            "observed": int((sample > 0).sum()),
            "singletons": int((sample == 1).sum()), "doubletons": int((sample == 2).sum()),
            # Estimators are undefined when no sampled row has the attribute recorded.
            "chao1": chao1(sample) if recorded else np.nan,
            "coverage": sample_coverage(sample) if recorded else np.nan,
        })
        table = first_evaluable_n(pd.Series(population, index=[str(x) for x in labels]), min_count,
                                  assurance=assurance, population=N)
        table.insert(0, "attribute", attribute)
        table["sample_count"] = sample
        communities.append(table)
    return CommunitySummary(pd.DataFrame(attributes), pd.concat(communities, ignore_index=True))


class SourceGrowth(NamedTuple):
    """Distinct communities as data accumulate source by source (by year, region, language).

    steps: columns attribute ("all attributes" for the sum), step (number of sources),
    communities (with >= min_count members; mean over which source comes first when no
    order is declared), sources (the declared order's prefix, or "any k").
    increase: columns attribute, increase (from one source to all of them).
    draws: (len(increase), n_draws) resamples of the increase, rows resampled within each
    source, one draw shared by every attribute (the same people), in increase's row order.
    """

    steps: pd.DataFrame
    increase: pd.DataFrame
    draws: np.ndarray


def source_orders(source: pd.Series, order=None):
    """The sources in `order` (or sorted), the orders they are added in (the declared one, or each source
    first in turn: cyclic rotations), which rows have a source, and each such row's source index."""
    labels = source.astype(str).where(source.notna())
    present = sorted(labels.dropna().unique())
    chosen = [str(s) for s in order] if order else present
    if sorted(chosen) != present or len(chosen) < 2:
        raise InputError(f"growth order {chosen} must name each value of the source column {present} exactly "
                         "once, and there must be at least two sources")
    k = len(chosen)
    rotations = [np.arange(k)] if order else [np.roll(np.arange(k), -shift) for shift in range(k)]
    index = labels.map({s: i for i, s in enumerate(chosen)})
    keep = index.notna().to_numpy()
    return chosen, rotations, keep, index.to_numpy()[keep].astype(int)


def source_growth(groups: pd.DataFrame, source: pd.Series, min_count: int, order=None, draws: int = 200,
                  seed: int = 0) -> SourceGrowth:
    """Count communities with at least `min_count` members as sources are added.

    Unlike random subsampling of one fixed dataset (where richness growth is a sampling
    identity), this can stay flat: when every source already holds every community, adding
    sources adds none. `order` is a recruitment order (e.g. years); without one, every
    source is taken first in turn (cyclic rotations) and the results averaged.
    """
    if len(groups) != len(source):
        raise InputError("groups and source must have the same rows")
    chosen, rotations, keep, rows_source = source_orders(source, order)
    k = len(chosen)
    codes = {a: pd.factorize(groups.loc[keep, a])[0] for a in groups.columns}  # -1: not recorded

    def curves_of(rows):
        curves = {}
        for attribute, code in codes.items():
            known = code[rows] >= 0
            width = code.max() + 1
            cells = rows_source[rows][known] * width + code[rows][known]
            counts = np.bincount(cells, minlength=k * width).reshape(k, width)
            curves[attribute] = np.mean([_richness_after(counts, r, min_count) for r in rotations], axis=0)
        curves["all attributes"] = sum(curves.values())
        return curves

    curves = curves_of(np.arange(len(rows_source)))
    names = list(curves)
    steps = pd.DataFrame([{"attribute": a, "step": j + 1, "communities": curves[a][j],
                           "sources": ", ".join(chosen[:j + 1]) if order else f"any {j + 1}"}
                          for a in names for j in range(k)])
    # Each draw resamples rows within each source, once for all attributes (they describe the
    # same people), so the total's interval carries the attributes' dependence.
    rng = np.random.default_rng(seed)
    members = [np.flatnonzero(rows_source == j) for j in range(k)]
    resampled = np.empty((len(names), draws))
    for d in range(draws):
        drawn = curves_of(np.concatenate([m[rng.integers(0, len(m), len(m))] for m in members]))
        resampled[:, d] = [drawn[a][-1] - drawn[a][0] for a in names]
    increase = pd.DataFrame({"attribute": names, "increase": [curves[a][-1] - curves[a][0] for a in names]})
    return SourceGrowth(steps, increase, resampled)


def _richness_after(counts: np.ndarray, order: np.ndarray, min_count: int) -> np.ndarray:
    """Communities with >= min_count members after each step of `order` (counts: sources x communities)."""
    return (np.cumsum(counts[order], axis=0) >= min_count).sum(axis=1)
