"""Stopped-pion (pi+ decay-at-rest) neutrino fluxes at the SNS and their timing (physics.md 3).

pi+ -> mu+ nu_mu gives a prompt line at E = (m_pi^2 - m_mu^2) / (2 m_pi) = 29.79 MeV; the muon
decays at rest, mu+ -> e+ nu_e nubar_mu, with the Michel spectra (each normalised to 1, E <= m_mu/2)

    nu_e:     (192 / m_mu) (E/m_mu)^2 (1/2 - E/m_mu)
    nubar_mu: ( 64 / m_mu) (E/m_mu)^2 (3/4 - E/m_mu)

The flux of each flavour is r N_POT / (4 pi L^2). Timing: the proton-on-target (POT) trace is a
Gaussian (COHERENT LAr 2020 release: mean 440 ns, width 150 ns); prompt nu_mu follow it convolved
with the pion lifetime, delayed nu_e and nubar_mu with the pion and the muon lifetimes.

The kernels :func:`kernel_line` and :func:`kernel_michel` are the flux-averaged kinematic factor
K(T) = int dE phi(E) (1 - M T / (2 E^2)) Theta(E >= E_min(T)), in closed form.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.signal import fftconvolve

from globalfit.constants import pdg_mass

#: Flavour order of every CEvNS signal array: prompt nu_mu, delayed nu_e, delayed nubar_mu.
SIGNAL_FLAVOURS = ("numu", "nue", "numubar")
#: Flavour index a (e = 0, mu = 1, tau = 2) whose eps_ab each signal flavour sees.
FLAVOUR_INDEX = {"numu": 1, "nue": 0, "numubar": 1}
#: Lifetimes [us] (PDG): muon 2.1969811 us, charged pion 26.033 ns.
TAU_MU_US = 2.1969811
TAU_PI_US = 0.026033


@functools.cache
def masses() -> tuple[float, float]:
    """(m_pi+, m_mu) in GeV from the PDG data of ``particle``."""
    return pdg_mass("pi+"), pdg_mass("mu-")


def e_numu() -> float:
    """Energy of the prompt nu_mu line [GeV]: (m_pi^2 - m_mu^2) / (2 m_pi) = 29.79 MeV."""
    mpi, mmu = masses()
    return (mpi**2 - mmu**2) / (2 * mpi)


def michel(E: np.ndarray, flavour: str) -> np.ndarray:
    """Normalised nu_e or nubar_mu spectrum from mu+ decay at rest [1/GeV], E in GeV."""
    _, m = masses()
    x = np.asarray(E) / m
    if flavour == "nue":
        f = 192.0 / m * x**2 * (0.5 - x)
    elif flavour == "numubar":
        f = 64.0 / m * x**2 * (0.75 - x)
    else:
        raise ValueError(flavour)
    return np.where((x >= 0) & (x <= 0.5), f, 0.0)


def e_min(T: np.ndarray, M: float) -> np.ndarray:
    """Smallest neutrino energy [GeV] that gives recoil T [GeV] on a nucleus of mass M [GeV]."""
    return 0.5 * (T + np.sqrt(T**2 + 2 * M * T))


def t_max(E: np.ndarray, M: float) -> np.ndarray:
    """Largest recoil [GeV]: 2 E^2 / (M + 2 E)."""
    return 2 * E**2 / (M + 2 * E)


def kernel_line(T: np.ndarray, M: float) -> np.ndarray:
    """K(T) of the monochromatic nu_mu line: (1 - M T / (2 E0^2)) Theta(T <= T_max(E0))."""
    E0 = e_numu()
    return np.where(T <= t_max(E0, M), np.clip(1 - M * T / (2 * E0**2), 0, None), 0.0)


def kernel_michel(T: np.ndarray, M: float, flavour: str) -> np.ndarray:
    """K(T) of a Michel spectrum, int_{E_min}^{m_mu/2} phi(E) (1 - M T / (2 E^2)) dE, in closed
    form (antiderivatives of E^2 (c0 - E/m) and of (c0 - E/m))."""
    _, m = masses()
    c0, norm = (0.5, 192.0) if flavour == "nue" else (0.75, 64.0)

    def P(E):  # int E^2 (c0 - E/m) dE
        return c0 * E**3 / 3 - E**4 / (4 * m)

    def Q(E):  # int (c0 - E/m) dE
        return c0 * E - E**2 / (2 * m)

    lo = np.minimum(e_min(T, M), m / 2)
    hi = m / 2
    val = norm / m**3 * ((P(hi) - P(lo)) - M * T / 2 * (Q(hi) - Q(lo)))
    return np.clip(val, 0, None)


def kernel(T: np.ndarray, M: float, flavour: str) -> np.ndarray:
    """Flux-averaged kinematic factor K(T) of one signal flavour (dimensionless)."""
    return kernel_line(T, M) if flavour == "numu" else kernel_michel(T, M, flavour)


def flux_per_cm2(r: float, pot: float, distance_m: float) -> float:
    """Time-integrated flux per flavour [nu / cm^2]: r N_POT / (4 pi L^2)."""
    return r * pot / (4 * np.pi * (distance_m * 100.0) ** 2)


def time_pdf(edges_us: np.ndarray, flavour: str, mean_us: float = 0.44, sigma_us: float = 0.15,
             efficiency=None, dt_us: float = 0.002, trace=None) -> np.ndarray:
    """Fraction of one flavour's events in each time bin [us] (plus optional time efficiency
    eff(t), applied on the fine grid). POT trace (Gaussian, or ``trace = (t_us, weight)`` tabulated
    and used as the prompt profile) convolved with exp(-t/tau_pi) and, for the delayed flavours,
    with exp(-t/tau_mu); numerical convolution on a ``dt_us`` grid."""
    t = np.arange(-2.0, max(edges_us[-1], 0) + 40.0, dt_us)
    u = np.arange(0, 40.0, dt_us)
    if trace is None:
        trace = np.exp(-0.5 * ((t - mean_us) / sigma_us) ** 2)
        pdf = fftconvolve(trace, np.exp(-u / TAU_PI_US), mode="full")[: t.size]
    else:
        pdf = np.interp(t, trace[0], trace[1], left=0.0, right=0.0)
    if flavour != "numu":
        pdf = fftconvolve(pdf, np.exp(-u / TAU_MU_US), mode="full")[: t.size]
    pdf /= pdf.sum()
    if efficiency is not None:
        pdf = pdf * efficiency(t)
    idx = np.digitize(t, edges_us) - 1
    out = np.zeros(len(edges_us) - 1)
    ok = (idx >= 0) & (idx < out.size)
    np.add.at(out, idx[ok], pdf[ok])
    return out
