"""Validation table of the LHC Z' likelihoods: ``python -m likelihoods.lhc.validate``.

CMS Z -> 4 mu recast (arXiv:1808.03684): BR(Z' -> mu mu) of L_mu - L_tau and the ratio of the
set-A bound to the published curve, both against massless hand values at 60 GeV; then a table of
the published observed g'_95 (the figure's ROOT-file points, release lhc/cms_z4mu_2018, when
present), our built-in curve, and the Delta chi^2 = 3.84 bounds for L_mu - L_tau, sets A and B.

Benchmarks (published numbers, ATLAS arXiv:1903.06248, 139 fb^-1, section 7 and table 3):
sequential-SM Z' excluded below 5.1 TeV (Gamma/M = 3%), E6 Z'_psi below 4.5 TeV (Gamma/M = 0.5%).
Our production (ZPEED leading-order luminosities, no K-factor) and the built-in limit table
must reproduce both mass limits; a 20% change in sigma moves them by about 60-90 GeV.

Benchmark couplings: SSM = Standard-Model Z couplings g_Z (T3 - Q s_W^2), g_Z = e/(s_W c_W) with
alpha(M_Z) = 1/128 and s_W^2 = 0.2312, and BR(ll) = Gamma_ll / (0.03 M) (ATLAS's 3% width);
Z'_psi = pure axial couplings g_E6 Q_psi, g_E6 = sqrt(5/3) e/c_W = 0.461, Q_psi = 1/(2 sqrt 6) for
every left-handed Weyl fermion, BR(ll) = 1/22.5 (3 generations, neutrinos left-handed).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

import globalfit
from globalfit.data import locate
from likelihoods.lhc import production
from likelihoods.lhc.dilepton_resonance import DileptonResonance
from likelihoods.lhc.four_lepton import FourLepton
from likelihoods.limit_curves import LMU_LTAU_CHARGES, lmu_ltau_br, read_csv

#: Masses [GeV] of the ATLAS built-in vs release table (where the old coarse table was worst).
ATLAS_MASSES = (250.0, 316.0, 840.0, 1160.0, 1259.0, 2060.0, 5000.0)
#: Masses [GeV] of the CMS Z -> 4 mu table: the curve's minimum (6.13), a few, and its end.
Z4MU_MASSES = (5.0, 6.13, 10.0, 20.0, 30.0, 45.0, 60.0, 70.0)

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


def dilepton_bounds(lik: DileptonResonance, masses, charges="A",
                    iterations: int = 30) -> np.ndarray:
    """Profile 95% bound on g' (s = s_95, Delta chi^2 = 3.84) of the dilepton likelihood at every
    mass at once: bisection in log10 g' on [-6, 1.5] (30 halvings: 1e-8 relative), vectorised."""
    ch = globalfit.get_model("zprime", charges=charges).fermion_charges()

    def excess(lg, m):
        s, w = lik.signal_fb(10.0**lg, m, ch)
        return jnp.log(s) - jnp.log(lik.limit_fb(m, w))

    f = jax.jit(jax.vmap(excess))
    masses = np.asarray(masses, float)
    lo, hi = np.full(len(masses), -6.0), np.full(len(masses), 1.5)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        up = np.asarray(f(jnp.asarray(mid), jnp.asarray(masses))) > 0
        lo, hi = np.where(up, lo, mid), np.where(up, mid, hi)
    return 10 ** (0.5 * (lo + hi))


def atlas_builtin_vs_release(charges="A") -> tuple[list, tuple[float, float]] | None:
    """([(M, built-in g'95, release g'95)] at ATLAS_MASSES, (largest |built-in/release - 1|, at
    which mass) over the release masses and midpoints), or None without the release."""
    if locate(DileptonResonance().card["release"]) is None:
        return None
    b, r = DileptonResonance(), DileptonResonance(limits="release")
    m = r.mass[(r.mass >= b.m_range[0]) & (r.mass <= b.m_range[1])]
    grid = np.sort(np.concatenate([m, 0.5 * (m[1:] + m[:-1]), ATLAS_MASSES]))
    gb, gr = dilepton_bounds(b, grid, charges), dilepton_bounds(r, grid, charges)
    rel = np.abs(gb / gr - 1)
    idx = [int(np.searchsorted(grid, x)) for x in ATLAS_MASSES]
    return ([(grid[i], gb[i], gr[i]) for i in idx],
            (float(rel.max()), float(grid[np.argmax(rel)])))


def z4mu_bound_ratio(charges, m: float, lik: FourLepton | None = None) -> float:
    """g'_95(charges) / g'_95(published curve) of the CMS Z -> 4 mu recast at mass m [GeV]
    (-2 ln L = 3.84 (g_eff/g_95)^4, so the bound is g_95 / sqrt(g_eff^2(g' = 1)))."""
    ch = globalfit.get_model("zprime", charges=charges).fermion_charges() \
        if isinstance(charges, str) else charges
    return float(1.0 / jnp.sqrt((lik or FourLepton()).g2_eff_z4mu(1.0, m, ch)))


def z4mu_table() -> list[tuple[float, float, float, float, float, float]]:
    """(M, published g'_95 or nan, built-in g'_95, bound L_mu - L_tau, set A, set B) at
    ``Z4MU_MASSES``: the published value is the release's point nearest to M."""
    lik = FourLepton(searches=["cms_z4mu"])
    ms, loglim, _, _ = lik.tables["cms_z4mu"]
    folder = locate("lhc/cms_z4mu_2018")
    pub = read_csv(folder / lik.card["cms_z4mu"]["release_file"]) if folder else None
    out = []
    for m in Z4MU_MASSES:
        if pub is not None:
            i = int(np.argmin(np.abs(pub[:, 0] - m)))
            m, published = float(pub[i, 0]), float(pub[i, 1])
        else:
            published = math.nan
        g = float(np.exp(np.interp(m, ms, loglim)))
        out.append((m, published, g, *(g * z4mu_bound_ratio(c, m, lik)
                                       for c in (LMU_LTAU_CHARGES, "A", "B"))))
    return out


def rows() -> list[tuple[str, float, float, str]]:
    """(quantity, ours, published or hand value, tolerance) for the docs table."""
    br = globalfit.get_model("zprime", charges="A").branching_ratios(1.0, 5000.0)
    br_ref = lmu_ltau_br(60.0)
    br_a_hand = 9 / (27 / 2 + 5 / 3)  # massless, t closed: mu 9, nu_mu 9/2, 5 quarks 3 x 1/9
    return [
        ("BR(Z' -> mu mu), set A, M = 5 TeV", float(br["mumu"]), 18 / 31, "1e-4 rel"),
        ("SSM Z' mass limit [TeV], 139/fb", mass_limit(ssm_sigma_fb, 0.03) / 1e3, 5.1, "0.15 TeV"),
        ("Z'_psi mass limit [TeV], 139/fb", mass_limit(psi_sigma_fb, 0.005) / 1e3, 4.5,
         "0.15 TeV"),
        ("BR(Z'->mumu), Lmu-Ltau, 60 GeV (hand 1/3)", float(br_ref), 1 / 3, "1e-3 rel"),
        ("Z->4mu g'95 set A / CMS curve, 60 GeV (hand)", z4mu_bound_ratio("A", 60.0),
         math.sqrt((1 / 3) / br_a_hand) / 3, "1e-3 rel"),
    ]


def main() -> None:
    print(f"{'quantity':42s} {'ours':>10s} {'published':>10s}  tolerance")
    for q, ours, pub, tol in rows():
        print(f"{q:42s} {ours:10.4f} {pub:10.4f}  {tol}")
    atlas = atlas_builtin_vs_release()
    if atlas is not None:
        rows_, (worst, at) = atlas
        print("\nATLAS 139/fb, set A, 95% bound on g': built-in table vs the full release")
        for m, gb, gr in rows_:
            print(f"  M = {m:6.0f} GeV: built-in {gb:.4e}, release {gr:.4e} ({gb / gr - 1:+.2%})")
        print(f"  largest |difference| over the release masses and midpoints: {worst:.3%} "
              f"at {at:g} GeV")
    print("\nCMS Z -> 4 mu (arXiv:1808.03684): observed g'_95 (ROOT-file points of the figure, "
          "not HEPData) and our 95% bounds (Delta chi^2 = 3.84):")
    print(f"{'M [GeV]':>8s} {'published':>10s} {'built-in':>10s} {'Lmu-Ltau':>10s} "
          f"{'set A':>10s} {'set B':>10s}")
    for row in z4mu_table():
        print(f"{row[0]:8.3f} " + " ".join(f"{v:10.4g}" for v in row[1:]))
    print("\nSSM Z' fiducial sigma x BR(ll) at 13 TeV, leading order (ours, fb):")
    for m in (2000.0, 3000.0, 4000.0, 5000.0):
        print(f"  M = {m / 1e3:.0f} TeV: {ssm_sigma_fb(m):.4g}")


if __name__ == "__main__":
    main()
