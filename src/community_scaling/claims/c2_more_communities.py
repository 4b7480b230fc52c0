"""C2: larger samples hold more distinct communities.

Under random subsampling of one dataset this is a sampling identity (the full training set
holds every community), and even data grown source by source gain communities by sampling
alone. The estimand is growth beyond sampling: as data accumulate source by source (by year,
region, language: `data.growth_source`), do new sources bring more communities (>= min_count
members) than as many more rows of the kind already in would?
(growth_beyond_sampling: exact same-kind expectations, a permutation test of exchangeable
sources, an interval from rows resampled within sources.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..growth_beyond_sampling import growth_beyond_sampling
from ._calibration import Calibration
from ._record import LEVEL, Claim, not_applicable
from ._spec import ClaimSpec

SPEC = ClaimSpec("C2", "Larger samples hold more distinct communities.", needs=("growth_source",),
                 settings={"min_count": "evaluation.min_count"}, grid={"min_count": [50, 200]})

IDENTITY = ("under random subsampling of one dataset, more distinct communities at larger n is a sampling "
            "identity (the whole training set holds them all); declare data.growth_source, a column naming each "
            "row's source (year, region, language), to test it where it can fail")
EFFECT_NAME = "communities new sources bring beyond what as many rows of the same kind would"
ALPHA = 1 - LEVEL
MARGIN = 1.0  # communities: fewer than one beyond sampling, shown, is "not supported"


def evaluate(groups: pd.DataFrame | None, source: pd.Series | None, min_count: int, order=None,
             draws: int = 200, permutations: int = 200, seed: int = 0) -> Claim:
    """C2 from rows' community columns (`groups`) and their source; not applicable without a source."""
    if source is None or groups is None:
        return not_applicable("C2", IDENTITY, effect_name=EFFECT_NAME)
    growth = growth_beyond_sampling(groups, source, min_count, order=order, draws=draws,
                                    permutations=permutations, seed=seed)
    tail = ALPHA / 2 * 100
    # the resamples' spread about their median, placed about the estimate: resampling rows with replacement
    # moves counts near min_count, so the resamples' own centre is not the estimate's
    q_low, median, q_high = np.percentile(growth.resampled, [tail, 50, 100 - tail])
    low, high = growth.excess + q_low - median, growth.excess + q_high - median
    if growth.p_value <= ALPHA and low > 0:  # shown beyond exchangeable sources, and by more than nothing
        verdict = "supported"
    elif high < MARGIN:
        verdict = "not supported"
    else:
        verdict = "inconclusive"
    sources = growth.steps[growth.steps.attribute == "all attributes"]
    how = "in the declared order" if order else "averaged over which source comes first"
    return Claim(
        claim="C2", test=(f"source-by-source growth ({how}) against as many rows of the kind already in; "
                          f"{permutations} permutations of source labels, {draws} resamples of rows within sources"),
        effect_name=f"{EFFECT_NAME} (>= {min_count} members, all attributes)",
        effect=growth.excess, ci_low=low, ci_high=high, verdict=verdict,
        rule=(f"at each step a new source's gain in communities with >= {min_count} members minus the expected gain "
              "from as many rows drawn from the sources already in (a community with m of their N rows gets "
              "Binomial(rows, m / N) more), summed over steps; supported when the one-sided permutation p-value "
              f"(source labels permuted among rows: exchangeable sources) is <= {ALPHA:g} and the interval below lies "
              f"above 0; otherwise not supported when the {LEVEL:.0%} interval of the excess over the permutation mean (resamples' percentiles about "
              f"their median, placed about the estimate) lies below {MARGIN:g} community; inconclusive otherwise"),
        details=(f"new sources' gain minus same-kind gain {growth.statistic:+.3g} (under permuted sources "
                 f"{growth.permuted.mean():+.3g}); permutation p = {growth.p_value:.3g}; communities after each "
                 "source: " + ", ".join(f"{s}: {c:g}" for s, c in zip(sources.sources, sources.communities))
                 + "; by attribute: " + ", ".join(f"{a} {v:+.3g}" for a, v in growth.by_attribute.items())))


# ---- calibration: 3 sources, 8 communities, min_count 100 ----

_MIN_COUNT, _SOURCES, _SHARED, _RARE = 100, 3, 8, 4


def _sources(rng: np.random.Generator, new_per_source: int) -> tuple[pd.DataFrame, pd.Series]:
    """Each source holds the shared communities with Poisson(1.5 x min_count) members each and rare ones
    with Poisson(0.4 x min_count), which reach min_count only as sources pool: growth by sampling alone;
    each source after the first also brings `new_per_source` communities of its own."""
    rows, labels = [], []
    for s in range(_SOURCES):
        sizes = {f"shared{c}": rng.poisson(1.5 * _MIN_COUNT) for c in range(_SHARED)}
        sizes.update({f"rare{c}": rng.poisson(0.4 * _MIN_COUNT) for c in range(_RARE)})  # sampling alone adds these
        if s:
            sizes.update({f"new{s}_{c}": rng.poisson(1.5 * _MIN_COUNT) for c in range(new_per_source)})
        for community, size in sizes.items():
            rows += [community] * size
            labels += [f"source{s}"] * size
    return pd.DataFrame({"community": rows}), pd.Series(labels)


CALIBRATION = Calibration(
    null=lambda rng: _sources(rng, 0), true=lambda rng: _sources(rng, 1),
    verdict=lambda data: evaluate(*data, min_count=_MIN_COUNT, draws=100, permutations=100).verdict,
    null_description=f"{_SOURCES} sources, each holding the same {_SHARED} communities with Poisson(150) members "
                     f"(min_count {_MIN_COUNT}), plus {_RARE} rarer ones with Poisson(40) members (near the threshold "
                     "only when sources are pooled): rows exchangeable across sources; 100 permutations, 100 resamples",
    effect="each source after the first brings one community of its own (Poisson(150) members), which "
           "rows of the kind already in cannot bring")
