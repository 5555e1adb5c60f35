"""Nested sampling with dynesty (static or dynamic), batched proposals, checkpoint and resume."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import dynesty
import numpy as np
from dynesty.utils import resample_equal

from globalfit.card import RunCard
from globalfit.errors import GlobalfitError
from globalfit.samplers.base import SamplerOutput
from globalfit.samplers.batching import BatchedLogLike, BatchPool

DEFAULTS = {"nlive": 500, "dynamic": False, "bound": "multi", "sample": "auto", "dlogz": 0.1,
            "maxcall": None, "checkpoint_every": 120.0, "queue_size": "auto", "seed": 1,
            "pfrac": 1.0, "n_effective": None}


class FitFunctions:
    """Picklable likelihood and prior transform of a run card, for dynesty's checkpoints:
    pickling keeps the card; unpickling rebuilds (and re-jits) the Fit."""

    def __init__(self, card: RunCard, fit: Any = None) -> None:
        self.card = card
        self._fit = fit

    @property
    def fit(self):
        if self._fit is None:
            from globalfit.fit import Fit

            self._fit = Fit.from_card(self.card)
        return self._fit

    def __getstate__(self) -> dict[str, Any]:
        return {"card": self.card}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.card, self._fit = state["card"], None

    def loglike(self, x: np.ndarray) -> float:
        v = self.fit.loglike(x)
        self.fit.check_finite(x, v)
        return float(v)

    def loglike_batch(self, xs: np.ndarray) -> np.ndarray:
        v = np.asarray(self.fit.loglike(xs))
        self.fit.check_finite(xs, v)
        return v

    def prior_transform(self, u: np.ndarray) -> np.ndarray:
        return self.fit.prior_transform(u)


def settings_for(card_sampler: dict[str, Any]) -> dict[str, Any]:
    s = {**DEFAULTS, **{k: v for k, v in card_sampler.items() if k != "name"}}
    if s["queue_size"] == "auto":
        s["queue_size"] = auto_queue_size()
    if not isinstance(s["queue_size"], int) or s["queue_size"] < 1:
        raise GlobalfitError(f"dynesty queue_size must be a positive integer or \"auto\", not "
                             f"{s['queue_size']!r}.")
    return s


def auto_queue_size() -> int:
    """1 on CPUs, 16 on accelerators. Batching the proposal queue into one vectorised call
    pays where a call's dispatch dominates (GPUs); on 2 CPU cores the lock-step threads cost
    more than they save (benchmarks/bench_framework.py: 0.7x on the 5-D Gaussian and on
    DUNE + T2HK), so there it stays off unless a card asks for it."""
    import jax

    return 1 if jax.default_backend() == "cpu" else 16


def births_from_nlive(nlive: np.ndarray, logl: np.ndarray) -> np.ndarray:
    """Birth contours consistent with a run's live-point counts: ``nlive[i]`` points are alive
    when dead point ``i`` (``logl`` ascending) dies, so ``nlive[i] - nlive[i-1] + 1`` points are
    born inside the contour ``logl[i-1]`` (``nlive[0]`` from the prior, ln L_birth = -inf); each
    death takes the oldest living one. anesthetic's nlive from these births equals ``nlive``."""
    births = np.empty(len(logl))
    pool: list[float] = [-np.inf] * int(nlive[0])
    head = 0
    for i in range(len(logl)):
        if i:
            pool.extend([logl[i - 1]] * int(nlive[i] - nlive[i - 1] + 1))
        births[i] = pool[head]
        head += 1
    return births


def birth_contours(res: Any, dynamic: bool) -> np.ndarray:
    """ln L of the contour inside which each dead point was drawn (-inf: from the prior), for
    nested-sampling post-processing (anesthetic). Static runs: exact, from ``samples_it`` (a
    point born at iteration k > 0 replaced the point that died at k - 1). Dynamic runs: births
    consistent with dynesty's live-point counts ``samples_n`` (:func:`births_from_nlive`)."""
    logl = np.asarray(res.logl)
    if dynamic:
        return births_from_nlive(np.asarray(res.samples_n), logl)
    it = np.asarray(res.samples_it)
    return np.where(it > 0, logl[np.maximum(it - 1, 0)], -np.inf)


def run(fit: Any, card: RunCard, run_dir: Path, resume: bool = False, progress: bool = True
        ) -> SamplerOutput:
    """Run dynesty on ``fit``; checkpoints go to ``run_dir/checkpoint/dynesty.pkl``."""
    s = settings_for(card.sampler)
    if fit.ndim == 0:
        raise GlobalfitError("Nothing to sample: every parameter of the card is fixed.")
    ckpt = run_dir / "checkpoint" / "dynesty.pkl"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    ff = FitFunctions(card, fit)
    pool = BatchPool(ff.loglike_batch, int(s["queue_size"]))
    t0 = time.perf_counter()
    dyn = bool(s["dynamic"])
    if resume:
        if not ckpt.exists():
            raise GlobalfitError(f"Nothing to resume: {ckpt} does not exist.")
        sampler = (dynesty.DynamicNestedSampler if dyn else dynesty.NestedSampler).restore(
            str(ckpt), pool=pool)
        try:  # reuse the compiled Fit instead of rebuilding it from the pickled card
            sampler.loglikelihood.loglikelihood.func.single.__self__._fit = fit
        except AttributeError:
            pass
    else:
        common = dict(
            loglikelihood=BatchedLogLike(ff.loglike), prior_transform=ff.prior_transform,
            ndim=fit.ndim, bound=s["bound"], sample=s["sample"],
            rstate=np.random.default_rng(int(s["seed"])), pool=pool,
            queue_size=int(s["queue_size"]),
        )
        sampler = (dynesty.DynamicNestedSampler(**common) if dyn
                   else dynesty.NestedSampler(nlive=int(s["nlive"]), **common))
    run_kw: dict[str, Any] = dict(
        maxcall=s["maxcall"], print_progress=progress, checkpoint_file=str(ckpt),
        checkpoint_every=float(s["checkpoint_every"]), resume=resume,
    )
    try:
        if dyn:
            sampler.run_nested(nlive_init=int(s["nlive"]), dlogz_init=float(s["dlogz"]),
                               wt_kwargs={"pfrac": float(s["pfrac"])},
                               n_effective=s["n_effective"], **run_kw)
        else:
            sampler.run_nested(dlogz=float(s["dlogz"]), **run_kw)
    finally:
        pool.close()
    res = sampler.results
    wall = time.perf_counter() - t0
    logwt = np.asarray(res.logwt)
    weights = np.exp(logwt - res.logz[-1])
    rng = np.random.default_rng(int(s["seed"]))
    equal = resample_equal(np.asarray(res.samples), weights / weights.sum(), rstate=rng)
    ess = float(weights.sum() ** 2 / np.sum(weights**2))
    return SamplerOutput(
        sampler="dynesty", samples=equal[None, :, :], settings=s, ncall=int(np.sum(res.ncall)),
        wall_time=wall, logz=float(res.logz[-1]), logz_err=float(res.logzerr[-1]),
        weighted={"samples": np.asarray(res.samples), "logwt": logwt,
                  "logl": np.asarray(res.logl), "logl_birth": birth_contours(res, dyn)},
        diagnostics={"ess": ess, "niter": int(res.niter), "efficiency": float(res.eff)},
    )
