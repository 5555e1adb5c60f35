"""Speed of the oscillation engine and of the dune + t2hk log-likelihood (plain script).

    python benchmarks/bench_oscillation.py

Baseline in the same process: NuOscProbExact's batched path (oscprob3nu.probabilities_3nu on a
stack of Hamiltonians) for the same 1e5 energies.
"""

import time

import jax
import numpy as np

import globalfit
from globalfit.constants import KM_TO_INV_EV, V_CC_EV_PER_GCM3
from likelihoods.oscillation import probabilities
from likelihoods.oscillation.nufit import best_fit


def best(f, n=5):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    osc = best_fit("NO")
    e = np.linspace(0.1, 20, 100_000)
    eps = np.zeros((3, 3), complex)
    eps[0, 0] = 0.1
    probabilities(e, 1300.0, 2.8, osc=osc, eps=eps).block_until_ready()
    t_ours = best(lambda: probabilities(e, 1300.0, 2.8, osc=osc, eps=eps).block_until_ready())
    print(f"engine, 1e5 energies: {t_ours * 1e3:.1f} ms = {1e5 / t_ours / 1e6:.2f} M sets/s")
    try:
        import hamiltonians3nu as h3
        import oscprob3nu
        hv = h3.hamiltonian_3nu_vacuum_energy_independent(
            np.sin(osc["theta12"]), np.sin(osc["theta23"]), np.sin(osc["theta13"]),
            osc["delta_cp"], osc["dm21"], osc["dm31"])
        v = V_CC_EV_PER_GCM3 * 2.8 * 0.5
        h = hv[None] / (e[:, None, None] * 1e9) + v * (np.diag([1, 0, 0]) + eps)[None]
        t_ref = best(lambda: oscprob3nu.probabilities_3nu(h, 1300.0 * KM_TO_INV_EV), n=3)
        print(f"NuOscProbExact batched, same 1e5: {t_ref * 1e3:.1f} ms = "
              f"{1e5 / t_ref / 1e6:.2f} M sets/s  (ours {t_ref / t_ours:.1f}x faster)")
    except ImportError:
        print("NuOscProbExact not installed: no baseline")
    for nuis in ("sampled", "profiled"):
        fit = globalfit.Fit(model="nsi", likelihoods=["dune", "t2hk"],
                            likelihood_options={"dune": {"nuisances": nuis},
                                                "t2hk": {"nuisances": nuis}},
                            priors={"eps_mumu_u": {"prior": "uniform", "min": -0.1, "max": 0.1}})
        th = np.asarray(fit.prior_transform(np.full(fit.ndim, 0.5)))
        lp = jax.jit(fit.raw_logpost)
        vg = jax.jit(jax.value_and_grad(fit.raw_logpost))
        lp(th).block_until_ready()
        vg(th)[1].block_until_ready()
        t1 = best(lambda lp=lp, th=th: lp(th).block_until_ready(), n=50)
        t2 = best(lambda vg=vg, th=th: vg(th)[1].block_until_ready(), n=50)
        print(f"dune + t2hk ({nuis}, {fit.ndim} parameters): log-post {t1 * 1e3:.2f} ms, "
              f"with gradient {t2 * 1e3:.2f} ms per point (CPU, jitted)")


if __name__ == "__main__":
    main()
