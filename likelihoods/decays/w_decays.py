"""Leptonic W decays with phi emission, W -> l_a nu phi (physics.md section 4).

Gamma(W -> l_a nu phi) / Gamma_SM(W -> l_a nu) = sum_b |lambda_ab|^2 J(m_phi^2/M_W^2) / (64 pi^2),
the charged-lepton mass neglected (m_mu^2/M_W^2 = 2e-6).
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from globalfit.constants import pdg_mass
from globalfit.models.base import Point
from likelihoods.decays.base import FLAVOUR_INDEX, M_PHI_MIN, Component, DecayLikelihood
from likelihoods.decays.widths import j_function


def sm_branching(alpha_s: float) -> float:
    """SM BR(W -> l nu) = 1/(3 + 6 (1 + a + 1.409 a^2 - 12.77 a^3)), a = alpha_s/pi."""
    a = alpha_s / math.pi
    return 1.0 / (3.0 + 6.0 * (1.0 + a + 1.409 * a**2 - 12.77 * a**3))


class WDecays(DecayLikelihood):
    """BR(W -> e nu) and BR(W -> mu nu) against the SM, with phi radiated off the neutrino."""

    name = "w_decays"
    citation = "arXiv:1910.01132 (Table 1); PDG 2020"
    validity = "m_phi < 38.8 (e), 39.3 (mu) GeV (the seed's ranges); above them inert"
    card_file = "w_decays.toml"

    def setup(self) -> None:
        sm = self.card["sm"]
        self.m_w = pdg_mass("W+")
        self.br_sm = sm_branching(sm["alpha_s_mw"])
        sigma_sm = abs(sm_branching(sm["alpha_s_mw"] + sm["alpha_s_mw_sigma"]) - self.br_sm)
        self.all_components, self.flavour = {}, {}
        for r in self.card["channel"]:
            self.all_components[r["name"]] = Component(r["name"], r, self.br_sm, sigma_sm)
            self.flavour[r["name"]] = FLAVOUR_INDEX[r["lepton"]]
        self.select()

    def br_phi_vector(self, point: Point) -> Any:
        lam, m_phi = point.scalar_couplings()
        row_sums = jnp.sum(jnp.abs(lam) ** 2, axis=1)
        a = jnp.maximum(m_phi, M_PHI_MIN) ** 2 / self.m_w**2
        j = jnp.where(a < 1.0, jnp.maximum(j_function(jnp.minimum(a, 1.0)), 0.0), 0.0)
        ratio = j / (64.0 * math.pi**2)
        flav = np.array([self.flavour[c.name] for c in self.components_used])
        return self.br_sm * row_sums[flav] * ratio
