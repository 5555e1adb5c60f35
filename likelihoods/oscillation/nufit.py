"""NuFIT 6.0 oscillation parameters: the Asimov truth point and the priors of the oscillation
nuisances shared by ``dune`` and ``t2hk`` (one module, so both declare identical priors).

Priors (global names ``theta12``, ``theta13``, ``theta23``, ``delta_cp``, ``dm21``, ``dm31``):

- theta12, theta13, dm21: truncated normals at the NuFIT 6.0 best fit, 1 sigma from the mean of the
  asymmetric errors, converted from sin^2(theta) with d sin^2(theta) = sin(2 theta) d theta.
  DUNE and T2HK do not measure these; external (solar, reactor) data fix them.
- theta23: flat in the angle over the NuFIT 6.0 3 sigma range of sin^2(theta23), 0.435-0.585,
  both octants (bimodal-capable); delta_cp: flat on [0, 2 pi); dm31: flat on [-3e-3, 3e-3] eV^2,
  so both mass orderings are allowed. DUNE and T2HK measure these far better than the priors.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from globalfit.errors import GlobalfitError, unknown
from globalfit.likelihood import load_data_card
from priors import Prior, TruncNormal, Uniform

ORDERINGS = ("NO", "IO")
#: NuFIT 6.0 3 sigma range of sin^2(theta23) (arXiv:2410.05380, with SK), both orderings.
SIN2_THETA23_3SIGMA = (0.435, 0.585)


@functools.cache
def card() -> dict[str, Any]:
    return load_data_card(Path(__file__).with_name("nufit60.toml"))


def best_fit(ordering: str = "NO") -> dict[str, float]:
    """NuFIT 6.0 best fit as engine parameters (radians, eV^2); dm31 = dm32 + dm21 for IO."""
    if ordering not in ORDERINGS:
        raise unknown("mass ordering", ordering, ORDERINGS)
    c = card()[ordering]
    out = {
        "theta12": math.asin(math.sqrt(c["sin2_theta12"][0])),
        "theta13": math.asin(math.sqrt(c["sin2_theta13"][0])),
        "theta23": math.asin(math.sqrt(c["sin2_theta23"][0])),
        "delta_cp": math.radians(c["delta_cp_deg"][0]),
        "dm21": c["dm21"][0],
    }
    out["dm31"] = c["dm3l"][0] if ordering == "NO" else c["dm3l"][0] + c["dm21"][0]
    return out


def truth_point(ordering: str = "NO",
                overrides: dict[str, float] | None = None) -> dict[str, float]:
    """Asimov truth: NuFIT 6.0 best fit of ``ordering`` with optional overrides by name."""
    out = best_fit(ordering)
    for k, v in (overrides or {}).items():
        if k not in out:
            raise unknown("oscillation parameter of the truth point", k, out)
        out[k] = float(v)
    return out


def _angle_sd(entry: list[float]) -> tuple[float, float]:
    s2, up, lo = entry
    th = math.asin(math.sqrt(s2))
    return th, 0.5 * (up + lo) / math.sin(2 * th)


def shared_priors() -> dict[str, Prior]:
    """Priors of the six oscillation nuisances (module docstring), identical for every user."""
    c = card()["NO"]
    th12, sd12 = _angle_sd(c["sin2_theta12"])
    th13, sd13 = _angle_sd(c["sin2_theta13"])
    lo23, hi23 = (math.asin(math.sqrt(x)) for x in SIN2_THETA23_3SIGMA)
    dm21, u21, l21 = c["dm21"]
    return {
        "theta12": TruncNormal(th12, sd12, 0.0, math.pi / 2),
        "theta13": TruncNormal(th13, sd13, 0.0, math.pi / 2),
        "theta23": Uniform(lo23, hi23),
        "delta_cp": Uniform(0.0, 2 * math.pi),
        "dm21": TruncNormal(dm21, 0.5 * (u21 + l21), 0.0, 1e-3),
        "dm31": Uniform(-3.0e-3, 3.0e-3),
    }


def check_ordering(value: str) -> str:
    if value not in ORDERINGS:
        raise GlobalfitError(f"mass_ordering must be 'NO' or 'IO', got {value!r}.")
    return value
