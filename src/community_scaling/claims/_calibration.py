"""Can a claim's test fail? Its rule run on generated data where the claim is false
(false-positive rate, at most 5%) and where it is true at a stated effect (power, at least 80%)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from joblib import delayed
from statsmodels.stats.proportion import proportion_confint

from ..workers import parallel

MAX_FALSE_POSITIVE_RATE = 0.05
MIN_POWER = 0.80


@dataclass(frozen=True)
class Calibration:
    """A claim's generators and its rule on one generated replicate."""

    null: Callable[[np.random.Generator], Any]  # data on which the claim is false
    true: Callable[[np.random.Generator], Any]  # data on which it is true at `effect`
    verdict: Callable[[Any], str]  # the claim's rule on one replicate, at the pre-declared settings
    null_description: str
    effect: str  # the effect size the true generator builds in, in words and numbers


def _rate(calibration: Calibration, kind: str, n_rep: int, seed: int, n_jobs: int) -> tuple[int, int]:
    generate = calibration.null if kind == "null" else calibration.true

    def one(rep):
        return calibration.verdict(generate(np.random.default_rng([seed, rep, kind == "null"]))) == "supported"

    hits = parallel(n_jobs)(delayed(one)(rep) for rep in range(n_rep))
    return int(sum(hits)), n_rep


def calibrate(claim: str, calibration: Calibration, n_rep: int = 200, seed: int = 0, n_jobs: int = 1) -> dict:
    """False-positive rate and power with Clopper-Pearson 95% intervals, over n_rep replicates each."""
    row = {"claim": claim, "replicates": n_rep, "null": calibration.null_description, "effect": calibration.effect}
    for kind, name in (("null", "false_positive_rate"), ("true", "power")):
        hits, total = _rate(calibration, kind, n_rep, seed, n_jobs)
        low, high = proportion_confint(hits, total, alpha=0.05, method="beta")
        row.update({name: hits / total, f"{name}_low": low, f"{name}_high": high})
    row["passes"] = bool(row["false_positive_rate"] <= MAX_FALSE_POSITIVE_RATE and row["power"] >= MIN_POWER)
    return row


def detectable_effect(effects, power, target: float = MIN_POWER) -> float:
    """The smallest effect of a power curve detected with `target` power (linear interpolation between
    the grid's effects, in increasing order); inf when the curve never reaches it."""
    x, p = np.asarray(effects, float), np.asarray(power, float)
    if not x.size:
        return np.nan
    reached = np.nonzero(p >= target)[0]
    if not len(reached):
        return np.inf
    i = reached[0]
    return float(x[0]) if i == 0 else float(np.interp(target, [p[i - 1], p[i]], [x[i - 1], x[i]]))
