"""Do two clean runs give the same tables and verdicts? Compares every result table of every study
under two output roots (e.g. two `make all OUT=...` of different commits, or of the same commit twice).

Measured times (columns named *seconds*, cpu, wall, energy) are left out: they are reported, never
compared; so are unit ids and cache file names, which hash the code version. Everything else must be
equal exactly (NaN equal to NaN). Prints one line per study and each ledger's verdicts side by side.

Usage: python -m community_scaling.compare_runs FIRST_OUT SECOND_OUT (exit status 1 when anything differs)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

TIMING = ("seconds", "cpu", "wall", "joules", "watt", "energy", "kwh")
CODE_VERSIONED = ("unit_id", "file", "key")


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in frame.columns if c not in CODE_VERSIONED and not any(t in c.lower() for t in TIMING)]]


def compare_study(first: Path, second: Path) -> list[str]:
    """The tables of one study that differ (or exist in one run only), with the first difference."""
    problems = []
    names = sorted({p.name for p in first.glob("*.parquet")} | {p.name for p in second.glob("*.parquet")})
    for name in names:
        if not (first / name).exists() or not (second / name).exists():
            problems.append(f"{name}: in one run only")
            continue
        try:
            pd.testing.assert_frame_equal(comparable(pd.read_parquet(first / name)),
                                          comparable(pd.read_parquet(second / name)), check_exact=True)
        except AssertionError as error:
            problems.append(f"{name}: {str(error).splitlines()[0]}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    args = parser.parse_args(argv)
    studies = sorted(p.name for p in (args.first / "results").iterdir() if p.is_dir())
    failed = False
    for study in studies:
        if not (args.second / "results" / study).is_dir():  # e.g. an opt-in study built in one run only
            print(f"{study}: in the first run only, not compared")
            failed = True
            continue
        problems = compare_study(args.first / "results" / study, args.second / "results" / study)
        tables = len(list((args.first / "results" / study).glob("*.parquet")))
        print(f"{study}: {tables - len(problems)} of {tables} tables identical"
              + "".join(f"\n  DIFFERS {p}" for p in problems))
        ledgers = [pd.read_parquet(root / "results" / study / "ledger.parquet").set_index("claim").verdict
                   for root in (args.first, args.second) if (root / "results" / study / "ledger.parquet").exists()]
        if len(ledgers) == 2:
            print("  verdicts: " + ", ".join(f"{c} {a}" + ("" if a == b else f" / {b} (DIFFERS)")
                                             for c, a, b in zip(ledgers[0].index, ledgers[0], ledgers[1])))
        failed |= bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
