"""What every sampler returns, before it becomes a result folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class SamplerOutput:
    """Raw output of one sampler run.

    ``samples`` are equally weighted, shape (chains, draws, ndim). Nested samplers also keep the
    weighted dead points (``weighted``: samples (N, ndim), logwt, logl, logl_birth: the
    contour each point was drawn inside) and the evidence.
    """

    sampler: str
    samples: np.ndarray
    settings: dict[str, Any]
    ncall: int
    wall_time: float
    logz: float | None = None
    logz_err: float | None = None
    weighted: dict[str, np.ndarray] | None = None
    sample_stats: dict[str, np.ndarray] = field(default_factory=dict)
    diagnostics: dict[str, Any] = field(default_factory=dict)
