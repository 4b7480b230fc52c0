"""The LCDB study: its reader against the package's raw files, bad input, and the per-curve
statistics and rules on generated tables with known answers, with null calibrations."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pandas as pd
import pytest

from community_scaling import curve_statistics as cs
from community_scaling import lcdb_curves
from community_scaling.claims import (c1_aggregate_power_law as c1, c4_metric_dependence as c4,
                                      c6_diminishing_returns as c6, c7_small_models as c7)
from community_scaling.io import InputError

# Read by eye from the files of lcdb 0.1.0 (sdist sha256 450ea69b...77ae), line 2 of
# lcdb/database-accuracy.csv and of lcdb/database-logloss.csv, and the row of openmlid 3 in
# lcdb/datasets.csv. Each test first checks the raw file still says so (csv module, no parser of ours).
ACCURACY_LINE_2 = ["44", "SVC_linear", "16", "461", "0", "0", "0.0024", "0.875", "0.7440000000000001", "0.7072"]
LOGLOSS_LINE_2_TEST = "10.1144"  # score_test of the same run
KR_VS_KP = {"openmlid": "3", "Name": "kr-vs-kp", "NumberOfInstances": "3196", "MajorityClassSize": "1669.0",
            "NumberOfClasses": "2"}


@pytest.fixture(scope="module")
def files():
    return lcdb_curves.package_files()


def _raw_lines(path, k):
    with open(path, newline="") as handle:
        return list(itertools.islice(csv.reader(handle), k))


def _head_copy(path, target, lines=2000):
    with open(path) as source, open(target, "w") as out:
        out.writelines(itertools.islice(source, lines))
    return target


def test_known_values_of_the_raw_files_and_the_reader(files, tmp_path):
    header, line2 = _raw_lines(files["accuracy"], 2)
    assert header == list(lcdb_curves.COLUMNS[:7]) + ["score_train", "score_valid", "score_test"]
    assert line2 == ACCURACY_LINE_2
    assert _raw_lines(files["logloss"], 2)[1][:7] == ACCURACY_LINE_2[:7]
    assert _raw_lines(files["logloss"], 2)[1][9] == LOGLOSS_LINE_2_TEST
    error = lcdb_curves.read_metric(_head_copy(files["accuracy"], tmp_path / "a.csv"), "error")
    loss = lcdb_curves.read_metric(_head_copy(files["logloss"], tmp_path / "l.csv"), "log_loss")
    first = error.iloc[0]
    assert (first.dataset, first.learner, first.train_size, first.test_size, first.outer_seed, first.inner_seed) == \
        (44, "SVC_linear", 16, 461, 0, 0)
    assert first.fit_time == pytest.approx(0.0024, abs=1e-7)
    assert first.value == pytest.approx(1 - 0.7072, abs=1e-6)
    assert loss.iloc[0].value == pytest.approx(10.1144, abs=1e-5)
    # hard predictions: LinearSVC's log-loss is the clipped 0/1 one, 34.539 x error
    assert loss.iloc[0].value == pytest.approx(lcdb_curves.HARD_LOG_LOSS * (1 - 0.7072), abs=0.01)
    assert len(error) == 1999 and set(error.metric) == {"error"}


def test_known_values_of_the_datasets_file(files):
    with open(files["datasets"], newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["openmlid"] == "3")
    assert {k: row[k] for k in KR_VS_KP} == KR_VS_KP
    sheet = lcdb_curves.read_datasets(files["datasets"])
    kr = sheet.set_index("dataset").loc[3]
    assert kr["name"] == "kr-vs-kp" and kr.instances == 3196 and kr.classes == 2
    assert kr.trivial_error == pytest.approx(1 - 1669 / 3196)


@pytest.mark.slow
def test_the_whole_accuracy_file_is_read(files):
    with open(files["accuracy"]) as handle:
        lines = sum(1 for _ in handle) - 1
    table = lcdb_curves.read_metric(files["accuracy"], "error")
    assert len(table) == lines  # no row dropped: the file has no missing score or time
    assert table.dataset.nunique() == 248 and table.learner.nunique() == 20


def test_missing_column_is_named(files, tmp_path):
    bad = tmp_path / "bad.csv"
    rows = _raw_lines(files["accuracy"], 3)
    keep = [i for i, c in enumerate(rows[0]) if c != "traintime"]
    bad.write_text("\n".join(",".join(r[i] for i in keep) for r in rows) + "\n")
    with pytest.raises(InputError, match=r"\['traintime'\] missing"):
        lcdb_curves.read_metric(bad, "error")
    sheet = tmp_path / "datasets.csv"
    sheet.write_text("openmlid,Name,NumberOfInstances,NumberOfClasses\n3,kr-vs-kp,3196,2\n")
    with pytest.raises(InputError, match="MajorityClassSize"):
        lcdb_curves.read_datasets(sheet)
    with pytest.raises(InputError, match="unknown LCDB metric 'brier'"):
        lcdb_curves.read_metric(files["accuracy"], "brier")
    with pytest.raises(InputError, match=r"\['fit_time'\] missing"):
        cs.seed_means(pd.DataFrame(columns=["dataset", "learner", "train_size", "outer_seed", "inner_seed",
                                            "metric", "value"]), "error")


def test_short_names_and_hard_prediction_share():
    assert lcdb_curves.short_name("sklearn.linear_model.LogisticRegression") == "LogisticRegression"
    assert lcdb_curves.short_name("SVC_rbf") == "SVC_rbf"
    keys = {"dataset": 1, "train_size": [16, 32], "outer_seed": 0, "inner_seed": 0, "fit_time": 0.1}
    error = [0.2, 0.1]
    rows = []
    for learner, loss in (("SVC_linear", [lcdb_curves.HARD_LOG_LOSS * e for e in error]),
                          ("LogisticRegression", [0.5, 0.3])):
        for metric, values in (("error", error), ("log_loss", loss)):
            rows.append(pd.DataFrame({**keys, "learner": learner, "metric": metric, "value": values}))
    shares = lcdb_curves.hard_prediction_share(pd.concat(rows)).set_index("learner")
    assert shares.hard_share.to_dict() == {"LogisticRegression": 0.0, "SVC_linear": 1.0}
    assert shares.hard_predictions.to_dict() == {"LogisticRegression": False, "SVC_linear": True}


# ------------------------------------------------------------------------------ generated tables

def _power_law(n, d, j):
    e = 0.05 + 2.0 * n ** -0.5
    return e, 2 * e


def _flat(n, d, j):
    e = np.full(n.size, 0.2)
    return e, 2 * e


def test_dataset_bootstrap_keeps_datasets_whole():
    frame = pd.DataFrame({"dataset": [0, 0, 1], "x": [1.0, 1.0, 0.0]})
    point, low, high = cs.dataset_bootstrap(frame, lambda f: f.x.mean(), 200)
    assert point == pytest.approx(2 / 3)
    assert low == 0.0 and high == 1.0  # a resample holds dataset 0 twice or dataset 1 twice, or both


def test_c1_known_answers():
    rng = np.random.default_rng(1)
    table, _ = cs.generated_table(rng, _power_law, datasets=12, learners=("a",), noise=0.003)
    margins = cs.extrapolation_table(table, 3.0, 30)
    assert (margins.outcome == "power law").mean() > 0.9
    assert c1.evaluate_curves(margins, 100).verdict == "supported"
    flat, _ = cs.generated_table(rng, _flat, datasets=12, learners=("a",), noise=0.003)
    claim = c1.evaluate_curves(cs.extrapolation_table(flat, 3.0, 30), 100)
    assert claim.verdict != "supported" and claim.ci_low < 0.5


@pytest.mark.slow
def test_c1_null_calibration():
    """The boundary of "most": half the datasets follow the power law with floor, half are flat."""
    rng = np.random.default_rng(6)
    verdicts = []
    for _ in range(20):
        table, _ = cs.generated_table(rng, lambda n, d, j: _power_law(n, d, j) if d % 2 else _flat(n, d, j),
                                      datasets=20, learners=("a",), noise=0.003)
        verdicts.append(c1.evaluate_curves(cs.extrapolation_table(table, 3.0, 20), 50).verdict)
    assert verdicts.count("supported") / len(verdicts) <= 0.05


def _together(n, d, j):
    e = 0.05 + 2.0 * n ** -0.5
    return e, 0.3 + 0.5 * n ** -0.3


def _opposite(n, d, j):
    e = 0.05 + 2.0 * n ** -0.5
    return e, 0.3 + 0.03 * np.log2(n)


def test_c4_known_answers():
    rng = np.random.default_rng(2)
    table, _ = cs.generated_table(rng, _opposite, datasets=15, learners=("a",), noise=0.005)
    dis = cs.disagreement_table(cs.trend_table(table))
    assert dis.flagged.mean() > 0.9 and (dis.slope_log_loss > 0).all() and (dis.slope_error < 0).all()
    claim, per_learner = c4.evaluate_curves(dis, 100)
    assert claim.verdict == "supported" and per_learner.above_noise.all()
    together, _ = cs.generated_table(rng, _together, datasets=15, learners=("a",), noise=0.005)
    claim, _ = c4.evaluate_curves(cs.disagreement_table(cs.trend_table(together)), 100)
    assert claim.verdict == "not supported" and claim.effect == 0


def _one_flat(n, d, j):  # the least favourable null: error surely improves, log-loss is flat
    return 0.05 + 2.0 * n ** -0.5, np.full(n.size, 0.4)


def test_c4_null_calibration():
    rng = np.random.default_rng(3)
    verdicts, flagged = [], []
    for _ in range(20):
        table, _ = cs.generated_table(rng, _one_flat, datasets=20, learners=("a",), noise=0.01)
        dis = cs.disagreement_table(cs.trend_table(table))
        flagged.append(dis.flagged.mean())
        verdicts.append(c4.evaluate_curves(dis, 50)[0].verdict)
    assert np.mean(flagged) <= 0.05  # per-curve false flags: at most 0.025 in expectation
    assert verdicts.count("supported") / len(verdicts) <= 0.05


def _saturating_in_time(n, d, j):  # a power law with a floor: the gain per doubling shrinks
    e = 0.1 + 1.0 * n ** -0.5
    return e, 2 * e


def _steady_gain_in_time(n, d, j):
    e = 0.5 - 0.03 * np.log2(n)  # time is proportional to n: the same error gained by every doubling of compute
    return e, 2 * e


def test_c6_known_answers_and_null_calibration():
    rng = np.random.default_rng(4)
    table, _ = cs.generated_table(rng, _saturating_in_time, datasets=15, learners=("a",), noise=0.003)
    curv = cs.curvature_table(table)
    assert (curv.curvature > 0).all()
    assert c6.evaluate_curves(curv, 100).verdict == "supported"
    verdicts = []
    for _ in range(20):
        table, _ = cs.generated_table(rng, _steady_gain_in_time, datasets=20, learners=("a",), noise=0.003)
        verdicts.append(c6.evaluate_curves(cs.curvature_table(table), 50).verdict)
    assert verdicts.count("supported") / len(verdicts) <= 0.05


def _cheap_enough(served_share, datasets=20):
    """Learner a is 10x cheaper than b and flat; b's error falls linearly in log n to 0.1 at the largest
    size. On the first served_share of the datasets a sits at 0.1 too (served); on the rest 0.12 above
    (0.3 of the gap to the trivial 0.5: not served)."""
    def truth(n, d, j):
        x = np.log2(n)
        if j == 1:
            e = 0.1 + 0.2 * (x.max() - x) / (x.max() - x.min())
        else:
            e = np.full(n.size, 0.1 if d < served_share * datasets else 0.22)
        return e, 2 * e
    return truth


def test_c7_known_answers_and_null_calibration():
    rng = np.random.default_rng(5)
    table, sheet = cs.generated_table(rng, _cheap_enough(0.9), datasets=20, noise=0.002)
    served = cs.served_table(table, sheet, 0.1, 0.1)
    assert served.excess.notna().all() and served.served.mean() >= 0.85
    assert c7.evaluate_curves(served, 100).verdict == "supported"
    unknown = cs.served_table(table, sheet[sheet.dataset != 0], 0.1, 0.1).set_index("dataset")
    assert np.isnan(unknown.excess[0]) and unknown.reason[0].startswith("majority-class error unknown")
    verdicts = []
    for _ in range(20):  # the boundary of "most": exactly half served
        table, sheet = cs.generated_table(rng, _cheap_enough(0.5), datasets=20, noise=0.002)
        verdicts.append(c7.evaluate_curves(cs.served_table(table, sheet, 0.1, 0.1), 50).verdict)
    assert verdicts.count("supported") / len(verdicts) <= 0.05
