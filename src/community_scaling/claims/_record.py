"""One ledger record per claim and study: its test, effect, interval, verdict and how robust it is."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

# Every interval in the ledger is at this level (a claim that reports another says so and is a defect).
LEVEL = 0.95
VERDICTS = ("supported", "not supported", "inconclusive", "not applicable")


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
    statement: str = ""
    level: float = LEVEL
    # Sensitivity: the share of the claim's stated grid of settings whose verdict agrees with the
    # pre-declared setting's (NaN when no grid was run), and whether any disagrees.
    grid_agreement: float = math.nan
    fragile: bool = False
    grid: str = ""

    def __post_init__(self):
        from . import statement  # the registry knows every claim's statement

        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        self.statement = self.statement or statement(self.claim)
        for name in ("effect", "ci_low", "ci_high"):
            value = getattr(self, name)
            setattr(self, name, math.nan if value is None else float(value))

    def as_row(self) -> dict:
        return asdict(self)


def not_applicable(claim: str, reason: str, test: str = "", effect_name: str = "") -> Claim:
    """The record of a claim a study cannot test (it lacks a table, or the design makes it an identity)."""
    return Claim(claim, test=test or "not run", effect_name=effect_name or "none", effect=None, ci_low=None,
                 ci_high=None, verdict="not applicable", rule=f"not applicable: {reason}", details=reason)


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


def detectable(record) -> str:
    """What an inconclusive verdict's study could have detected, as its details state it ("could detect a
    relative spread of 0.57 or more (80% power)"), or "" (another verdict, or no power statement)."""
    if getattr(record, "verdict", "") != "inconclusive":
        return ""
    found = re.search(r"could (?:not )?detect [^;]*", str(getattr(record, "details", "") or ""))
    return found.group(0) if found else ""


def summary_line(record) -> str:
    """One markdown line for a ledger row (a Claim or a row of the ledger table)."""
    robustness = f"; fragile: {record.grid_agreement:.0%} of its grid agrees" if record.fragile else ""
    if record.verdict == "not applicable":
        return f"- **{record.claim}** (not applicable): {record.statement} {record.details}"
    power = detectable(record)
    return (f"- **{record.claim}** ({record.verdict}{robustness}): {record.statement} {record.effect_name} = "
            f"{record.effect:.3g} [{record.ci_low:.3g}, {record.ci_high:.3g}]."
            + (f" The study {power}." if power else ""))
