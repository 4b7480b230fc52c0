"""The Alabdulmohsin et al. (2022) extrapolation benchmark: loader counts, a corrupted
cached copy caught by its hash, and the estimators on a subset of curves."""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pooch
import pytest

from community_scaling import downloads
from community_scaling import extrapolation_benchmark as eb
from community_scaling.io import InputError
from community_scaling.paths import data_cache

from conftest import SHARED_DATA

SUBSET = ["IC|inet_5|ViT/B/16", "IC|bird_10|BiT/50/1", "IC|c_25|MiX/L/16", "NMT|log_perplexity|6 Enc, 6 Dec",
          "LM|val_loss|1.34e+08", "BB|('date', '1-shot')|262M"]


@pytest.fixture(scope="module")
def frame():
    # module-scoped, so it runs before conftest's per-test environment: name the mirror itself
    folder = SHARED_DATA / "scaling_benchmark"
    if not (folder / "benchmark.lang.csv").exists():
        pytest.skip(f"no mirror of the benchmark in {folder}")
    before = sorted(os.listdir(folder))
    loaded = eb.load_benchmark(cache=SHARED_DATA)
    assert sorted(os.listdir(folder)) == before  # the (read-only) mirror is only read
    return loaded


def test_loader_counts(frame):
    raw = {name: pd.read_csv(downloads.fetch(f"scaling_benchmark/{name}")) for name in eb.DATA_ROWS}
    assert len(raw["benchmark.vision.csv"]) == 18_883 and len(raw["benchmark.lang.csv"]) == 1_399
    assert raw["benchmark.lang.csv"].duplicated().sum() == 687
    assert len(frame) == 18_883 + 1_399 - 687
    assert frame.curve.nunique() == 92
    assert frame.groupby("domain").curve.nunique().to_dict() == {"BB": 10, "IC": 72, "LM": 5, "NMT": 5}
    vision = frame[frame.domain == "IC"]
    assert vision.training.sum() == 3_902 and (~vision.training).sum() == 14_981
    # quoted commas survive parsing; LM curves de-duplicated to the README's distinct counts
    assert "6 Enc, 6 Dec" in set(frame.model) and "('date', '1-shot')" in set(frame.task)
    lm = frame[frame.domain == "LM"].groupby("model").size().to_dict()
    assert lm == {"1.68e+07": 119, "1.34e+08": 24, "2.62e+08": 44, "4.53e+08": 21, "1.07e+09": 21}
    curves = eb.benchmark_curves(frame)
    assert len(curves) == 92
    assert all(np.all(np.diff(c.n_train) > 0) and c.n_train.max() < c.n_test.min() for c in curves)


def test_corrupted_cached_copy_is_caught_by_its_hash(frame, tmp_path, monkeypatch, caplog):
    folder = tmp_path / "scaling_benchmark"
    folder.mkdir()
    # a good vision file (linked, not copied) and a language file with the wrong bytes
    (folder / "benchmark.vision.csv").symlink_to(data_cache() / "scaling_benchmark" / "benchmark.vision.csv")
    (folder / "benchmark.lang.csv").write_text("Domain,Task,Model,Seen Examples,Loss,Training\nLM,x,y,1,0.5,1")

    def offline(*args, **kwargs):
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(pooch, "retrieve", offline)  # never touch the network in tests
    with caplog.at_level(logging.WARNING, logger="community_scaling.downloads"):
        with pytest.raises(InputError, match="benchmark.lang.csv"):
            eb.load_benchmark(cache=tmp_path)
    assert any("does not match" in r.getMessage() for r in caplog.records)


def test_unknown_curve_ids_and_estimators_are_named(frame):
    with pytest.raises(InputError, match="IC|nope"):
        eb.benchmark_curves(frame, ids=["IC|nope|ViT/B/16"])
    with pytest.raises(InputError, match="paper_M9"):
        eb.evaluate(forms=("paper_M9",), curves=eb.benchmark_curves(frame, ids=SUBSET[:1]))


def test_estimators_on_a_subset_of_curves(frame):
    curves = eb.benchmark_curves(frame, ids=SUBSET)
    results = eb.evaluate(curves=curves, n_jobs=1)
    assert len(results) == len(SUBSET) * len(eb.ESTIMATORS)
    assert results.rmse.notna().all() and (results.rmse >= 0).all()
    chosen = results[results.estimator == "chosen"]
    assert set(chosen.chosen_form) <= set(eb.sf.FORMS)
    mean = results.groupby("estimator").rmse.mean()
    # the floor-free power law (M1) cannot bend, so it extrapolates worst here
    assert mean["paper_M1"] == mean.max()
    assert mean["chosen"] < 0.05 and mean["m4"] < 0.05
    summary = eb.summarise(results)
    assert set(summary.domain) == {"IC", "NMT", "LM", "BB", "all"}
    overall = summary[summary.domain == "all"].set_index("estimator")
    assert overall.win_share.sum() == pytest.approx(1.0)
    assert (overall.curves == len(SUBSET)).all()
