"""Shared fixtures: tests never write into the project, and read mirrored
downloads from ../shared/data (never a copy inside the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT.parent / "shared" / "data"


_SHARED_BUILDS = {"smoke_build", "two_study_build"}


def pytest_collection_modifyitems(items):
    # Under pytest-xdist (`make test` runs 2 workers, --dist loadgroup) every test that reads the
    # session's smoke build runs on one worker, so the build is made once, not once per worker.
    for item in items:
        if _SHARED_BUILDS & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("smoke_build"))


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
    that read a built site (the Make chain, the browser, the reproduction test's first run)."""

    def __init__(self, folder: Path, hash_seed: str = "0", fresh: bool = True):
        import shutil
        import sys

        self.folder = folder
        self.out = folder / "out"
        self.study = "smoketest"
        self.study_file = folder / f"{self.study}.yaml"
        self.venv = Path(sys.executable).parent.parent
        self.hash_seed = hash_seed
        self.studies = [self.study]  # the studies built under `out`
        if fresh:
            shutil.copy(PROJECT / "params" / "smoke.yaml", self.study_file)

    def copy(self, folder: Path) -> "SmokeBuild":
        """The build, study file included, copied to `folder` with its files' times (Make's
        view of it stays up to date): for a test that changes a build without re-building it."""
        import shutil

        shutil.copytree(self.folder, folder)
        return SmokeBuild(folder, self.hash_seed, fresh=False)

    def clean_twin(self, folder: Path, hash_seed: str) -> "SmokeBuild":
        """An unbuilt build of the same study file in `folder`, run under another hash seed."""
        import shutil

        folder.mkdir(parents=True)
        shutil.copy(self.study_file, folder / self.study_file.name)
        return SmokeBuild(folder, hash_seed, fresh=False)

    @property
    def reports(self) -> Path:
        return self.out / "reports" / self.study

    @property
    def results(self) -> Path:
        return self.out / "results" / self.study

    def run(self, *arguments, study=None):
        """make with these options and targets, for the small study or for `study` (its params/ file)
        into the same OUT; the finished process, whatever its exit status."""
        import os
        import subprocess

        chosen = [f"STUDY={study}"] if study else [f"STUDY={self.study}", f"STUDY_FILE={self.study_file}"]
        args = ["make", "-C", str(PROJECT), *arguments, *chosen, f"OUT={self.out}", f"VENV={self.venv}"]
        env = {**os.environ, "COMMUNITY_SCALING_OUTPUT": str(self.out), "PYTHONHASHSEED": self.hash_seed}
        if SHARED_DATA.exists():
            env["COMMUNITY_SCALING_DATA"] = str(SHARED_DATA)
        return subprocess.run(args, capture_output=True, text=True, env=env)

    def make(self, *targets, dry=False, study=None) -> str:
        """make that must succeed; its output (stdout, then stderr)."""
        result = self.run(*(["-n"] if dry else []), *targets, study=study)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        return result.stdout + result.stderr


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory) -> SmokeBuild:
    """The small study built once per session; read it, or change a copy (`smoke_build.copy`)."""
    import sys

    # make needs the environment stamp it normally creates; the tests run inside that environment.
    stamp = Path(sys.executable).parent.parent / ".installed"
    if not stamp.exists():
        pytest.skip(f"not inside the project environment ({stamp} missing); run `make test`")
    build = SmokeBuild(tmp_path_factory.mktemp("smoke-build"))
    build.output = build.make("all")
    return build


@pytest.fixture(scope="session")
def two_study_build(smoke_build, tmp_path_factory) -> SmokeBuild:
    """A copy of the smoke build with the published-results study llm_multilingual built beside
    it into one site (its first make's output in `.output`), for the pipeline and browser tests."""
    if not SHARED_DATA.exists():
        pytest.skip("the mirror of the published results (../shared/data) is not here")
    build = smoke_build.copy(tmp_path_factory.mktemp("two-studies") / "build")
    build.output = build.make("all", study="llm_multilingual")
    build.studies = [build.study, "llm_multilingual"]
    return build
