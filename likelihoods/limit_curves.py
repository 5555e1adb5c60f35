"""Published limit curves of Z' searches: reading them, the CL -> Delta chi^2 convention, and the
recast of a limit quoted for an L_mu - L_tau Z' radiated off muons (CMS Z -> 4 mu, BaBar 4 mu).

Convention. A search excludes a signal strength above s_CL at confidence level CL. We read this
as a half-normal likelihood in the signal strength with its CL quantile at s_CL (the convention of
flavio's GaussianUpperLimit, used by the decay likelihoods too: ``decays.base.limit_sigma``):

    -2 ln L = z_CL^2 (s / s_CL)^2,   z_CL = sqrt(2) erfinv(CL),

z^2 = 3.84 for 95% CL and 2.71 for 90% CL, so the profile Delta chi^2 = z_CL^2 at the published
limit. A 90% CL limit on a coupling g whose signal scales as g^2 then gives a Delta chi^2 = 3.84
bound (3.84 / 2.71)^(1/4) = 1.091 times the published g_90: 9% weaker than reading g_90 as if it
were a 95% CL limit.

Recast by muon radiation. Where the Z' is radiated off a final-state muon (Z -> mu mu Z' at the
LHC, e+e- -> mu mu Z' at a B factory) and seen in Z' -> mu mu, the rate is proportional to
(g' Q'_mu)^2 BR(Z' -> mu mu). A limit g_ref(M) quoted for the L_mu - L_tau Z' (Q_mu = Q_nu_mu = 1,
Q_tau = Q_nu_tau = -1) with branching ratio BR_ref(M) constrains any charge set through

    g_eff^2 = g'^2 Q'_mu^2 BR(Z' -> mu mu) / BR_ref,

with BR from :mod:`globalfit.models.zprime_widths`. Diagrams in which the Z' attaches to other
fermions (quarks in pp, the beam electrons in e+e- for Q'_e != 0) are not included: for the
charge sets A, B (Q'_e = 0) the recast is complete at this order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import erfinv

from globalfit.errors import GlobalfitError
from globalfit.models.zprime_widths import branching_ratios

#: L_mu - L_tau charges in which CMS Z -> 4 mu and BaBar quote their g' limits.
LMU_LTAU_CHARGES = {"mu": 1.0, "tau": -1.0}


def chi2_at_limit(cl: float) -> float:
    """Delta chi^2 at a published one-sided limit of confidence level ``cl``: (sqrt2 erfinv(cl))^2
    (3.841 at 95%, 2.706 at 90%)."""
    return (math.sqrt(2.0) * float(erfinv(cl))) ** 2


def read_csv(path: Path) -> np.ndarray:
    """Numeric rows of a release CSV (lines starting with a digit; comments and the column-name
    line are skipped), as a 2-D array."""
    rows = [ln for ln in path.read_text().splitlines() if ln[:1].isdigit()]
    return np.loadtxt(rows, delimiter=",", ndmin=2)


def curve_option(table: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(M [GeV], g') of a user's limit curve ``{mass_GeV = [...], g_prime = [...]}``, checked;
    ``what`` names the option in the error message."""
    if not isinstance(table, Mapping) or "mass_GeV" not in table or "g_prime" not in table:
        raise GlobalfitError(f"The {what} must have lists mass_GeV and g_prime.")
    try:
        m, g = np.asarray(table["mass_GeV"], float), np.asarray(table["g_prime"], float)
    except (TypeError, ValueError):
        raise GlobalfitError(f"The {what} must hold numbers (masses in GeV, couplings).") from None
    if m.ndim != 1 or m.shape != g.shape or m.size < 2 or np.any(np.diff(m) <= 0) \
            or np.any(g <= 0):
        raise GlobalfitError(f"The {what} needs at least two increasing masses and as many "
                             "positive couplings.")
    return m, g


def lmu_ltau_br(m: Any) -> Any:
    """BR(Z' -> mu mu) of the L_mu - L_tau Z' at mass m [GeV] (muon and tau masses included)."""
    return branching_ratios(1.0, m, LMU_LTAU_CHARGES)["mumu"]


def muon_radiation_g2_eff(g: Any, m: Any, charges: Mapping[str, float], br_ref: Any) -> Any:
    """g_eff^2 of the L_mu - L_tau Z' (branching ratio ``br_ref``) with the same muon-radiation
    signal as a Z' of coupling g, mass m [GeV] and ``charges`` (module docstring)."""
    br = branching_ratios(1.0, m, charges)["mumu"]
    return g**2 * charges.get("mu", 0.0) ** 2 * br / br_ref
