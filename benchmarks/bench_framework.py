"""Framework overhead, measured as ratios against baselines run in the same process.

1. ``Fit.loglike`` of a trivial likelihood vs the bare jitted function (target: <= 2x).
2. 10^4 points in one batched ``Fit.loglike`` call vs 10^4 single calls, per point (target: >= 50x).
3. dynesty on the 5-D Gaussian: batched proposal queue (queue_size 16) vs no pool, wall time.

Run: ``python benchmarks/bench_framework.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import globalfit  # noqa: F401
from globalfit import Fit
from globalfit.card import RunCard
from globalfit.fit import Fit as _Fit
from globalfit.samplers import dynesty_sampler
from priors import Uniform

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.framework.cards


def best_of(fn, repeat: int = 7, number: int = 2000) -> float:
    """Best mean time per call [s] over ``repeat`` rounds of ``number`` calls."""
    return interleaved([fn], repeat, number)[0]


def interleaved(fns, repeat: int = 15, number: int = 2000) -> list[float]:
    """Best mean time per call [s] of each function, rounds alternating between them so that
    load from other processes hits all of them alike."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - t0) / number)
    return best


def overhead() -> tuple[float, float, float]:
    mean = jnp.array([0.1, -0.2])

    @jax.jit
    def bare(theta):
        return -0.5 * jnp.sum((theta - mean) ** 2)

    fit = Fit("nsi", ["gaussian"], priors={"eps_ee_u": Uniform(-1, 1),
                                           "eps_mumu_u": Uniform(-1, 1)},
              likelihood_options={"gaussian": {"parameters": ["eps_ee_u", "eps_mumu_u"],
                                               "mean": [0.1, -0.2],
                                               "cov": [[1.0, 0.0], [0.0, 1.0]]}})
    x = jnp.array([0.3, 0.1])
    t_bare, t_fit = interleaved([lambda: bare(x).block_until_ready(),
                                 lambda: fit.loglike(x).block_until_ready()])
    return t_bare, t_fit, t_fit / t_bare


def batching() -> tuple[float, float, float]:
    fit = Fit("nsi", ["gaussian"], priors={"eps_ee_u": Uniform(-1, 1),
                                           "eps_mumu_u": Uniform(-1, 1)},
              likelihood_options={"gaussian": {"parameters": ["eps_ee_u", "eps_mumu_u"],
                                               "mean": [0.1, -0.2],
                                               "cov": [[1.0, 0.2], [0.2, 1.0]]}})
    rows = [jnp.asarray(r) for r in np.random.default_rng(0).uniform(-1, 1, (10_000, 2))]
    xs = jnp.stack(rows)

    def singles():
        for r in rows:
            fit.loglike(r).block_until_ready()

    t_single, t_batch = interleaved([singles, lambda: fit.loglike(xs).block_until_ready()],
                                    repeat=3, number=1)
    t_single, t_batch = t_single / 1e4, t_batch / 1e4
    return t_single, t_batch, t_single / t_batch


def dynesty_queue() -> tuple[float, float, float]:
    from tests.framework.cards import gaussian_card

    out = {}
    for q in (1, 16):
        card = RunCard.from_dict(gaussian_card(
            {"name": "dynesty", "nlive": 400, "seed": 1, "queue_size": q}, "/tmp/bench_q"))
        fit = _Fit.from_card(card)
        fit.loglike(np.zeros((q, 5)))
        t0 = time.perf_counter()
        dynesty_sampler.run(fit, card, Path(tempfile.mkdtemp()), progress=False)
        out[q] = time.perf_counter() - t0
    return out[1], out[16], out[1] / out[16]


if __name__ == "__main__":
    b, f, r = overhead()
    print(f"Fit.loglike vs bare jitted fn: {f * 1e6:.1f} us vs {b * 1e6:.1f} us per call "
          f"-> ratio {r:.2f} (target <= 2)")
    s, bt, r2 = batching()
    print(f"10^4 points: single calls {s * 1e6:.2f} us/point, one batched call {bt * 1e9:.1f} "
          f"ns/point -> {r2:.0f}x faster per point (target >= 50)")
    q1, q16, r3 = dynesty_queue()
    print(f"dynesty 5-D Gaussian nlive 400: no pool {q1:.1f} s, batched queue_size 16 "
          f"{q16:.1f} s -> {r3:.2f}x")
