"""Speed of the oscillation engine and of the dune + t2hk log-likelihood (plain script).

    python benchmarks/bench_oscillation.py

Baseline in the same process: NuOscProbExact's batched path (oscprob3nu.probabilities_3nu on a
stack of Hamiltonians) for the same 1e5 energies. Then DUNE + T2HK (see :func:`dune_t2hk`).
The engine against NuFast: benchmarks/bench_nufast.py.
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
    dune_t2hk()


def _einsum_counts(self, osc, eps, rho_scale=1.0):
    """Component counts as computed before issue #14: one product batched over components."""
    import jax.numpy as jnp

    p = self.probs(osc, eps, rho_scale)[:, self._sel]
    return jnp.einsum("crt,tc->cr", self._resp, p)


def dune_t2hk(batch: int = 256) -> None:
    """runs/dune_t2hk_eps_tautau.toml (profiled normalisations) and the same with sampled ones:
    log-likelihood per point in a vmapped batch and value + gradient of the log-posterior at one
    point, with the response contraction of issue #14 and with the earlier einsum (same
    process, alternating, best of 5; CPU time of the process)."""
    from globalfit.card import RunCard
    from likelihoods.oscillation.experiment import OscillationExperiment

    new_counts = OscillationExperiment._component_counts
    base = RunCard.load("runs/dune_t2hk_eps_tautau.toml")
    for nuis in ("profiled", "sampled"):
        opts = {k: {**v, "nuisances": nuis} for k, v in base.likelihood_options.items()}
        fit = globalfit.Fit(model=base.model, likelihoods=base.likelihoods, priors=base.parameters,
                            likelihood_options=opts)
        rng = np.random.default_rng(0)
        xs = jax.numpy.asarray(fit.prior_transform(rng.uniform(0.2, 0.8, (batch, fit.ndim))))
        res = {}
        for label, counts in (("before", _einsum_counts), ("now", new_counts)):
            OscillationExperiment._component_counts = counts
            try:
                vb = jax.jit(jax.vmap(fit.raw_loglike))
                vg = jax.jit(jax.value_and_grad(fit.raw_logpost))
                vb(xs).block_until_ready()
                vg(xs[0])[1].block_until_ready()
                res[label] = (vb, vg)
            finally:
                OscillationExperiment._component_counts = new_counts
        t = {k: [np.inf, np.inf] for k in res}
        for _ in range(5):
            for label, (vb, vg) in res.items():
                c = time.process_time()
                vb(xs).block_until_ready()
                t[label][0] = min(t[label][0], (time.process_time() - c) / batch)
                c = time.process_time()
                for _ in range(10):
                    vg(xs[0])[1].block_until_ready()
                t[label][1] = min(t[label][1], (time.process_time() - c) / 10)
        b, n = t["before"], t["now"]
        print(f"dune + t2hk ({nuis}, {fit.ndim} parameters): batched log L per point "
              f"{b[0] * 1e6:.0f} -> {n[0] * 1e6:.0f} us ({b[0] / n[0]:.2f}x); value + gradient "
              f"{b[1] * 1e6:.0f} -> {n[1] * 1e6:.0f} us ({b[1] / n[1]:.2f}x) (CPU time)")

if __name__ == "__main__":
    main()
