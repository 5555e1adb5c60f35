"""Profile Delta chi2 of the oscillation likelihoods in one NSI coupling (validation tool).

chi2(x) = min over the six oscillation parameters of [sum of the experiments' chi2 (normalisation
nuisances profiled analytically) + Gaussian pulls of the likelihoods' NuFIT 6.0 priors (theta12,
theta13, dm21, and with ``osc_priors = "nufit"`` also theta23 and dm31)], minimised with jax
gradients and scipy's L-BFGS-B from several starts, continued along the scan. With the default
priors the starts are the truth and delta -> pi - delta; with ``osc_priors = "wide"`` also the
other mass ordering (theta12 in either octant) and the other theta23 octant.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize

from globalfit.models import Point, get_model
from likelihoods.oscillation.engine import OSC_NAMES
from priors import MirroredNormal, TruncNormal

_SCALE = np.array([0.0125, 0.002, 0.02, 0.3, 2e-6, 2e-5])


def make_chi2(likelihoods: Sequence[Any], coupling: str | Sequence[str], model: str = "nsi",
              model_options: dict | None = None, free_ordering: bool = False):
    """Return f(x, osc_vector) = total chi2 (jitted, with gradient in osc_vector); every
    parameter named in ``coupling`` is set to x (e.g. eps_ee_u and eps_ee_d together).

    ``free_ordering``: both LMA and LMA-D allowed, as the ``wide`` Bayesian priors do: both
    signs of dm31, the dm31 pull acting on the image -dm31 + dm21 for dm31 < 0, and theta12 in
    either octant (pull to the nearer of theta12 and pi/2 - theta12), so that the LMA-D island
    is the exact image of the LMA one under the generalised mass-ordering transformation of
    physics.md 2; the other pulls are unchanged."""
    names = [coupling] if isinstance(coupling, str) else list(coupling)
    m = get_model(model, **(model_options or {}))
    pri = likelihoods[0].shared_priors()
    gauss = [(i, pri[n]) for i, n in enumerate(OSC_NAMES) if isinstance(pri[n], TruncNormal)]
    mirrored = [(i, pri[n]) for i, n in enumerate(OSC_NAMES) if isinstance(pri[n], MirroredNormal)]
    lmad = free_ordering and isinstance(pri["dm31"], TruncNormal)
    if lmad:
        # dm31 < 0: the NO prior of dm31 applied to its image -dm31 + dm21; theta12 in either
        # octant, as the 'wide' prior (generalised mass-ordering / LMA-Dark map, physics.md 2)
        p31, p12 = pri["dm31"], pri["theta12"]
        gauss = [(i, p) for i, p in gauss if OSC_NAMES[i] not in ("dm31", "theta12")]
        mirrored.append((0, MirroredNormal(p12.mean, p12.sd, math.pi / 4)))
    for lik in likelihoods:
        if lik.config["nuisances"] != "profiled":
            raise ValueError("profile scans need nuisances = 'profiled'")

    def chi2(x, v):
        params = {**{k: jnp.asarray(val) for k, val in m.defaults().items()},
                  **{n: x for n in names}}
        nu = {n: v[i] for i, n in enumerate(OSC_NAMES)}
        tot = sum(lik.chi2(Point(m, params, nu)) for lik in likelihoods)
        for i, p in gauss:
            tot = tot + ((v[i] - p.mean) / p.sd) ** 2
        for i, p in mirrored:  # the nearer island (the mixture's chi2 up to a constant)
            tot = tot + jnp.minimum((v[i] - p.mean) ** 2, (v[i] - p.image) ** 2) / p.sd**2
        if lmad:
            d31 = jnp.where(v[5] > 0, v[5], -v[5] + v[4])
            tot = tot + ((d31 - p31.mean) / p31.sd) ** 2
        return tot

    return jax.jit(jax.value_and_grad(chi2, argnums=1))


def starts(truth: dict[str, float], wide: bool = False,
           free_ordering: bool = False) -> list[np.ndarray]:
    """Starting points: truth and delta -> pi - delta; with ``wide`` priors also the other
    theta23 octant; with ``wide`` or ``free_ordering`` also the other ordering and theta12 in
    either octant (the dark one is the LMA-D image)."""
    out = []
    t = np.array([truth[n] for n in OSC_NAMES])
    dark = math.pi / 2 - t[0]
    for sign in ((1, -1) if wide or free_ordering else (1,)):
        th12s = (t[0], dark) if free_ordering or wide else (t[0],)
        for th12, th23, d in itertools.product(
                th12s, (t[2], math.pi / 2 - t[2]) if wide else (t[2],),
                (t[3], (math.pi - t[3]) % (2 * math.pi))):
            v = t.copy()
            v[0], v[2], v[3] = th12, th23, d
            v[5] = t[5] if sign > 0 else -t[5] + t[4]
            out.append(v)
    return out


def minimise(f, x: float, v0: np.ndarray) -> tuple[float, np.ndarray]:
    def fun(z):
        val, g = f(x, jnp.asarray(v0 + z * _SCALE))
        return float(val), np.asarray(g) * _SCALE

    r = minimize(fun, np.zeros(6), jac=True, method="L-BFGS-B",
                 options={"maxiter": 300, "gtol": 1e-6})
    return float(r.fun), v0 + r.x * _SCALE


def profile_scan(f, grid: Sequence[float], truth: dict[str, float], wide: bool = False,
                 free_ordering: bool = False) -> tuple[np.ndarray, list]:
    """chi2 profile on ``grid``: all starts at every point plus the previous point's optimum."""
    st = starts(truth, wide, free_ordering)
    out, best_v = [], []
    prev: list[np.ndarray] = []
    for x in grid:
        cands = [minimise(f, x, v) for v in st + prev]
        c, v = min(cands, key=lambda t: t[0])
        out.append(c)
        best_v.append(v)
        prev = [v]
    return np.array(out), best_v


def intervals(grid: Sequence[float], dchi2: np.ndarray, level: float = 4.0) -> list[tuple]:
    """Allowed intervals {dchi2 < level} with edges linearly interpolated between grid points."""
    g = np.asarray(grid)
    ok = dchi2 < level
    res = []
    i = 0
    while i < len(g):
        if ok[i]:
            j = i
            while j + 1 < len(g) and ok[j + 1]:
                j += 1

            def cross(a, b):
                return g[a] + (level - dchi2[a]) * (g[b] - g[a]) / (dchi2[b] - dchi2[a])
            lo = cross(i - 1, i) if i > 0 else -np.inf
            hi = cross(j, j + 1) if j + 1 < len(g) else np.inf
            res.append((float(lo), float(hi)))
            i = j + 1
        else:
            i += 1
    return res
