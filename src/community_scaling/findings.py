"""The front page's findings: for each claim, sentences saying what the built studies' ledgers show.

Every number comes from a ledger row (effect, interval, grid agreement, the power statement in its
details); nothing is recomputed here, and a verdict is quoted, never re-derived.
"""

from __future__ import annotations

import math

import pandas as pd

from .claims import VERDICTS
from .claims._record import LEVEL, detectable


def number(value) -> str:
    """A ledger number as the site prints it (3 significant digits; 'n/a' when missing)."""
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3g}"


def _names(studies: list[str]) -> str:
    return studies[0] if len(studies) == 1 else ", ".join(studies[:-1]) + f" and {studies[-1]}"


def verdict_sentence(rows: pd.DataFrame) -> str:
    """Which studies reach which verdict, agreement first ('All 2 studies that can test it: supported')."""
    tested = rows[rows.verdict != "not applicable"]
    untested = sorted(rows[rows.verdict == "not applicable"].study)
    if tested.empty:
        return f"No built study can test it ({_names(untested)}: not applicable)."
    groups = {v: sorted(tested[tested.verdict == v].study) for v in VERDICTS if (tested.verdict == v).any()}
    if len(groups) == 1:
        (verdict, studies), = groups.items()
        text = (f"{verdict.capitalize()} in {studies[0]}, the only study that can test it" if len(studies) == 1
                else f"All {len(studies)} studies that can test it find it {verdict} ({_names(studies)})")
    else:
        text = "The studies disagree: " + "; ".join(f"{v} in {_names(s)}" for v, s in groups.items())
    if untested:
        text += f"; not applicable in {_names(untested)}"
    return text + "."


def evidence_clause(row) -> str:
    """One study's effect in the ledger's own units, with its interval, fragility and detectable effect."""
    level = getattr(row, "level", LEVEL)
    # "name: value", since effect names are phrases ("how much better ...", "share of ...")
    text = (f"in {row.study}, {row.effect_name}: {number(row.effect)} "
            f"({level:.0%} interval {number(row.ci_low)} to {number(row.ci_high)})")
    if bool(getattr(row, "fragile", False)) and not pd.isna(getattr(row, "grid_agreement", math.nan)):
        text += f", a fragile verdict ({row.grid_agreement:.0%} of its grid of settings agrees)"
    power = detectable(row)
    if power:
        text += f"; the study {power}"
    return text


def claim_findings(ledger: pd.DataFrame) -> list[dict]:
    """One finding per claim of `ledger` (the built studies' ledgers stacked, with a `study` column),
    in claim order: dicts with claim, statement, verdicts (a sentence) and evidence (a sentence, or ''
    when no study can test the claim)."""
    out = []
    for claim, rows in ledger.groupby("claim", sort=True):
        rows = rows.sort_values("study")
        tested = rows[rows.verdict != "not applicable"]
        evidence = "; ".join(evidence_clause(r) for r in tested.itertuples())
        if len(tested) == 1:  # the verdict sentence has just named the one study
            evidence = evidence.removeprefix(f"in {tested.study.iloc[0]}, ")
        out.append({"claim": claim, "statement": str(rows.statement.iloc[0]), "verdicts": verdict_sentence(rows),
                    "evidence": evidence[:1].upper() + evidence[1:] + "." if evidence else ""})
    return out
