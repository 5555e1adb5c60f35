"""Shared helpers of the COHERENT tests: data-release access that skips, naming the release."""

from __future__ import annotations

import pytest

from globalfit.data import release_path
from globalfit.errors import DataReleaseMissing
from globalfit.registry import get_likelihood


def need_release(name: str):
    """Folder of release ``name``, or skip the test saying which release is missing."""
    try:
        return release_path(name)
    except DataReleaseMissing as exc:
        pytest.skip(f"needs data release {name!r}: {exc}")


@pytest.fixture(name="need_release")
def _need_release_fixture():
    """The :func:`need_release` helper, as a fixture (tests cannot import conftest)."""
    return need_release


@pytest.fixture(scope="session")
def lar():
    need_release("coherent/lar2020")
    return get_likelihood("coherent_lar_2020")


@pytest.fixture(scope="session")
def csi21():
    need_release("coherent/csi2021")
    return get_likelihood("coherent_csi_2021")


@pytest.fixture(scope="session")
def csi17():
    return get_likelihood("coherent_csi_2017")
