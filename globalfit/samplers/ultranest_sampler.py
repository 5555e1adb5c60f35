"""Nested sampling with UltraNest (J. Buchner, JOSS 6 (2021) 3001, arXiv:2101.09604): MLFriends
regions, vectorised likelihood calls, checkpoint and resume. Optional: ``pip install
"globalfit[samplers]"``.

The sampler runs in the unit cube; each batch of proposals is one :meth:`Fit.cube_loglike` call
(prior transform and log L in one jitted, vectorised call). Checkpoints go to
``run_dir/checkpoint/ultranest`` (UltraNest's own HDF5 point store)."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np

from globalfit.card import RunCard
from globalfit.errors import GlobalfitError
from globalfit.samplers.base import SamplerOutput
from globalfit.samplers.unit_cube import optional, output
from globalfit.schema import Setting, sampler_settings

#: Run-card settings of ``[sampler] name = "ultranest"``.
SETTINGS: dict[str, Setting] = {
    "nlive": Setting(400, "int", min=2, doc="minimum number of live points"),
    "dlogz": Setting(0.5, "float", min=1e-8, doc="target evidence uncertainty"),
    "min_ess": Setting(400, "int", min=1, doc="minimum effective sample size"),
    "frac_remain": Setting(0.01, "float", min=0.0, max=1.0,
                           doc="stop when the live points hold less than this of Z"),
    "max_ncalls": Setting(None, "int", min=1, optional=True, doc="stop after this many calls"),
    "ndraw_min": Setting(128, "int", min=1, doc="smallest proposal batch"),
    "ndraw_max": Setting(4096, "int", min=1, doc="largest proposal batch"),
    "seed": Setting(1, "int", min=0, max=2**32 - 1),
}


def settings_for(card_sampler: dict[str, Any]) -> dict[str, Any]:
    """Every setting, checked against :data:`SETTINGS`."""
    return sampler_settings(SETTINGS, card_sampler, "ultranest")


def run(fit: Any, card: RunCard, run_dir: Path, resume: bool = False, progress: bool = True
        ) -> SamplerOutput:
    """Run UltraNest's ReactiveNestedSampler on ``fit``."""
    ultranest = optional("ultranest", "ultranest")
    s = settings_for(card.sampler)
    if fit.ndim == 0:
        raise GlobalfitError("Nothing to sample: every parameter of the card is fixed.")
    log_dir = Path(run_dir) / "checkpoint" / "ultranest"
    if resume and not log_dir.exists():
        raise GlobalfitError(f"Nothing to resume: {log_dir} does not exist.")
    if not resume:
        shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.parent.mkdir(parents=True, exist_ok=True)
    logging.getLogger("ultranest").setLevel(logging.INFO if progress else logging.WARNING)
    np.random.seed(int(s["seed"]))  # UltraNest draws from NumPy's global generator
    t0 = time.perf_counter()
    sampler = ultranest.ReactiveNestedSampler(
        list(fit.parameters), fit.cube_loglike, transform=None, log_dir=str(log_dir),
        resume="resume" if resume else "overwrite", vectorized=True,
        ndraw_min=int(s["ndraw_min"]), ndraw_max=int(s["ndraw_max"]))
    res = sampler.run(min_num_live_points=int(s["nlive"]), dlogz=float(s["dlogz"]),
                      min_ess=int(s["min_ess"]), frac_remain=float(s["frac_remain"]),
                      max_ncalls=s["max_ncalls"], show_status=progress, viz_callback=False)
    wall = time.perf_counter() - t0
    ws = res["weighted_samples"]
    logwt = np.log(np.maximum(np.asarray(ws["weights"], float), 1e-300))
    return output("ultranest", fit, ws["upoints"], logwt, ws["logl"], res["logz"],
                  res["logzerr"], res["ncall"], wall, s,
                  {"niter": int(res["niter"]), "ess_ultranest": float(res["ess"])})
