"""Verdicts over a stated grid of settings: a verdict that changes within it is fragile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from ._record import Claim


def sensitivity(test: Callable[..., Claim], arguments: dict, grid: dict[str, list]) -> tuple[Claim, pd.DataFrame]:
    """Run `test(**arguments)` (the pre-declared setting), then again with each grid value
    of each setting in turn (one at a time, others at their declared values).

    Returns the declared claim, with grid_agreement (share of grid runs agreeing with its
    verdict), fragile and a text of the grid filled in, and a table with columns setting,
    value, verdict, effect.
    """
    declared = test(**arguments)
    rows = []
    for name, values in grid.items():
        if name not in arguments:
            raise KeyError(f"grid setting {name!r} is not an argument of the test; arguments: {sorted(arguments)}")
        for value in values:
            claim = test(**{**arguments, name: value})
            rows.append({"setting": name, "value": str(value), "verdict": claim.verdict, "effect": claim.effect})
    table = pd.DataFrame(rows, columns=["setting", "value", "verdict", "effect"])
    if table.empty:
        return declared, table
    agree = float((table.verdict == declared.verdict).mean())
    text = "; ".join(f"{name} in {values}" for name, values in grid.items())
    return replace(declared, grid_agreement=agree, fragile=agree < 1, grid=text), table
