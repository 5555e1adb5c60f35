"""Summary likelihood of current oscillation data with NSI (arXiv:1805.04530), physics.md sec. 2.

An APPROXIMATION of the published global fit, built only from its 2 sigma ranges (seed Table 1):

    chi2 = chi2_1(d1) + chi2_2(d2),  d1 = u_ee - u_mumu,  d2 = u_tautau - u_mumu,
    u = eps / (2 + Yn)

with eps = point.eps_matter(Yn) (so any model providing eps_matter is read as up-quark couplings).
chi2_1 is the lower envelope of two parabolas, one per island (LMA-D and LMA), each 0 at the
island's centre and 4 at its edges; chi2_2 is a parabola through Delta chi2 = 4 at the edges of
the d2 range. The exactly flat direction u_ee = u_mumu = u_tautau of oscillations is kept.
Both islands have minimum 0 (the published fit finds them nearly degenerate); the Standard Model
point sits at Delta chi2 = 3.4 of the d1 term, an artefact of the parabolic shape.

``mode = "one_at_a_time"`` uses d1 = u_ee instead of u_ee - u_mumu, which reproduces the three
one-coupling-at-a-time columns of the seed's table at once; in the default ``"differences"``
mode the u_mumu-alone interval is narrowed by the d1 term (u_mumu alone moves d1 too).
"""

from __future__ import annotations

import jax.numpy as jnp

from globalfit.errors import GlobalfitError
from globalfit.likelihood import Likelihood


class OscGlobal2018(Likelihood):
    """Current global oscillation data with NSI, 2 sigma summary of arXiv:1805.04530."""

    name = "osc_global_2018"
    requires = frozenset({"eps_matter"})
    citation = "Esteban et al., JHEP 08 (2018) 180, arXiv:1805.04530"
    validity = "diagonal eps^u (or eps_matter / (2 + Yn)); approximation of the published fit"
    card_file = "global_2018.toml"
    options = {"mode": "differences", "Yn": 1.0}

    def setup(self) -> None:
        if self.config["mode"] not in ("differences", "one_at_a_time"):
            raise GlobalfitError("osc_global_2018 mode must be 'differences' or 'one_at_a_time'.")
        k = self.card["delta_chi2_edge"]
        self._islands = [((lo + hi) / 2, (hi - lo) / 2) for lo, hi in self.card["ee_islands"]]
        lo, hi = self.card["tautau_minus_mumu"]
        self._d2 = ((lo + hi) / 2, (hi - lo) / 2)
        self._k = k

    def chi2(self, point) -> jnp.ndarray:
        yn = self.config["Yn"]
        u = jnp.real(jnp.diagonal(point.eps_matter(yn))) / (2.0 + yn)
        d1 = u[0] - u[1] if self.config["mode"] == "differences" else u[0]
        d2 = u[2] - u[1]
        c1 = jnp.min(jnp.stack([self._k * ((d1 - c) / h) ** 2 for c, h in self._islands]))
        c, h = self._d2
        return c1 + self._k * ((d2 - c) / h) ** 2

    def loglike(self, point) -> jnp.ndarray:
        return -0.5 * self.chi2(point)
