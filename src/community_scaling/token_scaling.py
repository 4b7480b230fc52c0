"""Statistics on a grid of model sizes x training checkpoints (Pythia): the tokens axis beside parameters.

The grid's evaluations table is the standard one (llm_results.standard_tables) with columns step and
training_tokens per row. Two views of it let model_size's slope machinery run unchanged:

- along tokens: each model size is a curve over its checkpoints (model = the size, scale = training tokens);
- along parameters: each checkpoint step of a family line is a curve over sizes (model = line + step,
  scale = parameters).

Caveat (the mirror's README): the checkpoints of one run share one learning-rate schedule (warm-up,
then cosine decay over 143,000 steps), so an early checkpoint is not a model trained to completion on
that many tokens; slopes along tokens describe one run's progress, not separate runs (the Chinchilla
design). Values at successive checkpoints are scored on the same items, so their item noise is
positively correlated; the slopes treat it as independent and scale their standard errors up by the
scatter between checkpoints, never down.

A two-variable law of the Chinchilla form, badness = E + A (N / 1e9)^-alpha + B (D / 1e10)^-beta, is fitted
per community (weighted by 1 / stderr^2) and reported only where the data identify it: both exponents'
intervals exclude 0 and neither sits at a bound (MMLU at chance is the case where they do not).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import optimize, stats

from . import model_size
from .io import InputError, require_columns

GRID_COLUMNS = ["model", "size_name", "scale", "step", "training_tokens", "attribute", "community", "metric",
                "value", "stderr", "badness"]
TOKENS, PARAMETERS = "training tokens", "parameters"


def checkpoint(size_name: pd.Series, step: pd.Series) -> pd.Series:
    """The label of one checkpoint: '<model> step <S>'."""
    return size_name + " step " + step.astype(int).astype(str)


def trained(evaluations: pd.DataFrame, min_step: int) -> pd.DataFrame:
    """The rows of checkpoints at or after `min_step` (>= 1: step 0 is the untrained initialisation)."""
    require_columns(evaluations, GRID_COLUMNS, "grid evaluations")
    if isinstance(min_step, bool) or not isinstance(min_step, (int, np.integer)) or min_step < 1:
        raise InputError(f"min_step must be an integer >= 1 (step 0 is untrained), got {min_step!r}")
    kept = evaluations[evaluations.step >= min_step]
    if kept.empty:
        raise InputError(f"no checkpoint at or after step {min_step}; steps: {sorted(evaluations.step.unique())}")
    return kept.reset_index(drop=True)


def along_tokens(evaluations: pd.DataFrame) -> pd.DataFrame:
    """Each model size as a curve over its checkpoints, with aggregates per size (model_size.with_aggregates)."""
    view = evaluations.drop(columns=["derived"], errors="ignore").assign(
        model=evaluations.size_name, size_name=checkpoint(evaluations.size_name, evaluations.step),
        parameters=evaluations.scale, scale=evaluations.training_tokens)
    return model_size.with_aggregates(view)


def along_parameters(evaluations: pd.DataFrame) -> pd.DataFrame:
    """Each checkpoint step of a family line as a curve over sizes, with aggregates per curve."""
    view = evaluations.drop(columns=["derived"], errors="ignore").assign(
        model=evaluations.model + " step " + evaluations.step.astype(int).astype(str),
        size_name=checkpoint(evaluations.size_name, evaluations.step))
    return model_size.with_aggregates(view)


def lag_tables(evaluations: pd.DataFrame, min_sizes: int = 4, margin: float = 0.01) -> pd.DataFrame:
    """model_size.lag_table along both axes, stacked (column axis): per community, the slope per tenfold of
    training tokens (within each size), and per tenfold of parameters (at each step), of its badness minus
    its aggregate's."""
    parts = [model_size.lag_table(view(evaluations), min_sizes, margin).assign(axis=axis)
             for axis, view in ((TOKENS, along_tokens), (PARAMETERS, along_parameters))]
    return pd.concat(parts, ignore_index=True)


C3_TEST = ("slope per tenfold of training tokens (each model size over its checkpoints) and per tenfold of "
           "parameters (each checkpoint over sizes) of each community's badness minus its aggregate's (weighted by "
           "published standard errors), one-sided, Holm across all communities of both axes")


def evaluate_c3(lags: pd.DataFrame, threshold: float = 0.05, margin: float = 0.01):
    """C3 on both axes at once: the model-size rule of claims.c3 applied to the stacked lag tables, so Holm's
    correction runs over every (curve, community) of both axes and one family-wise level holds for both."""
    from .claims import c3_communities_left_behind as c3

    labelled = lags.assign(model=lags.model + " (" + lags.axis + ")") if len(lags) else lags
    claim = c3.evaluate_lag_share(labelled, threshold, margin)
    if claim.verdict == "not applicable":
        return claim
    per_axis = "; ".join(
        f"along {axis}: {int((part.reason == '').sum())} community curves" for axis, part in lags.groupby("axis"))
    return dataclasses.replace(
        claim, test=C3_TEST, effect_name=("share of community curves (both axes) gaining less per tenfold than "
                                          "their aggregate"),
        rule=claim.rule.replace("per tenfold of parameters", "per tenfold of training tokens or of parameters"),
        details=f"{per_axis}. {claim.details}")


def whole_model_pairs(slopes: pd.DataFrame) -> pd.DataFrame:
    """The C4 view with the grid's new contrast: model_size.metric_pairs (a CrowS-Pairs category in English
    and French), and each model's whole-model measures together (every general benchmark's accuracy, MMLU's
    mean over subjects and each language's stereotype share) as one pair 'model' = all, so accuracy is set
    against stereotype share along the same axis."""
    whole = slopes[(slopes.reason == "") & (slopes.community == model_size.AGGREGATE)].copy()
    whole["metric"] = whole.attribute + " " + whole.metric
    whole = whole.assign(attribute="whole model")
    counts = whole.groupby("model").metric.transform("nunique")
    return pd.concat([model_size.metric_pairs(slopes), whole[counts >= 2]], ignore_index=True)


CHECKPOINTS = "checkpoints"


def loss_draws(evaluations: pd.DataFrame, compute: pd.DataFrame, n_draws: int, seed: int = 0):
    """model_size.loss_draws of accuracy (loss: error) with a configuration per checkpoint, its compute 6 x
    parameters x the checkpoint's tokens: C6's curves are each model size along its checkpoints (axis
    'checkpoints', scale = training tokens), and C7 chooses among all checkpoints of the grid."""
    view = along_tokens(evaluations)
    per_checkpoint = compute.assign(size_name=checkpoint(compute.size_name, compute.step))
    draws = model_size.loss_draws(view, per_checkpoint, "accuracy", n_draws, seed)
    draws.configs["axis"] = CHECKPOINTS
    return draws


# ----------------------------------------------------------- the two-variable law (Chinchilla form)

N_REF, D_REF = 1e9, 1e10
FIT_COLUMNS = ["model", "attribute", "community", "metric", "points", "E", "A", "alpha", "B", "beta", "alpha_low",
               "alpha_high", "beta_low", "beta_high", "dispersion", "identified", "reason"]
EXPONENT_BOUND = 3.0


def _model(theta, log_n, log_d):
    e, log_a, alpha, log_b, beta = theta
    return e + np.exp(log_a - alpha * log_n) + np.exp(log_b - beta * log_d)


def fit_two_variable(parameters, tokens, badness, stderr, level: float = 0.95) -> dict:
    """Weighted least-squares fit of badness = E + A (N/1e9)^-alpha + B (D/1e10)^-beta with intervals of the
    exponents from the Jacobian (covariance scaled by the residual dispersion when it exceeds 1).

    Identified when the fit converged, both exponents lie inside (0, EXPONENT_BOUND) away from the bounds, and
    both exponents' intervals exclude 0; otherwise `reason` says what is missing."""
    n, d, y, se = (np.asarray(v, float) for v in (parameters, tokens, badness, stderr))
    ok = np.isfinite(y) & np.isfinite(se) & (se > 0) & (n > 0) & (d > 0)
    n, d, y, se = n[ok], d[ok], y[ok], se[ok]
    row = dict(points=len(y), E=np.nan, A=np.nan, alpha=np.nan, B=np.nan, beta=np.nan, alpha_low=np.nan,
               alpha_high=np.nan, beta_low=np.nan, beta_high=np.nan, dispersion=np.nan, identified=False, reason="")
    if len(y) < 8 or np.unique(n).size < 3 or np.unique(d).size < 3:
        row["reason"] = f"{len(y)} points over {np.unique(n).size} sizes and {np.unique(d).size} token counts"
        return row
    log_n, log_d = np.log(n / N_REF), np.log(d / D_REF)
    spread = max(float(y.max() - y.min()), 1e-6)
    lo = [min(0.0, float(y.min())) - spread, np.log(spread) - 12, 0.0, np.log(spread) - 12, 0.0]
    hi = [float(y.max()), np.log(spread) + 12, EXPONENT_BOUND, np.log(spread) + 12, EXPONENT_BOUND]
    best = None
    for alpha0 in (0.1, 0.5):
        for beta0 in (0.1, 0.5):
            start = np.clip([float(y.min()) - 0.1 * spread, np.log(spread / 2), alpha0, np.log(spread / 2), beta0],
                            np.add(lo, 1e-9), np.subtract(hi, 1e-9))
            fit = optimize.least_squares(lambda t: (_model(t, log_n, log_d) - y) / se, start, bounds=(lo, hi),
                                         x_scale="jac", xtol=1e-10, ftol=1e-10, max_nfev=2000)
            if best is None or fit.cost < best.cost:
                best = fit
    theta = best.x
    df = len(y) - 5
    dispersion = max(2 * best.cost / df, 1.0)
    try:
        cov = np.linalg.pinv(best.jac.T @ best.jac) * dispersion
    except np.linalg.LinAlgError:
        cov = np.full((5, 5), np.nan)
    half = stats.t.ppf(0.5 + level / 2, df) * np.sqrt(np.clip(np.diag(cov), 0, None))
    row.update(E=theta[0], A=np.exp(theta[1]), alpha=theta[2], B=np.exp(theta[3]), beta=theta[4],
               alpha_low=theta[2] - half[2], alpha_high=theta[2] + half[2], beta_low=theta[4] - half[4],
               beta_high=theta[4] + half[4], dispersion=2 * best.cost / df)
    at_bound = [name for name, value in (("alpha", theta[2]), ("beta", theta[4]))
                if value < 1e-3 or value > EXPONENT_BOUND - 1e-3]
    unresolved = [name for name, low in (("alpha", row["alpha_low"]), ("beta", row["beta_low"]))
                  if not np.isfinite(low) or low <= 0]
    if not best.success:
        row["reason"] = f"fit did not converge ({best.message})"
    elif at_bound:
        row["reason"] = f"exponent {', '.join(at_bound)} at a bound of [0, {EXPONENT_BOUND:g}]"
    elif unresolved:
        row["reason"] = f"the interval of {', '.join(unresolved)} includes 0"
    else:
        row["identified"] = True
    return row


def two_variable_table(evaluations: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """fit_two_variable per family line x attribute x community x metric (published rows only, not the
    aggregates), over every checkpoint in `evaluations`. Stereotype shares whose values lie on both sides of
    0.5 are listed as not identified (no direction of 'better')."""
    require_columns(evaluations, GRID_COLUMNS, "grid evaluations")
    published = evaluations[~evaluations["derived"]] if "derived" in evaluations else evaluations
    rows = []
    for key, curve in published.groupby(model_size.CURVE, sort=True):
        row = dict(zip(model_size.CURVE, key))
        if model_size._crosses_neutral(curve):
            row.update(points=len(curve), identified=False, reason=model_size.CROSSES)
        else:
            row.update(fit_two_variable(curve.scale, curve.training_tokens, curve.badness, curve.stderr, level))
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=FIT_COLUMNS)
