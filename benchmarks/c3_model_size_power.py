"""C3 on model size: is the spread test calibrated, and what can each real study detect?

1. On the calibration generator (11 languages at BLOOM's 5 sizes, item noise, model scatter; as
   claims.c3_communities_left_behind.MODEL_SIZE_CALIBRATION), the rejection rates of the chi-square
   generalized Q (known standard errors assumed) and of the parametric-bootstrap version (standard
   errors re-estimated), for homogeneity (tau = 0, on equal gains) and for the margin (rho <= 0.25, at
   the boundary rho = 0.25); then the rule's verdicts over relative spreads.
2. Per real study (its results/<study>/slopes.parquet, from `make all STUDY=<study>`), the power
   curve of the rule on generators that copy its design (spread.power_curve) and the minimum
   relative spread detected with 80% power.

Usage: python benchmarks/c3_model_size_power.py [--replicates 300] [--curve-replicates 100] [--n-jobs 2]
Output kept in benchmarks/results/c3_model_size_power.txt.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from statsmodels.stats.proportion import proportion_confint

from community_scaling import model_size, paths, spread
from community_scaling.claims import c3_communities_left_behind as c3

STUDIES = ["llm_multilingual", "pythia_crows_pairs", "opt_mmlu"]
SPREADS = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5]


def _one(rho: float, rep: int) -> dict:
    rng = np.random.default_rng([17, rep, int(round(rho * 100))])
    table = c3._size_generated(c3._spread_gains(rho, rng), rng)
    slopes = model_size.slope_table(table, 4)
    families, apart = spread.spread_table(slopes, c3.SIZE_BOOT)
    verdict = c3.evaluate_model_size(families, apart, c3.SIZE_MARGIN).verdict
    row = {"rho": rho, "verdict": verdict}
    found, _ = spread.designs(slopes)
    if found:
        d = found[0]
        margin = spread.p_above(slopes, c3.SIZE_MARGIN, n_boot=2000).iloc[0]
        row.update(chi2_homogeneity=families.p_homogeneity_chi2.iloc[0], boot_homogeneity=families.p_homogeneity_boot.iloc[0],
                   chi2_margin=spread.q_test(d["b"], d["s"], (c3.SIZE_MARGIN * d["gain"]) ** 2),
                   boot_margin=margin.p_above)
    return row


def _rate(hits: pd.Series) -> str:
    k, n = int(hits.sum()), len(hits)
    low, high = proportion_confint(k, n, alpha=0.05, method="beta")
    return f"{k / n:.3f} [{low:.3f}, {high:.3f}] ({k}/{n})"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=300)
    parser.add_argument("--curve-replicates", type=int, default=100)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(f"# C3 on model size: calibration and power (margin {c3.SIZE_MARGIN}, one-sided level 0.025)\n")
    print("## 1. The test on the calibration generator\n")
    print(c3.MODEL_SIZE_CALIBRATION.null_description.replace("exactly the margin", "rho"), "\n")
    for rho, what in ((0.0, "equal gains (rho = 0)"), (c3.SIZE_MARGIN, f"boundary of the null (rho = {c3.SIZE_MARGIN})")):
        rows = pd.DataFrame(Parallel(n_jobs=args.n_jobs)(delayed(_one)(rho, r) for r in range(args.replicates)))
        tested = rows.dropna(subset=["chi2_homogeneity"])
        print(f"{what}: {len(tested)} of {len(rows)} replicates with a tested family; rejection rates")
        for name in ("homogeneity", "margin"):
            for alpha in (0.05, 0.025):
                print(f"  {name:>11} at {alpha:<5}: chi-square Q {_rate(tested[f'chi2_{name}'] <= alpha)}; "
                      f"bootstrap Q {_rate(tested[f'boot_{name}'] <= alpha)}")
        print(f"  rule's verdict 'supported': {_rate(rows.verdict == 'supported')}; "
              f"'not supported': {_rate(rows.verdict == 'not supported')}\n")
    print(f"The rule's verdicts over relative spreads ({args.curve_replicates} replicates each):\n")
    print("| relative spread | supported | not supported | inconclusive | not applicable |\n|---|---|---|---|---|")
    for rho in SPREADS:
        rows = pd.DataFrame(Parallel(n_jobs=args.n_jobs)(delayed(_one)(rho, r) for r in range(args.curve_replicates)))
        counts = rows.verdict.value_counts(normalize=True)
        print(f"| {rho:g} | " + " | ".join(f"{counts.get(v, 0.0):.2f}" for v in
                                            ("supported", "not supported", "inconclusive", "not applicable")) + " |")
    print("\n## 2. Power on each real study's own design (spread.power_curve: 400 simulations per spread, "
          "critical values from 2,000 null draws per family at the margin)\n")
    for study in STUDIES:
        path = paths.PROJECT_ROOT / "results" / study / "slopes.parquet"
        if not path.exists():
            print(f"{study}: no {path} (run make all STUDY={study})\n")
            continue
        slopes = pd.read_parquet(path)
        t0 = time.perf_counter()
        curve = spread.power_curve(slopes, c3.SIZE_MARGIN)
        seconds = time.perf_counter() - t0
        found, apart = spread.designs(slopes)
        if curve.empty:
            print(f"{study}: no family tested\n")
            continue
        design = "; ".join(f"{d['model']} {d['attribute']}: {len(d['b'])} communities, gain {d['gain']:+.3f}, "
                           f"median slope se {np.median(d['s']):.3f}" for d in found)
        print(f"{study} ({len(found)} families: {design}); {seconds:.1f} s")
        print("  power: " + ", ".join(f"{r.relative_spread:g}: {r.power:.2f}" for r in curve.itertuples()))
        print(f"  minimum relative spread detected with 80% power: {spread.minimum_detectable(curve):.2f}\n")
    print(f"({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    main()
