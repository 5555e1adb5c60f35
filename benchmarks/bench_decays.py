"""Speed of the leptonic-scalar likelihoods (meson_decays, tau_decays, z_invisible, w_decays,
lhc_ss_dilepton), jitted on CPU: per point, per point in a vmapped batch, and with the gradient.

    python benchmarks/bench_decays.py

Baseline, in the same process: a jitted sum of squares of the same parameter vector (the cost of
one jitted call with nothing in it). Target (issue #3): the five together <= 50 us per point.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

import globalfit

NAMES = ["meson_decays", "tau_decays", "z_invisible", "w_decays", "lhc_ss_dilepton"]
PRIORS = {"lambda_ee": {"prior": "loguniform", "min": 1e-4, "max": 10.0},
          "lambda_emu": {"prior": "loguniform", "min": 1e-4, "max": 10.0},
          "lambda_mumu": {"prior": "loguniform", "min": 1e-4, "max": 10.0},
          "m_phi": {"prior": "loguniform", "min": 1e-3, "max": 1.0}}


def per_call(f, x, n: int = 2000) -> float:
    """Median over 5 repeats of the mean time of one call [us]."""
    jax.block_until_ready(f(x))
    out = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(n):
            r = f(x)
        jax.block_until_ready(r)
        out.append((time.perf_counter() - t) / n * 1e6)
    return float(np.median(out))


def main() -> None:
    rng = np.random.default_rng(1)
    print(f"jax {jax.__version__}, backend {jax.default_backend()}, device {jax.devices()[0]}")
    rows = []
    x4 = jnp.array([0.01, 0.02, 0.03, 0.1])
    base = jax.jit(lambda x: jnp.sum(x**2))
    rows.append(("baseline: jitted sum(x^2)", per_call(base, x4), None, None))
    batch = jnp.asarray(np.column_stack([10 ** rng.uniform(-4, 0, (1000, 3)),
                                         10 ** rng.uniform(-3, 0, 1000)]))
    for names in [[n] for n in NAMES] + [NAMES]:
        fit = globalfit.Fit(model="scalar", likelihoods=names, priors=PRIORS)
        ll = jax.jit(fit.raw_loglike)
        vg = jax.jit(jax.value_and_grad(fit.raw_loglike))
        vb = jax.jit(jax.vmap(fit.raw_loglike))
        t1 = per_call(ll, x4)
        tg = per_call(vg, x4)
        tb = per_call(vb, batch, n=50) / batch.shape[0]
        rows.append(("+".join(names) if len(names) == 1 else "all five", t1, tg, tb))
    # the run card as written (m_phi fixed at 0.1 GeV)
    fit = globalfit.Fit.from_card("runs/leptonic_scalar.toml")
    x3 = jnp.array([0.01, 0.02, 0.03])
    rows.append(("runs/leptonic_scalar.toml (m_phi fixed)", per_call(jax.jit(fit.raw_loglike), x3),
                 per_call(jax.jit(jax.value_and_grad(fit.raw_loglike)), x3),
                 per_call(jax.jit(jax.vmap(fit.raw_loglike)), batch[:, :3], n=50) / 1000))
    print(f"{'likelihood(s)':<42} {'loglike [us]':>13} {'+grad [us]':>11} {'vmap/pt [us]':>13}")
    def fmt(v: float | None) -> str:
        return f"{v:11.2f}" if v is not None else f"{'-':>11}"

    for name, a, b, c in rows:
        print(f"{name:<42} {a:13.2f} {fmt(b)} {fmt(c):>13}")
    allfive = next(r for r in rows if r[0] == "all five")
    print(f"\nall five, one point, minus baseline: {allfive[1] - rows[0][1]:.2f} us "
          f"(target <= 50 us per point)")


if __name__ == "__main__":
    main()
