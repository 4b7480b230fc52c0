"""Wall time and peak memory of `make all` (every study of the default set, or one), and of a no-op re-run.

Prints the figures quoted in the README:
  - total wall time of a fresh `make all` of every default study (target: <= 15 min on 2 cores);
  - the share of that time spent outside model fitting and prediction (<= 20%);
  - peak resident memory of the whole process tree, sampled every 0.2 s (<= 3 GB);
  - wall time of a second `make all` with nothing changed (<= 5 s);
  - wall time of all scaling fits with bootstrap intervals (notebook 04; <= 60 s);
  - per-notebook execution time, as papermill recorded it.

Usage: python benchmarks/make_all_benchmark.py [--study census] [--out DIR]
(without --study: the default set, pipeline.DEFAULT_STUDIES; the published results are read from
the data cache, $COMMUNITY_SCALING_DATA, or downloaded)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
import psutil

from community_scaling.pipeline import DEFAULT_STUDIES

PROJECT = Path(__file__).resolve().parents[1]


def run_make(out: Path, study: str | None) -> tuple[float, float]:
    """Run make all (of one study, or of the default set); return (wall seconds, peak RSS in GB of make
    and all its descendants)."""
    command = ["make", "-C", str(PROJECT), "all", f"OUT={out}", *([f"STUDY={study}"] if study else [])]
    started = time.perf_counter()
    proc = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    wall = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"make all failed:\n{proc.stderr.read().decode()[-3000:]}")
    return wall, peak / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--study", default=None, help="one study (default: every study of the default set)")
    parser.add_argument("--out", type=Path, default=None, help="output root (default: a fresh temporary folder)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="benchmark-"))
    wall, peak = run_make(out, args.study)
    noop, _ = run_make(out, args.study)

    studies = [args.study] if args.study else list(DEFAULT_STUDIES)
    print(f"make all of {', '.join(studies)}: output in {out}")
    print(f"fresh make all          {wall:8.1f} s   (target <= 900 s for the default set)")
    print(f"  peak memory           {peak:8.2f} GB  (target <= 3 GB)")
    print(f"no-op make all          {noop:8.1f} s   (target <= 5 s)")
    for study in studies:
        durations = {}
        for path in sorted((out / "reports" / study / "notebooks").glob("*.ipynb")):
            durations[path.stem] = nbformat.read(path, as_version=4).metadata.get("papermill", {}).get("duration")
        print(f"study {study}: notebooks {sum(v or 0 for v in durations.values()):.1f} s (papermill durations)")
        for name, seconds in durations.items():
            print(f"  {name:22s} {seconds or float('nan'):8.1f}")
        results = out / "results" / study
        if (results / "sweep_timing.parquet").exists():
            sweep_details(results, wall if len(studies) == 1 else None)


def sweep_details(results: Path, wall: float | None) -> None:
    """A sweep study's model-fitting time, its share of the wall time, and its scaling fits."""
    units = pd.read_parquet(results / "units.parquet")
    timing = pd.read_parquet(results / "sweep_timing.parquet").iloc[0]
    # wall time of both sweeps (sizes, and the representation sweep): all model fitting and prediction
    model_seconds = timing.sweep_wall_seconds + timing.representation_wall_seconds
    busy = (units.fit_seconds + units.predict_seconds).sum()
    print(f"  sweeps (fit + predict){model_seconds:8.1f} s wall ({timing.sweep_wall_seconds:.1f} s for {int(timing.units)} "
          f"size units, {timing.representation_wall_seconds:.1f} s for {int(timing.representation_units)} "
          f"representation units); {busy:.1f} s of fitting and prediction summed over the size units")
    if wall:
        print(f"  outside fit/predict   {1 - model_seconds / wall:8.1%}     (target <= 20%)")
    fits = pd.read_parquet(results / "fits_timing.parquet").iloc[0]
    print(f"  scaling fits (04)     {fits.fit_all_seconds:8.1f} s   (target <= 60 s; {int(fits.curves)} curves, "
          f"{int(fits.bootstrap)} resamples, n_jobs={int(fits.n_jobs)})")


if __name__ == "__main__":
    main()
