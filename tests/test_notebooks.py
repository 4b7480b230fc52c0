"""The notebooks as a reader meets them: clean sources, runnable under nbval,
and the Make chain end to end on the small study, into a temporary folder."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pandas as pd
import pytest
import yaml

from community_scaling import claims, pipeline, study
from community_scaling.io import read_parquet_metadata
from community_scaling.study import NOTEBOOK_PARAMETERS

PROJECT = Path(__file__).resolve().parents[1]
SOURCES = sorted((PROJECT / "notebooks").glob("[0-9][0-9]_*.py"))
NAMES = [p.stem for p in SOURCES]
VENV = Path(sys.executable).parent.parent
SWEEP_NOTEBOOKS = [step.notebook for step in pipeline.steps("sweep")]  # what the smoke study runs


def test_notebooks_are_the_declared_pipelines():
    declared = {s.notebook for steps in pipeline.PIPELINES.values() for s in steps}
    assert set(NAMES) == declared
    for steps in pipeline.PIPELINES.values():  # each kind's argument runs in its numbered order, the ledger last
        order = [s.notebook for s in steps]
        assert order == sorted(order[:-1]) + ["08_claims"]


@pytest.mark.parametrize("source", SOURCES, ids=NAMES)
def test_notebook_source_is_clean_and_paired(source):
    paired = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert paired.metadata.kernelspec.name == "python3"
    code = [c for c in paired.cells if c.cell_type == "code"]
    assert not any(c.get("outputs") for c in code), "committed notebooks carry no outputs"
    from_script = jupytext.read(source)
    assert [c.source for c in from_script.cells] == [c.source for c in paired.cells], \
        f"{source.name} and its .ipynb differ: run `make notebooks`"
    first = code[0]
    assert "parameters" in first.metadata.get("tags", [])
    tree = ast.parse(first.source)
    assert all(isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) for node in tree.body), \
        "the parameters cell holds literal defaults only"
    assert {t.id for node in tree.body for t in node.targets} == set(NOTEBOOK_PARAMETERS)
    assert "start(globals()" in code[1].source, "the cell after the parameters validates them"


def test_unknown_papermill_parameter_is_rejected(tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="unknown notebook parameter.*'stduy'"):
        papermill.execute_notebook(str(PROJECT / "notebooks" / "01_ingest.ipynb"), str(tmp_path / "out.ipynb"),
                                   parameters={"stduy": "census"}, kernel_name="python3", progress_bar=False)


def _env(tmp_path):
    return {**os.environ, "COMMUNITY_SCALING_OUTPUT": str(tmp_path / "out"), "PYTHONHASHSEED": "0"}


# nbval runs each kind's notebooks on a small study: the smoke study, and these over the mirror
# (fewer families, resamples, seeds and shuffles than the real studies; the same code paths).
NBVAL_STUDIES = {
    "sweep": None,  # the notebooks' own default, params/smoke.yaml
    "published_results": {"study": {"title": "nbval: BLOOM on the multilingual tasks (small)",
                                    "kind": "published_results"},
                          "published": {"source": "lm_eval_multilingual", "families": ["bloom"], "draws": 20}},
    "published_grid": {"study": {"title": "nbval: Pythia's grid at its last checkpoints (small)",
                                 "kind": "published_grid"},
                       "published": {"source": "pythia_grid", "min_step": 103000, "draws": 20},
                       "fits": {"extrapolation_doublings": 0.5}},
    "rater_labels": {"study": {"title": "nbval: POPQUORN by race (small)", "kind": "rater_labels"},
                     "raters": {"source": "popquorn", "attribute": "race", "positive_from": 3, "seeds": 2,
                                "bootstrap": 20, "permutations": 19, "conflict_permutations": 5},
                     "fits": {"bootstrap": 20}},
    "curve_database": {"study": {"title": "nbval: LCDB, two learners on three datasets (small)",
                                 "kind": "curve_database"},
                       "curves": {"learners": ["LogisticRegression", "RandomForestClassifier"], "max_datasets": 3,
                                  "curve_resamples": 20, "figure_curves": 2},
                       "fits": {"bootstrap": 20}},
}


def _notebooks_on_small_studies(folder: Path) -> list[Path]:
    """Each source notebook, copied into `folder` with its kind's small study set in its parameters cell
    (what papermill would inject); 08_claims runs once, on the smoke study, as in the declared order."""
    kinds = {s.notebook: kind for kind in reversed(list(pipeline.PIPELINES)) for s in pipeline.PIPELINES[kind]}
    copies = []
    for source in SOURCES:
        notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
        config = NBVAL_STUDIES[kinds[source.stem]]
        if config is not None:
            name = f"nbval_{kinds[source.stem]}"
            study_file = folder / f"{name}.yaml"
            study_file.write_text(yaml.safe_dump(config))
            cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
            cell.source = f'study = "{name}"\nstudy_file = "{study_file}"\noutput_root = ""\n'
        copies.append(folder / source.with_suffix(".ipynb").name)
        nbformat.write(notebook, copies[-1])
    return copies


def test_nbval_runs_a_valid_small_study_of_every_kind(tmp_path):
    assert set(NBVAL_STUDIES) == set(pipeline.PIPELINES)
    _notebooks_on_small_studies(tmp_path)
    for kind, config in NBVAL_STUDIES.items():
        if config is not None:
            assert study.load(f"nbval_{kind}", tmp_path / f"nbval_{kind}.yaml")["study"]["kind"] == kind
    parameters = [next(c for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code").source
                  for p in sorted(tmp_path.glob("*.ipynb"))]
    assert [re.search(r'study = "(\w+)"', p).group(1) for p in parameters] == (
        ["smoke"] * 8 + ["nbval_published_results"] * 2 + ["nbval_published_grid"] * 2 + ["nbval_rater_labels"] * 3
        + ["nbval_curve_database"] * 2)


@pytest.mark.slow
def test_notebooks_run_under_nbval(tmp_path):
    notebooks = [str(p) for p in _notebooks_on_small_studies(tmp_path)]
    assert len(notebooks) == len(SOURCES)
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                             "-q", "--rootdir", str(tmp_path), *notebooks], cwd=tmp_path, env=_env(tmp_path),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.mark.slow
def test_make_chain_end_to_end(smoke_build, tmp_path):
    build = smoke_build
    reports, results = build.reports, build.results
    # The build's output is the reader's progress, not noise: no warning from a Jupyter application
    # (the kernel's unencrypted-TCP warning is dropped, every rendered figure has alternative text).
    # Not yet checked: joblib's resource tracker sometimes warns of leaked memmapping folders when a
    # kernel exits with its worker pool alive (the sweep's and the fits' parallel code).
    noise = [line for line in build.output.splitlines() if re.search(r"\] WARNING \||Traceback", line)]
    assert not noise, noise[:10]
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT, capture_output=True, text=True).stdout.strip()
    for name in SWEEP_NOTEBOOKS:
        executed = (reports / "notebooks" / f"{name}.ipynb").read_text()
        assert (reports / "html" / f"{name}.html").stat().st_size > 10_000
        # every rendered notebook shows what produced it
        assert f"commit `{commit or 'unknown'}" in executed and "**Parameters:** smoketest.yaml" in executed, name
    assert "Claims ledger" in (reports / "index.html").read_text()
    assert "Claims ledger" in (build.out / "reports" / "index.html").read_text(), "the front page"
    ledger = pd.read_parquet(results / "ledger.parquet")
    assert sorted(ledger.claim) == [f"C{i}" for i in range(1, 8)]
    assert set(ledger.verdict) <= set(claims.VERDICTS) and ledger.level.eq(claims.LEVEL).all()
    evaluations = pd.read_parquet(results / "evaluations.parquet")
    assert {"model", "scale", "seed", "attribute", "community", "metric", "value"} <= set(evaluations.columns)
    assert evaluations.metric.nunique() >= 8
    meta = read_parquet_metadata(results / "evaluations.parquet")
    assert {"code", "parameter_hash", "data_sha256", "packages"} <= set(meta)
    assert json.loads((results / "evaluations.provenance.json").read_text())["parameter_hash"] == meta["parameter_hash"]
    check_figures_have_files_and_captions(reports / "figures", formats=("png", "pdf"))
    # the rendered notebook shows each figure it saved, with its caption
    rendered = (reports / "html" / "04_scaling_fits.html").read_text()
    assert rendered.count("<img") >= len(list((reports / "figures").glob("04_*.png")))
    assert "Figure <code>04_excess_error</code>" in rendered

    # Nothing changed: nothing to do.
    assert "papermill" not in build.make("all", dry=True)

    # A figure-only change re-runs the notebooks that draw, never the sweep. (A real run: Make
    # re-reads the section stamps' times after validating, which a dry run cannot.) On a copy,
    # so the shared build stays as built; the copy is up to date as the original was.
    build = smoke_build.copy(tmp_path / "changed")
    reports, results = build.reports, build.results
    assert "papermill" not in build.make("all", dry=True)
    units_before = {p: p.stat().st_mtime_ns for p in (results / "units").iterdir()}
    executed = lambda: {n: (reports / "notebooks" / f"{n}.ipynb").stat().st_mtime_ns for n in SWEEP_NOTEBOOKS}
    before = executed()
    config = yaml.safe_load(build.study_file.read_text())
    config["figures"]["dpi"] = 81
    build.study_file.write_text(yaml.safe_dump(config))
    build.make("all")
    after = executed()
    rerun = sorted(n for n in SWEEP_NOTEBOOKS if after[n] != before[n])
    assert {"04_scaling_fits", "08_claims"} <= set(rerun) and not {"01_ingest", "03_sweep"} & set(rerun), rerun
    assert {p: p.stat().st_mtime_ns for p in (results / "units").iterdir()} == units_before
    assert "papermill" not in build.make("all")


def check_figures_have_files_and_captions(folder, formats):
    """Every figure a notebook saved has each format and a caption saying what to look at."""
    captions = sorted(folder.glob("*.caption.json"))
    drawn = {p.stem for p in folder.glob("*.png")}
    assert captions and {json.loads(p.read_text())["figure"] for p in captions} == drawn
    for path in captions:
        record = json.loads(path.read_text())
        assert len(record["caption"]) > 40 and "Look" in record["caption"], record
        for fmt in formats:
            assert (folder / f"{record['figure']}.{fmt}").stat().st_size > 1000, (record["figure"], fmt)
    names = {json.loads(p.read_text())["figure"] for p in captions}
    assert {"04_excess_error", "08_verdict_matrix"} <= names and any(n.startswith("04_learning_curves_") for n in names)
