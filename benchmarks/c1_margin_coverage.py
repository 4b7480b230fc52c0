"""C1: does the margin's interval cover, with 5 seeds, and what did the old widening do?

On generated aggregate curves of the census design (claims.c1_aggregate_power_law._generated:
the census sizes, 5 seeds, seed noise and test-row noise), for several truths (the calibration's
power law with floor, a floorless power law, an exponential saturation inside the held-out sizes),
the share of 95% intervals (seed jackknife + test-row replicates, t with Welch-Satterthwaite
degrees of freedom: scaling_fits.alternatives.margin_interval) that contain the expected margin,
estimated as the mean margin over all the truth's replicates. Also the median degrees of freedom,
and the share of the variance that comes from the seeds.

Usage: python benchmarks/c1_margin_coverage.py [--replicates 400] [--n-jobs 2]
Output kept in benchmarks/results/c1_margin_coverage.txt.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from statsmodels.stats.proportion import proportion_confint

from community_scaling.claims import c1_aggregate_power_law as c1
from community_scaling.scaling_fits import aggregate_margins

TRUTHS = {
    "power law with floor 0.05 + 3 n^-0.5 (the calibration's)": lambda n: 0.05 + 3.0 * n ** -0.5,
    "power law without floor 2 n^-0.35": lambda n: 2.0 * n ** -0.35,
    "exponential saturation 0.08 + 0.25 exp(-n / 8,000)": lambda n: 0.08 + 0.25 * np.exp(-n / 8_000),
}


def _one(name: str, rep: int) -> dict:
    table, replicates = c1._generated(TRUTHS[name], np.random.default_rng([23, rep, len(name)]))
    r = aggregate_margins(table, "error", replicates, 3.0, n_boot=c1.CALIBRATION_BOOT).iloc[0]
    return {"truth": name, "margin": r.margin, "low": r.margin_ci_low, "high": r.margin_ci_high, "se": r.margin_se,
            "df": r.margin_df}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=400)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = Parallel(n_jobs=args.n_jobs)(delayed(_one)(name, rep) for name in TRUTHS for rep in range(args.replicates))
    frame = pd.DataFrame(rows)
    print(f"C1 margin interval coverage, {args.replicates} generated curves per truth, census design "
          f"(5 seeds, {c1.CALIBRATION_BOOT} test-row replicates, 3 doublings held out)\n")
    for name, g in frame.groupby("truth", sort=False):
        target = g.margin.mean()
        hits = int(((g.low <= target) & (target <= g.high)).sum())
        low, high = proportion_confint(hits, len(g), alpha=0.05, method="beta")
        print(f"{name}:\n  expected margin {target:+.4f} (sd over curves {g.margin.std():.4f}, median se "
              f"{g.se.median():.4f}); coverage of 95% intervals {hits / len(g):.3f} [{low:.3f}, {high:.3f}]; "
              f"median df {g.df.median():.1f}")
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
