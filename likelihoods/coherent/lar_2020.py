"""COHERENT CENNS-10 liquid argon 2020, Analysis A (arXiv:2003.10630, release arXiv:2006.12659).

Poisson likelihood over the release's 12 energy (0-120 keVee) x 8 F90 x 10 time bins (option
``f90 = false``: energy x time only). Our CEvNS prediction per flavour and energy bin (quenching
QF = 0.246 + 0.00078 T, Gaussian resolution 0.58 sqrt(E), release efficiency at reconstructed
energy) is spread over time with the POT trace convolved with the pion / muon lifetimes (prompt
nu_mu vs delayed nu_e, nubar_mu) and over F90 with the release CEvNS PDF's F90 shape in each
energy-time bin. Backgrounds are the release PDFs (prompt and delayed beam-related neutrons,
steady state), each scaled by (1 + nuisance) with Gaussian priors of the paper's uncertainties;
the CEvNS normalisation nuisance has the 13% (17/128) of the prediction.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from scipy.special import erf

from globalfit.data import release_path
from likelihoods.coherent.base import BinnedPoissonCEvNS, CEvNSLikelihood
from likelihoods.coherent.cross_section import Nucleus
from priors import TruncNormal

_BACKGROUNDS = {"brn_prompt": "brnpdf.txt", "brn_delayed": "delbrnpdf.txt",
                "steady_state": "bkgpdf.txt"}


def _read_grid(path, shape):
    """Value column of a release file (rows E, F90, t; t fastest) as an (E, F90, t) array."""
    return np.loadtxt(path)[:, 3].reshape(shape)


class LAr2020(BinnedPoissonCEvNS):
    """COHERENT CENNS-10 LAr 2020: Poisson in energy x F90 x time, nuisance normalisations."""

    name = "coherent_lar_2020"
    citation = "arXiv:2003.10630; release arXiv:2006.12659"
    card_file = "lar_2020.toml"
    options = {**CEvNSLikelihood.options, "f90": True}

    def setup_data(self) -> None:
        det = self.card["detector"]
        folder = release_path(self.card["release"])
        self.eedges = np.asarray(det["energy_edges_kevee"], float)
        self.tedges = np.asarray(det["time_edges_us"], float)
        shape = (len(self.eedges) - 1, int(det["n_f90"]), len(self.tedges) - 1)
        self.shape = shape
        self.data = _read_grid(folder / "datanobkgsub.txt", shape)
        self.bkg = {k: _read_grid(folder / f, shape) for k, f in _BACKGROUNDS.items()}
        cev = _read_grid(folder / "cevnspdf.txt", shape)
        # F90 shape of CEvNS in each (E, t) bin; where the PDF is empty, that of the energy bin
        per_e = cev.sum(2, keepdims=True)
        per_e = np.where(per_e.sum(1, keepdims=True) > 0,
                         per_e / np.maximum(per_e.sum(1, keepdims=True), 1e-300), 1.0 / shape[1])
        tot = cev.sum(1, keepdims=True)
        self.f90_shape = np.where(tot > 0, cev / np.maximum(tot, 1e-300), per_e)  # (E, F, t)
        eff = np.loadtxt(folder / det["efficiency_file"])
        self._eff = (eff[:, 0], eff[:, 2])
        self.release_cevns = cev
        self.tfrac = self.time_fractions(self.tedges)  # (flavour, t)
        if not self.config["f90"]:
            self.data = self.data.sum(1, keepdims=True)
            self.bkg = {k: v.sum(1, keepdims=True) for k, v in self.bkg.items()}
            self.f90_shape = np.ones((shape[0], 1, shape[2]))
        self.n_obs = jnp.asarray(self.data)
        self.bkg = {k: jnp.asarray(v) for k, v in self.bkg.items()}
        self._sig3 = jnp.asarray(self.f90_shape[None] * self.tfrac[:, None, None, :])  # f,E,F,t
        self.norms = {k: tuple(map(float, v)) for k, v in self.card["normalisations"].items()}

    def efficiency(self, e_kevee: np.ndarray) -> np.ndarray:
        """Release efficiency at reconstructed energy [keVee] (last value above the table)."""
        x, y = self._eff
        return np.interp(e_kevee, x, y, left=0.0, right=y[-1])

    def response(self, nucleus: Nucleus, T_kev: np.ndarray) -> np.ndarray:
        det = self.card["detector"]
        e_ee = (det["qf_a"] + det["qf_b"] * T_kev) * T_kev
        sig = det["resolution"] * np.sqrt(e_ee)
        reco = np.linspace(0, self.eedges[-1], 2401)
        mid = 0.5 * (reco[1:] + reco[:-1])
        cdf = 0.5 * (1 + erf((reco[:, None] - e_ee[None]) / (np.sqrt(2) * sig[None])))
        p = np.diff(cdf, axis=0) * self.efficiency(mid)[:, None]  # (fine, k)
        idx = np.digitize(mid, self.eedges) - 1
        R = np.zeros((len(self.eedges) - 1, T_kev.size))
        np.add.at(R, idx, p)
        return R

    def nuisance_priors(self):
        out = {}
        for k in ("cevns", *_BACKGROUNDS):
            mean, err = self.norms[k]
            out[k if k != "cevns" else "cevns_norm"] = TruncNormal(0.0, err / mean, -1.0, 5.0)
        return out

    def spread(self, signal_energy):
        return signal_energy[:, :, None, None] * self._sig3  # (f, E, F, t)
