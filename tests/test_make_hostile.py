"""Bad input on every kind (issue 22), the Make, process and benchmark cases: shell text in a
variable never runs, a path with a space or a bad JOBS is refused before anything is created,
a failure with no message still says what is known, idle workers go, and the scale
benchmark's stand-in leaves a test set."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
from joblib import delayed

from community_scaling import notebook_failure, workers

PROJECT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent


def make(*args):
    return subprocess.run(["make", "-C", str(PROJECT), f"VENV={VENV}", *args], capture_output=True, text=True)


def project_listing() -> list[str]:
    return sorted(p.name for p in PROJECT.iterdir())


# ---- Make: what the shell receives ----

@pytest.mark.parametrize("assignment, named", [
    ("STUDY=a';touch {F};'", "STUDY="),
    ("EXTRA_STUDIES=zz || touch {F}", "EXTRA_STUDIES names 'zz'"),
])
def test_shell_text_in_a_variable_never_runs(tmp_path, assignment, named):
    # -n still runs the `all` recipe (it calls $(MAKE)), so a pasted command would run here
    flag = tmp_path / "F"
    result = make("-n", "all", assignment.format(F=flag), f"OUT={tmp_path / 'out'}")
    assert result.returncode != 0 and named in result.stderr, result.stderr
    assert not flag.exists(), "the shell ran text from the variable"


@pytest.mark.parametrize("variable", ["OUT", "STUDY_FILE"])
def test_a_path_with_a_space_is_refused_before_anything_is_created(tmp_path, variable):
    stray = "hostile-space-test"  # where a spaced OUT used to put a folder: inside the project
    spaced = f"{tmp_path / 'my out'} {stray}" if variable == "OUT" else f"{tmp_path / 'my study.yaml'}"
    others = ["STUDY=smoke"] + ([f"OUT={tmp_path / 'out'}"] if variable != "OUT" else [])
    before = project_listing()
    try:
        result = make("-n", "all", f"{variable}={spaced}", *others)
        assert result.returncode != 0, result.stderr
        assert f"{variable}='{spaced}' is not a path this build can use: a space" in result.stderr, result.stderr
        assert not list(tmp_path.iterdir()) and project_listing() == before
    finally:
        if stray not in before and (PROJECT / stray).is_dir():  # left by the old Makefile only
            shutil.rmtree(PROJECT / stray)


@pytest.mark.parametrize("jobs", ["0", "-1", "two", "1 2"])
def test_jobs_must_be_a_positive_integer(tmp_path, jobs):
    result = make("-n", "all", "STUDY=smoke", f"OUT={tmp_path / 'out'}", f"JOBS={jobs}")
    assert result.returncode != 0
    assert f"JOBS='{jobs}' is not a positive whole number" in result.stderr, result.stderr
    assert "Usage:" not in result.stdout + result.stderr and not list(tmp_path.iterdir())


def test_a_valid_jobs_and_out_still_build(tmp_path):
    result = make("-n", str(tmp_path / "out" / "build" / "smoke" / "params" / ".validated"),
                  "STUDY=smoke", f"OUT={tmp_path / 'out'}", "JOBS=3")
    assert result.returncode == 0, result.stderr
    assert "community_scaling.study smoke" in result.stdout


# ---- a failed notebook that left no message ----

def _notebook_without_error(path: Path) -> Path:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    return path


def test_a_failure_with_no_message_names_both_files(tmp_path, monkeypatch):
    failed, log = _notebook_without_error(tmp_path / "04.failed.ipynb"), tmp_path / "04.log"
    log.write_text("\n\n")
    monkeypatch.setattr(notebook_failure.shutil, "disk_usage", lambda _: SimpleNamespace(free=50 << 30))
    line = notebook_failure.summary("04_scaling_fits", "mine", failed, log)
    assert line == (f"error: notebook 04_scaling_fits of study mine failed: no error message was recorded "
                    f"(the failed notebook {failed} holds no error output; the papermill log {log} holds no message)")


def test_a_failure_with_no_message_on_a_full_disk_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(notebook_failure.shutil, "disk_usage", lambda _: SimpleNamespace(free=12 << 20))
    missing = tmp_path / "reports" / "03_sweep.failed.ipynb"  # the rename failed: neither file exists
    line = notebook_failure.summary("03_sweep", "mine", missing, tmp_path / "reports" / "03_sweep.log")
    assert "failed: no error message was recorded (the failed notebook " in line
    assert f"{missing} was not written; the papermill log {tmp_path / 'reports' / '03_sweep.log'} was not written)" in line
    assert line.endswith(f"; only 12 MB free on the disk of {tmp_path}: a full disk may have stopped it"), line


def test_a_log_gives_the_exception_not_a_later_line(tmp_path):
    log = tmp_path / "03.log"
    log.write_text("Traceback (most recent call last):\n  File 'x', line 1\nMemoryError\n"
                   "[W 12:00:00.000 papermill] kernel shut down\n")
    line = notebook_failure.summary("03_sweep", "mine", tmp_path / "missing.ipynb", log)
    assert line == f"error: notebook 03_sweep of study mine failed: MemoryError (full traceback: {log})"


def test_an_error_cell_without_a_message_gives_its_name(tmp_path):
    failed = tmp_path / "04.failed.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("error", ename="OSError", evalue="", traceback=["..."])])]), failed)
    assert "failed: OSError (with no message) (full traceback: " in notebook_failure.summary(
        "04_scaling_fits", "mine", failed, tmp_path / "none.log")


# ---- worker processes: every parallel step's idle workers go ----

def _loky_workers():
    import psutil
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "LokyProcess" in " ".join(child.cmdline()):
                found.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):  # another test's process, exited, not yet reaped
            pass
    return found


def test_idle_workers_of_the_shared_helper_exit(tmp_path):
    pids = set(workers.parallel(2)(delayed(os.getpid)() for _ in range(8)))
    assert os.getpid() not in pids  # the work ran in worker processes
    deadline = time.monotonic() + workers.IDLE_SECONDS + 20
    while _loky_workers() and time.monotonic() < deadline:
        time.sleep(1)
    assert not _loky_workers(), "loky workers alive 30 s after their work (loky's default keeps them 300 s)"


def test_every_parallel_step_goes_through_the_helper():
    """A joblib.Parallel made elsewhere keeps loky's 300 s idle workers (notebooks 04 and 33 had them);
    the sweep's Dask branch is the one exception (its workers are the cluster's)."""
    package = PROJECT / "src" / "community_scaling"
    made = {str(p.relative_to(package)): len(re.findall(r"\bParallel\(", p.read_text()))
            for p in package.rglob("*.py")}
    assert {name: n for name, n in made.items() if n} == {"workers.py": 1, "sweep.py": 1}


# ---- the scale benchmark's stand-in ----

def test_the_scale_stand_in_has_distinct_task_rows(tmp_path):
    from community_scaling import acs, ingest

    spec = importlib.util.spec_from_file_location("scale_benchmark", PROJECT / "benchmarks" / "scale_benchmark.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    if not benchmark.sample_file().exists():
        pytest.skip("the ACS sample is not mirrored")
    target = tmp_path / "psam_p01.csv"
    benchmark.write_stand_in(6000, target)
    problem = acs.task("ACSIncome")
    rows = acs.read_person_file(target, problem)
    assert len(rows) == 6000  # every task row survives the task's own filter
    train, test = rows.iloc[::2].assign(y=0), rows.iloc[1::2].assign(y=0)
    copies = ingest.duplicates_of_training_rows(train, test, problem.features)
    assert not copies.any(), f"{copies.sum()} of {len(test)} test rows copy a training row"
    source = acs.read_person_file(benchmark.sample_file(), problem)
    hours = rows.WKHP.to_numpy()
    assert np.all(np.isin(np.floor(hours), source.WKHP.to_numpy())) and (hours - np.floor(hours)).max() < 1
