"""Two clean runs agree value for value; a failed notebook is never taken as up to date."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

VENV = Path(sys.executable).parent.parent
# Measured CPU and wall times differ between runs by nature; so does everything computed from them.
TIMING_COLUMNS = {"cpu_seconds", "fit_cpu_seconds", "wall_seconds", "fit_seconds", "predict_seconds",
                  "sweep_wall_seconds", "scoring_wall_seconds"}
# C6 and C7 rest on fit operations (counted, not timed), so their claims must match too.
TIMING_TABLES = {"compute", "cost_per_improvement", "sweep_timing", "fits_timing"}

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (VENV / ".installed").exists(), reason="run inside the project environment")]


def test_two_clean_runs_give_identical_tables(smoke_build, tmp_path):
    # The first run is the shared build; the second, of the same study file, runs under another hash seed.
    second = smoke_build.clean_twin(tmp_path / "b", hash_seed="1")
    second.make("all")
    tables_a = sorted(smoke_build.results.glob("*.parquet"))
    assert len(tables_a) > 15
    assert [p.name for p in tables_a] == sorted(p.name for p in second.results.glob("*.parquet"))
    for path in tables_a:
        a, b = pd.read_parquet(path), pd.read_parquet(second.results / path.name)
        if path.stem in TIMING_TABLES:
            assert len(a) == len(b), path.name
            continue
        keep = [c for c in a.columns if c not in TIMING_COLUMNS]
        pd.testing.assert_frame_equal(a[keep], b[keep], check_exact=True, obj=path.name)


def test_failed_notebook_is_never_up_to_date(smoke_build, tmp_path):
    # On a copy of the shared build: the old notebook 03 is there, and must neither be replaced by the
    # failed run nor be taken as up to date once its study-file section changed.
    build = smoke_build.copy(tmp_path / "failed")
    notebooks = build.reports / "notebooks"
    built = {p.name: p.stat().st_mtime_ns for p in notebooks.glob("*.ipynb")}
    config = yaml.safe_load(build.study_file.read_text())
    sizes = config["sweep"]["sizes"]
    config["sweep"]["sizes"] = [128, 999999]  # more rows than the data has: notebook 03 must fail
    build.study_file.write_text(yaml.safe_dump(config))
    failed = build.run("all")
    assert failed.returncode != 0
    assert "sweep.sizes: [999999] larger than the 4000 training rows" in failed.stdout + failed.stderr
    assert (notebooks / "03_sweep.failed.ipynb").exists()
    assert {n: (notebooks / n).stat().st_mtime_ns for n in ("01_ingest.ipynb", "03_sweep.ipynb")} == \
        {n: built[n] for n in ("01_ingest.ipynb", "03_sweep.ipynb")}  # the failed run replaced nothing
    assert build.run("-q", "all").returncode != 0  # make knows it is not done
    again = build.run("all")  # and a real run tries notebook 03 again, rather than going past it
    assert again.returncode != 0 and "papermill 03_sweep.ipynb [smoketest]" in again.stdout, again.stdout[-2000:]
    config["sweep"]["sizes"] = sizes
    build.study_file.write_text(yaml.safe_dump(config))
    build.make("all")  # fixing the study file resumes the chain
    assert (notebooks / "08_claims.ipynb").stat().st_mtime_ns > built["08_claims.ipynb"]
    assert not (notebooks / "03_sweep.failed.ipynb").exists()
    assert "papermill" not in build.make("all")  # and it is done
