"""COHERENT CsI[Na] 2017 (arXiv:1708.01294) with the chi-square of Liao-Marfatia (arXiv:1708.04255):

    chi2 = sum_{i} [N_meas,i - N_th,i (1 + alpha) - B_on,i (1 + beta)]^2 / sigma_i^2
           + (alpha / sigma_alpha)^2 + (beta / sigma_beta)^2,
    sigma_i^2 = N_meas,i + 2 B_ss,i + B_on,i

over the twelve 2-PE bins of 6-30 PE. With ``profile = true`` (default) alpha and beta are
minimised analytically (chi2 is quadratic in them); with ``profile = false`` they are sampled as
``coherent_csi_2017.alpha`` and ``.beta`` with normal priors of widths sigma_alpha, sigma_beta (the
penalty terms then live in the priors, not in ``loglike``). The data are typed into csi_2017.toml.

Detector: flat quenching 0.0878, 13.348 PE/keVee, acceptance of the release at 1-PE bin centres,
photoelectron counts Poisson-distributed around LY x QF x T (option ``pe_smearing``).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from scipy.stats import poisson

from globalfit.errors import GlobalfitError
from likelihoods.coherent.base import CEvNSLikelihood
from likelihoods.coherent.cross_section import Nucleus
from likelihoods.coherent.flux import SIGNAL_FLAVOURS
from priors import Normal


def acceptance_2017(x: np.ndarray, a: float, k: float, x0: float) -> np.ndarray:
    """CsI 2017 acceptance a / (1 + exp(-k (x - x0))) H(x) with the release's step H."""
    x = np.asarray(x, float)
    H = np.where(x < 5, 0.0, np.where(x < 6, 0.5, 1.0))
    return a / (1 + np.exp(-k * (x - x0))) * H


class CsI2017(CEvNSLikelihood):
    """COHERENT CsI[Na] 2017, 6-30 PE, chi-square of arXiv:1708.04255 (nuisances alpha, beta)."""

    name = "coherent_csi_2017"
    citation = "arXiv:1708.01294; release arXiv:1804.09459; chi2 of arXiv:1708.04255"
    card_file = "csi_2017.toml"
    options = {**CEvNSLikelihood.options, "form_factor": "klein_nystrand", "profile": True,
               "pe_smearing": "poisson"}

    def setup_data(self) -> None:
        if self.config["pe_smearing"] not in ("poisson", "none"):
            raise GlobalfitError(f"Option pe_smearing of {self.name!r} must be 'poisson' or "
                                 f"'none', not {self.config['pe_smearing']!r}.")
        d = self.card["data"]
        self.edges = np.asarray(d["pe_edges"], float)
        self.n_obs = jnp.asarray(d["observed"], float)
        self.b_ss = jnp.asarray(d["steady_state"], float)
        self.b_on = jnp.asarray(d["prompt_neutrons"], float)
        self.sigma2 = self.n_obs + 2 * self.b_ss + self.b_on
        s = self.card["systematics"]
        self.sa, self.sb = float(s["sigma_alpha"]), float(s["sigma_beta"])

    def response(self, nucleus: Nucleus, T_kev: np.ndarray) -> np.ndarray:
        det = self.card["detector"]
        mu = det["light_yield_pe_per_kevee"] * det["quenching"] * T_kev  # mean PE
        n = np.arange(int(self.edges[0]), int(self.edges[-1]))  # integer PE counts in range
        acc = acceptance_2017(n + 0.5, **det["acceptance"])
        if self.config["pe_smearing"] == "poisson":
            p = poisson.pmf(n[:, None], mu[None, :])
        else:
            p = ((mu[None, :] >= n[:, None]) & (mu[None, :] < n[:, None] + 1)).astype(float)
        p = p * acc[:, None]
        idx = np.digitize(n, self.edges) - 1
        R = np.zeros((len(self.edges) - 1, T_kev.size))
        np.add.at(R, idx, p)
        return R

    def nuisance_priors(self):
        if self.config["profile"]:
            return {}
        return {"alpha": Normal(0.0, self.sa), "beta": Normal(0.0, self.sb)}

    def expected(self, point):
        s = self.signal_energy(point)
        alpha = 0.0 if self.config["profile"] else point["alpha"]
        beta = 0.0 if self.config["profile"] else point["beta"]
        out = {"cevns": s.sum(0) * (1 + alpha)}
        out.update({f"cevns_{f}": s[i] * (1 + alpha) for i, f in enumerate(SIGNAL_FLAVOURS)})
        out["prompt_neutrons"] = self.b_on * (1 + beta)
        out["steady_state"] = self.b_ss  # subtracted from the data (residual counts)
        return out

    def chi2_terms(self, n_th, alpha, beta):
        """Data part of the chi-square at given alpha, beta (without the penalty terms)."""
        r = self.n_obs - n_th * (1 + alpha) - self.b_on * (1 + beta)
        return jnp.sum(r**2 / self.sigma2)

    def profile_nuisances(self, n_th):
        """(alpha, beta) minimising the full chi-square: solve the 2x2 normal equations."""
        r0 = self.n_obs - n_th - self.b_on
        w = 1.0 / self.sigma2
        saa = jnp.sum(n_th**2 * w) + 1 / self.sa**2
        sbb = jnp.sum(self.b_on**2 * w) + 1 / self.sb**2
        sab = jnp.sum(n_th * self.b_on * w)
        ya, yb = jnp.sum(r0 * n_th * w), jnp.sum(r0 * self.b_on * w)
        det = saa * sbb - sab**2
        return (sbb * ya - sab * yb) / det, (saa * yb - sab * ya) / det

    def chi2(self, point, alpha=None, beta=None):
        """Full chi-square (penalties included); alpha, beta profiled where not given."""
        n_th = self.signal_energy(point).sum(0)
        if alpha is None or beta is None:
            alpha, beta = self.profile_nuisances(n_th)
        return self.chi2_terms(n_th, alpha, beta) + (alpha / self.sa) ** 2 + (beta / self.sb) ** 2

    def loglike(self, point):
        if self.config["profile"]:
            return -0.5 * self.chi2(point)
        n_th = self.signal_energy(point).sum(0)
        return -0.5 * self.chi2_terms(n_th, point["alpha"], point["beta"])
