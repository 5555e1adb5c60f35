"""Shared fixtures. Tests that need a full data release use ``release`` and skip, naming it, when
it is absent (CI sets GLOBALFIT_DATA_DIR to ../shared/data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import globalfit  # noqa: F401  (enables float64 in JAX before any test builds arrays)

REPO = Path(__file__).resolve().parents[1]

if "GLOBALFIT_DATA_DIR" not in os.environ and (REPO.parent / "shared" / "data").is_dir():
    os.environ["GLOBALFIT_DATA_DIR"] = str(REPO.parent / "shared" / "data")


def require_release(name: str) -> Path:
    """The folder of release ``name``, or skip the test saying which release is missing."""
    from globalfit.data import locate

    folder = locate(name)
    if folder is None:
        pytest.skip(f"data release {name!r} not found (set GLOBALFIT_DATA_DIR or run "
                    f"'globalfit data fetch {name}')")
    from globalfit.data import release_path

    return release_path(name)


@pytest.fixture
def release():
    return require_release
