"""The claims contract: one module per claim, each with its statement, the tables it
needs, its settings (study-file keys) and its rule; one record type for the ledger.

Analysis modules hold statistics and never import this package; claim modules turn
those statistics into verdicts.
"""

from __future__ import annotations

from importlib import import_module

from ._calibration import MAX_FALSE_POSITIVE_RATE, MIN_POWER, Calibration, calibrate
from ._record import LEVEL, VERDICTS, Claim, not_applicable, summary_line, verdict_from_interval
from ._sensitivity import sensitivity
from ._spec import ClaimSpec

MODULES = {
    "C1": "c1_aggregate_power_law",
    "C2": "c2_more_communities",
    "C3": "c3_communities_left_behind",
    "C4": "c4_metric_dependence",
    "C5": "c5_value_conflict",
    "C6": "c6_diminishing_returns",
    "C7": "c7_small_models",
}


def module(claim: str):
    """The module of one claim (imported on first use: claim modules import the statistics)."""
    if claim not in MODULES:
        raise ValueError(f"unknown claim {claim!r}; known: {sorted(MODULES)}")
    return import_module(f".{MODULES[claim]}", __name__)


def calibrations() -> dict:
    """Every calibrated rule: 'C3' for a claim's rule, 'C3 on model size' for its rule on published results."""
    found = {}
    for claim in MODULES:
        for attribute, suffix in (("CALIBRATION", ""), ("MODEL_SIZE_CALIBRATION", " on model size"),
                                  ("RATER_CALIBRATION", " on rater groups")):
            if hasattr(module(claim), attribute):
                found[claim + suffix] = getattr(module(claim), attribute)
    return found


def statement(claim: str) -> str:
    return module(claim).SPEC.statement


def statements() -> dict[str, str]:
    return {claim: statement(claim) for claim in MODULES}


__all__ = ["LEVEL", "VERDICTS", "MAX_FALSE_POSITIVE_RATE", "MIN_POWER", "Calibration", "Claim", "ClaimSpec",
           "MODULES", "calibrate", "calibrations", "module", "not_applicable", "sensitivity", "statement", "statements",
           "summary_line", "verdict_from_interval"]
