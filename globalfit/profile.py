"""Profile likelihood: minimise -2 log L over every other free parameter at fixed values of one.

Nuisance parameters keep their priors as penalty terms (Gaussian pulls); model parameters do not
(a coupling's prior is not a measurement). Bounds are Delta chi2 crossings (physics.md section 6:
1-D 68/95% at 1 and 3.84 (``level``), 2-D at 2.30 and 5.99).
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize

from globalfit.errors import GlobalfitError


class _Coordinates:
    """The minimiser's coordinates: each parameter measured in units of its prior's 68% half-width
    around the prior median (log-uniform parameters in the log), so that L-BFGS-B sees a problem
    of order one in every direction (Delta m^2 in eV^2 next to angles in radians converges in a
    few iterations instead of dozens)."""

    def __init__(self, fit: Any, index: list[int]) -> None:
        self.index = index
        names = [fit.parameters[i] for i in index]
        priors = [fit.priors[n] for n in names]
        self.log = np.array([p.kind == "loguniform" for p in priors], bool)
        q = [np.asarray(p.transform(np.array([0.16, 0.5, 0.84])), float) for p in priors]
        q = [np.log(v) if lg else v for v, lg in zip(q, self.log, strict=True)]
        self.centre = np.array([v[1] for v in q]) if q else np.zeros(0)
        self.scale = np.array([max(0.5 * (v[2] - v[0]), 1e-300) for v in q]) if q else np.zeros(0)
        self.bounds = []
        for p, lg, c, w in zip(priors, self.log, self.centre, self.scale, strict=True):
            lo, hi = p.support
            if lg:
                lo, hi = math.log(lo), math.log(hi)
            self.bounds.append(((lo - c) / w if math.isfinite(lo) else None,
                                (hi - c) / w if math.isfinite(hi) else None))

    def to_theta(self, z: np.ndarray) -> np.ndarray:
        u = self.centre + self.scale * z
        return np.where(self.log, np.exp(u), u)

    def to_z(self, theta: np.ndarray) -> np.ndarray:
        u = np.where(self.log, np.log(np.where(self.log, theta, 1.0)), theta)
        return (u - self.centre) / self.scale

    def dtheta_dz(self, theta: np.ndarray) -> np.ndarray:
        return self.scale * np.where(self.log, theta, 1.0)


_COORDINATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _coordinates(fit: Any, free: tuple[int, ...]) -> _Coordinates:
    """:class:`_Coordinates` of ``fit`` for the parameters ``free``, made once per fit."""
    per_fit = _COORDINATES.setdefault(fit, {})
    if free not in per_fit:
        per_fit[free] = _Coordinates(fit, list(free))
    return per_fit[free]


def _minimise(fit: Any, theta: np.ndarray, free: list[int]) -> tuple[float, np.ndarray]:
    """min over the parameters ``free`` of chi2 (``fit.chi2_and_grad``) started at ``theta``;
    returns (chi2, the minimising point). L-BFGS-B in the scaled coordinates of
    :class:`_Coordinates`, stopped when chi2 changes by less than 1e-7 (relative, absolute
    below 1): Delta chi2 crossings are wanted to 1e-3."""
    c = _coordinates(fit, tuple(free))
    base = np.array(theta, float)

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        t = base.copy()
        t[free] = c.to_theta(z)
        v, g = fit.chi2_and_grad(t)
        return float(v), np.asarray(g)[free] * c.dtheta_dz(t[free])

    z0 = np.clip(c.to_z(base[free]), [b[0] if b[0] is not None else -np.inf for b in c.bounds],
                 [b[1] if b[1] is not None else np.inf for b in c.bounds])
    res = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=c.bounds,
                   options={"ftol": 1e-7, "gtol": 1e-6})
    out = base.copy()
    out[free] = c.to_theta(res.x)
    return float(res.fun), out


def profile_chi2(fit: Any, param: str, grid: np.ndarray, start: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Minimum chi2 = -2 log L (+ nuisance pulls) at each grid value of ``param``.

    Returns (chi2 per grid point, the minimising points). Warm-starts along the grid."""
    if param not in fit.parameters:
        raise GlobalfitError(f"Cannot profile {param!r}: it is not a free parameter of the fit.")
    k = fit.parameters.index(param)
    others = [i for i in range(fit.ndim) if i != k]
    theta = np.array(start if start is not None else fit.prior_transform(np.full(fit.ndim, 0.5)),
                     float)
    chi2 = np.empty(len(grid))
    points = np.empty((len(grid), fit.ndim))
    for j, x in enumerate(grid):
        theta[k] = x
        if others:
            chi2[j], theta = _minimise(fit, theta, others)
        else:
            chi2[j] = float(fit.chi2_and_grad(theta)[0])
        points[j] = theta
    return chi2, points


def profile_upper_limit(fit: Any, param: str, level: float = 3.84, n: int = 24) -> float:
    """Smallest value above the best fit where Delta chi2 reaches ``level``, every other free
    parameter (nuisances with their prior pulls, other couplings) profiled; nan if none within
    the prior range.

    A grid of ``n`` values (log-spaced for log-uniform priors: 24 over seven decades is 0.3 dex)
    brackets the crossing; the global minimum is refined by a minimisation over every parameter
    from the best grid point, and the crossing by root finding on the profiled Delta chi2 to
    1e-5 relative (each evaluation warm-started from the grid point below), so the bound does
    not depend on the grid spacing."""
    prior = fit.priors[param]
    lo, hi = prior.support
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise GlobalfitError(f"Profiling {param!r} needs a prior with finite bounds.")
    log = prior.kind == "loguniform"
    grid = np.geomspace(lo, hi, n) if log else np.linspace(lo, hi, n)
    chi2, points = profile_chi2(fit, param, grid)
    i0 = int(np.argmin(chi2))
    best = min(float(chi2[i0]), _global_minimum(fit, points[i0]))
    d = chi2 - best
    above = np.flatnonzero(d[i0:] >= level)
    if above.size == 0:
        return float("nan")
    j = i0 + int(above[0])
    if j == 0:
        return float(grid[0])
    to_x = np.exp if log else (lambda t: t)
    ts = np.log(grid[j - 1:j + 1]) if log else grid[j - 1:j + 1]

    def excess(t: float) -> float:
        c, _ = profile_chi2(fit, param, np.array([to_x(t)]), start=points[j - 1])
        return float(c[0]) - best - level

    fa, fb = excess(ts[0]), excess(ts[1])
    if fa < 0 <= fb:
        return float(to_x(brentq(excess, ts[0], ts[1], xtol=1e-5, rtol=1e-6)))
    # the warm-started minimiser disagreed with the grid: interpolate the grid's crossing
    return float(to_x(np.interp(level, d[j - 1:j + 1], ts)))


def _global_minimum(fit: Any, start: np.ndarray) -> float:
    """chi2 at the minimum over every free parameter, started from ``start``."""
    v, _ = _minimise(fit, np.asarray(start, float), list(range(fit.ndim)))
    return v if np.isfinite(v) else math.inf
