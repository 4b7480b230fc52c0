"""Figures for the scaling-law fits (src/community_scaling/scaling_fits/).

Prints:
  1. coverage of nominal 95% seed-bootstrap intervals for the exponent c of a power law
     with floor, on synthetic curves with known parameters (5 seeds x 12 sizes, lognormal
     noise of sd 5% per point, optionally plus a shift shared by a seed's sizes), for the
     plain percentile interval and the default few-seed-corrected "cluster_t" interval
     (target: 90-98%);
  2. wall time of fit_all on a synthetic table of the expected shape (2 models x 60
     communities x 12 sizes x 5 seeds, 200 resamples; target <= 60 s on 2 cores), and on one
     of the census study's shape (90 curves: 2 models x 44 communities + aggregates, test-row
     replicates too; target <= 15 s) with the batched and with scipy's one-by-one refits;
  3. the extrapolation benchmark of Alabdulmohsin et al. (2022): mean held-out log-RMSE
     (and its standard error across curves) per domain for every estimator; per-curve scores
     are written to benchmarks/results/extrapolation_benchmark_curves.csv;
  4. the default method decided on held-out curves (extrapolation_split.held_out_choice):
     fixed on a seeded half of the 92 curves, confirmed against paper_M4 on the other half.

Usage: python benchmarks/scaling_fits_benchmark.py [--reps 200] [--n-jobs 2] [--skip coverage,fit_all,extrapolation]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from community_scaling import extrapolation_benchmark as eb
from community_scaling import extrapolation_split as es
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


def census_shaped_time(n_jobs: int, solver: str) -> tuple[float, sf.FitAllResult]:
    """fit_all on 90 census-shaped curves with 200 test-row replicates (lognormal, sd 3%) per point."""
    table = sf.synthetic_table(n_models=2, n_communities=44, n_seeds=5, rng_seed=1)
    rng = np.random.default_rng(2)
    points = table[list(sf.REPLICATE_COLUMNS[:5])].to_numpy()
    reps = pd.DataFrame(np.repeat(points, 200, axis=0), columns=list(sf.REPLICATE_COLUMNS[:5]))
    reps["replicate"] = np.tile(np.arange(200), len(table))
    reps["value"] = np.repeat(table.value.to_numpy(), 200) * np.exp(rng.normal(0, 0.03, len(reps)))
    reps = reps.astype({"scale": float, "seed": int})
    started = time.perf_counter()
    fits = sf.fit_all(table, n_boot=200, n_jobs=n_jobs, replicates=reps, solver=solver)
    return time.perf_counter() - started, fits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200, help="coverage replications per setting")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--skip", default="", help="comma-separated: coverage, fit_all, extrapolation")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    pd.set_option("display.width", 160)
    print("# load average at start (1, 5, 15 min): %.2f %.2f %.2f on %d cores" % (*os.getloadavg(), os.cpu_count()))

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
        print("   heterogeneity:", fits.heterogeneity_tests[["model", "method", "p_value"]].to_dict("records"))
        timed = {solver: census_shaped_time(args.n_jobs, solver) for solver in ("batched", "scipy")}
        (fast, a), (slow, b) = timed["batched"], timed["scipy"]
        c_fast, c_slow = (f.params[(f.params.form == "power_law_floor") & (f.params.parameter == "c")]
                          .set_index(["model", "community"])[["estimate", "ci_low", "ci_high"]] for f in (a, b))
        print(f"   census-shaped (90 curves, seeds and test rows resampled, 200 resamples, n_jobs={args.n_jobs}): "
              f"{fast:.1f} s batched, {slow:.1f} s scipy; largest difference in the exponent's interval ends: "
              f"{(c_fast - c_slow).abs().to_numpy().max():.1e}; trend labels equal: "
              f"{a.curves.trend.tolist() == b.curves.trend.tolist()}\n")

    if "extrapolation" not in skip:
        started = time.perf_counter()
        results = eb.evaluate(n_jobs=args.n_jobs)
        summary = eb.summarise(results)
        seconds = time.perf_counter() - started
        print(f"3. Extrapolation benchmark (Alabdulmohsin et al. 2022; 92 curves; {seconds:.0f} s)."
              " Held-out log-RMSE, mean (standard error) over curves; 'chosen' is the form chosen per curve "
              "(choose_form, holdout = 2 largest training sizes); 'average' the mean of the three forms' log "
              "predictions (proposed post hoc, decided in part 4); paper_M* are re-implementations of the "
              "paper's estimators (their objectives, scipy's optimizer).")
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
        for ours in ("chosen", "average"):
            print(f"   paired difference in log-RMSE, '{ours}' minus each paper estimator (mean, SE over curves):")
            for paper in eb.PAPER:
                diff = wide[ours] - wide[paper]
                parts = [f"{d} {g.mean():+.4f} ({g.std(ddof=1) / len(g) ** 0.5:.4f})"
                         for d, g in [*diff.groupby(domain), ("all", diff)]]
                print(f"     vs {paper}: " + ", ".join(parts))
        results.to_csv(Path(__file__).parent / "results" / "extrapolation_benchmark_curves.csv", index=False)
        print()
        decision = es.held_out_choice(results, eb.OURS, "paper_M4")
        print(f"4. Default method decided on held-out curves: curves split within each domain by a seeded shuffle "
              f"(numpy default_rng({decision['split_seed']})), {decision['n_selection']} select, "
              f"{decision['n_confirmation']} confirm ({decision['dropped']} dropped: a compared estimator failed)")
        print("   selection half, mean log-RMSE:",
              ", ".join(f"{k} {v:.4f}" for k, v in decision["selection_means"].items()))
        print(f"   fixed: {decision['chosen']}; confirmation half: {decision['confirmation_mean']:.4f} vs "
              f"{decision['reference']} {decision['reference_mean']:.4f}, paired difference "
              f"{decision['difference']:+.4f} (SE {decision['se']:.4f}, 95% t interval "
              f"{decision['ci_low']:+.4f} to {decision['ci_high']:+.4f}): "
              + ("adopted (the interval excludes 0)" if decision["adopt"] else "NOT adopted (the interval holds 0)"))


if __name__ == "__main__":
    main()
