"""Hamiltonian Monte Carlo (NUTS) with numpyro: several chains, divergences, ESS and R-hat."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
from numpyro.diagnostics import effective_sample_size, split_gelman_rubin
from numpyro.infer import MCMC, NUTS, init_to_median, init_to_sample, init_to_uniform

from globalfit.card import RunCard
from globalfit.errors import GlobalfitError, unknown
from globalfit.samplers.base import SamplerOutput

DEFAULTS = {"chains": 4, "warmup": 1000, "samples": 1000, "target_accept": 0.9,
            "max_tree_depth": 10, "chain_method": "sequential", "seed": 1, "init": "median"}
INITS = {"median": init_to_median, "uniform": init_to_uniform, "sample": init_to_sample}


def settings_for(card_sampler: dict[str, Any]) -> dict[str, Any]:
    return {**DEFAULTS, **{k: v for k, v in card_sampler.items() if k != "name"}}


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


def run(fit: Any, card: RunCard, run_dir: Path, resume: bool = False, progress: bool = True
        ) -> SamplerOutput:
    """Run NUTS on ``fit`` (``resume`` is accepted and ignored: NUTS runs are short and restart)."""
    s = settings_for(card.sampler)
    if fit.ndim == 0:
        raise GlobalfitError("Nothing to sample: every parameter of the card is fixed.")
    if s["init"] not in INITS:
        raise unknown("NUTS init strategy", s["init"], INITS)
    if s["chain_method"] not in ("sequential", "vectorized", "parallel"):
        raise unknown("NUTS chain_method", s["chain_method"], ("sequential", "vectorized"))
    kernel = NUTS(numpyro_model(fit), target_accept_prob=float(s["target_accept"]),
                  max_tree_depth=int(s["max_tree_depth"]), init_strategy=INITS[s["init"]]())
    mcmc = MCMC(kernel, num_warmup=int(s["warmup"]), num_samples=int(s["samples"]),
                num_chains=int(s["chains"]), chain_method=s["chain_method"],
                progress_bar=progress)
    t0 = time.perf_counter()
    mcmc.run(jax.random.PRNGKey(int(s["seed"])),
             extra_fields=("diverging", "num_steps", "accept_prob", "energy"))
    wall = time.perf_counter() - t0
    post = mcmc.get_samples(group_by_chain=True)
    samples = np.stack([np.asarray(post[n]) for n in fit.parameters], axis=-1)
    extra = mcmc.get_extra_fields(group_by_chain=True)
    stats = {
        "diverging": np.asarray(extra["diverging"]),
        "tree_size": np.asarray(extra["num_steps"]),
        "acceptance_rate": np.asarray(extra["accept_prob"]),
        "energy": np.asarray(extra["energy"]),
    }
    if not np.all(np.isfinite(samples)):
        raise GlobalfitError("NUTS produced non-finite samples: a likelihood returned NaN or "
                             "an infinite gradient inside the prior.")
    ess = {n: float(effective_sample_size(samples[..., i])) for i, n in enumerate(fit.parameters)}
    rhat = ({n: float(split_gelman_rubin(samples[..., i])) for i, n in enumerate(fit.parameters)}
            if samples.shape[0] > 1 and samples.shape[1] > 3 else {})
    ndiv = int(stats["diverging"].sum())
    return SamplerOutput(
        sampler="nuts", samples=samples, settings=s,
        ncall=int(stats["tree_size"].sum()), wall_time=wall, sample_stats=stats,
        diagnostics={"ess": ess, "r_hat": rhat, "divergences": ndiv,
                     "divergent_fraction": ndiv / stats["diverging"].size},
    )
