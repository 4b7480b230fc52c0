"""Figures for the scaling-law fits (src/community_scaling/scaling_fits/).

Prints:
  1. coverage of nominal 95% seed-bootstrap intervals for the exponent c of a power law
     with floor, on synthetic curves with known parameters (5 seeds x 12 sizes, lognormal
     noise of sd 5% per point, optionally plus a shift shared by a seed's sizes), for the
     plain percentile interval and the default few-seed-corrected "cluster_t" interval
     (target: 90-98%);
  2. wall time of fit_all on a synthetic table of the expected shape (2 models x 60
     communities x 12 sizes x 5 seeds, 200 resamples; target <= 60 s on 2 cores);
  3. the extrapolation benchmark of Alabdulmohsin et al. (2022): mean held-out log-RMSE
     (and its standard error across curves) per domain for every estimator.

Usage: python benchmarks/scaling_fits_benchmark.py [--reps 200] [--n-jobs 2] [--skip coverage,fit_all,extrapolation]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from community_scaling import extrapolation_benchmark as eb
from community_scaling import scaling_fits as sf


def coverage(reps: int, n_jobs: int) -> pd.DataFrame:
    rows = []
    for seed_sd in (0.0, 0.03):
        for interval in ("percentile", "cluster_t"):
            r = sf.interval_coverage("power_law_floor", {"e_inf": 0.08, "b": 3.0, "c": 0.45}, "c", n_rep=reps,
                                     n_boot=200, noise_sd=0.05, seed_sd=seed_sd, interval=interval, rng_seed=11,
                                     n_jobs=n_jobs)
            rows.append({"seed_shift_sd": seed_sd, "interval": interval, "replications": r["n_used"],
                         "coverage_%": 100 * r["coverage"], "miss_low_%": 100 * r["miss_low"],
                         "miss_high_%": 100 * r["miss_high"], "median_width": r["median_width"],
                         "seconds": r["seconds"]})
    return pd.DataFrame(rows)


def fit_all_time(n_jobs: int) -> tuple[float, sf.FitAllResult]:
    table = sf.synthetic_table(n_models=2, n_communities=60, n_seeds=5)
    started = time.perf_counter()
    fits = sf.fit_all(table, n_boot=200, n_jobs=n_jobs)
    return time.perf_counter() - started, fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200, help="coverage replications per setting")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--skip", default="", help="comma-separated: coverage, fit_all, extrapolation")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    pd.set_option("display.width", 160)

    if "coverage" not in skip:
        print(f"1. Coverage of nominal 95% intervals for c (power law with floor, truth c = 0.45; "
              f"{args.reps} replications, 200 resamples each)")
        print(coverage(args.reps, args.n_jobs).round(2).to_string(index=False), "\n")

    if "fit_all" not in skip:
        seconds, fits = fit_all_time(args.n_jobs)
        curves = fits.curves
        print(f"2. fit_all on 2 models x 60 communities (+ aggregates) x 12 sizes x 5 seeds, 200 resamples, "
              f"n_jobs={args.n_jobs}: {seconds:.1f} s for {len(curves)} curves")
        print("   chosen forms:", curves.chosen_form.value_counts().to_dict())
        print("   trend labels:", curves.trend.value_counts().to_dict())
        print("   heterogeneity:", fits.heterogeneity_tests[["model", "method", "p_value"]].to_dict("records"), "\n")

    if "extrapolation" not in skip:
        started = time.perf_counter()
        results = eb.evaluate(n_jobs=args.n_jobs)
        summary = eb.summarise(results)
        seconds = time.perf_counter() - started
        print(f"3. Extrapolation benchmark (Alabdulmohsin et al. 2022; 92 curves; {seconds:.0f} s)."
              " Held-out log-RMSE, mean (standard error) over curves; 'chosen' is the compendium's default "
              "(choose_form, holdout = 2 largest training sizes); paper_M* are re-implementations of the "
              "paper's estimators (their objectives, scipy's optimizer); 'average' was added post hoc.")
        cell = summary.assign(cell=summary.mean_rmse.map("{:.4f}".format) + " (" + summary.se.map("{:.4f}".format)
                              + ")")
        order = list(eb.ESTIMATORS)
        table = cell.pivot(index="estimator", columns="domain", values="cell").reindex(order)
        print(table[["IC", "NMT", "LM", "BB", "all"]].to_string(), "\n")
        wins = summary.pivot(index="estimator", columns="domain", values="win_share").reindex(order)
        print("   share of curves won (ties at 3 decimals split):")
        print(wins[["IC", "NMT", "LM", "BB", "all"]].round(3).to_string())
        chosen = results[results.estimator == "chosen"].chosen_form.value_counts().to_dict()
        print("   forms chosen:", chosen)
        wide = results.pivot(index="curve", columns="estimator", values="rmse")
        domain = results.groupby("curve").domain.first()
        print("   paired difference in log-RMSE, 'chosen' minus each paper estimator (mean, SE over curves):")
        for paper in eb.PAPER:
            diff = wide["chosen"] - wide[paper]
            parts = [f"{d} {g.mean():+.4f} ({g.std(ddof=1) / len(g) ** 0.5:.4f})"
                     for d, g in [*diff.groupby(domain), ("all", diff)]]
            print(f"     vs {paper}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
