"""U(1)' Z' with flavour-universal quark charges and lepton charges (physics.md section 1).

L = L_SM - 1/4 Z'Z' + 1/2 M^2 Z'Z' + g' Z'_mu [sum_q Q'_q qbar gamma q + sum_l Q'_l Lbar gamma L].
Integrating out the Z' gives L_eff = -J_X.J_X / (2 M^2); matching the nu-f cross term to
L_NSI = -sqrt2 G_F eps (nu gamma P_L nu)(f gamma f) gives

    eps^{fV}_{aa}(q2) = + g'^2 Q'_a Q'_f / (sqrt2 G_F (M^2 + q2)),

positive for like-sign charges (the sign of Q'_a Q'_f). The seed's oscillation slide writes a minus
sign; its COHERENT slide and our derivation have this one (docs/framework.md, "Conventions").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp

from globalfit.constants import G_F, SQRT2
from globalfit.errors import GlobalfitError, unknown
from globalfit.models.base import FLAVOURS, Model, ParameterSpec, ZprimeCouplings

#: Charge sets of arXiv:1910.03272: quark charge and (e, mu, tau) lepton charges.
CHARGE_SETS: dict[str, dict[str, float]] = {
    "A": {"q": 1 / 3, "e": 0.0, "mu": -3.0, "tau": 0.0},
    "B": {"q": 1 / 3, "e": 0.0, "mu": -1.5, "tau": -1.5},
    "C": {"q": 1 / 3, "e": 0.0, "mu": 0.0, "tau": -3.0},
}
_CHARGE_KEYS = ("q", "q1", "q2", "q3", "e", "mu", "tau")


def anomaly_sum(ch: Mapping[str, float]) -> float:
    """3(Q'_1 + Q'_2 + Q'_3) + Q'_e + Q'_mu + Q'_tau, zero for an anomaly-free set."""
    return 3 * (ch["q1"] + ch["q2"] + ch["q3"]) + ch["e"] + ch["mu"] + ch["tau"]


def resolve_charges(charges: str | Mapping[str, float], allow_anomalous: bool = False) -> dict:
    """Turn a set name or an explicit mapping into per-generation charges q1, q2, q3, e, mu, tau."""
    if isinstance(charges, str):
        if charges.upper() not in CHARGE_SETS:
            raise unknown("Z' charge set", charges, CHARGE_SETS)
        spec: Mapping[str, float] = CHARGE_SETS[charges.upper()]
    elif isinstance(charges, Mapping):
        spec = charges
    else:
        raise GlobalfitError("Z' charges must be 'A', 'B', 'C' or a table such as {q=1/3, mu=-3}.")
    for k in spec:
        if k not in _CHARGE_KEYS:
            raise unknown("Z' charge", k, _CHARGE_KEYS)
    q = float(spec.get("q", 0.0))
    out = {g: float(spec.get(g, q)) for g in ("q1", "q2", "q3")}
    out.update({lep: float(spec.get(lep, 0.0)) for lep in FLAVOURS})
    s = anomaly_sum(out)
    if abs(s) > 1e-9 and not allow_anomalous:
        raise GlobalfitError(
            f"Z' charges {out} violate the anomaly condition 3(Q1+Q2+Q3)+Qe+Qmu+Qtau = 0 "
            f"(sum {s:g}); set allow_anomalous = true to use them anyway."
        )
    return out


class ZprimeModel(Model):
    """U(1)' Z' with charge set A, B, C or explicit charges; maps onto eps with its propagator."""

    name = "zprime"
    capabilities = frozenset({"eps_vector", "eps_matter", "zprime_couplings"})
    doc = "U(1)' Z' (arXiv:1910.03272); eps(q2) = g'^2 Q'_a Q'_f / (sqrt2 G_F (M^2 + q2))."

    def __init__(self, charges: str | Mapping[str, float] = "A", allow_anomalous: bool = False):
        super().__init__()
        self.charges = resolve_charges(charges, allow_anomalous)
        self.options = {"charges": charges if isinstance(charges, str) else dict(charges),
                        "allow_anomalous": allow_anomalous}

    def _parameters(self) -> dict[str, ParameterSpec]:
        return {
            "g_prime": ParameterSpec(0.0, 0.0, 4 * math.pi, "", "U(1)' gauge coupling", "g'"),
            "m_zprime": ParameterSpec(1.0, 1e-6, 1e5, "GeV", "Z' mass", r"M_{Z'}\,[\mathrm{GeV}]"),
        }

    def fermion_charges(self) -> dict[str, float]:
        """Charges by fermion: u d c s t b, e mu tau (lepton doublets)."""
        c = self.charges
        return {"u": c["q1"], "d": c["q1"], "c": c["q2"], "s": c["q2"], "t": c["q3"], "b": c["q3"],
                "e": c["e"], "mu": c["mu"], "tau": c["tau"]}

    def eps_vector(self, params: Mapping[str, Any], q2: Any) -> Any:
        g, m = params["g_prime"], params["m_zprime"]
        scale = g**2 / (SQRT2 * G_F * (m**2 + q2))  # shape of q2
        ch = self.charges
        qa = jnp.array([ch[a] for a in FLAVOURS])
        qf = jnp.array([ch["e"], ch["q1"], ch["q1"]])  # e, u, d
        diag = qf[:, None] * qa[None, :]  # (f, a)
        eps = jnp.einsum("fa,ab->fab", diag, jnp.eye(3))
        return (scale[..., None, None, None] * eps).astype(jnp.complex128)

    def zprime_couplings(self, params: Mapping[str, Any]) -> ZprimeCouplings:
        return ZprimeCouplings(params["g_prime"], params["m_zprime"], self.fermion_charges())

    def partial_widths(self, g_prime: Any = 1.0, m_zprime: Any = 1.0) -> dict[str, Any]:
        """Partial widths [GeV] by fermion (u d c s t b e mu tau nu_e nu_mu nu_tau); see
        :mod:`globalfit.models.zprime_widths` for the formulas and thresholds."""
        from globalfit.models.zprime_widths import partial_widths

        return partial_widths(g_prime, m_zprime, self.fermion_charges())

    def branching_ratios(self, g_prime: Any = 1.0, m_zprime: Any = 1.0) -> dict[str, Any]:
        """Branching ratios {"ee", "mumu", "tautau", "nunu", "qq"} at mass ``m_zprime`` [GeV]."""
        from globalfit.models.zprime_widths import branching_ratios

        return branching_ratios(g_prime, m_zprime, self.fermion_charges())
