"""Speed of the real-data oscillation likelihoods, minos_2017 and superk_atm_2023 (plain script).

    GLOBALFIT_DATA_DIR=../shared/data python benchmarks/bench_oscillation_data.py

Per likelihood, through a Fit with the NSI model (eps^u_mutau free; oscillation parameters and
nuisances sampled): log-posterior for one point, per point in a batch of 32 (vmap), and value
plus gradient for one point; best of several runs. Baseline in the same process: the
dune + t2hk log-posterior (profiled normalisations), one point, so the figures are ratios that
survive a shared machine.
"""

import time

import jax
import numpy as np

import globalfit


def best(f, n=5):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def costs(likelihoods, options=None, n=20):
    fit = globalfit.Fit(model="nsi", likelihoods=likelihoods, likelihood_options=options or {},
                        priors={"eps_mutau_u": {"prior": "uniform", "min": -0.05, "max": 0.05}})
    rng = np.random.default_rng(1)
    batch = np.stack([np.asarray(fit.prior_transform(u)) for u in rng.uniform(size=(32, fit.ndim))])
    th = batch[0]
    lp = jax.jit(fit.raw_logpost)
    lpb = jax.jit(jax.vmap(fit.raw_logpost))
    vg = jax.jit(jax.value_and_grad(fit.raw_logpost))
    lp(th).block_until_ready()
    lpb(batch).block_until_ready()
    vg(th)[1].block_until_ready()
    single = best(lambda: lp(th).block_until_ready(), n=n)
    batched = best(lambda: lpb(batch).block_until_ready(), n=max(2, n // 5)) / len(batch)
    grad = best(lambda: vg(th)[1].block_until_ready(), n=n)
    return fit.ndim, single, batched, grad


def main():
    base = costs(["dune", "t2hk"], {"dune": {"nuisances": "profiled"},
                                    "t2hk": {"nuisances": "profiled"}}, n=50)[1]
    print(f"baseline dune + t2hk log-posterior, one point: {base * 1e3:.3f} ms")
    print("| likelihood | parameters | single point | batched (per point, 32) | value + gradient |")
    for name, n in (("minos_2017", 20), ("superk_atm_2023", 3)):
        ndim, s, b, g = costs([name], n=n)
        print(f"| {name} | {ndim} | {s * 1e3:.2f} ms ({s / base:.1f}x) | {b * 1e3:.2f} ms "
              f"({b / base:.1f}x) | {g * 1e3:.2f} ms ({g / base:.1f}x) |", flush=True)


if __name__ == "__main__":
    main()
