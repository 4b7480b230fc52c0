"""Every folder the compendium reads or writes, resolved from this file.

Notebooks run from papermill, nbval, JupyterLab or a shell with different
working directories, so no path here depends on the cwd.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .io import InputError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PARAMS_DIR = PROJECT_ROOT / "params"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"

# Where generated files go; tests and `make OUT=...` move it.
OUTPUT_ROOT_ENV = "COMMUNITY_SCALING_OUTPUT"
# Where downloads are cached; tests point it at ../shared/data.
DATA_CACHE_ENV = "COMMUNITY_SCALING_DATA"
# A study name becomes a folder under every output tree (and `make clean` deletes those),
# so it may hold no path separator, no dot-dot and no space. The Makefile checks the same pattern.
STUDY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def check_study_name(study) -> str:
    """The name itself, or InputError saying what a study name may hold."""
    if not isinstance(study, str) or not STUDY_NAME.fullmatch(study):
        raise InputError(f"study name {study!r} is not allowed: use 1-64 letters, digits, '_' or '-', "
                         "starting with a letter or digit (it names folders that `make clean` deletes)")
    return study


def output_root(override: str | os.PathLike | None = None) -> Path:
    """Root of generated files: the argument, else $COMMUNITY_SCALING_OUTPUT, else the project."""
    value = override or os.environ.get(OUTPUT_ROOT_ENV) or PROJECT_ROOT
    return Path(value).expanduser().resolve()


def data_cache(override: str | os.PathLike | None = None) -> Path:
    """Download cache: the argument, else $COMMUNITY_SCALING_DATA, else data/raw."""
    value = override or os.environ.get(DATA_CACHE_ENV) or PROJECT_ROOT / "data" / "raw"
    return Path(value).expanduser().resolve()


class StudyPaths:
    """The folders of one study under an output root; the study is in every path."""

    def __init__(self, study: str, root: str | os.PathLike | None = None):
        self.study = check_study_name(study)
        self.root = output_root(root)
        self.processed = self.root / "data" / "processed" / study
        self.results = self.root / "results" / study
        self.unit_cache = self.results / "units"
        self.reports = self.root / "reports" / study
        self.notebooks = self.reports / "notebooks"
        self.html = self.reports / "html"
        self.figures = self.reports / "figures"

    def table(self, name: str) -> Path:
        """A tidy result table of this study (parquet)."""
        return self.results / f"{name}.parquet"

    def figure(self, name: str) -> Path:
        """Stem of a figure; plotting.save_figure adds .png and .pdf."""
        return self.figures / name

    def make_dirs(self) -> "StudyPaths":
        for folder in (self.processed, self.results, self.unit_cache, self.figures):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def study_file(study: str) -> Path:
    return PARAMS_DIR / f"{study}.yaml"
