"""C6 (diminishing returns) and C7 (small models): losses with joint resamples, the curvature
test, the served share and reproducible cost (their calibration: test_claims_calibration.py)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from community_scaling import error_draws, ingest, study, sweep, synthetic_compute
from community_scaling.claims import c6_diminishing_returns as c6, c7_small_models as c7
from community_scaling.diminishing_returns import curvature
from community_scaling.error_draws import LossDraws
from community_scaling.io import InputError
from community_scaling.small_models import majority_excess, served_table


def test_row_losses_known_answers():
    y = np.array([0, 1, 1, 0])
    scores = np.array([[0.2, 0.7, 0.4, 0.5]])
    assert error_draws.row_losses(y, scores, "error", 0.5).tolist() == [[0, 0, 1, 1]]
    assert error_draws.row_losses(y, scores, "brier")[0] == pytest.approx([0.04, 0.09, 0.36, 0.25])
    assert error_draws.row_losses(y, scores, "log_loss")[0, 0] == pytest.approx(-np.log(0.8))
    with pytest.raises(InputError, match="loss"):
        error_draws.row_losses(y, scores, "auroc")


def test_draws_point_is_the_seed_mean_and_resamples_centre_on_it():
    rng = np.random.default_rng(0)
    units = pd.DataFrame({"axis": "rows", "model": "m", "scale": np.repeat([10, 20], 2), "capacity": np.nan,
                          "seed": [0, 1, 0, 1], "fit_operations": np.repeat([1.0, 2.0], 2)})
    losses = (rng.random((4, 500)) < np.array([0.3, 0.32, 0.2, 0.22])[:, None]).astype(np.float32)
    members = np.stack([np.ones(500), np.arange(500) < 100]).astype(np.float32)
    targets = pd.DataFrame({"attribute": ["all", "g"], "community": ["all", "a"], "rows": [500, 100]})
    d = error_draws.from_losses(losses, units.iloc[::-1], targets, members, np.zeros(500, np.float32), 400)
    # units given in reverse order: the panel maps each configuration to its own rows
    expected = [[losses[2:].mean(), losses[2:, :100].mean()], [losses[:2].mean(), losses[:2, :100].mean()]]
    np.testing.assert_allclose(d.point, expected, rtol=1e-6)
    assert d.boot.shape == (400, 2, 2)
    np.testing.assert_allclose(d.boot.mean(axis=0), d.point, atol=0.01)
    # the small community is noisier than everyone, as it must be
    assert d.boot[:, 0, 1].std() > 1.5 * d.boot[:, 0, 0].std()
    with pytest.raises(InputError, match="every seed"):
        error_draws.configurations(units.iloc[:3])


def test_curvature_known_answers():
    t = np.arange(8.0)
    assert curvature(t, np.exp(1 - 0.2 * t)) == pytest.approx(0, abs=1e-9)  # pure power law: no curvature
    assert curvature(t, np.exp(1 - 0.2 * t + 0.05 * t ** 2)) == pytest.approx(0.1)
    assert curvature(t, synthetic_compute.saturating(t)) > 0
    # on the loss itself (the papers' claim): a steady gain per doubling has none, a power law has some
    assert curvature(t, 0.3 - 0.02 * t, "linear") == pytest.approx(0, abs=1e-12)
    assert curvature(t, 0.3 - 0.02 * t + 0.05 * t ** 2, "linear") == pytest.approx(0.1)
    assert curvature(t, synthetic_compute.power_law(t), "linear") > 0
    with pytest.raises(InputError, match="scale must be one of"):
        curvature(t, t, "sqrt")


def _draws(point: np.ndarray, operations, trivial, n_boot: int = 20) -> dict[str, LossDraws]:
    """Noise-free LossDraws: every resample equals the point."""
    configs = pd.DataFrame({"axis": "rows", "model": "m", "scale": np.arange(len(operations)) + 1,
                            "capacity": np.nan, "n_seeds": 2, "fit_operations": operations})
    targets = pd.DataFrame({"attribute": ["all"] + ["g"] * (point.shape[1] - 1),
                            "community": ["all"] + [f"c{i}" for i in range(point.shape[1] - 1)]})
    trivial = np.asarray(trivial, float)
    return {"error": LossDraws(configs, targets, point, np.repeat(point[None], n_boot, 0), trivial,
                               np.repeat(trivial[None], n_boot, 0))}


def test_served_by_hand():
    # configs: small (1 op), large (100 ops); everyone chooses large as best, the small as best small
    point = np.array([[0.25, 0.20, 0.30, 0.21, 0.20],
                      [0.20, 0.20, 0.20, 0.20, 0.15]])
    trivial = [0.4, 0.3, 0.4, 0.3, 0.2]
    d = _draws(point, [1.0, 100.0], trivial)["error"]
    table, shares, majority = served_table(d.targets, d.configs, d.point, d.boot, d.trivial_point, d.trivial_boot,
                                           margin=0.1, small_share=0.1)
    # excess = (small - best) / (trivial - best): 0/0.1, 0.1/0.2, 0.01/0.1, 0.05/0.05
    assert table.excess.tolist() == pytest.approx([0.0, 0.5, 0.1, 1.0])
    assert table.served.tolist() == [True, False, True, False]
    assert majority_excess(table.excess.to_numpy()) == pytest.approx(0.5)  # rank 3 of 4
    assert shares == pytest.approx(0.5)
    with pytest.raises(InputError, match="small"):
        served_table(d.targets, d.configs, d.point, d.boot, d.trivial_point, d.trivial_boot, 0.1, 0.005)


@pytest.mark.parametrize("served, verdict", [(4, "supported"), (3, "supported"), (2, "not supported")])
def test_claim_c7_follows_the_majority(served, verdict):
    small = [0.2 if i < served else 0.3 for i in range(4)]
    point = np.array([[0.25, *small], [0.2, 0.2, 0.2, 0.2, 0.2]])
    claim = c7.evaluate(_draws(point, [1.0, 100.0], [0.4] * 5))
    assert claim.verdict == verdict


def test_claim_c6_on_known_curves():
    saturating = c6.evaluate(synthetic_compute.compute_curves(np.random.default_rng(1), synthetic_compute.saturating,
                                                              synthetic_compute.saturating))
    assert saturating.verdict == "supported" and saturating.effect > 0
    # error gains shrink (the claim holds), yet log error bends down: not beyond a power law on that curve
    accelerating = functools.partial(synthetic_compute.saturating, floor=-0.05)
    bends_down = c6.evaluate(synthetic_compute.compute_curves(np.random.default_rng(1), accelerating,
                                                              synthetic_compute.saturating))
    assert "faster than a power law's (2c of log error): shown on every curve" not in bends_down.details
    steady = c6.evaluate(synthetic_compute.compute_curves(np.random.default_rng(1), synthetic_compute.constant_gain,
                                                          synthetic_compute.constant_gain))
    assert steady.verdict != "supported"
    # a pure power law: each equal gain costs more compute (supported), yet it does not bend beyond a power law
    power = c6.evaluate(synthetic_compute.compute_curves(np.random.default_rng(1), synthetic_compute.power_law,
                                                         synthetic_compute.power_law))
    assert power.verdict == "supported" and "faster than a power law's (2c of log error): shown not to" in power.details \
        or "faster than a power law's (2c of log error): not shown either way" in power.details, power.details
    short = c6.evaluate(synthetic_compute.compute_curves(np.random.default_rng(1), synthetic_compute.power_law,
                                                         synthetic_compute.power_law), skip_smallest=3)
    assert short.verdict == "not applicable" and "at least 4" in short.rule


def test_specs_declare_settings_and_grids():
    s = study.load("smoke")
    for module in (c6, c7):
        assert module.SPEC.grid and set(module.SPEC.grid) <= set(module.SPEC.arguments(s))


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("processed")
    prepared = ingest.prepare(study.load("smoke"))
    prepared.train, prepared.test = prepared.train.iloc[:1200], prepared.test.iloc[:1500]
    ingest.write_processed(prepared, folder, {})
    return folder


def test_two_clean_runs_give_identical_cost_and_c7(processed, tmp_path):
    """Fit operations are counted, not timed: two clean sweeps give identical costs and verdicts."""
    models = {"logistic_regression": {}, "gradient_boosting": {"max_iter": 8}}
    units = sweep.plan_units(models, [150, 300, 600, 1200], 2)
    units += sweep.plan_capacity_units(models, {"gradient_boosting": {"max_iter": [2, 4, 8]}}, [1200], 2)
    test, meta = ingest.read_processed(processed)
    evaluable = {"sex": ["Female", "Male"]}
    verdicts, operations = [], []
    for run in ("a", "b"):
        table = sweep.run_sweep(units, processed, tmp_path / run, "sequential")
        table = table.assign(axis=np.where(table.capacity_parameter.notna(), "capacity", "rows"))
        scores = sweep.load_scores(table, tmp_path / run)
        draws = {"error": error_draws.loss_draws(test["y"].to_numpy(), scores, table, test[meta["attributes"]],
                                                 evaluable, 0.1, n_boot=50)}
        claim = c7.evaluate(draws)
        verdicts.append((claim.verdict, claim.effect, claim.ci_low, claim.ci_high))
        operations.append(table.fit_operations.to_numpy())
    assert verdicts[0] == verdicts[1]
    np.testing.assert_array_equal(operations[0], operations[1])
    gb = table[(table.model == "gradient_boosting") & ~table.degenerate]
    # early stopping is off: every boosting unit runs the rounds it was given
    assert (gb.iterations == gb.capacity.fillna(8)).all()


def test_capacity_units_vary_one_hyperparameter():
    units = sweep.plan_capacity_units({"gradient_boosting": {"max_leaf_nodes": 15}},
                                      {"gradient_boosting": {"max_iter": [10, 20, 40]}}, [500, 1000], 2)
    assert len(units) == 3 * 2 * 2 and {u.capacity for u in units} == {"max_iter"}
    assert all(u.params["max_leaf_nodes"] == 15 for u in units)
    assert len({u.key("d", "c") for u in units}) == len(units)
    with pytest.raises(InputError, match="not in sweep.models"):
        sweep.plan_capacity_units({}, {"gradient_boosting": {"max_iter": [1, 2, 3]}}, [10], 1)


def test_study_rejects_bad_capacity():
    base = {"sweep": {"capacity": {"gradient_boosting": {"max_iter": [10, 20]}}}}
    with pytest.raises(InputError, match="at least 3"):
        study.validate(base, "x", study.paths.PARAMS_DIR / "x.yaml")
    with pytest.raises(InputError, match="not in sweep.models"):
        study.validate({"sweep": {"models": {"logistic_regression": {}},
                                  "capacity": {"gradient_boosting": {"max_iter": [1, 2, 3]}}}}, "x",
                       study.paths.PARAMS_DIR / "x.yaml")

