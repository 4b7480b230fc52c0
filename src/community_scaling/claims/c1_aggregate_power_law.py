"""C1: Aggregate error falls as a power law of training-set size."""

from __future__ import annotations

import pandas as pd

from ..scaling_fits import AGGREGATE, FitAllResult
from ._record import Claim
from ._spec import ClaimSpec

C1_C_MIN = 0.01

SPEC = ClaimSpec("C1", "Aggregate error falls as a power law of training-set size.", needs=('evaluations',),
                 settings={'rmse_tol': 'fits.extrapolation_tolerance'})


def evaluate(fits: FitAllResult, rmse_tol: float = 0.1, c_min: float = C1_C_MIN) -> Claim:
    """C1 from the aggregate curves (attribute = community = 'all'), one per model."""
    form = fits.settings["boot_form"]
    agg_p = fits.params[(fits.params.attribute == AGGREGATE) & (fits.params.community == AGGREGATE)
                        & (fits.params.form == form)]
    exp_rows = agg_p[agg_p.parameter == "c"].set_index("model")
    ext = fits.extrapolation
    agg_e = ext[(ext.attribute == AGGREGATE) & (ext.community == AGGREGATE) & (ext.form == form)].set_index("model")
    rule = (f"{form} fitted to each model's aggregate curve: supported when for every model the exponent c's "
            f"95% seed-bootstrap interval lies above {c_min:g} AND the {form} fit on all but the "
            f"{fits.settings['holdout']} largest sizes predicts them with log-RMSE < {rmse_tol:g}; not supported "
            f"when for some model the interval lies at or below {c_min:g} or that log-RMSE is >= {rmse_tol:g}; "
            "inconclusive otherwise")
    if exp_rows.empty:
        return Claim("C1", test="power law with floor, aggregate curves", effect_name="exponent c", effect=None,
                     ci_low=None, ci_high=None, verdict="inconclusive", rule=rule, details="no aggregate fit")
    weakest = exp_rows.ci_low.idxmin()
    rmse = agg_e.rmse.reindex(exp_rows.index)
    if (exp_rows.ci_low > c_min).all() and (rmse < rmse_tol).all():
        verdict = "supported"
    elif (exp_rows.ci_high <= c_min).any() or (rmse >= rmse_tol).any():
        verdict = "not supported"
    else:
        verdict = "inconclusive"
    details = "; ".join(f"{m}: c = {r.estimate:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}], extrapolation log-RMSE "
                        f"{rmse[m]:.3f}" for m, r in exp_rows.iterrows())
    return Claim(claim="C1", test=f"robust {form} fit on log error, seed-bootstrap interval "
                                  f"({fits.settings['interval']}), extrapolation to held-out largest sizes",
                 effect_name="aggregate power-law exponent c (model with the lowest interval)",
                 effect=exp_rows.loc[weakest, "estimate"], ci_low=exp_rows.loc[weakest, "ci_low"],
                 ci_high=exp_rows.loc[weakest, "ci_high"], verdict=verdict, rule=rule, details=details)
