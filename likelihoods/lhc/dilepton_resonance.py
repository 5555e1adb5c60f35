"""ATLAS 139 fb^-1 dilepton resonance search recast for a Z' (physics.md section 5, M > M_Z).

Signal: the fiducial sigma x BR of :mod:`likelihoods.lhc.production` (ZPEED luminosities with the
ATLAS fiducial cuts, narrow width), with the Z' branching ratios of
:mod:`globalfit.models.zprime_widths`. ATLAS's limit is on sigma x B per lepton flavour assuming the
same signal in ee and mumu; with channel efficiencies taken equal, the combined search constrains
the average s = (sigma B_ee + sigma B_mumu) / 2. For the muon-coupled sets A and B (Q'_e = 0)
s = sigma B_mumu / 2: the dimuon-only case costs a factor 2 in cross section (sqrt 2 in g').

Likelihood: the observed 95% CL limit s_95(M, Gamma/M) read as a one-sided Gaussian bound,
-2 ln L = 3.84 (s / s_95)^2, so that the profile Delta chi^2 = 3.84 at the published limit. The
limit is interpolated linearly in Gamma/M between the six published widths (0 to 10%) and in
log s_95 between masses; Gamma/M above 10% uses the 10% limit (the narrow-width recast is then
optimistic; the loglike is flagged in the docs).

HL-LHC projection (``luminosity_fb`` > 139, ``sqrt_s_TeV`` = 14): the limit is split into a
background-free part (the high-mass plateau s_0, about 3 events) that scales as 139/L, and a
background-fluctuation part that scales as sqrt(139/L):
    s_95(L) = s_0 r + (s_95(139) - s_0) sqrt(r),  r = 139 fb^-1 / L,  s_0 = min(plateau, s_95(139)).
The signal is computed at the chosen energy; the background is not rescaled to 14 TeV.
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
from globalfit.models.zprime_widths import branching_ratios, total_width
from likelihoods.lhc import production
from likelihoods.limit_curves import read_csv

#: Delta chi^2 of a one-sided 95% CL bound (profile, one parameter).
CHI2_95 = 3.84


def quark_couplings2(g: Any, charges: Mapping[str, float]) -> tuple[Any, Any]:
    """(g_u^2, g_d^2) weighting T2_u (u, c) and T2_d (d, s, b): first-generation charges (exact for
    generation-universal quark charges, as in sets A, B, C)."""
    return g**2 * charges.get("u", 0.0) ** 2, g**2 * charges.get("d", 0.0) ** 2


class DileptonResonance(Likelihood):
    """ATLAS 139 fb^-1 dilepton resonances (arXiv:1903.06248) recast for a Z'; HL-LHC projection."""

    name = "lhc_dilepton_resonance"
    requires = frozenset({"zprime_couplings"})
    citation = ("ATLAS, PLB 796 (2019) 68, arXiv:1903.06248 (HEPData ins1725190); "
                "ZPEED arXiv:1912.06374")
    validity = "250 GeV <= M_Z' <= 5.3 TeV at 13 TeV (270 GeV - 5.7 TeV at 14 TeV)"
    card_file = "dilepton_resonance.toml"
    #: out_of_range = "refuse" (default) rejects m_zprime ranges outside the validity; "zero" lets
    #: a mass scan cross the window, the likelihood contributing nothing outside it.
    options = {"limits": "builtin", "luminosity_fb": 139.0, "sqrt_s_TeV": 13.0, "k_factor": 1.0,
               "out_of_range": "refuse"}

    def is_projection(self) -> bool:
        """The 139/fb 13 TeV search is a measurement; more luminosity or 14 TeV is HL-LHC."""
        return (float(self.config["luminosity_fb"]) > self.card["luminosity_fb"]
                or float(self.config["sqrt_s_TeV"]) != 13.0)

    def setup(self) -> None:
        if self.config["out_of_range"] not in ("refuse", "zero"):
            raise GlobalfitError(f"Option out_of_range of {self.name!r} must be 'refuse' or "
                                 f"'zero', not {self.config['out_of_range']!r}.")
        c, cfg = self.card, self.config
        production.check_energy(float(cfg["sqrt_s_TeV"]))
        if cfg["limits"] == "builtin":
            m = np.asarray(c["mass_GeV"], float)
            lim = np.asarray(c["limit_fb"], float)
        elif cfg["limits"] == "release":
            a = read_csv(release_path(c["release"]) / c["release_file"])
            m, lim = a[:, 0], a[:, 1:]
        else:
            raise GlobalfitError(f"Option limits of {self.name!r} must be 'builtin' or 'release', "
                                 f"not {cfg['limits']!r}.")
        lumi = float(cfg["luminosity_fb"])
        if lumi <= 0:
            raise GlobalfitError(f"luminosity_fb of {self.name!r} must be positive.")
        r = c["luminosity_fb"] / lumi
        s0 = np.minimum(c["plateau_fb"], lim)
        lim = s0 * r + (lim - s0) * np.sqrt(r)
        self.mass = m
        self.log_limit = np.log(lim)  # (mass, width)
        self.widths = np.asarray(c["widths"], float)
        lo, hi = production.mass_range(float(cfg["sqrt_s_TeV"]))
        self.m_range = (max(lo, float(m[0])), min(hi, float(m[-1])))

    def check_model(self, model: Model, ranges: Mapping[str, tuple[float, float]]) -> None:
        if self.config["out_of_range"] != "zero":
            self.require_within(ranges, "m_zprime", *self.m_range)

    def signal_fb(self, g: Any, m: Any, charges: Mapping[str, float]) -> Any:
        """s = (sigma B_ee + sigma B_mumu)/2 [fb] and Gamma/M at coupling g, mass m [GeV]."""
        br = branching_ratios(1.0, m, charges)
        gu2, gd2 = quark_couplings2(g, charges)
        s = production.sigma_fid_fb(m, gu2, gd2, 0.5 * (br["ee"] + br["mumu"]),
                                    float(self.config["sqrt_s_TeV"]),
                                    float(self.config["k_factor"]))
        return s, total_width(g, m, charges) / m

    def limit_fb(self, m: Any, width: Any) -> Any:
        """Observed (or projected) 95% CL limit [fb] at mass m [GeV] and relative width."""
        logm = jnp.asarray(self.mass)
        cols = jnp.stack([jnp.interp(m, logm, jnp.asarray(self.log_limit[:, j]))
                          for j in range(self.log_limit.shape[1])])
        w = jnp.clip(width, self.widths[0], self.widths[-1])
        return jnp.exp(jnp.interp(w, jnp.asarray(self.widths), cols))

    def loglike(self, point: Any) -> Any:
        g, m, charges = point.zprime_couplings()
        s, width = self.signal_fb(g, m, charges)
        chi2 = CHI2_95 * (s / self.limit_fb(m, width)) ** 2
        inside = (m >= self.m_range[0]) & (m <= self.m_range[1])
        return jnp.where(inside, -0.5 * chi2, 0.0)
