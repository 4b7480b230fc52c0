import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from community_scaling import ingest, study, sweep
from community_scaling.io import InputError, read_parquet_metadata


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("processed")
    s = study.load("smoke")
    prepared = ingest.prepare(s)
    prepared.train = prepared.train.iloc[:1500]
    prepared.test = prepared.test.iloc[:800]
    ingest.write_processed(prepared, folder, {})
    return folder


UNITS = sweep.plan_units({"logistic_regression": {}, "gradient_boosting": {"max_iter": 10}}, [100, 400, 1500], 2)


def test_subsamples_are_nested_and_seeded():
    a, b = sweep.permutation(1000, 3), sweep.permutation(1000, 3)
    assert (a == b).all() and not (a == sweep.permutation(1000, 4)).all()
    assert set(a[:100]) <= set(a[:400])


def test_cache_hits_and_reproduces(processed, tmp_path):
    first = sweep.run_sweep(UNITS, processed, tmp_path / "c1", "sequential")
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "c1").iterdir()}
    again = sweep.run_sweep(UNITS, processed, tmp_path / "c1", "loky", 2)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "c1").iterdir()} == mtimes  # nothing recomputed
    pd.testing.assert_frame_equal(first, again)
    fresh = sweep.run_sweep(UNITS, processed, tmp_path / "c2", "loky", 2)  # parallel order changes nothing
    np.testing.assert_array_equal(sweep.load_scores(first, tmp_path / "c1"), sweep.load_scores(fresh, tmp_path / "c2"))
    assert (first.cpu_seconds > 0).all() and len(first) == len(UNITS)


def test_changed_parameter_recomputes_only_affected_units(processed, tmp_path):
    sweep.run_sweep(UNITS, processed, tmp_path / "c", "sequential")
    before = set((tmp_path / "c").iterdir())
    changed = [u if u.model != "gradient_boosting" else sweep.Unit(u.model, u.size, u.seed, {"max_iter": 11})
               for u in UNITS]
    sweep.run_sweep(changed, processed, tmp_path / "c", "sequential")
    added = set((tmp_path / "c").iterdir()) - before
    assert len(added) == sum(u.model == "gradient_boosting" for u in UNITS)


def test_integer_coded_categories_give_the_same_scores_as_strings(processed):
    """load_data renames categories 0..k-1 for speed; both models score exactly as on the strings,
    and a missing value stays missing."""
    data = sweep.load_data(processed)
    category = [c for c in data.X_train.columns if isinstance(data.X_train[c].dtype, pd.CategoricalDtype)]
    assert category and all(data.X_train[c].cat.categories.dtype.kind == "i" for c in category)

    def as_strings(frame):
        names = {c: sorted(pd.read_parquet(processed / sweep.TRAIN_FILE)[c].dropna().astype(str).unique())
                 for c in category}
        return frame.assign(**{c: frame[c].cat.rename_categories(names[c]) for c in category})

    rows = sweep.training_rows(sweep.Unit("x", 600, 1), len(data.X_train))
    X, y = data.X_train.iloc[rows], data.y_train[rows]
    for model, params in [("logistic_regression", {}), ("gradient_boosting", {"max_iter": 10})]:
        coded = sweep.build_model(model, params, X, 0).fit(X, y).predict_proba(data.X_test)
        strings = sweep.build_model(model, params, X, 0).fit(as_strings(X), y).predict_proba(as_strings(data.X_test))
        np.testing.assert_allclose(coded, strings, rtol=0, atol=1e-12)
    values = pd.Categorical(["b", None, "a"], categories=["a", "b"])
    assert sweep.integer_categories(values).tolist()[::2] == [1, 0] and pd.isna(sweep.integer_categories(values)[1])


def test_code_or_data_change_invalidates(processed):
    unit = UNITS[0]
    assert unit.key("data-a", "code-a") != unit.key("data-b", "code-a") != unit.key("data-a", "code-b")
    assert sweep.code_key() == sweep.code_key()


def test_data_key_follows_the_data_not_the_provenance(tmp_path):
    prepared = ingest.prepare(study.load("smoke"))
    prepared.train, prepared.test = prepared.train.iloc[:300], prepared.test.iloc[:200]
    keys = []
    for i, commit in enumerate(["aaa", "bbb"]):  # a new commit rewrites the files' metadata only
        ingest.write_processed(prepared, tmp_path / f"p{i}", {"code": {"commit": commit, "dirty": i == 1}})
        keys.append(sweep.data_key(tmp_path / f"p{i}"))
    assert keys[0] == keys[1]
    prepared.train.loc[prepared.train.index[0], "age"] += 1  # one value changed: a new key
    ingest.write_processed(prepared, tmp_path / "p2", {})
    assert sweep.data_key(tmp_path / "p2") != keys[0]


def test_cache_file_records_its_unit(processed, tmp_path):
    table = sweep.run_sweep(UNITS[:1], processed, tmp_path / "c", "sequential")
    meta = read_parquet_metadata(tmp_path / "c" / table.file.iloc[0])
    assert meta["model"] == UNITS[0].model and meta["size"] == UNITS[0].size
    assert meta["data_key"] == sweep.data_key(processed) and meta["code_key"] == sweep.code_key()


def test_dask_cluster_gives_identical_results(processed, tmp_path):
    from distributed import LocalCluster

    local = sweep.run_sweep(UNITS, processed, tmp_path / "local", "sequential")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = sweep.run_sweep(UNITS, processed, tmp_path / "dask", "dask", scheduler_address=cluster.scheduler_address)
    np.testing.assert_array_equal(sweep.load_scores(local, tmp_path / "local"), sweep.load_scores(dask, tmp_path / "dask"))


def _can_hide_folders() -> bool:
    """True where a process may get its own mount namespace (root, or user namespaces allowed)."""
    import shutil

    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "true"],
                          capture_output=True).returncode == 0


def _start_hidden_workers(address: str, hide: Path, home: Path, count: int) -> list[subprocess.Popen]:
    """Dask workers as separate processes, each in its own working folder. Where mount
    namespaces are allowed, `hide` (every folder of the test: processed data and caches) is
    covered by an empty tmpfs in the workers' view, as on a machine that shares no disk."""
    workers = []
    for i in range(count):
        folder = (hide if _can_hide_folders() else home) / f"worker{i}"
        start = (f'mkdir -p "{folder}" && cd "{folder}" && exec "{sys.executable}" -m distributed.cli.dask_worker '
                 f'{address} --nthreads 1 --nworkers 1 --no-dashboard --local-directory "{folder}"')
        if _can_hide_folders():
            start = f'mount -t tmpfs tmpfs "{hide}" && {start}'
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", start]
        else:
            home.mkdir(parents=True, exist_ok=True)
            command = ["sh", "-c", start]
        workers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True))
    return workers


def test_dask_workers_need_no_shared_disk(processed, tmp_path, monkeypatch):
    """Workers that cannot see the processed folder or the cache give the sequential tables.
    The processed folder is also moved away once the client has loaded the data, so a worker
    that read it by path would fail here even where folders cannot be hidden."""
    from distributed import Client, LocalCluster

    local = sweep.run_sweep(UNITS, processed, tmp_path / "local", "sequential")
    hidden_processed = tmp_path / "processed_moved_away"
    shutil.copytree(processed, tmp_path / "processed")
    loaded = sweep.load_data

    def load_then_move_away(folder):
        data = loaded(folder)
        Path(folder).rename(hidden_processed)
        return data

    monkeypatch.setattr(sweep, "load_data", load_then_move_away)
    hide = Path(os.path.commonpath([processed, tmp_path]))
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as cluster:
        workers = _start_hidden_workers(cluster.scheduler_address, hide, Path(tempfile.mkdtemp()), 2)
        try:
            with Client(cluster.scheduler_address) as client:
                client.wait_for_workers(2, timeout=120)
                if _can_hide_folders():
                    seen = client.run(os.path.exists, str(processed / sweep.TRAIN_FILE))
                    assert not any(seen.values()), "the workers can see the processed folder"
            dask = sweep.run_sweep(UNITS, tmp_path / "processed", tmp_path / "dask", "dask",
                                   scheduler_address=cluster.scheduler_address)
        finally:
            for worker in workers:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=30)
    assert hidden_processed.exists() and not (tmp_path / "processed").exists()  # moved before any unit ran
    timing = ["cpu_seconds", "fit_cpu_seconds", "wall_seconds", "fit_seconds", "predict_seconds"]
    pd.testing.assert_frame_equal(local.drop(columns=timing), dask.drop(columns=timing))
    np.testing.assert_array_equal(sweep.load_scores(local, tmp_path / "local"), sweep.load_scores(dask, tmp_path / "dask"))


def test_scoring_streamed_over_units_equals_scoring_all_at_once(processed, tmp_path):
    from community_scaling import metrics

    table = sweep.run_sweep(UNITS, processed, tmp_path / "c", "sequential")
    test = pd.read_parquet(processed / sweep.TEST_FILE)
    groups, y = test[["race", "sex"]], test["y"].to_numpy()
    evaluable = metrics.evaluable_communities(y, groups, min_count=20, min_positives=2)
    columns = ["unit_id", "model", "scale", "seed"]
    whole = metrics.evaluation_table(y, sweep.load_scores(table, tmp_path / "c"), table[columns], groups, 0.5, evaluable)
    streamed = sweep.evaluate_units(table, tmp_path / "c", y, groups, 0.5, evaluable, columns, batch=5)
    pd.testing.assert_frame_equal(whole, streamed)
    with pytest.raises(InputError, match="batch must be >= 1 unit, got 0"):
        next(sweep.iter_scores(table, tmp_path / "c", batch=0))


def test_progress_reaches_the_progress_file(processed, tmp_path, monkeypatch, capsys):
    target = tmp_path / "progress.log"
    monkeypatch.setenv("COMMUNITY_SCALING_PROGRESS", str(target))
    sweep.run_sweep(UNITS[:4], processed, tmp_path / "c", "sequential")
    lines = target.read_text().splitlines()
    assert lines[0].startswith("sweep: 1/4 units done") and "left" in lines[0]
    assert lines[-1].startswith("sweep: 4/4 units done") and "left" not in lines[-1]
    assert len(capsys.readouterr().err.splitlines()) <= 1 + 10  # the notebook's stderr: a line per tenth


KILL_SCRIPT = """
import sys
from pathlib import Path
from community_scaling import sweep
units = sweep.plan_units({"logistic_regression": {}, "gradient_boosting": {"max_iter": 10}}, [100, 400, 1500], 2)
sweep.run_sweep(units, Path(sys.argv[1]), Path(sys.argv[2]), "sequential")
"""


def test_killed_sweep_resumes_without_recomputing(processed, tmp_path):
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(processed), str(cache)],
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(cache.glob("*.parquet"))) < 3:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in cache.glob("*.parquet")}
    assert 0 < len(finished) < len(UNITS)
    resumed = sweep.run_sweep(UNITS, processed, cache, "sequential")
    assert all(p.stat().st_mtime_ns == m for p, m in finished.items())  # no finished unit recomputed
    # Half-written files keep a temporary name, so every result file is complete and readable.
    assert len(list(cache.glob("*.parquet"))) == len(UNITS)
    assert all(read_parquet_metadata(p)["key"] for p in cache.glob("*.parquet"))
    clean = sweep.run_sweep(UNITS, processed, tmp_path / "clean", "sequential")
    np.testing.assert_array_equal(sweep.load_scores(resumed, cache), sweep.load_scores(clean, tmp_path / "clean"))


def test_representation_units_draw_exact_counts_and_nest():
    labels = np.array(["a"] * 300 + ["b"] * 700, dtype=object)
    unit = lambda count: sweep.Unit("logistic_regression", 200, 1, {}, "g", "a", count)
    rows = {count: sweep.training_rows(unit(count), 1000, labels) for count in (0, 20, 100)}
    for count, picked in rows.items():
        assert len(picked) == 200 and len(set(picked)) == 200
        assert (labels[picked] == "a").sum() == count
    assert set(rows[20][labels[rows[20]] == "a"]) <= set(rows[100][labels[rows[100]] == "a"])
    with pytest.raises(InputError, match="needs 100 community rows and 800 others; 300 and 700 exist"):
        sweep.training_rows(sweep.Unit("logistic_regression", 900, 1, {}, "g", "a", 100), 1000, labels)
    with pytest.raises(InputError, match="community_count 400 must be between 0 and the unit size 200"):
        sweep.training_rows(sweep.Unit("logistic_regression", 200, 1, {}, "g", "a", 400), 1000, labels)


def test_representation_plan_skips_and_reports_infeasible_units():
    units, skipped = sweep.plan_representation_units("logistic_regression", {}, "race", {"x": 50, "y": 5000},
                                                     [1000], [0, 0.01, 0.1], seeds=2)
    assert len(units) == 2 * 5 and len(skipped) == 1
    assert "race=x: share 0.1 of n=1000 needs 100 rows, 50 exist" in skipped[0]


def test_damaged_cached_unit_is_named_and_recomputed(processed, tmp_path, capsys):
    units = UNITS[:2]
    first = sweep.run_sweep(units, processed, tmp_path / "c", "sequential")
    scores = sweep.load_scores(first, tmp_path / "c")
    damaged = tmp_path / "c" / first.file.iloc[0]
    damaged.write_bytes(damaged.read_bytes()[:300])  # a truncated copy
    with pytest.raises(InputError, match=f"cannot read parquet file {damaged}"):
        read_parquet_metadata(damaged)
    again = sweep.run_sweep(units, processed, tmp_path / "c", "sequential")
    assert f"cached unit {damaged} is damaged" in capsys.readouterr().err
    np.testing.assert_array_equal(sweep.load_scores(again, tmp_path / "c"), scores)


def test_result_files_are_readable_by_the_group(processed, tmp_path):
    old = os.umask(0o022)
    try:
        table = sweep.run_sweep(UNITS[:1], processed, tmp_path / "c", "sequential")
    finally:
        os.umask(old)
    assert ((tmp_path / "c" / table.file.iloc[0]).stat().st_mode & 0o777) == 0o644


def test_loky_workers_do_not_outlive_the_sweep(processed, tmp_path):
    from test_make_hostile import _loky_workers as workers  # loky's resource trackers stay; workers must not

    sweep.run_sweep(UNITS[:4], processed, tmp_path / "c", "loky", 2)
    deadline = time.monotonic() + 30
    while workers() and time.monotonic() < deadline:
        time.sleep(1)
    assert not workers(), "loky workers still alive 30 s after the sweep (loky's default keeps them 300 s)"
