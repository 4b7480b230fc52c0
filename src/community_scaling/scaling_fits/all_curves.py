"""Every (model, attribute, community) curve of a table at once: form choice, intervals, trend labels,
slope heterogeneity and floor differences."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import delayed

from ..io import InputError
from .bootstrap import bootstrap_fit
from .extrapolation import CHOICE_RULE, choose_form
from .fitting import fit_curve
from .floors import FLOOR_RULE, floor_differences
from .forms import DEFAULT_FORMS, get_form
from .heterogeneity import slope_heterogeneity
from .resampling import widening
from .table import AGGREGATE, ERROR_RATES, KEY, _aligned, _replicate_matrices, check_table, noise_sources
from .trends import TREND_RULE, classify_trend, upper_half_slope
from ..workers import parallel


@dataclass
class FitAllResult:
    params: pd.DataFrame         # model, attribute, community, form, parameter, estimate, ci_low, ci_high
    curves: pd.DataFrame         # one row per curve: evaluable, chosen form, extrapolation RMSE, trend label
    extrapolation: pd.DataFrame  # model, attribute, community, form, rmse, success, chosen
    heterogeneity: pd.DataFrame  # model, attribute, community, slope_diff, ci_low, ci_high, p_value, p_holm, differs
    heterogeneity_tests: pd.DataFrame  # model, attribute, method, note, wald_stat, wald_df, p_value, reference
    settings: dict
    floors: pd.DataFrame = field(default_factory=pd.DataFrame)  # see floor_differences

    def as_dict(self) -> dict[str, pd.DataFrame]:
        return {k: getattr(self, k) for k in ("params", "curves", "extrapolation", "heterogeneity",
                                              "heterogeneity_tests", "floors")}


def _fit_one(key, n, e, seeds, agg, cfg, reps=None) -> dict:
    base = dict(zip(KEY, key))
    out = {"params": [], "extrap": [], "curve": {**base, "n_sizes": int(np.unique(n).size),
                                                 "n_seeds": int(np.unique(seeds).size)}}
    curve = out["curve"]
    curve.update(noise_sources(n, e, seeds, reps))
    reason = ""
    if not np.all(np.isfinite(e)) or (e <= 0).any():
        reason = "non-positive or missing values"
    elif np.unique(n).size < 3 + (cfg["holdout"] if isinstance(cfg["holdout"], int) else 1):
        reason = "too few sizes"
    elif np.unique(seeds).size < 2:
        reason = "a single seed"
    curve.update(evaluable=not reason, reason=reason)
    if reason:
        curve["trend"] = "not evaluable"
        return out
    try:
        choice = choose_form(n, e, cfg["forms"], cfg["holdout"], tie_tol=cfg["tie_tol"], e_upper=cfg["e_upper"])
        for row in choice.table.to_dict("records"):
            out["extrap"].append({**base, "form": row["form"], "rmse": row["rmse"], "success": row["success"],
                                  "chosen": row["chosen"]})
        curve["chosen_form"] = choice.best
        curve["chosen_rmse"] = float(choice.table.loc[choice.table.chosen, "rmse"].iloc[0])
    except (RuntimeError, InputError) as exc:
        curve["chosen_form"], curve["chosen_rmse"] = None, float("nan")
        curve["reason"] = f"form choice failed: {exc}"
    if curve["chosen_form"] not in (None, cfg["boot_form"]):  # point estimates of the chosen form
        try:
            fit = fit_curve(n, e, curve["chosen_form"], e_upper=cfg["e_upper"])
            for p, v in fit.params.items():
                out["params"].append({**base, "form": fit.form, "parameter": p, "estimate": v,
                                      "ci_low": np.nan, "ci_high": np.nan, "success": fit.success})
        except RuntimeError:
            pass
    try:
        boot = bootstrap_fit(n, e, seeds, cfg["boot_form"], n_boot=cfg["n_boot"], rng_seed=cfg["rng_seed"],
                             interval=cfg["interval"], e_upper=cfg["e_upper"], e_replicates=reps, solver=cfg["solver"])
        for row in boot.intervals.to_dict("records"):
            out["params"].append({**base, "form": cfg["boot_form"], **row, "success": boot.fit.success})
        curve["boot_failed"] = boot.n_failed
        out["floor_samples"] = (tuple(np.unique(seeds).tolist()), boot.samples["e_inf"])
    except (InputError, RuntimeError) as exc:
        curve["reason"] = f"bootstrap failed: {exc}"
    trend = classify_trend(n, e, seeds, agg if key[1] != AGGREGATE else None, cfg["tol"], n_boot=cfg["n_boot"],
                           rng_seed=cfg["rng_seed"], interval=cfg["interval"], e_replicates=reps)
    curve.update({f"trend_{k}" if k != "label" else "trend": v for k, v in trend.as_row().items()})
    return out


def fit_all(table: pd.DataFrame, metric: str = "error", forms=DEFAULT_FORMS, n_boot: int = 200, n_jobs: int = 2, *,
            holdout=2, boot_form: str = "power_law_floor", tol: float = 0.02, tie_tol: float = 0.002,
            interval: str = "cluster_t", rng_seed: int = 0, heterogeneity: bool = True,
            e_upper: float | str | None = "auto", replicates: pd.DataFrame | None = None,
            solver: str = "batched") -> FitAllResult:
    """Fit every (model, attribute, community) curve of `metric`.

    Per curve: the form chosen by extrapolation (choose_form, `holdout` largest sizes) with its
    point estimates, seed-bootstrap intervals for `boot_form`'s parameters, and the trend
    label (classify_trend, paired with the model's aggregate curve). Per (model, attribute):
    slope_heterogeneity. Curves with non-positive values, too few sizes or one seed are kept
    as rows with evaluable=False and a reason. `e_upper` bounds M4's e0: "auto" is 1.0 for
    error rates (metric in ERROR_RATES, as Alabdulmohsin et al. bound classification error)
    and None otherwise (then e0 <= 100 x the largest observed value).
    `replicates` (columns model, scale, seed, attribute, community, replicate, value; replicate
    0..n_boot-1) are test-row resamples of `metric` (metrics.test_row_replicates): every
    bootstrap then resamples seeds and test rows together. Without them, seeds only.
    `solver` refits the bootstrap resamples ("batched" at once, or "scipy" one by one; bootstrap_fit).
    """
    forms = tuple(get_form(f).name for f in forms)
    get_form(boot_form)
    if solver not in ("batched", "scipy"):
        raise InputError(f"solver {solver!r} unknown; use 'batched' or 'scipy'")
    if e_upper == "auto":
        e_upper = 1.0 if metric in ERROR_RATES else None
    widening(2, 0.95, interval)
    frame = check_table(table, metric)
    cfg = dict(forms=forms, holdout=holdout, boot_form=boot_form, n_boot=n_boot, rng_seed=rng_seed, tol=tol,
               tie_tol=tie_tol, interval=interval, e_upper=e_upper, solver=solver)
    replicate_sets = _replicate_matrices(replicates, n_boot)
    curves_in = [(key, g.sort_values(["seed", "scale"])) for key, g in frame.groupby(KEY, sort=True)]
    reps_of = {key: _aligned(replicate_sets, key, g) for key, g in curves_in}
    aggregates = {}
    for key, g in curves_in:
        if key[1] != AGGREGATE or key[2] != AGGREGATE:
            continue
        try:
            aggregates[key[0]] = upper_half_slope(g.scale.to_numpy(float), g.value.to_numpy(float),
                                                  g.seed.to_numpy(), n_boot=n_boot, rng_seed=rng_seed,
                                                  e_replicates=reps_of[key])
        except InputError:
            aggregates[key[0]] = None
    jobs = [(key, g.scale.to_numpy(float), g.value.to_numpy(float), g.seed.to_numpy(), aggregates.get(key[0]))
            for key, g in curves_in]
    started = time.perf_counter()
    results = parallel(n_jobs, batch_size=max(1, len(jobs) // (8 * max(1, abs(n_jobs)))))(
        delayed(_fit_one)(key, n, e, s, agg, cfg, reps_of[key]) for key, n, e, s, agg in jobs)
    # named columns, so that a study in which no curve could be fitted still gives readable tables
    params = pd.DataFrame([r for res in results for r in res["params"]],
                          columns=[*KEY, "form", "parameter", "estimate", "ci_low", "ci_high", "success"])
    extrap = pd.DataFrame([r for res in results for r in res["extrap"]],
                          columns=[*KEY, "form", "rmse", "success", "chosen"])
    curves = pd.DataFrame([res["curve"] for res in results])
    het_rows, het_tests = [], []
    if heterogeneity:
        for (model, attribute), g in frame[frame.attribute != AGGREGATE].groupby(["model", "attribute"]):
            try:
                het = slope_heterogeneity(g, attribute, model=model)
            except InputError as exc:
                het_tests.append({"model": model, "attribute": attribute, "method": "not run", "note": str(exc)})
                continue
            het_tests.append({"model": model, "attribute": attribute, "method": het.method, "note": het.note,
                              "wald_stat": het.wald_stat, "wald_df": het.wald_df, "p_value": het.p_value,
                              "reference": het.reference, "excluded": ", ".join(het.excluded)})
            het_rows.append(het.communities.assign(model=model, attribute=attribute))
    het_table = (pd.concat(het_rows, ignore_index=True)[["model", "attribute", "community", "slope_diff", "ci_low",
                                                         "ci_high", "p_value", "p_holm", "differs"]]
                 if het_rows else pd.DataFrame(columns=["model", "attribute", "community", "slope_diff", "ci_low",
                                                        "ci_high", "p_value", "p_holm", "differs"]))
    floor_samples = {key: res["floor_samples"] for (key, *_), res in zip(jobs, results) if "floor_samples" in res}
    settings = {**cfg, "metric": metric, "seconds": time.perf_counter() - started, "trend_rule": TREND_RULE,
                "resampling": "seeds and test rows" if replicate_sets is not None else "seeds",
                "choice_rule": CHOICE_RULE.format(tie=tie_tol), "n_jobs": n_jobs, "floor_rule": FLOOR_RULE}
    return FitAllResult(params=params, curves=curves, extrapolation=extrap, heterogeneity=het_table,
                        heterogeneity_tests=pd.DataFrame(het_tests), settings=settings,
                        floors=floor_differences(floor_samples, interval=interval))
