"""Scaling-law fits: known answers, interval coverage, trend labels, form choice,
heterogeneity, Rolf et al.'s model, fit_all and the claims, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from community_scaling import scaling_fits as sf
from community_scaling.claims import Claim, c1_aggregate_power_law as c1, c3_communities_left_behind as c3
from community_scaling.io import InputError

SIZES = np.unique(np.round(np.geomspace(128, 150_000, 12)))
TRUTH = {
    "power_law_floor": {"e_inf": 0.08, "b": 3.0, "c": 0.45},
    "m4": {"e_inf": 0.05, "beta": 20.0, "c": 0.6, "alpha": 1.5, "e0": 0.9},
    "broken_power_law": {"e_inf": 0.05, "b": 2.0, "c0": 0.2, "c1": 0.5, "d": 3000.0, "f": 0.5},
}


def clean(form, seeds=5):
    e = sf.true_curve(form, TRUTH[form], SIZES)
    return np.tile(SIZES, seeds), np.tile(e, seeds), np.repeat(np.arange(seeds), SIZES.size)


@pytest.mark.parametrize("form", sorted(TRUTH))
def test_noise_free_fit_recovers_parameters_within_2_percent(form):
    n, e, _ = clean(form)
    fit = sf.fit_curve(n, e, form)
    assert fit.success
    for name, value in TRUTH[form].items():
        assert fit.params[name] == pytest.approx(value, rel=0.02), name
    assert np.allclose(fit.predict(SIZES), e[:SIZES.size], rtol=1e-6)


@pytest.mark.parametrize("form", sorted(TRUTH))
def test_noisy_fit_intervals_contain_the_truth(form):
    data = sf.simulate_curve(form, TRUTH[form], SIZES, n_seeds=5, noise_sd=0.05, rng=1)
    boot = sf.bootstrap_fit(data.n, data.e, data.seed, form, n_boot=100, rng_seed=1)
    table = boot.intervals.set_index("parameter")
    for name, value in TRUTH[form].items():
        assert table.loc[name, "ci_low"] <= value <= table.loc[name, "ci_high"], name
        assert table.loc[name, "ci_low"] <= table.loc[name, "estimate"] <= table.loc[name, "ci_high"], name
    truth = sf.true_curve(form, TRUTH[form], boot.predictions.n)
    assert ((boot.predictions.ci_low <= truth) & (truth <= boot.predictions.ci_high)).all()


def test_m4_prediction_solves_its_equation():
    p = TRUTH["m4"]
    n = np.array([150.0, 5e3, 1e7])
    for grid in (n, n[:1]):  # a single point takes another scipy code path
        e = sf.true_curve("m4", p, grid)
        lhs = (e - p["e_inf"]) / (p["e0"] - e) ** p["alpha"]
        assert np.allclose(lhs, p["beta"] * grid ** -p["c"], rtol=1e-10)
        assert np.all((p["e_inf"] < e) & (e < p["e0"]))


def test_seed_bootstrap_interval_of_the_exponent_covers_nominally():
    # cheap version of benchmarks/scaling_fits_benchmark.py (200 replications there)
    result = sf.interval_coverage("power_law_floor", TRUTH["power_law_floor"], "c", n_rep=40, n_boot=100,
                                  noise_sd=0.05, rng_seed=7, n_jobs=2)
    assert result["n_used"] == 40
    assert 0.80 <= result["coverage"] <= 1.0
    assert sf.widening(5) == pytest.approx(2.776 / 1.960 * np.sqrt(5 / 4), rel=1e-3)


def _curve(fn, seeds=5, sd=0.03, rng=0, shared=None):
    rng = np.random.default_rng(rng)
    n = np.tile(SIZES, seeds)
    seed = np.repeat(np.arange(seeds), SIZES.size)
    noise = rng.normal(0, sd, n.size) if shared is None else shared
    return n, fn(n) * np.exp(noise), seed


def test_trend_labels():
    agg_n, agg_e, seeds = _curve(lambda n: 2 * n ** -0.3, rng=1)
    agg = sf.upper_half_slope(agg_n, agg_e, seeds, n_boot=200, rng_seed=3)
    label = lambda fn, rng: sf.classify_trend(*_curve(fn, rng=rng), agg, tol=0.02, n_boot=200, rng_seed=3)
    assert label(lambda n: 0.2 + 0 * n, 2).label == "plateaued"
    # no demonstrable improvement, but too noisy to be shown flat: "uncertain", not "plateaued"
    noisy = sf.classify_trend(*_curve(lambda n: 0.2 + 0 * n, sd=0.5, rng=8), agg, tol=0.02, n_boot=200, rng_seed=3)
    assert noisy.label == "uncertain" and noisy.slope_ci_high - noisy.slope_ci_low > 0.04
    assert label(lambda n: 0.05 * n ** 0.1, 3).label == "worsening"
    like = label(lambda n: 3 * n ** -0.3, 4)
    assert like.label == "like aggregate" and like.paired
    assert like.diff_ci_low < 0 < like.diff_ci_high
    assert label(lambda n: 2 * n ** -0.1, 5).label == "slower"
    assert label(lambda n: 2 * n ** -0.5, 6).label == "faster"
    # without an aggregate an improving curve is only "improving"
    assert sf.classify_trend(*_curve(lambda n: 3 * n ** -0.3, rng=4)).label == "improving"


@pytest.mark.parametrize("form", sorted(TRUTH))
def test_extrapolation_picks_the_true_form_on_clean_data(form):
    n, e, _ = clean(form)
    choice = sf.choose_form(n, e, holdout=2)
    assert choice.best == form, choice.table
    res = sf.extrapolation_error(n, e, form, holdout=2)
    assert res.rmse < 1e-6 and len(res.errors) == 2 and len(res.point_errors) == 10


def test_extrapolation_uses_held_out_sizes_not_in_sample_fit():
    # the broken power law fits a plain power law's first 10 sizes perfectly too; choice must
    # come from the held-out sizes, and a curve that bends after the fitted range is mispredicted
    n, e, _ = clean("broken_power_law")
    plf = sf.extrapolation_error(n, e, "power_law_floor", holdout=2)
    assert plf.rmse > 0.01
    assert set(plf.errors.n) == set(SIZES[-2:])


def _hetero_table(planted=0.15, seeds=5, rng=0):
    rng = np.random.default_rng(rng)
    rows = []
    for k in range(8):
        slope = -0.4 + (planted if k == 3 else 0.0)
        n_eval = 100 if k == 3 else 1000
        for s in range(seeds):
            shift = rng.normal(0, 0.02)
            value = 2.0 * SIZES ** slope * np.exp(shift + rng.normal(0, 0.05, SIZES.size))
            rows.append(pd.DataFrame({"model": "m", "scale": SIZES, "seed": s, "attribute": "group",
                                      "community": f"g{k}", "metric": "error", "value": value, "n_eval": n_eval}))
    return pd.concat(rows, ignore_index=True)


def test_heterogeneity_finds_a_planted_slope_difference_and_nothing_else():
    het = sf.slope_heterogeneity(_hetero_table(), "group")
    assert het.method in ("mixedlm", "ols_cluster") and het.p_value < 1e-6
    per = het.communities.set_index("community")
    assert per.differs.tolist().count(True) == 1 and per.loc["g3", "differs"]
    assert per.loc["g3", "ci_low"] < 0.15 < per.loc["g3", "ci_high"] + 0.01
    null = sf.slope_heterogeneity(_hetero_table(planted=0.0, rng=1), "group")
    assert not null.communities.differs.any()
    vs_g0 = sf.slope_heterogeneity(_hetero_table(), "group", reference="g0").communities
    assert "g0" not in set(vs_g0.community) and vs_g0.set_index("community").loc["g3", "differs"]


def test_rolf_model_known_answer():
    truth = {"d": 0.05, "s": 1.0, "p": 0.5, "t": 2.0, "q": 0.4}
    totals = np.array([1000.0, 4000.0, 16000.0, 64000.0])
    shares = np.array([0.0, 0.01, 0.05, 0.2, 0.5])
    n = np.repeat(totals, shares.size)
    n_j = n * np.tile(shares, totals.size)
    loss = truth["d"] + truth["s"] * (n_j + 1) ** -truth["p"] + truth["t"] * n ** -truth["q"]
    fit = sf.fit_rolf(n_j, n, loss)
    for name, value in truth.items():
        assert fit.params[name] == pytest.approx(value, rel=0.02), name
    assert np.allclose(fit.predict(n_j, n), loss, rtol=1e-6)
    rng = np.random.default_rng(0)
    seeds = np.repeat(np.arange(5), n.size)
    noisy = np.tile(loss, 5) * np.exp(rng.normal(0, 0.03, seeds.size))
    boot = sf.fit_rolf(np.tile(n_j, 5), np.tile(n, 5), noisy, seeds, n_boot=60).intervals.set_index("parameter")
    for name, value in truth.items():
        assert boot.loc[name, "ci_low"] <= value <= boot.loc[name, "ci_high"], name
    with pytest.raises(InputError, match="offset=0"):
        sf.fit_rolf(n_j, n, loss, offset=0)


def test_fit_all_tables_and_claims():
    table = sf.synthetic_table(n_models=1, n_communities=5, n_seeds=4, rng_seed=2)
    table.loc[(table.community == "c04") & (table.scale == table.scale.max()) & (table.seed == 0), "value"] = 0.0
    fits = sf.fit_all(table, n_boot=40, n_jobs=1)
    assert {"model", "attribute", "community", "form", "parameter", "estimate", "ci_low", "ci_high"} <= set(fits.params)
    curves = fits.curves.set_index("community")
    assert not curves.loc["c04", "evaluable"] and curves.loc["c04", "trend"] == "not evaluable"
    assert curves.loc["c00", "chosen_form"] in sf.FORMS and np.isfinite(curves.loc["c00", "chosen_rmse"])
    assert set(fits.curves.trend) <= {"worsening", "plateaued", "uncertain", "slower", "faster", "like aggregate",
                                      "improving", "not evaluable"}
    boot_rows = fits.params[fits.params.form == "power_law_floor"]
    assert boot_rows.ci_low.notna().all() and (boot_rows.ci_low <= boot_rows.ci_high).all()
    assert fits.heterogeneity_tests.excluded.iloc[0] == "c04"
    assert set(fits.extrapolation.form) == set(sf.DEFAULT_FORMS)
    # C1 on an aggregate of 60 communities (5 make a noisy aggregate: the margin is then inconclusive)
    first = c1.evaluate(sf.synthetic_table(n_models=1, n_communities=60, n_seeds=4, rng_seed=2), doublings=3.0,
                        n_boot=40)
    third = c3.evaluate(sf.community_exponents(table, n_boot=40))
    assert isinstance(first, Claim) and first.claim == "C1" and first.verdict == "supported", first.details
    assert isinstance(third, Claim) and third.claim == "C3" and 0 <= third.ci_low <= third.effect <= third.ci_high  # a relative spread, not a share
    assert "(4 communities; 1 listed apart: not compared" in third.details  # c04 has a zero value


def test_claim_c1_is_not_supported_for_a_flat_aggregate():
    table = sf.synthetic_table(n_models=1, n_communities=2, n_seeds=4, rng_seed=3)
    aggregate = table.attribute == "all"
    rng = np.random.default_rng(0)
    table.loc[aggregate, "value"] = 0.2 * np.exp(rng.normal(0, 0.02, aggregate.sum()))
    assert c1.evaluate(table, doublings=3.0, n_boot=40).verdict != "supported"


def test_bad_input_names_the_culprit():
    n, e, seeds = clean("power_law_floor")
    with pytest.raises(InputError, match=r"n \(scale\).*> 0"):
        sf.fit_curve(np.where(n == n.max(), 0.0, n), e)
    with pytest.raises(InputError, match=r"e \(value\).*-0.1"):
        sf.fit_curve(n, np.where(n == n.min(), -0.1, e))
    with pytest.raises(InputError, match="fewer than 3 distinct sizes"):
        sf.fit_curve(n[np.isin(n, SIZES[:2])], e[np.isin(n, SIZES[:2])])
    with pytest.raises(InputError, match="single seed"):
        sf.bootstrap_fit(n, e, np.zeros_like(n))
    with pytest.raises(InputError, match="single seed"):
        sf.classify_trend(n, e, np.zeros_like(n))
    with pytest.raises(InputError, match="unknown form 'cubic'"):
        sf.fit_curve(n, e, "cubic")
    with pytest.raises(InputError, match="leaves 2 sizes"):
        sf.extrapolation_error(n[n <= SIZES[3]], e[n <= SIZES[3]], holdout=2)
    table = sf.synthetic_table(n_models=1, n_communities=2, n_seeds=2)
    with pytest.raises(InputError, match="n_eval"):
        sf.fit_all(table.drop(columns="n_eval"))
    with pytest.raises(InputError, match="'auroc'"):
        sf.fit_all(table, metric="auroc")
    with pytest.raises(InputError, match="scale"):
        sf.fit_all(table.assign(scale=table.scale - 200))
    with pytest.raises(InputError, match="single seed"):
        sf.slope_heterogeneity(table[table.seed == 0], "group")


def test_floor_differences_find_a_raised_floor_and_pair_by_draw():
    rng = np.random.default_rng(4)
    floors = {f"g{k}": 0.25 if k == 3 else 0.1 for k in range(6)}
    rows = []
    for s in range(5):
        curves = {g: (f + 2.0 * SIZES ** -0.4) * np.exp(rng.normal(0, 0.02, SIZES.size)) for g, f in floors.items()}
        curves["all"] = np.mean(list(curves.values()), axis=0)
        for g, value in curves.items():
            rows.append(pd.DataFrame({"model": "m", "scale": SIZES, "seed": s, "attribute": "all" if g == "all"
                                      else "group", "community": g, "metric": "error", "value": value, "n_eval": 500}))
    fits = sf.fit_all(pd.concat(rows, ignore_index=True), n_boot=60, n_jobs=1, heterogeneity=False)
    table = fits.floors.set_index("community")
    assert set(table.index) == set(floors)
    truth = {g: f - np.mean(list(floors.values())) for g, f in floors.items()}  # the aggregate's floor is the mean
    assert table.loc["g3", "differs"]
    for g, diff in truth.items():
        assert table.loc[g, "ci_low"] <= diff <= table.loc[g, "ci_high"], g
    assert table.p_holm.ge(table.p_value).all()
    # the same draws pair: a community compared with itself differs by exactly 0
    draws = pd.Series([0.1, 0.2, 0.3] * 5, index=pd.Index(range(15), name="draw"))
    same = sf.floor_differences({("m", "all", "all"): ((0, 1), draws), ("m", "g", "x"): ((0, 1), draws)})
    assert same.floor_diff.iloc[0] == 0 and not same.differs.iloc[0]
    # different seed sets cannot be paired and are not compared
    assert sf.floor_differences({("m", "all", "all"): ((0, 1), draws), ("m", "g", "x"): ((0, 2), draws)}).empty


def test_test_row_replicates_widen_intervals_where_they_are_the_larger_noise():
    # seeds agree almost exactly; the test rows carry the noise (a shift shared by a replicate's
    # points, as when one test set scores every unit): seed-only intervals are too narrow
    rng = np.random.default_rng(5)
    truth = TRUTH["power_law_floor"]
    rows, reps = [], []
    n_boot = 60
    shift = rng.normal(0, 0.05, n_boot)
    for attribute, community in (("all", "all"), ("group", "g")):
        for s in range(4):
            value = sf.true_curve("power_law_floor", truth, SIZES) * np.exp(rng.normal(0, 0.002, SIZES.size))
            rows.append(pd.DataFrame({"model": "m", "scale": SIZES, "seed": s, "attribute": attribute,
                                      "community": community, "metric": "error", "value": value, "n_eval": 300}))
            for b in range(n_boot):
                reps.append(pd.DataFrame({"model": "m", "scale": SIZES, "seed": s, "attribute": attribute,
                                          "community": community, "replicate": b,
                                          "value": value * np.exp(shift[b] + rng.normal(0, 0.005, SIZES.size))}))
    table, replicates = pd.concat(rows, ignore_index=True), pd.concat(reps, ignore_index=True)
    seeds_only = sf.fit_all(table, n_boot=n_boot, n_jobs=1, heterogeneity=False)
    both = sf.fit_all(table, n_boot=n_boot, n_jobs=1, heterogeneity=False, replicates=replicates)
    assert both.settings["resampling"] == "seeds and test rows" and seeds_only.settings["resampling"] == "seeds"
    curve = both.curves.set_index("community").loc["g"]
    assert (seeds_only.curves.larger_noise == "not measured").all()
    assert curve.larger_noise == "test rows" and curve.test_row_noise_sd > 5 * curve.seed_noise_sd
    width = lambda fits: (lambda r: float(r.ci_high - r.ci_low))(
        fits.params.query("community == 'g' and parameter == 'b' and form == 'power_law_floor'").iloc[0])
    assert width(both) > 3 * width(seeds_only)
    with pytest.raises(InputError, match="numbered 0..59"):
        sf.fit_all(table, n_boot=n_boot, n_jobs=1, replicates=replicates[replicates.replicate < 10])
