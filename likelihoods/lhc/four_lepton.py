"""LHC dimuon searches below M_Z recast for a Z' (physics.md section 5, M < M_Z).

LHCb prompt A' -> mu mu (arXiv:1910.06926) and CMS dimuon scouting (arXiv:1912.04776) publish the
excluded kinetic mixing eps_95(M) of a dark photon, whose couplings are eps e Q_f (no neutrinos).
Both are Drell-Yan-like q qbar -> V -> mu mu searches, so a Z' with quark couplings g' Q'_q gives
the same signal as a dark photon of mixing eps_eff with

    eps_eff^2 = g'^2 [Q'_u^2 + r Q'_d^2] BR(Z' -> mu mu) / ( e^2 [4/9 + r/9] BR(A' -> mu mu) ),

r = L_dd / L_uu the down- to up-type luminosity ratio (production.down_to_up_ratio(), 0.90; moving
r over 0.6-1 changes eps_eff by < 5%). Both branching ratios come from the same width module
(globalfit.models.zprime_widths), so their hadronic approximations largely cancel above 2 GeV.
The signal yield scales as eps^2, so each search contributes -2 ln L = 3.84 (eps_eff/eps_95)^4
inside its own mass range (zero outside it); the terms of the searches are summed.

CMS Z -> 4 mu (arXiv:1808.03684, 5-70 GeV) searched for Z -> mu mu Z', Z' -> mu mu and quotes the
excluded coupling g'_95(M) of an L_mu - L_tau Z' (Q_mu = -Q_tau = 1, quarks 0). The Z' is radiated
off a muon of Z -> mu mu, so the 4 mu rate scales as (g' Q'_mu)^2 BR(Z' -> mu mu), and any charge
set gives the signal of an L_mu - L_tau Z' of the same mass with

    g_eff^2 = g'^2 Q'_mu^2 BR(Z' -> mu mu) / BR_ref(Z' -> mu mu),

BR_ref = 1/3 the value CMS assumed (the figure's label; the L_mu - L_tau value with massless
leptons, our width module gives 0.347 at 5 GeV and 0.3334 at 60 GeV); -2 ln L = 3.84
(g_eff/g'_95)^4 in 5-70 GeV. Approximation: q qbar -> Z' (mu mu) with the Z' from quark couplings
is neglected (the search selects m(4 mu) near M_Z, where it contributes only through the
non-resonant tail), and so is Z -> e e Z' for a Z' with electron charge (no 4 mu final state).
The g'_95 curve is the observed-limit graph of the paper's figure, read from the figure's own ROOT
file (release ``lhc/cms_z4mu_2018``), not from HEPData; the built-in table is a subset of its
points within 0.8% of all of them (``likelihoods/lhc/builtin_tables.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np

from globalfit.constants import ALPHA_EM
from globalfit.data import release_path
from globalfit.errors import GlobalfitError, unknown
from globalfit.likelihood import Likelihood
from globalfit.models.base import Model
from globalfit.models.zprime_widths import branching_ratios
from likelihoods.lhc import production
from likelihoods.lhc.dilepton_resonance import CHI2_95
from likelihoods.limit_curves import curve_option, muon_radiation_g2_eff, read_csv

#: Electric charges of the dark photon's couplings (units of eps e).
DARK_PHOTON_CHARGES = {"u": 2 / 3, "c": 2 / 3, "t": 2 / 3, "d": -1 / 3, "s": -1 / 3, "b": -1 / 3,
                       "e": -1.0, "mu": -1.0, "tau": -1.0}
DIMUON_SEARCHES = ("lhcb", "cms_scouting")
SEARCHES = (*DIMUON_SEARCHES, "cms_z4mu")


class FourLepton(Likelihood):
    """Dimuon resonances below M_Z (LHCb 1910.06926, CMS scouting 1912.04776) recast for a Z',
    and CMS Z -> 4 mu (1808.03684), whose limit on g' is recast by the muon charge and BR."""

    name = "lhc_four_lepton"
    requires = frozenset({"zprime_couplings"})
    citation = ("LHCb arXiv:1910.06926; CMS arXiv:1912.04776; CMS arXiv:1808.03684 (Z -> 4 mu g' "
                "curve read from the figure's own ROOT file, not HEPData)")
    validity = ("1 GeV <= M_Z' <= 75 GeV (LHCb 1-69.6 GeV, CMS scouting 11.5-75 GeV, "
                "CMS Z -> 4 mu 5-70 GeV)")
    card_file = "four_lepton.toml"
    #: out_of_range: "refuse" (default) or "zero" (contribute nothing outside 1-75 GeV, for scans).
    #: limits: "builtin" (card tables) or "release" (the full curves from the data layer);
    #: searches: None = all three (lhcb, cms_scouting, cms_z4mu), or a list of them;
    #: z4mu_table: {mass_GeV = [...], g_prime = [...]}, a 95% CL g' curve of L_mu - L_tau
    #: [GeV, 1] to use instead of the CMS observed one (e.g. the expected limit).
    options = {"limits": "builtin", "searches": None, "luminosity_ratio": None,
               "out_of_range": "refuse", "z4mu_table": None}

    def setup(self) -> None:
        if self.config["out_of_range"] not in ("refuse", "zero"):
            raise GlobalfitError(f"Option out_of_range of {self.name!r} must be 'refuse' or "
                                 f"'zero', not {self.config['out_of_range']!r}.")
        cfg = self.config
        if cfg["limits"] not in ("builtin", "release"):
            raise GlobalfitError(f"Option limits of {self.name!r} must be 'builtin' or 'release', "
                                 f"not {cfg['limits']!r}.")
        self.tables: dict[str, tuple[np.ndarray, np.ndarray, float, float]] = {}
        searches = SEARCHES if cfg["searches"] is None else list(cfg["searches"])
        if not searches:
            raise GlobalfitError(f"Option searches of {self.name!r} names no search; choose "
                                 f"from {', '.join(SEARCHES)}.")
        for s in searches:
            if s not in SEARCHES:
                raise unknown(f"search of {self.name!r}", s, SEARCHES)
            c = self.card[s]
            m, lim = self._limit_curve(s)
            lo = max(float(c["m_min_GeV"]), float(m[0]))
            hi = min(float(c["m_max_GeV"]), float(m[-1]))
            self.tables[s] = (m, np.log(lim), lo, hi)
        #: BR(Z' -> mu mu) that CMS assumed for its L_mu - L_tau limit (1/3, the figure's label).
        self.z4mu_br_ref = float(self.card["cms_z4mu"]["br_mumu_reference"])
        r = cfg["luminosity_ratio"]
        self.r = production.down_to_up_ratio() if r is None else float(r)
        self.m_range = (min(t[2] for t in self.tables.values()),
                        max(t[3] for t in self.tables.values()))

    def _limit_curve(self, search: str) -> tuple[np.ndarray, np.ndarray]:
        """(M [GeV], limit) of a search: eps_95 of the dimuon searches, g'_95 of cms_z4mu."""
        c = self.card[search]
        if search == "cms_z4mu" and self.config["z4mu_table"] is not None:
            return curve_option(self.config["z4mu_table"], f"option z4mu_table of {self.name!r}")
        if self.config["limits"] == "builtin":
            key = "g_prime" if search == "cms_z4mu" else "eps"
            return np.asarray(c["mass_GeV"], float), np.asarray(c[key], float)
        path = release_path(c["release"]) / c["release_file"]
        # cms_z4mu: CSV of mass, observed, expected and band edges; the others: mass, eps
        a = read_csv(path) if search == "cms_z4mu" else np.loadtxt(path, comments="#")
        return a[:, 0], a[:, 1]

    def check_model(self, model: Model, ranges: Mapping[str, tuple[float, float]]) -> None:
        if self.config["out_of_range"] != "zero":
            self.require_within(ranges, "m_zprime", *self.m_range)

    def eps_eff(self, g: Any, m: Any, charges: Mapping[str, float]) -> Any:
        """Dark-photon mixing giving the same dimuon signal as the Z' (module docstring)."""
        return jnp.sqrt(self.eps2_eff(g, m, charges))

    def eps2_eff(self, g: Any, m: Any, charges: Mapping[str, float]) -> Any:
        """eps_eff^2 (no square root: finite gradients where BR(mu mu) = 0)."""
        br_z = branching_ratios(1.0, m, charges)["mumu"]
        br_a = branching_ratios(1.0, m, DARK_PHOTON_CHARGES, nu_charges={})["mumu"]
        qz = charges.get("u", 0.0) ** 2 + self.r * charges.get("d", 0.0) ** 2
        qa = 4 / 9 + self.r / 9
        e2 = 4 * np.pi * ALPHA_EM
        return g**2 * qz * br_z / (e2 * qa * br_a)

    def g2_eff_z4mu(self, g: Any, m: Any, charges: Mapping[str, float]) -> Any:
        """g_eff^2 of the L_mu - L_tau Z' giving the same Z -> 4 mu signal (module docstring)."""
        return muon_radiation_g2_eff(g, m, charges, self.z4mu_br_ref)

    def chi2_by_search(self, g: Any, m: Any, charges: Mapping[str, float]) -> dict[str, Any]:
        """-2 ln L of each search: 3.84 (x/x_95)^4, x = eps_eff (dimuon) or g_eff (Z -> 4 mu)."""
        out = {}
        eps2 = self.eps2_eff(g, m, charges) if set(self.tables) - {"cms_z4mu"} else None
        for s, (ms, loglim, lo, hi) in self.tables.items():
            x2 = self.g2_eff_z4mu(g, m, charges) if s == "cms_z4mu" else eps2
            lim2 = jnp.exp(2.0 * jnp.interp(m, jnp.asarray(ms), jnp.asarray(loglim)))
            out[s] = jnp.where((m >= lo) & (m <= hi), CHI2_95 * (x2 / lim2) ** 2, 0.0)
        return out

    def loglike(self, point: Any) -> Any:
        g, m, charges = point.zprime_couplings()
        return -0.5 * sum(self.chi2_by_search(g, m, charges).values())
