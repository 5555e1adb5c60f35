"""Models: parameter spaces and the capabilities they provide (physics.md section 1)."""

from __future__ import annotations

from typing import Any

from globalfit.errors import GlobalfitError, unknown
from globalfit.models.base import (
    CAPABILITIES,
    FERMIONS,
    FLAVOURS,
    Model,
    ParameterSpec,
    Point,
    ScalarCouplings,
    ZprimeCouplings,
)
from globalfit.models.nsi import NSIModel
from globalfit.models.scalar import ScalarModel
from globalfit.models.zprime import CHARGE_SETS, ZprimeModel

MODELS: dict[str, type[Model]] = {m.name: m for m in (NSIModel, ZprimeModel, ScalarModel)}


def list_models() -> list[str]:
    return sorted(MODELS)


def get_model(name: str | Model, **options: Any) -> Model:
    """Return the model ``name`` (``nsi``, ``zprime``, ``scalar``) built with ``options``."""
    if isinstance(name, Model):
        return name
    if name not in MODELS:
        raise unknown("model", name, MODELS)
    try:
        return MODELS[name](**options)
    except TypeError as exc:
        import inspect

        allowed = [p for p in inspect.signature(MODELS[name]).parameters if p != "self"]
        bad = next((k for k in options if k not in allowed), None)
        if bad is None:
            raise GlobalfitError(f"Bad options for model {name!r}: {exc}.") from None
        raise unknown(f"option of model {name!r}", bad, allowed) from None


__all__ = [
    "CAPABILITIES", "CHARGE_SETS", "FERMIONS", "FLAVOURS", "MODELS", "Model", "NSIModel",
    "ParameterSpec", "Point", "ScalarCouplings", "ScalarModel", "ZprimeCouplings", "ZprimeModel",
    "get_model", "list_models",
]
