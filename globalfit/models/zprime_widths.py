"""Z' partial widths and branching ratios for any charge set (physics.md section 5).

A vector boson of mass M coupling as g Q_f (fbar gamma^mu f) Z'_mu to a Dirac fermion of mass m_f:

    Gamma(Z' -> f fbar) = N_c g^2 Q_f^2 M / (12 pi) (1 + 2 m_f^2/M^2) sqrt(1 - 4 m_f^2/M^2),

and to one left-handed neutrino flavour  Gamma(Z' -> nu nubar) = g^2 Q_nu^2 M / (24 pi).

Charges are given per fermion name: quarks ``u d c s t b``, charged leptons ``e mu tau`` and,
optionally, neutrinos ``nu_e nu_mu nu_tau`` (default: the charge of the lepton doublet, as in the
U(1)' models of arXiv:1910.03272; a dark photon passes zero neutrino charges).

Hadronic thresholds: a quark-level width is used for every quark, with the kinematic mass of the
lightest open hadronic channel of a vector current instead of the quark mass (u, d: 3 m_pi / 2, the
omega-like 3-pion threshold; s: m_K; c: m_D; b: m_B; t: the top pole mass). Above ~2 GeV this is the
parton-model width to a few per cent (QCD corrections (1 + alpha_s/pi) are not included); below
~2 GeV it is an approximation that ignores resonances (rho, omega, phi): the charged-lepton widths,
which the LHC searches use, are exact at tree level.

Every function is written in ``jax.numpy`` and works under ``jax.jit``, ``vmap`` and ``grad``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from globalfit.constants import pdg_mass

QUARKS = ("u", "d", "c", "s", "t", "b")
LEPTONS = ("e", "mu", "tau")
NEUTRINOS = ("nu_e", "nu_mu", "nu_tau")
#: Final-state channel names of :func:`branching_ratios`.
CHANNELS = ("ee", "mumu", "tautau", "nunu", "qq")


def kinematic_masses() -> dict[str, float]:
    """Kinematic mass [GeV] per fermion used in the phase-space factor (see module docstring)."""
    m_pi = pdg_mass("pi+")
    return {
        "u": 1.5 * m_pi, "d": 1.5 * m_pi, "s": pdg_mass("K+"), "c": pdg_mass("D0"),
        "b": pdg_mass("B+"), "t": pdg_mass("t"),
        "e": pdg_mass("e-"), "mu": pdg_mass("mu-"), "tau": pdg_mass("tau-"),
    }


def width_vector(g: Any, q: Any, m_z: Any, m_f: float, n_c: float = 1.0) -> Any:
    """Gamma(Z' -> f fbar) [GeV] for a vector coupling g q: N_c g^2 q^2 M/(12 pi) beta (1 + 2x)."""
    x = (m_f / m_z) ** 2
    open_ = 1.0 - 4.0 * x > 0.0
    beta = jnp.sqrt(jnp.where(open_, 1.0 - 4.0 * x, 1.0))
    return jnp.where(open_, n_c * g**2 * q**2 * m_z / (12.0 * math.pi) * (1.0 + 2.0 * x) * beta,
                     0.0)


def width_neutrino(g: Any, q: Any, m_z: Any) -> Any:
    """Gamma(Z' -> nu nubar) [GeV] for one left-handed flavour: g^2 q^2 M/(24 pi)."""
    return g**2 * q**2 * m_z / (24.0 * math.pi)


def partial_widths(g: Any, m_z: Any, charges: Mapping[str, float],
                   nu_charges: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Partial widths [GeV] by fermion: ``u d c s t b e mu tau nu_e nu_mu nu_tau``.

    ``charges`` maps fermion names to Q'_f (missing names count as zero). Neutrino charges are
    the charged lepton's (lepton doublet) when ``nu_charges`` is None, else read from it (missing
    names count as zero: a dark photon passes ``{}``).
    """
    mk = kinematic_masses()
    out: dict[str, Any] = {}
    for f in QUARKS:
        out[f] = width_vector(g, charges.get(f, 0.0), m_z, mk[f], 3.0)
    for f in LEPTONS:
        out[f] = width_vector(g, charges.get(f, 0.0), m_z, mk[f], 1.0)
    for lep, nu in zip(LEPTONS, NEUTRINOS, strict=True):
        qnu = charges.get(lep, 0.0) if nu_charges is None else nu_charges.get(nu, 0.0)
        out[nu] = width_neutrino(g, qnu, m_z)
    return out


def total_width(g: Any, m_z: Any, charges: Mapping[str, float],
                nu_charges: Mapping[str, float] | None = None) -> Any:
    """Total width [GeV] to Standard-Model fermions."""
    return sum(partial_widths(g, m_z, charges, nu_charges).values())


def branching_ratios(g: Any, m_z: Any, charges: Mapping[str, float],
                     nu_charges: Mapping[str, float] | None = None) -> dict[str, Any]:
    """Branching ratios by channel ``ee mumu tautau nunu qq`` (they sum to one).

    Branching ratios do not depend on g; g only sets the overall scale (and must not be zero:
    pass g = 1 when only ratios are wanted)."""
    w = partial_widths(g, m_z, charges, nu_charges)
    tot = sum(w.values())
    tot = jnp.where(tot > 0, tot, 1.0)
    return {"ee": w["e"] / tot, "mumu": w["mu"] / tot, "tautau": w["tau"] / tot,
            "nunu": (w["nu_e"] + w["nu_mu"] + w["nu_tau"]) / tot,
            "qq": sum(w[q] for q in QUARKS) / tot}
