"""Do new sources bring communities that more rows of the same kind would not? (claim C2)

Richness grows with n under any sampling, so "larger samples hold more communities" is only
informative beyond sampling. Data accumulate source by source (years, regions, languages).
At each step a new source k joins the sources already in, S. Its gain is the number of
communities (>= min_count members) it adds, R(S + k) - R(S); "more of the same" is |k| rows
drawn from S's own rows, whose expected gain is exact: a community with m of S's N rows
then has m + Binomial(|k|, m / N) members. The statistic is the sum over steps of the
source's gain minus the same-kind gain, averaged over which source comes first (or in a
declared order).

Its null is that sources are exchangeable, i.e. rows are independent and identically
distributed whatever their source: source labels permuted among rows (sizes kept) give its
distribution, and the permutation p-value tests it. The effect is the statistic minus its
mean under permutation (communities beyond sampling), with a percentile interval from
resampling rows within sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .communities import source_growth, source_orders
from .io import InputError


@dataclass
class Growth:
    statistic: float  # new sources' gain minus same-kind gain, summed over steps, all attributes
    by_attribute: dict  # the same per attribute
    permuted: np.ndarray  # the statistic with source labels permuted
    resampled: np.ndarray  # the statistic with rows resampled within sources
    p_value: float  # permutation, one-sided: new sources bring more than rows of the same kind
    steps: pd.DataFrame  # communities after each source (communities.source_growth)

    @property
    def excess(self) -> float:
        """Communities new sources bring beyond sampling: the statistic minus its permutation mean."""
        return self.statistic - float(self.permuted.mean())


CELLS_PER_CHUNK = 20_000_000  # permutations or resamples counted at once: at most this many int32 cells


def _gains(counts: np.ndarray, order: np.ndarray, min_count: int) -> np.ndarray:
    """Sum over steps of R(S + k) - E R(S + |k| rows of S's kind), for each (sources x communities)
    table of `counts` (B, sources, communities)."""
    total = np.zeros(counts.shape[0])
    inside = counts[:, order[0]].astype(float)
    for k in order[1:]:
        added = counts[:, k]
        n_inside = inside.sum(axis=1, keepdims=True)
        share = np.divide(inside, n_inside, out=np.zeros_like(inside), where=n_inside > 0)
        with_source = (inside + added >= min_count).sum(axis=1)
        # P(m + Binomial(|k|, m / N) >= min_count), summed over communities
        same_kind = stats.binom.sf(min_count - inside - 1, added.sum(axis=1, keepdims=True), share).sum(axis=1)
        total += with_source - same_kind
        inside = inside + added
    return total


def growth_beyond_sampling(groups: pd.DataFrame, source: pd.Series, min_count: int, order=None,
                           draws: int = 200, permutations: int = 200, seed: int = 0) -> Growth:
    """The statistic, its permutation null and its resamples (see the module's docstring)."""
    if permutations < 1:
        raise InputError(f"growth beyond sampling needs permutations >= 1, got {permutations}")
    steps = source_growth(groups, source, min_count, order=order, draws=0).steps  # checks source and order
    chosen, rotations, keep, rows_source = source_orders(source, order)
    k = len(chosen)
    # every attribute's codes in one table of cells: attribute a's communities at offset[a] ..,
    # its unrecorded rows in one extra cell each, dropped after counting
    codes, slices, offset = [], {}, 0
    for attribute in groups.columns:
        code = pd.factorize(groups.loc[keep, attribute])[0]
        width = code.max() + 1
        codes.append(np.where(code >= 0, code, width) + offset)
        slices[attribute] = slice(offset, offset + width)
        offset += width + 1
    cells_of_row = np.stack(codes, axis=1).astype(np.int32)  # rows x attributes

    def statistic(sources: np.ndarray, rows: np.ndarray | None = None) -> dict:
        """Per attribute, the statistic for each row of `sources` (B, rows: each row's source) over
        the rows `rows` (B, rows) of the data, or all of them once (None)."""
        b = len(sources)
        base = ((np.arange(b, dtype=np.int32)[:, None] * k + sources.astype(np.int32)) * offset)
        cells = base[:, :, None] + (cells_of_row[None] if rows is None else cells_of_row[rows])
        counts = np.bincount(cells.ravel(), minlength=b * k * offset).reshape(b, k, offset)
        return {a: np.mean([_gains(counts[:, :, cut], r, min_count) for r in rotations], axis=0)
                for a, cut in slices.items()}

    chunk = max(1, CELLS_PER_CHUNK // cells_of_row.size)

    def chunked(make, n):
        out = []
        for first in range(0, n, chunk):
            sources, rows = make(min(chunk, n - first))
            out.append(sum(statistic(sources, rows).values()))
        return np.concatenate(out) if out else np.empty(0)

    by_attribute = {a: float(v[0]) for a, v in statistic(rows_source[None, :]).items()}
    observed = sum(by_attribute.values())
    rng = np.random.default_rng(seed)
    permuted = chunked(lambda b: (np.stack([rng.permutation(rows_source) for _ in range(b)]), None), permutations)
    members = [np.flatnonzero(rows_source == j) for j in range(k)]

    def resample(b):
        rows = np.stack([np.concatenate([m[rng.integers(0, len(m), len(m))] for m in members]) for _ in range(b)])
        return rows_source[rows], rows

    resampled = chunked(resample, draws)
    p_value = (1 + int((permuted >= observed - 1e-9).sum())) / (permutations + 1)
    return Growth(observed, by_attribute, permuted, resampled, p_value, steps)
