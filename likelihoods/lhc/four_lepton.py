"""LHC dimuon searches below M_Z recast for a Z' (physics.md section 5, M < M_Z).

LHCb prompt A' -> mu mu (arXiv:1910.06926) and CMS dimuon scouting (arXiv:1912.04776) publish the
excluded kinetic mixing eps_95(M) of a dark photon, whose couplings are eps e Q_f (no neutrinos).
Both are Drell-Yan-like q qbar -> V -> mu mu searches, so a Z' with quark couplings g' Q'_q gives
the same signal as a dark photon of mixing eps_eff with

    eps_eff^2 = g'^2 [Q'_u^2 + r Q'_d^2] BR(Z' -> mu mu) / ( e^2 [4/9 + r/9] BR(A' -> mu mu) ),

r = L_dd / L_uu the down- to up-type luminosity ratio (production.down_to_up_ratio(), 0.87; moving
r over 0.6-1 changes eps_eff by < 5%). Both branching ratios come from the same width module
(globalfit.models.zprime_widths), so their hadronic approximations largely cancel above 2 GeV.
The signal yield scales as eps^2, so each search contributes -2 ln L = 3.84 (eps_eff/eps_95)^4
inside its own mass range (zero outside it); the terms of the searches are summed.

The CMS Z -> 4 mu search (arXiv:1808.03684) is not included (see the data card).
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

#: Electric charges of the dark photon's couplings (units of eps e).
DARK_PHOTON_CHARGES = {"u": 2 / 3, "c": 2 / 3, "t": 2 / 3, "d": -1 / 3, "s": -1 / 3, "b": -1 / 3,
                       "e": -1.0, "mu": -1.0, "tau": -1.0}
SEARCHES = ("lhcb", "cms_scouting")


class FourLepton(Likelihood):
    """Dimuon resonances below M_Z (LHCb 1910.06926, CMS scouting 1912.04776) recast for a Z'."""

    name = "lhc_four_lepton"
    requires = frozenset({"zprime_couplings"})
    citation = "LHCb arXiv:1910.06926; CMS arXiv:1912.04776"
    validity = "1 GeV <= M_Z' <= 75 GeV (LHCb 1-69.6 GeV, CMS scouting 11.5-75 GeV)"
    card_file = "four_lepton.toml"
    #: out_of_range: "refuse" (default) or "zero" (contribute nothing outside 1-75 GeV, for scans).
    options = {"limits": "builtin", "searches": list(SEARCHES), "luminosity_ratio": None,
               "out_of_range": "refuse"}

    def setup(self) -> None:
        if self.config["out_of_range"] not in ("refuse", "zero"):
            raise GlobalfitError(f"Option out_of_range of {self.name!r} must be 'refuse' or "
                                 f"'zero', not {self.config['out_of_range']!r}.")
        cfg = self.config
        if cfg["limits"] not in ("builtin", "release"):
            raise GlobalfitError(f"Option limits of {self.name!r} must be 'builtin' or 'release', "
                                 f"not {cfg['limits']!r}.")
        self.tables: dict[str, tuple[np.ndarray, np.ndarray, float, float]] = {}
        for s in cfg["searches"]:
            if s not in SEARCHES:
                raise unknown(f"search of {self.name!r}", s, SEARCHES)
            c = self.card[s]
            if cfg["limits"] == "builtin":
                m, eps = np.asarray(c["mass_GeV"], float), np.asarray(c["eps"], float)
            else:
                a = np.loadtxt(release_path(c["release"]) / c["release_file"], comments="#")
                m, eps = a[:, 0], a[:, 1]
            self.tables[s] = (m, np.log(eps), float(c["m_min_GeV"]), float(c["m_max_GeV"]))
        r = cfg["luminosity_ratio"]
        self.r = production.down_to_up_ratio() if r is None else float(r)
        self.m_range = (min(t[2] for t in self.tables.values()),
                        max(t[3] for t in self.tables.values()))

    def check_model(self, model: Model, ranges: Mapping[str, tuple[float, float]]) -> None:
        lo, hi = ranges.get("m_zprime", (None, None))
        if lo is None or self.config["out_of_range"] == "zero":
            return
        if lo < self.m_range[0] * (1 - 1e-9) or hi > self.m_range[1] * (1 + 1e-9):
            raise GlobalfitError(
                f"Likelihood {self.name!r} applies for {self.m_range[0]:g} GeV <= m_zprime <= "
                f"{self.m_range[1]:g} GeV; the card asks for [{lo:g}, {hi:g}] GeV.")

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

    def chi2_by_search(self, g: Any, m: Any, charges: Mapping[str, float]) -> dict[str, Any]:
        eps2 = self.eps2_eff(g, m, charges)
        out = {}
        for s, (ms, logeps, lo, hi) in self.tables.items():
            lim2 = jnp.exp(2.0 * jnp.interp(m, jnp.asarray(ms), jnp.asarray(logeps)))
            out[s] = jnp.where((m >= lo) & (m <= hi), CHI2_95 * (eps2 / lim2) ** 2, 0.0)
        return out

    def loglike(self, point: Any) -> Any:
        g, m, charges = point.zprime_couplings()
        return -0.5 * sum(self.chi2_by_search(g, m, charges).values())
