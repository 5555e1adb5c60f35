"""Validation table of the LHC Z' likelihoods: ``python -m likelihoods.lhc.validate``.

CMS Z -> 4 mu recast (arXiv:1808.03684): BR(Z' -> mu mu) of the L_mu - L_tau reference and the
ratio of the set-A bound to the reference one, both against massless hand values at 60 GeV (the
published g'_95 curve itself is not available offline).

Benchmarks (published numbers, ATLAS arXiv:1903.06248, 139 fb^-1, section 7 and table 3):
sequential-SM Z' excluded below 5.1 TeV (Gamma/M = 3%), E6 Z'_psi below 4.5 TeV (Gamma/M = 0.5%).
Our production (ZPEED leading-order luminosities, no K-factor) and the built-in coarse limit table
must reproduce both mass limits; a 20% change in sigma moves them by about 60-90 GeV.

Benchmark couplings: SSM = Standard-Model Z couplings g_Z (T3 - Q s_W^2), g_Z = e/(s_W c_W) with
alpha(M_Z) = 1/128 and s_W^2 = 0.2312, and BR(ll) = Gamma_ll / (0.03 M) (ATLAS's 3% width);
Z'_psi = pure axial couplings g_E6 Q_psi, g_E6 = sqrt(5/3) e/c_W = 0.461, Q_psi = 1/(2 sqrt 6) for
every left-handed Weyl fermion, BR(ll) = 1/22.5 (3 generations, neutrinos left-handed).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from scipy.optimize import brentq

import globalfit
from globalfit.models.zprime_widths import branching_ratios
from likelihoods.lhc import production
from likelihoods.lhc.dilepton_resonance import DileptonResonance
from likelihoods.lhc.four_lepton import LMU_LTAU_CHARGES, FourLepton

SW2 = 0.2312
G_Z = math.sqrt(4 * math.pi / 128.0) / math.sqrt(SW2 * (1 - SW2))


def _va2(t3: float, q: float) -> float:
    """(g_V^2 + g_A^2) of the SM Z coupling of a fermion (T3, Q): (g_L^2 + g_R^2)/2."""
    gl, gr = G_Z * (t3 - q * SW2), G_Z * (-q * SW2)
    return (gl**2 + gr**2) / 2


def ssm_sigma_fb(m: float) -> float:
    """Fiducial sigma x BR(ll) [fb] of the sequential-SM Z' at 13 TeV (leading order)."""
    br = _va2(-0.5, -1.0) / (12 * math.pi) / 0.03
    return float(production.sigma_fid_fb(m, _va2(0.5, 2 / 3), _va2(-0.5, -1 / 3), br))


def psi_sigma_fb(m: float) -> float:
    """Fiducial sigma x BR(ll) [fb] of the E6 Z'_psi at 13 TeV (leading order)."""
    a2 = (math.sqrt(5 / 3) * math.sqrt(4 * math.pi / 128.0) / math.sqrt(1 - SW2)
          / (2 * math.sqrt(6))) ** 2
    return float(production.sigma_fid_fb(m, a2, a2, 1 / 22.5))


def mass_limit(sigma, width: float, lik: DileptonResonance | None = None) -> float:
    """Mass [GeV] where the benchmark sigma x BR crosses the 139 fb^-1 observed limit."""
    lik = lik or DileptonResonance()
    return brentq(lambda m: math.log(sigma(m) / float(lik.limit_fb(m, width))), 2500.0, 5300.0)


def z4mu_bound_ratio(charges: str, m: float) -> float:
    """g'_95(charges) / g'_95(L_mu - L_tau) of the CMS Z -> 4 mu recast at mass m [GeV]."""
    ch = globalfit.get_model("zprime", charges=charges).fermion_charges()
    return float(1.0 / jnp.sqrt(FourLepton().g2_eff_z4mu(1.0, m, ch)))


def rows() -> list[tuple[str, float, float, str]]:
    """(quantity, ours, published or hand value, tolerance) for the docs table."""
    br = globalfit.get_model("zprime", charges="A").branching_ratios(1.0, 5000.0)
    br_ref = branching_ratios(1.0, 60.0, LMU_LTAU_CHARGES)["mumu"]
    br_a_hand = 9 / (27 / 2 + 5 / 3)  # massless, t closed: mu 9, nu_mu 9/2, 5 quarks 3 x 1/9
    return [
        ("BR(Z' -> mu mu), set A, M = 5 TeV", float(br["mumu"]), 18 / 31, "1e-4 rel"),
        ("SSM Z' mass limit [TeV], 139/fb", mass_limit(ssm_sigma_fb, 0.03) / 1e3, 5.1, "0.15 TeV"),
        ("Z'_psi mass limit [TeV], 139/fb", mass_limit(psi_sigma_fb, 0.005) / 1e3, 4.5,
         "0.15 TeV"),
        ("BR(Z'->mumu), Lmu-Ltau, 60 GeV (hand 1/3)", float(br_ref), 1 / 3, "1e-3 rel"),
        ("Z->4mu g'95 set A / Lmu-Ltau, 60 GeV (hand)", z4mu_bound_ratio("A", 60.0),
         math.sqrt((1 / 3) / br_a_hand) / 3, "1e-3 rel"),
    ]


def main() -> None:
    print(f"{'quantity':42s} {'ours':>10s} {'published':>10s}  tolerance")
    for q, ours, pub, tol in rows():
        print(f"{q:42s} {ours:10.4f} {pub:10.4f}  {tol}")
    print("\nCMS Z -> 4 mu (arXiv:1808.03684): published g'_95 of L_mu - L_tau not available "
          "offline, so the channel cms_z4mu is off (see four_lepton.toml); the rows above check "
          "its charge recast only.")
    print("\nSSM Z' fiducial sigma x BR(ll) at 13 TeV, leading order (ours, fb):")
    for m in (2000.0, 3000.0, 4000.0, 5000.0):
        print(f"  M = {m / 1e3:.0f} TeV: {ssm_sigma_fb(m):.4g}")


if __name__ == "__main__":
    main()
