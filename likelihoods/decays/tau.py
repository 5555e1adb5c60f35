"""Leptonic tau decays with phi emission, tau- -> l- nubar_l nu_tau phi (physics.md section 4).

A four-body decay. By the mass-convolution identity (docs/decays.md) its width is

    Gamma_phi = Gamma_0 (sum_b |lambda_lb|^2 + sum_b |lambda_tau b|^2) K(m_phi),
    K = 1/(32 pi^2) int dy g(y; x_l) (y - x_phi)^2 / y^3,

with Gamma_0 = G_F^2 m_tau^5/(192 pi^3) and g the SM width with the emitting neutrino given mass^2
y m_tau^2 (the same function for the nubar_l and the nu_tau leg). K is integrated numerically once
(fixed Gauss-Legendre, ``widths.tau_table``) and interpolated (``base.LogitTable``).
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from globalfit.constants import G_F, pdg_mass, pdg_width
from globalfit.models.base import Point
from likelihoods.decays import widths
from likelihoods.decays.base import FLAVOUR_INDEX, Component, DecayLikelihood, LogitTable


def gamma0(m_tau: float) -> float:
    """G_F^2 m_tau^5 / (192 pi^3) [GeV]."""
    return G_F**2 * m_tau**5 / (192.0 * math.pi**3)


def sm_branching(m_tau: float, m_l: float, width: float, alpha: float, m_w: float) -> float:
    """SM BR(tau -> l nu nu) with the leading W-propagator and QED corrections."""
    r_w = 1.0 + 0.6 * m_tau**2 / m_w**2
    r_g = 1.0 + alpha / (2.0 * math.pi) * (25.0 / 4.0 - math.pi**2)
    return gamma0(m_tau) * float(widths.michel_f((m_l / m_tau) ** 2)) * r_w * r_g / width


class TauDecays(DecayLikelihood):
    """tau -> e nu nu and tau -> mu nu nu branching ratios with a radiated phi."""

    name = "tau_decays"
    citation = "arXiv:1910.01132 (Table 1); PDG; Marciano and Sirlin PRL 61 (1988) 1815"
    validity = "m_phi < 0.741 GeV (the seed's range); above it the likelihood is inert"
    card_file = "tau.toml"

    def setup(self) -> None:
        m_tau, width, m_w = pdg_mass("tau-"), pdg_width("tau-"), pdg_mass("W+")
        sm = self.card["sm"]
        self.all_components, self.rows = {}, {}
        for row in self.card["channel"]:
            m_l = pdg_mass(row["lepton"])
            br_sm = sm_branching(m_tau, m_l, width, sm["alpha_mtau"], m_w)
            self.all_components[row["name"]] = Component(row["name"], row, br_sm,
                                                          br_sm * sm["rel_sigma"])
            self.rows[row["name"]] = {
                "flavour": FLAVOUR_INDEX[row["lepton"].rstrip("-")],
                "norm": gamma0(m_tau) / width,
                "m_end": m_tau - m_l,
                "table": widths.tau_table(m_tau, m_l, "nubar"),
                "br_sm": br_sm,
            }
        self.select()
        used = [self.rows[c.name] for c in self.components_used]
        self.table = LogitTable([r["m_end"] for r in used], [r["table"] for r in used])
        self.flavours = np.array([r["flavour"] for r in used])
        self.norm = gamma0(m_tau) / width

    def br_phi_vector(self, point: Point) -> Any:
        lam, m_phi = point.scalar_couplings()
        row_sums = jnp.sum(jnp.abs(lam) ** 2, axis=1)
        # emission from the nubar_l leg (lambda_lb) and from the nu_tau leg (lambda_tau b)
        return self.norm * (row_sums[self.flavours] + row_sums[2]) * self.table(m_phi)
