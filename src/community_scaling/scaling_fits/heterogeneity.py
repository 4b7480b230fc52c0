"""Do communities' log-log slopes differ? A mixed model with a random intercept per seed, Holm-corrected."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..io import InputError, require_columns
from .table import AGGREGATE
from .trends import upper_sizes


@dataclass
class HeterogeneityResult:
    method: str              # "mixedlm" or "ols_cluster"
    note: str
    wald_stat: float
    wald_df: int
    p_value: float
    reference: str
    communities: pd.DataFrame  # community, slope_diff, ci_low, ci_high, p_value, p_holm, differs
    excluded: list


def _curve_frame(table: pd.DataFrame, attribute: str, model, metric) -> pd.DataFrame:
    require_columns(table, ("model", "scale", "seed", "attribute", "community", "value"), "evaluation table")
    frame = table[(table["attribute"] == attribute) & (table["community"] != AGGREGATE)]
    if metric is not None:
        if "metric" not in frame or not (frame["metric"] == metric).any():
            raise InputError(f"metric {metric!r} not found for attribute {attribute!r}")
        frame = frame[frame["metric"] == metric]
    elif "metric" in frame and frame["metric"].nunique() > 1:
        raise InputError(f"several metrics {sorted(frame['metric'].unique())}; pass metric=")
    if frame.empty:
        raise InputError(f"attribute {attribute!r} has no community rows")
    models = frame["model"].unique()
    if model is None and len(models) > 1:
        raise InputError(f"several models {sorted(models)}; pass model=")
    if model is not None:
        frame = frame[frame["model"] == model]
        if frame.empty:
            raise InputError(f"model {model!r} has no rows for attribute {attribute!r}")
    return frame


def slope_heterogeneity(table: pd.DataFrame, attribute: str, *, model=None, metric=None,
                        reference: str = "weighted_mean", upper_half: bool = False,
                        alpha: float = 0.05) -> HeterogeneityResult:
    """Do communities' log-log slopes differ?

    Mixed model log_value ~ log_n * C(community) with a random intercept per seed (statsmodels
    mixedlm, REML); Wald test that every interaction is zero (all slopes equal). Each community's
    slope is compared with `reference`: "weighted_mean" (default) = the n_eval-weighted mean of
    the communities' slopes, which is what the aggregate's slope is to first order, so every
    community is tested; or a community name (treatment contrast, that community untested).
    95% Wald CIs, Holm-corrected p-values; a community "differs" (does not follow the
    aggregate) only when its Holm p < alpha. If mixedlm does not converge, OLS with seed fixed
    effects and errors clustered by (community, seed) curve is used instead -- 5 seed clusters
    cannot support a Wald test of ~60 constraints -- and `method`/`note` say so.
    Communities with non-positive or missing values are left out and listed in `excluded`.
    """
    import statsmodels.formula.api as smf
    from statsmodels.stats.multitest import multipletests

    frame = _curve_frame(table, attribute, model, metric)
    bad = frame.groupby("community", observed=True)["value"].apply(lambda v: bool((v <= 0).any() or v.isna().any()))
    excluded = sorted(bad[bad].index.astype(str))
    frame = frame[~frame["community"].isin(excluded)]
    if (frame["scale"] <= 0).any():
        raise InputError("scale has non-positive values")
    if upper_half:
        frame = frame[frame["scale"].isin(upper_sizes(frame["scale"]))]
    communities = sorted(frame["community"].astype(str).unique())
    if len(communities) < 2:
        raise InputError(f"attribute {attribute!r}: fewer than 2 evaluable communities ({communities})")
    if frame["seed"].nunique() < 2:
        raise InputError(f"attribute {attribute!r}: a single seed; the seed random intercept needs at least 2")
    if reference != "weighted_mean" and reference not in communities:
        raise InputError(f"reference {reference!r} is neither 'weighted_mean' nor one of {communities[:10]}")
    first = communities[0] if reference == "weighted_mean" else reference
    order = [first] + [c for c in communities if c != first]
    code = {c: f"k{i:04d}" for i, c in enumerate(order)}
    data = pd.DataFrame({"log_value": np.log(frame["value"].to_numpy(float)),
                         "log_n": np.log(frame["scale"].to_numpy(float)),
                         "community": frame["community"].astype(str).map(code).to_numpy(),
                         "seed": frame["seed"].astype(str).to_numpy()})
    data["log_n"] -= data["log_n"].mean()  # centred: intercepts at the mean log n
    rhs = "log_n * C(community, Treatment(reference='k0000'))"
    method = "mixedlm"
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Powell first: the default BFGS often stalls when the seed variance is near 0
            res = smf.mixedlm(f"log_value ~ {rhs}", data, groups=data["seed"]).fit(reml=True,
                                                                                 method=["powell", "lbfgs"])
        if not res.converged or not np.all(np.isfinite(res.bse_fe)):
            raise RuntimeError("not converged, or singular covariance of the fixed effects")
        params = res.fe_params
        cov = res.cov_params().loc[params.index, params.index]
        boundary = any("boundary" in str(w.message) for w in caught)
        note = "random intercept per seed (REML)" + ("; seed variance at the boundary (0)" if boundary else "")
    except Exception as exc:  # statsmodels raises assorted errors on singular or non-convergent fits
        method = "ols_cluster"
        note = (f"mixedlm failed ({type(exc).__name__}: {exc}); OLS with seed fixed effects and errors "
                "clustered by (community, seed) curve")
        clusters = pd.factorize(data["community"] + "|" + data["seed"])[0]
        res = smf.ols(f"log_value ~ {rhs} + C(seed)", data).fit(cov_type="cluster", cov_kwds={"groups": clusters})
        params, cov = res.params, res.cov_params()
    inter = [k for k in params.index if k.startswith("log_n:")]
    b, v = params[inter].to_numpy(), cov.loc[inter, inter].to_numpy()
    wald = float(b @ np.linalg.pinv(v) @ b)
    p_all = float(stats.chi2.sf(wald, len(inter)))
    back = {v_: k for k, v_ in code.items()}
    names = [first] + [back[k.split("[T.")[1].rstrip("]")] for k in inter]  # slope_j = slope_first + b_j
    contrast = np.vstack([np.zeros(len(inter)), np.eye(len(inter))])  # rows: communities in `names`
    if reference == "weighted_mean":
        if "n_eval" in frame:
            size = frame.groupby("community", observed=True)["n_eval"].max()
            weight = size.reindex(names).to_numpy(float)
        else:
            weight = np.ones(len(names))
        contrast = contrast - (weight / weight.sum()) @ contrast
        tested = names
    else:
        contrast, tested = contrast[1:], names[1:]
    est = contrast @ b
    se = np.sqrt(np.einsum("ij,jk,ik->i", contrast, v, contrast))
    z = stats.norm.ppf(0.975)
    p = 2 * stats.norm.sf(np.abs(est / se))
    reject, p_holm, _, _ = multipletests(p, alpha=alpha, method="holm")
    per = pd.DataFrame({"community": tested, "slope_diff": est, "ci_low": est - z * se, "ci_high": est + z * se,
                        "p_value": p, "p_holm": p_holm, "differs": reject})
    return HeterogeneityResult(method=method, note=note, wald_stat=wald, wald_df=len(inter), p_value=p_all,
                               reference=reference, communities=per, excluded=excluded)
