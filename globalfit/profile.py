"""Profile likelihood: minimise -2 log L over every other free parameter at fixed values of one.

Nuisance parameters keep their priors as penalty terms (Gaussian pulls); model parameters do not
(a coupling's prior is not a measurement). Bounds are Delta chi2 crossings (physics.md section 6:
1-D 68/95% at 1 and 3.84 (``level``), 2-D at 2.30 and 5.99).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize

from globalfit.errors import GlobalfitError


def profile_chi2(fit: Any, param: str, grid: np.ndarray, start: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Minimum chi2 = -2 log L (+ nuisance pulls) at each grid value of ``param``.

    Returns (chi2 per grid point, the minimising points). Warm-starts along the grid."""
    if param not in fit.parameters:
        raise GlobalfitError(f"Cannot profile {param!r}: it is not a free parameter of the fit.")
    k = fit.parameters.index(param)
    f = fit.chi2_and_grad  # compiled once per card shape (fit.py)
    others = [i for i in range(fit.ndim) if i != k]
    bounds = []
    for i in others:
        lo, hi = fit.priors[fit.parameters[i]].support
        bounds.append((lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None))
    theta = np.array(start if start is not None else fit.prior_transform(np.full(fit.ndim, 0.5)),
                     float)
    chi2 = np.empty(len(grid))
    points = np.empty((len(grid), fit.ndim))
    for j, x in enumerate(grid):
        theta[k] = x
        if others:
            def fun(y, x=x):
                t = theta.copy()
                t[others] = y
                t[k] = x
                v, g = f(t)
                return float(v), np.asarray(g)[others]

            res = minimize(fun, theta[others], jac=True, method="L-BFGS-B", bounds=bounds)
            theta[others] = res.x
            chi2[j] = res.fun
        else:
            chi2[j] = float(f(theta)[0])
        points[j] = theta
    return chi2, points


def profile_upper_limit(fit: Any, param: str, level: float = 3.84, n: int = 48) -> float:
    """Smallest value above the best fit where Delta chi2 reaches ``level``, every other free
    parameter (nuisances with their prior pulls, other couplings) profiled; nan if none within
    the prior range.

    A grid of ``n`` values (log-spaced for log-uniform priors) brackets the crossing; the global
    minimum is refined by a minimisation over every parameter from the best grid point, and the
    crossing by root finding on the profiled Delta chi2 (each evaluation warm-started from the
    grid point below), so the bound does not depend on the grid spacing."""
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
        return float(to_x(brentq(excess, ts[0], ts[1], xtol=1e-6, rtol=1e-6)))
    # the warm-started minimiser disagreed with the grid: interpolate the grid's crossing
    return float(to_x(np.interp(level, d[j - 1:j + 1], ts)))


def _global_minimum(fit: Any, start: np.ndarray) -> float:
    """chi2 at the minimum over every free parameter, started from ``start``."""
    bounds = []
    for name in fit.parameters:
        lo, hi = fit.priors[name].support
        bounds.append((lo if math.isfinite(lo) else None, hi if math.isfinite(hi) else None))

    def fun(t):
        v, g = fit.chi2_and_grad(t)
        return float(v), np.asarray(g)

    res = minimize(fun, np.asarray(start, float), jac=True, method="L-BFGS-B", bounds=bounds)
    return float(res.fun) if np.isfinite(res.fun) else math.inf
