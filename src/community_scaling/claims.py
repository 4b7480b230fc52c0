"""The claims ledger: one record per claim, with its test, effect, interval and verdict.

Each analysis module returns `Claim` records from its own statistics (the rule
that turns numbers into a verdict lives beside those statistics); notebook 08
collects them into the ledger.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field


VERDICTS = ("supported", "not supported", "inconclusive")

STATEMENTS = {
    "C1": "Aggregate error falls as a power law of training-set size.",
    "C2": "Larger samples hold more distinct communities.",
    "C3": "Per-community error does not follow the aggregate's scaling.",
    "C4": "Whether bigger is better depends on the metric.",
    "C5": "Communities' values conflict: no single model, size and threshold is best for all.",
    "C6": "Compute grows faster than performance (diminishing returns).",
    "C7": "Small models serve most needs.",
}


@dataclass
class Claim:
    claim: str
    test: str
    effect_name: str
    effect: float
    ci_low: float
    ci_high: float
    verdict: str
    rule: str
    details: str = ""
    statement: str = field(default="")

    def __post_init__(self):
        if self.claim not in STATEMENTS:
            raise ValueError(f"unknown claim {self.claim!r}; known: {sorted(STATEMENTS)}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        self.statement = self.statement or STATEMENTS[self.claim]
        for name in ("effect", "ci_low", "ci_high"):
            value = getattr(self, name)
            setattr(self, name, float("nan") if value is None else float(value))

    def as_row(self) -> dict:
        return asdict(self)


def verdict_from_interval(low: float, high: float, threshold: float, direction: str = "above") -> str:
    """Supported when the whole interval clears the threshold, not supported when
    it lies wholly on the other side, inconclusive when it straddles it."""
    if any(map(math.isnan, (low, high))):
        return "inconclusive"
    if direction == "above":
        return "supported" if low > threshold else "not supported" if high <= threshold else "inconclusive"
    if direction == "below":
        return "supported" if high < threshold else "not supported" if low >= threshold else "inconclusive"
    raise ValueError(f"direction must be 'above' or 'below', got {direction!r}")
