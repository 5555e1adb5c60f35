"""Shared machinery of the leptonic-scalar decay likelihoods: named components that a user can
switch off, and the two kinds of datum (upper limit at a CL; measured BR against the SM)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
from scipy.special import erfinv

from globalfit.errors import GlobalfitError, unknown
from globalfit.likelihood import Likelihood, load_data_card
from globalfit.models.base import Point

#: Below this m_phi [GeV] the tables are held constant (1 keV; physics.md covers >= 1 MeV).
M_PHI_MIN = 1e-6
#: Rows of the coupling matrix by lepton flavour.
FLAVOUR_INDEX = {"e": 0, "mu": 1, "tau": 2}


def inputs() -> dict[str, Any]:
    """The cited data card of decay constants and CKM magnitudes (inputs.toml)."""
    return load_data_card(Path(__file__).with_name("inputs.toml"))


def limit_sigma(limit: float, cl: float) -> float:
    """Width of the half-normal that has its ``cl`` quantile at ``limit``:
    sigma = limit / (sqrt(2) erfinv(cl)) (90% CL: limit / 1.645). This is how an upper limit on a
    non-negative quantity becomes a likelihood (the convention of flavio's GaussianUpperLimit)."""
    return limit / (math.sqrt(2.0) * float(erfinv(cl)))


def log_m(m_phi: Any) -> Any:
    """ln m_phi for table look-ups, with m_phi held at M_PHI_MIN below it."""
    return jnp.log(jnp.maximum(m_phi, M_PHI_MIN))


def interp(m_phi: Any, table: tuple[np.ndarray, np.ndarray]) -> Any:
    """Linear interpolation of a tabulated integral in ln m_phi; zero beyond the table's end."""
    lg, val = table
    lm = log_m(m_phi)
    return jnp.where(lm < lg[-1], jnp.interp(lm, jnp.asarray(lg), jnp.asarray(val)), 0.0)


class Component:
    """One datum: ``loglike(br_phi)`` of the phi contribution to a branching ratio."""

    def __init__(self, name: str, row: Mapping[str, Any], br_sm: float = 0.0,
                 sigma_sm: float = 0.0) -> None:
        self.name = name
        self.row = dict(row)
        self.kind = row["kind"]
        self.m_phi_max = float(row["m_phi_max"])
        self.br_sm, self.sigma_sm = br_sm, sigma_sm
        if self.kind == "limit":
            self.sigma = limit_sigma(float(row["br"]), float(row["cl"]))
            self.center = 0.0
        elif self.kind == "measured":
            self.center = float(row["br"]) - br_sm
            self.sigma = math.hypot(float(row["sigma"]), sigma_sm)
        elif self.kind == "interval":  # two-sided interval at CL, read as a Gaussian
            lo, hi = (float(v) for v in row["br"])
            z = math.sqrt(2.0) * float(erfinv(float(row["cl"])))
            self.center = 0.5 * (lo + hi) - br_sm
            self.sigma = math.hypot((hi - lo) / (2.0 * z), sigma_sm)
        else:
            raise GlobalfitError(f"Data card row {name!r} has unknown kind {self.kind!r}.")

    def loglike(self, br_phi: Any, m_phi: Any) -> Any:
        """-chi^2/2 of the phi contribution; 0 (no constraint) above the row's m_phi range."""
        ll = -0.5 * ((br_phi - self.center) / self.sigma) ** 2
        ll0 = -0.5 * (self.center / self.sigma) ** 2
        # constant offset removed so that the SM point has the same value inside and outside the
        # validity range: the likelihood is continuous in m_phi at the range's end for lambda = 0.
        return jnp.where(m_phi < self.m_phi_max, ll - ll0, 0.0)


class DecayLikelihood(Likelihood):
    """Base class: a sum of named components, selected with ``channels`` / ``exclude``."""

    requires = frozenset({"scalar_couplings"})
    options = {"channels": None, "exclude": []}

    #: Filled by ``setup`` of the subclass: every component by name, in card order.
    all_components: dict[str, Component]

    def select(self) -> None:
        """Apply the ``channels`` / ``exclude`` options to ``all_components``."""
        names = list(self.all_components)
        chosen = self.config["channels"]
        chosen = names if chosen is None else list(chosen)
        excl = list(self.config["exclude"] or [])
        for n in [*chosen, *excl]:
            if n not in names:
                raise unknown(f"channel of likelihood {self.name!r}", n, names)
        self.components_used = [self.all_components[n] for n in chosen if n not in excl]
        if not self.components_used:
            raise GlobalfitError(f"Likelihood {self.name!r} has no channel left to use.")

    def br_phi(self, point: Point) -> dict[str, Any]:
        """BR of the phi-emitting mode of each selected component."""
        raise NotImplementedError

    def components(self, point: Point) -> dict[str, Any]:
        """log-likelihood of each selected component, by name."""
        _, m_phi = point.scalar_couplings()
        br = self.br_phi(point)
        return {c.name: c.loglike(br[c.name], m_phi) for c in self.components_used}

    def loglike(self, point: Point) -> Any:
        return sum(self.components(point).values())

    def validity_range(self) -> float:
        """Largest m_phi [GeV] at which some selected component constrains."""
        return max(c.m_phi_max for c in self.components_used)
