"""Shared fixtures: tests never write into the project, and read mirrored
downloads from ../shared/data (never a copy inside the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_output(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMUNITY_SCALING_OUTPUT", str(tmp_path / "out"))
    if SHARED_DATA.exists():
        monkeypatch.setenv("COMMUNITY_SCALING_DATA", str(SHARED_DATA))


@pytest.fixture
def write_study(tmp_path):
    """Write a study YAML into tmp_path and return its path."""
    import yaml

    def write(config: dict, name: str = "tmpstudy") -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config))
        return path

    return write


class SmokeBuild:
    """`make all` of the small study into a temporary folder, shared by the slow tests
    that read a built site (the Make chain, the browser)."""

    def __init__(self, folder: Path):
        import shutil
        import sys

        self.folder = folder
        self.out = folder / "out"
        self.study = "smoketest"
        self.study_file = folder / f"{self.study}.yaml"
        self.venv = Path(sys.executable).parent.parent
        shutil.copy(PROJECT / "params" / "smoke.yaml", self.study_file)

    @property
    def reports(self) -> Path:
        return self.out / "reports" / self.study

    @property
    def results(self) -> Path:
        return self.out / "results" / self.study

    def make(self, *targets, dry=False) -> str:
        import os
        import subprocess

        args = ["make", "-C", str(PROJECT), *targets, f"STUDY={self.study}", f"STUDY_FILE={self.study_file}",
                f"OUT={self.out}", f"VENV={self.venv}"]
        if dry:
            args.insert(1, "-n")
        env = {**os.environ, "COMMUNITY_SCALING_OUTPUT": str(self.out), "PYTHONHASHSEED": "0"}
        if SHARED_DATA.exists():
            env["COMMUNITY_SCALING_DATA"] = str(SHARED_DATA)
        result = subprocess.run(args, capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        return result.stdout + result.stderr


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory) -> SmokeBuild:
    """The small study built once per session; tests that change it leave it built."""
    import sys

    # make needs the environment stamp it normally creates; the tests run inside that environment.
    stamp = Path(sys.executable).parent.parent / ".installed"
    if not stamp.exists():
        pytest.skip(f"not inside the project environment ({stamp} missing); run `make test`")
    build = SmokeBuild(tmp_path_factory.mktemp("smoke-build"))
    build.output = build.make("all")
    return build
