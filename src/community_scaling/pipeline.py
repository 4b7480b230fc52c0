"""The build graph, declared once: for each kind of study, its notebooks in the order of the
argument, the study-file sections each reads, and the tables each reads and writes.

The Makefile includes the rules generated from this declaration (`pipeline.mk`, rewritten
by `make pipeline`; a test fails when the two differ), and a notebook may load only the
tables declared here (`Run.load_table`), so the graph cannot drift from the code.
Also declared here: the studies `make all` builds when no STUDY is given.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from .io import InputError

# `make all` without STUDY builds these, in this order: the census sweep, the published results of
# language-model families, and the rater-label studies (C5, people's values, is tested only on those).
# Heavy studies (a national ACS run) are opt-in by name: make all STUDY=acs_income_2018_all.
DEFAULT_STUDIES = ("census", "llm_multilingual", "pythia_crows_pairs", "bloom_flores", "opt_mmlu", "popquorn", "epic")

PROCESSED_PREFIX = "processed:"  # a table of data/processed/<study>/ rather than results/<study>/


@dataclass(frozen=True)
class Step:
    notebook: str
    sections: tuple[str, ...]
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    raw_inputs: bool = False  # reads the study's raw data files (Make lists them as prerequisites)


SWEEP = (
    Step("01_ingest", ("data", "evaluation"), writes=("processed:test", "datasheet"), raw_inputs=True),
    Step("02_communities", ("data", "evaluation", "sweep", "figures"), ("datasheet",), ("claims_02_communities",)),
    Step("03_sweep", ("data", "evaluation", "sweep", "representation"), ("processed:test", "datasheet"),
         ("units", "evaluations", "representation", "capacity_units")),
    Step("04_scaling_fits", ("evaluation", "fits", "figures"),
         ("evaluations", "units", "processed:test", "representation", "datasheet"),
         ("claims_04_scaling_fits", "trends")),
    Step("05_metrics", ("metrics", "evaluation", "figures"), ("evaluations", "units", "processed:test", "datasheet"),
         ("claims_05_metrics",)),
    Step("06_values", ("values", "figures"), ("units", "processed:test", "datasheet"), ("claims_06_values",)),
    Step("07_cost", ("evaluation", "cost", "figures"),
         ("units", "evaluations", "capacity_units", "processed:test", "datasheet"), ("claims_07_cost",)),
)

PUBLISHED = (
    Step("21_published_results", ("published", "figures"), writes=("evaluations", "compute", "datasheet"),
         raw_inputs=True),
    Step("22_model_size", ("published", "fits", "metrics", "cost", "figures"), ("evaluations", "compute", "datasheet"),
         ("claims_22_model_size", "curvature_by_group")),
)

# A family's sizes x training checkpoints (Pythia's grid): the tokens axis beside the parameters axis.
GRID = (
    Step("23_grid_results", ("published", "figures"), writes=("evaluations", "compute", "datasheet"),
         raw_inputs=True),
    Step("24_token_scaling", ("published", "fits", "metrics", "cost", "figures"),
         ("evaluations", "compute", "datasheet"), ("claims_24_token_scaling",)),
)

RATERS = (
    Step("31_rater_labels", ("raters", "figures"), writes=("ratings", "raters", "items", "datasheet", "claims_31_rater_labels"),
         raw_inputs=True),
    Step("32_agreement", ("raters", "figures"), ("ratings", "raters", "datasheet"), ("agreement",)),
    Step("33_rater_curves", ("raters", "fits", "figures"), ("ratings", "raters", "items", "datasheet"),
         ("evaluations", "community_exponents", "claims_33_rater_curves")),
)


CURVE_DATABASE = (
    Step("41_curve_database", ("curves", "figures"), writes=("curves", "datasets", "datasheet"), raw_inputs=True),
    Step("42_curve_claims", ("curves", "fits", "metrics", "cost", "figures"), ("curves", "datasets", "datasheet"),
         ("curve_margins", "curve_trends", "curve_curvatures", "curve_served", "claims_42_curve_claims")),
)


def _with_ledger(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    claim_tables = tuple(t for s in steps for t in s.writes if t.startswith("claims_"))
    return steps + (Step("08_claims", ("study", "figures"), claim_tables, ("ledger",)),)


PIPELINES: dict[str, tuple[Step, ...]] = {"sweep": _with_ledger(SWEEP), "published_results": _with_ledger(PUBLISHED),
                                          "published_grid": _with_ledger(GRID),
                                          "rater_labels": _with_ledger(RATERS),
                                          "curve_database": _with_ledger(CURVE_DATABASE)}


def steps(kind: str) -> tuple[Step, ...]:
    if kind not in PIPELINES:
        raise InputError(f"unknown kind of study {kind!r}; known: {sorted(PIPELINES)}")
    return PIPELINES[kind]


def step(kind: str, notebook: str) -> Step:
    found = [s for s in steps(kind) if s.notebook == notebook]
    if not found:
        raise InputError(f"notebook {notebook!r} is not part of a {kind!r} study; its notebooks: "
                         f"{[s.notebook for s in steps(kind)]}")
    return found[0]


def check_read(kind: str, notebook: str, table: str) -> None:
    """A notebook loads only the tables it declares (so Make re-runs it when they change)."""
    declared = step(kind, notebook).reads
    if table not in declared:
        raise InputError(f"notebook {notebook} loads table {table!r}, which src/community_scaling/pipeline.py does "
                         f"not declare among its reads {list(declared)}: declare it there and run `make pipeline`")


def _path(table: str) -> str:
    if table.startswith(PROCESSED_PREFIX):
        return f"$(PROCESSED)/{table.removeprefix(PROCESSED_PREFIX)}.parquet"
    return f"$(RESULTS)/{table}.parquet"


def makefile_rules() -> str:
    """The Makefile fragment: notebook lists per kind, and the rules of the kind the study declares."""
    lines = ["# Generated from src/community_scaling/pipeline.py by `make pipeline`: edit that file, not this one.",
             f"DEFAULT_STUDIES := {' '.join(DEFAULT_STUDIES)}",
             f"ALL_NOTEBOOKS := {' '.join(sorted({s.notebook for p in PIPELINES.values() for s in p}))}"]
    for kind, pipeline in PIPELINES.items():
        lines.append(f"NOTEBOOKS_{kind} := {' '.join(s.notebook for s in pipeline)}")
    for kind, pipeline in PIPELINES.items():
        lines += ["", f"ifeq ($(KIND),{kind})"]
        for s in pipeline:
            targets = " ".join([f"$(NB)/{s.notebook}.ipynb", *map(_path, s.writes)])
            prerequisites = " ".join([f"notebooks/{s.notebook}.ipynb", f"$(call section,{' '.join(s.sections)})",
                                      "$(SRC)", *map(_path, s.reads), *(["$(INPUT_STAMP)"] if s.raw_inputs else [])])
            lines += [f"{targets} &: \\", f"  {prerequisites}", "\t$(papermill)", ""]
        lines[-1:] = ["endif"]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write the Makefile rules generated from the pipeline declaration.")
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    args.output.write_text(makefile_rules())
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
