"""Shared machinery of the leptonic-scalar decay likelihoods: named components that a user can
switch off, and the two kinds of datum (upper limit at a CL; measured BR against the SM)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy.special import erfinv

from globalfit.errors import GlobalfitError, unknown
from globalfit.likelihood import Likelihood, load_data_card
from globalfit.models.base import Point
from likelihoods.decays import widths

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


class LogitTable:
    """Several tabulated integrals, one per channel (rows of ``ln_values``), each on
    ``widths.logit_grid`` in t = m_phi / m_end[channel]; ``__call__(m_phi)`` returns the vector of
    values by linear interpolation of the log in v = ln(t/(1-t)). The grid is uniform in v, so the
    look-up is arithmetic plus a gather (no search); zero at and beyond each endpoint, constant
    below the first grid point (t = 1.1e-7)."""

    def __init__(self, m_end: list[float], ln_values: list[np.ndarray]) -> None:
        n = {len(v) for v in ln_values}
        if len(n) != 1:
            raise ValueError("LogitTable: all tables need the same grid size.")
        self.n = n.pop()
        self.inv_end = np.asarray([1.0 / m for m in m_end])
        self.ln = np.stack(ln_values)
        self.flat = self.ln.ravel()
        self.dv = (widths.V_MAX - widths.V_MIN) / (self.n - 1)
        self.offset = np.arange(len(m_end)) * self.n  # start of each row in ``flat``

    def __call__(self, m_phi: Any) -> Any:
        t = m_phi * self.inv_end
        ts = jnp.clip(t, 1e-12, 1.0 - 1e-12)
        v = jnp.log(ts) - jnp.log1p(-ts)
        u = jnp.clip((v - widths.V_MIN) / self.dv, 0.0, self.n - 1.0)
        i = jax.lax.stop_gradient(jnp.minimum(jnp.floor(u), self.n - 2.0))
        w = u - i
        k = i.astype(int) + self.offset
        tab = jnp.asarray(self.flat)
        ln = (1.0 - w) * tab[k] + w * tab[k + 1]
        return jnp.where(t < 1.0, jnp.exp(ln), 0.0)


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

    def br_phi_vector(self, point: Point) -> Any:
        """BR of the phi-emitting mode of each selected component, as one vector (card order)."""
        raise NotImplementedError

    def br_phi(self, point: Point) -> dict[str, Any]:
        """BR of the phi-emitting mode of each selected component, by name."""
        br = self.br_phi_vector(point)
        return {c.name: br[i] for i, c in enumerate(self.components_used)}

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not hasattr(self, "_arr"):
            cs = self.components_used
            self._arr = (np.array([c.center for c in cs]), np.array([c.sigma for c in cs]),
                         np.array([c.m_phi_max for c in cs]))
        return self._arr

    def loglike_vector(self, point: Point) -> Any:
        """-chi^2/2 of every selected component (vectorised ``Component.loglike``)."""
        _, m_phi = point.scalar_couplings()
        center, sigma, m_max = self._arrays()
        br = self.br_phi_vector(point)
        ll = -0.5 * ((br - center) / sigma) ** 2 + 0.5 * (center / sigma) ** 2
        return jnp.where(m_phi < m_max, ll, 0.0)

    def components(self, point: Point) -> dict[str, Any]:
        """log-likelihood of each selected component, by name."""
        ll = self.loglike_vector(point)
        return {c.name: ll[i] for i, c in enumerate(self.components_used)}

    def loglike(self, point: Point) -> Any:
        return jnp.sum(self.loglike_vector(point))

    def validity_range(self) -> float:
        """Largest m_phi [GeV] at which some selected component constrains."""
        return max(c.m_phi_max for c in self.components_used)
