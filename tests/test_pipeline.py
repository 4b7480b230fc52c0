"""The build graph is declared once (pipeline.py): the Makefile's rules are generated from it,
notebooks load only what it declares, and Make picks each study's notebooks by its kind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from community_scaling import pipeline
from community_scaling.io import InputError

PROJECT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent.parent


def test_pipeline_mk_is_generated_from_the_declaration():
    assert (PROJECT / "pipeline.mk").read_text() == pipeline.makefile_rules(), "run `make pipeline`"


def test_every_declared_notebook_exists_and_every_read_is_written_before():
    for kind, steps in pipeline.PIPELINES.items():
        written = set()
        for step in steps:
            assert (PROJECT / "notebooks" / f"{step.notebook}.py").exists(), step.notebook
            assert set(step.reads) <= written, (kind, step.notebook, set(step.reads) - written)
            written |= set(step.writes)


def test_a_notebook_cannot_load_an_undeclared_table():
    pipeline.check_read("published_results", "22_model_size", "evaluations")
    with pytest.raises(InputError, match="22_model_size loads table 'units'.*declare it"):
        pipeline.check_read("published_results", "22_model_size", "units")
    with pytest.raises(InputError, match="unknown kind of study 'rater'"):
        pipeline.steps("rater")


def _dry_run(tmp_path, study):
    result = subprocess.run(["make", "-n", "build", f"STUDY={study}", f"OUT={tmp_path}", f"VENV={VENV}"],
                            cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize("study, expected, absent", [
    ("llm_multilingual", ["21_published_results", "22_model_size", "08_claims"], ["03_sweep"]),
    ("smoke", ["01_ingest", "03_sweep", "07_cost", "08_claims"], ["22_model_size"]),
])
def test_make_runs_the_notebooks_of_the_study_kind(tmp_path, study, expected, absent):
    planned = _dry_run(tmp_path, study)
    for notebook in expected:
        assert f"papermill {notebook}.ipynb [{study}]" in planned, notebook
    for notebook in absent:
        assert notebook not in planned


def test_a_kind_the_makefile_misread_is_an_error(tmp_path):
    study_file = tmp_path / "pub.yaml"
    study_file.write_text("study:\n  kind: published_results\npublished:\n  source: bloom_flores\n")
    result = subprocess.run([sys.executable, "-m", "community_scaling.study", "pub", "--study-file", str(study_file),
                             "--kind", "sweep"], capture_output=True, text=True)
    assert result.returncode != 0 and "Make read kind 'sweep' but the file says 'published_results'" in result.stderr
