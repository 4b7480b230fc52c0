"""Two runs compared table by table: timings and code-versioned ids are left out, anything else counts."""

import pandas as pd

from community_scaling import compare_runs


def _write(root, study, name, frame):
    folder = root / "results" / study
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(folder / f"{name}.parquet")


def test_runs_differing_only_in_timings_and_unit_ids_are_the_same(tmp_path, capsys):
    ledger = pd.DataFrame({"claim": ["C1", "C2"], "verdict": ["supported", "inconclusive"], "effect": [0.5, float("nan")]})
    units = pd.DataFrame({"unit_id": ["a1", "b2"], "scale": [128, 256], "cpu_seconds": [1.0, 2.0]})
    for root, ids, cpu in ((tmp_path / "one", ["a1", "b2"], [1.0, 2.0]), (tmp_path / "two", ["c3", "d4"], [1.5, 2.5])):
        _write(root, "s", "ledger", ledger)
        _write(root, "s", "units", units.assign(unit_id=ids, cpu_seconds=cpu))
    assert compare_runs.main([str(tmp_path / "one"), str(tmp_path / "two")]) == 0
    assert "s: 2 of 2 tables identical" in capsys.readouterr().out


def test_a_changed_value_or_verdict_is_reported(tmp_path, capsys):
    ledger = pd.DataFrame({"claim": ["C1"], "verdict": ["supported"], "effect": [0.5]})
    _write(tmp_path / "one", "s", "ledger", ledger)
    _write(tmp_path / "two", "s", "ledger", ledger.assign(verdict="inconclusive"))
    _write(tmp_path / "one", "s", "extra", ledger)
    assert compare_runs.main([str(tmp_path / "one"), str(tmp_path / "two")]) == 1
    out = capsys.readouterr().out
    assert "DIFFERS extra.parquet: in one run only" in out and "C1 supported / inconclusive (DIFFERS)" in out
    assert "DIFFERS ledger.parquet" in out
    _write(tmp_path / "one", "only_here", "ledger", ledger)
    assert compare_runs.main([str(tmp_path / "one"), str(tmp_path / "two")]) == 1
    assert "only_here: in the first run only, not compared" in capsys.readouterr().out
