"""NuFIT 6.0 oscillation parameters: the Asimov truth point and the priors of the oscillation
nuisances shared by ``dune`` and ``t2hk`` (one module, so both declare identical priors).

Priors (global names ``theta12``, ``theta13``, ``theta23``, ``delta_cp``, ``dm21``, ``dm31``),
``osc_priors`` option of the likelihoods:

- ``"nufit"`` (default; what published DUNE/T2HK projections do): truncated normals centred on
  the Asimov truth (the NuFIT 6.0 best fit of the chosen mass ordering unless the likelihood's
  ``truth`` option moves a parameter) for theta12, theta13, dm21, theta23 and dm31, with the
  NuFIT 6.0 1 sigma (mean of the asymmetric errors; angles converted from sin^2(theta) with
  d sin^2(theta) = sin(2 theta) d theta); dm31 truncated to the sign of that ordering (ordering
  fixed to the true one); delta_cp flat on [0, 2 pi) (DUNE and T2HK measure it).
- ``"wide"`` (every degenerate solution allowed, "both LMA and LMA-D"): theta13, dm21 as above;
  theta12 the same Gaussian or its mirror image pi/2 - theta12 (the dark octant), equal weights;
  theta23 flat in the angle over the NuFIT 6.0 3 sigma range of sin^2(theta23), 0.435-0.585,
  both octants (bimodal-capable); delta_cp flat; dm31 flat on [-3e-3, 3e-3] eV^2 (both
  orderings). With these, the mu-tau NSI directions are degenerate with theta23 and dm31
  (docs/oscillation.md).
- ``"measured"`` (the real-data likelihoods ``minos_2017`` and ``superk_atm_2023``, which measure
  theta23, dm31 and delta themselves): theta12, theta13, dm21 as above (NuFIT 6.0, the
  parameters these data do not constrain); theta23 flat in the angle over sin^2 in [0.3, 0.7];
  delta_cp flat; dm31 flat over |dm31| in [1.5e-3, 3.5e-3] eV^2 with the sign of the ordering.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

from globalfit.errors import GlobalfitError, unknown
from globalfit.likelihood import load_data_card
from priors import MirroredNormal, Prior, TruncNormal, Uniform

ORDERINGS = ("NO", "IO")
PRIOR_MODES = ("nufit", "wide", "measured")
#: flat ranges of the "measured" priors: sin^2(theta23) and |dm31| [eV^2]
MEASURED_SIN2_THETA23 = (0.3, 0.7)
MEASURED_ABS_DM31 = (1.5e-3, 3.5e-3)
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


def _angle_sd(entry: list[float], theta: float) -> float:
    """1 sigma in the angle at ``theta`` from the card's sin^2 errors,
    d sin^2(theta) = sin(2 theta) d theta."""
    _, up, lo = entry
    return 0.5 * (up + lo) / math.sin(2 * theta)


def shared_priors(ordering: str = "NO", mode: str = "nufit",
                  truth: dict[str, float] | None = None) -> dict[str, Prior]:
    """Priors of the six oscillation nuisances (module docstring), identical for every user
    with the same ``ordering``, ``mode`` and ``truth``. The Gaussian priors are centred on the
    Asimov truth point (NuFIT 6.0 unless ``truth`` overrides a parameter: an Asimov projection
    assumes the external measurements centred on the true values) with NuFIT 6.0 widths."""
    check_ordering(ordering)
    if mode not in PRIOR_MODES:
        raise unknown("oscillation prior mode (osc_priors)", mode, PRIOR_MODES)
    c = card()[ordering]
    bf = truth_point(ordering, truth)
    th12, th13, dm21 = bf["theta12"], bf["theta13"], bf["dm21"]
    sd12 = _angle_sd(c["sin2_theta12"], th12)
    sd13 = _angle_sd(c["sin2_theta13"], th13)
    _, u21, l21 = c["dm21"]
    out: dict[str, Prior] = {
        "theta12": TruncNormal(th12, sd12, 0.0, math.pi / 2),
        "theta13": TruncNormal(th13, sd13, 0.0, math.pi / 2),
        "delta_cp": Uniform(0.0, 2 * math.pi),
        "dm21": TruncNormal(dm21, 0.5 * (u21 + l21), 0.0, 1e-3),
    }
    if mode == "measured":
        lo23, hi23 = (math.asin(math.sqrt(x)) for x in MEASURED_SIN2_THETA23)
        out["theta23"] = Uniform(lo23, hi23)
        lo, hi = MEASURED_ABS_DM31
        out["dm31"] = Uniform(lo, hi) if ordering == "NO" else Uniform(-hi, -lo)
    elif mode == "wide":
        # both LMA and LMA-D: theta12 in its light or dark octant (physics.md 2)
        out["theta12"] = MirroredNormal(th12, sd12, math.pi / 4)
        lo23, hi23 = (math.asin(math.sqrt(x)) for x in SIN2_THETA23_3SIGMA)
        if not lo23 <= bf["theta23"] <= hi23 or not -3.0e-3 < bf["dm31"] < 3.0e-3:
            raise GlobalfitError(
                "The truth point lies outside the 'wide' priors (sin^2 theta23 in "
                f"{SIN2_THETA23_3SIGMA}, |dm31| < 3e-3 eV^2); move it inside or use "
                "osc_priors = 'nufit'.")
        out["theta23"] = Uniform(lo23, hi23)
        out["dm31"] = Uniform(-3.0e-3, 3.0e-3)
    else:
        th23 = bf["theta23"]
        sd23 = _angle_sd(c["sin2_theta23"], th23)
        sd31 = 0.5 * (c["dm3l"][1] + c["dm3l"][2])
        out["theta23"] = TruncNormal(th23, sd23, 0.0, math.pi / 2)
        out["dm31"] = (TruncNormal(bf["dm31"], sd31, 0.0, 1e-2) if ordering == "NO"
                       else TruncNormal(bf["dm31"], sd31, -1e-2, 0.0))
    return {k: out[k] for k in ("theta12", "theta13", "theta23", "delta_cp", "dm21", "dm31")}


def check_ordering(value: str) -> str:
    if value not in ORDERINGS:
        raise GlobalfitError(f"mass_ordering must be 'NO' or 'IO', got {value!r}.")
    return value
