"""Importance nested sampling with nautilus (J. U. Lange, MNRAS 525 (2023) 3181,
arXiv:2306.16923): neural-network-boosted bounds, vectorised likelihood calls, checkpoint and
resume. Optional: ``pip install "globalfit[samplers]"``.

The sampler runs in the unit cube; each batch is one :meth:`Fit.cube_loglike` call. By default
the exploration phase is discarded (nautilus' recommendation for unbiased posteriors and
evidences). log Z error: the importance-sampling estimate sqrt(1/ESS - 1/N) of the relative
error of Z (Kish ESS of the N weighted points), which ignores the correlation the bounds carry.
Checkpoints go to ``run_dir/checkpoint/nautilus.hdf5``."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from globalfit.card import RunCard
from globalfit.errors import GlobalfitError
from globalfit.samplers.base import SamplerOutput
from globalfit.samplers.unit_cube import identity, kish_ess, optional, output
from globalfit.schema import Setting, sampler_settings

#: Run-card settings of ``[sampler] name = "nautilus"``.
SETTINGS: dict[str, Setting] = {
    "nlive": Setting(2000, "int", min=2, doc="live points"),
    "n_eff": Setting(10000, "int", min=1, doc="target effective sample size"),
    "f_live": Setting(0.01, "float", min=0.0, max=1.0,
                      doc="stop when the live set holds less than this of Z"),
    "n_networks": Setting(4, "int", min=1, doc="neural networks per bound"),
    "n_batch": Setting(256, "int", min=1, doc="likelihood calls per batch"),
    "discard_exploration": Setting(True, "bool", doc="drop the exploration phase"),
    "seed": Setting(1, "int", min=0, max=2**32 - 1),
}


def settings_for(card_sampler: dict[str, Any]) -> dict[str, Any]:
    """Every setting, checked against :data:`SETTINGS`."""
    return sampler_settings(SETTINGS, card_sampler, "nautilus")


def run(fit: Any, card: RunCard, run_dir: Path, resume: bool = False, progress: bool = True
        ) -> SamplerOutput:
    """Run nautilus on ``fit``."""
    nautilus = optional("nautilus", "nautilus")
    s = settings_for(card.sampler)
    if fit.ndim == 0:
        raise GlobalfitError("Nothing to sample: every parameter of the card is fixed.")
    ckpt = Path(run_dir) / "checkpoint" / "nautilus.hdf5"
    if resume and not ckpt.exists():
        raise GlobalfitError(f"Nothing to resume: {ckpt} does not exist.")
    if not resume and ckpt.exists():
        ckpt.unlink()
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sampler = nautilus.Sampler(
        identity, fit.cube_loglike, n_dim=fit.ndim, n_live=int(s["nlive"]),
        n_networks=int(s["n_networks"]), n_batch=int(s["n_batch"]), vectorized=True,
        pass_dict=False, seed=int(s["seed"]), filepath=str(ckpt), resume=resume)
    sampler.run(f_live=float(s["f_live"]), n_eff=int(s["n_eff"]),
                discard_exploration=bool(s["discard_exploration"]), verbose=progress)
    wall = time.perf_counter() - t0
    u, logwt, logl = sampler.posterior()
    n = len(logwt)
    err = math.sqrt(max(1.0 / kish_ess(logwt) - 1.0 / n, 0.0))
    return output("nautilus", fit, u, logwt, logl, float(sampler.log_z), err, sampler.n_like,
                  wall, s)
