"""Generic vector NSI: constant couplings eps^{fV}_{ab} (physics.md section 1).

L_NSI = -sqrt2 G_F eps^{fV}_{ab} (nu_a gamma^mu P_L nu_b)(f gamma_mu f), f in {e, u, d}.
Diagonal entries are real; an off-diagonal entry is ``eps_ab_f * exp(i phi_ab_f)`` (a signed
modulus and a phase, zero by default) and its transpose is the complex conjugate (hermiticity).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from globalfit.models.base import FERMIONS, FLAVOURS, Model, ParameterSpec, flavour_pair_tex

DIAGONAL = ("ee", "mumu", "tautau")
OFF_DIAGONAL = ("emu", "etau", "mutau")
_INDEX = {"ee": (0, 0), "mumu": (1, 1), "tautau": (2, 2),
          "emu": (0, 1), "etau": (0, 2), "mutau": (1, 2)}


def eps_name(ab: str, f: str) -> str:
    """Canonical coupling name, e.g. ``eps_ee_u``."""
    return f"eps_{ab}_{f}"


class NSIModel(Model):
    """Constant vector NSI couplings with electrons, up and down quarks."""

    name = "nsi"
    capabilities = frozenset({"eps_vector", "eps_matter"})
    doc = "Generic vector NSI eps^{fV}_{ab}, f in e,u,d; q2-independent (contact interaction)."
    eps_q2_independent = True

    def _parameters(self) -> dict[str, ParameterSpec]:
        out: dict[str, ParameterSpec] = {}
        for f in FERMIONS:
            for ab in DIAGONAL + OFF_DIAGONAL:
                a, b = _INDEX[ab]
                out[eps_name(ab, f)] = ParameterSpec(
                    0.0,
                    doc=f"vector NSI of nu_{FLAVOURS[a]}-nu_{FLAVOURS[b]} with {f}"
                    + (" (signed modulus)" if a != b else ""),
                    latex=rf"\varepsilon^{{{f}V}}_{{{flavour_pair_tex(a, b)}}}",
                )
        for f in FERMIONS:
            for ab in OFF_DIAGONAL:
                out[f"phi_{ab}_{f}"] = ParameterSpec(
                    0.0, 0.0, 2 * math.pi, "rad", f"phase of eps_{ab}_{f}",
                    rf"\phi^{{{f}}}_{{{flavour_pair_tex(*_INDEX[ab])}}}",
                )
        return out

    def eps_vector(self, params: Mapping[str, Any], q2: Any) -> Any:
        rows = []
        for f in FERMIONS:
            m = [[jnp.zeros((), jnp.complex128) for _ in range(3)] for _ in range(3)]
            for ab in DIAGONAL:
                i, _ = _INDEX[ab]
                m[i][i] = jnp.asarray(params[eps_name(ab, f)], jnp.complex128)
            for ab in OFF_DIAGONAL:
                i, j = _INDEX[ab]
                z = params[eps_name(ab, f)] * jnp.exp(1j * params[f"phi_{ab}_{f}"])
                m[i][j] = z
                m[j][i] = jnp.conj(z)
            rows.append(jnp.stack([jnp.stack(r) for r in m]))
        eps = jnp.stack(rows)  # (3, 3, 3)
        return jnp.broadcast_to(eps, jnp.shape(q2) + eps.shape)
