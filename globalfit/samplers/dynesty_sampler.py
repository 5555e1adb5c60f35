"""Nested sampling with dynesty (static or dynamic), batched proposals, checkpoint and resume."""

from __future__ import annotations

import pickle
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dynesty
import numpy as np
from dynesty.utils import RunRecord, resample_equal

from globalfit.errors import GlobalfitError
from globalfit.samplers.base import SamplerOutput, progress_printer
from globalfit.samplers.batching import BatchedLogLike, BatchPool
from globalfit.schema import Setting, sampler_settings

if TYPE_CHECKING:
    from globalfit.card import RunCard

#: Run-card settings of ``[sampler] name = "dynesty"``.
SETTINGS: dict[str, Setting] = {
    "nlive": Setting(500, "int", min=2, doc="live points"),
    "dynamic": Setting(False, "bool", doc="dynamic nested sampling"),
    "bound": Setting("multi", "str", choices=("none", "single", "multi", "balls", "cubes")),
    "sample": Setting("auto", "str", choices=("auto", "unif", "rwalk", "slice", "rslice")),
    "dlogz": Setting(0.1, "float", min=1e-8, doc="stop when the remaining log Z is below this"),
    "maxcall": Setting(None, "int", min=1, optional=True, doc="stop after this many calls"),
    "checkpoint_every": Setting(30.0, "float", min=0.0, result=False,
                                doc="seconds between checkpoints"),
    "queue_size": Setting("auto", "int", min=1, literals=("auto",)),
    "seed": Setting(1, "int", min=0, max=2**32 - 1),
    "pfrac": Setting(1.0, "float", min=0.0, max=1.0, doc="dynamic: posterior weight fraction"),
    "n_effective": Setting(None, "int", min=1, optional=True, doc="dynamic: target ESS"),
}


def _pack(values: list) -> tuple[str, Any]:
    """One array for a list of numpy scalars or of equal-shape arrays (one per iteration)."""
    if values and all(type(v) is type(values[0]) for v in values):
        if isinstance(values[0], np.generic):
            return "scalars", np.array(values)
        if isinstance(values[0], np.ndarray) and len({v.shape for v in values}) == 1:
            return "arrays", np.stack(values)
    return "list", values


def _unpack(kind: str, data: Any) -> list:
    return list(data) if kind in ("scalars", "arrays") else data


def _rebuild_run_record(packed: dict[str, tuple[str, Any]]) -> RunRecord:
    record = RunRecord.__new__(RunRecord)
    record.D = {k: _unpack(*v) for k, v in packed.items()}
    return record


def _reduce_run_record(record: RunRecord) -> tuple:
    return _rebuild_run_record, ({k: _pack(v) for k, v in record.D.items()},)


# A checkpoint pickles dynesty's run record: per iteration, numpy scalars and small arrays in
# lists, each pickled on its own (1.4 s for the 5-D Gaussian's 5000 iterations, growing with the
# run). Pickled as one array per quantity it takes milliseconds; the values and types read back
# are the same, so a resumed run stays bit-identical (tests/framework/test_kill_resume.py).
RunRecord.__reduce__ = _reduce_run_record


class FitFunctions:
    """Picklable likelihood and prior transform of a run card, for dynesty's checkpoints:
    pickling keeps the card; unpickling rebuilds (and re-jits) the Fit.

    dynesty samples the unit cube with an identity prior transform and the likelihood applies
    the prior transform inside the same jitted call (:meth:`Fit.cube_loglike`): one dispatch per
    likelihood call, NumPy in and out. dynesty's samples are therefore unit-cube points, mapped
    onto the parameters once at the end (:func:`run`)."""

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
        return {"card": self.card, "cube": True}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if not state.get("cube"):
            raise GlobalfitError("This checkpoint was written by an older globalfit that sampled "
                                 "in parameter space; rerun without --resume.")
        self.card, self._fit = state["card"], None

    def loglike(self, u: np.ndarray) -> float:
        return self.fit.cube_loglike(u)

    def loglike_batch(self, us: np.ndarray) -> np.ndarray:
        return self.fit.cube_loglike(us)

    @staticmethod
    def prior_transform(u: np.ndarray) -> np.ndarray:
        return np.array(u)


def settings_for(card_sampler: dict[str, Any]) -> dict[str, Any]:
    """Every setting, checked against :data:`SETTINGS`, ``queue_size = "auto"`` resolved."""
    s = sampler_settings(SETTINGS, card_sampler, "dynesty")
    if s["queue_size"] == "auto":
        s["queue_size"] = auto_queue_size()
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


def run(fit: Any, card: RunCard, run_dir: Path, resume: bool = False,
        progress: bool = True) -> SamplerOutput:
    """Run dynesty on ``fit``; checkpoints go to ``run_dir/checkpoint/dynesty.pkl`` every
    ``checkpoint_every`` seconds (dynesty writes them atomically)."""
    s = settings_for(card.sampler)
    if fit.ndim == 0:
        raise GlobalfitError("Nothing to sample: every parameter of the card is fixed.")
    if s["bound"] != "none" and s["nlive"] <= fit.ndim + 1:
        raise GlobalfitError(f"dynesty with bound {s['bound']!r} needs nlive > ndim + 1 = "
                             f"{fit.ndim + 1}, got nlive = {s['nlive']}.")
    ckpt = run_dir / "checkpoint" / "dynesty.pkl"
    if resume and not ckpt.exists():
        raise GlobalfitError(f"Nothing to resume: {ckpt} does not exist.")
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    ff = FitFunctions(card, fit)
    pool = BatchPool(ff.loglike_batch, int(s["queue_size"]))
    t0 = time.perf_counter()
    dyn = bool(s["dynamic"])
    if resume:
        try:
            sampler = (dynesty.DynamicNestedSampler if dyn else dynesty.NestedSampler).restore(
                str(ckpt), pool=pool)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError) as exc:
            pool.close()
            raise GlobalfitError(f"The checkpoint {ckpt} cannot be read ({type(exc).__name__}); "
                                 "start afresh with --force.") from None
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
    printer = progress_printer(progress)
    run_kw: dict[str, Any] = dict(
        maxcall=s["maxcall"], print_progress=bool(progress), print_func=printer,
        checkpoint_file=str(ckpt), checkpoint_every=float(s["checkpoint_every"]), resume=resume,
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
    points = fit.prior_transform(np.asarray(res.samples))  # unit cube -> parameters
    equal = resample_equal(points, weights / weights.sum(), rstate=rng)
    ess = float(weights.sum() ** 2 / np.sum(weights**2))
    ncall = int(np.sum(res.ncall))
    return SamplerOutput(
        sampler="dynesty", samples=equal[None, :, :], settings=s, ncall=ncall,
        wall_time=wall, logz=float(res.logz[-1]), logz_err=float(res.logzerr[-1]),
        weighted={"samples": points, "logwt": logwt,
                  "logl": np.asarray(res.logl), "logl_birth": birth_contours(res, dyn)},
        diagnostics={"ess": ess, "niter": int(res.niter), "efficiency": float(res.eff),
                     "stopped_early": stopped_early(res, s, ncall)},
    )


def stopped_early(res: Any, s: dict[str, Any], ncall: int) -> str | None:
    """Why the run stopped before its own criterion, or None. Static runs: the remaining
    evidence when the live points were added, Delta ln Z = ln(1 + L_max X / Z) (dynesty's
    stopping rule), against ``dlogz``. Dynamic runs: whether ``maxcall`` cut them short."""
    hit_maxcall = s["maxcall"] is not None and ncall >= s["maxcall"]
    if s["dynamic"]:
        return f"stopped by maxcall = {s['maxcall']}" if hit_maxcall else None
    nlive = int(s["nlive"])
    logl, logvol, logz = (np.asarray(res.logl), np.asarray(res.logvol), np.asarray(res.logz))
    k = len(logl) - nlive  # the last nlive entries are the live points added at the end
    if k < 1:
        return "stopped before any live point was replaced"
    delta = float(np.logaddexp(0.0, np.max(logl[k:]) + logvol[k - 1] - logz[k - 1]))
    if delta <= s["dlogz"] * (1 + 1e-9):
        return None
    why = f" (maxcall = {s['maxcall']} reached)" if hit_maxcall else ""
    return f"remaining delta log Z = {delta:.3g} above dlogz = {s['dlogz']:g}{why}"
