"""Priors: families (uniform, loguniform, normal, truncnormal, mirrorednormal, fixed) and default
sets per model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from globalfit.errors import GlobalfitError, unknown
from priors.defaults import PRIOR_SETS
from priors.families import (
    FAMILIES,
    Fixed,
    LogUniform,
    MirroredNormal,
    Normal,
    Prior,
    TruncNormal,
    Uniform,
)

_ARGS = {"uniform": ("min", "max"), "loguniform": ("min", "max"), "normal": ("mean", "sd"),
         "truncnormal": ("mean", "sd", "min", "max"), "mirrorednormal": ("mean", "sd", "mirror"),
         "fixed": ("value",)}


def prior_from_spec(name: str, spec: Any, model: str | None = None, prior_set: str = "default"
                    ) -> Prior:
    """Build a prior from a run-card entry: a number (fixed), ``{value = x}``, or
    ``{prior = "uniform", min = .., max = ..}`` (``prior = "default"``: the model's named set)."""
    if isinstance(spec, Prior):
        return spec
    if isinstance(spec, bool) or not isinstance(spec, int | float | Mapping):
        raise GlobalfitError(f"Parameter {name!r}: give a number or a table such as "
                             "{ prior = \"uniform\", min = 0, max = 1 }.")
    if isinstance(spec, int | float):
        return Fixed(float(spec))
    spec = dict(spec)
    if "value" in spec and "prior" not in spec:
        spec["prior"] = "fixed"
    kind = spec.pop("prior", None)
    if kind is None:
        raise GlobalfitError(f"Parameter {name!r} needs 'prior = ...' or 'value = ...'.")
    if not isinstance(kind, str):
        raise GlobalfitError(f"Parameter {name!r}: prior must be a name such as \"uniform\", "
                             f"not {kind!r}.")
    if kind == "default":
        if model is None:
            raise GlobalfitError(f"Parameter {name!r}: prior 'default' needs a model.")
        return default_prior(model, name, prior_set)
    if kind not in FAMILIES:
        raise unknown(f"prior for parameter {name!r}:", kind, FAMILIES)
    want = _ARGS[kind]
    for k in spec:
        if k not in want:
            raise unknown(f"key of the {kind} prior of {name!r}:", k, want)
    missing = [k for k in want if k not in spec]
    if missing:
        raise GlobalfitError(f"The {kind} prior of {name!r} needs {', '.join(missing)}.")
    try:
        if any(isinstance(spec[k], bool) for k in want):
            raise TypeError
        return FAMILIES[kind](**{k: float(spec[k]) for k in want})
    except (TypeError, ValueError):
        raise GlobalfitError(f"The {kind} prior of {name!r} needs numbers for "
                             f"{', '.join(want)}.") from None
    except GlobalfitError as exc:
        raise GlobalfitError(f"Parameter {name!r}: {exc}") from None


def default_prior(model: str, name: str, prior_set: str = "default") -> Prior:
    """The prior of ``name`` in the named set of ``model``."""
    sets = PRIOR_SETS.get(model, {})
    if prior_set not in sets:
        raise unknown(f"prior set of model {model!r}", prior_set, sets)
    if name not in sets[prior_set]:
        raise GlobalfitError(f"The prior set {prior_set!r} of model {model!r} has no {name!r}.")
    return sets[prior_set][name]


__all__ = ["FAMILIES", "PRIOR_SETS", "Fixed", "LogUniform", "MirroredNormal", "Normal", "Prior",
           "TruncNormal", "Uniform", "default_prior", "prior_from_spec"]
