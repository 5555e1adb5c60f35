"""BaBar e+e- -> mu+ mu- Z', Z' -> mu+ mu- (arXiv:1606.03501), recast for a Z' coupling to muons.

BaBar quotes a 90% CL upper limit g'_90(M) on the coupling of an L_mu - L_tau Z' (0.212-10 GeV).
The Z' is radiated off a final-state muon of e+e- -> mu+ mu-, so the signal rate scales as
(g' Q'_mu)^2 BR(Z' -> mu mu), and any charge set gives the signal of an L_mu - L_tau Z' of the
same mass with (``likelihoods.limit_curves``)

    g_eff^2 = g'^2 Q'_mu^2 BR(Z' -> mu mu) / BR_ref(Z' -> mu mu),

BR_ref the L_mu - L_tau branching ratio at that mass (muon and tau masses included; 1/2 well
below the tau threshold, 0.289 at 0.22 GeV where the muon phase space closes). Set A (Q'_mu = -3)
is bounded at g'_90 / 3 x sqrt(BR_ref / BR_A), set B (Q'_mu = -3/2) at g'_90 / 1.5 x
sqrt(BR_ref / BR_B); set C (Q'_mu = 0) is not constrained. For a Z' with an electron charge,
e+e- -> Z' gamma*(-> mu mu) is not included (the sets A, B, C have Q'_e = 0).

Likelihood: -2 ln L = z_90^2 (g_eff^2 / g'_90^2)^2, z_90^2 = 2.706 (half-normal in the rate with its
90% quantile at the limit), inside the mass range of the curve and outside its J/psi gap; zero
elsewhere with ``out_of_range = "zero"``, a refusal of the card otherwise. The curve is a
digitisation of the paper's figure (release ``babar/zprime_4mu_2016``; see the data card).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np

from globalfit.data import release_path
from globalfit.errors import GlobalfitError
from globalfit.likelihood import Likelihood
from globalfit.models.base import Model
from likelihoods.limit_curves import (
    chi2_at_limit,
    curve_option,
    lmu_ltau_br,
    muon_radiation_g2_eff,
    read_csv,
)


class BaBar4Mu(Likelihood):
    """BaBar e+e- -> mu mu Z', Z' -> mu mu (1606.03501), its 90% CL g' limit of L_mu - L_tau
    recast by the muon charge and BR(Z' -> mu mu); the curve is a digitisation."""

    name = "babar_4mu"
    requires = frozenset({"zprime_couplings"})
    citation = ("BaBar, PRD 94 (2016) 011102, arXiv:1606.03501; 90% CL g' curve digitised from "
                "its figure 5 by the Darkcast authors (not BaBar-official)")
    validity = ("0.214 GeV <= M_Z' <= 7.68 GeV, the digitised curve (search: 0.212-10 GeV); "
                "no constraint in 3.048-3.148 GeV (J/psi)")
    card_file = "babar_4mu.toml"
    #: out_of_range: "refuse" (default) rejects m_zprime ranges outside the curve; "zero" lets a
    #: mass scan cross it, the likelihood contributing nothing outside.
    #: limit_table: {mass_GeV = [...], g_prime = [...]}, a 90% CL g' curve of L_mu - L_tau
    #: [GeV, 1] to use instead of the digitised one.
    options = {"out_of_range": "refuse", "limit_table": None}

    def setup(self) -> None:
        c, cfg = self.card, self.config
        if cfg["out_of_range"] not in ("refuse", "zero"):
            raise GlobalfitError(f"Option out_of_range of {self.name!r} must be 'refuse' or "
                                 f"'zero', not {cfg['out_of_range']!r}.")
        if cfg["limit_table"] is None:
            a = read_csv(release_path(c["release"]) / c["release_file"])
            m, g90 = a[:, 0], a[:, 1]
        else:
            m, g90 = curve_option(cfg["limit_table"], f"option limit_table of {self.name!r}")
        lo, hi = c["search_range_GeV"]
        self.mass, self.log_g90 = m, np.log(g90)
        self.m_range = (max(float(lo), float(m[0])), min(float(hi), float(m[-1])))
        self.vetoes = [tuple(map(float, v)) for v in c["veto_GeV"]]
        self.chi2_cl = chi2_at_limit(float(c["cl"]))

    def check_model(self, model: Model, ranges: Mapping[str, tuple[float, float]]) -> None:
        if self.config["out_of_range"] != "zero":
            self.require_within(ranges, "m_zprime", *self.m_range)

    def g2_eff(self, g: Any, m: Any, charges: Mapping[str, float]) -> Any:
        """g_eff^2 of the L_mu - L_tau Z' with the same e+e- -> mu mu Z'(-> mu mu) rate."""
        return muon_radiation_g2_eff(g, m, charges, lmu_ltau_br(m))

    def g90(self, m: Any) -> Any:
        """Published (digitised) 90% CL g' of L_mu - L_tau at mass m [GeV], log-interpolated."""
        return jnp.exp(jnp.interp(m, jnp.asarray(self.mass), jnp.asarray(self.log_g90)))

    def applies(self, m: Any) -> Any:
        """True where the curve constrains: inside its mass range, outside the vetoed windows."""
        inside = (m >= self.m_range[0]) & (m <= self.m_range[1])
        for a, b in self.vetoes:
            inside = inside & ~((m > a) & (m < b))
        return inside

    def loglike(self, point: Any) -> Any:
        g, m, charges = point.zprime_couplings()
        r2 = self.g2_eff(g, m, charges) / self.g90(m) ** 2
        return jnp.where(self.applies(m), -0.5 * self.chi2_cl * r2**2, 0.0)
