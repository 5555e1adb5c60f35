"""LHC same-sign dileptons from a leptonic scalar, pp -> l+- l+- phi j j (physics.md section 5).

Projection (Asimov, SM truth) built on the seed's significance Z = S / sqrt(S + B + (sigma_b B)^2)
(arXiv:1910.01132): per channel c in (ee, emu, mumu), S_c = S_c(lambda = 1) |lambda_c|^2 L / L_0,
B_c = B_c(L_0) L / L_0, and

    -2 ln L = r^T C^-1 r,  r = S,  C = diag(S + B) + sigma_b^2 [rho B B^T + (1 - rho) diag(B^2)],

so that -2 ln L = Z^2 for one channel, and Z = 2 (Delta chi^2 = 4) gives the seed's reach.
``correlation`` rho = 0 (default) treats each channel's background systematic apart (the seed's
per-channel numbers); rho = 1 makes it common to all channels (the seed's 'Total' column).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np

from globalfit.errors import GlobalfitError, unknown
from globalfit.likelihood import Likelihood
from globalfit.models.base import Model, Point

CHANNELS = ("ee", "emu", "mumu")


class SameSignDilepton(Likelihood):
    """14 TeV same-sign dilepton + 2 forward jets + missing E_T (VBF), channels ee, emu, mumu."""

    name = "lhc_ss_dilepton"
    projection = True
    requires = frozenset({"scalar_couplings"})
    citation = "arXiv:1910.01132, Table 2 (14 TeV, 3000 fb^-1 counts at lambda = 1)"
    validity = "light phi: m_phi <= 1 GeV (the counts are for a light phi)"
    card_file = "ss_dilepton.toml"
    options = {"luminosity_fb": 3000.0, "sigma_b": 0.0, "channels": list(CHANNELS),
               "correlation": 0.0}

    def setup(self) -> None:
        chans = list(self.config["channels"])
        for c in chans:
            if c not in CHANNELS:
                raise unknown(f"channel of likelihood {self.name!r}", c, CHANNELS)
        if not chans:
            raise GlobalfitError(f"Likelihood {self.name!r} needs at least one channel.")
        lum = float(self.config["luminosity_fb"])
        if not lum > 0:
            raise GlobalfitError(f"Likelihood {self.name!r}: luminosity_fb must be positive, "
                                 f"got {lum:g}.")
        sb, rho = float(self.config["sigma_b"]), float(self.config["correlation"])
        if sb < 0 or not 0.0 <= rho <= 1.0:
            raise GlobalfitError(f"Likelihood {self.name!r}: need sigma_b >= 0 and 0 <= "
                                 f"correlation <= 1, got {sb:g} and {rho:g}.")
        scale = lum / float(self.card["luminosity_fb"])
        card = self.card["channels"]
        self.channels = chans
        self.index = np.array([card[c]["indices"] for c in chans])
        self.s1 = np.array([card[c]["signal"] for c in chans]) * scale
        self.b = np.array([card[c]["background_total"] for c in chans]) * scale
        self.bkg = {c: {k: v * scale for k, v in card[c]["backgrounds"].items()} for c in chans}
        self.syst_diag = (1.0 - rho) * (sb * self.b) ** 2
        self.u = np.sqrt(rho) * sb * self.b
        self.m_phi_max = float(self.card["m_phi_max"])

    def check_model(self, model: Model, ranges: Mapping[str, tuple[float, float]]) -> None:
        lo, hi = ranges.get("m_phi", (0.0, 0.0))
        if hi > self.m_phi_max:
            raise GlobalfitError(
                f"Likelihood {self.name!r} has counts only for a light phi (m_phi <= "
                f"{self.m_phi_max:g} GeV), but the card lets m_phi reach {hi:g} GeV.")

    def signal(self, point: Point) -> Any:
        """Expected signal counts per channel."""
        lam, _ = point.scalar_couplings()
        l2 = jnp.abs(lam[self.index[:, 0], self.index[:, 1]]) ** 2
        return self.s1 * l2

    def expected(self, point: Point) -> dict[str, Any]:
        out = {"signal": self.signal(point)}
        for k in next(iter(self.bkg.values())):
            out[k] = jnp.asarray([self.bkg[c][k] for c in self.channels])
        return out

    def chi2(self, point: Point) -> Any:
        """r^T C^-1 r by Sherman-Morrison (C = D + u u^T), r = S (Asimov data = background)."""
        s = self.signal(point)
        d = s + self.b + self.syst_diag
        r_d = s / d
        return jnp.sum(s * r_d) - jnp.sum(r_d * self.u) ** 2 / (1.0 + jnp.sum(self.u**2 / d))

    def loglike(self, point: Point) -> Any:
        return -0.5 * self.chi2(point)
