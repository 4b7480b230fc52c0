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
    ("popquorn", ["31_rater_labels", "32_agreement", "33_rater_curves", "08_claims"], ["01_ingest"]),
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


@pytest.mark.slow
def test_two_studies_of_different_kinds_build_into_one_site(two_study_build):
    """The Make chain builds a published-results study beside the sweep study; the front page and
    the cross-study ledger hold both; a second make does nothing."""
    import pandas as pd

    from community_scaling import claims

    build = two_study_build  # the smoke build copied, then `make all STUDY=llm_multilingual` into its OUT
    out = build.out
    assert "papermill 22_model_size.ipynb [llm_multilingual]" in build.output
    ledger = pd.read_csv(out / "results" / "cross_study_ledger.csv")
    assert set(ledger.study) == {build.study, "llm_multilingual"}
    assert ledger.groupby("study").claim.apply(sorted).map(len).eq(7).all()
    published = ledger[ledger.study == "llm_multilingual"].set_index("claim").verdict
    assert published["C2"] == published["C5"] == "not applicable"  # no growing data, no measured values
    assert set(published) <= set(claims.VERDICTS)
    front = (out / "reports" / "index.html").read_text()
    assert 'href="llm_multilingual/index.html"' in front and f'href="{build.study}/index.html"' in front
    assert "Where studies disagree" in front
    second = build.make("all", study="llm_multilingual")
    assert "papermill" not in second, second[-2000:]
