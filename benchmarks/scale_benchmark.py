"""Time and memory of an ACS study as the data grows: 200k, 800k, 1.6M and 3.2M rows.

The data is a STAND-IN: real ACS PUMS person rows (the 5,000-row 2017 Alabama
sample in ../shared/data, or $COMMUNITY_SCALING_DATA) resampled with replacement
into a person file of the same 286-column layout. Each size counts ACSIncome rows
(the task's population: the people folktables keeps); the file also holds the other
people in the sample's proportion (2,679 of 5,000), so the ingest reads and filters
about 2.15 person rows per task row, as for the real national file. The state code
of each resampled row is drawn at random from folktables' 51 codes, so the `state`
community has national cardinality. Resampled task rows would copy each other, and
ingest drops every test row that copies a training row (in the task's features and
label), which would empty the test set; so the k-th copy of a task row (among rows of
identical features) has k/16384 of an hour added to its hours worked (WKHP, a task
feature read as a number): every task row is distinct, and hours move by under one.
A column the task does not read would not do, since the copies are found on the
task's features. No other value is changed. A stand-in has the real file's shape and
cost, not its statistics: do not read its errors.

Per size, in a fresh process: ingest (checksum, chunked read, task, communities,
split, parquet), the sweep (2 models x sizes 1024, 4096, ... all, 1 seed, 2 loky
workers), and scoring (every unit per community, streamed over units); peak memory
is the resident memory of that process and its workers, sampled every 0.2 s.
Then the growth exponent of each cost (slope of log cost on log rows; for scoring,
on log(test rows x units)), and the sweep at 200k rows on a Dask LocalCluster with
1 worker and with 2 (2 seeds, so both workers have equal units to share).

Targets (issue 11): 1.6M rows within 8 GB peak; scoring growing no faster than
linearly in rows x units; 2 workers at least 1.7x faster than 1.

Usage: python benchmarks/scale_benchmark.py [--sizes 200000 800000 1600000 3200000]
Not part of the test suite (about 15-25 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared" / "data"
YEAR, HORIZON, FILE = 2017, "1-Year", "psam_p01.csv"
MODELS = {"logistic_regression": {}, "gradient_boosting": {}}
ST_COLUMN = "ST"
HOURS_COLUMN = "WKHP"  # made distinct per copy (see the docstring)
HOUR_STEP = 2.0 ** -14  # exact in float32 for hours below 128, as the ingest reads them


def sample_file() -> Path:
    root = Path(os.environ.get("COMMUNITY_SCALING_DATA") or SHARED)
    path = root / "acs" / str(YEAR) / HORIZON / FILE
    if not path.exists():
        sys.exit(f"needs the ACS sample {path} (set COMMUNITY_SCALING_DATA to the folder holding acs/)")
    return path


def write_stand_in(task_rows: int, target: Path, seed: int = 0) -> int:
    """A person file with `task_rows` ACSIncome rows resampled from the real sample, plus the
    sample's other people in its proportion, each with a random state code; returns its rows."""
    import pandas as pd

    from community_scaling import acs
    from community_scaling.acs_files import state_codes

    source = sample_file()
    lines = source.read_text().splitlines()
    header, body = lines[0], lines[1:]
    names = header.split(",")
    st, hours = names.index(ST_COLUMN), names.index(HOURS_COLUMN)
    frame = pd.read_csv(source, low_memory=False)
    problem = acs.task("ACSIncome")
    kept = problem._preprocess(frame).index.to_numpy()
    others = np.setdiff1d(np.arange(len(body)), kept)
    rng = np.random.default_rng(seed)
    other_rows = int(round(task_rows * len(others) / len(kept)))
    rows = np.concatenate([rng.choice(kept, task_rows), rng.choice(others, other_rows)])
    rng.shuffle(rows)
    codes = np.array([str(int(c)) for c in state_codes().values()])
    states = rng.choice(codes, len(rows))
    fresh_hours = _distinct_hours(frame, problem.features, set(kept.tolist()), rows)
    assert st < hours, "the PUMS layout puts ST before WKHP"
    split = [line.split(",") for line in body]
    # Each line cut around its two replaced fields, joined once (the stand-in has millions of lines).
    head = [",".join(f[:st]) + "," for f in split]
    middle = ["," + ",".join(f[st + 1:hours]) + "," for f in split]
    tail = ["," + ",".join(f[hours + 1:]) + "\n" for f in split]
    own_hours = [f[hours] for f in split]
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w") as out:
        out.write(header + "\n")
        out.writelines(head[i] + state + middle[i] + (own_hours[i] if hour is None else hour) + tail[i]
                       for i, state, hour in zip(rows, states, fresh_hours))
    return len(rows)


def _distinct_hours(frame, features: list[str], task: set[int], rows: np.ndarray) -> list[str | None]:
    """Per output row, its hours worked as text with k/16384 of an hour added (the k-th copy of
    a task row among rows of identical features), or None for a row outside the task."""
    import pandas as pd

    identity = pd.util.hash_pandas_object(frame[features], index=False).to_numpy()[rows]
    is_task = np.isin(rows, list(task))
    copy = pd.Series(identity[is_task]).groupby(identity[is_task]).cumcount().to_numpy()
    if len(copy) and copy.max() >= 1 / HOUR_STEP:
        sys.exit(f"{copy.max() + 1} copies of one task row: more than hours can tell apart at {HOUR_STEP} h")
    hours = frame[HOURS_COLUMN].to_numpy(float)[rows[is_task]] + copy * HOUR_STEP
    fresh: list[str | None] = [None] * len(rows)
    for position, value in zip(np.flatnonzero(is_task), hours):
        fresh[position] = repr(float(value))
    return fresh


def study_config(cache: Path) -> dict:
    return {"data": {"source": "acs", "acs_year": YEAR, "acs_horizon": HORIZON, "acs_states": ["AL"],
                     "acs_task": "ACSIncome", "acs_trust_on_first_use": True,
                     "bands": {"age_band": {"column": "AGEP", "edges": [17, 25, 35, 45, 55, 65]}},
                     "communities": ["race", "sex", "state", "age_band"], "intersections": [["race", "sex"]]},
            "sweep": {"sizes": {"start": 1024, "factor": 4, "include_all": True}, "seeds": 1, "models": MODELS},
            "fits": {"holdout_sizes": 1, "bootstrap": 0}}


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # kB on Linux


def one_size(work: Path, seeds: int, backend: str, workers: int) -> dict:
    """Ingest, sweep and score one stand-in (run in a fresh process); timings as a dict."""
    import pandas as pd
    import yaml

    from community_scaling import ingest, metrics, study, sweep

    study_file = work / "scale.yaml"
    config = study_config(work / "raw")
    config["sweep"]["seeds"] = seeds
    study_file.write_text(yaml.safe_dump(config))
    s = study.load("scale", study_file)
    processed, cache = work / "processed", work / f"units-{backend}-{workers}"
    result = {}
    if not (processed / "test.parquet").exists():
        started = time.perf_counter()
        prepared = ingest.prepare(s)
        ingest.write_processed(prepared, processed, {})
        result.update(ingest_seconds=time.perf_counter() - started, ingest_peak_gb=peak_rss_gb(),
                      task_rows=len(prepared.train) + len(prepared.test))
        del prepared
    test = pd.read_parquet(processed / "test.parquet")
    n_train = pd.read_parquet(processed / "train.parquet", columns=["y"]).shape[0]
    units = sweep.plan_units(MODELS, s.sizes(n_train), seeds)
    started = time.perf_counter()
    if backend == "dask":
        from distributed import LocalCluster

        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            table = sweep.run_sweep(units, processed, cache, "dask", scheduler_address=cluster.scheduler_address)
    else:
        table = sweep.run_sweep(units, processed, cache, "loky", workers)
    result.update(sweep_seconds=time.perf_counter() - started, units=len(units), test_rows=len(test),
                  fit_cpu_seconds=float(table.cpu_seconds.sum()))
    if backend != "dask":
        attributes, y = s.attributes, test["y"].to_numpy()
        evaluable = metrics.evaluable_communities(y, test[attributes], 100, 10)
        started = time.perf_counter()
        evaluations = sweep.evaluate_units(table, cache, y, test[attributes], 0.5, evaluable,
                                           ["unit_id", "model", "scale", "seed"])
        result.update(scoring_seconds=time.perf_counter() - started, evaluation_rows=len(evaluations),
                      communities=int(sum(test[a].nunique() for a in attributes)))
    result["main_peak_gb"] = peak_rss_gb()
    return result


def run_child(work: Path, *options: str) -> tuple[dict, float]:
    """One size in a fresh process; returns its timings and the peak memory of its process tree."""
    env = {**os.environ, "COMMUNITY_SCALING_DATA": str(work / "raw"), "COMMUNITY_SCALING_OUTPUT": str(work)}
    command = [sys.executable, __file__, "--one", str(work), *options]
    log = work.parent / f"{work.name}-{'-'.join(options) or 'loky'}.log"
    proc = psutil.Popen(command, stdout=subprocess.PIPE, stderr=open(log, "w"), env=env, text=True)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    output = proc.stdout.read()
    if proc.returncode:
        sys.exit(f"size run in {work} failed (exit {proc.returncode}):\n{log.read_text()[-3000:]}")
    return json.loads(output.strip().splitlines()[-1]), peak / 1e9


def slope(x, y) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 800_000, 1_600_000, 3_200_000])
    parser.add_argument("--cluster-size", type=int, default=200_000)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seeds", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="loky", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.seeds, args.backend, args.workers)))
        return

    print(f"scale benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB; stand-in resampled from {sample_file()} "
          "(see the docstring)")
    base = Path(tempfile.mkdtemp(prefix="scale-benchmark-"))
    rows = []
    for size in args.sizes:
        work = base / f"n{size}"
        started = time.perf_counter()
        person_rows = write_stand_in(size, work / "raw" / "acs" / str(YEAR) / HORIZON / FILE)
        made = time.perf_counter() - started
        result, peak = run_child(work)
        result.update(size=size, person_rows=person_rows, peak_gb=peak, stand_in_seconds=made,
                      load=os.getloadavg()[1])  # other work on the machine slows every timing
        rows.append(result)
        print(f"  {size:>9,} task rows ({person_rows:,} person rows, stand-in written in {made:.0f} s): ingest "
              f"{result['ingest_seconds']:.1f} s, sweep {result['sweep_seconds']:.1f} s ({result['units']} units), "
              f"scoring {result['scoring_seconds']:.1f} s, peak {peak:.2f} GB; fitting CPU "
              f"{result['fit_cpu_seconds']:.0f} s; load average {result['load']:.1f}", flush=True)
        if size == args.cluster_size:
            cluster = {}
            for workers in (1, 2):
                timing, cluster_peak = run_child(work, "--seeds", "2", "--backend", "dask", "--workers", str(workers))
                cluster[workers] = timing
            speedup = cluster[1]["sweep_seconds"] / cluster[2]["sweep_seconds"]
            print(f"  Dask LocalCluster at {size:,} task rows, {cluster[1]['units']} units (2 seeds): 1 worker "
                  f"{cluster[1]['sweep_seconds']:.1f} s, 2 workers {cluster[2]['sweep_seconds']:.1f} s; load average "
                  f"{os.getloadavg()[1]:.1f}", flush=True)
        shutil.rmtree(work)  # the stand-in and its processed data: 0.5-5 GB each

    print()
    print("| task rows | person rows read | ingest (s) | sweep (s) | units | scoring (s) | test rows x units | "
          "peak memory (GB) | ingest peak, main process (GB) | load average |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']:,} | {r['person_rows']:,} | {r['ingest_seconds']:.1f} | {r['sweep_seconds']:.1f} | "
              f"{r['units']} | {r['scoring_seconds']:.1f} | {r['test_rows'] * r['units']:,} | {r['peak_gb']:.2f} | "
              f"{r['ingest_peak_gb']:.2f} | {r['load']:.1f} |")
    sizes = [r["size"] for r in rows]
    if len(rows) >= 2:
        work_units = [r["test_rows"] * r["units"] for r in rows]
        print()
        print("growth exponents (slope of log cost on log size):")
        print(f"  ingest time ~ rows^{slope(sizes, [r['ingest_seconds'] for r in rows]):.2f}")
        print(f"  sweep time ~ rows^{slope(sizes, [r['sweep_seconds'] for r in rows]):.2f}")
        print(f"  sweep CPU (fitting, all units) ~ rows^{slope(sizes, [r['fit_cpu_seconds'] for r in rows]):.2f}")
        exponent = slope(work_units, [r["scoring_seconds"] for r in rows])
        print(f"  scoring time ~ (test rows x units)^{exponent:.2f}   target <= 1: "
              f"{'met' if exponent <= 1.05 else 'MISSED'}")
        print(f"  peak memory ~ rows^{slope(sizes, [r['peak_gb'] for r in rows]):.2f}")
    at = [r for r in rows if r["size"] == 1_600_000]
    if at:
        print(f"peak memory at 1.6M task rows: {at[0]['peak_gb']:.2f} GB   target <= 8 GB: "
              f"{'met' if at[0]['peak_gb'] <= 8 else 'MISSED'}")
    if args.cluster_size in sizes:
        print(f"Dask LocalCluster at {args.cluster_size:,} task rows, {cluster[1]['units']} units (2 seeds): "
              f"1 worker {cluster[1]['sweep_seconds']:.1f} s, 2 workers {cluster[2]['sweep_seconds']:.1f} s, "
              f"speedup {speedup:.2f}x   target >= 1.7x: {'met' if speedup >= 1.7 else 'MISSED'}")
    shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
