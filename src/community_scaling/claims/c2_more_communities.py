"""C2: larger samples hold more distinct communities.

Under random subsampling of one dataset this is a sampling identity: the full
training set holds every community by definition, so richness must rise with
n. The test therefore uses a growth design in which it can fail: data
accumulated source by source (by year, region, language: `data.growth_source`),
counting communities with enough members to evaluate. When every source already
holds every community, adding sources adds none, and the claim is not supported.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..communities import source_growth
from ._calibration import Calibration
from ._record import LEVEL, Claim, not_applicable, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C2", "Larger samples hold more distinct communities.", needs=("growth_source",),
                 settings={"min_count": "evaluation.min_count"}, grid={"min_count": [50, 200]})

IDENTITY = ("under random subsampling of one dataset, more distinct communities at larger n is a sampling "
            "identity (the whole training set holds them all); declare data.growth_source, a column naming each "
            "row's source (year, region, language), to test it where it can fail")


def evaluate(groups: pd.DataFrame | None, source: pd.Series | None, min_count: int, order=None,
             draws: int = 200, seed: int = 0) -> Claim:
    """C2 from rows' community columns (`groups`) and their source; not applicable without a source."""
    if source is None or groups is None:
        return not_applicable("C2", IDENTITY, effect_name="increase in communities with >= min_count members")
    growth = source_growth(groups, source, min_count, order=order, draws=draws, seed=seed)
    total = growth.increase.attribute == "all attributes"
    point = float(growth.increase.increase[total].iloc[0])
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(growth.draws[total.to_numpy()][0], [tail, 100 - tail])
    sources = growth.steps[growth.steps.attribute == "all attributes"]
    per_attribute = growth.increase[~total]
    how = "in the declared order" if order else "averaged over which source comes first"
    return Claim(
        claim="C2", test=f"source-by-source growth ({how}); rows resampled within sources, {draws} times",
        effect_name=f"increase in communities with >= {min_count} members, one source -> all "
                    f"{len(sources)} (all attributes)",
        effect=point, ci_low=low, ci_high=high, verdict=verdict_from_interval(low, high, 0.0, "above"),
        rule=(f"supported when the {LEVEL:.0%} percentile interval of the increase (rows resampled within each "
              "source, every attribute from the same draw) lies above 0; not supported when its upper end is 0 "
              "or below (every source already holds every community); inconclusive otherwise"),
        details=("communities after each source: " + ", ".join(f"{s}: {c:g}" for s, c in
                                                                  zip(sources.sources, sources.communities))
                 + "; by attribute: " + ", ".join(f"{a} {v:+g}" for a, v in
                                                  zip(per_attribute.attribute, per_attribute.increase))))


# ---- calibration: 3 sources, 8 communities, min_count 100 ----

_MIN_COUNT, _SOURCES, _SHARED = 100, 3, 8


def _sources(rng: np.random.Generator, new_per_source: int) -> tuple[pd.DataFrame, pd.Series]:
    """Each source holds the shared communities with Poisson(1.5 x min_count) members each;
    each source after the first also brings `new_per_source` communities of its own."""
    rows, labels = [], []
    for s in range(_SOURCES):
        sizes = {f"shared{c}": rng.poisson(1.5 * _MIN_COUNT) for c in range(_SHARED)}
        if s:
            sizes.update({f"new{s}_{c}": rng.poisson(1.5 * _MIN_COUNT) for c in range(new_per_source)})
        for community, size in sizes.items():
            rows += [community] * size
            labels += [f"source{s}"] * size
    return pd.DataFrame({"community": rows}), pd.Series(labels)


CALIBRATION = Calibration(
    null=lambda rng: _sources(rng, 0), true=lambda rng: _sources(rng, 1),
    verdict=lambda data: evaluate(*data, min_count=_MIN_COUNT, draws=100).verdict,
    null_description=f"{_SOURCES} sources, each holding the same {_SHARED} communities with Poisson(150) members "
                     f"(min_count {_MIN_COUNT}); 100 resamples per replicate",
    effect="each source after the first brings one community of its own (Poisson(150) members): +1.33 "
           "communities from one source to all, averaged over which comes first")
