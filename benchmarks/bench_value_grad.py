"""DUNE + T2HK value and value + gradient at one point: the code as it is against an attempt to
cut its XLA operations and against its predecessor, and the fixed cost of one XLA:CPU operation.

    python benchmarks/bench_value_grad.py [--rounds 12] [--all-cores]

1. Fixed cost per operation: a jitted chain of n elementwise operations on 256 doubles, kept
   apart by optimisation barriers (n = 1, 25, 50); the slope is the per-operation cost.
2. ``runs/dune_t2hk_eps_tautau.toml`` with sampled (31 parameters) and profiled (7) nuisances,
   log-posterior value and value + gradient at one point, for three variants compiled in this
   process (ahead of time, so swapping the code does not touch the others):
   ``current`` (the code as it is), ``reverse pass`` (the layer operator's reverse pass
   written out, benchmarks/engine_reverse_pass.py, swapped in for engine._layer_operator) and
   ``per-channel products`` (each experiment's channel products as one matrix product per
   channel, as before 2026-11-30, instead of the current one batched contraction over
   zero-padded responses). Each variant's value and gradient are checked against the current
   code's (1e-8 relative), its XLA operations counted, and the variants timed in alternating
   rounds of 100 calls (wall time; min and median per call), with the log-likelihood vmapped
   over 256 points (per point: what batched samplers pay).

The process is pinned to one core (``os.sched_setaffinity``) unless ``--all-cores`` (what one
sampler process gets when two share this 2-core machine; the rounds are also less noisy).
docs/performance.md, section 4, quotes the output.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

if __name__ == "__main__" and "--all-cores" not in sys.argv and hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # before JAX starts its threads

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from bench_oscillation import _thunks  # noqa: E402
from bench_sampler_path import machine  # noqa: E402

import globalfit  # noqa: E402
from globalfit.card import RunCard  # noqa: E402
from likelihoods.oscillation import engine  # noqa: E402
from likelihoods.oscillation.experiment import OscillationExperiment  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def per_operation_cost(rounds: int) -> dict[int, float]:
    """Wall time [us] of a chain of n barrier-separated elementwise operations (part 1)."""
    x = jnp.linspace(0.0, 1.0, 256)
    out = {}
    for n in (1, 25, 50):
        def chain(v, n=n):
            s = v
            for _ in range(n):
                s = jax.lax.optimization_barrier(jnp.sin(s) * v)
            return s
        f = jax.jit(chain)
        out[n] = best_of(lambda f=f: f(x).block_until_ready(), rounds, 300)[0]
    return out


def best_of(call, rounds: int, number: int) -> tuple[float, float]:
    """(min, median) over ``rounds`` of the mean wall time [us] of ``number`` calls."""
    call()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(number):
            call()
        times.append((time.perf_counter() - t0) / number * 1e6)
    return min(times), float(np.median(times))


def per_channel_component_counts(self, osc, eps, rho_scale=1.0):
    """OscillationExperiment._component_counts as before 2026-11-30: one matrix product per
    probability channel (the padded response blocks unpadded)."""
    p = self.probs(osc, eps, rho_scale)                                  # (2, T, 9)
    parts = [(p[k // 9, :, k % 9] @ self._responses[i, :, :w]).reshape(-1, self._n_r)
             for i, (k, w) in enumerate(zip(self._channel, self._channel_width, strict=True))]
    return jnp.concatenate([*parts, self._nc_counts])[self._unsort]


def variants() -> dict[str, dict]:
    """name -> {module attribute: replacement} (module docstring)."""
    from engine_reverse_pass import layer_operator

    return {"current": {},
            "reverse pass": {(engine, "_layer_operator"): layer_operator},
            "per-channel products": {(OscillationExperiment, "_component_counts"):
                                     per_channel_component_counts}}


def compile_variants(fit: globalfit.Fit, x0: jax.Array, xs: jax.Array) -> dict[str, dict]:
    out = {}
    for name, patch in variants().items():
        saved = {k: getattr(*k) for k in patch}
        for (owner, attr), new in patch.items():
            setattr(owner, attr, new)
        jax.clear_caches()  # the engine's inner jit would otherwise reuse its earlier trace
        try:
            value = jax.jit(fit.raw_logpost).lower(x0).compile()
            batch = jax.jit(jax.vmap(fit.raw_loglike)).lower(xs).compile()
            grad = jax.jit(jax.value_and_grad(fit.raw_logpost)).lower(x0).compile()
        finally:
            for (owner, attr), old in saved.items():
                setattr(owner, attr, old)
        out[name] = {"value": value, "grad": grad, "batch": batch,
                     "ops": (_thunks(value.as_text()), _thunks(grad.as_text()))}
    return out


def compare(nuisances: str, rounds: int) -> list[str]:
    base = RunCard.load(str(ROOT / "runs" / "dune_t2hk_eps_tautau.toml"))
    opts = {k: {**v, "nuisances": nuisances} for k, v in base.likelihood_options.items()}
    fit = globalfit.Fit(model=base.model, likelihoods=base.likelihoods, priors=base.parameters,
                        likelihood_options=opts)
    u = np.random.default_rng(0).uniform(0.2, 0.8, (256, fit.ndim))
    xs = jnp.asarray(fit.prior_transform(u))
    x0 = xs[0]
    compiled = compile_variants(fit, x0, xs)
    ref_v, ref_g = compiled["current"]["grad"](x0)
    for name, c in compiled.items():  # same numbers before any timing
        v, g = c["grad"](x0)
        scale = float(jnp.max(jnp.abs(ref_g)))
        if abs(float(v - ref_v)) > 1e-8 * abs(float(ref_v)) or \
                float(jnp.max(jnp.abs(g - ref_g))) > 1e-8 * scale:
            raise SystemExit(f"{name}: value or gradient differs from the current code")
    times = {n: {"value": [], "grad": [], "batch": []} for n in compiled}
    for _ in range(rounds):  # alternate the variants, one round of 100 calls each
        for name, c in compiled.items():
            for what in ("value", "grad"):
                f = c[what]
                times[name][what].append(best_of(
                    lambda f=f: jax.block_until_ready(f(x0)), 1, 100)[0])
            f = c["batch"]
            times[name]["batch"].append(best_of(
                lambda f=f: jax.block_until_ready(f(xs)), 1, 5)[0] / len(xs))
    rows = []
    for name, c in compiled.items():
        v, g, b = (times[name][k] for k in ("value", "grad", "batch"))
        rows.append(f"| {nuisances} ({fit.ndim}) | {name} | {c['ops'][0]} / {c['ops'][1]} | "
                    f"{min(v):.0f} ({np.median(v):.0f}) | {min(g):.0f} ({np.median(g):.0f}) | "
                    f"{min(b):.1f} ({np.median(b):.1f}) |")
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    args = ap.parse_args(argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"machine: {machine()}; this process on {cores} core(s)\n")
    chain = per_operation_cost(args.rounds)
    slope = (chain[50] - chain[1]) / 49
    print("part 1: chain of n elementwise operations on 256 doubles [us]: "
          + ", ".join(f"n = {n}: {t:.1f}" for n, t in chain.items())
          + f"; {slope:.2f} us per operation\n")
    print("part 2: DUNE + T2HK log-posterior at one point, wall time per call [us]\n")
    print("| nuisances (parameters) | variant | XLA ops value / value+grad | value min (median) "
          "| value + gradient min (median) | batch of 256, per point, min (median) |\n"
          "|---|---|---|---|---|---|")
    for nuisances in ("sampled", "profiled"):
        for row in compare(nuisances, args.rounds):
            print(row)


if __name__ == "__main__":
    main()
