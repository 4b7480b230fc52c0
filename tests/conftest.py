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
