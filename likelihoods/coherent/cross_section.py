"""CEvNS cross section with vector NSI (physics.md 3).

    dsigma/dT = (G_F^2 M / pi) (1 - M T / (2 E^2)) F^2(q2) [ Q_aa^2 + sum_{b != a} |Q_ab|^2 ]
    Q_aa = Z (g_p^V + 2 eps^u_aa + eps^d_aa) + N (g_n^V + eps^u_aa + 2 eps^d_aa)
    Q_ab = Z (2 eps^u_ab + eps^d_ab) + N (eps^u_ab + 2 eps^d_ab)

with eps^{fV}_{ab} taken from the model at q2 = 2 M T (``point.eps_vector(q2)``), so a light Z'
propagator enters without special cases. The same vector formula holds for antineutrinos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import jax.numpy as jnp

from globalfit.constants import AMU_GEV, G_F, G_V_NEUTRON, G_V_PROTON, HBARC_GEV_FM
from globalfit.errors import unknown

#: 1 GeV^-2 in cm^2.
INV_GEV2_TO_CM2 = (HBARC_GEV_FM * 1e-13) ** 2

#: Nucleon vector couplings by name. Only the tree-level ones (physics.md 0) for now: the
#: radiatively corrected, flavour-dependent values are not yet checked against their paper.
WEAK_COUPLINGS = {
    "tree": (G_V_PROTON, G_V_NEUTRON),
}


def weak_couplings(name: str) -> tuple[float, float]:
    """(g_p^V, g_n^V) for ``tree`` (1/2 - 2 s_W^2, -1/2)."""
    if name not in WEAK_COUPLINGS:
        raise unknown("weak-coupling choice", name, WEAK_COUPLINGS)
    return WEAK_COUPLINGS[name]


@dataclass(frozen=True)
class Nucleus:
    """A target nucleus: name, Z, N and atomic mass [u] (the nuclear mass is taken as A_r x u)."""

    name: str
    Z: int
    N: int
    atomic_mass_u: float

    @property
    def A(self) -> int:
        return self.Z + self.N

    @property
    def mass_gev(self) -> float:
        return self.atomic_mass_u * AMU_GEV


def charges_squared(eps, Z: float, N: float, gp: float, gn: float):
    """Q_aa^2 + sum_{b != a} |Q_ab|^2 for each flavour a, shape ``eps.shape[:-3] + (3,)``.

    ``eps`` is eps^{fV}_{ab} with axes (..., f in e,u,d; a; b), as ``point.eps_vector`` returns.
    """
    eu, ed = eps[..., 1, :, :], eps[..., 2, :, :]
    q = Z * (2 * eu + ed) + N * (eu + 2 * ed) + (Z * gp + N * gn) * jnp.eye(3)
    return jnp.sum(jnp.real(q) ** 2 + jnp.imag(q) ** 2, axis=-1)


def dsigma_dT(E, T, nucleus: Nucleus, eps, F2=1.0, gp: float = G_V_PROTON,
              gn: float = G_V_NEUTRON):
    """dsigma/dT [cm^2 / GeV] for each flavour a (last axis), E and T in GeV (direct formula,
    used to test the precomputed rates; zero above T_max)."""
    M = nucleus.mass_gev
    kin = jnp.clip(1 - M * T / (2 * E**2), 0.0, None) * (T <= 2 * E**2 / (M + 2 * E))
    q2 = charges_squared(eps, nucleus.Z, nucleus.N, gp, gn)
    pref = G_F**2 * M / math.pi * INV_GEV2_TO_CM2
    return (pref * kin * F2)[..., None] * q2
