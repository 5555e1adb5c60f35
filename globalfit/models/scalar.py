"""Leptonic scalar phi: L = 1/2 lambda_ab phi nu_a nu_b, lambda symmetric (physics.md section 4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from globalfit.models.base import (
    FLAVOURS,
    Model,
    ParameterSpec,
    ScalarCouplings,
    flavour_pair_tex,
)

#: Independent entries of the symmetric coupling matrix and their (a, b) indices.
PAIRS = {"ee": (0, 0), "emu": (0, 1), "etau": (0, 2), "mumu": (1, 1), "mutau": (1, 2),
         "tautau": (2, 2)}


class ScalarModel(Model):
    """Light scalar coupled to neutrino pairs: couplings lambda_ab and mass m_phi [GeV]."""

    name = "scalar"
    capabilities = frozenset({"scalar_couplings"})
    doc = "Leptonic scalar phi (arXiv:1910.01132): lambda_ab (symmetric), m_phi [GeV]."

    def _parameters(self) -> dict[str, ParameterSpec]:
        out = {
            f"lambda_{ab}": ParameterSpec(
                0.0, -10.0, 10.0, "", f"phi coupling to nu_{FLAVOURS[i]} nu_{FLAVOURS[j]}",
                rf"\lambda_{{{flavour_pair_tex(i, j)}}}",
            )
            for ab, (i, j) in PAIRS.items()
        }
        out["m_phi"] = ParameterSpec(0.1, 0.0, 1e4, "GeV", "scalar mass", r"m_\phi\,[\mathrm{GeV}]")
        return out

    def scalar_couplings(self, params: Mapping[str, Any]) -> ScalarCouplings:
        lam = [[None] * 3 for _ in range(3)]
        for ab, (i, j) in PAIRS.items():
            lam[i][j] = lam[j][i] = jnp.asarray(params[f"lambda_{ab}"], float)
        return ScalarCouplings(jnp.stack([jnp.stack(r) for r in lam]), params["m_phi"])
