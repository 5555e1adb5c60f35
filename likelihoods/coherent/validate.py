"""Validation table of the COHERENT likelihoods: ``python -m likelihoods.coherent.validate``.

Prints, for each data set, our SM CEvNS expectation against the published one (with the
tolerance the tests use), and the 95% CL (Delta chi2 = 3.84) bound on g' of the Z' model A from
the CsI 2017 chi-square (alpha, beta profiled analytically) at several masses: g'/M is constant
for M >> 100 MeV (contact limit) and g' flattens below ~10 MeV (q ~ sqrt(2 M_N T) ~ 50-90 MeV).
Releases come through the data layer (GLOBALFIT_DATA_DIR); a missing one is reported, not fatal.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

from globalfit.errors import DataReleaseMissing
from globalfit.models import get_model
from globalfit.registry import get_likelihood
from likelihoods.coherent.base import make_point

#: (name, published SM count, relative tolerance of the test, source)
SM_TARGETS = [
    ("coherent_csi_2017", 173.0, 0.05, "arXiv:1708.01294 (173 +- 48, 6-30 PE)"),
    ("coherent_lar_2020", 128.0, 0.10, "arXiv:2003.10630 (128 +- 17)"),
    ("coherent_csi_2021", 341.0, 0.07, "arXiv:2110.07730 (341 +- 11 +- 42)"),
]


def sm_counts(name: str, **options) -> float:
    """Total SM CEvNS counts of likelihood ``name`` (nuisances at zero)."""
    lik = get_likelihood(name, **options)
    return float(np.sum(lik.expected(make_point(lik))["cevns"]))


def zprime_chi2(lik, charges="A", allow_anomalous: bool = False):
    """Jitted chi2(g', M) of the CsI 2017 likelihood (profiled) for a Z' charge set, vmapped
    over g'."""
    model = get_model("zprime", charges=charges, allow_anomalous=allow_anomalous)

    def chi2(g, m):
        return lik.chi2(make_point(lik, model, g_prime=g, m_zprime=m))

    return jax.jit(jax.vmap(chi2, in_axes=(0, None)))


def g_prime_bound(chi2_fn, m: float, dchi2: float = 3.84, lo: float = 1e-7,
                  hi: float = 1.0) -> float:
    """Smallest g' above the best fit where chi2 rises by ``dchi2`` over its minimum (log grid,
    then root refinement)."""
    g = np.geomspace(lo, hi, 400)
    c = np.asarray(chi2_fn(jnp.asarray(g), m))
    c0 = float(chi2_fn(jnp.zeros(1), m)[0])
    cmin = min(c.min(), c0)
    i0 = int(np.argmin(c)) if c.min() < c0 else 0
    above = np.nonzero(c[i0:] - cmin > dchi2)[0]
    if above.size == 0:
        return float("nan")
    j = i0 + above[0]
    f = lambda x: float(chi2_fn(jnp.asarray([x]), m)[0]) - cmin - dchi2  # noqa: E731
    return brentq(f, g[j - 1] if j > 0 else lo, g[j], rtol=1e-6)


def main() -> None:
    print("SM CEvNS expectation (nuisances at 0)")
    print(f"{'likelihood':20s} {'ours':>8s} {'published':>10s} {'diff':>7s} {'tol':>5s}  source")
    for name, pub, tol, src in SM_TARGETS:
        try:
            ours = sm_counts(name)
        except DataReleaseMissing as exc:
            print(f"{name:20s} skipped: {exc}")
            continue
        d = ours / pub - 1
        flag = "ok" if abs(d) <= tol else "FAIL"
        print(f"{name:20s} {ours:8.1f} {pub:10.1f} {d:+7.1%} {tol:5.0%}  {src} [{flag}]")
    lik = get_likelihood("coherent_csi_2017")
    fn = zprime_chi2(lik, "A")
    print("\nZ' model A, CsI 2017 chi2 (profiled), 95% CL (Delta chi2 = 3.84) bound on g'")
    print(f"{'M [GeV]':>10s} {'g95':>12s} {'g95/M [1/GeV]':>15s}")
    for m in (0.001, 0.003, 0.01, 0.1, 1.0, 3.0, 10.0):
        g = g_prime_bound(fn, m)
        print(f"{m:10.3g} {g:12.4e} {g / m:15.4e}")


if __name__ == "__main__":
    main()
