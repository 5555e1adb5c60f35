"""Leptonic meson decays with phi emission, P- -> l- nubar phi (physics.md section 4).

Gamma = G_F^2 |V_qq'|^2 f_P^2 m_P^3 sum_b |lambda_lb|^2 / (256 pi^3) I(x_l, x_phi)
(arXiv:1910.01132, meson-decay width; I(0, 0) = 1/3), with I tabulated once in ln m_phi
(``widths.meson_table``).
Every row of the seed's table is a named channel (``channels`` / ``exclude`` options).
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp
import numpy as np

from globalfit.constants import G_F, pdg_mass, pdg_width
from globalfit.models.base import Point
from likelihoods.decays import widths
from likelihoods.decays.base import FLAVOUR_INDEX, Component, DecayLikelihood, LogitTable, inputs

LEPTON_FLAVOUR = {"e-": "e", "mu-": "mu"}


def meson_prefactor(m_p: float, f_p: float, v: float) -> float:
    """G_F^2 |V|^2 f_P^2 m_P^3 / (256 pi^3) [GeV]; Gamma_phi = this x I x sum_b |lambda_lb|^2."""
    return G_F**2 * v**2 * f_p**2 * m_p**3 / (256.0 * math.pi**3)


def sm_two_body(m_p: float, m_l: float, f_p: float, v: float) -> float:
    """SM Gamma(P -> l nu) = G_F^2 |V|^2 f_P^2 m_P m_l^2 (1 - m_l^2/m_P^2)^2 / (8 pi) [GeV]
    (tree level, no radiative corrections)."""
    return G_F**2 * v**2 * f_p**2 * m_p * m_l**2 * (1.0 - m_l**2 / m_p**2) ** 2 / (8.0 * math.pi)


class MesonDecays(DecayLikelihood):
    """Charged-meson decays pi, K, D, Ds, B -> (e, mu) + missing with a radiated phi."""

    name = "meson_decays"
    citation = "arXiv:1910.01132 (Table 1 and the meson-decay width); PDG; FLAG 2019"
    validity = "m_phi below each channel's m_phi_max (0.131-3.54 GeV); above it a channel is inert"
    card_file = "mesons.toml"

    def setup(self) -> None:
        inp = inputs()
        self.all_components = {}
        self.rows: dict[str, dict[str, Any]] = {}
        for row in self.card["channel"]:
            m_p, m_l = pdg_mass(row["meson"]), pdg_mass(row["lepton"])
            f = inp["decay_constants"][row["decay_constant"]]
            v = inp["ckm"][row["ckm"]]
            width = pdg_width(row["meson"])
            br_sm = sigma_sm = 0.0
            if row["kind"] != "limit":
                br_sm = sm_two_body(m_p, m_l, f["value"], v["value"]) / width
                sigma_sm = 2.0 * br_sm * math.hypot(f["sigma"] / f["value"],
                                                    v["sigma"] / v["value"])
            name = row["name"]
            self.all_components[name] = Component(name, row, br_sm, sigma_sm)
            self.rows[name] = {
                "flavour": FLAVOUR_INDEX[LEPTON_FLAVOUR[row["lepton"]]],
                # BR_phi / (sum_b |lambda_lb|^2 I): prefactor over the meson's total width
                "norm": meson_prefactor(m_p, f["value"], v["value"]) / width,
                "m_end": m_p - m_l,
                "table": widths.meson_table(m_p, m_l),
                "br_sm": br_sm, "sigma_sm": sigma_sm,
            }
        self.select()
        used = [self.rows[c.name] for c in self.components_used]
        self.table = LogitTable([r["m_end"] for r in used], [r["table"] for r in used])
        self.flavours = np.array([r["flavour"] for r in used])
        self.norms = np.array([r["norm"] for r in used])

    def br_phi_vector(self, point: Point) -> Any:
        lam, m_phi = point.scalar_couplings()
        row_sums = jnp.sum(jnp.abs(lam) ** 2, axis=1)  # sum_b |lambda_ab|^2
        return self.norms * row_sums[self.flavours] * self.table(m_phi)
