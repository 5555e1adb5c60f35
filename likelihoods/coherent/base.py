"""Shared base of the COHERENT likelihoods: a data set is a card plus a detector response.

At set-up, for each target nucleus n, signal flavour f (prompt nu_mu, delayed nu_e, nubar_mu) and
analysis energy bin i, the parameter-independent matrix

    A[f, n, i, k] = N_n Phi (G_F^2 M_n / pi) w_k F_n^2(T_k) K_f(T_k; M_n) R_n[i, k]

is tabulated on a recoil grid T_k (trapezoid weights w_k; K_f the flux-averaged kinematic factor of
flux.py; R_n the detector response: quenching, light yield, resolution, efficiency). A likelihood
call then evaluates eps(q2 = 2 M_n T_k) from the model, the weak charges Q^2 (cross_section.py) and
one contraction: counts[f, i] = sum_{n,k} A[f, n, i, k] Q^2_{n,k,a(f)}. For a model whose eps
does not depend on q2 (``Model.eps_q2_independent``: contact NSI), Q^2 is the same on the whole
grid, so the recoil sum is done once at set-up, A_k[f, n, i] = sum_k A[f, n, i, k], and a call
evaluates eps once per nucleus: counts[f, i] = sum_n A_k[f, n, i] Q^2_{n,a(f)}.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from globalfit.constants import AVOGADRO, G_F
from globalfit.errors import GlobalfitError
from globalfit.likelihood import Likelihood
from globalfit.models.base import Model, Point
from likelihoods.coherent import flux as fl
from likelihoods.coherent.cross_section import (
    INV_GEV2_TO_CM2,
    Nucleus,
    charges_squared,
    weak_couplings,
)
from likelihoods.coherent.form_factors import FORM_FACTORS, form_factor


def poisson_loglike(n, mu):
    """Sum over bins of log Poisson(n | mu), safe at mu -> 0."""
    mu = jnp.maximum(mu, 1e-12)
    return jnp.sum(n * jnp.log(mu) - mu - gammaln(n + 1.0))


class CEvNSLikelihood(Likelihood):
    """Base class: reads ``[beam]`` and ``[target]`` from the card, tabulates the flux x response
    matrices, and gives the CEvNS counts per flavour and energy bin (:meth:`signal_energy`)."""

    requires = frozenset({"eps_vector"})
    validity = "stopped-pion neutrinos (E < 52.8 MeV); any Z' mass above 1e-6 GeV"
    options: dict[str, Any] = {"form_factor": "helm", "weak_couplings": "tree", "n_recoil": 200}

    # -- to override ---------------------------------------------------------------------------
    def response(self, nucleus: Nucleus, T_kev: np.ndarray) -> np.ndarray:
        """Probability that a recoil T [keVnr] is observed (and accepted) in each energy bin:
        shape (n_energy_bins, len(T_kev))."""
        raise NotImplementedError

    def setup_data(self) -> None:
        """Read observed counts and backgrounds (called before the signal tables are built)."""

    # -- set-up ----------------------------------------------------------------------------------
    def setup(self) -> None:
        if self.config["form_factor"] not in FORM_FACTORS:
            form_factor(self.config["form_factor"], np.ones(1), 1.0, 1.0)  # raises the error
        self.gp, self.gn = weak_couplings(self.config["weak_couplings"])
        n_rec = int(self.config["n_recoil"])
        if n_rec < 20:
            raise GlobalfitError(f"Option n_recoil of {self.name!r} must be at least 20.")
        beam, target = self.card["beam"], self.card["target"]
        self.nuclei = [Nucleus(d["name"], int(d["Z"]), int(d["N"]), float(d["atomic_mass_u"]))
                       for d in target["nuclei"]]
        counts = [int(d.get("per_molecule", 1)) for d in target["nuclei"]]
        molar_g = sum(c * n.atomic_mass_u for c, n in zip(counts, self.nuclei, strict=True))
        molecules = target["mass_kg"] * 1e3 / molar_g * AVOGADRO
        self.flux = fl.flux_per_cm2(beam["nu_per_flavour_per_pot"], beam["pot"], beam["distance_m"])
        self.setup_data()
        mmu = fl.masses()[1]
        tables, q2s = [], []
        for c, nuc in zip(counts, self.nuclei, strict=True):
            M = nuc.mass_gev
            T = np.geomspace(float(self.card["target"].get("t_min_kev", 0.1)) * 1e-6,
                             fl.t_max(mmu / 2, M), n_rec)
            w = np.zeros_like(T)
            w[1:] += 0.5 * np.diff(T)
            w[:-1] += 0.5 * np.diff(T)
            F2 = form_factor(self.config["form_factor"], T, M, nuc.A) ** 2
            pref = c * molecules * self.flux * G_F**2 * M / np.pi * INV_GEV2_TO_CM2
            R = self.response(nuc, T * 1e6)  # (bins, k)
            tab = [pref * w * F2 * fl.kernel(T, M, f) * R for f in fl.SIGNAL_FLAVOURS]
            tables.append(np.stack(tab))  # (f, bins, k)
            q2s.append(2 * M * T)
        self.A = jnp.asarray(np.stack(tables, axis=1))  # (f, n, bins, k)
        self.A_k = jnp.asarray(np.stack(tables, axis=1).sum(-1))  # (f, n, bins): q2-free models
        self.q2 = jnp.asarray(np.stack(q2s))  # (n, k)
        self.Zs = jnp.asarray([float(n.Z) for n in self.nuclei])[:, None, None]
        self.Ns = jnp.asarray([float(n.N) for n in self.nuclei])[:, None, None]
        self._aidx = jnp.asarray([fl.FLAVOUR_INDEX[f] for f in fl.SIGNAL_FLAVOURS])

    # -- physics ---------------------------------------------------------------------------------
    def charges(self, point: Point, q2=None):
        """Q^2_eff on the recoil grid (or at ``q2``, shape (n, k)), shape (n, k, f) for the
        signal flavours."""
        eps = point.eps_vector(self.q2 if q2 is None else q2)  # (n, k, 3, 3, 3)
        eu, ed = eps[..., 1, :, :], eps[..., 2, :, :]
        Z, N = self.Zs[..., None], self.Ns[..., None]
        q = Z * (2 * eu + ed) + N * (eu + 2 * ed) + (Z * self.gp + N * self.gn) * jnp.eye(3)
        q2 = jnp.sum(jnp.real(q) ** 2 + jnp.imag(q) ** 2, axis=-1)  # (n, k, a)
        return q2[..., self._aidx]

    def signal_energy(self, point: Point):
        """CEvNS counts per signal flavour and energy bin, shape (3, n_bins)."""
        if point.model.eps_q2_independent:  # the recoil grid was contracted at set-up
            return jnp.einsum("fni,nf->fi", self.A_k, self.charges(point, self.q2[:, :1])[:, 0])
        return jnp.einsum("fnik,nkf->fi", self.A, self.charges(point))

    def time_fractions(self, edges_us, efficiency=None, trace=None) -> np.ndarray:
        """Fractions of each signal flavour's events per time bin, shape (3, n_t), from the
        card's POT trace ``[timing] trace_mean_us, trace_sigma_us`` or a tabulated prompt
        profile ``trace = (t_us, weight)``."""
        tm = self.card.get("timing", {})
        return np.stack([fl.time_pdf(np.asarray(edges_us, float), f,
                                     tm.get("trace_mean_us", 0.44), tm.get("trace_sigma_us", 0.15),
                                     efficiency, trace=trace)
                         for f in fl.SIGNAL_FLAVOURS])

    def check_model(self, model: Model, ranges) -> None:
        if "m_zprime" in ranges and ranges["m_zprime"][0] <= 0:
            raise GlobalfitError(f"{self.name!r} needs m_zprime > 0.")


class BinnedPoissonCEvNS(CEvNSLikelihood):
    """A Poisson likelihood over analysis bins (energy x time, ...): CEvNS with a normalisation
    nuisance ``cevns_norm`` plus backgrounds ``self.bkg`` (name -> expected counts per bin), each
    scaled by (1 + its nuisance). Subclasses spread the energy spectrum over their bins."""

    def spread(self, signal_energy):
        """Counts per flavour and analysis bin, shape (3, *bins), from the (3, n_E) spectrum."""
        raise NotImplementedError

    def expected(self, point):
        sig = self.spread(self.signal_energy(point) * (1 + point["cevns_norm"]))
        out = {"cevns": sig.sum(0)}
        out.update({f"cevns_{f}": sig[i] for i, f in enumerate(fl.SIGNAL_FLAVOURS)})
        out.update({k: v * (1 + point[k]) for k, v in self.bkg.items()})
        return out

    def loglike(self, point):
        e = self.expected(point)
        return poisson_loglike(self.n_obs, e["cevns"] + sum(e[k] for k in self.bkg))


# re-exported for the tests
__all__ = ["BinnedPoissonCEvNS", "CEvNSLikelihood", "charges_squared", "make_point",
           "poisson_loglike"]


def make_point(lik: Likelihood, model: str | Model = "nsi", model_options=None,
               nuisance=None, **params) -> Point:
    """A Point of ``model`` (defaults plus ``params``) with every nuisance of ``lik`` at 0 unless
    given in ``nuisance``: for tests, validation and plots."""
    from globalfit.models import get_model

    m = model if isinstance(model, Model) else get_model(model, **dict(model_options or {}))
    vals = {k: jnp.asarray(v, float) for k, v in {**m.defaults(), **params}.items()}
    nus = {k: jnp.asarray(0.0) for k in lik.nuisance_priors()}
    nus.update({k: jnp.asarray(v, float) for k, v in (nuisance or {}).items()})
    return Point(m, vals, nus)
