"""Validation table of the leptonic-scalar likelihoods: ours vs published, with tolerances.

    python -m likelihoods.decays.validate

Rows: the seed's LHC same-sign dilepton table (8 significances, 12 reaches, arXiv:1910.01132
Table 2), the meson-width normalisation (I(0,0) = 1/3; BR(pi -> e nu phi)/|lambda|^2 by hand), and
the talk's sensitivity scale for meson decays, Z decay, LHC and HL-LHC.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

import globalfit  # noqa: F401  (x64)
from globalfit.constants import G_F, pdg_mass, pdg_width
from globalfit.likelihood import Likelihood
from globalfit.models import get_model
from globalfit.models.base import Point
from likelihoods.decays import widths
from likelihoods.lhc.ss_dilepton import CHANNELS, SameSignDilepton

COUPLING = {"ee": "lambda_ee", "emu": "lambda_emu", "mumu": "lambda_mumu"}
#: Largest |lambda| searched (the scalar model's parameter domain is [-10, 10]).
LAMBDA_MAX = 10.0


def chi2_function(lik: Likelihood, coupling: str = "lambda_ee") -> Callable:
    """Jitted, vmapped -2 ln L(coupling, m_phi) of one likelihood, every other coupling zero."""
    model = get_model("scalar")
    base = {k: jnp.asarray(v, float) for k, v in model.defaults().items()}

    def f(lam, m_phi):
        p = dict(base)
        p[coupling] = lam
        p["m_phi"] = m_phi
        return -2.0 * lik.loglike(Point(model, p, {}))

    return jax.jit(jax.vmap(f))


def upper_bound(chi2: Callable, m_phi: float, delta: float = 3.84,
                grid: np.ndarray | None = None) -> float:
    """Smallest lambda above the best fit with chi2 - min chi2 = ``delta`` (a log grid brackets
    it, brentq refines it); nan when it is not reached below LAMBDA_MAX. The one-coupling bound
    of the published tables; the framework's profile with nuisances is ``globalfit scan``."""
    grid = np.concatenate([[0.0], np.geomspace(1e-5, LAMBDA_MAX, 300)]) if grid is None else grid
    vals = np.asarray(chi2(jnp.asarray(grid), jnp.full(grid.shape, m_phi)))
    i_best = int(np.argmin(vals))
    above = np.nonzero((vals - vals[i_best] > delta) & (np.arange(grid.size) > i_best))[0]
    if above.size == 0:
        return math.nan
    j = int(above[0])

    def g(x: float) -> float:
        return float(chi2(jnp.asarray([x]), jnp.asarray([m_phi]))[0]) - vals[i_best] - delta

    return brentq(g, grid[j - 1], grid[j], xtol=1e-10, rtol=1e-8)


def lhc_significance(channel: str, sigma_b: float, luminosity_fb: float = 3000.0) -> float:
    """sqrt(-2 ln L) at lambda = 1 in ``channel`` ('total': all three, common systematic)."""
    model = get_model("scalar")
    p = model.defaults()
    if channel == "total":
        lik = SameSignDilepton(sigma_b=sigma_b, luminosity_fb=luminosity_fb, correlation=1.0)
        p.update({c: 1.0 for c in COUPLING.values()})
    else:
        lik = SameSignDilepton(sigma_b=sigma_b, luminosity_fb=luminosity_fb, channels=[channel])
        p[COUPLING[channel]] = 1.0
    return math.sqrt(float(lik.chi2(Point(model, p, {}))))


def lhc_reach(channel: str, sigma_b: float, luminosity_fb: float) -> float:
    """|lambda| at Z = 2 (Delta chi^2 = 4) in one channel, by root finding on the likelihood."""
    lik = SameSignDilepton(sigma_b=sigma_b, luminosity_fb=luminosity_fb, channels=[channel])
    return upper_bound(chi2_function(lik, COUPLING[channel]), 0.1, delta=4.0)


def pi_e_by_hand() -> float:
    """BR(pi -> e nu phi)/|lambda|^2 at m_phi -> 0 with I = 1/3 (x_e -> 0), inputs typed here:
    G_F^2 Vud^2 f_pi^2 m_pi^3 / (768 pi^3) x tau_pi / hbar."""
    gf, vud, fpi, mpi = 1.1663788e-5, 0.97370, 0.1302, 0.13957039
    gamma_pi = 6.582119569e-25 / 2.6033e-8
    return gf**2 * vud**2 * fpi**2 * mpi**3 / (768 * math.pi**3) / gamma_pi


def pi_e_ours() -> float:
    from likelihoods.decays.mesons import MesonDecays

    lik = MesonDecays(channels=["pi_e"])
    model = get_model("scalar")
    p = model.defaults()
    p.update(lambda_ee=1.0, m_phi=1e-6)
    return float(lik.br_phi(Point(model, p, {}))["pi_e"])


def rows() -> list[tuple[str, float, str, str, bool]]:
    """(quantity, ours, published, tolerance, ok)."""
    card = SameSignDilepton().card["published"]
    out = []
    for sb, key in [(0.0, "significance_0"), (0.1, "significance_10")]:
        for ch in [*CHANNELS, "total"]:
            ours, pub = lhc_significance(ch, sb), card[key][ch]
            out.append((f"Z({ch}), 3/ab, {int(sb * 100)}% syst", ours, f"{pub}", "+-0.03",
                        abs(ours - pub) <= 0.03))
    for lum, tag in [(300.0, "lhc"), (3000.0, "hllhc")]:
        for sb in (0.0, 0.1):
            pub_row = card[f"reach_{tag}_{int(sb * 100)}"]
            for ch in CHANNELS:
                ours, pub = lhc_reach(ch, sb, lum), pub_row[ch]
                out.append((f"|lambda_{ch}| reach, {lum:g}/fb, {int(sb * 100)}% syst", ours,
                            f"{pub}", "+-0.03", abs(ours - pub) <= 0.03))
    i00 = widths.meson_integral(0.0, 0.0)
    out.append(("I(0, 0)", i00, "1/3", "1e-9", abs(i00 - 1 / 3) < 1e-9))
    ours, hand = pi_e_ours(), pi_e_by_hand()
    out.append(("BR(pi -> e nu phi)/|lambda|^2, m_phi -> 0", ours, f"{hand:.5g} (by hand)", "1%",
                abs(ours / hand - 1) < 0.01))
    # sensitivity scale of the talk (profile Delta chi^2 = 3.84 on lambda_ee, others zero)
    from likelihoods.decays.mesons import MesonDecays
    from likelihoods.decays.z_invisible import ZInvisible

    mes = upper_bound(chi2_function(MesonDecays()), 1e-3)
    out.append(("meson decays: |lambda_ee| 95%, m_phi = 1 MeV", mes, "0.01", "[0.003, 0.03]",
                0.003 <= mes <= 0.03))
    zf = chi2_function(ZInvisible())
    for m in (0.1, 1.0, 10.0):
        zb = upper_bound(zf, m)
        out.append((f"Z invisible: |lambda_ee| 95%, m_phi = {m:g} GeV", zb, "0.6", "x2",
                    0.3 <= zb <= 1.2))
    for lum, sb, pub, name in [(300.0, 0.1, 1.0, "LHC 300/fb"), (3000.0, 0.1, 0.5, "HL-LHC 3/ab")]:
        lik = SameSignDilepton(luminosity_fb=lum, sigma_b=sb)
        b = upper_bound(chi2_function(lik), 0.1)
        out.append((f"{name} (10% syst): |lambda_ee| 95%", b, f"{pub}", "x2",
                    pub / 2 <= b <= 2 * pub))
    return out


def conventions() -> list[tuple[str, float, float, float]]:
    """Effect of the two data conventions on |lambda_ee| bounds (profile Delta chi^2 = 3.84):
    (quantity, default, alternative, default/alternative - 1).

    - Z invisible: central_value "measured" (default) against "sm" (the conservative reading);
    - 90% CL meson limits: half-normal with its 90% quantile at the limit (default) against a
      direct reading (the limit taken as the Delta chi^2 = 3.84 point: sigma = limit / 1.96)."""
    from likelihoods.decays.mesons import MesonDecays
    from likelihoods.decays.z_invisible import ZInvisible

    out = []
    meas, sm = chi2_function(ZInvisible()), chi2_function(ZInvisible(central_value="sm"))
    for m in (0.001, 0.1, 1.0, 10.0):
        a, b = upper_bound(meas, m), upper_bound(sm, m)
        out.append((f"Z invisible, m_phi = {m:g} GeV: measured / sm", a, b, a / b - 1))
    for ch, m in (("pi_e", 0.001), ("K_e", 0.1), ("Ds_e", 1.0)):
        half, direct = MesonDecays(channels=[ch]), MesonDecays(channels=[ch])
        comp = direct.components_used[0]
        comp.sigma = float(comp.row["br"]) / 1.959964
        a, b = upper_bound(chi2_function(half), m), upper_bound(chi2_function(direct), m)
        out.append((f"{ch}, m_phi = {m:g} GeV: half-normal / direct", a, b, a / b - 1))
    return out


def main() -> None:
    table = rows()
    w = max(len(r[0]) for r in table)
    print(f"{'quantity':<{w}}  {'ours':>10}  {'published':>18}  {'tolerance':>14}  ok")
    for q, ours, pub, tol, ok in table:
        print(f"{q:<{w}}  {ours:>10.4g}  {pub:>18}  {tol:>14}  {'yes' if ok else 'NO'}")
    n_bad = sum(not r[4] for r in table)
    print(f"\n{len(table) - n_bad}/{len(table)} within tolerance")
    print("\nConventions, |lambda_ee| 95% bound (default, alternative, default/alternative - 1):")
    for q, a, b, d in conventions():
        print(f"  {q:<45} {a:8.4g} {b:8.4g} {d:+7.1%}")
    # also print the inputs used, for the record
    print(f"(m_pi = {pdg_mass('pi+'):.8g} GeV, Gamma_pi = {pdg_width('pi+'):.5g} GeV, "
          f"G_F = {G_F} GeV^-2)")
    raise SystemExit(1 if n_bad else 0)


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
