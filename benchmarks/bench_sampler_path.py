"""The likelihood path each sampler really takes, end to end, as same-process ratios.

    python benchmarks/bench_sampler_path.py [--cards runs/a.toml,...] [--runs gaussian_5d,...]
                                            [--repeat N] [--no-runs]

Part 1, per card, the cost of one call as each sampler makes it:

- baseline: a trivial jitted function (sum of the point) called with a NumPy point and its value
  brought back as a Python float, the least any jitted likelihood call costs;
- before: the path dynesty took before issue #14 (prior transform and log-likelihood as two
  jitted calls, each input converted with ``jnp.asarray``, NaN check on a JAX array), replayed
  with the same compiled functions;
- dynesty: what dynesty calls now, one point (its ``LogLikelihood`` wrapper, our
  ``BatchedLogLike``, the identity prior transform and :meth:`Fit.cube_loglike`);
- batch: :meth:`Fit.cube_loglike` on 512 unit-cube points, per point (UltraNest and nautilus in
  vectorised mode, dynesty's initial live points and its batched proposal queue);
- NUTS: one value-and-gradient of the log-posterior inside ``jit`` (the work per leapfrog step).

Part 2, total dynesty sampling time of whole run cards with their own settings, before (the old
path, monkeypatched in) against now, interleaved, with the log Z of each.

Times are the best of ``--repeat`` rounds (default 7, rounds alternating between the paths so
that load from other processes hits them alike); the machine it ran on is printed first.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import globalfit  # noqa: F401  (float64)
from globalfit.card import RunCard
from globalfit.fit import Fit
from globalfit.samplers import dynesty_sampler
from globalfit.samplers.batching import BatchedLogLike

ROOT = Path(__file__).resolve().parents[1]
CARDS = ["gaussian_5d", "leptonic_scalar", "coherent_nsi_ee", "zprime_A_coherent",
         "zprime_A_lhc", "dune_t2hk_eps_tautau"]
RUNS = ["gaussian_5d", "leptonic_scalar"]


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo")
                if ln.startswith("model name")), platform.processor()) \
        if os.path.exists("/proc/cpuinfo") else platform.processor()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores visible, load average {load:.1f}; "
            f"jax {jax.__version__} ({jax.default_backend()}), Python {platform.python_version()}")


def interleaved(fns, repeat: int, number: int, clock=time.perf_counter) -> list[float]:
    """Best mean time per call [s] of each function over ``repeat`` alternating rounds
    (``clock``: wall time by default; ``time.process_time`` for the CPU time of all threads)."""
    for f in fns:
        f()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, f in enumerate(fns):
            t0 = clock()
            for _ in range(number):
                f()
            best[i] = min(best[i], (clock() - t0) / number)
    return best


class BeforeFunctions(dynesty_sampler.FitFunctions):
    """dynesty's functions before issue #14: parameter-space sampling, two jitted calls per
    point, ``jnp.asarray`` on NumPy input and a NaN check on the JAX value."""

    def loglike(self, x):
        fit = self.fit
        x = jnp.asarray(x, float)
        v = fit._c.functions["loglike"][0](x, fit._fixed_values)
        fit.check_finite(x, v)
        return float(v)

    def loglike_batch(self, xs):
        v = np.asarray(self.fit.loglike(jnp.asarray(xs, float)))
        self.fit.check_finite(xs, v)
        return v

    def prior_transform(self, u):
        return np.asarray(self.fit._c.transform(jnp.asarray(u, float)))


def call_costs(card: Path, repeat: int) -> dict[str, float]:
    from dynesty.utils import LogLikelihood

    fit = Fit.from_card(RunCard.load(card))
    rng = np.random.default_rng(1)
    u = rng.uniform(0.05, 0.95, fit.ndim)
    us = rng.uniform(0.05, 0.95, (512, fit.ndim))
    trivial = jax.jit(lambda x: jnp.sum(x))
    before = BeforeFunctions(fit.card, fit)
    now = dynesty_sampler.FitFunctions(fit.card, fit)
    wrapped = LogLikelihood(BatchedLogLike(now.loglike), fit.ndim)
    theta = jnp.asarray(fit.prior_transform(u))
    vg = jax.jit(jax.value_and_grad(fit.raw_logpost))
    assert abs(before.loglike(before.prior_transform(u)) - wrapped(now.prior_transform(u)).val) \
        <= 1e-12 * (1 + abs(fit.cube_loglike(u)))
    number = max(20, min(2000, int(0.2 / max(_once(lambda: fit.cube_loglike(u)), 1e-6))))
    t = interleaved([
        lambda: float(np.asarray(trivial(u))),
        lambda: before.loglike(before.prior_transform(u)),
        lambda: wrapped(now.prior_transform(u)),
        lambda: vg(theta)[1].block_until_ready(),
    ], repeat, number)
    tb = interleaved([lambda: fit.cube_loglike(us)], max(3, repeat // 2),
                     max(2, number // 50))[0] / len(us)
    return {"ndim": fit.ndim, "baseline": t[0], "before": t[1], "dynesty": t[2], "batch": tb,
            "nuts": t[3]}


def _once(f) -> float:
    f()
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def sampling_times(card: Path, repeat: int) -> dict[str, list]:
    """Wall time and log Z of dynesty on ``card``, the old path and the new, alternating."""
    c = RunCard.load(card)
    fit = Fit.from_card(c)
    fit.cube_loglike(np.full(fit.ndim, 0.5))
    fit.prior_transform(np.full(fit.ndim, 0.5))
    fit.loglike(np.asarray(fit.prior_transform(np.full(fit.ndim, 0.5))))
    out: dict[str, list] = {"before": [], "now": []}
    original = dynesty_sampler.FitFunctions
    for _ in range(repeat):
        for label, cls in (("before", BeforeFunctions), ("now", original)):
            dynesty_sampler.FitFunctions = cls
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    r = dynesty_sampler.run(fit, c, Path(tmp), progress=False)
            finally:
                dynesty_sampler.FitFunctions = original
            out[label].append((r.wall_time, r.logz, r.logz_err, r.ncall))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cards", default=",".join(CARDS), help="card stems or paths, comma-separated")
    ap.add_argument("--runs", default=",".join(RUNS), help="cards to sample in part 2")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--run-repeat", type=int, default=2)
    ap.add_argument("--no-runs", action="store_true", help="skip part 2")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    print("\nPart 1: cost of one likelihood call as each sampler makes it [us]; ratios to the")
    print("trivial jitted call (baseline) in the same process\n")
    print("| card | ndim | baseline | before | dynesty now | now / baseline | before / now "
          "| batch of 512, per point | NUTS value+grad |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.cards.split(","):
        path = _card(name)
        try:
            r = call_costs(path, args.repeat)
        except globalfit.GlobalfitError as exc:
            print(f"| {name} | skipped: {exc} |")
            continue
        us = {k: v * 1e6 for k, v in r.items() if k != "ndim"}
        print(f"| {path.stem} | {r['ndim']} | {us['baseline']:.1f} | {us['before']:.1f} | "
              f"{us['dynesty']:.1f} | {r['dynesty'] / r['baseline']:.2f} | "
              f"{r['before'] / r['dynesty']:.2f} | {us['batch']:.2f} | {us['nuts']:.1f} |")
        sys.stdout.flush()
    if args.no_runs:
        return
    print(f"\nPart 2: dynesty on whole cards (card settings), before vs now, "
          f"{args.run_repeat} alternating runs each\n")
    print("| card | before [s] | now [s] | speed-up (best) | log Z before | log Z now | calls |")
    print("|---|---|---|---|---|---|---|")
    for name in args.runs.split(","):
        path = _card(name)
        r = sampling_times(path, args.run_repeat)
        tb = min(x[0] for x in r["before"])
        tn = min(x[0] for x in r["now"])
        zb = ", ".join(f"{x[1]:.3f}" for x in r["before"])
        zn = ", ".join(f"{x[1]:.3f} ± {x[2]:.3f}" for x in r["now"])
        print(f"| {path.stem} | {', '.join(f'{x[0]:.1f}' for x in r['before'])} | "
              f"{', '.join(f'{x[0]:.1f}' for x in r['now'])} | {tb / tn:.2f}x | {zb} | {zn} | "
              f"{r['now'][0][3]} |")
        sys.stdout.flush()


def _card(name: str) -> Path:
    p = Path(name)
    return p if p.suffix == ".toml" else ROOT / "runs" / f"{name}.toml"


if __name__ == "__main__":
    main()
