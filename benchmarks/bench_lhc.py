"""Speed of the LHC and B-factory Z' likelihoods: jitted log-likelihood per point, and with its
gradient.

    python benchmarks/bench_lhc.py

Baseline measured in the same process: the analytic ``gaussian`` test likelihood through the same
Fit machinery (the cost of the framework itself). Target: <= 100 us per point on CPU.
Cases: the dilepton search with its built-in table (464 masses) and with the full release (1101,
when present); lhc_four_lepton with LHCb and CMS scouting only and with its three searches (the
default, adding CMS Z -> 4 mu); babar_4mu (needs its release; skipped without it).
"""

import time

import jax
import jax.numpy as jnp

import globalfit


def timeit(fn, x, n=2000):
    jax.block_until_ready(fn(x))  # compile
    t0 = time.perf_counter()
    for _ in range(n):
        out = fn(x)
    jax.block_until_ready(out)
    return (time.perf_counter() - t0) / n * 1e6


def fit(name, m, **opts):
    return globalfit.Fit(model="zprime", model_options={"charges": "A"}, likelihoods=[name],
                         likelihood_options={name: opts},
                         priors={"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
                                 "m_zprime": {"prior": "uniform", "min": m * 0.9,
                                              "max": m * 1.1}})


def main():
    cases = [("lhc_dilepton_resonance", 1000.0, {}),
             ("lhc_dilepton_resonance", 1000.0, {"limits": "release"}),
             ("lhc_four_lepton", 20.0, {"searches": ["lhcb", "cms_scouting"]}),
             ("lhc_four_lepton", 20.0, {}), ("babar_4mu", 1.0, {})]
    base = globalfit.Fit(model="nsi", likelihoods=["gaussian"])
    x0 = jnp.zeros(base.ndim)
    print(f"{'likelihood':34s} {'loglike [us]':>13s} {'value+grad [us]':>16s}")
    print(f"{'gaussian (baseline)':34s} {timeit(base.loglike, x0):13.1f} "
          f"{timeit(base.logpost_and_grad, x0):16.1f}")
    for name, m, opts in cases:
        try:
            f = fit(name, m, **opts)
        except globalfit.GlobalfitError as exc:  # a release not on this machine
            print(f"{name}: skipped ({exc})")
            continue
        tag = {"limits": " (release)", "searches": " (2 searches)"}
        label = name + tag.get(next(iter(opts), ""), "")
        x = jnp.array([1e-2, m])
        print(f"{label:34s} {timeit(f.loglike, x):13.1f} {timeit(f.logpost_and_grad, x):16.1f}")
        xs = jnp.tile(x, (1000, 1))
        t = timeit(f.loglike, xs, n=50) / 1000
        print(f"{label + ' (vmap, 1000 pts)':34s} {t:13.2f} {'per point':>16s}")


if __name__ == "__main__":
    main()
