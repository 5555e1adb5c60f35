"""Widths of SM decays with a leptonic scalar phi radiated off a neutrino (physics.md section 4).

Everything here is parameter independent: numpy/scipy code that builds, once, the integrals the
likelihoods interpolate on a fixed grid in m_phi (no adaptive integrator per call).

The key identity (derived in docs/decays.md, "Mass convolution"): for a process with one
neutrino line and L = 1/2 lambda_ab phi nu_a nu_b,

    Gamma_phi = |lambda|^2 / (32 pi^2) int_{m_phi^2} dq^2 Gamma_SM(q^2) (q^2 - m_phi^2)^2 / q^6,

where Gamma_SM(q^2) is the SM (V-A) width with that neutrino given the mass^2 q^2. It gives the
seed's meson formula (``meson_integral``), the W/Z function J (``j_function``) and the
four-body tau width (``tau_k_table``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

#: Gauss-Legendre nodes/weights on [0, 1] (fixed quadrature, reused everywhere).
_GL_N = 160
_T, _W = np.polynomial.legendre.leggauss(_GL_N)
_T, _W = 0.5 * (_T + 1.0), 0.5 * _W


def kallen(a, b, c):
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


def _sqrt_kallen(a, b, c):
    return np.sqrt(np.clip(kallen(a, b, c), 0.0, None))


def integrate(f: Callable[[np.ndarray], np.ndarray], lo, hi, log: bool = True):
    """int_lo^hi f(x) dx by fixed Gauss-Legendre after the substitution
    x = exp(u), u = ln lo + (ln hi - ln lo) (1 - cos(pi t))/2 (``log``; else linear in x).
    The cosine map clusters nodes at both ends and removes square-root endpoint behaviour.
    ``lo`` and ``hi`` may be arrays (broadcast); f receives x with one extra trailing axis.
    Empty ranges (hi <= lo) give 0."""
    lo_a, hi_a = np.asarray(lo, float), np.asarray(hi, float)
    ok = hi_a > lo_a
    lo_s = np.where(ok, lo_a, 0.5)[..., None]
    hi_s = np.where(ok, hi_a, 1.0)[..., None]
    s = 0.5 * (1.0 - np.cos(np.pi * _T))
    ds = 0.5 * np.pi * np.sin(np.pi * _T)
    if log:
        a, b = np.log(lo_s), np.log(hi_s)
        x = np.exp(a + (b - a) * s)
        jac = x * (b - a) * ds
    else:
        x = lo_s + (hi_s - lo_s) * s
        jac = (hi_s - lo_s) * ds
    out = np.where(ok, np.sum(_W * jac * f(x), axis=-1), 0.0)
    return float(out) if out.ndim == 0 else out


def convolve(width: Callable[[np.ndarray], np.ndarray], x_phi: float, x_max: float) -> float:
    """(1/(32 pi^2)) int_{x_phi}^{x_max} dx g(x) (x - x_phi)^2 / x^3, with g(x) the SM width (in
    any unit) for neutrino mass^2 x (in units of the parent mass^2): Gamma_phi / |lambda|^2."""
    return integrate(lambda x: width(x) * (x - x_phi) ** 2 / x**3, x_phi, x_max) / (32 * np.pi**2)


# --- two-body meson decays P -> l N (V-A), N of mass^2 x m_P^2 ---------------------------------
def meson_massive_nu(x: np.ndarray, x_l: float) -> np.ndarray:
    """[Gamma(P -> l N) / (G_F^2 |V|^2 f_P^2 m_P^3 / (8 pi))] for an N of mass^2 x m_P^2:
    ((x + x_l) - (x - x_l)^2) lambda^(1/2)(1, x, x_l) (Shrock 1981)."""
    return ((x + x_l) - (x - x_l) ** 2) * _sqrt_kallen(1.0, x, x_l)


def meson_integral(x_l: float, x_phi: float) -> float:
    """The seed's I(x_l, x_phi) = int_{x_phi}^{(1-sqrt x_l)^2} dx [(x + x_l) - (x - x_l)^2]
    (x - x_phi)^2 / x^3 lambda^(1/2)(1, x, x_l); I(0, 0) = 1/3."""
    x_max = (1.0 - math.sqrt(x_l)) ** 2
    if x_phi >= x_max:
        return 0.0
    lo = max(x_phi, 1e-14)
    return integrate(lambda x: meson_massive_nu(x, x_l) * (x - x_phi) ** 2 / x**3, lo, x_max)


# --- W and Z: J(x_phi) in closed form ----------------------------------------------------------
def j_function(a):
    """J(a) = int_a^1 dx (1 - x)^2 (x - a)^2 (2 + x) / x^3 in closed form (a = m_phi^2/M^2):
    J = 1 - a^2 - (4 + 3a)(1 - a) - (2 + 6a) ln a + (a^2 - 3)(1 - a) - a(1 - a^2) + (1 - a^3)/3.
    J -> -2 ln a - 17/3 for a -> 0; J(1) = 0. Works with numpy and jax.numpy arrays."""
    xp = np
    try:  # use jax.numpy when given a tracer/array from jax
        import jax.numpy as jnp

        if not isinstance(a, float | int | np.ndarray | np.generic):
            xp = jnp
    except ImportError:  # pragma: no cover
        pass
    one_m = 1.0 - a
    return (1.0 - a * a - (4.0 + 3.0 * a) * one_m - (2.0 + 6.0 * a) * xp.log(a)
            + (a * a - 3.0) * one_m - a * (1.0 - a * a) + (1.0 - a**3) / 3.0)


def vector_massive_nu(x: np.ndarray) -> np.ndarray:
    """Gamma(V -> f N) / Gamma(V -> f nu) for V = W, Z with a massless f and N of mass^2 x M_V^2:
    (1 - x)^2 (2 + x) / 2."""
    return (1.0 - x) ** 2 * (2.0 + x) / 2.0


# --- tau -> l nu nu (phi) ----------------------------------------------------------------------
def tau_massive_nubar(y, x_l: float):
    """Gamma(tau -> l nubar_l(mass^2 y) nu_tau) / Gamma_0, Gamma_0 = G_F^2 m_tau^5/(192 pi^3).
    |M|^2 ~ (p_tau.p_nubar)(p_l.p_nutau); with Q = p_l + p_nutau, s = Q^2/m_tau^2:
    12 int ds (1 + y - s)(s - x_l)(1 - x_l/s) lambda^(1/2)(1, y, s). ``y`` may be an array."""
    y = np.asarray(y, float)
    hi = (1.0 - np.sqrt(y)) ** 2
    yy = y[..., None]
    return 12.0 * integrate(lambda s: (1.0 + yy - s) * (s - x_l) * (1.0 - x_l / s)
                            * _sqrt_kallen(1.0, yy, s), np.maximum(x_l, 1e-12), hi)


def tau_massive_nutau(y, x_l: float):
    """Gamma(tau -> l nubar_l nu_tau(mass^2 y)) / Gamma_0; with Q = p_l + p_nutau, s = Q^2/m_tau^2:
    12 int ds (1 - s)^2 (s - x_l - y) lambda^(1/2)(s, x_l, y) / s. ``y`` may be an array."""
    y = np.asarray(y, float)
    lo = (np.sqrt(x_l) + np.sqrt(y)) ** 2
    yy = y[..., None]
    return 12.0 * integrate(lambda s: (1.0 - s) ** 2 * (s - x_l - yy) * _sqrt_kallen(s, x_l, yy)
                            / s, lo, 1.0, log=False)


def michel_f(x):
    """f(x) = 1 - 8x + 8x^3 - x^4 - 12 x^2 ln x: the classic phase-space factor of
    mu -> e nu nu with one massive final fermion (x = m^2/m_mu^2)."""
    x = np.asarray(x, float)
    return 1 - 8 * x + 8 * x**3 - x**4 - 12 * x**2 * np.log(np.where(x > 0, x, 1.0))


def tau_k(x_phi: float, x_l: float, leg: str) -> float:
    """Gamma(tau -> l nu nu phi) / (Gamma_0 |lambda|^2) for phi emitted from the ``leg``
    ('nubar': the nubar_l, couplings lambda_lb; 'nutau': the nu_tau, couplings lambda_tau b)."""
    width = tau_massive_nubar if leg == "nubar" else tau_massive_nutau
    y_max = (1.0 - math.sqrt(x_l)) ** 2
    if x_phi >= y_max:
        return 0.0
    return convolve(lambda y: width(y, x_l), max(x_phi, 1e-14), y_max)


# --- tables on a logit grid in t = m_phi / m_end ---------------------------------------------
#: Grid in v = ln(t / (1 - t)), t = m_phi / (kinematic endpoint): dense (logarithmically) both at
#: small m_phi and near the endpoint, and uniform in v, so that a look-up needs no search.
V_MIN, V_MAX = -16.0, 16.0
#: Floor of the tabulated integrals before taking logs (values below it are zero for all uses).
TINY = 1e-300


def logit_grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(v, t) on n uniform points of v in [V_MIN, V_MAX]."""
    v = np.linspace(V_MIN, V_MAX, n)
    return v, 1.0 / (1.0 + np.exp(-v))


@functools.cache
def meson_table(m_p: float, m_l: float, n: int = 320) -> np.ndarray:
    """ln I(x_l, x_phi) on ``logit_grid(n)``, m_phi = t (m_p - m_l) [GeV]."""
    _, t = logit_grid(n)
    grid = t * (m_p - m_l)
    x_l = (m_l / m_p) ** 2
    x_phi = (grid / m_p) ** 2
    x_max = (1.0 - math.sqrt(x_l)) ** 2
    xp = x_phi[:, None]
    vals = integrate(lambda x: meson_massive_nu(x, x_l) * (x - xp) ** 2 / x**3,
                     np.maximum(x_phi, 1e-14), x_max)
    return np.log(np.maximum(vals, TINY))


@functools.cache
def tau_table(m_tau: float, m_l: float, leg: str, n: int = 200) -> np.ndarray:
    """ln K on ``logit_grid(n)``, m_phi = t (m_tau - m_l), Gamma(tau -> l nu nu phi) = Gamma_0
    |lambda|^2 K."""
    _, t = logit_grid(n)
    x_l = (m_l / m_tau) ** 2
    vals = np.array([tau_k((m / m_tau) ** 2, x_l, leg) for m in t * (m_tau - m_l)])
    return np.log(np.maximum(vals, TINY))
