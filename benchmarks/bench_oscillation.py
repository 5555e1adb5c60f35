"""Speed of the oscillation engine and of the DUNE + T2HK likelihood on a sampler's path.

    python benchmarks/bench_oscillation.py [--baseline REV] [--rounds 5] [--wall]

1. Engine, 1e5 energies at the DUNE baseline: ours, ours with XLA's own (libm) sin, cos and
   arccos instead of globalfit.fastmath (compiled in this process), and NuOscProbExact's batched
   path (oscprob3nu) on the same energies.
2. ``runs/dune_t2hk_eps_tautau.toml`` (profiled normalisations, 7 parameters) and the same with
   sampled normalisations (31): what a sampler calls per point - one ``Fit.cube_loglike`` (dynesty,
   one point), ``vmap`` of the log-likelihood over 256 points, per point (batched samplers), and
   value + gradient of the log-posterior at one point (NUTS, the profile minimiser) - with a
   trivial jitted call in the same process as the baseline, and the number of XLA operations
   (thunks) of the compiled value and value + gradient (what a single call pays for on CPU).
   Process CPU time (all threads), best of alternating rounds; ``--wall``: wall time instead
   (what one sampler waits for on an otherwise idle machine).
   ``--baseline REV``: the same measurement of part 2 for a git revision, checked out to a
   temporary folder and run in subprocesses alternating with this tree's (before / now).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import globalfit
from globalfit.constants import KM_TO_INV_EV, V_CC_EV_PER_GCM3
from likelihoods.oscillation import engine, probabilities
from likelihoods.oscillation.nufit import best_fit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_sampler_path import interleaved, machine  # noqa: E402  (same folder)


def best(f, n=5):
    """Best wall time [s] of ``n`` calls of ``f``."""
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def cpu_best(fns: dict, rounds: int, number: int, wall: bool = False) -> dict:
    """Best process CPU time (``wall``: wall time) per call [s] of each function, alternating
    rounds."""
    clock = time.perf_counter if wall else time.process_time
    return dict(zip(fns, interleaved(list(fns.values()), rounds, number, clock=clock),
                    strict=True))


def libm_probabilities(e: np.ndarray):
    """The engine compiled with XLA's own sin, cos and arccos (before globalfit.fastmath), for
    the energies ``e`` (traced and compiled here, while the libm functions are in place)."""
    saved = engine.sincos, engine.arccos, engine.sin_over
    engine.sincos = lambda x: (jnp.sin(x), jnp.cos(x))
    engine.arccos = jnp.arccos
    engine.sin_over = lambda x: jnp.sinc(x / jnp.pi)
    try:
        f = jax.jit(engine._probabilities.__wrapped__, static_argnames=("antineutrino", "both"))
        args = engine._path_arguments(e, 1300.0, 2.8, best_fit("NO"), None, 0.5)
        f(*args).block_until_ready()  # traced and compiled with the libm functions
    finally:
        engine.sincos, engine.arccos, engine.sin_over = saved
    return lambda e, osc, eps: f(*engine._path_arguments(e, 1300.0, 2.8, osc, eps, 0.5))


def engine_table(rounds: int) -> None:
    osc = best_fit("NO")
    e = np.linspace(0.1, 20, 100_000)
    eps = np.zeros((3, 3), complex)
    eps[0, 0] = 0.1
    libm = libm_probabilities(e)
    t = cpu_best({"ours": lambda: probabilities(e, 1300.0, 2.8, osc=osc, eps=eps,
                                                Ye=0.5).block_until_ready(),
                  "libm": lambda: libm(e, osc, eps).block_until_ready()}, rounds, 3)
    dp = float(np.max(np.abs(np.asarray(probabilities(e, 1300.0, 2.8, osc=osc, eps=eps,
                                                      Ye=0.5)) - np.asarray(libm(e, osc, eps)))))
    print("| engine, 1e5 energies | CPU ns per set | x ours |\n|---|---|---|")
    print(f"| ours (globalfit.fastmath) | {t['ours'] / 1e5 * 1e9:.1f} | 1 |")
    print(f"| ours with XLA's libm sin/cos/arccos | {t['libm'] / 1e5 * 1e9:.1f} | "
          f"{t['libm'] / t['ours']:.2f} |")
    try:
        import hamiltonians3nu as h3
        import oscprob3nu
        hv = h3.hamiltonian_3nu_vacuum_energy_independent(
            np.sin(osc["theta12"]), np.sin(osc["theta23"]), np.sin(osc["theta13"]),
            osc["delta_cp"], osc["dm21"], osc["dm31"])
        v = V_CC_EV_PER_GCM3 * 2.8 * 0.5
        h = hv[None] / (e[:, None, None] * 1e9) + v * (np.diag([1, 0, 0]) + eps)[None]
        t_ref = cpu_best({"ref": lambda: oscprob3nu.probabilities_3nu(
            h, 1300.0 * KM_TO_INV_EV)}, 2, 1)["ref"]
        print(f"| NuOscProbExact batched | {t_ref / 1e5 * 1e9:.1f} | {t_ref / t['ours']:.2f} |")
    except ImportError:
        print("(NuOscProbExact not installed: no peer row)")
    print(f"\nlargest |dP| between the two engines: {dp:.1e}\n")


def _thunks(compiled_text: str) -> int:
    entry = compiled_text[compiled_text.index("ENTRY"):]
    ops = Counter(re.findall(r"= \S+ ([\w-]+)\(", entry))
    return sum(v for k, v in ops.items()
               if k not in ("constant", "parameter", "get-tuple-element", "bitcast", "tuple"))


def _measure(fit, rounds: int, wall: bool = False) -> dict:
    trivial = jax.jit(lambda x: jnp.sum(x))
    u = np.random.default_rng(0).uniform(0.2, 0.8, (256, fit.ndim))
    xs = jnp.asarray(fit.prior_transform(u))
    batch = jax.jit(jax.vmap(fit.raw_loglike))
    value = jax.jit(fit.raw_logpost)
    grad = jax.jit(jax.value_and_grad(fit.raw_logpost))
    t = cpu_best({
        "trivial": lambda: float(trivial(u[0])),
        "single": lambda: fit.cube_loglike(u[0]),
        "batched": lambda: batch(xs).block_until_ready(),
        "value_grad": lambda: grad(xs[0])[1].block_until_ready(),
    }, rounds, 20, wall)
    t["batched"] /= len(xs)
    return {**{k: v * 1e6 for k, v in t.items()}, "ndim": fit.ndim,
            "ops_value": _thunks(value.lower(xs[0]).compile().as_text()),
            "ops_value_grad": _thunks(grad.lower(xs[0]).compile().as_text())}


def sampler_path(rounds: int, wall: bool = False) -> dict:
    """Part 2 for this tree: {nuisance mode: {quantity: value}} (module docstring)."""
    from globalfit.card import RunCard

    base = RunCard.load(str(ROOT / "runs" / "dune_t2hk_eps_tautau.toml"))
    out = {}
    for nuis in ("profiled", "sampled"):
        opts = {k: {**v, "nuisances": nuis} for k, v in base.likelihood_options.items()}
        out[nuis] = _measure(globalfit.Fit(model=base.model, likelihoods=base.likelihoods,
                                           priors=base.parameters, likelihood_options=opts),
                             rounds, wall)
    return out


def _run_tree(tree: Path, rounds: int, wall: bool = False) -> dict:
    """:func:`sampler_path` (this file's) on the packages of ``tree`` (first on the path)."""
    code = (f"import sys, json; sys.path.insert(1, {str(ROOT / 'benchmarks')!r}); "
            f"import bench_oscillation as b; print(json.dumps(b.sampler_path({rounds}, {wall})))")
    res = subprocess.run([sys.executable, "-c", code], cwd=tree, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(tree),
                                         "GLOBALFIT_JAX_CACHE": "off"})
    if res.returncode:
        raise SystemExit(f"benchmark of {tree} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--baseline", help="git revision to compare part 2 against")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--wall", action="store_true", help="wall time for part 2 (default CPU time)")
    args = ap.parse_args(argv)
    if args.baseline and subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--verify", "-q", f"{args.baseline}^{{commit}}"],
            capture_output=True).returncode:
        print(f"--baseline {args.baseline!r} is not a commit of this repository (give a hash, "
              "tag or branch: git log --oneline).", file=sys.stderr)
        sys.exit(2)
    print(f"machine: {machine()}\n")
    engine_table(args.rounds)
    rows = {"now": [sampler_path(args.rounds, args.wall)]}
    if args.baseline:
        with tempfile.TemporaryDirectory() as tmp:
            tree = Path(tmp) / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q",
                            str(tree), args.baseline], check=True)
            try:
                rows = {"before": [], "now": []}
                for _ in range(2):  # alternate the two trees, keep the best of each
                    rows["before"].append(_run_tree(tree, args.rounds, args.wall))
                    rows["now"].append(_run_tree(ROOT, args.rounds, args.wall))
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], check=True)
    print(f"part 2: {'wall' if args.wall else 'process CPU'} time\n")
    print("| DUNE + T2HK | tree | trivial call [us] | one point, cube_loglike [us] | "
          "batched, per point [us] | value + gradient [us] | x trivial | XLA ops value | "
          "XLA ops value+grad |\n|---|---|---|---|---|---|---|---|---|")
    for nuis in ("profiled", "sampled"):
        for tree, runs in rows.items():
            r = {k: min(run[nuis][k] for run in runs) for k in runs[0][nuis]}
            print(f"| {nuis} ({r['ndim']} parameters) | {tree} | {r['trivial']:.1f} | "
                  f"{r['single']:.0f} | {r['batched']:.1f} | {r['value_grad']:.0f} | "
                  f"{r['value_grad'] / r['trivial']:.0f} | {r['ops_value']} | "
                  f"{r['ops_value_grad']} |")


if __name__ == "__main__":
    main()
