"""What the unit-cube samplers (UltraNest, nautilus) share: they sample the unit cube with an
identity prior transform and call :meth:`Fit.cube_loglike` on whole batches of points (the prior
transform runs inside the same jitted call); their weighted samples are mapped onto the
parameters once at the end, here."""

from __future__ import annotations

import importlib
import math
from types import ModuleType
from typing import Any

import numpy as np

from globalfit.errors import GlobalfitError
from globalfit.samplers.base import SamplerOutput


def optional(module: str, sampler: str) -> ModuleType:
    """Import an optional sampler library or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise GlobalfitError(
            f"Sampler {sampler!r} needs the package {module!r}, which is not installed; "
            "install the optional samplers with: pip install \"globalfit[samplers]\"") from None


def identity(u: np.ndarray) -> np.ndarray:
    return np.array(u, dtype=float)


def kish_ess(logwt: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 of log-weights."""
    w = np.exp(logwt - np.max(logwt))
    return float(w.sum() ** 2 / np.sum(w**2))


def output(name: str, fit: Any, u: np.ndarray, logwt: np.ndarray, logl: np.ndarray,
           logz: float, logz_err: float, ncall: int, wall: float, settings: dict[str, Any],
           diagnostics: dict[str, Any] | None = None) -> SamplerOutput:
    """A :class:`SamplerOutput` from weighted unit-cube samples: parameters by the prior
    transform, equally weighted draws by systematic resampling (seeded by the card's seed)."""
    from dynesty.utils import resample_equal

    points = fit.prior_transform(np.asarray(u, float))
    w = np.exp(logwt - np.max(logwt))
    rng = np.random.default_rng(int(settings["seed"]))
    equal = resample_equal(points, w / w.sum(), rstate=rng)
    if not (math.isfinite(logz) and np.all(np.isfinite(points))):
        raise GlobalfitError(f"{name} returned a non-finite evidence or sample.")
    return SamplerOutput(
        sampler=name, samples=equal[None, :, :], settings=settings, ncall=int(ncall),
        wall_time=wall, logz=float(logz), logz_err=float(logz_err),
        weighted={"samples": points, "logwt": np.asarray(logwt, float),
                  "logl": np.asarray(logl, float)},
        diagnostics={"ess": kish_ess(logwt), **(diagnostics or {})},
    )
