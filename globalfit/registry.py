"""Likelihood registry: every likelihood registers as an entry point in the group
``globalfit.likelihoods`` (``name = "module:Class"``), built-in ones and third-party packages
alike."""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from globalfit.errors import GlobalfitError, unknown
from globalfit.likelihood import Likelihood

GROUP = "globalfit.likelihoods"


@functools.cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def _available() -> dict[str, EntryPoint]:
    """Registered names whose module can be imported (planned likelihoods may not exist yet)."""
    return {n: ep for n, ep in _entry_points().items() if _load(n) is not None}


@functools.cache
def _load(name: str) -> type[Likelihood] | None:
    ep = _entry_points()[name]
    try:
        cls = ep.load()
    except ModuleNotFoundError as exc:
        # The registered module itself is absent (a planned likelihood): not available.
        # A missing dependency *inside* an existing module is a real error and propagates.
        if exc.name and ep.module.startswith(exc.name):
            return None
        raise
    if not (isinstance(cls, type) and issubclass(cls, Likelihood)):
        raise GlobalfitError(f"Entry point {name!r} ({ep.value}) is not a Likelihood subclass.")
    return cls


def list_likelihoods() -> list[str]:
    """Names of the registered likelihoods that can be loaded."""
    return sorted(_available())


def likelihood_class(name: str) -> type[Likelihood]:
    if name not in _entry_points():
        raise unknown("likelihood", name, _entry_points())
    cls = _load(name)
    if cls is None:
        raise GlobalfitError(
            f"Likelihood {name!r} is registered ({_entry_points()[name].value}) but its module "
            "cannot be imported; reinstall the package that provides it."
        )
    return cls


def get_likelihood(name: str, /, **options: Any) -> Likelihood:
    """Build the likelihood ``name`` with its keyword ``options``."""
    return likelihood_class(name)(**options)
