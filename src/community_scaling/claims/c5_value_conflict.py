"""C5: Communities' values conflict: no single model, size and threshold is best for all."""

from __future__ import annotations

import pandas as pd

from ..io import InputError, require_columns
from ._record import Claim, verdict_from_interval
from ._spec import ClaimSpec

SPEC = ClaimSpec("C5", "Communities' values conflict: no single model, size and threshold is best for all.", needs=('predictions',),
                 settings={'tolerance': 'values.tolerance'})


def evaluate(conflict_table: pd.DataFrame, tolerance: float = 0.02, scenario: str = "mixed") -> Claim:
    """C5 from a `conflict` table: the minimax relative regret at the largest n, for `scenario`."""
    require_columns(conflict_table, ["scenario", "max_scale", "minimax_regret", "ci_low", "ci_high"],
                    "conflict_table")
    rows = conflict_table[conflict_table.scenario == scenario].sort_values("max_scale")
    if rows.empty:
        raise InputError(f"conflict_table has no rows for scenario {scenario!r}")
    first, last = rows.iloc[0], rows.iloc[-1]
    kind = f"{last['interval']} " if "interval" in rows else ""
    verdict = verdict_from_interval(float(last.ci_low), float(last.ci_high), tolerance, "above")
    largest = conflict_table[(conflict_table.max_scale == last.max_scale) & (conflict_table.scenario != scenario)]
    details = (f"minimax relative regret {first.minimax_regret:.3f} with models up to n = {first.max_scale:,}, "
               f"{last.minimax_regret:.3f} up to n = {last.max_scale:,}")
    if "binding" in rows and last.get("binding"):
        details += f"; binding at the largest n: {last.binding}"
    if not largest.empty:
        details += (f"; single-value scenarios at the largest n: {largest.minimax_regret.min():.3f} "
                    f"to {largest.minimax_regret.max():.3f}")
    return Claim(
        claim="C5", test=("minimax relative regret of the best common (model, scale, threshold), "
                          f"{kind}seed-bootstrap interval"),
        effect_name=f"minimax relative regret at n = {last.max_scale:,} ({scenario})",
        effect=float(last.minimax_regret), ci_low=float(last.ci_low), ci_high=float(last.ci_high), verdict=verdict,
        rule=(f"supported when the 95% seed-bootstrap interval of the minimax relative regret lies wholly above "
              f"the tolerance {tolerance:g} (no single choice is within {tolerance:.0%} of every judge's best); "
              f"not supported when it lies wholly at or below it; inconclusive otherwise"),
        details=details)
