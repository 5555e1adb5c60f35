"""COHERENT CsI[Na] 2021, full data set (arXiv:2110.07730, v2 ancillary files).

Poisson likelihood over the paper's 9 PE x 11 time bins (PE < 60, 0 <= t < 6 us). CEvNS: quenching
from the release's scintillation-response polynomial, Gamma-distributed photoelectrons (paper's
a = 0.0749 / Eee, b = 9.56 Eee), the release's energy efficiency on a 0.25-PE grid, and time
profiles with the paper's time efficiency. Prompt nu_mu arrive with the beam-related-neutron arrival
profile of the release (brnTrec.txt: the 2017 release shows prompt neutrinos and prompt neutrons
with the same 0.5-us arrival profile to a few percent; the SNS flux file is not mirrored), delayed
nu_e and nubar_mu with that profile convolved with the muon lifetime. Backgrounds: beam-related and
neutrino-induced neutrons (release PE x time spectra, normalisations from the release with 25% and
35% priors) and the steady state (anti-coincidence PE spectrum, flat in time, 1/sqrt(N_AC) prior).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from scipy.stats import gamma

from globalfit.data import release_path
from likelihoods.coherent.base import BinnedPoissonCEvNS
from likelihoods.coherent.cross_section import Nucleus
from priors import TruncNormal


def _coefficients(path, n: int = 0) -> np.ndarray:
    """The n-th row of coefficients (a b c d) of a release coefficient file."""
    rows = [list(map(float, ln.split())) for ln in open(path)
            if ln.strip() and not ln.lstrip().startswith("#")]
    return np.asarray(rows[n])


def _rebin(centres, weights, edges) -> np.ndarray:
    """Sum of fine-bin weights (given at their centres) in each coarse bin."""
    idx = np.digitize(centres, edges) - 1
    out = np.zeros(len(edges) - 1)
    ok = (idx >= 0) & (idx < out.size)
    np.add.at(out, idx[ok], weights[ok])
    return out


class CsI2021(BinnedPoissonCEvNS):
    """COHERENT CsI[Na] 2021: Poisson in PE x time, nuisance normalisations."""

    name = "coherent_csi_2021"
    citation = "arXiv:2110.07730 (ancillary files)"
    card_file = "csi_2021.toml"

    def time_efficiency(self, t_us):
        det = self.card["detector"]
        t0, b = det["time_eff_t0_us"], det["time_eff_b_per_us"]
        return np.where(t_us < t0, 1.0, np.exp(-b * (t_us - t0)))

    def efficiency(self, pe):
        a, b, c, d = self._eff
        return np.clip(a / (1 + np.exp(-b * (pe - c))) + d, 0.0, None)

    def quenched_kevee(self, T_kev):
        c = self._qf
        x = np.asarray(T_kev) * 1e-3
        return np.clip(c[0] * x + c[1] * x**2 + c[2] * x**3 + c[3] * x**4, 0.0, None) * 1e3

    def setup_data(self) -> None:
        det = self.card["detector"]
        folder = release_path(self.card["release"])
        self.pedges = np.asarray(det["pe_edges"], float)
        self.tedges = np.asarray(det["time_edges_us"], float)
        self._eff = _coefficients(folder / "effCoefficients.txt")
        self._qf = _coefficients(folder / "scintRespCoefficients.txt")
        C = np.loadtxt(folder / "dataBeamOnC.txt", comments="#")
        AC = np.loadtxt(folder / "dataBeamOnAC.txt", comments="#")
        self.data = np.histogram2d(C[:, 0], C[:, 1], [self.pedges, self.tedges])[0]
        ac = np.histogram2d(AC[:, 0], AC[:, 1], [self.pedges, self.tedges])[0]
        self.n_ac = float(ac.sum())
        dt = np.diff(self.tedges)
        ss = ac.sum(1)[:, None] * (dt / (self.tedges[-1] - self.tedges[0]))[None, :]
        bk = {"steady_state": ss}
        teff = self.time_efficiency
        for k in ("brn", "nin"):
            pe = np.loadtxt(folder / f"{k}PE.txt")
            tr = np.loadtxt(folder / f"{k}Trec.txt")
            pe_pdf = _rebin(pe[:, 0], pe[:, 1], self.pedges)
            pe_pdf /= pe_pdf.sum()
            t_counts = _rebin(tr[:, 0], tr[:, 1] * teff(tr[:, 0]), self.tedges)
            bk[k] = pe_pdf[:, None] * t_counts[None, :]
            if k == "brn":
                trace = (tr[:, 0], tr[:, 1])
        self.bkg = {k: jnp.asarray(v) for k, v in bk.items()}
        self.n_obs = jnp.asarray(self.data)
        self.tfrac = self.time_fractions(self.tedges, self.time_efficiency, trace=trace)
        self._tf = jnp.asarray(self.tfrac)

    def response(self, nucleus: Nucleus, T_kev: np.ndarray) -> np.ndarray:
        det = self.card["detector"]
        e = np.maximum(self.quenched_kevee(T_kev), 1e-6)
        a, b = det["gamma_a"] / e, det["gamma_b"] * e
        fine = np.arange(0.0, self.pedges[-1] + 1e-9, 0.25)
        cdf = gamma.cdf(fine[:, None], a=1 + b[None], scale=1 / (a * (1 + b))[None])
        p = np.diff(cdf, axis=0) * self.efficiency(0.5 * (fine[1:] + fine[:-1]))[:, None]
        idx = np.digitize(0.5 * (fine[1:] + fine[:-1]), self.pedges) - 1
        R = np.zeros((len(self.pedges) - 1, T_kev.size))
        np.add.at(R, idx, p)
        return R

    def nuisance_priors(self):
        s = self.card["systematics"]
        return {"cevns_norm": TruncNormal(0.0, s["cevns_norm"], -1.0, 5.0),
                "brn": TruncNormal(0.0, s["brn"], -1.0, 5.0),
                "nin": TruncNormal(0.0, s["nin"], -1.0, 5.0),
                "steady_state": TruncNormal(0.0, 1 / np.sqrt(self.n_ac), -1.0, 5.0)}

    def spread(self, signal_energy):
        return signal_energy[:, :, None] * self._tf[:, None, :]  # (f, PE, t)
