"""Physical constants and unit conversions shared by all likelihoods (physics.md section 0).

Natural units, energies in GeV unless the name says otherwise. Masses, widths and lifetimes of
particles come from the PDG data in the ``particle`` package (see :func:`pdg_mass`), not from here.
"""

from __future__ import annotations

import functools
import math

#: Fermi constant [GeV^-2] (PDG 2024).
G_F = 1.1663788e-5
#: sin^2 theta_W in MS-bar at q -> 0 (PDG 2024, low-energy running value).
SIN2_THETA_W = 0.23857
#: Tree-level vector couplings of proton and neutron to the Z (physics.md section 0).
G_V_PROTON = 0.5 - 2.0 * SIN2_THETA_W
G_V_NEUTRON = -0.5
#: Fine-structure constant at q = 0.
ALPHA_EM = 1.0 / 137.035999084

#: hbar c [GeV fm].
HBARC_GEV_FM = 0.1973269804
#: 1 km in eV^-1 (physics.md: L[eV^-1] = L[km] x 5.0677307e9).
KM_TO_INV_EV = 5.0677307e9
#: sqrt(2) G_F N_e per (g/cm^3 x Y_e) in eV (physics.md section 0; GLoBES uses 7.63247e-14).
V_CC_EV_PER_GCM3 = 7.6325e-14
#: 1 cm^2 in GeV^-2.
CM2_TO_INV_GEV2 = 1.0 / (HBARC_GEV_FM * 1e-13) ** 2
#: Atomic mass unit [GeV].
AMU_GEV = 0.93149410242
#: Avogadro's number [1/mol].
AVOGADRO = 6.02214076e23

SQRT2 = math.sqrt(2.0)


@functools.cache
def pdg_mass(name: str) -> float:
    """Mass [GeV] of a particle by PDG name (``"mu-"``, ``"pi+"``, ``"Z0"``), from ``particle``."""
    from particle import Particle

    return Particle.from_name(name).mass / 1000.0


@functools.cache
def pdg_width(name: str) -> float:
    """Total width [GeV] by PDG name; from the lifetime where only that is tabulated."""
    from particle import Particle

    p = Particle.from_name(name)
    if p.width is not None and p.width > 0:
        return p.width / 1000.0
    hbar_gev_s = 6.582119569e-25
    return hbar_gev_s / (p.lifetime * 1e-9)  # particle gives lifetime in ns
