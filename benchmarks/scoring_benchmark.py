"""Growth of scoring time with test rows x units (README, Performance, "At national scale").

Scores 10 synthetic units on 50k, 200k and 800k test rows with metrics.evaluation_table (15
metrics, about 86 communities shaped like the ACS study's: race 9, sex 2, state 51, age band 6,
race x sex 18), best of 3 runs per size, and prints the slope of log time on log(rows x units):
the growth exponent (target <= 1.05). Scores are float32 with some ties, as the unit cache holds.
The load average is printed before and after, since a busy machine slows the larger sizes most.

Usage: python benchmarks/scoring_benchmark.py [--units 10] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from community_scaling import metrics

SIZES = (50_000, 200_000, 800_000)


def synthetic_test_set(n_rows: int, n_units: int, seed: int = 0):
    rng = np.random.default_rng([seed, n_rows])
    race = rng.choice([f"race{i}" for i in range(9)], n_rows, p=np.r_[0.6, np.full(8, 0.05)])
    sex = rng.choice(["female", "male"], n_rows)
    groups = pd.DataFrame({"race": race, "sex": sex, "state": rng.choice([f"st{i:02d}" for i in range(51)], n_rows),
                           "age_band": rng.choice([f"age{i}" for i in range(6)], n_rows),
                           "race_x_sex": pd.Series(race) + "|" + sex})
    y = (rng.random(n_rows) < 0.37).astype(np.int8)
    signal = np.linspace(0.5, 2.0, n_units)[:, None] * (y - 0.5)
    # Rounded to 1/4096 so scores tie, as a small boosting model's do.
    scores = np.round(1 / (1 + np.exp(-(signal + rng.normal(0, 1, (n_units, n_rows))))) * 4096) / 4096
    units = pd.DataFrame({"unit": np.arange(n_units)})
    return y, scores.astype(np.float32), units, groups


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min); "
          f"{os.cpu_count()} cores")
    rows = []
    for n_rows in SIZES:
        y, scores, units, groups = synthetic_test_set(n_rows, args.units)
        evaluable = metrics.evaluable_communities(y, groups)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            table = metrics.evaluation_table(y, scores, units, groups, 0.5, evaluable)
            times.append(time.perf_counter() - start)
        rows.append({"test_rows": n_rows, "units": args.units, "rows_x_units": n_rows * args.units,
                     "communities": int(table.community.nunique()), "seconds_best": min(times),
                     "seconds_median": float(np.median(times)),
                     "ns_per_row_unit": min(times) / (n_rows * args.units) * 1e9})
    result = pd.DataFrame(rows)
    print(result.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    slope = np.polyfit(np.log(result.rows_x_units), np.log(result.seconds_best), 1)[0]
    print(f"growth exponent (slope of log best time on log rows x units): {slope:.3f} (target <= 1.05)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
