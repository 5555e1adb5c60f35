"""Profile likelihood: minimise -2 log L over every other free parameter at fixed values of one.

Nuisance parameters keep their priors as penalty terms (Gaussian pulls); model parameters do not
(a coupling's prior is not a measurement). Bounds are Delta chi2 crossings (physics.md section 6:
1-D 68/95% at 1 and 3.84 (``level``), 2-D at 2.30 and 5.99).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import minimize

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
    """Smallest value above the best fit where Delta chi2 reaches ``level`` (nan if none within
    the prior range). The grid is log-spaced for log-uniform priors."""
    prior = fit.priors[param]
    lo, hi = prior.support
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise GlobalfitError(f"Profiling {param!r} needs a prior with finite bounds.")
    grid = (np.geomspace(lo, hi, n) if prior.kind == "loguniform" else np.linspace(lo, hi, n))
    chi2, _ = profile_chi2(fit, param, grid)
    i0 = int(np.argmin(chi2))
    d = chi2 - chi2[i0]
    above = np.flatnonzero(d[i0:] >= level)
    if above.size == 0:
        return float("nan")
    j = i0 + int(above[0])
    if j == 0:
        return float(grid[0])
    # interpolate the crossing (in log x for log grids)
    xs = np.log(grid[j - 1:j + 1]) if prior.kind == "loguniform" else grid[j - 1:j + 1]
    x = np.interp(level, d[j - 1:j + 1], xs)
    return float(np.exp(x) if prior.kind == "loguniform" else x)
