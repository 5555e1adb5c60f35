"""Importance reweighting of a finished run by further likelihoods (``[sampler] name =
"reweight"``), as Cobaya's post-processing does: the posterior of A+B from the samples of A.

With the base run A's dead points theta_i and posterior weights w_i (nested sampling; equal
weights for NUTS), the card's likelihoods that A lacks (B) give importance weights L_B(theta_i):

    P_AB(theta) ~ P_A(theta) L_B(theta),   Z_AB / Z_A = E_{P_A}[L_B] = sum_i w_i L_B(theta_i).

Parameters that only B has (its nuisances) are drawn from their priors at each point, so the
weights integrate over them (an unbiased estimate on the extended space). The result is trusted
only when the Kish effective sample size of the new weights reaches ``ess_min`` (default 400);
below it the run is refused with one sentence and ``globalfit combine`` runs the combination in
full. The base is checked first: its own likelihoods, evaluated by this card at its dead points,
must give back its stored ln L (the same options, data and fixed values).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import logsumexp

from globalfit.errors import GlobalfitError
from globalfit.samplers.base import SamplerOutput
from globalfit.schema import Setting, sampler_settings

if TYPE_CHECKING:
    from globalfit.card import RunCard

#: Run-card settings of ``[sampler] name = "reweight"``.
SETTINGS: dict[str, Setting] = {
    "base": Setting("", "str", doc="finished run folder whose samples are reweighted"),
    "base_fingerprint": Setting(None, "str", optional=True,
                                doc="the base result's fingerprint (refuse another result)"),
    "ess_min": Setting(400, "int", min=1, doc="smallest effective sample size accepted"),
    "seed": Setting(1, "int", min=0, max=2**32 - 1, doc="seed of prior draws and resampling"),
}
#: Relative agreement required between the base's stored ln L and this card's evaluation.
CONSISTENCY = 1e-6


class LowEffectiveSampleSize(GlobalfitError):
    """The reweighted samples are too few to trust (the caller may run the card in full)."""


def base_samples(base: Path) -> Any:
    """The base run's samples (:class:`globalfit.chains.Chains`), refusing a reweighted one."""
    from globalfit.chains import Chains

    ch = Chains.from_run(base)
    if ch.loglike_base is not None:
        raise GlobalfitError(f"{base} is itself a reweighted run; reweight its base "
                             f"{ch.summary['sampler']['settings'].get('base')} instead.")
    return ch


def run(fit: Any, card: RunCard, run_dir: Path, resume: bool = False, progress: bool = True
        ) -> SamplerOutput:
    """Reweight the base run named by the card's ``base`` setting by the card's other
    likelihoods (module docstring)."""
    from dynesty.utils import resample_equal

    from globalfit import information

    s = sampler_settings(SETTINGS, card.sampler, "reweight")
    if not s["base"]:
        raise GlobalfitError("The reweight sampler needs base = \"FOLDER\", the finished run "
                             "to reweight.")
    base_dir = Path(s["base"])
    t0 = time.perf_counter()
    base = base_samples(base_dir)
    fingerprint = base.summary.get("provenance", {}).get("fingerprint")
    if s["base_fingerprint"] and fingerprint != s["base_fingerprint"]:
        raise GlobalfitError(f"{base_dir} no longer holds the result this card was made from "
                             "(its fingerprint differs); rerun the reweighting from scratch.")
    own = fit.likelihood_names
    base_liks = list(base.summary["likelihoods"])
    foreign = [n for n in base_liks if n not in own]
    if foreign:
        raise GlobalfitError(f"The base run {base_dir} uses {foreign[0]!r}, which this card "
                             "does not: reweighting can only add likelihoods.")
    added = [n for n in own if n not in base_liks]
    if not added:
        raise GlobalfitError(f"The card adds no likelihood to the base run {base_dir}.")
    names = base.names
    lost = [n for n in names if n not in fit.parameters]
    if lost:
        raise GlobalfitError(f"Parameter {lost[0]!r} is free in the base run {base_dir} but not "
                             "in this card; reweighting needs the same free parameters.")
    rng = np.random.default_rng(int(s["seed"]))
    n = len(base.samples)
    theta = fit.prior_transform(rng.random((n, fit.ndim)))  # new parameters: prior draws
    for i, p in enumerate(fit.parameters):
        if p in names:
            theta[:, i] = base.column(p)
    comps = fit.loglike_components(theta)
    parts = {k: np.asarray(v, float) for k, v in comps.items()}
    extra = sum(parts[k] for k in added)
    again = sum((parts[k] for k in base_liks), np.zeros(n))
    ok = np.isfinite(base.loglike)
    if ok.any():
        scale = 1.0 + np.abs(base.loglike[ok])
        if np.max(np.abs(again[ok] - base.loglike[ok]) / scale) > CONSISTENCY:
            raise GlobalfitError(
                f"The base run {base_dir} was made with other likelihood options, data or fixed "
                "values than this card (its stored ln L does not match); run the card in full.")
    if np.any(np.isnan(extra)):
        fit.check_finite(theta, extra)
    with np.errstate(divide="ignore"):
        lnw = np.log(base.weights)  # the posterior weights of A ...
    lnw -= logsumexp(lnw)
    logwt = lnw + extra  # ... times L_B: sum = E_{P_A}[L_B] = Z_AB / Z_A
    ess = information.effective_sample_size(logwt)
    if not ess >= s["ess_min"]:
        raise LowEffectiveSampleSize(
            f"Reweighting {base_dir} by {', '.join(added)} leaves an effective sample size of "
            f"{ess:.0f} < ess_min = {s['ess_min']}; run this combination in full.")
    w = np.exp(logwt - logsumexp(logwt))
    equal = resample_equal(theta, w / w.sum(), rstate=rng)
    logz = logz_err = None
    weighted = None
    if base.nested and base.summary.get("evidence"):
        logz_a = float(base.summary["evidence"]["logz"])
        weighted = {"samples": theta, "logwt": logz_a + logwt, "logl": base.loglike + extra,
                    "logl_base": base.loglike, "logl_birth": base.logl_birth}
        draws = information.run_draws(weighted["logl"], base.logl_birth, base.loglike,
                                      nsamples=500, seed=int(s["seed"]))
        logz = logz_a + float(logsumexp(logwt))
        # the spread of ln Z over the base's volume draws, and the importance-sampling error
        # of the mean E_{P_A}[L_B] (relative error sqrt(1/ESS - 1/n) in the ratio)
        logz_err = float(np.hypot(np.std(draws[:, 0], ddof=1),
                                  np.sqrt(max(1.0 / ess - 1.0 / n, 0.0))))
    return SamplerOutput(
        sampler="reweight", samples=equal[None, :, :], settings=s, ncall=n,
        wall_time=time.perf_counter() - t0, logz=logz, logz_err=logz_err, weighted=weighted,
        diagnostics={"ess": ess, "reweighted_from": str(base_dir), "added": added,
                     "stopped_early": None},
    )
