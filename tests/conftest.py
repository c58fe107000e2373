"""Shared fixtures: the embedded data, the shared reference data, small tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sarcoform as sf

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SARCOFORM_SHARED", ROOT.parent / "shared")) / "data"


@pytest.fixture(scope="session")
def foods() -> sf.FoodTable:
    return sf.load_foods()


@pytest.fixture(scope="session")
def spec() -> sf.ConstraintSet:
    return sf.load_spec()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared reference data not found at {SHARED_DATA}")
    return SHARED_DATA
