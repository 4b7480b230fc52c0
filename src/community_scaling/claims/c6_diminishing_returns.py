"""C6: Compute grows faster than performance (diminishing returns)."""

from __future__ import annotations

import pandas as pd

from ..cost import best_model
from ..io import InputError, require_columns
from ._record import Claim, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C6", "Compute grows faster than performance (diminishing returns).", needs=('evaluations', 'compute'),
                 settings={})


def evaluate(elasticity: pd.DataFrame, evaluations: pd.DataFrame, metric: str = "error") -> Claim:
    """C6 from `compute_elasticity`: the aggregate elasticity of the best model family."""
    require_columns(elasticity, ["model", "attribute", "community", "elasticity", "ci_low", "ci_high"],
                    "elasticity")
    name = best_model(evaluations, metric)
    rows = elasticity[elasticity.model == name]
    agg = rows[rows.attribute == "all"]
    if agg.empty:
        raise InputError(f"elasticity has no aggregate row for the best model {name!r}")
    row = agg.iloc[0]
    worst = rows[rows.attribute != "all"]
    details = f"best model family by aggregate {metric} at its largest size: {name}"
    if not worst.empty:
        details += "; worst-community elasticities: " + ", ".join(
            f"{a} {e:.2f} [{lo:.2f}, {hi:.2f}]" for a, e, lo, hi in
            zip(worst.attribute, worst.elasticity, worst.ci_low, worst.ci_high))
    others = elasticity[(elasticity.model != name) & (elasticity.attribute == "all")]
    if not others.empty:
        details += "; other models (aggregate): " + ", ".join(f"{m} {e:.2f}" for m, e in
                                                               zip(others.model, others.elasticity))
    return Claim(
        claim="C6", test="log-log slope of seed-mean error on seed-mean CPU seconds across sizes, seed bootstrap",
        effect_name=f"elasticity of aggregate {metric} w.r.t. CPU time ({name})",
        effect=float(row.elasticity), ci_low=float(row.ci_low), ci_high=float(row.ci_high),
        verdict=verdict_from_interval(float(row.ci_low), float(row.ci_high), -1.0, "above"),
        rule=("supported when the 95% seed-bootstrap interval of the elasticity lies wholly above -1 "
              "(a 1% rise in compute buys less than a 1% fall in error, or none); not supported when it lies "
              "wholly at or below -1; inconclusive otherwise"),
        details=details)
