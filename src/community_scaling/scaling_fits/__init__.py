"""Scaling-law fits per learning curve: forms, robust fits, seed-bootstrap intervals,
extrapolation-based form choice, per-community trend labels and slope heterogeneity.

Modules: forms (the curves), fitting (one robust fit), resampling (seed draws, test-row
replicates, intervals: shared by every analysis), bootstrap, extrapolation (and form choice),
trends, heterogeneity, floors, rolf (Rolf et al. 2021), table (the input contract),
alternatives (C1: the law against laws that are not power laws), exponents (C3: excess-error exponents),
all_curves (fit_all), synthetic (known-answer data).

Conventions. Error e (lower is better) against training-set size n > 0.
Every fit minimises a Huber loss of LOG residuals log(e_obs) - log(e_model) with
scipy.optimize.least_squares (analytic Jacobian, x_scale="jac", xtol = ftol =
gtol = 1e-12): a loose multi-start pass picks the basin, a tight pass polishes it,
because a Huber objective that is tiny near the optimum lets a loose optimizer stop
early and report too-narrow intervals (Besiroglu et al. 2024, arXiv 2404.10102).

Intervals. Seeds are resampled with replacement (cluster bootstrap: all sizes of a
seed go together). With 5 seeds the plain percentile interval undercovers (its
spread has roughly G - 1 = 4 degrees of freedom and is biased low by (G-1)/G), so
the default "cluster_t" interval widens the percentile interval about the bootstrap
median by t_{G-1, 0.975} / z_{0.975} * sqrt(G / (G-1)), the usual few-cluster
correction (Cameron & Miller 2015). benchmarks/scaling_fits_benchmark.py measures
the coverage of both.
"""

from __future__ import annotations

from .all_curves import FitAllResult, fit_all
from .alternatives import ALTERNATIVES, MARGIN_RULE, aggregate_margins, extrapolation_margin, split_sizes
from .bootstrap import BootstrapResult, bootstrap_fit
from .exponents import GAP_RULE, community_exponents, exponent_samples, profile_fit
from .extrapolation import (CHOICE_RULE, ExtrapolationResult, FormChoice, average_prediction, choose_form,
                            extrapolation_error)
from .fitting import HUBER_K, LOOSE, MAX_NFEV, MIN_F_SCALE, TIGHT, FitResult, fit_curve
from .floors import FLOOR_RULE, floor_differences
from .forms import (BROKEN_POWER_LAW, DEFAULT_FORMS, FORMS, M4, POWER_LAW_FLOOR, Context, Form, _m4_excess,
                    get_form, make_context)
from .heterogeneity import HeterogeneityResult, slope_heterogeneity
from .resampling import INTERVALS, bootstrap_interval, joint_resamples, seed_draws, widening
from .rolf import ROLF_PARAMS, RolfResult, fit_rolf
from .synthetic import interval_coverage, simulate_curve, synthetic_table, true_curve
from .table import (AGGREGATE, ERROR_RATES, KEY, REPLICATE_COLUMNS, TABLE_COLUMNS, check_table,
                    noise_sources)
from .trends import TREND_RULE, SlopeSamples, TrendResult, classify_trend, upper_half_slope, upper_sizes

__all__ = [
    "AGGREGATE", "ALTERNATIVES", "GAP_RULE", "MARGIN_RULE", "BROKEN_POWER_LAW", "CHOICE_RULE", "DEFAULT_FORMS", "ERROR_RATES", "FLOOR_RULE", "FORMS",
    "HUBER_K", "INTERVALS", "KEY", "LOOSE", "M4", "MAX_NFEV", "MIN_F_SCALE", "POWER_LAW_FLOOR",
    "REPLICATE_COLUMNS", "ROLF_PARAMS", "TABLE_COLUMNS", "TIGHT", "TREND_RULE",
    "BootstrapResult", "Context", "ExtrapolationResult", "FitAllResult", "FitResult", "Form", "FormChoice",
    "HeterogeneityResult", "RolfResult", "SlopeSamples", "TrendResult",
    "aggregate_margins", "average_prediction", "community_exponents", "exponent_samples", "extrapolation_margin", "joint_resamples",
    "profile_fit", "split_sizes", "bootstrap_fit", "bootstrap_interval", "check_table", "choose_form", "classify_trend", "extrapolation_error",
    "fit_all", "fit_curve", "fit_rolf", "floor_differences", "get_form", "interval_coverage", "make_context",
    "noise_sources", "seed_draws", "simulate_curve", "slope_heterogeneity", "synthetic_table", "true_curve",
    "upper_half_slope", "upper_sizes", "widening",
]
