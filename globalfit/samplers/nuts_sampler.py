"""Hamiltonian Monte Carlo (NUTS) with numpyro: several chains, divergences, ESS and R-hat,
checkpoint and resume.

Warmup and draws are both taken by one compiled NUTS transition per chain (numpyro's kernel
adapts step size and mass matrix in its first ``warmup`` transitions, as ``MCMC`` does), in
chunks of ``chunk`` transitions. After each chunk, of warmup or of draws, the chains' state
(position, adaptation state, step size, mass matrix, random key), the draws so far and the
counts go to ``run_dir/checkpoint/nuts.pkl``, and one progress line is printed. A chunk
continues exactly where the last one stopped, so a run resumed in warmup or in the draws gives
the same draws as an uninterrupted one (warmups of hours, as on the real-data oscillation
cards, are not lost to a kill).
"""

from __future__ import annotations

import pickle
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.infer import NUTS, init_to_median, init_to_sample, init_to_uniform

from globalfit.errors import GlobalfitError
from globalfit.samplers.base import PlainProgress, SamplerOutput, interactive
from globalfit.schema import Setting, sampler_settings
from globalfit.threaded_batch import cpu_cores, thread_pool

if TYPE_CHECKING:
    from globalfit.card import RunCard

INITS = {"median": init_to_median, "uniform": init_to_uniform, "sample": init_to_sample}
EXTRA_FIELDS = ("diverging", "num_steps", "accept_prob", "energy")
STAT_NAMES = {"diverging": "diverging", "num_steps": "tree_size", "accept_prob": "acceptance_rate",
              "energy": "energy"}

#: Run-card settings of ``[sampler] name = "nuts"``.
SETTINGS: dict[str, Setting] = {
    "chains": Setting(4, "int", min=1, max=256),
    "warmup": Setting(1000, "int", min=0, doc="adaptation steps per chain"),
    "samples": Setting(1000, "int", min=1, doc="draws per chain"),
    "target_accept": Setting(0.9, "float", min=0.01, max=0.999),
    "max_tree_depth": Setting(10, "int", min=1, max=20),
    "dense_mass": Setting(False, "bool", doc="adapt a dense mass matrix (correlated "
                          "posteriors; costs d^2 per step) instead of a diagonal one"),
    "chain_method": Setting("sequential", "str", choices=("sequential", "vectorized", "threads"),
                            doc="threads: the chains side by side, one per CPU core (the same "
                                "draws as sequential; likelihoods with parallel_points)"),
    "seed": Setting(1, "int", min=0, max=2**32 - 1),
    "init": Setting("median", "str", choices=tuple(INITS)),
    "chunk": Setting(100, "int", min=1, result=False,
                     doc="transitions per chain (warmup or draws) between checkpoints"),
}


def settings_for(card_sampler: dict[str, Any]) -> dict[str, Any]:
    """Every setting, checked against :data:`SETTINGS`."""
    return sampler_settings(SETTINGS, card_sampler, "nuts")


def numpyro_model(fit: Any):
    """A numpyro model with the Fit's priors and likelihood. Each parameter is sampled in its
    prior's standard form (``NAME__std``: unit uniform or unit normal) and mapped onto the
    parameter, recorded as the deterministic site ``NAME``; the prior is the same as dynesty's."""
    names = fit.parameters
    forms = [fit.priors[n].standard_form() for n in names]
    loglike = fit.raw_loglike

    def model():
        values = []
        for n, (base, to_value) in zip(names, forms, strict=True):
            x = to_value(numpyro.sample(f"{n}__std", base))
            values.append(numpyro.deterministic(n, x))
        numpyro.factor("loglike", loglike(jnp.stack(values)))

    return model


def _save(path: Path, state: Any, draws: dict[str, list[np.ndarray]], done: int,
          warmed: int) -> None:
    """Checkpoint: chain state, draws so far, draws per chain done, warmup transitions done."""
    from globalfit.run_folder import atomic_write

    blob = pickle.dumps({"state": jax.device_get(state), "draws": draws, "done": done,
                         "warmed": warmed})
    atomic_write(path, lambda p: p.write_bytes(blob))


def _load(path: Path) -> dict[str, Any]:
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError) as exc:
        raise GlobalfitError(f"The checkpoint {path} cannot be read ({type(exc).__name__}); "
                             "start afresh with --force.") from None


def run(fit: Any, card: RunCard, run_dir: Path, resume: bool = False,
        progress: bool = True) -> SamplerOutput:
    """Run NUTS on ``fit``, checkpointing after every chunk of warmup or draws."""
    s = settings_for(card.sampler)
    if fit.ndim == 0:
        raise GlobalfitError("Nothing to sample: every parameter of the card is fixed.")
    if s["chain_method"] == "threads":
        serial = [lik.name for lik in fit.likelihoods if not lik.parallel_points]
        if serial:
            raise GlobalfitError(
                f"chain_method = \"threads\" needs likelihoods whose points may run at the same "
                f"time (Likelihood.parallel_points); {', '.join(serial)} do not: use "
                "\"sequential\".")
    ckpt = run_dir / "checkpoint" / "nuts.pkl"
    if resume and not ckpt.exists():
        raise GlobalfitError(f"Nothing to resume: {ckpt} does not exist.")
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    kernel = NUTS(numpyro_model(fit), target_accept_prob=float(s["target_accept"]),
                  max_tree_depth=int(s["max_tree_depth"]), dense_mass=bool(s["dense_mass"]),
                  init_strategy=INITS[s["init"]]())
    chains, warmup, total = int(s["chains"]), int(s["warmup"]), int(s["samples"])
    chunk = int(s["chunk"])
    key = jax.random.PRNGKey(int(s["seed"]))
    say = PlainProgress(every=0.0 if interactive() else None) if progress else None
    t0 = time.perf_counter()
    if resume:
        saved = _load(ckpt)
        kernel.init(key, warmup, None, (), {})  # builds the kernel's functions
        state, draws, done = saved["state"], saved["draws"], int(saved["done"])
        warmed = int(saved.get("warmed", warmup))
    else:
        state = _initial_state(kernel, key, chains, warmup)
        draws, done, warmed = {}, 0, 0
        _save(ckpt, state, draws, done, warmed)
    step = _stepper(kernel, chains, s["chain_method"])
    if say and warmed < warmup:
        say(f"nuts: warmup, {warmup} steps x {chains} chains", force=True)
    while warmed < warmup:  # adaptation: the transitions' draws are not kept
        n = min(chunk, warmup - warmed)
        state, _ = step(state, n)
        warmed += n
        _save(ckpt, state, draws, done, warmed)
        if say:
            say(f"nuts: warmup {warmed}/{warmup} x {chains} chains "
                f"({time.perf_counter() - t0:.0f} s)")
    constrain = jax.jit(jax.vmap(kernel.postprocess_fn((), {})))
    while done < total:
        n = min(chunk, total - done)
        state, got = step(state, n)
        z = got.pop("z")
        flat = constrain(jax.tree_util.tree_map(lambda x: x.reshape((-1,) + x.shape[2:]), z))
        for name in fit.parameters:
            draws.setdefault(name, []).append(np.asarray(flat[name]).reshape(chains, n))
        for k, v in got.items():
            draws.setdefault(k, []).append(np.asarray(v))
        done += n
        _save(ckpt, state, draws, done, warmed)
        if say:
            say(f"nuts: {done}/{total} draws x {chains} chains "
                f"({time.perf_counter() - t0:.0f} s)")
    wall = time.perf_counter() - t0
    cat = {k: np.concatenate(v, axis=1) for k, v in draws.items()}
    samples = np.stack([cat[n] for n in fit.parameters], axis=-1)
    stats = {STAT_NAMES[k]: cat[k] for k in EXTRA_FIELDS}
    if not np.all(np.isfinite(samples)):
        raise GlobalfitError("NUTS produced non-finite samples: a likelihood returned NaN or "
                             "an infinite gradient inside the prior.")
    ess, rhat = chain_diagnostics(samples, fit.parameters)
    ndiv = int(stats["diverging"].sum())
    return SamplerOutput(
        sampler="nuts", samples=samples, settings=s,
        ncall=int(stats["tree_size"].sum()), wall_time=wall, sample_stats=stats,
        diagnostics={"ess": ess, "r_hat": rhat, "divergences": ndiv,
                     "divergent_fraction": ndiv / stats["diverging"].size,
                     "stopped_early": None},
    )


def _initial_state(kernel: Any, key: Any, chains: int, warmup: int) -> Any:
    """The chains' initial states, one key per chain split from ``key`` as numpyro's MCMC does
    (several chains: stacked on a leading axis; each initialised alone, so that the kernel's
    transition stays the one-chain function :func:`_stepper` maps)."""
    if chains == 1:
        return kernel.init(key, warmup, None, (), {})
    states = [kernel.init(k, warmup, None, (), {}) for k in jax.random.split(key, chains)]
    return jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *states)


def _stepper(kernel: Any, chains: int, method: str):
    """``step(state, n) -> (state, fields)``: n NUTS transitions of every chain from ``state``
    (leading chain axis when chains > 1), collecting the unconstrained position ``z`` and
    :data:`EXTRA_FIELDS` as arrays (chains, n, ...). One transition is compiled once; a chunk
    continues exactly where the previous one stopped (the key travels in the state)."""
    one = jax.jit(lambda st: kernel.sample(st, (), {}))
    many = jax.jit(jax.vmap(lambda st: kernel.sample(st, (), {})))

    def fields(st: Any) -> dict[str, Any]:
        return {"z": st.z, **{k: getattr(st, k) for k in EXTRA_FIELDS}}

    def run_chain(st: Any, n: int, f: Any) -> tuple[Any, dict[str, Any]]:
        out = []
        for _ in range(n):
            st = f(st)
            out.append(fields(st))
        return st, jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *out)

    def step(state: Any, n: int) -> tuple[Any, dict[str, Any]]:
        if chains == 1:
            state, got = run_chain(state, n, one)
            return state, jax.tree_util.tree_map(lambda x: x[None], got)
        if method == "vectorized":
            state, got = run_chain(state, n, many)  # (n, chains, ...)
            return state, jax.tree_util.tree_map(lambda x: jnp.swapaxes(x, 0, 1), got)

        def chain(c: int, f: Any = one) -> tuple[Any, dict[str, Any]]:
            return run_chain(jax.tree_util.tree_map(lambda x: x[c], state), n, f)

        if method == "threads":
            stop = threading.Event()

            def transition(st: Any) -> Any:
                if stop.is_set():  # the caller is gone (Ctrl-C, an error): end the chunk now
                    raise RuntimeError("chunk abandoned")
                # wait for it: asynchronous dispatch would queue every chain's calls in a row
                return jax.block_until_ready(one(st))

            try:
                parts = list(thread_pool(min(chains, cpu_cores())).map(
                    lambda c: chain(c, transition), range(chains)))
            except BaseException:
                stop.set()  # the other chains stop at their next transition, not their chunk's end
                raise
        else:
            parts = [chain(c) for c in range(chains)]
        stack = jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[p[0] for p in parts])
        return stack, jax.tree_util.tree_map(lambda *xs: jnp.stack(xs), *[p[1] for p in parts])

    return step


def chain_diagnostics(samples: np.ndarray, names: list[str]
                      ) -> tuple[dict[str, float], dict[str, float]]:
    """Bulk effective sample size and rank-normalised split R-hat (Vehtari et al. 2021,
    arXiv:1903.08008, via ArviZ) of each parameter; samples (chains, draws, ndim). R-hat needs
    at least two chains of four draws (empty otherwise)."""
    import warnings

    import arviz as az

    ess, rhat = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, n in enumerate(names):
            x = samples[..., i]
            ess[n] = float(az.ess(x, method="bulk"))
            if x.shape[0] > 1 and x.shape[1] > 3:
                rhat[n] = float(az.rhat(x, method="rank"))
    return ess, rhat
