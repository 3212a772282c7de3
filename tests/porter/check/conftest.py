"""A sample project for the check tests: the models of examples/ci/sample, and configs written per test."""

import shutil
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "ci" / "sample"


def make_project(directory: Path, config: str, name: str = "porter.toml") -> Path:
    """Copy the sample's models into directory and write the config there; returns the config's path."""
    if not (directory / "models").exists():
        shutil.copytree(SAMPLE / "models", directory / "models")
    path = directory / name
    path.write_text(config, encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path):
    return lambda config, name="porter.toml": make_project(tmp_path, config, name)
