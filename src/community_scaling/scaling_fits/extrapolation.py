"""Extrapolation to held-out larger sizes, and the choice of form by it (never by in-sample fit)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..io import InputError
from .fitting import FitResult, fit_curve
from .forms import DEFAULT_FORMS, _as_curve, get_form


@dataclass
class ExtrapolationResult:
    form: str
    rmse: float               # RMSE of log(pred) - log(geometric mean of observed) over held-out sizes
    errors: pd.DataFrame      # per held-out size: n, observed, predicted, log_error
    point_errors: pd.DataFrame  # per held-out point
    fit: FitResult | None
    success: bool


def _holdout_sizes(sizes: np.ndarray, holdout) -> int:
    k = int(round(holdout * sizes.size)) if isinstance(holdout, float) and 0 < holdout < 1 else int(holdout)
    if k < 1:
        raise InputError(f"holdout={holdout!r} holds out no size")
    if sizes.size - k < 3:
        raise InputError(f"holdout={holdout!r} leaves {sizes.size - k} sizes to fit (need >= 3 of {sizes.size})")
    return k


def extrapolation_error(n, e, form="power_law_floor", holdout=2, *, e_upper=None, loss="huber",
                        n_test=None, e_test=None) -> ExtrapolationResult:
    """Fit on all but the `holdout` largest sizes (an int, or a fraction of the sizes) and score
    the prediction at the held-out sizes. With `n_test`, `e_test` given, fit on all of (n, e)
    and score those instead."""
    form = get_form(form)
    n, e, _ = _as_curve(n, e)
    if n_test is None:
        sizes = np.unique(n)
        k = _holdout_sizes(sizes, holdout)
        held = n >= sizes[-k]
        n_fit, e_fit, n_out, e_out = n[~held], e[~held], n[held], e[held]
    else:
        n_fit, e_fit = n, e
        n_out, e_out, _ = _as_curve(n_test, e_test, min_sizes=1, what="test points")
    try:
        fit = fit_curve(n_fit, e_fit, form, e_upper=e_upper, loss=loss)
        pred = fit.predict(n_out)
        ok = fit.success and np.all(np.isfinite(pred)) and np.all(pred > 0)
    except RuntimeError:
        fit, pred, ok = None, np.full(n_out.shape, np.nan), False
    points = pd.DataFrame({"n": n_out, "observed": e_out, "predicted": pred})
    points["log_error"] = np.log(points.predicted) - np.log(points.observed)
    per_size = (points.assign(log_obs=np.log(points.observed)).groupby("n", as_index=False)
                .agg(log_obs=("log_obs", "mean"), predicted=("predicted", "first")))
    per_size["observed"] = np.exp(per_size.pop("log_obs"))
    per_size["log_error"] = np.log(per_size.predicted) - np.log(per_size.observed)
    rmse = float(np.sqrt(np.mean(per_size.log_error ** 2))) if ok else float("nan")
    return ExtrapolationResult(form=form.name, rmse=rmse, errors=per_size[["n", "observed", "predicted", "log_error"]],
                               point_errors=points, fit=fit, success=bool(ok))


@dataclass
class FormChoice:
    best: str
    table: pd.DataFrame  # form, n_params, rmse, success, chosen
    rule: str


CHOICE_RULE = ("lowest held-out log-RMSE when the largest sizes are held out; forms within {tie:g} of the best "
               "count as tied and the one with fewest parameters wins")


def choose_form(n, e, forms=DEFAULT_FORMS, holdout=2, *, tie_tol: float = 0.002, e_upper=None,
                loss="huber") -> FormChoice:
    """Pick a form by extrapolation to held-out larger sizes (never by in-sample fit)."""
    forms = [get_form(f) for f in forms]
    rows = []
    for form in forms:
        res = extrapolation_error(n, e, form, holdout, e_upper=e_upper, loss=loss)
        rows.append({"form": form.name, "n_params": form.n_params, "rmse": res.rmse, "success": res.success})
    table = pd.DataFrame(rows)
    ok = table[table.success & np.isfinite(table.rmse)]
    if ok.empty:
        raise RuntimeError("no form could be fitted for extrapolation")
    tied = ok[ok.rmse <= ok.rmse.min() + tie_tol]
    best = tied.sort_values("n_params", kind="stable").iloc[0]["form"]
    table["chosen"] = table.form == best
    return FormChoice(best=str(best), table=table, rule=CHOICE_RULE.format(tie=tie_tol))


def average_prediction(n, e, n_new, forms=DEFAULT_FORMS, *, e_upper=None, loss="huber") -> np.ndarray:
    """Predicted e at `n_new`: the geometric mean of every form's prediction (the mean of their logs).

    The default for extrapolating beyond the data: on the benchmark of Alabdulmohsin et al. (2022)
    it was fixed on a seeded half of the curves and beat paper_M4 on the other half
    (extrapolation_split; benchmarks/results/scaling_fits_benchmark.txt). A form whose fit fails
    raises: an average of whichever forms happened to converge would be another estimator.
    """
    n_new = np.asarray(n_new, float)
    logs = [np.log(fit_curve(n, e, f, e_upper=e_upper, loss=loss).predict(n_new)) for f in forms]
    return np.exp(np.mean(logs, axis=0))
