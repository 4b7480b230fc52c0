"""The Makefile with a careless or hostile user: unsafe study names and empty
folders are refused before anything is deleted, a second run of a study stops,
editing the data re-runs ingest, and a failing notebook ends in one readable line."""

from __future__ import annotations

import fcntl
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from community_scaling import notebook_failure

PROJECT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent


def make(*args, cwd=PROJECT):
    return subprocess.run(["make", "-C", str(cwd), f"VENV={VENV}", *args], capture_output=True, text=True)


@pytest.mark.parametrize("target", ["clean", "all"])
@pytest.mark.parametrize("assignment, message", [
    ("STUDY=../src", "STUDY='../src' is not a study name"),
    ("STUDY=", "STUDY is empty"),
    ("STUDY=a b", "STUDY='a b' is not a study name"),
    ("STUDY=x'y", "is not a study name"),
    ("OUT=", "OUT is empty"),
])
def test_unsafe_names_are_refused_before_anything_runs(tmp_path, target, assignment, message):
    before = sorted(p.name for p in (PROJECT / "src" / "community_scaling").iterdir())
    result = make(target, assignment, f"OUT={tmp_path}" if not assignment.startswith("OUT") else "STUDY=smoke")
    assert result.returncode != 0 and message in result.stderr, result.stderr
    assert sorted(p.name for p in (PROJECT / "src" / "community_scaling").iterdir()) == before


def _needs_environment():
    if not (VENV / ".installed").exists():
        pytest.skip(f"not inside the project environment ({VENV / '.installed'} missing); run `make test`")


def _file_study(tmp_path, **evaluation) -> Path:
    rng = np.random.default_rng(1)
    n = 1200
    frame = pd.DataFrame({"age": rng.integers(16, 90, n), "group": rng.choice(["a", "b"], n),
                          "hours": rng.normal(40, 10, n).round()})
    frame["label"] = np.where(rng.random(n) < 0.2 + 0.004 * (frame.hours - 40), "yes", "no")
    data = tmp_path / "people.csv"
    frame.to_csv(data, index=False)
    config = {"data": {"source": "file", "path": str(data), "target": "label", "positive_label": "yes",
                       "population": None, "communities": ["group"], "test_fraction": 0.3},
              "evaluation": {"min_count": 20, "min_positives": 3, **evaluation},
              "sweep": {"sizes": [64, 128, 256, 512, "all"], "seeds": 2,
                        "models": {"logistic_regression": {}}},
              "fits": {"bootstrap": 10, "holdout_sizes": 1}}
    study_file = tmp_path / "filestudy.yaml"
    study_file.write_text(yaml.safe_dump(config))
    return study_file


def _study_args(tmp_path, study_file):
    return ["STUDY=filestudy", f"STUDY_FILE={study_file}", f"OUT={tmp_path / 'out'}"]


def _ingest_built_then(tmp_path, change):
    """Build the file study's ingest, check it is up to date, apply change(data file); make's arguments."""
    _needs_environment()
    study_file = _file_study(tmp_path)
    ingest = tmp_path / "out" / "reports" / "filestudy" / "notebooks" / "01_ingest.ipynb"
    args = [str(ingest), *_study_args(tmp_path, study_file)]
    assert make(*args).returncode == 0 and ingest.exists()
    assert "papermill 01_ingest" not in make("-n", *args).stdout  # up to date
    change(tmp_path / "people.csv")
    return args


def _flip_labels(data):
    frame = pd.read_csv(data)
    frame.assign(label=frame.label.map({"yes": "no", "no": "yes"})).to_csv(data, index=False)


@pytest.mark.slow
def test_editing_the_data_reruns_ingest(tmp_path):
    args = _ingest_built_then(tmp_path, _flip_labels)
    assert "papermill 01_ingest" in make("-n", *args).stdout


@pytest.mark.slow
def test_a_failing_notebook_ends_in_one_readable_line(tmp_path):
    _needs_environment()
    study_file = _file_study(tmp_path, min_count=100000)
    result = make("all", *_study_args(tmp_path, study_file))
    assert result.returncode != 0
    notebooks = tmp_path / "out" / "reports" / "filestudy" / "notebooks"
    line = [x for x in result.stderr.splitlines() if x.startswith("error: notebook")]
    assert len(line) == 1, result.stderr
    assert re.fullmatch(r"error: notebook 01_ingest of study filestudy failed: InputError: no community is evaluable "
                        r"under evaluation.min_count = 100000 and evaluation.min_positives = 3; the largest, "
                        r"group='[ab]', has \d+ test rows: lower them or use more data "
                        rf"\(full traceback: {re.escape(str(notebooks / '01_ingest.failed.ipynb'))}\)", line[0]), line
    assert "Traceback" not in result.stderr  # papermill's own traceback went to its log
    assert not (notebooks / "01_ingest.ipynb").exists()
    assert notebook_failure.error_message(notebooks / "01_ingest.failed.ipynb").startswith("InputError")


def test_a_second_run_of_the_same_study_stops(tmp_path):
    lock = tmp_path / "out" / "build" / "smoke" / "make.lock"
    lock.parent.mkdir(parents=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        for target in ("all", "clean"):
            result = make(target, "STUDY=smoke", f"OUT={tmp_path / 'out'}")
            assert result.returncode != 0, result.stderr
            assert f"another make of study smoke is running (lock {lock})" in result.stderr


def test_failure_summary_reads_the_error_cell(tmp_path):
    executed = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("error", ename="InputError", evalue="\x1b[31mbad column 'age'\nsecond line\x1b[0m",
                               traceback=["..."])])])
    failed = tmp_path / "04.failed.ipynb"
    nbformat.write(executed, failed)
    assert (notebook_failure.summary("04_scaling_fits", "mine", failed, tmp_path / "none.log")
            == f"error: notebook 04_scaling_fits of study mine failed: InputError: bad column 'age' second line "
               f"(full traceback: {failed})")
    log = tmp_path / "papermill.log"
    log.write_text("Traceback...\nDeadKernelError: Kernel died\n")
    assert "failed: DeadKernelError: Kernel died (full traceback: " in notebook_failure.summary(
        "03_sweep", "mine", tmp_path / "missing.ipynb", log)


@pytest.mark.slow
def test_sweep_progress_shows_on_the_terminal_not_in_the_notebook(tmp_path):
    _needs_environment()
    study_file = _file_study(tmp_path)
    notebooks = tmp_path / "out" / "reports" / "filestudy" / "notebooks"
    result = make(str(notebooks / "03_sweep.ipynb"), *_study_args(tmp_path, study_file))
    assert result.returncode == 0, result.stderr
    shown = [x for x in result.stdout.splitlines() if x.startswith("sweep: ")]
    assert shown and shown[0].startswith("sweep: 1/"), result.stdout
    assert re.fullmatch(r"sweep: (\d+)/\1 units done, .*", shown[-1]), shown
    assert not list(notebooks.glob("*.progress"))  # the progress file goes when papermill ends
    executed = (notebooks / "03_sweep.ipynb").read_text()
    assert executed.count("units done") <= 11  # the notebook keeps a line per tenth, not per unit
