"""Can each claim's test fail? False-positive rate and power of every calibrated claim.

For each claim module with a CALIBRATION, its rule is run on generated data where
the claim is false (null) and where it is true at a stated effect size, over
--replicates replicates each. Targets: false-positive rate at most 5%, power at
least 80%. Prints a table; its output is kept in benchmarks/results/claims_calibration.txt
and quoted in the README.

Usage: python benchmarks/claims_calibration.py [--replicates 200] [--n-jobs 2] [--claims C1 C7] [--exclude 'C5 on rater groups']
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from community_scaling import claims


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--claims", nargs="*", default=list(claims.MODULES),
                        help="which claims (default: all), or rules by name, e.g. 'C3 on model size'")
    parser.add_argument("--exclude", nargs="*", default=[], help="rules left out, by name, e.g. 'C5 on rater groups'")
    args = parser.parse_args(argv)
    rows = []
    rules = claims.calibrations()
    chosen = [rule for rule in rules if (rule in args.claims or rule.split()[0] in args.claims) and rule not in args.exclude]
    for claim in chosen:
        calibration = rules[claim]
        started = time.perf_counter()
        row = claims.calibrate(claim, calibration, n_rep=args.replicates, n_jobs=args.n_jobs)
        rows.append({**row, "seconds": round(time.perf_counter() - started, 1)})
        print(f"{claim}: false-positive rate {row['false_positive_rate']:.3f}, power {row['power']:.3f}", flush=True)
    table = pd.DataFrame(rows)
    print(f"\nClaims calibration, {args.replicates} replicates per generator "
          f"(targets: false-positive rate <= {claims.MAX_FALSE_POSITIVE_RATE:.0%}, power >= {claims.MIN_POWER:.0%})\n")
    with pd.option_context("display.max_colwidth", 400, "display.width", 250):
        for row in table.itertuples():
            if not row.replicates:
                print(f"{row.claim}: NOT CALIBRATED ({row.null})\n")
                continue
            print(f"{row.claim}: false-positive rate {row.false_positive_rate:.3f} "
                  f"[{row.false_positive_rate_low:.3f}, {row.false_positive_rate_high:.3f}], power {row.power:.3f} "
                  f"[{row.power_low:.3f}, {row.power_high:.3f}], {'passes' if row.passes else 'FAILS'} "
                  f"({row.seconds:.0f} s)\n  null: {row.null}\n  effect: {row.effect}\n")


if __name__ == "__main__":
    main()
