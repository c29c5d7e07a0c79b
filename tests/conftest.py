"""Shared fixtures: a small valid dataset (tests/fixtures/mini) and the embedded demo dataset."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from paths import MINI_DIR

import costing as ct


@pytest.fixture
def valid_dataset_dir(tmp_path: Path) -> Path:
    """A fresh copy of the hand-made valid dataset (2 municipalities, 2 years, every table).

    It carries its own small reference tables (overriding the shipped ones), so tests that
    mutate it do not depend on the package's reference data.
    """
    target = tmp_path / "mini"
    shutil.copytree(MINI_DIR, target)
    return target


@pytest.fixture(scope="session")
def mini() -> ct.Dataset:
    """The mini dataset, loaded once (do not modify its tables in place)."""
    return ct.load_dataset(MINI_DIR)


@pytest.fixture(scope="session")
def demo() -> ct.Dataset:
    """The embedded demo dataset (shipped in the package; ``data/demo`` links to it)."""
    return ct.demo_dataset()
