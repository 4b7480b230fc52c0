"""The front page's findings sentences quote the ledger: its verdicts, numbers and power statements."""

from __future__ import annotations

import math
import re

import pandas as pd

from community_scaling.findings import claim_findings, number


def _ledger() -> pd.DataFrame:
    rows = [
        ("a", "C1", "supported", "gain per tenfold", -0.0123456, -0.02, -0.004, False, math.nan, ""),
        ("b", "C1", "inconclusive", "gain per tenfold", 0.5, -0.25, 1.75, True, 0.6667,
         "3 families; could detect a relative spread of 0.57 or more (80% power); more"),
        ("a", "C2", "not applicable", "none", math.nan, math.nan, math.nan, False, math.nan, "no sources"),
        ("b", "C2", "not applicable", "none", math.nan, math.nan, math.nan, False, math.nan, "no sources"),
        ("a", "C3", "supported", "share slower", 0.25, 0.1, 0.4, False, math.nan, ""),
        ("b", "C3", "supported", "share slower", 0.3, 0.2, 0.45, False, math.nan, ""),
    ]
    frame = pd.DataFrame(rows, columns=["study", "claim", "verdict", "effect_name", "effect", "ci_low", "ci_high",
                                        "fragile", "grid_agreement", "details"])
    frame["level"] = 0.9  # the ledger's level, not an assumed 95%
    frame["statement"] = frame.claim.map({"C1": "One.", "C2": "Two.", "C3": "Three."})
    return frame


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)


def test_the_evidence_quotes_each_studys_effect_and_interval():
    ledger = _ledger()
    found = {f["claim"]: f for f in claim_findings(ledger)}
    assert list(found) == ["C1", "C2", "C3"]
    c1 = found["C1"]["evidence"]
    a, b = ledger.iloc[0], ledger.iloc[1]
    expected = [number(a.effect), "90", number(a.ci_low), number(a.ci_high), number(b.effect), "90",
                number(b.ci_low), number(b.ci_high), "67", "0.57", "80"]  # 0.6667 of the grid agrees -> 67%
    assert _numbers(c1) == expected
    assert c1.index("In a,") < c1.index("in b,") and "could detect a relative spread of 0.57" in c1
    assert "fragile" in c1 and c1.startswith("In a, gain per tenfold: -0.0123")


def test_the_verdict_sentence_names_agreement_and_disagreement():
    found = {f["claim"]: f for f in claim_findings(_ledger())}
    assert found["C1"]["verdicts"] == "The studies disagree: supported in a; inconclusive in b."
    assert found["C3"]["verdicts"] == "All 2 studies that can test it find it supported (a and b)."
    assert found["C2"]["verdicts"] == "No built study can test it (a and b: not applicable)."
    assert found["C2"]["evidence"] == ""  # nothing invented where no study measures it


def test_a_power_statement_is_quoted_only_for_an_inconclusive_verdict():
    ledger = _ledger()
    ledger.loc[ledger.claim == "C3", "details"] = "could detect a share of 0.1 or more"
    c3 = {f["claim"]: f for f in claim_findings(ledger)}["C3"]["evidence"]
    assert "could detect" not in c3
    assert _numbers(c3) == ["0.25", "90", "0.1", "0.4", "0.3", "90", "0.2", "0.45"]


def test_one_studys_evidence_does_not_repeat_its_name():
    found = claim_findings(_ledger()[lambda d: d.study == "a"])
    c1 = {f["claim"]: f for f in found}["C1"]
    assert c1["verdicts"] == "Supported in a, the only study that can test it."
    assert c1["evidence"].startswith("Gain per tenfold: -0.0123 (90% interval -0.02 to -0.004)")
