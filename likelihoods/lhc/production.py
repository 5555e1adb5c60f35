"""Narrow-width Drell-Yan production of a Z' at the LHC (physics.md section 5).

sigma_fid(pp -> Z' -> l l) = K (pi / (4 M^2)) BR(Z' -> ll) sum_q g_q^2 T2_q(M)   [GeV^-2]

with T2_u (u, c) and T2_d (d, s, b) the rapidity-integrated parton luminosities with the ATLAS
dimuon fiducial cuts of ZPEED (arXiv:1912.06374), typed into ``production.toml`` at 15 masses
between 250 GeV and 5.32 TeV. No parton-distribution set is needed at run time.

Interpolation: log T2_u is a monotone cubic (PCHIP) in log M; the d/u ratio is a PCHIP in M through
the masses where both were read. A fine log-spaced grid is precomputed once; at run time a point
costs one ``jnp.interp``.

14 TeV: with tau = M^2/s, M^2 sigma depends on tau only if the (logarithmic) scale dependence of the
parton densities is neglected, so T2 at 14 TeV and mass M equals T2 at 13 TeV and mass 13 M / 14
(the "collider reach" scaling of Salam and Weiler). This is what ``sqrt_s_TeV = 14`` uses.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from globalfit.errors import GlobalfitError
from globalfit.likelihood import load_data_card


@functools.cache
def _card() -> dict[str, Any]:
    return load_data_card(Path(__file__).with_name("production.toml"))


@functools.cache
def lumi_grid(n: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(masses [GeV], T2_u, T2_d) on a fine log grid over the tabulated 13 TeV range."""
    from scipy.interpolate import PchipInterpolator

    c = _card()
    m = np.asarray(c["mass_GeV"], float)
    tu = np.asarray(c["T2_u"], float)
    td = np.asarray(c["T2_d"], float)
    ok = np.isfinite(tu)
    fu = PchipInterpolator(np.log(m[ok]), np.log(tu[ok]))
    both = np.isfinite(tu) & np.isfinite(td)
    fr = PchipInterpolator(m[both], np.log(td[both] / tu[both]))
    grid = np.geomspace(m[0], m[-1], n)
    t2u = np.exp(fu(np.log(grid)))
    t2d = t2u * np.exp(fr(grid))
    return grid, t2u, t2d


def mass_range(sqrt_s_tev: float = 13.0) -> tuple[float, float]:
    """Range of Z' masses [GeV] the production table covers at this energy."""
    grid = lumi_grid()[0]
    scale = sqrt_s_tev / _card()["sqrt_s_TeV"]
    return float(grid[0] * scale), float(grid[-1] * scale)


def check_energy(sqrt_s_tev: float) -> None:
    if sqrt_s_tev not in (13.0, 14.0):
        raise GlobalfitError(f"LHC energy {sqrt_s_tev:g} TeV is not supported; use 13 or 14.")


def t2(m: Any, sqrt_s_tev: float = 13.0) -> tuple[Any, Any]:
    """(T2_u, T2_d) at Z' mass ``m`` [GeV] and the given energy (13 or 14 TeV), jax-traceable."""
    grid, tu, td = lumi_grid()
    m13 = m * (_card()["sqrt_s_TeV"] / sqrt_s_tev)
    lm = jnp.log(m13)
    lg = np.log(grid)
    u = jnp.exp(jnp.interp(lm, lg, np.log(tu)))
    d = jnp.exp(jnp.interp(lm, lg, np.log(td)))
    return u, d


def sigma_fid_fb(m: Any, g_u2: Any, g_d2: Any, br_ll: Any, sqrt_s_tev: float = 13.0,
                 k_factor: float = 1.0) -> Any:
    """Fiducial sigma x BR(Z' -> ll) [fb] in the narrow-width limit.

    ``g_u2``, ``g_d2``: g_V^2 + g_A^2 of up- and down-type quarks (g'^2 Q'_q^2 for a vector Z')."""
    u, d = t2(m, sqrt_s_tev)
    return k_factor * _card()["gev2_to_fb"] * math.pi / (4.0 * m**2) * br_ll * (g_u2 * u + g_d2 * d)


def down_to_up_ratio() -> float:
    """T2_d / T2_u at the lowest tabulated mass (250 GeV), used for the production ratio of a Z'
    and a dark photon below M_Z (sea-dominated: the ratio varies slowly)."""
    _, tu, td = lumi_grid()
    return float(td[0] / tu[0])
